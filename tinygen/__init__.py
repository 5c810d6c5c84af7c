"""tinygen: turns a trained int8 network into microcontroller firmware and proves it right."""

__version__ = "0.1.0"
