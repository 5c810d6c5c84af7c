"""TensorFlow without its noise: its C++ side logs through absl before any log level applies and the
converter prints straight to the stderr file descriptor, so those moments run with descriptor 2
captured; what was captured is shown only when the step fails. Import lazily: it is slow."""

import contextlib
import os
import sys
import tempfile
import warnings


@contextlib.contextmanager
def native_stderr_captured():
    """Sends everything written to file descriptor 2 (C++ included) to a temporary file for the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def import_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with native_stderr_captured():
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
        try:
            import absl.logging
            absl.logging.set_verbosity(absl.logging.ERROR)
        except ImportError:
            pass
    return tf
