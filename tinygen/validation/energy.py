"""Energy per inference, estimated from a board's power figures (or its calibration from a measured
trace, power/calibration.py) and a measured work count."""

from ..boards import Board
from ..power.calibration import calibration_for
from .report import Energy

# QEMU counts instructions, not cycles; on Cortex-M4 loads, multiplies and taken branches take more
# than one cycle, so one cycle per instruction makes this a lower bound.
CYCLES_PER_INSTRUCTION = 1.0


def energy_estimate(board: Board, instructions: float) -> Energy:
    power = board.data["power"]
    calibration = calibration_for(board.id)
    if calibration is not None:
        current, voltage = calibration.run_current_ma, calibration.voltage_v
        condition = (f"CALIBRATED on {calibration.measured_on} from {calibration.trace} "
                     f"({calibration.inferences} inferences)")
    elif "run_current_ma" in power:
        current, voltage = power["run_current_ma"], power["voltage_v"]
        condition = f"{power['run_condition']}; source: {power['source']}"
    else:
        return Energy(None, f"no power figures for {board.id}: {power['source']}")
    seconds = instructions * CYCLES_PER_INSTRUCTION / board.data["clock_hz"]
    microjoules = seconds * current * voltage * 1000.0
    return Energy(microjoules,
                  f"ESTIMATE: {instructions:,.0f} instructions x {CYCLES_PER_INSTRUCTION} cycle/instruction "
                  f"at {board.data['clock_hz'] / 1e6:g} MHz = {seconds * 1e3:.3f} ms, drawing {current:.4g} mA at "
                  f"{voltage:.4g} V ({condition})")
