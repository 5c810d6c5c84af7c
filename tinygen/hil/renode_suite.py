"""A Renode script and a Robot Framework suite per board: Renode runs the oneshot firmware of
`tinygen build` and the suite waits, line by line, for the output bytes the TFLM reference runtime
computes here, at generation time, from the same embedded input.

Renode's keywords used (renode-keywords.robot, UartKeywords): Setup, Teardown, Test Teardown, Reset
Emulation, Execute Command, Execute Script, Create Terminal Tester, Start Emulation, and Wait For Line
On Uart (content, timeout, treatAsRegex): a line not seen within the tester's timeout fails the test.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__
from ..boards import Board
from ..compiler.codegen import environment
from ..compiler.compile import CompiledModel
from ..firmware.build import compile_for, embedded_input
from ..targets.renode import renode_settings
from ..validation.reference import TflmReference

UART_TIMEOUT_SECONDS = 30      # per awaited line
TEST_TIMEOUT = "5 minutes"     # the whole test, Renode's start included


@dataclass(frozen=True)
class ExpectedOutput:
    position: int
    hex: str                   # as the firmware prints it: the output's bytes, two lowercase digits each


def renode_files(board: Board, model_path: Path, sample: list[np.ndarray] | None = None) -> dict[str, str]:
    """`<board>.resc` and `<board>.robot` for the firmware `tinygen build --board <board>` makes of
    model_path with `sample` embedded (default: the input `tinygen build` embeds)."""
    settings = renode_settings(board)          # a board without a Renode platform stops here
    model = compile_for(board, Path(model_path))
    if sample is None:
        sample = oneshot_input(model, Path(model_path))
    expected = expected_outputs(model, Path(model_path), sample)
    values = dict(version=__version__, board=board, platform=settings["platform"], uart=settings["uart"],
                  default_elf=f"firmware_out/{board.id}/firmware.elf", model_name=model.name,
                  model_hash=model.model_hash, expected=expected, uart_timeout=UART_TIMEOUT_SECONDS,
                  test_timeout=TEST_TIMEOUT)
    templates = environment()
    return {f"{board.id}.{kind}": templates.get_template(f"hil/renode_suite.{kind}.j2").render(values)
            for kind in ("resc", "robot")}


def oneshot_input(model: CompiledModel, model_path: Path) -> list[np.ndarray]:
    """The input `tinygen build` embeds without --input: a held-out digit for the default model,
    else a seeded random one."""
    from .. import default_model

    if model_path.resolve() == default_model.DEFAULT_MODEL_PATH.resolve():
        return [default_model.sample_input()[0]]
    return embedded_input(model, None)


def expected_outputs(model: CompiledModel, model_path: Path, sample: list[np.ndarray]) -> list[ExpectedOutput]:
    """TFLM's outputs on the sample, as the bytes the firmware's `tg-output` lines print."""
    reference = TflmReference(model_path, len(model.outputs))
    try:
        outputs = reference.run(sample)
    finally:
        reference.close()
    return [ExpectedOutput(io.position, np.ascontiguousarray(value, dtype=io.tensor.dtype).tobytes().hex())
            for io, value in zip(model.outputs, outputs)]
