"""What a validation found, as one typed report: the verdict, then optional parts (timing, memory,
accuracy, energy, power) that each target fills where it can measure them. `summary()` is for the
terminal, `to_json()` for machines; README.md ("The validation report") documents the JSON keys."""

from dataclasses import asdict, dataclass, field

from ..power.analysis import PowerMeasurement
from ..power.measurement import describe as describe_power
from .gates import GateResult

REPORT_VERSION = 1      # bumped when a JSON key changes meaning or goes away


@dataclass
class Divergence:
    """The first layer whose output on the device differs from the reference's."""
    position: int           # in execution order
    op_index: int           # in the TFLite model
    op: str
    layer: str
    tensor: str
    differing_bytes: int


@dataclass
class LayerTiming:
    position: int
    op_index: int
    op: str
    layer: str
    kernel: str | None      # None: an alias layer that computes nothing
    count: float


@dataclass
class Timing:
    """Work per inference in the target's unit: exact QEMU instructions, or a board's cycles."""
    unit: str
    exact: bool             # True for QEMU -icount counts, which repeat to the instruction
    min: float
    median: float
    max: float
    per_layer: list[LayerTiming]

    def describe_unit(self) -> str:
        return self.unit + (" (exact, QEMU -icount)" if self.exact else "")


@dataclass
class Memory:
    arena_bytes: int
    weights_bytes: int
    tflm_arena_bytes: int | None = None     # the TFLM runtime's arena for the same model (host validation)
    stack_bytes: int | None = None          # painted-stack high-water mark on the board
    flash_bytes: dict | None = None         # "used" and the linked firmware's parts
    ram_bytes: dict | None = None
    flash_capacity_bytes: int | None = None     # of the board asked for (an emulated stand-in may have more)
    ram_capacity_bytes: int | None = None


@dataclass
class Energy:
    uj_estimate: float | None       # None when the board file has no power figures
    assumptions: str


@dataclass
class Accuracy:
    kind: str                       # "classification" or "regression"
    labels: int
    scores: dict                    # per source ("float", "int8_reference", "device"): accuracy or error measures
    confusion_matrix: list[list[int]] | None = None     # on the device's outputs (classification)


@dataclass
class ValidationReport:
    model: str
    target: str
    samples: int
    inputs: str                     # where the samples came from
    bit_exact: bool
    mismatched_outputs: int         # output values that differ from the reference, over all samples
    mismatched_samples: int
    max_abs_diff: float
    macs: int
    layers: int
    memory: Memory
    board: str | None = None
    emulated_core: str | None = None    # the board that ran, when the asked-for board has no emulator model
    note: str | None = None
    first_diverging_layer: Divergence | None = None
    timing: Timing | None = None
    energy: Energy | None = None
    accuracy: Accuracy | None = None
    power: PowerMeasurement | None = None       # from a measured current trace
    gates: list[GateResult] | None = None       # budget gates, when any were given (gates.py)
    plots: list[str] = field(default_factory=list)
    plots_error: str | None = None

    def to_json(self) -> dict:
        return {"report_version": REPORT_VERSION, **asdict(self)}

    def summary(self) -> str:
        where = f"on {self.board} via {self.target}" if self.board else f"on target {self.target}"
        lines = [f"{'BIT-EXACT' if self.bit_exact else 'MISMATCH'}: {self.samples} samples ({self.inputs}) {where}, "
                 f"{self.mismatched_outputs} output values differ from TFLM (max |diff| {self.max_abs_diff:g})"]
        if self.note:
            lines.append(self.note)
        if self.first_diverging_layer:
            layer = self.first_diverging_layer
            lines.append(f"first diverging layer: {layer.position} {layer.op} '{layer.tensor}' "
                         f"({layer.differing_bytes} bytes differ)")
        if self.timing:
            lines += _timing_lines(self.timing)
        lines += _memory_lines(self.memory, self.macs, self.layers)
        if self.energy:
            energy = self.energy
            lines.append(f"energy per inference ~{energy.uj_estimate:.2f} uJ ({energy.assumptions})"
                         if energy.uj_estimate is not None else f"energy: {energy.assumptions}")
        if self.accuracy:
            lines.append("accuracy: " + ", ".join(f"{source} {_score(value)}"
                                                    for source, value in self.accuracy.scores.items()))
        if self.power:
            lines.append(describe_power(self.power))
        if self.gates:
            lines += [("PASS " if gate.passed else "FAIL ") + gate.detail for gate in self.gates]
        lines += [f"plot: {path}" for path in self.plots]
        if self.plots_error:
            lines.append(self.plots_error)
        return "\n".join(lines)


def _timing_lines(timing: Timing) -> list[str]:
    slowest = sorted(timing.per_layer, key=lambda row: -row.count)[:3]
    return [f"per inference: min {timing.min:,} / median {timing.median:,} / max {timing.max:,} {timing.describe_unit()}",
            "slowest layers: " + ", ".join(f"{row.position} {row.op} {row.count:,}" for row in slowest)]


def _memory_lines(memory: Memory, macs: int, layers: int) -> list[str]:
    lines = []
    if memory.flash_bytes is not None:
        lines.append(f"{_parts('flash', memory.flash_bytes)}; {_parts('RAM', memory.ram_bytes)}")
    stack = f"stack high-water {memory.stack_bytes:,} bytes; " if memory.stack_bytes is not None else ""
    tflm = f" (TFLM: {memory.tflm_arena_bytes:,})" if memory.tflm_arena_bytes is not None else ""
    lines.append(f"{stack}arena {memory.arena_bytes:,} bytes{tflm}, weights {memory.weights_bytes:,} bytes, "
                 f"{macs:,} MACs in {layers} layers")
    return lines


def _parts(name: str, memory: dict) -> str:
    parts = ", ".join(f"{part} {size:,}" for part, size in memory.items() if part != "used")
    return f"{name} {memory['used']:,} bytes ({parts})"


def _score(value) -> str:
    if isinstance(value, dict):
        return "(" + ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in value.items()) + ")"
    return f"{value:.4f}"
