"""Host target: compiles the generated C (the same sources the firmware uses) with the host gcc
and runs it on a batch of samples."""

import shutil
import subprocess
from pathlib import Path

import numpy as np

from ..compiler.codegen import render, render_host_main
from ..compiler.compile import CompiledModel
from ..errors import TinygenError

CFLAGS = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror"]


def host_compiler() -> str:
    for name in ("gcc", "cc"):
        path = shutil.which(name)
        if path:
            return path
    raise TinygenError("no host C compiler found: install gcc (Debian: apt-get install gcc)")


def build(model: CompiledModel, work_dir: Path) -> Path:
    """Writes the generated sources plus a host main into work_dir and compiles them."""
    src = work_dir / "src"
    src.mkdir(parents=True, exist_ok=True)
    files = render(model)
    files["host_main.c"] = render_host_main(model)
    for name, text in files.items():
        (src / name).write_text(text)
    executable = work_dir / "host_model"
    sources = sorted(str(src / name) for name in files if name.endswith(".c"))
    result = subprocess.run([host_compiler(), *CFLAGS, "-o", str(executable), *sources],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise TinygenError(f"the generated C failed to compile on the host:\n{result.stderr.strip()}")
    return executable


def run(executable: Path, model: CompiledModel, samples: list[list[np.ndarray]], work_dir: Path) -> list[list[np.ndarray]]:
    """Runs every sample (one array per model input) and returns one array per model output."""
    inputs_path, outputs_path = work_dir / "inputs.bin", work_dir / "outputs.bin"
    inputs_path.write_bytes(b"".join(model.pack_inputs(sample) for sample in samples))
    result = subprocess.run([str(executable), str(inputs_path), str(outputs_path), str(len(samples))],
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise TinygenError(f"the host model exited with status {result.returncode}: {result.stderr.strip()}")
    raw = outputs_path.read_bytes()
    if len(raw) != model.output_bytes * len(samples):
        raise TinygenError(f"the host model wrote {len(raw)} bytes of output, expected {model.output_bytes * len(samples)}")
    step = model.output_bytes
    return [model.unpack_outputs(raw[start:start + step]) for start in range(0, len(raw), step)]
