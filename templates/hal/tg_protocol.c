/* tinygen's serial protocol, device side: framing and CRC (see tg_protocol.h). */
#include "tg_protocol.h"

#include "tg_hal.h"

static uint16_t tx_crc;

static uint16_t crc16_update(uint16_t crc, uint8_t byte)
{
    crc ^= (uint16_t)((uint16_t)byte << 8);
    for (int bit = 0; bit < 8; ++bit) {
        crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
    }
    return crc;
}

static uint8_t read_byte(uint16_t *crc)
{
    const uint8_t byte = (uint8_t)tg_uart_getc();
    *crc = crc16_update(*crc, byte);
    return byte;
}

int tg_frame_read(uint8_t *command, uint8_t *payload, uint32_t capacity, uint32_t *length)
{
    int previous = -1;
    for (;;) { /* resynchronise on the start marker */
        const int byte = tg_uart_getc();
        if (previous == 0xA5 && byte == 0x5A) {
            break;
        }
        previous = byte;
    }
    uint16_t crc = 0xFFFFu;
    const uint32_t frame_length = read_byte(&crc) | ((uint32_t)read_byte(&crc) << 8);
    if (frame_length == 0u || frame_length - 1u > capacity) {
        /* Longer than any frame this firmware accepts: a damaged length or a wrong model. Answer
         * now instead of waiting for bytes that may never come; the rest is skipped on resync. */
        return TG_FRAME_TOO_LONG;
    }
    *command = read_byte(&crc);
    *length = frame_length - 1u;
    for (uint32_t i = 0; i < *length; ++i) {
        payload[i] = read_byte(&crc);
    }
    const uint16_t received = (uint16_t)(tg_uart_getc() & 0xFF) | (uint16_t)((tg_uart_getc() & 0xFF) << 8);
    return received == crc ? TG_FRAME_OK : TG_FRAME_BAD_CRC;
}

static void send_byte(uint8_t byte)
{
    tx_crc = crc16_update(tx_crc, byte);
    tg_uart_putc((char)byte);
}

void tg_frame_begin(uint8_t command, uint32_t payload_length)
{
    tg_uart_putc((char)0xA5);
    tg_uart_putc((char)0x5A);
    tx_crc = 0xFFFFu;
    send_byte((uint8_t)((payload_length + 1u) & 0xFFu));
    send_byte((uint8_t)((payload_length + 1u) >> 8));
    send_byte(command);
}

void tg_frame_bytes(const void *bytes, uint32_t count)
{
    const uint8_t *p = (const uint8_t *)bytes;
    for (uint32_t i = 0; i < count; ++i) {
        send_byte(p[i]);
    }
}

void tg_frame_end(void)
{
    const uint16_t crc = tx_crc;
    tg_uart_putc((char)(crc & 0xFFu));
    tg_uart_putc((char)(crc >> 8));
}

void tg_frame_error(uint8_t code)
{
    tg_frame_begin(TG_CMD_ERROR, 1u);
    tg_frame_bytes(&code, 1u);
    tg_frame_end();
}
