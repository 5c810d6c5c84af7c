"""`tinygen flash`: writes a built firmware to a board. Through pyOCD's Python API where the board file
names a pyOCD target (`flash_method.pyocd`), else, or with `--tool`, with the command the board file
names (openocd, nrfjprog)."""

import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..boards import Board
from ..errors import TinygenError
from . import pyocd_probes

PYOCD = "pyocd"


@dataclass(frozen=True)
class FlashPlan:
    """What `tinygen flash` will do: with which tool, which file, through which probe."""

    board: Board
    tool: str
    image: Path
    probe: str | None
    command: list[str] | None = None    # the external tool's command; None for pyOCD

    @property
    def target(self) -> str:
        return self.board.data["flash_method"]["pyocd"]["target"]

    def describe(self) -> str:
        if self.command is not None:
            return shlex.join(self.command)
        probe = f"the probe matching {self.probe!r}" if self.probe else "the only probe attached"
        return f"pyocd (Python API): target {self.target}, {probe}, file {self.image}"


def flash_tools(board: Board) -> list[str]:
    """The tools that can flash the board, the default first."""
    method = board.data["flash_method"]
    return ([PYOCD] if "pyocd" in method else []) + ([method["command"][0]] if "command" in method else [])


def plan_flash(board: Board, project: Path, tool: str | None = None, probe: str | None = None) -> FlashPlan:
    tools = flash_tools(board)
    if not tools:
        raise TinygenError(f"{board.id} cannot be flashed by tinygen ({board.data['flash_method']['note']})")
    tool = tool or tools[0]
    if tool not in tools:
        raise TinygenError(f"{board.id} is flashed with {' or '.join(tools)}, not {tool}")
    image = project / "firmware.hex"
    if not (project / "firmware.elf").is_file() or not image.is_file():
        raise TinygenError(f"no firmware in {project}: run `tinygen build --board {board.id}` first")
    if tool == PYOCD:
        _check_pyocd_target(board)
        return FlashPlan(board, tool, image, probe)
    return FlashPlan(board, tool, image, probe, _command(board, project, probe))


def _check_pyocd_target(board: Board) -> None:
    target = board.data["flash_method"]["pyocd"]["target"]
    if target not in pyocd_probes.pyocd_targets():
        raise TinygenError(f"board file {board.id}.json names pyOCD target '{target}', "
                           f"which this pyOCD does not know (`pyocd list --targets` lists them)")


def _command(board: Board, project: Path, probe: str | None) -> list[str]:
    method = board.data["flash_method"]
    command = list(method["command"])
    if probe:
        if "probe_arguments" not in method:
            raise TinygenError(f"{command[0]} cannot be given a probe for {board.id} (the board file has no "
                               f"probe_arguments)")
        command[1:1] = method["probe_arguments"]
    return [part.format(elf=project / "firmware.elf", hex=project / "firmware.hex", probe=probe)
            for part in command]


def flash(plan: FlashPlan, timeout: float = 120.0) -> None:
    if plan.command is None:
        probes = pyocd_probes.attached_probes(plan.probe)
        probe = pyocd_probes.choose_probe(probes, plan.probe, plan.board.id, _other_tools(plan.board))
        pyocd_probes.program(probe, plan.target, plan.image)
    else:
        _run_command(plan, timeout)


def _other_tools(board: Board) -> str:
    others = [tool for tool in flash_tools(board) if tool != PYOCD]
    return "".join(f", or flash with {tool}: tinygen flash --board {board.id} --tool {tool}" for tool in others)


def _run_command(plan: FlashPlan, timeout: float) -> None:
    command, note = plan.command, plan.board.data["flash_method"]["note"]
    if shutil.which(command[0]) is None:
        raise TinygenError(f"{command[0]} is not installed; it flashes {plan.board.id} ({note}). "
                           f"Command: {shlex.join(command)}")
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TinygenError(f"{command[0]} did not finish within {timeout:.0f} s") from None
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()[-12:]
        raise TinygenError(f"flashing failed: is the board connected with its debug probe ({note})?\n"
                           f"{shlex.join(command)} exited with {result.returncode}:\n" + "\n".join(output))


def list_probes() -> str:
    """What pyOCD sees attached now, or what it looked for when it sees nothing."""
    probes = pyocd_probes.attached_probes()
    if probes:
        return pyocd_probes.probe_table(probes)
    return f"no debug probe found: {pyocd_probes.what_was_searched()}"
