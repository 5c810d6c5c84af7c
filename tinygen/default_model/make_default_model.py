"""Trains and writes tinygen's default model: a small int8 CNN on scikit-learn's 8x8 digits.

    python -m tinygen.default_model.make_default_model [--output-dir DIR] [--epochs N]

Loads `sklearn.datasets.load_digits` (ships inside scikit-learn, no download), splits it (stratified,
fixed seed, 25 % held out), trains a small Keras CNN with fixed seeds and deterministic ops, converts
it with full-integer int8 quantization (calibrated on the training set), measures the accuracy of the
float model and of the int8 model on the TFLM runtime, and writes `digits_int8.tflite` and
`digits_int8.json`. The JSON holds no date, so a rerun on the same versions gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from tinygen.quiet_tensorflow import import_tensorflow

from . import (DEFAULT_MODEL_INFO_PATH, DEFAULT_MODEL_PATH, INPUT_SHAPE, SPLIT_SEED, TEST_FRACTION,
               load_split, quantize_input)

TRAIN_SEED = 1234
EPOCHS = 40
BATCH_SIZE = 32
LEARNING_RATE = 0.01
ALLOWED_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D", "ADD",
               "MUL", "RESHAPE", "SOFTMAX", "MEAN", "PAD", "CONCATENATION", "RELU", "RELU6"}


def build_model(tf):
    layers = tf.keras.layers
    return tf.keras.Sequential([
        layers.Input(shape=INPUT_SHAPE, batch_size=1, name="image"),
        layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1"),                 # 8x8x8
        layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="conv2"),    # 4x4x16
        layers.Conv2D(16, 3, padding="same", activation="relu", name="conv3"),               # 4x4x16
        layers.AveragePooling2D(2, name="pool"),                                             # 2x2x16
        layers.Flatten(name="flatten"),                                                      # 64
        layers.Dense(10, name="logits"),
        layers.Softmax(name="softmax"),
    ], name="digits_cnn")


def architecture(model) -> list[dict]:
    rows = []
    for layer in model.layers:
        config = layer.get_config()
        row = {"name": layer.name, "type": type(layer).__name__,
               "output_shape": list(layer.output.shape[1:]), "params": int(layer.count_params())}
        for key in ("filters", "kernel_size", "strides", "padding", "activation", "pool_size", "units"):
            if key in config:
                value = config[key]
                row[key] = list(value) if isinstance(value, tuple) else value
        rows.append(row)
    return rows


def convert(tf, model, x_train: np.ndarray) -> bytes:
    def representative_dataset():
        for image in x_train:
            yield [image[None].astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)   # input (1, 8, 8, 1): batch 1 is fixed
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return bytes(converter.convert())


def model_ops_and_io(tflite: bytes) -> tuple[list[str], dict]:
    """Operator names (in order) and input quantization, read with tinygen's own importer."""
    import tempfile

    from ..model.tflite_importer import load_tflite

    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "model.tflite"
        path.write_bytes(tflite)
        graph = load_tflite(path)
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
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args(argv)
    started = time.monotonic()

    tf = import_tensorflow()
    import sklearn

    tf.keras.utils.set_random_seed(TRAIN_SEED)
    tf.config.experimental.enable_op_determinism()
    x_train, y_train, x_test, y_test = load_split()

    model = build_model(tf)
    # The model's own batch dimension is 1 (a microcontroller runs one image at a time); train on a
    # twin with a free batch dimension that shares its layers (and so its weights).
    trainer = tf.keras.Sequential([tf.keras.layers.Input(shape=INPUT_SHAPE)] + model.layers)
    trainer.compile(optimizer=tf.keras.optimizers.Adam(LEARNING_RATE),
                    loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    trainer.fit(x_train, y_train, epochs=args.epochs, batch_size=BATCH_SIZE, shuffle=True, verbose=0)
    float_accuracy = float(np.mean(np.argmax(trainer.predict(x_test, verbose=0), axis=1) == y_test))

    tflite = convert(tf, model, x_train)
    ops, io = model_ops_and_io(tflite)
    disallowed = sorted(set(ops) - ALLOWED_OPS)
    if disallowed:
        raise SystemExit(f"the converted model uses operators outside the allowed set: {disallowed}")
    quant = io["input"]
    int8_accuracy = tflm_accuracy(tflite, quantize_input(x_test, quant["scale"], quant["zero_point"]), y_test)

    info = {
        "model": DEFAULT_MODEL_PATH.name,
        "dataset": "sklearn.datasets.load_digits",
        "sklearn_version": sklearn.__version__,
        "tensorflow_version": tf.__version__,
        "keras_version": tf.keras.__version__ if hasattr(tf.keras, "__version__") else None,
        "preprocessing": "pixels (0..16) / 16.0 -> float32 [0, 1], shape (8, 8, 1)",
        "split": {"method": "sklearn.model_selection.train_test_split, stratified", "seed": SPLIT_SEED,
                  "test_fraction": TEST_FRACTION},
        "train_size": int(len(y_train)),
        "test_size": int(len(y_test)),
        "training": {"seed": TRAIN_SEED, "epochs": args.epochs, "batch_size": BATCH_SIZE,
                     "optimizer": "Adam", "learning_rate": LEARNING_RATE},
        "architecture": architecture(model),
        "parameters": int(model.count_params()),
        "tflite_ops": ops,
        "largest_activation_bytes": io["largest_activation_bytes"],
        "float_accuracy": float_accuracy,
        "int8_accuracy_tflm": int8_accuracy,
        "model_bytes": len(tflite),
        "input_quantization": quant,
    }
    args.output_dir.mkdir(parents=True, exist_ok=True)
    model_path = args.output_dir / DEFAULT_MODEL_PATH.name
    info_path = args.output_dir / DEFAULT_MODEL_INFO_PATH.name
    model_path.write_bytes(tflite)
    info_path.write_text(json.dumps(info, indent=2) + "\n")
    print(f"float accuracy {float_accuracy:.4f}, int8 (TFLM) accuracy {int8_accuracy:.4f}, "
          f"{len(tflite)} bytes, {info['parameters']} parameters, ops {ops}")
    print(f"wrote {model_path} and {info_path} in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
