/* The int8 product of the DSP variants (tg_product_t), shared by the matrix product
 * (tg_matmul_s8_dsp.c) and the im2col convolution (tg_conv_s8_dsp.c): output pixels against every
 * channel's weights, over `depth` int8 values that lie contiguous in memory for each pixel. One
 * compiled copy (tg_product_dsp.c) serves both kernels; the generator adds it with either. */
#ifndef TG_PRODUCT_DSP_H
#define TG_PRODUCT_DSP_H

#include "tg_kernels.h"

/* The scratch of the product: two pixels, each (depth + 3) / 4 words as two words of halfword pairs. */
static inline int32_t tg_product_split_bytes(int32_t depth)
{
    return 16 * ((depth + 3) / 4);
}

/* The scratch of tg_product_pixel_triple: three pixels, each (depth + 3) / 4 words as two words of halfword
 * pairs. */
static inline int32_t tg_product_split_triple_bytes(int32_t depth)
{
    return 24 * ((depth + 3) / 4);
}

/* Splits the depth int8 values at input into (depth + 3) / 4 words' even and odd halfword pairs (SXTB16,
 * a last partial word padded with zeros), two split words per input word, stride split words apart
 * from one input word to the next (6: a pixel of a triple, the others 2 and 4 words in; 4: a pixel of a
 * pair, whose other pixel starts 2 words in; 2: a single pixel). Returns where the next word's pair goes. */
uint32_t *tg_product_split(const int8_t *input, int32_t depth, uint32_t *split, int32_t stride);

/* Output pixels 0 and 1 of a pair into out0 and out1 (channels bytes each), from their split inputs
 * (interleaved: stride 4). filter (word-aligned): channels rows of depth int8 weights, each padded
 * with zeros to (depth + 3) / 4 whole words, the rows of channels 2k and 2k + 1 interleaved word by
 * word (or stacked in halfwords: p->stacked, tg_product_dsp.c), a last odd row plain. */
void tg_product_of_split_pair(const tg_product_t *p, const uint32_t *split, const int8_t *filter,
                              const int32_t *folded_bias, int8_t *out0, int8_t *out1);

/* Output pixels in0 and in1 (depth bytes each) into out0 and out1 (channels bytes each); split:
 * tg_product_split_bytes(depth) bytes, word-aligned. */
void tg_product_pixel_pair(const tg_product_t *p, const int8_t *in0, const int8_t *in1, const int8_t *filter,
                           const int32_t *folded_bias, uint32_t *split, int8_t *out0, int8_t *out1);

/* Output pixels 0, 1 and 2 of a triple into out, out + channels and out + 2 * channels, from their split
 * inputs (interleaved: stride 6); filter as for tg_product_of_split_pair. The requantization must be per
 * channel (requant.per_channel 1, as the generator makes it for every CONV_2D). */
void tg_product_of_split_triple(const tg_product_t *p, const uint32_t *split, const int8_t *filter,
                                const int32_t *folded_bias, int8_t *out);

/* Output pixels in, in + in_step and in + 2 * in_step (depth bytes each) into out, out + channels and
 * out + 2 * channels; split: tg_product_split_triple_bytes(depth) bytes, word-aligned. Per-channel
 * requantization only, as tg_product_of_split_triple. */
void tg_product_pixel_triple(const tg_product_t *p, const int8_t *in, int32_t in_step, const int8_t *filter,
                             const int32_t *folded_bias, uint32_t *split, int8_t *out);

/* A lone output pixel, alike; its input split whole (run_groups 0: split holds 8 bytes per word of depth;
 * in NULL: split there already, stride 2), or run_groups words of depth at a time against each chunk of
 * channels in turn (8 bytes per word of a run: less scratch, the input read again for each chunk). */
void tg_product_single_pixel(const tg_product_t *p, const int8_t *in, int32_t run_groups, const int8_t *filter,
                             const int32_t *folded_bias, uint32_t *split, int8_t *out);

#endif /* TG_PRODUCT_DSP_H */
