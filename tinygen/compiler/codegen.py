"""Renders a compiled model to C through the Jinja templates and writes the folder atomically."""

from collections.abc import Iterable
from pathlib import Path

import jinja2
import numpy as np

from .. import __version__
from ..output_paths import staged_output_folder
from ..resources import kernels_dir, templates_dir
from . import planner
from .compile import C_TYPES, CompiledModel, ModelIO, tensor_bytes
from .layer import NULL_ARG, ConstArray, ScratchArg, TensorArg, TensorListArg, clamp_params
from .names import comment_text
from .ops.elementwise import ADD_SAME_SHAPE, MUL_SAME_SHAPE
from .sparse import PAIRS_KERNELS
from .variants import CONV_DSP, DSP, MATMUL_DSP

HEADERS = ("tg_kernels.h", "tg_fixedpoint.h", "tg_broadcast.h", "tg_sparse.h", "tg_same_shape.h", "tg_window.h")
# The DSP variants: their instructions (with C models for the host), shared product, requantization,
# bytes four to a word, gather. The portable ADD and MUL without broadcast compute that requantization
# too, and the sparse list kernel (any core) that gather and product form: on the C models elsewhere.
DSP_HEADERS = ("tg_acle.h", "tg_product_dsp.h", "tg_requant_dsp.h", "tg_bytes_dsp.h", "tg_im2col.h",
               "tg_sparse_pairs.h")
SAME_SHAPE_KERNELS = (ADD_SAME_SHAPE, MUL_SAME_SHAPE)
# Compiled units kernels share, each added once when any kernel that calls it is used.
SHARED_SOURCES = {MATMUL_DSP: "tg_product_dsp.c", CONV_DSP: "tg_product_dsp.c"}
VALUES_PER_LINE = 16


def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())), keep_trailing_newline=True,
                              undefined=jinja2.StrictUndefined, autoescape=False)


def c_value(value, top: bool = False) -> str:
    """A Python value as a C initializer: ints, floats (exact), lists, structs, identifiers."""
    if isinstance(value, dict):
        if top:
            return "{\n" + "".join(f"    .{key} = {c_value(v)},\n" for key, v in value.items()) + "}"
        return "{" + ", ".join(f".{key} = {c_value(v)}" for key, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "{" + ", ".join(c_value(v) for v in value) + "}"
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return str(value)   # an identifier the generator made


def _float_macro(value: float) -> str:
    return f"{float(np.float32(value)):.9g}f"


def array_body(values: np.ndarray) -> str:
    flat = values.reshape(-1)
    if flat.dtype.kind == "f":
        items = [repr(float(v)) + "f" for v in flat]
    else:
        items = [str(int(v)) for v in flat]
    lines = [", ".join(items[i:i + VALUES_PER_LINE]) for i in range(0, len(items), VALUES_PER_LINE)]
    return ",\n".join("    " + line for line in lines)


class _Renderer:
    def __init__(self, model: CompiledModel):
        self.model = model

    def tensor_expr(self, index: int) -> str:
        tensor = self.model.graph.tensors[index]
        storage = self.model.storage[index]
        if storage.kind == "arena":
            return f"({C_TYPES[tensor.dtype]} *)(void *)(tg_arena + {storage.ref})"
        if storage.kind in ("input", "output"):
            return f"{storage.kind}{storage.ref}"
        return str(storage.ref)

    def arg(self, arg, position: int) -> str:
        if isinstance(arg, TensorArg):
            return self.tensor_expr(arg.index)
        if isinstance(arg, TensorListArg):
            return "(const int8_t *const[]){" + ", ".join(self.tensor_expr(i) for i in arg.indices) + "}"
        if isinstance(arg, ScratchArg):
            return f"({arg.ctype} *)(void *)(tg_arena + {self.model.scratch_offsets[position]})"
        if isinstance(arg, ConstArray):
            return arg.name
        assert arg == NULL_ARG
        return "NULL"

    def layer(self, position: int, layer) -> dict:
        graph = self.model.graph
        op = layer.op
        out = graph.tensors[op.outputs[0]]
        shapes = " + ".join("x".join(map(str, graph.tensors[i].shape)) or "scalar"
                            for i in op.inputs if i >= 0 and not graph.tensors[i].is_constant)
        title = f"{op.index}: {op.op_type} '{comment_text(out.name)}' {shapes} -> {'x'.join(map(str, out.shape))}"
        call = None
        if layer.kernel:
            args = [f"&{layer.name}_params"] + [self.arg(a, position) for a in layer.args]
            call = f"{layer.kernel}({', '.join(args)})"
        return {"name": layer.name, "title": title, "call": call, "params_type": layer.params_type,
                "output_expr": self.tensor_expr(op.outputs[0]), "output_bytes": tensor_bytes(out),
                "params_text": c_value(layer.params, top=True) if layer.kernel else None}

    def io(self, io: ModelIO) -> dict:
        t = io.tensor
        quant = t.quant
        return {"position": io.position, "ctype": io.ctype, "shape": list(t.shape) or [1],
                "elements": t.size, "bytes": io.bytes, "comment": comment_text(t.name),
                "scale": _float_macro(quant.scale[0]) if quant else "1.0f",
                "zero_point": int(quant.zero_point[0]) if quant else 0}

    def arrays(self) -> list[dict]:
        arrays = []
        for tensor, name in self.model.weights:
            arrays.append({"name": name, "ctype": C_TYPES[tensor.dtype], "length": max(tensor.size, 1),
                           "body": array_body(tensor.data),
                           "comment": f"tensor {tensor.index} '{comment_text(tensor.name)}' "
                                      f"{tensor.dtype} {list(tensor.shape)}"})
        for array in self.model.arrays:
            arrays.append({"name": array.name, "ctype": array.ctype, "length": array.values.size,
                           "body": array_body(array.values), "comment": array.name.replace("_", " ")})
        return arrays

    def context(self) -> dict:
        m = self.model
        inputs = [self.io(io) for io in m.inputs]
        outputs = [self.io(io) for io in m.outputs]
        signature = ", ".join([f"const {i['ctype']} *input{i['position']}" for i in inputs]
                              + [f"{o['ctype']} *output{o['position']}" for o in outputs])
        copies = [{"position": p, "source": self.tensor_expr(i), "bytes": tensor_bytes(m.graph.tensors[i])}
                  for p, i in m.output_copies]
        return {
            "version": __version__, "model_name": comment_text(m.name), "model_hash": m.model_hash,
            "arena_bytes": m.arena_bytes, "weights_bytes": m.weights_bytes, "total_macs": m.total_macs,
            "inputs": inputs, "outputs": outputs, "signature": signature,
            "call_args": ", ".join([f"input{i['position']}" for i in inputs] + [f"output{o['position']}" for o in outputs]),
            "layers": [self.layer(p, layer) for p, layer in enumerate(m.layers)], "layer_count": len(m.layers),
            "arrays": self.arrays(), "output_copies": copies,
            "plan_lines": [comment_text(line, 120) for line in planner.describe(m.buffers, m.arena_bytes).splitlines()],
        }


def kernel_sources(model: CompiledModel) -> list[str]:
    used = {layer.kernel for layer in model.layers if layer.kernel}
    if model.output_copies:
        used.add("tg_copy")
    shared = {SHARED_SOURCES[kernel] for kernel in used & SHARED_SOURCES.keys()}
    return sorted({f"{kernel}.c" for kernel in used} | shared)


def render(model: CompiledModel) -> dict[str, str]:
    """File name -> contents of the generated C sources, kernels included."""
    env = environment()
    context = _Renderer(model).context()
    files = {name: env.get_template(f"{name}.j2").render(context) for name in ("model.h", "model.c", "weights.c")}
    dsp_headers = any(layer.variant == DSP or layer.kernel in SAME_SHAPE_KERNELS + PAIRS_KERNELS
                      for layer in model.layers)
    headers = HEADERS + (DSP_HEADERS if dsp_headers else ())
    for name in headers + tuple(kernel_sources(model)):
        files[name] = (kernels_dir() / name).read_text()
    if "tg_product_dsp.c" in files:
        files["tg_product_forms.h"] = env.get_template("tg_product_forms.h.j2").render(
            version=__version__, **product_forms(model))
    return files


def product_forms(model: CompiledModel) -> dict[str, bool]:
    """Which requantization forms and weight layouts (stacked pairs or plain rows) the model's product layers
    use, and whether one splits a lone pixel a run at a time (tg_product_dsp.c compiles only those)."""
    products = [layer.params for layer in model.layers if layer.kernel in SHARED_SOURCES]
    requants = [params["product"]["requant"] for params in products]
    whole = [r["clamp"] == clamp_params(-128, 127) for r in requants]
    return {"whole_range": any(whole), "clamped": not all(whole),
            "per_channel": any(r["per_channel"] for r in requants),
            "per_tensor": not all(r["per_channel"] for r in requants),
            "single_runs": any(params.get("single_run_groups") for params in products),
            "stacked": any(params["product"]["stacked"] for params in products),
            "plain": not all(params["product"]["stacked"] for params in products)}


def render_host_main(model: CompiledModel) -> str:
    return environment().get_template("host_main.c.j2").render(_Renderer(model).context())


def write_files(files: dict[str, str], folder: Path) -> None:
    for name, text in sorted(files.items()):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def write_atomically(files: dict[str, str], out_dir: Path, inputs: Iterable[Path] = ()) -> None:
    """Writes the whole folder or nothing; only a folder tinygen generated is replaced (output_paths)."""
    with staged_output_folder(out_dir, "compile", inputs) as staging:
        write_files(files, staging)
