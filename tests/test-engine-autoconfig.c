/* test-engine-autoconfig.c: the cost model, auto-config, group-size mode,
 * the SVD comparison and the configs built from a summary
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "qs-summary.h"
#include "qs-test-utils.h"

typedef struct
{
  const char *dtype;
  guint       svd_rank;
  gint64      requested_group_size;
  gint64      group_size;
  double      nmse;
} Row;

static QsAnalysisResult *
make_result (const char * const *dtypes,
             const gint64       *group_sizes,
             guint               n_group_sizes,
             gboolean            use_svd)
{
  g_autoptr(QsAnalysisSettings) settings = qs_analysis_settings_new ();
  guint rank = 32;

  qs_analysis_settings_set_dtypes (settings, dtypes);
  qs_analysis_settings_set_group_sizes (settings, group_sizes, n_group_sizes);
  qs_analysis_settings_set_svd_ranks (settings, &rank, 1);
  settings->use_svd = use_svd;

  return qs_analysis_result_new (settings);
}

static void
add_layer (QsAnalysisResult *result,
           const char       *component,
           const char       *name,
           gint64            rows,
           gint64            columns,
           const Row        *formats,
           guint             n_formats)
{
  g_autoptr(QsLayerResult) layer = qs_layer_result_new ();

  layer->component = g_strdup (component);
  layer->name = g_strdup (name);
  layer->kind = QS_LAYER_LINEAR;
  layer->layer_class = g_strdup ("Linear");
  layer->tensor_dtype = g_strdup ("BF16");
  layer->ndim = 2;
  layer->shape[0] = rows;
  layer->shape[1] = columns;
  layer->numel = rows * columns;
  layer->n_formats = n_formats;
  layer->formats = g_new0 (QsFormatRecord, n_formats);
  for (guint i = 0; i < n_formats; i++)
    {
      QsFormatRecord *record = &layer->formats[i];

      record->dtype = g_strdup (qs_dtype_lookup (formats[i].dtype)->name);
      record->use_svd = formats[i].svd_rank > 0;
      record->svd_rank = formats[i].svd_rank;
      record->effective_svd_rank = formats[i].svd_rank;
      record->requested_group_size = formats[i].requested_group_size;
      record->group_size = formats[i].group_size;
      record->metrics.nmse = formats[i].nmse;
    }

  qs_analysis_result_add_layer (result, layer);
}

static const QsLayerSummary *
find_layer (const QsSummary *summary,
            const char      *name)
{
  for (guint i = 0; i < summary->layers->len; i++)
    {
      const QsLayerSummary *layer = g_ptr_array_index (summary->layers, i);

      if (g_strcmp0 (layer->layer->name, name) == 0)
        return layer;
    }

  g_assert_not_reached ();
}

static QsSummary *
summarize (QsAnalysisResult *result,
           gboolean          auto_config)
{
  QsSummaryOptions options = { 0.1, 0.01, 30, auto_config };

  return qs_summary_new_full (result, &options);
}

static void
test_cost_model (void)
{
  const gint64 square[] = { 3072, 3072 };
  const gint64 narrow[] = { 3072, 2560 };
  const gint64 odd[] = { 3072, 3000 };
  const gint64 conv[] = { 320, 640, 3, 3 };
  const QsDtype *uint4 = qs_dtype_lookup ("uint4");
  const QsDtype *int8 = qs_dtype_lookup ("int8");

  /* Codes 3072·3072·4/8, scales and zero points ceil(numel/64)·2 each. */
  g_assert_cmpuint (qs_format_cost_bytes (uint4, square, 2, 64, 0), ==,
                    4718592 + 147456 * 2 * 2);
  /* Row-wise: one FP16 scale per output row, no zero point for int8. */
  g_assert_cmpuint (qs_format_cost_bytes (int8, narrow, 2, -1, 0), ==, 7864320 + 3072 * 2);
  /* Width 3000 resolves group size 64 to 75: ceil(9216000/75) scales. */
  g_assert_cmpuint (qs_format_cost_bytes (uint4, odd, 2, 75, 0), ==,
                    4608000 + 122880 * 2 * 2);
  /* SVD factors (3072·32 + 32·3072)·2 on top. */
  g_assert_cmpuint (qs_format_cost_bytes (uint4, square, 2, 128, 32), ==,
                    4718592 + 73728 * 2 * 2 + (3072 * 32 + 32 * 3072) * 2);
  /* Conv: numel 1843200, group 32, SVD in-features 640·3·3. */
  g_assert_cmpuint (qs_format_cost_bytes (uint4, conv, 4, 32, 0), ==,
                    921600 + 57600 * 2 * 2);
  g_assert_cmpuint (qs_format_cost_bytes (uint4, conv, 4, 64, 32), ==,
                    921600 + 28800 * 2 * 2 + (320 * 32 + 32 * 5760) * 2);
  /* Row-wise conv counts out_features scales, as the script's model does. */
  g_assert_cmpuint (qs_format_cost_bytes (int8, conv, 4, -1, 0), ==, 1843200 + 320 * 2);
}

static void
test_auto_config_choices (void)
{
  const char * const dtypes[] = { "uint4", "uint6", "uint8", NULL };
  const gint64 sizes[] = { 0 };
  g_autoptr(QsAnalysisResult) result = make_result (dtypes, sizes, 1, TRUE);
  g_autoptr(QsSummary) summary = NULL;
  const QsLayerSummary *layer;
  const Row cheap[] = {
    { "uint4", 0, 0, 64, 0.005 },
    { "uint6", 0, 0, -1, 0.0005 },
    { "uint8", 0, 0, -1, 0.00001 },
    { "uint4", 32, 0, 128, 0.001 },
  };
  const Row needs_uint6[] = {
    { "uint4", 0, 0, 64, 0.02 },
    { "uint6", 0, 0, -1, 0.005 },
    { "uint8", 0, 0, -1, 0.0001 },
    /* Passes too, but the factors cost more than uint6 on a 256×256 layer. */
    { "uint4", 32, 0, 128, 0.008 },
  };
  const Row needs_svd[] = {
    { "uint4", 0, 0, 64, 0.05 },
    { "uint6", 0, 0, -1, 0.03 },
    { "uint8", 0, 0, -1, 0.02 },
    { "uint4", 32, 0, 128, 0.009 },
  };
  const Row hopeless[] = {
    { "uint4", 0, 0, 64, 0.5 },
    { "uint6", 0, 0, -1, 0.2 },
    { "uint8", 0, 0, -1, INFINITY },
    { "uint4", 32, 0, 128, 0.15 },
  };

  add_layer (result, "transformer", "a.weight", 256, 256, cheap, 4);
  add_layer (result, "transformer", "b.weight", 256, 256, needs_uint6, 4);
  add_layer (result, "transformer", "c.weight", 4096, 4096, needs_svd, 4);
  add_layer (result, "transformer", "d.weight", 256, 256, hopeless, 4);

  summary = summarize (result, TRUE);
  g_assert_true (summary->has_auto_config);

  layer = find_layer (summary, "a.weight");
  g_assert_false (layer->auto_choice.skip);
  g_assert_cmpstr (layer->auto_choice.dtype, ==, "uint4");
  g_assert_cmpint (layer->auto_choice.group_size, ==, 64);
  g_assert_cmpuint (layer->auto_choice.svd_rank, ==, 0);
  g_assert_cmpuint (layer->auto_choice.bytes, ==, 32768 + 1024 * 2 * 2);

  layer = find_layer (summary, "b.weight");
  g_assert_cmpstr (layer->auto_choice.dtype, ==, "uint6");
  g_assert_cmpint (layer->auto_choice.group_size, ==, -1);
  g_assert_cmpuint (layer->auto_choice.bytes, ==, 49152 + 256 * 2 * 2);

  layer = find_layer (summary, "c.weight");
  g_assert_cmpstr (layer->auto_choice.dtype, ==, "uint4");
  g_assert_cmpuint (layer->auto_choice.svd_rank, ==, 32);
  g_assert_cmpint (layer->auto_choice.group_size, ==, 128);
  g_assert_cmpfloat (layer->auto_choice.nmse, ==, 0.009);

  layer = find_layer (summary, "d.weight");
  g_assert_true (layer->auto_choice.skip);
  g_assert_null (layer->auto_choice.dtype);
  g_assert_cmpuint (layer->auto_choice.bytes, ==, 256 * 256 * 2);
  g_assert_cmpfloat (layer->auto_choice.nmse, ==, 0.15);
  g_assert_cmpuint (summary->n_auto_skip, ==, 1);

  /* Totals: FP16, the uniform uint4 at group 64, and the recommendation. */
  {
    guint64 fp16 = (3 * 256 * 256 + 4096 * 4096) * 2;
    guint64 uniform_small = 32768 + 1024 * 4;
    guint64 uniform_big = 8388608 + 262144 * 4;
    guint64 recommended = (32768 + 1024 * 4) + (49152 + 256 * 4)
                          + (8388608 + 131072 * 4 + (4096 * 32 * 2) * 2)
                          + 256 * 256 * 2;

    g_assert_cmpuint (summary->total.fp16_bytes, ==, fp16);
    g_assert_cmpuint (summary->total.uniform_bytes, ==, 3 * uniform_small + uniform_big);
    g_assert_cmpuint (summary->total.recommended_bytes, ==, recommended);
    g_assert_cmpfloat_with_epsilon (summary->total.savings_vs_fp16,
                                    100.0 * (1.0 - (double) recommended / fp16), 1e-9);
    g_assert_cmpuint (summary->component_totals->len, ==, 1);
  }

  /* The top list ranks by the recommended NMSE in auto-config mode. */
  g_assert_cmpstr (((QsLayerSummary *) g_ptr_array_index (summary->top, 0))->layer->name, ==,
                   "d.weight");
}

static void
test_auto_config_tie_breaks (void)
{
  const char * const dtypes[] = { "int8", "float8_e4m3fn", NULL };
  const gint64 sizes[] = { 0 };
  g_autoptr(QsAnalysisResult) result = make_result (dtypes, sizes, 1, TRUE);
  g_autoptr(QsSummary) summary = NULL;
  /* int8 and float8_e4m3fn cost the same at the same group size, so the
   * dtype name decides. */
  const Row by_name[] = {
    { "int8", 0, 0, -1, 0.001 },
    { "float8_e4m3fn", 0, 0, -1, 0.002 },
  };
  /* 100 values: group sizes 34 and 40 both need 3 scales. */
  const Row by_group[] = {
    { "int8", 0, 34, 34, 0.001 },
    { "int8", 0, 40, 40, 0.002 },
  };
  /* 2×50 values: row-wise and group 50 both need 2 scales; row-wise counts
   * as the smallest group. */
  const Row by_row_wise[] = {
    { "int8", 0, -1, -1, 0.001 },
    { "int8", 0, 50, 50, 0.002 },
  };

  add_layer (result, "unet", "name.weight", 64, 64, by_name, 2);
  add_layer (result, "unet", "group.weight", 1, 100, by_group, 2);
  add_layer (result, "unet", "rowwise.weight", 2, 50, by_row_wise, 2);

  summary = summarize (result, TRUE);

  g_assert_cmpstr (find_layer (summary, "name.weight")->auto_choice.dtype, ==, "float8_e4m3fn");
  g_assert_cmpint (find_layer (summary, "group.weight")->auto_choice.group_size, ==, 40);
  g_assert_cmpint (find_layer (summary, "rowwise.weight")->auto_choice.group_size, ==, 50);
}

static void
test_auto_config_ignores_dropped_svd (void)
{
  const char * const dtypes[] = { "uint4", NULL };
  const gint64 sizes[] = { 0 };
  g_autoptr(QsAnalysisResult) result = make_result (dtypes, sizes, 1, TRUE);
  g_autoptr(QsSummary) summary = NULL;
  QsLayerResult *layer;
  const Row rows[] = {
    { "uint4", 0, 0, 64, 0.05 },
    { "uint4", 32, 0, 64, 0.005 },
  };

  add_layer (result, "vae", "thin.weight", 3, 576, rows, 2);
  layer = qs_analysis_result_get_layer (result, 0);
  /* SDNQ drops an SVD whose rank exceeds the matrix; such a row cannot be
   * written as an SVD layer. */
  layer->formats[1].effective_svd_rank = 0;

  summary = summarize (result, TRUE);
  g_assert_true (find_layer (summary, "thin.weight")->auto_choice.skip);
}

static void
test_group_size_mode (void)
{
  const char * const dtypes[] = { "uint4", "int8", NULL };
  const gint64 sizes[] = { 128, 64, 32 };
  g_autoptr(QsAnalysisResult) result = make_result (dtypes, sizes, 3, FALSE);
  g_autoptr(QsSummary) summary = NULL;
  const QsLayerSummary *layer;
  const QsSdnqConfig *config;
  const QsPatternList *entry;
  const Row fine[] = {
    { "uint4", 0, 128, 128, 0.008 },
    { "uint4", 0, 64, 64, 0.006 },
    { "uint4", 0, 32, 32, 0.004 },
    { "int8", 0, 128, 128, 0.0001 },
  };
  const Row needs_32[] = {
    { "uint4", 0, 128, 128, 0.03 },
    { "uint4", 0, 64, 64, 0.02 },
    { "uint4", 0, 32, 32, 0.009 },
    { "int8", 0, 128, 128, 0.0001 },
  };
  /* Width 96: 128 is row-wise and 64 resolves to 96 (one group). */
  const Row forced[] = {
    { "uint4", 0, 128, -1, 0.03 },
    { "uint4", 0, 64, 96, 0.03 },
    { "uint4", 0, 32, 32, 0.02 },
    { "int8", 0, 128, -1, 0.0001 },
  };

  add_layer (result, "transformer", "fine.weight", 256, 256, fine, 4);
  add_layer (result, "transformer", "needs32.weight", 256, 256, needs_32, 4);
  add_layer (result, "transformer", "forced.weight", 256, 96, forced, 4);

  summary = summarize (result, FALSE);

  g_assert_cmpint (summary->axis, ==, QS_SUMMARY_AXIS_GROUP_SIZE);
  g_assert_cmpuint (summary->n_columns, ==, 3);
  g_assert_cmpstr (summary->columns[0], ==, "g128");
  g_assert_cmpstr (summary->columns[2], ==, "g32");
  g_assert_false (summary->has_svd_comparison);

  layer = find_layer (summary, "fine.weight");
  g_assert_cmpint (layer->verdict, ==, QS_VERDICT_OK);

  layer = find_layer (summary, "needs32.weight");
  g_assert_cmpint (layer->verdict, ==, QS_VERDICT_PROMOTE);
  g_assert_cmpstr (layer->promote_to, ==, "g32");
  g_assert_cmpint (layer->promote_column, ==, 2);

  layer = find_layer (summary, "forced.weight");
  g_assert_cmpint (layer->verdict, ==, QS_VERDICT_SKIP);
  g_assert_cmpint (layer->group_size[0], ==, -1);
  g_assert_cmpint (layer->group_size[1], ==, 96);

  /* The config carries group sizes, not dtypes. */
  config = ((QsComponentConfig *) g_ptr_array_index (summary->configs, 0))->config;
  g_assert_cmpstr (config->weights_dtype, ==, "uint4");
  g_assert_cmpint (config->group_size, ==, 128);
  g_assert_cmpuint (config->modules_dtype_dict->len, ==, 0);
  g_assert_cmpuint (config->modules_group_size_dict->len, ==, 1);
  entry = g_ptr_array_index (config->modules_group_size_dict, 0);
  g_assert_cmpstr (entry->key, ==, "32");
  g_assert_cmpstr (g_ptr_array_index (entry->patterns, 0), ==, "needs32.weight");
  g_assert_cmpuint (config->modules_to_not_convert->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (config->modules_to_not_convert, 0), ==, "forced.weight");
}

static void
test_svd_comparison (void)
{
  const char * const dtypes[] = { "uint4", "uint8", NULL };
  const gint64 sizes[] = { 0 };
  g_autoptr(QsAnalysisResult) result = make_result (dtypes, sizes, 1, TRUE);
  g_autoptr(QsSummary) summary = NULL;
  const QsLayerSummary *layer;
  const Row rescued[] = {
    { "uint4", 0, 0, 64, 0.02 },
    { "uint4", 32, 0, 128, 0.005 },
    { "uint8", 0, 0, -1, 0.001 },
    { "uint8", 32, 0, -1, 0.0001 },
  };
  const Row unchanged[] = {
    { "uint4", 0, 0, 64, 0.004 },
    { "uint4", 32, 0, 128, 0.002 },
    { "uint8", 0, 0, -1, 0.0001 },
    { "uint8", 32, 0, -1, 0.00005 },
  };

  add_layer (result, "transformer", "rescued.weight", 256, 256, rescued, 4);
  add_layer (result, "transformer", "unchanged.weight", 256, 256, unchanged, 4);

  summary = summarize (result, FALSE);
  g_assert_true (summary->has_svd_comparison);
  g_assert_cmpuint (summary->n_svd_ranks, ==, 1);
  g_assert_cmpuint (summary->svd_ranks[0], ==, 32);
  g_assert_cmpuint (summary->n_svd_rescued[0], ==, 1);

  layer = find_layer (summary, "rescued.weight");
  g_assert_cmpuint (layer->n_svd, ==, 1);
  g_assert_cmpfloat (layer->svd[0].raw_nmse, ==, 0.02);
  g_assert_cmpfloat (layer->svd[0].svd_nmse, ==, 0.005);
  g_assert_cmpfloat_with_epsilon (layer->svd[0].improvement, 4.0, 1e-12);
  g_assert_cmpint (layer->svd[0].raw_verdict, ==, QS_VERDICT_PROMOTE);
  g_assert_cmpint (layer->svd[0].svd_verdict, ==, QS_VERDICT_OK);
  g_assert_true (layer->svd[0].rescued);

  layer = find_layer (summary, "unchanged.weight");
  g_assert_false (layer->svd[0].rescued);
  g_assert_cmpfloat_with_epsilon (layer->svd[0].improvement, 2.0, 1e-12);
}

/* The pipeline JSON, read back through the config reader, must give every
 * layer exactly the options that auto-config chose for it. */
static void
check_config_applies_choices (const QsSummary *summary,
                              QsConfigStyle    style)
{
  g_autoptr(JsonNode) root = qs_summary_build_pipeline_config (summary, style);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GHashTable) configs = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);

  configs = qs_pipeline_config_parse (json_parser_get_root (parser), &error);
  g_assert_no_error (error);
  g_assert_nonnull (configs);

  for (guint i = 0; i < summary->layers->len; i++)
    {
      const QsLayerSummary *layer = g_ptr_array_index (summary->layers, i);
      const QsSdnqConfig *config = g_hash_table_lookup (configs, layer->layer->component);
      QsLayerQuantOptions options = { 0 };

      g_assert_nonnull (config);
      qs_sdnq_config_resolve_layer (config, layer->layer->name, layer->layer->kind, &options);

      if (layer->auto_choice.skip)
        {
          g_assert_false (options.quantized);
          continue;
        }

      g_assert_true (options.quantized);
      g_assert_cmpstr (options.dtype->name, ==, layer->auto_choice.dtype);
      g_assert_cmpint (options.group_size, ==, layer->auto_choice.group_size);
      g_assert_cmpint (options.use_svd, ==, layer->auto_choice.svd_rank > 0);
      if (options.use_svd)
        g_assert_cmpuint (options.svd_rank, ==, layer->auto_choice.svd_rank);
    }
}

static void
test_configs_round_trip (void)
{
  const char * const dtypes[] = { "uint4", "uint6", "uint8", NULL };
  const gint64 sizes[] = { 0 };
  g_autoptr(QsAnalysisResult) result = make_result (dtypes, sizes, 1, TRUE);
  g_autoptr(QsSummary) summary = NULL;
  const QsSdnqConfig *config;
  const Row base[] = {
    { "uint4", 0, 0, 64, 0.005 },
    { "uint6", 0, 0, -1, 0.0005 },
    { "uint8", 0, 0, -1, 0.00001 },
    { "uint4", 32, 0, 128, 0.001 },
  };
  const Row promote[] = {
    { "uint4", 0, 0, 64, 0.02 },
    { "uint6", 0, 0, -1, 0.005 },
    { "uint8", 0, 0, -1, 0.0001 },
    { "uint4", 32, 0, 128, 0.03 },
  };
  const Row svd[] = {
    { "uint4", 0, 0, 64, 0.05 },
    { "uint6", 0, 0, -1, 0.03 },
    { "uint8", 0, 0, -1, 0.02 },
    { "uint4", 32, 0, 128, 0.009 },
  };
  const Row skip[] = {
    { "uint4", 0, 0, 64, 0.5 },
    { "uint6", 0, 0, -1, 0.2 },
    { "uint8", 0, 0, -1, 0.2 },
    { "uint4", 32, 0, 128, 0.15 },
  };

  add_layer (result, "transformer", "blocks.0.attn.to_q.weight", 256, 256, base, 4);
  add_layer (result, "transformer", "blocks.0.attn.to_k.weight", 256, 256, base, 4);
  add_layer (result, "transformer", "blocks.0.ff.net.0.proj.weight", 256, 256, promote, 4);
  add_layer (result, "transformer", "blocks.0.norm1.linear.weight", 4096, 4096, svd, 4);
  add_layer (result, "transformer", "proj_out.weight", 256, 256, skip, 4);
  add_layer (result, "text_encoder", "layers.0.q_proj.weight", 256, 256, promote, 4);

  summary = summarize (result, TRUE);
  g_assert_cmpuint (summary->configs->len, ==, 2);
  g_assert_cmpuint (summary->n_components, ==, 2);

  config = ((QsComponentConfig *) g_ptr_array_index (summary->configs, 0))->config;
  g_assert_cmpstr (config->weights_dtype, ==, "uint4");
  g_assert_cmpint (config->group_size, ==, 64);
  g_assert_cmpuint (config->modules_to_not_convert->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (config->modules_to_not_convert, 0), ==, "proj_out.weight");

  check_config_applies_choices (summary, QS_CONFIG_STYLE_SCRIPT);
  check_config_applies_choices (summary, QS_CONFIG_STYLE_UPSTREAM);

  /* The snippet names the same layers as the JSON. */
  {
    g_autofree char *snippet = qs_sdnq_config_format_snippet (config, QS_CONFIG_STYLE_SCRIPT);

    qs_test_assert_contains (snippet, "SDNQConfig(");
    qs_test_assert_contains (snippet, "\"proj_out.weight\"");
    qs_test_assert_contains (snippet, "\"blocks.0.norm1.linear.weight\"");
    qs_test_assert_contains (snippet, "modules_svd_dict");
  }
}

static void
test_verdict_configs (void)
{
  const char * const dtypes[] = { "uint4", "uint6", "uint8", NULL };
  const gint64 sizes[] = { 0 };
  g_autoptr(QsAnalysisResult) result = make_result (dtypes, sizes, 1, FALSE);
  g_autoptr(QsSummary) summary = NULL;
  const QsSdnqConfig *config;
  const QsPatternList *entry;
  const Row ok[] = { { "uint4", 0, 0, 64, 0.005 }, { "uint6", 0, 0, -1, 0.001 }, { "uint8", 0, 0, -1, 0.0001 } };
  const Row promote[] = { { "uint4", 0, 0, 64, 0.02 }, { "uint6", 0, 0, -1, 0.02 }, { "uint8", 0, 0, -1, 0.0001 } };
  const Row skip[] = { { "uint4", 0, 0, 64, 0.2 }, { "uint6", 0, 0, -1, 0.2 }, { "uint8", 0, 0, -1, 0.2 } };

  add_layer (result, "transformer", "ok.weight", 64, 64, ok, 3);
  add_layer (result, "transformer", "promote.weight", 64, 64, promote, 3);
  add_layer (result, "transformer", "skip.weight", 64, 64, skip, 3);

  summary = summarize (result, FALSE);
  config = ((QsComponentConfig *) g_ptr_array_index (summary->configs, 0))->config;

  g_assert_cmpstr (config->weights_dtype, ==, "uint4");
  g_assert_cmpint (config->group_size, ==, 0);
  g_assert_cmpuint (config->modules_dtype_dict->len, ==, 1);
  entry = g_ptr_array_index (config->modules_dtype_dict, 0);
  g_assert_cmpstr (entry->key, ==, "uint8");
  g_assert_cmpstr (g_ptr_array_index (entry->patterns, 0), ==, "promote.weight");
  g_assert_cmpuint (config->modules_to_not_convert->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (config->modules_to_not_convert, 0), ==, "skip.weight");
}

static void
test_group_size_labels (void)
{
  g_autofree char *auto_label = qs_format_group_size_label (0);
  g_autofree char *row = qs_format_group_size_label (-1);
  g_autofree char *g64 = qs_format_group_size_label (64);

  g_assert_cmpstr (auto_label, ==, "auto");
  g_assert_cmpstr (row, ==, "row-wise");
  g_assert_cmpstr (g64, ==, "g64");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qs/engine/autoconfig/cost-model", test_cost_model);
  g_test_add_func ("/qs/engine/autoconfig/choices", test_auto_config_choices);
  g_test_add_func ("/qs/engine/autoconfig/tie-breaks", test_auto_config_tie_breaks);
  g_test_add_func ("/qs/engine/autoconfig/ignores-dropped-svd", test_auto_config_ignores_dropped_svd);
  g_test_add_func ("/qs/engine/autoconfig/group-size-mode", test_group_size_mode);
  g_test_add_func ("/qs/engine/autoconfig/svd-comparison", test_svd_comparison);
  g_test_add_func ("/qs/engine/autoconfig/configs-round-trip", test_configs_round_trip);
  g_test_add_func ("/qs/engine/autoconfig/verdict-configs", test_verdict_configs);
  g_test_add_func ("/qs/engine/autoconfig/group-size-labels", test_group_size_labels);

  return g_test_run ();
}
