/* qs-results-page.h: the views of a finished or loaded analysis
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "qs-chart-widget.h"
#include "qs-layer-table.h"
#include "qs-summary.h"

G_BEGIN_DECLS

#define QS_TYPE_RESULTS_PAGE (qs_results_page_get_type ())

G_DECLARE_FINAL_TYPE (QsResultsPage, qs_results_page, QS, RESULTS_PAGE, GtkWidget)

/**
 * qs_results_page_set_result:
 * @result: (nullable): a complete or partial analysis
 * @auto_config: whether the summary searches auto-config choices
 *
 * Shows @result with the thresholds and top-N it was analysed with.
 */
void              qs_results_page_set_result       (QsResultsPage *self,
                                                    QsAnalysisResult *result,
                                                    gboolean       auto_config);
QsAnalysisResult *qs_results_page_get_result       (QsResultsPage *self);

/* Returns: (nullable): the summary every view shows; it is replaced, and
 *   the old one freed, whenever the thresholds change */
const QsSummary  *qs_results_page_get_summary      (QsResultsPage *self);
/* Fills @options with the thresholds, top-N and auto-config shown. */
void              qs_results_page_get_options      (QsResultsPage *self,
                                                    QsSummaryOptions *options);

/**
 * qs_results_page_set_thresholds:
 *
 * Sets the thresholds as a person would in the spin buttons; every view
 * follows at once.
 */
void              qs_results_page_set_thresholds   (QsResultsPage *self,
                                                    double         promote_threshold,
                                                    double         skip_threshold);
void              qs_results_page_set_auto_config  (QsResultsPage *self,
                                                    gboolean       auto_config);

QsConfigStyle     qs_results_page_get_config_style (QsResultsPage *self);
void              qs_results_page_set_config_style (QsResultsPage *self,
                                                    QsConfigStyle  style);

AdwViewStack     *qs_results_page_get_stack        (QsResultsPage *self);
QsLayerTable     *qs_results_page_get_layer_table  (QsResultsPage *self);
QsChartWidget    *qs_results_page_get_chart        (QsResultsPage *self);
/* Returns: (transfer none): every row, in analysis order */
GListModel       *qs_results_page_get_rows         (QsResultsPage *self);
/* Returns: the number of config snippets shown */
guint             qs_results_page_get_n_snippets   (QsResultsPage *self);

/* Shows the Layers view with its search entry focused. */
void              qs_results_page_begin_search     (QsResultsPage *self);

G_END_DECLS
