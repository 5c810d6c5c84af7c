/* Window arithmetic shared by the convolution kernels. */
#ifndef TG_WINDOW_H
#define TG_WINDOW_H

#include <stdint.h>

#include "tg_kernels.h"

/* The first input row (column) of the window of output row out_y (column out_x); negative in the padding. */
static inline int32_t tg_window_origin_y(const tg_window_t *w, int32_t out_y)
{
    return out_y * w->stride_h - w->pad_h;
}

static inline int32_t tg_window_origin_x(const tg_window_t *w, int32_t out_x)
{
    return out_x * w->stride_w - w->pad_w;
}

/* The indices [*first, *end) among 0 .. count - 1 whose positions origin + step * index lie inside
 * [0, size): along one axis, the taps of a window that read the image (step: the dilation), or the
 * output pixels whose windows lie inside it (step: the stride). */
static inline void tg_indices_inside(int32_t origin, int32_t step, int32_t count, int32_t size, int32_t *first,
                                  int32_t *end)
{
    int32_t f = 0, e = count;
    while (f < e && origin + step * f < 0) {
        ++f;
    }
    while (e > f && origin + step * (e - 1) >= size) {
        --e;
    }
    *first = f;
    *end = e;
}

#endif /* TG_WINDOW_H */
