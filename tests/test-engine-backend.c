/* test-engine-backend.c: the CPU backend against naive per-format loops
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "qs-backend.h"

/* Metrics computed in the most direct way: one format at a time through
 * qs_quantize_layer() and qs_dequantize_layer(), formulas written out in
 * double. */
typedef struct
{
  QsMetrics metrics;
  gint64    resolved_group_size;
  guint64   n_degenerate_groups;
} NaiveResult;

static QsLayerWeights
make_layer (const float *data,
            QsLayerKind  kind,
            guint        ndim,
            const gint64 *shape)
{
  QsLayerWeights layer;

  memset (&layer, 0, sizeof layer);
  layer.data = data;
  layer.kind = kind;
  layer.ndim = ndim;
  layer.numel = 1;
  for (guint d = 0; d < ndim; d++)
    {
      layer.shape[d] = shape[d];
      layer.numel *= shape[d];
    }
  layer.name = "test.weight";

  return layer;
}

/* Fills a weight with Gaussian values and a few large outliers. */
static float *
make_weight (gsize   n,
             guint32 seed)
{
  float *w = g_new (float, n);
  GRand *rand = g_rand_new_with_seed (seed);

  for (gsize i = 0; i < n; i += 2)
    {
      double u1 = 1.0 - g_rand_double (rand);
      double u2 = g_rand_double (rand);
      double radius = sqrt (-2.0 * log (u1)) * 0.02;

      w[i] = (float) (radius * cos (2 * G_PI * u2));
      if (i + 1 < n)
        w[i + 1] = (float) (radius * sin (2 * G_PI * u2));
    }
  for (gsize i = 0; i < n; i += 997)
    w[i] *= 12.0f;
  g_rand_free (rand);

  return w;
}

/* Fills a [rows, cols] weight with a rank-8 signal plus small noise. */
static float *
make_low_rank_weight (gint64 rows,
                      gint64 cols)
{
  g_autofree float *left = make_weight (rows * 8, 30);
  g_autofree float *right = make_weight (8 * cols, 31);
  float *w = make_weight (rows * cols, 32);

  for (gint64 i = 0; i < rows; i++)
    for (gint64 j = 0; j < cols; j++)
      {
        float sum = 0.0f;

        for (gint64 k = 0; k < 8; k++)
          sum += left[i * 8 + k] * right[k * cols + j];
        w[i * cols + j] = w[i * cols + j] * 0.05f + sum * 50.0f;
      }

  return w;
}

static const QsDtype *
dtype (const char *name)
{
  const QsDtype *result = qs_dtype_lookup (name);

  g_assert_nonnull (result);
  return result;
}

static void
naive_metrics (QsMetrics   *metrics,
               const float *o,
               const float *r,
               gsize        n)
{
  double mean = 0.0;
  double var = 0.0;
  double sq_err = 0.0;
  double dot = 0.0;
  double oo = 0.0;
  double rr = 0.0;
  double max_err = 0.0;
  double mse;

  for (gsize i = 0; i < n; i++)
    mean += o[i];
  mean /= (double) n;

  for (gsize i = 0; i < n; i++)
    {
      double d = (double) o[i] - (double) r[i];

      var += ((double) o[i] - mean) * ((double) o[i] - mean);
      sq_err += d * d;
      dot += (double) o[i] * r[i];
      oo += (double) o[i] * o[i];
      rr += (double) r[i] * r[i];
      max_err = MAX (max_err, fabsf (o[i] - r[i]));
    }
  var /= (double) (n - 1);
  mse = sq_err / (double) n;

  metrics->nmse = var == 0.0 ? INFINITY : mse / var;
  metrics->sqnr_db = metrics->nmse > 0.0 ? -10.0 * log10 (metrics->nmse) : INFINITY;
  metrics->cosine_sim = dot / sqrt (MAX (oo * rr, 1e-16));
  metrics->max_abs_err = max_err;
  metrics->relative_l2 = oo == 0.0 ? INFINITY : sqrt (sq_err) / sqrt (oo);
}

/* Quantizes @source with one format and dequantizes it, going through
 * packing for the dtypes whose codes change there. */
static float *
naive_reconstruct (const QsLayerWeights *layer,
                   const QsDtype        *dt,
                   gint64                requested,
                   gboolean              svd_active,
                   const float          *source,
                   NaiveResult          *result)
{
  gint64 channels = layer->shape[1];
  QsGroupLayout layout;
  g_autoptr(QsQuantizedLayer) quantized = NULL;
  float *reconstruction = g_new (float, layer->numel);

  result->resolved_group_size = qs_resolve_group_size (dt, layer->kind, channels,
                                                       requested, svd_active);
  qs_group_layout_init (&layout, layer->shape, layer->ndim, result->resolved_group_size);
  quantized = qs_quantize_layer (dt, &layout, source);

  if (qs_dtype_needs_pack_round_trip (dt))
    {
      g_autofree guint8 *packed = g_malloc (qs_packed_size (dt, layer->numel));
      g_autoptr(GError) error = NULL;

      g_assert_true (qs_pack_codes (dt, quantized->codes, layer->numel, packed, &error));
      g_assert_no_error (error);
      g_assert_true (qs_unpack_codes (dt, packed, layer->numel, quantized->codes, &error));
      g_assert_no_error (error);
    }

  qs_dequantize_layer (quantized, reconstruction);
  result->n_degenerate_groups = quantized->n_degenerate_groups;

  return reconstruction;
}

static void
naive_raw (const QsLayerWeights *layer,
           const QsFormat       *format,
           NaiveResult          *result)
{
  g_autofree float *reconstruction = NULL;

  reconstruction = naive_reconstruct (layer, format->dtype, format->requested_group_size,
                                      FALSE, layer->data, result);
  naive_metrics (&result->metrics, layer->data, reconstruction, layer->numel);
}

/* The SVD path written out: factors rounded to bf16, their product rounded
 * to bf16, the fp32 residual quantized, and the product added back (in
 * bf16 for Linear, in fp32 for conv). */
static void
naive_svd (const QsLayerWeights *layer,
           const QsFormat       *format,
           const QsEvalOptions  *options,
           guint                *effective_rank,
           NaiveResult          *result)
{
  gint64 cols = (gint64) (layer->numel / layer->shape[0]);
  g_autoptr(QsLowRank) lowrank = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *product = g_new (float, layer->numel);
  g_autofree float *residual = g_new (float, layer->numel);
  g_autofree float *reconstruction = NULL;

  lowrank = qs_lowrank_compute (layer->data, layer->shape[0], cols, format->svd_rank,
                                options->svd_steps, options->svd_seed, NULL, &error);
  g_assert_no_error (error);
  *effective_rank = lowrank->rank;
  qs_lowrank_round (lowrank, options->model_dtype);
  qs_lowrank_product (lowrank, options->model_dtype, product);

  for (guint64 i = 0; i < layer->numel; i++)
    residual[i] = layer->data[i] - product[i];

  reconstruction = naive_reconstruct (layer, format->dtype, format->requested_group_size,
                                      TRUE, residual, result);

  for (guint64 i = 0; i < layer->numel; i++)
    {
      if (layer->kind == QS_LAYER_CONV)
        reconstruction[i] = reconstruction[i] + product[i];
      else
        reconstruction[i] = qs_model_dtype_round (options->model_dtype,
                                                  qs_model_dtype_round (options->model_dtype,
                                                                        reconstruction[i]) +
                                                  product[i]);
    }

  naive_metrics (&result->metrics, layer->data, reconstruction, layer->numel);
}

static void
assert_relative (double actual,
                 double expected,
                 double tolerance)
{
  if (isinf (expected) || expected == 0.0)
    g_assert_cmpfloat (actual, ==, expected);
  else
    g_assert_cmpfloat_with_epsilon (actual / expected, 1.0, tolerance);
}

static void
assert_metrics_equal (const QsMetrics *actual,
                      const QsMetrics *expected,
                      double           tolerance)
{
  assert_relative (actual->nmse, expected->nmse, tolerance);
  assert_relative (actual->sqnr_db, expected->sqnr_db, tolerance);
  assert_relative (actual->cosine_sim, expected->cosine_sim, tolerance);
  assert_relative (actual->max_abs_err, expected->max_abs_err, tolerance);
  assert_relative (actual->relative_l2, expected->relative_l2, tolerance);
}

static void
assert_metrics_finite (const QsMetrics *metrics)
{
  g_assert_true (isfinite (metrics->nmse));
  g_assert_true (isfinite (metrics->sqnr_db));
  g_assert_true (isfinite (metrics->cosine_sim));
  g_assert_true (isfinite (metrics->max_abs_err));
  g_assert_true (isfinite (metrics->relative_l2));
}

static QsEvalOptions
default_options (void)
{
  QsEvalOptions options;

  options.svd_steps = 4;
  options.svd_seed = 1234;
  options.model_dtype = QS_MODEL_DTYPE_BF16;

  return options;
}

static QsFormatResult *
evaluate (guint                 n_threads,
          const QsLayerWeights *layer,
          const QsFormat       *formats,
          guint                 n_formats,
          const QsEvalOptions  *options)
{
  g_autoptr(QsBackend) backend = qs_cpu_backend_new (n_threads);
  g_autoptr(GError) error = NULL;
  QsFormatResult *results = g_new0 (QsFormatResult, n_formats);

  g_assert_true (qs_backend_evaluate_layer (backend, layer, formats, n_formats, options,
                                            results, NULL, &error));
  g_assert_no_error (error);

  return results;
}

static void
free_results (QsFormatResult *results,
              guint           n_results)
{
  for (guint i = 0; i < n_results; i++)
    qs_format_result_clear (&results[i]);
  g_free (results);
}

/* Checks every format of @formats against the naive loops. */
static void
check_against_naive (const QsLayerWeights *layer,
                     const QsFormat       *formats,
                     guint                 n_formats,
                     const QsEvalOptions  *options,
                     double                tolerance)
{
  QsFormatResult *results = evaluate (2, layer, formats, n_formats, options);

  for (guint i = 0; i < n_formats; i++)
    {
      NaiveResult expected;
      guint effective_rank = 0;

      if (g_test_verbose ())
        g_test_message ("format %u: %s group %" G_GINT64_FORMAT " rank %u", i,
                        formats[i].dtype->name, formats[i].requested_group_size,
                        formats[i].svd_rank);

      if (formats[i].svd_rank == 0)
        naive_raw (layer, &formats[i], &expected);
      else
        naive_svd (layer, &formats[i], options, &effective_rank, &expected);

      g_assert_false (results[i].failed);
      g_assert_null (results[i].error_message);
      g_assert_cmpint (results[i].resolved_group_size, ==, expected.resolved_group_size);
      g_assert_cmpuint (results[i].svd_rank, ==, effective_rank);
      g_assert_cmpuint (results[i].n_degenerate_groups, ==, expected.n_degenerate_groups);
      assert_metrics_equal (&results[i].metrics, &expected.metrics, tolerance);
    }

  free_results (results, n_formats);
}

static void
test_backend_linear_raw (void)
{
  const gint64 shape[] = { 96, 320 };
  g_autofree float *w = make_weight (96 * 320, 1);
  QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("uint4"), 0, 0 },
    { dtype ("uint6"), 0, 0 },
    { dtype ("uint8"), 0, 0 },
    { dtype ("int8"), 0, 0 },
    { dtype ("int4"), 32, 0 },
    { dtype ("uint4"), -1, 0 },
    { dtype ("int8"), 128, 0 },
    { dtype ("uint2"), 0, 0 },
    { dtype ("float8_e4m3fn"), 0, 0 },
    { dtype ("float6_e3m2fn"), 0, 0 },
    { dtype ("uint12"), 0, 0 },
  };

  check_against_naive (&layer, formats, G_N_ELEMENTS (formats), &options, 1e-12);
}

static void
test_backend_conv2d_raw (void)
{
  const gint64 shape[] = { 320, 4, 3, 3 };
  g_autofree float *w = make_weight (320 * 4 * 9, 2);
  QsLayerWeights layer = make_layer (w, QS_LAYER_CONV, 4, shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("uint4"), 0, 0 },
    { dtype ("uint8"), 0, 0 },
    { dtype ("int8"), 2, 0 },
    { dtype ("uint6"), -1, 0 },
  };
  QsFormatResult *results;

  check_against_naive (&layer, formats, G_N_ELEMENTS (formats), &options, 1e-12);

  /* Four input channels are fewer than any automatic group, so the layer
   * is row-wise: one scale per output row and kernel position. */
  results = evaluate (1, &layer, formats, G_N_ELEMENTS (formats), &options);
  g_assert_cmpint (results[0].resolved_group_size, ==, -1);
  g_assert_cmpint (results[2].resolved_group_size, ==, 2);
  free_results (results, G_N_ELEMENTS (formats));
}

static void
test_backend_conv_strided_groups (void)
{
  const gint64 shape[] = { 48, 128, 3, 3 };
  g_autofree float *w = make_weight (48 * 128 * 9, 3);
  QsLayerWeights layer = make_layer (w, QS_LAYER_CONV, 4, shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("uint4"), 0, 0 },
    { dtype ("int8"), 32, 0 },
    { dtype ("uint3"), 0, 0 },
    { dtype ("uint4"), 0, 16 },
  };

  check_against_naive (&layer, formats, G_N_ELEMENTS (formats), &options, 1e-12);
}

static void
test_backend_conv3d (void)
{
  const gint64 shape[] = { 64, 16, 1, 2, 2 };
  g_autofree float *w = make_weight (64 * 16 * 4, 4);
  QsLayerWeights layer = make_layer (w, QS_LAYER_CONV, 5, shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("uint4"), 0, 0 },
    { dtype ("int8"), 8, 0 },
    { dtype ("uint2"), 0, 0 },
    { dtype ("uint4"), 0, 8 },
    { dtype ("int8"), 4, 8 },
  };

  check_against_naive (&layer, formats, G_N_ELEMENTS (formats), &options, 1e-12);
}

static void
test_backend_linear_vs_conv_grouping (void)
{
  const gint64 linear_shape[] = { 64, 1152 };
  const gint64 conv_shape[] = { 64, 128, 3, 3 };
  g_autofree float *w = make_weight (64 * 1152, 5);
  QsLayerWeights linear = make_layer (w, QS_LAYER_LINEAR, 2, linear_shape);
  QsLayerWeights conv = make_layer (w, QS_LAYER_CONV, 4, conv_shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("uint4"), 0, 0 },
    { dtype ("uint6"), 0, 0 },
    { dtype ("uint4"), 0, 8 },
    { dtype ("int8"), 0, 0 },
  };
  QsFormatResult *linear_results;
  QsFormatResult *conv_results;

  linear_results = evaluate (2, &linear, formats, G_N_ELEMENTS (formats), &options);
  conv_results = evaluate (2, &conv, formats, G_N_ELEMENTS (formats), &options);

  /* Automatic sizes are 2^(1 + bits + [Linear] + [SVD]). uint4 gives 64
   * for Linear and 32 for conv. uint6 gives 256 for Linear, which does
   * not divide 1152 and steps down to 3 groups of 384, and 128 for conv,
   * which covers all 128 channels and so is row-wise. SVD doubles the
   * uint4 sizes. int8 wants 1024 for Linear: 1152 has no divisor from
   * ⌊1152/1024⌋ − 1 = 0 down to 2, so it is row-wise as well. */
  g_assert_cmpint (linear_results[0].resolved_group_size, ==, 64);
  g_assert_cmpint (conv_results[0].resolved_group_size, ==, 32);
  g_assert_cmpint (linear_results[1].resolved_group_size, ==, 384);
  g_assert_cmpint (conv_results[1].resolved_group_size, ==, -1);
  g_assert_cmpint (linear_results[2].resolved_group_size, ==, 128);
  g_assert_cmpint (conv_results[2].resolved_group_size, ==, 64);
  g_assert_cmpint (linear_results[3].resolved_group_size, ==, -1);
  g_assert_cmpint (conv_results[3].resolved_group_size, ==, -1);

  /* The same values grouped differently give different errors. */
  g_assert_cmpfloat (linear_results[0].metrics.nmse, !=, conv_results[0].metrics.nmse);

  check_against_naive (&conv, formats, G_N_ELEMENTS (formats), &options, 1e-12);

  free_results (linear_results, G_N_ELEMENTS (formats));
  free_results (conv_results, G_N_ELEMENTS (formats));
}

/* Tensor-wise scales (-2) quantize the whole tensor as one group, which
 * spans every row block, in Linear, Conv and SVD layers alike. */
static void
test_backend_tensor_wise (void)
{
  const gint64 linear_shape[] = { 96, 320 };
  const gint64 conv_shape[] = { 48, 16, 3, 3 };
  g_autofree float *linear_w = make_low_rank_weight (96, 320);
  g_autofree float *conv_w = make_weight (48 * 16 * 9, 8);
  g_autofree float *zero_w = g_new0 (float, 96 * 320);
  QsLayerWeights linear = make_layer (linear_w, QS_LAYER_LINEAR, 2, linear_shape);
  QsLayerWeights conv = make_layer (conv_w, QS_LAYER_CONV, 4, conv_shape);
  QsLayerWeights zero = make_layer (zero_w, QS_LAYER_LINEAR, 2, linear_shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("uint4"), -2, 0 },
    { dtype ("int8"), -2, 0 },
    { dtype ("float8_e4m3fn"), -2, 0 },
    { dtype ("uint12"), -2, 0 },
    { dtype ("int4"), 32, 0 },
    { dtype ("uint4"), -2, 8 },
  };
  QsFormatResult *results;

  check_against_naive (&linear, formats, G_N_ELEMENTS (formats), &options, 1e-12);
  check_against_naive (&conv, formats, G_N_ELEMENTS (formats), &options, 1e-12);

  results = evaluate (2, &linear, formats, G_N_ELEMENTS (formats), &options);
  g_assert_cmpint (results[0].resolved_group_size, ==, -2);
  g_assert_cmpint (results[5].resolved_group_size, ==, -2);
  g_assert_cmpuint (results[0].n_degenerate_groups, ==, 0);
  /* One scale for all 96 rows loses more than one scale per 32 values. */
  g_assert_cmpfloat (results[0].metrics.nmse, >, results[4].metrics.nmse);
  free_results (results, G_N_ELEMENTS (formats));

  /* An all-zero tensor is one degenerate group, reconstructed exactly. */
  results = evaluate (2, &zero, formats, 4, &options);
  for (guint i = 0; i < 4; i++)
    {
      g_assert_false (results[i].failed);
      g_assert_cmpuint (results[i].n_degenerate_groups, ==, 1);
      g_assert_cmpfloat (results[i].metrics.max_abs_err, ==, 0.0);
    }
  free_results (results, 4);
}

static void
test_backend_embedding (void)
{
  const gint64 shape[] = { 64, 256 };
  g_autofree float *w = make_low_rank_weight (64, 256);
  QsLayerWeights layer = make_layer (w, QS_LAYER_EMBEDDING, 2, shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("uint4"), 0, 0 },
    { dtype ("int8"), 0, 0 },
    { dtype ("uint4"), 0, 8 },
  };
  QsFormatResult *results;

  /* An embedding groups like Linear but without the Linear term in the
   * automatic size, and its SVD sum is rounded like Linear's. */
  results = evaluate (2, &layer, formats, G_N_ELEMENTS (formats), &options);
  g_assert_cmpint (results[0].resolved_group_size, ==, 32);
  g_assert_cmpint (results[1].resolved_group_size, ==, -1);
  g_assert_cmpint (results[2].resolved_group_size, ==, 64);
  free_results (results, G_N_ELEMENTS (formats));

  check_against_naive (&layer, formats, G_N_ELEMENTS (formats), &options, 1e-12);
}

static void
test_backend_five_dims (void)
{
  const gint64 shape[] = { 8, 16, 2, 2, 2 };
  g_autofree float *w = make_weight (8 * 16 * 8, 6);
  QsLayerWeights layer = make_layer (w, QS_LAYER_CONV, 5, shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("uint4"), 0, 0 },
    { dtype ("int8"), 0, 0 },
    { dtype ("uint4"), 4, 32 },
  };
  QsFormatResult *results;

  results = evaluate (0, &layer, formats, G_N_ELEMENTS (formats), &options);

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_assert_false (results[i].failed);
      assert_metrics_finite (&results[i].metrics);
    }
  /* A [8, 128] matrix has rank at most 8. */
  g_assert_cmpuint (results[2].svd_rank, ==, 8);

  free_results (results, G_N_ELEMENTS (formats));
}

static void
test_backend_zero_rows (void)
{
  const gint64 shape[] = { 64, 256 };
  g_autofree float *w = make_weight (64 * 256, 7);
  QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("uint4"), 0, 0 },
    { dtype ("int8"), 0, 0 },
    { dtype ("uint8"), 32, 0 },
    { dtype ("int4"), -1, 0 },
    { dtype ("float8_e4m3fn"), 0, 0 },
    { dtype ("uint4"), 0, 8 },
  };
  QsFormatResult *results;

  memset (w, 0, 256 * sizeof (float));
  memset (w + 17 * 256, 0, 256 * sizeof (float));

  results = evaluate (2, &layer, formats, G_N_ELEMENTS (formats), &options);

  /* Each zero row adds one constant group per group of the row. */
  g_assert_cmpuint (results[0].n_degenerate_groups, ==, 2 * (256 / 64));
  g_assert_cmpuint (results[1].n_degenerate_groups, ==, 2);
  g_assert_cmpuint (results[2].n_degenerate_groups, ==, 2 * (256 / 32));
  g_assert_cmpuint (results[3].n_degenerate_groups, ==, 2);
  g_assert_cmpuint (results[4].n_degenerate_groups, ==, 2);

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_assert_false (results[i].failed);
      assert_metrics_finite (&results[i].metrics);
    }
  free_results (results, G_N_ELEMENTS (formats));

  check_against_naive (&layer, formats, G_N_ELEMENTS (formats), &options, 1e-12);
}

static void
test_backend_tiny_rows (void)
{
  const gint64 shape[] = { 32, 128 };
  const float scales[] = { 1e-6f, 1e-20f, 1e-39f, 1.0f };
  g_autofree float *w = make_weight (32 * 128, 8);
  g_autofree float *scaled = g_new (float, 32 * 128);
  QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);
  QsLayerWeights scaled_layer = make_layer (scaled, QS_LAYER_LINEAR, 2, shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("uint4"), 0, 0 },
    { dtype ("int8"), 0, 0 },
  };
  QsFormatResult *reference;

  reference = evaluate (1, &layer, formats, G_N_ELEMENTS (formats), &options);

  for (guint t = 0; t < G_N_ELEMENTS (scales); t++)
    {
      QsFormatResult *results;

      for (gsize i = 0; i < 32 * 128; i++)
        scaled[i] = w[i] * scales[t];

      results = evaluate (1, &scaled_layer, formats, G_N_ELEMENTS (formats), &options);
      for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
        {
          assert_metrics_finite (&results[i].metrics);
          g_assert_cmpuint (results[i].n_degenerate_groups, ==, 0);
          /* Scales are computed in fp32, so a weight scaled into the
           * normal range quantizes like the unscaled one. Subnormal values
           * lose bits of their own, but the error stays bounded. */
          if (scales[t] >= 1e-20f)
            g_assert_cmpfloat_with_epsilon (results[i].metrics.nmse / reference[i].metrics.nmse,
                                            1.0, 0.05);
          else
            g_assert_cmpfloat (results[i].metrics.nmse, <, 0.05);
        }
      free_results (results, G_N_ELEMENTS (formats));

      check_against_naive (&scaled_layer, formats, G_N_ELEMENTS (formats), &options, 1e-12);
    }

  free_results (reference, G_N_ELEMENTS (formats));
}

static void
test_backend_odd_widths (void)
{
  const struct
  {
    gint64 width;
    gint64 expected[3];
  } cases[] = {
    /* 3360 = 2⁵·3·5·7: 64 steps down to 48 groups of 70, 128 to 24 of 140. */
    { 3360, { 32, 70, 140 } },
    /* 2520 = 2³·3²·5·7: 72 groups of 35, 36 of 70, 18 of 140. */
    { 2520, { 35, 70, 140 } },
    /* A prime width has no divisor, so every size falls back to row-wise. */
    { 97, { -1, -1, -1 } },
    { 4, { -1, -1, -1 } },
  };
  const gint64 requested[] = { 32, 64, 128 };
  QsEvalOptions options = default_options ();

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      const gint64 shape[] = { 8, cases[c].width };
      g_autofree float *w = make_weight (8 * cases[c].width, 9 + c);
      QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);
      QsFormat formats[6];
      QsFormatResult *results;

      for (guint g = 0; g < 3; g++)
        {
          formats[g] = (QsFormat) { dtype ("int8"), requested[g], 0 };
          formats[3 + g] = (QsFormat) { dtype ("uint4"), requested[g], 0 };
        }

      results = evaluate (2, &layer, formats, G_N_ELEMENTS (formats), &options);
      for (guint g = 0; g < 3; g++)
        {
          g_assert_cmpint (results[g].resolved_group_size, ==, cases[c].expected[g]);
          g_assert_cmpint (results[3 + g].resolved_group_size, ==, cases[c].expected[g]);
        }
      free_results (results, G_N_ELEMENTS (formats));

      check_against_naive (&layer, formats, G_N_ELEMENTS (formats), &options, 1e-12);
    }
}

static void
test_backend_pack_failure (void)
{
  const gint64 shape[] = { 33, 3 };
  g_autofree float *w = make_weight (33 * 3, 20);
  QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("uint4"), 0, 0 },
    { dtype ("int8"), 0, 0 },
    { dtype ("uint6"), 0, 0 },
    { dtype ("uint8"), 0, 0 },
    { dtype ("uint4"), 0, 2 },
    { dtype ("int8"), 0, 2 },
  };
  QsFormatResult *results;

  results = evaluate (2, &layer, formats, G_N_ELEMENTS (formats), &options);

  /* 99 elements do not fill whole uint4 (2) or uint6 (4) blocks. */
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      gboolean packed = formats[i].dtype->is_packed;

      g_assert_cmpint (results[i].failed, ==, packed);
      if (packed)
        {
          g_assert_nonnull (results[i].error_message);
          g_assert_true (isinf (results[i].metrics.nmse) && results[i].metrics.nmse > 0);
          g_assert_true (isinf (results[i].metrics.sqnr_db) && results[i].metrics.sqnr_db < 0);
          g_assert_cmpfloat (results[i].metrics.cosine_sim, ==, 0.0);
          g_assert_true (isinf (results[i].metrics.max_abs_err));
          g_assert_true (isinf (results[i].metrics.relative_l2));
          g_assert_cmpint (results[i].resolved_group_size, ==, -1);
          g_assert_cmpuint (results[i].svd_rank, ==, 0);
        }
      else
        {
          g_assert_null (results[i].error_message);
          assert_metrics_finite (&results[i].metrics);
        }
    }
  g_assert_cmpuint (results[5].svd_rank, ==, 2);

  free_results (results, G_N_ELEMENTS (formats));
}

static void
test_backend_svd_improves (void)
{
  const gint64 shape[] = { 256, 384 };
  g_autofree float *w = make_low_rank_weight (256, 384);
  QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("uint4"), 0, 0 },
    { dtype ("int8"), 0, 0 },
    { dtype ("uint4"), 0, 16 },
    { dtype ("int8"), 0, 16 },
    { dtype ("uint4"), 0, 8 },
  };
  QsFormatResult *results;

  results = evaluate (2, &layer, formats, G_N_ELEMENTS (formats), &options);

  g_assert_cmpuint (results[2].svd_rank, ==, 16);
  g_assert_cmpuint (results[4].svd_rank, ==, 8);
  g_assert_cmpint (results[2].resolved_group_size, ==, 128);
  g_assert_cmpfloat (results[2].metrics.nmse, <, results[0].metrics.nmse / 4);
  g_assert_cmpfloat (results[3].metrics.nmse, <, results[1].metrics.nmse);
  g_assert_cmpfloat (results[4].metrics.nmse, <, results[0].metrics.nmse / 4);
  free_results (results, G_N_ELEMENTS (formats));

  check_against_naive (&layer, formats, G_N_ELEMENTS (formats), &options, 1e-12);
}

static void
test_backend_svd_conv (void)
{
  const gint64 shape[] = { 64, 32, 3, 3 };
  g_autofree float *w = make_low_rank_weight (64, 32 * 9);
  QsLayerWeights layer = make_layer (w, QS_LAYER_CONV, 4, shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("uint4"), 0, 16 },
    { dtype ("uint8"), 0, 16 },
    { dtype ("uint4"), 0, 0 },
  };

  check_against_naive (&layer, formats, G_N_ELEMENTS (formats), &options, 1e-12);
}

static void
test_backend_svd_model_dtypes (void)
{
  const gint64 shape[] = { 96, 160 };
  g_autofree float *w = make_low_rank_weight (96, 160);
  QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("uint8"), 0, 8 },
    { dtype ("uint4"), 0, 8 },
    { dtype ("uint12"), 0, 8 },
  };

  options.model_dtype = QS_MODEL_DTYPE_F16;
  check_against_naive (&layer, formats, G_N_ELEMENTS (formats), &options, 1e-12);
  options.model_dtype = QS_MODEL_DTYPE_F32;
  check_against_naive (&layer, formats, G_N_ELEMENTS (formats), &options, 1e-12);
}

static void
test_backend_thin_svd (void)
{
  const gint64 shape[] = { 4, 320 };
  g_autofree float *w = make_weight (4 * 320, 40);
  QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("uint4"), 0, 32 },
  };
  QsFormatResult *results;

  options.svd_steps = 8;
  results = evaluate (2, &layer, formats, G_N_ELEMENTS (formats), &options);

  /* The rank-4 factors reproduce the whole matrix, so the only error left
   * is the bf16 rounding of the factors and of the sum. */
  g_assert_false (results[0].failed);
  g_assert_cmpuint (results[0].svd_rank, ==, 4);
  g_assert_cmpfloat (results[0].metrics.nmse, <, 1e-4);
  free_results (results, G_N_ELEMENTS (formats));

  check_against_naive (&layer, formats, G_N_ELEMENTS (formats), &options, 1e-12);
}

static void
test_backend_svd_failure (void)
{
  const gint64 shape[] = { 32, 64 };
  g_autofree float *w = make_weight (32 * 64, 41);
  QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("int8"), 0, 0 },
    { dtype ("uint4"), 0, 8 },
    { dtype ("int8"), 0, 8 },
  };
  QsFormatResult *results;

  /* LAPACK rejects a matrix with NaN, so the SVD formats fail while the
   * raw one is still measured. */
  w[100] = NAN;
  results = evaluate (2, &layer, formats, G_N_ELEMENTS (formats), &options);

  g_assert_false (results[0].failed);
  for (guint i = 1; i < 3; i++)
    {
      g_assert_true (results[i].failed);
      g_assert_nonnull (results[i].error_message);
      g_assert_true (isinf (results[i].metrics.nmse));
      g_assert_cmpint (results[i].resolved_group_size, ==, -1);
      g_assert_cmpuint (results[i].svd_rank, ==, 0);
    }

  free_results (results, G_N_ELEMENTS (formats));
}

static void
assert_results_close (const QsFormatResult *a,
                      const QsFormatResult *b,
                      guint                 n)
{
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpint (a[i].failed, ==, b[i].failed);
      g_assert_cmpint (a[i].resolved_group_size, ==, b[i].resolved_group_size);
      g_assert_cmpuint (a[i].svd_rank, ==, b[i].svd_rank);
      g_assert_cmpuint (a[i].n_degenerate_groups, ==, b[i].n_degenerate_groups);
      assert_metrics_equal (&a[i].metrics, &b[i].metrics, 1e-12);
    }
}

static void
test_backend_thread_count_independent (void)
{
  const gint64 shape[] = { 384, 512 };
  const gint64 conv_shape[] = { 128, 64, 3, 3 };
  g_autofree float *w = make_low_rank_weight (384, 512);
  QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);
  QsLayerWeights conv = make_layer (w, QS_LAYER_CONV, 4, conv_shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("uint4"), 0, 0 },
    { dtype ("uint6"), 0, 0 },
    { dtype ("uint8"), 0, 0 },
    { dtype ("int8"), 0, 0 },
    { dtype ("uint4"), 0, 32 },
    { dtype ("uint6"), 0, 32 },
    { dtype ("uint8"), 0, 32 },
    { dtype ("int8"), 0, 32 },
  };
  QsFormatResult *one_thread;
  QsFormatResult *two_threads;
  QsFormatResult *three_threads;

  one_thread = evaluate (1, &layer, formats, G_N_ELEMENTS (formats), &options);
  two_threads = evaluate (2, &layer, formats, G_N_ELEMENTS (formats), &options);
  three_threads = evaluate (3, &layer, formats, G_N_ELEMENTS (formats), &options);
  assert_results_close (one_thread, two_threads, G_N_ELEMENTS (formats));
  assert_results_close (one_thread, three_threads, G_N_ELEMENTS (formats));
  free_results (one_thread, G_N_ELEMENTS (formats));
  free_results (two_threads, G_N_ELEMENTS (formats));
  free_results (three_threads, G_N_ELEMENTS (formats));

  one_thread = evaluate (1, &conv, formats, G_N_ELEMENTS (formats), &options);
  three_threads = evaluate (3, &conv, formats, G_N_ELEMENTS (formats), &options);
  assert_results_close (one_thread, three_threads, G_N_ELEMENTS (formats));
  free_results (one_thread, G_N_ELEMENTS (formats));
  free_results (three_threads, G_N_ELEMENTS (formats));
}

static void
test_backend_cancelled (void)
{
  const gint64 shape[] = { 64, 128 };
  g_autofree float *w = make_weight (64 * 128, 50);
  QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("uint4"), 0, 0 },
    { dtype ("uint4"), 0, 8 },
  };
  QsFormatResult results[G_N_ELEMENTS (formats)];
  g_autoptr(QsBackend) backend = qs_cpu_backend_new (2);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  memset (results, 0, sizeof results);
  g_cancellable_cancel (cancellable);

  g_assert_false (qs_backend_evaluate_layer (backend, &layer, formats, G_N_ELEMENTS (formats),
                                             &options, results, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    qs_format_result_clear (&results[i]);
}

typedef struct
{
  QsBackend      *backend;
  QsLayerWeights  layer;
  QsFormat        formats[2];
  QsEvalOptions   options;
  QsFormatResult  results[2];
  GCancellable   *cancellable;
  gboolean        ret;
  GError         *error;
} CancelJob;

static gpointer
cancel_job_thread (gpointer user_data)
{
  CancelJob *job = user_data;

  job->ret = qs_backend_evaluate_layer (job->backend, &job->layer, job->formats, 2,
                                        &job->options, job->results, job->cancellable,
                                        &job->error);
  return NULL;
}

static void
test_backend_cancelled_during_svd (void)
{
  const gint64 shape[] = { 512, 512 };
  g_autofree float *w = make_weight (512 * 512, 51);
  CancelJob job;
  GThread *thread;

  memset (&job, 0, sizeof job);
  job.backend = qs_cpu_backend_new (2);
  job.layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);
  job.formats[0] = (QsFormat) { dtype ("uint4"), 0, 0 };
  job.formats[1] = (QsFormat) { dtype ("uint4"), 0, 64 };
  /* So many power steps that only cancellation ends the SVD in time. */
  job.options = default_options ();
  job.options.svd_steps = 1000000;
  job.cancellable = g_cancellable_new ();

  thread = g_thread_new ("evaluate", cancel_job_thread, &job);
  g_usleep (300 * 1000);
  g_cancellable_cancel (job.cancellable);
  g_thread_join (thread);

  g_assert_false (job.ret);
  g_assert_error (job.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_clear_error (&job.error);
  qs_format_result_clear (&job.results[0]);
  qs_format_result_clear (&job.results[1]);
  g_object_unref (job.cancellable);
  g_object_unref (job.backend);
}

static void
test_backend_invalid_layer (void)
{
  const gint64 shape[] = { 16 };
  float w[16] = { 0 };
  QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 1, shape);
  QsEvalOptions options = default_options ();
  const QsFormat formats[] = {
    { dtype ("int8"), 0, 0 },
  };
  QsFormatResult results[1];
  g_autoptr(QsBackend) backend = qs_cpu_backend_new (1);
  g_autoptr(GError) error = NULL;

  memset (results, 0, sizeof results);
  g_assert_false (qs_backend_evaluate_layer (backend, &layer, formats, 1, &options,
                                             results, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_backend_properties (void)
{
  g_autoptr(QsBackend) backend = qs_cpu_backend_new (3);
  guint n_threads = 0;

  g_assert_true (QS_IS_CPU_BACKEND (backend));
  g_assert_cmpstr (qs_backend_get_name (backend), ==, "CPU");
  g_object_get (backend, "n-threads", &n_threads, NULL);
  g_assert_cmpuint (n_threads, ==, 3);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qs/engine/backend/linear-raw", test_backend_linear_raw);
  g_test_add_func ("/qs/engine/backend/conv2d-raw", test_backend_conv2d_raw);
  g_test_add_func ("/qs/engine/backend/conv-strided-groups", test_backend_conv_strided_groups);
  g_test_add_func ("/qs/engine/backend/conv3d", test_backend_conv3d);
  g_test_add_func ("/qs/engine/backend/linear-vs-conv-grouping", test_backend_linear_vs_conv_grouping);
  g_test_add_func ("/qs/engine/backend/tensor-wise", test_backend_tensor_wise);
  g_test_add_func ("/qs/engine/backend/embedding", test_backend_embedding);
  g_test_add_func ("/qs/engine/backend/five-dims", test_backend_five_dims);
  g_test_add_func ("/qs/engine/backend/zero-rows", test_backend_zero_rows);
  g_test_add_func ("/qs/engine/backend/tiny-rows", test_backend_tiny_rows);
  g_test_add_func ("/qs/engine/backend/odd-widths", test_backend_odd_widths);
  g_test_add_func ("/qs/engine/backend/pack-failure", test_backend_pack_failure);
  g_test_add_func ("/qs/engine/backend/svd-improves", test_backend_svd_improves);
  g_test_add_func ("/qs/engine/backend/svd-conv", test_backend_svd_conv);
  g_test_add_func ("/qs/engine/backend/svd-model-dtypes", test_backend_svd_model_dtypes);
  g_test_add_func ("/qs/engine/backend/thin-svd", test_backend_thin_svd);
  g_test_add_func ("/qs/engine/backend/svd-failure", test_backend_svd_failure);
  g_test_add_func ("/qs/engine/backend/thread-count-independent", test_backend_thread_count_independent);
  g_test_add_func ("/qs/engine/backend/cancelled", test_backend_cancelled);
  g_test_add_func ("/qs/engine/backend/cancelled-during-svd", test_backend_cancelled_during_svd);
  g_test_add_func ("/qs/engine/backend/invalid-layer", test_backend_invalid_layer);
  g_test_add_func ("/qs/engine/backend/properties", test_backend_properties);

  return g_test_run ();
}
