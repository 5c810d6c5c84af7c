"""Sparse weights: a CONV_2D or FULLY_CONNECTED layer's int8 weights stored as a bitmap of the
non-zero weights per output channel plus their values (templates/kernels/tg_sparse.h), and run by
the sparse kernel, where that takes less flash than the dense array. The kernels take the input
offset folded into the bias, so they multiply weights by inputs alone."""

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..model.graph import Graph
from .layer import ConstArray, Layer, ScratchArg, TensorArg
from .variants import folded_bias

ALIGNMENT = 16      # weights.c aligns every array: the padding is flash too
CONV_SPARSE = "tg_convolve_sparse_s8"
SPARSE_KERNELS = {"tg_convolve_s8": CONV_SPARSE, "tg_fully_connected_s8": "tg_fully_connected_sparse_s8"}
# Flash a sparse kernel's code adds to the firmware (beside the dense kernel; instead of it, when no
# layer keeps that): the largest over the boards' cores (Cortex-M0, with libgcc's __ctzsi2),
# arm-none-eabi-gcc 12 -O2, rounded up. The layers moved to the kernel must together save more.
ADDED_CODE_BYTES = {CONV_SPARSE: (896, 128), "tg_fully_connected_sparse_s8": (576, 144)}


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


def flash_bytes(*arrays: np.ndarray) -> int:
    return sum(-(-a.nbytes // ALIGNMENT) * ALIGNMENT for a in arrays)


def sparsify(graph: Graph, layers: list[Layer]) -> None:
    """Moves each layer whose weights take less flash sparse to its sparse kernel, for the kernels
    whose layers together save more than the code that adds."""
    uses = Counter(arg.index for layer in layers for arg in layer.args if isinstance(arg, TensorArg))
    candidates: dict[str, list[tuple[Layer, SparseWeights, int]]] = {}
    for layer in layers:
        kernel = SPARSE_KERNELS.get(layer.kernel)
        # With a non-zero weight zero point (filter_offset) a stored 0 is not a zero weight.
        if kernel is None or layer.params.get("filter_offset", 0) != 0 or uses[layer.args[1].index] > 1:
            continue
        weights = graph.tensors[layer.args[1].index].data
        sparse = encode(weights)
        saved = flash_bytes(weights) - flash_bytes(sparse.bitmap, sparse.values)
        if saved > 0:
            candidates.setdefault(kernel, []).append((layer, sparse, saved))
    for kernel, chosen in candidates.items():
        keeps_dense = sum(SPARSE_KERNELS.get(layer.kernel) == kernel for layer in layers) > len(chosen)
        beside, instead = ADDED_CODE_BYTES[kernel]
        if sum(saved for _, _, saved in chosen) > (beside if keeps_dense else instead):
            for layer, sparse, saved in chosen:
                _use_sparse(graph, layer, kernel, sparse, saved)


def _use_sparse(graph: Graph, layer: Layer, kernel: str, sparse: SparseWeights, saved: int) -> None:
    inp, weights, bias_arg, out = layer.args
    bias = graph.tensors[bias_arg.index].data if isinstance(bias_arg, TensorArg) else None
    bias = ConstArray(f"{layer.name}_folded_bias", "int32_t",
                      folded_bias(graph.tensors[weights.index].data, bias, layer.params["input_offset"]))
    bitmap = ConstArray(f"{layer.name}_filter_bitmap", "uint8_t", sparse.bitmap)
    values = ConstArray(f"{layer.name}_filter_values", "int8_t", sparse.values)
    patch = []
    if kernel == CONV_SPARSE:   # two input windows, gathered in the filter's order and interleaved
        layer.scratch_bytes = 2 * layer.params["filter_h"] * layer.params["filter_w"] * layer.params["filter_c"]
        patch = [ScratchArg("int8_t")]
    layer.kernel = kernel
    layer.args = [inp, bitmap, values, bias, *patch, out]
    layer.arrays += [bias, bitmap, values]
    layer.weight_form = "sparse"
    layer.sparse_saved_bytes = saved
