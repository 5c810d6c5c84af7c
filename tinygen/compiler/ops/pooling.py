"""AVERAGE_POOL_2D and MAX_POOL_2D: windows and clamps fixed at generation; no requantization."""

from ...model.graph import Graph, Operator
from ..layer import Layer, TensorArg, fail, fused_activation, io_tensors, per_tensor_quant, require_rank, window


def _lower_pool(graph: Graph, op: Operator, kernel: str) -> Layer:
    (inp,), out = io_tensors(graph, op, 1)
    in_quant = per_tensor_quant(op, inp, "input")
    out_scale, out_zp = per_tensor_quant(op, out, "output")
    if in_quant != (out_scale, out_zp):
        fail(op, "input and output must share scale and zero point (as TFLite's int8 pooling requires)")
    require_rank(op, inp, 4, "input")
    require_rank(op, out, 4, "output")
    o = op.options
    batches, in_h, in_w, channels = inp.shape
    _, out_h, out_w, _ = out.shape
    if out.shape[3] != channels or out.shape[0] != batches:
        fail(op, f"output shape {out.shape} does not keep the batches and channels of input {inp.shape}")
    params = {
        "batches": batches, "input_h": in_h, "input_w": in_w, "channels": channels,
        "output_h": out_h, "output_w": out_w,
        "window": window(op, (in_h, in_w), (o["filter_h"], o["filter_w"]), (out_h, out_w)),
        "clamp": fused_activation(op, out_scale, out_zp),
    }
    return Layer(op, kernel, "tg_pool_params_t", params, [TensorArg(inp.index), TensorArg(out.index)])


def lower_average_pool_2d(graph: Graph, op: Operator, name: str) -> Layer:
    return _lower_pool(graph, op, "tg_avgpool_s8")


def lower_max_pool_2d(graph: Graph, op: Operator, name: str) -> Layer:
    return _lower_pool(graph, op, "tg_maxpool_s8")
