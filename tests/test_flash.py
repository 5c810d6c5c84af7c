"""`tinygen flash`: pyOCD's Python API where the board file names a pyOCD target, the board file's
command otherwise; what each board would run; clear failures with no probe, several probes or no tool.
No probe is attached on the machine these tests were written on: the pyOCD tests that need none skip
when pyOCD sees one, so that they never write to a real board."""

import json
import shutil
from types import SimpleNamespace

import pytest

from tinygen.boards import Board, all_boards, get_board
from tinygen.cli import main
from tinygen.errors import TinygenError
from tinygen.targets import pyocd_probes
from tinygen.targets.flash import flash_tools, plan_flash

NRFJPROG = "nrfjprog -f NRF52 --program {d}/firmware.hex --chiperase --verify --reset"
DRY_RUNS = {
    "nrf52840": "pyocd (Python API): target nrf52840, the only probe attached, file {d}/firmware.hex",
    "microbit": "pyocd (Python API): target nrf51, the only probe attached, file {d}/firmware.hex",
    "netduinoplus2": "openocd -f interface/stlink.cfg -f target/stm32f4x.cfg -c 'program {d}/firmware.elf "
                     "verify reset exit'",
    "lm3s6965evb": "openocd -f board/ek-lm3s6965.cfg -c 'program {d}/firmware.elf verify reset exit'",
}
FPGA_IMAGES = ("mps2-an386", "mps2-an500", "mps2-an505", "mps3-an547")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("fw")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TINYGEN_HOME", str(tmp_path_factory.mktemp("home")))
        projects = {}
        for board in ("nrf52840", "netduinoplus2"):
            projects[board] = out / board
            assert main(["build", "--board", board, "--out", str(projects[board])]) == 0
    return projects


@pytest.fixture
def project(tmp_path):
    """A folder holding what `tinygen build` leaves for flashing (the files' contents do not matter
    before a tool is started)."""
    for name in ("firmware.elf", "firmware.hex"):
        (tmp_path / name).write_bytes(b"")
    return tmp_path


@pytest.fixture
def no_probe_attached():
    if pyocd_probes.attached_probes():
        pytest.skip("a debug probe is attached: this test would flash it")


def flash_cli(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["flash", *args])
    captured = capsys.readouterr()
    return code, captured.out.strip(), captured.err


@pytest.mark.parametrize("board", sorted(DRY_RUNS))
def test_dry_run_prints_the_tool_target_probe_choice_and_file(board, project, capsys):
    code, out, _ = flash_cli(capsys, "--board", board, "--dir", str(project), "--dry-run")
    assert (code, out) == (0, DRY_RUNS[board].format(d=project))


def test_dry_run_names_the_chosen_probe_for_pyocd_and_passes_it_to_the_commands(project, capsys):
    code, out, _ = flash_cli(capsys, "--board", "nrf52840", "--dir", str(project), "--probe", "0240", "--dry-run")
    assert (code, out) == (0, f"pyocd (Python API): target nrf52840, the probe matching '0240', "
                              f"file {project}/firmware.hex")
    code, out, _ = flash_cli(capsys, "--board", "nrf52840", "--dir", str(project), "--tool", "nrfjprog",
                             "--probe", "683", "--dry-run")
    assert (code, out) == (0, NRFJPROG.format(d=project).replace("nrfjprog ", "nrfjprog --snr 683 ", 1))
    code, out, _ = flash_cli(capsys, "--board", "netduinoplus2", "--dir", str(project), "--probe", "066D",
                             "--dry-run")
    assert out.startswith("openocd -c 'adapter serial 066D' -f interface/stlink.cfg ")


def test_nrfjprog_stays_the_nrf52840s_alternative(built, capsys):
    code, out, _ = flash_cli(capsys, "--board", "nrf52840", "--dir", str(built["nrf52840"]), "--tool", "nrfjprog",
                             "--dry-run")
    assert (code, out) == (0, NRFJPROG.format(d=built["nrf52840"]))
    code, _, error = flash_cli(capsys, "--board", "nrf52840", "--dir", str(built["nrf52840"]), "--tool", "openocd")
    assert code == 1 and "nrf52840 is flashed with pyocd or nrfjprog, not openocd" in error


def test_without_a_probe_pyocd_names_what_it_looked_for(built, no_probe_attached, capsys):
    code, _, error = flash_cli(capsys, "--board", "nrf52840", "--dir", str(built["nrf52840"]))
    assert code == 1
    assert "no debug probe found for nrf52840: pyOCD looked for CMSIS-DAP v1 (HID) and v2 (USB bulk)" in error
    assert "ST-Link V2/V3" in error and "SEGGER J-Link probes (through pylink)" in error
    assert "or flash with nrfjprog: tinygen flash --board nrf52840 --tool nrfjprog" in error


def test_a_probe_that_is_not_attached_is_named(project, no_probe_attached, capsys):
    code, _, error = flash_cli(capsys, "--board", "microbit", "--dir", str(project), "--probe", "NOSUCHPROBE")
    assert code == 1
    assert "no debug probe matching --probe 'NOSUCHPROBE' found for microbit: pyOCD looked for" in error
    assert "--tool" not in error     # pyOCD is the micro:bit's only tool


def test_list_probes_says_what_pyocd_sees(capsys):
    code, out, _ = flash_cli(capsys, "--list-probes")
    assert code == 0
    if pyocd_probes.attached_probes():
        assert out.splitlines()[0].split() == ["unique", "id", "vendor", "product"]
    else:
        assert out.startswith("no debug probe found: pyOCD looked for CMSIS-DAP")


def test_several_probes_are_listed_and_one_must_be_chosen():
    probes = [SimpleNamespace(unique_id="0240000034544e45", vendor_name="ARM", product_name="DAPLink CMSIS-DAP"),
              SimpleNamespace(unique_id="066DFF485550", vendor_name="STMicroelectronics", product_name="STM32 STLink")]
    with pytest.raises(TinygenError) as error:
        pyocd_probes.choose_probe(probes, None, "nrf52840")
    lines = str(error.value).splitlines()
    assert lines[0] == "2 debug probes are attached; choose one with --probe UID (any unique part of its id):"
    assert lines[1:] == ["  unique id         vendor              product",
                         "  0240000034544e45  ARM                 DAPLink CMSIS-DAP",
                         "  066DFF485550      STMicroelectronics  STM32 STLink"]
    assert pyocd_probes.choose_probe(probes[1:], "066D", "nrf52840") is probes[1]


def test_openocd_without_a_probe_fails_clearly(built, capsys):
    code, _, error = flash_cli(capsys, "--board", "netduinoplus2", "--dir", str(built["netduinoplus2"]),
                               "--probe", "NOSUCHPROBE")
    assert code == 1
    if shutil.which("openocd"):
        assert "is the board connected with its debug probe (ST-Link over SWD" in error
        assert "openocd -c 'adapter serial NOSUCHPROBE' -f interface/stlink.cfg" in error
        assert "Error: open failed" in error    # openocd understood the command and found no ST-Link
    else:
        assert "openocd is not installed" in error


def test_fpga_boards_and_unbuilt_projects_are_refused(tmp_path, capsys):
    assert main(["flash", "--board", "mps2-an386", "--dir", str(tmp_path), "--dry-run"]) == 1
    assert "cannot be flashed" in capsys.readouterr().err
    assert main(["flash", "--board", "nrf52840", "--dir", str(tmp_path), "--dry-run"]) == 1
    assert "no firmware" in capsys.readouterr().err
    assert main(["flash", "--dir", str(tmp_path)]) == 1
    assert "needs --board BOARD (or --list-probes)" in capsys.readouterr().err


def test_every_board_file_names_tools_tinygen_can_use():
    targets = pyocd_probes.pyocd_targets()
    for board in all_boards():
        method = board.data["flash_method"]
        assert ("pyocd" in method) == (board.id in ("nrf52840", "microbit")), board.id
        if "pyocd" in method:
            assert method["pyocd"]["target"] in targets, board.id
        if "command" in method:
            assert "probe_arguments" in method and "{probe}" in "".join(method["probe_arguments"]), board.id
        assert flash_tools(board) or board.id in FPGA_IMAGES, board.id
    assert sorted([*DRY_RUNS, *FPGA_IMAGES]) == sorted(board.id for board in all_boards())


def test_a_pyocd_target_pyocd_does_not_know_is_refused(project):
    data = json.loads(json.dumps(get_board("microbit").data))
    data["flash_method"]["pyocd"]["target"] = "nrf51_typo"
    with pytest.raises(TinygenError, match="names pyOCD target 'nrf51_typo', which this pyOCD does not know"):
        plan_flash(Board("microbit", data), project)
