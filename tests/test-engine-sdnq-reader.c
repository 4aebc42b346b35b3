/* test-engine-sdnq-reader.c: written SDNQ models read back and dequantized
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "qs-error.h"
#include "qs-float.h"
#include "qs-quantize-job.h"
#include "qs-safetensors-writer.h"
#include "qs-sdnq-layout.h"
#include "qs-sdnq-reader.h"
#include "qs-test-utils.h"

/* Writes @contents to @path and frees @path, so that a path built inline
 * does not leak. */
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
    values[i] = 0.05f * random_normal (rand) + 0.01f;

  return values;
}

typedef struct
{
  const char *description;
  const char *dtype;
  gint64      group_size;
  guint       svd_rank;
  gboolean    qmm;
  const char *name;
  guint       ndim;
  gint64      shape[4];
  /* The expected stored weight and scale shapes, or NULL to skip. */
  const char *weight_shape;
  const char *scale_shape;
} RoundTrip;

static const RoundTrip round_trips[] = {
  { "int2", "int2", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, "[4096]", "[64, 16, 1]" },
  { "int3", "int3", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, "[2048, 3]", "[64, 8, 1]" },
  { "int4", "int4", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, NULL, NULL },
  { "int5", "int5", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, NULL, NULL },
  { "int6", "int6", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, NULL, NULL },
  { "int7", "int7", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, NULL, NULL },
  { "int8", "int8", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, "[64, 256]", "[64, 1]" },
  { "int12", "int12", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, "[4096, 3]", "[64, 1]" },
  { "uint1", "uint1", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, "[2048]", "[64, 32, 1]" },
  { "uint2", "uint2", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, NULL, NULL },
  { "uint3", "uint3", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, NULL, NULL },
  { "uint4", "uint4", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, "[8192]", "[64, 4, 1]" },
  { "uint5", "uint5", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, NULL, NULL },
  { "uint6", "uint6", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, NULL, NULL },
  { "uint7", "uint7", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, NULL, NULL },
  { "uint8", "uint8", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, NULL, NULL },
  { "uint12 with SDNQ's packing collision", "uint12", -1, 0, FALSE, "l.weight", 2, { 64, 256 },
    "[4096, 3]", "[64, 1]" },
  { "float8_e4m3fn", "float8_e4m3fn", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, NULL, NULL },
  { "float8_e5m2", "float8_e5m2", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, NULL, NULL },
  { "float4_e2m1fn", "float4_e2m1fn", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, "[8192]", NULL },
  { "float6_e3m2fn", "float6_e3m2fn", 64, 0, FALSE, "l.weight", 2, { 64, 256 }, "[4096, 3]",
    "[64, 4, 1]" },
  { "float8_e4m3fn_sdnq", "float8_e4m3fn_sdnq", 0, 0, FALSE, "l.weight", 2, { 64, 256 },
    "[64, 256]", NULL },
  { "float12_e4m7fn", "float12_e4m7fn", 0, 0, FALSE, "l.weight", 2, { 64, 256 }, NULL, NULL },
  { "uint4 group 64 over 3000", "uint4", 64, 0, FALSE, "l.weight", 2, { 96, 3000 }, "[144000]",
    "[96, 40, 1]" },
  { "uint4 tensor-wise", "uint4", -2, 0, FALSE, "l.weight", 2, { 64, 256 }, "[8192]", "[1, 1]" },
  { "int8 quantized matmul", "int8", 0, 0, TRUE, "l.weight", 2, { 64, 256 }, "[256, 64]",
    "[1, 64]" },
  { "uint8 quantized matmul", "uint8", 0, 0, TRUE, "l.weight", 2, { 64, 256 }, "[256, 64]",
    "[1, 64]" },
  { "int8 grouped with quantized matmul", "int8", 64, 0, TRUE, "l.weight", 2, { 64, 256 },
    "[64, 4, 64]", "[64, 4, 1]" },
  { "uint4 SVD", "uint4", 0, 8, FALSE, "l.weight", 2, { 64, 256 }, "[8192]", "[64, 2, 1]" },
  { "uint4 SVD quantized matmul", "uint4", 0, 8, TRUE, "l.weight", 2, { 64, 256 }, "[8192]",
    "[64, 2, 1]" },
  { "int8 SVD quantized matmul", "int8", 0, 8, TRUE, "l.weight", 2, { 64, 256 }, "[256, 64]",
    "[1, 64]" },
  { "conv uint4", "uint4", 0, 0, FALSE, "c.weight", 4, { 64, 64, 3, 3 }, "[18432]",
    "[64, 2, 1, 3, 3]" },
  { "conv int8 row-wise", "int8", 0, 0, FALSE, "c.weight", 4, { 64, 48, 3, 3 }, "[64, 48, 3, 3]",
    "[64, 1, 3, 3]" },
  { "conv int8 quantized matmul", "int8", 0, 0, TRUE, "c.weight", 4, { 64, 64, 3, 3 },
    "[576, 64]", "[1, 64]" },
  { "conv uint4 SVD", "uint4", 0, 8, FALSE, "c.weight", 4, { 64, 64, 3, 3 }, "[18432]",
    "[64, 1, 3, 3]" },
  { "conv1d uint8", "uint8", 0, 0, FALSE, "c.weight", 3, { 64, 64, 5 }, "[64, 64, 5]",
    "[64, 1, 5]" },
  { "embedding int8", "int8", 0, 0, FALSE, "embed_tokens.weight", 2, { 512, 128 }, NULL,
    "[512, 1]" },
};

typedef struct
{
  char             *root;
  char             *source;
  char             *output;
  float            *weight;
  QsQuantizeResult *result;
} Written;

static void
written_clear (Written *written)
{
  if (written->root != NULL)
    qs_test_remove_tree (written->root);
  g_free (written->root);
  g_free (written->source);
  g_free (written->output);
  g_free (written->weight);
  g_clear_pointer (&written->result, qs_quantize_result_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Written, written_clear)

static QsSdnqConfig *
config_for (const RoundTrip *trip)
{
  QsSdnqConfig *config = qs_sdnq_config_new ();

  g_free (config->weights_dtype);
  config->weights_dtype = g_strdup (trip->dtype);
  config->group_size = trip->group_size;
  config->use_svd = trip->svd_rank > 0;
  config->svd_rank = trip->svd_rank > 0 ? trip->svd_rank : 32;
  config->svd_steps = 4;
  config->use_quantized_matmul = trip->qmm;
  config->use_quantized_matmul_conv = trip->qmm;
  config->quant_conv = TRUE;
  config->quant_embedding = TRUE;

  return config;
}

/* Writes a one-layer model folder "model" and quantizes it to "out". */
static void
write_one_layer (Written         *written,
                 const RoundTrip *trip)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsQuantizeSettings) settings = qs_quantize_settings_new ();
  g_autoptr(QsModel) model = NULL;
  g_autoptr(QsQuantizeJob) job = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *shape = qs_sdnq_format_shape (trip->shape, trip->ndim);
  g_autofree char *file = NULL;
  gsize n = (gsize) qs_sdnq_shape_numel (trip->shape, trip->ndim);

  written->root = qs_test_make_tmp_dir ();
  written->source = g_build_filename (written->root, "model", NULL);
  written->output = g_build_filename (written->root, "out", NULL);
  written->weight = make_weight (n, 42);
  file = g_build_filename (written->source, "model.safetensors", NULL);

  qs_test_safetensors_add_f32 (st, trip->name, shape, written->weight, n);
  qs_test_safetensors_write (st, file);

  settings->output_path = g_strdup (written->output);
  g_clear_pointer (&settings->config, qs_sdnq_config_free);
  settings->config = config_for (trip);
  settings->n_threads = 2;

  model = qs_model_open (written->source, NULL, &error);
  g_assert_no_error (error);
  job = qs_quantize_job_new (model, settings);
  written->result = qs_quantize_job_run (job, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (written->result->verified);
}

/* Reconstructs the layer with the engine's quantizer directly, the way the
 * writer must have: SVD from the same seed, quantize, pack, dequantize. */
static float *
direct_reconstruction (const RoundTrip *trip,
                       const float     *weight)
{
  g_autoptr(QsSdnqConfig) config = config_for (trip);
  g_autoptr(QsQuantizedLayer) layer = NULL;
  g_autoptr(QsLowRank) lowrank = NULL;
  g_autofree float *product = NULL;
  g_autofree float *residual = NULL;
  g_autofree guint8 *packed = NULL;
  gsize n = (gsize) qs_sdnq_shape_numel (trip->shape, trip->ndim);
  QsLayerKind kind = trip->ndim > 2 ? QS_LAYER_CONV
                                    : g_str_has_prefix (trip->name, "embed") ? QS_LAYER_EMBEDDING
                                                                              : QS_LAYER_LINEAR;
  float *out = g_new (float, n);
  QsSdnqLayout layout;

  qs_sdnq_layout_derive (config, trip->name, kind, trip->shape, trip->ndim, &layout);
  residual = g_memdup2 (weight, n * sizeof (float));

  if (trip->svd_rank > 0)
    {
      gint64 cols = (gint64) n / trip->shape[0];

      lowrank = qs_lowrank_compute (weight, trip->shape[0], cols, trip->svd_rank, 4,
                                    qs_lowrank_seed_for_layer (0, "model", trip->name, 0),
                                    NULL, NULL);
      g_assert_nonnull (lowrank);
      qs_lowrank_round (lowrank, QS_MODEL_DTYPE_BF16);
      product = g_new (float, n);
      qs_lowrank_product (lowrank, QS_MODEL_DTYPE_BF16, product);
      for (gsize i = 0; i < n; i++)
        residual[i] = weight[i] - product[i];
    }

  layer = qs_quantize_layer (layout.dtype, &layout.groups, residual);
  packed = g_malloc (qs_packed_size (layout.dtype, n));
  g_assert_true (qs_pack_codes (layout.dtype, layer->codes, n, packed, NULL));
  g_assert_true (qs_unpack_codes (layout.dtype, packed, n, layer->codes, NULL));
  qs_dequantize_layer (layer, out);

  for (gsize i = 0; product != NULL && i < n; i++)
    out[i] += product[i];

  return out;
}

static void
check_round_trip (gconstpointer data)
{
  const RoundTrip *trip = data;
  g_auto(Written) written = { 0 };
  g_autoptr(QsSdnqReader) reader = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *read_back = NULL;
  g_autofree float *direct = NULL;
  g_autofree char *stem = NULL;
  g_autofree char *scale_name = NULL;
  const QsComponent *component;
  const QsQuantizeLayerRecord *record;
  const QsTensorInfo *weight = NULL;
  const QsTensorInfo *scale = NULL;
  QsSdnqLayout layout;
  gsize n = (gsize) qs_sdnq_shape_numel (trip->shape, trip->ndim);
  QsLayerKind kind = trip->ndim > 2 ? QS_LAYER_CONV
                                    : g_str_has_prefix (trip->name, "embed") ? QS_LAYER_EMBEDDING
                                                                              : QS_LAYER_LINEAR;

  write_one_layer (&written, trip);
  record = g_ptr_array_index (written.result->layers, 0);
  g_assert_true (record->quantized);

  reader = qs_sdnq_reader_open (written.output, &error);
  g_assert_no_error (error);
  component = qs_model_get_component (qs_sdnq_reader_get_model (reader), 0);
  g_assert_nonnull (qs_sdnq_reader_get_config (reader, component));

  g_assert_true (qs_sdnq_reader_check_layer (reader, component, trip->name, kind, trip->shape,
                                             trip->ndim, &layout, &error));
  g_assert_no_error (error);
  g_assert_true (layout.quantized);
  g_assert_cmpint (layout.use_svd, ==, trip->svd_rank > 0);

  stem = g_strndup (trip->name, strlen (trip->name) - strlen ("weight"));
  scale_name = g_strconcat (stem, "scale", NULL);
  for (guint f = 0; f < component->files->len; f++)
    {
      QsSafetensorsFile *file = g_ptr_array_index (component->files, f);

      weight = weight != NULL ? weight : qs_safetensors_file_lookup (file, trip->name);
      scale = scale != NULL ? scale : qs_safetensors_file_lookup (file, scale_name);
    }
  g_assert_nonnull (weight);
  g_assert_nonnull (scale);
  if (trip->weight_shape != NULL)
    {
      g_autofree char *shape = qs_sdnq_format_shape (weight->shape, weight->ndim);

      g_assert_cmpstr (shape, ==, trip->weight_shape);
    }
  if (trip->scale_shape != NULL)
    {
      g_autofree char *shape = qs_sdnq_format_shape (scale->shape, scale->ndim);

      g_assert_cmpstr (shape, ==, trip->scale_shape);
    }

  /* The read-back weight equals the direct quantize-dequantize bit for bit. */
  read_back = g_new (float, n);
  g_assert_true (qs_sdnq_reader_dequantize_layer (reader, component, trip->name, kind, trip->shape,
                                                  trip->ndim, read_back, &error));
  g_assert_no_error (error);
  direct = direct_reconstruction (trip, written.weight);
  for (gsize i = 0; i < n; i++)
    {
      if (memcmp (&read_back[i], &direct[i], sizeof (float)) != 0)
        g_error ("%s: element %" G_GSIZE_FORMAT " reads back as %.9g, directly %.9g",
                 trip->description, i, read_back[i], direct[i]);
    }

  g_assert_cmpfloat (record->nmse, ==, record->verified_nmse);
  g_assert_true (isfinite (record->nmse));
  g_assert_cmpfloat (record->nmse, <, 1.0);
}

/* Inspection */

static void
write_mixed_model (const char *source)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autofree char *file = g_build_filename (source, "model.safetensors", NULL);
  static const struct
  {
    const char *name;
    const char *shape;
    gsize       n;
  } tensors[] = {
    { "blocks.0.attn.weight", "[256, 128]", 256 * 128 },
    { "blocks.0.attn.bias", "[256]", 256 },
    { "blocks.0.conv.weight", "[64, 64, 3, 3]", 64 * 64 * 9 },
    { "blocks.0.small.weight", "[64, 128]", 64 * 128 },
    { "blocks.0.wide.weight", "[128, 3000]", 128 * 3000 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (tensors); i++)
    {
      g_autofree float *values = make_weight (tensors[i].n, i + 1);

      qs_test_safetensors_add_f32 (st, tensors[i].name, tensors[i].shape, values, tensors[i].n);
    }
  qs_test_safetensors_write (st, file);
}

static QsQuantizeResult *
quantize_with (const char          *source,
               const char          *output,
               QsSdnqConfig        *config)
{
  g_autoptr(QsQuantizeSettings) settings = qs_quantize_settings_new ();
  g_autoptr(QsModel) model = NULL;
  g_autoptr(QsQuantizeJob) job = NULL;
  g_autoptr(GError) error = NULL;
  QsQuantizeResult *result;

  settings->output_path = g_strdup (output);
  g_clear_pointer (&settings->config, qs_sdnq_config_free);
  settings->config = config;
  settings->n_threads = 2;

  model = qs_model_open (source, NULL, &error);
  g_assert_no_error (error);
  job = qs_quantize_job_new (model, settings);
  result = qs_quantize_job_run (job, NULL, &error);
  g_assert_no_error (error);

  return result;
}

static const QsSdnqLayerInfo *
find_info (GPtrArray  *layers,
           const char *name)
{
  for (guint i = 0; i < layers->len; i++)
    {
      const QsSdnqLayerInfo *info = g_ptr_array_index (layers, i);

      if (strcmp (info->name, name) == 0)
        return info;
    }

  return NULL;
}

static void
test_inspect_infers_shapes (void)
{
  g_autofree char *root = qs_test_make_tmp_dir ();
  g_autofree char *source = g_build_filename (root, "model", NULL);
  const struct
  {
    const char *dtype;
    gboolean    qmm;
    gboolean    svd;
  } configs[] = {
    { "uint4", FALSE, FALSE },
    { "int8", TRUE, FALSE },
    { "uint4", TRUE, TRUE },
    { "int6", TRUE, FALSE },
  };

  write_mixed_model (source);

  for (guint c = 0; c < G_N_ELEMENTS (configs); c++)
    {
      g_autofree char *output = g_strdup_printf ("%s/out%u", root, c);
      QsSdnqConfig *config = qs_sdnq_config_new ();
      g_autoptr(QsQuantizeResult) result = NULL;
      g_autoptr(QsSdnqReader) reader = NULL;
      g_autoptr(GPtrArray) layers = NULL;
      g_autoptr(GError) error = NULL;
      const QsSdnqLayerInfo *info;
      const QsComponent *component;

      g_free (config->weights_dtype);
      config->weights_dtype = g_strdup (configs[c].dtype);
      config->use_quantized_matmul = configs[c].qmm;
      config->use_quantized_matmul_conv = configs[c].qmm;
      config->use_svd = configs[c].svd;
      config->svd_rank = 8;
      config->svd_steps = 2;
      config->quant_conv = TRUE;
      result = quantize_with (source, output, config);

      reader = qs_sdnq_reader_open (output, &error);
      g_assert_no_error (error);
      component = qs_model_get_component (qs_sdnq_reader_get_model (reader), 0);
      layers = qs_sdnq_reader_list_layers (reader, component);
      g_test_message ("%s qmm %d svd %d: %u layers", configs[c].dtype, configs[c].qmm,
                      configs[c].svd, layers->len);
      g_assert_cmpuint (layers->len, ==, 3);

      for (guint i = 0; i < layers->len; i++)
        {
          const QsSdnqLayerInfo *layer = g_ptr_array_index (layers, i);

          g_assert_null (layer->mismatch);
          g_assert_true (layer->shape_known);
          g_assert_true (layer->quantized);
          g_assert_true (layer->layout.dtype == qs_dtype_lookup (configs[c].dtype));
          g_assert_cmpint (layer->layout.use_svd, ==, configs[c].svd);
        }

      info = find_info (layers, "blocks.0.attn.weight");
      g_assert_nonnull (info);
      g_assert_cmpint (info->layout.ndim, ==, 2);
      g_assert_cmpint (info->layout.shape[0], ==, 256);
      g_assert_cmpint (info->layout.shape[1], ==, 128);
      g_assert_cmpint (info->layout.use_quantized_matmul, ==, configs[c].qmm);

      info = find_info (layers, "blocks.0.wide.weight");
      g_assert_nonnull (info);
      g_assert_cmpint (info->layout.shape[1], ==, 3000);

      /* A conv stored flattened for quantized matmul keeps only [O, I·k]. */
      info = find_info (layers, "blocks.0.conv.weight");
      g_assert_nonnull (info);
      if (info->layout.transposed)
        {
          g_assert_cmpint (info->layout.ndim, ==, 2);
          g_assert_cmpint (info->layout.shape[1], ==, 576);
        }
      else
        {
          g_assert_cmpint (info->layout.ndim, ==, 4);
          g_assert_cmpint (info->layout.shape[2], ==, 3);
        }
    }

  qs_test_remove_tree (root);
}

/* Rewrites the quantization_config of config.json or
 * quantization_config.json in @folder with @edit applied. */
static void
edit_saved_config (const char *folder,
                   void      (*edit) (JsonObject *config))
{
  g_autofree char *path = g_build_filename (folder, "quantization_config.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  edit (json_node_get_object (json_parser_get_root (parser)));
  text = qs_json_to_python_string (json_parser_get_root (parser));
  g_assert_true (g_file_set_contents (path, text, -1, &error));
}

static void
set_group_size_32 (JsonObject *config)
{
  json_object_set_int_member (config, "group_size", 32);
}

static void
forget_not_converted (JsonObject *config)
{
  json_object_set_array_member (config, "modules_to_not_convert", json_array_new ());
}

static void
test_mismatch_detected (void)
{
  g_autofree char *root = qs_test_make_tmp_dir ();
  g_autofree char *source = g_build_filename (root, "model", NULL);
  g_autofree char *output = g_build_filename (root, "out", NULL);
  QsSdnqConfig *config = qs_sdnq_config_new ();
  g_autoptr(QsQuantizeResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 shape[2] = { 256, 128 };

  write_mixed_model (source);
  g_free (config->weights_dtype);
  config->weights_dtype = g_strdup ("uint4");
  result = quantize_with (source, output, config);

  /* A config whose group size differs from the stored scales. */
  edit_saved_config (output, set_group_size_32);
  {
    g_autoptr(QsSdnqReader) reader = qs_sdnq_reader_open (output, &error);
    g_autoptr(GPtrArray) layers = NULL;
    const QsComponent *component;
    const QsSdnqLayerInfo *info;

    g_assert_no_error (error);
    component = qs_model_get_component (qs_sdnq_reader_get_model (reader), 0);
    g_assert_false (qs_sdnq_reader_check_layer (reader, component, "blocks.0.attn.weight",
                                                QS_LAYER_LINEAR, shape, 2, NULL, &error));
    qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                                   "blocks.0.attn.scale is stored as F32 [256, 2, 1], but the "
                                   "config derives F32 [256, 4, 1]");
    g_clear_error (&error);

    layers = qs_sdnq_reader_list_layers (reader, component);
    info = find_info (layers, "blocks.0.attn.weight");
    g_assert_nonnull (info);
    g_assert_nonnull (info->mismatch);
    g_assert_false (info->shape_known);
  }

  /* A layer left unquantized that the config no longer lists. */
  edit_saved_config (output, forget_not_converted);
  {
    g_autoptr(QsSdnqReader) reader = qs_sdnq_reader_open (output, &error);
    g_autoptr(GPtrArray) layers = NULL;
    const QsSdnqLayerInfo *info;

    g_assert_no_error (error);
    layers = qs_sdnq_reader_list_layers (reader, qs_model_get_component (qs_sdnq_reader_get_model (reader), 0));
    info = find_info (layers, "blocks.0.small.weight");
    g_assert_nonnull (info);
    g_assert_false (info->quantized);
    qs_test_assert_contains (info->mismatch, "modules_to_not_convert");
  }

  qs_test_remove_tree (root);
}

static void
test_plain_model (void)
{
  g_autofree char *root = qs_test_make_tmp_dir ();
  g_autofree char *source = g_build_filename (root, "model", NULL);
  g_autoptr(QsSdnqReader) reader = NULL;
  g_autoptr(GPtrArray) layers = NULL;
  g_autoptr(GError) error = NULL;
  const QsComponent *component;
  gint64 shape[2] = { 256, 128 };

  write_mixed_model (source);
  reader = qs_sdnq_reader_open (source, &error);
  g_assert_no_error (error);
  component = qs_model_get_component (qs_sdnq_reader_get_model (reader), 0);
  g_assert_null (qs_sdnq_reader_get_config (reader, component));
  layers = qs_sdnq_reader_list_layers (reader, component);
  g_assert_cmpuint (layers->len, ==, 0);
  g_assert_false (qs_sdnq_reader_check_layer (reader, component, "blocks.0.attn.weight",
                                              QS_LAYER_LINEAR, shape, 2, NULL, &error));
  g_assert_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND);

  qs_test_remove_tree (root);
}

static void
test_invalid_config_rejected (void)
{
  g_autofree char *root = qs_test_make_tmp_dir ();
  g_autofree char *source = g_build_filename (root, "model", NULL);
  g_autoptr(QsSdnqReader) reader = NULL;
  g_autoptr(GError) error = NULL;

  write_mixed_model (source);
  write_text_take (g_build_filename (source, "quantization_config.json", NULL),
                      "{\"quant_method\": \"sdnq\", \"weights_dtype\": \"uint99\"}");
  reader = qs_sdnq_reader_open (source, &error);
  g_assert_null (reader);
  qs_test_assert_error_contains (error, QS_SDNQ_CONFIG_ERROR, QS_SDNQ_CONFIG_ERROR_INVALID,
                                 "weights_dtype");

  qs_test_remove_tree (root);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (round_trips); i++)
    {
      g_autofree char *path = g_strdup_printf ("/qs/engine/sdnq-reader/round-trip/%s",
                                               round_trips[i].description);

      g_strdelimit (path + strlen ("/qs/engine/sdnq-reader/round-trip/"), " '", '-');
      g_test_add_data_func (path, &round_trips[i], check_round_trip);
    }
  g_test_add_func ("/qs/engine/sdnq-reader/inspect-infers-shapes", test_inspect_infers_shapes);
  g_test_add_func ("/qs/engine/sdnq-reader/mismatch-detected", test_mismatch_detected);
  g_test_add_func ("/qs/engine/sdnq-reader/plain-model", test_plain_model);
  g_test_add_func ("/qs/engine/sdnq-reader/invalid-config", test_invalid_config_rejected);

  return g_test_run ();
}
