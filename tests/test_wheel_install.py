"""A wheel of tinygen ships every package and data file, and tinygen installed from it, with no source
checkout in sight, compiles, validates and builds firmware from an empty folder."""

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from conftest import PROJECT

# Source folder -> its place in the installed package (pyproject.toml maps the top-level data folders).
SHIPPED_FOLDERS = {"tinygen": "tinygen", "templates": "tinygen/templates", "boards": "tinygen/board_files"}


def _source_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file() and "__pycache__" not in path.parts]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a copy of the tree: setuptools reuses a build/ folder, whose stale files could hide a missing one.
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(PROJECT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "firmware_out", "__pycache__", ".pytest_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(work / "dist"), str(source)], check=True, capture_output=True, timeout=300)
    return next((work / "dist").glob("tinygen-*.whl"))


def test_wheel_holds_every_package_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"{place}/{path.relative_to(PROJECT / folder).as_posix()}"
                for folder, place in SHIPPED_FOLDERS.items() for path in _source_files(PROJECT / folder)}
    assert sorted(expected - names) == []
    packages = {name.rsplit("/", 1)[0] for name in names if name.endswith("/__init__.py")}
    source_packages = {path.parent.relative_to(PROJECT).as_posix() for path in (PROJECT / "tinygen").rglob("__init__.py")}
    assert packages == source_packages
    assert {"tinygen/compiler/ops", "tinygen/optimize"} <= packages
    assert all(name.startswith(("tinygen/", "tinygen-")) for name in names)


@pytest.fixture(scope="module")
def installed_tinygen(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment holding the wheel. The third-party dependencies come from this test's
    environment through a .pth line: a path listed there is added as is, so that folder's own .pth files,
    among them a development checkout's editable-install hook, are not run."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--clear", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    # Without PYTHONPATH: a checkout on it (with its .egg-info) would make pip think tinygen is installed.
    clean = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True, capture_output=True, timeout=300, env=clean)
    site_packages = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        check=True, capture_output=True, text=True).stdout.strip())
    dependency_dirs = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (site_packages / "tinygen_test_dependencies.pth").write_text("\n".join(dependency_dirs) + "\n")
    return venv


def _run(args: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["TINYGEN_HOME"] = str(home)
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_installed_wheel_compiles_validates_and_builds_from_an_empty_folder(installed_tinygen, tmp_path):
    folder, home = tmp_path / "empty", tmp_path / "tinygen-home"
    folder.mkdir()
    where = _run([str(installed_tinygen / "bin" / "python"), "-c",
                                     "import tinygen.default_model as m; print(m.__file__); print(m.DEFAULT_MODEL_PATH)"],
                 folder, home)
    assert where.returncode == 0, where.stderr
    package_file, model = where.stdout.split()
    assert Path(package_file).is_relative_to(installed_tinygen), package_file

    tinygen = str(installed_tinygen / "bin" / "tinygen")
    compiled = _run([tinygen, "compile", model, "-o", "out"], folder, home)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    assert {"model.c", "model.h", "weights.c"} <= {path.name for path in (folder / "out").iterdir()}

    validated = _run([tinygen, "validate", "--target", "host", "--model", model, "--samples", "3"],
                     folder, home)
    assert validated.returncode == 0, validated.stdout + validated.stderr

    built = _run([tinygen, "build", "--board", "mps2-an386"], folder, home)
    assert built.returncode == 0, built.stdout + built.stderr
    project = folder / "firmware_out" / "mps2-an386"
    for artifact in ("firmware.elf", "firmware.hex", "size_report.json", "platformio.ini", "src/model.c"):
        assert (project / artifact).is_file(), artifact
