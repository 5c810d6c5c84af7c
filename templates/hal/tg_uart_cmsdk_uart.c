/* Arm CMSDK APB UART (MPS2/MPS3 FPGA images). */
#include "tg_hal.h"

#define REG(offset) (*(volatile uint32_t *)(TG_UART_BASE + (offset)))
#define DATA REG(0x00)
#define STATE REG(0x04)
#define CTRL REG(0x08)
#define BAUDDIV REG(0x10)

void tg_uart_init(void)
{
    BAUDDIV = TG_UART_CLOCK_HZ / TG_UART_BAUD;
    CTRL = 3u; /* TX and RX enable */
}

void tg_uart_putc(char c)
{
    while (STATE & 1u) { /* TX buffer full */
    }
    DATA = (uint8_t)c;
}

int tg_uart_getc(void)
{
    while (!(STATE & 2u)) { /* RX buffer empty */
    }
    return (int)(DATA & 0xFFu);
}
