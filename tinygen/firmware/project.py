"""Generates a standard PlatformIO project for one board: the model, its kernels, the board layer
(startup, UART, counter), a linker script from the board's memory map, a main program and, for the
offline build, the development platform that builds it."""


import numpy as np

from .. import __version__
from ..boards import Board
from ..compiler.codegen import array_body, environment, render
from ..compiler.compile import CompiledModel
from ..errors import TinygenError
from ..resources import hal_dir, runtime_dir
from ..targets.protocol import info_payload, tensor_info
from .dev_platform import PLATFORMS_DIR, platform_files, platform_name

HAL_COMMON = ("tg_startup.c", "tg_print.c", "tg_stack.c")


def _info_answer(model: CompiledModel, board: Board) -> np.ndarray:
    """INFO's answer for this model and board, which the serial runtime sends as generated."""
    payload = info_payload(model.model_hash, board.id, model.arena_bytes, [tensor_info(io) for io in model.inputs],
                           [tensor_info(io) for io in model.outputs])
    return np.frombuffer(payload, dtype=np.uint8)


def _serial_app_files(model: CompiledModel, board: Board, context: dict) -> dict[str, str]:
    """The fixed serial runtime and the data it reads about this model (model_io.c)."""
    context = {**context, "model_name": model.name, "input_bytes": model.input_bytes,
               "output_bytes": model.output_bytes, "rx_payload": max(model.input_bytes + 2, 64),
               "info_body": array_body(_info_answer(model, board))}
    return {"src/tg_protocol.c": (hal_dir() / "tg_protocol.c").read_text(),
            "include/tg_protocol.h": (hal_dir() / "tg_protocol.h").read_text(),
            "include/tg_model_io.h": (runtime_dir() / "tg_model_io.h").read_text(),
            "src/model_io.c": environment().get_template("firmware/model_io.c.j2").render(context),
            "src/main.c": (runtime_dir() / "tg_serial_main.c").read_text()}


def registry_target(board: Board) -> dict:
    registry = board.data.get("pio_registry")
    if not registry:
        raise TinygenError(f"board {board.id} has no PlatformIO registry platform; build it offline (the default)")
    return registry


def linker_script(board: Board, stack_bytes: int) -> str:
    return environment().get_template("firmware/firmware.ld.j2").render(board=board, stack_bytes=stack_bytes,
                                                                        version=__version__)


def project_files(model: CompiledModel, board: Board, sample: list[np.ndarray] | None, use_registry: bool = False,
                  app: str = "oneshot") -> dict[str, str]:
    """Relative path -> contents of the whole PlatformIO project. `app` is the main program: "oneshot"
    runs the embedded `sample` once and exits; "serial" serves the serial protocol. The linker script
    reserves the board's fixed stack; build.py sizes it from the call graph once compiled."""
    env = environment()
    files = {}
    for name, text in render(model).items():
        files[("include/" if name.endswith(".h") else "src/") + name] = text
    drivers = tuple(f"tg_{kind}_{board.data[kind]['driver']}.c" for kind in ("uart", "counter", "marker"))
    for name in HAL_COMMON + drivers:
        files[f"src/{name}"] = (hal_dir() / name).read_text()
    files["include/tg_hal.h"] = (hal_dir() / "tg_hal.h").read_text()
    context = {
        "version": __version__, "board": board,
        "uart_clock_hz": board.data["uart"].get("clock_hz", board.data["clock_hz"]),
        "inputs": [{"position": io.position, "ctype": io.ctype, "elements": io.tensor.size, "bytes": io.bytes,
                    "body": array_body(np.asarray(sample[io.position], dtype=io.tensor.dtype)) if sample else ""}
                   for io in model.inputs],
        "outputs": [{"position": io.position, "ctype": io.ctype, "elements": io.tensor.size, "bytes": io.bytes}
                    for io in model.outputs],
        "app": app,
        "call_args": ", ".join([f"input{io.position}" for io in model.inputs] +
                               [f"output{io.position}" for io in model.outputs]),
        "registry": registry_target(board) if use_registry else None,
        "platforms_dir": PLATFORMS_DIR, "platform_name": platform_name(),
    }
    files["include/board.h"] = env.get_template("firmware/board.h.j2").render(context)
    if app == "serial":
        files.update(_serial_app_files(model, board, context))
    else:
        files["src/main.c"] = env.get_template("firmware/main.c.j2").render(context)
    files["linker/firmware.ld"] = linker_script(board, board.stack_bytes)
    files["platformio.ini"] = env.get_template("firmware/platformio.ini.j2").render(context)
    if not use_registry:
        files.update(platform_files(board))
    return files

