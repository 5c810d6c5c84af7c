"""The DSP kernels' requantization (templates/kernels/tg_requant_dsp.h): TFLM's multipliers and shifts
turned into the constants that code needs, for layers where its conditions provably hold: every right
shift at least 1, and accumulators bounded so that doubling them, and adding the rounding constant to
the scaled value, stays inside int32. A layer that fails them keeps its portable kernel."""

import numpy as np

from .layer import ConstArray, Layer

INT32_LIMIT = 1 << 31
ACCUMULATOR_LIMIT = 1 << 30     # the accumulator is doubled before the multiply


def product_accumulator_bounds(weights: np.ndarray, folded_bias: np.ndarray) -> np.ndarray:
    """Per output channel, the largest |folded bias + sum of weight * input| over int8 inputs."""
    weight_sums = np.abs(weights.reshape(weights.shape[0], -1).astype(np.int64)).sum(axis=1)
    return np.abs(folded_bias.astype(np.int64)) + 128 * weight_sums


def depthwise_accumulator_bounds(weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Per channel of a 1HWC depthwise filter, the largest |bias + sum of weight * (input + offset)|:
    an int8 input plus an offset in [-127, 128] lies in [-255, 255]."""
    weight_sums = np.abs(weights.reshape(-1, weights.shape[-1]).astype(np.int64)).sum(axis=0)
    return np.abs(bias.astype(np.int64)) + 255 * weight_sums


def folded_roundings(multipliers, shifts, offset: int, bounds):
    """The rounding constants 2^(right_shift - 1) + offset * 2^right_shift of TFLM's requantizations by
    (multiplier, shift) of accumulators |acc| <= bound (numbers or arrays of them), or None when some
    fails the conditions."""
    right_shifts = -np.asarray(shifts, dtype=np.int64)
    if (right_shifts < 1).any() or (right_shifts > 30).any() or (np.asarray(multipliers) < 0).any():
        return None
    roundings = (1 << (right_shifts - 1)) + offset * (1 << right_shifts)
    if (np.asarray(bounds) >= ACCUMULATOR_LIMIT).any() or (np.abs(roundings) + bounds + 1 >= INT32_LIMIT).any():
        return None
    return roundings


def dsp_rescale(multiplier: int, shift: int, offset: int, bound: int) -> dict | None:
    """The tg_rescale_t of one requantization by (multiplier, shift) plus offset, of values |acc| <= bound,
    or None when it fails the conditions."""
    rounding = folded_roundings(multiplier, shift, offset, bound)
    if rounding is None:
        return None
    return {"multiplier": multiplier, "rounding": int(rounding), "right_shift": -shift}


def dsp_requant(layer: Layer, accumulator_bounds: np.ndarray, per_channel: bool) -> dict | None:
    """The tg_requant_t of a lowered layer (its params name its multiplier and shift arrays), its new
    arrays added to the layer and its shift array dropped; None, with the layer unchanged, when the
    conditions fail for some channel."""
    p = layer.params
    arrays = {array.name: array for array in layer.arrays}
    multipliers, shifts = arrays[p["multipliers"]].values, arrays[p["shifts"]].values.astype(np.int64)
    bounds = accumulator_bounds if per_channel else accumulator_bounds.max(initial=0)
    roundings = folded_roundings(multipliers, shifts, p["output_offset"], bounds)
    if roundings is None:
        return None
    rounding_array = ConstArray(f"{layer.name}_roundings", "int32_t", roundings.astype(np.int32))
    shift_array = ConstArray(f"{layer.name}_right_shifts", "int8_t", (-shifts).astype(np.int8))
    layer.arrays = [array for array in layer.arrays if array.name != p["shifts"]] + [rounding_array, shift_array]
    return {"multipliers": p["multipliers"], "roundings": rounding_array.name, "right_shifts": shift_array.name,
            "per_channel": int(per_channel), "act_min": p["act_min"], "act_max": p["act_max"]}
