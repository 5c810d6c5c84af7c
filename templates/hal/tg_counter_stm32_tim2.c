/* STM32 TIM2 as a free-running 32-bit counter (QEMU models it at 1 GHz: one tick per instruction
 * under -icount shift=0; on silicon it counts timer clock cycles). */
#include "tg_hal.h"

#define REG(offset) (*(volatile uint32_t *)(0x40000000u + (offset)))
#define RCC_APB1ENR (*(volatile uint32_t *)0x40023840u)

void tg_counter_start(void)
{
    RCC_APB1ENR |= 1u;         /* TIM2 clock */
    REG(0x00) = 0u;            /* CR1: stop */
    REG(0x28) = 0u;            /* PSC: no prescaler */
    REG(0x2C) = 0xFFFFFFFFu;   /* ARR: full range */
    REG(0x14) = 1u;            /* EGR: load PSC */
    REG(0x24) = 0u;            /* CNT */
    REG(0x00) = 1u;            /* CR1: count */
}

uint64_t tg_counter_read(void)
{
    return REG(0x24);
}
