"""Firmware for real boards: offline PlatformIO builds, QEMU runs whose outputs equal TFLM's, the
fit check, reproducible projects and the fault path."""

import json
import re
import subprocess

import numpy as np
import pytest

from tinygen.boards import all_boards, get_board
from tinygen.cli import main
from tinygen.compiler import compile_model
from tinygen.default_model import DEFAULT_MODEL_PATH
from tinygen.errors import TinygenError
from tinygen.firmware.build import build, check_fit, compile_for, embedded_input
from tinygen.quiet_tensorflow import import_tensorflow
from tinygen.validation.reference import TflmReference
from tinygen.targets.qemu import EXIT_FAULT, run_elf

import tf_models
from conftest import SHARED_MODELS, shared_model

EMULATED = [board.id for board in all_boards() if board.emulated]
SHARED = ["mlperf_tiny/kws_ref_model.tflite", "mlperf_tiny/pretrainedResnet_quant.tflite",
          "tflm/hello_world_int8.tflite", "tflm/micro_speech_quantized.tflite", "tflm/network_model.tflite",
          "tflm/person_detect.tflite", "tflm/test_conv_model.tflite"]


@pytest.fixture(scope="module", autouse=True)
def fresh_tinygen_home(tmp_path_factory):
    """Every test here starts PlatformIO from an empty core folder, as on a fresh machine."""
    home = tmp_path_factory.mktemp("tinygen-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TINYGEN_HOME", str(home))
        yield home


def test_boards_command_lists_every_board(capsys):
    assert main(["boards"]) == 0
    listing = capsys.readouterr().out
    for board in ("nrf52840", "mps2-an386", "mps2-an500", "mps2-an505", "mps3-an547", "netduinoplus2",
                  "lm3s6965evb", "microbit"):
        assert board in listing
    assert "1024 KB  256 KB" in listing


def test_default_build_for_nrf52840_is_offline_and_fits(tmp_path, fresh_tinygen_home, capsys):
    out = tmp_path / "nrf52840"
    assert main(["build", "--board", "nrf52840", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "default model" in printed and "FLASH" in printed
    for artifact in ("firmware.elf", "firmware.hex", "firmware.bin", "platformio.ini", "size_report.json"):
        assert (out / artifact).is_file(), artifact
    sections = subprocess.run(["arm-none-eabi-readelf", "-S", str(out / "firmware.elf")],
                              capture_output=True, text=True, check=True).stdout
    vector_line = next(line for line in sections.splitlines() if ".isr_vector" in line)
    assert " 00000000 " in vector_line
    report = json.loads((out / "size_report.json").read_text())
    assert report["flash"]["used"] <= 1024 * 1024 and report["ram"]["used"] <= 256 * 1024
    assert report["flash"]["parts"]["weights"] >= report["weights_bytes"]
    assert report["ram"]["parts"]["arena"] == report["arena_bytes"]
    assert (fresh_tinygen_home / "platformio" / "packages" / "tool-scons" / ".piopm").is_file()
    assert "platforms_dir = platforms" in (out / "platformio.ini").read_text()


def _fits(model, board) -> bool:
    try:
        check_fit(model, board)
        return True
    except TinygenError:
        return False


CASES = [(board, "default") for board in EMULATED] + [(board, m) for board in EMULATED for m in SHARED]


@pytest.mark.parametrize("board_id,model_name", CASES)
def test_firmware_output_in_qemu_equals_tflm(tmp_path, board_id, model_name):
    if model_name == "default":
        from tinygen.default_model import DEFAULT_MODEL_PATH as path
    elif model_name.startswith("/"):
        from pathlib import Path

        path = Path(model_name)
    else:
        if not SHARED_MODELS.is_dir():
            pytest.skip(f"reference models are not here ({SHARED_MODELS}): they sit beside the clone in CI only")
        path = shared_model(model_name)
    board = get_board(board_id)
    model = compile_model(path)
    if not _fits(model, board):
        with pytest.raises(TinygenError, match="does not fit"):
            build(board, compile_for(board, path), tmp_path / "fw")
        assert not (tmp_path / "fw").exists()
        return
    result = build(board, compile_for(board, path), tmp_path / "fw")
    run = run_elf(board, result.elf, timeout=300)
    assert run.exit_code == 0, run.uart
    sample = embedded_input(model, None)
    expected = TflmReference(path, len(model.outputs)).run(sample)
    outputs = run.lines("tg-output ")
    assert len(outputs) == len(expected), run.uart
    for line, want in zip(outputs, expected):
        position, hex_bytes = line.split()
        assert bytes.fromhex(hex_bytes) == np.ascontiguousarray(want).tobytes(), (board_id, model_name, position)
    (count, unit), = (line.split() for line in run.lines("tg-counter "))
    assert unit == "ticks" and int(count) > 0


def test_a_model_too_big_for_the_board_is_refused_before_compiling(tmp_path):
    tf = import_tensorflow()
    rng = np.random.default_rng(3)
    wide, narrow = (rng.normal(0, 0.3, shape).astype(np.float32) for shape in ((3, 3, 4, 16), (1, 1, 16, 4)))
    path = tmp_path / "wide_convs.tflite"      # a 36 KiB intermediate tensor: more than 16 KiB of RAM
    path.write_bytes(tf_models.convert(lambda x: tf.nn.conv2d(tf.nn.relu(tf.nn.conv2d(x, wide, 1, "SAME")), narrow, 1, "SAME"),
                                       [(1, 48, 48, 4)]))
    out = tmp_path / "fw"
    with pytest.raises(TinygenError) as error:
        build(get_board("microbit"), compile_for(get_board("microbit"), path), out)
    message = str(error.value)
    assert "does not fit microbit" in message and "16,384" in message and re.search(r"arena \d{2},\d{3}", message)
    assert "smaller model" in message and "pruning" in message
    assert not out.exists()


def conv_pool_fc_softmax() -> bytes:
    """A small classifier: CONV_2D + RELU, MAX_POOL_2D, RESHAPE, FULLY_CONNECTED, SOFTMAX."""
    tf = import_tensorflow()
    rng = np.random.default_rng(7)
    kernel = rng.normal(0, 0.5, (3, 3, 3, 8)).astype(np.float32)
    dense = rng.normal(0, 0.2, (6 * 6 * 8, 10)).astype(np.float32)

    def body(x):
        y = tf.nn.max_pool2d(tf.nn.relu(tf.nn.conv2d(x, kernel, 1, "SAME")), 2, 2, "VALID")
        return tf.nn.softmax(tf.matmul(tf.reshape(y, (1, -1)), dense))

    return tf_models.convert(body, [(1, 12, 12, 3)])


SELF_BUILT = {"conv_pool_fc_softmax": conv_pool_fc_softmax,
              "float_io_conv": lambda: tf_models.float_io_conv((10, 10, 2), 6)}


@pytest.mark.parametrize("board_id", ["mps2-an386", "microbit"])
@pytest.mark.parametrize("name", sorted(SELF_BUILT))
def test_self_built_models_in_qemu_equal_tflm(tmp_path, board_id, name):
    """The firmware path on models the tests make themselves (the shared ones are extra coverage)."""
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(SELF_BUILT[name]())
    test_firmware_output_in_qemu_equals_tflm(tmp_path, board_id, str(path))


def test_two_builds_generate_identical_sources(tmp_path):
    board = get_board("mps2-an386")
    from tinygen.default_model import DEFAULT_MODEL_PATH

    for name in ("a", "b"):
        build(board, compile_for(board, DEFAULT_MODEL_PATH), tmp_path / name)
    def sources(root):
        return {p.relative_to(root): p.read_bytes() for p in root.rglob("*")
                if p.is_file() and p.parts[len(root.parts)] in ("src", "include", "linker", "platforms", "platformio.ini")}
    first, second = sources(tmp_path / "a"), sources(tmp_path / "b")
    assert len(first) > 10 and first == second


def test_instruction_count_is_repeatable(tmp_path):
    board = get_board("mps2-an386")
    from tinygen.default_model import DEFAULT_MODEL_PATH

    elf = build(board, compile_for(board, DEFAULT_MODEL_PATH), tmp_path / "fw").elf
    counts = {run_elf(board, elf).lines("tg-counter ")[0] for _ in range(2)}
    assert len(counts) == 1
    ticks = int(counts.pop().split()[0])
    assert 10_000 < board.instructions_from_ticks(ticks) < 10_000_000


def test_a_faulting_firmware_reports_the_hardfault_and_exits_nonzero(tmp_path):
    board = get_board("mps2-an386")
    from tinygen.default_model import DEFAULT_MODEL_PATH

    out = tmp_path / "fw"
    build(board, compile_for(board, DEFAULT_MODEL_PATH), out)
    main_c = out / "src" / "main.c"
    # An undefined instruction right after start-up: the fault path must take over.
    main_c.write_text(main_c.read_text().replace("    tg_counter_start();", '    __asm__ volatile("udf #0");\n    tg_counter_start();'))
    from tinygen.firmware.build import run_platformio
    run_platformio(out)
    run = run_elf(board, out / ".pio" / "build" / board.id / "firmware.elf")
    assert run.exit_code == EXIT_FAULT, run.uart
    assert "tg-fault: HardFault pc=0x" in run.uart and "tg-done" not in run.uart


def test_the_marker_pin_is_high_exactly_around_the_inference(tmp_path):
    """netduinoplus2's GPIOC is an unimplemented device in QEMU, so -d unimp logs every write to it:
    the marker pin PC6 (board file) is set through BSRR before the counter starts and reset after the
    inference, once each."""
    from tinygen.targets.qemu import qemu_command

    board = get_board("netduinoplus2")
    elf = build(board, compile_for(board, DEFAULT_MODEL_PATH), tmp_path / "fw").elf
    log = tmp_path / "unimp.log"
    run = subprocess.run(qemu_command(board, elf) + ["-d", "unimp", "-D", str(log)], capture_output=True, timeout=120,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 0 and b"tg-done" in run.stdout
    writes = [line for line in log.read_text().splitlines() if "write" in line and ("GPIOC" in line or "RCC" in line)]
    bsrr = [i for i, line in enumerate(writes) if line.startswith("GPIOC") and "offset 0x018" in line]
    assert [writes[i].split("value ")[1].rstrip(")") for i in bsrr] == ["0x00400000", "0x00000040", "0x00400000"]
    timer_start = next(i for i, line in enumerate(writes) if line.startswith("RCC") and "offset 0x040" in line)
    assert bsrr[1] < timer_start < bsrr[2]
