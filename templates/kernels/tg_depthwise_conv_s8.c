/* DEPTHWISE_CONV_2D, int8, per-channel requantization, any depth multiplier (TFLM reference
 * arithmetic). Filter layout 1HWC with C = input_c * depth_multiplier. Portable C variant, for
 * every core.
 *
 * One output channel at a time, so the input offset is folded into the bias once per channel:
 * sum(w * (x + offset)) = sum(w * x) + offset * sum(w), equal in int32 wrap-around arithmetic.
 * Pixels whose window lies inside the image skip the bounds checks (a 3x3 window keeps its nine
 * weights in locals); windows that overlap the padding keep the reference loop. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"

/* The reference accumulation of one output, for windows that overlap the padding. */
static int32_t border_acc(const tg_depthwise_conv_params_t *p, const int8_t *channel_in, const int8_t *channel_w,
                          int32_t in_y_origin, int32_t in_x_origin)
{
    int32_t acc = 0;
    for (int32_t fy = 0; fy < p->filter_h; ++fy) {
        const int32_t in_y = in_y_origin + p->dilation_h * fy;
        if (in_y < 0 || in_y >= p->input_h) {
            continue;
        }
        for (int32_t fx = 0; fx < p->filter_w; ++fx) {
            const int32_t in_x = in_x_origin + p->dilation_w * fx;
            if (in_x < 0 || in_x >= p->input_w) {
                continue;
            }
            const int32_t in = channel_in[(in_y * p->input_w + in_x) * p->input_c];
            const int32_t w = channel_w[(fy * p->filter_w + fx) * p->output_c];
            acc += w * (in + p->input_offset);
        }
    }
    return acc;
}

/* sum(w * x) over a window inside the image, any filter size. */
static int32_t inside_acc(const tg_depthwise_conv_params_t *p, const int8_t *x, const int8_t *channel_w,
                          int32_t row_step, int32_t tap_step)
{
    int32_t acc = 0;
    const int8_t *w = channel_w;
    for (int32_t fy = 0; fy < p->filter_h; ++fy, x += row_step) {
        const int8_t *tap = x;
        for (int32_t fx = 0; fx < p->filter_w; ++fx, tap += tap_step, w += p->output_c) {
            acc += *w * *tap;
        }
    }
    return acc;
}

void tg_depthwise_conv_s8(const tg_depthwise_conv_params_t *p, const int8_t *input, const int8_t *filter,
                          const int32_t *bias, int8_t *output)
{
    const int32_t taps = p->filter_h * p->filter_w;
    const int32_t is_3x3 = p->filter_h == 3 && p->filter_w == 3;
    const int32_t row_step = p->dilation_h * p->input_w * p->input_c;
    const int32_t tap_step = p->dilation_w * p->input_c;
    const int32_t span_h = p->dilation_h * (p->filter_h - 1);
    const int32_t span_w = p->dilation_w * (p->filter_w - 1);
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * p->input_h * p->input_w * p->input_c;
        int8_t *out_image = output + b * p->output_h * p->output_w * p->output_c;
        for (int32_t oc = 0; oc < p->output_c; ++oc) {
            const int8_t *channel_in = image + oc / p->depth_multiplier;
            const int8_t *channel_w = filter + oc;
            int32_t filter_sum = 0;
            for (int32_t t = 0; t < taps; ++t) {
                filter_sum += channel_w[t * p->output_c];
            }
            const int32_t bias_c = bias ? bias[oc] : 0;
            const int32_t inside_base = bias_c + p->input_offset * filter_sum;
            const int32_t multiplier = p->multipliers[oc];
            const int32_t shift = p->shifts[oc];
            /* Read only by the 3x3 path: the weights in filter order. */
            const int32_t w0 = channel_w[0], w1 = channel_w[is_3x3 ? p->output_c : 0];
            const int32_t w2 = channel_w[is_3x3 ? 2 * p->output_c : 0], w3 = channel_w[is_3x3 ? 3 * p->output_c : 0];
            const int32_t w4 = channel_w[is_3x3 ? 4 * p->output_c : 0], w5 = channel_w[is_3x3 ? 5 * p->output_c : 0];
            const int32_t w6 = channel_w[is_3x3 ? 6 * p->output_c : 0], w7 = channel_w[is_3x3 ? 7 * p->output_c : 0];
            const int32_t w8 = channel_w[is_3x3 ? 8 * p->output_c : 0];
            int8_t *out = out_image + oc;
            for (int32_t out_y = 0; out_y < p->output_h; ++out_y) {
                const int32_t in_y_origin = out_y * p->stride_h - p->pad_h;
                const int32_t row_inside = in_y_origin >= 0 && in_y_origin + span_h < p->input_h;
                for (int32_t out_x = 0; out_x < p->output_w; ++out_x, out += p->output_c) {
                    const int32_t in_x_origin = out_x * p->stride_w - p->pad_w;
                    int32_t acc;
                    if (row_inside && in_x_origin >= 0 && in_x_origin + span_w < p->input_w) {
                        const int8_t *x = channel_in + (in_y_origin * p->input_w + in_x_origin) * p->input_c;
                        if (is_3x3) {
                            const int8_t *x1 = x + row_step, *x2 = x1 + row_step;
                            acc = inside_base + w0 * x[0] + w1 * x[tap_step] + w2 * x[2 * tap_step]
                                  + w3 * x1[0] + w4 * x1[tap_step] + w5 * x1[2 * tap_step]
                                  + w6 * x2[0] + w7 * x2[tap_step] + w8 * x2[2 * tap_step];
                        } else {
                            acc = inside_base + inside_acc(p, x, channel_w, row_step, tap_step);
                        }
                    } else {
                        acc = bias_c + border_acc(p, channel_in, channel_w, in_y_origin, in_x_origin);
                    }
                    const int32_t scaled = tg_multiply_by_quantized_multiplier(acc, multiplier, shift);
                    *out = (int8_t)tg_clamp_i32(scaled + p->output_offset, p->act_min, p->act_max);
                }
            }
        }
    }
}
