/* The int8 product of the DSP variants (tg_product_t), shared by the matrix product
 * (tg_matmul_s8_dsp.c) and the im2col convolution (tg_conv_s8_dsp.c): output pixels against every
 * channel's weights, over `depth` int8 values that lie contiguous in memory for each pixel.
 *
 * Four int8 values per 32-bit word: SXTB16 splits a word into its even bytes and (rotated by 8) its
 * odd bytes, each as two signed halfwords; SMLAD multiplies two halfword pairs and adds both products.
 * The inputs of two pixels are split once into `split` (tg_product_split_bytes), and then serve every
 * channel; each weight word is split as it is loaded, alike, so equal depths pair up and the weights
 * keep their layout: no shuffles. Register blocking: 2 pixels x 2 channels per pass over the depth,
 * 4 accumulators, each split weight word used by both pixels. Tails: a last odd pixel or channel, and
 * the last depth % 4 values (plain multiply-adds on the int8 data). The bias is the folded one
 * (bias + input_offset * sum of the channel's weights), the requantization TFLM's (tg_requant_dsp.h). */
#ifndef TG_PRODUCT_DSP_H
#define TG_PRODUCT_DSP_H

#include "tg_acle.h"
#include "tg_kernels.h"
#include "tg_requant_dsp.h"

/* Two pixels, each depth / 4 words as two words of halfword pairs. */
static inline int32_t tg_product_split_bytes(int32_t depth)
{
    return 16 * (depth / 4);
}

/* Splits one pixel's depth / 4 input words into their even and odd halfword pairs, stride words apart. */
static void split_pixel(const int8_t *input, int32_t groups, uint32_t *split, int32_t stride)
{
    for (int32_t g = 0; g < groups; ++g) {
        const uint32_t x = tg_load_u32(input + 4 * g);
        split[0] = tg_sxtb16(x);
        split[1] = tg_sxtb16_ror8(x);
        split += stride;
    }
}

static inline int32_t dot_tail(const int8_t *a, const int8_t *b, int32_t from, int32_t depth)
{
    int32_t acc = 0;
    for (int32_t d = from; d < depth; ++d) {
        acc += (int32_t)a[d] * b[d];
    }
    return acc;
}

/* Two pixels (split interleaved, 4 words per group) against two weight rows:
 * acc = {pixel 0 . w0, pixel 0 . w1, pixel 1 . w0, pixel 1 . w1} over the groups. */
static inline void dot_2x2(const uint32_t *split, int32_t groups, const int8_t *w0, const int8_t *w1, int32_t acc[4])
{
    int32_t acc00 = 0, acc01 = 0, acc10 = 0, acc11 = 0;
    for (const uint32_t *end = split + 4 * groups; split != end;) {
        const uint32_t y0 = tg_load_u32(w0), y1 = tg_load_u32(w1);
        const uint32_t y0_even = tg_sxtb16(y0), y0_odd = tg_sxtb16_ror8(y0);
        acc00 = tg_smlad(split[0], y0_even, tg_smlad(split[1], y0_odd, acc00));
        acc10 = tg_smlad(split[2], y0_even, tg_smlad(split[3], y0_odd, acc10));
        const uint32_t y1_even = tg_sxtb16(y1), y1_odd = tg_sxtb16_ror8(y1);
        acc01 = tg_smlad(split[0], y1_even, tg_smlad(split[1], y1_odd, acc01));
        acc11 = tg_smlad(split[2], y1_even, tg_smlad(split[3], y1_odd, acc11));
        split += 4;
        w0 += 4;
        w1 += 4;
    }
    acc[0] = acc00;
    acc[1] = acc01;
    acc[2] = acc10;
    acc[3] = acc11;
}

/* Two pixels (split interleaved) against one weight row: acc = {pixel 0 . w, pixel 1 . w}. */
static inline void dot_2x1(const uint32_t *split, int32_t groups, const int8_t *w, int32_t acc[2])
{
    int32_t acc0 = 0, acc1 = 0;
    for (const uint32_t *end = split + 4 * groups; split != end;) {
        const uint32_t y = tg_load_u32(w);
        const uint32_t y_even = tg_sxtb16(y), y_odd = tg_sxtb16_ror8(y);
        acc0 = tg_smlad(split[0], y_even, tg_smlad(split[1], y_odd, acc0));
        acc1 = tg_smlad(split[2], y_even, tg_smlad(split[3], y_odd, acc1));
        split += 4;
        w += 4;
    }
    acc[0] = acc0;
    acc[1] = acc1;
}

/* One pixel (split, 2 words per group) against two weight rows: acc = {pixel . w0, pixel . w1}. */
static inline void dot_1x2(const uint32_t *split, int32_t groups, const int8_t *w0, const int8_t *w1, int32_t acc[2])
{
    int32_t acc0 = 0, acc1 = 0;
    for (const uint32_t *end = split + 2 * groups; split != end;) {
        const uint32_t y0 = tg_load_u32(w0), y1 = tg_load_u32(w1);
        acc0 = tg_smlad(split[0], tg_sxtb16(y0), tg_smlad(split[1], tg_sxtb16_ror8(y0), acc0));
        acc1 = tg_smlad(split[0], tg_sxtb16(y1), tg_smlad(split[1], tg_sxtb16_ror8(y1), acc1));
        split += 2;
        w0 += 4;
        w1 += 4;
    }
    acc[0] = acc0;
    acc[1] = acc1;
}

static inline int32_t dot_1x1(const uint32_t *split, int32_t groups, const int8_t *w)
{
    int32_t acc = 0;
    for (const uint32_t *end = split + 2 * groups; split != end;) {
        const uint32_t y = tg_load_u32(w);
        acc = tg_smlad(split[0], tg_sxtb16(y), tg_smlad(split[1], tg_sxtb16_ror8(y), acc));
        split += 2;
        w += 4;
    }
    return acc;
}

/* What every output of a run needs, copied to the stack: the compiler then knows that the int8 output
 * stores leave it unchanged, and keeps it in registers instead of reloading it after each store. */
typedef struct {
    tg_requant_t requant;
    const int32_t *folded_bias;
    int32_t depth, groups, tail_from;
} run_t;

static inline run_t run_of(const tg_product_t *p, const int32_t *folded_bias)
{
    const run_t run = {p->requant, folded_bias, p->depth, p->depth / 4, p->depth / 4 * 4};
    return run;
}

/* The output of `channel` for a pixel: acc (the words' products) plus the depth's tail, requantized. */
static inline int8_t output_value(const run_t *run, const int8_t *in, const int8_t *w, int32_t channel, int32_t acc)
{
    acc += dot_tail(in, w, run->tail_from, run->depth) + run->folded_bias[channel];
    return tg_requantize_dsp(acc, &run->requant, run->requant.per_channel ? channel : 0);
}

/* Output pixels px and px + 1 of a run: all channels. */
static void tg_product_pixel_pair(const tg_product_t *p, const int8_t *in0, const int8_t *in1,
                                  const int8_t *filter, const int32_t *folded_bias, uint32_t *split, int8_t *out0,
                                  int8_t *out1)
{
    const run_t run = run_of(p, folded_bias);
    split_pixel(in0, run.groups, split, 4);
    split_pixel(in1, run.groups, split + 2, 4);
    int32_t c = 0;
    for (; c + 2 <= p->channels; c += 2) {
        const int8_t *w0 = filter + c * run.depth, *w1 = w0 + run.depth;
        int32_t acc[4];
        dot_2x2(split, run.groups, w0, w1, acc);
        out0[c] = output_value(&run, in0, w0, c, acc[0]);
        out0[c + 1] = output_value(&run, in0, w1, c + 1, acc[1]);
        out1[c] = output_value(&run, in1, w0, c, acc[2]);
        out1[c + 1] = output_value(&run, in1, w1, c + 1, acc[3]);
    }
    if (c < p->channels) {      /* a last odd channel: one weight row against both pixels */
        const int8_t *w = filter + c * run.depth;
        int32_t acc[2];
        dot_2x1(split, run.groups, w, acc);
        out0[c] = output_value(&run, in0, w, c, acc[0]);
        out1[c] = output_value(&run, in1, w, c, acc[1]);
    }
}

/* A last odd output pixel of a run: all channels. */
static void tg_product_single_pixel(const tg_product_t *p, const int8_t *in, const int8_t *filter,
                                    const int32_t *folded_bias, uint32_t *split, int8_t *out)
{
    const run_t run = run_of(p, folded_bias);
    split_pixel(in, run.groups, split, 2);
    int32_t c = 0;
    for (; c + 2 <= p->channels; c += 2) {
        int32_t acc[2];
        dot_1x2(split, run.groups, filter + c * run.depth, filter + (c + 1) * run.depth, acc);
        out[c] = output_value(&run, in, filter + c * run.depth, c, acc[0]);
        out[c + 1] = output_value(&run, in, filter + (c + 1) * run.depth, c + 1, acc[1]);
    }
    if (c < p->channels) {
        const int8_t *w = filter + c * run.depth;
        out[c] = output_value(&run, in, w, c, dot_1x1(split, run.groups, w));
    }
}

#endif /* TG_PRODUCT_DSP_H */
