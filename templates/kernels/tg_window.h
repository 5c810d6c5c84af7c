/* Window arithmetic shared by the convolution kernels. */
#ifndef TG_WINDOW_H
#define TG_WINDOW_H

#include <stdint.h>

/* The taps [*first, *end) of one filter axis whose inputs, at origin + dilation * tap, lie inside
 * [0, size): the taps a window overlapping the padding reads. */
static inline void tg_taps_inside(int32_t origin, int32_t dilation, int32_t taps, int32_t size, int32_t *first,
                                  int32_t *end)
{
    int32_t f = 0, e = taps;
    while (f < e && origin + dilation * f < 0) {
        ++f;
    }
    while (e > f && origin + dilation * (e - 1) >= size) {
        --e;
    }
    *first = f;
    *end = e;
}

#endif /* TG_WINDOW_H */
