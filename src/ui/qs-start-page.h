/* qs-start-page.h: the page to pick a model or an analysis from
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define QS_TYPE_START_PAGE (qs_start_page_get_type ())

G_DECLARE_FINAL_TYPE (QsStartPage, qs_start_page, QS, START_PAGE, GtkWidget)

/**
 * qs_start_page_set_settings:
 * @settings: the application settings with the recent lists
 *
 * Shows the recent models and analyses and follows their changes.
 */
void     qs_start_page_set_settings    (QsStartPage *self,
                                        GSettings   *settings);

/* Lists the models of the Hugging Face caches again, on a worker thread. */
void     qs_start_page_refresh_hub     (QsStartPage *self);
/* Returns: whether the cache listing is still running */
gboolean qs_start_page_is_loading      (QsStartPage *self);
guint    qs_start_page_get_n_hub_models (QsStartPage *self);

G_END_DECLS
