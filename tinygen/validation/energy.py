"""Energy per inference, estimated from a board's power figures and a measured work count."""

from ..boards import Board
from .report import Energy

# QEMU counts instructions, not cycles; on Cortex-M4 loads, multiplies and taken branches take more
# than one cycle, so one cycle per instruction makes this a lower bound.
CYCLES_PER_INSTRUCTION = 1.0


def energy_estimate(board: Board, instructions: float) -> Energy:
    power = board.data["power"]
    if "run_current_ma" not in power:
        return Energy(None, f"no power figures for {board.id}: {power['source']}")
    seconds = instructions * CYCLES_PER_INSTRUCTION / board.data["clock_hz"]
    microjoules = seconds * power["run_current_ma"] * power["voltage_v"] * 1000.0
    return Energy(microjoules,
                  f"ESTIMATE: {instructions:,.0f} instructions x {CYCLES_PER_INSTRUCTION} cycle/instruction "
                  f"at {board.data['clock_hz'] / 1e6:g} MHz = {seconds * 1e3:.3f} ms, drawing "
                  f"{power['run_current_ma']} mA at {power['voltage_v']} V ({power['run_condition']}); "
                  f"source: {power['source']}")
