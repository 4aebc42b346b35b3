/* qs-cli-quantize.c: `quantscope-cli quantize`
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

#include "qs-cli.h"
#include "qs-error.h"
#include "qs-quantize-job.h"
#include "qs-sdnq-layout.h"

typedef struct
{
  char      *model_id;
  char     **positional;
  char      *output_path;
  char      *pipeline_config;
  char      *cache_dir;
  char      *device;
  char      *max_shard_size;
  char     **components;
  char      *weights_dtype;
  char      *group_size;
  gboolean   use_svd;
  int        svd_rank;
  int        svd_steps;
  gboolean   use_quantized_matmul;
  gboolean   use_quantized_matmul_conv;
  gboolean   quant_conv;
  gboolean   quant_embedding;
  gboolean   no_dequantize_fp32;
  char     **not_convert;
  char      *model_dtype;
  char      *load_dtype;
  char      *seed;
  int        threads;
  gint64     minimum_numel;
  gint64     minimum_channel_size;
  gboolean   overwrite;
  gboolean   verify;
  gboolean   no_verify;
  gboolean   quiet;
} QuantizeOptions;

typedef struct
{
  GMainLoop        *loop;
  GCancellable     *cancellable;
  QsQuantizeJob    *job;
  QsCliProgress    *progress;
  QsQuantizeResult *result;
  GError           *error;
} QuantizeRun;

static void
quantize_options_clear (QuantizeOptions *options)
{
  g_free (options->model_id);
  g_strfreev (options->positional);
  g_free (options->output_path);
  g_free (options->pipeline_config);
  g_free (options->cache_dir);
  g_free (options->device);
  g_free (options->max_shard_size);
  g_strfreev (options->components);
  g_free (options->weights_dtype);
  g_free (options->group_size);
  g_strfreev (options->not_convert);
  g_free (options->model_dtype);
  g_free (options->load_dtype);
  g_free (options->seed);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (QuantizeOptions, quantize_options_clear)

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
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, message);
  return FALSE;
}

/* The uniform config from the flags, SDNQ's defaults for the rest. */
static QsSdnqConfig *
build_uniform_config (const QuantizeOptions  *options,
                      GError                **error)
{
  g_autoptr(QsSdnqConfig) config = qs_sdnq_config_new ();

  if (options->weights_dtype != NULL)
    {
      const QsDtype *dtype = qs_dtype_lookup (options->weights_dtype);

      if (dtype == NULL)
        {
          g_autofree char *names = qs_dtype_list_names ();

          return usage_error (error, "Unknown --weights-dtype “%s”; SDNQ's dtypes are: %s",
                              options->weights_dtype, names), NULL;
        }
      g_free (config->weights_dtype);
      config->weights_dtype = g_strdup (dtype->name);
    }

  if (options->group_size != NULL)
    {
      char *end = NULL;
      gint64 value;

      errno = 0;
      value = g_ascii_strtoll (options->group_size, &end, 10);
      if (errno != 0 || end == options->group_size || *end != '\0' || value < -2)
        return usage_error (error, "Invalid --group-size “%s”: expected 0 (automatic), -1 "
                            "(row-wise), -2 (tensor-wise) or a positive size",
                            options->group_size), NULL;
      config->group_size = value;
    }

  if (options->svd_rank < 1)
    return usage_error (error, "Invalid --svd-rank %d: expected a positive integer",
                        options->svd_rank), NULL;
  if (options->svd_steps < 0)
    return usage_error (error, "Invalid --svd-steps %d: expected 0 or more",
                        options->svd_steps), NULL;

  config->use_svd = options->use_svd;
  config->svd_rank = (guint) options->svd_rank;
  config->svd_steps = (guint) options->svd_steps;
  config->use_quantized_matmul = options->use_quantized_matmul;
  config->use_quantized_matmul_conv = options->use_quantized_matmul_conv;
  config->quant_conv = options->quant_conv;
  config->quant_embedding = options->quant_embedding;
  config->dequantize_fp32 = !options->no_dequantize_fp32;

  if (options->not_convert != NULL)
    {
      g_auto(GStrv) patterns = qs_cli_split_list (options->not_convert);

      for (guint i = 0; patterns[i] != NULL; i++)
        g_ptr_array_add (config->modules_to_not_convert, g_strdup (patterns[i]));
    }

  return g_steal_pointer (&config);
}

static gboolean
uniform_flags_given (const QuantizeOptions *options)
{
  return options->weights_dtype != NULL || options->group_size != NULL || options->use_svd
         || options->svd_rank != QS_DEFAULT_SVD_RANK || options->svd_steps != QS_DEFAULT_SVD_STEPS
         || options->use_quantized_matmul || options->use_quantized_matmul_conv
         || options->quant_conv || options->quant_embedding
         || options->no_dequantize_fp32 || options->not_convert != NULL;
}

/* Reads and validates the pipeline config; nothing is written before this
 * succeeds. */
static GHashTable *
load_pipeline_config (const char  *path,
                      GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  GHashTable *configs;

  if (!json_parser_load_from_file (parser, path, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }

  configs = qs_pipeline_config_parse (json_parser_get_root (parser), error);
  if (configs == NULL)
    g_prefix_error (error, "%s: ", path);

  return configs;
}

static QsQuantizeSettings *
build_settings (const QuantizeOptions  *options,
                GError                **error)
{
  g_autoptr(QsQuantizeSettings) settings = qs_quantize_settings_new ();

  settings->output_path = g_strdup (options->output_path);

  if (options->max_shard_size != NULL
      && !qs_quantize_parse_size (options->max_shard_size, &settings->max_shard_size))
    return usage_error (error, "Invalid --max-shard-size “%s”: expected a size such as 5GB, "
                        "500MB, 2GiB or a number of bytes", options->max_shard_size), NULL;

  if (options->model_dtype != NULL
      && !qs_model_dtype_from_string (options->model_dtype, &settings->model_dtype))
    return usage_error (error, "Invalid --model-dtype “%s”: expected bf16, fp16 or fp32",
                        options->model_dtype), NULL;

  if (options->load_dtype != NULL
      && !qs_load_dtype_from_string (options->load_dtype, &settings->load_dtype))
    return usage_error (error, "Invalid --load-dtype “%s”: expected stored, bf16 or fp16",
                        options->load_dtype), NULL;

  if (options->seed != NULL)
    {
      char *end = NULL;

      errno = 0;
      settings->seed = g_ascii_strtoull (options->seed, &end, 10);
      if (errno != 0 || end == options->seed || *end != '\0' || options->seed[0] == '-')
        return usage_error (error, "Invalid --seed “%s”: expected a non-negative integer",
                            options->seed), NULL;
    }

  if (options->threads < 0)
    return usage_error (error, "Invalid --threads %d: expected 0 (every core) or more",
                        options->threads), NULL;
  settings->n_threads = (guint) options->threads;

  if (options->minimum_numel < 0 || options->minimum_channel_size < 0)
    return usage_error (error, "Invalid --minimum-numel or --minimum-channel-size: expected 0 "
                        "or more"), NULL;
  settings->minimum_numel = (guint64) options->minimum_numel;
  settings->minimum_channel_size = options->minimum_channel_size;

  if (options->device != NULL)
    {
      g_autofree char *device = g_ascii_strdown (options->device, -1);

      /* TODO: quantizing on a Vulkan device is not implemented, so "auto"
       * means the CPU. */
      if (strcmp (device, "cpu") != 0 && strcmp (device, "auto") != 0)
        return usage_error (error, "Unknown --device “%s”: this build quantizes on the CPU "
                            "only; use --device cpu", options->device), NULL;
    }

  if (options->components != NULL)
    settings->components = qs_cli_split_list (options->components);

  settings->overwrite = options->overwrite;
  settings->verify = !options->no_verify;

  g_clear_pointer (&settings->config, qs_sdnq_config_free);
  settings->config = build_uniform_config (options, error);
  if (settings->config == NULL)
    return NULL;

  return g_steal_pointer (&settings);
}

static char *
format_size (guint64 bytes)
{
  return g_format_size (bytes);
}

static void
progress_changed_cb (QsQuantizeJob *job,
                     GParamSpec    *pspec,
                     QuantizeRun   *run)
{
  g_autofree char *current = qs_quantize_job_dup_current_layer (job);
  g_autofree char *stage = qs_quantize_job_dup_stage (job);
  g_autofree char *done = format_size (qs_quantize_job_get_bytes_done (job));
  g_autofree char *total = format_size (qs_quantize_job_get_bytes_total (job));
  g_autofree char *label = g_strdup_printf ("%s/%s %s %s", done, total,
                                            stage != NULL ? stage : "",
                                            current != NULL ? current : "");

  qs_cli_progress_update (run->progress,
                          qs_quantize_job_get_layers_done (job),
                          qs_quantize_job_get_layers_total (job),
                          qs_quantize_job_get_fraction (job),
                          qs_quantize_job_get_eta_seconds (job),
                          label);
}

static void
run_done_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  QuantizeRun *run = user_data;

  run->result = qs_quantize_job_run_finish (QS_QUANTIZE_JOB (object), result, &run->error);
  g_main_loop_quit (run->loop);
}

static gboolean
interrupt_cb (gpointer user_data)
{
  QuantizeRun *run = user_data;

  g_cancellable_cancel (run->cancellable);

  return G_SOURCE_CONTINUE;
}

static void
print_result (const QsQuantizeResult *result)
{
  printf (_("Wrote %s\n"), result->output_path);

  for (guint c = 0; c < result->components->len; c++)
    {
      const QsQuantizeComponentRecord *component = g_ptr_array_index (result->components, c);
      const char *name = component->name[0] != '\0' ? component->name : "(model)";
      g_autofree char *before = format_size (component->original_bytes);
      g_autofree char *after = format_size (component->stored_bytes);
      double max_nmse = 0;

      if (!component->quantized)
        {
          printf (_("  %s: copied unchanged (%s)\n"), name, before);
          continue;
        }

      for (guint i = 0; i < result->layers->len; i++)
        {
          const QsQuantizeLayerRecord *layer = g_ptr_array_index (result->layers, i);

          /* A model that is one folder or file has one component. */
          if (layer->quantized && !isnan (layer->nmse)
              && (component->name[0] == '\0' || strcmp (layer->component, component->name) == 0))
            max_nmse = MAX (max_nmse, layer->nmse);
        }

      if (component->n_layers_quantized == 0 && component->n_layers_unquantized == 0)
        {
          printf (_("  %s: no layer that SDNQ quantizes under the config (Conv layers need "
                    "--quant-conv, embeddings --quant-embedding); tensors rewritten unchanged "
                    "with the config, %u shard%s, %s\n"), name, component->n_shards,
                  component->n_shards == 1 ? "" : "s", after);
          continue;
        }

      printf (_("  %s: %u layers quantized, %u left unquantized, %u shard%s, %s → %s, "
                "largest layer NMSE %.3g\n"),
              name, component->n_layers_quantized, component->n_layers_unquantized,
              component->n_shards, component->n_shards == 1 ? "" : "s", before, after, max_nmse);
    }

  for (guint i = 0; i < result->layers->len; i++)
    {
      const QsQuantizeLayerRecord *layer = g_ptr_array_index (result->layers, i);

      if (layer->quantized)
        continue;
      printf (_("  left unquantized and listed in modules_to_not_convert: %s%s%s (%s)\n"),
              layer->component, layer->component[0] != '\0' ? "/" : "", layer->name,
              layer->reason != NULL ? layer->reason : "skipped");
    }

  for (guint i = 0; i < result->notes->len; i++)
    printf (_("  note: %s\n"), (const char *) g_ptr_array_index (result->notes, i));

  if (result->verified)
    printf (_("Verified: every layer reads back from the written files with SDNQ's layout and "
              "the same NMSE (largest relative difference %.2g)\n"), result->max_verify_difference);
  else
    printf (_("Not verified (--no-verify)\n"));
}

int
qs_cli_quantize (int    argc,
                 char **argv)
{
  static const char * const multi[] = { "--components", "--modules-to-not-convert", NULL };
  g_auto(QuantizeOptions) options = {
    .svd_rank = QS_DEFAULT_SVD_RANK,
    .svd_steps = QS_DEFAULT_SVD_STEPS,
    .minimum_numel = QS_SDNQ_MINIMUM_NUMEL,
    .minimum_channel_size = QS_SDNQ_MINIMUM_CHANNEL_SIZE,
  };
  const GOptionEntry entries[] = {
    { "model-id", 0, 0, G_OPTION_ARG_STRING, &options.model_id,
      N_("Model to quantize: a .safetensors file, a model or pipeline folder, or a Hugging Face id "
         "org/name found in the local hub cache (or give it as the first argument)"), N_("MODEL") },
    { "output-path", 'o', 0, G_OPTION_ARG_FILENAME, &options.output_path,
      N_("Folder to write the quantized model to (required); it must be outside the source and "
         "empty or absent unless --overwrite is given"), N_("DIR") },
    { "pipeline-config", 0, 0, G_OPTION_ARG_FILENAME, &options.pipeline_config,
      N_("Per-component SDNQConfig keyword arguments, as written by analyze --auto-config (either "
         "config style); exactly the components it names are quantized"), N_("FILE") },
    { "cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &options.cache_dir,
      N_("Hugging Face hub cache searched first for an id (then $HF_HUB_CACHE, $HF_HOME/hub, "
         "~/.cache/huggingface/hub)"), N_("DIR") },
    { "device", 0, 0, G_OPTION_ARG_STRING, &options.device,
      N_("Compute device: cpu or auto (the CPU) (default: cpu)"), N_("DEVICE") },
    { "max-shard-size", 0, 0, G_OPTION_ARG_STRING, &options.max_shard_size,
      N_("Largest safetensors file, as tensor data: KB, MB, GB are powers of 1000, KiB, MiB, GiB "
         "powers of 1024, a plain number is bytes (default: 5GB)"), N_("SIZE") },
    { "components", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options.components,
      N_("Pipeline components to quantize, one or more subfolders; the others are copied "
         "unchanged (default: every component with weights)"), N_("NAME…") },
    { "weights-dtype", 0, 0, G_OPTION_ARG_STRING, &options.weights_dtype,
      N_("SDNQ weight dtype without a pipeline config (default: int8)"), N_("DTYPE") },
    { "group-size", 0, 0, G_OPTION_ARG_STRING, &options.group_size,
      N_("Group size in elements: 0 automatic, -1 row-wise, -2 tensor-wise (default: 0)"), "N" },
    { "use-svd", 0, 0, G_OPTION_ARG_NONE, &options.use_svd,
      N_("Add SDNQ's low-rank SVD branch to every layer"), NULL },
    { "svd-rank", 0, 0, G_OPTION_ARG_INT, &options.svd_rank,
      N_("Rank of the SVD branch (default: 32)"), N_("RANK") },
    { "svd-steps", 0, 0, G_OPTION_ARG_INT, &options.svd_steps,
      N_("Power iterations of the randomized SVD (default: 8)"), "N" },
    { "use-quantized-matmul", 0, 0, G_OPTION_ARG_NONE, &options.use_quantized_matmul,
      N_("Store layers for SDNQ's quantized matmul (8-bit weights transposed, SVD factors "
         "transposed, 6-bit and wider automatic groups row-wise)"), NULL },
    { "use-quantized-matmul-conv", 0, 0, G_OPTION_ARG_NONE, &options.use_quantized_matmul_conv,
      N_("The same for Conv layers, which SDNQ then stores flattened to [O, I·k…]"), NULL },
    { "quant-conv", 0, 0, G_OPTION_ARG_NONE, &options.quant_conv,
      N_("Also quantize Conv layers (3- to 5-D weights)"), NULL },
    { "quant-embedding", 0, 0, G_OPTION_ARG_NONE, &options.quant_embedding,
      N_("Also quantize Embedding layers"), NULL },
    { "no-dequantize-fp32", 0, 0, G_OPTION_ARG_NONE, &options.no_dequantize_fp32,
      N_("Store scales and zero points in the model dtype instead of float32 where SDNQ allows it"),
      NULL },
    { "modules-to-not-convert", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options.not_convert,
      N_("Module patterns to leave unquantized, with SDNQ's matching rules, one or more"),
      N_("PATTERN…") },
    { "minimum-numel", 0, 0, G_OPTION_ARG_INT64, &options.minimum_numel,
      N_("Leave layers with fewer elements unquantized, as SDNQConfig's minimum_allowed_numel "
         "does (default: 16384)"), "N" },
    { "minimum-channel-size", 0, 0, G_OPTION_ARG_INT64, &options.minimum_channel_size,
      N_("Leave layers whose channel size (shape[1]) is smaller unquantized, as SDNQConfig's "
         "minimum_allowed_channel_size does (default: 32)"), "N" },
    { "model-dtype", 0, 0, G_OPTION_ARG_STRING, &options.model_dtype,
      N_("Dtype of the SVD factors and of model-dtype scales: bf16, fp16 or fp32 (default: bf16)"),
      N_("DTYPE") },
    { "load-dtype", 0, 0, G_OPTION_ARG_STRING, &options.load_dtype,
      N_("How weights are read before quantizing: stored (exactly as stored), bf16 or fp16 "
         "(rounded first, as the SDNQ script's bf16 load does) (default: stored)"), N_("DTYPE") },
    { "seed", 0, 0, G_OPTION_ARG_STRING, &options.seed,
      N_("Seed of the randomized SVD start (default: 0)"), "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &options.threads,
      N_("CPU threads (default: 0, every core)"), "N" },
    { "overwrite", 0, 0, G_OPTION_ARG_NONE, &options.overwrite,
      N_("Replace an output folder that is not empty"), NULL },
    { "verify", 0, 0, G_OPTION_ARG_NONE, &options.verify,
      N_("Read the written model back and compare every layer (the default)"), NULL },
    { "no-verify", 0, 0, G_OPTION_ARG_NONE, &options.no_verify,
      N_("Skip the read-back verification"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &options.quiet,
      N_("Print no progress and no summary"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &options.positional, NULL,
      N_("[MODEL]") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(QsQuantizeSettings) settings = NULL;
  g_autoptr(GHashTable) pipeline = NULL;
  g_autoptr(QsModel) model = NULL;
  g_auto(GStrv) args = NULL;
  g_autofree char *dtype_names = NULL;
  g_autofree char *description = NULL;
  const char *source;
  QuantizeRun run = { 0 };
  guint sigint_id;
  guint sigterm_id;
  int status = 0;

  dtype_names = qs_dtype_list_names ();
  description = g_strdup_printf (
    _("Writes an SDNQ-quantized copy of a model that SDNQ (Disty0/sdnq 0.2.x) loads: each\n"
      "quantized layer is stored as <path>.weight, .scale, .zero_point (unsigned dtypes) and\n"
      ".svd_up/.svd_down with SDNQ's dtypes and shapes, in safetensors shards with an index,\n"
      "and config.json and quantization_config.json carry the quantization config. Eligible\n"
      "layers that SDNQ's size checks reject are left unquantized and listed in\n"
      "modules_to_not_convert. Other files are copied byte for byte. The output is built in a\n"
      "hidden folder beside it and renamed into place when complete.\n"
      "\n"
      "Layers are found by tensor: a 2-D float *.weight is a Linear (or an Embedding by name),\n"
      "a 3- to 5-D one is a Conv.\n"
      "\n"
      "Exit status: 0 success, 1 failure, 2 invalid usage, 130 cancelled.\n"
      "\n"
      "Dtypes: %s\n"), dtype_names);

  context = g_option_context_new (N_("- write an SDNQ-quantized copy of a model"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (context, description);

  args = qs_cli_expand_multi_values (&argc, argv, multi);
  if (!g_option_context_parse_strv (context, &args, &error))
    {
      fprintf (stderr, _("quantscope-cli quantize: %s\n"
                 "Run “quantscope-cli quantize --help” for the options.\n"), error->message);
      return QS_CLI_EXIT_USAGE;
    }

  source = options.model_id;
  if (options.positional != NULL && options.positional[0] != NULL)
    {
      if (source != NULL || options.positional[1] != NULL)
        {
          fprintf (stderr, _("quantscope-cli quantize: give one model, either as an argument or "
                     "with --model-id\n"));
          return QS_CLI_EXIT_USAGE;
        }
      source = options.positional[0];
    }

  if (source == NULL)
    {
      fprintf (stderr, _("quantscope-cli quantize: no model given; pass a path or a Hugging Face "
                 "id, e.g. “quantscope-cli quantize path/to/model --output-path out”\n"));
      return QS_CLI_EXIT_USAGE;
    }

  if (options.output_path == NULL || options.output_path[0] == '\0')
    {
      fprintf (stderr, _("quantscope-cli quantize: --output-path is required\n"));
      return QS_CLI_EXIT_USAGE;
    }

  if (options.verify && options.no_verify)
    {
      fprintf (stderr, _("quantscope-cli quantize: give --verify or --no-verify, not both\n"));
      return QS_CLI_EXIT_USAGE;
    }

  if (options.pipeline_config != NULL && uniform_flags_given (&options))
    {
      fprintf (stderr, _("quantscope-cli quantize: --pipeline-config sets every component's "
                 "config; leave out --weights-dtype, --group-size, --use-svd, --svd-rank, "
                 "--svd-steps, --use-quantized-matmul, --use-quantized-matmul-conv, --quant-conv, "
                 "--quant-embedding, "
                 "--no-dequantize-fp32 and --modules-to-not-convert\n"));
      return QS_CLI_EXIT_USAGE;
    }

  settings = build_settings (&options, &error);
  if (settings == NULL)
    {
      fprintf (stderr, "quantscope-cli quantize: %s\n", error->message);
      return QS_CLI_EXIT_USAGE;
    }

  if (options.pipeline_config != NULL)
    {
      pipeline = load_pipeline_config (options.pipeline_config, &error);
      if (pipeline == NULL)
        {
          fprintf (stderr, "quantscope-cli quantize: %s\n", error->message);
          return QS_CLI_EXIT_FAILURE;
        }
      settings->pipeline_config = g_hash_table_ref (pipeline);
    }

  model = qs_model_open (source, options.cache_dir, &error);
  if (model == NULL)
    {
      fprintf (stderr, "quantscope-cli quantize: %s\n", error->message);
      return QS_CLI_EXIT_FAILURE;
    }

  run.loop = g_main_loop_new (NULL, FALSE);
  run.cancellable = g_cancellable_new ();
  run.job = qs_quantize_job_new (model, settings);
  run.progress = qs_cli_progress_new (options.quiet);
  g_signal_connect (run.job, "notify::fraction", G_CALLBACK (progress_changed_cb), &run);
  g_signal_connect (run.job, "notify::current-layer", G_CALLBACK (progress_changed_cb), &run);

  sigint_id = g_unix_signal_add (SIGINT, interrupt_cb, &run);
  sigterm_id = g_unix_signal_add (SIGTERM, interrupt_cb, &run);

  qs_quantize_job_run_async (run.job, run.cancellable, run_done_cb, &run);
  g_main_loop_run (run.loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  qs_cli_progress_clear (run.progress);

  if (run.result == NULL)
    {
      if (g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          fprintf (stderr, _("quantscope-cli quantize: cancelled; nothing was written to %s\n"),
                   options.output_path);
          status = QS_CLI_EXIT_CANCELLED;
        }
      else
        {
          fprintf (stderr, "quantscope-cli quantize: %s\n", run.error->message);
          status = QS_CLI_EXIT_FAILURE;
        }
    }
  else if (!options.quiet)
    {
      print_result (run.result);
      fflush (stdout);
    }

  g_clear_error (&run.error);
  g_clear_pointer (&run.result, qs_quantize_result_free);
  g_clear_object (&run.job);
  g_clear_object (&run.cancellable);
  g_clear_pointer (&run.progress, qs_cli_progress_free);
  g_clear_pointer (&run.loop, g_main_loop_unref);

  return status;
}
