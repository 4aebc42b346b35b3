/* qs-gpu-quantize.h: the fused error kernel, tensor-wise statistics and
 * weight decoding
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "qs-dtype.h"
#include "qs-metrics.h"
#include "qs-quant.h"
#include "qs-gpu-buffer.h"
#include "qs-gpu-command.h"
#include "qs-gpu-context.h"

G_BEGIN_DECLS

/* Workgroup slots of the partials buffer per format: the most workgroups
 * one error dispatch uses. Each slot is QS_GPU_PARTIAL_SLOT_WORDS words. */
#define QS_GPU_PARTIAL_SLOTS 1024
#define QS_GPU_PARTIAL_SLOT_WORDS 8

/* Workgroup slots of the tensor-wise statistics, four words each. */
#define QS_GPU_STATS_SLOTS 256
#define QS_GPU_STATS_SLOT_WORDS 4

/**
 * QsGpuProductRound:
 * @QS_GPU_PRODUCT_ROUND_NONE: add the low-rank product in fp32 (Conv
 *   layers, or an fp32 model dtype)
 * @QS_GPU_PRODUCT_ROUND_BF16: round both terms and the sum to bfloat16
 * @QS_GPU_PRODUCT_ROUND_F16: round both terms and the sum to float16
 *
 * How the error kernel adds the low-rank product back, and how the
 * product kernel rounds its result; the values match the shaders.
 */
typedef enum
{
  QS_GPU_PRODUCT_ROUND_NONE = 0,
  QS_GPU_PRODUCT_ROUND_BF16 = 1,
  QS_GPU_PRODUCT_ROUND_F16 = 2,
} QsGpuProductRound;

/**
 * QsGpuErrorFormat:
 * @dtype: the weight dtype; not one that needs the packing round trip
 * @layout: the group layout of the whole layer; for a tensor-wise format,
 *   the row-wise layout, whose rows, channels and kernel size the kernel
 *   uses
 * @tensor_wise: one scale for the whole tensor (group size −2)
 * @fixed_scale: the tensor-wise scale, from qs_gpu_tensor_scale_from_stats()
 * @fixed_zero_point: the tensor-wise zero point
 * @slot_base: the format's first slot in the partials buffer
 *
 * One format evaluated by the error kernel.
 */
typedef struct
{
  const QsDtype *dtype;
  QsGroupLayout  layout;
  gboolean       tensor_wise;
  float          fixed_scale;
  float          fixed_zero_point;
  guint          slot_base;
} QsGpuErrorFormat;

/**
 * qs_gpu_get_arithmetic:
 *
 * Returns how the error kernel computes exact division and fmaf on the
 * context's device, probing the device's fma() on first use.
 *
 * Returns: the arithmetic, or %QS_GPU_ARITHMETIC_UNKNOWN with @error set
 *   when the probe could not run
 */
QsGpuArithmetic qs_gpu_get_arithmetic (QsGpuContext  *context,
                                       GError       **error);

/**
 * qs_gpu_record_error_pass:
 * @original: the block of the original weight
 * @product: (nullable): the same rows of the rounded low-rank product;
 *   the kernel quantizes original − product and adds the product back
 * @product_round: how the product is added back
 * @n_rows: the rows in the block
 * @partials: the partials buffer, zeroed before the first block
 * @reconstruction: (nullable): a block-sized buffer that receives the
 *   reconstructed weight, for tests
 *
 * Records the error kernel for @format on one row block. Partial sums of
 * consecutive blocks accumulate in the same slots; put a compute barrier
 * between blocks.
 */
gboolean qs_gpu_record_error_pass (QsGpuCommand            *command,
                                   const QsGpuErrorFormat  *format,
                                   QsGpuBuffer             *original,
                                   QsGpuBuffer             *product,
                                   QsGpuProductRound        product_round,
                                   gint64                   n_rows,
                                   QsGpuBuffer             *partials,
                                   QsGpuBuffer             *reconstruction,
                                   GError                 **error);

/**
 * qs_gpu_error_sums_from_partials:
 * @slots: the format's QS_GPU_PARTIAL_SLOTS slots, read back
 * @n_elements: the layer's element count
 * @sums: (out): the error sums, each slot's compensated pair added in double
 * @n_degenerate: (out): groups whose scale was 0
 */
void     qs_gpu_error_sums_from_partials (const guint32 *slots,
                                          guint64        n_elements,
                                          QsErrorSums   *sums,
                                          guint64       *n_degenerate);

/**
 * qs_gpu_record_tensor_stats:
 * @product: (nullable): as for qs_gpu_record_error_pass()
 * @n_elements: the elements in the block
 * @stats: the statistics buffer, QS_GPU_STATS_SLOTS slots, zeroed first
 *
 * Records the maximum magnitude, minimum and maximum of one block of the
 * quantized source (the weight, or its residual), merged into @stats.
 */
gboolean qs_gpu_record_tensor_stats (QsGpuCommand  *command,
                                     QsGpuBuffer   *original,
                                     QsGpuBuffer   *product,
                                     gint64         n_elements,
                                     QsGpuBuffer   *stats,
                                     GError       **error);

/**
 * qs_gpu_tensor_scale_from_stats:
 * @slots: the statistics slots, read back
 * @scale: (out): the scale, computed with the CPU quantizer's arithmetic
 * @zero_point: (out): the zero point (0 for signed dtypes)
 *
 * Returns: %TRUE when the tensor is degenerate (scale 0)
 */
gboolean qs_gpu_tensor_scale_from_stats (const QsDtype *dtype,
                                         const guint32 *slots,
                                         float         *scale,
                                         float         *zero_point);

/**
 * QsGpuDecodeFormat:
 * @QS_GPU_DECODE_F32: little-endian float32
 * @QS_GPU_DECODE_BF16: little-endian bfloat16
 * @QS_GPU_DECODE_F16: little-endian IEEE float16
 *
 * The stored weight formats the device decodes.
 */
typedef enum
{
  QS_GPU_DECODE_F32 = 0,
  QS_GPU_DECODE_BF16 = 1,
  QS_GPU_DECODE_F16 = 2,
} QsGpuDecodeFormat;

/**
 * qs_gpu_record_decode:
 * @raw: the stored bytes, packed from the start of the buffer
 * @out: receives @n_elements fp32 values
 *
 * Records widening @n_elements stored values to fp32 on the device.
 */
gboolean qs_gpu_record_decode     (QsGpuCommand       *command,
                                   QsGpuDecodeFormat   format,
                                   QsGpuBuffer        *raw,
                                   gint64              n_elements,
                                   QsGpuBuffer        *out,
                                   GError            **error);

/**
 * qs_gpu_decode_weights:
 * @raw: the stored bytes, any alignment
 * @out: (out): @n_elements fp32 values
 *
 * Uploads stored weights, widens them to fp32 on the device and reads
 * them back. Widening is exact, so the result equals the CPU decoder's.
 */
gboolean qs_gpu_decode_weights    (QsGpuContext       *context,
                                   QsGpuDecodeFormat   format,
                                   const guint8       *raw,
                                   gint64              n_elements,
                                   float              *out,
                                   GCancellable       *cancellable,
                                   GError            **error);

G_END_DECLS
