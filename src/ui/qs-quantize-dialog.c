/* qs-quantize-dialog.c: writes an SDNQ-quantized copy of the analysed model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "qs-dtype.h"
#include "qs-model.h"
#include "qs-quantize-dialog.h"
#include "qs-quantize-job.h"
#include "qs-ui-util.h"

/* Positions in the source row's model. */
enum
{
  SOURCE_RECOMMENDED,
  SOURCE_UNIFORM,
};

struct _QsQuantizeDialog
{
  AdwWindow         parent_instance;

  AdwToastOverlay  *toast_overlay;
  GtkWidget        *cancel_button;
  GtkWidget        *quantize_button;
  GtkWidget        *preferences_page;
  GtkWidget        *config_group;
  AdwComboRow      *source_row;
  AdwComboRow      *dtype_row;
  GtkWidget        *group_size_row;
  GtkSpinButton    *group_size_spin;
  AdwActionRow     *output_row;
  GtkWidget        *choose_button;
  AdwEntryRow      *shard_size_row;
  GtkWidget        *progress_group;
  GtkProgressBar   *progress_bar;
  GtkLabel         *current_label;
  GtkLabel         *eta_label;

  char             *model_path;
  char             *output_path;
  /* component → QsSdnqConfig, or NULL without a usable recommendation */
  GHashTable       *recommendation;
  GtkStringList    *dtype_names;

  QsQuantizeJob    *job;
  GCancellable     *cancellable;
  gboolean          running;
  gboolean          close_when_stopped;
  /* Set in dispose, so a job that ends later leaves the widgets alone. */
  gboolean          disposed;
};

G_DEFINE_FINAL_TYPE (QsQuantizeDialog, qs_quantize_dialog, ADW_TYPE_WINDOW)

enum {
  FINISHED,
  FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
show_message (QsQuantizeDialog *self,
              const char       *message,
              gboolean          is_error)
{
  AdwToast *toast = adw_toast_new (message);

  if (is_error)
    {
      adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
      adw_toast_set_timeout (toast, 0);
      g_signal_emit (self, signals[FAILED], 0, message);
    }
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
update_sensitivity (QsQuantizeDialog *self)
{
  gboolean uniform = adw_combo_row_get_selected (self->source_row) == SOURCE_UNIFORM;
  guint64 size = 0;
  gboolean size_valid = qs_quantize_parse_size (gtk_editable_get_text (GTK_EDITABLE (self->shard_size_row)),
                                                &size);

  /* Rows are set one by one, because an insensitive row inside an
   * insensitive group is drawn darker than its neighbours. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->source_row),
                            !self->running && self->recommendation != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->dtype_row), !self->running && uniform);
  gtk_widget_set_sensitive (self->group_size_row, !self->running && uniform);
  gtk_widget_set_sensitive (self->choose_button, !self->running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->shard_size_row), !self->running);
  gtk_widget_set_sensitive (self->quantize_button,
                            !self->running && size_valid && self->output_path != NULL);
  gtk_button_set_label (GTK_BUTTON (self->cancel_button),
                        self->running ? _("_Stop") : _("_Cancel"));

  if (size_valid)
    gtk_widget_remove_css_class (GTK_WIDGET (self->shard_size_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->shard_size_row), "error");
}

static void
source_changed_cb (QsQuantizeDialog *self)
{
  update_sensitivity (self);
}

static void
shard_size_changed_cb (QsQuantizeDialog *self)
{
  update_sensitivity (self);
}

/* Progress */

static void
progress_changed_cb (QsQuantizeJob    *job,
                     GParamSpec       *pspec,
                     QsQuantizeDialog *self)
{
  g_autofree char *current = qs_quantize_job_dup_current_layer (job);
  g_autofree char *stage = qs_quantize_job_dup_stage (job);
  g_autofree char *text = NULL;
  g_autofree char *detail = NULL;
  double eta = qs_quantize_job_get_eta_seconds (job);
  guint total = qs_quantize_job_get_layers_total (job);

  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (qs_quantize_job_get_fraction (job), 0, 1));
  /* Translators: progress of writing a quantized model */
  text = g_strdup_printf (_("%u of %u layers"), qs_quantize_job_get_layers_done (job), total);
  gtk_progress_bar_set_text (self->progress_bar, total > 0 ? text : stage);

  if (current != NULL)
    /* Translators: the first %s is a stage such as "quantizing", the second a layer or file */
    detail = g_strdup_printf (_("%s: %s"), stage != NULL ? stage : "", current);
  gtk_label_set_text (self->current_label, detail != NULL ? detail : (stage != NULL ? stage : ""));

  if (eta > 0 && isfinite (eta))
    {
      g_autofree char *duration = qs_ui_format_duration (eta);
      g_autofree char *eta_text = g_strdup_printf (_("About %s left"), duration);

      gtk_label_set_text (self->eta_label, eta_text);
    }
  else
    gtk_label_set_text (self->eta_label, "");
}

static void
set_running (QsQuantizeDialog *self,
             gboolean          running)
{
  self->running = running;
  gtk_widget_set_visible (self->progress_group, TRUE);
  if (running)
    {
      gtk_progress_bar_set_fraction (self->progress_bar, 0);
      gtk_progress_bar_set_text (self->progress_bar, _("Opening the model…"));
      gtk_label_set_text (self->current_label, "");
      gtk_label_set_text (self->eta_label, "");
    }
  update_sensitivity (self);
}

static void
stop_job (QsQuantizeDialog *self)
{
  if (self->job != NULL)
    g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);
  g_clear_object (&self->cancellable);
  set_running (self, FALSE);

  if (self->close_when_stopped)
    gtk_window_destroy (GTK_WINDOW (self));
}

static void
job_done_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(QsQuantizeDialog) self = user_data;
  g_autoptr(QsQuantizeResult) written = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  written = qs_quantize_job_run_finish (QS_QUANTIZE_JOB (object), result, &error);
  if (self->disposed)
    return;

  if (written == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          gtk_progress_bar_set_text (self->progress_bar, _("Stopped"));
          show_message (self, _("Stopped; nothing was written"), FALSE);
        }
      else
        {
          gtk_progress_bar_set_text (self->progress_bar, _("Failed"));
          show_message (self, error->message, TRUE);
        }
      stop_job (self);
      return;
    }

  path = g_strdup (written->output_path);
  self->close_when_stopped = TRUE;
  g_signal_emit (self, signals[FINISHED], 0, path);
  stop_job (self);
}

static QsQuantizeSettings *
build_settings (QsQuantizeDialog *self,
                gboolean          overwrite)
{
  g_autoptr(QsQuantizeSettings) settings = qs_quantize_settings_new ();

  settings->output_path = g_strdup (self->output_path);
  settings->overwrite = overwrite;
  if (!qs_quantize_parse_size (gtk_editable_get_text (GTK_EDITABLE (self->shard_size_row)),
                               &settings->max_shard_size))
    return NULL;

  if (adw_combo_row_get_selected (self->source_row) == SOURCE_RECOMMENDED
      && self->recommendation != NULL)
    {
      settings->pipeline_config = g_hash_table_ref (self->recommendation);
    }
  else
    {
      guint position = adw_combo_row_get_selected (self->dtype_row);
      const char *dtype = gtk_string_list_get_string (self->dtype_names, position);

      g_free (settings->config->weights_dtype);
      settings->config->weights_dtype = g_strdup (dtype);
      settings->config->group_size = gtk_spin_button_get_value_as_int (self->group_size_spin);
    }

  return g_steal_pointer (&settings);
}

static void
open_model_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  GError *error = NULL;
  QsModel *model = qs_model_open (task_data, NULL, &error);

  if (model == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, model, (GDestroyNotify) qs_model_unref);
}

static void
model_opened_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  QsQuantizeDialog *self = QS_QUANTIZE_DIALOG (object);
  QsQuantizeSettings *settings = user_data;
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;

  model = g_task_propagate_pointer (G_TASK (result), &error);
  if (self->disposed)
    {
      qs_quantize_settings_free (settings);
      return;
    }

  if (model == NULL || g_cancellable_is_cancelled (self->cancellable))
    {
      if (model != NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_message (self, _("Stopped; nothing was written"), FALSE);
      else
        show_message (self, error->message, TRUE);
      qs_quantize_settings_free (settings);
      stop_job (self);
      return;
    }

  self->job = qs_quantize_job_new (model, settings);
  qs_quantize_settings_free (settings);
  g_signal_connect (self->job, "notify::fraction", G_CALLBACK (progress_changed_cb), self);
  g_signal_connect (self->job, "notify::current-layer", G_CALLBACK (progress_changed_cb), self);
  g_signal_connect (self->job, "notify::stage", G_CALLBACK (progress_changed_cb), self);
  qs_quantize_job_run_async (self->job, self->cancellable, job_done_cb, g_object_ref (self));
}

static void
run (QsQuantizeDialog *self,
     gboolean          overwrite)
{
  g_autoptr(GTask) task = NULL;
  QsQuantizeSettings *settings = build_settings (self, overwrite);

  if (settings == NULL)
    {
      show_message (self, _("Invalid shard size: expected a size such as 5GB, 500MB, 2GiB or "
                            "a number of bytes"), TRUE);
      return;
    }

  self->cancellable = g_cancellable_new ();
  set_running (self, TRUE);

  /* Opening reads every header, which takes a while for large models. */
  task = g_task_new (self, self->cancellable, model_opened_cb, settings);
  g_task_set_task_data (task, g_strdup (self->model_path), g_free);
  g_task_run_in_thread (task, open_model_thread);
}

static void
overwrite_response_cb (AdwMessageDialog *dialog,
                       const char       *response,
                       QsQuantizeDialog *self)
{
  if (g_strcmp0 (response, "overwrite") == 0)
    run (self, TRUE);
}

/* Returns: whether @path is a folder with at least one entry; a missing
 * folder or a file is left for the job to check. */
static gboolean
folder_has_entries (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);

  return dir != NULL && g_dir_read_name (dir) != NULL;
}

void
qs_quantize_dialog_start (QsQuantizeDialog *self)
{
  GtkWidget *dialog;
  g_autofree char *body = NULL;

  g_return_if_fail (QS_IS_QUANTIZE_DIALOG (self));

  if (self->running)
    return;

  if (self->output_path == NULL)
    {
      show_message (self, _("Choose an output folder first"), TRUE);
      return;
    }

  if (!folder_has_entries (self->output_path))
    {
      run (self, FALSE);
      return;
    }

  /* Translators: %s is a folder */
  body = g_strdup_printf (_("“%s” is not empty. Quantizing replaces everything in it."),
                          self->output_path);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Replace the Folder’s Contents?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "overwrite", _("_Replace"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "overwrite",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (overwrite_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
qs_quantize_dialog_cancel (QsQuantizeDialog *self)
{
  g_return_if_fail (QS_IS_QUANTIZE_DIALOG (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

static void
quantize_clicked_cb (QsQuantizeDialog *self)
{
  qs_quantize_dialog_start (self);
}

static void
cancel_clicked_cb (QsQuantizeDialog *self)
{
  if (self->running)
    qs_quantize_dialog_cancel (self);
  else
    gtk_window_close (GTK_WINDOW (self));
}

static void
folder_chosen_cb (GtkNativeDialog  *native,
                  int               response,
                  QsQuantizeDialog *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        qs_quantize_dialog_set_output_path (self, path);
      else
        show_message (self, _("The chosen folder is not a local folder"), TRUE);
    }
  g_object_unref (native);
}

static void
choose_clicked_cb (QsQuantizeDialog *self)
{
  GtkFileChooserNative *native;

  /* The folder chooser can also create the new folder to write to. */
  native = gtk_file_chooser_native_new (_("Choose the Output Folder"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                        _("_Select"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (folder_chosen_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static gboolean
qs_quantize_dialog_close_request (GtkWindow *window)
{
  QsQuantizeDialog *self = QS_QUANTIZE_DIALOG (window);

  /* The job removes its partial folder before it reports the cancel, so
   * the dialog stays until then. */
  if (self->running)
    {
      self->close_when_stopped = TRUE;
      qs_quantize_dialog_cancel (self);
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
      return TRUE;
    }

  return GTK_WINDOW_CLASS (qs_quantize_dialog_parent_class)->close_request (window);
}

static void
qs_quantize_dialog_dispose (GObject *object)
{
  QsQuantizeDialog *self = QS_QUANTIZE_DIALOG (object);

  self->disposed = TRUE;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->job != NULL)
    g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (qs_quantize_dialog_parent_class)->dispose (object);
}

static void
qs_quantize_dialog_finalize (GObject *object)
{
  QsQuantizeDialog *self = QS_QUANTIZE_DIALOG (object);

  g_free (self->model_path);
  g_free (self->output_path);
  g_clear_pointer (&self->recommendation, g_hash_table_unref);
  g_clear_object (&self->dtype_names);

  G_OBJECT_CLASS (qs_quantize_dialog_parent_class)->finalize (object);
}

static void
qs_quantize_dialog_class_init (QsQuantizeDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = qs_quantize_dialog_dispose;
  object_class->finalize = qs_quantize_dialog_finalize;
  window_class->close_request = qs_quantize_dialog_close_request;

  /**
   * QsQuantizeDialog::finished:
   * @path: the folder written
   *
   * Emitted when the quantized model was written, before the dialog closes.
   */
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * QsQuantizeDialog::failed:
   * @message: the error shown
   *
   * Emitted when the settings are invalid or the job failed.
   */
  signals[FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/quantscope/Quantscope/ui/qs-quantize-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, QsQuantizeDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, QsQuantizeDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, QsQuantizeDialog, quantize_button);
  gtk_widget_class_bind_template_child (widget_class, QsQuantizeDialog, preferences_page);
  gtk_widget_class_bind_template_child (widget_class, QsQuantizeDialog, config_group);
  gtk_widget_class_bind_template_child (widget_class, QsQuantizeDialog, source_row);
  gtk_widget_class_bind_template_child (widget_class, QsQuantizeDialog, dtype_row);
  gtk_widget_class_bind_template_child (widget_class, QsQuantizeDialog, group_size_row);
  gtk_widget_class_bind_template_child (widget_class, QsQuantizeDialog, group_size_spin);
  gtk_widget_class_bind_template_child (widget_class, QsQuantizeDialog, output_row);
  gtk_widget_class_bind_template_child (widget_class, QsQuantizeDialog, choose_button);
  gtk_widget_class_bind_template_child (widget_class, QsQuantizeDialog, shard_size_row);
  gtk_widget_class_bind_template_child (widget_class, QsQuantizeDialog, progress_group);
  gtk_widget_class_bind_template_child (widget_class, QsQuantizeDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, QsQuantizeDialog, current_label);
  gtk_widget_class_bind_template_child (widget_class, QsQuantizeDialog, eta_label);
  gtk_widget_class_bind_template_callback (widget_class, quantize_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, choose_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, shard_size_changed_cb);
}

static void
qs_quantize_dialog_init (QsQuantizeDialog *self)
{
  guint n_dtypes = 0;
  const QsDtype *const *dtypes = qs_dtype_get_all (&n_dtypes);
  g_autoptr(QsSdnqConfig) defaults = qs_sdnq_config_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  self->dtype_names = gtk_string_list_new (NULL);
  for (guint i = 0; i < n_dtypes; i++)
    gtk_string_list_append (self->dtype_names, dtypes[i]->name);
  adw_combo_row_set_model (self->dtype_row, G_LIST_MODEL (self->dtype_names));
  for (guint i = 0; i < n_dtypes; i++)
    if (g_strcmp0 (dtypes[i]->name, defaults->weights_dtype) == 0)
      adw_combo_row_set_selected (self->dtype_row, i);
  gtk_spin_button_set_value (self->group_size_spin, (double) defaults->group_size);

  g_signal_connect_swapped (self->source_row, "notify::selected",
                            G_CALLBACK (source_changed_cb), self);
}

QsQuantizeDialog *
qs_quantize_dialog_new (GtkWindow       *parent,
                        const char      *model_path,
                        const QsSummary *summary)
{
  QsQuantizeDialog *self;

  g_return_val_if_fail (GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (model_path != NULL, NULL);

  self = g_object_new (QS_TYPE_QUANTIZE_DIALOG,
                       "transient-for", parent,
                       "application", gtk_window_get_application (parent),
                       NULL);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (self), TRUE);
  self->model_path = g_strdup (model_path);

  if (summary != NULL)
    {
      /* The upstream style is what released SDNQ and the job read; the
       * script style's per-layer dicts would be dropped by the parser. */
      g_autoptr(JsonNode) root = qs_summary_build_pipeline_config (summary, QS_CONFIG_STYLE_UPSTREAM);
      g_autoptr(GError) error = NULL;

      self->recommendation = qs_pipeline_config_parse (root, &error);
      if (self->recommendation == NULL)
        g_warning ("The analysis' pipeline config cannot be read back: %s", error->message);
    }

  if (self->recommendation == NULL)
    {
      adw_combo_row_set_selected (self->source_row, SOURCE_UNIFORM);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->source_row),
                                   _("The analysis has no recommendation to apply"));
    }
  else
    {
      adw_combo_row_set_selected (self->source_row, SOURCE_RECOMMENDED);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->source_row),
                                   summary->has_auto_config
                                   ? _("The auto-config choices of each component")
                                   : _("The configs that apply the verdicts of each component"));
    }

  update_sensitivity (self);

  return self;
}

void
qs_quantize_dialog_set_output_path (QsQuantizeDialog *self,
                                    const char       *path)
{
  g_return_if_fail (QS_IS_QUANTIZE_DIALOG (self));

  g_free (self->output_path);
  self->output_path = path != NULL && path[0] != '\0' ? g_strdup (path) : NULL;
  adw_action_row_set_subtitle (self->output_row,
                               self->output_path != NULL ? self->output_path : _("None chosen"));
  update_sensitivity (self);
}

const char *
qs_quantize_dialog_get_output_path (QsQuantizeDialog *self)
{
  g_return_val_if_fail (QS_IS_QUANTIZE_DIALOG (self), NULL);

  return self->output_path;
}

void
qs_quantize_dialog_set_use_recommendation (QsQuantizeDialog *self,
                                           gboolean          use)
{
  g_return_if_fail (QS_IS_QUANTIZE_DIALOG (self));

  adw_combo_row_set_selected (self->source_row,
                              use && self->recommendation != NULL ? SOURCE_RECOMMENDED
                                                                  : SOURCE_UNIFORM);
}

gboolean
qs_quantize_dialog_get_has_recommendation (QsQuantizeDialog *self)
{
  g_return_val_if_fail (QS_IS_QUANTIZE_DIALOG (self), FALSE);

  return self->recommendation != NULL;
}

void
qs_quantize_dialog_set_uniform (QsQuantizeDialog *self,
                                const char       *dtype,
                                gint64            group_size)
{
  guint n = 0;

  g_return_if_fail (QS_IS_QUANTIZE_DIALOG (self));

  n = g_list_model_get_n_items (G_LIST_MODEL (self->dtype_names));
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (self->dtype_names, i), dtype) == 0)
      adw_combo_row_set_selected (self->dtype_row, i);
  gtk_spin_button_set_value (self->group_size_spin, (double) group_size);
}

void
qs_quantize_dialog_set_shard_size (QsQuantizeDialog *self,
                                   const char       *text)
{
  g_return_if_fail (QS_IS_QUANTIZE_DIALOG (self));

  gtk_editable_set_text (GTK_EDITABLE (self->shard_size_row), text);
}

gboolean
qs_quantize_dialog_get_running (QsQuantizeDialog *self)
{
  g_return_val_if_fail (QS_IS_QUANTIZE_DIALOG (self), FALSE);

  return self->running;
}
