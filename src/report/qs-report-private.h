/* qs-report-private.h: helpers shared by the report painters and writers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <cairo.h>
#include <pango/pangocairo.h>

#include "qs-report-colors.h"

G_BEGIN_DECLS

/* The font families of every painter. Fontconfig resolves them to the
 * installed fonts (DejaVu on Debian). */
#define QS_REPORT_FONT_SANS "Sans"
#define QS_REPORT_FONT_MONO "Monospace"

/**
 * _qs_report_create_layout:
 * @size: the text height in user units of the cairo_t it is drawn on
 *
 * Creates a layout with an absolute font size, so text scales with the
 * user space of the target and not with the context's resolution.
 *
 * Returns: (transfer full): the layout
 */
PangoLayout *_qs_report_create_layout   (PangoContext      *context,
                                         const char        *family,
                                         double             size,
                                         PangoWeight        weight,
                                         const char        *text);

/* Returns: the logical width and height of @layout in user units */
void         _qs_report_layout_get_size (PangoLayout       *layout,
                                         double            *width,
                                         double            *height);

void         _qs_report_set_source_rgb  (cairo_t           *cr,
                                         QsReportRgb        rgb);

/* Fills a rectangle with rounded corners of @radius. */
void         _qs_report_rounded_rect    (cairo_t           *cr,
                                         double             x,
                                         double             y,
                                         double             width,
                                         double             height,
                                         double             radius);

/**
 * _qs_report_escape_html:
 *
 * Escapes &, <, >, " and ' so @text is safe in element content and in
 * quoted attribute values.
 *
 * Returns: (transfer full): the escaped text
 */
char        *_qs_report_escape_html     (const char        *text);
void         _qs_report_append_escaped  (GString           *out,
                                         const char        *text,
                                         gssize             length);

G_END_DECLS
