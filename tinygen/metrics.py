"""Quality metrics against labels: accuracy and a confusion matrix for classifiers, error measures
for regression outputs."""

import numpy as np


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
