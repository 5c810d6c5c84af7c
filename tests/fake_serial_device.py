"""A fake tinygen device on a pseudo-terminal, for the serial faults QEMU cannot be made to show.

A thread speaks the device side of the serial protocol on the pty's master end; the host opens the
slave path with pyserial exactly as a real /dev/ttyACM0. Outputs come from the model's generated C
compiled for the host (tinygen.targets.host), the same sources the firmware runs; the counter values
are the layers' multiply-accumulates. One fault is injected on request (see FAULTS)."""

import os
import select
import struct
import threading
import time
import tty
import zlib

import numpy as np

from tinygen.targets.protocol import (CMD_ERROR, CMD_EXIT, CMD_INFER, CMD_INFO, CMD_PING, CMD_PROFILE, CMD_READY,
                              INFER_TAIL, PROTOCOL_VERSION, RESPONSE, SEQUENCE_NONE, FrameError, FrameReader,
                              ProtocolTimeout, encode, info_payload, tensor_info)
from tinygen.targets import host

FAULTS = {
    "repeat_first_answer": "every INFER answer repeats the first one (its input CRC and outputs), under the new sequence number",
    "stale_answer_first": "before each INFER answer, the previous answer is sent again as it was",
    "ready_mid_stream": "an unsolicited READY before the second INFER answer",
    "drop_byte": "one byte of the second INFER answer is lost",
    "short_profile": "the PROFILE answer has 3 bytes",
    "restart_on_first_request": "the first request restarts the device (as a board whose port opening resets it): "
                                "that request is lost, boot noise and READY follow",
}
# Boot output with a false start marker whose length (0xA4FF) promises 42 kB.
BOOT_NOISE = b"\x00\xffbootloader 1.0\r\n\xa5\x5a\xff\xa4\x10\x01junk"
STACK_BYTES = 512


class PtyMasterEnd:
    """The device's end of the pty as FrameReader wants a port: read(n) returning what came within 50 ms."""

    def __init__(self, fd: int):
        self.fd = fd

    def read(self, count: int) -> bytes:
        if not select.select([self.fd], [], [], 0.05)[0]:
            return b""
        return os.read(self.fd, count)

    def write(self, data: bytes) -> None:
        os.write(self.fd, data)


class FakeDevice:
    def __init__(self, model, executable, work_dir, fault: str | None = None, version: int = PROTOCOL_VERSION,
                 board: str = "mps2-an386", outputs=None):
        """`outputs`: the output TensorInfo list INFO reports (default: the model's)."""
        assert fault is None or fault in FAULTS, fault
        self.model, self.executable, self.work_dir = model, executable, work_dir
        self.fault, self.version, self.board = fault, version, board
        self.outputs = outputs if outputs is not None else [tensor_info(io) for io in model.outputs]
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)                  # no echo or line editing before the host configures it
        self.path = os.ttyname(self.slave)
        self.end = PtyMasterEnd(self.master)
        self.requests: list[int] = []           # commands received, in order
        self.infer_answers: list[bytes] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(5)
        os.close(self.master)
        os.close(self.slave)

    def boot(self) -> None:
        self.end.write(BOOT_NOISE)
        self._send(CMD_READY, SEQUENCE_NONE, bytes([self.version]))

    def _send(self, command: int, sequence: int, payload: bytes = b"") -> None:
        self.end.write(encode(command, sequence, payload))

    def _serve(self) -> None:
        reader = FrameReader(self.end)
        largest_request = 2 + sum(io.bytes for io in self.model.inputs)
        while not self.stopping.is_set():
            try:
                frame = reader.read(time.monotonic() + 0.1, largest_request)
            except ProtocolTimeout:
                continue
            except FrameError:
                self._send(CMD_ERROR, SEQUENCE_NONE, b"\x01")
                continue
            self.requests.append(frame.command)
            if self.fault == "restart_on_first_request" and len(self.requests) == 1:
                time.sleep(0.3)
                reader.pending.clear()
                self.boot()
                continue
            self._answer(frame.command, frame.sequence, frame.payload)

    def _answer(self, command: int, sequence: int, payload: bytes) -> None:
        if command == CMD_INFER:
            self._answer_infer(sequence, payload)
        elif command == CMD_PROFILE:
            counts = struct.pack(f"<{len(self.model.layers)}Q", *(layer.macs for layer in self.model.layers))
            answer = struct.pack("<I", zlib.crc32(payload)) + counts
            self._send(command | RESPONSE, sequence, answer[:3] if self.fault == "short_profile" else answer)
        elif command == CMD_INFO:
            self._send(command | RESPONSE, sequence, self._info())
        elif command == CMD_PING:
            self._send(command | RESPONSE, sequence, bytes([self.version]))
        elif command == CMD_EXIT:
            self._send(command | RESPONSE, sequence)
        else:
            self._send(CMD_ERROR, sequence, b"\x04")

    def _answer_infer(self, sequence: int, payload: bytes) -> None:
        outputs = host.run(self.executable, self.model, [self._sample(payload)], self.work_dir)[0]
        answer = (struct.pack("<I", zlib.crc32(payload)) + b"".join(o.tobytes() for o in outputs)
                  + INFER_TAIL.pack(self.model.total_macs, STACK_BYTES))
        if self.fault == "repeat_first_answer" and self.infer_answers:
            answer = self.infer_answers[0]
        frame = encode(CMD_INFER | RESPONSE, sequence, answer)
        count = len(self.infer_answers)
        if self.fault == "stale_answer_first" and count:
            self._send(CMD_INFER | RESPONSE, self.last_infer_sequence, self.infer_answers[-1])
        if self.fault == "ready_mid_stream" and count == 1:
            self._send(CMD_READY, SEQUENCE_NONE, bytes([self.version]))
        if self.fault == "drop_byte" and count == 1:
            frame = frame[:len(frame) // 2] + frame[len(frame) // 2 + 1:]
        self.end.write(frame)
        self.infer_answers.append(answer)
        self.last_infer_sequence = sequence

    def _sample(self, payload: bytes) -> list[np.ndarray]:
        sample, position = [], 0
        for io in self.model.inputs:
            chunk = payload[position:position + io.bytes]
            sample.append(np.frombuffer(chunk, dtype=io.tensor.dtype).reshape(io.tensor.shape))
            position += io.bytes
        return sample

    def _info(self) -> bytes:
        return info_payload(self.model.model_hash, self.board, self.model.arena_bytes,
                            [tensor_info(io) for io in self.model.inputs], self.outputs, self.version)
