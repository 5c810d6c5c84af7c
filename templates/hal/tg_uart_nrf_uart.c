/* Nordic nRF51/nRF52 legacy UART0 (no EasyDMA). */
#include "tg_hal.h"

#define REG(offset) (*(volatile uint32_t *)(TG_UART_BASE + (offset)))
#define TASKS_STARTRX REG(0x000)
#define TASKS_STARTTX REG(0x008)
#define EVENTS_RXDRDY REG(0x108)
#define EVENTS_TXDRDY REG(0x11C)
#define ENABLE REG(0x500)
#define PSELTXD REG(0x50C)
#define PSELRXD REG(0x514)
#define RXD REG(0x518)
#define TXD REG(0x51C)
#define BAUDRATE REG(0x524)

void tg_uart_init(void)
{
    PSELTXD = TG_UART_TX_PIN;
    PSELRXD = TG_UART_RX_PIN;
    BAUDRATE = 0x01D7E000u; /* 115200 baud */
    ENABLE = 4u;
    TASKS_STARTRX = 1u;
    TASKS_STARTTX = 1u;
}

void tg_uart_putc(char c)
{
    EVENTS_TXDRDY = 0u;
    TXD = (uint8_t)c;
    while (!EVENTS_TXDRDY) {
    }
}

int tg_uart_getc(void)
{
    while (!EVENTS_RXDRDY) {
    }
    EVENTS_RXDRDY = 0u;
    return (int)(RXD & 0xFFu);
}
