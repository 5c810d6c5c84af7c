"""Finds the data folders shipped with tinygen, both in a source checkout and in an installed wheel."""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped_dir(name: str, name_in_wheel: str) -> Path:
    # A wheel maps the top-level folder into the package; a checkout keeps it beside the package.
    for candidate in (_PACKAGE_DIR / name_in_wheel, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"tinygen installation is missing its '{name}' folder")


def templates_dir() -> Path:
    return _shipped_dir("templates", "templates")


def kernels_dir() -> Path:
    return templates_dir() / "kernels"


def boards_dir() -> Path:
    return _shipped_dir("boards", "board_files")   # not "boards": that is the module boards.py


def hal_dir() -> Path:
    return templates_dir() / "hal"


def runtime_dir() -> Path:
    return templates_dir() / "runtime"
