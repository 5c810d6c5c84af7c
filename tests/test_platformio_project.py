"""The generated PlatformIO project describes itself: it carries its development platform and builds with
a standard PlatformIO core (a fresh core folder, no registry) after being moved away from tinygen;
first builds started together on an empty TINYGEN_HOME all succeed."""

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tinygen.boards import get_board
from tinygen.cli import main
from tinygen.compiler import compile_model
from tinygen.default_model import DEFAULT_MODEL_PATH
from tinygen.firmware.build import ARTIFACTS
from tinygen.firmware.project import project_files

# No network at all: no telemetry, no upgrade check; a registry lookup would retry for minutes, so every
# PlatformIO run here is also bounded by a timeout.
OFFLINE = {"PLATFORMIO_SETTING_ENABLE_TELEMETRY": "No", "PLATFORMIO_DISABLE_UPGRADE_CHECK": "true"}


def _pio(args: list[str], core, cwd, **overrides) -> subprocess.CompletedProcess:
    env = {**os.environ, **OFFLINE, "PLATFORMIO_CORE_DIR": str(core), **overrides}
    return subprocess.run([sys.executable, "-m", "platformio", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=180)


def test_offline_project_builds_with_a_fresh_platformio_core_after_moving(tmp_path, monkeypatch):
    home = tmp_path / "tinygen-home"
    monkeypatch.setenv("TINYGEN_HOME", str(home))
    built = tmp_path / "built"
    assert main(["build", "--board", "nrf52840", "--out", str(built)]) == 0
    for path in built.rglob("*"):
        if path.is_file() and ".pio" not in path.parts and path.suffix in (".ini", ".json", ".py"):
            assert str(tmp_path) not in path.read_text(), path
    assert (built / "platforms" / "tinygen-cortexm" / "boards" / "nrf52840.json").is_file()

    # A user's copy of the project, built by their own PlatformIO with a fresh core: once per core, the
    # tool-scons package that tinygen made is linked in, as platformio.ini says; then a plain `pio run`.
    moved = tmp_path / "elsewhere" / "project"
    shutil.copytree(built, moved, ignore=shutil.ignore_patterns(".pio"))
    for artifact in ARTIFACTS:
        (moved / artifact).unlink()
    core = tmp_path / "fresh-core"
    scons = home / "platformio" / "packages" / "tool-scons"
    assert "symlink://$HOME/.cache/tinygen/platformio/packages/tool-scons" in (moved / "platformio.ini").read_text()
    installed = _pio(["pkg", "install", "-g", "--tool", f"symlink://{scons}"], core, tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    run = _pio(["run", "-d", str(moved)], core, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "tinygen-cortexm" in run.stdout
    firmware = moved / ".pio" / "build" / "nrf52840" / "firmware.bin"
    assert firmware.read_bytes() == (built / "firmware.bin").read_bytes()

    without_compiler = _pio(["run", "-d", str(moved)], core, tmp_path, PATH=str(Path(sys.executable).parent))
    assert without_compiler.returncode != 0
    assert "arm-none-eabi-gcc is not on PATH" in without_compiler.stderr + without_compiler.stdout


def test_registry_project_names_the_registry_platform_and_carries_no_platform():
    model = compile_model(DEFAULT_MODEL_PATH, True)
    files = project_files(model, get_board("nrf52840"), None, use_registry=True, app="serial")
    ini = files["platformio.ini"]
    assert "platform = nordicnrf52" in ini and "board = nrf52840_dk" in ini
    assert "platforms_dir" not in ini
    assert not any(name.startswith("platforms/") for name in files)


@pytest.mark.slow
def test_first_builds_started_together_on_an_empty_tinygen_home_all_succeed(tmp_path):
    env = {**os.environ, "TINYGEN_HOME": str(tmp_path / "empty-home")}

    def build(index: int) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tinygen.cli", "build", "--board", "mps2-an386",
                               "--out", str(tmp_path / f"out{index}")], env=env, capture_output=True, text=True,
                              timeout=600)

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(build, range(3)))
    for result in results:
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    for index in range(3):
        assert (tmp_path / f"out{index}" / "firmware.elf").is_file()
