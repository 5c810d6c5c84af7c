"""From a trace file to a PowerMeasurement: read it, find the inference windows, measure, and add the
battery projection and the comparison with the board's estimate."""

from dataclasses import dataclass
from pathlib import Path

from ..boards import Board
from .analysis import PowerMeasurement, battery_life, measure
from .formats import read_trace
from .windows import GLITCH_SAMPLES, find_windows


@dataclass
class TraceOptions:
    supply_v: float | None = None       # default: the board file's voltage
    marker: str | None = None           # the profiler channel wired to the marker pin
    inferences: int | None = None       # without a marker: how many ran ...
    period_s: float | None = None       # ... and how far apart
    glitch_samples: int = GLITCH_SAMPLES
    battery_mah: float = 225.0          # CR2032
    inferences_per_s: float = 1.0


def measure_trace(path: Path, options: TraceOptions, board: Board | None = None) -> PowerMeasurement:
    supply = options.supply_v
    if supply is None and board is not None:
        supply = board.data["power"].get("voltage_v")
    trace = read_trace(path, supply, options.marker)
    measured = measure(trace, find_windows(trace, options.inferences, options.period_s, options.glitch_samples))
    if measured.idle_current_ua is not None:
        measured.battery = battery_life(measured, options.battery_mah, options.inferences_per_s)
    return measured


def compare_with_estimate(measured: PowerMeasurement, estimate_uj: float | None) -> None:
    if estimate_uj:
        measured.estimate_uj = estimate_uj
        measured.measured_over_estimate = measured.energy_uj.mean / estimate_uj


def describe(measured: PowerMeasurement) -> str:
    energy, duration = measured.energy_uj, measured.duration_ms
    supply = "measured" if measured.voltage_measured else "stated supply"
    lines = [f"power trace {measured.source}: {len(measured.inferences)} inferences ({measured.window_method})",
             f"energy per inference: mean {energy.mean:.3f} uJ (min {energy.min:.3f}, max {energy.max:.3f}, "
             f"spread {energy.spread:.2%}) at {measured.voltage_v:.3f} V ({supply})",
             f"duration: mean {duration.mean:.4f} ms (min {duration.min:.4f}, max {duration.max:.4f}); current during "
             f"inference: mean {measured.mean_current_ma:.4f} mA, peak {measured.peak_current_ma:.4f} mA"]
    if measured.idle_current_ua is not None:
        lines.append(f"idle current between inferences: {measured.idle_current_ua:.3f} uA")
    if measured.battery:
        battery = measured.battery
        lines.append(f"battery: {battery.capacity_mah:g} mAh at {battery.inferences_per_s:g} inferences/s -> average "
                     f"{battery.average_current_ua:.3f} uA, {battery.hours:,.0f} h ({battery.hours / 24:,.1f} days; "
                     "self-discharge and the voltage curve left out)")
    if measured.estimate_uj:
        lines.append(f"measured / estimated energy: {measured.measured_over_estimate:.3f} "
                     f"(estimate {measured.estimate_uj:.3f} uJ)")
    return "\n".join(lines)
