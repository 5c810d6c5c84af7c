"""Bad models get one clear error and a non-zero exit; nothing is written."""

import subprocess
import sys

import numpy as np
import pytest

from tinygen.cli import main
from tinygen.compiler import compile_model
from tinygen.errors import ModelFormatError, TinygenError, UnsupportedModelError
from tinygen.model.tflite_importer import parse_tflite
from tinygen.quiet_tensorflow import import_tensorflow

import tf_models
from conftest import needs_shared_models, shared_model


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "tinygen.cli", *map(str, args)], capture_output=True, text=True)


@pytest.mark.parametrize("content", [b"", b"hello", b"not a model at all, just some text\n" * 10,
                                     np.random.default_rng(1).bytes(4096)])
def test_non_tflite_files_exit_2_without_traceback(tmp_path, content):
    path = tmp_path / "bad.tflite"
    path.write_bytes(content)
    result = run_cli("compile", path, "-o", tmp_path / "out")
    assert result.returncode == 2, result.stderr
    assert "not a TFLite flatbuffer" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_file_exits_2(tmp_path):
    assert main(["compile", str(tmp_path / "nope.tflite"), "-o", str(tmp_path / "out")]) == 2


@pytest.fixture(scope="module")
def built_models() -> dict[str, bytes]:
    """Small models the tests build themselves: a conv net with float edges and an FC + softmax."""
    return {"conv": tf_models.float_io_conv((8, 8, 2), 4),
            "fc_softmax": tf_models.fully_connected_stack(16, [(8, 0.0), (4, 0.5)])}


def _shared_model_bytes(name: str) -> bytes:
    return shared_model(name).read_bytes()


def _truncation_is_a_format_error(tmp_path, data: bytes, fraction: float):
    truncated = data[:int(len(data) * fraction)]
    with pytest.raises(ModelFormatError, match="truncated or corrupt|corrupt"):
        parse_tflite(truncated, "truncated.tflite")
    path = tmp_path / "truncated.tflite"
    path.write_bytes(truncated)
    result = run_cli("compile", path, "-o", tmp_path / "out")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "truncated or corrupt" in result.stderr


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_truncated_model_is_a_format_error(tmp_path, built_models, fraction):
    _truncation_is_a_format_error(tmp_path, built_models["conv"], fraction)


@needs_shared_models
@pytest.mark.parametrize("fraction", [0.5, 0.99])
def test_truncated_shared_model_is_a_format_error(tmp_path, fraction):
    _truncation_is_a_format_error(tmp_path, _shared_model_bytes("mlperf_tiny/kws_ref_model.tflite"), fraction)


def _corruption_never_crashes(tmp_path, data: bytes, trials: int):
    """Random byte damage either still compiles or gives a TinygenError: never another exception."""
    rng = np.random.default_rng(7)
    outcomes = {"compiled": 0, "refused": 0}
    for trial in range(trials):
        damaged = bytearray(data)
        for position in rng.integers(8, len(data), size=rng.integers(1, 20)):
            damaged[position] = int(rng.integers(0, 256))
        path = tmp_path / f"damaged{trial}.tflite"
        path.write_bytes(bytes(damaged))
        try:
            compile_model(path)
            outcomes["compiled"] += 1
        except TinygenError:
            outcomes["refused"] += 1
    assert outcomes["refused"] > 0, outcomes


@pytest.mark.parametrize("model", ["conv", "fc_softmax"])
def test_corrupted_bytes_never_crash_the_compiler(tmp_path, built_models, model):
    _corruption_never_crashes(tmp_path, built_models[model], 400)


@needs_shared_models
@pytest.mark.parametrize("model", ["tflm/hello_world_int8.tflite", "mlperf_tiny/kws_ref_model.tflite"])
def test_corrupted_bytes_never_crash_the_compiler_on_shared_models(tmp_path, model):
    _corruption_never_crashes(tmp_path, _shared_model_bytes(model), 100)


@needs_shared_models
def test_lstm_model_is_refused_naming_the_op(tmp_path):
    out = tmp_path / "out"
    result = run_cli("compile", shared_model("tflm/trained_lstm_int8.tflite"), "-o", out)
    assert result.returncode == 3
    assert "operator 0: UNIDIRECTIONAL_SEQUENCE_LSTM" in result.stderr
    assert "Supported operators: ADD, AVERAGE_POOL_2D" in result.stderr and "SOFTMAX" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def _float_model_bytes() -> bytes:
    tf = import_tensorflow()

    weights = tf.constant(np.random.default_rng(0).normal(size=(3, 3, 1, 4)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([1, 8, 8, 1], tf.float32)])
    def model(x):
        return tf.nn.relu(tf.nn.conv2d(x, weights, 1, "SAME"))

    converter = tf.lite.TFLiteConverter.from_concrete_functions([model.get_concrete_function()], model)
    return converter.convert()


def test_float_model_is_refused_with_how_to_quantize(tmp_path):
    path = tmp_path / "float.tflite"
    path.write_bytes(_float_model_bytes())
    with pytest.raises(UnsupportedModelError) as error:
        compile_model(path)
    message = str(error.value)
    assert "full-integer int8 model" in message
    assert "representative_dataset" in message and "TFLITE_BUILTINS_INT8" in message
    assert main(["compile", str(path), "-o", str(tmp_path / "out")]) == 3
    assert not (tmp_path / "out").exists()
