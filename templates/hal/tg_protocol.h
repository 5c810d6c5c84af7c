/* tinygen's serial protocol, version 2, device side (host side: tinygen/protocol.py).
 *
 * Frame: 0xA5 0x5A | length (u16 LE) | command (u8) | sequence (u16 LE) | payload | CRC-16/CCITT-FALSE
 * (u16 LE) over length .. payload; length = 3 + payload bytes. An answer carries its request's
 * command | 0x80 and echoes its sequence number; READY (sent at start-up) and the errors about damaged
 * frames carry TG_SEQUENCE_NONE. INFER, PROFILE and DUMP answers begin with the CRC-32 (zlib's) of the
 * input bytes the model ran on, so the host can tell an answer for another input. */
#ifndef TG_PROTOCOL_H
#define TG_PROTOCOL_H

#include <stdint.h>

#define TG_PROTOCOL_VERSION 2u
#define TG_SEQUENCE_NONE 0xFFFFu
/* Bytes of a frame besides its payload, start marker excluded: length, command, sequence, CRC. */
#define TG_FRAME_OVERHEAD 7u
#define TG_MAX_PAYLOAD (0xFFFFu - 3u) /* the length field counts command and sequence too */

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
    TG_ERR_FRAME_LENGTH = 2,
    TG_ERR_BAD_LENGTH = 3,
    TG_ERR_UNKNOWN_COMMAND = 4,
    TG_ERR_NO_SUCH_LAYER = 5,
    TG_ERR_ANSWER_TOO_LONG = 6,
};

enum { TG_FRAME_OK = 0, TG_FRAME_BAD_CRC = -1, TG_FRAME_BAD_LENGTH = -2 };

typedef struct {
    uint8_t command;
    uint16_t sequence;
    const uint8_t *payload; /* inside the receive buffer */
    uint32_t length;
} tg_frame;

/* Blocks until a frame arrives. `buffer` holds a frame after its start marker: TG_FRAME_OVERHEAD +
 * the longest payload accepted = `capacity` bytes. After a damaged frame (TG_FRAME_BAD_CRC, or
 * TG_FRAME_BAD_LENGTH: a length this buffer cannot hold) the next call scans again every byte after
 * the false start marker, so a real frame that began inside it is not lost. */
int tg_frame_read(uint8_t *buffer, uint32_t capacity, tg_frame *frame);

/* Sends a frame in pieces, so large outputs need no extra buffer. */
void tg_frame_begin(uint8_t command, uint16_t sequence, uint32_t payload_length);
void tg_frame_bytes(const void *bytes, uint32_t count);
void tg_frame_end(void);

void tg_frame_error(uint8_t code, uint16_t sequence);

/* CRC-32 as zlib computes it; chain calls by passing the previous result (start with 0). */
uint32_t tg_crc32(uint32_t crc, const void *bytes, uint32_t count);

#endif /* TG_PROTOCOL_H */
