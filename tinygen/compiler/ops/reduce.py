"""MEAN over any set of axes, int8, with an int32 scratch buffer for the sums."""

from ...model.graph import Graph, Operator
from .. import quantization as q
from ..layer import MAX_DIMS, Layer, ScratchArg, TensorArg, constant, fail, io_tensors, pad_shape, per_tensor_quant



def _reduced_axes(op: Operator, axes: list[int], rank: int) -> list[int]:
    resolved = []
    for axis in axes:
        axis = axis + rank if axis < 0 else axis
        if not 0 <= axis < rank:
            fail(op, f"axis {axis} is outside rank {rank}")
        if axis not in resolved:
            resolved.append(axis)
    return resolved


def _folded_multiplier(multiplier: int, shift: int, count: int) -> tuple[int, int]:
    """Folds the division by `count` into the Q31 multiplier, keeping as many bits as TFLM does."""
    fold = min(count.bit_length() - 1, 32, 31 + shift)
    return (multiplier << fold) // count, shift - fold


def lower_mean(graph: Graph, op: Operator, name: str) -> Layer:
    (inp, axes), out = io_tensors(graph, op, 2)
    in_scale, in_zp = per_tensor_quant(op, inp, "input")
    out_scale, out_zp = per_tensor_quant(op, out, "output")
    axes = constant(op, axes, "axes", ("int32", "int64"))
    rank = len(inp.shape)
    if rank > MAX_DIMS:
        fail(op, f"inputs of rank above {MAX_DIMS} are not supported")
    reduced = _reduced_axes(op, [int(a) for a in axes.data.reshape(-1)], rank)
    count = 1
    for axis in reduced:
        count *= inp.shape[axis]
    kept = [d for d in range(rank) if d not in reduced]
    output_size = 1
    for d in kept:
        output_size *= inp.shape[d]
    if output_size != out.size or count == 0:
        fail(op, f"output {out.shape} does not match input {inp.shape} reduced over axes {reduced}")
    strides, step = [0] * rank, 1
    for d in reversed(kept):
        strides[d] = step
        step *= inp.shape[d]
    multiplier, shift = _folded_multiplier(*q.quantize_multiplier(in_scale / out_scale), count)
    params = {
        "input_shape": pad_shape(inp.shape, MAX_DIMS),
        "output_strides": [0] * (MAX_DIMS - rank) + strides,
        "output_size": output_size,
        "input_zero_point": in_zp, "output_zero_point": out_zp,
        "num_reduced": count, "multiplier": multiplier, "shift": shift,
    }
    return Layer(op, "tg_mean_s8", "tg_mean_params_t", params,
                 [TensorArg(inp.index), ScratchArg("int32_t"), TensorArg(out.index)],
                 scratch_bytes=mean_scratch_bytes(output_size))


def mean_scratch_bytes(output_size: int) -> int:
    """tg_mean_s8_scratch_bytes(output_size): one int32 sum per output."""
    return 4 * output_size
