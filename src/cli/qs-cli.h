/* qs-cli.h: shared helpers of quantscope-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "qs-analysis.h"
#include "qs-summary.h"

G_BEGIN_DECLS

/* Exit statuses: 1 for a failure the input causes, 2 for invalid usage,
 * 130 after Ctrl+C, as shells report a SIGINT. */
#define QS_CLI_EXIT_FAILURE   1
#define QS_CLI_EXIT_USAGE     2
#define QS_CLI_EXIT_CANCELLED 130

int       qs_cli_analyze            (int    argc,
                                     char **argv);
int       qs_cli_quantize           (int    argc,
                                     char **argv);
int       qs_cli_inspect            (int    argc,
                                     char **argv);
int       qs_cli_compare_images     (int    argc,
                                     char **argv);
int       qs_cli_devices            (int    argc,
                                     char **argv);

/* Rewrites "--opt a b c" into "--opt=a --opt=b --opt=c" for the options in
 * @multi, which take one or more values as argparse's nargs="+" does. A
 * value ends at the next token that starts with "--", or with "-" and is
 * not a number. Returns a new argv; *argc is updated. */
char    **qs_cli_expand_multi_values (int                *argc,
                                      char              **argv,
                                      const char * const *multi);

/* Splits every element on commas and drops empty parts. */
char    **qs_cli_split_list         (char **values);

gboolean  qs_cli_use_color          (int fd);

typedef struct _QsCliProgress QsCliProgress;

/* Creates a progress bar on stderr; it draws nothing unless stderr is a
 * terminal and @quiet is FALSE. */
QsCliProgress *qs_cli_progress_new    (gboolean       quiet);
void           qs_cli_progress_update (QsCliProgress *self,
                                       guint          done,
                                       guint          total,
                                       double         fraction,
                                       double         eta_seconds,
                                       const char    *current);
/* Erases the bar so that the next output starts on a clean line. */
void           qs_cli_progress_clear  (QsCliProgress *self);
void           qs_cli_progress_free   (QsCliProgress *self);

/* Prints the summary: counts, NMSE statistics and the top-N table. */
void      qs_cli_print_summary      (QsAnalysisResult *result,
                                     const QsSummary  *summary,
                                     gboolean          color);

/* Prints the SDNQConfig snippet of every component. */
void      qs_cli_print_snippets     (const QsSummary  *summary,
                                     QsConfigStyle     style,
                                     gboolean          color);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsCliProgress, qs_cli_progress_free)

G_END_DECLS
