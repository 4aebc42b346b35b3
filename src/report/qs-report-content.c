/* qs-report-content.c: the text and tables of a report, shared by the HTML
 * and the PDF writers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <math.h>

#include "qs-report-content.h"

static void
column_clear (QsReportColumn *column)
{
  g_free (column->title);
}

static void
cell_clear (QsReportCell *cell)
{
  g_free (cell->text);
  g_free (cell->title);
}

static QsReportTable *
table_new (const char *id,
           const char *title)
{
  QsReportTable *self = g_new0 (QsReportTable, 1);

  self->id = g_strdup (id);
  self->title = g_strdup (title);
  self->columns = g_array_new (FALSE, TRUE, sizeof (QsReportColumn));
  g_array_set_clear_func (self->columns, (GDestroyNotify) column_clear);
  self->cells = g_array_new (FALSE, TRUE, sizeof (QsReportCell));
  g_array_set_clear_func (self->cells, (GDestroyNotify) cell_clear);

  return self;
}

void
qs_report_table_free (QsReportTable *self)
{
  if (self == NULL)
    return;

  g_free (self->id);
  g_free (self->title);
  g_free (self->caption);
  g_array_unref (self->columns);
  g_array_unref (self->cells);
  g_free (self);
}

static void
table_add_column (QsReportTable      *self,
                  const char         *title,
                  QsReportColumnKind  kind)
{
  QsReportColumn column = { g_strdup (title), kind };

  g_assert (self->n_rows == 0);

  g_array_append_val (self->columns, column);
}

/* Appends a row of empty cells and returns its index. */
static guint
table_add_row (QsReportTable *self)
{
  guint first = self->cells->len;

  g_array_set_size (self->cells, first + self->columns->len);
  for (guint c = 0; c < self->columns->len; c++)
    g_array_index (self->cells, QsReportCell, first + c).severity = QS_SEVERITY_UNKNOWN;

  return self->n_rows++;
}

static QsReportCell *
table_cell (QsReportTable *self,
            guint          row,
            guint          column)
{
  g_assert (row < self->n_rows && column < self->columns->len);

  return &g_array_index (self->cells, QsReportCell, row * self->columns->len + column);
}

/* Sets a cell's text and returns the next column. */
static guint
table_set_text (QsReportTable *self,
                guint          row,
                guint          column,
                const char    *text)
{
  QsReportCell *cell = table_cell (self, row, column);

  g_free (cell->text);
  cell->text = g_strdup (text != NULL ? text : "");

  return column + 1;
}

static guint
table_take_text (QsReportTable *self,
                 guint          row,
                 guint          column,
                 char          *text)
{
  guint next = table_set_text (self, row, column, text);

  g_free (text);

  return next;
}

static guint
table_set_nmse (QsReportTable   *self,
                guint            row,
                guint            column,
                double           nmse,
                const QsSummary *summary)
{
  QsReportCell *cell = table_cell (self, row, column);
  char exact[G_ASCII_DTOSTR_BUF_SIZE];

  cell->severity = qs_severity_for_nmse (nmse, summary->skip_threshold, summary->promote_threshold);
  if (isfinite (nmse))
    cell->title = g_strdup (g_ascii_formatd (exact, sizeof exact, "%.8g", nmse));

  return table_take_text (self, row, column, qs_format_nmse (nmse));
}

static guint
table_set_verdict (QsReportTable *self,
                   guint          row,
                   guint          column,
                   QsVerdict      verdict,
                   char          *text)
{
  QsReportCell *cell = table_cell (self, row, column);

  cell->has_verdict = TRUE;
  cell->verdict = verdict;

  return table_take_text (self, row, column, text);
}

const QsReportColumn *
qs_report_table_get_column (const QsReportTable *self,
                            guint                column)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (column < self->columns->len, NULL);

  return &g_array_index (self->columns, QsReportColumn, column);
}

const QsReportCell *
qs_report_table_get_cell (const QsReportTable *self,
                          guint                row,
                          guint                column)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (row < self->n_rows && column < self->columns->len, NULL);

  return &g_array_index (self->cells, QsReportCell, row * self->columns->len + column);
}

static void
entry_free (QsReportEntry *entry)
{
  g_free (entry->label);
  g_free (entry->value);
  g_free (entry);
}

static void
add_entry (GPtrArray  *entries,
           const char *label,
           char       *value)
{
  QsReportEntry *entry = g_new0 (QsReportEntry, 1);

  entry->label = g_strdup (label);
  entry->value = value;
  entry->severity = QS_SEVERITY_UNKNOWN;
  g_ptr_array_add (entries, entry);
}

static void
add_verdict_entry (GPtrArray *entries,
                   QsVerdict  verdict,
                   guint      count)
{
  QsReportEntry *entry = g_new0 (QsReportEntry, 1);

  entry->label = g_strdup (qs_verdict_to_string (verdict));
  entry->value = g_strdup_printf ("%u", count);
  entry->has_verdict = TRUE;
  entry->verdict = verdict;
  entry->severity = QS_SEVERITY_UNKNOWN;
  g_ptr_array_add (entries, entry);
}

static void
snippet_free (QsReportSnippet *snippet)
{
  g_free (snippet->component);
  g_free (snippet->text);
  g_free (snippet);
}

char *
qs_report_format_size (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}

static char *
format_percent (double percent)
{
  return g_strdup_printf ("%.1f %%", percent);
}

static char *
format_group_sizes (const QsAnalysisSettings *settings)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < settings->n_group_sizes; i++)
    {
      g_autofree char *label = qs_format_group_size_label (settings->group_sizes[i]);

      g_string_append_printf (text, "%s%s", i > 0 ? ", " : "", label);
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
format_svd (const QsAnalysisSettings *settings)
{
  g_autoptr(GString) text = g_string_new (NULL);

  if (!settings->use_svd || settings->n_svd_ranks == 0)
    return g_strdup ("off");

  g_string_append (text, settings->n_svd_ranks > 1 ? "ranks " : "rank ");
  for (guint i = 0; i < settings->n_svd_ranks; i++)
    g_string_append_printf (text, "%s%u", i > 0 ? ", " : "", settings->svd_ranks[i]);
  g_string_append_printf (text, ", %u power iterations%s", settings->svd_steps,
                          settings->use_raw ? "" : " (raw formats not evaluated)");

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
format_dtypes (const QsAnalysisSettings *settings)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; settings->dtypes != NULL && settings->dtypes[i] != NULL; i++)
    g_string_append_printf (text, "%s%s%s", i > 0 ? ", " : "", settings->dtypes[i],
                            i == 0 ? " (primary)" : "");

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
format_threshold (double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (g_ascii_formatd (buffer, sizeof buffer, "%g", value));
}

/* Formats the time the analysis finished (or started) for people, in UTC;
 * without either, the time the report is written. */
static char *
format_date (QsAnalysisResult *result)
{
  const char *keys[] = { "finished", "started" };
  g_autoptr(GDateTime) now = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      const char *value = qs_analysis_result_get_provenance_value (result, keys[i]);
      g_autoptr(GDateTime) time = NULL;
      g_autoptr(GDateTime) utc = NULL;

      if (value == NULL)
        continue;
      time = g_date_time_new_from_iso8601 (value, NULL);
      if (time == NULL)
        continue;
      utc = g_date_time_to_utc (time);

      return g_date_time_format (utc, "%Y-%m-%d %H:%M UTC");
    }

  now = g_date_time_new_now_utc ();

  return g_date_time_format (now, "%Y-%m-%d %H:%M UTC");
}

static char *
dup_model_name (QsAnalysisResult *result)
{
  const char *model = qs_analysis_result_get_provenance_value (result, "model");
  const char *path = qs_analysis_result_get_provenance_value (result, "model_path");

  if (model != NULL && *model != '\0')
    return g_strdup (model);
  if (path != NULL && *path != '\0')
    return g_path_get_basename (path);

  return g_strdup (_("Unnamed model"));
}

static void
add_settings (QsReportContent  *self,
              QsAnalysisResult *result,
              const QsSummary  *summary)
{
  const QsAnalysisSettings *settings = qs_analysis_result_get_settings (result);
  const char *backend = qs_analysis_result_get_provenance_value (result, "backend");
  const char *revision = qs_analysis_result_get_provenance_value (result, "revision");
  g_autofree char *skip = format_threshold (summary->skip_threshold);
  g_autofree char *promote = format_threshold (summary->promote_threshold);

  add_entry (self->settings, _("Dtypes"), format_dtypes (settings));
  add_entry (self->settings, _("Group sizes"), format_group_sizes (settings));
  add_entry (self->settings, _("SVD"), format_svd (settings));
  add_entry (self->settings, _("Thresholds"),
             g_strdup_printf (_("skip above %s, promote above %s"), skip, promote));
  add_entry (self->settings, _("Weights measured"),
             g_strdup (qs_load_dtype_to_string (settings->load_dtype)));
  add_entry (self->settings, _("Seed"), g_strdup_printf ("%" G_GUINT64_FORMAT, settings->seed));
  if (backend != NULL)
    add_entry (self->settings, _("Backend"), g_strdup (backend));
  if (revision != NULL && *revision != '\0')
    add_entry (self->settings, _("Revision"), g_strdup (revision));
}

static void
add_statistics (QsReportContent *self,
                const QsSummary *summary)
{
  add_verdict_entry (self->verdicts, QS_VERDICT_OK, summary->n_ok);
  add_verdict_entry (self->verdicts, QS_VERDICT_PROMOTE, summary->n_promote);
  add_verdict_entry (self->verdicts, QS_VERDICT_SKIP, summary->n_skip);
  if (summary->n_error > 0)
    add_verdict_entry (self->verdicts, QS_VERDICT_ERROR, summary->n_error);

  add_entry (self->statistics, _("Layers analysed"), g_strdup_printf ("%u", summary->n_layers));
  if (summary->n_components > 1)
    add_entry (self->statistics, _("Components"), g_strdup_printf ("%u", summary->n_components));
  add_entry (self->statistics, _("Tensors not analysed"),
             g_strdup_printf ("%u", summary->n_skipped_tensors));
  add_entry (self->statistics, _("Mean NMSE"), qs_format_nmse (summary->nmse_mean));
  add_entry (self->statistics, _("Median NMSE"), qs_format_nmse (summary->nmse_median));
  add_entry (self->statistics, _("Worst finite NMSE"), qs_format_nmse (summary->nmse_worst));
  if (summary->n_infinite > 0)
    add_entry (self->statistics, _("Layers with INF NMSE"), g_strdup_printf ("%u", summary->n_infinite));
  if (summary->uses_svd_rows)
    add_entry (self->statistics, _("Classified on"),
               g_strdup_printf (_("SVD rank %u rows (raw formats not evaluated)"),
                                summary->classify_svd_rank));
  if (summary->has_auto_config)
    add_entry (self->statistics, _("Kept in FP16 by auto-config"),
               g_strdup_printf ("%u", summary->n_auto_skip));
}

static void
add_sizes (QsReportContent *self,
           const QsSummary *summary)
{
  g_autofree char *uniform_label = NULL;
  g_autofree char *group = NULL;
  QsReportTable *table;

  if (!summary->has_auto_config)
    return;

  group = qs_format_group_size_label (summary->classify_group_size);
  uniform_label = g_strdup_printf (_("Uniform (%s %s)"), summary->primary_dtype, group);
  add_entry (self->sizes, "FP16", qs_report_format_size (summary->total.fp16_bytes));
  add_entry (self->sizes, uniform_label, qs_report_format_size (summary->total.uniform_bytes));
  add_entry (self->sizes, _("Recommended"), qs_report_format_size (summary->total.recommended_bytes));
  add_entry (self->sizes, _("Saving against FP16"), format_percent (summary->total.savings_vs_fp16));
  add_entry (self->sizes, _("Saving against uniform"),
             format_percent (summary->total.savings_vs_uniform));

  if (summary->component_totals == NULL || summary->component_totals->len < 2)
    return;

  table = table_new ("component-sizes", _("Sizes per component"));
  table_add_column (table, _("Component"), QS_REPORT_COLUMN_TEXT);
  table_add_column (table, "FP16", QS_REPORT_COLUMN_NUMBER);
  table_add_column (table, _("Uniform"), QS_REPORT_COLUMN_NUMBER);
  table_add_column (table, _("Recommended"), QS_REPORT_COLUMN_NUMBER);
  table_add_column (table, _("Saving against FP16"), QS_REPORT_COLUMN_NUMBER);
  table_add_column (table, _("Saving against uniform"), QS_REPORT_COLUMN_NUMBER);

  for (guint i = 0; i <= summary->component_totals->len; i++)
    {
      const QsSizeTotals *totals = i < summary->component_totals->len
                                   ? g_ptr_array_index (summary->component_totals, i)
                                   : &summary->total;
      guint row = table_add_row (table);
      guint c = 0;

      c = table_set_text (table, row, c, totals->component != NULL ? totals->component : "Total");
      c = table_take_text (table, row, c, qs_report_format_size (totals->fp16_bytes));
      c = table_take_text (table, row, c, qs_report_format_size (totals->uniform_bytes));
      c = table_take_text (table, row, c, qs_report_format_size (totals->recommended_bytes));
      c = table_take_text (table, row, c, format_percent (totals->savings_vs_fp16));
      table_take_text (table, row, c, format_percent (totals->savings_vs_uniform));
    }

  self->component_sizes = table;
}

static void
add_legend_entry (GPtrArray  *legend,
                  QsSeverity  severity,
                  char       *text)
{
  QsReportEntry *entry = g_new0 (QsReportEntry, 1);

  entry->label = g_strdup (qs_severity_get_hex (severity));
  entry->value = text;
  entry->severity = severity;
  g_ptr_array_add (legend, entry);
}

static void
add_legend (QsReportContent *self,
            const QsSummary *summary)
{
  g_autofree char *tenth = format_threshold (summary->promote_threshold * 0.1);
  g_autofree char *promote = format_threshold (summary->promote_threshold);
  g_autofree char *half = format_threshold (summary->skip_threshold * 0.5);
  g_autofree char *skip = format_threshold (summary->skip_threshold);

  add_legend_entry (self->legend, QS_SEVERITY_NEGLIGIBLE, g_strdup_printf ("≤ %s", tenth));
  add_legend_entry (self->legend, QS_SEVERITY_LOW, g_strdup_printf (_("≤ %s (promote)"), promote));
  /* The middle step is empty when half the skip threshold is under the
   * promote threshold, so the legend leaves it out. */
  if (summary->skip_threshold * 0.5 > summary->promote_threshold)
    add_legend_entry (self->legend, QS_SEVERITY_MODERATE, g_strdup_printf ("≤ %s", half));
  add_legend_entry (self->legend, QS_SEVERITY_HIGH, g_strdup_printf (_("≤ %s (skip)"), skip));
  add_legend_entry (self->legend, QS_SEVERITY_SEVERE, g_strdup_printf (_("> %s or INF"), skip));
}

/* Adds the columns every layer table starts with. */
static void
add_layer_columns (QsReportTable   *table,
                   const QsSummary *summary)
{
  table_add_column (table, "#", QS_REPORT_COLUMN_NUMBER);
  if (summary->n_components > 1)
    table_add_column (table, _("Component"), QS_REPORT_COLUMN_TEXT);
  table_add_column (table, _("Layer"), QS_REPORT_COLUMN_NAME);
}

static guint
set_layer_cells (QsReportTable        *table,
                 guint                 row,
                 const QsSummary      *summary,
                 const QsLayerSummary *layer,
                 guint                 rank)
{
  guint c = 0;

  c = table_take_text (table, row, c, g_strdup_printf ("%u", rank));
  if (summary->n_components > 1)
    c = table_set_text (table, row, c, layer->layer->component);
  c = table_set_text (table, row, c, layer->layer->name);
  table_cell (table, row, c - 1)->title = g_strdup (layer->layer->name);

  return c;
}

static char *
describe_rows (const QsSummary *summary)
{
  g_autofree char *group = qs_format_group_size_label (summary->classify_group_size);

  if (summary->uses_svd_rows)
    return g_strdup_printf (_("the SVD rank %u rows at group size %s"), summary->classify_svd_rank, group);

  return g_strdup_printf (_("the raw rows at group size %s"), group);
}

static QsReportTable *
build_heatmap (const QsSummary *summary)
{
  QsReportTable *table = table_new ("layers", _("Most sensitive layers"));
  g_autofree char *rows = describe_rows (summary);
  guint n_top = summary->top != NULL ? summary->top->len : 0;

  if (summary->axis == QS_SUMMARY_AXIS_GROUP_SIZE)
    table->caption = g_strdup_printf (_("The %u worst of %u layers by %s NMSE, one column per "
                                        "group size of %s. Cells are coloured by NMSE against "
                                        "the thresholds."),
                                      n_top, summary->n_layers, summary->primary_dtype,
                                      summary->primary_dtype);
  else
    table->caption = g_strdup_printf (_("The %u worst of %u layers by %s NMSE, one column per "
                                        "dtype, read from %s. Cells are coloured by NMSE against "
                                        "the thresholds."),
                                      n_top, summary->n_layers, summary->primary_dtype, rows);

  add_layer_columns (table, summary);
  table_add_column (table, _("Shape"), QS_REPORT_COLUMN_TEXT);
  table_add_column (table, _("Verdict"), QS_REPORT_COLUMN_VERDICT);
  for (guint c = 0; c < summary->n_columns; c++)
    table_add_column (table, summary->columns[c], QS_REPORT_COLUMN_NMSE);

  for (guint i = 0; i < n_top; i++)
    {
      const QsLayerSummary *layer = g_ptr_array_index (summary->top, i);
      guint row = table_add_row (table);
      guint c = set_layer_cells (table, row, summary, layer, i + 1);

      c = table_take_text (table, row, c, qs_layer_result_format_shape (layer->layer));
      c = table_set_verdict (table, row, c, layer->verdict,
                             qs_layer_summary_format_verdict (layer));
      for (guint k = 0; k < summary->n_columns; k++)
        c = table_set_nmse (table, row, c, layer->nmse[k], summary);
    }

  return table;
}

static char *
format_choice_group (const QsAutoChoice *choice)
{
  g_autofree char *requested = qs_format_group_size_label (choice->requested_group_size);

  /* The automatic group size resolves per layer; show what SDNQ uses. */
  if (choice->requested_group_size == 0 && choice->group_size != 0)
    {
      g_autofree char *resolved = qs_format_group_size_label (choice->group_size);

      return g_strdup_printf ("%s (%s)", requested, resolved);
    }

  return g_steal_pointer (&requested);
}

static QsReportTable *
build_auto_config_table (const QsSummary *summary)
{
  QsReportTable *table = table_new ("auto-config", _("Auto-config recommendation"));
  guint n_top = summary->top != NULL ? summary->top->len : 0;

  table->caption = g_strdup_printf (_("The cheapest format that keeps NMSE at or under the "
                                      "promote threshold, for the %u worst of %u layers by the "
                                      "recommended format's NMSE. SKIP layers stay in FP16."),
                                    n_top, summary->n_layers);

  add_layer_columns (table, summary);
  table_add_column (table, _("Shape"), QS_REPORT_COLUMN_TEXT);
  table_add_column (table, _("Dtype"), QS_REPORT_COLUMN_VERDICT);
  table_add_column (table, _("Group size"), QS_REPORT_COLUMN_TEXT);
  table_add_column (table, _("SVD rank"), QS_REPORT_COLUMN_NUMBER);
  table_add_column (table, "NMSE", QS_REPORT_COLUMN_NMSE);
  table_add_column (table, _("Size"), QS_REPORT_COLUMN_NUMBER);
  table_add_column (table, "FP16", QS_REPORT_COLUMN_NUMBER);

  for (guint i = 0; i < n_top; i++)
    {
      const QsLayerSummary *layer = g_ptr_array_index (summary->top, i);
      const QsAutoChoice *choice = &layer->auto_choice;
      guint row = table_add_row (table);
      guint c = set_layer_cells (table, row, summary, layer, i + 1);

      c = table_take_text (table, row, c, qs_layer_result_format_shape (layer->layer));
      if (choice->skip || choice->dtype == NULL)
        {
          c = table_set_verdict (table, row, c, QS_VERDICT_SKIP, g_strdup ("SKIP"));
          c = table_set_text (table, row, c, "-");
          c = table_set_text (table, row, c, "-");
        }
      else
        {
          c = table_set_text (table, row, c, choice->dtype);
          c = table_take_text (table, row, c, format_choice_group (choice));
          c = table_take_text (table, row, c, choice->svd_rank > 0
                                              ? g_strdup_printf ("%u", choice->svd_rank)
                                              : g_strdup ("-"));
        }
      c = table_set_nmse (table, row, c, choice->nmse, summary);
      c = table_take_text (table, row, c, qs_report_format_size (choice->bytes));
      table_take_text (table, row, c, qs_report_format_size (choice->fp16_bytes));
    }

  return table;
}

static char *
format_improvement (double improvement)
{
  if (isnan (improvement))
    return g_strdup ("-");
  if (isinf (improvement))
    return g_strdup ("INF");

  return g_strdup_printf ("%.2f×", improvement);
}

static QsReportTable *
build_svd_table (const QsSummary *summary)
{
  QsReportTable *table;
  g_autoptr(GString) caption = g_string_new (NULL);
  g_autofree char *group = qs_format_group_size_label (summary->classify_group_size);
  guint n_top = summary->top != NULL ? summary->top->len : 0;

  if (!summary->has_svd_comparison || summary->n_svd_ranks == 0)
    return NULL;

  table = table_new ("svd", _("SVD against raw"));
  g_string_append_printf (caption, _("NMSE of %s at group size %s without and with the low-rank "
                                    "SVD branch, for the most sensitive layers."),
                          summary->primary_dtype, group);
  for (guint r = 0; r < summary->n_svd_ranks; r++)
    {
      g_string_append_c (caption, ' ');
      g_string_append_printf (caption,
                              g_dngettext (GETTEXT_PACKAGE,
                                           "SVD at rank %u moves %u layer to OK.",
                                           "SVD at rank %u moves %u layers to OK.",
                                           summary->n_svd_rescued[r]),
                              summary->svd_ranks[r], summary->n_svd_rescued[r]);
    }
  table->caption = g_string_free (g_steal_pointer (&caption), FALSE);

  add_layer_columns (table, summary);
  table_add_column (table, _("Raw NMSE"), QS_REPORT_COLUMN_NMSE);
  table_add_column (table, _("Raw verdict"), QS_REPORT_COLUMN_VERDICT);
  for (guint r = 0; r < summary->n_svd_ranks; r++)
    {
      g_autofree char *nmse = g_strdup_printf (_("Rank %u NMSE"), summary->svd_ranks[r]);
      g_autofree char *gain = g_strdup_printf (_("Rank %u gain"), summary->svd_ranks[r]);
      g_autofree char *verdict = g_strdup_printf (_("Rank %u verdict"), summary->svd_ranks[r]);

      table_add_column (table, nmse, QS_REPORT_COLUMN_NMSE);
      table_add_column (table, gain, QS_REPORT_COLUMN_NUMBER);
      table_add_column (table, verdict, QS_REPORT_COLUMN_VERDICT);
    }

  for (guint i = 0; i < n_top; i++)
    {
      const QsLayerSummary *layer = g_ptr_array_index (summary->top, i);
      guint row;
      guint c;

      if (layer->n_svd == 0 || layer->svd == NULL)
        continue;

      row = table_add_row (table);
      c = set_layer_cells (table, row, summary, layer, i + 1);
      c = table_set_nmse (table, row, c, layer->svd[0].raw_nmse, summary);
      c = table_set_verdict (table, row, c, layer->svd[0].raw_verdict,
                             g_strdup (qs_verdict_to_string (layer->svd[0].raw_verdict)));
      for (guint r = 0; r < summary->n_svd_ranks; r++)
        {
          const QsSvdComparison *comparison = r < layer->n_svd ? &layer->svd[r] : NULL;

          if (comparison == NULL)
            {
              c = table_set_text (table, row, c, "-");
              c = table_set_text (table, row, c, "-");
              c = table_set_text (table, row, c, "-");
              continue;
            }
          c = table_set_nmse (table, row, c, comparison->svd_nmse, summary);
          c = table_take_text (table, row, c, format_improvement (comparison->improvement));
          c = table_set_verdict (table, row, c, comparison->svd_verdict,
                                 comparison->rescued
                                 ? g_strdup_printf (_("%s, rescued"),
                                                    qs_verdict_to_string (comparison->svd_verdict))
                                 : g_strdup (qs_verdict_to_string (comparison->svd_verdict)));
        }
    }

  return table;
}

static void
add_snippets (QsReportContent *self,
              const QsSummary *summary,
              QsConfigStyle    style)
{
  for (guint i = 0; summary->configs != NULL && i < summary->configs->len; i++)
    {
      const QsComponentConfig *config = g_ptr_array_index (summary->configs, i);
      QsReportSnippet *snippet;

      if (config->config == NULL)
        continue;

      snippet = g_new0 (QsReportSnippet, 1);
      snippet->component = g_strdup (config->component);
      snippet->text = qs_sdnq_config_format_snippet (config->config, style);
      g_ptr_array_add (self->snippets, snippet);
    }
}

QsReportContent *
qs_report_content_new (QsAnalysisResult *result,
                       const QsSummary  *summary,
                       QsConfigStyle     style)
{
  QsReportContent *self;
  const char *version;

  g_return_val_if_fail (QS_IS_ANALYSIS_RESULT (result), NULL);
  g_return_val_if_fail (summary != NULL, NULL);

  self = g_new0 (QsReportContent, 1);
  self->settings = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  self->verdicts = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  self->statistics = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  self->sizes = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  self->legend = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  self->snippets = g_ptr_array_new_with_free_func ((GDestroyNotify) snippet_free);
  self->has_auto_config = summary->has_auto_config;

  self->title = g_strdup (_("Quantization sensitivity report"));
  self->model = dup_model_name (result);
  self->date = format_date (result);
  version = qs_analysis_result_get_provenance_value (result, "quantscope_version");
  self->version = g_strdup (version != NULL ? version : PACKAGE_VERSION);

  if (!qs_analysis_result_get_complete (result))
    {
      guint planned = qs_analysis_result_get_n_layers_planned (result);

      if (planned > 0)
        self->partial_note = g_strdup_printf (_("The analysis stopped early: %u of %u layers "
                                                "were analysed, and every figure covers only "
                                                "those."), summary->n_layers, planned);
      else
        self->partial_note = g_strdup (_("The analysis stopped early: every figure covers "
                                         "only the layers that finished."));
    }

  add_settings (self, result, summary);
  add_statistics (self, summary);
  add_sizes (self, summary);
  add_legend (self, summary);
  self->layers = summary->has_auto_config ? build_auto_config_table (summary)
                                          : build_heatmap (summary);
  self->svd = build_svd_table (summary);
  add_snippets (self, summary, style);

  return self;
}

void
qs_report_content_free (QsReportContent *self)
{
  if (self == NULL)
    return;

  g_free (self->title);
  g_free (self->model);
  g_free (self->date);
  g_free (self->version);
  g_free (self->partial_note);
  g_ptr_array_unref (self->settings);
  g_ptr_array_unref (self->verdicts);
  g_ptr_array_unref (self->statistics);
  g_ptr_array_unref (self->sizes);
  g_ptr_array_unref (self->legend);
  qs_report_table_free (self->component_sizes);
  qs_report_table_free (self->layers);
  qs_report_table_free (self->svd);
  g_ptr_array_unref (self->snippets);
  g_free (self);
}
