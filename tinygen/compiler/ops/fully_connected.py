"""FULLY_CONNECTED: per-tensor or per-channel requantization, any input rank flattened to batches."""

import numpy as np

from ...model.graph import Graph, Operator
from .. import quantization as q
from ..layer import (Layer, TensorArg, channel_arrays, channel_requant_params, constant, fail, fused_activation,
                     io_tensors, optional_bias, per_tensor_quant, weight_scales)


def lower_fully_connected(graph: Graph, op: Operator, name: str) -> Layer:
    (inp, flt, *rest), out = io_tensors(graph, op, 2, optional=1)
    in_scale, in_zp = per_tensor_quant(op, inp, "input")
    out_scale, out_zp = per_tensor_quant(op, out, "output")
    flt = constant(op, flt, "weights", ("int8",))
    if op.options["weights_format"] != 0:
        fail(op, "only the DEFAULT weights format is supported (not shuffled weights)")
    if len(flt.shape) != 2:
        fail(op, f"weights have shape {flt.shape}; expected [units, inputs]")
    output_depth, accum_depth = flt.shape
    # TFLM takes the units from the output's last dimension and the batches from the rest of it.
    if (accum_depth == 0 or inp.size % accum_depth or out.size != (inp.size // accum_depth) * output_depth
            or not out.shape or out.shape[-1] != output_depth):
        fail(op, f"weights {flt.shape} do not match input {inp.shape} and output {out.shape}")
    if op.options["quantized_bias_type"] not in (0, 2):
        fail(op, f"quantized_bias_type {op.options['quantized_bias_type']} is not the default or INT32")
    scales = weight_scales(op, flt, output_depth)
    filter_zp = int(flt.quant.zero_point[0])
    if len(scales) > 1 and any(zp != 0 for zp in flt.quant.zero_point):
        fail(op, "per-channel weights must have zero points of 0")
    if not q.INT8_MIN <= filter_zp <= q.INT8_MAX:
        fail(op, f"weights zero point {filter_zp} is outside int8")
    bias = rest[0] if rest else None
    if len(scales) > 1:
        pairs = [q.quantize_multiplier(in_scale * float(s) / out_scale) for s in scales]
    else:
        # TFLM's per-tensor path (GetQuantizedConvolutionMultipler) checks the bias scale against the
        # input and weight scales, and multiplies those two in float32 before dividing in double.
        bias_scale = float(bias.quant.scale[0]) if bias is not None and bias.quant else 0.0
        if bias is not None and not abs(in_scale * float(scales[0]) - bias_scale) / out_scale <= 0.02:
            fail(op, f"bias scale {bias_scale:g} is not the input scale times the weights scale "
                     f"({in_scale * float(scales[0]):g}), as TFLM requires")
        pairs = [q.quantize_multiplier(float(np.float32(in_scale) * np.float32(scales[0])) / out_scale)]
    params = {
        "batches": inp.size // accum_depth, "accum_depth": accum_depth, "output_depth": output_depth,
        "input_offset": -in_zp, "filter_offset": -filter_zp,
        "per_channel": int(len(scales) > 1),
        "requant": channel_requant_params(name, out_zp, fused_activation(op, out_scale, out_zp)),
    }
    bias = optional_bias(op, bias, output_depth)
    return Layer(op, "tg_fully_connected_s8", "tg_fully_connected_params_t", params,
                 [TensorArg(inp.index), TensorArg(flt.index), bias, TensorArg(out.index)],
                 channel_arrays(name, [m for m, _ in pairs], [s for _, s in pairs]),
                 macs=inp.size // accum_depth * output_depth * accum_depth, weight_form="dense")
