/* qs-cli-util.c: argument and terminal helpers of quantscope-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qs-cli.h"

static gboolean
looks_like_number (const char *arg)
{
  char *end = NULL;

  if (arg[0] == '\0')
    return FALSE;
  g_ascii_strtod (arg, &end);

  return end != NULL && *end == '\0';
}

static gboolean
is_option (const char *arg)
{
  if (g_str_has_prefix (arg, "--"))
    return TRUE;

  return arg[0] == '-' && arg[1] != '\0' && !looks_like_number (arg);
}

char **
qs_cli_expand_multi_values (int                *argc,
                            char              **argv,
                            const char * const *multi)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);

  for (int i = 0; i < *argc; i++)
    {
      const char *arg = argv[i];
      gboolean matched = FALSE;

      if (strcmp (arg, "--") == 0)
        {
          for (; i < *argc; i++)
            g_ptr_array_add (out, g_strdup (argv[i]));
          break;
        }

      for (guint m = 0; multi[m] != NULL; m++)
        {
          if (strcmp (arg, multi[m]) != 0)
            continue;

          matched = TRUE;
          if (i + 1 >= *argc || is_option (argv[i + 1]))
            {
              /* Leave the bare option for GOption to report as missing a value. */
              g_ptr_array_add (out, g_strdup (arg));
              break;
            }

          while (i + 1 < *argc && !is_option (argv[i + 1]))
            {
              g_ptr_array_add (out, g_strdup_printf ("%s=%s", multi[m], argv[i + 1]));
              i++;
            }
          break;
        }

      if (!matched)
        g_ptr_array_add (out, g_strdup (arg));
    }

  *argc = out->len;
  g_ptr_array_add (out, NULL);

  return (char **) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

char **
qs_cli_split_list (char **values)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (values[i], ",", -1);

      for (guint p = 0; parts[p] != NULL; p++)
        {
          g_strstrip (parts[p]);
          if (parts[p][0] != '\0')
            g_ptr_array_add (out, g_strdup (parts[p]));
        }
    }
  g_ptr_array_add (out, NULL);

  return (char **) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

gboolean
qs_cli_use_color (int fd)
{
  const char *term = g_getenv ("TERM");

  if (g_getenv ("NO_COLOR") != NULL)
    return FALSE;

  return isatty (fd) && term != NULL && strcmp (term, "dumb") != 0;
}
