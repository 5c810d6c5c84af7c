"""One way in to a board running tinygen's serial firmware, whatever runs it: `open_session` builds
and starts the firmware in QEMU or Renode, opens a flashed device's port, or acquires the board's
place in a labgrid farm and opens its serial port there, and hands back a DeviceClient ready for
requests. Validation never asks which target it talks to."""

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import serial

from ..boards import Board, get_board
from ..compiler.compile import CompiledModel
from ..errors import TinygenError
from ..firmware.build import BuildResult, build
from .device_client import DeviceClient
from .protocol import ProtocolTimeout
from .labgrid_place import acquired_place
from .qemu import QemuSerialSession
from .renode import RenodeSerialSession, renode_script, require_renode

TARGETS = ("qemu", "renode", "device", "labgrid")
READY_TIMEOUT = 20.0


@dataclass
class Session:
    client: DeviceClient
    board: Board                    # the board that runs the firmware
    built: BuildResult | None       # the firmware built for an emulator; None for a flashed device


def running_board(board: Board, target: str) -> tuple[Board, str | None]:
    """The board that will run the firmware for `target`, and a note when it is not `board` (QEMU
    runs a board it has no model of on the nearest emulated core)."""
    if target != "qemu" or board.emulated:
        return board, None
    nearest = get_board(board.data["emulation"]["nearest"])
    return nearest, (f"{board.id} has no QEMU model: the same generated model ran on {nearest.id} "
                     f"({nearest.core}), the nearest emulated core")


@contextlib.contextmanager
def open_session(board: Board, model: CompiledModel, target: str, port: str | None = None,
                 client_factory: Callable = DeviceClient) -> Iterator[Session]:
    """`board`: the one that runs (running_board); `model` compiled for it. Ends the session cleanly:
    an emulator is told to exit and must exit cleanly."""
    if target not in TARGETS:
        raise TinygenError(f"target '{target}' is not available for firmware validation (one of {', '.join(TARGETS)})")
    if target == "device":
        with _device(board, port, client_factory) as session:
            yield session
        return
    if target == "labgrid":     # `port`: the coordinator's address (default: LG_COORDINATOR)
        with acquired_place(board, port) as url, _device(board, url, client_factory) as session:
            yield session
        return
    if target == "renode":
        require_renode()
        renode_script(board, Path("firmware.elf"), 0)      # the board must have a Renode platform
    with tempfile.TemporaryDirectory(prefix="tinygen-fw-") as work:
        built = build(board, model, Path(work) / board.id, app="serial")
        if target == "renode":
            with RenodeSerialSession(board, built.elf, Path(work)) as emulator:
                yield _ready(Session(client_factory(emulator.port), board, built), emulator.log_text)
            return
        with QemuSerialSession(board, built.elf) as emulator:
            session = _ready(Session(client_factory(emulator.port), board, built), emulator.qemu_log)
            yield session
            session.client.exit()
            exit_code = emulator.close()
            if exit_code != 0:
                raise TinygenError(f"QEMU ended with status {exit_code} after the run: {emulator.qemu_log()}")


def _ready(session: Session, emulator_log: Callable[[], str]) -> Session:
    try:
        session.client.wait_ready(READY_TIMEOUT)
    except ProtocolTimeout as exc:
        raise ProtocolTimeout(f"{exc}\nthe emulator's messages: {emulator_log()}") from None
    return session


@contextlib.contextmanager
def _device(board: Board, port: str | None, client_factory: Callable) -> Iterator[Session]:
    if not port:
        raise TinygenError("--target device needs --port (e.g. /dev/ttyACM0 or COM3)")
    try:
        link = serial.serial_for_url(port, baudrate=board.data["uart"]["baud"], timeout=0.2)
    except serial.SerialException as exc:
        raise TinygenError(f"cannot open {port}: {exc}") from None
    with link:
        link.reset_input_buffer()   # bytes from before this session
        client = client_factory(link)
        client.ping()   # a flashed device is running; one that restarts as the port opens sends READY first
        yield Session(client, board, None)
