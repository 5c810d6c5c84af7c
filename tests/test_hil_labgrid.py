"""A labgrid farm on loopback, for real: labgrid-coordinator and labgrid-exporter on 127.0.0.1, the
exporter offering a QEMU-emulated board's UART (TCP) as a NetworkSerialPort, a place acquired with
labgrid-client, and the pytest module `tinygen hil init` writes run with labgrid's pytest plugin,
validating bit-exact through the acquired place and tripping a budget gate. Every process the test
starts is stopped by it, each wait bounded."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tinygen.boards import get_board
from tinygen.cli import main
from tinygen.default_model import DEFAULT_MODEL_PATH
from tinygen.firmware.build import build, compile_for
from tinygen.targets.qemu import qemu_command
from tinygen.targets.tcp_serial import free_port

BIN = Path(sys.executable).parent
BOARD = "mps2-an386"
PLACE = f"tinygen-{BOARD}"


class Processes:
    """Background processes, each stopped (terminate, then kill) when the test ends."""

    def __init__(self, folder: Path):
        self.folder, self.running = folder, []

    def start(self, name: str, command: list[str], **options) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, **options)
        self.running.append((name, process, log))
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for _, process, log in reversed(self.running):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            log.close()


def wait_for(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def client(coordinator: str, place: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "labgrid-client"), "-x", coordinator, "-p", place, *args],
                          capture_output=True, text=True, timeout=60)


def start_farm(folder: Path, processes: Processes, boards: list[str]) -> str:
    """A coordinator, and an exporter offering each board's UART (QEMU running its serial firmware,
    built into folder/fw-BOARD) with a place tinygen-BOARD matching it. Returns the coordinator."""
    coordinator = f"127.0.0.1:{free_port()}"
    processes.start("coordinator", [str(BIN / "labgrid-coordinator"), "--listen", coordinator],
                    cwd=folder)       # it keeps its places in places.yaml in its working folder
    exported = ""
    for board_id in boards:
        board, uart = get_board(board_id), free_port()
        elf = build(board, compile_for(board, DEFAULT_MODEL_PATH), folder / f"fw-{board_id}", app="serial").elf
        qemu = qemu_command(board, elf)
        qemu[qemu.index("-serial") + 1] = f"tcp:127.0.0.1:{uart},server=on,wait=on"
        qemu.remove("-nographic")
        qemu[1:1] = ["-display", "none"]
        processes.start(f"qemu-{board_id}", qemu)
        exported += (f"{board_id}:\n  NetworkSerialPort:\n    host: 127.0.0.1\n    port: {uart}\n"
                     "    speed: 115200\n    protocol: raw\n")
    (folder / "exporter.yaml").write_text(exported)
    wait_for(lambda: client(coordinator, "any", "places").returncode == 0, "the coordinator")
    processes.start("exporter", [str(BIN / "labgrid-exporter"), "-c", coordinator, "-n", "loopback",
                                 "--hostname", "127.0.0.1", str(folder / "exporter.yaml")])
    wait_for(lambda: "Exporter ready" in processes.log("exporter"), "the exporter")
    for board_id in boards:
        for args in (["create"], ["add-match", f"loopback/{board_id}/*"]):
            run = client(coordinator, f"tinygen-{board_id}", *args)
            assert run.returncode == 0, run.stdout + run.stderr
    return coordinator


@pytest.fixture
def farm(tmp_path):
    """The farm with one board, its place acquired as a CI job would before running pytest."""
    processes = Processes(tmp_path)
    try:
        coordinator = start_farm(tmp_path, processes, [BOARD])
        run = client(coordinator, PLACE, "acquire")
        assert run.returncode == 0, run.stdout + run.stderr
        yield coordinator
        client(coordinator, PLACE, "release")
    finally:
        processes.stop_all()


def hil_pytest(folder: Path, coordinator: str, reports: Path) -> subprocess.CompletedProcess:
    """The generated module run as a CI job would: pytest with labgrid's plugin and the environment."""
    environment = {**os.environ, "LG_COORDINATOR": coordinator, "TINYGEN_HIL_REPORTS": str(reports)}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--lg-env",
                           str(folder / "env.yaml"), str(folder / "test_tinygen_hil.py")],
                          capture_output=True, text=True, timeout=600, cwd=folder.parent, env=environment)


@pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="QEMU is not installed")
def test_validation_through_an_acquired_labgrid_place(farm, tmp_path):
    hil = tmp_path / "hil"
    firmware = str(tmp_path / f"fw-{BOARD}")
    assert main(["hil", "init", "--board", BOARD, "--flash", "none", "--firmware", firmware,
                 "--samples", "4", "--out", str(hil), "--gate=--max-flash=256k", "--gate=--max-ram=64k"]) == 0
    reports = tmp_path / "reports"
    run = hil_pytest(hil, farm, reports)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    report = json.loads((reports / f"report-{BOARD}.json").read_text())
    assert report["bit_exact"] and report["target"] == "device" and report["samples"] == 4
    assert [gate["passed"] for gate in report["gates"]] == [True, True]
    assert (reports / f"report-{BOARD}.html").stat().st_size > 10_000

    # The same place, a budget the firmware cannot meet: the job fails and names it.
    strict = tmp_path / "strict"
    assert main(["hil", "init", "--board", BOARD, "--flash", "none", "--firmware", firmware,
                 "--samples", "2", "--out", str(strict), "--gate=--max-flash=1k"]) == 0
    run = hil_pytest(strict, farm, tmp_path / "strict-reports")
    assert run.returncode == 1 and "tinygen validate exited 4" in run.stdout, run.stdout[-3000:]
    assert "FAIL max-flash:" in run.stdout and "> 1,024 (over by" in run.stdout


def test_an_openocd_board_gets_labgrids_openocd_driver(tmp_path):
    import yaml

    assert main(["hil", "init", "--board", "netduinoplus2", "--out", str(tmp_path / "hil")]) == 0
    env = yaml.safe_load((tmp_path / "hil" / "env.yaml").read_text())
    target = env["targets"]["main"]
    assert target["resources"]["RemotePlace"]["name"] == "tinygen-netduinoplus2"
    openocd = target["drivers"]["OpenOCDDriver"]
    assert openocd["interface_config"] == "stlink.cfg"
    assert openocd["load_commands"] == ["source [find target/stm32f4x.cfg]", "init",
                                        "program {filename} verify reset", "shutdown"]
    module = (tmp_path / "hil" / "test_tinygen_hil.py").read_text()
    compile(module, "test_tinygen_hil.py", "exec")
    assert "FLASH = 'openocd'" in module and "MODEL = None" in module


def test_hil_init_refuses_a_board_tinygen_cannot_flash_and_a_gate_that_is_no_option(tmp_path, capsys):
    assert main(["hil", "init", "--board", "mps2-an386", "--out", str(tmp_path / "a")]) == 1
    assert "cannot be flashed by tinygen" in capsys.readouterr().err
    assert main(["hil", "init", "--board", "netduinoplus2", "--gate", "max-flash=1k", "--out", str(tmp_path / "b")]) == 1
    assert "give a validate option" in capsys.readouterr().err


def test_a_matrix_runs_across_the_farms_places_into_one_report(tmp_path):
    """validate --target labgrid over two boards: each run acquires its board's place, opens its serial
    port there and releases it; one combined JSON and HTML."""
    processes = Processes(tmp_path)
    try:
        coordinator = start_farm(tmp_path, processes, ["mps2-an386", "netduinoplus2"])
        out = tmp_path / "matrix.json"
        code = main(["validate", "--target", "labgrid", "--coordinator", coordinator, "--board", "mps2-an386",
                     "--board", "netduinoplus2", "--samples", "3", "--json", str(out),
                     "--html", str(tmp_path / "matrix.html")])
        combined = json.loads(out.read_text())
        assert code == 0, combined
        assert sorted(run["board"] for run in combined["matrix"]) == ["mps2-an386", "netduinoplus2"]
        assert all(run["bit_exact"] and run["target"] == "labgrid" for run in combined["matrix"]) and combined["passed"]
        assert "<h2>Run 1:" in (tmp_path / "matrix.html").read_text()
        for board in ("mps2-an386", "netduinoplus2"):       # released again
            assert "acquired: None" in client(coordinator, f"tinygen-{board}", "show").stdout
    finally:
        processes.stop_all()


def test_hil_init_writes_the_renode_suite_and_both_ci_workflows(tmp_path):
    import yaml
    from robot.api import get_model

    out = tmp_path / "hil"
    assert main(["hil", "init", "--board", "nrf52840", "--renode", "--ci", "github", "--ci", "gitlab",
                 "--gate=--max-flash=256k", "--out", str(out)]) == 0
    assert {p.name for p in out.rglob("*") if p.is_file()} >= {
        "env.yaml", "test_tinygen_hil.py", "nrf52840.robot", "nrf52840.resc", "github-workflow.yml", "gitlab-ci.yml"}
    suite = get_model(str(out / "renode" / "nrf52840.robot"))
    assert not [error for section in suite.sections for error in getattr(section, "errors", ())]
    github = yaml.safe_load((out / "github-workflow.yml").read_text())
    assert "--max-flash=256k" in json.dumps(github) and "labgrid" in github["jobs"]
    assert "labgrid" in yaml.safe_load((out / "gitlab-ci.yml").read_text())
