"""Human-readable tables for the compiler's results."""

from .compiler.compile import CompiledModel
from .compiler.planner import peak
from .compiler.layer import TensorArg
from .text_table import table_lines


def _shape(shape) -> str:
    return "x".join(map(str, shape)) or "scalar"


def _form(form: str | None, saved_bytes: int) -> str:
    """How the weights are stored: dense, or sparse and the flash bytes that saves."""
    return f"sparse -{saved_bytes:,} B" if saved_bytes else (form or "")


def _short(name: str) -> str:
    """A tensor name as converters make them (several op names joined by ';'): its last part, cut to fit."""
    last = name.rsplit(";", 1)[-1]
    return last if len(last) <= 48 else "..." + last[-45:]


def layer_table(model: CompiledModel) -> str:
    graph = model.graph
    rows = [("#", "op", "kernel", "input", "output", "MACs", "weight B", "weights")]
    for layer in model.layers:
        op = layer.op
        activations = [graph.tensors[i] for i in op.inputs if i >= 0 and not graph.tensors[i].is_constant]
        stored = [graph.tensors[a.index] for a in layer.args if isinstance(a, TensorArg)]
        weight_bytes = sum(t.data.nbytes for t in stored if t.is_constant) + sum(a.values.nbytes for a in layer.arrays)
        rows.append((str(op.index), op.op_type, layer.kernel or "(alias)",
                     " + ".join(_shape(t.shape) for t in activations),
                     _shape(graph.tensors[op.outputs[0]].shape), f"{layer.macs:,}", f"{weight_bytes:,}",
                     _form(layer.weight_form, layer.sparse_saved_bytes)))
    rows.append(("", "total", "", "", "", f"{model.total_macs:,}", f"{model.weights_bytes:,}",
                 _form(None, model.sparse_saved_bytes)))
    lines = table_lines(rows, right_aligned={0, 5, 6})
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    lines.append(f"arena: {model.arena_bytes:,} bytes (static, alignment 16); weights: {model.weights_bytes:,} bytes (flash)")
    if model.in_place:
        layers = ", ".join(str(model.layers[position].op.index) for position in sorted(model.in_place))
        lines.append(f"written in place: {len(model.in_place)} layers write their output over an input that dies "
                     f"there (#{layers}): arena {model.arena_bytes:,} bytes, {model.arena_apart_bytes:,} with "
                     f"every output apart")
    fullest = peak(model.buffers)
    if fullest is not None:
        layer = model.layers[fullest.position]
        live = ", ".join(f"{_short(buffer.name)} {buffer.size:,}" for buffer in fullest.live)
        lines.append(f"arena peak at layer {fullest.position} ({layer.op.op_type} {layer.name}): {live}; "
                     f"together {fullest.bytes:,} bytes")
    lines.append(f"kernels for: {model.target.description}")
    return "\n".join(line.rstrip() for line in lines)
