/* test-gpu-backend.c: the Vulkan backend against the CPU backend
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

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
evaluate (QsBackend            *backend,
          const QsLayerWeights *layer,
          const QsFormat       *formats,
          guint                 n_formats,
          QsModelDtype          model_dtype,
          QsFormatResult       *results)
{
  g_autoptr(GError) error = NULL;
  QsEvalOptions options = {
    .svd_steps = 4,
    .svd_seed = 1234,
    .model_dtype = model_dtype,
  };

  g_assert_true (qs_backend_evaluate_layer (backend, layer, formats, n_formats, &options,
                                            results, NULL, &error));
  g_assert_no_error (error);
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

/* Runs @formats on both backends and compares. */
static void
compare_backends (const QsLayerWeights *layer,
                  const QsFormat       *formats,
                  guint                 n_formats,
                  QsModelDtype          model_dtype)
{
  g_autofree QsFormatResult *expected = g_new0 (QsFormatResult, n_formats);
  g_autofree QsFormatResult *got = g_new0 (QsFormatResult, n_formats);

  evaluate (cpu, layer, formats, n_formats, model_dtype, expected);
  evaluate (gpu, layer, formats, n_formats, model_dtype, got);
  assert_results_match (formats, expected, got, n_formats, RAW_TOLERANCE, SVD_TOLERANCE);

  clear_results (expected, n_formats);
  clear_results (got, n_formats);
}

static const char *family_dtypes[] = {
  /* integers, with and without zero point, packed and wide */
  "int8", "uint8", "uint4", "int2", "uint1", "int7", "uint16", "int32", "uint32",
  /* native floats */
  "float8_e4m3fn", "float8_e5m2", "float16", "bfloat16", "float32",
  /* SDNQ custom floats, signed and unsigned, one with a single exponent bit */
  "float4_e2m1fn", "float6_e3m2fn", "ufp5", "float2_e1m0fn", "float8_e4m3fn_sdnq", "fp12",
};

/* Tensor-wise scales (-2) are left out: the analysis settings reject them,
 * and test-gpu-quantize checks them against the CPU quantizer. */
static const gint64 family_group_sizes[] = { 0, 32, 48, -1 };

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

/* Row blocks that stay resident and row blocks that are streamed give
 * the results of a single block, tensor-wise scales included. */
static void
test_row_blocks (void)
{
  const gint64 shape[] = { 96, 120 };
  const gboolean resident[] = { TRUE, FALSE };
  g_autofree float *w = make_low_rank_weight (96, 120);
  g_autoptr(GArray) formats = svd_formats (TRUE);
  QsLayerWeights layer = make_layer (w, QS_LAYER_LINEAR, 2, shape);
  guint n = formats->len;
  g_autofree QsFormatResult *single = g_new0 (QsFormatResult, n);
  g_autofree QsFormatResult *blocked = g_new0 (QsFormatResult, n);

  evaluate (gpu, &layer, (const QsFormat *) (gpointer) formats->data, n, QS_MODEL_DTYPE_BF16,
            single);

  for (guint r = 0; r < G_N_ELEMENTS (resident); r++)
    {
      /* 7 rows of 120 floats per block: 14 blocks, the last one short. */
      qs_gpu_backend_set_block_limit (QS_GPU_BACKEND (gpu), 7 * 120 * sizeof (float), resident[r]);
      evaluate (gpu, &layer, (const QsFormat *) (gpointer) formats->data, n, QS_MODEL_DTYPE_BF16,
                blocked);
      qs_gpu_backend_set_block_limit (QS_GPU_BACKEND (gpu), 0, TRUE);

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
  g_test_add_func ("/qs/gpu/backend/demo-model", test_demo_model);

  ret = g_test_run ();

  g_object_unref (gpu);
  g_object_unref (cpu);
  qs_gpu_context_unref (context);

  return ret;
}
