"""The bit-exactness reference: the TFLM runtime (tflite-micro package) on the same model and inputs.

The interpreter runs in a child process (this module run with -m). TFLM aborts the process on some
models its checks reject (a failed TFLITE_CHECK calls abort()) and may crash on others; in a child
that ends the child only, and tinygen reports how the reference died instead of dying with it.
"""

import os
import pickle
import re
import signal
import subprocess
import sys
import tempfile
import weakref
from pathlib import Path

import numpy as np

from ..errors import TinygenError

_PACKAGE_PARENT = Path(__file__).resolve().parents[2]   # so the child imports this same tinygen


class TflmReference:
    def __init__(self, model_path: str | Path, num_outputs: int, keep_intermediates: bool = False):
        self.model_path = Path(model_path)
        self.num_outputs = num_outputs
        pythonpath = os.pathsep.join(filter(None, [str(_PACKAGE_PARENT), os.environ.get("PYTHONPATH")]))
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tinygen.validation.reference", str(self.model_path),
             str(int(keep_intermediates))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": pythonpath})
        self._finalizer = weakref.finalize(self, _stop, self._process)
        status, message = self._receive()
        if status != "ok":
            self.close()
            raise TinygenError(f"the TFLM reference runtime cannot load {self.model_path.name}: {message}")

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """One inference: inputs in model order, outputs in model order."""
        return self._call("run", [np.asarray(value) for value in inputs], self.num_outputs)

    def tensor(self, index: int) -> np.ndarray:
        """A tensor after the last run (intermediate ones need keep_intermediates=True)."""
        return self._call("tensor", index)

    def arena_bytes(self) -> int:
        """TFLM's total arena use, as its recording allocator reports it (on stderr)."""
        match = re.search(r"Arena allocation total (\d+) bytes", self._call("allocations"))
        if not match:
            raise TinygenError("the TFLM runtime did not report its arena use")
        return int(match.group(1))

    def close(self) -> None:
        self._finalizer()

    def _call(self, request: str, *args):
        try:
            pickle.dump((request, args), self._process.stdin)
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise TinygenError(self._death()) from None
        status, value = self._receive()
        if status != "ok":
            raise TinygenError(f"the TFLM reference runtime failed on {self.model_path.name}: {value}")
        return value

    def _receive(self):
        try:
            return pickle.load(self._process.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            raise TinygenError(self._death()) from None

    def _death(self) -> str:
        try:
            code = self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        if code is not None and code < 0:
            how = f"was killed by signal {signal.Signals(-code).name}"
        else:
            how = f"exited with status {code}"
        return (f"the TFLM reference runtime crashed on {self.model_path.name}: its process {how} "
                "(TFLM aborts or crashes, rather than reporting an error, on some models it rejects)")


def _stop(process: subprocess.Popen) -> None:
    try:
        pickle.dump(("quit", ()), process.stdin)
        process.stdin.close()
    except (BrokenPipeError, OSError):
        pass
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()


def _serve(model_path: str, keep_intermediates: bool) -> None:
    """The child process: loads the interpreter, then answers requests on stdin/stdout until told to quit."""
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)          # whatever native code prints goes to stderr, never into the replies
    requests = sys.stdin.buffer
    from tflite_micro import runtime   # imported here: loading the runtime takes a moment

    def reply(status: str, value) -> None:
        pickle.dump((status, value), replies)
        replies.flush()

    try:
        config = (runtime.InterpreterConfig.kPreserveAllTensors if keep_intermediates
                  else runtime.InterpreterConfig.kAllocationRecording)
        interpreter = runtime.Interpreter.from_file(model_path, arena_size=max(16 * os.path.getsize(model_path), 1 << 20),
                                                    intrepreter_config=config)
    except (RuntimeError, ValueError, OSError) as exc:
        reply("error", str(exc))
        return
    reply("ok", None)
    while True:
        try:
            request, args = pickle.load(requests)
        except EOFError:
            return
        if request == "quit":
            return
        try:
            reply("ok", _answer(interpreter, request, args))
        except (RuntimeError, ValueError, IndexError) as exc:
            reply("error", str(exc))


def _answer(interpreter, request: str, args):
    if request == "run":
        inputs, num_outputs = args
        for position, value in enumerate(inputs):
            interpreter.set_input(value, position)
        interpreter.invoke()
        return [np.array(interpreter.get_output(position)) for position in range(num_outputs)]
    if request == "tensor":
        return np.array(interpreter.GetTensor(args[0], 0)["tensor_data"])
    if request == "allocations":
        return _capture_stderr(interpreter.print_allocations)
    raise ValueError(f"unknown request {request}")


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


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2] == "1")
