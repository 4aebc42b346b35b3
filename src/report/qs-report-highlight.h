/* qs-report-highlight.h: syntax highlighting of the Python config snippets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  QS_TOKEN_KEYWORD,
  QS_TOKEN_STRING,
  QS_TOKEN_NUMBER,
  QS_TOKEN_COMMENT,
} QsTokenKind;

/**
 * QsToken:
 * @kind: what the token is
 * @start: its first byte in the text
 * @length: its length in bytes
 */
typedef struct
{
  QsTokenKind kind;
  gsize       start;
  gsize       length;
} QsToken;

/**
 * qs_report_tokenize_python:
 * @text: Python source, such as an `SDNQConfig(...)` snippet
 *
 * Finds the keywords (True, False, None and the reserved words), string
 * literals, numbers and comments of @text. Everything else is left plain.
 *
 * Returns: (transfer full) (element-type QsToken): the tokens in text
 *   order, never overlapping
 */
GArray     *qs_report_tokenize_python       (const char  *text);

/* Returns: the CSS class of a token kind's span:
 *   "tok-kw", "tok-str", "tok-num" or "tok-com" */
const char *qs_token_kind_get_css_class     (QsTokenKind  kind);

/**
 * qs_report_highlight_python_html:
 *
 * Escapes @text for HTML and wraps each token in a span of its class.
 *
 * Returns: (transfer full): the HTML
 */
char       *qs_report_highlight_python_html (const char  *text);

G_END_DECLS
