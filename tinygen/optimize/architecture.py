"""A model as a chain of layer specs, rebuilt in tf_keras (what tfmot prunes and quantizes).

Teachers may be Keras 3 or tf_keras models; a chain of common layers is read from either, can be
scaled (width multiplier) or narrowed (structured pruning), and is built again with weights copied
where the shapes allow."""

from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import TinygenError

# Layer kinds a spec can hold, with the config keys kept from the source layer.
KEYS = {
    "Conv2D": ("filters", "kernel_size", "strides", "padding", "dilation_rate", "activation", "use_bias"),
    "DepthwiseConv2D": ("kernel_size", "strides", "padding", "depth_multiplier", "activation", "use_bias"),
    "Dense": ("units", "activation", "use_bias"),
    "BatchNormalization": ("epsilon", "momentum"),
    "MaxPooling2D": ("pool_size", "strides", "padding"),
    "AveragePooling2D": ("pool_size", "strides", "padding"),
    "GlobalAveragePooling2D": (),
    "Flatten": (),
    "Dropout": ("rate",),
    "ReLU": ("max_value",),
    "Activation": ("activation",),
    "Softmax": (),
    "ZeroPadding2D": ("padding",),
}
WIDTH_KEY = {"Conv2D": "filters", "Dense": "units"}


@dataclass
class LayerSpec:
    kind: str
    config: dict
    weights: list[np.ndarray] = field(default_factory=list)


@dataclass
class Architecture:
    input_shape: tuple[int, ...]
    layers: list[LayerSpec]

    def output_layer_index(self) -> int:
        return max(i for i, spec in enumerate(self.layers) if spec.kind in WIDTH_KEY)


def _activation_name(value) -> str:
    return value if isinstance(value, str) else getattr(value, "__name__", str(value))


def read_architecture(model) -> Architecture:
    """The chain of layers of a Keras 2 or 3 model. Every supported kind takes one input, so a model
    with branches is refused at its merge layer (Add, Concatenate, ...)."""
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    specs = []
    for layer in layers:
        kind = type(layer).__name__
        if kind not in KEYS:
            raise TinygenError(f"layer '{layer.name}' ({kind}) cannot be rebuilt by tinygen; supported: "
                               f"{', '.join(sorted(KEYS))} in a single chain. Give your own --student model.")
        config = layer.get_config()
        kept = {key: config[key] for key in KEYS[kind] if key in config}
        if "activation" in kept:
            kept["activation"] = _activation_name(kept["activation"])
        specs.append(LayerSpec(kind, kept, [np.array(w) for w in layer.get_weights()]))
    input_shape = tuple(model.inputs[0].shape[1:])
    return Architecture(input_shape, specs)


def build(architecture: Architecture, copy_weights: bool = True):
    import tf_keras as keras

    inputs = keras.Input(shape=architecture.input_shape)
    x = inputs
    built = []
    for spec in architecture.layers:
        layer = getattr(keras.layers, spec.kind)(**spec.config)
        x = layer(x)
        built.append((layer, spec))
    model = keras.Model(inputs, x)
    if copy_weights:
        for layer, spec in built:
            if spec.weights:
                layer.set_weights(spec.weights)
    return model


def scaled(architecture: Architecture, width: float) -> Architecture:
    """The same chain with every hidden Conv2D/Dense width multiplied (fresh weights)."""
    last = architecture.output_layer_index()
    layers = []
    for i, spec in enumerate(architecture.layers):
        config = dict(spec.config)
        if spec.kind in WIDTH_KEY and i != last:
            config[WIDTH_KEY[spec.kind]] = max(1, int(round(config[WIDTH_KEY[spec.kind]] * width)))
        layers.append(replace(spec, config=config, weights=[]))
    return Architecture(architecture.input_shape, layers)


def split_logits(architecture: Architecture) -> tuple[Architecture, bool]:
    """The chain without a final softmax (as a separate layer or the last Dense's activation), and
    whether there was one: students train on logits and get the softmax back for deployment."""
    layers = list(architecture.layers)
    had_softmax = False
    while layers and (layers[-1].kind == "Softmax" or
                      (layers[-1].kind == "Activation" and layers[-1].config.get("activation") == "softmax")):
        layers.pop()
        had_softmax = True
    last = layers[-1]
    if last.kind == "Dense" and last.config.get("activation") == "softmax":
        layers[-1] = replace(last, config={**last.config, "activation": "linear"})
        had_softmax = True
    return Architecture(architecture.input_shape, layers), had_softmax


def with_softmax(model):
    import tf_keras as keras

    return keras.Model(model.inputs, keras.layers.Softmax()(model.outputs[0]))
