"""A board in a labgrid farm: its place (`tinygen-BOARD`, as `tinygen hil init` names it) acquired
from the coordinator for the session, its NetworkSerialPort as a pyserial URL, and the place released
afterwards."""

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..boards import Board
from ..errors import TinygenError

DEFAULT_COORDINATOR = "127.0.0.1:20408"


def place_name(board: Board) -> str:
    return f"tinygen-{board.id}"


def _client(coordinator: str, place: str, *args: str) -> subprocess.CompletedProcess:
    client = shutil.which("labgrid-client") or str(Path(sys.executable).parent / "labgrid-client")
    try:
        return subprocess.run([client, "-x", coordinator, "-p", place, *args], capture_output=True, text=True,
                              timeout=60)
    except FileNotFoundError:
        raise TinygenError("labgrid-client is not installed (pip install labgrid)") from None
    except subprocess.TimeoutExpired:
        raise TinygenError(f"labgrid-client did not answer within 60 s (coordinator {coordinator})") from None


def serial_url(port) -> str:
    """pyserial's URL for a NetworkSerialPort: RFC 2217 (ser2net) or a raw TCP port."""
    return f"{'rfc2217' if port.protocol == 'rfc2217' else 'socket'}://{port.host}:{port.port}"


@contextlib.contextmanager
def _coordinator_in_environment(coordinator: str) -> Iterator[None]:
    """labgrid's RemotePlace finds the coordinator through LG_COORDINATOR."""
    previous = os.environ.get("LG_COORDINATOR")
    os.environ["LG_COORDINATOR"] = coordinator
    try:
        yield
    finally:
        if previous is None:
            del os.environ["LG_COORDINATOR"]
        else:
            os.environ["LG_COORDINATOR"] = previous


@contextlib.contextmanager
def acquired_place(board: Board, coordinator: str | None) -> Iterator[str]:
    """Acquires the board's place and yields its serial port's URL; releases the place after."""
    from labgrid import Environment

    coordinator = coordinator or os.environ.get("LG_COORDINATOR", DEFAULT_COORDINATOR)
    place = place_name(board)
    acquire = _client(coordinator, place, "acquire")
    if acquire.returncode != 0:
        raise TinygenError(f"cannot acquire the labgrid place {place} from {coordinator}: "
                           f"{(acquire.stderr or acquire.stdout).strip()[-400:]}")
    try:
        with tempfile.TemporaryDirectory(prefix="tinygen-labgrid-") as work:
            config = Path(work) / "env.yaml"
            config.write_text(f"targets:\n  main:\n    resources:\n      RemotePlace:\n        name: {place}\n")
            with _coordinator_in_environment(coordinator):
                try:
                    port = Environment(str(config)).get_target("main").get_resource("NetworkSerialPort")
                except Exception as exc:     # labgrid raises its own types for places without the resource
                    raise TinygenError(f"the labgrid place {place} has no NetworkSerialPort: {exc}") from None
        yield serial_url(port)
    finally:
        _client(coordinator, place, "release")
