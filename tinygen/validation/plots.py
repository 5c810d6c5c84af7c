"""Charts for people, from a report's plain data (so the JSON alone can draw them again): work per
layer, the confusion matrix, the memory map, and the power trace with its inference windows. Each
chart is a matplotlib Figure, saved as a PNG file or as PNG bytes for the HTML report."""

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")   # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

BAR_COLOUR = "#3b75af"
FREE_COLOUR = "#dddddd"
WINDOW_COLOUR = "#f2a541"       # inference windows on the power trace
DPI = 110


def write_plots(report: dict, title: str, plots_dir: Path) -> list[str]:
    """The PNG files a report (its JSON form) has data for, written into plots_dir; their paths."""
    plots_dir.mkdir(parents=True, exist_ok=True)
    written = []
    if report.get("timing"):
        written.append(save_png(per_layer_figure(report["timing"], title), plots_dir / "per_layer.png"))
    if (report.get("accuracy") or {}).get("confusion_matrix") is not None:
        written.append(save_png(confusion_figure(report["accuracy"]["confusion_matrix"], title),
                                plots_dir / "confusion.png"))
    return [str(path) for path in written]


def save_png(figure: Figure, path: Path) -> Path:
    figure.savefig(path, dpi=DPI)
    plt.close(figure)
    return path


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    plt.close(figure)
    return buffer.getvalue()


def per_layer_figure(timing: dict, title: str) -> Figure:
    rows = timing["per_layer"]
    labels = [f"{row['position']}: {row['op']}" for row in rows]
    figure, axes = plt.subplots(figsize=(8, max(2.5, 0.3 * len(labels) + 1)))
    axes.barh(range(len(rows)), [row["count"] for row in rows], color=BAR_COLOUR)
    axes.set_yticks(range(len(rows)), labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel(timing["unit"])
    axes.set_title(f"{title}: {timing['unit']} per layer", fontsize=10)
    figure.tight_layout()
    return figure


def confusion_figure(matrix: list[list[int]], title: str) -> Figure:
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
    return figure


def memory_figure(memory: dict) -> Figure:
    """Flash and RAM as stacked bars of their parts, against the board's capacity where known."""
    regions = [(name, memory[f"{name.lower()}_bytes"], memory.get(f"{name.lower()}_capacity_bytes"))
               for name in ("Flash", "RAM") if memory.get(f"{name.lower()}_bytes")]
    figure, axes = plt.subplots(figsize=(8, 1.0 + 0.8 * len(regions)))
    colours = plt.get_cmap("tab10")
    for row, (name, parts, capacity) in enumerate(regions):
        left = 0
        for index, (part, size) in enumerate((p, s) for p, s in parts.items() if p != "used"):
            axes.barh(row, size, left=left, color=colours(index), label=part if row == 0 else None)
            axes.text(left + size / 2, row, part, ha="center", va="center", fontsize=7, color="white")
            left += size
        if capacity:
            axes.barh(row, capacity - left, left=left, color=FREE_COLOUR)
            axes.text(capacity, row, f" {parts['used'] / capacity:.1%} of {capacity:,} B", va="center", fontsize=8)
    axes.set_yticks(range(len(regions)), [name for name, _, _ in regions])
    axes.invert_yaxis()
    axes.set_xlabel("bytes")
    figure.tight_layout()
    return figure


def power_figure(power: dict) -> Figure:
    """The trace's current over time, the inference windows shaded."""
    preview = power["preview"]
    figure, axes = plt.subplots(figsize=(8, 3))
    for inference in power["inferences"]:
        axes.axvspan(inference["start_s"] * 1e3, (inference["start_s"] + inference["duration_s"]) * 1e3,
                     color=WINDOW_COLOUR, alpha=0.35, linewidth=0)
    axes.plot([t * 1e3 for t in preview["time_s"]], preview["current_ma"], color=BAR_COLOUR, linewidth=0.8)
    axes.set_xlabel("time (ms)")
    axes.set_ylabel("current (mA)")
    axes.set_title(f"{power['source']}: inferences shaded ({power['window_method']})", fontsize=9)
    figure.tight_layout()
    return figure
