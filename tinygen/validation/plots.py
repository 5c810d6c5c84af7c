"""PNG charts for people: per-layer work and the confusion matrix."""

from pathlib import Path

import matplotlib

from .report import LayerTiming, ValidationReport

matplotlib.use("Agg")   # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def write_plots(report: ValidationReport, title: str, plots_dir: Path) -> list[str]:
    """The charts a report has data for, written into plots_dir; their paths."""
    plots_dir.mkdir(parents=True, exist_ok=True)
    written = []
    if report.timing:
        unit = report.timing.unit
        written.append(per_layer_bars(report.timing.per_layer, unit, f"{title}: {unit} per layer",
                                      plots_dir / "per_layer.png"))
    if report.accuracy and report.accuracy.confusion_matrix is not None:
        written.append(confusion_matrix_image(report.accuracy.confusion_matrix, title, plots_dir / "confusion.png"))
    return [str(path) for path in written]


def per_layer_bars(per_layer: list[LayerTiming], unit: str, title: str, path: Path) -> Path:
    labels = [f"{row.position}: {row.op}" for row in per_layer]
    values = [row.count for row in per_layer]
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
    """Counts in every non-empty cell, white on dark cells; a colour bar; the accuracy in the title."""
    size = len(matrix)
    total = sum(map(sum, matrix))
    accuracy = sum(matrix[i][i] for i in range(size)) / total if total else 0.0
    darkest = max(map(max, matrix)) if size else 0
    figure, axes = plt.subplots(figsize=(2.2 + 0.5 * size, 1.4 + 0.5 * size))
    image = axes.imshow(matrix, cmap="Blues", vmin=0)
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04, label="samples")
    for row in range(size):
        for column in range(size):
            count = matrix[row][column]
            if count:
                axes.text(column, row, str(count), ha="center", va="center", fontsize=7,
                          color="white" if count > darkest / 2 else "black")
    axes.set_xlabel("predicted")
    axes.set_ylabel("label")
    axes.set_xticks(range(size))
    axes.set_yticks(range(size))
    axes.set_title(f"{title}\naccuracy {accuracy:.1%} ({total} samples)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
