"""Energy per inference from a current trace and its inference windows, the idle current between
them, and a battery-life projection."""

from dataclasses import dataclass

import numpy as np

from ..errors import TinygenError
from .trace import CurrentTrace
from .windows import Windows


@dataclass
class InferencePower:
    start_s: float
    duration_s: float
    energy_uj: float
    charge_uc: float
    mean_current_ma: float
    peak_current_ma: float


@dataclass
class Spread:
    mean: float
    min: float
    max: float
    spread: float           # (max - min) / mean

    @classmethod
    def of(cls, values: list[float]) -> "Spread":
        mean = float(np.mean(values))
        return cls(mean, float(min(values)), float(max(values)), (max(values) - min(values)) / mean if mean else 0.0)


@dataclass
class BatteryLife:
    capacity_mah: float
    inferences_per_s: float
    average_current_ua: float
    hours: float


@dataclass
class TracePreview:
    """The trace cut to at most PREVIEW_POINTS for charts: each bucket's lowest and highest current,
    so short peaks stay visible."""
    time_s: list[float]
    current_ma: list[float]


PREVIEW_POINTS = 2000


def preview(trace: CurrentTrace) -> TracePreview:
    buckets = max(1, min(PREVIEW_POINTS // 2, len(trace.time_s) // 2))
    edges = np.linspace(0, len(trace.time_s), buckets + 1).astype(np.int64)
    times, currents = [], []
    for start, end in zip(edges[:-1], edges[1:]):
        chunk = trace.current_a[start:end]
        low, high = int(np.argmin(chunk)), int(np.argmax(chunk))
        for index in sorted({low, high}):
            times.append(float(trace.time_s[start + index]))
            currents.append(float(chunk[index]) * 1e3)
    return TracePreview(times, currents)


@dataclass
class PowerMeasurement:
    source: str
    window_method: str
    voltage_v: float                # mean over the inferences
    voltage_measured: bool          # False: the stated supply voltage
    inferences: list[InferencePower]
    energy_uj: Spread
    duration_ms: Spread
    mean_current_ma: float          # over the inferences
    peak_current_ma: float
    idle_current_ua: float | None   # between inferences; None with one inference
    preview: TracePreview | None = None
    battery: BatteryLife | None = None
    estimate_uj: float | None = None            # the board model's estimate for the same inference
    measured_over_estimate: float | None = None


def measure(trace: CurrentTrace, windows: Windows) -> PowerMeasurement:
    dt = trace.sample_seconds
    power = trace.current_a * trace.voltage_v
    per = []
    for start, end in windows.spans:
        seconds = float(dt[start:end].sum())
        charge = float(np.dot(trace.current_a[start:end], dt[start:end]))
        per.append(InferencePower(float(trace.time_s[start]), seconds, float(np.dot(power[start:end], dt[start:end])) * 1e6,
                                  charge * 1e6, charge / seconds * 1e3, float(trace.current_a[start:end].max()) * 1e3))
    gaps = [(end, start) for (_, end), (start, _) in zip(windows.spans, windows.spans[1:])]
    idle = None
    if gaps:
        idle_charge = sum(float(np.dot(trace.current_a[a:b], dt[a:b])) for a, b in gaps)
        idle_seconds = sum(float(dt[a:b].sum()) for a, b in gaps)
        idle = idle_charge / idle_seconds * 1e6 if idle_seconds else None
    inside = np.concatenate([np.arange(a, b) for a, b in windows.spans])
    return PowerMeasurement(
        source=trace.source, window_method=windows.method, voltage_v=float(trace.voltage_v[inside].mean()),
        voltage_measured=trace.voltage_measured, inferences=per, energy_uj=Spread.of([p.energy_uj for p in per]),
        duration_ms=Spread.of([p.duration_s * 1e3 for p in per]),
        mean_current_ma=sum(p.charge_uc for p in per) / sum(p.duration_s for p in per) * 1e-3,
        peak_current_ma=max(p.peak_current_ma for p in per), idle_current_ua=idle, preview=preview(trace))


def battery_life(measured: PowerMeasurement, capacity_mah: float, inferences_per_s: float) -> BatteryLife:
    """How long a battery lasts running one inference every 1/inferences_per_s seconds and idling at
    the measured idle current in between (self-discharge and the battery's voltage curve left out)."""
    if capacity_mah <= 0 or inferences_per_s <= 0:
        raise TinygenError("the battery capacity and the inference rate must be positive")
    if measured.idle_current_ua is None:
        raise TinygenError(f"{measured.source}: one inference only, so no idle current for a battery projection")
    busy = measured.duration_ms.mean * 1e-3 * inferences_per_s
    if busy > 1:
        raise TinygenError(f"an inference takes {measured.duration_ms.mean:.3f} ms: {inferences_per_s:g} per second "
                           "do not fit in a second")
    charge_uc = float(np.mean([p.charge_uc for p in measured.inferences]))
    average_ua = charge_uc * inferences_per_s + measured.idle_current_ua * (1 - busy)
    return BatteryLife(capacity_mah, inferences_per_s, average_ua, capacity_mah * 1e3 / average_ua)
