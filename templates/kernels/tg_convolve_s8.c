/* CONV_2D, int8 activations and weights, int32 bias, per-channel requantization (TFLM reference
 * arithmetic). Filter layout OHWI; grouped convolution when input_c is a multiple of filter_c. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"

void tg_convolve_s8(const tg_conv_params_t *p, const int8_t *input, const int8_t *filter, const int32_t *bias,
                    int8_t *output)
{
    const int32_t filters_per_group = p->output_c / (p->input_c / p->filter_c);
    for (int32_t b = 0; b < p->batches; ++b) {
        for (int32_t out_y = 0; out_y < p->output_h; ++out_y) {
            const int32_t in_y_origin = out_y * p->stride_h - p->pad_h;
            for (int32_t out_x = 0; out_x < p->output_w; ++out_x) {
                const int32_t in_x_origin = out_x * p->stride_w - p->pad_w;
                for (int32_t out_c = 0; out_c < p->output_c; ++out_c) {
                    const int32_t group_first_channel = (out_c / filters_per_group) * p->filter_c;
                    const int8_t *filter_c = filter + out_c * p->filter_h * p->filter_w * p->filter_c;
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
                            const int8_t *in = input + ((b * p->input_h + in_y) * p->input_w + in_x) * p->input_c
                                               + group_first_channel;
                            const int8_t *w = filter_c + (fy * p->filter_w + fx) * p->filter_c;
                            for (int32_t ic = 0; ic < p->filter_c; ++ic) {
                                acc += (int32_t)w[ic] * ((int32_t)in[ic] + p->input_offset);
                            }
                        }
                    }
                    if (bias) {
                        acc += bias[out_c];
                    }
                    acc = tg_multiply_by_quantized_multiplier(acc, p->multipliers[out_c], p->shifts[out_c]);
                    acc = tg_clamp_i32(acc + p->output_offset, p->act_min, p->act_max);
                    output[((b * p->output_h + out_y) * p->output_w + out_x) * p->output_c + out_c] = (int8_t)acc;
                }
            }
        }
    }
}
