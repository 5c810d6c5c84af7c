"""FULLY_CONNECTED: per-tensor or per-channel requantization, any input rank flattened to batches."""

from ...model.graph import Graph, Operator
from .. import quantization as q
from ..layer import (Layer, TensorArg, channel_arrays, constant, fail, fused_activation, io_tensors,
                     optional_bias, per_tensor_quant)


def lower_fully_connected(graph: Graph, op: Operator, name: str) -> Layer:
    (inp, flt, *rest), out = io_tensors(graph, op, 2)
    in_scale, in_zp = per_tensor_quant(op, inp, "input")
    out_scale, out_zp = per_tensor_quant(op, out, "output")
    flt = constant(op, flt, "weights", ("int8",))
    if op.options["weights_format"] != 0:
        fail(op, "only the DEFAULT weights format is supported (not shuffled weights)")
    if len(flt.shape) != 2:
        fail(op, f"weights have shape {flt.shape}; expected [units, inputs]")
    output_depth, accum_depth = flt.shape
    if accum_depth == 0 or inp.size % accum_depth or out.size != (inp.size // accum_depth) * output_depth:
        fail(op, f"weights {flt.shape} do not match input {inp.shape} and output {out.shape}")
    scales = flt.quant.scale
    if len(scales) not in (1, output_depth):
        fail(op, f"weights have {len(scales)} scales for {output_depth} units")
    filter_zp = int(flt.quant.zero_point[0])
    if len(scales) > 1 and any(zp != 0 for zp in flt.quant.zero_point):
        fail(op, "per-channel weights must have zero points of 0")
    pairs = [q.quantize_multiplier(in_scale * float(s) / out_scale) for s in scales]
    params = {
        "batches": inp.size // accum_depth, "accum_depth": accum_depth, "output_depth": output_depth,
        "input_offset": -in_zp, "filter_offset": -filter_zp, "output_offset": out_zp,
        **fused_activation(op, out_scale, out_zp),
        "per_channel": int(len(scales) > 1),
        "multipliers": f"{name}_multipliers", "shifts": f"{name}_shifts",
    }
    bias = optional_bias(op, rest[0] if rest else None, output_depth)
    return Layer(op, "tg_fully_connected_s8", "tg_fully_connected_params_t", params,
                 [TensorArg(inp.index), TensorArg(flt.index), bias, TensorArg(out.index)],
                 channel_arrays(name, [m for m, _ in pairs], [s for _, s in pairs]),
                 macs=inp.size // accum_depth * output_depth * accum_depth, weight_form="dense")
