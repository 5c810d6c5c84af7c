"""Pruning: magnitude pruning to a target sparsity on a schedule (tfmot), and structured pruning
that removes whole filters/units by L1 importance and rebuilds a physically smaller model."""

import math
from dataclasses import replace

import numpy as np

from ..errors import TinygenError
from .architecture import Architecture, WIDTH_KEY, build, read_architecture
from .train import BATCH_SIZE

PRUNABLE = ("Conv2D", "DepthwiseConv2D", "Dense")


def magnitude_prune(model, data, sparsity: float, epochs: int, fit) -> tuple[object, list[str]]:
    """Prunes every Conv2D/DepthwiseConv2D/Dense kernel to `sparsity` while fine-tuning; returns the
    stripped model and the layers with weights that tfmot could not prune (left dense)."""
    import tensorflow_model_optimization as tfmot
    import tf_keras as keras

    steps = max(1, math.ceil(len(data.x_train) / BATCH_SIZE) * epochs)
    schedule = tfmot.sparsity.keras.PolynomialDecay(0.0, sparsity, begin_step=0, end_step=max(1, int(0.7 * steps)),
                                                    frequency=max(1, steps // 20))
    skipped = []

    def wrap(layer):
        if type(layer).__name__ in PRUNABLE:
            return tfmot.sparsity.keras.prune_low_magnitude(layer, pruning_schedule=schedule)
        if layer.weights:
            skipped.append(f"{layer.name} ({type(layer).__name__})")
        return layer

    # clone_function receives the trained layers themselves, so the wrappers start from their weights
    pruned = keras.models.clone_model(model, clone_function=wrap)
    fit(pruned, epochs, callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    return tfmot.sparsity.keras.strip_pruning(pruned), skipped


def kernel_sparsity(model) -> dict[str, float]:
    return {layer.name: float(np.mean(layer.get_weights()[0] == 0)) for layer in model.layers
            if type(layer).__name__ in PRUNABLE}


def _keep(kernel: np.ndarray, ratio: float) -> np.ndarray:
    """Indices of the output channels to keep: the largest L1 norms, in their original order."""
    norms = np.abs(kernel.reshape(-1, kernel.shape[-1])).sum(axis=0)
    count = max(1, int(round(kernel.shape[-1] * (1 - ratio))))
    return np.sort(np.argsort(-norms, kind="stable")[:count])


def narrowed(architecture: Architecture, ratio: float) -> Architecture:
    """Removes `ratio` of the filters/units of each hidden Conv2D/Dense, slicing the weights of every
    layer that consumes them (depthwise, batch norm, flatten + dense)."""
    last = architecture.output_layer_index()
    original = build(architecture, copy_weights=False)
    input_shapes = [tuple(layer.input_shape[1:]) for layer in original.layers[1:]]   # [0] is the input
    kept_in = None          # original indices of the channels flowing between layers; None = all
    layers = []
    for i, spec in enumerate(architecture.layers):
        weights = [w.copy() for w in spec.weights]
        config = dict(spec.config)
        if spec.kind in ("Conv2D", "Dense"):
            kernel = weights[0]
            if kept_in is not None:
                kernel = kernel[..., kept_in, :]
            kept_out = np.arange(kernel.shape[-1]) if i == last else _keep(kernel, ratio)
            weights = [kernel[..., kept_out]] + ([weights[1][kept_out]] if len(weights) > 1 else [])
            config[WIDTH_KEY[spec.kind]] = len(kept_out)
            kept_in = kept_out
        elif spec.kind == "DepthwiseConv2D":
            if config.get("depth_multiplier", 1) != 1:
                raise TinygenError("structured pruning supports depthwise layers with depth multiplier 1 only")
            if kept_in is not None:
                weights = [weights[0][:, :, kept_in, :]] + ([weights[1][kept_in]] if len(weights) > 1 else [])
        elif spec.kind == "BatchNormalization" and kept_in is not None:
            weights = [w[kept_in] for w in weights]
        elif spec.kind == "Flatten" and kept_in is not None:
            # the next Dense sees (position, channel) pairs flattened in the original layout
            channels = input_shapes[i][-1]
            positions = int(np.prod(input_shapes[i][:-1]))
            kept_in = np.array([p * channels + c for p in range(positions) for c in kept_in])
        layers.append(replace(spec, config=config, weights=weights))
    return Architecture(architecture.input_shape, layers)


def structured_prune(model, ratio: float, epochs: int, fit):
    """A physically smaller model (fewer filters/units), fine-tuned."""
    if not 0 < ratio < 1:
        raise TinygenError("--structured-prune takes a ratio between 0 and 1 (e.g. 0.5)")
    smaller = build(narrowed(read_architecture(model), ratio))
    fit(smaller, epochs)
    return smaller
