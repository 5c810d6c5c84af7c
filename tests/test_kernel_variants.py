"""Kernel variants: which boards get the DSP kernels, the C contracts the planner relies on, and the
cheaper requantization the kernels use, against the TFLM-exact one (on the host, real gcc; also the
Cortex-M0 arithmetic)."""

import subprocess

import pytest

import tf_models
from tinygen.boards import all_boards, get_board
from tinygen.cli import main
from tinygen.compiler import Target, compile_model
from tinygen.compiler.variants import (CONV_DSP, MATMUL_DSP, board_target, conv_scratch_bytes,
                                       matmul_scratch_bytes)
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
    printed = _run_c(tmp_path, program, f"{MATMUL_DSP}.c", f"{CONV_DSP}.c").splitlines()
    assert printed == [f"{matmul_scratch_bytes(depth)} {conv_scratch_bytes(depth)}" for depth in DEPTHS]


def test_the_planned_scratch_is_the_kernels(tmp_path):
    path = tmp_path / "fc.tflite"
    path.write_bytes(tf_models.fully_connected((3, 21), 5))
    layer = compile_model(path, target=Target(dsp=True)).layers[0]
    assert layer.kernel == MATMUL_DSP and layer.scratch_bytes == matmul_scratch_bytes(21) > 0
    path.write_bytes(tf_models.conv2d((5, 7, 3), 4, 3))
    layer = compile_model(path, target=Target(dsp=True)).layers[0]
    assert layer.kernel == CONV_DSP and layer.scratch_bytes == conv_scratch_bytes(3 * 3 * 3) > 0


# The Cortex-M0 arithmetic (32-bit products only) is plain C: the host runs it too.
@pytest.mark.parametrize("defines", [(), ("-D__ARM_ARCH_6M__",)], ids=["host", "cortex-m0-arithmetic"])
def test_fast_requantization_equals_tflms(tmp_path, defines):
    assert _run_c(tmp_path, REQUANTIZE_PROGRAM, defines=defines).strip() == "0"


@pytest.mark.parametrize("board,kernel", [("netduinoplus2", MATMUL_DSP), ("microbit", "tg_convolve_s8"), (None, "tg_convolve_s8")])
def test_compile_shows_the_kernel_chosen_for_the_board(tmp_path, capsys, board, kernel):
    path = tmp_path / "conv.tflite"
    path.write_bytes(tf_models.conv2d((5, 7, 8), 6, 1))
    assert main(["compile", str(path), "-o", str(tmp_path / "out")] + (["--board", board] if board else [])) == 0
    table = capsys.readouterr().out
    assert f" CONV_2D  {kernel} " in table
    assert ("DSP extension" if kernel == MATMUL_DSP else "portable C") in table
    assert (tmp_path / "out" / "tg_acle.h").exists() == (kernel == MATMUL_DSP)
