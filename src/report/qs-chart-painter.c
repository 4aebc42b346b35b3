/* qs-chart-painter.c: the bar chart of the most sensitive layers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <math.h>

#include "qs-chart-painter.h"
#include "qs-report-private.h"

/* Values that span more than this factor get a logarithmic axis. */
#define LOG_SCALE_SPAN 100.0

/* Margins and rows in units of the font size, so the chart keeps its
 * proportions on a 96 dpi screen and on a PDF page in points. */
#define TOP_MARGIN_EM      2.2
#define BOTTOM_MARGIN_EM   3.6
#define ROW_EM             1.9
#define BAR_MAX_EM         1.4
#define RIGHT_MARGIN_EM    6.5

struct _QsChartPainter
{
  GArray   *bars;
  double    skip_threshold;
  double    promote_threshold;
  double    inf_position;
  gboolean  log_scale;
  /* The axis runs from domain_min to domain_max, and domain_min is 0 on
   * a linear axis. */
  double    domain_min;
  double    domain_max;
  double    font_size;
  gboolean  auto_config;
};

typedef struct
{
  double label_x0;
  double label_x1;
  double plot_x0;
  double plot_x1;
  double plot_y0;
  double plot_y1;
  double row_height;
  double bar_height;
} Geometry;

static void
chart_bar_clear (QsChartBar *bar)
{
  g_free (bar->component);
  g_free (bar->name);
  g_free (bar->label);
  g_free (bar->value_text);
  g_free (bar->detail);
}

static char *
format_auto_choice (const QsAutoChoice *choice)
{
  g_autofree char *group = NULL;

  if (choice->skip || choice->dtype == NULL)
    return g_strdup (_("SKIP (kept in FP16)"));

  group = qs_format_group_size_label (choice->requested_group_size);
  if (choice->svd_rank > 0)
    return g_strdup_printf (_("%s %s, SVD rank %u"), choice->dtype, group, choice->svd_rank);

  return g_strdup_printf ("%s %s", choice->dtype, group);
}

static void
choose_axis (QsChartPainter *self)
{
  double min_positive = INFINITY;
  double max_positive = 0;
  double max_value = 0;
  gboolean has_inf = FALSE;

  for (guint i = 0; i < self->bars->len; i++)
    {
      const QsChartBar *bar = &g_array_index (self->bars, QsChartBar, i);
      double value = bar->nmse;

      if (isnan (value))
        continue;
      if (isinf (value))
        {
          has_inf = TRUE;
          value = self->inf_position;
        }
      max_value = MAX (max_value, value);
      if (value > 0)
        {
          min_positive = MIN (min_positive, value);
          max_positive = MAX (max_positive, value);
        }
    }

  /* INF bars count at the position they are drawn at, so one INF layer
   * among tiny values still gets an axis that shows the tiny ones. */
  self->log_scale = max_positive > 0 && max_positive > LOG_SCALE_SPAN * min_positive;

  if (self->log_scale)
    {
      double low = MIN (min_positive, self->promote_threshold);
      double high = MAX (max_positive, self->skip_threshold);

      if (has_inf)
        high = MAX (high, self->inf_position);

      /* Whole decades, with room so the shortest bar is never empty and
       * the longest keeps a margin. */
      self->domain_min = pow (10, floor (log10 (low / 1.5)));
      self->domain_max = pow (10, ceil (log10 (high * 1.2)));
    }
  else
    {
      double high = MAX (max_value, self->skip_threshold);

      if (has_inf)
        high = MAX (high, self->inf_position);

      self->domain_min = 0;
      self->domain_max = high * 1.08;
    }

  if (!(self->domain_max > self->domain_min))
    self->domain_max = self->domain_min > 0 ? self->domain_min * 10 : 1;
}

QsChartPainter *
qs_chart_painter_new (const QsSummary *summary)
{
  QsChartPainter *self;

  g_return_val_if_fail (summary != NULL, NULL);

  self = g_new0 (QsChartPainter, 1);
  self->bars = g_array_new (FALSE, TRUE, sizeof (QsChartBar));
  g_array_set_clear_func (self->bars, (GDestroyNotify) chart_bar_clear);
  self->skip_threshold = summary->skip_threshold > 0 ? summary->skip_threshold : QS_DEFAULT_SKIP_THRESHOLD;
  self->promote_threshold = summary->promote_threshold > 0
                            ? summary->promote_threshold : QS_DEFAULT_PROMOTE_THRESHOLD;
  self->inf_position = 2 * self->skip_threshold;
  self->font_size = 12;
  self->auto_config = summary->has_auto_config;

  for (guint i = 0; summary->top != NULL && i < summary->top->len; i++)
    {
      const QsLayerSummary *layer = g_ptr_array_index (summary->top, i);
      QsChartBar bar = { 0 };

      bar.component = g_strdup (layer->layer->component);
      bar.name = g_strdup (layer->layer->name);
      if (summary->n_components > 1 && layer->layer->component != NULL)
        bar.label = g_strdup_printf ("%s/%s", layer->layer->component, layer->layer->name);
      else
        bar.label = g_strdup (layer->layer->name);

      if (summary->has_auto_config)
        {
          bar.nmse = layer->auto_choice.nmse;
          bar.detail = format_auto_choice (&layer->auto_choice);
        }
      else
        {
          bar.nmse = layer->primary_nmse;
          bar.detail = qs_layer_summary_format_verdict (layer);
        }
      bar.severity = qs_severity_for_nmse (bar.nmse, self->skip_threshold, self->promote_threshold);
      bar.value_text = qs_format_nmse (bar.nmse);

      g_array_append_val (self->bars, bar);
    }

  choose_axis (self);

  return self;
}

void
qs_chart_painter_free (QsChartPainter *self)
{
  if (self == NULL)
    return;

  g_array_unref (self->bars);
  g_free (self);
}

guint
qs_chart_painter_get_n_bars (QsChartPainter *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->bars->len;
}

const QsChartBar *
qs_chart_painter_get_bar (QsChartPainter *self,
                          guint           index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->bars->len, NULL);

  return &g_array_index (self->bars, QsChartBar, index);
}

gboolean
qs_chart_painter_get_log_scale (QsChartPainter *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->log_scale;
}

double
qs_chart_painter_get_skip_threshold (QsChartPainter *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->skip_threshold;
}

double
qs_chart_painter_get_promote_threshold (QsChartPainter *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->promote_threshold;
}

void
qs_chart_painter_set_font_size (QsChartPainter *self,
                                double          size)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (size > 0);

  self->font_size = size;
}

double
qs_chart_painter_get_font_size (QsChartPainter *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->font_size;
}

double
qs_chart_painter_get_preferred_height (QsChartPainter *self,
                                       guint           n_bars)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->font_size * (TOP_MARGIN_EM + MAX (n_bars, 1) * ROW_EM + BOTTOM_MARGIN_EM);
}

static void
compute_geometry (QsChartPainter *self,
                  double          width,
                  double          height,
                  guint           n_bars,
                  Geometry       *geometry)
{
  double em = self->font_size;
  double label_width = CLAMP (width * 0.3, em * 8, em * 26);

  geometry->label_x0 = em * 0.8;
  geometry->label_x1 = geometry->label_x0 + label_width;
  geometry->plot_x0 = geometry->label_x1 + em * 0.75;
  geometry->plot_x1 = MAX (width - em * RIGHT_MARGIN_EM, geometry->plot_x0 + em);
  geometry->plot_y0 = em * TOP_MARGIN_EM;
  geometry->plot_y1 = MAX (height - em * BOTTOM_MARGIN_EM, geometry->plot_y0 + 1);
  geometry->row_height = n_bars > 0 ? (geometry->plot_y1 - geometry->plot_y0) / n_bars : 0;
  geometry->bar_height = MIN (geometry->row_height * 0.72, em * BAR_MAX_EM);
}

static double
value_to_fraction (QsChartPainter *self,
                   double          value)
{
  double fraction;

  if (isnan (value))
    return 0;
  if (isinf (value))
    value = self->inf_position;

  if (self->log_scale)
    {
      if (value <= self->domain_min)
        return 0;
      fraction = (log10 (value) - log10 (self->domain_min))
                 / (log10 (self->domain_max) - log10 (self->domain_min));
    }
  else
    {
      fraction = value / self->domain_max;
    }

  return CLAMP (fraction, 0, 1);
}

double
qs_chart_painter_value_to_x (QsChartPainter *self,
                             double          width,
                             double          nmse)
{
  Geometry geometry;

  g_return_val_if_fail (self != NULL, 0);

  compute_geometry (self, width, 100, 1, &geometry);

  return geometry.plot_x0 + value_to_fraction (self, nmse) * (geometry.plot_x1 - geometry.plot_x0);
}

int
qs_chart_painter_hit_test (QsChartPainter *self,
                           double          width,
                           double          height,
                           double          x,
                           double          y)
{
  Geometry geometry;
  int row;

  g_return_val_if_fail (self != NULL, -1);

  if (self->bars->len == 0)
    return -1;

  compute_geometry (self, width, height, self->bars->len, &geometry);
  if (x < geometry.label_x0 || x > width || y < geometry.plot_y0 || y >= geometry.plot_y1)
    return -1;

  row = (int) floor ((y - geometry.plot_y0) / geometry.row_height);
  if (row < 0 || (guint) row >= self->bars->len)
    return -1;

  return row;
}

static void
draw_text (cairo_t     *cr,
           PangoLayout *layout,
           double       x,
           double       y)
{
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

static char *
format_tick (double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (value == 0)
    return g_strdup ("0");

  g_ascii_formatd (buffer, sizeof buffer, "%.3g", value);

  return g_strdup (buffer);
}

static char *
format_decade (int exponent)
{
  if (exponent == 0)
    return g_strdup ("1");
  if (exponent == 1)
    return g_strdup ("10");

  return g_strdup_printf ("1e%d", exponent);
}

/* Draws one vertical grid line with its label under the plot. */
static void
draw_tick (QsChartPainter        *self,
           cairo_t               *cr,
           PangoContext          *context,
           const QsReportPalette *palette,
           const Geometry        *geometry,
           double                 fraction,
           const char            *label)
{
  double x = geometry->plot_x0 + fraction * (geometry->plot_x1 - geometry->plot_x0);
  g_autoptr(PangoLayout) layout = NULL;
  double text_width;

  _qs_report_set_source_rgb (cr, palette->grid);
  cairo_set_line_width (cr, MAX (1, self->font_size / 12));
  cairo_move_to (cr, x, geometry->plot_y0);
  cairo_line_to (cr, x, geometry->plot_y1 + self->font_size * 0.3);
  cairo_stroke (cr);

  layout = _qs_report_create_layout (context, QS_REPORT_FONT_SANS, self->font_size * 0.85,
                                     PANGO_WEIGHT_NORMAL, label);
  _qs_report_layout_get_size (layout, &text_width, NULL);
  _qs_report_set_source_rgb (cr, palette->muted);
  draw_text (cr, layout, x - text_width / 2, geometry->plot_y1 + self->font_size * 0.4);
}

static void
draw_axis (QsChartPainter        *self,
           cairo_t               *cr,
           PangoContext          *context,
           const QsReportPalette *palette,
           const Geometry        *geometry)
{
  g_autoptr(PangoLayout) title = NULL;
  const char *title_text;
  double title_width;

  if (self->log_scale)
    {
      int first = (int) lround (log10 (self->domain_min));
      int last = (int) lround (log10 (self->domain_max));
      int n_decades = MAX (last - first, 1);
      double max_labels = MAX ((geometry->plot_x1 - geometry->plot_x0) / (self->font_size * 3.5), 2);
      int every = (int) ceil (n_decades / max_labels);

      for (int exponent = first; exponent <= last; exponent++)
        {
          g_autofree char *label = NULL;

          if ((exponent - first) % MAX (every, 1) != 0)
            continue;
          label = format_decade (exponent);
          draw_tick (self, cr, context, palette, geometry,
                     (double) (exponent - first) / n_decades, label);
        }
    }
  else
    {
      double raw_step = self->domain_max / 5;
      double magnitude = pow (10, floor (log10 (raw_step)));
      double step = magnitude * 10;
      const double factors[] = { 1, 2, 2.5, 5, 10 };

      for (guint i = 0; i < G_N_ELEMENTS (factors); i++)
        {
          if (factors[i] * magnitude >= raw_step)
            {
              step = factors[i] * magnitude;
              break;
            }
        }

      for (guint k = 0; k * step <= self->domain_max * (1 + 1e-9); k++)
        {
          g_autofree char *label = format_tick (k * step);

          draw_tick (self, cr, context, palette, geometry, k * step / self->domain_max, label);
        }
    }

  _qs_report_set_source_rgb (cr, palette->border);
  cairo_set_line_width (cr, MAX (1, self->font_size / 10));
  cairo_move_to (cr, geometry->plot_x0, geometry->plot_y1);
  cairo_line_to (cr, geometry->plot_x1, geometry->plot_y1);
  cairo_stroke (cr);

  if (self->auto_config)
    title_text = self->log_scale ? _("Recommended format's NMSE (log scale)") : _("Recommended format's NMSE");
  else
    title_text = self->log_scale ? "NMSE (log scale)" : "NMSE";

  title = _qs_report_create_layout (context, QS_REPORT_FONT_SANS, self->font_size * 0.9,
                                    PANGO_WEIGHT_NORMAL, title_text);
  _qs_report_layout_get_size (title, &title_width, NULL);
  _qs_report_set_source_rgb (cr, palette->muted);
  draw_text (cr, title,
             (geometry->plot_x0 + geometry->plot_x1 - title_width) / 2,
             geometry->plot_y1 + self->font_size * 1.9);
}

static double
bar_end_x (QsChartPainter   *self,
           const Geometry   *geometry,
           const QsChartBar *bar)
{
  double x1;

  if (isnan (bar->nmse))
    return geometry->plot_x0;

  x1 = geometry->plot_x0 + value_to_fraction (self, bar->nmse) * (geometry->plot_x1 - geometry->plot_x0);

  /* A bar never disappears: a value at the start of the axis (zero, or
   * far under the smallest decade) still shows a sliver. */
  return MAX (x1, geometry->plot_x0 + MAX (1.5, self->font_size / 8));
}

static void
draw_bar (QsChartPainter   *self,
          cairo_t          *cr,
          const Geometry   *geometry,
          const QsChartBar *bar,
          guint             row)
{
  double center = geometry->plot_y0 + (row + 0.5) * geometry->row_height;

  if (isnan (bar->nmse))
    return;

  _qs_report_set_source_rgb (cr, qs_severity_get_rgb (bar->severity));
  cairo_rectangle (cr, geometry->plot_x0, center - geometry->bar_height / 2,
                   bar_end_x (self, geometry, bar) - geometry->plot_x0, geometry->bar_height);
  cairo_fill (cr);
}

/* Draws the layer name left of the bar and the value after its end, on a
 * patch of background so a threshold line behind it does not cross it. */
static void
draw_bar_text (QsChartPainter        *self,
               cairo_t               *cr,
               PangoContext          *context,
               const QsReportPalette *palette,
               const Geometry        *geometry,
               const QsChartBar      *bar,
               guint                 row)
{
  double center = geometry->plot_y0 + (row + 0.5) * geometry->row_height;
  double label_size = MIN (self->font_size, geometry->row_height * 0.8);
  gboolean is_inf = isinf (bar->nmse);
  g_autoptr(PangoLayout) label = NULL;
  g_autoptr(PangoLayout) value = NULL;
  double text_width;
  double text_height;
  double value_x;

  label = _qs_report_create_layout (context, QS_REPORT_FONT_SANS, label_size,
                                    PANGO_WEIGHT_NORMAL, bar->label);
  pango_layout_set_width (label, (int) ((geometry->label_x1 - geometry->label_x0) * PANGO_SCALE));
  pango_layout_set_ellipsize (label, PANGO_ELLIPSIZE_MIDDLE);
  pango_layout_set_alignment (label, PANGO_ALIGN_RIGHT);
  _qs_report_layout_get_size (label, NULL, &text_height);
  _qs_report_set_source_rgb (cr, palette->text);
  draw_text (cr, label, geometry->label_x0, center - text_height / 2);

  value = _qs_report_create_layout (context, is_inf ? QS_REPORT_FONT_SANS : QS_REPORT_FONT_MONO,
                                    label_size * 0.85,
                                    is_inf ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL,
                                    bar->value_text);
  _qs_report_layout_get_size (value, &text_width, &text_height);
  value_x = bar_end_x (self, geometry, bar) + self->font_size * 0.35;

  _qs_report_set_source_rgb (cr, palette->background);
  cairo_rectangle (cr, value_x - self->font_size * 0.15, center - text_height / 2,
                   text_width + self->font_size * 0.3, text_height);
  cairo_fill (cr);

  _qs_report_set_source_rgb (cr, is_inf ? qs_severity_get_rgb (QS_SEVERITY_SEVERE) : palette->muted);
  draw_text (cr, value, value_x, center - text_height / 2);
}

static void
draw_threshold (QsChartPainter        *self,
                cairo_t               *cr,
                PangoContext          *context,
                const Geometry        *geometry,
                double                 threshold,
                QsSeverity             severity,
                const char            *name,
                gboolean               label_on_left)
{
  double x = geometry->plot_x0 + value_to_fraction (self, threshold)
                                 * (geometry->plot_x1 - geometry->plot_x0);
  const double dashes[] = { self->font_size * 0.5, self->font_size * 0.35 };
  g_autofree char *number = format_tick (threshold);
  g_autofree char *text = g_strdup_printf ("%s %s", name, number);
  g_autoptr(PangoLayout) layout = NULL;
  double text_width;
  double text_height;
  double text_x;

  cairo_save (cr);
  _qs_report_set_source_rgb (cr, qs_severity_get_rgb (severity));
  cairo_set_line_width (cr, MAX (1, self->font_size / 6));
  cairo_set_dash (cr, dashes, G_N_ELEMENTS (dashes), 0);
  cairo_move_to (cr, x, geometry->plot_y0 - self->font_size * 0.3);
  cairo_line_to (cr, x, geometry->plot_y1);
  cairo_stroke (cr);
  cairo_restore (cr);

  layout = _qs_report_create_layout (context, QS_REPORT_FONT_SANS, self->font_size * 0.85,
                                     PANGO_WEIGHT_BOLD, text);
  _qs_report_layout_get_size (layout, &text_width, &text_height);
  text_x = label_on_left ? x - text_width - self->font_size * 0.3 : x + self->font_size * 0.3;
  text_x = MAX (text_x, 0);
  _qs_report_set_source_rgb (cr, qs_severity_get_rgb (severity));
  draw_text (cr, layout, text_x, geometry->plot_y0 - self->font_size * 0.45 - text_height);
}

void
qs_chart_painter_draw_range (QsChartPainter *self,
                             cairo_t        *cr,
                             double          width,
                             double          height,
                             QsReportTheme   theme,
                             PangoContext   *context,
                             guint           first,
                             guint           n_bars)
{
  const QsReportPalette *palette;
  PangoContext *own_context = NULL;
  Geometry geometry;

  g_return_if_fail (self != NULL);
  g_return_if_fail (cr != NULL);
  g_return_if_fail (context == NULL || PANGO_IS_CONTEXT (context));

  palette = qs_report_theme_get_palette (theme);
  if (context == NULL)
    context = own_context = pango_cairo_create_context (cr);

  first = MIN (first, self->bars->len);
  n_bars = MIN (n_bars, self->bars->len - first);

  cairo_save (cr);
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_clip (cr);
  _qs_report_set_source_rgb (cr, palette->background);
  cairo_paint (cr);

  compute_geometry (self, width, height, n_bars, &geometry);

  if (n_bars == 0)
    {
      g_autoptr(PangoLayout) layout = NULL;
      double text_width, text_height;

      layout = _qs_report_create_layout (context, QS_REPORT_FONT_SANS, self->font_size,
                                         PANGO_WEIGHT_NORMAL, _("No analysed layers to chart"));
      _qs_report_layout_get_size (layout, &text_width, &text_height);
      _qs_report_set_source_rgb (cr, palette->muted);
      draw_text (cr, layout, (width - text_width) / 2, (height - text_height) / 2);
      cairo_restore (cr);
      g_clear_object (&own_context);
      return;
    }

  draw_axis (self, cr, context, palette, &geometry);

  for (guint i = 0; i < n_bars; i++)
    draw_bar (self, cr, &geometry, &g_array_index (self->bars, QsChartBar, first + i), i);

  /* The reference lines go over the bars, so a bar that crosses one
   * still shows where the threshold is. */
  draw_threshold (self, cr, context, &geometry, self->promote_threshold,
                  QS_SEVERITY_LOW, "promote", TRUE);
  draw_threshold (self, cr, context, &geometry, self->skip_threshold,
                  QS_SEVERITY_SEVERE, "skip", FALSE);

  for (guint i = 0; i < n_bars; i++)
    draw_bar_text (self, cr, context, palette, &geometry,
                   &g_array_index (self->bars, QsChartBar, first + i), i);

  cairo_restore (cr);
  g_clear_object (&own_context);
}

void
qs_chart_painter_draw (QsChartPainter *self,
                       cairo_t        *cr,
                       double          width,
                       double          height,
                       QsReportTheme   theme,
                       PangoContext   *context)
{
  g_return_if_fail (self != NULL);

  qs_chart_painter_draw_range (self, cr, width, height, theme, context, 0, self->bars->len);
}

static cairo_status_t
append_to_byte_array (void                *closure,
                      const unsigned char *data,
                      unsigned int         length)
{
  g_byte_array_append (closure, data, length);

  return CAIRO_STATUS_SUCCESS;
}

GBytes *
qs_chart_painter_write_png (QsChartPainter  *self,
                            double           width,
                            double           height,
                            double           scale,
                            QsReportTheme    theme,
                            GError         **error)
{
  g_autoptr(GByteArray) png = NULL;
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;
  int pixel_width;
  int pixel_height;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (width > 0 && height > 0 && scale > 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  pixel_width = (int) ceil (width * scale);
  pixel_height = (int) ceil (height * scale);
  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, pixel_width, pixel_height);
  cr = cairo_create (surface);
  cairo_scale (cr, scale, scale);
  qs_chart_painter_draw (self, cr, width, height, theme, NULL);
  cairo_destroy (cr);

  png = g_byte_array_new ();
  status = cairo_surface_status (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_write_to_png_stream (surface, append_to_byte_array, png);
  cairo_surface_destroy (surface);

  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Could not draw the chart as a %d × %d PNG: %s"),
                   pixel_width, pixel_height, cairo_status_to_string (status));
      return NULL;
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&png));
}
