"""Structured mutations of .tflite models, for the robustness tests.

A model is unpacked with the schema's object API (the schema module shipped with tflite-micro), one or
two of its fields are set to a hostile value (-1, 0, NaN, inf, tiny or huge scales, out-of-range
zero points and tensor indices, huge dimensions, wrong ranks and types, missing or mismatched
options) and the model is packed again. Byte-level damage mostly breaks the flatbuffer's offsets and
stops at the reader; these mutants are well-formed files that reach lowering and the quantization
arithmetic.
"""

from __future__ import annotations

import copy
import math
import struct
from typing import Callable, Iterator

import flatbuffers
import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

INTS = (-1, 0, 1, 2, 3, 7, 1 << 15, 1 << 30, (1 << 31) - 1, -(1 << 31))
SMALL_INTS = (-1, 0, 1, 2, 5, 6, 100, 127, -128)        # byte-wide enums: padding, activation
FLOATS = (0.0, -1.0, -0.0, math.nan, math.inf, -math.inf, 1e-40, 1e-30, 1e-6, 1e30, 3.4e38, 2.0)
DIMS = (-1, 0, 1, 2, 5, 1 << 20, 1 << 30, (1 << 31) - 1)
ZERO_POINTS = (-129, 128, 255, -1000, 1 << 31, -(1 << 40))
TENSOR_TYPES = (0, 1, 2, 3, 4, 6, 7, 9, 17, 99)
BYTE_OPTIONS = {"padding", "fusedActivationFunction", "weightsFormat", "quantizedBiasType"}
SWAPPABLE_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "FULLY_CONNECTED", "SOFTMAX",
                 "ADD", "MUL", "MEAN", "PAD", "CONCATENATION", "RESHAPE", "LOGISTIC", "TANH", "QUANTIZE")


def unpack(data: bytes) -> schema.ModelT:
    return schema.ModelT.InitFromPackedBuf(bytearray(data), 0)


def pack(model: schema.ModelT) -> bytes:
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def _graph(model):
    return model.subgraphs[0]


def _option_field(model, rng) -> str | None:
    ops = [op for op in _graph(model).operators if op.builtinOptions is not None]
    if not ops:
        return None
    op = _pick(rng, ops)
    fields = [name for name, value in vars(op.builtinOptions).items() if isinstance(value, (int, float))]
    if not fields:
        return None
    name = _pick(rng, fields)
    old = getattr(op.builtinOptions, name)
    if isinstance(old, bool):
        value = not old
    elif isinstance(old, float):
        value = _pick(rng, FLOATS)
    else:
        value = _pick(rng, SMALL_INTS if name in BYTE_OPTIONS else INTS)
    setattr(op.builtinOptions, name, value)
    return f"option {name} of operator {_graph(model).operators.index(op)}: {old} -> {value}"


def _op_with_options(model, rng):
    ops = [op for op in _graph(model).operators if op.builtinOptions is not None]
    return _pick(rng, ops) if ops else None


def _drop_options(model, rng) -> str | None:
    op = _op_with_options(model, rng)
    if op is None:
        return None
    op.builtinOptions, op.builtinOptionsType = None, 0
    return f"options of operator {_graph(model).operators.index(op)} removed"


def _options_type(model, rng) -> str | None:
    op = _op_with_options(model, rng)
    if op is None:
        return None
    op.builtinOptionsType = int(rng.integers(1, 40))
    return f"options type of operator {_graph(model).operators.index(op)} -> {op.builtinOptionsType}"


def _tensor_dim(model, rng) -> str | None:
    tensors = [t for t in _graph(model).tensors if t.shape is not None and len(t.shape)]
    if not tensors:
        return None
    tensor = _pick(rng, tensors)
    shape = [int(d) for d in tensor.shape]
    axis = int(rng.integers(len(shape)))
    shape[axis] = _pick(rng, DIMS)
    tensor.shape = shape
    return f"tensor {tensor.name!r} shape -> {shape}"


def _tensor_rank(model, rng) -> str | None:
    tensor = _pick(rng, _graph(model).tensors)
    shape = [] if tensor.shape is None else [int(d) for d in tensor.shape]
    choice = int(rng.integers(3))
    shape = [1] + shape if choice == 0 else shape[1:] if choice == 1 else []
    tensor.shape = shape
    return f"tensor {tensor.name!r} rank -> {shape}"


def _tensor_type(model, rng) -> str | None:
    tensor = _pick(rng, _graph(model).tensors)
    tensor.type = _pick(rng, TENSOR_TYPES)
    return f"tensor {tensor.name!r} type -> {tensor.type}"


def _quantized(model):
    return [t for t in _graph(model).tensors if t.quantization is not None and t.quantization.scale is not None
            and len(t.quantization.scale)]


def _quant_scale(model, rng) -> str | None:
    tensors = _quantized(model)
    if not tensors:
        return None
    tensor = _pick(rng, tensors)
    scales = [float(s) for s in tensor.quantization.scale]
    choice = int(rng.integers(4))
    if choice == 0:
        scales = scales + scales[:1]
    elif choice == 1 and len(scales) > 1:
        scales = scales[:1]
    else:
        scales[int(rng.integers(len(scales)))] = _pick(rng, FLOATS)
    tensor.quantization.scale = scales
    return f"tensor {tensor.name!r} scales -> {scales[:4]}"


def _quant_zero_point(model, rng) -> str | None:
    tensors = [t for t in _quantized(model) if t.quantization.zeroPoint is not None and len(t.quantization.zeroPoint)]
    if not tensors:
        return None
    tensor = _pick(rng, tensors)
    points = [int(z) for z in tensor.quantization.zeroPoint]
    points[int(rng.integers(len(points)))] = _pick(rng, ZERO_POINTS)
    tensor.quantization.zeroPoint = points
    return f"tensor {tensor.name!r} zero points -> {points[:4]}"


def _quant_dimension(model, rng) -> str | None:
    tensors = _quantized(model)
    if not tensors:
        return None
    tensor = _pick(rng, tensors)
    tensor.quantization.quantizedDimension = _pick(rng, (-1, 1, 3, 4, 100))
    return f"tensor {tensor.name!r} quantized dimension -> {tensor.quantization.quantizedDimension}"


def _operator_tensor(model, rng) -> str | None:
    graph = _graph(model)
    op = _pick(rng, graph.operators)
    role = "inputs" if rng.integers(3) else "outputs"
    indices = [int(i) for i in getattr(op, role)]
    choice = int(rng.integers(4))
    if choice == 0 and indices:
        indices.pop(int(rng.integers(len(indices))))
    elif choice == 1:
        indices.append(_pick(rng, (-1, 0, len(graph.tensors) - 1)))
    elif indices:
        indices[int(rng.integers(len(indices)))] = _pick(
            rng, (-1, -2, 0, len(graph.tensors) - 1, len(graph.tensors), (1 << 31) - 1))
    setattr(op, role, indices)
    return f"operator {graph.operators.index(op)} {role} -> {indices}"


def _graph_io(model, rng) -> str | None:
    graph = _graph(model)
    role = "inputs" if rng.integers(2) else "outputs"
    indices = [int(i) for i in getattr(graph, role)]
    indices[int(rng.integers(len(indices)))] = _pick(rng, (-1, 0, len(graph.tensors) - 1, len(graph.tensors)))
    setattr(graph, role, indices)
    return f"graph {role} -> {indices}"


def _opcode(model, rng) -> str | None:
    code = _pick(rng, model.operatorCodes)
    name = _pick(rng, SWAPPABLE_OPS)
    value = getattr(schema.BuiltinOperator, name)
    code.builtinCode, code.deprecatedBuiltinCode = value, min(value, 127)
    return f"an operator code -> {name}"


def _tensor_buffer(model, rng) -> str | None:
    tensor = _pick(rng, _graph(model).tensors)
    tensor.buffer = _pick(rng, (0, 1, len(model.buffers) - 1, len(model.buffers), (1 << 32) - 1))
    return f"tensor {tensor.name!r} buffer -> {tensor.buffer}"


MUTATIONS: tuple[Callable, ...] = (
    _option_field, _option_field, _option_field, _drop_options, _options_type, _tensor_dim, _tensor_dim,
    _tensor_rank, _tensor_type, _quant_scale, _quant_scale, _quant_zero_point, _quant_dimension,
    _operator_tensor, _operator_tensor, _graph_io, _opcode, _tensor_buffer,
)


def mutants(data: bytes, rng: np.random.Generator, count: int) -> Iterator[tuple[str, bytes]]:
    """`count` mutants of `data`, each with one or two mutations and a description of them."""
    original = unpack(data)
    made = 0
    while made < count:
        model = copy.deepcopy(original)
        notes = []
        for _ in range(1 if rng.random() < 0.7 else 2):
            note = _pick(rng, MUTATIONS)(model, rng)
            if note:
                notes.append(note)
        if not notes:
            continue
        try:
            packed = pack(model)
        except (struct.error, OverflowError, TypeError):
            continue     # a value the field's type cannot hold: not a file anyone could write
        made += 1
        yield "; ".join(notes), packed


def edited(data: bytes, change: Callable[[schema.ModelT], None]) -> bytes:
    """`data` with `change` applied to its unpacked model (for hand-made malformed models)."""
    model = unpack(data)
    change(model)
    return pack(model)


def first_op(model: schema.ModelT, name: str):
    """The first operator of the main graph whose builtin code is `name`."""
    code = getattr(schema.BuiltinOperator, name)
    indices = {i for i, c in enumerate(model.operatorCodes) if max(c.builtinCode, c.deprecatedBuiltinCode) == code}
    return next(op for op in model.subgraphs[0].operators if op.opcodeIndex in indices)
