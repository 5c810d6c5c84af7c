"""The TensorFlow front end: distillation, pruning and INT8 quantization of a float Keras model."""
