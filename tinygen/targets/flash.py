"""`tinygen flash`: writes a built firmware to a board with the tool its board file names."""

import shlex
import shutil
import subprocess
from pathlib import Path

from ..boards import Board
from ..errors import TinygenError


def flash_command(board: Board, project: Path) -> list[str]:
    method = board.data["flash_method"]
    if "command" not in method:
        raise TinygenError(f"{board.id} cannot be flashed by tinygen ({method.get('note', method['tool'])})")
    elf, hex_file = project / "firmware.elf", project / "firmware.hex"
    if not elf.is_file():
        raise TinygenError(f"no firmware in {project}: run `tinygen build --board {board.id}` first")
    return [part.format(elf=elf, hex=hex_file) for part in method["command"]]


def flash(board: Board, project: Path, timeout: float = 120.0) -> None:
    command = flash_command(board, project)
    if shutil.which(command[0]) is None:
        raise TinygenError(f"{command[0]} is not installed; it flashes {board.id} "
                           f"({board.data['flash_method'].get('note', '')}). Command: {shlex.join(command)}")
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TinygenError(f"{command[0]} did not finish within {timeout:.0f} s") from None
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()[-12:]
        raise TinygenError(f"flashing failed: is the board connected with its debug probe?\n"
                           f"{shlex.join(command)} exited with {result.returncode}:\n" + "\n".join(output))
