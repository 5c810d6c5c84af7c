"""Ways for a layer to take less of the arena than its own: its output written over an input that dies at
that layer (where the kernel allows it), or leaner parameters (less scratch, a few more instructions).

A kernel may write over its input when every byte it writes lies below every input byte it has yet to
read. The output then starts `lag` bytes below that input's first byte (0: on the same byte); the
planner places the two as one unit at that distance, each with its own lifetime (planner.py), and the
compiler takes a way only where that lowers the arena (compile.py). How far below follows from the
order the kernel writes and reads in, so each answer here is tied to a kernel's loops:
- element-wise kernels read each element (or word of four) before they write it, and never again: lag 0;
- the DSP product kernels (tg_matmul_s8_dsp.c, tg_conv_s8_dsp.c) write output pixels in order, up to
  three a step, each step's inputs split into the scratch before its outputs are written: the outputs
  so far must lie below everything the later pixels read. tg_conv_s8_dsp may also go by twos where
  threes would go, for a third less scratch and a few more instructions: offered second;
- the DSP depthwise kernel copies input rows into its planes before the output rows that need them are
  written: its output must start below every row it copies later (depthwise_lag). As a ring of rows, each
  row is copied once, as it comes into a window, but the weights take filter_h rotations of scratch; with
  the kept rows sliding down instead, each row is copied once too, for one rotation's scratch and a few
  more instructions: both are offered, the ring first.
The portable CONV_2D and DEPTHWISE_CONV_2D kernels go channel by channel over the whole image, so they
read every input byte until their last channel: never in place.
A lone pixel of the DSP matrix product (a fully connected layer of one batch) may split its input a run
of depth at a time, against each chunk of channels in turn, for a scratch of one run: apart only, since it
reads the input again for each chunk.
"""

from dataclasses import dataclass

import numpy as np

from .layer import Layer
from .ops.elementwise import ADD_SAME_SHAPE, MUL_SAME_SHAPE
from .variants import conv_scratch_bytes, depthwise_scratch_bytes, matmul_scratch_bytes

ELEMENTWISE_ONE_INPUT = {"tg_relu_s8", "tg_relu6_s8", "tg_requantize_s8"}
ELEMENTWISE_TWO_INPUTS = {ADD_SAME_SHAPE, MUL_SAME_SHAPE, "tg_add_s8_dsp", "tg_mul_s8_dsp"}

# Words of depth a lone pixel's input is split at a time when a fully connected layer takes its lean way.
SINGLE_RUN_WORDS = 32


@dataclass(frozen=True)
class Way:
    """A way for a layer to run other than its own (apart from its inputs, with its own parameters)."""
    over: int | None = None         # the input its output is written over, by argument position; None: apart
    lag: int = 0                    # bytes the output starts below that input
    params: dict | None = None      # the layer's parameters for it, where they differ from its own
    scratch_bytes: int | None = None


def ways(layer: Layer) -> list[Way]:
    """The layer's other ways to run, those with its own parameters first; empty when it has none."""
    kernel, p = layer.kernel, layer.params
    if kernel in ELEMENTWISE_ONE_INPUT:
        return [Way(0, 0)]
    if kernel in ELEMENTWISE_TWO_INPUTS:
        return [Way(0, 0), Way(1, 0)]
    if kernel == "tg_matmul_s8_dsp":
        found = [Way(0, product_lag(_matmul_first_reads(p), p["product"]["channels"]))]
        depth = p["product"]["depth"]
        if p["batches"] * p["rows"] * p["row_pixels"] == 1 and -(-depth // 4) > SINGLE_RUN_WORDS:
            found.append(Way(None, 0, {**p, "single_run_groups": SINGLE_RUN_WORDS},
                             matmul_scratch_bytes(depth, 1, SINGLE_RUN_WORDS)))
        return found
    if kernel == "tg_conv_s8_dsp":
        lag = product_lag(_im2col_first_reads(p), p["product"]["channels"])
        found = [Way(0, lag)]
        if p["input_c"] % 4 == 0 and not p["pairs"]:
            found.append(Way(0, lag, {**p, "pairs": 1}, conv_scratch_bytes(p["product"]["depth"], p["input_c"], 1)))
        return found
    if kernel == "tg_depthwise_conv_s8_dsp" and p["batches"] == 1:
        found = [Way(0, depthwise_lag(p))]
        if p["rotations"] != 1:
            slide = {**p, "rotations": 1, "slide": 1}
            window = p["window"]
            found.append(Way(0, depthwise_lag(slide), slide, depthwise_scratch_bytes(
                p["channels"], window["filter_h"], window["filter_w"], p["output_w"], window["stride_w"], 1,
                (p["output_h"] - 1) * window["stride_h"])))
        return found
    return []


def product_lag(first_reads: np.ndarray, channels: int) -> int:
    """The lag of a DSP product kernel whose output pixel q (in the order written, `channels` bytes each)
    reads no input byte before first_reads[q]. Each step (one to three pixels) splits all its inputs into the
    scratch before it writes: the bytes written up to any pixel q, lag below, must lie below the least byte
    a pixel from q on still reads."""
    still_read = np.minimum.accumulate(first_reads[::-1])[::-1]
    written_end = np.arange(1, len(first_reads)) * channels
    return max(0, int((written_end - still_read[1:]).max(initial=0)))


def _matmul_first_reads(p: dict) -> np.ndarray:
    """tg_matmul_s8_dsp: each output pixel reads one input pixel, from its first channel on."""
    b, row, px = np.meshgrid(np.arange(p["batches"]), np.arange(p["rows"]), np.arange(p["row_pixels"]), indexing="ij")
    return (b * p["input_batch_step"] + row * p["input_row_step"] + px * p["input_pixel_step"]).reshape(-1)


def _im2col_first_reads(p: dict) -> np.ndarray:
    """tg_conv_s8_dsp: each output pixel reads its receptive field, whose first byte inside the image is
    at its first row and column inside the image."""
    b, y, x = np.meshgrid(np.arange(p["batches"]), np.arange(p["output_h"]), np.arange(p["output_w"]), indexing="ij")
    window = p["window"]
    in_y = np.maximum(y * window["stride_h"] - window["pad_h"], 0)
    in_x = np.maximum(x * window["stride_w"] - window["pad_w"], 0)
    return (((b * p["input_h"] + in_y) * p["input_w"] + in_x) * p["input_c"]).reshape(-1)


def depthwise_lag(p: dict) -> int:
    """The DSP depthwise kernel's lag (one batch): at each output row it first copies the input rows that come
    fresh into its windows (with a ring or sliding rows, those not copied before; else all of the window's),
    then writes the row; each row copied must lie at or beyond the output rows written before it."""
    input_row, output_row = p["input_w"] * p["channels"], p["output_w"] * p["channels"]
    window = p["window"]
    copied_until, lag = -window["filter_h"], 0
    for out_y in range(p["output_h"]):
        first = out_y * window["stride_h"] - window["pad_h"]
        end = first + window["filter_h"]
        fresh = max(first if p["rotations"] == 1 and not p["slide"] else max(first, copied_until), 0)
        if fresh < min(end, p["input_h"]):
            lag = max(lag, out_y * output_row - fresh * input_row)
        copied_until = end
    return lag
