/* tinygen's small board layer: UART, a work counter, and the way a program ends. */
#ifndef TG_HAL_H
#define TG_HAL_H

#include <stdint.h>

#include "board.h"

enum { TG_EXIT_OK = 0, TG_EXIT_FAULT = 3 };

void tg_uart_init(void);
void tg_uart_putc(char c);
int tg_uart_getc(void);

/* Starts the board's counter (cycles on silicon, a timer in emulation) and reads it. */
void tg_counter_start(void);
uint64_t tg_counter_read(void);

void tg_print(const char *text);
void tg_print_u64(uint64_t value);
void tg_print_hex(const uint8_t *bytes, uint32_t count);

/* Stack use: paint at start-up, then the deepest use so far, in bytes. */
void tg_stack_paint(void);
uint32_t tg_stack_used(void);

/* Ends the program: through semihosting with `status` in emulation, by halting on silicon. */
void tg_exit(int status) __attribute__((noreturn));

#endif /* TG_HAL_H */
