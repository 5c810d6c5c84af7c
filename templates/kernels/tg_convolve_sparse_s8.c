/* CONV_2D, int8, with sparse weights (tg_sparse.h): bit-exact with tg_convolve_s8.
 *
 * For each output pixel (and group) the input window is first copied into `patch` in the filter's
 * HWI order, so that a weight's bitmap position is also its input's position; taps outside the
 * input hold the input zero point, which contributes 0 as the dense kernel's skipped taps do. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"
#include "tg_sparse.h"

static void gather_patch(const tg_conv_params_t *p, const int8_t *input, int32_t in_y_origin, int32_t in_x_origin,
                         int8_t *patch)
{
    const int8_t zero_point = (int8_t)-p->input_offset;
    for (int32_t fy = 0; fy < p->filter_h; ++fy) {
        const int32_t in_y = in_y_origin + p->dilation_h * fy;
        for (int32_t fx = 0; fx < p->filter_w; ++fx) {
            const int32_t in_x = in_x_origin + p->dilation_w * fx;
            int8_t *tap = patch + (fy * p->filter_w + fx) * p->filter_c;
            /* Byte loops: a tap is often a single channel, too short to pay for a memcpy call. */
            if (in_y < 0 || in_y >= p->input_h || in_x < 0 || in_x >= p->input_w) {
                for (int32_t c = 0; c < p->filter_c; ++c) {
                    tap[c] = zero_point;
                }
            } else {
                const int8_t *in = input + (in_y * p->input_w + in_x) * p->input_c;
                for (int32_t c = 0; c < p->filter_c; ++c) {
                    tap[c] = in[c];
                }
            }
        }
    }
}

void tg_convolve_sparse_s8(const tg_conv_params_t *p, const int8_t *input, const uint8_t *filter_bitmap,
                           const int8_t *filter_values, const int32_t *bias, int8_t *patch, int8_t *output)
{
    const int32_t filters_per_group = p->output_c / (p->input_c / p->filter_c);
    const int32_t bitmap_bytes = (p->filter_h * p->filter_w * p->filter_c + 7) / 8;
    const int32_t input_offset = p->input_offset, output_offset = p->output_offset;
    const int32_t act_min = p->act_min, act_max = p->act_max;
    int8_t *out = output;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * p->input_h * p->input_w * p->input_c;
        for (int32_t out_y = 0; out_y < p->output_h; ++out_y) {
            const int32_t in_y_origin = out_y * p->stride_h - p->pad_h;
            for (int32_t out_x = 0; out_x < p->output_w; ++out_x) {
                const int32_t in_x_origin = out_x * p->stride_w - p->pad_w;
                const int8_t *values = filter_values;
                const uint8_t *bitmap = filter_bitmap;
                const int8_t *group = image;
                for (int32_t out_c = 0, in_group = 0; out_c < p->output_c; ++out_c, ++in_group) {
                    if (in_group == filters_per_group) {
                        in_group = 0;
                        group += p->filter_c;
                    }
                    if (in_group == 0) {
                        gather_patch(p, group, in_y_origin, in_x_origin, patch);
                    }
                    int32_t acc = tg_sparse_dot_s8(bitmap, bitmap_bytes, &values, patch, input_offset);
                    bitmap += bitmap_bytes;
                    if (bias) {
                        acc += bias[out_c];
                    }
                    acc = tg_multiply_by_quantized_multiplier(acc, p->multipliers[out_c], p->shifts[out_c]);
                    *out++ = (int8_t)tg_clamp_i32(acc + output_offset, act_min, act_max);
                }
            }
        }
    }
}
