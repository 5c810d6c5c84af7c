/* The inference marker on an STM32F4 GPIO port: its clock enabled in RCC_AHB1ENR, the pin a push-pull
 * output (MODER = 01), set and reset atomically through BSRR. */
#include "tg_hal.h"

#define REG(offset) (*(volatile uint32_t *)(TG_MARKER_BASE + (offset)))
#define RCC_AHB1ENR (*(volatile uint32_t *)0x40023830u)

void tg_marker_init(void)
{
    RCC_AHB1ENR |= 1u << TG_MARKER_PORT_INDEX;
    REG(0x18) = 1u << (TG_MARKER_PIN + 16u);                                     /* BSRR: low */
    REG(0x00) = (REG(0x00) & ~(3u << (2u * TG_MARKER_PIN))) | (1u << (2u * TG_MARKER_PIN));   /* MODER */
}

void tg_marker_set(int high)
{
    REG(0x18) = 1u << (TG_MARKER_PIN + (high ? 0u : 16u));
}
