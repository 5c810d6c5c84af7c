"""Sparse weights: the encoding, the compiler's choice (sparse only where it saves flash), bit-exact
results on the host and in QEMU, and smaller firmware.

The models are TensorFlow-made (tests/tf_models.py) with 80 % of their weights pruned to zero by
magnitude before conversion; the layers are large enough for their saving to pay for the sparse
kernel's code."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest

import tf_models
from tinygen.boards import get_board
from tinygen.compiler import compile_graph, compile_model
from tinygen.compiler.codegen import render, write_atomically
from tinygen.compiler import Target
from tinygen.compiler.sparse import BITMAP_DSP, LIST_KERNEL, encode, encode_list, pairs_scratch_bytes
from tinygen.firmware.build import build, compile_for, embedded_input
from tinygen.model.tflite_importer import load_tflite
from tinygen.validation.reference import TflmReference
from tinygen.report import layer_table
from tinygen.targets.qemu import run_elf
from tinygen.validation.host import validate_host

from test_codegen import COMPILERS, compile_c
from test_kernel_variants import _run_c

SPARSITY = 0.8
SPARSE_KERNELS = {"CONV_2D": "tg_convolve_sparse_s8", "FULLY_CONNECTED": "tg_fully_connected_sparse_s8"}
conv, fc = tf_models.conv2d, tf_models.fully_connected

# id -> builder of a one-layer model with 80 % zero weights
SPARSE_MODELS = {
    "conv-10x10x16-o32-k3-s1-pc": functools.partial(conv, (10, 10, 16), 32, 3, sparsity=SPARSITY),
    "conv-12x12x8-o16-k5-s2-relu-pt": functools.partial(conv, (12, 12, 8), 16, 5, 2, "SAME", 1, "RELU", False,
                                                        sparsity=SPARSITY),
    "conv-8x8x64-o32-k1-pt": functools.partial(conv, (8, 8, 64), 32, 1, per_channel=False, sparsity=SPARSITY),
    "conv-11x9x24-o48-k3x1-s1x2-d2-valid-relu6": functools.partial(conv, (11, 9, 24), 48, (3, 1), (1, 2), "VALID", 2,
                                                                   "RELU6", sparsity=SPARSITY),
    "conv-8x8x16-o32-k3-groups2": functools.partial(conv, (8, 8, 16), 32, 3, sparsity=SPARSITY, groups=2),
    "fc-1x256-u32-relu-pc": functools.partial(fc, (1, 256), 32, "RELU", sparsity=SPARSITY),
    "fc-2x200-u24-pt": functools.partial(fc, (2, 200), 24, per_channel=False, sparsity=SPARSITY),
    "fc-1x4x4x16-u20-relu6-pc": functools.partial(fc, (1, 4, 4, 16), 20, "RELU6", sparsity=SPARSITY),
}
DENSE_MODELS = {
    "conv-10x10x16-o32-k3-unpruned": functools.partial(conv, (10, 10, 16), 32, 3),
    "fc-1x256-u32-unpruned": functools.partial(fc, (1, 256), 32),
    "dwconv-10x10x32-k3-pruned": functools.partial(tf_models.depthwise_conv2d, (10, 10, 32), 3, sparsity=SPARSITY),
    "fc-1x17-u5-pruned-too-small-to-pay": functools.partial(fc, (1, 17), 5, sparsity=SPARSITY),
}
# Saving 336 B: more than the FC sparse kernel adds in place of the dense one, less than beside it.
# The list form (95 % zeros) and the DSP cores' threshold (half the weights zero: dense there).
LIST_MODELS = {
    "conv-12x12x64-o64-k1-95": functools.partial(conv, (12, 12, 64), 64, 1, sparsity=0.95),
    "conv-12x12x64-o64-k1-50": functools.partial(conv, (12, 12, 64), 64, 1, sparsity=0.5),
}
SMALL_SAVING_MODELS = {
    "fc-1x32-u16-pruned": functools.partial(fc, (1, 32), 16, sparsity=SPARSITY),
    "fc-1x32-u16-pruned-then-u10-unpruned": functools.partial(tf_models.fully_connected_stack, 32,
                                                              [(16, SPARSITY), (10, 0.0)]),
}


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sparse-models")

    @functools.cache
    def make(case: str):
        path = folder / f"{case}.tflite"
        path.write_bytes({**SPARSE_MODELS, **DENSE_MODELS, **SMALL_SAVING_MODELS, **LIST_MODELS}[case]())
        return path

    return make


def weight_layer(model):
    (layer,) = [layer for layer in model.layers if layer.weight_form]
    return layer


def decode(bitmap: np.ndarray, values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The weights back from their encoding, read as tg_sparse.h reads them."""
    channels, n = shape[0], int(np.prod(shape[1:]))
    dense = np.zeros((channels, n), np.int8)
    rows = bitmap.reshape(channels, -1)
    next_value = 0
    for c in range(channels):
        for i, byte in enumerate(rows[c]):
            for k in range(8):
                if byte >> k & 1:
                    dense[c, 8 * i + k] = values[next_value]
                    next_value += 1
    return dense.reshape(shape)


def test_encoding_round_trips_a_hand_made_array():
    weights = np.zeros((4, 3, 1, 5), np.int8)              # 15 weights per channel: 2 bitmap bytes each
    weights[0, 0, 0, 1] = 5
    weights[0, 1, 0, 4] = -128
    weights[0, 2, 0, 4] = 127
    weights[2] = np.arange(1, 16).reshape(3, 1, 5)         # all non-zero; channels 1 and 3 all zero
    weights[3, 2, 0, 0] = -1
    sparse = encode(weights)
    assert sparse.bitmap.dtype == np.uint8 and sparse.values.dtype == np.int8
    assert sparse.bitmap.tolist() == [[0b0000_0010, 0b0100_0010], [0, 0], [0xFF, 0x7F], [0, 0b0000_0100]]
    assert sparse.values.tolist() == [5, -128, 127, *range(1, 16), -1]
    np.testing.assert_array_equal(decode(sparse.bitmap, sparse.values, weights.shape), weights)
    rng = np.random.default_rng(0)
    random = (rng.integers(-128, 128, (7, 3, 3, 5)) * (rng.random((7, 3, 3, 5)) < 0.2)).astype(np.int8)
    sparse = encode(random)
    np.testing.assert_array_equal(decode(sparse.bitmap, sparse.values, random.shape), random)


def decode_list(counts: np.ndarray, indices: np.ndarray, values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The weights back from their list form, read as tg_conv_sparse_list_s8.c reads them."""
    dense = np.zeros((shape[0], counts.shape[1] * 256), np.int8)
    position = 0
    for c in range(shape[0]):
        for segment, count in enumerate(counts[c]):
            for index, value in zip(indices[position:position + count], values[position:position + count]):
                dense[c, 256 * segment + int(index)] = value
            position += int(count)
    return dense[:, :int(np.prod(shape[1:]))].reshape(shape)


def test_list_encoding_round_trips_over_segments_and_empty_channels():
    rng = np.random.default_rng(1)
    weights = (rng.integers(-128, 128, (6, 3, 3, 40)) * (rng.random((6, 3, 3, 40)) < 0.1)).astype(np.int8)
    weights[2] = 0                                           # a channel without any non-zero weight
    weights[4, 2, 2, 39] = -128                              # the last input: index 103 of segment 1
    listed = encode_list(weights)
    assert listed.counts.shape == (6, 2) and listed.counts[2].tolist() == [0, 0]
    assert listed.indices.dtype == np.uint8 and len(listed.indices) == len(listed.values) == np.count_nonzero(weights)
    np.testing.assert_array_equal(decode_list(listed.counts, listed.indices, listed.values, weights.shape), weights)
    assert encode_list(np.ones((2, 300), np.int8)) is None   # 256 non-zero weights: a count byte holds 255
    assert encode_list(np.zeros((2, 9), np.int8)).values.tolist() == [0]


def test_pairs_kernels_scratch_bytes_in_c_equal_the_planners(tmp_path):
    program = """#include <stdio.h>
#include "tg_kernels.h"
int main(void)
{
    const int depths[] = {1, 4, 7, 64, 255, 288, 1024};
    for (unsigned i = 0; i < sizeof depths / sizeof depths[0]; ++i) {
        printf("%ld %ld\\n", (long)tg_conv_sparse_list_s8_scratch_bytes(depths[i]),
               (long)tg_conv_sparse_bitmap_s8_dsp_scratch_bytes(depths[i]));
    }
    return 0;
}
"""
    printed = _run_c(tmp_path, program, f"{LIST_KERNEL}.c", f"{BITMAP_DSP}.c").splitlines()
    assert printed == [f"{pairs_scratch_bytes(d)} {pairs_scratch_bytes(d)}" for d in (1, 4, 7, 64, 255, 288, 1024)]


def test_the_list_form_where_smaller_and_dense_on_dsp_cores_under_three_quarters_zeros(model_path):
    sparse_95, sparse_50 = model_path("conv-12x12x64-o64-k1-95"), model_path("conv-12x12x64-o64-k1-50")
    for target in (Target(), Target(dsp=True)):
        layer = weight_layer(compile_model(sparse_95, target=target))
        assert layer.kernel == LIST_KERNEL and layer.variant == ("dsp" if target.dsp else "portable")
    assert weight_layer(compile_model(sparse_50)).kernel == "tg_convolve_sparse_s8"
    dense_on_dsp = weight_layer(compile_model(sparse_50, target=Target(dsp=True)))
    assert dense_on_dsp.weight_form == "dense" and dense_on_dsp.kernel == "tg_matmul_s8_dsp"


def test_all_zero_weights_keep_one_value_byte():
    sparse = encode(np.zeros((2, 9), np.int8))
    assert sparse.bitmap.tolist() == [[0, 0], [0, 0]] and sparse.values.tolist() == [0]


@pytest.mark.parametrize("case", sorted(SPARSE_MODELS))
def test_pruned_layer_goes_sparse_and_stays_bit_exact(case, model_path):
    path = model_path(case)
    model, dense = compile_model(path), compile_model(path, sparse=False)
    layer = weight_layer(model)
    assert layer.kernel == SPARSE_KERNELS[layer.op.op_type] and layer.weight_form == "sparse"
    assert layer.sparse_saved_bytes > 0 and model.sparse_saved_bytes == layer.sparse_saved_bytes
    assert model.weights_bytes < dense.weights_bytes
    assert weight_layer(dense).weight_form == "dense" and dense.sparse_saved_bytes == 0
    report = validate_host(path, None, samples=20)
    assert report.bit_exact, report


@pytest.mark.parametrize("case", sorted(DENSE_MODELS))
def test_layer_stays_dense(case, model_path):
    model = compile_model(model_path(case))
    layer = weight_layer(model)
    assert layer.weight_form == "dense" and not layer.kernel.endswith("_sparse_s8")
    assert model.sparse_saved_bytes == 0


def test_a_small_saving_must_pay_for_the_sparse_kernels_code(model_path):
    alone = compile_model(model_path("fc-1x32-u16-pruned"))
    assert weight_layer(alone).weight_form == "sparse" and alone.sparse_saved_bytes == 336
    assert validate_host(model_path("fc-1x32-u16-pruned"), None, samples=20).bit_exact
    mixed = compile_model(model_path("fc-1x32-u16-pruned-then-u10-unpruned"))
    assert [layer.kernel for layer in mixed.layers] == ["tg_fully_connected_s8"] * 2
    assert mixed.sparse_saved_bytes == 0


def test_fully_connected_with_a_weight_zero_point_stays_dense(model_path):
    """A stored 0 is the weight -zero_point then, not a zero weight."""
    path = model_path("fc-1x256-u32-relu-pc")
    graph = load_tflite(path)
    (fc_op,) = graph.operators
    weights = graph.tensors[fc_op.inputs[1]]
    weights.quant = dataclasses.replace(weights.quant, scale=weights.quant.scale[:1], zero_point=(3,))
    layer = weight_layer(compile_graph(graph, path.name, path.read_bytes()))
    assert layer.params["filter_offset"] == -3 and layer.kernel == "tg_fully_connected_s8"


def test_compile_table_shows_the_weights_form(model_path):
    model = compile_model(model_path("conv-10x10x16-o32-k3-s1-pc"))
    table = layer_table(model)
    assert "weights" in table.splitlines()[0]
    assert table.count(f"sparse -{model.sparse_saved_bytes:,} B") == 2          # the layer and the total
    assert "dense" in layer_table(compile_model(model_path("fc-1x256-u32-unpruned")))


@pytest.mark.parametrize("compiler", sorted(COMPILERS))
def test_sparse_c_compiles_without_warnings_and_is_reproducible(compiler, model_path, tmp_path):
    for case, op_type in (("conv-8x8x16-o32-k3-groups2", "CONV_2D"), ("fc-2x200-u24-pt", "FULLY_CONNECTED")):
        files = render(compile_model(model_path(case)))
        assert files == render(compile_model(model_path(case)))
        assert {"tg_sparse.h", f"{SPARSE_KERNELS[op_type]}.c"} <= files.keys()
        write_atomically(files, tmp_path / case)
        compile_c(COMPILERS[compiler], tmp_path / case)


@pytest.mark.parametrize("compiler", sorted(COMPILERS))
def test_pairs_kernels_compile_without_warnings_and_are_reproducible(compiler, model_path, tmp_path):
    for case, target, kernel in (("conv-12x12x64-o64-k1-95", Target(), LIST_KERNEL),
                                 ("conv-10x10x16-o32-k3-s1-pc", Target(dsp=True), BITMAP_DSP)):
        files = render(compile_model(model_path(case), target=target))
        assert files == render(compile_model(model_path(case), target=target))
        assert {"tg_sparse_pairs.h", f"{kernel}.c"} <= files.keys()
        write_atomically(files, tmp_path / kernel)
        compile_c(COMPILERS[compiler], tmp_path / kernel)


@pytest.fixture(scope="module")
def tinygen_home(tmp_path_factory):
    """PlatformIO from an empty core folder, as in test_firmware.py."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TINYGEN_HOME", str(tmp_path_factory.mktemp("tinygen-home")))
        yield


@pytest.mark.parametrize("case, board_id", [("conv-10x10x16-o32-k3-s1-pc", "lm3s6965evb"),
                                            ("fc-1x256-u32-relu-pc", "lm3s6965evb"),
                                            ("conv-12x12x64-o64-k1-95", "lm3s6965evb"),
                                            ("conv-12x12x64-o64-k1-95", "netduinoplus2")])
def test_sparse_firmware_is_smaller_faster_and_equal_to_tflm_in_qemu(case, board_id, model_path, tmp_path,
                                                                     tinygen_home):
    """On a core with the DSP extension the dense side runs the DSP kernels: the list kernel is faster
    still."""
    board = get_board(board_id)
    path = model_path(case)
    model = compile_model(path)
    expected = TflmReference(path, len(model.outputs)).run(embedded_input(model, None))
    flash, instructions = {}, {}
    for sparse in (True, False):
        result = build(board, compile_for(board, path, sparse=sparse), tmp_path / f"sparse-{sparse}")
        flash[sparse] = result.report["flash"]["used"]
        run = run_elf(board, result.elf)
        assert run.exit_code == 0, run.uart
        (line,) = run.lines("tg-output ")
        assert bytes.fromhex(line.split()[1]) == np.ascontiguousarray(expected[0]).tobytes(), (case, sparse)
        (counter,) = run.lines("tg-counter ")
        instructions[sparse] = board.instructions_from_ticks(int(counter.split()[0]))
    assert flash[True] < flash[False], flash
    assert instructions[True] < instructions[False], instructions


def test_the_bitmap_form_on_dsp_cores_trades_under_half_more_instructions_for_a_third_of_the_bytes(
        model_path, tmp_path, tinygen_home):
    """At 80 % zeros the dense DSP kernel is faster than the bitmap one; the layer goes sparse for its flash."""
    board, path = get_board("netduinoplus2"), model_path("conv-10x10x16-o32-k3-s1-pc")
    expected = TflmReference(path, 1).run(embedded_input(compile_model(path), None))
    flash, instructions = {}, {}
    for sparse in (True, False):
        result = build(board, compile_for(board, path, sparse=sparse), tmp_path / f"sparse-{sparse}")
        flash[sparse] = result.report["flash"]["used"]
        run = run_elf(board, result.elf)
        (line,) = run.lines("tg-output ")
        assert bytes.fromhex(line.split()[1]) == np.ascontiguousarray(expected[0]).tobytes()
        instructions[sparse] = board.instructions_from_ticks(int(run.lines("tg-counter ")[0].split()[0]))
    assert flash[True] < flash[False] - 2500, flash
    assert instructions[False] < instructions[True] < 1.5 * instructions[False], instructions

