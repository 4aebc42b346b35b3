/* test-engine-summary.c: classification, statistics and the top-N list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "qs-summary.h"

static const char * const grid_dtypes[] = { "uint4", "uint6", "uint8", "int8", NULL };

/* Adds a Linear layer whose raw formats (automatic group size) have the
 * given NMSE per dtype, in grid order. */
static void
add_layer (QsAnalysisResult *result,
           const char       *name,
           const double     *nmse,
           guint             n_values,
           guint             svd_rank)
{
  g_autoptr(QsLayerResult) layer = qs_layer_result_new ();

  layer->component = g_strdup ("transformer");
  layer->name = g_strdup (name);
  layer->kind = QS_LAYER_LINEAR;
  layer->layer_class = g_strdup ("Linear");
  layer->tensor_dtype = g_strdup ("BF16");
  layer->ndim = 2;
  layer->shape[0] = 64;
  layer->shape[1] = 64;
  layer->numel = 64 * 64;
  layer->n_formats = n_values;
  layer->formats = g_new0 (QsFormatRecord, n_values);
  for (guint i = 0; i < n_values; i++)
    {
      QsFormatRecord *record = &layer->formats[i];

      record->dtype = g_strdup (grid_dtypes[i]);
      record->use_svd = svd_rank > 0;
      record->svd_rank = svd_rank;
      record->requested_group_size = 0;
      record->group_size = 64;
      record->metrics.nmse = nmse[i];
    }

  qs_analysis_result_add_layer (result, layer);
}

static QsAnalysisResult *
make_result (gboolean use_raw)
{
  g_autoptr(QsAnalysisSettings) settings = qs_analysis_settings_new ();

  settings->use_raw = use_raw;

  return qs_analysis_result_new (settings);
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

static void
test_classification_rules (void)
{
  g_autoptr(QsAnalysisResult) result = make_result (TRUE);
  g_autoptr(QsSummary) summary = NULL;
  const double ok[] = { 0.005, 0.001, 0.0001, 0.0002 };
  const double promote_uint8[] = { 0.05, 0.02, 0.004, 0.003 };
  const double promote_uint6[] = { 0.05, 0.01, 0.004, 0.003 };
  const double all_above_skip[] = { 0.5, 0.3, 0.2, INFINITY };
  const double none_under_promote[] = { 0.05, 0.04, 0.03, 0.02 };
  const double primary_inf[] = { INFINITY, 0.004, 0.001, 0.001 };
  const double boundary[] = { 0.01, 0.5, 0.5, 0.5 };
  const QsLayerSummary *layer;
  g_autofree char *verdict = NULL;

  add_layer (result, "ok.weight", ok, 4, 0);
  add_layer (result, "promote-uint8.weight", promote_uint8, 4, 0);
  add_layer (result, "promote-uint6.weight", promote_uint6, 4, 0);
  add_layer (result, "all-above-skip.weight", all_above_skip, 4, 0);
  add_layer (result, "none-under-promote.weight", none_under_promote, 4, 0);
  add_layer (result, "primary-inf.weight", primary_inf, 4, 0);
  add_layer (result, "boundary.weight", boundary, 4, 0);

  summary = qs_summary_new (result, 0.1, 0.01, 30);

  g_assert_cmpint (find_layer (summary, "ok.weight")->verdict, ==, QS_VERDICT_OK);

  layer = find_layer (summary, "promote-uint8.weight");
  g_assert_cmpint (layer->verdict, ==, QS_VERDICT_PROMOTE);
  g_assert_cmpstr (layer->promote_to, ==, "uint8");
  verdict = qs_layer_summary_format_verdict (layer);
  g_assert_cmpstr (verdict, ==, ">uint8");

  /* A value exactly at the promote threshold passes. */
  layer = find_layer (summary, "promote-uint6.weight");
  g_assert_cmpint (layer->verdict, ==, QS_VERDICT_PROMOTE);
  g_assert_cmpstr (layer->promote_to, ==, "uint6");

  g_assert_cmpint (find_layer (summary, "all-above-skip.weight")->verdict, ==, QS_VERDICT_SKIP);
  g_assert_cmpint (find_layer (summary, "none-under-promote.weight")->verdict, ==, QS_VERDICT_SKIP);

  layer = find_layer (summary, "primary-inf.weight");
  g_assert_cmpint (layer->verdict, ==, QS_VERDICT_PROMOTE);
  g_assert_cmpstr (layer->promote_to, ==, "uint6");

  g_assert_cmpint (find_layer (summary, "boundary.weight")->verdict, ==, QS_VERDICT_OK);

  g_assert_cmpuint (summary->n_layers, ==, 7);
  g_assert_cmpuint (summary->n_ok, ==, 2);
  g_assert_cmpuint (summary->n_promote, ==, 3);
  g_assert_cmpuint (summary->n_skip, ==, 2);
  g_assert_cmpuint (summary->n_error, ==, 0);
}

static void
test_thresholds_change_verdicts (void)
{
  g_autoptr(QsAnalysisResult) result = make_result (TRUE);
  g_autoptr(QsSummary) strict = NULL;
  g_autoptr(QsSummary) loose = NULL;
  const double values[] = { 0.02, 0.008, 0.001, 0.001 };

  add_layer (result, "a.weight", values, 4, 0);

  strict = qs_summary_new (result, 0.1, 0.01, 30);
  loose = qs_summary_new (result, 0.1, 0.05, 30);

  g_assert_cmpint (find_layer (strict, "a.weight")->verdict, ==, QS_VERDICT_PROMOTE);
  g_assert_cmpint (find_layer (loose, "a.weight")->verdict, ==, QS_VERDICT_OK);
}

static void
test_statistics_and_top (void)
{
  g_autoptr(QsAnalysisResult) result = make_result (TRUE);
  g_autoptr(QsSummary) summary = NULL;
  const double a[] = { 0.004, 0, 0, 0 };
  const double b[] = { 0.001, 0, 0, 0 };
  const double c[] = { INFINITY, 0, 0, 0 };
  const double d[] = { 0.003, 0, 0, 0 };
  const double e[] = { 0.010, 0, 0, 0 };
  const QsLayerSummary *top;

  add_layer (result, "a.weight", a, 4, 0);
  add_layer (result, "b.weight", b, 4, 0);
  add_layer (result, "c.weight", c, 4, 0);
  add_layer (result, "d.weight", d, 4, 0);
  add_layer (result, "e.weight", e, 4, 0);

  summary = qs_summary_new (result, 0.1, 0.01, 3);

  g_assert_cmpuint (summary->n_finite, ==, 4);
  g_assert_cmpuint (summary->n_infinite, ==, 1);
  g_assert_cmpfloat_with_epsilon (summary->nmse_mean, (0.004 + 0.001 + 0.003 + 0.010) / 4, 1e-15);
  g_assert_cmpfloat_with_epsilon (summary->nmse_median, (0.003 + 0.004) / 2, 1e-15);
  g_assert_cmpfloat (summary->nmse_worst, ==, 0.010);

  g_assert_cmpuint (summary->top->len, ==, 3);
  top = g_ptr_array_index (summary->top, 0);
  g_assert_cmpstr (top->layer->name, ==, "c.weight");
  top = g_ptr_array_index (summary->top, 1);
  g_assert_cmpstr (top->layer->name, ==, "e.weight");
  top = g_ptr_array_index (summary->top, 2);
  g_assert_cmpstr (top->layer->name, ==, "a.weight");
}

static void
test_error_layers_left_out (void)
{
  g_autoptr(QsAnalysisResult) result = make_result (TRUE);
  g_autoptr(QsSummary) summary = NULL;
  g_autoptr(QsLayerResult) broken = qs_layer_result_new ();
  const double a[] = { 0.002, 0.001, 0.001, 0.001 };

  add_layer (result, "a.weight", a, 4, 0);
  broken->component = g_strdup ("transformer");
  broken->name = g_strdup ("broken.weight");
  broken->layer_class = g_strdup ("Linear");
  broken->error = g_strdup ("contains 1 NaN and 0 Inf values");
  qs_analysis_result_add_layer (result, broken);

  summary = qs_summary_new (result, 0.1, 0.01, 30);

  g_assert_cmpint (find_layer (summary, "broken.weight")->verdict, ==, QS_VERDICT_ERROR);
  g_assert_cmpuint (summary->n_error, ==, 1);
  g_assert_cmpuint (summary->n_ok, ==, 1);
  g_assert_cmpuint (summary->n_finite, ==, 1);
  g_assert_cmpuint (summary->top->len, ==, 1);
  g_assert_cmpfloat (summary->nmse_mean, ==, 0.002);
}

static void
test_svd_rows_without_raw (void)
{
  g_autoptr(QsAnalysisResult) result = make_result (FALSE);
  g_autoptr(QsSummary) summary = NULL;
  const double values[] = { 0.02, 0.005, 0.001, 0.001 };
  const QsLayerSummary *layer;

  add_layer (result, "svd.weight", values, 4, 32);
  summary = qs_summary_new (result, 0.1, 0.01, 30);

  g_assert_true (summary->uses_svd_rows);
  g_assert_cmpuint (summary->classify_svd_rank, ==, 32);
  layer = find_layer (summary, "svd.weight");
  g_assert_cmpfloat (layer->primary_nmse, ==, 0.02);
  g_assert_cmpint (layer->verdict, ==, QS_VERDICT_PROMOTE);
  g_assert_cmpstr (layer->promote_to, ==, "uint6");
}

static void
test_format_nmse (void)
{
  g_autofree char *inf = qs_format_nmse (INFINITY);
  g_autofree char *missing = qs_format_nmse (NAN);
  g_autofree char *value = qs_format_nmse (0.000123456);

  g_assert_cmpstr (inf, ==, "INF");
  g_assert_cmpstr (missing, ==, "-");
  g_assert_cmpstr (value, ==, "1.2346e-04");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qs/engine/summary/classification-rules", test_classification_rules);
  g_test_add_func ("/qs/engine/summary/thresholds-change-verdicts", test_thresholds_change_verdicts);
  g_test_add_func ("/qs/engine/summary/statistics-and-top", test_statistics_and_top);
  g_test_add_func ("/qs/engine/summary/error-layers-left-out", test_error_layers_left_out);
  g_test_add_func ("/qs/engine/summary/svd-rows-without-raw", test_svd_rows_without_raw);
  g_test_add_func ("/qs/engine/summary/format-nmse", test_format_nmse);

  return g_test_run ();
}
