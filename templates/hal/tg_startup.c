/* Reset and fault handling for Cortex-M: vector table, .data/.bss set-up, FPU enable, and a
 * HardFault handler that reports over the UART before the program ends with TG_EXIT_FAULT. */
#include <stdint.h>
#include <string.h>

#include "tg_hal.h"

extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;
int main(void);

void Reset_Handler(void) __attribute__((noreturn));
void HardFault_Handler(void);
void tg_default_handler(void);
void tg_fault_report(const uint32_t *frame) __attribute__((noreturn, used));
void NMI_Handler(void) __attribute__((weak, alias("tg_default_handler")));
void SVC_Handler(void) __attribute__((weak, alias("tg_default_handler")));
void PendSV_Handler(void) __attribute__((weak, alias("tg_default_handler")));
void SysTick_Handler(void) __attribute__((weak, alias("tg_default_handler")));

__attribute__((section(".isr_vector"), used)) static void (*const tg_vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&_estack,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    HardFault_Handler, /* MemManage */
    HardFault_Handler, /* BusFault */
    HardFault_Handler, /* UsageFault */
    0, 0, 0, 0,
    SVC_Handler,
    0, 0,
    PendSV_Handler,
    SysTick_Handler,
};

/* The initialised data copied and .bss cleared word by word (the linker script aligns both to words): loops
 * that gcc must not turn back into calls to memcpy and memset, which only these would otherwise link in. */
__attribute__((optimize("no-tree-loop-distribute-patterns"))) void Reset_Handler(void)
{
    for (uint32_t *from = &_sidata, *to = &_sdata; to < &_edata;) {
        *to++ = *from++;
    }
    for (uint32_t *to = &_sbss; to < &_ebss;) {
        *to++ = 0;
    }
    tg_stack_paint();
#if TG_HAS_FPU
    /* CPACR: full access to CP10 and CP11 before any floating-point instruction. */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    tg_exit(main());
}

void tg_default_handler(void)
{
    tg_print("tg-fault: unexpected interrupt\n");
    tg_exit(TG_EXIT_FAULT);
}

/* Hands the exception frame (on the main stack) to tg_fault_report. */
__attribute__((naked)) void HardFault_Handler(void)
{
    __asm__ volatile("mrs r0, msp\n\tb tg_fault_report\n");
}

void tg_fault_report(const uint32_t *frame)
{
    tg_print("tg-fault: HardFault pc=0x");
    tg_print_hex((const uint8_t *)&frame[6], 4);
    tg_print(" lr=0x");
    tg_print_hex((const uint8_t *)&frame[5], 4);
#if TG_HAS_CFSR
    tg_print(" cfsr=0x");
    tg_print_hex((const uint8_t *)(uintptr_t)0xE000ED28u, 4);
#endif
    tg_print(" (bytes little-endian)\n");
    tg_exit(TG_EXIT_FAULT);
}

void tg_exit(int status)
{
#if TG_SEMIHOSTING
    /* SYS_EXIT_EXTENDED: QEMU exits with `status`. */
    uint32_t block[2] = {0x20026u, (uint32_t)status};
    register uint32_t operation __asm__("r0") = 0x20u;
    register uint32_t *argument __asm__("r1") = block;
    __asm__ volatile("bkpt 0xab" : : "r"(operation), "r"(argument) : "memory");
#else
    (void)status;
#endif
    for (;;) {
        __asm__ volatile("wfi");
    }
}
