"""Ops that move data without arithmetic: RESHAPE (an alias, no copy), PAD and CONCATENATION."""

import numpy as np

from ...model.graph import Graph, Operator
from ..layer import (MAX_DIMS, ConstArray, Layer, TensorArg, TensorListArg, constant, fail, io_tensors, pad_shape,
                     per_tensor_quant)



def lower_alias(graph: Graph, op: Operator, name: str) -> Layer:
    """RESHAPE: the output is the input's bytes under another shape, so it shares the buffer."""
    (inp, *_), out = io_tensors(graph, op, 1, optional=1)    # the shape input, if any, is the output's shape
    if inp.size != out.size or inp.dtype != out.dtype:
        fail(op, f"input {inp.shape} {inp.dtype} and output {out.shape} {out.dtype} differ")
    if inp.dtype == "int8" and per_tensor_quant(op, inp, "input") != per_tensor_quant(op, out, "output"):
        fail(op, "input and output quantization differ")
    return Layer(op, None, args=[TensorArg(inp.index), TensorArg(out.index)])


def lower_pad(graph: Graph, op: Operator, name: str) -> Layer:
    (inp, paddings, *constant_values), out = io_tensors(graph, op, 2, optional=1)
    if constant_values and constant_values[0] is not None:
        fail(op, "a constant_values input (PADV2) is not supported")
    in_quant = per_tensor_quant(op, inp, "input")
    out_scale, out_zp = per_tensor_quant(op, out, "output")
    if in_quant != (out_scale, out_zp):
        fail(op, "input and output must share scale and zero point")
    paddings = constant(op, paddings, "paddings", ("int32", "int64"))
    rank = len(inp.shape)
    if paddings.shape != (rank, 2) or rank > MAX_DIMS:
        fail(op, f"paddings of shape {paddings.shape} do not fit an input of rank {rank} (at most {MAX_DIMS})")
    before, after = paddings.data[:, 0].tolist(), paddings.data[:, 1].tolist()
    if min(before + after) < 0:
        fail(op, "negative padding is not supported")
    expected = tuple(d + b + a for d, b, a in zip(inp.shape, before, after))
    if expected != out.shape:
        fail(op, f"output {out.shape} is not the padded input {expected}")
    params = {
        "input_shape": pad_shape(inp.shape, MAX_DIMS),
        "pad_before": [0] * (MAX_DIMS - rank) + before,
        "output_shape": pad_shape(out.shape, MAX_DIMS),
        "pad_value": out_zp,
    }
    return Layer(op, "tg_pad_s8", "tg_pad_params_t", params, [TensorArg(inp.index), TensorArg(out.index)])


def lower_concatenation(graph: Graph, op: Operator, name: str) -> Layer:
    inputs, out = io_tensors(graph, op, max(len(op.inputs), 1))
    out_quant = per_tensor_quant(op, out, "output")
    if op.options["activation"] != "NONE":
        fail(op, f"fused activation {op.options['activation']} is not supported")
    rank = len(out.shape)
    axis = op.options["axis"] + rank if op.options["axis"] < 0 else op.options["axis"]
    if not 0 <= axis < max(rank, 1):
        fail(op, f"axis {op.options['axis']} is outside rank {rank}")
    for i, tensor in enumerate(inputs):
        if per_tensor_quant(op, tensor, f"input {i}") != out_quant:
            fail(op, "all inputs must share the output's scale and zero point")
        if len(tensor.shape) != rank or any(a != b for d, (a, b) in enumerate(zip(tensor.shape, out.shape)) if d != axis):
            fail(op, f"input {tensor.shape} does not concatenate into {out.shape} along axis {axis}")
    if sum(t.shape[axis] for t in inputs) != out.shape[axis]:
        fail(op, f"inputs do not add up to the output's size on axis {axis}")
    copy_sizes = [int(np.prod(t.shape[axis:], dtype=np.int64)) for t in inputs]
    params = {
        "outer_size": int(np.prod(out.shape[:axis], dtype=np.int64)),
        "num_inputs": len(inputs),
        "copy_sizes": f"{name}_copy_sizes",
    }
    return Layer(op, "tg_concatenation_s8", "tg_concatenation_params_t", params,
                 [TensorListArg(tuple(t.index for t in inputs)), TensorArg(out.index)],
                 [ConstArray(f"{name}_copy_sizes", "int32_t", np.array(copy_sizes, dtype=np.int32))])
