/* DEPTHWISE_CONV_2D with depth multiplier 1 (tg_depthwise_dsp_params_t), variant "dsp".
 *
 * Chosen at generation time (tinygen/compiler/variants.py) for cores with the DSP extension when each
 * output channel reads its own input channel (depth multiplier 1), without dilation, over at least 4
 * channels; other depthwise layers keep the portable kernel. Bit-exact with TFLM's reference kernel: an
 * output is bias + the sum of weight * (input + input_offset) over the window's taps inside the image, in
 * int32 arithmetic modulo 2^32, requantized as TFLM does (tg_requant_dsp.h). The host build runs this same
 * source on exact C models of the instructions (tg_acle.h).
 *
 * SMLAD takes two taps of one channel at once when their values lie side by side as halfwords. So the
 * filter_h input rows an output row's windows read are copied to the scratch as planes, one per channel,
 * of int16 values input + input_offset (SXTAB16 makes two at once), column by column, each column's
 * filter_h rows together, with the padding around the image as zeros: a padded tap then adds 0, as TFLM's
 * skipping it does, and every window is whole, border pixels included. An output's taps are then
 * filter_h * filter_w halfwords in a row of its channel's plane (the filter's taps column by column), and
 * its sum the bias plus (filter_h * filter_w + 1) / 2 SMLADs of a plane word (LDR allows halfword-aligned
 * words) and a weight pair, made once per call in the same tap order (an odd last tap paired with 0,
 * which cancels whatever its plane word holds beside it). For 3x3 filters two output pixels share each
 * channel's bias and pairs, loaded by LDRD, and so do the taps of the one whose window is word-aligned
 * (planes of an even number of halfwords: of two neighbouring windows at stride 1, one is): 27 instructions
 * for 2 x 9 taps on Cortex-M4, where 4 channels of one tap at a time (SXTAB16 and SXTB16 splitting input
 * and weight words, SMLABB / SMLATT) took 12 for 4 x 1 and clipped the windows instead. The weight pairs and
 * bias are made twice as large, so the sums come out doubled, as the requantization takes them.
 *
 * Where the windows of successive output rows overlap over enough rows (the generator decides, params
 * rotations = filter_h), the plane rows are a ring: input row y stays in row y mod filter_h while later
 * windows read it, and is copied once; the weight pairs then come in filter_h rotations, one for each
 * row the ring may start at. Otherwise (rotations = 1) an output row's filter_h input rows are copied for
 * it, or (slide = 1) the rows the window keeps from the last output row stay and only the new rows are
 * copied: one weight rotation's scratch, each row read from the image once. The planes then start stride_h
 * halfwords further on, which moves every column's rows up as one (row r + stride_h is row r now) at no
 * cost; a column's last rows are then the next column's first, and the new rows overwrite them (the padding
 * before the image zeroed again). Since the rows
 * are read from the image only into the planes, the output may lie over the input where every row is
 * copied before an output row over it is written (the generator finds how far below the input the output
 * must start, in_place.depthwise_lag, and plans it so only where that lowers the arena). A pixel's sums go
 * to the scratch and are requantized in one run, which keeps the requantization's
 * values in registers apart from the accumulation's; that run takes 4 channels at a time, their sums,
 * multipliers two per load (LDRD), and stores their outputs as one word, clamped in a pass of its own where
 * the activation's range is not all of int8. */
#include "tg_acle.h"
#include "tg_bytes_dsp.h"
#include "tg_kernels.h"
#include "tg_requant_dsp.h"
#include "tg_window.h"

/* The planes' shape. The scratch holds the planes (channels * plane_halfwords int16, and one more that the
 * last window's padding pair may read), then `rotations` sets of channel constants (for each channel its
 * bias and `pairs` weight pairs), then the sums of two pixels. */
typedef struct {
    int32_t columns;                /* the padded width the output row's windows cover */
    int32_t rows;                   /* filter_h: the halfwords of one column */
    int32_t plane_halfwords;        /* columns * rows, rounded up to even: every plane word-aligned alike */
    int32_t taps, pairs;            /* filter_h * filter_w, and (taps + 1) / 2 */
} planes_t;

static planes_t planes_of(int32_t filter_h, int32_t filter_w, int32_t output_w, int32_t stride_w)
{
    const int32_t columns = (output_w - 1) * stride_w + filter_w, taps = filter_h * filter_w;
    const planes_t planes = {columns, filter_h, (columns * filter_h + 1) & ~1, taps, (taps + 1) / 2};
    return planes;
}

/* The planes' bytes rounded up to a word (the weight pairs follow them), with room for one more int16 and
 * for the slid_rows halfwords the planes slide up by over a batch. */
static int32_t plane_bytes(int32_t channels, const planes_t *s, int32_t slid_rows)
{
    return (2 * (channels * s->plane_halfwords + 1 + slid_rows) + 3) / 4 * 4;
}

int32_t tg_depthwise_conv_s8_dsp_scratch_bytes(int32_t channels, int32_t filter_h, int32_t filter_w,
                                               int32_t output_w, int32_t stride_w, int32_t rotations,
                                               int32_t slid_rows)
{
    const planes_t s = planes_of(filter_h, filter_w, output_w, stride_w);
    return plane_bytes(channels, &s, slid_rows) + 4 * channels * (rotations * (1 + s.pairs) + 2);
}

/* Two int16 values as one SMLAD operand: low in the low halfword. */
static inline uint32_t halfword_pair(int32_t low, int32_t high)
{
    return ((uint32_t)low & 0xFFFFu) | ((uint32_t)high << 16);
}

/* at[c * stride] = times * in[c] + offset for the `channels` int8 values at in (times 1 or 2; offset_pair:
 * the offset in both halfwords). Four channels per word: SXTAB16 adds the even and (rotated by 8) the odd
 * bytes to the offset as halfwords, and again for times 2. */
__attribute__((always_inline)) static inline void widen_channels(const int8_t *in, int32_t channels, int32_t times,
                                                                 uint32_t offset_pair, int16_t *at, int32_t stride)
{
    const int8_t *const words_end = in + (channels & ~3), *const end = in + channels;
    for (; in != words_end; in += 4, at += 4 * stride) {
        const uint32_t word = tg_load_u32(in);
        uint32_t even = tg_sxtab16(offset_pair, word), odd = tg_sxtab16_ror8(offset_pair, word);
        if (times == 2) {
            even = tg_sxtab16(even, word);
            odd = tg_sxtab16_ror8(odd, word);
        }
        at[0] = (int16_t)even;
        at[stride] = (int16_t)odd;
        at[2 * stride] = (int16_t)(even >> 16);
        at[3 * stride] = (int16_t)(odd >> 16);
    }
    for (; in != end; ++in, at += stride) {
        *at = (int16_t)(times * *in + (int16_t)offset_pair);
    }
}

/* Rotation `rotation` of the channel constants: for each channel its bias, then its weight pairs, those of
 * taps 2i and 2i + 1 (a last odd tap's partner 0), all doubled: the sums come out as twice the accumulator
 * (modulo 2^32), which the requantization takes (tg_rescale_doubled_dsp). Tap k is slot k % filter_h of filter column
 * k / filter_h, the planes' order, and slot s holds filter row (s - rotation) mod filter_h. The pairs are
 * written as int16 only (the kernel reads them as words through LDRD). */
static void make_channel_constants(const tg_depthwise_dsp_params_t *p, const planes_t *s, const int8_t *filter,
                                   const int32_t *bias, int32_t rotation, uint32_t *constants)
{
    const int32_t c_count = p->channels, words = 1 + s->pairs;
    int16_t *const halfwords = (int16_t *)(constants + 1);
    for (int32_t c = 0; c < c_count; ++c) {
        constants[c * words] = (uint32_t)tg_shift_left_i32(bias[c], 1);
        if (s->taps % 2 != 0) {
            halfwords[c * 2 * words + s->taps] = 0;
        }
    }
    for (int32_t column = 0; column < p->window.filter_w; ++column) {
        for (int32_t slot = 0; slot < p->window.filter_h; ++slot) {
            const int32_t row = slot >= rotation ? slot - rotation : slot - rotation + p->window.filter_h;
            widen_channels(filter + (row * p->window.filter_w + column) * c_count, c_count, 2, 0,
                           halfwords + column * p->window.filter_h + slot, 2 * words);
        }
    }
}

/* Row `row` of every channel's plane, at its column `first` on: zeros for `count` columns (in the order
 * copy_pixels writes, four channels a round). */
static void zero_columns(int16_t *planes, const planes_t *s, int32_t channels, int32_t row, int32_t first,
                         int32_t count)
{
    const int32_t stride = s->plane_halfwords;
    for (int32_t j = 0; j < count; ++j) {
        int16_t *at = planes + (first + j) * s->rows + row;
        int32_t c = 0;
        for (; c + 4 <= channels; c += 4, at += 4 * stride) {
            at[0] = at[stride] = at[2 * stride] = at[3 * stride] = 0;
        }
        for (; c < channels; ++c, at += stride) {
            *at = 0;
        }
    }
}

/* Row `row` of every channel's plane, at its column `first` on: input + input_offset for `count` pixels
 * of the image row at `in`. */
static void copy_pixels(int16_t *planes, const planes_t *s, const tg_depthwise_dsp_params_t *p, int32_t row,
                        int32_t first, int32_t count, const int8_t *in)
{
    const uint32_t offset_pair = halfword_pair(p->input_offset, p->input_offset);
    int16_t *column = planes + first * s->rows + row;
    for (const int8_t *const end = in + count * p->channels; in != end; in += p->channels, column += s->rows) {
        widen_channels(in, p->channels, 1, offset_pair, column, s->plane_halfwords);
    }
}

/* Input row y of the image at `image` into row `slot` of every channel's plane, at the columns of the
 * image (those of the padding beside it stay zero); zeros for a row outside the image. */
static void fill_row(int16_t *planes, const planes_t *s, const tg_depthwise_dsp_params_t *p, const int8_t *image,
                     int32_t y, int32_t slot)
{
    const int32_t left = tg_min_i32(p->window.pad_w, s->columns);
    const int32_t inside = tg_max_i32(0, tg_min_i32(p->input_w, s->columns - p->window.pad_w));
    if (y < 0 || y >= p->input_h) {
        zero_columns(planes, s, p->channels, slot, left, inside);
    } else {
        copy_pixels(planes, s, p, slot, left, inside, image + y * p->input_w * p->channels);
    }
    if (p->slide) {     /* the planes moved on: a new row's value is the one a column further on had */
        zero_columns(planes, s, p->channels, slot, 0, left);    /* the image's first column's */
        if (left == 0) {    /* else the padding after the image has the next plane's zeros before it */
            zero_columns(planes, s, p->channels, slot, inside, s->columns - inside);
        }
    }
}

/* The plane row of input row y for the window rows first .. first + filter_h - 1: with a ring (rotations
 * filter_h), y mod filter_h, where the row stays while later windows read it (first > -filter_h: the
 * padding is less than the filter); without, y - first. */
static inline int32_t slot_of(const tg_depthwise_dsp_params_t *p, int32_t y, int32_t first)
{
    return p->rotations == 1 ? y - first : (y + p->window.filter_h) % p->window.filter_h;
}

/* Where the requantization of a pixel's channels has got to: the next channel's sum and multiplier,
 * word-aligned, so that LDRD loads two of each. */
typedef struct {
    const void *sum, *multiplier;
} requant_cursor_t;

/* The next two channels' sums (doubled) requantized and saturated to int8, not clamped, with rounding shifts
 * shifts[0] and shifts[1]. */
static inline void requantize_next_2(requant_cursor_t *at, const int8_t *shifts, int32_t offset_rounding,
                                     int32_t value[2])
{
    uint32_t sum[2], multiplier[2];
    at->sum = tg_load_2u32_advance(at->sum, &sum[0], &sum[1]);
    at->multiplier = tg_load_2u32_advance(at->multiplier, &multiplier[0], &multiplier[1]);
    for (int k = 0; k < 2; ++k) {
        value[k] = tg_ssat8_halved(
            tg_requantize_twice_offset_after_dsp((int32_t)sum[k], (int32_t)multiplier[k], offset_rounding, shifts[k]));
    }
}

/* out[c] = sums[c] (doubled) requantized, not clamped, for the channels up to a multiple of 4, which it returns.
 * Four channels to a word: saturated and packed together, one store (tg_bytes_dsp.h). */
static inline int32_t requantize_words(const tg_requant_t *q, const int32_t *sums, int32_t channels, int8_t *out)
{
    requant_cursor_t at = {sums, q->multipliers};
    int32_t c = 0;
    for (; c + 4 <= channels; c += 4) {
        int32_t low[2], high[2];
        requantize_next_2(&at, q->rounding_shifts + c, q->offset_rounding, low);
        requantize_next_2(&at, q->rounding_shifts + c + 2, q->offset_rounding, high);
        tg_store_u32(out + c, tg_packed_bytes(low[0], low[1], high[0], high[1]));
    }
    return c;
}

/* out[c] = sums[c] (doubled) requantized, for every channel (the multipliers are per channel). The
 * clamp apart, after the words, and only where the activation's range is not all of int8: the words' loop
 * keeps its values in registers. */
TG_LOADS_IN_SOURCE_ORDER static void requantize_pixel(const tg_requant_t *r, const int32_t *sums, int32_t channels,
                                                   int8_t *out)
{
    const tg_requant_t q = *r;  /* on the stack: the int8 stores cannot change it, so it stays in registers */
    int32_t c = requantize_words(&q, sums, channels, out);
    if (q.clamp.act_min != INT8_MIN || q.clamp.act_max != INT8_MAX) {
        tg_clamp_words(&q.clamp, out, c / 4);
    }
    for (; c < channels; ++c) {
        out[c] = tg_requantize_doubled_dsp(sums[c], &q, c);
    }
}

/* sums[c] for every channel of one output pixel, whose window starts `taps` bytes into channel 0's plane,
 * for any filter: the bias, and SMLADs of plane words and weight pairs (constants, as made above). */
static void sum_pixel(const planes_t *s, const int8_t *taps, const uint32_t *constants, int32_t channels,
                      int32_t *sums)
{
    const int8_t *next = (const int8_t *)constants;  /* read as bytes: the pairs were written as int16 */
    for (int32_t c = 0; c < channels; ++c, taps += 2 * s->plane_halfwords) {
        int32_t acc = (int32_t)tg_load_u32(next);
        for (int32_t i = 0; i < s->pairs; ++i) {
            acc = tg_smlad(tg_load_u32(taps + 4 * i), tg_load_u32(next + 4 + 4 * i), acc);
        }
        sums[c] = acc;
        next += 4 * (1 + s->pairs);
    }
}

/* The same for 3x3 filters: 5 pairs, which with the bias LDRD loads two at a time. */
static void sum_pixel_3x3(const planes_t *s, const int8_t *taps, const uint32_t *constants, int32_t channels,
                          int32_t *sums)
{
    const void *next = constants;
    const int32_t *const end = sums + channels;
    do {
        uint32_t bias, w0, w1, w2, w3, w4;
        next = tg_load_2u32_advance(next, &bias, &w0);
        next = tg_load_2u32_advance(next, &w1, &w2);
        next = tg_load_2u32_advance(next, &w3, &w4);
        int32_t acc = tg_smlad(tg_load_u32(taps), w0, (int32_t)bias);
        acc = tg_smlad(tg_load_u32(taps + 4), w1, acc);
        acc = tg_smlad(tg_load_u32(taps + 8), w2, acc);
        acc = tg_smlad(tg_load_u32(taps + 12), w3, acc);
        *sums++ = tg_smlad(tg_load_u32(taps + 16), w4, acc);
        taps += 2 * s->plane_halfwords;
    } while (sums != end);
}

/* For 3x3 filters two output pixels at once: one whose window starts at `aligned`, word-aligned, so that
 * LDRD loads its taps two words at a time, and the other, whose window starts `other` bytes from it (either
 * side). Each channel's constants, loaded two at a time, serve both. Their sums go to sums_aligned and
 * sums_other. */
TG_LOADS_IN_SOURCE_ORDER static void sum_2_pixels_3x3(const planes_t *s, const int8_t *aligned, int32_t other,
                                                   const uint32_t *constants, int32_t channels,
                                                   int32_t *sums_aligned, int32_t *sums_other)
{
    const void *next = constants, *words = aligned;
    const int8_t *taps = aligned + other;
    const int32_t *const end = sums_aligned + channels;
    const int32_t channel_step = 2 * s->plane_halfwords;     /* bytes from one plane to the next */
    do {
        uint32_t bias, w0, w1, t0, t1;
        next = tg_load_2u32_advance(next, &bias, &w0);
        words = tg_load_2u32_advance(words, &t0, &t1);
        int32_t acc0 = tg_smlad(t0, w0, (int32_t)bias);
        int32_t acc1 = tg_smlad(tg_load_u32(taps), w0, (int32_t)bias);
        next = tg_load_2u32_advance(next, &w0, &w1);
        acc0 = tg_smlad(t1, w0, acc0);
        acc1 = tg_smlad(tg_load_u32(taps + 4), w0, acc1);
        words = tg_load_2u32_advance(words, &t0, &t1);
        acc0 = tg_smlad(t0, w1, acc0);
        acc1 = tg_smlad(tg_load_u32(taps + 8), w1, acc1);
        next = tg_load_2u32_advance(next, &w0, &w1);
        acc0 = tg_smlad(t1, w0, acc0);
        acc1 = tg_smlad(tg_load_u32(taps + 12), w0, acc1);
        acc0 = tg_smlad(tg_load_u32(words), w1, acc0);
        acc1 = tg_smlad(tg_load_u32(taps + 16), w1, acc1);
        *sums_other++ = acc1;
        *sums_aligned++ = acc0;
        words = (const int8_t *)words + channel_step - 16;
        taps += channel_step;
    } while (sums_aligned != end);
}

/* One output row: its pixels' sums, from the planes (filled for the row) and the rotation of the channel
 * constants they need, each pixel requantized into output. */
static void convolve_row(const tg_depthwise_dsp_params_t *p, const planes_t *s, const int16_t *planes,
                         const uint32_t *constants, int32_t *sums, int8_t *output)
{
    const int32_t channels = p->channels;
    const int32_t window_step = 2 * p->window.stride_w * p->window.filter_h; /* bytes, in a plane */
    const int8_t *taps = (const int8_t *)planes;
    int32_t x = 0;
    if (p->window.filter_h == 3 && p->window.filter_w == 3) {
        for (; x + 2 <= p->output_w; x += 2, taps += 2 * window_step, output += 2 * channels) {
            if (((uintptr_t)taps & 2) == 0) {
                sum_2_pixels_3x3(s, taps, window_step, constants, channels, sums, sums + channels);
            } else if ((window_step & 2) != 0) {    /* the second window is the aligned one */
                sum_2_pixels_3x3(s, taps + window_step, -window_step, constants, channels, sums + channels, sums);
            } else {
                break;  /* neither is (planes moved on by an odd number of rows, windows by whole words) */
            }
            requantize_pixel(&p->requant, sums, channels, output);
            requantize_pixel(&p->requant, sums + channels, channels, output + channels);
        }
    }
    for (; x < p->output_w; ++x, taps += window_step, output += channels) {
        if (p->window.filter_h == 3 && p->window.filter_w == 3) {
            sum_pixel_3x3(s, taps, constants, channels, sums);
        } else {
            sum_pixel(s, taps, constants, channels, sums);
        }
        requantize_pixel(&p->requant, sums, channels, output);
    }
}

/* words int32 from word on set to zero, four per pass: a loop, not the library's memset, which would link in
 * more flash than the kernel's loop takes (not inlined either: inside the loop over batches, gcc's copy took
 * more). */
__attribute__((noinline)) static void zero_words(int32_t *word, int32_t words)
{
    for (; words >= 4; words -= 4, word += 4) {
        word[0] = word[1] = word[2] = word[3] = 0;
    }
    for (; words > 0; --words) {
        *word++ = 0;
    }
}

void tg_depthwise_conv_s8_dsp(const tg_depthwise_dsp_params_t *p, const int8_t *input, const int8_t *filter,
                              const int32_t *bias, int32_t *scratch, int8_t *output)
{
    const int32_t channels = p->channels;
    const planes_t s = planes_of(p->window.filter_h, p->window.filter_w, p->output_w, p->window.stride_w);
    const int32_t bytes_of_planes = plane_bytes(channels, &s, p->slide ? (p->output_h - 1) * p->window.stride_h : 0);
    uint32_t *const constants = (uint32_t *)((int8_t *)scratch + bytes_of_planes);
    const int32_t rotation_words = channels * (1 + s.pairs);
    int32_t *const sums = (int32_t *)(constants + p->rotations * rotation_words);
    for (int32_t rotation = 0; rotation < p->rotations; ++rotation) {
        make_channel_constants(p, &s, filter, bias, rotation, constants + rotation * rotation_words);
    }
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * p->input_h * p->input_w * channels;
        int16_t *planes = (int16_t *)scratch;
        zero_words(scratch, bytes_of_planes / 4);   /* the padding, what the last window's last pair reads beside
                                                       it, and where sliding planes move on to */
        int32_t copied_until = -p->window.filter_h;    /* with a ring: the rows before this one are in the planes */
        for (int32_t out_y = 0; out_y < p->output_h; ++out_y, output += p->output_w * channels) {
            const int32_t first = tg_window_origin_y(&p->window, out_y), end = first + p->window.filter_h;
            int32_t y = p->rotations == 1 ? first : tg_max_i32(first, copied_until);
            if (p->slide && first < copied_until) {
                planes += p->window.stride_h;   /* each column's rows slid up: they are the next column's first */
                y = copied_until;
            }
            for (; y < end; ++y) {
                fill_row(planes, &s, p, image, y, slot_of(p, y, first));
            }
            copied_until = end;
            convolve_row(p, &s, planes, constants + slot_of(p, first, first) * rotation_words, sums, output);
        }
    }
}
