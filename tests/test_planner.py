"""The static memory plan: buffers alive at the same time never share bytes; offsets are aligned."""

import numpy as np
import pytest

from tinygen.compiler.planner import ALIGNMENT, PlannedBuffer, describe, peak, plan


def check_plan(buffers, arena):
    for i, a in enumerate(buffers):
        assert a.offset % ALIGNMENT == 0 and a.offset >= 0
        assert a.offset + a.size <= arena
        for b in buffers[i + 1:]:
            if a.unit is not None and a.unit == b.unit:
                assert b.offset - a.offset == b.displacement - a.displacement       # placed together
            elif a.lives_with(b):
                assert a.offset + a.size <= b.offset or b.offset + b.size <= a.offset, (a, b)


@pytest.mark.parametrize("seed", range(25))
def test_random_lifetimes_never_overlap(seed):
    rng = np.random.default_rng(seed)
    buffers = []
    for i in range(int(rng.integers(1, 40))):
        first = int(rng.integers(0, 30))
        buffers.append(PlannedBuffer(f"b{i}", int(rng.integers(1, 5000)), first, first + int(rng.integers(0, 6))))
    arena = plan(buffers)
    check_plan(buffers, arena)
    live_peak = max(sum(b.size for b in buffers if b.first <= t <= b.last) for t in range(40))
    assert live_peak <= arena <= sum(-(-b.size // ALIGNMENT) * ALIGNMENT for b in buffers)


@pytest.mark.parametrize("seed", range(15))
def test_units_keep_their_displacements_and_meet_no_other_buffer(seed):
    """Chains as the compiler makes them (each output written over the input that dies at its layer, lag
    bytes below it) among loose buffers."""
    rng = np.random.default_rng(100 + seed)
    buffers = []
    for unit in range(int(rng.integers(1, 4))):
        position, displacement = int(rng.integers(0, 10)), 16 * int(rng.integers(0, 200))
        for k in range(int(rng.integers(2, 6))):
            last = position + int(rng.integers(1, 4))
            buffers.append(PlannedBuffer(f"u{unit}.{k}", int(rng.integers(100, 4000)), position, last, unit=unit,
                                         displacement=displacement))
            position, displacement = last, displacement + 16 * int(rng.integers(0, 40))
        top = max(b.displacement for b in buffers if b.unit == unit)
        for b in buffers:
            if b.unit == unit:
                b.displacement = top - b.displacement       # each output below its input, the unit from 0
    for i in range(int(rng.integers(0, 25))):
        first = int(rng.integers(0, 30))
        buffers.append(PlannedBuffer(f"b{i}", int(rng.integers(1, 3000)), first, first + int(rng.integers(0, 4))))
    check_plan(buffers, plan(buffers))


def test_chain_reuses_memory():
    # a -> b -> c -> d: only neighbours live together, so two slots suffice
    buffers = [PlannedBuffer(n, 1000, i, i + 1) for i, n in enumerate("abcd")]
    arena = plan(buffers)
    check_plan(buffers, arena)
    assert arena == 2 * 1008
    assert "arena 2016 bytes" in describe(buffers, arena)


def test_empty_plan():
    assert plan([]) == 0


def test_the_peak_names_the_layer_and_the_buffers_alive_there():
    buffers = [PlannedBuffer("input", 100, 0, 1), PlannedBuffer("wide", 1000, 1, 2), PlannedBuffer("scratch", 300, 2, 2),
               PlannedBuffer("out", 50, 2, 3)]
    arena = plan(buffers)
    fullest = peak(buffers)
    assert fullest.position == 2 and fullest.bytes <= arena
    assert [b.name for b in fullest.live] == ["wide", "scratch", "out"]
    assert peak([]) is None


def test_compile_prints_the_arena_peak(tmp_path, capsys):
    from tinygen.cli import main
    from tinygen.default_model import DEFAULT_MODEL_PATH

    assert main(["compile", str(DEFAULT_MODEL_PATH), "-o", str(tmp_path / "out")]) == 0
    lines = capsys.readouterr().out.splitlines()
    arena = int(next(line for line in lines if line.startswith("arena: ")).split()[1].replace(",", ""))
    line = next(line for line in lines if line.startswith("arena peak at layer"))
    sizes = [int(part) for part in line.split(": ", 1)[1].replace(",", "").split() if part.isdigit()]
    assert sizes and max(sizes) <= arena
