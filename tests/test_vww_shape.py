"""A MobileNet v1 of width 0.25 in the shapes of MLPerf Tiny's visual wake words model (96x96x3 input, two
classes: 7,489,664 MACs, as the real model's), with random weights: bit-exact in QEMU on a Cortex-M4. The
README quotes `tinygen bench` on the model vww_shaped writes."""

import pytest

import tf_models
from tinygen.quiet_tensorflow import import_tensorflow
from tinygen.validation.firmware import validate_firmware


def vww_shaped(tmp_path):
    """Keras' MobileNet (alpha 0.25, no pretrained weights, no softmax: untrained logits are too close together
    for TFLM's softmax), quantized to int8."""
    tf = import_tensorflow()
    tf.keras.utils.set_random_seed(0)
    net = tf.keras.applications.MobileNet(input_shape=(96, 96, 3), alpha=0.25, weights=None, classes=2,
                                          classifier_activation=None)
    path = tmp_path / "vww_shaped.tflite"
    path.write_bytes(tf_models.convert(lambda x: net(x, training=False), [(1, 96, 96, 3)]))
    return path


@pytest.mark.slow
def test_the_vww_shaped_mobilenet_is_bit_exact_in_qemu(tmp_path):
    assert validate_firmware("netduinoplus2", vww_shaped(tmp_path), samples=2).bit_exact
