"""Kernel variants: which boards get the DSP kernels, the C contracts the planner relies on, and the
cheaper requantization the kernels use, against the TFLM-exact one (on the host, real gcc; also the
Cortex-M0 arithmetic)."""

import copy
import subprocess

import numpy as np
import pytest

import model_mutations
import tf_models
from tinygen.boards import all_boards, get_board
from tinygen.cli import main
from tinygen.compiler import Target, compile_model
from tinygen.compiler import quantization as q
from tinygen.compiler.codegen import c_value, kernel_sources, product_forms, render
from tinygen.compiler.layer import ConstArray, clamp_params, tensor_requant_params, window_params
from tinygen.compiler.ops.elementwise import (ADD_SAME_SHAPE, MUL_SAME_SHAPE, add_rescales, add_same_shape_params,
                                              mul_same_shape_params)
from tinygen.compiler.in_place import depthwise_lag
from tinygen.compiler.ops.reduce import mean_scratch_bytes
from tinygen.compiler.requant_dsp import PIN_MULTIPLIER, dsp_requant, pinned_accumulator, tflm_requantize
from tinygen.compiler.sparse import bitmap_conv_scratch_bytes
from tinygen.compiler.variants import (ADD_DSP, CONV_DSP, CONV_SHALLOW_DSP, DEPTHWISE_DSP, MATMUL_DSP, MUL_DSP,
                                       board_target, conv_scratch_bytes, conv_shallow_scratch_bytes,
                                       depthwise_rotations, depthwise_scratch_bytes,
                                       matmul_scratch_bytes, product_weights, tap_pair_weights)
from tinygen.quiet_tensorflow import import_tensorflow
from tinygen.resources import kernels_dir
from tinygen.targets import host
from tinygen.targets.host import CFLAGS, host_compiler
from tinygen.validation.host import validate_host

DEPTHS = (4, 5, 7, 8, 9, 17, 27, 64, 255, 1024)

SCRATCH_PROGRAM = """#include <stdio.h>
#include "tg_kernels.h"
int main(void)
{
    const int depths[] = {%s};
    for (unsigned i = 0; i < sizeof depths / sizeof depths[0]; ++i) {
        printf("%%ld %%ld %%ld %%ld %%ld %%ld\\n", (long)tg_matmul_s8_dsp_scratch_bytes(depths[i], 1 + (int)i %% 3, (int)i %% 2 * 4),
               (long)tg_conv_s8_dsp_scratch_bytes(depths[i], 1 + (int)i %% 8, (int)i %% 3 == 0),
               (long)tg_depthwise_conv_s8_dsp_scratch_bytes(depths[i], 3, 1 + (int)i %% 5, 1 + (int)i, 1 + (int)i %% 2,
                                                            i %% 2 ? 3 : 1, (int)i %% 3 * 5),
               (long)tg_mean_s8_scratch_bytes(depths[i]), (long)tg_convolve_sparse_s8_scratch_bytes(depths[i]),
               (long)tg_conv_shallow_s8_dsp_scratch_bytes(depths[i], 1 + (int)i));
    }
    return 0;
}
"""

# Random (x, multiplier >= 0, shift) triples, also the extremes: the fast helper must equal TFLM's.
REQUANTIZE_PROGRAM = """#include <stdio.h>
#include "tg_fixedpoint.h"
static uint64_t state = 88172645463325252u;
static uint32_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return (uint32_t)state; }
int main(void)
{
    const int32_t edges[] = {0, 1, -1, INT32_MAX, INT32_MIN, 1 << 30, -(1 << 30), (1 << 30) + 1};
    long differ = 0;
    for (long i = 0; i < 2000000; ++i) {
        int32_t x = i < 8 * 62 ? edges[i % 8] : (int32_t)next() >> (next() % 31);
        int32_t multiplier = i % 97 == 0 ? 0 : (int32_t)((next() >> 1) | (i % 2 ? 1u << 30 : 0));
        int shift = (int)(i < 8 * 62 ? i / 8 : next() % 62) - 31;
        differ += tg_multiply_by_nonnegative_quantized_multiplier(x, multiplier, shift) !=
                  tg_multiply_by_quantized_multiplier(x, multiplier, shift);
    }
    printf("%ld\\n", differ);
    return 0;
}
"""


# The DSP requantization against TFLM's, over the accumulators and constants the generator admits.
DSP_REQUANTIZE_PROGRAM = """#include <stdbool.h>
#include <stdio.h>
#include "tg_requant_dsp.h"
static uint64_t state = 88172645463325252u;
static uint32_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return (uint32_t)state; }
int main(void)
{
    const int32_t edges[] = {0, 1, -1, (1 << 30) - 1, -(1 << 30) + 1, 1 << 20, -(1 << 20), 3};
    long differ = 0, checked = 0;
    for (long i = 0; i < 2000000; ++i) {
        const bool pinned = i % 89 == 0;    /* a channel of constant accumulator (requant_dsp.py's pinning) */
        const int32_t acc = pinned ? 4 * ((int32_t)(next() % 513) - 256)
                            : i < 8 * 30 ? edges[i % 8] : (int32_t)next() >> (2 + next() % 30);
        const int32_t multiplier = pinned ? 1 << 30
                                   : i % 97 == 0 ? 0 : (int32_t)((next() >> 1) | (i % 2 ? 1u << 30 : 0));
        const int right_shift = pinned ? 1 : i < 8 * 30 ? (int)(i / 8) + 1 : 1 + (int)(next() % 30);
        const int32_t output_offset = (int32_t)(next() % 256) - 128;
        const int64_t rounding = ((int64_t)1 << (right_shift - 1)) + (int64_t)output_offset * ((int64_t)1 << right_shift);
        const int64_t magnitude = (rounding < 0 ? -rounding : rounding) + (acc < 0 ? -(int64_t)acc : acc) + 1;
        if (magnitude >= ((int64_t)1 << 31)) {
            continue;       /* refused at generation time (tinygen/compiler/requant_dsp.py) */
        }
        const int32_t act_min = -128 + (int32_t)(i % 3) * 50, act_max = 127 - (int32_t)(i % 5) * 20;
        const tg_clamp_t clamp = {act_min, act_max};
        const int8_t rounding_shift = (int8_t)(right_shift - 1);
        const tg_requant_t r = {.multipliers = &multiplier, .rounding_shifts = &rounding_shift,
                                .offset_rounding = 2 * output_offset + 1, .per_channel = 0, .clamp = clamp};
        const int8_t expected = tg_requantize_clamp_s8(acc, multiplier, -right_shift, output_offset, clamp);
        differ += tg_requantize_dsp(acc, &r, 0) != expected;
        /* the kernels' other form: the last halving in SSAT, the clamp after it */
        differ += tg_clamp_i32(tg_ssat8_halved(tg_requantize_dsp_twice(acc, &r, 0)), act_min, act_max) != expected;
        const int32_t offset_after = tg_requantize_twice_offset_after_dsp(2 * acc, multiplier, r.offset_rounding,
                                                                          rounding_shift);
        differ += tg_clamp_i32(tg_ssat8_halved(offset_after), act_min, act_max) != expected;
        ++checked;
    }
    printf("%ld %ld\\n", differ, checked);
    return 0;
}
"""


def _run_c(tmp_path, source: str, *kernel_files: str, defines: tuple[str, ...] = ()) -> str:
    (tmp_path / "main.c").write_text(source)
    executable = tmp_path / "main"
    sources = [str(tmp_path / "main.c")] + [str(kernels_dir() / name) for name in kernel_files]
    subprocess.run([host_compiler(), *CFLAGS, *defines, "-I", str(kernels_dir()), *sources, "-o", str(executable)],
                   check=True)
    return subprocess.run([str(executable)], check=True, capture_output=True, text=True).stdout


def test_cores_with_the_dsp_extension_get_the_dsp_variants():
    dsp = {board.id for board in all_boards() if board_target(board).dsp}
    assert dsp == {"mps2-an386", "mps2-an500", "mps2-an505", "mps3-an547", "netduinoplus2", "nrf52840"}
    assert not get_board("microbit").dsp and not get_board("lm3s6965evb").dsp


def test_scratch_bytes_in_c_equal_the_planners(tmp_path):
    program = SCRATCH_PROGRAM % ", ".join(map(str, DEPTHS))
    kernels = (f"{MATMUL_DSP}.c", f"{CONV_DSP}.c", "tg_product_dsp.c", f"{DEPTHWISE_DSP}.c", "tg_mean_s8.c",
               "tg_convolve_sparse_s8.c", f"{CONV_SHALLOW_DSP}.c")
    printed = _run_c(tmp_path, program, *kernels).splitlines()
    assert printed == [f"{matmul_scratch_bytes(size, 1 + i % 3, i % 2 * 4)} {conv_scratch_bytes(size, 1 + i % 8, i % 3 == 0)} "
                       f"{depthwise_scratch_bytes(size, 3, 1 + i % 5, 1 + i, 1 + i % 2, 3 if i % 2 else 1, i % 3 * 5)} "
                       f"{mean_scratch_bytes(size)} {bitmap_conv_scratch_bytes(size)} {conv_shallow_scratch_bytes(size, 1 + i)}"
                       for i, size in enumerate(DEPTHS)]


def test_the_planned_scratch_is_the_kernels(tmp_path):
    path = tmp_path / "fc.tflite"
    path.write_bytes(tf_models.fully_connected((3, 21), 5))
    layer = compile_model(path, target=Target(dsp=True)).layers[0]
    assert layer.kernel == MATMUL_DSP and layer.scratch_bytes == matmul_scratch_bytes(21, 3) > 0   # 3 batches
    path.write_bytes(tf_models.conv2d((5, 7, 4), 4, 3))
    layer = compile_model(path, target=Target(dsp=True)).layers[0]
    assert layer.kernel == CONV_DSP and layer.scratch_bytes == conv_scratch_bytes(3 * 3 * 4, 4) > 0
    path.write_bytes(tf_models.conv2d((5, 7, 2), 4, 3))
    layer = compile_model(path, target=Target(dsp=True)).layers[0]
    assert layer.kernel == CONV_SHALLOW_DSP and layer.scratch_bytes == conv_shallow_scratch_bytes(3 * 3 * 2, 4) > 0
    path.write_bytes(tf_models.depthwise_conv2d((5, 7, 6), 3))
    layer = compile_model(path, target=Target(dsp=True)).layers[0]
    assert layer.kernel == DEPTHWISE_DSP and layer.scratch_bytes == depthwise_scratch_bytes(6, 3, 3, 7, 1, layer.params["rotations"]) > 0


def test_the_dsp_depthwise_keeps_a_ring_of_rows_for_tall_images_only():
    def shape(input_h, input_w, filter_h, stride_h, output_h):
        return {"input_h": input_h, "input_w": input_w, "output_h": output_h,
                "window": window_params((filter_h, 3), (stride_h, 1), (0, 0))}
    assert depthwise_rotations(shape(25, 5, 3, 1, 25)) == 3          # KWS
    assert depthwise_rotations(shape(48, 48, 3, 2, 24)) == 3         # person detection, stride 2
    assert depthwise_rotations(shape(3, 3, 3, 1, 3)) == 1            # too few rows to pay for the rotations
    assert depthwise_rotations(shape(25, 5, 3, 3, 9)) == 1           # windows that do not overlap
    assert depthwise_rotations(shape(25, 5, 1, 1, 25)) == 1


def test_a_depthwise_layer_without_bias_gets_zeros_on_the_dsp_variant(tmp_path):
    """TFLM's runtime crashes on this model, so the portable kernel (which reads NULL as no bias) answers."""
    model = model_mutations.unpack(tf_models.depthwise_conv2d((6, 7, 5), 3, act="RELU"))
    model.subgraphs[0].operators[0].inputs[2] = -1      # the optional bias, omitted
    path = tmp_path / "dw_without_bias.tflite"
    path.write_bytes(model_mutations.pack(model))
    portable, dsp = compile_model(path), compile_model(path, target=Target(dsp=True))
    bias = dsp.layers[0].args[2]
    assert dsp.layers[0].kernel == DEPTHWISE_DSP and isinstance(bias, ConstArray) and not bias.values.any()
    samples = [[np.random.default_rng(seed).integers(-128, 128, (1, 6, 7, 5), dtype=np.int8)] for seed in range(5)]
    expected, actual = (host.run(host.build(compiled, tmp_path / name), compiled, samples, tmp_path / name)
                        for compiled, name in ((portable, "portable"), (dsp, "dsp")))
    assert all(np.array_equal(want[0], got[0]) for want, got in zip(expected, actual))


# The Cortex-M0 arithmetic (32-bit products only) is plain C: the host runs it too.
@pytest.mark.parametrize("defines", [(), ("-D__ARM_ARCH_6M__",)], ids=["host", "cortex-m0-arithmetic"])
def test_fast_requantization_equals_tflms(tmp_path, defines):
    assert _run_c(tmp_path, REQUANTIZE_PROGRAM, defines=defines).strip() == "0"


def test_the_dsp_product_is_compiled_once_beside_the_kernels_that_use_it(tmp_path):
    path = tmp_path / "conv.tflite"
    path.write_bytes(tf_models.conv2d((5, 7, 4), 4, 3))
    assert kernel_sources(compile_model(path, target=Target(dsp=True))) == [f"{CONV_DSP}.c", "tg_product_dsp.c"]
    assert "tg_product_dsp.c" not in kernel_sources(compile_model(path))


def test_the_product_compiles_only_the_requantization_forms_the_model_uses(tmp_path):
    """Product layers that all keep the whole int8 range (or all clamp, all per channel...) get only that
    form compiled; a model with a clamped and a whole-range layer gets both, chosen per run; bit-exact."""
    clamped = tmp_path / "clamped.tflite"
    clamped.write_bytes(tf_models.fully_connected((1, 24), 10, act="RELU_N1_TO_1", seed=1))
    model = compile_model(clamped, target=Target(dsp=True))
    assert product_forms(model) == {"whole_range": False, "clamped": True, "per_channel": True, "per_tensor": False,
                                    "single_runs": False, "stacked": True, "plain": False}
    header = render(model)["tg_product_forms.h"]
    assert "#define TG_PRODUCT_WHOLE_RANGE 0" in header and "#define TG_PRODUCT_CLAMPED 1" in header
    per_tensor = tmp_path / "per_tensor.tflite"
    per_tensor.write_bytes(tf_models.fully_connected((1, 24), 10, per_channel=False, seed=2))
    assert product_forms(compile_model(per_tensor, target=Target(dsp=True)))["per_tensor"]
    rng = np.random.default_rng(3)
    w1, w2 = rng.normal(0, 0.3, (24, 16)).astype(np.float32), rng.normal(0, 0.3, (16, 10)).astype(np.float32)
    both = tmp_path / "both.tflite"
    tf = import_tensorflow()
    both.write_bytes(tf_models.convert(lambda x: tf.matmul(tf.clip_by_value(tf.matmul(x, w1), -1.0, 1.0), w2),
                                       [(1, 24)]))
    forms = product_forms(compile_model(both, target=Target(dsp=True)))
    assert forms["whole_range"] and forms["clamped"], forms
    for path in (clamped, per_tensor, both):
        assert validate_host(path, None, samples=20, target=Target(dsp=True)).bit_exact, path.name


def test_the_product_weights_are_whole_words_with_each_pair_of_rows_interleaved():
    weights = np.arange(1, 16, dtype=np.int8).reshape(3, 5)
    row0, row1, row2 = ([*range(first, first + 5), 0, 0, 0] for first in (1, 6, 11))
    expected = row0[:4] + row1[:4] + row0[4:] + row1[4:] + row2
    assert product_weights("layer", weights, stacked=False).values.tolist() == expected


def test_the_tap_pair_weights_stay_int8_two_taps_of_two_rows_to_a_word_a_lone_row_four_taps_to_a_word():
    """Each word widens by SXTB16 and SXTB16 ROR 8 into the halfword pairs the shallow kernel's SMLADs take:
    rows padded to an even count of taps, {row 0 t, row 1 t, row 0 t + 1, row 1 t + 1} per pair of rows, a
    last odd row padded to a multiple of four taps as {t, t + 2, t + 1, t + 3}."""
    weights = np.arange(1, 16, dtype=np.int8).reshape(3, 5)
    weights[0, 0] = -128
    expected = [-128, 6, 2, 7, 3, 8, 4, 9, 5, 10, 0, 0] + [11, 13, 12, 14, 15, 0, 0, 0]
    array = tap_pair_weights("layer", weights)
    assert array.ctype == "int8_t" and array.values.tolist() == expected


def test_dsp_requantization_equals_tflms(tmp_path):
    differ, checked = map(int, _run_c(tmp_path, DSP_REQUANTIZE_PROGRAM).split())
    assert differ == 0 and checked > 1_000_000


def test_a_pinned_channel_gives_the_output_of_its_constant_accumulator():
    """A channel of all-zero weights keeps no rounding of its own: its accumulator pinned to 4w, requantized
    by 2^30 and right shift 1, is TFLM's output once offset and clamped."""
    rng = np.random.default_rng(9)
    for _ in range(20000):
        accumulator, multiplier = int(rng.integers(-(1 << 31), 1 << 31)), int(rng.integers(0, 1 << 31))
        shift, offset = int(rng.integers(-31, 8)), int(rng.integers(-128, 128))
        act_min, act_max = sorted(int(v) for v in rng.integers(-128, 128, 2))
        pinned = pinned_accumulator(accumulator, multiplier, shift)
        expected = np.clip(tflm_requantize(accumulator, multiplier, shift) + offset, act_min, act_max)
        assert np.clip(tflm_requantize(pinned, PIN_MULTIPLIER, -1) + offset, act_min, act_max) == expected


def _without_weights_of_channel(channel: int):
    """A change (model_mutations.edited) zeroing one output channel of the first FULLY_CONNECTED's weights."""
    def change(model):
        op = model_mutations.first_op(model, "FULLY_CONNECTED")
        tensor = model.subgraphs[0].tensors[op.inputs[1]]
        buffer = model.buffers[tensor.buffer]
        weights = np.frombuffer(bytes(buffer.data), np.int8).reshape(tensor.shape).copy()
        weights[channel] = 0
        buffer.data = np.frombuffer(weights.tobytes(), np.uint8)
    return change


def test_a_channel_without_weights_is_pinned_and_bit_exact(tmp_path):
    """The DSP requantization of a channel whose output is its bias's, whatever the input (pinned)."""
    path = tmp_path / "fc.tflite"
    path.write_bytes(model_mutations.edited(tf_models.fully_connected((3, 21), 5), _without_weights_of_channel(2)))
    layer = compile_model(path, target=Target(dsp=True)).layers[0]
    multipliers = next(array for array in layer.arrays if array.name == layer.params["product"]["requant"]["multipliers"])
    assert layer.variant == "dsp" and multipliers.values[2] == PIN_MULTIPLIER
    assert validate_host(path, None, samples=3, target=Target(dsp=True)).bit_exact


def test_the_dsp_requantization_refuses_what_it_cannot_compute_exactly(tmp_path):
    """No right shift (a scale of at least 1/2), or accumulators that could reach 2^30: refused, and
    the layer left as lowering made it."""
    path = tmp_path / "fc.tflite"
    path.write_bytes(tf_models.fully_connected((3, 21), 5))
    layer = compile_model(path).layers[0]
    shifts = next(array for array in layer.arrays if array.name == layer.params["requant"]["shifts"])
    arrays_before = list(layer.arrays)
    small = np.full(5, 1000)
    assert dsp_requant(copy.deepcopy(layer), small, True) is not None
    assert dsp_requant(layer, np.full(5, 1 << 30), True) is None
    shifts.values[2] = 0
    assert dsp_requant(layer, small, True) is None
    assert layer.arrays == arrays_before


@pytest.mark.parametrize("board,kernel", [("netduinoplus2", MATMUL_DSP), ("microbit", "tg_convolve_s8"), (None, "tg_convolve_s8")])
def test_compile_shows_the_kernel_chosen_for_the_board(tmp_path, capsys, board, kernel):
    path = tmp_path / "conv.tflite"
    path.write_bytes(tf_models.conv2d((5, 7, 8), 6, 1))
    assert main(["compile", str(path), "-o", str(tmp_path / "out")] + (["--board", board] if board else [])) == 0
    table = capsys.readouterr().out
    assert f" CONV_2D  {kernel} " in table
    assert ("DSP extension" if kernel == MATMUL_DSP else "portable C") in table
    assert (tmp_path / "out" / "tg_acle.h").exists() == (kernel == MATMUL_DSP)


# Every pair of int8 inputs (and a tail of 3 past a whole number of words) through the ADD kernels.
ADD_PROGRAM = """#include <stdio.h>
#include "tg_kernels.h"
#define N 65539
static int8_t first[N], second[N], broadcast_out[N], portable_out[N], dsp_out[N];
static const tg_add_params_t broadcast[] = {%s};
static const tg_add_same_shape_params_t same_shape[] = {%s};
static const int swapped[] = {%s};     /* the same-shape kernel takes the inputs the other way round */
int main(void)
{
    for (long i = 0; i < N; ++i) {
        first[i] = (int8_t)(i & 0xFF);
        second[i] = (int8_t)((i >> 8) * 7);
    }
    for (unsigned c = 0; c < sizeof swapped / sizeof swapped[0]; ++c) {
        const int8_t *in1 = swapped[c] ? second : first, *in2 = swapped[c] ? first : second;
        long differ = 0, inside = 0;
        tg_add_s8(&broadcast[c], first, second, broadcast_out);
        tg_add_same_shape_s8(&same_shape[c], in1, in2, portable_out);
        tg_add_s8_dsp(&same_shape[c], in1, in2, dsp_out);
        for (long i = 0; i < N; ++i) {
            differ += (broadcast_out[i] != portable_out[i]) + (broadcast_out[i] != dsp_out[i]);
            inside += broadcast_out[i] > broadcast[c].output.clamp.act_min
                      && broadcast_out[i] < broadcast[c].output.clamp.act_max;
        }
        printf("%%ld %%ld\\n", differ, inside);
    }
    return 0;
}
"""


def _add_configurations(count: int) -> list[dict]:
    """tg_add_s8 parameters of ADD layers without broadcast: scale ratios from equal (both inputs
    exact) to 2^-14, zero points at the extremes and between, each fused activation."""
    rng = np.random.default_rng(9)
    configurations = []
    for i in range(count):
        a_scale = 10 ** rng.uniform(-3, 0)
        b_scale = a_scale * (1.0 if i % 5 == 0 else 2.0 ** rng.uniform(-14, 14))
        out_scale = max(a_scale, b_scale) * rng.uniform(0.3, 3)
        a_zp, b_zp = ([-128, 127, int(rng.integers(-128, 128))][(i + k) % 3] for k in range(2))
        out_zp = -128 if i % 7 == 0 else int(rng.integers(-100, 100))
        act_min, act_max = q.activation_range(["NONE", "RELU", "RELU6"][i % 3], out_scale, out_zp)
        shape = {"output_shape": [1, 1, 1, 1, 1, 65539], "input1_strides": [65539] * 5 + [1],
                 "input2_strides": [65539] * 5 + [1]}
        inputs, (multiplier, shift) = add_rescales(a_scale, b_scale, out_scale)
        configurations.append({"shape": shape, "input1_offset": -a_zp, "input2_offset": -b_zp, **inputs,
                               "output": tensor_requant_params(multiplier, shift, out_zp,
                                                               clamp_params(act_min, act_max))})
    return configurations


MUL_PROGRAM = ADD_PROGRAM.replace("tg_add_params_t", "tg_mul_params_t").replace(
    "tg_add_same_shape_params_t", "tg_mul_same_shape_params_t").replace("tg_add_", "tg_mul_")


def _mul_configurations(count: int) -> list[dict]:
    """tg_mul_s8 parameters of MUL layers without broadcast: output scales around the product's range,
    zero points at the extremes and between, each fused activation."""
    rng = np.random.default_rng(10)
    configurations = []
    for i in range(count):
        a_scale, b_scale = 10 ** rng.uniform(-3, 0), 10 ** rng.uniform(-3, 0)
        out_scale = a_scale * b_scale * 255 * rng.uniform(0.05, 2)
        a_zp, b_zp = ([-128, 127, int(rng.integers(-128, 128))][(i + k) % 3] for k in range(2))
        out_zp = -128 if i % 7 == 0 else int(rng.integers(-100, 100))
        act_min, act_max = q.activation_range(["NONE", "RELU", "RELU6"][i % 3], out_scale, out_zp)
        multiplier, shift = q.quantize_multiplier(a_scale * b_scale / out_scale)
        shape = {"output_shape": [1, 1, 1, 1, 1, 65539], "input1_strides": [65539] * 5 + [1],
                 "input2_strides": [65539] * 5 + [1]}
        configurations.append({"shape": shape, "input1_offset": -a_zp, "input2_offset": -b_zp,
                               "output": tensor_requant_params(multiplier, shift, out_zp,
                                                               clamp_params(act_min, act_max))})
    return configurations


def test_the_same_shape_muls_equal_the_broadcast_one_on_every_input_pair(tmp_path):
    admitted = [(p, same_shape) for p in _mul_configurations(30) if (same_shape := mul_same_shape_params(p))]
    assert len(admitted) == 30
    program = MUL_PROGRAM % (", ".join(c_value(p) for p, _ in admitted),
                             ", ".join(c_value(params) for _, params in admitted), ", ".join("0" for _ in admitted))
    output = _run_c(tmp_path, program, "tg_mul_s8.c", f"{MUL_SAME_SHAPE}.c", f"{MUL_DSP}.c")
    printed = [tuple(map(int, line.split())) for line in output.splitlines()]
    assert [differ for differ, _ in printed] == [0] * len(admitted)
    assert sum(inside for _, inside in printed) > len(printed) * 65539 // 4


def test_the_same_shape_adds_equal_the_broadcast_one_on_every_input_pair(tmp_path):
    """tg_add_s8 is TFLM's arithmetic as written (the op sweep checks it against TFLM)."""
    chosen = [(p, add_same_shape_params(p)) for p in _add_configurations(40)]
    admitted = [(p, same_shape) for p, same_shape in chosen if same_shape is not None]
    assert len(admitted) >= 36
    assert any(p["input1_shift"] == p["input2_shift"] == 0 for p, _ in admitted)
    program = ADD_PROGRAM % (", ".join(c_value(p) for p, _ in admitted),
                             ", ".join(c_value(params) for _, (params, _) in admitted),
                             ", ".join(str(exact) for _, (_, exact) in admitted))
    output = _run_c(tmp_path, program, "tg_add_s8.c", f"{ADD_SAME_SHAPE}.c", f"{ADD_DSP}.c")
    printed = [tuple(map(int, line.split())) for line in output.splitlines()]
    assert [differ for differ, _ in printed] == [0] * len(admitted)
    assert sum(inside for _, inside in printed) > len(printed) * 65539 // 4     # not all clamped: the arithmetic shows


def test_the_same_shape_add_refuses_broadcasts_and_a_scale_without_right_shift():
    p = _add_configurations(1)[0]
    assert add_same_shape_params(p) is not None
    assert add_same_shape_params({**p, "shape": {**p["shape"], "input2_strides": [0] * 5 + [1]}}) is None
    assert add_same_shape_params({**p, "output": {**p["output"], "shift": 0}}) is None


def test_the_dsp_depthwise_output_starts_below_every_row_it_copies_later():
    base = dict(batches=1, input_h=25, input_w=5, channels=64, output_h=25, output_w=5,
                window=window_params((3, 3), (1, 1), (1, 1)))
    assert depthwise_lag({**base, "rotations": 3, "slide": 0}) == 0     # a ring: each row copied once, in time
    assert depthwise_lag({**base, "rotations": 1, "slide": 1}) == 0     # kept rows slide: each copied once too
    assert depthwise_lag({**base, "rotations": 1, "slide": 0}) == 5 * 64    # rows copied again: one row below
    assert depthwise_lag({**base, "rotations": 1, "slide": 0, "output_h": 12, "output_w": 3,
                          "window": window_params((3, 3), (2, 2), (0, 0))}) == 0


def test_an_in_place_depthwise_shares_its_inputs_bytes_and_lowers_the_arena(tmp_path):
    """conv -> depthwise -> conv: the depthwise's input dies there, so its output goes over it, on the DSP
    variant (bit-exact); the portable variant keeps them apart."""
    tf = import_tensorflow()
    rng = np.random.default_rng(4)
    c1, d, c2 = (rng.normal(0, 0.3, s).astype(np.float32) for s in ((1, 1, 2, 16), (3, 3, 16, 1), (1, 1, 16, 8)))
    path = tmp_path / "conv_dw_conv.tflite"
    path.write_bytes(tf_models.convert(
        lambda x: tf.nn.conv2d(tf.nn.relu(tf.nn.depthwise_conv2d(tf.nn.relu(tf.nn.conv2d(x, c1, 1, "SAME")), d,
                                                                 [1, 1, 1, 1], "SAME")), c2, 1, "SAME"),
        [(1, 24, 6, 2)]))
    dsp, portable = compile_model(path, target=Target(dsp=True)), compile_model(path)
    dw = next(layer for layer in dsp.layers if layer.kernel == DEPTHWISE_DSP)
    source, written = dw.op.inputs[0], dw.op.outputs[0]
    assert dsp.storage[source] == dsp.storage[written]
    activation = 24 * 6 * 16                    # the depthwise's input and output, one byte a value
    assert dsp.arena_bytes < 2 * activation + dw.scratch_bytes      # apart, they would take both at once
    portable_dw = next(layer for layer in portable.layers if layer.op.op_type == "DEPTHWISE_CONV_2D")
    assert portable.storage[portable_dw.op.inputs[0]] != portable.storage[portable_dw.op.outputs[0]]
    assert validate_host(path, None, samples=20, target=Target(dsp=True)).bit_exact
