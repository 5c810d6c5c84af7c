"""Validation: runs the generated code and the TFLM reference on the same inputs and compares every byte."""

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .compiler import Target, compile_model
from .progress import track
from .reference import TflmReference
from .samples import validation_samples
from .targets import host


@dataclass
class ValidationReport:
    model: str
    target: str
    samples: int
    bit_exact: bool
    mismatched_outputs: int          # output elements that differ from the reference, over all samples
    mismatched_samples: int
    max_abs_diff: float
    arena_bytes: int
    weights_bytes: int
    tflm_arena_bytes: int
    macs: int
    layers: int
    inputs: str                      # where the samples came from

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        verdict = "BIT-EXACT" if self.bit_exact else "MISMATCH"
        return (f"{verdict}: {self.samples} samples ({self.inputs}) on target {self.target}, "
                f"{self.mismatched_outputs} output values differ from TFLM (max |diff| {self.max_abs_diff:g})\n"
                f"arena {self.arena_bytes} bytes (TFLM: {self.tflm_arena_bytes}), weights {self.weights_bytes} bytes, "
                f"{self.macs} MACs in {self.layers} layers")


def compare(expected: list[list[np.ndarray]], actual: list[list[np.ndarray]]) -> tuple[int, int, float]:
    """(output values that differ, samples with any difference, largest absolute difference)."""
    mismatched_outputs, mismatched_samples, max_diff = 0, 0, 0.0
    for want_sample, got_sample in zip(expected, actual):
        differs = False
        for want, got in zip(want_sample, got_sample):
            want = np.asarray(want).reshape(got.shape)
            if want.tobytes() != got.tobytes():
                diff = np.abs(want.astype(np.float64) - got.astype(np.float64))
                mismatched_outputs += max(int(np.count_nonzero(diff)), 1)
                max_diff = max(max_diff, float(np.nanmax(diff)) if diff.size else 0.0)
                differs = True
        mismatched_samples += differs
    return mismatched_outputs, mismatched_samples, max_diff


def validate_host(model_path: Path, inputs: Path | None, samples: int | None, seed: int = 0,
                  target: Target = Target()) -> ValidationReport:
    """target: the kernel variants to run; the DSP ones run on C models of their instructions (tg_acle.h)."""
    model = compile_model(model_path, target=target)
    data, source = validation_samples(model, inputs, samples, seed)
    reference = TflmReference(model_path, len(model.outputs))
    try:
        expected = [reference.run(sample) for sample in track(data, "TFLM reference")]
        tflm_arena_bytes = reference.arena_bytes()
    finally:
        reference.close()
    with tempfile.TemporaryDirectory(prefix="tinygen-host-") as work:
        executable = host.build(model, Path(work))
        actual = host.run(executable, model, data, Path(work))
    mismatched_outputs, mismatched_samples, max_diff = compare(expected, actual)
    return ValidationReport(
        model=str(model_path), target="host" + (" (DSP variants on C models of the instructions)" if target.dsp else ""), samples=len(data), bit_exact=mismatched_samples == 0,
        mismatched_outputs=mismatched_outputs, mismatched_samples=mismatched_samples, max_abs_diff=max_diff,
        arena_bytes=model.arena_bytes, weights_bytes=model.weights_bytes,
        tflm_arena_bytes=tflm_arena_bytes, macs=model.total_macs, layers=len(model.layers), inputs=source)
