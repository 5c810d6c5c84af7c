"""An emulator's UART on a loopback TCP port, opened with pyserial once the emulator listens."""

import socket
import subprocess
import time
from collections.abc import Callable

import serial
from serial.urlhandler import protocol_socket

from ..errors import TinygenError


class _KeepingSocketPort(protocol_socket.Serial):
    """pyserial's `socket://` port without the input flush its open() ends with: an emulator sends
    from the moment it accepts the connection (QEMU starts the firmware, Renode replays the UART's
    output so far), so a host slow between connecting and that flush lost the firmware's READY."""

    _opening = False

    def open(self):
        self._opening = True
        try:
            super().open()
        finally:
            self._opening = False

    def reset_input_buffer(self):
        if not self._opening:
            super().reset_input_buffer()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def connect(process: subprocess.Popen, port_number: int, timeout: float, emulator: str,
            log_text: Callable[[], str]):
    """pyserial's `socket://` port to the emulator, retried until it listens, exits or times out."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise TinygenError(f"{emulator} exited with status {process.returncode} before the serial "
                               f"connection: {log_text()}")
        try:
            return _KeepingSocketPort(f"socket://127.0.0.1:{port_number}", timeout=0.2)
        except serial.SerialException:
            if time.monotonic() > deadline:
                raise TinygenError(f"{emulator} did not open its serial port within {timeout:.0f} s") from None
            time.sleep(0.05)
