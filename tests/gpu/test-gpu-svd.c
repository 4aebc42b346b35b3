/* test-gpu-svd.c: the randomized SVD with device GEMMs against the CPU's
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <cblas.h>

#include "qs-float.h"
#include "qs-gpu-backend.h"
#include "qs-gpu-svd.h"

#include "gpu-test-common.h"

static QsGpuContext *context;

/* A [rows, cols] matrix of rank @signal_rank plus noise of relative size
 * @noise. */
static float *
make_matrix (gint64 rows,
             gint64 cols,
             gint64 signal_rank,
             float  noise)
{
  g_autofree float *left = g_new (float, rows * signal_rank);
  g_autofree float *right = g_new (float, signal_rank * cols);
  float *a = g_new (float, rows * cols);

  gpu_test_fill_weights (left, rows * signal_rank, 11);
  gpu_test_fill_weights (right, signal_rank * cols, 12);
  gpu_test_fill_weights (a, rows * cols, 13);

  for (gint64 i = 0; i < rows; i++)
    for (gint64 j = 0; j < cols; j++)
      {
        double sum = 0.0;

        /* Decaying singular values separate the directions. */
        for (gint64 r = 0; r < signal_rank; r++)
          sum += left[i * signal_rank + r] * right[r * cols + j] * (double) (signal_rank - r);
        a[i * cols + j] = (float) (sum * 25.0) + noise * a[i * cols + j];
      }

  return a;
}

/* Returns ‖P₁ − P₂‖ / ‖P₁‖ for the products up·down of two results. */
static double
product_distance (const QsLowRank *a,
                  const QsLowRank *b)
{
  double diff = 0.0;
  double norm = 0.0;

  g_assert_cmpint (a->rows, ==, b->rows);
  g_assert_cmpint (a->cols, ==, b->cols);
  g_assert_cmpuint (a->rank, ==, b->rank);

  for (gint64 i = 0; i < a->rows; i++)
    for (gint64 j = 0; j < a->cols; j++)
      {
        double pa = 0.0;
        double pb = 0.0;

        for (guint r = 0; r < a->rank; r++)
          {
            pa += (double) a->up[i * a->rank + r] * a->down[r * a->cols + j];
            pb += (double) b->up[i * b->rank + r] * b->down[r * b->cols + j];
          }
        diff += (pa - pb) * (pa - pb);
        norm += pa * pa;
      }

  return sqrt (diff / norm);
}

/* The singular values are the norms of up's columns, since down has
 * orthonormal rows. */
static double
singular_value (const QsLowRank *lowrank,
                guint            index)
{
  double sum = 0.0;

  for (gint64 i = 0; i < lowrank->rows; i++)
    sum += (double) lowrank->up[i * lowrank->rank + index] * lowrank->up[i * lowrank->rank + index];

  return sqrt (sum);
}

static QsLowRank *
compute_on_gpu (const float *a,
                gint64       rows,
                gint64       cols,
                guint        rank,
                guint        steps,
                guint64      seed,
                gint64       rows_per_block,
                gboolean     resident)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QsGpuRowBlocks) blocks = NULL;
  QsLowRank *lowrank;

  blocks = qs_gpu_row_blocks_new (context, a, rows, cols, rows_per_block, resident, &error);
  g_assert_no_error (error);
  lowrank = qs_gpu_lowrank_compute (blocks, a, rows, cols, rank, steps, seed, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lowrank);

  return lowrank;
}

static QsLowRank *
compute_on_cpu (const float *a,
                gint64       rows,
                gint64       cols,
                guint        rank,
                guint        steps,
                guint64      seed)
{
  g_autoptr(GError) error = NULL;
  QsLowRank *lowrank = qs_lowrank_compute (a, rows, cols, rank, steps, seed, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (lowrank);
  return lowrank;
}

/* A matrix whose rank equals the requested rank: both backends find the
 * same subspace and the same singular values. */
static void
test_matches_cpu (void)
{
  g_autofree float *a = make_matrix (200, 150, 6, 0.01f);
  g_autoptr(QsLowRank) expected = compute_on_cpu (a, 200, 150, 6, 4, 99);
  g_autoptr(QsLowRank) got = compute_on_gpu (a, 200, 150, 6, 4, 99, 200, TRUE);

  g_assert_cmpuint (got->rank, ==, 6);
  g_assert_cmpfloat (product_distance (expected, got), <, 1e-5);
  for (guint r = 0; r < 6; r++)
    gpu_test_assert_relative (singular_value (got, r), singular_value (expected, r), 1e-5);
}

/* Without power steps the result depends on the start matrix alone, so
 * equal products show that both start from the same Gaussian matrix, and
 * another seed gives another product. */
static void
test_same_start (void)
{
  g_autofree float *a = make_matrix (120, 90, 90, 1.0f);
  g_autoptr(QsLowRank) expected = compute_on_cpu (a, 120, 90, 8, 0, 5);
  g_autoptr(QsLowRank) got = compute_on_gpu (a, 120, 90, 8, 0, 5, 120, TRUE);
  g_autoptr(QsLowRank) other_seed = compute_on_gpu (a, 120, 90, 8, 0, 6, 120, TRUE);

  g_assert_cmpfloat (product_distance (expected, got), <, 1e-4);
  g_assert_cmpfloat (product_distance (expected, other_seed), >, 0.1);
}

/* Resident and streamed row blocks, with a short last block. */
static void
test_row_blocks (void)
{
  g_autofree float *a = make_matrix (200, 150, 6, 0.01f);
  g_autoptr(QsLowRank) expected = compute_on_cpu (a, 200, 150, 6, 4, 99);
  const gboolean resident[] = { TRUE, FALSE };

  for (guint i = 0; i < G_N_ELEMENTS (resident); i++)
    {
      g_autoptr(QsLowRank) got = compute_on_gpu (a, 200, 150, 6, 4, 99, 17, resident[i]);

      g_assert_cmpfloat (product_distance (expected, got), <, 1e-5);
    }
}

/* A tall matrix with fewer columns than the rank takes the CPU branch, so
 * the factors are identical. */
static void
test_thin_matrix (void)
{
  g_autofree float *a = make_matrix (100, 10, 3, 0.1f);
  g_autoptr(QsLowRank) expected = compute_on_cpu (a, 100, 10, 16, 4, 3);
  g_autoptr(QsLowRank) got = compute_on_gpu (a, 100, 10, 16, 4, 3, 100, TRUE);

  g_assert_cmpuint (got->rank, ==, expected->rank);
  g_assert_cmpmem (got->up, got->rows * got->rank * sizeof (float),
                   expected->up, expected->rows * expected->rank * sizeof (float));
  g_assert_cmpmem (got->down, got->rank * got->cols * sizeof (float),
                   expected->down, expected->rank * expected->cols * sizeof (float));
}

static double
max_abs (const float *values,
         gsize        n)
{
  double largest = 0.0;

  for (gsize i = 0; i < n; i++)
    largest = MAX (largest, fabs (values[i]));

  return largest;
}

static gboolean
within_one_step (float        a,
                 float        b,
                 QsModelDtype dtype)
{
  guint32 bits_a;
  guint32 bits_b;
  guint shift = 0;

  if (a == b)
    return TRUE;

  if (dtype == QS_MODEL_DTYPE_BF16)
    shift = 16;
  else if (dtype == QS_MODEL_DTYPE_F16)
    shift = 13;

  memcpy (&bits_a, &a, sizeof bits_a);
  memcpy (&bits_b, &b, sizeof bits_b);

  /* Neighbours in the model dtype differ by one unit at bit @shift. */
  return (bits_a >> 31) == (bits_b >> 31) &&
         ABS ((gint64) (bits_a >> shift) - (gint64) (bits_b >> shift)) <= 1;
}

/* The low-rank product kernel rounds like qs_lowrank_product(); only the
 * fp32 summation order differs, which moves a rare value by one step of
 * the model dtype. */
static void
test_product (void)
{
  const QsModelDtype dtypes[] = { QS_MODEL_DTYPE_BF16, QS_MODEL_DTYPE_F16, QS_MODEL_DTYPE_F32 };
  const QsGpuProductRound rounds[] = { QS_GPU_PRODUCT_ROUND_BF16, QS_GPU_PRODUCT_ROUND_F16,
                                       QS_GPU_PRODUCT_ROUND_NONE };
  const gint64 rows = 70;
  const gint64 cols = 90;
  const guint rank = 12;
  g_autofree float *a = make_matrix (rows, cols, 12, 0.1f);

  for (guint d = 0; d < G_N_ELEMENTS (dtypes); d++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(QsLowRank) lowrank = compute_on_cpu (a, rows, cols, rank, 2, 1);
      g_autofree float *expected = g_new (float, rows * cols);
      g_autoptr(QsGpuCommand) command = qs_gpu_command_new (context, &error);
      g_autoptr(QsGpuBuffer) up = NULL;
      g_autoptr(QsGpuBuffer) down = NULL;
      g_autoptr(QsGpuBuffer) out = NULL;
      const float *got;
      guint n_different = 0;

      qs_lowrank_round (lowrank, dtypes[d]);
      qs_lowrank_product (lowrank, dtypes[d], expected);

      up = qs_gpu_buffer_new (context, QS_GPU_BUFFER_UPLOAD, rows * rank * sizeof (float), &error);
      down = qs_gpu_buffer_new (context, QS_GPU_BUFFER_UPLOAD, rank * cols * sizeof (float), &error);
      out = qs_gpu_buffer_new (context, QS_GPU_BUFFER_READBACK, rows * cols * sizeof (float), &error);
      g_assert_no_error (error);
      memcpy (up->mapped, lowrank->up, rows * rank * sizeof (float));
      memcpy (down->mapped, lowrank->down, rank * cols * sizeof (float));
      qs_gpu_buffer_flush (up);
      qs_gpu_buffer_flush (down);

      g_assert_true (qs_gpu_command_begin (command, &error));
      g_assert_true (qs_gpu_record_lowrank_product (command, up, down, rank, 0, rows, cols,
                                                    rounds[d], out, &error));
      qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                              VK_PIPELINE_STAGE_HOST_BIT);
      g_assert_true (qs_gpu_command_run (command, NULL, &error));
      g_assert_no_error (error);
      qs_gpu_buffer_invalidate (out);

      got = out->mapped;
      for (gint64 i = 0; i < rows * cols; i++)
        {
          /* Values that cancel out lose relative precision, so fp32 values
           * are compared against the largest magnitude. */
          if (dtypes[d] == QS_MODEL_DTYPE_F32)
            g_assert_cmpfloat (fabs (got[i] - expected[i]), <=, 1e-5 * max_abs (expected, rows * cols));
          else
            g_assert_true (within_one_step (got[i], expected[i], dtypes[d]));
          n_different += got[i] != expected[i];
        }

      g_test_message ("%s: %u of %" G_GINT64_FORMAT " values differ",
                      qs_model_dtype_to_string (dtypes[d]), n_different, rows * cols);
      if (dtypes[d] != QS_MODEL_DTYPE_F32)
        g_assert_cmpuint (n_different, <, rows * cols / 100);
    }
}

/* A block that starts at a later row reads the matching rows of up. */
static void
test_product_block_offset (void)
{
  const gint64 rows = 50;
  const gint64 cols = 33;
  const guint rank = 5;
  g_autoptr(GError) error = NULL;
  g_autofree float *a = make_matrix (rows, cols, 5, 0.1f);
  g_autoptr(QsLowRank) lowrank = compute_on_cpu (a, rows, cols, rank, 2, 1);
  g_autofree float *expected = g_new (float, rows * cols);
  g_autoptr(QsGpuCommand) command = qs_gpu_command_new (context, &error);
  g_autoptr(QsGpuBuffer) up = NULL;
  g_autoptr(QsGpuBuffer) down = NULL;
  g_autoptr(QsGpuBuffer) out = NULL;
  const gint64 first_row = 30;
  const float *got;

  qs_lowrank_product (lowrank, QS_MODEL_DTYPE_F32, expected);

  up = qs_gpu_buffer_new (context, QS_GPU_BUFFER_UPLOAD, rows * rank * sizeof (float), &error);
  down = qs_gpu_buffer_new (context, QS_GPU_BUFFER_UPLOAD, rank * cols * sizeof (float), &error);
  out = qs_gpu_buffer_new (context, QS_GPU_BUFFER_READBACK, (rows - first_row) * cols * sizeof (float),
                           &error);
  g_assert_no_error (error);
  memcpy (up->mapped, lowrank->up, rows * rank * sizeof (float));
  memcpy (down->mapped, lowrank->down, rank * cols * sizeof (float));

  g_assert_true (qs_gpu_command_begin (command, &error));
  g_assert_true (qs_gpu_record_lowrank_product (command, up, down, rank, first_row,
                                                rows - first_row, cols,
                                                QS_GPU_PRODUCT_ROUND_NONE, out, &error));
  qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                          VK_PIPELINE_STAGE_HOST_BIT);
  g_assert_true (qs_gpu_command_run (command, NULL, &error));
  g_assert_no_error (error);
  qs_gpu_buffer_invalidate (out);

  got = out->mapped;
  for (gint64 i = 0; i < (rows - first_row) * cols; i++)
    g_assert_cmpfloat (fabs (got[i] - expected[first_row * cols + i]), <=,
                       1e-5 * max_abs (expected, rows * cols));
}

/* Loads through stored BF16 and F16 row blocks, which widen on the
 * device, give the factors of fp32 blocks that hold the widened values,
 * bit for bit, resident and streamed, mapped and staged. */
static void
test_stored_blocks (void)
{
  const gint64 rows = 45;
  const gint64 cols = 77;
  const QsGpuDecodeFormat formats[] = { QS_GPU_DECODE_BF16, QS_GPU_DECODE_F16 };
  const gboolean resident[] = { TRUE, FALSE, TRUE, FALSE };
  /* Mapped device buffers as on lavapipe, then staging copies as on a
   * discrete GPU. */
  const gboolean mapped[] = { TRUE, TRUE, FALSE, FALSE };
  g_autofree float *a = make_matrix (rows, cols, 6, 0.1f);
  g_autofree guint8 *allocation = g_malloc (2 * rows * cols + 1);
  guint8 *stored = allocation + 1;

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++)
    for (guint r = 0; r < G_N_ELEMENTS (resident); r++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(QsGpuRowBlocks) blocks = NULL;
        g_autoptr(QsLowRank) expected = NULL;
        g_autoptr(QsLowRank) got = NULL;

        for (gint64 i = 0; i < rows * cols; i++)
          {
            guint16 bits = formats[f] == QS_GPU_DECODE_BF16 ? qs_f32_to_bf16 (a[i])
                                                            : qs_f32_to_f16 (a[i]);

            a[i] = formats[f] == QS_GPU_DECODE_BF16 ? qs_bf16_to_f32 (bits) : qs_f16_to_f32 (bits);
            qs_store_u16_le (stored + 2 * i, bits);
          }

        /* 7 rows of 77 values per block: odd blocks start mid-word. */
        qs_gpu_context_set_device_buffers_mapped (context, mapped[r]);
        expected = compute_on_gpu (a, rows, cols, 8, 2, 3, 7, resident[r]);
        blocks = qs_gpu_row_blocks_new_stored (context, stored, formats[f], rows, cols, 7,
                                               resident[r], &error);
        g_assert_no_error (error);
        g_assert_true (qs_gpu_row_blocks_is_stored (blocks));
        got = qs_gpu_lowrank_compute (blocks, a, rows, cols, 8, 2, 3, NULL, &error);
        g_assert_no_error (error);
        qs_gpu_context_set_device_buffers_mapped (context, TRUE);

        g_assert_cmpuint (got->rank, ==, expected->rank);
        g_assert_cmpmem (got->up, rows * got->rank * sizeof (float),
                         expected->up, rows * expected->rank * sizeof (float));
        g_assert_cmpmem (got->down, got->rank * cols * sizeof (float),
                         expected->down, expected->rank * cols * sizeof (float));
      }
}

typedef struct
{
  const float *a;
  gint         rows;
  gint         cols;
  guint        n_calls;
  guint        fail_at;
} HostMultiply;

/* The products of the CPU backend's qs_lowrank_compute(), with the same
 * BLAS calls, failing at call @fail_at when that is not 0. */
static gboolean
host_multiply_cb (gboolean      transpose,
                  const float  *in,
                  gint          k,
                  float        *out,
                  gpointer      user_data,
                  GError      **error)
{
  HostMultiply *self = user_data;

  if (++self->n_calls == self->fail_at)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "product %u failed", self->n_calls);
      return FALSE;
    }

  if (!transpose)
    cblas_sgemm (CblasColMajor, CblasTrans, CblasNoTrans, self->rows, k, self->cols, 1.0f,
                 self->a, self->cols, in, self->cols, 0.0f, out, self->rows);
  else
    cblas_sgemm (CblasColMajor, CblasNoTrans, CblasNoTrans, self->cols, k, self->rows, 1.0f,
                 self->a, self->cols, in, self->rows, 0.0f, out, self->cols);

  return TRUE;
}

/* qs_lowrank_compute_with() is the host half that the device SVD shares
 * with the CPU's. Products computed as the CPU computes them give its
 * factors bit for bit in both branches of torch.svd_lowrank, and a
 * failed product fails the call with its own error. */
static void
test_compute_with (void)
{
  static const gint64 shapes[][3] = {
    { 60, 90, 8 },    /* the transposed basis */
    { 90, 6, 8 },     /* the direct basis: at most q columns */
  };

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      gint64 rows = shapes[s][0];
      gint64 cols = shapes[s][1];
      guint rank = (guint) shapes[s][2];
      g_autofree float *a = make_matrix (rows, cols, 4, 0.1f);
      g_autoptr(QsLowRank) expected = compute_on_cpu (a, rows, cols, rank, 3, 11);
      g_autoptr(QsLowRank) got = NULL;
      g_autoptr(QsLowRank) failed = NULL;
      g_autoptr(GError) error = NULL;
      HostMultiply multiply = { a, (gint) rows, (gint) cols, 0, 0 };

      g_assert_cmpint (qs_lowrank_uses_transposed_basis (rows, cols, rank), ==, s == 0);

      got = qs_lowrank_compute_with (rows, cols, rank, 3, 11, host_multiply_cb, &multiply,
                                     NULL, &error);
      g_assert_no_error (error);
      /* One start product, two per power step and the final one. */
      g_assert_cmpuint (multiply.n_calls, ==, 1 + 2 * 3 + 1);
      g_assert_cmpuint (got->rank, ==, expected->rank);
      g_assert_cmpmem (got->up, rows * got->rank * sizeof (float),
                       expected->up, rows * expected->rank * sizeof (float));
      g_assert_cmpmem (got->down, got->rank * cols * sizeof (float),
                       expected->down, expected->rank * cols * sizeof (float));

      multiply.n_calls = 0;
      multiply.fail_at = 4;
      failed = qs_lowrank_compute_with (rows, cols, rank, 3, 11, host_multiply_cb, &multiply,
                                        NULL, &error);
      g_assert_null (failed);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
      g_assert_cmpuint (multiply.n_calls, ==, 4);
    }
}

/* The start matrix is a fixed function of the seed: repeatable, a
 * prefix of a longer fill, and standard normal. */
static void
test_fill_gaussian (void)
{
  const gsize n = 200001;
  g_autofree float *values = g_new (float, n);
  g_autofree float *again = g_new (float, n);
  g_autofree float *other_seed = g_new (float, n);
  g_autofree float *prefix = g_new (float, 7);
  double sum = 0.0;
  double sum_sq = 0.0;
  double mean;
  double variance;

  qs_lowrank_fill_gaussian (values, n, 2024);
  qs_lowrank_fill_gaussian (again, n, 2024);
  qs_lowrank_fill_gaussian (other_seed, n, 2025);
  qs_lowrank_fill_gaussian (prefix, 7, 2024);

  g_assert_cmpmem (values, n * sizeof (float), again, n * sizeof (float));
  g_assert_cmpmem (prefix, 7 * sizeof (float), values, 7 * sizeof (float));
  g_assert_cmpfloat (values[0], !=, other_seed[0]);

  for (gsize i = 0; i < n; i++)
    {
      g_assert_true (isfinite (values[i]));
      sum += values[i];
      sum_sq += (double) values[i] * values[i];
    }
  mean = sum / n;
  variance = sum_sq / n - mean * mean;

  /* Five standard errors: 5/√n is about 0.011 for the mean and
   * 5·√(2/n) about 0.016 for the variance. */
  g_assert_cmpfloat (fabs (mean), <, 0.011);
  g_assert_cmpfloat (fabs (variance - 1.0), <, 0.016);
}

static void
test_cancelled (void)
{
  g_autofree float *a = make_matrix (64, 80, 4, 0.1f);
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(QsGpuRowBlocks) blocks = qs_gpu_row_blocks_new (context, a, 64, 80, 64, TRUE, &error);
  QsLowRank *lowrank;

  g_assert_no_error (error);
  g_cancellable_cancel (cancellable);
  lowrank = qs_gpu_lowrank_compute (blocks, a, 64, 80, 8, 2, 1, cancellable, &error);
  g_assert_null (lowrank);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  context = gpu_test_open_context (argc, argv);

  g_test_add_func ("/qs/gpu/svd/matches-cpu", test_matches_cpu);
  g_test_add_func ("/qs/gpu/svd/same-start", test_same_start);
  g_test_add_func ("/qs/gpu/svd/row-blocks", test_row_blocks);
  g_test_add_func ("/qs/gpu/svd/thin-matrix", test_thin_matrix);
  g_test_add_func ("/qs/gpu/svd/product", test_product);
  g_test_add_func ("/qs/gpu/svd/product-block-offset", test_product_block_offset);
  g_test_add_func ("/qs/gpu/svd/stored-blocks", test_stored_blocks);
  g_test_add_func ("/qs/gpu/svd/compute-with", test_compute_with);
  g_test_add_func ("/qs/gpu/svd/fill-gaussian", test_fill_gaussian);
  g_test_add_func ("/qs/gpu/svd/cancelled", test_cancelled);

  ret = g_test_run ();
  qs_gpu_context_unref (context);

  return ret;
}
