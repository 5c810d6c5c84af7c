/* No inference marker: the board file names no pin (an FPGA image that only runs emulated). */
#include "tg_hal.h"

void tg_marker_init(void)
{
}

void tg_marker_set(int high)
{
    (void)high;
}
