"""Models whose options or sizes TFLM would refuse, abort on or compute differently are refused
(exit 3) with the reason, on models the tests build and then edit at the flatbuffer level."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

import tf_models
from model_mutations import edited, first_op
from tinygen.boards import largest_ram_bytes
from tinygen.cli import main
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError, UnsupportedModelError
from tinygen.validation.reference import TflmReference
from tinygen.validation.host import validate_host


@pytest.fixture(scope="module")
def models() -> dict[str, bytes]:
    return {
        "depthwise": tf_models.depthwise_conv2d((6, 6, 3), kernel=3, depth_multiplier=2),
        "conv": tf_models.conv2d((6, 6, 2), 3),
        "pool": tf_models.pool2d("AVG", (6, 6, 2)),
        "pool_same": tf_models.pool2d("MAX", (6, 6, 2), size=3, stride=1, padding="SAME"),
        "softmax": tf_models.softmax((1, 6)),
        "fc": tf_models.fully_connected((1, 8), 4),
    }


def refusal(tmp_path, data: bytes) -> str:
    path = tmp_path / "edited.tflite"
    path.write_bytes(data)
    with pytest.raises(UnsupportedModelError) as error:
        compile_model(path)
    assert main(["compile", str(path), "-o", str(tmp_path / "out")]) == 3
    assert not (tmp_path / "out").exists()
    return str(error.value)


def set_option(op_name: str, **values):
    def change(model):
        for key, value in values.items():
            setattr(first_op(model, op_name).builtinOptions, key, value)
    return change


def drop_options(op_name: str):
    def change(model):
        op = first_op(model, op_name)
        op.builtinOptions, op.builtinOptionsType = None, 0
    return change


@pytest.mark.parametrize("multiplier", [0, 1, 3, -2])
def test_depth_multiplier_that_disagrees_with_the_shapes_is_refused(tmp_path, models, multiplier):
    message = refusal(tmp_path, edited(models["depthwise"], set_option("DEPTHWISE_CONV_2D", depthMultiplier=multiplier)))
    assert f"depth_multiplier is {multiplier}" in message and "make it 2" in message
    assert "operator 0 (DEPTHWISE_CONV_2D)" in message


@pytest.mark.parametrize("model, op_name, option", [
    ("conv", "CONV_2D", "strideW"), ("conv", "CONV_2D", "dilationHFactor"),
    ("depthwise", "DEPTHWISE_CONV_2D", "strideH"), ("pool", "AVERAGE_POOL_2D", "strideW")])
def test_zero_stride_or_dilation_is_refused(tmp_path, models, model, op_name, option):
    message = refusal(tmp_path, edited(models[model], set_option(op_name, **{option: 0})))
    assert "is 0; it must be at least 1" in message


@pytest.mark.parametrize("size", [0, -1])
def test_pool_filter_below_one_is_refused(tmp_path, models, size):
    message = refusal(tmp_path, edited(models["pool"], set_option("AVERAGE_POOL_2D", filterHeight=size)))
    assert "filter size" in message and "at least 1x1" in message


@pytest.mark.parametrize("model, op_name", [("conv", "CONV_2D"), ("depthwise", "DEPTHWISE_CONV_2D"),
                                            ("pool", "AVERAGE_POOL_2D"), ("softmax", "SOFTMAX")])
def test_missing_options_table_reads_as_zeros_and_is_refused(tmp_path, models, model, op_name):
    """TFLM zero-fills the parameters of an operator without options: strides, filters, beta 0."""
    message = refusal(tmp_path, edited(models[model], drop_options(op_name)))
    assert "0" in message and op_name in message


def test_padding_beyond_int16_is_refused(tmp_path, models):
    """A 2^30 filter with SAME padding pads by 2^29; TFLM keeps padding in int16 and would wrap it."""
    message = refusal(tmp_path, edited(models["pool_same"], set_option("MAX_POOL_2D", filterHeight=1 << 30)))
    assert "'pad_h': 536870911" in message and "int16" in message


def test_options_table_of_another_type_is_ignored_as_tflm_does(tmp_path, models):
    def change(model):
        first_op(model, "CONV_2D").builtinOptionsType = 2     # DepthwiseConv2DOptions
    assert "stride_h is 0" in refusal(tmp_path, edited(models["conv"], change))


@pytest.mark.parametrize("beta", [0.0, -1.0, math.nan, -math.inf, 1e-30])
def test_softmax_beta_that_makes_tflm_abort_is_refused(tmp_path, models, beta):
    message = refusal(tmp_path, edited(models["softmax"], set_option("SOFTMAX", beta=beta)))
    assert "beta" in message and "above 1" in message


def test_softmax_infinite_beta_is_capped_as_tflm_does_and_bit_exact(tmp_path, models):
    path = tmp_path / "softmax_inf.tflite"
    path.write_bytes(edited(models["softmax"], set_option("SOFTMAX", beta=math.inf)))
    assert validate_host(path, None, 10).bit_exact


def test_reference_runtime_abort_is_reported_not_fatal(tmp_path, models):
    """TFLM aborts (SIGABRT) on a SOFTMAX with beta 0; the reference runs in a child process, so this
    process lives and says how the reference died."""
    path = tmp_path / "beta0.tflite"
    path.write_bytes(edited(models["softmax"], set_option("SOFTMAX", beta=0.0)))
    with pytest.raises(TinygenError, match="TFLM reference runtime crashed .* signal SIGABRT"):
        TflmReference(path, 1).run([np.zeros((1, 6), np.int8)])


def test_fused_activation_range_outside_int32_is_refused(tmp_path, models):
    def change(model):
        graph = model.subgraphs[0]
        op = first_op(model, "AVERAGE_POOL_2D")     # pooling keeps the scale: no rescaling to overflow first
        op.builtinOptions.fusedActivationFunction = 3          # RELU6: 6 / 1e-30 does not fit int32
        for index in (op.inputs[0], op.outputs[0]):
            graph.tensors[index].quantization.scale = [1e-30]
    message = refusal(tmp_path, edited(models["pool"], change))
    assert "outside int32" in message


def test_huge_batch_is_refused_at_once_with_the_numbers(tmp_path, models):
    """Batch 2^30 on the input and output: refused before any arena is planned or sample allocated."""
    def change(model):
        graph = model.subgraphs[0]
        for index in list(graph.inputs) + list(graph.outputs):
            graph.tensors[index].shape = [1 << 30] + [int(d) for d in graph.tensors[index].shape[1:]]
    path = tmp_path / "huge.tflite"
    path.write_bytes(edited(models["fc"], change))
    started = time.monotonic()
    with pytest.raises(UnsupportedModelError) as error:
        compile_model(path)
    assert f"{8 << 30} bytes" in str(error.value) and f"{largest_ram_bytes()} bytes of RAM" in str(error.value)
    assert main(["validate", "--model", str(path), "--target", "host"]) == 3
    assert time.monotonic() - started < 10
