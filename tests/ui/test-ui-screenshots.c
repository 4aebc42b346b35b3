/* test-ui-screenshots.c: every page renders at 1280×800 in light and dark
 *
 * Set QS_UI_SCREENSHOT_DIR to keep the PNGs for a person to look at.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "qs-layer-row.h"
#include "ui-test-utils.h"

#define WIDTH  1280
#define HEIGHT 800

typedef struct
{
  const char *dir;
  const char *style;
  guint       n_rendered;
} Shots;

static void
shoot (Shots      *shots,
       QsWindow   *window,
       const char *page)
{
  g_autofree char *name = g_strdup_printf ("%s-%s.png", page, shots->style);
  g_autofree char *path = shots->dir != NULL ? g_build_filename (shots->dir, name, NULL) : NULL;
  g_autoptr(GdkTexture) texture = NULL;

  /* Let layout and the first frame settle. */
  ui_test_spin (200);

  texture = ui_test_render_window (window, path);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, WIDTH);
  g_assert_cmpint (gdk_texture_get_height (texture), ==, HEIGHT);
  shots->n_rendered++;
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
  GListModel *rows = qs_layer_table_get_visible_rows (table);
  guint n_rows = g_list_model_get_n_items (rows);
  g_autoptr(QsLayerRow) last = NULL;

  if (qs_window_get_stage (wait->window) != QS_WINDOW_STAGE_RUNNING)
    return TRUE;
  if (n_rows < wait->n_rows)
    return FALSE;

  /* Wait for the live verdicts to catch up with the rows too. */
  last = g_list_model_get_item (rows, n_rows - 1);
  return qs_layer_row_has_summary (last);
}

static void
render_pages (gboolean dark)
{
  static const char *tabs[] = { "overview", "layers", "svd", "auto-config", "config" };
  AdwStyleManager *style_manager;
  Shots shots = { g_getenv ("QS_UI_SCREENSHOT_DIR"), dark ? "dark" : "light", 0 };
  g_autoptr(QsApplication) app = NULL;
  QsWindow *window = NULL;
  QsSetupPage *setup;
  QsResultsPage *results;
  RowsWait wait;

  if (shots.dir != NULL)
    g_assert_cmpint (g_mkdir_with_parents (shots.dir, 0755), ==, 0);

  app = ui_test_app_new (&window);

  /* Stack cross-fades would be caught half-way in a still image. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  style_manager = adw_style_manager_get_default ();
  adw_style_manager_set_color_scheme (style_manager, dark ? ADW_COLOR_SCHEME_FORCE_DARK
                                                          : ADW_COLOR_SCHEME_FORCE_LIGHT);
  gtk_window_unmaximize (GTK_WINDOW (window));
  gtk_window_set_default_size (GTK_WINDOW (window), WIDTH, HEIGHT);
  ui_test_spin (300);

  /* Without a window manager the client-side frame takes a few pixels of
   * the default size, so grow it until the content is 1280×800. */
  gtk_window_set_default_size (GTK_WINDOW (window),
                               2 * WIDTH - gtk_widget_get_width (GTK_WIDGET (window)),
                               2 * HEIGHT - gtk_widget_get_height (GTK_WIDGET (window)));
  ui_test_spin (300);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), ==, WIDTH);
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (window)), ==, HEIGHT);

  g_settings_set_strv (qs_application_get_settings (app), "recent-models",
                       (const char *[]) { "/home/user/models/Z-Image-Turbo", "Tongyi-MAI/Z-Image", NULL });
  shoot (&shots, window, "start");

  ui_test_open_demo (window);
  setup = qs_window_get_setup_page (window);
  shoot (&shots, window, "setup");

  /* The running page with some layers in, then the partial result of
   * cancelling it. Many dtypes and three group sizes keep the run going
   * for several seconds, and the partial result compares group sizes. */
  qs_setup_page_set_dtypes_text (setup, "uint4 uint3 uint5 uint6 uint7 uint8 int8 int6 int4 "
                                        "float8_e4m3fn float8_e5m2");
  qs_setup_page_set_group_sizes_text (setup, "0 32 -1");
  ui_test_activate (window, "analyze", NULL);
  wait.window = window;
  wait.n_rows = 6;
  g_assert_true (ui_test_wait_until (rows_arrived_cb, &wait, 60));
  if (qs_window_get_stage (window) == QS_WINDOW_STAGE_RUNNING)
    shoot (&shots, window, "running");
  else
    g_test_message ("The run finished before the running page was shot");

  /* A loaded machine may finish the run first; then the "partial" shot
   * shows a complete result, which the analysis tests cover anyway. */
  if (ui_test_action_enabled (window, "cancel"))
    ui_test_activate (window, "cancel", NULL);
  g_assert_true (ui_test_wait_for_stage (window, QS_WINDOW_STAGE_RESULTS, 60));
  if (qs_analysis_result_get_complete (qs_results_page_get_result (qs_window_get_results_page (window))))
    g_test_message ("The run finished before it was cancelled");
  shoot (&shots, window, "partial");

  /* A complete run of the default settings for the results tabs. */
  ui_test_activate (window, "show-start", NULL);
  g_settings_reset (qs_application_get_settings (app), "dtypes");
  g_settings_reset (qs_application_get_settings (app), "group-sizes");
  ui_test_open_demo (window);
  ui_test_activate (window, "analyze", NULL);
  g_assert_true (ui_test_wait_for_stage (window, QS_WINDOW_STAGE_RESULTS, 120));

  results = qs_window_get_results_page (window);
  qs_results_page_set_auto_config (results, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (tabs); i++)
    {
      g_autofree char *page = g_strconcat ("results-", tabs[i], NULL);

      adw_view_stack_set_visible_child_name (qs_results_page_get_stack (results), tabs[i]);
      if (g_str_equal (tabs[i], "layers"))
        {
          QsLayerTable *table = qs_results_page_get_layer_table (results);

          qs_layer_table_select (table, 3);
        }
      shoot (&shots, window, page);
    }

  g_assert_cmpuint (shots.n_rendered, >=, 8);
  g_assert_cmpuint (shots.n_rendered, <=, 10);
  adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_DEFAULT);
  ui_test_app_free (g_steal_pointer (&app));
}

static void
test_light (void)
{
  render_pages (FALSE);
}

static void
test_dark (void)
{
  render_pages (TRUE);
}

int
main (int   argc,
      char *argv[])
{
  if (!ui_test_init (&argc, &argv))
    return 0;

  g_test_add_func ("/qs/ui/screenshots/light", test_light);
  g_test_add_func ("/qs/ui/screenshots/dark", test_dark);

  return g_test_run ();
}
