/* qs-setup-page.h: the analysis settings for an opened model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "qs-analysis.h"

G_BEGIN_DECLS

#define QS_TYPE_SETUP_PAGE (qs_setup_page_get_type ())

G_DECLARE_FINAL_TYPE (QsSetupPage, qs_setup_page, QS, SETUP_PAGE, GtkWidget)

/**
 * qs_setup_page_set_model:
 * @model: the opened model
 * @settings: the application settings the defaults come from
 *
 * Lists the model's components, every one selected, and fills the
 * settings from @settings.
 */
void                qs_setup_page_set_model        (QsSetupPage  *self,
                                                    QsModel      *model,
                                                    GSettings    *settings);
QsModel            *qs_setup_page_get_model        (QsSetupPage  *self);

/**
 * qs_setup_page_build_settings:
 *
 * Returns: (transfer full): the analysis settings the page shows, or %NULL
 *   with @error saying what to change
 */
QsAnalysisSettings *qs_setup_page_build_settings   (QsSetupPage  *self,
                                                    GError      **error);
/* Whether auto-config is on; it is a summary option, not an analysis one. */
gboolean            qs_setup_page_get_auto_config  (QsSetupPage  *self);

/* Stores the shown settings in @settings as the defaults of the next run. */
void                qs_setup_page_save_defaults    (QsSetupPage  *self,
                                                    GSettings    *settings);

gboolean            qs_setup_page_get_valid        (QsSetupPage  *self);
/* Returns: (nullable): why Analyze is disabled */
const char         *qs_setup_page_get_invalid_reason (QsSetupPage *self);

/* Test and scripting helpers that set a field as a person would. */
void                qs_setup_page_set_dtypes_text  (QsSetupPage  *self,
                                                    const char   *text);
void                qs_setup_page_set_group_sizes_text (QsSetupPage *self,
                                                        const char  *text);
void                qs_setup_page_set_use_raw      (QsSetupPage  *self,
                                                    gboolean      use_raw);
void                qs_setup_page_set_use_svd      (QsSetupPage  *self,
                                                    gboolean      use_svd);
void                qs_setup_page_set_component_selected (QsSetupPage *self,
                                                          guint        index,
                                                          gboolean     selected);

G_END_DECLS
