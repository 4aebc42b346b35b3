/* quant.glsl: SDNQ's quantization arithmetic, bit for bit
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * These functions mirror the CPU quantizer in src/engine/qs-quant.c: fp32
 * throughout, scales by correctly rounded division, round-half-even for
 * integers, SDNQ's guard-nibble encoder for custom floats, and
 * round-to-nearest-even for native floats. The including kernel defines
 * the push constant block `pc` with the members used below.
 *
 * Two variants give exact division and fused multiply-add: the default
 * one relies on a fused fma(), which GPUs have in hardware, and the one
 * built with QS_FLOAT64 computes both in fp64 for devices whose fma() is
 * a multiply and an add. The host picks one by probing the device.
 */

#ifndef QS_QUANT_GLSL
#define QS_QUANT_GLSL

#include "common.glsl"

#define VARIANT_INT_SMALL    0u
#define VARIANT_INT_WIDE     1u
#define VARIANT_CUSTOM_FLOAT 2u
#define VARIANT_NATIVE_ROUND 3u
#define VARIANT_IDENTITY     4u

#ifdef QS_FLOAT64

/* The fp64 variant, for devices whose fma() is not fused (lavapipe
 * computes it as a multiply and an add). */

/* Returns a·b + c rounded once, as C's fmaf does. The product is exact in
 * fp64 (48 significant bits); the sum is rounded to odd, by moving an
 * inexact even result one ulp towards the exact value found by TwoSum, and
 * rounding a round-to-odd result of 53 bits to fp32's 24 is correct
 * (Boldo and Melquiond, "Emulation of FMA and correctly rounded sums",
 * IEEE Trans. Computers 57(4), 2008). */
float
exact_fma (float a, float b, float c)
{
  precise double product = double (a) * double (b);
  precise double sum = product + double (c);
  precise double b_part = sum - product;
  precise double error = (product - (sum - b_part)) + (double (c) - b_part);
  uvec2 bits = unpackDouble2x32 (sum);

  if (error != 0.0 && (bits.x & 1u) == 0u)
    {
      if ((error > 0.0) == (sum > 0.0))
        {
          bits.x += 1u;
          bits.y += bits.x == 0u ? 1u : 0u;
        }
      else
        {
          bits.y -= bits.x == 0u ? 1u : 0u;
          bits.x -= 1u;
        }
      sum = packDouble2x32 (bits);
    }

  return float (sum);
}

/* Returns a / b rounded to nearest even. A quotient of two fp32 values is
 * either exact in fp64 or at least 2^-49 of its magnitude away from the
 * nearest fp32 tie, so an fp64 quotient within a few fp64 ulps rounds to
 * the correctly rounded fp32 quotient. */
float
div_rn (float a, float b)
{
  precise double quotient = double (a) / double (b);

  return float (quotient);
}

#else

float
exact_fma (float a, float b, float c)
{
  return fma (a, b, c);
}

/* Returns a / b rounded to nearest even, as IEEE division does. Vulkan
 * allows OpFDiv an error of 2.5 ulp, so the quotient is corrected with the
 * exact remainder a − q·b from a fused multiply-add: q is accepted when
 * the remainder shows the true quotient within half a gap of q, otherwise
 * q moves one ulp towards it. A quotient of two floats is never exactly
 * halfway between two floats, so there is no tie to break. Where a, b or
 * q lies outside 1e-27 to 1e27 in magnitude, the remainder could
 * underflow, and the plain quotient is returned. NOTE: such quotients
 * (a tiny weight, or a group whose maximum is below 1e-25) round to zero
 * in every SDNQ dtype except the float32 and bfloat16 weight dtypes,
 * whose last bit may then differ from the CPU's. */
float
div_rn (float a, float b)
{
  precise float q = a / b;
  float abs_a = abs (a);
  float abs_b = abs (b);
  float abs_q = abs (q);

  if (!(abs_a >= 1.0e-27 && abs_a <= 1.0e27 &&
        abs_b >= 1.0e-27 && abs_b <= 1.0e27 &&
        abs_q >= 1.0e-27 && abs_q <= 1.0e27))
    return q;

  for (int i = 0; i < 4; i++)
    {
      uint bits = floatBitsToUint (abs_q);
      precise float remainder = fma (-abs_q, abs_b, abs_a);
      precise float above = uintBitsToFloat (bits + 1u);
      precise float below = uintBitsToFloat (bits - 1u);
      precise float gap_above = above - abs_q;
      precise float gap_below = abs_q - below;
      precise float limit_above = (0.5 * gap_above) * abs_b;
      precise float limit_below = (0.5 * gap_below) * abs_b;

      if (remainder >= 0.0)
        {
          if (remainder <= limit_above)
            break;
          abs_q = above;
        }
      else
        {
          if (-remainder <= limit_below)
            break;
          abs_q = below;
        }
    }

  return ((a < 0.0) != (b < 0.0)) ? -abs_q : abs_q;
}

#endif

/* Integers of up to 16 bits: clamp, then round half to even (the clamp
 * bounds are integers, so the order does not matter). */
float
int_small_value (float q)
{
  return roundEven (clamp (q, pc.qmin, pc.qmax));
}

/* 32-bit integers: the clamp bounds round to 2^31 and 2^32 in fp32, and
 * PyTorch's conversion wraps those to −2^31 and 0. */
float
int_wide_value (float q)
{
  float value = roundEven (clamp (q, pc.qmin, pc.qmax));

  if (pc.wrap == 1u && value >= 2147483648.0)
    value = -2147483648.0;
  if (pc.wrap == 2u && value >= 4294967296.0)
    value = 0.0;

  return value;
}

/* SDNQ's pack_float followed by unpack_float: guard-nibble rounding (up
 * only from 9/16 of a unit), round-half-even steps below the smallest
 * normal, truncation elsewhere. */
float
custom_float_value (float q)
{
  uint bits = floatBitsToUint (clamp (q, pc.qmin, pc.qmax));
  uint nibble = (bits >> (pc.shift - 4u)) & 0xfu;
  uint sign;
  float magnitude;
  float units;
  float subnormal;
  float normal;

  bits += nibble > 8u ? (1u << pc.shift) : 0u;
  sign = bits & 0x80000000u;
  magnitude = uintBitsToFloat (bits & 0x7fffffffu);

  /* Both scalings are powers of two, so they are exact. */
  units = roundEven (magnitude * pc.to_units);
  units = units == pc.lost_units ? 0.0 : units;
  subnormal = uintBitsToFloat (floatBitsToUint (units * pc.unit) | (units != 0.0 ? sign : 0u));
  normal = uintBitsToFloat (bits & ~((1u << pc.shift) - 1u));

  return magnitude < pc.min_normal ? subnormal : normal;
}

/* Round-to-nearest-even into float16, bfloat16 or an fp8 format, for
 * values already clamped to the format's range. */
float
native_round_value (float q)
{
  uint bits = floatBitsToUint (clamp (q, pc.qmin, pc.qmax));
  uint sign = bits & 0x80000000u;
  uint magnitude_bits = bits & 0x7fffffffu;
  uint odd = (magnitude_bits >> pc.shift) & 1u;
  uint normal_bits = (magnitude_bits + ((1u << (pc.shift - 1u)) - 1u) + odd) &
                     ~((1u << pc.shift) - 1u);
  float magnitude = uintBitsToFloat (magnitude_bits);
  float subnormal = roundEven (magnitude * pc.to_units) * pc.unit;
  float rounded = magnitude < pc.min_normal ? subnormal : uintBitsToFloat (normal_bits);

  return uintBitsToFloat (floatBitsToUint (rounded) | sign);
}

float
quantized_value (float q)
{
  if (VARIANT == VARIANT_INT_SMALL)
    return int_small_value (q);
  else if (VARIANT == VARIANT_INT_WIDE)
    return int_wide_value (q);
  else if (VARIANT == VARIANT_CUSTOM_FLOAT)
    return custom_float_value (q);
  else if (VARIANT == VARIANT_NATIVE_ROUND)
    return native_round_value (q);
  else
    return clamp (q, pc.qmin, pc.qmax);
}

#endif
