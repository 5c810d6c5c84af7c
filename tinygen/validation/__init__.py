"""Validation: the generated code against the TFLM runtime, byte for byte, on the host (host.py) or
on a board through the serial protocol (firmware.py), reported as one ValidationReport (report.py)."""
