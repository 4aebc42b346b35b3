/* qs-metrics.h: reconstruction error metrics and weight statistics
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * QsMetrics:
 * @nmse: mean squared error over the unbiased variance of the original;
 *   +inf when the variance is 0 or the format failed
 * @sqnr_db: −10·log10(nmse): −inf for an infinite nmse, +inf for 0
 * @cosine_sim: cosine similarity of the flattened tensors (0 when failed)
 * @max_abs_err: the largest absolute error
 * @relative_l2: ‖o − r‖ / ‖o‖; +inf when ‖o‖ is 0
 *
 * The analysis script's metrics for one layer in one format.
 */
typedef struct
{
  double nmse;
  double sqnr_db;
  double cosine_sim;
  double max_abs_err;
  double relative_l2;
} QsMetrics;

/**
 * QsErrorSums:
 *
 * Partial sums for QsMetrics, accumulated in double so that the order of
 * row blocks and threads changes results only in the last bits. Merge
 * partial sums with qs_error_sums_merge().
 */
typedef struct
{
  guint64 n;
  double  sum_sq_err;
  double  sum_dot;
  double  sum_recon_sq;
  double  max_abs_err;
} QsErrorSums;

/**
 * QsReferenceStats:
 * @n: the element count
 * @mean: the mean of the original
 * @sum_sq: Σ o²
 * @variance: the unbiased (N − 1) variance, from a two-pass sum; NaN for
 *   a single value, as in PyTorch
 *
 * Statistics of the original weight that every format's metrics divide by.
 */
typedef struct
{
  guint64 n;
  double  mean;
  double  sum_sq;
  double  variance;
} QsReferenceStats;

/**
 * QsWeightStats:
 * @kurtosis: mean((x − μ)⁴) / var², var unbiased; +inf when var is 0
 * @outlier_ratio: the fraction of values with |x − μ| > 3σ
 * @dynamic_range_ratio: max|x| / lower median |x|; +inf when the median is 0
 * @absmax: max|x|
 * @n_nan: NaN values
 * @n_inf: ±Inf values
 * @first_non_finite: the flat index of the first NaN or Inf, or -1
 */
typedef struct
{
  double  kurtosis;
  double  outlier_ratio;
  double  dynamic_range_ratio;
  double  absmax;
  guint64 n_nan;
  guint64 n_inf;
  gint64  first_non_finite;
} QsWeightStats;

void     qs_error_sums_clear      (QsErrorSums            *sums);
/* Adds @n pairs of original @o and reconstruction @r. */
void     qs_error_sums_add        (QsErrorSums            *sums,
                                   const float            *o,
                                   const float            *r,
                                   gsize                   n);
void     qs_error_sums_merge      (QsErrorSums            *into,
                                   const QsErrorSums      *from);

/* Computes the reference statistics of @o in two passes. The sums run
 * over fixed chunks added in order, so the result does not depend on the
 * OpenMP thread count. */
void     qs_reference_stats_compute (QsReferenceStats     *stats,
                                     const float          *o,
                                     gsize                 n);

/* Turns partial sums into metrics with the script's definitions and its
 * infinities (see QsMetrics). */
void     qs_metrics_from_sums     (QsMetrics              *metrics,
                                   const QsErrorSums      *sums,
                                   const QsReferenceStats *reference);
/* Sets the script's values for a format that failed: nmse +inf,
 * sqnr −inf, cosine 0, max_abs_err +inf, relative_l2 +inf. */
void     qs_metrics_set_failed    (QsMetrics              *metrics);

/* Computes the weight statistics. NaN and Inf values are counted and left
 * out of the other statistics. With fewer than two finite values the
 * kurtosis is +inf and the outlier ratio 0. */
void     qs_weight_stats_compute  (QsWeightStats          *stats,
                                   const float            *w,
                                   gsize                   n);

G_END_DECLS
