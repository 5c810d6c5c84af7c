/* SysTick as a 64-bit tick counter: the 24-bit down-counter plus an interrupt per wrap. Used in
 * emulation, where virtual time follows the instruction count (-icount). */
#include "tg_hal.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define RELOAD 0xFFFFFFu

static volatile uint32_t wraps;

void SysTick_Handler(void)
{
    ++wraps;
}

void tg_counter_start(void)
{
    SYST_RVR = RELOAD;
    SYST_CVR = 0u;
    wraps = 0u;
    SYST_CSR = 7u; /* processor clock, interrupt, enable */
}

uint64_t tg_counter_read(void)
{
    uint32_t before, current, after;
    do {
        before = wraps;
        current = SYST_CVR;
        after = wraps;
    } while (before != after);
    return (uint64_t)before * (RELOAD + 1u) + (RELOAD - current);
}
