"""The default model shipped in tinygen.default_model: it compiles, the generated C is bit-exact, and the
accuracy recorded in its JSON is re-measured on the TFLM runtime from the held-out digits split."""

import numpy as np
import pytest

from tinygen.compiler import compile_model
from tinygen.default_model import (DEFAULT_MODEL_INFO_PATH, DEFAULT_MODEL_PATH, model_info, sample_input,
                                   test_split)
from tinygen.validation.host import validate_host


@pytest.fixture(scope="module")
def compiled():
    return compile_model(DEFAULT_MODEL_PATH)


def test_artifacts_ship_with_the_package():
    assert DEFAULT_MODEL_PATH.is_file() and DEFAULT_MODEL_INFO_PATH.is_file()
    info = model_info()
    assert info["dataset"] == "sklearn.datasets.load_digits"
    assert info["model_bytes"] == DEFAULT_MODEL_PATH.stat().st_size
    assert info["model_bytes"] < 20 * 1024
    assert info["largest_activation_bytes"] <= 1024


def test_compiles_and_is_bit_exact_on_host(compiled):
    assert compiled.arena_bytes < 8 * 1024
    assert {layer.op.op_type for layer in compiled.layers} <= {
        "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D", "ADD", "MUL",
        "RESHAPE", "SOFTMAX", "MEAN", "PAD", "CONCATENATION", "RELU", "RELU6"}
    report = validate_host(DEFAULT_MODEL_PATH, None, samples=20)
    assert report.samples == 20
    assert report.bit_exact, report.summary()


def test_recorded_input_quantization_matches_the_model(compiled):
    quant = model_info()["input_quantization"]
    tensor = compiled.inputs[0].tensor
    assert float(tensor.quant.scale[0]) == quant["scale"]
    assert int(tensor.quant.zero_point[0]) == quant["zero_point"]


def test_int8_accuracy_is_remeasured_on_tflm():
    from tflite_micro import runtime

    info = model_info()
    x_int8, y = test_split()
    assert len(y) == info["test_size"]
    interpreter = runtime.Interpreter.from_bytes(DEFAULT_MODEL_PATH.read_bytes(), arena_size=1 << 20)
    correct = 0
    for image, label in zip(x_int8, y):
        interpreter.set_input(image, 0)
        interpreter.invoke()
        correct += int(np.argmax(np.asarray(interpreter.get_output(0)).reshape(-1)) == label)
    accuracy = correct / len(y)
    assert accuracy == info["int8_accuracy_tflm"]
    assert accuracy >= 0.95


def test_sample_input_matches_the_model_input(compiled):
    image, label = sample_input()
    tensor = compiled.inputs[0].tensor
    assert image.dtype == np.int8
    assert image.shape == tuple(tensor.shape)
    assert 0 <= label <= 9
    again, again_label = sample_input()
    assert np.array_equal(image, again) and label == again_label


def test_package_imports_without_tensorflow():
    import subprocess
    import sys

    code = ("import sys, tinygen.default_model as d; d.DEFAULT_MODEL_PATH; "
            "assert 'tensorflow' not in sys.modules and 'sklearn' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
