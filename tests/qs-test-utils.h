/* qs-test-utils.h: fixtures shared by the test programs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <string.h>

#include <glib.h>

G_BEGIN_DECLS

/**
 * QsTestSafetensors:
 *
 * A builder for safetensors files, valid or deliberately broken.
 *
 * By default the builder writes the layout of the reference writer. The
 * file starts with the u64 little-endian header size. The JSON header
 * follows, with `__metadata__` first and the tensors in the order they were
 * added, padded with spaces to a multiple of 8 bytes. The data buffer
 * comes last. qs_test_safetensors_add()
 * appends a tensor's bytes to the data buffer and records contiguous
 * offsets. Every other setter breaks one rule on purpose:
 *
 * |[<!-- language="C" -->
 * g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
 * float values[] = { 1.0f, -2.0f };
 *
 * qs_test_safetensors_add_f32 (st, "a.weight", "[1, 2]", values, 2);
 * qs_test_safetensors_add (st, "flag", "U8", "[3]", "\x01\x02\x03", 3);
 * qs_test_safetensors_set_header_padding (st, 3);   // an odd header length
 * qs_test_safetensors_set_trailing (st, "garbage", 7);
 * qs_test_safetensors_write (st, path);
 * ]|
 *
 * Header entries are written as text, never through a JSON library, so
 * duplicate names, unknown dtypes and malformed shapes reach the file
 * exactly as given. Names and metadata are written between quotes without
 * escaping. Setters never fail; a misuse such as a header longer than the
 * requested length aborts the test.
 */
typedef struct _QsTestSafetensors QsTestSafetensors;

QsTestSafetensors *qs_test_safetensors_new        (void);
void               qs_test_safetensors_free       (QsTestSafetensors *self);

/**
 * qs_test_safetensors_add:
 * @dtype: the dtype string, written as given (unknown strings allowed)
 * @shape: the shape as JSON text, such as "[2, 3]" or "[]"
 * @data: (nullable): the tensor's bytes; %NULL writes @size zero bytes
 * @size: the byte count
 *
 * Appends @size bytes to the data buffer and an entry whose data_offsets
 * span them. The size is not checked against @dtype and @shape, so a
 * wrong byte size is one call.
 */
void  qs_test_safetensors_add          (QsTestSafetensors *self,
                                        const char        *name,
                                        const char        *dtype,
                                        const char        *shape,
                                        gconstpointer      data,
                                        gsize              size);

/* Adds an F32 tensor, stored little-endian. */
void  qs_test_safetensors_add_f32      (QsTestSafetensors *self,
                                        const char        *name,
                                        const char        *shape,
                                        const float       *values,
                                        gsize              n_values);

/* Adds a 16-bit tensor (F16, BF16, I16, U16) from bit patterns, stored
 * little-endian. */
void  qs_test_safetensors_add_u16      (QsTestSafetensors *self,
                                        const char        *name,
                                        const char        *dtype,
                                        const char        *shape,
                                        const guint16     *bits,
                                        gsize              n_values);

/**
 * qs_test_safetensors_add_entry:
 *
 * Adds an entry with the given data_offsets and writes no data: for
 * holes, overlaps and offsets out of bounds. Fill the buffer with
 * qs_test_safetensors_append_data().
 */
void  qs_test_safetensors_add_entry    (QsTestSafetensors *self,
                                        const char        *name,
                                        const char        *dtype,
                                        const char        *shape,
                                        guint64            begin,
                                        guint64            end);

/* Adds `"name": json` with @json written as given, for entries that lack a
 * field or have one of the wrong type. */
void  qs_test_safetensors_add_raw_entry (QsTestSafetensors *self,
                                         const char        *name,
                                         const char        *json);

/* Appends bytes to the data buffer without adding an entry. */
void  qs_test_safetensors_append_data  (QsTestSafetensors *self,
                                        gconstpointer      data,
                                        gsize              size);

/* Adds a string pair to `__metadata__`. */
void  qs_test_safetensors_add_metadata (QsTestSafetensors *self,
                                        const char        *key,
                                        const char        *value);

/* Writes `"__metadata__": json` with @json as given, replacing the pairs
 * from qs_test_safetensors_add_metadata(). */
void  qs_test_safetensors_set_raw_metadata (QsTestSafetensors *self,
                                            const char        *json);

/* Uses @text as the whole header, before padding, in place of the
 * generated JSON. The data buffer is still written after it. */
void  qs_test_safetensors_set_raw_header (QsTestSafetensors *self,
                                          const char        *text);

/* Pads the header with exactly @n_spaces spaces, in place of padding to a
 * multiple of 8. */
void  qs_test_safetensors_set_header_padding (QsTestSafetensors *self,
                                              gsize              n_spaces);

/* Pads the header with spaces to exactly @length bytes. */
void  qs_test_safetensors_set_header_length (QsTestSafetensors *self,
                                             gsize              length);

/* Writes @value as the header size field in place of the real length. */
void  qs_test_safetensors_set_header_size_field (QsTestSafetensors *self,
                                                 guint64            value);

/* Appends bytes after the data buffer. */
void  qs_test_safetensors_set_trailing (QsTestSafetensors *self,
                                        gconstpointer      data,
                                        gsize              size);

/* Returns: (transfer full): the padded header text */
char   *qs_test_safetensors_get_header   (QsTestSafetensors *self);

/* Returns: (transfer full): the whole file */
GBytes *qs_test_safetensors_to_bytes     (QsTestSafetensors *self);

/* Writes the file to @path, creating its folder; aborts the test on failure. */
void    qs_test_safetensors_write        (QsTestSafetensors *self,
                                          const char        *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsTestSafetensors, qs_test_safetensors_free)

/* Returns: (transfer full): a new empty folder under the temporary
 * folder; aborts the test on failure */
char   *qs_test_make_tmp_dir    (void);

/* Removes @path and everything under it. Symbolic links are removed, never
 * followed. A missing @path is not an error. */
void    qs_test_remove_tree     (const char   *path);

/* Writes @contents to @path, creating the folders above it; aborts the
 * test on failure. */
void    qs_test_write_file      (const char   *path,
                                 const char   *contents);
void    qs_test_write_bytes     (const char   *path,
                                 gconstpointer data,
                                 gsize         size);

/**
 * qs_test_get_data_path:
 * @first_element: a path below the folder that $QS_TEST_DATA names
 *   (tests/meson.build sets it to data/models of the source tree)
 *
 * Returns: (transfer full) (nullable): the path, or %NULL when
 *   $QS_TEST_DATA is unset or the path does not exist; call g_test_skip()
 *   then
 */
char   *qs_test_get_data_path   (const char   *first_element,
                                 ...) G_GNUC_NULL_TERMINATED;

/**
 * qs_test_assert_error_contains:
 * @error: a #GError
 * @domain: the expected domain
 * @code: the expected code
 * @needle: text the message must contain
 *
 * Asserts the domain and code as g_assert_error() does, then that the
 * message contains @needle, printing the message when it does not.
 */
#define qs_test_assert_error_contains(error, domain, code, needle)           \
  G_STMT_START {                                                             \
    const GError *qs_err_ = (error);                                         \
    const char *qs_needle_ = (needle);                                       \
    g_assert_error (qs_err_, domain, code);                                  \
    if (strstr (qs_err_->message, qs_needle_) == NULL)                       \
      {                                                                      \
        char *qs_msg_ = g_strdup_printf ("error message “%s” does not "     \
                                         "contain “%s”",                     \
                                         qs_err_->message, qs_needle_);      \
        g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,    \
                             qs_msg_);                                       \
        g_free (qs_msg_);                                                    \
      }                                                                      \
  } G_STMT_END

/* The same check for a plain string, such as a warning. */
#define qs_test_assert_contains(haystack, needle)                            \
  G_STMT_START {                                                             \
    const char *qs_haystack_ = (haystack);                                   \
    const char *qs_needle_ = (needle);                                       \
    if (qs_haystack_ == NULL || strstr (qs_haystack_, qs_needle_) == NULL)   \
      {                                                                      \
        char *qs_msg_ = g_strdup_printf ("“%s” does not contain “%s”",     \
                                         qs_haystack_ ? qs_haystack_ : "(null)", \
                                         qs_needle_);                        \
        g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,    \
                             qs_msg_);                                       \
        g_free (qs_msg_);                                                    \
      }                                                                      \
  } G_STMT_END

G_END_DECLS
