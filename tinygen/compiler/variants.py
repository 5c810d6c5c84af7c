"""Kernel variants: which implementation of a layer's kernel the target's core runs, chosen per layer
at generation time. Lowering produces the portable kernels (plain C, any core); on a core with the
DSP extension, FULLY_CONNECTED and 1x1 CONV_2D layers move to the int8 matrix product that uses its
instructions (templates/kernels/tg_matmul_s8_dsp.c), other CONV_2D layers to the same product over
gathered receptive fields (tg_conv_s8_dsp.c), with the work that does not depend on the data done
here: the input offset folded into the bias, strides turned into byte steps, the weights laid out for
the product. DEPTHWISE_CONV_2D layers with depth multiplier 1 move to a kernel that sums two taps of a
channel per instruction over int16 copies of the input rows (tg_depthwise_conv_s8_dsp.c); ADD and MUL
layers without broadcast to the same arithmetic four elements at a time (tg_add_s8_dsp.c, tg_mul_s8_dsp.c)."""

from dataclasses import dataclass, replace

import numpy as np

from ..boards import Board
from ..model.graph import Graph
from .layer import NULL_ARG, ConstArray, Layer, ScratchArg, TensorArg, window_params, windows_meet_the_image
from .ops.elementwise import ADD_SAME_SHAPE, MUL_SAME_SHAPE
from .requant_dsp import constant_accumulators, depthwise_accumulator_bounds, dsp_requant, product_accumulator_bounds

MATMUL_DSP = "tg_matmul_s8_dsp"
CONV_DSP = "tg_conv_s8_dsp"
CONV_SHALLOW_DSP = "tg_conv_shallow_s8_dsp"
DEPTHWISE_DSP = "tg_depthwise_conv_s8_dsp"
ADD_DSP = "tg_add_s8_dsp"
MUL_DSP = "tg_mul_s8_dsp"
PORTABLE, DSP = "portable", "dsp"


@dataclass(frozen=True)
class Target:
    """What the generated code may assume about the core. The default, portable C, runs anywhere
    (host validation, Cortex-M0/M3)."""
    dsp: bool = False       # Armv7E-M DSP extension: SMLAD, SXTB16 (Cortex-M4, M7, M33, M55)

    @property
    def description(self) -> str:
        return "DSP extension" if self.dsp else "portable C"


def board_target(board: Board) -> Target:
    return Target(dsp=board.dsp)


def _words(depth: int) -> int:
    return -(-depth // 4)


def matmul_scratch_bytes(depth: int, pixels_per_step: int = 3, single_run_groups: int = 0) -> int:
    """tg_matmul_s8_dsp_scratch_bytes(depth, pixels_per_step, single_run_groups): the inputs of the most pixels
    one step takes, split into halfword pairs; with lone pixels only, a run of single_run_groups words of depth
    if that is fewer."""
    if pixels_per_step == 1 and 0 < single_run_groups < _words(depth):
        return 8 * single_run_groups
    return 8 * pixels_per_step * _words(depth)


def matmul_pixels_per_step(shape: dict) -> int:
    """The most output pixels tg_matmul_s8_dsp takes in one step: three with per-channel requantization, else
    two, never more than a row holds (a fully connected layer of one batch: one)."""
    return min(shape["row_pixels"], 3 if shape["per_channel"] else 2)


def conv_scratch_bytes(depth: int, input_c: int, pairs: int = 0) -> int:
    """tg_conv_s8_dsp_scratch_bytes(depth, input_c, pairs): for fields split straight from the image (input_c a
    multiple of 4), the split words of three pixels, or of two with pairs; else the matrix product's, then
    two gathered receptive fields."""
    if input_c % 4:
        return matmul_scratch_bytes(depth) + 2 * 4 * _words(depth)
    return 16 * _words(depth) if pairs else matmul_scratch_bytes(depth)


def conv_shallow_scratch_bytes(depth: int, channels: int) -> int:
    """tg_conv_shallow_s8_dsp_scratch_bytes(depth, channels): two pixels' fields of halfword pairs, the taps'
    offsets (int32), one field gathered as bytes; depth padded to an even count; then the weights widened
    to int16 (tap_pair_weights' bytes, twice)."""
    even = 2 * -(-depth // 2)
    weight_bytes = 2 * (channels // 2) * even + 4 * (channels % 2) * _words(even)
    return 4 * even + 4 * even + 4 * _words(even) + 2 * weight_bytes


def depthwise_scratch_bytes(channels: int, filter_h: int, filter_w: int, output_w: int, stride_w: int,
                            rotations: int, slid_rows: int = 0) -> int:
    """tg_depthwise_conv_s8_dsp_scratch_bytes(channels, filter_h, filter_w, output_w, stride_w, rotations,
    slid_rows): the planes of filter_h input rows, an int16 per channel, row and padded column (a plane rounded
    up to whole words), one more int16 and the slid_rows int16 the planes move on by as their rows slide
    ((output_h - 1) * stride_h with slide), in whole words; then, in each of the rotations, each channel's bias
    and weights as int16 pairs; then two pixels' int32 sums."""
    columns = (output_w - 1) * stride_w + filter_w
    plane_halfwords = (columns * filter_h + 1) // 2 * 2
    plane_bytes = (2 * (channels * plane_halfwords + 1 + slid_rows) + 3) // 4 * 4
    return plane_bytes + 4 * channels * (rotations * (1 + (filter_h * filter_w + 1) // 2) + 2)


# What making one more rotation of a channel's weights costs, against copying one input value, in the DSP
# depthwise kernel (the same widening, a little more for each filter tap; arm-none-eabi-gcc 12 -O2).
ROTATION_COST_PER_WEIGHT = 1.25


def depthwise_rotations(p: dict) -> int:
    """How the DSP depthwise kernel keeps the input rows of its windows: as a ring across output rows, each
    row copied once, which needs the weights in filter_h rotations (filter_h), or copied afresh for each output
    row (1). The ring when the copies it saves outweigh making the other rotations: with windows that overlap
    from row to row, over enough rows."""
    window = p["window"]
    filter_h, stride_h = window["filter_h"], window["stride_h"]
    if stride_h >= filter_h:
        return 1
    copies_saved = p["output_h"] * (filter_h - stride_h) * p["input_w"]
    rotation_cost = (filter_h - 1) * filter_h * window["filter_w"] * ROTATION_COST_PER_WEIGHT
    return filter_h if copies_saved > rotation_cost else 1


def choose_variants(graph: Graph, layers: list[Layer], target: Target) -> None:
    """Moves each layer the target runs faster with another variant to it (after sparse encoding,
    which keeps the layers it moved on their sparse kernels)."""
    if not target.dsp:
        return
    for layer in layers:
        _use_conv_dsp_for_one_channel_depthwise(graph, layer)
        shape = _matmul_shape(graph, layer)
        if shape is not None:
            _use_product_dsp(graph, layer, shape, MATMUL_DSP, "tg_matmul_params_t",
                             matmul_scratch_bytes(shape["depth"], matmul_pixels_per_step(shape)))
        _use_conv_dsp_if_fit(graph, layer)
        _use_depthwise_dsp_if_fit(graph, layer)
        _use_elementwise_dsp(layer)


def _matmul_shape(graph: Graph, layer: Layer) -> dict | None:
    """The matrix product a dense FULLY_CONNECTED or 1x1 CONV_2D layer computes, or None for others.
    Needs symmetric weights (their zero point would multiply the input at run time) and a depth of at
    least one word."""
    p = layer.params
    if layer.kernel == "tg_fully_connected_s8" and p["filter_offset"] == 0 and p["accum_depth"] >= 4:
        return {"batches": 1, "rows": 1, "row_pixels": p["batches"], "input_batch_step": 0, "input_row_step": 0,
                "input_pixel_step": p["accum_depth"], "single_run_groups": 0, "depth": p["accum_depth"],
                "channels": p["output_depth"], "per_channel": p["per_channel"]}
    window = p.get("window")
    if (layer.kernel == "tg_convolve_s8" and window["filter_h"] == window["filter_w"] == 1
            and p["filter_c"] == p["input_c"] and window["pad_h"] == window["pad_w"] == 0 and p["input_c"] >= 4):
        in_c = p["input_c"]
        pixel_steps = {"input_batch_step": p["input_h"] * p["input_w"] * in_c,
                       "input_row_step": window["stride_h"] * p["input_w"] * in_c,
                       "input_pixel_step": window["stride_w"] * in_c}
        if window["stride_h"] == window["stride_w"] == 1:     # the input is one [pixels][channels] matrix
            runs = {"batches": 1, "rows": 1, "row_pixels": p["batches"] * p["output_h"] * p["output_w"],
                    "input_batch_step": 0, "input_row_step": 0, "input_pixel_step": in_c}
        else:
            runs = {"batches": p["batches"], "rows": p["output_h"], "row_pixels": p["output_w"], **pixel_steps}
        return {**runs, "single_run_groups": 0, "depth": in_c, "channels": p["output_c"], "per_channel": 1}
    return None


def folded_bias(weights: np.ndarray, bias: np.ndarray | None, input_offset: int) -> np.ndarray:
    """bias + input_offset * (sum of each output channel's weights), in int32 arithmetic modulo 2^32
    as TFLM's accumulation is: the kernel's sum of weight * input then equals TFLM's sum of
    weight * (input + input_offset) plus bias, bit for bit."""
    sums = weights.reshape(weights.shape[0], -1).astype(np.int64).sum(axis=1)
    # The bias may have any rank (lowering checked its size): one value per channel.
    total = sums * input_offset + (0 if bias is None else bias.astype(np.int64).reshape(-1))
    return _wrapped_int32(total)


def _wrapped_int32(values: np.ndarray) -> np.ndarray:
    """int64 values modulo 2^32 as int32."""
    return ((values + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32)


def folded_bias_array(graph: Graph, layer: Layer) -> ConstArray:
    """The folded bias of a lowered layer whose arguments are input, weights, bias (or NULL), output."""
    _, weights_arg, bias_arg, _ = layer.args
    bias = graph.tensors[bias_arg.index].data if isinstance(bias_arg, TensorArg) else None
    assert bias_arg == NULL_ARG or bias is not None
    weights = _constant_values(graph, weights_arg)
    return ConstArray(f"{layer.name}_folded_bias", "int32_t", folded_bias(weights, bias, layer.params["input_offset"]))


def _use_conv_dsp_if_fit(graph: Graph, layer: Layer) -> None:
    """Moves a CONV_2D layer the matrix product did not take to im2col + the product, over a field of at least
    one word; one of fewer than 4 input channels to the im2col kernel over halfword pairs."""
    shape = im2col_shape(layer) if layer.kernel == "tg_convolve_s8" else None
    if shape is None or shape["depth"] < 4:
        return
    if shape["input_c"] < 4:
        _use_conv_shallow_dsp(graph, layer, shape)
    else:
        _use_product_dsp(graph, layer, shape, CONV_DSP, "tg_conv_dsp_params_t",
                         conv_scratch_bytes(shape["depth"], shape["input_c"]))


def im2col_shape(layer: Layer) -> dict | None:
    """A lowered CONV_2D layer as the product over gathered receptive fields (tg_conv_dsp_params_t), or None
    if its filter does not cover all input channels (grouped convolutions) or is dilated (which the gather
    would have to step over)."""
    p = layer.params
    if p["filter_c"] != p["input_c"] or (p["dilation_h"], p["dilation_w"]) != (1, 1):
        return None
    # The input zero point, -input_offset, is an int8 value: padded taps read it, adding 0.
    shape = {name: p[name] for name in ("batches", "input_h", "input_w", "input_c", "output_h", "output_w", "window")}
    depth = p["window"]["filter_h"] * p["window"]["filter_w"] * p["input_c"]
    return {**shape, "pad_value": -p["input_offset"], "pairs": 0, "depth": depth, "channels": p["output_c"],
            "per_channel": 1}


def fully_connected_as_im2col_shape(layer: Layer) -> dict:
    """A lowered FULLY_CONNECTED layer in the same form: a 1 x batches image of accum_depth channels under a
    1x1 filter."""
    p = layer.params
    image = {"batches": 1, "input_h": 1, "input_w": p["batches"], "input_c": p["accum_depth"], "output_h": 1,
             "output_w": p["batches"], "window": window_params((1, 1), (1, 1), (0, 0)), "pad_value": 0, "pairs": 0}
    return {**image, "depth": p["accum_depth"], "channels": p["output_depth"], "per_channel": p["per_channel"]}


def _use_conv_dsp_for_one_channel_depthwise(graph: Graph, layer: Layer) -> None:
    """A depthwise convolution of a single input channel (an image's first layer, often) is the CONV_2D
    whose filter holds its depth_multiplier channels as output channels: the filter 1HWC transposed to
    OHWI, everything else the same. Moves the layer to that CONV_2D's im2col DSP kernel if it takes it."""
    if layer.kernel != "tg_depthwise_conv_s8" or layer.params["input_c"] != 1:
        return
    weights = _constant_values(graph, layer.args[1]).transpose(3, 1, 2, 0)
    filter_array = ConstArray(f"{layer.name}_conv_filter", "int8_t", np.ascontiguousarray(weights))
    params = {**{name: value for name, value in layer.params.items() if name != "depth_multiplier"}, "filter_c": 1}
    conv = replace(layer, kernel="tg_convolve_s8", params_type="tg_conv_params_t", params=params,
                   args=[layer.args[0], filter_array, *layer.args[2:]], arrays=list(layer.arrays))
    _use_conv_dsp_if_fit(graph, conv)
    if conv.kernel == CONV_SHALLOW_DSP:
        layer.__dict__.update(conv.__dict__)


def _constant_values(graph: Graph, arg) -> np.ndarray:
    return arg.values if isinstance(arg, ConstArray) else graph.tensors[arg.index].data


def _use_conv_shallow_dsp(graph: Graph, layer: Layer, shape: dict) -> None:
    """Moves a CONV_2D layer of fewer than 4 input channels to the im2col kernel over halfword pairs, with its
    folded bias doubled: with the weights the kernel doubles as it widens them, the accumulator comes out
    doubled, as the DSP requantization needs it."""
    filter_array = tap_pair_weights(layer.name, _constant_values(graph, layer.args[1]))
    if use_product(graph, layer, shape, CONV_SHALLOW_DSP, "tg_conv_dsp_params_t",
                   conv_shallow_scratch_bytes(shape["depth"], shape["channels"]), [filter_array]):
        layer.arrays.append(filter_array)
        bias = layer.args[2]
        bias.values = _wrapped_int32(2 * bias.values.astype(np.int64))


def _use_product_dsp(graph: Graph, layer: Layer, shape: dict, kernel: str, params_type: str,
                     scratch_bytes: int) -> None:
    weights = _constant_values(graph, layer.args[1])
    stacked = _stacking_pays(shape) and stacks_in_pairs(weights)
    filter_array = product_weights(layer.name, weights, stacked)
    if use_product(graph, layer, shape, kernel, params_type, scratch_bytes, [filter_array], stacked):
        layer.arrays.append(filter_array)


def use_product(graph: Graph, layer: Layer, shape: dict, kernel: str, params_type: str, scratch_bytes: int,
                weight_args: list, stacked: bool = False) -> bool:
    """Moves the layer to a kernel of the product form: its weights as weight_args (the dense tensor, or the
    arrays of a sparse form; stacked: in stacked pairs), the input offset folded into the bias, the DSP
    requantization. False, with the layer unchanged, when that requantization cannot be exact (requant_dsp.py).
    shape: the kernel's own parameters, then depth, channels and per_channel for the product."""
    inp, weights_arg, _, out = layer.args
    weights = _constant_values(graph, weights_arg)
    bias_array = folded_bias_array(graph, layer)
    bounds = product_accumulator_bounds(weights, bias_array.values)
    constants = constant_accumulators(weights, bias_array.values)
    requant = dsp_requant(layer, bounds, bool(shape["per_channel"]), constants, bias_array)
    if requant is None:
        return False
    own = {name: value for name, value in shape.items() if name not in ("depth", "channels", "per_channel")}
    layer.params = {**own, "product": {"depth": shape["depth"], "channels": shape["channels"],
                                       "stacked": int(stacked), "requant": requant}}
    layer.kernel, layer.params_type, layer.variant = kernel, params_type, DSP
    layer.args = [inp, *weight_args, bias_array, ScratchArg("uint32_t"), out]
    layer.arrays.append(bias_array)
    layer.scratch_bytes = scratch_bytes
    return True


def _use_depthwise_dsp_if_fit(graph: Graph, layer: Layer) -> None:
    """Moves a DEPTHWISE_CONV_2D layer with depth multiplier 1, without dilation (whose taps the kernel would
    have to step over apart from the weights'), over at least 4 channels to the kernel that sums two taps
    per SMLAD. Its bias stays the model's: the kernel adds the input offset to the taps inside the image and
    zeros for the padding, which adds nothing, as TFLM's skipping it. A layer without one gets zeros, which
    spares the kernel a test per channel."""
    p = layer.params
    if (layer.kernel != "tg_depthwise_conv_s8" or p["depth_multiplier"] != 1 or p["input_c"] < 4
            or (p["dilation_h"], p["dilation_w"]) != (1, 1)
            or not windows_meet_the_image(p["window"], (p["input_h"], p["input_w"]), (p["output_h"], p["output_w"]))):
        return
    inp, weights, bias, out = layer.args
    if bias == NULL_ARG:
        bias = ConstArray(f"{layer.name}_zero_bias", "int32_t", np.zeros(p["input_c"], np.int32))
    bounds = depthwise_accumulator_bounds(_constant_values(graph, weights), _constant_values(graph, bias))
    requant = dsp_requant(layer, bounds, per_channel=True)
    if requant is None:
        return
    if isinstance(bias, ConstArray):
        layer.arrays.append(bias)
    window = p["window"]
    rotations = depthwise_rotations(p)
    layer.params = {"batches": p["batches"], "input_h": p["input_h"], "input_w": p["input_w"], "channels": p["input_c"],
                    "output_h": p["output_h"], "output_w": p["output_w"], "window": window,
                    "input_offset": p["input_offset"], "rotations": rotations, "slide": 0, "requant": requant}
    layer.kernel, layer.params_type, layer.variant = DEPTHWISE_DSP, "tg_depthwise_dsp_params_t", DSP
    layer.args = [inp, weights, bias, ScratchArg("int32_t"), out]
    layer.scratch_bytes = depthwise_scratch_bytes(p["input_c"], window["filter_h"], window["filter_w"], p["output_w"],
                                                  window["stride_w"], rotations)



def _use_elementwise_dsp(layer: Layer) -> None:
    """Moves an ADD or MUL layer without broadcast to its DSP kernel, which takes the same parameters."""
    dsp_kernels = {ADD_SAME_SHAPE: ADD_DSP, MUL_SAME_SHAPE: MUL_DSP}
    if layer.kernel in dsp_kernels:
        layer.kernel, layer.variant = dsp_kernels[layer.kernel], DSP


def product_weights(layer_name: str, weights: np.ndarray, stacked: bool) -> ConstArray:
    """The weights in the product's layout (tg_product_t): each output channel's row padded with zeros to
    whole words (no tail of depth % 4 values: the padding multiplies inputs the kernel pads with zeros
    alike), and the rows of each pair of channels interleaved word by word (one LDRD loads both), or
    stacked."""
    if stacked:
        return ConstArray(f"{layer_name}_weights", "int8_t", _stacked_pairs(weights))
    return ConstArray(f"{layer_name}_weights", "int8_t", _rows_interleaved_by_word(weights, 4))


# Stacked pairs save two SXTB16 per group of 4 depth values and pair of channels but cost a subtraction and a
# shift per sum at the end, and the loops of three pixels then hold one more value: below this depth the plain
# rows take fewer instructions there (measured on person detection's 1x1 convolutions, 8 to 256 deep).
STACKED_MIN_DEPTH = 64


def _stacking_pays(shape: dict) -> bool:
    """Whether stacked pairs take fewer instructions than plain rows: deep enough, or a product of lone pixels
    only (a fully connected layer of one batch), whose loop of four channels gains from the first group on."""
    return shape["depth"] >= STACKED_MIN_DEPTH or shape.get("row_pixels") == 1


# |256 * sum| < 2^31 for every sum of a second channel's products with int8 inputs (at most 128 in magnitude).
STACKED_WEIGHT_SUM_LIMIT = 2 ** 23 // 128


def stacks_in_pairs(weights: np.ndarray) -> bool:
    """Whether the rows of each pair of channels can be stacked in halfwords first + 256 * second
    (tg_product_dsp.c): each second-channel byte stored one less under a negative first-channel weight must stay
    int8, and 256 times any sum of the second channel's products must fit int32 (its weights' absolute sum
    times 128, the largest int8 magnitude, below 2^23), so that the kernel's difference over 256 is exact."""
    first, second, _ = _row_pairs(weights.reshape(weights.shape[0], -1).astype(np.int64))
    borrows_fit = not np.any((first < 0) & (second == -128))
    return borrows_fit and bool(np.all(np.abs(second).sum(axis=1) < STACKED_WEIGHT_SUM_LIMIT))


def _stacked_pairs(weights: np.ndarray) -> np.ndarray:
    """Each pair of channels' rows, padded with zeros to whole words, as two words per group of four depth
    values d0..d3: {first d0, second d0, first d2, second d2}, {first d1, second d1, first d3, second d3}, each
    second byte less one under a negative first one (the halfword is then first + 256 * second); a last odd
    row plain."""
    rows = weights.reshape(weights.shape[0], -1).astype(np.int64)
    rows = np.pad(rows, ((0, 0), (0, 4 * _words(rows.shape[1]) - rows.shape[1])))
    first, second, last = _row_pairs(rows)
    stacked = np.stack([first, second - (first < 0)], axis=-1)           # [pair][depth][first, second]
    groups = stacked.reshape(len(first), rows.shape[1] // 4, 4, 2)[:, :, [0, 2, 1, 3]]   # even depths' word, odd's
    return np.concatenate([groups.reshape(-1), last.reshape(-1)]).astype(np.int8)


def _row_pairs(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first and the second rows of each pair of channels, and a last odd row (or none)."""
    paired = len(rows) // 2 * 2
    return rows[0:paired:2], rows[1:paired:2], rows[paired:]


def tap_pair_weights(layer_name: str, weights: np.ndarray) -> ConstArray:
    """The weights in tg_conv_shallow_s8_dsp's layout, int8, each row padded with a zero to an even count of
    taps: for each pair of rows, a word per two taps t, t + 1, {row 0 t, row 1 t, row 0 t + 1, row 1 t + 1}
    (SXTB16 widens row 0's pair, SXTB16 ROR 8 row 1's); a last odd row, padded to a multiple of four taps,
    as the pair of its even-numbered and odd-numbered tap pairs: a word {t, t + 2, t + 1, t + 3}."""
    rows = weights.reshape(weights.shape[0], -1)
    rows = np.pad(rows, ((0, 0), (0, rows.shape[1] % 2)))
    parts = [_tap_pairs_interleaved(rows[k], rows[k + 1]) for k in range(0, len(rows) - 1, 2)]
    if len(rows) % 2:
        quads = np.pad(rows[-1], (0, rows.shape[1] % 4)).reshape(-1, 2, 2)
        parts.append(_tap_pairs_interleaved(quads[:, 0].reshape(-1), quads[:, 1].reshape(-1)))
    return ConstArray(f"{layer_name}_weights", "int8_t", np.concatenate(parts))


def _tap_pairs_interleaved(row0: np.ndarray, row1: np.ndarray) -> np.ndarray:
    """Two rows of an even count of taps as words {row0 t, row1 t, row0 t + 1, row1 t + 1}."""
    return np.stack([row0, row1]).reshape(2, -1, 2).transpose(1, 2, 0).reshape(-1)


def _rows_interleaved_by_word(weights: np.ndarray, per_word: int) -> np.ndarray:
    """Each output channel's row of weights padded with zeros to whole words of per_word values, the rows of
    each pair of channels interleaved word by word, a last odd row plain."""
    rows = weights.reshape(weights.shape[0], -1)
    words = -(-rows.shape[1] // per_word)
    rows = np.pad(rows, ((0, 0), (0, per_word * words - rows.shape[1])))
    paired = len(rows) // 2 * 2
    pairs = rows[:paired].reshape(paired // 2, 2, words, per_word).transpose(0, 2, 1, 3)
    return np.concatenate([pairs.reshape(-1), rows[paired:].reshape(-1)])
