"""Tells a Keras model from a TFLite flatbuffer by its content, not by the file's suffix."""

from pathlib import Path

# .keras files are zip archives, .h5 files HDF5; a SavedModel is a folder.
KERAS_SIGNATURES = (b"PK\x03\x04", b"\x89HDF\r\n\x1a\n")


def is_keras_model(path: Path) -> bool:
    """True for a float Keras model; anything else is left to the TFLite importer to accept or refuse."""
    path = Path(path)
    if path.is_dir():
        return True
    try:
        with path.open("rb") as file:
            return file.read(8).startswith(KERAS_SIGNATURES)
    except OSError:
        return False
