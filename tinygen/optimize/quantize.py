"""Full-integer INT8: post-training quantization with a representative data set, or
quantization-aware training (tfmot; sparsity-preserving when the model was pruned), and the int8
model's accuracy measured with the TFLM runtime."""

import tempfile
from pathlib import Path

import numpy as np

from ..compiler.quantization import quantize_float_to_int8
from ..model.tflite_importer import parse_tflite
from ..quiet_tensorflow import native_stderr_captured
from ..validation.reference import TflmReference
from .data import DataSet

REPRESENTATIVE_SAMPLES = 200


def convert_int8(model, data: DataSet) -> bytes:
    import tensorflow as tf

    samples = data.x_train[:REPRESENTATIVE_SAMPLES]
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([samples[i:i + 1]] for i in range(len(samples)))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    with native_stderr_captured():
        return bytes(converter.convert())


QAT_LAYERS = ("Conv2D", "DepthwiseConv2D", "Dense")


def quantization_aware(model, epochs: int, fit, pruned: bool):
    """Fine-tunes with fake quantization of the Conv2D/DepthwiseConv2D/Dense layers (others, such as
    a lone batch norm, which tfmot cannot annotate, are calibrated by the converter instead); keeps
    zeros at zero when the model was pruned."""
    import tensorflow_model_optimization as tfmot
    import tf_keras as keras

    quantization = tfmot.quantization.keras

    def annotate(layer):
        return quantization.quantize_annotate_layer(layer) if type(layer).__name__ in QAT_LAYERS else layer

    annotated = keras.models.clone_model(model, clone_function=annotate)
    scheme = (tfmot.experimental.combine.Default8BitPrunePreserveQuantizeScheme() if pruned
              else quantization.default_8bit.Default8BitQuantizeScheme())
    with quantization.quantize_scope():
        quantized = quantization.quantize_apply(annotated, scheme)
    fit(quantized, epochs)
    return quantized


def tflm_outputs(tflite: bytes, x: np.ndarray) -> np.ndarray:
    """The int8 model's dequantized first output for each sample, run by the TFLM runtime."""
    graph = parse_tflite(tflite)
    input_quant = graph.tensors[graph.inputs[0]].quant
    output_quant = graph.tensors[graph.outputs[0]].quant
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "model.tflite"
        path.write_bytes(tflite)
        reference = TflmReference(path, 1)
        q = quantize_float_to_int8(x, input_quant.scale[0], input_quant.zero_point[0])
        outputs = [reference.run([sample[np.newaxis]])[0] for sample in q]
    return (np.stack(outputs).astype(np.float64) - output_quant.zero_point[0]) * output_quant.scale[0]
