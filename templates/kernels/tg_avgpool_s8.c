/* AVERAGE_POOL_2D, int8: the mean over the part of the window inside the image, rounded half away
 * from zero (TFLM reference arithmetic; input and output share scale and zero point).
 * Portable C, the only variant: chosen on every core. Four channels per pass over the window, so
 * each window position's address is computed once for four sums. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"
#include "tg_window.h"

static inline int8_t average(int32_t sum, int32_t count, const tg_pool_params_t *p)
{
    if (count > 0) {
        sum = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
    }
    return (int8_t)tg_clamp_i32(sum, p->clamp.act_min, p->clamp.act_max);
}

/* The sums of `lanes` (1 or 4) adjacent channels over rows x cols window positions inside the image;
 * first is the top-left position's first channel. */
static void window_sums(const tg_pool_params_t *p, const int8_t *first, int32_t rows, int32_t cols, int32_t lanes,
                        int32_t sums[4])
{
    const int32_t row_step = p->input_w * p->channels;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int32_t row = 0; row < rows; ++row, first += row_step) {
        const int8_t *x = first;
        for (int32_t col = 0; col < cols; ++col, x += p->channels) {
            s0 += x[0];
            if (lanes == 4) {
                s1 += x[1];
                s2 += x[2];
                s3 += x[3];
            }
        }
    }
    sums[0] = s0;
    sums[1] = s1;
    sums[2] = s2;
    sums[3] = s3;
}

void tg_avgpool_s8(const tg_pool_params_t *p, const int8_t *input, int8_t *output)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * p->input_h * p->input_w * p->channels;
        for (int32_t out_y = 0; out_y < p->output_h; ++out_y) {
            const int32_t in_y_origin = tg_window_origin_y(&p->window, out_y);
            const int32_t y_start = tg_max_i32(0, -in_y_origin);
            const int32_t rows = tg_min_i32(p->window.filter_h, p->input_h - in_y_origin) - y_start;
            for (int32_t out_x = 0; out_x < p->output_w; ++out_x, output += p->channels) {
                const int32_t in_x_origin = tg_window_origin_x(&p->window, out_x);
                const int32_t x_start = tg_max_i32(0, -in_x_origin);
                const int32_t cols = tg_min_i32(p->window.filter_w, p->input_w - in_x_origin) - x_start;
                const int32_t count = rows * cols;
                const int8_t *first =
                    image + ((in_y_origin + y_start) * p->input_w + in_x_origin + x_start) * p->channels;
                int32_t c = 0;
                for (; c + 4 <= p->channels; c += 4) {
                    int32_t sums[4];
                    window_sums(p, first + c, rows, cols, 4, sums);
                    for (int32_t lane = 0; lane < 4; ++lane) {
                        output[c + lane] = average(sums[lane], count, p);
                    }
                }
                for (; c < p->channels; ++c) {
                    int32_t sums[4];
                    window_sums(p, first + c, rows, cols, 1, sums);
                    output[c] = average(sums[0], count, p);
                }
            }
        }
    }
}
