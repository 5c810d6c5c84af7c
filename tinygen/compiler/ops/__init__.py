"""One module per family of operators; each lowers a TFLite operator to a kernel call."""

from . import activations, conv, elementwise, fully_connected, pooling, quantize, reduce, shape

LOWERINGS = {
    "CONV_2D": conv.lower_conv_2d,
    "DEPTHWISE_CONV_2D": conv.lower_depthwise_conv_2d,
    "FULLY_CONNECTED": fully_connected.lower_fully_connected,
    "AVERAGE_POOL_2D": pooling.lower_average_pool_2d,
    "MAX_POOL_2D": pooling.lower_max_pool_2d,
    "ADD": elementwise.lower_add,
    "MUL": elementwise.lower_mul,
    "SOFTMAX": activations.lower_softmax,
    "LOGISTIC": activations.lower_logistic,
    "TANH": activations.lower_tanh,
    "RELU": activations.lower_relu,
    "RELU6": activations.lower_relu6,
    "QUANTIZE": quantize.lower_quantize,
    "DEQUANTIZE": quantize.lower_dequantize,
    "RESHAPE": shape.lower_alias,
    "PAD": shape.lower_pad,
    "CONCATENATION": shape.lower_concatenation,
    "MEAN": reduce.lower_mean,
}

SUPPORTED_OPS = tuple(sorted(LOWERINGS))
