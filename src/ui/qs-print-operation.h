/* qs-print-operation.h: printing and PDF export of the report
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "qs-summary.h"

G_BEGIN_DECLS

#define QS_TYPE_PRINT_OPERATION (qs_print_operation_get_type ())

G_DECLARE_FINAL_TYPE (QsPrintOperation, qs_print_operation, QS, PRINT_OPERATION, GtkPrintOperation)

/**
 * qs_print_operation_new:
 * @result: the analysis to print
 * @options: the thresholds, top-N and auto-config of the summary to print
 * @config_style: the form of the config snippets
 *
 * Creates a print operation that paginates with the report's page layout.
 * It derives its own summary from @result, so the caller may change its
 * summary while the print dialog is open. The print settings and page
 * setup of the last print are restored and, once a print or export
 * succeeds, saved again under the user data folder.
 */
QsPrintOperation *qs_print_operation_new             (QsAnalysisResult       *result,
                                                      const QsSummaryOptions *options,
                                                      QsConfigStyle           config_style);

/* Returns: the number of pages of the last print or export, 0 before one */
guint             qs_print_operation_get_n_pages     (QsPrintOperation *self);

/**
 * qs_print_operation_export_async:
 * @path: the PDF file to write
 * @parent: (nullable): the window the operation belongs to
 *
 * Writes the report as PDF through %GTK_PRINT_OPERATION_ACTION_EXPORT,
 * drawing each page with the same painter as printing.
 */
void              qs_print_operation_export_async    (QsPrintOperation    *self,
                                                      const char          *path,
                                                      GtkWindow           *parent,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean          qs_print_operation_export_finish   (QsPrintOperation    *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

/**
 * qs_print_operation_print:
 * @parent: (nullable): the window the print dialog belongs to
 *
 * Shows the print dialog and prints when the user confirms. Failures are
 * reported through the "done" signal and gtk_print_operation_get_error().
 */
void              qs_print_operation_print           (QsPrintOperation    *self,
                                                      GtkWindow           *parent);

G_END_DECLS
