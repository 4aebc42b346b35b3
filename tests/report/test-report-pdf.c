/* test-report-pdf.c: the paginated PDF report and its page painter
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "qs-report.h"
#include "qs-report-page-painter.h"
#include "report-test-utils.h"

#define N_LAYERS 60
#define SCALE_TOLERANCE 8

static const char * const scale_hex[] = { "#2d6a4f", "#40916c", "#b8860b", "#e76f51", "#d62828" };

/* Sixty layers in two components, with raw and SVD rows; the primary
 * NMSE runs from 1e-3 to 0.3 over the layers, and one layer is INF. */
static QsAnalysisResult *
make_result (void)
{
  const char * const dtypes[] = { "uint4", "uint6", "uint8", "int8", NULL };
  const gint64 group_sizes[] = { 0 };
  const guint ranks[] = { 32 };
  QsAnalysisResult *result = report_test_result_new (dtypes, group_sizes, 1, ranks, 1, TRUE);

  for (guint i = 0; i < N_LAYERS; i++)
    {
      g_autofree char *name = g_strdup_printf ("blocks.%u.attn.to_q.weight", i);
      double primary = i == 7 ? INFINITY : 1e-3 * pow (300.0, (double) i / (N_LAYERS - 1));
      const double values[] = { primary, 0.004, 0.0002, 0.0003 };

      report_test_add_layer (result, i % 3 == 0 ? "text_encoder" : "transformer", name,
                             128, 64, values);
    }

  return result;
}

static QsSummary *
make_summary (QsAnalysisResult *result,
              guint             top_n,
              gboolean          auto_config)
{
  QsSummaryOptions options = { 0.1, 0.01, top_n, auto_config };

  return qs_summary_new_full (result, &options);
}

static char *
write_report (QsAnalysisResult *result,
              QsSummary        *summary,
              const char       *dir,
              const char       *saved_name)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, "report.pdf", NULL);

  g_assert_true (qs_report_write (result, summary, QS_REPORT_FORMAT_PDF, path, &error));
  g_assert_no_error (error);
  report_test_save_output (path, saved_name);

  return path;
}

static char *
page_text (const char *path,
           guint       page)
{
  g_autofree char *number = g_strdup_printf ("%u", page + 1);
  const char *argv[] = { "-f", number, "-l", number, "-raw", "-enc", "UTF-8", path, "-", NULL };
  char *text = NULL;

  if (!report_test_run_tool ("QS_TEST_PDFTOTEXT", argv, &text, NULL))
    return NULL;

  return text;
}

/* Returns @text without white space. pdftotext puts spaces where glyphs
 * sit apart, such as around the ellipsis of an elided name (whose PDF
 * text still holds the whole name), so names are compared without it. */
static char *
squash_spaces (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isspace (*p))
      g_string_append_c (out, *p);

  return g_string_free (out, FALSE);
}

static guint
pdf_page_count (const char *path)
{
  const char *argv[] = { path, NULL };
  g_autofree char *info = NULL;
  const char *line;

  if (!report_test_run_tool ("QS_TEST_PDFINFO", argv, &info, NULL))
    return 0;
  line = strstr (info, "Pages:");
  g_assert_nonnull (line);

  return (guint) g_ascii_strtoull (line + strlen ("Pages:"), NULL, 10);
}

static void
test_pages_and_text (void)
{
  g_autoptr(QsAnalysisResult) result = make_result ();
  g_autoptr(QsSummary) summary = make_summary (result, N_LAYERS, FALSE);
  g_autoptr(QsReportLayout) layout = NULL;
  g_autofree char *dir = report_test_make_tmp_dir ();
  g_autofree char *path = write_report (result, summary, dir, "report.pdf");
  g_autoptr(GString) all = g_string_new (NULL);
  g_autofree char *squashed_all = NULL;
  guint n_pages;
  guint heatmap_pages = 0;
  guint svd_pages = 0;

  layout = qs_report_layout_new (result, summary, QS_CONFIG_STYLE_SCRIPT,
                                 QS_REPORT_A4_WIDTH, QS_REPORT_A4_HEIGHT, NULL);
  n_pages = qs_report_layout_get_n_pages (layout);
  /* Sixty rows in two tables, a chart and two snippets need several pages. */
  g_assert_cmpuint (n_pages, >=, 4);
  g_assert_cmpuint (n_pages, <=, 12);

  if (pdf_page_count (path) == 0)
    {
      report_test_remove_tree (dir);
      return;
    }
  g_assert_cmpuint (pdf_page_count (path), ==, n_pages);

  for (guint page = 0; page < n_pages; page++)
    {
      g_autofree char *text = page_text (path, page);
      g_autofree char *footer = g_strdup_printf ("Page %u of %u", page + 1, n_pages);
      g_autofree char *squashed = NULL;
      gboolean has_heatmap_row = FALSE;
      gboolean has_svd_row = FALSE;

      g_assert_nonnull (text);
      g_assert_nonnull (strstr (text, footer));
      g_string_append (all, text);
      squashed = squash_spaces (text);

      /* A page with rows of a table also has that table's header, which
       * is repeated at the top of every page the table continues on. */
      for (guint i = 0; i < N_LAYERS; i++)
        {
          g_autofree char *row = g_strdup_printf ("blocks.%u.attn.to_q.weight(128,64)", i);

          has_heatmap_row |= strstr (squashed, row) != NULL;
        }
      /* Only SVD rows have a gain, and SVD divides every NMSE by 4. */
      has_svd_row = strstr (squashed, "4.00×") != NULL;
      if (has_heatmap_row)
        {
          heatmap_pages++;
          g_assert_nonnull (strstr (squashed, "#ComponentLayerShapeVerdictuint4uint6uint8int8"));
        }
      if (has_svd_row)
        {
          svd_pages++;
          g_assert_nonnull (strstr (squashed, "#ComponentLayerRawNMSERawverdictRank32NMSE"));
        }
    }

  g_assert_cmpuint (heatmap_pages, >=, 2);
  g_assert_cmpuint (svd_pages, >=, 2);

  /* The title block, the statistics and every section. */
  g_assert_nonnull (strstr (all->str, "Quantization sensitivity report"));
  g_assert_nonnull (strstr (all->str, "test-org/Tiny-Model"));
  g_assert_nonnull (strstr (all->str, "2024-05-01 12:30 UTC"));
  g_assert_nonnull (strstr (all->str, "uint4 (primary), uint6, uint8, int8"));
  g_assert_nonnull (strstr (all->str, "Layers analysed"));
  g_assert_nonnull (strstr (all->str, "Worst layers by NMSE"));
  g_assert_nonnull (strstr (all->str, "promote 0.01"));
  g_assert_nonnull (strstr (all->str, "skip 0.1"));
  g_assert_nonnull (strstr (all->str, "Most sensitive layers"));
  g_assert_nonnull (strstr (all->str, "SVD against raw"));
  g_assert_nonnull (strstr (all->str, "SDNQ config"));
  g_assert_nonnull (strstr (all->str, "SDNQConfig("));
  g_assert_nonnull (strstr (all->str, "weights_dtype=\"uint4\""));

  /* Each layer is in the chart, the heatmap and the SVD table. */
  squashed_all = squash_spaces (all->str);
  for (guint i = 0; i < N_LAYERS; i++)
    {
      g_autofree char *name = g_strdup_printf ("blocks.%u.attn.to_q.weight", i);
      guint count = 0;

      for (const char *p = strstr (squashed_all, name); p != NULL; p = strstr (p + 1, name))
        count++;
      g_assert_cmpuint (count, >=, 3);
    }

  report_test_remove_tree (dir);
}

static gboolean
is_scale_color (guint32 pixel)
{
  for (guint i = 0; i < G_N_ELEMENTS (scale_hex); i++)
    {
      if (report_test_pixel_is (pixel, scale_hex[i], SCALE_TOLERANCE))
        return TRUE;
    }

  return FALSE;
}

/* Returns the length of the longest run of one scale colour on row @y. */
static int
longest_scale_run (cairo_surface_t *surface,
                   int              y)
{
  int width = cairo_image_surface_get_width (surface);
  int longest = 0;
  int run = 0;
  guint32 previous = 0;

  for (int x = 0; x < width; x++)
    {
      guint32 pixel = report_test_get_pixel (surface, x, y);

      if (is_scale_color (pixel) && (run == 0 || pixel == previous))
        run++;
      else
        run = is_scale_color (pixel) ? 1 : 0;
      previous = pixel;
      longest = MAX (longest, run);
    }

  return longest;
}

/* Returns the top of the first word @word at the left margin of @page, in
 * points from the top, or -1 when it is missing: the y of a heading. */
static double
find_heading_y (const char *path,
                guint       page,
                const char *word)
{
  g_autofree char *number = g_strdup_printf ("%u", page + 1);
  const char *argv[] = { "-bbox", "-f", number, "-l", number, path, "-", NULL };
  g_autofree char *boxes = NULL;
  g_autofree char *pattern = NULL;
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *y = NULL;

  if (!report_test_run_tool ("QS_TEST_PDFTOTEXT", argv, &boxes, NULL))
    return -1;

  pattern = g_strdup_printf ("<word xMin=\"42\\.0+\" yMin=\"([0-9.]+)\"[^>]*>%s</word>", word);
  regex = g_regex_new (pattern, 0, 0, NULL);
  if (!g_regex_match (regex, boxes, 0, &match))
    return -1;
  y = g_match_info_fetch (match, 1);

  return g_ascii_strtod (y, NULL);
}

static void
test_chart_on_page (void)
{
  g_autoptr(QsAnalysisResult) result = make_result ();
  g_autoptr(QsSummary) summary = make_summary (result, 12, FALSE);
  g_autofree char *dir = report_test_make_tmp_dir ();
  g_autofree char *path = write_report (result, summary, dir, "report-short.pdf");
  g_autofree char *text = page_text (path, 0);
  g_autofree char *prefix = g_build_filename (dir, "page", NULL);
  g_autofree char *png = g_build_filename (dir, "page-1.png", NULL);
  const char *argv[] = { "-png", "-r", "100", "-f", "1", "-l", "1", path, prefix, NULL };
  cairo_surface_t *surface;
  guint n_bars = 0;
  gboolean in_bar = FALSE;
  double chart_top;
  double table_top;

  if (text == NULL)
    {
      report_test_remove_tree (dir);
      return;
    }
  /* Twelve bars fit on the first page after the summary, and the table
   * starts under them. */
  g_assert_nonnull (strstr (text, "Worst layers by NMSE"));
  chart_top = find_heading_y (path, 0, "Worst");
  table_top = find_heading_y (path, 0, "Most");
  g_assert_cmpfloat (chart_top, >, 0);
  g_assert_cmpfloat (table_top, >, chart_top + 12 * 10);

  if (!report_test_run_tool ("QS_TEST_PDFTOPPM", argv, NULL, NULL))
    {
      report_test_remove_tree (dir);
      return;
    }
  report_test_save_output (png, "report-page-1.png");
  surface = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);

  /* Count the bars between the two headings: groups of pixel rows that
   * hold a run of one scale colour longer than 80 pt. */
  for (int y = (int) (chart_top * 100 / 72); y < (int) (table_top * 100 / 72); y++)
    {
      gboolean long_run = longest_scale_run (surface, y) > 80 * 100 / 72;

      if (long_run && !in_bar)
        n_bars++;
      in_bar = long_run;
    }
  g_assert_cmpuint (n_bars, ==, 12);

  cairo_surface_destroy (surface);
  report_test_remove_tree (dir);
}

static void
test_auto_config_pages (void)
{
  g_autoptr(QsAnalysisResult) result = make_result ();
  g_autoptr(QsSummary) summary = make_summary (result, 20, TRUE);
  g_autofree char *dir = report_test_make_tmp_dir ();
  g_autofree char *path = write_report (result, summary, dir, "report-auto.pdf");
  g_autoptr(QsReportLayout) layout = qs_report_layout_new (result, summary, QS_CONFIG_STYLE_UPSTREAM,
                                                           QS_REPORT_A4_WIDTH, QS_REPORT_A4_HEIGHT,
                                                           NULL);
  g_autoptr(GString) all = g_string_new (NULL);

  for (guint page = 0; page < qs_report_layout_get_n_pages (layout); page++)
    {
      g_autofree char *text = page_text (path, page);

      if (text == NULL)
        {
          report_test_remove_tree (dir);
          return;
        }
      g_string_append (all, text);
    }

  g_assert_nonnull (strstr (all->str, "Size estimates"));
  g_assert_nonnull (strstr (all->str, "Recommended"));
  g_assert_nonnull (strstr (all->str, "Sizes per component"));
  g_assert_nonnull (strstr (all->str, "Auto-config recommendation"));
  g_assert_nonnull (strstr (all->str, "Recommended format's NMSE"));
  g_assert_null (strstr (all->str, "Verdict uint4 uint6"));

  report_test_remove_tree (dir);
}

/* The app's print operation draws pages itself onto its own cairo_t; this
 * draws them onto an image surface the same way. */
static void
test_draw_page_on_any_surface (void)
{
  g_autoptr(QsAnalysisResult) result = make_result ();
  g_autoptr(QsSummary) summary = make_summary (result, N_LAYERS, FALSE);
  g_autoptr(QsReportLayout) a4 = qs_report_layout_new (result, summary, QS_CONFIG_STYLE_SCRIPT,
                                                       QS_REPORT_A4_WIDTH, QS_REPORT_A4_HEIGHT, NULL);
  g_autoptr(QsReportLayout) landscape = NULL;
  cairo_surface_t *surface;
  cairo_t *cr;
  guint n_colored = 0;
  guint n_ink = 0;

  /* Landscape pages are shorter, so the same report takes more of them. */
  landscape = qs_report_layout_new (result, summary, QS_CONFIG_STYLE_SCRIPT,
                                    QS_REPORT_A4_HEIGHT, QS_REPORT_A4_WIDTH, NULL);
  g_assert_cmpuint (qs_report_layout_get_n_pages (landscape), >, qs_report_layout_get_n_pages (a4));

  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 595 * 2, 842 * 2);
  cr = cairo_create (surface);
  cairo_scale (cr, 2, 2);
  qs_report_layout_draw_page (a4, cr, 1);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);

  g_assert_true (report_test_pixel_is (report_test_get_pixel (surface, 2, 2), "#ffffff", 0));
  for (int y = 0; y < 842 * 2; y += 2)
    for (int x = 0; x < 595 * 2; x += 2)
      {
        guint32 pixel = report_test_get_pixel (surface, x, y);

        n_ink += pixel != 0xffffff;
        n_colored += is_scale_color (pixel);
      }
  g_assert_cmpuint (n_ink, >, 10000);
  g_assert_cmpuint (n_colored, >, 1000);

  cairo_surface_destroy (surface);
}

static void
test_empty_analysis (void)
{
  g_autoptr(QsAnalysisResult) result = report_test_default_result_new ();
  g_autoptr(QsSummary) summary = NULL;
  g_autofree char *dir = report_test_make_tmp_dir ();
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;

  qs_analysis_result_set_complete (result, FALSE);
  summary = make_summary (result, 30, FALSE);
  path = write_report (result, summary, dir, "report-empty.pdf");

  text = page_text (path, 0);
  if (text != NULL)
    {
      g_assert_cmpuint (pdf_page_count (path), ==, 1);
      g_assert_nonnull (strstr (text, "Page 1 of 1"));
      g_assert_nonnull (strstr (text, "The analysis stopped early"));
      g_assert_null (strstr (text, "Worst layers by NMSE"));
      g_assert_nonnull (strstr (text, "The summary holds no config."));
    }

  report_test_remove_tree (dir);
}

static void
test_write_failure (void)
{
  g_autoptr(QsAnalysisResult) result = make_result ();
  g_autoptr(QsSummary) summary = make_summary (result, 10, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = report_test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "missing", "report.pdf", NULL);

  g_assert_false (qs_report_write (result, summary, QS_REPORT_FORMAT_PDF, path, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  report_test_remove_tree (dir);
}

static void
test_replaces_existing_file (void)
{
  g_autoptr(QsAnalysisResult) result = make_result ();
  g_autoptr(QsSummary) summary = make_summary (result, 10, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = report_test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "report.pdf", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GDir) listing = NULL;
  guint n_files = 0;

  g_assert_true (g_file_set_contents (path, "old", -1, NULL));
  g_assert_true (qs_report_write (result, summary, QS_REPORT_FORMAT_PDF, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "%PDF-"));

  listing = g_dir_open (dir, 0, NULL);
  while (g_dir_read_name (listing) != NULL)
    n_files++;
  g_assert_cmpuint (n_files, ==, 1);

  report_test_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qs/report/pdf/pages-and-text", test_pages_and_text);
  g_test_add_func ("/qs/report/pdf/chart-on-page", test_chart_on_page);
  g_test_add_func ("/qs/report/pdf/auto-config-pages", test_auto_config_pages);
  g_test_add_func ("/qs/report/pdf/draw-page-on-any-surface", test_draw_page_on_any_surface);
  g_test_add_func ("/qs/report/pdf/empty-analysis", test_empty_analysis);
  g_test_add_func ("/qs/report/pdf/write-failure", test_write_failure);
  g_test_add_func ("/qs/report/pdf/replaces-existing-file", test_replaces_existing_file);

  return report_test_run ();
}
