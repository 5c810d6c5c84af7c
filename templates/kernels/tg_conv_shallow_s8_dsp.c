/* CONV_2D over few input channels as im2col into halfword pairs (tg_conv_dsp_params_t), variant "dsp".
 *
 * Chosen at generation time (tinygen/compiler/variants.py) instead of tg_conv_s8_dsp.c on cores with the
 * DSP extension when input_c < 4 (an image's first layer; a depthwise layer of one input channel goes
 * here as the CONV_2D it equals): a filter row is then a few bytes, whose gather and split would cost
 * more than their products. Here each tap of an output pixel is read once from the image, sign-extended,
 * and stored with the next tap as a halfword pair, so taps need only be padded to an even count (one
 * zero weight). The weights stay int8 in flash and are widened and doubled into scratch once per call,
 * each word by SXTB16 and SXTB16 ROR 8 into two words of halfword pairs, so that one SMLAD multiplies two
 * taps with no unpacking: the generator arranged a flash word as taps t, t+1 of a pair of channels,
 * {row 0 t, row 1 t, row 0 t+1, row 1 t+1}, or taps t..t+3 of a last odd channel, {t, t+2, t+1, t+3}.
 *
 * Two output pixels at a time, their fields interleaved word by word (one LDRD loads a pair of taps of
 * both); two output channels per pass over the taps, their widened rows interleaved alike: each weight
 * word serves both pixels. A last odd pixel is paired with itself, a last odd channel passes alone.
 * Pixels whose window lies inside the image read their taps through a table of the taps' offsets
 * (made once per call); the others are first gathered as bytes (tg_im2col.h, the padding reading the
 * input zero point). The sums of up to CHUNK_CHANNELS channels wait on the stack, then are requantized
 * and saturated to int8 (SSAT); the activation's clamp follows once per image, four outputs per word
 * (SSUB8/SEL). Bit-exact with TFLM's reference kernel: the input offset is folded into the bias,
 * and the requantization is tg_requant_dsp.h's, whose doubling of the accumulator comes from the weights
 * doubled as they are widened and the folded bias the generator doubled. */
#include <string.h>

#include "tg_acle.h"
#include "tg_bytes_dsp.h"
#include "tg_im2col.h"
#include "tg_requant_dsp.h"
#include "tg_window.h"

/* Words of halfword pairs of one pixel's field: depth taps, padded to an even count. */
static inline int32_t field_words(int32_t depth)
{
    return (depth + 1) / 2;
}

/* Words of the weights in flash: one per two taps of a pair of channels, per four taps of a last odd one. */
static inline int32_t weight_words(int32_t depth, int32_t channels)
{
    const int32_t words = field_words(depth);
    return channels / 2 * words + channels % 2 * ((words + 1) / 2);
}

/* Words of one field gathered as bytes (an even count). */
static inline int32_t gathered_words(int32_t depth)
{
    return (2 * field_words(depth) + 3) / 4;
}

/* The fields of two pixels (interleaved), the taps' offsets in the image (an even count), one field
 * gathered as bytes, then the weights widened (two words for each in flash). */
int32_t tg_conv_shallow_s8_dsp_scratch_bytes(int32_t depth, int32_t channels)
{
    const int32_t words = field_words(depth);
    return 4 * (2 * words + 2 * words + gathered_words(depth) + 2 * weight_words(depth, channels));
}

/* The weights from flash into halfword pairs, doubled (each sign-extended value added to itself): each
 * word's SXTB16, then its SXTB16 ROR 8. */
static void widen_weights(const int8_t *filter, int32_t words, uint32_t *widened)
{
    const uint32_t *w = (const uint32_t *)(const void *)filter;
    for (const uint32_t *end = w + words; w != end; ++w, widened += 2) {
        widened[0] = tg_sxtab16(tg_sxtb16(*w), *w);
        widened[1] = tg_sxtab16_ror8(tg_sxtb16_ror8(*w), *w);
    }
}

/* Two int8 values as a pair of signed halfwords, first in the low one. */
static inline uint32_t halfword_pair(int32_t first, int32_t second)
{
    return tg_pack_halfwords(first, second);
}

/* Each tap's offset from the first byte of its window, in the OHWI order of a filter row; an odd last
 * tap is followed by one at offset 0, whose weight is zero. */
static void tap_offsets(const tg_conv_dsp_params_t *p, int32_t *offsets)
{
    for (int32_t fy = 0; fy < p->window.filter_h; ++fy) {
        for (int32_t i = 0; i < p->window.filter_w * p->input_c; ++i) {
            *offsets++ = fy * p->input_w * p->input_c + i;
        }
    }
    if (p->product.depth % 2) {
        *offsets = 0;
    }
}

/* One pixel's field (every other word of a pair's) from the bytes at window + offsets[t]. */
static void pairs_at_offsets(const int8_t *window, const int32_t *offsets, int32_t words, uint32_t *field)
{
    for (const int32_t *end = offsets + 2 * words; offsets != end; offsets += 2, field += 2) {
        *field = halfword_pair(window[offsets[0]], window[offsets[1]]);
    }
}

/* Both pixels' fields of a pair from their windows, each offset read once for the two. */
static void pair_fields_at_offsets(const int8_t *window0, const int8_t *window1, const int32_t *offsets,
                                   int32_t words, uint32_t *fields)
{
    for (const int32_t *end = offsets + 2 * words; offsets != end; offsets += 2, fields += 2) {
        const int32_t first = offsets[0], second = offsets[1];
        fields[0] = halfword_pair(window0[first], window0[second]);
        fields[1] = halfword_pair(window1[first], window1[second]);
    }
}

/* One pixel's field from its taps gathered as contiguous bytes. */
static void pairs_of_bytes(const int8_t *bytes, int32_t words, uint32_t *field)
{
    for (const int8_t *end = bytes + 2 * words; bytes != end; bytes += 2, field += 2) {
        *field = halfword_pair(bytes[0], bytes[1]);
    }
}

/* Where a layer's output pixels lie whose windows lie inside the image: rows [y_first, y_end), columns
 * [x_first, x_end). */
typedef struct {
    int32_t y_first, y_end, x_first, x_end;
} inside_t;

static inside_t inside_of(const tg_conv_dsp_params_t *p)
{
    const tg_window_t *w = &p->window;
    inside_t in;
    tg_indices_inside(-w->pad_h, w->stride_h, p->output_h, p->input_h - w->filter_h + 1, &in.y_first, &in.y_end);
    tg_indices_inside(-w->pad_w, w->stride_w, p->output_w, p->input_w - w->filter_w + 1, &in.x_first, &in.x_end);
    return in;
}

static inline int is_inside(const inside_t *in, int32_t y, int32_t x)
{
    return y >= in->y_first && y < in->y_end && x >= in->x_first && x < in->x_end;
}

/* The first byte of the window of output pixel (y, x) (inside the image). */
static inline const int8_t *window_of(const tg_conv_dsp_params_t *p, const int8_t *image, int32_t y, int32_t x)
{
    return image + ((tg_window_origin_y(&p->window, y)) * p->input_w + tg_window_origin_x(&p->window, x)) * p->input_c;
}

/* The field of output pixel (y, x) into one pixel's place of a pair's fields. */
static void gather_field(const tg_conv_dsp_params_t *p, const int8_t *image, const int32_t *offsets,
                         const inside_t *in, int32_t y, int32_t x, int8_t *bytes, uint32_t *field)
{
    const int32_t words = field_words(p->product.depth);
    if (is_inside(in, y, x)) {
        pairs_at_offsets(window_of(p, image, y, x), offsets, words, field);
    } else {
        tg_im2col_gather(p, image, y, x, bytes);
        pairs_of_bytes(bytes, words, field);
    }
}

/* Output channels whose accumulators wait on the stack, between the product and the requantization:
 * each loop then keeps its values in registers. Even: a chunk starts at a pair of weight rows. */
enum { CHUNK_CHANNELS = 16 };

/* A word (two taps) of two pixels' fields at *x against a word of two channels' rows at *w:
 * acc = {pixel 0 . row 0, pixel 1 . row 0, pixel 0 . row 1, pixel 1 . row 1}; both pointers advanced. */
static inline void word_2x2(const uint32_t **x, const uint32_t **w, int32_t acc[4])
{
    uint32_t x0, x1, w0, w1;
    *x = tg_load_2u32_advance(*x, &x0, &x1);
    *w = tg_load_2u32_advance(*w, &w0, &w1);
    acc[0] = tg_smlad(x0, w0, acc[0]);
    acc[1] = tg_smlad(x1, w0, acc[1]);
    acc[2] = tg_smlad(x0, w1, acc[2]);
    acc[3] = tg_smlad(x1, w1, acc[3]);
}

/* Two pixels' fields (interleaved, up to fields_end) against `count` channels' weight rows from w (pairs
 * interleaved word by word, a last odd row plain), from their biases: sums gets {pixel 0, pixel 1} per
 * channel. Two words per pass, after a first odd one. */
static void dot_pair(const uint32_t *fields, const uint32_t *fields_end, const uint32_t *w, const int32_t *bias,
                     int32_t count, int32_t *sums)
{
    const int odd_words = (fields_end - fields) / 2 % 2;
    for (; count >= 2; count -= 2, bias += 2, sums += 4) {
        int32_t acc[4] = {bias[0], bias[0], bias[1], bias[1]};
        const uint32_t *x = fields;
        if (odd_words) {
            word_2x2(&x, &w, acc);
        }
        while (x != fields_end) {
            word_2x2(&x, &w, acc);
            word_2x2(&x, &w, acc);
        }
        memcpy(sums, acc, sizeof acc);
    }
    if (count == 1) {
        int32_t acc0 = bias[0], acc1 = bias[0];
        for (const uint32_t *x = fields; x != fields_end; ++w) {
            uint32_t x0, x1;
            x = tg_load_2u32_advance(x, &x0, &x1);
            acc0 = tg_smlad(x0, *w, acc0);
            acc1 = tg_smlad(x1, *w, acc1);
        }
        sums[0] = acc0;
        sums[1] = acc1;
    }
}

/* Outputs [first, first + count) of two pixels from their (doubled) sums {pixel 0, pixel 1} per channel, saturated
 * to int8: the activation's clamp follows over the whole image, four outputs at a time (clamp_outputs). */
static void requantize_pair(const tg_requant_t *r, const int32_t *sums, int32_t first, int32_t count, int8_t *out0,
                            int8_t *out1)
{
    const int32_t *multiplier = r->multipliers + first;
    const int8_t *rounding_shift = r->rounding_shifts + first;
    const int32_t gap = (int32_t)(out1 - out0);   /* pixel 1's outputs after pixel 0's: one pointer for both */
    int8_t *out = out0 + first;
    for (const int32_t *end = sums + 2 * count; sums != end; ++multiplier, ++rounding_shift) {
        uint32_t sum0, sum1;
        sums = tg_load_2u32_advance(sums, &sum0, &sum1);
        const int32_t v0 = tg_requantize_twice_dsp((int32_t)sum0, *multiplier, r->offset_rounding, *rounding_shift);
        const int32_t v1 = tg_requantize_twice_dsp((int32_t)sum1, *multiplier, r->offset_rounding, *rounding_shift);
        out[0] = (int8_t)tg_ssat8_halved(v0);
        out[gap] = (int8_t)tg_ssat8_halved(v1);
        ++out;
    }
}

/* n int8 outputs clamped to the activation's range, a word at a time, then the last ones alone. */
static void clamp_outputs(const tg_requant_t *r, int8_t *out, int32_t n)
{
    tg_clamp_words(&r->clamp, out, n / 4);
    out += n / 4 * 4;
    for (int32_t k = 0; k < n % 4; ++k) {
        out[k] = (int8_t)tg_clamp_i32(out[k], r->clamp.act_min, r->clamp.act_max);
    }
}

/* Two pixels' fields (interleaved) against every channel's weights, into out0 and out1. */
static void product_pair(const tg_conv_dsp_params_t *p, const uint32_t *fields, const uint32_t *rows,
                         const int32_t *bias, int8_t *out0, int8_t *out1)
{
    const tg_requant_t requant = p->product.requant;    /* on the stack: the int8 stores leave it unchanged */
    const int32_t channels = p->product.channels, words = field_words(p->product.depth);
    int32_t sums[2 * CHUNK_CHANNELS];
    for (int32_t first = 0; first < channels; first += CHUNK_CHANNELS) {
        const int32_t count = channels - first < CHUNK_CHANNELS ? channels - first : CHUNK_CHANNELS;
        dot_pair(fields, fields + 2 * words, rows + first * words, bias + first, count, sums);
        requantize_pair(&requant, sums, first, count, out0, out1);
    }
}

void tg_conv_shallow_s8_dsp(const tg_conv_dsp_params_t *params, const int8_t *input, const int8_t *filter,
                            const int32_t *folded_bias, uint32_t *scratch, int8_t *output)
{
    const tg_conv_dsp_params_t *const p = params;
    const int32_t words = field_words(p->product.depth), channels = p->product.channels;
    uint32_t *const fields = scratch;
    int32_t *const offsets = (int32_t *)(void *)(scratch + 2 * words);
    int8_t *const bytes = (int8_t *)(void *)(scratch + 4 * words);
    uint32_t *const rows = scratch + 4 * words + gathered_words(p->product.depth);
    widen_weights(filter, weight_words(p->product.depth, channels), rows);
    tap_offsets(p, offsets);
    bytes[2 * words - 1] = 0;     /* an odd last tap's partner, whose weight is zero */
    const inside_t in = inside_of(p);
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * p->input_h * p->input_w * p->input_c;
        int32_t y = 0, x = 0;   /* the next output pixel */
        for (int32_t left = p->output_h * p->output_w; left > 0; left -= 2) {
            const int32_t pixels = left == 1 ? 1 : 2;     /* a last odd pixel is paired with itself */
            int32_t y1 = y, x1 = x;
            if (pixels == 2) {
                tg_im2col_next_pixel(p, &y1, &x1);
            }
            if (is_inside(&in, y, x) && is_inside(&in, y1, x1)) {
                pair_fields_at_offsets(window_of(p, image, y, x), window_of(p, image, y1, x1), offsets, words, fields);
            } else {
                gather_field(p, image, offsets, &in, y, x, bytes, fields);
                gather_field(p, image, offsets, &in, y1, x1, bytes, fields + 1);
            }
            y = y1;
            x = x1;
            product_pair(p, fields, rows, folded_bias, output, output + (pixels - 1) * channels);
            tg_im2col_next_pixel(p, &y, &x);
            output += pixels * channels;
        }
        if (p->product.requant.clamp.act_min != -128 || p->product.requant.clamp.act_max != 127) {
            const int32_t image_outputs = p->output_h * p->output_w * channels;
            clamp_outputs(&p->product.requant, output - image_outputs, image_outputs);
        }
    }
}
