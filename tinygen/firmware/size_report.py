"""Flash and RAM use of a linked firmware, by section and by part, against the board's capacity."""

import re
import subprocess
from pathlib import Path

from ..boards import Board
from ..errors import TinygenError

FLASH_PARTS = {".tg_weights": "weights", ".text": "code", ".isr_vector": "code", ".ARM.exidx": "code",
               ".rodata": "other", ".data": "other"}


def _run(tool: str, elf: Path) -> str:
    result = subprocess.run([tool, *(["-A", "-d"] if tool.endswith("size") else ["-S"]), str(elf)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise TinygenError(f"{tool} failed on {elf}: {result.stderr.strip()}")
    return result.stdout


def sections(elf: Path) -> dict[str, int]:
    sizes = {}
    for line in _run("arm-none-eabi-size", elf).splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def symbol_size(elf: Path, name: str) -> int:
    for line in _run("arm-none-eabi-nm", elf).splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3] == name:
            return int(parts[1], 16)
    return 0


IO_SYMBOL = re.compile(r"(input|output)\d+|tg_io_rx_buffer")     # the model's I/O buffers, the receive buffer


def io_buffer_bytes(elf: Path) -> int:
    """RAM held by the main program's input/output buffers (and the serial firmware's receive buffer)."""
    total = 0
    for line in _run("arm-none-eabi-nm", elf).splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "bBdD" and IO_SYMBOL.fullmatch(parts[3]):
            total += int(parts[1], 16)
    return total


def size_report(elf: Path, board: Board) -> dict:
    found = sections(elf)
    flash_sections = {name: found.get(name, 0) for name in FLASH_PARTS}
    ram_sections = {name: found.get(name, 0) for name in (".data", ".bss", ".stack")}
    flash_parts = {"weights": 0, "code": 0, "other": 0}
    for name, size in flash_sections.items():
        flash_parts[FLASH_PARTS[name]] += size
    arena = symbol_size(elf, "tg_arena")
    stack = ram_sections[".stack"]
    io = io_buffer_bytes(elf)
    ram_total = sum(ram_sections.values())
    flash_total = sum(flash_sections.values())
    return {
        "board": board.id,
        "flash": {"used": flash_total, "capacity": board.flash_size, "sections": flash_sections, "parts": flash_parts},
        "ram": {"used": ram_total, "capacity": board.ram_size, "sections": ram_sections,
                "parts": {"arena": arena, "stack": stack, "io": io, "other": ram_total - arena - stack - io}},
    }


def format_report(report: dict) -> str:
    lines = []
    for memory in ("flash", "ram"):
        data = report[memory]
        share = 100.0 * data["used"] / data["capacity"]
        parts = ", ".join(f"{name} {size:,}" for name, size in data["parts"].items())
        lines.append(f"{memory.upper():5} {data['used']:>9,} / {data['capacity']:,} bytes ({share:.1f} %): {parts}")
        sections = ", ".join(f"{name} {size:,}" for name, size in data["sections"].items() if size)
        lines.append(f"      sections: {sections}")
    fullest = report["ram"].get("arena_peak")
    if fullest:
        lines.append(f"      arena peak at layer {fullest['position']} ({fullest['layer']}): activations "
                     f"{fullest['activations']:,} + scratch {fullest['scratch']:,} bytes")
    in_place = report["ram"].get("in_place")
    if in_place:
        lines.append(f"      {in_place['layers']} layers write their output over an input: arena "
                     f"{report['arena_bytes']:,} bytes, {in_place['arena_apart']:,} with every output apart")
    sizing = report["ram"].get("stack_sizing")
    if sizing:
        bound = (f" (bound {sizing['bound']:,} + margin {sizing['margin']}, not the board's fixed "
                 f"{sizing['board_fixed']:,})") if "margin" in sizing else ""
        lines.append(f"      stack {sizing['reserved']:,} bytes{bound}: {sizing['method']}")
    return "\n".join(lines)
