"""From graph IR to C: lowering, memory planning and code generation."""

from pathlib import Path

from ..model.tflite_importer import load_tflite
from .compile import CompiledModel, compile_graph
from .variants import Target


def compile_model(path: str | Path, sparse: bool = True, target: Target = Target()) -> CompiledModel:
    """Reads and compiles a .tflite file for the target's core (default: portable C); raises
    TinygenError subclasses with a clear message."""
    path = Path(path)
    graph = load_tflite(path)
    model = compile_graph(graph, path.name, path.read_bytes(), sparse, target)
    model.source = path
    return model


__all__ = ["compile_model", "compile_graph", "CompiledModel", "Target"]
