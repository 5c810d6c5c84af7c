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


def constant_accumulators(weights: np.ndarray, folded_bias: np.ndarray) -> dict[int, int]:
    """The output channels whose weights are all 0, and their accumulator: the folded bias, whatever the input."""
    zero = ~weights.reshape(weights.shape[0], -1).any(axis=1)
    return {int(c): int(folded_bias[c]) for c in np.flatnonzero(zero)}


# A channel whose accumulator is a known constant (all its weights 0) is pinned: its accumulator replaced by
# 4w, where w is its TFLM output before the offset, and requantized by multiplier 2^30 and right shift 1,
# which make w of 4w exactly. w is clipped to PIN_RANGE, whose ends the offset and clamp take to act_min
# and act_max as they do the true w.
PIN_MULTIPLIER, PIN_RANGE = 1 << 30, (-256, 256)


def pinned_accumulator(accumulator: int, multiplier: int, shift: int) -> int:
    """The accumulator that multiplier PIN_MULTIPLIER and right shift 1 requantize to the clipped TFLM
    requantization of accumulator by (multiplier, shift)."""
    return 4 * int(np.clip(tflm_requantize(accumulator, multiplier, shift), *PIN_RANGE))


def dsp_requant(layer: Layer, accumulator_bounds: np.ndarray, per_channel: bool,
                constants: dict[int, int] | None = None, folded_bias: ConstArray | None = None) -> dict | None:
    """The tg_requant_t of a lowered layer (its params' requant part names its multiplier and shift arrays),
    its new arrays added to the layer, its shift array dropped (and its multipliers replaced, for fixed channels);
    None, with the layer unchanged, when the conditions fail for some channel.
    constants: channel -> accumulator, for channels whose accumulator does not depend on the input
    (constant_accumulators; per channel only), pinned in folded_bias, the bias that makes their accumulator."""
    p = layer.params["requant"]
    arrays = {array.name: array for array in layer.arrays}
    multipliers, shifts = arrays[p["multipliers"]].values, arrays[p["shifts"]].values.astype(np.int64)
    right_shifts = -shifts
    bounds = accumulator_bounds if per_channel else accumulator_bounds.max(initial=0)
    # A silent channel's output is the output offset for every input: multiplier 0 and right shift 1 make
    # that value from the rounding constant 2 * offset + 1, whatever the accumulator.
    silent = _silent_channels(multipliers, right_shifts, bounds)
    pinned = np.zeros(multipliers.shape, bool)
    pinned_bias = None if folded_bias is None else folded_bias.values.copy()
    for channel, accumulator in (constants or {}).items() if per_channel else ():
        pinned[channel], silent[channel] = True, False
        pinned_bias[channel] = pinned_accumulator(accumulator, int(multipliers[channel]), int(shifts[channel]))
    multipliers = np.where(silent, 0, np.where(pinned, PIN_MULTIPLIER, multipliers)).astype(np.int32)
    right_shifts = np.where(silent | pinned, 1, right_shifts)
    bounds = np.where(silent, 0, np.where(pinned, 4 * max(map(abs, PIN_RANGE)), bounds))
    if folded_roundings(multipliers, -right_shifts, p["output_offset"], bounds) is None:
        return None
    if pinned_bias is not None:
        folded_bias.values = pinned_bias
    shift_array = ConstArray(f"{layer.name}_rounding_shifts", "int8_t", (right_shifts - 1).astype(np.int8))
    multiplier_array = ConstArray(p["multipliers"], "int32_t", multipliers)
    kept = [array for array in layer.arrays if array.name not in (p["shifts"], p["multipliers"])]
    layer.arrays = kept + [multiplier_array, shift_array]
    return {"multipliers": p["multipliers"], "rounding_shifts": shift_array.name,
            "offset_rounding": 2 * p["output_offset"] + 1,
            "per_channel": int(per_channel), "clamp": p["clamp"]}


def _silent_channels(multipliers: np.ndarray, right_shifts: np.ndarray, bounds) -> np.ndarray:
    """The channels whose TFLM requantization is 0 for every accumulator within the bounds (the tiny scale of
    a channel with few or no non-zero weights: a right shift near 31, whose rounding constant would not fit
    int32). Multiplier 0 and right shift 1 compute that 0, plus the output offset, exactly. TFLM's doubling
    high multiply of |acc| <= bound by m >= 0 lies in [-(bound * m + 2^30) / 2^31, (bound * m + 2^30) / 2^31],
    and the division by 2^r rounding half away from zero makes 0 of any |h| < 2^(r - 1)."""
    bounds = np.broadcast_to(bounds, multipliers.shape).tolist()
    return np.array([r >= 1 and m >= 0 and b * m + (1 << 30) < 1 << (r + 30)
                     for b, m, r in zip(bounds, multipliers.tolist(), right_shifts.tolist())], bool)


def tflm_requantize(accumulator: int, multiplier: int, shift: int) -> int:
    """TFLM's MultiplyByQuantizedMultiplier (tg_multiply_by_quantized_multiplier) on Python integers."""
    x = ((accumulator << max(shift, 0)) + INT32_LIMIT) % (1 << 32) - INT32_LIMIT
    if x == multiplier == -INT32_LIMIT:
        high = INT32_LIMIT - 1
    else:
        product = x * multiplier
        nudged = product + ((1 << 30) if product >= 0 else 1 - (1 << 30))
        high = abs(nudged) >> 31 if nudged >= 0 else -(abs(nudged) >> 31)     # C's division truncates
    right = max(-shift, 0)
    mask = (1 << right) - 1
    return (high >> right) + ((high & mask) > (mask >> 1) + (high < 0))
