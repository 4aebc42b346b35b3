/* test-gpu-backend.c: the Vulkan backend against the CPU backend
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "qs-analysis.h"
#include "qs-float.h"
#include "qs-gpu-backend.h"
#include "qs-model.h"

#include "gpu-test-common.h"

/* Raw formats must reproduce the CPU's numbers: the reconstructions are
 * bit-identical and only the summation order differs. */
#define RAW_TOLERANCE 1e-5

/* SVD formats start from the same Gaussian matrix, but the GEMMs sum in
 * another order, so the factors differ in their last bits. Where the
 * requested rank reaches into the noise floor, that turns the weaker
 * singular vectors. Rounding the factors to bf16 or fp16 then moves the
 * NMSE by up to 2 % on the demo model's layers with lavapipe; another
 * seed moves it by up to 10 %. test-gpu-svd checks the factors
 * themselves tightly on well-conditioned matrices. */
#define SVD_TOLERANCE 5e-2

static QsGpuContext *context;
static QsBackend *gpu;
static QsBackend *cpu;

static QsLayerWeights
make_layer (const float  *data,
            QsLayerKind   kind,
            guint         ndim,
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

/* Fills a [rows, cols] weight with a rank-6 signal plus small noise, the
 * shape where the SVD branch matters. */
static float *
make_low_rank_weight (gint64 rows,
                      gint64 cols)
{
  g_autofree float *left = g_new (float, rows * 6);
  g_autofree float *right = g_new (float, 6 * cols);
  float *w = g_new (float, rows * cols);

  gpu_test_fill_weights (left, rows * 6, 30);
  gpu_test_fill_weights (right, 6 * cols, 31);
  gpu_test_fill_weights (w, rows * cols, 32);

  for (gint64 i = 0; i < rows; i++)
    for (gint64 j = 0; j < cols; j++)
      {
        double sum = 0.0;

        for (gint64 r = 0; r < 6; r++)
          sum += left[i * 6 + r] * right[r * cols + j];
        w[i * cols + j] = (float) (sum * 25.0) + 0.1f * w[i * cols + j];
      }

  return w;
}

static void
evaluate_with_steps (QsBackend            *backend,
                     const QsLayerWeights *layer,
                     const QsFormat       *formats,
                     guint                 n_formats,
                     QsModelDtype          model_dtype,
                     guint                 svd_steps,
                     QsFormatResult       *results)
{
  g_autoptr(GError) error = NULL;
  QsEvalOptions options = {
    .svd_steps = svd_steps,
    .svd_seed = 1234,
    .model_dtype = model_dtype,
  };

  g_assert_true (qs_backend_evaluate_layer (backend, layer, formats, n_formats, &options,
                                            results, NULL, &error));
  g_assert_no_error (error);
}

static void
evaluate (QsBackend            *backend,
          const QsLayerWeights *layer,
          const QsFormat       *formats,
          guint                 n_formats,
          QsModelDtype          model_dtype,
          QsFormatResult       *results)
{
  evaluate_with_steps (backend, layer, formats, n_formats, model_dtype, 4, results);
}

static void
assert_results_match (const QsFormat       *formats,
                      const QsFormatResult *expected,
                      const QsFormatResult *got,
                      guint                 n_formats,
                      double                raw_tolerance,
                      double                svd_tolerance)
{
  for (guint i = 0; i < n_formats; i++)
    {
      double tolerance = formats[i].svd_rank > 0 ? svd_tolerance : raw_tolerance;

      g_test_message ("%s group %" G_GINT64_FORMAT " rank %u: CPU nmse %.9g, GPU nmse %.9g",
                      formats[i].dtype->name, formats[i].requested_group_size,
                      formats[i].svd_rank, expected[i].metrics.nmse, got[i].metrics.nmse);

      g_assert_cmpint (got[i].failed, ==, expected[i].failed);
      g_assert_cmpstr (got[i].error_message, ==, expected[i].error_message);
      g_assert_cmpint (got[i].resolved_group_size, ==, expected[i].resolved_group_size);
      g_assert_cmpuint (got[i].svd_rank, ==, expected[i].svd_rank);
      g_assert_cmpuint (got[i].n_degenerate_groups, ==, expected[i].n_degenerate_groups);

      gpu_test_assert_relative (got[i].metrics.nmse, expected[i].metrics.nmse, tolerance);
      gpu_test_assert_relative (got[i].metrics.relative_l2, expected[i].metrics.relative_l2,
                                tolerance);
      if (isfinite (expected[i].metrics.sqnr_db))
        g_assert_cmpfloat_with_epsilon (got[i].metrics.sqnr_db, expected[i].metrics.sqnr_db,
                                        10.0 * tolerance);
      else
        g_assert_cmpfloat (got[i].metrics.sqnr_db, ==, expected[i].metrics.sqnr_db);
      g_assert_cmpfloat_with_epsilon (got[i].metrics.cosine_sim, expected[i].metrics.cosine_sim,
                                      tolerance);
      if (formats[i].svd_rank == 0)
        g_assert_cmpfloat (got[i].metrics.max_abs_err, ==, expected[i].metrics.max_abs_err);
      else
        gpu_test_assert_relative (got[i].metrics.max_abs_err, expected[i].metrics.max_abs_err,
                                  10 * tolerance);
    }
}

static void
clear_results (QsFormatResult *results,
               guint           n)
{
  for (guint i = 0; i < n; i++)
    qs_format_result_clear (&results[i]);
}

/* Runs @formats on both backends with @svd_steps power iterations and
 * compares. */
static void
compare_backends_with_steps (const QsLayerWeights *layer,
                             const QsFormat       *formats,
                             guint                 n_formats,
                             QsModelDtype          model_dtype,
                             guint                 svd_steps)
{
  g_autofree QsFormatResult *expected = g_new0 (QsFormatResult, n_formats);
  g_autofree QsFormatResult *got = g_new0 (QsFormatResult, n_formats);

  evaluate_with_steps (cpu, layer, formats, n_formats, model_dtype, svd_steps, expected);
  evaluate_with_steps (gpu, layer, formats, n_formats, model_dtype, svd_steps, got);
  assert_results_match (formats, expected, got, n_formats, RAW_TOLERANCE, SVD_TOLERANCE);

  clear_results (expected, n_formats);
  clear_results (got, n_formats);
}

static void
compare_backends (const QsLayerWeights *layer,
                  const QsFormat       *formats,
                  guint                 n_formats,
                  QsModelDtype          model_dtype)
{
  compare_backends_with_steps (layer, formats, n_formats, model_dtype, 4);
}

/* Asserts that two runs of the same backend gave the same bits. */
static void
assert_results_identical (const QsFormatResult *expected,
                          const QsFormatResult *got,
                          guint                 n_formats)
{
  for (guint i = 0; i < n_formats; i++)
    {
      g_assert_cmpint (got[i].failed, ==, expected[i].failed);
      g_assert_cmpint (got[i].resolved_group_size, ==, expected[i].resolved_group_size);
      g_assert_cmpuint (got[i].svd_rank, ==, expected[i].svd_rank);
      g_assert_cmpuint (got[i].n_degenerate_groups, ==, expected[i].n_degenerate_groups);
      g_assert_cmpmem (&got[i].metrics, sizeof got[i].metrics,
                       &expected[i].metrics, sizeof expected[i].metrics);
    }
}

/* How a test uploads a layer: the row block size, whether blocks stay on
 * the device, and whether device buffers are mapped (as on lavapipe and
 * integrated GPUs) or filled through staging copies (as on discrete
 * GPUs). */
typedef struct
{
  guint    block_rows;
  gboolean resident;
  gboolean mapped;
} UploadConfig;

static const UploadConfig upload_configs[] = {
  { 0, TRUE, TRUE },
  { 7, TRUE, TRUE },
  { 7, FALSE, TRUE },
  { 0, TRUE, FALSE },
  { 7, TRUE, FALSE },
  { 7, FALSE, FALSE },
};

static void
set_upload_config (const UploadConfig *config,
                   gint64              row_len)
{
  qs_gpu_backend_set_block_limit (QS_GPU_BACKEND (gpu),
                                  (guint64) config->block_rows * row_len * sizeof (float),
                                  config->resident);
  qs_gpu_context_set_device_buffers_mapped (context, config->mapped);
}

static void
reset_upload_config (void)
{
  qs_gpu_backend_set_block_limit (QS_GPU_BACKEND (gpu), 0, TRUE);
  qs_gpu_context_set_device_buffers_mapped (context, TRUE);
}

static const char *family_dtypes[] = {
  /* integers, with and without zero point, packed and wide */
  "int8", "uint8", "uint4", "int2", "uint1", "int7", "uint16", "int32", "uint32",
  /* native floats */
  "float8_e4m3fn", "float8_e5m2", "float16", "bfloat16", "float32",
  /* SDNQ custom floats, signed and unsigned, one with a single exponent bit */
  "float4_e2m1fn", "float6_e3m2fn", "ufp5", "float2_e1m0fn", "float8_e4m3fn_sdnq", "fp12",
};

/* Tensor-wise scales (-2) are included although the analysis settings
 * reject them, because the error kernel has a path for them that the CPU
 * backend can check. */
static const gint64 family_group_sizes[] = { 0, 32, 48, -1, -2 };

static GArray *
family_formats (void)
{
  GArray *formats = g_array_new (FALSE, FALSE, sizeof (QsFormat));

  for (guint d = 0; d < G_N_ELEMENTS (family_dtypes); d++)
    for (guint g = 0; g < G_N_ELEMENTS (family_group_sizes); g++)
      {
        QsFormat format = {
          .dtype = qs_dtype_lookup (family_dtypes[d]),
          .requested_group_size = family_group_sizes[g],
        };

        g_assert_nonnull (format.dtype);
        g_array_append_val (formats, format);
      }

  return formats;
}

/* Linear, Conv and Embedding layers with widths that no group size
 * divides, all dtype families, all raw. */
static void
test_families (void)
{
  static const struct
  {
    QsLayerKind kind;
    guint       ndim;
    gint64      shape[4];
  } layers[] = {
    { QS_LAYER_LINEAR, 2, { 96, 120 } },
    { QS_LAYER_CONV, 4, { 24, 16, 3, 3 } },
    { QS_LAYER_EMBEDDING, 2, { 64, 72 } },
    { QS_LAYER_CONV, 3, { 8, 40, 5 } },
  };
  g_autoptr(GArray) formats = family_formats ();

  for (guint l = 0; l < G_N_ELEMENTS (layers); l++)
    {
      QsLayerWeights layer;
      g_autofree float *w = NULL;
      gsize numel = 1;

      for (guint d = 0; d < layers[l].ndim; d++)
        numel *= layers[l].shape[d];
      w = g_new (float, numel);
      gpu_test_fill_weights (w, numel, 100 + l);
      /* A zero row and a constant row give degenerate groups. */
      memset (w, 0, numel / layers[l].shape[0] * sizeof (float));
      for (gsize j = 0; j < numel / layers[l].shape[0]; j++)
        w[numel / layers[l].shape[0] + j] = -0.25f;

      layer = make_layer (w, layers[l].kind, layers[l].ndim, layers[l].shape);
      compare_backends (&layer, (const QsFormat *) (gpointer) formats->data, formats->len,
                        QS_MODEL_DTYPE_BF16);
    }
}

/* uint9 to uint15 and formats SDNQ cannot pack go to the CPU backend and
 * come back unchanged. */
static void
test_cpu_delegated (void)
{
  const gint64 shape[] = { 5, 12 };
  QsFormat formats[] = {
    { qs_dtype_lookup ("uint12"), 0, 0 },
    { qs_dtype_lookup ("int3"), 0, 0 },     /* 60 values: not a multiple of 8 */
    { qs_dtype_lookup ("int8"), 0, 0 },
    { qs_dtype_lookup ("uint12"), 0, 4 },
  };
  g_autofree float *w = g_new (float, 60);
  QsLayerWeights layer;
  QsFormatResult expected[G_N_ELEMENTS (formats)] = { 0 };
  QsFormatResult got[G_N_ELEMENTS (formats)] = { 0 };

  gpu_test_fill_weights (w, 60, 5);
  layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);

  evaluate (cpu, &layer, formats, G_N_ELEMENTS (formats), QS_MODEL_DTYPE_BF16, expected);
  evaluate (gpu, &layer, formats, G_N_ELEMENTS (formats), QS_MODEL_DTYPE_BF16, got);

  g_assert_false (got[0].failed);
  g_assert_true (got[1].failed);
  g_assert_nonnull (strstr (got[1].error_message, "cannot pack 60 elements"));
  g_assert_false (got[3].failed);
  g_assert_cmpuint (got[3].svd_rank, ==, 4);
  /* The delegated formats are computed by the CPU backend itself. */
  g_assert_cmpfloat (got[0].metrics.nmse, ==, expected[0].metrics.nmse);
  g_assert_cmpfloat (got[3].metrics.nmse, ==, expected[3].metrics.nmse);
  assert_results_match (formats, expected, got, G_N_ELEMENTS (formats), RAW_TOLERANCE,
                        SVD_TOLERANCE);

  clear_results (expected, G_N_ELEMENTS (formats));
  clear_results (got, G_N_ELEMENTS (formats));
}

static GArray *
svd_formats (gboolean tensor_wise)
{
  const QsFormat list[] = {
    { qs_dtype_lookup ("uint4"), 0, 8 },
    { qs_dtype_lookup ("int8"), 0, 8 },
    { qs_dtype_lookup ("float4_e2m1fn"), 16, 8 },
    { qs_dtype_lookup ("uint4"), 0, 16 },
    { qs_dtype_lookup ("uint6"), -1, 0 },
  };
  const QsFormat tensor_wise_list[] = {
    { qs_dtype_lookup ("uint4"), -2, 8 },
    { qs_dtype_lookup ("int4"), -2, 0 },
  };
  GArray *formats = g_array_new (FALSE, FALSE, sizeof (QsFormat));

  g_array_append_vals (formats, list, G_N_ELEMENTS (list));
  if (tensor_wise)
    g_array_append_vals (formats, tensor_wise_list, G_N_ELEMENTS (tensor_wise_list));
  return formats;
}

/* SVD formats agree with the CPU's for the same seed, for Linear (the
 * sum rounded to the model dtype) and Conv (added in fp32) layers and
 * every model dtype. */
static void
test_svd_formats (void)
{
  const gint64 linear_shape[] = { 128, 160 };
  const gint64 conv_shape[] = { 48, 16, 3, 3 };
  const QsModelDtype model_dtypes[] = { QS_MODEL_DTYPE_BF16, QS_MODEL_DTYPE_F16, QS_MODEL_DTYPE_F32 };
  g_autofree float *linear = make_low_rank_weight (128, 160);
  g_autofree float *conv = make_low_rank_weight (48, 144);
  g_autoptr(GArray) formats = svd_formats (FALSE);

  for (guint m = 0; m < G_N_ELEMENTS (model_dtypes); m++)
    {
      QsLayerWeights layer = make_layer (linear, QS_LAYER_LINEAR, 2, linear_shape);

      compare_backends (&layer, (const QsFormat *) (gpointer) formats->data, formats->len,
                        model_dtypes[m]);

      layer = make_layer (conv, QS_LAYER_CONV, 4, conv_shape);
      compare_backends (&layer, (const QsFormat *) (gpointer) formats->data, formats->len,
                        model_dtypes[m]);
    }
}

/* A thin layer with fewer columns than the rank takes torch.svd_lowrank's
 * other branch, which runs on the CPU: the results are identical. */
static void
test_svd_thin (void)
{
  const gint64 shape[] = { 64, 12 };
  const QsFormat formats[] = {
    { qs_dtype_lookup ("uint4"), 0, 16 },
    { qs_dtype_lookup ("int8"), 0, 32 },
  };
  g_autofree float *w = make_low_rank_weight (64, 12);
  QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);

  compare_backends (&layer, formats, G_N_ELEMENTS (formats), QS_MODEL_DTYPE_BF16);
}

/* Row blocks that stay resident and row blocks that are streamed, mapped
 * or filled through staging buffers, give the results of a single block,
 * tensor-wise scales included. */
static void
test_row_blocks (void)
{
  const gint64 shape[] = { 96, 120 };
  g_autofree float *w = make_low_rank_weight (96, 120);
  g_autoptr(GArray) formats = svd_formats (TRUE);
  QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);
  guint n = formats->len;
  g_autofree QsFormatResult *single = g_new0 (QsFormatResult, n);
  g_autofree QsFormatResult *blocked = g_new0 (QsFormatResult, n);

  evaluate (gpu, &layer, (const QsFormat *) (gpointer) formats->data, n, QS_MODEL_DTYPE_BF16,
            single);

  /* The first configuration is the single block. The others have 7 rows
   * of 120 floats per block: 14 blocks, the last one short. */
  for (guint c = 1; c < G_N_ELEMENTS (upload_configs); c++)
    {
      set_upload_config (&upload_configs[c], 120);
      evaluate (gpu, &layer, (const QsFormat *) (gpointer) formats->data, n, QS_MODEL_DTYPE_BF16,
                blocked);
      reset_upload_config ();

      assert_results_match ((const QsFormat *) (gpointer) formats->data, single, blocked, n,
                            1e-6, SVD_TOLERANCE);
      clear_results (blocked, n);
    }

  clear_results (single, n);
}

/* NaN and Inf values cannot reach a shader, so such a layer runs on the
 * CPU backend and gives its numbers. */
static void
test_non_finite (void)
{
  const gint64 shape[] = { 16, 32 };
  const QsFormat formats[] = {
    { qs_dtype_lookup ("int8"), 0, 0 },
    { qs_dtype_lookup ("uint4"), 16, 0 },
  };
  g_autofree float *w = g_new (float, 16 * 32);
  QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);
  QsFormatResult expected[G_N_ELEMENTS (formats)] = { 0 };
  QsFormatResult got[G_N_ELEMENTS (formats)] = { 0 };

  gpu_test_fill_weights (w, 16 * 32, 3);
  w[40] = NAN;
  w[300] = INFINITY;

  evaluate (cpu, &layer, formats, G_N_ELEMENTS (formats), QS_MODEL_DTYPE_BF16, expected);
  evaluate (gpu, &layer, formats, G_N_ELEMENTS (formats), QS_MODEL_DTYPE_BF16, got);

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_assert_cmpint (got[i].failed, ==, expected[i].failed);
      g_assert_cmpmem (&got[i].metrics, sizeof got[i].metrics,
                       &expected[i].metrics, sizeof expected[i].metrics);
    }

  clear_results (expected, G_N_ELEMENTS (formats));
  clear_results (got, G_N_ELEMENTS (formats));
}

static void
test_cancelled (void)
{
  const gint64 shape[] = { 16, 32 };
  const QsFormat formats[] = { { qs_dtype_lookup ("int8"), 0, 8 } };
  g_autofree float *w = g_new (float, 16 * 32);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);
  QsEvalOptions options = { .svd_steps = 2, .svd_seed = 1, .model_dtype = QS_MODEL_DTYPE_BF16 };
  QsFormatResult results[1] = { 0 };

  gpu_test_fill_weights (w, 16 * 32, 3);
  g_cancellable_cancel (cancellable);

  g_assert_false (qs_backend_evaluate_layer (gpu, &layer, formats, 1, &options, results,
                                             cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_invalid_layer (void)
{
  const gint64 shape[] = { 16, 0 };
  const QsFormat formats[] = { { qs_dtype_lookup ("int8"), 0, 0 } };
  float w[1] = { 0 };
  g_autoptr(GError) error = NULL;
  QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);
  QsEvalOptions options = { .svd_steps = 2, .svd_seed = 1, .model_dtype = QS_MODEL_DTYPE_BF16 };
  QsFormatResult results[1] = { 0 };

  g_assert_false (qs_backend_evaluate_layer (gpu, &layer, formats, 1, &options, results,
                                             NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "empty dimension"));
}

/* Rounds @values to @dtype in place and returns them encoded as the file
 * would store them, starting @offset bytes into the returned allocation
 * (free it with g_free (*allocation)). */
static const guint8 *
encode_stored (float          *values,
               gsize           n,
               QsTensorDtype   dtype,
               gsize           offset,
               guint8        **allocation)
{
  guint8 *bytes = g_malloc (offset + 2 * n);

  for (gsize i = 0; i < n; i++)
    {
      guint16 bits = dtype == QS_TENSOR_BF16 ? qs_f32_to_bf16 (values[i])
                                             : qs_f32_to_f16 (values[i]);

      values[i] = dtype == QS_TENSOR_BF16 ? qs_bf16_to_f32 (bits) : qs_f16_to_f32 (bits);
      qs_store_u16_le (bytes + offset + 2 * i, bits);
    }

  *allocation = bytes;
  return bytes + offset;
}

/* BF16 and F16 layers uploaded as their stored bytes give the fp32
 * upload's results bit for bit, also from an unaligned pointer and with
 * blocks that start at odd element offsets. Widening is exact, so the
 * device holds the same values and every kernel runs unchanged. */
static void
test_stored_bytes (void)
{
  static const struct
  {
    QsLayerKind kind;
    guint       ndim;
    gint64      shape[4];
  } layers[] = {
    { QS_LAYER_LINEAR, 2, { 61, 75 } },
    { QS_LAYER_CONV, 4, { 25, 15, 3, 3 } },
  };
  const QsTensorDtype dtypes[] = { QS_TENSOR_BF16, QS_TENSOR_F16 };
  const QsFormat formats[] = {
    { qs_dtype_lookup ("uint4"), 0, 0 },
    { qs_dtype_lookup ("int8"), -1, 0 },
    { qs_dtype_lookup ("float8_e4m3fn"), 0, 0 },
    { qs_dtype_lookup ("float4_e2m1fn"), -1, 0 },
    { qs_dtype_lookup ("uint4"), -2, 0 },
    { qs_dtype_lookup ("uint4"), 0, 8 },
  };
  const guint n = G_N_ELEMENTS (formats);

  for (guint l = 0; l < G_N_ELEMENTS (layers); l++)
    for (guint d = 0; d < G_N_ELEMENTS (dtypes); d++)
      {
        gsize numel = 1;
        gint64 row_len;
        g_autofree float *w = NULL;
        g_autofree guint8 *allocation = NULL;
        g_autofree guint8 *zeros = NULL;
        QsLayerWeights layer;
        QsLayerWeights stored_layer;
        QsFormatResult probe[1] = { 0 };

        for (guint i = 0; i < layers[l].ndim; i++)
          numel *= layers[l].shape[i];
        row_len = (gint64) numel / layers[l].shape[0];
        /* Blocks of 7 rows of an odd length make every other block start
         * at an odd element, in the middle of a 32-bit word of the stored
         * 16-bit values. */
        g_assert_cmpuint (numel % 2, ==, 1);

        w = g_new (float, numel);
        gpu_test_fill_weights (w, numel, 40 + l);
        /* Values below 2^-14 are F16 subnormals, which the decoder must
         * widen exactly rather than flush. */
        for (gsize i = 5; i < numel; i += 101)
          w[i] = (float) (i % 7) * 1e-7f;

        layer = make_layer (w, layers[l].kind, layers[l].ndim, layers[l].shape);
        stored_layer = layer;
        stored_layer.stored_data = encode_stored (w, numel, dtypes[d], 1, &allocation);
        stored_layer.stored_dtype = dtypes[d];
        g_assert_cmpuint ((guintptr) stored_layer.stored_data % 2, ==, 1);

        for (guint c = 0; c < G_N_ELEMENTS (upload_configs); c++)
          {
            g_autofree QsFormatResult *expected = g_new0 (QsFormatResult, n);
            g_autofree QsFormatResult *got = g_new0 (QsFormatResult, n);

            g_test_message ("%s layer %u, %u rows per block, %s, %s",
                            qs_tensor_dtype_to_string (dtypes[d]), l,
                            upload_configs[c].block_rows,
                            upload_configs[c].resident ? "resident" : "streamed",
                            upload_configs[c].mapped ? "mapped" : "staged");
            set_upload_config (&upload_configs[c], row_len);
            evaluate (gpu, &layer, formats, n, QS_MODEL_DTYPE_BF16, expected);
            evaluate (gpu, &stored_layer, formats, n, QS_MODEL_DTYPE_BF16, got);
            reset_upload_config ();

            assert_results_identical (expected, got, n);
            clear_results (expected, n);
            clear_results (got, n);
          }

        /* Stored bytes that disagree with the fp32 data show which one the
         * device read: all zeros reconstruct as zeros, an NMSE near 1. */
        zeros = g_malloc0 (2 * numel);
        stored_layer.stored_data = zeros;
        evaluate (gpu, &stored_layer, formats, 1, QS_MODEL_DTYPE_BF16, probe);
        g_assert_cmpfloat (probe[0].metrics.nmse, >, 0.5);
        clear_results (probe, 1);
      }
}

/* The CPU backend ignores the stored bytes, and the Vulkan backend uses
 * only BF16 and F16 ones: other dtypes fall back to the fp32 data. */
static void
test_stored_ignored (void)
{
  const gint64 shape[] = { 16, 32 };
  const QsTensorDtype dtypes[] = { QS_TENSOR_F32, QS_TENSOR_F8_E4M3 };
  const QsFormat formats[] = {
    { qs_dtype_lookup ("int8"), 0, 0 },
    { qs_dtype_lookup ("uint4"), 16, 0 },
  };
  g_autofree float *w = g_new (float, 16 * 32);
  g_autofree guint8 *zeros = g_malloc0 (16 * 32 * sizeof (float));
  QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);
  QsLayerWeights stored_layer = layer;
  QsFormatResult expected[G_N_ELEMENTS (formats)] = { 0 };
  QsFormatResult got[G_N_ELEMENTS (formats)] = { 0 };

  gpu_test_fill_weights (w, 16 * 32, 9);
  evaluate (gpu, &layer, formats, G_N_ELEMENTS (formats), QS_MODEL_DTYPE_BF16, expected);

  stored_layer.stored_data = zeros;
  for (guint d = 0; d < G_N_ELEMENTS (dtypes); d++)
    {
      stored_layer.stored_dtype = dtypes[d];
      evaluate (gpu, &stored_layer, formats, G_N_ELEMENTS (formats), QS_MODEL_DTYPE_BF16, got);
      assert_results_identical (expected, got, G_N_ELEMENTS (formats));
      clear_results (got, G_N_ELEMENTS (formats));
    }

  stored_layer.stored_dtype = QS_TENSOR_BF16;
  evaluate (cpu, &layer, formats, G_N_ELEMENTS (formats), QS_MODEL_DTYPE_BF16, got);
  clear_results (expected, G_N_ELEMENTS (formats));
  evaluate (cpu, &stored_layer, formats, G_N_ELEMENTS (formats), QS_MODEL_DTYPE_BF16, expected);
  assert_results_identical (got, expected, G_N_ELEMENTS (formats));

  clear_results (expected, G_N_ELEMENTS (formats));
  clear_results (got, G_N_ELEMENTS (formats));
}

/* The demo model's real layers (a small Llama and a convolutional VAE
 * decoder) with the analysis script's default grid, and the SVD branch on
 * the first layers of each component. */
static void
test_demo_model (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  QsModel *model;
  const QsFormat raw_formats[] = {
    { qs_dtype_lookup ("uint4"), 0, 0 },
    { qs_dtype_lookup ("uint6"), 0, 0 },
    { qs_dtype_lookup ("uint8"), 0, 0 },
    { qs_dtype_lookup ("int8"), 0, 0 },
  };
  const QsFormat svd_formats_list[] = {
    { qs_dtype_lookup ("uint4"), 0, 32 },
    { qs_dtype_lookup ("int8"), 0, 32 },
  };
  guint n_layers = 0;

  if (g_getenv ("QS_TEST_DATA") == NULL)
    {
      g_test_skip ("QS_TEST_DATA is not set");
      return;
    }
  path = g_build_filename (g_getenv ("QS_TEST_DATA"), "demo", NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("The demo model is missing");
      return;
    }

  model = qs_model_open (path, NULL, &error);
  g_assert_no_error (error);

  for (guint c = 0; c < qs_model_get_n_components (model); c++)
    {
      const QsComponent *component = qs_model_get_component (model, c);
      guint n_svd = 0;

      for (guint t = 0; t < component->tensors->len; t++)
        {
          const QsTensorInfo *tensor = g_ptr_array_index (component->tensors, t);
          g_autofree float *data = NULL;
          QsLayerWeights layer;
          QsLayerKind kind;

          if (qs_classify_tensor (tensor, &kind) != QS_TENSOR_ROLE_LAYER)
            continue;

          data = g_new (float, tensor->numel);
          g_assert_true (qs_tensor_decode_rows (tensor, 0, tensor->shape[0], data, &error));
          g_assert_no_error (error);

          layer = make_layer (data, kind, tensor->ndim, tensor->shape);
          layer.name = tensor->name;
          compare_backends (&layer, raw_formats, G_N_ELEMENTS (raw_formats), QS_MODEL_DTYPE_BF16);

          /* The SVD branch on a few layers of each component keeps the
           * test short on lavapipe. */
          if (n_svd < 3 && tensor->numel >= 4096)
            {
              compare_backends (&layer, svd_formats_list, G_N_ELEMENTS (svd_formats_list),
                                QS_MODEL_DTYPE_BF16);
              n_svd++;
            }
          n_layers++;
        }
    }

  g_test_message ("%u demo layers compared", n_layers);
  g_assert_cmpuint (n_layers, >, 50);
  qs_model_unref (model);
}

static gboolean
is_model_folder (const char *dir)
{
  static const char * const markers[] = {
    "model_index.json", "model.safetensors", "diffusion_pytorch_model.safetensors",
    "model.safetensors.index.json", "diffusion_pytorch_model.safetensors.index.json",
  };

  for (guint i = 0; i < G_N_ELEMENTS (markers); i++)
    {
      g_autofree char *path = g_build_filename (dir, markers[i], NULL);

      if (g_file_test (path, G_FILE_TEST_EXISTS))
        return TRUE;
    }

  return FALSE;
}

/* Orders the elements of a GPtrArray of strings, which
 * g_ptr_array_sort() passes by address. */
static gint
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Adds every safetensors model under @dir to @models, in name order. A
 * folder that qs_model_open() reads as a whole (a pipeline, a
 * transformers or diffusers folder, a sharded index) is one model. Any
 * other `.safetensors` file is a model of its own. */
static void
find_models (const char *dir,
             GPtrArray  *models)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) handle = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (is_model_folder (dir))
    {
      g_ptr_array_add (models, g_strdup (dir));
      return;
    }

  handle = g_dir_open (dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (handle)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, g_ptr_array_index (names, i), NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        find_models (path, models);
      else if (g_str_has_suffix (path, ".safetensors"))
        g_ptr_array_add (models, g_steal_pointer (&path));
    }
}

/* Compares both backends on every layer of the model at @path and
 * returns the layer count. BF16 and F16 layers carry their stored bytes,
 * which the Vulkan backend uploads in place of the fp32 values. */
static guint
compare_model_layers (const char     *path,
                      const QsFormat *formats,
                      guint           n_formats)
{
  g_autoptr(GError) error = NULL;
  QsModel *model;
  guint n_layers = 0;

  model = qs_model_open (path, NULL, &error);
  g_assert_no_error (error);

  for (guint c = 0; c < qs_model_get_n_components (model); c++)
    {
      const QsComponent *component = qs_model_get_component (model, c);

      for (guint t = 0; t < component->tensors->len; t++)
        {
          const QsTensorInfo *tensor = g_ptr_array_index (component->tensors, t);
          g_autofree float *data = NULL;
          QsLayerWeights layer;
          QsLayerKind kind;

          if (qs_classify_tensor (tensor, &kind) != QS_TENSOR_ROLE_LAYER)
            continue;

          data = g_new (float, tensor->numel);
          g_assert_true (qs_tensor_decode_rows (tensor, 0, tensor->shape[0], data, &error));
          g_assert_no_error (error);

          layer = make_layer (data, kind, tensor->ndim, tensor->shape);
          layer.name = tensor->name;
          if (tensor->dtype == QS_TENSOR_BF16 || tensor->dtype == QS_TENSOR_F16)
            {
              layer.stored_data = qs_safetensors_file_get_data (tensor->file, tensor);
              layer.stored_dtype = tensor->dtype;
            }

          compare_backends_with_steps (&layer, formats, n_formats, QS_MODEL_DTYPE_BF16, 2);
          n_layers++;
        }
    }

  qs_model_unref (model);
  return n_layers;
}

/* Every layer of every real checkpoint in the test data and of the demo
 * model: the raw formats match the CPU to RAW_TOLERANCE, and a rank-8 SVD
 * with two power steps to SVD_TOLERANCE. */
static void
test_real_models (void)
{
  const char *extra_data = g_getenv ("QS_TEST_EXTRA_DATA");
  const char *data = g_getenv ("QS_TEST_DATA");
  const QsFormat formats[] = {
    { qs_dtype_lookup ("uint4"), 0, 0 },
    { qs_dtype_lookup ("uint4"), -1, 0 },
    { qs_dtype_lookup ("int8"), 0, 0 },
    { qs_dtype_lookup ("int8"), -1, 0 },
    { qs_dtype_lookup ("float8_e4m3fn"), 0, 0 },
    { qs_dtype_lookup ("float8_e4m3fn"), -1, 0 },
    { qs_dtype_lookup ("float4_e2m1fn"), 0, 0 },
    { qs_dtype_lookup ("float4_e2m1fn"), -1, 0 },
    { qs_dtype_lookup ("uint4"), 0, 8 },
  };
  g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func (g_free);
  guint n_layers = 0;

  if (extra_data == NULL || data == NULL)
    {
      g_test_skip ("QS_TEST_DATA or QS_TEST_EXTRA_DATA is not set");
      return;
    }

  find_models (extra_data, models);
  g_ptr_array_add (models, g_build_filename (data, "demo", NULL));
  /* The seven checkpoints of tests/data/models and the demo model. */
  g_assert_cmpuint (models->len, >=, 8);

  for (guint m = 0; m < models->len; m++)
    {
      const char *path = g_ptr_array_index (models, m);
      guint n = compare_model_layers (path, formats, G_N_ELEMENTS (formats));

      g_test_message ("%s: %u layers compared", path, n);
      g_assert_cmpuint (n, >, 0);
      n_layers += n;
    }

  g_test_message ("%u layers of %u models compared", n_layers, models->len);
}

/* A backend that checks the stored bytes the analysis job passes and
 * forwards every layer to another backend. */
#define TEST_TYPE_STORED_SPY (test_stored_spy_get_type ())
G_DECLARE_FINAL_TYPE (TestStoredSpy, test_stored_spy, TEST, STORED_SPY, GObject)

struct _TestStoredSpy
{
  GObject    parent_instance;

  QsBackend *inner;
  guint      n_layers;
  guint      n_stored;
};

static void test_stored_spy_iface_init (QsBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestStoredSpy, test_stored_spy, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (QS_TYPE_BACKEND,
                                                      test_stored_spy_iface_init))

static float
widen_stored (const guint8  *stored,
              QsTensorDtype  dtype,
              guint64        index)
{
  switch (dtype)
    {
    case QS_TENSOR_BF16:
      return qs_bf16_to_f32 (qs_load_u16_le (stored + 2 * index));
    case QS_TENSOR_F16:
      return qs_f16_to_f32 (qs_load_u16_le (stored + 2 * index));
    case QS_TENSOR_F32:
      return qs_load_f32_le (stored + 4 * index);
    default:
      g_assert_not_reached ();
    }
}

static gboolean
test_stored_spy_evaluate_layer (QsBackend            *backend,
                                const QsLayerWeights *layer,
                                const QsFormat       *formats,
                                guint                 n_formats,
                                const QsEvalOptions  *options,
                                QsFormatResult       *results,
                                GCancellable         *cancellable,
                                GError              **error)
{
  TestStoredSpy *self = TEST_STORED_SPY (backend);

  self->n_layers++;
  if (layer->stored_data != NULL)
    {
      self->n_stored++;
      for (guint64 i = 0; i < layer->numel; i++)
        g_assert_cmpfloat (widen_stored (layer->stored_data, layer->stored_dtype, i), ==,
                           layer->data[i]);
    }

  return qs_backend_evaluate_layer (self->inner, layer, formats, n_formats, options, results,
                                    cancellable, error);
}

static const char *
test_stored_spy_get_name (QsBackend *backend)
{
  return "stored-bytes spy";
}

static void
test_stored_spy_iface_init (QsBackendInterface *iface)
{
  iface->get_name = test_stored_spy_get_name;
  iface->evaluate_layer = test_stored_spy_evaluate_layer;
}

static void
test_stored_spy_finalize (GObject *object)
{
  g_clear_object (&TEST_STORED_SPY (object)->inner);

  G_OBJECT_CLASS (test_stored_spy_parent_class)->finalize (object);
}

static void
test_stored_spy_class_init (TestStoredSpyClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_stored_spy_finalize;
}

static void
test_stored_spy_init (TestStoredSpy *self)
{
}

static void
job_done_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  QsAnalysisResult **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = qs_analysis_job_run_finish (QS_ANALYSIS_JOB (object), result, &error);
  g_assert_no_error (error);
}

static QsAnalysisResult *
run_analysis (QsModel                  *model,
              const QsAnalysisSettings *settings,
              QsBackend                *backend)
{
  g_autoptr(QsAnalysisJob) job = qs_analysis_job_new (model, settings, backend);
  QsAnalysisResult *result = NULL;

  qs_analysis_job_run_async (job, NULL, job_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return result;
}

/* The analysis job hands the stored BF16, F16 and F32 bytes to the
 * backend when the weights are measured as stored, and none after a
 * load-dtype rounding. Through the Vulkan backend the results match the
 * CPU backend's. */
static void
test_analysis_job_stored (void)
{
  const char * const dtypes[] = { "uint4", "int8", NULL };
  const char *extra_data = g_getenv ("QS_TEST_EXTRA_DATA");
  const char *models[] = { "stories260k/hf-bf16", "tiny-diffusers-pipeline" };

  if (extra_data == NULL)
    {
      g_test_skip ("QS_TEST_EXTRA_DATA is not set");
      return;
    }

  for (guint m = 0; m < G_N_ELEMENTS (models); m++)
    {
      g_autofree char *path = g_build_filename (extra_data, models[m], NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(QsModel) model = qs_model_open (path, NULL, &error);
      g_autoptr(QsAnalysisSettings) settings = qs_analysis_settings_new ();
      g_autoptr(TestStoredSpy) spy = g_object_new (TEST_TYPE_STORED_SPY, NULL);
      g_autoptr(QsAnalysisResult) expected = NULL;
      g_autoptr(QsAnalysisResult) got = NULL;
      g_autoptr(QsAnalysisResult) rounded = NULL;
      guint n_layers;

      g_assert_no_error (error);
      qs_analysis_settings_set_dtypes (settings, dtypes);
      settings->use_svd = FALSE;
      settings->n_threads = 2;
      spy->inner = g_object_ref (gpu);

      expected = run_analysis (model, settings, cpu);
      got = run_analysis (model, settings, QS_BACKEND (spy));

      n_layers = qs_analysis_result_get_n_layers (got);
      g_test_message ("%s: %u layers, %u with stored bytes", models[m], n_layers, spy->n_stored);
      g_assert_cmpuint (n_layers, >, 0);
      g_assert_cmpuint (n_layers, ==, qs_analysis_result_get_n_layers (expected));
      g_assert_cmpuint (spy->n_layers, ==, n_layers);
      g_assert_cmpuint (spy->n_stored, ==, n_layers);

      for (guint l = 0; l < n_layers; l++)
        {
          QsLayerResult *cpu_layer = qs_analysis_result_get_layer (expected, l);
          QsLayerResult *gpu_layer = qs_analysis_result_get_layer (got, l);

          g_assert_cmpstr (gpu_layer->name, ==, cpu_layer->name);
          g_assert_cmpuint (gpu_layer->n_formats, ==, cpu_layer->n_formats);
          for (guint f = 0; f < gpu_layer->n_formats; f++)
            gpu_test_assert_relative (gpu_layer->formats[f].metrics.nmse,
                                      cpu_layer->formats[f].metrics.nmse, RAW_TOLERANCE);
        }

      /* Rounded weights no longer equal the stored values. */
      settings->load_dtype = QS_LOAD_DTYPE_BF16;
      spy->n_layers = 0;
      spy->n_stored = 0;
      rounded = run_analysis (model, settings, QS_BACKEND (spy));
      g_assert_cmpuint (spy->n_layers, ==, n_layers);
      g_assert_cmpuint (spy->n_stored, ==, 0);
    }
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  context = gpu_test_open_context (argc, argv);
  gpu = qs_gpu_backend_new (context, 2);
  cpu = qs_cpu_backend_new (2);

  g_test_add_func ("/qs/gpu/backend/families", test_families);
  g_test_add_func ("/qs/gpu/backend/cpu-delegated", test_cpu_delegated);
  g_test_add_func ("/qs/gpu/backend/svd-formats", test_svd_formats);
  g_test_add_func ("/qs/gpu/backend/svd-thin", test_svd_thin);
  g_test_add_func ("/qs/gpu/backend/row-blocks", test_row_blocks);
  g_test_add_func ("/qs/gpu/backend/non-finite", test_non_finite);
  g_test_add_func ("/qs/gpu/backend/cancelled", test_cancelled);
  g_test_add_func ("/qs/gpu/backend/invalid-layer", test_invalid_layer);
  g_test_add_func ("/qs/gpu/backend/stored-bytes", test_stored_bytes);
  g_test_add_func ("/qs/gpu/backend/stored-ignored", test_stored_ignored);
  g_test_add_func ("/qs/gpu/backend/demo-model", test_demo_model);
  g_test_add_func ("/qs/gpu/backend/real-models", test_real_models);
  g_test_add_func ("/qs/gpu/backend/analysis-job-stored", test_analysis_job_stored);

  ret = g_test_run ();

  g_object_unref (gpu);
  g_object_unref (cpu);
  qs_gpu_context_unref (context);

  return ret;
}
