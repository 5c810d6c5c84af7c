"""The optimization report: one row per step (teacher and after each step), as text, JSON and a
PNG chart of size against accuracy."""

from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Step:
    name: str
    parameters: int
    model_bytes: int          # float32 weights for float models, the .tflite file for int8
    score: float              # accuracy (classifiers) or negative MSE (regression)
    note: str = ""
    size_reduction_pct: float = 0.0
    retention_pct: float = 100.0


def finish(steps: list[Step], classification: bool) -> list[Step]:
    """Fills in size reduction and quality retention relative to the teacher (first step)."""
    teacher = steps[0]
    for step in steps:
        step.size_reduction_pct = 100.0 * (1 - step.model_bytes / teacher.model_bytes)
        if classification:
            step.retention_pct = 100.0 * step.score / teacher.score if teacher.score else 0.0
        else:   # scores are negative errors: smaller error, higher retention
            step.retention_pct = 100.0 * teacher.score / step.score if step.score else 100.0
    return steps


def table(steps: list[Step], metric: str) -> str:
    rows = [("step", "parameters", "bytes", metric, "size -%", "retained %", "note")]
    for s in steps:
        rows.append((s.name, f"{s.parameters:,}", f"{s.model_bytes:,}", f"{s.score:.4f}", f"{s.size_reduction_pct:.1f}",
                     f"{s.retention_pct:.1f}", s.note))
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def as_json(steps: list[Step]) -> list[dict]:
    return [asdict(s) for s in steps]


def chart(steps: list[Step], metric: str, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.5, 4))
    axes.plot([s.model_bytes for s in steps], [s.score for s in steps], "o-", color="#3b75af")
    for s in steps:
        axes.annotate(s.name, (s.model_bytes, s.score), textcoords="offset points", xytext=(4, 4), fontsize=8)
    axes.set_xscale("log")
    axes.set_xlabel("model bytes (log)")
    axes.set_ylabel(metric)
    axes.set_title("size against quality, step by step", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
