/* qs-report-content.h: the text and tables of a report, shared by the HTML
 * and the PDF writers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "qs-report-colors.h"
#include "qs-summary.h"

G_BEGIN_DECLS

/**
 * QsReportColumnKind:
 * @QS_REPORT_COLUMN_TEXT: plain text, left-aligned
 * @QS_REPORT_COLUMN_NAME: a layer name; takes the spare width and is
 *   elided in the middle where space is short
 * @QS_REPORT_COLUMN_NUMBER: a number, right-aligned in a monospace font
 * @QS_REPORT_COLUMN_NMSE: an NMSE value on a cell coloured by severity
 * @QS_REPORT_COLUMN_VERDICT: a verdict badge
 */
typedef enum
{
  QS_REPORT_COLUMN_TEXT,
  QS_REPORT_COLUMN_NAME,
  QS_REPORT_COLUMN_NUMBER,
  QS_REPORT_COLUMN_NMSE,
  QS_REPORT_COLUMN_VERDICT,
} QsReportColumnKind;

typedef struct
{
  char               *title;
  QsReportColumnKind  kind;
} QsReportColumn;

/**
 * QsReportCell:
 * @text: the text shown, not escaped
 * @title: (nullable): the full value for tooltips
 * @severity: the background of NMSE cells, %QS_SEVERITY_UNKNOWN for none
 * @has_verdict: the cell is drawn as a badge of @verdict's colour
 * @verdict: the badge's verdict
 */
typedef struct
{
  char       *text;
  char       *title;
  QsSeverity  severity;
  gboolean    has_verdict;
  QsVerdict   verdict;
} QsReportCell;

/**
 * QsReportTable:
 * @id: a short identifier, used as the HTML id
 * @title: the heading above the table
 * @caption: (nullable): one explanatory sentence under the heading
 * @columns: (element-type QsReportColumn)
 * @cells: (element-type QsReportCell): the rows one after the other,
 *   @columns->len cells each
 * @n_rows: the number of rows
 */
typedef struct
{
  char   *id;
  char   *title;
  char   *caption;
  GArray *columns;
  GArray *cells;
  guint   n_rows;
} QsReportTable;

const QsReportColumn *qs_report_table_get_column (const QsReportTable *self,
                                                  guint                column);
const QsReportCell   *qs_report_table_get_cell   (const QsReportTable *self,
                                                  guint                row,
                                                  guint                column);
void                  qs_report_table_free       (QsReportTable       *self);

/**
 * QsReportEntry:
 * @label: what the value is
 * @value: the value as text
 * @has_verdict: the value is a count of @verdict's layers
 * @verdict: the verdict counted
 * @severity: for the colour scale's legend, the step @value describes;
 *   %QS_SEVERITY_UNKNOWN otherwise
 */
typedef struct
{
  char       *label;
  char       *value;
  gboolean    has_verdict;
  QsVerdict   verdict;
  QsSeverity  severity;
} QsReportEntry;

/**
 * QsReportSnippet:
 * @component: the component the config is for
 * @text: the SDNQConfig Python snippet
 */
typedef struct
{
  char *component;
  char *text;
} QsReportSnippet;

/**
 * QsReportContent:
 * @title: the report title
 * @model: the model name
 * @date: when the analysis ran (or when the report was written, when the
 *   provenance has no time), "2024-05-01 12:30 UTC"
 * @version: the Quantscope version that wrote the report
 * @partial_note: (nullable): a warning that the analysis stopped early
 * @settings: (element-type QsReportEntry): the run's settings
 * @verdicts: (element-type QsReportEntry): the OK, PROMOTE and SKIP counts,
 *   and ERROR when there are errors
 * @statistics: (element-type QsReportEntry): layer counts and NMSE
 *   statistics
 * @sizes: (element-type QsReportEntry): size estimates; empty without
 *   auto-config
 * @legend: (element-type QsReportEntry): the colour scale, one entry per
 *   severity step with the NMSE range it covers
 * @component_sizes: (nullable): sizes per component, with auto-config and
 *   more than one component
 * @layers: the most sensitive layers: the heatmap of NMSE per column, or
 *   the auto-config choices
 * @svd: (nullable): raw against SVD, when both were tested
 * @snippets: (element-type QsReportSnippet): one config per component
 * @has_auto_config: @layers contains the auto-config choices
 *
 * Every string a report shows, formatted once from the summary.
 */
typedef struct
{
  char          *title;
  char          *model;
  char          *date;
  char          *version;
  char          *partial_note;
  GPtrArray     *settings;
  GPtrArray     *verdicts;
  GPtrArray     *statistics;
  GPtrArray     *sizes;
  GPtrArray     *legend;
  QsReportTable *component_sizes;
  QsReportTable *layers;
  QsReportTable *svd;
  GPtrArray     *snippets;
  gboolean       has_auto_config;
} QsReportContent;

/**
 * qs_report_content_new:
 * @result: the analysis the summary was derived from (settings, provenance)
 * @summary: the summary
 * @style: the form of the config snippets
 *
 * Returns: (transfer full): the content; it copies every string and keeps
 *   no pointer into @summary
 */
QsReportContent *qs_report_content_new  (QsAnalysisResult *result,
                                         const QsSummary  *summary,
                                         QsConfigStyle     style);
void             qs_report_content_free (QsReportContent  *self);

/* Returns: (transfer full): @bytes with IEC units, "1.5 GiB" */
char            *qs_report_format_size  (guint64           bytes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsReportContent, qs_report_content_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsReportTable, qs_report_table_free)

G_END_DECLS
