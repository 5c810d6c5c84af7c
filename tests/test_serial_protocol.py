"""The serial protocol ties every answer to its request: framing and resynchronisation, and each
serial fault of a real link or device, injected by a fake device on a pseudo-terminal that computes
with the model's generated C (tests/fake_serial_device.py). Each test ends within seconds."""

import subprocess
import sys
import time

import numpy as np
import pytest
import serial
from serial.urlhandler import protocol_socket

from tinygen.compiler import compile_model
from tinygen.default_model import DEFAULT_MODEL_PATH
from tinygen.targets.device_client import DeviceClient
from tinygen.errors import TinygenError
from tinygen.validation.firmware import validate_firmware
from tinygen.targets.protocol import (CMD_READY, SEQUENCE_NONE, FrameError, FrameReader, ProtocolTimeout, TensorInfo, crc16,
                              encode)
from tinygen.targets import host
from tinygen.targets.tcp_serial import connect, free_port

from fake_serial_device import BOOT_NOISE, FakeDevice


class Bytes:
    """A port that holds a fixed byte string."""

    def __init__(self, data: bytes):
        self.data = data

    def read(self, count: int) -> bytes:
        chunk, self.data = self.data[:count], self.data[count:]
        return chunk


def test_frames_carry_a_sequence_number_and_a_ccitt_false_crc():
    assert crc16(b"123456789") == 0x29B1
    frame = encode(0x02, 0x1234, b"\x01\x02\x03")
    assert frame[:2] == b"\xa5\x5a" and frame[2:4] == (6).to_bytes(2, "little") and frame[5:7] == b"\x34\x12"
    reader = FrameReader(Bytes(b"noise" + frame))
    got = reader.read(time.monotonic() + 1, 3)
    assert (got.command, got.sequence, got.payload) == (0x02, 0x1234, b"\x01\x02\x03")
    assert bytes(reader.skipped) == b"noise"
    with pytest.raises(ProtocolTimeout):
        FrameReader(Bytes(frame[:5])).read(time.monotonic() + 0.3, 3)


def test_a_false_start_marker_is_passed_over_at_once():
    ready = encode(CMD_READY, SEQUENCE_NONE, b"\x02")
    start = time.monotonic()
    got = FrameReader(Bytes(BOOT_NOISE + ready)).read(start + 5, 1)        # 0xA4FF bytes promised
    assert got.command == CMD_READY and time.monotonic() - start < 0.5
    # A plausible length whose frame never completes: at the deadline the bytes after the false
    # marker are scanned again and the real frame inside them is found.
    got = FrameReader(Bytes(b"\xa5\x5a\x20\x00" + ready)).read(time.monotonic() + 0.5, 64)
    assert got.command == CMD_READY


def test_a_frame_with_a_bad_crc_is_refused_and_a_frame_inside_it_still_found():
    ping = encode(0x04, 7)
    reader = FrameReader(Bytes(b"\xa5\x5a\x08\x00" + ping + b"\x00"))    # a false header spanning the ping
    with pytest.raises(FrameError, match="bad CRC"):
        reader.read(time.monotonic() + 1, 16)
    got = reader.read(time.monotonic() + 1, 16)
    assert (got.command, got.sequence) == (0x04, 7)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """The default model and its generated C built for the host, which the fake device runs."""
    model = compile_model(DEFAULT_MODEL_PATH)
    work = tmp_path_factory.mktemp("host-model")
    return model, host.build(model, work), work


@pytest.fixture
def fake_device(compiled):
    devices = []

    def start(**options) -> FakeDevice:
        devices.append(FakeDevice(*compiled, **options).__enter__())
        return devices[-1]

    yield start
    for device in devices:
        device.__exit__(None, None, None)


def validate_on(device: FakeDevice, timeout: float = 1.0, **options):
    return validate_firmware("mps2-an386", DEFAULT_MODEL_PATH, target="device", port=device.path,
                             client_factory=lambda port: DeviceClient(port, timeout=timeout), **options)


def samples_file(path, inputs: list[np.ndarray]):
    np.savez(path, x=np.stack(inputs))
    return path


def twin_inputs(compiled) -> list[np.ndarray]:
    """Two different inputs with the same outputs: a device that answers the second with the first's
    answer would pass unless the answer names the input it was computed on."""
    model, executable, work = compiled
    first = np.random.default_rng(3).integers(-128, 128, size=model.inputs[0].tensor.shape, dtype=np.int8)
    [want] = host.run(executable, model, [[first]], work)[0]
    for position in range(first.size):
        second = first.copy()
        second.flat[position] += 1 if first.flat[position] < 127 else -1
        if np.array_equal(host.run(executable, model, [[second]], work)[0][0], want):
            return [first, second]
    raise AssertionError("no twin input found")


def test_a_device_repeating_its_first_answer_is_caught_even_when_outputs_coincide(fake_device, compiled, tmp_path):
    inputs = twin_inputs(compiled)
    device = fake_device(fault="repeat_first_answer")
    with pytest.raises(FrameError, match="INFER failed 4 times: the INFER answer was computed on another input"):
        validate_on(device, inputs=samples_file(tmp_path / "twins.npz", inputs))


def test_stale_answers_are_skipped_and_shift_nothing(fake_device):
    device = fake_device(fault="stale_answer_first")
    report = validate_on(device, samples=6)
    assert report.bit_exact and report.samples == 6
    assert device.requests.count(0x02) == 6               # no retries: each stale answer was skipped
    outputs = [answer[4:14] for answer in device.infer_answers]
    assert all(a != b for a, b in zip(outputs, outputs[1:]))     # a shift by one would have mismatched


def test_an_unsolicited_ready_mid_stream_causes_no_false_mismatch(fake_device):
    device = fake_device(fault="ready_mid_stream")
    report = validate_on(device, samples=5)
    assert report.bit_exact and report.mismatched_samples == 0 and report.first_diverging_layer is None
    assert device.requests.count(0x02) == 6               # the interrupted request was sent again


def test_a_dropped_byte_is_retried_and_succeeds(fake_device):
    device = fake_device(fault="drop_byte")
    start = time.monotonic()
    report = validate_on(device, samples=4, timeout=1.0)
    assert report.bit_exact and device.requests.count(0x02) == 5
    assert time.monotonic() - start < 8


def test_boot_noise_with_a_false_frame_header_is_resynchronised_at_once(fake_device):
    device = fake_device()
    with serial.serial_for_url(device.path, baudrate=115200, timeout=0.2) as port:
        client = DeviceClient(port, timeout=1.0)
        start = time.monotonic()
        device.boot()
        client.wait_ready(20)
        assert time.monotonic() - start < 1.0              # v1 waited 10 s for the 42 kB the noise promised
        client.ping()
    assert b"bootloader 1.0" in bytes(client.reader.skipped)


def test_a_short_profile_answer_is_a_clear_error(fake_device):
    device = fake_device(fault="short_profile")
    layers = len(compile_model(DEFAULT_MODEL_PATH).layers)
    with pytest.raises(FrameError, match=f"PROFILE failed 4 times: the PROFILE answer has 3 bytes, "
                                         f"expected {4 + 8 * layers}"):
        validate_on(device, samples=2)


def test_another_protocol_version_is_refused_with_the_fix(fake_device):
    device = fake_device(version=3)
    with pytest.raises(TinygenError, match="protocol version 3 .*tinygen speaks version 2: rebuild and reflash"):
        validate_on(device, samples=2)
    with serial.serial_for_url(device.path, baudrate=115200, timeout=0.2) as port:
        with pytest.raises(TinygenError, match=r"protocol version 3 \(in its INFO\)"):
            DeviceClient(port, timeout=1.0).info()


@pytest.mark.parametrize("outputs, message", [
    ([TensorInfo("int8", (1, 12), 12)], r"output 0 is int8 1x12 \(12 bytes\), digits_int8.tflite's is int8 1x10 \(10 bytes\)"),
    ([TensorInfo("int8", (10, 1), 10)], r"output 0 is int8 10x1 \(10 bytes\), .* is int8 1x10 \(10 bytes\)"),
    ([TensorInfo("float32", (1, 10), 40)], r"output 0 is float32 1x10 \(40 bytes\), .* is int8 1x10 \(10 bytes\)"),
    ([TensorInfo("int8", (1, 10), 10)] * 2, r"the device's model has 2 outputs, digits_int8.tflite has 1"),
])
def test_info_with_other_shapes_is_refused_naming_the_difference(fake_device, outputs, message):
    device = fake_device(outputs=outputs)
    with pytest.raises(TinygenError, match=message + ": build and flash this model first"):
        validate_on(device, samples=2)


def test_device_target_waits_for_a_board_that_restarts_as_its_port_opens(fake_device):
    device = fake_device(fault="restart_on_first_request")
    start = time.monotonic()
    report = validate_on(device, samples=3, timeout=10.0)
    assert report.bit_exact and report.target == "device"
    assert time.monotonic() - start < 8                  # READY started the PING again, no 10 s timeout
    assert device.requests[:2] == [0x04, 0x04]


GREETER = """
import socket, sys, time
with socket.create_server(("127.0.0.1", int(sys.argv[1]))) as server:
    connection, _ = server.accept()
    connection.sendall(b"sent on accept")
    time.sleep(10)
"""


def test_an_emulator_port_keeps_what_arrives_while_it_opens(monkeypatch):
    """An emulator sends from the moment it accepts the connection (QEMU starts the firmware, Renode
    replays the UART's output): pyserial's open() ends with an input flush, here made late as on a
    busy host, and what was sent on accept must still be read (it was READY, lost in CI)."""
    flush = protocol_socket.Serial.reset_input_buffer

    def late_flush(port):
        time.sleep(0.5)
        flush(port)

    monkeypatch.setattr(protocol_socket.Serial, "reset_input_buffer", late_flush)
    port_number = free_port()
    greeter = subprocess.Popen([sys.executable, "-c", GREETER, str(port_number)])
    try:
        port = connect(greeter, port_number, 10, "the greeter", lambda: "")
        port.timeout = 2
        assert port.read(14) == b"sent on accept"
        port.close()
    finally:
        greeter.kill()
        greeter.wait()
