/* DEPTHWISE_CONV_2D, int8, per-channel requantization, any depth multiplier (TFLM reference
 * arithmetic). Filter layout 1HWC with C = input_c * depth_multiplier. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"

void tg_depthwise_conv_s8(const tg_depthwise_conv_params_t *p, const int8_t *input, const int8_t *filter,
                          const int32_t *bias, int8_t *output)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        for (int32_t out_y = 0; out_y < p->output_h; ++out_y) {
            const int32_t in_y_origin = out_y * p->stride_h - p->pad_h;
            for (int32_t out_x = 0; out_x < p->output_w; ++out_x) {
                const int32_t in_x_origin = out_x * p->stride_w - p->pad_w;
                int8_t *out = output + ((b * p->output_h + out_y) * p->output_w + out_x) * p->output_c;
                for (int32_t ic = 0; ic < p->input_c; ++ic) {
                    for (int32_t m = 0; m < p->depth_multiplier; ++m) {
                        const int32_t oc = ic * p->depth_multiplier + m;
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
                                const int32_t in = input[((b * p->input_h + in_y) * p->input_w + in_x) * p->input_c + ic];
                                const int32_t w = filter[(fy * p->filter_w + fx) * p->output_c + oc];
                                acc += w * (in + p->input_offset);
                            }
                        }
                        if (bias) {
                            acc += bias[oc];
                        }
                        acc = tg_multiply_by_quantized_multiplier(acc, p->multipliers[oc], p->shifts[oc]);
                        out[oc] = (int8_t)tg_clamp_i32(acc + p->output_offset, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}
