"""Quality against labels: accuracy and a confusion matrix for classifiers, error measures for
regression outputs, each for the float model the int8 one came from (run on the dequantized inputs),
the int8 reference and the device."""

from pathlib import Path

import numpy as np

from ..compiler.compile import CompiledModel
from ..errors import TinygenError
from ..quiet_tensorflow import import_tensorflow
from .report import Accuracy


def dequantize(values: np.ndarray, quant) -> np.ndarray:
    if quant is None:
        return values.astype(np.float64)
    return (values.astype(np.float64) - quant.zero_point[0]) * quant.scale[0]


def is_classification(labels: np.ndarray, output_shape: tuple[int, ...]) -> bool:
    return labels.dtype.kind in "iu" and output_shape and output_shape[-1] > 1


def predicted_classes(outputs: list[np.ndarray]) -> np.ndarray:
    return np.array([int(np.argmax(output.reshape(-1))) for output in outputs])


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, classes: int) -> list[list[int]]:
    matrix = np.zeros((classes, classes), dtype=np.int64)
    for label, prediction in zip(labels, predictions):
        if 0 <= label < classes:
            matrix[label, prediction] += 1
    return matrix.tolist()


def regression_metrics(expected: np.ndarray, predicted: np.ndarray) -> dict:
    expected = expected.reshape(len(expected), -1).astype(np.float64)
    predicted = predicted.reshape(len(predicted), -1).astype(np.float64)
    error = predicted - expected
    norm = np.linalg.norm(expected)
    denominator = np.linalg.norm(expected.reshape(-1)) * np.linalg.norm(predicted.reshape(-1))
    return {
        "rmse": float(np.sqrt(np.mean(error ** 2))),
        "mae": float(np.mean(np.abs(error))),
        "l2_relative_error": float(np.linalg.norm(error) / norm) if norm else None,
        "cosine_similarity": float(expected.reshape(-1) @ predicted.reshape(-1) / denominator) if denominator else None,
    }


class FloatReference:
    """The float model (Keras or .tflite), whose first output is scored beside the int8 ones."""

    def __init__(self, path: Path):
        tf = import_tensorflow()
        self.path = Path(path)
        try:
            if self.path.suffix == ".tflite":
                self.interpreter = tf.lite.Interpreter(model_path=str(self.path))
                self.interpreter.allocate_tensors()
                self.keras = None
            else:
                self.keras = tf.keras.models.load_model(str(self.path), compile=False)
        except (OSError, ValueError, RuntimeError) as exc:
            raise TinygenError(f"cannot load the float model {self.path}: {exc}") from None

    def run(self, inputs: list[np.ndarray]) -> np.ndarray:
        """The first output for one sample of float inputs."""
        if self.keras is not None:
            return np.asarray(self.keras(inputs if len(inputs) > 1 else inputs[0], training=False))
        for detail, value in zip(self.interpreter.get_input_details(), inputs):
            self.interpreter.set_tensor(detail["index"], value.reshape(detail["shape"]).astype(np.float32))
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.interpreter.get_output_details()[0]["index"])


def accuracy(model: CompiledModel, labels: np.ndarray, data: list, expected: list, actual: list,
             float_model: Path | None) -> Accuracy:
    """Scores the first output of the reference (`expected`) and the device (`actual`), and of the
    float model when given, against `labels`."""
    first = model.outputs[0].tensor
    int8 = {"int8_reference": [sample[0] for sample in expected], "device": [sample[0] for sample in actual]}
    floats = None
    if float_model is not None:
        reference = FloatReference(float_model)
        floats = [reference.run([dequantize(np.asarray(v), io.tensor.quant).astype(np.float32)
                                 for io, v in zip(model.inputs, sample)]) for sample in data]
    if is_classification(labels, first.shape):
        scores = {} if floats is None else {"float": float(np.mean(predicted_classes(floats) == labels))}
        scores.update({name: float(np.mean(predicted_classes(outputs) == labels)) for name, outputs in int8.items()})
        matrix = confusion_matrix(labels, predicted_classes(int8["device"]), first.shape[-1])
        return Accuracy("classification", len(labels), scores, matrix)
    truth = labels.astype(np.float64)
    scores = {} if floats is None else {
        "float": regression_metrics(truth, np.stack([np.asarray(o, dtype=np.float64) for o in floats]))}
    scores.update({name: regression_metrics(truth, np.stack([dequantize(o, first.quant) for o in outputs]))
                   for name, outputs in int8.items()})
    return Accuracy("regression", len(labels), scores)
