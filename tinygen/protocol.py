"""tinygen's serial protocol, host side (the device side is templates/hal/tg_protocol.c).

Frame: 0xA5 0x5A, length (u16 LE: command + payload), command (u8), payload, CRC-16/CCITT-FALSE
(u16 LE) over length, command and payload. Works on anything pyserial opens: a real port
(/dev/ttyACM0, COM3), a pty, or QEMU's TCP serial through `socket://host:port`.
"""

import struct
import time
from dataclasses import dataclass

import serial

from .errors import TinygenError

PROTOCOL_VERSION = 1
SYNC = b"\xa5\x5a"
CMD_INFO, CMD_INFER, CMD_PROFILE, CMD_PING, CMD_EXIT, CMD_DUMP, CMD_RESET = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07
CMD_READY, CMD_ERROR, RESPONSE = 0x10, 0x7F, 0x80
ERRORS = {1: "the device received a frame with a bad CRC", 2: "the frame was longer than the device's buffer",
          3: "the input has the wrong number of bytes for this model", 4: "the device does not know the command",
          5: "the model has no layer at that position"}
RETRYABLE_DEVICE_ERRORS = {1, 2}   # what a damaged frame looks like from the device's side
DTYPE_CODES = {"int8": 0, "float32": 1}     # INFO's tensor type byte
DTYPES = {code: name for name, code in DTYPE_CODES.items()}
MAX_PAYLOAD = 0xFFFE


class ProtocolTimeout(TinygenError):
    """The device stopped answering."""


class FrameError(TinygenError):
    """A frame arrived damaged (bad CRC or impossible length)."""


def crc16(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def encode(command: int, payload: bytes = b"") -> bytes:
    if len(payload) > MAX_PAYLOAD:
        raise TinygenError(f"a frame holds at most {MAX_PAYLOAD} payload bytes, not {len(payload)}")
    body = struct.pack("<HB", len(payload) + 1, command) + payload
    return SYNC + body + struct.pack("<H", crc16(body))


@dataclass
class Frame:
    command: int
    payload: bytes


class FrameReader:
    """Reads frames from a pyserial-like port (read(n) with a timeout), resynchronising on SYNC."""

    def __init__(self, port):
        self.port = port
        self.skipped = bytearray()   # bytes seen outside frames (e.g. a fault report), kept for errors

    def _read_exact(self, count: int, deadline: float) -> bytes:
        data = b""
        while len(data) < count:
            if time.monotonic() > deadline:
                raise ProtocolTimeout(f"the device stopped answering (got {len(data)} of {count} bytes)"
                                      + self.skipped_text())
            try:
                data += self.port.read(count - len(data))
            except (OSError, serial.SerialException) as exc:
                raise ProtocolTimeout(f"the connection to the device closed: {exc}" + self.skipped_text()) from None
        return data

    def skipped_text(self) -> str:
        text = self.skipped.decode("ascii", errors="replace").strip()
        return f"\ndevice output outside frames:\n{text[-800:]}" if text else ""

    def read(self, timeout: float) -> Frame:
        deadline = time.monotonic() + timeout
        previous = b""
        while True:
            byte = self._read_exact(1, deadline)
            if previous == SYNC[:1] and byte == SYNC[1:]:
                break
            self.skipped += previous
            previous = byte
        header = self._read_exact(3, deadline)
        length, command = struct.unpack("<HB", header)
        if length == 0:
            raise FrameError("a frame with length 0 arrived")
        payload = self._read_exact(length - 1, deadline)
        (received,) = struct.unpack("<H", self._read_exact(2, deadline))
        if received != crc16(header + payload):
            raise FrameError(f"a frame with a bad CRC arrived (command 0x{command:02x}, {length - 1} bytes)")
        return Frame(command, payload)


@dataclass
class TensorInfo:
    dtype: str
    shape: tuple[int, ...]
    bytes: int


@dataclass
class DeviceInfo:
    version: int
    model_hash: str
    board: str
    arena_bytes: int
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]


def parse_info(payload: bytes) -> DeviceInfo:
    try:
        version = payload[0]
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
    return DeviceInfo(version, model_hash, board, arena, tensors[:n_in], tensors[n_in:])


@dataclass
class Inference:
    outputs: bytes
    count: int          # the board counter's ticks or cycles for this inference
    stack_bytes: int    # stack high-water mark so far


class DeviceClient:
    """Commands to a device running tinygen's serial firmware. Damaged frames are retried."""

    def __init__(self, port, timeout: float = 10.0, retries: int = 3):
        self.port = port
        self.reader = FrameReader(port)
        self.timeout = timeout
        self.retries = retries

    def wait_ready(self, timeout: float) -> int:
        frame = self.reader.read(timeout)
        if frame.command != CMD_READY:
            raise FrameError(f"expected the device's READY frame, got command 0x{frame.command:02x}")
        if frame.payload[:1] != bytes([PROTOCOL_VERSION]):
            raise TinygenError(f"the device speaks protocol version {frame.payload[:1].hex()}, "
                               f"tinygen speaks {PROTOCOL_VERSION}: rebuild and reflash the firmware")
        return frame.payload[0]

    def request(self, command: int, payload: bytes = b"") -> bytes:
        problems = []
        for _ in range(1 + self.retries):
            self.port.write(encode(command, payload))
            try:
                frame = self.reader.read(self.timeout)
            except FrameError as exc:
                problems.append(str(exc))
                continue
            if frame.command == CMD_ERROR:
                code = frame.payload[0] if frame.payload else 0
                if code in RETRYABLE_DEVICE_ERRORS:
                    problems.append(ERRORS[code])
                    continue
                raise TinygenError(f"the device refused command 0x{command:02x}: {ERRORS.get(code, f'error {code}')}")
            if frame.command != command | RESPONSE:
                problems.append(f"unexpected answer 0x{frame.command:02x} to command 0x{command:02x}")
                continue
            return frame.payload
        raise FrameError(f"command 0x{command:02x} failed {1 + self.retries} times: " + "; ".join(problems))

    def info(self) -> DeviceInfo:
        return parse_info(self.request(CMD_INFO))

    def infer(self, input_bytes: bytes, output_bytes: int) -> Inference:
        payload = self.request(CMD_INFER, input_bytes)
        if len(payload) != output_bytes + 12:
            raise FrameError(f"the inference answer has {len(payload)} bytes, expected {output_bytes + 12}")
        count, stack = struct.unpack_from("<QI", payload, output_bytes)
        return Inference(payload[:output_bytes], count, stack)

    def profile(self, input_bytes: bytes) -> list[int]:
        """The board counter for each layer of one inference (alias layers count 0 plus the hook)."""
        payload = self.request(CMD_PROFILE, input_bytes)
        (layers,) = struct.unpack_from("<H", payload)
        if len(payload) != 2 + 8 * layers:
            raise FrameError(f"the profile answer has {len(payload)} bytes for {layers} layers")
        return list(struct.unpack_from(f"<{layers}Q", payload, 2))

    def dump(self, position: int, input_bytes: bytes) -> bytes:
        """The output of the layer at `position` (in execution order) for this input."""
        return self.request(CMD_DUMP, struct.pack("<H", position) + input_bytes)

    def reset(self, ready_timeout: float) -> None:
        """Restarts the device and waits for its READY frame."""
        self.request(CMD_RESET)
        self.wait_ready(ready_timeout)

    def exit(self) -> None:
        self.request(CMD_EXIT)
