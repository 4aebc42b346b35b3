/* qs-dtype.h: the SDNQ weight dtype table
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * QsDtypeKind:
 * @QS_DTYPE_KIND_INT: a signed or unsigned integer of 1 to 32 bits; packed
 *   below 8 bits and between 9 and 15 bits
 * @QS_DTYPE_KIND_NATIVE_FLOAT: a PyTorch float (float8_e4m3fn, float8_e5m2,
 *   float16, bfloat16, float32), cast with round-to-nearest-even
 * @QS_DTYPE_KIND_CUSTOM_FLOAT: an SDNQ packed float `float{N}_e{E}m{M}fn[u]`
 *   with no Inf or NaN codes and SDNQ's own rounding
 */
typedef enum
{
  QS_DTYPE_KIND_INT,
  QS_DTYPE_KIND_NATIVE_FLOAT,
  QS_DTYPE_KIND_CUSTOM_FLOAT,
} QsDtypeKind;

/**
 * QsStorageType:
 *
 * The safetensors element type that SDNQ writes for a quantized weight,
 * after packing.
 */
typedef enum
{
  QS_STORAGE_U8,
  QS_STORAGE_I8,
  QS_STORAGE_U16,
  QS_STORAGE_I16,
  QS_STORAGE_U32,
  QS_STORAGE_I32,
  QS_STORAGE_I64,
  QS_STORAGE_F8_E4M3,
  QS_STORAGE_F8_E5M2,
  QS_STORAGE_F16,
  QS_STORAGE_BF16,
  QS_STORAGE_F32,
} QsStorageType;

/**
 * QsDtype:
 * @name: the canonical SDNQ name, e.g. "uint4" or "float6_e3m2fn"
 * @kind: integer, native float or custom float
 * @num_bits: bits per quantized element before packing
 * @exponent: exponent bits (floats only)
 * @mantissa: mantissa bits (floats only)
 * @min: the lowest quantized value (the clamp floor)
 * @max: the highest quantized value; SDNQ's table value, including its
 *   2^N (not 2^N - 1) for uint9 to uint15
 * @is_unsigned: asymmetric quantization with a zero point
 * @is_integer: rounded with round-half-even rather than a float encoder
 * @is_packed: SDNQ's is_packed flag: set for integers below 8 bits and
 *   from 9 to 15 bits, and for every custom float, including the 8- and
 *   16-bit ones that are stored one code per element (@pack_block is 1)
 * @storage: the safetensors element type of the stored weight; I64 for
 *   uint1 and float1_e1m0fnu, because PyTorch promotes the shifted bool
 *   tensor to int64
 * @pack_block: elements per packing block (1 when not packed)
 * @pack_words: words per packing block (1 when not packed)
 *
 * One row of SDNQ's `dtype_dict`. Entries are static and never freed.
 */
typedef struct
{
  const char    *name;
  QsDtypeKind    kind;
  guint          num_bits;
  guint          exponent;
  guint          mantissa;
  double         min;
  double         max;
  gboolean       is_unsigned;
  gboolean       is_integer;
  gboolean       is_packed;
  QsStorageType  storage;
  guint          pack_block;
  guint          pack_words;
} QsDtype;

/**
 * qs_dtype_lookup:
 * @name: a dtype name or alias ("fp8", "int1", "ufp4", "bool", ...)
 *
 * Looks @name up case-insensitively among SDNQ's names and aliases.
 *
 * Returns: (nullable): the table entry, or %NULL when @name is unknown
 */
const QsDtype       *qs_dtype_lookup          (const char  *name);

/**
 * qs_dtype_get_all:
 * @n_dtypes: (out): the number of entries
 *
 * Returns: every canonical dtype, in a stable order (integers, native
 *   floats, custom floats)
 */
const QsDtype *const *qs_dtype_get_all        (guint       *n_dtypes);

/**
 * qs_dtype_list_names:
 *
 * Returns: (transfer full): a comma-separated list of canonical names and
 *   aliases, for help text and error messages
 */
char                *qs_dtype_list_names      (void);

/**
 * qs_storage_type_to_string:
 *
 * Returns: the safetensors dtype string of @type ("U8", "I16", ...)
 */
const char          *qs_storage_type_to_string (QsStorageType type);

/**
 * qs_storage_type_get_size:
 *
 * Returns: the size of one element of @type in bytes
 */
guint                qs_storage_type_get_size (QsStorageType type);

G_END_DECLS
