/* Int8 matrix product for FULLY_CONNECTED and 1x1 CONV_2D (tg_matmul_params_t), variant "dsp".
 *
 * Chosen at generation time (tinygen/compiler/variants.py) for cores with the DSP extension
 * (Cortex-M4, M7, M33, M55) when the weights are symmetric (zero point 0) and, for CONV_2D, the
 * filter is 1x1 over all input channels. Bit-exact with TFLM's reference kernels: the generator
 * folds the input offset into the bias (bias + input_offset * sum of the channel's weights), which
 * equals TFLM's sum of weight * (input + input_offset) in the same modulo-2^32 int32 arithmetic, and
 * the requantization is TFLM's (tg_fixedpoint.h). The host build runs this same source on exact C
 * models of the instructions (tg_acle.h), which is how the op sweep checks it.
 *
 * Output pixels go by threes (tg_product_pixel_triple) when the requantization is per channel, then by
 * twos, a last one alone. The product itself and its register blocking: tg_product_dsp.c.
 */
#include "tg_product_dsp.h"

#include <stdbool.h>

/* The inputs of the most pixels one step takes (pixels_per_step: 3 where triples go, else 2, or the pixels
 * of a row if fewer), each split into two words of halfword pairs per word of depth; with lone pixels only,
 * single_run_groups words of depth at a time if that is fewer. */
int32_t tg_matmul_s8_dsp_scratch_bytes(int32_t depth, int32_t pixels_per_step, int32_t single_run_groups)
{
    const int32_t groups = (depth + 3) / 4;
    if (pixels_per_step == 1 && single_run_groups && single_run_groups < groups) {
        return 8 * single_run_groups;
    }
    return 8 * pixels_per_step * groups;
}

void tg_matmul_s8_dsp(const tg_matmul_params_t *p, const int8_t *input, const int8_t *filter,
                      const int32_t *folded_bias, uint32_t *scratch, int8_t *output)
{
    const int32_t step = p->input_pixel_step, out_step = p->product.channels;
    const bool triples = p->product.requant.per_channel;   /* the triple's requantization is per channel */
    for (int32_t b = 0; b < p->batches; ++b) {
        for (int32_t row = 0; row < p->rows; ++row) {
            const int8_t *in = input + b * p->input_batch_step + row * p->input_row_step;
            int32_t px = 0;
            for (; triples && px + 3 <= p->row_pixels; px += 3) {
                tg_product_pixel_triple(&p->product, in, step, filter, folded_bias, scratch, output);
                in += 3 * step;
                output += 3 * out_step;
            }
            for (; px + 2 <= p->row_pixels; px += 2) {
                tg_product_pixel_pair(&p->product, in, in + step, filter, folded_bias, scratch, output,
                                      output + out_step);
                in += 2 * step;
                output += 2 * out_step;
            }
            if (px < p->row_pixels) {
                tg_product_single_pixel(&p->product, in, p->single_run_groups, filter, folded_bias, scratch, output);
                output += out_step;
            }
        }
    }
}
