"""Budget gates: each limit on a report, baselines, and the exit code 4 with the failing budget named
when a validation in QEMU goes over."""

import json

import pytest

from tinygen.cli import main
from tinygen.default_model import DEFAULT_MODEL_PATH
from tinygen.errors import TinygenError
from tinygen.validation.gates import Budgets, check

import tf_models

REPORT = {"timing": {"unit": "instructions", "median": 100_000.0},
          "memory": {"ram_bytes": {"used": 6000}, "flash_bytes": {"used": 16000}},
          "energy": {"uj_estimate": 10.0}, "power": None,
          "accuracy": {"scores": {"device": 0.9, "int8_reference": 0.9}}}


def failed(results):
    return [result.gate for result in results if not result.passed]


def test_each_limit_passes_at_and_fails_above_its_value():
    at = Budgets(max_instructions=100_000, max_ram=6000, max_flash=16000, max_energy_uj=10.0, min_accuracy=0.9)
    assert failed(check(REPORT, at)) == []
    over = Budgets(max_instructions=99_999, max_ram=5999, max_flash=15999, max_energy_uj=9.9, min_accuracy=0.95)
    results = check(REPORT, over)
    assert failed(results) == ["max-instructions", "max-ram", "max-flash", "max-energy-uj", "min-accuracy"]
    assert results[0].detail == "max-instructions: 100,000 instructions > 99,999 (over by 1, 0.0%)"
    assert results[1].detail.startswith("max-ram: 6,000 bytes > 5,999 (over by 1")


def test_a_measure_the_run_lacks_fails_its_gate_and_says_so():
    [result] = check(REPORT, Budgets(max_cycles=1e6))
    assert not result.passed and result.measured is None and "did not measure cycles" in result.detail


def test_measured_energy_is_gated_before_the_estimate():
    report = {**REPORT, "power": {"energy_uj": {"mean": 12.0}}}
    [result] = check(report, Budgets(max_energy_uj=11.0))
    assert not result.passed and result.measured == 12.0


def test_baseline_allows_the_stated_regression_and_no_more():
    baseline = REPORT
    slower = {**REPORT, "timing": {"unit": "instructions", "median": 105_000.0}}
    assert failed(check(slower, Budgets(baseline=baseline, max_regression=0.05))) == []
    results = check(slower, Budgets(baseline=baseline, max_regression=0.04))
    assert failed(results) == ["max-regression instructions"]
    assert "baseline 100,000, allowed +4.0%" in results[0].detail
    with pytest.raises(TinygenError, match="no figure in common"):
        check({"memory": {}}, Budgets(baseline=baseline))


def test_validate_exits_4_naming_the_budget_on_a_regressed_build(tmp_path, capsys):
    baseline = tmp_path / "baseline.json"
    assert main(["validate", "--board", "mps2-an386", "--samples", "2", "--json", str(baseline)]) == 0
    measured = json.loads(baseline.read_text())["timing"]["median"]
    assert main(["validate", "--board", "mps2-an386", "--samples", "2", "--baseline", str(baseline),
                 "--max-instructions", str(measured)]) == 0
    assert "PASS max-regression instructions" in capsys.readouterr().out
    # The regressed build: the same job on a model with four times the work.
    bigger = tmp_path / "bigger.tflite"
    bigger.write_bytes(tf_models.conv2d((8, 8, 1), 32, kernel=3, seed=2))
    out = tmp_path / "regressed.json"
    code = main(["validate", "--board", "mps2-an386", "--model", str(bigger), "--samples", "2", "--baseline",
                 str(baseline), "--max-regression", "5%", "--max-flash", "1k", "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 4, printed
    assert "FAIL max-flash: " in printed and "> 1,024 (over by" in printed
    gates = {gate["gate"]: gate for gate in json.loads(out.read_text())["gates"]}
    assert not gates["max-flash"]["passed"] and gates["max-flash"]["limit"] == 1024
    assert {"max-regression instructions", "max-regression flash"} <= gates.keys()


def test_a_bad_baseline_stops_before_the_run_and_a_bad_byte_count_is_a_usage_error(tmp_path, capsys):
    bad = tmp_path / "baseline.json"
    bad.write_text("{not json")
    assert main(["validate", "--target", "host", "--model", str(DEFAULT_MODEL_PATH), "--baseline", str(bad)]) == 1
    assert "not a readable validation report" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_code:
        main(["validate", "--board", "mps2-an386", "--max-ram", "lots"])
    assert exit_code.value.code == 2 and "is not a byte count: lots" in capsys.readouterr().err
