"""Power traces: synthetic recordings in each real format (PPK2 CSV exports, Joulescope .jls written
with pyjls, plain CSV) with analytically known energy, through `tinygen power` and the measurement
code; malformed and truncated files; live capture with no profiler attached."""

import json

import numpy as np
import pytest

from tinygen.boards import get_board
from tinygen.cli import main
from tinygen.errors import TinygenError
from tinygen.power.analysis import battery_life
from tinygen.power.capture import capture
from tinygen.power.formats import read_trace
from tinygen.power.measurement import TraceOptions, measure_trace
from tinygen.validation.energy import energy_estimate

RATE = 100_000                  # samples per second, as the PPK2 records
RUN_A, IDLE_A = 4.2e-3, 6e-6
PULSE, PERIOD, FIRST, COUNT = 1000, 2500, 700, 12     # in samples


class Synthetic:
    """COUNT rectangular inference pulses of RUN_A for PULSE samples every PERIOD, idle current between,
    zero-mean noise on the current and glitches on the marker; the exact energy per inference is
    RUN_A * V * PULSE / RATE."""

    def __init__(self, seed=0, voltage=3.0, noise=0.01, glitches=40):
        rng = np.random.default_rng(seed)
        n = FIRST + COUNT * PERIOD + 600
        index = np.arange(n)
        self.truth_marker = (index >= FIRST) & ((index - FIRST) % PERIOD < PULSE) & (index < FIRST + COUNT * PERIOD)
        clean = np.where(self.truth_marker, RUN_A, IDLE_A)
        self.current = clean + rng.normal(0, noise * RUN_A, n) * self.truth_marker + rng.normal(0, 0.5e-6, n)
        self.voltage = np.full(n, voltage)
        self.marker = self.truth_marker.copy()
        for at in rng.choice(np.arange(FIRST + 5, n - 5, 10), glitches, replace=False):   # apart from each other
            self.marker[at:at + rng.integers(1, 3)] ^= True       # one or two samples flipped
        self.time = index / RATE
        self.energy_uj = RUN_A * voltage * PULSE / RATE * 1e6

    def ppk2_csv(self, path, digital="D0-D7", channel=0):
        header = "Timestamp(ms),Current(uA)" + {"D0-D7": ",D0-D7", "Bits": ",Bits",
                                                 "columns": "," + ",".join(f"D{i}" for i in range(8)), "": ""}[digital]
        lines = [header]
        for t, amps, level in zip(self.time, self.current, self.marker):
            bits = ["0"] * 8
            bits[channel] = "1" if level else "0"
            cell = {"D0-D7": "," + "".join(bits), "Bits": "," + "".join(reversed(bits)),
                    "columns": "," + ",".join(bits), "": ""}[digital]
            lines.append(f"{t * 1e3:.5f},{amps * 1e6:.4f}{cell}")
        path.write_text("\n".join(lines) + "\n")
        return path

    def jls(self, path, marker_name="gpi[0]"):
        from pyjls import DataType, SignalType, Writer

        with Writer(str(path)) as writer:
            writer.source_def(source_id=1, name="js220", vendor="Jetperch", model="JS220", version="1",
                              serial_number="test")
            for signal_id, name, units, values in ((1, "current", "A", self.current), (2, "voltage", "V", self.voltage)):
                writer.signal_def(signal_id=signal_id, source_id=1, signal_type=SignalType.FSR, data_type=DataType.F32,
                                  sample_rate=RATE, name=name, units=units)
                writer.fsr(signal_id, 0, values.astype(np.float32))
            writer.signal_def(signal_id=3, source_id=1, signal_type=SignalType.FSR, data_type=DataType.U1,
                              sample_rate=RATE, name=marker_name, units="")
            writer.fsr(3, 0, np.packbits(self.marker.astype(np.uint8), bitorder="little"))
        return path

    def plain_csv(self, path, header="time_s,current_ma,voltage_v,marker", marker=True):
        columns = [self.time, self.current * 1e3, self.voltage] + ([self.marker.astype(int)] if marker else [])
        np.savetxt(path, np.column_stack(columns), delimiter=",", header=header, comments="",
                   fmt=["%.6f", "%.7f", "%.4f"] + (["%d"] if marker else []))
        return path


def assert_energies(measured, truth_uj, count=COUNT):
    assert len(measured.inferences) == count
    for inference in measured.inferences:
        assert abs(inference.energy_uj - truth_uj) <= 1e-3 * truth_uj, (inference.energy_uj, truth_uj)
        assert abs(inference.duration_s - PULSE / RATE) < 1e-9


@pytest.mark.parametrize("digital,channel", [("D0-D7", 0), ("Bits", 5), ("columns", 3)])
def test_ppk2_exports_give_the_energy_per_inference_within_a_thousandth(tmp_path, digital, channel):
    trace = Synthetic(seed=channel)
    path = trace.ppk2_csv(tmp_path / "ppk2.csv", digital, channel)
    measured = measure_trace(path, TraceOptions(supply_v=3.0, marker=f"D{channel}"))
    assert_energies(measured, trace.energy_uj)
    assert "marker pin" in measured.window_method and not measured.voltage_measured
    assert abs(measured.idle_current_ua - IDLE_A * 1e6) < 0.05
    assert abs(measured.mean_current_ma - RUN_A * 1e3) < 1e-3 * RUN_A * 1e3


def test_a_joulescope_recording_uses_its_measured_voltage(tmp_path):
    trace = Synthetic(seed=7, voltage=1.8)
    measured = measure_trace(trace.jls(tmp_path / "run.jls"), TraceOptions())
    assert_energies(measured, trace.energy_uj)
    assert measured.voltage_measured and abs(measured.voltage_v - 1.8) < 1e-6


def test_plain_csv_with_and_without_a_marker(tmp_path):
    trace = Synthetic(seed=3, noise=0.0, glitches=0)
    with_marker = measure_trace(trace.plain_csv(tmp_path / "a.csv"), TraceOptions())
    assert_energies(with_marker, trace.energy_uj)
    path = tmp_path / "b.csv"
    np.savetxt(path, np.column_stack([trace.time, trace.current, trace.voltage]), delimiter=",",
               header="time,current_a,voltage", comments="", fmt="%.9g")
    without = measure_trace(path, TraceOptions(inferences=COUNT, period_s=PERIOD / RATE))
    assert_energies(without, trace.energy_uj)
    assert "no marker" in without.window_method and without.voltage_measured


def test_marker_edges_are_found_under_noise_and_glitches(tmp_path):
    trace = Synthetic(seed=11, noise=0.05, glitches=120)
    measured = measure_trace(trace.plain_csv(tmp_path / "t.csv"), TraceOptions())
    starts = [round(p.start_s * RATE) for p in measured.inferences]
    assert starts == [FIRST + k * PERIOD for k in range(COUNT)]


def test_battery_life_follows_from_charge_and_idle_current(tmp_path):
    trace = Synthetic(seed=1, noise=0.0, glitches=0)
    measured = measure_trace(trace.plain_csv(tmp_path / "t.csv"), TraceOptions(battery_mah=225, inferences_per_s=2))
    charge_uc = RUN_A * PULSE / RATE * 1e6
    average_ua = 2 * charge_uc + IDLE_A * 1e6 * (1 - 2 * PULSE / RATE)
    assert abs(measured.battery.average_current_ua - average_ua) < 1e-3 * average_ua
    assert abs(measured.battery.hours - 225e3 / average_ua) < 1e-3 * 225e3 / average_ua
    with pytest.raises(TinygenError, match="do not fit in a second"):
        battery_life(measured, 225, 200)


@pytest.mark.parametrize("content,message", [
    ("", "is empty"),
    ("Timestamp(ms),Current(uA),D0-D7\n", "no samples"),
    ("Timestamp(ms),Current(uA),D0-D7\n0.00,12.5,00000000\n0.01,13.0,00000000\n0.02,13", "looks truncated"),
    ("Timestamp(ms),Current(uA),D0-D7\n0.00,12.5,00000000\n0.01,abc,00000000\n", "line 3: not a number"),
    ("Timestamp(ms),Current(uA),D0-D7\n0.00,12.5,0000\n0.01,13.0,00000000\n", "digital inputs '0000'"),
    ("Timestamp(ms),Current(uA)\n0.00,12.5\n0.00,13.0\n", "time does not increase at sample 1"),
    ("time,amps\n0,1\n1,2\n", "unknown column 'amps'"),
    ("time,current\n0,1\n1,nan\n", "not numbers"),
])
def test_malformed_csv_traces_are_refused_clearly(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(TinygenError, match=message):
        read_trace(path, supply_v=3.0)


def test_a_damaged_or_incomplete_jls_is_refused(tmp_path):
    path = Synthetic().jls(tmp_path / "good.jls")
    cut = tmp_path / "cut.jls"
    cut.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 3])
    with pytest.raises(TinygenError, match="cut.jls"):
        measure_trace(cut, TraceOptions())
    (tmp_path / "text.jls").write_text("not a jls file")
    with pytest.raises(TinygenError, match="not a readable Joulescope"):
        read_trace(tmp_path / "text.jls")
    with pytest.raises(TinygenError, match="no 'gpi\\[3\\]' signal"):
        read_trace(path, marker="gpi[3]")


def test_no_windows_without_marker_or_period(tmp_path):
    path = Synthetic().plain_csv(tmp_path / "t.csv", header="time_s,current_ma,voltage_v", marker=False)
    with pytest.raises(TinygenError, match="no marker channel.*number of inferences"):
        measure_trace(path, TraceOptions())


def test_power_command_reports_json_and_calibrates_the_board(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TINYGEN_HOME", str(tmp_path / "home"))
    trace = Synthetic(seed=5)
    path = trace.ppk2_csv(tmp_path / "ppk2.csv")
    board = get_board("nrf52840")
    before = energy_estimate(board, 1_000_000)
    out = tmp_path / "power.json"
    assert main(["power", str(path), "--board", "nrf52840", "--instructions", "1000000", "--calibrate",
                 "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "energy per inference: mean" in printed and "battery: 225 mAh" in printed and "calibrated nrf52840" in printed
    data = json.loads(out.read_text())
    assert abs(data["energy_uj"]["mean"] - trace.energy_uj) < 1e-3 * trace.energy_uj
    assert data["measured_over_estimate"] == pytest.approx(data["energy_uj"]["mean"] / before.uj_estimate)
    after = energy_estimate(board, 1_000_000)
    assert "CALIBRATED" in after.assumptions and "ppk2.csv" in after.assumptions
    expected = 1_000_000 / board.data["clock_hz"] * RUN_A * 1e3 * 3.0 * 1e3
    assert after.uj_estimate == pytest.approx(expected, rel=2e-3)


@pytest.mark.parametrize("probe,looked_for", [("ppk2", "product is 'PPK2'"), ("joulescope", "joulescope.scan")])
def test_live_capture_without_a_profiler_says_what_it_looked_for(tmp_path, probe, looked_for):
    with pytest.raises(TinygenError, match=looked_for):
        capture(probe, 1.0, tmp_path / "live.csv", 3.0)
    assert not (tmp_path / "live.csv").exists()
