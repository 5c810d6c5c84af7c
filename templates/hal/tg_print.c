/* Minimal text output over the UART: no printf, no heap. */
#include "tg_hal.h"

void tg_print(const char *text)
{
    while (*text) {
        tg_uart_putc(*text++);
    }
}

void tg_print_u64(uint64_t value)
{
    char digits[21];
    int n = 0;
    do {
        digits[n++] = (char)('0' + (int)(value % 10u));
        value /= 10u;
    } while (value);
    while (n) {
        tg_uart_putc(digits[--n]);
    }
}

void tg_print_hex(const uint8_t *bytes, uint32_t count)
{
    static const char hex[] = "0123456789abcdef";
    for (uint32_t i = 0; i < count; ++i) {
        tg_uart_putc(hex[bytes[i] >> 4]);
        tg_uart_putc(hex[bytes[i] & 0xF]);
    }
}
