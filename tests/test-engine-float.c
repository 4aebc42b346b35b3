/* test-engine-float.c: bf16, f16 and fp8 conversions and unaligned loads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "qs-float.h"

static guint32
bits_of (float value)
{
  guint32 bits;

  memcpy (&bits, &value, sizeof bits);
  return bits;
}

static float
float_of (guint32 bits)
{
  float value;

  memcpy (&value, &bits, sizeof value);
  return value;
}

typedef guint32 (*NarrowFunc) (float value);
typedef float (*WidenFunc) (guint32 code);

static guint32 narrow_bf16 (float v) { return qs_f32_to_bf16 (v); }
static float widen_bf16 (guint32 c) { return qs_bf16_to_f32 ((guint16) c); }
static guint32 narrow_f16 (float v) { return qs_f32_to_f16 (v); }
static float widen_f16 (guint32 c) { return qs_f16_to_f32 ((guint16) c); }
static guint32 narrow_e4m3 (float v) { return qs_f32_to_f8e4m3 (v); }
static float widen_e4m3 (guint32 c) { return qs_f8e4m3_to_f32 ((guint8) c); }
static guint32 narrow_e5m2 (float v) { return qs_f32_to_f8e5m2 (v); }
static float widen_e5m2 (guint32 c) { return qs_f8e5m2_to_f32 ((guint8) c); }

/* Checks round-to-nearest-even between every pair of adjacent positive
 * finite codes below @last_code: the exact midpoint goes to the code with
 * an even last bit, and one fp32 step either side goes to the nearer code.
 * Midpoints of these formats need at most 12 significant bits, so they are
 * exact in fp32. */
static void
check_ties_to_even (NarrowFunc narrow,
                    WidenFunc  widen,
                    guint32    last_code,
                    guint32    sign_bit)
{
  guint32 code;

  for (code = 0; code < last_code; code++)
    {
      float lower = widen (code);
      float upper = widen (code + 1);
      float midpoint = lower + (upper - lower) / 2.0f;
      guint32 even = (code & 1) == 0 ? code : code + 1;

      g_assert_cmpfloat ((double) midpoint - lower, ==, (double) upper - midpoint);
      g_assert_cmphex (narrow (midpoint), ==, even);
      g_assert_cmphex (narrow (nextafterf (midpoint, 0.0f)), ==, code);
      g_assert_cmphex (narrow (nextafterf (midpoint, INFINITY)), ==, code + 1);
      g_assert_cmphex (narrow (-midpoint), ==, even | sign_bit);
    }
}

static void
test_bf16_patterns (void)
{
  g_assert_cmphex (qs_f32_to_bf16 (1.0f), ==, 0x3F80);
  g_assert_cmphex (qs_f32_to_bf16 (-2.0f), ==, 0xC000);
  g_assert_cmphex (qs_f32_to_bf16 (0.0f), ==, 0x0000);
  g_assert_cmphex (qs_f32_to_bf16 (-0.0f), ==, 0x8000);
  g_assert_cmphex (qs_f32_to_bf16 (INFINITY), ==, 0x7F80);
  g_assert_cmphex (qs_f32_to_bf16 (-INFINITY), ==, 0xFF80);

  /* The largest bf16 is 0x7F7F = (2 − 2^−7) · 2^127. FLT_MAX lies above
   * the midpoint to 2^128, so it rounds to infinity as PyTorch does. */
  g_assert_cmpfloat (qs_bf16_to_f32 (0x7F7F), ==, 3.3895313892515355e38);
  g_assert_cmphex (qs_f32_to_bf16 (3.3895313892515355e38f), ==, 0x7F7F);
  g_assert_cmphex (qs_f32_to_bf16 (FLT_MAX), ==, 0x7F80);

  /* The smallest subnormal, 2^−133, is kept. */
  g_assert_cmpfloat (qs_bf16_to_f32 (0x0001), ==, ldexp (1.0, -133));
  g_assert_cmphex (qs_f32_to_bf16 (ldexpf (1.0f, -133)), ==, 0x0001);
  g_assert_cmphex (qs_f32_to_bf16 (ldexpf (1.0f, -134)), ==, 0x0000);
  g_assert_cmphex (qs_f32_to_bf16 (ldexpf (3.0f, -134)), ==, 0x0002);

  /* Ties go to the even pattern, anything above a tie rounds up. */
  g_assert_cmphex (qs_f32_to_bf16 (float_of (0x3F808000)), ==, 0x3F80);
  g_assert_cmphex (qs_f32_to_bf16 (float_of (0x3F818000)), ==, 0x3F82);
  g_assert_cmphex (qs_f32_to_bf16 (float_of (0x3F808001)), ==, 0x3F81);
  g_assert_cmphex (qs_f32_to_bf16 (float_of (0x3F807FFF)), ==, 0x3F80);

  g_assert_cmpfloat (qs_round_bf16 (1.00390625f), ==, 1.0f);
  g_assert_cmpfloat (qs_round_bf16 (3.14159265f), ==, 3.140625f);
}

static void
test_bf16_nan (void)
{
  guint16 bits = qs_f32_to_bf16 (NAN);

  g_assert_cmphex (bits & 0x7F80, ==, 0x7F80);
  g_assert_cmphex (bits & 0x0040, ==, 0x0040);
  g_assert_true (isnan (qs_bf16_to_f32 (bits)));
  /* A NaN whose payload sits only in the low half must stay NaN. */
  g_assert_true (isnan (qs_bf16_to_f32 (qs_f32_to_bf16 (float_of (0x7F800001)))));
}

static void
test_bf16_round_trip_and_ties (void)
{
  guint32 code;

  for (code = 0; code <= 0xFFFF; code++)
    {
      float value = qs_bf16_to_f32 ((guint16) code);

      g_assert_cmphex (bits_of (value), ==, code << 16);
      if (!isnan (value))
        g_assert_cmphex (qs_f32_to_bf16 (value), ==, code);
    }

  check_ties_to_even (narrow_bf16, widen_bf16, 0x7F7F, 0x8000);
}

static void
test_f16_values (void)
{
  g_assert_cmphex (qs_f32_to_f16 (1.0f), ==, 0x3C00);
  g_assert_cmphex (qs_f32_to_f16 (-2.0f), ==, 0xC000);
  g_assert_cmphex (qs_f32_to_f16 (-0.0f), ==, 0x8000);
  g_assert_cmpfloat (qs_f16_to_f32 (0x3555), ==, 0.333251953125);
  g_assert_cmpfloat (qs_f16_to_f32 (0x7BFF), ==, 65504.0);

  /* Subnormals: 2^−24 is the smallest, 2^−14 the smallest normal. */
  g_assert_cmpfloat (qs_f16_to_f32 (0x0001), ==, ldexp (1.0, -24));
  g_assert_cmpfloat (qs_f16_to_f32 (0x03FF), ==, ldexp (1023.0, -24));
  g_assert_cmphex (qs_f32_to_f16 (ldexpf (1.0f, -24)), ==, 0x0001);
  g_assert_cmphex (qs_f32_to_f16 (ldexpf (1.0f, -14)), ==, 0x0400);
  g_assert_cmphex (qs_f32_to_f16 (ldexpf (1.0f, -25)), ==, 0x0000);
  g_assert_cmphex (qs_f32_to_f16 (ldexpf (3.0f, -25)), ==, 0x0002);
  g_assert_cmphex (qs_f32_to_f16 (ldexpf (1.0f, -26)), ==, 0x0000);
  g_assert_cmphex (qs_f32_to_f16 (ldexpf (2047.0f, -25)), ==, 0x0400);
  g_assert_cmphex (qs_f32_to_f16 (1e-30f), ==, 0x0000);
  g_assert_cmphex (qs_f32_to_f16 (float_of (0x00000001)), ==, 0x0000);

  /* Overflow: 65519 still rounds to 65504; 65520 is a tie that goes to
   * the even neighbour, 2^16, which is infinity. */
  g_assert_cmphex (qs_f32_to_f16 (65519.0f), ==, 0x7BFF);
  g_assert_cmphex (qs_f32_to_f16 (65520.0f), ==, 0x7C00);
  g_assert_cmphex (qs_f32_to_f16 (-1e6f), ==, 0xFC00);
  g_assert_cmphex (qs_f32_to_f16 (INFINITY), ==, 0x7C00);
  g_assert_true (isinf (qs_f16_to_f32 (0x7C00)));

  g_assert_cmphex (qs_f32_to_f16 (NAN) & 0x7E00, ==, 0x7E00);
  g_assert_true (isnan (qs_f16_to_f32 (0x7E00)));
  g_assert_true (isnan (qs_f16_to_f32 (0xFC01)));

  /* Ties in the normal range. */
  g_assert_cmphex (qs_f32_to_f16 (1.0f + ldexpf (1.0f, -11)), ==, 0x3C00);
  g_assert_cmphex (qs_f32_to_f16 (1.0f + ldexpf (3.0f, -11)), ==, 0x3C02);
  g_assert_cmpfloat (qs_round_f16 (0.1f), ==, 0.0999755859375f);
}

static void
test_f16_round_trip_and_ties (void)
{
  guint32 code;

  for (code = 0; code <= 0xFFFF; code++)
    {
      float value = qs_f16_to_f32 ((guint16) code);

      if (isnan (value))
        {
          g_assert_cmphex (code & 0x7C00, ==, 0x7C00);
          g_assert_true (isnan (qs_f16_to_f32 (qs_f32_to_f16 (value))));
          continue;
        }
      g_assert_cmphex (qs_f32_to_f16 (value), ==, code);
    }

  check_ties_to_even (narrow_f16, widen_f16, 0x7BFF, 0x8000);
}

static void
test_e4m3_all_codes (void)
{
  guint32 code;
  guint n_nan = 0;

  for (code = 0; code < 256; code++)
    {
      float value = qs_f8e4m3_to_f32 ((guint8) code);

      if (isnan (value))
        {
          n_nan++;
          g_assert_cmphex (code & 0x7F, ==, 0x7F);
          g_assert_cmphex (qs_f32_to_f8e4m3 (value), ==, code);
          continue;
        }
      g_assert_cmphex (qs_f32_to_f8e4m3 (value), ==, code);
    }
  g_assert_cmpuint (n_nan, ==, 2);

  g_assert_cmpfloat (qs_f8e4m3_to_f32 (0x38), ==, 1.0f);
  g_assert_cmpfloat (qs_f8e4m3_to_f32 (0x7E), ==, 448.0f);
  g_assert_cmpfloat (qs_f8e4m3_to_f32 (0xFE), ==, -448.0f);
  g_assert_cmpfloat (qs_f8e4m3_to_f32 (0x08), ==, ldexpf (1.0f, -6));
  g_assert_cmpfloat (qs_f8e4m3_to_f32 (0x01), ==, ldexpf (1.0f, -9));
  g_assert_cmpfloat (qs_f8e4m3_to_f32 (0x07), ==, ldexpf (7.0f, -9));
}

static void
test_e4m3_rounding (void)
{
  check_ties_to_even (narrow_e4m3, widen_e4m3, 0x7E, 0x80);

  g_assert_cmphex (qs_f32_to_f8e4m3 (ldexpf (1.0f, -10)), ==, 0x00);
  g_assert_cmphex (qs_f32_to_f8e4m3 (ldexpf (3.0f, -10)), ==, 0x02);
  g_assert_cmphex (qs_f32_to_f8e4m3 (ldexpf (15.0f, -10)), ==, 0x08);
  g_assert_cmphex (qs_f32_to_f8e4m3 (-ldexpf (1.0f, -12)), ==, 0x80);

  /* PyTorch's conversion has no saturation: the tie at 464 goes to the even
   * 448, and anything that would round higher is NaN. SDNQ clamps to ±448
   * first, so it never meets this. */
  g_assert_cmphex (qs_f32_to_f8e4m3 (464.0f), ==, 0x7E);
  g_assert_cmphex (qs_f32_to_f8e4m3 (465.0f), ==, 0x7F);
  g_assert_cmphex (qs_f32_to_f8e4m3 (480.0f), ==, 0x7F);
  g_assert_cmphex (qs_f32_to_f8e4m3 (-1e9f), ==, 0xFF);
  g_assert_cmphex (qs_f32_to_f8e4m3 (INFINITY), ==, 0x7F);
  g_assert_cmphex (qs_f32_to_f8e4m3 (NAN), ==, 0x7F);
}

static void
test_e5m2_all_codes (void)
{
  guint32 code;
  guint n_nan = 0;

  for (code = 0; code < 256; code++)
    {
      float value = qs_f8e5m2_to_f32 ((guint8) code);

      /* e5m2 is the high byte of an IEEE binary16. */
      g_assert_cmphex (bits_of (value), ==, bits_of (qs_f16_to_f32 ((guint16) (code << 8))));

      if (isnan (value))
        {
          n_nan++;
          g_assert_true (isnan (qs_f8e5m2_to_f32 (qs_f32_to_f8e5m2 (value))));
          continue;
        }
      g_assert_cmphex (qs_f32_to_f8e5m2 (value), ==, code);
    }
  g_assert_cmpuint (n_nan, ==, 6);

  g_assert_cmpfloat (qs_f8e5m2_to_f32 (0x7B), ==, 57344.0f);
  g_assert_cmpfloat (qs_f8e5m2_to_f32 (0x01), ==, ldexpf (1.0f, -16));
  g_assert_true (isinf (qs_f8e5m2_to_f32 (0x7C)));
}

static void
test_e5m2_rounding (void)
{
  check_ties_to_even (narrow_e5m2, widen_e5m2, 0x7B, 0x80);

  /* 61440 is the tie between 57344 (odd mantissa) and 2^16: infinity. */
  g_assert_cmphex (qs_f32_to_f8e5m2 (61439.0f), ==, 0x7B);
  g_assert_cmphex (qs_f32_to_f8e5m2 (61440.0f), ==, 0x7C);
  g_assert_cmphex (qs_f32_to_f8e5m2 (1e9f), ==, 0x7C);
  g_assert_cmphex (qs_f32_to_f8e5m2 (-INFINITY), ==, 0xFC);
  g_assert_cmphex (qs_f32_to_f8e5m2 (NAN) & 0x7F, ==, 0x7F);
  g_assert_cmphex (qs_f32_to_f8e5m2 (ldexpf (1.0f, -17)), ==, 0x00);
  g_assert_cmphex (qs_f32_to_f8e5m2 (ldexpf (3.0f, -17)), ==, 0x02);
}

static void
test_unaligned_loads_and_stores (void)
{
  guint8 buffer[32];
  guint offset;

  for (offset = 0; offset < 8; offset++)
    {
      guint8 *p = buffer + offset;

      memset (buffer, 0xAA, sizeof buffer);
      qs_store_u16_le (p, 0x1234);
      g_assert_cmphex (p[0], ==, 0x34);
      g_assert_cmphex (p[1], ==, 0x12);
      g_assert_cmphex (p[2], ==, 0xAA);
      g_assert_cmphex (qs_load_u16_le (p), ==, 0x1234);

      qs_store_u32_le (p, 0x89ABCDEFu);
      g_assert_cmphex (p[0], ==, 0xEF);
      g_assert_cmphex (p[3], ==, 0x89);
      g_assert_cmphex (p[4], ==, 0xAA);
      g_assert_cmphex (qs_load_u32_le (p), ==, 0x89ABCDEFu);

      qs_store_u64_le (p, G_GUINT64_CONSTANT (0x0102030405060708));
      g_assert_cmphex (p[0], ==, 0x08);
      g_assert_cmphex (p[7], ==, 0x01);
      g_assert_cmphex (p[8], ==, 0xAA);
      g_assert_cmpuint (qs_load_u64_le (p), ==, G_GUINT64_CONSTANT (0x0102030405060708));

      qs_store_u32_le (p, 0xC0490FDBu);
      g_assert_cmpfloat (qs_load_f32_le (p), ==, -3.14159274101257324f);

      qs_store_u64_le (p, G_GUINT64_CONSTANT (0x400921FB54442D18));
      g_assert_cmpfloat (qs_load_f64_le (p), ==, G_PI);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qs/engine/float/bf16-patterns", test_bf16_patterns);
  g_test_add_func ("/qs/engine/float/bf16-nan", test_bf16_nan);
  g_test_add_func ("/qs/engine/float/bf16-round-trip-and-ties", test_bf16_round_trip_and_ties);
  g_test_add_func ("/qs/engine/float/f16-values", test_f16_values);
  g_test_add_func ("/qs/engine/float/f16-round-trip-and-ties", test_f16_round_trip_and_ties);
  g_test_add_func ("/qs/engine/float/e4m3-all-codes", test_e4m3_all_codes);
  g_test_add_func ("/qs/engine/float/e4m3-rounding", test_e4m3_rounding);
  g_test_add_func ("/qs/engine/float/e5m2-all-codes", test_e5m2_all_codes);
  g_test_add_func ("/qs/engine/float/e5m2-rounding", test_e5m2_rounding);
  g_test_add_func ("/qs/engine/float/unaligned-loads-and-stores", test_unaligned_loads_and_stores);

  return g_test_run ();
}
