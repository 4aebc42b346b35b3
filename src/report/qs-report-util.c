/* qs-report-util.c: helpers shared by the report painters and writers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "qs-report-private.h"

PangoLayout *
_qs_report_create_layout (PangoContext *context,
                          const char   *family,
                          double        size,
                          PangoWeight   weight,
                          const char   *text)
{
  PangoLayout *layout = pango_layout_new (context);
  PangoFontDescription *desc = pango_font_description_new ();

  pango_font_description_set_family (desc, family);
  pango_font_description_set_absolute_size (desc, size * PANGO_SCALE);
  pango_font_description_set_weight (desc, weight);
  pango_layout_set_font_description (layout, desc);
  pango_layout_set_text (layout, text != NULL ? text : "", -1);
  pango_font_description_free (desc);

  return layout;
}

void
_qs_report_layout_get_size (PangoLayout *layout,
                            double      *width,
                            double      *height)
{
  int w, h;

  pango_layout_get_size (layout, &w, &h);
  if (width != NULL)
    *width = (double) w / PANGO_SCALE;
  if (height != NULL)
    *height = (double) h / PANGO_SCALE;
}

void
_qs_report_set_source_rgb (cairo_t     *cr,
                           QsReportRgb  rgb)
{
  cairo_set_source_rgb (cr, rgb.red, rgb.green, rgb.blue);
}

void
_qs_report_rounded_rect (cairo_t *cr,
                         double   x,
                         double   y,
                         double   width,
                         double   height,
                         double   radius)
{
  radius = MIN (radius, MIN (width, height) / 2);

  cairo_new_sub_path (cr);
  cairo_arc (cr, x + width - radius, y + radius, radius, -G_PI / 2, 0);
  cairo_arc (cr, x + width - radius, y + height - radius, radius, 0, G_PI / 2);
  cairo_arc (cr, x + radius, y + height - radius, radius, G_PI / 2, G_PI);
  cairo_arc (cr, x + radius, y + radius, radius, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

void
_qs_report_append_escaped (GString    *out,
                           const char *text,
                           gssize      length)
{
  const char *end;

  if (text == NULL)
    return;

  end = length < 0 ? text + strlen (text) : text + length;
  for (const char *p = text; p < end; p++)
    {
      switch (*p)
        {
        case '&':
          g_string_append (out, "&amp;");
          break;
        case '<':
          g_string_append (out, "&lt;");
          break;
        case '>':
          g_string_append (out, "&gt;");
          break;
        case '"':
          g_string_append (out, "&quot;");
          break;
        case '\'':
          g_string_append (out, "&#39;");
          break;
        default:
          g_string_append_c (out, *p);
          break;
        }
    }
}

char *
_qs_report_escape_html (const char *text)
{
  GString *out = g_string_new (NULL);

  _qs_report_append_escaped (out, text, -1);

  return g_string_free (out, FALSE);
}
