"""A lone pixel of the DSP product (a fully connected layer of one batch) may split its input a run of depth
at a time, for a scratch of one run: taken where the arena shrinks for it, with TFLM's outputs."""

import pytest

import tf_models
from tinygen.compiler import Target, compile_model
from tinygen.compiler.in_place import SINGLE_RUN_WORDS
from tinygen.compiler.variants import MATMUL_DSP, matmul_scratch_bytes
from tinygen.quiet_tensorflow import import_tensorflow
from tinygen.validation.firmware import validate_firmware
from tinygen.validation.host import validate_host
from test_in_place import assert_equals_tflm


@pytest.mark.parametrize("depth,units,per_channel", [(640, 128, True), (301, 7, True), (129, 5, False),
                                                    (517, 2, False)])
def test_a_fully_connected_layer_split_a_run_at_a_time_equals_tflm(tmp_path, depth, units, per_channel):
    """Alone in its model its scratch is the whole arena, so the compiler takes the run at a time."""
    path = tmp_path / "fc.tflite"
    path.write_bytes(tf_models.fully_connected((1, depth), units, per_channel=per_channel, seed=depth))
    model = compile_model(path, target=Target(dsp=True))
    (layer,) = model.layers
    assert layer.kernel == MATMUL_DSP and layer.params["single_run_groups"] == SINGLE_RUN_WORDS
    assert layer.scratch_bytes == model.arena_bytes == 8 * SINGLE_RUN_WORDS < matmul_scratch_bytes(depth, 1)
    assert_equals_tflm(path, model, (depth,), tmp_path)


def autoencoder(tmp_path):
    """The shape of MLPerf Tiny's anomaly-detection autoencoder: 640 -> 128 x 4 -> 8 -> 128 x 4 -> 640."""
    import numpy as np
    tf = import_tensorflow()
    rng = np.random.default_rng(0)
    sizes = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640]
    layers = [(rng.normal(0, 1 / np.sqrt(a), (a, b)).astype(np.float32), rng.normal(0, 0.1, b).astype(np.float32))
              for a, b in zip(sizes, sizes[1:])]

    def body(x):
        for i, (w, b) in enumerate(layers):
            x = tf.matmul(x, w) + b
            x = tf.nn.relu(x) if i < len(layers) - 1 else x
        return x

    path = tmp_path / "autoencoder.tflite"
    path.write_bytes(tf_models.convert(body, [(1, 640)]))
    return path


def test_the_autoencoders_deep_first_layer_takes_the_run_at_a_time_for_a_smaller_arena(tmp_path):
    path = autoencoder(tmp_path)
    model = compile_model(path, target=Target(dsp=True))
    first = model.layers[0]
    assert first.params["single_run_groups"] == SINGLE_RUN_WORDS
    assert model.arena_bytes < 8 * 640 // 4                 # the whole input split would take 1,280 bytes alone
    assert all(layer.params["single_run_groups"] == 0 for layer in model.layers[1:])      # the rest: their own
    assert validate_host(path, None, samples=10, target=Target(dsp=True)).bit_exact
    assert validate_firmware("netduinoplus2", path, samples=2).bit_exact
