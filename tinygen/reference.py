"""The bit-exactness reference: the TFLM runtime (tflite-micro package) on the same model and inputs."""

import os
import re
import tempfile
from pathlib import Path

import numpy as np

from .errors import TinygenError


class TflmReference:
    def __init__(self, model_path: str | Path, num_outputs: int, keep_intermediates: bool = False):
        from tflite_micro import runtime   # imported here: loading the runtime takes a moment

        self.model_path = Path(model_path)
        self.num_outputs = num_outputs
        model_size = self.model_path.stat().st_size
        try:
            config = (runtime.InterpreterConfig.kPreserveAllTensors if keep_intermediates
                      else runtime.InterpreterConfig.kAllocationRecording)
            self.interpreter = runtime.Interpreter.from_file(str(model_path), arena_size=max(16 * model_size, 1 << 20),
                                                             intrepreter_config=config)
        except (RuntimeError, ValueError) as exc:
            raise TinygenError(f"the TFLM reference runtime cannot load {self.model_path.name}: {exc}") from None

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """One inference: inputs in model order, outputs in model order."""
        for position, value in enumerate(inputs):
            self.interpreter.set_input(value, position)
        self.interpreter.invoke()
        return [np.array(self.interpreter.get_output(position)) for position in range(self.num_outputs)]

    def tensor(self, index: int) -> np.ndarray:
        """A tensor after the last run (intermediate ones need keep_intermediates=True)."""
        return np.array(self.interpreter.GetTensor(index, 0)["tensor_data"])

    def arena_bytes(self) -> int:
        """TFLM's total arena use, as its recording allocator reports it (on stderr)."""
        text = _capture_stderr(self.interpreter.print_allocations)
        match = re.search(r"Arena allocation total (\d+) bytes", text)
        if not match:
            raise TinygenError("the TFLM runtime did not report its arena use")
        return int(match.group(1))


def _capture_stderr(function) -> str:
    """Runs function with file descriptor 2 redirected, catching what native code prints."""
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = os.dup(2)
        try:
            os.dup2(sink.fileno(), 2)
            function()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        return sink.read().decode(errors="replace")
