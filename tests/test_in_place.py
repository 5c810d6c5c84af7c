"""Layers that write their output over an input dying there: the lag each kernel needs, the plan that
keeps such pairs together, and bit-exact outputs where the compiler chose it (host and QEMU)."""

import re

import numpy as np
import pytest

import tf_models
from tinygen.boards import get_board
from tinygen.cli import main
from tinygen.compiler import Target, compile_model
from tinygen.compiler.in_place import product_lag, ways
from tinygen.compiler.planner import PlannedBuffer, align, plan
from tinygen.compiler.variants import ADD_DSP, CONV_DSP, DEPTHWISE_DSP, MATMUL_DSP
from tinygen.firmware.build import build, compile_for, describe
from tinygen.quiet_tensorflow import import_tensorflow
from tinygen.targets import host
from tinygen.targets.qemu import run_elf
from tinygen.validation.firmware import validate_firmware
from tinygen.validation.host import validate_host
from tinygen.validation.reference import TflmReference


def test_a_product_kernels_output_so_far_lies_below_every_input_byte_the_later_pixels_read():
    pixels = np.arange(10)
    assert product_lag(pixels * 8, 8) == 0                  # 1x1, 8 -> 8 channels: pixel by pixel over itself
    assert product_lag(pixels * 8, 16) == 9 * 16 - 9 * 8    # 8 -> 16: the output catches up, the last pixel decides
    assert product_lag(pixels * 16, 4) == 0                 # 16 -> 4: it never catches up
    assert product_lag(np.zeros(1, int), 12) == 0           # a fully connected layer: one step reads it all first
    width, channels = 32, 16                                # 3x3, stride 1, padding 1: a row and a pixel
    y, x = np.divmod(np.arange(width * width), width)
    first = (np.maximum(y - 1, 0) * width + np.maximum(x - 1, 0)) * channels
    assert product_lag(first, channels) == (width + 1) * channels


def test_a_unit_keeps_its_displacements_and_other_buffers_avoid_each_member_while_it_lives():
    source = PlannedBuffer("source", 1000, 0, 1, unit=7, displacement=64)
    written = PlannedBuffer("written", 1000, 1, 2, unit=7, displacement=0)
    early, late = PlannedBuffer("early", 500, 0, 0), PlannedBuffer("late", 500, 2, 2)
    arena = plan([source, written, early, late])
    assert source.offset - written.offset == 64
    for buf, other in ((early, source), (late, written)):
        assert buf.offset + buf.size <= other.offset or other.offset + other.size <= buf.offset
    assert arena < 2 * 1008                         # apart, source and written would need 2 x 1008 at layer 1


def residual_block(path):
    """conv 3x3 -> conv 3x3 -> add (the first conv's input) -> 1x1 conv: a ResNet block, on a 12x10x8 image."""
    tf = import_tensorflow()
    rng = np.random.default_rng(3)
    stem, a, b, head = (rng.normal(0, 0.25, s).astype(np.float32)
                        for s in ((3, 3, 2, 8), (3, 3, 8, 8), (3, 3, 8, 8), (1, 1, 8, 12)))

    def body(x):
        x = tf.nn.relu(tf.nn.conv2d(x, stem, 1, "SAME"))
        y = tf.nn.conv2d(tf.nn.relu(tf.nn.conv2d(x, a, 1, "SAME")), b, 1, "SAME")
        return tf.nn.conv2d(tf.nn.relu(x + y), head, 1, "SAME")

    path.write_bytes(tf_models.convert(body, [(1, 12, 10, 2)]))
    return path


def test_a_residual_block_writes_its_second_conv_and_its_add_over_their_inputs(tmp_path):
    path = residual_block(tmp_path / "residual.tflite")
    dsp = compile_model(path, target=Target(dsp=True))
    convs = [layer for layer in dsp.layers if layer.kernel == CONV_DSP]
    second = convs[1]
    lag = ways(second)[0].lag
    assert lag == (10 + 1) * 8
    assert dsp.storage[second.op.inputs[0]].ref - dsp.storage[second.op.outputs[0]].ref == align(lag)   # outputs start aligned
    add = next(layer for layer in dsp.layers if layer.kernel == ADD_DSP)
    assert dsp.storage[add.op.outputs[0]] in (dsp.storage[add.op.inputs[0]], dsp.storage[add.op.inputs[1]])
    image = 12 * 10 * 8
    assert dsp.arena_bytes < 3 * image          # the stem's output, the first conv's and the second's apart
    assert validate_host(path, None, samples=10, target=Target(dsp=True)).bit_exact


def test_written_in_place_on_a_cortex_m4_in_qemu_the_outputs_equal_tflms(tmp_path):
    path = residual_block(tmp_path / "residual.tflite")
    report = validate_firmware("netduinoplus2", path, samples=3)
    assert report.bit_exact


def test_compile_and_build_report_the_arena_with_and_without_writing_in_place(tmp_path, capsys):
    path = residual_block(tmp_path / "residual.tflite")
    assert main(["compile", str(path), "--board", "netduinoplus2", "-o", str(tmp_path / "c")]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("written in place: "))
    arena, apart = (int(word.replace(",", "")) for word in re.findall(r"arena ([\d,]+) bytes, ([\d,]+) with", line)[0])
    assert arena < apart
    board = get_board("netduinoplus2")
    result = build(board, compile_for(board, path), tmp_path / "firmware")
    assert result.report["ram"]["in_place"]["arena_apart"] == apart and result.report["arena_bytes"] == arena
    assert "layers write their output over an input" in describe(result)
    (stack_line,) = run_elf(board, result.elf).lines("tg-stack ")     # the plain firmware's stack high-water
    assert 0 < int(stack_line.split()[0]) <= result.report["ram"]["sections"][".stack"]


def test_pointwise_layers_that_widen_their_input_write_over_it_from_below(tmp_path):
    tf = import_tensorflow()
    rng = np.random.default_rng(5)
    narrow, wide, head = (rng.normal(0, 0.3, s).astype(np.float32) for s in ((1, 1, 3, 8), (1, 1, 8, 24), (1, 1, 24, 4)))
    path = tmp_path / "widen.tflite"
    path.write_bytes(tf_models.convert(
        lambda x: tf.nn.conv2d(tf.nn.relu(tf.nn.conv2d(tf.nn.relu(tf.nn.conv2d(x, narrow, 1, "VALID")), wide, 1,
                                                       "VALID")), head, 1, "VALID"),
        [(1, 16, 16, 3)]))
    dsp = compile_model(path, target=Target(dsp=True))
    widen = next(layer for layer in dsp.layers if layer.kernel == MATMUL_DSP and layer.params["product"]["channels"] == 24)
    source, written = dsp.storage[widen.op.inputs[0]].ref, dsp.storage[widen.op.outputs[0]].ref
    lag = ways(widen)[0].lag
    assert source - written == align(lag)
    assert dsp.arena_bytes < 16 * 16 * (8 + 24)
    assert validate_host(path, None, samples=10, target=Target(dsp=True)).bit_exact


@pytest.mark.parametrize("image,kernel,stride,padding", [((9, 5, 8), 3, 1, "SAME"), ((11, 7, 12), 3, 2, "SAME"),
                                                          ((10, 6, 4), 5, 1, "SAME"), ((12, 5, 6), (4, 3), 1, "VALID"),
                                                          ((13, 8, 8), (5, 3), 2, "VALID"), ((9, 6, 5), 3, 2, "SAME"),
                                                          ((9, 8, 8), 3, (1, 2), "SAME")])
def test_the_dsp_depthwise_with_sliding_rows_equals_tflm(tmp_path, image, kernel, stride, padding):
    """The way written over its input offers for a depthwise layer that keeps a ring: one rotation of weights,
    the kept rows sliding down (the generator takes it only where the arena shrinks; forced here)."""
    path = tmp_path / "dw.tflite"
    path.write_bytes(tf_models.depthwise_conv2d(image, kernel, stride, padding, seed=len(image) + int(np.sum(stride))))
    model = compile_model(path, target=Target(dsp=True))
    (layer,) = model.layers
    assert layer.kernel == DEPTHWISE_DSP
    (ring, slide) = ways(layer) if layer.params["rotations"] != 1 else pytest.skip("no ring for this shape")
    assert slide.params["slide"] == 1 and slide.lag == 0 and slide.scratch_bytes < layer.scratch_bytes
    layer.params, layer.scratch_bytes = slide.params, slide.scratch_bytes
    assert_equals_tflm(path, model, image, tmp_path)


def assert_equals_tflm(path, model, image, tmp_path, samples=None):
    """The compiled model, run on the host (DSP variants on C models of the instructions), against TFLM, on
    `samples` (lists of one input each) or four random inputs of shape (1, *image)."""
    rng = np.random.default_rng(1)
    samples = samples or [[rng.integers(-128, 128, (1, *image)).astype(np.int8)] for _ in range(4)]
    reference = TflmReference(path, 1)
    try:
        expected = [reference.run(sample) for sample in samples]
    finally:
        reference.close()
    actual = host.run(host.build(model, tmp_path / "host"), model, samples, tmp_path / "host")
    for want, got in zip(expected, actual):
        np.testing.assert_array_equal(want[0], got[0])


@pytest.mark.parametrize("image,stride", [((7, 5, 8), 1), ((6, 5, 4), 1), ((9, 7, 12), 2), ((4, 4, 8), 1)])
def test_the_dsp_conv_by_pairs_and_a_last_lone_pixel_split_from_the_image_equals_tflm(tmp_path, image, stride):
    """The way written over its input offers for a conv of whole-word taps: pixels by twos, for less scratch
    (forced here); the triples' own way ends on a lone pixel split straight from the image where the count
    of pixels leaves one."""
    path = tmp_path / "conv.tflite"
    path.write_bytes(tf_models.conv2d(image, 6, 3, stride, seed=image[0]))
    model = compile_model(path, target=Target(dsp=True))
    (layer,) = model.layers
    assert layer.kernel == CONV_DSP
    assert_equals_tflm(path, model, image, tmp_path / "triples")
    (_, pairs) = ways(layer)
    assert pairs.params["pairs"] == 1 and pairs.scratch_bytes < layer.scratch_bytes
    layer.params, layer.scratch_bytes = pairs.params, pairs.scratch_bytes
    assert_equals_tflm(path, model, image, tmp_path / "pairs")
