/* Copies a tensor where two model outputs (or an input and an output) would share storage.
 * Portable C, the only variant: chosen on every core. */
#include <string.h>

#include "tg_kernels.h"

void tg_copy(const void *source, void *destination, int32_t bytes)
{
    memcpy(destination, source, (size_t)bytes);
}
