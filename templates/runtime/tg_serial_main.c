/* tinygen's serial runtime: serves any generated model over the serial protocol (tg_protocol.h),
 * reading the model's inputs, outputs and INFO answer from the data tinygen generates for it
 * (model_io.c, tg_model_io.h). INFO describes the model, INFER runs one inference on the given input
 * bytes and returns the output bytes, the work counter and the stack high-water mark, PROFILE returns
 * the counter per layer, DUMP returns one layer's output; those three answers begin with the CRC-32 of
 * the input the model ran on. Every answer echoes its request's sequence number. */
#include <stdint.h>

#include "model.h"
#include "tg_hal.h"
#include "tg_model_io.h"
#include "tg_protocol.h"

static uint16_t request_sequence; /* echoed by every answer */

/* Kept out of line so the counter reads stay around the inference. */
__attribute__((noipa)) static void run_model(void)
{
    tg_io_run();
}

static void put_u32(uint32_t value)
{
    tg_frame_bytes(&value, 4u); /* Cortex-M is little-endian, as the protocol */
}

static void send_info(void)
{
    tg_frame_begin(TG_CMD_INFO | TG_RESPONSE, request_sequence, tg_io_info_bytes);
    tg_frame_bytes(tg_io_info, tg_io_info_bytes);
    tg_frame_end();
}

static uint64_t layer_counts[TG_MODEL_LAYERS];
static uint64_t layer_start;
static int32_t dump_position;
static uint32_t dump_input_crc;
static int dumped;

/* Copies the input bytes into the model's inputs; returns the CRC-32 of what was loaded. Byte by byte, in a
 * loop gcc must not turn into a call: the library's memcpy would take more flash than the kernels use. */
__attribute__((optimize("no-tree-loop-distribute-patterns"))) static uint32_t load_inputs(const uint8_t *payload)
{
    uint32_t crc = 0u;
    for (uint32_t i = 0u; i < tg_io_input_count; ++i) {
        uint8_t *const data = tg_io_inputs[i].data;
        for (uint32_t k = 0u; k < tg_io_inputs[i].bytes; ++k) {
            data[k] = payload[k];
        }
        crc = tg_crc32(crc, tg_io_inputs[i].data, tg_io_inputs[i].bytes);
        payload += tg_io_inputs[i].bytes;
    }
    return crc;
}

static void time_layer(int32_t position, const void *output, int32_t bytes)
{
    (void)output;
    (void)bytes;
    layer_counts[position] = tg_counter_read() - layer_start;
    layer_start = tg_counter_read(); /* the hook's own work is left out of the next layer */
}

static void dump_layer(int32_t position, const void *output, int32_t bytes)
{
    if (position == dump_position && 4u + (uint32_t)bytes > TG_MAX_PAYLOAD) {
        tg_frame_error(TG_ERR_ANSWER_TOO_LONG, request_sequence); /* the length field would wrap */
        dumped = 1;
    } else if (position == dump_position) {
        tg_frame_begin(TG_CMD_DUMP | TG_RESPONSE, request_sequence, 4u + (uint32_t)bytes);
        put_u32(dump_input_crc);
        tg_frame_bytes(output, (uint32_t)bytes);
        tg_frame_end();
        dumped = 1;
    }
}

static void profile(const uint8_t *payload)
{
    const uint32_t input_crc = load_inputs(payload);
    tg_counter_start();
    layer_start = tg_counter_read();
    tg_io_run_profiled(time_layer);
    tg_frame_begin(TG_CMD_PROFILE | TG_RESPONSE, request_sequence, 4u + 8u * TG_MODEL_LAYERS);
    put_u32(input_crc);
    tg_frame_bytes(layer_counts, 8u * TG_MODEL_LAYERS);
    tg_frame_end();
}

static void dump(const uint8_t *payload)
{
    dump_position = (int32_t)(payload[0] | (payload[1] << 8));
    dumped = 0;
    dump_input_crc = load_inputs(payload + 2);
    tg_io_run_profiled(dump_layer);
    if (!dumped) {
        tg_frame_error(TG_ERR_NO_SUCH_LAYER, request_sequence);
    }
}

static void infer(const uint8_t *payload)
{
    const uint32_t input_crc = load_inputs(payload);
    /* Restarting the counter aligns its wrap interrupts with the inference, so every run of the
     * same input counts the same instructions. */
    tg_marker_set(1); /* outside the counted span, so the counts do not change */
    tg_counter_start();
    const uint64_t start = tg_counter_read();
    run_model();
    const uint64_t count = tg_counter_read() - start;
    tg_marker_set(0);
    const uint32_t stack = tg_stack_used();
    tg_frame_begin(TG_CMD_INFER | TG_RESPONSE, request_sequence, 4u + tg_io_output_bytes + 8u + 4u);
    put_u32(input_crc);
    for (uint32_t i = 0u; i < tg_io_output_count; ++i) {
        tg_frame_bytes(tg_io_outputs[i].data, tg_io_outputs[i].bytes);
    }
    tg_frame_bytes(&count, 8u);
    put_u32(stack);
    tg_frame_end();
}

/* An answer with no payload, or with the protocol version alone. */
static void answer(uint8_t command, int with_version)
{
    const uint8_t version = TG_PROTOCOL_VERSION;
    tg_frame_begin(command, request_sequence, with_version ? 1u : 0u);
    if (with_version) {
        tg_frame_bytes(&version, 1u);
    }
    tg_frame_end();
}

int main(void)
{
    tg_uart_init();
    tg_marker_init();
    request_sequence = TG_SEQUENCE_NONE;
    answer(TG_CMD_READY, 1);
    for (;;) {
        tg_frame frame;
        const int status = tg_frame_read(tg_io_rx_buffer, tg_io_rx_capacity, &frame);
        if (status != TG_FRAME_OK) {
            tg_frame_error(status == TG_FRAME_BAD_CRC ? TG_ERR_BAD_CRC : TG_ERR_FRAME_LENGTH, TG_SEQUENCE_NONE);
            continue;
        }
        request_sequence = frame.sequence;
        const uint8_t *const payload = frame.payload;
        switch (frame.command) {
        case TG_CMD_INFO:
            send_info();
            break;
        case TG_CMD_INFER:
            if (frame.length != tg_io_input_bytes) {
                tg_frame_error(TG_ERR_BAD_LENGTH, request_sequence);
            } else {
                infer(payload);
            }
            break;
        case TG_CMD_PROFILE:
            if (frame.length != tg_io_input_bytes) {
                tg_frame_error(TG_ERR_BAD_LENGTH, request_sequence);
            } else {
                profile(payload);
            }
            break;
        case TG_CMD_DUMP:
            if (frame.length != tg_io_input_bytes + 2u) {
                tg_frame_error(TG_ERR_BAD_LENGTH, request_sequence);
            } else {
                dump(payload);
            }
            break;
        case TG_CMD_PING:
            answer(TG_CMD_PING | TG_RESPONSE, 1);
            break;
        case TG_CMD_RESET:
            answer(TG_CMD_RESET | TG_RESPONSE, 0);
            /* AIRCR SYSRESETREQ: the firmware starts again and sends READY. */
            *(volatile uint32_t *)0xE000ED0Cu = 0x05FA0004u;
            for (;;) {
            }
        case TG_CMD_EXIT:
            answer(TG_CMD_EXIT | TG_RESPONSE, 0);
            return TG_EXIT_OK;
        default:
            tg_frame_error(TG_ERR_UNKNOWN_COMMAND, request_sequence);
            break;
        }
    }
}
