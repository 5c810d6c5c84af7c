/* The int8 product of the DSP variants (tg_product_dsp.h), one compiled copy for every kernel that
 * uses it.
 *
 * Four int8 values per 32-bit word: SXTB16 splits a word into its even bytes and (rotated by 8) its
 * odd bytes, each as two signed halfwords; SMLAD multiplies two halfword pairs and adds both products.
 * The inputs of a block's pixels are split once into `split` (tg_product_split), then serve every channel;
 * each weight word is split as it is loaded, alike, so equal depths pair up and the weights keep their
 * layout within a word: no shuffles. The generator pads each weight row with zeros to whole words (a
 * depth that is not a multiple of 4 ends in a partial word, the split pads the input alike: no tail
 * remains), and interleaves the rows of each pair of channels word by word (one LDRD loads a word of
 * both), or stacks them where that is exact (one SXTB16 per weight word: see pair_operands).
 * Register blocking: 3 pixels x 2 channels per pass over the depth (tg_product_pixel_triple), 6
 * accumulators starting from the folded bias (bias + input_offset * sum of the channel's weights), each
 * split weight word used by the three pixels, one pixel's split pair loaded by one LDRD and used by both
 * channels; the 6 sums are requantized straight from the registers, TFLM's requantization
 * (tg_requant_dsp.h; the triple needs it per channel). Pairs of pixels (gathered im2col fields, the last
 * pixels of a row, per-tensor requantization) use 2 x 2 blocks whose accumulators of up to CHUNK_CHANNELS
 * channels are made first, then requantized in one loop; a last odd channel or pixel goes on its own. */
#include "tg_product_dsp.h"

#include <stdbool.h>

#include "tg_acle.h"
#include "tg_requant_dsp.h"

/* The forms the model's product layers use, generated with it; compiled on its own (the kernel tests),
 * the product keeps every form. */
#if __has_include("tg_product_forms.h")
#include "tg_product_forms.h"
#else
#define TG_PRODUCT_WHOLE_RANGE 1
#define TG_PRODUCT_CLAMPED 1
#define TG_PRODUCT_PER_CHANNEL 1
#define TG_PRODUCT_PER_TENSOR 1
#define TG_PRODUCT_STACKED 1
#define TG_PRODUCT_PLAIN 1
#endif

/* A word of four int8 values split into its even and odd halfword pairs at split[0] and split[1]. */
static inline void split_word(uint32_t x, uint32_t *split)
{
    split[0] = tg_sxtb16(x);
    split[1] = tg_sxtb16_ror8(x);
}

/* Not inlined: one copy for every caller. */
__attribute__((noinline)) uint32_t *tg_product_split(const int8_t *input, int32_t depth, uint32_t *split,
                                                     int32_t stride)
{
    for (const int8_t *end = input + depth / 4 * 4; input != end; input += 4, split += stride) {
        split_word(tg_load_u32(input), split);
    }
    if (depth % 4) {    /* the last values, zero after them: their weights are zero there too */
        uint32_t x = 0;     /* little-endian, as the word loads above: byte k is bits 8k to 8k + 7 */
        for (int32_t k = 0; k < depth % 4; ++k) {
            x |= (uint32_t)(uint8_t)input[k] << (8 * k);
        }
        split_word(x, split);
        split += stride;
    }
    return split;
}

/* The three pixels of a triple (in, in + in_step, in + 2 * in_step) split as tg_product_split would each
 * (stride 6), their whole words in one loop. */
static void split_triple(const int8_t *in, int32_t in_step, int32_t depth, uint32_t *split)
{
    const int8_t *in1 = in + in_step, *in2 = in1 + in_step;
    for (const int8_t *end = in + depth / 4 * 4; in != end; in += 4, in1 += 4, in2 += 4, split += 6) {
        split_word(tg_load_u32(in), split);
        split_word(tg_load_u32(in1), split + 2);
        split_word(tg_load_u32(in2), split + 4);
    }
    if (depth % 4) {
        tg_product_split(in, depth % 4, split, 6);
        tg_product_split(in1, depth % 4, split + 2, 6);
        tg_product_split(in2, depth % 4, split + 4, 6);
    }
}

/* The even and odd halfword pairs of one pixel's group, side by side in the split: one LDRD. */
typedef struct {
    uint32_t even, odd;
} split_pair_t;

static inline split_pair_t next_pair(const uint32_t **split)
{
    split_pair_t pair;
    *split = tg_load_2u32_advance(*split, &pair.even, &pair.odd);
    return pair;
}

/* A split word pair (one pixel's group) times a weight word split into even and odd halfword pairs. */
static inline int32_t smlad_group(split_pair_t x, uint32_t y_even, uint32_t y_odd, int32_t acc)
{
    return tg_smlad(x.even, y_even, tg_smlad(x.odd, y_odd, acc));
}

/* Stacked pairs of channels (tg_product_t.stacked): the generator stores the weights of each pair of channels
 * as halfwords first + 256 * second, a group's two words {first d0, second d0, first d2, second d2} and
 * {first d1, second d1, first d3, second d3} (each second-channel byte one less under a negative
 * first-channel byte, which borrows from it). SMLAD of such a word as it is adds first + 256 * second times
 * a pixel's halfword pair, SMLAD of its SXTB16 the first channel's alone: one SXTB16 per weight word where
 * plain rows need two. The second channel's sum is the difference over 256, exact because the generator
 * checked that 256 times any sum of the second channel's products fits int32 (tinygen/compiler/variants.py).
 * A pair's weight words y0, y1 (one LDRD) as each channel's operands: even and odd halfword pairs. The helpers
 * that take `stacked` are always inlined, so that each loop is compiled for one layout. */
typedef struct {
    uint32_t first_even, first_odd, second_even, second_odd;
} pair_operands_t;

__attribute__((always_inline)) static inline pair_operands_t pair_operands(uint32_t y0, uint32_t y1, bool stacked)
{
    if (stacked) {
        const pair_operands_t y = {tg_sxtb16(y0), tg_sxtb16(y1), y0, y1};
        return y;
    }
    const pair_operands_t y = {tg_sxtb16(y0), tg_sxtb16_ror8(y0), tg_sxtb16(y1), tg_sxtb16_ror8(y1)};
    return y;
}

/* Where the second channel's sum starts: at its own start, or stacked at the first channel's. */
static inline int32_t second_start(int32_t first_start, int32_t own_start, bool stacked)
{
    return stacked ? first_start : own_start;
}

/* The second channel's sum from the pair's sums as they end (own_start: where it starts). */
static inline int32_t second_sum(int32_t first, int32_t second, int32_t own_start, bool stacked)
{
    return stacked ? own_start + ((int32_t)((uint32_t)second - (uint32_t)first) >> 8) : second;
}

/* Whether the product's weights are stacked: a constant when every product layer of the model has the same
 * answer (tg_product_forms.h), so that only one layout's code is compiled. */
static inline bool is_stacked(const tg_product_t *p)
{
    if (!TG_PRODUCT_STACKED || !TG_PRODUCT_PLAIN) {
        return TG_PRODUCT_STACKED;
    }
    return p->stacked != 0;
}

/* What a run of outputs needs, copied to the stack: the compiler then knows that the int8 output
 * stores leave it unchanged, and keeps it in registers instead of reloading it after each store. */
typedef struct {
    tg_requant_t requant;
    int32_t groups, row;    /* words of a pixel's input, bytes of a weight row */
    int32_t channel_mask;   /* channel & channel_mask: the index of its requantization constants */
} run_t;

static inline run_t run_of(const tg_product_t *p)
{
    const int32_t groups = (p->depth + 3) / 4;
    const run_t run = {p->requant, groups, 4 * groups, p->requant.per_channel ? -1 : 0};
    return run;
}

/* Output channels whose accumulators wait on the stack, between the product and the requantization:
 * that keeps each loop's values in registers. */
enum { CHUNK_CHANNELS = 16 };

/* How many channels the chunk from channel `first` holds. */
static inline int32_t chunk_channels(const tg_product_t *p, int32_t first)
{
    return p->channels - first < CHUNK_CHANNELS ? p->channels - first : CHUNK_CHANNELS;
}

/* Four sums: of two pixels and a pair of channels {pixel 0 . row 0, pixel 1 . row 0, pixel 0 . row 1,
 * pixel 1 . row 1}, or of one pixel and four channels. */
typedef struct {
    int32_t s0, s1, s2, s3;
} sums_4_t;

/* One group (4 depth values) of two pixels' split words at *x against a pair of weight rows' words at
 * *w, added to the sums; both pointers advanced past the group. */
__attribute__((always_inline)) static inline sums_4_t group_2x2(const uint32_t **x, const int8_t **w, sums_4_t s,
                                                                bool stacked)
{
    uint32_t y0, y1;
    *w = tg_load_2u32_advance(*w, &y0, &y1);
    const pair_operands_t y = pair_operands(y0, y1, stacked);
    const split_pair_t x0 = next_pair(x);
    s.s0 = smlad_group(x0, y.first_even, y.first_odd, s.s0);
    s.s2 = smlad_group(x0, y.second_even, y.second_odd, s.s2);
    const split_pair_t x1 = next_pair(x);
    s.s1 = smlad_group(x1, y.first_even, y.first_odd, s.s1);
    s.s3 = smlad_group(x1, y.second_even, y.second_odd, s.s3);
    return s;
}

/* Two pixels (split interleaved, 4 words per group, up to split_end) against `pairs` pairs of weight
 * rows from w (interleaved word by word, or stacked), from the channels' biases; per channel, acc gets
 * {pixel 0, pixel 1}. Two groups per pass, after a first odd one. */
__attribute__((always_inline)) static inline void dot_2x2_for(const uint32_t *split, const uint32_t *split_end,
                                                              const int8_t *w, const int32_t *bias, int32_t pairs,
                                                              int32_t *acc, bool stacked)
{
    const int odd_groups = (split_end - split) / 4 % 2;
    for (const int32_t *bias_end = bias + 2 * pairs; bias != bias_end; bias += 2, acc += 4) {
        const int32_t start1 = second_start(bias[0], bias[1], stacked);
        sums_4_t s = {bias[0], bias[0], start1, start1};
        const uint32_t *x = split;
        if (odd_groups) {
            s = group_2x2(&x, &w, s, stacked);
        }
        while (x != split_end) {
            s = group_2x2(&x, &w, s, stacked);
            s = group_2x2(&x, &w, s, stacked);
        }
        acc[0] = s.s0;
        acc[1] = s.s1;
        acc[2] = second_sum(s.s0, s.s2, bias[1], stacked);
        acc[3] = second_sum(s.s1, s.s3, bias[1], stacked);
    }
}

/* dot_2x2_for for each layout, a function of its own: the loop needs all the registers the core has. */
static __attribute__((noinline)) void dot_2x2_plain(const uint32_t *split, const uint32_t *split_end,
                                                    const int8_t *w, const int32_t *bias, int32_t pairs, int32_t *acc)
{
    dot_2x2_for(split, split_end, w, bias, pairs, acc, false);
}

static __attribute__((noinline)) void dot_2x2_stacked(const uint32_t *split, const uint32_t *split_end,
                                                      const int8_t *w, const int32_t *bias, int32_t pairs,
                                                      int32_t *acc)
{
    dot_2x2_for(split, split_end, w, bias, pairs, acc, true);
}

/* Two pixels against one weight row (a last odd channel), from its bias: acc = {pixel 0, pixel 1}. */
static void dot_2x1(const uint32_t *split, const uint32_t *split_end, const int8_t *w, int32_t bias, int32_t *acc)
{
    int32_t acc0 = bias, acc1 = bias;
    while (split != split_end) {
        const uint32_t y = tg_load_u32(w);
        w += 4;
        const uint32_t y_even = tg_sxtb16(y), y_odd = tg_sxtb16_ror8(y);
        acc0 = smlad_group(next_pair(&split), y_even, y_odd, acc0);
        acc1 = smlad_group(next_pair(&split), y_even, y_odd, acc1);
    }
    acc[0] = acc0;
    acc[1] = acc1;
}

typedef struct {
    int32_t first, second;
} sum_pair_t;

/* A pixel's groups (split, 2 words each) against a pair of weight rows from w (interleaved word by word, or
 * stacked), added to the pair of sums (stacked: the second as it accumulates); returns the weights after them. */
__attribute__((always_inline)) static inline const int8_t *dot_row_pair(const uint32_t *split,
                                                                        const uint32_t *split_end,
                                                                        const int8_t *w, sum_pair_t *sums,
                                                                        bool stacked)
{
    sum_pair_t s = *sums;
    for (const uint32_t *x = split; x != split_end;) {
        uint32_t y0, y1;
        w = tg_load_2u32_advance(w, &y0, &y1);
        const split_pair_t pair = next_pair(&x);
        const pair_operands_t y = pair_operands(y0, y1, stacked);
        s.first = smlad_group(pair, y.first_even, y.first_odd, s.first);
        s.second = smlad_group(pair, y.second_even, y.second_odd, s.second);
    }
    *sums = s;
    return w;
}

/* One group of a pixel's split words at *x against the words of two pairs of weight rows at *w and *v; the
 * pointers advanced past the group. */
__attribute__((always_inline)) static inline sums_4_t group_4(const uint32_t **x, const int8_t **w, const int8_t **v,
                                                              sums_4_t s, bool stacked)
{
    uint32_t y0, y1;
    const split_pair_t pair = next_pair(x);
    *w = tg_load_2u32_advance(*w, &y0, &y1);
    const pair_operands_t y = pair_operands(y0, y1, stacked);
    s.s0 = smlad_group(pair, y.first_even, y.first_odd, s.s0);
    s.s1 = smlad_group(pair, y.second_even, y.second_odd, s.s1);
    *v = tg_load_2u32_advance(*v, &y0, &y1);
    const pair_operands_t z = pair_operands(y0, y1, stacked);
    s.s2 = smlad_group(pair, z.first_even, z.first_odd, s.s2);
    s.s3 = smlad_group(pair, z.second_even, z.second_odd, s.s3);
    return s;
}

/* The same against two pairs of weight rows (four channels), the second pair_bytes after the first: each
 * group of the input loaded once for four rows. Two groups per pass, after a first odd one. */
__attribute__((always_inline)) static inline void dot_row_quad(const uint32_t *split, const uint32_t *split_end,
                                                               const int8_t *w, int32_t pair_bytes, int32_t sums[4],
                                                               bool stacked)
{
    sums_4_t s = {sums[0], sums[1], sums[2], sums[3]};
    const int8_t *v = w + pair_bytes;
    const uint32_t *x = split;
    if ((split_end - split) / 2 % 2) {
        s = group_4(&x, &w, &v, s, stacked);
    }
    while (x != split_end) {
        s = group_4(&x, &w, &v, s, stacked);
        s = group_4(&x, &w, &v, s, stacked);
    }
    sums[0] = s.s0;
    sums[1] = s.s1;
    sums[2] = s.s2;
    sums[3] = s.s3;
}

/* The same against one plain weight row: the sum added to `sum`. */
static inline int32_t dot_row(const uint32_t *split, const uint32_t *split_end, const int8_t *w, int32_t sum)
{
    for (const uint32_t *x = split; x != split_end; w += 4) {
        const uint32_t y = tg_load_u32(w);
        sum = smlad_group(next_pair(&x), tg_sxtb16(y), tg_sxtb16_ror8(y), sum);
    }
    return sum;
}

/* One pixel's run of groups from `group` on (split, 2 words per group) against `rows` weight rows from w,
 * row_bytes each (pairs interleaved word by word or stacked, a last odd row plain), added to `from` (the
 * biases, or acc itself) into acc, one sum per channel. */
__attribute__((always_inline)) static inline void dot_1xn_for(const uint32_t *split, const uint32_t *split_end,
                                                              const int8_t *w, int32_t row_bytes, int32_t group,
                                                              int32_t rows, const int32_t *from, int32_t *acc,
                                                              bool stacked)
{
    for (; rows >= 4; rows -= 4, from += 4, acc += 4, w += 4 * row_bytes) {
        const int32_t start1 = from[1], start3 = from[3];
        int32_t sums[4] = {from[0], second_start(from[0], start1, stacked), from[2],
                           second_start(from[2], start3, stacked)};
        dot_row_quad(split, split_end, w + 8 * group, 2 * row_bytes, sums, stacked);
        acc[0] = sums[0];
        acc[1] = second_sum(sums[0], sums[1], start1, stacked);
        acc[2] = sums[2];
        acc[3] = second_sum(sums[2], sums[3], start3, stacked);
    }
    for (; rows >= 2; rows -= 2, from += 2, acc += 2, w += 2 * row_bytes) {
        const int32_t start1 = from[1];
        sum_pair_t sums = {from[0], second_start(from[0], start1, stacked)};
        dot_row_pair(split, split_end, w + 8 * group, &sums, stacked);
        acc[0] = sums.first;
        acc[1] = second_sum(sums.first, sums.second, start1, stacked);
    }
    if (rows == 1) {
        acc[0] = dot_row(split, split_end, w + 4 * group, from[0]);
    }
}

/* dot_1xn_for for each layout, a function of its own (its loops need every register). */
static __attribute__((noinline)) void dot_1xn_plain(const uint32_t *split, const uint32_t *split_end,
                                                    const int8_t *w, int32_t row_bytes, int32_t group, int32_t rows,
                                                    const int32_t *from, int32_t *acc)
{
    dot_1xn_for(split, split_end, w, row_bytes, group, rows, from, acc, false);
}

/* Its loads in source order (TG_LOADS_IN_SOURCE_ORDER): gcc's scheduling made the four channels' loop spill. */
static __attribute__((noinline)) TG_LOADS_IN_SOURCE_ORDER void dot_1xn_stacked(const uint32_t *split,
                                                                               const uint32_t *split_end,
                                                                               const int8_t *w, int32_t row_bytes,
                                                                               int32_t group, int32_t rows,
                                                                               const int32_t *from, int32_t *acc)
{
    dot_1xn_for(split, split_end, w, row_bytes, group, rows, from, acc, true);
}

static inline void dot_1xn(const tg_product_t *p, const uint32_t *split, const uint32_t *split_end,
                           const int8_t *w, int32_t row_bytes, int32_t group, int32_t rows, const int32_t *from,
                           int32_t *acc)
{
    if (is_stacked(p)) {
        dot_1xn_stacked(split, split_end, w, row_bytes, group, rows, from, acc);
    } else {
        dot_1xn_plain(split, split_end, w, row_bytes, group, rows, from, acc);
    }
}

/* How a run of outputs is requantized, each a constant at its call so that each loop is compiled for it:
 * whole_range, the activation keeps the whole int8 range (the clamp is one SSAT); per_channel, each
 * channel has its own constants (no index to mask, one register fewer in the loop). */
typedef struct {
    bool whole_range, per_channel;
} requant_form_t;

/* The output of `channel` for its accumulator. */
static inline int8_t output_value(const run_t *run, int32_t channel, int32_t acc, requant_form_t form)
{
    const int32_t q = form.per_channel ? channel : channel & run->channel_mask;
    const int32_t twice = tg_requantize_dsp_twice(acc, &run->requant, q);
    return (int8_t)(form.whole_range ? tg_ssat8_halved(twice)
                                     : tg_clamp_i32(twice >> 1, run->requant.clamp.act_min, run->requant.clamp.act_max));
}

/* Whether the run's activation keeps the whole int8 range, and whether its constants are per channel:
 * known at generation time when every product layer of the model has the same answer
 * (tg_product_forms.h), and then the other forms' code is left out of the firmware. */
static inline bool keeps_whole_range(const run_t *run)
{
    if (!TG_PRODUCT_CLAMPED || !TG_PRODUCT_WHOLE_RANGE) {
        return !TG_PRODUCT_CLAMPED;
    }
    return run->requant.clamp.act_min == -128 && run->requant.clamp.act_max == 127;
}

static inline bool is_per_channel(const run_t *run)
{
    if (!TG_PRODUCT_PER_TENSOR || !TG_PRODUCT_PER_CHANNEL) {
        return !TG_PRODUCT_PER_TENSOR;
    }
    return run->channel_mask != 0;
}

/* Outputs [first, first + count) of `pixels` pixels (1, or 2 from accumulators {pixel 0, pixel 1} per
 * channel) into out0 (and out1), both values made before the first store. */
__attribute__((always_inline)) static inline void requantize_for(const run_t *run, const int32_t *acc, int32_t first,
                                                                 int32_t count, int8_t *out0, int8_t *out1,
                                                                 int32_t pixels, requant_form_t form)
{
    for (int32_t c = first; c < first + count; ++c, acc += pixels) {
        const int8_t v0 = output_value(run, c, acc[0], form);
        if (pixels == 2) {
            const int8_t v1 = output_value(run, c, acc[1], form);
            out1[c] = v1;
        }
        out0[c] = v0;
    }
}

/* requantize_for in the run's form, each form its own loop. */
__attribute__((always_inline)) static inline void requantize(const run_t *run, const int32_t *acc, int32_t first,
                                                             int32_t count, int8_t *out0, int8_t *out1, int32_t pixels)
{
    const bool whole_range = keeps_whole_range(run), per_channel = is_per_channel(run);
    if (whole_range && per_channel) {
        requantize_for(run, acc, first, count, out0, out1, pixels, (requant_form_t){true, true});
    } else if (whole_range) {
        requantize_for(run, acc, first, count, out0, out1, pixels, (requant_form_t){true, false});
    } else if (per_channel) {
        requantize_for(run, acc, first, count, out0, out1, pixels, (requant_form_t){false, true});
    } else {
        requantize_for(run, acc, first, count, out0, out1, pixels, (requant_form_t){false, false});
    }
}

static void requantize_pair(const run_t *run, const int32_t *acc, int32_t first, int32_t count, int8_t *out0,
                            int8_t *out1)
{
    requantize(run, acc, first, count, out0, out1, 2);
}

static void requantize_single(const run_t *run, const int32_t *acc, int32_t first, int32_t count, int8_t *out)
{
    requantize(run, acc, first, count, out, out, 1);
}

/* The sums of one channel for the three pixels of a triple. */
typedef struct {
    int32_t p0, p1, p2;
} sums_3_t;

/* The sums of a pair of channels (rows 0 and 1) for the three pixels of a triple. */
typedef struct {
    sums_3_t row0, row1;
} sums_2x3_t;

/* One group (4 depth values) of three pixels' split words at *x against a weight word split into y_even
 * and y_odd; *x advanced past the group. */
static inline sums_3_t group_3(const uint32_t **x, uint32_t y_even, uint32_t y_odd, sums_3_t s)
{
    s.p0 = smlad_group(next_pair(x), y_even, y_odd, s.p0);
    s.p1 = smlad_group(next_pair(x), y_even, y_odd, s.p1);
    s.p2 = smlad_group(next_pair(x), y_even, y_odd, s.p2);
    return s;
}

/* One group of three pixels' split words at *x against a pair of weight rows' words at *w (interleaved, or
 * stacked); both pointers advanced past the group. Each pixel's split pair is loaded once for both rows. */
__attribute__((always_inline)) static inline sums_2x3_t group_2x3(const uint32_t **x, const int8_t **w, sums_2x3_t s,
                                                                  bool stacked)
{
    uint32_t y0, y1;
    *w = tg_load_2u32_advance(*w, &y0, &y1);
    const pair_operands_t y = pair_operands(y0, y1, stacked);
    const split_pair_t x0 = next_pair(x);
    s.row0.p0 = smlad_group(x0, y.first_even, y.first_odd, s.row0.p0);
    s.row1.p0 = smlad_group(x0, y.second_even, y.second_odd, s.row1.p0);
    const split_pair_t x1 = next_pair(x);
    s.row0.p1 = smlad_group(x1, y.first_even, y.first_odd, s.row0.p1);
    s.row1.p1 = smlad_group(x1, y.second_even, y.second_odd, s.row1.p1);
    const split_pair_t x2 = next_pair(x);
    s.row0.p2 = smlad_group(x2, y.first_even, y.first_odd, s.row0.p2);
    s.row1.p2 = smlad_group(x2, y.second_even, y.second_odd, s.row1.p2);
    return s;
}

/* Three pixels (split interleaved, 6 words per group, up to split_end; odd_groups: whether the number of
 * groups is odd) against the pair of weight rows at *w, from their biases; *w advanced past the pair, where
 * the next pair starts (gcc then keeps it in one register). Two groups per pass, after a first odd one.
 * Inlined into each requantization form: the sums stay in registers. */
__attribute__((always_inline)) static inline sums_2x3_t dot_2x3(const uint32_t *x, const uint32_t *split_end,
                                                                bool odd_groups, const int8_t **w,
                                                                int32_t bias0, int32_t bias1, bool stacked)
{
    const int32_t start1 = second_start(bias0, bias1, stacked);
    sums_2x3_t s = {{bias0, bias0, bias0}, {start1, start1, start1}};
    if (odd_groups) {
        s = group_2x3(&x, w, s, stacked);
    }
    while (x != split_end) {
        s = group_2x3(&x, w, s, stacked);
        s = group_2x3(&x, w, s, stacked);
    }
    s.row1.p0 = second_sum(s.row0.p0, s.row1.p0, bias1, stacked);
    s.row1.p1 = second_sum(s.row0.p1, s.row1.p1, bias1, stacked);
    s.row1.p2 = second_sum(s.row0.p2, s.row1.p2, bias1, stacked);
    return s;
}

/* Three pixels against one weight row (a last odd channel), from its bias. */
static inline sums_3_t dot_1x3(const uint32_t *x, const uint32_t *split_end, const int8_t *w, int32_t bias)
{
    sums_3_t s = {bias, bias, bias};
    for (; x != split_end; w += 4) {
        const uint32_t y = tg_load_u32(w);
        s = group_3(&x, tg_sxtb16(y), tg_sxtb16_ror8(y), s);
    }
    return s;
}

/* The outputs of `channel` for the three pixels of a triple, at out, out + step and out + 2 * step: all
 * three made before the first store, which the compiler must assume changes the constants. */
static inline void requantize_3(const run_t *run, int32_t channel, sums_3_t s, int8_t *out, int32_t step,
                                requant_form_t form)
{
    const int8_t v0 = output_value(run, channel, s.p0, form), v1 = output_value(run, channel, s.p1, form),
                 v2 = output_value(run, channel, s.p2, form);
    out[channel] = v0;
    out[channel + step] = v1;
    out[channel + 2 * step] = v2;
}

/* Every channel of three split pixels, requantized straight from the registers, a pair of channels at a
 * time. */
__attribute__((always_inline)) static inline void product_of_split_triple_for(const tg_product_t *p,
                                                                              const uint32_t *split,
                                                                              const int8_t *w, const int32_t *bias,
                                                                              int8_t *out, requant_form_t form,
                                                                              bool stacked)
{
    const run_t run = run_of(p);
    const uint32_t *split_end = split + 6 * run.groups;
    const int32_t channels = p->channels;
    int32_t c = 0;
    for (; c + 2 <= channels; c += 2) {
        const sums_2x3_t s = dot_2x3(split, split_end, run.groups % 2, &w, bias[c], bias[c + 1], stacked);
        requantize_3(&run, c, s.row0, out, channels, form);
        requantize_3(&run, c + 1, s.row1, out, channels, form);
    }
    if (c < channels) {
        requantize_3(&run, c, dot_1x3(split, split_end, w, bias[c]), out, channels, form);
    }
}

/* The forms of a triple's product (per-channel requantization) for each layout, each a function of its own:
 * gcc then fits each one's registers better than in one function with all. */
static __attribute__((noinline)) void triple_whole_range(const tg_product_t *p, const uint32_t *split,
                                                         const int8_t *w, const int32_t *bias, int8_t *out)
{
    product_of_split_triple_for(p, split, w, bias, out, (requant_form_t){true, true}, false);
}

static __attribute__((noinline)) void triple_clamped(const tg_product_t *p, const uint32_t *split,
                                                     const int8_t *w, const int32_t *bias, int8_t *out)
{
    product_of_split_triple_for(p, split, w, bias, out, (requant_form_t){false, true}, false);
}

static __attribute__((noinline)) void triple_whole_range_stacked(const tg_product_t *p, const uint32_t *split,
                                                                 const int8_t *w, const int32_t *bias, int8_t *out)
{
    product_of_split_triple_for(p, split, w, bias, out, (requant_form_t){true, true}, true);
}

static __attribute__((noinline)) void triple_clamped_stacked(const tg_product_t *p, const uint32_t *split,
                                                             const int8_t *w, const int32_t *bias, int8_t *out)
{
    product_of_split_triple_for(p, split, w, bias, out, (requant_form_t){false, true}, true);
}

void tg_product_of_split_triple(const tg_product_t *p, const uint32_t *split, const int8_t *filter,
                                const int32_t *folded_bias, int8_t *out)
{
    const run_t run = run_of(p);
    const bool whole_range = keeps_whole_range(&run);
    if (is_stacked(p)) {
        (whole_range ? triple_whole_range_stacked : triple_clamped_stacked)(p, split, filter, folded_bias, out);
    } else {
        (whole_range ? triple_whole_range : triple_clamped)(p, split, filter, folded_bias, out);
    }
}

void tg_product_of_split_pair(const tg_product_t *p, const uint32_t *split, const int8_t *filter,
                              const int32_t *folded_bias, int8_t *out0, int8_t *out1)
{
    const run_t run = run_of(p);
    const uint32_t *split_end = split + 4 * run.groups;
    int32_t acc[2 * CHUNK_CHANNELS];
    for (int32_t first = 0; first < p->channels; first += CHUNK_CHANNELS) {
        const int32_t count = chunk_channels(p, first);
        const int8_t *w = filter + first * run.row;
        (is_stacked(p) ? dot_2x2_stacked : dot_2x2_plain)(split, split_end, w, folded_bias + first, count / 2, acc);
        if (count % 2) {
            const int32_t last = count - 1;
            dot_2x1(split, split_end, w + last * run.row, folded_bias[first + last], acc + 2 * last);
        }
        requantize_pair(&run, acc, first, count, out0, out1);
    }
}

void tg_product_pixel_pair(const tg_product_t *p, const int8_t *in0, const int8_t *in1, const int8_t *filter,
                           const int32_t *folded_bias, uint32_t *split, int8_t *out0, int8_t *out1)
{
    tg_product_split(in0, p->depth, split, 4);
    tg_product_split(in1, p->depth, split + 2, 4);
    tg_product_of_split_pair(p, split, filter, folded_bias, out0, out1);
}

#if TG_PRODUCT_SINGLE_RUNS
/* A lone pixel's input split run_groups groups at a time, each run against every chunk of channels. */
static void single_pixel_by_runs(const tg_product_t *p, const run_t *run, const int8_t *in, int32_t run_groups,
                                 const int8_t *filter, const int32_t *folded_bias, uint32_t *split, int8_t *out)
{
    int32_t acc[CHUNK_CHANNELS];
    for (int32_t first = 0; first < p->channels; first += CHUNK_CHANNELS) {
        const int32_t count = chunk_channels(p, first);
        const int32_t *from = folded_bias + first;
        for (int32_t group = 0; group < run->groups; group += run_groups, from = acc) {
            const int32_t groups = tg_min_i32(run_groups, run->groups - group);
            tg_product_split(in + 4 * group, tg_min_i32(4 * groups, p->depth - 4 * group), split, 2);
            dot_1xn(p, split, split + 2 * groups, filter + first * run->row, run->row, group, count, from, acc);
        }
        requantize_single(run, acc, first, count, out);
    }
}
#endif

void tg_product_single_pixel(const tg_product_t *p, const int8_t *in, int32_t run_groups, const int8_t *filter,
                             const int32_t *folded_bias, uint32_t *split, int8_t *out)
{
    const run_t run = run_of(p);
#if TG_PRODUCT_SINGLE_RUNS
    if (in != NULL && run_groups && run_groups < run.groups) {
        single_pixel_by_runs(p, &run, in, run_groups, filter, folded_bias, split, out);
        return;
    }
#else
    (void)run_groups;   /* no layer of this model splits a lone pixel a run at a time */
#endif
    if (in != NULL) {
        tg_product_split(in, p->depth, split, 2);
    }
    int32_t acc[CHUNK_CHANNELS];
    for (int32_t first = 0; first < p->channels; first += CHUNK_CHANNELS) {
        const int32_t count = chunk_channels(p, first);
        dot_1xn(p, split, split + 2 * run.groups, filter + first * run.row, run.row, 0, count, folded_bias + first,
                acc);
        requantize_single(&run, acc, first, count, out);
    }
}

void tg_product_pixel_triple(const tg_product_t *p, const int8_t *in, int32_t in_step, const int8_t *filter,
                             const int32_t *folded_bias, uint32_t *split, int8_t *out)
{
    split_triple(in, in_step, p->depth, split);
    tg_product_of_split_triple(p, split, filter, folded_bias, out);
}
