/* qs-cli-table.c: the terminal summary of quantscope-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib/gi18n.h>
#include <libsmartcols/libsmartcols.h>

#include "qs-cli.h"

#define COLOR_OK      "\033[1;32m"
#define COLOR_PROMOTE "\033[1;33m"
#define COLOR_SKIP    "\033[1;31m"
#define COLOR_BOLD    "\033[1m"
#define COLOR_RESET   "\033[0m"

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

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

static char *
format_size (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}

static void
print_svd_comparison (const QsSummary *summary,
                      gboolean         color)
{
  for (guint r = 0; r < summary->n_svd_ranks; r++)
    {
      g_autoptr(GArray) factors = g_array_new (FALSE, FALSE, sizeof (double));
      struct libscols_table *table = NULL;

      for (guint i = 0; i < summary->layers->len; i++)
        {
          const QsLayerSummary *layer = g_ptr_array_index (summary->layers, i);

          if (layer->n_svd > r && isfinite (layer->svd[r].improvement))
            g_array_append_val (factors, layer->svd[r].improvement);
        }

      printf (ngettext ("\n%sSVD rank %u%s against raw (%s): moves %u layer from PROMOTE or "
                        "SKIP to OK",
                        "\n%sSVD rank %u%s against raw (%s): moves %u layers from PROMOTE or "
                        "SKIP to OK", summary->n_svd_rescued[r]),
              escape (color, COLOR_BOLD), summary->svd_ranks[r], escape (color, COLOR_RESET),
              summary->primary_dtype, summary->n_svd_rescued[r]);
      if (factors->len > 0)
        {
          double *values = (double *) (void *) factors->data;

          qsort (values, factors->len, sizeof (double), compare_doubles);
          printf (_("; median NMSE improvement %.2f×"), factors->len % 2 == 1
                  ? values[factors->len / 2]
                  : 0.5 * (values[factors->len / 2 - 1] + values[factors->len / 2]));
        }
      printf ("\n");

      if (summary->n_svd_rescued[r] == 0)
        continue;

      fflush (stdout);
      table = scols_new_table ();
      scols_table_enable_colors (table, color);
      scols_table_set_stream (table, stdout);
      scols_table_new_column (table, "COMPONENT", 0, 0);
      scols_table_new_column (table, "LAYER", 0.5, SCOLS_FL_TRUNC);
      scols_table_new_column (table, "RAW NMSE", 0, SCOLS_FL_RIGHT);
      scols_table_new_column (table, "SVD NMSE", 0, SCOLS_FL_RIGHT);
      scols_table_new_column (table, "IMPROVEMENT", 0, SCOLS_FL_RIGHT);
      scols_table_new_column (table, "RAW VERDICT", 0, 0);

      for (guint i = 0; i < summary->layers->len; i++)
        {
          const QsLayerSummary *layer = g_ptr_array_index (summary->layers, i);
          const QsSvdComparison *comparison;
          struct libscols_line *line;
          g_autofree char *raw = NULL;
          g_autofree char *svd = NULL;
          g_autofree char *factor = NULL;
          g_autofree char *verdict = NULL;

          if (layer->n_svd <= r || !layer->svd[r].rescued)
            continue;

          comparison = &layer->svd[r];
          raw = qs_format_nmse (comparison->raw_nmse);
          svd = qs_format_nmse (comparison->svd_nmse);
          factor = isnan (comparison->improvement) ? g_strdup ("-")
                   : isinf (comparison->improvement) ? g_strdup ("INF")
                   : g_strdup_printf ("%.2f×", comparison->improvement);
          verdict = qs_layer_summary_format_verdict (layer);

          line = scols_table_new_line (table, NULL);
          scols_line_set_data (line, 0, layer->layer->component);
          scols_line_set_data (line, 1, layer->layer->name);
          scols_line_set_data (line, 2, raw);
          scols_line_set_data (line, 3, svd);
          scols_line_set_data (line, 4, factor);
          scols_line_set_data (line, 5, verdict);
        }

      scols_print_table (table);
      scols_unref_table (table);
    }
}

static void
print_sizes (const char         *label,
             const QsSizeTotals *totals)
{
  g_autofree char *fp16 = format_size (totals->fp16_bytes);
  g_autofree char *uniform = format_size (totals->uniform_bytes);
  g_autofree char *recommended = format_size (totals->recommended_bytes);

  printf (_("  %-16s FP16 %s, uniform %s, recommended %s (%.1f%% smaller than FP16, "
            "%.1f%% %s than uniform)\n"),
          label, fp16, uniform, recommended, totals->savings_vs_fp16,
          fabs (totals->savings_vs_uniform),
          totals->savings_vs_uniform >= 0 ? "smaller" : "larger");
}

static void
print_auto_config (const QsSummary *summary,
                   gboolean         color)
{
  struct libscols_table *table = scols_new_table ();
  gboolean with_component = summary->n_components > 1;
  g_autofree char *group = qs_format_group_size_label (summary->classify_group_size);

  printf (_("\n%sAuto-config%s: the cheapest format per layer with NMSE ≤ %g "
            "(uniform: %s, %s, no SVD)\n"),
          escape (color, COLOR_BOLD), escape (color, COLOR_RESET), summary->promote_threshold,
          summary->primary_dtype, group);
  fflush (stdout);

  scols_table_enable_colors (table, color);
  scols_table_set_stream (table, stdout);
  if (with_component)
    scols_table_new_column (table, "COMPONENT", 0, 0);
  scols_table_new_column (table, "LAYER", 0.5, SCOLS_FL_TRUNC);
  scols_table_new_column (table, "DTYPE", 0, 0);
  scols_table_new_column (table, "GROUP", 0, SCOLS_FL_RIGHT);
  scols_table_new_column (table, "SVD", 0, SCOLS_FL_RIGHT);
  scols_table_new_column (table, "NMSE", 0, SCOLS_FL_RIGHT);
  scols_table_new_column (table, "SIZE", 0, SCOLS_FL_RIGHT);
  scols_table_new_column (table, "VERDICT", 0, 0);

  for (guint i = 0; i < summary->layers->len; i++)
    {
      const QsLayerSummary *layer = g_ptr_array_index (summary->layers, i);
      const QsAutoChoice *choice = &layer->auto_choice;
      struct libscols_line *line = scols_table_new_line (table, NULL);
      g_autofree char *group_size = NULL;
      g_autofree char *rank = NULL;
      g_autofree char *nmse = qs_format_nmse (choice->nmse);
      g_autofree char *size = format_size (choice->bytes);
      guint column = 0;

      if (choice->skip)
        {
          group_size = g_strdup ("-");
          rank = g_strdup ("-");
        }
      else
        {
          group_size = g_strdup_printf ("%" G_GINT64_FORMAT, choice->group_size);
          rank = choice->svd_rank > 0 ? g_strdup_printf ("%u", choice->svd_rank) : g_strdup ("-");
        }

      if (with_component)
        scols_line_set_data (line, column++, layer->layer->component);
      scols_line_set_data (line, column++, layer->layer->name);
      scols_line_set_data (line, column++, choice->skip ? "fp16" : choice->dtype);
      scols_line_set_data (line, column++, group_size);
      scols_line_set_data (line, column++, rank);
      scols_line_set_data (line, column++, nmse);
      scols_line_set_data (line, column++, size);
      scols_line_set_data (line, column, choice->skip ? "SKIP" : "OK");
      if (color)
        scols_cell_set_color (scols_line_get_cell (line, column),
                              choice->skip ? "red" : "green");
    }

  scols_print_table (table);
  scols_unref_table (table);

  printf (_("\nEstimated size of the analysed layers:\n"));
  if (summary->component_totals->len > 1)
    {
      for (guint i = 0; i < summary->component_totals->len; i++)
        {
          const QsSizeTotals *totals = g_ptr_array_index (summary->component_totals, i);

          print_sizes (totals->component, totals);
        }
    }
  print_sizes ("total", &summary->total);
}

static void
print_top_table (const QsSummary *summary,
                 gboolean         color)
{
  struct libscols_table *table = scols_new_table ();
  gboolean with_component = summary->n_components > 1;
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
  printf (_("Layers: %u analysed"), summary->n_layers);
  if (!qs_analysis_result_get_complete (result))
    printf (_(" of %u planned (cancelled, partial result)"),
            qs_analysis_result_get_n_layers_planned (result));
  printf (_(", %u tensors not quantizable\n"), summary->n_skipped_tensors);

  printf ("%sOK %u%s   %sPROMOTE %u%s   %sSKIP %u%s",
          escape (color, COLOR_OK), summary->n_ok, escape (color, COLOR_RESET),
          escape (color, COLOR_PROMOTE), summary->n_promote, escape (color, COLOR_RESET),
          escape (color, COLOR_SKIP), summary->n_skip, escape (color, COLOR_RESET));
  if (summary->n_error > 0)
    printf ("   %sERROR %u%s", escape (color, COLOR_SKIP), summary->n_error,
            escape (color, COLOR_RESET));
  printf (_("   (promote ≤ %g, skip > %g)\n"),
          summary->promote_threshold, summary->skip_threshold);

  if (summary->n_columns > 0)
    printf (_("NMSE of %s (%s): mean %s, median %s, worst %s, INF %u\n"),
            summary->columns[0], rows, mean, median, worst, summary->n_infinite);
  if (summary->n_kernel_unfriendly > 0)
    printf (ngettext ("%u layer has a width that is not a multiple of 16; int8 and fp8 "
                      "matmul kernels run it on slow paths\n",
                      "%u layers have a width that is not a multiple of 16; int8 and fp8 "
                      "matmul kernels run them on slow paths\n", summary->n_kernel_unfriendly),
            summary->n_kernel_unfriendly);
  if (summary->n_sdnq_default_skip > 0)
    printf (ngettext ("%u layer matches SDNQ's default skip keys (embedders, proj_in/proj_out, "
                      "final layers, lm_head) and stays unquantized unless add_skip_keys is off\n",
                      "%u layers match SDNQ's default skip keys (embedders, proj_in/proj_out, "
                      "final layers, lm_head) and stay unquantized unless add_skip_keys is off\n",
                      summary->n_sdnq_default_skip),
            summary->n_sdnq_default_skip);
  if (summary->n_constant_groups > 0)
    printf (ngettext ("%u layer has constant quantization groups (all values equal), which "
                      "reconstruct exactly\n",
                      "%u layers have constant quantization groups (all values equal), which "
                      "reconstruct exactly\n", summary->n_constant_groups),
            summary->n_constant_groups);

  if (summary->top->len > 0)
    {
      if (summary->axis == QS_SUMMARY_AXIS_GROUP_SIZE)
        printf (_("\n%sTop %u most sensitive layers%s (NMSE of %s by group size, %s)\n"),
                escape (color, COLOR_BOLD), summary->top->len, escape (color, COLOR_RESET),
                summary->primary_dtype, summary->uses_svd_rows ? "SVD rows" : "raw");
      else
        printf (_("\n%sTop %u most sensitive layers%s (NMSE, %s)\n"),
                escape (color, COLOR_BOLD), summary->top->len, escape (color, COLOR_RESET), rows);
      fflush (stdout);
      print_top_table (summary, color);
    }

  if (summary->has_svd_comparison)
    print_svd_comparison (summary, color);

  if (summary->has_auto_config)
    print_auto_config (summary, color);

  for (guint i = 0; i < summary->layers->len; i++)
    {
      const QsLayerSummary *layer = g_ptr_array_index (summary->layers, i);

      if (layer->verdict == QS_VERDICT_ERROR)
        printf ("%sERROR%s %s/%s: %s\n", escape (color, COLOR_SKIP), escape (color, COLOR_RESET),
                layer->layer->component, layer->layer->name, layer->layer->error);
    }

  fflush (stdout);
}

void
qs_cli_print_snippets (const QsSummary *summary,
                       QsConfigStyle    style,
                       gboolean         color)
{
  for (guint i = 0; i < summary->configs->len; i++)
    {
      const QsComponentConfig *config = g_ptr_array_index (summary->configs, i);
      g_autofree char *snippet = qs_sdnq_config_format_snippet (config->config, style);

      printf ("\n%s# %s%s\n%s\n", escape (color, COLOR_BOLD), config->component,
              escape (color, COLOR_RESET), snippet);
    }
  fflush (stdout);
}
