/* qs-results-page.c: the views of a finished or loaded analysis
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <gtksourceview/gtksource.h>
#include <math.h>
#include <string.h>

#include "qs-layer-row.h"
#include "qs-results-page.h"
#include "qs-sdnq-config.h"
#include "qs-ui-util.h"

struct _QsResultsPage
{
  GtkWidget           parent_instance;

  GtkWidget          *partial_banner;
  GtkLabel           *partial_label;
  GtkSpinButton      *promote_spin;
  GtkSpinButton      *skip_spin;
  GtkSpinButton      *top_n_spin;
  GtkSwitch          *auto_config_switch;
  GtkLabel           *counts_label;
  AdwViewStack       *stack;
  GtkFlowBox         *stats_box;
  GtkLabel           *chart_title;
  GtkLabel           *chart_caption;
  GtkWidget          *chart_frame;
  QsChartWidget      *chart;
  AdwPreferencesGroup *facts_group;
  QsLayerTable       *layer_table;
  GtkStack           *svd_stack;
  GtkLabel           *svd_caption;
  GtkColumnView      *svd_view;
  GtkStack           *auto_stack;
  GtkFlowBox         *auto_totals_box;
  GtkLabel           *auto_caption;
  GtkColumnView      *auto_view;
  GtkDropDown        *style_dropdown;
  GtkLabel           *style_note;
  GtkBox             *config_box;

  QsAnalysisResult   *result;
  QsSummary          *summary;
  GListStore         *rows;
  GtkCustomFilter    *svd_filter;
  GPtrArray          *svd_columns;
  guint              *svd_ranks;
  guint               n_svd_ranks;
  GPtrArray          *fact_rows;
  GPtrArray          *source_buffers;
  gulong              dark_changed_id;
  guint               n_snippets;

  guint               loading : 1;
};

G_DEFINE_FINAL_TYPE (QsResultsPage, qs_results_page, GTK_TYPE_WIDGET)

enum {
  SUMMARY_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Cells shared by the SVD and auto-config tables */

static void
update_text_cell (GtkWidget  *cell,
                  const char *text)
{
  gtk_label_set_xalign (GTK_LABEL (cell), 0);
  gtk_label_set_ellipsize (GTK_LABEL (cell), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_width_chars (GTK_LABEL (cell), 12);
  gtk_widget_remove_css_class (cell, "numeric");
  gtk_label_set_text (GTK_LABEL (cell), text);
  gtk_widget_set_tooltip_text (cell, text);
}

static void
update_component_cell (GtkWidget  *cell,
                       QsLayerRow *row,
                       guint       column)
{
  update_text_cell (cell, qs_ui_component_label (qs_layer_row_get_component (row)));
}

static void
update_name_cell (GtkWidget  *cell,
                  QsLayerRow *row,
                  guint       column)
{
  update_text_cell (cell, qs_layer_row_get_name (row));
}

static void
set_nmse_cell (GtkWidget  *cell,
               QsLayerRow *row,
               double      nmse)
{
  g_autofree char *text = qs_format_nmse (nmse);

  gtk_label_set_text (GTK_LABEL (cell), text);
  qs_ui_set_severity_class (cell, qs_layer_row_get_severity_for_nmse (row, nmse), !isnan (nmse));
}

static void
set_verdict_cell (GtkWidget *cell,
                  QsVerdict  verdict)
{
  gtk_label_set_xalign (GTK_LABEL (cell), 0.5);
  gtk_label_set_text (GTK_LABEL (cell), qs_verdict_to_string (verdict));
  qs_ui_set_verdict_class (cell, verdict, TRUE);
}

static void
update_svd_raw_nmse_cell (GtkWidget  *cell,
                          QsLayerRow *row,
                          guint       column)
{
  const QsSvdComparison *svd = qs_layer_row_get_svd (row, 0);

  set_nmse_cell (cell, row, svd != NULL ? svd->raw_nmse : NAN);
}

static void
update_svd_raw_verdict_cell (GtkWidget  *cell,
                             QsLayerRow *row,
                             guint       column)
{
  const QsSvdComparison *svd = qs_layer_row_get_svd (row, 0);

  if (svd != NULL)
    set_verdict_cell (cell, svd->raw_verdict);
}

static void
update_svd_nmse_cell (GtkWidget  *cell,
                      QsLayerRow *row,
                      guint       column)
{
  const QsSvdComparison *svd = qs_layer_row_get_svd (row, column);

  set_nmse_cell (cell, row, svd != NULL ? svd->svd_nmse : NAN);
}

static void
update_svd_gain_cell (GtkWidget  *cell,
                      QsLayerRow *row,
                      guint       column)
{
  const QsSvdComparison *svd = qs_layer_row_get_svd (row, column);
  g_autofree char *text = NULL;

  if (svd == NULL || isnan (svd->improvement))
    text = g_strdup ("–");
  else if (isinf (svd->improvement))
    text = g_strdup ("∞×");
  else
    text = g_strdup_printf ("%.2f×", svd->improvement);

  gtk_label_set_text (GTK_LABEL (cell), text);
  if (svd != NULL && svd->rescued)
    {
      gtk_widget_add_css_class (cell, "rescued");
      gtk_widget_set_tooltip_text (cell, _("SVD moves this layer to OK"));
    }
  else
    {
      gtk_widget_remove_css_class (cell, "rescued");
      gtk_widget_set_tooltip_text (cell, NULL);
    }
}

static void
update_svd_verdict_cell (GtkWidget  *cell,
                         QsLayerRow *row,
                         guint       column)
{
  const QsSvdComparison *svd = qs_layer_row_get_svd (row, column);

  if (svd != NULL)
    set_verdict_cell (cell, svd->svd_verdict);
}

static void
update_auto_dtype_cell (GtkWidget  *cell,
                        QsLayerRow *row,
                        guint       column)
{
  const QsAutoChoice *choice = qs_layer_row_get_auto_choice (row);

  gtk_label_set_xalign (GTK_LABEL (cell), 0);
  if (choice == NULL)
    return;
  if (choice->skip)
    {
      set_verdict_cell (cell, QS_VERDICT_SKIP);
      gtk_widget_set_tooltip_text (cell, _("No measured format passes; the layer stays unquantized"));
      return;
    }

  qs_ui_set_verdict_class (cell, QS_VERDICT_OK, FALSE);
  gtk_label_set_xalign (GTK_LABEL (cell), 0);
  gtk_label_set_text (GTK_LABEL (cell), choice->dtype);
  gtk_widget_set_tooltip_text (cell, NULL);
}

static void
update_auto_group_cell (GtkWidget  *cell,
                        QsLayerRow *row,
                        guint       column)
{
  const QsAutoChoice *choice = qs_layer_row_get_auto_choice (row);
  g_autofree char *text = NULL;

  if (choice == NULL || choice->skip)
    {
      gtk_label_set_text (GTK_LABEL (cell), "–");
      return;
    }

  text = qs_format_group_size_label (choice->group_size);
  gtk_label_set_text (GTK_LABEL (cell), text);
}

static void
update_auto_svd_cell (GtkWidget  *cell,
                      QsLayerRow *row,
                      guint       column)
{
  const QsAutoChoice *choice = qs_layer_row_get_auto_choice (row);
  g_autofree char *text = NULL;

  if (choice == NULL || choice->skip || choice->svd_rank == 0)
    text = g_strdup ("–");
  else
    text = g_strdup_printf ("%u", choice->svd_rank);
  gtk_label_set_text (GTK_LABEL (cell), text);
}

static void
update_auto_nmse_cell (GtkWidget  *cell,
                       QsLayerRow *row,
                       guint       column)
{
  const QsAutoChoice *choice = qs_layer_row_get_auto_choice (row);

  set_nmse_cell (cell, row, choice != NULL ? choice->nmse : NAN);
}

/* The three sizes of a choice, by column: 0 the chosen format, 1 the
 * uniform configuration, 2 FP16. */
static guint64
choice_bytes (const QsAutoChoice *choice,
              guint               size_column)
{
  if (choice == NULL)
    return 0;

  switch (size_column)
    {
    case 0:
      return choice->bytes;
    case 1:
      return choice->uniform_bytes;
    default:
      return choice->fp16_bytes;
    }
}

static void
update_auto_bytes_cell (GtkWidget  *cell,
                        QsLayerRow *row,
                        guint       column)
{
  const QsAutoChoice *choice = qs_layer_row_get_auto_choice (row);
  g_autofree char *text = NULL;

  if (choice == NULL)
    return;

  text = qs_ui_format_size (choice_bytes (choice, column));
  gtk_label_set_text (GTK_LABEL (cell), text);
}

/* Sorters of those tables */


static int
compare_doubles (double a,
                 double b)
{
  if (isnan (a) || isnan (b))
    return isnan (a) - isnan (b);
  return a < b ? -1 : a > b;
}

static int
compare_svd_gain_cb (gconstpointer a,
                     gconstpointer b,
                     gpointer      user_data)
{
  guint rank = GPOINTER_TO_UINT (user_data);
  const QsSvdComparison *sa = qs_layer_row_get_svd ((QsLayerRow *) a, rank);
  const QsSvdComparison *sb = qs_layer_row_get_svd ((QsLayerRow *) b, rank);

  return compare_doubles (sa != NULL ? sa->improvement : NAN, sb != NULL ? sb->improvement : NAN);
}

static int
compare_svd_nmse_cb (gconstpointer a,
                     gconstpointer b,
                     gpointer      user_data)
{
  guint rank = GPOINTER_TO_UINT (user_data);
  const QsSvdComparison *sa = qs_layer_row_get_svd ((QsLayerRow *) a, rank);
  const QsSvdComparison *sb = qs_layer_row_get_svd ((QsLayerRow *) b, rank);

  return compare_doubles (sa != NULL ? sa->svd_nmse : NAN, sb != NULL ? sb->svd_nmse : NAN);
}

static int
compare_raw_nmse_cb (gconstpointer a,
                     gconstpointer b,
                     gpointer      user_data)
{
  const QsSvdComparison *sa = qs_layer_row_get_svd ((QsLayerRow *) a, 0);
  const QsSvdComparison *sb = qs_layer_row_get_svd ((QsLayerRow *) b, 0);

  return compare_doubles (sa != NULL ? sa->raw_nmse : NAN, sb != NULL ? sb->raw_nmse : NAN);
}

static int
compare_auto_nmse_cb (gconstpointer a,
                      gconstpointer b,
                      gpointer      user_data)
{
  const QsAutoChoice *ca = qs_layer_row_get_auto_choice ((QsLayerRow *) a);
  const QsAutoChoice *cb = qs_layer_row_get_auto_choice ((QsLayerRow *) b);

  return compare_doubles (ca != NULL ? ca->nmse : NAN, cb != NULL ? cb->nmse : NAN);
}

static int
compare_auto_bytes_cb (gconstpointer a,
                       gconstpointer b,
                       gpointer      user_data)
{
  guint size_column = GPOINTER_TO_UINT (user_data);
  guint64 va = choice_bytes (qs_layer_row_get_auto_choice ((QsLayerRow *) a), size_column);
  guint64 vb = choice_bytes (qs_layer_row_get_auto_choice ((QsLayerRow *) b), size_column);

  return va < vb ? -1 : va > vb;
}

static int
compare_auto_dtype_cb (gconstpointer a,
                       gconstpointer b,
                       gpointer      user_data)
{
  const QsAutoChoice *ca = qs_layer_row_get_auto_choice ((QsLayerRow *) a);
  const QsAutoChoice *cb = qs_layer_row_get_auto_choice ((QsLayerRow *) b);

  return g_strcmp0 (ca != NULL && !ca->skip ? ca->dtype : "~",
                    cb != NULL && !cb->skip ? cb->dtype : "~");
}

static GtkColumnViewColumn *
add_column (GtkColumnView      *view,
            const char         *title,
            QsUiCellUpdateFunc  update,
            guint               column,
            GtkSorter          *sorter,
            gboolean            expand)
{
  GtkColumnViewColumn *view_column = gtk_column_view_column_new (title,
                                                                 qs_ui_row_cell_factory_new (update, column));

  gtk_column_view_column_set_resizable (view_column, TRUE);
  gtk_column_view_column_set_expand (view_column, expand);
  gtk_column_view_column_set_sorter (view_column, sorter);
  if (sorter != NULL)
    g_object_unref (sorter);
  gtk_column_view_append_column (view, view_column);

  return view_column;
}

static GtkSorter *
name_sorter_new (const char *property)
{
  GtkExpression *expression = gtk_property_expression_new (QS_TYPE_LAYER_ROW, NULL, property);

  return GTK_SORTER (gtk_string_sorter_new (expression));
}

/* The SVD view has three columns per compared rank, so it is rebuilt when
 * the ranks change. */
static void
rebuild_svd_columns (QsResultsPage   *self,
                     const QsSummary *summary)
{
  gboolean same = self->n_svd_ranks == summary->n_svd_ranks
                  && (summary->n_svd_ranks == 0
                      || memcmp (self->svd_ranks, summary->svd_ranks,
                                 sizeof (guint) * summary->n_svd_ranks) == 0);

  if (same && self->svd_columns->len > 0)
    return;

  for (guint i = 0; i < self->svd_columns->len; i++)
    gtk_column_view_remove_column (self->svd_view, g_ptr_array_index (self->svd_columns, i));
  g_ptr_array_set_size (self->svd_columns, 0);

  g_free (self->svd_ranks);
  self->n_svd_ranks = summary->n_svd_ranks;
  self->svd_ranks = g_memdup2 (summary->svd_ranks, sizeof (guint) * MAX (1, summary->n_svd_ranks));

  g_ptr_array_add (self->svd_columns,
                   add_column (self->svd_view, _("Component"), update_component_cell, 0,
                               name_sorter_new ("component"), FALSE));
  g_ptr_array_add (self->svd_columns,
                   add_column (self->svd_view, _("Layer"), update_name_cell, 0,
                               name_sorter_new ("name"), TRUE));
  g_ptr_array_add (self->svd_columns,
                   add_column (self->svd_view, _("Raw NMSE"), update_svd_raw_nmse_cell, 0,
                               GTK_SORTER (gtk_custom_sorter_new (compare_raw_nmse_cb, NULL, NULL)),
                               FALSE));
  g_ptr_array_add (self->svd_columns,
                   add_column (self->svd_view, _("Raw Verdict"), update_svd_raw_verdict_cell, 0,
                               NULL, FALSE));

  for (guint i = 0; i < summary->n_svd_ranks; i++)
    {
      /* Translators: column titles of the SVD table; %u is the SVD rank */
      g_autofree char *nmse_title = g_strdup_printf (_("r%u NMSE"), summary->svd_ranks[i]);
      g_autofree char *gain_title = g_strdup_printf (_("r%u Gain"), summary->svd_ranks[i]);
      g_autofree char *verdict_title = g_strdup_printf (_("r%u Verdict"), summary->svd_ranks[i]);

      g_ptr_array_add (self->svd_columns,
                       add_column (self->svd_view, nmse_title, update_svd_nmse_cell, i,
                                   GTK_SORTER (gtk_custom_sorter_new (compare_svd_nmse_cb,
                                                                      GUINT_TO_POINTER (i), NULL)),
                                   FALSE));
      g_ptr_array_add (self->svd_columns,
                       add_column (self->svd_view, gain_title, update_svd_gain_cell, i,
                                   GTK_SORTER (gtk_custom_sorter_new (compare_svd_gain_cb,
                                                                      GUINT_TO_POINTER (i), NULL)),
                                   FALSE));
      g_ptr_array_add (self->svd_columns,
                       add_column (self->svd_view, verdict_title, update_svd_verdict_cell, i,
                                   NULL, FALSE));
    }
}

static gboolean
svd_filter_cb (gpointer item,
               gpointer user_data)
{
  return qs_layer_row_get_n_svd (QS_LAYER_ROW (item)) > 0;
}

static void
setup_tables (QsResultsPage *self)
{
  GtkFilterListModel *svd_rows;
  GtkSortListModel *svd_sorted;
  GtkSortListModel *auto_sorted;

  self->svd_filter = gtk_custom_filter_new (svd_filter_cb, NULL, NULL);
  svd_rows = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->rows)),
                                        GTK_FILTER (g_object_ref (self->svd_filter)));
  svd_sorted = gtk_sort_list_model_new (G_LIST_MODEL (svd_rows),
                                        g_object_ref (gtk_column_view_get_sorter (self->svd_view)));
  gtk_column_view_set_model (self->svd_view,
                             GTK_SELECTION_MODEL (gtk_no_selection_new (G_LIST_MODEL (svd_sorted))));

  auto_sorted = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (self->rows)),
                                         g_object_ref (gtk_column_view_get_sorter (self->auto_view)));
  gtk_column_view_set_model (self->auto_view,
                             GTK_SELECTION_MODEL (gtk_no_selection_new (G_LIST_MODEL (auto_sorted))));

  g_object_unref (add_column (self->auto_view, _("Component"), update_component_cell, 0,
                              name_sorter_new ("component"), FALSE));
  g_object_unref (add_column (self->auto_view, _("Layer"), update_name_cell, 0,
                              name_sorter_new ("name"), TRUE));
  g_object_unref (add_column (self->auto_view, _("Dtype"), update_auto_dtype_cell, 0,
                              GTK_SORTER (gtk_custom_sorter_new (compare_auto_dtype_cb, NULL, NULL)),
                              FALSE));
  g_object_unref (add_column (self->auto_view, _("Group"), update_auto_group_cell, 0, NULL, FALSE));
  g_object_unref (add_column (self->auto_view, _("SVD Rank"), update_auto_svd_cell, 0, NULL, FALSE));
  g_object_unref (add_column (self->auto_view, _("NMSE"), update_auto_nmse_cell, 0,
                              GTK_SORTER (gtk_custom_sorter_new (compare_auto_nmse_cb, NULL, NULL)),
                              FALSE));
  g_object_unref (add_column (self->auto_view, _("Size"), update_auto_bytes_cell, 0,
                              GTK_SORTER (gtk_custom_sorter_new (compare_auto_bytes_cb,
                                                                 GUINT_TO_POINTER (0), NULL)),
                              FALSE));
  g_object_unref (add_column (self->auto_view, _("Uniform"), update_auto_bytes_cell, 1,
                              GTK_SORTER (gtk_custom_sorter_new (compare_auto_bytes_cb,
                                                                 GUINT_TO_POINTER (1), NULL)),
                              FALSE));
  g_object_unref (add_column (self->auto_view, _("FP16"), update_auto_bytes_cell, 2,
                              GTK_SORTER (gtk_custom_sorter_new (compare_auto_bytes_cb,
                                                                 GUINT_TO_POINTER (2), NULL)),
                              FALSE));
}

/* Overview */

static GtkWidget *
stat_card_new (const char *value,
               const char *label,
               int         verdict)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *value_label = gtk_label_new (value);
  GtkWidget *caption = gtk_label_new (label);

  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "stat-card");
  gtk_widget_add_css_class (value_label, "stat-value");
  gtk_widget_add_css_class (value_label, "numeric");
  gtk_label_set_xalign (GTK_LABEL (value_label), 0);
  gtk_label_set_xalign (GTK_LABEL (caption), 0);
  gtk_label_set_ellipsize (GTK_LABEL (value_label), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (box), value_label);

  if (verdict >= 0)
    {
      gtk_widget_set_halign (caption, GTK_ALIGN_START);
      qs_ui_set_verdict_class (caption, (QsVerdict) verdict, TRUE);
    }
  else
    {
      gtk_widget_add_css_class (caption, "dim-label");
    }
  gtk_box_append (GTK_BOX (box), caption);

  return box;
}

static void
add_stat (GtkFlowBox *box,
          const char *value,
          const char *label,
          int         verdict)
{
  gtk_flow_box_append (box, stat_card_new (value, label, verdict));
}

static void
add_count_stat (GtkFlowBox *box,
                guint       count,
                const char *label,
                int         verdict)
{
  g_autofree char *value = g_strdup_printf ("%u", count);

  add_stat (box, value, label, verdict);
}

static void
add_nmse_stat (GtkFlowBox *box,
               double      nmse,
               const char *label)
{
  g_autofree char *value = qs_format_nmse (nmse);

  add_stat (box, value, label, -1);
}

static void
remove_all_flow_children (GtkFlowBox *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_flow_box_remove (box, child);
}

static void
fill_stats (QsResultsPage *self)
{
  const QsSummary *summary = self->summary;

  remove_all_flow_children (self->stats_box);

  add_count_stat (self->stats_box, summary->n_layers, _("Layers analysed"), -1);
  add_count_stat (self->stats_box, summary->n_ok, "OK", QS_VERDICT_OK);
  add_count_stat (self->stats_box, summary->n_promote, "PROMOTE", QS_VERDICT_PROMOTE);
  add_count_stat (self->stats_box, summary->n_skip, "SKIP", QS_VERDICT_SKIP);
  if (summary->n_error > 0)
    add_count_stat (self->stats_box, summary->n_error, "ERROR", QS_VERDICT_ERROR);
  add_nmse_stat (self->stats_box, summary->nmse_mean, _("Mean NMSE"));
  add_nmse_stat (self->stats_box, summary->nmse_median, _("Median NMSE"));
  add_nmse_stat (self->stats_box, summary->nmse_worst, _("Worst NMSE"));
  if (summary->n_infinite > 0)
    add_count_stat (self->stats_box, summary->n_infinite, _("Infinite NMSE"), -1);
  add_count_stat (self->stats_box, summary->n_skipped_tensors, _("Tensors not quantizable"), -1);
}

static void
add_fact (QsResultsPage *self,
          const char    *title,
          const char    *value)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label;

  if (value == NULL || value[0] == '\0')
    return;

  label = gtk_label_new (value);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 28);
  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_set_tooltip_text (label, value);
  gtk_widget_add_css_class (label, "dim-label");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  adw_preferences_group_add (self->facts_group, row);
  g_ptr_array_add (self->fact_rows, row);
}

static void
fill_facts (QsResultsPage *self)
{
  const QsSummary *summary = self->summary;
  const QsAnalysisSettings *settings = qs_analysis_result_get_settings (self->result);
  g_autofree char *columns = g_strjoinv (", ", summary->columns);
  g_autofree char *group = qs_format_group_size_label (summary->classify_group_size);
  g_autofree char *read_from = NULL;
  g_autofree char *components = NULL;

  for (guint i = 0; i < self->fact_rows->len; i++)
    adw_preferences_group_remove (self->facts_group, g_ptr_array_index (self->fact_rows, i));
  g_ptr_array_set_size (self->fact_rows, 0);

  if (summary->uses_svd_rows)
    /* Translators: which formats the verdicts read; %u is an SVD rank, %s a group size */
    read_from = g_strdup_printf (_("SVD rank %u, group %s"), summary->classify_svd_rank, group);
  else
    /* Translators: which formats the verdicts read; %s is a group size */
    read_from = g_strdup_printf (_("raw, group %s"), group);
  components = g_strdup_printf ("%u", summary->n_components);

  add_fact (self, _("Model"), qs_analysis_result_get_provenance_value (self->result, "model"));
  /* The provenance lists the components separated by bare commas. */
  if (qs_analysis_result_get_provenance_value (self->result, "components") != NULL)
    {
      g_auto(GStrv) names = g_strsplit (qs_analysis_result_get_provenance_value (self->result,
                                                                                 "components"),
                                        ",", -1);

      g_free (components);
      components = g_strjoinv (", ", names);
    }
  add_fact (self, _("Components"), components);
  add_fact (self, _("Primary dtype"), summary->primary_dtype);
  add_fact (self, summary->axis == QS_SUMMARY_AXIS_GROUP_SIZE ? _("Group sizes compared")
                                                               : _("Dtypes compared"), columns);
  add_fact (self, _("Verdicts read"), read_from);
  add_fact (self, _("Load dtype"), qs_load_dtype_to_string (settings->load_dtype));
  add_fact (self, _("Backend"), qs_analysis_result_get_provenance_value (self->result, "backend"));
  add_fact (self, _("Started"), qs_analysis_result_get_provenance_value (self->result, "started"));
  add_fact (self, _("Finished"), qs_analysis_result_get_provenance_value (self->result, "finished"));
  add_fact (self, _("Quantscope version"),
            qs_analysis_result_get_provenance_value (self->result, "quantscope_version"));
}

static void
fill_chart (QsResultsPage *self)
{
  const QsSummary *summary = self->summary;
  g_autofree char *title = NULL;
  g_autofree char *caption = NULL;
  g_autofree char *promote = qs_format_nmse (summary->promote_threshold);
  g_autofree char *skip = qs_format_nmse (summary->skip_threshold);

  qs_chart_widget_set_summary (self->chart, summary);
  gtk_widget_set_visible (self->chart_frame, qs_chart_widget_get_n_bars (self->chart) > 0);

  /* Translators: %u is a number of layers */
  title = g_strdup_printf (ngettext ("The %u Most Sensitive Layer", "The %u Most Sensitive Layers",
                                     summary->top->len), summary->top->len);
  gtk_label_set_text (self->chart_title, title);

  if (summary->has_auto_config)
    /* Translators: the chart caption; the two %s are NMSE thresholds */
    caption = g_strdup_printf (_("NMSE of the format auto-config recommends. The dashed lines "
                                 "mark the promote threshold (%s) and the skip threshold (%s)."),
                               promote, skip);
  else
    /* Translators: the chart caption; the first %s is a dtype, the others NMSE thresholds */
    caption = g_strdup_printf (_("NMSE of the primary dtype %s. The dashed lines mark the "
                                 "promote threshold (%s) and the skip threshold (%s)."),
                               summary->primary_dtype, promote, skip);
  gtk_label_set_text (self->chart_caption, caption);
}

static void
fill_counts (QsResultsPage *self)
{
  const QsSummary *summary = self->summary;
  g_autoptr(GString) text = g_string_new (NULL);

  /* Translators: verdict counts in the threshold bar */
  g_string_append_printf (text, _("<b>%u</b> OK · <b>%u</b> promote · <b>%u</b> skip"),
                          summary->n_ok, summary->n_promote, summary->n_skip);
  if (summary->n_error > 0)
    g_string_append_printf (text, _(" · <b>%u</b> error"), summary->n_error);
  gtk_label_set_markup (self->counts_label, text->str);
}

static void
fill_svd (QsResultsPage *self)
{
  const QsSummary *summary = self->summary;
  g_autoptr(GString) caption = g_string_new (NULL);

  if (!summary->has_svd_comparison)
    {
      gtk_stack_set_visible_child_name (self->svd_stack, "empty");
      return;
    }

  rebuild_svd_columns (self, summary);
  gtk_filter_changed (GTK_FILTER (self->svd_filter), GTK_FILTER_CHANGE_DIFFERENT);

  for (guint i = 0; i < summary->n_svd_ranks; i++)
    {
      if (i > 0)
        g_string_append (caption, " ");
      g_string_append_printf (caption,
                              /* Translators: %u is an SVD rank, then a number of layers */
                              ngettext ("SVD at rank %u moves %u layer from PROMOTE or SKIP to OK.",
                                        "SVD at rank %u moves %u layers from PROMOTE or SKIP to OK.",
                                        summary->n_svd_rescued[i]),
                              summary->svd_ranks[i], summary->n_svd_rescued[i]);
    }
  /* Translators: %s is a dtype */
  g_string_append_printf (caption, _(" Raw and SVD NMSE are those of %s; the gain is raw over SVD."),
                          summary->primary_dtype);
  gtk_label_set_text (self->svd_caption, caption->str);
  gtk_stack_set_visible_child_name (self->svd_stack, "table");
}

static char *
format_saving (double percent)
{
  if (isnan (percent))
    return g_strdup ("–");
  return g_strdup_printf ("%.1f %%", percent);
}

static void
fill_auto_config (QsResultsPage *self)
{
  const QsSummary *summary = self->summary;
  g_autoptr(GString) caption = g_string_new (NULL);
  g_autofree char *fp16 = NULL;
  g_autofree char *uniform = NULL;
  g_autofree char *recommended = NULL;
  g_autofree char *vs_fp16 = NULL;
  g_autofree char *vs_uniform = NULL;
  g_autofree char *threshold = NULL;

  remove_all_flow_children (self->auto_totals_box);

  if (!summary->has_auto_config)
    {
      gtk_stack_set_visible_child_name (self->auto_stack, "empty");
      return;
    }

  fp16 = qs_ui_format_size (summary->total.fp16_bytes);
  uniform = qs_ui_format_size (summary->total.uniform_bytes);
  recommended = qs_ui_format_size (summary->total.recommended_bytes);
  vs_fp16 = format_saving (summary->total.savings_vs_fp16);
  vs_uniform = format_saving (summary->total.savings_vs_uniform);

  add_stat (self->auto_totals_box, recommended, _("Recommended size"), -1);
  add_stat (self->auto_totals_box, uniform, _("Uniform size"), -1);
  add_stat (self->auto_totals_box, fp16, _("FP16 size"), -1);
  add_stat (self->auto_totals_box, vs_fp16, _("Saved against FP16"), -1);
  add_stat (self->auto_totals_box, vs_uniform, _("Saved against uniform"), -1);
  add_count_stat (self->auto_totals_box, summary->n_auto_skip, _("Left unquantized"), -1);

  threshold = qs_format_nmse (summary->promote_threshold);
  /* Translators: the auto-config caption; %s is an NMSE threshold */
  g_string_append_printf (caption, _("The cheapest measured format per layer with NMSE at or "
                                     "under %s. Sizes follow SDNQ's cost model."), threshold);
  if (summary->component_totals != NULL && summary->component_totals->len > 1)
    {
      for (guint i = 0; i < summary->component_totals->len; i++)
        {
          const QsSizeTotals *totals = g_ptr_array_index (summary->component_totals, i);
          g_autofree char *size = qs_ui_format_size (totals->recommended_bytes);
          g_autofree char *saving = format_saving (totals->savings_vs_fp16);

          /* Translators: one component's total, "text_encoder: 1.2 MiB (saves 70.1 % against FP16)" */
          g_string_append_printf (caption, _("\n%s: %s (saves %s against FP16)"),
                                  qs_ui_component_label (totals->component), size, saving);
        }
    }
  gtk_label_set_text (self->auto_caption, caption->str);
  gtk_stack_set_visible_child_name (self->auto_stack, "table");
}

/* Config snippets */

static const char *
current_scheme_id (void)
{
  return adw_style_manager_get_dark (adw_style_manager_get_default ()) ? "Adwaita-dark" : "Adwaita";
}

static void
apply_scheme (QsResultsPage *self)
{
  GtkSourceStyleSchemeManager *manager = gtk_source_style_scheme_manager_get_default ();
  GtkSourceStyleScheme *scheme = gtk_source_style_scheme_manager_get_scheme (manager,
                                                                             current_scheme_id ());

  for (guint i = 0; i < self->source_buffers->len; i++)
    gtk_source_buffer_set_style_scheme (g_ptr_array_index (self->source_buffers, i), scheme);
}

static void
copy_clicked_cb (GtkButton *button,
                 gpointer   user_data)
{
  const char *text = g_object_get_data (G_OBJECT (button), "qs-snippet");
  const char *component = g_object_get_data (G_OBJECT (button), "qs-component");
  g_autofree char *message = NULL;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), text);

  /* Translators: a toast; %s is a component name */
  message = g_strdup_printf (_("Copied the config of %s"), component);
  gtk_widget_activate_action (GTK_WIDGET (button), "win.show-toast", "s", message);
}

static GtkWidget *
snippet_card_new (QsResultsPage *self,
                  const char    *component,
                  const char    *snippet)
{
  GtkSourceLanguageManager *languages = gtk_source_language_manager_get_default ();
  GtkSourceLanguage *python = gtk_source_language_manager_get_language (languages, "python3");
  g_autoptr(GtkSourceBuffer) buffer = gtk_source_buffer_new_with_language (python);
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *title = gtk_label_new (qs_ui_component_label (component));
  GtkWidget *copy = gtk_button_new ();
  GtkWidget *content = adw_button_content_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *view;

  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "snippet-card");

  gtk_widget_add_css_class (header, "snippet-header");
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_set_hexpand (title, TRUE);
  gtk_widget_add_css_class (title, "heading");
  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content), "edit-copy-symbolic");
  adw_button_content_set_label (ADW_BUTTON_CONTENT (content), _("Copy"));
  gtk_button_set_child (GTK_BUTTON (copy), content);
  gtk_widget_add_css_class (copy, "flat");
  g_object_set_data_full (G_OBJECT (copy), "qs-snippet", g_strdup (snippet), g_free);
  g_object_set_data_full (G_OBJECT (copy), "qs-component",
                          g_strdup (qs_ui_component_label (component)), g_free);
  g_signal_connect (copy, "clicked", G_CALLBACK (copy_clicked_cb), NULL);
  gtk_box_append (GTK_BOX (header), title);
  gtk_box_append (GTK_BOX (header), copy);
  gtk_box_append (GTK_BOX (card), header);

  gtk_text_buffer_set_text (GTK_TEXT_BUFFER (buffer), snippet, -1);
  gtk_source_buffer_set_highlight_syntax (buffer, TRUE);
  g_ptr_array_add (self->source_buffers, g_object_ref (buffer));

  view = gtk_source_view_new_with_buffer (buffer);
  gtk_text_view_set_editable (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (view), TRUE);
  gtk_text_view_set_cursor_visible (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 12);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (view), 12);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 12);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (view), 12);
  gtk_widget_add_css_class (view, "snippet-view");

  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), view);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroller), 520);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_AUTOMATIC);
  gtk_box_append (GTK_BOX (card), scroller);

  return card;
}

static void
fill_config (QsResultsPage *self)
{
  QsConfigStyle style = qs_results_page_get_config_style (self);

  qs_ui_box_remove_all (self->config_box);
  g_ptr_array_set_size (self->source_buffers, 0);
  self->n_snippets = 0;

  if (style == QS_CONFIG_STYLE_UPSTREAM)
    gtk_label_set_text (self->style_note, _("Per-layer group sizes and SVD ranks go in "
                                            "modules_quant_config, which released SDNQ (0.2.x) reads."));
  else
    gtk_label_set_text (self->style_note, _("Per-layer group sizes and SVD ranks go in "
                                            "modules_group_size_dict and modules_svd_dict, which only "
                                            "the SDNQ fork of the analysis scripts reads."));

  for (guint i = 0; self->summary != NULL && i < self->summary->configs->len; i++)
    {
      const QsComponentConfig *config = g_ptr_array_index (self->summary->configs, i);
      g_autofree char *snippet = qs_sdnq_config_format_snippet (config->config, style);

      gtk_box_append (self->config_box, snippet_card_new (self, config->component, snippet));
      self->n_snippets++;
    }

  apply_scheme (self);
}

static void
style_changed_cb (QsResultsPage *self)
{
  if (self->summary != NULL)
    fill_config (self);
}

static void
dark_changed_cb (QsResultsPage *self)
{
  apply_scheme (self);
}

/* Re-derivation */

static void
read_options (QsResultsPage    *self,
              QsSummaryOptions *options)
{
  options->promote_threshold = gtk_spin_button_get_value (self->promote_spin);
  options->skip_threshold = gtk_spin_button_get_value (self->skip_spin);
  options->top_n = (guint) gtk_spin_button_get_value_as_int (self->top_n_spin);
  options->auto_config = gtk_switch_get_active (self->auto_config_switch);
}

static gboolean
check_thresholds (QsResultsPage          *self,
                  const QsSummaryOptions *options)
{
  gboolean valid = options->promote_threshold > 0
                   && options->promote_threshold <= options->skip_threshold;
  const char *tip = valid ? NULL : _("The promote threshold must not be above the skip threshold");

  if (valid)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->promote_spin), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->skip_spin), "error");
    }
  else
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->promote_spin), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->skip_spin), "error");
    }
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->counts_label), tip);
  if (!valid)
    gtk_label_set_text (self->counts_label, tip);

  return valid;
}

/* Derives a new summary from the result with the options shown, without
 * recomputing any metric, and brings every view up to date with it. */
static void
rebuild (QsResultsPage *self)
{
  QsSummaryOptions options;
  QsSummary *old = self->summary;
  QsSummary *summary;
  guint n_rows;

  if (self->result == NULL || self->loading)
    return;

  read_options (self, &options);
  if (!check_thresholds (self, &options))
    return;

  summary = qs_summary_new_full (self->result, &options);
  n_rows = g_list_model_get_n_items (G_LIST_MODEL (self->rows));
  for (guint i = 0; i < summary->layers->len && i < n_rows; i++)
    {
      g_autoptr(QsLayerRow) row = g_list_model_get_item (G_LIST_MODEL (self->rows), i);

      qs_layer_row_update (row, summary, g_ptr_array_index (summary->layers, i));
    }

  /* The views copy what they show, so the old summary can go once every
   * one of them has the new one. */
  self->summary = summary;
  qs_layer_table_set_summary (self->layer_table, summary);
  fill_counts (self);
  fill_stats (self);
  fill_facts (self);
  fill_chart (self);
  fill_svd (self);
  fill_auto_config (self);
  fill_config (self);
  g_clear_pointer (&old, qs_summary_free);

  g_signal_emit (self, signals[SUMMARY_CHANGED], 0);
}

static void
options_changed_cb (QsResultsPage *self)
{
  rebuild (self);
}

static void
enable_auto_config_cb (QsResultsPage *self)
{
  gtk_switch_set_active (self->auto_config_switch, TRUE);
}

static void
qs_results_page_dispose (GObject *object)
{
  QsResultsPage *self = QS_RESULTS_PAGE (object);

  g_clear_signal_handler (&self->dark_changed_id, adw_style_manager_get_default ());

  gtk_widget_dispose_template (GTK_WIDGET (self), QS_TYPE_RESULTS_PAGE);
  qs_ui_unparent_children (GTK_WIDGET (self));

  g_clear_object (&self->svd_filter);
  g_clear_object (&self->rows);
  g_clear_object (&self->result);
  g_clear_pointer (&self->summary, qs_summary_free);
  g_clear_pointer (&self->svd_columns, g_ptr_array_unref);
  g_clear_pointer (&self->svd_ranks, g_free);
  g_clear_pointer (&self->fact_rows, g_ptr_array_unref);
  g_clear_pointer (&self->source_buffers, g_ptr_array_unref);

  G_OBJECT_CLASS (qs_results_page_parent_class)->dispose (object);
}

static void
qs_results_page_class_init (QsResultsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = qs_results_page_dispose;

  /**
   * QsResultsPage::summary-changed:
   *
   * Emitted after a new summary was derived and every view shows it.
   */
  signals[SUMMARY_CHANGED] =
    g_signal_new ("summary-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_source_init ();
  g_type_ensure (QS_TYPE_LAYER_TABLE);
  g_type_ensure (QS_TYPE_CHART_WIDGET);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/quantscope/Quantscope/ui/qs-results-page.ui");
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, partial_banner);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, partial_label);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, promote_spin);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, skip_spin);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, top_n_spin);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, auto_config_switch);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, counts_label);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, stats_box);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, chart_title);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, chart_caption);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, chart_frame);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, chart);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, facts_group);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, layer_table);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, svd_stack);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, svd_caption);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, svd_view);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, auto_stack);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, auto_totals_box);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, auto_caption);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, auto_view);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, style_dropdown);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, style_note);
  gtk_widget_class_bind_template_child (widget_class, QsResultsPage, config_box);
  gtk_widget_class_bind_template_callback (widget_class, options_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, enable_auto_config_cb);
  gtk_widget_class_bind_template_callback (widget_class, style_changed_cb);

  gtk_widget_class_set_css_name (widget_class, "qsresultspage");
}

static void
qs_results_page_init (QsResultsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->rows = g_list_store_new (QS_TYPE_LAYER_ROW);
  self->svd_columns = g_ptr_array_new_with_free_func (g_object_unref);
  self->fact_rows = g_ptr_array_new ();
  self->source_buffers = g_ptr_array_new_with_free_func (g_object_unref);

  qs_layer_table_set_model (self->layer_table, G_LIST_MODEL (self->rows));
  setup_tables (self);

  self->dark_changed_id = g_signal_connect_swapped (adw_style_manager_get_default (), "notify::dark",
                                                    G_CALLBACK (dark_changed_cb), self);
}

void
qs_results_page_set_result (QsResultsPage    *self,
                            QsAnalysisResult *result,
                            gboolean          auto_config)
{
  const QsAnalysisSettings *settings;
  guint n_layers;
  g_autoptr(GPtrArray) rows = NULL;

  g_return_if_fail (QS_IS_RESULTS_PAGE (self));
  g_return_if_fail (result == NULL || QS_IS_ANALYSIS_RESULT (result));

  g_set_object (&self->result, result);
  g_list_store_remove_all (self->rows);
  g_clear_pointer (&self->summary, qs_summary_free);

  if (result == NULL)
    return;

  settings = qs_analysis_result_get_settings (result);
  n_layers = qs_analysis_result_get_n_layers (result);
  rows = g_ptr_array_new_full (n_layers, g_object_unref);
  for (guint i = 0; i < n_layers; i++)
    g_ptr_array_add (rows, qs_layer_row_new (qs_analysis_result_get_layer (result, i), i));
  g_list_store_splice (self->rows, 0, 0, rows->pdata, rows->len);

  /* The spin buttons would each re-derive the summary; set them all and
   * derive once. */
  self->loading = TRUE;
  gtk_spin_button_set_value (self->skip_spin, settings->skip_threshold);
  gtk_spin_button_set_value (self->promote_spin, settings->promote_threshold);
  gtk_spin_button_set_value (self->top_n_spin, settings->top_n);
  gtk_switch_set_active (self->auto_config_switch, auto_config);
  self->loading = FALSE;

  if (qs_analysis_result_get_complete (result))
    {
      gtk_widget_set_visible (self->partial_banner, FALSE);
    }
  else
    {
      g_autofree char *text = NULL;

      /* Translators: a banner over partial results; %u are layer counts */
      text = g_strdup_printf (_("Partial result: the analysis stopped after %u of %u layers. "
                                "Every view shows only the layers that finished."),
                              n_layers, qs_analysis_result_get_n_layers_planned (result));
      gtk_label_set_text (self->partial_label, text);
      gtk_widget_set_visible (self->partial_banner, TRUE);
    }

  adw_view_stack_set_visible_child_name (self->stack, "overview");
  rebuild (self);
}

QsAnalysisResult *
qs_results_page_get_result (QsResultsPage *self)
{
  g_return_val_if_fail (QS_IS_RESULTS_PAGE (self), NULL);

  return self->result;
}

const QsSummary *
qs_results_page_get_summary (QsResultsPage *self)
{
  g_return_val_if_fail (QS_IS_RESULTS_PAGE (self), NULL);

  return self->summary;
}

void
qs_results_page_get_options (QsResultsPage    *self,
                             QsSummaryOptions *options)
{
  g_return_if_fail (QS_IS_RESULTS_PAGE (self));
  g_return_if_fail (options != NULL);

  if (self->summary != NULL)
    {
      options->promote_threshold = self->summary->promote_threshold;
      options->skip_threshold = self->summary->skip_threshold;
      options->top_n = self->summary->top_n;
      options->auto_config = self->summary->has_auto_config;
      return;
    }

  read_options (self, options);
}

void
qs_results_page_set_thresholds (QsResultsPage *self,
                                double         promote_threshold,
                                double         skip_threshold)
{
  g_return_if_fail (QS_IS_RESULTS_PAGE (self));

  self->loading = TRUE;
  gtk_spin_button_set_value (self->promote_spin, promote_threshold);
  gtk_spin_button_set_value (self->skip_spin, skip_threshold);
  self->loading = FALSE;
  rebuild (self);
}

void
qs_results_page_set_auto_config (QsResultsPage *self,
                                 gboolean       auto_config)
{
  g_return_if_fail (QS_IS_RESULTS_PAGE (self));

  gtk_switch_set_active (self->auto_config_switch, auto_config);
}

QsConfigStyle
qs_results_page_get_config_style (QsResultsPage *self)
{
  g_return_val_if_fail (QS_IS_RESULTS_PAGE (self), QS_CONFIG_STYLE_SCRIPT);

  return gtk_drop_down_get_selected (self->style_dropdown) == 1 ? QS_CONFIG_STYLE_UPSTREAM
                                                                  : QS_CONFIG_STYLE_SCRIPT;
}

void
qs_results_page_set_config_style (QsResultsPage *self,
                                  QsConfigStyle  style)
{
  g_return_if_fail (QS_IS_RESULTS_PAGE (self));

  gtk_drop_down_set_selected (self->style_dropdown, style == QS_CONFIG_STYLE_UPSTREAM ? 1 : 0);
}

AdwViewStack *
qs_results_page_get_stack (QsResultsPage *self)
{
  g_return_val_if_fail (QS_IS_RESULTS_PAGE (self), NULL);

  return self->stack;
}

QsLayerTable *
qs_results_page_get_layer_table (QsResultsPage *self)
{
  g_return_val_if_fail (QS_IS_RESULTS_PAGE (self), NULL);

  return self->layer_table;
}

QsChartWidget *
qs_results_page_get_chart (QsResultsPage *self)
{
  g_return_val_if_fail (QS_IS_RESULTS_PAGE (self), NULL);

  return self->chart;
}

GListModel *
qs_results_page_get_rows (QsResultsPage *self)
{
  g_return_val_if_fail (QS_IS_RESULTS_PAGE (self), NULL);

  return G_LIST_MODEL (self->rows);
}

guint
qs_results_page_get_n_snippets (QsResultsPage *self)
{
  g_return_val_if_fail (QS_IS_RESULTS_PAGE (self), 0);

  return self->n_snippets;
}

void
qs_results_page_begin_search (QsResultsPage *self)
{
  g_return_if_fail (QS_IS_RESULTS_PAGE (self));

  adw_view_stack_set_visible_child_name (self->stack, "layers");
  qs_layer_table_begin_search (self->layer_table);
}
