"""CONV_2D and DEPTHWISE_CONV_2D: padding, per-channel requantization and clamps fixed at generation."""

from ...model.graph import Graph, Operator
from .. import quantization as q
from ..layer import (Layer, TensorArg, channel_arrays, constant, fail, fused_activation, io_tensors,
                     optional_bias, per_tensor_quant, require_rank)


def _per_channel_multipliers(op: Operator, input_scale: float, filter_quant, output_scale: float,
                             channels: int) -> tuple[list[int], list[int]]:
    scales = filter_quant.scale
    if len(scales) not in (1, channels):
        fail(op, f"filter has {len(scales)} scales for {channels} output channels")
    if any(zp != 0 for zp in filter_quant.zero_point):
        fail(op, "filter zero points must be 0 (symmetric int8 weights)")
    multipliers, shifts = [], []
    for c in range(channels):
        filter_scale = float(scales[c if len(scales) > 1 else 0])
        multiplier, shift = q.quantize_multiplier(input_scale * filter_scale / output_scale)
        multipliers.append(multiplier)
        shifts.append(shift)
    return multipliers, shifts


def _window(op: Operator, in_h: int, in_w: int, k_h: int, k_w: int, out_h: int, out_w: int) -> dict:
    o = op.options
    if o["padding"] not in ("SAME", "VALID"):
        fail(op, f"padding {o['padding']} is not supported")
    if min(o["stride_h"], o["stride_w"], o["dilation_h"], o["dilation_w"]) < 1:
        fail(op, "strides and dilation factors must be at least 1")
    expected = (q.output_size(o["padding"], in_h, k_h, o["stride_h"], o["dilation_h"]),
                q.output_size(o["padding"], in_w, k_w, o["stride_w"], o["dilation_w"]))
    if expected != (out_h, out_w):
        fail(op, f"output is {out_h}x{out_w} but {o['padding']} padding gives {expected[0]}x{expected[1]}")
    return {
        "stride_h": o["stride_h"], "stride_w": o["stride_w"],
        "dilation_h": o["dilation_h"], "dilation_w": o["dilation_w"],
        "pad_h": q.leading_padding(o["stride_h"], o["dilation_h"], in_h, k_h, out_h),
        "pad_w": q.leading_padding(o["stride_w"], o["dilation_w"], in_w, k_w, out_w),
    }


def _operands(graph: Graph, op: Operator):
    (inp, flt, *rest), out = io_tensors(graph, op, 2)
    quants = per_tensor_quant(op, inp, "input"), per_tensor_quant(op, out, "output")
    flt = constant(op, flt, "filter", ("int8",))
    for tensor, role in ((inp, "input"), (flt, "filter"), (out, "output")):
        require_rank(op, tensor, 4, role)
    return inp, flt, rest[0] if rest else None, out, quants


def _layer(op: Operator, name: str, kernel: str, params_type: str, operands, shape_params: dict,
           macs: int) -> Layer:
    """The parts CONV_2D and DEPTHWISE_CONV_2D share: window, offsets, clamp, per-channel scales."""
    inp, flt, bias, out, ((in_scale, in_zp), (out_scale, out_zp)) = operands
    out_c = out.shape[3]
    multipliers, shifts = _per_channel_multipliers(op, in_scale, flt.quant, out_scale, out_c)
    params = {
        "batches": inp.shape[0], "input_h": inp.shape[1], "input_w": inp.shape[2], "input_c": inp.shape[3],
        **shape_params,
        "output_h": out.shape[1], "output_w": out.shape[2], "output_c": out_c,
        **_window(op, inp.shape[1], inp.shape[2], shape_params["filter_h"], shape_params["filter_w"],
                  out.shape[1], out.shape[2]),
        "input_offset": -in_zp, "output_offset": out_zp,
        **fused_activation(op, out_scale, out_zp),
        "multipliers": f"{name}_multipliers", "shifts": f"{name}_shifts",
    }
    return Layer(op, kernel, params_type, params,
                 [TensorArg(inp.index), TensorArg(flt.index), optional_bias(op, bias, out_c), TensorArg(out.index)],
                 channel_arrays(name, multipliers, shifts), macs=macs, weight_form="dense")


def lower_conv_2d(graph: Graph, op: Operator, name: str) -> Layer:
    operands = _operands(graph, op)
    inp, flt, _, out, _ = operands
    out_c, k_h, k_w, filter_c = flt.shape
    in_c = inp.shape[3]
    if out.shape[3] != out_c or filter_c == 0 or in_c % filter_c or out_c % (in_c // filter_c):
        fail(op, f"filter {flt.shape} does not match input {inp.shape} and output {out.shape}")
    return _layer(op, name, "tg_convolve_s8", "tg_conv_params_t", operands, {"filter_h": k_h, "filter_w": k_w, "filter_c": filter_c},
                  macs=out.size * k_h * k_w * filter_c)


def lower_depthwise_conv_2d(graph: Graph, op: Operator, name: str) -> Layer:
    operands = _operands(graph, op)
    inp, flt, _, out, _ = operands
    _, k_h, k_w, out_c = flt.shape
    in_c = inp.shape[3]
    # TFLM derives the multiplier from the shapes; the option may be stale or 0 in older files.
    if in_c == 0 or out_c % in_c or out.shape[3] != out_c:
        fail(op, f"filter {flt.shape} does not match input {inp.shape} and output {out.shape}")
    return _layer(op, name, "tg_depthwise_conv_s8", "tg_depthwise_conv_params_t", operands,
                  {"filter_h": k_h, "filter_w": k_w, "depth_multiplier": out_c // in_c},
                  macs=out.size * k_h * k_w)
