/* qs-report-page-painter.h: the pages of the printed report
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <cairo.h>
#include <pango/pango.h>

#include "qs-summary.h"

G_BEGIN_DECLS

/* A4 in points, the size of the PDF report. */
#define QS_REPORT_A4_WIDTH  595.276
#define QS_REPORT_A4_HEIGHT 841.89

typedef struct _QsReportLayout QsReportLayout;

/**
 * qs_report_layout_new:
 * @result: the analysis the summary was derived from
 * @summary: the summary
 * @config_style: the form of the config snippets
 * @page_width: the page width in user units of the cairo_t the pages will
 *   be drawn on (points for a PDF surface)
 * @page_height: the page height in the same units
 * @context: (nullable): the Pango context text is measured and drawn
 *   with, such as gtk_print_context_create_pango_context(); %NULL uses the
 *   default Cairo font map. Font sizes are absolute user units, so they
 *   do not depend on the context's resolution.
 *
 * Lays the report out in pages, in print colours. The pages contain the title
 * block (model, settings, date), the statistics, the chart, the table of
 * the most sensitive layers, the SVD table and the config snippets. Tables
 * split across pages repeat their header, and every page ends with
 * "Page N of M". The layout copies what it shows, so @summary may be
 * freed afterwards.
 *
 * Returns: (transfer full): the layout
 */
QsReportLayout *qs_report_layout_new         (QsAnalysisResult *result,
                                              const QsSummary  *summary,
                                              QsConfigStyle     config_style,
                                              double            page_width,
                                              double            page_height,
                                              PangoContext     *context);
void            qs_report_layout_free        (QsReportLayout   *self);

guint           qs_report_layout_get_n_pages (QsReportLayout   *self);

/**
 * qs_report_layout_draw_page:
 * @cr: the page's cairo context, its origin at the page's top left corner
 * @page: the page index, from 0
 *
 * Draws one page, background included, onto any cairo_t: a PDF surface
 * page, or GtkPrintOperation's context in its draw-page handler.
 */
void            qs_report_layout_draw_page   (QsReportLayout   *self,
                                              cairo_t          *cr,
                                              guint             page);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsReportLayout, qs_report_layout_free)

G_END_DECLS
