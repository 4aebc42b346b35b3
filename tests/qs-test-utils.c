/* qs-test-utils.c: fixtures shared by the test programs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "qs-test-utils.h"

typedef struct
{
  char *name;
  char *json;
} Entry;

struct _QsTestSafetensors
{
  GPtrArray  *entries;
  GByteArray *data;
  GPtrArray  *metadata_pairs;
  char       *raw_metadata;
  char       *raw_header;
  GByteArray *trailing;
  gssize      padding;
  gssize      header_length;
  guint64     size_field;
  gboolean    has_size_field;
};

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->name);
  g_free (entry->json);
  g_free (entry);
}

QsTestSafetensors *
qs_test_safetensors_new (void)
{
  QsTestSafetensors *self = g_new0 (QsTestSafetensors, 1);

  self->entries = g_ptr_array_new_with_free_func (entry_free);
  self->data = g_byte_array_new ();
  self->metadata_pairs = g_ptr_array_new_with_free_func (g_free);
  self->trailing = g_byte_array_new ();
  self->padding = -1;
  self->header_length = -1;

  return self;
}

void
qs_test_safetensors_free (QsTestSafetensors *self)
{
  if (self == NULL)
    return;

  g_ptr_array_unref (self->entries);
  g_byte_array_unref (self->data);
  g_ptr_array_unref (self->metadata_pairs);
  g_byte_array_unref (self->trailing);
  g_free (self->raw_metadata);
  g_free (self->raw_header);
  g_free (self);
}

void
qs_test_safetensors_add_raw_entry (QsTestSafetensors *self,
                                   const char        *name,
                                   const char        *json)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->name = g_strdup (name);
  entry->json = g_strdup (json);
  g_ptr_array_add (self->entries, entry);
}

void
qs_test_safetensors_add_entry (QsTestSafetensors *self,
                               const char        *name,
                               const char        *dtype,
                               const char        *shape,
                               guint64            begin,
                               guint64            end)
{
  g_autofree char *json = NULL;

  json = g_strdup_printf ("{\"dtype\":\"%s\",\"shape\":%s,\"data_offsets\":[%"
                          G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]}",
                          dtype, shape, begin, end);
  qs_test_safetensors_add_raw_entry (self, name, json);
}

void
qs_test_safetensors_append_data (QsTestSafetensors *self,
                                 gconstpointer      data,
                                 gsize              size)
{
  if (size == 0)
    return;

  if (data != NULL)
    {
      g_byte_array_append (self->data, data, size);
    }
  else
    {
      guint old_length = self->data->len;

      g_byte_array_set_size (self->data, old_length + size);
      memset (self->data->data + old_length, 0, size);
    }
}

void
qs_test_safetensors_add (QsTestSafetensors *self,
                         const char        *name,
                         const char        *dtype,
                         const char        *shape,
                         gconstpointer      data,
                         gsize              size)
{
  guint64 begin = self->data->len;

  qs_test_safetensors_append_data (self, data, size);
  qs_test_safetensors_add_entry (self, name, dtype, shape, begin, begin + size);
}

void
qs_test_safetensors_add_f32 (QsTestSafetensors *self,
                             const char        *name,
                             const char        *shape,
                             const float       *values,
                             gsize              n_values)
{
  g_autofree guint8 *bytes = g_malloc0 (MAX (n_values * 4, 1));

  for (gsize i = 0; i < n_values; i++)
    {
      guint32 bits;

      memcpy (&bits, &values[i], 4);
      bits = GUINT32_TO_LE (bits);
      memcpy (bytes + 4 * i, &bits, 4);
    }

  qs_test_safetensors_add (self, name, "F32", shape, bytes, n_values * 4);
}

void
qs_test_safetensors_add_u16 (QsTestSafetensors *self,
                             const char        *name,
                             const char        *dtype,
                             const char        *shape,
                             const guint16     *bits,
                             gsize              n_values)
{
  g_autofree guint8 *bytes = g_malloc0 (MAX (n_values * 2, 1));

  for (gsize i = 0; i < n_values; i++)
    {
      bytes[2 * i] = bits[i] & 0xff;
      bytes[2 * i + 1] = bits[i] >> 8;
    }

  qs_test_safetensors_add (self, name, dtype, shape, bytes, n_values * 2);
}

void
qs_test_safetensors_add_metadata (QsTestSafetensors *self,
                                  const char        *key,
                                  const char        *value)
{
  g_ptr_array_add (self->metadata_pairs, g_strdup_printf ("\"%s\":\"%s\"", key, value));
}

void
qs_test_safetensors_set_raw_metadata (QsTestSafetensors *self,
                                      const char        *json)
{
  g_free (self->raw_metadata);
  self->raw_metadata = g_strdup (json);
}

void
qs_test_safetensors_set_raw_header (QsTestSafetensors *self,
                                    const char        *text)
{
  g_free (self->raw_header);
  self->raw_header = g_strdup (text);
}

void
qs_test_safetensors_set_header_padding (QsTestSafetensors *self,
                                        gsize              n_spaces)
{
  self->padding = n_spaces;
  self->header_length = -1;
}

void
qs_test_safetensors_set_header_length (QsTestSafetensors *self,
                                       gsize              length)
{
  self->header_length = length;
  self->padding = -1;
}

void
qs_test_safetensors_set_header_size_field (QsTestSafetensors *self,
                                           guint64            value)
{
  self->size_field = value;
  self->has_size_field = TRUE;
}

void
qs_test_safetensors_set_trailing (QsTestSafetensors *self,
                                  gconstpointer      data,
                                  gsize              size)
{
  g_byte_array_set_size (self->trailing, 0);
  g_byte_array_append (self->trailing, data, size);
}

char *
qs_test_safetensors_get_header (QsTestSafetensors *self)
{
  GString *header = g_string_new (NULL);
  gboolean first = TRUE;

  if (self->raw_header != NULL)
    {
      g_string_append (header, self->raw_header);
    }
  else
    {
      g_string_append_c (header, '{');

      if (self->raw_metadata != NULL)
        {
          g_string_append_printf (header, "\"__metadata__\":%s", self->raw_metadata);
          first = FALSE;
        }
      else if (self->metadata_pairs->len > 0)
        {
          g_string_append (header, "\"__metadata__\":{");
          for (guint i = 0; i < self->metadata_pairs->len; i++)
            g_string_append_printf (header, "%s%s", i > 0 ? "," : "",
                                    (const char *) g_ptr_array_index (self->metadata_pairs, i));
          g_string_append_c (header, '}');
          first = FALSE;
        }

      for (guint i = 0; i < self->entries->len; i++)
        {
          const Entry *entry = g_ptr_array_index (self->entries, i);

          g_string_append_printf (header, "%s\"%s\":%s", first ? "" : ",",
                                  entry->name, entry->json);
          first = FALSE;
        }

      g_string_append_c (header, '}');
    }

  if (self->header_length >= 0)
    {
      if (header->len > (gsize) self->header_length)
        g_error ("The test header is %" G_GSIZE_FORMAT " bytes, longer than the "
                 "requested %" G_GSSIZE_FORMAT, header->len, self->header_length);
      while (header->len < (gsize) self->header_length)
        g_string_append_c (header, ' ');
    }
  else if (self->padding >= 0)
    {
      for (gssize i = 0; i < self->padding; i++)
        g_string_append_c (header, ' ');
    }
  else
    {
      while (header->len % 8 != 0)
        g_string_append_c (header, ' ');
    }

  return g_string_free (header, FALSE);
}

GBytes *
qs_test_safetensors_to_bytes (QsTestSafetensors *self)
{
  g_autofree char *header = qs_test_safetensors_get_header (self);
  GByteArray *file = g_byte_array_new ();
  guint64 size_field;

  size_field = self->has_size_field ? self->size_field : strlen (header);
  size_field = GUINT64_TO_LE (size_field);

  g_byte_array_append (file, (const guint8 *) &size_field, 8);
  g_byte_array_append (file, (const guint8 *) header, strlen (header));
  g_byte_array_append (file, self->data->data, self->data->len);
  g_byte_array_append (file, self->trailing->data, self->trailing->len);

  return g_byte_array_free_to_bytes (file);
}

void
qs_test_safetensors_write (QsTestSafetensors *self,
                           const char        *path)
{
  g_autoptr(GBytes) bytes = qs_test_safetensors_to_bytes (self);
  gsize size;
  gconstpointer data = g_bytes_get_data (bytes, &size);

  qs_test_write_bytes (path, data, size);
}

char *
qs_test_make_tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *path;

  path = g_dir_make_tmp ("quantscope-test-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_nonnull (path);

  return path;
}

void
qs_test_remove_tree (const char *path)
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

          qs_test_remove_tree (child);
        }

      if (g_rmdir (path) != 0)
        g_error ("Cannot remove folder %s: %s", path, g_strerror (errno));
    }
  else if (g_unlink (path) != 0)
    {
      g_error ("Cannot remove %s: %s", path, g_strerror (errno));
    }
}

void
qs_test_write_bytes (const char    *path,
                     gconstpointer  data,
                     gsize          size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = g_path_get_dirname (path);

  if (g_mkdir_with_parents (folder, 0755) != 0)
    g_error ("Cannot create folder %s: %s", folder, g_strerror (errno));

  g_file_set_contents (path, data, size, &error);
  g_assert_no_error (error);
}

void
qs_test_write_file (const char *path,
                    const char *contents)
{
  qs_test_write_bytes (path, contents, strlen (contents));
}

char *
qs_test_get_data_path (const char *first_element,
                       ...)
{
  const char *root = g_getenv ("QS_TEST_DATA");
  g_autoptr(GPtrArray) elements = g_ptr_array_new ();
  const char *element;
  char *path;
  va_list args;

  if (root == NULL || root[0] == '\0')
    return NULL;

  g_ptr_array_add (elements, (gpointer) root);
  va_start (args, first_element);
  for (element = first_element; element != NULL; element = va_arg (args, const char *))
    g_ptr_array_add (elements, (gpointer) element);
  va_end (args);
  g_ptr_array_add (elements, NULL);

  path = g_build_filenamev ((char **) elements->pdata);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_free (path);
      return NULL;
    }

  return path;
}
