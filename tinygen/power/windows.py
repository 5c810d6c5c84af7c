"""Where the inferences are in a trace: from the marker pin the firmware drives high during each one,
or, without a marker, from the known number of inferences and their period."""

from dataclasses import dataclass

import numpy as np

from ..errors import TinygenError
from .trace import CurrentTrace

GLITCH_SAMPLES = 2      # marker pulses or gaps this short are noise, not inferences


@dataclass
class Windows:
    spans: list[tuple[int, int]]    # sample ranges [start, end), one per inference
    method: str                     # how they were found, for the report


def find_windows(trace: CurrentTrace, count: int | None = None, period_s: float | None = None,
                 glitch_samples: int = GLITCH_SAMPLES) -> Windows:
    if trace.marker is not None and trace.marker.any():
        return marker_windows(trace, glitch_samples)
    if count is not None and period_s is not None:
        return periodic_windows(trace, count, period_s)
    why = "its marker never goes high" if trace.marker is not None else "it has no marker channel"
    raise TinygenError(f"{trace.source}: no inference windows: {why}; wire the board's marker pin to the "
                       "profiler's digital input, or give the number of inferences and their period")


def _runs(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and lengths of the runs of equal values."""
    starts = np.flatnonzero(np.diff(levels.astype(np.int8))) + 1
    starts = np.concatenate(([0], starts))
    lengths = np.diff(np.append(starts, len(levels)))
    return starts, lengths


def _without_short_runs(levels: np.ndarray, value: bool, glitch_samples: int) -> np.ndarray:
    levels = levels.copy()
    starts, lengths = _runs(levels)
    for start, length in zip(starts, lengths):
        inner = 0 < start and start + length < len(levels)
        if levels[start] == value and length <= glitch_samples and inner:
            levels[start:start + length] = not value
    return levels


def marker_windows(trace: CurrentTrace, glitch_samples: int = GLITCH_SAMPLES) -> Windows:
    """The marker's high pulses, after glitches (pulses and gaps of at most glitch_samples) are
    removed; a pulse cut by the start or end of the trace is left out."""
    levels = _without_short_runs(trace.marker, True, glitch_samples)
    levels = _without_short_runs(levels, False, glitch_samples)
    starts, lengths = _runs(levels)
    spans = [(int(s), int(s + n)) for s, n in zip(starts, lengths)
             if levels[s] and s > 0 and s + n < len(levels) and n > glitch_samples]
    if not spans:
        raise TinygenError(f"{trace.source}: the marker has no complete pulse")
    return Windows(spans, f"marker pin ({len(spans)} pulses; glitches of <= {glitch_samples} samples ignored)")


def periodic_windows(trace: CurrentTrace, count: int, period_s: float) -> Windows:
    """`count` windows `period_s` apart. The first starts where the current first rises above halfway
    between its idle and active levels; each lasts as long as that first burst."""
    if count < 1 or period_s <= 0:
        raise TinygenError("the number of inferences and their period must be positive")
    idle, active = np.percentile(trace.current_a, [5, 99.5])
    threshold = (idle + active) / 2
    above = trace.current_a > threshold
    if not above.any() or active <= idle:
        raise TinygenError(f"{trace.source}: the current never rises above its idle level: no inferences to find")
    first = int(np.argmax(above))
    burst_end = first + int(np.argmin(above[first:])) if not above[first:].all() else len(above)
    duration = trace.time_s[burst_end - 1] - trace.time_s[first] + trace.sample_seconds[burst_end - 1]
    spans = []
    for k in range(count):
        start_time = trace.time_s[first] + k * period_s
        start = int(np.searchsorted(trace.time_s, start_time - 1e-12))
        end = int(np.searchsorted(trace.time_s, start_time + duration - 1e-12))
        if end >= len(trace.time_s):
            raise TinygenError(f"{trace.source}: inference {k + 1} of {count} (at {start_time:.6f} s, every "
                               f"{period_s:g} s) runs past the end of the trace ({trace.duration_s:.6f} s)")
        spans.append((start, end))
    return Windows(spans, f"{count} inferences every {period_s:g} s from the first rise at "
                          f"{trace.time_s[first]:.6f} s, each {duration * 1e3:.3f} ms (no marker)")
