"""Finds the data folders shipped with tinygen, both in a source checkout and in an installed wheel."""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped_dir(name: str) -> Path:
    # A wheel maps the top-level folder into the package; a checkout keeps it beside the package.
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"tinygen installation is missing its '{name}' folder")


def templates_dir() -> Path:
    return _shipped_dir("templates")


def kernels_dir() -> Path:
    return templates_dir() / "kernels"
