"""Renode: a script per board, run when `renode` is on PATH. No registry reachable here ships
Renode, so its absence is the usual case and is reported plainly."""

import shutil
import subprocess
import time
from pathlib import Path

import serial

from .. import __version__
from ..boards import Board
from ..compiler.codegen import environment
from ..errors import TinygenError
from .qemu import free_port


def require_renode() -> str:
    path = shutil.which("renode")
    if path is None:
        raise TinygenError("Renode is not installed (no `renode` on PATH); install it from renode.io, "
                           "or validate in QEMU with --target qemu")
    return path


def renode_script(board: Board, elf: Path, port: int) -> str:
    settings = board.data["emulation"].get("renode")
    if not settings:
        raise TinygenError(f"tinygen knows no Renode platform for {board.id}")
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
        deadline = time.monotonic() + self.connect_timeout
        while self.port is None:
            if self.process.poll() is not None:
                raise TinygenError(f"Renode exited with status {self.process.returncode}; see {self.log.name}")
            try:
                self.port = serial.serial_for_url(f"socket://127.0.0.1:{port_number}", timeout=0.2)
            except serial.SerialException:
                if time.monotonic() > deadline:
                    self.__exit__()
                    raise TinygenError(f"Renode did not open its serial port within {self.connect_timeout:.0f} s")
                time.sleep(0.2)
        return self

    def __exit__(self, *exc_info):
        if self.port is not None:
            self.port.close()
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()
