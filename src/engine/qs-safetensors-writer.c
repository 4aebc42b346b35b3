/* qs-safetensors-writer.c: a streaming, sharding safetensors writer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The layout follows the safetensors reference writer (huggingface/
 * safetensors, safetensors/src/tensor.rs: prepare), and the sharding and
 * index follow huggingface_hub's split_state_dict_into_shards_factory and
 * the save_pretrained methods of diffusers and transformers.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "qs-safetensors-writer.h"

#define INDEX_SUFFIX ".safetensors.index.json"

typedef struct
{
  char          *name;
  QsTensorDtype  dtype;
  guint          ndim;
  gint64        *shape;
  guint64        size;
  guint          shard;
  guint64        begin;
  gboolean       written;
} WriterTensor;

typedef struct
{
  char      *file_name;
  char      *path;
  int        fd;
  GPtrArray *tensors;
  guint64    data_start;
  guint64    data_size;
} WriterShard;

struct _QsSafetensorsWriter
{
  char       *folder;
  char       *file_stem;
  guint64     max_shard_size;
  GPtrArray  *tensors;
  GHashTable *by_name;
  GPtrArray  *shards;
  guint64     total_size;
  gboolean    opened;
  gboolean    closed;
};

static void
writer_tensor_free (WriterTensor *tensor)
{
  g_free (tensor->name);
  g_free (tensor->shape);
  g_free (tensor);
}

static void
writer_shard_free (WriterShard *shard)
{
  if (shard->fd >= 0)
    close (shard->fd);
  g_free (shard->file_name);
  g_free (shard->path);
  g_ptr_array_unref (shard->tensors);
  g_free (shard);
}

QsSafetensorsWriter *
qs_safetensors_writer_new (const char *folder,
                           const char *file_stem,
                           guint64     max_shard_size)
{
  QsSafetensorsWriter *self;

  g_return_val_if_fail (folder != NULL, NULL);
  g_return_val_if_fail (file_stem != NULL && file_stem[0] != '\0', NULL);

  self = g_new0 (QsSafetensorsWriter, 1);
  self->folder = g_strdup (folder);
  self->file_stem = g_strdup (file_stem);
  self->max_shard_size = max_shard_size;
  self->tensors = g_ptr_array_new_with_free_func ((GDestroyNotify) writer_tensor_free);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->shards = g_ptr_array_new_with_free_func ((GDestroyNotify) writer_shard_free);

  return self;
}

void
qs_safetensors_writer_free (QsSafetensorsWriter *self)
{
  if (self == NULL)
    return;

  g_free (self->folder);
  g_free (self->file_stem);
  g_ptr_array_unref (self->shards);
  g_hash_table_unref (self->by_name);
  g_ptr_array_unref (self->tensors);
  g_free (self);
}

void
qs_safetensors_writer_add_tensor (QsSafetensorsWriter *self,
                                  const char          *name,
                                  QsTensorDtype        dtype,
                                  const gint64        *shape,
                                  guint                ndim)
{
  WriterTensor *tensor;

  g_return_if_fail (self != NULL);
  g_return_if_fail (!self->opened);
  g_return_if_fail (name != NULL);
  g_return_if_fail (shape != NULL || ndim == 0);

  tensor = g_new0 (WriterTensor, 1);
  tensor->name = g_strdup (name);
  tensor->dtype = dtype;
  tensor->ndim = ndim;
  tensor->shape = g_memdup2 (shape, MAX (ndim, 1) * sizeof (gint64));
  g_ptr_array_add (self->tensors, tensor);
}

/* Output helpers */

/* Sets "<action> <path>: <strerror>", e.g. "Failed to write x: No space
 * left on device". */
static gboolean
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *action,
                 const char  *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "%s %s: %s", action, path, g_strerror (saved_errno));
  return FALSE;
}

/* Writes all of @size bytes at @offset, retrying short writes. */
static gboolean
pwrite_all (int           fd,
            const char   *path,
            gconstpointer data,
            gsize         size,
            guint64       offset,
            GError      **error)
{
  const guint8 *p = data;

  while (size > 0)
    {
      /* Linux transfers at most about 2 GiB per call. */
      gsize chunk = MIN (size, (gsize) 1 << 30);
      ssize_t n = pwrite (fd, p, chunk, (off_t) offset);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return set_errno_error (error, errno, "Failed to write", path);
        }
      if (n == 0)
        return set_errno_error (error, ENOSPC, "Failed to write", path);

      p += n;
      size -= (gsize) n;
      offset += (guint64) n;
    }

  return TRUE;
}

gboolean
qs_write_new_file (const char  *path,
                   const char  *contents,
                   gsize        length,
                   GError     **error)
{
  int fd;
  gboolean ok;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (contents != NULL || length == 0, FALSE);

  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return set_errno_error (error, errno, "Failed to create", path);

  ok = pwrite_all (fd, path, contents, length, 0, error);
  if (ok && fdatasync (fd) != 0)
    ok = set_errno_error (error, errno, "Failed to flush", path);
  if (close (fd) != 0 && ok)
    ok = set_errno_error (error, errno, "Failed to close", path);

  return ok;
}

/* JSON text */

static void
append_json_string (GString    *out,
                    const char *str,
                    gboolean    ascii_only)
{
  g_string_append_c (out, '"');

  for (const char *p = str; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        case '\b':
          g_string_append (out, "\\b");
          break;
        case '\f':
          g_string_append (out, "\\f");
          break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else if (c < 0x80 || !ascii_only)
            g_string_append_len (out, p, g_utf8_next_char (p) - p);
          else if (c < 0x10000)
            g_string_append_printf (out, "\\u%04x", c);
          else
            {
              /* Python writes characters beyond the BMP as surrogate pairs. */
              gunichar v = c - 0x10000;

              g_string_append_printf (out, "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
            }
          break;
        }
    }

  g_string_append_c (out, '"');
}

/* Appends @value as Python's float.__repr__ writes it: the shortest digits
 * that read back to the same double, in fixed notation for decimal
 * exponents from -4 to 15 and scientific notation otherwise. */
static void
append_python_float (GString *out,
                     double   value)
{
  char buffer[64];
  char digits[32];
  guint n_digits = 0;
  int exponent;
  char *e;

  if (isnan (value))
    {
      g_string_append (out, "NaN");
      return;
    }
  if (isinf (value))
    {
      g_string_append (out, value > 0 ? "Infinity" : "-Infinity");
      return;
    }

  for (int precision = 1; precision <= 17; precision++)
    {
      g_snprintf (buffer, sizeof buffer, "%.*e", precision - 1, value);
      if (g_ascii_strtod (buffer, NULL) == value)
        break;
    }

  /* buffer is "[-]d[.ddd]e±XX". */
  e = strchr (buffer, 'e');
  exponent = atoi (e + 1);
  *e = '\0';
  for (const char *p = buffer; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        digits[n_digits++] = *p;
    }
  while (n_digits > 1 && digits[n_digits - 1] == '0')
    n_digits--;
  digits[n_digits] = '\0';

  if (buffer[0] == '-')
    g_string_append_c (out, '-');

  if (exponent >= -4 && exponent < 16)
    {
      if (exponent >= 0)
        {
          for (int i = 0; i <= exponent; i++)
            g_string_append_c (out, (guint) i < n_digits ? digits[i] : '0');
          g_string_append_c (out, '.');
          if ((guint) exponent + 1 < n_digits)
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
      return;
    }

  g_string_append_c (out, digits[0]);
  if (n_digits > 1)
    {
      g_string_append_c (out, '.');
      g_string_append (out, digits + 1);
    }
  g_string_append_printf (out, "e%c%02d", exponent < 0 ? '-' : '+', ABS (exponent));
}

static int
compare_member_names (gconstpointer a,
                      gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static void
append_indent (GString *out,
               guint    level)
{
  g_string_append_c (out, '\n');
  for (guint i = 0; i < level; i++)
    g_string_append (out, "  ");
}

static void
append_python_json (GString  *out,
                    JsonNode *node,
                    guint     level)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr(GList) members = json_object_get_members (object);
        g_autoptr(GPtrArray) names = g_ptr_array_new ();

        for (GList *l = members; l != NULL; l = l->next)
          g_ptr_array_add (names, l->data);

        if (names->len == 0)
          {
            g_string_append (out, "{}");
            break;
          }

        g_ptr_array_sort (names, compare_member_names);
        g_string_append_c (out, '{');
        for (guint i = 0; i < names->len; i++)
          {
            const char *name = g_ptr_array_index (names, i);

            if (i > 0)
              g_string_append_c (out, ',');
            append_indent (out, level + 1);
            append_json_string (out, name, TRUE);
            g_string_append (out, ": ");
            append_python_json (out, json_object_get_member (object, name), level + 1);
          }
        append_indent (out, level);
        g_string_append_c (out, '}');
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        if (n == 0)
          {
            g_string_append (out, "[]");
            break;
          }

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            append_indent (out, level + 1);
            append_python_json (out, json_array_get_element (array, i), level + 1);
          }
        append_indent (out, level);
        g_string_append_c (out, ']');
      }
      break;

    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_BOOLEAN:
          g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
          break;
        case G_TYPE_DOUBLE:
        case G_TYPE_FLOAT:
          append_python_float (out, json_node_get_double (node));
          break;
        case G_TYPE_STRING:
          append_json_string (out, json_node_get_string (node), TRUE);
          break;
        case G_TYPE_INT64:
        case G_TYPE_INT:
        default:
          g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
          break;
        }
      break;

    case JSON_NODE_NULL:
    default:
      g_string_append (out, "null");
      break;
    }
}

char *
qs_json_to_python_string (JsonNode *node)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (node != NULL, NULL);

  append_python_json (out, node, 0);

  return g_string_free (out, FALSE);
}

/* Planning */

static gboolean
compute_sizes (QsSafetensorsWriter  *self,
               GError              **error)
{
  self->total_size = 0;

  for (guint i = 0; i < self->tensors->len; i++)
    {
      WriterTensor *tensor = g_ptr_array_index (self->tensors, i);
      guint64 numel = 1;
      guint bits = qs_tensor_dtype_get_bits (tensor->dtype);

      for (guint d = 0; d < tensor->ndim; d++)
        {
          if (tensor->shape[d] < 0)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Tensor %s has a negative dimension"), tensor->name);
              return FALSE;
            }
          numel *= (guint64) tensor->shape[d];
        }

      if (numel * bits % 8 != 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("Tensor %s: %llu elements of %s are not a whole number of bytes"),
                       tensor->name, (unsigned long long) numel,
                       qs_tensor_dtype_to_string (tensor->dtype));
          return FALSE;
        }

      if (!g_hash_table_insert (self->by_name, tensor->name, tensor)
          || strcmp (tensor->name, "__metadata__") == 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("Tensor name %s is used twice or reserved"), tensor->name);
          return FALSE;
        }

      tensor->size = numel * bits / 8;
      self->total_size += tensor->size;
    }

  return TRUE;
}

static WriterShard *
shard_new (void)
{
  WriterShard *shard = g_new0 (WriterShard, 1);

  shard->fd = -1;
  shard->tensors = g_ptr_array_new ();

  return shard;
}

/* Follows huggingface_hub: a tensor over the limit gets a shard of its own,
 * placed before the one being filled. Otherwise a shard closes when the
 * next tensor would overflow it. */
static void
assign_shards (QsSafetensorsWriter *self)
{
  g_autoptr(GPtrArray) shards = g_ptr_array_new ();
  WriterShard *current = NULL;
  guint64 current_size = 0;

  for (guint i = 0; i < self->tensors->len; i++)
    {
      WriterTensor *tensor = g_ptr_array_index (self->tensors, i);

      if (self->max_shard_size > 0 && tensor->size > self->max_shard_size)
        {
          WriterShard *own = shard_new ();

          g_ptr_array_add (own->tensors, tensor);
          g_ptr_array_add (shards, own);
          continue;
        }

      if (current != NULL && self->max_shard_size > 0
          && current_size + tensor->size > self->max_shard_size)
        {
          g_ptr_array_add (shards, current);
          current = NULL;
        }

      if (current == NULL)
        {
          current = shard_new ();
          current_size = 0;
        }

      g_ptr_array_add (current->tensors, tensor);
      current_size += tensor->size;
    }

  if (current != NULL)
    g_ptr_array_add (shards, current);
  if (shards->len == 0)
    g_ptr_array_add (shards, shard_new ());

  for (guint i = 0; i < shards->len; i++)
    {
      WriterShard *shard = g_ptr_array_index (shards, i);

      if (shards->len == 1)
        shard->file_name = g_strconcat (self->file_stem, ".safetensors", NULL);
      else
        shard->file_name = g_strdup_printf ("%s-%05u-of-%05u.safetensors", self->file_stem,
                                            i + 1, shards->len);
      shard->path = g_build_filename (self->folder, shard->file_name, NULL);

      for (guint t = 0; t < shard->tensors->len; t++)
        ((WriterTensor *) g_ptr_array_index (shard->tensors, t))->shard = i;

      g_ptr_array_add (self->shards, shard);
    }
}

/* The reference writer's order: descending dtype (the enum order of the
 * specification, which grows with alignment), then name. */
static int
compare_file_order (gconstpointer a,
                    gconstpointer b)
{
  const WriterTensor *left = *(const WriterTensor * const *) a;
  const WriterTensor *right = *(const WriterTensor * const *) b;

  if (left->dtype != right->dtype)
    return left->dtype > right->dtype ? -1 : 1;

  return strcmp (left->name, right->name);
}

static char *
build_header (WriterShard *shard)
{
  GString *header = g_string_new ("{\"__metadata__\":{\"format\":\"pt\"}");
  guint64 offset = 0;

  for (guint i = 0; i < shard->tensors->len; i++)
    {
      WriterTensor *tensor = g_ptr_array_index (shard->tensors, i);

      tensor->begin = offset;
      offset += tensor->size;

      g_string_append_c (header, ',');
      append_json_string (header, tensor->name, FALSE);
      g_string_append_printf (header, ":{\"dtype\":\"%s\",\"shape\":[",
                              qs_tensor_dtype_to_string (tensor->dtype));
      for (guint d = 0; d < tensor->ndim; d++)
        g_string_append_printf (header, "%s%" G_GINT64_FORMAT, d > 0 ? "," : "", tensor->shape[d]);
      g_string_append_printf (header, "],\"data_offsets\":[%" G_GUINT64_FORMAT ",%"
                              G_GUINT64_FORMAT "]}", tensor->begin, offset);
    }
  g_string_append_c (header, '}');

  while (header->len % 8 != 0)
    g_string_append_c (header, ' ');

  shard->data_size = offset;

  return g_string_free (header, FALSE);
}

gboolean
qs_safetensors_writer_open (QsSafetensorsWriter  *self,
                            GError              **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (!self->opened, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  self->opened = TRUE;

  if (!compute_sizes (self, error))
    return FALSE;

  assign_shards (self);

  for (guint i = 0; i < self->shards->len; i++)
    {
      WriterShard *shard = g_ptr_array_index (self->shards, i);
      g_autofree char *header = NULL;
      guint8 length[8];
      gsize header_length;

      g_ptr_array_sort (shard->tensors, compare_file_order);
      header = build_header (shard);
      header_length = strlen (header);
      shard->data_start = 8 + header_length;

      shard->fd = g_open (shard->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (shard->fd < 0)
        return set_errno_error (error, errno, "Failed to create", shard->path);

      for (guint b = 0; b < 8; b++)
        length[b] = (guint8) ((guint64) header_length >> (8 * b));

      if (!pwrite_all (shard->fd, shard->path, length, 8, 0, error)
          || !pwrite_all (shard->fd, shard->path, header, header_length, 8, error))
        return FALSE;
    }

  return TRUE;
}

gboolean
qs_safetensors_writer_write (QsSafetensorsWriter  *self,
                             const char           *name,
                             gconstpointer         data,
                             gsize                 size,
                             GError              **error)
{
  WriterTensor *tensor;
  WriterShard *shard;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (self->opened && !self->closed, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);

  tensor = g_hash_table_lookup (self->by_name, name);
  if (tensor == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("Tensor %s was not declared before the files were created"), name);
      return FALSE;
    }

  if (size != tensor->size || tensor->written)
    {
      if (tensor->written)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     _("Tensor %s: got %llu bytes for %llu, written twice"),
                     name, (unsigned long long) size, (unsigned long long) tensor->size);
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     _("Tensor %s: got %llu bytes for %llu"),
                     name, (unsigned long long) size, (unsigned long long) tensor->size);
      return FALSE;
    }

  shard = g_ptr_array_index (self->shards, tensor->shard);
  if (!pwrite_all (shard->fd, shard->path, data, size, shard->data_start + tensor->begin, error))
    return FALSE;

  tensor->written = TRUE;
  return TRUE;
}

static gboolean
write_index (QsSafetensorsWriter  *self,
             GError              **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *name = g_strconcat (self->file_stem, INDEX_SUFFIX, NULL);
  g_autofree char *path = g_build_filename (self->folder, name, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "metadata");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "total_size");
  json_builder_add_int_value (builder, (gint64) self->total_size);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "weight_map");
  json_builder_begin_object (builder);
  for (guint i = 0; i < self->tensors->len; i++)
    {
      WriterTensor *tensor = g_ptr_array_index (self->tensors, i);
      WriterShard *shard = g_ptr_array_index (self->shards, tensor->shard);

      json_builder_set_member_name (builder, tensor->name);
      json_builder_add_string_value (builder, shard->file_name);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  text = qs_json_to_python_string (root);
  contents = g_strconcat (text, "\n", NULL);

  return qs_write_new_file (path, contents, strlen (contents), error);
}

gboolean
qs_safetensors_writer_close (QsSafetensorsWriter  *self,
                             GError              **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (self->opened && !self->closed, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  self->closed = TRUE;

  for (guint i = 0; i < self->tensors->len; i++)
    {
      WriterTensor *tensor = g_ptr_array_index (self->tensors, i);

      if (!tensor->written)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       _("Tensor %s was declared but never written"), tensor->name);
          return FALSE;
        }
    }

  for (guint i = 0; i < self->shards->len; i++)
    {
      WriterShard *shard = g_ptr_array_index (self->shards, i);
      int fd = shard->fd;

      shard->fd = -1;
      if (fdatasync (fd) != 0)
        {
          int saved_errno = errno;

          close (fd);
          return set_errno_error (error, saved_errno, "Failed to flush",
                                  shard->path);
        }
      if (close (fd) != 0)
        return set_errno_error (error, errno, "Failed to close", shard->path);
    }

  if (self->shards->len > 1)
    return write_index (self, error);

  return TRUE;
}

guint64
qs_safetensors_writer_get_tensor_size (QsSafetensorsWriter *self,
                                       const char          *name)
{
  WriterTensor *tensor;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (name != NULL, 0);

  tensor = g_hash_table_lookup (self->by_name, name);

  return tensor != NULL ? tensor->size : 0;
}

guint64
qs_safetensors_writer_get_total_size (QsSafetensorsWriter *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->total_size;
}

guint
qs_safetensors_writer_get_n_shards (QsSafetensorsWriter *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->shards->len;
}

const char *
qs_safetensors_writer_get_shard_name (QsSafetensorsWriter *self,
                                      guint                index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->shards->len, NULL);

  return ((WriterShard *) g_ptr_array_index (self->shards, index))->file_name;
}
