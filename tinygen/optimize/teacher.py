"""The user's float teacher: loaded with Keras 3 or tf_keras, evaluated, and asked for its logits."""

from pathlib import Path

import numpy as np

from ..errors import TinygenError
from ..quiet_tensorflow import import_tensorflow


def load_teacher(path: Path):
    import_tensorflow()
    if not path.exists():
        raise TinygenError(f"teacher model {path} does not exist")
    loaders = []
    import keras
    import tf_keras

    if path.is_dir():
        loaders = [tf_keras.models.load_model]
    elif path.suffix == ".h5":
        loaders = [tf_keras.models.load_model, keras.models.load_model]
    else:
        loaders = [keras.models.load_model, tf_keras.models.load_model]
    problems = []
    for load in loaders:
        try:
            return load(str(path), compile=False)
        except Exception as exc:   # noqa: BLE001 - each loader fails in its own way; all are reported
            problems.append(f"{load.__module__}: {str(exc).splitlines()[0][:200]}")
    raise TinygenError(f"cannot load the teacher {path} (.keras, .h5 or a SavedModel folder):\n  " + "\n  ".join(problems))


def predict(model, x: np.ndarray) -> np.ndarray:
    return np.asarray(model.predict(x, batch_size=256, verbose=0), dtype=np.float32)


def as_logits(outputs: np.ndarray) -> np.ndarray:
    """Teacher outputs as logits: probabilities (rows summing to 1) become log-probabilities, which
    give the same softened distribution at any temperature."""
    if outputs.min() >= 0 and np.allclose(outputs.sum(axis=-1), 1.0, atol=1e-3):
        return np.log(np.clip(outputs, 1e-7, 1.0))
    return outputs


def accuracy(outputs: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(outputs.reshape(len(outputs), -1).argmax(axis=1) == labels))
