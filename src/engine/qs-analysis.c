/* qs-analysis.c: the analysis job, its settings and its result
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

/* Settings */

static const char * const default_dtypes[] = { "uint4", "uint6", "uint8", "int8", NULL };

G_DEFINE_BOXED_TYPE (QsAnalysisSettings, qs_analysis_settings,
                     qs_analysis_settings_copy, qs_analysis_settings_free)

QsAnalysisSettings *
qs_analysis_settings_new (void)
{
  QsAnalysisSettings *self = g_new0 (QsAnalysisSettings, 1);
  gint64 group_size = 0;
  guint rank = QS_DEFAULT_SVD_RANK;

  self->dtypes = g_strdupv ((char **) default_dtypes);
  qs_analysis_settings_set_group_sizes (self, &group_size, 1);
  qs_analysis_settings_set_svd_ranks (self, &rank, 1);
  self->svd_steps = QS_DEFAULT_SVD_STEPS;
  self->use_raw = TRUE;
  self->use_svd = TRUE;
  self->skip_threshold = QS_DEFAULT_SKIP_THRESHOLD;
  self->promote_threshold = QS_DEFAULT_PROMOTE_THRESHOLD;
  self->top_n = QS_DEFAULT_TOP_N;
  self->seed = 0;
  self->n_threads = 0;
  self->load_dtype = QS_LOAD_DTYPE_STORED;
  self->model_dtype = QS_MODEL_DTYPE_BF16;
  self->device = g_strdup ("auto");

  return self;
}

QsAnalysisSettings *
qs_analysis_settings_copy (const QsAnalysisSettings *self)
{
  QsAnalysisSettings *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  copy->dtypes = g_strdupv (self->dtypes);
  copy->group_sizes = g_memdup2 (self->group_sizes, sizeof (gint64) * self->n_group_sizes);
  copy->svd_ranks = g_memdup2 (self->svd_ranks, sizeof (guint) * self->n_svd_ranks);
  copy->components = g_strdupv (self->components);
  copy->cache_dir = g_strdup (self->cache_dir);
  copy->device = g_strdup (self->device);

  return copy;
}

void
qs_analysis_settings_free (QsAnalysisSettings *self)
{
  if (self == NULL)
    return;

  g_strfreev (self->dtypes);
  g_free (self->group_sizes);
  g_free (self->svd_ranks);
  g_strfreev (self->components);
  g_free (self->cache_dir);
  g_free (self->device);
  g_free (self);
}

void
qs_analysis_settings_set_dtypes (QsAnalysisSettings *self,
                                 const char * const *dtypes)
{
  g_return_if_fail (self != NULL);

  g_strfreev (self->dtypes);
  self->dtypes = g_strdupv ((char **) dtypes);
}

void
qs_analysis_settings_set_group_sizes (QsAnalysisSettings *self,
                                      const gint64       *sizes,
                                      guint               n_sizes)
{
  g_return_if_fail (self != NULL);

  g_free (self->group_sizes);
  self->group_sizes = g_memdup2 (sizes, sizeof (gint64) * n_sizes);
  self->n_group_sizes = n_sizes;
}

void
qs_analysis_settings_set_svd_ranks (QsAnalysisSettings *self,
                                    const guint        *ranks,
                                    guint               n_ranks)
{
  g_return_if_fail (self != NULL);

  g_free (self->svd_ranks);
  self->svd_ranks = g_memdup2 (ranks, sizeof (guint) * n_ranks);
  self->n_svd_ranks = n_ranks;
}

gboolean
qs_analysis_settings_validate (const QsAnalysisSettings *self,
                               GError                  **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->dtypes == NULL || self->dtypes[0] == NULL)
    {
      g_set_error (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS,
                   _("No dtype selected: give at least one, e.g. --dtypes uint4 int8"));
      return FALSE;
    }

  for (guint i = 0; self->dtypes[i] != NULL; i++)
    {
      if (qs_dtype_lookup (self->dtypes[i]) == NULL)
        {
          g_set_error (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS,
                       _("Unknown dtype “%s”. SDNQ's dtypes are int1–int16, int32, "
                         "uint1–uint16, uint32, float8_e4m3fn (fp8), float8_e5m2, float16, "
                         "bfloat16, float32 and the custom floats float{N}_e{E}m{M}fn[u] "
                         "(aliases fp2–fp15, ufp1–ufp16); “quantscope-cli analyze --help” "
                         "lists every name"), self->dtypes[i]);
          return FALSE;
        }
    }

  if (!self->use_raw && !self->use_svd)
    {
      g_set_error (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS,
                   _("Nothing to evaluate: raw and SVD formats are both turned off "
                     "(--no-raw together with --no-svd)"));
      return FALSE;
    }

  if (self->n_group_sizes == 0)
    {
      g_set_error (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS,
                   _("No group size selected: give at least one, e.g. --group-size 0"));
      return FALSE;
    }

  for (guint i = 0; i < self->n_group_sizes; i++)
    {
      if (self->group_sizes[i] < -1)
        {
          g_set_error (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS,
                       _("Invalid group size %lld: use 0 for automatic, -1 for "
                         "row-wise, or a positive size"),
                       (long long) self->group_sizes[i]);
          return FALSE;
        }
    }

  if (self->use_svd)
    {
      if (self->n_svd_ranks == 0)
        {
          g_set_error (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS,
                       _("No SVD rank selected: give at least one, e.g. --svd-rank 32, "
                         "or turn SVD off with --no-svd"));
          return FALSE;
        }

      for (guint i = 0; i < self->n_svd_ranks; i++)
        {
          if (self->svd_ranks[i] == 0)
            {
              g_set_error (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS,
                           _("Invalid SVD rank 0: a rank must be at least 1"));
              return FALSE;
            }
        }
    }

  if (!(self->skip_threshold > 0) || !(self->promote_threshold > 0)
      || !isfinite (self->skip_threshold) || !isfinite (self->promote_threshold))
    {
      g_set_error (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS,
                   _("Invalid thresholds: the skip and promote thresholds must be positive numbers"));
      return FALSE;
    }

  if (self->promote_threshold > self->skip_threshold)
    {
      g_set_error (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS,
                   _("Invalid thresholds: the promote threshold (%g) is above the skip threshold (%g)"),
                   self->promote_threshold, self->skip_threshold);
      return FALSE;
    }

  return TRUE;
}

QsFormat *
qs_analysis_settings_build_formats (const QsAnalysisSettings *self,
                                    guint                    *n_formats)
{
  g_autoptr(GArray) formats = g_array_new (FALSE, TRUE, sizeof (QsFormat));

  g_return_val_if_fail (self != NULL, NULL);

  for (guint d = 0; self->dtypes != NULL && self->dtypes[d] != NULL; d++)
    {
      const QsDtype *dtype = qs_dtype_lookup (self->dtypes[d]);

      if (dtype == NULL)
        continue;

      if (self->use_raw)
        {
          for (guint g = 0; g < self->n_group_sizes; g++)
            {
              QsFormat format = { dtype, self->group_sizes[g], 0 };

              g_array_append_val (formats, format);
            }
        }

      if (self->use_svd)
        {
          for (guint r = 0; r < self->n_svd_ranks; r++)
            {
              for (guint g = 0; g < self->n_group_sizes; g++)
                {
                  QsFormat format = { dtype, self->group_sizes[g], self->svd_ranks[r] };

                  g_array_append_val (formats, format);
                }
            }
        }
    }

  *n_formats = formats->len;

  return (QsFormat *) g_array_free (g_steal_pointer (&formats), FALSE);
}

const char *
qs_load_dtype_to_string (QsLoadDtype dtype)
{
  switch (dtype)
    {
    case QS_LOAD_DTYPE_STORED:
      return "stored";
    case QS_LOAD_DTYPE_BF16:
      return "bf16";
    case QS_LOAD_DTYPE_F16:
      return "fp16";
    default:
      g_return_val_if_reached ("stored");
    }
}

gboolean
qs_load_dtype_from_string (const char  *str,
                           QsLoadDtype *dtype)
{
  if (g_ascii_strcasecmp (str, "stored") == 0 || g_ascii_strcasecmp (str, "auto") == 0)
    *dtype = QS_LOAD_DTYPE_STORED;
  else if (g_ascii_strcasecmp (str, "bf16") == 0 || g_ascii_strcasecmp (str, "bfloat16") == 0)
    *dtype = QS_LOAD_DTYPE_BF16;
  else if (g_ascii_strcasecmp (str, "fp16") == 0 || g_ascii_strcasecmp (str, "float16") == 0
           || g_ascii_strcasecmp (str, "f16") == 0)
    *dtype = QS_LOAD_DTYPE_F16;
  else
    return FALSE;

  return TRUE;
}

/* Layer results */

static void
layer_result_clear (QsLayerResult *self)
{
  g_free (self->component);
  g_free (self->name);
  g_free (self->layer_class);
  g_free (self->tensor_dtype);
  for (guint i = 0; i < self->n_formats; i++)
    {
      g_free (self->formats[i].dtype);
      g_free (self->formats[i].error);
    }
  g_free (self->formats);
  g_free (self->error);
  g_strfreev (self->flags);
}

G_DEFINE_BOXED_TYPE (QsLayerResult, qs_layer_result, qs_layer_result_ref, qs_layer_result_unref)

QsLayerResult *
qs_layer_result_new (void)
{
  return g_rc_box_new0 (QsLayerResult);
}

QsLayerResult *
qs_layer_result_ref (QsLayerResult *self)
{
  return g_rc_box_acquire (self);
}

void
qs_layer_result_unref (QsLayerResult *self)
{
  g_rc_box_release_full (self, (GDestroyNotify) layer_result_clear);
}

char *
qs_layer_result_format_shape (const QsLayerResult *self)
{
  GString *str = g_string_new ("(");

  for (guint i = 0; i < self->ndim; i++)
    {
      if (i > 0)
        g_string_append (str, ", ");
      g_string_append_printf (str, "%" G_GINT64_FORMAT, self->shape[i]);
    }
  if (self->ndim == 1)
    g_string_append_c (str, ',');
  g_string_append_c (str, ')');

  return g_string_free (str, FALSE);
}

const QsFormatRecord *
qs_layer_result_lookup_format (const QsLayerResult *self,
                               const char          *dtype,
                               guint                svd_rank,
                               gint64               requested_group_size)
{
  for (guint i = 0; i < self->n_formats; i++)
    {
      const QsFormatRecord *record = &self->formats[i];

      if (record->svd_rank == svd_rank
          && record->requested_group_size == requested_group_size
          && g_strcmp0 (record->dtype, dtype) == 0)
        return record;
    }

  return NULL;
}

void
qs_skipped_tensor_free (QsSkippedTensor *self)
{
  if (self == NULL)
    return;

  g_free (self->component);
  g_free (self->name);
  g_free (self->dtype);
  g_free (self->shape);
  g_free (self->reason);
  g_free (self);
}

/* Analysis result */

struct _QsAnalysisResult
{
  GObject             parent_instance;

  QsAnalysisSettings *settings;
  GPtrArray          *layers;
  GPtrArray          *skipped;
  GHashTable         *provenance;
  GMutex              mutex;
  guint               n_layers_planned;
  guint               complete : 1;
};

G_DEFINE_FINAL_TYPE (QsAnalysisResult, qs_analysis_result, G_TYPE_OBJECT)

static void
qs_analysis_result_finalize (GObject *object)
{
  QsAnalysisResult *self = QS_ANALYSIS_RESULT (object);

  g_clear_pointer (&self->settings, qs_analysis_settings_free);
  g_clear_pointer (&self->layers, g_ptr_array_unref);
  g_clear_pointer (&self->skipped, g_ptr_array_unref);
  g_clear_pointer (&self->provenance, g_hash_table_unref);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (qs_analysis_result_parent_class)->finalize (object);
}

static void
qs_analysis_result_class_init (QsAnalysisResultClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qs_analysis_result_finalize;
}

static void
qs_analysis_result_init (QsAnalysisResult *self)
{
  self->layers = g_ptr_array_new_with_free_func ((GDestroyNotify) qs_layer_result_unref);
  self->skipped = g_ptr_array_new_with_free_func ((GDestroyNotify) qs_skipped_tensor_free);
  self->provenance = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_mutex_init (&self->mutex);
}

QsAnalysisResult *
qs_analysis_result_new (const QsAnalysisSettings *settings)
{
  QsAnalysisResult *self;

  g_return_val_if_fail (settings != NULL, NULL);

  self = g_object_new (QS_TYPE_ANALYSIS_RESULT, NULL);
  self->settings = qs_analysis_settings_copy (settings);

  return self;
}

const QsAnalysisSettings *
qs_analysis_result_get_settings (QsAnalysisResult *self)
{
  g_return_val_if_fail (QS_IS_ANALYSIS_RESULT (self), NULL);

  return self->settings;
}

guint
qs_analysis_result_get_n_layers (QsAnalysisResult *self)
{
  guint n;

  g_return_val_if_fail (QS_IS_ANALYSIS_RESULT (self), 0);

  g_mutex_lock (&self->mutex);
  n = self->layers->len;
  g_mutex_unlock (&self->mutex);

  return n;
}

QsLayerResult *
qs_analysis_result_get_layer (QsAnalysisResult *self,
                              guint             index)
{
  QsLayerResult *layer;

  g_return_val_if_fail (QS_IS_ANALYSIS_RESULT (self), NULL);

  g_mutex_lock (&self->mutex);
  layer = index < self->layers->len ? g_ptr_array_index (self->layers, index) : NULL;
  g_mutex_unlock (&self->mutex);

  return layer;
}

void
qs_analysis_result_add_layer (QsAnalysisResult *self,
                              QsLayerResult    *layer)
{
  g_return_if_fail (QS_IS_ANALYSIS_RESULT (self));
  g_return_if_fail (layer != NULL);

  g_mutex_lock (&self->mutex);
  g_ptr_array_add (self->layers, qs_layer_result_ref (layer));
  g_mutex_unlock (&self->mutex);
}

GPtrArray *
qs_analysis_result_get_skipped (QsAnalysisResult *self)
{
  g_return_val_if_fail (QS_IS_ANALYSIS_RESULT (self), NULL);

  return self->skipped;
}

void
qs_analysis_result_add_skipped (QsAnalysisResult *self,
                                QsSkippedTensor  *tensor)
{
  g_return_if_fail (QS_IS_ANALYSIS_RESULT (self));

  g_mutex_lock (&self->mutex);
  g_ptr_array_add (self->skipped, tensor);
  g_mutex_unlock (&self->mutex);
}

GHashTable *
qs_analysis_result_get_provenance (QsAnalysisResult *self)
{
  g_return_val_if_fail (QS_IS_ANALYSIS_RESULT (self), NULL);

  return self->provenance;
}

void
qs_analysis_result_set_provenance (QsAnalysisResult *self,
                                   const char       *key,
                                   const char       *value)
{
  g_return_if_fail (QS_IS_ANALYSIS_RESULT (self));
  g_return_if_fail (key != NULL);

  g_mutex_lock (&self->mutex);
  if (value == NULL)
    g_hash_table_remove (self->provenance, key);
  else
    g_hash_table_insert (self->provenance, g_strdup (key), g_strdup (value));
  g_mutex_unlock (&self->mutex);
}

const char *
qs_analysis_result_get_provenance_value (QsAnalysisResult *self,
                                         const char       *key)
{
  g_return_val_if_fail (QS_IS_ANALYSIS_RESULT (self), NULL);

  return g_hash_table_lookup (self->provenance, key);
}

gboolean
qs_analysis_result_get_complete (QsAnalysisResult *self)
{
  g_return_val_if_fail (QS_IS_ANALYSIS_RESULT (self), FALSE);

  return self->complete;
}

void
qs_analysis_result_set_complete (QsAnalysisResult *self,
                                 gboolean          complete)
{
  g_return_if_fail (QS_IS_ANALYSIS_RESULT (self));

  self->complete = !!complete;
}

guint
qs_analysis_result_get_n_layers_planned (QsAnalysisResult *self)
{
  g_return_val_if_fail (QS_IS_ANALYSIS_RESULT (self), 0);

  return self->n_layers_planned;
}

void
qs_analysis_result_set_n_layers_planned (QsAnalysisResult *self,
                                         guint             n_layers)
{
  g_return_if_fail (QS_IS_ANALYSIS_RESULT (self));

  self->n_layers_planned = n_layers;
}
