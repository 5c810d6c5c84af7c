"""Training a student: plain labels, or knowledge distillation from the teacher's softened outputs."""

import numpy as np

from ..progress import progress_bar
from .data import DataSet

BATCH_SIZE = 32
LEARNING_RATE = 2e-3


def distillation_loss(classes: int, temperature: float, alpha: float):
    """alpha * cross-entropy with the labels + (1 - alpha) * T^2 * KL(teacher_T || student_T); the
    targets hold the one-hot labels followed by the teacher's logits."""
    import tensorflow as tf

    def loss(targets, logits):
        hard, teacher_logits = targets[:, :classes], targets[:, classes:]
        cross_entropy = tf.keras.losses.categorical_crossentropy(hard, logits, from_logits=True)
        soft_teacher = tf.nn.softmax(teacher_logits / temperature)
        log_soft_student = tf.nn.log_softmax(logits / temperature)
        kl = tf.reduce_sum(soft_teacher * (tf.math.log(soft_teacher + 1e-9) - log_soft_student), axis=-1)
        return alpha * cross_entropy + (1.0 - alpha) * temperature ** 2 * kl

    return loss


def fit(model, data: DataSet, epochs: int, teacher_logits: np.ndarray | None = None, temperature: float = 4.0,
        alpha: float = 0.1, callbacks=()) -> None:
    import tf_keras as keras

    if data.is_classification and teacher_logits is not None:
        targets = np.concatenate([np.eye(data.classes, dtype=np.float32)[data.y_train], teacher_logits], axis=1)
        loss = distillation_loss(data.classes, temperature, alpha)
    elif data.is_classification:
        targets, loss = data.y_train, keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    elif teacher_logits is not None:
        targets = alpha * data.y_train.reshape(teacher_logits.shape) + (1 - alpha) * teacher_logits
        loss = keras.losses.MeanSquaredError()
    else:
        targets, loss = data.y_train, keras.losses.MeanSquaredError()
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss=loss)
    with progress_bar("training", epochs) as advance:
        on_epoch = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: advance())
        model.fit(data.x_train, targets, epochs=epochs, batch_size=BATCH_SIZE, verbose=0, shuffle=True,
                  callbacks=[*callbacks, on_epoch])


def score(outputs: np.ndarray, data: DataSet) -> float:
    """Accuracy for classifiers; for regression the negative mean squared error."""
    outputs = outputs.reshape(len(outputs), -1)
    if data.is_classification:
        return float(np.mean(outputs.argmax(axis=1) == data.y_test))
    return -float(np.mean((outputs - data.y_test.reshape(len(outputs), -1)) ** 2))
