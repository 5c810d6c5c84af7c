"""A board's energy model calibrated from a measured trace: the mean current and voltage during the
inferences replace the board file's run current and voltage in later estimates. Stored per board in
the user's tinygen home (power_calibration.json), with the trace it came from."""

import datetime
import json
from dataclasses import asdict, dataclass

from ..errors import TinygenError
from ..firmware.platformio_env import tinygen_home
from .analysis import PowerMeasurement

CALIBRATION_FILE = "power_calibration.json"


@dataclass
class Calibration:
    board: str
    run_current_ma: float
    voltage_v: float
    trace: str
    inferences: int
    measured_on: str        # ISO date of the calibration


def _path():
    return tinygen_home() / CALIBRATION_FILE


def _load_all() -> dict:
    path = _path()
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise TinygenError(f"the power calibrations in {path} are unreadable ({exc}): delete the file to start over") \
            from None


def calibrate(board_id: str, measured: PowerMeasurement) -> Calibration:
    calibration = Calibration(board_id, measured.mean_current_ma, measured.voltage_v, measured.source,
                              len(measured.inferences), datetime.date.today().isoformat())
    stored = _load_all()
    stored[board_id] = asdict(calibration)
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(stored, indent=2) + "\n")
    temporary.replace(path)
    return calibration


def calibration_for(board_id: str) -> Calibration | None:
    entry = _load_all().get(board_id)
    return Calibration(**entry) if entry else None
