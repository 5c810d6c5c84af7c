"""Sparse weights: a CONV_2D or FULLY_CONNECTED layer's int8 weights stored, where that takes less flash
than the dense array, in the smaller of two forms: a bitmap of the non-zero weights per output channel
plus their values (templates/kernels/tg_sparse.h), or per output channel the list of its non-zero weights,
each an input index byte and a value (tg_conv_sparse_list_s8.c), which is smaller above about 7 zeros
in 8 and whose kernel's work follows the non-zero weights. The kernels take the input offset folded into
the bias, so they multiply weights by inputs alone."""

import copy
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..model.graph import Graph
from .layer import ConstArray, Layer, ScratchArg, TensorArg
from .variants import (DSP, PORTABLE, Target, folded_bias_array, fully_connected_as_im2col_shape, im2col_shape,
                       use_product)

ALIGNMENT = 16      # weights.c aligns every array: the padding is flash too
CONV_SPARSE = "tg_convolve_sparse_s8"
SPARSE_KERNELS = {"tg_convolve_s8": CONV_SPARSE, "tg_fully_connected_s8": "tg_fully_connected_sparse_s8"}
LIST_KERNEL = "tg_conv_sparse_list_s8"
BITMAP_DSP = "tg_conv_sparse_bitmap_s8_dsp"   # the bitmap form on cores with the DSP extension
# On cores with the DSP extension, a layer the pairs kernels can run stays dense below this share of zero
# weights: the bitmap DSP kernel is slower than the dense DSP ones there (measured with tinygen bench on
# Cortex-M4, a 1x1 and a 3x3 conv 12x12: 1.7 times their instructions at 1/2 zeros; 1.17 to 1.20 at 4/5,
# where it stores the weights in a third of the bytes). The list form is the smaller one only above about
# 7/8 zeros, where it is also the faster: 0.57 to 0.60 times the dense instructions at 90 % zeros.
DSP_MIN_ZEROS = 0.75
PAIRS_KERNELS = (LIST_KERNEL, BITMAP_DSP)       # two pixels at a time, tg_conv_dsp_params_t (tg_sparse_pairs.h)
SEGMENT = 256       # inputs per segment of the list form: an index fits a byte
# Flash a sparse kernel's code adds to the firmware (beside the dense kernel; instead of it, when no
# layer keeps that): the largest over the boards' cores (Cortex-M0, with libgcc's __ctzsi2),
# arm-none-eabi-gcc 12 -O2, rounded up. The layers moved to the kernel must together save more.
# The pairs kernels replace no dense kernel's code: the same figure beside or instead (the list kernel's on
# Cortex-M0 with __aeabi_lmul, the bitmap one's on Cortex-M4).
ADDED_CODE_BYTES = {CONV_SPARSE: (896, 128), "tg_fully_connected_sparse_s8": (576, 144), LIST_KERNEL: (1728, 1728),
                    BITMAP_DSP: (1152, 1152)}


@dataclass(frozen=True)
class SparseWeights:
    bitmap: np.ndarray      # uint8 [channels, ceil(n / 8)]: bit k of byte i set <=> weight 8 * i + k != 0
    values: np.ndarray      # int8: the non-zero weights, channel after channel


def encode(weights: np.ndarray) -> SparseWeights:
    """Encodes int8 weights whose first axis is the output channel, in their own order."""
    flat = weights.reshape(weights.shape[0], -1)
    nonzero = flat != 0
    values = flat[nonzero] if nonzero.any() else np.zeros(1, np.int8)    # C has no empty arrays
    return SparseWeights(np.packbits(nonzero, axis=1, bitorder="little"), values.astype(np.int8))


@dataclass(frozen=True)
class SparseList:
    counts: np.ndarray      # uint8 [channels, segments]: the non-zero weights among each SEGMENT inputs
    indices: np.ndarray     # uint8: each non-zero weight's input index in its segment, channel after channel
    values: np.ndarray      # int8: the non-zero weights, in the same order


def encode_list(weights: np.ndarray) -> SparseList | None:
    """Encodes int8 weights whose first axis is the output channel, in their own order; None when a segment
    has more non-zero weights than a count byte holds."""
    flat = weights.reshape(weights.shape[0], -1)
    segments = -(-flat.shape[1] // SEGMENT)
    padded = np.zeros((flat.shape[0], segments * SEGMENT), np.int8)
    padded[:, :flat.shape[1]] = flat
    nonzero = padded.reshape(flat.shape[0], segments, SEGMENT) != 0
    counts = nonzero.sum(axis=2)
    if counts.max(initial=0) > 255:
        return None
    indices = np.nonzero(nonzero)[2] if nonzero.any() else np.zeros(1)     # C has no empty arrays
    values = padded.reshape(nonzero.shape)[nonzero] if nonzero.any() else np.zeros(1)
    return SparseList(counts.astype(np.uint8), indices.astype(np.uint8), values.astype(np.int8))


def pairs_scratch_bytes(depth: int) -> int:
    """tg_conv_sparse_list_s8_scratch_bytes(depth) and tg_conv_sparse_bitmap_s8_dsp_scratch_bytes(depth): two
    pixels' inputs as halfword pairs, then their gathered fields."""
    return 6 * 4 * (-(-depth // 4))


def bitmap_conv_scratch_bytes(window_bytes: int) -> int:
    """tg_convolve_sparse_s8_scratch_bytes(window_bytes): two pixels' windows, interleaved."""
    return 2 * window_bytes


def flash_bytes(*arrays: np.ndarray) -> int:
    return sum(-(-a.nbytes // ALIGNMENT) * ALIGNMENT for a in arrays)


@dataclass(frozen=True)
class _Form:
    kernel: str
    encoding: SparseWeights | SparseList
    saved: int


def sparsify(graph: Graph, layers: list[Layer], target: Target = Target()) -> None:
    """Moves each layer whose weights take less flash sparse to the kernel of its smallest sparse form, for the
    kernels whose layers together save more than the code that adds."""
    uses = Counter(arg.index for layer in layers for arg in layer.args if isinstance(arg, TensorArg))
    forms: dict[int, list[_Form]] = {}
    shapes: dict[int, dict | None] = {}     # each candidate's product form (None: the pairs kernels cannot run it)
    for position, layer in enumerate(layers):
        kernel = SPARSE_KERNELS.get(layer.kernel)
        # With a non-zero weight zero point (filter_offset) a stored 0 is not a zero weight.
        if kernel is None or layer.params.get("filter_offset", 0) != 0 or uses[layer.args[1].index] > 1:
            continue
        weights = graph.tensors[layer.args[1].index].data
        sparse = encode(weights)
        shapes[position] = _product_shape(graph, layer)
        paired = shapes[position] is not None
        if paired and target.dsp and (weights == 0).mean() < DSP_MIN_ZEROS:
            continue
        bitmap_kernel = BITMAP_DSP if paired and target.dsp else kernel
        candidates = [_Form(bitmap_kernel, sparse, flash_bytes(weights) - flash_bytes(sparse.bitmap, sparse.values))]
        listed = encode_list(weights) if paired else None
        if listed is not None:
            saved = flash_bytes(weights) - flash_bytes(listed.counts, listed.indices, listed.values)
            candidates.append(_Form(LIST_KERNEL, listed, saved))
        # The smallest first; of equal ones the list, whose kernel is the faster.
        forms[position] = sorted((form for form in candidates if form.saved > 0),
                                 key=lambda form: (-form.saved, form.kernel != LIST_KERNEL))
    chosen = _paying_forms(layers, forms)
    for position, form in chosen.items():
        _use_sparse(graph, layers[position], form, shapes[position], target)


def _paying_forms(layers: list[Layer], forms: dict[int, list[_Form]]) -> dict[int, _Form]:
    """Each layer's smallest form whose kernel's layers together save more than its code adds; a layer whose
    kernel does not pay tries its next form."""
    chosen = {position: options[0] for position, options in forms.items() if options}
    while True:
        by_kernel: dict[str, list[int]] = {}
        for position, form in chosen.items():
            by_kernel.setdefault(form.kernel, []).append(position)
        unpaid = [kernel for kernel, positions in by_kernel.items() if not _pays(layers, chosen, kernel, positions)]
        if not unpaid:
            return chosen
        for position in (position for kernel in unpaid for position in by_kernel[kernel]):
            options = forms[position]
            later = options[options.index(chosen[position]) + 1:]
            if later:
                chosen[position] = later[0]
            else:
                del chosen[position]


def _pays(layers: list[Layer], chosen: dict[int, _Form], kernel: str, positions: list[int]) -> bool:
    keeps_dense = sum(SPARSE_KERNELS.get(layer.kernel) == kernel for layer in layers) > len(positions)
    beside, instead = ADDED_CODE_BYTES[kernel]
    return sum(chosen[position].saved for position in positions) > (beside if keeps_dense else instead)


def _product_shape(graph: Graph, layer: Layer) -> dict | None:
    """The layer in the product form of the list kernel, or None if its kernel cannot serve it: grouped or
    dilated convolutions, or accumulators the DSP requantization cannot bound (tried on a copy)."""
    shape = im2col_shape(layer) if layer.kernel == "tg_convolve_s8" else fully_connected_as_im2col_shape(layer)
    if shape is None or not use_product(graph, copy.copy(layer), shape, LIST_KERNEL, "", 0, []):
        return None
    return shape


def _use_sparse(graph: Graph, layer: Layer, form: _Form, shape: dict | None, target: Target) -> None:
    inp, _, _, out = layer.args
    if isinstance(form.encoding, SparseList):
        listed = form.encoding
        arrays = [ConstArray(f"{layer.name}_filter_counts", "uint8_t", listed.counts),
                  ConstArray(f"{layer.name}_filter_indices", "uint8_t", listed.indices),
                  ConstArray(f"{layer.name}_filter_values", "int8_t", listed.values)]
    else:
        arrays = [ConstArray(f"{layer.name}_filter_bitmap", "uint8_t", form.encoding.bitmap),
                  ConstArray(f"{layer.name}_filter_values", "int8_t", form.encoding.values)]
    if form.kernel in PAIRS_KERNELS:
        use_product(graph, layer, shape, form.kernel, "tg_conv_dsp_params_t", pairs_scratch_bytes(shape["depth"]),
                    arrays)
        layer.variant = DSP if target.dsp else PORTABLE
    else:
        bias = folded_bias_array(graph, layer)
        patch = []
        if form.kernel == CONV_SPARSE:   # two input windows, gathered in the filter's order and interleaved
            p = layer.params
            layer.scratch_bytes = bitmap_conv_scratch_bytes(p["window"]["filter_h"] * p["window"]["filter_w"]
                                                            * p["filter_c"])
            patch = [ScratchArg("int8_t")]
        layer.kernel = form.kernel
        layer.args = [inp, *arrays, bias, *patch, out]
        arrays.append(bias)
    layer.arrays += arrays
    layer.weight_form = "sparse"
    layer.sparse_saved_bytes = form.saved
