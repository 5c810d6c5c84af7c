"""Renode: a script per board, run when `renode` is on PATH. No registry reachable here ships
Renode, so its absence is the usual case and is reported plainly."""

import shutil
import subprocess
from pathlib import Path

from .. import __version__
from ..boards import Board, all_boards
from ..compiler.codegen import environment
from ..errors import TinygenError
from .tcp_serial import connect, free_port


def require_renode() -> str:
    path = shutil.which("renode")
    if path is None:
        raise TinygenError("Renode is not installed (no `renode` on PATH); install it from renode.io, "
                           "or validate in QEMU with --target qemu")
    return path


def renode_settings(board: Board) -> dict:
    """The board's Renode platform (.repl) and UART, from its board file's emulation.renode."""
    settings = board.data["emulation"].get("renode")
    if not settings:
        raise TinygenError(f"tinygen knows no Renode platform for {board.id} (its board file has no "
                           "emulation.renode): boards with one: " + ", ".join(renode_board_ids()))
    return settings


def renode_board_ids() -> list[str]:
    return [board.id for board in all_boards() if board.data["emulation"].get("renode")]


def renode_script(board: Board, elf: Path, port: int) -> str:
    settings = renode_settings(board)
    return environment().get_template("renode/validate.resc.j2").render(
        version=__version__, board=board, platform=settings["platform"], uart=settings["uart"],
        elf=elf.resolve(), port=port)


class RenodeSerialSession:
    """Renode running the firmware with its UART on a loopback TCP port, opened with pyserial."""

    def __init__(self, board: Board, elf: Path, work_dir: Path, connect_timeout: float = 60.0):
        self.board, self.elf, self.work_dir, self.connect_timeout = board, elf, work_dir, connect_timeout
        self.process = None
        self.port = None

    def __enter__(self):
        renode = require_renode()
        port_number = free_port()
        script = self.work_dir / "validate.resc"
        script.write_text(renode_script(self.board, self.elf, port_number))
        self.log = open(self.work_dir / "renode.log", "wb")
        self.process = subprocess.Popen([renode, "--disable-xwt", "--console", str(script)],
                                        stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        try:
            self.port = connect(self.process, port_number, self.connect_timeout, "Renode", self.log_text)
        except TinygenError:
            self.__exit__()
            raise
        return self

    def log_text(self) -> str:
        return f"see {self.log.name}"

    def __exit__(self, *exc_info):
        if self.port is not None:
            self.port.close()
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()
