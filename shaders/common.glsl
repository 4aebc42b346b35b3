/* common.glsl: helpers shared by every Quantscope compute kernel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Vulkan lets a compiler reorder and fuse floating-point operations that
 * are not marked `precise`, and lets it assume that no value is NaN or
 * infinite unless the shader opts out. The kernels therefore mark every
 * computation whose rounding matters as `precise`, and never rely on NaN
 * or infinity reaching a comparison.
 */

#ifndef QS_COMMON_GLSL
#define QS_COMMON_GLSL

/* Maps fp32 bits to an int that orders like the values (−0 before +0).
 * The map is its own inverse. */
int
order_key (uint bits)
{
  return int (bits ^ (uint (int (bits) >> 31) & 0x7fffffffu));
}

float
float_from_order_key (int key)
{
  uint bits = uint (key);

  return uintBitsToFloat (bits ^ (uint (key >> 31) & 0x7fffffffu));
}

/* Adds two compensated sums, each a value plus its rounding error, with
 * Knuth's TwoSum, so that a long sum keeps about twice fp32's precision. */
vec2
two_sum_add (vec2 a, vec2 b)
{
  precise float s = a.x + b.x;
  precise float bp = s - a.x;
  precise float err = (a.x - (s - bp)) + (b.x - bp);
  precise float low = err + a.y + b.y;

  return vec2 (s, low);
}

/* Rounds to bfloat16 with ties to even, for finite values. */
float
round_bf16 (float value)
{
  uint bits = floatBitsToUint (value);

  bits = (bits + 0x7fffu + ((bits >> 16) & 1u)) & 0xffff0000u;
  return uintBitsToFloat (bits);
}

/* Rounds to IEEE binary16 with ties to even and widens back, keeping
 * subnormals; magnitudes from 65520 up become infinite as in a real
 * float16 cast. For finite values. */
float
round_f16 (float value)
{
  uint bits = floatBitsToUint (value);
  uint sign = bits & 0x80000000u;
  uint magnitude = bits & 0x7fffffffu;

  if (magnitude >= 0x477ff000u)
    return uintBitsToFloat (sign | 0x7f800000u);

  if (magnitude < 0x38800000u)
    {
      /* Below 2^-14, count steps of 2^-24; both scalings are exact. */
      precise float steps = roundEven (uintBitsToFloat (magnitude) * 16777216.0);
      precise float rounded = steps * (1.0 / 16777216.0);

      return uintBitsToFloat (floatBitsToUint (rounded) | sign);
    }

  magnitude = (magnitude + 0xfffu + ((magnitude >> 13) & 1u)) & ~0x1fffu;
  return uintBitsToFloat (magnitude | sign);
}

/* Model dtypes of the low-rank product, as the host numbers them. */
#define MODEL_ROUND_NONE 0u
#define MODEL_ROUND_BF16 1u
#define MODEL_ROUND_F16  2u

float
round_model (float value, uint mode)
{
  if (mode == MODEL_ROUND_BF16)
    return round_bf16 (value);
  if (mode == MODEL_ROUND_F16)
    return round_f16 (value);
  return value;
}

#endif
