/* qs-analysis-job.c: runs the analysis of a model on a worker thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <math.h>
#include <string.h>

#include "qs-analysis.h"
#include "qs-error.h"
#include "qs-float.h"
#include "qs-sdnq-config.h"

typedef struct
{
  const QsComponent  *component;
  const QsTensorInfo *tensor;
  QsLayerKind         kind;
} PlannedLayer;

struct _QsAnalysisJob
{
  GObject             parent_instance;

  QsModel            *model;
  QsAnalysisSettings *settings;
  QsBackend          *backend;
  QsAnalysisResult   *result;
  GMainContext       *context;

  /* Everything below is shared with the worker and guarded by the mutex. */
  GMutex              mutex;
  guint               layers_done;
  guint               layers_total;
  guint64             bytes_done;
  guint64             bytes_total;
  char               *current_layer;
  gint64              start_time;
  GQueue              pending_layers;
  GSource            *dispatch_source;

  guint               running : 1;
};

enum {
  PROP_0,
  PROP_LAYERS_DONE,
  PROP_LAYERS_TOTAL,
  PROP_BYTES_DONE,
  PROP_BYTES_TOTAL,
  PROP_CURRENT_LAYER,
  PROP_ETA_SECONDS,
  PROP_FRACTION,
  N_PROPS
};

enum {
  LAYER_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (QsAnalysisJob, qs_analysis_job, G_TYPE_OBJECT)

static const char *
layer_class_name (QsLayerKind kind,
                  guint       ndim)
{
  switch (kind)
    {
    case QS_LAYER_LINEAR:
      return "Linear";
    case QS_LAYER_EMBEDDING:
      return "Embedding";
    case QS_LAYER_CONV:
      if (ndim == 3)
        return "Conv1d";
      if (ndim == 5)
        return "Conv3d";
      return "Conv2d";
    default:
      g_return_val_if_reached ("Linear");
    }
}

static char *
component_display_name (const QsComponent *component)
{
  g_autofree char *base = NULL;

  if (component->name != NULL && component->name[0] != '\0')
    return g_strdup (component->name);

  base = g_path_get_basename (component->path);
  if (g_str_has_suffix (base, ".safetensors"))
    base[strlen (base) - strlen (".safetensors")] = '\0';

  return g_steal_pointer (&base);
}

static char *
format_tensor_shape (const QsTensorInfo *tensor)
{
  GString *str = g_string_new ("(");

  for (guint i = 0; i < tensor->ndim; i++)
    {
      if (i > 0)
        g_string_append (str, ", ");
      g_string_append_printf (str, "%" G_GINT64_FORMAT, tensor->shape[i]);
    }
  if (tensor->ndim == 1)
    g_string_append_c (str, ',');
  g_string_append_c (str, ')');

  return g_string_free (str, FALSE);
}

static void
add_skipped (QsAnalysisJob      *self,
             const QsComponent  *component,
             const QsTensorInfo *tensor,
             const char         *reason)
{
  QsSkippedTensor *skipped = g_new0 (QsSkippedTensor, 1);

  skipped->component = component_display_name (component);
  skipped->name = g_strdup (tensor->name);
  skipped->dtype = g_strdup (qs_tensor_dtype_to_string (tensor->dtype));
  skipped->shape = format_tensor_shape (tensor);
  skipped->reason = g_strdup (reason);
  qs_analysis_result_add_skipped (self->result, skipped);
}

static const char *
role_reason (QsTensorRole role)
{
  switch (role)
    {
    case QS_TENSOR_ROLE_OTHER:
      return "not a layer weight";
    case QS_TENSOR_ROLE_METADATA:
      return "metadata tensor (scalar or zero elements)";
    case QS_TENSOR_ROLE_NON_FLOAT:
      return "non-float tensor, never quantized";
    case QS_TENSOR_ROLE_UNSUPPORTED:
      return "unsupported dtype (skipped)";
    case QS_TENSOR_ROLE_LAYER:
    default:
      return "layer";
    }
}

/* Lists the layers to analyse in component order and records every other
 * tensor as skipped with its reason. */
static GArray *
plan_layers (QsAnalysisJob  *self,
             guint64        *total_bytes,
             GError        **error)
{
  g_autoptr(GPtrArray) components = NULL;
  g_autoptr(GArray) plan = g_array_new (FALSE, TRUE, sizeof (PlannedLayer));
  g_autoptr(GString) names = g_string_new (NULL);

  components = qs_model_select_components (self->model,
                                           (const char * const *) self->settings->components,
                                           error);
  if (components == NULL)
    return NULL;

  *total_bytes = 0;

  for (guint c = 0; c < components->len; c++)
    {
      const QsComponent *component = g_ptr_array_index (components, c);
      g_autofree char *display = component_display_name (component);

      if (names->len > 0)
        g_string_append (names, ",");
      g_string_append (names, display);

      for (guint t = 0; t < component->tensors->len; t++)
        {
          const QsTensorInfo *tensor = g_ptr_array_index (component->tensors, t);
          QsLayerKind kind = QS_LAYER_LINEAR;
          QsTensorRole role = qs_classify_tensor (tensor, &kind);
          PlannedLayer planned;

          if (role != QS_TENSOR_ROLE_LAYER)
            {
              add_skipped (self, component, tensor, role_reason (role));
              continue;
            }

          if (self->settings->min_numel > 0 && tensor->numel < self->settings->min_numel)
            {
              g_autofree char *reason =
                g_strdup_printf (_("fewer than %llu elements (--min-numel)"),
                                 (unsigned long long) self->settings->min_numel);

              add_skipped (self, component, tensor, reason);
              continue;
            }

          if (self->settings->min_channels > 0 && tensor->shape[1] < self->settings->min_channels)
            {
              g_autofree char *reason =
                g_strdup_printf (_("channel size under %lld (--min-channels)"),
                                 (long long) self->settings->min_channels);

              add_skipped (self, component, tensor, reason);
              continue;
            }

          planned.component = component;
          planned.tensor = tensor;
          planned.kind = kind;
          g_array_append_val (plan, planned);
          *total_bytes += tensor->data_end - tensor->data_begin;
        }
    }

  qs_analysis_result_set_provenance (self->result, "components", names->str);

  if (plan->len == 0)
    {
      g_set_error (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_NO_LAYERS,
                   _("No layer to analyse in %s: no component holds a float “*.weight” tensor "
                     "with 2 to 5 dimensions"),
                   qs_model_get_name (self->model));
      return NULL;
    }

  return g_steal_pointer (&plan);
}

static gboolean
dispatch_pending_cb (gpointer data)
{
  QsAnalysisJob *self = data;
  GQueue pending = G_QUEUE_INIT;
  QsLayerResult *layer;

  g_mutex_lock (&self->mutex);
  pending = self->pending_layers;
  g_queue_init (&self->pending_layers);
  /* When the final flush calls this directly, the queued idle must not run
   * later, after the caller may have gone. */
  if (self->dispatch_source != NULL)
    {
      g_source_destroy (self->dispatch_source);
      g_clear_pointer (&self->dispatch_source, g_source_unref);
    }
  g_mutex_unlock (&self->mutex);

  while ((layer = g_queue_pop_head (&pending)) != NULL)
    {
      g_signal_emit (self, signals[LAYER_FINISHED], 0, layer);
      qs_layer_result_unref (layer);
    }

  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = PROP_LAYERS_DONE; i < N_PROPS; i++)
    g_object_notify_by_pspec (G_OBJECT (self), properties[i]);
  g_object_thaw_notify (G_OBJECT (self));

  return G_SOURCE_REMOVE;
}

/* Queues one idle on the caller's main context; further updates before it
 * runs are coalesced into it. Called with the mutex held. */
static void
schedule_dispatch_locked (QsAnalysisJob *self)
{
  if (self->dispatch_source != NULL)
    return;

  self->dispatch_source = g_idle_source_new ();
  /* Default idle rather than low priority: under a window that redraws all
   * the time, low-priority idles can wait until the whole run has ended. */
  g_source_set_priority (self->dispatch_source, G_PRIORITY_DEFAULT_IDLE);
  g_source_set_callback (self->dispatch_source, dispatch_pending_cb,
                         g_object_ref (self), g_object_unref);
  g_source_set_static_name (self->dispatch_source, "[quantscope] analysis progress");
  g_source_attach (self->dispatch_source, self->context);
}

/* SDNQ's common_skip_keys: with add_skip_keys on (its default when
 * quantizing), layers that match one of these stay unquantized for model
 * classes without a list of their own. The analysis script measures them
 * anyway, so they are flagged rather than skipped. */
static const char * const sdnq_common_skip_keys[] = {
  ".time_embed", ".context_embedder", ".condition_embedder", ".x_embedder", ".t_embedder",
  ".y_embedder", ".proj_in", ".emb_in", ".txt_in", ".img_in", ".vid_in", ".proj_out",
  ".norm_out", ".emb_out", ".txt_out", ".img_out", ".vid_out", ".final_layer",
  "multi_modal_projector", "time_text_embed", "patch_embedding", "patch_embed", "patch_emb",
  "lm_head", "wte", NULL
};

static gboolean
matches_sdnq_skip_key (const char *name)
{
  for (guint i = 0; sdnq_common_skip_keys[i] != NULL; i++)
    {
      if (qs_sdnq_pattern_matches (sdnq_common_skip_keys[i], name))
        return TRUE;
    }

  return FALSE;
}

static void
add_flags (QsLayerResult *layer)
{
  g_autoptr(GPtrArray) flags = g_ptr_array_new ();
  gint64 width = 1;

  for (guint i = 1; i < layer->ndim; i++)
    width *= layer->shape[i];

  /* Fast int8/fp8 matmul kernels want both dimensions in multiples of 16;
   * other widths fall back to slow paths, so a PROMOTE or SKIP may cost less
   * than padding. This is information, not a verdict. */
  if (layer->kind != QS_LAYER_EMBEDDING && (width % 16 != 0 || layer->shape[0] % 16 != 0))
    g_ptr_array_add (flags, g_strdup ("kernel-unfriendly-width"));

  if (matches_sdnq_skip_key (layer->name))
    g_ptr_array_add (flags, g_strdup ("sdnq-default-skip"));

  for (guint i = 0; i < layer->n_formats; i++)
    {
      if (layer->formats[i].n_degenerate_groups > 0)
        {
          g_ptr_array_add (flags, g_strdup ("constant-groups"));
          break;
        }
    }

  g_ptr_array_add (flags, NULL);
  layer->flags = (char **) g_ptr_array_free (g_steal_pointer (&flags), FALSE);
}

static void
round_to_load_dtype (float       *data,
                     guint64      n,
                     QsLoadDtype  load_dtype)
{
  if (load_dtype == QS_LOAD_DTYPE_BF16)
    {
      for (guint64 i = 0; i < n; i++)
        data[i] = qs_round_bf16 (data[i]);
    }
  else if (load_dtype == QS_LOAD_DTYPE_F16)
    {
      for (guint64 i = 0; i < n; i++)
        data[i] = qs_round_f16 (data[i]);
    }
}

static QsLayerResult *
analyse_layer (QsAnalysisJob      *self,
               const PlannedLayer *planned,
               const QsFormat     *formats,
               guint               n_formats,
               GCancellable       *cancellable,
               GError            **error)
{
  const QsTensorInfo *tensor = planned->tensor;
  g_autoptr(QsLayerResult) layer = qs_layer_result_new ();
  g_autofree float *data = NULL;
  g_autofree QsFormatResult *results = NULL;
  g_autoptr(GError) local_error = NULL;
  QsLayerWeights weights = { 0 };
  QsEvalOptions options = { 0 };
  gint64 started = g_get_monotonic_time ();

  layer->component = component_display_name (planned->component);
  layer->name = g_strdup (tensor->name);
  layer->kind = planned->kind;
  layer->layer_class = g_strdup (layer_class_name (planned->kind, tensor->ndim));
  layer->tensor_dtype = g_strdup (qs_tensor_dtype_to_string (tensor->dtype));
  layer->ndim = MIN (tensor->ndim, QS_MAX_DIMS);
  for (guint i = 0; i < layer->ndim; i++)
    layer->shape[i] = tensor->shape[i];
  layer->numel = tensor->numel;

  if (tensor->numel > G_MAXSIZE / sizeof (float)
      || (data = g_try_malloc (tensor->numel * sizeof (float))) == NULL)
    {
      layer->error = g_strdup_printf (_("not enough memory to decode %llu elements"),
                                      (unsigned long long) tensor->numel);
      add_flags (layer);
      return g_steal_pointer (&layer);
    }

  if (!qs_tensor_decode_rows (tensor, 0, tensor->shape[0], data, &local_error))
    {
      layer->error = g_strdup (local_error->message);
      add_flags (layer);
      return g_steal_pointer (&layer);
    }

  qs_tensor_release_pages (tensor);
  round_to_load_dtype (data, tensor->numel, self->settings->load_dtype);
  qs_weight_stats_compute (&layer->stats, data, tensor->numel);

  if (layer->stats.n_nan > 0 || layer->stats.n_inf > 0)
    {
      layer->error = g_strdup_printf (_("contains %llu NaN and %llu Inf values (first at "
                                        "flat index %lld); the layer is not analysed"),
                                      (unsigned long long) layer->stats.n_nan,
                                      (unsigned long long) layer->stats.n_inf,
                                      (long long) layer->stats.first_non_finite);
      add_flags (layer);
      return g_steal_pointer (&layer);
    }

  weights.data = data;
  weights.kind = planned->kind;
  weights.ndim = layer->ndim;
  memcpy (weights.shape, layer->shape, sizeof weights.shape);
  weights.numel = tensor->numel;
  weights.name = tensor->name;

  /* Without a load-dtype rounding, the stored 16-bit or 32-bit floats
   * widen exactly to the decoded values, so a backend may upload those
   * bytes instead. They stay readable after qs_tensor_release_pages():
   * the backend reads them from the page cache or the file again. */
  if (self->settings->load_dtype == QS_LOAD_DTYPE_STORED &&
      (tensor->dtype == QS_TENSOR_BF16 || tensor->dtype == QS_TENSOR_F16 ||
       tensor->dtype == QS_TENSOR_F32))
    {
      weights.stored_data = qs_safetensors_file_get_data (tensor->file, tensor);
      weights.stored_dtype = tensor->dtype;
    }

  options.svd_steps = self->settings->svd_steps;
  options.model_dtype = self->settings->model_dtype;
  options.svd_seed = qs_lowrank_seed_for_layer (self->settings->seed, layer->component,
                                                layer->name, 0);

  results = g_new0 (QsFormatResult, n_formats);
  if (!qs_backend_evaluate_layer (self->backend, &weights, formats, n_formats, &options,
                                  results, cancellable, error))
    {
      for (guint i = 0; i < n_formats; i++)
        qs_format_result_clear (&results[i]);
      return NULL;
    }

  layer->n_formats = n_formats;
  layer->formats = g_new0 (QsFormatRecord, n_formats);
  for (guint i = 0; i < n_formats; i++)
    {
      QsFormatRecord *record = &layer->formats[i];

      record->dtype = g_strdup (formats[i].dtype->name);
      record->use_svd = formats[i].svd_rank > 0;
      record->svd_rank = formats[i].svd_rank;
      record->effective_svd_rank = results[i].svd_rank;
      record->requested_group_size = formats[i].requested_group_size;
      record->group_size = results[i].failed ? -1 : results[i].resolved_group_size;
      record->metrics = results[i].metrics;
      record->n_degenerate_groups = results[i].n_degenerate_groups;
      record->failed = results[i].failed;
      record->error = g_steal_pointer (&results[i].error_message);
      qs_format_result_clear (&results[i]);
    }

  add_flags (layer);
  layer->seconds = (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC;

  return g_steal_pointer (&layer);
}

static char *
now_iso8601 (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_format_iso8601 (now);
}

static void
record_provenance (QsAnalysisJob *self)
{
  g_autofree char *started = now_iso8601 ();
  g_autofree char *threads = g_strdup_printf ("%u", self->settings->n_threads);
  g_autoptr(GString) files = g_string_new (NULL);

  qs_analysis_result_set_provenance (self->result, "model", qs_model_get_name (self->model));
  qs_analysis_result_set_provenance (self->result, "model_path", qs_model_get_path (self->model));
  qs_analysis_result_set_provenance (self->result, "revision", qs_model_get_revision (self->model));
  qs_analysis_result_set_provenance (self->result, "pipeline_class",
                                     qs_model_get_pipeline_class (self->model));
  qs_analysis_result_set_provenance (self->result, "quantscope_version", PACKAGE_VERSION);
  qs_analysis_result_set_provenance (self->result, "backend", qs_backend_get_name (self->backend));
  qs_analysis_result_set_provenance (self->result, "started", started);
  qs_analysis_result_set_provenance (self->result, "threads", threads);

  for (guint c = 0; c < qs_model_get_n_components (self->model); c++)
    {
      const QsComponent *component = qs_model_get_component (self->model, c);

      for (guint f = 0; f < component->files->len; f++)
        {
          QsSafetensorsFile *file = g_ptr_array_index (component->files, f);

          g_string_append_printf (files, "%s%s\t%" G_GUINT64_FORMAT,
                                  files->len > 0 ? "\n" : "",
                                  qs_safetensors_file_get_path (file),
                                  qs_safetensors_file_get_size (file));
        }
    }
  qs_analysis_result_set_provenance (self->result, "files", files->str);
}

static void
run_in_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  QsAnalysisJob *self = source_object;
  g_autoptr(GArray) plan = NULL;
  g_autofree QsFormat *formats = NULL;
  g_autofree char *finished = NULL;
  GError *error = NULL;
  guint64 total_bytes = 0;
  guint n_formats = 0;

  record_provenance (self);

  plan = plan_layers (self, &total_bytes, &error);
  if (plan == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  formats = qs_analysis_settings_build_formats (self->settings, &n_formats);
  qs_analysis_result_set_n_layers_planned (self->result, plan->len);

  g_mutex_lock (&self->mutex);
  self->layers_total = plan->len;
  self->bytes_total = total_bytes;
  self->start_time = g_get_monotonic_time ();
  schedule_dispatch_locked (self);
  g_mutex_unlock (&self->mutex);

  for (guint i = 0; i < plan->len; i++)
    {
      const PlannedLayer *planned = &g_array_index (plan, PlannedLayer, i);
      g_autoptr(QsLayerResult) layer = NULL;
      g_autofree char *display = component_display_name (planned->component);

      if (g_task_return_error_if_cancelled (task))
        return;

      g_mutex_lock (&self->mutex);
      g_free (self->current_layer);
      self->current_layer = g_strdup_printf ("%s/%s", display, planned->tensor->name);
      schedule_dispatch_locked (self);
      g_mutex_unlock (&self->mutex);

      layer = analyse_layer (self, planned, formats, n_formats, cancellable, &error);
      if (layer == NULL)
        {
          g_task_return_error (task, error);
          return;
        }

      qs_analysis_result_add_layer (self->result, layer);

      g_mutex_lock (&self->mutex);
      self->layers_done++;
      self->bytes_done += planned->tensor->data_end - planned->tensor->data_begin;
      g_queue_push_tail (&self->pending_layers, qs_layer_result_ref (layer));
      schedule_dispatch_locked (self);
      g_mutex_unlock (&self->mutex);
    }

  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->current_layer, g_free);
  schedule_dispatch_locked (self);
  g_mutex_unlock (&self->mutex);

  finished = now_iso8601 ();
  qs_analysis_result_set_provenance (self->result, "finished", finished);
  qs_analysis_result_set_complete (self->result, TRUE);
  g_task_return_pointer (task, g_object_ref (self->result), g_object_unref);
}

static void
qs_analysis_job_dispose (GObject *object)
{
  QsAnalysisJob *self = QS_ANALYSIS_JOB (object);

  g_clear_pointer (&self->model, qs_model_unref);
  g_clear_object (&self->backend);
  g_clear_object (&self->result);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_queue_clear_full (&self->pending_layers, (GDestroyNotify) qs_layer_result_unref);

  G_OBJECT_CLASS (qs_analysis_job_parent_class)->dispose (object);
}

static void
qs_analysis_job_finalize (GObject *object)
{
  QsAnalysisJob *self = QS_ANALYSIS_JOB (object);

  g_clear_pointer (&self->settings, qs_analysis_settings_free);
  g_clear_pointer (&self->current_layer, g_free);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (qs_analysis_job_parent_class)->finalize (object);
}

static void
qs_analysis_job_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  QsAnalysisJob *self = QS_ANALYSIS_JOB (object);

  switch (prop_id)
    {
    case PROP_LAYERS_DONE:
      g_value_set_uint (value, qs_analysis_job_get_layers_done (self));
      break;

    case PROP_LAYERS_TOTAL:
      g_value_set_uint (value, qs_analysis_job_get_layers_total (self));
      break;

    case PROP_BYTES_DONE:
      g_value_set_uint64 (value, qs_analysis_job_get_bytes_done (self));
      break;

    case PROP_BYTES_TOTAL:
      g_value_set_uint64 (value, qs_analysis_job_get_bytes_total (self));
      break;

    case PROP_CURRENT_LAYER:
      g_value_take_string (value, qs_analysis_job_dup_current_layer (self));
      break;

    case PROP_ETA_SECONDS:
      g_value_set_double (value, qs_analysis_job_get_eta_seconds (self));
      break;

    case PROP_FRACTION:
      g_value_set_double (value, qs_analysis_job_get_fraction (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qs_analysis_job_class_init (QsAnalysisJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = qs_analysis_job_dispose;
  object_class->finalize = qs_analysis_job_finalize;
  object_class->get_property = qs_analysis_job_get_property;

  properties[PROP_LAYERS_DONE] =
    g_param_spec_uint ("layers-done", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAYERS_TOTAL] =
    g_param_spec_uint ("layers-total", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BYTES_DONE] =
    g_param_spec_uint64 ("bytes-done", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BYTES_TOTAL] =
    g_param_spec_uint64 ("bytes-total", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CURRENT_LAYER] =
    g_param_spec_string ("current-layer", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ETA_SECONDS] =
    g_param_spec_double ("eta-seconds", NULL, NULL, -1, G_MAXDOUBLE, -1,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL, 0, 1, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[LAYER_FINISHED] =
    g_signal_new ("layer-finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, QS_TYPE_LAYER_RESULT | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
qs_analysis_job_init (QsAnalysisJob *self)
{
  g_mutex_init (&self->mutex);
  g_queue_init (&self->pending_layers);
}

QsAnalysisJob *
qs_analysis_job_new (QsModel                  *model,
                     const QsAnalysisSettings *settings,
                     QsBackend                *backend)
{
  QsAnalysisJob *self;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (QS_IS_BACKEND (backend), NULL);

  self = g_object_new (QS_TYPE_ANALYSIS_JOB, NULL);
  self->model = qs_model_ref (model);
  self->settings = qs_analysis_settings_copy (settings);
  self->backend = g_object_ref (backend);
  self->result = qs_analysis_result_new (settings);

  return self;
}

void
qs_analysis_job_run_async (QsAnalysisJob       *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (QS_IS_ANALYSIS_JOB (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qs_analysis_job_run_async);
  g_task_set_check_cancellable (task, FALSE);

  if (self->running)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("The analysis is already running"));
      return;
    }

  if (!qs_analysis_settings_validate (self->settings, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  self->running = TRUE;
  self->context = g_main_context_ref_thread_default ();
  g_task_run_in_thread (task, run_in_thread);
}

QsAnalysisResult *
qs_analysis_job_run_finish (QsAnalysisJob  *self,
                            GAsyncResult   *result,
                            GError        **error)
{
  g_return_val_if_fail (QS_IS_ANALYSIS_JOB (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  /* Emit every layer that finished before returning, so that a caller
   * that fills a table from "layer-finished" receives all of them first. */
  if (self->context != NULL && g_main_context_is_owner (self->context))
    dispatch_pending_cb (self);
  self->running = FALSE;

  return g_task_propagate_pointer (G_TASK (result), error);
}

QsAnalysisResult *
qs_analysis_job_get_result (QsAnalysisJob *self)
{
  g_return_val_if_fail (QS_IS_ANALYSIS_JOB (self), NULL);

  return self->result;
}

guint
qs_analysis_job_get_layers_done (QsAnalysisJob *self)
{
  guint value;

  g_return_val_if_fail (QS_IS_ANALYSIS_JOB (self), 0);

  g_mutex_lock (&self->mutex);
  value = self->layers_done;
  g_mutex_unlock (&self->mutex);

  return value;
}

guint
qs_analysis_job_get_layers_total (QsAnalysisJob *self)
{
  guint value;

  g_return_val_if_fail (QS_IS_ANALYSIS_JOB (self), 0);

  g_mutex_lock (&self->mutex);
  value = self->layers_total;
  g_mutex_unlock (&self->mutex);

  return value;
}

guint64
qs_analysis_job_get_bytes_done (QsAnalysisJob *self)
{
  guint64 value;

  g_return_val_if_fail (QS_IS_ANALYSIS_JOB (self), 0);

  g_mutex_lock (&self->mutex);
  value = self->bytes_done;
  g_mutex_unlock (&self->mutex);

  return value;
}

guint64
qs_analysis_job_get_bytes_total (QsAnalysisJob *self)
{
  guint64 value;

  g_return_val_if_fail (QS_IS_ANALYSIS_JOB (self), 0);

  g_mutex_lock (&self->mutex);
  value = self->bytes_total;
  g_mutex_unlock (&self->mutex);

  return value;
}

char *
qs_analysis_job_dup_current_layer (QsAnalysisJob *self)
{
  char *value;

  g_return_val_if_fail (QS_IS_ANALYSIS_JOB (self), NULL);

  g_mutex_lock (&self->mutex);
  value = g_strdup (self->current_layer);
  g_mutex_unlock (&self->mutex);

  return value;
}

double
qs_analysis_job_get_eta_seconds (QsAnalysisJob *self)
{
  double eta = -1;

  g_return_val_if_fail (QS_IS_ANALYSIS_JOB (self), -1);

  /* The estimate assumes time grows with the bytes of weight analysed,
   * which holds for the quantization passes and roughly for the SVD. */
  g_mutex_lock (&self->mutex);
  if (self->bytes_done > 0 && self->bytes_total >= self->bytes_done)
    {
      double elapsed = (g_get_monotonic_time () - self->start_time) / (double) G_USEC_PER_SEC;

      eta = elapsed * (double) (self->bytes_total - self->bytes_done) / (double) self->bytes_done;
    }
  g_mutex_unlock (&self->mutex);

  return eta;
}

double
qs_analysis_job_get_fraction (QsAnalysisJob *self)
{
  double fraction = 0;

  g_return_val_if_fail (QS_IS_ANALYSIS_JOB (self), 0);

  g_mutex_lock (&self->mutex);
  if (self->bytes_total > 0)
    fraction = (double) self->bytes_done / (double) self->bytes_total;
  g_mutex_unlock (&self->mutex);

  return CLAMP (fraction, 0, 1);
}
