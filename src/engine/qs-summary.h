/* qs-summary.h: classification and the summary every output reads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "qs-analysis.h"
#include "qs-sdnq-config.h"

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
 * QsSummaryAxis:
 * @QS_SUMMARY_AXIS_DTYPE: the columns are the tested dtypes (one group size)
 * @QS_SUMMARY_AXIS_GROUP_SIZE: the columns are the tested group sizes of
 *   the primary dtype (more than one group size was requested)
 */
typedef enum
{
  QS_SUMMARY_AXIS_DTYPE,
  QS_SUMMARY_AXIS_GROUP_SIZE,
} QsSummaryAxis;

/**
 * QsSvdComparison:
 * @rank: the requested SVD rank
 * @raw_nmse: the primary dtype's raw NMSE at the first group size
 * @svd_nmse: the same format with the SVD branch at @rank
 * @improvement: @raw_nmse / @svd_nmse (INF when @svd_nmse is 0, NAN when
 *   either is missing or infinite)
 * @raw_verdict: the layer's verdict from the raw rows
 * @svd_verdict: the verdict the same rules give on the SVD rows at @rank
 * @rescued: SVD moves the layer from PROMOTE or SKIP to OK
 *
 * Raw against SVD for one layer at one rank.
 */
typedef struct
{
  guint     rank;
  double    raw_nmse;
  double    svd_nmse;
  double    improvement;
  QsVerdict raw_verdict;
  QsVerdict svd_verdict;
  gboolean  rescued;
} QsSvdComparison;

/**
 * QsAutoChoice:
 * @skip: no combination reaches the promote threshold; the layer stays
 *   unquantized and is costed at FP16
 * @dtype: (nullable): the chosen dtype (canonical name), %NULL for SKIP
 * @requested_group_size: the requested group size of the chosen format
 * @group_size: the group size SDNQ uses for it, -1 for row-wise
 * @svd_rank: the chosen SVD rank, 0 for none
 * @nmse: the chosen format's NMSE (the best NMSE seen for SKIP)
 * @bytes: the chosen format's size by the cost model
 * @fp16_bytes: the layer's size in FP16
 * @uniform_bytes: the size of the uniform configuration (primary dtype,
 *   first group size, no SVD)
 *
 * The cheapest passing combination of one layer.
 */
typedef struct
{
  gboolean    skip;
  const char *dtype;
  gint64      requested_group_size;
  gint64      group_size;
  guint       svd_rank;
  double      nmse;
  guint64     bytes;
  guint64     fp16_bytes;
  guint64     uniform_bytes;
} QsAutoChoice;

/**
 * QsSizeTotals:
 * @component: (nullable): the component, or %NULL for the whole model
 * @fp16_bytes: every analysed layer in FP16
 * @uniform_bytes: the uniform configuration
 * @recommended_bytes: the auto-config recommendation
 * @savings_vs_fp16: the recommendation's saving against FP16, in percent
 * @savings_vs_uniform: the saving against the uniform configuration, in
 *   percent (negative when the recommendation is larger)
 *
 * Size estimates of the analysed layers. Tensors that are not layers are
 * not counted.
 */
typedef struct
{
  char    *component;
  guint64  fp16_bytes;
  guint64  uniform_bytes;
  guint64  recommended_bytes;
  double   savings_vs_fp16;
  double   savings_vs_uniform;
} QsSizeTotals;

/**
 * QsComponentConfig:
 * @component: the component (subfolder) name
 * @config: the SDNQConfig that applies the summary's decisions
 *
 * One component's config, for the snippet and the pipeline JSON.
 */
typedef struct
{
  char         *component;
  QsSdnqConfig *config;
} QsComponentConfig;

/**
 * QsLayerSummary:
 * @layer: the layer
 * @verdict: its classification
 * @promote_to: (nullable): for PROMOTE, the column it is promoted to: a
 *   dtype name, or in group-size mode the column label ("g32")
 * @promote_column: the index of that column, or -1
 * @nmse: (array length=n_columns): the NMSE of each column of the summary,
 *   NAN where the format was not evaluated
 * @group_size: (array length=n_columns): the group size each column's
 *   format really uses on this layer (-1 row-wise or failed)
 * @primary_nmse: the NMSE of the primary column
 * @n_svd: the number of SVD comparisons (one per rank)
 * @svd: (array length=n_svd) (nullable): raw against SVD, when both were
 *   tested in dtype mode
 * @auto_choice: the auto-config choice, when the summary has one
 */
typedef struct
{
  QsLayerResult   *layer;
  QsVerdict        verdict;
  const char      *promote_to;
  int              promote_column;
  double          *nmse;
  gint64          *group_size;
  double           primary_nmse;
  guint            n_svd;
  QsSvdComparison *svd;
  QsAutoChoice     auto_choice;
} QsLayerSummary;

/**
 * QsSummaryOptions:
 * @skip_threshold: NMSE above which a format is unusable
 * @promote_threshold: NMSE above which the primary column is not good enough
 * @top_n: how many of the worst layers to list
 * @auto_config: search the cheapest passing combination per layer
 */
typedef struct
{
  double   skip_threshold;
  double   promote_threshold;
  guint    top_n;
  gboolean auto_config;
} QsSummaryOptions;

/**
 * QsSummary:
 * @skip_threshold: the skip threshold used
 * @promote_threshold: the promote threshold used
 * @top_n: the requested length of @top
 * @axis: what the columns compare
 * @n_columns: the number of comparison columns
 * @columns: (array length=n_columns): the column labels: dtype names with
 *   the primary first, or in group-size mode "g16", "g32", "auto" (0) and
 *   "row-wise" (-1)
 * @column_group_sizes: (array length=n_columns): in group-size mode, the
 *   requested group size of each column
 * @primary_dtype: the primary dtype
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
 *   NMSE (by the recommended NMSE with auto-config), INF first; unowned
 *   pointers into @layers
 * @n_skipped_tensors: tensors that were listed but not analysed
 * @n_components: the number of components the layers come from
 * @has_svd_comparison: raw and SVD were both tested in dtype mode
 * @n_svd_ranks: the ranks compared
 * @svd_ranks: (array length=n_svd_ranks): the ranks compared
 * @n_svd_rescued: (array length=n_svd_ranks): layers that SVD at each rank
 *   moves from PROMOTE or SKIP to OK
 * @has_auto_config: the summary contains auto-config choices and sizes
 * @n_auto_skip: layers that auto-config leaves unquantized
 * @component_totals: (element-type QsSizeTotals): sizes per component,
 *   with auto-config
 * @total: the sizes over every component, with auto-config
 * @configs: (element-type QsComponentConfig): one config per component,
 *   from the auto-config choices when present, otherwise from the verdicts
 * @n_kernel_unfriendly: layers flagged "kernel-unfriendly-width": a
 *   dimension that is not a multiple of 16, which int8 and fp8 matmul
 *   kernels handle on slow paths
 * @n_constant_groups: layers with at least one constant quantization group
 * @n_sdnq_default_skip: layers flagged "sdnq-default-skip": their names
 *   match SDNQ's common skip keys (embedders, proj_in/proj_out, final
 *   layers, lm_head), which SDNQ leaves unquantized by default
 *
 * Everything the terminal table, the reports and the app show, derived
 * from an analysis result and thresholds without recomputing any metric.
 */
typedef struct
{
  double         skip_threshold;
  double         promote_threshold;
  guint          top_n;
  QsSummaryAxis  axis;
  guint          n_columns;
  char         **columns;
  gint64        *column_group_sizes;
  char          *primary_dtype;
  gboolean       uses_svd_rows;
  guint          classify_svd_rank;
  gint64         classify_group_size;
  guint          n_layers;
  guint          n_ok;
  guint          n_promote;
  guint          n_skip;
  guint          n_error;
  guint          n_finite;
  guint          n_infinite;
  double         nmse_mean;
  double         nmse_median;
  double         nmse_worst;
  GPtrArray     *layers;
  GPtrArray     *top;
  guint          n_skipped_tensors;
  guint          n_components;
  gboolean       has_svd_comparison;
  guint          n_svd_ranks;
  guint         *svd_ranks;
  guint         *n_svd_rescued;
  gboolean       has_auto_config;
  guint          n_auto_skip;
  GPtrArray     *component_totals;
  QsSizeTotals   total;
  GPtrArray     *configs;
  guint          n_kernel_unfriendly;
  guint          n_constant_groups;
  guint          n_sdnq_default_skip;
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
 * NMSE is above @skip_threshold. It is OK when the primary dtype's NMSE is
 * at or under @promote_threshold. Otherwise it is PROMOTE to the first dtype
 * in list order that reaches @promote_threshold, or SKIP when none does.
 * INF is above every threshold.
 *
 * Returns: (transfer full): the summary
 */
QsSummary  *qs_summary_new               (QsAnalysisResult     *result,
                                          double                skip_threshold,
                                          double                promote_threshold,
                                          guint                 top_n);
void        qs_summary_free              (QsSummary            *self);

/**
 * qs_summary_new_full:
 *
 * Like qs_summary_new(), with auto-config when @options requests it. In
 * group-size mode (more than one group size in the settings) the columns
 * are the primary dtype's group sizes and a layer is PROMOTE to the first
 * group size that reaches the promote threshold.
 *
 * Returns: (transfer full): the summary
 */
QsSummary  *qs_summary_new_full          (QsAnalysisResult       *result,
                                          const QsSummaryOptions *options);

/**
 * qs_summary_build_pipeline_config:
 * @style: how per-layer group size and SVD are written
 *
 * Returns: (transfer full): a JSON object from component to its SDNQConfig
 *   keyword arguments, the analysis script's pipeline-config shape
 */
JsonNode   *qs_summary_build_pipeline_config (const QsSummary    *self,
                                              QsConfigStyle       style);

/**
 * qs_format_cost_bytes:
 * @dtype: the weight dtype
 * @shape: the layer shape
 * @ndim: its dimensions
 * @group_size: the resolved group size, -1 for row-wise, -2 tensor-wise
 * @svd_rank: the SVD rank, 0 for none
 *
 * Estimates a quantized layer's size with the analysis script's cost model.
 * The codes take numel·bits/8 bytes and the FP16 scales ceil(numel /
 * group_size)·2 (out_features·2 row-wise and tensor-wise). Unsigned dtypes
 * add as much again for the zero points. SVD factors add
 * (out·rank + rank·in)·2, where in is the product of every dimension after
 * the first.
 *
 * Returns: the size in bytes, rounded up
 */
guint64     qs_format_cost_bytes         (const QsDtype        *dtype,
                                          const gint64         *shape,
                                          guint                 ndim,
                                          gint64                group_size,
                                          guint                 svd_rank);

/**
 * qs_format_group_size_label:
 *
 * Returns: (transfer full): "g32" for 32, "auto" for 0, "row-wise" for -1
 */
char       *qs_format_group_size_label   (gint64                group_size);

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
