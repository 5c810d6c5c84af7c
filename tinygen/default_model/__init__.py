"""The default model shipped with tinygen: a small int8 CNN for scikit-learn's 8x8 digits.

`make_default_model.py` (run as `python -m tinygen.default_model.make_default_model`) makes it with
tinygen's optimize pipeline and writes `digits_int8.tflite` and `digits_int8.json` beside this file.
The helpers here rebuild the same held-out split with the same preprocessing, so the recorded
accuracy can be re-measured. Importing this module needs neither TensorFlow nor scikit-learn;
scikit-learn is imported only when data is needed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..compiler.quantization import quantize_float_to_int8

HERE = Path(__file__).resolve().parent
DEFAULT_MODEL_PATH = HERE / "digits_int8.tflite"
DEFAULT_MODEL_INFO_PATH = HERE / "digits_int8.json"

SPLIT_SEED = 20240601          # train/test split (stratified)
TEST_FRACTION = 0.25
INPUT_SHAPE = (8, 8, 1)        # one image, channels last; the model's input is (1, 8, 8, 1)
SAMPLE_INDEX = 0               # which held-out image sample_input() returns


def load_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test): float32 images in [0, 1] shaped (N, 8, 8, 1), int labels."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0).reshape((-1, *INPUT_SHAPE))
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=TEST_FRACTION, stratify=y, random_state=SPLIT_SEED, shuffle=True)
    return x_train, y_train, x_test, y_test


def model_info() -> dict:
    """The JSON written next to the model by make_default_model.py."""
    return json.loads(DEFAULT_MODEL_INFO_PATH.read_text())


def test_split() -> tuple[np.ndarray, np.ndarray]:
    """The whole held-out split as the model sees it: (x_int8 shaped (N, 1, 8, 8, 1), labels)."""
    quant = model_info()["input_quantization"]
    _, _, x_test, y_test = load_split()
    x_int8 = quantize_float_to_int8(x_test, quant["scale"], quant["zero_point"])
    return x_int8.reshape((-1, 1, *INPUT_SHAPE)), y_test


test_split.__test__ = False    # a helper, not a pytest test


def sample_input() -> tuple[np.ndarray, int]:
    """One held-out int8 image shaped like the model input (1, 8, 8, 1), and its label."""
    x_int8, y = test_split()
    return x_int8[SAMPLE_INDEX].copy(), int(y[SAMPLE_INDEX])


__all__ = ["DEFAULT_MODEL_PATH", "DEFAULT_MODEL_INFO_PATH", "load_split", "model_info",
           "test_split", "sample_input"]
