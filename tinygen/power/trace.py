"""A current trace: samples of current (and voltage) over time, and the marker input if one was recorded."""

from dataclasses import dataclass

import numpy as np

from ..errors import TinygenError


@dataclass
class CurrentTrace:
    time_s: np.ndarray              # sample times, strictly increasing
    current_a: np.ndarray
    voltage_v: np.ndarray           # per sample (a constant supply repeats one value)
    marker: np.ndarray | None       # bool per sample: the firmware's inference marker pin, if recorded
    source: str                     # the file and format, for reports
    voltage_measured: bool          # False: the voltage is the stated supply, not a recorded channel

    def __post_init__(self):
        n = len(self.time_s)
        if n < 2:
            raise TinygenError(f"{self.source}: {n} samples; a trace needs at least 2")
        for name, values in (("current", self.current_a), ("voltage", self.voltage_v)):
            if len(values) != n:
                raise TinygenError(f"{self.source}: {len(values)} {name} samples for {n} time stamps")
            if not np.all(np.isfinite(values)):
                raise TinygenError(f"{self.source}: the {name} has values that are not numbers (sample "
                                   f"{int(np.argmin(np.isfinite(values)))})")
        if self.marker is not None and len(self.marker) != n:
            raise TinygenError(f"{self.source}: {len(self.marker)} marker samples for {n} time stamps")
        steps = np.diff(self.time_s)
        if not np.all(np.isfinite(self.time_s)) or np.any(steps <= 0):
            bad = int(np.argmax(~(steps > 0))) + 1
            raise TinygenError(f"{self.source}: time does not increase at sample {bad} "
                               f"({self.time_s[bad - 1]!r} then {self.time_s[bad]!r} s)")

    @property
    def sample_seconds(self) -> np.ndarray:
        """How long each sample holds: until the next one; the last one as long as the one before."""
        steps = np.diff(self.time_s)
        return np.append(steps, steps[-1])

    @property
    def duration_s(self) -> float:
        return float(self.time_s[-1] - self.time_s[0] + self.sample_seconds[-1])
