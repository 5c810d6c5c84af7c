"""The PlatformIO core tinygen builds with, without PlatformIO's registry: an isolated core folder under
TINYGEN_HOME (default ~/.cache/tinygen) whose one core package, tool-scons, is SCons from PyPI. The
development platform travels inside each generated project (dev_platform.py) and the compiler is
arm-none-eabi-gcc from PATH, so nothing else is set up here."""

import contextlib
import json
import os
import shutil
from pathlib import Path

from ..install_hints import missing_python_package, missing_system_tool

SCONS_PACKAGE_VERSION = "4.41101.0"   # what PlatformIO 6.2 asks for: SCons 4.11.1


def tinygen_home() -> Path:
    return Path(os.environ.get("TINYGEN_HOME", Path.home() / ".cache" / "tinygen"))


def core_dir() -> Path:
    return tinygen_home() / "platformio"


def scons_package_dir() -> Path:
    return core_dir() / "packages" / "tool-scons"


def pio_environment() -> dict:
    """The environment for every PlatformIO run tinygen makes: isolated, no telemetry, no update checks."""
    env = dict(os.environ)
    env.update(PLATFORMIO_CORE_DIR=str(core_dir()), PLATFORMIO_SETTING_ENABLE_TELEMETRY="No",
               PLATFORMIO_DISABLE_UPGRADE_CHECK="true", PLATFORMIO_NO_ANSI="true")
    # It would override the project's platforms_dir, and PlatformIO would look for the platform in its registry.
    env.pop("PLATFORMIO_PLATFORMS_DIR", None)
    return env


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n")


def _check_toolchain() -> None:
    if shutil.which("arm-none-eabi-gcc") is None:
        raise missing_system_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi libnewlib-arm-none-eabi")


def _install_scons() -> None:
    try:
        import SCons
    except ImportError:
        raise missing_python_package("scons") from None

    target = scons_package_dir()
    if (target / ".piopm").is_file():
        return
    # Built aside and renamed into place, so a half-copied package is never taken for an installed one.
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


@contextlib.contextmanager
def _exclusive(lock_file: Path):
    """Holds an exclusive lock on `lock_file` (created if needed) for the duration of the block; the
    operating system drops it when the file is closed, also when the process dies."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a+b") as handle:
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def prepare() -> None:
    """Makes tinygen's PlatformIO core complete; cheap when it already is. Several builds may start at
    once on an empty TINYGEN_HOME: one sets up, the others wait for it."""
    _check_toolchain()
    with _exclusive(tinygen_home() / "setup.lock"):
        _install_scons()
