"""What lowering produces: one Layer per operator, a kernel call with constant parameters."""

from dataclasses import dataclass, field

import numpy as np

from ..errors import UnsupportedModelError
from ..model.graph import Graph, Operator, Tensor
from . import quantization as q

MAX_DIMS = 6   # matches TG_MAX_DIMS in tg_kernels.h
INT16_MAX = (1 << 15) - 1


@dataclass(frozen=True)
class TensorArg:
    """A tensor's buffer: arena, model input/output or constant array, resolved at codegen."""
    index: int


@dataclass(frozen=True)
class TensorListArg:
    """An array of tensor buffers (for ops with a variable number of inputs)."""
    indices: tuple[int, ...]


@dataclass(frozen=True)
class ScratchArg:
    """A planned scratch buffer private to the layer."""
    ctype: str


NULL_ARG = "NULL"


@dataclass
class ConstArray:
    """A constant made by lowering, in weights.c; also a kernel argument by its name."""
    name: str
    ctype: str
    values: np.ndarray


@dataclass
class Layer:
    op: Operator
    kernel: str | None                 # C function (and its file name); None for an alias (RESHAPE)
    params_type: str | None = None
    params: dict = field(default_factory=dict)
    args: list = field(default_factory=list)
    arrays: list[ConstArray] = field(default_factory=list)
    scratch_bytes: int = 0
    macs: int = 0
    name: str = ""                     # C identifier, set by the compiler
    weight_form: str | None = None     # "dense" or "sparse" for layers with an int8 weight tensor
    sparse_saved_bytes: int = 0        # flash the sparse form saves over the dense array
    variant: str = "portable"          # "portable" C or "dsp" (compiler/variants.py)

    def read_tensors(self) -> list[int]:
        """The tensors the layer reads: its arguments but the last (the output), lists of tensors included."""
        reads = [arg.index for arg in self.args[:-1] if isinstance(arg, TensorArg)]
        return reads + [index for arg in self.args if isinstance(arg, TensorListArg) for index in arg.indices]


def fail(op: Operator, problem: str):
    raise UnsupportedModelError(f"operator {op.index} ({op.op_type}): {problem}")


def io_tensors(graph: Graph, op: Operator, required: int, optional: int = 0) -> tuple[list[Tensor | None], Tensor]:
    """The op's inputs (None for an omitted optional one, index -1) and its one output, with the
    counts TFLM's Prepare insists on."""
    if not required <= len(op.inputs) <= required + optional:
        counts = f"{required}" if not optional else f"{required} to {required + optional}"
        fail(op, f"has {len(op.inputs)} inputs; it takes {counts}")
    if len(op.outputs) != 1 or op.outputs[0] < 0:
        fail(op, f"has outputs {op.outputs}; it writes exactly one tensor")
    missing = [position for position, index in enumerate(op.inputs[:required]) if index < 0]
    if missing:
        fail(op, f"input {missing[0]} is omitted (-1) but required")
    return [graph.tensor(i) for i in op.inputs], graph.tensors[op.outputs[0]]


def per_tensor_quant(op: Operator, tensor: Tensor, role: str, dtype: str = "int8") -> tuple[float, int]:
    """Scale and zero point of an activation tensor, checking its type and quantization."""
    if tensor.dtype != dtype:
        fail(op, f"{role} '{tensor.name}' is {tensor.dtype}; tinygen runs {dtype} here "
                 "(full-integer int8 quantization)")
    if tensor.quant is None:
        fail(op, f"{role} '{tensor.name}' has no quantization parameters")
    if tensor.quant.per_channel:
        fail(op, f"{role} '{tensor.name}' is quantized per channel; activations must be per tensor")
    scale, zero_point = float(tensor.quant.scale[0]), int(tensor.quant.zero_point[0])
    if scale <= 0 or not q.INT8_MIN <= zero_point <= q.INT8_MAX:
        fail(op, f"{role} '{tensor.name}' has an invalid scale {scale} or zero point {zero_point}")
    return scale, zero_point


def constant(op: Operator, tensor: Tensor | None, role: str, dtypes: tuple[str, ...]) -> Tensor:
    if tensor is None or not tensor.is_constant:
        fail(op, f"{role} must be a constant tensor")
    if tensor.dtype not in dtypes:
        fail(op, f"{role} '{tensor.name}' is {tensor.dtype}; expected {' or '.join(dtypes)}")
    if tensor.dtype == "int8" and tensor.quant is None:
        fail(op, f"{role} '{tensor.name}' has no quantization parameters")
    return tensor


def optional_bias(op: Operator, tensor: Tensor | None, channels: int):
    """The bias argument: a constant int32 vector with one value per output channel, or NULL."""
    if tensor is None:
        return NULL_ARG
    bias = constant(op, tensor, "bias", ("int32",))
    if bias.size != channels:
        fail(op, f"bias has {bias.size} values for {channels} output channels")
    return TensorArg(bias.index)


def require_same_size(op: Operator, inp: Tensor, out: Tensor) -> None:
    """Element-wise kernels run over the input's elements: the output must hold exactly as many."""
    if inp.size != out.size:
        fail(op, f"input {inp.shape} and output {out.shape} differ in size")


def require_rank(op: Operator, tensor: Tensor, rank: int, role: str) -> None:
    if len(tensor.shape) != rank:
        fail(op, f"{role} '{tensor.name}' has shape {tensor.shape}; expected rank {rank}")


def pad_shape(shape: tuple[int, ...], rank: int) -> list[int]:
    """A shape extended with leading ones to `rank` dimensions."""
    return [1] * (rank - len(shape)) + list(shape)


def channel_arrays(layer_key: str, multipliers: list[int], shifts: list[int]) -> list[ConstArray]:
    return [ConstArray(f"{layer_key}_multipliers", "int32_t", np.array(multipliers, dtype=np.int32)),
            ConstArray(f"{layer_key}_shifts", "int32_t", np.array(shifts, dtype=np.int32))]


# The parts of the kernels' parameter structs (tg_kernels.h), built here alone.

def clamp_params(act_min: int, act_max: int) -> dict:
    """tg_clamp_t: an activation's clamp on int8 outputs."""
    return {"act_min": act_min, "act_max": act_max}


def window_params(filter_hw: tuple[int, int], strides: tuple[int, int], pads: tuple[int, int]) -> dict:
    """tg_window_t: a window's size, strides and leading padding."""
    return {"filter_h": filter_hw[0], "filter_w": filter_hw[1], "stride_h": strides[0], "stride_w": strides[1],
            "pad_h": pads[0], "pad_w": pads[1]}


def windows_meet_the_image(window: dict, input_hw: tuple[int, int], output_hw: tuple[int, int]) -> bool:
    """Every output pixel's window (tg_window_t) holds at least one tap inside the image, as SAME and VALID
    padding make it: the first window reaches row and column 0 (the DSP depthwise kernel's ring of input rows
    counts on the padding being less than the filter), the last starts inside the image."""
    return all(window[f"pad_{axis}"] < window[f"filter_{axis}"]
               and (out - 1) * window[f"stride_{axis}"] - window[f"pad_{axis}"] < size
               for axis, size, out in zip("hw", input_hw, output_hw))


def channel_requant_params(layer_key: str, output_offset: int, clamp: dict) -> dict:
    """tg_channel_requant_t: the layer's multiplier and shift arrays (channel_arrays), the output offset, the clamp."""
    return {"multipliers": f"{layer_key}_multipliers", "shifts": f"{layer_key}_shifts", "output_offset": output_offset,
            "clamp": clamp}


def tensor_requant_params(multiplier: int, shift: int, output_offset: int, clamp: dict) -> dict:
    """tg_tensor_requant_t: one multiplier and shift for the tensor, the output offset, the clamp."""
    return {"multiplier": multiplier, "shift": shift, "output_offset": output_offset, "clamp": clamp}


def fused_activation(op: Operator, output_scale: float, output_zp: int) -> dict:
    """The clamp of the op's fused activation (tg_clamp_t)."""
    activation = op.options.get("activation", "NONE")
    if activation not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
        fail(op, f"fused activation {activation} is not supported")
    return clamp_params(*q.activation_range(activation, output_scale, output_zp))


def window(op: Operator, in_hw: tuple[int, int], filter_hw: tuple[int, int], out_hw: tuple[int, int]) -> dict:
    """Checks a convolution or pooling window against the shapes as TFLM's Prepare computes it, and
    returns it (tg_window_t); a convolution's dilations are in its options, checked here."""
    o = op.options
    if o["padding"] not in ("SAME", "VALID"):
        fail(op, f"padding {o['padding']} is not SAME or VALID")
    dilated = "dilation_h" in o
    names = ("stride_h", "stride_w") + (("dilation_h", "dilation_w") if dilated else ())
    for name in names:
        if o[name] < 1:
            fail(op, f"{name} is {o[name]}; it must be at least 1 (a missing option, or a missing options table, "
                     "reads as 0)")
    if min(filter_hw) < 1:
        fail(op, f"filter size {filter_hw[0]}x{filter_hw[1]} must be at least 1x1")
    strides = (o["stride_h"], o["stride_w"])
    dilations = (o["dilation_h"], o["dilation_w"]) if dilated else (1, 1)
    for axis, in_size, k, s, d, out in zip(("height", "width"), in_hw, filter_hw, strides, dilations, out_hw):
        if q.window_overflows_int32(in_size, k, s, d, out):
            fail(op, f"the {axis} window (input {in_size}, filter {k}, stride {s}, dilation {d}) overflows "
                     "TFLM's int32 window arithmetic")
    expected = tuple(q.output_size(o["padding"], *args) for args in zip(in_hw, filter_hw, strides, dilations))
    if expected != tuple(out_hw):
        fail(op, f"output is {out_hw[0]}x{out_hw[1]} but {o['padding']} padding with filter {filter_hw[0]}x"
                 f"{filter_hw[1]}, strides {strides[0]}x{strides[1]} gives {expected[0]}x{expected[1]}")
    pads = tuple(q.leading_padding(s, d, size, k, out)
                 for s, d, size, k, out in zip(strides, dilations, in_hw, filter_hw, out_hw))
    checked = {"stride_h": strides[0], "stride_w": strides[1]}
    if dilated:
        checked.update(dilation_h=dilations[0], dilation_w=dilations[1])
    checked.update(pad_h=pads[0], pad_w=pads[1])
    too_big = {name: value for name, value in checked.items() if value > INT16_MAX}
    if too_big:
        fail(op, f"window values {too_big} exceed {INT16_MAX}: TFLM's kernels hold strides, dilations and "
                 "padding in int16")
    return window_params(filter_hw, strides, pads)


def weight_scales(op: Operator, weights: Tensor, channels: int) -> tuple[float, ...]:
    """The weights' scales: one, or one per output channel along the quantized dimension, as TFLM's
    PopulateConvolutionQuantizationParams requires."""
    quant = weights.quant
    if len(quant.scale) not in (1, channels):
        fail(op, f"weights '{weights.name}' have {len(quant.scale)} scales for {channels} output channels")
    if quant.per_channel and not (0 <= quant.axis < len(weights.shape) and weights.shape[quant.axis] == channels):
        fail(op, f"weights '{weights.name}' {weights.shape} are quantized per channel along dimension {quant.axis}, "
                 f"which does not hold the {channels} output channels")
    return quant.scale
