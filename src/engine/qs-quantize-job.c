/* qs-quantize-job.c: writes an SDNQ-quantized copy of a model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * This replaces SDNQ's quantize_pipeline.py (the CalamitousFelicitousness
 * fork, commit dd6b8ac) and save_sdnq_model (Disty0/sdnq 0.2.x loader.py).
 * model_index.json, schedulers, tokenizers and unselected components are
 * copied byte for byte. Each selected component is quantized layer by
 * layer into safetensors shards with SDNQ's tensor names, dtypes and
 * shapes, plus config.json and quantization_config.json.
 *
 * Quantscope reads tensors, not PyTorch modules, so layers are chosen by
 * qs_classify_tensor(): a 2-D float "*.weight" is a Linear (or an Embedding
 * when its name marks it as one) and a 3- to 5-D one is a Conv. SDNQ decides by the
 * module's class, so a 2-D weight of another module class, a transposed
 * convolution or a grouped convolution is treated here as a Linear or a
 * plain Conv. Conv layers are only quantized with quant_conv and
 * embeddings only with quant_embedding, as in SDNQ.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cblas.h>
#include <omp.h>

#include <glib/gstdio.h>

#include "qs-error.h"
#include "qs-float.h"
#include "qs-metrics.h"
#include "qs-quantize-job.h"
#include "qs-safetensors-writer.h"
#include "qs-sdnq-layout.h"
#include "qs-sdnq-reader.h"

G_DEFINE_QUARK (qs-quantize-error-quark, qs_quantize_error)

/* The saved config of Disty0/sdnq 0.2.x (SDNQConfig.__dict__) has keys the
 * writer does not otherwise set; these are SDNQ's defaults for them. The
 * loader pops the device, training and rounding keys. */
#define SDNQ_VERSION "0.2.5"
#define SDNQ_CODEBOOK_STEPS 24
#define SDNQ_HADAMARD_GROUP_SIZE 256
#define SDNQ_DYNAMIC_LOSS_THRESHOLD 0.01

/* The planning loop adds size-rejected layers to modules_to_not_convert,
 * which can only turn more layers off, so it ends; this bounds it anyway. */
#define MAX_PLAN_ROUNDS 16

/* Settings */

QsQuantizeSettings *
qs_quantize_settings_new (void)
{
  QsQuantizeSettings *self = g_new0 (QsQuantizeSettings, 1);

  self->config = qs_sdnq_config_new ();
  self->max_shard_size = QS_QUANTIZE_DEFAULT_MAX_SHARD_SIZE;
  self->model_dtype = QS_MODEL_DTYPE_BF16;
  self->load_dtype = QS_LOAD_DTYPE_STORED;
  self->minimum_numel = QS_SDNQ_MINIMUM_NUMEL;
  self->minimum_channel_size = QS_SDNQ_MINIMUM_CHANNEL_SIZE;
  self->verify = TRUE;

  return self;
}

static GHashTable *
copy_pipeline_config (GHashTable *pipeline_config)
{
  GHashTable *copy;
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  if (pipeline_config == NULL)
    return NULL;

  copy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                (GDestroyNotify) qs_sdnq_config_free);
  g_hash_table_iter_init (&iter, pipeline_config);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy, g_strdup (key), qs_sdnq_config_copy (value));

  return copy;
}

QsQuantizeSettings *
qs_quantize_settings_copy (const QsQuantizeSettings *self)
{
  QsQuantizeSettings *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  copy->output_path = g_strdup (self->output_path);
  copy->pipeline_config = copy_pipeline_config (self->pipeline_config);
  copy->config = self->config != NULL ? qs_sdnq_config_copy (self->config) : qs_sdnq_config_new ();
  copy->components = g_strdupv (self->components);

  return copy;
}

void
qs_quantize_settings_free (QsQuantizeSettings *self)
{
  if (self == NULL)
    return;

  g_free (self->output_path);
  g_clear_pointer (&self->pipeline_config, g_hash_table_unref);
  g_clear_pointer (&self->config, qs_sdnq_config_free);
  g_strfreev (self->components);
  g_free (self);
}

gboolean
qs_quantize_parse_size (const char *str,
                        guint64    *size)
{
  static const struct
  {
    const char *suffix;
    double      factor;
  } units[] = {
    { "KIB", 1024.0 },
    { "MIB", 1024.0 * 1024.0 },
    { "GIB", 1024.0 * 1024.0 * 1024.0 },
    { "TIB", 1024.0 * 1024.0 * 1024.0 * 1024.0 },
    { "KB", 1e3 },
    { "MB", 1e6 },
    { "GB", 1e9 },
    { "TB", 1e12 },
    { "B", 1.0 },
  };
  g_autofree char *upper = NULL;
  double factor = 1.0;
  double value;
  char *end = NULL;
  gsize length;

  g_return_val_if_fail (str != NULL, FALSE);
  g_return_val_if_fail (size != NULL, FALSE);

  upper = g_ascii_strup (str, -1);
  g_strstrip (upper);
  length = strlen (upper);

  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    {
      if (g_str_has_suffix (upper, units[i].suffix))
        {
          factor = units[i].factor;
          length -= strlen (units[i].suffix);
          upper[length] = '\0';
          break;
        }
    }

  g_strchomp (upper);
  if (upper[0] == '\0' || upper[0] == '-' || upper[0] == '+')
    return FALSE;

  errno = 0;
  value = g_ascii_strtod (upper, &end);
  if (errno != 0 || end == upper || *end != '\0' || !(value > 0) || !isfinite (value))
    return FALSE;

  value *= factor;
  if (value < 1 || value >= 1.8e19)
    return FALSE;

  *size = (guint64) value;
  return TRUE;
}

/* Results */

static void
layer_record_free (QsQuantizeLayerRecord *record)
{
  g_free (record->component);
  g_free (record->name);
  g_free (record->reason);
  g_free (record->dtype);
  g_free (record);
}

static void
component_record_free (QsQuantizeComponentRecord *record)
{
  g_free (record->name);
  g_free (record);
}

static QsQuantizeResult *
result_new (void)
{
  QsQuantizeResult *result = g_new0 (QsQuantizeResult, 1);

  result->components = g_ptr_array_new_with_free_func ((GDestroyNotify) component_record_free);
  result->layers = g_ptr_array_new_with_free_func ((GDestroyNotify) layer_record_free);
  result->notes = g_ptr_array_new_with_free_func (g_free);

  return result;
}

void
qs_quantize_result_free (QsQuantizeResult *result)
{
  if (result == NULL)
    return;

  g_free (result->output_path);
  g_ptr_array_unref (result->components);
  g_ptr_array_unref (result->layers);
  g_ptr_array_unref (result->notes);
  g_free (result);
}

/* Plans */

typedef struct
{
  const QsTensorInfo    *tensor;
  QsLayerKind            kind;
  gboolean               eligible;
  gboolean               quantize;
  QsSdnqLayout           layout;
  QsQuantizeLayerRecord *record;
} PlanEntry;

typedef struct
{
  const QsComponent         *component;
  char                      *display_name;
  /* Relative to the output root; "" for the root itself. */
  char                      *relative_dir;
  char                      *file_stem;
  gboolean                   quantize;
  QsSdnqConfig              *config;
  JsonNode                  *quantization_config;
  GArray                    *entries;
  QsQuantizeComponentRecord *record;
} ComponentPlan;

static void
component_plan_free (ComponentPlan *plan)
{
  g_free (plan->display_name);
  g_free (plan->relative_dir);
  g_free (plan->file_stem);
  g_clear_pointer (&plan->config, qs_sdnq_config_free);
  g_clear_pointer (&plan->quantization_config, json_node_unref);
  g_clear_pointer (&plan->entries, g_array_unref);
  g_free (plan);
}

typedef struct
{
  char   *source;
  char   *relative;
  guint64 size;
} CopyItem;

static void
copy_item_free (CopyItem *item)
{
  g_free (item->source);
  g_free (item->relative);
  g_free (item);
}

/* The state of one run, owned by the worker. */
typedef struct
{
  QsQuantizeResult *result;
  GPtrArray        *plans;
  GPtrArray        *copies;
  GPtrArray        *directories;
  char             *output;
  char             *temp_dir;
  char             *created_parent;
  guint64           copy_bytes;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->result, qs_quantize_result_free);
  g_clear_pointer (&run->plans, g_ptr_array_unref);
  g_clear_pointer (&run->copies, g_ptr_array_unref);
  g_clear_pointer (&run->directories, g_ptr_array_unref);
  g_clear_pointer (&run->output, g_free);
  g_clear_pointer (&run->temp_dir, g_free);
  g_clear_pointer (&run->created_parent, g_free);
}

/* The job */

struct _QsQuantizeJob
{
  GObject             parent_instance;

  QsModel            *model;
  QsQuantizeSettings *settings;
  GMainContext       *context;

  /* Shared with the worker and guarded by the mutex. */
  GMutex              mutex;
  guint               layers_done;
  guint               layers_total;
  guint64             bytes_done;
  guint64             bytes_total;
  char               *current_layer;
  const char         *stage;
  gint64              start_time;
  GSource            *dispatch_source;

  guint               running : 1;
};

enum {
  PROP_0,
  PROP_LAYERS_DONE,
  PROP_LAYERS_TOTAL,
  PROP_BYTES_DONE,
  PROP_BYTES_TOTAL,
  PROP_CURRENT_LAYER,
  PROP_STAGE,
  PROP_ETA_SECONDS,
  PROP_FRACTION,
  N_PROPS
};

enum {
  LAYER_WRITTEN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (QsQuantizeJob, qs_quantize_job, G_TYPE_OBJECT)

static gboolean
dispatch_progress_cb (gpointer data)
{
  QsQuantizeJob *self = data;

  g_mutex_lock (&self->mutex);
  if (self->dispatch_source != NULL)
    {
      g_source_destroy (self->dispatch_source);
      g_clear_pointer (&self->dispatch_source, g_source_unref);
    }
  g_mutex_unlock (&self->mutex);

  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = PROP_LAYERS_DONE; i < N_PROPS; i++)
    g_object_notify_by_pspec (G_OBJECT (self), properties[i]);
  g_object_thaw_notify (G_OBJECT (self));

  return G_SOURCE_REMOVE;
}

/* Queues one idle that notifies every progress property; later updates
 * before it runs are coalesced into it. Called with the mutex held. */
static void
schedule_dispatch_locked (QsQuantizeJob *self)
{
  if (self->dispatch_source != NULL || self->context == NULL)
    return;

  self->dispatch_source = g_idle_source_new ();
  g_source_set_priority (self->dispatch_source, G_PRIORITY_LOW);
  g_source_set_callback (self->dispatch_source, dispatch_progress_cb,
                         g_object_ref (self), g_object_unref);
  g_source_set_static_name (self->dispatch_source, "[quantscope] quantize progress");
  g_source_attach (self->dispatch_source, self->context);
}

static void
set_progress (QsQuantizeJob *self,
              const char    *stage,
              const char    *current,
              guint64        bytes_added,
              guint          layers_added)
{
  g_mutex_lock (&self->mutex);
  if (stage != NULL)
    self->stage = stage;
  if (current != NULL || stage != NULL)
    {
      g_free (self->current_layer);
      self->current_layer = g_strdup (current);
    }
  self->bytes_done += bytes_added;
  self->layers_done += layers_added;
  schedule_dispatch_locked (self);
  g_mutex_unlock (&self->mutex);
}

/* Paths */

static gboolean
set_output_error (GError     **error,
                  const char  *format,
                  ...) G_GNUC_PRINTF (2, 3);

static gboolean
set_output_error (GError     **error,
                  const char  *format,
                  ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error_literal (error, QS_QUANTIZE_ERROR, QS_QUANTIZE_ERROR_OUTPUT, message);
  return FALSE;
}

/* Resolves @path with symbolic links followed as far as it exists, then
 * appends the parts that do not exist yet, so that paths compare by the
 * folders they really name. */
static char *
resolve_path (const char *path)
{
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);
  g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *existing = g_strdup (absolute);
  g_autofree char *resolved = NULL;
  GString *out;

  while ((resolved = realpath (existing, NULL)) == NULL)
    {
      char *parent = g_path_get_dirname (existing);

      g_ptr_array_add (missing, g_path_get_basename (existing));
      if (strcmp (parent, existing) == 0)
        {
          g_free (parent);
          return g_steal_pointer (&absolute);
        }
      g_free (existing);
      existing = parent;
    }

  out = g_string_new (resolved);
  for (guint i = missing->len; i > 0; i--)
    {
      if (out->len == 0 || out->str[out->len - 1] != G_DIR_SEPARATOR)
        g_string_append_c (out, G_DIR_SEPARATOR);
      g_string_append (out, g_ptr_array_index (missing, i - 1));
    }

  return g_string_free (out, FALSE);
}

static gboolean
path_is_within (const char *path,
                const char *folder)
{
  gsize length = strlen (folder);

  if (strcmp (folder, "/") == 0)
    return TRUE;

  return strncmp (path, folder, length) == 0 && path[length] == G_DIR_SEPARATOR;
}

static gboolean
folder_is_empty (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);

  return dir != NULL && g_dir_read_name (dir) == NULL;
}

/* Rejects outputs that could overwrite or remove the source, and existing
 * outputs unless overwriting was asked for. */
static gboolean
check_output (QsQuantizeJob  *self,
              Run            *run,
              GError        **error)
{
  g_autofree char *source = resolve_path (qs_model_get_path (self->model));
  const char *output_path = self->settings->output_path;

  run->output = resolve_path (output_path);

  if (strcmp (run->output, source) == 0)
    return set_output_error (error, _("The output path %s is the source model; choose "
                               "another folder"), output_path);
  if (path_is_within (run->output, source))
    return set_output_error (error, _("The output path %s is inside the source model %s; "
                               "choose a folder outside it"), output_path, source);
  if (path_is_within (source, run->output))
    return set_output_error (error, _("The output path %s contains the source model %s; "
                               "choose a folder that does not"), output_path, source);

  if (g_file_test (run->output, G_FILE_TEST_EXISTS) && !self->settings->overwrite)
    {
      if (!g_file_test (run->output, G_FILE_TEST_IS_DIR))
        return set_output_error (error, _("The output path %s exists and is not a folder; "
                                   "pass --overwrite to replace it"), output_path);
      if (!folder_is_empty (run->output))
        return set_output_error (error, _("The output folder %s is not empty; pass "
                                   "--overwrite to replace it, or choose another folder"),
                                 output_path);
    }

  return TRUE;
}

/* Removes @path and everything below it; links are removed, never followed. */
static void
remove_tree (const char *path)
{
  GStatBuf info;

  if (g_lstat (path, &info) != 0)
    return;

  if (S_ISDIR (info.st_mode))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static gboolean
create_temp_dir (Run     *run,
                 GError **error)
{
  g_autofree char *parent = g_path_get_dirname (run->output);
  g_autofree char *base = g_path_get_basename (run->output);
  g_autofree char *template = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *probe = g_strdup (parent);

  /* Remember the topmost folder created for the output, so that a failed
   * run removes it too. */
  while (!g_file_test (probe, G_FILE_TEST_EXISTS))
    {
      g_free (missing);
      missing = g_strdup (probe);
      g_free (probe);
      probe = g_path_get_dirname (missing);
    }

  if (missing != NULL)
    {
      if (g_mkdir_with_parents (parent, 0755) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Failed to create the folder %s: %s"), parent, g_strerror (saved_errno));
          return FALSE;
        }
      run->created_parent = g_steal_pointer (&missing);
    }

  template = g_strdup_printf ("%s" G_DIR_SEPARATOR_S ".%s.partial-XXXXXX", parent, base);
  if (g_mkdtemp_full (template, 0755) == NULL)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to create a temporary folder beside %s: %s"), run->output,
                   g_strerror (saved_errno));
      return FALSE;
    }

  run->temp_dir = g_steal_pointer (&template);
  return TRUE;
}

static void
discard_output (Run *run)
{
  if (run->temp_dir != NULL)
    remove_tree (run->temp_dir);
  if (run->created_parent != NULL)
    remove_tree (run->created_parent);
}

/* Moves the finished folder into place. An existing output is first moved
 * aside and removed only after the rename succeeded. */
static gboolean
move_into_place (QsQuantizeJob  *self,
                 Run            *run,
                 GError        **error)
{
  g_autofree char *parent = g_path_get_dirname (run->output);
  g_autofree char *base = g_path_get_basename (run->output);
  g_autofree char *old = NULL;
  int saved_errno;

  if (g_file_test (run->output, G_FILE_TEST_IS_DIR) && !g_file_test (run->output, G_FILE_TEST_IS_SYMLINK)
      && folder_is_empty (run->output))
    g_rmdir (run->output);
  else if (g_file_test (run->output, G_FILE_TEST_EXISTS)
           || g_file_test (run->output, G_FILE_TEST_IS_SYMLINK))
    {
      if (!self->settings->overwrite)
        return set_output_error (error, _("The output path %s appeared while writing; nothing "
                                   "was replaced"), self->settings->output_path);

      old = g_strdup_printf ("%s" G_DIR_SEPARATOR_S ".%s.old-XXXXXX", parent, base);
      if (g_mkdtemp_full (old, 0700) == NULL || g_rmdir (old) != 0
          || g_rename (run->output, old) != 0)
        {
          saved_errno = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Failed to move the old output %s aside: %s"), run->output,
                       g_strerror (saved_errno));
          return FALSE;
        }
    }

  if (g_rename (run->temp_dir, run->output) != 0)
    {
      saved_errno = errno;
      if (old != NULL)
        g_rename (old, run->output);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to move %s to %s: %s"), run->temp_dir, run->output,
                   g_strerror (saved_errno));
      return FALSE;
    }

  g_clear_pointer (&run->temp_dir, g_free);
  g_clear_pointer (&run->created_parent, g_free);
  if (old != NULL)
    remove_tree (old);

  return TRUE;
}

/* Component selection and configs */

static char *
component_display_name (const QsComponent *component)
{
  g_autofree char *base = NULL;

  if (component->name[0] != '\0')
    return g_strdup (component->name);

  base = g_path_get_basename (component->path);
  if (g_str_has_suffix (base, ".safetensors"))
    base[strlen (base) - strlen (".safetensors")] = '\0';

  return g_steal_pointer (&base);
}

static char *
list_component_names (QsModel *model)
{
  GString *names = g_string_new (NULL);

  for (guint i = 0; i < qs_model_get_n_components (model); i++)
    {
      g_autofree char *name = component_display_name (qs_model_get_component (model, i));

      g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", name);
    }

  return g_string_free (names, FALSE);
}

/* Checks the pipeline config's keys and --components against the model. */
static gboolean
check_selection (QsQuantizeJob  *self,
                 GError        **error)
{
  GHashTable *pipeline = self->settings->pipeline_config;
  guint n_components = qs_model_get_n_components (self->model);
  g_autofree char *names = list_component_names (self->model);

  if (pipeline != NULL && !(n_components == 1 && g_hash_table_size (pipeline) == 1))
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, pipeline);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          gboolean found = FALSE;

          for (guint i = 0; i < n_components && !found; i++)
            {
              g_autofree char *name = component_display_name (qs_model_get_component (self->model, i));

              found = strcmp (name, key) == 0;
            }
          if (!found)
            {
              g_set_error (error, QS_QUANTIZE_ERROR, QS_QUANTIZE_ERROR_CONFIG,
                           _("The pipeline config names the component “%s”, which %s does not "
                             "have (its components with weights: %s)"), (const char *) key,
                           qs_model_get_name (self->model), names);
              return FALSE;
            }
        }
    }

  for (guint i = 0; self->settings->components != NULL && self->settings->components[i] != NULL; i++)
    {
      const char *requested = self->settings->components[i];
      g_autofree char *subfolder = g_strdup (requested);
      char *colon = strchr (subfolder, ':');
      gboolean found = FALSE;

      /* "subfolder:ClassName" as the analysis script accepts it. */
      if (colon != NULL)
        *colon = '\0';

      for (guint c = 0; c < n_components && !found; c++)
        {
          g_autofree char *name = component_display_name (qs_model_get_component (self->model, c));

          found = strcmp (name, subfolder) == 0;
        }
      if (!found)
        {
          g_set_error (error, QS_QUANTIZE_ERROR, QS_QUANTIZE_ERROR_CONFIG,
                       _("Unknown component “%s”; %s has these components with weights: %s"),
                       subfolder, qs_model_get_name (self->model), names);
          return FALSE;
        }

      if (pipeline != NULL && !(n_components == 1 && g_hash_table_size (pipeline) == 1)
          && !g_hash_table_contains (pipeline, subfolder))
        {
          g_set_error (error, QS_QUANTIZE_ERROR, QS_QUANTIZE_ERROR_CONFIG,
                       _("The pipeline config has no entry for the component “%s”; add one or "
                         "leave it out of --components"), subfolder);
          return FALSE;
        }
    }

  return TRUE;
}

static gboolean
component_is_selected (QsQuantizeJob *self,
                       const char    *name)
{
  char **components = self->settings->components;
  GHashTable *pipeline = self->settings->pipeline_config;
  guint n_components = qs_model_get_n_components (self->model);

  if (components != NULL && components[0] != NULL)
    {
      gboolean listed = FALSE;

      for (guint i = 0; components[i] != NULL && !listed; i++)
        {
          gsize length = strcspn (components[i], ":");

          listed = strlen (name) == length && strncmp (components[i], name, length) == 0;
        }
      if (!listed)
        return FALSE;
    }

  if (pipeline != NULL && !(n_components == 1 && g_hash_table_size (pipeline) == 1))
    return g_hash_table_contains (pipeline, name);

  return TRUE;
}

static const QsSdnqConfig *
component_config (QsQuantizeJob *self,
                  const char    *name)
{
  GHashTable *pipeline = self->settings->pipeline_config;

  if (pipeline == NULL)
    return self->settings->config;

  if (qs_model_get_n_components (self->model) == 1 && g_hash_table_size (pipeline) == 1)
    {
      GHashTableIter iter;
      gpointer value = NULL;

      g_hash_table_iter_init (&iter, pipeline);
      g_hash_table_iter_next (&iter, NULL, &value);
      return value;
    }

  return g_hash_table_lookup (pipeline, name);
}

/* The saved config: SDNQConfig.__dict__ with every key of SDNQ 0.2.x,
 * per-layer group sizes and SVD ranks in modules_quant_config, which is the
 * form released SDNQ reads. */
static JsonNode *
build_quantization_config (const QsSdnqConfig       *config,
                           const QsQuantizeSettings *settings)
{
  JsonNode *node = qs_sdnq_config_to_json (config, QS_CONFIG_STYLE_UPSTREAM);
  JsonObject *object = json_node_get_object (node);
  const QsDtype *dtype = qs_dtype_lookup (config->weights_dtype);
  JsonArray *not_use_matmul = json_array_new ();

  for (guint i = 0; i < config->modules_to_not_use_matmul->len; i++)
    json_array_add_string_element (not_use_matmul,
                                   g_ptr_array_index (config->modules_to_not_use_matmul, i));

  /* Quantscope applies no automatic skip keys, so the saved lists are
   * exactly what was skipped. */
  json_object_set_boolean_member (object, "add_skip_keys", FALSE);
  json_object_set_int_member (object, "codebook_steps", SDNQ_CODEBOOK_STEPS);
  json_object_set_double_member (object, "dynamic_loss_threshold", SDNQ_DYNAMIC_LOSS_THRESHOLD);
  json_object_set_int_member (object, "hadamard_group_size", SDNQ_HADAMARD_GROUP_SIZE);
  json_object_set_boolean_member (object, "is_integer", dtype->is_integer);
  json_object_set_boolean_member (object, "is_training", FALSE);
  json_object_set_boolean_member (object, "is_unsigned", dtype->is_unsigned);
  json_object_set_int_member (object, "minimum_allowed_channel_size",
                              settings->minimum_channel_size);
  json_object_set_int_member (object, "minimum_allowed_numel", (gint64) settings->minimum_numel);
  json_object_set_array_member (object, "modules_to_not_use_matmul", not_use_matmul);
  json_object_set_boolean_member (object, "non_blocking", FALSE);
  json_object_set_boolean_member (object, "quant_conv", config->quant_conv);
  json_object_set_boolean_member (object, "quant_embedding", config->quant_embedding);
  json_object_set_string_member (object, "quant_method", "sdnq");
  json_object_set_null_member (object, "quantization_device");
  json_object_set_null_member (object, "quantized_matmul_dtype");
  json_object_set_null_member (object, "return_device");
  json_object_set_string_member (object, "sdnq_version", SDNQ_VERSION);
  json_object_set_boolean_member (object, "use_codebook", FALSE);
  json_object_set_boolean_member (object, "use_dynamic_quantization", FALSE);
  json_object_set_boolean_member (object, "use_grad_ckpt", TRUE);
  json_object_set_boolean_member (object, "use_hadamard", FALSE);
  json_object_set_boolean_member (object, "use_quantized_matmul_conv", config->use_quantized_matmul_conv);
  json_object_set_boolean_member (object, "use_static_quantization", FALSE);
  json_object_set_boolean_member (object, "use_stochastic_rounding", FALSE);

  return node;
}

/* Serializes @config as SDNQ saves it and parses the text back, so that
 * layers are planned with exactly what a loader reads: SDNQ writes the
 * config with sorted keys, which can reorder modules_dtype_dict and
 * modules_quant_config. */
static QsSdnqConfig *
saved_config_round_trip (const QsSdnqConfig        *config,
                         const QsQuantizeSettings  *settings,
                         const char                *component,
                         JsonNode                 **saved,
                         GError                   **error)
{
  g_autoptr(JsonNode) node = build_quantization_config (config, settings);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *text = qs_json_to_python_string (node);
  QsSdnqConfig *parsed;

  if (!json_parser_load_from_data (parser, text, -1, error))
    return NULL;

  parsed = qs_sdnq_config_from_json (json_parser_get_root (parser), component, error);
  if (parsed == NULL)
    return NULL;

  *saved = json_node_copy (json_parser_get_root (parser));
  return parsed;
}

static const char *
file_stem_for (const QsComponent *component)
{
  g_autofree char *base = NULL;

  if (component->files->len > 0)
    base = g_path_get_basename (qs_safetensors_file_get_path (g_ptr_array_index (component->files, 0)));

  if (base != NULL && g_str_has_prefix (base, "diffusion_pytorch_model"))
    return "diffusion_pytorch_model";
  if (base != NULL && g_str_has_prefix (base, "model"))
    return "model";
  if (g_strcmp0 (component->library, "diffusers") == 0)
    return "diffusion_pytorch_model";

  return "model";
}

static gboolean
dtype_is_quantizable (QsTensorDtype dtype)
{
  /* SDNQ quantizes float64, float32, float16 and bfloat16 weights only. */
  return dtype == QS_TENSOR_F32 || dtype == QS_TENSOR_F16 || dtype == QS_TENSOR_BF16
         || dtype == QS_TENSOR_F64;
}

static char *
layer_stem (const char *param_name)
{
  return g_strndup (param_name, strlen (param_name) - strlen ("weight"));
}

static gboolean
layouts_differ (const QsSdnqLayout *a,
                const QsSdnqLayout *b)
{
  return a->quantized != b->quantized || a->dtype != b->dtype || a->group_size != b->group_size
         || a->use_svd != b->use_svd || a->svd_rank != b->svd_rank
         || a->use_quantized_matmul != b->use_quantized_matmul;
}

/* Fills @plan->entries under @config. Layers that SDNQ's size checks
 * reject are added to @rejected (name → reason). Returns whether a new
 * layer was rejected. */
static gboolean
plan_entries (ComponentPlan            *plan,
              const QsQuantizeSettings *settings,
              GHashTable               *rejected)
{
  const QsComponent *component = plan->component;
  gboolean added = FALSE;

  g_array_set_size (plan->entries, 0);

  for (guint t = 0; t < component->tensors->len; t++)
    {
      const QsTensorInfo *tensor = g_ptr_array_index (component->tensors, t);
      PlanEntry entry = { 0 };
      QsTensorRole role;

      entry.tensor = tensor;
      role = qs_classify_tensor (tensor, &entry.kind);

      if (role == QS_TENSOR_ROLE_LAYER && dtype_is_quantizable (tensor->dtype))
        {
          char *reason = NULL;

          qs_sdnq_layout_derive (plan->config, tensor->name, entry.kind, tensor->shape,
                                 tensor->ndim, &entry.layout);
          /* SDNQ considers Linear layers always, Conv layers with quant_conv
           * and embeddings with quant_embedding. */
          entry.eligible = !(entry.kind == QS_LAYER_CONV && !plan->config->quant_conv)
                           && !(entry.kind == QS_LAYER_EMBEDDING && !plan->config->quant_embedding);

          if (entry.layout.quantized
              && !qs_sdnq_layout_check_quantizable (&entry.layout, settings->minimum_numel,
                                                    settings->minimum_channel_size, &reason))
            {
              g_hash_table_insert (rejected, g_strdup (tensor->name), reason);
              added = TRUE;
            }
          else
            entry.quantize = entry.layout.quantized;
        }

      g_array_append_val (plan->entries, entry);
    }

  return added;
}

static gboolean
plan_component (QsQuantizeJob      *self,
                ComponentPlan      *plan,
                const QsSdnqConfig *base,
                Run                *run,
                GError            **error)
{
  g_autoptr(QsSdnqConfig) config = qs_sdnq_config_copy (base);
  g_autoptr(GHashTable) rejected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) stored_names = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean changed = TRUE;

  plan->entries = g_array_new (FALSE, TRUE, sizeof (PlanEntry));

  for (guint round = 0; changed && round < MAX_PLAN_ROUNDS; round++)
    {
      g_clear_pointer (&plan->config, qs_sdnq_config_free);
      g_clear_pointer (&plan->quantization_config, json_node_unref);

      plan->config = saved_config_round_trip (config, self->settings, plan->display_name,
                                              &plan->quantization_config, error);
      if (plan->config == NULL)
        return FALSE;

      changed = plan_entries (plan, self->settings, rejected);

      /* Every eligible layer left unquantized must be listed, because SDNQ's
       * loader skips the size checks and would expect a quantized layer. */
      for (guint i = 0; i < plan->entries->len; i++)
        {
          const PlanEntry *entry = &g_array_index (plan->entries, PlanEntry, i);
          const char *name = entry->tensor->name;

          if (g_hash_table_contains (rejected, name)
              && !g_ptr_array_find_with_equal_func (config->modules_to_not_convert, name,
                                                    g_str_equal, NULL))
            g_ptr_array_add (config->modules_to_not_convert, g_strdup (name));
        }
    }

  if (changed)
    {
      g_set_error (error, QS_QUANTIZE_ERROR, QS_QUANTIZE_ERROR_CONFIG,
                   _("Component %s: the list of layers to leave unquantized did not settle"),
                   plan->display_name);
      return FALSE;
    }

  for (guint t = 0; t < plan->component->tensors->len; t++)
    {
      const QsTensorInfo *tensor = g_ptr_array_index (plan->component->tensors, t);

      g_hash_table_add (stored_names, tensor->name);
    }

  for (guint i = 0; i < plan->entries->len; i++)
    {
      PlanEntry *entry = &g_array_index (plan->entries, PlanEntry, i);
      QsQuantizeLayerRecord *record;
      QsSdnqLayout requested;
      const char *name = entry->tensor->name;

      if (!entry->eligible)
        continue;

      record = g_new0 (QsQuantizeLayerRecord, 1);
      record->component = g_strdup (plan->display_name);
      record->name = g_strdup (name);
      record->quantized = entry->quantize;
      if (g_hash_table_contains (rejected, name))
        record->reason = g_strdup (g_hash_table_lookup (rejected, name));
      else if (!entry->quantize)
        record->reason = g_strdup ("matched by modules_to_not_convert");
      record->dtype = g_strdup (entry->layout.dtype->name);
      record->group_size = entry->layout.group_size;
      record->svd_rank = entry->layout.use_svd ? entry->layout.svd_effective_rank : 0;
      record->use_quantized_matmul = entry->layout.use_quantized_matmul;
      record->transposed = entry->layout.transposed;
      record->nmse = NAN;
      record->verified_nmse = NAN;
      record->original_bytes = entry->tensor->data_end - entry->tensor->data_begin;
      g_ptr_array_add (run->result->layers, record);
      entry->record = record;

      if (!entry->quantize)
        continue;

      /* SDNQ adds <path>.scale and the other tensors beside the weight; a
       * source tensor with one of those names would be overwritten. */
      {
        static const char * const suffixes[] = { "scale", "zero_point", "svd_up", "svd_down" };
        g_autofree char *stem = layer_stem (name);

        for (guint s = 0; s < G_N_ELEMENTS (suffixes); s++)
          {
            g_autofree char *extra = g_strconcat (stem, suffixes[s], NULL);

            if (g_hash_table_contains (stored_names, extra))
              {
                g_set_error (error, QS_QUANTIZE_ERROR, QS_QUANTIZE_ERROR_LAYER,
                             _("Layer %s cannot be quantized: the source already has a tensor "
                               "%s, the name SDNQ gives the layer's %s"), name, extra, suffixes[s]);
                return FALSE;
              }
          }
      }

      /* The layer as the config was given, before SDNQ's sorted save. */
      qs_sdnq_layout_derive (base, name, entry->kind, entry->tensor->shape, entry->tensor->ndim,
                             &requested);
      if (layouts_differ (&requested, &entry->layout))
        g_ptr_array_add (run->result->notes,
                         g_strdup_printf (_("%s/%s: written as %s instead of %s, because SDNQ "
                                            "reads the saved config with its keys sorted or its "
                                            "per-layer dicts folded into modules_quant_config"),
                                          plan->display_name, name, entry->layout.dtype->name,
                                          requested.dtype->name));
    }

  return TRUE;
}

static gboolean
build_plans (QsQuantizeJob  *self,
             Run            *run,
             GError        **error)
{
  g_autofree char *model_path = g_canonicalize_filename (qs_model_get_path (self->model), NULL);
  gboolean single_file = !g_file_test (model_path, G_FILE_TEST_IS_DIR);

  run->plans = g_ptr_array_new_with_free_func ((GDestroyNotify) component_plan_free);

  for (guint i = 0; i < qs_model_get_n_components (self->model); i++)
    {
      const QsComponent *component = qs_model_get_component (self->model, i);
      ComponentPlan *plan = g_new0 (ComponentPlan, 1);
      QsQuantizeComponentRecord *record = g_new0 (QsQuantizeComponentRecord, 1);
      g_autofree char *folder = NULL;

      g_ptr_array_add (run->plans, plan);
      plan->component = component;
      plan->display_name = component_display_name (component);
      plan->quantize = component_is_selected (self, plan->display_name);
      plan->file_stem = g_strdup (file_stem_for (component));

      folder = single_file ? g_strdup (model_path) : g_canonicalize_filename (component->path, NULL);
      if (single_file || strcmp (folder, model_path) == 0)
        plan->relative_dir = g_strdup ("");
      else if (path_is_within (folder, model_path))
        plan->relative_dir = g_strdup (folder + strlen (model_path) + 1);
      else
        plan->relative_dir = g_strdup (component->name);

      record->name = g_strdup (component->name);
      record->quantized = plan->quantize;
      record->original_bytes = component->total_bytes;
      g_ptr_array_add (run->result->components, record);
      plan->record = record;

      if (plan->quantize && !plan_component (self, plan, component_config (self, plan->display_name),
                                             run, error))
        return FALSE;
    }

  return TRUE;
}

/* Files copied unchanged */

static gboolean
is_weight_file (const char *name)
{
  static const char * const suffixes[] = {
    ".safetensors", ".safetensors.index.json", ".bin", ".bin.index.json", ".pt", ".pth",
    ".ckpt", ".msgpack", ".h5", ".gguf",
  };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      if (g_str_has_suffix (name, suffixes[i]))
        return TRUE;
    }

  return FALSE;
}

/* Whether a file directly in a quantized component's folder is replaced by
 * what the writer produces: the weights in every format (stale full-size
 * weights would shadow the quantized ones) and the configs. */
static gboolean
is_replaced (Run        *run,
             const char *relative_dir,
             const char *name)
{
  for (guint i = 0; i < run->plans->len; i++)
    {
      const ComponentPlan *plan = g_ptr_array_index (run->plans, i);

      if (!plan->quantize || strcmp (plan->relative_dir, relative_dir) != 0)
        continue;

      return is_weight_file (name) || strcmp (name, "config.json") == 0
             || strcmp (name, "quantization_config.json") == 0;
    }

  return FALSE;
}

static gboolean
collect_copies (Run         *run,
                const char  *root,
                const char  *relative_dir,
                guint        depth,
                GError     **error)
{
  g_autofree char *folder = relative_dir[0] != '\0' ? g_build_filename (root, relative_dir, NULL)
                                                    : g_strdup (root);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  /* Links can form cycles; model folders are never this deep. */
  if (depth > 16)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS,
                   _("%s is nested more than 16 folders deep; a link may form a cycle"), folder);
      return FALSE;
    }

  dir = g_dir_open (folder, 0, error);
  if (dir == NULL)
    return FALSE;

  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);

  for (guint i = 0; i < names->len; i++)
    {
      const char *child_name = g_ptr_array_index (names, i);
      g_autofree char *path = g_build_filename (folder, child_name, NULL);
      g_autofree char *relative = relative_dir[0] != '\0'
                                  ? g_build_filename (relative_dir, child_name, NULL)
                                  : g_strdup (child_name);
      GStatBuf info;

      /* stat follows links, so hub-cache snapshots copy the blob contents. */
      if (g_stat (path, &info) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Failed to read %s: %s"), path, g_strerror (saved_errno));
          return FALSE;
        }

      if (S_ISDIR (info.st_mode))
        {
          g_ptr_array_add (run->directories, g_strdup (relative));
          if (!collect_copies (run, root, relative, depth + 1, error))
            return FALSE;
        }
      else if (S_ISREG (info.st_mode) && !is_replaced (run, relative_dir, child_name))
        {
          CopyItem *item = g_new0 (CopyItem, 1);

          item->source = g_steal_pointer (&path);
          item->relative = g_steal_pointer (&relative);
          item->size = (guint64) info.st_size;
          run->copy_bytes += item->size;
          g_ptr_array_add (run->copies, item);
        }
    }

  return TRUE;
}

static gboolean
copy_files (QsQuantizeJob  *self,
            Run            *run,
            GCancellable   *cancellable,
            GError        **error)
{
  for (guint i = 0; i < run->directories->len; i++)
    {
      g_autofree char *path = g_build_filename (run->temp_dir,
                                                g_ptr_array_index (run->directories, i), NULL);

      if (g_mkdir_with_parents (path, 0755) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Failed to create %s: %s"), path, g_strerror (saved_errno));
          return FALSE;
        }
    }

  for (guint i = 0; i < run->plans->len; i++)
    {
      const ComponentPlan *plan = g_ptr_array_index (run->plans, i);
      g_autofree char *path = g_build_filename (run->temp_dir, plan->relative_dir, NULL);

      if (plan->quantize && g_mkdir_with_parents (path, 0755) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Failed to create %s: %s"), path, g_strerror (saved_errno));
          return FALSE;
        }
    }

  set_progress (self, "copying", NULL, 0, 0);

  for (guint i = 0; i < run->copies->len; i++)
    {
      const CopyItem *item = g_ptr_array_index (run->copies, i);
      g_autofree char *dest_path = g_build_filename (run->temp_dir, item->relative, NULL);
      g_autoptr(GFile) source = g_file_new_for_path (item->source);
      g_autoptr(GFile) dest = g_file_new_for_path (dest_path);

      set_progress (self, NULL, item->relative, 0, 0);
      if (!g_file_copy (source, dest, G_FILE_COPY_NONE, cancellable, NULL, NULL, error))
        {
          if (!g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_prefix_error (error, _("Failed to copy %s: "), item->source);
          return FALSE;
        }
      set_progress (self, NULL, NULL, item->size, 0);
    }

  return TRUE;
}

/* Writing one component */

static void
encode_values (const float   *values,
               gsize          n,
               QsTensorDtype  dtype,
               guint8        *out)
{
  for (gsize i = 0; i < n; i++)
    {
      switch (dtype)
        {
        case QS_TENSOR_BF16:
          qs_store_u16_le (out + 2 * i, qs_f32_to_bf16 (values[i]));
          break;
        case QS_TENSOR_F16:
          qs_store_u16_le (out + 2 * i, qs_f32_to_f16 (values[i]));
          break;
        case QS_TENSOR_F32:
        default:
          {
            guint32 bits;

            memcpy (&bits, &values[i], sizeof bits);
            qs_store_u32_le (out + 4 * i, bits);
          }
          break;
        }
    }
}

static gboolean
write_values (QsSafetensorsWriter  *writer,
              const char           *name,
              const float          *values,
              gsize                 n,
              QsTensorDtype         dtype,
              guint64              *stored_bytes,
              GError              **error)
{
  gsize size = n * (qs_tensor_dtype_get_bits (dtype) / 8);
  g_autofree guint8 *bytes = g_malloc (MAX (size, 1));

  encode_values (values, n, dtype, bytes);
  *stored_bytes += size;

  return qs_safetensors_writer_write (writer, name, bytes, size, error);
}

/* SDNQ's code for a quantized value: NaN becomes 0, the value is clamped to
 * the dtype's range, then rounded half to even for integers, encoded with
 * SDNQ's rounding for custom floats, or cast with round-to-nearest-even for
 * native floats. */
static guint32
code_for_value (const QsDtype *dtype,
                float          q)
{
  guint32 bits;

  q = isnan (q) ? 0.0f : q;
  q = q < (float) dtype->min ? (float) dtype->min : q;
  q = q > (float) dtype->max ? (float) dtype->max : q;

  switch (dtype->kind)
    {
    case QS_DTYPE_KIND_INT:
      return (guint32) ((gint64) rintf (q) - (gint64) dtype->min);

    case QS_DTYPE_KIND_CUSTOM_FLOAT:
      return qs_encode_custom_float (dtype, q);

    case QS_DTYPE_KIND_NATIVE_FLOAT:
    default:
      switch (dtype->storage)
        {
        case QS_STORAGE_F8_E4M3:
          return qs_f32_to_f8e4m3 (q);
        case QS_STORAGE_F8_E5M2:
          return qs_f32_to_f8e5m2 (q);
        case QS_STORAGE_F16:
          return qs_f32_to_f16 (q);
        case QS_STORAGE_BF16:
          return qs_f32_to_bf16 (q);
        default:
          memcpy (&bits, &q, sizeof bits);
          return bits;
        }
    }
}

/* Quantizes one group with its scale and zero point rounded to the model
 * dtype before the division, as SDNQ does when dequantize_fp32 is off. */
static gboolean
quantize_group_rounded (const QsDtype *dtype,
                        const float   *x,
                        gsize          n,
                        QsModelDtype   model_dtype,
                        guint32       *codes,
                        float         *scale,
                        float         *zero_point)
{
  float s;
  float zp;

  qs_quantize_group (dtype, x, n, NULL, &s, &zp);
  s = qs_model_dtype_round (model_dtype, s);
  zp = dtype->is_unsigned ? qs_model_dtype_round (model_dtype, zp) : 0.0f;

  for (gsize i = 0; i < n; i++)
    {
      float q = dtype->is_unsigned ? (x[i] - zp) / s : x[i] / s;

      codes[i] = code_for_value (dtype, q);
    }

  *scale = s;
  *zero_point = zp;

  return s == 0.0f;
}

/* qs_quantize_layer() with scales in the model dtype. */
static QsQuantizedLayer *
quantize_layer_rounded (const QsDtype       *dtype,
                        const QsGroupLayout *layout,
                        const float         *weight,
                        QsModelDtype         model_dtype)
{
  QsQuantizedLayer *layer = g_new0 (QsQuantizedLayer, 1);
  gsize group_size = (gsize) layout->group_size;
  gsize spatial = (gsize) layout->spatial;
  gsize n_values = (gsize) layout->rows * (gsize) layout->channels * spatial;
  gsize n_scales = (gsize) layout->rows * (gsize) layout->n_groups * spatial;
  g_autofree float *gathered = g_new (float, group_size);
  g_autofree guint32 *gathered_codes = g_new (guint32, group_size);

  layer->dtype = dtype;
  layer->layout = *layout;
  layer->codes = g_new (guint32, n_values);
  layer->scales = g_new (float, n_scales);
  if (dtype->is_unsigned)
    layer->zero_points = g_new (float, n_scales);

  for (gint64 o = 0; o < layout->rows; o++)
    {
      for (gint64 g = 0; g < layout->n_groups; g++)
        {
          gsize first = ((gsize) o * (gsize) layout->channels + (gsize) g * group_size) * spatial;
          gsize scale_base = ((gsize) o * (gsize) layout->n_groups + (gsize) g) * spatial;

          for (gsize s = 0; s < spatial; s++)
            {
              float zero_point;

              for (gsize j = 0; j < group_size; j++)
                gathered[j] = weight[first + j * spatial + s];

              if (quantize_group_rounded (dtype, gathered, group_size, model_dtype, gathered_codes,
                                          &layer->scales[scale_base + s], &zero_point))
                layer->n_degenerate_groups++;

              for (gsize j = 0; j < group_size; j++)
                layer->codes[first + j * spatial + s] = gathered_codes[j];
              if (layer->zero_points != NULL)
                layer->zero_points[scale_base + s] = zero_point;
            }
        }
    }

  return layer;
}

static double
compute_nmse (const float *original,
              const float *reconstruction,
              gsize        n)
{
  QsReferenceStats reference;
  QsErrorSums sums;
  QsMetrics metrics;

  qs_reference_stats_compute (&reference, original, n);
  qs_error_sums_clear (&sums);
  qs_error_sums_add (&sums, original, reconstruction, n);
  qs_metrics_from_sums (&metrics, &sums, &reference);

  return metrics.nmse;
}

static void
round_to_load_dtype (float       *data,
                     gsize        n,
                     QsLoadDtype  load_dtype)
{
  if (load_dtype == QS_LOAD_DTYPE_BF16)
    qs_model_dtype_round_array (QS_MODEL_DTYPE_BF16, data, n);
  else if (load_dtype == QS_LOAD_DTYPE_F16)
    qs_model_dtype_round_array (QS_MODEL_DTYPE_F16, data, n);
}

/* Decodes a layer's weight as SDNQ reads it, rejecting NaN and Inf, which
 * would reach the scales of the written file. */
static float *
load_weight (QsQuantizeJob       *self,
             const QsTensorInfo  *tensor,
             GError             **error)
{
  g_autofree float *data = NULL;
  guint64 n_nan = 0;
  guint64 n_inf = 0;
  gint64 first = -1;

  if (tensor->numel > G_MAXSIZE / sizeof (float)
      || (data = g_try_new (float, tensor->numel)) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   _("Not enough memory to decode layer %s (%llu elements)"),
                   tensor->name, (unsigned long long) tensor->numel);
      return NULL;
    }

  if (!qs_tensor_decode_rows (tensor, 0, tensor->shape[0], data, error))
    return NULL;

  round_to_load_dtype (data, tensor->numel, self->settings->load_dtype);

  for (guint64 i = 0; i < tensor->numel; i++)
    {
      if (isnan (data[i]))
        n_nan++;
      else if (isinf (data[i]))
        n_inf++;
      else
        continue;
      if (first < 0)
        first = (gint64) i;
    }

  if (n_nan > 0 || n_inf > 0)
    {
      g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NON_FINITE,
                   _("Layer %s contains %llu NaN and %llu Inf values (the first at flat "
                     "index %lld); fix the checkpoint or leave the layer unquantized with "
                     "modules_to_not_convert"),
                   tensor->name, (unsigned long long) n_nan, (unsigned long long) n_inf,
                   (long long) first);
      return NULL;
    }

  return g_steal_pointer (&data);
}

/* Rejects a computed tensor with NaN or Inf, so that no written file
 * contains one. A scale overflows when a group spans more than FLT_MAX, and
 * values in a float16 model dtype overflow above 65504. */
static gboolean
check_finite (const float  *values,
              gsize         n,
              const char   *what,
              const char   *layer,
              GError      **error)
{
  for (gsize i = 0; i < n; i++)
    {
      if (!isfinite (values[i]))
        {
          g_set_error (error, QS_QUANTIZE_ERROR, QS_QUANTIZE_ERROR_LAYER,
                       _("Layer %s: its %s is not finite (%g at index %llu), so it "
                         "cannot be stored; use a wider model dtype such as bf16, or leave the "
                         "layer unquantized with modules_to_not_convert"),
                       layer, what, values[i], (unsigned long long) i);
          return FALSE;
        }
    }

  return TRUE;
}

/* The low-rank branch: factors rounded to the model dtype, and the
 * residual W − up·down with the product computed in the model dtype. */
static QsLowRank *
compute_svd (QsQuantizeJob       *self,
             const ComponentPlan *plan,
             const PlanEntry     *entry,
             const float         *data,
             float              **product,
             GCancellable        *cancellable,
             GError             **error)
{
  const QsSdnqLayout *layout = &entry->layout;
  gint64 rows = layout->shape[0];
  gint64 cols = (gint64) (entry->tensor->numel / (guint64) rows);
  guint64 seed = qs_lowrank_seed_for_layer (self->settings->seed, plan->display_name,
                                            entry->tensor->name, 0);
  g_autoptr(QsLowRank) lowrank = NULL;
  g_autoptr(GError) local_error = NULL;

  lowrank = qs_lowrank_compute (data, rows, cols, layout->svd_rank, plan->config->svd_steps,
                                seed, cancellable, &local_error);
  if (lowrank == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, QS_QUANTIZE_ERROR, QS_QUANTIZE_ERROR_LAYER,
                     _("Layer %s: the rank-%u SVD failed: %s; leave the layer without SVD"),
                     entry->tensor->name, layout->svd_rank, local_error->message);
      return NULL;
    }

  if (lowrank->rank != layout->svd_effective_rank)
    {
      g_set_error (error, QS_QUANTIZE_ERROR, QS_QUANTIZE_ERROR_LAYER,
                   _("Layer %s: the SVD produced rank %u where SDNQ's layout has rank %u"),
                   entry->tensor->name, lowrank->rank, layout->svd_effective_rank);
      return NULL;
    }

  qs_lowrank_round (lowrank, self->settings->model_dtype);
  if (!check_finite (lowrank->up, (gsize) rows * lowrank->rank, "SVD factor svd_up",
                     entry->tensor->name, error)
      || !check_finite (lowrank->down, (gsize) lowrank->rank * (gsize) cols, "SVD factor svd_down",
                        entry->tensor->name, error))
    return NULL;

  *product = g_new (float, entry->tensor->numel);
  qs_lowrank_product (lowrank, self->settings->model_dtype, *product);
  if (!check_finite (*product, entry->tensor->numel, "SVD product", entry->tensor->name, error))
    {
      g_clear_pointer (product, g_free);
      return NULL;
    }

  return g_steal_pointer (&lowrank);
}

static gboolean
write_svd_factors (QsQuantizeJob        *self,
                   QsSafetensorsWriter  *writer,
                   const PlanEntry      *entry,
                   const QsLowRank      *lowrank,
                   guint64              *stored_bytes,
                   GError              **error)
{
  QsTensorDtype dtype = qs_model_dtype_to_tensor_dtype (self->settings->model_dtype);
  g_autofree char *stem = layer_stem (entry->tensor->name);
  g_autofree char *up_name = g_strconcat (stem, "svd_up", NULL);
  g_autofree char *down_name = g_strconcat (stem, "svd_down", NULL);
  gsize up_n = (gsize) lowrank->rows * lowrank->rank;
  gsize down_n = (gsize) lowrank->rank * (gsize) lowrank->cols;

  if (entry->layout.use_quantized_matmul)
    {
      g_autofree float *up_t = g_new (float, up_n);
      g_autofree float *down_t = g_new (float, down_n);

      qs_sdnq_transpose (lowrank->up, up_t, lowrank->rows, lowrank->rank, sizeof (float));
      qs_sdnq_transpose (lowrank->down, down_t, lowrank->rank, lowrank->cols, sizeof (float));

      return write_values (writer, up_name, up_t, up_n, dtype, stored_bytes, error)
             && write_values (writer, down_name, down_t, down_n, dtype, stored_bytes, error);
    }

  return write_values (writer, up_name, lowrank->up, up_n, dtype, stored_bytes, error)
         && write_values (writer, down_name, lowrank->down, down_n, dtype, stored_bytes, error);
}

static gboolean
write_quantized_layer (QsQuantizeJob        *self,
                       const ComponentPlan  *plan,
                       PlanEntry            *entry,
                       QsSafetensorsWriter  *writer,
                       GCancellable         *cancellable,
                       GError              **error)
{
  const QsSdnqLayout *layout = &entry->layout;
  const QsTensorInfo *tensor = entry->tensor;
  QsModelDtype model_dtype = self->settings->model_dtype;
  QsTensorDtype scale_dtype = qs_sdnq_layout_get_scale_dtype (layout, model_dtype);
  gsize numel = (gsize) tensor->numel;
  gsize n_scales = (gsize) qs_sdnq_shape_numel (layout->scale_shape, layout->scale_ndim);
  g_autofree float *data = NULL;
  g_autofree float *product = NULL;
  g_autofree float *residual = NULL;
  g_autofree float *reconstruction = NULL;
  g_autofree guint8 *packed = NULL;
  g_autofree char *stem = layer_stem (tensor->name);
  g_autofree char *scale_name = g_strconcat (stem, "scale", NULL);
  g_autofree char *zero_point_name = g_strconcat (stem, "zero_point", NULL);
  g_autoptr(QsLowRank) lowrank = NULL;
  g_autoptr(QsQuantizedLayer) quantized = NULL;
  guint64 stored_bytes = 0;
  gsize packed_size;

  data = load_weight (self, tensor, error);
  if (data == NULL)
    return FALSE;

  if (layout->use_svd)
    {
      lowrank = compute_svd (self, plan, entry, data, &product, cancellable, error);
      if (lowrank == NULL)
        return FALSE;

      residual = g_new (float, numel);
      for (gsize i = 0; i < numel; i++)
        residual[i] = data[i] - product[i];
    }

  if (layout->scale_in_model_dtype)
    quantized = quantize_layer_rounded (layout->dtype, &layout->groups,
                                        residual != NULL ? residual : data, model_dtype);
  else
    quantized = qs_quantize_layer (layout->dtype, &layout->groups,
                                   residual != NULL ? residual : data);
  g_clear_pointer (&residual, g_free);

  if (!check_finite (quantized->scales, n_scales, "scale", tensor->name, error)
      || (quantized->zero_points != NULL
          && !check_finite (quantized->zero_points, n_scales, "zero point", tensor->name, error)))
    return FALSE;

  /* Codes in stored order: [I, O] when the weight is stored transposed. */
  packed_size = qs_packed_size (layout->dtype, numel);
  packed = g_malloc (MAX (packed_size, 1));
  if (layout->transposed)
    {
      g_autofree guint32 *transposed = g_new (guint32, numel);

      qs_sdnq_transpose (quantized->codes, transposed, layout->quantized_shape[0],
                         layout->quantized_shape[1], sizeof (guint32));
      if (!qs_pack_codes (layout->dtype, transposed, numel, packed, error))
        return FALSE;
    }
  else if (!qs_pack_codes (layout->dtype, quantized->codes, numel, packed, error))
    return FALSE;

  /* The direct reconstruction that verification compares with. Codes of
   * uint9 to uint15 collide when packed, so they go through the packer as
   * SDNQ's do. */
  if (qs_dtype_needs_pack_round_trip (layout->dtype)
      && !qs_unpack_codes (layout->dtype, packed, numel, quantized->codes, error))
    return FALSE;

  reconstruction = g_new (float, numel);
  qs_dequantize_layer (quantized, reconstruction);
  if (product != NULL)
    {
      for (gsize i = 0; i < numel; i++)
        reconstruction[i] += product[i];
    }
  entry->record->nmse = compute_nmse (data, reconstruction, numel);
  g_clear_pointer (&reconstruction, g_free);
  g_clear_pointer (&data, g_free);
  g_clear_pointer (&product, g_free);

  if (!qs_safetensors_writer_write (writer, tensor->name, packed, packed_size, error))
    return FALSE;
  stored_bytes += packed_size;

  if (!write_values (writer, scale_name, quantized->scales, n_scales, scale_dtype,
                     &stored_bytes, error))
    return FALSE;
  if (layout->has_zero_point
      && !write_values (writer, zero_point_name, quantized->zero_points, n_scales, scale_dtype,
                        &stored_bytes, error))
    return FALSE;
  if (lowrank != NULL && !write_svd_factors (self, writer, entry, lowrank, &stored_bytes, error))
    return FALSE;

  entry->record->stored_bytes = stored_bytes;
  return TRUE;
}

static void
declare_tensors (QsSafetensorsWriter *writer,
                 const ComponentPlan *plan,
                 QsModelDtype         model_dtype)
{
  for (guint i = 0; i < plan->entries->len; i++)
    {
      const PlanEntry *entry = &g_array_index (plan->entries, PlanEntry, i);
      const QsSdnqLayout *layout = &entry->layout;
      QsTensorDtype scale_dtype;
      QsTensorDtype svd_dtype;
      g_autofree char *stem = NULL;
      g_autofree char *scale = NULL;
      g_autofree char *zero_point = NULL;
      g_autofree char *up = NULL;
      g_autofree char *down = NULL;

      if (!entry->quantize)
        {
          qs_safetensors_writer_add_tensor (writer, entry->tensor->name, entry->tensor->dtype,
                                            entry->tensor->shape, entry->tensor->ndim);
          continue;
        }

      stem = layer_stem (entry->tensor->name);
      scale = g_strconcat (stem, "scale", NULL);
      zero_point = g_strconcat (stem, "zero_point", NULL);
      up = g_strconcat (stem, "svd_up", NULL);
      down = g_strconcat (stem, "svd_down", NULL);
      scale_dtype = qs_sdnq_layout_get_scale_dtype (layout, model_dtype);
      svd_dtype = qs_model_dtype_to_tensor_dtype (model_dtype);

      qs_safetensors_writer_add_tensor (writer, entry->tensor->name, layout->weight_dtype,
                                        layout->weight_shape, layout->weight_ndim);
      qs_safetensors_writer_add_tensor (writer, scale, scale_dtype, layout->scale_shape,
                                        layout->scale_ndim);
      if (layout->has_zero_point)
        qs_safetensors_writer_add_tensor (writer, zero_point, scale_dtype, layout->scale_shape,
                                          layout->scale_ndim);
      if (layout->use_svd)
        {
          qs_safetensors_writer_add_tensor (writer, up, svd_dtype, layout->svd_up_shape, 2);
          qs_safetensors_writer_add_tensor (writer, down, svd_dtype, layout->svd_down_shape, 2);
        }
    }
}

static gboolean
write_configs (const ComponentPlan  *plan,
               const char           *folder,
               GError              **error)
{
  g_autofree char *source_folder = g_file_test (plan->component->path, G_FILE_TEST_IS_DIR)
                                   ? g_strdup (plan->component->path) : NULL;
  g_autofree char *source_config = source_folder != NULL
                                   ? g_build_filename (source_folder, "config.json", NULL) : NULL;
  g_autofree char *quant_path = g_build_filename (folder, "quantization_config.json", NULL);
  g_autofree char *quant_text = qs_json_to_python_string (plan->quantization_config);
  g_autofree char *quant_contents = g_strconcat (quant_text, "\n", NULL);

  /* diffusers and transformers save config.json with the quantization
   * config inside; save_sdnq_model also writes it beside. Without a source
   * config.json there are no architecture keys to keep, so only the
   * separate file is written. */
  if (source_config != NULL && g_file_test (source_config, G_FILE_TEST_IS_REGULAR))
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autofree char *config_path = g_build_filename (folder, "config.json", NULL);
      g_autofree char *text = NULL;
      g_autofree char *contents = NULL;
      JsonNode *root;

      if (!json_parser_load_from_file (parser, source_config, error))
        {
          g_prefix_error (error, "%s: ", source_config);
          return FALSE;
        }
      root = json_parser_get_root (parser);
      if (!JSON_NODE_HOLDS_OBJECT (root))
        {
          g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                       _("%s: the top level is not a JSON object"), source_config);
          return FALSE;
        }

      json_object_set_member (json_node_get_object (root), "quantization_config",
                              json_node_copy (plan->quantization_config));
      text = qs_json_to_python_string (root);
      contents = g_strconcat (text, "\n", NULL);
      if (!qs_write_new_file (config_path, contents, strlen (contents), error))
        return FALSE;
    }

  return qs_write_new_file (quant_path, quant_contents, strlen (quant_contents), error);
}

static gboolean
write_component (QsQuantizeJob  *self,
                 Run            *run,
                 ComponentPlan  *plan,
                 GCancellable   *cancellable,
                 GError        **error)
{
  g_autofree char *folder = g_build_filename (run->temp_dir, plan->relative_dir, NULL);
  g_autoptr(QsSafetensorsWriter) writer = NULL;

  writer = qs_safetensors_writer_new (folder, plan->file_stem, self->settings->max_shard_size);
  declare_tensors (writer, plan, self->settings->model_dtype);
  if (!qs_safetensors_writer_open (writer, error))
    return FALSE;

  set_progress (self, "quantizing", NULL, 0, 0);

  for (guint i = 0; i < plan->entries->len; i++)
    {
      PlanEntry *entry = &g_array_index (plan->entries, PlanEntry, i);
      const QsTensorInfo *tensor = entry->tensor;
      guint64 size = tensor->data_end - tensor->data_begin;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      if (!entry->quantize)
        {
          /* Carried through byte for byte, straight from the mapped file. */
          if (!qs_safetensors_writer_write (writer, tensor->name,
                                            qs_safetensors_file_get_data (tensor->file, tensor),
                                            size, error))
            return FALSE;
          if (entry->record != NULL)
            entry->record->stored_bytes = size;
          set_progress (self, NULL, NULL, size, 0);
          continue;
        }

      {
        g_autofree char *current = g_strdup_printf ("%s/%s", plan->display_name, tensor->name);

        set_progress (self, NULL, current, 0, 0);
      }

      if (!write_quantized_layer (self, plan, entry, writer, cancellable, error))
        return FALSE;

      set_progress (self, NULL, NULL, size, 1);
      g_signal_emit (self, signals[LAYER_WRITTEN], 0, tensor->name);
    }

  if (!qs_safetensors_writer_close (writer, error))
    return FALSE;

  plan->record->n_shards = qs_safetensors_writer_get_n_shards (writer);
  plan->record->stored_bytes = qs_safetensors_writer_get_total_size (writer);

  return write_configs (plan, folder, error);
}

/* Verification */

static const QsComponent *
find_written_component (QsModel             *written,
                        const ComponentPlan *plan)
{
  for (guint i = 0; i < qs_model_get_n_components (written); i++)
    {
      const QsComponent *component = qs_model_get_component (written, i);

      if (strcmp (component->name, plan->component->name) == 0)
        return component;
    }

  return NULL;
}

static gboolean
nmse_agrees (double written,
             double read_back,
             double *difference)
{
  double scale;

  if (isinf (written) || isinf (read_back) || isnan (written) || isnan (read_back))
    {
      *difference = 0;
      return (isinf (written) && isinf (read_back)) || (isnan (written) && isnan (read_back));
    }

  scale = MAX (fabs (written), fabs (read_back));
  *difference = scale > 0 ? fabs (written - read_back) / scale : 0;

  return *difference <= QS_QUANTIZE_VERIFY_TOLERANCE;
}

static gboolean
verify_entry (QsQuantizeJob      *self,
              Run                *run,
              QsSdnqReader       *reader,
              const QsComponent  *written,
              PlanEntry          *entry,
              GError            **error)
{
  const QsTensorInfo *tensor = entry->tensor;
  g_autofree float *original = NULL;
  g_autofree float *read_back = NULL;
  double difference;

  if (!entry->quantize)
    {
      const QsTensorInfo *stored = NULL;

      for (guint f = 0; f < written->files->len && stored == NULL; f++)
        stored = qs_safetensors_file_lookup (g_ptr_array_index (written->files, f), tensor->name);

      if (stored == NULL || stored->dtype != tensor->dtype
          || stored->data_end - stored->data_begin != tensor->data_end - tensor->data_begin
          || memcmp (qs_safetensors_file_get_data (stored->file, stored),
                     qs_safetensors_file_get_data (tensor->file, tensor),
                     tensor->data_end - tensor->data_begin) != 0)
        {
          g_set_error (error, QS_QUANTIZE_ERROR, QS_QUANTIZE_ERROR_VERIFY,
                       _("Verification failed: tensor %s was not copied unchanged"), tensor->name);
          return FALSE;
        }
      return TRUE;
    }

  original = load_weight (self, tensor, error);
  if (original == NULL)
    return FALSE;

  read_back = g_try_new (float, tensor->numel);
  if (read_back == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   _("Not enough memory to verify layer %s"), tensor->name);
      return FALSE;
    }

  if (!qs_sdnq_reader_dequantize_layer (reader, written, tensor->name, entry->kind, tensor->shape,
                                        tensor->ndim, read_back, error))
    {
      g_prefix_error (error, _("Verification failed: "));
      return FALSE;
    }

  entry->record->verified_nmse = compute_nmse (original, read_back, (gsize) tensor->numel);
  if (!nmse_agrees (entry->record->nmse, entry->record->verified_nmse, &difference))
    {
      g_set_error (error, QS_QUANTIZE_ERROR, QS_QUANTIZE_ERROR_VERIFY,
                   _("Verification failed for layer %s: its NMSE read back from the files is "
                     "%.9g, but %.9g when it was written"), tensor->name,
                   entry->record->verified_nmse, entry->record->nmse);
      return FALSE;
    }
  run->result->max_verify_difference = MAX (run->result->max_verify_difference, difference);

  return TRUE;
}

static gboolean
verify_output (QsQuantizeJob  *self,
               Run            *run,
               GCancellable   *cancellable,
               GError        **error)
{
  g_autoptr(QsSdnqReader) reader = NULL;

  set_progress (self, "verifying", NULL, 0, 0);

  reader = qs_sdnq_reader_open (run->temp_dir, error);
  if (reader == NULL)
    {
      g_prefix_error (error, _("Verification failed: the written model cannot be opened: "));
      return FALSE;
    }

  for (guint p = 0; p < run->plans->len; p++)
    {
      ComponentPlan *plan = g_ptr_array_index (run->plans, p);
      const QsComponent *written;
      g_autoptr(GPtrArray) layers = NULL;

      if (!plan->quantize)
        continue;

      written = find_written_component (qs_sdnq_reader_get_model (reader), plan);
      if (written == NULL || qs_sdnq_reader_get_config (reader, written) == NULL)
        {
          g_set_error (error, QS_QUANTIZE_ERROR, QS_QUANTIZE_ERROR_VERIFY,
                       _("Verification failed: component %s has no SDNQ config in the output"),
                       plan->display_name);
          return FALSE;
        }

      /* Every stored layer must agree with the config, and no unquantized
       * layer may be one the loader would quantize. */
      layers = qs_sdnq_reader_list_layers (reader, written);
      for (guint i = 0; i < layers->len; i++)
        {
          const QsSdnqLayerInfo *info = g_ptr_array_index (layers, i);

          if (info->mismatch != NULL)
            {
              g_set_error (error, QS_QUANTIZE_ERROR, QS_QUANTIZE_ERROR_VERIFY,
                           _("Verification failed: %s"), info->mismatch);
              return FALSE;
            }
        }

      for (guint i = 0; i < plan->entries->len; i++)
        {
          PlanEntry *entry = &g_array_index (plan->entries, PlanEntry, i);
          guint64 size = entry->tensor->data_end - entry->tensor->data_begin;

          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return FALSE;

          if (entry->quantize)
            {
              g_autofree char *current = g_strdup_printf ("%s/%s", plan->display_name,
                                                          entry->tensor->name);

              set_progress (self, NULL, current, 0, 0);
            }

          if (!verify_entry (self, run, reader, written, entry, error))
            return FALSE;

          set_progress (self, NULL, NULL, size, entry->quantize ? 1 : 0);
        }
    }

  run->result->verified = TRUE;
  return TRUE;
}

/* The run */

static void
count_work (QsQuantizeJob *self,
            Run           *run)
{
  guint64 bytes = run->copy_bytes;
  guint layers = 0;

  for (guint p = 0; p < run->plans->len; p++)
    {
      ComponentPlan *plan = g_ptr_array_index (run->plans, p);

      if (!plan->quantize)
        continue;

      for (guint i = 0; i < plan->entries->len; i++)
        {
          const PlanEntry *entry = &g_array_index (plan->entries, PlanEntry, i);
          guint64 size = entry->tensor->data_end - entry->tensor->data_begin;
          guint passes = self->settings->verify ? 2 : 1;

          bytes += size * passes;
          if (entry->quantize)
            {
              layers += passes;
              plan->record->n_layers_quantized++;
            }
          else if (entry->record != NULL)
            plan->record->n_layers_unquantized++;
        }
    }

  g_mutex_lock (&self->mutex);
  self->bytes_total = bytes;
  self->layers_total = layers;
  self->start_time = g_get_monotonic_time ();
  schedule_dispatch_locked (self);
  g_mutex_unlock (&self->mutex);
}

static gboolean
execute (QsQuantizeJob  *self,
         Run            *run,
         GCancellable   *cancellable,
         GError        **error)
{
  g_autofree char *model_path = g_canonicalize_filename (qs_model_get_path (self->model), NULL);

  set_progress (self, "planning", NULL, 0, 0);

  /* Everything that can be rejected is checked before anything is created. */
  if (!check_output (self, run, error) || !check_selection (self, error)
      || !build_plans (self, run, error))
    return FALSE;

  run->copies = g_ptr_array_new_with_free_func ((GDestroyNotify) copy_item_free);
  run->directories = g_ptr_array_new_with_free_func (g_free);
  if (g_file_test (model_path, G_FILE_TEST_IS_DIR)
      && !collect_copies (run, model_path, "", 0, error))
    return FALSE;

  count_work (self, run);

  if (g_cancellable_set_error_if_cancelled (cancellable, error) || !create_temp_dir (run, error))
    return FALSE;

  if (!copy_files (self, run, cancellable, error))
    return FALSE;

  for (guint p = 0; p < run->plans->len; p++)
    {
      ComponentPlan *plan = g_ptr_array_index (run->plans, p);

      if (plan->quantize && !write_component (self, run, plan, cancellable, error))
        return FALSE;
    }

  if (self->settings->verify && !verify_output (self, run, cancellable, error))
    return FALSE;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  set_progress (self, "finishing", NULL, 0, 0);
  if (!move_into_place (self, run, error))
    return FALSE;

  run->result->output_path = g_strdup (run->output);
  return TRUE;
}

static QsQuantizeResult *
run_job (QsQuantizeJob  *self,
         GCancellable   *cancellable,
         GError        **error)
{
  Run run = { 0 };
  QsQuantizeResult *result = NULL;
  int saved_omp_threads = omp_get_max_threads ();
  int saved_blas_threads = openblas_get_num_threads ();

  if (self->settings->n_threads > 0)
    {
      omp_set_num_threads ((int) self->settings->n_threads);
      openblas_set_num_threads ((int) self->settings->n_threads);
    }

  run.result = result_new ();

  if (execute (self, &run, cancellable, error))
    result = g_steal_pointer (&run.result);
  else
    discard_output (&run);

  openblas_set_num_threads (saved_blas_threads);
  omp_set_num_threads (saved_omp_threads);

  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->current_layer, g_free);
  schedule_dispatch_locked (self);
  g_mutex_unlock (&self->mutex);

  run_clear (&run);
  return result;
}

static void
run_in_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  QsQuantizeJob *self = source_object;
  GError *error = NULL;
  QsQuantizeResult *result = run_job (self, cancellable, &error);

  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) qs_quantize_result_free);
}

/* GObject */

static void
qs_quantize_job_dispose (GObject *object)
{
  QsQuantizeJob *self = QS_QUANTIZE_JOB (object);

  g_clear_pointer (&self->model, qs_model_unref);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (qs_quantize_job_parent_class)->dispose (object);
}

static void
qs_quantize_job_finalize (GObject *object)
{
  QsQuantizeJob *self = QS_QUANTIZE_JOB (object);

  g_clear_pointer (&self->settings, qs_quantize_settings_free);
  g_clear_pointer (&self->current_layer, g_free);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (qs_quantize_job_parent_class)->finalize (object);
}

static void
qs_quantize_job_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  QsQuantizeJob *self = QS_QUANTIZE_JOB (object);

  switch (prop_id)
    {
    case PROP_LAYERS_DONE:
      g_value_set_uint (value, qs_quantize_job_get_layers_done (self));
      break;

    case PROP_LAYERS_TOTAL:
      g_value_set_uint (value, qs_quantize_job_get_layers_total (self));
      break;

    case PROP_BYTES_DONE:
      g_value_set_uint64 (value, qs_quantize_job_get_bytes_done (self));
      break;

    case PROP_BYTES_TOTAL:
      g_value_set_uint64 (value, qs_quantize_job_get_bytes_total (self));
      break;

    case PROP_CURRENT_LAYER:
      g_value_take_string (value, qs_quantize_job_dup_current_layer (self));
      break;

    case PROP_STAGE:
      g_value_take_string (value, qs_quantize_job_dup_stage (self));
      break;

    case PROP_ETA_SECONDS:
      g_value_set_double (value, qs_quantize_job_get_eta_seconds (self));
      break;

    case PROP_FRACTION:
      g_value_set_double (value, qs_quantize_job_get_fraction (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qs_quantize_job_class_init (QsQuantizeJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = qs_quantize_job_dispose;
  object_class->finalize = qs_quantize_job_finalize;
  object_class->get_property = qs_quantize_job_get_property;

  properties[PROP_LAYERS_DONE] =
    g_param_spec_uint ("layers-done", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAYERS_TOTAL] =
    g_param_spec_uint ("layers-total", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BYTES_DONE] =
    g_param_spec_uint64 ("bytes-done", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BYTES_TOTAL] =
    g_param_spec_uint64 ("bytes-total", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CURRENT_LAYER] =
    g_param_spec_string ("current-layer", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STAGE] =
    g_param_spec_string ("stage", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ETA_SECONDS] =
    g_param_spec_double ("eta-seconds", NULL, NULL, -1, G_MAXDOUBLE, -1,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL, 0, 1, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * QsQuantizeJob::layer-written:
   * @name: the layer's parameter name
   *
   * Emitted right after a layer's tensors are written and before the next
   * layer starts, on the thread that runs the job (the worker thread with
   * qs_quantize_job_run_async()). Handlers must be thread-safe; cancelling
   * the job's cancellable from one stops the job before the next layer.
   */
  signals[LAYER_WRITTEN] =
    g_signal_new ("layer-written",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
qs_quantize_job_init (QsQuantizeJob *self)
{
  g_mutex_init (&self->mutex);
}

QsQuantizeJob *
qs_quantize_job_new (QsModel                  *model,
                     const QsQuantizeSettings *settings)
{
  QsQuantizeJob *self;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (settings->output_path != NULL, NULL);

  self = g_object_new (QS_TYPE_QUANTIZE_JOB, NULL);
  self->model = qs_model_ref (model);
  self->settings = qs_quantize_settings_copy (settings);

  return self;
}

void
qs_quantize_job_run_async (QsQuantizeJob       *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (QS_IS_QUANTIZE_JOB (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qs_quantize_job_run_async);
  g_task_set_check_cancellable (task, FALSE);

  if (self->running)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("The quantization is already running"));
      return;
    }

  self->running = TRUE;
  self->context = g_main_context_ref_thread_default ();
  g_task_run_in_thread (task, run_in_thread);
}

QsQuantizeResult *
qs_quantize_job_run_finish (QsQuantizeJob  *self,
                            GAsyncResult   *result,
                            GError        **error)
{
  g_return_val_if_fail (QS_IS_QUANTIZE_JOB (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (self->context != NULL && g_main_context_is_owner (self->context))
    dispatch_progress_cb (self);
  self->running = FALSE;

  return g_task_propagate_pointer (G_TASK (result), error);
}

QsQuantizeResult *
qs_quantize_job_run (QsQuantizeJob  *self,
                     GCancellable   *cancellable,
                     GError        **error)
{
  QsQuantizeResult *result;

  g_return_val_if_fail (QS_IS_QUANTIZE_JOB (self), NULL);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->running)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PENDING, _("The quantization is already running"));
      return NULL;
    }

  /* Without a main loop an idle would never run, so none is queued. */
  self->running = TRUE;
  result = run_job (self, cancellable, error);
  self->running = FALSE;

  return result;
}

guint
qs_quantize_job_get_layers_done (QsQuantizeJob *self)
{
  guint value;

  g_return_val_if_fail (QS_IS_QUANTIZE_JOB (self), 0);

  g_mutex_lock (&self->mutex);
  value = self->layers_done;
  g_mutex_unlock (&self->mutex);

  return value;
}

guint
qs_quantize_job_get_layers_total (QsQuantizeJob *self)
{
  guint value;

  g_return_val_if_fail (QS_IS_QUANTIZE_JOB (self), 0);

  g_mutex_lock (&self->mutex);
  value = self->layers_total;
  g_mutex_unlock (&self->mutex);

  return value;
}

guint64
qs_quantize_job_get_bytes_done (QsQuantizeJob *self)
{
  guint64 value;

  g_return_val_if_fail (QS_IS_QUANTIZE_JOB (self), 0);

  g_mutex_lock (&self->mutex);
  value = self->bytes_done;
  g_mutex_unlock (&self->mutex);

  return value;
}

guint64
qs_quantize_job_get_bytes_total (QsQuantizeJob *self)
{
  guint64 value;

  g_return_val_if_fail (QS_IS_QUANTIZE_JOB (self), 0);

  g_mutex_lock (&self->mutex);
  value = self->bytes_total;
  g_mutex_unlock (&self->mutex);

  return value;
}

char *
qs_quantize_job_dup_current_layer (QsQuantizeJob *self)
{
  char *value;

  g_return_val_if_fail (QS_IS_QUANTIZE_JOB (self), NULL);

  g_mutex_lock (&self->mutex);
  value = g_strdup (self->current_layer);
  g_mutex_unlock (&self->mutex);

  return value;
}

char *
qs_quantize_job_dup_stage (QsQuantizeJob *self)
{
  char *value;

  g_return_val_if_fail (QS_IS_QUANTIZE_JOB (self), NULL);

  g_mutex_lock (&self->mutex);
  value = g_strdup (self->stage);
  g_mutex_unlock (&self->mutex);

  return value;
}

double
qs_quantize_job_get_eta_seconds (QsQuantizeJob *self)
{
  double eta = -1;

  g_return_val_if_fail (QS_IS_QUANTIZE_JOB (self), -1);

  /* The estimate assumes time grows with the bytes processed. */
  g_mutex_lock (&self->mutex);
  if (self->bytes_done > 0 && self->bytes_total >= self->bytes_done)
    {
      double elapsed = (g_get_monotonic_time () - self->start_time) / (double) G_USEC_PER_SEC;

      eta = elapsed * (double) (self->bytes_total - self->bytes_done) / (double) self->bytes_done;
    }
  g_mutex_unlock (&self->mutex);

  return eta;
}

double
qs_quantize_job_get_fraction (QsQuantizeJob *self)
{
  double fraction = 0;

  g_return_val_if_fail (QS_IS_QUANTIZE_JOB (self), 0);

  g_mutex_lock (&self->mutex);
  if (self->bytes_total > 0)
    fraction = (double) self->bytes_done / (double) self->bytes_total;
  g_mutex_unlock (&self->mutex);

  return CLAMP (fraction, 0, 1);
}
