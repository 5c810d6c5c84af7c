/* ADD, int8, with broadcasting: both inputs are rescaled to a common scale with 20 bits of
 * headroom, summed, then requantized to the output (TFLM reference arithmetic).
 * Portable C, any core: chosen by compiler/ops/elementwise.py for ADD layers that broadcast an input or
 * whose rescalings the same-shape kernels (tg_add_same_shape_s8.c, tg_add_s8_dsp.c) cannot compute. */
#include "tg_broadcast.h"
#include "tg_fixedpoint.h"
#include "tg_kernels.h"

void tg_add_s8(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const int32_t size = tg_broadcast_size(&p->shape);
    tg_broadcast_cursor_t cursor = {{0}, 0, 0};
    for (int32_t i = 0; i < size; ++i) {
        const int32_t shifted1 = tg_shift_left_i32(p->input1_offset + input1[cursor.offset1], p->left_shift);
        const int32_t shifted2 = tg_shift_left_i32(p->input2_offset + input2[cursor.offset2], p->left_shift);
        const int32_t scaled1 = tg_multiply_by_quantized_multiplier(shifted1, p->input1_multiplier, p->input1_shift);
        const int32_t scaled2 = tg_multiply_by_quantized_multiplier(shifted2, p->input2_multiplier, p->input2_shift);
        output[i] = tg_requantize_clamp_s8(scaled1 + scaled2, p->output.multiplier, p->output.shift,
                                           p->output.output_offset, p->output.clamp);
        tg_broadcast_next(&p->shape, &cursor);
    }
}
