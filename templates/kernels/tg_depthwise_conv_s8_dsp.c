/* DEPTHWISE_CONV_2D with depth multiplier 1 (tg_depthwise_dsp_params_t), variant "dsp".
 *
 * Chosen at generation time (tinygen/compiler/variants.py) for cores with the DSP extension when each
 * output channel reads its own input channel (depth multiplier 1), without dilation, over at least 4
 * channels; other depthwise layers keep the portable kernel. Bit-exact with TFLM's reference kernel: an
 * output is bias + the sum of weight * (input + input_offset) over the window's taps inside the image, in
 * int32 arithmetic modulo 2^32, requantized as TFLM does (tg_requant_dsp.h). The host build runs this same
 * source on exact C models of the instructions (tg_acle.h).
 *
 * Channels lie contiguous in the image (NHWC) and in the filter (1HWC), so one word holds 4 channels of
 * a tap, and 4 channels are summed at once: SXTAB16 adds the input offset to the even and (rotated by 8)
 * the odd input bytes as halfwords (input + offset fits one), SXTB16 splits the weight word alike, and
 * SMLABB / SMLATT accumulate the 4 channels apart. The weights stay int8 as stored. Since the offset is
 * added to real taps only, taps in the padding are left out instead of tested: each output pixel's window
 * is clipped to the image once, so border pixels cost what inner ones do. The last channels % 4
 * channels: plain C over the same window. A pixel's sums go to the scratch and are requantized in one
 * run, which keeps the requantization's values in registers apart from the accumulation's; that run takes
 * 4 channels at a time, their sums, multipliers and roundings two per load (LDRD), and stores their outputs
 * as one word: about 12 instructions a channel on Cortex-M4, one at a time took 17. Two output
 * pixels per pass (each weight word split once for both) measured slower on Cortex-M4: their 8
 * accumulators, the offset and the pointers do not fit the registers, and the spills cost what the
 * shared weights save. */
#include "tg_acle.h"
#include "tg_bytes_dsp.h"
#include "tg_kernels.h"
#include "tg_requant_dsp.h"

/* One int32 sum per channel. */
int32_t tg_depthwise_conv_s8_dsp_scratch_bytes(int32_t channels)
{
    return 4 * channels;
}

/* The window's taps inside the image along one axis: [first, last). */
typedef struct {
    int32_t first, last;
} tap_span_t;

/* origin: the image coordinate of tap 0; the image `size` long. The generator chose this kernel only if
 * every window meets the image, so first < last. */
static inline tap_span_t taps_inside(int32_t origin, int32_t taps, int32_t size)
{
    const tap_span_t span = {tg_max_i32(0, -origin), tg_min_i32(taps, size - origin)};
    return span;
}

/* How the taps of a window lie in memory, and the offset added to each input: fixed for a layer. */
typedef struct {
    int32_t channels;               /* the bytes from one tap to the next, in the image as in the filter */
    int32_t in_row_step, w_row_step;
    int32_t input_offset;
    uint32_t offset_pair;           /* input_offset in both halfwords */
} layout_t;

/* One output pixel's window clipped to the image: rows of row_bytes / channels taps, the first at in
 * (input) and w (weights). */
typedef struct {
    const int8_t *in, *w;
    int32_t rows, row_bytes;
} window_t;

/* acc[k] += w[k] * (x[k] + input_offset) for the 4 channels of one tap, held by x_word and w_word. */
static inline void mac_tap(uint32_t offset_pair, uint32_t x_word, uint32_t w_word, int32_t acc[4])
{
    const uint32_t x_even = tg_sxtab16(offset_pair, x_word), x_odd = tg_sxtab16_ror8(offset_pair, x_word);
    const uint32_t w_even = tg_sxtb16(w_word), w_odd = tg_sxtb16_ror8(w_word);
    acc[0] = tg_smlabb(x_even, w_even, acc[0]);
    acc[1] = tg_smlabb(x_odd, w_odd, acc[1]);
    acc[2] = tg_smlatt(x_even, w_even, acc[2]);
    acc[3] = tg_smlatt(x_odd, w_odd, acc[3]);
}

/* acc[k] += w[k] * (in[k] + input_offset) over the window's taps (at least one), for the 4 channels at in
 * and w. A tap's input and weights lie the same bytes on from their row's first, so one index serves both. */
static inline void accumulate_4_channels(const layout_t *l, const window_t *win, const int8_t *in,
                                         const int8_t *w, int32_t acc[4])
{
    const int8_t *const end = in + win->rows * l->in_row_step;
    do {
        int32_t k = win->row_bytes - l->channels;
        do {    /* from the row's last tap down, which spares the loop a compare */
            mac_tap(l->offset_pair, tg_load_u32(in + k), tg_load_u32(w + k), acc);
            k -= l->channels;
        } while (k >= 0);
        in += l->in_row_step;
        w += l->w_row_step;
    } while (in != end);
}

/* The sum of w * (in + input_offset) over the window's taps, for the one channel at in and w. */
static int32_t accumulate_1_channel(const layout_t *l, const window_t *win, const int8_t *in, const int8_t *w)
{
    int32_t acc = 0;
    for (int32_t row = 0; row < win->rows; ++row, in += l->in_row_step, w += l->w_row_step) {
        for (int32_t k = 0; k < win->row_bytes; k += l->channels) {
            acc += w[k] * (in[k] + l->input_offset);
        }
    }
    return acc;
}

/* sums[c] = bias[c] + the window's sum, for every channel of one output pixel. */
static void sum_pixel(const layout_t *l, const window_t *win, const int32_t *bias, int32_t *sums)
{
    int32_t c = 0;
    for (; c + 4 <= l->channels; c += 4) {
        int32_t acc[4] = {bias[c], bias[c + 1], bias[c + 2], bias[c + 3]};
        accumulate_4_channels(l, win, win->in + c, win->w + c, acc);
        sums[c] = acc[0];
        sums[c + 1] = acc[1];
        sums[c + 2] = acc[2];
        sums[c + 3] = acc[3];
    }
    for (; c < l->channels; ++c) {
        sums[c] = bias[c] + accumulate_1_channel(l, win, win->in + c, win->w + c);
    }
}

/* Where the requantization of a pixel's channels has got to: the next channel's sum, multiplier and
 * rounding, word-aligned, so that LDRD loads two of each. */
typedef struct {
    const void *sum, *multiplier, *rounding;
} requant_cursor_t;

/* The next two channels' sums requantized, not clamped, right shifted by shifts[0] and shifts[1]. */
static inline void requantize_next_2(requant_cursor_t *at, const int8_t *shifts, int32_t value[2])
{
    uint32_t sum[2], multiplier[2], rounding[2];
    at->sum = tg_load_2u32_advance(at->sum, &sum[0], &sum[1]);
    at->multiplier = tg_load_2u32_advance(at->multiplier, &multiplier[0], &multiplier[1]);
    at->rounding = tg_load_2u32_advance(at->rounding, &rounding[0], &rounding[1]);
    for (int k = 0; k < 2; ++k) {
        value[k] = tg_rescale_dsp((int32_t)sum[k], (int32_t)multiplier[k], (int32_t)rounding[k], shifts[k]);
    }
}

/* out[c] = sums[c] requantized, for every channel (the multipliers are per channel). Four channels to a
 * word: saturated, packed and clamped together, one store (tg_bytes_dsp.h). */
static void requantize_pixel(const tg_requant_t *r, const int32_t *sums, int32_t channels, int8_t *out)
{
    const tg_requant_t q = *r;  /* on the stack: the int8 stores cannot change it, so it stays in registers */
    const uint32_t lowest = tg_replicated_byte(q.act_min), highest = tg_replicated_byte(q.act_max);
    requant_cursor_t at = {sums, q.multipliers, q.roundings};
    int32_t c = 0;
    for (; c + 4 <= channels; c += 4) {
        int32_t low[2], high[2];
        requantize_next_2(&at, q.right_shifts + c, low);
        requantize_next_2(&at, q.right_shifts + c + 2, high);
        tg_store_u32(out + c, tg_clamp_bytes(tg_saturated_bytes(low[0], low[1], high[0], high[1]), lowest, highest));
    }
    for (; c < channels; ++c) {
        out[c] = tg_requantize_dsp(sums[c], &q, c);
    }
}

void tg_depthwise_conv_s8_dsp(const tg_depthwise_dsp_params_t *p, const int8_t *input, const int8_t *filter,
                              const int32_t *bias, int32_t *scratch, int8_t *output)
{
    const int32_t c = p->channels;
    const layout_t layout = {c, p->input_w * c, p->filter_w * c, p->input_offset,
                             ((uint32_t)p->input_offset & 0xFFFFu) * 0x10001u};
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * p->input_h * p->input_w * c;
        for (int32_t out_y = 0; out_y < p->output_h; ++out_y) {
            const int32_t in_y = out_y * p->stride_h - p->pad_h;
            const tap_span_t rows = taps_inside(in_y, p->filter_h, p->input_h);
            for (int32_t out_x = 0; out_x < p->output_w; ++out_x, output += c) {
                const int32_t in_x = out_x * p->stride_w - p->pad_w;
                const tap_span_t cols = taps_inside(in_x, p->filter_w, p->input_w);
                const window_t window = {image + ((in_y + rows.first) * p->input_w + in_x + cols.first) * c,
                                         filter + (rows.first * p->filter_w + cols.first) * c,
                                         rows.last - rows.first, (cols.last - cols.first) * c};
                sum_pixel(&layout, &window, bias, scratch);
                requantize_pixel(&p->requant, scratch, c, output);
            }
        }
    }
}
