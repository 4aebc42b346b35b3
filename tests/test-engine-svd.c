/* test-engine-svd.c: the seeded randomized low-rank SVD
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <cblas.h>

#include "qs-float.h"
#include "qs-svd.h"

static float *
random_matrix (gint64  rows,
               gint64  cols,
               guint32 seed)
{
  float *m = g_new (float, rows * cols);
  GRand *rand = g_rand_new_with_seed (seed);

  for (gint64 i = 0; i < rows * cols; i++)
    m[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
  g_rand_free (rand);

  return m;
}

/* Returns A = X·Y for random X (rows × rank) and Y (rank × cols), so
 * that A has exactly @rank nonzero singular values. */
static float *
random_low_rank (gint64  rows,
                 gint64  cols,
                 guint   rank,
                 guint32 seed)
{
  g_autofree float *x = random_matrix (rows, rank, seed);
  g_autofree float *y = random_matrix (rank, cols, seed + 1);
  float *a = g_new0 (float, rows * cols);

  for (gint64 i = 0; i < rows; i++)
    for (guint k = 0; k < rank; k++)
      for (gint64 j = 0; j < cols; j++)
        a[i * cols + j] += x[i * rank + k] * y[k * cols + j];

  return a;
}

/* Returns ‖A − up·down‖ / ‖A‖ in double. */
static double
relative_residual (const float     *a,
                   const QsLowRank *lowrank)
{
  double err = 0.0;
  double norm = 0.0;

  for (gint64 i = 0; i < lowrank->rows; i++)
    for (gint64 j = 0; j < lowrank->cols; j++)
      {
        double p = 0.0;
        double d;

        for (guint k = 0; k < lowrank->rank; k++)
          p += (double) lowrank->up[i * lowrank->rank + k] * lowrank->down[k * lowrank->cols + j];
        d = a[i * lowrank->cols + j] - p;
        err += d * d;
        norm += (double) a[i * lowrank->cols + j] * a[i * lowrank->cols + j];
      }

  return sqrt (err / norm);
}

/* Returns the norm of column @k of up, which is the k-th singular value
 * because up = U·diag(S) with orthonormal U. */
static double
up_column_norm (const QsLowRank *lowrank,
                guint            k)
{
  double sum = 0.0;

  for (gint64 i = 0; i < lowrank->rows; i++)
    sum += (double) lowrank->up[i * lowrank->rank + k] * lowrank->up[i * lowrank->rank + k];

  return sqrt (sum);
}

static void
assert_down_orthonormal (const QsLowRank *lowrank,
                         double           tolerance)
{
  for (guint a = 0; a < lowrank->rank; a++)
    for (guint b = 0; b < lowrank->rank; b++)
      {
        double dot = 0.0;

        for (gint64 j = 0; j < lowrank->cols; j++)
          dot += (double) lowrank->down[a * lowrank->cols + j] * lowrank->down[b * lowrank->cols + j];
        g_assert_cmpfloat_with_epsilon (dot, a == b ? 1.0 : 0.0, tolerance);
      }
}

static void
test_svd_exact_rank4 (void)
{
  g_autofree float *a = random_low_rank (200, 150, 4, 11);
  g_autoptr(GError) error = NULL;
  g_autoptr(QsLowRank) lowrank = NULL;

  lowrank = qs_lowrank_compute (a, 200, 150, 8, 2, 1234, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lowrank);

  g_assert_cmpint (lowrank->rows, ==, 200);
  g_assert_cmpint (lowrank->cols, ==, 150);
  g_assert_cmpuint (lowrank->rank, ==, 8);
  g_assert_cmpfloat (relative_residual (a, lowrank), <, 5e-6);
  /* Beyond the true rank the singular values are rounding noise. */
  g_assert_cmpfloat (up_column_norm (lowrank, 4) / up_column_norm (lowrank, 0), <, 1e-5);
  assert_down_orthonormal (lowrank, 1e-5);
}

static void
test_svd_thin_wide (void)
{
  g_autofree float *a = random_matrix (4, 320, 21);
  g_autoptr(GError) error = NULL;
  g_autoptr(QsLowRank) lowrank = NULL;

  lowrank = qs_lowrank_compute (a, 4, 320, 32, 8, 5, NULL, &error);
  g_assert_no_error (error);

  /* Four rows give at most four singular values, so the rank-4 result
   * reconstructs the matrix exactly up to fp32 rounding. */
  g_assert_cmpuint (lowrank->rank, ==, 4);
  g_assert_cmpfloat (relative_residual (a, lowrank), <, 2e-6);
}

static void
test_svd_thin_tall (void)
{
  g_autofree float *a = random_matrix (320, 4, 22);
  g_autoptr(GError) error = NULL;
  g_autoptr(QsLowRank) lowrank = NULL;

  lowrank = qs_lowrank_compute (a, 320, 4, 32, 8, 5, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (lowrank->rank, ==, 4);
  g_assert_cmpfloat (relative_residual (a, lowrank), <, 2e-6);
  assert_down_orthonormal (lowrank, 1e-5);
}

static void
test_svd_small_square (void)
{
  g_autofree float *a = random_matrix (20, 20, 23);
  g_autoptr(GError) error = NULL;
  g_autoptr(QsLowRank) lowrank = NULL;

  lowrank = qs_lowrank_compute (a, 20, 20, 32, 1, 5, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (lowrank->rank, ==, 20);
  g_assert_cmpfloat (relative_residual (a, lowrank), <, 2e-6);
}

static void
test_svd_no_power_steps (void)
{
  g_autofree float *a = random_low_rank (64, 96, 3, 31);
  g_autoptr(GError) error = NULL;
  g_autoptr(QsLowRank) lowrank = NULL;

  lowrank = qs_lowrank_compute (a, 64, 96, 6, 0, 9, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (lowrank->rank, ==, 6);
  g_assert_cmpfloat (relative_residual (a, lowrank), <, 5e-6);
}

static void
test_svd_known_singular_values (void)
{
  const double expected[] = { 10.0, 5.0, 2.0, 1.0, 0.5, 0.25 };
  const gint64 rows = 90;
  const gint64 cols = 70;
  g_autofree float *a = g_new0 (float, rows * cols);
  g_autoptr(GError) error = NULL;
  g_autoptr(QsLowRank) lowrank = NULL;

  /* A permuted, sign-flipped diagonal: its singular values are the
   * magnitudes of the entries. */
  for (guint k = 0; k < G_N_ELEMENTS (expected); k++)
    {
      gint64 i = (k * 37 + 5) % rows;
      gint64 j = (k * 23 + 11) % cols;

      a[i * cols + j] = (float) ((k % 2 == 0) ? expected[k] : -expected[k]);
    }

  lowrank = qs_lowrank_compute (a, rows, cols, 6, 4, 77, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lowrank->rank, ==, 6);

  for (guint k = 0; k < G_N_ELEMENTS (expected); k++)
    g_assert_cmpfloat_with_epsilon (up_column_norm (lowrank, k) / expected[k], 1.0, 1e-5);
  g_assert_cmpfloat (relative_residual (a, lowrank), <, 2e-6);
}

static void
test_svd_decaying_spectrum (void)
{
  const gint64 rows = 300;
  const gint64 cols = 200;
  g_autofree float *u = random_matrix (rows, 40, 41);
  g_autofree float *v = random_matrix (40, cols, 42);
  g_autofree float *a = g_new0 (float, rows * cols);
  g_autoptr(GError) error = NULL;
  g_autoptr(QsLowRank) lowrank = NULL;
  g_autoptr(QsLowRank) reference = NULL;

  /* Forty components with weights 2^-k: with power steps the leading
   * eight singular values of the rank-8 result match those of a rank-40
   * decomposition, which is exact for this matrix. */
  for (gint64 i = 0; i < rows; i++)
    for (guint k = 0; k < 40; k++)
      for (gint64 j = 0; j < cols; j++)
        a[i * cols + j] += ldexpf (u[i * 40 + k] * v[k * cols + j], -(int) k);

  lowrank = qs_lowrank_compute (a, rows, cols, 8, 8, 3, NULL, &error);
  g_assert_no_error (error);
  reference = qs_lowrank_compute (a, rows, cols, 40, 2, 4, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (relative_residual (a, reference), <, 1e-5);

  for (guint k = 0; k < 8; k++)
    g_assert_cmpfloat_with_epsilon (up_column_norm (lowrank, k) / up_column_norm (reference, k),
                                    1.0, 1e-4);
  assert_down_orthonormal (lowrank, 1e-5);
}

static void
assert_same_bits (const QsLowRank *a,
                  const QsLowRank *b)
{
  g_assert_cmpint (a->rows, ==, b->rows);
  g_assert_cmpint (a->cols, ==, b->cols);
  g_assert_cmpuint (a->rank, ==, b->rank);
  g_assert_cmpmem (a->up, a->rows * a->rank * sizeof (float),
                   b->up, b->rows * b->rank * sizeof (float));
  g_assert_cmpmem (a->down, a->rank * a->cols * sizeof (float),
                   b->down, b->rank * b->cols * sizeof (float));
}

static void
test_svd_seeded_determinism (void)
{
  g_autofree float *a = random_matrix (256, 384, 51);
  g_autoptr(GError) error = NULL;
  g_autoptr(QsLowRank) first = NULL;
  g_autoptr(QsLowRank) second = NULL;
  g_autoptr(QsLowRank) other_seed = NULL;

  first = qs_lowrank_compute (a, 256, 384, 16, 3, 99, NULL, &error);
  g_assert_no_error (error);
  second = qs_lowrank_compute (a, 256, 384, 16, 3, 99, NULL, &error);
  g_assert_no_error (error);
  other_seed = qs_lowrank_compute (a, 256, 384, 16, 3, 100, NULL, &error);
  g_assert_no_error (error);

  assert_same_bits (first, second);
  g_assert_true (memcmp (first->up, other_seed->up, 256 * 16 * sizeof (float)) != 0);
}

static void
test_svd_thread_count_independent (void)
{
  g_autofree float *a = random_matrix (768, 1024, 52);
  g_autoptr(GError) error = NULL;
  g_autoptr(QsLowRank) one_thread = NULL;
  g_autoptr(QsLowRank) two_threads = NULL;
  int saved = openblas_get_num_threads ();

  openblas_set_num_threads (1);
  one_thread = qs_lowrank_compute (a, 768, 1024, 32, 4, 7, NULL, &error);
  g_assert_no_error (error);

  openblas_set_num_threads (2);
  two_threads = qs_lowrank_compute (a, 768, 1024, 32, 4, 7, NULL, &error);
  g_assert_no_error (error);
  openblas_set_num_threads (saved);

  assert_same_bits (one_thread, two_threads);
}

static void
test_svd_cancelled (void)
{
  g_autofree float *a = random_matrix (64, 64, 61);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  QsLowRank *lowrank;

  g_cancellable_cancel (cancellable);
  lowrank = qs_lowrank_compute (a, 64, 64, 8, 8, 1, cancellable, &error);

  g_assert_null (lowrank);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static gpointer
compute_thread (gpointer user_data)
{
  GCancellable *cancellable = user_data;
  g_autofree float *a = random_matrix (1024, 1024, 62);
  GError *error = NULL;
  QsLowRank *lowrank;

  /* Enough power steps to run for seconds, so the cancellation lands
   * between steps. */
  lowrank = qs_lowrank_compute (a, 1024, 1024, 64, 100000, 1, cancellable, &error);
  g_assert_null (lowrank);

  return error;
}

static void
test_svd_cancelled_between_steps (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  GThread *thread;

  thread = g_thread_new ("svd", compute_thread, cancellable);
  g_timeout_add (200, cancel_cb, cancellable);
  while (!g_cancellable_is_cancelled (cancellable))
    g_main_context_iteration (NULL, TRUE);
  error = g_thread_join (thread);

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_svd_non_finite_fails (void)
{
  g_autofree float *a = random_matrix (40, 50, 71);
  g_autoptr(GError) error = NULL;
  QsLowRank *lowrank;

  a[123] = NAN;
  lowrank = qs_lowrank_compute (a, 40, 50, 8, 2, 1, NULL, &error);

  g_assert_null (lowrank);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
}

static void
test_svd_zero_matrix (void)
{
  g_autofree float *a = g_new0 (float, 30 * 40);
  g_autoptr(GError) error = NULL;
  g_autoptr(QsLowRank) lowrank = NULL;

  lowrank = qs_lowrank_compute (a, 30, 40, 8, 2, 1, NULL, &error);
  g_assert_no_error (error);

  for (gint64 i = 0; i < 30 * 8; i++)
    g_assert_cmpfloat (lowrank->up[i], ==, 0.0f);
}

static gboolean
is_bf16 (float value)
{
  guint32 bits;

  memcpy (&bits, &value, sizeof bits);
  return (bits & 0xffffu) == 0;
}

static void
test_svd_product_bf16 (void)
{
  g_autofree float *a = random_matrix (48, 80, 81);
  g_autofree float *exact = g_new (float, 48 * 80);
  g_autofree float *rounded = g_new (float, 48 * 80);
  g_autoptr(GError) error = NULL;
  g_autoptr(QsLowRank) lowrank = NULL;
  guint n_changed = 0;

  lowrank = qs_lowrank_compute (a, 48, 80, 12, 2, 5, NULL, &error);
  g_assert_no_error (error);

  qs_lowrank_round (lowrank, QS_MODEL_DTYPE_BF16);
  for (gint64 i = 0; i < 48 * 12; i++)
    g_assert_true (is_bf16 (lowrank->up[i]));
  for (gint64 i = 0; i < 12 * 80; i++)
    g_assert_true (is_bf16 (lowrank->down[i]));

  qs_lowrank_product (lowrank, QS_MODEL_DTYPE_F32, exact);
  qs_lowrank_product (lowrank, QS_MODEL_DTYPE_BF16, rounded);

  for (gint64 i = 0; i < 48; i++)
    for (gint64 j = 0; j < 80; j++)
      {
        double dot = 0.0;
        float value = rounded[i * 80 + j];

        for (guint k = 0; k < 12; k++)
          dot += (double) lowrank->up[i * 12 + k] * lowrank->down[k * 80 + j];

        /* The fp32 GEMM is close to the exact dot product, and the bf16
         * result is that fp32 value rounded to nearest even. */
        g_assert_cmpfloat (fabs (exact[i * 80 + j] - dot), <=, 1e-5 * (1.0 + fabs (dot)));
        g_assert_true (is_bf16 (value));
        g_assert_cmpfloat (value, ==, qs_model_dtype_round (QS_MODEL_DTYPE_BF16, exact[i * 80 + j]));
        g_assert_cmpfloat (fabs (value - dot), <=, ldexp (fabs (dot), -8) + 1e-5);
        if (value != exact[i * 80 + j])
          n_changed++;
      }

  g_assert_cmpuint (n_changed, >, 48 * 80 / 2);
}

static void
test_model_dtype_round (void)
{
  float nan_value;

  /* 1 + 2^-8 is halfway between two bfloat16 values and goes to the even
   * one, 1. 1 + 3·2^-8 goes up to the even 1 + 2^-6. */
  g_assert_cmpfloat (qs_model_dtype_round (QS_MODEL_DTYPE_BF16, 1.0f + 0x1.0p-8f), ==, 1.0f);
  g_assert_cmpfloat (qs_model_dtype_round (QS_MODEL_DTYPE_BF16, 1.0f + 0x3.0p-8f), ==, 1.0f + 0x1.0p-6f);
  g_assert_cmpfloat (qs_model_dtype_round (QS_MODEL_DTYPE_BF16, -1.0f - 0x1.8p-8f), ==, -1.0f - 0x1.0p-7f);
  g_assert_true (isinf (qs_model_dtype_round (QS_MODEL_DTYPE_BF16, G_MAXFLOAT)));
  g_assert_true (isinf (qs_model_dtype_round (QS_MODEL_DTYPE_BF16, INFINITY)));
  nan_value = qs_model_dtype_round (QS_MODEL_DTYPE_BF16, NAN);
  g_assert_true (isnan (nan_value));

  /* binary16 has 10 mantissa bits: 1 + 2^-11 is a tie that goes to 1, and
   * 65520 rounds up to infinity. */
  g_assert_cmpfloat (qs_model_dtype_round (QS_MODEL_DTYPE_F16, 1.0f + 0x1.0p-11f), ==, 1.0f);
  g_assert_cmpfloat (qs_model_dtype_round (QS_MODEL_DTYPE_F16, 1.0f + 0x3.0p-11f), ==, 1.0f + 0x1.0p-9f);
  g_assert_true (isinf (qs_model_dtype_round (QS_MODEL_DTYPE_F16, 65520.0f)));

  g_assert_cmpfloat (qs_model_dtype_round (QS_MODEL_DTYPE_F32, 1.0f + 0x1.0p-23f), ==, 1.0f + 0x1.0p-23f);
}

static void
test_model_dtype_round_array (void)
{
  const gsize n = 100003;
  g_autofree float *values = random_matrix (1, n, 91);
  g_autofree float *copy = g_memdup2 (values, n * sizeof (float));

  /* Scaled values cover small and large exponents. */
  for (gsize i = 0; i < n; i++)
    copy[i] = values[i] = ldexpf (values[i], (int) (i % 200) - 100);

  qs_model_dtype_round_array (QS_MODEL_DTYPE_BF16, values, n);
  for (gsize i = 0; i < n; i++)
    {
      g_assert_cmpfloat (values[i], ==, qs_model_dtype_round (QS_MODEL_DTYPE_BF16, copy[i]));
      g_assert_cmpfloat (values[i], ==, qs_round_bf16 (copy[i]));
    }

  memcpy (values, copy, n * sizeof (float));
  qs_model_dtype_round_array (QS_MODEL_DTYPE_F16, values, n);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (values[i], ==, qs_model_dtype_round (QS_MODEL_DTYPE_F16, copy[i]));
}

static void
test_model_dtype_add (void)
{
  const QsModelDtype dtypes[] = { QS_MODEL_DTYPE_BF16, QS_MODEL_DTYPE_F16, QS_MODEL_DTYPE_F32 };
  const gsize n = 1003;
  g_autofree float *base = random_matrix (1, n, 92);
  g_autofree float *addend = random_matrix (1, n, 93);
  g_autofree float *values = g_new (float, n);

  base[5] = NAN;
  base[6] = INFINITY;
  for (gsize i = 0; i < n; i++)
    base[i] = ldexpf (base[i], (int) (i % 40) - 20);

  for (guint d = 0; d < G_N_ELEMENTS (dtypes); d++)
    {
      /* The addend is a product already held in the model dtype. */
      memcpy (values, base, n * sizeof (float));
      for (gsize i = 0; i < n; i++)
        addend[i] = qs_model_dtype_round (dtypes[d], addend[i]);

      qs_model_dtype_add (dtypes[d], values, addend, n);

      for (gsize i = 0; i < n; i++)
        {
          float expected = qs_model_dtype_round (dtypes[d],
                                                 qs_model_dtype_round (dtypes[d], base[i]) + addend[i]);

          if (isnan (expected))
            g_assert_true (isnan (values[i]));
          else
            g_assert_cmpfloat (values[i], ==, expected);
        }
    }

  /* bf16(1 + 2^-9) is 1, and 1 + 2^-8 is a tie that stays at 1, so the
   * model-dtype sum differs from the fp32 sum 1 + 2^-9 + 2^-8. */
  values[0] = 1.0f + 0x1.0p-9f;
  addend[0] = 0x1.0p-8f;
  qs_model_dtype_add (QS_MODEL_DTYPE_BF16, values, addend, 1);
  g_assert_cmpfloat (values[0], ==, 1.0f);
}

static void
test_model_dtype_strings (void)
{
  const QsModelDtype all[] = { QS_MODEL_DTYPE_BF16, QS_MODEL_DTYPE_F16, QS_MODEL_DTYPE_F32 };
  QsModelDtype dtype;

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      g_assert_true (qs_model_dtype_from_string (qs_model_dtype_to_string (all[i]), &dtype));
      g_assert_cmpint (dtype, ==, all[i]);
    }

  g_assert_cmpstr (qs_model_dtype_to_string (QS_MODEL_DTYPE_BF16), ==, "bfloat16");
  g_assert_true (qs_model_dtype_from_string ("BF16", &dtype));
  g_assert_cmpint (dtype, ==, QS_MODEL_DTYPE_BF16);
  g_assert_true (qs_model_dtype_from_string ("fp16", &dtype));
  g_assert_cmpint (dtype, ==, QS_MODEL_DTYPE_F16);
  g_assert_true (qs_model_dtype_from_string ("fp32", &dtype));
  g_assert_cmpint (dtype, ==, QS_MODEL_DTYPE_F32);
  g_assert_false (qs_model_dtype_from_string ("int8", &dtype));
  g_assert_false (qs_model_dtype_from_string ("", &dtype));
}

static void
test_seed_for_layer (void)
{
  guint64 base = qs_lowrank_seed_for_layer (0, "transformer", "blocks.0.attn.to_q.weight", 0);

  g_assert_cmpuint (base, ==, qs_lowrank_seed_for_layer (0, "transformer", "blocks.0.attn.to_q.weight", 0));
  g_assert_cmpuint (base, !=, qs_lowrank_seed_for_layer (1, "transformer", "blocks.0.attn.to_q.weight", 0));
  g_assert_cmpuint (base, !=, qs_lowrank_seed_for_layer (0, "transformer", "blocks.0.attn.to_k.weight", 0));
  g_assert_cmpuint (base, !=, qs_lowrank_seed_for_layer (0, "vae", "blocks.0.attn.to_q.weight", 0));
  g_assert_cmpuint (base, !=, qs_lowrank_seed_for_layer (0, "transformer", "blocks.0.attn.to_q.weight", 32));
  /* The boundary between component and name is part of the hash. */
  g_assert_cmpuint (qs_lowrank_seed_for_layer (0, "ab", "c", 0), !=,
                    qs_lowrank_seed_for_layer (0, "a", "bc", 0));
  g_assert_cmpuint (qs_lowrank_seed_for_layer (0, NULL, "x", 0), ==,
                    qs_lowrank_seed_for_layer (0, "", "x", 0));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qs/engine/svd/exact-rank4", test_svd_exact_rank4);
  g_test_add_func ("/qs/engine/svd/thin-wide", test_svd_thin_wide);
  g_test_add_func ("/qs/engine/svd/thin-tall", test_svd_thin_tall);
  g_test_add_func ("/qs/engine/svd/small-square", test_svd_small_square);
  g_test_add_func ("/qs/engine/svd/no-power-steps", test_svd_no_power_steps);
  g_test_add_func ("/qs/engine/svd/known-singular-values", test_svd_known_singular_values);
  g_test_add_func ("/qs/engine/svd/decaying-spectrum", test_svd_decaying_spectrum);
  g_test_add_func ("/qs/engine/svd/seeded-determinism", test_svd_seeded_determinism);
  g_test_add_func ("/qs/engine/svd/thread-count-independent", test_svd_thread_count_independent);
  g_test_add_func ("/qs/engine/svd/cancelled", test_svd_cancelled);
  g_test_add_func ("/qs/engine/svd/cancelled-between-steps", test_svd_cancelled_between_steps);
  g_test_add_func ("/qs/engine/svd/non-finite-fails", test_svd_non_finite_fails);
  g_test_add_func ("/qs/engine/svd/zero-matrix", test_svd_zero_matrix);
  g_test_add_func ("/qs/engine/svd/product-bf16", test_svd_product_bf16);
  g_test_add_func ("/qs/engine/svd/model-dtype-round", test_model_dtype_round);
  g_test_add_func ("/qs/engine/svd/model-dtype-round-array", test_model_dtype_round_array);
  g_test_add_func ("/qs/engine/svd/model-dtype-add", test_model_dtype_add);
  g_test_add_func ("/qs/engine/svd/model-dtype-strings", test_model_dtype_strings);
  g_test_add_func ("/qs/engine/svd/seed-for-layer", test_seed_for_layer);

  return g_test_run ();
}
