/* Walks the output of a broadcast element-wise op in order, tracking where each input element is. */
#ifndef TG_BROADCAST_H
#define TG_BROADCAST_H

#include "tg_kernels.h"

typedef struct {
    int32_t index[TG_MAX_DIMS];
    int32_t offset1, offset2;
} tg_broadcast_cursor_t;

static inline int32_t tg_broadcast_size(const tg_broadcast_t *b)
{
    int32_t size = 1;
    for (int d = 0; d < TG_MAX_DIMS; ++d) {
        size *= b->output_shape[d];
    }
    return size;
}

static inline void tg_broadcast_next(const tg_broadcast_t *b, tg_broadcast_cursor_t *c)
{
    for (int d = TG_MAX_DIMS - 1; d >= 0; --d) {
        c->offset1 += b->input1_strides[d];
        c->offset2 += b->input2_strides[d];
        if (++c->index[d] < b->output_shape[d]) {
            return;
        }
        c->offset1 -= b->input1_strides[d] * b->output_shape[d];
        c->offset2 -= b->input2_strides[d] * b->output_shape[d];
        c->index[d] = 0;
    }
}

#endif /* TG_BROADCAST_H */
