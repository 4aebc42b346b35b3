/* qs-summary.c: classification and the summary every output reads
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

static void
layer_summary_free (QsLayerSummary *self)
{
  qs_layer_result_unref (self->layer);
  g_free (self->nmse);
  g_free (self);
}

/* NaN (a format that was not evaluated) counts as failing both thresholds,
 * like INF, because there is nothing that shows the dtype is usable. */
static gboolean
nmse_at_most (double nmse,
              double threshold)
{
  return !isnan (nmse) && nmse <= threshold;
}

static void
classify_layer (QsLayerSummary  *summary,
                const QsSummary *self)
{
  gboolean all_above_skip = TRUE;

  if (summary->layer->error != NULL)
    {
      summary->verdict = QS_VERDICT_ERROR;
      return;
    }

  for (guint c = 0; c < self->n_columns; c++)
    {
      if (nmse_at_most (summary->nmse[c], self->skip_threshold))
        all_above_skip = FALSE;
    }

  if (all_above_skip)
    {
      summary->verdict = QS_VERDICT_SKIP;
      return;
    }

  if (nmse_at_most (summary->primary_nmse, self->promote_threshold))
    {
      summary->verdict = QS_VERDICT_OK;
      return;
    }

  for (guint c = 0; c < self->n_columns; c++)
    {
      if (nmse_at_most (summary->nmse[c], self->promote_threshold))
        {
          summary->verdict = QS_VERDICT_PROMOTE;
          summary->promote_to = self->columns[c];
          return;
        }
    }

  summary->verdict = QS_VERDICT_SKIP;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Worst first: INF before every finite value, NaN (not evaluated) last,
 * and layers with equal values keep their analysis order. */
static int
compare_worst_first (gconstpointer a,
                     gconstpointer b)
{
  const QsLayerSummary *x = *(QsLayerSummary * const *) a;
  const QsLayerSummary *y = *(QsLayerSummary * const *) b;
  double vx = isnan (x->primary_nmse) ? -1 : x->primary_nmse;
  double vy = isnan (y->primary_nmse) ? -1 : y->primary_nmse;

  return (vx < vy) - (vx > vy);
}

QsSummary *
qs_summary_new (QsAnalysisResult *result,
                double            skip_threshold,
                double            promote_threshold,
                guint             top_n)
{
  const QsAnalysisSettings *settings;
  g_autoptr(GArray) finite = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GPtrArray) sorted = NULL;
  QsSummary *self;
  guint n_layers;
  double sum = 0;

  g_return_val_if_fail (QS_IS_ANALYSIS_RESULT (result), NULL);

  settings = qs_analysis_result_get_settings (result);

  self = g_new0 (QsSummary, 1);
  self->skip_threshold = skip_threshold;
  self->promote_threshold = promote_threshold;
  self->top_n = top_n;
  self->n_columns = g_strv_length (settings->dtypes);
  self->columns = g_strdupv (settings->dtypes);
  self->uses_svd_rows = !settings->use_raw;
  self->classify_svd_rank = self->uses_svd_rows && settings->n_svd_ranks > 0
                            ? settings->svd_ranks[0] : 0;
  self->classify_group_size = settings->n_group_sizes > 0 ? settings->group_sizes[0] : 0;
  self->layers = g_ptr_array_new_with_free_func ((GDestroyNotify) layer_summary_free);
  self->n_skipped_tensors = qs_analysis_result_get_skipped (result)->len;
  self->nmse_mean = NAN;
  self->nmse_median = NAN;
  self->nmse_worst = NAN;

  n_layers = qs_analysis_result_get_n_layers (result);
  for (guint i = 0; i < n_layers; i++)
    {
      QsLayerResult *layer = qs_analysis_result_get_layer (result, i);
      QsLayerSummary *summary = g_new0 (QsLayerSummary, 1);

      summary->layer = qs_layer_result_ref (layer);
      summary->nmse = g_new (double, MAX (self->n_columns, 1));

      for (guint c = 0; c < self->n_columns; c++)
        {
          const QsDtype *dtype = qs_dtype_lookup (settings->dtypes[c]);
          const QsFormatRecord *record = NULL;

          if (dtype != NULL)
            record = qs_layer_result_lookup_format (layer, dtype->name,
                                                    self->classify_svd_rank,
                                                    self->classify_group_size);
          summary->nmse[c] = record != NULL ? record->metrics.nmse : NAN;
        }
      summary->primary_nmse = self->n_columns > 0 ? summary->nmse[0] : NAN;

      classify_layer (summary, self);
      g_ptr_array_add (self->layers, summary);

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
  g_ptr_array_sort (sorted, compare_worst_first);
  if (sorted->len > top_n)
    g_ptr_array_set_size (sorted, top_n);
  self->top = g_steal_pointer (&sorted);

  return self;
}

void
qs_summary_free (QsSummary *self)
{
  if (self == NULL)
    return;

  g_strfreev (self->columns);
  g_clear_pointer (&self->top, g_ptr_array_unref);
  g_clear_pointer (&self->layers, g_ptr_array_unref);
  g_free (self);
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
