/* quantscope-cli.c: the command-line twin of the Quantscope app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "qs-cli.h"

static void
print_usage (FILE *stream)
{
  fprintf (stream,
           "Usage: quantscope-cli COMMAND [OPTION…]\n"
           "\n"
           "Measures how well each layer of a model takes SDNQ quantization formats.\n"
           "\n"
           "Commands:\n"
           "  analyze          measure the quantization error of every layer and format\n"
#ifdef QS_CLI_HAVE_QUANTIZE
           "  quantize         write an SDNQ-quantized copy of a model\n"
#endif
#ifdef QS_CLI_HAVE_INSPECT
           "  inspect          list a model's components, tensors and SDNQ layers\n"
#endif
#ifdef QS_CLI_HAVE_COMPARE_IMAGES
           "  compare-images   measure PSNR and SSIM between two images or folders\n"
#endif
#ifdef QS_CLI_HAVE_DEVICES
           "  devices          list the compute devices\n"
#endif
           "\n"
           "Options:\n"
           "  --help      show this help, or a command's help with COMMAND --help\n"
           "  --version   show the version\n");
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("quantscope-cli");

  if (argc < 2)
    {
      print_usage (stderr);
      return QS_CLI_EXIT_USAGE;
    }

  if (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-V") == 0)
    {
      printf (_("quantscope-cli %s\n"), PACKAGE_VERSION);
      return 0;
    }

  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return 0;
    }

  /* GOption prints the program name in each command's usage line. */
  if (argv[1][0] != '-')
    {
      g_autofree char *prgname = g_strdup_printf ("quantscope-cli %s", argv[1]);

      g_set_prgname (prgname);
    }

  if (strcmp (argv[1], "analyze") == 0)
    return qs_cli_analyze (argc - 1, argv + 1);
#ifdef QS_CLI_HAVE_QUANTIZE
  if (strcmp (argv[1], "quantize") == 0)
    return qs_cli_quantize (argc - 1, argv + 1);
#endif
#ifdef QS_CLI_HAVE_INSPECT
  if (strcmp (argv[1], "inspect") == 0)
    return qs_cli_inspect (argc - 1, argv + 1);
#endif
#ifdef QS_CLI_HAVE_COMPARE_IMAGES
  if (strcmp (argv[1], "compare-images") == 0)
    return qs_cli_compare_images (argc - 1, argv + 1);
#endif
#ifdef QS_CLI_HAVE_DEVICES
  if (strcmp (argv[1], "devices") == 0)
    return qs_cli_devices (argc - 1, argv + 1);
#endif

  fprintf (stderr, _("quantscope-cli: unknown command “%s”\n\n"), argv[1]);
  print_usage (stderr);

  return QS_CLI_EXIT_USAGE;
}
