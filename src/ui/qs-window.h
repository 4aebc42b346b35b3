/* qs-window.h: the main window: start, setup, running and results pages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "qs-application.h"
#include "qs-results-page.h"
#include "qs-running-page.h"
#include "qs-setup-page.h"
#include "qs-start-page.h"

G_BEGIN_DECLS

/**
 * QsWindowStage:
 * @QS_WINDOW_STAGE_START: picking a model or an analysis
 * @QS_WINDOW_STAGE_SETUP: choosing the settings of a model's analysis
 * @QS_WINDOW_STAGE_RUNNING: an analysis is running
 * @QS_WINDOW_STAGE_RESULTS: showing a finished, cancelled or loaded analysis
 */
typedef enum
{
  QS_WINDOW_STAGE_START,
  QS_WINDOW_STAGE_SETUP,
  QS_WINDOW_STAGE_RUNNING,
  QS_WINDOW_STAGE_RESULTS,
} QsWindowStage;

#define QS_TYPE_WINDOW (qs_window_get_type ())

G_DECLARE_FINAL_TYPE (QsWindow, qs_window, QS, WINDOW, AdwApplicationWindow)

QsWindow      *qs_window_new               (QsApplication *application);

/**
 * qs_window_open_file:
 * @file: a model folder, a `.safetensors` file or an analysis `.json`
 *
 * Opens @file as a model or, for a `.json` file, as a saved analysis.
 */
void           qs_window_open_file         (QsWindow      *self,
                                            GFile         *file);

QsWindowStage  qs_window_get_stage         (QsWindow      *self);
/* Returns: whether a model is being opened, an analysis loaded or a file written */
gboolean       qs_window_get_busy          (QsWindow      *self);

QsStartPage   *qs_window_get_start_page    (QsWindow      *self);
QsSetupPage   *qs_window_get_setup_page    (QsWindow      *self);
QsRunningPage *qs_window_get_running_page  (QsWindow      *self);
QsResultsPage *qs_window_get_results_page  (QsWindow      *self);

G_END_DECLS
