/* tinygen's small board layer: UART, a work counter, the inference marker pin, and the way a program
 * ends. */
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

/* The inference marker: a GPIO pin held high during each inference, for a power profiler's digital
 * input (the board file's "marker"; nothing on boards without one). */
void tg_marker_init(void);
void tg_marker_set(int high);

void tg_print(const char *text);
void tg_print_u64(uint64_t value);
void tg_print_hex(const uint8_t *bytes, uint32_t count);

/* Stack use: paint at start-up, then the deepest use so far, in bytes. */
void tg_stack_paint(void);
uint32_t tg_stack_used(void);

/* Ends the program: through semihosting with `status` in emulation, by halting on silicon. */
void tg_exit(int status) __attribute__((noreturn));

#endif /* TG_HAL_H */
