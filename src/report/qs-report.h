/* qs-report.h: writing a report file from an analysis summary
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "qs-summary.h"

G_BEGIN_DECLS

/**
 * QsReportFormat:
 * @QS_REPORT_FORMAT_HTML: one self-contained HTML file without the chart
 * @QS_REPORT_FORMAT_HTML_PNG: the same with the chart embedded as base64
 *   PNG images (a dark one for screens, a light one for print)
 * @QS_REPORT_FORMAT_PDF: a paginated A4 PDF drawn with Cairo
 */
typedef enum
{
  QS_REPORT_FORMAT_HTML,
  QS_REPORT_FORMAT_HTML_PNG,
  QS_REPORT_FORMAT_PDF,
} QsReportFormat;

/* Returns: "html", "html-png" or "pdf" */
const char *qs_report_format_to_string   (QsReportFormat  format);
/* Returns: %FALSE when @str is not "html", "html-png" or "pdf" */
gboolean    qs_report_format_from_string (const char     *str,
                                          QsReportFormat *format);
/* Returns: ".html" or ".pdf" */
const char *qs_report_format_get_extension (QsReportFormat format);

/**
 * QsReportOptions:
 * @format: the file format
 * @config_style: the form of per-layer group size and SVD in the config
 *   snippets
 *
 * How qs_report_write_full() writes a report.
 */
typedef struct
{
  QsReportFormat format;
  QsConfigStyle  config_style;
} QsReportOptions;

/**
 * qs_report_write:
 * @result: the analysis the summary was derived from (settings and
 *   provenance for the title block)
 * @summary: the summary every number in the report comes from
 * @format: the file format
 * @path: the file to write
 *
 * Writes a report with config snippets in the analysis script's style.
 * The file appears under @path only once it is complete: a failure leaves
 * an existing file there untouched and no partial file behind.
 *
 * Returns: %FALSE with @error set (a #GIOError naming @path) on failure
 */
gboolean    qs_report_write              (QsAnalysisResult      *result,
                                          const QsSummary       *summary,
                                          QsReportFormat         format,
                                          const char            *path,
                                          GError               **error);

/**
 * qs_report_write_full:
 * @options: the format and the config style
 *
 * Like qs_report_write() with every option.
 *
 * Returns: %FALSE with @error set on failure
 */
gboolean    qs_report_write_full         (QsAnalysisResult      *result,
                                          const QsSummary       *summary,
                                          const QsReportOptions *options,
                                          const char            *path,
                                          GError               **error);

/**
 * qs_report_default_path:
 * @csv_output_path: (nullable): the CSV output path of the analysis, such
 *   as "out/quant_sensitivity_report.csv"; %NULL for the CLI's default
 *   "quant_sensitivity_report.csv"
 * @format: the report format, which picks the extension
 *
 * Derives the report path beside the CSV: the CSV path without its
 * extension, then "_report.html" or "_report.pdf".
 *
 * Returns: (transfer full): the path
 */
char       *qs_report_default_path       (const char            *csv_output_path,
                                          QsReportFormat         format);

G_END_DECLS
