"""Current traces from files: the Nordic Power Profiler (PPK2) CSV export, Joulescope .jls files (read
with pyjls) and a plain CSV. Every reader names the line or signal that is wrong in a malformed file."""

import csv
from pathlib import Path

import numpy as np

from ..errors import TinygenError
from .trace import CurrentTrace

PPK2_TIME, PPK2_CURRENT = "Timestamp(ms)", "Current(uA)"
# The plain CSV's columns, by header name: (quantity, factor to SI units).
PLAIN_COLUMNS = {"time": ("time", 1.0), "time_s": ("time", 1.0), "current": ("current", 1.0),
                 "current_a": ("current", 1.0), "current_ma": ("current", 1e-3), "current_ua": ("current", 1e-6),
                 "voltage": ("voltage", 1.0), "voltage_v": ("voltage", 1.0), "marker": ("marker", 1.0)}
PLAIN_ORDER = ("time", "current", "voltage", "marker")      # a CSV without a header has them in this order
JLS_CURRENT, JLS_VOLTAGE = "current", "voltage"


def read_trace(path: Path, supply_v: float | None = None, marker: str | None = None) -> CurrentTrace:
    """supply_v: the supply voltage for formats that record none (PPK2, a CSV without voltage); marker:
    the channel the firmware's marker pin is wired to (PPK2: D0..D7, default D0; JLS: a signal name,
    default gpi[0]); a trace without it has no marker."""
    path = Path(path)
    if not path.is_file():
        raise TinygenError(f"power trace {path} does not exist")
    if path.suffix.lower() == ".jls":
        return _read_jls(path, marker)
    rows = _csv_rows(path)
    if rows[0][:2] == [PPK2_TIME, PPK2_CURRENT]:
        return _read_ppk2(path, rows, supply_v, marker)
    return _read_plain(path, rows, supply_v)


def _csv_rows(path: Path) -> list[list[str]]:
    try:
        with open(path, newline="", encoding="utf-8") as stream:
            rows = [[cell.strip() for cell in row] for row in csv.reader(stream) if row]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise TinygenError(f"{path} is not a CSV power trace: {exc}") from None
    if not rows:
        raise TinygenError(f"{path} is empty")
    return rows


def _check_widths(path: Path, rows: list[list[str]], first_line: int, columns: int) -> None:
    if not rows:
        raise TinygenError(f"{path} has a header but no samples")
    for index, row in enumerate(rows):
        if len(row) != columns:
            hint = " (the file looks truncated)" if index == len(rows) - 1 else ""
            raise TinygenError(f"{path} line {first_line + index}: {len(row)} columns, expected {columns}{hint}")


def _numbers(path: Path, rows: list[list[str]], first_line: int) -> np.ndarray:
    """The rows (of equal width) as a float array."""
    try:
        return np.array([[float(cell) for cell in row] for row in rows])
    except ValueError:
        line = next(first_line + i for i, row in enumerate(rows) if not all(map(_is_number, row)))
        raise TinygenError(f"{path} line {line}: not a number in {','.join(rows[line - first_line])!r}") from None


def _supply(path: Path, supply_v: float | None, samples: int) -> np.ndarray:
    if supply_v is None:
        raise TinygenError(f"{path} records no voltage: give the supply voltage (--supply-v, or --board for "
                           "the board file's)")
    return np.full(samples, float(supply_v))


def _read_ppk2(path: Path, rows: list[list[str]], supply_v: float | None, marker: str | None) -> CurrentTrace:
    """nRF Connect Power Profiler exports: Timestamp(ms), Current(uA), then the digital inputs as one
    column `D0-D7` (a string of 8 characters, D0 first), a column `Bits` (a binary number, D0 its last
    digit), eight columns D0..D7, or none."""
    header, body = rows[0], rows[1:]
    digital = header[2:]
    wanted = marker or "D0"
    if wanted not in {f"D{i}" for i in range(8)}:
        raise TinygenError(f"marker {wanted}: a PPK2 marker channel is one of D0..D7")
    channel = int(wanted[1:])
    if digital not in ([], ["D0-D7"], ["Bits"], [f"D{i}" for i in range(8)]):
        raise TinygenError(f"{path}: a PPK2 export with digital columns {digital}; expected D0-D7, Bits or D0..D7")
    _check_widths(path, body, 2, len(header))
    if len(digital) == 8:
        table = _numbers(path, body, 2)
        values, bits = table[:, :2], table[:, 2 + channel] > 0.5
    else:
        values = _numbers(path, [row[:2] for row in body], 2)
        bits = _ppk2_bits(path, [row[2] for row in body], digital[0], channel) if digital else None
    if bits is None and marker is not None:
        raise TinygenError(f"{path} records no digital inputs, so no marker {marker}")
    return CurrentTrace(values[:, 0] * 1e-3, values[:, 1] * 1e-6, _supply(path, supply_v, len(values)), bits,
                        f"{path.name} (PPK2 CSV{', marker ' + wanted if bits is not None else ''})", False)


def _ppk2_bits(path: Path, cells: list[str], form: str, channel: int) -> np.ndarray:
    """One digital channel from the PPK2's 8-character bit strings."""
    position = channel if form == "D0-D7" else 7 - channel
    levels = np.empty(len(cells), dtype=bool)
    for index, cell in enumerate(cells):
        if len(cell) != 8 or set(cell) - {"0", "1"}:
            raise TinygenError(f"{path} line {index + 2}: digital inputs {cell!r}, expected 8 characters 0 or 1")
        levels[index] = cell[position] == "1"
    return levels


def _read_plain(path: Path, rows: list[list[str]], supply_v: float | None) -> CurrentTrace:
    """time (s), current (A)[, voltage (V)][, marker (0/1)], with or without a header naming them
    (time/time_s, current/current_a/current_ma/current_ua, voltage/voltage_v, marker)."""
    header = [cell.lower() for cell in rows[0]]
    if all(_is_number(cell) for cell in header):
        names, body, first_line = list(PLAIN_ORDER[:len(header)]), rows, 1
        factors = [1.0] * len(names)
    else:
        unknown = [cell for cell in header if cell not in PLAIN_COLUMNS]
        if unknown:
            raise TinygenError(f"{path}: unknown column {unknown[0]!r}; a plain CSV trace has time (s), current "
                               "(A, or current_ma / current_ua), optionally voltage (V) and marker (0/1)")
        names = [PLAIN_COLUMNS[cell][0] for cell in header]
        factors = [PLAIN_COLUMNS[cell][1] for cell in header]
        body, first_line = rows[1:], 2
    if len(set(names)) != len(names) or not {"time", "current"} <= set(names):
        raise TinygenError(f"{path}: a plain CSV trace needs one time and one current column, has {header}")
    _check_widths(path, body, first_line, len(names))
    table = _numbers(path, body, first_line) * np.array(factors)
    column = {name: table[:, i] for i, name in enumerate(names)}
    voltage = column.get("voltage")
    return CurrentTrace(column["time"], column["current"],
                        voltage if voltage is not None else _supply(path, supply_v, len(table)),
                        column["marker"] > 0.5 if "marker" in column else None, f"{path.name} (CSV)",
                        voltage is not None)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _read_jls(path: Path, marker: str | None) -> CurrentTrace:
    """A Joulescope recording: the `current` (A) and `voltage` (V) signals and the marker input
    (default gpi[0]) when recorded, on the current's time base."""
    from pyjls import Reader

    try:
        reader = Reader(str(path))
    except Exception as exc:        # pyjls raises its own error types for damaged files
        raise TinygenError(f"{path} is not a readable Joulescope .jls file: {exc}") from None
    try:
        signals = {signal.name: signal for signal in reader.signals.values() if signal.signal_id != 0}
        marker_name = marker or "gpi[0]"
        for name in (JLS_CURRENT, JLS_VOLTAGE) + ((marker,) if marker else ()):
            if name not in signals:
                raise TinygenError(f"{path} has no '{name}' signal (it has {', '.join(sorted(signals)) or 'none'})")
        base = signals[JLS_CURRENT]
        current, voltage = (_jls_samples(path, reader, signals[name], base) for name in (JLS_CURRENT, JLS_VOLTAGE))
        levels = _jls_samples(path, reader, signals[marker_name], base) if marker_name in signals else None
    finally:
        reader.close()
    return CurrentTrace(np.arange(base.length) / base.sample_rate, current, voltage,
                        None if levels is None else levels > 0.5,
                        f"{path.name} (Joulescope JLS{', marker ' + marker_name if levels is not None else ''})", True)


def _jls_samples(path: Path, reader, signal, base) -> np.ndarray:
    """`signal` on the sample times of `base` (at the nearest earlier sample when the rates differ),
    one-bit signals unpacked."""
    if signal.length < 1 or base.length < 2:
        raise TinygenError(f"{path}: the {signal.name} signal has {signal.length} samples")
    try:
        raw = reader.fsr(signal.signal_id, 0, signal.length)
    except Exception as exc:
        raise TinygenError(f"{path}: the {signal.name} signal cannot be read (truncated file?): {exc}") from None
    from pyjls import DataType

    values = np.unpackbits(raw, bitorder="little")[:signal.length] if signal.data_type == DataType.U1 else raw
    index = np.minimum(np.arange(base.length) * signal.sample_rate // base.sample_rate, signal.length - 1)
    return np.asarray(values, dtype=np.float64)[index.astype(np.int64)]
