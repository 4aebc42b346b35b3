/* qs-analysis.h: the analysis job, its settings and its result
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "qs-backend.h"
#include "qs-model.h"

G_BEGIN_DECLS

/**
 * QsLoadDtype:
 * @QS_LOAD_DTYPE_STORED: measure the weights exactly as stored, upcast to fp32
 * @QS_LOAD_DTYPE_BF16: round the weights to bfloat16 first, as the analysis
 *   script's `torch_dtype=bfloat16` load does; that rounding is not counted
 *   as error
 * @QS_LOAD_DTYPE_F16: round the weights to float16 first
 */
typedef enum
{
  QS_LOAD_DTYPE_STORED,
  QS_LOAD_DTYPE_BF16,
  QS_LOAD_DTYPE_F16,
} QsLoadDtype;

const char *qs_load_dtype_to_string   (QsLoadDtype  dtype);
gboolean    qs_load_dtype_from_string (const char  *str,
                                       QsLoadDtype *dtype);

#define QS_DEFAULT_SKIP_THRESHOLD    0.1
#define QS_DEFAULT_PROMOTE_THRESHOLD 0.01
#define QS_DEFAULT_TOP_N             30
#define QS_DEFAULT_SVD_RANK          32
#define QS_DEFAULT_SVD_STEPS         8

/**
 * QsAnalysisSettings:
 * @dtypes: (array zero-terminated=1): dtype names as given; the first is primary
 * @group_sizes: (array length=n_group_sizes): requested group sizes
 *   (0 automatic, -1 row-wise); the first one is used for classification
 * @svd_ranks: (array length=n_svd_ranks): requested SVD ranks
 * @svd_steps: power iterations of the randomized SVD
 * @use_raw: evaluate formats without a low-rank branch
 * @use_svd: evaluate formats with a low-rank branch at every rank
 * @skip_threshold: NMSE above which a dtype is unusable for a layer
 * @promote_threshold: NMSE above which the primary dtype is not good enough
 * @top_n: the number of worst layers the summary lists
 * @seed: the seed of every randomized SVD
 * @n_threads: CPU threads, 0 for every core
 * @load_dtype: how the weights are measured
 * @model_dtype: the dtype of the SVD factors and their product
 * @min_numel: layers with fewer elements are not analysed (0: no minimum)
 * @min_channels: layers with a smaller channel size are not analysed (0: none)
 * @components: (array zero-terminated=1) (nullable): "subfolder[:Class]"
 *   selections, %NULL for every component with weights
 * @cache_dir: (nullable): the first Hugging Face hub cache to search
 * @device: the compute device the user asked for ("cpu", "auto", ...)
 *
 * Everything an analysis run needs besides the model; copied into the
 * worker so later changes do not affect a running job.
 */
typedef struct
{
  char        **dtypes;
  gint64       *group_sizes;
  guint         n_group_sizes;
  guint        *svd_ranks;
  guint         n_svd_ranks;
  guint         svd_steps;
  gboolean      use_raw;
  gboolean      use_svd;
  double        skip_threshold;
  double        promote_threshold;
  guint         top_n;
  guint64       seed;
  guint         n_threads;
  QsLoadDtype   load_dtype;
  QsModelDtype  model_dtype;
  guint64       min_numel;
  gint64        min_channels;
  char        **components;
  char         *cache_dir;
  char         *device;
} QsAnalysisSettings;

#define QS_TYPE_ANALYSIS_SETTINGS (qs_analysis_settings_get_type ())

GType               qs_analysis_settings_get_type (void) G_GNUC_CONST;
/* Creates settings with the analysis script's defaults: uint4 uint6 uint8
 * int8, group size 0, SVD rank 32 with 8 steps, raw and SVD, thresholds
 * 0.1 and 0.01, top 30, seed 0, bf16 model dtype, weights as stored. */
QsAnalysisSettings *qs_analysis_settings_new      (void);
QsAnalysisSettings *qs_analysis_settings_copy     (const QsAnalysisSettings *self);
void                qs_analysis_settings_free     (QsAnalysisSettings       *self);
void                qs_analysis_settings_set_dtypes (QsAnalysisSettings     *self,
                                                   const char * const     *dtypes);
void                qs_analysis_settings_set_group_sizes (QsAnalysisSettings *self,
                                                          const gint64       *sizes,
                                                          guint               n_sizes);
void                qs_analysis_settings_set_svd_ranks (QsAnalysisSettings *self,
                                                        const guint        *ranks,
                                                        guint               n_ranks);

/**
 * qs_analysis_settings_validate:
 *
 * Checks the settings: at least one dtype, every dtype known, at least one
 * of raw and SVD, ranks and group sizes valid, thresholds positive with
 * promote ≤ skip.
 *
 * Returns: %FALSE with @error (%QS_ANALYSIS_ERROR_SETTINGS) saying what to
 *   change
 */
gboolean            qs_analysis_settings_validate (const QsAnalysisSettings *self,
                                                   GError                  **error);

/**
 * qs_analysis_settings_build_formats:
 * @n_formats: (out): the number of formats
 *
 * Lists the formats of the grid in the analysis script's order: for each
 * dtype, the raw formats (one per group size), then for each SVD rank the
 * SVD formats (one per group size).
 *
 * Returns: (transfer full) (array length=n_formats): the formats
 */
QsFormat           *qs_analysis_settings_build_formats (const QsAnalysisSettings *self,
                                                        guint                    *n_formats);

/**
 * QsFormatRecord:
 * @dtype: the canonical dtype name
 * @use_svd: whether the format has a low-rank branch
 * @svd_rank: the requested rank (0 for raw formats)
 * @effective_svd_rank: the rank the SVD produced (0 for raw formats)
 * @requested_group_size: as requested (0 automatic, -1 row-wise)
 * @group_size: as resolved for this layer (-1 row-wise or failed)
 * @metrics: the error metrics
 * @n_degenerate_groups: constant groups (scale 0)
 * @failed: whether quantization failed
 * @error: (nullable): why it failed
 *
 * One row of the analysis: one layer in one format.
 */
typedef struct
{
  char      *dtype;
  gboolean   use_svd;
  guint      svd_rank;
  guint      effective_svd_rank;
  gint64     requested_group_size;
  gint64     group_size;
  QsMetrics  metrics;
  guint64    n_degenerate_groups;
  gboolean   failed;
  char      *error;
} QsFormatRecord;

/**
 * QsLayerResult:
 * @component: the component name
 * @name: the parameter name ("blocks.0.attn.to_q.weight")
 * @kind: Linear, Conv or Embedding
 * @layer_class: "Linear", "Conv2d", "Embedding", ...
 * @tensor_dtype: the stored safetensors dtype ("BF16")
 * @ndim: the number of dimensions
 * @shape: the dimensions
 * @numel: the element count
 * @stats: weight statistics
 * @formats: (array length=n_formats): one record per evaluated format
 * @error: (nullable): why the layer could not be analysed (non-finite
 *   values, a read failure); such a layer has no format records
 * @flags: (array zero-terminated=1): informational flags, e.g.
 *   "kernel-unfriendly-width" for a width that is not a multiple of 16
 * @seconds: the time the layer took
 *
 * The analysis of one layer. Immutable once emitted; reference counted
 * with g_rc_box.
 */
typedef struct
{
  char           *component;
  char           *name;
  QsLayerKind     kind;
  char           *layer_class;
  char           *tensor_dtype;
  guint           ndim;
  gint64          shape[QS_MAX_DIMS];
  guint64         numel;
  QsWeightStats   stats;
  guint           n_formats;
  QsFormatRecord *formats;
  char           *error;
  char          **flags;
  double          seconds;
} QsLayerResult;

#define QS_TYPE_LAYER_RESULT (qs_layer_result_get_type ())

GType          qs_layer_result_get_type (void) G_GNUC_CONST;
QsLayerResult *qs_layer_result_new      (void);
QsLayerResult *qs_layer_result_ref      (QsLayerResult *self);
void           qs_layer_result_unref    (QsLayerResult *self);
/* Formats the shape as a Python tuple string, "(128, 64)". */
char          *qs_layer_result_format_shape (const QsLayerResult *self);
/* Finds the record of a format; @group_size is the requested one. */
const QsFormatRecord *qs_layer_result_lookup_format (const QsLayerResult *self,
                                                     const char          *dtype,
                                                     guint                svd_rank,
                                                     gint64               requested_group_size);

/**
 * QsSkippedTensor:
 * @component: the component name
 * @name: the tensor name
 * @dtype: the stored dtype
 * @shape: the shape as a tuple string
 * @reason: why it is not analysed, in words
 *
 * A tensor that is listed but not quantized.
 */
typedef struct
{
  char *component;
  char *name;
  char *dtype;
  char *shape;
  char *reason;
} QsSkippedTensor;

void qs_skipped_tensor_free (QsSkippedTensor *self);

#define QS_TYPE_ANALYSIS_RESULT (qs_analysis_result_get_type ())

G_DECLARE_FINAL_TYPE (QsAnalysisResult, qs_analysis_result, QS, ANALYSIS_RESULT, GObject)

QsAnalysisResult         *qs_analysis_result_new            (const QsAnalysisSettings *settings);
const QsAnalysisSettings *qs_analysis_result_get_settings   (QsAnalysisResult *self);
/* Layers in analysis order. */
guint                     qs_analysis_result_get_n_layers   (QsAnalysisResult *self);
QsLayerResult            *qs_analysis_result_get_layer      (QsAnalysisResult *self,
                                                             guint             index);
void                      qs_analysis_result_add_layer      (QsAnalysisResult *self,
                                                             QsLayerResult    *layer);
/* (element-type QsSkippedTensor) */
GPtrArray                *qs_analysis_result_get_skipped    (QsAnalysisResult *self);
/* Takes ownership of @tensor. */
void                      qs_analysis_result_add_skipped    (QsAnalysisResult *self,
                                                             QsSkippedTensor  *tensor);
/* Provenance: model, files, versions, backend, times. A string map. */
GHashTable               *qs_analysis_result_get_provenance (QsAnalysisResult *self);
void                      qs_analysis_result_set_provenance (QsAnalysisResult *self,
                                                             const char       *key,
                                                             const char       *value);
const char               *qs_analysis_result_get_provenance_value (QsAnalysisResult *self,
                                                                   const char       *key);
/* FALSE when the run was cancelled or stopped early: the layers that
 * finished are kept. */
gboolean                  qs_analysis_result_get_complete   (QsAnalysisResult *self);
void                      qs_analysis_result_set_complete   (QsAnalysisResult *self,
                                                             gboolean          complete);
guint                     qs_analysis_result_get_n_layers_planned (QsAnalysisResult *self);
void                      qs_analysis_result_set_n_layers_planned (QsAnalysisResult *self,
                                                                   guint             n_layers);

#define QS_TYPE_ANALYSIS_JOB (qs_analysis_job_get_type ())

G_DECLARE_FINAL_TYPE (QsAnalysisJob, qs_analysis_job, QS, ANALYSIS_JOB, GObject)

/**
 * qs_analysis_job_new:
 * @model: the opened model
 * @settings: the settings; copied
 * @backend: the backend that evaluates layers
 *
 * Creates a job. Properties: "layers-done", "layers-total", "bytes-done",
 * "bytes-total", "current-layer", "eta-seconds" (negative while unknown),
 * "fraction". They are notified on the thread-default main context of
 * the caller of qs_analysis_job_run_async(), coalesced to one idle at a
 * time. The "layer-finished" signal (one #QsLayerResult argument) is
 * emitted there too, once per finished layer, in analysis order.
 */
QsAnalysisJob    *qs_analysis_job_new          (QsModel                  *model,
                                                const QsAnalysisSettings *settings,
                                                QsBackend                *backend);

/**
 * qs_analysis_job_run_async:
 *
 * Runs the analysis on a worker thread. The cancellable is checked at least
 * once per layer and inside long layers by the backend.
 */
void              qs_analysis_job_run_async    (QsAnalysisJob       *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);

/**
 * qs_analysis_job_run_finish:
 *
 * Returns: (transfer full): the complete result, or %NULL with @error set;
 *   after a cancellation (%G_IO_ERROR_CANCELLED) the layers that finished
 *   are still available from qs_analysis_job_get_result()
 */
QsAnalysisResult *qs_analysis_job_run_finish   (QsAnalysisJob       *self,
                                                GAsyncResult        *result,
                                                GError             **error);

/* The result being filled, complete or partial. Never %NULL. */
QsAnalysisResult *qs_analysis_job_get_result   (QsAnalysisJob *self);
guint             qs_analysis_job_get_layers_done  (QsAnalysisJob *self);
guint             qs_analysis_job_get_layers_total (QsAnalysisJob *self);
guint64           qs_analysis_job_get_bytes_done   (QsAnalysisJob *self);
guint64           qs_analysis_job_get_bytes_total  (QsAnalysisJob *self);
/* (nullable): the layer being analysed, "component/name" */
char             *qs_analysis_job_dup_current_layer (QsAnalysisJob *self);
double            qs_analysis_job_get_eta_seconds  (QsAnalysisJob *self);
double            qs_analysis_job_get_fraction     (QsAnalysisJob *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsAnalysisSettings, qs_analysis_settings_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsLayerResult, qs_layer_result_unref)

G_END_DECLS
