"""Builds small full-integer int8 .tflite models with TensorFlow, for the operator tests.

Every builder takes the shape and parameters of one operator (plus a seed), makes a tf.function with
fixed numpy-seeded weights (the conv and dense builders can prune a fraction of them to zero), converts
it with the TFLite converter (full-integer quantization, about 20 seeded random calibration samples)
and returns the .tflite file as bytes. TensorFlow is imported lazily inside the functions, so
importing this module is cheap.
"""

from __future__ import annotations


import numpy as np

from tinygen.quiet_tensorflow import import_tensorflow

CALIBRATION_SAMPLES = 20
ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


def convert(body, input_shapes, *, input_ranges=None, per_channel: bool = True, float_io: bool = False,
            seed: int = 0) -> bytes:
    """Converts `body(*inputs)` (TensorFlow ops on float32 inputs of `input_shapes`) to an int8 .tflite."""
    tf = import_tensorflow()
    input_ranges = input_ranges or [1.0] * len(input_shapes)
    specs = [tf.TensorSpec(shape, tf.float32, name=f"x{i}") for i, shape in enumerate(input_shapes)]
    module = tf.Module()
    module.f = tf.function(body, input_signature=specs, autograph=False)
    concrete = module.f.get_concrete_function()

    def representative_dataset():
        rng = np.random.default_rng(seed + 1000)
        for _ in range(CALIBRATION_SAMPLES):
            yield [rng.uniform(-r, r, size=shape).astype(np.float32) for shape, r in zip(input_shapes, input_ranges)]

    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], module)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if not float_io:
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    if not per_channel:
        converter._experimental_disable_per_channel = True
    return bytes(converter.convert())


def activation(x, name: str):
    """A float activation the converter fuses into the preceding op as `name`."""
    tf = import_tensorflow()
    if name == "NONE":
        return x
    if name == "RELU":
        return tf.nn.relu(x)
    if name == "RELU6":
        return tf.nn.relu6(x)
    if name == "RELU_N1_TO_1":
        return tf.clip_by_value(x, -1.0, 1.0)
    raise ValueError(f"unknown activation {name}")


def _weights(rng: np.random.Generator, shape, channel_axis: int, gain: float) -> np.ndarray:
    """Random weights whose per-channel magnitudes differ, so per-channel scales really differ."""
    w = rng.normal(0.0, 1.0, size=shape)
    spread = rng.uniform(0.2, 2.0, size=shape[channel_axis])
    view = [1] * len(shape)
    view[channel_axis] = shape[channel_axis]
    return (w * spread.reshape(view) * gain).astype(np.float32)


def _pruned(w: np.ndarray, sparsity: float) -> np.ndarray:
    """w with its `sparsity` fraction of smallest magnitudes set to 0 (the converter keeps zeros)."""
    pruned = w.copy()
    pruned.reshape(-1)[np.argsort(np.abs(w), axis=None, kind="stable")[:round(sparsity * w.size)]] = 0.0
    return pruned


def _pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def conv2d(input_hwc, out_c: int, kernel=3, stride=1, padding="SAME", dilation=1, act="NONE",
           per_channel=True, float_io=False, seed=0, sparsity=0.0, groups=1) -> bytes:
    tf = import_tensorflow()
    (k_h, k_w), (s_h, s_w), (d_h, d_w) = _pair(kernel), _pair(stride), _pair(dilation)
    in_c = input_hwc[2] // groups     # tf.nn.conv2d infers the groups from the filter's depth
    rng = np.random.default_rng(seed)
    w = _pruned(_weights(rng, (k_h, k_w, in_c, out_c), 3, 1.5 / np.sqrt(k_h * k_w * in_c)), sparsity)
    b = rng.normal(0.0, 0.2, size=out_c).astype(np.float32)

    def body(x):
        y = tf.nn.conv2d(x, tf.constant(w), strides=[1, s_h, s_w, 1], padding=padding,
                         dilations=[1, d_h, d_w, 1])
        return activation(tf.nn.bias_add(y, tf.constant(b)), act)

    return convert(body, [(1, *input_hwc)], per_channel=per_channel, float_io=float_io, seed=seed)


def depthwise_conv2d(input_hwc, kernel=3, stride=1, padding="SAME", dilation=1, depth_multiplier=1,
                     act="NONE", per_channel=True, seed=0, sparsity=0.0) -> bytes:
    tf = import_tensorflow()
    (k_h, k_w), (s_h, s_w), (d_h, d_w) = _pair(kernel), _pair(stride), _pair(dilation)
    in_c = input_hwc[2]
    rng = np.random.default_rng(seed)
    w = _pruned(_weights(rng, (k_h, k_w, in_c * depth_multiplier), 2, 1.5 / np.sqrt(k_h * k_w)), sparsity)
    w = w.reshape(k_h, k_w, in_c, depth_multiplier)
    b = rng.normal(0.0, 0.2, size=in_c * depth_multiplier).astype(np.float32)

    def body(x):
        # The raw op keeps dilation as an attribute: tf.nn.depthwise_conv2d would emit SPACE_TO_BATCH_ND.
        y = tf.raw_ops.DepthwiseConv2dNative(input=x, filter=tf.constant(w), strides=[1, s_h, s_w, 1],
                                             padding=padding, dilations=[1, d_h, d_w, 1])
        return activation(tf.nn.bias_add(y, tf.constant(b)), act)

    return convert(body, [(1, *input_hwc)], per_channel=per_channel, seed=seed)


def fully_connected(input_shape, units: int, act="NONE", per_channel=True, seed=0, sparsity=0.0) -> bytes:
    """FULLY_CONNECTED on a [batch, n] input, or on a flattened input of any rank."""
    tf = import_tensorflow()
    batch, depth = input_shape[0], int(np.prod(input_shape[1:]))
    rng = np.random.default_rng(seed)
    w = _pruned(_weights(rng, (depth, units), 1, 1.5 / np.sqrt(depth)), sparsity)
    b = rng.normal(0.0, 0.2, size=units).astype(np.float32)

    def body(x):
        if len(input_shape) != 2:
            x = tf.reshape(x, (batch, depth))
        return activation(tf.matmul(x, tf.constant(w)) + tf.constant(b), act)

    return convert(body, [tuple(input_shape)], per_channel=per_channel, seed=seed)


def fully_connected_stack(depth: int, layers, seed=0) -> bytes:
    """FULLY_CONNECTED layers in a row, RELU between them; `layers` holds (units, sparsity) pairs."""
    tf = import_tensorflow()
    rng = np.random.default_rng(seed)
    weights, n = [], depth
    for units, sparsity in layers:
        weights.append((_pruned(_weights(rng, (n, units), 1, 1.5 / np.sqrt(n)), sparsity),
                        rng.normal(0.0, 0.2, size=units).astype(np.float32)))
        n = units

    def body(x):
        for w, b in weights[:-1]:
            x = tf.nn.relu(tf.matmul(x, tf.constant(w)) + tf.constant(b))
        w, b = weights[-1]
        return tf.matmul(x, tf.constant(w)) + tf.constant(b)

    return convert(body, [(1, depth)], seed=seed)


def pool2d(kind: str, input_hwc, size=2, stride=2, padding="VALID", seed=0) -> bytes:
    tf = import_tensorflow()
    (f_h, f_w), (s_h, s_w) = _pair(size), _pair(stride)
    op = {"AVG": tf.nn.avg_pool2d, "MAX": tf.nn.max_pool2d}[kind]

    def body(x):
        return op(x, ksize=[f_h, f_w], strides=[s_h, s_w], padding=padding)

    return convert(body, [(1, *input_hwc)], seed=seed)


def binary(kind: str, shape_a, shape_b, act="NONE", seed=0, ranges=(2.0, 0.7)) -> bytes:
    """ADD or MUL of two model inputs with different ranges (so different quantization)."""

    def body(a, b):
        return activation(a + b if kind == "ADD" else a * b, act)

    return convert(body, [tuple(shape_a), tuple(shape_b)], input_ranges=list(ranges), seed=seed)


def softmax(shape, beta=1.0, float_io=False, seed=0) -> bytes:
    """SOFTMAX on the last axis. The converter always writes beta 1 (it keeps a float scaling as a
    separate MUL), so another beta is set by editing the converted model's SoftmaxOptions."""
    tf = import_tensorflow()
    data = convert(lambda x: tf.nn.softmax(x), [tuple(shape)], input_ranges=[4.0], float_io=float_io, seed=seed)
    return data if beta == 1.0 else set_softmax_beta(data, beta)


def set_softmax_beta(data: bytes, beta: float) -> bytes:
    import_tensorflow()
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    softmax_codes = {i for i, code in enumerate(model.operatorCodes)
                     if max(code.builtinCode, code.deprecatedBuiltinCode) == schema.BuiltinOperator.SOFTMAX}
    patched = 0
    for subgraph in model.subgraphs:
        for op in subgraph.operators:
            if op.opcodeIndex in softmax_codes:
                op.builtinOptions.beta = float(beta)
                patched += 1
    if not patched:
        raise ValueError("no SOFTMAX operator to patch")
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def unary(kind: str, shape, input_range=4.0, seed=0) -> bytes:
    """LOGISTIC, TANH, RELU or RELU6 applied straight to the model input (nothing to fuse into)."""
    tf = import_tensorflow()
    op = {"LOGISTIC": tf.sigmoid, "TANH": tf.tanh, "RELU": tf.nn.relu, "RELU6": tf.nn.relu6}[kind]
    return convert(lambda x: op(x), [tuple(shape)], input_ranges=[input_range], seed=seed)


def activation_after(kind: str, after: str, shape, seed=0) -> bytes:
    """Standalone RELU or RELU6 after a CONCATENATION (which cannot take a fused activation in
    tinygen) of the input with itself, or after a PAD."""
    tf = import_tensorflow()
    op = {"RELU": tf.nn.relu, "RELU6": tf.nn.relu6}[kind]

    def body(x):
        if after == "CONCATENATION":
            y = tf.concat([x, x], axis=3)
        elif after == "PAD":
            y = tf.pad(x, tf.constant([[0, 0], [1, 1], [1, 1], [0, 0]], tf.int32))
        else:
            raise ValueError(after)
        return op(y)

    return convert(body, [tuple(shape)], input_ranges=[8.0], seed=seed)


def pad(shape, paddings, seed=0) -> bytes:
    tf = import_tensorflow()
    return convert(lambda x: tf.pad(x, tf.constant(paddings, tf.int32)), [tuple(shape)], seed=seed)


def concatenation(shape, axis: int, copies=2, seed=0) -> bytes:
    """Concatenation of the input with itself and with a shape-preserving max pool of it: all the
    inputs share the input's quantization."""
    tf = import_tensorflow()

    def body(x):
        parts = [x, tf.nn.max_pool2d(x, ksize=3, strides=1, padding="SAME")]
        parts += [x] * (copies - 2)
        return tf.concat(parts, axis=axis)

    return convert(body, [tuple(shape)], seed=seed)


def concatenation_requantized(shape, axis: int, seed=0) -> bytes:
    """Concatenation of the input (range +-3) with its TANH (fixed output scale 1/128): the
    converter requantizes one of them (QUANTIZE int8 -> int8) so that both share a quantization."""
    tf = import_tensorflow()
    return convert(lambda x: tf.concat([x, tf.tanh(x)], axis=axis), [tuple(shape)], input_ranges=[3.0],
                   seed=seed)


def mean(shape, axes, keepdims: bool, seed=0) -> bytes:
    tf = import_tensorflow()
    return convert(lambda x: tf.reduce_mean(x, axis=axes, keepdims=keepdims), [tuple(shape)], seed=seed)


def reshape_softmax(shape, new_shape, seed=0) -> bytes:
    """RESHAPE between two computing ops: TANH, RESHAPE, SOFTMAX."""
    tf = import_tensorflow()
    return convert(lambda x: tf.nn.softmax(tf.reshape(tf.tanh(x), new_shape)), [tuple(shape)],
                   input_ranges=[3.0], seed=seed)


def float_io_conv(input_hwc, out_c: int, seed=0) -> bytes:
    """A conv model left with float32 input and output: QUANTIZE, CONV_2D, DEQUANTIZE."""
    return conv2d(input_hwc, out_c, kernel=3, act="RELU", float_io=True, seed=seed)
