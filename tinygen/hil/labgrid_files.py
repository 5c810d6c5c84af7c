"""`tinygen hil init`'s labgrid part: an environment file that names the farm's place for a board and
how it is flashed, and a pytest module (labgrid's pytest plugin) that builds the serial firmware,
flashes it, opens the board's serial port from the acquired place and runs `tinygen validate
--target device` with the budget gates."""

from .. import __version__
from ..boards import Board
from ..compiler.codegen import environment
from ..errors import TinygenError
from ..targets.labgrid_place import place_name

FLASH_MODES = ("auto", "openocd", "tinygen", "none")


def flash_mode(board: Board, asked: str) -> str:
    """openocd: labgrid's OpenOCDDriver on the place's USBDebugger (exporter-side probe); tinygen:
    `tinygen flash` on the host that runs the test (its probe attached there); none: the firmware is
    already running (an emulated board)."""
    if asked != "auto":
        return asked
    method = board.data["flash_method"]
    if "pyocd" in method:
        return "tinygen"
    if "command" not in method:
        raise TinygenError(f"{board.id} cannot be flashed by tinygen ({method['note']}): "
                           "give --flash none if its firmware is started another way")
    return "openocd" if method["command"][0] == "openocd" else "tinygen"


def openocd_driver(board: Board) -> dict:
    """labgrid OpenOCDDriver settings from the board file's openocd command: interface and board
    scripts by name, target scripts sourced by the load commands, then program, verify, reset."""
    command = board.data["flash_method"]["command"]
    scripts = [command[i + 1] for i, part in enumerate(command) if part == "-f"]
    settings, sourced = {}, []
    for script in scripts:
        folder, _, name = script.partition("/")
        if folder in ("interface", "board"):
            settings[f"{folder}_config"] = name
        else:
            sourced.append(f"source [find {script}]")
    settings["load_commands"] = sourced + ["init", "program {filename} verify reset", "shutdown"]
    return settings


def labgrid_files(board: Board, model: str | None, gates: list[str], flash: str = "auto",
                  samples: int = 10, firmware: str | None = None) -> dict[str, str]:
    """firmware: a project folder already built to flash (else the test builds one)."""
    mode = flash_mode(board, flash)
    context = {"version": __version__, "board": board, "place": place_name(board), "model": model, "gates": gates,
               "flash": mode, "samples": samples, "openocd": openocd_driver(board) if mode == "openocd" else None,
               "python": {"board": repr(board.id), "model": repr(model), "gates": repr(gates), "flash": repr(mode),
                          "firmware": repr(firmware)}}
    env = environment()
    return {"env.yaml": env.get_template("hil/labgrid_env.yaml.j2").render(context),
            "test_tinygen_hil.py": env.get_template("hil/test_tinygen_hil.py.j2").render(context)}
