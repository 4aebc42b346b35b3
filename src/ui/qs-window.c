/* qs-window.c: the main window: start, setup, running and results pages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "qs-analysis-io.h"
#include "qs-layer-row.h"
#include "qs-compare-page.h"
#include "qs-print-operation.h"
#include "qs-quantize-dialog.h"
#include "qs-report.h"
#include "qs-window.h"

#ifdef QS_UI_HAVE_GPU
#include "qs-gpu-backend.h"
#endif

/* How often the live table re-derives verdicts while layers finish. */
#define LIVE_REFRESH_MS 250

struct _QsWindow
{
  AdwApplicationWindow  parent_instance;

  AdwToastOverlay      *toast_overlay;
  GtkWidget            *back_button;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewSwitcherBar   *switcher_bar;
  GtkWidget            *search_button;
  GtkWidget            *export_button;
  GtkStack             *page_stack;
  QsStartPage          *start_page;
  QsSetupPage          *setup_page;
  QsRunningPage        *running_page;
  QsResultsPage        *results_page;
  QsComparePage        *compare_page;

  GSettings            *settings;
  QsWindowStage         stage;

  /* The running analysis */
  QsAnalysisJob        *job;
  GCancellable         *job_cancellable;
  QsAnalysisSettings   *job_settings;
  QsAnalysisResult     *live_result;
  GListStore           *live_rows;
  guint                 live_refresh_id;
  gint64                live_refresh_time;
  guint                 inhibit_cookie;
  char                 *job_model_name;

  GCancellable         *cancellable;
  guint                 n_busy;

  guint                 job_auto_config : 1;
  /* The compare page is shown over the stage it was opened from. */
  guint                 comparing : 1;
  guint                 cancelling : 1;
  guint                 closing : 1;
};

G_DEFINE_FINAL_TYPE (QsWindow, qs_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_STAGE,
  PROP_BUSY,
  N_PROPS
};

enum {
  FILE_WRITTEN,
  OPERATION_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef enum
{
  WRITE_ANALYSIS,
  WRITE_CSV,
  WRITE_HTML,
  WRITE_PDF,
  WRITE_PIPELINE_CONFIG,
} WriteKind;

static void update_actions (QsWindow *self);

/* Messages */

static void
show_toast (QsWindow   *self,
            const char *message,
            gboolean    is_error)
{
  AdwToast *toast = adw_toast_new (message);

  if (is_error)
    {
      adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
      adw_toast_set_timeout (toast, 10);
    }
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
report_failure (QsWindow     *self,
                const char   *message,
                const GError *error)
{
  g_autofree char *text = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  text = error != NULL ? g_strdup_printf ("%s: %s", message, error->message) : g_strdup (message);
  show_toast (self, text, TRUE);
  g_signal_emit (self, signals[OPERATION_FAILED], 0, text);
}

static void
show_error_dialog (QsWindow     *self,
                   const char   *heading,
                   const GError *error)
{
  GtkWidget *dialog;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, error->message);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_present (GTK_WINDOW (dialog));
  g_signal_emit (self, signals[OPERATION_FAILED], 0, error->message);
}

static void
set_busy (QsWindow *self,
          gboolean  busy)
{
  if (busy)
    self->n_busy++;
  else if (self->n_busy > 0)
    self->n_busy--;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* Stages */

static void
update_switcher_bar (QsWindow *self)
{
  adw_view_switcher_bar_set_reveal (self->switcher_bar,
                                    self->stage == QS_WINDOW_STAGE_RESULTS && !self->comparing
                                    && adw_view_switcher_title_get_title_visible (self->switcher_title));
}

static void
set_stage (QsWindow      *self,
           QsWindowStage  stage)
{
  static const char *names[] = { "start", "setup", "running", "results" };
  const char *subtitle = NULL;
  const char *title = _("Quantscope");
  QsAnalysisResult *result = qs_results_page_get_result (self->results_page);
  QsModel *model = qs_setup_page_get_model (self->setup_page);

  self->stage = stage;
  self->comparing = FALSE;
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->back_button), "win.show-start");
  gtk_widget_set_tooltip_text (self->back_button, _("Back to the Start"));
  gtk_stack_set_visible_child_name (self->page_stack, names[stage]);

  switch (stage)
    {
    case QS_WINDOW_STAGE_START:
      break;

    case QS_WINDOW_STAGE_SETUP:
      title = model != NULL ? qs_model_get_name (model) : title;
      subtitle = _("Analysis settings");
      break;

    case QS_WINDOW_STAGE_RUNNING:
      title = self->job_model_name != NULL ? self->job_model_name : title;
      subtitle = _("Analysing…");
      break;

    case QS_WINDOW_STAGE_RESULTS:
      if (result != NULL && qs_analysis_result_get_provenance_value (result, "model") != NULL)
        title = qs_analysis_result_get_provenance_value (result, "model");
      subtitle = result != NULL && !qs_analysis_result_get_complete (result)
                 ? _("Partial results") : _("Results");
      break;

    default:
      g_assert_not_reached ();
    }

  adw_view_switcher_title_set_title (self->switcher_title, title);
  adw_view_switcher_title_set_subtitle (self->switcher_title, subtitle != NULL ? subtitle : "");
  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title,
                                                     stage == QS_WINDOW_STAGE_RESULTS);
  gtk_widget_set_visible (self->back_button,
                          stage == QS_WINDOW_STAGE_SETUP || stage == QS_WINDOW_STAGE_RESULTS);
  gtk_widget_set_visible (self->search_button, stage == QS_WINDOW_STAGE_RESULTS);
  gtk_widget_set_visible (self->export_button, stage == QS_WINDOW_STAGE_RESULTS);
  update_switcher_bar (self);
  update_actions (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STAGE]);
}

static void
enable_action (QsWindow   *self,
               const char *name,
               gboolean    enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static void
update_actions (QsWindow *self)
{
  gboolean has_results = self->stage == QS_WINDOW_STAGE_RESULTS
                         && qs_results_page_get_result (self->results_page) != NULL;
  gboolean running = self->job != NULL;
  static const char *result_actions[] = {
    "save-analysis", "save-analysis-to", "export", "export-to", "export-pdf", "export-html",
    "export-csv", "save-pipeline-config", "save-pipeline-config-to", "print", "search",
  };

  has_results = has_results && !self->comparing;
  for (guint i = 0; i < G_N_ELEMENTS (result_actions); i++)
    enable_action (self, result_actions[i], has_results);
  enable_action (self, "quantize", has_results && !running);
  enable_action (self, "compare-images", !running && !self->comparing);
  enable_action (self, "compare-images-paths", !running);

  enable_action (self, "analyze", self->stage == QS_WINDOW_STAGE_SETUP && !running
                                  && qs_setup_page_get_valid (self->setup_page));
  enable_action (self, "cancel", running && !self->cancelling);
  enable_action (self, "show-start", !running);
  enable_action (self, "open-model", !running);
  enable_action (self, "open-model-file", !running);
  enable_action (self, "open-model-path", !running);
  enable_action (self, "open-analysis", !running);
  enable_action (self, "open-analysis-path", !running);
  enable_action (self, "open-path", !running);
}

static void
setup_valid_changed_cb (QsWindow *self)
{
  update_actions (self);
}

/* Opening a model */

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
open_model_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  QsWindow *self = QS_WINDOW (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(QsModel) model = g_task_propagate_pointer (G_TASK (result), &error);
  const char *source = g_task_get_task_data (G_TASK (result));

  set_busy (self, FALSE);
  if (self->closing)
    return;

  if (model == NULL)
    {
      show_error_dialog (self, _("Could Not Open the Model"), error);
      return;
    }

  qs_application_add_recent (QS_APPLICATION (gtk_window_get_application (GTK_WINDOW (self))),
                             "recent-models", source);
  qs_setup_page_set_model (self->setup_page, model, self->settings);
  set_stage (self, QS_WINDOW_STAGE_SETUP);
}

static void
open_model (QsWindow   *self,
            const char *source)
{
  g_autoptr(GTask) task = NULL;

  /* Opening validates every safetensors header, which reads from disk. */
  task = g_task_new (self, self->cancellable, open_model_cb, NULL);
  g_task_set_source_tag (task, open_model);
  g_task_set_task_data (task, g_strdup (source), g_free);
  set_busy (self, TRUE);
  g_task_run_in_thread (task, open_model_thread);
}

/* Opening an analysis */

static void
load_analysis_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  GError *error = NULL;
  QsAnalysisResult *result = qs_analysis_result_load (task_data, &error);

  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, g_object_unref);
}

static void
show_results (QsWindow         *self,
              QsAnalysisResult *result,
              gboolean          auto_config)
{
  qs_results_page_set_result (self->results_page, result, auto_config);
  set_stage (self, QS_WINDOW_STAGE_RESULTS);
}

static void
load_analysis_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  QsWindow *self = QS_WINDOW (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(QsAnalysisResult) analysis = g_task_propagate_pointer (G_TASK (result), &error);
  const char *path = g_task_get_task_data (G_TASK (result));

  set_busy (self, FALSE);
  if (self->closing)
    return;

  if (analysis == NULL)
    {
      show_error_dialog (self, _("Could Not Open the Analysis"), error);
      return;
    }

  qs_application_add_recent (QS_APPLICATION (gtk_window_get_application (GTK_WINDOW (self))),
                             "recent-analyses", path);
  show_results (self, analysis, g_settings_get_boolean (self->settings, "auto-config"));
}

static void
open_analysis (QsWindow   *self,
               const char *path)
{
  g_autoptr(GTask) task = NULL;

  task = g_task_new (self, self->cancellable, load_analysis_cb, NULL);
  g_task_set_source_tag (task, open_analysis);
  g_task_set_task_data (task, g_strdup (path), g_free);
  set_busy (self, TRUE);
  g_task_run_in_thread (task, load_analysis_thread);
}

static gboolean
is_analysis_file (const char *path)
{
  return g_str_has_suffix (path, ".json") && g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

void
qs_window_open_file (QsWindow *self,
                     GFile    *file)
{
  g_autofree char *path = NULL;

  g_return_if_fail (QS_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  path = g_file_get_path (file);
  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);
      g_autofree char *message = g_strdup_printf (_("Only local files can be opened: %s"), uri);

      show_toast (self, message, TRUE);
      return;
    }

  if (is_analysis_file (path))
    open_analysis (self, path);
  else
    open_model (self, path);
}

/* File choosers */

typedef void (*ChosenFunc) (QsWindow   *self,
                            const char *path,
                            const char *filter_name);

typedef struct
{
  QsWindow   *window;
  ChosenFunc  func;
} ChooserData;

static void
chooser_response_cb (GtkNativeDialog *native,
                     int              response,
                     ChooserData     *data)
{
  if (response == GTK_RESPONSE_ACCEPT && !data->window->closing)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;
      GtkFileFilter *filter = gtk_file_chooser_get_filter (GTK_FILE_CHOOSER (native));
      const char *filter_name = filter != NULL ? gtk_file_filter_get_name (filter) : NULL;

      if (path != NULL)
        data->func (data->window, path, filter_name);
    }

  g_object_unref (data->window);
  g_free (data);
  g_object_unref (native);
}

static GtkFileFilter *
filter_new (const char *name,
            const char *pattern)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, name);
  gtk_file_filter_add_pattern (filter, pattern);

  return filter;
}

/* Shows a native file chooser; @filters is a NULL-terminated list of
 * owned GtkFileFilter, the first one selected. */
static void
choose_file (QsWindow             *self,
             GtkFileChooserAction  action,
             const char           *title,
             const char           *accept,
             const char           *suggested_name,
             ChosenFunc            func,
             ...)
{
  GtkFileChooserNative *native = gtk_file_chooser_native_new (title, GTK_WINDOW (self), action,
                                                              accept, _("_Cancel"));
  ChooserData *data = g_new0 (ChooserData, 1);
  GtkFileFilter *filter;
  GtkFileFilter *first = NULL;
  va_list args;

  va_start (args, func);
  while ((filter = va_arg (args, GtkFileFilter *)) != NULL)
    {
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
      if (first == NULL)
        first = filter;
      g_object_unref (filter);
    }
  va_end (args);

  if (first != NULL)
    gtk_file_chooser_set_filter (GTK_FILE_CHOOSER (native), first);
  if (suggested_name != NULL)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), suggested_name);

  data->window = g_object_ref (self);
  data->func = func;
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (chooser_response_cb), data);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
model_chosen (QsWindow   *self,
              const char *path,
              const char *filter_name)
{
  open_model (self, path);
}

static void
analysis_chosen (QsWindow   *self,
                 const char *path,
                 const char *filter_name)
{
  open_analysis (self, path);
}

/* Writing files */

typedef struct
{
  WriteKind         kind;
  QsAnalysisResult *result;
  QsSummaryOptions  options;
  QsConfigStyle     style;
  char             *path;
} WriteJob;

static void
write_job_free (WriteJob *job)
{
  g_clear_object (&job->result);
  g_free (job->path);
  g_free (job);
}

static gboolean
write_pipeline_config (const QsSummary  *summary,
                       QsConfigStyle     style,
                       const char       *path,
                       GError          **error)
{
  g_autoptr(JsonNode) root = qs_summary_build_pipeline_config (summary, style);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  text = json_generator_to_data (generator, NULL);

  /* g_file_set_contents() writes a temporary file and renames it, so a
   * failure leaves nothing half-written under @path. */
  return g_file_set_contents (path, text, -1, error);
}

static void
write_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  WriteJob *job = task_data;
  GError *error = NULL;
  gboolean ok = FALSE;

  /* The worker derives its own summary from the immutable result, so the
   * thresholds may change on the main thread meanwhile. */
  switch (job->kind)
    {
    case WRITE_ANALYSIS:
      ok = qs_analysis_result_save (job->result, job->path, &error);
      break;

    case WRITE_CSV:
      ok = qs_analysis_result_write_csv (job->result, job->path, &error);
      break;

    case WRITE_HTML:
      {
        g_autoptr(QsSummary) summary = qs_summary_new_full (job->result, &job->options);
        QsReportOptions options = { QS_REPORT_FORMAT_HTML_PNG, job->style };

        ok = qs_report_write_full (job->result, summary, &options, job->path, &error);
      }
      break;

    case WRITE_PIPELINE_CONFIG:
      {
        g_autoptr(QsSummary) summary = qs_summary_new_full (job->result, &job->options);

        ok = write_pipeline_config (summary, job->style, job->path, &error);
      }
      break;

    case WRITE_PDF:
    default:
      g_assert_not_reached ();
    }

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
file_written (QsWindow   *self,
              WriteKind   kind,
              const char *path)
{
  g_autofree char *basename = g_path_get_basename (path);
  /* Translators: a toast; %s is a file name */
  g_autofree char *message = g_strdup_printf (_("Saved %s"), basename);

  if (kind == WRITE_ANALYSIS)
    qs_application_add_recent (QS_APPLICATION (gtk_window_get_application (GTK_WINDOW (self))),
                               "recent-analyses", path);

  show_toast (self, message, FALSE);
  g_signal_emit (self, signals[FILE_WRITTEN], 0, path);
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  QsWindow *self = QS_WINDOW (object);
  WriteJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  set_busy (self, FALSE);
  if (self->closing)
    return;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *basename = g_path_get_basename (job->path);
      /* Translators: %s is a file name */
      g_autofree char *message = g_strdup_printf (_("Could not save %s"), basename);

      report_failure (self, message, error);
      return;
    }

  file_written (self, job->kind, job->path);
}

static void
export_pdf_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(QsWindow) self = user_data;
  g_autofree char *path = g_strdup (g_object_get_data (object, "qs-path"));
  g_autoptr(GError) error = NULL;

  set_busy (self, FALSE);
  if (self->closing)
    return;

  if (!qs_print_operation_export_finish (QS_PRINT_OPERATION (object), result, &error))
    {
      report_failure (self, _("Could not export the PDF"), error);
      return;
    }

  file_written (self, WRITE_PDF, path);
}

static void
write_file (QsWindow   *self,
            WriteKind   kind,
            const char *path)
{
  QsAnalysisResult *result = qs_results_page_get_result (self->results_page);
  QsSummaryOptions options;
  QsConfigStyle style = qs_results_page_get_config_style (self->results_page);

  g_return_if_fail (result != NULL);

  qs_results_page_get_options (self->results_page, &options);
  set_busy (self, TRUE);

  if (kind == WRITE_PDF)
    {
      /* The print operation draws its pages from the main loop. */
      g_autoptr(QsPrintOperation) operation = qs_print_operation_new (result, &options, style);

      g_object_set_data_full (G_OBJECT (operation), "qs-path", g_strdup (path), g_free);
      qs_print_operation_export_async (operation, path, GTK_WINDOW (self), NULL,
                                       export_pdf_cb, g_object_ref (self));
    }
  else
    {
      g_autoptr(GTask) task = g_task_new (self, NULL, write_cb, NULL);
      WriteJob *job = g_new0 (WriteJob, 1);

      job->kind = kind;
      job->result = g_object_ref (result);
      job->options = options;
      job->style = style;
      job->path = g_strdup (path);
      g_task_set_source_tag (task, write_file);
      g_task_set_task_data (task, job, (GDestroyNotify) write_job_free);
      g_task_run_in_thread (task, write_thread);
    }
}

static gboolean
kind_for_path (const char *path,
               const char *filter_name,
               WriteKind  *kind)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);

  if (g_str_has_suffix (lower, ".pdf"))
    *kind = WRITE_PDF;
  else if (g_str_has_suffix (lower, ".html") || g_str_has_suffix (lower, ".htm"))
    *kind = WRITE_HTML;
  else if (g_str_has_suffix (lower, ".csv"))
    *kind = WRITE_CSV;
  else if (g_strcmp0 (filter_name, _("PDF report")) == 0)
    *kind = WRITE_PDF;
  else if (g_strcmp0 (filter_name, _("HTML report")) == 0)
    *kind = WRITE_HTML;
  else if (g_strcmp0 (filter_name, _("CSV table")) == 0)
    *kind = WRITE_CSV;
  else
    return FALSE;

  return TRUE;
}

static void
export_chosen (QsWindow   *self,
               const char *path,
               const char *filter_name)
{
  WriteKind kind;

  if (!kind_for_path (path, filter_name, &kind))
    {
      g_autofree char *message = g_strdup_printf (_("Choose a file name that ends in .pdf, .html "
                                                    "or .csv: %s"), path);

      show_toast (self, message, TRUE);
      return;
    }

  write_file (self, kind, path);
}

static void
analysis_save_chosen (QsWindow   *self,
                      const char *path,
                      const char *filter_name)
{
  write_file (self, WRITE_ANALYSIS, path);
}

static void
pipeline_config_chosen (QsWindow   *self,
                        const char *path,
                        const char *filter_name)
{
  write_file (self, WRITE_PIPELINE_CONFIG, path);
}

/* The model name, made safe for a file name, plus @suffix. */
static char *
suggested_name (QsWindow   *self,
                const char *suffix)
{
  QsAnalysisResult *result = qs_results_page_get_result (self->results_page);
  const char *model = result != NULL ? qs_analysis_result_get_provenance_value (result, "model") : NULL;
  g_autofree char *stem = g_strdup (model != NULL ? model : "analysis");

  g_strdelimit (stem, "/\\:", '_');

  return g_strconcat (stem, suffix, NULL);
}

/* The running analysis */

static void
refresh_live_summary (QsWindow *self)
{
  g_autoptr(QsSummary) summary = NULL;
  guint n_rows;

  if (self->live_result == NULL || qs_analysis_result_get_n_layers (self->live_result) == 0)
    return;

  summary = qs_summary_new (self->live_result, self->job_settings->skip_threshold,
                            self->job_settings->promote_threshold, self->job_settings->top_n);
  n_rows = g_list_model_get_n_items (G_LIST_MODEL (self->live_rows));
  for (guint i = 0; i < summary->layers->len && i < n_rows; i++)
    {
      g_autoptr(QsLayerRow) row = g_list_model_get_item (G_LIST_MODEL (self->live_rows), i);

      qs_layer_row_update (row, summary, g_ptr_array_index (summary->layers, i));
    }
  qs_layer_table_set_summary (qs_running_page_get_table (self->running_page), summary);
}

static gboolean
live_refresh_cb (gpointer user_data)
{
  QsWindow *self = user_data;

  self->live_refresh_id = 0;
  self->live_refresh_time = g_get_monotonic_time ();
  refresh_live_summary (self);

  return G_SOURCE_REMOVE;
}

static void
layer_finished_cb (QsAnalysisJob *job,
                   QsLayerResult *layer,
                   QsWindow      *self)
{
  g_autoptr(QsLayerRow) row = NULL;
  guint index = qs_analysis_result_get_n_layers (self->live_result);

  qs_analysis_result_add_layer (self->live_result, layer);
  row = qs_layer_row_new (layer, index);
  g_list_store_append (self->live_rows, row);

  /* Verdicts of the live rows are re-derived at most a few times a
   * second, however fast layers finish, and at once after a quiet spell. */
  if (self->live_refresh_id == 0)
    {
      gint64 elapsed_ms = (g_get_monotonic_time () - self->live_refresh_time) / 1000;
      guint delay_ms = elapsed_ms >= LIVE_REFRESH_MS ? 0 : (guint) (LIVE_REFRESH_MS - elapsed_ms);

      self->live_refresh_id = g_timeout_add (delay_ms, live_refresh_cb, self);
    }
}

static void
finish_job (QsWindow *self)
{
  GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));

  g_clear_handle_id (&self->live_refresh_id, g_source_remove);
  if (self->inhibit_cookie != 0 && application != NULL)
    gtk_application_uninhibit (application, self->inhibit_cookie);
  self->inhibit_cookie = 0;

  if (self->job != NULL)
    g_signal_handlers_disconnect_by_func (self->job, layer_finished_cb, self);
  g_clear_object (&self->job);
  g_clear_object (&self->job_cancellable);
  g_clear_object (&self->live_result);
  g_clear_object (&self->live_rows);
  g_clear_pointer (&self->job_settings, qs_analysis_settings_free);
  g_clear_pointer (&self->job_model_name, g_free);
  self->cancelling = FALSE;

  if (!self->closing)
    qs_running_page_set_job (self->running_page, NULL, NULL, NULL);
}

static void
run_done_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(QsWindow) self = user_data;
  QsAnalysisJob *job = QS_ANALYSIS_JOB (object);
  g_autoptr(QsAnalysisResult) analysis = NULL;
  g_autoptr(GError) error = NULL;
  gboolean auto_config = self->job_auto_config;

  analysis = qs_analysis_job_run_finish (job, result, &error);
  if (analysis == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      QsAnalysisResult *partial = qs_analysis_job_get_result (job);

      /* Keep what finished: a partial analysis is still worth reading. */
      if (qs_analysis_result_get_n_layers (partial) > 0)
        analysis = g_object_ref (partial);
    }

  finish_job (self);
  if (self->closing)
    return;

  if (analysis != NULL)
    {
      show_results (self, analysis, auto_config);
      return;
    }

  set_stage (self, QS_WINDOW_STAGE_SETUP);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_toast (self, _("The analysis was cancelled before any layer finished"), FALSE);
  else
    report_failure (self, _("The analysis failed"), error);
}

static void
start_job (QsWindow           *self,
           QsModel            *model,
           QsAnalysisSettings *settings,
           QsBackend          *backend)
{
  GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));

  self->job = qs_analysis_job_new (model, settings, backend);
  self->job_cancellable = g_cancellable_new ();
  self->live_result = qs_analysis_result_new (settings);
  self->live_rows = g_list_store_new (QS_TYPE_LAYER_ROW);
  self->job_model_name = g_strdup (qs_model_get_name (model));

  g_signal_connect (self->job, "layer-finished", G_CALLBACK (layer_finished_cb), self);
  qs_running_page_set_job (self->running_page, self->job, self->job_model_name,
                           G_LIST_MODEL (self->live_rows));

  if (application != NULL)
    self->inhibit_cookie = gtk_application_inhibit (application, GTK_WINDOW (self),
                                                    GTK_APPLICATION_INHIBIT_SUSPEND,
                                                    _("Analysing a model"));

  set_stage (self, QS_WINDOW_STAGE_RUNNING);
  qs_analysis_job_run_async (self->job, self->job_cancellable, run_done_cb, g_object_ref (self));
}

#ifdef QS_UI_HAVE_GPU
typedef struct
{
  QsModel            *model;
  QsAnalysisSettings *settings;
  char               *note;
} BackendRequest;

static void
backend_request_free (BackendRequest *request)
{
  g_clear_pointer (&request->model, qs_model_unref);
  g_clear_pointer (&request->settings, qs_analysis_settings_free);
  g_free (request->note);
  g_free (request);
}

static void
create_backend_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  BackendRequest *request = task_data;
  GError *error = NULL;
  QsBackend *backend = qs_gpu_backend_new_for_device (request->settings->device,
                                                      request->settings->n_threads,
                                                      &request->note, &error);

  if (backend == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, backend, g_object_unref);
}

static void
create_backend_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  QsWindow *self = QS_WINDOW (object);
  BackendRequest *request = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(QsBackend) backend = g_task_propagate_pointer (G_TASK (result), &error);

  set_busy (self, FALSE);
  if (self->closing)
    return;

  if (backend == NULL)
    {
      report_failure (self, _("Could not open the compute device"), error);
      update_actions (self);
      return;
    }

  if (request->note != NULL)
    show_toast (self, request->note, FALSE);

  start_job (self, request->model, request->settings, backend);
}
#endif

static void
start_analysis (QsWindow           *self,
                QsModel            *model,
                QsAnalysisSettings *settings)
{
  if (g_ascii_strcasecmp (settings->device, "cpu") == 0)
    {
      g_autoptr(QsBackend) backend = qs_cpu_backend_new (settings->n_threads);

      start_job (self, model, settings, backend);
      return;
    }

#ifdef QS_UI_HAVE_GPU
  {
    g_autoptr(GTask) task = g_task_new (self, self->cancellable, create_backend_cb, NULL);
    BackendRequest *request = g_new0 (BackendRequest, 1);

    /* Opening a Vulkan device loads its driver, which can take a while. */
    request->model = qs_model_ref (model);
    request->settings = qs_analysis_settings_copy (settings);
    g_task_set_source_tag (task, start_analysis);
    g_task_set_task_data (task, request, (GDestroyNotify) backend_request_free);
    set_busy (self, TRUE);
    enable_action (self, "analyze", FALSE);
    g_task_run_in_thread (task, create_backend_thread);
  }
#else
  {
    g_autoptr(QsBackend) backend = qs_cpu_backend_new (settings->n_threads);

    /* Without the GPU module every device means the CPU. */
    start_job (self, model, settings, backend);
  }
#endif
}

/* Actions */

static void
open_model_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  choose_file (QS_WINDOW (user_data), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
               _("Open a Model Folder"), _("_Open"), NULL, model_chosen, NULL);
}

static void
open_model_file_activated (GSimpleAction *action,
                           GVariant      *parameter,
                           gpointer       user_data)
{
  choose_file (QS_WINDOW (user_data), GTK_FILE_CHOOSER_ACTION_OPEN,
               _("Open a Safetensors File"), _("_Open"), NULL, model_chosen,
               filter_new (_("Safetensors files"), "*.safetensors"), NULL);
}

static void
open_model_path_activated (GSimpleAction *action,
                           GVariant      *parameter,
                           gpointer       user_data)
{
  open_model (QS_WINDOW (user_data), g_variant_get_string (parameter, NULL));
}

static void
open_analysis_activated (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  choose_file (QS_WINDOW (user_data), GTK_FILE_CHOOSER_ACTION_OPEN,
               _("Open an Analysis"), _("_Open"), NULL, analysis_chosen,
               filter_new (_("Analysis files"), "*.json"), NULL);
}

static void
open_analysis_path_activated (GSimpleAction *action,
                              GVariant      *parameter,
                              gpointer       user_data)
{
  open_analysis (QS_WINDOW (user_data), g_variant_get_string (parameter, NULL));
}

static void
open_path_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  g_autoptr(GFile) file = g_file_new_for_path (g_variant_get_string (parameter, NULL));

  qs_window_open_file (QS_WINDOW (user_data), file);
}

static void
analyze_activated (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  QsWindow *self = QS_WINDOW (user_data);
  QsModel *model = qs_setup_page_get_model (self->setup_page);
  g_autoptr(QsAnalysisSettings) settings = NULL;
  g_autoptr(GError) error = NULL;

  if (self->job != NULL || model == NULL)
    return;

  settings = qs_setup_page_build_settings (self->setup_page, &error);
  if (settings == NULL)
    {
      report_failure (self, _("The settings are invalid"), error);
      return;
    }

  qs_setup_page_save_defaults (self->setup_page, self->settings);
  self->job_auto_config = qs_setup_page_get_auto_config (self->setup_page);
  self->job_settings = qs_analysis_settings_copy (settings);
  start_analysis (self, model, settings);
}

static void
cancel_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  QsWindow *self = QS_WINDOW (user_data);

  if (self->job_cancellable == NULL)
    return;

  self->cancelling = TRUE;
  g_cancellable_cancel (self->job_cancellable);
  qs_running_page_set_stopping (self->running_page);
  update_actions (self);
}

static void
show_start_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  set_stage (QS_WINDOW (user_data), QS_WINDOW_STAGE_START);
}

static void
save_analysis_activated (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  QsWindow *self = QS_WINDOW (user_data);
  g_autofree char *name = suggested_name (self, ".json");

  choose_file (self, GTK_FILE_CHOOSER_ACTION_SAVE, _("Save the Analysis"), _("_Save"), name,
               analysis_save_chosen, filter_new (_("Analysis files"), "*.json"), NULL);
}

static void
save_analysis_to_activated (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  write_file (QS_WINDOW (user_data), WRITE_ANALYSIS, g_variant_get_string (parameter, NULL));
}

static void
export_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  QsWindow *self = QS_WINDOW (user_data);
  const char *suffix = ".pdf";
  GtkFileFilter *pdf = filter_new (_("PDF report"), "*.pdf");
  GtkFileFilter *html = filter_new (_("HTML report"), "*.html");
  GtkFileFilter *csv = filter_new (_("CSV table"), "*.csv");
  g_autofree char *name = NULL;

  if (g_strcmp0 (g_action_get_name (G_ACTION (action)), "export-html") == 0)
    suffix = ".html";
  else if (g_strcmp0 (g_action_get_name (G_ACTION (action)), "export-csv") == 0)
    suffix = ".csv";
  name = suggested_name (self, suffix);

  /* The chooser selects the first filter, so the one asked for leads. */
  if (g_strcmp0 (suffix, ".html") == 0)
    choose_file (self, GTK_FILE_CHOOSER_ACTION_SAVE, _("Export"), _("_Export"), name,
                 export_chosen, html, pdf, csv, NULL);
  else if (g_strcmp0 (suffix, ".csv") == 0)
    choose_file (self, GTK_FILE_CHOOSER_ACTION_SAVE, _("Export"), _("_Export"), name,
                 export_chosen, csv, pdf, html, NULL);
  else
    choose_file (self, GTK_FILE_CHOOSER_ACTION_SAVE, _("Export"), _("_Export"), name,
                 export_chosen, pdf, html, csv, NULL);
}

static void
export_to_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  export_chosen (QS_WINDOW (user_data), g_variant_get_string (parameter, NULL), NULL);
}

static void
save_pipeline_config_activated (GSimpleAction *action,
                                GVariant      *parameter,
                                gpointer       user_data)
{
  QsWindow *self = QS_WINDOW (user_data);
  g_autofree char *name = suggested_name (self, "_pipeline_config.json");

  choose_file (self, GTK_FILE_CHOOSER_ACTION_SAVE, _("Save the Pipeline Config"), _("_Save"),
               name, pipeline_config_chosen, filter_new (_("JSON files"), "*.json"), NULL);
}

static void
save_pipeline_config_to_activated (GSimpleAction *action,
                                   GVariant      *parameter,
                                   gpointer       user_data)
{
  write_file (QS_WINDOW (user_data), WRITE_PIPELINE_CONFIG, g_variant_get_string (parameter, NULL));
}

static void
print_done_cb (GtkPrintOperation       *operation,
               GtkPrintOperationResult  result,
               QsWindow                *self)
{
  if (result == GTK_PRINT_OPERATION_RESULT_ERROR && !self->closing)
    {
      g_autoptr(GError) error = NULL;

      gtk_print_operation_get_error (operation, &error);
      report_failure (self, _("Could not print the report"), error);
    }
  g_object_unref (operation);
}

static void
print_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  QsWindow *self = QS_WINDOW (user_data);
  QsAnalysisResult *result = qs_results_page_get_result (self->results_page);
  QsPrintOperation *operation;
  QsSummaryOptions options;

  if (result == NULL)
    return;

  qs_results_page_get_options (self->results_page, &options);
  operation = qs_print_operation_new (result, &options,
                                      qs_results_page_get_config_style (self->results_page));
  g_signal_connect_object (operation, "done", G_CALLBACK (print_done_cb), self, 0);
  qs_print_operation_print (operation, GTK_WINDOW (self));
}

static void
search_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  QsWindow *self = QS_WINDOW (user_data);

  if (self->stage == QS_WINDOW_STAGE_RESULTS)
    qs_results_page_begin_search (self->results_page);
}

static void
show_toast_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  show_toast (QS_WINDOW (user_data), g_variant_get_string (parameter, NULL), FALSE);
}

/* Quantizing and comparing images */

static void
open_folder_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer      user_data)
{
  gtk_show_uri (GTK_WINDOW (user_data), g_variant_get_string (parameter, NULL), GDK_CURRENT_TIME);
}

static void
quantize_finished_cb (QsQuantizeDialog *dialog,
                      const char       *path,
                      QsWindow         *self)
{
  g_autoptr(GFile) folder = g_file_new_for_path (path);
  g_autofree char *uri = g_file_get_uri (folder);
  AdwToast *toast = adw_toast_new (_("Quantized model written"));

  adw_toast_set_button_label (toast, _("Open Folder"));
  adw_toast_set_action_name (toast, "win.open-folder");
  adw_toast_set_action_target_value (toast, g_variant_new_string (uri));
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
  g_signal_emit (self, signals[FILE_WRITTEN], 0, path);
}

static void
quantize_activated (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  QsWindow *self = QS_WINDOW (user_data);
  QsAnalysisResult *result = qs_results_page_get_result (self->results_page);
  QsModel *model = qs_setup_page_get_model (self->setup_page);
  const char *model_path = NULL;
  QsQuantizeDialog *dialog;

  if (result != NULL)
    model_path = qs_analysis_result_get_provenance_value (result, "model_path");
  if (model_path == NULL && model != NULL)
    model_path = qs_model_get_path (model);
  if (model_path == NULL)
    {
      show_toast (self, _("The analysis does not name its model's folder, so there is nothing "
                          "to quantize; open the model and analyse it again"), TRUE);
      return;
    }

  dialog = qs_quantize_dialog_new (GTK_WINDOW (self), model_path,
                                   qs_results_page_get_summary (self->results_page));
  g_signal_connect_object (dialog, "finished", G_CALLBACK (quantize_finished_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
show_compare (QsWindow *self)
{
  self->comparing = TRUE;
  gtk_stack_set_visible_child_name (self->page_stack, "compare");
  adw_view_switcher_title_set_title (self->switcher_title, _("Compare Images"));
  adw_view_switcher_title_set_subtitle (self->switcher_title,
                                        _("Baseline and quantized renders"));
  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, FALSE);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->back_button), "win.close-compare");
  gtk_widget_set_tooltip_text (self->back_button, _("Back"));
  gtk_widget_set_visible (self->back_button, TRUE);
  gtk_widget_set_visible (self->search_button, FALSE);
  gtk_widget_set_visible (self->export_button, FALSE);
  adw_view_switcher_bar_set_reveal (self->switcher_bar, FALSE);
  update_actions (self);
}

static void
compare_images_activated (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  show_compare (QS_WINDOW (user_data));
}

static void
compare_images_paths_activated (GSimpleAction *action,
                                GVariant      *parameter,
                                gpointer       user_data)
{
  QsWindow *self = QS_WINDOW (user_data);
  const char *baseline = NULL;
  const char *quantized = NULL;
  g_autoptr(GFile) baseline_file = NULL;
  g_autoptr(GFile) quantized_file = NULL;

  g_variant_get (parameter, "(&s&s)", &baseline, &quantized);
  baseline_file = g_file_new_for_path (baseline);
  quantized_file = g_file_new_for_path (quantized);
  show_compare (self);
  qs_compare_page_set_inputs (self->compare_page, baseline_file, quantized_file);
}

static void
close_compare_activated (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  QsWindow *self = QS_WINDOW (user_data);

  /* Back to the stage the page was opened from. */
  set_stage (self, self->stage);
}

static const GActionEntry win_actions[] = {
  { "quantize", quantize_activated, NULL, NULL, NULL },
  { "open-folder", open_folder_activated, "s", NULL, NULL },
  { "compare-images", compare_images_activated, NULL, NULL, NULL },
  { "compare-images-paths", compare_images_paths_activated, "(ss)", NULL, NULL },
  { "close-compare", close_compare_activated, NULL, NULL, NULL },
  { "open-model", open_model_activated, NULL, NULL, NULL },
  { "open-model-file", open_model_file_activated, NULL, NULL, NULL },
  { "open-model-path", open_model_path_activated, "s", NULL, NULL },
  { "open-analysis", open_analysis_activated, NULL, NULL, NULL },
  { "open-analysis-path", open_analysis_path_activated, "s", NULL, NULL },
  { "open-path", open_path_activated, "s", NULL, NULL },
  { "analyze", analyze_activated, NULL, NULL, NULL },
  { "cancel", cancel_activated, NULL, NULL, NULL },
  { "show-start", show_start_activated, NULL, NULL, NULL },
  { "save-analysis", save_analysis_activated, NULL, NULL, NULL },
  { "save-analysis-to", save_analysis_to_activated, "s", NULL, NULL },
  { "export", export_activated, NULL, NULL, NULL },
  { "export-pdf", export_activated, NULL, NULL, NULL },
  { "export-html", export_activated, NULL, NULL, NULL },
  { "export-csv", export_activated, NULL, NULL, NULL },
  { "export-to", export_to_activated, "s", NULL, NULL },
  { "save-pipeline-config", save_pipeline_config_activated, NULL, NULL, NULL },
  { "save-pipeline-config-to", save_pipeline_config_to_activated, "s", NULL, NULL },
  { "print", print_activated, NULL, NULL, NULL },
  { "search", search_activated, NULL, NULL, NULL },
  { "show-toast", show_toast_activated, "s", NULL, NULL },
};

/* Window state */

static void
save_window_state (QsWindow *self)
{
  int width = 0;
  int height = 0;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (GTK_WINDOW (self)));
  if (!gtk_window_is_maximized (GTK_WINDOW (self)) && width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_apply (self->settings);
}

static gboolean
qs_window_close_request (GtkWindow *window)
{
  QsWindow *self = QS_WINDOW (window);

  save_window_state (self);
  self->closing = TRUE;

  /* The job stops within a layer; its callback then only cleans up. */
  if (self->job_cancellable != NULL)
    g_cancellable_cancel (self->job_cancellable);
  g_cancellable_cancel (self->cancellable);

  return GTK_WINDOW_CLASS (qs_window_parent_class)->close_request (window);
}

static void
qs_window_dispose (GObject *object)
{
  QsWindow *self = QS_WINDOW (object);

  self->closing = TRUE;
  if (self->job_cancellable != NULL)
    g_cancellable_cancel (self->job_cancellable);
  g_cancellable_cancel (self->cancellable);
  finish_job (self);

  gtk_widget_dispose_template (GTK_WIDGET (self), QS_TYPE_WINDOW);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (qs_window_parent_class)->dispose (object);
}

static void
qs_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  QsWindow *self = QS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_STAGE:
      g_value_set_int (value, self->stage);
      break;

    case PROP_BUSY:
      g_value_set_boolean (value, qs_window_get_busy (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qs_window_class_init (QsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = qs_window_dispose;
  object_class->get_property = qs_window_get_property;
  window_class->close_request = qs_window_close_request;

  properties[PROP_STAGE] =
    g_param_spec_int ("stage", NULL, NULL, QS_WINDOW_STAGE_START, QS_WINDOW_STAGE_RESULTS,
                      QS_WINDOW_STAGE_START,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * QsWindow::file-written:
   * @path: the file
   *
   * Emitted when an analysis, export or config file was written.
   */
  signals[FILE_WRITTEN] =
    g_signal_new ("file-written", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * QsWindow::operation-failed:
   * @message: the message shown to the user
   *
   * Emitted when opening, analysing, saving or exporting failed.
   */
  signals[OPERATION_FAILED] =
    g_signal_new ("operation-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (QS_TYPE_START_PAGE);
  g_type_ensure (QS_TYPE_SETUP_PAGE);
  g_type_ensure (QS_TYPE_RUNNING_PAGE);
  g_type_ensure (QS_TYPE_RESULTS_PAGE);
  g_type_ensure (QS_TYPE_COMPARE_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/quantscope/Quantscope/ui/qs-window.ui");
  gtk_widget_class_bind_template_child (widget_class, QsWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, QsWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, QsWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, QsWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, QsWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, QsWindow, export_button);
  gtk_widget_class_bind_template_child (widget_class, QsWindow, page_stack);
  gtk_widget_class_bind_template_child (widget_class, QsWindow, start_page);
  gtk_widget_class_bind_template_child (widget_class, QsWindow, setup_page);
  gtk_widget_class_bind_template_child (widget_class, QsWindow, running_page);
  gtk_widget_class_bind_template_child (widget_class, QsWindow, results_page);
  gtk_widget_class_bind_template_child (widget_class, QsWindow, compare_page);
}

static void
switcher_title_visible_cb (QsWindow *self)
{
  update_switcher_bar (self);
}

static void
qs_window_init (QsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions,
                                   G_N_ELEMENTS (win_actions), self);

  adw_view_switcher_title_set_stack (self->switcher_title,
                                     qs_results_page_get_stack (self->results_page));
  adw_view_switcher_bar_set_stack (self->switcher_bar,
                                   qs_results_page_get_stack (self->results_page));
  g_signal_connect_swapped (self->switcher_title, "notify::title-visible",
                            G_CALLBACK (switcher_title_visible_cb), self);
  g_signal_connect_swapped (self->setup_page, "notify::valid",
                            G_CALLBACK (setup_valid_changed_cb), self);
}

QsWindow *
qs_window_new (QsApplication *application)
{
  QsWindow *self;

  g_return_val_if_fail (QS_IS_APPLICATION (application), NULL);

  self = g_object_new (QS_TYPE_WINDOW, "application", application, NULL);
  self->settings = g_object_ref (qs_application_get_settings (application));

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  qs_start_page_set_settings (self->start_page, self->settings);
  qs_start_page_refresh_hub (self->start_page);
  set_stage (self, QS_WINDOW_STAGE_START);

  return self;
}

QsWindowStage
qs_window_get_stage (QsWindow *self)
{
  g_return_val_if_fail (QS_IS_WINDOW (self), QS_WINDOW_STAGE_START);

  return self->stage;
}

gboolean
qs_window_get_busy (QsWindow *self)
{
  g_return_val_if_fail (QS_IS_WINDOW (self), FALSE);

  return self->n_busy > 0;
}

QsStartPage *
qs_window_get_start_page (QsWindow *self)
{
  g_return_val_if_fail (QS_IS_WINDOW (self), NULL);

  return self->start_page;
}

QsSetupPage *
qs_window_get_setup_page (QsWindow *self)
{
  g_return_val_if_fail (QS_IS_WINDOW (self), NULL);

  return self->setup_page;
}

QsRunningPage *
qs_window_get_running_page (QsWindow *self)
{
  g_return_val_if_fail (QS_IS_WINDOW (self), NULL);

  return self->running_page;
}

QsResultsPage *
qs_window_get_results_page (QsWindow *self)
{
  g_return_val_if_fail (QS_IS_WINDOW (self), NULL);

  return self->results_page;
}
