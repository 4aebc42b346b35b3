/* qs-report-page-painter.c: the pages of the printed report
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <math.h>

#include "qs-chart-painter.h"
#include "qs-report-content.h"
#include "qs-report-highlight.h"
#include "qs-report-page-painter.h"
#include "qs-report-private.h"

/* Sizes in user units, which are points on a PDF page. */
#define MARGIN_X          42.0
#define MARGIN_TOP        48.0
#define MARGIN_BOTTOM     54.0
#define TITLE_SIZE        20.0
#define SUBTITLE_SIZE     12.0
#define HEADING_SIZE      13.0
#define SUBHEADING_SIZE   9.5
#define BODY_SIZE         9.0
#define SMALL_SIZE        7.5
#define TABLE_SIZE        7.0
#define CODE_SIZE         7.2
#define CHART_FONT_SIZE   7.5
#define CELL_PADDING      4.0
#define TABLE_ROW_HEIGHT  13.0
#define TABLE_HEAD_HEIGHT 16.0
#define BADGE_HEIGHT      20.0

typedef enum
{
  ITEM_TITLE,
  ITEM_NOTE,
  ITEM_CAPTION,
  ITEM_HEADING,
  ITEM_SUBHEADING,
  ITEM_VERDICTS,
  ITEM_ENTRIES,
  ITEM_LEGEND,
  ITEM_CHART,
  ITEM_TABLE_HEADER,
  ITEM_TABLE_ROW,
  ITEM_CODE_HEADER,
  ITEM_CODE_LINE,
} ItemKind;

/* A table with the column widths it is drawn at. */
typedef struct
{
  const QsReportTable *table;
  double              *widths;
} TableLayout;

/* One block of a page. Long tables and snippets become one block per row
 * or line. The chart is one block that pagination cuts into slices of
 * bars; no other block is split. */
typedef struct
{
  ItemKind     kind;
  double       height;
  double       space_before;
  gboolean     keep_with_next;
  char        *text;
  GPtrArray   *entries;
  guint        n_columns;
  TableLayout *table;
  guint        index;
  guint        count;
} Item;

/* Where a block goes on a page. A chart block is placed in slices, each
 * with its own range of bars. */
typedef struct
{
  guint    item;
  double   y;
  guint    first_bar;
  guint    n_bars;
} Placement;

struct _QsReportLayout
{
  PangoContext    *context;
  QsReportContent *content;
  QsChartPainter  *chart;
  double           page_width;
  double           page_height;
  double           content_width;
  GArray          *items;
  GPtrArray       *tables;
  GPtrArray       *pages;
};

static void
item_clear (Item *item)
{
  g_free (item->text);
}

static void
table_layout_free (TableLayout *layout)
{
  g_free (layout->widths);
  g_free (layout);
}

static const QsReportPalette *
print_palette (void)
{
  return qs_report_theme_get_palette (QS_REPORT_THEME_LIGHT);
}

static PangoLayout *
create_layout (QsReportLayout *self,
               const char     *family,
               double          size,
               PangoWeight     weight,
               const char     *text)
{
  return _qs_report_create_layout (self->context, family, size, weight, text);
}

/* Creates a layout wrapped at @width and returns its height in @height. */
static PangoLayout *
create_wrapped_layout (QsReportLayout *self,
                       const char     *family,
                       double          size,
                       PangoWeight     weight,
                       const char     *text,
                       double          width,
                       double         *height)
{
  PangoLayout *layout = create_layout (self, family, size, weight, text);

  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  if (height != NULL)
    _qs_report_layout_get_size (layout, NULL, height);

  return layout;
}

static void
show_layout (cairo_t     *cr,
             PangoLayout *layout,
             double       x,
             double       y)
{
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

static double
measure_text_width (QsReportLayout *self,
                    const char     *family,
                    double          size,
                    PangoWeight     weight,
                    const char     *text)
{
  g_autoptr(PangoLayout) layout = create_layout (self, family, size, weight, text);
  double width;

  _qs_report_layout_get_size (layout, &width, NULL);

  return width;
}

static Item *
add_item (QsReportLayout *self,
          ItemKind        kind,
          double          height,
          double          space_before)
{
  Item item = { 0 };

  item.kind = kind;
  item.height = height;
  item.space_before = space_before;
  g_array_append_val (self->items, item);

  return &g_array_index (self->items, Item, self->items->len - 1);
}

/* Text blocks: the title, notes, captions and headings. */

static double
title_height (QsReportLayout *self)
{
  g_autoptr(PangoLayout) title = create_layout (self, QS_REPORT_FONT_SANS, TITLE_SIZE,
                                                PANGO_WEIGHT_BOLD, self->content->title);
  double height;
  double model_height;

  _qs_report_layout_get_size (title, NULL, &height);
  g_clear_object (&title);
  title = create_wrapped_layout (self, QS_REPORT_FONT_SANS, SUBTITLE_SIZE, PANGO_WEIGHT_NORMAL,
                                 self->content->model, self->content_width, &model_height);

  return height + 4 + model_height + 3 + BODY_SIZE * 1.3;
}

static void
add_text_item (QsReportLayout *self,
               ItemKind        kind,
               const char     *text,
               double          space_before,
               gboolean        keep_with_next)
{
  const char *family = QS_REPORT_FONT_SANS;
  double size = BODY_SIZE;
  PangoWeight weight = PANGO_WEIGHT_NORMAL;
  double inset = 0;
  g_autoptr(PangoLayout) layout = NULL;
  double height;
  Item *item;

  switch (kind)
    {
    case ITEM_HEADING:
      size = HEADING_SIZE;
      weight = PANGO_WEIGHT_BOLD;
      break;
    case ITEM_SUBHEADING:
      size = SUBHEADING_SIZE;
      weight = PANGO_WEIGHT_BOLD;
      break;
    case ITEM_CAPTION:
      size = SMALL_SIZE + 0.5;
      break;
    case ITEM_NOTE:
      inset = 8;
      break;
    case ITEM_CODE_HEADER:
      weight = PANGO_WEIGHT_BOLD;
      break;
    default:
      break;
    }

  layout = create_wrapped_layout (self, family, size, weight, text,
                                  self->content_width - 2 * inset, &height);
  item = add_item (self, kind, height + 2 * inset, space_before);
  item->text = g_strdup (text);
  item->keep_with_next = keep_with_next;
}

static void
draw_text_item (QsReportLayout *self,
                cairo_t        *cr,
                const Item     *item,
                double          y)
{
  const QsReportPalette *palette = print_palette ();
  const char *family = QS_REPORT_FONT_SANS;
  double size = BODY_SIZE;
  PangoWeight weight = PANGO_WEIGHT_NORMAL;
  QsReportRgb color = palette->text;
  double inset = 0;
  g_autoptr(PangoLayout) layout = NULL;

  switch (item->kind)
    {
    case ITEM_HEADING:
      size = HEADING_SIZE;
      weight = PANGO_WEIGHT_BOLD;
      break;
    case ITEM_SUBHEADING:
      size = SUBHEADING_SIZE;
      weight = PANGO_WEIGHT_BOLD;
      color = palette->muted;
      break;
    case ITEM_CAPTION:
      size = SMALL_SIZE + 0.5;
      color = palette->muted;
      break;
    case ITEM_NOTE:
      inset = 8;
      cairo_set_source_rgb (cr, 1.0, 0xf4 / 255.0, 0xd6 / 255.0);
      _qs_report_rounded_rect (cr, MARGIN_X, y, self->content_width, item->height, 4);
      cairo_fill (cr);
      color = qs_report_rgb_parse_hex ("#5c4400");
      break;
    case ITEM_CODE_HEADER:
      weight = PANGO_WEIGHT_BOLD;
      break;
    default:
      break;
    }

  layout = create_wrapped_layout (self, family, size, weight, item->text,
                                  self->content_width - 2 * inset, NULL);
  _qs_report_set_source_rgb (cr, color);
  show_layout (cr, layout, MARGIN_X + inset, y + inset);
}

static void
draw_title (QsReportLayout *self,
            cairo_t        *cr,
            double          y)
{
  const QsReportPalette *palette = print_palette ();
  g_autoptr(PangoLayout) title = NULL;
  g_autoptr(PangoLayout) model = NULL;
  g_autoptr(PangoLayout) date = NULL;
  g_autofree char *date_text = NULL;
  double height;

  title = create_layout (self, QS_REPORT_FONT_SANS, TITLE_SIZE, PANGO_WEIGHT_BOLD,
                         self->content->title);
  _qs_report_set_source_rgb (cr, palette->text);
  show_layout (cr, title, MARGIN_X, y);
  _qs_report_layout_get_size (title, NULL, &height);
  y += height + 4;

  model = create_wrapped_layout (self, QS_REPORT_FONT_SANS, SUBTITLE_SIZE, PANGO_WEIGHT_NORMAL,
                                 self->content->model, self->content_width, &height);
  show_layout (cr, model, MARGIN_X, y);
  y += height + 3;

  date_text = g_strdup_printf (_("Analysed %s · Quantscope %s"), self->content->date,
                               self->content->version);
  date = create_layout (self, QS_REPORT_FONT_SANS, BODY_SIZE, PANGO_WEIGHT_NORMAL, date_text);
  _qs_report_set_source_rgb (cr, palette->muted);
  show_layout (cr, date, MARGIN_X, y);
}

/* The verdict counts as coloured pills. */

static void
draw_verdicts (QsReportLayout *self,
               cairo_t        *cr,
               const Item     *item,
               double          y)
{
  double x = MARGIN_X;

  for (guint i = 0; i < item->entries->len; i++)
    {
      const QsReportEntry *entry = g_ptr_array_index (item->entries, i);
      g_autofree char *text = g_strdup_printf ("%s  %s", entry->label, entry->value);
      g_autoptr(PangoLayout) layout = create_layout (self, QS_REPORT_FONT_SANS, BODY_SIZE + 1,
                                                     PANGO_WEIGHT_BOLD, text);
      double width, height;

      _qs_report_layout_get_size (layout, &width, &height);
      _qs_report_set_source_rgb (cr, qs_verdict_get_rgb (entry->verdict));
      _qs_report_rounded_rect (cr, x, y, width + 20, BADGE_HEIGHT, BADGE_HEIGHT / 2);
      cairo_fill (cr);
      cairo_set_source_rgb (cr, 1, 1, 1);
      show_layout (cr, layout, x + 10, y + (BADGE_HEIGHT - height) / 2);
      x += width + 20 + 8;
    }
}

/* Label and value pairs in a grid of @n_columns columns. */

static double
entries_row_height (QsReportLayout *self,
                    GPtrArray      *entries,
                    guint           first,
                    guint           n_columns)
{
  double cell_width = self->content_width / n_columns - 8;
  double row_height = 0;

  for (guint i = first; i < MIN (first + n_columns, entries->len); i++)
    {
      const QsReportEntry *entry = g_ptr_array_index (entries, i);
      g_autoptr(PangoLayout) value = NULL;
      double value_height;

      value = create_wrapped_layout (self, QS_REPORT_FONT_SANS, BODY_SIZE, PANGO_WEIGHT_NORMAL,
                                     entry->value, cell_width, &value_height);
      row_height = MAX (row_height, SMALL_SIZE * 1.3 + value_height);
    }

  return row_height + 5;
}

static void
add_entries_item (QsReportLayout *self,
                  GPtrArray      *entries,
                  guint           n_columns,
                  double          space_before)
{
  double height = 0;
  Item *item;

  if (entries->len == 0)
    return;

  for (guint first = 0; first < entries->len; first += n_columns)
    height += entries_row_height (self, entries, first, n_columns);

  item = add_item (self, ITEM_ENTRIES, height, space_before);
  item->entries = entries;
  item->n_columns = n_columns;
}

static void
draw_entries (QsReportLayout *self,
              cairo_t        *cr,
              const Item     *item,
              double          y)
{
  const QsReportPalette *palette = print_palette ();
  double column_width = self->content_width / item->n_columns;

  for (guint first = 0; first < item->entries->len; first += item->n_columns)
    {
      double row_height = entries_row_height (self, item->entries, first, item->n_columns);

      for (guint i = first; i < MIN (first + item->n_columns, item->entries->len); i++)
        {
          const QsReportEntry *entry = g_ptr_array_index (item->entries, i);
          double x = MARGIN_X + (i - first) * column_width;
          g_autoptr(PangoLayout) label = NULL;
          g_autoptr(PangoLayout) value = NULL;

          label = create_layout (self, QS_REPORT_FONT_SANS, SMALL_SIZE, PANGO_WEIGHT_NORMAL,
                                 entry->label);
          pango_layout_set_width (label, (int) ((column_width - 8) * PANGO_SCALE));
          pango_layout_set_ellipsize (label, PANGO_ELLIPSIZE_END);
          _qs_report_set_source_rgb (cr, palette->muted);
          show_layout (cr, label, x, y);

          value = create_wrapped_layout (self, QS_REPORT_FONT_SANS, BODY_SIZE, PANGO_WEIGHT_NORMAL,
                                         entry->value, column_width - 8, NULL);
          _qs_report_set_source_rgb (cr, palette->text);
          show_layout (cr, value, x, y + SMALL_SIZE * 1.3);
        }

      y += row_height;
    }
}

/* The colour scale's legend, one line of swatches. */

static void
draw_legend (QsReportLayout *self,
             cairo_t        *cr,
             double          y)
{
  const QsReportPalette *palette = print_palette ();
  g_autoptr(PangoLayout) title = create_layout (self, QS_REPORT_FONT_SANS, SMALL_SIZE,
                                                PANGO_WEIGHT_BOLD, "NMSE colour scale:");
  double x = MARGIN_X;
  double width;

  _qs_report_set_source_rgb (cr, palette->muted);
  show_layout (cr, title, x, y);
  _qs_report_layout_get_size (title, &width, NULL);
  x += width + 8;

  for (guint i = 0; i < self->content->legend->len; i++)
    {
      const QsReportEntry *entry = g_ptr_array_index (self->content->legend, i);
      g_autoptr(PangoLayout) text = create_layout (self, QS_REPORT_FONT_SANS, SMALL_SIZE,
                                                   PANGO_WEIGHT_NORMAL, entry->value);

      _qs_report_set_source_rgb (cr, qs_severity_get_rgb (entry->severity));
      cairo_rectangle (cr, x, y + 1, 9, 9);
      cairo_fill (cr);
      x += 12;
      _qs_report_set_source_rgb (cr, palette->muted);
      show_layout (cr, text, x, y);
      _qs_report_layout_get_size (text, &width, NULL);
      x += width + 12;
    }
}

/* Tables: the column widths are chosen once, from the widest cell of each
 * column; the layer-name column takes what is left. */

static double
cell_text_width (QsReportLayout       *self,
                 const QsReportColumn *column,
                 const char           *text)
{
  const char *family = column->kind == QS_REPORT_COLUMN_NUMBER || column->kind == QS_REPORT_COLUMN_NMSE
                       ? QS_REPORT_FONT_MONO : QS_REPORT_FONT_SANS;
  PangoWeight weight = column->kind == QS_REPORT_COLUMN_VERDICT ? PANGO_WEIGHT_BOLD
                                                                : PANGO_WEIGHT_NORMAL;
  double extra = column->kind == QS_REPORT_COLUMN_VERDICT ? 10 : 0;

  return measure_text_width (self, family, TABLE_SIZE, weight, text) + extra;
}

static TableLayout *
layout_table (QsReportLayout      *self,
              const QsReportTable *table)
{
  TableLayout *layout = g_new0 (TableLayout, 1);
  guint n_columns = table->columns->len;
  int name_column = -1;
  double fixed = 0;

  layout->table = table;
  layout->widths = g_new0 (double, MAX (n_columns, 1));

  for (guint c = 0; c < n_columns; c++)
    {
      const QsReportColumn *column = qs_report_table_get_column (table, c);
      double width = measure_text_width (self, QS_REPORT_FONT_SANS, TABLE_SIZE,
                                         PANGO_WEIGHT_BOLD, column->title);

      for (guint r = 0; r < table->n_rows; r++)
        width = MAX (width, cell_text_width (self, column, qs_report_table_get_cell (table, r, c)->text));

      layout->widths[c] = ceil (width + 2 * CELL_PADDING);
      if (column->kind == QS_REPORT_COLUMN_NAME && name_column < 0)
        name_column = c;
      else
        fixed += layout->widths[c];
    }

  if (name_column >= 0)
    {
      /* The name column gets the spare width, but never less than a
       * readable minimum. When even that does not fit, the other columns
       * shrink and their text is elided. */
      double minimum = MIN (layout->widths[name_column], 110);
      double available = self->content_width - fixed;

      if (available >= minimum)
        {
          layout->widths[name_column] = available;
          return layout;
        }
      layout->widths[name_column] = minimum;
      fixed += minimum;
    }

  if (fixed > self->content_width)
    {
      double scale = self->content_width / fixed;

      for (guint c = 0; c < n_columns; c++)
        layout->widths[c] *= scale;
    }

  return layout;
}

static void
add_table_items (QsReportLayout      *self,
                 const QsReportTable *table,
                 ItemKind             heading_kind)
{
  TableLayout *layout;
  Item *item;

  if (table == NULL)
    return;

  layout = layout_table (self, table);
  g_ptr_array_add (self->tables, layout);

  add_text_item (self, heading_kind, table->title, heading_kind == ITEM_HEADING ? 16 : 10, TRUE);
  if (table->caption != NULL)
    add_text_item (self, ITEM_CAPTION, table->caption, 2, TRUE);

  item = add_item (self, ITEM_TABLE_HEADER, TABLE_HEAD_HEIGHT, 6);
  item->table = layout;
  item->keep_with_next = table->n_rows > 0;

  for (guint r = 0; r < table->n_rows; r++)
    {
      item = add_item (self, ITEM_TABLE_ROW, TABLE_ROW_HEIGHT, 0);
      item->table = layout;
      item->index = r;
    }
}

static void
draw_cell_text (QsReportLayout       *self,
                cairo_t              *cr,
                const QsReportColumn *column,
                const QsReportCell   *cell,
                double                x,
                double                y,
                double                width,
                double                height)
{
  const QsReportPalette *palette = print_palette ();
  const char *family = QS_REPORT_FONT_SANS;
  PangoAlignment alignment = PANGO_ALIGN_LEFT;
  PangoEllipsizeMode ellipsize = PANGO_ELLIPSIZE_END;
  QsReportRgb color = palette->text;
  g_autoptr(PangoLayout) layout = NULL;
  double text_width, text_height;

  if (cell->has_verdict)
    {
      layout = create_layout (self, QS_REPORT_FONT_SANS, TABLE_SIZE, PANGO_WEIGHT_BOLD, cell->text);
      pango_layout_set_width (layout, (int) ((width - 2 * CELL_PADDING - 10) * PANGO_SCALE));
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
      _qs_report_layout_get_size (layout, &text_width, &text_height);
      _qs_report_set_source_rgb (cr, qs_verdict_get_rgb (cell->verdict));
      _qs_report_rounded_rect (cr, x + CELL_PADDING, y + 1.5, text_width + 10, height - 3,
                               (height - 3) / 2);
      cairo_fill (cr);
      cairo_set_source_rgb (cr, 1, 1, 1);
      show_layout (cr, layout, x + CELL_PADDING + 5, y + (height - text_height) / 2);
      return;
    }

  switch (column->kind)
    {
    case QS_REPORT_COLUMN_NMSE:
      if (cell->severity != QS_SEVERITY_UNKNOWN)
        {
          _qs_report_set_source_rgb (cr, qs_severity_get_rgb (cell->severity));
          cairo_rectangle (cr, x + 0.5, y + 0.5, width - 1, height - 1);
          cairo_fill (cr);
          color = (QsReportRgb) { 1, 1, 1 };
        }
      family = QS_REPORT_FONT_MONO;
      alignment = PANGO_ALIGN_RIGHT;
      break;
    case QS_REPORT_COLUMN_NUMBER:
      family = QS_REPORT_FONT_MONO;
      alignment = PANGO_ALIGN_RIGHT;
      break;
    case QS_REPORT_COLUMN_NAME:
      ellipsize = PANGO_ELLIPSIZE_MIDDLE;
      break;
    default:
      break;
    }

  layout = create_layout (self, family, TABLE_SIZE, PANGO_WEIGHT_NORMAL, cell->text);
  pango_layout_set_width (layout, (int) (MAX (width - 2 * CELL_PADDING, 1) * PANGO_SCALE));
  pango_layout_set_ellipsize (layout, ellipsize);
  pango_layout_set_alignment (layout, alignment);
  _qs_report_layout_get_size (layout, NULL, &text_height);
  _qs_report_set_source_rgb (cr, color);
  show_layout (cr, layout, x + CELL_PADDING, y + (height - text_height) / 2);
}

static void
draw_table_header (QsReportLayout    *self,
                   cairo_t           *cr,
                   const TableLayout *layout,
                   double             y)
{
  const QsReportPalette *palette = print_palette ();
  const QsReportTable *table = layout->table;
  double x = MARGIN_X;

  _qs_report_set_source_rgb (cr, palette->surface);
  cairo_rectangle (cr, MARGIN_X, y, self->content_width, TABLE_HEAD_HEIGHT);
  cairo_fill (cr);

  for (guint c = 0; c < table->columns->len; c++)
    {
      const QsReportColumn *column = qs_report_table_get_column (table, c);
      g_autoptr(PangoLayout) text = create_layout (self, QS_REPORT_FONT_SANS, TABLE_SIZE,
                                                   PANGO_WEIGHT_BOLD, column->title);
      double text_height;

      pango_layout_set_width (text, (int) (MAX (layout->widths[c] - 2 * CELL_PADDING, 1) * PANGO_SCALE));
      pango_layout_set_ellipsize (text, PANGO_ELLIPSIZE_END);
      if (column->kind == QS_REPORT_COLUMN_NUMBER || column->kind == QS_REPORT_COLUMN_NMSE)
        pango_layout_set_alignment (text, PANGO_ALIGN_RIGHT);
      _qs_report_layout_get_size (text, NULL, &text_height);
      _qs_report_set_source_rgb (cr, palette->text);
      show_layout (cr, text, x + CELL_PADDING, y + (TABLE_HEAD_HEIGHT - text_height) / 2);
      x += layout->widths[c];
    }

  _qs_report_set_source_rgb (cr, palette->border);
  cairo_set_line_width (cr, 0.8);
  cairo_move_to (cr, MARGIN_X, y + TABLE_HEAD_HEIGHT);
  cairo_line_to (cr, MARGIN_X + self->content_width, y + TABLE_HEAD_HEIGHT);
  cairo_stroke (cr);
}

static void
draw_table_row (QsReportLayout    *self,
                cairo_t           *cr,
                const TableLayout *layout,
                guint              row,
                double             y)
{
  const QsReportPalette *palette = print_palette ();
  const QsReportTable *table = layout->table;
  double x = MARGIN_X;

  if (row % 2 == 1)
    {
      _qs_report_set_source_rgb (cr, palette->stripe);
      cairo_rectangle (cr, MARGIN_X, y, self->content_width, TABLE_ROW_HEIGHT);
      cairo_fill (cr);
    }

  for (guint c = 0; c < table->columns->len; c++)
    {
      cairo_save (cr);
      cairo_rectangle (cr, x, y, layout->widths[c], TABLE_ROW_HEIGHT);
      cairo_clip (cr);
      draw_cell_text (self, cr, qs_report_table_get_column (table, c),
                      qs_report_table_get_cell (table, row, c),
                      x, y, layout->widths[c], TABLE_ROW_HEIGHT);
      cairo_restore (cr);
      x += layout->widths[c];
    }

  _qs_report_set_source_rgb (cr, palette->border);
  cairo_set_line_width (cr, 0.3);
  cairo_move_to (cr, MARGIN_X, y + TABLE_ROW_HEIGHT);
  cairo_line_to (cr, MARGIN_X + self->content_width, y + TABLE_ROW_HEIGHT);
  cairo_stroke (cr);
}

/* Config snippets: one block per line, highlighted as in the HTML report
 * with colours for white paper. */

static PangoLayout *
create_code_layout (QsReportLayout *self,
                    const char     *line,
                    double         *height)
{
  g_autoptr(GArray) tokens = qs_report_tokenize_python (line);
  PangoAttrList *attributes = pango_attr_list_new ();
  PangoLayout *layout;

  layout = create_wrapped_layout (self, QS_REPORT_FONT_MONO, CODE_SIZE, PANGO_WEIGHT_NORMAL,
                                  line, self->content_width - 16, height);

  for (guint i = 0; i < tokens->len; i++)
    {
      const QsToken *token = &g_array_index (tokens, QsToken, i);
      const char *hex;
      QsReportRgb rgb;
      PangoAttribute *attribute;

      switch (token->kind)
        {
        case QS_TOKEN_KEYWORD:
          hex = "#7b2fa8";
          break;
        case QS_TOKEN_STRING:
          hex = "#2e7d32";
          break;
        case QS_TOKEN_NUMBER:
          hex = "#b3541e";
          break;
        case QS_TOKEN_COMMENT:
        default:
          hex = "#57606a";
          break;
        }

      rgb = qs_report_rgb_parse_hex (hex);
      attribute = pango_attr_foreground_new ((guint16) (rgb.red * 65535),
                                             (guint16) (rgb.green * 65535),
                                             (guint16) (rgb.blue * 65535));
      attribute->start_index = (guint) token->start;
      attribute->end_index = (guint) (token->start + token->length);
      pango_attr_list_insert (attributes, attribute);
    }

  pango_layout_set_attributes (layout, attributes);
  pango_attr_list_unref (attributes);

  return layout;
}

static void
add_snippet_items (QsReportLayout        *self,
                   const QsReportSnippet *snippet)
{
  g_auto(GStrv) lines = g_strsplit (snippet->text, "\n", -1);
  guint n_lines = g_strv_length (lines);

  /* A trailing newline leaves an empty last line that is not drawn. */
  if (n_lines > 0 && lines[n_lines - 1][0] == '\0')
    n_lines--;

  add_text_item (self, ITEM_CODE_HEADER, snippet->component, 10, TRUE);

  for (guint i = 0; i < n_lines; i++)
    {
      g_autoptr(PangoLayout) layout = NULL;
      double height;
      Item *item;

      layout = create_code_layout (self, lines[i], &height);
      item = add_item (self, ITEM_CODE_LINE, height + (i == 0 || i + 1 == n_lines ? 5 : 0),
                       i == 0 ? 3 : 0);
      item->text = g_strdup (lines[i]);
      item->index = i;
    }
}

static void
draw_code_line (QsReportLayout *self,
                cairo_t        *cr,
                const Item     *item,
                double          y)
{
  g_autoptr(PangoLayout) layout = create_code_layout (self, item->text, NULL);
  double top_padding = item->index == 0 ? 5 : 0;

  cairo_set_source_rgb (cr, 0xf6 / 255.0, 0xf8 / 255.0, 0xfa / 255.0);
  cairo_rectangle (cr, MARGIN_X, y, self->content_width, item->height);
  cairo_fill (cr);

  _qs_report_set_source_rgb (cr, print_palette ()->text);
  show_layout (cr, layout, MARGIN_X + 8, y + top_padding);
}

/* Building the block list. */

/* The minimum number of bars in a chart slice at the bottom of a page.
 * With less room, the chart starts on the next page. */
#define MIN_CHART_SLICE 8

static void
add_chart_items (QsReportLayout *self)
{
  guint n_bars = qs_chart_painter_get_n_bars (self->chart);
  g_autofree char *caption = NULL;
  Item *item;

  if (n_bars == 0)
    return;

  add_text_item (self, ITEM_HEADING, _("Worst layers by NMSE"), 16, TRUE);
  if (self->content->has_auto_config)
    caption = g_strdup_printf (_("The recommended format's NMSE of the %u worst layers. Dashed "
                                 "lines mark the promote and skip thresholds."), n_bars);
  else
    caption = g_strdup_printf (_("The primary dtype's NMSE of the %u worst layers. Dashed lines "
                                 "mark the promote and skip thresholds."), n_bars);
  add_text_item (self, ITEM_CAPTION, caption, 2, TRUE);

  /* One block for the whole chart: pagination cuts it into slices that
   * fill the pages, all on the same axis. Its height is that of the
   * smallest slice, which is what must fit below the heading. */
  item = add_item (self, ITEM_CHART,
                   qs_chart_painter_get_preferred_height (self->chart, MIN (n_bars, MIN_CHART_SLICE)),
                   4);
  item->count = n_bars;
  item->keep_with_next = TRUE;

  add_item (self, ITEM_LEGEND, SMALL_SIZE * 1.6, 4);
}

static void
build_items (QsReportLayout *self)
{
  QsReportContent *content = self->content;
  Item *item;

  add_item (self, ITEM_TITLE, title_height (self), 0);
  if (content->partial_note != NULL)
    add_text_item (self, ITEM_NOTE, content->partial_note, 10, FALSE);

  add_text_item (self, ITEM_HEADING, _("Summary"), 16, TRUE);
  item = add_item (self, ITEM_VERDICTS, BADGE_HEIGHT, 6);
  item->entries = content->verdicts;
  add_entries_item (self, content->statistics, 4, 10);

  if (content->sizes->len > 0)
    {
      add_text_item (self, ITEM_SUBHEADING, _("Size estimates"), 10, TRUE);
      add_entries_item (self, content->sizes, 5, 4);
      add_table_items (self, content->component_sizes, ITEM_SUBHEADING);
    }

  add_text_item (self, ITEM_SUBHEADING, _("Settings"), 10, TRUE);
  add_entries_item (self, content->settings, 2, 4);

  add_chart_items (self);
  add_table_items (self, content->layers, ITEM_HEADING);
  add_table_items (self, content->svd, ITEM_HEADING);

  add_text_item (self, ITEM_HEADING, _("SDNQ config"), 16, TRUE);
  if (content->snippets->len == 0)
    add_text_item (self, ITEM_CAPTION, _("The summary holds no config."), 2, FALSE);
  for (guint i = 0; i < content->snippets->len; i++)
    add_snippet_items (self, g_ptr_array_index (content->snippets, i));
}

/* Pagination: blocks flow down the page, and a block that does not fit
 * starts a new page. A heading stays with what follows it. A table row
 * that starts a page gets its table's header repeated above it. */

static double
chain_height (QsReportLayout *self,
              guint           first)
{
  double height = 0;

  for (guint i = first; i < self->items->len; i++)
    {
      const Item *item = &g_array_index (self->items, Item, i);

      height += item->height + (i > first ? item->space_before : 0);
      if (!item->keep_with_next)
        break;
    }

  return height;
}

static GArray *
new_page (QsReportLayout *self)
{
  GArray *page = g_array_new (FALSE, FALSE, sizeof (Placement));

  g_ptr_array_add (self->pages, page);

  return page;
}

static void
place (GArray *page,
       guint   item,
       double  y)
{
  Placement placement = { item, y, 0, 0 };

  g_array_append_val (page, placement);
}

static double
chart_height (QsReportLayout *self,
              guint           n_bars)
{
  return qs_chart_painter_get_preferred_height (self->chart, n_bars);
}

/* Places the chart from @y on, in slices that fill the rest of each page,
 * and returns the page and y where it ends. */
static GArray *
place_chart (QsReportLayout *self,
             guint           index,
             GArray         *page,
             double         *y)
{
  const Item *item = &g_array_index (self->items, Item, index);
  double bottom = self->page_height - MARGIN_BOTTOM;
  double per_bar = chart_height (self, 2) - chart_height (self, 1);
  double frame = chart_height (self, 1) - per_bar;
  guint first = 0;

  while (first < item->count)
    {
      double space = page->len > 0 ? item->space_before : 0;
      double room = bottom - *y - space;
      guint left = item->count - first;
      guint fit = room > frame ? (guint) floor ((room - frame) / per_bar) : 0;
      Placement placement = { index, 0, first, 0 };

      if (fit < MIN (left, MIN_CHART_SLICE) && page->len > 0)
        {
          page = new_page (self);
          *y = MARGIN_TOP;
          continue;
        }

      placement.n_bars = MAX (MIN (fit, left), 1);
      placement.y = *y + space;
      g_array_append_val (page, placement);
      *y = placement.y + chart_height (self, placement.n_bars);
      first += placement.n_bars;
    }

  return page;
}

static guint
find_table_header (QsReportLayout    *self,
                   const TableLayout *table)
{
  for (guint i = 0; i < self->items->len; i++)
    {
      const Item *item = &g_array_index (self->items, Item, i);

      if (item->kind == ITEM_TABLE_HEADER && item->table == table)
        return i;
    }

  g_assert_not_reached ();
}

static void
paginate (QsReportLayout *self)
{
  double top = MARGIN_TOP;
  double bottom = self->page_height - MARGIN_BOTTOM;
  GArray *page = new_page (self);
  double y = top;

  for (guint i = 0; i < self->items->len; i++)
    {
      const Item *item = &g_array_index (self->items, Item, i);
      gboolean empty = page->len == 0;
      double space = empty ? 0 : item->space_before;

      if (!empty && y + space + chain_height (self, i) > bottom)
        {
          page = new_page (self);
          y = top;
          space = 0;
          empty = TRUE;
        }

      if (item->kind == ITEM_CHART)
        {
          page = place_chart (self, i, page, &y);
          continue;
        }

      if (empty && item->kind == ITEM_TABLE_ROW)
        {
          guint header = find_table_header (self, item->table);

          place (page, header, y);
          y += g_array_index (self->items, Item, header).height;
        }

      y += space;
      place (page, i, y);
      y += item->height;
    }
}

QsReportLayout *
qs_report_layout_new (QsAnalysisResult *result,
                      const QsSummary  *summary,
                      QsConfigStyle     config_style,
                      double            page_width,
                      double            page_height,
                      PangoContext     *context)
{
  QsReportLayout *self;

  g_return_val_if_fail (QS_IS_ANALYSIS_RESULT (result), NULL);
  g_return_val_if_fail (summary != NULL, NULL);
  g_return_val_if_fail (page_width > 2 * MARGIN_X + 100, NULL);
  g_return_val_if_fail (page_height > MARGIN_TOP + MARGIN_BOTTOM + 100, NULL);
  g_return_val_if_fail (context == NULL || PANGO_IS_CONTEXT (context), NULL);

  self = g_new0 (QsReportLayout, 1);
  if (context != NULL)
    {
      self->context = g_object_ref (context);
    }
  else
    {
      cairo_font_options_t *options = cairo_font_options_create ();

      /* Unhinted metrics measure text the same at every resolution, so the
       * layout made here fits on any surface the pages are drawn on. */
      self->context = pango_font_map_create_context (pango_cairo_font_map_get_default ());
      cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
      cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
      pango_cairo_context_set_font_options (self->context, options);
      cairo_font_options_destroy (options);
    }

  self->content = qs_report_content_new (result, summary, config_style);
  self->chart = qs_chart_painter_new (summary);
  qs_chart_painter_set_font_size (self->chart, CHART_FONT_SIZE);
  self->page_width = page_width;
  self->page_height = page_height;
  self->content_width = page_width - 2 * MARGIN_X;
  self->items = g_array_new (FALSE, TRUE, sizeof (Item));
  g_array_set_clear_func (self->items, (GDestroyNotify) item_clear);
  self->tables = g_ptr_array_new_with_free_func ((GDestroyNotify) table_layout_free);
  self->pages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);

  build_items (self);
  paginate (self);

  return self;
}

void
qs_report_layout_free (QsReportLayout *self)
{
  if (self == NULL)
    return;

  g_clear_object (&self->context);
  qs_report_content_free (self->content);
  qs_chart_painter_free (self->chart);
  g_array_unref (self->items);
  g_ptr_array_unref (self->tables);
  g_ptr_array_unref (self->pages);
  g_free (self);
}

guint
qs_report_layout_get_n_pages (QsReportLayout *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->pages->len;
}

static void
draw_page_frame (QsReportLayout *self,
                 cairo_t        *cr,
                 guint           page)
{
  const QsReportPalette *palette = print_palette ();
  g_autofree char *number = g_strdup_printf (_("Page %u of %u"), page + 1, self->pages->len);
  g_autofree char *running = NULL;
  g_autoptr(PangoLayout) footer = NULL;
  g_autoptr(PangoLayout) model = NULL;
  double width, height;
  double footer_y = self->page_height - MARGIN_BOTTOM + 22;

  _qs_report_set_source_rgb (cr, palette->border);
  cairo_set_line_width (cr, 0.5);
  cairo_move_to (cr, MARGIN_X, footer_y - 6);
  cairo_line_to (cr, self->page_width - MARGIN_X, footer_y - 6);
  cairo_stroke (cr);

  footer = create_layout (self, QS_REPORT_FONT_SANS, SMALL_SIZE, PANGO_WEIGHT_NORMAL, number);
  _qs_report_layout_get_size (footer, &width, &height);
  _qs_report_set_source_rgb (cr, palette->muted);
  show_layout (cr, footer, self->page_width - MARGIN_X - width, footer_y);

  running = g_strdup_printf ("%s · %s", self->content->title, self->content->model);
  model = create_layout (self, QS_REPORT_FONT_SANS, SMALL_SIZE, PANGO_WEIGHT_NORMAL, running);
  pango_layout_set_width (model, (int) ((self->content_width - width - 24) * PANGO_SCALE));
  pango_layout_set_ellipsize (model, PANGO_ELLIPSIZE_MIDDLE);
  show_layout (cr, model, MARGIN_X, footer_y);
}

static void
draw_item (QsReportLayout  *self,
           cairo_t         *cr,
           const Item      *item,
           const Placement *placement)
{
  double y = placement->y;

  switch (item->kind)
    {
    case ITEM_TITLE:
      draw_title (self, cr, y);
      break;
    case ITEM_NOTE:
    case ITEM_CAPTION:
    case ITEM_HEADING:
    case ITEM_SUBHEADING:
    case ITEM_CODE_HEADER:
      draw_text_item (self, cr, item, y);
      break;
    case ITEM_VERDICTS:
      draw_verdicts (self, cr, item, y);
      break;
    case ITEM_ENTRIES:
      draw_entries (self, cr, item, y);
      break;
    case ITEM_LEGEND:
      draw_legend (self, cr, y);
      break;
    case ITEM_CHART:
      cairo_save (cr);
      cairo_translate (cr, MARGIN_X, y);
      qs_chart_painter_draw_range (self->chart, cr, self->content_width,
                                   chart_height (self, placement->n_bars), QS_REPORT_THEME_LIGHT,
                                   self->context, placement->first_bar, placement->n_bars);
      cairo_restore (cr);
      break;
    case ITEM_TABLE_HEADER:
      draw_table_header (self, cr, item->table, y);
      break;
    case ITEM_TABLE_ROW:
      draw_table_row (self, cr, item->table, item->index, y);
      break;
    case ITEM_CODE_LINE:
      draw_code_line (self, cr, item, y);
      break;
    default:
      g_assert_not_reached ();
    }
}

void
qs_report_layout_draw_page (QsReportLayout *self,
                            cairo_t        *cr,
                            guint           page)
{
  GArray *placements;

  g_return_if_fail (self != NULL);
  g_return_if_fail (cr != NULL);
  g_return_if_fail (page < self->pages->len);

  placements = g_ptr_array_index (self->pages, page);

  cairo_save (cr);
  _qs_report_set_source_rgb (cr, print_palette ()->background);
  cairo_rectangle (cr, 0, 0, self->page_width, self->page_height);
  cairo_fill (cr);

  for (guint i = 0; i < placements->len; i++)
    {
      const Placement *placement = &g_array_index (placements, Placement, i);

      cairo_save (cr);
      draw_item (self, cr, &g_array_index (self->items, Item, placement->item), placement);
      cairo_restore (cr);
    }

  draw_page_frame (self, cr, page);
  cairo_restore (cr);
}
