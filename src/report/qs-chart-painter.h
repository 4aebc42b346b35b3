/* qs-chart-painter.h: the bar chart of the most sensitive layers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <cairo.h>
#include <pango/pango.h>

#include "qs-report-colors.h"
#include "qs-summary.h"

G_BEGIN_DECLS

/**
 * QsChartBar:
 * @component: the layer's component
 * @name: the layer's parameter name
 * @label: the text drawn beside the bar: the name, prefixed with the
 *   component when the summary has several
 * @nmse: the NMSE the bar shows: the primary column's, or with auto-config
 *   the recommended format's; INF and NAN are possible
 * @severity: the colour step of @nmse
 * @value_text: the annotation at the end of the bar ("1.2346e-03", "INF",
 *   or "-" for NAN)
 * @detail: (nullable): the verdict or the auto-config choice, for tooltips
 *
 * One bar, copied out of the summary so the painter outlives it.
 */
typedef struct
{
  char       *component;
  char       *name;
  char       *label;
  double      nmse;
  QsSeverity  severity;
  char       *value_text;
  char       *detail;
} QsChartBar;

typedef struct _QsChartPainter QsChartPainter;

/**
 * qs_chart_painter_new:
 * @summary: the summary; its top list becomes the bars, worst first
 *
 * Copies the bars and the thresholds out of @summary and chooses the axis.
 * INF is drawn at twice the skip threshold and annotated "INF". The axis
 * is logarithmic when the largest positive value (INF counted where it is
 * drawn) is more than 100 times the smallest one, and linear otherwise.
 * The domain always takes in both thresholds, so their dashed reference
 * lines are visible.
 *
 * Returns: (transfer full): the painter
 */
QsChartPainter   *qs_chart_painter_new              (const QsSummary *summary);
void              qs_chart_painter_free             (QsChartPainter  *self);

guint             qs_chart_painter_get_n_bars       (QsChartPainter  *self);
const QsChartBar *qs_chart_painter_get_bar          (QsChartPainter  *self,
                                                     guint            index);
gboolean          qs_chart_painter_get_log_scale    (QsChartPainter  *self);
double            qs_chart_painter_get_skip_threshold    (QsChartPainter *self);
double            qs_chart_painter_get_promote_threshold (QsChartPainter *self);

/**
 * qs_chart_painter_set_font_size:
 * @size: the text height in the user units of the cairo_t the chart is
 *   drawn on (pixels for an image surface, points for a PDF surface)
 *
 * Sets the size of the labels; margins and the preferred bar height scale
 * with it. The default is 12, for screens at 96 dpi.
 */
void              qs_chart_painter_set_font_size    (QsChartPainter  *self,
                                                     double           size);
double            qs_chart_painter_get_font_size    (QsChartPainter  *self);

/**
 * qs_chart_painter_get_preferred_height:
 * @n_bars: the number of bars to fit
 *
 * Returns: the height in user units at which @n_bars bars get a
 *   comfortable row each at the current font size
 */
double            qs_chart_painter_get_preferred_height (QsChartPainter *self,
                                                         guint           n_bars);

/**
 * qs_chart_painter_draw:
 * @cr: any cairo context: an image surface, a PDF page, a widget snapshot
 * @width: the chart width in user units
 * @height: the chart height in user units
 * @theme: dark for screens, light for print
 * @context: (nullable): the Pango context to lay text out with; %NULL
 *   creates one for @cr
 *
 * Paints every bar into the rectangle from (0, 0) to (@width, @height) of
 * @cr's user space, background included.
 */
void              qs_chart_painter_draw             (QsChartPainter  *self,
                                                     cairo_t         *cr,
                                                     double           width,
                                                     double           height,
                                                     QsReportTheme    theme,
                                                     PangoContext    *context);

/**
 * qs_chart_painter_draw_range:
 * @first: the index of the first bar to draw
 * @n_bars: how many bars to draw from @first
 *
 * Like qs_chart_painter_draw() for a slice of the bars, on the same axis as
 * the whole chart, so a long chart can be split across pages.
 */
void              qs_chart_painter_draw_range       (QsChartPainter  *self,
                                                     cairo_t         *cr,
                                                     double           width,
                                                     double           height,
                                                     QsReportTheme    theme,
                                                     PangoContext    *context,
                                                     guint            first,
                                                     guint            n_bars);

/**
 * qs_chart_painter_hit_test:
 * @width: the width the chart was drawn at
 * @height: the height the chart was drawn at
 * @x: a point in the chart's user space
 * @y: a point in the chart's user space
 *
 * Finds the bar whose row contains the point, on the label or in the plot, for
 * tooltips. The geometry depends only on the size, the font size and the
 * number of bars, so no drawing is needed first.
 *
 * Returns: the bar index, or -1 when the point is on no bar's row
 */
int               qs_chart_painter_hit_test         (QsChartPainter  *self,
                                                     double           width,
                                                     double           height,
                                                     double           x,
                                                     double           y);

/**
 * qs_chart_painter_value_to_x:
 * @width: the chart width
 * @nmse: a value; INF maps where INF bars end, values at or under zero
 *   to the start of a logarithmic axis
 *
 * Returns: the x coordinate of @nmse on the axis at @width
 */
double            qs_chart_painter_value_to_x       (QsChartPainter  *self,
                                                     double           width,
                                                     double           nmse);

/**
 * qs_chart_painter_write_png:
 * @scale: device pixels per user unit (2 for a sharp image on HiDPI)
 *
 * Paints the whole chart onto an image surface of @width × @height user
 * units at @scale and encodes it as PNG.
 *
 * Returns: (transfer full): the PNG bytes, or %NULL with @error set
 */
GBytes           *qs_chart_painter_write_png        (QsChartPainter  *self,
                                                     double           width,
                                                     double           height,
                                                     double           scale,
                                                     QsReportTheme    theme,
                                                     GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsChartPainter, qs_chart_painter_free)

G_END_DECLS
