/* test-ui-quantize.c: the Quantize Model dialog on the demo model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "qs-quantize-dialog.h"
#include "ui-test-utils.h"

#define WIDTH  1280
#define HEIGHT 800

typedef struct
{
  char *finished_path;
  char *failed_message;
} Outcome;

static void
finished_cb (QsQuantizeDialog *dialog,
             const char       *path,
             Outcome          *outcome)
{
  g_free (outcome->finished_path);
  outcome->finished_path = g_strdup (path);
}

static void
failed_cb (QsQuantizeDialog *dialog,
           const char       *message,
           Outcome          *outcome)
{
  g_free (outcome->failed_message);
  outcome->failed_message = g_strdup (message);
}

static void
outcome_clear (Outcome *outcome)
{
  g_clear_pointer (&outcome->finished_path, g_free);
  g_clear_pointer (&outcome->failed_message, g_free);
}

static QsQuantizeDialog *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  QsQuantizeDialog *found = NULL;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (QS_IS_QUANTIZE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        found = QS_QUANTIZE_DIALOG (window);
    }

  return found;
}

static QsQuantizeDialog *
open_dialog (QsWindow *window,
             Outcome  *outcome)
{
  QsQuantizeDialog *dialog;

  g_assert_true (ui_test_action_enabled (window, "quantize"));
  ui_test_activate (window, "quantize", NULL);
  ui_test_spin (100);
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  g_signal_connect (dialog, "finished", G_CALLBACK (finished_cb), outcome);
  g_signal_connect (dialog, "failed", G_CALLBACK (failed_cb), outcome);

  return dialog;
}

static gboolean
stopped_cb (gpointer user_data)
{
  Outcome *outcome = user_data;

  return outcome->finished_path != NULL || outcome->failed_message != NULL
         || find_dialog () == NULL || !qs_quantize_dialog_get_running (find_dialog ());
}

static QsApplication *
analysed_app_new (QsWindow **window)
{
  QsApplication *app = ui_test_app_new (window);

  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  ui_test_open_demo (*window);
  ui_test_activate (*window, "analyze", NULL);
  g_assert_true (ui_test_wait_for_stage (*window, QS_WINDOW_STAGE_RESULTS, 120));

  return app;
}

static gboolean
folder_has_safetensors (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_str_has_suffix (name, ".safetensors"))
        return TRUE;
      if (g_file_test (child, G_FILE_TEST_IS_DIR) && folder_has_safetensors (child))
        return TRUE;
    }

  return FALSE;
}

/* Returns: whether some config.json below @path has a quantization_config */
static gboolean
folder_has_quantization_config (const char *path)
{
  g_autofree char *config = g_build_filename (path, "config.json", NULL);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (g_file_test (config, G_FILE_TEST_EXISTS))
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      JsonObject *root;

      g_assert_true (json_parser_load_from_file (parser, config, &error));
      g_assert_no_error (error);
      root = json_node_get_object (json_parser_get_root (parser));
      if (json_object_has_member (root, "quantization_config"))
        return TRUE;
    }

  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && folder_has_quantization_config (child))
        return TRUE;
    }

  return FALSE;
}

static guint
count_entries (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;

  return n;
}

static void
test_quantize_recommendation (void)
{
  g_autoptr(QsApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("qs-ui-quantize-XXXXXX", &error);
  g_autofree char *output = NULL;
  QsWindow *window = NULL;
  QsQuantizeDialog *dialog;
  Outcome outcome = { 0 };

  g_assert_no_error (error);
  output = g_build_filename (tmp, "quantized", NULL);
  app = analysed_app_new (&window);

  dialog = open_dialog (window, &outcome);
  g_assert_true (qs_quantize_dialog_get_has_recommendation (dialog));
  qs_quantize_dialog_set_use_recommendation (dialog, TRUE);
  qs_quantize_dialog_set_output_path (dialog, output);
  g_assert_cmpstr (qs_quantize_dialog_get_output_path (dialog), ==, output);
  qs_quantize_dialog_start (dialog);
  g_assert_true (qs_quantize_dialog_get_running (dialog));

  g_assert_true (ui_test_wait_until (stopped_cb, &outcome, 90));
  g_assert_null (outcome.failed_message);
  g_assert_cmpstr (outcome.finished_path, ==, output);
  g_assert_true (folder_has_quantization_config (output));
  g_assert_true (folder_has_safetensors (output));
  /* Only the output is left beside it: the partial folder was renamed. */
  g_assert_cmpuint (count_entries (tmp), ==, 1);
  /* The dialog closes itself after success. */
  ui_test_spin (100);
  g_assert_null (find_dialog ());

  outcome_clear (&outcome);
  ui_test_app_free (g_steal_pointer (&app));
  ui_test_remove_tree (tmp);
}

static void
test_quantize_cancel_and_errors (void)
{
  g_autoptr(QsApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("qs-ui-quantize-XXXXXX", &error);
  g_autofree char *output = NULL;
  g_autofree char *demo = ui_test_demo_model_path ();
  g_autofree char *inside = g_build_filename (demo, "quantized-inside", NULL);
  QsWindow *window = NULL;
  QsQuantizeDialog *dialog;
  Outcome outcome = { 0 };

  g_assert_no_error (error);
  output = g_build_filename (tmp, "cancelled", NULL);
  app = analysed_app_new (&window);

  /* A cancel right after the start leaves nothing, not even the hidden
   * partial folder. */
  dialog = open_dialog (window, &outcome);
  qs_quantize_dialog_set_use_recommendation (dialog, FALSE);
  qs_quantize_dialog_set_uniform (dialog, "uint4", 32);
  qs_quantize_dialog_set_output_path (dialog, output);
  qs_quantize_dialog_start (dialog);
  g_assert_true (qs_quantize_dialog_get_running (dialog));
  qs_quantize_dialog_cancel (dialog);
  g_assert_true (ui_test_wait_until (stopped_cb, &outcome, 60));
  g_assert_null (outcome.finished_path);
  g_assert_null (outcome.failed_message);
  g_assert_false (qs_quantize_dialog_get_running (dialog));
  g_assert_false (g_file_test (output, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_entries (tmp), ==, 0);

  /* An invalid shard size is an error before anything starts. */
  qs_quantize_dialog_set_shard_size (dialog, "5 bananas");
  qs_quantize_dialog_start (dialog);
  g_assert_false (qs_quantize_dialog_get_running (dialog));
  g_assert_nonnull (outcome.failed_message);
  g_assert_true (strstr (outcome.failed_message, "shard size") != NULL);
  outcome_clear (&outcome);
  qs_quantize_dialog_set_shard_size (dialog, "1MiB");

  /* The job refuses to write into the source and the message is shown. */
  qs_quantize_dialog_set_output_path (dialog, inside);
  qs_quantize_dialog_start (dialog);
  g_assert_true (ui_test_wait_until (stopped_cb, &outcome, 60));
  g_assert_null (outcome.finished_path);
  g_assert_nonnull (outcome.failed_message);
  g_test_message ("Refused output inside the source: %s", outcome.failed_message);
  g_assert_false (g_file_test (inside, G_FILE_TEST_EXISTS));
  gtk_window_destroy (GTK_WINDOW (dialog));

  /* Compare Images opens over the results and Back returns to them. */
  ui_test_activate (window, "compare-images", NULL);
  g_assert_false (ui_test_action_enabled (window, "quantize"));
  g_assert_false (ui_test_action_enabled (window, "compare-images"));
  ui_test_activate (window, "close-compare", NULL);
  ui_test_spin (50);
  g_assert_cmpint (qs_window_get_stage (window), ==, QS_WINDOW_STAGE_RESULTS);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (qs_window_get_results_page (window))));
  g_assert_true (ui_test_action_enabled (window, "quantize"));

  outcome_clear (&outcome);
  ui_test_app_free (g_steal_pointer (&app));
  ui_test_remove_tree (tmp);
}

static void
render_dialog (QsQuantizeDialog *dialog,
               const char       *path)
{
  GtkWidget *widget = GTK_WIDGET (dialog);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (dialog));
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);

  for (guint attempt = 0; attempt < 50 && node == NULL; attempt++)
    {
      GtkSnapshot *snapshot = gtk_snapshot_new ();

      gtk_test_widget_wait_for_draw (widget);
      gdk_paintable_snapshot (paintable, snapshot, width, height);
      node = gtk_snapshot_free_to_node (snapshot);
    }
  g_assert_nonnull (node);

  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

static void
shoot_dialog (gboolean dark)
{
  const char *dir = g_getenv ("QS_UI_SCREENSHOT_DIR");
  const char *style = dark ? "dark" : "light";
  g_autoptr(QsApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("qs-ui-quantize-XXXXXX", &error);
  g_autofree char *output = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  QsWindow *window = NULL;
  QsQuantizeDialog *dialog;
  Outcome outcome = { 0 };

  g_assert_no_error (error);
  if (dir == NULL)
    dir = g_get_tmp_dir ();
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  output = g_build_filename (tmp, "out", NULL);

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      dark ? ADW_COLOR_SCHEME_FORCE_DARK
                                           : ADW_COLOR_SCHEME_FORCE_LIGHT);
  app = analysed_app_new (&window);
  gtk_window_unmaximize (GTK_WINDOW (window));
  gtk_window_set_default_size (GTK_WINDOW (window), WIDTH, HEIGHT);

  dialog = open_dialog (window, &outcome);
  qs_quantize_dialog_set_output_path (dialog, output);
  ui_test_spin (300);
  name = g_strdup_printf ("quantize-dialog-%s.png", style);
  path = g_build_filename (dir, name, NULL);
  render_dialog (dialog, path);

  /* The dialog while it writes, unless the small demo model finishes first. */
  qs_quantize_dialog_start (dialog);
  if (find_dialog () != NULL && qs_quantize_dialog_get_running (dialog))
    {
      g_autofree char *running_name = g_strdup_printf ("quantize-dialog-running-%s.png", style);
      g_autofree char *running_path = g_build_filename (dir, running_name, NULL);

      render_dialog (dialog, running_path);
    }
  else
    g_test_message ("The job finished before the running dialog was shot");
  g_assert_true (ui_test_wait_until (stopped_cb, &outcome, 90));
  g_assert_cmpstr (outcome.finished_path, ==, output);

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  outcome_clear (&outcome);
  ui_test_app_free (g_steal_pointer (&app));
  ui_test_remove_tree (tmp);
}

static void
test_screenshot_light (void)
{
  shoot_dialog (FALSE);
}

static void
test_screenshot_dark (void)
{
  shoot_dialog (TRUE);
}

int
main (int   argc,
      char *argv[])
{
  if (!ui_test_init (&argc, &argv))
    return 0;

  g_test_add_func ("/qs/ui/quantize/recommendation", test_quantize_recommendation);
  g_test_add_func ("/qs/ui/quantize/cancel-and-errors", test_quantize_cancel_and_errors);
  g_test_add_func ("/qs/ui/quantize/screenshot-light", test_screenshot_light);
  g_test_add_func ("/qs/ui/quantize/screenshot-dark", test_screenshot_dark);

  return g_test_run ();
}
