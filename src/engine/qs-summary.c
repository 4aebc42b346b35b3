/* qs-summary.c: classification, auto-config and the summary every output reads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "qs-summary.h"

const char *
qs_verdict_to_string (QsVerdict verdict)
{
  switch (verdict)
    {
    case QS_VERDICT_OK:
      return "OK";
    case QS_VERDICT_PROMOTE:
      return "PROMOTE";
    case QS_VERDICT_SKIP:
      return "SKIP";
    case QS_VERDICT_ERROR:
      return "ERROR";
    default:
      g_return_val_if_reached ("ERROR");
    }
}

char *
qs_format_group_size_label (gint64 group_size)
{
  if (group_size == 0)
    return g_strdup ("auto");
  if (group_size == -1)
    return g_strdup ("row-wise");
  if (group_size == -2)
    return g_strdup ("tensor-wise");

  return g_strdup_printf ("g%" G_GINT64_FORMAT, group_size);
}

guint64
qs_format_cost_bytes (const QsDtype *dtype,
                      const gint64  *shape,
                      guint          ndim,
                      gint64         group_size,
                      guint          svd_rank)
{
  guint64 numel = 1;
  guint64 in_features = 1;
  guint64 out_features;
  guint64 n_scales;
  guint64 bytes;

  g_return_val_if_fail (dtype != NULL, 0);
  g_return_val_if_fail (ndim >= 1, 0);

  for (guint i = 0; i < ndim; i++)
    numel *= (guint64) shape[i];
  for (guint i = 1; i < ndim; i++)
    in_features *= (guint64) shape[i];
  out_features = (guint64) shape[0];

  /* Codes: numel·bits/8, rounded up to whole bytes. */
  bytes = (numel * dtype->num_bits + 7) / 8;

  if (group_size > 0)
    n_scales = (numel + (guint64) group_size - 1) / (guint64) group_size;
  else
    n_scales = out_features;

  /* FP16 scales, and as much again for the zero points of unsigned dtypes. */
  bytes += n_scales * 2;
  if (dtype->is_unsigned)
    bytes += n_scales * 2;

  if (svd_rank > 0)
    bytes += (out_features * svd_rank + (guint64) svd_rank * in_features) * 2;

  return bytes;
}

static void
layer_summary_free (QsLayerSummary *self)
{
  qs_layer_result_unref (self->layer);
  g_free (self->nmse);
  g_free (self->group_size);
  g_free (self->svd);
  g_free (self);
}

static void
size_totals_free (QsSizeTotals *self)
{
  g_free (self->component);
  g_free (self);
}

static void
component_config_free (QsComponentConfig *self)
{
  g_free (self->component);
  qs_sdnq_config_free (self->config);
  g_free (self);
}

/* NaN (a format that was not evaluated) counts as failing both thresholds,
 * like INF, because nothing shows that the format is usable. */
static gboolean
nmse_at_most (double nmse,
              double threshold)
{
  return !isnan (nmse) && nmse <= threshold;
}

/* The script's rules over one row of column values: SKIP when every column
 * is above the skip threshold; OK when the first column reaches the promote
 * threshold; PROMOTE to the first column that does; SKIP when none does. */
static QsVerdict
classify_values (const double *nmse,
                 guint         n_columns,
                 double        skip_threshold,
                 double        promote_threshold,
                 int          *promote_column)
{
  gboolean all_above_skip = TRUE;

  *promote_column = -1;

  for (guint c = 0; c < n_columns; c++)
    {
      if (nmse_at_most (nmse[c], skip_threshold))
        all_above_skip = FALSE;
    }

  if (n_columns == 0 || all_above_skip)
    return QS_VERDICT_SKIP;

  if (nmse_at_most (nmse[0], promote_threshold))
    return QS_VERDICT_OK;

  for (guint c = 1; c < n_columns; c++)
    {
      if (nmse_at_most (nmse[c], promote_threshold))
        {
          *promote_column = c;
          return QS_VERDICT_PROMOTE;
        }
    }

  return QS_VERDICT_SKIP;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
ranking_nmse (const QsLayerSummary *layer,
              gboolean              auto_config)
{
  double value = auto_config ? layer->auto_choice.nmse : layer->primary_nmse;

  return isnan (value) ? -1 : value;
}

/* Worst first: INF before every finite value, NaN (not evaluated) last;
 * equal values keep their analysis order because the sort is stable. */
static int
compare_worst_first (gconstpointer a,
                     gconstpointer b)
{
  const QsLayerSummary *x = *(QsLayerSummary * const *) a;
  const QsLayerSummary *y = *(QsLayerSummary * const *) b;
  double vx = ranking_nmse (x, FALSE);
  double vy = ranking_nmse (y, FALSE);

  return (vx < vy) - (vx > vy);
}

static int
compare_worst_recommended_first (gconstpointer a,
                                 gconstpointer b)
{
  const QsLayerSummary *x = *(QsLayerSummary * const *) a;
  const QsLayerSummary *y = *(QsLayerSummary * const *) b;
  double vx = ranking_nmse (x, TRUE);
  double vy = ranking_nmse (y, TRUE);

  return (vx < vy) - (vx > vy);
}

/* Fills the columns of one layer: per dtype at the first group size, or
 * per group size of the primary dtype. */
static void
fill_columns (QsSummary           *self,
              QsLayerSummary      *summary,
              const QsLayerResult *layer,
              guint                svd_rank)
{
  for (guint c = 0; c < self->n_columns; c++)
    {
      const QsFormatRecord *record;

      if (self->axis == QS_SUMMARY_AXIS_GROUP_SIZE)
        record = qs_layer_result_lookup_format (layer, self->primary_dtype, svd_rank,
                                                self->column_group_sizes[c]);
      else
        record = qs_layer_result_lookup_format (layer, self->columns[c], svd_rank,
                                                self->classify_group_size);

      summary->nmse[c] = record != NULL ? record->metrics.nmse : NAN;
      summary->group_size[c] = record != NULL ? record->group_size : -1;
    }
}

static void
fill_svd_comparison (QsSummary      *self,
                     QsLayerSummary *summary)
{
  g_autofree double *values = g_new (double, MAX (self->n_columns, 1));

  summary->n_svd = self->n_svd_ranks;
  summary->svd = g_new0 (QsSvdComparison, self->n_svd_ranks);

  for (guint r = 0; r < self->n_svd_ranks; r++)
    {
      QsSvdComparison *comparison = &summary->svd[r];
      int promote_column;

      comparison->rank = self->svd_ranks[r];
      comparison->raw_nmse = summary->primary_nmse;
      comparison->raw_verdict = summary->verdict;

      for (guint c = 0; c < self->n_columns; c++)
        {
          const QsFormatRecord *record =
            qs_layer_result_lookup_format (summary->layer, self->columns[c],
                                           comparison->rank, self->classify_group_size);

          values[c] = record != NULL ? record->metrics.nmse : NAN;
        }
      comparison->svd_nmse = self->n_columns > 0 ? values[0] : NAN;

      if (summary->verdict == QS_VERDICT_ERROR)
        comparison->svd_verdict = QS_VERDICT_ERROR;
      else
        comparison->svd_verdict = classify_values (values, self->n_columns, self->skip_threshold,
                                                   self->promote_threshold, &promote_column);

      if (!isfinite (comparison->raw_nmse) || isnan (comparison->svd_nmse)
          || isinf (comparison->svd_nmse))
        comparison->improvement = NAN;
      else if (comparison->svd_nmse == 0)
        comparison->improvement = INFINITY;
      else
        comparison->improvement = comparison->raw_nmse / comparison->svd_nmse;

      comparison->rescued = (comparison->raw_verdict == QS_VERDICT_PROMOTE
                             || comparison->raw_verdict == QS_VERDICT_SKIP)
                            && comparison->svd_verdict == QS_VERDICT_OK;
      if (comparison->rescued)
        self->n_svd_rescued[r]++;
    }
}

/* Row-wise (-1) counts as the smallest group size, as the script sorts it. */
static gint64
group_size_rank (gint64 group_size)
{
  return group_size > 0 ? group_size : -1;
}

/* Returns TRUE when candidate @a is preferred to @b at equal cost. */
static gboolean
prefer_on_tie (const QsFormatRecord *a,
               const QsFormatRecord *b)
{
  if ((a->svd_rank == 0) != (b->svd_rank == 0))
    return a->svd_rank == 0;
  if (group_size_rank (a->group_size) != group_size_rank (b->group_size))
    return group_size_rank (a->group_size) > group_size_rank (b->group_size);

  return g_strcmp0 (a->dtype, b->dtype) < 0;
}

static void
choose_auto_config (QsSummary      *self,
                    QsLayerSummary *summary)
{
  const QsLayerResult *layer = summary->layer;
  const QsFormatRecord *best = NULL;
  guint64 best_bytes = G_MAXUINT64;
  double best_seen = INFINITY;
  QsAutoChoice *choice = &summary->auto_choice;
  const QsDtype *primary = qs_dtype_lookup (self->primary_dtype);
  const QsFormatRecord *uniform;
  gint64 uniform_group_size;

  choice->fp16_bytes = layer->numel * 2;

  uniform = qs_layer_result_lookup_format (layer, self->primary_dtype, 0,
                                           self->classify_group_size);
  if (uniform != NULL && !uniform->failed)
    uniform_group_size = uniform->group_size;
  else if (layer->ndim >= 2 && primary != NULL)
    uniform_group_size = qs_resolve_group_size (primary, layer->kind, layer->shape[1],
                                                self->classify_group_size, FALSE);
  else
    uniform_group_size = -1;
  choice->uniform_bytes = primary != NULL && layer->ndim >= 1
                          ? qs_format_cost_bytes (primary, layer->shape, layer->ndim,
                                                  uniform_group_size, 0)
                          : choice->fp16_bytes;

  for (guint f = 0; f < layer->n_formats && layer->error == NULL; f++)
    {
      const QsFormatRecord *record = &layer->formats[f];
      const QsDtype *dtype = qs_dtype_lookup (record->dtype);
      guint64 bytes;

      if (record->failed || dtype == NULL || isnan (record->metrics.nmse))
        continue;
      best_seen = MIN (best_seen, record->metrics.nmse);
      if (!(record->metrics.nmse <= self->promote_threshold))
        continue;
      /* An SVD row whose decomposition SDNQ would drop cannot be written
       * as an SVD layer: its loader would expect factors that are missing. */
      if (record->svd_rank > 0 && record->effective_svd_rank == 0)
        continue;

      bytes = qs_format_cost_bytes (dtype, layer->shape, layer->ndim, record->group_size,
                                    record->svd_rank);
      if (best == NULL || bytes < best_bytes
          || (bytes == best_bytes && prefer_on_tie (record, best)))
        {
          best = record;
          best_bytes = bytes;
        }
    }

  if (best == NULL)
    {
      choice->skip = TRUE;
      choice->dtype = NULL;
      choice->group_size = -1;
      choice->requested_group_size = 0;
      choice->svd_rank = 0;
      choice->nmse = best_seen;
      choice->bytes = choice->fp16_bytes;
      self->n_auto_skip++;
      return;
    }

  choice->skip = FALSE;
  choice->dtype = qs_dtype_lookup (best->dtype)->name;
  choice->requested_group_size = best->requested_group_size;
  choice->group_size = best->group_size;
  choice->svd_rank = best->svd_rank;
  choice->nmse = best->metrics.nmse;
  choice->bytes = best_bytes;
}

static double
savings_percent (guint64 value,
                 guint64 reference)
{
  if (reference == 0)
    return 0;

  return 100.0 * (1.0 - (double) value / (double) reference);
}

static QsSizeTotals *
lookup_totals (GPtrArray  *totals,
               const char *component)
{
  QsSizeTotals *entry;

  for (guint i = 0; i < totals->len; i++)
    {
      entry = g_ptr_array_index (totals, i);
      if (g_strcmp0 (entry->component, component) == 0)
        return entry;
    }

  entry = g_new0 (QsSizeTotals, 1);
  entry->component = g_strdup (component);
  g_ptr_array_add (totals, entry);

  return entry;
}

static void
add_sizes (QsSizeTotals       *totals,
           const QsAutoChoice *choice)
{
  totals->fp16_bytes += choice->fp16_bytes;
  totals->uniform_bytes += choice->uniform_bytes;
  totals->recommended_bytes += choice->bytes;
}

static void
finish_sizes (QsSizeTotals *totals)
{
  totals->savings_vs_fp16 = savings_percent (totals->recommended_bytes, totals->fp16_bytes);
  totals->savings_vs_uniform = savings_percent (totals->recommended_bytes, totals->uniform_bytes);
}

/* Counts values and returns the most frequent, the first seen on a tie. */
static const char *
most_common (GPtrArray *values)
{
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  const char *best = NULL;
  guint best_count = 0;

  for (guint i = 0; i < values->len; i++)
    {
      const char *value = g_ptr_array_index (values, i);
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, value)) + 1;

      g_hash_table_insert (counts, (gpointer) value, GUINT_TO_POINTER (count));
    }

  for (guint i = 0; i < values->len; i++)
    {
      const char *value = g_ptr_array_index (values, i);
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, value));

      if (count > best_count)
        {
          best = value;
          best_count = count;
        }
    }

  return best;
}

/* Builds one component's SDNQConfig from the auto-config choices. Group
 * sizes are the resolved ones, as the analysis script writes them. */
static QsSdnqConfig *
build_auto_config (QsSummary  *self,
                   const char *component)
{
  g_autoptr(QsSdnqConfig) config = qs_sdnq_config_new ();
  g_autoptr(GPtrArray) dtypes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) sizes = g_ptr_array_new_with_free_func (g_free);
  const char *base_dtype;
  const char *base_size;

  for (guint i = 0; i < self->layers->len; i++)
    {
      const QsLayerSummary *layer = g_ptr_array_index (self->layers, i);

      if (g_strcmp0 (layer->layer->component, component) != 0 || layer->auto_choice.skip)
        continue;
      g_ptr_array_add (dtypes, g_strdup (layer->auto_choice.dtype));
      g_ptr_array_add (sizes, g_strdup_printf ("%" G_GINT64_FORMAT, layer->auto_choice.group_size));
    }

  base_dtype = most_common (dtypes);
  base_size = most_common (sizes);
  g_free (config->weights_dtype);
  config->weights_dtype = g_strdup (base_dtype != NULL ? base_dtype : self->primary_dtype);
  config->group_size = base_size != NULL ? g_ascii_strtoll (base_size, NULL, 10) : 0;

  for (guint i = 0; i < self->layers->len; i++)
    {
      const QsLayerSummary *layer = g_ptr_array_index (self->layers, i);
      const QsAutoChoice *choice = &layer->auto_choice;
      const char *name = layer->layer->name;

      if (g_strcmp0 (layer->layer->component, component) != 0)
        continue;

      if (choice->skip)
        {
          g_ptr_array_add (config->modules_to_not_convert, g_strdup (name));
          continue;
        }

      if (g_strcmp0 (choice->dtype, config->weights_dtype) != 0)
        qs_pattern_dict_add (config->modules_dtype_dict, choice->dtype, name);

      if (choice->group_size != config->group_size)
        {
          g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT, choice->group_size);

          qs_pattern_dict_add (config->modules_group_size_dict, key, name);
        }

      if (choice->svd_rank > 0)
        {
          g_autofree char *key = g_strdup_printf ("%u", choice->svd_rank);

          qs_pattern_dict_add (config->modules_svd_dict, key, name);
        }
    }

  return g_steal_pointer (&config);
}

/* Builds one component's SDNQConfig from the verdicts: PROMOTE layers get
 * their dtype (or, in group-size mode, their group size); SKIP and ERROR
 * layers are not converted. */
static QsSdnqConfig *
build_verdict_config (QsSummary  *self,
                      const char *component)
{
  g_autoptr(QsSdnqConfig) config = qs_sdnq_config_new ();

  g_free (config->weights_dtype);
  config->weights_dtype = g_strdup (self->primary_dtype);
  config->group_size = self->classify_group_size;
  if (self->uses_svd_rows)
    {
      config->use_svd = TRUE;
      config->svd_rank = self->classify_svd_rank;
    }

  for (guint i = 0; i < self->layers->len; i++)
    {
      const QsLayerSummary *layer = g_ptr_array_index (self->layers, i);
      const char *name = layer->layer->name;

      if (g_strcmp0 (layer->layer->component, component) != 0)
        continue;

      switch (layer->verdict)
        {
        case QS_VERDICT_OK:
          break;

        case QS_VERDICT_PROMOTE:
          if (self->axis == QS_SUMMARY_AXIS_GROUP_SIZE)
            {
              g_autofree char *key =
                g_strdup_printf ("%" G_GINT64_FORMAT, layer->group_size[layer->promote_column]);

              qs_pattern_dict_add (config->modules_group_size_dict, key, name);
            }
          else
            {
              qs_pattern_dict_add (config->modules_dtype_dict, layer->promote_to, name);
            }
          break;

        case QS_VERDICT_SKIP:
        case QS_VERDICT_ERROR:
        default:
          g_ptr_array_add (config->modules_to_not_convert, g_strdup (name));
          break;
        }
    }

  return g_steal_pointer (&config);
}

static void
init_columns (QsSummary                *self,
              const QsAnalysisSettings *settings)
{
  self->primary_dtype = g_strdup (settings->dtypes != NULL && settings->dtypes[0] != NULL
                                  ? settings->dtypes[0] : "");
  {
    const QsDtype *primary = qs_dtype_lookup (self->primary_dtype);

    if (primary != NULL)
      {
        g_free (self->primary_dtype);
        self->primary_dtype = g_strdup (primary->name);
      }
  }

  if (settings->n_group_sizes > 1)
    {
      self->axis = QS_SUMMARY_AXIS_GROUP_SIZE;
      self->n_columns = settings->n_group_sizes;
      self->columns = g_new0 (char *, self->n_columns + 1);
      self->column_group_sizes = g_new0 (gint64, self->n_columns);
      for (guint c = 0; c < self->n_columns; c++)
        {
          self->column_group_sizes[c] = settings->group_sizes[c];
          self->columns[c] = qs_format_group_size_label (settings->group_sizes[c]);
        }
      return;
    }

  self->axis = QS_SUMMARY_AXIS_DTYPE;
  self->n_columns = settings->dtypes != NULL ? g_strv_length (settings->dtypes) : 0;
  self->columns = g_new0 (char *, self->n_columns + 1);
  self->column_group_sizes = g_new0 (gint64, MAX (self->n_columns, 1));
  for (guint c = 0; c < self->n_columns; c++)
    {
      const QsDtype *dtype = qs_dtype_lookup (settings->dtypes[c]);

      self->columns[c] = g_strdup (dtype != NULL ? dtype->name : settings->dtypes[c]);
      self->column_group_sizes[c] = self->classify_group_size;
    }
}

QsSummary *
qs_summary_new_full (QsAnalysisResult       *result,
                     const QsSummaryOptions *options)
{
  const QsAnalysisSettings *settings;
  g_autoptr(GArray) finite = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GPtrArray) sorted = NULL;
  g_autoptr(GPtrArray) components = g_ptr_array_new ();
  QsSummary *self;
  guint n_layers;
  double sum = 0;

  g_return_val_if_fail (QS_IS_ANALYSIS_RESULT (result), NULL);
  g_return_val_if_fail (options != NULL, NULL);

  settings = qs_analysis_result_get_settings (result);

  self = g_new0 (QsSummary, 1);
  self->skip_threshold = options->skip_threshold;
  self->promote_threshold = options->promote_threshold;
  self->top_n = options->top_n;
  self->uses_svd_rows = !settings->use_raw;
  self->classify_svd_rank = self->uses_svd_rows && settings->n_svd_ranks > 0
                            ? settings->svd_ranks[0] : 0;
  self->classify_group_size = settings->n_group_sizes > 0 ? settings->group_sizes[0] : 0;
  init_columns (self, settings);
  self->layers = g_ptr_array_new_with_free_func ((GDestroyNotify) layer_summary_free);
  self->n_skipped_tensors = qs_analysis_result_get_skipped (result)->len;
  self->nmse_mean = NAN;
  self->nmse_median = NAN;
  self->nmse_worst = NAN;

  self->has_svd_comparison = settings->use_raw && settings->use_svd
                             && self->axis == QS_SUMMARY_AXIS_DTYPE
                             && settings->n_svd_ranks > 0;
  if (self->has_svd_comparison)
    {
      self->n_svd_ranks = settings->n_svd_ranks;
      self->svd_ranks = g_memdup2 (settings->svd_ranks, sizeof (guint) * settings->n_svd_ranks);
      self->n_svd_rescued = g_new0 (guint, settings->n_svd_ranks);
    }

  self->has_auto_config = options->auto_config;
  self->component_totals = g_ptr_array_new_with_free_func ((GDestroyNotify) size_totals_free);
  self->configs = g_ptr_array_new_with_free_func ((GDestroyNotify) component_config_free);

  n_layers = qs_analysis_result_get_n_layers (result);
  for (guint i = 0; i < n_layers; i++)
    {
      QsLayerResult *layer = qs_analysis_result_get_layer (result, i);
      QsLayerSummary *summary = g_new0 (QsLayerSummary, 1);
      gboolean seen = FALSE;

      summary->layer = qs_layer_result_ref (layer);
      summary->nmse = g_new (double, MAX (self->n_columns, 1));
      summary->group_size = g_new (gint64, MAX (self->n_columns, 1));
      fill_columns (self, summary, layer, self->classify_svd_rank);
      summary->primary_nmse = self->n_columns > 0 ? summary->nmse[0] : NAN;

      if (layer->error != NULL)
        {
          summary->verdict = QS_VERDICT_ERROR;
          summary->promote_column = -1;
        }
      else
        {
          summary->verdict = classify_values (summary->nmse, self->n_columns,
                                              self->skip_threshold, self->promote_threshold,
                                              &summary->promote_column);
          if (summary->promote_column >= 0)
            summary->promote_to = self->columns[summary->promote_column];
        }

      if (self->has_svd_comparison)
        fill_svd_comparison (self, summary);

      for (guint c = 0; c < components->len; c++)
        seen |= g_strcmp0 (g_ptr_array_index (components, c), layer->component) == 0;
      if (!seen)
        g_ptr_array_add (components, layer->component);

      g_ptr_array_add (self->layers, summary);

      if (layer->flags != NULL && g_strv_contains ((const char * const *) layer->flags,
                                                   "kernel-unfriendly-width"))
        self->n_kernel_unfriendly++;
      if (layer->flags != NULL && g_strv_contains ((const char * const *) layer->flags,
                                                   "constant-groups"))
        self->n_constant_groups++;
      if (layer->flags != NULL && g_strv_contains ((const char * const *) layer->flags,
                                                   "sdnq-default-skip"))
        self->n_sdnq_default_skip++;

      self->n_layers++;
      switch (summary->verdict)
        {
        case QS_VERDICT_OK:
          self->n_ok++;
          break;
        case QS_VERDICT_PROMOTE:
          self->n_promote++;
          break;
        case QS_VERDICT_SKIP:
          self->n_skip++;
          break;
        case QS_VERDICT_ERROR:
        default:
          self->n_error++;
          break;
        }

      if (options->auto_config)
        choose_auto_config (self, summary);

      if (summary->verdict == QS_VERDICT_ERROR)
        continue;

      if (isfinite (summary->primary_nmse))
        {
          g_array_append_val (finite, summary->primary_nmse);
          sum += summary->primary_nmse;
        }
      else if (isinf (summary->primary_nmse))
        {
          self->n_infinite++;
        }
    }
  self->n_components = components->len;

  self->n_finite = finite->len;
  if (finite->len > 0)
    {
      double *values = (double *) (void *) finite->data;
      guint n = finite->len;

      qsort (values, n, sizeof (double), compare_double);
      self->nmse_mean = sum / n;
      self->nmse_median = n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
      self->nmse_worst = values[n - 1];
    }

  sorted = g_ptr_array_new ();
  for (guint i = 0; i < self->layers->len; i++)
    {
      QsLayerSummary *summary = g_ptr_array_index (self->layers, i);

      if (summary->verdict != QS_VERDICT_ERROR)
        g_ptr_array_add (sorted, summary);
    }
  /* g_ptr_array_sort is a stable merge sort, so equal values keep their order. */
  g_ptr_array_sort (sorted, options->auto_config ? compare_worst_recommended_first
                                                 : compare_worst_first);
  if (sorted->len > options->top_n)
    g_ptr_array_set_size (sorted, options->top_n);
  self->top = g_steal_pointer (&sorted);

  if (options->auto_config)
    {
      self->total.component = NULL;
      for (guint i = 0; i < self->layers->len; i++)
        {
          const QsLayerSummary *summary = g_ptr_array_index (self->layers, i);

          add_sizes (lookup_totals (self->component_totals, summary->layer->component),
                     &summary->auto_choice);
          add_sizes (&self->total, &summary->auto_choice);
        }
      for (guint i = 0; i < self->component_totals->len; i++)
        finish_sizes (g_ptr_array_index (self->component_totals, i));
      finish_sizes (&self->total);
    }

  for (guint c = 0; c < components->len; c++)
    {
      QsComponentConfig *config = g_new0 (QsComponentConfig, 1);
      const char *component = g_ptr_array_index (components, c);

      config->component = g_strdup (component);
      config->config = options->auto_config ? build_auto_config (self, component)
                                            : build_verdict_config (self, component);
      g_ptr_array_add (self->configs, config);
    }

  return self;
}

QsSummary *
qs_summary_new (QsAnalysisResult *result,
                double            skip_threshold,
                double            promote_threshold,
                guint             top_n)
{
  QsSummaryOptions options = { skip_threshold, promote_threshold, top_n, FALSE };

  return qs_summary_new_full (result, &options);
}

void
qs_summary_free (QsSummary *self)
{
  if (self == NULL)
    return;

  g_strfreev (self->columns);
  g_free (self->column_group_sizes);
  g_free (self->primary_dtype);
  g_free (self->svd_ranks);
  g_free (self->n_svd_rescued);
  g_clear_pointer (&self->top, g_ptr_array_unref);
  g_clear_pointer (&self->layers, g_ptr_array_unref);
  g_clear_pointer (&self->component_totals, g_ptr_array_unref);
  g_clear_pointer (&self->configs, g_ptr_array_unref);
  g_free (self);
}

JsonNode *
qs_summary_build_pipeline_config (const QsSummary *self,
                                  QsConfigStyle    style)
{
  g_autoptr(JsonObject) object = json_object_new ();
  JsonNode *node;

  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < self->configs->len; i++)
    {
      const QsComponentConfig *config = g_ptr_array_index (self->configs, i);

      json_object_set_member (object, config->component,
                              qs_sdnq_config_to_json (config->config, style));
    }

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, object);

  return node;
}

char *
qs_layer_summary_format_verdict (const QsLayerSummary *layer)
{
  g_return_val_if_fail (layer != NULL, NULL);

  if (layer->verdict == QS_VERDICT_PROMOTE && layer->promote_to != NULL)
    return g_strdup_printf (">%s", layer->promote_to);

  return g_strdup (qs_verdict_to_string (layer->verdict));
}

char *
qs_format_nmse (double nmse)
{
  if (isnan (nmse))
    return g_strdup ("-");
  if (isinf (nmse))
    return g_strdup ("INF");

  return g_strdup_printf ("%.4e", nmse);
}
