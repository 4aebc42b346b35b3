/* qs-safetensors-writer.h: a streaming, sharding safetensors writer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "qs-safetensors.h"

G_BEGIN_DECLS

typedef struct _QsSafetensorsWriter QsSafetensorsWriter;

/**
 * qs_safetensors_writer_new:
 * @folder: the folder the files are created in; it must exist
 * @file_stem: the file name without extension: "model" (transformers) or
 *   "diffusion_pytorch_model" (diffusers)
 * @max_shard_size: the largest sum of tensor data per file, in bytes; 0
 *   for no limit
 *
 * Creates a writer that lays tensors out as the safetensors reference
 * writer does, so that the data can be streamed one tensor at a time once
 * every tensor is declared. Each file has a u64 header length, then a JSON
 * header with `{"__metadata__": {"format": "pt"}}` first, padded with
 * spaces to a multiple of 8 bytes. The data follows, ordered by descending
 * dtype alignment and then by name, so every tensor is aligned to its
 * element size.
 *
 * Tensors are split into shards as huggingface_hub does: in the order they
 * are declared, a new shard starts when the next tensor would make the
 * current one exceed @max_shard_size, and a tensor larger than the limit
 * gets a shard of its own. One shard is named `<stem>.safetensors`; more
 * are named `<stem>-00001-of-0000K.safetensors`, with an index
 * `<stem>.safetensors.index.json`.
 *
 * Returns: (transfer full): a writer
 */
QsSafetensorsWriter *qs_safetensors_writer_new        (const char          *folder,
                                                       const char          *file_stem,
                                                       guint64              max_shard_size);
void                 qs_safetensors_writer_free       (QsSafetensorsWriter *self);

/**
 * qs_safetensors_writer_add_tensor:
 * @name: the tensor name
 * @dtype: the stored dtype
 * @shape: (array length=ndim) (nullable): the shape
 * @ndim: the number of dimensions (0 for a scalar)
 *
 * Declares a tensor. Every tensor must be declared before
 * qs_safetensors_writer_open(), in the order that sharding follows.
 */
void                 qs_safetensors_writer_add_tensor (QsSafetensorsWriter *self,
                                                       const char          *name,
                                                       QsTensorDtype        dtype,
                                                       const gint64        *shape,
                                                       guint                ndim);

/**
 * qs_safetensors_writer_open:
 *
 * Assigns the declared tensors to shards, creates every file (failing if
 * one exists) and writes its header. Data offsets are final from here on.
 *
 * Returns: %FALSE with @error set for a duplicate name, a size that is not
 *   a whole number of bytes, or a file that cannot be created or written
 */
gboolean             qs_safetensors_writer_open       (QsSafetensorsWriter *self,
                                                       GError             **error);

/**
 * qs_safetensors_writer_write:
 * @name: a declared tensor
 * @data: the tensor's bytes, little-endian and row-major
 * @size: the byte count; it must equal the declared size
 *
 * Writes a tensor's data at its place in its file, in any order.
 *
 * Returns: %FALSE with @error set for an unknown name, a wrong size, a
 *   tensor written twice or a failed write (such as a full disk)
 */
gboolean             qs_safetensors_writer_write      (QsSafetensorsWriter *self,
                                                       const char          *name,
                                                       gconstpointer        data,
                                                       gsize                size,
                                                       GError             **error);

/**
 * qs_safetensors_writer_close:
 *
 * Checks that every declared tensor was written, flushes and closes the
 * files, and writes the index when there are several shards.
 *
 * Returns: %FALSE with @error naming the first tensor not written or the
 *   file that failed
 */
gboolean             qs_safetensors_writer_close      (QsSafetensorsWriter *self,
                                                       GError             **error);

/* Returns the byte size of a declared tensor, or 0 for an unknown name. */
guint64              qs_safetensors_writer_get_tensor_size (QsSafetensorsWriter *self,
                                                            const char          *name);
/* Returns the sum of the declared tensors' data sizes (the index's
 * total_size). */
guint64              qs_safetensors_writer_get_total_size  (QsSafetensorsWriter *self);
/* Returns the number of shards; valid after qs_safetensors_writer_open(). */
guint                qs_safetensors_writer_get_n_shards    (QsSafetensorsWriter *self);
/* Returns a shard's file name; valid after qs_safetensors_writer_open(). */
const char          *qs_safetensors_writer_get_shard_name  (QsSafetensorsWriter *self,
                                                            guint                index);

/**
 * qs_json_to_python_string:
 * @node: a JSON node
 *
 * Serializes @node as Python's `json.dumps(obj, indent=2, sort_keys=True)`
 * does, which is how diffusers, transformers, huggingface_hub and SDNQ
 * write config.json, quantization_config.json and shard indexes: keys
 * sorted by code point at every level, two-space indents, ", " replaced by
 * "," plus a newline, non-ASCII characters escaped as \uXXXX, and doubles
 * written as Python's repr() writes floats (shortest round-trip digits,
 * "1.0", "1e-06"). No newline is added at the end.
 *
 * Returns: (transfer full): the text
 */
char                *qs_json_to_python_string (JsonNode *node);

/**
 * qs_write_new_file:
 * @path: the file to create
 * @contents: the bytes
 * @length: their count
 *
 * Writes a new file, failing if it exists, and flushes it to disk.
 *
 * Returns: %FALSE with @error naming the file
 */
gboolean             qs_write_new_file (const char  *path,
                                        const char  *contents,
                                        gsize        length,
                                        GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsSafetensorsWriter, qs_safetensors_writer_free)

G_END_DECLS
