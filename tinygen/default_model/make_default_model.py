"""Makes tinygen's default model with tinygen's own optimize pipeline, on scikit-learn's 8x8 digits.

    python -m tinygen.default_model.make_default_model [--output-dir DIR] [--epochs N]

Loads `sklearn.datasets.load_digits` (ships inside scikit-learn, no download), splits it (stratified,
fixed seed, 25 % held out), trains a float Keras CNN teacher, then runs `tinygen optimize`'s pipeline:
distillation into the built-in depthwise-separable CNN student, magnitude pruning, full-integer INT8.
Writes `digits_int8.tflite`, `digits_int8.json` (the data, the pipeline report, accuracies measured
again on the TFLM runtime) and the report chart `digits_int8.report.png`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ..compiler.quantization import quantize_float_to_int8
from ..model.tflite_importer import parse_tflite
from ..optimize import report as reports
from ..optimize.pipeline import Options, optimize
from ..quiet_tensorflow import import_tensorflow
from . import (DEFAULT_MODEL_INFO_PATH, DEFAULT_MODEL_PATH, INPUT_SHAPE, SPLIT_SEED, TEST_FRACTION,
               load_split)

TEACHER_SEED = 1234
TEACHER_EPOCHS = 15
PIPELINE = Options(student="cnn:16", sparsity=0.5, epochs=30)
ALLOWED_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D", "ADD",
               "MUL", "RESHAPE", "SOFTMAX", "MEAN", "PAD", "CONCATENATION", "RELU", "RELU6"}


def train_teacher(x_train: np.ndarray, y_train: np.ndarray, epochs: int, path: Path) -> None:
    import_tensorflow()
    import keras

    keras.utils.set_random_seed(TEACHER_SEED)
    layers = keras.layers
    teacher = keras.Sequential([
        layers.Input(INPUT_SHAPE),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="digits_teacher")
    teacher.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    teacher.fit(x_train, y_train, epochs=epochs, batch_size=32, shuffle=True, verbose=0)
    teacher.save(path)


def model_ops_and_io(tflite: bytes) -> tuple[list[str], dict]:
    """Operator names (in order) and input quantization, read with tinygen's own importer."""
    graph = parse_tflite(tflite)
    ops = [op.op_type for op in graph.operators]
    tensor = graph.tensors[graph.inputs[0]]
    quant = {"scale": float(tensor.quant.scale[0]), "zero_point": int(tensor.quant.zero_point[0]),
             "dtype": str(tensor.dtype), "shape": [int(d) for d in tensor.shape]}
    largest = max(int(np.prod(t.shape)) * np.dtype(t.dtype).itemsize for t in graph.tensors if not t.is_constant)
    return ops, {"input": quant, "largest_activation_bytes": int(largest)}


def tflm_accuracy(tflite: bytes, x_int8: np.ndarray, y: np.ndarray) -> float:
    from tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(tflite, arena_size=1 << 20)
    correct = 0
    for image, label in zip(x_int8, y):
        interpreter.set_input(image.reshape((1, *INPUT_SHAPE)), 0)
        interpreter.invoke()
        correct += int(np.argmax(np.array(interpreter.get_output(0)).reshape(-1)) == label)
    return correct / len(y)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_MODEL_PATH.parent)
    parser.add_argument("--epochs", type=int, default=PIPELINE.epochs, help="epochs per pipeline step")
    args = parser.parse_args(argv)
    started = time.monotonic()
    tf = import_tensorflow()
    import sklearn

    x_train, y_train, x_test, y_test = load_split()
    work = Path(tempfile.mkdtemp(prefix="tinygen-default-model-"))
    try:
        data = work / "digits.npz"
        np.savez(data, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
        train_teacher(x_train, y_train, TEACHER_EPOCHS, work / "teacher.keras")
        options = Options(**{**PIPELINE.__dict__, "epochs": args.epochs})
        result = optimize(work / "teacher.keras", data, options)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tflite = result.tflite
    ops, io = model_ops_and_io(tflite)
    disallowed = sorted(set(ops) - ALLOWED_OPS)
    if disallowed:
        raise SystemExit(f"the converted model uses operators outside the allowed set: {disallowed}")
    quant = io["input"]
    int8_accuracy = tflm_accuracy(tflite, quantize_float_to_int8(x_test, quant["scale"], quant["zero_point"]), y_test)
    steps = reports.as_json(result.steps)
    info = {
        "model": DEFAULT_MODEL_PATH.name,
        "dataset": "sklearn.datasets.load_digits",
        "sklearn_version": sklearn.__version__,
        "tensorflow_version": tf.__version__,
        "preprocessing": "pixels (0..16) / 16.0 -> float32 [0, 1], shape (8, 8, 1)",
        "split": {"method": "sklearn.model_selection.train_test_split, stratified", "seed": SPLIT_SEED,
                  "test_fraction": TEST_FRACTION},
        "train_size": int(len(y_train)),
        "test_size": int(len(y_test)),
        "pipeline": {"teacher_epochs": TEACHER_EPOCHS, "options": options.__dict__, "steps": steps,
                     "messages": result.messages},
        "parameters": steps[-1]["parameters"],
        "tflite_ops": ops,
        "largest_activation_bytes": io["largest_activation_bytes"],
        "teacher_float_accuracy": steps[0]["score"],
        "int8_accuracy_tflm": int8_accuracy,
        "model_bytes": len(tflite),
        "input_quantization": quant,
    }
    args.output_dir.mkdir(parents=True, exist_ok=True)
    model_path = args.output_dir / DEFAULT_MODEL_PATH.name
    info_path = args.output_dir / DEFAULT_MODEL_INFO_PATH.name
    model_path.write_bytes(tflite)
    info_path.write_text(json.dumps(info, indent=2) + "\n")
    reports.chart(result.steps, result.metric, model_path.with_suffix(".report.png"))
    print(reports.table(result.steps, result.metric))
    print(f"int8 (TFLM) accuracy {int8_accuracy:.4f}, {len(tflite)} bytes; wrote {model_path} and {info_path} "
          f"in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
