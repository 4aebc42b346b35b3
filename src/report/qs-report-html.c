/* qs-report-html.c: the self-contained HTML report
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <math.h>
#include <tmpl-glib.h>

#include "qs-chart-painter.h"
#include "qs-report-content.h"
#include "qs-report-highlight.h"
#include "qs-report-html.h"
#include "qs-report-private.h"
#include "qs-report-resources.h"

#define RESOURCE_PATH "/io/github/quantscope/Quantscope/report"

/* The width of the embedded chart in CSS pixels. The PNG has twice as many
 * pixels, so it stays sharp on HiDPI screens and in print. */
#define CHART_WIDTH 1000
#define CHART_SCALE 2

/* One node of what the template iterates: a table, row, cell, statistic
 * or snippet. Every string property contains text that is already safe in
 * HTML, because the setters escape plain text and "html" contains markup
 * that this file builds from escaped pieces. template-glib inserts values
 * as they are, so this is where the escaping happens. */
#define QS_TYPE_HTML_ITEM (qs_html_item_get_type ())
G_DECLARE_FINAL_TYPE (QsHtmlItem, qs_html_item, QS, HTML_ITEM, GObject)

struct _QsHtmlItem
{
  GObject     parent_instance;
  char       *text;
  char       *title;
  char       *kind;
  char       *id;
  char       *html;
  GListStore *columns;
  GListStore *items;
};

G_DEFINE_FINAL_TYPE (QsHtmlItem, qs_html_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TEXT,
  PROP_TITLE,
  PROP_KIND,
  PROP_ID,
  PROP_HTML,
  PROP_COLUMNS,
  PROP_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
qs_html_item_finalize (GObject *object)
{
  QsHtmlItem *self = QS_HTML_ITEM (object);

  g_free (self->text);
  g_free (self->title);
  g_free (self->kind);
  g_free (self->id);
  g_free (self->html);
  g_clear_object (&self->columns);
  g_clear_object (&self->items);

  G_OBJECT_CLASS (qs_html_item_parent_class)->finalize (object);
}

static void
qs_html_item_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  QsHtmlItem *self = QS_HTML_ITEM (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_KIND:
      g_value_set_string (value, self->kind);
      break;
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_HTML:
      g_value_set_string (value, self->html);
      break;
    case PROP_COLUMNS:
      g_value_set_object (value, self->columns);
      break;
    case PROP_ITEMS:
      g_value_set_object (value, self->items);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qs_html_item_class_init (QsHtmlItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qs_html_item_finalize;
  object_class->get_property = qs_html_item_get_property;

  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_KIND] =
    g_param_spec_string ("kind", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_HTML] =
    g_param_spec_string ("html", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLUMNS] =
    g_param_spec_object ("columns", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ITEMS] =
    g_param_spec_object ("items", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qs_html_item_init (QsHtmlItem *self)
{
  self->columns = g_list_store_new (QS_TYPE_HTML_ITEM);
  self->items = g_list_store_new (QS_TYPE_HTML_ITEM);
}

/* Creates an item with escaped @text and @kind (a CSS class list). */
static QsHtmlItem *
html_item_new (const char *kind,
               const char *text)
{
  QsHtmlItem *self = g_object_new (QS_TYPE_HTML_ITEM, NULL);

  self->kind = _qs_report_escape_html (kind != NULL ? kind : "");
  self->text = _qs_report_escape_html (text != NULL ? text : "");

  return self;
}

static void
html_item_set_title (QsHtmlItem *self,
                     const char *title)
{
  g_free (self->title);
  self->title = title != NULL ? _qs_report_escape_html (title) : NULL;
}

static void
html_item_set_id (QsHtmlItem *self,
                  const char *id)
{
  g_free (self->id);
  self->id = _qs_report_escape_html (id);
}

static void
html_item_take_html (QsHtmlItem *self,
                     char       *html)
{
  g_free (self->html);
  self->html = html;
}

static void
append_item (GListStore *store,
             QsHtmlItem *item)
{
  g_list_store_append (store, item);
  g_object_unref (item);
}

static void
scope_set_text (TmplScope  *scope,
                const char *name,
                const char *text)
{
  g_autofree char *escaped = _qs_report_escape_html (text != NULL ? text : "");

  tmpl_scope_set_string (scope, name, escaped);
}

static const char *
verdict_css_class (QsVerdict verdict)
{
  switch (verdict)
    {
    case QS_VERDICT_OK:
      return "ok";
    case QS_VERDICT_PROMOTE:
      return "promote";
    case QS_VERDICT_SKIP:
      return "skip";
    case QS_VERDICT_ERROR:
    default:
      return "error";
    }
}

static char *
build_badge_html (QsVerdict   verdict,
                  const char *text)
{
  g_autofree char *escaped = _qs_report_escape_html (text);

  return g_strdup_printf ("<span class=\"badge %s\">%s</span>", verdict_css_class (verdict), escaped);
}

/* The severity and verdict rules, written from the same colour table as
 * the chart so the page and the chart agree. */
static char *
build_severity_css (void)
{
  const QsVerdict verdicts[] = { QS_VERDICT_OK, QS_VERDICT_PROMOTE, QS_VERDICT_SKIP, QS_VERDICT_ERROR };
  GString *css = g_string_new (NULL);

  for (QsSeverity severity = 0; severity < QS_SEVERITY_UNKNOWN; severity++)
    g_string_append_printf (css, "td.%s, .swatch.%s { background: %s; color: #fff; }\n",
                            qs_severity_get_css_class (severity),
                            qs_severity_get_css_class (severity),
                            qs_severity_get_hex (severity));

  for (guint i = 0; i < G_N_ELEMENTS (verdicts); i++)
    g_string_append_printf (css, ".badge.%s { background: %s; }\n",
                            verdict_css_class (verdicts[i]), qs_verdict_get_hex (verdicts[i]));

  return g_string_free (css, FALSE);
}

static const char *
column_css_class (QsReportColumnKind kind)
{
  switch (kind)
    {
    case QS_REPORT_COLUMN_NAME:
      return "name";
    case QS_REPORT_COLUMN_NUMBER:
      return "num";
    case QS_REPORT_COLUMN_NMSE:
      return "num heat";
    case QS_REPORT_COLUMN_VERDICT:
      return "verdict";
    case QS_REPORT_COLUMN_TEXT:
    default:
      return "text";
    }
}

static QsHtmlItem *
build_table_item (const QsReportTable *table)
{
  QsHtmlItem *item = html_item_new ("table", table->caption);
  guint n_columns = table->columns->len;

  g_free (item->title);
  item->title = _qs_report_escape_html (table->title);
  html_item_set_id (item, table->id);

  for (guint c = 0; c < n_columns; c++)
    {
      const QsReportColumn *column = qs_report_table_get_column (table, c);

      append_item (item->columns, html_item_new (column_css_class (column->kind), column->title));
    }

  for (guint r = 0; r < table->n_rows; r++)
    {
      QsHtmlItem *row = html_item_new ("row", NULL);

      for (guint c = 0; c < n_columns; c++)
        {
          const QsReportColumn *column = qs_report_table_get_column (table, c);
          const QsReportCell *cell = qs_report_table_get_cell (table, r, c);
          g_autofree char *kind = NULL;
          QsHtmlItem *cell_item;

          if (column->kind == QS_REPORT_COLUMN_NMSE)
            kind = g_strdup_printf ("num heat %s", qs_severity_get_css_class (cell->severity));
          else
            kind = g_strdup (column_css_class (column->kind));

          cell_item = html_item_new (kind, NULL);
          html_item_set_title (cell_item, cell->title);
          if (cell->has_verdict)
            html_item_take_html (cell_item, build_badge_html (cell->verdict, cell->text));
          else
            html_item_take_html (cell_item, _qs_report_escape_html (cell->text));
          append_item (row->items, cell_item);
        }

      append_item (item->items, row);
    }

  return item;
}

static GListStore *
build_entry_store (GPtrArray *entries)
{
  GListStore *store = g_list_store_new (QS_TYPE_HTML_ITEM);

  for (guint i = 0; i < entries->len; i++)
    {
      const QsReportEntry *entry = g_ptr_array_index (entries, i);
      const char *kind = "";
      QsHtmlItem *item;

      if (entry->has_verdict)
        kind = verdict_css_class (entry->verdict);
      else if (entry->severity != QS_SEVERITY_UNKNOWN)
        kind = qs_severity_get_css_class (entry->severity);

      item = html_item_new (kind, entry->value);
      html_item_set_title (item, entry->label);
      append_item (store, item);
    }

  return store;
}

static GListStore *
build_snippet_store (const QsReportContent *content)
{
  GListStore *store = g_list_store_new (QS_TYPE_HTML_ITEM);

  for (guint i = 0; i < content->snippets->len; i++)
    {
      const QsReportSnippet *snippet = g_ptr_array_index (content->snippets, i);
      QsHtmlItem *item = html_item_new ("snippet", NULL);
      g_autofree char *id = g_strdup_printf ("snippet-%u", i);

      html_item_set_title (item, snippet->component);
      html_item_set_id (item, id);
      html_item_take_html (item, qs_report_highlight_python_html (snippet->text));
      append_item (store, item);
    }

  return store;
}

static char *
lookup_resource_text (const char  *name,
                      GError     **error)
{
  g_autofree char *path = g_strdup_printf ("%s/%s", RESOURCE_PATH, name);
  g_autoptr(GBytes) bytes = NULL;

  bytes = g_resource_lookup_data (qs_report_get_resource (), path,
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (bytes == NULL)
    return NULL;

  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static gboolean
set_chart (TmplScope        *scope,
           const QsSummary  *summary,
           gboolean          embed_chart,
           GError          **error)
{
  g_autoptr(QsChartPainter) painter = NULL;
  g_autoptr(GBytes) dark = NULL;
  g_autoptr(GBytes) light = NULL;
  g_autofree char *dark_base64 = NULL;
  g_autofree char *light_base64 = NULL;
  g_autofree char *height_text = NULL;
  g_autofree char *caption = NULL;
  double height;

  if (!embed_chart || summary->top == NULL || summary->top->len == 0)
    {
      tmpl_scope_set_string (scope, "chart_dark", "");
      tmpl_scope_set_string (scope, "chart_light", "");
      return TRUE;
    }

  painter = qs_chart_painter_new (summary);
  height = ceil (qs_chart_painter_get_preferred_height (painter, qs_chart_painter_get_n_bars (painter)));
  dark = qs_chart_painter_write_png (painter, CHART_WIDTH, height, CHART_SCALE,
                                     QS_REPORT_THEME_DARK, error);
  if (dark == NULL)
    return FALSE;
  light = qs_chart_painter_write_png (painter, CHART_WIDTH, height, CHART_SCALE,
                                      QS_REPORT_THEME_LIGHT, error);
  if (light == NULL)
    return FALSE;

  dark_base64 = g_base64_encode (g_bytes_get_data (dark, NULL), g_bytes_get_size (dark));
  light_base64 = g_base64_encode (g_bytes_get_data (light, NULL), g_bytes_get_size (light));
  height_text = g_strdup_printf ("%d", (int) height);

  if (summary->has_auto_config)
    caption = g_strdup_printf (_("The recommended format's NMSE of the %u worst layers, coloured "
                                 "on the scale below. Dashed lines mark the thresholds."),
                               qs_chart_painter_get_n_bars (painter));
  else
    caption = g_strdup_printf (_("The %s NMSE of the %u worst layers, coloured on the scale "
                                 "below. Dashed lines mark the thresholds."),
                               summary->primary_dtype, qs_chart_painter_get_n_bars (painter));

  /* Base64 uses only letters, digits, "+", "/" and "=", which are safe in
   * a quoted attribute. */
  tmpl_scope_set_string (scope, "chart_dark", dark_base64);
  tmpl_scope_set_string (scope, "chart_light", light_base64);
  tmpl_scope_set_string (scope, "chart_width", G_STRINGIFY (CHART_WIDTH));
  tmpl_scope_set_string (scope, "chart_height", height_text);
  scope_set_text (scope, "chart_caption", caption);
  scope_set_text (scope, "chart_alt", _("Bar chart of the NMSE of the most sensitive layers"));

  return TRUE;
}

static void
set_content (TmplScope             *scope,
             const QsReportContent *content,
             QsConfigStyle          style)
{
  g_autoptr(GListStore) verdicts = build_entry_store (content->verdicts);
  g_autoptr(GListStore) statistics = build_entry_store (content->statistics);
  g_autoptr(GListStore) sizes = build_entry_store (content->sizes);
  g_autoptr(GListStore) settings = build_entry_store (content->settings);
  g_autoptr(GListStore) legend = build_entry_store (content->legend);
  g_autoptr(GListStore) snippets = build_snippet_store (content);
  g_autoptr(GListStore) summary_tables = g_list_store_new (QS_TYPE_HTML_ITEM);
  g_autoptr(GListStore) tables = g_list_store_new (QS_TYPE_HTML_ITEM);
  g_autofree char *config_caption = NULL;

  scope_set_text (scope, "title", content->title);
  scope_set_text (scope, "model", content->model);
  scope_set_text (scope, "date", content->date);
  scope_set_text (scope, "app_version", content->version);
  if (content->partial_note != NULL)
    scope_set_text (scope, "partial_note", content->partial_note);
  else
    tmpl_scope_set_string (scope, "partial_note", "");

  tmpl_scope_set_object (scope, "verdicts", verdicts);
  tmpl_scope_set_object (scope, "statistics", statistics);
  tmpl_scope_set_boolean (scope, "has_sizes", content->sizes->len > 0);
  tmpl_scope_set_object (scope, "sizes", sizes);
  tmpl_scope_set_object (scope, "settings", settings);
  tmpl_scope_set_object (scope, "legend", legend);

  if (content->component_sizes != NULL)
    append_item (summary_tables, build_table_item (content->component_sizes));
  tmpl_scope_set_object (scope, "summary_tables", summary_tables);

  append_item (tables, build_table_item (content->layers));
  if (content->svd != NULL)
    append_item (tables, build_table_item (content->svd));
  tmpl_scope_set_object (scope, "tables", tables);

  config_caption = g_strdup_printf (_("SDNQConfig keyword arguments that apply the %s, one per "
                                      "component, with per-layer group size and SVD in the %s "
                                      "form."),
                                    content->has_auto_config ? "auto-config recommendation"
                                                             : "verdicts",
                                    style == QS_CONFIG_STYLE_UPSTREAM
                                    ? "modules_quant_config (released SDNQ)"
                                    : "modules_group_size_dict and modules_svd_dict (analysis script)");
  scope_set_text (scope, "config_caption", config_caption);
  tmpl_scope_set_boolean (scope, "has_snippets", content->snippets->len > 0);
  tmpl_scope_set_object (scope, "snippets", snippets);
}

char *
qs_report_html_render (QsAnalysisResult  *result,
                       const QsSummary   *summary,
                       QsConfigStyle      style,
                       gboolean           embed_chart,
                       GError           **error)
{
  g_autoptr(QsReportContent) content = NULL;
  g_autoptr(TmplTemplate) template = NULL;
  g_autoptr(TmplScope) scope = NULL;
  g_autofree char *source = NULL;
  g_autofree char *css = NULL;
  g_autofree char *js = NULL;
  g_autofree char *severity_css = NULL;

  g_return_val_if_fail (QS_IS_ANALYSIS_RESULT (result), NULL);
  g_return_val_if_fail (summary != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  source = lookup_resource_text ("report.html", error);
  if (source == NULL)
    return NULL;
  css = lookup_resource_text ("report.css", error);
  if (css == NULL)
    return NULL;
  js = lookup_resource_text ("report.js", error);
  if (js == NULL)
    return NULL;

  /* The template includes no other file: template-glib 3.36 leaks the
   * path of every {{include}} it parses. */
  template = tmpl_template_new (NULL);
  if (!tmpl_template_parse_string (template, source, error))
    return NULL;

  content = qs_report_content_new (result, summary, style);
  severity_css = build_severity_css ();

  scope = tmpl_scope_new ();
  /* The style sheet and the script are this program's own resources, so
   * they are inserted as they are, inside <style> and <script>. */
  tmpl_scope_set_string (scope, "css", css);
  tmpl_scope_set_string (scope, "severity_css", severity_css);
  tmpl_scope_set_string (scope, "js", js);
  set_content (scope, content, style);
  if (!set_chart (scope, summary, embed_chart, error))
    return NULL;

  return tmpl_template_expand_string (template, scope, error);
}
