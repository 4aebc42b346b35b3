/* qs-layer-row.h: one analysed layer as a list item
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "qs-report-colors.h"
#include "qs-summary.h"

G_BEGIN_DECLS

#define QS_TYPE_LAYER_ROW (qs_layer_row_get_type ())

G_DECLARE_FINAL_TYPE (QsLayerRow, qs_layer_row, QS, LAYER_ROW, GObject)

/**
 * qs_layer_row_new:
 * @layer: the analysed layer
 * @index: its position in the analysis, from 0
 *
 * Creates a row without a verdict; qs_layer_row_update() adds the
 * summary's view of the layer.
 */
QsLayerRow          *qs_layer_row_new               (QsLayerResult        *layer,
                                                     guint                 index);

QsLayerResult       *qs_layer_row_get_layer         (QsLayerRow           *self);
guint                qs_layer_row_get_index         (QsLayerRow           *self);
const char          *qs_layer_row_get_component     (QsLayerRow           *self);
const char          *qs_layer_row_get_name          (QsLayerRow           *self);
const char          *qs_layer_row_get_shape         (QsLayerRow           *self);

/**
 * qs_layer_row_update:
 * @summary: the summary the layer is part of
 * @layer_summary: the layer's entry in @summary
 *
 * Copies the layer's verdict, the NMSE of each summary column with its
 * colour step, the SVD comparisons and the auto-config choice, then
 * notifies the changed properties and emits "changed". Nothing of
 * @summary is kept, so it may be freed afterwards.
 */
void                 qs_layer_row_update            (QsLayerRow           *self,
                                                     const QsSummary      *summary,
                                                     const QsLayerSummary *layer_summary);

gboolean             qs_layer_row_has_summary       (QsLayerRow           *self);
QsVerdict            qs_layer_row_get_verdict       (QsLayerRow           *self);
const char          *qs_layer_row_get_verdict_text  (QsLayerRow           *self);
double               qs_layer_row_get_primary_nmse  (QsLayerRow           *self);
guint                qs_layer_row_get_n_columns     (QsLayerRow           *self);
/* Returns: the NMSE of summary column @column, NAN when not evaluated */
double               qs_layer_row_get_nmse          (QsLayerRow           *self,
                                                     guint                 column);
QsSeverity           qs_layer_row_get_severity      (QsLayerRow           *self,
                                                     guint                 column);
/* Returns: the colour step of the primary NMSE */
QsSeverity           qs_layer_row_get_primary_severity (QsLayerRow        *self);
/* Returns: the colour step of any @nmse under the row's thresholds */
QsSeverity           qs_layer_row_get_severity_for_nmse (QsLayerRow       *self,
                                                         double            nmse);
guint                qs_layer_row_get_n_svd         (QsLayerRow           *self);
const QsSvdComparison *qs_layer_row_get_svd         (QsLayerRow           *self,
                                                     guint                 index);
/* Returns: (nullable): the auto-config choice, when the summary had one */
const QsAutoChoice  *qs_layer_row_get_auto_choice   (QsLayerRow           *self);

G_END_DECLS
