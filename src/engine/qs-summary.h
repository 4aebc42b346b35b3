/* qs-summary.h: classification and the summary every output reads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "qs-analysis.h"

G_BEGIN_DECLS

/**
 * QsVerdict:
 * @QS_VERDICT_OK: the primary dtype's NMSE is at or under the promote threshold
 * @QS_VERDICT_PROMOTE: the primary dtype is above the promote threshold and a
 *   later dtype in the list is at or under it
 * @QS_VERDICT_SKIP: every dtype is above the skip threshold, or none reaches
 *   the promote threshold; the layer stays unquantized
 * @QS_VERDICT_ERROR: the layer could not be analysed (non-finite values, a
 *   read failure); it is left out of every statistic
 */
typedef enum
{
  QS_VERDICT_OK,
  QS_VERDICT_PROMOTE,
  QS_VERDICT_SKIP,
  QS_VERDICT_ERROR,
} QsVerdict;

const char *qs_verdict_to_string (QsVerdict verdict);

/**
 * QsLayerSummary:
 * @layer: the layer
 * @verdict: its classification
 * @promote_to: (nullable): for PROMOTE, the dtype it is promoted to
 * @nmse: (array length=n_columns): the NMSE of each column of the
 *   summary (one per dtype), NAN where the format was not evaluated
 * @primary_nmse: the NMSE of the primary column
 */
typedef struct
{
  QsLayerResult *layer;
  QsVerdict      verdict;
  const char    *promote_to;
  double        *nmse;
  double         primary_nmse;
} QsLayerSummary;

/**
 * QsSummary:
 * @skip_threshold: the skip threshold used
 * @promote_threshold: the promote threshold used
 * @top_n: the requested length of @top
 * @n_columns: the number of comparison columns
 * @columns: (array length=n_columns): the column labels, the dtype names
 *   with the primary first
 * @uses_svd_rows: TRUE when raw formats were not evaluated and the
 *   classification reads the SVD rows at the first rank
 * @classify_svd_rank: the SVD rank read (0 for raw rows)
 * @classify_group_size: the requested group size read (the first one)
 * @n_layers: analysed layers, errors included
 * @n_ok: OK layers
 * @n_promote: PROMOTE layers
 * @n_skip: SKIP layers
 * @n_error: ERROR layers
 * @n_finite: primary NMSE values that are finite
 * @n_infinite: primary NMSE values that are INF
 * @nmse_mean: the mean of the finite primary NMSE values (NAN when none)
 * @nmse_median: their median
 * @nmse_worst: their largest value
 * @layers: (element-type QsLayerSummary): every layer, in analysis order
 * @top: (element-type QsLayerSummary): the @top_n worst layers by primary
 *   NMSE, INF first; unowned pointers into @layers
 * @n_skipped_tensors: tensors that were listed but not analysed
 *
 * Everything the terminal table, the reports and the app show, derived
 * from an analysis result and thresholds without recomputing any metric.
 */
typedef struct
{
  double      skip_threshold;
  double      promote_threshold;
  guint       top_n;
  guint       n_columns;
  char      **columns;
  gboolean    uses_svd_rows;
  guint       classify_svd_rank;
  gint64      classify_group_size;
  guint       n_layers;
  guint       n_ok;
  guint       n_promote;
  guint       n_skip;
  guint       n_error;
  guint       n_finite;
  guint       n_infinite;
  double      nmse_mean;
  double      nmse_median;
  double      nmse_worst;
  GPtrArray  *layers;
  GPtrArray  *top;
  guint       n_skipped_tensors;
} QsSummary;

/**
 * qs_summary_new:
 * @result: an analysis result, complete or partial
 * @skip_threshold: NMSE above which a dtype is unusable
 * @promote_threshold: NMSE above which the primary dtype is not good enough
 * @top_n: how many of the worst layers to list
 *
 * Classifies every layer with the analysis script's rules: it reads the
 * raw rows (the SVD rows at the first rank when raw formats were not
 * evaluated) at the first group size. A layer is SKIP when every dtype's
 * NMSE is above @skip_threshold; otherwise it is PROMOTE to the first dtype
 * in list order at or under @promote_threshold when the primary dtype is
 * above it, or SKIP when none is; otherwise OK. INF is above every threshold.
 *
 * Returns: (transfer full): the summary
 */
QsSummary  *qs_summary_new               (QsAnalysisResult     *result,
                                          double                skip_threshold,
                                          double                promote_threshold,
                                          guint                 top_n);
void        qs_summary_free              (QsSummary            *self);

/**
 * qs_layer_summary_format_verdict:
 *
 * Returns: (transfer full): "OK", ">uint8" for a promotion, "SKIP" or "ERROR"
 */
char       *qs_layer_summary_format_verdict (const QsLayerSummary *layer);

/**
 * qs_format_nmse:
 *
 * Returns: (transfer full): @nmse for people: "INF" for infinity, "-" for
 *   NAN (not evaluated), otherwise four significant digits in exponent form
 */
char       *qs_format_nmse               (double                nmse);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsSummary, qs_summary_free)

G_END_DECLS
