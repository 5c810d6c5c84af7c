"""The one exception type the CLI turns into a clear message and an exit code."""


class TinygenError(Exception):
    """A failure the user can act on: the message names the cause and the fix."""

    exit_code = 1


class ModelFormatError(TinygenError):
    """The file is not a readable TFLite flatbuffer."""

    exit_code = 2


class UnsupportedModelError(TinygenError):
    """A valid model that tinygen refuses (unsupported ops or types)."""

    exit_code = 3
