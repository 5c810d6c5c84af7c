"""`tinygen validate --board`: firmware in QEMU over the serial protocol, bit-exact against TFLM,
and every failure path (damaged frames, silence, faults, killed QEMU, wrong model, wrong data)
ends in a clear error, never in success."""

import contextlib
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest

from tinygen.quiet_tensorflow import import_tensorflow
from tinygen.boards import get_board
from tinygen.cli import main
from tinygen.compiler import compile_model
from tinygen.default_model import DEFAULT_MODEL_PATH
from tinygen.targets.device_client import DeviceClient
from tinygen.errors import TinygenError
from tinygen.firmware.build import build, compile_for, run_platformio
from tinygen.validation.firmware import check_device_model, validate_firmware
from tinygen.targets.protocol import CMD_ERROR, CMD_PING, RESPONSE, SEQUENCE_NONE, FrameError, ProtocolTimeout, encode
from tinygen.targets.qemu import QemuSerialSession

import tf_models
from conftest import needs_shared_models, shared_model

AN386 = get_board("mps2-an386")


@pytest.fixture(scope="module", autouse=True)
def fresh_tinygen_home(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TINYGEN_HOME", str(tmp_path_factory.mktemp("tinygen-home")))
        yield


@contextlib.contextmanager
def serial_firmware(elf, timeout: float = 5, retries: int = 3):
    """The serial firmware `elf` running on mps2-an386 in QEMU, with a client past its READY frame."""
    with QemuSerialSession(AN386, elf) as session:
        client = DeviceClient(session.port, timeout=timeout, retries=retries)
        client.wait_ready(20)
        yield session, client


def serial_elf(tmp_path):
    return build(AN386, compile_for(AN386, DEFAULT_MODEL_PATH), tmp_path / "fw", app="serial").elf


def patched_serial_elf(tmp_path, patch) -> Path:
    """The serial firmware with its generated sources changed by `patch(project)`, rebuilt."""
    out = tmp_path / "fw"
    build(AN386, compile_for(AN386, DEFAULT_MODEL_PATH), out, app="serial")
    patch(out)
    run_platformio(out)
    return out / ".pio" / "build" / AN386.id / "firmware.elf"


class DamagingPort:
    """Wraps a pyserial port and flips one bit in chosen reads or writes (1-based counts)."""

    def __init__(self, port, damage_writes=(), damage_reads=(), silent_after_reads=None):
        self.port = port
        self.damage_writes, self.damage_reads = set(damage_writes), set(damage_reads)
        self.silent_after_reads = silent_after_reads
        self.writes = self.reads = 0

    def write(self, data: bytes):
        self.writes += 1
        if self.writes in self.damage_writes or "all" in self.damage_writes:
            data = bytearray(data)
            data[len(data) // 2] ^= 0x10
        return self.port.write(bytes(data))

    def read(self, count: int) -> bytes:
        if self.silent_after_reads is not None and self.reads >= self.silent_after_reads:
            self.port.read(count)          # the device may talk; nothing reaches the host
            return b""
        data = self.port.read(count)
        if data:
            self.reads += 1
            if self.reads in self.damage_reads:
                data = bytes([data[0] ^ 0x01]) + data[1:]
        return data


def test_default_model_on_nrf52840_runs_on_the_nearest_core(tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["validate", "--board", "nrf52840", "--samples", "5", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"^flash [\d,]+ bytes \(weights [\d,]+, code [\d,]+, other [\d,]+\); "
                     r"RAM [\d,]+ bytes \(arena [\d,]+, stack [\d,]+, io [\d,]+, other [\d,]+\)$", printed, re.MULTILINE), printed
    report = json.loads(out.read_text())
    assert report["bit_exact"] and report["emulated_core"] == "mps2-an386" and report["target"] == "qemu"
    assert "nearest emulated core" in report["note"]
    for key in ("report_version", "board", "samples", "mismatched_outputs", "timing", "memory", "energy",
                "first_diverging_layer"):
        assert key in report, key
    assert report["timing"]["unit"] == "instructions" and report["timing"]["exact"] and report["timing"]["per_layer"]
    memory = report["memory"]
    assert 0 < memory["stack_bytes"] <= 4096 and memory["flash_bytes"]["used"] > memory["ram_bytes"]["used"] > 0
    assert report["energy"]["uj_estimate"] > 0 and "ESTIMATE" in report["energy"]["assumptions"]


@needs_shared_models
@pytest.mark.parametrize("board", ["mps2-an386", "netduinoplus2", "mps2-an505", "mps3-an547", "lm3s6965evb"])
def test_kws_is_bit_exact_with_repeatable_instruction_counts(tmp_path, board):
    runs = []
    for attempt in range(2):
        out = tmp_path / f"run{attempt}.json"
        assert main(["validate", "--board", board, "--model", str(shared_model("mlperf_tiny/kws_ref_model.tflite")),
                     "--samples", "20", "--json", str(out)]) == 0
        runs.append(json.loads(out.read_text()))
    assert all(r["bit_exact"] and r["samples"] == 20 for r in runs)
    assert runs[0]["timing"] == runs[1]["timing"]


def _validate_with(factory, **kwargs):
    return validate_firmware("mps2-an386", DEFAULT_MODEL_PATH, samples=4, client_factory=factory, **kwargs)


def test_damaged_frames_are_retried_then_succeed():
    report = _validate_with(lambda port: DeviceClient(DamagingPort(port, damage_writes={2, 4}, damage_reads={20}),
                                                      timeout=5))
    assert report.bit_exact


def test_a_link_that_always_damages_frames_fails():
    with pytest.raises(FrameError, match="failed 4 times"):
        _validate_with(lambda port: DeviceClient(DamagingPort(port, damage_writes={"all"}), timeout=5))


def test_a_device_that_stops_answering_times_out():
    with pytest.raises(ProtocolTimeout, match="stopped answering"):
        _validate_with(lambda port: DeviceClient(DamagingPort(port, silent_after_reads=8), timeout=2, retries=0))


def test_a_killed_qemu_is_an_error_not_a_success(tmp_path):
    with serial_firmware(serial_elf(tmp_path), timeout=3, retries=0) as (session, client):
        session.process.kill()
        with pytest.raises(ProtocolTimeout):
            client.info()
        assert session.close() != 0


def test_a_device_with_another_model_is_refused(tmp_path):
    with serial_firmware(serial_elf(tmp_path)) as (session, client):
        info = client.info()
        check_device_model(info, compile_model(DEFAULT_MODEL_PATH))     # the right model passes
        other = tmp_path / "other.tflite"
        other.write_bytes(tf_models.fully_connected((1, 64), 10))
        with pytest.raises(TinygenError, match="runs another model"):
            check_device_model(info, compile_model(other))
        client.exit()


def test_the_firmware_finds_a_frame_inside_a_false_one(tmp_path):
    """Noise towards the device: a start marker with an impossible length, then one whose plausible
    length spans a real PING. The firmware refuses both false frames at once and, scanning again
    what followed the false marker, still answers the PING inside."""
    with serial_firmware(serial_elf(tmp_path)) as (session, client):
        ping = encode(CMD_PING, 0x1234)
        session.port.write(b"\xa5\x5a\xff\xa4" + b"\xa5\x5a\x0c\x00" + ping + bytes(5))
        frames = [client.reader.read(time.monotonic() + 10, 1) for _ in range(3)]
        assert [(f.command, f.sequence, f.payload) for f in frames] == [
            (CMD_ERROR, SEQUENCE_NONE, b"\x02"), (CMD_ERROR, SEQUENCE_NONE, b"\x01"), (CMD_PING | RESPONSE, 0x1234, b"\x02")]
        client.info()                                    # still in step
        client.exit()


def test_a_faulting_firmware_shows_its_hardfault(tmp_path):
    def fault_before_inference(project):
        main_c = project / "src" / "main.c"
        main_c.write_text(main_c.read_text().replace("    run_model();\n", '    __asm__ volatile("udf #0");\n    run_model();\n'))

    with serial_firmware(patched_serial_elf(tmp_path, fault_before_inference), timeout=3, retries=0) as (session, client):
        with pytest.raises(ProtocolTimeout) as error:
            client.infer(bytes(64), 10)
        assert "tg-fault: HardFault pc=0x" in str(error.value)
        assert session.close() == 3


def test_inputs_of_the_wrong_shape_are_refused(tmp_path):
    data = tmp_path / "bad.npz"
    np.savez(data, x=np.zeros((3, 7, 7), dtype=np.int8))
    assert main(["validate", "--board", "mps2-an386", "--data", str(data)]) == 1
    np.savez(data, x=np.zeros((2, 8, 8, 1), dtype=np.float64) + 0.5)
    with pytest.raises(TinygenError, match="expects int8"):
        validate_firmware("mps2-an386", DEFAULT_MODEL_PATH, inputs=data)


def test_renode_absent_is_a_clear_error(capsys):
    assert main(["validate", "--board", "nrf52840", "--target", "renode"]) == 1
    assert "Renode is not installed" in capsys.readouterr().err


def test_device_target_over_a_pty_serial_port(tmp_path):
    """--target device through a real serial device file: QEMU's UART on a pseudo-terminal."""
    import re
    import subprocess
    import time

    from tinygen.targets.qemu import qemu_command

    board = get_board("mps2-an386")
    elf = build(board, compile_for(board, DEFAULT_MODEL_PATH), tmp_path / "fw", app="serial").elf
    command = qemu_command(board, elf)
    command[command.index("-serial") + 1] = "pty"
    command.remove("-nographic")
    command[1:1] = ["-display", "none"]
    qemu = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = qemu.stdout.readline()
        pty = re.search(r"(/dev/pts/\d+)", line).group(1)
        time.sleep(0.5)
        out = tmp_path / "device.json"
        assert main(["validate", "--board", "mps2-an386", "--target", "device", "--port", pty,
                     "--samples", "3", "--json", str(out)]) == 0
        report = json.loads(out.read_text())
        assert report["bit_exact"] and report["target"] == "device"
        assert report["timing"]["unit"] == "ticks" and not report["timing"]["exact"] and report["timing"]["min"] > 0
    finally:
        qemu.kill()
        qemu.wait()


def test_per_layer_profile_adds_up_and_repeats(tmp_path):
    reports = [validate_firmware("mps2-an386", DEFAULT_MODEL_PATH, samples=2, plots_dir=tmp_path / f"p{i}")
               for i in range(2)]
    assert reports[0].timing.per_layer == reports[1].timing.per_layer
    timing = reports[0].timing
    assert [row.op for row in timing.per_layer] == [layer.op.op_type for layer in compile_model(DEFAULT_MODEL_PATH).layers]
    total = sum(row.count for row in timing.per_layer)
    assert abs(total - timing.min) <= 0.02 * timing.max, (total, timing)
    assert max(timing.per_layer, key=lambda row: row.count).op == "CONV_2D"
    assert (tmp_path / "p0" / "per_layer.png").stat().st_size > 1000


def test_a_broken_layer_is_named_as_the_first_diverging_one(tmp_path):
    from tinygen.validation.firmware import first_diverging_layer, stream_samples
    from tinygen.validation.reference import TflmReference
    from tinygen.samples import random_samples
    from tinygen.validation.comparison import compare

    model = compile_model(DEFAULT_MODEL_PATH)
    broken_layer = model.layers[1].name          # the second CONV_2D

    def clamp_every_output_to_127(project):
        """The layer's activation minimum raised to the int8 maximum (the portable and the DSP kernels'
        parameters both hold the clamp)."""
        model_c = project / "src" / "model.c"
        text = model_c.read_text()
        clamp_at = text.index(".act_min = ", text.index(f"{broken_layer}_params = {{"))
        end = min(text.index(",", clamp_at), text.index("}", clamp_at))
        model_c.write_text(text[:clamp_at] + ".act_min = 127" + text[end:])

    data = random_samples(model, 3, seed=1)
    reference = TflmReference(DEFAULT_MODEL_PATH, 1, keep_intermediates=True)
    expected = [reference.run(sample) for sample in data]
    with serial_firmware(patched_serial_elf(tmp_path, clamp_every_output_to_127), timeout=10) as (session, client):
        actual, _, _ = stream_samples(client, model, data)
        assert compare(expected, actual).mismatched_samples > 0            # the outputs differ ...
        diverging = first_diverging_layer(client, model, reference, data[0])
        client.exit()
    assert diverging.position == 1 and diverging.layer == broken_layer and diverging.differing_bytes > 0


def test_labels_give_accuracy_and_a_confusion_matrix(tmp_path):
    from tinygen.default_model import test_split
    from tinygen.validation.reference import TflmReference

    x, y = test_split()
    data = tmp_path / "digits.npz"
    np.savez(data, x=x[:30], y=y[:30])
    tf = import_tensorflow()
    float_model = tf.keras.Sequential([tf.keras.layers.Input((8, 8, 1)), tf.keras.layers.Flatten(),
                                       tf.keras.layers.Dense(10, activation="softmax")])
    float_path = tmp_path / "float.keras"
    float_model.save(float_path)
    out = tmp_path / "report.json"
    assert main(["validate", "--board", "mps2-an386", "--data", str(data), "--float-model", str(float_path),
                 "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    accuracy = report["accuracy"]
    reference = TflmReference(DEFAULT_MODEL_PATH, 1)
    tflm_accuracy = np.mean([np.argmax(reference.run([x[i]])[0]) == y[i] for i in range(30)])
    assert accuracy["kind"] == "classification" and accuracy["labels"] == 30
    scores = accuracy["scores"]
    assert scores["device"] == scores["int8_reference"] == tflm_accuracy
    assert 0.0 <= scores["float"] <= 1.0
    matrix = np.array(accuracy["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == 30 and np.trace(matrix) == round(tflm_accuracy * 30)
    assert {p.name for p in (tmp_path / "report_plots").iterdir()} == {"per_layer.png", "confusion.png"}


@needs_shared_models
def test_regression_outputs_get_error_measures(tmp_path):
    path = shared_model("tflm/hello_world_int8.tflite")
    model = compile_model(path)
    quant = model.inputs[0].tensor.quant
    x_float = np.linspace(0.1, 6.0, 25)
    x = np.clip(np.round(x_float / quant.scale[0]) + quant.zero_point[0], -128, 127).astype(np.int8).reshape(25, 1, 1)
    data = tmp_path / "sine.npz"
    np.savez(data, x=x, y=np.sin(x_float).reshape(25, 1, 1))
    report = validate_firmware("mps2-an386", path, inputs=data)
    accuracy = report.accuracy
    assert accuracy.kind == "regression" and report.bit_exact
    assert accuracy.scores["device"] == accuracy.scores["int8_reference"]
    assert accuracy.scores["device"]["rmse"] < 0.2 and accuracy.scores["device"]["cosine_similarity"] > 0.95


def test_renode_script_for_nrf52840(tmp_path):
    from tinygen.targets.renode import renode_script

    script = renode_script(get_board("nrf52840"), tmp_path / "firmware.elf", 3456)
    assert "machine LoadPlatformDescription @platforms/cpus/nrf52840.repl" in script
    assert f"sysbus LoadELF @{tmp_path / 'firmware.elf'}" in script
    assert 'emulation CreateServerSocketTerminal 3456 "tinygen_uart" false' in script
    assert "connector Connect sysbus.uart0 tinygen_uart" in script
    with pytest.raises(TinygenError, match="no Renode platform for mps2-an386"):
        renode_script(get_board("mps2-an386"), tmp_path / "firmware.elf", 3456)


@pytest.mark.skipif(__import__("shutil").which("renode") is None,
                    reason="Renode is not installed here (no registry reachable from this machine ships it)")
def test_default_model_in_renode_is_bit_exact(tmp_path):
    out = tmp_path / "renode.json"
    assert main(["validate", "--board", "nrf52840", "--target", "renode", "--samples", "3", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["bit_exact"]


def test_reset_restarts_the_device(tmp_path):
    with serial_firmware(serial_elf(tmp_path)) as (session, client):
        before = client.info()
        client.reset(20)
        assert client.info() == before
        client.exit()
        assert session.close() == 0


@pytest.mark.parametrize("board", ["lm3s6965evb", "microbit"])
def test_small_boards_validate_the_default_model(tmp_path, board):
    runs = [validate_firmware(board, DEFAULT_MODEL_PATH, samples=20) for _ in range(2)]
    assert all(r.bit_exact for r in runs)
    assert runs[0].timing == runs[1].timing


def test_two_inputs_and_two_outputs_travel_through_the_serial_runtime(tmp_path):
    """The fixed serial runtime reads the inputs and outputs from the generated model_io.c: a model
    with two of each, of different sizes, is bit-exact in QEMU and INFO describes both."""
    path = tmp_path / "two_by_two.tflite"
    tf = import_tensorflow()
    path.write_bytes(tf_models.convert(lambda a, b: (a + b, tf.nn.max_pool2d(a * b, 2, 2, "VALID")),
                                       [(1, 4, 4, 3), (1, 4, 4, 3)]))
    model = compile_model(path)
    assert len(model.inputs) == 2 and len(model.outputs) == 2
    assert model.outputs[0].bytes != model.outputs[1].bytes
    report = validate_firmware("mps2-an386", path, samples=5)
    assert report.bit_exact and report.samples == 5, report.summary()


def test_a_power_trace_is_measured_beside_the_estimate(tmp_path):
    """validate --power-trace: the trace (a synthetic PPK2 export here: QEMU draws no current) is read
    before the run, and the report sets its energy beside the board's estimate."""
    from test_power import Synthetic

    trace = Synthetic(seed=2).ppk2_csv(tmp_path / "ppk2.csv")
    out = tmp_path / "report.json"
    assert main(["validate", "--board", "nrf52840", "--samples", "2", "--power-trace", str(trace),
                 "--supply-v", "3.0", "--json", str(out)]) == 0
    power = json.loads(out.read_text())["power"]
    assert len(power["inferences"]) == 12 and power["window_method"].startswith("marker pin")
    assert power["measured_over_estimate"] == pytest.approx(power["energy_uj"]["mean"] / power["estimate_uj"])
    assert main(["validate", "--board", "mps2-an386", "--power-trace", str(tmp_path / "missing.csv")]) == 1
