"""Student models: the teacher's chain at a width multiplier, a user-supplied model, or a member of
tinygen's built-in families (depthwise-separable CNN for images, MLP for vectors), sized to a flash
budget."""

from pathlib import Path

from ..errors import TinygenError
from .architecture import Architecture, LayerSpec, read_architecture, scaled, split_logits

CNN_BASE_WIDTHS = (4, 6, 8, 12, 16, 24, 32, 48, 64)
MLP_BASE_WIDTHS = (8, 16, 32, 64, 128, 256, 512)


def parse_bytes(text: str) -> int:
    text = text.strip().lower()
    factor = {"k": 1024, "m": 1024 * 1024}.get(text[-1:], 1)
    try:
        return int(float(text.rstrip("km")) * factor)
    except ValueError:
        raise TinygenError(f"cannot read '{text}' as a size (e.g. 256k, 1m, 50000)") from None


def cnn(input_shape, classes: int, width: int) -> Architecture:
    def conv(filters, kernel, stride):
        return LayerSpec("Conv2D", {"filters": filters, "kernel_size": kernel, "strides": stride,
                                    "padding": "same", "activation": "relu"})

    def separable(filters, stride):
        return [LayerSpec("DepthwiseConv2D", {"kernel_size": 3, "strides": stride, "padding": "same",
                                              "activation": "relu"}), conv(filters, 1, 1)]

    layers = [conv(width, 3, 1), *separable(2 * width, 2), *separable(4 * width, 2),
              LayerSpec("GlobalAveragePooling2D", {}), LayerSpec("Dense", {"units": classes})]
    return Architecture(tuple(input_shape), layers)


def mlp(input_shape, outputs: int, widths: list[int]) -> Architecture:
    layers = [LayerSpec("Flatten", {})] if len(input_shape) > 1 else []
    layers += [LayerSpec("Dense", {"units": w, "activation": "relu"}) for w in widths]
    layers.append(LayerSpec("Dense", {"units": outputs}))
    return Architecture(tuple(input_shape), layers)


def parameter_count(architecture: Architecture) -> int:
    from .architecture import build

    return build(architecture, copy_weights=False).count_params()


def for_budget(input_shape, outputs: int, budget_bytes: int) -> Architecture:
    """The largest family member whose int8 weights (one byte each) fit 90 % of the budget."""
    image = len(input_shape) == 3
    candidates = [cnn(input_shape, outputs, w) if image else mlp(input_shape, outputs, [w, w // 2])
                  for w in (CNN_BASE_WIDTHS if image else MLP_BASE_WIDTHS)]
    fitting = [a for a in candidates if parameter_count(a) <= 0.9 * budget_bytes]
    if not fitting:
        raise TinygenError(f"even the smallest built-in student has {parameter_count(candidates[0]):,} weights, "
                           f"more than a {budget_bytes:,}-byte flash budget allows")
    return fitting[-1]


def student_architecture(spec: str | None, teacher, outputs: int, flash_budget: str | None) -> Architecture | None:
    """The student to distill into, or None to keep the teacher's own architecture and weights."""
    input_shape = tuple(teacher.inputs[0].shape[1:])
    if spec is None:
        return for_budget(input_shape, outputs, parse_bytes(flash_budget)) if flash_budget else None
    kind, _, argument = spec.partition(":")
    if kind == "width":
        return split_logits(scaled(read_architecture(teacher), float(argument)))[0]
    if kind == "cnn":
        return cnn(input_shape, outputs, int(argument))
    if kind == "mlp":
        return mlp(input_shape, outputs, [int(w) for w in argument.split(",")])
    path = Path(spec)
    if path.exists():
        from .teacher import load_teacher

        user = read_architecture(load_teacher(path))
        return split_logits(Architecture(user.input_shape, [s.__class__(s.kind, s.config) for s in user.layers]))[0]
    raise TinygenError(f"unknown student '{spec}': use width:0.5, cnn:8, mlp:64,32 or a model file")
