/* CONV_2D as im2col + the DSP product (tg_conv_dsp_params_t), variant "dsp".
 *
 * Chosen at generation time (tinygen/compiler/variants.py) for cores with the DSP extension when the
 * filter covers all input channels (no groups) with no dilation, and is not a 1x1 that the matrix
 * product serves without a gather. The receptive fields of output pixels (filter_h x filter_w x
 * input_c bytes each, the OHWI order of a filter row) go into the product of
 * tg_product_dsp.h. When input_c is a multiple of 4 every tap is whole words, split straight from the
 * image into the product's scratch, three output pixels at a time (a last two as a pair, a last one
 * alone); otherwise the fields of two pixels at a time are first gathered into the scratch as bytes.
 * Bit-exact with TFLM's reference kernel, as the matrix product is: the input offset is folded into
 * the bias, and the padding reads the input zero point (tg_im2col.h). */
#include "tg_acle.h"
#include "tg_im2col.h"
#include "tg_product_dsp.h"

/* Split straight from the image (input_c a multiple of 4): the split words of three pixels, or two with
 * pairs. Else room for three pixels' split words, then two gathered fields, in whole words. */
int32_t tg_conv_s8_dsp_scratch_bytes(int32_t depth, int32_t input_c, int32_t pairs)
{
    if (input_c % 4 != 0) {
        return tg_product_split_triple_bytes(depth) + 2 * ((depth + 3) / 4 * 4);
    }
    return pairs ? 16 * ((depth + 3) / 4) : tg_product_split_triple_bytes(depth);
}

/* `words` split words of the padding (pad_split: SXTB16 of four pad bytes, alike for even and odd), stride
 * split words apart. */
static uint32_t *split_padding(uint32_t pad_split, int32_t words, uint32_t *split, int32_t stride)
{
    for (; words > 0; --words, split += stride) {
        split[0] = split[1] = pad_split;
    }
    return split;
}

/* The receptive field of output pixel (out_y, out_x) split straight from the image into one pixel's
 * place of a triple's (stride 6), a pair's (stride 4) or a lone pixel's (stride 2) split, for
 * input_c % 4 == 0. */
static void split_field(const tg_conv_dsp_params_t *p, const int8_t *image, int32_t out_y, int32_t out_x,
                        uint32_t pad_split, uint32_t *split, int32_t stride)
{
    const tg_im2col_window_t w = tg_im2col_window(p, out_y, out_x);
    const int32_t tap_words = p->input_c / 4;
    for (int32_t fy = 0; fy < p->window.filter_h; ++fy) {
        const int32_t in_y = w.in_y0 + fy;
        if (!tg_im2col_row_inside(p, in_y)) {
            split = split_padding(pad_split, p->window.filter_w * tap_words, split, stride);
            continue;
        }
        split = split_padding(pad_split, w.first * tap_words, split, stride);
        split = tg_product_split(image + (in_y * p->input_w + w.in_x0 + w.first) * p->input_c,
                                 (w.last - w.first) * p->input_c, split, stride);
        split = split_padding(pad_split, (p->window.filter_w - w.last) * tap_words, split, stride);
    }
}

void tg_conv_s8_dsp(const tg_conv_dsp_params_t *p, const int8_t *input, const int8_t *filter,
                    const int32_t *folded_bias, uint32_t *scratch, int8_t *output)
{
    const int32_t depth = p->product.depth, channels = p->product.channels;
    int8_t *const field0 = (int8_t *)(void *)scratch + tg_product_split_triple_bytes(depth);   /* if gathered */
    const int split_from_image = p->input_c % 4 == 0;
    const int triples = split_from_image && p->product.requant.per_channel && !p->pairs;   /* as the triple needs */
    const uint32_t pad_split = tg_sxtb16((uint8_t)p->pad_value * 0x01010101u);
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * p->input_h * p->input_w * p->input_c;
        int32_t y = 0, x = 0;   /* the next output pixel */
        int32_t left = p->output_h * p->output_w;
        for (; triples && left >= 3; left -= 3, output += 3 * channels) {
            for (int k = 0; k < 3; ++k, tg_im2col_next_pixel(p, &y, &x)) {
                split_field(p, image, y, x, pad_split, scratch + 2 * k, 6);
            }
            tg_product_of_split_triple(&p->product, scratch, filter, folded_bias, output);
        }
        for (; left >= 2; left -= 2, output += 2 * channels) {
            int32_t y1 = y, x1 = x;
            tg_im2col_next_pixel(p, &y1, &x1);
            if (split_from_image) {
                split_field(p, image, y, x, pad_split, scratch, 4);
                split_field(p, image, y1, x1, pad_split, scratch + 2, 4);
                tg_product_of_split_pair(&p->product, scratch, filter, folded_bias, output, output + channels);
            } else {
                int8_t *const field1 = field0 + (depth + 3) / 4 * 4;
                tg_im2col_gather(p, image, y, x, field0);
                tg_im2col_gather(p, image, y1, x1, field1);
                tg_product_pixel_pair(&p->product, field0, field1, filter, folded_bias, scratch, output,
                                      output + channels);
            }
            y = y1;
            x = x1;
            tg_im2col_next_pixel(p, &y, &x);
        }
        if (left == 1 && split_from_image) {
            split_field(p, image, y, x, pad_split, scratch, 2);
            tg_product_single_pixel(&p->product, NULL, 0, filter, folded_bias, scratch, output);
            output += channels;
        } else if (left == 1) {
            tg_im2col_gather(p, image, y, x, field0);
            tg_product_single_pixel(&p->product, field0, 0, filter, folded_bias, scratch, output);
            output += channels;
        }
    }
}
