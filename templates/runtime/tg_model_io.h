/* The model's inputs and outputs as data, for the fixed serial runtime (tg_serial_main.c): tinygen
 * generates the definitions (model_io.c) for each model and board, in the manner of a protocol
 * compiler's descriptors read by a small fixed runtime. */
#ifndef TG_MODEL_IO_H
#define TG_MODEL_IO_H

#include <stdint.h>

#include "model.h"

typedef struct {
    void *data;
    uint32_t bytes;
} tg_io_buffer_t;

extern const tg_io_buffer_t tg_io_inputs[];
extern const uint32_t tg_io_input_count;
extern const uint32_t tg_io_input_bytes; /* all inputs together, as INFER, PROFILE and DUMP carry them */
extern const tg_io_buffer_t tg_io_outputs[];
extern const uint32_t tg_io_output_count;
extern const uint32_t tg_io_output_bytes;

/* INFO's answer payload, made by the host's protocol module (tinygen/targets/protocol.py). */
extern const uint8_t tg_io_info[];
extern const uint32_t tg_io_info_bytes;

/* Receives frames: big enough for a DUMP request (layer position + the inputs). */
extern uint8_t tg_io_rx_buffer[];
extern const uint32_t tg_io_rx_capacity;

/* One inference from tg_io_inputs into tg_io_outputs; the profiled one calls `after_layer` after each
 * layer. */
void tg_io_run(void);
void tg_io_run_profiled(tg_after_layer_t after_layer);

#endif /* TG_MODEL_IO_H */
