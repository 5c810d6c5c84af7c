/* CONV_2D, int8 activations and weights, int32 bias, per-channel requantization (TFLM reference
 * arithmetic). Filter layout OHWI; grouped convolution when input_c is a multiple of filter_c.
 * Portable C variant, for every core.
 *
 * One output channel at a time, so the input offset is folded into the bias once per channel:
 * sum(w * (x + offset)) = sum(w * x) + offset * sum(w), equal in int32 wrap-around arithmetic.
 * Pixels whose window lies inside the image take that path, two neighbours at a time (they share
 * the weights); windows that overlap the padding sum over the taps inside the image. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"
#include "tg_window.h"

/* The dot products of one weight run with two input runs, 4 taps per step. */
static inline void dot2(const int8_t *w, const int8_t *x0, const int8_t *x1, int32_t n, int32_t *acc0,
                        int32_t *acc1)
{
    int32_t a0 = *acc0, a1 = *acc1;
    const int8_t *const w_end4 = w + (n & ~3);
    const int8_t *const w_end = w + n;
    while (w != w_end4) {
        const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
        a0 += w0 * x0[0] + w1 * x0[1] + w2 * x0[2] + w3 * x0[3];
        a1 += w0 * x1[0] + w1 * x1[1] + w2 * x1[2] + w3 * x1[3];
        w += 4;
        x0 += 4;
        x1 += 4;
    }
    while (w != w_end) {
        const int32_t w0 = *w++;
        a0 += w0 * *x0++;
        a1 += w0 * *x1++;
    }
    *acc0 = a0;
    *acc1 = a1;
}

static inline int32_t dot1(const int8_t *w, const int8_t *x, int32_t n)
{
    int32_t acc = 0;
    const int8_t *const w_end4 = w + (n & ~3);
    const int8_t *const w_end = w + n;
    while (w != w_end4) {
        acc += w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] * x[3];
        w += 4;
        x += 4;
    }
    while (w != w_end) {
        acc += *w++ * *x++;
    }
    return acc;
}

static inline int32_t weights_sum(const int8_t *w, int32_t n)
{
    int32_t sum = 0;
    for (const int8_t *const w_end = w + n; w != w_end; ++w) {
        sum += *w;
    }
    return sum;
}

/* The reference accumulation of one output, for windows that overlap the padding: over the taps
 * inside the image, found once per window, sum(w * x) + offset * sum(w). */
static int32_t border_acc(const tg_conv_params_t *p, const int8_t *image, const int8_t *filter_c, int32_t in_y_origin,
                          int32_t in_x_origin, int32_t row_is_one_run)
{
    int32_t fy, fy_end, fx_first, fx_end;
    tg_taps_inside(in_y_origin, p->dilation_h, p->filter_h, p->input_h, &fy, &fy_end);
    tg_taps_inside(in_x_origin, p->dilation_w, p->filter_w, p->input_w, &fx_first, &fx_end);
    int32_t acc = 0, sum = 0;
    for (; fy < fy_end; ++fy) {
        const int32_t in_y = in_y_origin + p->dilation_h * fy;
        const int8_t *w = filter_c + (fy * p->filter_w + fx_first) * p->filter_c;
        if (row_is_one_run) { /* the row's taps inside are one run of input and weights */
            const int32_t n = (fx_end - fx_first) * p->filter_c;
            acc += dot1(w, image + (in_y * p->input_w + in_x_origin + fx_first) * p->input_c, n);
            sum += weights_sum(w, n);
            continue;
        }
        for (int32_t fx = fx_first; fx < fx_end; ++fx, w += p->filter_c) {
            const int8_t *x = image + (in_y * p->input_w + in_x_origin + p->dilation_w * fx) * p->input_c;
            acc += dot1(w, x, p->filter_c);
            sum += weights_sum(w, p->filter_c);
        }
    }
    return acc + p->input_offset * sum;
}

void tg_convolve_s8(const tg_conv_params_t *p, const int8_t *input, const int8_t *filter, const int32_t *bias,
                    int8_t *output)
{
    const int32_t filters_per_group = p->output_c / (p->input_c / p->filter_c);
    const int32_t filter_size = p->filter_h * p->filter_w * p->filter_c;
    /* A filter row is one contiguous input run when its taps are adjacent, else one run per tap. */
    const int32_t row_is_one_run = p->dilation_w == 1 && p->filter_c == p->input_c;
    const int32_t run_len = row_is_one_run ? p->filter_w * p->filter_c : p->filter_c;
    const int32_t runs_per_row = row_is_one_run ? 1 : p->filter_w;
    const int32_t run_step = p->dilation_w * p->input_c;
    const int32_t row_step = p->dilation_h * p->input_w * p->input_c;
    const int32_t span_h = p->dilation_h * (p->filter_h - 1);
    const int32_t span_w = p->dilation_w * (p->filter_w - 1);
    const int32_t pixel_step = p->stride_w * p->input_c;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * p->input_h * p->input_w * p->input_c;
        int8_t *out_image = output + b * p->output_h * p->output_w * p->output_c;
        for (int32_t out_c = 0; out_c < p->output_c; ++out_c) {
            const int8_t *filter_c = filter + out_c * filter_size;
            const int8_t *group = image + (out_c / filters_per_group) * p->filter_c;
            int32_t filter_sum = 0;
            for (int32_t i = 0; i < filter_size; ++i) {
                filter_sum += filter_c[i];
            }
            const int32_t bias_c = bias ? bias[out_c] : 0;
            const int32_t inside_base = bias_c + p->input_offset * filter_sum;
            const int32_t multiplier = p->multipliers[out_c];
            const int32_t shift = p->shifts[out_c];
            int8_t *out = out_image + out_c;
            for (int32_t out_y = 0; out_y < p->output_h; ++out_y) {
                const int32_t in_y_origin = out_y * p->stride_h - p->pad_h;
                const int32_t row_inside = in_y_origin >= 0 && in_y_origin + span_h < p->input_h;
                int32_t out_x = 0;
                while (out_x < p->output_w) {
                    const int32_t in_x_origin = out_x * p->stride_w - p->pad_w;
                    int32_t acc[2];
                    int32_t count = 1;
                    if (row_inside && in_x_origin >= 0 && in_x_origin + span_w < p->input_w) {
                        count = out_x + 1 < p->output_w && in_x_origin + p->stride_w + span_w < p->input_w ? 2 : 1;
                        acc[0] = inside_base;
                        acc[1] = inside_base;
                        const int8_t *x = group + (in_y_origin * p->input_w + in_x_origin) * p->input_c;
                        const int8_t *w = filter_c;
                        for (int32_t fy = 0; fy < p->filter_h; ++fy, x += row_step) {
                            const int8_t *run = x;
                            for (int32_t r = 0; r < runs_per_row; ++r, run += run_step, w += run_len) {
                                if (count == 2) {
                                    dot2(w, run, run + pixel_step, run_len, &acc[0], &acc[1]);
                                } else {
                                    acc[0] += dot1(w, run, run_len);
                                }
                            }
                        }
                    } else {
                        acc[0] = bias_c + border_acc(p, group, filter_c, in_y_origin, in_x_origin, row_is_one_run);
                    }
                    for (int32_t k = 0; k < count; ++k) {
                        const int32_t scaled = tg_multiply_by_quantized_multiplier(acc[k], multiplier, shift);
                        *out = (int8_t)tg_clamp_i32(scaled + p->output_offset, p->act_min, p->act_max);
                        out += p->output_c;
                    }
                    out_x += count;
                }
            }
        }
    }
}
