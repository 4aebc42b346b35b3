/* qs-metrics.c: reconstruction error metrics and weight statistics
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "qs-metrics.h"

/* Long reductions run over fixed chunks whose partial sums are added in
 * chunk order, so the result does not depend on the number of threads. */
#define CHUNK_SIZE ((gsize) 1 << 16)

/* PyTorch's default eps of torch.nn.functional.cosine_similarity. The
 * product of the squared norms is clamped to eps². */
#define COSINE_EPS 1e-8

void
qs_error_sums_clear (QsErrorSums *sums)
{
  g_return_if_fail (sums != NULL);

  memset (sums, 0, sizeof *sums);
}

/* On x86-64 Linux the error kernel is built twice, and the AVX2 copy is
 * picked at load time on CPUs that have it. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__)
# define QS_SUMS_CLONES __attribute__ ((target_clones ("default", "arch=x86-64-v3")))
#else
# define QS_SUMS_CLONES
#endif

/* Lanes of independent partial sums, so that GCC vectorises the loop
 * without reassociating a single running sum. */
#define SUM_LANES 8

static inline guint32
float_bits (float x)
{
  guint32 bits;

  memcpy (&bits, &x, sizeof bits);
  return bits;
}

QS_SUMS_CLONES static void
error_sums_kernel (const float *o,
                   const float *r,
                   gsize        n,
                   double      *sum_sq_err,
                   double      *sum_dot,
                   double      *sum_recon_sq,
                   guint32     *max_err_bits)
{
  double sq[SUM_LANES] = { 0 };
  double dot[SUM_LANES] = { 0 };
  double rr[SUM_LANES] = { 0 };
  gint32 mx[SUM_LANES] = { 0 };
  double sq_total = 0.0;
  double dot_total = 0.0;
  double rr_total = 0.0;
  gint32 mx_total = 0;
  gsize i = 0;
  guint j;

  for (; i + SUM_LANES <= n; i += SUM_LANES)
    {
      for (j = 0; j < SUM_LANES; j++)
        {
          double od = o[i + j];
          double rd = r[i + j];
          double d = od - rd;
          /* |a − b| is non-negative, so its bits order like its value and
           * a NaN has larger bits than +inf: the integer maximum keeps a
           * NaN, as torch.max does. PyTorch takes the maximum of the fp32
           * difference, not of the exact one. */
          gint32 e = (gint32) (float_bits (o[i + j] - r[i + j]) & 0x7fffffffu);

          sq[j] += d * d;
          dot[j] += od * rd;
          rr[j] += rd * rd;
          mx[j] = e > mx[j] ? e : mx[j];
        }
    }

  for (; i < n; i++)
    {
      double od = o[i];
      double rd = r[i];
      double d = od - rd;
      gint32 e = (gint32) (float_bits (o[i] - r[i]) & 0x7fffffffu);

      sq_total += d * d;
      dot_total += od * rd;
      rr_total += rd * rd;
      mx_total = e > mx_total ? e : mx_total;
    }

  for (j = 0; j < SUM_LANES; j++)
    {
      sq_total += sq[j];
      dot_total += dot[j];
      rr_total += rr[j];
      mx_total = mx[j] > mx_total ? mx[j] : mx_total;
    }

  *sum_sq_err = sq_total;
  *sum_dot = dot_total;
  *sum_recon_sq = rr_total;
  *max_err_bits = (guint32) mx_total;
}

void
qs_error_sums_add (QsErrorSums *sums,
                   const float *o,
                   const float *r,
                   gsize        n)
{
  double sum_sq_err;
  double sum_dot;
  double sum_recon_sq;
  guint32 max_err_bits;
  float max_err;

  g_return_if_fail (sums != NULL);
  g_return_if_fail (n == 0 || (o != NULL && r != NULL));

  if (n == 0)
    return;

  error_sums_kernel (o, r, n, &sum_sq_err, &sum_dot, &sum_recon_sq, &max_err_bits);
  memcpy (&max_err, &max_err_bits, sizeof max_err);

  sums->n += n;
  sums->sum_sq_err += sum_sq_err;
  sums->sum_dot += sum_dot;
  sums->sum_recon_sq += sum_recon_sq;
  if (max_err > sums->max_abs_err || isnan (max_err))
    sums->max_abs_err = max_err;
}

void
qs_error_sums_merge (QsErrorSums       *into,
                     const QsErrorSums *from)
{
  g_return_if_fail (into != NULL);
  g_return_if_fail (from != NULL);

  into->n += from->n;
  into->sum_sq_err += from->sum_sq_err;
  into->sum_dot += from->sum_dot;
  into->sum_recon_sq += from->sum_recon_sq;
  if (from->max_abs_err > into->max_abs_err || isnan (from->max_abs_err))
    into->max_abs_err = from->max_abs_err;
}

static gsize
n_chunks_for (gsize n)
{
  return (n + CHUNK_SIZE - 1) / CHUNK_SIZE;
}

void
qs_reference_stats_compute (QsReferenceStats *stats,
                            const float      *o,
                            gsize             n)
{
  gsize n_chunks;
  g_autofree double *sum_part = NULL;
  g_autofree double *sq_part = NULL;
  g_autofree double *dev_part = NULL;
  double sum = 0.0;
  double sum_sq = 0.0;
  double dev_sq = 0.0;
  double mean;

  g_return_if_fail (stats != NULL);
  g_return_if_fail (n == 0 || o != NULL);

  memset (stats, 0, sizeof *stats);
  stats->n = n;
  if (n == 0)
    return;

  n_chunks = n_chunks_for (n);
  sum_part = g_new0 (double, n_chunks);
  sq_part = g_new0 (double, n_chunks);
  dev_part = g_new0 (double, n_chunks);

#pragma omp parallel for schedule(static)
  for (gsize c = 0; c < n_chunks; c++)
    {
      gsize end = MIN (n, (c + 1) * CHUNK_SIZE);
      double s = 0.0;
      double s2 = 0.0;

      for (gsize i = c * CHUNK_SIZE; i < end; i++)
        {
          double x = o[i];

          s += x;
          s2 += x * x;
        }
      sum_part[c] = s;
      sq_part[c] = s2;
    }

  for (gsize c = 0; c < n_chunks; c++)
    {
      sum += sum_part[c];
      sum_sq += sq_part[c];
    }
  mean = sum / (double) n;

#pragma omp parallel for schedule(static)
  for (gsize c = 0; c < n_chunks; c++)
    {
      gsize end = MIN (n, (c + 1) * CHUNK_SIZE);
      double s = 0.0;

      for (gsize i = c * CHUNK_SIZE; i < end; i++)
        {
          double d = o[i] - mean;

          s += d * d;
        }
      dev_part[c] = s;
    }

  for (gsize c = 0; c < n_chunks; c++)
    dev_sq += dev_part[c];

  stats->mean = mean;
  stats->sum_sq = sum_sq;
  /* The unbiased variance of one value is 0/0, which is NaN in PyTorch.
   * It stays NaN here so that the metrics match the analysis script. */
  stats->variance = n > 1 ? dev_sq / (double) (n - 1) : NAN;
}

void
qs_metrics_from_sums (QsMetrics              *metrics,
                      const QsErrorSums      *sums,
                      const QsReferenceStats *reference)
{
  double mse;
  double norm_product;

  g_return_if_fail (metrics != NULL);
  g_return_if_fail (sums != NULL);
  g_return_if_fail (reference != NULL);

  mse = sums->n > 0 ? sums->sum_sq_err / (double) sums->n : NAN;

  if (reference->variance == 0.0)
    metrics->nmse = INFINITY;
  else
    metrics->nmse = mse / reference->variance;

  /* The script writes +inf unless nmse > 0, so a NaN nmse also gives +inf. */
  if (metrics->nmse > 0.0)
    metrics->sqnr_db = -10.0 * log10 (metrics->nmse);
  else
    metrics->sqnr_db = INFINITY;

  norm_product = reference->sum_sq * sums->sum_recon_sq;
  if (norm_product < COSINE_EPS * COSINE_EPS)
    norm_product = COSINE_EPS * COSINE_EPS;
  metrics->cosine_sim = sums->sum_dot / sqrt (norm_product);

  metrics->max_abs_err = sums->max_abs_err;

  if (reference->sum_sq == 0.0)
    metrics->relative_l2 = INFINITY;
  else
    metrics->relative_l2 = sqrt (sums->sum_sq_err) / sqrt (reference->sum_sq);
}

void
qs_metrics_set_failed (QsMetrics *metrics)
{
  g_return_if_fail (metrics != NULL);

  metrics->nmse = INFINITY;
  metrics->sqnr_db = -INFINITY;
  metrics->cosine_sim = 0.0;
  metrics->max_abs_err = INFINITY;
  metrics->relative_l2 = INFINITY;
}

static inline guint32
abs_bits (float x)
{
  guint32 bits;

  memcpy (&bits, &x, sizeof bits);
  return bits & 0x7fffffffu;
}

static inline float
float_from_bits (guint32 bits)
{
  float x;

  memcpy (&x, &bits, sizeof x);
  return x;
}

/* Finds the bin that contains the element of 0-based rank @k, and the
 * rank within that bin. */
static guint32
select_bin (const guint64 *hist,
            guint64        k,
            guint64       *rank_in_bin)
{
  guint64 cumulative = 0;

  for (guint32 b = 0; b < 65536; b++)
    {
      if (cumulative + hist[b] > k)
        {
          *rank_in_bin = k - cumulative;
          return b;
        }
      cumulative += hist[b];
    }

  g_assert_not_reached ();
  return 0;
}

/* Returns the lower median of |x| over the finite values, the element of
 * rank ⌊(n − 1)/2⌋ that torch.median returns. The bit patterns of
 * non-negative finite floats sort like the values, so a two-level radix
 * select over the high and low 16 bits finds it in two passes without a
 * copy of the weight. */
static float
lower_median_abs (const float *w,
                  gsize        n,
                  guint64      n_finite)
{
  g_autofree guint64 *hist = g_new0 (guint64, 65536);
  guint64 k = (n_finite - 1) / 2;
  guint64 rank_in_bin = 0;
  guint32 high;
  guint32 low;

#pragma omp parallel
  {
    g_autofree guint64 *local = g_new0 (guint64, 65536);

#pragma omp for schedule(static) nowait
    for (gsize i = 0; i < n; i++)
      if (isfinite (w[i]))
        local[abs_bits (w[i]) >> 16]++;

#pragma omp critical
    for (guint b = 0; b < 65536; b++)
      hist[b] += local[b];
  }

  high = select_bin (hist, k, &rank_in_bin);
  memset (hist, 0, 65536 * sizeof (guint64));

#pragma omp parallel
  {
    g_autofree guint64 *local = g_new0 (guint64, 65536);

#pragma omp for schedule(static) nowait
    for (gsize i = 0; i < n; i++)
      {
        guint32 bits = abs_bits (w[i]);

        if (isfinite (w[i]) && (bits >> 16) == high)
          local[bits & 0xffffu]++;
      }

#pragma omp critical
    for (guint b = 0; b < 65536; b++)
      hist[b] += local[b];
  }

  low = select_bin (hist, rank_in_bin, &rank_in_bin);

  return float_from_bits ((high << 16) | low);
}

void
qs_weight_stats_compute (QsWeightStats *stats,
                         const float   *w,
                         gsize          n)
{
  gsize n_chunks;
  g_autofree double *sum_part = NULL;
  g_autofree double *m2_part = NULL;
  g_autofree double *m4_part = NULL;
  g_autofree guint64 *finite_part = NULL;
  g_autofree guint64 *nan_part = NULL;
  g_autofree guint64 *outlier_part = NULL;
  g_autofree float *absmax_part = NULL;
  g_autofree gint64 *first_part = NULL;
  guint64 n_finite = 0;
  guint64 n_outliers = 0;
  double sum = 0.0;
  double m2 = 0.0;
  double m4 = 0.0;
  double mean;
  double variance;
  double threshold;
  float absmax = 0.0f;
  float median;

  g_return_if_fail (stats != NULL);
  g_return_if_fail (n == 0 || w != NULL);

  memset (stats, 0, sizeof *stats);
  stats->first_non_finite = -1;

  n_chunks = n_chunks_for (n);
  sum_part = g_new0 (double, n_chunks + 1);
  m2_part = g_new0 (double, n_chunks + 1);
  m4_part = g_new0 (double, n_chunks + 1);
  finite_part = g_new0 (guint64, n_chunks + 1);
  nan_part = g_new0 (guint64, n_chunks + 1);
  outlier_part = g_new0 (guint64, n_chunks + 1);
  absmax_part = g_new0 (float, n_chunks + 1);
  first_part = g_new0 (gint64, n_chunks + 1);

#pragma omp parallel for schedule(static)
  for (gsize c = 0; c < n_chunks; c++)
    {
      gsize end = MIN (n, (c + 1) * CHUNK_SIZE);
      double s = 0.0;
      guint64 finite = 0;
      guint64 nans = 0;
      float amax = 0.0f;
      gint64 first = -1;

      for (gsize i = c * CHUNK_SIZE; i < end; i++)
        {
          float x = w[i];

          if (isfinite (x))
            {
              s += x;
              finite++;
              if (fabsf (x) > amax)
                amax = fabsf (x);
            }
          else
            {
              if (isnan (x))
                nans++;
              if (first < 0)
                first = (gint64) i;
            }
        }
      sum_part[c] = s;
      finite_part[c] = finite;
      nan_part[c] = nans;
      absmax_part[c] = amax;
      first_part[c] = first;
    }

  for (gsize c = 0; c < n_chunks; c++)
    {
      sum += sum_part[c];
      n_finite += finite_part[c];
      stats->n_nan += nan_part[c];
      absmax = MAX (absmax, absmax_part[c]);
      if (stats->first_non_finite < 0 && first_part[c] >= 0)
        stats->first_non_finite = first_part[c];
    }
  stats->n_inf = (guint64) n - n_finite - stats->n_nan;
  stats->absmax = absmax;

  /* With fewer than two finite values the unbiased variance is undefined.
   * It is treated as 0, so the kurtosis is infinite as for any constant
   * weight. */
  if (n_finite < 2)
    {
      stats->kurtosis = INFINITY;
      stats->outlier_ratio = 0.0;
      if (n_finite == 1 && absmax != 0.0f)
        stats->dynamic_range_ratio = 1.0;
      else
        stats->dynamic_range_ratio = INFINITY;
      return;
    }

  mean = sum / (double) n_finite;

#pragma omp parallel for schedule(static)
  for (gsize c = 0; c < n_chunks; c++)
    {
      gsize end = MIN (n, (c + 1) * CHUNK_SIZE);
      double s2 = 0.0;
      double s4 = 0.0;

      for (gsize i = c * CHUNK_SIZE; i < end; i++)
        {
          double d;

          if (!isfinite (w[i]))
            continue;
          d = w[i] - mean;
          s2 += d * d;
          s4 += (d * d) * (d * d);
        }
      m2_part[c] = s2;
      m4_part[c] = s4;
    }

  for (gsize c = 0; c < n_chunks; c++)
    {
      m2 += m2_part[c];
      m4 += m4_part[c];
    }
  variance = m2 / (double) (n_finite - 1);

  if (variance == 0.0)
    stats->kurtosis = INFINITY;
  else
    stats->kurtosis = (m4 / (double) n_finite) / (variance * variance);

  threshold = 3.0 * sqrt (variance);

#pragma omp parallel for schedule(static)
  for (gsize c = 0; c < n_chunks; c++)
    {
      gsize end = MIN (n, (c + 1) * CHUNK_SIZE);
      guint64 count = 0;

      for (gsize i = c * CHUNK_SIZE; i < end; i++)
        if (isfinite (w[i]) && fabs (w[i] - mean) > threshold)
          count++;
      outlier_part[c] = count;
    }

  for (gsize c = 0; c < n_chunks; c++)
    n_outliers += outlier_part[c];
  stats->outlier_ratio = (double) n_outliers / (double) n_finite;

  median = lower_median_abs (w, n, n_finite);
  if (median == 0.0f)
    stats->dynamic_range_ratio = INFINITY;
  else
    stats->dynamic_range_ratio = (double) absmax / (double) median;
}
