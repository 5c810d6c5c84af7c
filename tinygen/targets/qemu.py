"""Runs a firmware ELF in QEMU with deterministic instruction counting and reads its UART."""

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..boards import Board
from ..errors import TinygenError

EXIT_FAULT = 3


@dataclass
class QemuRun:
    exit_code: int
    uart: str

    def lines(self, prefix: str) -> list[str]:
        return [line[len(prefix):].strip() for line in self.uart.splitlines() if line.startswith(prefix)]


def qemu_command(board: Board, elf: Path) -> list[str]:
    if not board.emulated:
        raise TinygenError(f"board {board.id} has no QEMU model (nearest emulated core: "
                           f"{board.data['emulation'].get('nearest')})")
    qemu = shutil.which("qemu-system-arm")
    if qemu is None:
        raise TinygenError("qemu-system-arm is not installed: run `bash .ci/install` or `apt-get install qemu-system-arm`")
    return [qemu, "-M", board.qemu_machine, "-nographic", "-monitor", "none", "-serial", "stdio",
            "-semihosting-config", "enable=on,target=native",
            "-icount", f"shift={board.data['emulation']['icount_shift']}", "-kernel", str(elf)]


def run_elf(board: Board, elf: Path, timeout: float = 120.0) -> QemuRun:
    """Runs until the firmware exits through semihosting; a hang past `timeout` is an error."""
    try:
        result = subprocess.run(qemu_command(board, elf), capture_output=True, timeout=timeout,
                                stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        seen = (exc.stdout or b"").decode(errors="replace")[-500:]
        raise TinygenError(f"QEMU ({board.qemu_machine}) did not finish within {timeout:.0f} s; "
                           f"last UART output:\n{seen}") from None
    return QemuRun(result.returncode, result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace"))
