/* qs-cli-compare-images.c: `quantscope-cli compare-images`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <libsmartcols/libsmartcols.h>

#include "qs-cli.h"
#include "qs-image-metrics.h"
#ifdef QS_CLI_HAVE_REPORT
#include "qs-report-images.h"
#else
/* Without the report library no report is created, and the pointers of
 * this type stay %NULL. */
typedef struct _QsImageReport QsImageReport;
#endif

#define PROGRAM        "quantscope-cli compare-images"
#define DEFAULT_OUTPUT "image_comparison.csv"
#define DEFAULT_TOP_N  10
#define DEFAULT_REPORT_TOP_N 8

typedef struct
{
  char     *output;
  char     *diff_output;
  char     *report_output;
  gboolean  quiet;
  int       top_n;
  int       report_top_n;
  char    **positional;
#ifdef QS_CLI_HAVE_REPORT
  QsReportFormat report_format;
#endif
} CompareOptions;

typedef struct
{
  const QsImagePair *pair;
  QsImageMetrics     metrics;
} PairResult;

static const char description[] =
  "Compares renders of the same prompts and seeds made with the original and the\n"
  "quantized model. BASELINE and QUANTIZED are two image files, or two folders whose\n"
  "images are paired by identical file names (case-sensitive). In folders, only files\n"
  "ending in .png, .jpg, .jpeg or .webp count (WebP needs a gdk-pixbuf WebP loader);\n"
  "images found in one folder only are listed and not compared. Images are decoded to\n"
  "8-bit RGB; an alpha channel is dropped without compositing, as PIL's\n"
  "convert(\"RGB\") does.\n"
  "\n"
  "CSV columns:\n"
  "  file      the image file name\n"
  "  psnr      10·log10(255² / MSE) in dB over every RGB sample; inf when the images\n"
  "            are identical\n"
  "  ssim      mean structural similarity, computed as scikit-image's\n"
  "            structural_similarity() does with gaussian_weights=True, sigma=1.5,\n"
  "            use_sample_covariance=False and data_range=1; torchmetrics 1.4 gives\n"
  "            the same value. Samples are scaled to [0, 1] and weighted by an 11×11\n"
  "            Gaussian window with σ = 1.5; K1 = 0.01 and K2 = 0.03. The SSIM map is\n"
  "            averaged over the valid region, where the window lies inside the\n"
  "            image (5 pixels are cropped from every border, nothing is padded),\n"
  "            and then over the 3 channels. Images need at least 11×11 pixels.\n"
  "            torchmetrics releases with its September 2024 padding change\n"
  "            (pull request 2721) also average the reflect-padded border, so they\n"
  "            give slightly different values\n"
  "  mae       mean absolute difference on the 0..255 scale, averaged over R, G, B\n"
  "  max_diff  the largest absolute difference of any sample, 0..255\n"
  "\n"
  "LPIPS is not computed: it needs a pretrained network whose weights cannot be\n"
  "shipped with Quantscope, and no approximation of it is offered.\n"
  "\n"
  "--diff-output writes NAME_diff.png for each pair: the largest channel difference\n"
  "of every pixel on a black-purple-red-yellow scale whose brightest colour is that\n"
  "pair's max_diff, so a black heatmap means identical images.\n"
  "\n"
#ifdef QS_CLI_HAVE_REPORT
  "--report-output writes a report in the style of the analysis report, as one\n"
  "self-contained HTML file or an A4 PDF, chosen by the extension (.html or .pdf):\n"
  "a summary, every pair sorted by SSIM with cells coloured by severity, and the\n"
  "--report-top-n pairs with the lowest SSIM side by side with their difference\n"
  "maps. Images are shown at most 512 pixels on the long side.\n"
  "\n"
#endif
  "Exit status: 0 on success; 1 when an image cannot be read, the sizes of a pair\n"
  "differ or an output cannot be written (the CSV still lists the pairs that\n"
  "succeeded); 2 on invalid usage.\n";

static void
compare_options_clear (CompareOptions *options)
{
  g_free (options->output);
  g_free (options->diff_output);
  g_free (options->report_output);
  g_strfreev (options->positional);
}

static gboolean
make_parent_folder (const char  *path,
                    GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Failed to create the output folder %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

static char *
strip_extension (const char *name)
{
  const char *dot = strrchr (name, '.');

  if (dot == NULL || dot == name)
    return g_strdup (name);

  return g_strndup (name, dot - name);
}

/* Names each heatmap NAME_diff.png after the image's name without its
 * extension. When two pairs share a stem (a.png and a.jpg), both keep the
 * whole file name (a.png_diff.png), so no heatmap overwrites another. */
static char **
heatmap_names (GPtrArray *pairs)
{
  g_autoptr(GHashTable) stem_counts = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                             g_free, NULL);
  char **names = g_new0 (char *, pairs->len + 1);

  for (guint i = 0; i < pairs->len; i++)
    {
      const QsImagePair *pair = g_ptr_array_index (pairs, i);
      char *stem = strip_extension (pair->name);
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (stem_counts, stem));

      g_hash_table_replace (stem_counts, stem, GUINT_TO_POINTER (count + 1));
    }

  for (guint i = 0; i < pairs->len; i++)
    {
      const QsImagePair *pair = g_ptr_array_index (pairs, i);
      g_autofree char *stem = strip_extension (pair->name);

      if (GPOINTER_TO_UINT (g_hash_table_lookup (stem_counts, stem)) > 1)
        names[i] = g_strconcat (pair->name, "_diff.png", NULL);
      else
        names[i] = g_strconcat (stem, "_diff.png", NULL);
    }

  return names;
}

static void
print_unmatched (GPtrArray  *names,
                 const char *folder,
                 const char *other)
{
  if (names->len == 0)
    return;

  fprintf (stderr, ngettext ("%s: %u image in %s has no partner in %s and is not compared:\n",
                             "%s: %u images in %s have no partner in %s and are not compared:\n",
                             names->len),
           PROGRAM, names->len, folder, other);
  for (guint i = 0; i < names->len; i++)
    fprintf (stderr, "  %s\n", (const char *) g_ptr_array_index (names, i));
}

/* Compares one pair, writes its heatmap when @heatmap_path is set and
 * adds it to @report when that is not %NULL. */
static gboolean
compare_pair (const QsImagePair  *pair,
              const char         *heatmap_path,
              QsImageReport      *report,
              QsImageMetrics     *metrics,
              GError            **error)
{
  g_autoptr(QsImage) baseline = NULL;
  g_autoptr(QsImage) quantized = NULL;

  baseline = qs_image_load (pair->baseline_path, error);
  if (baseline == NULL)
    return FALSE;
  quantized = qs_image_load (pair->quantized_path, error);
  if (quantized == NULL)
    return FALSE;

  if (!qs_image_metrics_compute (metrics, baseline, quantized, error))
    return FALSE;

  if (heatmap_path != NULL
      && !qs_image_write_diff_heatmap (baseline, quantized, heatmap_path, error))
    return FALSE;

#ifdef QS_CLI_HAVE_REPORT
  if (report != NULL
      && !qs_image_report_add_pair (report, pair->name, metrics, baseline, quantized, error))
    return FALSE;
#endif

  return TRUE;
}

static int
compare_by_ssim (const void *a,
                 const void *b)
{
  const PairResult *x = a;
  const PairResult *y = b;

  if (x->metrics.ssim != y->metrics.ssim)
    return x->metrics.ssim < y->metrics.ssim ? -1 : 1;

  return strcmp (x->pair->name, y->pair->name);
}

static char *
format_psnr (double psnr)
{
  if (isinf (psnr))
    return g_strdup ("inf");

  return g_strdup_printf ("%.2f dB", psnr);
}

static void
print_worst_pairs (const PairResult *results,
                   guint             n,
                   guint             top_n,
                   gboolean          color)
{
  g_autofree PairResult *sorted = g_memdup2 (results, sizeof (PairResult) * n);
  struct libscols_table *table;

  qsort (sorted, n, sizeof (PairResult), compare_by_ssim);

  printf (_("\nWorst %u pair%s by SSIM:\n"), MIN (top_n, n), MIN (top_n, n) == 1 ? "" : "s");
  table = scols_new_table ();
  scols_table_enable_colors (table, color);
  scols_table_set_stream (table, stdout);
  scols_table_new_column (table, "FILE", 0.5, SCOLS_FL_TRUNC);
  scols_table_new_column (table, "SSIM", 0, SCOLS_FL_RIGHT);
  scols_table_new_column (table, "PSNR", 0, SCOLS_FL_RIGHT);
  scols_table_new_column (table, "MAE", 0, SCOLS_FL_RIGHT);
  scols_table_new_column (table, "MAX DIFF", 0, SCOLS_FL_RIGHT);

  for (guint i = 0; i < n && i < top_n; i++)
    {
      const PairResult *result = &sorted[i];
      struct libscols_line *line = scols_table_new_line (table, NULL);
      g_autofree char *ssim = g_strdup_printf ("%.5f", result->metrics.ssim);
      g_autofree char *psnr = format_psnr (result->metrics.psnr);
      g_autofree char *mae = g_strdup_printf ("%.3f", result->metrics.mae);
      g_autofree char *max_diff = g_strdup_printf ("%u", result->metrics.max_diff);

      scols_line_set_data (line, 0, result->pair->name);
      scols_line_set_data (line, 1, ssim);
      scols_line_set_data (line, 2, psnr);
      scols_line_set_data (line, 3, mae);
      scols_line_set_data (line, 4, max_diff);
    }

  scols_print_table (table);
  scols_unref_table (table);
}

static void
print_summary (const PairResult *results,
               guint             n,
               guint             top_n,
               gboolean          color)
{
  const PairResult *min_psnr = NULL;
  const PairResult *min_ssim = NULL;
  double sum_psnr = 0;
  double sum_ssim = 0;
  guint n_finite = 0;

  for (guint i = 0; i < n; i++)
    {
      const PairResult *result = &results[i];

      if (!isinf (result->metrics.psnr))
        {
          sum_psnr += result->metrics.psnr;
          n_finite++;
        }
      sum_ssim += result->metrics.ssim;
      if (min_psnr == NULL || result->metrics.psnr < min_psnr->metrics.psnr)
        min_psnr = result;
      if (min_ssim == NULL || result->metrics.ssim < min_ssim->metrics.ssim)
        min_ssim = result;
    }

  printf (_("Compared %u image pair%s\n"), n, n == 1 ? "" : "s");

  /* Identical pairs have an infinite PSNR, which would make the mean
   * infinite. The mean is taken over the other pairs, and the line prints
   * how many pairs it leaves out. */
  if (n_finite == 0)
    {
      printf (_("PSNR  inf for every pair: the images are identical\n"));
    }
  else
    {
      g_autofree char *min_text = format_psnr (min_psnr->metrics.psnr);

      printf (_("PSNR  mean %.2f dB, min %s (%s)"), sum_psnr / n_finite, min_text,
              min_psnr->pair->name);
      if (n_finite < n)
        printf (_("; %u identical pair%s (inf) left out of the mean"), n - n_finite,
                n - n_finite == 1 ? "" : "s");
      printf ("\n");
    }
  printf (_("SSIM  mean %.5f, min %.5f (%s)\n"), sum_ssim / n, min_ssim->metrics.ssim,
          min_ssim->pair->name);

  if (top_n > 0)
    print_worst_pairs (results, n, top_n, color);
}

#ifdef QS_CLI_HAVE_REPORT
/* Picks the report format from the extension of @path, in any letter
 * case. */
static gboolean
report_format_from_path (const char     *path,
                         QsReportFormat *format)
{
  g_autofree char *basename = g_path_get_basename (path);
  const char *dot = strrchr (basename, '.');

  if (dot == NULL)
    return FALSE;

  if (g_ascii_strcasecmp (dot, ".html") == 0)
    *format = QS_REPORT_FORMAT_HTML;
  else if (g_ascii_strcasecmp (dot, ".pdf") == 0)
    *format = QS_REPORT_FORMAT_PDF;
  else
    return FALSE;

  return TRUE;
}
#endif

static int
parse_arguments (CompareOptions  *options,
                 int              argc,
                 char           **argv)
{
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &options->output,
      N_("CSV file to write (default: image_comparison.csv)"), N_("FILE") },
    { "diff-output", 0, 0, G_OPTION_ARG_FILENAME, &options->diff_output,
      N_("Folder to write one difference heatmap PNG per pair into (created when missing)"),
      N_("DIR") },
    { "top-n", 0, 0, G_OPTION_ARG_INT, &options->top_n,
      N_("Number of pairs with the lowest SSIM to list (default: 10; 0 lists none)"), "N" },
#ifdef QS_CLI_HAVE_REPORT
    { "report-output", 0, 0, G_OPTION_ARG_FILENAME, &options->report_output,
      N_("Report file to write; the extension .html or .pdf picks the format"), N_("FILE") },
    { "report-top-n", 0, 0, G_OPTION_ARG_INT, &options->report_top_n,
      N_("Number of pairs with the lowest SSIM that the report shows side by side with their "
         "difference maps (default: 8; 0 shows none)"), "N" },
#endif
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &options->quiet,
      N_("Print no progress and no summary; errors and unmatched images are still printed"),
      NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &options->positional, NULL,
      N_("BASELINE QUANTIZED") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;

  context = g_option_context_new (N_("- compare renders of the original and the quantized "
                                     "model"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (context, description);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, _("%s: %s\nRun “%s --help” for the options.\n"), PROGRAM,
               error->message, PROGRAM);
      return QS_CLI_EXIT_USAGE;
    }

  if (options->positional == NULL || g_strv_length (options->positional) != 2)
    {
      fprintf (stderr, _("%s: expected two arguments, BASELINE and QUANTIZED (two image "
                         "files or two folders), got %u\nRun “%s --help” for the options.\n"),
               PROGRAM, options->positional != NULL ? g_strv_length (options->positional) : 0,
               PROGRAM);
      return QS_CLI_EXIT_USAGE;
    }

  if (options->top_n < 0)
    {
      fprintf (stderr, _("%s: invalid --top-n %d: expected 0 or more\n"), PROGRAM, options->top_n);
      return QS_CLI_EXIT_USAGE;
    }

#ifdef QS_CLI_HAVE_REPORT
  if (options->report_top_n < 0)
    {
      fprintf (stderr, _("%s: invalid --report-top-n %d: expected 0 or more\n"), PROGRAM,
               options->report_top_n);
      return QS_CLI_EXIT_USAGE;
    }

  if (options->report_output != NULL
      && !report_format_from_path (options->report_output, &options->report_format))
    {
      fprintf (stderr, _("%s: invalid --report-output %s: the extension must be .html or "
                 ".pdf, which picks the format\n"), PROGRAM, options->report_output);
      return QS_CLI_EXIT_USAGE;
    }
#endif

  return 0;
}

static int
run_comparison (const CompareOptions *options,
                QsImagePairing       *pairing)
{
  g_autoptr(QsCliProgress) progress = qs_cli_progress_new (options->quiet);
  g_autoptr(GArray) results = g_array_new (FALSE, FALSE, sizeof (PairResult));
  g_autoptr(GArray) metrics = g_array_new (FALSE, FALSE, sizeof (QsImageMetrics));
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) heatmaps = NULL;
#ifdef QS_CLI_HAVE_REPORT
  g_autoptr(QsImageReport) report = NULL;
#else
  QsImageReport *report = NULL;
#endif
  const char *output = options->output != NULL ? options->output : DEFAULT_OUTPUT;
  gint64 start = g_get_monotonic_time ();
  guint n_pairs = pairing->pairs->len;
  guint n_failed = 0;

  if (options->diff_output != NULL)
    {
      if (g_mkdir_with_parents (options->diff_output, 0755) != 0)
        {
          int saved_errno = errno;

          fprintf (stderr, _("%s: failed to create the heatmap folder %s: %s\n"), PROGRAM,
                   options->diff_output, g_strerror (saved_errno));
          return QS_CLI_EXIT_FAILURE;
        }
      heatmaps = heatmap_names (pairing->pairs);
    }

#ifdef QS_CLI_HAVE_REPORT
  if (options->report_output != NULL)
    {
      report = qs_image_report_new (options->positional[0], options->positional[1],
                                    (guint) options->report_top_n);
      for (guint i = 0; i < pairing->baseline_only->len; i++)
        qs_image_report_add_unmatched (report, QS_IMAGE_SIDE_BASELINE,
                                       g_ptr_array_index (pairing->baseline_only, i));
      for (guint i = 0; i < pairing->quantized_only->len; i++)
        qs_image_report_add_unmatched (report, QS_IMAGE_SIDE_QUANTIZED,
                                       g_ptr_array_index (pairing->quantized_only, i));
    }
#endif

  for (guint i = 0; i < n_pairs; i++)
    {
      const QsImagePair *pair = g_ptr_array_index (pairing->pairs, i);
      g_autofree char *heatmap_path = NULL;
      g_autoptr(GError) pair_error = NULL;
      PairResult result = { .pair = pair };
      double elapsed = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

      qs_cli_progress_update (progress, i, n_pairs, (double) i / n_pairs,
                              i > 0 ? elapsed / i * (n_pairs - i) : -1, pair->name);

      if (heatmaps != NULL)
        heatmap_path = g_build_filename (options->diff_output, heatmaps[i], NULL);

      if (!compare_pair (pair, heatmap_path, report, &result.metrics, &pair_error))
        {
          qs_cli_progress_clear (progress);
          fprintf (stderr, PROGRAM ": %s\n", pair_error->message);
#ifdef QS_CLI_HAVE_REPORT
          if (report != NULL)
            qs_image_report_add_failed (report, pair->name, pair_error->message);
#endif
          n_failed++;
          continue;
        }

      g_array_append_val (results, result);
      g_array_append_val (metrics, result.metrics);
      g_ptr_array_add (names, pair->name);
    }
  qs_cli_progress_clear (progress);

  if (results->len == 0)
    {
      fprintf (stderr, _("%s: no pair could be compared; %s was not written\n"), PROGRAM, output);
      return QS_CLI_EXIT_FAILURE;
    }

  if (!make_parent_folder (output, &error)
      || !qs_image_metrics_write_csv (output, (const char * const *) names->pdata,
                                      (const QsImageMetrics *) metrics->data, metrics->len,
                                      &error))
    {
      fprintf (stderr, PROGRAM ": %s\n", error->message);
      return QS_CLI_EXIT_FAILURE;
    }

  if (!options->quiet)
    fprintf (stderr, _("Wrote %s\n"), output);

#ifdef QS_CLI_HAVE_REPORT
  /* The report lists the failed pairs too, so it is written before the
   * exit status reports them. */
  if (report != NULL)
    {
      if (!make_parent_folder (options->report_output, &error)
          || !qs_image_report_write (report, options->report_format, options->report_output,
                                     &error))
        {
          fprintf (stderr, PROGRAM ": %s\n", error->message);
          return QS_CLI_EXIT_FAILURE;
        }
      if (!options->quiet)
        fprintf (stderr, _("Wrote the report to %s\n"), options->report_output);
    }
#endif

  if (!options->quiet)
    {
      print_summary ((const PairResult *) results->data, results->len, options->top_n,
                     qs_cli_use_color (STDOUT_FILENO));
    }

  if (n_failed > 0)
    {
      fprintf (stderr, _("%s: %u of %u pairs failed; %s lists the %u that succeeded\n"), PROGRAM,
               n_failed, n_pairs, output, results->len);
      return QS_CLI_EXIT_FAILURE;
    }

  return 0;
}

int
qs_cli_compare_images (int    argc,
                       char **argv)
{
  CompareOptions options = { .top_n = DEFAULT_TOP_N, .report_top_n = DEFAULT_REPORT_TOP_N };
  g_autoptr(QsImagePairing) pairing = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  status = parse_arguments (&options, argc, argv);
  if (status != 0)
    {
      compare_options_clear (&options);
      return status;
    }

  pairing = qs_image_pairing_new (options.positional[0], options.positional[1], &error);
  if (pairing == NULL)
    {
      fprintf (stderr, PROGRAM ": %s\n", error->message);
      /* Giving a file and a folder is a usage error. A missing path or an
       * unreadable folder is an input failure, as in analyze. */
      status = g_error_matches (error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_INPUT)
               ? QS_CLI_EXIT_USAGE : QS_CLI_EXIT_FAILURE;
      compare_options_clear (&options);
      return status;
    }

  print_unmatched (pairing->baseline_only, options.positional[0], options.positional[1]);
  print_unmatched (pairing->quantized_only, options.positional[1], options.positional[0]);

  status = run_comparison (&options, pairing);
  compare_options_clear (&options);

  return status;
}
