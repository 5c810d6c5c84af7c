/* Stack high-water mark by painting: the unused stack is filled with a pattern at start-up, and the
 * deepest byte that no longer holds it shows how much stack the program has used so far. */
#include "tg_hal.h"

#define PAINT 0xA5u

extern uint8_t _sstack, _estack;

void tg_stack_paint(void)
{
    uint8_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (volatile uint8_t *p = &_sstack; p < sp - 64; ++p) {
        *p = PAINT;
    }
}

uint32_t tg_stack_used(void)
{
    const uint8_t *p = &_sstack;
    while (p < &_estack && *p == PAINT) {
        ++p;
    }
    return (uint32_t)(&_estack - p);
}
