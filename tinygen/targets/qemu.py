"""Runs a firmware ELF in QEMU with deterministic instruction counting and reads its UART."""

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..boards import Board
from ..errors import TinygenError
from ..install_hints import missing_system_tool
from .tcp_serial import connect, free_port

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
        raise missing_system_tool("qemu-system-arm", "qemu-system-arm")
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


class QemuSerialSession:
    """QEMU with the board's UART on a loopback TCP port, opened with pyserial (`socket://`).

    QEMU waits for the connection before it starts the firmware and the port keeps what arrives while
    it opens (tcp_serial.connect), so no output is lost. Leaving the `with` block waits a bounded
    time for QEMU to exit, then kills it."""

    def __init__(self, board: Board, elf: Path, connect_timeout: float = 20.0):
        self.board = board
        self.elf = elf
        self.connect_timeout = connect_timeout
        self.process: subprocess.Popen | None = None
        self.port = None
        self.exit_code: int | None = None

    def __enter__(self):
        port_number = free_port()
        command = qemu_command(self.board, self.elf)
        serial_at = command.index("-serial")
        command[serial_at + 1] = f"tcp:127.0.0.1:{port_number},server=on,wait=on"
        command.remove("-nographic")
        command[1:1] = ["-display", "none"]
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        try:
            self.port = connect(self.process, port_number, self.connect_timeout, "QEMU", self.qemu_log)
        except TinygenError:
            self.__exit__()
            raise
        return self

    def qemu_log(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace").strip()[-800:] or "(no output)"

    def close(self, wait: float = 5.0) -> int | None:
        if self.port is not None:
            self.port.close()
            self.port = None
        if self.process is not None and self.exit_code is None:
            try:
                self.exit_code = self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                self.exit_code = None
        return self.exit_code

    def __exit__(self, *exc_info):
        self.close()
        self.log.close()
