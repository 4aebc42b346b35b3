/* qs-report-colors.c: the severity colour scale and the themes of the reports
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "qs-report-colors.h"

/* The scale runs from a dark green (far under the promote threshold) to a
 * red (above the skip threshold); white text stays readable on each. */
static const char * const severity_hex[QS_N_SEVERITIES] = {
  "#2d6a4f",
  "#40916c",
  "#b8860b",
  "#e76f51",
  "#d62828",
  "#6c757d",
};

static const char * const severity_class[QS_N_SEVERITIES] = {
  "sev-0",
  "sev-1",
  "sev-2",
  "sev-3",
  "sev-4",
  "sev-none",
};

static const QsReportPalette dark_palette = {
  .background = { 0x15 / 255.0, 0x17 / 255.0, 0x1a / 255.0 },
  .surface = { 0x1f / 255.0, 0x22 / 255.0, 0x27 / 255.0 },
  .stripe = { 0x23 / 255.0, 0x27 / 255.0, 0x2d / 255.0 },
  .border = { 0x34 / 255.0, 0x3a / 255.0, 0x42 / 255.0 },
  .text = { 0xe6 / 255.0, 0xe8 / 255.0, 0xeb / 255.0 },
  .muted = { 0x9a / 255.0, 0xa3 / 255.0, 0xad / 255.0 },
  .grid = { 0x2e / 255.0, 0x33 / 255.0, 0x3a / 255.0 },
};

static const QsReportPalette light_palette = {
  .background = { 1.0, 1.0, 1.0 },
  .surface = { 0xf0 / 255.0, 0xf2 / 255.0, 0xf5 / 255.0 },
  .stripe = { 0xf7 / 255.0, 0xf8 / 255.0, 0xfa / 255.0 },
  .border = { 0xc8 / 255.0, 0xce / 255.0, 0xd5 / 255.0 },
  .text = { 0x1b / 255.0, 0x1f / 255.0, 0x24 / 255.0 },
  .muted = { 0x57 / 255.0, 0x60 / 255.0, 0x6a / 255.0 },
  .grid = { 0xe1 / 255.0, 0xe5 / 255.0, 0xea / 255.0 },
};

QsSeverity
qs_severity_for_nmse (double nmse,
                      double skip_threshold,
                      double promote_threshold)
{
  if (isnan (nmse))
    return QS_SEVERITY_UNKNOWN;
  if (nmse <= promote_threshold * 0.1)
    return QS_SEVERITY_NEGLIGIBLE;
  if (nmse <= promote_threshold)
    return QS_SEVERITY_LOW;
  if (nmse <= skip_threshold * 0.5)
    return QS_SEVERITY_MODERATE;
  if (nmse <= skip_threshold)
    return QS_SEVERITY_HIGH;

  return QS_SEVERITY_SEVERE;
}

const char *
qs_severity_get_hex (QsSeverity severity)
{
  g_return_val_if_fail (severity >= 0 && severity < QS_N_SEVERITIES,
                        severity_hex[QS_SEVERITY_UNKNOWN]);

  return severity_hex[severity];
}

QsReportRgb
qs_severity_get_rgb (QsSeverity severity)
{
  return qs_report_rgb_parse_hex (qs_severity_get_hex (severity));
}

const char *
qs_severity_get_css_class (QsSeverity severity)
{
  g_return_val_if_fail (severity >= 0 && severity < QS_N_SEVERITIES,
                        severity_class[QS_SEVERITY_UNKNOWN]);

  return severity_class[severity];
}

const char *
qs_verdict_get_hex (QsVerdict verdict)
{
  switch (verdict)
    {
    case QS_VERDICT_OK:
      return severity_hex[QS_SEVERITY_LOW];
    case QS_VERDICT_PROMOTE:
      return severity_hex[QS_SEVERITY_MODERATE];
    case QS_VERDICT_SKIP:
      return severity_hex[QS_SEVERITY_SEVERE];
    case QS_VERDICT_ERROR:
    default:
      return severity_hex[QS_SEVERITY_UNKNOWN];
    }
}

QsReportRgb
qs_verdict_get_rgb (QsVerdict verdict)
{
  return qs_report_rgb_parse_hex (qs_verdict_get_hex (verdict));
}

const QsReportPalette *
qs_report_theme_get_palette (QsReportTheme theme)
{
  return theme == QS_REPORT_THEME_LIGHT ? &light_palette : &dark_palette;
}

QsReportRgb
qs_report_rgb_parse_hex (const char *hex)
{
  QsReportRgb rgb = { 0, 0, 0 };
  guint value = 0;

  g_return_val_if_fail (hex != NULL, rgb);

  if (hex[0] != '#' || strlen (hex) != 7)
    return rgb;

  for (guint i = 1; i < 7; i++)
    {
      int digit = g_ascii_xdigit_value (hex[i]);

      if (digit < 0)
        return rgb;
      value = value * 16 + (guint) digit;
    }

  rgb.red = ((value >> 16) & 0xff) / 255.0;
  rgb.green = ((value >> 8) & 0xff) / 255.0;
  rgb.blue = (value & 0xff) / 255.0;

  return rgb;
}
