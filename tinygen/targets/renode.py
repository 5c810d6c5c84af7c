"""Renode: found on PATH or not. No registry reachable here ships it, so its absence is the usual case."""

import shutil

from ..errors import TinygenError


def require_renode() -> str:
    path = shutil.which("renode")
    if path is None:
        raise TinygenError("Renode is not installed (no `renode` on PATH); install it from renode.io, "
                           "or validate in QEMU with --target qemu")
    return path
