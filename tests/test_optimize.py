"""`tinygen optimize` on scikit-learn's digits: distillation, pruning and INT8 reach the size and
accuracy targets, the int8 accuracy re-measured with TFLM equals the reported one, structured pruning
pays off in QEMU, and bad inputs give clear errors."""

import json

import numpy as np
import pytest

from tinygen.cli import main
from tinygen.compiler import compile_model
from tinygen.default_model import load_split
from tinygen.errors import TinygenError
from tinygen.optimize.pipeline import Options, optimize, write
from tinygen.quiet_tensorflow import import_tensorflow
from tinygen.validation.reference import TflmReference


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """A float Keras 3 teacher trained on the digits, and the data set as an npz."""
    folder = tmp_path_factory.mktemp("digits")
    x_train, y_train, x_test, y_test = load_split()
    data = folder / "digits.npz"
    np.savez(data, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    import_tensorflow()
    import keras

    keras.utils.set_random_seed(0)
    teacher = keras.Sequential([
        keras.layers.Input((8, 8, 1)),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    teacher.compile("adam", "sparse_categorical_crossentropy")
    teacher.fit(x_train, y_train, epochs=15, batch_size=32, verbose=0)
    path = folder / "teacher.keras"
    teacher.save(path)
    return {"teacher": path, "data": data, "x_test": x_test, "y_test": y_test, "folder": folder}


def tflm_accuracy(tflite_path, x, y) -> float:
    """Independent of tinygen's optimize code: quantize with the model's input parameters, run TFLM."""
    model = compile_model(tflite_path)
    quant = model.inputs[0].tensor.quant
    reference = TflmReference(tflite_path, 1)
    correct = 0
    for sample, label in zip(x, y):
        scaled = sample.astype(np.float64) / quant.scale[0]
        q = np.clip(np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) + quant.zero_point[0], -128, 127)
        correct += int(np.argmax(reference.run([q.astype(np.int8)[np.newaxis]])[0]) == label)
    return correct / len(y)


def test_full_pipeline_meets_size_and_accuracy_targets(digits, tmp_path):
    out = tmp_path / "student.tflite"
    assert main(["optimize", "--model", str(digits["teacher"]), "--data", str(digits["data"]), "--student", "cnn:16",
                 "--sparsity", "0.5", "--epochs", "30", "-o", str(out)]) == 0
    report = json.loads(out.with_suffix(".report.json").read_text())
    steps = {step["name"]: step for step in report["steps"]}
    assert list(steps) == ["teacher (float)", "distilled student", "magnitude pruning", "int8 (PTQ)"]
    final = steps["int8 (PTQ)"]
    assert final["size_reduction_pct"] >= 90.0, final
    assert final["retention_pct"] >= 97.0, final
    assert tflm_accuracy(out, digits["x_test"], digits["y_test"]) == report["int8_score"] == final["score"]
    assert "sparsity conv2d 5" in steps["magnitude pruning"]["note"]            # ~50 % reached
    assert "batch_normalization" not in report["messages"]                      # the student has none
    assert out.with_suffix(".report.png").stat().st_size > 1000


def test_structured_pruning_cuts_macs_and_qemu_instructions(digits, tmp_path, monkeypatch):
    from tinygen.validation.firmware import validate_firmware

    monkeypatch.setenv("TINYGEN_HOME", str(tmp_path / "home"))
    dense = optimize(digits["teacher"], digits["data"], Options(student="cnn:16", epochs=8))
    narrow = optimize(digits["teacher"], digits["data"], Options(student="cnn:16", structured_prune=0.5, epochs=8))
    paths = []
    for name, result in (("dense", dense), ("narrow", narrow)):
        paths.append(write(result, tmp_path / f"{name}.tflite")[0])
    macs = [compile_model(p).total_macs for p in paths]
    assert macs[1] < 0.6 * macs[0], macs
    counts = [validate_firmware("mps2-an386", p, samples=3).timing.median for p in paths]
    assert counts[1] < 0.7 * counts[0], counts
    assert narrow.steps[-2].name == "structured pruning" and narrow.steps[-2].parameters < dense.steps[-2].parameters


def test_teacher_rebuilt_without_student_and_layers_left_dense_are_named(digits):
    result = optimize(digits["teacher"], digits["data"], Options(sparsity=0.3, epochs=2))
    assert any("batch_normalization" in message and "left dense" in message for message in result.messages)
    assert [s.name for s in result.steps] == ["teacher (float)", "magnitude pruning", "int8 (PTQ)"]


def test_width_multiplier_student_and_qat(digits):
    result = optimize(digits["teacher"], digits["data"], Options(student="width:0.25", qat=True, epochs=6))
    assert result.steps[1].name == "distilled student"
    assert result.steps[1].parameters < result.steps[0].parameters / 8
    assert result.steps[-1].name == "int8 (QAT)" and result.int8_score > 0.85


def test_bad_inputs_give_clear_errors(digits, tmp_path):
    wrong_shape = tmp_path / "wrong.npz"
    np.savez(wrong_shape, x=np.zeros((20, 28, 28, 1), np.float32), y=np.zeros(20, np.int64))
    with pytest.raises(TinygenError, match=r"samples have shape \(28, 28, 1\), the model takes \(8, 8, 1\)"):
        optimize(digits["teacher"], wrong_shape, Options(epochs=1))
    no_labels = tmp_path / "nolabels.npz"
    np.savez(no_labels, x=np.zeros((20, 8, 8, 1), np.float32))
    with pytest.raises(TinygenError, match="has no labels"):
        optimize(digits["teacher"], no_labels, Options(epochs=1))
    garbage = tmp_path / "teacher.keras"
    garbage.write_bytes(b"not a model")
    with pytest.raises(TinygenError, match="cannot load the teacher"):
        optimize(garbage, digits["data"], Options(epochs=1))
    assert main(["optimize", "--model", str(garbage), "--data", str(digits["data"]), "-o", str(tmp_path / "x.tflite")]) == 1


def test_build_from_a_float_teacher_optimizes_first(digits, tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGEN_HOME", str(tmp_path / "home"))
    out = tmp_path / "fw"
    assert main(["build", "--board", "mps2-an386", "--model", str(digits["teacher"]), "--data", str(digits["data"]),
                 "--student", "cnn:8", "--epochs", "3", "--out", str(out)]) == 0
    stem = digits["teacher"].stem
    assert (out / "firmware.elf").is_file() and (out / f"{stem}_int8.tflite").is_file()    # inside, not beside
    assert (out / f"{stem}_int8.report.json").is_file() and (out / f"{stem}_int8.report.png").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("fw")) == ["fw"]
    assert main(["build", "--board", "mps2-an386", "--model", str(digits["teacher"]), "--out", str(out)]) == 1


def test_80_percent_sparsity_shrinks_the_firmware_and_stays_bit_exact(digits, tmp_path, monkeypatch):
    from tinygen.boards import get_board
    from tinygen.firmware.build import build, compile_for
    from tinygen.validation.host import validate_host

    monkeypatch.setenv("TINYGEN_HOME", str(tmp_path / "home"))
    dense = write(optimize(digits["teacher"], digits["data"], Options(student="cnn:16", epochs=6)),
                  tmp_path / "dense.tflite")[0]
    pruned = write(optimize(digits["teacher"], digits["data"], Options(student="cnn:16", sparsity=0.8, epochs=6)),
                   tmp_path / "pruned.tflite")[0]
    board = get_board("mps2-an386")
    flash = {name: build(board, compile_for(board, path), tmp_path / name).report["flash"]["used"]
             for name, path in (("dense", dense), ("pruned", pruned))}
    assert flash["pruned"] < flash["dense"] - 1000, flash     # measured here: 11,496 -> 9,448 bytes
    assert compile_model(pruned).sparse_saved_bytes > 0
    assert validate_host(pruned, None, samples=20).bit_exact
