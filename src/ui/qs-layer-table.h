/* qs-layer-table.h: the sortable, searchable table of analysed layers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "qs-summary.h"

G_BEGIN_DECLS

#define QS_TYPE_LAYER_TABLE (qs_layer_table_get_type ())

G_DECLARE_FINAL_TYPE (QsLayerTable, qs_layer_table, QS, LAYER_TABLE, GtkWidget)

GtkWidget  *qs_layer_table_new              (void);

/**
 * qs_layer_table_set_model:
 * @rows: (nullable) (element-type QsLayerRow): the layers to show
 */
void        qs_layer_table_set_model        (QsLayerTable    *self,
                                             GListModel      *rows);

/**
 * qs_layer_table_set_summary:
 * @summary: (nullable): the summary the rows were last updated from
 *
 * Rebuilds the NMSE columns when the summary's columns differ from the
 * ones shown, refreshes the component filter, and re-sorts and re-filters
 * the rows, whose verdicts may have changed. Nothing of @summary is kept.
 */
void        qs_layer_table_set_summary      (QsLayerTable    *self,
                                             const QsSummary *summary);

void        qs_layer_table_set_show_details (QsLayerTable    *self,
                                             gboolean         show_details);
void        qs_layer_table_set_searchable   (QsLayerTable    *self,
                                             gboolean         searchable);

/* Reveals the search bar and focuses its entry. */
void        qs_layer_table_begin_search     (QsLayerTable    *self);
void        qs_layer_table_set_search_text  (QsLayerTable    *self,
                                             const char      *text);

/**
 * qs_layer_table_set_verdict_filter:
 * @verdict: a verdict, or -1 for every verdict
 */
void        qs_layer_table_set_verdict_filter (QsLayerTable  *self,
                                               int            verdict);

/* Returns: (transfer none): the rows after filtering and sorting */
GListModel *qs_layer_table_get_visible_rows (QsLayerTable    *self);
/* Selects the visible row at @position, which fills the details pane. */
void        qs_layer_table_select           (QsLayerTable    *self,
                                             guint            position);

G_END_DECLS
