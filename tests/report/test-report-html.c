/* test-report-html.c: the HTML report, its escaping and the report writer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "qs-report.h"
#include "qs-report-highlight.h"
#include "qs-report-html.h"
#include "report-test-utils.h"

#define HOSTILE_NAME "<script>&\"x\".weight"
#define HOSTILE_ESCAPED "&lt;script&gt;&amp;&quot;x&quot;.weight"

static const char * const default_dtypes[] = { "uint4", "uint6", "uint8", "int8", NULL };

/* A two-component analysis with raw and SVD rows: an INF layer, a layer
 * whose name is HTML, layers on every step of the colour scale. */
static QsAnalysisResult *
make_result (gboolean with_svd)
{
  const gint64 group_sizes[] = { 0 };
  const guint ranks[] = { 32 };
  QsAnalysisResult *result = report_test_result_new (default_dtypes, group_sizes, 1,
                                                     with_svd ? ranks : NULL, 1, TRUE);
  const double inf_layer[] = { INFINITY, 0.004, 0.0002, 0.0003 };
  const double hostile[] = { 0.3, 0.2, 0.15, 0.12 };
  const double promote[] = { 0.04, 0.008, 0.0004, 0.0005 };
  const double ok[] = { 0.0008, 0.0001, 0.00001, 0.00002 };
  const double high[] = { 0.09, 0.03, 0.0009, 0.001 };

  report_test_add_layer (result, "transformer", "blocks.0.attn.to_q.weight", 128, 64, inf_layer);
  report_test_add_layer (result, "transformer", HOSTILE_NAME, 64, 64, hostile);
  report_test_add_layer (result, "transformer", "blocks.1.ff.net.0.proj.weight", 256, 64, promote);
  report_test_add_layer (result, "text_encoder", "encoder.layers.0.fc1.weight", 64, 128, ok);
  report_test_add_layer (result, "text_encoder", "encoder.layers.0.fc2.weight", 128, 64, high);

  return result;
}

static QsSummary *
make_summary (QsAnalysisResult *result,
              gboolean          auto_config)
{
  QsSummaryOptions options = { 0.1, 0.01, 30, auto_config };

  return qs_summary_new_full (result, &options);
}

static guint
count_occurrences (const char *haystack,
                   const char *needle)
{
  guint count = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    count++;

  return count;
}

/* Returns the text of the element with id="@id" up to the end of its
 * section, so checks can look inside one table. */
static char *
dup_section (const char *html,
             const char *id)
{
  g_autofree char *needle = g_strdup_printf ("id=\"%s\"", id);
  const char *start = strstr (html, needle);
  const char *end;

  if (start == NULL)
    return NULL;
  end = strstr (start, "</table>");
  g_assert_nonnull (end);

  return g_strndup (start, end - start);
}

/* Drops xmllint's complaints about HTML5 sectioning elements, which its
 * HTML 4 parser does not know, and returns every other message. Each
 * message is three lines: the error, the source line and a caret. */
static char *
filter_html5_tags (const char *messages)
{
  g_auto(GStrv) lines = g_strsplit (messages, "\n", -1);
  g_autoptr(GRegex) html5 = g_regex_new ("HTML parser error : Tag (main|header|section|footer) invalid$",
                                         0, 0, NULL);
  GString *rest = g_string_new (NULL);

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

/* Asserts that xmllint's HTML parser reads @html without a complaint
 * beyond the HTML5 element names. */
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
 * url() or @import that points at a host. */
static void
assert_no_external_requests (const char *html)
{
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GMatchInfo) match = NULL;

  regex = g_regex_new ("(src|href|action)\\s*=\\s*[\"']?\\s*(https?:|//)|url\\(\\s*[\"']?\\s*(https?:|//)"
                       "|@import",
                       G_REGEX_CASELESS, 0, NULL);
  g_assert_nonnull (regex);
  if (g_regex_match (regex, html, 0, &match))
    {
      g_autofree char *found = g_match_info_fetch (match, 0);

      g_error ("the report requests “%s”", found);
    }
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

static void
test_xmllint_catches_errors (void)
{
  g_autofree char *dir = report_test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "broken.html", NULL);
  g_autofree char *err = NULL;
  g_autofree char *rest = NULL;
  const char *argv[] = { "--html", "--noout", path, NULL };

  /* The filter keeps real errors: an undefined entity and a stray end
   * tag next to an HTML5 element. */
  g_assert_true (g_file_set_contents (path, "<!DOCTYPE html><html><body><main><p>a &bogus; b"
                                      "</div></main></body></html>", -1, NULL));
  if (report_test_run_tool ("QS_TEST_XMLLINT", argv, NULL, &err))
    {
      rest = filter_html5_tags (err);
      g_assert_nonnull (strstr (rest, "bogus"));
      g_assert_null (strstr (rest, "Tag main invalid"));
    }
  report_test_remove_tree (dir);
}

static void
test_structure (void)
{
  g_autoptr(QsAnalysisResult) result = make_result (TRUE);
  g_autoptr(QsSummary) summary = make_summary (result, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *html = NULL;
  g_autofree char *layers = NULL;

  html = qs_report_html_render (result, summary, QS_CONFIG_STYLE_SCRIPT, FALSE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (html);

  g_assert_true (g_str_has_prefix (html, "<!DOCTYPE html>"));
  assert_parses_as_html (html);
  assert_no_external_requests (html);

  /* The title block, the statistics and the badges. */
  g_assert_nonnull (strstr (html, "test-org/Tiny-Model"));
  g_assert_nonnull (strstr (html, "2024-05-01 12:30 UTC"));
  g_assert_nonnull (strstr (html, "<span class=\"badge ok\">OK</span>"));
  g_assert_nonnull (strstr (html, "<span class=\"badge promote\">PROMOTE</span>"));
  g_assert_nonnull (strstr (html, "<span class=\"badge skip\">SKIP</span>"));
  g_assert_nonnull (strstr (html, "Layers analysed"));
  g_assert_nonnull (strstr (html, "Layers with INF NMSE"));

  /* No chart in plain HTML. */
  g_assert_null (strstr (html, "data:image/png"));

  /* The heatmap: every layer is a row, with a component column because
   * there are two components, and the INF cell is on the top step. */
  layers = dup_section (html, "layers");
  g_assert_nonnull (layers);
  g_assert_cmpuint (count_occurrences (layers, "<tr>"), ==, 1 + 5);
  g_assert_nonnull (strstr (layers, ">Component</th>"));
  g_assert_nonnull (strstr (layers, ">uint4</th>"));
  g_assert_nonnull (strstr (layers, ">int8</th>"));
  g_assert_nonnull (strstr (layers, "blocks.0.attn.to_q.weight"));
  g_assert_nonnull (strstr (layers, "encoder.layers.0.fc2.weight"));
  g_assert_nonnull (strstr (layers, "<td class=\"num heat sev-4\">INF</td>"));
  /* 0.04 is over the promote threshold and under half the skip one. */
  g_assert_nonnull (strstr (layers, "<td class=\"num heat sev-2\" title=\"0.04\">4.0000e-02</td>"));
  g_assert_nonnull (strstr (layers, "<td class=\"num heat sev-0\" title=\"0.0008\">8.0000e-04</td>"));
  g_assert_nonnull (strstr (layers, "<span class=\"badge promote\">&gt;uint6</span>"));
  /* The worst layer comes first. */
  g_assert_true (strstr (layers, "blocks.0.attn.to_q.weight") < strstr (layers, HOSTILE_ESCAPED));

  /* The colour scale is the chart's. */
  g_assert_nonnull (strstr (html, "td.sev-0, .swatch.sev-0 { background: #2d6a4f;"));
  g_assert_nonnull (strstr (html, "td.sev-1, .swatch.sev-1 { background: #40916c;"));
  g_assert_nonnull (strstr (html, "td.sev-2, .swatch.sev-2 { background: #b8860b;"));
  g_assert_nonnull (strstr (html, "td.sev-3, .swatch.sev-3 { background: #e76f51;"));
  g_assert_nonnull (strstr (html, "td.sev-4, .swatch.sev-4 { background: #d62828;"));

  /* Layout rules of the page. */
  g_assert_nonnull (strstr (html, "max-width: 1400px"));
  g_assert_nonnull (strstr (html, "position: sticky"));
  g_assert_nonnull (strstr (html, "@media print"));
  g_assert_nonnull (strstr (html, "--bg: #15171a"));
}

static void
test_escaping (void)
{
  g_autoptr(QsAnalysisResult) result = make_result (TRUE);
  g_autoptr(QsSummary) summary = make_summary (result, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *html = NULL;

  qs_analysis_result_set_provenance (result, "model", "org/<b>model</b>&co");
  html = qs_report_html_render (result, summary, QS_CONFIG_STYLE_SCRIPT, TRUE, &error);
  g_assert_no_error (error);

  /* The layer name shows up in the heatmap, the SVD table, the title
   * attribute and the config snippet, each time escaped. */
  g_assert_null (strstr (html, HOSTILE_NAME));
  g_assert_null (strstr (html, "<script>&"));
  g_assert_cmpuint (count_occurrences (html, HOSTILE_ESCAPED), >=, 3);
  /* Our own copy script is the only script element. */
  g_assert_cmpuint (count_occurrences (html, "<script"), ==, 1);

  g_assert_null (strstr (html, "<b>model</b>"));
  g_assert_nonnull (strstr (html, "org/&lt;b&gt;model&lt;/b&gt;&amp;co"));

  assert_parses_as_html (html);
}

static void
test_snippets (void)
{
  g_autoptr(QsAnalysisResult) result = make_result (FALSE);
  g_autoptr(QsSummary) summary = make_summary (result, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *html = NULL;

  html = qs_report_html_render (result, summary, QS_CONFIG_STYLE_SCRIPT, FALSE, &error);
  g_assert_no_error (error);

  /* One snippet per component, highlighted, each with a copy button. */
  g_assert_cmpuint (summary->configs->len, ==, 2);
  g_assert_cmpuint (count_occurrences (html, "<button type=\"button\" class=\"copy\""), ==, 2);
  g_assert_nonnull (strstr (html, "data-target=\"snippet-0\""));
  g_assert_nonnull (strstr (html, "<code id=\"snippet-1\" class=\"language-python\">"));
  g_assert_nonnull (strstr (html, "SDNQConfig("));
  g_assert_nonnull (strstr (html, "weights_dtype=<span class=\"tok-str\">&quot;uint4&quot;</span>"));
  g_assert_nonnull (strstr (html, "<span class=\"component\">transformer</span>"));
  g_assert_nonnull (strstr (html, "<span class=\"component\">text_encoder</span>"));
  g_assert_nonnull (strstr (html, "navigator.clipboard"));
  g_assert_nonnull (strstr (html, "execCommand(\"copy\")"));
  g_assert_nonnull (strstr (html, ".tok-kw"));
}

static void
test_highlight (void)
{
  g_autofree char *html = qs_report_highlight_python_html ("SDNQConfig(a=\"x<y\", b=1e-3, c=True)  # n'"
                                                           "\nd = [2, 'q\\'s']");

  g_assert_cmpstr (html, ==,
                   "SDNQConfig(a=<span class=\"tok-str\">&quot;x&lt;y&quot;</span>, "
                   "b=<span class=\"tok-num\">1e-3</span>, c=<span class=\"tok-kw\">True</span>)  "
                   "<span class=\"tok-com\"># n&#39;</span>\nd = [<span class=\"tok-num\">2</span>, "
                   "<span class=\"tok-str\">&#39;q\\&#39;s&#39;</span>]");
}

static void
test_embedded_chart (void)
{
  g_autoptr(QsAnalysisResult) result = make_result (TRUE);
  g_autoptr(QsSummary) summary = make_summary (result, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *html = NULL;
  const char *prefix = "src=\"data:image/png;base64,";
  const char *start;
  const char *end;
  g_autofree char *base64 = NULL;
  g_autofree guchar *png = NULL;
  gsize png_length;

  html = qs_report_html_render (result, summary, QS_CONFIG_STYLE_SCRIPT, TRUE, &error);
  g_assert_no_error (error);

  /* A dark chart for screens and a light one for print. */
  g_assert_cmpuint (count_occurrences (html, prefix), ==, 2);
  g_assert_nonnull (strstr (html, "class=\"chart chart-dark\""));
  g_assert_nonnull (strstr (html, "class=\"chart chart-light\""));
  assert_no_external_requests (html);
  assert_parses_as_html (html);

  start = strstr (html, prefix) + strlen (prefix);
  end = strchr (start, '"');
  base64 = g_strndup (start, end - start);
  png = g_base64_decode (base64, &png_length);
  g_assert_cmpuint (png_length, >, 1000);
  g_assert_cmpmem (png, 8, "\x89PNG\r\n\x1a\n", 8);
}

static void
test_auto_config (void)
{
  g_autoptr(QsAnalysisResult) result = make_result (TRUE);
  g_autoptr(QsSummary) summary = make_summary (result, TRUE);
  g_autoptr(GError) error = NULL;
  g_autofree char *html = NULL;
  g_autofree char *table = NULL;
  g_autofree char *sizes = NULL;
  g_autofree char *fp16 = NULL;

  g_assert_true (summary->has_auto_config);
  html = qs_report_html_render (result, summary, QS_CONFIG_STYLE_UPSTREAM, FALSE, &error);
  g_assert_no_error (error);
  assert_parses_as_html (html);
  save_html (html, "report-auto.html");

  /* The auto-config table takes the heatmap's place. */
  g_assert_null (strstr (html, "id=\"layers\""));
  table = dup_section (html, "auto-config");
  g_assert_nonnull (table);
  g_assert_cmpuint (count_occurrences (table, "<tr>"), ==, 1 + 5);
  g_assert_nonnull (strstr (table, ">SVD rank</th>"));
  /* The hostile layer has no passing format and stays in FP16. */
  g_assert_nonnull (strstr (table, "<span class=\"badge skip\">SKIP</span>"));

  /* Size estimates, in total and per component. */
  fp16 = g_format_size_full (summary->total.fp16_bytes, G_FORMAT_SIZE_IEC_UNITS);
  g_assert_nonnull (strstr (html, "Size estimates"));
  g_assert_nonnull (strstr (html, fp16));
  g_assert_nonnull (strstr (html, "Saving against FP16"));
  sizes = dup_section (html, "component-sizes");
  g_assert_nonnull (sizes);
  g_assert_nonnull (strstr (sizes, ">transformer</td>"));
  g_assert_nonnull (strstr (sizes, ">text_encoder</td>"));
  g_assert_nonnull (strstr (sizes, ">Total</td>"));

  g_assert_nonnull (strstr (html, "modules_quant_config"));
}

static void
test_svd_table (void)
{
  g_autoptr(QsAnalysisResult) with_svd = make_result (TRUE);
  g_autoptr(QsAnalysisResult) without_svd = make_result (FALSE);
  g_autoptr(QsSummary) summary = make_summary (with_svd, FALSE);
  g_autoptr(QsSummary) raw_summary = make_summary (without_svd, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *html = NULL;
  g_autofree char *raw_html = NULL;
  g_autofree char *table = NULL;

  html = qs_report_html_render (with_svd, summary, QS_CONFIG_STYLE_SCRIPT, FALSE, &error);
  g_assert_no_error (error);
  raw_html = qs_report_html_render (without_svd, raw_summary, QS_CONFIG_STYLE_SCRIPT, FALSE, &error);
  g_assert_no_error (error);

  g_assert_null (strstr (raw_html, "id=\"svd\""));
  table = dup_section (html, "svd");
  g_assert_nonnull (table);
  g_assert_nonnull (strstr (table, ">Rank 32 NMSE</th>"));
  /* SVD divides every NMSE by 4 here: 0.04 becomes 0.01, which passes. */
  g_assert_nonnull (strstr (table, "<span class=\"badge ok\">OK, rescued</span>"));
  g_assert_nonnull (strstr (table, ">4.00×</td>"));
  g_assert_cmpuint (summary->n_svd_rescued[0], >=, 1);
}

static void
test_group_size_columns (void)
{
  const gint64 group_sizes[] = { 32, 64, -1 };
  g_autoptr(QsAnalysisResult) result = report_test_result_new (default_dtypes, group_sizes, 3,
                                                               NULL, 0, TRUE);
  const double values[] = { 0.02, 0.002, 0.0001, 0.0001 };
  g_autoptr(QsSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *html = NULL;
  g_autofree char *table = NULL;

  report_test_add_layer (result, "transformer", "blocks.0.weight", 64, 64, values);
  summary = make_summary (result, FALSE);
  g_assert_cmpint (summary->axis, ==, QS_SUMMARY_AXIS_GROUP_SIZE);

  html = qs_report_html_render (result, summary, QS_CONFIG_STYLE_SCRIPT, FALSE, &error);
  g_assert_no_error (error);
  table = dup_section (html, "layers");
  g_assert_nonnull (strstr (table, ">g32</th>"));
  g_assert_nonnull (strstr (table, ">g64</th>"));
  g_assert_nonnull (strstr (table, ">row-wise</th>"));
  g_assert_null (strstr (table, ">uint6</th>"));
  /* One component: no component column. */
  g_assert_null (strstr (table, ">Component</th>"));
  /* g32 scales 0.02 by 0.7 and row-wise by 2. */
  g_assert_nonnull (strstr (table, ">1.4000e-02</td>"));
  g_assert_nonnull (strstr (table, ">4.0000e-02</td>"));
}

static void
test_partial_and_empty (void)
{
  g_autoptr(QsAnalysisResult) result = report_test_default_result_new ();
  g_autoptr(QsSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *html = NULL;
  g_autofree char *layers = NULL;

  /* A run stopped before its first layer finished. */
  qs_analysis_result_set_complete (result, FALSE);
  qs_analysis_result_set_n_layers_planned (result, 12);
  summary = make_summary (result, FALSE);

  html = qs_report_html_render (result, summary, QS_CONFIG_STYLE_SCRIPT, TRUE, &error);
  g_assert_no_error (error);
  assert_parses_as_html (html);
  g_assert_nonnull (strstr (html, "The analysis stopped early: 0 of 12 layers were analysed"));
  g_assert_null (strstr (html, "data:image/png"));
  g_assert_nonnull (strstr (html, "The summary holds no config."));
  layers = dup_section (html, "layers");
  g_assert_cmpuint (count_occurrences (layers, "<tr>"), ==, 1);
}

static void
test_write_and_default_path (void)
{
  g_autoptr(QsAnalysisResult) result = make_result (TRUE);
  g_autoptr(QsSummary) summary = make_summary (result, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = report_test_make_tmp_dir ();
  g_autofree char *csv = g_build_filename (dir, "out.v2.csv", NULL);
  g_autofree char *path = qs_report_default_path (csv, QS_REPORT_FORMAT_HTML_PNG);
  g_autofree char *expected = g_build_filename (dir, "out.v2_report.html", NULL);
  g_autofree char *missing = g_build_filename (dir, "no-such-folder", "r.html", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *pdf = NULL;
  g_autofree char *hidden = NULL;
  g_autoptr(GDir) listing = NULL;
  QsReportFormat format;
  guint n_files = 0;

  g_assert_cmpstr (path, ==, expected);
  plain = qs_report_default_path (NULL, QS_REPORT_FORMAT_HTML);
  g_assert_cmpstr (plain, ==, "quant_sensitivity_report_report.html");
  pdf = qs_report_default_path ("runs.d/report", QS_REPORT_FORMAT_PDF);
  g_assert_cmpstr (pdf, ==, "runs.d/report_report.pdf");
  hidden = qs_report_default_path ("/tmp/.csv", QS_REPORT_FORMAT_PDF);
  g_assert_cmpstr (hidden, ==, "/tmp/.csv_report.pdf");

  g_assert_true (qs_report_format_from_string ("html-png", &format));
  g_assert_cmpint (format, ==, QS_REPORT_FORMAT_HTML_PNG);
  g_assert_true (qs_report_format_from_string ("pdf", &format));
  g_assert_cmpint (format, ==, QS_REPORT_FORMAT_PDF);
  g_assert_false (qs_report_format_from_string ("docx", &format));
  g_assert_cmpstr (qs_report_format_to_string (QS_REPORT_FORMAT_HTML), ==, "html");

  g_assert_true (qs_report_write (result, summary, QS_REPORT_FORMAT_HTML_PNG, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "<!DOCTYPE html>"));
  g_assert_nonnull (strstr (contents, "data:image/png;base64,"));
  report_test_save_output (path, "report.html");

  g_assert_false (qs_report_write (result, summary, QS_REPORT_FORMAT_HTML, missing, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, "no-such-folder"));
  g_clear_error (&error);

  /* Only the finished report is left: no temporary files. */
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

  g_test_add_func ("/qs/report/html/xmllint-catches-errors", test_xmllint_catches_errors);
  g_test_add_func ("/qs/report/html/structure", test_structure);
  g_test_add_func ("/qs/report/html/escaping", test_escaping);
  g_test_add_func ("/qs/report/html/snippets", test_snippets);
  g_test_add_func ("/qs/report/html/highlight", test_highlight);
  g_test_add_func ("/qs/report/html/embedded-chart", test_embedded_chart);
  g_test_add_func ("/qs/report/html/auto-config", test_auto_config);
  g_test_add_func ("/qs/report/html/svd-table", test_svd_table);
  g_test_add_func ("/qs/report/html/group-size-columns", test_group_size_columns);
  g_test_add_func ("/qs/report/html/partial-and-empty", test_partial_and_empty);
  g_test_add_func ("/qs/report/html/write-and-default-path", test_write_and_default_path);

  return report_test_run ();
}
