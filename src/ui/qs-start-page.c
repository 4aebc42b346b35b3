/* qs-start-page.c: the page to pick a model or an analysis from
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "qs-model.h"
#include "qs-start-page.h"
#include "qs-ui-util.h"

struct _QsStartPage
{
  GtkWidget     parent_instance;

  GtkWidget    *status_page;
  GtkWidget    *recent_models_group;
  GtkListBox   *recent_models_list;
  GtkWidget    *recent_analyses_group;
  GtkListBox   *recent_analyses_list;
  GtkWidget    *hub_group;
  GtkSpinner   *hub_spinner;
  GtkListBox   *hub_list;

  GSettings    *settings;
  GCancellable *hub_cancellable;
  guint         n_hub_models;
};

G_DEFINE_FINAL_TYPE (QsStartPage, qs_start_page, GTK_TYPE_WIDGET)

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static GtkWidget *
action_row_new (const char *title,
                const char *subtitle,
                const char *action,
                const char *target)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *arrow = gtk_image_new_from_icon_name ("go-next-symbolic");
  g_autofree char *escaped_title = g_markup_escape_text (title, -1);
  g_autofree char *escaped_subtitle = subtitle != NULL ? g_markup_escape_text (subtitle, -1) : NULL;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), escaped_title);
  if (escaped_subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), escaped_subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 1);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 1);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (row), action);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "s", target);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), arrow);

  return row;
}

static char *
display_name_for (const char *path)
{
  if (!g_path_is_absolute (path) && qs_hub_cache_is_repo_id (path))
    return g_strdup (path);

  return g_path_get_basename (path);
}

static void
fill_recent (QsStartPage *self,
             const char  *key,
             GtkListBox  *list,
             GtkWidget   *group,
             const char  *action)
{
  g_auto(GStrv) paths = g_settings_get_strv (self->settings, key);
  g_autoptr(GFile) home = g_file_new_for_path (g_get_home_dir ());

  clear_list (list);

  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_autofree char *name = display_name_for (paths[i]);
      g_autoptr(GFile) file = g_file_new_for_path (paths[i]);
      g_autofree char *relative = g_file_get_relative_path (home, file);
      g_autofree char *display_path = relative != NULL ? g_strconcat ("~/", relative, NULL)
                                                : g_strdup (paths[i]);
      GtkWidget *row = action_row_new (name, display_path, action, paths[i]);

      gtk_widget_set_tooltip_text (row, paths[i]);
      gtk_list_box_append (list, row);
    }

  gtk_widget_set_visible (group, paths[0] != NULL);
}

static void
recent_changed_cb (QsStartPage *self,
                   const char  *key)
{
  if (key == NULL || g_strcmp0 (key, "recent-models") == 0)
    fill_recent (self, "recent-models", self->recent_models_list,
                 self->recent_models_group, "win.open-model-path");
  if (key == NULL || g_strcmp0 (key, "recent-analyses") == 0)
    fill_recent (self, "recent-analyses", self->recent_analyses_list,
                 self->recent_analyses_group, "win.open-analysis-path");
}

static void
list_hub_models_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  g_task_return_pointer (task, qs_hub_cache_list_models (NULL),
                         (GDestroyNotify) g_ptr_array_unref);
}

static void
set_hub_description (QsStartPage *self)
{
  g_auto(GStrv) roots = qs_hub_cache_get_roots (NULL);
  g_autofree char *joined = g_strjoinv (", ", roots);
  g_autofree char *escaped = g_markup_escape_text (joined, -1);
  /* Translators: %s is a list of folders */
  g_autofree char *description = g_strdup_printf (_("Models cached by Hugging Face tools in %s"),
                                                  escaped);

  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self->hub_group), description);
}

static void
list_hub_models_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(QsStartPage) self = user_data;
  g_autoptr(GPtrArray) models = g_task_propagate_pointer (G_TASK (result), NULL);

  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    return;

  gtk_spinner_stop (self->hub_spinner);
  g_clear_object (&self->hub_cancellable);
  clear_list (self->hub_list);
  set_hub_description (self);
  self->n_hub_models = models != NULL ? models->len : 0;

  if (self->n_hub_models == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No cached models found"));
      gtk_widget_add_css_class (row, "dim-label");
      gtk_list_box_append (self->hub_list, row);
      return;
    }

  for (guint i = 0; i < models->len; i++)
    {
      QsHubCacheEntry *entry = g_ptr_array_index (models, i);
      g_autofree char *size = qs_ui_format_size (entry->size);
      GtkWidget *row = action_row_new (entry->id, NULL, "win.open-model-path", entry->id);
      GtkWidget *size_label = gtk_label_new (size);

      gtk_widget_add_css_class (size_label, "dim-label");
      gtk_widget_add_css_class (size_label, "numeric");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), size_label);
      gtk_widget_set_tooltip_text (row, entry->snapshot);
      gtk_list_box_append (self->hub_list, row);
    }
}

void
qs_start_page_refresh_hub (QsStartPage *self)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (QS_IS_START_PAGE (self));

  if (self->hub_cancellable != NULL)
    g_cancellable_cancel (self->hub_cancellable);
  g_clear_object (&self->hub_cancellable);
  self->hub_cancellable = g_cancellable_new ();

  gtk_spinner_start (self->hub_spinner);

  /* Summing the sizes walks every snapshot, which can take a while on a
   * large cache, so it runs off the main thread. */
  task = g_task_new (NULL, self->hub_cancellable, list_hub_models_cb, g_object_ref (self));
  g_task_set_source_tag (task, qs_start_page_refresh_hub);
  g_task_run_in_thread (task, list_hub_models_thread);
}

gboolean
qs_start_page_is_loading (QsStartPage *self)
{
  g_return_val_if_fail (QS_IS_START_PAGE (self), FALSE);

  return self->hub_cancellable != NULL;
}

guint
qs_start_page_get_n_hub_models (QsStartPage *self)
{
  g_return_val_if_fail (QS_IS_START_PAGE (self), 0);

  return self->n_hub_models;
}

static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         QsStartPage   *self)
{
  GFile *file;
  g_autofree char *path = NULL;

  if (!G_VALUE_HOLDS (value, G_TYPE_FILE))
    return FALSE;

  file = g_value_get_object (value);
  path = g_file_get_path (file);
  if (path == NULL)
    return FALSE;

  return gtk_widget_activate_action (GTK_WIDGET (self), "win.open-path", "s", path);
}

static void
qs_start_page_dispose (GObject *object)
{
  QsStartPage *self = QS_START_PAGE (object);

  if (self->hub_cancellable != NULL)
    g_cancellable_cancel (self->hub_cancellable);
  g_clear_object (&self->hub_cancellable);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_func (self->settings, recent_changed_cb, self);
  g_clear_object (&self->settings);

  gtk_widget_dispose_template (GTK_WIDGET (self), QS_TYPE_START_PAGE);
  qs_ui_unparent_children (GTK_WIDGET (self));

  G_OBJECT_CLASS (qs_start_page_parent_class)->dispose (object);
}

static void
qs_start_page_class_init (QsStartPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = qs_start_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/quantscope/Quantscope/ui/qs-start-page.ui");
  gtk_widget_class_bind_template_child (widget_class, QsStartPage, status_page);
  gtk_widget_class_bind_template_child (widget_class, QsStartPage, recent_models_group);
  gtk_widget_class_bind_template_child (widget_class, QsStartPage, recent_models_list);
  gtk_widget_class_bind_template_child (widget_class, QsStartPage, recent_analyses_group);
  gtk_widget_class_bind_template_child (widget_class, QsStartPage, recent_analyses_list);
  gtk_widget_class_bind_template_child (widget_class, QsStartPage, hub_group);
  gtk_widget_class_bind_template_child (widget_class, QsStartPage, hub_spinner);
  gtk_widget_class_bind_template_child (widget_class, QsStartPage, hub_list);

  gtk_widget_class_set_css_name (widget_class, "qsstartpage");
}

static void
qs_start_page_init (QsStartPage *self)
{
  GtkDropTarget *target;

  gtk_widget_init_template (GTK_WIDGET (self));

  target = gtk_drop_target_new (G_TYPE_FILE, GDK_ACTION_COPY);
  g_signal_connect (target, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));

  gtk_widget_set_visible (self->recent_models_group, FALSE);
  gtk_widget_set_visible (self->recent_analyses_group, FALSE);
  set_hub_description (self);
}

void
qs_start_page_set_settings (QsStartPage *self,
                            GSettings   *settings)
{
  g_return_if_fail (QS_IS_START_PAGE (self));
  g_return_if_fail (G_IS_SETTINGS (settings));

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_func (self->settings, recent_changed_cb, self);
  g_set_object (&self->settings, settings);
  g_signal_connect_swapped (settings, "changed", G_CALLBACK (recent_changed_cb), self);
  recent_changed_cb (self, NULL);
}
