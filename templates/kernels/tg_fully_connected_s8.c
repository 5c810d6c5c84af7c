/* FULLY_CONNECTED, int8, per-tensor or per-channel requantization (TFLM reference arithmetic).
 * Filter layout [output_depth][accum_depth]. Portable C variant: lowering's choice for every
 * FULLY_CONNECTED, kept on cores without the DSP extension and for weights with a zero point; on cores
 * with it, compiler/variants.py moves the others with a depth of at least 4 to tg_matmul_s8_dsp.c where
 * its requantization is exact; on any core, compiler/sparse.py moves layers whose weights take less flash
 * sparse to the sparse kernels. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"

void tg_fully_connected_s8(const tg_fully_connected_params_t *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, int8_t *output)
{
    const tg_channel_requant_t *r = &p->requant;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in = input + b * p->accum_depth;
        for (int32_t oc = 0; oc < p->output_depth; ++oc) {
            const int8_t *w = filter + oc * p->accum_depth;
            int32_t acc = 0;
            for (int32_t d = 0; d < p->accum_depth; ++d) {
                acc += ((int32_t)w[d] + p->filter_offset) * ((int32_t)in[d] + p->input_offset);
            }
            if (bias) {
                acc += bias[oc];
            }
            const int32_t q = p->per_channel ? oc : 0;
            output[b * p->output_depth + oc] =
                tg_requantize_clamp_s8(acc, r->multipliers[q], r->shifts[q], r->output_offset, r->clamp);
        }
    }
}
