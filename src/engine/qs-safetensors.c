/* qs-safetensors.c: a validating, memory-mapped safetensors reader
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <sys/mman.h>
#include <unistd.h>

#include <string.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "qs-error.h"
#include "qs-float.h"
#include "qs-safetensors.h"

/* The first bytes of a Git LFS pointer file, which a clone without
 * `git lfs pull` leaves in place of the real weights. */
#define LFS_POINTER_PREFIX "version https://git-lfs"

#define METADATA_KEY "__metadata__"

struct _QsSafetensorsFile
{
  gatomicrefcount  ref_count;
  char            *path;
  GMappedFile     *mapped;
  const guint8    *contents;
  guint64          size;
  guint64          header_size;
  const guint8    *data;
  guint64          data_size;
  GPtrArray       *tensors;
  GHashTable      *by_name;
  GHashTable      *metadata;
  GPtrArray       *warnings;
};

typedef struct
{
  const char *name;
  guint       bits;
  guint       is_float : 1;
  guint       is_decodable : 1;
} DtypeDescription;

static const DtypeDescription dtype_table[] = {
  [QS_TENSOR_BOOL] = { "BOOL", 8, FALSE, FALSE },
  [QS_TENSOR_F4] = { "F4", 4, TRUE, FALSE },
  [QS_TENSOR_F6_E2M3] = { "F6_E2M3", 6, TRUE, FALSE },
  [QS_TENSOR_F6_E3M2] = { "F6_E3M2", 6, TRUE, FALSE },
  [QS_TENSOR_U8] = { "U8", 8, FALSE, FALSE },
  [QS_TENSOR_I8] = { "I8", 8, FALSE, FALSE },
  [QS_TENSOR_F8_E5M2] = { "F8_E5M2", 8, TRUE, TRUE },
  [QS_TENSOR_F8_E4M3] = { "F8_E4M3", 8, TRUE, TRUE },
  [QS_TENSOR_F8_E8M0] = { "F8_E8M0", 8, TRUE, FALSE },
  [QS_TENSOR_F8_E4M3FNUZ] = { "F8_E4M3FNUZ", 8, TRUE, FALSE },
  [QS_TENSOR_F8_E5M2FNUZ] = { "F8_E5M2FNUZ", 8, TRUE, FALSE },
  [QS_TENSOR_I16] = { "I16", 16, FALSE, FALSE },
  [QS_TENSOR_U16] = { "U16", 16, FALSE, FALSE },
  [QS_TENSOR_F16] = { "F16", 16, TRUE, TRUE },
  [QS_TENSOR_BF16] = { "BF16", 16, TRUE, TRUE },
  [QS_TENSOR_I32] = { "I32", 32, FALSE, FALSE },
  [QS_TENSOR_U32] = { "U32", 32, FALSE, FALSE },
  [QS_TENSOR_F32] = { "F32", 32, TRUE, TRUE },
  [QS_TENSOR_C64] = { "C64", 64, TRUE, FALSE },
  [QS_TENSOR_F64] = { "F64", 64, TRUE, TRUE },
  [QS_TENSOR_I64] = { "I64", 64, FALSE, FALSE },
  [QS_TENSOR_U64] = { "U64", 64, FALSE, FALSE },
};

const char *
qs_tensor_dtype_to_string (QsTensorDtype dtype)
{
  g_return_val_if_fail ((guint) dtype < G_N_ELEMENTS (dtype_table), NULL);

  return dtype_table[dtype].name;
}

gboolean
qs_tensor_dtype_from_string (const char    *str,
                             QsTensorDtype *dtype)
{
  g_return_val_if_fail (str != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (dtype_table); i++)
    {
      if (strcmp (dtype_table[i].name, str) == 0)
        {
          if (dtype != NULL)
            *dtype = (QsTensorDtype) i;
          return TRUE;
        }
    }

  return FALSE;
}

guint
qs_tensor_dtype_get_bits (QsTensorDtype dtype)
{
  g_return_val_if_fail ((guint) dtype < G_N_ELEMENTS (dtype_table), 0);

  return dtype_table[dtype].bits;
}

gboolean
qs_tensor_dtype_is_decodable (QsTensorDtype dtype)
{
  g_return_val_if_fail ((guint) dtype < G_N_ELEMENTS (dtype_table), FALSE);

  return dtype_table[dtype].is_decodable;
}

gboolean
qs_tensor_dtype_is_float (QsTensorDtype dtype)
{
  g_return_val_if_fail ((guint) dtype < G_N_ELEMENTS (dtype_table), FALSE);

  return dtype_table[dtype].is_float;
}

static void
tensor_info_free (gpointer data)
{
  QsTensorInfo *info = data;

  g_free (info->name);
  g_free (info->shape);
  g_free (info);
}

static void set_file_error (GError     **error,
                            int          code,
                            const char  *path,
                            const char  *format,
                            ...) G_GNUC_PRINTF (4, 5);

/* Prefixes every message with the file, so a failure inside a pipeline of
 * many files still names the broken one. */
static void
set_file_error (GError     **error,
                int          code,
                const char  *path,
                const char  *format,
                ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, QS_MODEL_ERROR, code, "%s: %s", path, message);
}

static char *
format_shape (const QsTensorInfo *info)
{
  GString *str = g_string_new ("[");

  for (guint i = 0; i < info->ndim; i++)
    g_string_append_printf (str, "%s%" G_GINT64_FORMAT, i > 0 ? ", " : "", info->shape[i]);
  g_string_append_c (str, ']');

  return g_string_free (str, FALSE);
}

/* Reads a non-negative JSON integer. json-glib stores integers as gint64 and
 * turns values beyond G_MAXINT64 into negative numbers, so the sign check
 * also rejects those. */
static gboolean
get_non_negative_int (JsonNode *node,
                      gint64   *value)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  if (json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;

  *value = json_node_get_int (node);
  return *value >= 0;
}

static gboolean
parse_metadata (QsSafetensorsFile  *self,
                JsonNode           *node,
                GError            **error)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                      _("“%s” must be an object that maps strings to strings, but it is a %s"),
                      METADATA_KEY, json_node_type_name (node));
      return FALSE;
    }

  json_object_iter_init_ordered (&iter, json_node_get_object (node));
  while (json_object_iter_next_ordered (&iter, &key, &value))
    {
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        {
          set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                          _("“%s” must map strings to strings, but the value of “%s” is a %s"),
                          METADATA_KEY, key, json_node_type_name (value));
          return FALSE;
        }

      g_hash_table_insert (self->metadata, g_strdup (key),
                           g_strdup (json_node_get_string (value)));
    }

  return TRUE;
}

static gboolean
parse_shape (QsSafetensorsFile  *self,
             QsTensorInfo       *info,
             JsonNode           *node,
             GError            **error)
{
  JsonArray *array;
  guint64 nonzero_product = 1;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                      _("tensor “%s” has no “shape” array"), info->name);
      return FALSE;
    }

  array = json_node_get_array (node);
  info->ndim = json_array_get_length (array);
  info->shape = g_new0 (gint64, MAX (info->ndim, 1));
  info->numel = 1;

  for (guint i = 0; i < info->ndim; i++)
    {
      gint64 dim;

      if (!get_non_negative_int (json_array_get_element (array, i), &dim))
        {
          set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                          _("dimension %u of the shape of tensor “%s” is not a "
                            "non-negative integer"),
                          i, info->name);
          return FALSE;
        }

      info->shape[i] = dim;

      /* The product of the non-zero dimensions bounds every partial product,
       * including the row size of a tensor whose first dimension is 0. */
      if (dim > 0 && !g_uint64_checked_mul (&nonzero_product, nonzero_product, (guint64) dim))
        {
          set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                          _("the shape of tensor “%s” has more elements than a "
                            "64-bit count can hold"),
                          info->name);
          return FALSE;
        }

      info->numel *= (guint64) dim;
    }

  return TRUE;
}

static gboolean
parse_offsets (QsSafetensorsFile  *self,
               QsTensorInfo       *info,
               JsonNode           *node,
               GError            **error)
{
  JsonArray *array;
  gint64 begin;
  gint64 end;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                      _("tensor “%s” has no “data_offsets” array"), info->name);
      return FALSE;
    }

  array = json_node_get_array (node);
  if (json_array_get_length (array) != 2 ||
      !get_non_negative_int (json_array_get_element (array, 0), &begin) ||
      !get_non_negative_int (json_array_get_element (array, 1), &end))
    {
      set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                      _("“data_offsets” of tensor “%s” must be two non-negative "
                        "integers [begin, end]"),
                      info->name);
      return FALSE;
    }

  if (end < begin)
    {
      set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                      _("“data_offsets” of tensor “%s” end before they begin: [%lld, %lld]"),
                      info->name, (long long) begin, (long long) end);
      return FALSE;
    }

  info->data_begin = (guint64) begin;
  info->data_end = (guint64) end;

  return TRUE;
}

/* Checks that the offsets span exactly the bytes that the dtype and shape
 * need. The reference reader only requires the total bit count to be a
 * whole number of bytes. PyTorch packs F4 and F6 values along the last
 * dimension, so a last dimension that does not fill whole bytes is also
 * rejected: no row of such a tensor would start on a byte. */
static gboolean
check_byte_size (QsSafetensorsFile  *self,
                 QsTensorInfo       *info,
                 GError            **error)
{
  guint bits = qs_tensor_dtype_get_bits (info->dtype);
  g_autofree char *shape = format_shape (info);
  guint64 total_bits;
  guint64 expected;

  if (!g_uint64_checked_mul (&total_bits, info->numel, bits))
    {
      set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                      _("tensor “%s” with shape %s is larger than 2^64 bits"),
                      info->name, shape);
      return FALSE;
    }

  if (total_bits % 8 != 0 ||
      (bits < 8 && info->ndim > 0 && ((guint64) info->shape[info->ndim - 1] * bits) % 8 != 0))
    {
      set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                      _("tensor “%s” has dtype %s (%u bits) and shape %s, so its "
                        "rows do not fill whole bytes; the shape is malformed"),
                      info->name, qs_tensor_dtype_to_string (info->dtype), bits, shape);
      return FALSE;
    }

  expected = total_bits / 8;
  if (info->data_end - info->data_begin != expected)
    {
      set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                      _("tensor “%s” has dtype %s and shape %s, which need %llu bytes, "
                        "but its data_offsets [%llu, %llu] span %llu bytes"),
                      info->name, qs_tensor_dtype_to_string (info->dtype), shape,
                      (unsigned long long) expected, (unsigned long long) info->data_begin,
                      (unsigned long long) info->data_end,
                      (unsigned long long) (info->data_end - info->data_begin));
      return FALSE;
    }

  return TRUE;
}

/* Parses one header entry into a new element of self->tensors, which owns it
 * even when a check fails. */
static QsTensorInfo *
parse_tensor (QsSafetensorsFile  *self,
              const char         *name,
              JsonNode           *node,
              GError            **error)
{
  QsTensorInfo *info;
  JsonObject *object;
  JsonNode *dtype_node;
  const char *dtype_string;

  info = g_new0 (QsTensorInfo, 1);
  info->name = g_strdup (name);
  info->file = self;
  g_ptr_array_add (self->tensors, info);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                      _("the entry of tensor “%s” must be an object, but it is a %s"),
                      name, json_node_type_name (node));
      return NULL;
    }
  object = json_node_get_object (node);

  dtype_node = json_object_get_member (object, "dtype");
  if (dtype_node == NULL || !JSON_NODE_HOLDS_VALUE (dtype_node) ||
      json_node_get_value_type (dtype_node) != G_TYPE_STRING)
    {
      set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                      _("tensor “%s” has no “dtype” string"), name);
      return NULL;
    }

  dtype_string = json_node_get_string (dtype_node);
  if (!qs_tensor_dtype_from_string (dtype_string, &info->dtype))
    {
      set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                      _("tensor “%s” has an unknown dtype “%s”"), name, dtype_string);
      return NULL;
    }

  if (!parse_shape (self, info, json_object_get_member (object, "shape"), error) ||
      !parse_offsets (self, info, json_object_get_member (object, "data_offsets"), error) ||
      !check_byte_size (self, info, error))
    return NULL;

  return info;
}

/* json-glib keeps only the last of several members with the same name, so
 * duplicates are found through the members that the parser emits. The first
 * pass only counts them per object, which stays cheap for headers with a
 * million entries. When a count exceeds the object's size, a second pass
 * records the names to report which one repeats. */
typedef struct
{
  GHashTable *counts;
  GHashTable *names_by_object;
  JsonObject *duplicate_object;
  char       *duplicate_name;
} DuplicateScan;

static void
count_member_cb (JsonParser *parser,
                 JsonObject *object,
                 const char *member_name,
                 gpointer    user_data)
{
  DuplicateScan *scan = user_data;
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (scan->counts, object));

  g_hash_table_insert (scan->counts, object, GUINT_TO_POINTER (count + 1));
}

static void
record_member_cb (JsonParser *parser,
                  JsonObject *object,
                  const char *member_name,
                  gpointer    user_data)
{
  DuplicateScan *scan = user_data;
  GHashTable *names;

  if (scan->duplicate_name != NULL)
    return;

  names = g_hash_table_lookup (scan->names_by_object, object);
  if (names == NULL)
    {
      names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (scan->names_by_object, object, names);
    }

  if (!g_hash_table_add (names, g_strdup (member_name)))
    {
      scan->duplicate_object = object;
      scan->duplicate_name = g_strdup (member_name);
    }
}

static gboolean
has_duplicate_members (GHashTable *counts)
{
  GHashTableIter iter;
  gpointer object;
  gpointer count;

  g_hash_table_iter_init (&iter, counts);
  while (g_hash_table_iter_next (&iter, &object, &count))
    {
      if (GPOINTER_TO_UINT (count) != json_object_get_size (object))
        return TRUE;
    }

  return FALSE;
}

static void
set_duplicate_error (QsSafetensorsFile  *self,
                     JsonObject         *root,
                     DuplicateScan      *scan,
                     GError            **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  if (scan->duplicate_object == root)
    {
      set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                      _("the header lists “%s” twice; tensor names must be unique"),
                      scan->duplicate_name);
      return;
    }

  json_object_iter_init_ordered (&iter, root);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    {
      if (JSON_NODE_HOLDS_OBJECT (node) && json_node_get_object (node) == scan->duplicate_object)
        {
          set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                          _("the entry of “%s” lists the key “%s” twice"),
                          name, scan->duplicate_name);
          return;
        }
    }

  set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                  _("the header lists the key “%s” twice in one object"),
                  scan->duplicate_name);
}

static int
compare_offsets (gconstpointer a,
                 gconstpointer b)
{
  const QsTensorInfo *ta = *(const QsTensorInfo * const *) a;
  const QsTensorInfo *tb = *(const QsTensorInfo * const *) b;

  if (ta->data_begin != tb->data_begin)
    return ta->data_begin < tb->data_begin ? -1 : 1;
  if (ta->data_end != tb->data_end)
    return ta->data_end < tb->data_end ? -1 : 1;
  return strcmp (ta->name, tb->name);
}

/* Returns the offset just past the JSON object that starts at text[0], or
 * -1 when it does not close within @length bytes. json-glib 1.6 accepts
 * some text after the root value, such as a second object, so the reader
 * finds the end itself to allow only whitespace there. */
static gssize
find_object_end (const char *text,
                 gsize       length)
{
  gboolean in_string = FALSE;
  gsize depth = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }

      if (c == '"')
        {
          in_string = TRUE;
        }
      else if (c == '{' || c == '[')
        {
          depth++;
        }
      else if (c == '}' || c == ']')
        {
          if (depth == 0 || --depth == 0)
            return i + 1;
        }
    }

  return -1;
}

static gboolean
parse_header_json (QsSafetensorsFile  *self,
                   const char         *text,
                   gsize               length,
                   GError            **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) json_error = NULL;
  DuplicateScan scan = { NULL, NULL, NULL, NULL };
  JsonNode *root;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;
  gboolean parsed;
  gboolean duplicates;
  gssize object_end;

  if (!g_utf8_validate_len (text, length, NULL))
    {
      set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                      _("the header is not valid UTF-8 text"));
      return FALSE;
    }

  /* The reference reader requires the JSON to start at the first byte and
   * allows only trailing whitespace as padding. */
  if (length == 0 || text[0] != '{')
    {
      set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                      _("the header does not start with “{”"));
      return FALSE;
    }

  object_end = find_object_end (text, length);
  for (gsize i = object_end < 0 ? length : (gsize) object_end; i < length; i++)
    {
      if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
        {
          set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                          _("the header is not valid JSON: text follows the object "
                            "at byte %llu"), (unsigned long long) i);
          return FALSE;
        }
    }

  scan.counts = g_hash_table_new (NULL, NULL);
  g_signal_connect (parser, "object-member", G_CALLBACK (count_member_cb), &scan);
  parsed = json_parser_load_from_data (parser, text, length, &json_error);
  g_signal_handlers_disconnect_by_func (parser, count_member_cb, &scan);

  if (!parsed)
    {
      g_hash_table_unref (scan.counts);
      set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                      _("the header is not valid JSON: %s"), json_error->message);
      return FALSE;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_hash_table_unref (scan.counts);
      set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                      _("the header is not a JSON object"));
      return FALSE;
    }

  duplicates = has_duplicate_members (scan.counts);
  g_hash_table_unref (scan.counts);

  if (duplicates)
    {
      scan.names_by_object = g_hash_table_new_full (NULL, NULL, NULL,
                                                    (GDestroyNotify) g_hash_table_unref);
      g_signal_connect (parser, "object-member", G_CALLBACK (record_member_cb), &scan);
      json_parser_load_from_data (parser, text, length, NULL);
      g_signal_handlers_disconnect_by_func (parser, record_member_cb, &scan);
      g_hash_table_unref (scan.names_by_object);

      g_assert (scan.duplicate_name != NULL);
      set_duplicate_error (self, json_node_get_object (json_parser_get_root (parser)), &scan, error);
      g_free (scan.duplicate_name);
      return FALSE;
    }

  json_object_iter_init_ordered (&iter, json_node_get_object (root));
  while (json_object_iter_next_ordered (&iter, &name, &node))
    {
      QsTensorInfo *info;

      if (strcmp (name, METADATA_KEY) == 0)
        {
          if (!parse_metadata (self, node, error))
            return FALSE;
          continue;
        }

      info = parse_tensor (self, name, node, error);
      if (info == NULL)
        return FALSE;

      g_hash_table_insert (self->by_name, info->name, info);
    }

  return TRUE;
}

/* Requires the sorted offsets to tile the data buffer from 0 with no hole
 * and no overlap, as the reference reader does. */
static gboolean
check_coverage (QsSafetensorsFile  *self,
                guint64            *data_end,
                GError            **error)
{
  guint64 expected = 0;
  const QsTensorInfo *previous = NULL;

  g_ptr_array_sort (self->tensors, compare_offsets);

  for (guint i = 0; i < self->tensors->len; i++)
    {
      const QsTensorInfo *info = g_ptr_array_index (self->tensors, i);

      if (info->data_begin < expected)
        {
          set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                          _("the data of tensor “%s” [%llu, %llu] overlaps "
                            "tensor “%s” [%llu, %llu]"),
                          info->name, (unsigned long long) info->data_begin,
                          (unsigned long long) info->data_end, previous->name,
                          (unsigned long long) previous->data_begin,
                          (unsigned long long) previous->data_end);
          return FALSE;
        }

      if (info->data_begin > expected)
        {
          set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                          _("bytes %llu to %llu of the data buffer belong to no tensor "
                            "(a hole before tensor “%s”); data_offsets must be contiguous"),
                          (unsigned long long) expected,
                          (unsigned long long) info->data_begin, info->name);
          return FALSE;
        }

      expected = info->data_end;
      previous = info;
    }

  *data_end = expected;
  return TRUE;
}

static gboolean
looks_like_text (const guint8 *bytes,
                 gsize         length)
{
  for (gsize i = 0; i < length; i++)
    {
      if (!g_ascii_isprint (bytes[i]) && !g_ascii_isspace (bytes[i]))
        return FALSE;
    }

  return TRUE;
}

static gboolean
validate (QsSafetensorsFile  *self,
          guint64             header_limit,
          GError            **error)
{
  guint64 data_end;
  guint64 expected_size;

  if (self->size >= strlen (LFS_POINTER_PREFIX) &&
      memcmp (self->contents, LFS_POINTER_PREFIX, strlen (LFS_POINTER_PREFIX)) == 0)
    {
      set_file_error (error, QS_MODEL_ERROR_LFS_POINTER, self->path,
                      _("this is a Git LFS pointer file, not the weights; fetch "
                        "them with “git lfs pull” or download the file again"));
      return FALSE;
    }

  if (self->size < 8)
    {
      set_file_error (error, QS_MODEL_ERROR_TRUNCATED, self->path,
                      _("the file is only %llu bytes long, too short "
                        "for the 8-byte header size (partial download?)"),
                      (unsigned long long) self->size);
      return FALSE;
    }

  self->header_size = qs_load_u64_le (self->contents);

  if (self->header_size > header_limit)
    {
      if (looks_like_text (self->contents, 8))
        set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                        _("the file starts with text, not with a safetensors "
                          "header size; it is not a safetensors file"));
      else
        set_file_error (error, QS_MODEL_ERROR_INVALID, self->path,
                        _("the header is %llu bytes, more than the limit of %llu "
                          "bytes; raise the header limit if the file is genuine"),
                        (unsigned long long) self->header_size,
                        (unsigned long long) header_limit);
      return FALSE;
    }

  if (self->header_size > self->size - 8)
    {
      set_file_error (error, QS_MODEL_ERROR_TRUNCATED, self->path,
                      _("the header is %llu bytes but only %llu bytes follow the "
                        "header size (partial download?)"),
                      (unsigned long long) self->header_size,
                      (unsigned long long) (self->size - 8));
      return FALSE;
    }

  if (!parse_header_json (self, (const char *) self->contents + 8, self->header_size, error))
    return FALSE;

  if (!check_coverage (self, &data_end, error))
    return FALSE;

  self->data = self->contents + 8 + self->header_size;
  self->data_size = self->size - 8 - self->header_size;

  if (data_end > self->data_size)
    {
      /* 8 + header_size ≤ size here, and data_end < 2^63, so the sum fits. */
      expected_size = 8 + self->header_size + data_end;
      set_file_error (error, QS_MODEL_ERROR_TRUNCATED, self->path,
                      _("the header describes %llu bytes of tensor data, so the file "
                        "should be %llu bytes, but it is %llu bytes (partial download?)"),
                      (unsigned long long) data_end, (unsigned long long) expected_size,
                      (unsigned long long) self->size);
      return FALSE;
    }

  if (data_end < self->data_size)
    g_ptr_array_add (self->warnings,
                     g_strdup_printf (_("%s: %llu bytes after the last tensor are ignored"),
                                      self->path,
                                      (unsigned long long) (self->data_size - data_end)));

  return TRUE;
}

QsSafetensorsFile *
qs_safetensors_file_open (const char  *path,
                          guint64      header_limit,
                          GError     **error)
{
  g_autoptr(QsSafetensorsFile) self = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (header_limit == 0)
    header_limit = QS_SAFETENSORS_DEFAULT_HEADER_LIMIT;

  self = g_new0 (QsSafetensorsFile, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->path = g_strdup (path);
  self->tensors = g_ptr_array_new_with_free_func (tensor_info_free);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->warnings = g_ptr_array_new_with_free_func (g_free);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      set_file_error (error, QS_MODEL_ERROR_INVALID, path,
                      _("this is a folder, not a safetensors file"));
      return NULL;
    }

  self->mapped = g_mapped_file_new (path, FALSE, &local_error);
  if (self->mapped == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        set_file_error (error, QS_MODEL_ERROR_NOT_FOUND, path, _("no such file"));
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  self->contents = (const guint8 *) g_mapped_file_get_contents (self->mapped);
  self->size = g_mapped_file_get_length (self->mapped);

  if (!validate (self, header_limit, error))
    return NULL;

  return g_steal_pointer (&self);
}

QsSafetensorsFile *
qs_safetensors_file_ref (QsSafetensorsFile *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
qs_safetensors_file_unref (QsSafetensorsFile *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_clear_pointer (&self->mapped, g_mapped_file_unref);
  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_clear_pointer (&self->tensors, g_ptr_array_unref);
  g_clear_pointer (&self->metadata, g_hash_table_unref);
  g_clear_pointer (&self->warnings, g_ptr_array_unref);
  g_free (self->path);
  g_free (self);
}

const char *
qs_safetensors_file_get_path (QsSafetensorsFile *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->path;
}

guint64
qs_safetensors_file_get_size (QsSafetensorsFile *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->size;
}

guint
qs_safetensors_file_get_n_tensors (QsSafetensorsFile *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->tensors->len;
}

const QsTensorInfo *
qs_safetensors_file_get_tensor (QsSafetensorsFile *self,
                                guint              index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->tensors->len, NULL);

  return g_ptr_array_index (self->tensors, index);
}

const QsTensorInfo *
qs_safetensors_file_lookup (QsSafetensorsFile *self,
                            const char        *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return g_hash_table_lookup (self->by_name, name);
}

GHashTable *
qs_safetensors_file_get_metadata (QsSafetensorsFile *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->metadata;
}

const GPtrArray *
qs_safetensors_file_get_warnings (QsSafetensorsFile *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->warnings;
}

const guint8 *
qs_safetensors_file_get_data (QsSafetensorsFile  *self,
                              const QsTensorInfo *tensor)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (tensor != NULL, NULL);
  g_return_val_if_fail (tensor->file == self, NULL);

  return self->data + tensor->data_begin;
}

guint64
qs_tensor_row_numel (const QsTensorInfo *tensor)
{
  guint64 numel = 1;

  g_return_val_if_fail (tensor != NULL, 0);

  /* Validation bounded the product of the non-zero dimensions, so this
   * cannot overflow even when shape[0] is 0. */
  for (guint i = 1; i < tensor->ndim; i++)
    numel *= (guint64) tensor->shape[i];

  return numel;
}

gboolean
qs_tensor_decode_rows (const QsTensorInfo  *tensor,
                       gint64               first_row,
                       gint64               n_rows,
                       float               *out,
                       GError             **error)
{
  const guint8 *src;
  guint64 row_numel;
  guint64 total_rows;
  guint64 count;
  guint element_size;

  g_return_val_if_fail (tensor != NULL, FALSE);
  g_return_val_if_fail (tensor->file != NULL, FALSE);
  g_return_val_if_fail (out != NULL || n_rows == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!qs_tensor_dtype_is_decodable (tensor->dtype))
    {
      set_file_error (error, QS_MODEL_ERROR_UNSUPPORTED, tensor->file->path,
                      _("tensor “%s” has dtype %s, which cannot be decoded to float32"),
                      tensor->name, qs_tensor_dtype_to_string (tensor->dtype));
      return FALSE;
    }

  row_numel = qs_tensor_row_numel (tensor);
  total_rows = tensor->ndim == 0 ? 1 : (guint64) tensor->shape[0];

  if (first_row < 0 || n_rows < 0 || (guint64) first_row > total_rows ||
      (guint64) n_rows > total_rows - (guint64) first_row)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("%s: rows %lld to %lld are outside tensor “%s”, which has %llu rows"),
                   tensor->file->path, (long long) first_row, (long long) (first_row + n_rows),
                   tensor->name, (unsigned long long) total_rows);
      return FALSE;
    }

  element_size = qs_tensor_dtype_get_bits (tensor->dtype) / 8;
  count = (guint64) n_rows * row_numel;
  src = tensor->file->data + tensor->data_begin + (guint64) first_row * row_numel * element_size;

  /* Mapped data has no alignment guarantee, since the header length and the
   * tensors before this one can have any size, so every element is read
   * through the byte-wise loaders. */
  switch (tensor->dtype)
    {
    case QS_TENSOR_F32:
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
      memcpy (out, src, count * sizeof (float));
#else
      for (guint64 i = 0; i < count; i++)
        out[i] = qs_load_f32_le (src + 4 * i);
#endif
      break;

    case QS_TENSOR_F16:
      for (guint64 i = 0; i < count; i++)
        out[i] = qs_f16_to_f32 (qs_load_u16_le (src + 2 * i));
      break;

    case QS_TENSOR_BF16:
      for (guint64 i = 0; i < count; i++)
        out[i] = qs_bf16_to_f32 (qs_load_u16_le (src + 2 * i));
      break;

    case QS_TENSOR_F64:
      for (guint64 i = 0; i < count; i++)
        out[i] = (float) qs_load_f64_le (src + 8 * i);
      break;

    case QS_TENSOR_F8_E4M3:
      for (guint64 i = 0; i < count; i++)
        out[i] = qs_f8e4m3_to_f32 (src[i]);
      break;

    case QS_TENSOR_F8_E5M2:
      for (guint64 i = 0; i < count; i++)
        out[i] = qs_f8e5m2_to_f32 (src[i]);
      break;

    case QS_TENSOR_BOOL:
    case QS_TENSOR_F4:
    case QS_TENSOR_F6_E2M3:
    case QS_TENSOR_F6_E3M2:
    case QS_TENSOR_U8:
    case QS_TENSOR_I8:
    case QS_TENSOR_F8_E8M0:
    case QS_TENSOR_F8_E4M3FNUZ:
    case QS_TENSOR_F8_E5M2FNUZ:
    case QS_TENSOR_I16:
    case QS_TENSOR_U16:
    case QS_TENSOR_I32:
    case QS_TENSOR_U32:
    case QS_TENSOR_C64:
    case QS_TENSOR_I64:
    case QS_TENSOR_U64:
    default:
      g_assert_not_reached ();
    }

  return TRUE;
}

void
qs_tensor_release_pages (const QsTensorInfo *tensor)
{
  QsSafetensorsFile *self;
  guintptr page_size;
  guintptr begin;
  guintptr end;

  g_return_if_fail (tensor != NULL);

  self = tensor->file;
  if (self == NULL || self->contents == NULL || tensor->data_end <= tensor->data_begin)
    return;

  page_size = (guintptr) sysconf (_SC_PAGESIZE);
  begin = (guintptr) qs_safetensors_file_get_data (self, tensor);
  end = begin + (tensor->data_end - tensor->data_begin);

  /* Only whole pages inside the tensor: a neighbouring tensor's bytes on a
   * shared page may still be needed. glibc's posix_madvise() ignores
   * POSIX_MADV_DONTNEED, so this uses madvise(); on this read-only private
   * file mapping it drops the pages, and a later read maps them again. */
  begin = (begin + page_size - 1) & ~(page_size - 1);
  end &= ~(page_size - 1);
  if (end > begin)
    madvise ((void *) begin, end - begin, MADV_DONTNEED);
}
