/* DWT cycle counter: exact core cycles on silicon (it reads 0 under QEMU). */
#include "tg_hal.h"

#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)

void tg_counter_start(void)
{
    DEMCR |= 1u << 24; /* TRCENA */
    DWT_CYCCNT = 0u;
    DWT_CTRL |= 1u;    /* CYCCNTENA */
}

uint64_t tg_counter_read(void)
{
    return DWT_CYCCNT;
}
