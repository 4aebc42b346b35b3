/* qs-compare-page.h: compares baseline renders with quantized renders
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "qs-image-metrics.h"

G_BEGIN_DECLS

#define QS_TYPE_COMPARE_PAIR (qs_compare_pair_get_type ())

G_DECLARE_FINAL_TYPE (QsComparePair, qs_compare_pair, QS, COMPARE_PAIR, GObject)

const char           *qs_compare_pair_get_name           (QsComparePair *self);
const char           *qs_compare_pair_get_baseline_path  (QsComparePair *self);
const char           *qs_compare_pair_get_quantized_path (QsComparePair *self);
/* Returns: (nullable): the metrics, or %NULL when they could not be
 *   computed (see qs_compare_pair_get_error()) */
const QsImageMetrics *qs_compare_pair_get_metrics        (QsComparePair *self);
/* Returns: (nullable): why the pair has no metrics, such as a size mismatch */
const char           *qs_compare_pair_get_error          (QsComparePair *self);

#define QS_TYPE_COMPARE_PAGE (qs_compare_page_get_type ())

G_DECLARE_FINAL_TYPE (QsComparePage, qs_compare_page, QS, COMPARE_PAGE, GtkWidget)

/**
 * qs_compare_page_set_inputs:
 * @baseline: (nullable): a folder of images or one image
 * @quantized: (nullable): a folder when @baseline is one, else an image
 *
 * Sets both inputs, as the choosers and drops do, and compares them on a
 * worker thread once both are set.
 */
void        qs_compare_page_set_inputs     (QsComparePage  *self,
                                            GFile          *baseline,
                                            GFile          *quantized);

/* Returns: whether the metrics are being computed */
gboolean    qs_compare_page_get_busy       (QsComparePage  *self);

/* Returns: (transfer none) (element-type QsComparePair): the pairs with
 *   metrics, by SSIM from the lowest */
GListModel *qs_compare_page_get_pairs      (QsComparePage  *self);

/* Returns: (transfer none) (element-type GtkStringObject): one line per
 *   image without a partner or without metrics, such as "Only in the
 *   baseline: a.png" */
GListModel *qs_compare_page_get_unmatched  (QsComparePage  *self);

/* Selects the pair at @position in qs_compare_page_get_pairs(). */
void        qs_compare_page_select         (QsComparePage  *self,
                                            guint           position);

/* Returns: whether the selected pair's heatmap is shown */
gboolean    qs_compare_page_has_heatmap    (QsComparePage  *self);

/**
 * qs_compare_page_export_csv:
 * @path: the CSV file to write
 *
 * Writes the shown pairs' metrics in the shown order, as the Export CSV
 * button does after its save dialog.
 *
 * Returns: %FALSE with @error when there is nothing to write or the file
 *   cannot be written
 */
gboolean    qs_compare_page_export_csv     (QsComparePage  *self,
                                            const char     *path,
                                            GError        **error);

G_END_DECLS
