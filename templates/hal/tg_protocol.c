/* tinygen's serial protocol, device side: framing and CRCs (see tg_protocol.h). */
#include "tg_protocol.h"

#include "tg_hal.h"

static uint16_t tx_crc;

/* Bytes to scan again after a damaged frame wait in the receive buffer itself, at
 * [replay_at, replay_end). A new frame is stored from the buffer's start and never passes the byte
 * being replayed, so no second buffer is needed. */
static uint32_t replay_at, replay_end;

static uint16_t crc16_update(uint16_t crc, uint8_t byte)
{
    crc ^= (uint16_t)((uint16_t)byte << 8);
    for (int bit = 0; bit < 8; ++bit) {
        crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
    }
    return crc;
}

uint32_t tg_crc32(uint32_t crc, const void *bytes, uint32_t count)
{
    const uint8_t *p = (const uint8_t *)bytes;
    crc = ~crc;
    for (uint32_t i = 0; i < count; ++i) {
        crc ^= p[i];
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

static uint8_t next_byte(const uint8_t *buffer)
{
    if (replay_at < replay_end) {
        return buffer[replay_at++];
    }
    return (uint8_t)tg_uart_getc();
}

/* Queues the `kept` bytes at the buffer's start for scanning, ahead of those still waiting. */
static void replay(uint8_t *buffer, uint32_t kept)
{
    const uint32_t waiting = replay_end - replay_at;
    for (uint32_t i = 0; i < waiting; ++i) { /* kept <= replay_at: a forward copy is safe */
        buffer[kept + i] = buffer[replay_at + i];
    }
    replay_at = 0u;
    replay_end = kept + waiting;
}

int tg_frame_read(uint8_t *buffer, uint32_t capacity, tg_frame *frame)
{
    uint8_t previous = 0u;
    uint8_t byte = next_byte(buffer);
    while (!(previous == 0xA5u && byte == 0x5Au)) { /* the start marker */
        previous = byte;
        byte = next_byte(buffer);
    }
    buffer[0] = next_byte(buffer);
    buffer[1] = next_byte(buffer);
    const uint32_t length = (uint32_t)buffer[0] | ((uint32_t)buffer[1] << 8);
    if (length < 3u || length + 4u > capacity) {
        /* A damaged length, boot noise or a wrong model: answer now instead of waiting for bytes that
         * may never come, and look for the real start marker right after this false one. */
        replay(buffer, 2u);
        return TG_FRAME_BAD_LENGTH;
    }
    for (uint32_t i = 2u; i < length + 4u; ++i) {
        buffer[i] = next_byte(buffer);
    }
    uint16_t crc = 0xFFFFu;
    for (uint32_t i = 0u; i < length + 2u; ++i) {
        crc = crc16_update(crc, buffer[i]);
    }
    const uint16_t received = (uint16_t)(buffer[length + 2u] | (buffer[length + 3u] << 8));
    if (received != crc) {
        replay(buffer, length + 4u);
        return TG_FRAME_BAD_CRC;
    }
    frame->command = buffer[2];
    frame->sequence = (uint16_t)(buffer[3] | (buffer[4] << 8));
    frame->payload = buffer + 5;
    frame->length = length - 3u;
    return TG_FRAME_OK;
}

static void send_byte(uint8_t byte)
{
    tx_crc = crc16_update(tx_crc, byte);
    tg_uart_putc((char)byte);
}

void tg_frame_begin(uint8_t command, uint16_t sequence, uint32_t payload_length)
{
    tg_uart_putc((char)0xA5);
    tg_uart_putc((char)0x5A);
    tx_crc = 0xFFFFu;
    const uint32_t length = payload_length + 3u;
    send_byte((uint8_t)(length & 0xFFu));
    send_byte((uint8_t)(length >> 8));
    send_byte(command);
    send_byte((uint8_t)(sequence & 0xFFu));
    send_byte((uint8_t)(sequence >> 8));
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

void tg_frame_error(uint8_t code, uint16_t sequence)
{
    tg_frame_begin(TG_CMD_ERROR, sequence, 1u);
    tg_frame_bytes(&code, 1u);
    tg_frame_end();
}
