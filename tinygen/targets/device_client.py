"""Commands to a device running tinygen's serial firmware, each tied to its answer by a sequence
number and, for inferences, by the CRC-32 of the input; the wire format is in protocol.py."""

import random
import struct
import time
import zlib
from dataclasses import dataclass

import serial

from ..errors import TinygenError
from .protocol import (CMD_DUMP, CMD_ERROR, CMD_EXIT, CMD_INFER, CMD_INFO, CMD_PING, CMD_PROFILE, CMD_READY,
                       CMD_RESET, COMMAND_NAMES, ERRORS, INFER_TAIL, INFO_MAX_PAYLOAD, INPUT_CRC, MAX_PAYLOAD,
                       PROTOCOL_VERSION, RESPONSE, SEQUENCE_NONE, ConnectionLost, DeviceInfo, FrameError, FrameReader,
                       ProtocolTimeout, check_version, encode, parse_info)


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
