"""The float model a quantized model came from, run on the same (dequantized) inputs for accuracy."""

from pathlib import Path

import numpy as np

from .errors import TinygenError
from .quiet_tensorflow import import_tensorflow


class FloatReference:
    def __init__(self, path: Path):
        tf = import_tensorflow()
        self.path = Path(path)
        try:
            if self.path.suffix == ".tflite":
                self.interpreter = tf.lite.Interpreter(model_path=str(self.path))
                self.interpreter.allocate_tensors()
                self.keras = None
            else:
                self.keras = tf.keras.models.load_model(str(self.path), compile=False)
        except (OSError, ValueError, RuntimeError) as exc:
            raise TinygenError(f"cannot load the float model {self.path}: {exc}") from None

    def run(self, inputs: list[np.ndarray]) -> np.ndarray:
        """The first output for one sample of float inputs."""
        if self.keras is not None:
            return np.asarray(self.keras(inputs if len(inputs) > 1 else inputs[0], training=False))
        for detail, value in zip(self.interpreter.get_input_details(), inputs):
            self.interpreter.set_tensor(detail["index"], value.reshape(detail["shape"]).astype(np.float32))
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.interpreter.get_output_details()[0]["index"])
