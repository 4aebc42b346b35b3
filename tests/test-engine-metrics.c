/* test-engine-metrics.c: error metrics and weight statistics
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qs-metrics.h"

static void
compute_metrics (QsMetrics   *metrics,
                 const float *o,
                 const float *r,
                 gsize        n)
{
  QsErrorSums sums;
  QsReferenceStats reference;

  qs_error_sums_clear (&sums);
  qs_error_sums_add (&sums, o, r, n);
  qs_reference_stats_compute (&reference, o, n);
  qs_metrics_from_sums (metrics, &sums, &reference);
}

static void
test_metrics_hand_computed (void)
{
  const float o[] = { 1.0f, 2.0f, 3.0f, 4.0f };
  const float r[] = { 1.0f, 2.0f, 3.0f, 5.0f };
  QsMetrics metrics;

  compute_metrics (&metrics, o, r, G_N_ELEMENTS (o));

  /* mse = 1/4 and the unbiased variance of 1..4 is 5/3. */
  g_assert_cmpfloat_with_epsilon (metrics.nmse, 0.15, 1e-15);
  g_assert_cmpfloat_with_epsilon (metrics.sqnr_db, -10.0 * log10 (0.15), 1e-12);
  g_assert_cmpfloat_with_epsilon (metrics.cosine_sim, 34.0 / sqrt (30.0 * 39.0), 1e-15);
  g_assert_cmpfloat (metrics.max_abs_err, ==, 1.0);
  g_assert_cmpfloat_with_epsilon (metrics.relative_l2, 1.0 / sqrt (30.0), 1e-15);
}

static void
test_metrics_reference_stats (void)
{
  const float o[] = { -2.0f, 0.5f, 3.0f, 7.5f, 1.0f };
  QsReferenceStats reference;

  qs_reference_stats_compute (&reference, o, G_N_ELEMENTS (o));

  g_assert_cmpuint (reference.n, ==, 5);
  g_assert_cmpfloat_with_epsilon (reference.mean, 2.0, 1e-15);
  g_assert_cmpfloat_with_epsilon (reference.sum_sq, 4.0 + 0.25 + 9.0 + 56.25 + 1.0, 1e-12);
  /* Deviations -4, -1.5, 1, 5.5, -1: squares sum to 50.5, over N − 1 = 4. */
  g_assert_cmpfloat_with_epsilon (reference.variance, 50.5 / 4.0, 1e-12);
}

static void
test_metrics_single_value (void)
{
  const float o[] = { 3.0f };
  const float r[] = { 2.0f };
  QsReferenceStats reference;
  QsMetrics metrics;

  qs_reference_stats_compute (&reference, o, 1);
  g_assert_true (isnan (reference.variance));

  /* The unbiased variance of one value is NaN in PyTorch, so nmse is NaN
   * and the script's sqnr rule turns that into +inf. */
  compute_metrics (&metrics, o, r, 1);
  g_assert_true (isnan (metrics.nmse));
  g_assert_true (isinf (metrics.sqnr_db) && metrics.sqnr_db > 0);
  g_assert_cmpfloat (metrics.max_abs_err, ==, 1.0);
}

static void
test_metrics_zero_variance (void)
{
  const float o[] = { 0.25f, 0.25f, 0.25f, 0.25f, 0.25f, 0.25f };
  const float r[] = { 0.25f, 0.5f, 0.25f, 0.25f, 0.25f, 0.25f };
  QsMetrics metrics;

  compute_metrics (&metrics, o, r, G_N_ELEMENTS (o));

  g_assert_true (isinf (metrics.nmse) && metrics.nmse > 0);
  g_assert_true (isinf (metrics.sqnr_db) && metrics.sqnr_db < 0);
  g_assert_cmpfloat (metrics.max_abs_err, ==, 0.25);
  g_assert_cmpfloat_with_epsilon (metrics.relative_l2, 0.25 / sqrt (6 * 0.0625), 1e-15);
}

static void
test_metrics_exact_reconstruction (void)
{
  const float o[] = { -1.5f, 0.0f, 2.25f, 8.0f, -0.125f };
  QsMetrics metrics;

  compute_metrics (&metrics, o, o, G_N_ELEMENTS (o));

  g_assert_cmpfloat (metrics.nmse, ==, 0.0);
  g_assert_true (isinf (metrics.sqnr_db) && metrics.sqnr_db > 0);
  g_assert_cmpfloat_with_epsilon (metrics.cosine_sim, 1.0, 1e-15);
  g_assert_cmpfloat (metrics.max_abs_err, ==, 0.0);
  g_assert_cmpfloat (metrics.relative_l2, ==, 0.0);
}

static void
test_metrics_zero_original (void)
{
  const float o[] = { 0.0f, 0.0f, 0.0f };
  const float r[] = { 0.0f, 1e-3f, 0.0f };
  const float zero[] = { 0.0f, 0.0f, 0.0f };
  QsMetrics metrics;

  compute_metrics (&metrics, o, r, G_N_ELEMENTS (o));

  g_assert_true (isinf (metrics.nmse));
  g_assert_true (isinf (metrics.relative_l2) && metrics.relative_l2 > 0);
  /* PyTorch clamps the product of the squared norms to eps² = 1e-16, so a
   * zero original gives a cosine of 0 rather than NaN. */
  g_assert_cmpfloat (metrics.cosine_sim, ==, 0.0);

  compute_metrics (&metrics, o, zero, G_N_ELEMENTS (o));
  g_assert_cmpfloat (metrics.cosine_sim, ==, 0.0);
  g_assert_cmpfloat (metrics.max_abs_err, ==, 0.0);
}

static void
test_metrics_cosine_eps_clamp (void)
{
  const float o[] = { 1e-5f, 0.0f };
  const float r[] = { 1e-5f, 0.0f };
  QsMetrics metrics;

  compute_metrics (&metrics, o, r, G_N_ELEMENTS (o));

  /* w1·w2 = 1e-20 is below eps², so the cosine is w12 / eps = 1e-2. */
  g_assert_cmpfloat_with_epsilon (metrics.cosine_sim, (double) 1e-5f * 1e-5f / 1e-8, 1e-12);
}

static void
test_metrics_nan_reconstruction (void)
{
  const float o[] = { 1.0f, 2.0f, 3.0f };
  const float r[] = { 1.0f, NAN, 3.0f };
  QsMetrics metrics;

  compute_metrics (&metrics, o, r, G_N_ELEMENTS (o));

  g_assert_true (isnan (metrics.nmse));
  g_assert_true (isinf (metrics.sqnr_db) && metrics.sqnr_db > 0);
  g_assert_true (isnan (metrics.max_abs_err));
}

static void
test_metrics_failed (void)
{
  QsMetrics metrics;

  memset (&metrics, 0, sizeof metrics);
  qs_metrics_set_failed (&metrics);

  g_assert_true (isinf (metrics.nmse) && metrics.nmse > 0);
  g_assert_true (isinf (metrics.sqnr_db) && metrics.sqnr_db < 0);
  g_assert_cmpfloat (metrics.cosine_sim, ==, 0.0);
  g_assert_true (isinf (metrics.max_abs_err) && metrics.max_abs_err > 0);
  g_assert_true (isinf (metrics.relative_l2) && metrics.relative_l2 > 0);
}

static void
test_metrics_merge_matches_whole (void)
{
  const gsize n = 10007;
  g_autofree float *o = g_new (float, n);
  g_autofree float *r = g_new (float, n);
  QsErrorSums whole;
  QsErrorSums parts;
  QsErrorSums part;
  double naive_sq = 0.0;
  double naive_dot = 0.0;
  double naive_rr = 0.0;
  double naive_max = 0.0;
  GRand *rand = g_rand_new_with_seed (7);

  for (gsize i = 0; i < n; i++)
    {
      o[i] = (float) g_rand_double_range (rand, -3.0, 3.0);
      r[i] = o[i] + (float) g_rand_double_range (rand, -0.01, 0.01);
      naive_sq += ((double) o[i] - r[i]) * ((double) o[i] - r[i]);
      naive_dot += (double) o[i] * r[i];
      naive_rr += (double) r[i] * r[i];
      naive_max = MAX (naive_max, fabsf (o[i] - r[i]));
    }
  g_rand_free (rand);

  qs_error_sums_clear (&whole);
  qs_error_sums_add (&whole, o, r, n);

  qs_error_sums_clear (&parts);
  for (gsize start = 0; start < n; start += 1000)
    {
      qs_error_sums_clear (&part);
      qs_error_sums_add (&part, o + start, r + start, MIN (1000, n - start));
      qs_error_sums_merge (&parts, &part);
    }

  g_assert_cmpuint (whole.n, ==, n);
  g_assert_cmpuint (parts.n, ==, n);
  g_assert_cmpfloat_with_epsilon (whole.sum_sq_err / naive_sq, 1.0, 1e-13);
  g_assert_cmpfloat_with_epsilon (parts.sum_sq_err / naive_sq, 1.0, 1e-13);
  g_assert_cmpfloat_with_epsilon (whole.sum_dot / naive_dot, 1.0, 1e-13);
  g_assert_cmpfloat_with_epsilon (parts.sum_dot / naive_dot, 1.0, 1e-13);
  g_assert_cmpfloat_with_epsilon (whole.sum_recon_sq / naive_rr, 1.0, 1e-13);
  g_assert_cmpfloat (whole.max_abs_err, ==, naive_max);
  g_assert_cmpfloat (parts.max_abs_err, ==, naive_max);
}

/* The values behind the expected statistics below. The constants were
 * computed with NumPy in float64 from the same formula:
 * k = (i·7919 mod 201) − 100, x = float32(k³ / 65536), every 97th value
 * multiplied by 8 in float32. */
static float *
make_heavy_tailed (gsize n)
{
  float *x = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    {
      double k = (double) ((i * 7919) % 201) - 100.0;

      x[i] = (float) (k * k * k / 65536.0);
      if (i % 97 == 0)
        x[i] *= 8.0f;
    }

  return x;
}

static void
test_weight_stats_against_numpy (void)
{
  g_autofree float *x = make_heavy_tailed (1000);
  QsWeightStats stats;

  qs_weight_stats_compute (&stats, x, 1000);

  g_assert_cmpfloat_with_epsilon (stats.kurtosis, 77.13699751443183, 1e-10);
  g_assert_cmpfloat (stats.outlier_ratio, ==, 0.005);
  g_assert_cmpfloat (stats.dynamic_range_ratio, ==, 64.0);
  g_assert_cmpfloat (stats.absmax, ==, 122.0703125);
  g_assert_cmpuint (stats.n_nan, ==, 0);
  g_assert_cmpuint (stats.n_inf, ==, 0);
  g_assert_cmpint (stats.first_non_finite, ==, -1);
}

static void
test_weight_stats_lower_median_odd (void)
{
  const float x[] = { 3.0f, -1.0f, 2.0f };
  QsWeightStats stats;

  qs_weight_stats_compute (&stats, x, G_N_ELEMENTS (x));

  /* |x| sorted is 1, 2, 3: the median is 2. */
  g_assert_cmpfloat (stats.dynamic_range_ratio, ==, 1.5);
}

static void
test_weight_stats_lower_median_even (void)
{
  const float x[] = { 4.0f, -1.0f, 3.0f, -2.0f };
  QsWeightStats stats;

  qs_weight_stats_compute (&stats, x, G_N_ELEMENTS (x));

  /* torch.median takes the lower of the two middle values, 2 rather
   * than 2.5. */
  g_assert_cmpfloat (stats.dynamic_range_ratio, ==, 2.0);
}

static void
test_weight_stats_median_low_bits (void)
{
  float x[5];
  QsWeightStats stats;

  /* Values that share their high 16 bits test the second radix level. */
  x[0] = 1.0f;
  x[1] = nextafterf (1.0f, 2.0f);
  x[2] = nextafterf (x[1], 2.0f);
  x[3] = nextafterf (x[2], 2.0f);
  x[4] = 4.0f;

  qs_weight_stats_compute (&stats, x, G_N_ELEMENTS (x));

  g_assert_cmpfloat (stats.dynamic_range_ratio, ==, 4.0 / (double) x[2]);
}

static int
compare_floats (const void *a,
                const void *b)
{
  float fa = *(const float *) a;
  float fb = *(const float *) b;

  return (fa > fb) - (fa < fb);
}

static void
test_weight_stats_median_random (void)
{
  const gsize sizes[] = { 2, 99, 100, 65537, 200000 };

  for (guint t = 0; t < G_N_ELEMENTS (sizes); t++)
    {
      gsize n = sizes[t];
      g_autofree float *x = g_new (float, n);
      g_autofree float *sorted = g_new (float, n);
      GRand *rand = g_rand_new_with_seed (100 + t);
      QsWeightStats stats;
      float absmax = 0.0f;

      for (gsize i = 0; i < n; i++)
        {
          /* Few distinct values, so ties are common. */
          x[i] = (float) (g_rand_int_range (rand, -300, 300)) / 64.0f;
          if (i == 0)
            x[i] = 9.0f;
          sorted[i] = fabsf (x[i]);
          absmax = MAX (absmax, sorted[i]);
        }
      g_rand_free (rand);
      qsort (sorted, n, sizeof (float), compare_floats);

      qs_weight_stats_compute (&stats, x, n);

      g_assert_cmpfloat (stats.absmax, ==, absmax);
      if (sorted[(n - 1) / 2] == 0.0f)
        g_assert_true (isinf (stats.dynamic_range_ratio));
      else
        g_assert_cmpfloat (stats.dynamic_range_ratio, ==,
                           (double) absmax / (double) sorted[(n - 1) / 2]);
    }
}

static void
test_weight_stats_zero_median (void)
{
  const float x[] = { 0.0f, 0.0f, 5.0f, 0.0f };
  QsWeightStats stats;

  qs_weight_stats_compute (&stats, x, G_N_ELEMENTS (x));

  g_assert_true (isinf (stats.dynamic_range_ratio));
  g_assert_cmpfloat (stats.absmax, ==, 5.0);
}

static void
test_weight_stats_constant (void)
{
  const float x[] = { 0.5f, 0.5f, 0.5f, 0.5f, 0.5f };
  QsWeightStats stats;

  qs_weight_stats_compute (&stats, x, G_N_ELEMENTS (x));

  g_assert_true (isinf (stats.kurtosis));
  g_assert_cmpfloat (stats.outlier_ratio, ==, 0.0);
  g_assert_cmpfloat (stats.dynamic_range_ratio, ==, 1.0);
}

static void
test_weight_stats_outliers (void)
{
  float x[100];
  QsWeightStats stats;

  for (guint i = 0; i < 100; i++)
    x[i] = (i % 2 == 0) ? 1.0f : -1.0f;
  x[10] = 100.0f;
  x[11] = -100.0f;

  qs_weight_stats_compute (&stats, x, 100);

  /* The mean is 0, σ² = (98 + 2·10⁴)/99 ≈ 203, 3σ ≈ 42.7: exactly the two
   * ±100 values are outliers. */
  g_assert_cmpfloat (stats.outlier_ratio, ==, 0.02);
  g_assert_cmpfloat_with_epsilon (stats.kurtosis,
                                  ((98.0 + 2e8) / 100.0) / pow ((98.0 + 2e4) / 99.0, 2.0),
                                  1e-12);
}

static void
test_weight_stats_non_finite (void)
{
  const float x[] = { 1.0f, NAN, 2.0f, INFINITY, 3.0f, -INFINITY, -NAN };
  const float finite[] = { 1.0f, 2.0f, 3.0f };
  QsWeightStats stats;
  QsWeightStats expected;

  qs_weight_stats_compute (&stats, x, G_N_ELEMENTS (x));
  qs_weight_stats_compute (&expected, finite, G_N_ELEMENTS (finite));

  g_assert_cmpuint (stats.n_nan, ==, 2);
  g_assert_cmpuint (stats.n_inf, ==, 2);
  g_assert_cmpint (stats.first_non_finite, ==, 1);
  g_assert_cmpfloat (stats.absmax, ==, 3.0);
  g_assert_cmpfloat (stats.kurtosis, ==, expected.kurtosis);
  g_assert_cmpfloat (stats.outlier_ratio, ==, expected.outlier_ratio);
  g_assert_cmpfloat (stats.dynamic_range_ratio, ==, 1.5);
}

static void
test_weight_stats_first_non_finite_late (void)
{
  const gsize n = 200000;
  g_autofree float *x = g_new (float, n);
  QsWeightStats stats;

  for (gsize i = 0; i < n; i++)
    x[i] = (float) (i % 13) - 6.0f;
  x[150001] = INFINITY;
  x[190000] = NAN;

  qs_weight_stats_compute (&stats, x, n);

  g_assert_cmpint (stats.first_non_finite, ==, 150001);
  g_assert_cmpuint (stats.n_inf, ==, 1);
  g_assert_cmpuint (stats.n_nan, ==, 1);
}

static void
test_weight_stats_one_finite (void)
{
  const float x[] = { NAN, -2.0f };
  QsWeightStats stats;

  qs_weight_stats_compute (&stats, x, G_N_ELEMENTS (x));

  g_assert_true (isinf (stats.kurtosis));
  g_assert_cmpfloat (stats.outlier_ratio, ==, 0.0);
  g_assert_cmpfloat (stats.dynamic_range_ratio, ==, 1.0);
  g_assert_cmpfloat (stats.absmax, ==, 2.0);
  g_assert_cmpint (stats.first_non_finite, ==, 0);
}

static void
test_weight_stats_all_non_finite (void)
{
  const float x[] = { NAN, INFINITY };
  QsWeightStats stats;

  qs_weight_stats_compute (&stats, x, G_N_ELEMENTS (x));

  g_assert_cmpuint (stats.n_nan, ==, 1);
  g_assert_cmpuint (stats.n_inf, ==, 1);
  g_assert_cmpint (stats.first_non_finite, ==, 0);
  g_assert_cmpfloat (stats.absmax, ==, 0.0);
  g_assert_true (isinf (stats.kurtosis));
  g_assert_true (isinf (stats.dynamic_range_ratio));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qs/engine/metrics/hand-computed", test_metrics_hand_computed);
  g_test_add_func ("/qs/engine/metrics/reference-stats", test_metrics_reference_stats);
  g_test_add_func ("/qs/engine/metrics/single-value", test_metrics_single_value);
  g_test_add_func ("/qs/engine/metrics/zero-variance", test_metrics_zero_variance);
  g_test_add_func ("/qs/engine/metrics/exact-reconstruction", test_metrics_exact_reconstruction);
  g_test_add_func ("/qs/engine/metrics/zero-original", test_metrics_zero_original);
  g_test_add_func ("/qs/engine/metrics/cosine-eps-clamp", test_metrics_cosine_eps_clamp);
  g_test_add_func ("/qs/engine/metrics/nan-reconstruction", test_metrics_nan_reconstruction);
  g_test_add_func ("/qs/engine/metrics/failed", test_metrics_failed);
  g_test_add_func ("/qs/engine/metrics/merge-matches-whole", test_metrics_merge_matches_whole);
  g_test_add_func ("/qs/engine/weight-stats/against-numpy", test_weight_stats_against_numpy);
  g_test_add_func ("/qs/engine/weight-stats/lower-median-odd", test_weight_stats_lower_median_odd);
  g_test_add_func ("/qs/engine/weight-stats/lower-median-even", test_weight_stats_lower_median_even);
  g_test_add_func ("/qs/engine/weight-stats/median-low-bits", test_weight_stats_median_low_bits);
  g_test_add_func ("/qs/engine/weight-stats/median-random", test_weight_stats_median_random);
  g_test_add_func ("/qs/engine/weight-stats/zero-median", test_weight_stats_zero_median);
  g_test_add_func ("/qs/engine/weight-stats/constant", test_weight_stats_constant);
  g_test_add_func ("/qs/engine/weight-stats/outliers", test_weight_stats_outliers);
  g_test_add_func ("/qs/engine/weight-stats/non-finite", test_weight_stats_non_finite);
  g_test_add_func ("/qs/engine/weight-stats/first-non-finite-late", test_weight_stats_first_non_finite_late);
  g_test_add_func ("/qs/engine/weight-stats/one-finite", test_weight_stats_one_finite);
  g_test_add_func ("/qs/engine/weight-stats/all-non-finite", test_weight_stats_all_non_finite);

  return g_test_run ();
}
