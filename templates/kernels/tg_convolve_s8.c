/* CONV_2D, int8 activations and weights, int32 bias, per-channel requantization (TFLM reference
 * arithmetic). Filter layout OHWI; grouped convolution when input_c is a multiple of filter_c.
 * Portable C variant: lowering's choice for every CONV_2D, kept on cores without the DSP extension and
 * where no other variant fits; on cores with it, compiler/variants.py moves ungrouped, undilated layers
 * to the DSP product kernels where their requantization is exact; on any core, compiler/sparse.py moves
 * layers whose weights take less flash sparse to the sparse kernels.
 *
 * Two output channels at a time, so the input offset is folded into their biases once:
 * sum(w * (x + offset)) = sum(w * x) + offset * sum(w), equal in int32 wrap-around arithmetic.
 * Pixels whose window lies inside the image take that path, two at a time: each input then meets
 * two weights and each weight two inputs, four products for four loads. Windows that overlap the
 * padding sum over the taps inside the image, found once for both channels. */
#include "tg_fixedpoint.h"
#include "tg_kernels.h"
#include "tg_window.h"

/* dot2x2's step for tap i: two weights (channels) by two inputs (pixels), four products added to its
 * accumulators a<channel><pixel>. */
#define TG_DOT2X2_STEP(i)                                                                                       \
    do {                                                                                                       \
        const int32_t u = w0[i], v = w1[i], s = x0[i], t = x1[i];                                              \
        a00 += u * s;                                                                                          \
        a01 += u * t;                                                                                          \
        a10 += v * s;                                                                                          \
        a11 += v * t;                                                                                          \
    } while (0)

/* The dot products of two weight runs (channels) with two input runs (pixels): acc[2 * channel + pixel],
 * 4 taps per step. */
static inline void dot2x2(const int8_t *w0, const int8_t *w1, const int8_t *x0, const int8_t *x1, int32_t n,
                          int32_t acc[4])
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    const int8_t *const w0_end4 = w0 + (n & ~3);
    const int8_t *const w0_end = w0 + n;
    for (; w0 != w0_end4; w0 += 4, w1 += 4, x0 += 4, x1 += 4) {
        TG_DOT2X2_STEP(0);
        TG_DOT2X2_STEP(1);
        TG_DOT2X2_STEP(2);
        TG_DOT2X2_STEP(3);
    }
    for (; w0 != w0_end; ++w0, ++w1, ++x0, ++x1) {
        TG_DOT2X2_STEP(0);
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

static inline int32_t weights_sum(const int8_t *w, int32_t n)
{
    int32_t sum = 0;
    for (const int8_t *const w_end = w + n; w != w_end; ++w) {
        sum += *w;
    }
    return sum;
}

/* One output channel's constants. */
typedef struct {
    const int8_t *filter; /* its weights */
    int32_t bias, inside_base, multiplier, shift;
} channel_t;

static channel_t channel(const tg_conv_params_t *p, const int8_t *filter, const int32_t *bias, int32_t c,
                         int32_t filter_size)
{
    channel_t ch = {filter + c * filter_size, bias ? bias[c] : 0, 0, p->requant.multipliers[c],
                      p->requant.shifts[c]};
    ch.inside_base = ch.bias + p->input_offset * weights_sum(ch.filter, filter_size);
    return ch;
}

/* The first input of the window of output pixel (y, x) if it lies inside the image, else NULL. */
static inline const int8_t *window_inside(const tg_conv_params_t *p, const int8_t *group, int32_t y, int32_t x)
{
    const int32_t in_y = tg_window_origin_y(&p->window, y), in_x = tg_window_origin_x(&p->window, x);
    if (in_y < 0 || in_y + p->dilation_h * (p->window.filter_h - 1) >= p->input_h || in_x < 0
        || in_x + p->dilation_w * (p->window.filter_w - 1) >= p->input_w) {
        return 0;
    }
    return group + (in_y * p->input_w + in_x) * p->input_c;
}

static inline void next_pixel(const tg_conv_params_t *p, int32_t *y, int32_t *x)
{
    if (++*x == p->output_w) {
        *x = 0;
        ++*y;
    }
}

static inline int8_t requantize(const tg_conv_params_t *p, const channel_t *ch, int32_t acc)
{
    return tg_requantize_clamp_s8(acc, ch->multiplier, ch->shift, p->requant.output_offset, p->requant.clamp);
}

/* How a window's taps lie in the input: per filter row, runs_per_row runs of run_len bytes (with their
 * weights contiguous), run_step apart; the rows row_step apart. */
typedef struct {
    int32_t run_len, runs_per_row, run_step, row_step;
} window_runs_t;

static window_runs_t window_runs(const tg_conv_params_t *p)
{
    /* A filter row is one contiguous input run when its taps are adjacent, else one run per tap. */
    const int32_t row_is_one_run = p->dilation_w == 1 && p->filter_c == p->input_c;
    const window_runs_t runs = {row_is_one_run ? p->window.filter_w * p->filter_c : p->filter_c,
                                row_is_one_run ? 1 : p->window.filter_w, p->dilation_w * p->input_c,
                                p->dilation_h * p->input_w * p->input_c};
    return runs;
}

/* The sums w0 * (x + offset) and w1 * (x + offset) over n taps, added to acc[0] and acc[2]. */
static inline void dot2x1_offset(const int8_t *w0, const int8_t *w1, const int8_t *x, int32_t n, int32_t offset,
                                 int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = acc[2];
    for (const int8_t *const x_end = x + n; x != x_end;) {
        const int32_t v = *x++ + offset;
        a0 += *w0++ * v;
        a1 += *w1++ * v;
    }
    acc[0] = a0;
    acc[2] = a1;
}

/* acc[2 * channel]: the reference accumulations of two channels over a window overlapping the padding,
 * over the taps inside the image, found once for both. */
static void border_acc(const tg_conv_params_t *p, const window_runs_t *runs, const int8_t *group, const channel_t ch[2],
                       int32_t in_y_origin, int32_t in_x_origin, int32_t acc[4])
{
    int32_t fy, fy_end, fx_first, fx_end;
    tg_indices_inside(in_y_origin, p->dilation_h, p->window.filter_h, p->input_h, &fy, &fy_end);
    tg_indices_inside(in_x_origin, p->dilation_w, p->window.filter_w, p->input_w, &fx_first, &fx_end);
    acc[0] = ch[0].bias;
    acc[2] = ch[1].bias;
    for (; fy < fy_end; ++fy) {
        const int32_t in_y = in_y_origin + p->dilation_h * fy;
        const int32_t w_offset = (fy * p->window.filter_w + fx_first) * p->filter_c;
        const int8_t *x = group + (in_y * p->input_w + in_x_origin + p->dilation_w * fx_first) * p->input_c;
        if (runs->runs_per_row == 1) { /* the row's taps inside the image are one run */
            dot2x1_offset(ch[0].filter + w_offset, ch[1].filter + w_offset, x, (fx_end - fx_first) * p->filter_c,
                          p->input_offset, acc);
            continue;
        }
        for (int32_t fx = fx_first; fx < fx_end; ++fx, x += runs->run_step) {
            const int32_t w_tap = w_offset + (fx - fx_first) * p->filter_c;
            dot2x1_offset(ch[0].filter + w_tap, ch[1].filter + w_tap, x, p->filter_c, p->input_offset, acc);
        }
    }
}

/* acc[2 * channel + pixel]: the sums of two channels over two windows inside the image, whose first
 * inputs are in0 and in1. */
static inline void inside_acc(const tg_conv_params_t *p, const window_runs_t *runs, const channel_t ch[2],
                              const int8_t *in0, const int8_t *in1, int32_t acc[4])
{
    acc[0] = acc[1] = ch[0].inside_base;
    acc[2] = acc[3] = ch[1].inside_base;
    const int8_t *w0 = ch[0].filter, *w1 = ch[1].filter;
    for (int32_t fy = 0; fy < p->window.filter_h; ++fy, in0 += runs->row_step, in1 += runs->row_step) {
        for (int32_t r = 0; r < runs->runs_per_row; ++r, w0 += runs->run_len, w1 += runs->run_len) {
            dot2x2(w0, w1, in0 + r * runs->run_step, in1 + r * runs->run_step, runs->run_len, acc);
        }
    }
}

/* The outputs of channels c0 (and c0 + 1 if pair) at every pixel. */
static void channel_outputs(const tg_conv_params_t *p, const window_runs_t *runs, const int8_t *group,
                            const channel_t ch[2], int32_t pair, int8_t *out_image)
{
    const int32_t pixels = p->output_h * p->output_w;
    int32_t y = 0, x = 0; /* the output pixel */
    for (int32_t pixel = 0, count = 1; pixel < pixels; pixel += count) {
        int8_t *out = out_image + pixel * p->output_c;
        const int8_t *in0 = window_inside(p, group, y, x);
        int32_t acc[4];
        count = 1;
        if (!in0) {
            border_acc(p, runs, group, ch, tg_window_origin_y(&p->window, y), tg_window_origin_x(&p->window, x), acc);
        } else {
            int32_t y1 = y, x1 = x;
            next_pixel(p, &y1, &x1);
            const int8_t *in1 = pixel + 1 < pixels ? window_inside(p, group, y1, x1) : 0;
            count = in1 ? 2 : 1;
            /* A lone pixel (the next one's window overlaps the padding) is computed twice. */
            inside_acc(p, runs, ch, in0, in1 ? in1 : in0, acc);
        }
        for (int32_t k = 0; k < count; ++k, out += p->output_c) {
            out[0] = requantize(p, &ch[0], acc[k]);
            if (pair) {
                out[1] = requantize(p, &ch[1], acc[2 + k]);
            }
            next_pixel(p, &y, &x);
        }
    }
}

void tg_convolve_s8(const tg_conv_params_t *p, const int8_t *input, const int8_t *filter, const int32_t *bias,
                    int8_t *output)
{
    const int32_t filters_per_group = p->output_c / (p->input_c / p->filter_c);
    const int32_t filter_size = p->window.filter_h * p->window.filter_w * p->filter_c;
    const window_runs_t runs = window_runs(p);
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * p->input_h * p->input_w * p->input_c;
        int8_t *out_image = output + b * p->output_h * p->output_w * p->output_c;
        for (int32_t c0 = 0, pair; c0 < p->output_c; c0 += 1 + pair) {
            /* The channel pair must share a group; a lone channel is computed twice and stored once. */
            pair = c0 + 1 < p->output_c && (c0 + 1) % filters_per_group != 0;
            const channel_t ch[2] = {channel(p, filter, bias, c0, filter_size),
                                     channel(p, filter, bias, c0 + pair, filter_size)};
            const int8_t *group = image + (c0 / filters_per_group) * p->filter_c;
            channel_outputs(p, &runs, group, ch, pair, out_image + c0);
        }
    }
}
