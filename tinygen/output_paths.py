"""Where tinygen may write. An output folder is replaced only when tinygen generated it (its manifest
lists every file with a hash, so a file the user added or edited keeps the folder safe), never when it
holds the input, and always whole: new content is built beside it and swapped in at the end, so a
failed step leaves the previous output as it was. Single output files (--json) are checked before the
long work starts."""

import contextlib
import hashlib
import itertools
import json
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from . import __version__
from .errors import TinygenError

MANIFEST = ".tinygen-output.json"
REGENERABLE = (".pio",)   # PlatformIO's build cache: rebuilt from the sources, never the user's work


class OutputPathError(TinygenError):
    """An output path tinygen must not or cannot write."""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _owned_files(folder: Path) -> Iterator[Path]:
    """Every file under `folder` that a manifest must account for."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if relative.parts[0] in REGENERABLE or relative.as_posix() == MANIFEST or path.is_dir():
            continue
        yield relative


def _write_manifest(folder: Path, kind: str) -> None:
    files = {relative.as_posix(): _digest(folder / relative) for relative in _owned_files(folder)}
    manifest = {"generator": "tinygen", "version": __version__, "kind": kind, "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def _foreign_files(folder: Path) -> list[str]:
    """Files in a folder that tinygen did not write as they are now. Without a manifest, the folder's
    own entries: a user's folder (a home directory, say) is never walked."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        written = manifest["files"] if manifest.get("generator") == "tinygen" else None
    except (OSError, ValueError, KeyError, AttributeError):
        written = None
    if not isinstance(written, dict):
        return sorted(entry.name for entry in itertools.islice(os.scandir(folder), 6))
    return [relative.as_posix() for relative in _owned_files(folder)
            if written.get(relative.as_posix()) != _digest(folder / relative)]


def _is_inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_output_folder(out_dir: Path, inputs: Iterable[Path] = ()) -> Path:
    """The resolved folder if tinygen may (re)create it; otherwise a clear error naming why."""
    target = Path(out_dir).expanduser().resolve()
    if target.parent == target:
        raise OutputPathError(f"will not write the output to the file system root {target}")
    for source in inputs:
        source = Path(source).expanduser().resolve()
        if _is_inside(source, target) or _is_inside(target, source):
            raise OutputPathError(f"the output folder {out_dir} would overwrite the input {source}: "
                                  "choose another output folder")
    if target.exists() or target.is_symlink():
        if not target.is_dir() or target.is_symlink():
            raise OutputPathError(f"{out_dir} exists and is not a folder: tinygen writes a folder there and "
                                  "never replaces a file; choose another output folder")
        foreign = _foreign_files(target)
        if foreign:
            shown = ", ".join(foreign[:5]) + (" and more" if len(foreign) > 5 else "")
            raise OutputPathError(
                f"{out_dir} holds files that tinygen did not write or that changed since ({shown}): tinygen "
                "only replaces a folder it generated itself; choose another output folder, or move those files away")
    _check_can_create(target)
    return target


def _check_can_create(target: Path) -> None:
    existing = target.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputPathError(f"cannot create {target}: {existing} is not a folder")
    _probe_writable(existing)


def _probe_writable(folder: Path) -> None:
    """Creates and removes a file: os.access says yes to root even where writing fails."""
    probe = folder / f".tinygen-probe-{secrets.token_hex(4)}"
    try:
        probe.touch(exist_ok=False)
        probe.unlink()
    except OSError as exc:
        raise OutputPathError(f"cannot write in {folder}: {exc.strerror or exc}") from None


def _fresh_folder(parent: Path, prefix: str) -> Path:
    """A new folder with the umask's permissions (tempfile's are private, 0700)."""
    while True:
        path = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue


@contextlib.contextmanager
def staged_output_folder(out_dir: Path, kind: str, inputs: Iterable[Path] = ()) -> Iterator[Path]:
    """Yields an empty staging folder beside `out_dir`; when the block succeeds, it becomes `out_dir`
    (marked as tinygen's); when it fails, it is removed and `out_dir` stays as it was."""
    inputs = list(inputs)
    target = check_output_folder(out_dir, inputs)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = _fresh_folder(target.parent, f".{target.name}.tinygen-new-")
    except OSError as exc:
        raise OutputPathError(f"cannot create the output folder {out_dir}: {exc.strerror or exc}") from None
    try:
        yield staging
        _write_manifest(staging, kind)
        check_output_folder(out_dir, inputs)     # nothing of the user's appeared there meanwhile
        _swap_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_into_place(staging: Path, target: Path) -> None:
    if not target.exists():
        os.replace(staging, target)
        return
    retired = target.parent / f".{target.name}.tinygen-old-{secrets.token_hex(4)}"
    os.replace(target, retired)
    try:
        os.replace(staging, target)
    except OSError:
        os.replace(retired, target)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def check_output_file(path: Path, what: str) -> Path:
    """Checks, before long work, that a report file can be written at `path`."""
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"{what} {path} is a folder: give a file name, e.g. {Path(path) / 'report.json'}")
    if not path.parent.is_dir():
        raise OutputPathError(f"{what} {path}: the folder {path.parent} does not exist")
    _probe_writable(path.parent)
    return path


def check_plots_folder(folder: Path) -> Path:
    """Creates the plots folder now, so an unwritable one fails before the run, not after it."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(f"cannot create the plots folder {folder}: {exc.strerror or exc}") from None
    _probe_writable(Path(folder))
    return Path(folder)


def write_file_atomically(path: Path, data: bytes) -> None:
    """Writes beside `path`, then renames over it, so a reader never sees half a file."""
    path = Path(path)
    staging = path.parent / f".{path.name}.tinygen-new-{secrets.token_hex(4)}"
    try:
        staging.write_bytes(data)
        os.replace(staging, path)
    except OSError as exc:
        staging.unlink(missing_ok=True)
        raise OutputPathError(f"cannot write {path}: {exc.strerror or exc}") from None
