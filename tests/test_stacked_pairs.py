"""Stacked pairs of channels in the DSP product (tg_product_dsp.c): each pair's weights stored as halfwords
first + 256 * second, the second channel's sum recovered as a difference over 256. Taken where it is exact and
pays (tinygen/compiler/variants.py), with TFLM's outputs on every path: lone pixels, pairs, triples, a last odd
channel, and models that mix stacked and plain layers."""

import numpy as np
import pytest

import tf_models
from tinygen.compiler import Target, compile_model
from tinygen.compiler.variants import (CONV_DSP, MATMUL_DSP, STACKED_WEIGHT_SUM_LIMIT, _stacked_pairs,
                                       stacks_in_pairs)
from tinygen.quiet_tensorflow import import_tensorflow
from tinygen.validation.firmware import validate_firmware
from test_in_place import assert_equals_tflm


def test_each_pairs_halfwords_are_the_first_weight_plus_256_times_the_second():
    rng = np.random.default_rng(0)
    weights = rng.integers(-127, 128, (5, 11)).astype(np.int8)      # 3 words of depth, a last odd row
    packed = _stacked_pairs(weights)
    rows = np.pad(weights.astype(np.int64), ((0, 0), (0, 1)))
    pair_bytes = 2 * 12
    for k in range(2):
        first, second = rows[2 * k], rows[2 * k + 1]
        halfwords = packed[k * pair_bytes:(k + 1) * pair_bytes].view("<i2").reshape(3, 2, 2)
        for group in range(3):
            d = 4 * group
            # the even depths' word pairs with the split input's (x0, x2), the odd depths' with (x1, x3)
            assert list(halfwords[group, 0]) == [first[d] + 256 * second[d], first[d + 2] + 256 * second[d + 2]]
            assert list(halfwords[group, 1]) == [first[d + 1] + 256 * second[d + 1],
                                                 first[d + 3] + 256 * second[d + 3]]
            # SXTB16 of each word: the first channel's weights alone (its low bytes)
            low_bytes = packed[k * pair_bytes:(k + 1) * pair_bytes].reshape(3, 2, 2, 2)[group, :, :, 0]
            assert list(low_bytes.reshape(-1)) == [first[d], first[d + 2], first[d + 1], first[d + 3]]
    assert list(packed[2 * pair_bytes:]) == list(rows[4])                                  # the last row plain


def test_stacking_needs_every_borrow_to_fit_a_byte_and_the_second_channels_sums_to_fit_int32():
    weights = np.full((2, 8), 3, np.int8)
    assert stacks_in_pairs(weights)
    weights[0, 5], weights[1, 5] = -1, -128         # the second byte would have to be -129
    assert not stacks_in_pairs(weights)
    weights[0, 5] = 1                               # no borrow under a positive first weight
    assert stacks_in_pairs(weights)
    deep = np.full((3, 1024), 127, np.int8)         # the last, odd row is never stacked: its sum is free
    assert not stacks_in_pairs(deep)                # 128 * 130,048 > 2^23
    limit = STACKED_WEIGHT_SUM_LIMIT // 127
    assert stacks_in_pairs(deep[:, :limit]) and not stacks_in_pairs(deep[:, :limit + 1])


def sign_layer_model(tmp_path, depth: int, units: int, batch: int = 1, then: int = 0):
    """A FULLY_CONNECTED layer of weights +-1 (each quantizes to +-127, so a row's absolute sum is 127 * depth)
    on `batch` rows, then optionally a second layer of `then` ordinary units. Returns the path and the float
    weights."""
    tf = import_tensorflow()
    rng = np.random.default_rng(depth)
    signs = rng.choice([-1.0, 1.0], (depth, units)).astype(np.float32)
    dense = rng.normal(0, 0.3, (units, max(then, 1))).astype(np.float32)

    def body(x):
        y = tf.matmul(x, signs) / np.float32(depth)
        return tf.matmul(tf.nn.relu(y), dense) if then else y

    path = tmp_path / f"signs_{depth}.tflite"
    path.write_bytes(tf_models.convert(body, [(batch, depth)], seed=depth))
    return path, signs


def extreme_inputs(signs: np.ndarray, batch: int) -> list:
    """Inputs that drive each channel's sum furthest up and down (127 or -128 by the weight's sign), `batch` rows
    to a sample."""
    rows = []
    for column in signs.T:
        rows += [np.where(column > 0, 127, -128), np.where(column > 0, -128, 127)]
    rows = np.array(rows, np.int8)
    return [[np.roll(rows, -k, axis=0)[:batch]] for k in range(len(rows))]


@pytest.mark.parametrize("batch", [3, 2])
@pytest.mark.parametrize("depth,stacked", [(516, 1), (520, 0)])
def test_second_channel_sums_at_the_int8_extremes_are_exact_up_to_the_limit(tmp_path, depth, stacked, batch):
    """127 * 516 is the deepest row of +-127 under the limit: every sum at its extreme stays exact (pixels by
    threes, and by twos); 520 deep, 256 times the extreme would wrap, and the layer keeps plain rows. (A lone
    pixel split a run at a time only needs each run's sums to fit.)"""
    path, signs = sign_layer_model(tmp_path, depth, 4, batch)
    model = compile_model(path, target=Target(dsp=True))
    (layer,) = model.layers
    assert layer.kernel == MATMUL_DSP and layer.params["product"]["stacked"] == stacked
    assert_equals_tflm(path, model, (depth,), tmp_path, samples=extreme_inputs(signs, batch))


@pytest.mark.parametrize("image,out_c,per_channel", [((5, 5, 64), 7, True), ((4, 5, 68), 6, True),
                                                     ((3, 3, 64), 5, False), ((1, 1, 96), 9, True)])
def test_stacked_1x1_convolutions_by_threes_twos_and_alone_equal_tflm(tmp_path, image, out_c, per_channel):
    """25 pixels: 8 triples and a lone one; 20: 6 triples and a pair; per-tensor: pairs and a lone one; odd
    channel counts end on a plain row."""
    path = tmp_path / "conv.tflite"
    path.write_bytes(tf_models.conv2d(image, out_c, 1, per_channel=per_channel, seed=image[2] + out_c))
    model = compile_model(path, target=Target(dsp=True))
    (layer,) = model.layers
    assert layer.kernel == MATMUL_DSP and layer.params["product"]["stacked"] == 1
    assert_equals_tflm(path, model, image, tmp_path)


def test_a_stacked_im2col_convolution_equals_tflm(tmp_path):
    path = tmp_path / "conv.tflite"
    path.write_bytes(tf_models.conv2d((6, 5, 8), 5, 3, seed=3))          # 72 deep
    model = compile_model(path, target=Target(dsp=True))
    (layer,) = model.layers
    assert layer.kernel == CONV_DSP and layer.params["product"]["stacked"] == 1
    assert_equals_tflm(path, model, (6, 5, 8), tmp_path)


def test_shallow_products_of_several_pixels_keep_plain_rows(tmp_path):
    path = tmp_path / "conv.tflite"
    path.write_bytes(tf_models.conv2d((5, 5, 32), 8, 1, seed=1))
    (layer,) = compile_model(path, target=Target(dsp=True)).layers
    assert layer.kernel == MATMUL_DSP and layer.params["product"]["stacked"] == 0


def test_a_model_of_stacked_and_plain_layers_is_exact_in_qemu(tmp_path):
    """Both layouts in one firmware (tg_product_forms.h keeps both; each layer's flag picks its code)."""
    path, signs = sign_layer_model(tmp_path, 520, 6, then=5)
    model = compile_model(path, target=Target(dsp=True))
    assert [layer.params["product"]["stacked"] for layer in model.layers] == [0, 1]
    assert_equals_tflm(path, model, (520,), tmp_path, samples=extreme_inputs(signs, 1)[:4])
    assert validate_firmware("netduinoplus2", path, samples=3).bit_exact


def test_a_single_channel_is_one_plain_row():
    weights = np.arange(-5, 7, dtype=np.int8).reshape(1, 12)
    assert list(_stacked_pairs(weights)) == list(weights[0])
