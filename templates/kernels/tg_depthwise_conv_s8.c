/* DEPTHWISE_CONV_2D, int8, per-channel requantization, any depth multiplier (TFLM reference
 * arithmetic). Filter layout 1HWC with C = input_c * depth_multiplier. Portable C variant: lowering's
 * choice for every DEPTHWISE_CONV_2D, kept on cores without the DSP extension; on cores with it,
 * compiler/variants.py moves layers with depth multiplier 1, no dilation and at least 4 channels to
 * tg_depthwise_conv_s8_dsp.c, and those of one input channel to the CONV_2D kernel they equal.
 *
 * The output pixels whose windows lie inside the image form a rectangle, found once. There, one
 * output channel at a time, so the input offset is folded into the bias once per channel:
 * sum(w * (x + offset)) = sum(w * x) + offset * sum(w), equal in int32 wrap-around arithmetic; a 3x3
 * filter keeps its nine weights in locals. Around it, windows overlapping the padding take one pixel
 * at a time, so that the taps inside the image are found once for all its channels. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"
#include "tg_window.h"

/* sum(w * (x + offset)) over rows x cols taps, from the input x and the weight w of the first. */
static inline int32_t taps_acc(const tg_depthwise_conv_params_t *p, const int8_t *x, const int8_t *w, int32_t rows,
                               int32_t cols)
{
    const int32_t input_offset = p->input_offset, w_step = p->output_c, w_row_step = p->window.filter_w * p->output_c;
    const int32_t tap_step = p->dilation_w * p->input_c, row_step = p->dilation_h * p->input_w * p->input_c;
    int32_t acc = 0;
    for (int32_t r = 0; r < rows; ++r, x += row_step, w += w_row_step) {
        for (int32_t k = 0; k < cols; ++k) {
            acc += w[k * w_step] * (x[k * tap_step] + input_offset);
        }
    }
    return acc;
}

static inline int8_t requantize(const tg_depthwise_conv_params_t *p, int32_t c, int32_t acc)
{
    const tg_channel_requant_t *r = &p->requant;
    return tg_requantize_clamp_s8(acc, r->multipliers[c], r->shifts[c], r->output_offset, r->clamp);
}

/* The outputs of rows [y_first, y_end), columns [x_first, x_end), whose windows lie inside the image. */
static void inside_outputs(const tg_depthwise_conv_params_t *p, const int8_t *image, const int8_t *filter,
                           const int32_t *bias, int8_t *out_image, int32_t y_first, int32_t y_end, int32_t x_first,
                           int32_t x_end)
{
    const int32_t output_c = p->output_c, output_offset = p->requant.output_offset;
    const tg_clamp_t clamp = p->requant.clamp;
    const int32_t is_3x3 = p->window.filter_h == 3 && p->window.filter_w == 3;
    const int32_t row_step = p->dilation_h * p->input_w * p->input_c;
    const int32_t tap_step = p->dilation_w * p->input_c;
    for (int32_t oc = 0; oc < output_c; ++oc) {
        const int8_t *channel_in = image + oc / p->depth_multiplier;
        const int8_t *channel_w = filter + oc;
        const int32_t bias_c = bias ? bias[oc] : 0;
        const int32_t multiplier = p->requant.multipliers[oc], shift = p->requant.shifts[oc];
        /* Read only by the 3x3 path: the weights in filter order, and the bias with the offset folded in. */
        const int32_t w0 = channel_w[0], w1 = channel_w[is_3x3 ? output_c : 0];
        const int32_t w2 = channel_w[is_3x3 ? 2 * output_c : 0], w3 = channel_w[is_3x3 ? 3 * output_c : 0];
        const int32_t w4 = channel_w[is_3x3 ? 4 * output_c : 0], w5 = channel_w[is_3x3 ? 5 * output_c : 0];
        const int32_t w6 = channel_w[is_3x3 ? 6 * output_c : 0], w7 = channel_w[is_3x3 ? 7 * output_c : 0];
        const int32_t w8 = channel_w[is_3x3 ? 8 * output_c : 0];
        const int32_t inside_base = bias_c + p->input_offset * (w0 + w1 + w2 + w3 + w4 + w5 + w6 + w7 + w8);
        for (int32_t out_y = y_first; out_y < y_end; ++out_y) {
            const int32_t in_y_origin = tg_window_origin_y(&p->window, out_y);
            int8_t *out = out_image + (out_y * p->output_w + x_first) * output_c + oc;
            for (int32_t out_x = x_first; out_x < x_end; ++out_x, out += output_c) {
                const int32_t in_x_origin = tg_window_origin_x(&p->window, out_x);
                const int8_t *x0 = channel_in + (in_y_origin * p->input_w + in_x_origin) * p->input_c;
                int32_t acc;
                if (is_3x3) {
                    const int8_t *x1 = x0 + row_step, *x2 = x1 + row_step;
                    acc = inside_base + w0 * x0[0] + w1 * x0[tap_step] + w2 * x0[2 * tap_step]
                          + w3 * x1[0] + w4 * x1[tap_step] + w5 * x1[2 * tap_step]
                          + w6 * x2[0] + w7 * x2[tap_step] + w8 * x2[2 * tap_step];
                } else {
                    acc = bias_c + taps_acc(p, x0, channel_w, p->window.filter_h, p->window.filter_w);
                }
                *out = tg_requantize_clamp_s8(acc, multiplier, shift, output_offset, clamp);
            }
        }
    }
}

/* The output pixel (out_y, out_x), whose window overlaps the padding, all channels: the reference
 * accumulation over the taps inside the image, found once. */
static void border_output(const tg_depthwise_conv_params_t *p, const int8_t *image, const int8_t *filter,
                          const int32_t *bias, int8_t *out_image, int32_t out_y, int32_t out_x)
{
    const int32_t in_y_origin = tg_window_origin_y(&p->window, out_y);
    const int32_t in_x_origin = tg_window_origin_x(&p->window, out_x);
    int32_t fy, fy_end, fx, fx_end;
    tg_indices_inside(in_y_origin, p->dilation_h, p->window.filter_h, p->input_h, &fy, &fy_end);
    tg_indices_inside(in_x_origin, p->dilation_w, p->window.filter_w, p->input_w, &fx, &fx_end);
    const int32_t in_y = in_y_origin + p->dilation_h * fy, in_x = in_x_origin + p->dilation_w * fx;
    /* Offsets of the first tap inside the image, channel 0 (used only when there is one). */
    const int32_t x_first = (in_y * p->input_w + in_x) * p->input_c;
    const int32_t w_first = (fy * p->window.filter_w + fx) * p->output_c;
    const int32_t rows = fy < fy_end && fx < fx_end ? fy_end - fy : 0;
    int8_t *out = out_image + (out_y * p->output_w + out_x) * p->output_c;
    for (int32_t oc = 0, ic = 0, m = 0; oc < p->output_c; ++oc) {
        const int32_t acc = rows ? taps_acc(p, image + x_first + ic, filter + w_first + oc, rows, fx_end - fx) : 0;
        out[oc] = requantize(p, oc, (bias ? bias[oc] : 0) + acc);
        if (++m == p->depth_multiplier) { /* the input channel of the next output channel */
            m = 0;
            ++ic;
        }
    }
}

void tg_depthwise_conv_s8(const tg_depthwise_conv_params_t *p, const int8_t *input, const int8_t *filter,
                          const int32_t *bias, int8_t *output)
{
    /* Output rows and columns whose windows lie inside the image: those whose first tap is at
     * -pad + stride * out in [0, size - span). */
    int32_t y_first, y_end, x_first, x_end;
    const tg_window_t *w = &p->window;
    tg_indices_inside(-w->pad_h, w->stride_h, p->output_h, p->input_h - p->dilation_h * (w->filter_h - 1), &y_first,
                      &y_end);
    tg_indices_inside(-w->pad_w, w->stride_w, p->output_w, p->input_w - p->dilation_w * (w->filter_w - 1), &x_first,
                      &x_end);
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * p->input_h * p->input_w * p->input_c;
        int8_t *out_image = output + b * p->output_h * p->output_w * p->output_c;
        inside_outputs(p, image, filter, bias, out_image, y_first, y_end, x_first, x_end);
        for (int32_t out_y = 0; out_y < p->output_h; ++out_y) {
            const int32_t row_inside = out_y >= y_first && out_y < y_end;
            for (int32_t out_x = 0; out_x < p->output_w; ++out_x) {
                if (row_inside && out_x == x_first && x_first < x_end) {
                    out_x = x_end - 1; /* past the inside rectangle */
                    continue;
                }
                border_output(p, image, filter, bias, out_image, out_y, out_x);
            }
        }
    }
}
