"""ADD and MUL, int8, with numpy-style broadcasting resolved to strides at generation time; inputs of
one shape go to kernels that take TFLM's rescalings in a cheaper, equal form (tg_same_shape.h)."""

import numpy as np

from ...model.graph import Graph, Operator, Tensor
from .. import quantization as q
from ..layer import (MAX_DIMS, Layer, TensorArg, fail, fused_activation, io_tensors, pad_shape, per_tensor_quant,
                     tensor_requant_params)
from ..requant_dsp import dsp_rescale

ADD_LEFT_SHIFT = 20   # headroom TFLite gives int8 ADD before rescaling
ADD_SAME_SHAPE = "tg_add_same_shape_s8"
MUL_SAME_SHAPE = "tg_mul_same_shape_s8"
VALUE_BOUND = 255               # |x + offset| for an int8 x and its offset (-zero point)
PRODUCT_BOUND = VALUE_BOUND ** 2
SCALED_BOUND = VALUE_BOUND << ADD_LEFT_SHIFT            # ADD's input before its rescaling
SUM_BOUND = 2 * (VALUE_BOUND << ADD_LEFT_SHIFT - 1) + 1  # two rescaled inputs: ratios of 1/2 at most
EXACT_RESCALE = (1 << 30, 0)    # TFLM's multiplier and shift for a ratio of 1/2: x * 2^20 becomes x * 2^19
EXACT_BIAS = 256                # makes an exact input's (x + offset) positive


def _strides(shape: list[int], output_shape: list[int]) -> list[int]:
    strides, step = [0] * MAX_DIMS, 1
    for d in reversed(range(MAX_DIMS)):
        strides[d] = 0 if shape[d] == 1 and output_shape[d] != 1 else step
        step *= shape[d]
    return strides


def _broadcast(op: Operator, a: Tensor, b: Tensor, out: Tensor) -> dict:
    if max(len(a.shape), len(b.shape), len(out.shape)) > MAX_DIMS:
        fail(op, f"tensors of rank above {MAX_DIMS} are not supported")
    sa, sb, so = pad_shape(a.shape, MAX_DIMS), pad_shape(b.shape, MAX_DIMS), pad_shape(out.shape, MAX_DIMS)
    for da, db, do in zip(sa, sb, so):
        if max(da, db) != do or min(da, db) not in (1, do):
            fail(op, f"shapes {a.shape} and {b.shape} do not broadcast to {out.shape}")
    return {"output_shape": so, "input1_strides": _strides(sa, so), "input2_strides": _strides(sb, so)}


def add_rescales(a_scale: float, b_scale: float, out_scale: float) -> tuple[dict, tuple[int, int]]:
    """TFLM's rescalings for ADD: each input to twice the larger input scale (tg_add_params_t's input
    parameters), the sum to the output (multiplier and shift)."""
    twice_max_input_scale = 2 * max(a_scale, b_scale)
    a_mult, a_shift = q.quantize_multiplier(a_scale / twice_max_input_scale)
    b_mult, b_shift = q.quantize_multiplier(b_scale / twice_max_input_scale)
    output = q.quantize_multiplier(twice_max_input_scale / ((1 << ADD_LEFT_SHIFT) * out_scale))
    return {"left_shift": ADD_LEFT_SHIFT, "input1_multiplier": a_mult, "input1_shift": a_shift,
            "input2_multiplier": b_mult, "input2_shift": b_shift}, output


def lower_add(graph: Graph, op: Operator, name: str) -> Layer:
    (a, b), out = io_tensors(graph, op, 2)
    a_scale, a_zp = per_tensor_quant(op, a, "input 1")
    b_scale, b_zp = per_tensor_quant(op, b, "input 2")
    out_scale, out_zp = per_tensor_quant(op, out, "output")
    inputs, (out_mult, out_shift) = add_rescales(a_scale, b_scale, out_scale)
    params = {
        "shape": _broadcast(op, a, b, out),
        "input1_offset": -a_zp, "input2_offset": -b_zp, **inputs,
        "output": tensor_requant_params(out_mult, out_shift, out_zp, fused_activation(op, out_scale, out_zp)),
    }
    args = [TensorArg(a.index), TensorArg(b.index), TensorArg(out.index)]
    same_shape = add_same_shape_params(params)
    if same_shape is None:
        return Layer(op, "tg_add_s8", "tg_add_params_t", params, args)
    same_shape_params, exact = same_shape
    return Layer(op, ADD_SAME_SHAPE, "tg_add_same_shape_params_t", same_shape_params,
                 [args[exact], args[1 - exact], args[2]])


def add_same_shape_params(p: dict) -> tuple[dict, int] | None:
    """The tg_add_same_shape_params_t of tg_add_s8's parameters and the position of the exact input, or
    None when the inputs broadcast or the rescalings do not fit tg_rescale_dsp. The input with the
    larger scale (TFLM's ratio 1/2) is the exact one; with equal scales both are, and the second one's
    value, made positive by EXACT_BIAS, goes through tg_rescale_dsp with the bias taken back in the
    rounding constant (exactly: 2^30 times the doubled, shifted bias is a multiple of 2^32)."""
    if _broadcasts(p["shape"]) or p["left_shift"] != ADD_LEFT_SHIFT:
        return None
    rescales = [(p["input1_multiplier"], p["input1_shift"]), (p["input2_multiplier"], p["input2_shift"])]
    if EXACT_RESCALE not in rescales:
        return None
    exact = rescales.index(EXACT_RESCALE)
    scaled = 1 - exact
    (multiplier, shift), scaled_offset = rescales[scaled], p[f"input{scaled + 1}_offset"]
    if (multiplier, shift) == EXACT_RESCALE:
        scaled_offset += EXACT_BIAS
        rescale = {"multiplier": multiplier, "rounding": -EXACT_BIAS << 19, "right_shift": 0}
    else:
        rescale = dsp_rescale(multiplier, shift, 0, SCALED_BOUND)
    output = _dsp_output(p, SUM_BOUND)
    if rescale is None or output is None:
        return None
    elements = _elements(p, p[f"input{exact + 1}_offset"], scaled_offset)
    return {"elements": elements, "scaled": rescale, "output": output}, exact


def _elements(p: dict, input1_offset: int, input2_offset: int) -> dict:
    """The tg_same_shape_t of a broadcast kernel's parameters, with the offsets of the inputs in the
    order the same-shape kernel takes them."""
    return {"size": int(np.prod(p["shape"]["output_shape"])), "input1_offset": input1_offset,
            "input2_offset": input2_offset, "clamp": p["output"]["clamp"]}


def _dsp_output(p: dict, bound: int) -> dict | None:
    """The tg_rescale_t of a broadcast kernel's output requantization (tg_tensor_requant_t), or None."""
    output = p["output"]
    return dsp_rescale(output["multiplier"], output["shift"], output["output_offset"], bound)


def _broadcasts(shape: dict) -> bool:
    """Whether either input is broadcast (a stride of 0; equal strides without one: equal shapes)."""
    strides = shape["input1_strides"]
    return 0 in strides or strides != shape["input2_strides"]


def mul_same_shape_params(p: dict) -> dict | None:
    """The tg_mul_same_shape_params_t of tg_mul_s8's parameters, or None when the inputs broadcast or
    the requantization does not fit tg_rescale_dsp (a scale of 1/2 or more: no right shift)."""
    output = _dsp_output(p, PRODUCT_BOUND)
    if _broadcasts(p["shape"]) or output is None:
        return None
    return {"elements": _elements(p, p["input1_offset"], p["input2_offset"]), "output": output}


def lower_mul(graph: Graph, op: Operator, name: str) -> Layer:
    (a, b), out = io_tensors(graph, op, 2)
    a_scale, a_zp = per_tensor_quant(op, a, "input 1")
    b_scale, b_zp = per_tensor_quant(op, b, "input 2")
    out_scale, out_zp = per_tensor_quant(op, out, "output")
    out_mult, out_shift = q.quantize_multiplier(a_scale * b_scale / out_scale)
    params = {
        "shape": _broadcast(op, a, b, out),
        "input1_offset": -a_zp, "input2_offset": -b_zp,
        "output": tensor_requant_params(out_mult, out_shift, out_zp, fused_activation(op, out_scale, out_zp)),
    }
    args = [TensorArg(a.index), TensorArg(b.index), TensorArg(out.index)]
    same_shape = mul_same_shape_params(params)
    if same_shape is None:
        return Layer(op, "tg_mul_s8", "tg_mul_params_t", params, args, macs=out.size)
    return Layer(op, MUL_SAME_SHAPE, "tg_mul_same_shape_params_t", same_shape, args, macs=out.size)
