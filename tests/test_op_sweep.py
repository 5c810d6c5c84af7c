"""Operator sweep: int8 models built with TensorFlow (tests/tf_models.py) over a chosen set of kernel
parameters, each checked to be bit-exact with the TFLM runtime on 20 seeded random inputs.

The configurations are not a cartesian product: every kernel size, stride, padding, dilation, depth
multiplier, channel count, activation and weight quantization appears at least once. Each test also
checks that the converted model really holds the intended operators with the intended parameters, so
a converter that rewrites the graph (e.g. a dilated conv into SPACE_TO_BATCH_ND) is noticed.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

import tf_models
from tinygen.compiler import Target, compile_model
from tinygen.compiler.layer import window_params
from tinygen.compiler.ops.elementwise import ADD_SAME_SHAPE, MUL_SAME_SHAPE
from tinygen.compiler.sparse import BITMAP_DSP, LIST_KERNEL
from tinygen.compiler.variants import ADD_DSP, CONV_DSP, CONV_SHALLOW_DSP, DEPTHWISE_DSP, MATMUL_DSP, MUL_DSP
from tinygen.validation.host import validate_host

SAMPLES = 20
MAX_DIMS = 6


@dataclass(frozen=True)
class Expect:
    """One operator the model must contain, with a subset of its kernel parameters and options."""
    op_type: str
    params: dict = field(default_factory=dict)        # subset of layer.params
    options: dict = field(default_factory=dict)       # subset of the TFLite builtin options
    weight_scales: int | None = None                  # scales of input 1 (1 = per tensor)
    kernel: str | None | bool = False                 # layer.kernel, when not False
    axes: tuple[int, ...] | None = None               # contents of input 1 (MEAN axes)


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[], bytes]
    ops: tuple[str, ...]                              # every operator of the model, in order
    expects: tuple[Expect, ...]


def _pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def _window(size: int, k: int, s: int, d: int, padding: str) -> tuple[int, int]:
    """Output size and leading padding along one axis, computed as TensorFlow defines them."""
    eff = (k - 1) * d + 1
    out = math.ceil(size / s) if padding == "SAME" else math.ceil((size - eff + 1) / s)
    pad = max((out - 1) * s + eff - size, 0) // 2 if padding == "SAME" else 0
    return out, pad


def _tag(v) -> str:
    return "x".join(map(str, _pair(v)))


CASES: list[Case] = []


def conv(hwc, out_c, kernel, stride=1, padding="SAME", dilation=1, act="NONE", per_channel=True, groups=1):
    (k_h, k_w), (s_h, s_w), (d_h, d_w) = _pair(kernel), _pair(stride), _pair(dilation)
    out_h, pad_h = _window(hwc[0], k_h, s_h, d_h, padding)
    out_w, pad_w = _window(hwc[1], k_w, s_w, d_w, padding)
    params = dict(input_h=hwc[0], input_w=hwc[1], input_c=hwc[2], filter_c=hwc[2] // groups, output_h=out_h,
                  output_w=out_w, output_c=out_c, window=window_params((k_h, k_w), (s_h, s_w), (pad_h, pad_w)),
                  dilation_h=d_h, dilation_w=d_w)
    CASES.append(Case(
        f"conv-{_tag(hwc[:2])}x{hwc[2]}-o{out_c}-k{_tag(kernel)}-s{_tag(stride)}-d{_tag(dilation)}-{padding}-{act}-"
        f"{'pc' if per_channel else 'pt'}{f'-g{groups}' if groups > 1 else ''}",
        functools.partial(tf_models.conv2d, tuple(hwc), out_c, kernel, stride, padding, dilation, act, per_channel,
                          groups=groups),
        ("CONV_2D",),
        (Expect("CONV_2D", params, {"activation": act, "padding": padding}, out_c if per_channel else 1),)))


def depthwise(hwc, kernel, stride=1, padding="SAME", dilation=1, multiplier=1, act="NONE", per_channel=True):
    (k_h, k_w), (s_h, s_w), (d_h, d_w) = _pair(kernel), _pair(stride), _pair(dilation)
    out_h, pad_h = _window(hwc[0], k_h, s_h, d_h, padding)
    out_w, pad_w = _window(hwc[1], k_w, s_w, d_w, padding)
    out_c = hwc[2] * multiplier
    params = dict(input_h=hwc[0], input_w=hwc[1], input_c=hwc[2], output_h=out_h, output_w=out_w, output_c=out_c,
                  depth_multiplier=multiplier, window=window_params((k_h, k_w), (s_h, s_w), (pad_h, pad_w)),
                  dilation_h=d_h, dilation_w=d_w)
    CASES.append(Case(
        f"dwconv-{_tag(hwc[:2])}x{hwc[2]}-m{multiplier}-k{_tag(kernel)}-s{_tag(stride)}-d{_tag(dilation)}-{padding}-"
        f"{act}-{'pc' if per_channel else 'pt'}",
        functools.partial(tf_models.depthwise_conv2d, tuple(hwc), kernel, stride, padding, dilation, multiplier, act,
                          per_channel),
        ("DEPTHWISE_CONV_2D",),
        (Expect("DEPTHWISE_CONV_2D", params, {"activation": act, "padding": padding},
                out_c if per_channel else 1),)))


def fully_connected(shape, units, act="NONE", per_channel=True):
    depth = int(np.prod(shape[1:]))
    params = dict(batches=shape[0], accum_depth=depth, output_depth=units,
                  per_channel=int(per_channel and units > 1))
    CASES.append(Case(
        f"fc-in{_tag(shape)}-u{units}-{act}-{'pc' if per_channel else 'pt'}",
        functools.partial(tf_models.fully_connected, tuple(shape), units, act, per_channel),
        ("FULLY_CONNECTED",) if len(shape) == 2 else ("RESHAPE", "FULLY_CONNECTED"),
        (Expect("FULLY_CONNECTED", params, {"activation": act}, units if per_channel else 1),)))


def pool(kind, hwc, size, stride, padding):
    (f_h, f_w), (s_h, s_w) = _pair(size), _pair(stride)
    out_h, pad_h = _window(hwc[0], f_h, s_h, 1, padding)
    out_w, pad_w = _window(hwc[1], f_w, s_w, 1, padding)
    op_type = {"AVG": "AVERAGE_POOL_2D", "MAX": "MAX_POOL_2D"}[kind]
    params = dict(input_h=hwc[0], input_w=hwc[1], channels=hwc[2], output_h=out_h, output_w=out_w,
                  window=window_params((f_h, f_w), (s_h, s_w), (pad_h, pad_w)))
    CASES.append(Case(
        f"{kind.lower()}pool-{_tag(hwc[:2])}x{hwc[2]}-f{_tag(size)}-s{_tag(stride)}-{padding}",
        functools.partial(tf_models.pool2d, kind, tuple(hwc), size, stride, padding),
        (op_type,), (Expect(op_type, params, {"padding": padding, "activation": "NONE"}),)))


def _strides(shape, out_shape) -> list[int]:
    shape = [1] * (MAX_DIMS - len(shape)) + list(shape)
    out_shape = [1] * (MAX_DIMS - len(out_shape)) + list(out_shape)
    strides = [int(np.prod(shape[d + 1:])) for d in range(MAX_DIMS)]
    return [0 if shape[d] == 1 and out_shape[d] != 1 else strides[d] for d in range(MAX_DIMS)]


def binary(kind, shape_a, shape_b, act="NONE", ranges=(2.0, 0.7)):
    """Without broadcast ADD and MUL run their same-shape kernels, which take no shape."""
    out = np.broadcast_shapes(tuple(shape_a), tuple(shape_b))
    shape = {"output_shape": [1] * (MAX_DIMS - len(out)) + list(out),
             "input1_strides": _strides(shape_a, out), "input2_strides": _strides(shape_b, out)}
    if tuple(shape_a) == tuple(shape_b):
        kernel = ADD_SAME_SHAPE if kind == "ADD" else MUL_SAME_SHAPE
        expect = Expect(kind, {}, {"activation": act}, kernel=kernel)
    else:
        expect = Expect(kind, {"shape": shape}, {"activation": act})
    CASES.append(Case(
        f"{kind.lower()}-{_tag(shape_a)}-{_tag(shape_b)}-{act}{'' if ranges == (2.0, 0.7) else f'-ranges{_tag(ranges)}'}",
        functools.partial(tf_models.binary, kind, tuple(shape_a), tuple(shape_b), act, ranges=ranges),
        (kind,), (expect,)))


def softmax(shape, beta=1.0, float_io=False):
    params = dict(depth=shape[-1], outer_size=int(np.prod(shape[:-1])))
    ops = ("QUANTIZE", "SOFTMAX", "DEQUANTIZE") if float_io else ("SOFTMAX",)
    expects = [Expect("SOFTMAX", params, {"beta": beta})]
    if float_io:
        expects += [Expect("QUANTIZE", kernel="tg_quantize_f32_s8"), Expect("DEQUANTIZE", kernel="tg_dequantize_s8_f32")]
    CASES.append(Case(
        f"softmax-{_tag(shape)}-beta{beta:g}{'-float_io' if float_io else ''}",
        functools.partial(tf_models.softmax, tuple(shape), beta, float_io), ops, tuple(expects)))


def unary(kind, shape, input_range):
    CASES.append(Case(
        f"{kind.lower()}-{_tag(shape)}-range{input_range:g}",
        functools.partial(tf_models.unary, kind, tuple(shape), input_range),
        (kind,), (Expect(kind, {"size": int(np.prod(shape))}),)))


def activation_after(kind, after, shape):
    CASES.append(Case(
        f"{kind.lower()}-after-{after.lower()}-{_tag(shape)}",
        functools.partial(tf_models.activation_after, kind, after, tuple(shape)),
        (after, kind), (Expect(after, options={"activation": "NONE"} if after == "CONCATENATION" else {}),
                        Expect(kind))))


def pad(shape, paddings):
    out = [d + a + b for d, (a, b) in zip(shape, paddings)]
    params = {"pad_before": [0] * (MAX_DIMS - len(shape)) + [a for a, _ in paddings],
              "output_shape": [1] * (MAX_DIMS - len(shape)) + out}
    CASES.append(Case(
        f"pad-{_tag(shape)}-{'_'.join(f'{a}{b}' for a, b in paddings)}",
        functools.partial(tf_models.pad, tuple(shape), paddings), ("PAD",), (Expect("PAD", params),)))


def concatenation(shape, axis, copies=2):
    rank_axis = axis % len(shape)
    params = {"num_inputs": copies, "outer_size": int(np.prod(shape[:rank_axis]))}
    CASES.append(Case(
        f"concat-{_tag(shape)}-axis{axis}-n{copies}",
        functools.partial(tf_models.concatenation, tuple(shape), axis, copies),
        ("MAX_POOL_2D", "CONCATENATION"),
        (Expect("CONCATENATION", params, {"axis": rank_axis, "activation": "NONE"}),)))


def mean(shape, axes, keepdims):
    kept = [d for i, d in enumerate(shape) if i not in axes]
    params = {"num_reduced": int(np.prod([shape[a] for a in axes])), "output_size": int(np.prod(kept))}
    CASES.append(Case(
        f"mean-{_tag(shape)}-axes{''.join(map(str, axes))}-keep{int(keepdims)}",
        functools.partial(tf_models.mean, tuple(shape), list(axes), keepdims),
        ("MEAN",), (Expect("MEAN", params, {"keep_dims": keepdims}, axes=tuple(axes)),)))


# CONV_2D: kernels 1..5 (square and not), strides 1..3 (also unequal), SAME/VALID, dilation, channels
# 1/3/5/17, per-tensor and per-channel weights, every fused activation, odd spatial sizes.
conv((7, 9, 3), 5, 1, 1, "SAME", 1, "NONE", True)
conv((11, 5, 1), 3, 2, 2, "VALID", 1, "RELU", False)
conv((7, 9, 5), 17, 3, 1, "SAME", 1, "RELU6", True)
conv((13, 11, 17), 3, 4, 3, "SAME", 1, "NONE", False)
conv((9, 11, 3), 1, 5, 1, "VALID", 1, "RELU_N1_TO_1", True)
conv((7, 9, 3), 5, (1, 3), 1, "SAME", 1, "RELU", False)
conv((11, 5, 5), 3, (3, 1), (2, 1), "SAME", 1, "NONE", True)
conv((11, 9, 1), 5, (5, 2), (1, 3), "VALID", 1, "RELU6", True)
conv((9, 11, 17), 5, (2, 5), (3, 2), "SAME", 1, "RELU_N1_TO_1", False)
conv((9, 11, 3), 5, 3, 1, "SAME", 2, "NONE", True)
conv((11, 13, 5), 3, 3, 1, "VALID", (2, 3), "RELU", False)
conv((7, 9, 1), 17, (2, 3), 1, "SAME", 3, "RELU6", True)
conv((5, 7, 3), 3, (4, 3), (1, 2), "SAME", 1, "RELU", True)
conv((11, 5, 5), 5, 5, 2, "SAME", 1, "RELU6", False)
conv((7, 9, 17), 17, 1, 2, "VALID", 1, "NONE", False)
conv((11, 5, 3), 5, 3, 3, "VALID", 1, "RELU_N1_TO_1", True)
conv((3, 4, 3), 5, 5, 1, "SAME", 1, "RELU", True)             # kernel larger than the input
conv((9, 11, 3), 5, (3, 2), 2, "SAME", 2, "NONE", True)       # stride and dilation together (TFLite allows it)
conv((8, 8, 4), 8, 3, 2, "SAME", 1, "RELU", True)             # even size: asymmetric SAME padding
conv((7, 9, 12), 9, 3, 2, "SAME", 1, "RELU", True, groups=3)   # groups of 3 filters: channel pairs straddle them
conv((9, 7, 8), 6, (3, 2), 1, "SAME", 2, "NONE", False, groups=2)
# 1x1 convolutions over at least 4 channels (the DSP variant's matrix product): odd pixel and channel
# counts, depths with and without a tail of 1..3, strides (also unequal) with SAME and VALID.
conv((7, 9, 5), 7, 1, 1, "SAME", 1, "NONE", True)
conv((8, 9, 16), 6, 1, 2, "VALID", 1, "RELU", False)
conv((9, 11, 18), 3, 1, (2, 3), "SAME", 1, "RELU6", True)
conv((5, 5, 8), 16, 1, 1, "VALID", 1, "RELU_N1_TO_1", False)
conv((6, 7, 7), 9, 1, (3, 1), "SAME", 1, "RELU", True)
# More output channels than the DSP product's chunk of 32 (tg_product_dsp.c), an odd count; input_c % 4 == 0
# (the DSP convolution splits the fields straight from the image) with an odd pixel count.
conv((5, 7, 8), 37, 3, 1, "SAME", 1, "RELU", True)
conv((4, 5, 9), 67, 1, 1, "VALID", 1, "NONE", False)
# Fewer than 4 input channels (the DSP variant's im2col into halfword pairs, tg_conv_shallow_s8_dsp.c): input
# depths 1..3, strides 1 and 2 (also unequal) with SAME (border pixels on every side) and VALID, odd and even
# tap and channel counts, more channels than its chunk of 32, odd pixel counts, pairs across output rows.
conv((10, 8, 2), 37, 3, 1, "SAME", 1, "RELU", True)
conv((12, 9, 2), 6, (3, 2), (2, 1), "SAME", 1, "NONE", False)
conv((17, 10, 1), 64, (10, 4), 2, "SAME", 1, "RELU", True)    # keyword spotting's first layer, smaller
conv((9, 9, 3), 16, 3, 1, "SAME", 1, "RELU6", True)            # ResNet-8's first layer, smaller
conv((9, 11, 1), 7, 3, 2, "VALID", 1, "RELU_N1_TO_1", True)

# DEPTHWISE_CONV_2D: the same axes plus depth multipliers 1, 2, 3.
depthwise((7, 9, 3), 1, 1, "SAME", 1, 1, "NONE", True)
depthwise((11, 5, 1), 2, 2, "VALID", 1, 2, "RELU", False)
depthwise((7, 9, 5), 3, 1, "SAME", 1, 3, "RELU6", True)
depthwise((13, 11, 17), 4, 3, "SAME", 1, 1, "NONE", False)
depthwise((9, 11, 3), 5, 1, "VALID", 1, 2, "RELU_N1_TO_1", True)
depthwise((7, 9, 5), (1, 3), 1, "SAME", 1, 1, "RELU", False)
depthwise((11, 5, 3), (3, 1), (2, 1), "SAME", 1, 3, "NONE", True)
depthwise((11, 9, 1), (5, 2), (1, 3), "VALID", 1, 3, "RELU6", True)
depthwise((9, 11, 17), (2, 5), (3, 2), "SAME", 1, 2, "RELU_N1_TO_1", False)
depthwise((9, 11, 3), 3, 1, "SAME", 2, 1, "NONE", True)
depthwise((11, 13, 5), 3, 1, "VALID", (2, 3), 2, "RELU", False)
depthwise((7, 9, 1), (2, 3), 1, "SAME", 3, 1, "RELU6", True)
depthwise((7, 9, 17), 3, 2, "SAME", 1, 3, "RELU", True)
depthwise((3, 4, 5), 5, 1, "SAME", 1, 1, "NONE", False)       # kernel larger than the input
depthwise((9, 11, 3), 3, 2, "SAME", 2, 2, "RELU", True)       # stride and dilation together
depthwise((8, 8, 4), 3, 2, "SAME", 1, 1, "RELU6", True)
# Depth multiplier 1 over at least 4 channels (the DSP variant, two taps per SMLAD): channel tails of 0..3,
# filters 3x3, 5x5, 1x3, 3x1, strides 1 and 2 (also unequal) with SAME and VALID; dilated stays portable.
depthwise((9, 11, 8), 3, 1, "SAME", 1, 1, "RELU", True)
depthwise((10, 9, 9), 3, 2, "VALID", 1, 1, "RELU6", True)
depthwise((11, 10, 6), 5, 1, "SAME", 1, 1, "NONE", False)
depthwise((7, 12, 7), (1, 3), 2, "SAME", 1, 1, "RELU", True)
depthwise((9, 7, 4), (3, 1), (1, 2), "VALID", 1, 1, "NONE", True)
depthwise((8, 9, 13), 3, 2, "SAME", 1, 1, "RELU_N1_TO_1", True)
depthwise((9, 11, 8), 3, 1, "SAME", 2, 1, "RELU", True)
depthwise((12, 12, 1), 3, 2, "SAME", 1, 8, "RELU6", True)     # person detection's first layer, smaller
depthwise((9, 10, 1), 3, 1, "SAME", 1, 5, "NONE", False)
# Images tall enough that the DSP kernel keeps the input rows as a ring (variants.depthwise_rotations): KWS's
# shape, stride 2, VALID, a 5x5 and an even-height filter, with channel tails 0..3.
depthwise((25, 5, 8), 3, 1, "SAME", 1, 1, "RELU", True)
depthwise((24, 12, 7), 3, 2, "SAME", 1, 1, "RELU6", True)
depthwise((14, 9, 6), 3, 1, "VALID", 1, 1, "NONE", False)
depthwise((16, 12, 5), 5, 1, "SAME", 1, 1, "RELU", True)
depthwise((12, 9, 4), (2, 3), 1, "SAME", 1, 1, "NONE", True)

# FULLY_CONNECTED: rank-2 inputs (batch 1 and 2) and flattened 4-D inputs.
fully_connected((1, 17), 5, "NONE", True)
fully_connected((2, 17), 5, "RELU", False)
fully_connected((1, 3), 1, "RELU", True)
fully_connected((1, 10), 3, "RELU6", True)
fully_connected((1, 5), 17, "RELU_N1_TO_1", False)
fully_connected((1, 3, 5, 4), 7, "RELU", True)
fully_connected((1, 5, 7, 3), 10, "NONE", False)
fully_connected((3, 20), 9, "RELU", True)                   # a pair of batches and an odd one
fully_connected((4, 8), 2, "NONE", False)
fully_connected((3, 9), 71, "RELU6", False)                 # channels in three chunks of the DSP product

# Pooling: windows 2..3 (also non-square), strides 1..3, SAME/VALID, odd sizes.
pool("AVG", (7, 9, 3), 2, 2, "VALID")
pool("AVG", (11, 5, 5), 3, 1, "SAME")
pool("AVG", (7, 9, 17), (3, 2), (1, 3), "SAME")
pool("AVG", (11, 5, 1), (2, 3), 3, "VALID")
pool("AVG", (9, 11, 3), 3, 2, "SAME")
pool("MAX", (7, 9, 3), 2, 2, "SAME")
pool("MAX", (11, 5, 5), 3, 1, "VALID")
pool("MAX", (7, 9, 17), (2, 3), (3, 1), "SAME")
pool("MAX", (11, 5, 1), 3, 3, "SAME")
pool("MAX", (9, 11, 3), (3, 2), 2, "VALID")

# ADD and MUL: same shapes and broadcasts, with fused activations.
binary("ADD", (1, 5, 7, 3), (1, 5, 7, 3), "NONE")
binary("ADD", (1, 5, 7, 3), (1, 1, 1, 3), "RELU")
binary("ADD", (1, 5, 7, 3), (1, 5, 1, 3), "RELU6")
binary("ADD", (1, 1, 7, 1), (1, 5, 7, 3), "NONE")
binary("ADD", (1, 5, 7, 3), (3,), "RELU")
# ADD without broadcast: scales close to each other, far apart (a large right shift), either one larger.
binary("ADD", (1, 8, 8, 16), (1, 8, 8, 16), "RELU", ranges=(1.0, 1.01))
binary("ADD", (1, 6, 6, 5), (1, 6, 6, 5), "RELU6", ranges=(0.02, 5.0))
binary("ADD", (2, 33), (2, 33), "NONE", ranges=(3.0, 0.5))
binary("MUL", (1, 5, 7, 3), (1, 5, 7, 3), "NONE")
binary("MUL", (1, 5, 7, 3), (1, 5, 1, 3), "RELU")
binary("MUL", (1, 5, 7, 3), (1, 1, 1, 3), "RELU6")
binary("MUL", (1, 5, 1, 1), (1, 1, 7, 3), "NONE")
binary("MUL", (1, 17), (1, 17), "RELU")
binary("MUL", (1, 6, 6, 5), (1, 6, 6, 5), "RELU6", ranges=(0.3, 4.0))

# SOFTMAX: depths 3, 10, 17, several rows, beta 1 and others; one with a float interface.
softmax((1, 3))
softmax((1, 10))
softmax((1, 4, 17))
softmax((1, 10), beta=0.5)
softmax((2, 17), beta=2.0)
softmax((1, 10), float_io=True)                              # QUANTIZE f32->s8 and DEQUANTIZE s8->f32

# LOGISTIC, TANH, standalone RELU and RELU6.
unary("LOGISTIC", (1, 17), 4.0)
unary("LOGISTIC", (1, 5, 7, 3), 8.0)
unary("TANH", (1, 17), 4.0)
unary("TANH", (1, 5, 7, 3), 1.0)
unary("RELU", (1, 5, 7, 3), 4.0)
unary("RELU6", (1, 17), 8.0)
activation_after("RELU", "CONCATENATION", (1, 5, 7, 3))
activation_after("RELU6", "PAD", (1, 5, 7, 3))

# PAD on 4-D inputs (spatial, channel and batch padding).
pad((1, 5, 7, 3), [[0, 0], [1, 2], [2, 1], [0, 0]])
pad((1, 7, 9, 5), [[0, 0], [0, 0], [0, 0], [1, 2]])
pad((1, 5, 7, 3), [[1, 0], [0, 3], [1, 1], [0, 0]])

# CONCATENATION of tensors sharing a quantization, on several axes.
concatenation((1, 5, 7, 3), 3)
concatenation((1, 5, 7, 3), 1)
concatenation((1, 7, 9, 5), 2, copies=3)
concatenation((1, 5, 7, 17), -1, copies=3)

# MEAN over [1, 2] (with and without keepdims) and over single axes.
mean((1, 5, 7, 3), (1, 2), True)
mean((1, 7, 9, 17), (1, 2), False)
mean((1, 5, 7, 3), (2,), False)
mean((1, 11, 5, 5), (3,), True)
mean((1, 5, 7, 3), (1,), True)

# QUANTIZE / DEQUANTIZE: float32 interface, and an int8 -> int8 requantization before a concat.
CASES.append(Case(
    "float_io-conv-7x9x3-o4", functools.partial(tf_models.float_io_conv, (7, 9, 3), 4),
    ("QUANTIZE", "CONV_2D", "DEQUANTIZE"),
    (Expect("QUANTIZE", kernel="tg_quantize_f32_s8"), Expect("CONV_2D", {"output_c": 4}, {"activation": "RELU"}),
     Expect("DEQUANTIZE", kernel="tg_dequantize_s8_f32"))))
CASES.append(Case(
    "requantize-concat-tanh-1x5x7x3", functools.partial(tf_models.concatenation_requantized, (1, 5, 7, 3), 3),
    ("TANH", "QUANTIZE", "CONCATENATION"),
    (Expect("QUANTIZE", kernel="tg_requantize_s8"), Expect("CONCATENATION", {"num_inputs": 2}))))

# RESHAPE between computing ops (an alias: no kernel).
for shape, new_shape in (((1, 3, 4, 5), (1, 60)), ((1, 6, 5), (2, 15))):
    CASES.append(Case(
        f"reshape-{_tag(shape)}-to-{_tag(new_shape)}",
        functools.partial(tf_models.reshape_softmax, shape, new_shape),
        ("TANH", "RESHAPE", "SOFTMAX"),
        (Expect("RESHAPE", kernel=None), Expect("SOFTMAX", {"depth": new_shape[-1]}))))


def _check_structure(case: Case, model) -> None:
    ops = tuple(layer.op.op_type for layer in model.layers)
    assert ops == case.ops, f"{case.id}: the converter produced operators {ops}, expected {case.ops}"
    used = set()
    for expect in case.expects:
        index = next(i for i, layer in enumerate(model.layers) if layer.op.op_type == expect.op_type and i not in used)
        used.add(index)
        layer = model.layers[index]
        got = {k: layer.params.get(k) for k in expect.params}
        assert got == expect.params, f"{case.id}: {expect.op_type} params {got}, expected {expect.params}"
        options = {k: layer.op.options.get(k) for k in expect.options}
        if "axis" in options and options["axis"] is not None:
            options["axis"] %= len(model.graph.tensors[layer.op.outputs[0]].shape)
        assert options == expect.options, f"{case.id}: {expect.op_type} options {options}, expected {expect.options}"
        if expect.weight_scales is not None:
            weights = model.graph.tensors[layer.op.inputs[1]]
            assert len(weights.quant.scale) == expect.weight_scales, (
                f"{case.id}: weights have {len(weights.quant.scale)} scales, expected {expect.weight_scales}")
        if expect.kernel is not False:
            assert layer.kernel == expect.kernel, f"{case.id}: kernel {layer.kernel}, expected {expect.kernel}"
        if expect.axes is not None:
            axes = tuple(int(a) for a in model.graph.tensors[layer.op.inputs[1]].data.reshape(-1))
            assert axes == expect.axes, f"{case.id}: MEAN axes {axes}, expected {expect.axes}"


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_op_bit_exact(case: Case, tmp_path):
    path = tmp_path / f"{case.id}.tflite"
    path.write_bytes(case.build())
    _check_structure(case, compile_model(path))
    report = validate_host(path, None, samples=SAMPLES)
    assert report.bit_exact, f"{case.id} ({case.build}): not bit-exact with TFLM: {report.to_json()}"


DSP = Target(dsp=True)
DSP_CASES = [case for case in CASES if case.id.startswith(("fc-", "conv-", "dwconv-", "add-", "mul-"))]
DSP_PORTABLE_KERNELS = ("tg_fully_connected_s8", "tg_convolve_s8", "tg_depthwise_conv_s8")


def _dsp_kernel(layer) -> str:
    """The kernel the DSP target gives a portable ADD, MUL, FULLY_CONNECTED, CONV_2D or DEPTHWISE_CONV_2D
    layer: ADD and MUL without broadcast their four-at-a-time kernels; FULLY_CONNECTED and CONV_2D (all
    weights here are symmetric): the matrix product over a depth of at least one word, for convolutions a
    1x1 without padding; other convolutions without groups or dilation over a field of at least one word,
    im2col (over halfword pairs for fewer than 4 input channels); depthwise ones with depth multiplier 1,
    without dilation, over at least 4 channels, two taps per SMLAD, and those of one input channel as the
    CONV_2D they equal."""
    p = layer.params
    window = p.get("window")
    if layer.op.op_type in ("ADD", "MUL"):
        return {ADD_SAME_SHAPE: ADD_DSP, MUL_SAME_SHAPE: MUL_DSP}.get(layer.kernel, layer.kernel)
    undilated = p.get("dilation_h") == p.get("dilation_w") == 1
    if layer.op.op_type == "DEPTHWISE_CONV_2D" and p["input_c"] == 1:     # the CONV_2D it equals
        return CONV_SHALLOW_DSP if undilated and window["filter_h"] * window["filter_w"] >= 4 else layer.kernel
    if layer.op.op_type == "DEPTHWISE_CONV_2D":
        return DEPTHWISE_DSP if undilated and p["depth_multiplier"] == 1 and p["input_c"] >= 4 else layer.kernel
    if layer.op.op_type == "FULLY_CONNECTED":
        return MATMUL_DSP if p["accum_depth"] >= 4 else layer.kernel
    if window["filter_h"] == window["filter_w"] == 1 and window["pad_h"] == window["pad_w"] == 0 and p["input_c"] >= 4:
        return MATMUL_DSP
    plain = undilated and p["filter_c"] == p["input_c"]
    if not plain or window["filter_h"] * window["filter_w"] * p["input_c"] < 4:
        return layer.kernel
    return CONV_SHALLOW_DSP if p["input_c"] < 4 else CONV_DSP


@pytest.mark.slow
@pytest.mark.parametrize("case", DSP_CASES, ids=[case.id for case in DSP_CASES])
def test_dsp_variant_bit_exact(case: Case, tmp_path):
    """The DSP variant, compiled for the host on the C models of its instructions (tg_acle.h)."""
    path = tmp_path / f"{case.id}.tflite"
    path.write_bytes(case.build())
    portable, dsp = compile_model(path), compile_model(path, target=DSP)
    for before, after in zip(portable.layers, dsp.layers):
        if before.kernel in DSP_PORTABLE_KERNELS or before.op.op_type in ("ADD", "MUL"):
            assert after.kernel == _dsp_kernel(before), (case.id, after.kernel)
            assert after.variant == ("portable" if after.kernel == before.kernel else "dsp")
    report = validate_host(path, None, samples=SAMPLES, target=DSP)
    assert report.bit_exact, f"{case.id} ({case.build}), DSP variant: not bit-exact with TFLM: {report.to_json()}"


def test_case_ids_are_unique():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


# Sparse weights in the pairs kernels' forms (tinygen/compiler/sparse.py): the list of non-zeros (95 % and
# 90 % zeros; there the smaller form, on any core) and the bitmap on DSP cores (80 %). 1x1 and larger
# filters, strides, SAME padding, depths over 256 (two list segments), per-tensor weights, odd pixel counts
# (the last pixel paired with itself), FULLY_CONNECTED with one and several batches; at these sparsities
# the magnitude pruning leaves some channels without any non-zero weight.
@dataclass(frozen=True)
class SparseCase:
    id: str
    build: Callable[[], bytes]
    portable: str       # the kernel on cores without the DSP extension
    dsp: str            # and with it


def _sparse(kind: str, shape, units: int, *args, sparsity: float, portable: str = LIST_KERNEL, dsp: str = LIST_KERNEL,
            **kwargs) -> SparseCase:
    build = tf_models.conv2d if kind == "conv" else tf_models.fully_connected
    arguments = "-".join(map(str, (shape, units, *args, *kwargs.values()))).replace(" ", "")
    return SparseCase(f"sparse{round(100 * sparsity)}-{kind}-{arguments}",
                      functools.partial(build, shape, units, *args, sparsity=sparsity, **kwargs), portable, dsp)


SPARSE_CASES = [
    _sparse("conv", (9, 7, 64), 64, 1, sparsity=0.95),                                     # 63 pixels
    _sparse("conv", (9, 11, 96), 48, 1, 2, "VALID", 1, "RELU", sparsity=0.95),
    _sparse("conv", (7, 9, 32), 16, 3, 1, "SAME", 1, "RELU6", sparsity=0.95),              # depth 288
    _sparse("conv", (11, 9, 32), 32, 3, 2, "SAME", sparsity=0.95),
    _sparse("conv", (8, 7, 24), 12, (5, 3), (1, 2), "VALID", 1, "RELU", sparsity=0.95),    # depth 360
    _sparse("conv", (6, 6, 48), 64, 1, per_channel=False, sparsity=0.95),
    _sparse("fc", (1, 300), 20, "RELU", sparsity=0.95),
    _sparse("fc", (3, 96), 40, "NONE", False, sparsity=0.9),
    _sparse("conv", (7, 9, 32), 16, 3, sparsity=0.8, portable="tg_convolve_sparse_s8", dsp=BITMAP_DSP),
    _sparse("conv", (9, 7, 64), 64, 1, 1, "SAME", 1, "RELU", sparsity=0.8, portable="tg_convolve_sparse_s8",
            dsp=BITMAP_DSP),
    _sparse("fc", (2, 200), 24, sparsity=0.8, portable="tg_fully_connected_sparse_s8", dsp=BITMAP_DSP),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", SPARSE_CASES, ids=[case.id for case in SPARSE_CASES])
def test_sparse_pairs_kernels_bit_exact(case: SparseCase, tmp_path):
    path = tmp_path / f"{case.id}.tflite"
    path.write_bytes(case.build())
    for target, kernel in ((Target(), case.portable), (DSP, case.dsp)):
        (layer,) = [layer for layer in compile_model(path, target=target).layers if layer.weight_form]
        assert (layer.kernel, layer.weight_form) == (kernel, "sparse"), (case.id, target)
        report = validate_host(path, None, samples=SAMPLES, target=target)
        assert report.bit_exact, f"{case.id} ({target.description}): not bit-exact with TFLM: {report.to_json()}"
