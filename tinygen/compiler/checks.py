"""Refuses models tinygen cannot run, before anything is written, with every reason at once."""

from ..errors import UnsupportedModelError
from ..model.graph import Graph
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
    unsupported = [op for op in graph.operators if op.op_type not in SUPPORTED_OPS]
    if unsupported:
        listed = "\n".join(f"  operator {op.index}: {op.op_type}" for op in unsupported)
        problems.append(f"it uses operators tinygen does not support:\n{listed}\n"
                        f"Supported operators: {', '.join(SUPPORTED_OPS)}")
    if problems:
        raise UnsupportedModelError(f"cannot compile {model_name}: " + "\n".join(problems))
