/* test-engine-quantize.c: the SDNQ layout, the safetensors writer and the
 * quantize job
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "qs-error.h"
#include "qs-float.h"
#include "qs-quantize-job.h"
#include "qs-safetensors-writer.h"
#include "qs-sdnq-layout.h"
#include "qs-sdnq-reader.h"
#include "qs-test-utils.h"

/* Fixtures */

/* Writes @contents to @path and frees @path, so that a path built inline
 * does not leak. */
/* Returns @path and frees it when the current test ends, for paths built
 * inline in an argument list. */
static char *
queued_path (char *path)
{
  g_test_queue_free (path);

  return path;
}

static void
write_text_take (char       *path,
                 const char *contents)
{
  qs_test_write_file (path, contents);
  g_free (path);
}

static float
random_normal (GRand *rand)
{
  double u1 = g_rand_double_range (rand, 1e-12, 1.0);
  double u2 = g_rand_double (rand);

  return (float) (sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2));
}

static float *
make_weight (gsize   n,
             guint32 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  float *values = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    values[i] = 0.02f * random_normal (rand);

  return values;
}

/* The 2×32 weight of SDNQ's reference vectors. */
static void
fill_reference_weight (float *values)
{
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 32; j++)
      values[i * 32 + j] = (float) ((37 * i + 11 * j) % 61 - 30) / 64.0f;
}

static char *
shape_json (const gint64 *shape,
            guint         ndim)
{
  return qs_sdnq_format_shape (shape, ndim);
}

/* Adds an F32 tensor of @shape filled from @seed. */
static void
add_random_tensor (QsTestSafetensors *st,
                   const char        *name,
                   const gint64      *shape,
                   guint              ndim,
                   guint32            seed)
{
  gsize n = (gsize) qs_sdnq_shape_numel (shape, ndim);
  g_autofree float *values = make_weight (n, seed);
  g_autofree char *json = shape_json (shape, ndim);

  qs_test_safetensors_add_f32 (st, name, json, values, n);
}

static QsQuantizeResult *
quantize_model (const char          *source,
                QsQuantizeSettings  *settings,
                GError             **error)
{
  g_autoptr(QsModel) model = qs_model_open (source, NULL, error);
  g_autoptr(QsQuantizeJob) job = NULL;

  if (model == NULL)
    return NULL;

  job = qs_quantize_job_new (model, settings);
  return qs_quantize_job_run (job, NULL, error);
}

static QsQuantizeSettings *
settings_for (const char *output,
              const char *dtype,
              gint64      group_size)
{
  QsQuantizeSettings *settings = qs_quantize_settings_new ();

  settings->output_path = g_strdup (output);
  g_free (settings->config->weights_dtype);
  settings->config->weights_dtype = g_strdup (dtype);
  settings->config->group_size = group_size;
  settings->n_threads = 2;

  return settings;
}

static guint
count_entries (const char *folder)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;

  return n;
}

static char *
to_hex (const guint8 *bytes,
        gsize         n)
{
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (out, "%02x", bytes[i]);

  return g_string_free (out, FALSE);
}

static gboolean
files_equal (const char *a,
             const char *b)
{
  g_autofree char *contents_a = NULL;
  g_autofree char *contents_b = NULL;
  gsize length_a = 0;
  gsize length_b = 0;

  if (!g_file_get_contents (a, &contents_a, &length_a, NULL)
      || !g_file_get_contents (b, &contents_b, &length_b, NULL))
    return FALSE;

  return length_a == length_b && memcmp (contents_a, contents_b, length_a) == 0;
}

static JsonNode *
load_json (const char *path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);

  return json_node_copy (json_parser_get_root (parser));
}

/* Layout derivation: SDNQ's stored shapes at full size */

typedef struct
{
  const char *description;
  const char *dtype;
  gint64      group_size;
  gboolean    use_svd;
  gboolean    qmm;
  QsLayerKind kind;
  guint       ndim;
  gint64      shape[4];
  const char *weight_dtype;
  const char *weight_shape;
  const char *scale_shape;
  gboolean    zero_point;
  const char *svd_up;
  const char *svd_down;
} LayoutCase;

/* The rows of SDNQ's stored-shape table, measured on the real functions with
 * torch_dtype bf16 and the default config. */
static const LayoutCase layout_cases[] = {
  { "Linear int8", "int8", 0, FALSE, FALSE, QS_LAYER_LINEAR, 2, { 3072, 3072 },
    "I8", "[3072, 3, 1024]", "[3072, 3, 1]", FALSE, NULL, NULL },
  { "Linear int8 qmm", "int8", 0, FALSE, TRUE, QS_LAYER_LINEAR, 2, { 3072, 3072 },
    "I8", "[3072, 3072]", "[1, 3072]", FALSE, NULL, NULL },
  { "Linear int8 2560", "int8", 0, FALSE, FALSE, QS_LAYER_LINEAR, 2, { 3072, 2560 },
    "I8", "[3072, 2560]", "[3072, 1]", FALSE, NULL, NULL },
  { "uint8", "uint8", 0, FALSE, FALSE, QS_LAYER_LINEAR, 2, { 3072, 3072 },
    "U8", "[3072, 3, 1024]", "[3072, 3, 1]", TRUE, NULL, NULL },
  { "uint8 qmm", "uint8", 0, FALSE, TRUE, QS_LAYER_LINEAR, 2, { 3072, 3072 },
    "U8", "[3072, 3072]", "[1, 3072]", TRUE, NULL, NULL },
  { "int7", "int7", 0, FALSE, FALSE, QS_LAYER_LINEAR, 2, { 3072, 3072 },
    "U8", "[1179648, 7]", "[3072, 6, 1]", FALSE, NULL, NULL },
  { "int7 qmm", "int7", 0, FALSE, TRUE, QS_LAYER_LINEAR, 2, { 3072, 3072 },
    "U8", "[1179648, 7]", "[3072, 1]", FALSE, NULL, NULL },
  { "int6", "int6", 0, FALSE, FALSE, QS_LAYER_LINEAR, 2, { 3072, 3072 },
    "U8", "[2359296, 3]", "[3072, 12, 1]", FALSE, NULL, NULL },
  { "uint5", "uint5", 0, FALSE, FALSE, QS_LAYER_LINEAR, 2, { 3072, 3072 },
    "U8", "[1179648, 5]", "[3072, 24, 1]", TRUE, NULL, NULL },
  { "int4", "int4", 0, FALSE, FALSE, QS_LAYER_LINEAR, 2, { 3072, 3072 },
    "U8", "[4718592]", "[3072, 48, 1]", FALSE, NULL, NULL },
  { "uint4", "uint4", 0, FALSE, FALSE, QS_LAYER_LINEAR, 2, { 3072, 3072 },
    "U8", "[4718592]", "[3072, 48, 1]", TRUE, NULL, NULL },
  { "uint4 SVD", "uint4", 0, TRUE, FALSE, QS_LAYER_LINEAR, 2, { 3072, 3072 },
    "U8", "[4718592]", "[3072, 24, 1]", TRUE, "[3072, 32]", "[32, 3072]" },
  { "uint4 SVD qmm", "uint4", 0, TRUE, TRUE, QS_LAYER_LINEAR, 2, { 3072, 3072 },
    "U8", "[4718592]", "[3072, 24, 1]", TRUE, "[32, 3072]", "[3072, 32]" },
  { "uint4 3000", "uint4", 0, FALSE, FALSE, QS_LAYER_LINEAR, 2, { 3072, 3000 },
    "U8", "[4608000]", "[3072, 40, 1]", TRUE, NULL, NULL },
  { "uint3", "uint3", 0, FALSE, FALSE, QS_LAYER_LINEAR, 2, { 3072, 3072 },
    "U8", "[1179648, 3]", "[3072, 96, 1]", TRUE, NULL, NULL },
  { "uint2", "uint2", 0, FALSE, FALSE, QS_LAYER_LINEAR, 2, { 3072, 3072 },
    "U8", "[2359296]", "[3072, 192, 1]", TRUE, NULL, NULL },
  { "uint1", "uint1", 0, FALSE, FALSE, QS_LAYER_LINEAR, 2, { 3072, 3072 },
    "I64", "[1179648]", "[3072, 384, 1]", TRUE, NULL, NULL },
  { "float4_e2m1fn", "float4_e2m1fn", 0, FALSE, FALSE, QS_LAYER_LINEAR, 2, { 3072, 3072 },
    "U8", "[4718592]", "[3072, 48, 1]", FALSE, NULL, NULL },
  { "float6_e3m2fn", "float6_e3m2fn", 0, FALSE, FALSE, QS_LAYER_LINEAR, 2, { 3072, 3072 },
    "U8", "[2359296, 3]", "[3072, 12, 1]", FALSE, NULL, NULL },
  { "float8_e4m3fn_sdnq", "float8_e4m3fn_sdnq", 0, FALSE, FALSE, QS_LAYER_LINEAR, 2,
    { 3072, 3072 }, "U8", "[3072, 3, 1024]", "[3072, 3, 1]", FALSE, NULL, NULL },
  { "uint4 tensor-wise", "uint4", -2, FALSE, FALSE, QS_LAYER_LINEAR, 2, { 3072, 3072 },
    "U8", "[4718592]", "[1, 1]", TRUE, NULL, NULL },
  { "Conv2d int8", "int8", 0, FALSE, FALSE, QS_LAYER_CONV, 4, { 320, 640, 3, 3 },
    "I8", "[320, 640, 3, 3]", "[320, 1, 3, 3]", FALSE, NULL, NULL },
  { "Conv2d int8 qmm", "int8", 0, FALSE, TRUE, QS_LAYER_CONV, 4, { 320, 640, 3, 3 },
    "I8", "[5760, 320]", "[1, 320]", FALSE, NULL, NULL },
  { "Conv2d uint4", "uint4", 0, FALSE, FALSE, QS_LAYER_CONV, 4, { 320, 640, 3, 3 },
    "U8", "[921600]", "[320, 20, 1, 3, 3]", TRUE, NULL, NULL },
  { "Conv2d uint4 SVD", "uint4", 0, TRUE, FALSE, QS_LAYER_CONV, 4, { 320, 640, 3, 3 },
    "U8", "[921600]", "[320, 10, 1, 3, 3]", TRUE, "[320, 32]", "[32, 5760]" },
  { "Embedding int8", "int8", 0, FALSE, FALSE, QS_LAYER_EMBEDDING, 2, { 32000, 4096 },
    "I8", "[32000, 8, 512]", "[32000, 8, 1]", FALSE, NULL, NULL },
};

static void
test_layout_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (layout_cases); i++)
    {
      const LayoutCase *c = &layout_cases[i];
      g_autoptr(QsSdnqConfig) config = qs_sdnq_config_new ();
      g_autofree char *weight_shape = NULL;
      g_autofree char *scale_shape = NULL;
      QsSdnqLayout layout;

      g_free (config->weights_dtype);
      config->weights_dtype = g_strdup (c->dtype);
      config->group_size = c->group_size;
      config->use_svd = c->use_svd;
      config->use_quantized_matmul = c->qmm;
      config->use_quantized_matmul_conv = c->qmm;
      config->quant_conv = TRUE;
      config->quant_embedding = TRUE;

      qs_sdnq_layout_derive (config, "layer.weight", c->kind, c->shape, c->ndim, &layout);
      weight_shape = qs_sdnq_format_shape (layout.weight_shape, layout.weight_ndim);
      scale_shape = qs_sdnq_format_shape (layout.scale_shape, layout.scale_ndim);

      if (g_test_verbose ())
        g_test_message ("%s: %s %s scale %s", c->description,
                        qs_tensor_dtype_to_string (layout.weight_dtype), weight_shape, scale_shape);

      g_assert_true (layout.quantized);
      g_assert_cmpstr (qs_tensor_dtype_to_string (layout.weight_dtype), ==, c->weight_dtype);
      g_assert_cmpstr (weight_shape, ==, c->weight_shape);
      g_assert_cmpstr (scale_shape, ==, c->scale_shape);
      g_assert_cmpint (layout.has_zero_point, ==, c->zero_point);
      g_assert_cmpint (layout.scale_in_model_dtype, ==, FALSE);
      g_assert_cmpint (layout.use_svd, ==, c->svd_up != NULL);
      if (c->svd_up != NULL)
        {
          g_autofree char *up = qs_sdnq_format_shape (layout.svd_up_shape, 2);
          g_autofree char *down = qs_sdnq_format_shape (layout.svd_down_shape, 2);

          g_assert_cmpstr (up, ==, c->svd_up);
          g_assert_cmpstr (down, ==, c->svd_down);
        }
    }
}

static void
test_layout_group_fallback (void)
{
  g_autoptr(QsSdnqConfig) config = qs_sdnq_config_new ();
  gint64 shape[2] = { 96, 3000 };
  QsSdnqLayout layout;

  g_free (config->weights_dtype);
  config->weights_dtype = g_strdup ("uint4");
  config->group_size = 64;

  qs_sdnq_layout_derive (config, "x.weight", QS_LAYER_LINEAR, shape, 2, &layout);
  g_assert_cmpint (layout.group_size, ==, 75);
  g_assert_cmpint (layout.n_groups, ==, 40);
  g_assert_cmpint (layout.weight_ndim, ==, 1);
  g_assert_cmpint (layout.weight_shape[0], ==, 96 * 3000 / 2);
}

static void
test_layout_size_checks (void)
{
  g_autoptr(QsSdnqConfig) config = qs_sdnq_config_new ();
  gint64 small[2] = { 64, 128 };
  gint64 narrow[2] = { 1024, 16 };
  gint64 odd[2] = { 497, 33 };
  g_autofree char *reason = NULL;
  QsSdnqLayout layout;

  qs_sdnq_layout_derive (config, "a.weight", QS_LAYER_LINEAR, small, 2, &layout);
  g_assert_false (qs_sdnq_layout_check_quantizable (&layout, 16384, 32, &reason));
  qs_test_assert_contains (reason, "8192 elements");
  g_clear_pointer (&reason, g_free);

  qs_sdnq_layout_derive (config, "b.weight", QS_LAYER_LINEAR, narrow, 2, &layout);
  g_assert_false (qs_sdnq_layout_check_quantizable (&layout, 16384, 32, &reason));
  qs_test_assert_contains (reason, "channel size 16");
  g_clear_pointer (&reason, g_free);

  /* 497×33 passes both minimums but cannot be packed in uint4 pairs. */
  g_free (config->weights_dtype);
  config->weights_dtype = g_strdup ("uint4");
  qs_sdnq_layout_derive (config, "c.weight", QS_LAYER_LINEAR, odd, 2, &layout);
  g_assert_false (qs_sdnq_layout_check_quantizable (&layout, 16384, 32, &reason));
  qs_test_assert_contains (reason, "not a multiple of the 2-element blocks");
  g_clear_pointer (&reason, g_free);

  g_free (config->weights_dtype);
  config->weights_dtype = g_strdup ("int8");
  qs_sdnq_layout_derive (config, "c.weight", QS_LAYER_LINEAR, odd, 2, &layout);
  g_assert_true (qs_sdnq_layout_check_quantizable (&layout, 16384, 32, &reason));
  g_assert_null (reason);
}

/* JSON and sizes */

static void
test_python_json (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  json_parser_load_from_data (parser,
                              "{\"b\": [1, 2.5, 1e-06, 10000.0, 0.01, 1.5e16, -0.0, true, null],"
                              " \"a\": {\"z\": {}, \"y\": [], \"é\": \"x\\u00e9\\n\\\"\"}}",
                              -1, &error);
  g_assert_no_error (error);

  text = qs_json_to_python_string (json_parser_get_root (parser));
  g_assert_cmpstr (text, ==,
                   "{\n"
                   "  \"a\": {\n"
                   "    \"y\": [],\n"
                   "    \"z\": {},\n"
                   "    \"\\u00e9\": \"x\\u00e9\\n\\\"\"\n"
                   "  },\n"
                   "  \"b\": [\n"
                   "    1,\n"
                   "    2.5,\n"
                   "    1e-06,\n"
                   "    10000.0,\n"
                   "    0.01,\n"
                   "    1.5e+16,\n"
                   "    -0.0,\n"
                   "    true,\n"
                   "    null\n"
                   "  ]\n"
                   "}");
}

static void
test_parse_size (void)
{
  guint64 size = 0;

  g_assert_true (qs_quantize_parse_size ("5GB", &size));
  g_assert_cmpuint (size, ==, G_GUINT64_CONSTANT (5000000000));
  g_assert_true (qs_quantize_parse_size ("2GiB", &size));
  g_assert_cmpuint (size, ==, G_GUINT64_CONSTANT (2147483648));
  g_assert_true (qs_quantize_parse_size ("500mb", &size));
  g_assert_cmpuint (size, ==, 500000000);
  g_assert_true (qs_quantize_parse_size ("64KiB", &size));
  g_assert_cmpuint (size, ==, 65536);
  g_assert_true (qs_quantize_parse_size ("1.5KB", &size));
  g_assert_cmpuint (size, ==, 1500);
  g_assert_true (qs_quantize_parse_size ("4096", &size));
  g_assert_cmpuint (size, ==, 4096);
  g_assert_false (qs_quantize_parse_size ("", &size));
  g_assert_false (qs_quantize_parse_size ("GB", &size));
  g_assert_false (qs_quantize_parse_size ("-5GB", &size));
  g_assert_false (qs_quantize_parse_size ("5XB", &size));
  g_assert_false (qs_quantize_parse_size ("0", &size));
}

/* The writer */

static void
test_writer_layout (void)
{
  g_autofree char *dir = qs_test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr(QsSafetensorsWriter) writer = qs_safetensors_writer_new (dir, "model", 0);
  g_autoptr(QsSafetensorsFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gint64 shape_b[1] = { 3 };
  gint64 shape_a[2] = { 2, 2 };
  gint64 shape_c[1] = { 2 };
  guint8 bytes_b[3] = { 1, 2, 3 };
  float values_a[4] = { 1.0f, -2.0f, 0.5f, 4.0f };
  guint16 values_c[2] = { 0x3F80, 0xC000 };
  const QsTensorInfo *tensor;
  gsize length;
  guint64 header_length;

  qs_safetensors_writer_add_tensor (writer, "b", QS_TENSOR_U8, shape_b, 1);
  qs_safetensors_writer_add_tensor (writer, "a", QS_TENSOR_F32, shape_a, 2);
  qs_safetensors_writer_add_tensor (writer, "c", QS_TENSOR_BF16, shape_c, 1);
  qs_safetensors_writer_add_tensor (writer, "scalar", QS_TENSOR_F32, NULL, 0);
  g_assert_true (qs_safetensors_writer_open (writer, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (qs_safetensors_writer_get_n_shards (writer), ==, 1);

  /* Written out of order; a second write and a wrong size are errors. */
  g_assert_true (qs_safetensors_writer_write (writer, "b", bytes_b, 3, &error));
  g_assert_false (qs_safetensors_writer_write (writer, "b", bytes_b, 3, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (qs_safetensors_writer_write (writer, "a", values_a, 12, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* A tensor never written is caught at close. */
  g_assert_true (qs_safetensors_writer_write (writer, "c", values_c, 4, &error));
  g_assert_true (qs_safetensors_writer_write (writer, "a", values_a, 16, &error));
  g_assert_false (qs_safetensors_writer_close (writer, &error));
  qs_test_assert_error_contains (error, G_IO_ERROR, G_IO_ERROR_FAILED, "scalar");
  g_clear_error (&error);

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  header_length = qs_load_u64_le ((const guint8 *) contents);
  g_assert_cmpuint (header_length % 8, ==, 0);
  /* Descending dtype (F32, BF16, U8), then name, after the metadata. */
  g_assert_true (g_str_has_prefix (contents + 8, "{\"__metadata__\":{\"format\":\"pt\"},"
                                   "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                                   "\"scalar\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[16,20]},"
                                   "\"c\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[20,24]},"
                                   "\"b\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[24,27]}}"));
  g_assert_cmpuint (length, ==, 8 + header_length + 27);

  file = qs_safetensors_file_open (path, 0, &error);
  g_assert_no_error (error);
  tensor = qs_safetensors_file_lookup (file, "c");
  g_assert_nonnull (tensor);
  g_assert_cmpuint (qs_load_u16_le (qs_safetensors_file_get_data (file, tensor) + 2), ==, 0xC000);

  qs_test_remove_tree (dir);
}

static void
test_writer_disk_errors (void)
{
  g_autofree char *dir = qs_test_make_tmp_dir ();
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);
  g_autoptr(QsSafetensorsWriter) writer = qs_safetensors_writer_new (missing, "model", 0);
  g_autoptr(GError) error = NULL;
  gint64 shape[1] = { 4 };

  qs_safetensors_writer_add_tensor (writer, "a", QS_TENSOR_F32, shape, 1);
  qs_safetensors_writer_add_tensor (writer, "a", QS_TENSOR_F32, shape, 1);
  g_assert_false (qs_safetensors_writer_open (writer, &error));
  qs_test_assert_error_contains (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "used twice");
  g_clear_pointer (&writer, qs_safetensors_writer_free);
  g_clear_error (&error);

  writer = qs_safetensors_writer_new (missing, "model", 0);
  qs_safetensors_writer_add_tensor (writer, "a", QS_TENSOR_F32, shape, 1);
  g_assert_false (qs_safetensors_writer_open (writer, &error));
  qs_test_assert_error_contains (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "Failed to create");

  qs_test_remove_tree (dir);
}

/* The job */

typedef struct
{
  const char *dtype;
  gint64      group_size;
  const char *weight_hex;
  float       scales[4];
  float       zero_points[4];
  guint       n_scales;
  const char *weight_shape;
} ReferenceVector;

/* SDNQ's CPU results for the 2×32 reference weight (real HEAD functions,
 * PyTorch 1.13). */
static const ReferenceVector reference_vectors[] = {
  { "uint4", 16, "3086eb41a7fc52b80e63c92f85da3096c92f85da3096fc41b80e63c92f85da30",
    { 0.0625f, 0.0583333336f, 0.0583333336f, 0.0583333336f },
    { -0.46875f, -0.421875f, -0.421875f, -0.453125f }, 4, "[32]" },
  { "int4", 16, "4196eb52a7fc63b82e74ca3f86eb4197ca3f86eb4197fc53b81d74c92f85da41",
    { 0.0669642836f, 0.0647321418f, 0.0647321418f, 0.0647321418f }, { 0 }, 4, "[32]" },
  { "int8", -1, "81b0de0d3b6a96c5f322507fabda08376692c0ef1e4c7ba7d60433618ebceb19"
                "1f4f7fa4d40435658abaea1a4a7ba0d000306085b6e61646769bcbfc2c5c81b1",
    { 0.00369094498f, 0.00356791331f }, { 0 }, 2, "[2, 32]" },
  { "uint8", -1, "002f5e8cbbea154473a2d0ff2a5988b7e611406e9dccfb265584b2e10d3c6a99"
                 "9ecfff235484b4e509396a9acafb1f4f80b0e004356595c6f61a4b7babdc0030",
    { 0.0036764706f, 0.00355392159f }, { -0.46875f, -0.453125f }, 2, "[2, 32]" },
  { "float4_e2m1fn", 16, "ef1b65de3976ce51f6ad63e70c64df2a63e70c64df2a75ce40f6ad52e78c64ef",
    { 0.078125f, 0.0755208358f, 0.0755208358f, 0.0755208358f }, { 0 }, 4, "[32]" },
  { "uint3", 16, "60a9333b4cd6de6072f2048d4c96e760b13b0495de276932",
    { 0.133928567f, 0.125f, 0.125f, 0.125f },
    { -0.46875f, -0.421875f, -0.421875f, -0.453125f }, 4, "[8, 3]" },
  { "int6", -1, "810cd86e3a86dde8f48bd76279c51027b3bed6a12c844f9b27b3bfd5a16d834f"
                "9b727e08202cb8ce1a657dc7d32bf641",
    { 0.0151209673f, 0.0146169355f }, { 0 }, 2, "[16, 3]" },
};

static void
check_reference_vector (const ReferenceVector *vector)
{
  g_autofree char *root = qs_test_make_tmp_dir ();
  g_autofree char *source = g_build_filename (root, "source", NULL);
  g_autofree char *output = g_build_filename (root, "out", NULL);
  g_autofree char *source_file = g_build_filename (source, "model.safetensors", NULL);
  g_autofree char *output_file = g_build_filename (output, "model.safetensors", NULL);
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsQuantizeSettings) settings = settings_for (output, vector->dtype, vector->group_size);
  g_autoptr(QsQuantizeResult) result = NULL;
  g_autoptr(QsSafetensorsFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hex = NULL;
  g_autofree char *shape = NULL;
  const QsTensorInfo *weight;
  const QsTensorInfo *scale;
  const QsTensorInfo *zero_point;
  float values[64];

  fill_reference_weight (values);
  qs_test_safetensors_add_f32 (st, "layer.weight", "[2, 32]", values, 64);
  qs_test_safetensors_write (st, source_file);

  /* SDNQ produced these vectors without its size checks; a 2×32 layer is
   * far under the default minimum. */
  settings->minimum_numel = 1;
  settings->minimum_channel_size = 1;

  result = quantize_model (source, settings, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_true (result->verified);
  g_assert_cmpuint (result->layers->len, ==, 1);
  g_assert_true (((QsQuantizeLayerRecord *) g_ptr_array_index (result->layers, 0))->quantized);

  file = qs_safetensors_file_open (output_file, 0, &error);
  g_assert_no_error (error);

  weight = qs_safetensors_file_lookup (file, "layer.weight");
  g_assert_nonnull (weight);
  hex = to_hex (qs_safetensors_file_get_data (file, weight), weight->data_end - weight->data_begin);
  g_assert_cmpstr (hex, ==, vector->weight_hex);
  shape = qs_sdnq_format_shape (weight->shape, weight->ndim);
  g_assert_cmpstr (shape, ==, vector->weight_shape);

  scale = qs_safetensors_file_lookup (file, "layer.scale");
  g_assert_nonnull (scale);
  g_assert_cmpint (scale->dtype, ==, QS_TENSOR_F32);
  g_assert_cmpuint (scale->numel, ==, vector->n_scales);
  for (guint i = 0; i < vector->n_scales; i++)
    g_assert_cmpfloat (qs_load_f32_le (qs_safetensors_file_get_data (file, scale) + 4 * i), ==,
                       vector->scales[i]);

  zero_point = qs_safetensors_file_lookup (file, "layer.zero_point");
  g_assert_cmpint (zero_point != NULL, ==, vector->zero_points[0] != 0);
  for (guint i = 0; zero_point != NULL && i < vector->n_scales; i++)
    g_assert_cmpfloat (qs_load_f32_le (qs_safetensors_file_get_data (file, zero_point) + 4 * i), ==,
                       vector->zero_points[i]);

  qs_test_remove_tree (root);
}

static void
test_reference_vectors (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (reference_vectors); i++)
    {
      g_test_message ("reference vector %s", reference_vectors[i].dtype);
      check_reference_vector (&reference_vectors[i]);
    }
}

/* Dequantizing the written uint8 vector gives SDNQ's fma results. */
static void
test_reference_dequantized (void)
{
  g_autofree char *root = qs_test_make_tmp_dir ();
  g_autofree char *source = g_build_filename (root, "source", NULL);
  g_autofree char *output = g_build_filename (root, "out", NULL);
  g_autofree char *source_file = g_build_filename (source, "model.safetensors", NULL);
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsQuantizeSettings) settings = settings_for (output, "uint8", -1);
  g_autoptr(QsQuantizeResult) result = NULL;
  g_autoptr(QsSdnqReader) reader = NULL;
  g_autoptr(GError) error = NULL;
  gint64 shape[2] = { 2, 32 };
  float values[64];
  float read_back[64];

  fill_reference_weight (values);
  qs_test_safetensors_add_f32 (st, "layer.weight", "[2, 32]", values, 64);
  qs_test_safetensors_write (st, source_file);
  settings->minimum_numel = 1;

  result = quantize_model (source, settings, &error);
  g_assert_no_error (error);

  reader = qs_sdnq_reader_open (output, &error);
  g_assert_no_error (error);
  g_assert_true (qs_sdnq_reader_dequantize_layer (reader,
                                                  qs_model_get_component (qs_sdnq_reader_get_model (reader), 0),
                                                  "layer.weight", QS_LAYER_LINEAR, shape, 2,
                                                  read_back, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (read_back[5], ==, 0.391544133f);
  g_assert_cmpfloat (read_back[6], ==, -0.391544104f);

  qs_test_remove_tree (root);
}

static void
test_sharding (void)
{
  g_autofree char *root = qs_test_make_tmp_dir ();
  g_autofree char *source = g_build_filename (root, "source", NULL);
  g_autofree char *output = g_build_filename (root, "out", NULL);
  g_autofree char *source_file = g_build_filename (source, "diffusion_pytorch_model.safetensors", NULL);
  g_autofree char *index_path = g_build_filename (output, "diffusion_pytorch_model.safetensors.index.json", NULL);
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsQuantizeSettings) settings = settings_for (output, "int8", 0);
  g_autoptr(QsQuantizeResult) result = NULL;
  g_autoptr(QsModel) written = NULL;
  g_autoptr(JsonNode) index = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const QsComponent *component;
  JsonObject *weight_map;
  guint64 total = 0;
  gint64 shape[2] = { 128, 128 };
  gint64 bias_shape[1] = { 128 };

  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("blocks.%u.proj.weight", i);
      g_autofree char *bias = g_strdup_printf ("blocks.%u.proj.bias", i);

      add_random_tensor (st, name, shape, 2, 10 + i);
      add_random_tensor (st, bias, bias_shape, 1, 20 + i);
    }
  qs_test_safetensors_write (st, source_file);
  write_text_take (g_build_filename (source, "config.json", NULL),
                      "{\"_class_name\": \"TinyModel\", \"_diffusers_version\": \"0.32.0\"}");

  /* Each int8 weight is 16 KiB, so a 20 000-byte limit splits the layers. */
  settings->max_shard_size = 20000;
  result = quantize_model (source, settings, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (((QsQuantizeComponentRecord *) g_ptr_array_index (result->components, 0))->n_shards,
                    >=, 4);

  g_assert_true (g_file_test (index_path, G_FILE_TEST_IS_REGULAR));
  index = load_json (index_path);
  weight_map = json_object_get_object_member (json_node_get_object (index), "weight_map");

  written = qs_model_open (output, NULL, &error);
  g_assert_no_error (error);
  component = qs_model_get_component (written, 0);
  g_assert_cmpuint (component->files->len, >=, 4);
  g_assert_cmpuint (json_object_get_size (weight_map), ==, component->tensors->len);

  for (guint t = 0; t < component->tensors->len; t++)
    {
      const QsTensorInfo *tensor = g_ptr_array_index (component->tensors, t);
      g_autofree char *base = g_path_get_basename (qs_safetensors_file_get_path (tensor->file));

      g_assert_cmpstr (json_object_get_string_member (weight_map, tensor->name), ==, base);
      total += tensor->data_end - tensor->data_begin;
      g_hash_table_add (files, g_steal_pointer (&base));
    }

  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (json_node_get_object (index),
                                                                              "metadata"),
                                               "total_size"), ==, (gint64) total);
  g_assert_cmpuint (g_hash_table_size (files), ==, component->files->len);
  for (guint i = 0; i < component->files->len; i++)
    {
      g_autofree char *expected = g_strdup_printf ("diffusion_pytorch_model-%05u-of-%05u.safetensors",
                                                   i + 1, component->files->len);

      g_assert_true (g_hash_table_contains (files, expected));
    }
  for (guint t = 0; t < component->files->len; t++)
    {
      QsSafetensorsFile *file = g_ptr_array_index (component->files, t);
      guint64 data = 0;

      for (guint i = 0; i < qs_safetensors_file_get_n_tensors (file); i++)
        {
          const QsTensorInfo *tensor = qs_safetensors_file_get_tensor (file, i);

          data += tensor->data_end - tensor->data_begin;
        }
      g_assert_cmpuint (data, <=, 20000);
    }

  qs_test_remove_tree (root);
}

/* A generated pipeline: one quantized component, everything else copied. */
static char *
make_pipeline (const char *root)
{
  char *source = g_build_filename (root, "pipeline", NULL);
  g_autoptr(QsTestSafetensors) transformer = qs_test_safetensors_new ();
  g_autoptr(QsTestSafetensors) encoder = qs_test_safetensors_new ();
  gint64 linear[2] = { 256, 128 };
  gint64 small[2] = { 64, 128 };
  gint64 conv[4] = { 64, 64, 3, 3 };
  gint64 bias[1] = { 256 };
  g_autofree char *transformer_file = g_build_filename (source, "transformer",
                                                        "diffusion_pytorch_model.safetensors", NULL);
  g_autofree char *encoder_file = g_build_filename (source, "text_encoder", "model.safetensors", NULL);

  add_random_tensor (transformer, "blocks.0.attn.to_q.weight", linear, 2, 1);
  add_random_tensor (transformer, "blocks.0.attn.to_q.bias", bias, 1, 2);
  add_random_tensor (transformer, "blocks.0.attn.to_k.weight", small, 2, 3);
  add_random_tensor (transformer, "patch_embed.proj.weight", conv, 4, 4);
  qs_test_safetensors_add (transformer, "scaled_fp8", "U8", "[0]", NULL, 0);
  qs_test_safetensors_write (transformer, transformer_file);

  add_random_tensor (encoder, "encoder.layers.0.fc.weight", linear, 2, 5);
  qs_test_safetensors_write (encoder, encoder_file);

  write_text_take (g_build_filename (source, "model_index.json", NULL),
                      "{\n  \"_class_name\": \"TinyPipeline\",\n  \"_diffusers_version\": \"0.32.0\",\n"
                      "  \"transformer\": [\"diffusers\", \"TinyTransformer\"],\n"
                      "  \"text_encoder\": [\"transformers\", \"TinyEncoder\"],\n"
                      "  \"scheduler\": [\"diffusers\", \"FlowMatchEulerDiscreteScheduler\"],\n"
                      "  \"tokenizer\": [\"transformers\", \"TinyTokenizer\"]\n}\n");
  write_text_take (g_build_filename (source, "transformer", "config.json", NULL),
                      "{\"_class_name\": \"TinyTransformer\", \"_diffusers_version\": \"0.32.0\", "
                      "\"eps\": 1e-06, \"scale\": 10000.0, \"names\": [\"é\"]}");
  write_text_take (g_build_filename (source, "transformer", "README.md", NULL), "notes\n");
  write_text_take (g_build_filename (source, "text_encoder", "config.json", NULL),
                      "{\"architectures\": [\"TinyEncoder\"], \"model_type\": \"tiny\"}");
  write_text_take (g_build_filename (source, "scheduler", "scheduler_config.json", NULL),
                      "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\", \"shift\": 3.0}\n");
  write_text_take (g_build_filename (source, "tokenizer", "vocab.txt", NULL), "a\nb\nc\n");
  write_text_take (g_build_filename (source, "tokenizer", "nested", "merges.txt", NULL), "a b\n");

  return source;
}

/* The keys of SDNQConfig.__dict__ in Disty0/sdnq 0.2.x. */
static const char * const saved_keys[] = {
  "add_skip_keys", "codebook_steps", "dequantize_fp32", "dynamic_loss_threshold", "group_size",
  "hadamard_group_size", "is_integer", "is_training", "is_unsigned",
  "minimum_allowed_channel_size", "minimum_allowed_numel", "modules_dtype_dict",
  "modules_quant_config", "modules_to_not_convert", "modules_to_not_use_matmul", "non_blocking",
  "quant_method", "quant_conv", "quant_embedding", "quantization_device",
  "quantized_matmul_dtype", "return_device", "sdnq_version", "svd_rank", "svd_steps",
  "use_codebook", "use_dynamic_quantization", "use_grad_ckpt", "use_hadamard",
  "use_quantized_matmul", "use_quantized_matmul_conv", "use_static_quantization",
  "use_stochastic_rounding", "use_svd", "weights_dtype",
};

static void
test_pipeline_copies (void)
{
  static const char * const copied[] = {
    "model_index.json", "scheduler/scheduler_config.json", "tokenizer/vocab.txt",
    "tokenizer/nested/merges.txt", "text_encoder/model.safetensors", "text_encoder/config.json",
    "transformer/README.md", NULL
  };
  g_autofree char *root = qs_test_make_tmp_dir ();
  g_autofree char *source = make_pipeline (root);
  g_autofree char *output = g_build_filename (root, "out", NULL);
  g_autofree char *config_path = g_build_filename (output, "transformer", "config.json", NULL);
  g_autofree char *quant_path = g_build_filename (output, "transformer", "quantization_config.json", NULL);
  g_autoptr(QsQuantizeSettings) settings = settings_for (output, "uint4", 0);
  g_autoptr(QsQuantizeResult) result = NULL;
  g_autoptr(JsonNode) config = NULL;
  g_autoptr(JsonNode) quant = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *config_text = NULL;
  JsonObject *quantization;
  JsonArray *not_convert;
  const char *components[] = { "transformer", NULL };

  settings->components = g_strdupv ((char **) components);
  result = quantize_model (source, settings, &error);
  g_assert_no_error (error);
  g_assert_true (result->verified);

  for (guint i = 0; copied[i] != NULL; i++)
    {
      g_autofree char *a = g_build_filename (source, copied[i], NULL);
      g_autofree char *b = g_build_filename (output, copied[i], NULL);

      g_test_message ("copied %s", copied[i]);
      g_assert_true (files_equal (a, b));
    }
  g_assert_false (g_file_test (queued_path (g_build_filename (output, "text_encoder", "quantization_config.json", NULL)),
                               G_FILE_TEST_EXISTS));

  /* config.json keeps every original key, sorted, with Python's numbers. */
  g_assert_true (g_file_get_contents (config_path, &config_text, NULL, NULL));
  qs_test_assert_contains (config_text, "\"eps\": 1e-06,\n");
  qs_test_assert_contains (config_text, "\"scale\": 10000.0\n");
  qs_test_assert_contains (config_text, "\"\\u00e9\"");
  g_assert_true (g_str_has_suffix (config_text, "}\n"));
  config = load_json (config_path);
  quant = load_json (quant_path);
  quantization = json_object_get_object_member (json_node_get_object (config), "quantization_config");
  g_assert_nonnull (quantization);
  g_assert_true (json_node_equal (json_object_get_member (json_node_get_object (config),
                                                          "quantization_config"), quant));
  g_assert_cmpstr (json_object_get_string_member (quantization, "quant_method"), ==, "sdnq");
  g_assert_cmpstr (json_object_get_string_member (quantization, "weights_dtype"), ==, "uint4");
  g_assert_cmpuint (json_object_get_size (quantization), ==, G_N_ELEMENTS (saved_keys));
  for (guint i = 0; i < G_N_ELEMENTS (saved_keys); i++)
    g_assert_true (json_object_has_member (quantization, saved_keys[i]));
  g_assert_true (json_object_has_member (quantization, "modules_quant_config"));
  g_assert_false (json_object_has_member (quantization, "modules_svd_dict"));
  g_assert_false (json_object_get_boolean_member (quantization, "quant_conv"));

  /* The 64×128 layer is under SDNQ's minimum; the conv is not eligible. */
  not_convert = json_object_get_array_member (quantization, "modules_to_not_convert");
  g_assert_cmpuint (json_array_get_length (not_convert), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (not_convert, 0), ==, "blocks.0.attn.to_k.weight");

  g_assert_cmpuint (result->layers->len, ==, 2);
  g_assert_cmpuint (result->components->len, ==, 2);

  /* Metadata tensors and biases are carried through unchanged. */
  {
    g_autofree char *weights = g_build_filename (output, "transformer",
                                                 "diffusion_pytorch_model.safetensors", NULL);
    g_autoptr(QsSafetensorsFile) file = qs_safetensors_file_open (weights, 0, &error);
    const QsTensorInfo *marker;
    const QsTensorInfo *scale;

    g_assert_no_error (error);
    marker = qs_safetensors_file_lookup (file, "scaled_fp8");
    g_assert_nonnull (marker);
    g_assert_cmpint (marker->dtype, ==, QS_TENSOR_U8);
    g_assert_cmpuint (marker->ndim, ==, 1);
    g_assert_cmpint (marker->shape[0], ==, 0);
    g_assert_nonnull (qs_safetensors_file_lookup (file, "blocks.0.attn.to_q.bias"));
    g_assert_nonnull (qs_safetensors_file_lookup (file, "patch_embed.proj.weight"));
    g_assert_null (qs_safetensors_file_lookup (file, "patch_embed.proj.scale"));
    scale = qs_safetensors_file_lookup (file, "blocks.0.attn.to_q.scale");
    g_assert_nonnull (scale);
    g_assert_cmpint (scale->dtype, ==, QS_TENSOR_F32);
    g_assert_nonnull (qs_safetensors_file_lookup (file, "blocks.0.attn.to_q.zero_point"));
  }

  qs_test_remove_tree (root);
}

static void
test_pipeline_config_selects (void)
{
  g_autofree char *root = qs_test_make_tmp_dir ();
  g_autofree char *source = make_pipeline (root);
  g_autofree char *output = g_build_filename (root, "out", NULL);
  g_autoptr(QsQuantizeSettings) settings = settings_for (output, "int8", 0);
  g_autoptr(QsQuantizeResult) result = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(QsSafetensorsFile) file = NULL;
  g_autofree char *encoder = g_build_filename (output, "text_encoder", "model.safetensors", NULL);
  const QsTensorInfo *tensor;

  json_parser_load_from_data (parser,
                              "{\"text_encoder\": {\"weights_dtype\": \"uint6\", "
                              "\"modules_group_size_dict\": {\"32\": [\"encoder.layers.0.fc.weight\"]}}}",
                              -1, &error);
  g_assert_no_error (error);
  settings->pipeline_config = qs_pipeline_config_parse (json_parser_get_root (parser), &error);
  g_assert_no_error (error);

  result = quantize_model (source, settings, &error);
  g_assert_no_error (error);

  /* The script-style group size is written as modules_quant_config. */
  file = qs_safetensors_file_open (encoder, 0, &error);
  g_assert_no_error (error);
  tensor = qs_safetensors_file_lookup (file, "encoder.layers.0.fc.scale");
  g_assert_nonnull (tensor);
  g_assert_cmpint (tensor->shape[1], ==, 4);
  g_assert_true (files_equal (queued_path (g_build_filename (source, "transformer", "diffusion_pytorch_model.safetensors", NULL)),
                              queued_path (g_build_filename (output, "transformer", "diffusion_pytorch_model.safetensors", NULL))));

  qs_test_remove_tree (root);
}

static void
test_unknown_component_rejected (void)
{
  g_autofree char *root = qs_test_make_tmp_dir ();
  g_autofree char *source = make_pipeline (root);
  g_autofree char *output = g_build_filename (root, "out", NULL);
  g_autoptr(QsQuantizeSettings) settings = settings_for (output, "int8", 0);
  g_autoptr(QsQuantizeResult) result = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, "{\"unet\": {\"weights_dtype\": \"uint4\"}}", -1, &error);
  settings->pipeline_config = qs_pipeline_config_parse (json_parser_get_root (parser), &error);
  g_assert_no_error (error);

  result = quantize_model (source, settings, &error);
  g_assert_null (result);
  qs_test_assert_error_contains (error, QS_QUANTIZE_ERROR, QS_QUANTIZE_ERROR_CONFIG, "“unet”");
  g_assert_cmpuint (count_entries (root), ==, 1);

  qs_test_remove_tree (root);
}

static char *
make_single_model (const char *root,
                   guint       n_layers,
                   gint64      rows)
{
  char *source = g_build_filename (root, "model", NULL);
  g_autofree char *path = g_build_filename (source, "model.safetensors", NULL);
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  gint64 shape[2] = { rows, 128 };

  for (guint i = 0; i < n_layers; i++)
    {
      g_autofree char *name = g_strdup_printf ("layers.%u.weight", i);

      add_random_tensor (st, name, shape, 2, 100 + i);
    }
  qs_test_safetensors_write (st, path);

  return source;
}

static void
cancel_cb (QsQuantizeJob *job,
           const char    *name,
           GCancellable  *cancellable)
{
  g_cancellable_cancel (cancellable);
}

static void
test_cancel_leaves_nothing (void)
{
  g_autofree char *root = qs_test_make_tmp_dir ();
  g_autofree char *source = make_single_model (root, 3, 256);
  g_autofree char *output = g_build_filename (root, "nested", "out", NULL);
  g_autoptr(QsQuantizeSettings) settings = settings_for (output, "uint4", 0);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(QsModel) model = qs_model_open (source, NULL, NULL);
  g_autoptr(QsQuantizeJob) job = qs_quantize_job_new (model, settings);
  g_autoptr(QsQuantizeResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_signal_connect (job, "layer-written", G_CALLBACK (cancel_cb), cancellable);
  result = qs_quantize_job_run (job, cancellable, &error);
  g_assert_null (result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (qs_quantize_job_get_layers_done (job), ==, 1);

  /* Neither the output, its temporary folder nor the folder created for it remain. */
  g_assert_false (g_file_test (output, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_entries (root), ==, 1);

  qs_test_remove_tree (root);
}

/* Writes past 64 KiB fail with EFBIG once RLIMIT_FSIZE is set and SIGXFSZ
 * ignored, as writes to a full disk fail with ENOSPC. The limit applies to
 * a subprocess so that the test program itself is not affected. */
static void
run_disk_full_child (const char *root)
{
  g_autofree char *source = g_build_filename (root, "model", NULL);
  g_autofree char *output = g_build_filename (root, "out", NULL);
  g_autoptr(QsQuantizeSettings) settings = settings_for (output, "int8", 0);
  g_autoptr(QsQuantizeResult) result = NULL;
  g_autoptr(GError) error = NULL;
  struct rlimit limit = { 64 * 1024, 64 * 1024 };

  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);

  result = quantize_model (source, settings, &error);
  g_assert_null (result);
  g_assert_nonnull (error);
  g_test_message ("error: %s", error->message);
  g_assert_true (error->domain == G_IO_ERROR);
  qs_test_assert_contains (error->message, "File too large");
  g_assert_false (g_file_test (output, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_entries (root), ==, 1);
}

static void
test_disk_full (void)
{
  g_autofree char *root = NULL;
  g_autofree char *source = NULL;

  /* The subprocess finds the fixture by its parent's process id. */
  if (g_test_subprocess ())
    {
      root = g_strdup_printf ("%s/quantscope-disk-full-%d", g_get_tmp_dir (), (int) getppid ());
      run_disk_full_child (root);
      return;
    }

  root = g_strdup_printf ("%s/quantscope-disk-full-%d", g_get_tmp_dir (), (int) getpid ());
  g_mkdir_with_parents (root, 0700);
  source = make_single_model (root, 2, 512);

  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_assert_true (g_file_test (source, G_FILE_TEST_IS_DIR));
  g_assert_cmpuint (count_entries (root), ==, 1);

  qs_test_remove_tree (root);
}

static void
test_non_finite_rejected (void)
{
  g_autofree char *root = qs_test_make_tmp_dir ();
  g_autofree char *source = g_build_filename (root, "model", NULL);
  g_autofree char *output = g_build_filename (root, "out", NULL);
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsQuantizeSettings) settings = settings_for (output, "int8", 0);
  g_autoptr(QsQuantizeResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *values = make_weight (256 * 128, 7);
  g_autofree guint16 *bf16 = g_new (guint16, 256 * 128);

  for (guint i = 0; i < 256 * 128; i++)
    bf16[i] = qs_f32_to_bf16 (values[i]);
  bf16[300] = 0x7F80;
  qs_test_safetensors_add_f32 (st, "a.weight", "[256, 128]", values, 256 * 128);
  qs_test_safetensors_add_u16 (st, "b.weight", "BF16", "[256, 128]", bf16, 256 * 128);
  qs_test_safetensors_write (st, queued_path (g_build_filename (source, "model.safetensors", NULL)));

  result = quantize_model (source, settings, &error);
  g_assert_null (result);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NON_FINITE, "b.weight");
  qs_test_assert_contains (error->message, "flat index 300");
  g_assert_cmpuint (count_entries (root), ==, 1);

  qs_test_remove_tree (root);
}

/* Finite weights can still give values no file may hold: an asymmetric
 * scale overflows when a group spans more than FLT_MAX, and SVD factors
 * overflow in float16. */
static void
test_non_finite_results_rejected (void)
{
  g_autofree char *root = qs_test_make_tmp_dir ();
  g_autofree char *source = g_build_filename (root, "model", NULL);
  g_autofree char *output = g_build_filename (root, "out", NULL);
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autofree float *values = make_weight (256 * 128, 9);
  g_autoptr(GError) error = NULL;

  values[0] = 3e38f;
  values[1] = -3e38f;
  qs_test_safetensors_add_f32 (st, "wide.weight", "[256, 128]", values, 256 * 128);
  qs_test_safetensors_write (st, queued_path (g_build_filename (source, "model.safetensors", NULL)));

  {
    g_autoptr(QsQuantizeSettings) settings = settings_for (output, "uint4", 0);
    g_autoptr(QsQuantizeResult) result = quantize_model (source, settings, &error);

    g_assert_null (result);
    qs_test_assert_error_contains (error, QS_QUANTIZE_ERROR, QS_QUANTIZE_ERROR_LAYER,
                                   "wide.weight: its scale is not finite");
    g_clear_error (&error);
  }

  /* A rank-1 weight near 1e5: up = U·S is about 1e6, above float16's max. */
  for (guint i = 0; i < 256 * 128; i++)
    values[i] = 1e5f + (i < 2 ? 0.0f : values[i]);
  g_clear_pointer (&st, qs_test_safetensors_free);
  st = qs_test_safetensors_new ();
  qs_test_safetensors_add_f32 (st, "wide.weight", "[256, 128]", values, 256 * 128);
  qs_test_remove_tree (source);
  qs_test_safetensors_write (st, queued_path (g_build_filename (source, "model.safetensors", NULL)));

  {
    g_autoptr(QsQuantizeSettings) settings = settings_for (output, "int8", 0);
    g_autoptr(QsQuantizeResult) result = NULL;

    settings->config->use_svd = TRUE;
    settings->config->svd_rank = 4;
    settings->config->svd_steps = 2;
    settings->model_dtype = QS_MODEL_DTYPE_F16;
    result = quantize_model (source, settings, &error);
    g_assert_null (result);
    qs_test_assert_error_contains (error, QS_QUANTIZE_ERROR, QS_QUANTIZE_ERROR_LAYER,
                                   "wide.weight: its SVD factor");
  }

  g_assert_cmpuint (count_entries (root), ==, 1);
  qs_test_remove_tree (root);
}

static void
test_output_checks (void)
{
  g_autofree char *root = qs_test_make_tmp_dir ();
  g_autofree char *source = make_single_model (root, 1, 256);
  g_autofree char *inside = g_build_filename (source, "quantized", NULL);
  g_autofree char *busy = g_build_filename (root, "busy", NULL);
  g_autofree char *marker = g_build_filename (busy, "keep.txt", NULL);
  g_autofree char *empty = g_build_filename (root, "empty", NULL);
  g_autoptr(GError) error = NULL;
  const char *rejected[] = { inside, source, root };

  for (guint i = 0; i < G_N_ELEMENTS (rejected); i++)
    {
      g_autoptr(QsQuantizeSettings) settings = settings_for (rejected[i], "int8", 0);
      g_autoptr(QsQuantizeResult) result = NULL;

      settings->overwrite = TRUE;
      result = quantize_model (source, settings, &error);
      g_assert_null (result);
      qs_test_assert_error_contains (error, QS_QUANTIZE_ERROR, QS_QUANTIZE_ERROR_OUTPUT, "source");
      g_clear_error (&error);
    }
  g_assert_false (g_file_test (inside, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_entries (source), ==, 1);

  /* A folder that is not empty is kept unless overwriting is asked for. */
  qs_test_write_file (marker, "keep");
  {
    g_autoptr(QsQuantizeSettings) settings = settings_for (busy, "int8", 0);
    g_autoptr(QsQuantizeResult) result = quantize_model (source, settings, &error);

    g_assert_null (result);
    qs_test_assert_error_contains (error, QS_QUANTIZE_ERROR, QS_QUANTIZE_ERROR_OUTPUT, "not empty");
    g_clear_error (&error);
    g_assert_true (g_file_test (marker, G_FILE_TEST_EXISTS));
  }
  {
    g_autoptr(QsQuantizeSettings) settings = settings_for (busy, "int8", 0);
    g_autoptr(QsQuantizeResult) result = NULL;

    settings->overwrite = TRUE;
    result = quantize_model (source, settings, &error);
    g_assert_no_error (error);
    g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_test (queued_path (g_build_filename (busy, "model.safetensors", NULL)),
                                G_FILE_TEST_IS_REGULAR));
  }

  /* An empty folder is used as it is. */
  g_mkdir (empty, 0755);
  {
    g_autoptr(QsQuantizeSettings) settings = settings_for (empty, "int8", 0);
    g_autoptr(QsQuantizeResult) result = quantize_model (source, settings, &error);

    g_assert_no_error (error);
    g_assert_true (g_file_test (queued_path (g_build_filename (empty, "quantization_config.json", NULL)),
                                G_FILE_TEST_IS_REGULAR));
  }

  /* The source, the output folders and nothing else remain. */
  g_assert_cmpuint (count_entries (root), ==, 3);
  qs_test_remove_tree (root);
}

static void
test_model_dtype_scales (void)
{
  g_autofree char *root = qs_test_make_tmp_dir ();
  g_autofree char *source = make_single_model (root, 1, 256);
  g_autofree char *output = g_build_filename (root, "out", NULL);
  g_autofree char *output_f32 = g_build_filename (root, "out32", NULL);
  g_autofree char *reference = g_build_filename (root, "reference", NULL);
  g_autoptr(GError) error = NULL;
  const char *dtypes[] = { "uint4", "int5", "float6_e3m2fn", "float8_e4m3fn" };

  for (guint i = 0; i < G_N_ELEMENTS (dtypes); i++)
    {
      g_autoptr(QsQuantizeSettings) settings = settings_for (output, dtypes[i], 0);
      g_autoptr(QsQuantizeSettings) f32 = settings_for (output_f32, dtypes[i], 0);
      g_autoptr(QsQuantizeSettings) plain = settings_for (reference, dtypes[i], 0);
      g_autoptr(QsQuantizeResult) result = NULL;
      g_autoptr(QsQuantizeResult) result_f32 = NULL;
      g_autoptr(QsQuantizeResult) result_plain = NULL;
      g_autoptr(QsSafetensorsFile) file = NULL;
      g_autofree char *path = g_build_filename (output, "model.safetensors", NULL);
      g_autofree char *path_f32 = g_build_filename (output_f32, "model.safetensors", NULL);
      g_autofree char *path_plain = g_build_filename (reference, "model.safetensors", NULL);
      const QsTensorInfo *scale;

      g_test_message ("dtype %s", dtypes[i]);

      settings->config->dequantize_fp32 = FALSE;
      result = quantize_model (source, settings, &error);
      g_assert_no_error (error);
      g_assert_true (result->verified);

      file = qs_safetensors_file_open (path, 0, &error);
      g_assert_no_error (error);
      scale = qs_safetensors_file_lookup (file, "layers.0.scale");
      g_assert_cmpint (scale->dtype, ==, QS_TENSOR_BF16);

      /* With an fp32 model dtype, rounding scales to it changes nothing, so
       * the file equals the one written with dequantize_fp32. */
      f32->config->dequantize_fp32 = FALSE;
      f32->model_dtype = QS_MODEL_DTYPE_F32;
      result_f32 = quantize_model (source, f32, &error);
      g_assert_no_error (error);
      result_plain = quantize_model (source, plain, &error);
      g_assert_no_error (error);
      g_assert_true (files_equal (path_f32, path_plain));

      qs_test_remove_tree (output);
      qs_test_remove_tree (output_f32);
      qs_test_remove_tree (reference);
    }

  qs_test_remove_tree (root);
}

static void
test_size_checks_listed (void)
{
  g_autofree char *root = qs_test_make_tmp_dir ();
  g_autofree char *source = g_build_filename (root, "model", NULL);
  g_autofree char *output = g_build_filename (root, "out", NULL);
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsQuantizeSettings) settings = settings_for (output, "uint4", 0);
  g_autoptr(QsQuantizeResult) result = NULL;
  g_autoptr(JsonNode) saved = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(QsSdnqReader) reader = NULL;
  g_autoptr(GPtrArray) layers = NULL;
  JsonArray *not_convert;
  gint64 odd[2] = { 497, 33 };
  gint64 narrow[2] = { 1024, 16 };
  gint64 good[2] = { 256, 128 };

  add_random_tensor (st, "odd.weight", odd, 2, 1);
  add_random_tensor (st, "narrow.weight", narrow, 2, 2);
  add_random_tensor (st, "good.weight", good, 2, 3);
  add_random_tensor (st, "skipped.weight", good, 2, 4);
  qs_test_safetensors_write (st, queued_path (g_build_filename (source, "model.safetensors", NULL)));
  g_ptr_array_add (settings->config->modules_to_not_convert, g_strdup ("skipped"));

  result = quantize_model (source, settings, &error);
  g_assert_no_error (error);
  g_assert_true (result->verified);
  g_assert_cmpuint (result->layers->len, ==, 4);

  saved = load_json (queued_path (g_build_filename (output, "quantization_config.json", NULL)));
  not_convert = json_object_get_array_member (json_node_get_object (saved), "modules_to_not_convert");
  g_assert_cmpuint (json_array_get_length (not_convert), ==, 3);
  g_assert_cmpstr (json_array_get_string_element (not_convert, 0), ==, "skipped");
  g_assert_cmpstr (json_array_get_string_element (not_convert, 1), ==, "narrow.weight");
  g_assert_cmpstr (json_array_get_string_element (not_convert, 2), ==, "odd.weight");

  for (guint i = 0; i < result->layers->len; i++)
    {
      const QsQuantizeLayerRecord *record = g_ptr_array_index (result->layers, i);

      g_assert_cmpint (record->quantized, ==, strcmp (record->name, "good.weight") == 0);
      if (strcmp (record->name, "odd.weight") == 0)
        qs_test_assert_contains (record->reason, "blocks that uint4 packs");
    }

  reader = qs_sdnq_reader_open (output, &error);
  g_assert_no_error (error);
  layers = qs_sdnq_reader_list_layers (reader, qs_model_get_component (qs_sdnq_reader_get_model (reader), 0));
  g_assert_cmpuint (layers->len, ==, 1);

  qs_test_remove_tree (root);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qs/engine/quantize/layout-table", test_layout_table);
  g_test_add_func ("/qs/engine/quantize/layout-group-fallback", test_layout_group_fallback);
  g_test_add_func ("/qs/engine/quantize/layout-size-checks", test_layout_size_checks);
  g_test_add_func ("/qs/engine/quantize/python-json", test_python_json);
  g_test_add_func ("/qs/engine/quantize/parse-size", test_parse_size);
  g_test_add_func ("/qs/engine/quantize/writer-layout", test_writer_layout);
  g_test_add_func ("/qs/engine/quantize/writer-errors", test_writer_disk_errors);
  g_test_add_func ("/qs/engine/quantize/reference-vectors", test_reference_vectors);
  g_test_add_func ("/qs/engine/quantize/reference-dequantized", test_reference_dequantized);
  g_test_add_func ("/qs/engine/quantize/sharding", test_sharding);
  g_test_add_func ("/qs/engine/quantize/pipeline-copies", test_pipeline_copies);
  g_test_add_func ("/qs/engine/quantize/pipeline-config-selects", test_pipeline_config_selects);
  g_test_add_func ("/qs/engine/quantize/unknown-component", test_unknown_component_rejected);
  g_test_add_func ("/qs/engine/quantize/size-checks-listed", test_size_checks_listed);
  g_test_add_func ("/qs/engine/quantize/model-dtype-scales", test_model_dtype_scales);
  g_test_add_func ("/qs/engine/quantize/non-finite", test_non_finite_rejected);
  g_test_add_func ("/qs/engine/quantize/non-finite-results", test_non_finite_results_rejected);
  g_test_add_func ("/qs/engine/quantize/output-checks", test_output_checks);
  g_test_add_func ("/qs/engine/quantize/cancel", test_cancel_leaves_nothing);
  g_test_add_func ("/qs/engine/quantize/disk-full", test_disk_full);

  return g_test_run ();
}
