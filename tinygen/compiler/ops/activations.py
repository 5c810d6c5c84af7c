"""SOFTMAX, LOGISTIC, TANH, RELU and RELU6 on int8, with TFLM's fixed-point input scaling."""

from ...model.graph import Graph, Operator
from .. import quantization as q
from ..layer import (Layer, TensorArg, clamp_params, fail, io_tensors, per_tensor_quant, require_same_size,
                     tensor_requant_params)

SOFTMAX_DIFF_INTEGER_BITS = 5
SIGMOID_INPUT_INTEGER_BITS = 4


def _unary(graph: Graph, op: Operator):
    (inp,), out = io_tensors(graph, op, 1)
    require_same_size(op, inp, out)
    return inp, out, per_tensor_quant(op, inp, "input"), per_tensor_quant(op, out, "output")


def lower_softmax(graph: Graph, op: Operator, name: str) -> Layer:
    inp, out, (in_scale, _), (out_scale, out_zp) = _unary(graph, op)
    if not inp.shape or inp.shape != out.shape:
        # TFLM's kernel takes the rows from the input's last dimension and assumes the output's shape matches.
        fail(op, f"input {inp.shape} and output {out.shape} must have the same shape, of rank 1 or more")
    if (out_scale, out_zp) != (1.0 / 256, -128):
        fail(op, f"int8 output must have scale 1/256 and zero point -128 (has {out_scale}, {out_zp})")
    beta = float(op.options["beta"])
    scaled_beta = beta * in_scale * (1 << (31 - SOFTMAX_DIFF_INTEGER_BITS))
    if not scaled_beta > 1.0:     # also NaN; TFLM's Prepare aborts (QuantizeMultiplierGreaterThanOne)
        fail(op, f"beta {beta:g} times the input scale {in_scale:g} times 2^26 is {scaled_beta:g}; TFLM needs it "
                 "above 1 (a positive beta; a missing SoftmaxOptions table means beta 0)")
    # TFLM caps the multiplier below 2^31, so its shift may reach 31.
    multiplier, left_shift = q.quantize_multiplier(min(scaled_beta, (1 << 31) - 1.0), max_shift=31)
    depth = inp.shape[-1]
    params = {
        "outer_size": inp.size // depth, "depth": depth,
        "input_multiplier": multiplier, "input_left_shift": left_shift,
        "diff_min": -q.input_radius(SOFTMAX_DIFF_INTEGER_BITS, left_shift),
    }
    return Layer(op, "tg_softmax_s8", "tg_softmax_params_t", params, [TensorArg(inp.index), TensorArg(out.index)])


def _lower_sigmoid(graph: Graph, op: Operator, kernel: str) -> Layer:
    inp, out, (in_scale, in_zp), _ = _unary(graph, op)
    multiplier, left_shift = q.frexp_multiplier(in_scale * (1 << (31 - SIGMOID_INPUT_INTEGER_BITS)))
    params = {
        "size": inp.size, "input_zero_point": in_zp,
        "input_range_radius": q.input_radius(SIGMOID_INPUT_INTEGER_BITS, left_shift),
        "input_multiplier": multiplier, "input_left_shift": left_shift,
    }
    return Layer(op, kernel, "tg_sigmoid_params_t", params, [TensorArg(inp.index), TensorArg(out.index)])


def lower_logistic(graph: Graph, op: Operator, name: str) -> Layer:
    (_, out) = io_tensors(graph, op, 1)
    if per_tensor_quant(op, out, "output")[1] != -128:
        fail(op, "int8 output must have zero point -128")
    return _lower_sigmoid(graph, op, "tg_logistic_s8")


def lower_tanh(graph: Graph, op: Operator, name: str) -> Layer:
    return _lower_sigmoid(graph, op, "tg_tanh_s8")


def lower_relu(graph: Graph, op: Operator, name: str) -> Layer:
    inp, out, (in_scale, in_zp), (out_scale, out_zp) = _unary(graph, op)
    multiplier, shift = q.quantize_multiplier(in_scale / out_scale)
    clamp = clamp_params(max(q.INT8_MIN, out_zp), q.INT8_MAX)
    params = {"size": inp.size, "input_zero_point": in_zp,
              "output": tensor_requant_params(multiplier, shift, out_zp, clamp)}
    return Layer(op, "tg_relu_s8", "tg_requantize_params_t", params, [TensorArg(inp.index), TensorArg(out.index)])


def lower_relu6(graph: Graph, op: Operator, name: str) -> Layer:
    inp, out, (in_scale, in_zp), _ = _unary(graph, op)
    params = {"size": inp.size, "clamp": clamp_params(in_zp, q.float_to_int8(6.0, in_scale, in_zp))}
    return Layer(op, "tg_relu6_s8", "tg_clamp_params_t", params, [TensorArg(inp.index), TensorArg(out.index)])
