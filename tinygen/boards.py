"""Boards as data: one JSON file per board in boards/. Adding a board with known peripherals is
adding a file; the drivers it names must exist among the firmware templates."""

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from .errors import TinygenError
from .resources import boards_dir, hal_dir
from .text_table import table_lines

# Cores with the Armv7E-M/Armv8-M DSP extension (SMLAD, SXTB16: gcc defines __ARM_FEATURE_DSP for them);
# Cortex-M0/M0+/M3 lack it. The compiler gives their layers the DSP kernel variants (compiler/variants.py).
DSP_CORES = frozenset({"cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"})
REQUIRED = ("name", "mcu", "core", "clock_hz", "flash", "ram", "uart", "counter", "marker", "emulation",
            "flash_method", "power", "stack_bytes")


@dataclass(frozen=True)
class Board:
    id: str
    data: dict

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def core(self) -> str:
        return self.data["core"]

    @property
    def dsp(self) -> bool:
        return self.core in DSP_CORES

    @property
    def flash_origin(self) -> int:
        return int(self.data["flash"]["origin"], 16)

    @property
    def flash_size(self) -> int:
        return self.data["flash"]["size"]

    @property
    def ram_origin(self) -> int:
        return int(self.data["ram"]["origin"], 16)

    @property
    def ram_size(self) -> int:
        return self.data["ram"]["size"]

    @property
    def stack_bytes(self) -> int:
        return self.data["stack_bytes"]

    @property
    def qemu_machine(self) -> str | None:
        return self.data["emulation"].get("qemu_machine")

    @property
    def emulated(self) -> bool:
        return self.qemu_machine is not None

    def instructions_from_ticks(self, ticks: int) -> int:
        """Emulated instructions behind a count of the board's counter: under -icount shift=N each
        instruction lasts 2^N ns of virtual time; each board's shift makes a tick no longer than an
        instruction (shorter than half of one where they differ), so the rounding is exact."""
        nanoseconds_per_tick = 1e9 / self.data["counter"]["hz"]
        return round(ticks * nanoseconds_per_tick / (1 << self.data["emulation"]["icount_shift"]))

    @property
    def machine_flags(self) -> list[str]:
        flags = [f"-mcpu={self.core}", "-mthumb"] + ([f"-mtune={self.data['tune']}"] if "tune" in self.data else [])
        fpu = self.data.get("fpu")
        return flags + ([f"-mfpu={fpu}", "-mfloat-abi=hard"] if fpu else ["-mfloat-abi=soft"])


def _load(path: Path) -> Board:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise TinygenError(f"board file {path} is unreadable: {exc}") from None
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise TinygenError(f"board file {path} lacks {', '.join(missing)}")
    for kind in ("uart", "counter", "marker"):
        driver = data[kind].get("driver", "")
        if not (hal_dir() / f"tg_{kind}_{driver}.c").is_file():
            raise TinygenError(f"board file {path} names {kind} driver '{driver}', which tinygen does not have")
    return Board(path.stem, data)


def all_boards() -> list[Board]:
    return [_load(path) for path in sorted(boards_dir().glob("*.json"))]


@functools.cache
def largest_ram_bytes() -> int:
    """The most RAM any known board has: a model that needs more runs on none of them."""
    return max(board.ram_size for board in all_boards())


def get_board(board_id: str) -> Board:
    path = boards_dir() / f"{board_id}.json"
    if not path.is_file():
        known = ", ".join(b.stem for b in sorted(boards_dir().glob("*.json")))
        raise TinygenError(f"unknown board '{board_id}'; known boards: {known}")
    return _load(path)


def boards_table() -> str:
    rows = [("board", "core", "DSP", "FPU", "flash", "RAM", "clock", "emulated by")]
    for board in all_boards():
        emulation = board.qemu_machine and f"QEMU {board.qemu_machine}" or \
            f"none (nearest: {board.data['emulation'].get('nearest', '-')})"
        rows.append((board.id, board.core, "yes" if board.dsp else "-", board.data.get("fpu") or "-",
                     f"{board.flash_size // 1024} KB",
                     f"{board.ram_size // 1024} KB", f"{board.data['clock_hz'] / 1e6:g} MHz", emulation))
    return "\n".join(table_lines(rows))
