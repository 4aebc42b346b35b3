/* test-report-images.c: the image comparison report in HTML and PDF
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "qs-report-images.h"
#include "qs-report-page-painter.h"
#include "report-test-utils.h"

#define HOSTILE_NAME "<img src=x onerror=\"alert('1')\">&amp;.png"
#define HOSTILE_ESCAPED "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;amp;.png"

#define HEAT_LOW  "#000004"
#define HEAT_HIGH "#fcffa4"

/* Images */

/* A smooth pattern with no near-black and no pale yellow pixel, so those
 * heatmap colours on a rendered page come from the difference map. */
static QsImage *
make_image (guint width,
            guint height,
            guint seed)
{
  g_autofree guint8 *rgb = g_new (guint8, (gsize) width * height * 3);

  for (guint y = 0; y < height; y++)
    for (guint x = 0; x < width; x++)
      {
        guint8 *pixel = rgb + 3 * ((gsize) y * width + x);

        pixel[0] = (guint8) (60 + (x * 3 + seed * 7) % 100);
        pixel[1] = (guint8) (80 + (y * 2 + seed * 11) % 100);
        pixel[2] = (guint8) (110 + ((x + y) / 4 + seed) % 40);
      }

  return qs_image_new_from_rgb (rgb, width, height, (gsize) width * 3);
}

/* Returns a copy of @image with @delta added to every channel in the
 * rectangle, clamped to 0..255. */
static QsImage *
make_changed (const QsImage *image,
              guint          x0,
              guint          y0,
              guint          width,
              guint          height,
              int            delta)
{
  QsImage *changed = qs_image_new_from_rgb (image->rgb, image->width, image->height,
                                            (gsize) image->width * 3);

  for (guint y = y0; y < MIN (y0 + height, image->height); y++)
    for (guint x = x0; x < MIN (x0 + width, image->width); x++)
      for (guint c = 0; c < 3; c++)
        {
          guint8 *sample = changed->rgb + 3 * ((gsize) y * image->width + x) + c;

          *sample = (guint8) CLAMP ((int) *sample + delta, 0, 255);
        }

  return changed;
}

/* Adds a pair whose quantized image differs by @delta in a band of
 * @band_width columns, and returns its SSIM. */
static double
add_pair (QsImageReport *report,
          const char    *name,
          guint          width,
          guint          height,
          guint          band_width,
          int            delta)
{
  g_autoptr(QsImage) baseline = make_image (width, height, (guint) strlen (name));
  g_autoptr(QsImage) quantized = make_changed (baseline, width - band_width, 0, band_width,
                                               height, delta);
  g_autoptr(GError) error = NULL;
  QsImageMetrics metrics;

  g_assert_true (qs_image_metrics_compute (&metrics, baseline, quantized, &error));
  g_assert_no_error (error);
  g_assert_true (qs_image_report_add_pair (report, name, &metrics, baseline, quantized, &error));
  g_assert_no_error (error);

  return metrics.ssim;
}

/* Text helpers */

static guint
count_occurrences (const char *haystack,
                   const char *needle)
{
  guint count = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    count++;

  return count;
}

/* Returns the text from @start_marker up to the next @end_marker. */
static char *
dup_between (const char *text,
             const char *start_marker,
             const char *end_marker)
{
  const char *start = strstr (text, start_marker);
  const char *end;

  g_assert_nonnull (start);
  end = strstr (start, end_marker);
  g_assert_nonnull (end);

  return g_strndup (start, end - start);
}

/* Returns the file names of the pair table's rows, in document order. */
static GPtrArray *
table_names (const char *html)
{
  g_autofree char *table = dup_between (html, "id=\"pairs\"", "</table>");
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *marker = "<td class=\"name\">";

  for (const char *p = strstr (table, marker); p != NULL; p = strstr (p, marker))
    {
      const char *end;

      p += strlen (marker);
      end = strstr (p, "</td>");
      g_assert_nonnull (end);
      g_ptr_array_add (names, g_strndup (p, end - p));
    }

  return names;
}

/* Decodes the @index-th embedded PNG of @html. */
static cairo_surface_t *
decode_embedded_png (const char *html,
                     guint       index)
{
  const char *marker = "src=\"data:image/png;base64,";
  const char *p = strstr (html, marker);
  g_autofree char *base64 = NULL;
  g_autofree guchar *png = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  cairo_surface_t *surface;
  gsize length;

  for (guint i = 0; i < index && p != NULL; i++)
    p = strstr (p + 1, marker);
  g_assert_nonnull (p);
  p += strlen (marker);
  base64 = g_strndup (p, strchr (p, '"') - p);
  png = g_base64_decode (base64, &length);
  g_assert_cmpuint (length, >, 8);
  g_assert_cmpmem (png, 8, "\x89PNG\r\n\x1a\n", 8);

  dir = report_test_make_tmp_dir ();
  path = g_build_filename (dir, "image.png", NULL);
  g_assert_true (g_file_set_contents (path, (const char *) png, (gssize) length, NULL));
  surface = cairo_image_surface_create_from_png (path);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  report_test_remove_tree (dir);

  return surface;
}

static guint
count_pixels_near (cairo_surface_t *surface,
                   const char      *hex,
                   int              tolerance)
{
  int width = cairo_image_surface_get_width (surface);
  int height = cairo_image_surface_get_height (surface);
  guint count = 0;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      if (report_test_pixel_is (report_test_get_pixel (surface, x, y), hex, tolerance))
        count++;

  return count;
}

/* Drops xmllint's complaints about HTML5 elements, which its HTML 4 parser
 * does not know, and returns every other message. Each message is three
 * lines: the error, the source line and a caret. */
static char *
filter_html5_tags (const char *messages)
{
  g_auto(GStrv) lines = g_strsplit (messages, "\n", -1);
  g_autoptr(GRegex) html5 = NULL;
  GString *rest = g_string_new (NULL);

  html5 = g_regex_new ("HTML parser error : Tag (main|header|section|footer|figure|figcaption) "
                       "invalid$", 0, 0, NULL);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_regex_match (html5, lines[i], 0, NULL))
        {
          for (guint skip = 0; skip < 2 && lines[i + 1] != NULL; skip++)
            i++;
          continue;
        }
      if (lines[i][0] != '\0')
        g_string_append_printf (rest, "%s\n", lines[i]);
    }

  return g_string_free (rest, FALSE);
}

static void
assert_parses_as_html (const char *html)
{
  g_autofree char *dir = report_test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "report.html", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *argv[] = { "--html", "--noout", path, NULL };

  g_assert_true (g_file_set_contents (path, html, -1, NULL));
  if (report_test_run_tool ("QS_TEST_XMLLINT", argv, &out, &err))
    {
      g_autofree char *rest = filter_html5_tags (err);

      g_assert_cmpstr (out, ==, "");
      g_assert_cmpstr (rest, ==, "");
    }
  report_test_remove_tree (dir);
}

/* Asserts that nothing in @html loads from the network: no src, href,
 * url() or @import that points at a host, and no src that is not an
 * embedded PNG. */
static void
assert_no_external_requests (const char *html)
{
  g_autoptr(GRegex) remote = NULL;
  g_autoptr(GRegex) source = NULL;
  g_autoptr(GMatchInfo) match = NULL;

  remote = g_regex_new ("(src|href|action)\\s*=\\s*[\"']?\\s*(https?:|//)"
                        "|url\\(\\s*[\"']?\\s*(https?:|//)|@import|<link|<iframe|<object",
                        G_REGEX_CASELESS, 0, NULL);
  g_assert_nonnull (remote);
  if (g_regex_match (remote, html, 0, &match))
    {
      g_autofree char *found = g_match_info_fetch (match, 0);

      g_error ("the report requests “%s”", found);
    }
  g_clear_pointer (&match, g_match_info_unref);

  source = g_regex_new ("\\ssrc\\s*=\\s*\"(?!data:image/png;base64,)", G_REGEX_CASELESS, 0, NULL);
  g_assert_nonnull (source);
  g_assert_false (g_regex_match (source, html, 0, NULL));
}

static void
save_html (const char *html,
           const char *name)
{
  g_autofree char *dir = report_test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, html, -1, NULL));
  report_test_save_output (path, name);
  report_test_remove_tree (dir);
}

/* A report of six pairs, two unmatched files and a failure. One pair is
 * identical, and each other pair has a stronger change than the next, so
 * the SSIM order is known. */
static QsImageReport *
make_report (guint n_worst)
{
  QsImageReport *report = qs_image_report_new ("renders/baseline", "renders/uint4", n_worst);

  add_pair (report, "seed3.png", 64, 48, 0, 0);
  add_pair (report, "seed0.png", 64, 48, 16, 30);
  add_pair (report, "seed5.png", 64, 48, 8, 4);
  add_pair (report, "seed1.png", 64, 48, 40, 80);
  add_pair (report, "seed4.png", 64, 48, 24, 50);
  add_pair (report, "seed2.png", 64, 48, 4, 2);

  qs_image_report_add_unmatched (report, QS_IMAGE_SIDE_BASELINE, "seed9.png");
  qs_image_report_add_unmatched (report, QS_IMAGE_SIDE_QUANTIZED, "extra.webp");
  qs_image_report_add_failed (report, "broken.png", "Failed to load broken.png: not a PNG file");

  return report;
}

/* The names in SSIM order, worst first, for make_report(). */
static const char * const expected_order[] = {
  "seed1.png", "seed4.png", "seed0.png", "seed5.png", "seed2.png", "seed3.png",
};

/* Tests */

static void
test_severity_bounds (void)
{
  g_assert_cmpint (qs_severity_for_ssim (1.0), ==, QS_SEVERITY_NEGLIGIBLE);
  g_assert_cmpint (qs_severity_for_ssim (0.99), ==, QS_SEVERITY_NEGLIGIBLE);
  g_assert_cmpint (qs_severity_for_ssim (0.989), ==, QS_SEVERITY_LOW);
  g_assert_cmpint (qs_severity_for_ssim (0.98), ==, QS_SEVERITY_LOW);
  g_assert_cmpint (qs_severity_for_ssim (0.979), ==, QS_SEVERITY_MODERATE);
  g_assert_cmpint (qs_severity_for_ssim (0.95), ==, QS_SEVERITY_MODERATE);
  g_assert_cmpint (qs_severity_for_ssim (0.93), ==, QS_SEVERITY_HIGH);
  g_assert_cmpint (qs_severity_for_ssim (0.90), ==, QS_SEVERITY_HIGH);
  g_assert_cmpint (qs_severity_for_ssim (0.899), ==, QS_SEVERITY_SEVERE);
  g_assert_cmpint (qs_severity_for_ssim (-0.2), ==, QS_SEVERITY_SEVERE);
  g_assert_cmpint (qs_severity_for_ssim (NAN), ==, QS_SEVERITY_UNKNOWN);

  g_assert_cmpint (qs_severity_for_psnr (INFINITY), ==, QS_SEVERITY_NEGLIGIBLE);
  g_assert_cmpint (qs_severity_for_psnr (40), ==, QS_SEVERITY_NEGLIGIBLE);
  g_assert_cmpint (qs_severity_for_psnr (39.9), ==, QS_SEVERITY_LOW);
  g_assert_cmpint (qs_severity_for_psnr (35), ==, QS_SEVERITY_LOW);
  g_assert_cmpint (qs_severity_for_psnr (30), ==, QS_SEVERITY_MODERATE);
  g_assert_cmpint (qs_severity_for_psnr (29.99), ==, QS_SEVERITY_HIGH);
  g_assert_cmpint (qs_severity_for_psnr (24.9), ==, QS_SEVERITY_SEVERE);
  g_assert_cmpint (qs_severity_for_psnr (NAN), ==, QS_SEVERITY_UNKNOWN);

  g_assert_cmpint (qs_severity_for_mae (0), ==, QS_SEVERITY_NEGLIGIBLE);
  g_assert_cmpint (qs_severity_for_mae (2.0), ==, QS_SEVERITY_NEGLIGIBLE);
  g_assert_cmpint (qs_severity_for_mae (2.1), ==, QS_SEVERITY_LOW);
  g_assert_cmpint (qs_severity_for_mae (6.4), ==, QS_SEVERITY_MODERATE);
  g_assert_cmpint (qs_severity_for_mae (11.4), ==, QS_SEVERITY_HIGH);
  g_assert_cmpint (qs_severity_for_mae (11.5), ==, QS_SEVERITY_SEVERE);
  g_assert_cmpint (qs_severity_for_mae (NAN), ==, QS_SEVERITY_UNKNOWN);

  g_assert_cmpint (qs_severity_for_max_diff (0), ==, QS_SEVERITY_NEGLIGIBLE);
  g_assert_cmpint (qs_severity_for_max_diff (4), ==, QS_SEVERITY_NEGLIGIBLE);
  g_assert_cmpint (qs_severity_for_max_diff (5), ==, QS_SEVERITY_LOW);
  g_assert_cmpint (qs_severity_for_max_diff (48), ==, QS_SEVERITY_MODERATE);
  g_assert_cmpint (qs_severity_for_max_diff (128), ==, QS_SEVERITY_HIGH);
  g_assert_cmpint (qs_severity_for_max_diff (255), ==, QS_SEVERITY_SEVERE);
}

static void
test_html_structure (void)
{
  g_autoptr(QsImageReport) report = make_report (3);
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *html = NULL;
  g_autofree char *worst = NULL;
  g_auto(GStrv) pairs = NULL;

  g_assert_cmpuint (qs_image_report_get_n_pairs (report), ==, 6);
  g_assert_cmpuint (qs_image_report_get_n_worst (report), ==, 3);

  html = qs_image_report_render_html (report, &error);
  g_assert_no_error (error);
  g_assert_nonnull (html);
  save_html (html, "image-report.html");

  assert_parses_as_html (html);
  assert_no_external_requests (html);
  g_assert_true (g_str_has_prefix (html, "<!DOCTYPE html>"));

  /* The table lists every pair, the lowest SSIM first. */
  names = table_names (html);
  g_assert_cmpuint (names->len, ==, G_N_ELEMENTS (expected_order));
  for (guint i = 0; i < names->len; i++)
    g_assert_cmpstr (g_ptr_array_index (names, i), ==, expected_order[i]);

  /* The identical pair shows an infinite PSNR on the best colour, and the
   * worst pair's SSIM cell is red. */
  g_assert_nonnull (strstr (html, "<td class=\"num sev-0\" title=\"The images are identical\">∞</td>"));
  g_assert_nonnull (strstr (html, "<dt>Identical pairs (PSNR ∞)</dt><dd class=\"num\">1</dd>"));
  g_assert_nonnull (strstr (html, "<dt>Pairs compared</dt><dd class=\"num\">6</dd>"));
  g_assert_nonnull (strstr (html, "over the 5 pairs that differ"));
  g_assert_nonnull (strstr (html, "<dt>Min SSIM</dt>"));
  g_assert_nonnull (strstr (html, "LPIPS is not computed: it needs a pretrained network"));

  /* Unmatched files are listed by side, and the failure with its message. */
  g_assert_nonnull (strstr (html, "Only in the baseline (1): renders/baseline"));
  g_assert_nonnull (strstr (html, "<li>seed9.png</li>"));
  g_assert_nonnull (strstr (html, "Only in the quantized (1): renders/uint4"));
  g_assert_nonnull (strstr (html, "<li>extra.webp</li>"));
  g_assert_nonnull (strstr (html, "<span class=\"name\">broken.png</span>: Failed to load"));

  /* Three worst pairs, each with three embedded images, in SSIM order. */
  g_assert_cmpuint (count_occurrences (html, "data:image/png;base64,"), ==, 9);
  worst = dup_between (html, "id=\"worst-pairs\"", "</section>");
  g_assert_nonnull (strstr (worst, "The 3 pairs with the lowest SSIM"));
  pairs = g_strsplit (worst, "<div class=\"pair\"", -1);
  g_assert_cmpuint (g_strv_length (pairs), ==, 4);
  for (guint i = 1; i < 4; i++)
    {
      g_autofree char *heading = g_strdup_printf ("<span class=\"name\">%s</span>",
                                                  expected_order[i - 1]);

      g_assert_nonnull (strstr (pairs[i], heading));
      g_assert_cmpuint (count_occurrences (pairs[i], "data:image/png;base64,"), ==, 3);
      g_assert_cmpuint (count_occurrences (pairs[i], "<figure"), ==, 3);
      g_assert_cmpuint (count_occurrences (pairs[i], "class=\"colour-bar\""), ==, 1);
      g_assert_nonnull (strstr (pairs[i], "<dt>SSIM</dt>"));
    }
  g_assert_null (strstr (html, "id=\"pair-4\""));

  /* The colours are those of the analysis report. */
  g_assert_nonnull (strstr (html, "--bg: #15171a;"));
  g_assert_nonnull (strstr (html, "@media print"));
  g_assert_nonnull (strstr (html, "td.sev-4, .swatch.sev-4, .pair-metrics .sev-4 { background: #d62828;"));
}

static void
test_html_escaping (void)
{
  g_autoptr(QsImageReport) report = qs_image_report_new ("in/<base>", "out/\"q\"&'", 2);
  g_autoptr(GError) error = NULL;
  g_autofree char *html = NULL;

  add_pair (report, HOSTILE_NAME, 32, 32, 8, 40);
  add_pair (report, "plain.png", 32, 32, 2, 3);
  qs_image_report_add_unmatched (report, QS_IMAGE_SIDE_BASELINE, "<b>bold</b>.png");
  qs_image_report_add_failed (report, "x&y.png", "Failed: <script>alert(1)</script>");

  html = qs_image_report_render_html (report, &error);
  g_assert_no_error (error);
  save_html (html, "image-report-escaping.html");
  assert_parses_as_html (html);
  assert_no_external_requests (html);

  /* The hostile name appears only escaped: in the table, the heading of
   * its worst pair, the alt text of its three images and the statistics. */
  g_assert_null (strstr (html, HOSTILE_NAME));
  g_assert_null (strstr (html, "onerror=\"alert"));
  g_assert_cmpuint (count_occurrences (html, HOSTILE_ESCAPED), >=, 5);
  g_assert_nonnull (strstr (html, "<td class=\"name\">" HOSTILE_ESCAPED "</td>"));
  g_assert_nonnull (strstr (html, "alt=\"Baseline render of " HOSTILE_ESCAPED "\""));

  g_assert_null (strstr (html, "<b>bold</b>"));
  g_assert_nonnull (strstr (html, "<li>&lt;b&gt;bold&lt;/b&gt;.png</li>"));
  g_assert_null (strstr (html, "<script>alert(1)</script>"));
  g_assert_nonnull (strstr (html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  g_assert_nonnull (strstr (html, "x&amp;y.png"));
  g_assert_nonnull (strstr (html, "in/&lt;base&gt;"));
  g_assert_nonnull (strstr (html, "out/&quot;q&quot;&amp;&#39;"));
  g_assert_null (strstr (html, "<base>"));
}

static void
test_downscale_and_heatmap (void)
{
  g_autoptr(QsImageReport) report = qs_image_report_new ("a", "b", 2);
  g_autoptr(QsImage) large = make_image (1024, 600, 1);
  g_autoptr(QsImage) one_pixel = make_changed (large, 700, 301, 1, 1, -90);
  g_autoptr(QsImage) small = make_image (40, 30, 2);
  g_autoptr(QsImage) small_changed = make_changed (small, 0, 0, 20, 30, 25);
  g_autoptr(GError) error = NULL;
  g_autofree char *html = NULL;
  QsImageMetrics metrics;
  cairo_surface_t *surfaces[6];

  g_assert_true (qs_image_metrics_compute (&metrics, large, one_pixel, &error));
  g_assert_cmpuint (metrics.max_diff, ==, 90);
  /* One changed pixel barely moves SSIM, so the small pair ranks first. */
  g_assert_true (qs_image_report_add_pair (report, "large.png", &metrics, large, one_pixel, &error));
  g_assert_true (qs_image_metrics_compute (&metrics, small, small_changed, &error));
  g_assert_true (qs_image_report_add_pair (report, "small.png", &metrics, small, small_changed,
                                           &error));
  g_assert_no_error (error);

  html = qs_image_report_render_html (report, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (surfaces); i++)
    surfaces[i] = decode_embedded_png (html, i);

  /* The small pair keeps its size, and the large one is downscaled to 512
   * pixels on the long side with its aspect ratio. */
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpint (cairo_image_surface_get_width (surfaces[i]), ==, 40);
      g_assert_cmpint (cairo_image_surface_get_height (surfaces[i]), ==, 30);
      g_assert_cmpint (cairo_image_surface_get_width (surfaces[3 + i]), ==, QS_IMAGE_REPORT_MAX_SIDE);
      g_assert_cmpint (cairo_image_surface_get_height (surfaces[3 + i]), ==, 300);
    }
  g_assert_nonnull (strstr (html, "width=\"512\" height=\"300\""));
  g_assert_nonnull (strstr (html, "Baseline (1024×600, shown at 512×300)"));

  /* In the small pair, the changed left half is the brightest heatmap
   * colour and the rest is black. The renders are copied pixel for pixel. */
  g_assert_true (report_test_pixel_is (report_test_get_pixel (surfaces[2], 5, 15), HEAT_HIGH, 0));
  g_assert_true (report_test_pixel_is (report_test_get_pixel (surfaces[2], 30, 15), HEAT_LOW, 0));
  g_assert_cmphex (report_test_get_pixel (surfaces[0], 7, 3),
                   ==, (guint32) small->rgb[3 * (3 * 40 + 7)] << 16
                       | (guint32) small->rgb[3 * (3 * 40 + 7) + 1] << 8
                       | small->rgb[3 * (3 * 40 + 7) + 2]);

  /* In the large pair, the single changed pixel survives the downscale as
   * one brightest pixel at half its coordinates, and nothing else is lit. */
  g_assert_true (report_test_pixel_is (report_test_get_pixel (surfaces[5], 350, 150), HEAT_HIGH, 0));
  g_assert_cmpuint (count_pixels_near (surfaces[5], HEAT_HIGH, 0), ==, 1);
  g_assert_cmpuint (count_pixels_near (surfaces[5], HEAT_LOW, 0), ==, 512 * 300 - 1);

  for (guint i = 0; i < G_N_ELEMENTS (surfaces); i++)
    cairo_surface_destroy (surfaces[i]);
}

typedef struct
{
  char   *name;
  double  ssim;
} NamedSsim;

static int
compare_named_ssim (gconstpointer a,
                    gconstpointer b)
{
  const NamedSsim *x = a;
  const NamedSsim *y = b;

  if (x->ssim != y->ssim)
    return x->ssim < y->ssim ? -1 : 1;

  return strcmp (x->name, y->name);
}

static void
test_worst_selection (void)
{
  g_autoptr(QsImageReport) report = qs_image_report_new ("a", "b", 4);
  g_autoptr(QsImageReport) none = qs_image_report_new ("a", "b", 0);
  g_autoptr(GError) error = NULL;
  g_autofree char *html = NULL;
  g_autofree char *html_none = NULL;
  /* Band widths in an order that makes earlier worst pairs drop out. */
  const guint bands[] = { 2, 30, 6, 12, 40, 1, 20, 36, 4, 8, 26, 16 };
  NamedSsim expected[G_N_ELEMENTS (bands)];
  g_autoptr(GPtrArray) names = NULL;
  g_auto(GStrv) pairs = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bands); i++)
    {
      expected[i].name = g_strdup_printf ("band-%02u.png", bands[i]);
      expected[i].ssim = add_pair (report, expected[i].name, 48, 40, bands[i], 60);
      add_pair (none, expected[i].name, 48, 40, bands[i], 60);
    }
  qsort (expected, G_N_ELEMENTS (expected), sizeof (NamedSsim), compare_named_ssim);
  /* The fixture spreads the pairs over distinct SSIM values. */
  for (guint i = 1; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpfloat (expected[i - 1].ssim, <, expected[i].ssim);

  g_assert_cmpuint (qs_image_report_get_n_pairs (report), ==, G_N_ELEMENTS (bands));
  g_assert_cmpuint (qs_image_report_get_n_worst (report), ==, 4);
  g_assert_cmpuint (qs_image_report_get_n_worst (none), ==, 0);

  html = qs_image_report_render_html (report, &error);
  g_assert_no_error (error);
  names = table_names (html);
  g_assert_cmpuint (names->len, ==, G_N_ELEMENTS (bands));
  for (guint i = 0; i < names->len; i++)
    g_assert_cmpstr (g_ptr_array_index (names, i), ==, expected[i].name);

  /* The four lowest SSIM values are the worst pairs, whatever order they
   * came in. */
  g_assert_cmpuint (count_occurrences (html, "data:image/png;base64,"), ==, 12);
  pairs = g_strsplit (html, "<div class=\"pair\"", -1);
  g_assert_cmpuint (g_strv_length (pairs), ==, 5);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *heading = g_strdup_printf ("<span class=\"name\">%s</span>",
                                                  expected[i].name);

      g_assert_nonnull (strstr (pairs[i + 1], heading));
    }

  html_none = qs_image_report_render_html (none, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_occurrences (html_none, "data:image/png;base64,"), ==, 0);
  g_assert_null (strstr (html_none, "id=\"worst-pairs\""));
  assert_parses_as_html (html_none);

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_free (expected[i].name);
}

static void
test_size_mismatch (void)
{
  g_autoptr(QsImageReport) report = qs_image_report_new ("a", "b", 2);
  g_autoptr(QsImage) baseline = make_image (20, 20, 0);
  g_autoptr(QsImage) quantized = make_image (20, 21, 0);
  g_autoptr(GError) error = NULL;
  QsImageMetrics metrics = { 0 };

  g_assert_false (qs_image_report_add_pair (report, "x.png", &metrics, baseline, quantized,
                                            &error));
  g_assert_error (error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_SIZE_MISMATCH);
  g_assert_cmpuint (qs_image_report_get_n_pairs (report), ==, 0);
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

/* Renders one page of @path at 72 dpi with pdftoppm. */
static cairo_surface_t *
render_pdf_page (const char *path,
                 guint       page,
                 const char *dir)
{
  g_autofree char *number = g_strdup_printf ("%u", page + 1);
  g_autofree char *prefix = g_build_filename (dir, "page", NULL);
  g_autofree char *png = g_build_filename (dir, "page.png", NULL);
  const char *argv[] = { "-f", number, "-l", number, "-r", "72", "-png", "-singlefile", path,
                         prefix, NULL };
  cairo_surface_t *surface;

  if (!report_test_run_tool ("QS_TEST_PDFTOPPM", argv, NULL, NULL))
    return NULL;
  report_test_save_output (png, "image-report-page.png");
  surface = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);

  return surface;
}

/* Sixty pairs: a table over two pages and the worst pairs after it. The
 * worst pair's quantized image differs by a constant in its right half,
 * so half its difference map is the brightest colour and half black. */
static QsImageReport *
make_long_report (void)
{
  QsImageReport *report = qs_image_report_new ("renders/baseline", "renders/uint4",
                                               QS_IMAGE_REPORT_DEFAULT_N_WORST);

  add_pair (report, "worst-half.png", 200, 150, 100, 60);
  for (guint i = 0; i < 59; i++)
    {
      g_autofree char *name = g_strdup_printf ("pair-%02u.png", i);

      add_pair (report, name, 64, 48, 1 + i % 12, 3 + (int) (i % 9));
    }
  qs_image_report_add_unmatched (report, QS_IMAGE_SIDE_QUANTIZED, "lonely.png");

  return report;
}

static void
test_pdf_pages_and_text (void)
{
  g_autoptr(QsImageReport) report = make_long_report ();
  g_autoptr(QsImageReportLayout) layout = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) all = g_string_new (NULL);
  g_autofree char *dir = report_test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "report.pdf", NULL);
  g_autofree char *contents = NULL;
  guint n_pages;
  guint header_pages = 0;
  guint pair_pages = 0;
  const char *table;

  g_assert_true (qs_image_report_write (report, QS_REPORT_FORMAT_PDF, path, &error));
  g_assert_no_error (error);
  report_test_save_output (path, "image-report.pdf");
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "%PDF-"));

  layout = qs_image_report_layout_new (report, QS_REPORT_A4_WIDTH, QS_REPORT_A4_HEIGHT, NULL);
  n_pages = qs_image_report_layout_get_n_pages (layout);
  /* Sixty rows and eight pairs of three images need several pages. */
  g_assert_cmpuint (n_pages, >=, 4);
  g_assert_cmpuint (n_pages, <=, 10);

  if (pdf_page_count (path) == 0)
    {
      report_test_remove_tree (dir);
      return;
    }
  g_assert_cmpuint (pdf_page_count (path), ==, n_pages);

  for (guint page = 0; page < n_pages; page++)
    {
      g_autofree char *text = page_text (path, page);
      g_autofree char *number = g_strdup_printf ("Page %u of %u", page + 1, n_pages);

      g_assert_nonnull (text);
      g_assert_nonnull (strstr (text, number));
      g_assert_nonnull (strstr (text, "Image comparison · renders/baseline vs renders/uint4"));
      if (strstr (text, "# File PSNR SSIM MAE Max diff") != NULL)
        header_pages++;
      if (strstr (text, "Difference") != NULL)
        pair_pages++;
      g_string_append (all, text);
    }

  /* The table continues on a second page under a repeated header. */
  g_assert_cmpuint (header_pages, >=, 2);
  g_assert_cmpuint (pair_pages, >=, 2);

  g_assert_nonnull (strstr (all->str, "Image comparison"));
  g_assert_nonnull (strstr (all->str, "Pairs compared"));
  g_assert_nonnull (strstr (all->str, "LPIPS is not computed"));
  g_assert_nonnull (strstr (all->str, "Only in the quantized (1): renders/uint4"));
  g_assert_nonnull (strstr (all->str, "lonely.png"));
  g_assert_nonnull (strstr (all->str, "The 8 pairs with the lowest SSIM"));
  g_assert_nonnull (strstr (all->str, "#1 worst-half.png"));

  /* The rows run from the lowest SSIM up: the worst pair first, then the
   * widest bands of the strongest change. */
  table = strstr (all->str, "# File PSNR SSIM MAE Max diff");
  g_assert_nonnull (table);
  g_assert_true (g_str_has_prefix (table + strlen ("# File PSNR SSIM MAE Max diff\n"),
                                   "1 worst-half.png"));
  g_assert_nonnull (strstr (table, "pair-58.png"));

  report_test_remove_tree (dir);
}

static void
test_pdf_heatmap_colours (void)
{
  g_autoptr(QsImageReport) report = make_long_report ();
  g_autoptr(QsImageReportLayout) layout = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = report_test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "report.pdf", NULL);
  guint n_pages;
  int first_pair_page = -1;

  layout = qs_image_report_layout_new (report, QS_REPORT_A4_WIDTH, QS_REPORT_A4_HEIGHT, NULL);
  n_pages = qs_image_report_layout_get_n_pages (layout);

  /* Drawn directly, only the pages with worst pairs contain the heatmap's
   * colours in bulk. The right half of the worst map is about 80×60
   * points, and a colour bar is 6 points high. */
  for (guint page = 0; page < n_pages; page++)
    {
      cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 596, 842);
      cairo_t *cr = cairo_create (surface);
      guint high;

      qs_image_report_layout_draw_page (layout, cr, page);
      cairo_destroy (cr);
      high = count_pixels_near (surface, HEAT_HIGH, 10);
      if (first_pair_page < 0 && high > 2000)
        {
          first_pair_page = (int) page;
          g_assert_cmpuint (count_pixels_near (surface, HEAT_LOW, 10), >, 2000);
        }
      else if (first_pair_page < 0)
        {
          g_assert_cmpuint (high, <, 50);
        }
      cairo_surface_destroy (surface);
    }
  g_assert_cmpint (first_pair_page, >, 0);

  /* The same page, rendered from the PDF file by poppler. */
  g_assert_true (qs_image_report_write (report, QS_REPORT_FORMAT_PDF, path, &error));
  g_assert_no_error (error);
  {
    cairo_surface_t *page = render_pdf_page (path, (guint) first_pair_page, dir);

    if (page != NULL)
      {
        g_assert_cmpuint (count_pixels_near (page, HEAT_HIGH, 10), >, 2000);
        g_assert_cmpuint (count_pixels_near (page, HEAT_LOW, 10), >, 2000);
        /* The severity colours of the metric pills are there too. */
        g_assert_cmpuint (count_pixels_near (page, "#d62828", 6), >, 100);
        cairo_surface_destroy (page);
      }
  }

  report_test_remove_tree (dir);
}

static void
test_write_formats_and_errors (void)
{
  g_autoptr(QsImageReport) report = make_report (2);
  g_autoptr(QsImageReport) empty = qs_image_report_new ("a", "b", 8);
  g_autoptr(QsImageReportLayout) empty_layout = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = report_test_make_tmp_dir ();
  g_autofree char *html_path = g_build_filename (dir, "report.html", NULL);
  g_autofree char *pdf_path = g_build_filename (dir, "report.pdf", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing", "report.html", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *empty_html = NULL;

  g_assert_true (qs_image_report_write (report, QS_REPORT_FORMAT_HTML, html_path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (html_path, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "<!DOCTYPE html>"));
  g_assert_cmpuint (count_occurrences (contents, "data:image/png;base64,"), ==, 6);
  g_clear_pointer (&contents, g_free);

  g_assert_true (qs_image_report_write (report, QS_REPORT_FORMAT_PDF, pdf_path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (pdf_path, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "%PDF-"));

  /* A folder that does not exist is an I/O error naming the path. */
  g_assert_false (qs_image_report_write (report, QS_REPORT_FORMAT_HTML, missing, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "missing"));
  g_clear_error (&error);

  /* A report without pairs still renders. */
  empty_html = qs_image_report_render_html (empty, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (empty_html, "<dt>Pairs compared</dt><dd class=\"num\">0</dd>"));
  assert_parses_as_html (empty_html);
  empty_layout = qs_image_report_layout_new (empty, QS_REPORT_A4_WIDTH, QS_REPORT_A4_HEIGHT, NULL);
  g_assert_cmpuint (qs_image_report_layout_get_n_pages (empty_layout), ==, 1);

  report_test_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qs/report/images/severity-bounds", test_severity_bounds);
  g_test_add_func ("/qs/report/images/html-structure", test_html_structure);
  g_test_add_func ("/qs/report/images/html-escaping", test_html_escaping);
  g_test_add_func ("/qs/report/images/downscale-and-heatmap", test_downscale_and_heatmap);
  g_test_add_func ("/qs/report/images/worst-selection", test_worst_selection);
  g_test_add_func ("/qs/report/images/size-mismatch", test_size_mismatch);
  g_test_add_func ("/qs/report/images/pdf-pages-and-text", test_pdf_pages_and_text);
  g_test_add_func ("/qs/report/images/pdf-heatmap-colours", test_pdf_heatmap_colours);
  g_test_add_func ("/qs/report/images/write-formats-and-errors", test_write_formats_and_errors);

  return report_test_run ();
}
