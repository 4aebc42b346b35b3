/* qs-chart-widget.h: the report's bar chart of the most sensitive layers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "qs-summary.h"

G_BEGIN_DECLS

#define QS_TYPE_CHART_WIDGET (qs_chart_widget_get_type ())

G_DECLARE_FINAL_TYPE (QsChartWidget, qs_chart_widget, QS, CHART_WIDGET, GtkWidget)

GtkWidget *qs_chart_widget_new         (void);

/**
 * qs_chart_widget_set_summary:
 * @summary: (nullable): the summary whose top layers become the bars
 *
 * Copies the bars out of @summary through the report's chart painter, so
 * the summary may be freed afterwards.
 */
void       qs_chart_widget_set_summary (QsChartWidget   *self,
                                        const QsSummary *summary);
guint      qs_chart_widget_get_n_bars  (QsChartWidget   *self);

/**
 * qs_chart_widget_describe_point:
 * @x: a point in widget coordinates
 * @y: a point in widget coordinates
 *
 * Returns: (transfer full) (nullable): the tooltip text of the bar under
 *   the point, or %NULL when there is none
 */
char      *qs_chart_widget_describe_point (QsChartWidget *self,
                                           double         x,
                                           double         y);

G_END_DECLS
