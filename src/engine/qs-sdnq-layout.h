/* qs-sdnq-layout.h: the stored layout of one SDNQ-quantized layer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "qs-dtype.h"
#include "qs-quant.h"
#include "qs-safetensors.h"
#include "qs-sdnq-config.h"
#include "qs-svd.h"

G_BEGIN_DECLS

/* Weights have at most 5 dimensions; a grouped conv weight gains one. */
#define QS_SDNQ_MAX_DIMS 6

/* SDNQ's size checks before quantizing (SDNQConfig defaults of
 * minimum_allowed_numel and minimum_allowed_channel_size). */
#define QS_SDNQ_MINIMUM_NUMEL        16384
#define QS_SDNQ_MINIMUM_CHANNEL_SIZE 32

/**
 * QsSdnqLayout:
 * @kind: the layer kind
 * @ndim: the dimensions of the original weight
 * @shape: the original weight shape
 * @quantized: whether SDNQ quantizes the layer under the config: its name
 *   is not in modules_to_not_convert and its class is enabled. The size
 *   checks that apply only when quantizing are in
 *   qs_sdnq_layout_check_quantizable()
 * @dtype: the weight dtype after modules_quant_config and
 *   modules_dtype_dict
 * @requested_group_size: the group size before resolution
 * @group_size: the resolved group size: positive with two or more groups,
 *   -1 for one group per row (and kernel position), -2 for one per tensor
 * @n_groups: the number of groups along the channel axis (1 unless
 *   @group_size is positive)
 * @use_quantized_matmul: quantized matmul after the per-layer options and
 *   the dimension gate (both dimensions at least 32 and multiples of 16)
 * @re_quantize_for_matmul: whether the matmul re-quantizes the weight, in
 *   which case it is stored in its quantized orientation
 * @flattened: a conv weight quantized as the matrix [O, I·k…] because
 *   quantized matmul reads it that way
 * @transposed: the weight is stored transposed, [I, O], and its scale as
 *   [1, O]
 * @use_svd: the layer has a low-rank branch
 * @svd_rank: the requested rank
 * @svd_effective_rank: the rank of the stored factors: the requested one
 *   capped at both matrix dimensions, as torch.svd_lowrank caps it
 * @scale_in_model_dtype: scales and zero points are stored in the model
 *   dtype rather than F32
 * @groups: the grouping that qs_quantize_layer() applies to the weight in
 *   its original element order (the flattened matrix when @flattened)
 * @quantized_ndim: the dimensions of the quantized weight before packing
 * @quantized_shape: its shape ([O, n_groups, group_size, k…] when grouped)
 * @weight_dtype: the stored dtype of `<path>.weight`
 * @weight_ndim: the dimensions of the stored weight
 * @weight_shape: its shape, after transposition and packing
 * @scale_ndim: the dimensions of `<path>.scale`
 * @scale_shape: its shape; `<path>.zero_point` has the same one
 * @has_zero_point: whether `<path>.zero_point` exists (unsigned dtypes)
 * @svd_up_shape: the shape of `<path>.svd_up`: [O, r], or [r, O] with
 *   quantized matmul
 * @svd_down_shape: the shape of `<path>.svd_down`: [r, I·k…], or [I·k…, r]
 *   with quantized matmul
 *
 * Everything SDNQ derives for a layer before it assigns the file's
 * tensors: SDNQ stores none of it per tensor, so a writer and a reader
 * must compute it the same way from the original shape and the config.
 */
typedef struct
{
  QsLayerKind    kind;
  guint          ndim;
  gint64         shape[QS_SDNQ_MAX_DIMS];
  gboolean       quantized;
  const QsDtype *dtype;
  gint64         requested_group_size;
  gint64         group_size;
  gint64         n_groups;
  gboolean       use_quantized_matmul;
  gboolean       re_quantize_for_matmul;
  gboolean       flattened;
  gboolean       transposed;
  gboolean       use_svd;
  guint          svd_rank;
  guint          svd_effective_rank;
  gboolean       scale_in_model_dtype;
  QsGroupLayout  groups;
  guint          quantized_ndim;
  gint64         quantized_shape[QS_SDNQ_MAX_DIMS];
  QsTensorDtype  weight_dtype;
  guint          weight_ndim;
  gint64         weight_shape[QS_SDNQ_MAX_DIMS];
  guint          scale_ndim;
  gint64         scale_shape[QS_SDNQ_MAX_DIMS];
  gboolean       has_zero_point;
  gint64         svd_up_shape[2];
  gint64         svd_down_shape[2];
} QsSdnqLayout;

/**
 * qs_sdnq_layout_derive:
 * @config: the component's SDNQ config
 * @param_name: the full parameter name, "<path>.weight"
 * @kind: the layer kind
 * @shape: (array length=ndim): the original weight shape
 * @ndim: 2 to 5
 * @layout: (out): the layout
 *
 * Derives a layer's stored layout as SDNQ 0.2.x does (quantizer.py:
 * sdnq_quantize_layer_weight). The per-layer options come from
 * qs_sdnq_config_resolve_layer(). Then quantized matmul is gated on the
 * dimensions and the matmul dtype is chosen (uint8 for uint8 weights, int8
 * for other integers, float8_e4m3fn for floats under 16 bits, float16
 * otherwise). The weight is re-quantized for the matmul when the two
 * dtypes differ in kind or the weight has more bits or range, or when it
 * is grouped. An automatic group size is row-wise for 6 bits and more
 * under quantized matmul without re-quantization, and SDNQ's power of two
 * otherwise. An unpacked weight under quantized matmul without
 * re-quantization is stored transposed, and with quantized matmul the SVD
 * factors always are. Packed weights are flattened into blocks.
 *
 * Hadamard rotation and codebooks are not modelled: the config parser
 * rejects configs that enable them.
 */
void     qs_sdnq_layout_derive            (const QsSdnqConfig *config,
                                           const char         *param_name,
                                           QsLayerKind         kind,
                                           const gint64       *shape,
                                           guint               ndim,
                                           QsSdnqLayout       *layout);

/**
 * qs_sdnq_layout_check_quantizable:
 * @layout: a layout with @quantized set
 * @minimum_numel: SDNQConfig's minimum_allowed_numel, by default
 *   %QS_SDNQ_MINIMUM_NUMEL
 * @minimum_channel_size: SDNQConfig's minimum_allowed_channel_size, by
 *   default %QS_SDNQ_MINIMUM_CHANNEL_SIZE
 * @reason: (out): why the layer cannot be quantized
 *
 * Applies the checks SDNQ makes only when it quantizes (never when it
 * loads): at least @minimum_numel elements and a channel size of at least
 * @minimum_channel_size. It also checks that a packed dtype's
 * element count is a multiple of its packing block, which SDNQ does not
 * check: it fails while packing instead. A layer that fails must be left
 * unquantized and listed in modules_to_not_convert, because the loader
 * skips these checks.
 *
 * Returns: %TRUE when the layer can be quantized; otherwise %FALSE with
 *   @reason set to a sentence giving the reason
 */
gboolean qs_sdnq_layout_check_quantizable (const QsSdnqLayout *layout,
                                           guint64             minimum_numel,
                                           gint64              minimum_channel_size,
                                           char              **reason);

/**
 * qs_sdnq_layout_get_scale_dtype:
 * @model_dtype: the dtype the model is loaded in
 *
 * Returns: the stored dtype of the scale and zero point: F32, or the
 *   model dtype when @layout stores them in it
 */
QsTensorDtype qs_sdnq_layout_get_scale_dtype (const QsSdnqLayout *layout,
                                              QsModelDtype        model_dtype);

/* Returns the safetensors dtype of @dtype: BF16, F16 or F32. */
QsTensorDtype qs_model_dtype_to_tensor_dtype (QsModelDtype        model_dtype);

/* Returns the safetensors dtype of a storage type. */
QsTensorDtype qs_storage_type_to_tensor_dtype (QsStorageType      storage);

/* Returns the element count of a shape (1 for 0 dimensions). */
guint64  qs_sdnq_shape_numel              (const gint64       *shape,
                                           guint               ndim);

/**
 * qs_sdnq_format_shape:
 *
 * Returns: (transfer full): the shape as "[a, b, c]"
 */
char    *qs_sdnq_format_shape             (const gint64       *shape,
                                           guint               ndim);

/**
 * qs_sdnq_transpose:
 * @in: a row-major rows × cols matrix
 * @out: (out): the cols × rows transpose; must not overlap @in
 * @element_size: the size of one element in bytes (1, 2 or 4)
 *
 * Transposes a matrix of fixed-size elements.
 */
void     qs_sdnq_transpose                (const void         *in,
                                           void               *out,
                                           gint64              rows,
                                           gint64              cols,
                                           gsize               element_size);

G_END_DECLS
