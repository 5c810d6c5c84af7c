"""CONV_2D and DEPTHWISE_CONV_2D: padding, per-channel requantization and clamps fixed at generation."""

from ...model.graph import Graph, Operator
from .. import quantization as q
from ..layer import (INT16_MAX, Layer, TensorArg, channel_arrays, channel_requant_params, constant, fail,
                     fused_activation, io_tensors, optional_bias, per_tensor_quant, require_rank, weight_scales, window)


def _per_channel_multipliers(op: Operator, input_scale: float, flt, output_scale: float,
                             channels: int) -> tuple[list[int], list[int]]:
    scales = weight_scales(op, flt, channels)
    if any(zp != 0 for zp in flt.quant.zero_point):
        fail(op, "filter zero points must be 0 (symmetric int8 weights)")
    pairs = [q.quantize_multiplier(input_scale * float(scales[c if len(scales) > 1 else 0]) / output_scale)
             for c in range(channels)]
    return [m for m, _ in pairs], [s for _, s in pairs]


def _operands(graph: Graph, op: Operator):
    (inp, flt, *rest), out = io_tensors(graph, op, 2, optional=1)
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
    if inp.shape[0] != out.shape[0]:
        fail(op, f"input {inp.shape} and output {out.shape} differ in batch size")
    multipliers, shifts = _per_channel_multipliers(op, in_scale, flt, out_scale, out_c)
    params = {
        "batches": inp.shape[0], "input_h": inp.shape[1], "input_w": inp.shape[2], "input_c": inp.shape[3],
        **shape_params,
        "output_h": out.shape[1], "output_w": out.shape[2], "output_c": out_c,
        "window": window(op, inp.shape[1:3], flt.shape[1:3], out.shape[1:3]),
        "dilation_h": op.options["dilation_h"], "dilation_w": op.options["dilation_w"],
        "input_offset": -in_zp,
        "requant": channel_requant_params(name, out_zp, fused_activation(op, out_scale, out_zp)),
    }
    return Layer(op, kernel, params_type, params,
                 [TensorArg(inp.index), TensorArg(flt.index), optional_bias(op, bias, out_c), TensorArg(out.index)],
                 channel_arrays(name, multipliers, shifts), macs=macs, weight_form="dense")


def lower_conv_2d(graph: Graph, op: Operator, name: str) -> Layer:
    operands = _operands(graph, op)
    inp, flt, _, out, _ = operands
    out_c, k_h, k_w, filter_c = flt.shape
    in_c = inp.shape[3]
    if out.shape[3] != out_c or not 0 < filter_c <= in_c or in_c % filter_c or out_c % (in_c // filter_c):
        fail(op, f"filter {flt.shape} does not match input {inp.shape} and output {out.shape}")
    if op.options["quantized_bias_type"] not in (0, 2):
        fail(op, f"quantized_bias_type {op.options['quantized_bias_type']} is not the default or INT32")
    return _layer(op, name, "tg_convolve_s8", "tg_conv_params_t", operands, {"filter_c": filter_c},
                  macs=out.size * k_h * k_w * filter_c)


def lower_depthwise_conv_2d(graph: Graph, op: Operator, name: str) -> Layer:
    operands = _operands(graph, op)
    inp, flt, _, out, _ = operands
    _, k_h, k_w, out_c = flt.shape
    in_c = inp.shape[3]
    if in_c == 0 or out_c % in_c or out.shape[3] != out_c:
        fail(op, f"filter {flt.shape} does not match input {inp.shape} and output {out.shape}")
    if out_c // in_c > INT16_MAX:
        fail(op, f"depth multiplier {out_c // in_c} exceeds {INT16_MAX}: TFLM's kernel holds it in int16")
    if op.options["depth_multiplier"] != out_c // in_c:
        # TFLM's kernel loops over the option, so any other value computes other outputs than the shapes say.
        fail(op, f"depth_multiplier is {op.options['depth_multiplier']} but the filter's {out_c} channels for "
                 f"{in_c} input channels make it {out_c // in_c}")
    return _layer(op, name, "tg_depthwise_conv_s8", "tg_depthwise_conv_params_t", operands,
                  {"depth_multiplier": out_c // in_c},
                  macs=out.size * k_h * k_w)
