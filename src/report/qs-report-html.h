/* qs-report-html.h: the self-contained HTML report
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "qs-summary.h"

G_BEGIN_DECLS

/**
 * qs_report_html_render:
 * @result: the analysis the summary was derived from
 * @summary: the summary
 * @style: the form of the config snippets
 * @embed_chart: whether to embed the chart as base64 PNG images
 *
 * Renders the HTML report from the template in the report resources. Every
 * value from the analysis (layer and component names, model name, numbers)
 * is HTML-escaped. The document makes no external requests, because the
 * styles, the copy script and the chart images are all inline.
 *
 * Returns: (transfer full): the document, or %NULL with @error set when
 *   the template cannot be parsed or expanded, or the chart cannot be
 *   encoded
 */
char *qs_report_html_render (QsAnalysisResult  *result,
                             const QsSummary   *summary,
                             QsConfigStyle      style,
                             gboolean           embed_chart,
                             GError           **error);

G_END_DECLS
