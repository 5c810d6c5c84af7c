"""Kernel variants: which boards get the DSP kernels, the C contracts the planner relies on, and the
cheaper requantization the DSP kernel uses, against the TFLM-exact one (on the host, real gcc)."""

import copy
import subprocess

import numpy as np
import pytest

import tf_models
from tinygen.boards import all_boards, get_board
from tinygen.cli import main
from tinygen.compiler import Target, compile_model
from tinygen.compiler.codegen import kernel_sources
from tinygen.compiler.variants import (CONV_DSP, MATMUL_DSP, board_target, conv_scratch_bytes,
                                       matmul_scratch_bytes, product_weights)
from tinygen.compiler.requant_dsp import dsp_requant
from tinygen.resources import kernels_dir
from tinygen.targets.host import CFLAGS, host_compiler

DEPTHS = (4, 5, 7, 8, 17, 64, 255, 1024)

SCRATCH_PROGRAM = """#include <stdio.h>
#include "tg_kernels.h"
int main(void)
{
    const int depths[] = {%s};
    for (unsigned i = 0; i < sizeof depths / sizeof depths[0]; ++i) {
        printf("%%ld %%ld\\n", (long)tg_matmul_s8_dsp_scratch_bytes(depths[i]),
               (long)tg_conv_s8_dsp_scratch_bytes(depths[i]));
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
DSP_REQUANTIZE_PROGRAM = """#include <stdio.h>
#include "tg_requant_dsp.h"
static uint64_t state = 88172645463325252u;
static uint32_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return (uint32_t)state; }
int main(void)
{
    const int32_t edges[] = {0, 1, -1, (1 << 30) - 1, -(1 << 30) + 1, 1 << 20, -(1 << 20), 3};
    long differ = 0, checked = 0;
    for (long i = 0; i < 2000000; ++i) {
        const int32_t acc = i < 8 * 30 ? edges[i % 8] : (int32_t)next() >> (2 + next() % 30);
        const int32_t multiplier = i % 97 == 0 ? 0 : (int32_t)((next() >> 1) | (i % 2 ? 1u << 30 : 0));
        const int right_shift = i < 8 * 30 ? (int)(i / 8) + 1 : 1 + (int)(next() % 30);
        const int32_t output_offset = (int32_t)(next() % 256) - 128;
        const int64_t rounding = ((int64_t)1 << (right_shift - 1)) + (int64_t)output_offset * ((int64_t)1 << right_shift);
        const int64_t magnitude = (rounding < 0 ? -rounding : rounding) + (acc < 0 ? -(int64_t)acc : acc) + 1;
        if (magnitude >= ((int64_t)1 << 31)) {
            continue;       /* refused at generation time (tinygen/compiler/requant_dsp.py) */
        }
        const int32_t act_min = -128 + (int32_t)(i % 3) * 50, act_max = 127 - (int32_t)(i % 5) * 20;
        const int8_t right = (int8_t)right_shift;
        const int32_t rounding32 = (int32_t)rounding;
        const tg_requant_t r = {&multiplier, &rounding32, &right, 0, act_min, act_max};
        differ += tg_requantize_dsp(acc, &r, 0) !=
                  tg_requantize_clamp_s8(acc, multiplier, -right_shift, output_offset, act_min, act_max);
        ++checked;
    }
    printf("%ld %ld\\n", differ, checked);
    return 0;
}
"""


def _run_c(tmp_path, source: str, *kernel_files: str) -> str:
    (tmp_path / "main.c").write_text(source)
    executable = tmp_path / "main"
    sources = [str(tmp_path / "main.c")] + [str(kernels_dir() / name) for name in kernel_files]
    subprocess.run([host_compiler(), *CFLAGS, "-I", str(kernels_dir()), *sources, "-o", str(executable)], check=True)
    return subprocess.run([str(executable)], check=True, capture_output=True, text=True).stdout


def test_cores_with_the_dsp_extension_get_the_dsp_variants():
    dsp = {board.id for board in all_boards() if board_target(board).dsp}
    assert dsp == {"mps2-an386", "mps2-an500", "mps2-an505", "mps3-an547", "netduinoplus2", "nrf52840"}
    assert not get_board("microbit").dsp and not get_board("lm3s6965evb").dsp


def test_scratch_bytes_in_c_equal_the_planners(tmp_path):
    program = SCRATCH_PROGRAM % ", ".join(map(str, DEPTHS))
    printed = _run_c(tmp_path, program, f"{MATMUL_DSP}.c", f"{CONV_DSP}.c", "tg_product_dsp.c").splitlines()
    assert printed == [f"{matmul_scratch_bytes(depth)} {conv_scratch_bytes(depth)}" for depth in DEPTHS]


def test_the_planned_scratch_is_the_kernels(tmp_path):
    path = tmp_path / "fc.tflite"
    path.write_bytes(tf_models.fully_connected((3, 21), 5))
    layer = compile_model(path, target=Target(dsp=True)).layers[0]
    assert layer.kernel == MATMUL_DSP and layer.scratch_bytes == matmul_scratch_bytes(21) > 0
    path.write_bytes(tf_models.conv2d((5, 7, 3), 4, 3))
    layer = compile_model(path, target=Target(dsp=True)).layers[0]
    assert layer.kernel == CONV_DSP and layer.scratch_bytes == conv_scratch_bytes(3 * 3 * 3) > 0


def test_the_dsp_product_is_compiled_once_beside_the_kernels_that_use_it(tmp_path):
    path = tmp_path / "conv.tflite"
    path.write_bytes(tf_models.conv2d((5, 7, 3), 4, 3))
    assert kernel_sources(compile_model(path, target=Target(dsp=True))) == [f"{CONV_DSP}.c", "tg_product_dsp.c"]
    assert "tg_product_dsp.c" not in kernel_sources(compile_model(path))


def test_the_product_weights_are_whole_words_with_each_pair_of_rows_interleaved():
    weights = np.arange(1, 16, dtype=np.int8).reshape(3, 5)
    row0, row1, row2 = ([*range(first, first + 5), 0, 0, 0] for first in (1, 6, 11))
    expected = row0[:4] + row1[:4] + row0[4:] + row1[4:] + row2
    assert product_weights("layer", weights).values.tolist() == expected


def test_fast_requantization_equals_tflms(tmp_path):
    assert _run_c(tmp_path, REQUANTIZE_PROGRAM).strip() == "0"


def test_dsp_requantization_equals_tflms(tmp_path):
    differ, checked = map(int, _run_c(tmp_path, DSP_REQUANTIZE_PROGRAM).split())
    assert differ == 0 and checked > 1_000_000


def test_the_dsp_requantization_refuses_what_it_cannot_compute_exactly(tmp_path):
    """No right shift (a scale of at least 1/2), or accumulators that could reach 2^30: refused, and
    the layer left as lowering made it."""
    path = tmp_path / "fc.tflite"
    path.write_bytes(tf_models.fully_connected((3, 21), 5))
    layer = compile_model(path).layers[0]
    shifts = next(array for array in layer.arrays if array.name == layer.params["shifts"])
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
