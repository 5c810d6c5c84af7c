/* The inference marker on an nRF51/nRF52 GPIO port: the pin is an output, high during each inference
 * (OUTSET/OUTCLR set or clear only the pin's bit; DIRSET makes it an output). */
#include "tg_hal.h"

#define REG(offset) (*(volatile uint32_t *)(TG_MARKER_BASE + (offset)))
#define PIN_BIT (1u << TG_MARKER_PIN)

void tg_marker_init(void)
{
    REG(0x50C) = PIN_BIT;   /* OUTCLR */
    REG(0x518) = PIN_BIT;   /* DIRSET */
}

void tg_marker_set(int high)
{
    REG(high ? 0x508u : 0x50Cu) = PIN_BIT;  /* OUTSET : OUTCLR */
}
