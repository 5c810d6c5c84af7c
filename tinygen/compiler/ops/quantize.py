"""QUANTIZE (float32 -> int8, int8 -> int8) and DEQUANTIZE (int8 -> float32): the model's float edges."""

from ...model.graph import Graph, Operator
from .. import quantization as q
from ..layer import (Layer, TensorArg, clamp_params, fail, io_tensors, per_tensor_quant, require_same_size,
                     tensor_requant_params)


def lower_quantize(graph: Graph, op: Operator, name: str) -> Layer:
    (inp,), out = io_tensors(graph, op, 1)
    require_same_size(op, inp, out)
    out_scale, out_zp = per_tensor_quant(op, out, "output")
    args = [TensorArg(inp.index), TensorArg(out.index)]
    if inp.dtype == "float32":
        params = {"size": inp.size, "zero_point": out_zp, "scale": out_scale}
        return Layer(op, "tg_quantize_f32_s8", "tg_affine_params_t", params, args)
    if inp.dtype == "int8":
        in_scale, in_zp = per_tensor_quant(op, inp, "input")
        multiplier, shift = q.quantize_multiplier(in_scale / out_scale)
        params = {"size": inp.size, "input_zero_point": in_zp,
                  "output": tensor_requant_params(multiplier, shift, out_zp, clamp_params(q.INT8_MIN, q.INT8_MAX))}
        return Layer(op, "tg_requantize_s8", "tg_requantize_params_t", params, args)
    fail(op, f"quantizing from {inp.dtype} is not supported (float32 or int8 input)")


def lower_dequantize(graph: Graph, op: Operator, name: str) -> Layer:
    (inp,), out = io_tensors(graph, op, 1)
    require_same_size(op, inp, out)
    in_scale, in_zp = per_tensor_quant(op, inp, "input")
    if out.dtype != "float32":
        fail(op, f"dequantizing to {out.dtype} is not supported (float32 output)")
    params = {"size": inp.size, "zero_point": in_zp, "scale": in_scale}
    return Layer(op, "tg_dequantize_s8_f32", "tg_affine_params_t", params, [TensorArg(inp.index), TensorArg(out.index)])
