/* qs-ui-util.c: formatting and styling helpers shared by the app's widgets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "qs-report-content.h"
#include "qs-ui-util.h"

char *
qs_ui_format_count (guint64 count)
{
  return g_strdup_printf ("%'" G_GUINT64_FORMAT, count);
}

char *
qs_ui_format_size (guint64 bytes)
{
  return qs_report_format_size (bytes);
}

char *
qs_ui_format_duration (double seconds)
{
  guint64 total;

  if (!(seconds >= 0) || isinf (seconds))
    return g_strdup (_("unknown"));

  total = (guint64) (seconds + 0.5);
  /* Plain unsigned long long formats, because xgettext cannot extract a
   * message split by G_GUINT64_FORMAT. */
  if (total < 60)
    return g_strdup_printf (_("%llu s"), (unsigned long long) total);
  if (total < 3600)
    return g_strdup_printf (_("%llu min %02llu s"),
                            (unsigned long long) (total / 60), (unsigned long long) (total % 60));

  return g_strdup_printf (_("%llu h %02llu min"),
                          (unsigned long long) (total / 3600),
                          (unsigned long long) ((total % 3600) / 60));
}

const char *
qs_ui_component_label (const char *component)
{
  if (component == NULL || component[0] == '\0')
    return _("Model");

  return component;
}

void
qs_ui_set_severity_class (GtkWidget  *widget,
                          QsSeverity  severity,
                          gboolean    on)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  for (guint i = 0; i < QS_N_SEVERITIES; i++)
    gtk_widget_remove_css_class (widget, qs_severity_get_css_class ((QsSeverity) i));

  if (on)
    {
      gtk_widget_add_css_class (widget, "nmse-cell");
      gtk_widget_add_css_class (widget, qs_severity_get_css_class (severity));
    }
  else
    {
      gtk_widget_remove_css_class (widget, "nmse-cell");
    }
}

void
qs_ui_set_verdict_class (GtkWidget *widget,
                         QsVerdict  verdict,
                         gboolean   on)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  for (guint i = QS_VERDICT_OK; i <= QS_VERDICT_ERROR; i++)
    {
      g_autofree char *name = g_ascii_strdown (qs_verdict_to_string ((QsVerdict) i), -1);
      g_autofree char *css_class = g_strconcat ("verdict-", name, NULL);

      if (on && (QsVerdict) i == verdict)
        gtk_widget_add_css_class (widget, css_class);
      else
        gtk_widget_remove_css_class (widget, css_class);
    }

  if (on)
    gtk_widget_add_css_class (widget, "verdict-badge");
  else
    gtk_widget_remove_css_class (widget, "verdict-badge");
}

void
qs_ui_box_remove_all (GtkBox *box)
{
  GtkWidget *child;

  g_return_if_fail (GTK_IS_BOX (box));

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_box_remove (box, child);
}

typedef struct
{
  QsUiCellUpdateFunc update;
  guint              column;
} CellSpec;

static void
cell_row_changed_cb (QsLayerRow *row,
                     GtkWidget  *cell)
{
  const CellSpec *spec = g_object_get_data (G_OBJECT (cell), "qs-cell-spec");

  spec->update (cell, row, spec->column);
}

static void
cell_setup_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 1.0);
  gtk_widget_add_css_class (label, "numeric");
  g_object_set_data (G_OBJECT (label), "qs-cell-spec", user_data);
  gtk_list_item_set_child (item, label);
}

static void
cell_bind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  const CellSpec *spec = user_data;
  GtkWidget *cell = gtk_list_item_get_child (item);
  QsLayerRow *row = gtk_list_item_get_item (item);
  gulong id;

  spec->update (cell, row, spec->column);
  id = g_signal_connect_object (row, "changed", G_CALLBACK (cell_row_changed_cb), cell, 0);
  g_object_set_data (G_OBJECT (cell), "qs-changed-id", GSIZE_TO_POINTER (id));
}

static void
cell_unbind_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  GtkWidget *cell = gtk_list_item_get_child (item);
  QsLayerRow *row = gtk_list_item_get_item (item);
  gulong id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (cell), "qs-changed-id"));

  if (id != 0 && row != NULL)
    g_signal_handler_disconnect (row, id);
  g_object_set_data (G_OBJECT (cell), "qs-changed-id", NULL);
}

GtkListItemFactory *
qs_ui_row_cell_factory_new (QsUiCellUpdateFunc update,
                            guint              column)
{
  GtkListItemFactory *factory;
  CellSpec *spec;

  g_return_val_if_fail (update != NULL, NULL);

  factory = gtk_signal_list_item_factory_new ();
  spec = g_new0 (CellSpec, 1);
  spec->update = update;
  spec->column = column;

  g_signal_connect_data (factory, "setup", G_CALLBACK (cell_setup_cb), spec,
                         (GClosureNotify) g_free, 0);
  g_signal_connect (factory, "bind", G_CALLBACK (cell_bind_cb), spec);
  g_signal_connect (factory, "unbind", G_CALLBACK (cell_unbind_cb), spec);

  return factory;
}

void
qs_ui_unparent_children (GtkWidget *widget)
{
  GtkWidget *child;

  g_return_if_fail (GTK_IS_WIDGET (widget));

  while ((child = gtk_widget_get_first_child (widget)) != NULL)
    gtk_widget_unparent (child);
}
