"""Flashing through pyOCD's Python API: the probes pyOCD sees, the choice of one, and programming a
file into the board's flash. pyOCD is imported here only, and only when flashing asks for it."""

from importlib.metadata import entry_points
from pathlib import Path

from ..errors import TinygenError
from ..text_table import table_lines

# pyOCD's probe plugins by what a user would call the probe; a plugin not named here is called by its
# name. "remote" (a pyOCD probe server) is only found when named, so it is left out.
PROBE_KINDS = {"cmsisdap": "CMSIS-DAP v1 (HID) and v2 (USB bulk) probes such as DAPLink",
               "stlink": "ST-Link V2/V3", "picoprobe": "Raspberry Pi Pico probes",
               "jlink": "SEGGER J-Link probes (through pylink)"}
UNLISTED_PLUGINS = frozenset({"remote"})
# Why a plugin does not load: pyOCD loads J-Link's only when SEGGER's library is found.
NOT_LOADED = {"jlink": "SEGGER's J-Link software (libjlinkarm), which pylink needs, is not installed"}


def pyocd_targets() -> frozenset[str]:
    """pyOCD's builtin target type names (CMSIS-Pack targets are not counted: they need a pack installed)."""
    from pyocd.target import TARGET

    return frozenset(TARGET)


def attached_probes(unique_id: str | None = None) -> list:
    """The probes pyOCD finds now, those whose unique ID contains `unique_id` when it is given."""
    from pyocd.core.exceptions import Error
    from pyocd.core.helpers import ConnectHelper

    try:
        return ConnectHelper.get_all_connected_probes(blocking=False, unique_id=unique_id)
    except Error as exc:
        raise TinygenError(f"pyOCD could not list the debug probes: {exc}") from None


def probe_table(probes: list) -> str:
    rows = [("unique id", "vendor", "product")] + [(p.unique_id, p.vendor_name, p.product_name) for p in probes]
    return "\n".join("  " + line for line in table_lines(rows))


def what_was_searched() -> str:
    """Which kinds of probe pyOCD looked for, and which it could not look for and why."""
    from pyocd.probe.aggregator import PROBE_CLASSES

    plugins = sorted({entry.name for entry in entry_points(group="pyocd.probe")} - UNLISTED_PLUGINS)
    searched = [PROBE_KINDS.get(name, name) for name in plugins if name in PROBE_CLASSES]
    text = "pyOCD looked for " + ", ".join(searched)
    for name in (name for name in plugins if name not in PROBE_CLASSES):
        text += f"; it could not look for {PROBE_KINDS.get(name, name)}: " \
                f"{NOT_LOADED.get(name, 'its pyOCD plugin did not load')}"
    return text


def choose_probe(probes: list, unique_id: str | None, board_id: str, otherwise: str = "") -> object:
    """The one probe to use: the only one attached, or the only one matching --probe. `otherwise` tells
    how else to flash the board when pyOCD finds no probe."""
    if len(probes) == 1:
        return probes[0]
    matching = f"matching --probe {unique_id!r} " if unique_id else ""
    if not probes:
        others = attached_probes() if unique_id else []
        attached = f"\nattached probes:\n{probe_table(others)}" if others else ""
        raise TinygenError(f"no debug probe {matching}found for {board_id}: {what_was_searched()}.\n"
                           f"Connect the board's debug USB port (on Linux the probe needs a udev rule "
                           f"giving you access to it){otherwise}{attached}")
    raise TinygenError(f"{len(probes)} debug probes {matching}are attached; choose one with --probe UID "
                       f"(any unique part of its id):\n{probe_table(probes)}")


def program(probe, target: str, image: Path) -> None:
    """Erases the sectors the image needs, programs them and resets the board to run it."""
    from pyocd.core.exceptions import Error
    from pyocd.core.session import Session
    from pyocd.flash.file_programmer import FileProgrammer

    try:
        with Session(probe, target_override=target, auto_open=True) as session:
            FileProgrammer(session, chip_erase="auto").program(str(image))
            session.target.reset()
    except Error as exc:
        raise TinygenError(f"pyOCD could not program {image.name} into the {target} through "
                           f"{probe.description} ({probe.unique_id}): {exc}") from None
