"""`tinygen build`: model -> PlatformIO project -> firmware.elf/.hex/.bin and a size report."""

import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..boards import Board
from ..compiler import compile_model
from ..compiler.compile import CompiledModel
from ..compiler.planner import covered_bytes, peak
from ..compiler.codegen import kernel_sources, write_files
from ..compiler.variants import board_target
from ..errors import TinygenError
from ..install_hints import missing_python_package
from ..output_paths import check_output_folder, staged_output_folder
from ..samples import load_samples, random_samples
from . import platformio_env
from .project import linker_script, project_files
from .stack_bound import Unbounded, stack_bound
from .size_report import format_report, size_report

# Generation-time estimates for the fit check; the real figures come from the linked ELF.
CODE_BASE_BYTES = 4096           # startup, UART, counter, printing, libc pieces
CODE_PER_KERNEL_BYTES = 1536
RAM_BASE_BYTES = 512
ARTIFACTS = ("firmware.elf", "firmware.hex", "firmware.bin")


@dataclass
class BuildResult:
    out_dir: Path
    report: dict
    seconds: float

    @property
    def elf(self) -> Path:
        return self.out_dir / "firmware.elf"


def check_fit(model: CompiledModel, board: Board) -> None:
    """Refuses, before any compilation, a model whose estimated flash or RAM exceeds the board's."""
    flash = model.weights_bytes + CODE_BASE_BYTES + CODE_PER_KERNEL_BYTES * len(kernel_sources(model))
    io_bytes = model.input_bytes + model.output_bytes
    ram = model.arena_bytes + board.stack_bytes + io_bytes + RAM_BASE_BYTES
    problems = []
    if flash > board.flash_size:
        problems.append(f"flash: weights {model.weights_bytes:,} + code ~{flash - model.weights_bytes:,} = "
                        f"~{flash:,} bytes > {board.flash_size:,} on {board.id}")
    if ram > board.ram_size:
        problems.append(f"RAM: arena {model.arena_bytes:,} + stack {board.stack_bytes:,} + input/output "
                        f"{io_bytes:,} + other ~{RAM_BASE_BYTES} = ~{ram:,} bytes > {board.ram_size:,} on {board.id}")
    if problems:
        raise TinygenError(f"{model.name} does not fit {board.id} ({board.name}):\n  " + "\n  ".join(problems) +
                           "\nTry a smaller model (fewer channels or layers; `tinygen optimize` with --flash-budget, "
                           "--structured-prune or --sparsity for pruning), or a board with more memory (`tinygen boards`).")


def embedded_input(model: CompiledModel, input_path: Path | None) -> list[np.ndarray]:
    if input_path is not None:
        return load_samples(input_path, model, limit=1)[0]
    return random_samples(model, 1, seed=0)[0]


def run_platformio(project: Path) -> None:
    if importlib.util.find_spec("platformio") is None:
        raise missing_python_package("platformio")
    result = subprocess.run([sys.executable, "-m", "platformio", "run", "-d", str(project)], capture_output=True, text=True,
                            env=platformio_env.pio_environment(), timeout=600)
    log = result.stdout + result.stderr
    (project / "build.log").write_text(log)
    if result.returncode != 0:
        # The half-built project is discarded to keep the previous output intact: keep its log.
        with tempfile.NamedTemporaryFile("w", prefix="tinygen-build-", suffix=".log", delete=False) as kept:
            kept.write(log)
        tail = "\n".join(log.strip().splitlines()[-25:])
        raise TinygenError(f"PlatformIO build failed (full log: {kept.name}):\n{tail}")


def compile_for(board: Board, model_path: Path, sparse: bool = True) -> CompiledModel:
    """The model compiled with the kernel variants of the board's core, as `build` takes it."""
    return compile_model(model_path, sparse, board_target(board))


def build(board: Board, model: CompiledModel, out_dir: Path, input_path: Path | None = None,
          sample: list[np.ndarray] | None = None, use_registry: bool = False, app: str = "oneshot",
          extra_files: Iterable[Path] = ()) -> BuildResult:
    """Builds the project in a staging folder that replaces `out_dir` only when everything succeeded.
    `model` comes from compile_for(board, ...); `extra_files` are copied into the project (e.g. the
    optimized model and its report)."""
    started = time.monotonic()
    if model.target != board_target(board):
        raise TinygenError(f"{model.name} was compiled for {model.target.description}, {board.id} needs "
                           f"{board_target(board).description}: compile it for this board")
    inputs = [Path(p) for p in (model.source, input_path) if p is not None]
    check_output_folder(out_dir, inputs)
    check_fit(model, board)
    if sample is None and app == "oneshot":
        sample = embedded_input(model, input_path)
    with staged_output_folder(out_dir, "build", inputs) as project:
        write_files(project_files(model, board, sample, use_registry, app), project)
        for path in extra_files:
            shutil.copy2(path, project / Path(path).name)
        if not use_registry:
            platformio_env.prepare()
        run_platformio(project)
        build_dir = project / ".pio" / "build" / board.id
        stack = _size_the_stack(project, build_dir, board)
        for name in ARTIFACTS:
            shutil.copy2(build_dir / name, project / name)
        report = size_report(project / "firmware.elf", board)
        report["ram"]["stack_sizing"] = stack
        report["ram"]["arena_peak"] = arena_peak(model)
        if model.in_place:
            report["ram"]["in_place"] = {"layers": len(model.in_place), "arena_apart": model.arena_apart_bytes}
        report.update(model=model.name, model_hash=model.model_hash, arena_bytes=model.arena_bytes,
                      weights_bytes=model.weights_bytes, sparse_saved_bytes=model.sparse_saved_bytes)
        (project / "size_report.json").write_text(json.dumps(report, indent=2) + "\n")
    return BuildResult(Path(out_dir), report, time.monotonic() - started)


def arena_peak(model: CompiledModel) -> dict | None:
    """Where the arena is fullest and what lives there, split into scratch and activations (the bytes they
    cover: an output written over its input shares bytes with it)."""
    fullest = peak(model.buffers)
    if fullest is None:
        return None
    scratch = [b for b in fullest.live if b.name.startswith("scratch of ")]
    activations = [b for b in fullest.live if b not in scratch]
    return {"position": fullest.position, "layer": model.layers[fullest.position].name,
            "scratch": covered_bytes(scratch), "activations": covered_bytes(activations)}


def _size_the_stack(project: Path, build_dir: Path, board: Board) -> dict:
    """Relinks with the stack the call graph bounds (stack_bound.py), when it bounds one below the
    board's fixed reserve; says how the reserved stack was chosen."""
    try:
        bound = stack_bound(build_dir)
    except Unbounded as why:
        return {"reserved": board.stack_bytes, "method": f"the board's fixed stack: no static bound ({why})"}
    if bound.reserved >= board.stack_bytes:
        return {"reserved": board.stack_bytes, "bound": bound.bound,
                "method": "the board's fixed stack, which covers the call graph's bound"}
    (project / "linker" / "firmware.ld").write_text(linker_script(board, bound.reserved))
    for name in ARTIFACTS:      # SCons does not track the linker script: the link runs again, nothing recompiles
        (build_dir / name).unlink(missing_ok=True)
    run_platformio(project)
    return {"reserved": bound.reserved, "bound": bound.bound, "margin": bound.reserved - bound.bound,
            "board_fixed": board.stack_bytes,
            "method": "the call graph's bound (gcc -fcallgraph-info) with the deepest handler on top",
            "deepest_chain": bound.deepest}


def describe(result: BuildResult) -> str:
    return (f"built {result.elf} ({result.seconds:.1f} s)\n" + format_report(result.report) +
            f"\nsize report: {result.out_dir / 'size_report.json'}")
