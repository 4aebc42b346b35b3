/* qs-cli-table.c: the terminal summary of quantscope-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <stdio.h>

#include <libsmartcols/libsmartcols.h>

#include "qs-cli.h"

#define COLOR_OK      "\033[1;32m"
#define COLOR_PROMOTE "\033[1;33m"
#define COLOR_SKIP    "\033[1;31m"
#define COLOR_BOLD    "\033[1m"
#define COLOR_RESET   "\033[0m"

static const char *
verdict_color (QsVerdict verdict)
{
  switch (verdict)
    {
    case QS_VERDICT_OK:
      return "green";
    case QS_VERDICT_PROMOTE:
      return "yellow";
    case QS_VERDICT_SKIP:
    case QS_VERDICT_ERROR:
    default:
      return "red";
    }
}

static const char *
escape (gboolean    color,
        const char *sequence)
{
  return color ? sequence : "";
}

static gboolean
has_several_components (const QsSummary *summary)
{
  const char *first = NULL;

  for (guint i = 0; i < summary->layers->len; i++)
    {
      const QsLayerSummary *layer = g_ptr_array_index (summary->layers, i);

      if (first == NULL)
        first = layer->layer->component;
      else if (g_strcmp0 (first, layer->layer->component) != 0)
        return TRUE;
    }

  return FALSE;
}

static char *
describe_classified_rows (const QsSummary *summary)
{
  g_autofree char *group = NULL;

  if (summary->classify_group_size == 0)
    group = g_strdup ("automatic group size");
  else if (summary->classify_group_size < 0)
    group = g_strdup ("row-wise");
  else
    group = g_strdup_printf ("group size %" G_GINT64_FORMAT, summary->classify_group_size);

  if (summary->uses_svd_rows)
    return g_strdup_printf ("SVD rank %u, %s", summary->classify_svd_rank, group);

  return g_strdup_printf ("raw, %s", group);
}

static void
print_top_table (const QsSummary *summary,
                 gboolean         color)
{
  struct libscols_table *table = scols_new_table ();
  gboolean with_component = has_several_components (summary);
  guint first_nmse_column;
  guint verdict_column;

  scols_table_enable_colors (table, color);
  scols_table_set_stream (table, stdout);

  scols_table_new_column (table, "#", 0, SCOLS_FL_RIGHT);
  if (with_component)
    scols_table_new_column (table, "COMPONENT", 0, 0);
  scols_table_new_column (table, "LAYER", 0.5, SCOLS_FL_TRUNC);
  scols_table_new_column (table, "CLASS", 0, 0);
  scols_table_new_column (table, "SHAPE", 0, 0);
  first_nmse_column = with_component ? 5 : 4;
  for (guint c = 0; c < summary->n_columns; c++)
    scols_table_new_column (table, summary->columns[c], 0, SCOLS_FL_RIGHT);
  verdict_column = first_nmse_column + summary->n_columns;
  scols_table_new_column (table, "VERDICT", 0, 0);

  for (guint i = 0; i < summary->top->len; i++)
    {
      const QsLayerSummary *layer = g_ptr_array_index (summary->top, i);
      struct libscols_line *line = scols_table_new_line (table, NULL);
      g_autofree char *index = g_strdup_printf ("%u", i + 1);
      g_autofree char *shape = qs_layer_result_format_shape (layer->layer);
      g_autofree char *verdict = qs_layer_summary_format_verdict (layer);
      guint column = 0;

      scols_line_set_data (line, column++, index);
      if (with_component)
        scols_line_set_data (line, column++, layer->layer->component);
      scols_line_set_data (line, column++, layer->layer->name);
      scols_line_set_data (line, column++, layer->layer->layer_class);
      scols_line_set_data (line, column++, shape);
      for (guint c = 0; c < summary->n_columns; c++)
        {
          g_autofree char *nmse = qs_format_nmse (layer->nmse[c]);

          scols_line_set_data (line, first_nmse_column + c, nmse);
        }
      scols_line_set_data (line, verdict_column, verdict);
      if (color)
        scols_cell_set_color (scols_line_get_cell (line, verdict_column),
                              verdict_color (layer->verdict));
    }

  scols_print_table (table);
  scols_unref_table (table);
}

void
qs_cli_print_summary (QsAnalysisResult *result,
                      const QsSummary  *summary,
                      gboolean          color)
{
  const char *model = qs_analysis_result_get_provenance_value (result, "model");
  g_autofree char *rows = describe_classified_rows (summary);
  g_autofree char *mean = qs_format_nmse (summary->nmse_mean);
  g_autofree char *median = qs_format_nmse (summary->nmse_median);
  g_autofree char *worst = qs_format_nmse (summary->nmse_worst);

  printf ("\n%sModel%s %s\n", escape (color, COLOR_BOLD), escape (color, COLOR_RESET),
          model != NULL ? model : "(unknown)");
  printf ("Layers: %u analysed", summary->n_layers);
  if (!qs_analysis_result_get_complete (result))
    printf (" of %u planned (cancelled, partial result)",
            qs_analysis_result_get_n_layers_planned (result));
  printf (", %u tensors not quantizable\n", summary->n_skipped_tensors);

  printf ("%sOK %u%s   %sPROMOTE %u%s   %sSKIP %u%s",
          escape (color, COLOR_OK), summary->n_ok, escape (color, COLOR_RESET),
          escape (color, COLOR_PROMOTE), summary->n_promote, escape (color, COLOR_RESET),
          escape (color, COLOR_SKIP), summary->n_skip, escape (color, COLOR_RESET));
  if (summary->n_error > 0)
    printf ("   %sERROR %u%s", escape (color, COLOR_SKIP), summary->n_error,
            escape (color, COLOR_RESET));
  printf ("   (promote ≤ %g, skip > %g)\n", summary->promote_threshold, summary->skip_threshold);

  if (summary->n_columns > 0)
    printf ("NMSE of %s (%s): mean %s, median %s, worst %s, INF %u\n",
            summary->columns[0], rows, mean, median, worst, summary->n_infinite);

  if (summary->top->len > 0)
    {
      printf ("\n%sTop %u most sensitive layers%s (NMSE, %s)\n",
              escape (color, COLOR_BOLD), summary->top->len, escape (color, COLOR_RESET), rows);
      fflush (stdout);
      print_top_table (summary, color);
    }

  for (guint i = 0; i < summary->layers->len; i++)
    {
      const QsLayerSummary *layer = g_ptr_array_index (summary->layers, i);

      if (layer->verdict == QS_VERDICT_ERROR)
        printf ("%sERROR%s %s/%s: %s\n", escape (color, COLOR_SKIP), escape (color, COLOR_RESET),
                layer->layer->component, layer->layer->name, layer->layer->error);
    }

  fflush (stdout);
}
