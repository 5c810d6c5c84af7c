/* CONV_2D, int8, with sparse weights (tg_sparse.h): bit-exact with tg_convolve_s8. Portable C, chosen
 * by compiler/sparse.py for the layers whose weights take less flash sparse.
 *
 * Two output pixels at a time share each weight's decoding: their input windows are first gathered
 * into `patch`, interleaved in the filter's HWI order, so that a weight's bitmap position is also its
 * inputs' position. folded_bias is bias + input_offset * sum of the channel's weights; a tap outside
 * the input holds the input zero point, whose product with the weight that folding cancels, as the
 * reference kernel's skipped taps contribute 0. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"
#include "tg_sparse.h"
#include "tg_window.h"

/* Two windows of window_bytes (filter_h * filter_w * filter_c) each, interleaved. */
int32_t tg_convolve_sparse_s8_scratch_bytes(int32_t window_bytes)
{
    return 2 * window_bytes;
}

/* The window of output pixel (out_y, out_x) into every second byte of dest. */
static void gather_window(const tg_conv_params_t *p, const int8_t *group_input, int32_t out_y, int32_t out_x,
                          int8_t *dest)
{
    const int8_t zero_point = (int8_t)-p->input_offset;
    /* Locals: the byte stores below could alias *p. */
    const int32_t filter_w = p->window.filter_w, filter_c = p->filter_c, input_w = p->input_w, input_c = p->input_c;
    const int32_t dilation_w = p->dilation_w;
    const int32_t in_y_origin = tg_window_origin_y(&p->window, out_y);
    const int32_t in_x_origin = tg_window_origin_x(&p->window, out_x);
    for (int32_t fy = 0; fy < p->window.filter_h; ++fy) {
        const int32_t in_y = in_y_origin + p->dilation_h * fy;
        const int row_inside = in_y >= 0 && in_y < p->input_h;
        for (int32_t fx = 0, in_x = in_x_origin; fx < filter_w; ++fx, in_x += dilation_w) {
            /* Byte loops: a tap is often a single channel, too short to pay for a memcpy call. */
            int8_t *const tap_end = dest + 2 * filter_c;
            if (!row_inside || in_x < 0 || in_x >= input_w) {
                for (; dest != tap_end; dest += 2) {
                    *dest = zero_point;
                }
            } else {
                const int8_t *in = group_input + (in_y * input_w + in_x) * input_c;
                for (; dest != tap_end; dest += 2) {
                    *dest = *in++;
                }
            }
        }
    }
}

static inline void next_pixel(const tg_conv_params_t *p, int32_t *y, int32_t *x)
{
    if (++*x == p->output_w) {
        *x = 0;
        ++*y;
    }
}

void tg_convolve_sparse_s8(const tg_conv_params_t *p, const int8_t *input, const uint8_t *filter_bitmap,
                           const int8_t *filter_values, const int32_t *folded_bias, int8_t *patch, int8_t *output)
{
    const int32_t groups = p->input_c / p->filter_c;
    const int32_t filters_per_group = p->output_c / groups;
    const int32_t weights = p->window.filter_h * p->window.filter_w * p->filter_c;
    const int32_t bitmap_bytes = (weights + 7) / 8;
    const int32_t output_c = p->output_c, output_offset = p->requant.output_offset;
    const tg_clamp_t clamp = p->requant.clamp;
    const int32_t *const multipliers = p->requant.multipliers, *const shifts = p->requant.shifts;
    int8_t *out = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * p->input_h * p->input_w * p->input_c;
        int32_t y0 = 0, x0 = 0; /* the pair's first pixel */
        for (int32_t left = p->output_h * p->output_w; left > 0; left -= 2, out += 2 * output_c) {
            const int32_t pair = left > 1;
            int32_t y1 = y0, x1 = x0; /* a lone last pixel is computed twice and stored once */
            if (pair) {
                next_pixel(p, &y1, &x1);
            }
            const uint8_t *bitmap = filter_bitmap;
            const int8_t *values = filter_values;
            for (int32_t g = 0, c = 0; g < groups; ++g) {
                const int8_t *group_input = image + g * p->filter_c;
                gather_window(p, group_input, y0, x0, patch);
                gather_window(p, group_input, y1, x1, patch + 1);
                for (const int32_t group_end = c + filters_per_group; c < group_end; ++c, bitmap += bitmap_bytes) {
                    int32_t acc[2] = {folded_bias[c], folded_bias[c]};
                    tg_sparse_dot2_s8(bitmap, weights, &values, patch, acc);
                    const int32_t multiplier = multipliers[c], shift = shifts[c];
                    out[c] = tg_requantize_clamp_s8(acc[0], multiplier, shift, output_offset, clamp);
                    if (pair) {
                        out[output_c + c] =
                            tg_requantize_clamp_s8(acc[1], multiplier, shift, output_offset, clamp);
                    }
                }
            }
            y0 = y1;
            x0 = x1;
            next_pixel(p, &y0, &x0);
        }
    }
}
