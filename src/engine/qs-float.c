/* qs-float.c: scalar conversions between fp32 and the narrow float formats
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "qs-float.h"

static inline guint32
f32_to_bits (float value)
{
  guint32 bits;

  memcpy (&bits, &value, sizeof bits);
  return bits;
}

static inline float
f32_from_bits (guint32 bits)
{
  float value;

  memcpy (&value, &bits, sizeof value);
  return value;
}

/* Narrows the magnitude bits @abs_bits (no sign, not NaN, below the format's
 * overflow threshold) to a small IEEE-style format with round-to-nearest-even.
 * @mantissa_bits and @bias describe the target. The result has the exponent
 * field above the mantissa field and no sign. */
static guint32
narrow_magnitude_rne (guint32 abs_bits,
                      guint   mantissa_bits,
                      gint    bias)
{
  guint shift = 23 - mantissa_bits;
  gint min_normal_exponent = 1 - bias;

  if (abs_bits < (guint32) (127 + min_normal_exponent) << 23)
    {
      /* Subnormal in the target: count units of 2^(min_normal_exponent −
       * mantissa_bits). The scaling is a power of two, so it is exact, and
       * rintf rounds half to even in the default rounding mode. A result of
       * 2^mantissa_bits is the smallest normal, which this encoding yields. */
      float scaled = ldexpf (f32_from_bits (abs_bits),
                             (int) mantissa_bits - min_normal_exponent);

      return (guint32) rintf (scaled);
    }
  else
    {
      guint32 odd = (abs_bits >> shift) & 1;

      /* Re-bias the exponent, then add just under half a unit (plus one when
       * the kept part is odd) so that the carry implements ties-to-even. */
      abs_bits += (guint32) (bias - 127) << 23;
      abs_bits += ((1u << (shift - 1)) - 1) + odd;
      return abs_bits >> shift;
    }
}

float
qs_bf16_to_f32 (guint16 bits)
{
  return f32_from_bits ((guint32) bits << 16);
}

guint16
qs_f32_to_bf16 (float value)
{
  guint32 bits = f32_to_bits (value);

  if ((bits & 0x7FFFFFFFu) > 0x7F800000u)
    return (guint16) (((bits >> 16) & 0x8000u) | 0x7FC0u);

  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return (guint16) (bits >> 16);
}

float
qs_round_bf16 (float value)
{
  return qs_bf16_to_f32 (qs_f32_to_bf16 (value));
}

float
qs_f16_to_f32 (guint16 bits)
{
  guint32 sign = (guint32) (bits & 0x8000u) << 16;
  guint32 exponent = (bits >> 10) & 0x1Fu;
  guint32 mantissa = bits & 0x3FFu;
  float magnitude;

  if (exponent == 0x1F)
    return f32_from_bits (sign | 0x7F800000u | (mantissa << 13));

  if (exponent == 0)
    magnitude = ldexpf ((float) mantissa, -24);
  else
    magnitude = f32_from_bits (((exponent + 112) << 23) | (mantissa << 13));

  return f32_from_bits (sign | f32_to_bits (magnitude));
}

guint16
qs_f32_to_f16 (float value)
{
  guint32 bits = f32_to_bits (value);
  guint16 sign = (guint16) ((bits >> 16) & 0x8000u);
  guint32 abs_bits = bits & 0x7FFFFFFFu;

  if (abs_bits > 0x7F800000u)
    return sign | 0x7E00u;

  /* 65520 is halfway between 65504 (odd mantissa) and 2^16, so it and
   * everything above rounds to infinity. */
  if (abs_bits >= 0x477FF000u)
    return sign | 0x7C00u;

  return sign | (guint16) narrow_magnitude_rne (abs_bits, 10, 15);
}

float
qs_round_f16 (float value)
{
  return qs_f16_to_f32 (qs_f32_to_f16 (value));
}

float
qs_f8e4m3_to_f32 (guint8 bits)
{
  guint32 sign = (guint32) (bits & 0x80u) << 24;
  guint32 exponent = (bits >> 3) & 0xFu;
  guint32 mantissa = bits & 0x7u;
  float magnitude;

  if (exponent == 0xF && mantissa == 0x7)
    return f32_from_bits (sign | 0x7FC00000u);

  if (exponent == 0)
    magnitude = ldexpf ((float) mantissa, -9);
  else
    magnitude = f32_from_bits (((exponent + 120) << 23) | (mantissa << 20));

  return f32_from_bits (sign | f32_to_bits (magnitude));
}

guint8
qs_f32_to_f8e4m3 (float value)
{
  guint32 bits = f32_to_bits (value);
  guint8 sign = (guint8) ((bits >> 24) & 0x80u);
  guint32 abs_bits = bits & 0x7FFFFFFFu;

  /* Like PyTorch's c10 conversion, magnitudes of 480 and above (including
   * infinities) become NaN, as does everything that rounds past 448. */
  if (abs_bits >= 0x43F00000u)
    return sign | 0x7Fu;

  return sign | (guint8) narrow_magnitude_rne (abs_bits, 3, 7);
}

float
qs_f8e5m2_to_f32 (guint8 bits)
{
  return qs_f16_to_f32 ((guint16) ((guint16) bits << 8));
}

guint8
qs_f32_to_f8e5m2 (float value)
{
  guint32 bits = f32_to_bits (value);
  guint8 sign = (guint8) ((bits >> 24) & 0x80u);
  guint32 abs_bits = bits & 0x7FFFFFFFu;

  if (abs_bits > 0x7F800000u)
    return sign | 0x7Fu;

  /* 2^16 and above is infinity. Values from 61440 up to it round there by
   * themselves. */
  if (abs_bits >= 0x47800000u)
    return sign | 0x7Cu;

  return sign | (guint8) narrow_magnitude_rne (abs_bits, 2, 15);
}

guint16
qs_load_u16_le (const guint8 *p)
{
  guint16 v;

  memcpy (&v, p, sizeof v);
  return GUINT16_FROM_LE (v);
}

guint32
qs_load_u32_le (const guint8 *p)
{
  guint32 v;

  memcpy (&v, p, sizeof v);
  return GUINT32_FROM_LE (v);
}

guint64
qs_load_u64_le (const guint8 *p)
{
  guint64 v;

  memcpy (&v, p, sizeof v);
  return GUINT64_FROM_LE (v);
}

float
qs_load_f32_le (const guint8 *p)
{
  return f32_from_bits (qs_load_u32_le (p));
}

double
qs_load_f64_le (const guint8 *p)
{
  guint64 bits = qs_load_u64_le (p);
  double v;

  memcpy (&v, &bits, sizeof v);
  return v;
}

void
qs_store_u16_le (guint8  *p,
                 guint16  v)
{
  v = GUINT16_TO_LE (v);
  memcpy (p, &v, sizeof v);
}

void
qs_store_u32_le (guint8  *p,
                 guint32  v)
{
  v = GUINT32_TO_LE (v);
  memcpy (p, &v, sizeof v);
}

void
qs_store_u64_le (guint8  *p,
                 guint64  v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, sizeof v);
}
