/* test-engine-dtype.c: the SDNQ dtype table, its aliases and its limits
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "qs-dtype.h"

static const QsDtype *
lookup (const char *name)
{
  const QsDtype *dtype = qs_dtype_lookup (name);

  if (dtype == NULL)
    g_error ("dtype %s is missing from the table", name);

  return dtype;
}

static void
test_dtype_table_size (void)
{
  const QsDtype *const *all;
  guint n = 0;
  guint n_int = 0;
  guint n_native = 0;
  guint n_custom = 0;
  guint i;

  all = qs_dtype_get_all (&n);
  g_assert_nonnull (all);
  g_assert_cmpuint (n, ==, 173);

  for (i = 0; i < n; i++)
    {
      switch (all[i]->kind)
        {
        case QS_DTYPE_KIND_INT:
          /* The order is integers, then native floats, then custom floats. */
          g_assert_cmpuint (n_native + n_custom, ==, 0);
          n_int++;
          break;
        case QS_DTYPE_KIND_NATIVE_FLOAT:
          g_assert_cmpuint (n_custom, ==, 0);
          n_native++;
          break;
        case QS_DTYPE_KIND_CUSTOM_FLOAT:
          n_custom++;
          break;
        default:
          g_assert_not_reached ();
        }

      /* Canonical names map to themselves and are unique. */
      g_assert_true (qs_dtype_lookup (all[i]->name) == all[i]);
    }

  g_assert_cmpuint (n_int, ==, 33);
  g_assert_cmpuint (n_native, ==, 5);
  g_assert_cmpuint (n_custom, ==, 135);

  /* A second call returns the same static table. */
  g_assert_true (qs_dtype_get_all (&n) == all);
}

typedef struct
{
  const char    *name;
  guint          num_bits;
  double         min;
  double         max;
  gboolean       is_unsigned;
  gboolean       is_packed;
  QsStorageType  storage;
  guint          pack_block;
  guint          pack_words;
} IntegerCase;

static void
test_dtype_integers (void)
{
  static const IntegerCase cases[] = {
    { "int2", 2, -2, 1, FALSE, TRUE, QS_STORAGE_U8, 4, 1 },
    { "int3", 3, -4, 3, FALSE, TRUE, QS_STORAGE_U8, 8, 3 },
    { "int4", 4, -8, 7, FALSE, TRUE, QS_STORAGE_U8, 2, 1 },
    { "int5", 5, -16, 15, FALSE, TRUE, QS_STORAGE_U8, 8, 5 },
    { "int6", 6, -32, 31, FALSE, TRUE, QS_STORAGE_U8, 4, 3 },
    { "int7", 7, -64, 63, FALSE, TRUE, QS_STORAGE_U8, 8, 7 },
    { "int8", 8, -128, 127, FALSE, FALSE, QS_STORAGE_I8, 1, 1 },
    { "int9", 9, -256, 255, FALSE, TRUE, QS_STORAGE_I16, 16, 9 },
    { "int10", 10, -512, 511, FALSE, TRUE, QS_STORAGE_I16, 8, 5 },
    { "int11", 11, -1024, 1023, FALSE, TRUE, QS_STORAGE_I16, 16, 11 },
    { "int12", 12, -2048, 2047, FALSE, TRUE, QS_STORAGE_I16, 4, 3 },
    { "int13", 13, -4096, 4095, FALSE, TRUE, QS_STORAGE_I16, 16, 13 },
    { "int14", 14, -8192, 8191, FALSE, TRUE, QS_STORAGE_I16, 8, 7 },
    { "int15", 15, -16384, 16383, FALSE, TRUE, QS_STORAGE_I16, 16, 15 },
    { "int16", 16, -32768, 32767, FALSE, FALSE, QS_STORAGE_I16, 1, 1 },
    { "int32", 32, -2147483648.0, 2147483647.0, FALSE, FALSE, QS_STORAGE_I32, 1, 1 },
    { "uint1", 1, 0, 1, TRUE, TRUE, QS_STORAGE_I64, 8, 1 },
    { "uint2", 2, 0, 3, TRUE, TRUE, QS_STORAGE_U8, 4, 1 },
    { "uint3", 3, 0, 7, TRUE, TRUE, QS_STORAGE_U8, 8, 3 },
    { "uint4", 4, 0, 15, TRUE, TRUE, QS_STORAGE_U8, 2, 1 },
    { "uint5", 5, 0, 31, TRUE, TRUE, QS_STORAGE_U8, 8, 5 },
    { "uint6", 6, 0, 63, TRUE, TRUE, QS_STORAGE_U8, 4, 3 },
    { "uint7", 7, 0, 127, TRUE, TRUE, QS_STORAGE_U8, 8, 7 },
    { "uint8", 8, 0, 255, TRUE, FALSE, QS_STORAGE_U8, 1, 1 },
    /* SDNQ's off-by-one: 2^N, not 2^N − 1, for 9 to 15 bits. */
    { "uint9", 9, 0, 512, TRUE, TRUE, QS_STORAGE_I16, 16, 9 },
    { "uint10", 10, 0, 1024, TRUE, TRUE, QS_STORAGE_I16, 8, 5 },
    { "uint11", 11, 0, 2048, TRUE, TRUE, QS_STORAGE_I16, 16, 11 },
    { "uint12", 12, 0, 4096, TRUE, TRUE, QS_STORAGE_I16, 4, 3 },
    { "uint13", 13, 0, 8192, TRUE, TRUE, QS_STORAGE_I16, 16, 13 },
    { "uint14", 14, 0, 16384, TRUE, TRUE, QS_STORAGE_I16, 8, 7 },
    { "uint15", 15, 0, 32768, TRUE, TRUE, QS_STORAGE_I16, 16, 15 },
    { "uint16", 16, 0, 65535, TRUE, FALSE, QS_STORAGE_U16, 1, 1 },
    { "uint32", 32, 0, 4294967295.0, TRUE, FALSE, QS_STORAGE_U32, 1, 1 },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const IntegerCase *c = &cases[i];
      const QsDtype *dtype = lookup (c->name);

      g_test_message ("%s", c->name);
      g_assert_cmpstr (dtype->name, ==, c->name);
      g_assert_cmpint (dtype->kind, ==, QS_DTYPE_KIND_INT);
      g_assert_true (dtype->is_integer);
      g_assert_cmpuint (dtype->num_bits, ==, c->num_bits);
      g_assert_cmpfloat (dtype->min, ==, c->min);
      g_assert_cmpfloat (dtype->max, ==, c->max);
      g_assert_cmpint (dtype->is_unsigned, ==, c->is_unsigned);
      g_assert_cmpint (dtype->is_packed, ==, c->is_packed);
      g_assert_cmpint (dtype->storage, ==, c->storage);
      g_assert_cmpuint (dtype->pack_block, ==, c->pack_block);
      g_assert_cmpuint (dtype->pack_words, ==, c->pack_words);
    }
}

static void
test_dtype_native_floats (void)
{
  const QsDtype *dtype;

  dtype = lookup ("float8_e4m3fn");
  g_assert_cmpint (dtype->kind, ==, QS_DTYPE_KIND_NATIVE_FLOAT);
  g_assert_false (dtype->is_integer);
  g_assert_false (dtype->is_unsigned);
  g_assert_false (dtype->is_packed);
  g_assert_cmpuint (dtype->num_bits, ==, 8);
  g_assert_cmpuint (dtype->exponent, ==, 4);
  g_assert_cmpuint (dtype->mantissa, ==, 3);
  g_assert_cmpfloat (dtype->max, ==, 448.0);
  g_assert_cmpfloat (dtype->min, ==, -448.0);
  g_assert_cmpint (dtype->storage, ==, QS_STORAGE_F8_E4M3);

  dtype = lookup ("float8_e5m2");
  g_assert_cmpfloat (dtype->max, ==, 57344.0);
  g_assert_cmpuint (dtype->mantissa, ==, 2);
  g_assert_cmpint (dtype->storage, ==, QS_STORAGE_F8_E5M2);

  dtype = lookup ("float16");
  g_assert_cmpfloat (dtype->max, ==, 65504.0);
  g_assert_cmpint (dtype->storage, ==, QS_STORAGE_F16);

  /* SDNQ's table rounds these two limits to six digits. */
  dtype = lookup ("bfloat16");
  g_assert_cmpfloat (dtype->max, ==, 3.38953e38);
  g_assert_cmpint (dtype->storage, ==, QS_STORAGE_BF16);

  dtype = lookup ("float32");
  g_assert_cmpfloat (dtype->max, ==, 3.40282e38);
  g_assert_cmpfloat (dtype->min, ==, -3.40282e38);
  g_assert_cmpuint (dtype->num_bits, ==, 32);
  g_assert_cmpint (dtype->storage, ==, QS_STORAGE_F32);
}

static void
test_dtype_custom_float_samples (void)
{
  const QsDtype *dtype;

  dtype = lookup ("float4_e2m1fn");
  g_assert_cmpint (dtype->kind, ==, QS_DTYPE_KIND_CUSTOM_FLOAT);
  g_assert_cmpuint (dtype->num_bits, ==, 4);
  g_assert_cmpuint (dtype->exponent, ==, 2);
  g_assert_cmpuint (dtype->mantissa, ==, 1);
  g_assert_cmpfloat (dtype->max, ==, 6.0);
  g_assert_cmpfloat (dtype->min, ==, -6.0);
  g_assert_false (dtype->is_unsigned);
  g_assert_false (dtype->is_integer);
  g_assert_true (dtype->is_packed);
  g_assert_cmpint (dtype->storage, ==, QS_STORAGE_U8);
  g_assert_cmpuint (dtype->pack_block, ==, 2);
  g_assert_cmpuint (dtype->pack_words, ==, 1);

  dtype = lookup ("float6_e3m2fn");
  g_assert_cmpfloat (dtype->max, ==, 28.0);
  g_assert_cmpuint (dtype->pack_block, ==, 4);
  g_assert_cmpuint (dtype->pack_words, ==, 3);

  /* All 256 codes are finite, so the top one is 480, not 448. */
  dtype = lookup ("float8_e4m3fn_sdnq");
  g_assert_cmpfloat (dtype->max, ==, 480.0);
  g_assert_cmpint (dtype->storage, ==, QS_STORAGE_U8);
  g_assert_cmpuint (dtype->pack_block, ==, 1);
  g_assert_true (dtype->is_packed);

  dtype = lookup ("float16_e5m10fn");
  g_assert_cmpfloat (dtype->max, ==, 131008.0);
  g_assert_cmpint (dtype->storage, ==, QS_STORAGE_U16);
  g_assert_cmpuint (dtype->pack_block, ==, 1);

  dtype = lookup ("float12_e4m8fnu");
  g_assert_true (dtype->is_unsigned);
  g_assert_cmpfloat (dtype->min, ==, 0.0);
  g_assert_cmpfloat (dtype->max, ==, 511.0);
  g_assert_cmpint (dtype->storage, ==, QS_STORAGE_I16);
  g_assert_cmpuint (dtype->pack_block, ==, 4);
  g_assert_cmpuint (dtype->pack_words, ==, 3);

  /* One-bit floats go through the uint1 packer, so they are I64 too. */
  dtype = lookup ("float1_e1m0fnu");
  g_assert_cmpfloat (dtype->max, ==, 2.0);
  g_assert_cmpint (dtype->storage, ==, QS_STORAGE_I64);
  g_assert_cmpuint (dtype->pack_block, ==, 8);
}

typedef struct
{
  const char *name;
  double      max;
} MaxCase;

static void
test_dtype_custom_float_max (void)
{
  /* Values copied from SDNQ's common.py dtype_dict. */
  static const MaxCase sdnq_values[] = {
    { "float16_e1m14fn", 3.9998779296875 },
    { "float16_e2m13fn", 7.99951171875 },
    { "float16_e3m12fn", 31.99609375 },
    { "float16_e4m11fn", 511.875 },
    { "float15_e5m9fn", 130944.0 },
    { "float14_e4m9fn", 511.5 },
    { "float13_e5m7fn", 130560.0 },
    { "float12_e3m8fn", 31.9375 },
    { "float11_e4m7fnu", 510.0 },
    { "float10_e5m5fnu", 129024.0 },
    { "float9_e5m4fnu", 126976.0 },
    { "float8_e5m3fnu", 122880.0 },
    { "float8_e2m5fn", 7.875 },
    { "float8_e3m4fn", 31.0 },
    { "float8_e5m2fn", 114688.0 },
    { "float7_e4m3fnu", 480.0 },
    { "float6_e5m1fnu", 98304.0 },
    { "float5_e5m0fnu", 65536.0 },
    { "float4_e4m0fnu", 256.0 },
    { "float3_e2m1fnu", 6.0 },
    { "float2_e2m0fnu", 4.0 },
    { "float2_e1m0fn", 2.0 },
  };
  const QsDtype *const *all;
  guint n;
  guint n_checked = 0;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sdnq_values); i++)
    g_assert_cmpfloat (lookup (sdnq_values[i].name)->max, ==, sdnq_values[i].max);

  all = qs_dtype_get_all (&n);
  for (i = 0; i < n; i++)
    {
      const QsDtype *dtype = all[i];
      double expected;

      if (dtype->kind != QS_DTYPE_KIND_CUSTOM_FLOAT)
        continue;

      g_test_message ("%s", dtype->name);
      expected = (2.0 - pow (2.0, -(double) dtype->mantissa)) * pow (2.0, pow (2.0, dtype->exponent - 1.0));
      g_assert_cmpfloat (dtype->max, ==, expected);
      g_assert_cmpfloat (dtype->min, ==, dtype->is_unsigned ? 0.0 : -expected);
      g_assert_cmpuint (dtype->num_bits, ==, dtype->exponent + dtype->mantissa + (dtype->is_unsigned ? 0 : 1));
      g_assert_true (dtype->is_packed);
      g_assert_false (dtype->is_integer);
      n_checked++;
    }
  g_assert_cmpuint (n_checked, ==, 135);
}

static void
test_dtype_custom_float_names (void)
{
  guint bits;
  guint n = 0;

  /* Signed formats exist for 2 to 16 bits and unsigned ones for 1 to 16,
   * each with every exponent width from 1 to 5 that leaves M ≥ 0. */
  for (bits = 1; bits <= 16; bits++)
    {
      guint exponent;

      for (exponent = 1; exponent <= 5; exponent++)
        {
          if (bits >= 2 && exponent <= bits - 1)
            {
              g_autofree char *name = NULL;
              const QsDtype *dtype;

              if (bits == 8 && exponent == 4)
                name = g_strdup ("float8_e4m3fn_sdnq");
              else
                name = g_strdup_printf ("float%u_e%um%ufn", bits, exponent, bits - 1 - exponent);
              dtype = lookup (name);
              g_assert_cmpuint (dtype->num_bits, ==, bits);
              g_assert_false (dtype->is_unsigned);
              n++;
            }

          if (exponent <= bits)
            {
              g_autofree char *name = g_strdup_printf ("float%u_e%um%ufnu", bits, exponent, bits - exponent);
              const QsDtype *dtype = lookup (name);

              g_assert_cmpuint (dtype->num_bits, ==, bits);
              g_assert_true (dtype->is_unsigned);
              n++;
            }
        }
    }
  g_assert_cmpuint (n, ==, 135);

  /* Custom floats of N bits other than 8 and 16 store like uintN. */
  for (bits = 1; bits <= 16; bits++)
    {
      g_autofree char *float_name = g_strdup_printf ("float%u_e1m%ufnu", bits, bits - 1);
      g_autofree char *uint_name = g_strdup_printf ("uint%u", bits);
      const QsDtype *custom = lookup (float_name);
      const QsDtype *integer = lookup (uint_name);

      if (bits == 8 || bits == 16)
        continue;

      g_assert_cmpint (custom->storage, ==, integer->storage);
      g_assert_cmpuint (custom->pack_block, ==, integer->pack_block);
      g_assert_cmpuint (custom->pack_words, ==, integer->pack_words);
    }
}

typedef struct
{
  const char *alias;
  const char *name;
} AliasCase;

static void
test_dtype_aliases (void)
{
  static const AliasCase cases[] = {
    { "int1", "uint1" }, { "bool", "uint1" },
    { "fp8", "float8_e4m3fn" }, { "fp16", "float16" }, { "bf16", "bfloat16" },
    { "fp32", "float32" },
    { "fp15", "float15_e5m9fn" }, { "fp14", "float14_e5m8fn" }, { "fp13", "float13_e5m7fn" },
    { "fp12", "float12_e5m6fn" }, { "fp11", "float11_e5m5fn" }, { "fp10", "float10_e5m4fn" },
    { "fp9", "float9_e4m4fn" }, { "fp7", "float7_e3m3fn" }, { "fp6", "float6_e3m2fn" },
    { "fp5", "float5_e2m2fn" }, { "fp4", "float4_e2m1fn" }, { "fp3", "float3_e1m1fn" },
    { "fp2", "float2_e1m0fn" }, { "fp1", "float1_e1m0fnu" },
    { "ufp16", "float16_e5m11fnu" }, { "ufp15", "float15_e5m10fnu" },
    { "ufp14", "float14_e5m9fnu" }, { "ufp13", "float13_e5m8fnu" },
    { "ufp12", "float12_e5m7fnu" }, { "ufp11", "float11_e5m6fnu" },
    { "ufp10", "float10_e5m5fnu" }, { "ufp9", "float9_e4m5fnu" }, { "ufp8", "float8_e4m4fnu" },
    { "ufp7", "float7_e3m4fnu" }, { "ufp6", "float6_e3m3fnu" }, { "ufp5", "float5_e2m3fnu" },
    { "ufp4", "float4_e2m2fnu" }, { "ufp3", "float3_e1m2fnu" }, { "ufp2", "float2_e1m1fnu" },
    { "ufp1", "float1_e1m0fnu" },
    /* Lookups ignore case. */
    { "UINT4", "uint4" }, { "Fp8", "float8_e4m3fn" }, { "BOOL", "uint1" },
    { "Float8_E4M3FN_SDNQ", "float8_e4m3fn_sdnq" }, { "BF16", "bfloat16" },
  };
  static const char *const unknown[] = {
    "", "int0", "uint0", "int17", "uint17", "int64", "float8_e4m3", "fp0", "ufp0", "fp17",
    "float4_e2m1", "float4_e3m1fn", "float8_e4m3fnuz", "uint4 ", "q4_0",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const QsDtype *dtype = qs_dtype_lookup (cases[i].alias);

      g_test_message ("%s", cases[i].alias);
      g_assert_nonnull (dtype);
      g_assert_cmpstr (dtype->name, ==, cases[i].name);
    }

  for (i = 0; i < G_N_ELEMENTS (unknown); i++)
    {
      g_test_message ("\"%s\"", unknown[i]);
      g_assert_null (qs_dtype_lookup (unknown[i]));
    }
}

static void
test_dtype_list_names (void)
{
  g_autofree char *names = qs_dtype_list_names ();
  g_auto (GStrv) parts = g_strsplit (names, ", ", -1);
  guint n = g_strv_length (parts);
  guint i;

  /* 173 canonical names and 36 aliases, each resolvable. */
  g_assert_cmpuint (n, ==, 173 + 36);
  for (i = 0; i < n; i++)
    g_assert_nonnull (qs_dtype_lookup (parts[i]));

  g_assert_true (g_strv_contains ((const char *const *) parts, "uint4"));
  g_assert_true (g_strv_contains ((const char *const *) parts, "fp8"));
  g_assert_true (g_strv_contains ((const char *const *) parts, "ufp1"));
  g_assert_true (g_strv_contains ((const char *const *) parts, "float8_e4m3fn_sdnq"));
}

static void
test_dtype_storage_types (void)
{
  static const struct
  {
    QsStorageType type;
    const char   *name;
    guint         size;
  } cases[] = {
    { QS_STORAGE_U8, "U8", 1 }, { QS_STORAGE_I8, "I8", 1 },
    { QS_STORAGE_U16, "U16", 2 }, { QS_STORAGE_I16, "I16", 2 },
    { QS_STORAGE_U32, "U32", 4 }, { QS_STORAGE_I32, "I32", 4 },
    { QS_STORAGE_I64, "I64", 8 },
    { QS_STORAGE_F8_E4M3, "F8_E4M3", 1 }, { QS_STORAGE_F8_E5M2, "F8_E5M2", 1 },
    { QS_STORAGE_F16, "F16", 2 }, { QS_STORAGE_BF16, "BF16", 2 }, { QS_STORAGE_F32, "F32", 4 },
  };
  const QsDtype *const *all;
  guint n;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_cmpstr (qs_storage_type_to_string (cases[i].type), ==, cases[i].name);
      g_assert_cmpuint (qs_storage_type_get_size (cases[i].type), ==, cases[i].size);
    }

  /* Packed blocks fill their words exactly, except uint1's I64 words that
   * hold one byte each. */
  all = qs_dtype_get_all (&n);
  for (i = 0; i < n; i++)
    {
      const QsDtype *dtype = all[i];
      guint word_bits = 8 * qs_storage_type_get_size (dtype->storage);

      if (dtype->pack_block == 1)
        {
          g_assert_cmpuint (dtype->pack_words, ==, 1);
          g_assert_cmpuint (word_bits, >=, dtype->num_bits);
          continue;
        }

      g_test_message ("%s", dtype->name);
      if (dtype->num_bits == 1)
        g_assert_cmpint (dtype->storage, ==, QS_STORAGE_I64);
      else
        g_assert_cmpuint (dtype->pack_block * dtype->num_bits, ==, dtype->pack_words * word_bits);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qs/engine/dtype/table-size", test_dtype_table_size);
  g_test_add_func ("/qs/engine/dtype/integers", test_dtype_integers);
  g_test_add_func ("/qs/engine/dtype/native-floats", test_dtype_native_floats);
  g_test_add_func ("/qs/engine/dtype/custom-float-samples", test_dtype_custom_float_samples);
  g_test_add_func ("/qs/engine/dtype/custom-float-max", test_dtype_custom_float_max);
  g_test_add_func ("/qs/engine/dtype/custom-float-names", test_dtype_custom_float_names);
  g_test_add_func ("/qs/engine/dtype/aliases", test_dtype_aliases);
  g_test_add_func ("/qs/engine/dtype/list-names", test_dtype_list_names);
  g_test_add_func ("/qs/engine/dtype/storage-types", test_dtype_storage_types);

  return g_test_run ();
}
