"""tinygen's PlatformIO development platform, carried inside every offline project: platform.json, the
SCons builder and the board's PlatformIO board file under platforms/<name>/. The generated
platformio.ini points `platforms_dir` there and names the platform, so any PlatformIO core finds it
without a registry and the project can be moved or copied."""

import json

from ..boards import Board
from ..resources import templates_dir

PLATFORMS_DIR = "platforms"


def _source(relative: str) -> str:
    return (templates_dir() / "platformio" / relative).read_text()


def platform_name() -> str:
    return json.loads(_source("platform.json"))["name"]


def _board_file(board: Board) -> dict:
    return {
        "name": board.name, "vendor": board.data.get("vendor", board.data["mcu"]), "url": "",
        "frameworks": [],
        "build": {"cpu": board.core, "mcu": board.data["mcu"].lower(), "f_cpu": f"{board.data['clock_hz']}L",
                  "machine_flags": board.machine_flags},
        "upload": {"maximum_size": board.flash_size, "maximum_ram_size": board.ram_size,
                   "protocol": board.data["flash_method"].get("pio_upload_protocol", "custom")},
    }


def platform_files(board: Board) -> dict[str, str]:
    """Relative path in the project -> contents of the platform, with the one board the project is for."""
    root = f"{PLATFORMS_DIR}/{platform_name()}"
    return {f"{root}/platform.json": _source("platform.json"),
            f"{root}/builder/main.py": _source("builder/main.py"),
            f"{root}/boards/{board.id}.json": json.dumps(_board_file(board), indent=2) + "\n"}
