/* qs-print-operation.c: printing and PDF export of the report
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "qs-print-operation.h"
#include "qs-report-page-painter.h"

struct _QsPrintOperation
{
  GtkPrintOperation  parent_instance;

  QsAnalysisResult  *result;
  QsSummary         *summary;
  QsConfigStyle      config_style;
  QsReportLayout    *layout;
  GTask             *export_task;
  guint              n_pages;
};

G_DEFINE_FINAL_TYPE (QsPrintOperation, qs_print_operation, GTK_TYPE_PRINT_OPERATION)

static char *
state_path (const char *name)
{
  return g_build_filename (g_get_user_data_dir (), APP_ID, name, NULL);
}

static void
load_state (QsPrintOperation *self)
{
  g_autofree char *settings_path = state_path ("print-settings.ini");
  g_autofree char *page_setup_path = state_path ("page-setup.ini");
  g_autoptr(GtkPrintSettings) settings = NULL;
  g_autoptr(GtkPageSetup) page_setup = NULL;

  /* A missing or unreadable file just means the defaults. */
  settings = gtk_print_settings_new_from_file (settings_path, NULL);
  if (settings != NULL)
    gtk_print_operation_set_print_settings (GTK_PRINT_OPERATION (self), settings);

  page_setup = gtk_page_setup_new_from_file (page_setup_path, NULL);
  if (page_setup == NULL)
    {
      g_autoptr(GtkPaperSize) a4 = gtk_paper_size_new (GTK_PAPER_NAME_A4);

      page_setup = gtk_page_setup_new ();
      gtk_page_setup_set_paper_size_and_default_margins (page_setup, a4);
    }
  gtk_print_operation_set_default_page_setup (GTK_PRINT_OPERATION (self), page_setup);
}

static void
save_state (QsPrintOperation *self)
{
  GtkPrintSettings *settings = gtk_print_operation_get_print_settings (GTK_PRINT_OPERATION (self));
  GtkPageSetup *page_setup = gtk_print_operation_get_default_page_setup (GTK_PRINT_OPERATION (self));
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), APP_ID, NULL);
  g_autofree char *settings_path = state_path ("print-settings.ini");
  g_autofree char *page_setup_path = state_path ("page-setup.ini");
  g_autoptr(GError) error = NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_warning ("Failed to create %s; print settings are not saved", dir);
      return;
    }

  if (settings != NULL && !gtk_print_settings_to_file (settings, settings_path, &error))
    {
      g_warning ("Failed to save the print settings: %s", error->message);
      g_clear_error (&error);
    }

  if (page_setup != NULL && !gtk_page_setup_to_file (page_setup, page_setup_path, &error))
    g_warning ("Failed to save the page setup: %s", error->message);
}

static void
qs_print_operation_begin_print (GtkPrintOperation *operation,
                                GtkPrintContext   *context)
{
  QsPrintOperation *self = QS_PRINT_OPERATION (operation);
  PangoContext *pango_context = gtk_print_context_create_pango_context (context);

  /* The unit is points, so the layout measures the printable area in
   * points as the PDF report does. */
  g_clear_pointer (&self->layout, qs_report_layout_free);
  self->layout = qs_report_layout_new (self->result, self->summary, self->config_style,
                                       gtk_print_context_get_width (context),
                                       gtk_print_context_get_height (context),
                                       pango_context);
  g_object_unref (pango_context);
  self->n_pages = qs_report_layout_get_n_pages (self->layout);
  gtk_print_operation_set_n_pages (operation, (int) self->n_pages);
}

static void
qs_print_operation_draw_page (GtkPrintOperation *operation,
                              GtkPrintContext   *context,
                              int                page_nr)
{
  QsPrintOperation *self = QS_PRINT_OPERATION (operation);
  cairo_t *cr = gtk_print_context_get_cairo_context (context);

  g_return_if_fail (self->layout != NULL);

  cairo_save (cr);
  qs_report_layout_draw_page (self->layout, cr, (guint) page_nr);
  cairo_restore (cr);
}

static void
qs_print_operation_end_print (GtkPrintOperation *operation,
                              GtkPrintContext   *context)
{
  QsPrintOperation *self = QS_PRINT_OPERATION (operation);

  g_clear_pointer (&self->layout, qs_report_layout_free);
}

static void
qs_print_operation_done (GtkPrintOperation       *operation,
                         GtkPrintOperationResult  result)
{
  QsPrintOperation *self = QS_PRINT_OPERATION (operation);
  g_autoptr(GTask) task = g_steal_pointer (&self->export_task);

  if (result == GTK_PRINT_OPERATION_RESULT_APPLY)
    save_state (self);

  if (task == NULL)
    return;

  if (result == GTK_PRINT_OPERATION_RESULT_ERROR)
    {
      GError *error = NULL;

      gtk_print_operation_get_error (operation, &error);
      if (error == NULL)
        error = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, _("Failed to export the PDF"));
      g_task_return_error (task, error);
    }
  else if (result == GTK_PRINT_OPERATION_RESULT_CANCEL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               _("The export was cancelled"));
    }
  else
    {
      g_task_return_boolean (task, TRUE);
    }
}

static void
qs_print_operation_dispose (GObject *object)
{
  QsPrintOperation *self = QS_PRINT_OPERATION (object);

  g_clear_pointer (&self->layout, qs_report_layout_free);
  g_clear_pointer (&self->summary, qs_summary_free);
  g_clear_object (&self->result);
  g_clear_object (&self->export_task);

  G_OBJECT_CLASS (qs_print_operation_parent_class)->dispose (object);
}

static void
qs_print_operation_class_init (QsPrintOperationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkPrintOperationClass *operation_class = GTK_PRINT_OPERATION_CLASS (klass);

  object_class->dispose = qs_print_operation_dispose;

  operation_class->begin_print = qs_print_operation_begin_print;
  operation_class->draw_page = qs_print_operation_draw_page;
  operation_class->end_print = qs_print_operation_end_print;
  operation_class->done = qs_print_operation_done;
}

static void
qs_print_operation_init (QsPrintOperation *self)
{
  GtkPrintOperation *operation = GTK_PRINT_OPERATION (self);

  gtk_print_operation_set_unit (operation, GTK_UNIT_POINTS);
  gtk_print_operation_set_allow_async (operation, TRUE);
  gtk_print_operation_set_embed_page_setup (operation, TRUE);
  gtk_print_operation_set_show_progress (operation, FALSE);
}

QsPrintOperation *
qs_print_operation_new (QsAnalysisResult       *result,
                        const QsSummaryOptions *options,
                        QsConfigStyle           config_style)
{
  QsPrintOperation *self;
  const char *model;
  g_autofree char *job_name = NULL;

  g_return_val_if_fail (QS_IS_ANALYSIS_RESULT (result), NULL);
  g_return_val_if_fail (options != NULL, NULL);

  self = g_object_new (QS_TYPE_PRINT_OPERATION, NULL);
  self->result = g_object_ref (result);
  self->summary = qs_summary_new_full (result, options);
  self->config_style = config_style;

  model = qs_analysis_result_get_provenance_value (result, "model");
  /* Translators: the print job name; %s is the model name */
  job_name = g_strdup_printf (_("Quantscope report — %s"), model != NULL ? model : _("model"));
  gtk_print_operation_set_job_name (GTK_PRINT_OPERATION (self), job_name);

  load_state (self);

  return self;
}

void
qs_print_operation_export_async (QsPrintOperation    *self,
                                 const char          *path,
                                 GtkWindow           *parent,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GtkPrintOperationResult run_result;
  GError *error = NULL;

  g_return_if_fail (QS_IS_PRINT_OPERATION (self));
  g_return_if_fail (path != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qs_print_operation_export_async);

  if (self->export_task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("The report is already being exported"));
      return;
    }

  self->export_task = g_object_ref (task);
  gtk_print_operation_set_export_filename (GTK_PRINT_OPERATION (self), path);
  run_result = gtk_print_operation_run (GTK_PRINT_OPERATION (self),
                                        GTK_PRINT_OPERATION_ACTION_EXPORT, parent, &error);

  /* An export that failed before it started never reaches "done". */
  if (run_result == GTK_PRINT_OPERATION_RESULT_ERROR && self->export_task != NULL)
    {
      g_clear_object (&self->export_task);
      if (error == NULL)
        error = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, _("Failed to export %s"), path);
      g_task_return_error (task, error);
      return;
    }
  g_clear_error (&error);
}

gboolean
qs_print_operation_export_finish (QsPrintOperation  *self,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  g_return_val_if_fail (QS_IS_PRINT_OPERATION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
qs_print_operation_print (QsPrintOperation *self,
                          GtkWindow        *parent)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (QS_IS_PRINT_OPERATION (self));

  /* With allow-async, errors and the outcome arrive through "done". */
  gtk_print_operation_run (GTK_PRINT_OPERATION (self),
                           GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG, parent, &error);
  if (error != NULL)
    g_debug ("Print operation failed to start: %s", error->message);
}

guint
qs_print_operation_get_n_pages (QsPrintOperation *self)
{
  g_return_val_if_fail (QS_IS_PRINT_OPERATION (self), 0);

  return self->n_pages;
}
