/* qs-running-page.h: progress of a running analysis with its live table
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "qs-analysis.h"
#include "qs-layer-table.h"

G_BEGIN_DECLS

#define QS_TYPE_RUNNING_PAGE (qs_running_page_get_type ())

G_DECLARE_FINAL_TYPE (QsRunningPage, qs_running_page, QS, RUNNING_PAGE, GtkWidget)

/**
 * qs_running_page_set_job:
 * @job: (nullable): the running job, or %NULL when it has finished
 * @model_name: the name of the model being analysed
 * @rows: (nullable) (element-type QsLayerRow): the finished layers
 *
 * Follows the job's progress properties and shows @rows in the table.
 */
void          qs_running_page_set_job       (QsRunningPage *self,
                                             QsAnalysisJob *job,
                                             const char    *model_name,
                                             GListModel    *rows);
/* Shows that cancelling was requested and the job is stopping. */
void          qs_running_page_set_stopping  (QsRunningPage *self);
QsLayerTable *qs_running_page_get_table     (QsRunningPage *self);

G_END_DECLS
