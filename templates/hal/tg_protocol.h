/* tinygen's serial protocol, device side.
 *
 * Frame: 0xA5 0x5A, length (u16 little-endian: command byte + payload), command (u8), payload,
 * CRC-16/CCITT-FALSE (u16 little-endian) over length, command and payload. Responses carry the
 * command | 0x80; the device announces itself with a READY frame at start-up. */
#ifndef TG_PROTOCOL_H
#define TG_PROTOCOL_H

#include <stdint.h>

#define TG_PROTOCOL_VERSION 1u

enum {
    TG_CMD_INFO = 0x01,
    TG_CMD_INFER = 0x02,
    TG_CMD_PROFILE = 0x03,
    TG_CMD_PING = 0x04,
    TG_CMD_EXIT = 0x05,
    TG_CMD_DUMP = 0x06,
    TG_CMD_RESET = 0x07,
    TG_CMD_READY = 0x10,
    TG_CMD_ERROR = 0x7F,
    TG_RESPONSE = 0x80,
};

enum {
    TG_ERR_BAD_CRC = 1,
    TG_ERR_TOO_LONG = 2,
    TG_ERR_BAD_LENGTH = 3,
    TG_ERR_UNKNOWN_COMMAND = 4,
    TG_ERR_NO_SUCH_LAYER = 5,
};

enum { TG_FRAME_OK = 0, TG_FRAME_BAD_CRC = -1, TG_FRAME_TOO_LONG = -2 };

/* Blocks until a whole frame arrives; the payload lands in `payload` (at most `capacity` bytes). */
int tg_frame_read(uint8_t *command, uint8_t *payload, uint32_t capacity, uint32_t *length);

/* Sends a frame in pieces, so large outputs need no extra buffer. */
void tg_frame_begin(uint8_t command, uint32_t payload_length);
void tg_frame_bytes(const void *bytes, uint32_t count);
void tg_frame_end(void);

void tg_frame_error(uint8_t code);

#endif /* TG_PROTOCOL_H */
