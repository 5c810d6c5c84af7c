/* The int8 product of the DSP variants (tg_product_dsp.h), one compiled copy for every kernel that
 * uses it.
 *
 * Four int8 values per 32-bit word: SXTB16 splits a word into its even bytes and (rotated by 8) its
 * odd bytes, each as two signed halfwords; SMLAD multiplies two halfword pairs and adds both products.
 * The inputs of two pixels are split once into `split` (split_pixel), and then serve every channel;
 * each weight word is split as it is loaded, alike, so equal depths pair up and the weights keep their
 * layout: no shuffles. Register blocking: 2 pixels x 2 channels per pass over the depth, 4
 * accumulators, each split weight word used by both pixels, one pixel's split pair loaded by one LDRD.
 * Tails: a last odd pixel or channel, and the last depth % 4 values (plain multiply-adds on the int8
 * data, skipped when depth is a multiple of 4). The bias is the folded one (bias + input_offset * sum
 * of the channel's weights), the requantization TFLM's (tg_requant_dsp.h). */
#include "tg_product_dsp.h"

#include "tg_acle.h"
#include "tg_requant_dsp.h"

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

/* The even and odd halfword pairs of one pixel's group, side by side in the split: one LDRD. */
typedef struct {
    uint32_t even, odd;
} split_pair_t;

static inline split_pair_t next_pair(const uint32_t **split)
{
    split_pair_t pair;
    tg_load_2u32_advance(split, &pair.even, &pair.odd);
    return pair;
}

static inline int32_t dot_tail(const int8_t *a, const int8_t *b, int32_t from, int32_t depth)
{
    int32_t acc = 0;
    for (int32_t d = from; d < depth; ++d) {
        acc += (int32_t)a[d] * b[d];
    }
    return acc;
}

/* A split word pair (one pixel's group) times a weight word split into even and odd halfword pairs. */
static inline int32_t smlad_group(split_pair_t x, uint32_t y_even, uint32_t y_odd, int32_t acc)
{
    return tg_smlad(x.even, y_even, tg_smlad(x.odd, y_odd, acc));
}

/* What a run of outputs needs, copied to the stack: the compiler then knows that the int8 output
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

/* The output of `channel` for an accumulator (the words' products plus the depth's tail). */
static inline int8_t output_value(const run_t *run, int32_t channel, int32_t acc)
{
    return tg_requantize_dsp(acc + run->folded_bias[channel], &run->requant, run->requant.per_channel ? channel : 0);
}

/* Two pixels (split interleaved, 4 words per group) against the weight rows w0 and w0 + depth, over
 * the whole words: acc = {pixel 0 . w0, pixel 0 . w1, pixel 1 . w0, pixel 1 . w1}. Not inlined: the
 * loop needs all the registers the core has. */
static __attribute__((noinline)) void dot_2x2(const uint32_t *split, const uint32_t *split_end, const int8_t *w0,
                                              int32_t depth, int32_t acc[4])
{
    const int8_t *w1 = w0 + depth;
    int32_t acc00 = 0, acc01 = 0, acc10 = 0, acc11 = 0;
    while (split != split_end) {
        const uint32_t y0 = tg_load_u32(w0), y1 = tg_load_u32(w1);
        w0 += 4;
        w1 += 4;
        const uint32_t y0_even = tg_sxtb16(y0), y0_odd = tg_sxtb16_ror8(y0);
        const uint32_t y1_even = tg_sxtb16(y1), y1_odd = tg_sxtb16_ror8(y1);
        const split_pair_t x0 = next_pair(&split);
        acc00 = smlad_group(x0, y0_even, y0_odd, acc00);
        acc01 = smlad_group(x0, y1_even, y1_odd, acc01);
        const split_pair_t x1 = next_pair(&split);
        acc10 = smlad_group(x1, y0_even, y0_odd, acc10);
        acc11 = smlad_group(x1, y1_even, y1_odd, acc11);
    }
    acc[0] = acc00;
    acc[1] = acc01;
    acc[2] = acc10;
    acc[3] = acc11;
}

/* Two pixels against weight rows w0 and w0 + depth from `channel`: the words, the tail, requantized. */
static inline void block_2x2(const run_t *run, const uint32_t *split, const int8_t *in0, const int8_t *in1,
                             const int8_t *w0, int32_t channel, int8_t *out0, int8_t *out1)
{
    int32_t acc[4];
    dot_2x2(split, split + 4 * run->groups, w0, run->depth, acc);
    if (run->tail_from != run->depth) {
        const int32_t from = run->tail_from, depth = run->depth;
        const int8_t *w1 = w0 + depth;
        acc[0] += dot_tail(in0, w0, from, depth);
        acc[1] += dot_tail(in0, w1, from, depth);
        acc[2] += dot_tail(in1, w0, from, depth);
        acc[3] += dot_tail(in1, w1, from, depth);
    }
    /* All four values before any store: an int8 store could alias what the requantization reads. */
    const int8_t v00 = output_value(run, channel, acc[0]), v01 = output_value(run, channel + 1, acc[1]);
    const int8_t v10 = output_value(run, channel, acc[2]), v11 = output_value(run, channel + 1, acc[3]);
    out0[channel] = v00;
    out0[channel + 1] = v01;
    out1[channel] = v10;
    out1[channel + 1] = v11;
}

/* Two pixels (split interleaved) against the weight row w of `channel`. */
static inline void block_2x1(const run_t *run, const uint32_t *split, const int8_t *in0, const int8_t *in1,
                             const int8_t *w, int32_t channel, int8_t *out0, int8_t *out1)
{
    int32_t acc0 = 0, acc1 = 0;
    for (int32_t g = run->groups; g > 0; --g) {
        const uint32_t y = tg_load_u32(w);
        const uint32_t y_even = tg_sxtb16(y), y_odd = tg_sxtb16_ror8(y);
        acc0 = smlad_group(next_pair(&split), y_even, y_odd, acc0);
        acc1 = smlad_group(next_pair(&split), y_even, y_odd, acc1);
        w += 4;
    }
    w -= run->tail_from;
    acc0 += dot_tail(in0, w, run->tail_from, run->depth);
    acc1 += dot_tail(in1, w, run->tail_from, run->depth);
    const int8_t v0 = output_value(run, channel, acc0), v1 = output_value(run, channel, acc1);
    out0[channel] = v0;
    out1[channel] = v1;
}

/* One pixel (split, 2 words per group) against weight rows w0 and w1 from `channel`. */
static inline void block_1x2(const run_t *run, const uint32_t *split, const int8_t *in, const int8_t *w0,
                             int32_t channel, int8_t *out)
{
    const int8_t *w1 = w0 + run->depth;
    int32_t acc0 = 0, acc1 = 0;
    for (int32_t g = run->groups; g > 0; --g) {
        const uint32_t y0 = tg_load_u32(w0), y1 = tg_load_u32(w1);
        const split_pair_t x = next_pair(&split);
        acc0 = smlad_group(x, tg_sxtb16(y0), tg_sxtb16_ror8(y0), acc0);
        acc1 = smlad_group(x, tg_sxtb16(y1), tg_sxtb16_ror8(y1), acc1);
        w0 += 4;
        w1 += 4;
    }
    w0 -= run->tail_from;
    w1 -= run->tail_from;
    acc0 += dot_tail(in, w0, run->tail_from, run->depth);
    acc1 += dot_tail(in, w1, run->tail_from, run->depth);
    const int8_t v0 = output_value(run, channel, acc0), v1 = output_value(run, channel + 1, acc1);
    out[channel] = v0;
    out[channel + 1] = v1;
}

/* One pixel against the weight row w of `channel`. */
static inline void block_1x1(const run_t *run, const uint32_t *split, const int8_t *in, const int8_t *w,
                             int32_t channel, int8_t *out)
{
    int32_t acc = 0;
    for (int32_t g = run->groups; g > 0; --g) {
        const uint32_t y = tg_load_u32(w);
        acc = smlad_group(next_pair(&split), tg_sxtb16(y), tg_sxtb16_ror8(y), acc);
        w += 4;
    }
    w -= run->tail_from;
    out[channel] = output_value(run, channel, acc + dot_tail(in, w, run->tail_from, run->depth));
}

void tg_product_pixel_pair(const tg_product_t *p, const int8_t *in0, const int8_t *in1, const int8_t *filter,
                           const int32_t *folded_bias, uint32_t *split, int8_t *out0, int8_t *out1)
{
    const run_t run = run_of(p, folded_bias);
    split_pixel(in0, run.groups, split, 4);
    split_pixel(in1, run.groups, split + 2, 4);
    int32_t c = 0;
    for (; c + 2 <= p->channels; c += 2) {
        block_2x2(&run, split, in0, in1, filter + c * run.depth, c, out0, out1);
    }
    if (c < p->channels) {      /* a last odd channel: one weight row against both pixels */
        block_2x1(&run, split, in0, in1, filter + c * run.depth, c, out0, out1);
    }
}

void tg_product_single_pixel(const tg_product_t *p, const int8_t *in, const int8_t *filter,
                             const int32_t *folded_bias, uint32_t *split, int8_t *out)
{
    const run_t run = run_of(p, folded_bias);
    split_pixel(in, run.groups, split, 2);
    int32_t c = 0;
    for (; c + 2 <= p->channels; c += 2) {
        block_1x2(&run, split, in, filter + c * run.depth, c, out);
    }
    if (c < p->channels) {
        block_1x1(&run, split, in, filter + c * run.depth, c, out);
    }
}
