/* test-report-chart.c: the bar chart painter, checked pixel by pixel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <cairo-pdf.h>

#include "qs-chart-painter.h"
#include "report-test-utils.h"

#define CHART_WIDTH 800
#define COLOR_TOLERANCE 6

typedef struct
{
  int    y0;
  int    y1;
  char  *hex;
} Run;

static QsSummary *
summary_for_values (QsAnalysisResult *result,
                    const double     *primary,
                    guint             n_values)
{
  for (guint i = 0; i < n_values; i++)
    {
      g_autofree char *name = g_strdup_printf ("blocks.%u.attn.to_q.weight", i);
      /* Later dtypes pass, so only the primary value drives the chart. */
      const double values[] = { primary[i], 1e-4, 1e-5, 1e-5 };

      report_test_add_layer (result, "transformer", name, 64, 64, values);
    }

  return qs_summary_new (result, 0.1, 0.01, n_values);
}

static cairo_surface_t *
paint (QsChartPainter *painter,
       double          width,
       double          height,
       QsReportTheme   theme)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, (int) width, (int) height);
  cairo_t *cr = cairo_create (surface);

  qs_chart_painter_draw (painter, cr, width, height, theme, NULL);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);

  return surface;
}

static void
save_png (cairo_surface_t *surface,
          const char      *name)
{
  const char *dir = g_getenv ("QS_TEST_OUTPUT_DIR");
  g_autofree char *path = NULL;

  if (dir == NULL || *dir == '\0')
    return;

  g_mkdir_with_parents (dir, 0755);
  path = g_build_filename (dir, name, NULL);
  g_assert_cmpint (cairo_surface_write_to_png (surface, path), ==, CAIRO_STATUS_SUCCESS);
}

static const char * const scale_hex[] = { "#2d6a4f", "#40916c", "#b8860b", "#e76f51", "#d62828" };

static const char *
match_scale_color (guint32 pixel)
{
  for (guint i = 0; i < G_N_ELEMENTS (scale_hex); i++)
    {
      if (report_test_pixel_is (pixel, scale_hex[i], COLOR_TOLERANCE))
        return scale_hex[i];
    }

  return NULL;
}

static void
run_free (Run *run)
{
  g_free (run->hex);
  g_free (run);
}

/* Scans column @x downwards and returns the runs of scale colours that are
 * at least @min_length pixels tall: the bars crossing that column. */
static GPtrArray *
find_bar_runs (cairo_surface_t *surface,
               int              x,
               int              min_length)
{
  GPtrArray *runs = g_ptr_array_new_with_free_func ((GDestroyNotify) run_free);
  int height = cairo_image_surface_get_height (surface);
  const char *current = NULL;
  int start = 0;

  for (int y = 0; y <= height; y++)
    {
      const char *hex = y < height ? match_scale_color (report_test_get_pixel (surface, x, y)) : NULL;

      if (hex == current)
        continue;
      if (current != NULL && y - start >= min_length)
        {
          Run *run = g_new0 (Run, 1);

          run->y0 = start;
          run->y1 = y;
          run->hex = g_strdup (current);
          g_ptr_array_add (runs, run);
        }
      current = hex;
      start = y;
    }

  return runs;
}

/* Returns the first x, from @x0 rightwards on row @y, whose pixel is no
 * longer @hex: where a bar ends. */
static int
find_bar_end (cairo_surface_t *surface,
              int              x0,
              int              y,
              const char      *hex)
{
  int width = cairo_image_surface_get_width (surface);
  int x = x0;

  while (x < width && report_test_pixel_is (report_test_get_pixel (surface, x, y), hex, COLOR_TOLERANCE))
    x++;

  return x;
}

static void
test_severity_scale (void)
{
  g_assert_cmpint (qs_severity_for_nmse (0.0, 0.1, 0.01), ==, QS_SEVERITY_NEGLIGIBLE);
  g_assert_cmpint (qs_severity_for_nmse (0.001, 0.1, 0.01), ==, QS_SEVERITY_NEGLIGIBLE);
  g_assert_cmpint (qs_severity_for_nmse (0.0011, 0.1, 0.01), ==, QS_SEVERITY_LOW);
  g_assert_cmpint (qs_severity_for_nmse (0.01, 0.1, 0.01), ==, QS_SEVERITY_LOW);
  g_assert_cmpint (qs_severity_for_nmse (0.011, 0.1, 0.01), ==, QS_SEVERITY_MODERATE);
  g_assert_cmpint (qs_severity_for_nmse (0.05, 0.1, 0.01), ==, QS_SEVERITY_MODERATE);
  g_assert_cmpint (qs_severity_for_nmse (0.051, 0.1, 0.01), ==, QS_SEVERITY_HIGH);
  g_assert_cmpint (qs_severity_for_nmse (0.1, 0.1, 0.01), ==, QS_SEVERITY_HIGH);
  g_assert_cmpint (qs_severity_for_nmse (0.11, 0.1, 0.01), ==, QS_SEVERITY_SEVERE);
  g_assert_cmpint (qs_severity_for_nmse (INFINITY, 0.1, 0.01), ==, QS_SEVERITY_SEVERE);
  g_assert_cmpint (qs_severity_for_nmse (NAN, 0.1, 0.01), ==, QS_SEVERITY_UNKNOWN);

  for (QsSeverity severity = 0; severity < QS_SEVERITY_UNKNOWN; severity++)
    g_assert_cmpstr (qs_severity_get_hex (severity), ==, scale_hex[severity]);

  g_assert_cmpstr (qs_verdict_get_hex (QS_VERDICT_OK), ==, "#40916c");
  g_assert_cmpstr (qs_verdict_get_hex (QS_VERDICT_PROMOTE), ==, "#b8860b");
  g_assert_cmpstr (qs_verdict_get_hex (QS_VERDICT_SKIP), ==, "#d62828");
}

static void
test_bar_colors (void)
{
  g_autoptr(QsAnalysisResult) result = report_test_default_result_new ();
  /* One value on each step of the scale, worst first as the chart sorts. */
  const double values[] = { 0.3, 0.09, 0.04, 0.008, 0.0008 };
  g_autoptr(QsSummary) summary = summary_for_values (result, values, G_N_ELEMENTS (values));
  g_autoptr(QsChartPainter) painter = qs_chart_painter_new (summary);
  g_autoptr(GPtrArray) runs = NULL;
  double height = qs_chart_painter_get_preferred_height (painter, 5);
  cairo_surface_t *surface;
  int x;

  g_assert_cmpuint (qs_chart_painter_get_n_bars (painter), ==, 5);
  surface = paint (painter, CHART_WIDTH, height, QS_REPORT_THEME_DARK);
  save_png (surface, "chart-colors-dark.png");

  /* Every bar starts at the axis origin, so a column just right of it
   * crosses all five. */
  x = (int) qs_chart_painter_value_to_x (painter, CHART_WIDTH, NAN) + 1;
  runs = find_bar_runs (surface, x, 5);
  g_assert_cmpuint (runs->len, ==, 5);

  for (guint i = 0; i < runs->len; i++)
    {
      const Run *run = g_ptr_array_index (runs, i);
      int center = (run->y0 + run->y1) / 2;

      g_assert_cmpstr (run->hex, ==, scale_hex[G_N_ELEMENTS (scale_hex) - 1 - i]);
      g_assert_cmpint (qs_chart_painter_hit_test (painter, CHART_WIDTH, height, x, center), ==, (int) i);
      g_assert_cmpint (qs_chart_painter_get_bar (painter, i)->severity, ==, QS_SEVERITY_SEVERE - i);
    }

  cairo_surface_destroy (surface);
}

/* Counts the pixels of column @x, between @y0 and @y1, that are within the
 * tolerance of @hex, and the switches between them and other pixels. */
static void
scan_dashes (cairo_surface_t *surface,
             int              x,
             int              y0,
             int              y1,
             const char      *hex,
             int             *n_on,
             int             *n_switches)
{
  gboolean previous = FALSE;

  *n_on = 0;
  *n_switches = 0;
  for (int y = y0; y < y1; y++)
    {
      gboolean on = report_test_pixel_is (report_test_get_pixel (surface, x, y), hex, 10);

      *n_on += on;
      if (y > y0 && on != previous)
        (*n_switches)++;
      previous = on;
    }
}

static void
test_threshold_lines (void)
{
  g_autoptr(QsAnalysisResult) result = report_test_default_result_new ();
  /* All under half the skip threshold, so no bar reaches the skip line
   * and no bar has either line's colour. */
  const double values[] = { 0.04, 0.03, 0.02, 0.015, 0.0005 };
  g_autoptr(QsSummary) summary = summary_for_values (result, values, G_N_ELEMENTS (values));
  g_autoptr(QsChartPainter) painter = qs_chart_painter_new (summary);
  double height = qs_chart_painter_get_preferred_height (painter, 5);
  cairo_surface_t *surface = NULL;
  int skip_x = (int) round (qs_chart_painter_value_to_x (painter, CHART_WIDTH, 0.1));
  int promote_x = (int) round (qs_chart_painter_value_to_x (painter, CHART_WIDTH, 0.01));
  int top = (int) (12 * 2.2);
  int bottom = (int) (height - 12 * 3.6);
  int n_on = 0;
  int n_switches = 0;
  gboolean found = FALSE;

  g_assert_cmpint (skip_x, >, promote_x);

  for (guint t = 0; t < 2; t++)
    {
      QsReportTheme theme = t == 0 ? QS_REPORT_THEME_DARK : QS_REPORT_THEME_LIGHT;

      surface = paint (painter, CHART_WIDTH, height, theme);
      save_png (surface, t == 0 ? "chart-thresholds-dark.png" : "chart-thresholds-light.png");

      /* The line is about two pixels wide around its x; test the column
       * with the most line pixels. */
      found = FALSE;
      for (int dx = -1; dx <= 1 && !found; dx++)
        {
          scan_dashes (surface, skip_x + dx, top, bottom, "#d62828", &n_on, &n_switches);
          found = n_on > (bottom - top) / 3 && n_switches >= 10;
        }
      g_assert_true (found);
      /* Dashed, not solid: a good share of the column is gaps. */
      g_assert_cmpint (n_on, <, (bottom - top) * 9 / 10);

      found = FALSE;
      for (int dx = -1; dx <= 1 && !found; dx++)
        {
          scan_dashes (surface, promote_x + dx, top, bottom, "#40916c", &n_on, &n_switches);
          found = n_on > (bottom - top) / 4 && n_switches >= 10;
        }
      g_assert_true (found);

      cairo_surface_destroy (surface);
    }
}

/* Measures a bar from @x0 to its rightmost pixel of the bar's colour.
 * Searching from the right skips the dashed threshold lines drawn over
 * the bar. */
static int
bar_length (cairo_surface_t *surface,
            const Run       *run,
            int              x0)
{
  int y = (run->y0 + run->y1) / 2;
  int x = cairo_image_surface_get_width (surface) - 1;

  while (x > x0 && !report_test_pixel_is (report_test_get_pixel (surface, x, y), run->hex,
                                          COLOR_TOLERANCE))
    x--;

  return x + 1 - x0;
}

static void
test_log_axis (void)
{
  g_autoptr(QsAnalysisResult) result = report_test_default_result_new ();
  /* Four decades: on a logarithmic axis the bars grow by equal steps. */
  const double values[] = { 0.09, 0.009, 0.0009, 0.00009 };
  g_autoptr(QsSummary) summary = summary_for_values (result, values, G_N_ELEMENTS (values));
  g_autoptr(QsChartPainter) painter = qs_chart_painter_new (summary);
  g_autoptr(GPtrArray) runs = NULL;
  double height = qs_chart_painter_get_preferred_height (painter, 4);
  cairo_surface_t *surface;
  int x0;
  int lengths[4];

  g_assert_true (qs_chart_painter_get_log_scale (painter));
  surface = paint (painter, CHART_WIDTH, height, QS_REPORT_THEME_LIGHT);
  save_png (surface, "chart-log-light.png");

  x0 = (int) ceil (qs_chart_painter_value_to_x (painter, CHART_WIDTH, NAN)) + 1;
  runs = find_bar_runs (surface, x0, 5);
  g_assert_cmpuint (runs->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    lengths[i] = bar_length (surface, g_ptr_array_index (runs, i), x0);

  /* Equal ratios give equal steps, within two pixels of anti-aliasing. */
  g_assert_cmpint (lengths[0], >, lengths[1]);
  g_assert_cmpint (ABS ((lengths[0] - lengths[1]) - (lengths[1] - lengths[2])), <=, 2);
  g_assert_cmpint (ABS ((lengths[1] - lengths[2]) - (lengths[2] - lengths[3])), <=, 2);
  g_assert_cmpint (lengths[3], >, 5);

  cairo_surface_destroy (surface);
}

static void
test_linear_axis (void)
{
  g_autoptr(QsAnalysisResult) result = report_test_default_result_new ();
  /* A span of 50×: under the 100× switch, so lengths follow the values. */
  const double values[] = { 0.08, 0.04, 0.02, 0.0016 };
  g_autoptr(QsSummary) summary = summary_for_values (result, values, G_N_ELEMENTS (values));
  g_autoptr(QsChartPainter) painter = qs_chart_painter_new (summary);
  g_autoptr(GPtrArray) runs = NULL;
  double height = qs_chart_painter_get_preferred_height (painter, 4);
  cairo_surface_t *surface;
  int x0;
  int lengths[3];

  g_assert_false (qs_chart_painter_get_log_scale (painter));
  surface = paint (painter, CHART_WIDTH, height, QS_REPORT_THEME_DARK);
  save_png (surface, "chart-linear-dark.png");

  x0 = (int) ceil (qs_chart_painter_value_to_x (painter, CHART_WIDTH, 0)) + 1;
  runs = find_bar_runs (surface, x0, 5);
  g_assert_cmpuint (runs->len, ==, 4);
  for (guint i = 0; i < 3; i++)
    lengths[i] = bar_length (surface, g_ptr_array_index (runs, i), x0) + 1;


  g_assert_cmpfloat (fabs ((double) lengths[0] / lengths[1] - 2.0), <, 0.05);
  g_assert_cmpfloat (fabs ((double) lengths[1] / lengths[2] - 2.0), <, 0.1);

  cairo_surface_destroy (surface);
}

static void
test_log_switch_boundary (void)
{
  g_autoptr(QsAnalysisResult) narrow_result = report_test_default_result_new ();
  g_autoptr(QsAnalysisResult) wide_result = report_test_default_result_new ();
  const double narrow[] = { 0.05, 0.0005 };
  const double wide[] = { 0.05, 0.00049 };
  g_autoptr(QsSummary) narrow_summary = summary_for_values (narrow_result, narrow, 2);
  g_autoptr(QsSummary) wide_summary = summary_for_values (wide_result, wide, 2);
  g_autoptr(QsChartPainter) narrow_painter = qs_chart_painter_new (narrow_summary);
  g_autoptr(QsChartPainter) wide_painter = qs_chart_painter_new (wide_summary);

  /* Exactly 100× stays linear; a little more switches to log. */
  g_assert_false (qs_chart_painter_get_log_scale (narrow_painter));
  g_assert_true (qs_chart_painter_get_log_scale (wide_painter));
}

static char *
chart_pdf_text (QsChartPainter *painter,
                double          width,
                double          height,
                const char     *name)
{
  g_autofree char *dir = report_test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "chart.pdf", NULL);
  const char *argv[] = { "-raw", path, "-", NULL };
  cairo_surface_t *surface = cairo_pdf_surface_create (path, width, height);
  cairo_t *cr = cairo_create (surface);
  char *text = NULL;

  qs_chart_painter_set_font_size (painter, 8);
  qs_chart_painter_draw (painter, cr, width, height, QS_REPORT_THEME_LIGHT, NULL);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (surface);
  report_test_save_output (path, name);

  if (!report_test_run_tool ("QS_TEST_PDFTOTEXT", argv, &text, NULL))
    text = NULL;

  report_test_remove_tree (dir);

  return text;
}

static void
test_inf_bar (void)
{
  g_autoptr(QsAnalysisResult) result = report_test_default_result_new ();
  const double values[] = { INFINITY, 0.02, 0.004 };
  g_autoptr(QsSummary) summary = summary_for_values (result, values, G_N_ELEMENTS (values));
  g_autoptr(QsChartPainter) painter = qs_chart_painter_new (summary);
  g_autoptr(GPtrArray) runs = NULL;
  g_autofree char *text = NULL;
  double height = qs_chart_painter_get_preferred_height (painter, 3);
  const QsChartBar *bar;
  cairo_surface_t *surface;
  const Run *run;
  int x0;
  int end;
  double expected;

  bar = qs_chart_painter_get_bar (painter, 0);
  g_assert_true (isinf (bar->nmse));
  g_assert_cmpstr (bar->value_text, ==, "INF");
  g_assert_cmpint (bar->severity, ==, QS_SEVERITY_SEVERE);
  g_assert_cmpfloat (qs_chart_painter_value_to_x (painter, CHART_WIDTH, INFINITY), ==,
                     qs_chart_painter_value_to_x (painter, CHART_WIDTH, 0.2));

  surface = paint (painter, CHART_WIDTH, height, QS_REPORT_THEME_DARK);
  save_png (surface, "chart-inf-dark.png");

  x0 = (int) ceil (qs_chart_painter_value_to_x (painter, CHART_WIDTH, NAN)) + 1;
  runs = find_bar_runs (surface, x0, 5);
  g_assert_cmpuint (runs->len, ==, 3);
  run = g_ptr_array_index (runs, 0);
  g_assert_cmpstr (run->hex, ==, "#d62828");

  /* The INF bar ends at twice the skip threshold. The skip line crosses
   * it in the same red, so the scan starts past the line. */
  expected = qs_chart_painter_value_to_x (painter, CHART_WIDTH, 0.2);
  end = find_bar_end (surface, (int) qs_chart_painter_value_to_x (painter, CHART_WIDTH, 0.1) + 4,
                      (run->y0 + run->y1) / 2, run->hex);
  g_assert_cmpfloat (fabs (end - expected), <=, 2);
  cairo_surface_destroy (surface);

  text = chart_pdf_text (painter, 500, qs_chart_painter_get_preferred_height (painter, 3),
                         "chart-inf.pdf");
  if (text == NULL)
    return;
  g_assert_nonnull (strstr (text, "INF"));
  g_assert_nonnull (strstr (text, "skip 0.1"));
  g_assert_nonnull (strstr (text, "promote 0.01"));
  g_assert_nonnull (strstr (text, "blocks.0.attn.to_q.weight"));
}

static void
test_long_names_elided (void)
{
  g_autoptr(QsAnalysisResult) result = report_test_default_result_new ();
  g_autoptr(QsSummary) summary = NULL;
  g_autoptr(QsChartPainter) painter = NULL;
  const char *name = "transformer_blocks.27.attention.processor.very_long_module_name"
                     ".with_many_parts.to_out.0.linear_projection_end.weight";
  const double values[] = { 0.02, 1e-4, 1e-5, 1e-5 };
  cairo_surface_t *surface;
  double height;
  int plot_x0;
  int min_x = G_MAXINT, max_x = -1, min_y = G_MAXINT, max_y = -1;

  report_test_add_layer (result, "transformer", name, 64, 64, values);
  summary = qs_summary_new (result, 0.1, 0.01, 10);
  painter = qs_chart_painter_new (summary);
  height = qs_chart_painter_get_preferred_height (painter, 1);
  surface = paint (painter, CHART_WIDTH, height, QS_REPORT_THEME_LIGHT);
  save_png (surface, "chart-long-name-light.png");

  /* The label column ends three quarters of the font size before the plot.
   * Find the label's ink left of the plot and under the threshold labels. */
  plot_x0 = (int) qs_chart_painter_value_to_x (painter, CHART_WIDTH, NAN);
  for (int y = (int) (12 * 2.2); y < (int) (height - 12 * 3.6); y++)
    for (int x = 0; x < plot_x0 - 1; x++)
      {
        if (report_test_pixel_is (report_test_get_pixel (surface, x, y), "#ffffff", 40))
          continue;
        min_x = MIN (min_x, x);
        max_x = MAX (max_x, x);
        min_y = MIN (min_y, y);
        max_y = MAX (max_y, y);
      }

  /* A name far longer than the column is shortened to fill it on one
   * line, so ink reaches both ends of the column and stays one line tall.
   * Wrapping would give two lines, and clipping would lose an end. */
  g_assert_cmpint (max_x, >=, 0);
  g_assert_cmpint (min_x, >=, 9);
  g_assert_cmpint (min_x, <, 9 + 12);
  g_assert_cmpint (max_x, >, plot_x0 - 9 - 12);
  g_assert_cmpint (max_x, <=, plot_x0 - 9 + 1);
  g_assert_cmpint (max_y - min_y, <, 18);

  cairo_surface_destroy (surface);
}

static void
test_themes (void)
{
  g_autoptr(QsAnalysisResult) result = report_test_default_result_new ();
  const double values[] = { 0.02 };
  g_autoptr(QsSummary) summary = summary_for_values (result, values, 1);
  g_autoptr(QsChartPainter) painter = qs_chart_painter_new (summary);
  cairo_surface_t *dark = paint (painter, 400, 120, QS_REPORT_THEME_DARK);
  cairo_surface_t *light = paint (painter, 400, 120, QS_REPORT_THEME_LIGHT);

  g_assert_true (report_test_pixel_is (report_test_get_pixel (dark, 1, 1), "#15171a", 1));
  g_assert_true (report_test_pixel_is (report_test_get_pixel (light, 1, 1), "#ffffff", 1));

  cairo_surface_destroy (dark);
  cairo_surface_destroy (light);
}

static void
test_hit_test (void)
{
  g_autoptr(QsAnalysisResult) result = report_test_default_result_new ();
  const double values[] = { 0.05, 0.02, 0.01, 0.005 };
  g_autoptr(QsSummary) summary = summary_for_values (result, values, G_N_ELEMENTS (values));
  g_autoptr(QsChartPainter) painter = qs_chart_painter_new (summary);
  double height = qs_chart_painter_get_preferred_height (painter, 4);
  double row = (height - 12 * (2.2 + 3.6)) / 4;
  double x = CHART_WIDTH / 2.0;

  for (guint i = 0; i < 4; i++)
    g_assert_cmpint (qs_chart_painter_hit_test (painter, CHART_WIDTH, height, x,
                                                12 * 2.2 + row * (i + 0.5)), ==, (int) i);

  /* Over the threshold labels, under the axis and left of the labels. */
  g_assert_cmpint (qs_chart_painter_hit_test (painter, CHART_WIDTH, height, x, 5), ==, -1);
  g_assert_cmpint (qs_chart_painter_hit_test (painter, CHART_WIDTH, height, x, height - 3), ==, -1);
  g_assert_cmpint (qs_chart_painter_hit_test (painter, CHART_WIDTH, height, 2, 12 * 2.2 + row / 2), ==, -1);

  g_assert_cmpstr (qs_chart_painter_get_bar (painter, 1)->name, ==, "blocks.1.attn.to_q.weight");
  g_assert_cmpstr (qs_chart_painter_get_bar (painter, 1)->detail, ==, ">uint6");
}

static cairo_status_t
read_bytes (void          *closure,
            unsigned char *data,
            unsigned int   length)
{
  GInputStream *stream = closure;
  gsize n_read;

  if (!g_input_stream_read_all (stream, data, length, &n_read, NULL, NULL) || n_read != length)
    return CAIRO_STATUS_READ_ERROR;

  return CAIRO_STATUS_SUCCESS;
}

static void
test_png (void)
{
  g_autoptr(QsAnalysisResult) result = report_test_default_result_new ();
  const double values[] = { INFINITY, 0.05, 0.003 };
  g_autoptr(QsSummary) summary = summary_for_values (result, values, G_N_ELEMENTS (values));
  g_autoptr(QsChartPainter) painter = qs_chart_painter_new (summary);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GInputStream) stream = NULL;
  cairo_surface_t *surface;
  double height = qs_chart_painter_get_preferred_height (painter, 3);

  png = qs_chart_painter_write_png (painter, 500, height, 2, QS_REPORT_THEME_DARK, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (png, NULL), 8, "\x89PNG\r\n\x1a\n", 8);

  stream = g_memory_input_stream_new_from_bytes (png);
  surface = cairo_image_surface_create_from_png_stream (read_bytes, stream);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_width (surface), ==, 1000);
  g_assert_cmpint (cairo_image_surface_get_height (surface), ==, (int) ceil (height * 2));
  cairo_surface_destroy (surface);
}

static void
test_empty_summary (void)
{
  g_autoptr(QsAnalysisResult) result = report_test_default_result_new ();
  g_autoptr(QsSummary) summary = qs_summary_new (result, 0.1, 0.01, 30);
  g_autoptr(QsChartPainter) painter = qs_chart_painter_new (summary);
  cairo_surface_t *surface;
  g_autoptr(GPtrArray) runs = NULL;

  g_assert_cmpuint (qs_chart_painter_get_n_bars (painter), ==, 0);
  surface = paint (painter, 400, 100, QS_REPORT_THEME_DARK);
  runs = find_bar_runs (surface, 200, 1);
  g_assert_cmpuint (runs->len, ==, 0);
  g_assert_cmpint (qs_chart_painter_hit_test (painter, 400, 100, 200, 50), ==, -1);
  cairo_surface_destroy (surface);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qs/report/chart/severity-scale", test_severity_scale);
  g_test_add_func ("/qs/report/chart/bar-colors", test_bar_colors);
  g_test_add_func ("/qs/report/chart/threshold-lines", test_threshold_lines);
  g_test_add_func ("/qs/report/chart/log-axis", test_log_axis);
  g_test_add_func ("/qs/report/chart/linear-axis", test_linear_axis);
  g_test_add_func ("/qs/report/chart/log-switch-boundary", test_log_switch_boundary);
  g_test_add_func ("/qs/report/chart/inf-bar", test_inf_bar);
  g_test_add_func ("/qs/report/chart/long-names-elided", test_long_names_elided);
  g_test_add_func ("/qs/report/chart/themes", test_themes);
  g_test_add_func ("/qs/report/chart/hit-test", test_hit_test);
  g_test_add_func ("/qs/report/chart/png", test_png);
  g_test_add_func ("/qs/report/chart/empty-summary", test_empty_summary);

  return report_test_run ();
}
