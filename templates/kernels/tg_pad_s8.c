/* PAD, int8: fills the output with the pad value (the output zero point), then copies each
 * innermost row of the input to its place.
 * Portable C, the only variant: chosen on every core. */
#include <string.h>

#include "tg_kernels.h"

void tg_pad_s8(const tg_pad_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t output_size = 1;
    int32_t input_rows = 1;
    for (int d = 0; d < TG_MAX_DIMS; ++d) {
        output_size *= p->output_shape[d];
        input_rows *= d < TG_MAX_DIMS - 1 ? p->input_shape[d] : 1;
    }
    memset(output, p->pad_value, (size_t)output_size);
    const int32_t row_bytes = p->input_shape[TG_MAX_DIMS - 1];
    int32_t index[TG_MAX_DIMS] = {0};
    for (int32_t row = 0; row < input_rows; ++row) {
        int32_t offset = 0;
        for (int d = 0; d < TG_MAX_DIMS; ++d) {
            offset = offset * p->output_shape[d] + index[d] + p->pad_before[d];
        }
        memcpy(output + offset, input + row * row_bytes, (size_t)row_bytes);
        for (int d = TG_MAX_DIMS - 2; d >= 0; --d) {
            if (++index[d] < p->input_shape[d]) {
                break;
            }
            index[d] = 0;
        }
    }
}
