/* test-ui-app.c: the app starts, shows its start page and quits cleanly
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "ui-test-utils.h"

static gboolean
hub_loaded_cb (gpointer user_data)
{
  return !qs_start_page_is_loading (QS_START_PAGE (user_data));
}

static void
test_startup_window (void)
{
  QsWindow *window = NULL;
  g_autoptr(QsApplication) app = ui_test_app_new (&window);
  GtkWidget *weak = GTK_WIDGET (window);

  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &weak);

  g_assert_cmpint (qs_window_get_stage (window), ==, QS_WINDOW_STAGE_START);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window)));

  /* Nothing to save or export before an analysis exists. */
  g_assert_false (ui_test_action_enabled (window, "save-analysis"));
  g_assert_false (ui_test_action_enabled (window, "export"));
  g_assert_false (ui_test_action_enabled (window, "print"));
  g_assert_false (ui_test_action_enabled (window, "cancel"));
  g_assert_false (ui_test_action_enabled (window, "analyze"));
  g_assert_true (ui_test_action_enabled (window, "open-model"));
  g_assert_true (ui_test_action_enabled (window, "open-analysis"));

  /* Every documented accelerator reaches an action. */
  {
    g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app),
                                                                  "win.cancel");

    g_assert_cmpstr (accels[0], ==, "Escape");
  }
  {
    g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app),
                                                                  "win.search");

    g_assert_cmpstr (accels[0], ==, "<Control>f");
  }

  /* The hub cache scan runs off the main thread and finishes. */
  g_assert_true (ui_test_wait_until (hub_loaded_cb, qs_window_get_start_page (window), 20));

  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  ui_test_spin (200);
  g_assert_null (weak);

  g_object_unref (g_steal_pointer (&app));
}

static void
test_hub_cache_listed (void)
{
  g_autofree char *cache = g_dir_make_tmp ("qs-ui-hub-XXXXXX", NULL);
  g_autofree char *repo = g_build_filename (cache, "models--demo-org--tiny", NULL);
  g_autofree char *refs = g_build_filename (repo, "refs", NULL);
  g_autofree char *snapshot = g_build_filename (repo, "snapshots", "0123abcd", NULL);
  g_autofree char *ref_main = g_build_filename (refs, "main", NULL);
  g_autofree char *weights = g_build_filename (snapshot, "model.safetensors", NULL);
  g_autofree char *old_cache = g_strdup (g_getenv ("HF_HUB_CACHE"));
  g_autoptr(QsApplication) app = NULL;
  QsWindow *window = NULL;
  QsStartPage *start_page;
  g_autoptr(GError) error = NULL;

  /* A cache entry as huggingface_hub lays it out: refs/main names the
   * snapshot folder that contains the files. */
  g_assert_cmpint (g_mkdir_with_parents (refs, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (snapshot, 0755), ==, 0);
  g_file_set_contents (ref_main, "0123abcd", -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (weights, "0123456789", 10, &error);
  g_assert_no_error (error);
  g_setenv ("HF_HUB_CACHE", cache, TRUE);

  app = ui_test_app_new (&window);
  start_page = qs_window_get_start_page (window);
  g_assert_true (ui_test_wait_until (hub_loaded_cb, start_page, 20));
  g_assert_cmpuint (qs_start_page_get_n_hub_models (start_page), >=, 1);

  ui_test_app_free (g_steal_pointer (&app));
  if (old_cache != NULL)
    g_setenv ("HF_HUB_CACHE", old_cache, TRUE);
  else
    g_unsetenv ("HF_HUB_CACHE");
  ui_test_remove_tree (cache);
}

static void
test_recent_lists (void)
{
  QsWindow *window = NULL;
  g_autoptr(QsApplication) app = ui_test_app_new (&window);
  GSettings *settings = qs_application_get_settings (app);
  g_auto(GStrv) recent = NULL;

  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *path = g_strdup_printf ("/models/model-%u", i);

      qs_application_add_recent (app, "recent-models", path);
    }
  qs_application_add_recent (app, "recent-models", "/models/model-3");

  recent = g_settings_get_strv (settings, "recent-models");
  g_assert_cmpuint (g_strv_length (recent), ==, 10);
  g_assert_cmpstr (recent[0], ==, "/models/model-3");
  g_assert_cmpstr (recent[1], ==, "/models/model-11");
  for (guint i = 1; recent[i] != NULL; i++)
    g_assert_cmpstr (recent[i], !=, "/models/model-3");

  ui_test_app_free (g_steal_pointer (&app));
}

static void
test_binary_exit_after_startup (void)
{
  const char *binary = g_getenv ("QS_UI_BINARY");
  const char *argv[] = { binary, "--exit-after-startup", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = -1;

  if (binary == NULL)
    {
      g_test_skip ("QS_UI_BINARY is not set");
      return;
    }

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (err != NULL && err[0] != '\0')
    g_test_message ("stderr: %s", err);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (err, ==, "");
}

int
main (int   argc,
      char *argv[])
{
  if (!ui_test_init (&argc, &argv))
    return 0;

  g_test_add_func ("/qs/ui/app/startup-window", test_startup_window);
  g_test_add_func ("/qs/ui/app/hub-cache-listed", test_hub_cache_listed);
  g_test_add_func ("/qs/ui/app/recent-lists", test_recent_lists);
  g_test_add_func ("/qs/ui/app/exit-after-startup", test_binary_exit_after_startup);

  return g_test_run ();
}
