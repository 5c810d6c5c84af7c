"""Budget gates for CI: limits on a validation's work, memory, energy and accuracy, and on how much
worse it may be than a baseline run. Each gate is checked on the report's JSON form and says which
budget failed and by how much."""

from dataclasses import dataclass

from ..errors import TinygenError


@dataclass
class Budgets:
    max_instructions: float | None = None
    max_cycles: float | None = None
    max_ram: int | None = None              # bytes: the linked .data + .bss + the reserved stack
    max_flash: int | None = None
    max_energy_uj: float | None = None      # measured (--power-trace) if present, else the estimate
    min_accuracy: float | None = None       # the device's classification accuracy
    baseline: dict | None = None            # an earlier run's report
    max_regression: float = 0.05            # a fraction: 0.05 allows 5 % more than the baseline

    @property
    def any(self) -> bool:
        return self.baseline is not None or any(
            value is not None for value in (self.max_instructions, self.max_cycles, self.max_ram, self.max_flash,
                                            self.max_energy_uj, self.min_accuracy))


@dataclass
class GateResult:
    gate: str               # the option's name, e.g. "max-instructions"
    limit: float
    measured: float | None  # None: the run did not measure it
    passed: bool
    detail: str


def _measures(report: dict) -> dict[str, tuple[float | None, str]]:
    """What each gate reads from a report, and its unit."""
    timing, memory = report.get("timing") or {}, report.get("memory") or {}
    power, energy = report.get("power") or {}, report.get("energy") or {}
    scores = (report.get("accuracy") or {}).get("scores", {})
    device = scores.get("device")
    return {
        "instructions": (timing.get("median") if timing.get("unit") == "instructions" else None, "instructions"),
        "cycles": (timing.get("median") if timing.get("unit") == "cycles" else None, "cycles"),
        "ram": ((memory.get("ram_bytes") or {}).get("used"), "bytes"),
        "flash": ((memory.get("flash_bytes") or {}).get("used"), "bytes"),
        "energy_uj": ((power.get("energy_uj") or {}).get("mean", energy.get("uj_estimate")), "uJ"),
        "accuracy": (device if isinstance(device, float) else None, ""),
    }


def _upper(gate: str, limit: float, measured: float | None, unit: str, why: str = "") -> GateResult:
    if measured is None:
        return GateResult(gate, limit, None, False, f"{gate}: this run did not measure {gate.split('-', 1)[1]}{why}")
    over = measured - limit
    if over > 0:
        return GateResult(gate, limit, measured, False, f"{gate}: {measured:,.6g} {unit} > {limit:,.6g} "
                                                          f"(over by {over:,.6g}, {over / limit:.1%}){why}")
    return GateResult(gate, limit, measured, True, f"{gate}: {measured:,.6g} {unit} <= {limit:,.6g}{why}")


def check(report: dict, budgets: Budgets) -> list[GateResult]:
    measured = _measures(report)
    results = []
    for gate, key in (("max-instructions", "instructions"), ("max-cycles", "cycles"), ("max-ram", "ram"),
                      ("max-flash", "flash"), ("max-energy-uj", "energy_uj")):
        limit = getattr(budgets, gate.replace("-", "_"))
        if limit is not None:
            results.append(_upper(gate, limit, *measured[key]))
    if budgets.min_accuracy is not None:
        accuracy = measured["accuracy"][0]
        passed = accuracy is not None and accuracy >= budgets.min_accuracy
        detail = ("min-accuracy: this run has no classification accuracy (give --data with labels)" if accuracy is None
                  else f"min-accuracy: {accuracy:.4f} {'>=' if passed else '<'} {budgets.min_accuracy:.4f}")
        results.append(GateResult("min-accuracy", budgets.min_accuracy, accuracy, passed, detail))
    if budgets.baseline is not None:
        results += _against_baseline(measured, _measures(budgets.baseline), budgets.max_regression)
    return results


def _against_baseline(now: dict, before: dict, allowed: float) -> list[GateResult]:
    """Every figure both runs measured may grow by `allowed` at most; accuracy may not drop by more."""
    results = []
    for key in ("instructions", "cycles", "ram", "flash", "energy_uj"):
        (value, unit), (base, _) = now[key], before[key]
        if value is not None and base:
            results.append(_upper(f"max-regression {key}", base * (1 + allowed), value, unit,
                                  f" (baseline {base:,.6g}, allowed +{allowed:.1%})"))
    value, base = now["accuracy"][0], before["accuracy"][0]
    if value is not None and base is not None:
        passed = value >= base - allowed
        results.append(GateResult("max-regression accuracy", base - allowed, value, passed,
                                  f"max-regression accuracy: {value:.4f} {'>=' if passed else '<'} baseline {base:.4f} "
                                  f"- {allowed:.1%}"))
    if not results:
        raise TinygenError("the baseline report and this run have no figure in common to compare")
    return results
