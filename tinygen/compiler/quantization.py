"""TFLite's generation-time quantization arithmetic, reproduced exactly.

Each function mirrors the computation TFLite Micro does in a kernel's Prepare step (same types,
same order of operations), so the constants tinygen bakes into C are the ones TFLM would use.
"""

import math

import numpy as np

INT8_MIN, INT8_MAX = -128, 127
INT32_LIMIT = 1 << 31
MAX_LEFT_SHIFT = 30    # x * 2^shift in TFLM's requantization overflows int32 beyond this


class QuantizationRangeError(ArithmeticError):
    """A model's scales make TFLM's integer arithmetic refuse, abort or overflow: tinygen refuses
    the model (the compiler names the operator)."""


def round_half_away(value: float) -> int:
    """std::round: halves go away from zero (value - trunc(value) is exact in binary floating point)."""
    integer = math.trunc(value)
    if abs(value - integer) >= 0.5:
        integer += 1 if value > 0 else -1
    return integer


def quantize_multiplier(real_multiplier: float, max_shift: int = MAX_LEFT_SHIFT) -> tuple[int, int]:
    """A real multiplier as a Q31 significand and a power-of-two exponent (TFLite QuantizeMultiplier)."""
    if not math.isfinite(real_multiplier) or real_multiplier < 0:
        raise QuantizationRangeError(f"the rescaling factor {real_multiplier:g} (from the tensors' scales) "
                                     "is not a finite non-negative number")
    if real_multiplier == 0.0:
        return 0, 0
    significand, shift = math.frexp(real_multiplier)
    q_fixed = round_half_away(significand * (1 << 31))
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > max_shift:
        raise QuantizationRangeError(f"the rescaling factor {real_multiplier:g} (from the tensors' scales) is "
                                     f"2^{shift - 1} or more; TFLM's integer rescaling overflows above 2^{max_shift}")
    return q_fixed, shift


def frexp_multiplier(real_multiplier: float) -> tuple[int, int]:
    """frexp and round without QuantizeMultiplier's corrections, as LOGISTIC and TANH prepare."""
    significand, shift = math.frexp(real_multiplier)
    multiplier = round_half_away(significand * (1 << 31))
    return (multiplier - (1 << 32) if multiplier >= 1 << 31 else multiplier), shift   # int32 wrap, as in C


def input_radius(integer_bits: int, left_shift: int, total_signed_bits: int = 31) -> int:
    """Largest input difference the fixed-point exp/logistic/tanh paths are fed (CalculateInputRadius)."""
    if not 0 <= left_shift <= 31:
        # TFLM computes 1 << left_shift in C: undefined for these, so no reference result exists.
        raise QuantizationRangeError(f"the input scale gives a fixed-point shift of {left_shift}, outside the "
                                     "0..31 that TFLM's input radius is defined for")
    max_input_rescaled = (1.0 * ((1 << integer_bits) - 1) * (1 << (total_signed_bits - integer_bits))
                          / (1 << left_shift))
    return int(math.floor(max_input_rescaled))


def quantize_float_to_int8(values, scale: float, zero_point: int) -> np.ndarray:
    """Float values to int8 as TFLite's QUANTIZE kernel does: the division in double, rounding half
    away from zero, the zero point added, then clamped."""
    scaled = np.asarray(values, dtype=np.float64) / scale
    truncated = np.trunc(scaled)
    rounded = truncated + np.where(np.abs(scaled - truncated) >= 0.5, np.sign(scaled), 0.0)
    return np.clip(rounded + zero_point, INT8_MIN, INT8_MAX).astype(np.int8)


def _quantize_float32(value: float, scale: float, zero_point: int) -> int:
    # TFLite divides in float32 here, then rounds; it refuses results outside int32.
    quotient = float(np.float32(value) / np.float32(scale))
    if not math.isfinite(quotient) or abs(quotient) >= INT32_LIMIT - 256:
        raise QuantizationRangeError(f"{value:g} in the scale {scale:g} is {quotient:g}, outside int32 "
                                     "(TFLM refuses such an activation range)")
    return zero_point + round_half_away(quotient)


def activation_range(activation: str, scale: float, zero_point: int) -> tuple[int, int]:
    """The int8 clamp of a fused activation (CalculateActivationRangeQuantized)."""
    if activation == "NONE":
        return INT8_MIN, INT8_MAX
    if activation == "RELU":
        return max(INT8_MIN, _quantize_float32(0.0, scale, zero_point)), INT8_MAX
    if activation == "RELU6":
        return (max(INT8_MIN, _quantize_float32(0.0, scale, zero_point)),
                min(INT8_MAX, _quantize_float32(6.0, scale, zero_point)))
    if activation == "RELU_N1_TO_1":
        return (max(INT8_MIN, _quantize_float32(-1.0, scale, zero_point)),
                min(INT8_MAX, _quantize_float32(1.0, scale, zero_point)))
    raise ValueError(f"fused activation {activation} has no int8 range")


def float_to_int8(value: float, scale: float, zero_point: int) -> int:
    """FloatToQuantizedType<int8_t>: round(value / scale) + zero point, clamped."""
    return min(INT8_MAX, max(INT8_MIN, _quantize_float32(value, scale, zero_point)))


def window_overflows_int32(in_size: int, filter_size: int, stride: int, dilation: int, out_size: int) -> bool:
    """Whether TFLM's int window arithmetic (output size, padding) overflows for this axis."""
    effective_filter = (filter_size - 1) * dilation + 1
    largest = max(effective_filter, in_size + stride - 1, (out_size - 1) * stride + effective_filter)
    return largest >= INT32_LIMIT


def leading_padding(stride: int, dilation: int, in_size: int, filter_size: int, out_size: int) -> int:
    """Leading padding (ComputePaddingWithOffset); the odd pixel of SAME padding goes at the end."""
    effective_filter = (filter_size - 1) * dilation + 1
    total = max(0, (out_size - 1) * stride + effective_filter - in_size)
    return total // 2


def output_size(padding: str, in_size: int, filter_size: int, stride: int, dilation: int) -> int:
    effective_filter = (filter_size - 1) * dilation + 1
    if padding == "SAME":
        return (in_size + stride - 1) // stride
    return (in_size + stride - effective_filter) // stride
