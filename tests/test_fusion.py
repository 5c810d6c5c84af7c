"""PAD fused into the convolution that reads it: no padded copy, the same outputs as TFLM."""

import numpy as np
import pytest

import tf_models
from tinygen.compiler import Target, compile_model
from tinygen.quiet_tensorflow import import_tensorflow
from tinygen.validation.firmware import validate_firmware
from tinygen.validation.host import validate_host


def padded_then(tmp_path, paddings, conv: str, padding: str = "VALID", stride: int = 1, shape=(1, 11, 9, 8),
                readers: int = 1):
    """relu -> PAD -> a 3x3 convolution (or depthwise); `readers` 2 adds a second reader of the padded tensor."""
    tf = import_tensorflow()
    rng = np.random.default_rng(len(paddings) + stride)
    channels = shape[3] + sum(paddings[3])
    weights = rng.normal(0, 0.3, (3, 3, channels, 8 if conv == "conv" else 1)).astype(np.float32)

    def body(x):
        padded = tf.pad(tf.nn.relu(x), tf.constant(paddings, tf.int32))
        if conv == "conv":
            y = tf.nn.conv2d(padded, weights, stride, padding)
        else:
            y = tf.nn.depthwise_conv2d(padded, weights, [1, stride, stride, 1], padding)
        return y + tf.reduce_mean(padded) if readers == 2 else y

    path = tmp_path / "pad_conv.tflite"
    path.write_bytes(tf_models.convert(body, [shape]))
    return path


@pytest.mark.parametrize("paddings,conv,padding,stride", [
    ([[0, 0], [0, 1], [0, 1], [0, 0]], "conv", "VALID", 2),      # Keras' ZeroPadding2D before a strided conv
    ([[0, 0], [1, 1], [1, 1], [0, 0]], "depthwise", "VALID", 1),
    ([[0, 0], [1, 0], [1, 1], [0, 0]], "conv", "SAME", 1),         # added to the convolution's own padding
    ([[0, 0], [1, 1], [0, 1], [0, 0]], "depthwise", "VALID", 2),
])
def test_a_pad_read_by_one_convolution_is_folded_into_it(tmp_path, paddings, conv, padding, stride):
    path = padded_then(tmp_path, paddings, conv, padding, stride)
    for target in (Target(), Target(dsp=True)):
        model = compile_model(path, target=target)
        assert [layer.op.op_type for layer in model.layers] == ["RELU", conv.upper().replace("CONV", "CONV_2D")
                                                                if conv == "conv" else "DEPTHWISE_CONV_2D"]
        convolution = model.layers[-1]
        assert convolution.params["input_h"] == 11 and convolution.args[0].index == model.layers[0].op.outputs[0]
        assert validate_host(path, None, samples=10, target=target).bit_exact


@pytest.mark.parametrize("paddings,readers", [([[0, 0], [3, 3], [3, 3], [0, 0]], 1),    # whole windows of padding
                                              ([[0, 0], [0, 0], [0, 0], [0, 4]], 1),    # channels
                                              ([[0, 0], [1, 1], [1, 1], [0, 0]], 2)])   # read twice
def test_a_pad_stays_where_folding_it_would_not_be_exact_or_not_save_the_copy(tmp_path, paddings, readers):
    path = padded_then(tmp_path, paddings, "conv", readers=readers)
    model = compile_model(path, target=Target(dsp=True))
    assert "PAD" in [layer.op.op_type for layer in model.layers]
    assert validate_host(path, None, samples=5, target=Target(dsp=True)).bit_exact


def test_folding_the_pad_shrinks_the_arena_and_stays_exact_on_a_cortex_m4(tmp_path):
    path = padded_then(tmp_path, [[0, 0], [1, 1], [1, 1], [0, 0]], "conv", shape=(1, 16, 16, 8))
    model = compile_model(path, target=Target(dsp=True))
    assert model.arena_bytes < 18 * 18 * 8              # the padded copy alone would take that
    assert validate_firmware("netduinoplus2", path, samples=3).bit_exact


def concatenated(tmp_path, axis: int):
    """Two convolutions of one image concatenated along `axis` (1: rows, slices of whole bytes; 3: channels,
    interleaved), then a 1x1 convolution."""
    tf = import_tensorflow()
    rng = np.random.default_rng(7 + axis)
    a, b, head = (rng.normal(0, 0.3, s).astype(np.float32) for s in ((3, 3, 4, 6), (1, 1, 4, 6), (1, 1, 6 * (1 + (axis == 3)), 4)))

    def body(x):
        y = tf.concat([tf.nn.relu(tf.nn.conv2d(x, a, 1, "SAME")), tf.nn.relu(tf.nn.conv2d(x, b, 1, "SAME"))], axis)
        return tf.nn.conv2d(y, head, 1, "VALID")

    path = tmp_path / f"concat{axis}.tflite"
    path.write_bytes(tf_models.convert(body, [(1, 8, 6, 4)]))
    return path


def test_a_concatenation_of_whole_slices_is_its_inputs_written_in_place(tmp_path):
    path = concatenated(tmp_path, 1)
    for target in (Target(), Target(dsp=True)):
        model = compile_model(path, target=target)
        concat = next(layer for layer in model.layers if layer.op.op_type == "CONCATENATION")
        assert concat.kernel is None                                # no copy left to do
        first, second = concat.op.inputs
        out = model.storage[concat.op.outputs[0]].ref
        assert model.storage[first].ref == out and model.storage[second].ref == out + 8 * 6 * 6
        assert validate_host(path, None, samples=8, target=target).bit_exact
    assert validate_firmware("netduinoplus2", path, samples=2).bit_exact


def test_a_concatenation_of_interleaved_channels_still_copies(tmp_path):
    path = concatenated(tmp_path, 3)
    model = compile_model(path, target=Target(dsp=True))
    concat = next(layer for layer in model.layers if layer.op.op_type == "CONCATENATION")
    assert concat.kernel == "tg_concatenation_s8"
    assert validate_host(path, None, samples=5, target=Target(dsp=True)).bit_exact
