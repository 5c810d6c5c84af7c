"""One model's firmware on an emulated board, fed the reference measurement's inputs: exact
instructions per inference and per layer (with each layer's kernel), flash, RAM, and the ratio to the
reference figure when the model and board are the reference's. RAM twice: the serial firmware's (which
validation measures) and the application's, the plain `tinygen build` firmware's .data + .bss + the
stack high-water mark it reports when run once, as the reference's RAM was measured."""

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..boards import get_board
from ..compiler import compile_model
from ..compiler.compile import CompiledModel
from ..firmware.build import build, compile_for
from ..targets.qemu import run_elf
from ..text_table import table_lines
from ..validation.firmware import validate_firmware
from .reference import ReferenceFigure, reference_data, reference_for

REFERENCE_SAMPLES = 3


def reference_inputs(model: CompiledModel, count: int, folder: Path) -> Path | None:
    """numpy.random.default_rng(0).integers(-128, 128, (count, *shape)) as int8, as the reference was
    measured, for a model with one int8 input; None for others (validation's seeded inputs then)."""
    if len(model.inputs) != 1 or model.inputs[0].tensor.dtype != "int8":
        return None
    samples = np.random.default_rng(0).integers(-128, 128, (count, *model.inputs[0].tensor.shape)).astype(np.int8)
    path = folder / "bench_inputs.npy"
    np.save(path, samples)
    return path


@dataclass
class BenchResult:
    model: str
    board: str
    ran_on: str                      # the emulated board (the nearest core for a board QEMU lacks)
    bit_exact: bool
    samples: int
    inputs: str
    macs: int
    instructions: dict               # min, median, max per inference
    per_layer: list[dict]            # position, op, kernel, instructions
    flash_bytes: int
    ram_bytes: int                   # .data + .bss + the measured stack high-water mark
    stack_bytes: int
    arena_bytes: int
    application_ram_bytes: int       # the plain firmware's .data + .bss + its measured stack high-water mark
    application_stack_bytes: int
    reference: ReferenceFigure | None

    @property
    def instructions_per_mac(self) -> float:
        return self.instructions["median"] / self.macs if self.macs else 0.0

    @property
    def ratio(self) -> float | None:
        """Median instructions over the reference's, when measured under the same conditions."""
        if self.reference is None or self.ran_on != reference_data()["board"]:
            return None
        return self.instructions["median"] / self.reference.instructions

    @property
    def ram_ratio(self) -> float | None:
        """Application RAM over the reference's (RAM does not depend on the emulated core)."""
        return None if self.reference is None else self.application_ram_bytes / self.reference.ram_bytes

    def to_json(self) -> dict:
        data = asdict(self)
        data.update(instructions_per_mac=self.instructions_per_mac, ratio_to_reference=self.ratio,
                    ram_ratio_to_reference=self.ram_ratio)
        return data


def bench(model_path: Path, board_id: str, samples: int = REFERENCE_SAMPLES) -> BenchResult:
    model = compile_model(model_path)      # for its inputs; the firmware's own kernels come from the report
    with tempfile.TemporaryDirectory(prefix="tinygen-bench-") as work:
        inputs = reference_inputs(model, samples, Path(work))
        report = validate_firmware(board_id, model_path, inputs=inputs, samples=samples)
    timing, memory = report.timing, report.memory
    ram = memory.ram_bytes
    application_ram, application_stack = application_ram_bytes(model_path, report.emulated_core or board_id)
    return BenchResult(
        model=Path(model_path).name, board=board_id, ran_on=report.emulated_core or board_id,
        bit_exact=report.bit_exact, samples=report.samples,
        inputs="default_rng(0).integers(-128, 128) as int8" if inputs else report.inputs,
        macs=report.macs, instructions={"min": timing.min, "median": timing.median, "max": timing.max},
        per_layer=[{"position": row.position, "op": row.op, "kernel": row.kernel, "instructions": row.count}
                   for row in timing.per_layer],
        flash_bytes=memory.flash_bytes["used"], ram_bytes=ram["used"] - ram["stack"] + memory.stack_bytes,
        stack_bytes=memory.stack_bytes, arena_bytes=memory.arena_bytes, application_ram_bytes=application_ram,
        application_stack_bytes=application_stack, reference=reference_for(model_path))


def application_ram_bytes(model_path: Path, board_id: str) -> tuple[int, int]:
    """The plain `tinygen build` firmware's .data + .bss + the stack high-water mark it prints when run once
    in QEMU, and that mark."""
    board = get_board(board_id)
    with tempfile.TemporaryDirectory(prefix="tinygen-bench-") as work:
        result = build(board, compile_for(board, model_path), Path(work) / "firmware")
        (line,) = run_elf(board, result.elf).lines("tg-stack ")
    stack = int(line.split()[0])
    sections = result.report["ram"]["sections"]
    return sections[".data"] + sections[".bss"] + stack, stack


def describe(result: BenchResult, layers: int = 8) -> str:
    """One model's figures for a person; `layers` of the costliest layers."""
    board = result.board if result.ran_on == result.board else f"{result.board} (run on {result.ran_on})"
    core = get_board(result.ran_on).core
    counts = result.instructions
    lines = [f"{result.model} on {board}, {core}: {'BIT-EXACT' if result.bit_exact else 'MISMATCH'} on "
             f"{result.samples} samples ({result.inputs})",
             f"  instructions per inference: min {counts['min']:,} / median {counts['median']:,} / max {counts['max']:,}"
             f" (exact, QEMU -icount); {result.instructions_per_mac:.2f} per MAC over {result.macs:,} MACs",
             f"  flash {result.flash_bytes:,} bytes; RAM {result.ram_bytes:,} bytes (.data + .bss + stack high-water "
             f"{result.stack_bytes:,}; arena {result.arena_bytes:,}; the serial firmware's buffers included)",
             f"  application RAM {result.application_ram_bytes:,} bytes (the plain firmware's .data + .bss + stack "
             f"high-water {result.application_stack_bytes:,})"]
    if result.reference is not None:
        reference = result.reference
        if result.ratio is None:
            lines.append(f"  reference {reference.name}: {reference.instructions:,} instructions on "
                         f"{reference_data()['board']}; run on it for a ratio")
        else:
            data = reference_data()
            lines.append(f"  reference {reference.name}: {reference.instructions:,} instructions -> ratio "
                         f"{result.ratio:.2f}x (target <= {data['target_ratio']}x, goal {data['goal_ratio']}x)")
        lines.append(f"  reference RAM {reference.ram_bytes:,} bytes (arena {reference.arena_bytes:,}) -> application "
                     f"RAM ratio {result.ram_ratio:.2f}x")
    total = sum(row["instructions"] for row in result.per_layer) or 1
    costliest = sorted(result.per_layer, key=lambda row: -row["instructions"])[:layers]
    lines.append("  costliest layers:")
    for row in costliest:
        lines.append(f"    {row['position']:>3} {row['op']:<20} {row['kernel'] or '(alias)':<28} "
                     f"{row['instructions']:>12,}  {100 * row['instructions'] / total:5.1f} %")
    return "\n".join(lines)


def table(results: list[BenchResult]) -> str:
    """All models in one table, with the ratio to the reference where there is one."""
    header = ("model", "board", "MACs", "instructions (median)", "per MAC", "flash", "RAM", "app RAM", "vs reference",
              "app RAM vs reference")
    ratio = lambda value: f"{value:.2f}x" if value is not None else "-"
    rows = [header] + [(r.model, r.ran_on, f"{r.macs:,}", f"{r.instructions['median']:,}", f"{r.instructions_per_mac:.2f}",
                        f"{r.flash_bytes:,}", f"{r.ram_bytes:,}", f"{r.application_ram_bytes:,}", ratio(r.ratio),
                        ratio(r.ram_ratio)) for r in results]
    return "\n".join(table_lines(rows, right_aligned=set(range(1, len(header)))))
