/* qs-model.c: model sources, components and the layers they hold
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include <json-glib/json-glib.h>

#include "qs-error.h"
#include "qs-model.h"

#define INDEX_SUFFIX ".safetensors.index.json"

/* How many names an error message lists before it only counts the rest. */
#define MAX_NAMES_IN_MESSAGE 8

struct _QsModel
{
  gatomicrefcount  ref_count;
  char            *name;
  char            *path;
  char            *revision;
  char            *pipeline_class;
  GPtrArray       *components;
  /* model_index.json entries whose subfolder contains no weights. */
  GPtrArray       *components_without_weights;
  guint            is_pipeline : 1;
};

static const char * const canonical_weight_files[] = {
  "model.safetensors",
  "diffusion_pytorch_model.safetensors",
};

static const char * const canonical_index_files[] = {
  "model" INDEX_SUFFIX,
  "diffusion_pytorch_model" INDEX_SUFFIX,
};

/* Module names that PyTorch models use for nn.Embedding weights. */
static const char * const embedding_names[] = {
  "embed_tokens",
  "wte",
  "wpe",
  "word_embeddings",
  "position_embeddings",
  "token_type_embeddings",
  "embeddings",
  "embedding",
  "shared",
  "tok_embeddings",
};

const char *
qs_tensor_role_to_string (QsTensorRole role)
{
  switch (role)
    {
    case QS_TENSOR_ROLE_LAYER:
      return "layer";
    case QS_TENSOR_ROLE_OTHER:
      return "other";
    case QS_TENSOR_ROLE_METADATA:
      return "metadata";
    case QS_TENSOR_ROLE_NON_FLOAT:
      return "non-float";
    case QS_TENSOR_ROLE_UNSUPPORTED:
      return "unsupported";
    default:
      g_return_val_if_reached (NULL);
    }
}

static gboolean
name_is_weight (const char *name)
{
  return strcmp (name, "weight") == 0 || g_str_has_suffix (name, ".weight");
}

static gboolean
name_is_embedding (const char *name)
{
  g_auto(GStrv) parts = g_strsplit (name, ".", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      for (guint j = 0; j < G_N_ELEMENTS (embedding_names); j++)
        {
          if (strcmp (parts[i], embedding_names[j]) == 0)
            return TRUE;
        }
    }

  return FALSE;
}

QsTensorRole
qs_classify_tensor (const QsTensorInfo *tensor,
                    QsLayerKind        *kind)
{
  g_return_val_if_fail (tensor != NULL, QS_TENSOR_ROLE_OTHER);

  /* Scalars and empty tensors are flags or markers in real checkpoints
   * (scaled_fp8, per-tensor scales), and no layer has zero elements. */
  if (tensor->ndim == 0 || tensor->numel == 0)
    return QS_TENSOR_ROLE_METADATA;

  if (!qs_tensor_dtype_is_float (tensor->dtype))
    return QS_TENSOR_ROLE_NON_FLOAT;

  if (!qs_tensor_dtype_is_decodable (tensor->dtype))
    return QS_TENSOR_ROLE_UNSUPPORTED;

  if (!name_is_weight (tensor->name) || tensor->ndim == 1 || tensor->ndim > 5)
    return QS_TENSOR_ROLE_OTHER;

  if (kind != NULL)
    {
      if (tensor->ndim == 2)
        *kind = name_is_embedding (tensor->name) ? QS_LAYER_EMBEDDING : QS_LAYER_LINEAR;
      else
        *kind = QS_LAYER_CONV;
    }

  return QS_TENSOR_ROLE_LAYER;
}

int
qs_tensor_name_compare (const char *a,
                        const char *b)
{
  const char *pa = a;
  const char *pb = b;

  g_return_val_if_fail (a != NULL, 0);
  g_return_val_if_fail (b != NULL, 0);

  while (*pa != '\0' && *pb != '\0')
    {
      if (g_ascii_isdigit (*pa) && g_ascii_isdigit (*pb))
        {
          const char *start_a;
          const char *start_b;
          gsize length_a;
          gsize length_b;
          int cmp;

          while (*pa == '0')
            pa++;
          while (*pb == '0')
            pb++;

          start_a = pa;
          start_b = pb;
          while (g_ascii_isdigit (*pa))
            pa++;
          while (g_ascii_isdigit (*pb))
            pb++;

          /* Without leading zeros, a longer run is a larger number. */
          length_a = pa - start_a;
          length_b = pb - start_b;
          if (length_a != length_b)
            return length_a < length_b ? -1 : 1;

          cmp = memcmp (start_a, start_b, length_a);
          if (cmp != 0)
            return cmp;
          continue;
        }

      if (*pa != *pb)
        return (guchar) *pa < (guchar) *pb ? -1 : 1;
      pa++;
      pb++;
    }

  if (*pa != *pb)
    return (guchar) *pa < (guchar) *pb ? -1 : 1;

  return strcmp (a, b);
}

static int
compare_tensors_by_name (gconstpointer a,
                         gconstpointer b)
{
  const QsTensorInfo *ta = *(const QsTensorInfo * const *) a;
  const QsTensorInfo *tb = *(const QsTensorInfo * const *) b;

  return qs_tensor_name_compare (ta->name, tb->name);
}

static int
compare_strings_naturally (gconstpointer a,
                           gconstpointer b)
{
  return qs_tensor_name_compare (*(const char * const *) a, *(const char * const *) b);
}

static void
component_free (QsComponent *component)
{
  if (component == NULL)
    return;

  g_free (component->name);
  g_free (component->class_name);
  g_free (component->library);
  g_free (component->path);
  g_clear_pointer (&component->files, g_ptr_array_unref);
  g_clear_pointer (&component->tensors, g_ptr_array_unref);
  g_free (component);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsComponent, component_free)

static QsComponent *
component_new (const char *name,
               const char *path)
{
  QsComponent *component = g_new0 (QsComponent, 1);

  component->name = g_strdup (name);
  component->path = g_strdup (path);
  component->files = g_ptr_array_new_with_free_func ((GDestroyNotify) qs_safetensors_file_unref);
  component->tensors = g_ptr_array_new ();

  return component;
}

/* Appends every tensor of the component's files and sorts them by name. */
static void
component_collect_tensors (QsComponent *component)
{
  for (guint i = 0; i < component->files->len; i++)
    {
      QsSafetensorsFile *file = g_ptr_array_index (component->files, i);
      guint n = qs_safetensors_file_get_n_tensors (file);

      for (guint j = 0; j < n; j++)
        {
          const QsTensorInfo *info = qs_safetensors_file_get_tensor (file, j);

          g_ptr_array_add (component->tensors, (gpointer) info);
          component->total_bytes += info->data_end - info->data_begin;
        }
    }

  g_ptr_array_sort (component->tensors, compare_tensors_by_name);
}

/* Appends "a, b, c and 4 more" to @str. */
static void
append_name_list (GString   *str,
                  GPtrArray *names)
{
  guint shown = MIN (names->len, MAX_NAMES_IN_MESSAGE);

  for (guint i = 0; i < shown; i++)
    g_string_append_printf (str, "%s%s", i > 0 ? ", " : "", (const char *) g_ptr_array_index (names, i));

  if (names->len > shown)
    g_string_append_printf (str, g_dngettext (GETTEXT_PACKAGE, " and %u more", " and %u more",
                                              names->len - shown),
                            names->len - shown);
}

/* Returns the list that append_name_list() builds, for a %s in a message. */
static char *
format_name_list (GPtrArray *names)
{
  GString *str = g_string_new (NULL);

  append_name_list (str, names);
  return g_string_free (str, FALSE);
}

static JsonNode *
read_json_file (const char  *path,
                GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  JsonNode *root;

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND,
                   _("%s: cannot be read: %s"), path, local_error->message);
      return NULL;
    }

  if (!json_parser_load_from_data (parser, contents, length, &local_error))
    {
      g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                   _("%s: not valid JSON: %s"), path, local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                   _("%s: the JSON is not an object"), path);
      return NULL;
    }

  return json_node_copy (root);
}

static const char *
get_string_member (JsonObject *object,
                   const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

/* Fills in the class and library of a component from its config.json: a
 * diffusers config names its class in `_class_name`, a transformers config
 * in `architectures`. A missing or unreadable config.json leaves them
 * unset, because the weights alone are enough to analyse. */
static void
read_component_config (QsComponent *component,
                       const char  *folder)
{
  g_autofree char *config_path = g_build_filename (folder, "config.json", NULL);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  JsonNode *architectures;
  const char *class_name;

  if (!g_file_test (config_path, G_FILE_TEST_IS_REGULAR))
    return;

  root = read_json_file (config_path, NULL);
  if (root == NULL)
    return;

  object = json_node_get_object (root);
  class_name = get_string_member (object, "_class_name");
  architectures = json_object_get_member (object, "architectures");

  if (component->class_name == NULL && class_name != NULL)
    component->class_name = g_strdup (class_name);

  if (component->class_name == NULL && architectures != NULL &&
      JSON_NODE_HOLDS_ARRAY (architectures) &&
      json_array_get_length (json_node_get_array (architectures)) > 0)
    {
      JsonNode *first = json_array_get_element (json_node_get_array (architectures), 0);

      if (JSON_NODE_HOLDS_VALUE (first) && json_node_get_value_type (first) == G_TYPE_STRING)
        component->class_name = g_strdup (json_node_get_string (first));
    }

  if (component->library == NULL)
    {
      if (json_object_has_member (object, "_diffusers_version") || class_name != NULL)
        component->library = g_strdup ("diffusers");
      else if (json_object_has_member (object, "transformers_version") || architectures != NULL)
        component->library = g_strdup ("transformers");
    }
}

typedef enum
{
  WEIGHTS_NONE,
  WEIGHTS_FILE,
  WEIGHTS_INDEX,
} WeightsKind;

static gboolean
is_broken_link (const char *path)
{
  return g_file_test (path, G_FILE_TEST_IS_SYMLINK) && !g_file_test (path, G_FILE_TEST_EXISTS);
}

/* Picks one of @names that exists in @folder. Two existing names make the
 * folder ambiguous, and a dangling link means an interrupted hub download. */
static gboolean
find_one_of (const char         *folder,
             const char * const *names,
             guint               n_names,
             char              **found,
             GError            **error)
{
  for (guint i = 0; i < n_names; i++)
    {
      g_autofree char *path = g_build_filename (folder, names[i], NULL);

      if (is_broken_link (path))
        {
          g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND,
                       _("%s: a link to a file that does not exist; the download "
                         "is incomplete"),
                       path);
          return FALSE;
        }

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;

      if (*found != NULL)
        {
          g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                       _("%s: contains both %s and %s; pass the one to analyse"),
                       folder, *found, path);
          g_clear_pointer (found, g_free);
          return FALSE;
        }

      *found = g_steal_pointer (&path);
    }

  return TRUE;
}

/* Finds a folder's weights in the order that transformers and diffusers
 * load them: a single canonical file, a canonical shard index, then any one
 * shard index or any one safetensors file. @has_bin reports PyTorch
 * pickles, which are not read but explain why nothing was found. */
static gboolean
find_weights (const char   *folder,
              WeightsKind  *kind,
              char        **path,
              gboolean     *has_bin,
              GError      **error)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) indexes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *found = NULL;
  const char *name;

  *kind = WEIGHTS_NONE;
  *path = NULL;
  *has_bin = FALSE;

  if (!find_one_of (folder, canonical_weight_files, G_N_ELEMENTS (canonical_weight_files),
                    &found, error))
    return FALSE;
  if (found != NULL)
    {
      *kind = WEIGHTS_FILE;
      *path = g_steal_pointer (&found);
      return TRUE;
    }

  if (!find_one_of (folder, canonical_index_files, G_N_ELEMENTS (canonical_index_files),
                    &found, error))
    return FALSE;
  if (found != NULL)
    {
      *kind = WEIGHTS_INDEX;
      *path = g_steal_pointer (&found);
      return TRUE;
    }

  dir = g_dir_open (folder, 0, &local_error);
  if (dir == NULL)
    {
      g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND,
                   _("%s: cannot be listed: %s"), folder, local_error->message);
      return FALSE;
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (folder, name, NULL);

      if (!g_file_test (child, G_FILE_TEST_IS_REGULAR))
        continue;

      if (g_str_has_suffix (name, INDEX_SUFFIX))
        g_ptr_array_add (indexes, g_strdup (name));
      else if (g_str_has_suffix (name, ".safetensors"))
        g_ptr_array_add (files, g_strdup (name));
      else if (g_str_has_suffix (name, ".bin") || g_str_has_suffix (name, ".pt") ||
               g_str_has_suffix (name, ".pth") || g_str_has_suffix (name, ".ckpt"))
        *has_bin = TRUE;
    }

  g_ptr_array_sort (indexes, compare_strings_naturally);
  g_ptr_array_sort (files, compare_strings_naturally);

  if (indexes->len > 1)
    {
      g_autofree char *list = format_name_list (indexes);

      g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                   _("%s: contains several shard indexes (%s); pass the folder of one model"),
                   folder, list);
      return FALSE;
    }

  if (indexes->len == 1)
    {
      *kind = WEIGHTS_INDEX;
      *path = g_build_filename (folder, g_ptr_array_index (indexes, 0), NULL);
      return TRUE;
    }

  if (files->len > 1)
    {
      g_autofree char *list = format_name_list (files);

      g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                   _("%s: contains several safetensors files (%s) but no model.safetensors "
                     "and no shard index; pass one of the files"),
                   folder, list);
      return FALSE;
    }

  if (files->len == 1)
    {
      *kind = WEIGHTS_FILE;
      *path = g_build_filename (folder, g_ptr_array_index (files, 0), NULL);
    }

  return TRUE;
}

static void
set_no_weights_error (const char  *folder,
                      gboolean     has_bin,
                      GError     **error)
{
  if (has_bin)
    g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_UNSUPPORTED,
                 _("%s: contains only PyTorch pickle weights (.bin, .pt, .pth or "
                   ".ckpt); convert them to safetensors first"),
                 folder);
  else
    g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND,
                 _("%s: no safetensors weights found (looked for model.safetensors, "
                   "diffusion_pytorch_model.safetensors, a *.safetensors.index.json shard "
                   "index or a single *.safetensors file)"),
                 folder);
}

static gboolean
is_safe_relative_path (const char *path)
{
  g_auto(GStrv) parts = NULL;

  if (path[0] == '\0' || g_path_is_absolute (path))
    return FALSE;

  parts = g_strsplit (path, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (strcmp (parts[i], "..") == 0)
        return FALSE;
    }

  return TRUE;
}

/* Reads the weight_map of a shard index: tensor name → shard file name. */
static GHashTable *
read_weight_map (const char  *index_path,
                 GPtrArray   *shard_names,
                 GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GHashTable) weight_map = NULL;
  g_autoptr(GHashTable) shard_set = NULL;
  JsonNode *map_node;
  JsonObjectIter iter;
  const char *tensor_name;
  JsonNode *file_node;

  root = read_json_file (index_path, error);
  if (root == NULL)
    return NULL;

  map_node = json_object_get_member (json_node_get_object (root), "weight_map");
  if (map_node == NULL || !JSON_NODE_HOLDS_OBJECT (map_node))
    {
      g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                   _("%s: has no “weight_map” object"), index_path);
      return NULL;
    }

  weight_map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  shard_set = g_hash_table_new (g_str_hash, g_str_equal);

  json_object_iter_init_ordered (&iter, json_node_get_object (map_node));
  while (json_object_iter_next_ordered (&iter, &tensor_name, &file_node))
    {
      const char *file_name;

      if (!JSON_NODE_HOLDS_VALUE (file_node) || json_node_get_value_type (file_node) != G_TYPE_STRING)
        {
          g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                       _("%s: the weight_map entry of “%s” is not a file name"),
                       index_path, tensor_name);
          return NULL;
        }

      file_name = json_node_get_string (file_node);
      if (!is_safe_relative_path (file_name))
        {
          g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                       _("%s: the weight_map entry of “%s” names “%s”, which is "
                         "not a file inside the index's folder"),
                       index_path, tensor_name, file_name);
          return NULL;
        }

      g_hash_table_insert (weight_map, g_strdup (tensor_name), g_strdup (file_name));
      if (!g_hash_table_contains (shard_set, file_name))
        {
          char *copy = g_strdup (file_name);

          g_hash_table_add (shard_set, copy);
          g_ptr_array_add (shard_names, copy);
        }
    }

  g_ptr_array_sort (shard_names, compare_strings_naturally);

  return g_steal_pointer (&weight_map);
}

/* Lists "<stem>-NNNNN-of-NNNNN.safetensors" files that the index does not
 * name: shards of another save, which mean the index is stale. */
static void
find_unmapped_shards (const char *folder,
                      const char *stem,
                      GPtrArray  *shard_names,
                      GPtrArray  *unmapped)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  g_autofree char *prefix = g_strconcat (stem, "-", NULL);
  const char *name;

  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      gboolean mapped = FALSE;
      const char *p;

      if (!g_str_has_prefix (name, prefix) || !g_str_has_suffix (name, ".safetensors"))
        continue;

      /* Match "00001-of-00002.safetensors" after the prefix. */
      p = name + strlen (prefix);
      if (!g_ascii_isdigit (*p))
        continue;
      while (g_ascii_isdigit (*p))
        p++;
      if (!g_str_has_prefix (p, "-of-"))
        continue;
      p += strlen ("-of-");
      if (!g_ascii_isdigit (*p))
        continue;
      while (g_ascii_isdigit (*p))
        p++;
      if (strcmp (p, ".safetensors") != 0)
        continue;

      for (guint i = 0; i < shard_names->len; i++)
        {
          if (strcmp (g_ptr_array_index (shard_names, i), name) == 0)
            mapped = TRUE;
        }

      if (!mapped)
        g_ptr_array_add (unmapped, g_strdup (name));
    }

  g_ptr_array_sort (unmapped, compare_strings_naturally);
}

static gboolean
check_shard_files (const char  *index_path,
                   const char  *folder,
                   GPtrArray   *shard_names,
                   GError     **error)
{
  g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) unmapped = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *index_name = g_path_get_basename (index_path);
  g_autofree char *stem = g_strndup (index_name, strlen (index_name) - strlen (INDEX_SUFFIX));
  g_autofree char *missing_list = NULL;
  g_autofree char *unmapped_list = NULL;

  for (guint i = 0; i < shard_names->len; i++)
    {
      const char *name = g_ptr_array_index (shard_names, i);
      g_autofree char *path = g_build_filename (folder, name, NULL);

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (missing, g_strdup (name));
    }

  find_unmapped_shards (folder, stem, shard_names, unmapped);

  if (missing->len == 0 && unmapped->len == 0)
    return TRUE;

  missing_list = format_name_list (missing);
  unmapped_list = format_name_list (unmapped);

  if (unmapped->len == 0)
    g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_SHARDS,
                 _("%s: the weight_map names shard files that are missing: %s "
                   "(partial download?)."),
                 index_path, missing_list);
  else if (missing->len == 0)
    g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_SHARDS,
                 _("%s: shard files in the folder are not in the weight_map: %s "
                   "(stale index?)."),
                 index_path, unmapped_list);
  else
    g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_SHARDS,
                 _("%s: the weight_map names shard files that are missing: %s "
                   "(partial download?). shard files in the folder are not in the "
                   "weight_map: %s (stale index?)."),
                 index_path, missing_list, unmapped_list);
  return FALSE;
}

/* Checks both directions between the weight_map and the opened shards:
 * every tensor of a shard is mapped to that shard, no tensor is in two
 * shards, and every mapped tensor exists. */
static gboolean
check_shard_tensors (const char   *index_path,
                     QsComponent  *component,
                     GHashTable   *weight_map,
                     GPtrArray    *shard_names,
                     GError      **error)
{
  g_autoptr(GHashTable) found_in = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) unmapped = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) misplaced = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) duplicated = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) absent = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) message = NULL;
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  for (guint i = 0; i < component->files->len; i++)
    {
      QsSafetensorsFile *file = g_ptr_array_index (component->files, i);
      const char *shard = g_ptr_array_index (shard_names, i);
      guint n = qs_safetensors_file_get_n_tensors (file);

      for (guint j = 0; j < n; j++)
        {
          const QsTensorInfo *info = qs_safetensors_file_get_tensor (file, j);
          const char *mapped = g_hash_table_lookup (weight_map, info->name);
          const char *previous = g_hash_table_lookup (found_in, info->name);

          if (previous != NULL)
            {
              g_ptr_array_add (duplicated, g_strdup_printf ("%s (in %s and %s)",
                                                            info->name, previous, shard));
              continue;
            }
          g_hash_table_insert (found_in, info->name, (gpointer) shard);

          if (mapped == NULL)
            g_ptr_array_add (unmapped, g_strdup_printf ("%s (in %s)", info->name, shard));
          else if (strcmp (mapped, shard) != 0)
            g_ptr_array_add (misplaced, g_strdup_printf ("%s (mapped to %s, found in %s)",
                                                         info->name, mapped, shard));
        }
    }

  g_hash_table_iter_init (&iter, weight_map);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (!g_hash_table_contains (found_in, key))
        g_ptr_array_add (absent, g_strdup_printf ("%s (mapped to %s)",
                                                  (const char *) key, (const char *) value));
    }

  if (unmapped->len == 0 && misplaced->len == 0 && duplicated->len == 0 && absent->len == 0)
    return TRUE;

  g_ptr_array_sort (unmapped, compare_strings_naturally);
  g_ptr_array_sort (misplaced, compare_strings_naturally);
  g_ptr_array_sort (duplicated, compare_strings_naturally);
  g_ptr_array_sort (absent, compare_strings_naturally);

  /* Each kind of mismatch is its own translatable sentence, and the
   * message joins the sentences that apply with a space. */
  message = g_string_new (NULL);
  g_string_printf (message, _("%s: the index and its shards disagree."), index_path);
  if (unmapped->len > 0)
    {
      g_autofree char *list = format_name_list (unmapped);

      g_string_append_c (message, ' ');
      g_string_append_printf (message, _("Tensors not in the weight_map: %s."), list);
    }
  if (misplaced->len > 0)
    {
      g_autofree char *list = format_name_list (misplaced);

      g_string_append_c (message, ' ');
      g_string_append_printf (message, _("Tensors in the wrong shard: %s."), list);
    }
  if (duplicated->len > 0)
    {
      g_autofree char *list = format_name_list (duplicated);

      g_string_append_c (message, ' ');
      g_string_append_printf (message, _("Tensors in more than one shard: %s."), list);
    }
  if (absent->len > 0)
    {
      g_autofree char *list = format_name_list (absent);

      g_string_append_c (message, ' ');
      g_string_append_printf (message, _("Mapped tensors missing from their shard: %s."), list);
    }

  g_set_error_literal (error, QS_MODEL_ERROR, QS_MODEL_ERROR_SHARDS, message->str);
  return FALSE;
}

static gboolean
load_shards (QsComponent  *component,
             const char   *index_path,
             guint64       header_limit,
             GError      **error)
{
  g_autoptr(GPtrArray) shard_names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) weight_map = NULL;
  g_autofree char *folder = g_path_get_dirname (index_path);

  weight_map = read_weight_map (index_path, shard_names, error);
  if (weight_map == NULL)
    return FALSE;

  if (!check_shard_files (index_path, folder, shard_names, error))
    return FALSE;

  for (guint i = 0; i < shard_names->len; i++)
    {
      g_autofree char *path = g_build_filename (folder, g_ptr_array_index (shard_names, i), NULL);
      QsSafetensorsFile *file = qs_safetensors_file_open (path, header_limit, error);

      if (file == NULL)
        return FALSE;
      g_ptr_array_add (component->files, file);
    }

  return check_shard_tensors (index_path, component, weight_map, shard_names, error);
}

static gboolean
load_weights (QsComponent  *component,
              WeightsKind   kind,
              const char   *weights_path,
              guint64       header_limit,
              GError      **error)
{
  QsSafetensorsFile *file;

  if (kind == WEIGHTS_INDEX)
    {
      if (!load_shards (component, weights_path, header_limit, error))
        return FALSE;
    }
  else
    {
      file = qs_safetensors_file_open (weights_path, header_limit, error);
      if (file == NULL)
        return FALSE;
      g_ptr_array_add (component->files, file);
    }

  component_collect_tensors (component);
  return TRUE;
}

/* Loads the component in @folder. Returns %TRUE with *component unset when
 * the folder has no weights at all, which is normal for a scheduler or a
 * tokenizer. */
static gboolean
load_folder_component (const char    *name,
                       const char    *folder,
                       guint64        header_limit,
                       QsComponent  **out_component,
                       gboolean      *has_bin,
                       GError       **error)
{
  g_autoptr(QsComponent) component = NULL;
  g_autofree char *weights_path = NULL;
  WeightsKind kind;

  *out_component = NULL;

  if (!find_weights (folder, &kind, &weights_path, has_bin, error))
    return FALSE;
  if (kind == WEIGHTS_NONE)
    return TRUE;

  component = component_new (name, folder);
  if (!load_weights (component, kind, weights_path, header_limit, error))
    return FALSE;

  *out_component = g_steal_pointer (&component);
  return TRUE;
}

typedef enum
{
  INDEX_ENTRY_OPTION,
  INDEX_ENTRY_ABSENT,
  INDEX_ENTRY_COMPONENT,
} IndexEntryKind;

/* Reads one model_index.json entry. Components are `"name": ["library",
 * "ClassName"]`; `[null, null]` marks an absent optional component, and
 * other values are pipeline options such as requires_safety_checker. */
static IndexEntryKind
parse_index_entry (JsonNode    *node,
                   const char **library,
                   const char **class_name)
{
  JsonArray *array;
  JsonNode *library_node;
  JsonNode *class_node;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return INDEX_ENTRY_OPTION;

  array = json_node_get_array (node);
  if (json_array_get_length (array) != 2)
    return INDEX_ENTRY_OPTION;

  library_node = json_array_get_element (array, 0);
  class_node = json_array_get_element (array, 1);
  if (!JSON_NODE_HOLDS_VALUE (class_node) || json_node_get_value_type (class_node) != G_TYPE_STRING)
    return JSON_NODE_HOLDS_NULL (class_node) ? INDEX_ENTRY_ABSENT : INDEX_ENTRY_OPTION;

  *class_name = json_node_get_string (class_node);
  *library = NULL;
  if (JSON_NODE_HOLDS_VALUE (library_node) && json_node_get_value_type (library_node) == G_TYPE_STRING)
    *library = json_node_get_string (library_node);

  return INDEX_ENTRY_COMPONENT;
}

static gboolean
open_pipeline (QsModel     *self,
               const char  *folder,
               guint64      header_limit,
               GError     **error)
{
  g_autofree char *index_path = g_build_filename (folder, "model_index.json", NULL);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;
  const char *pipeline_class;

  root = read_json_file (index_path, error);
  if (root == NULL)
    return FALSE;

  object = json_node_get_object (root);
  pipeline_class = get_string_member (object, "_class_name");
  self->pipeline_class = g_strdup (pipeline_class);
  self->is_pipeline = TRUE;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    {
      g_autofree char *subfolder = NULL;
      QsComponent *component = NULL;
      const char *library;
      const char *class_name;
      IndexEntryKind kind;
      gboolean has_bin;

      if (name[0] == '_' || !is_safe_relative_path (name) || strchr (name, '/') != NULL)
        continue;

      kind = parse_index_entry (node, &library, &class_name);
      if (kind == INDEX_ENTRY_OPTION)
        continue;
      if (kind == INDEX_ENTRY_ABSENT)
        {
          g_ptr_array_add (self->components_without_weights, g_strdup (name));
          continue;
        }

      subfolder = g_build_filename (folder, name, NULL);
      if (g_file_test (subfolder, G_FILE_TEST_IS_DIR) &&
          !load_folder_component (name, subfolder, header_limit, &component, &has_bin, error))
        return FALSE;

      if (component == NULL)
        {
          g_ptr_array_add (self->components_without_weights, g_strdup (name));
          continue;
        }

      component->class_name = g_strdup (class_name);
      component->library = g_strdup (library);
      read_component_config (component, subfolder);
      g_ptr_array_add (self->components, component);
    }

  if (self->components->len == 0)
    {
      if (self->components_without_weights->len > 0)
        {
          g_autofree char *list = format_name_list (self->components_without_weights);

          g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND,
                       _("%s: no component of the pipeline has safetensors weights "
                         "(checked %s)"),
                       folder, list);
        }
      else
        g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND,
                     _("%s: no component of the pipeline has safetensors weights"),
                     folder);
      return FALSE;
    }

  return TRUE;
}

static gboolean
open_folder (QsModel     *self,
             const char  *folder,
             guint64      header_limit,
             GError     **error)
{
  g_autofree char *index_path = g_build_filename (folder, "model_index.json", NULL);
  QsComponent *component = NULL;
  gboolean has_bin;

  if (g_file_test (index_path, G_FILE_TEST_IS_REGULAR))
    return open_pipeline (self, folder, header_limit, error);

  if (!load_folder_component ("", folder, header_limit, &component, &has_bin, error))
    return FALSE;

  if (component == NULL)
    {
      set_no_weights_error (folder, has_bin, error);
      return FALSE;
    }

  read_component_config (component, folder);
  g_ptr_array_add (self->components, component);
  return TRUE;
}

static gboolean
open_file (QsModel     *self,
           const char  *path,
           guint64      header_limit,
           GError     **error)
{
  g_autoptr(QsComponent) component = NULL;
  g_autofree char *folder = g_path_get_dirname (path);
  WeightsKind kind = WEIGHTS_FILE;

  if (g_str_has_suffix (path, ".bin") || g_str_has_suffix (path, ".pt") ||
      g_str_has_suffix (path, ".pth") || g_str_has_suffix (path, ".ckpt") ||
      g_str_has_suffix (path, ".gguf"))
    {
      g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_UNSUPPORTED,
                   _("%s: only safetensors files can be analysed; convert this "
                     "checkpoint to safetensors first"),
                   path);
      return FALSE;
    }

  /* A shard index stands for the model in its folder. */
  if (g_str_has_suffix (path, INDEX_SUFFIX))
    {
      kind = WEIGHTS_INDEX;
      component = component_new ("", folder);
    }
  else
    component = component_new ("", path);

  if (!load_weights (component, kind, path, header_limit, error))
    return FALSE;

  g_ptr_array_add (self->components, g_steal_pointer (&component));
  return TRUE;
}

static QsModel *
model_new (void)
{
  QsModel *self = g_new0 (QsModel, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->components = g_ptr_array_new_with_free_func ((GDestroyNotify) component_free);
  self->components_without_weights = g_ptr_array_new_with_free_func (g_free);

  return self;
}

QsModel *
qs_model_open_full (const char  *source,
                    const char  *cache_dir,
                    guint64      header_limit,
                    GError     **error)
{
  g_autoptr(QsModel) self = NULL;
  g_autofree char *snapshot = NULL;
  gboolean opened;

  g_return_val_if_fail (source != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = model_new ();

  if (source[0] == '\0')
    {
      g_set_error_literal (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND,
                           _("No model given: pass a safetensors file, a folder or "
                             "a Hugging Face id"));
      return NULL;
    }

  /* A path that exists always wins, so a local folder named like an id
   * ("org/name" relative to the working directory) is read directly. */
  if (!g_file_test (source, G_FILE_TEST_EXISTS))
    {
      if (!qs_hub_cache_is_repo_id (source))
        {
          g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND,
                       _("%s: no such file or folder"), source);
          return NULL;
        }

      snapshot = qs_hub_cache_resolve (source, cache_dir, &self->revision, error);
      if (snapshot == NULL)
        return NULL;

      self->name = g_strdup (source);
      self->path = g_steal_pointer (&snapshot);
    }
  else
    {
      self->path = g_canonicalize_filename (source, NULL);
      self->name = g_path_get_basename (self->path);
    }

  if (g_file_test (self->path, G_FILE_TEST_IS_DIR))
    opened = open_folder (self, self->path, header_limit, error);
  else
    opened = open_file (self, self->path, header_limit, error);

  if (!opened)
    return NULL;

  return g_steal_pointer (&self);
}

QsModel *
qs_model_open (const char  *source,
               const char  *cache_dir,
               GError     **error)
{
  return qs_model_open_full (source, cache_dir, 0, error);
}

QsModel *
qs_model_ref (QsModel *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
qs_model_unref (QsModel *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_clear_pointer (&self->components, g_ptr_array_unref);
  g_clear_pointer (&self->components_without_weights, g_ptr_array_unref);
  g_free (self->name);
  g_free (self->path);
  g_free (self->revision);
  g_free (self->pipeline_class);
  g_free (self);
}

const char *
qs_model_get_name (QsModel *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->name;
}

const char *
qs_model_get_path (QsModel *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->path;
}

const char *
qs_model_get_revision (QsModel *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->revision;
}

const char *
qs_model_get_pipeline_class (QsModel *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->pipeline_class;
}

gboolean
qs_model_is_pipeline (QsModel *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->is_pipeline;
}

guint
qs_model_get_n_components (QsModel *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->components->len;
}

const QsComponent *
qs_model_get_component (QsModel *self,
                        guint    index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->components->len, NULL);

  return g_ptr_array_index (self->components, index);
}

const QsComponent *
qs_model_lookup_component (QsModel    *self,
                           const char *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < self->components->len; i++)
    {
      const QsComponent *component = g_ptr_array_index (self->components, i);

      if (strcmp (component->name, name) == 0)
        return component;
    }

  return NULL;
}

/* Finds the component a spec's subfolder names. The single component of a
 * plain folder or file is named "", and its folder or file name selects it
 * too, so a spec written for the folder still works. */
static guint
find_component_index (QsModel    *self,
                      const char *subfolder)
{
  for (guint i = 0; i < self->components->len; i++)
    {
      const QsComponent *component = g_ptr_array_index (self->components, i);

      if (strcmp (component->name, subfolder) == 0)
        return i;
    }

  if (!self->is_pipeline && self->components->len == 1 && strcmp (subfolder, self->name) == 0)
    return 0;

  return G_MAXUINT;
}

static void
set_unknown_component_error (QsModel     *self,
                             const char  *subfolder,
                             GError     **error)
{
  g_autoptr(GString) names = g_string_new (NULL);
  gboolean without_weights = FALSE;

  for (guint i = 0; i < self->components_without_weights->len; i++)
    {
      if (strcmp (g_ptr_array_index (self->components_without_weights, i), subfolder) == 0)
        without_weights = TRUE;
    }

  for (guint i = 0; i < self->components->len; i++)
    {
      const QsComponent *component = g_ptr_array_index (self->components, i);
      const char *shown = component->name[0] != '\0' ? component->name : self->name;

      g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", shown);
    }

  if (without_weights)
    g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND,
                 _("%s: component “%s” has no safetensors weights; components with "
                   "weights: %s"),
                 self->name, subfolder, names->str);
  else
    g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND,
                 _("%s: no component “%s”; components with weights: %s"),
                 self->name, subfolder, names->str);
}

GPtrArray *
qs_model_select_components (QsModel            *self,
                            const char * const *specs,
                            GError            **error)
{
  g_autofree gboolean *selected = NULL;
  GPtrArray *result;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  selected = g_new0 (gboolean, MAX (self->components->len, 1));

  if (specs == NULL || specs[0] == NULL)
    {
      for (guint i = 0; i < self->components->len; i++)
        selected[i] = TRUE;
    }

  for (guint s = 0; specs != NULL && specs[s] != NULL; s++)
    {
      const char *colon = strchr (specs[s], ':');
      g_autofree char *subfolder = NULL;
      const char *class_name = NULL;
      const QsComponent *component;
      guint index;

      if (colon != NULL)
        {
          subfolder = g_strndup (specs[s], colon - specs[s]);
          class_name = colon + 1;
        }
      else
        subfolder = g_strdup (specs[s]);

      index = find_component_index (self, subfolder);
      if (index == G_MAXUINT)
        {
          set_unknown_component_error (self, subfolder, error);
          return NULL;
        }

      /* The SDNQ scripts take "subfolder:ClassName" specs, and a class
       * that differs from the model's own is only reported, since the
       * subfolder alone decides which weights are read. */
      component = g_ptr_array_index (self->components, index);
      if (class_name != NULL && class_name[0] != '\0' && component->class_name != NULL &&
          g_ascii_strcasecmp (class_name, component->class_name) != 0)
        g_debug ("Component “%s” has class %s, not %s as requested",
                 subfolder, component->class_name, class_name);

      selected[index] = TRUE;
    }

  result = g_ptr_array_new ();
  for (guint i = 0; i < self->components->len; i++)
    {
      if (selected[i])
        g_ptr_array_add (result, g_ptr_array_index (self->components, i));
    }

  return result;
}
