/* qs-cli-progress.c: the progress bar of quantscope-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "qs-cli.h"

#define BAR_WIDTH 24

struct _QsCliProgress
{
  gboolean enabled;
  gboolean drawn;
};

QsCliProgress *
qs_cli_progress_new (gboolean quiet)
{
  QsCliProgress *self = g_new0 (QsCliProgress, 1);

  self->enabled = !quiet && isatty (STDERR_FILENO);

  return self;
}

static guint
terminal_columns (void)
{
  struct winsize size;

  if (ioctl (STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 20)
    return size.ws_col;

  return 80;
}

static char *
format_eta (double seconds)
{
  guint64 total;

  if (seconds < 0)
    return g_strdup ("--:--");

  total = (guint64) (seconds + 0.5);
  if (total >= 3600)
    return g_strdup_printf ("%" G_GUINT64_FORMAT ":%02u:%02u", total / 3600,
                            (guint) (total / 60 % 60), (guint) (total % 60));

  return g_strdup_printf ("%u:%02u", (guint) (total / 60), (guint) (total % 60));
}

void
qs_cli_progress_update (QsCliProgress *self,
                        guint          done,
                        guint          total,
                        double         fraction,
                        double         eta_seconds,
                        const char    *current)
{
  g_autofree char *eta = NULL;
  g_autoptr(GString) line = g_string_new ("\r");
  guint filled;
  guint columns;
  glong room;

  if (!self->enabled)
    return;

  eta = format_eta (eta_seconds);
  filled = (guint) (CLAMP (fraction, 0, 1) * BAR_WIDTH + 0.5);

  g_string_append_c (line, '[');
  for (guint i = 0; i < BAR_WIDTH; i++)
    g_string_append (line, i < filled ? "#" : "-");
  g_string_append_printf (line, "] %u/%u layers %3.0f%% ETA %s ", done, total,
                          fraction * 100, eta);

  /* The current layer fills what is left of the line, cut from the left so
   * that the end of a long name, which distinguishes layers, stays visible. */
  columns = terminal_columns ();
  room = (glong) columns - 1 - (glong) g_utf8_strlen (line->str + 1, -1);
  if (current != NULL && room > 4)
    {
      glong length = g_utf8_strlen (current, -1);

      if (length <= room)
        g_string_append (line, current);
      else
        {
          g_string_append (line, "…");
          g_string_append (line, g_utf8_offset_to_pointer (current, length - room + 1));
        }
    }

  g_string_append (line, "\033[K");
  fputs (line->str, stderr);
  fflush (stderr);
  self->drawn = TRUE;
}

void
qs_cli_progress_clear (QsCliProgress *self)
{
  if (!self->enabled || !self->drawn)
    return;

  fputs ("\r\033[K", stderr);
  fflush (stderr);
  self->drawn = FALSE;
}

void
qs_cli_progress_free (QsCliProgress *self)
{
  if (self == NULL)
    return;

  qs_cli_progress_clear (self);
  g_free (self);
}
