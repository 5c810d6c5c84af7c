"""Structured fuzzing of the compiler on models the tests build themselves (tests/tf_models.py).

Each mutant (tests/model_mutations.py: one or two fields set to -1, 0, NaN, inf, tiny or huge scales,
out-of-range zero points and tensor indices, huge dimensions, wrong ranks, types and options) must
compile or be refused with exit 2 or 3, never a traceback or a signal; and whatever compiles must be
bit-exact with TFLM on the host (the differential check). Seeded and bounded in time.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

import model_mutations
import tf_models
from tinygen.cli import main
from tinygen.validation.host import validate_host

SEED = 8
MUTANTS_PER_MODEL = 70
COMPILE_SECONDS = 30          # the compile sweep stops here, whatever is left
DIFFERENTIAL_MUTANTS = 24     # compiled mutants checked against TFLM, spread over the base models
SAMPLES = 3

BASE_MODELS = {
    "conv": lambda: tf_models.conv2d((6, 6, 2), 3, kernel=3, stride=2, act="RELU"),
    "depthwise": lambda: tf_models.depthwise_conv2d((6, 6, 3), kernel=3, depth_multiplier=2),
    "avgpool": lambda: tf_models.pool2d("AVG", (6, 6, 2)),
    "maxpool": lambda: tf_models.pool2d("MAX", (6, 6, 2), size=3, stride=1, padding="SAME"),
    "fc": lambda: tf_models.fully_connected((1, 8), 4, per_channel=False),
    "softmax": lambda: tf_models.softmax((1, 6)),
    "add": lambda: tf_models.binary("ADD", (1, 4, 3), (1, 1, 3)),
    "mul": lambda: tf_models.binary("MUL", (1, 4, 3), (1, 4, 3), act="RELU6"),
    "mean": lambda: tf_models.mean((1, 4, 4, 3), [1, 2], True),
    "pad": lambda: tf_models.pad((1, 3, 3, 2), [[0, 0], [1, 1], [0, 2], [0, 0]]),
    "concat": lambda: tf_models.concatenation((1, 3, 3, 2), 3),
    "float_io": lambda: tf_models.float_io_conv((5, 5, 1), 2),
    "logistic": lambda: tf_models.unary("LOGISTIC", (1, 8)),
    "reshape_softmax": lambda: tf_models.reshape_softmax((1, 2, 4), (1, 8)),
}


@dataclass
class Sweep:
    outcomes: dict[int, int] = field(default_factory=dict)            # exit code -> mutants
    crashes: list[str] = field(default_factory=list)                  # mutants that raised
    compiled: dict[str, list[tuple[Path, str]]] = field(default_factory=dict)   # base -> (path, what)


@pytest.fixture(scope="module")
def base_models(tmp_path_factory) -> dict[str, bytes]:
    return {name: build() for name, build in BASE_MODELS.items()}


def compile_exit_code(path: Path, out: Path) -> int:
    """tinygen compile in this process, its output swallowed; any exception propagates."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(["compile", str(path), "-o", str(out)])


@pytest.fixture(scope="module")
def sweep(base_models, tmp_path_factory) -> Sweep:
    work = tmp_path_factory.mktemp("mutants")
    result = Sweep()
    deadline = time.monotonic() + COMPILE_SECONDS
    for number, (name, data) in enumerate(sorted(base_models.items())):
        rng = np.random.default_rng([SEED, number])
        for i, (what, mutant) in enumerate(model_mutations.mutants(data, rng, MUTANTS_PER_MODEL)):
            if time.monotonic() > deadline:
                return result
            path = work / f"{name}_{i}.tflite"
            path.write_bytes(mutant)
            try:
                code = compile_exit_code(path, work / "out" / path.stem)
            except BaseException as exc:    # noqa: BLE001 - any exception at all is the failure looked for
                result.crashes.append(f"{name}: {what}: {type(exc).__name__}: {exc}")
                continue
            result.outcomes[code] = result.outcomes.get(code, 0) + 1
            if code == 0:
                result.compiled.setdefault(name, []).append((path, what))
    return result


def test_every_mutant_compiles_or_is_refused_without_a_traceback(sweep):
    assert not sweep.crashes, "\n".join(sweep.crashes[:20])
    assert set(sweep.outcomes) <= {0, 2, 3}, sweep.outcomes
    # The sweep reached all three outcomes: the mutations are neither all fatal nor all harmless.
    assert all(sweep.outcomes.get(code, 0) > 20 for code in (0, 2, 3)), sweep.outcomes


def test_what_compiles_is_bit_exact_with_tflm(sweep):
    """The differential check: a compiled mutant either matches TFLM byte for byte or should have
    been refused; TFLM failing or crashing on it means tinygen accepted what TFLM rejects."""
    picked, rounds = [], 0
    while len(picked) < DIFFERENTIAL_MUTANTS and rounds < MUTANTS_PER_MODEL:
        picked += [paths[rounds] for paths in sweep.compiled.values() if rounds < len(paths)]
        rounds += 1
    failures = []
    for path, what in picked[:DIFFERENTIAL_MUTANTS]:
        try:
            report = validate_host(path, None, SAMPLES)
        except Exception as exc:    # noqa: BLE001 - the reference refusing the model is the failure looked for
            failures.append(f"{path.stem} ({what}): {type(exc).__name__}: {exc}")
            continue
        if not report.bit_exact:
            failures.append(f"{path.stem} ({what}): {report.mismatched_outputs} values differ from TFLM")
    assert len(picked) >= DIFFERENTIAL_MUTANTS // 2
    assert not failures, "\n".join(failures)


def test_mutants_run_as_a_command_end_without_a_signal(sweep, base_models, tmp_path):
    """A few mutants through the real command line: an exit code of 0, 2 or 3, never a signal or a traceback."""
    rng = np.random.default_rng(SEED)
    for name in ("depthwise", "softmax", "fc"):
        for i, (what, mutant) in enumerate(model_mutations.mutants(base_models[name], rng, 2)):
            path = tmp_path / f"{name}_{i}.tflite"
            path.write_bytes(mutant)
            result = subprocess.run([sys.executable, "-m", "tinygen.cli", "compile", str(path), "-o",
                                     str(tmp_path / "out" / path.stem)], capture_output=True, text=True)
            assert result.returncode in (0, 2, 3), f"{what}: exit {result.returncode}\n{result.stderr}"
            assert "Traceback" not in result.stderr, what
