/* CONCATENATION, int8 (all inputs share the output's quantization): for each step of the axes
 * before the concatenation axis, copies one block from each input in turn.
 * Portable C, the only variant: chosen on every core. */
#include <string.h>

#include "tg_kernels.h"

void tg_concatenation_s8(const tg_concatenation_params_t *p, const int8_t *const *inputs, int8_t *output)
{
    for (int32_t outer = 0; outer < p->outer_size; ++outer) {
        for (int32_t i = 0; i < p->num_inputs; ++i) {
            const int32_t bytes = p->copy_sizes[i];
            memcpy(output, inputs[i] + outer * bytes, (size_t)bytes);
            output += bytes;
        }
    }
}
