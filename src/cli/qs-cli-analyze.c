/* qs-cli-analyze.c: `quantscope-cli analyze`
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

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "qs-analysis-io.h"
#ifdef QS_CLI_HAVE_GPU
#include "qs-gpu-backend.h"
#endif
#ifdef QS_CLI_HAVE_REPORT
#include "qs-report.h"
#endif
#include "qs-cli.h"
#include "qs-error.h"

#define DEFAULT_OUTPUT "quant_sensitivity_report.csv"

typedef struct
{
  char     *model_id;
  char    **components;
  char     *cache_dir;
  char     *device;
  char    **dtypes;
  char    **group_sizes;
  char    **svd_ranks;
  int       svd_steps;
  gboolean  no_svd;
  gboolean  no_raw;
  double    skip_threshold;
  double    promote_threshold;
  char     *output;
  int       top_n;
  char     *seed;
  int       threads;
  gboolean  quiet;
  char     *load_dtype;
  char     *model_dtype;
  gint64    min_numel;
  int       min_channels;
  char    **positional;
  gboolean  auto_config;
  char     *pipeline_config_output;
  char     *config_style;
  char     *from;
  char     *report_format;
  char     *report_output;
  gint64    header_limit;
} AnalyzeOptions;

typedef struct
{
  GMainLoop        *loop;
  GCancellable     *cancellable;
  QsAnalysisJob    *job;
  QsCliProgress    *progress;
  QsAnalysisResult *result;
  GError           *error;
  int               signal_number;
} AnalyzeRun;

static void
analyze_options_clear (AnalyzeOptions *options)
{
  g_free (options->model_id);
  g_strfreev (options->components);
  g_free (options->cache_dir);
  g_free (options->device);
  g_strfreev (options->dtypes);
  g_strfreev (options->group_sizes);
  g_strfreev (options->svd_ranks);
  g_free (options->output);
  g_free (options->seed);
  g_free (options->load_dtype);
  g_free (options->model_dtype);
  g_strfreev (options->positional);
  g_free (options->pipeline_config_output);
  g_free (options->config_style);
  g_free (options->from);
  g_free (options->report_format);
  g_free (options->report_output);
}

static gboolean
usage_error (GError     **error,
             const char  *format,
             ...) G_GNUC_PRINTF (2, 3);

static gboolean
usage_error (GError     **error,
             const char  *format,
             ...)
{
  va_list args;

  va_start (args, format);
  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "");
  g_free ((*error)->message);
  (*error)->message = g_strdup_vprintf (format, args);
  va_end (args);

  return FALSE;
}

static gboolean
parse_int64 (const char *str,
             gint64     *value)
{
  char *end = NULL;

  errno = 0;
  *value = g_ascii_strtoll (str, &end, 10);

  return errno == 0 && end != str && *end == '\0';
}

/* Turns the parsed options into settings; every invalid value is a usage
 * error that names the option. */
static QsAnalysisSettings *
build_settings (AnalyzeOptions  *options,
                GError         **error)
{
  g_autoptr(QsAnalysisSettings) settings = qs_analysis_settings_new ();
  g_auto(GStrv) dtypes = NULL;
  g_auto(GStrv) sizes = NULL;
  g_auto(GStrv) ranks = NULL;

  if (options->dtypes != NULL)
    {
      dtypes = qs_cli_split_list (options->dtypes);
      qs_analysis_settings_set_dtypes (settings, (const char * const *) dtypes);
    }

  if (options->group_sizes != NULL)
    {
      g_autofree gint64 *values = NULL;
      guint n;

      sizes = qs_cli_split_list (options->group_sizes);
      n = g_strv_length (sizes);
      values = g_new0 (gint64, n + 1);
      for (guint i = 0; i < n; i++)
        {
          if (!parse_int64 (sizes[i], &values[i]))
            return usage_error (error, _("Invalid --group-size “%s”: expected an integer "
                                  "(0 automatic, -1 row-wise, or a size)"), sizes[i]), NULL;
        }
      qs_analysis_settings_set_group_sizes (settings, values, n);
    }

  if (options->svd_ranks != NULL)
    {
      g_autofree guint *values = NULL;
      guint n;

      ranks = qs_cli_split_list (options->svd_ranks);
      n = g_strv_length (ranks);
      values = g_new0 (guint, n + 1);
      for (guint i = 0; i < n; i++)
        {
          gint64 rank;

          if (!parse_int64 (ranks[i], &rank) || rank < 1 || rank > G_MAXINT)
            return usage_error (error, _("Invalid --svd-rank “%s”: expected a positive integer"),
                                ranks[i]), NULL;
          values[i] = (guint) rank;
        }
      qs_analysis_settings_set_svd_ranks (settings, values, n);
    }

  if (options->svd_steps < 0)
    return usage_error (error, _("Invalid --svd-steps %d: expected 0 or more"),
                        options->svd_steps), NULL;
  settings->svd_steps = options->svd_steps;
  settings->use_raw = !options->no_raw;
  settings->use_svd = !options->no_svd;
  settings->skip_threshold = options->skip_threshold;
  settings->promote_threshold = options->promote_threshold;

  if (options->top_n < 0)
    return usage_error (error, _("Invalid --top-n %d: expected 0 or more"), options->top_n), NULL;
  settings->top_n = options->top_n;

  if (options->seed != NULL)
    {
      char *end = NULL;

      errno = 0;
      settings->seed = g_ascii_strtoull (options->seed, &end, 10);
      if (errno != 0 || end == options->seed || *end != '\0' || options->seed[0] == '-')
        return usage_error (error, _("Invalid --seed “%s”: expected a non-negative integer"),
                            options->seed), NULL;
    }

  if (options->threads < 0)
    return usage_error (error, _("Invalid --threads %d: expected 0 (every core) or more"),
                        options->threads), NULL;
  settings->n_threads = options->threads;

  if (options->load_dtype != NULL
      && !qs_load_dtype_from_string (options->load_dtype, &settings->load_dtype))
    return usage_error (error, _("Invalid --load-dtype “%s”: expected stored, bf16 or fp16"),
                        options->load_dtype), NULL;

  if (options->model_dtype != NULL
      && !qs_model_dtype_from_string (options->model_dtype, &settings->model_dtype))
    return usage_error (error, _("Invalid --model-dtype “%s”: expected bf16, fp16 or fp32"),
                        options->model_dtype), NULL;

  if (options->min_numel < 0 || options->min_channels < 0)
    return usage_error (error,
                        _("Invalid --min-numel or --min-channels: expected 0 or more")), NULL;
  settings->min_numel = (guint64) options->min_numel;
  settings->min_channels = options->min_channels;

  if (options->components != NULL)
    {
      g_strfreev (settings->components);
      settings->components = qs_cli_split_list (options->components);
    }

  settings->cache_dir = g_strdup (options->cache_dir);

  if (options->device != NULL)
    {
      g_autofree char *device = g_ascii_strdown (options->device, -1);

#ifndef QS_CLI_HAVE_GPU
      if (g_strcmp0 (device, "cpu") != 0 && g_strcmp0 (device, "auto") != 0)
        return usage_error (error, _("Unknown --device “%s”: this build has no Vulkan backend; "
                              "use --device cpu"), options->device), NULL;
#endif
      g_free (settings->device);
      settings->device = g_steal_pointer (&device);
    }

  if (!qs_analysis_settings_validate (settings, error))
    return NULL;

  return g_steal_pointer (&settings);
}

/* The analysis JSON goes beside the CSV as <stem>.json. */
static char *
json_path_for (const char *csv_path)
{
  g_autofree char *dir = g_path_get_dirname (csv_path);
  g_autofree char *base = g_path_get_basename (csv_path);
  g_autofree char *name = NULL;
  char *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  name = g_strconcat (base, ".json", NULL);

  if (strcmp (dir, ".") == 0 && !g_str_has_prefix (csv_path, "./"))
    return g_steal_pointer (&name);

  return g_build_filename (dir, name, NULL);
}

static void
progress_changed_cb (QsAnalysisJob *job,
                     GParamSpec    *pspec,
                     AnalyzeRun    *run)
{
  g_autofree char *current = qs_analysis_job_dup_current_layer (job);

  qs_cli_progress_update (run->progress,
                          qs_analysis_job_get_layers_done (job),
                          qs_analysis_job_get_layers_total (job),
                          qs_analysis_job_get_fraction (job),
                          qs_analysis_job_get_eta_seconds (job),
                          current);
}

static void
run_done_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  AnalyzeRun *run = user_data;

  run->result = qs_analysis_job_run_finish (QS_ANALYSIS_JOB (object), result, &run->error);
  g_main_loop_quit (run->loop);
}

static gboolean
interrupt_cb (gpointer user_data)
{
  AnalyzeRun *run = user_data;

  if (run->signal_number == 0)
    run->signal_number = SIGINT;
  g_cancellable_cancel (run->cancellable);

  return G_SOURCE_CONTINUE;
}

static gboolean
terminate_cb (gpointer user_data)
{
  AnalyzeRun *run = user_data;

  if (run->signal_number == 0)
    run->signal_number = SIGTERM;
  g_cancellable_cancel (run->cancellable);

  return G_SOURCE_CONTINUE;
}

static gboolean
write_outputs (QsAnalysisResult *result,
               const char       *csv_path,
               gboolean          with_json,
               gboolean          quiet,
               GError          **error)
{
  g_autofree char *json_path = json_path_for (csv_path);
  g_autofree char *dir = g_path_get_dirname (csv_path);

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Failed to create the output folder %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }

  if (!qs_analysis_result_write_csv (result, csv_path, error))
    return FALSE;
  if (with_json && !qs_analysis_result_save (result, json_path, error))
    return FALSE;

  if (!quiet && with_json)
    fprintf (stderr, _("Wrote %s and %s\n"), csv_path, json_path);
  else if (!quiet)
    fprintf (stderr, _("Wrote %s\n"), csv_path);

  return TRUE;
}

/* "<dir>/<stem>.csv" → "<dir>/<stem><suffix>" */
static char *
path_with_suffix (const char *path,
                  const char *suffix)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *name = NULL;
  char *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  name = g_strconcat (base, suffix, NULL);

  if (strcmp (dir, ".") == 0 && !g_str_has_prefix (path, "./"))
    return g_steal_pointer (&name);

  return g_build_filename (dir, name, NULL);
}

static gboolean
write_pipeline_config (const QsSummary  *summary,
                       QsConfigStyle     style,
                       const char       *path,
                       GError          **error)
{
  g_autoptr(JsonNode) root = qs_summary_build_pipeline_config (summary, style);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Failed to create the output folder %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  text = json_generator_to_data (generator, NULL);

  if (!g_file_set_contents (path, text, -1, error))
    {
      g_prefix_error (error, "Failed to write the pipeline config: ");
      return FALSE;
    }

  return TRUE;
}

static const char *
describe_style (QsConfigStyle style)
{
  if (style == QS_CONFIG_STYLE_UPSTREAM)
    return "upstream style: per-layer group size and SVD in modules_quant_config, "
           "which released SDNQ (0.2.x) reads";

  return "script style: per-layer group size and SVD in modules_group_size_dict and "
         "modules_svd_dict, which only the CalamitousFelicitousness fork of SDNQ reads; "
         "released SDNQ ignores them, use --config-style upstream for it";
}

/* Derives the summary, auto-config and configs from @result and prints or
 * writes them. Returns FALSE with @error when a file cannot be written. */
static gboolean
derive_outputs (QsAnalysisResult         *result,
                const AnalyzeOptions     *options,
                const QsSummaryOptions   *summary_options,
                QsConfigStyle             style,
                const char               *stem_path,
                GError                  **error)
{
  g_autoptr(QsSummary) summary = qs_summary_new_full (result, summary_options);
  gboolean color = qs_cli_use_color (STDOUT_FILENO);
  g_autofree char *config_path = NULL;

  if (summary_options->auto_config)
    {
      config_path = options->pipeline_config_output != NULL
                    ? g_strdup (options->pipeline_config_output)
                    : path_with_suffix (stem_path, "_pipeline_config.json");
      if (!write_pipeline_config (summary, style, config_path, error))
        return FALSE;
    }

  if (!options->quiet)
    {
      qs_cli_print_summary (result, summary, color);
      qs_cli_print_snippets (summary, style, color);
      printf (_("\nConfigs in %s.\n"), describe_style (style));
      if (config_path != NULL)
        printf (_("Wrote the pipeline config to %s\n"), config_path);
      fflush (stdout);
    }

#ifdef QS_CLI_HAVE_REPORT
  {
    QsReportOptions report = { QS_REPORT_FORMAT_HTML_PNG, style };
    g_autofree char *report_path = NULL;

    if (options->report_format != NULL
        && !qs_report_format_from_string (options->report_format, &report.format))
      {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     _("Invalid --report-format “%s”: expected html, html-png or pdf"),
                     options->report_format);
        return FALSE;
      }

    report_path = options->report_output != NULL
                  ? g_strdup (options->report_output)
                  : qs_report_default_path (stem_path, report.format);
    if (!qs_report_write_full (result, summary, &report, report_path, error))
      return FALSE;

    if (!options->quiet)
      {
        printf (_("Wrote the report to %s\n"), report_path);
        fflush (stdout);
      }
  }
#endif

  return TRUE;
}

int
qs_cli_analyze (int    argc,
                char **argv)
{
  static const char * const multi[] = { "--dtypes", "--group-size", "--svd-rank",
                                        "--components", NULL };
  AnalyzeOptions options = {
    .svd_steps = QS_DEFAULT_SVD_STEPS,
    .skip_threshold = NAN,
    .promote_threshold = NAN,
    .top_n = -1,
  };
  const GOptionEntry entries[] = {
    { "model-id", 0, 0, G_OPTION_ARG_STRING, &options.model_id,
      N_("Model to analyse: a .safetensors file, a model or pipeline folder, or a Hugging Face "
         "id org/name found in the local hub cache (or give it as the first argument)"),
         N_("MODEL") },
    { "components", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options.components,
      N_("Pipeline components to analyse, as subfolder[:ClassName], one or more "
         "(default: every component in model_index.json that has weights)"), N_("NAME…") },
    { "cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &options.cache_dir,
      N_("Hugging Face hub cache searched first for an id (then $HF_HUB_CACHE, $HF_HOME/hub, "
         "~/.cache/huggingface/hub)"), N_("DIR") },
    { "device", 0, 0, G_OPTION_ARG_STRING, &options.device,
#ifdef QS_CLI_HAVE_GPU
      N_("Compute device: auto (a GPU when one exists, else the CPU), cpu, vulkan, vulkan:N "
         "(N from “quantscope-cli devices”), cuda or cuda:N (the N-th GPU, through Vulkan) "
         "(default: auto)"), N_("DEVICE") },
#else
      N_("Compute device: cpu (default: cpu)"), N_("DEVICE") },
#endif
    { "dtypes", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options.dtypes,
      N_("SDNQ weight dtypes to test, one or more; the first is the primary dtype "
         "(default: uint4 uint6 uint8 int8)"), N_("DTYPE…") },
    { "group-size", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options.group_sizes,
      N_("Group sizes in elements, one or more: 0 automatic, -1 row-wise (default: 0); with "
         "several, the summary compares group sizes of the primary dtype"), "N…" },
    { "svd-rank", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options.svd_ranks,
      N_("Ranks of the SVD low-rank branch, one or more (default: 32)"), N_("RANK…") },
    { "svd-steps", 0, 0, G_OPTION_ARG_INT, &options.svd_steps,
      N_("Power iterations of the randomized SVD (default: 8)"), "N" },
    { "no-svd", 0, 0, G_OPTION_ARG_NONE, &options.no_svd,
      N_("Do not test formats with an SVD branch"), NULL },
    { "no-raw", 0, 0, G_OPTION_ARG_NONE, &options.no_raw,
      N_("Do not test formats without an SVD branch"), NULL },
    { "skip-threshold", 0, 0, G_OPTION_ARG_DOUBLE, &options.skip_threshold,
      N_("NMSE above which a dtype is unusable for a layer (default: 0.1)"), N_("NMSE") },
    { "promote-threshold", 0, 0, G_OPTION_ARG_DOUBLE, &options.promote_threshold,
      N_("NMSE above which the primary dtype is promoted to a wider one (default: 0.01)"),
      N_("NMSE") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &options.output,
      N_("CSV file to write; the analysis JSON is written beside it as <stem>.json "
         "(default: quant_sensitivity_report.csv)"), N_("FILE") },
    { "top-n", 0, 0, G_OPTION_ARG_INT, &options.top_n,
      N_("Number of most sensitive layers to list (default: 30)"), "N" },
    { "auto-config", 0, 0, G_OPTION_ARG_NONE, &options.auto_config,
      N_("Pick the cheapest dtype × group size × SVD combination per layer whose NMSE is at or "
         "under the promote threshold, and write the pipeline config"), NULL },
    { "pipeline-config-output", 0, 0, G_OPTION_ARG_FILENAME, &options.pipeline_config_output,
      N_("Pipeline-config JSON written with --auto-config "
         "(default: <output-stem>_pipeline_config.json)"), N_("FILE") },
    { "config-style", 0, 0, G_OPTION_ARG_STRING, &options.config_style,
      N_("Form of per-layer group size and SVD in configs: script (modules_group_size_dict and "
         "modules_svd_dict, read by the SDNQ fork of the analysis scripts) or upstream "
         "(modules_quant_config, read by released SDNQ 0.2.x) (default: script)"), N_("STYLE") },
    { "from", 0, 0, G_OPTION_ARG_FILENAME, &options.from,
      N_("Re-derive the summary, auto-config and configs from a saved analysis JSON with new "
         "thresholds or top-N, without recomputing"), N_("ANALYSIS.json") },
#ifdef QS_CLI_HAVE_REPORT
    { "report-format", 0, 0, G_OPTION_ARG_STRING, &options.report_format,
      N_("Report written after the CSV and the summary: html (no chart), html-png (chart "
         "embedded as PNG) or pdf (default: html-png)"), N_("FORMAT") },
    { "report-output", 0, 0, G_OPTION_ARG_FILENAME, &options.report_output,
      N_("Report file (default: <output-stem>_report.html, or .pdf)"), N_("FILE") },
#endif
    { "seed", 0, 0, G_OPTION_ARG_STRING, &options.seed,
      N_("Seed of the randomized SVD start (default: 0)"), "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &options.threads,
      N_("CPU threads (default: 0, every core)"), "N" },
    { "load-dtype", 0, 0, G_OPTION_ARG_STRING, &options.load_dtype,
      N_("How weights are measured: stored (exactly as stored), bf16 or fp16 (rounded first, "
         "as the SDNQ script's bf16 load does) (default: stored)"), N_("DTYPE") },
    { "model-dtype", 0, 0, G_OPTION_ARG_STRING, &options.model_dtype,
      N_("Dtype of the SVD factors and their product: bf16, fp16 or fp32 (default: bf16)"),
      N_("DTYPE") },
    { "min-numel", 0, 0, G_OPTION_ARG_INT64, &options.min_numel,
      N_("Skip layers with fewer elements (default: 0, no minimum)"), "N" },
    { "min-channels", 0, 0, G_OPTION_ARG_INT, &options.min_channels,
      N_("Skip layers whose channel size (shape[1]) is smaller (default: 0, no minimum)"), "N" },
    { "header-limit", 0, 0, G_OPTION_ARG_INT64, &options.header_limit,
      N_("Largest safetensors header accepted, in bytes (default: 100000000, the limit of the "
         "reference safetensors reader)"), N_("BYTES") },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &options.quiet,
      N_("Print no progress and no summary"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &options.positional, NULL,
      N_("[MODEL]") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(QsAnalysisSettings) settings = NULL;
  g_autoptr(QsModel) model = NULL;
  g_autoptr(QsBackend) backend = NULL;
  g_autoptr(QsAnalysisResult) loaded = NULL;
  g_auto(GStrv) args = NULL;
  g_autofree char *dtype_names = NULL;
  g_autofree char *description = NULL;
  QsSummaryOptions summary_options = { 0 };
  QsConfigStyle style = QS_CONFIG_STYLE_SCRIPT;
  QsAnalysisResult *result = NULL;
  const char *source;
  const char *output;
  AnalyzeRun run = { 0 };
  guint sigint_id;
  guint sigterm_id;
  int status = 0;

  dtype_names = qs_dtype_list_names ();
  description = g_strdup_printf (
    _("Quantizes every layer in every requested format with SDNQ's rules and measures the\n"
      "error: nmse (mean squared error over the unbiased variance of the weight), sqnr_db,\n"
      "cosine_sim, max_abs_err and relative_l2. A layer is OK when the primary dtype's NMSE\n"
      "is at or under the promote threshold, PROMOTE to the first listed dtype that is, and\n"
      "SKIP when no dtype is at or under it or every dtype is above the skip threshold.\n"
      "With several --group-size values the columns are the primary dtype's group sizes\n"
      "instead: a layer is PROMOTE to the first group size that reaches the promote\n"
      "threshold and SKIP when none does.\n"
      "\n"
      "Dtypes: %s\n"), dtype_names);

  context = g_option_context_new (N_("- measure quantization sensitivity per layer"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (context, description);

  args = qs_cli_expand_multi_values (&argc, argv, multi);
  if (!g_option_context_parse_strv (context, &args, &error))
    {
      fprintf (stderr, _("quantscope-cli analyze: %s\n"
                 "Run “quantscope-cli analyze --help” for the options.\n"), error->message);
      analyze_options_clear (&options);
      return QS_CLI_EXIT_USAGE;
    }

  if (options.config_style != NULL && !qs_config_style_from_string (options.config_style, &style))
    {
      fprintf (stderr, _("quantscope-cli analyze: Invalid --config-style “%s”: expected script "
                 "or upstream\n"), options.config_style);
      analyze_options_clear (&options);
      return QS_CLI_EXIT_USAGE;
    }

#ifdef QS_CLI_HAVE_REPORT
  {
    QsReportFormat format;

    if (options.report_format != NULL
        && !qs_report_format_from_string (options.report_format, &format))
      {
        fprintf (stderr, _("quantscope-cli analyze: Invalid --report-format “%s”: expected "
                   "html, html-png or pdf\n"), options.report_format);
        analyze_options_clear (&options);
        return QS_CLI_EXIT_USAGE;
      }
  }
#endif

  source = options.model_id;
  if (options.positional != NULL && options.positional[0] != NULL)
    {
      if (source != NULL || options.positional[1] != NULL)
        {
          fprintf (stderr, _("quantscope-cli analyze: give one model, either as an argument "
                     "or with --model-id\n"));
          analyze_options_clear (&options);
          return QS_CLI_EXIT_USAGE;
        }
      source = options.positional[0];
    }

  if (options.from != NULL)
    {
      const QsAnalysisSettings *saved;

      if (source != NULL)
        {
          fprintf (stderr, _("quantscope-cli analyze: --from reads a saved analysis instead of "
                     "a model; give one or the other\n"));
          analyze_options_clear (&options);
          return QS_CLI_EXIT_USAGE;
        }

      /* Only the thresholds, top-N and outputs can change without
       * recomputing; anything that changes the measured grid cannot. */
      if (options.dtypes != NULL || options.group_sizes != NULL || options.svd_ranks != NULL
          || options.svd_steps != QS_DEFAULT_SVD_STEPS || options.no_svd || options.no_raw
          || options.components != NULL || options.seed != NULL || options.load_dtype != NULL
          || options.model_dtype != NULL || options.min_numel != 0 || options.min_channels != 0
          || options.device != NULL || options.cache_dir != NULL || options.threads != 0)
        {
          fprintf (stderr, _("quantscope-cli analyze: with --from only --skip-threshold, "
                     "--promote-threshold, --top-n, --auto-config, --config-style and the output "
                     "options apply; the other options change what is measured, so run the "
                     "analysis again instead\n"));
          analyze_options_clear (&options);
          return QS_CLI_EXIT_USAGE;
        }

      loaded = qs_analysis_result_load (options.from, &error);
      if (loaded == NULL)
        {
          fprintf (stderr, "quantscope-cli analyze: %s\n", error->message);
          analyze_options_clear (&options);
          return QS_CLI_EXIT_FAILURE;
        }

      saved = qs_analysis_result_get_settings (loaded);
      summary_options.skip_threshold = isnan (options.skip_threshold)
                                       ? saved->skip_threshold : options.skip_threshold;
      summary_options.promote_threshold = isnan (options.promote_threshold)
                                          ? saved->promote_threshold : options.promote_threshold;
      summary_options.top_n = options.top_n < 0 ? saved->top_n : (guint) options.top_n;
      summary_options.auto_config = options.auto_config;

      if (!(summary_options.skip_threshold > 0) || !(summary_options.promote_threshold > 0)
          || summary_options.promote_threshold > summary_options.skip_threshold)
        {
          fprintf (stderr, _("quantscope-cli analyze: Invalid thresholds: both must be positive "
                     "and the promote threshold at most the skip threshold\n"));
          analyze_options_clear (&options);
          return QS_CLI_EXIT_USAGE;
        }

      if (options.output != NULL
          && !write_outputs (loaded, options.output, FALSE, options.quiet, &error))
        {
          fprintf (stderr, "quantscope-cli analyze: %s\n", error->message);
          analyze_options_clear (&options);
          return QS_CLI_EXIT_FAILURE;
        }

      if (!derive_outputs (loaded, &options, &summary_options, style,
                           options.output != NULL ? options.output : options.from, &error))
        {
          fprintf (stderr, "quantscope-cli analyze: %s\n", error->message);
          status = QS_CLI_EXIT_FAILURE;
        }

      analyze_options_clear (&options);
      return status;
    }

  if (source == NULL)
    {
      fprintf (stderr, _("quantscope-cli analyze: no model given; pass a path or a Hugging "
                 "Face id, e.g. “quantscope-cli analyze path/to/model”\n"));
      analyze_options_clear (&options);
      return QS_CLI_EXIT_USAGE;
    }

  if (isnan (options.skip_threshold))
    options.skip_threshold = QS_DEFAULT_SKIP_THRESHOLD;
  if (isnan (options.promote_threshold))
    options.promote_threshold = QS_DEFAULT_PROMOTE_THRESHOLD;
  if (options.top_n < 0)
    options.top_n = QS_DEFAULT_TOP_N;

  settings = build_settings (&options, &error);
  if (settings == NULL)
    {
      fprintf (stderr, "quantscope-cli analyze: %s\n", error->message);
      analyze_options_clear (&options);
      return QS_CLI_EXIT_USAGE;
    }

  summary_options.skip_threshold = settings->skip_threshold;
  summary_options.promote_threshold = settings->promote_threshold;
  summary_options.top_n = settings->top_n;
  summary_options.auto_config = options.auto_config;

  if (options.header_limit < 0)
    {
      fprintf (stderr, _("quantscope-cli analyze: Invalid --header-limit %lld: expected a size "
                         "in bytes\n"), (long long) options.header_limit);
      analyze_options_clear (&options);
      return QS_CLI_EXIT_USAGE;
    }

  model = qs_model_open_full (source, options.cache_dir, (guint64) options.header_limit, &error);
  if (model == NULL)
    {
      fprintf (stderr, "quantscope-cli analyze: %s\n", error->message);
      analyze_options_clear (&options);
      return QS_CLI_EXIT_FAILURE;
    }

  output = options.output != NULL ? options.output : DEFAULT_OUTPUT;
#ifdef QS_CLI_HAVE_GPU
  {
    g_autofree char *note = NULL;

    /* auto picks a GPU or falls back to the CPU; an explicit device that
     * does not exist is an error. */
    backend = qs_gpu_backend_new_for_device (settings->device, settings->n_threads, &note,
                                             &error);
    if (backend == NULL)
      {
        fprintf (stderr, "quantscope-cli analyze: %s\n", error->message);
        analyze_options_clear (&options);
        return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT)
               ? QS_CLI_EXIT_USAGE : QS_CLI_EXIT_FAILURE;
      }
    if (note != NULL && !options.quiet)
      fprintf (stderr, "%s\n", note);
  }
#else
  backend = qs_cpu_backend_new (settings->n_threads);
#endif

  run.loop = g_main_loop_new (NULL, FALSE);
  run.cancellable = g_cancellable_new ();
  run.job = qs_analysis_job_new (model, settings, backend);
  run.progress = qs_cli_progress_new (options.quiet);
  g_signal_connect (run.job, "notify::fraction", G_CALLBACK (progress_changed_cb), &run);
  g_signal_connect (run.job, "notify::current-layer", G_CALLBACK (progress_changed_cb), &run);

  sigint_id = g_unix_signal_add (SIGINT, interrupt_cb, &run);
  sigterm_id = g_unix_signal_add (SIGTERM, terminate_cb, &run);

  qs_analysis_job_run_async (run.job, run.cancellable, run_done_cb, &run);
  g_main_loop_run (run.loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  qs_cli_progress_clear (run.progress);

  result = run.result;
  if (result == NULL)
    {
      QsAnalysisResult *partial = qs_analysis_job_get_result (run.job);

      if (g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          && qs_analysis_result_get_n_layers (partial) > 0)
        {
          /* Keep what finished: a partial analysis is still worth reading. */
          fprintf (stderr, _("quantscope-cli analyze: cancelled after %u of %u layers; "
                     "writing the partial result\n"),
                   qs_analysis_result_get_n_layers (partial),
                   qs_analysis_result_get_n_layers_planned (partial));
          result = partial;
          status = 128 + (run.signal_number != 0 ? run.signal_number : SIGINT);
        }
      else if (g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          fprintf (stderr, _("quantscope-cli analyze: cancelled before any layer finished\n"));
          status = 128 + (run.signal_number != 0 ? run.signal_number : SIGINT);
          goto out;
        }
      else
        {
          fprintf (stderr, "quantscope-cli analyze: %s\n", run.error->message);
          status = QS_CLI_EXIT_FAILURE;
          goto out;
        }
    }

  if (!write_outputs (result, output, TRUE, options.quiet, &error)
      || !derive_outputs (result, &options, &summary_options, style, output, &error))
    {
      fprintf (stderr, "quantscope-cli analyze: %s\n", error->message);
      status = QS_CLI_EXIT_FAILURE;
      goto out;
    }

out:
  g_clear_error (&run.error);
  g_clear_object (&run.result);
  g_clear_object (&run.job);
  g_clear_object (&run.cancellable);
  g_clear_pointer (&run.progress, qs_cli_progress_free);
  g_clear_pointer (&run.loop, g_main_loop_unref);
  analyze_options_clear (&options);

  return status;
}
