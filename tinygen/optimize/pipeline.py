"""`tinygen optimize`: teacher -> (distilled student) -> (pruned) -> INT8, every step measured."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import TinygenError
from ..model.tflite_importer import parse_tflite
from ..output_paths import write_file_atomically
from ..quiet_tensorflow import import_tensorflow
from . import report as reports
from .architecture import build, read_architecture, split_logits, with_softmax
from .data import load_dataset
from .prune import kernel_sparsity, magnitude_prune, structured_prune
from .quantize import convert_int8, quantization_aware, tflm_outputs
from .students import student_architecture
from .teacher import as_logits, load_teacher, predict
from .train import fit, score

SEED = 1234


@dataclass
class Options:
    student: str | None = None
    flash_budget: str | None = None
    temperature: float = 4.0
    alpha: float = 0.1
    sparsity: float | None = None
    structured_prune: float | None = None
    qat: bool = False
    epochs: int = 20


@dataclass
class Result:
    tflite: bytes
    steps: list[reports.Step]
    metric: str
    messages: list[str] = field(default_factory=list)
    int8_score: float = 0.0


def _float_step(name: str, model, data, softmax: bool, note: str = "") -> reports.Step:
    outputs = predict(with_softmax(model) if softmax else model, data.x_test)
    return reports.Step(name, model.count_params(), 4 * model.count_params(), score(outputs, data), note)


def _constant_bytes(tflite: bytes) -> int:
    """The int8 model's weights as stored: its constant tensors."""
    return sum(t.data.nbytes for t in parse_tflite(tflite).tensors if t.is_constant)


def optimize(teacher_path: Path, data_path: Path, options: Options) -> Result:
    tf = import_tensorflow()
    import tf_keras as keras

    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    teacher = load_teacher(teacher_path)
    data = load_dataset(data_path, tuple(teacher.inputs[0].shape[1:]))
    metric = "accuracy" if data.is_classification else "-MSE"
    teacher_train = predict(teacher, data.x_train)
    teacher_test = predict(teacher, data.x_test)
    if data.is_classification and teacher_train.shape[-1] != data.classes:
        raise TinygenError(f"the teacher has {teacher_train.shape[-1]} outputs but the labels name {data.classes} classes")
    steps = [reports.Step("teacher (float)", teacher.count_params(), 4 * teacher.count_params(), score(teacher_test, data))]
    messages = []
    soft_targets = as_logits(teacher_train) if data.is_classification else teacher_train

    def train(model, epochs, teacher_logits=None, callbacks=()):
        fit(model, data, epochs, teacher_logits, options.temperature, options.alpha, callbacks)

    outputs = teacher_train.shape[-1]
    student = student_architecture(options.student, teacher, outputs, options.flash_budget)
    softmax = data.is_classification
    if student is not None:
        model = build(student, copy_weights=False)
        train(model, options.epochs, soft_targets)
        steps.append(_float_step("distilled student", model, data, softmax,
                                 f"T={options.temperature}, alpha={options.alpha}"))
        fine_tune = lambda m, epochs, callbacks=(): train(m, epochs, soft_targets, callbacks)  # noqa: E731
    else:
        architecture, softmax = split_logits(read_architecture(teacher))
        softmax = softmax and data.is_classification
        model = build(architecture)            # the teacher itself, as logits, in tf_keras
        fine_tune = lambda m, epochs, callbacks=(): train(m, epochs, None, callbacks)  # noqa: E731
    if options.structured_prune:
        before = model.count_params()
        model = structured_prune(model, options.structured_prune, max(1, options.epochs // 2), fine_tune)
        steps.append(_float_step("structured pruning", model, data, softmax,
                                 f"{options.structured_prune:.0%} of filters/units removed "
                                 f"({before:,} -> {model.count_params():,} parameters)"))
    pruned = False
    if options.sparsity:
        if not 0 < options.sparsity < 1:
            raise TinygenError("--sparsity takes a fraction between 0 and 1 (e.g. 0.8)")
        model, skipped = magnitude_prune(model, data, options.sparsity, max(1, options.epochs // 2), fine_tune)
        pruned = True
        if skipped:
            messages.append("left dense (tfmot cannot prune them): " + ", ".join(skipped))
        achieved = kernel_sparsity(model)
        note = "sparsity " + ", ".join(f"{name} {value:.0%}" for name, value in achieved.items())
        steps.append(_float_step("magnitude pruning", model, data, softmax, note))
    deployed = with_softmax(model) if softmax else model
    if options.qat:
        deployed = quantization_aware(deployed, max(1, options.epochs // 4),
                                      lambda m, epochs: fit(m, data, epochs), pruned)
    tflite = convert_int8(deployed, data)
    int8_score = score(tflm_outputs(tflite, data.x_test), data)
    steps.append(reports.Step("int8 (" + ("QAT" if options.qat else "PTQ") + ")", model.count_params(),
                              _constant_bytes(tflite), int8_score, "accuracy measured with the TFLM runtime"))
    return Result(tflite, reports.finish(steps, data.is_classification), metric, messages, int8_score)


def write(result: Result, out: Path) -> list[Path]:
    """The .tflite, and beside it the report as JSON and as a PNG chart."""
    write_file_atomically(out, result.tflite)
    report_path = out.with_suffix(".report.json")
    write_file_atomically(report_path, (json.dumps({"metric": result.metric, "int8_score": result.int8_score,
                                                    "steps": reports.as_json(result.steps),
                                                    "messages": result.messages}, indent=2) + "\n").encode())
    chart = reports.chart(result.steps, result.metric, out.with_suffix(".report.png"))
    return [out, report_path, chart]
