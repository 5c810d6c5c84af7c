"""Refuses models tinygen cannot run, before anything is written, with every reason at once."""

import numpy as np

from ..boards import largest_ram_bytes
from ..errors import UnsupportedModelError
from ..model.graph import Graph, Tensor
from ..model.tflite_schema import NUMPY_DTYPES
from .ops import SUPPORTED_OPS

# Ops that may touch float32 in a full-integer model: its float interface.
_FLOAT_EDGE_OPS = {"QUANTIZE", "DEQUANTIZE"}

FULL_INTEGER_HOWTO = (
    "Convert it with full-integer quantization: converter = tf.lite.TFLiteConverter.from_keras_model(model); "
    "converter.optimizations = [tf.lite.Optimize.DEFAULT]; "
    "converter.representative_dataset = a function yielding about 100 real input samples; "
    "converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]; "
    "converter.inference_input_type = tf.int8; converter.inference_output_type = tf.int8"
)


def check_supported(graph: Graph, model_name: str) -> None:
    problems = []
    float_ops = [op for op in graph.operators if op.op_type not in _FLOAT_EDGE_OPS and any(
        graph.tensors[i].dtype == "float32" for i in op.inputs + op.outputs if i >= 0)]
    if float_ops:
        listed = ", ".join(f"{op.index} {op.op_type}" for op in float_ops[:8])
        more = f" and {len(float_ops) - 8} more" if len(float_ops) > 8 else ""
        problems.append(
            f"it computes in float32 (operators {listed}{more}); tinygen needs a full-integer int8 model. "
            + FULL_INTEGER_HOWTO)
    problems += _size_problems(graph) + _dataflow_problems(graph)
    unsupported = [op for op in graph.operators if op.op_type not in SUPPORTED_OPS]
    if unsupported:
        listed = "\n".join(f"  operator {op.index}: {op.op_type}" for op in unsupported)
        problems.append(f"it uses operators tinygen does not support:\n{listed}\n"
                        f"Supported operators: {', '.join(SUPPORTED_OPS)}")
    if problems:
        raise UnsupportedModelError(f"cannot compile {model_name}: " + "\n".join(problems))


def tensor_bytes(tensor: Tensor) -> int:
    """Bytes of a tensor's contents (an exact Python int, however large the dimensions)."""
    itemsize = np.dtype(NUMPY_DTYPES[tensor.dtype]).itemsize if tensor.dtype in NUMPY_DTYPES else 1
    return tensor.size * itemsize


def check_arena_fits(arena_bytes: int, model_name: str) -> None:
    limit = largest_ram_bytes()
    if arena_bytes > limit:
        raise UnsupportedModelError(
            f"cannot compile {model_name}: its activations need an arena of {arena_bytes} bytes; the largest "
            f"board tinygen knows has {limit} bytes of RAM")


def _size_problems(graph: Graph) -> list[str]:
    """Tensors no board could hold are refused before anything is sized from them."""
    limit = largest_ram_bytes()
    problems = []
    for tensor in graph.tensors:
        if tensor.size == 0:
            problems.append(f"tensor {tensor.index} '{tensor.name}' has shape {tensor.shape}, with no elements")
        elif not tensor.is_constant and tensor_bytes(tensor) > limit:
            problems.append(f"tensor {tensor.index} '{tensor.name}' of shape {tensor.shape} needs "
                            f"{tensor_bytes(tensor)} bytes; the largest board tinygen knows has {limit} bytes of RAM")
    return problems[:4]


def _dataflow_problems(graph: Graph) -> list[str]:
    """Operators read model inputs, constants or what an earlier operator wrote, and write new
    tensors, each once; every model input is read and every model output written."""
    problems = []
    ready = set(graph.inputs) | {t.index for t in graph.tensors if t.is_constant}
    read = set()
    for op in graph.operators:
        for index in op.inputs:
            if index >= 0 and index not in ready:
                problems.append(f"operator {op.index} ({op.op_type}) reads '{graph.tensors[index].name}' before "
                                "any operator writes it (variable or state tensors are not supported)")
            read.add(index)
        for index in (i for i in op.outputs if i >= 0):
            if index in ready:
                tensor = graph.tensors[index]
                kind = ("a constant" if tensor.is_constant else "a model input" if index in graph.inputs
                        else "written by an earlier operator")
                problems.append(f"operator {op.index} ({op.op_type}) writes '{tensor.name}', which is {kind}")
            ready.add(index)
    for index in graph.inputs:
        if index not in read:
            problems.append(f"model input '{graph.tensors[index].name}' is read by no operator")
    for index in graph.outputs:
        if index not in ready:
            problems.append(f"model output '{graph.tensors[index].name}' is written by no operator")
    return problems[:8]
