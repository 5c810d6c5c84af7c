"""Training data for `tinygen optimize`: an .npz with x_train/y_train/x_test/y_test, or x/y split here."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import TinygenError

SPLIT_SEED = 0
TEST_FRACTION = 0.2


@dataclass
class DataSet:
    x_train: np.ndarray
    y_train: np.ndarray       # class indices (classification) or targets (regression)
    x_test: np.ndarray
    y_test: np.ndarray
    classes: int | None       # None for regression

    @property
    def is_classification(self) -> bool:
        return self.classes is not None


def _labels(y: np.ndarray) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] > 1 and set(np.unique(y)) <= {0, 1}:
        return y.argmax(axis=1)          # one-hot
    return y.reshape(len(y)) if y.ndim == 2 and y.shape[1] == 1 else y


def load_dataset(path: Path, input_shape: tuple[int, ...]) -> DataSet:
    try:
        data = dict(np.load(path, allow_pickle=False))
    except (OSError, ValueError) as exc:
        raise TinygenError(f"cannot read data from {path}: {exc}") from None
    if {"x_train", "y_train", "x_test", "y_test"} <= data.keys():
        x_train, y_train, x_test, y_test = (data[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    elif {"x", "y"} <= data.keys():
        order = np.random.default_rng(SPLIT_SEED).permutation(len(data["x"]))
        cut = int(len(order) * (1 - TEST_FRACTION))
        x_train, y_train = data["x"][order[:cut]], data["y"][order[:cut]]
        x_test, y_test = data["x"][order[cut:]], data["y"][order[cut:]]
    elif "x" in data or "x_train" in data:
        raise TinygenError(f"{path} has no labels: it needs y (with x) or y_train and y_test (with x_train, x_test)")
    else:
        raise TinygenError(f"{path} holds {sorted(data)}; expected x_train, y_train, x_test, y_test (or x, y)")
    for name, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if tuple(x.shape[1:]) != tuple(input_shape):
            raise TinygenError(f"{path}: x_{name} samples have shape {tuple(x.shape[1:])}, the model takes "
                               f"{tuple(input_shape)}")
        if len(x) != len(y) or len(x) == 0:
            raise TinygenError(f"{path}: x_{name} has {len(x)} samples but y_{name} has {len(y)} labels")
    y_train, y_test = _labels(y_train), _labels(y_test)
    classification = y_train.dtype.kind in "iub"
    classes = int(max(y_train.max(), y_test.max())) + 1 if classification else None
    return DataSet(x_train.astype(np.float32), y_train.astype(np.int64 if classification else np.float32),
                   x_test.astype(np.float32), y_test.astype(np.int64 if classification else np.float32), classes)
