/* Arm PL011 UART (Stellaris LM3S6965). */
#include "tg_hal.h"

#define REG(offset) (*(volatile uint32_t *)(TG_UART_BASE + (offset)))
#define DR REG(0x00)
#define FR REG(0x18)
#define IBRD REG(0x24)
#define FBRD REG(0x28)
#define LCRH REG(0x2C)
#define CTL REG(0x30)

void tg_uart_init(void)
{
    /* divisor = clock / (16 * baud), with a 6-bit fraction */
    const uint32_t divisor_x64 = (4u * TG_UART_CLOCK_HZ + TG_UART_BAUD / 2u) / TG_UART_BAUD;
    CTL = 0u;
    IBRD = divisor_x64 >> 6;
    FBRD = divisor_x64 & 0x3Fu;
    LCRH = 0x70u;   /* 8 bits, FIFOs on */
    CTL = 0x301u;   /* UART, TX and RX enable */
}

void tg_uart_putc(char c)
{
    while (FR & (1u << 5)) { /* TX FIFO full */
    }
    DR = (uint8_t)c;
}

int tg_uart_getc(void)
{
    while (FR & (1u << 4)) { /* RX FIFO empty */
    }
    return (int)(DR & 0xFFu);
}
