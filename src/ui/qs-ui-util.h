/* qs-ui-util.h: formatting and styling helpers shared by the app's widgets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "qs-layer-row.h"
#include "qs-report-colors.h"
#include "qs-summary.h"

G_BEGIN_DECLS

/* Returns: (transfer full): @count with the locale's digit grouping */
char       *qs_ui_format_count        (guint64     count);
/* Returns: (transfer full): @bytes with IEC units, "1.5 GiB" */
char       *qs_ui_format_size         (guint64     bytes);
/* Returns: (transfer full): a duration for people, "1 min 05 s" */
char       *qs_ui_format_duration     (double      seconds);
/* Returns: the component name for people; the model itself has "" */
const char *qs_ui_component_label     (const char *component);

/**
 * qs_ui_set_severity_class:
 * @on: whether the cell is coloured at all
 *
 * Gives @widget the report's CSS class for @severity ("sev-0" to "sev-4",
 * "sev-none") and removes the others.
 */
void        qs_ui_set_severity_class  (GtkWidget  *widget,
                                       QsSeverity  severity,
                                       gboolean    on);
/* Gives @widget the badge classes of @verdict ("verdict-ok", ...). */
void        qs_ui_set_verdict_class   (GtkWidget  *widget,
                                       QsVerdict   verdict,
                                       gboolean    on);

/**
 * QsUiCellUpdateFunc:
 * @cell: the cell's label
 * @row: the row it shows
 * @column: the column number the factory was created with
 *
 * Fills a table cell from a row.
 */
typedef void (*QsUiCellUpdateFunc) (GtkWidget  *cell,
                                    QsLayerRow *row,
                                    guint       column);

/**
 * qs_ui_row_cell_factory_new:
 * @update: fills a cell
 * @column: passed to @update
 *
 * Creates a factory of label cells over #QsLayerRow items. A bound cell
 * is filled again whenever its row emits "changed", so colours and
 * verdicts follow new thresholds.
 *
 * Returns: (transfer full): the factory
 */
GtkListItemFactory *qs_ui_row_cell_factory_new (QsUiCellUpdateFunc update,
                                                guint              column);

/* Unparents the children that a template left, those without an id bound
 * to the instance struct, so the widget can be finalized cleanly. */
void        qs_ui_unparent_children   (GtkWidget  *widget);

/* Removes every child of @box. */
void        qs_ui_box_remove_all      (GtkBox     *box);

G_END_DECLS
