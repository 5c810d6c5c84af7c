/* tinygen int8 kernels: one kernel per file, named tg_<op>[_<variant>]_<type>.
 *
 * Every parameter that can be known before run time is computed by the generator and passed in a
 * const struct (placed in flash), so a kernel does only the arithmetic that depends on the data.
 * Offsets follow TFLite: input_offset = -input zero point, output_offset = +output zero point. */
#ifndef TG_KERNELS_H
#define TG_KERNELS_H

#include <stdint.h>

#define TG_MAX_DIMS 6

/* The parts the parameter structs below are composed of. */

/* A convolution's or pooling's window: its size, the step between the windows of neighbouring output
 * pixels, and the rows and columns of padding before the image (the window of output pixel (y, x) starts
 * at input (y * stride_h - pad_h, x * stride_w - pad_w)). Dilation, which only the portable convolutions
 * take, lies beside it. */
typedef struct {
    int32_t filter_h, filter_w;
    int32_t stride_h, stride_w;
    int32_t pad_h, pad_w;
} tg_window_t;

/* The fused activation's clamp on int8 outputs (the whole int8 range for none). */
typedef struct {
    int32_t act_min, act_max;
} tg_clamp_t;

/* Requantization of int32 accumulators to int8 outputs (tg_requantize_clamp_s8): TFLM's multiplier and
 * shift for each output channel, the output zero point, the clamp. */
typedef struct {
    const int32_t *multipliers;
    const int32_t *shifts;
    int32_t output_offset;
    tg_clamp_t clamp;
} tg_channel_requant_t;

/* Requantization of int32 values to int8 outputs with one multiplier and shift for the whole tensor (TFLM's),
 * the output zero point and the clamp: the output side of the element-wise kernels. */
typedef struct {
    int32_t multiplier, shift;
    int32_t output_offset;
    tg_clamp_t clamp;
} tg_tensor_requant_t;

typedef struct {
    int32_t batches;
    int32_t input_h, input_w, input_c;
    int32_t filter_c; /* input channels per group */
    int32_t output_h, output_w, output_c;
    tg_window_t window;
    int32_t dilation_h, dilation_w;
    int32_t input_offset;
    tg_channel_requant_t requant;
} tg_conv_params_t;

typedef struct {
    int32_t batches;
    int32_t input_h, input_w, input_c;
    int32_t output_h, output_w, output_c;
    int32_t depth_multiplier;
    tg_window_t window;
    int32_t dilation_h, dilation_w;
    int32_t input_offset;
    tg_channel_requant_t requant;
} tg_depthwise_conv_params_t;

typedef struct {
    int32_t batches, accum_depth, output_depth;
    int32_t input_offset, filter_offset;
    int32_t per_channel; /* 0: requant's multipliers[0] and shifts[0] apply to every output */
    tg_channel_requant_t requant;
} tg_fully_connected_params_t;

/* Requantization of int32 accumulators to int8 outputs and the fused activation's clamp, in the form
 * the DSP kernels compute it (tg_requant_dsp.h): TFLM's multiplier, its right shift less 1, and
 * 2 * output_offset + 1, whence the kernels make each channel's rounding constant, all made at generation time. */
typedef struct {
    const int32_t *multipliers; /* per output channel, or one for all when per_channel is 0 */
    const int8_t *rounding_shifts; /* right shift - 1 >= 0 */
    int32_t offset_rounding;    /* 2 * output_offset + 1 */
    int32_t per_channel;
    tg_clamp_t clamp;
} tg_requant_t;

/* An int8 product: output[pixel][channel] = requant(bias[channel] + sum over d < depth of
 * input[pixel][d] * filter[channel][d]), the input offset folded into the bias at generation time.
 * The filter is word-aligned, its rows padded with zeros to (depth + 3) / 4 whole words, and the rows
 * of channels 2k and 2k + 1 interleaved word by word, or stacked in halfwords (tg_product_dsp.c); a last
 * odd row plain. */
typedef struct {
    int32_t depth, channels;
    int32_t stacked;    /* 1: each pair of channels' weights stacked, channel 2k + 256 * channel 2k + 1 */
    tg_requant_t requant;
} tg_product_t;

/* The product as a matrix product. Serves FULLY_CONNECTED (pixels = batches) and 1x1 CONV_2D (pixels =
 * output positions; with strides the input pixels of one output row are input_pixel_step bytes apart).
 * Output pixels are visited as batches x rows x row_pixels and written contiguously, channels bytes each. */
typedef struct {
    int32_t batches, rows, row_pixels;
    int32_t input_batch_step, input_row_step, input_pixel_step; /* bytes */
    int32_t single_run_groups;  /* a lone pixel's input split this many words of depth at a time; 0: whole */
    tg_product_t product;
} tg_matmul_params_t;

/* The product over each output pixel's receptive field (im2col), for CONV_2D with filter_c = input_c
 * and no dilation: depth = filter_h * filter_w * input_c. Taps in the padding read pad_value, the input
 * zero point, which adds 0 to the sum with the input offset folded into the bias. */
typedef struct {
    int32_t batches;
    int32_t input_h, input_w, input_c;
    tg_window_t window;
    int32_t output_h, output_w;
    int32_t pad_value;
    int32_t pairs;      /* tg_conv_s8_dsp: 1: output pixels by twos where threes would go, for a smaller scratch */
    tg_product_t product;
} tg_conv_dsp_params_t;

/* DEPTHWISE_CONV_2D with depth multiplier 1 and no dilation, for the DSP extension: output channel c
 * reads input channel c alone, so image, filter (1HWC) and output all hold `channels` channels per pixel.
 * The padding is less than the filter along each axis. The requantization is per channel
 * (requant.per_channel is 1). */
typedef struct {
    int32_t batches;
    int32_t input_h, input_w, channels;
    int32_t output_h, output_w;
    tg_window_t window;
    int32_t input_offset;
    int32_t rotations;  /* filter_h: the input rows kept as a ring across output rows; 1: copied for each */
    int32_t slide;      /* with rotations 1: the rows kept from the last output row slide down, new ones copied */
    tg_requant_t requant;
} tg_depthwise_dsp_params_t;

typedef struct {
    int32_t batches, input_h, input_w, channels;
    int32_t output_h, output_w;
    tg_window_t window;
    tg_clamp_t clamp;
} tg_pool_params_t;

/* Element-wise ops over a broadcast: output_shape and per-input strides (0 on broadcast axes). */
typedef struct {
    int32_t output_shape[TG_MAX_DIMS];
    int32_t input1_strides[TG_MAX_DIMS];
    int32_t input2_strides[TG_MAX_DIMS];
} tg_broadcast_t;

typedef struct {
    tg_broadcast_t shape;
    int32_t input1_offset, input2_offset;
    int32_t left_shift;
    int32_t input1_multiplier, input1_shift;
    int32_t input2_multiplier, input2_shift;
    tg_tensor_requant_t output;
} tg_add_params_t;

/* One int32 value's requantization in the form tg_rescale_dsp computes it (tg_requant_dsp.h): TFLM's
 * multiplier, its right shift, and the rounding constant 2^(right_shift - 1) + offset * 2^right_shift. */
typedef struct {
    int32_t multiplier, rounding, right_shift;
} tg_rescale_t;

/* What the ADD and MUL kernels for two inputs of one shape share: the element count, each input's
 * offset (in the order the kernel takes the inputs), the activation's clamp. */
typedef struct {
    int32_t size;
    int32_t input1_offset, input2_offset;
    tg_clamp_t clamp;
} tg_same_shape_t;

/* ADD of two inputs of one shape, rearranged by the generator (tg_same_shape.h says how): input 1 has
 * the larger scale and TFLM rescales it to exactly (x + offset) * 2^19 (the "exact" input); scaled
 * applies to input 2's (x + offset) * 2^20, output to the sum of the two. */
typedef struct {
    tg_same_shape_t elements;
    tg_rescale_t scaled, output;
} tg_add_same_shape_params_t;

typedef struct {
    tg_broadcast_t shape;
    int32_t input1_offset, input2_offset;
    tg_tensor_requant_t output;
} tg_mul_params_t;

/* MUL of two inputs of one shape: output applied to the product of the inputs, offsets added. */
typedef struct {
    tg_same_shape_t elements;
    tg_rescale_t output;
} tg_mul_same_shape_params_t;

typedef struct {
    int32_t outer_size, depth;
    int32_t input_multiplier, input_left_shift;
    int32_t diff_min;
} tg_softmax_params_t;

/* LOGISTIC and TANH share their input scaling. */
typedef struct {
    int32_t size;
    int32_t input_zero_point, input_range_radius;
    int32_t input_multiplier, input_left_shift;
} tg_sigmoid_params_t;

typedef struct {
    int32_t size;
    int32_t input_zero_point;
    tg_tensor_requant_t output;
} tg_requantize_params_t;

typedef struct {
    int32_t size;
    tg_clamp_t clamp;
} tg_clamp_params_t;

typedef struct {
    int32_t size;
    int32_t zero_point;
    double scale;
} tg_affine_params_t;

typedef struct {
    int32_t input_shape[TG_MAX_DIMS];
    int32_t pad_before[TG_MAX_DIMS];
    int32_t output_shape[TG_MAX_DIMS];
    int8_t pad_value;
} tg_pad_params_t;

typedef struct {
    int32_t outer_size;
    int32_t num_inputs;
    const int32_t *copy_sizes; /* bytes copied from each input per outer step */
} tg_concatenation_params_t;

typedef struct {
    int32_t input_shape[TG_MAX_DIMS];
    int32_t output_strides[TG_MAX_DIMS]; /* 0 on reduced axes */
    int32_t output_size;
    int32_t input_zero_point, output_zero_point;
    int32_t num_reduced; /* elements summed per output */
    int32_t multiplier, shift; /* input/output scale, with the division by num_reduced folded in */
} tg_mean_params_t;

void tg_convolve_s8(const tg_conv_params_t *p, const int8_t *input, const int8_t *filter, const int32_t *bias,
                    int8_t *output);
void tg_depthwise_conv_s8(const tg_depthwise_conv_params_t *p, const int8_t *input, const int8_t *filter,
                          const int32_t *bias, int8_t *output);
void tg_fully_connected_s8(const tg_fully_connected_params_t *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, int8_t *output);
/* Sparse weights (tg_sparse.h); folded_bias: bias + input_offset * sum of the channel's weights; the
 * convolution gathers two windows into patch: tg_convolve_sparse_s8_scratch_bytes(filter_h * filter_w *
 * filter_c) bytes. */
void tg_convolve_sparse_s8(const tg_conv_params_t *p, const int8_t *input, const uint8_t *filter_bitmap,
                           const int8_t *filter_values, const int32_t *folded_bias, int8_t *patch, int8_t *output);
int32_t tg_convolve_sparse_s8_scratch_bytes(int32_t window_bytes);
void tg_fully_connected_sparse_s8(const tg_fully_connected_params_t *p, const int8_t *input,
                                  const uint8_t *filter_bitmap, const int8_t *filter_values,
                                  const int32_t *folded_bias, int8_t *output);
/* Sparse weights as lists of their non-zeros, any core (tg_conv_sparse_list_s8.c): CONV_2D without groups or
 * dilation, and FULLY_CONNECTED as a 1x1 convolution; folded_bias as above; scratch:
 * tg_conv_sparse_list_s8_scratch_bytes(depth) bytes, 4-byte aligned. */
void tg_conv_sparse_list_s8(const tg_conv_dsp_params_t *p, const int8_t *input, const uint8_t *counts,
                            const uint8_t *indices, const int8_t *values, const int32_t *folded_bias,
                            uint32_t *scratch, int8_t *output);
int32_t tg_conv_sparse_list_s8_scratch_bytes(int32_t depth);
/* The same over bitmaps (tg_sparse.h), cores with the DSP extension; scratch:
 * tg_conv_sparse_bitmap_s8_dsp_scratch_bytes(depth) bytes, 4-byte aligned. */
void tg_conv_sparse_bitmap_s8_dsp(const tg_conv_dsp_params_t *p, const int8_t *input, const uint8_t *bitmap,
                                  const int8_t *values, const int32_t *folded_bias, uint32_t *scratch,
                                  int8_t *output);
int32_t tg_conv_sparse_bitmap_s8_dsp_scratch_bytes(int32_t depth);
/* Cores with the DSP extension (tg_acle.h); folded_bias: bias + input_offset * sum of the channel's weights;
 * scratch: tg_matmul_s8_dsp_scratch_bytes(depth, pixels_per_step, single_run_groups) bytes, 4-byte aligned. */
void tg_matmul_s8_dsp(const tg_matmul_params_t *p, const int8_t *input, const int8_t *filter,
                      const int32_t *folded_bias, uint32_t *scratch, int8_t *output);
int32_t tg_matmul_s8_dsp_scratch_bytes(int32_t depth, int32_t pixels_per_step, int32_t single_run_groups);
/* scratch: tg_conv_s8_dsp_scratch_bytes(depth, input_c, pairs) bytes, 4-byte aligned. */
void tg_conv_s8_dsp(const tg_conv_dsp_params_t *p, const int8_t *input, const int8_t *filter,
                    const int32_t *folded_bias, uint32_t *scratch, int8_t *output);
int32_t tg_conv_s8_dsp_scratch_bytes(int32_t depth, int32_t input_c, int32_t pairs);
/* The same for input_c < 4 (folded_bias doubled), over int8 weights: each channel's row of depth weights
 * padded with a zero to an even count; for channels 2k and 2k + 1, a word per two taps t, t + 1:
 * {row 2k t, row 2k + 1 t, row 2k t + 1, row 2k + 1 t + 1}; a last odd row padded to a multiple of four
 * taps, a word per four: {t, t + 2, t + 1, t + 3}; word-aligned. scratch:
 * tg_conv_shallow_s8_dsp_scratch_bytes(depth, channels) bytes, 4-byte aligned. */
void tg_conv_shallow_s8_dsp(const tg_conv_dsp_params_t *p, const int8_t *input, const int8_t *filter,
                            const int32_t *folded_bias, uint32_t *scratch, int8_t *output);
int32_t tg_conv_shallow_s8_dsp_scratch_bytes(int32_t depth, int32_t channels);
/* bias: the model's (zeros for none, never NULL), not folded: padded taps are skipped, as TFLM skips them;
 * scratch: tg_depthwise_conv_s8_dsp_scratch_bytes(channels, filter_h, filter_w, output_w, stride_w,
 * rotations, slid_rows) bytes, 4-byte aligned, slid_rows (output_h - 1) * stride_h with slide, else 0. */
void tg_depthwise_conv_s8_dsp(const tg_depthwise_dsp_params_t *p, const int8_t *input, const int8_t *filter,
                              const int32_t *bias, int32_t *scratch, int8_t *output);
int32_t tg_depthwise_conv_s8_dsp_scratch_bytes(int32_t channels, int32_t filter_h, int32_t filter_w,
                                               int32_t output_w, int32_t stride_w, int32_t rotations,
                                               int32_t slid_rows);
void tg_avgpool_s8(const tg_pool_params_t *p, const int8_t *input, int8_t *output);
void tg_maxpool_s8(const tg_pool_params_t *p, const int8_t *input, int8_t *output);
void tg_add_s8(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output);
/* exact and scaled: inputs 1 and 2 as tg_add_same_shape_params_t names them; _dsp: cores with the DSP extension. */
void tg_add_same_shape_s8(const tg_add_same_shape_params_t *p, const int8_t *exact, const int8_t *scaled,
                          int8_t *output);
void tg_add_s8_dsp(const tg_add_same_shape_params_t *p, const int8_t *exact, const int8_t *scaled, int8_t *output);
void tg_mul_s8(const tg_mul_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void tg_mul_same_shape_s8(const tg_mul_same_shape_params_t *p, const int8_t *input1, const int8_t *input2,
                          int8_t *output);
void tg_mul_s8_dsp(const tg_mul_same_shape_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void tg_softmax_s8(const tg_softmax_params_t *p, const int8_t *input, int8_t *output);
void tg_logistic_s8(const tg_sigmoid_params_t *p, const int8_t *input, int8_t *output);
void tg_tanh_s8(const tg_sigmoid_params_t *p, const int8_t *input, int8_t *output);
void tg_relu_s8(const tg_requantize_params_t *p, const int8_t *input, int8_t *output);
void tg_relu6_s8(const tg_clamp_params_t *p, const int8_t *input, int8_t *output);
void tg_requantize_s8(const tg_requantize_params_t *p, const int8_t *input, int8_t *output);
void tg_quantize_f32_s8(const tg_affine_params_t *p, const float *input, int8_t *output);
void tg_dequantize_s8_f32(const tg_affine_params_t *p, const int8_t *input, float *output);
void tg_pad_s8(const tg_pad_params_t *p, const int8_t *input, int8_t *output);
void tg_concatenation_s8(const tg_concatenation_params_t *p, const int8_t *const *inputs, int8_t *output);
/* scratch_sums: tg_mean_s8_scratch_bytes(output_size) bytes, 4-byte aligned. */
void tg_mean_s8(const tg_mean_params_t *p, const int8_t *input, int32_t *scratch_sums, int8_t *output);
int32_t tg_mean_s8_scratch_bytes(int32_t output_size);
void tg_copy(const void *source, void *destination, int32_t bytes);

#endif /* TG_KERNELS_H */
