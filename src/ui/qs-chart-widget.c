/* qs-chart-widget.c: the report's bar chart of the most sensitive layers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "qs-chart-painter.h"
#include "qs-chart-widget.h"

#define MIN_WIDTH 360

struct _QsChartWidget
{
  GtkWidget       parent_instance;

  QsChartPainter *painter;
  gulong          dark_changed_id;
};

G_DEFINE_FINAL_TYPE (QsChartWidget, qs_chart_widget, GTK_TYPE_WIDGET)

static QsReportTheme
current_theme (void)
{
  return adw_style_manager_get_dark (adw_style_manager_get_default ())
         ? QS_REPORT_THEME_DARK : QS_REPORT_THEME_LIGHT;
}

static void
qs_chart_widget_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  QsChartWidget *self = QS_CHART_WIDGET (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  cairo_t *cr;

  if (self->painter == NULL || width <= 0 || height <= 0)
    return;

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  qs_chart_painter_draw (self->painter, cr, width, height, current_theme (),
                         gtk_widget_get_pango_context (widget));
  cairo_destroy (cr);
}

static void
qs_chart_widget_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  QsChartWidget *self = QS_CHART_WIDGET (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = MIN_WIDTH;
      *natural = MIN_WIDTH * 2;
    }
  else
    {
      double height = 0;

      if (self->painter != NULL && qs_chart_painter_get_n_bars (self->painter) > 0)
        height = qs_chart_painter_get_preferred_height (self->painter,
                                                        qs_chart_painter_get_n_bars (self->painter));
      *minimum = *natural = (int) ceil (height);
    }
}

char *
qs_chart_widget_describe_point (QsChartWidget *self,
                                double         x,
                                double         y)
{
  const QsChartBar *bar;
  g_autofree char *label = NULL;
  int index;

  g_return_val_if_fail (QS_IS_CHART_WIDGET (self), NULL);

  if (self->painter == NULL)
    return NULL;

  index = qs_chart_painter_hit_test (self->painter,
                                     gtk_widget_get_width (GTK_WIDGET (self)),
                                     gtk_widget_get_height (GTK_WIDGET (self)),
                                     x, y);
  if (index < 0)
    return NULL;

  bar = qs_chart_painter_get_bar (self->painter, (guint) index);
  label = g_markup_escape_text (bar->label, -1);

  if (bar->detail != NULL)
    {
      g_autofree char *detail = g_markup_escape_text (bar->detail, -1);

      /* Translators: a chart tooltip: the layer, its NMSE and its verdict */
      return g_strdup_printf (_("<b>%s</b>\nNMSE %s · %s"), label, bar->value_text, detail);
    }

  return g_strdup_printf (_("<b>%s</b>\nNMSE %s"), label, bar->value_text);
}

static gboolean
query_tooltip_cb (GtkWidget  *widget,
                  int         x,
                  int         y,
                  gboolean    keyboard_mode,
                  GtkTooltip *tooltip,
                  gpointer    user_data)
{
  g_autofree char *markup = qs_chart_widget_describe_point (QS_CHART_WIDGET (widget), x, y);

  if (markup == NULL)
    return FALSE;

  gtk_tooltip_set_markup (tooltip, markup);
  return TRUE;
}

static void
dark_changed_cb (QsChartWidget *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
qs_chart_widget_dispose (GObject *object)
{
  QsChartWidget *self = QS_CHART_WIDGET (object);

  g_clear_signal_handler (&self->dark_changed_id, adw_style_manager_get_default ());
  g_clear_pointer (&self->painter, qs_chart_painter_free);

  G_OBJECT_CLASS (qs_chart_widget_parent_class)->dispose (object);
}

static void
qs_chart_widget_class_init (QsChartWidgetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = qs_chart_widget_dispose;
  widget_class->snapshot = qs_chart_widget_snapshot;
  widget_class->measure = qs_chart_widget_measure;

  gtk_widget_class_set_css_name (widget_class, "qschart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
qs_chart_widget_init (QsChartWidget *self)
{
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), NULL);
  self->dark_changed_id = g_signal_connect_swapped (adw_style_manager_get_default (), "notify::dark",
                                                    G_CALLBACK (dark_changed_cb), self);
}

GtkWidget *
qs_chart_widget_new (void)
{
  return g_object_new (QS_TYPE_CHART_WIDGET, NULL);
}

void
qs_chart_widget_set_summary (QsChartWidget   *self,
                             const QsSummary *summary)
{
  g_return_if_fail (QS_IS_CHART_WIDGET (self));

  g_clear_pointer (&self->painter, qs_chart_painter_free);
  if (summary != NULL)
    self->painter = qs_chart_painter_new (summary);

  gtk_widget_queue_resize (GTK_WIDGET (self));
}

guint
qs_chart_widget_get_n_bars (QsChartWidget *self)
{
  g_return_val_if_fail (QS_IS_CHART_WIDGET (self), 0);

  return self->painter != NULL ? qs_chart_painter_get_n_bars (self->painter) : 0;
}
