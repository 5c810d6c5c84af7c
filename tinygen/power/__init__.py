"""Measured power: current traces from a profiler (Nordic PPK2, Joulescope, plain CSV), the inference
windows in them, energy per inference and battery life, and a board's energy model calibrated from a
trace."""
