/* qs-dtype.c: the SDNQ weight dtype table
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "qs-dtype.h"

/* Integers (int2..int16, int32, uint1..uint16, uint32), five native floats
 * and SDNQ's 135 packed floats. */
#define N_INTEGER_DTYPES 33
#define N_NATIVE_FLOAT_DTYPES 5
#define N_CUSTOM_FLOAT_DTYPES 135
#define N_DTYPES (N_INTEGER_DTYPES + N_NATIVE_FLOAT_DTYPES + N_CUSTOM_FLOAT_DTYPES)

typedef struct
{
  const char *alias;
  const char *target;
} DtypeAlias;

/* SDNQ's aliases from common.py. "fp8" is the native float8_e4m3fn, not a
 * packed float, and "fp1" is the unsigned e1m0 because there is no signed
 * one-bit float. */
static const DtypeAlias dtype_aliases[] = {
  { "int1", "uint1" },
  { "bool", "uint1" },
  { "fp32", "float32" },
  { "bf16", "bfloat16" },
  { "fp16", "float16" },
  { "fp15", "float15_e5m9fn" },
  { "fp14", "float14_e5m8fn" },
  { "fp13", "float13_e5m7fn" },
  { "fp12", "float12_e5m6fn" },
  { "fp11", "float11_e5m5fn" },
  { "fp10", "float10_e5m4fn" },
  { "fp9", "float9_e4m4fn" },
  { "fp8", "float8_e4m3fn" },
  { "fp7", "float7_e3m3fn" },
  { "fp6", "float6_e3m2fn" },
  { "fp5", "float5_e2m2fn" },
  { "fp4", "float4_e2m1fn" },
  { "fp3", "float3_e1m1fn" },
  { "fp2", "float2_e1m0fn" },
  { "ufp16", "float16_e5m11fnu" },
  { "ufp15", "float15_e5m10fnu" },
  { "ufp14", "float14_e5m9fnu" },
  { "ufp13", "float13_e5m8fnu" },
  { "ufp12", "float12_e5m7fnu" },
  { "ufp11", "float11_e5m6fnu" },
  { "ufp10", "float10_e5m5fnu" },
  { "ufp9", "float9_e4m5fnu" },
  { "ufp8", "float8_e4m4fnu" },
  { "ufp7", "float7_e3m4fnu" },
  { "ufp6", "float6_e3m3fnu" },
  { "ufp5", "float5_e2m3fnu" },
  { "ufp4", "float4_e2m2fnu" },
  { "ufp3", "float3_e1m2fnu" },
  { "ufp2", "float2_e1m1fnu" },
  { "ufp1", "float1_e1m0fnu" },
  { "fp1", "float1_e1m0fnu" },
};

static QsDtype dtype_table[N_DTYPES];
static const QsDtype *dtype_pointers[N_DTYPES];
static guint n_dtype_table;
static GHashTable *dtype_index;

/* SDNQ's packers group N-bit codes into blocks that fill whole words: U8
 * words below 8 bits, 16-bit words from 9 to 15 bits, and one I64 per eight
 * one-bit codes (PyTorch promotes the shifted bool tensor to int64). */
static void
get_pack_layout (guint          num_bits,
                 QsStorageType *storage,
                 guint         *block,
                 guint         *words)
{
  static const guint blocks[16] = { 8, 4, 8, 2, 8, 4, 8, 1, 16, 8, 16, 4, 16, 8, 16, 1 };
  static const guint word_counts[16] = { 1, 1, 3, 1, 5, 3, 7, 1, 9, 5, 11, 3, 13, 7, 15, 1 };

  g_assert (num_bits >= 1 && num_bits <= 16);

  *block = blocks[num_bits - 1];
  *words = word_counts[num_bits - 1];

  if (num_bits == 1)
    *storage = QS_STORAGE_I64;
  else if (num_bits < 8)
    *storage = QS_STORAGE_U8;
  else if (num_bits == 8)
    *storage = QS_STORAGE_U8;
  else if (num_bits < 16)
    *storage = QS_STORAGE_I16;
  else
    *storage = QS_STORAGE_U16;
}

static QsDtype *
append_dtype (const char *name,
              QsDtypeKind kind,
              guint       num_bits)
{
  QsDtype *dtype;

  g_assert (n_dtype_table < N_DTYPES);

  dtype = &dtype_table[n_dtype_table++];
  memset (dtype, 0, sizeof *dtype);
  dtype->name = name;
  dtype->kind = kind;
  dtype->num_bits = num_bits;
  dtype->pack_block = 1;
  dtype->pack_words = 1;

  return dtype;
}

static void
append_integer (guint    num_bits,
                gboolean is_unsigned)
{
  QsDtype *dtype;
  char *name;

  name = g_strdup_printf ("%sint%u", is_unsigned ? "u" : "", num_bits);
  dtype = append_dtype (name, QS_DTYPE_KIND_INT, num_bits);
  dtype->is_unsigned = is_unsigned;
  dtype->is_integer = TRUE;

  if (is_unsigned)
    {
      dtype->min = 0.0;
      /* SDNQ's table gives uint9..uint15 a max of 2^N, one more than N bits
       * can represent. The quantizer really produces that code, so it is
       * kept. */
      if (num_bits >= 9 && num_bits <= 15)
        dtype->max = ldexp (1.0, (int) num_bits);
      else
        dtype->max = ldexp (1.0, (int) num_bits) - 1.0;
    }
  else
    {
      dtype->min = -ldexp (1.0, (int) num_bits - 1);
      dtype->max = ldexp (1.0, (int) num_bits - 1) - 1.0;
    }

  switch (num_bits)
    {
    case 8:
      dtype->storage = is_unsigned ? QS_STORAGE_U8 : QS_STORAGE_I8;
      break;

    case 16:
      dtype->storage = is_unsigned ? QS_STORAGE_U16 : QS_STORAGE_I16;
      break;

    case 32:
      dtype->storage = is_unsigned ? QS_STORAGE_U32 : QS_STORAGE_I32;
      break;

    default:
      dtype->is_packed = TRUE;
      get_pack_layout (num_bits, &dtype->storage, &dtype->pack_block, &dtype->pack_words);
      break;
    }
}

static void
append_native_float (const char    *name,
                     guint          num_bits,
                     guint          exponent,
                     guint          mantissa,
                     double         max,
                     QsStorageType  storage)
{
  QsDtype *dtype = append_dtype (name, QS_DTYPE_KIND_NATIVE_FLOAT, num_bits);

  dtype->exponent = exponent;
  dtype->mantissa = mantissa;
  dtype->min = -max;
  dtype->max = max;
  dtype->storage = storage;
}

static void
append_custom_float (guint    exponent,
                     guint    mantissa,
                     gboolean is_unsigned,
                     gboolean sdnq_variant)
{
  guint num_bits = exponent + mantissa + (is_unsigned ? 0 : 1);
  QsDtype *dtype;
  const char *suffix;
  char *name;
  double max;

  if (is_unsigned)
    suffix = "u";
  else if (sdnq_variant)
    suffix = "_sdnq";
  else
    suffix = "";

  name = g_strdup_printf ("float%u_e%um%ufn%s", num_bits, exponent, mantissa, suffix);
  dtype = append_dtype (name, QS_DTYPE_KIND_CUSTOM_FLOAT, num_bits);
  dtype->exponent = exponent;
  dtype->mantissa = mantissa;
  dtype->is_unsigned = is_unsigned;
  /* Every exponent code is finite, so the top code is (2 − 2^−M) times
   * 2^(2^E − 1 − bias) with bias = 2^(E−1) − 1. */
  max = (2.0 - ldexp (1.0, -(int) mantissa)) * ldexp (1.0, 1 << (exponent - 1));
  dtype->max = max;
  dtype->min = is_unsigned ? 0.0 : -max;
  /* SDNQ flags every custom float as packed, even the 8- and 16-bit ones
   * that it stores one code per U8 or U16 element. */
  dtype->is_packed = TRUE;

  if (num_bits == 8 || num_bits == 16)
    dtype->storage = num_bits == 8 ? QS_STORAGE_U8 : QS_STORAGE_U16;
  else
    get_pack_layout (num_bits, &dtype->storage, &dtype->pack_block, &dtype->pack_words);
}

/* Appends every format of @num_bits bits with 1 to 5 exponent bits. Signed
 * formats spend one of the bits on the sign. The signed 8-bit e4m3 is
 * SDNQ's all-finite "_sdnq" variant, because the name float8_e4m3fn belongs
 * to the native PyTorch type. */
static void
append_custom_float_width (guint    num_bits,
                           gboolean is_unsigned)
{
  guint payload = is_unsigned ? num_bits : num_bits - 1;
  guint exponent;

  for (exponent = 1; exponent <= 5 && exponent <= payload; exponent++)
    append_custom_float (exponent, payload - exponent, is_unsigned,
                         !is_unsigned && num_bits == 8 && exponent == 4);
}

static void
build_table (void)
{
  guint bits;
  guint i;

  for (bits = 2; bits <= 16; bits++)
    append_integer (bits, FALSE);
  append_integer (32, FALSE);
  for (bits = 1; bits <= 16; bits++)
    append_integer (bits, TRUE);
  append_integer (32, TRUE);
  g_assert (n_dtype_table == N_INTEGER_DTYPES);

  /* SDNQ's table values: the bf16 and fp32 limits are the rounded decimals
   * 3.38953e38 and 3.40282e38, not the exact format maxima. */
  append_native_float ("float8_e4m3fn", 8, 4, 3, 448.0, QS_STORAGE_F8_E4M3);
  append_native_float ("float8_e5m2", 8, 5, 2, 57344.0, QS_STORAGE_F8_E5M2);
  append_native_float ("float16", 16, 5, 10, 65504.0, QS_STORAGE_F16);
  append_native_float ("bfloat16", 16, 8, 7, 3.38953e+38, QS_STORAGE_BF16);
  append_native_float ("float32", 32, 8, 23, 3.40282e+38, QS_STORAGE_F32);

  for (bits = 2; bits <= 16; bits++)
    append_custom_float_width (bits, FALSE);
  for (bits = 1; bits <= 16; bits++)
    append_custom_float_width (bits, TRUE);
  g_assert (n_dtype_table == N_DTYPES);

  dtype_index = g_hash_table_new (g_str_hash, g_str_equal);
  for (i = 0; i < n_dtype_table; i++)
    {
      dtype_pointers[i] = &dtype_table[i];
      g_hash_table_insert (dtype_index, (gpointer) dtype_table[i].name, &dtype_table[i]);
    }

  for (i = 0; i < G_N_ELEMENTS (dtype_aliases); i++)
    {
      QsDtype *target = g_hash_table_lookup (dtype_index, dtype_aliases[i].target);

      g_assert (target != NULL);
      g_hash_table_insert (dtype_index, (gpointer) dtype_aliases[i].alias, target);
    }
}

static void
ensure_table (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      build_table ();
      g_once_init_leave (&initialized, 1);
    }
}

const QsDtype *
qs_dtype_lookup (const char *name)
{
  g_autofree char *lower = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  ensure_table ();

  lower = g_ascii_strdown (name, -1);
  return g_hash_table_lookup (dtype_index, lower);
}

const QsDtype *const *
qs_dtype_get_all (guint *n_dtypes)
{
  g_return_val_if_fail (n_dtypes != NULL, NULL);

  ensure_table ();

  *n_dtypes = n_dtype_table;
  return dtype_pointers;
}

char *
qs_dtype_list_names (void)
{
  GString *names = g_string_new (NULL);
  guint i;

  ensure_table ();

  for (i = 0; i < n_dtype_table; i++)
    {
      if (names->len > 0)
        g_string_append (names, ", ");
      g_string_append (names, dtype_table[i].name);
    }

  for (i = 0; i < G_N_ELEMENTS (dtype_aliases); i++)
    g_string_append_printf (names, ", %s", dtype_aliases[i].alias);

  return g_string_free (names, FALSE);
}

const char *
qs_storage_type_to_string (QsStorageType type)
{
  switch (type)
    {
    case QS_STORAGE_U8:
      return "U8";
    case QS_STORAGE_I8:
      return "I8";
    case QS_STORAGE_U16:
      return "U16";
    case QS_STORAGE_I16:
      return "I16";
    case QS_STORAGE_U32:
      return "U32";
    case QS_STORAGE_I32:
      return "I32";
    case QS_STORAGE_I64:
      return "I64";
    case QS_STORAGE_F8_E4M3:
      return "F8_E4M3";
    case QS_STORAGE_F8_E5M2:
      return "F8_E5M2";
    case QS_STORAGE_F16:
      return "F16";
    case QS_STORAGE_BF16:
      return "BF16";
    case QS_STORAGE_F32:
      return "F32";
    default:
      g_return_val_if_reached (NULL);
    }
}

guint
qs_storage_type_get_size (QsStorageType type)
{
  switch (type)
    {
    case QS_STORAGE_U8:
    case QS_STORAGE_I8:
    case QS_STORAGE_F8_E4M3:
    case QS_STORAGE_F8_E5M2:
      return 1;
    case QS_STORAGE_U16:
    case QS_STORAGE_I16:
    case QS_STORAGE_F16:
    case QS_STORAGE_BF16:
      return 2;
    case QS_STORAGE_U32:
    case QS_STORAGE_I32:
    case QS_STORAGE_F32:
      return 4;
    case QS_STORAGE_I64:
      return 8;
    default:
      g_return_val_if_reached (0);
    }
}
