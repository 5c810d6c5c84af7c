/* MAX_POOL_2D, int8: the maximum over the part of the window inside the image, then the fused
 * activation's clamp (input and output share scale and zero point).
 * Portable C, the only variant: chosen on every core. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"
#include "tg_window.h"

void tg_maxpool_s8(const tg_pool_params_t *p, const int8_t *input, int8_t *output)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        for (int32_t out_y = 0; out_y < p->output_h; ++out_y) {
            const int32_t in_y_origin = tg_window_origin_y(&p->window, out_y);
            const int32_t fy_start = tg_max_i32(0, -in_y_origin);
            const int32_t fy_end = tg_min_i32(p->window.filter_h, p->input_h - in_y_origin);
            for (int32_t out_x = 0; out_x < p->output_w; ++out_x) {
                const int32_t in_x_origin = tg_window_origin_x(&p->window, out_x);
                const int32_t fx_start = tg_max_i32(0, -in_x_origin);
                const int32_t fx_end = tg_min_i32(p->window.filter_w, p->input_w - in_x_origin);
                for (int32_t c = 0; c < p->channels; ++c) {
                    int32_t max = INT8_MIN;
                    for (int32_t fy = fy_start; fy < fy_end; ++fy) {
                        for (int32_t fx = fx_start; fx < fx_end; ++fx) {
                            const int32_t in_y = in_y_origin + fy;
                            const int32_t in_x = in_x_origin + fx;
                            max = tg_max_i32(max, input[((b * p->input_h + in_y) * p->input_w + in_x) * p->channels + c]);
                        }
                    }
                    output[((b * p->output_h + out_y) * p->output_w + out_x) * p->channels + c] =
                        (int8_t)tg_clamp_i32(max, p->clamp.act_min, p->clamp.act_max);
                }
            }
        }
    }
}
