"""tinygen's serial protocol, version 2, host side: the wire format (device_client.py holds the
request discipline). The device side is templates/hal/tg_protocol.c; README.md ("tinygen validate
--board") describes the format for people.

Frame: A5 5A | length (u16 LE) | command (u8) | sequence (u16 LE) | payload | CRC-16/CCITT-FALSE (u16 LE)
over length .. payload; length = 3 + payload bytes. Every request carries a new sequence number and
its answer (command | RESPONSE) echoes it, so a stale, repeated or unsolicited frame is never taken
for an answer. READY and the device's errors about damaged frames carry SEQUENCE_NONE. Answers:
INFO (parse_info), PING (version), INFER (INPUT_CRC, outputs, INFER_TAIL), PROFILE (INPUT_CRC, u64 per
layer), DUMP (INPUT_CRC, the layer's output), EXIT and RESET (empty); INPUT_CRC is the CRC-32 (zlib's)
of the input bytes the model ran on. A header whose length is impossible for the awaited frame is a
false start marker (boot noise): scanning resumes right after it. Works on anything pyserial opens:
a real port (/dev/ttyACM0, COM3), a pty, or QEMU's TCP serial through `socket://host:port`.
"""

import struct
import time
from dataclasses import dataclass

import serial

from ..errors import TinygenError

PROTOCOL_VERSION = 2
SYNC = b"\xa5\x5a"
LENGTH = struct.Struct("<H")
COMMAND_AND_SEQUENCE = struct.Struct("<BH")
CRC = struct.Struct("<H")
INPUT_CRC = struct.Struct("<I")                 # leads INFER, PROFILE and DUMP answers
INFER_TAIL = struct.Struct("<QI")               # after INFER's outputs: counter, stack high-water mark
SEQUENCE_NONE = 0xFFFF
MAX_PAYLOAD = 0xFFFF - COMMAND_AND_SEQUENCE.size
INFO_MAX_PAYLOAD = 4096     # far above any INFO; bounds what a false start marker can make the host wait for
SKIPPED_KEPT = 4096         # bytes outside frames kept for error messages
CMD_INFO, CMD_INFER, CMD_PROFILE, CMD_PING, CMD_EXIT, CMD_DUMP, CMD_RESET = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07
CMD_READY, CMD_ERROR, RESPONSE = 0x10, 0x7F, 0x80
COMMAND_NAMES = {CMD_INFO: "INFO", CMD_INFER: "INFER", CMD_PROFILE: "PROFILE", CMD_PING: "PING", CMD_EXIT: "EXIT",
                 CMD_DUMP: "DUMP", CMD_RESET: "RESET"}
ERRORS = {1: "the device received a frame with a bad CRC",
          2: "the device received a frame whose length is impossible for it (damaged, or longer than its buffer)",
          3: "the input has the wrong number of bytes for this model", 4: "the device does not know the command",
          5: "the model has no layer at that position", 6: "the answer would not fit in one frame"}
DTYPE_CODES = {"int8": 0, "float32": 1}     # INFO's tensor type byte
DTYPES = {code: name for name, code in DTYPE_CODES.items()}


class ProtocolTimeout(TinygenError):
    """The device stopped answering."""


class ConnectionLost(ProtocolTimeout):
    """The port closed (the emulator exited, the cable came out): retrying cannot help."""


class FrameError(TinygenError):
    """A frame arrived damaged, or an answer is malformed or belongs to another request."""


def crc16(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def encode(command: int, sequence: int, payload: bytes = b"") -> bytes:
    if len(payload) > MAX_PAYLOAD:
        raise TinygenError(f"a frame holds at most {MAX_PAYLOAD} payload bytes, not {len(payload)}")
    body = LENGTH.pack(COMMAND_AND_SEQUENCE.size + len(payload)) + COMMAND_AND_SEQUENCE.pack(command, sequence) + payload
    return SYNC + body + CRC.pack(crc16(body))


def check_version(payload: bytes, where: str) -> None:
    """`payload` starts with the device's protocol version byte (READY, PING and INFO answers)."""
    if payload[:1] != bytes([PROTOCOL_VERSION]):
        version = payload[0] if payload else "(none)"
        raise TinygenError(f"the device speaks serial protocol version {version} (in its {where}), tinygen speaks "
                           f"version {PROTOCOL_VERSION}: rebuild and reflash the firmware with this tinygen "
                           "(tinygen build, then tinygen flash)")


@dataclass
class Frame:
    command: int
    sequence: int
    payload: bytes


class FrameReader:
    """Reads frames from a pyserial-like port (read(n) with a timeout). A start marker followed by an
    impossible length, a bad CRC, or too few bytes by the deadline was a false one: the bytes after it
    are scanned again, so a real frame that began inside it is still found."""

    def __init__(self, port):
        self.port = port
        self.pending = bytearray()   # received, not yet taken as a frame
        self.skipped = bytearray()   # bytes outside frames (e.g. a fault report), kept for error messages

    def skipped_text(self) -> str:
        text = self.skipped.decode("ascii", errors="replace").strip()
        return f"\ndevice output outside frames:\n{text[-800:]}" if text else ""

    def read(self, deadline: float, max_payload: int) -> Frame:
        """The next frame with at most `max_payload` payload bytes. FrameError: a frame with a bad CRC
        (what follows its start marker stays to be scanned); ProtocolTimeout: none by `deadline`."""
        while True:
            wanted = self._take_frame(max_payload)
            if isinstance(wanted, Frame):
                return wanted
            if self._fill(wanted, deadline):
                continue
            if self.pending.startswith(SYNC):   # a frame cut short: a false start, or a byte was lost
                self._skip(len(SYNC))
                continue
            raise ProtocolTimeout("no frame arrived in time")

    def _take_frame(self, max_payload: int) -> Frame | int:
        """Takes the first frame out of `pending`, or says how many pending bytes it needs first."""
        while True:
            start = self.pending.find(SYNC)
            if start < 0:
                self._skip(len(self.pending) - int(self.pending.endswith(SYNC[:1])))
                return len(self.pending) + 1
            self._skip(start)
            header_end = len(SYNC) + LENGTH.size
            if len(self.pending) < header_end:
                return header_end
            (length,) = LENGTH.unpack_from(self.pending, len(SYNC))
            if COMMAND_AND_SEQUENCE.size <= length <= COMMAND_AND_SEQUENCE.size + max_payload:
                break
            self._skip(len(SYNC))               # an impossible length: a false start marker
        frame_end = header_end + length + CRC.size
        if len(self.pending) < frame_end:
            return frame_end
        body = bytes(self.pending[len(SYNC):header_end + length])
        (received,) = CRC.unpack_from(self.pending, header_end + length)
        if received != crc16(body):
            self._skip(len(SYNC))
            raise FrameError(f"a frame with a bad CRC arrived ({length - COMMAND_AND_SEQUENCE.size} payload bytes)")
        del self.pending[:frame_end]
        command, sequence = COMMAND_AND_SEQUENCE.unpack_from(body, LENGTH.size)
        return Frame(command, sequence, body[LENGTH.size + COMMAND_AND_SEQUENCE.size:])

    def _fill(self, count: int, deadline: float) -> bool:
        """Reads until `count` bytes are pending; False if the deadline passes first."""
        while len(self.pending) < count:
            if time.monotonic() > deadline:
                return False
            try:
                self.pending += self.port.read(count - len(self.pending))
            except (OSError, serial.SerialException) as exc:
                raise ConnectionLost(f"the connection to the device closed: {exc}" + self.skipped_text()) from None
        return True

    def _skip(self, count: int) -> None:
        self.skipped += self.pending[:count]
        del self.pending[:count]
        del self.skipped[:-SKIPPED_KEPT]


@dataclass
class TensorInfo:
    dtype: str
    shape: tuple[int, ...]
    bytes: int

    def __str__(self) -> str:
        return f"{self.dtype} {'x'.join(map(str, self.shape))} ({self.bytes} bytes)"


def tensor_info(io) -> TensorInfo:
    """How INFO describes a model input or output (a compiler `ModelIO`); a scalar has shape (1,)."""
    return TensorInfo(io.tensor.dtype, tuple(io.tensor.shape) or (1,), io.bytes)


def info_payload(model_hash: str, board: str, arena_bytes: int, inputs: list[TensorInfo],
                 outputs: list[TensorInfo], version: int = PROTOCOL_VERSION) -> bytes:
    """INFO's answer, which the firmware sends as generated (model_io.c): version (u8), model sha256
    (64 ASCII), board id (u8 length + ASCII), arena bytes (u32 LE), the input and output counts (u8
    each), then per tensor the dtype code (u8), rank (u8), dimensions and bytes (u32 LE)."""
    payload = (bytes([version]) + model_hash.encode("ascii") + bytes([len(board)]) + board.encode("ascii")
               + struct.pack("<I", arena_bytes) + bytes([len(inputs), len(outputs)]))
    for tensor in inputs + outputs:
        rank = len(tensor.shape)
        payload += struct.pack(f"<BB{rank + 1}I", DTYPE_CODES[tensor.dtype], rank, *tensor.shape, tensor.bytes)
    return payload


@dataclass
class DeviceInfo:
    version: int
    model_hash: str
    board: str
    arena_bytes: int
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]


def parse_info(payload: bytes) -> DeviceInfo:
    """INFO's answer, as info_payload makes it."""
    check_version(payload, "INFO")
    try:
        model_hash = payload[1:65].decode("ascii")
        board_length = payload[65]
        board = payload[66:66 + board_length].decode("ascii")
        position = 66 + board_length
        (arena,) = struct.unpack_from("<I", payload, position)
        n_in, n_out = payload[position + 4], payload[position + 5]
        position += 6
        tensors = []
        for _ in range(n_in + n_out):
            dtype, rank = payload[position], payload[position + 1]
            values = struct.unpack_from(f"<{rank + 1}I", payload, position + 2)
            tensors.append(TensorInfo(DTYPES.get(dtype, f"type {dtype}"), tuple(values[:rank]), values[rank]))
            position += 2 + 4 * (rank + 1)
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise FrameError(f"the device's INFO answer is malformed: {exc}") from None
    if position != len(payload):
        raise FrameError(f"the device's INFO answer has {len(payload) - position} bytes more than it describes")
    return DeviceInfo(PROTOCOL_VERSION, model_hash, board, arena, tensors[:n_in], tensors[n_in:])
