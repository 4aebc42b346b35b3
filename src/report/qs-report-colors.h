/* qs-report-colors.h: the severity colour scale and the themes of the reports
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "qs-summary.h"

G_BEGIN_DECLS

/**
 * QsSeverity:
 * @QS_SEVERITY_NEGLIGIBLE: NMSE at or under a tenth of the promote threshold
 * @QS_SEVERITY_LOW: NMSE at or under the promote threshold
 * @QS_SEVERITY_MODERATE: NMSE at or under half the skip threshold
 * @QS_SEVERITY_HIGH: NMSE at or under the skip threshold
 * @QS_SEVERITY_SEVERE: NMSE above the skip threshold, or INF
 * @QS_SEVERITY_UNKNOWN: no NMSE (the format was not evaluated)
 *
 * The step of the reports' colour scale that an NMSE value falls on. The
 * bounds are checked in this order, so a step is empty when its bound is
 * under the previous one (half the skip threshold under the promote
 * threshold).
 */
typedef enum
{
  QS_SEVERITY_NEGLIGIBLE,
  QS_SEVERITY_LOW,
  QS_SEVERITY_MODERATE,
  QS_SEVERITY_HIGH,
  QS_SEVERITY_SEVERE,
  QS_SEVERITY_UNKNOWN,
} QsSeverity;

#define QS_N_SEVERITIES (QS_SEVERITY_UNKNOWN + 1)

/**
 * QsReportTheme:
 * @QS_REPORT_THEME_DARK: light text on a dark background, for screens
 * @QS_REPORT_THEME_LIGHT: dark text on white, for print
 */
typedef enum
{
  QS_REPORT_THEME_DARK,
  QS_REPORT_THEME_LIGHT,
} QsReportTheme;

/**
 * QsReportRgb:
 *
 * A colour with components from 0 to 1, ready for cairo_set_source_rgb().
 */
typedef struct
{
  double red;
  double green;
  double blue;
} QsReportRgb;

/**
 * QsReportPalette:
 * @background: the page or chart background
 * @surface: cards and table headers
 * @stripe: every other table row
 * @border: table rules and card borders
 * @text: body text
 * @muted: secondary text: captions, tick labels, page numbers
 * @grid: chart grid lines
 *
 * The neutral colours of one theme. Severity and verdict colours are the
 * same in both themes.
 */
typedef struct
{
  QsReportRgb background;
  QsReportRgb surface;
  QsReportRgb stripe;
  QsReportRgb border;
  QsReportRgb text;
  QsReportRgb muted;
  QsReportRgb grid;
} QsReportPalette;

/**
 * qs_severity_for_nmse:
 * @nmse: an NMSE value; INF is severe and NAN unknown
 * @skip_threshold: NMSE above which a format is unusable
 * @promote_threshold: NMSE above which the primary format is not good enough
 *
 * Returns: the step of the colour scale @nmse falls on
 */
QsSeverity             qs_severity_for_nmse        (double         nmse,
                                                    double         skip_threshold,
                                                    double         promote_threshold);

/* Returns: the colour as "#rrggbb"; a neutral grey for QS_SEVERITY_UNKNOWN */
const char            *qs_severity_get_hex         (QsSeverity     severity);
QsReportRgb            qs_severity_get_rgb         (QsSeverity     severity);

/* Returns: the CSS class of cells coloured by @severity, "sev-0" to "sev-4",
 *   or "sev-none" */
const char            *qs_severity_get_css_class   (QsSeverity     severity);

/* Returns: the badge colour of a verdict as "#rrggbb" */
const char            *qs_verdict_get_hex          (QsVerdict      verdict);
QsReportRgb            qs_verdict_get_rgb          (QsVerdict      verdict);

const QsReportPalette *qs_report_theme_get_palette (QsReportTheme  theme);

/**
 * qs_report_rgb_parse_hex:
 * @hex: "#rrggbb"
 *
 * Returns: the colour; black when @hex is malformed
 */
QsReportRgb            qs_report_rgb_parse_hex     (const char    *hex);

G_END_DECLS
