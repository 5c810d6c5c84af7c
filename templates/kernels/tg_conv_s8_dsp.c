/* CONV_2D as im2col + the DSP product (tg_conv_dsp_params_t), variant "dsp".
 *
 * Chosen at generation time (tinygen/compiler/variants.py) for cores with the DSP extension when the
 * filter covers all input channels (no groups) with no dilation, and is not a 1x1 that the matrix
 * product serves without a gather. Two output pixels at a time: their receptive fields are gathered
 * (filter_h x filter_w x input_c bytes each, the OHWI order of a filter row) into the scratch, then the
 * product of tg_product_dsp.h runs over them. Bit-exact with TFLM's reference kernel, as the matrix
 * product is: the input offset is folded into the bias, and the padding reads the input zero point
 * (tg_im2col.h). */
#include "tg_im2col.h"
#include "tg_product_dsp.h"

/* The split words of two pixels, then their two gathered fields, each rounded to whole words. */
int32_t tg_conv_s8_dsp_scratch_bytes(int32_t depth)
{
    return tg_product_split_bytes(depth) + 2 * ((depth + 3) / 4 * 4);
}

void tg_conv_s8_dsp(const tg_conv_dsp_params_t *p, const int8_t *input, const int8_t *filter,
                    const int32_t *folded_bias, uint32_t *scratch, int8_t *output)
{
    const int32_t depth = p->product.depth, channels = p->product.channels;
    int8_t *const field0 = (int8_t *)(void *)scratch + tg_product_split_bytes(depth);
    int8_t *const field1 = field0 + (depth + 3) / 4 * 4;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * p->input_h * p->input_w * p->input_c;
        int32_t y = 0, x = 0;   /* the next output pixel */
        for (int32_t left = p->output_h * p->output_w; left > 0; left -= 2) {
            tg_im2col_gather(p, image, y, x, field0);
            tg_im2col_next_pixel(p, &y, &x);
            if (left == 1) {
                tg_product_single_pixel(&p->product, field0, filter, folded_bias, scratch, output);
                output += channels;
                break;
            }
            tg_im2col_gather(p, image, y, x, field1);
            tg_im2col_next_pixel(p, &y, &x);
            tg_product_pixel_pair(&p->product, field0, field1, filter, folded_bias, scratch, output, output + channels);
            output += 2 * channels;
        }
    }
}
