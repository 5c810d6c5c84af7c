"""ADD and MUL, int8, with numpy-style broadcasting resolved to strides at generation time."""

from ...model.graph import Graph, Operator, Tensor
from .. import quantization as q
from ..layer import MAX_DIMS, Layer, TensorArg, fail, fused_activation, io_tensors, pad_shape, per_tensor_quant

ADD_LEFT_SHIFT = 20   # headroom TFLite gives int8 ADD before rescaling


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


def add_rescales(a_scale: float, b_scale: float, out_scale: float) -> dict:
    """TFLM's rescalings for ADD: each input to twice the larger input scale, the sum to the output."""
    twice_max_input_scale = 2 * max(a_scale, b_scale)
    a_mult, a_shift = q.quantize_multiplier(a_scale / twice_max_input_scale)
    b_mult, b_shift = q.quantize_multiplier(b_scale / twice_max_input_scale)
    out_mult, out_shift = q.quantize_multiplier(twice_max_input_scale / ((1 << ADD_LEFT_SHIFT) * out_scale))
    return {"left_shift": ADD_LEFT_SHIFT, "input1_multiplier": a_mult, "input1_shift": a_shift,
            "input2_multiplier": b_mult, "input2_shift": b_shift,
            "output_multiplier": out_mult, "output_shift": out_shift}


def lower_add(graph: Graph, op: Operator, name: str) -> Layer:
    (a, b), out = io_tensors(graph, op, 2)
    a_scale, a_zp = per_tensor_quant(op, a, "input 1")
    b_scale, b_zp = per_tensor_quant(op, b, "input 2")
    out_scale, out_zp = per_tensor_quant(op, out, "output")
    params = {
        "shape": _broadcast(op, a, b, out),
        "input1_offset": -a_zp, "input2_offset": -b_zp, "output_offset": out_zp,
        **add_rescales(a_scale, b_scale, out_scale),
        **fused_activation(op, out_scale, out_zp),
    }
    return Layer(op, "tg_add_s8", "tg_add_params_t", params,
                 [TensorArg(a.index), TensorArg(b.index), TensorArg(out.index)])


def lower_mul(graph: Graph, op: Operator, name: str) -> Layer:
    (a, b), out = io_tensors(graph, op, 2)
    a_scale, a_zp = per_tensor_quant(op, a, "input 1")
    b_scale, b_zp = per_tensor_quant(op, b, "input 2")
    out_scale, out_zp = per_tensor_quant(op, out, "output")
    out_mult, out_shift = q.quantize_multiplier(a_scale * b_scale / out_scale)
    params = {
        "shape": _broadcast(op, a, b, out),
        "input1_offset": -a_zp, "input2_offset": -b_zp, "output_offset": out_zp,
        "output_multiplier": out_mult, "output_shift": out_shift,
        **fused_activation(op, out_scale, out_zp),
    }
    return Layer(op, "tg_mul_s8", "tg_mul_params_t", params,
                 [TensorArg(a.index), TensorArg(b.index), TensorArg(out.index)], macs=out.size)
