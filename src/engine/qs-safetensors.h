/* qs-safetensors.h: a validating, memory-mapped safetensors reader
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The header limit of the reference implementation (safetensors 0.4+). */
#define QS_SAFETENSORS_DEFAULT_HEADER_LIMIT 100000000

/**
 * QsTensorDtype:
 *
 * Every dtype string of the safetensors specification, in its enum order.
 */
typedef enum
{
  QS_TENSOR_BOOL,
  QS_TENSOR_F4,
  QS_TENSOR_F6_E2M3,
  QS_TENSOR_F6_E3M2,
  QS_TENSOR_U8,
  QS_TENSOR_I8,
  QS_TENSOR_F8_E5M2,
  QS_TENSOR_F8_E4M3,
  QS_TENSOR_F8_E8M0,
  QS_TENSOR_F8_E4M3FNUZ,
  QS_TENSOR_F8_E5M2FNUZ,
  QS_TENSOR_I16,
  QS_TENSOR_U16,
  QS_TENSOR_F16,
  QS_TENSOR_BF16,
  QS_TENSOR_I32,
  QS_TENSOR_U32,
  QS_TENSOR_F32,
  QS_TENSOR_C64,
  QS_TENSOR_F64,
  QS_TENSOR_I64,
  QS_TENSOR_U64,
} QsTensorDtype;

const char *qs_tensor_dtype_to_string   (QsTensorDtype dtype);
gboolean    qs_tensor_dtype_from_string (const char   *str,
                                         QsTensorDtype *dtype);
/* Bits per element: 4 for F4, 6 for the F6 types, 8·bytes otherwise. */
guint       qs_tensor_dtype_get_bits    (QsTensorDtype dtype);
/* TRUE for F32, F16, BF16, F64, F8_E4M3 and F8_E5M2: the dtypes the reader
 * decodes to float32 and the analysis may quantize. */
gboolean    qs_tensor_dtype_is_decodable (QsTensorDtype dtype);
/* TRUE for every floating-point dtype, decodable or not. */
gboolean    qs_tensor_dtype_is_float    (QsTensorDtype dtype);

typedef struct _QsSafetensorsFile QsSafetensorsFile;

/**
 * QsTensorInfo:
 * @name: the tensor name
 * @dtype: the stored dtype
 * @ndim: the number of dimensions (0 for a scalar)
 * @shape: (array length=ndim): the dimensions
 * @numel: the element count (1 for a scalar, 0 when any dimension is 0)
 * @data_begin: the start offset, relative to the data buffer
 * @data_end: the end offset (exclusive)
 * @file: (unowned): the file that contains the tensor
 *
 * A tensor's header entry. Owned by its file.
 */
typedef struct
{
  char              *name;
  QsTensorDtype      dtype;
  guint              ndim;
  gint64            *shape;
  guint64            numel;
  guint64            data_begin;
  guint64            data_end;
  QsSafetensorsFile *file;
} QsTensorInfo;

/**
 * qs_safetensors_file_open:
 * @path: a `.safetensors` file
 * @header_limit: the largest header accepted, in bytes (0 for the default)
 *
 * Maps @path and validates the whole header before returning: the header
 * size against @header_limit and the file size, the JSON, every dtype and
 * shape, byte sizes (sub-byte dtypes included), duplicate names, and that
 * the sorted offsets cover the data buffer contiguously with no holes or
 * overlaps. A Git LFS pointer or a truncated file is reported as such.
 * Bytes after the last tensor are accepted and reported by
 * qs_safetensors_file_get_warnings().
 *
 * Returns: (transfer full): the file, or %NULL with @error naming the file
 *   and the problem
 */
QsSafetensorsFile  *qs_safetensors_file_open      (const char    *path,
                                                   guint64        header_limit,
                                                   GError       **error);
QsSafetensorsFile  *qs_safetensors_file_ref       (QsSafetensorsFile *self);
void                qs_safetensors_file_unref     (QsSafetensorsFile *self);
const char         *qs_safetensors_file_get_path  (QsSafetensorsFile *self);
guint64             qs_safetensors_file_get_size  (QsSafetensorsFile *self);
guint               qs_safetensors_file_get_n_tensors (QsSafetensorsFile *self);
/* Tensors in the order of their data offsets. */
const QsTensorInfo *qs_safetensors_file_get_tensor (QsSafetensorsFile *self,
                                                    guint              index);
const QsTensorInfo *qs_safetensors_file_lookup    (QsSafetensorsFile *self,
                                                   const char        *name);
/* The `__metadata__` string map; may be empty, never %NULL. */
GHashTable         *qs_safetensors_file_get_metadata (QsSafetensorsFile *self);
/* Non-fatal findings such as trailing bytes; never %NULL. */
const GPtrArray    *qs_safetensors_file_get_warnings (QsSafetensorsFile *self);
/* The raw bytes of @tensor; unaligned. */
const guint8       *qs_safetensors_file_get_data  (QsSafetensorsFile  *self,
                                                   const QsTensorInfo *tensor);

/**
 * qs_tensor_row_numel:
 *
 * Returns: the elements per row (the product of shape[1:]); 1 for 1-D and
 *   0-D tensors
 */
guint64   qs_tensor_row_numel   (const QsTensorInfo *tensor);

/**
 * qs_tensor_decode_rows:
 * @tensor: a tensor with a decodable dtype
 * @first_row: the first row (index along shape[0])
 * @n_rows: the row count
 * @out: (out): n_rows·qs_tensor_row_numel() floats
 *
 * Decodes rows to float32, little-endian, with unaligned loads. F64 is
 * rounded to nearest; F16, BF16 and the F8 types widen exactly.
 *
 * Returns: %FALSE with @error set: %QS_MODEL_ERROR_UNSUPPORTED for an
 *   undecodable dtype, %G_IO_ERROR_INVALID_ARGUMENT for rows out of range
 */
gboolean  qs_tensor_decode_rows (const QsTensorInfo *tensor,
                                 gint64              first_row,
                                 gint64              n_rows,
                                 float              *out,
                                 GError            **error);

/**
 * qs_tensor_release_pages:
 * @tensor: a tensor whose data was decoded
 *
 * Tells the kernel that the mapped pages of @tensor are no longer needed,
 * so that analysing a large model one layer at a time does not keep every
 * layer's file pages resident. The data stays readable: a later access
 * reads it from the page cache or the file again.
 */
void      qs_tensor_release_pages (const QsTensorInfo *tensor);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsSafetensorsFile, qs_safetensors_file_unref)

G_END_DECLS
