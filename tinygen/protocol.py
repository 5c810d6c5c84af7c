"""tinygen's serial protocol, version 2, host side. The device side is templates/hal/tg_protocol.c;
README.md ("tinygen validate --board") describes the wire format for people.

Frame: A5 5A | length (u16 LE) | command (u8) | sequence (u16 LE) | payload | CRC-16/CCITT-FALSE (u16 LE)
over length .. payload; length = 3 + payload bytes. Every request carries a new sequence number and
its answer echoes it, so a stale, repeated or unsolicited frame is never taken for an answer. READY
and the device's errors about damaged frames carry SEQUENCE_NONE. INFER, PROFILE and DUMP answers
begin with the CRC-32 (zlib's) of the input bytes the model ran on. A header whose length is
impossible for the awaited frame is a false start marker (boot noise): scanning resumes right after it.
Works on anything pyserial opens: a real port (/dev/ttyACM0, COM3), a pty, or QEMU's TCP serial
through `socket://host:port`.
"""

import random
import struct
import time
import zlib
from dataclasses import dataclass

import serial

from .errors import TinygenError

PROTOCOL_VERSION = 2
SYNC = b"\xa5\x5a"
LENGTH = struct.Struct("<H")
COMMAND_AND_SEQUENCE = struct.Struct("<BH")
CRC = struct.Struct("<H")
INPUT_CRC = struct.Struct("<I")                 # leads INFER, PROFILE and DUMP answers
INFER_TAIL = struct.Struct("<QI")               # after the outputs: counter, stack high-water mark
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
          5: "the model has no layer at that position"}
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


def tensor_layout(inputs: list[TensorInfo], outputs: list[TensorInfo]) -> bytes:
    """INFO's description of the inputs and outputs, which the firmware sends as generated: their
    counts (u8), then per tensor the dtype code (u8), rank (u8), dimensions and bytes (u32 LE)."""
    layout = bytes([len(inputs), len(outputs)])
    for tensor in inputs + outputs:
        rank = len(tensor.shape)
        layout += struct.pack(f"<BB{rank + 1}I", DTYPE_CODES[tensor.dtype], rank, *tensor.shape, tensor.bytes)
    return layout


@dataclass
class DeviceInfo:
    version: int
    model_hash: str
    board: str
    arena_bytes: int
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]


def parse_info(payload: bytes) -> DeviceInfo:
    """INFO's answer: version (u8), model sha256 (64 ASCII), board id (u8 length + ASCII), arena bytes
    (u32 LE), then the tensor layout (tensor_layout)."""
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


@dataclass
class Inference:
    outputs: bytes
    count: int          # the board counter's ticks or cycles for this inference
    stack_bytes: int    # stack high-water mark so far


class DeviceClient:
    """Commands to a device running tinygen's serial firmware. Each attempt waits `timeout` seconds for
    its answer (frames with another sequence number are skipped meanwhile); a timeout, a damaged or
    short answer, one computed on another input, or a device restart (READY) is retried with a new
    sequence number, `retries` times: a request ends within (1 + retries) * timeout seconds."""

    def __init__(self, port, timeout: float = 10.0, retries: int = 3):
        self.port = port
        self.reader = FrameReader(port)
        self.timeout = timeout
        self.retries = retries
        self.sequence = random.randrange(SEQUENCE_NONE)   # a new session never expects an old one's numbers

    def wait_ready(self, timeout: float) -> None:
        """Waits for the READY frame a device sends when it starts; anything before it is skipped."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                frame = self.reader.read(deadline, max_payload=1)
            except FrameError:
                continue
            except ConnectionLost:
                raise
            except ProtocolTimeout:
                raise ProtocolTimeout(f"the device sent no READY frame within {timeout:g} s: is tinygen's serial "
                                      f"firmware (protocol {PROTOCOL_VERSION}) running on it?"
                                      + self.reader.skipped_text()) from None
            if frame.command == CMD_READY:
                check_version(frame.payload, "READY")
                return

    def request(self, command: int, payload: bytes = b"", answer_bytes: int | None = 0,
                computed_on: bytes | None = None) -> bytes:
        """Sends `command` until it is answered and returns the answer's payload, which must have
        `answer_bytes` bytes (None: any number up to INFO_MAX_PAYLOAD). With `computed_on` (the input
        bytes sent), the answer must begin with their CRC-32, which is checked and stripped."""
        name = COMMAND_NAMES[command]
        expected = None if answer_bytes is None else answer_bytes + (INPUT_CRC.size if computed_on is not None else 0)
        limit = INFO_MAX_PAYLOAD if expected is None else expected
        if limit > MAX_PAYLOAD:
            raise TinygenError(f"the {name} answer ({limit} bytes) does not fit in a frame (at most {MAX_PAYLOAD})")
        problems = []
        for _ in range(1 + self.retries):
            self.sequence = (self.sequence + 1) % SEQUENCE_NONE
            self._send(encode(command, self.sequence, payload))
            try:
                answer = self._await_answer(name, command, self.sequence, max(limit, 1))
                return self._checked(name, answer, expected, computed_on)
            except ConnectionLost:
                raise
            except (FrameError, ProtocolTimeout) as exc:
                problems.append(exc)
        kind = ProtocolTimeout if all(isinstance(p, ProtocolTimeout) for p in problems) else FrameError
        times = f"{len(problems)} time" + ("s" if len(problems) > 1 else "")
        raise kind(f"{name} failed {times}: " + "; ".join(str(p).split("\n")[0] for p in problems)
                   + self.reader.skipped_text())

    def _send(self, frame: bytes) -> None:
        try:
            self.port.write(frame)
        except (OSError, serial.SerialException) as exc:
            raise ConnectionLost(f"the connection to the device closed: {exc}" + self.reader.skipped_text()) from None

    def _await_answer(self, name: str, command: int, sequence: int, limit: int) -> bytes:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                frame = self.reader.read(deadline, limit)
            except ConnectionLost:
                raise
            except ProtocolTimeout:
                raise ProtocolTimeout(f"the device stopped answering: no answer to {name} within {self.timeout:g} s"
                                      + self.reader.skipped_text()) from None
            if frame.command == CMD_READY:
                check_version(frame.payload, "READY")
                raise FrameError(f"the device restarted (READY) before answering {name}")
            code = frame.payload[0] if frame.payload else 0
            if frame.command == CMD_ERROR and frame.sequence == SEQUENCE_NONE:
                raise FrameError(ERRORS.get(code, f"device error {code}"))
            if frame.sequence != sequence:
                continue                        # the answer to an earlier request: stale or repeated
            if frame.command == CMD_ERROR:
                raise TinygenError(f"the device refused {name}: {ERRORS.get(code, f'error {code}')}")
            if frame.command != command | RESPONSE:
                raise FrameError(f"the device answered {name} with command 0x{frame.command:02x}")
            return frame.payload

    @staticmethod
    def _checked(name: str, answer: bytes, expected: int | None, computed_on: bytes | None) -> bytes:
        if expected is not None and len(answer) != expected:
            raise FrameError(f"the {name} answer has {len(answer)} bytes, expected {expected}")
        if computed_on is None:
            return answer
        (device_crc,) = INPUT_CRC.unpack_from(answer)
        if device_crc != zlib.crc32(computed_on):
            raise FrameError(f"the {name} answer was computed on another input (CRC-32 {device_crc:08x}, the input "
                             f"sent has {zlib.crc32(computed_on):08x}): a stale or repeated answer")
        return answer[INPUT_CRC.size:]

    def ping(self) -> None:
        """Synchronises with a running device (its answer carries the protocol version)."""
        check_version(self.request(CMD_PING, answer_bytes=1), "PING answer")

    def info(self) -> DeviceInfo:
        return parse_info(self.request(CMD_INFO, answer_bytes=None))

    def infer(self, input_bytes: bytes, output_bytes: int) -> Inference:
        payload = self.request(CMD_INFER, input_bytes, output_bytes + INFER_TAIL.size, computed_on=input_bytes)
        count, stack = INFER_TAIL.unpack_from(payload, output_bytes)
        return Inference(payload[:output_bytes], count, stack)

    def profile(self, input_bytes: bytes, layers: int) -> list[int]:
        """The board counter for each of the model's `layers` in one inference (alias layers count 0
        plus the hook)."""
        payload = self.request(CMD_PROFILE, input_bytes, 8 * layers, computed_on=input_bytes)
        return list(struct.unpack(f"<{layers}Q", payload))

    def dump(self, position: int, input_bytes: bytes, layer_bytes: int) -> bytes:
        """The output (`layer_bytes` long) of the layer at `position` (in execution order) for this input."""
        return self.request(CMD_DUMP, struct.pack("<H", position) + input_bytes, layer_bytes, computed_on=input_bytes)

    def reset(self, ready_timeout: float) -> None:
        """Restarts the device and waits for its READY frame."""
        self.request(CMD_RESET)
        self.wait_ready(ready_timeout)

    def exit(self) -> None:
        self.request(CMD_EXIT)
