"""Human-readable tables for the compiler's results."""

from .compiler.compile import CompiledModel


def _shape(shape) -> str:
    return "x".join(map(str, shape)) or "scalar"


def layer_table(model: CompiledModel) -> str:
    graph = model.graph
    rows = [("#", "op", "kernel", "input", "output", "MACs", "weight B")]
    for layer in model.layers:
        op = layer.op
        activations = [graph.tensors[i] for i in op.inputs if i >= 0 and not graph.tensors[i].is_constant]
        constants_bytes = sum(graph.tensors[i].data.nbytes for i in op.inputs if i >= 0 and graph.tensors[i].is_constant)
        weight_bytes = constants_bytes + sum(a.values.nbytes for a in layer.arrays)
        rows.append((str(op.index), op.op_type, layer.kernel or "(alias)",
                     " + ".join(_shape(t.shape) for t in activations),
                     _shape(graph.tensors[op.outputs[0]].shape), f"{layer.macs:,}", f"{weight_bytes:,}"))
    rows.append(("", "total", "", "", "", f"{model.total_macs:,}", f"{model.weights_bytes:,}"))
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    right = {0, 5, 6}
    lines = ["  ".join(cell.rjust(w) if c in right else cell.ljust(w) for c, (cell, w) in enumerate(zip(row, widths)))
             for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    lines.append(f"arena: {model.arena_bytes:,} bytes (static, alignment 16); weights: {model.weights_bytes:,} bytes (flash)")
    return "\n".join(line.rstrip() for line in lines)
