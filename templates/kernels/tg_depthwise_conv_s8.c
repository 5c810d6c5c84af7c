/* DEPTHWISE_CONV_2D, int8, per-channel requantization, any depth multiplier (TFLM reference
 * arithmetic). Filter layout 1HWC with C = input_c * depth_multiplier. Portable C variant, for
 * every core.
 *
 * One output channel at a time, so the input offset is folded into the bias once per channel:
 * sum(w * (x + offset)) = sum(w * x) + offset * sum(w), equal in int32 wrap-around arithmetic.
 * A 3x3 window inside the image keeps its nine weights in locals; other windows (other sizes, or
 * overlapping the padding) sum over the taps inside the image, found once per window. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"
#include "tg_window.h"

/* The reference accumulation of one output: sum(w * (x + offset)) over the taps inside the image. */
static int32_t window_acc(const tg_depthwise_conv_params_t *p, const int8_t *channel_in, const int8_t *channel_w,
                          int32_t in_y_origin, int32_t in_x_origin)
{
    int32_t fy, fy_end, fx_first, fx_end;
    tg_taps_inside(in_y_origin, p->dilation_h, p->filter_h, p->input_h, &fy, &fy_end);
    tg_taps_inside(in_x_origin, p->dilation_w, p->filter_w, p->input_w, &fx_first, &fx_end);
    if (fy == fy_end || fx_first == fx_end) {
        return 0;
    }
    const int32_t input_offset = p->input_offset, w_step = p->output_c;
    const int32_t tap_step = p->dilation_w * p->input_c, row_step = p->dilation_h * p->input_w * p->input_c;
    const int32_t in_x = in_x_origin + p->dilation_w * fx_first;
    const int8_t *x_row = channel_in + ((in_y_origin + p->dilation_h * fy) * p->input_w + in_x) * p->input_c;
    const int8_t *w_row = channel_w + (fy * p->filter_w + fx_first) * w_step;
    int32_t acc = 0;
    for (; fy < fy_end; ++fy, x_row += row_step, w_row += p->filter_w * w_step) {
        const int8_t *x = x_row, *w = w_row;
        for (int32_t fx = fx_first; fx < fx_end; ++fx, x += tap_step, w += w_step) {
            acc += *w * (*x + input_offset);
        }
    }
    return acc;
}

void tg_depthwise_conv_s8(const tg_depthwise_conv_params_t *p, const int8_t *input, const int8_t *filter,
                          const int32_t *bias, int8_t *output)
{
    const int32_t output_c = p->output_c, output_offset = p->output_offset, act_min = p->act_min, act_max = p->act_max;
    const int32_t is_3x3 = p->filter_h == 3 && p->filter_w == 3;
    const int32_t row_step = p->dilation_h * p->input_w * p->input_c;
    const int32_t tap_step = p->dilation_w * p->input_c;
    const int32_t span_h = p->dilation_h * (p->filter_h - 1);
    const int32_t span_w = p->dilation_w * (p->filter_w - 1);
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * p->input_h * p->input_w * p->input_c;
        int8_t *out_image = output + b * p->output_h * p->output_w * output_c;
        for (int32_t oc = 0; oc < output_c; ++oc) {
            const int8_t *channel_in = image + oc / p->depth_multiplier;
            const int8_t *channel_w = filter + oc;
            const int32_t bias_c = bias ? bias[oc] : 0;
            const int32_t multiplier = p->multipliers[oc], shift = p->shifts[oc];
            /* Read only by the 3x3 path: the weights in filter order, and the bias with the offset folded in. */
            const int32_t w0 = channel_w[0], w1 = channel_w[is_3x3 ? output_c : 0];
            const int32_t w2 = channel_w[is_3x3 ? 2 * output_c : 0], w3 = channel_w[is_3x3 ? 3 * output_c : 0];
            const int32_t w4 = channel_w[is_3x3 ? 4 * output_c : 0], w5 = channel_w[is_3x3 ? 5 * output_c : 0];
            const int32_t w6 = channel_w[is_3x3 ? 6 * output_c : 0], w7 = channel_w[is_3x3 ? 7 * output_c : 0];
            const int32_t w8 = channel_w[is_3x3 ? 8 * output_c : 0];
            const int32_t inside_base = bias_c + p->input_offset * (w0 + w1 + w2 + w3 + w4 + w5 + w6 + w7 + w8);
            int8_t *out = out_image + oc;
            for (int32_t out_y = 0; out_y < p->output_h; ++out_y) {
                const int32_t in_y_origin = out_y * p->stride_h - p->pad_h;
                const int32_t row_inside = in_y_origin >= 0 && in_y_origin + span_h < p->input_h;
                for (int32_t out_x = 0; out_x < p->output_w; ++out_x, out += output_c) {
                    const int32_t in_x_origin = out_x * p->stride_w - p->pad_w;
                    int32_t acc;
                    if (is_3x3 && row_inside && in_x_origin >= 0 && in_x_origin + span_w < p->input_w) {
                        const int8_t *x0 = channel_in + (in_y_origin * p->input_w + in_x_origin) * p->input_c;
                        const int8_t *x1 = x0 + row_step, *x2 = x1 + row_step;
                        acc = inside_base + w0 * x0[0] + w1 * x0[tap_step] + w2 * x0[2 * tap_step]
                              + w3 * x1[0] + w4 * x1[tap_step] + w5 * x1[2 * tap_step]
                              + w6 * x2[0] + w7 * x2[tap_step] + w8 * x2[2 * tap_step];
                    } else {
                        acc = bias_c + window_acc(p, channel_in, channel_w, in_y_origin, in_x_origin);
                    }
                    *out = tg_requantize_clamp_s8(acc, multiplier, shift, output_offset, act_min, act_max);
                }
            }
        }
    }
}
