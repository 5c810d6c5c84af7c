"""Live capture from a power profiler on this machine: a Nordic PPK2 (ppk2-api, source-meter mode,
100 kS/s, digital inputs included) or a Joulescope (joulescope package; current and voltage). The
capture is written as a plain CSV trace (formats.py) so it can be read again like any other. With no
profiler attached, the error names what was looked for."""

import time
from pathlib import Path

import numpy as np

from ..errors import TinygenError

PPK2_SAMPLE_RATE = 100_000
PROBES = ("ppk2", "joulescope")


def capture(probe: str, seconds: float, out: Path, supply_v: float, marker_channel: int = 0) -> Path:
    if probe not in PROBES:
        raise TinygenError(f"--probe {probe}: one of {', '.join(PROBES)}")
    if seconds <= 0:
        raise TinygenError("the capture needs a positive duration")
    if probe == "ppk2":
        time_s, current, voltage, marker = _capture_ppk2(seconds, supply_v, marker_channel)
    else:
        time_s, current, voltage, marker = _capture_joulescope(seconds)
    columns = [time_s, current, voltage] + ([marker.astype(np.int8)] if marker is not None else [])
    header = "time_s,current_a,voltage_v" + (",marker" if marker is not None else "")
    np.savetxt(out, np.column_stack(columns), delimiter=",", header=header, comments="",
               fmt=["%.8f", "%.9e", "%.4f"] + (["%d"] if marker is not None else []))
    return out


def _capture_ppk2(seconds: float, supply_v: float, marker_channel: int):
    from ppk2_api.ppk2_api import PPK2_API

    ports = PPK2_API.list_devices()
    if not ports:
        raise TinygenError("no Nordic Power Profiler Kit II attached: looked for a USB serial port whose product is "
                           "'PPK2' (ppk2-api's list_devices); connect one, or record a trace and give it as a file")
    ppk2 = PPK2_API(ports[0], timeout=1, write_timeout=1, exclusive=True)
    ppk2.get_modifiers()
    ppk2.use_source_meter()
    ppk2.set_source_voltage(int(round(supply_v * 1000)))
    ppk2.toggle_DUT_power("ON")
    currents, digital = [], []
    ppk2.start_measuring()
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            data = ppk2.get_data()
            if data:
                samples, raw_digital = ppk2.get_samples(data)
                currents.extend(samples)
                digital.extend(raw_digital)
            time.sleep(0.01)
    finally:
        ppk2.stop_measuring()
    if not currents:
        raise TinygenError(f"the PPK2 on {ports[0]} sent no samples in {seconds:g} s")
    amps = np.asarray(currents) * 1e-6                       # ppk2-api reports microamperes
    marker = (np.asarray(digital[:len(amps)]) >> marker_channel) & 1
    return np.arange(len(amps)) / PPK2_SAMPLE_RATE, amps, np.full(len(amps), supply_v), marker.astype(bool)


def _capture_joulescope(seconds: float):
    import joulescope

    devices = joulescope.scan(config="auto")
    if not devices:
        raise TinygenError("no Joulescope attached: joulescope.scan() found none; connect one, or record a .jls in the "
                           "Joulescope UI (with the marker on a general-purpose input) and give it as a file")
    with devices[0] as device:
        data = device.read(contiguous_duration=seconds)     # columns: current (A), voltage (V)
        rate = device.sampling_frequency
    return np.arange(len(data)) / rate, data[:, 0].astype(np.float64), data[:, 1].astype(np.float64), None
