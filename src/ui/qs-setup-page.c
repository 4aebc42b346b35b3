/* qs-setup-page.c: the analysis settings for an opened model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <errno.h>
#include <glib/gi18n.h>

#include "qs-error.h"
#include "qs-setup-page.h"
#include "qs-ui-util.h"

#ifdef QS_UI_HAVE_GPU
#include "qs-gpu-context.h"
#endif

struct _QsSetupPage
{
  GtkWidget      parent_instance;

  GtkWidget     *preferences_page;
  GtkWidget     *model_group;
  GtkListBox    *components_list;
  GtkEditable   *dtypes_row;
  GtkListBox    *dtype_list;
  GtkPopover    *dtype_popover;
  GtkEditable   *group_sizes_row;
  GtkSwitch     *raw_switch;
  GtkSwitch     *svd_switch;
  GtkEditable   *svd_ranks_row;
  GtkSpinButton *svd_steps_spin;
  GtkSpinButton *promote_spin;
  GtkSpinButton *skip_spin;
  GtkSpinButton *top_n_spin;
  GtkSwitch     *auto_config_switch;
  AdwComboRow   *device_row;
  GtkLabel      *reason_label;

  QsModel       *model;
  GPtrArray     *component_checks;
  GtkStringList *device_names;
  GPtrArray     *device_ids;
  char          *requested_device;
  char          *invalid_reason;
  GCancellable  *cancellable;

  guint          valid : 1;
};

G_DEFINE_FINAL_TYPE (QsSetupPage, qs_setup_page, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_VALID,
  PROP_INVALID_REASON,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Lists in the entries are separated by commas, spaces or both. */
static GStrv
split_list (const char *text)
{
  g_auto(GStrv) parts = g_regex_split_simple ("[\\s,]+", text != NULL ? text : "", 0, 0);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] != '\0')
      g_strv_builder_add (builder, parts[i]);

  return g_strv_builder_end (builder);
}

static gboolean
parse_int64 (const char *text,
             gint64     *value)
{
  char *end = NULL;

  errno = 0;
  *value = g_ascii_strtoll (text, &end, 10);

  return errno == 0 && end != text && *end == '\0';
}

static QsAnalysisSettings *
build_settings (QsSetupPage  *self,
                GError      **error)
{
  g_autoptr(QsAnalysisSettings) settings = qs_analysis_settings_new ();
  g_auto(GStrv) dtypes = split_list (gtk_editable_get_text (self->dtypes_row));
  g_auto(GStrv) sizes = split_list (gtk_editable_get_text (self->group_sizes_row));
  g_auto(GStrv) ranks = split_list (gtk_editable_get_text (self->svd_ranks_row));
  g_autoptr(GStrvBuilder) components = g_strv_builder_new ();
  g_autofree gint64 *size_values = NULL;
  g_autofree guint *rank_values = NULL;
  guint n_selected = 0;
  guint device_index;

  if (self->model == NULL)
    {
      g_set_error_literal (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS,
                           _("Open a model first."));
      return NULL;
    }

  for (guint i = 0; i < self->component_checks->len; i++)
    {
      GtkCheckButton *check = g_ptr_array_index (self->component_checks, i);
      const QsComponent *component = qs_model_get_component (self->model, i);

      if (gtk_check_button_get_active (check))
        {
          g_strv_builder_add (components, component->name);
          n_selected++;
        }
    }
  if (n_selected == 0)
    {
      g_set_error_literal (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS,
                           _("Select at least one component."));
      return NULL;
    }
  if (n_selected < self->component_checks->len)
    {
      g_strfreev (settings->components);
      settings->components = g_strv_builder_end (components);
    }

  if (dtypes[0] == NULL)
    {
      g_set_error_literal (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS,
                           _("Enter at least one dtype."));
      return NULL;
    }
  qs_analysis_settings_set_dtypes (settings, (const char * const *) dtypes);

  if (sizes[0] == NULL)
    {
      g_set_error_literal (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS,
                           _("Enter at least one group size (0 lets SDNQ choose)."));
      return NULL;
    }
  size_values = g_new0 (gint64, g_strv_length (sizes));
  for (guint i = 0; sizes[i] != NULL; i++)
    {
      if (!parse_int64 (sizes[i], &size_values[i]))
        {
          g_set_error (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS,
                       _("Invalid group size “%s”: expected an integer (0 automatic, "
                         "−1 row-wise, or a size)."), sizes[i]);
          return NULL;
        }
    }
  qs_analysis_settings_set_group_sizes (settings, size_values, g_strv_length (sizes));

  if (ranks[0] != NULL)
    {
      rank_values = g_new0 (guint, g_strv_length (ranks));
      for (guint i = 0; ranks[i] != NULL; i++)
        {
          gint64 rank;

          if (!parse_int64 (ranks[i], &rank) || rank < 1 || rank > G_MAXINT)
            {
              g_set_error (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS,
                           _("Invalid SVD rank “%s”: expected a positive integer."), ranks[i]);
              return NULL;
            }
          rank_values[i] = (guint) rank;
        }
      qs_analysis_settings_set_svd_ranks (settings, rank_values, g_strv_length (ranks));
    }
  else if (gtk_switch_get_active (self->svd_switch))
    {
      g_set_error_literal (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS,
                           _("Enter at least one SVD rank, or turn off formats with SVD."));
      return NULL;
    }

  settings->svd_steps = (guint) gtk_spin_button_get_value_as_int (self->svd_steps_spin);
  settings->use_raw = gtk_switch_get_active (self->raw_switch);
  settings->use_svd = gtk_switch_get_active (self->svd_switch);
  settings->promote_threshold = gtk_spin_button_get_value (self->promote_spin);
  settings->skip_threshold = gtk_spin_button_get_value (self->skip_spin);
  settings->top_n = (guint) gtk_spin_button_get_value_as_int (self->top_n_spin);

  device_index = adw_combo_row_get_selected (self->device_row);
  g_free (settings->device);
  if (device_index != GTK_INVALID_LIST_POSITION && device_index < self->device_ids->len)
    settings->device = g_strdup (g_ptr_array_index (self->device_ids, device_index));
  else
    settings->device = g_strdup ("cpu");

  if (!qs_analysis_settings_validate (settings, error))
    return NULL;

  return g_steal_pointer (&settings);
}

static void
update_validity (QsSetupPage *self)
{
  g_autoptr(QsAnalysisSettings) settings = NULL;
  g_autoptr(GError) error = NULL;
  gboolean valid;

  settings = build_settings (self, &error);
  valid = settings != NULL;

  g_free (self->invalid_reason);
  self->invalid_reason = valid ? NULL : g_strdup (error->message);
  gtk_label_set_text (self->reason_label, self->invalid_reason != NULL ? self->invalid_reason : "");

  if (self->valid != valid)
    {
      self->valid = valid;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VALID]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INVALID_REASON]);
}

static void
input_changed_cb (QsSetupPage *self)
{
  update_validity (self);
}

static void
dtype_activated_cb (QsSetupPage   *self,
                    GtkListBoxRow *row)
{
  const char *name = g_object_get_data (G_OBJECT (row), "qs-dtype");
  const char *text = gtk_editable_get_text (self->dtypes_row);
  g_autofree char *updated = NULL;

  updated = text[0] != '\0' ? g_strconcat (text, " ", name, NULL) : g_strdup (name);
  gtk_editable_set_text (self->dtypes_row, updated);
  gtk_popover_popdown (self->dtype_popover);
}

static void
fill_dtype_list (QsSetupPage *self)
{
  guint n_dtypes = 0;
  const QsDtype *const *dtypes = qs_dtype_get_all (&n_dtypes);

  for (guint i = 0; i < n_dtypes; i++)
    {
      GtkWidget *label = gtk_label_new (dtypes[i]->name);
      GtkWidget *row = gtk_list_box_row_new ();

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);
      g_object_set_data (G_OBJECT (row), "qs-dtype", (gpointer) dtypes[i]->name);
      gtk_list_box_append (self->dtype_list, row);
    }
}

static void
select_device (QsSetupPage *self,
               const char  *device)
{
  guint selected = 0;

  for (guint i = 0; device != NULL && i < self->device_ids->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (self->device_ids, i), device) == 0)
      selected = i;

  adw_combo_row_set_selected (self->device_row, selected);
}

#ifdef QS_UI_HAVE_GPU
static void
list_devices_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *devices = qs_gpu_list_devices (&error);

  if (devices == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, devices, (GDestroyNotify) g_ptr_array_unref);
}

static void
list_devices_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = g_task_propagate_pointer (G_TASK (result), &error);
  QsSetupPage *self;
  gboolean any_usable = FALSE;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = QS_SETUP_PAGE (user_data);
  if (devices == NULL)
    {
      g_debug ("No Vulkan devices: %s", error->message);
      return;
    }

  for (guint i = 0; i < devices->len; i++)
    {
      const QsGpuDeviceInfo *info = g_ptr_array_index (devices, i);
      g_autofree char *name = NULL;

      if (!info->usable)
        continue;

      if (!any_usable)
        {
          gtk_string_list_append (self->device_names, _("Automatic (a GPU when one can be opened)"));
          g_ptr_array_add (self->device_ids, g_strdup ("auto"));
          any_usable = TRUE;
        }

      /* Translators: a compute device, "NVIDIA GeForce RTX 4090 (Vulkan, discrete)" */
      name = g_strdup_printf (_("%s (Vulkan, %s)"), info->name,
                              qs_gpu_device_type_to_string (info->type));
      gtk_string_list_append (self->device_names, name);
      g_ptr_array_add (self->device_ids, g_strdup_printf ("vulkan:%u", info->index));
    }

  select_device (self, self->requested_device);
}
#endif

static void
list_devices (QsSetupPage *self)
{
  gtk_string_list_append (self->device_names, _("CPU"));
  g_ptr_array_add (self->device_ids, g_strdup ("cpu"));

#ifdef QS_UI_HAVE_GPU
  {
    g_autoptr(GTask) task = g_task_new (NULL, self->cancellable, list_devices_cb, self);

    /* Creating a Vulkan instance loads every driver, which is slow enough
     * to stall the window. */
    g_task_set_source_tag (task, list_devices);
    g_task_run_in_thread (task, list_devices_thread);
  }
#endif
}

static void
qs_setup_page_dispose (GObject *object)
{
  QsSetupPage *self = QS_SETUP_PAGE (object);

  g_cancellable_cancel (self->cancellable);

  gtk_widget_dispose_template (GTK_WIDGET (self), QS_TYPE_SETUP_PAGE);
  qs_ui_unparent_children (GTK_WIDGET (self));

  g_clear_pointer (&self->model, qs_model_unref);
  g_clear_pointer (&self->component_checks, g_ptr_array_unref);
  g_clear_pointer (&self->device_ids, g_ptr_array_unref);
  g_clear_object (&self->device_names);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->requested_device, g_free);
  g_clear_pointer (&self->invalid_reason, g_free);

  G_OBJECT_CLASS (qs_setup_page_parent_class)->dispose (object);
}

static void
qs_setup_page_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  QsSetupPage *self = QS_SETUP_PAGE (object);

  switch (prop_id)
    {
    case PROP_VALID:
      g_value_set_boolean (value, self->valid);
      break;

    case PROP_INVALID_REASON:
      g_value_set_string (value, self->invalid_reason);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qs_setup_page_class_init (QsSetupPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = qs_setup_page_dispose;
  object_class->get_property = qs_setup_page_get_property;

  properties[PROP_VALID] =
    g_param_spec_boolean ("valid", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_INVALID_REASON] =
    g_param_spec_string ("invalid-reason", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/quantscope/Quantscope/ui/qs-setup-page.ui");
  gtk_widget_class_bind_template_child (widget_class, QsSetupPage, preferences_page);
  gtk_widget_class_bind_template_child (widget_class, QsSetupPage, model_group);
  gtk_widget_class_bind_template_child (widget_class, QsSetupPage, components_list);
  gtk_widget_class_bind_template_child (widget_class, QsSetupPage, dtypes_row);
  gtk_widget_class_bind_template_child (widget_class, QsSetupPage, dtype_list);
  gtk_widget_class_bind_template_child (widget_class, QsSetupPage, dtype_popover);
  gtk_widget_class_bind_template_child (widget_class, QsSetupPage, group_sizes_row);
  gtk_widget_class_bind_template_child (widget_class, QsSetupPage, raw_switch);
  gtk_widget_class_bind_template_child (widget_class, QsSetupPage, svd_switch);
  gtk_widget_class_bind_template_child (widget_class, QsSetupPage, svd_ranks_row);
  gtk_widget_class_bind_template_child (widget_class, QsSetupPage, svd_steps_spin);
  gtk_widget_class_bind_template_child (widget_class, QsSetupPage, promote_spin);
  gtk_widget_class_bind_template_child (widget_class, QsSetupPage, skip_spin);
  gtk_widget_class_bind_template_child (widget_class, QsSetupPage, top_n_spin);
  gtk_widget_class_bind_template_child (widget_class, QsSetupPage, auto_config_switch);
  gtk_widget_class_bind_template_child (widget_class, QsSetupPage, device_row);
  gtk_widget_class_bind_template_child (widget_class, QsSetupPage, reason_label);
  gtk_widget_class_bind_template_callback (widget_class, input_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, dtype_activated_cb);

  gtk_widget_class_set_css_name (widget_class, "qssetuppage");
}

static void
qs_setup_page_init (QsSetupPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->component_checks = g_ptr_array_new ();
  self->device_names = gtk_string_list_new (NULL);
  self->device_ids = g_ptr_array_new_with_free_func (g_free);
  self->cancellable = g_cancellable_new ();
  adw_combo_row_set_model (self->device_row, G_LIST_MODEL (self->device_names));

  fill_dtype_list (self);
  list_devices (self);
}

static char *
join_int64 (GVariant *array)
{
  g_autoptr(GString) text = g_string_new (NULL);
  gsize n = 0;
  const gint64 *values = g_variant_get_fixed_array (array, &n, sizeof (gint64));

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (text, "%s%" G_GINT64_FORMAT, i > 0 ? " " : "", values[i]);

  return g_strdup (text->str);
}

static char *
join_uint32 (GVariant *array)
{
  g_autoptr(GString) text = g_string_new (NULL);
  gsize n = 0;
  const guint32 *values = g_variant_get_fixed_array (array, &n, sizeof (guint32));

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (text, "%s%u", i > 0 ? " " : "", values[i]);

  return g_strdup (text->str);
}

static void
load_defaults (QsSetupPage *self,
               GSettings   *settings)
{
  g_auto(GStrv) dtypes = g_settings_get_strv (settings, "dtypes");
  g_autoptr(GVariant) sizes = g_settings_get_value (settings, "group-sizes");
  g_autoptr(GVariant) ranks = g_settings_get_value (settings, "svd-ranks");
  g_autofree char *dtypes_text = g_strjoinv (" ", dtypes);
  g_autofree char *sizes_text = join_int64 (sizes);
  g_autofree char *ranks_text = join_uint32 (ranks);

  gtk_editable_set_text (self->dtypes_row, dtypes_text);
  gtk_editable_set_text (self->group_sizes_row, sizes_text);
  gtk_editable_set_text (self->svd_ranks_row, ranks_text);
  gtk_spin_button_set_value (self->svd_steps_spin, g_settings_get_uint (settings, "svd-steps"));
  gtk_switch_set_active (self->raw_switch, g_settings_get_boolean (settings, "use-raw"));
  gtk_switch_set_active (self->svd_switch, g_settings_get_boolean (settings, "use-svd"));
  gtk_spin_button_set_value (self->promote_spin, g_settings_get_double (settings, "promote-threshold"));
  gtk_spin_button_set_value (self->skip_spin, g_settings_get_double (settings, "skip-threshold"));
  gtk_spin_button_set_value (self->top_n_spin, g_settings_get_uint (settings, "top-n"));
  gtk_switch_set_active (self->auto_config_switch, g_settings_get_boolean (settings, "auto-config"));

  g_free (self->requested_device);
  self->requested_device = g_settings_get_string (settings, "device");
  select_device (self, self->requested_device);
}

static void
component_toggled_cb (QsSetupPage *self)
{
  update_validity (self);
}

void
qs_setup_page_set_model (QsSetupPage *self,
                         QsModel     *model,
                         GSettings   *settings)
{
  GtkWidget *child;
  g_autofree char *title = NULL;

  g_return_if_fail (QS_IS_SETUP_PAGE (self));
  g_return_if_fail (model != NULL);
  g_return_if_fail (G_IS_SETTINGS (settings));

  g_clear_pointer (&self->model, qs_model_unref);
  self->model = qs_model_ref (model);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->components_list))) != NULL)
    gtk_list_box_remove (self->components_list, child);
  g_ptr_array_set_size (self->component_checks, 0);

  title = g_markup_escape_text (qs_model_get_name (model), -1);
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self->model_group), title);
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self->model_group),
                                         qs_model_get_pipeline_class (model) != NULL
                                         ? qs_model_get_pipeline_class (model) : NULL);

  for (guint i = 0; i < qs_model_get_n_components (model); i++)
    {
      const QsComponent *component = qs_model_get_component (model, i);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();
      g_autofree char *size = qs_ui_format_size (component->total_bytes);
      g_autofree char *subtitle = NULL;
      g_autofree char *escaped = NULL;
      guint n_tensors = component->tensors != NULL ? component->tensors->len : 0;

      /* Translators: a component summary, "LlamaForCausalLM · 20 tensors · 2.5 MiB" */
      subtitle = g_strdup_printf (ngettext ("%s · %u tensor · %s", "%s · %u tensors · %s", n_tensors),
                                  component->class_name != NULL ? component->class_name : _("unknown class"),
                                  n_tensors, size);
      escaped = g_markup_escape_text (subtitle, -1);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), qs_ui_component_label (component->name));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), escaped);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      g_signal_connect_swapped (check, "toggled", G_CALLBACK (component_toggled_cb), self);
      gtk_widget_set_tooltip_text (row, component->path);
      gtk_list_box_append (self->components_list, row);
      g_ptr_array_add (self->component_checks, check);
    }

  load_defaults (self, settings);
  update_validity (self);
}

QsModel *
qs_setup_page_get_model (QsSetupPage *self)
{
  g_return_val_if_fail (QS_IS_SETUP_PAGE (self), NULL);

  return self->model;
}

QsAnalysisSettings *
qs_setup_page_build_settings (QsSetupPage  *self,
                              GError      **error)
{
  g_return_val_if_fail (QS_IS_SETUP_PAGE (self), NULL);

  return build_settings (self, error);
}

gboolean
qs_setup_page_get_auto_config (QsSetupPage *self)
{
  g_return_val_if_fail (QS_IS_SETUP_PAGE (self), FALSE);

  return gtk_switch_get_active (self->auto_config_switch);
}

void
qs_setup_page_save_defaults (QsSetupPage *self,
                             GSettings   *settings)
{
  g_autoptr(QsAnalysisSettings) analysis = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (QS_IS_SETUP_PAGE (self));
  g_return_if_fail (G_IS_SETTINGS (settings));

  analysis = build_settings (self, &error);
  if (analysis == NULL)
    return;

  g_settings_delay (settings);
  g_settings_set_strv (settings, "dtypes", (const char * const *) analysis->dtypes);
  g_settings_set_value (settings, "group-sizes",
                        g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, analysis->group_sizes,
                                                   analysis->n_group_sizes, sizeof (gint64)));
  g_settings_set_value (settings, "svd-ranks",
                        g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, analysis->svd_ranks,
                                                   analysis->n_svd_ranks, sizeof (guint32)));
  g_settings_set_uint (settings, "svd-steps", analysis->svd_steps);
  g_settings_set_boolean (settings, "use-raw", analysis->use_raw);
  g_settings_set_boolean (settings, "use-svd", analysis->use_svd);
  g_settings_set_double (settings, "promote-threshold", analysis->promote_threshold);
  g_settings_set_double (settings, "skip-threshold", analysis->skip_threshold);
  g_settings_set_uint (settings, "top-n", analysis->top_n);
  g_settings_set_boolean (settings, "auto-config", gtk_switch_get_active (self->auto_config_switch));
  g_settings_set_string (settings, "device", analysis->device);
  g_settings_apply (settings);
}

gboolean
qs_setup_page_get_valid (QsSetupPage *self)
{
  g_return_val_if_fail (QS_IS_SETUP_PAGE (self), FALSE);

  return self->valid;
}

const char *
qs_setup_page_get_invalid_reason (QsSetupPage *self)
{
  g_return_val_if_fail (QS_IS_SETUP_PAGE (self), NULL);

  return self->invalid_reason;
}

void
qs_setup_page_set_dtypes_text (QsSetupPage *self,
                               const char  *text)
{
  g_return_if_fail (QS_IS_SETUP_PAGE (self));

  gtk_editable_set_text (self->dtypes_row, text != NULL ? text : "");
}

void
qs_setup_page_set_group_sizes_text (QsSetupPage *self,
                                    const char  *text)
{
  g_return_if_fail (QS_IS_SETUP_PAGE (self));

  gtk_editable_set_text (self->group_sizes_row, text != NULL ? text : "");
}

void
qs_setup_page_set_use_raw (QsSetupPage *self,
                           gboolean     use_raw)
{
  g_return_if_fail (QS_IS_SETUP_PAGE (self));

  gtk_switch_set_active (self->raw_switch, use_raw);
}

void
qs_setup_page_set_use_svd (QsSetupPage *self,
                           gboolean     use_svd)
{
  g_return_if_fail (QS_IS_SETUP_PAGE (self));

  gtk_switch_set_active (self->svd_switch, use_svd);
}

void
qs_setup_page_set_component_selected (QsSetupPage *self,
                                      guint        index,
                                      gboolean     selected)
{
  g_return_if_fail (QS_IS_SETUP_PAGE (self));
  g_return_if_fail (index < self->component_checks->len);

  gtk_check_button_set_active (g_ptr_array_index (self->component_checks, index), selected);
}
