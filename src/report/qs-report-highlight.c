/* qs-report-highlight.c: syntax highlighting of the Python config snippets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "qs-report-highlight.h"
#include "qs-report-private.h"

static const char * const python_keywords[] = {
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
  "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
  "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
  "return", "try", "while", "with", "yield",
};

static gboolean
is_identifier_start (char c)
{
  return g_ascii_isalpha (c) || c == '_' || (guchar) c >= 0x80;
}

static gboolean
is_identifier_char (char c)
{
  return is_identifier_start (c) || g_ascii_isdigit (c);
}

static gboolean
is_keyword (const char *word,
            gsize       length)
{
  for (guint i = 0; i < G_N_ELEMENTS (python_keywords); i++)
    {
      if (strlen (python_keywords[i]) == length && strncmp (python_keywords[i], word, length) == 0)
        return TRUE;
    }

  return FALSE;
}

static void
add_token (GArray      *tokens,
           QsTokenKind  kind,
           gsize        start,
           gsize        end)
{
  QsToken token = { kind, start, end - start };

  g_array_append_val (tokens, token);
}

/* Returns the end of the string literal that starts with a quote at @start;
 * an unterminated literal runs to the end of the line. */
static gsize
scan_string (const char *text,
             gsize       start)
{
  char quote = text[start];
  gsize i = start + 1;

  while (text[i] != '\0' && text[i] != '\n')
    {
      if (text[i] == '\\' && text[i + 1] != '\0')
        {
          i += 2;
          continue;
        }
      if (text[i] == quote)
        return i + 1;
      i++;
    }

  return i;
}

static gsize
scan_number (const char *text,
             gsize       start)
{
  gsize i = start;

  while (g_ascii_isdigit (text[i]) || text[i] == '_')
    i++;
  if (text[i] == '.' && g_ascii_isdigit (text[i + 1]))
    {
      i++;
      while (g_ascii_isdigit (text[i]) || text[i] == '_')
        i++;
    }
  if ((text[i] == 'e' || text[i] == 'E')
      && (g_ascii_isdigit (text[i + 1])
          || ((text[i + 1] == '-' || text[i + 1] == '+') && g_ascii_isdigit (text[i + 2]))))
    {
      i += 2;
      while (g_ascii_isdigit (text[i]))
        i++;
    }

  return i;
}

GArray *
qs_report_tokenize_python (const char *text)
{
  GArray *tokens;
  gsize i = 0;

  g_return_val_if_fail (text != NULL, NULL);

  tokens = g_array_new (FALSE, FALSE, sizeof (QsToken));

  while (text[i] != '\0')
    {
      char c = text[i];
      gsize end;

      if (c == '#')
        {
          end = i;
          while (text[end] != '\0' && text[end] != '\n')
            end++;
          add_token (tokens, QS_TOKEN_COMMENT, i, end);
        }
      else if (c == '"' || c == '\'')
        {
          end = scan_string (text, i);
          add_token (tokens, QS_TOKEN_STRING, i, end);
        }
      else if (g_ascii_isdigit (c) || (c == '.' && g_ascii_isdigit (text[i + 1])))
        {
          end = scan_number (text, i);
          add_token (tokens, QS_TOKEN_NUMBER, i, end);
        }
      else if (is_identifier_start (c))
        {
          end = i;
          while (is_identifier_char (text[end]))
            end++;
          if (is_keyword (text + i, end - i))
            add_token (tokens, QS_TOKEN_KEYWORD, i, end);
        }
      else
        {
          end = i + 1;
        }

      i = end;
    }

  return tokens;
}

const char *
qs_token_kind_get_css_class (QsTokenKind kind)
{
  switch (kind)
    {
    case QS_TOKEN_KEYWORD:
      return "tok-kw";
    case QS_TOKEN_STRING:
      return "tok-str";
    case QS_TOKEN_NUMBER:
      return "tok-num";
    case QS_TOKEN_COMMENT:
    default:
      return "tok-com";
    }
}

char *
qs_report_highlight_python_html (const char *text)
{
  g_autoptr(GArray) tokens = NULL;
  GString *html;
  gsize position = 0;

  g_return_val_if_fail (text != NULL, NULL);

  tokens = qs_report_tokenize_python (text);
  html = g_string_sized_new (strlen (text) * 2);

  for (guint i = 0; i < tokens->len; i++)
    {
      const QsToken *token = &g_array_index (tokens, QsToken, i);

      _qs_report_append_escaped (html, text + position, token->start - position);
      g_string_append_printf (html, "<span class=\"%s\">", qs_token_kind_get_css_class (token->kind));
      _qs_report_append_escaped (html, text + token->start, token->length);
      g_string_append (html, "</span>");
      position = token->start + token->length;
    }
  _qs_report_append_escaped (html, text + position, -1);

  return g_string_free (html, FALSE);
}
