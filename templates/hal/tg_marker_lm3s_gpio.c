/* The inference marker on a Stellaris LM3S GPIO port: its clock enabled in RCGC2, the pin a digital
 * output; the data register is written through the address mask of this pin alone. */
#include "tg_hal.h"

#define REG(offset) (*(volatile uint32_t *)(TG_MARKER_BASE + (offset)))
#define SYSCTL_RCGC2 (*(volatile uint32_t *)0x400FE108u)
#define PIN_BIT (1u << TG_MARKER_PIN)

void tg_marker_init(void)
{
    SYSCTL_RCGC2 |= 1u << TG_MARKER_PORT_INDEX;
    (void)SYSCTL_RCGC2;             /* a few cycles before the port answers */
    REG(0x400) |= PIN_BIT;          /* GPIODIR: output */
    REG(0x51C) |= PIN_BIT;          /* GPIODEN: digital */
    REG(PIN_BIT << 2) = 0u;
}

void tg_marker_set(int high)
{
    REG(PIN_BIT << 2) = high ? PIN_BIT : 0u;
}
