/* qs-application.c: the Quantscope application
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "qs-application.h"
#include "qs-report-colors.h"
#include "qs-window.h"

#define MAX_RECENT 10

struct _QsApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  GtkCssProvider *severity_css;

  guint           exit_after_startup : 1;
};

G_DEFINE_FINAL_TYPE (QsApplication, qs_application, ADW_TYPE_APPLICATION)

static const struct
{
  const char *action;
  const char *accels[3];
} app_accels[] = {
  { "app.quit", { "<Control>q", NULL } },
  { "win.open-model", { "<Control>o", NULL } },
  { "win.open-analysis", { "<Control><Shift>o", NULL } },
  { "win.save-analysis", { "<Control>s", NULL } },
  { "win.export", { "<Control>e", NULL } },
  { "win.print", { "<Control>p", NULL } },
  { "win.search", { "<Control>f", NULL } },
  { "win.cancel", { "Escape", NULL } },
  { "win.analyze", { "<Control>Return", NULL } },
  { "window.close", { "<Control>w", NULL } },
};

/* Text on a coloured cell must stay readable whatever the colour, so it
 * is black or white by the colour's relative luminance (WCAG 2). */
static const char *
contrast_text_for (QsReportRgb rgb)
{
  double luminance = 0.2126 * rgb.red + 0.7152 * rgb.green + 0.0722 * rgb.blue;

  return luminance > 0.5 ? "#000000" : "#ffffff";
}

/* The NMSE and verdict colours come from the report module, so the app
 * shows the same scale as the HTML and PDF reports. */
static void
load_severity_css (QsApplication *self)
{
  g_autoptr(GString) css = g_string_new (NULL);

  for (guint i = 0; i < QS_N_SEVERITIES; i++)
    {
      QsSeverity severity = (QsSeverity) i;

      g_string_append_printf (css, ".%s { background-color: %s; color: %s; }\n",
                              qs_severity_get_css_class (severity),
                              qs_severity_get_hex (severity),
                              contrast_text_for (qs_severity_get_rgb (severity)));
    }

  for (guint i = QS_VERDICT_OK; i <= QS_VERDICT_ERROR; i++)
    {
      QsVerdict verdict = (QsVerdict) i;
      g_autofree char *name = g_ascii_strdown (qs_verdict_to_string (verdict), -1);

      g_string_append_printf (css, ".verdict-%s { background-color: %s; color: %s; }\n",
                              name, qs_verdict_get_hex (verdict),
                              contrast_text_for (qs_verdict_get_rgb (verdict)));
    }

  self->severity_css = gtk_css_provider_new ();
  gtk_css_provider_load_from_data (self->severity_css, css->str, (gssize) css->len);
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (self->severity_css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  QsApplication *self = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  /* Closing each window lets it cancel its analysis and save its state. */
  while (windows != NULL)
    {
      GList *next = windows->next;

      gtk_window_close (GTK_WINDOW (windows->data));
      windows = next;
    }

  g_application_quit (G_APPLICATION (self));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  QsApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  static const char *developers[] = { "The Quantscope developers", NULL };

  adw_show_about_window (parent,
                         "application-name", _("Quantscope"),
                         "application-icon", "applications-science-symbolic",
                         "version", PACKAGE_VERSION,
                         "developer-name", _("The Quantscope developers"),
                         "developers", developers,
                         "comments", _("Measures how each layer of a model takes SDNQ "
                                       "quantization and writes the configs that SDNQ loads."),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "website", "https://github.com/quantscope/quantscope",
                         "issue-url", "https://github.com/quantscope/quantscope/issues",
                         NULL);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated, NULL, NULL, NULL },
  { "about", about_activated, NULL, NULL, NULL },
};

static void
qs_application_startup (GApplication *application)
{
  QsApplication *self = QS_APPLICATION (application);

  G_APPLICATION_CLASS (qs_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  for (guint i = 0; i < G_N_ELEMENTS (app_accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), app_accels[i].action,
                                           app_accels[i].accels);

  load_severity_css (self);
}

static gboolean
exit_after_startup_cb (gpointer user_data)
{
  QsApplication *self = user_data;

  g_action_group_activate_action (G_ACTION_GROUP (self), "quit", NULL);

  return G_SOURCE_REMOVE;
}

static void
qs_application_activate (GApplication *application)
{
  QsApplication *self = QS_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (qs_window_new (self));

  gtk_window_present (window);

  /* The smoke test quits once the first frame has been handled. */
  if (self->exit_after_startup)
    g_idle_add_full (G_PRIORITY_LOW, exit_after_startup_cb, g_object_ref (self), g_object_unref);
}

static void
qs_application_open (GApplication  *application,
                     GFile        **files,
                     int            n_files,
                     const char    *hint)
{
  QsApplication *self = QS_APPLICATION (application);

  for (int i = 0; i < n_files; i++)
    {
      QsWindow *window = qs_window_new (self);

      gtk_window_present (GTK_WINDOW (window));
      qs_window_open_file (window, files[i]);
    }
}

static int
qs_application_handle_local_options (GApplication *application,
                                     GVariantDict *options)
{
  QsApplication *self = QS_APPLICATION (application);

  if (g_variant_dict_contains (options, "exit-after-startup"))
    self->exit_after_startup = TRUE;

  return -1;
}

static void
qs_application_dispose (GObject *object)
{
  QsApplication *self = QS_APPLICATION (object);

  if (self->severity_css != NULL && gdk_display_get_default () != NULL)
    gtk_style_context_remove_provider_for_display (gdk_display_get_default (),
                                                   GTK_STYLE_PROVIDER (self->severity_css));
  g_clear_object (&self->severity_css);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (qs_application_parent_class)->dispose (object);
}

static void
qs_application_class_init (QsApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *application_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = qs_application_dispose;

  application_class->startup = qs_application_startup;
  application_class->activate = qs_application_activate;
  application_class->open = qs_application_open;
  application_class->handle_local_options = qs_application_handle_local_options;
}

static void
qs_application_init (QsApplication *self)
{
  static const GOptionEntry entries[] = {
    /* Hidden: the startup smoke test quits once the window is shown. */
    { "exit-after-startup", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, NULL, NULL, NULL },
    { NULL }
  };

  self->settings = g_settings_new (SCHEMA_ID);
  g_application_add_main_option_entries (G_APPLICATION (self), entries);
}

QsApplication *
qs_application_new (GApplicationFlags flags)
{
  return g_object_new (QS_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", flags | G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/quantscope/Quantscope",
                       NULL);
}

GSettings *
qs_application_get_settings (QsApplication *self)
{
  g_return_val_if_fail (QS_IS_APPLICATION (self), NULL);

  return self->settings;
}

void
qs_application_add_recent (QsApplication *self,
                           const char    *key,
                           const char    *path)
{
  g_auto(GStrv) old = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) updated = NULL;
  guint n = 1;

  g_return_if_fail (QS_IS_APPLICATION (self));
  g_return_if_fail (key != NULL);
  g_return_if_fail (path != NULL);

  old = g_settings_get_strv (self->settings, key);
  builder = g_strv_builder_new ();
  g_strv_builder_add (builder, path);

  for (guint i = 0; old[i] != NULL && n < MAX_RECENT; i++)
    {
      if (g_strcmp0 (old[i], path) == 0)
        continue;
      g_strv_builder_add (builder, old[i]);
      n++;
    }

  updated = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, key, (const char * const *) updated);
}
