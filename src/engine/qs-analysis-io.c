/* qs-analysis-io.c: the analysis file (JSON) and the CSV export
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "qs-analysis-io.h"
#include "qs-error.h"

#define FILE_FORMAT_NAME "quantscope-analysis"

char *
qs_format_python_float (double value)
{
  char buf[64];
  char digits[32];
  const char *p;
  gboolean negative;
  int n_digits = 0;
  int exponent;
  GString *out;

  if (isnan (value))
    return g_strdup ("nan");
  if (isinf (value))
    return g_strdup (value > 0 ? "inf" : "-inf");
  if (value == 0)
    return g_strdup (signbit (value) ? "-0.0" : "0.0");

  /* The shortest precision whose digits read back to the same double. */
  for (int precision = 1; precision <= 17; precision++)
    {
      char format[16];

      g_snprintf (format, sizeof format, "%%.%de", precision - 1);
      g_ascii_formatd (buf, sizeof buf, format, value);
      if (g_ascii_strtod (buf, NULL) == value)
        break;
    }

  negative = buf[0] == '-';
  p = negative ? buf + 1 : buf;
  for (; *p != '\0' && *p != 'e'; p++)
    {
      if (g_ascii_isdigit (*p) && n_digits < (int) sizeof digits - 1)
        digits[n_digits++] = *p;
    }
  while (n_digits > 1 && digits[n_digits - 1] == '0')
    n_digits--;
  digits[n_digits] = '\0';
  exponent = *p == 'e' ? atoi (p + 1) : 0;

  out = g_string_new (negative ? "-" : "");

  /* Python's repr() uses fixed notation for exponents from -4 to 15. */
  if (exponent >= -4 && exponent < 16)
    {
      if (exponent >= 0)
        {
          for (int i = 0; i <= exponent; i++)
            g_string_append_c (out, i < n_digits ? digits[i] : '0');
          g_string_append_c (out, '.');
          if (n_digits > exponent + 1)
            g_string_append (out, digits + exponent + 1);
          else
            g_string_append_c (out, '0');
        }
      else
        {
          g_string_append (out, "0.");
          for (int i = 0; i < -exponent - 1; i++)
            g_string_append_c (out, '0');
          g_string_append (out, digits);
        }
    }
  else
    {
      g_string_append_c (out, digits[0]);
      if (n_digits > 1)
        {
          g_string_append_c (out, '.');
          g_string_append (out, digits + 1);
        }
      g_string_append_printf (out, "e%c%02d", exponent < 0 ? '-' : '+', ABS (exponent));
    }

  return g_string_free (out, FALSE);
}

/* CSV */

static void
append_csv_field (GString    *line,
                  const char *value)
{
  g_string_append_c (line, ',');

  if (strpbrk (value, ",\"\r\n") != NULL)
    {
      g_string_append_c (line, '"');
      for (const char *p = value; *p != '\0'; p++)
        {
          if (*p == '"')
            g_string_append_c (line, '"');
          g_string_append_c (line, *p);
        }
      g_string_append_c (line, '"');
    }
  else
    {
      g_string_append (line, value);
    }
}

static void
append_csv_double (GString *line,
                   double   value)
{
  g_autofree char *str = qs_format_python_float (value);

  append_csv_field (line, str);
}

static void
append_csv_int (GString *line,
                gint64   value)
{
  char buf[32];

  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, value);
  append_csv_field (line, buf);
}

static void
append_csv_row (GString              *out,
                const QsLayerResult  *layer,
                const char           *shape,
                const QsFormatRecord *record)
{
  g_autoptr(GString) line = g_string_new (NULL);

  append_csv_field (line, layer->component);
  append_csv_field (line, layer->name);
  append_csv_field (line, layer->layer_class);
  append_csv_field (line, shape);
  append_csv_int (line, (gint64) layer->numel);
  append_csv_field (line, record->dtype);
  append_csv_field (line, record->use_svd ? "True" : "False");
  append_csv_int (line, record->svd_rank);
  append_csv_int (line, record->group_size);
  append_csv_int (line, record->requested_group_size);
  append_csv_double (line, record->metrics.nmse);
  append_csv_double (line, record->metrics.sqnr_db);
  append_csv_double (line, record->metrics.cosine_sim);
  append_csv_double (line, record->metrics.max_abs_err);
  append_csv_double (line, record->metrics.relative_l2);
  append_csv_double (line, layer->stats.kurtosis);
  append_csv_double (line, layer->stats.outlier_ratio);
  append_csv_double (line, layer->stats.dynamic_range_ratio);

  g_string_append_c (out, '\n');
  /* Every field starts with a comma; the first one is dropped here. */
  g_string_append_len (out, line->str + 1, line->len - 1);
}

gboolean
qs_analysis_result_write_csv (QsAnalysisResult  *result,
                              const char        *path,
                              GError           **error)
{
  const QsAnalysisSettings *settings;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree QsFormat *formats = NULL;
  guint n_formats = 0;
  guint n_layers;

  g_return_val_if_fail (QS_IS_ANALYSIS_RESULT (result), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  settings = qs_analysis_result_get_settings (result);
  formats = qs_analysis_settings_build_formats (settings, &n_formats);

  g_string_append (out,
                   "component,param_name,layer_class,shape,numel,weights_dtype,use_svd,"
                   "svd_rank,group_size,requested_group_size,nmse,sqnr_db,cosine_sim,"
                   "max_abs_err,relative_l2,kurtosis,outlier_ratio,dynamic_range_ratio");

  n_layers = qs_analysis_result_get_n_layers (result);
  for (guint i = 0; i < n_layers; i++)
    {
      const QsLayerResult *layer = qs_analysis_result_get_layer (result, i);
      g_autofree char *shape = qs_layer_result_format_shape (layer);

      if (layer->error == NULL)
        {
          for (guint f = 0; f < layer->n_formats; f++)
            append_csv_row (out, layer, shape, &layer->formats[f]);
          continue;
        }

      /* A layer that could not be analysed is still listed, with the
       * values the script writes for a format that failed. */
      for (guint f = 0; f < n_formats; f++)
        {
          QsFormatRecord record = { 0 };

          record.dtype = (char *) formats[f].dtype->name;
          record.use_svd = formats[f].svd_rank > 0;
          record.svd_rank = formats[f].svd_rank;
          record.requested_group_size = formats[f].requested_group_size;
          record.group_size = -1;
          record.failed = TRUE;
          qs_metrics_set_failed (&record.metrics);
          append_csv_row (out, layer, shape, &record);
        }
    }
  g_string_append_c (out, '\n');

  if (!g_file_set_contents (path, out->str, out->len, error))
    {
      g_prefix_error (error, _("Failed to write the CSV file: "));
      return FALSE;
    }

  return TRUE;
}

/* JSON */

static void
add_double (JsonBuilder *builder,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (builder, name);
  if (isnan (value))
    json_builder_add_string_value (builder, "NaN");
  else if (isinf (value))
    json_builder_add_string_value (builder, value > 0 ? "Infinity" : "-Infinity");
  else
    json_builder_add_double_value (builder, value);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value == NULL)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, value);
}

static void
add_bool (JsonBuilder *builder,
          const char  *name,
          gboolean     value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

static void
build_settings (JsonBuilder              *builder,
                const QsAnalysisSettings *settings)
{
  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "dtypes");
  json_builder_begin_array (builder);
  for (guint i = 0; settings->dtypes != NULL && settings->dtypes[i] != NULL; i++)
    json_builder_add_string_value (builder, settings->dtypes[i]);
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "group_sizes");
  json_builder_begin_array (builder);
  for (guint i = 0; i < settings->n_group_sizes; i++)
    json_builder_add_int_value (builder, settings->group_sizes[i]);
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "svd_ranks");
  json_builder_begin_array (builder);
  for (guint i = 0; i < settings->n_svd_ranks; i++)
    json_builder_add_int_value (builder, settings->svd_ranks[i]);
  json_builder_end_array (builder);

  add_int (builder, "svd_steps", settings->svd_steps);
  add_bool (builder, "use_raw", settings->use_raw);
  add_bool (builder, "use_svd", settings->use_svd);
  add_double (builder, "skip_threshold", settings->skip_threshold);
  add_double (builder, "promote_threshold", settings->promote_threshold);
  add_int (builder, "top_n", settings->top_n);
  /* The seed is a 64-bit unsigned value; a string keeps every bit. */
  {
    g_autofree char *seed = g_strdup_printf ("%" G_GUINT64_FORMAT, settings->seed);

    add_string (builder, "seed", seed);
  }
  add_int (builder, "threads", settings->n_threads);
  add_string (builder, "load_dtype", qs_load_dtype_to_string (settings->load_dtype));
  add_string (builder, "model_dtype", qs_model_dtype_to_string (settings->model_dtype));
  add_int (builder, "min_numel", (gint64) settings->min_numel);
  add_int (builder, "min_channels", settings->min_channels);

  json_builder_set_member_name (builder, "components");
  json_builder_begin_array (builder);
  for (guint i = 0; settings->components != NULL && settings->components[i] != NULL; i++)
    json_builder_add_string_value (builder, settings->components[i]);
  json_builder_end_array (builder);

  add_string (builder, "cache_dir", settings->cache_dir);
  add_string (builder, "device", settings->device);

  json_builder_end_object (builder);
}

static void
build_layer (JsonBuilder         *builder,
             const QsLayerResult *layer)
{
  json_builder_begin_object (builder);

  add_string (builder, "component", layer->component);
  add_string (builder, "name", layer->name);
  add_string (builder, "layer_class", layer->layer_class);
  add_string (builder, "kind", qs_layer_kind_to_string (layer->kind));
  add_string (builder, "tensor_dtype", layer->tensor_dtype);

  json_builder_set_member_name (builder, "shape");
  json_builder_begin_array (builder);
  for (guint i = 0; i < layer->ndim; i++)
    json_builder_add_int_value (builder, layer->shape[i]);
  json_builder_end_array (builder);

  add_int (builder, "numel", (gint64) layer->numel);

  json_builder_set_member_name (builder, "stats");
  json_builder_begin_object (builder);
  add_double (builder, "kurtosis", layer->stats.kurtosis);
  add_double (builder, "outlier_ratio", layer->stats.outlier_ratio);
  add_double (builder, "dynamic_range_ratio", layer->stats.dynamic_range_ratio);
  add_double (builder, "absmax", layer->stats.absmax);
  add_int (builder, "nan_count", (gint64) layer->stats.n_nan);
  add_int (builder, "inf_count", (gint64) layer->stats.n_inf);
  add_int (builder, "first_non_finite", layer->stats.first_non_finite);
  json_builder_end_object (builder);

  add_string (builder, "error", layer->error);

  json_builder_set_member_name (builder, "flags");
  json_builder_begin_array (builder);
  for (guint i = 0; layer->flags != NULL && layer->flags[i] != NULL; i++)
    json_builder_add_string_value (builder, layer->flags[i]);
  json_builder_end_array (builder);

  add_double (builder, "seconds", layer->seconds);

  json_builder_set_member_name (builder, "formats");
  json_builder_begin_array (builder);
  for (guint i = 0; i < layer->n_formats; i++)
    {
      const QsFormatRecord *record = &layer->formats[i];

      json_builder_begin_object (builder);
      add_string (builder, "dtype", record->dtype);
      add_bool (builder, "use_svd", record->use_svd);
      add_int (builder, "svd_rank", record->svd_rank);
      add_int (builder, "effective_svd_rank", record->effective_svd_rank);
      add_int (builder, "requested_group_size", record->requested_group_size);
      add_int (builder, "group_size", record->group_size);
      add_double (builder, "nmse", record->metrics.nmse);
      add_double (builder, "sqnr_db", record->metrics.sqnr_db);
      add_double (builder, "cosine_sim", record->metrics.cosine_sim);
      add_double (builder, "max_abs_err", record->metrics.max_abs_err);
      add_double (builder, "relative_l2", record->metrics.relative_l2);
      add_int (builder, "degenerate_groups", (gint64) record->n_degenerate_groups);
      add_bool (builder, "failed", record->failed);
      add_string (builder, "error", record->error);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_end_object (builder);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

gboolean
qs_analysis_result_save (QsAnalysisResult  *result,
                         const char        *path,
                         GError           **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autofree gpointer *keys = NULL;
  GHashTable *provenance;
  GPtrArray *skipped;
  guint n_keys = 0;
  guint n_layers;
  gsize length = 0;

  g_return_val_if_fail (QS_IS_ANALYSIS_RESULT (result), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  json_builder_begin_object (builder);
  add_string (builder, "format", FILE_FORMAT_NAME);
  add_int (builder, "version", QS_ANALYSIS_FILE_VERSION);
  add_bool (builder, "complete", qs_analysis_result_get_complete (result));
  add_int (builder, "layers_planned", qs_analysis_result_get_n_layers_planned (result));

  json_builder_set_member_name (builder, "settings");
  build_settings (builder, qs_analysis_result_get_settings (result));

  provenance = qs_analysis_result_get_provenance (result);
  keys = g_hash_table_get_keys_as_array (provenance, &n_keys);
  qsort (keys, n_keys, sizeof (gpointer), compare_strings);
  json_builder_set_member_name (builder, "provenance");
  json_builder_begin_object (builder);
  for (guint i = 0; i < n_keys; i++)
    add_string (builder, keys[i], g_hash_table_lookup (provenance, keys[i]));
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "layers");
  json_builder_begin_array (builder);
  n_layers = qs_analysis_result_get_n_layers (result);
  for (guint i = 0; i < n_layers; i++)
    build_layer (builder, qs_analysis_result_get_layer (result, i));
  json_builder_end_array (builder);

  skipped = qs_analysis_result_get_skipped (result);
  json_builder_set_member_name (builder, "skipped_tensors");
  json_builder_begin_array (builder);
  for (guint i = 0; i < skipped->len; i++)
    {
      const QsSkippedTensor *tensor = g_ptr_array_index (skipped, i);

      json_builder_begin_object (builder);
      add_string (builder, "component", tensor->component);
      add_string (builder, "name", tensor->name);
      add_string (builder, "dtype", tensor->dtype);
      add_string (builder, "shape", tensor->shape);
      add_string (builder, "reason", tensor->reason);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 1);
  text = json_generator_to_data (generator, &length);

  if (!g_file_set_contents (path, text, length, error))
    {
      g_prefix_error (error, _("Failed to write the analysis file: "));
      return FALSE;
    }

  return TRUE;
}

/* Reading */

typedef struct
{
  const char *path;
  GError    **error;
  gboolean    failed;
} Reader;

static gboolean
reader_fail (Reader     *reader,
             const char *member)
{
  if (!reader->failed)
    g_set_error (reader->error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_FORMAT,
                 _("Invalid analysis file %s: member “%s” is missing or has the wrong type"),
                 reader->path, member);
  reader->failed = TRUE;

  return FALSE;
}

static JsonNode *
get_member (Reader     *reader,
            JsonObject *object,
            const char *name,
            JsonNodeType type)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || JSON_NODE_TYPE (node) != type)
    {
      reader_fail (reader, name);
      return NULL;
    }

  return node;
}

static double
read_double (Reader     *reader,
             JsonObject *object,
             const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
    {
      GType type = json_node_get_value_type (node);

      if (type == G_TYPE_DOUBLE || type == G_TYPE_INT64)
        return json_node_get_double (node);

      if (type == G_TYPE_STRING)
        {
          const char *str = json_node_get_string (node);

          if (g_strcmp0 (str, "Infinity") == 0)
            return INFINITY;
          if (g_strcmp0 (str, "-Infinity") == 0)
            return -INFINITY;
          if (g_strcmp0 (str, "NaN") == 0)
            return NAN;
        }
    }

  reader_fail (reader, name);

  return NAN;
}

static gint64
read_int (Reader     *reader,
          JsonObject *object,
          const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);

  reader_fail (reader, name);

  return 0;
}

static gboolean
read_bool (Reader     *reader,
           JsonObject *object,
           const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    return json_node_get_boolean (node);

  reader_fail (reader, name);

  return FALSE;
}

/* Returns a copy of a string member; %NULL for JSON null or when optional
 * and missing. */
static char *
read_string (Reader     *reader,
             JsonObject *object,
             const char *name,
             gboolean    nullable)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));

  if (nullable && (node == NULL || JSON_NODE_HOLDS_NULL (node)))
    return NULL;

  reader_fail (reader, name);

  return NULL;
}

static char **
read_string_array (Reader     *reader,
                   JsonObject *object,
                   const char *name)
{
  JsonNode *node = get_member (reader, object, name, JSON_NODE_ARRAY);
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  JsonArray *array;

  if (node == NULL)
    return NULL;

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        {
          reader_fail (reader, name);
          return NULL;
        }
      g_ptr_array_add (strings, g_strdup (json_node_get_string (element)));
    }
  g_ptr_array_add (strings, NULL);

  return (char **) g_ptr_array_free (g_steal_pointer (&strings), FALSE);
}

static gint64 *
read_int_array (Reader     *reader,
                JsonObject *object,
                const char *name,
                guint      *n_values)
{
  JsonNode *node = get_member (reader, object, name, JSON_NODE_ARRAY);
  JsonArray *array;
  gint64 *values;

  *n_values = 0;
  if (node == NULL)
    return NULL;

  array = json_node_get_array (node);
  values = g_new0 (gint64, json_array_get_length (array) + 1);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_INT64)
        {
          g_free (values);
          reader_fail (reader, name);
          return NULL;
        }
      values[i] = json_node_get_int (element);
    }
  *n_values = json_array_get_length (array);

  return values;
}

static QsAnalysisSettings *
read_settings (Reader     *reader,
               JsonObject *object)
{
  g_autoptr(QsAnalysisSettings) settings = qs_analysis_settings_new ();
  g_autofree gint64 *group_sizes = NULL;
  g_autofree gint64 *ranks = NULL;
  g_autofree char *seed = NULL;
  g_autofree char *load_dtype = NULL;
  g_autofree char *model_dtype = NULL;
  guint n_group_sizes = 0;
  guint n_ranks = 0;

  g_strfreev (settings->dtypes);
  settings->dtypes = read_string_array (reader, object, "dtypes");

  group_sizes = read_int_array (reader, object, "group_sizes", &n_group_sizes);
  qs_analysis_settings_set_group_sizes (settings, group_sizes, n_group_sizes);

  ranks = read_int_array (reader, object, "svd_ranks", &n_ranks);
  g_free (settings->svd_ranks);
  settings->svd_ranks = g_new0 (guint, n_ranks + 1);
  settings->n_svd_ranks = n_ranks;
  for (guint i = 0; i < n_ranks; i++)
    settings->svd_ranks[i] = (guint) CLAMP (ranks[i], 0, G_MAXUINT);

  settings->svd_steps = (guint) read_int (reader, object, "svd_steps");
  settings->use_raw = read_bool (reader, object, "use_raw");
  settings->use_svd = read_bool (reader, object, "use_svd");
  settings->skip_threshold = read_double (reader, object, "skip_threshold");
  settings->promote_threshold = read_double (reader, object, "promote_threshold");
  settings->top_n = (guint) read_int (reader, object, "top_n");
  seed = read_string (reader, object, "seed", FALSE);
  settings->seed = seed != NULL ? g_ascii_strtoull (seed, NULL, 10) : 0;
  settings->n_threads = (guint) read_int (reader, object, "threads");

  load_dtype = read_string (reader, object, "load_dtype", FALSE);
  if (load_dtype != NULL && !qs_load_dtype_from_string (load_dtype, &settings->load_dtype))
    reader_fail (reader, "load_dtype");
  model_dtype = read_string (reader, object, "model_dtype", FALSE);
  if (model_dtype != NULL && !qs_model_dtype_from_string (model_dtype, &settings->model_dtype))
    reader_fail (reader, "model_dtype");

  settings->min_numel = (guint64) read_int (reader, object, "min_numel");
  settings->min_channels = read_int (reader, object, "min_channels");
  g_strfreev (settings->components);
  settings->components = read_string_array (reader, object, "components");
  if (settings->components != NULL && settings->components[0] == NULL)
    g_clear_pointer (&settings->components, g_strfreev);
  settings->cache_dir = read_string (reader, object, "cache_dir", TRUE);
  g_free (settings->device);
  settings->device = read_string (reader, object, "device", TRUE);

  if (reader->failed)
    return NULL;

  return g_steal_pointer (&settings);
}

static gboolean
parse_layer_kind (const char  *str,
                  QsLayerKind *kind)
{
  for (QsLayerKind k = QS_LAYER_LINEAR; k <= QS_LAYER_EMBEDDING; k++)
    {
      if (g_strcmp0 (str, qs_layer_kind_to_string (k)) == 0)
        {
          *kind = k;
          return TRUE;
        }
    }

  return FALSE;
}

static QsLayerResult *
read_layer (Reader   *reader,
            JsonNode *node)
{
  g_autoptr(QsLayerResult) layer = qs_layer_result_new ();
  g_autofree char *kind = NULL;
  JsonObject *object;
  JsonObject *stats;
  JsonNode *member;
  JsonArray *shape;
  JsonArray *formats;

  if (JSON_NODE_TYPE (node) != JSON_NODE_OBJECT)
    {
      reader_fail (reader, "layers");
      return NULL;
    }
  object = json_node_get_object (node);

  layer->component = read_string (reader, object, "component", FALSE);
  layer->name = read_string (reader, object, "name", FALSE);
  layer->layer_class = read_string (reader, object, "layer_class", FALSE);
  kind = read_string (reader, object, "kind", FALSE);
  if (kind != NULL && !parse_layer_kind (kind, &layer->kind))
    reader_fail (reader, "kind");
  layer->tensor_dtype = read_string (reader, object, "tensor_dtype", FALSE);

  member = get_member (reader, object, "shape", JSON_NODE_ARRAY);
  if (member != NULL)
    {
      shape = json_node_get_array (member);
      if (json_array_get_length (shape) > QS_MAX_DIMS)
        reader_fail (reader, "shape");
      layer->ndim = MIN (json_array_get_length (shape), QS_MAX_DIMS);
      for (guint i = 0; i < layer->ndim; i++)
        layer->shape[i] = json_array_get_int_element (shape, i);
    }
  layer->numel = (guint64) read_int (reader, object, "numel");

  member = get_member (reader, object, "stats", JSON_NODE_OBJECT);
  stats = member != NULL ? json_node_get_object (member) : NULL;
  layer->stats.kurtosis = read_double (reader, stats, "kurtosis");
  layer->stats.outlier_ratio = read_double (reader, stats, "outlier_ratio");
  layer->stats.dynamic_range_ratio = read_double (reader, stats, "dynamic_range_ratio");
  layer->stats.absmax = read_double (reader, stats, "absmax");
  layer->stats.n_nan = (guint64) read_int (reader, stats, "nan_count");
  layer->stats.n_inf = (guint64) read_int (reader, stats, "inf_count");
  layer->stats.first_non_finite = read_int (reader, stats, "first_non_finite");

  layer->error = read_string (reader, object, "error", TRUE);
  layer->flags = read_string_array (reader, object, "flags");
  layer->seconds = read_double (reader, object, "seconds");

  member = get_member (reader, object, "formats", JSON_NODE_ARRAY);
  if (member == NULL)
    return NULL;

  formats = json_node_get_array (member);
  layer->n_formats = json_array_get_length (formats);
  layer->formats = g_new0 (QsFormatRecord, MAX (layer->n_formats, 1));
  for (guint i = 0; i < layer->n_formats; i++)
    {
      JsonNode *element = json_array_get_element (formats, i);
      JsonObject *format = JSON_NODE_TYPE (element) == JSON_NODE_OBJECT
                           ? json_node_get_object (element) : NULL;
      QsFormatRecord *record = &layer->formats[i];

      if (format == NULL)
        {
          reader_fail (reader, "formats");
          break;
        }

      record->dtype = read_string (reader, format, "dtype", FALSE);
      record->use_svd = read_bool (reader, format, "use_svd");
      record->svd_rank = (guint) read_int (reader, format, "svd_rank");
      record->effective_svd_rank = (guint) read_int (reader, format, "effective_svd_rank");
      record->requested_group_size = read_int (reader, format, "requested_group_size");
      record->group_size = read_int (reader, format, "group_size");
      record->metrics.nmse = read_double (reader, format, "nmse");
      record->metrics.sqnr_db = read_double (reader, format, "sqnr_db");
      record->metrics.cosine_sim = read_double (reader, format, "cosine_sim");
      record->metrics.max_abs_err = read_double (reader, format, "max_abs_err");
      record->metrics.relative_l2 = read_double (reader, format, "relative_l2");
      record->n_degenerate_groups = (guint64) read_int (reader, format, "degenerate_groups");
      record->failed = read_bool (reader, format, "failed");
      record->error = read_string (reader, format, "error", TRUE);

      if (record->dtype != NULL && qs_dtype_lookup (record->dtype) == NULL)
        reader_fail (reader, "dtype");
    }

  if (reader->failed)
    return NULL;

  return g_steal_pointer (&layer);
}

QsAnalysisResult *
qs_analysis_result_load (const char  *path,
                         GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(QsAnalysisSettings) settings = NULL;
  g_autoptr(QsAnalysisResult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *format = NULL;
  Reader reader = { path, error, FALSE };
  JsonObject *root;
  JsonNode *member;
  gint64 version;

  g_return_val_if_fail (path != NULL, NULL);

  if (!json_parser_load_from_mapped_file (parser, path, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_FORMAT,
                     _("Analysis file %s not found"), path);
      else
        g_set_error (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_FORMAT,
                     _("Invalid analysis file %s: %s"), path, local_error->message);
      return NULL;
    }

  if (json_parser_get_root (parser) == NULL
      || JSON_NODE_TYPE (json_parser_get_root (parser)) != JSON_NODE_OBJECT)
    {
      g_set_error (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_FORMAT,
                   _("Invalid analysis file %s: the top level is not a JSON object"), path);
      return NULL;
    }
  root = json_node_get_object (json_parser_get_root (parser));

  format = read_string (&reader, root, "format", FALSE);
  if (reader.failed || g_strcmp0 (format, FILE_FORMAT_NAME) != 0)
    {
      g_clear_error (error);
      g_set_error (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_FORMAT,
                   _("%s is not a Quantscope analysis file (its “format” member is not “%s”)"),
                   path, FILE_FORMAT_NAME);
      return NULL;
    }

  version = read_int (&reader, root, "version");
  if (reader.failed)
    return NULL;
  if (version < 1 || version > QS_ANALYSIS_FILE_VERSION)
    {
      g_set_error (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_FORMAT,
                   _("Analysis file %s has version %lld, but this Quantscope reads "
                     "versions up to %d; update Quantscope"),
                   path, (long long) version, QS_ANALYSIS_FILE_VERSION);
      return NULL;
    }

  member = get_member (&reader, root, "settings", JSON_NODE_OBJECT);
  if (member == NULL)
    return NULL;
  settings = read_settings (&reader, json_node_get_object (member));
  if (settings == NULL)
    return NULL;

  result = qs_analysis_result_new (settings);
  qs_analysis_result_set_complete (result, read_bool (&reader, root, "complete"));
  qs_analysis_result_set_n_layers_planned (result, (guint) read_int (&reader, root, "layers_planned"));

  member = get_member (&reader, root, "provenance", JSON_NODE_OBJECT);
  if (member != NULL)
    {
      JsonObject *provenance = json_node_get_object (member);
      g_autoptr(GList) names = json_object_get_members (provenance);

      for (GList *l = names; l != NULL; l = l->next)
        {
          g_autofree char *value = read_string (&reader, provenance, l->data, TRUE);

          qs_analysis_result_set_provenance (result, l->data, value);
        }
    }

  member = get_member (&reader, root, "layers", JSON_NODE_ARRAY);
  if (member != NULL)
    {
      JsonArray *layers = json_node_get_array (member);

      for (guint i = 0; i < json_array_get_length (layers) && !reader.failed; i++)
        {
          g_autoptr(QsLayerResult) layer = read_layer (&reader, json_array_get_element (layers, i));

          if (layer != NULL)
            qs_analysis_result_add_layer (result, layer);
        }
    }

  member = get_member (&reader, root, "skipped_tensors", JSON_NODE_ARRAY);
  if (member != NULL)
    {
      JsonArray *skipped = json_node_get_array (member);

      for (guint i = 0; i < json_array_get_length (skipped) && !reader.failed; i++)
        {
          JsonNode *element = json_array_get_element (skipped, i);
          JsonObject *object = JSON_NODE_TYPE (element) == JSON_NODE_OBJECT
                               ? json_node_get_object (element) : NULL;
          QsSkippedTensor *tensor = g_new0 (QsSkippedTensor, 1);

          tensor->component = read_string (&reader, object, "component", FALSE);
          tensor->name = read_string (&reader, object, "name", FALSE);
          tensor->dtype = read_string (&reader, object, "dtype", FALSE);
          tensor->shape = read_string (&reader, object, "shape", FALSE);
          tensor->reason = read_string (&reader, object, "reason", FALSE);
          qs_analysis_result_add_skipped (result, tensor);
        }
    }

  if (reader.failed)
    return NULL;

  return g_steal_pointer (&result);
}
