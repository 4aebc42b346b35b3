/* qs-quant.h: SDNQ quantization, dequantization, packing and group sizes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "qs-dtype.h"

G_BEGIN_DECLS

/**
 * QsLayerKind:
 * @QS_LAYER_LINEAR: a 2-D weight [out, in]
 * @QS_LAYER_CONV: a 3- to 5-D weight [out, in, k...]; groups run along the
 *   input channels and every kernel position keeps its own scale
 * @QS_LAYER_EMBEDDING: a 2-D weight [rows, dim] recognised by name; grouped
 *   like Linear but without the Linear term in the automatic group size
 */
typedef enum
{
  QS_LAYER_LINEAR,
  QS_LAYER_CONV,
  QS_LAYER_EMBEDDING,
} QsLayerKind;

/**
 * qs_layer_kind_to_string:
 *
 * Returns: "linear", "conv" or "embedding", the names used in analysis files
 */
const char *qs_layer_kind_to_string (QsLayerKind kind);

/**
 * QsGroupLayout:
 * @rows: output rows (shape[0])
 * @channels: the channel size that groups split (shape[1])
 * @spatial: the product of the kernel dimensions (1 for Linear)
 * @group_size: the resolved group size; equal to @channels when row-wise
 * @n_groups: @channels / @group_size
 *
 * How a weight of shape [rows, channels, k...] splits into quantization
 * groups. Group (o, g, s) contains w[o, g·group_size + j, s] for j in
 * 0..group_size-1, and codes are stored in SDNQ's row-major
 * [rows, n_groups, group_size, spatial] order.
 */
typedef struct
{
  gint64 rows;
  gint64 channels;
  gint64 spatial;
  gint64 group_size;
  gint64 n_groups;
} QsGroupLayout;

/**
 * qs_resolve_group_size:
 * @dtype: the weight dtype
 * @kind: the layer kind
 * @channel_size: the channel size (shape[1])
 * @requested: 0 for automatic, -1 for row-wise, -2 for tensor-wise, or a
 *   positive group size
 * @svd_active: whether a low-rank branch is used (doubles the automatic size)
 *
 * Resolves a group size by SDNQ's rules: automatic sizes are
 * 2^(1 + bits + [Linear] + [SVD]); a size at or above @channel_size is
 * row-wise; a size that does not divide @channel_size steps the group count
 * down until it divides, so groups get larger, and falls back to row-wise.
 * Quantized matmul, which makes automatic sizes of 6 bits and more
 * row-wise in SDNQ, is not modelled.
 *
 * Returns: the resolved group size, -1 for row-wise, or -2 when tensor-wise
 *   was requested
 */
gint64   qs_resolve_group_size   (const QsDtype *dtype,
                                  QsLayerKind    kind,
                                  gint64         channel_size,
                                  gint64         requested,
                                  gboolean       svd_active);

/**
 * qs_group_layout_init:
 * @layout: (out): the layout to fill
 * @shape: the weight shape
 * @ndim: 2 to 5
 * @resolved_group_size: a result of qs_resolve_group_size()
 *
 * Fills @layout for a weight of @shape. Row-wise (-1) is one group of all
 * channels per row and kernel position. Tensor-wise (-2) is one group over
 * the whole tensor, described as a single row: rows = 1, channels = the
 * element count, spatial = 1.
 */
void     qs_group_layout_init    (QsGroupLayout *layout,
                                  const gint64  *shape,
                                  guint          ndim,
                                  gint64         resolved_group_size);

/**
 * qs_quantize_group:
 * @dtype: the weight dtype
 * @x: @n values of one group, contiguous
 * @n: the group length
 * @codes: (out) (nullable): @n codes; for integers the offset-binary value
 *   q − min, for floats the N-bit code (native fp8: the fp8 byte)
 * @scale: (out): the fp32 scale
 * @zero_point: (out): the fp32 zero point (0 for signed dtypes)
 *
 * Quantizes one group with SDNQ's CPU arithmetic: true fp32 division for
 * the scale, round-half-even for integers, nan_to_num then clamp for
 * floats. An all-zero or constant group gets scale 0 and code 0 (NaN is
 * mapped to 0 explicitly), which dequantizes to the exact value.
 *
 * Returns: %TRUE when the group was degenerate (scale 0)
 */
gboolean qs_quantize_group       (const QsDtype *dtype,
                                  const float   *x,
                                  gsize          n,
                                  guint32       *codes,
                                  float         *scale,
                                  float         *zero_point);

/**
 * qs_dequantize_group:
 *
 * Dequantizes @n codes of one group: fmaf(q, scale, zero_point) for
 * unsigned dtypes and q·scale for signed ones, as SDNQ's dequantizer does.
 */
void     qs_dequantize_group     (const QsDtype *dtype,
                                  const guint32 *codes,
                                  gsize          n,
                                  float          scale,
                                  float          zero_point,
                                  float         *out);

/**
 * qs_fake_quantize_group:
 * @out: (out): @n reconstructed values; may equal @x
 *
 * Quantizes and dequantizes one group in one step, without materialising
 * codes. Equal to qs_quantize_group() followed by qs_dequantize_group().
 *
 * Returns: %TRUE when the group was degenerate (scale 0)
 */
gboolean qs_fake_quantize_group  (const QsDtype *dtype,
                                  const float   *x,
                                  gsize          n,
                                  float         *out);

/**
 * qs_code_to_value:
 *
 * Decodes one code to its quantized value before scaling: q for integers
 * (code + min), the float value for float dtypes.
 */
float    qs_code_to_value        (const QsDtype *dtype,
                                  guint32        code);

/**
 * qs_encode_custom_float:
 * @value: an fp32 value already clamped to the dtype's range, NaN mapped to 0
 *
 * Encodes a value into an SDNQ custom float code (guard-nibble rounding,
 * round-half-even in the subnormal range).
 */
guint32  qs_encode_custom_float  (const QsDtype *dtype,
                                  float          value);
float    qs_decode_custom_float  (const QsDtype *dtype,
                                  guint32        code);

/**
 * qs_packed_size:
 * @n_codes: the element count
 *
 * Returns: the size in bytes of @n_codes packed codes, or 0 when @n_codes is
 *   not a multiple of the dtype's packing block (SDNQ rejects that shape)
 */
gsize    qs_packed_size          (const QsDtype *dtype,
                                  gsize          n_codes);

/**
 * qs_pack_codes:
 * @codes: @n_codes codes from qs_quantize_group()
 * @out: (out): qs_packed_size() bytes, little-endian words
 *
 * Packs codes in SDNQ's layout; for unpacked dtypes this writes the stored
 * element (e.g. the int8 value, or the uint1 bytes as I64).
 *
 * Returns: %FALSE with @error set when @n_codes is not a multiple of the block
 */
gboolean qs_pack_codes           (const QsDtype *dtype,
                                  const guint32 *codes,
                                  gsize          n_codes,
                                  guint8        *out,
                                  GError       **error);

/**
 * qs_unpack_codes:
 *
 * Reverses qs_pack_codes(), including SDNQ's uint9–uint15 collisions, so
 * that a round trip reproduces what SDNQ's own unpacker returns.
 */
gboolean qs_unpack_codes         (const QsDtype *dtype,
                                  const guint8  *packed,
                                  gsize          n_codes,
                                  guint32       *codes,
                                  GError       **error);

/**
 * qs_dtype_needs_pack_round_trip:
 *
 * Returns: %TRUE for dtypes whose codes do not survive packing unchanged
 *   (uint9 to uint15, whose top value needs N + 1 bits), so that an exact
 *   evaluation must go through qs_pack_codes() and qs_unpack_codes()
 */
gboolean qs_dtype_needs_pack_round_trip (const QsDtype *dtype);

/**
 * QsQuantizedLayer:
 * @dtype: the weight dtype
 * @layout: the group layout
 * @codes: rows·channels·spatial codes in [rows, n_groups, group_size, spatial] order
 * @scales: rows·n_groups·spatial scales in [rows, n_groups, 1, spatial] order
 * @zero_points: (nullable): same shape as @scales, unsigned dtypes only
 * @n_degenerate_groups: groups whose scale is 0
 */
typedef struct
{
  const QsDtype *dtype;
  QsGroupLayout  layout;
  guint32       *codes;
  float         *scales;
  float         *zero_points;
  guint64        n_degenerate_groups;
} QsQuantizedLayer;

/**
 * qs_quantize_layer:
 * @weight: the fp32 weight, row-major [rows, channels, spatial]
 *
 * Quantizes a whole layer with @layout. Free with qs_quantized_layer_free().
 */
QsQuantizedLayer *qs_quantize_layer     (const QsDtype       *dtype,
                                         const QsGroupLayout *layout,
                                         const float         *weight);

/**
 * qs_dequantize_layer:
 * @out: (out): rows·channels·spatial values in the weight's original order
 */
void              qs_dequantize_layer   (const QsQuantizedLayer *layer,
                                         float                  *out);
void              qs_quantized_layer_free (QsQuantizedLayer *layer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsQuantizedLayer, qs_quantized_layer_free)

G_END_DECLS
