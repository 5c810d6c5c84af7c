/* im2col for the CONV_2D kernels over tg_conv_dsp_params_t (tg_conv_s8_dsp.c and the sparse product
 * kernels): an output pixel's receptive field gathered into a contiguous field of filter_h x filter_w x
 * input_c bytes, the OHWI order of a filter row. Taps in the padding read pad_value, the input zero point:
 * with the input offset folded into the bias, their term weight * (zero point + input_offset) is 0, as
 * TFLM's skipped taps add nothing. */
#ifndef TG_IM2COL_H
#define TG_IM2COL_H

#include <string.h>

#include "tg_kernels.h"

/* The receptive field of output pixel (out_y, out_x) into field: filter_h rows of filter_w taps. */
static void tg_im2col_gather(const tg_conv_dsp_params_t *p, const int8_t *image, int32_t out_y, int32_t out_x,
                             int8_t *field)
{
    const int32_t in_y0 = out_y * p->stride_h - p->pad_h, in_x0 = out_x * p->stride_w - p->pad_w;
    const int32_t c = p->input_c, row_bytes = p->filter_w * c;
    /* The taps [first, last) of a row lie inside the image's width. */
    const int32_t first = in_x0 < 0 ? -in_x0 : 0;
    int32_t last = p->input_w - in_x0 < p->filter_w ? p->input_w - in_x0 : p->filter_w;
    last = last < first ? first : last;
    for (int32_t fy = 0; fy < p->filter_h; ++fy, field += row_bytes) {
        const int32_t in_y = in_y0 + fy;
        if (in_y < 0 || in_y >= p->input_h) {
            memset(field, p->pad_value, (size_t)row_bytes);
            continue;
        }
        memset(field, p->pad_value, (size_t)(first * c));
        memcpy(field + first * c, image + (in_y * p->input_w + in_x0 + first) * c, (size_t)((last - first) * c));
        memset(field + last * c, p->pad_value, (size_t)((p->filter_w - last) * c));
    }
}

/* Moves (y, x) to the next output pixel, row after row. */
static inline void tg_im2col_next_pixel(const tg_conv_dsp_params_t *p, int32_t *y, int32_t *x)
{
    if (++*x == p->output_w) {
        *x = 0;
        ++*y;
    }
}

#endif /* TG_IM2COL_H */
