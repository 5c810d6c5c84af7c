"""PlatformIO without its registry: an isolated core folder, the system's arm-none-eabi toolchain as
a local package, SCons from PyPI as the core's tool-scons, and tinygen's own development platform.
Everything is set up on first use under TINYGEN_HOME (default ~/.cache/tinygen)."""

import json
import os
import shutil
from pathlib import Path

from ..boards import Board, all_boards
from ..errors import TinygenError
from ..resources import templates_dir

SCONS_PACKAGE_VERSION = "4.41101.0"   # what PlatformIO 6.2 asks for: SCons 4.11.1
TOOLCHAIN_TOOLS = ("gcc", "g++", "as", "ld", "ar", "ranlib", "objcopy", "objdump", "size", "nm", "gdb", "strip")


def tinygen_home() -> Path:
    return Path(os.environ.get("TINYGEN_HOME", Path.home() / ".cache" / "tinygen"))


def core_dir() -> Path:
    return tinygen_home() / "platformio"


def platform_dir() -> Path:
    return tinygen_home() / "platform-tinygen"


def toolchain_dir() -> Path:
    return tinygen_home() / "toolchain-gccarmnoneeabi"


def pio_environment() -> dict:
    """The environment for every PlatformIO run tinygen makes: isolated, no telemetry, no update checks."""
    env = dict(os.environ)
    env.update(PLATFORMIO_CORE_DIR=str(core_dir()), PLATFORMIO_SETTING_ENABLE_TELEMETRY="No",
               PLATFORMIO_DISABLE_UPGRADE_CHECK="true", PLATFORMIO_NO_ANSI="true")
    return env


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2) + "\n"
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)


def _install_toolchain() -> None:
    gcc = shutil.which("arm-none-eabi-gcc")
    if gcc is None:
        raise TinygenError("arm-none-eabi-gcc is not installed: run `bash .ci/install` or "
                           "`apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi`")
    bin_dir = toolchain_dir() / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    system_bin = Path(gcc).resolve().parent
    for tool in TOOLCHAIN_TOOLS:
        source = system_bin / f"arm-none-eabi-{tool}"
        link = bin_dir / source.name
        if source.exists() and not link.is_symlink():
            link.symlink_to(source)
    _write_json(toolchain_dir() / "package.json", {
        "name": "toolchain-gccarmnoneeabi", "version": "1.0.0",
        "description": "the system's arm-none-eabi GCC, linked by tinygen"})


def _install_scons() -> None:
    import SCons

    target = core_dir() / "packages" / "tool-scons"
    if (target / ".piopm").is_file():
        return
    staging = target.with_name("tool-scons.partial")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(Path(SCons.__file__).parent, staging / "SCons",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (staging / "scons.py").write_text(
        "# Entry point PlatformIO runs; SCons itself comes from the PyPI package.\n"
        "import os\nimport sys\n\n"
        "sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))\n"
        "import SCons.Script  # noqa: E402\n\nSCons.Script.main()\n")
    _write_json(staging / "package.json", {"name": "tool-scons", "version": SCONS_PACKAGE_VERSION,
                                           "description": f"SCons {SCons.__version__} from PyPI"})
    # PlatformIO trusts a core package only when its install record names owner "platformio".
    _write_json(staging / ".piopm", {"type": "tool", "name": "tool-scons", "version": SCONS_PACKAGE_VERSION,
                                     "spec": {"owner": "platformio", "id": None, "name": "tool-scons",
                                              "requirements": None, "uri": None}})
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def _platform_board(board: Board) -> dict:
    return {
        "name": board.name, "vendor": board.data.get("vendor", board.data["mcu"]), "url": "",
        "frameworks": [],
        "build": {"cpu": board.core, "mcu": board.data["mcu"].lower(), "f_cpu": f"{board.data['clock_hz']}L",
                  "machine_flags": board.machine_flags},
        "upload": {"maximum_size": board.flash_size, "maximum_ram_size": board.ram_size,
                   "protocol": board.data["flash_method"].get("pio_upload_protocol", "custom")},
    }


def _install_platform() -> None:
    source = templates_dir() / "platformio"
    for relative in ("platform.json", "builder/main.py"):
        target = platform_dir() / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        text = (source / relative).read_text()
        if not target.is_file() or target.read_text() != text:
            target.write_text(text)
    for board in all_boards():
        _write_json(platform_dir() / "boards" / f"{board.id}.json", _platform_board(board))


def prepare() -> None:
    """Makes the offline PlatformIO set-up complete; cheap when it already is."""
    _install_toolchain()
    _install_scons()
    _install_platform()
