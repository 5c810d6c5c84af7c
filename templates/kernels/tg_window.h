/* Window arithmetic shared by the convolution kernels. */
#ifndef TG_WINDOW_H
#define TG_WINDOW_H

#include <stdint.h>

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
