/* qs-layer-table.c: the sortable, searchable table of analysed layers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "qs-layer-row.h"
#include "qs-layer-table.h"
#include "qs-report-colors.h"
#include "qs-ui-util.h"

struct _QsLayerTable
{
  GtkWidget            parent_instance;

  GtkSearchBar        *search_bar;
  GtkSearchEntry      *search_entry;
  GtkDropDown         *verdict_dropdown;
  GtkDropDown         *component_dropdown;
  GtkLabel            *count_label;
  GtkPaned            *paned;
  GtkColumnView       *column_view;
  GtkColumnViewColumn *shape_column;
  GtkWidget           *details_scroller;
  GtkBox              *details_box;

  GtkStringList       *components;
  GtkFilterListModel  *filter_model;
  GtkSortListModel    *sort_model;
  GtkSingleSelection  *selection;
  GtkStringFilter     *name_filter;
  GtkCustomFilter     *choice_filter;
  GtkEveryFilter      *filter;
  GPtrArray           *nmse_columns;
  GtkColumnViewColumn *number_column;
  GtkColumnViewColumn *numel_column;
  GtkColumnViewColumn *verdict_column;
  GtkCustomSorter     *verdict_sorter;
  char               **column_labels;
  QsLayerRow          *details_row;
  gulong               details_changed_id;

  guint                show_details : 1;
};

G_DEFINE_FINAL_TYPE (QsLayerTable, qs_layer_table, GTK_TYPE_WIDGET)

static void
update_number_cell (GtkWidget  *cell,
                    QsLayerRow *row,
                    guint       column)
{
  g_autofree char *text = g_strdup_printf ("%u", qs_layer_row_get_index (row) + 1);

  gtk_label_set_text (GTK_LABEL (cell), text);
  gtk_widget_add_css_class (cell, "dim-label");
}

static void
update_numel_cell (GtkWidget  *cell,
                   QsLayerRow *row,
                   guint       column)
{
  g_autofree char *text = qs_ui_format_count (qs_layer_row_get_layer (row)->numel);

  gtk_label_set_text (GTK_LABEL (cell), text);
}

static void
update_nmse_cell (GtkWidget  *cell,
                  QsLayerRow *row,
                  guint       column)
{
  g_autofree char *text = NULL;

  if (!qs_layer_row_has_summary (row))
    {
      gtk_label_set_text (GTK_LABEL (cell), "");
      qs_ui_set_severity_class (cell, QS_SEVERITY_UNKNOWN, FALSE);
      return;
    }

  text = qs_format_nmse (qs_layer_row_get_nmse (row, column));
  gtk_label_set_text (GTK_LABEL (cell), text);
  qs_ui_set_severity_class (cell, qs_layer_row_get_severity (row, column), TRUE);
}

static void
update_verdict_cell (GtkWidget  *cell,
                     QsLayerRow *row,
                     guint       column)
{
  gtk_label_set_xalign (GTK_LABEL (cell), 0.5);
  if (!qs_layer_row_has_summary (row))
    {
      gtk_label_set_text (GTK_LABEL (cell), "");
      qs_ui_set_verdict_class (cell, QS_VERDICT_OK, FALSE);
      return;
    }

  gtk_label_set_text (GTK_LABEL (cell), qs_layer_row_get_verdict_text (row));
  qs_ui_set_verdict_class (cell, qs_layer_row_get_verdict (row), TRUE);
}

static int
compare_nan_last (double a,
                  double b)
{
  if (isnan (a) || isnan (b))
    return isnan (a) - isnan (b);
  if (a < b)
    return -1;
  if (a > b)
    return 1;
  return 0;
}

static int
compare_index (QsLayerRow *a,
               QsLayerRow *b)
{
  guint ia = qs_layer_row_get_index (a);
  guint ib = qs_layer_row_get_index (b);

  return ia < ib ? -1 : ia > ib;
}

static int
compare_number_cb (gconstpointer a,
                   gconstpointer b,
                   gpointer      user_data)
{
  return compare_index ((QsLayerRow *) a, (QsLayerRow *) b);
}

static int
compare_numel_cb (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  guint64 na = qs_layer_row_get_layer ((QsLayerRow *) a)->numel;
  guint64 nb = qs_layer_row_get_layer ((QsLayerRow *) b)->numel;

  if (na != nb)
    return na < nb ? -1 : 1;
  return compare_index ((QsLayerRow *) a, (QsLayerRow *) b);
}

static int
compare_nmse_cb (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  guint column = GPOINTER_TO_UINT (user_data);
  int order = compare_nan_last (qs_layer_row_get_nmse ((QsLayerRow *) a, column),
                                qs_layer_row_get_nmse ((QsLayerRow *) b, column));

  return order != 0 ? order : compare_index ((QsLayerRow *) a, (QsLayerRow *) b);
}

/* Verdicts sort by severity of the outcome (OK, PROMOTE, SKIP, ERROR),
 * then by the primary NMSE, so the worst layers of a verdict come last. */
static int
compare_verdict_cb (gconstpointer a,
                    gconstpointer b,
                    gpointer      user_data)
{
  QsLayerRow *ra = (QsLayerRow *) a;
  QsLayerRow *rb = (QsLayerRow *) b;
  QsVerdict va = qs_layer_row_get_verdict (ra);
  QsVerdict vb = qs_layer_row_get_verdict (rb);
  int order;

  if (va != vb)
    return va < vb ? -1 : 1;
  order = compare_nan_last (qs_layer_row_get_primary_nmse (ra), qs_layer_row_get_primary_nmse (rb));

  return order != 0 ? order : compare_index (ra, rb);
}

static GtkColumnViewColumn *
column_new (const char         *title,
            GtkListItemFactory *factory,
            GtkSorter          *sorter)
{
  GtkColumnViewColumn *column = gtk_column_view_column_new (title, factory);

  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_column_set_sorter (column, sorter);
  g_object_unref (sorter);

  return column;
}

static gboolean
choice_filter_cb (gpointer item,
                  gpointer user_data)
{
  QsLayerTable *self = user_data;
  QsLayerRow *row = item;
  guint verdict_index = gtk_drop_down_get_selected (self->verdict_dropdown);
  guint component_index = gtk_drop_down_get_selected (self->component_dropdown);

  if (verdict_index != GTK_INVALID_LIST_POSITION && verdict_index > 0)
    {
      if (!qs_layer_row_has_summary (row)
          || (guint) qs_layer_row_get_verdict (row) != verdict_index - 1)
        return FALSE;
    }

  if (component_index != GTK_INVALID_LIST_POSITION && component_index > 0)
    {
      const char *component = gtk_string_list_get_string (self->components, component_index);

      if (g_strcmp0 (component, qs_ui_component_label (qs_layer_row_get_component (row))) != 0)
        return FALSE;
    }

  return TRUE;
}

static void
update_count_label (QsLayerTable *self)
{
  GListModel *rows = gtk_filter_list_model_get_model (self->filter_model);
  guint total = rows != NULL ? g_list_model_get_n_items (rows) : 0;
  guint n_visible = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));
  g_autofree char *text = NULL;

  if (n_visible == total)
    text = g_strdup_printf (ngettext ("%u layer", "%u layers", total), total);
  else
    /* Translators: a count of table rows, "12 of 56 layers" */
    text = g_strdup_printf (ngettext ("%u of %u layer", "%u of %u layers", total), n_visible, total);
  gtk_label_set_text (self->count_label, text);
}

static void
filter_changed_cb (QsLayerTable *self)
{
  /* The drop-downs notify while the template is being built. */
  if (self->choice_filter == NULL)
    return;

  gtk_filter_changed (GTK_FILTER (self->choice_filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
search_changed_cb (QsLayerTable *self)
{
  if (self->name_filter == NULL)
    return;

  gtk_string_filter_set_search (self->name_filter,
                                gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
}

/* The bar stays visible, because it contains the filters too, so Escape
 * only clears the search. */
static void
stop_search_cb (QsLayerTable *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
}

static void
items_changed_cb (QsLayerTable *self)
{
  update_count_label (self);
}

static GtkWidget *
details_heading (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_set_margin_top (label, 6);

  return label;
}

static void
grid_add_pair (GtkGrid    *grid,
               int         row,
               const char *key,
               const char *value)
{
  GtkWidget *key_label = gtk_label_new (key);
  GtkWidget *value_label = gtk_label_new (value);

  gtk_label_set_xalign (GTK_LABEL (key_label), 0);
  gtk_label_set_yalign (GTK_LABEL (key_label), 0);
  gtk_widget_add_css_class (key_label, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (value_label), 0);
  gtk_label_set_wrap (GTK_LABEL (value_label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (value_label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (value_label), TRUE);
  gtk_widget_set_hexpand (value_label, TRUE);
  gtk_grid_attach (grid, key_label, 0, row, 1, 1);
  gtk_grid_attach (grid, value_label, 1, row, 1, 1);
}

static GtkGrid *
pair_grid_new (void)
{
  GtkWidget *grid = gtk_grid_new ();

  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 4);

  return GTK_GRID (grid);
}

/* Formats @value with @digits digits after the point (@fixed) or
 * significant digits, with INF and a dash for NAN as the tables write them. */
static char *
format_double (double   value,
               int      digits,
               gboolean fixed)
{
  if (isnan (value))
    return g_strdup ("–");
  if (isinf (value))
    return g_strdup (value > 0 ? "INF" : "-INF");
  if (fixed)
    return g_strdup_printf ("%.*f", digits, value);
  return g_strdup_printf ("%.*g", digits, value);
}

static GtkWidget *
format_cell (const char *text,
             gboolean    header,
             float       xalign)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), xalign);
  gtk_widget_add_css_class (label, header ? "caption-heading" : "caption");
  if (!header)
    gtk_widget_add_css_class (label, "numeric");

  return label;
}

static void
fill_formats_grid (QsLayerTable  *self,
                   QsLayerRow    *row,
                   GtkGrid       *grid)
{
  QsLayerResult *layer = qs_layer_row_get_layer (row);
  static const char *headers[] = { N_("Format"), N_("NMSE"), N_("SQNR dB"), N_("Cosine"),
                                   N_("Max err"), N_("Rel L2") };

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    gtk_grid_attach (grid, format_cell (_(headers[i]), TRUE, i == 0 ? 0.0 : 1.0), (int) i, 0, 1, 1);

  for (guint i = 0; i < layer->n_formats; i++)
    {
      const QsFormatRecord *record = &layer->formats[i];
      g_autofree char *requested = qs_format_group_size_label (record->requested_group_size);
      g_autofree char *format = NULL;
      g_autofree char *nmse = NULL;
      g_autofree char *sqnr = NULL;
      g_autofree char *cosine = NULL;
      g_autofree char *max_err = NULL;
      g_autofree char *rel = NULL;
      GtkWidget *nmse_label;
      GtkWidget *format_label;

      if (record->use_svd)
        format = g_strdup_printf ("%s %s r%u", record->dtype, requested, record->svd_rank);
      else
        format = g_strdup_printf ("%s %s", record->dtype, requested);

      format_label = format_cell (format, FALSE, 0.0);
      gtk_widget_remove_css_class (format_label, "numeric");
      if (record->failed)
        {
          gtk_widget_set_tooltip_text (format_label, record->error);
          gtk_grid_attach (grid, format_label, 0, (int) i + 1, 1, 1);
          gtk_grid_attach (grid, format_cell (_("failed"), FALSE, 1.0), 1, (int) i + 1, 5, 1);
          continue;
        }

      if (record->group_size != record->requested_group_size)
        {
          g_autofree char *resolved = qs_format_group_size_label (record->group_size);
          /* Translators: a tooltip naming the group size SDNQ really used */
          g_autofree char *tip = g_strdup_printf (_("Resolved group size: %s"), resolved);

          gtk_widget_set_tooltip_text (format_label, tip);
        }

      nmse = qs_format_nmse (record->metrics.nmse);
      sqnr = format_double (record->metrics.sqnr_db, 2, TRUE);
      cosine = format_double (record->metrics.cosine_sim, 6, TRUE);
      max_err = format_double (record->metrics.max_abs_err, 3, FALSE);
      rel = format_double (record->metrics.relative_l2, 3, FALSE);

      nmse_label = format_cell (nmse, FALSE, 1.0);
      gtk_widget_add_css_class (nmse_label, "nmse-cell");
      if (qs_layer_row_has_summary (row))
        qs_ui_set_severity_class (nmse_label,
                                  qs_layer_row_get_severity_for_nmse (row, record->metrics.nmse), TRUE);

      gtk_grid_attach (grid, format_label, 0, (int) i + 1, 1, 1);
      gtk_grid_attach (grid, nmse_label, 1, (int) i + 1, 1, 1);
      gtk_grid_attach (grid, format_cell (sqnr, FALSE, 1.0), 2, (int) i + 1, 1, 1);
      gtk_grid_attach (grid, format_cell (cosine, FALSE, 1.0), 3, (int) i + 1, 1, 1);
      gtk_grid_attach (grid, format_cell (max_err, FALSE, 1.0), 4, (int) i + 1, 1, 1);
      gtk_grid_attach (grid, format_cell (rel, FALSE, 1.0), 5, (int) i + 1, 1, 1);
    }
}

/* The details pane lists everything the analysis stored for the layer. */
static void
fill_details (QsLayerTable *self)
{
  QsLayerRow *row = self->details_row;
  QsLayerResult *layer;
  GtkWidget *title;
  GtkWidget *subtitle;
  GtkGrid *grid;
  GtkGrid *formats;
  g_autofree char *numel = NULL;
  g_autofree char *seconds = NULL;
  g_autofree char *kurtosis = NULL;
  g_autofree char *outliers = NULL;
  g_autofree char *range = NULL;
  g_autofree char *absmax = NULL;
  g_autofree char *non_finite = NULL;
  int n = 0;

  qs_ui_box_remove_all (self->details_box);

  if (row == NULL)
    {
      GtkWidget *empty = gtk_label_new (_("Select a layer to see its shape, its weight "
                                          "statistics and the metrics of every format."));

      gtk_label_set_wrap (GTK_LABEL (empty), TRUE);
      gtk_label_set_justify (GTK_LABEL (empty), GTK_JUSTIFY_CENTER);
      gtk_widget_add_css_class (empty, "dim-label");
      gtk_widget_set_vexpand (empty, TRUE);
      gtk_box_append (self->details_box, empty);
      return;
    }

  layer = qs_layer_row_get_layer (row);

  title = gtk_label_new (layer->name);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (title), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (title), TRUE);
  gtk_widget_add_css_class (title, "title-3");
  gtk_box_append (self->details_box, title);

  subtitle = gtk_label_new (qs_ui_component_label (layer->component));
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_box_append (self->details_box, subtitle);

  if (qs_layer_row_has_summary (row))
    {
      GtkWidget *badge = gtk_label_new (qs_layer_row_get_verdict_text (row));

      gtk_widget_set_halign (badge, GTK_ALIGN_START);
      qs_ui_set_verdict_class (badge, qs_layer_row_get_verdict (row), TRUE);
      gtk_box_append (self->details_box, badge);
    }

  grid = pair_grid_new ();
  numel = qs_ui_format_count (layer->numel);
  seconds = g_strdup_printf (_("%.2f s"), layer->seconds);
  grid_add_pair (grid, n++, _("Class"), layer->layer_class);
  grid_add_pair (grid, n++, _("Shape"), qs_layer_row_get_shape (row));
  grid_add_pair (grid, n++, _("Elements"), numel);
  grid_add_pair (grid, n++, _("Stored dtype"), layer->tensor_dtype);
  grid_add_pair (grid, n++, _("Time"), seconds);
  if (layer->flags != NULL && layer->flags[0] != NULL)
    {
      g_autofree char *flags = g_strjoinv (", ", layer->flags);

      grid_add_pair (grid, n++, _("Flags"), flags);
    }
  if (layer->error != NULL)
    grid_add_pair (grid, n++, _("Error"), layer->error);
  gtk_box_append (self->details_box, details_heading (_("Layer")));
  gtk_box_append (self->details_box, GTK_WIDGET (grid));

  grid = pair_grid_new ();
  n = 0;
  kurtosis = format_double (layer->stats.kurtosis, 4, FALSE);
  outliers = format_double (layer->stats.outlier_ratio, 4, FALSE);
  range = format_double (layer->stats.dynamic_range_ratio, 4, FALSE);
  absmax = format_double (layer->stats.absmax, 4, FALSE);
  non_finite = g_strdup_printf ("%" G_GUINT64_FORMAT " NaN, %" G_GUINT64_FORMAT " Inf",
                                layer->stats.n_nan, layer->stats.n_inf);
  grid_add_pair (grid, n++, _("Kurtosis"), kurtosis);
  grid_add_pair (grid, n++, _("Outlier ratio"), outliers);
  grid_add_pair (grid, n++, _("Dynamic range ratio"), range);
  grid_add_pair (grid, n++, _("Largest magnitude"), absmax);
  grid_add_pair (grid, n++, _("Non-finite values"), non_finite);
  gtk_box_append (self->details_box, details_heading (_("Weight Statistics")));
  gtk_box_append (self->details_box, GTK_WIDGET (grid));

  if (layer->n_formats > 0)
    {
      formats = GTK_GRID (gtk_grid_new ());
      gtk_grid_set_column_spacing (formats, 10);
      gtk_grid_set_row_spacing (formats, 3);
      gtk_widget_add_css_class (GTK_WIDGET (formats), "format-grid");
      fill_formats_grid (self, row, formats);
      gtk_box_append (self->details_box, details_heading (_("Formats")));
      gtk_box_append (self->details_box, GTK_WIDGET (formats));
    }
}

static void
details_row_changed_cb (QsLayerTable *self)
{
  fill_details (self);
}

static void
set_details_row (QsLayerTable *self,
                 QsLayerRow   *row)
{
  if (self->details_row == row && row != NULL)
    return;

  if (self->details_row != NULL)
    g_clear_signal_handler (&self->details_changed_id, self->details_row);
  g_set_object (&self->details_row, row);
  if (row != NULL)
    self->details_changed_id = g_signal_connect_swapped (row, "changed",
                                                         G_CALLBACK (details_row_changed_cb),
                                                         self);

  if (self->show_details)
    fill_details (self);
}

static void
selection_changed_cb (QsLayerTable *self)
{
  set_details_row (self, gtk_single_selection_get_selected_item (self->selection));
}

static void
qs_layer_table_dispose (GObject *object)
{
  QsLayerTable *self = QS_LAYER_TABLE (object);

  if (self->details_row != NULL)
    g_clear_signal_handler (&self->details_changed_id, self->details_row);
  g_clear_object (&self->details_row);

  gtk_widget_dispose_template (GTK_WIDGET (self), QS_TYPE_LAYER_TABLE);
  qs_ui_unparent_children (GTK_WIDGET (self));

  g_clear_object (&self->selection);
  g_clear_object (&self->components);
  g_clear_pointer (&self->nmse_columns, g_ptr_array_unref);
  g_clear_pointer (&self->column_labels, g_strfreev);

  G_OBJECT_CLASS (qs_layer_table_parent_class)->dispose (object);
}

static void
qs_layer_table_class_init (QsLayerTableClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = qs_layer_table_dispose;

  g_type_ensure (QS_TYPE_LAYER_ROW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/quantscope/Quantscope/ui/qs-layer-table.ui");
  gtk_widget_class_bind_template_child (widget_class, QsLayerTable, search_bar);
  gtk_widget_class_bind_template_child (widget_class, QsLayerTable, search_entry);
  gtk_widget_class_bind_template_child (widget_class, QsLayerTable, verdict_dropdown);
  gtk_widget_class_bind_template_child (widget_class, QsLayerTable, component_dropdown);
  gtk_widget_class_bind_template_child (widget_class, QsLayerTable, count_label);
  gtk_widget_class_bind_template_child (widget_class, QsLayerTable, paned);
  gtk_widget_class_bind_template_child (widget_class, QsLayerTable, column_view);
  gtk_widget_class_bind_template_child (widget_class, QsLayerTable, shape_column);
  gtk_widget_class_bind_template_child (widget_class, QsLayerTable, details_scroller);
  gtk_widget_class_bind_template_child (widget_class, QsLayerTable, details_box);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, filter_changed_cb);

  gtk_widget_class_set_css_name (widget_class, "qslayertable");
}

static void
qs_layer_table_init (QsLayerTable *self)
{
  GtkSorter *sorter;
  GtkExpression *name_expression;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->nmse_columns = g_ptr_array_new_with_free_func (g_object_unref);
  self->components = gtk_string_list_new (NULL);
  gtk_string_list_append (self->components, _("All Components"));
  gtk_drop_down_set_model (self->component_dropdown, G_LIST_MODEL (self->components));

  /* Search matches the layer name, and the two drop-downs the verdict and
   * the component; every filter must pass. */
  name_expression = gtk_property_expression_new (QS_TYPE_LAYER_ROW, NULL, "name");
  self->name_filter = gtk_string_filter_new (name_expression);
  gtk_string_filter_set_match_mode (self->name_filter, GTK_STRING_FILTER_MATCH_MODE_SUBSTRING);
  gtk_string_filter_set_ignore_case (self->name_filter, TRUE);
  self->choice_filter = gtk_custom_filter_new (choice_filter_cb, self, NULL);
  self->filter = gtk_every_filter_new ();
  gtk_multi_filter_append (GTK_MULTI_FILTER (self->filter), GTK_FILTER (self->name_filter));
  gtk_multi_filter_append (GTK_MULTI_FILTER (self->filter), GTK_FILTER (self->choice_filter));

  self->filter_model = gtk_filter_list_model_new (NULL, GTK_FILTER (self->filter));
  self->sort_model = gtk_sort_list_model_new (G_LIST_MODEL (self->filter_model),
                                              g_object_ref (gtk_column_view_get_sorter (self->column_view)));
  gtk_sort_list_model_set_incremental (self->sort_model, TRUE);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (self->sort_model));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (selection_changed_cb), self);
  g_signal_connect_swapped (self->filter_model, "items-changed",
                            G_CALLBACK (items_changed_cb), self);

  sorter = GTK_SORTER (gtk_custom_sorter_new (compare_number_cb, NULL, NULL));
  self->number_column = column_new ("#", qs_ui_row_cell_factory_new (update_number_cell, 0), sorter);
  gtk_column_view_insert_column (self->column_view, 0, self->number_column);
  g_object_unref (self->number_column);

  sorter = GTK_SORTER (gtk_custom_sorter_new (compare_numel_cb, NULL, NULL));
  self->numel_column = column_new (_("Elements"), qs_ui_row_cell_factory_new (update_numel_cell, 0), sorter);
  gtk_column_view_append_column (self->column_view, self->numel_column);
  g_object_unref (self->numel_column);

  self->verdict_sorter = gtk_custom_sorter_new (compare_verdict_cb, NULL, NULL);
  self->verdict_column = column_new (_("Verdict"), qs_ui_row_cell_factory_new (update_verdict_cell, 0),
                                     GTK_SORTER (g_object_ref (self->verdict_sorter)));
  gtk_column_view_append_column (self->column_view, self->verdict_column);
  g_object_unref (self->verdict_column);
  g_object_unref (self->verdict_sorter);

  self->show_details = TRUE;
  fill_details (self);
  update_count_label (self);
}

GtkWidget *
qs_layer_table_new (void)
{
  return g_object_new (QS_TYPE_LAYER_TABLE, NULL);
}

void
qs_layer_table_set_model (QsLayerTable *self,
                          GListModel   *rows)
{
  g_return_if_fail (QS_IS_LAYER_TABLE (self));
  g_return_if_fail (rows == NULL || G_IS_LIST_MODEL (rows));

  set_details_row (self, NULL);
  gtk_filter_list_model_set_model (self->filter_model, rows);
  update_count_label (self);
}

static void
rebuild_nmse_columns (QsLayerTable    *self,
                      const QsSummary *summary)
{
  for (guint i = 0; i < self->nmse_columns->len; i++)
    gtk_column_view_remove_column (self->column_view, g_ptr_array_index (self->nmse_columns, i));
  g_ptr_array_set_size (self->nmse_columns, 0);
  g_clear_pointer (&self->column_labels, g_strfreev);

  if (summary == NULL)
    return;

  self->column_labels = g_new0 (char *, summary->n_columns + 1);
  for (guint i = 0; i < summary->n_columns; i++)
    {
      GtkSorter *sorter = GTK_SORTER (gtk_custom_sorter_new (compare_nmse_cb,
                                                             GUINT_TO_POINTER (i), NULL));
      GtkColumnViewColumn *column;
      guint position = 6 + i;

      self->column_labels[i] = g_strdup (summary->columns[i]);
      column = column_new (summary->columns[i], qs_ui_row_cell_factory_new (update_nmse_cell, i), sorter);
      gtk_column_view_insert_column (self->column_view, position, column);
      g_ptr_array_add (self->nmse_columns, column);
    }
}

static gboolean
same_columns (QsLayerTable    *self,
              const QsSummary *summary)
{
  if (self->column_labels == NULL)
    return summary == NULL;
  if (summary == NULL || g_strv_length (self->column_labels) != summary->n_columns)
    return FALSE;

  for (guint i = 0; i < summary->n_columns; i++)
    if (g_strcmp0 (self->column_labels[i], summary->columns[i]) != 0)
      return FALSE;

  return TRUE;
}

static void
update_components (QsLayerTable    *self,
                   const QsSummary *summary)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  guint old_n = g_list_model_get_n_items (G_LIST_MODEL (self->components));
  const char *selected = NULL;
  guint selected_index = gtk_drop_down_get_selected (self->component_dropdown);
  gboolean same;

  if (summary != NULL)
    {
      for (guint i = 0; i < summary->layers->len; i++)
        {
          const QsLayerSummary *layer = g_ptr_array_index (summary->layers, i);
          const char *label = qs_ui_component_label (layer->layer->component);
          gboolean seen = FALSE;

          for (guint j = 0; j < names->len && !seen; j++)
            seen = g_strcmp0 (g_ptr_array_index (names, j), label) == 0;
          if (!seen)
            g_ptr_array_add (names, (gpointer) label);
        }
    }

  same = old_n == names->len + 1;
  for (guint i = 0; same && i < names->len; i++)
    same = g_strcmp0 (gtk_string_list_get_string (self->components, i + 1),
                      g_ptr_array_index (names, i)) == 0;
  if (same)
    return;

  if (selected_index != GTK_INVALID_LIST_POSITION && selected_index > 0)
    selected = gtk_string_list_get_string (self->components, selected_index);

  g_ptr_array_add (names, NULL);
  gtk_string_list_splice (self->components, 1, old_n - 1, (const char * const *) names->pdata);

  selected_index = 0;
  for (guint i = 0; selected != NULL && i + 1 < names->len; i++)
    if (g_strcmp0 (g_ptr_array_index (names, i), selected) == 0)
      selected_index = i + 1;
  gtk_drop_down_set_selected (self->component_dropdown, selected_index);
  gtk_widget_set_visible (GTK_WIDGET (self->component_dropdown), names->len > 2);
}

void
qs_layer_table_set_summary (QsLayerTable    *self,
                            const QsSummary *summary)
{
  g_return_if_fail (QS_IS_LAYER_TABLE (self));

  if (!same_columns (self, summary))
    rebuild_nmse_columns (self, summary);

  update_components (self, summary);

  /* Verdicts may have changed with the thresholds, which moves rows
   * between verdict filters and reorders the verdict column. */
  gtk_filter_changed (GTK_FILTER (self->choice_filter), GTK_FILTER_CHANGE_DIFFERENT);
  gtk_sorter_changed (GTK_SORTER (self->verdict_sorter), GTK_SORTER_CHANGE_DIFFERENT);
  update_count_label (self);
}

void
qs_layer_table_set_show_details (QsLayerTable *self,
                                 gboolean      show_details)
{
  g_return_if_fail (QS_IS_LAYER_TABLE (self));

  self->show_details = !!show_details;
  gtk_widget_set_visible (self->details_scroller, self->show_details);
  if (self->show_details)
    fill_details (self);
}

void
qs_layer_table_set_searchable (QsLayerTable *self,
                               gboolean      searchable)
{
  g_return_if_fail (QS_IS_LAYER_TABLE (self));

  gtk_widget_set_visible (GTK_WIDGET (self->search_bar), searchable);
}

void
qs_layer_table_begin_search (QsLayerTable *self)
{
  g_return_if_fail (QS_IS_LAYER_TABLE (self));

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

void
qs_layer_table_set_search_text (QsLayerTable *self,
                                const char   *text)
{
  g_return_if_fail (QS_IS_LAYER_TABLE (self));

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text != NULL ? text : "");
  /* The entry delays "search-changed"; apply the text at once. */
  search_changed_cb (self);
}

void
qs_layer_table_set_verdict_filter (QsLayerTable *self,
                                   int           verdict)
{
  g_return_if_fail (QS_IS_LAYER_TABLE (self));
  g_return_if_fail (verdict >= -1 && verdict <= QS_VERDICT_ERROR);

  gtk_drop_down_set_selected (self->verdict_dropdown, (guint) (verdict + 1));
}

GListModel *
qs_layer_table_get_visible_rows (QsLayerTable *self)
{
  g_return_val_if_fail (QS_IS_LAYER_TABLE (self), NULL);

  return G_LIST_MODEL (self->sort_model);
}

void
qs_layer_table_select (QsLayerTable *self,
                       guint         position)
{
  g_return_if_fail (QS_IS_LAYER_TABLE (self));

  gtk_single_selection_set_selected (self->selection, position);
}
