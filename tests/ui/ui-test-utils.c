/* ui-test-utils.c: driving the app in tests under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>

#include "ui-test-utils.h"

gboolean
ui_test_init (int    *argc,
              char ***argv)
{
  g_test_init (argc, argv, NULL);

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      printf ("1..0 # SKIP no display; run the UI tests under xvfb-run\n");
      return FALSE;
    }

  /* The tests must never touch the user's settings or files. */
  g_assert_cmpstr (g_getenv ("GSETTINGS_BACKEND"), ==, "memory");
  g_assert_nonnull (g_getenv ("GSETTINGS_SCHEMA_DIR"));

  return TRUE;
}

QsApplication *
ui_test_app_new (QsWindow **window)
{
  g_autoptr(GError) error = NULL;
  QsApplication *app = qs_application_new (G_APPLICATION_NON_UNIQUE);
  GList *windows;

  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));

  windows = gtk_application_get_windows (GTK_APPLICATION (app));
  g_assert_nonnull (windows);
  g_assert_true (QS_IS_WINDOW (windows->data));
  *window = windows->data;

  ui_test_spin (100);

  return app;
}

void
ui_test_app_free (QsApplication *app)
{
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (app)));

  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_destroy (GTK_WINDOW (l->data));
  g_list_free (windows);

  ui_test_spin (100);
  g_object_unref (app);
}

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
ui_test_wait_until (UiTestCondition condition,
                    gpointer        user_data,
                    guint           timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;
  guint wake_id = g_timeout_add (20, wake_cb, NULL);
  gboolean satisfied;

  while (!(satisfied = condition (user_data)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (wake_id);

  return satisfied;
}

static gboolean
never_cb (gpointer user_data)
{
  return FALSE;
}

void
ui_test_spin (guint ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;
  guint wake_id = g_timeout_add (10, wake_cb, NULL);

  while (!never_cb (NULL) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (wake_id);
}

typedef struct
{
  QsWindow      *window;
  QsWindowStage  stage;
} StageWait;

static gboolean
stage_reached_cb (gpointer user_data)
{
  StageWait *wait = user_data;

  return qs_window_get_stage (wait->window) == wait->stage && !qs_window_get_busy (wait->window);
}

gboolean
ui_test_wait_for_stage (QsWindow      *window,
                        QsWindowStage  stage,
                        guint          timeout_s)
{
  StageWait wait = { window, stage };

  return ui_test_wait_until (stage_reached_cb, &wait, timeout_s);
}

static gboolean
not_busy_cb (gpointer user_data)
{
  return !qs_window_get_busy (QS_WINDOW (user_data));
}

gboolean
ui_test_wait_not_busy (QsWindow *window,
                       guint     timeout_s)
{
  return ui_test_wait_until (not_busy_cb, window, timeout_s);
}

void
ui_test_activate (QsWindow   *window,
                  const char *action,
                  GVariant   *parameter)
{
  g_autoptr(GVariant) owned = parameter != NULL ? g_variant_ref_sink (parameter) : NULL;

  g_assert_true (ui_test_action_enabled (window, action));
  g_action_group_activate_action (G_ACTION_GROUP (window), action, owned);
}

gboolean
ui_test_action_enabled (QsWindow   *window,
                        const char *action)
{
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (window), action));

  return g_action_group_get_action_enabled (G_ACTION_GROUP (window), action);
}

char *
ui_test_demo_model_path (void)
{
  const char *data = g_getenv ("QS_TEST_DATA");

  g_assert_nonnull (data);

  return g_build_filename (data, "demo", NULL);
}

void
ui_test_open_demo (QsWindow *window)
{
  g_autofree char *demo = ui_test_demo_model_path ();

  ui_test_activate (window, "open-model-path", g_variant_new_string (demo));
  g_assert_true (ui_test_wait_for_stage (window, QS_WINDOW_STAGE_SETUP, 30));
}

GdkTexture *
ui_test_render_window (QsWindow   *window,
                       const char *path)
{
  GtkWidget *widget = GTK_WIDGET (window);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GskRenderNode) node = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (window));
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GdkTexture *texture;

  g_assert_nonnull (renderer);
  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);

  /* A widget that was invalidated after its last frame has no node until
   * the next one, which the running page does many times a second. */
  for (guint attempt = 0; attempt < 50 && node == NULL; attempt++)
    {
      GtkSnapshot *snapshot = gtk_snapshot_new ();

      gtk_test_widget_wait_for_draw (widget);
      gdk_paintable_snapshot (paintable, snapshot, width, height);
      node = gtk_snapshot_free_to_node (snapshot);
    }
  g_assert_nonnull (node);

  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (path != NULL)
    g_assert_true (gdk_texture_save_to_png (texture, path));

  return texture;
}

void
ui_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        ui_test_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}
