/* test-engine-safetensors.c: the safetensors reader
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <gio/gio.h>

#include "qs-error.h"
#include "qs-safetensors.h"
#include "qs-test-utils.h"

static char *tmp_dir;

/* Writes @st into the program's temporary folder. */
static char *
write_fixture (QsTestSafetensors *st,
               const char        *name)
{
  char *path = g_build_filename (tmp_dir, name, NULL);

  qs_test_safetensors_write (st, path);
  return path;
}

static QsSafetensorsFile *
open_fixture (QsTestSafetensors *st,
              const char        *name)
{
  g_autofree char *path = write_fixture (st, name);
  g_autoptr(GError) error = NULL;
  QsSafetensorsFile *file;

  file = qs_safetensors_file_open (path, 0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (file);

  return file;
}

/* Opens a fixture that must fail and returns the error, after checking
 * that the message names the file. */
static GError *
open_fixture_error (QsTestSafetensors *st,
                    const char        *name,
                    guint64            header_limit)
{
  g_autofree char *path = write_fixture (st, name);
  GError *error = NULL;
  QsSafetensorsFile *file;

  file = qs_safetensors_file_open (path, header_limit, &error);
  g_assert_null (file);
  g_assert_nonnull (error);
  qs_test_assert_contains (error->message, path);

  return error;
}

static void
assert_float_bits (float actual,
                   float expected)
{
  guint32 actual_bits;
  guint32 expected_bits;

  memcpy (&actual_bits, &actual, 4);
  memcpy (&expected_bits, &expected, 4);
  if (actual_bits != expected_bits)
    g_error ("Decoded %.9g (0x%08x), expected %.9g (0x%08x)",
             actual, actual_bits, expected, expected_bits);
}

static float
float_from_bits (guint32 bits)
{
  float value;

  memcpy (&value, &bits, 4);
  return value;
}

static void
test_dtype_strings (void)
{
  static const struct
  {
    const char *name;
    guint bits;
    gboolean is_float;
    gboolean decodable;
  } expected[] = {
    { "BOOL", 8, FALSE, FALSE },
    { "F4", 4, TRUE, FALSE },
    { "F6_E2M3", 6, TRUE, FALSE },
    { "F6_E3M2", 6, TRUE, FALSE },
    { "U8", 8, FALSE, FALSE },
    { "I8", 8, FALSE, FALSE },
    { "F8_E5M2", 8, TRUE, TRUE },
    { "F8_E4M3", 8, TRUE, TRUE },
    { "F8_E8M0", 8, TRUE, FALSE },
    { "F8_E4M3FNUZ", 8, TRUE, FALSE },
    { "F8_E5M2FNUZ", 8, TRUE, FALSE },
    { "I16", 16, FALSE, FALSE },
    { "U16", 16, FALSE, FALSE },
    { "F16", 16, TRUE, TRUE },
    { "BF16", 16, TRUE, TRUE },
    { "I32", 32, FALSE, FALSE },
    { "U32", 32, FALSE, FALSE },
    { "F32", 32, TRUE, TRUE },
    { "C64", 64, TRUE, FALSE },
    { "F64", 64, TRUE, TRUE },
    { "I64", 64, FALSE, FALSE },
    { "U64", 64, FALSE, FALSE },
  };
  QsTensorDtype dtype;

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_true (qs_tensor_dtype_from_string (expected[i].name, &dtype));
      g_assert_cmpuint (dtype, ==, i);
      g_assert_cmpstr (qs_tensor_dtype_to_string (dtype), ==, expected[i].name);
      g_assert_cmpuint (qs_tensor_dtype_get_bits (dtype), ==, expected[i].bits);
      g_assert_cmpint (qs_tensor_dtype_is_float (dtype), ==, expected[i].is_float);
      g_assert_cmpint (qs_tensor_dtype_is_decodable (dtype), ==, expected[i].decodable);
    }

  g_assert_false (qs_tensor_dtype_from_string ("f32", &dtype));
  g_assert_false (qs_tensor_dtype_from_string ("F8_E4M3FN", &dtype));
  g_assert_false (qs_tensor_dtype_from_string ("", &dtype));
}

static void
test_decode_f32 (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsSafetensorsFile) file = NULL;
  g_autoptr(GError) error = NULL;
  const float values[] = { 1.0f, -2.5f, 3.14159274f, -0.0f, 1e-45f, 3.4028235e38f };
  const QsTensorInfo *info;
  float out[6];

  qs_test_safetensors_add_f32 (st, "w.weight", "[3, 2]", values, 6);
  file = open_fixture (st, "f32.safetensors");

  info = qs_safetensors_file_lookup (file, "w.weight");
  g_assert_nonnull (info);
  g_assert_cmpuint (info->dtype, ==, QS_TENSOR_F32);
  g_assert_cmpuint (info->ndim, ==, 2);
  g_assert_cmpint (info->shape[0], ==, 3);
  g_assert_cmpint (info->shape[1], ==, 2);
  g_assert_cmpuint (info->numel, ==, 6);
  g_assert_cmpuint (info->data_begin, ==, 0);
  g_assert_cmpuint (info->data_end, ==, 24);
  g_assert_true (info->file == file);
  g_assert_cmpuint (qs_tensor_row_numel (info), ==, 2);

  g_assert_true (qs_tensor_decode_rows (info, 0, 3, out, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 6; i++)
    assert_float_bits (out[i], values[i]);

  /* A row range starts at its own row. */
  memset (out, 0, sizeof out);
  g_assert_true (qs_tensor_decode_rows (info, 1, 2, out, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 4; i++)
    assert_float_bits (out[i], values[i + 2]);

  g_assert_true (qs_tensor_decode_rows (info, 3, 0, out, &error));
  g_assert_no_error (error);
}

static void
test_decode_f16 (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsSafetensorsFile) file = NULL;
  g_autoptr(GError) error = NULL;
  /* 1, -2, 65504 (max), 2^-24 (min subnormal), -0, 0.333251953125, Inf */
  const guint16 bits[] = { 0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x3555, 0x7C00 };
  const float expected[] = { 1.0f, -2.0f, 65504.0f, 5.9604644775390625e-08f, -0.0f,
                             0.333251953125f, INFINITY };
  float out[7];

  qs_test_safetensors_add_u16 (st, "h", "F16", "[7]", bits, 7);
  file = open_fixture (st, "f16.safetensors");

  g_assert_true (qs_tensor_decode_rows (qs_safetensors_file_lookup (file, "h"), 0, 7, out, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 7; i++)
    assert_float_bits (out[i], expected[i]);
}

static void
test_decode_bf16_patterns (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsSafetensorsFile) file = NULL;
  g_autoptr(GError) error = NULL;
  /* 1.0, -2.0, the largest finite value, the smallest subnormal, -0, Inf,
   * and 0x4049 = 3.140625, which the F16 decoder would read as 8.5703125. */
  const guint16 bits[] = { 0x3F80, 0xC000, 0x7F7F, 0x0001, 0x8000, 0x7F80, 0x4049 };
  float out[7];

  qs_test_safetensors_add_u16 (st, "b", "BF16", "[7, 1]", bits, 7);
  file = open_fixture (st, "bf16.safetensors");

  g_assert_true (qs_tensor_decode_rows (qs_safetensors_file_lookup (file, "b"), 0, 7, out, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < 7; i++)
    assert_float_bits (out[i], float_from_bits ((guint32) bits[i] << 16));

  assert_float_bits (out[0], 1.0f);
  assert_float_bits (out[1], -2.0f);
  assert_float_bits (out[2], 3.38953139e38f);
  assert_float_bits (out[3], 9.18354962e-41f);
  assert_float_bits (out[6], 3.140625f);
  g_assert_true (isinf (out[5]) && out[5] > 0);
}

static void
test_decode_f64 (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsSafetensorsFile) file = NULL;
  g_autoptr(GError) error = NULL;
  const double values[] = { 1.5, -0.1, 1e-3, 1e300, -1e-50 };
  guint8 bytes[sizeof values];
  float out[5];

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      guint64 bits;

      memcpy (&bits, &values[i], 8);
      bits = GUINT64_TO_LE (bits);
      memcpy (bytes + 8 * i, &bits, 8);
    }

  qs_test_safetensors_add (st, "d", "F64", "[5]", bytes, sizeof bytes);
  file = open_fixture (st, "f64.safetensors");

  g_assert_true (qs_tensor_decode_rows (qs_safetensors_file_lookup (file, "d"), 0, 5, out, &error));
  g_assert_no_error (error);

  /* Rounded to nearest: the same result as a C cast. */
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    assert_float_bits (out[i], (float) values[i]);
  assert_float_bits (out[1], -0.1f);
  g_assert_true (isinf (out[3]));
  assert_float_bits (out[4], -0.0f);
}

static void
test_decode_f8 (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsSafetensorsFile) file = NULL;
  g_autoptr(GError) error = NULL;
  /* E4M3: 1, -2, 448 (max), 2^-9 (min subnormal), 0.5; E5M2: 1, -2,
   * 57344 (max), 2^-16 (min subnormal), Inf. */
  const guint8 e4m3[] = { 0x38, 0xC0, 0x7E, 0x01, 0x30 };
  const guint8 e5m2[] = { 0x3C, 0xC0, 0x7B, 0x01, 0x7C };
  const float e4m3_expected[] = { 1.0f, -2.0f, 448.0f, 0.001953125f, 0.5f };
  const float e5m2_expected[] = { 1.0f, -2.0f, 57344.0f, 1.52587890625e-05f, INFINITY };
  float out[5];

  qs_test_safetensors_add (st, "e4m3", "F8_E4M3", "[5]", e4m3, 5);
  qs_test_safetensors_add (st, "e5m2", "F8_E5M2", "[5]", e5m2, 5);
  file = open_fixture (st, "f8.safetensors");

  g_assert_true (qs_tensor_decode_rows (qs_safetensors_file_lookup (file, "e4m3"), 0, 5, out, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 5; i++)
    assert_float_bits (out[i], e4m3_expected[i]);

  g_assert_true (qs_tensor_decode_rows (qs_safetensors_file_lookup (file, "e5m2"), 0, 5, out, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 5; i++)
    assert_float_bits (out[i], e5m2_expected[i]);
}

static void
test_decode_errors (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsSafetensorsFile) file = NULL;
  g_autoptr(GError) error = NULL;
  const float values[] = { 1, 2, 3, 4 };
  const guint8 ints[] = { 1, 2, 3, 4 };
  float out[4];

  qs_test_safetensors_add_f32 (st, "f", "[2, 2]", values, 4);
  qs_test_safetensors_add (st, "i", "I8", "[4]", ints, 4);
  file = open_fixture (st, "decode-errors.safetensors");

  g_assert_false (qs_tensor_decode_rows (qs_safetensors_file_lookup (file, "f"), 1, 2, out, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_false (qs_tensor_decode_rows (qs_safetensors_file_lookup (file, "f"), -1, 1, out, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_false (qs_tensor_decode_rows (qs_safetensors_file_lookup (file, "i"), 0, 4, out, &error));
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_UNSUPPORTED, "I8");
}

static void
test_offset_order_and_lookup (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsSafetensorsFile) file = NULL;
  g_autofree char *path = NULL;
  const QsTensorInfo *info;

  /* Header order differs from data order; the reader lists by offset. */
  qs_test_safetensors_add_entry (st, "second", "U8", "[4]", 2, 6);
  qs_test_safetensors_add_entry (st, "first", "U8", "[2]", 0, 2);
  qs_test_safetensors_add_entry (st, "empty", "F32", "[0, 3]", 6, 6);
  qs_test_safetensors_append_data (st, "abcdef", 6);
  path = write_fixture (st, "order.safetensors");
  file = open_fixture (st, "order.safetensors");

  g_assert_cmpstr (qs_safetensors_file_get_path (file), ==, path);
  g_assert_cmpuint (qs_safetensors_file_get_n_tensors (file), ==, 3);
  g_assert_cmpstr (qs_safetensors_file_get_tensor (file, 0)->name, ==, "first");
  g_assert_cmpstr (qs_safetensors_file_get_tensor (file, 1)->name, ==, "second");
  g_assert_cmpstr (qs_safetensors_file_get_tensor (file, 2)->name, ==, "empty");
  g_assert_null (qs_safetensors_file_lookup (file, "missing"));

  info = qs_safetensors_file_lookup (file, "second");
  g_assert_nonnull (info);
  g_assert_cmpmem (qs_safetensors_file_get_data (file, info), 4, "cdef", 4);

  g_assert_cmpuint (qs_safetensors_file_get_warnings (file)->len, ==, 0);
  g_assert_cmpuint (g_hash_table_size (qs_safetensors_file_get_metadata (file)), ==, 0);
}

static void
test_metadata_map (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsSafetensorsFile) file = NULL;
  GHashTable *metadata;
  const float value = 1.0f;

  qs_test_safetensors_add_metadata (st, "format", "pt");
  qs_test_safetensors_add_metadata (st, "modelspec.title", "Tiny test");
  qs_test_safetensors_add_f32 (st, "x", "[1]", &value, 1);
  file = open_fixture (st, "metadata.safetensors");

  metadata = qs_safetensors_file_get_metadata (file);
  g_assert_cmpuint (g_hash_table_size (metadata), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (metadata, "format"), ==, "pt");
  g_assert_cmpstr (g_hash_table_lookup (metadata, "modelspec.title"), ==, "Tiny test");
  g_assert_cmpuint (qs_safetensors_file_get_n_tensors (file), ==, 1);
  g_assert_null (qs_safetensors_file_lookup (file, "__metadata__"));
}

static void
test_header_limit (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsSafetensorsFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  const float value = 2.0f;

  qs_test_safetensors_add_f32 (st, "x", "[1]", &value, 1);

  /* A header one byte over the limit names the limit. */
  qs_test_safetensors_set_header_length (st, 129);
  error = open_fixture_error (st, "over-limit.safetensors", 128);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                                 "limit of 128 bytes");
  qs_test_assert_contains (error->message, "129 bytes");
  g_clear_error (&error);

  /* Exactly at the limit is accepted. */
  qs_test_safetensors_set_header_length (st, 128);
  path = write_fixture (st, "at-limit.safetensors");
  file = qs_safetensors_file_open (path, 128, &error);
  g_assert_no_error (error);
  g_assert_nonnull (file);
  g_assert_cmpuint (qs_safetensors_file_get_n_tensors (file), ==, 1);
}

static void
test_header_limit_default (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(GError) error = NULL;

  /* A size field just above 100,000,000 is rejected before the file size
   * is even considered. */
  qs_test_safetensors_set_header_size_field (st, QS_SAFETENSORS_DEFAULT_HEADER_LIMIT + 1);
  error = open_fixture_error (st, "over-default-limit.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                                 "limit of 100000000 bytes");
}

static void
test_zero_tensors_with_metadata (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsSafetensorsFile) file = NULL;

  qs_test_safetensors_add_metadata (st, "format", "pt");
  file = open_fixture (st, "zero-tensors.safetensors");

  g_assert_cmpuint (qs_safetensors_file_get_n_tensors (file), ==, 0);
  g_assert_cmpstr (g_hash_table_lookup (qs_safetensors_file_get_metadata (file), "format"), ==, "pt");
  g_assert_cmpuint (qs_safetensors_file_get_warnings (file)->len, ==, 0);
}

static void
test_empty_header_object (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsSafetensorsFile) file = NULL;

  qs_test_safetensors_set_raw_header (st, "{}");
  qs_test_safetensors_set_header_padding (st, 0);
  file = open_fixture (st, "empty-object.safetensors");

  g_assert_cmpuint (qs_safetensors_file_get_n_tensors (file), ==, 0);
  g_assert_cmpuint (qs_safetensors_file_get_size (file), ==, 10);
}

static void
test_metadata_non_string (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(GError) error = NULL;

  qs_test_safetensors_set_raw_metadata (st, "{\"format\": \"pt\", \"epoch\": 3}");
  error = open_fixture_error (st, "metadata-int.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "“epoch”");
  g_clear_error (&error);

  qs_test_safetensors_set_raw_metadata (st, "{\"nested\": {\"a\": \"b\"}}");
  error = open_fixture_error (st, "metadata-nested.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "“nested”");
  g_clear_error (&error);

  qs_test_safetensors_set_raw_metadata (st, "[\"format\", \"pt\"]");
  error = open_fixture_error (st, "metadata-array.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "__metadata__");
}

static void
test_metadata_as_tensor (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(GError) error = NULL;

  /* A tensor entry under the reserved name is a metadata map with
   * non-string values, so the file is rejected. */
  qs_test_safetensors_set_raw_metadata (st, "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}");
  qs_test_safetensors_append_data (st, NULL, 4);
  error = open_fixture_error (st, "metadata-tensor.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "__metadata__");
}

static void
test_header_trailing_spaces (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsSafetensorsFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *header = NULL;
  const float values[] = { 7.0f, 8.0f };
  float out[2];

  qs_test_safetensors_add_f32 (st, "x", "[2]", values, 2);
  qs_test_safetensors_set_header_padding (st, 13);
  header = qs_test_safetensors_get_header (st);
  g_assert_true (g_str_has_suffix (header, "}             "));
  file = open_fixture (st, "trailing-spaces.safetensors");

  g_assert_true (qs_tensor_decode_rows (qs_safetensors_file_lookup (file, "x"), 0, 2, out, &error));
  g_assert_no_error (error);
  assert_float_bits (out[0], 7.0f);
  assert_float_bits (out[1], 8.0f);
}

static void
test_header_start (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(GError) error = NULL;

  qs_test_safetensors_set_raw_header (st, " {}");
  error = open_fixture_error (st, "leading-space.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                                 "does not start with “{”");
  g_clear_error (&error);

  qs_test_safetensors_set_raw_header (st, "[]");
  error = open_fixture_error (st, "array-header.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                                 "does not start with “{”");
  g_clear_error (&error);

  qs_test_safetensors_set_raw_header (st, "{\"x\": ");
  error = open_fixture_error (st, "broken-json.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "not valid JSON");
  g_clear_error (&error);

  qs_test_safetensors_set_raw_header (st, "{} {}");
  error = open_fixture_error (st, "two-objects.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "not valid JSON");
  g_clear_error (&error);

  qs_test_safetensors_set_raw_header (st, "{\"a\xff\": 1}");
  error = open_fixture_error (st, "not-utf8.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "UTF-8");
}

static GBytes *
build_valid_file (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  const float a[] = { 1, 2, 3, 4, 5, 6 };
  const float b[] = { -1, -2 };

  qs_test_safetensors_add_metadata (st, "format", "pt");
  qs_test_safetensors_add_f32 (st, "a.weight", "[2, 3]", a, 6);
  qs_test_safetensors_add_f32 (st, "b.bias", "[2]", b, 2);

  return qs_test_safetensors_to_bytes (st);
}

static void
test_truncated (void)
{
  g_autoptr(GBytes) bytes = build_valid_file ();
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  guint64 header_size;
  gsize cuts[9];

  memcpy (&header_size, data, 8);
  header_size = GUINT64_FROM_LE (header_size);

  /* Cut inside the size field, inside the header, right after it, inside
   * the first tensor, between tensors and one byte short of the end. */
  cuts[0] = 0;
  cuts[1] = 4;
  cuts[2] = 7;
  cuts[3] = 8;
  cuts[4] = 8 + header_size / 2;
  cuts[5] = 8 + header_size;
  cuts[6] = 8 + header_size + 10;
  cuts[7] = 8 + header_size + 24;
  cuts[8] = size - 1;

  for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
    {
      g_autofree char *name = g_strdup_printf ("truncated-%" G_GSIZE_FORMAT ".safetensors", cuts[i]);
      g_autofree char *path = g_build_filename (tmp_dir, name, NULL);
      g_autoptr(GError) error = NULL;
      QsSafetensorsFile *file;

      g_assert_cmpuint (cuts[i], <, size);
      qs_test_write_bytes (path, data, cuts[i]);
      file = qs_safetensors_file_open (path, 0, &error);
      g_assert_null (file);
      qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_TRUNCATED,
                                     "partial download?");
      qs_test_assert_contains (error->message, path);
    }
}

static void
test_lfs_pointer (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "lfs.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  const char *pointer =
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 2626168\n";
  QsSafetensorsFile *file;

  g_assert_cmpuint (strlen (pointer), >=, 128);
  g_assert_cmpuint (strlen (pointer), <=, 134);
  qs_test_write_file (path, pointer);

  file = qs_safetensors_file_open (path, 0, &error);
  g_assert_null (file);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_LFS_POINTER, "git lfs pull");
  qs_test_assert_contains (error->message, path);
}

static void
test_text_file (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "text.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  QsSafetensorsFile *file;

  qs_test_write_file (path, "This is a README, not a weight file.\n");
  file = qs_safetensors_file_open (path, 0, &error);
  g_assert_null (file);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "starts with text");
}

static void
test_missing_file_and_folder (void)
{
  g_autofree char *missing = g_build_filename (tmp_dir, "missing.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  QsSafetensorsFile *file;

  file = qs_safetensors_file_open (missing, 0, &error);
  g_assert_null (file);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND, missing);
  g_clear_error (&error);

  file = qs_safetensors_file_open (tmp_dir, 0, &error);
  g_assert_null (file);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "folder");
}

static void
test_trailing_bytes_warning (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsSafetensorsFile) file = NULL;
  g_autoptr(GError) error = NULL;
  const GPtrArray *warnings;
  const float values[] = { 0.5f, 0.25f };
  float out[2];

  qs_test_safetensors_add_f32 (st, "x", "[2]", values, 2);
  qs_test_safetensors_set_trailing (st, "1234567", 7);
  file = open_fixture (st, "trailing-bytes.safetensors");

  warnings = qs_safetensors_file_get_warnings (file);
  g_assert_cmpuint (warnings->len, ==, 1);
  qs_test_assert_contains (g_ptr_array_index (warnings, 0), "7 bytes after the last tensor");
  qs_test_assert_contains (g_ptr_array_index (warnings, 0), "trailing-bytes.safetensors");

  g_assert_true (qs_tensor_decode_rows (qs_safetensors_file_lookup (file, "x"), 0, 2, out, &error));
  g_assert_no_error (error);
  assert_float_bits (out[0], 0.5f);
  assert_float_bits (out[1], 0.25f);
}

static void
test_misaligned_data (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsSafetensorsFile) file = NULL;
  g_autoptr(GError) error = NULL;
  const float values[] = { 1.1f, -2.2f, 3.3f, 1e-40f, -65504.5f, 0.1f };
  const guint16 halves[] = { 0x3F80, 0xBF80, 0x4049 };
  const QsTensorInfo *info;
  const guint8 *data;
  float out[6];

  /* An odd header length and a 3-byte U8 tensor put the F32 data at an
   * address that is not a multiple of 4; the BF16 data after it starts at
   * an odd address. */
  qs_test_safetensors_add (st, "flags", "U8", "[3]", "\x01\x02\x03", 3);
  qs_test_safetensors_add_f32 (st, "w.weight", "[2, 3]", values, 6);
  qs_test_safetensors_add_u16 (st, "h", "BF16", "[3]", halves, 3);
  qs_test_safetensors_set_header_padding (st, 3);
  file = open_fixture (st, "misaligned.safetensors");

  info = qs_safetensors_file_lookup (file, "w.weight");
  data = qs_safetensors_file_get_data (file, info);
  g_assert_cmpuint (((guintptr) data) % 4, !=, 0);
  g_assert_cmpuint (info->data_begin, ==, 3);

  g_assert_true (qs_tensor_decode_rows (info, 0, 2, out, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 6; i++)
    assert_float_bits (out[i], values[i]);

  g_assert_true (qs_tensor_decode_rows (info, 1, 1, out, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    assert_float_bits (out[i], values[3 + i]);

  info = qs_safetensors_file_lookup (file, "h");
  g_assert_cmpuint (((guintptr) qs_safetensors_file_get_data (file, info)) % 2, ==, 1);
  g_assert_true (qs_tensor_decode_rows (info, 0, 3, out, &error));
  g_assert_no_error (error);
  assert_float_bits (out[0], 1.0f);
  assert_float_bits (out[1], -1.0f);
  assert_float_bits (out[2], 3.140625f);
}

static void
test_every_dtype_string (void)
{
  static const struct
  {
    const char *dtype;
    const char *shape;
    gsize size;
  } tensors[] = {
    { "BOOL", "[2]", 2 },
    { "F4", "[2, 4]", 4 },
    { "F6_E2M3", "[4]", 3 },
    { "F6_E3M2", "[1, 8]", 6 },
    { "U8", "[2]", 2 },
    { "I8", "[2]", 2 },
    { "F8_E5M2", "[2]", 2 },
    { "F8_E4M3", "[2]", 2 },
    { "F8_E8M0", "[2]", 2 },
    { "F8_E4M3FNUZ", "[2]", 2 },
    { "F8_E5M2FNUZ", "[2]", 2 },
    { "I16", "[2]", 4 },
    { "U16", "[2]", 4 },
    { "F16", "[2]", 4 },
    { "BF16", "[2]", 4 },
    { "I32", "[2]", 8 },
    { "U32", "[2]", 8 },
    { "F32", "[2]", 8 },
    { "C64", "[2]", 16 },
    { "F64", "[2]", 16 },
    { "I64", "[1, 3]", 24 },
    { "U64", "[2]", 16 },
  };
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsSafetensorsFile) file = NULL;
  const QsTensorInfo *info;

  for (guint i = 0; i < G_N_ELEMENTS (tensors); i++)
    qs_test_safetensors_add (st, tensors[i].dtype, tensors[i].dtype, tensors[i].shape,
                             NULL, tensors[i].size);
  file = open_fixture (st, "every-dtype.safetensors");

  g_assert_cmpuint (qs_safetensors_file_get_n_tensors (file), ==, G_N_ELEMENTS (tensors));
  for (guint i = 0; i < G_N_ELEMENTS (tensors); i++)
    {
      QsTensorDtype dtype;

      info = qs_safetensors_file_lookup (file, tensors[i].dtype);
      g_assert_nonnull (info);
      g_assert_true (qs_tensor_dtype_from_string (tensors[i].dtype, &dtype));
      g_assert_cmpuint (info->dtype, ==, dtype);
      g_assert_cmpuint (info->data_end - info->data_begin, ==, tensors[i].size);
    }

  info = qs_safetensors_file_lookup (file, "I64");
  g_assert_cmpuint (info->ndim, ==, 2);
  g_assert_cmpint (info->shape[0], ==, 1);
  g_assert_cmpint (info->shape[1], ==, 3);
  g_assert_cmpuint (info->numel, ==, 3);
  g_assert_cmpuint (qs_tensor_row_numel (info), ==, 3);

  info = qs_safetensors_file_lookup (file, "F4");
  g_assert_cmpuint (info->numel, ==, 8);
}

static void
test_sub_byte_odd_last_dim (void)
{
  static const struct
  {
    const char *dtype;
    const char *shape;
    gsize size;
  } cases[] = {
    /* 3 F4 values are 12 bits: not a whole number of bytes. */
    { "F4", "[3]", 2 },
    { "F4", "[3]", 1 },
    /* 24 bits in all, but each row of 3 values ends mid-byte. */
    { "F4", "[2, 3]", 3 },
    /* A scalar F4 is 4 bits. */
    { "F4", "[]", 1 },
    { "F6_E3M2", "[2, 3]", 5 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
      g_autofree char *name = g_strdup_printf ("sub-byte-%u.safetensors", i);
      g_autoptr(GError) error = NULL;

      qs_test_safetensors_add (st, "packed", cases[i].dtype, cases[i].shape, NULL, cases[i].size);
      error = open_fixture_error (st, name, 0);
      qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "malformed");
      qs_test_assert_contains (error->message, "“packed”");
    }
}

static void
test_offsets_hole (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(GError) error = NULL;

  qs_test_safetensors_add_entry (st, "a", "U8", "[4]", 0, 4);
  qs_test_safetensors_add_entry (st, "b", "U8", "[4]", 8, 12);
  qs_test_safetensors_append_data (st, NULL, 12);
  error = open_fixture_error (st, "hole.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "hole before tensor “b”");
  g_clear_error (&error);

  /* The data must start at offset 0. */
  g_clear_pointer (&st, qs_test_safetensors_free);
  st = qs_test_safetensors_new ();
  qs_test_safetensors_add_entry (st, "a", "U8", "[4]", 2, 6);
  qs_test_safetensors_append_data (st, NULL, 6);
  error = open_fixture_error (st, "hole-at-start.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "hole before tensor “a”");
}

static void
test_offsets_overlap (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(GError) error = NULL;

  qs_test_safetensors_add_entry (st, "a", "U8", "[8]", 0, 8);
  qs_test_safetensors_add_entry (st, "b", "U8", "[8]", 4, 12);
  qs_test_safetensors_append_data (st, NULL, 12);
  error = open_fixture_error (st, "overlap.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "overlaps");
  qs_test_assert_contains (error->message, "“a”");
  qs_test_assert_contains (error->message, "“b”");
  g_clear_error (&error);

  /* Two tensors sharing the same bytes overlap too. */
  g_clear_pointer (&st, qs_test_safetensors_free);
  st = qs_test_safetensors_new ();
  qs_test_safetensors_add_entry (st, "a", "U8", "[4]", 0, 4);
  qs_test_safetensors_add_entry (st, "tied", "U8", "[4]", 0, 4);
  qs_test_safetensors_append_data (st, NULL, 4);
  error = open_fixture_error (st, "shared-bytes.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "overlaps");
}

static void
test_offsets_out_of_bounds (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(GError) error = NULL;

  qs_test_safetensors_add_entry (st, "a", "U8", "[4]", 0, 4);
  qs_test_safetensors_add_entry (st, "b", "F32", "[4]", 4, 20);
  qs_test_safetensors_append_data (st, NULL, 12);
  error = open_fixture_error (st, "out-of-bounds.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_TRUNCATED, "20 bytes of tensor data");
  g_clear_error (&error);

  /* An end offset of 2^60 must not overflow the size computation. */
  g_clear_pointer (&st, qs_test_safetensors_free);
  st = qs_test_safetensors_new ();
  qs_test_safetensors_add_entry (st, "huge", "U8", "[1152921504606846976]", 0,
                                 G_GUINT64_CONSTANT (1152921504606846976));
  error = open_fixture_error (st, "huge-offset.safetensors", 0);
  g_assert_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_TRUNCATED);
  g_clear_error (&error);

  /* Past 2^63 json-glib reads a negative number, which is rejected. */
  g_clear_pointer (&st, qs_test_safetensors_free);
  st = qs_test_safetensors_new ();
  qs_test_safetensors_add_entry (st, "wrapped", "U8", "[1]", 0,
                                 G_GUINT64_CONSTANT (18446744073709551615));
  error = open_fixture_error (st, "wrapped-offset.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "data_offsets");
}

static void
test_offsets_wrong_size (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(GError) error = NULL;

  qs_test_safetensors_add (st, "w", "F32", "[2, 3]", NULL, 20);
  error = open_fixture_error (st, "wrong-size.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "need 24 bytes");
  qs_test_assert_contains (error->message, "span 20 bytes");
  g_clear_error (&error);

  g_clear_pointer (&st, qs_test_safetensors_free);
  st = qs_test_safetensors_new ();
  qs_test_safetensors_add_entry (st, "w", "U8", "[0]", 4, 0);
  qs_test_safetensors_append_data (st, NULL, 4);
  error = open_fixture_error (st, "reversed.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "end before they begin");
  g_clear_error (&error);

  /* A shape whose element count overflows 64 bits. */
  g_clear_pointer (&st, qs_test_safetensors_free);
  st = qs_test_safetensors_new ();
  qs_test_safetensors_add_entry (st, "w", "U8", "[4294967296, 4294967296]", 0, 0);
  error = open_fixture_error (st, "overflow-shape.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "64-bit");
  g_clear_error (&error);

  /* Even with a zero dimension, the row size must fit in 64 bits. */
  g_clear_pointer (&st, qs_test_safetensors_free);
  st = qs_test_safetensors_new ();
  qs_test_safetensors_add_entry (st, "w", "U8", "[0, 4294967296, 4294967296]", 0, 0);
  error = open_fixture_error (st, "overflow-row.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "64-bit");
}

static void
test_duplicate_names (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(GError) error = NULL;

  qs_test_safetensors_add (st, "w.weight", "U8", "[2]", "ab", 2);
  qs_test_safetensors_add (st, "w.weight", "U8", "[2]", "cd", 2);
  error = open_fixture_error (st, "duplicate.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "“w.weight” twice");
  g_clear_error (&error);

  /* The same name spelled with a JSON escape is still a duplicate. */
  g_clear_pointer (&st, qs_test_safetensors_free);
  st = qs_test_safetensors_new ();
  qs_test_safetensors_add (st, "ab", "U8", "[2]", "ab", 2);
  qs_test_safetensors_add (st, "a\\u0062", "U8", "[2]", "cd", 2);
  error = open_fixture_error (st, "duplicate-escaped.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "“ab” twice");
  g_clear_error (&error);

  g_clear_pointer (&st, qs_test_safetensors_free);
  st = qs_test_safetensors_new ();
  qs_test_safetensors_add_raw_entry (st, "w",
                                     "{\"dtype\":\"U8\",\"dtype\":\"I8\",\"shape\":[2],"
                                     "\"data_offsets\":[0,2]}");
  qs_test_safetensors_append_data (st, NULL, 2);
  error = open_fixture_error (st, "duplicate-key.safetensors", 0);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                                 "the entry of “w” lists the key “dtype” twice");
}

static void
test_malformed_entries (void)
{
  static const struct
  {
    const char *entry;
    const char *message;
  } cases[] = {
    { "{\"shape\":[2],\"data_offsets\":[0,2]}", "no “dtype” string" },
    { "{\"dtype\":8,\"shape\":[2],\"data_offsets\":[0,2]}", "no “dtype” string" },
    { "{\"dtype\":\"F12\",\"shape\":[2],\"data_offsets\":[0,2]}", "unknown dtype “F12”" },
    { "{\"dtype\":\"u8\",\"shape\":[2],\"data_offsets\":[0,2]}", "unknown dtype “u8”" },
    { "{\"dtype\":\"U8\",\"data_offsets\":[0,2]}", "no “shape” array" },
    { "{\"dtype\":\"U8\",\"shape\":[-2],\"data_offsets\":[0,2]}", "dimension 0" },
    { "{\"dtype\":\"U8\",\"shape\":[1, 2.0],\"data_offsets\":[0,2]}", "dimension 1" },
    { "{\"dtype\":\"U8\",\"shape\":[\"2\"],\"data_offsets\":[0,2]}", "dimension 0" },
    { "{\"dtype\":\"U8\",\"shape\":[2]}", "no “data_offsets” array" },
    { "{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2]}", "two non-negative integers" },
    { "{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2,4]}", "two non-negative integers" },
    { "{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[-1,1]}", "two non-negative integers" },
    { "[0, 2]", "must be an object" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
      g_autofree char *name = g_strdup_printf ("malformed-%u.safetensors", i);
      g_autoptr(GError) error = NULL;

      qs_test_safetensors_add_raw_entry (st, "t", cases[i].entry);
      qs_test_safetensors_append_data (st, NULL, 2);
      error = open_fixture_error (st, name, 0);
      qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, cases[i].message);
    }
}

static void
test_zero_size_tensors (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsSafetensorsFile) file = NULL;
  g_autoptr(GError) error = NULL;
  const QsTensorInfo *info;
  const float value = 4.0f;
  float out[1] = { 99.0f };

  qs_test_safetensors_add (st, "empty-first", "F32", "[0]", NULL, 0);
  qs_test_safetensors_add_f32 (st, "scalar", "[]", &value, 1);
  qs_test_safetensors_add (st, "empty-last", "BF16", "[4, 0]", NULL, 0);
  file = open_fixture (st, "zero-size.safetensors");

  g_assert_cmpuint (qs_safetensors_file_get_n_tensors (file), ==, 3);

  info = qs_safetensors_file_lookup (file, "scalar");
  g_assert_cmpuint (info->ndim, ==, 0);
  g_assert_cmpuint (info->numel, ==, 1);
  g_assert_cmpuint (qs_tensor_row_numel (info), ==, 1);
  g_assert_true (qs_tensor_decode_rows (info, 0, 1, out, &error));
  g_assert_no_error (error);
  assert_float_bits (out[0], 4.0f);

  info = qs_safetensors_file_lookup (file, "empty-last");
  g_assert_cmpuint (info->numel, ==, 0);
  g_assert_cmpuint (qs_tensor_row_numel (info), ==, 0);
  g_assert_true (qs_tensor_decode_rows (info, 0, 4, out, &error));
  g_assert_no_error (error);
  assert_float_bits (out[0], 4.0f);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  tmp_dir = qs_test_make_tmp_dir ();

  g_test_add_func ("/qs/engine/safetensors/dtype-strings", test_dtype_strings);
  g_test_add_func ("/qs/engine/safetensors/decode-f32", test_decode_f32);
  g_test_add_func ("/qs/engine/safetensors/decode-f16", test_decode_f16);
  g_test_add_func ("/qs/engine/safetensors/decode-bf16-patterns", test_decode_bf16_patterns);
  g_test_add_func ("/qs/engine/safetensors/decode-f64", test_decode_f64);
  g_test_add_func ("/qs/engine/safetensors/decode-f8", test_decode_f8);
  g_test_add_func ("/qs/engine/safetensors/decode-errors", test_decode_errors);
  g_test_add_func ("/qs/engine/safetensors/offset-order-and-lookup", test_offset_order_and_lookup);
  g_test_add_func ("/qs/engine/safetensors/metadata-map", test_metadata_map);
  g_test_add_func ("/qs/engine/safetensors/header-limit", test_header_limit);
  g_test_add_func ("/qs/engine/safetensors/header-limit-default", test_header_limit_default);
  g_test_add_func ("/qs/engine/safetensors/zero-tensors-with-metadata", test_zero_tensors_with_metadata);
  g_test_add_func ("/qs/engine/safetensors/empty-header-object", test_empty_header_object);
  g_test_add_func ("/qs/engine/safetensors/metadata-non-string", test_metadata_non_string);
  g_test_add_func ("/qs/engine/safetensors/metadata-as-tensor", test_metadata_as_tensor);
  g_test_add_func ("/qs/engine/safetensors/header-trailing-spaces", test_header_trailing_spaces);
  g_test_add_func ("/qs/engine/safetensors/header-start", test_header_start);
  g_test_add_func ("/qs/engine/safetensors/truncated", test_truncated);
  g_test_add_func ("/qs/engine/safetensors/lfs-pointer", test_lfs_pointer);
  g_test_add_func ("/qs/engine/safetensors/text-file", test_text_file);
  g_test_add_func ("/qs/engine/safetensors/missing-file-and-folder", test_missing_file_and_folder);
  g_test_add_func ("/qs/engine/safetensors/trailing-bytes-warning", test_trailing_bytes_warning);
  g_test_add_func ("/qs/engine/safetensors/misaligned-data", test_misaligned_data);
  g_test_add_func ("/qs/engine/safetensors/every-dtype-string", test_every_dtype_string);
  g_test_add_func ("/qs/engine/safetensors/sub-byte-odd-last-dim", test_sub_byte_odd_last_dim);
  g_test_add_func ("/qs/engine/safetensors/offsets-hole", test_offsets_hole);
  g_test_add_func ("/qs/engine/safetensors/offsets-overlap", test_offsets_overlap);
  g_test_add_func ("/qs/engine/safetensors/offsets-out-of-bounds", test_offsets_out_of_bounds);
  g_test_add_func ("/qs/engine/safetensors/offsets-wrong-size", test_offsets_wrong_size);
  g_test_add_func ("/qs/engine/safetensors/duplicate-names", test_duplicate_names);
  g_test_add_func ("/qs/engine/safetensors/malformed-entries", test_malformed_entries);
  g_test_add_func ("/qs/engine/safetensors/zero-size-tensors", test_zero_size_tensors);

  status = g_test_run ();

  qs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);

  return status;
}
