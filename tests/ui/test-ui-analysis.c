/* test-ui-analysis.c: analysing the demo model through the window's actions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "qs-analysis-io.h"
#include "qs-layer-row.h"
#include "ui-test-utils.h"

typedef struct
{
  QsApplication *app;
  QsWindow      *window;
  char          *tmp_dir;
  GPtrArray     *written;
  GPtrArray     *failures;
} Fixture;

static void
file_written_cb (QsWindow   *window,
                 const char *path,
                 Fixture    *fixture)
{
  g_ptr_array_add (fixture->written, g_strdup (path));
}

static void
operation_failed_cb (QsWindow   *window,
                     const char *message,
                     Fixture    *fixture)
{
  g_ptr_array_add (fixture->failures, g_strdup (message));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->tmp_dir = g_dir_make_tmp ("qs-ui-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->written = g_ptr_array_new_with_free_func (g_free);
  fixture->failures = g_ptr_array_new_with_free_func (g_free);
  fixture->app = ui_test_app_new (&fixture->window);
  g_signal_connect (fixture->window, "file-written", G_CALLBACK (file_written_cb), fixture);
  g_signal_connect (fixture->window, "operation-failed", G_CALLBACK (operation_failed_cb), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  for (guint i = 0; i < fixture->failures->len; i++)
    g_test_message ("operation failed: %s", (char *) g_ptr_array_index (fixture->failures, i));

  ui_test_app_free (g_steal_pointer (&fixture->app));
  ui_test_remove_tree (fixture->tmp_dir);
  g_free (fixture->tmp_dir);
  g_ptr_array_unref (fixture->written);
  g_ptr_array_unref (fixture->failures);
}

static void
analyse_demo (Fixture *fixture)
{
  QsSetupPage *setup;

  ui_test_open_demo (fixture->window);
  setup = qs_window_get_setup_page (fixture->window);
  g_assert_true (qs_setup_page_get_valid (setup));
  g_assert_null (qs_setup_page_get_invalid_reason (setup));

  ui_test_activate (fixture->window, "analyze", NULL);
  g_assert_true (ui_test_wait_for_stage (fixture->window, QS_WINDOW_STAGE_RESULTS, 120));
}

static guint
count_rows_with_verdict (GListModel *rows,
                         QsVerdict   verdict)
{
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(QsLayerRow) row = g_list_model_get_item (rows, i);

      if (qs_layer_row_has_summary (row) && qs_layer_row_get_verdict (row) == verdict)
        n++;
    }

  return n;
}

static gboolean
widget_allocated_cb (gpointer user_data)
{
  return gtk_widget_get_width (GTK_WIDGET (user_data)) > 0
         && gtk_widget_get_height (GTK_WIDGET (user_data)) > 0;
}

static void
test_demo_to_results (Fixture       *fixture,
                      gconstpointer  data)
{
  QsResultsPage *results;
  QsAnalysisResult *result;
  const QsSummary *summary;
  QsLayerTable *table;
  GListModel *rows;
  GListModel *visible;
  guint n_layers;

  analyse_demo (fixture);

  results = qs_window_get_results_page (fixture->window);
  result = qs_results_page_get_result (results);
  summary = qs_results_page_get_summary (results);
  g_assert_nonnull (result);
  g_assert_nonnull (summary);
  g_assert_true (qs_analysis_result_get_complete (result));

  /* The demo pipeline: 15 Linear layers in the text encoder and the Conv
   * layers of the VAE decoder; every one analysed and in the table. */
  n_layers = qs_analysis_result_get_n_layers (result);
  g_assert_cmpuint (n_layers, ==, qs_analysis_result_get_n_layers_planned (result));
  g_assert_cmpuint (n_layers, >=, 40);
  g_assert_cmpuint (summary->n_layers, ==, n_layers);
  g_assert_cmpuint (summary->n_ok + summary->n_promote + summary->n_skip + summary->n_error, ==,
                    n_layers);
  g_assert_cmpuint (summary->n_components, ==, 2);

  rows = qs_results_page_get_rows (results);
  table = qs_results_page_get_layer_table (results);
  visible = qs_layer_table_get_visible_rows (table);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, n_layers);
  g_assert_cmpuint (g_list_model_get_n_items (visible), ==, n_layers);
  g_assert_cmpuint (count_rows_with_verdict (rows, QS_VERDICT_OK), ==, summary->n_ok);
  g_assert_cmpuint (count_rows_with_verdict (rows, QS_VERDICT_PROMOTE), ==, summary->n_promote);

  /* Every row carries its layer's NMSE in each summary column. */
  for (guint i = 0; i < n_layers; i++)
    {
      g_autoptr(QsLayerRow) row = g_list_model_get_item (rows, i);
      const QsLayerSummary *layer = g_ptr_array_index (summary->layers, i);

      g_assert_cmpstr (qs_layer_row_get_name (row), ==, layer->layer->name);
      g_assert_cmpuint (qs_layer_row_get_n_columns (row), ==, summary->n_columns);
      g_assert_cmpfloat (qs_layer_row_get_primary_nmse (row), ==, layer->primary_nmse);
    }

  /* The chart shows the top layers; the demo ran raw and SVD, so the SVD
   * comparison exists, and one config per component was written. */
  g_assert_cmpuint (qs_chart_widget_get_n_bars (qs_results_page_get_chart (results)), ==,
                    summary->top->len);
  g_assert_true (summary->has_svd_comparison);
  g_assert_cmpuint (qs_results_page_get_n_snippets (results), ==, summary->configs->len);
  g_assert_cmpuint (summary->configs->len, ==, 2);

  /* The chart names the bar under the pointer in its tooltip. */
  {
    QsChartWidget *chart = qs_results_page_get_chart (results);
    int width;
    int height;
    g_autofree char *tooltip = NULL;

    g_assert_true (ui_test_wait_until (widget_allocated_cb, chart, 10));
    width = gtk_widget_get_width (GTK_WIDGET (chart));
    height = gtk_widget_get_height (GTK_WIDGET (chart));
    g_assert_cmpint (width, >, 0);
    g_assert_cmpint (height, >, 0);
    for (int y = 0; y < height && tooltip == NULL; y += 2)
      tooltip = qs_chart_widget_describe_point (chart, width / 2.0, y);
    g_assert_nonnull (tooltip);
    g_assert_nonnull (strstr (tooltip, "NMSE"));
    g_assert_null (qs_chart_widget_describe_point (chart, width / 2.0, height + 10.0));
  }

  /* Results enable the export actions and disable cancel. */
  g_assert_true (ui_test_action_enabled (fixture->window, "save-analysis"));
  g_assert_true (ui_test_action_enabled (fixture->window, "export"));
  g_assert_true (ui_test_action_enabled (fixture->window, "print"));
  g_assert_false (ui_test_action_enabled (fixture->window, "cancel"));
}

static void
test_thresholds_change_verdicts (Fixture       *fixture,
                                 gconstpointer  data)
{
  QsResultsPage *results;
  QsLayerTable *table;
  const QsSummary *summary;
  guint n_layers;
  guint ok_before;
  guint promote_before;
  double worst;
  double median;

  analyse_demo (fixture);
  results = qs_window_get_results_page (fixture->window);
  table = qs_results_page_get_layer_table (results);
  summary = qs_results_page_get_summary (results);
  n_layers = summary->n_layers;
  ok_before = summary->n_ok;
  promote_before = summary->n_promote;
  worst = summary->nmse_worst;
  median = summary->nmse_median;
  g_assert_cmpfloat (summary->promote_threshold, ==, 0.01);

  /* A promote threshold under the median primary NMSE sends at least half
   * of the layers to a wider dtype. */
  qs_results_page_set_thresholds (results, median * 0.99, 0.1);
  summary = qs_results_page_get_summary (results);
  g_assert_cmpfloat_with_epsilon (summary->promote_threshold, median * 0.99, 1e-5);
  g_assert_cmpuint (summary->n_layers, ==, n_layers);
  g_assert_cmpuint (summary->n_ok, <, ok_before);
  g_assert_cmpuint (summary->n_promote + summary->n_skip, >=, n_layers / 2);
  g_assert_cmpuint (summary->n_promote, >, promote_before);

  /* The table's verdict filter follows the new verdicts at once. */
  qs_layer_table_set_verdict_filter (table, QS_VERDICT_PROMOTE);
  g_assert_cmpuint (g_list_model_get_n_items (qs_layer_table_get_visible_rows (table)), ==,
                    summary->n_promote);
  qs_layer_table_set_verdict_filter (table, QS_VERDICT_OK);
  g_assert_cmpuint (g_list_model_get_n_items (qs_layer_table_get_visible_rows (table)), ==,
                    summary->n_ok);
  qs_layer_table_set_verdict_filter (table, -1);

  /* A promote threshold above the worst NMSE makes every layer OK. */
  qs_results_page_set_thresholds (results, MIN (worst * 1.5, 0.1), 0.1);
  summary = qs_results_page_get_summary (results);
  g_assert_cmpuint (summary->n_ok, ==, n_layers);
  g_assert_cmpuint (summary->n_promote, ==, 0);
  g_assert_cmpuint (count_rows_with_verdict (qs_results_page_get_rows (results), QS_VERDICT_OK), ==,
                    n_layers);

  /* An invalid pair (promote above skip) keeps the last valid summary. */
  qs_results_page_set_thresholds (results, 0.05, 0.01);
  g_assert_cmpfloat (qs_results_page_get_summary (results)->promote_threshold, ==,
                     summary->promote_threshold);

  /* Auto-config is derived from the same result without recomputing. */
  qs_results_page_set_thresholds (results, 0.01, 0.1);
  qs_results_page_set_auto_config (results, TRUE);
  summary = qs_results_page_get_summary (results);
  g_assert_true (summary->has_auto_config);
  g_assert_cmpuint (summary->total.recommended_bytes, >, 0);
  g_assert_cmpuint (summary->total.recommended_bytes, <, summary->total.fp16_bytes);
}

static void
test_search_layers (Fixture       *fixture,
                    gconstpointer  data)
{
  QsResultsPage *results;
  QsLayerTable *table;
  GListModel *rows;
  GListModel *visible;
  guint expected = 0;

  analyse_demo (fixture);
  results = qs_window_get_results_page (fixture->window);
  table = qs_results_page_get_layer_table (results);
  rows = qs_results_page_get_rows (results);

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(QsLayerRow) row = g_list_model_get_item (rows, i);

      if (strstr (qs_layer_row_get_name (row), "self_attn") != NULL)
        expected++;
    }
  g_assert_cmpuint (expected, ==, 8);

  ui_test_activate (fixture->window, "search", NULL);
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (qs_results_page_get_stack (results)), ==,
                   "layers");

  qs_layer_table_set_search_text (table, "SELF_ATTN");
  visible = qs_layer_table_get_visible_rows (table);
  g_assert_cmpuint (g_list_model_get_n_items (visible), ==, expected);

  /* Selecting a row fills the details pane without warnings. */
  qs_layer_table_select (table, 0);
  ui_test_spin (50);

  qs_layer_table_set_search_text (table, "");
  g_assert_cmpuint (g_list_model_get_n_items (visible), ==, g_list_model_get_n_items (rows));
}

static void
test_invalid_settings (Fixture       *fixture,
                       gconstpointer  data)
{
  QsSetupPage *setup;

  ui_test_open_demo (fixture->window);
  setup = qs_window_get_setup_page (fixture->window);
  g_assert_true (ui_test_action_enabled (fixture->window, "analyze"));

  qs_setup_page_set_use_raw (setup, FALSE);
  qs_setup_page_set_use_svd (setup, FALSE);
  g_assert_false (qs_setup_page_get_valid (setup));
  g_assert_nonnull (qs_setup_page_get_invalid_reason (setup));
  g_assert_false (ui_test_action_enabled (fixture->window, "analyze"));
  qs_setup_page_set_use_raw (setup, TRUE);
  g_assert_true (ui_test_action_enabled (fixture->window, "analyze"));

  qs_setup_page_set_dtypes_text (setup, "");
  g_assert_false (qs_setup_page_get_valid (setup));
  g_assert_false (ui_test_action_enabled (fixture->window, "analyze"));

  qs_setup_page_set_dtypes_text (setup, "uint4, uint77");
  g_assert_false (qs_setup_page_get_valid (setup));
  g_assert_nonnull (strstr (qs_setup_page_get_invalid_reason (setup), "uint77"));

  qs_setup_page_set_dtypes_text (setup, "uint4 int8");
  g_assert_true (qs_setup_page_get_valid (setup));

  qs_setup_page_set_component_selected (setup, 0, FALSE);
  qs_setup_page_set_component_selected (setup, 1, FALSE);
  g_assert_false (qs_setup_page_get_valid (setup));
  g_assert_false (ui_test_action_enabled (fixture->window, "analyze"));
  qs_setup_page_set_component_selected (setup, 1, TRUE);
  g_assert_true (qs_setup_page_get_valid (setup));
}

static void
test_open_missing_model (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *missing = g_build_filename (fixture->tmp_dir, "no-such-model", NULL);

  ui_test_activate (fixture->window, "open-model-path", g_variant_new_string (missing));
  g_assert_true (ui_test_wait_not_busy (fixture->window, 20));
  g_assert_cmpint (qs_window_get_stage (fixture->window), ==, QS_WINDOW_STAGE_START);
  g_assert_cmpuint (fixture->failures->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (fixture->failures, 0), "no-such-model"));
}

static gboolean
has_written_cb (gpointer user_data)
{
  Fixture *fixture = user_data;

  return fixture->written->len > 0 || fixture->failures->len > 0;
}

static void
wait_written (Fixture    *fixture,
              const char *path)
{
  g_ptr_array_set_size (fixture->written, 0);
  g_assert_true (ui_test_wait_until (has_written_cb, fixture, 60));
  g_assert_cmpuint (fixture->failures->len, ==, 0);
  g_assert_cmpstr (g_ptr_array_index (fixture->written, 0), ==, path);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
}

static void
test_export_pdf (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *pdf = g_build_filename (fixture->tmp_dir, "report.pdf", NULL);
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr(GError) error = NULL;
  const char *pdftotext = g_getenv ("QS_TEST_PDFTOTEXT");
  const QsSummary *summary;

  analyse_demo (fixture);
  summary = qs_results_page_get_summary (qs_window_get_results_page (fixture->window));

  g_ptr_array_set_size (fixture->written, 0);
  ui_test_activate (fixture->window, "export-to", g_variant_new_string (pdf));
  wait_written (fixture, pdf);

  g_file_get_contents (pdf, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, >, 1000);
  g_assert_true (memcmp (contents, "%PDF-", 5) == 0);
  g_assert_nonnull (g_strstr_len (contents + MAX (length, 1024) - 1024, 1024, "%%EOF"));

  if (pdftotext == NULL)
    {
      g_test_message ("pdftotext not found; the PDF text is not checked");
      return;
    }

  {
    const char *argv[] = { pdftotext, "-layout", pdf, "-", NULL };
    g_autofree char *text = NULL;
    g_autofree char *err = NULL;
    int status = -1;
    const QsLayerSummary *worst = g_ptr_array_index (summary->top, 0);

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &text, &err, &status, &error);
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, &error));
    g_assert_no_error (error);

    /* The most sensitive layer heads the table; the demo's layer names and
     * components appear in the printed pages. */
    g_assert_nonnull (strstr (text, worst->layer->name));
    g_assert_nonnull (strstr (text, "text_encoder"));
    g_assert_nonnull (strstr (text, "vae_decoder"));
    g_assert_nonnull (strstr (text, "SDNQConfig"));
  }
}

static void
test_save_export_and_reopen (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *json = g_build_filename (fixture->tmp_dir, "analysis.json", NULL);
  g_autofree char *csv = g_build_filename (fixture->tmp_dir, "table.csv", NULL);
  g_autofree char *html = g_build_filename (fixture->tmp_dir, "report.html", NULL);
  g_autofree char *config = g_build_filename (fixture->tmp_dir, "pipeline.json", NULL);
  g_autofree char *csv_text = NULL;
  g_autofree char *html_text = NULL;
  g_autofree char *config_text = NULL;
  g_autoptr(GError) error = NULL;
  QsResultsPage *results;
  QsAnalysisResult *first;
  guint n_layers;
  guint n_promote;
  g_auto(GStrv) recent = NULL;

  analyse_demo (fixture);
  results = qs_window_get_results_page (fixture->window);
  first = g_object_ref (qs_results_page_get_result (results));
  n_layers = qs_analysis_result_get_n_layers (first);
  n_promote = qs_results_page_get_summary (results)->n_promote;

  ui_test_activate (fixture->window, "save-analysis-to", g_variant_new_string (json));
  wait_written (fixture, json);
  ui_test_activate (fixture->window, "export-to", g_variant_new_string (csv));
  wait_written (fixture, csv);
  ui_test_activate (fixture->window, "export-to", g_variant_new_string (html));
  wait_written (fixture, html);
  ui_test_activate (fixture->window, "save-pipeline-config-to", g_variant_new_string (config));
  wait_written (fixture, config);

  g_file_get_contents (csv, &csv_text, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (csv_text, "component,param_name,layer_class"));
  g_file_get_contents (html, &html_text, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (html_text, "<html"));
  g_assert_nonnull (strstr (html_text, "vae_decoder"));
  g_file_get_contents (config, &config_text, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (config_text, "\"text_encoder\""));
  g_assert_nonnull (strstr (config_text, "weights_dtype"));

  /* The saved analysis is listed as recent and reopens without a model. */
  recent = g_settings_get_strv (qs_application_get_settings (fixture->app), "recent-analyses");
  g_assert_cmpstr (recent[0], ==, json);

  ui_test_activate (fixture->window, "show-start", NULL);
  g_assert_cmpint (qs_window_get_stage (fixture->window), ==, QS_WINDOW_STAGE_START);
  ui_test_activate (fixture->window, "open-analysis-path", g_variant_new_string (json));
  g_assert_true (ui_test_wait_for_stage (fixture->window, QS_WINDOW_STAGE_RESULTS, 30));

  g_assert_true (qs_results_page_get_result (results) != first);
  g_assert_cmpuint (qs_analysis_result_get_n_layers (qs_results_page_get_result (results)), ==, n_layers);
  g_assert_cmpuint (g_list_model_get_n_items (qs_results_page_get_rows (results)), ==, n_layers);
  g_assert_cmpuint (qs_results_page_get_summary (results)->n_promote, ==, n_promote);
  g_object_unref (first);
}

typedef struct
{
  QsWindow *window;
  guint     n_rows;
} RowsWait;

static gboolean
rows_arrived_cb (gpointer user_data)
{
  RowsWait *wait = user_data;
  QsLayerTable *table = qs_running_page_get_table (qs_window_get_running_page (wait->window));

  return g_list_model_get_n_items (qs_layer_table_get_visible_rows (table)) >= wait->n_rows
         || qs_window_get_stage (wait->window) != QS_WINDOW_STAGE_RUNNING;
}

static void
test_cancel_keeps_partial (Fixture       *fixture,
                           gconstpointer  data)
{
  QsSetupPage *setup;
  QsResultsPage *results;
  QsAnalysisResult *result;
  const QsSummary *summary;
  RowsWait wait = { fixture->window, 3 };
  guint n_layers;

  ui_test_open_demo (fixture->window);
  setup = qs_window_get_setup_page (fixture->window);
  /* Many dtypes and three group sizes make every layer slower, so the run
   * is still going when the first layers have arrived in the live table. */
  qs_setup_page_set_dtypes_text (setup, "uint4 uint3 uint5 uint6 uint7 uint8 int8 int6 int4 "
                                        "float8_e4m3fn float8_e5m2");
  qs_setup_page_set_group_sizes_text (setup, "0 32 -1");
  g_assert_true (qs_setup_page_get_valid (setup));

  ui_test_activate (fixture->window, "analyze", NULL);
  g_assert_cmpint (qs_window_get_stage (fixture->window), ==, QS_WINDOW_STAGE_RUNNING);
  g_assert_true (ui_test_action_enabled (fixture->window, "cancel"));
  g_assert_false (ui_test_action_enabled (fixture->window, "open-model"));

  g_assert_true (ui_test_wait_until (rows_arrived_cb, &wait, 60));
  g_assert_cmpint (qs_window_get_stage (fixture->window), ==, QS_WINDOW_STAGE_RUNNING);

  ui_test_activate (fixture->window, "cancel", NULL);
  g_assert_false (ui_test_action_enabled (fixture->window, "cancel"));
  g_assert_true (ui_test_wait_for_stage (fixture->window, QS_WINDOW_STAGE_RESULTS, 60));

  results = qs_window_get_results_page (fixture->window);
  result = qs_results_page_get_result (results);
  summary = qs_results_page_get_summary (results);
  n_layers = qs_analysis_result_get_n_layers (result);

  g_assert_false (qs_analysis_result_get_complete (result));
  g_assert_cmpuint (n_layers, >=, 3);
  g_assert_cmpuint (n_layers, <, qs_analysis_result_get_n_layers_planned (result));
  g_assert_cmpuint (summary->n_layers, ==, n_layers);
  g_assert_cmpuint (g_list_model_get_n_items (qs_results_page_get_rows (results)), ==, n_layers);
  g_assert_true (ui_test_action_enabled (fixture->window, "save-analysis"));

  /* The partial result is usable: thresholds re-derive it. */
  qs_results_page_set_thresholds (results, 1e-5, 0.1);
  g_assert_cmpuint (qs_results_page_get_summary (results)->n_ok, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  if (!ui_test_init (&argc, &argv))
    return 0;

  g_test_add ("/qs/ui/analysis/demo-to-results", Fixture, NULL,
              fixture_set_up, test_demo_to_results, fixture_tear_down);
  g_test_add ("/qs/ui/analysis/thresholds-change-verdicts", Fixture, NULL,
              fixture_set_up, test_thresholds_change_verdicts, fixture_tear_down);
  g_test_add ("/qs/ui/analysis/search-layers", Fixture, NULL,
              fixture_set_up, test_search_layers, fixture_tear_down);
  g_test_add ("/qs/ui/analysis/invalid-settings", Fixture, NULL,
              fixture_set_up, test_invalid_settings, fixture_tear_down);
  g_test_add ("/qs/ui/analysis/open-missing-model", Fixture, NULL,
              fixture_set_up, test_open_missing_model, fixture_tear_down);
  g_test_add ("/qs/ui/analysis/export-pdf", Fixture, NULL,
              fixture_set_up, test_export_pdf, fixture_tear_down);
  g_test_add ("/qs/ui/analysis/save-export-reopen", Fixture, NULL,
              fixture_set_up, test_save_export_and_reopen, fixture_tear_down);
  g_test_add ("/qs/ui/analysis/cancel-keeps-partial", Fixture, NULL,
              fixture_set_up, test_cancel_keeps_partial, fixture_tear_down);

  return g_test_run ();
}
