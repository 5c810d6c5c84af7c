/* Sparse int8 weights against two output pixels at a time: what the sparse product kernels
 * (tg_conv_sparse_list_s8.c, tg_conv_sparse_bitmap_s8_dsp.c) share. They run over tg_conv_dsp_params_t,
 * which serves CONV_2D without groups or dilation, and FULLY_CONNECTED as a 1 x batches image of
 * accum_depth channels under a 1x1 filter.
 *
 * The inputs of two output pixels (gathered receptive fields, or for a 1x1 filter the input pixels
 * themselves) are interleaved into `pairs`: word k holds input k of the first pixel in its low halfword
 * and of the second in its high halfword. A non-zero weight, loaded once, then serves both pixels
 * (SMLABB, SMLATB on their word), and the work follows the non-zero weights, not the depth. A last odd
 * pixel is paired with itself. The bias is the folded one (bias + input_offset * sum of the channel's
 * weights, which makes the padding's zero point add 0: tg_im2col.h), the requantization tg_requant_dsp.h's:
 * bit-exact with TFLM's reference kernels. */
#ifndef TG_SPARSE_PAIRS_H
#define TG_SPARSE_PAIRS_H

#include "tg_acle.h"
#include "tg_im2col.h"
#include "tg_requant_dsp.h"

/* The interleaved words, then two gathered fields, for a depth rounded up to whole words. */
static inline int32_t tg_sparse_pairs_scratch_bytes(int32_t depth)
{
    return 6 * 4 * ((depth + 3) / 4);
}

/* Interleaves depth inputs of two pixels into halfword pairs: four at a time, each word's bytes split
 * into sign-extended halfwords (SXTB16) and packed pixel beside pixel (the masks and shifts are PKHBT
 * and PKHTB). */
static inline void tg_sparse_pairs_interleave(const int8_t *in0, const int8_t *in1, int32_t depth, uint32_t *pairs)
{
    int32_t d = 0;
    for (; d + 4 <= depth; d += 4, pairs += 4) {
        const uint32_t a = tg_load_u32(in0 + d), b = tg_load_u32(in1 + d);
        const uint32_t a_even = tg_sxtb16(a), a_odd = tg_sxtb16_ror8(a);
        const uint32_t b_even = tg_sxtb16(b), b_odd = tg_sxtb16_ror8(b);
        pairs[0] = (a_even & 0xFFFFu) | (b_even << 16);
        pairs[1] = (a_odd & 0xFFFFu) | (b_odd << 16);
        pairs[2] = (a_even >> 16) | (b_even & 0xFFFF0000u);
        pairs[3] = (a_odd >> 16) | (b_odd & 0xFFFF0000u);
    }
    for (; d < depth; ++d) {
        *pairs++ = (uint16_t)in0[d] | ((uint32_t)(uint16_t)in1[d] << 16);
    }
}

/* The depth inputs of output pixel (y, x): the input pixel itself under a 1x1 filter without padding,
 * else its receptive field gathered into field. */
static inline const int8_t *tg_sparse_pairs_pixel(const tg_conv_dsp_params_t *p, const int8_t *image, int32_t y,
                                                  int32_t x, int8_t *field)
{
    if (p->window.filter_h == 1 && p->window.filter_w == 1 && p->window.pad_h == 0 && p->window.pad_w == 0) {
        return image + (y * p->window.stride_h * p->input_w + x * p->window.stride_w) * p->input_c;
    }
    tg_im2col_gather(p, image, y, x, field);
    return field;
}

/* Where the kernel stands: the image of batch `batch`, and in it the next output pixel (y, x). */
typedef struct {
    const int8_t *image;
    int32_t batch, y, x;
} tg_sparse_pairs_cursor_t;

static inline tg_sparse_pairs_cursor_t tg_sparse_pairs_start(const int8_t *input)
{
    const tg_sparse_pairs_cursor_t cursor = {input, 0, 0, 0};
    return cursor;
}

/* Interleaves the next two output pixels of the image (its last odd one with itself) into the scratch's
 * pairs, moves the cursor past them and returns how many there were: 2, 1, or 0 after the last batch. */
static inline int32_t tg_sparse_pairs_next(const tg_conv_dsp_params_t *p, tg_sparse_pairs_cursor_t *cursor,
                                           uint32_t *scratch)
{
    if (cursor->y == p->output_h) {
        cursor->image += p->input_h * p->input_w * p->input_c;
        cursor->y = 0;
        ++cursor->batch;
    }
    if (cursor->batch == p->batches) {
        return 0;
    }
    const int32_t depth = p->product.depth, word_bytes = 4 * ((depth + 3) / 4);
    int8_t *const field0 = (int8_t *)(void *)scratch + 4 * word_bytes, *const field1 = field0 + word_bytes;
    const int32_t both = (p->output_h - cursor->y) * p->output_w - cursor->x > 1;
    const int8_t *const in0 = tg_sparse_pairs_pixel(p, cursor->image, cursor->y, cursor->x, field0);
    tg_im2col_next_pixel(p, &cursor->y, &cursor->x);
    const int8_t *in1 = in0;
    if (both) {
        in1 = tg_sparse_pairs_pixel(p, cursor->image, cursor->y, cursor->x, field1);
        tg_im2col_next_pixel(p, &cursor->y, &cursor->x);
    }
    tg_sparse_pairs_interleave(in0, in1, depth, scratch);
    return 1 + both;
}

/* Channel c's outputs of the pair: the first pixel's, and the second's if there are two. Both are computed before
 * either is stored, so that the channel's constants are loaded once (an int8 store may alias them). */
static inline void tg_sparse_pairs_store(const tg_requant_t *r, int32_t c, int32_t acc0, int32_t acc1, int32_t pixels,
                                         int8_t *out0, int8_t *out1)
{
    const int32_t q = r->per_channel ? c : 0;
    const int8_t value0 = tg_requantize_dsp(acc0, r, q), value1 = tg_requantize_dsp(acc1, r, q);
    out0[c] = value0;
    if (pixels == 2) {
        out1[c] = value1;
    }
}

#endif /* TG_SPARSE_PAIRS_H */
