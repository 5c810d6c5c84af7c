"""`tinygen validate --target host`: the generated C, compiled for the host, and the TFLM runtime on
the same inputs, every output byte compared."""

import tempfile
from pathlib import Path

from ..compiler import Target, compile_model
from ..progress import track
from ..samples import validation_samples
from ..targets import host
from .comparison import compare
from .reference import TflmReference
from .report import Memory, ValidationReport


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
    comparison = compare(expected, actual)
    return ValidationReport(
        model=str(model_path), target="host" + (" (DSP variants on C models of the instructions)" if target.dsp else ""),
        samples=len(data), inputs=source, bit_exact=comparison.bit_exact,
        mismatched_outputs=comparison.mismatched_outputs, mismatched_samples=comparison.mismatched_samples,
        max_abs_diff=comparison.max_abs_diff, macs=model.total_macs, layers=len(model.layers),
        memory=Memory(model.arena_bytes, model.weights_bytes, tflm_arena_bytes=tflm_arena_bytes))
