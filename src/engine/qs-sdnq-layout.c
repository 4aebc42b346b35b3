/* qs-sdnq-layout.c: the stored layout of one SDNQ-quantized layer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The rules follow Disty0/sdnq 0.2.x: quantizer.py
 * (sdnq_quantize_layer_weight), utils.py (get_quantized_matmul_dtype,
 * check_quantized_matmul_is_allowed) and packed_int/pack.py.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include "qs-sdnq-layout.h"

guint64
qs_sdnq_shape_numel (const gint64 *shape,
                     guint         ndim)
{
  guint64 numel = 1;

  for (guint i = 0; i < ndim; i++)
    numel *= (guint64) shape[i];

  return numel;
}

char *
qs_sdnq_format_shape (const gint64 *shape,
                      guint         ndim)
{
  GString *str = g_string_new ("[");

  for (guint i = 0; i < ndim; i++)
    g_string_append_printf (str, "%s%" G_GINT64_FORMAT, i > 0 ? ", " : "", shape[i]);
  g_string_append_c (str, ']');

  return g_string_free (str, FALSE);
}

QsTensorDtype
qs_model_dtype_to_tensor_dtype (QsModelDtype model_dtype)
{
  switch (model_dtype)
    {
    case QS_MODEL_DTYPE_F16:
      return QS_TENSOR_F16;
    case QS_MODEL_DTYPE_F32:
      return QS_TENSOR_F32;
    case QS_MODEL_DTYPE_BF16:
    default:
      return QS_TENSOR_BF16;
    }
}

QsTensorDtype
qs_storage_type_to_tensor_dtype (QsStorageType storage)
{
  switch (storage)
    {
    case QS_STORAGE_U8:
      return QS_TENSOR_U8;
    case QS_STORAGE_I8:
      return QS_TENSOR_I8;
    case QS_STORAGE_U16:
      return QS_TENSOR_U16;
    case QS_STORAGE_I16:
      return QS_TENSOR_I16;
    case QS_STORAGE_U32:
      return QS_TENSOR_U32;
    case QS_STORAGE_I32:
      return QS_TENSOR_I32;
    case QS_STORAGE_I64:
      return QS_TENSOR_I64;
    case QS_STORAGE_F8_E4M3:
      return QS_TENSOR_F8_E4M3;
    case QS_STORAGE_F8_E5M2:
      return QS_TENSOR_F8_E5M2;
    case QS_STORAGE_F16:
      return QS_TENSOR_F16;
    case QS_STORAGE_BF16:
      return QS_TENSOR_BF16;
    case QS_STORAGE_F32:
    default:
      return QS_TENSOR_F32;
    }
}

QsTensorDtype
qs_sdnq_layout_get_scale_dtype (const QsSdnqLayout *layout,
                                QsModelDtype        model_dtype)
{
  g_return_val_if_fail (layout != NULL, QS_TENSOR_F32);

  return layout->scale_in_model_dtype ? qs_model_dtype_to_tensor_dtype (model_dtype)
                                      : QS_TENSOR_F32;
}

/* SDNQ's default matmul dtype for a weight dtype (get_quantized_matmul_dtype). */
static const QsDtype *
quantized_matmul_dtype (const QsDtype *dtype)
{
  const char *name;

  if (dtype->is_integer)
    name = strcmp (dtype->name, "uint8") == 0 ? "uint8" : "int8";
  else if (dtype->num_bits < 16)
    name = "float8_e4m3fn";
  else
    name = "float16";

  return qs_dtype_lookup (name);
}

static gboolean
needs_re_quantization (const QsDtype *dtype,
                       const QsDtype *matmul)
{
  if (dtype->num_bits > matmul->num_bits)
    return TRUE;
  if (dtype->is_integer != matmul->is_integer)
    return TRUE;
  if (dtype->is_unsigned && !matmul->is_integer)
    return TRUE;

  /* A packed custom float fits a float matmul dtype only when it has fewer
   * bits and no wider range. */
  if (dtype->kind == QS_DTYPE_KIND_CUSTOM_FLOAT && !matmul->is_integer
      && (dtype->num_bits >= matmul->num_bits || dtype->max > matmul->max))
    return TRUE;

  return FALSE;
}

/* check_quantized_matmul_is_allowed: the int8/fp8 kernels need both
 * dimensions to be at least 32 and multiples of 16. */
static gboolean
matmul_dimensions_allowed (gint64 output_channels,
                           gint64 channels)
{
  return output_channels >= 32 && channels >= 32
         && output_channels % 16 == 0 && channels % 16 == 0;
}

static void
set_shape (gint64       *dest,
           guint        *dest_ndim,
           const gint64 *src,
           guint         ndim)
{
  memcpy (dest, src, ndim * sizeof (gint64));
  *dest_ndim = ndim;
}

/* Fills the quantized shape (before packing) and the scale shape, which
 * keeps every reduced axis with size 1. */
static void
derive_quantized_shapes (QsSdnqLayout *layout)
{
  gint64 spatial_dims = (gint64) layout->ndim - 2;

  if (layout->flattened)
    {
      gint64 flat[2] = { layout->shape[0], (gint64) (qs_sdnq_shape_numel (layout->shape, layout->ndim)
                                                     / (guint64) layout->shape[0]) };

      set_shape (layout->quantized_shape, &layout->quantized_ndim, flat, 2);
    }
  else if (layout->n_groups > 1)
    {
      /* [O, C, k…] becomes [O, n_groups, group_size, k…]. */
      layout->quantized_shape[0] = layout->shape[0];
      layout->quantized_shape[1] = layout->n_groups;
      layout->quantized_shape[2] = layout->group_size;
      for (gint64 i = 0; i < spatial_dims; i++)
        layout->quantized_shape[3 + i] = layout->shape[2 + i];
      layout->quantized_ndim = layout->ndim + 1;
    }
  else
    {
      set_shape (layout->quantized_shape, &layout->quantized_ndim, layout->shape, layout->ndim);
    }

  set_shape (layout->scale_shape, &layout->scale_ndim, layout->quantized_shape,
             layout->quantized_ndim);

  if (layout->group_size == -2)
    {
      for (guint i = 0; i < layout->scale_ndim; i++)
        layout->scale_shape[i] = 1;
    }
  else if (layout->n_groups > 1)
    layout->scale_shape[2] = 1;
  else
    layout->scale_shape[1] = 1;
}

static void
derive_stored_weight (QsSdnqLayout *layout)
{
  const QsDtype *dtype = layout->dtype;
  guint64 numel = qs_sdnq_shape_numel (layout->shape, layout->ndim);

  layout->weight_dtype = qs_storage_type_to_tensor_dtype (dtype->storage);

  if (dtype->pack_block > 1)
    {
      /* pack.py views the row-major codes as [-1, block] and packs each
       * row into words; a single word per block is stored 1-D. */
      layout->weight_shape[0] = (gint64) (numel / dtype->pack_block);
      layout->weight_shape[1] = dtype->pack_words;
      layout->weight_ndim = dtype->pack_words == 1 ? 1 : 2;
    }
  else if (layout->transposed)
    {
      layout->weight_shape[0] = layout->quantized_shape[1];
      layout->weight_shape[1] = layout->quantized_shape[0];
      layout->weight_ndim = 2;
    }
  else
    {
      set_shape (layout->weight_shape, &layout->weight_ndim, layout->quantized_shape,
                 layout->quantized_ndim);
    }

  if (layout->transposed)
    {
      gint64 rows = layout->scale_shape[0];

      layout->scale_shape[0] = layout->scale_shape[1];
      layout->scale_shape[1] = rows;
    }
}

static void
derive_svd_shapes (QsSdnqLayout *layout)
{
  gint64 rows = layout->shape[0];
  gint64 cols = (gint64) (qs_sdnq_shape_numel (layout->shape, layout->ndim) / (guint64) rows);
  gint64 rank = layout->svd_rank;

  rank = MIN (rank, rows);
  rank = MIN (rank, cols);
  layout->svd_effective_rank = (guint) rank;

  if (layout->use_quantized_matmul)
    {
      layout->svd_up_shape[0] = rank;
      layout->svd_up_shape[1] = rows;
      layout->svd_down_shape[0] = cols;
      layout->svd_down_shape[1] = rank;
    }
  else
    {
      layout->svd_up_shape[0] = rows;
      layout->svd_up_shape[1] = rank;
      layout->svd_down_shape[0] = rank;
      layout->svd_down_shape[1] = cols;
    }
}

void
qs_sdnq_layout_derive (const QsSdnqConfig *config,
                       const char         *param_name,
                       QsLayerKind         kind,
                       const gint64       *shape,
                       guint               ndim,
                       QsSdnqLayout       *layout)
{
  QsLayerQuantOptions options;
  const QsDtype *matmul;
  gint64 channels;
  gint64 group_request;

  g_return_if_fail (config != NULL);
  g_return_if_fail (param_name != NULL);
  g_return_if_fail (shape != NULL);
  g_return_if_fail (ndim >= 2 && ndim <= 5);
  g_return_if_fail (layout != NULL);

  memset (layout, 0, sizeof *layout);
  layout->kind = kind;
  layout->ndim = ndim;
  memcpy (layout->shape, shape, ndim * sizeof (gint64));

  qs_sdnq_config_resolve_layer (config, param_name, kind, &options);
  layout->quantized = options.quantized;
  layout->dtype = options.dtype;
  layout->requested_group_size = options.group_size;
  layout->use_svd = options.use_svd;
  layout->svd_rank = options.use_svd ? options.svd_rank : 0;

  /* NOTE: older SDNQ releases (0.1.x) raised conv weights under 4 bits to
   * uint4. The 0.2.x rules followed here keep the requested dtype. */
  channels = shape[1];

  /* Step 0 and 1: the matmul dtype, whether the weight is re-quantized for
   * it, and the dimension gate, which only Linear and Conv layers pass. */
  matmul = quantized_matmul_dtype (layout->dtype);
  layout->re_quantize_for_matmul = needs_re_quantization (layout->dtype, matmul);
  layout->use_quantized_matmul = options.use_quantized_matmul && kind != QS_LAYER_EMBEDDING
                                 && matmul_dimensions_allowed (shape[0], channels);

  /* A conv weight is read by the matmul as [O, I·k…]; it is quantized in
   * that form when it is stored as it is multiplied. */
  layout->flattened = kind == QS_LAYER_CONV && layout->use_quantized_matmul
                      && !layout->re_quantize_for_matmul && !layout->dtype->is_packed;

  /* Step 5: the group size. */
  group_request = options.group_size;
  if (group_request == 0 && layout->use_quantized_matmul && !layout->re_quantize_for_matmul
      && layout->dtype->num_bits >= 6)
    layout->group_size = -1;
  else
    layout->group_size = qs_resolve_group_size (layout->dtype, kind, channels, group_request,
                                                layout->use_svd);
  layout->n_groups = layout->group_size > 0 ? channels / layout->group_size : 1;

  /* A grouped weight is always re-quantized, and only then is a flattened
   * conv weight reshaped back into conv groups. */
  if (layout->n_groups > 1)
    {
      layout->re_quantize_for_matmul = TRUE;
      layout->flattened = FALSE;
    }

  if (layout->flattened)
    {
      gint64 flat[2] = { shape[0], (gint64) (qs_sdnq_shape_numel (shape, ndim) / (guint64) shape[0]) };

      qs_group_layout_init (&layout->groups, flat, 2, layout->group_size);
    }
  else
    qs_group_layout_init (&layout->groups, shape, ndim, layout->group_size);

  /* Step 7: weights the matmul reads directly are stored as [I, O]. */
  layout->transposed = layout->use_quantized_matmul && !layout->re_quantize_for_matmul
                       && !layout->dtype->is_packed && (ndim == 2 || layout->flattened);

  /* Step 2: scales stay fp32 with dequantize_fp32, for dtypes whose range
   * the model dtype cannot carry, and under a float matmul. */
  layout->scale_in_model_dtype = !config->dequantize_fp32 && layout->dtype->max <= 16384
                                 && !(layout->use_quantized_matmul && !matmul->is_integer);

  layout->has_zero_point = layout->dtype->is_unsigned;

  derive_quantized_shapes (layout);
  derive_stored_weight (layout);
  if (layout->use_svd)
    derive_svd_shapes (layout);
}

gboolean
qs_sdnq_layout_check_quantizable (const QsSdnqLayout  *layout,
                                  guint64              minimum_numel,
                                  gint64               minimum_channel_size,
                                  char               **reason)
{
  guint64 numel;

  g_return_val_if_fail (layout != NULL, FALSE);
  g_return_val_if_fail (reason != NULL, FALSE);

  *reason = NULL;
  numel = qs_sdnq_shape_numel (layout->shape, layout->ndim);

  if (numel < minimum_numel)
    {
      *reason = g_strdup_printf (_("%llu elements, under SDNQ's minimum of %llu"),
                                 (unsigned long long) numel,
                                 (unsigned long long) minimum_numel);
      return FALSE;
    }

  if (layout->shape[1] < minimum_channel_size)
    {
      *reason = g_strdup_printf (_("channel size %lld, under SDNQ's minimum of %lld"),
                                 (long long) layout->shape[1],
                                 (long long) minimum_channel_size);
      return FALSE;
    }

  if (numel % layout->dtype->pack_block != 0)
    {
      *reason = g_strdup_printf (_("%llu elements, not a multiple of the %u-element "
                                   "blocks that %s packs"),
                                 (unsigned long long) numel, layout->dtype->pack_block,
                                 layout->dtype->name);
      return FALSE;
    }

  return TRUE;
}

void
qs_sdnq_transpose (const void *in,
                   void       *out,
                   gint64      rows,
                   gint64      cols,
                   gsize       element_size)
{
  const guint8 *src = in;
  guint8 *dest = out;

  g_return_if_fail (in != NULL || rows * cols == 0);
  g_return_if_fail (out != NULL || rows * cols == 0);

  for (gint64 r = 0; r < rows; r++)
    {
      for (gint64 c = 0; c < cols; c++)
        memcpy (dest + ((gsize) c * (gsize) rows + (gsize) r) * element_size,
                src + ((gsize) r * (gsize) cols + (gsize) c) * element_size,
                element_size);
    }
}
