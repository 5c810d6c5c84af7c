"""Facts about the TFLite flatbuffer schema that the importer needs: field indices and enums.

Operator and tensor type names come from the schema module shipped with the tflite-micro package,
so the names we print are always the ones TFLite itself uses.
"""

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as _schema

# Field indices (order of declaration in schema.fbs).
MODEL_OPERATOR_CODES, MODEL_SUBGRAPHS, MODEL_DESCRIPTION, MODEL_BUFFERS = 1, 2, 3, 4
OPCODE_DEPRECATED_BUILTIN, OPCODE_CUSTOM_CODE, OPCODE_BUILTIN = 0, 1, 3
SUBGRAPH_TENSORS, SUBGRAPH_INPUTS, SUBGRAPH_OUTPUTS, SUBGRAPH_OPERATORS = 0, 1, 2, 3
TENSOR_SHAPE, TENSOR_TYPE, TENSOR_BUFFER, TENSOR_NAME, TENSOR_QUANTIZATION = 0, 1, 2, 3, 4
TENSOR_SPARSITY = 6
QUANT_SCALE, QUANT_ZERO_POINT, QUANT_DIMENSION = 2, 3, 6
OPERATOR_OPCODE_INDEX, OPERATOR_INPUTS, OPERATOR_OUTPUTS = 0, 1, 2
OPERATOR_BUILTIN_OPTIONS_TYPE, OPERATOR_BUILTIN_OPTIONS = 3, 4
BUFFER_DATA, BUFFER_OFFSET, BUFFER_SIZE = 0, 1, 2

_BUILTIN_NAMES = {
    value: name for name, value in vars(_schema.BuiltinOperator).items() if not name.startswith("_")
}
_TYPE_NAMES = {
    value: name.lower() for name, value in vars(_schema.TensorType).items() if not name.startswith("_")
}

# Tensor types whose constant data tinygen reads; others are named but never decoded.
NUMPY_DTYPES = {
    "float32": np.float32, "int32": np.int32, "uint8": np.uint8, "int64": np.int64,
    "int16": np.int16, "int8": np.int8, "float64": np.float64, "bool": np.bool_,
}

PADDING = {0: "SAME", 1: "VALID"}
ACTIVATION = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}

# Builtin options: per op, the options table type and its fields as (option name, field index,
# struct format, schema default). Only the ops tinygen lowers are listed; others are imported without
# options. The defaults are the schema's (0 for strides, filter sizes and depth_multiplier), because
# TFLM reads the file as written; a missing table, or one of another type, leaves every field at 0.
_POOL = ("Pool2DOptions", [("padding", 0, "b", 0), ("stride_w", 1, "i", 0), ("stride_h", 2, "i", 0),
                           ("filter_w", 3, "i", 0), ("filter_h", 4, "i", 0), ("activation", 5, "b", 0)])
OPTION_FIELDS = {
    "CONV_2D": ("Conv2DOptions", [("padding", 0, "b", 0), ("stride_w", 1, "i", 0), ("stride_h", 2, "i", 0),
                                  ("activation", 3, "b", 0), ("dilation_w", 4, "i", 1), ("dilation_h", 5, "i", 1),
                                  ("quantized_bias_type", 6, "b", 0)]),
    "DEPTHWISE_CONV_2D": ("DepthwiseConv2DOptions", [
        ("padding", 0, "b", 0), ("stride_w", 1, "i", 0), ("stride_h", 2, "i", 0), ("depth_multiplier", 3, "i", 0),
        ("activation", 4, "b", 0), ("dilation_w", 5, "i", 1), ("dilation_h", 6, "i", 1)]),
    "AVERAGE_POOL_2D": _POOL,
    "MAX_POOL_2D": _POOL,
    "FULLY_CONNECTED": ("FullyConnectedOptions", [("activation", 0, "b", 0), ("weights_format", 1, "b", 0),
                                                  ("keep_num_dims", 2, "?", False), ("quantized_bias_type", 4, "b", 0)]),
    "SOFTMAX": ("SoftmaxOptions", [("beta", 0, "f", 0.0)]),
    "CONCATENATION": ("ConcatenationOptions", [("axis", 0, "i", 0), ("activation", 1, "b", 0)]),
    "ADD": ("AddOptions", [("activation", 0, "b", 0)]),
    "MUL": ("MulOptions", [("activation", 0, "b", 0)]),
    "MEAN": ("ReducerOptions", [("keep_dims", 0, "?", False)]),
}


def options_type_code(table_name: str) -> int:
    return getattr(_schema.BuiltinOptions, table_name)


def builtin_name(code: int) -> str:
    return _BUILTIN_NAMES.get(code, f"BUILTIN_{code}")


def type_name(code: int) -> str:
    return _TYPE_NAMES.get(code, f"type_{code}")
