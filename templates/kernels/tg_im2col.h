/* im2col for the CONV_2D kernels over tg_conv_dsp_params_t (tg_conv_s8_dsp.c and the sparse product
 * kernels): an output pixel's receptive field gathered into a contiguous field of filter_h x filter_w x
 * input_c bytes, the OHWI order of a filter row. Taps in the padding read pad_value, the input zero point:
 * with the input offset folded into the bias, their term weight * (zero point + input_offset) is 0, as
 * TFLM's skipped taps add nothing. */
#ifndef TG_IM2COL_H
#define TG_IM2COL_H

#include <string.h>

#include "tg_kernels.h"
#include "tg_window.h"

/* Where the receptive field of an output pixel lies: its first input row and column, and the taps
 * [first, last) of each filter row that lie inside the image's width. */
typedef struct {
    int32_t in_y0, in_x0, first, last;
} tg_im2col_window_t;

static inline tg_im2col_window_t tg_im2col_window(const tg_conv_dsp_params_t *p, int32_t out_y, int32_t out_x)
{
    tg_im2col_window_t w = {tg_window_origin_y(&p->window, out_y), tg_window_origin_x(&p->window, out_x), 0, 0};
    w.first = w.in_x0 < 0 ? -w.in_x0 : 0;
    w.last = p->input_w - w.in_x0 < p->window.filter_w ? p->input_w - w.in_x0 : p->window.filter_w;
    w.last = w.last < w.first ? w.first : w.last;
    return w;
}

static inline int tg_im2col_row_inside(const tg_conv_dsp_params_t *p, int32_t in_y)
{
    return in_y >= 0 && in_y < p->input_h;
}

/* n bytes of value at field, or n bytes from `from`; each returns the byte after them. Short loops, not
 * memset and memcpy calls: the rows gathered here are a few bytes (tg_conv_s8_dsp.c splits rows of whole
 * words straight from the image). */
static inline int8_t *tg_fill_bytes(int8_t *field, int8_t value, int32_t n)
{
    for (; n > 0; --n) {
        *field++ = value;
    }
    return field;
}

static inline int8_t *tg_copy_bytes(int8_t *field, const int8_t *from, int32_t n)
{
    for (; n >= 4; n -= 4, field += 4, from += 4) {
        memcpy(field, from, 4);     /* one unaligned word load and store */
    }
    for (; n > 0; --n) {
        *field++ = *from++;
    }
    return field;
}

/* The receptive field of output pixel (out_y, out_x) into field: filter_h rows of filter_w taps. */
static void tg_im2col_gather(const tg_conv_dsp_params_t *p, const int8_t *image, int32_t out_y, int32_t out_x,
                             int8_t *field)
{
    const tg_im2col_window_t w = tg_im2col_window(p, out_y, out_x);
    const int32_t c = p->input_c;
    const int8_t pad = (int8_t)p->pad_value;
    for (int32_t fy = 0; fy < p->window.filter_h; ++fy) {
        const int32_t in_y = w.in_y0 + fy;
        if (!tg_im2col_row_inside(p, in_y)) {
            field = tg_fill_bytes(field, pad, p->window.filter_w * c);
            continue;
        }
        field = tg_fill_bytes(field, pad, w.first * c);
        field = tg_copy_bytes(field, image + (in_y * p->input_w + w.in_x0 + w.first) * c, (w.last - w.first) * c);
        field = tg_fill_bytes(field, pad, (p->window.filter_w - w.last) * c);
    }
}

/* The next output pixel after (y, x), row by row. */
static inline void tg_im2col_next_pixel(const tg_conv_dsp_params_t *p, int32_t *y, int32_t *x)
{
    if (++*x == p->output_w) {
        *x = 0;
        ++*y;
    }
}

#endif /* TG_IM2COL_H */
