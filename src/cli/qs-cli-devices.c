/* qs-cli-devices.c: `quantscope-cli devices`, the list of compute devices
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>

#include "qs-cli.h"

#ifdef QS_CLI_HAVE_GPU
#include "qs-gpu-context.h"
#endif

#ifdef QS_CLI_HAVE_GPU

/* Prints @text padded with spaces to @width characters. */
static void
print_cell (const char *text,
            glong       width)
{
  glong length = g_utf8_strlen (text, -1);

  fputs (text, stdout);
  for (glong i = length; i < width; i++)
    fputc (' ', stdout);
}

static void
print_devices (GPtrArray *devices)
{
  const char *headers[] = { "INDEX", "NAME", "TYPE", "DRIVER", "MEMORY" };
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  glong widths[G_N_ELEMENTS (headers)];

  for (guint c = 0; c < G_N_ELEMENTS (headers); c++)
    widths[c] = g_utf8_strlen (headers[c], -1);

  for (guint i = 0; i < devices->len; i++)
    {
      const QsGpuDeviceInfo *info = g_ptr_array_index (devices, i);
      char **cells = g_new0 (char *, G_N_ELEMENTS (headers) + 1);

      cells[0] = g_strdup_printf ("%u", info->index);
      cells[1] = info->usable ? g_strdup (info->name)
                              : g_strdup_printf ("%s (unusable: %s)", info->name,
                                                 info->unusable_reason);
      cells[2] = g_strdup (qs_gpu_device_type_to_string (info->type));
      cells[3] = g_strdup (info->driver);
      cells[4] = g_format_size_full (info->memory, G_FORMAT_SIZE_IEC_UNITS);

      for (guint c = 0; c < G_N_ELEMENTS (headers); c++)
        widths[c] = MAX (widths[c], g_utf8_strlen (cells[c], -1));
      g_ptr_array_add (rows, cells);
    }

  for (guint c = 0; c < G_N_ELEMENTS (headers); c++)
    {
      print_cell (headers[c], c + 1 < G_N_ELEMENTS (headers) ? widths[c] + 2 : 0);
    }
  fputc ('\n', stdout);

  for (guint i = 0; i < rows->len; i++)
    {
      char **cells = g_ptr_array_index (rows, i);

      for (guint c = 0; c < G_N_ELEMENTS (headers); c++)
        print_cell (cells[c], c + 1 < G_N_ELEMENTS (headers) ? widths[c] + 2 : 0);
      fputc ('\n', stdout);
    }
}

/* Says what --device auto picks, as qs_gpu_backend_new_for_device() does
 * it: a GPU, never a CPU implementation of Vulkan. */
static void
print_auto_choice (GPtrArray *devices)
{
  int gpu = qs_gpu_pick_device (devices, FALSE);

  if (gpu >= 0)
    {
      const QsGpuDeviceInfo *info = g_ptr_array_index (devices, gpu);

      printf (_("\n--device auto computes on Vulkan device %u (%s).\n"), info->index, info->name);
    }
  else if (devices->len > 0)
    {
      printf (_("\n--device auto computes on the CPU: no GPU was found, and a CPU implementation "
                "of Vulkan is slower than the CPU backend (--device vulkan uses it anyway).\n"));
    }
}

#endif

int
qs_cli_devices (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
#ifdef QS_CLI_HAVE_GPU
  g_autoptr(GPtrArray) devices = NULL;
#endif

  context = g_option_context_new (N_("- list the compute devices"));
  /* GOption translates the parameter string and the summary through this domain. */
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                N_("Lists the Vulkan devices that --device vulkan:N selects, "
                                   "with their type, driver and memory."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "quantscope-cli devices: %s\n", error->message);
      return QS_CLI_EXIT_USAGE;
    }

  if (argc > 1)
    {
      fprintf (stderr, _("quantscope-cli devices: unexpected argument “%s”\n"), argv[1]);
      return QS_CLI_EXIT_USAGE;
    }

#ifdef QS_CLI_HAVE_GPU
  devices = qs_gpu_list_devices (&error);
  if (devices == NULL)
    {
      fprintf (stderr, "quantscope-cli devices: %s\n", error->message);
      return QS_CLI_EXIT_FAILURE;
    }

  if (devices->len == 0)
    {
      printf (_("No Vulkan device found; Quantscope computes on the CPU (--device cpu).\n"));
      return 0;
    }

  print_devices (devices);
  print_auto_choice (devices);
#else
  printf (_("This build has no Vulkan backend; Quantscope computes on the CPU (--device cpu).\n"));
#endif

  return 0;
}
