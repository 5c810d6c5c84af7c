/* STM32F4 USART1 on PA9 (TX) / PA10 (RX), clocked from the 16 MHz HSI after reset. */
#include "tg_hal.h"

#define REG(base, offset) (*(volatile uint32_t *)((base) + (offset)))
#define RCC_AHB1ENR REG(0x40023800u, 0x30)
#define RCC_APB2ENR REG(0x40023800u, 0x44)
#define GPIOA_MODER REG(0x40020000u, 0x00)
#define GPIOA_AFRH REG(0x40020000u, 0x24)
#define USART_SR REG(TG_UART_BASE, 0x00)
#define USART_DR REG(TG_UART_BASE, 0x04)
#define USART_BRR REG(TG_UART_BASE, 0x08)
#define USART_CR1 REG(TG_UART_BASE, 0x0C)

void tg_uart_init(void)
{
    RCC_AHB1ENR |= 1u;       /* GPIOA */
    RCC_APB2ENR |= 1u << 4;  /* USART1 */
    GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 18)) | (0xAu << 18); /* PA9, PA10: alternate function */
    GPIOA_AFRH = (GPIOA_AFRH & ~0xFF0u) | 0x770u;                /* AF7: USART1 */
    USART_BRR = (TG_UART_CLOCK_HZ + TG_UART_BAUD / 2u) / TG_UART_BAUD;
    USART_CR1 = (1u << 13) | (1u << 3) | (1u << 2); /* UE, TE, RE */
}

void tg_uart_putc(char c)
{
    while (!(USART_SR & (1u << 7))) { /* TXE */
    }
    USART_DR = (uint8_t)c;
}

int tg_uart_getc(void)
{
    while (!(USART_SR & (1u << 5))) { /* RXNE */
    }
    return (int)(USART_DR & 0xFFu);
}
