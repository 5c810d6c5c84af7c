"""PNG charts for people: per-layer work and the confusion matrix."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")   # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def per_layer_bars(per_layer: list[dict], unit: str, title: str, path: Path) -> Path:
    labels = [f"{row['position']}: {row['op']}" for row in per_layer]
    values = [row["count"] for row in per_layer]
    figure, axes = plt.subplots(figsize=(8, max(2.5, 0.3 * len(labels) + 1)))
    axes.barh(range(len(values)), values, color="#3b75af")
    axes.set_yticks(range(len(values)), labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel(unit)
    axes.set_title(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def confusion_matrix_image(matrix: list[list[int]], title: str, path: Path) -> Path:
    size = len(matrix)
    figure, axes = plt.subplots(figsize=(1.2 + 0.45 * size, 1 + 0.45 * size))
    axes.imshow(matrix, cmap="Blues")
    for row in range(size):
        for column in range(size):
            if matrix[row][column]:
                axes.text(column, row, str(matrix[row][column]), ha="center", va="center", fontsize=7)
    axes.set_xlabel("predicted")
    axes.set_ylabel("label")
    axes.set_xticks(range(size))
    axes.set_yticks(range(size))
    axes.set_title(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
