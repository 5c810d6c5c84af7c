"""The optimization report: one row per step (teacher and after each step), as text, JSON and a
PNG chart of size against accuracy. Every step is sized the same way: the bytes of its weights as
stored (4 per float32 parameter; the int8 model's constant tensors: int8 weights, int32 biases)."""

from dataclasses import asdict, dataclass
from pathlib import Path

from ..text_table import table_lines


@dataclass
class Step:
    name: str
    parameters: int
    weight_bytes: int
    score: float              # accuracy (classifiers) or negative MSE (regression)
    note: str = ""
    size_reduction_pct: float = 0.0
    retention_pct: float = 100.0


def finish(steps: list[Step], classification: bool) -> list[Step]:
    """Fills in size reduction and quality retention relative to the teacher (first step)."""
    teacher = steps[0]
    for step in steps:
        step.size_reduction_pct = 100.0 * (1 - step.weight_bytes / teacher.weight_bytes)
        if classification:
            step.retention_pct = 100.0 * step.score / teacher.score if teacher.score else 0.0
        else:   # scores are negative errors: smaller error, higher retention
            step.retention_pct = 100.0 * teacher.score / step.score if step.score else 100.0
    return steps


def table(steps: list[Step], metric: str) -> str:
    rows = [("step", "parameters", "weight bytes", metric, "size -%", "retained %", "note")]
    for s in steps:
        rows.append((s.name, f"{s.parameters:,}", f"{s.weight_bytes:,}", f"{s.score:.4f}", f"{s.size_reduction_pct:.1f}",
                     f"{s.retention_pct:.1f}", s.note))
    return "\n".join(table_lines(rows))


def as_json(steps: list[Step]) -> list[dict]:
    return [asdict(s) for s in steps]


def chart(steps: list[Step], metric: str, path: Path) -> Path:
    """Numbered points named in a legend (steps on the same spot share one label), so labels never
    overlap or leave the frame; the size axis is in powers of two KiB."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    figure, axes = plt.subplots(figsize=(7, 4.2))
    axes.plot([s.weight_bytes for s in steps], [s.score for s in steps], "-", color="#9bb8d3", zorder=1)
    spots: dict[tuple[int, float], list[int]] = {}
    for number, step in enumerate(steps, start=1):
        spots.setdefault((step.weight_bytes, round(step.score, 4)), []).append(number)
        axes.scatter(step.weight_bytes, step.score, s=200, color="#3b75af", zorder=2,
                     label=f"{number}  {step.name}: {step.weight_bytes / 1024:,.1f} KiB, {metric} {step.score:.4f}")
    for (size, score), numbers in spots.items():
        axes.annotate(",".join(map(str, numbers)), (size, score), ha="center", va="center", fontsize=7,
                      color="white", zorder=3)
    axes.set_xscale("log", base=2)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / 1024:g} KiB"))
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.margins(x=0.15, y=0.2)
    axes.set_xlabel("weight bytes as stored (log scale)")
    axes.set_ylabel(metric)
    axes.set_title("size against quality, step by step", fontsize=10)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=8, frameon=False, handletextpad=0.2)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
    return path
