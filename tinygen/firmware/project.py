"""Generates a standard PlatformIO project for one board: the model, its kernels, the board layer
(startup, UART, counter), a linker script from the board's memory map, a main program and, for the
offline build, the development platform that builds it."""


import numpy as np

from .. import __version__
from ..boards import Board
from ..compiler.codegen import array_body, environment, render
from ..compiler.compile import CompiledModel
from ..errors import TinygenError
from ..targets.protocol import tensor_info, tensor_layout
from ..resources import hal_dir
from .dev_platform import PLATFORMS_DIR, platform_files, platform_name

HAL_COMMON = ("tg_startup.c", "tg_print.c", "tg_stack.c")


def _io_layout(model: CompiledModel) -> list[int]:
    """INFO's description of the inputs and outputs, as bytes for the generated C (protocol.tensor_layout)."""
    return list(tensor_layout([tensor_info(io) for io in model.inputs], [tensor_info(io) for io in model.outputs]))


def registry_target(board: Board) -> dict:
    registry = board.data.get("pio_registry")
    if not registry:
        raise TinygenError(f"board {board.id} has no PlatformIO registry platform; build it offline (the default)")
    return registry


def project_files(model: CompiledModel, board: Board, sample: list[np.ndarray] | None, use_registry: bool = False,
                  app: str = "oneshot") -> dict[str, str]:
    """Relative path -> contents of the whole PlatformIO project. `app` is the main program: "oneshot"
    runs the embedded `sample` once and exits; "serial" serves the serial protocol."""
    env = environment()
    files = {}
    for name, text in render(model).items():
        files[("include/" if name.endswith(".h") else "src/") + name] = text
    for name in HAL_COMMON + (f"tg_uart_{board.data['uart']['driver']}.c", f"tg_counter_{board.data['counter']['driver']}.c"):
        files[f"src/{name}"] = (hal_dir() / name).read_text()
    files["include/tg_hal.h"] = (hal_dir() / "tg_hal.h").read_text()
    if app == "serial":
        files["src/tg_protocol.c"] = (hal_dir() / "tg_protocol.c").read_text()
        files["include/tg_protocol.h"] = (hal_dir() / "tg_protocol.h").read_text()
    offsets = np.cumsum([0] + [io.bytes for io in model.inputs]).tolist()
    context = {
        "version": __version__, "board": board,
        "uart_clock_hz": board.data["uart"].get("clock_hz", board.data["clock_hz"]),
        "inputs": [{"position": io.position, "ctype": io.ctype, "elements": io.tensor.size, "bytes": io.bytes,
                    "offset": offsets[io.position],
                    "body": array_body(np.asarray(sample[io.position], dtype=io.tensor.dtype)) if sample else ""}
                   for io in model.inputs],
        "outputs": [{"position": io.position, "ctype": io.ctype, "elements": io.tensor.size, "bytes": io.bytes}
                    for io in model.outputs],
        "layout": _io_layout(model), "app": app,
        "call_args": ", ".join([f"input{io.position}" for io in model.inputs] +
                               [f"output{io.position}" for io in model.outputs]),
        "registry": registry_target(board) if use_registry else None,
        "platforms_dir": PLATFORMS_DIR, "platform_name": platform_name(),
    }
    files["include/board.h"] = env.get_template("firmware/board.h.j2").render(context)
    main_template = {"oneshot": "firmware/main.c.j2", "serial": "firmware/main_serial.c.j2"}[app]
    files["src/main.c"] = env.get_template(main_template).render(context)
    files["linker/firmware.ld"] = env.get_template("firmware/firmware.ld.j2").render(context)
    files["platformio.ini"] = env.get_template("firmware/platformio.ini.j2").render(context)
    if not use_registry:
        files.update(platform_files(board))
    return files

