/* qs-gpu-backend.c: the Vulkan compute backend and the device factory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A layer is uploaded once in row blocks, and the fused error kernel
 * evaluates every format on it, writing partial sums per workgroup. The
 * host adds them in double and turns them into metrics with the same code
 * as the CPU backend. SVD formats compute the low-rank factors once
 * per rank (qs-gpu-svd.c), round them to the model dtype on the host, and
 * evaluate the residual with the product recomputed per block on the
 * device.
 *
 * A layer larger than one block (the device's storage buffer range,
 * 128 MiB on lavapipe, or 256 MiB) is split into row blocks. When it fits
 * in half of the device-local heap, every block stays on the device;
 * otherwise two block buffers alternate, and the host copies block b + 1
 * into its staging buffer while the device works on block b. The copy to
 * the device and the kernels then run in submission order on the one
 * compute queue; no separate transfer queue is used.
 *
 * When the layer comes with its stored BF16 or F16 bytes, the blocks
 * upload those and widen them to fp32 on the device, which halves the
 * bytes copied. The fp32 values stay in use on the host for the reference
 * statistics and for the formats that run on the CPU.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <math.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

#include "qs-gpu-backend.h"
#include "qs-gpu-buffer.h"
#include "qs-gpu-command.h"
#include "qs-gpu-quantize.h"
#include "qs-gpu-row-blocks.h"
#include "qs-gpu-svd.h"

/* The largest automatic row block: larger blocks do not make the kernels
 * faster, and smaller ones leave memory for the rest of the system. */
#define MAX_BLOCK_BYTES ((guint64) 256 << 20)

/* The GEMM kernel launches ceil(rows / 32) workgroups along x, which
 * Vulkan guarantees up to 65535. */
#define MAX_BLOCK_ROWS ((gint64) 65535 * 32)

struct _QsGpuBackend
{
  GObject        parent_instance;

  QsGpuContext  *context;
  QsBackend     *cpu;
  guint          n_threads;
  guint64        block_limit;
  gboolean       block_resident;
  char          *name;
  GMutex         lock;
};

static void qs_gpu_backend_iface_init (QsBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (QsGpuBackend, qs_gpu_backend, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (QS_TYPE_BACKEND,
                                                      qs_gpu_backend_iface_init))

/* One format of a pass, with the index of its result. */
typedef struct
{
  QsGpuErrorFormat  gpu;
  guint             result_index;
  gboolean          fixed_degenerate;
} PassFormat;

/* What the passes over one layer share. */
typedef struct
{
  QsGpuContext           *context;
  const QsLayerWeights   *layer;
  const QsReferenceStats *reference;
  gint64                  rows;
  gint64                  channels;
  gint64                  spatial;
  gint64                  row_len;
  QsModelDtype            model_dtype;
  QsGpuRowBlocks         *blocks;
  QsGpuCommand           *commands[2];
  QsGpuBuffer            *products[2];
  GCancellable           *cancellable;
} LayerContext;

/* The rounded low-rank factors on the device. */
typedef struct
{
  QsGpuBuffer *up;
  QsGpuBuffer *down;
  guint        rank;
} DeviceLowRank;

static void
set_failed (QsFormatResult *result,
            char           *message)
{
  qs_metrics_set_failed (&result->metrics);
  result->resolved_group_size = -1;
  result->svd_rank = 0;
  result->n_degenerate_groups = 0;
  result->failed = TRUE;
  g_free (result->error_message);
  result->error_message = message;
}

/* The GEMM kernel launches ceil(columns / 32) workgroups along y for the
 * low-rank product, which Vulkan guarantees up to 65535. */
#define MAX_GEMM_COLS ((gint64) 65535 * 32)

/* Whether the SVD of a rows × cols layer fits the device's limits: the
 * thin bases and the factors are single buffers, and the product kernel's
 * workgroup count grows with the columns. */
static gboolean
svd_fits_device (QsGpuContext *context,
                 gint64        rows,
                 gint64        cols,
                 guint         rank)
{
  guint64 range = context->properties.limits.maxStorageBufferRange;

  return cols <= MAX_GEMM_COLS &&
         (guint64) MAX (rows, cols) * rank * sizeof (float) <= range;
}

/* Whether a format runs on the internal CPU backend. That covers uint9 to
 * uint15, whose values change in SDNQ's packing, and formats SDNQ cannot
 * pack, which the CPU backend marks failed with its message. It also
 * covers SVD formats of a layer whose bases exceed the device's limits. */
static gboolean
format_needs_cpu (QsGpuContext         *context,
                  const QsLayerWeights *layer,
                  const QsFormat       *format)
{
  gint64 cols = (gint64) (layer->numel / (guint64) layer->shape[0]);

  return qs_dtype_needs_pack_round_trip (format->dtype) ||
         qs_packed_size (format->dtype, layer->numel) == 0 ||
         (format->svd_rank > 0 &&
          !svd_fits_device (context, layer->shape[0], cols, format->svd_rank));
}

static PassFormat
prepare_format (const LayerContext *ctx,
                const QsFormat     *format,
                guint               index,
                gboolean            svd_active,
                QsFormatResult     *result)
{
  PassFormat pass;
  gint64 resolved;

  memset (&pass, 0, sizeof pass);
  resolved = qs_resolve_group_size (format->dtype, ctx->layer->kind, ctx->channels,
                                    format->requested_group_size, svd_active);

  pass.gpu.dtype = format->dtype;
  pass.gpu.tensor_wise = resolved == -2;
  /* The kernel takes the tensor-wise geometry from the row-wise layout. */
  qs_group_layout_init (&pass.gpu.layout, ctx->layer->shape, ctx->layer->ndim,
                        resolved == -2 ? -1 : resolved);
  pass.result_index = index;

  result->resolved_group_size = resolved;
  return pass;
}

static QsGpuProductRound
product_round_for (QsModelDtype dtype)
{
  switch (dtype)
    {
    case QS_MODEL_DTYPE_BF16:
      return QS_GPU_PRODUCT_ROUND_BF16;
    case QS_MODEL_DTYPE_F16:
      return QS_GPU_PRODUCT_ROUND_F16;
    case QS_MODEL_DTYPE_F32:
    default:
      return QS_GPU_PRODUCT_ROUND_NONE;
    }
}

/* Starts recording block @block into its command, after waiting for the
 * command's previous use, and returns the block's buffer. With @lowrank,
 * the block's product is recorded too and returned in @product. */
static QsGpuCommand *
begin_block (LayerContext         *ctx,
             guint                 block,
             const DeviceLowRank  *lowrank,
             QsGpuBuffer         **original,
             QsGpuBuffer         **product,
             GError              **error)
{
  const VkPipelineStageFlags all = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                                   VK_PIPELINE_STAGE_TRANSFER_BIT;
  QsGpuCommand *command = ctx->commands[block % 2];
  gint64 first_row;
  gint64 n_rows;

  if (!qs_gpu_command_wait (command, ctx->cancellable, error) ||
      !qs_gpu_command_begin (command, error))
    return NULL;

  /* The partial sums of consecutive blocks accumulate in place, so each
   * block's kernels wait for the previous block's. */
  qs_gpu_command_barrier (command, all, all);

  *original = qs_gpu_row_blocks_load (ctx->blocks, command, block, error);
  if (*original == NULL)
    return NULL;

  *product = NULL;
  if (lowrank != NULL)
    {
      qs_gpu_row_blocks_get_range (ctx->blocks, block, &first_row, &n_rows);
      *product = ctx->products[block % 2];
      if (!qs_gpu_record_lowrank_product (command, lowrank->up, lowrank->down, lowrank->rank,
                                          first_row, n_rows, ctx->row_len,
                                          product_round_for (ctx->model_dtype), *product,
                                          error))
        return NULL;
      qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                              VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT);
    }

  return command;
}

static gboolean
wait_all (LayerContext  *ctx,
          GError       **error)
{
  g_autoptr(GError) first_error = NULL;

  /* Both waits run even when the first fails, so no work stays in flight. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GError) local_error = NULL;

      if (!qs_gpu_command_wait (ctx->commands[i], ctx->cancellable, &local_error) &&
          first_error == NULL)
        first_error = g_steal_pointer (&local_error);
    }

  if (first_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&first_error));
      return FALSE;
    }

  return TRUE;
}

/* Runs the statistics of the tensor-wise formats over every block and
 * sets their fixed scale and zero point. */
static gboolean
resolve_tensor_wise (LayerContext         *ctx,
                     const DeviceLowRank  *lowrank,
                     GArray               *formats,
                     GError              **error)
{
  const gsize stats_size = QS_GPU_STATS_SLOTS * QS_GPU_STATS_SLOT_WORDS * sizeof (guint32);
  g_autoptr(QsGpuBuffer) stats = NULL;
  g_autoptr(QsGpuBuffer) readback = NULL;
  guint n_blocks = qs_gpu_row_blocks_get_n_blocks (ctx->blocks);
  gboolean any = FALSE;

  for (guint i = 0; i < formats->len; i++)
    any |= g_array_index (formats, PassFormat, i).gpu.tensor_wise;
  if (!any)
    return TRUE;

  stats = qs_gpu_buffer_new (ctx->context, QS_GPU_BUFFER_DEVICE, stats_size, error);
  readback = stats != NULL
             ? qs_gpu_buffer_new (ctx->context, QS_GPU_BUFFER_READBACK, stats_size, error) : NULL;
  if (readback == NULL)
    return FALSE;

  for (guint b = 0; b < n_blocks; b++)
    {
      QsGpuBuffer *original;
      QsGpuBuffer *product;
      QsGpuCommand *command;
      gint64 n_rows;

      command = begin_block (ctx, b, lowrank, &original, &product, error);
      if (command == NULL)
        return FALSE;

      if (b == 0)
        {
          qs_gpu_command_fill (command, stats, 0, stats->size, 0);
          qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_TRANSFER_BIT,
                                  VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT);
        }

      qs_gpu_row_blocks_get_range (ctx->blocks, b, NULL, &n_rows);
      if (!qs_gpu_record_tensor_stats (command, original, product, n_rows * ctx->row_len,
                                       stats, error))
        return FALSE;

      if (b + 1 == n_blocks)
        {
          qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                                  VK_PIPELINE_STAGE_TRANSFER_BIT);
          qs_gpu_command_copy (command, stats, 0, readback, 0, stats_size);
          qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_TRANSFER_BIT,
                                  VK_PIPELINE_STAGE_HOST_BIT);
        }

      if (!qs_gpu_command_submit (command, error))
        return FALSE;
    }

  if (!wait_all (ctx, error))
    return FALSE;

  qs_gpu_buffer_invalidate (readback);
  for (guint i = 0; i < formats->len; i++)
    {
      PassFormat *format = &g_array_index (formats, PassFormat, i);

      if (format->gpu.tensor_wise)
        format->fixed_degenerate = qs_gpu_tensor_scale_from_stats (format->gpu.dtype,
                                                                   readback->mapped,
                                                                   &format->gpu.fixed_scale,
                                                                   &format->gpu.fixed_zero_point);
    }

  return TRUE;
}

/* Evaluates @formats on the layer, or on its residual after @lowrank, in
 * one pass over the row blocks, and stores their metrics. */
static gboolean
run_error_pass (LayerContext         *ctx,
                const DeviceLowRank  *lowrank,
                GArray               *formats,
                QsFormatResult       *results,
                GError              **error)
{
  const gsize format_words = QS_GPU_PARTIAL_SLOTS * QS_GPU_PARTIAL_SLOT_WORDS;
  g_autoptr(QsGpuBuffer) partials = NULL;
  g_autoptr(QsGpuBuffer) readback = NULL;
  QsGpuProductRound add_round;
  guint n_blocks = qs_gpu_row_blocks_get_n_blocks (ctx->blocks);
  gsize partials_size;

  if (formats->len == 0)
    return TRUE;

  if (!resolve_tensor_wise (ctx, lowrank, formats, error))
    return FALSE;

  partials_size = formats->len * format_words * sizeof (guint32);
  partials = qs_gpu_buffer_new (ctx->context, QS_GPU_BUFFER_DEVICE, partials_size, error);
  readback = partials != NULL
             ? qs_gpu_buffer_new (ctx->context, QS_GPU_BUFFER_READBACK, partials_size, error) : NULL;
  if (readback == NULL)
    return FALSE;

  /* The analysis script adds the product in the model dtype for Linear and
   * Embedding layers and in fp32 for Conv layers. */
  add_round = ctx->layer->kind == QS_LAYER_CONV ? QS_GPU_PRODUCT_ROUND_NONE
                                                : product_round_for (ctx->model_dtype);

  for (guint b = 0; b < n_blocks; b++)
    {
      QsGpuBuffer *original;
      QsGpuBuffer *product;
      QsGpuCommand *command;
      gint64 n_rows;

      command = begin_block (ctx, b, lowrank, &original, &product, error);
      if (command == NULL)
        return FALSE;

      if (b == 0)
        {
          qs_gpu_command_fill (command, partials, 0, partials->size, 0);
          qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_TRANSFER_BIT,
                                  VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT);
        }

      qs_gpu_row_blocks_get_range (ctx->blocks, b, NULL, &n_rows);
      for (guint f = 0; f < formats->len; f++)
        {
          PassFormat *format = &g_array_index (formats, PassFormat, f);

          format->gpu.slot_base = f * QS_GPU_PARTIAL_SLOTS;
          if (!qs_gpu_record_error_pass (command, &format->gpu, original, product, add_round,
                                         n_rows, partials, NULL, error))
            return FALSE;
        }

      if (b + 1 == n_blocks)
        {
          qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                                  VK_PIPELINE_STAGE_TRANSFER_BIT);
          qs_gpu_command_copy (command, partials, 0, readback, 0, partials_size);
          qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_TRANSFER_BIT,
                                  VK_PIPELINE_STAGE_HOST_BIT);
        }

      if (!qs_gpu_command_submit (command, error))
        return FALSE;
    }

  if (!wait_all (ctx, error))
    return FALSE;

  qs_gpu_buffer_invalidate (readback);
  for (guint f = 0; f < formats->len; f++)
    {
      const PassFormat *format = &g_array_index (formats, PassFormat, f);
      QsFormatResult *result = &results[format->result_index];
      const guint32 *slots = (const guint32 *) readback->mapped + f * format_words;
      QsErrorSums sums;
      guint64 n_degenerate;

      qs_gpu_error_sums_from_partials (slots, ctx->layer->numel, &sums, &n_degenerate);
      if (format->gpu.tensor_wise)
        n_degenerate = format->fixed_degenerate ? 1 : 0;

      qs_metrics_from_sums (&result->metrics, &sums, ctx->reference);
      result->n_degenerate_groups = n_degenerate;
      result->failed = FALSE;
    }

  return TRUE;
}

/* Copies @n floats into a new device buffer, through a staging buffer when
 * the device memory is not mapped. */
static QsGpuBuffer *
upload_floats (LayerContext  *ctx,
               const float   *data,
               gsize          n,
               GError       **error)
{
  g_autoptr(QsGpuBuffer) buffer = NULL;
  g_autoptr(QsGpuBuffer) staging = NULL;
  g_autoptr(QsGpuCommand) command = NULL;
  gsize size = n * sizeof (float);

  buffer = qs_gpu_buffer_new (ctx->context, QS_GPU_BUFFER_DEVICE, size, error);
  if (buffer == NULL)
    return NULL;

  if (buffer->mapped != NULL)
    {
      memcpy (buffer->mapped, data, size);
      qs_gpu_buffer_flush (buffer);
      return g_steal_pointer (&buffer);
    }

  staging = qs_gpu_buffer_new (ctx->context, QS_GPU_BUFFER_UPLOAD, size, error);
  command = staging != NULL ? qs_gpu_command_new (ctx->context, error) : NULL;
  if (command == NULL || !qs_gpu_command_begin (command, error))
    return NULL;

  memcpy (staging->mapped, data, size);
  qs_gpu_buffer_flush (staging);
  qs_gpu_command_copy (command, staging, 0, buffer, 0, size);
  if (!qs_gpu_command_run (command, ctx->cancellable, error))
    return NULL;

  return g_steal_pointer (&buffer);
}

static gboolean
ensure_product_buffers (LayerContext  *ctx,
                        GError       **error)
{
  gint64 rows_per_block;
  VkDeviceSize size;

  if (ctx->products[0] != NULL)
    return TRUE;

  qs_gpu_row_blocks_get_range (ctx->blocks, 0, NULL, &rows_per_block);
  size = (VkDeviceSize) rows_per_block * (VkDeviceSize) ctx->row_len * sizeof (float);

  for (guint i = 0; i < 2; i++)
    {
      ctx->products[i] = qs_gpu_buffer_new (ctx->context, QS_GPU_BUFFER_DEVICE, size, error);
      if (ctx->products[i] == NULL)
        return FALSE;
    }

  return TRUE;
}

/* Evaluates every GPU format of one rank with factors computed once. */
static gboolean
evaluate_svd_rank (LayerContext         *ctx,
                   const QsFormat       *formats,
                   guint                 n_formats,
                   const gboolean       *on_cpu,
                   guint                 rank,
                   const QsEvalOptions  *options,
                   QsFormatResult       *results,
                   GError              **error)
{
  g_autoptr(GArray) pass_formats = g_array_new (FALSE, FALSE, sizeof (PassFormat));
  g_autoptr(QsLowRank) lowrank = NULL;
  g_autoptr(GError) svd_error = NULL;
  g_autoptr(QsGpuBuffer) up = NULL;
  g_autoptr(QsGpuBuffer) down = NULL;
  DeviceLowRank device_lowrank;

  for (guint i = 0; i < n_formats; i++)
    {
      PassFormat pass;

      if (formats[i].svd_rank != rank || on_cpu[i])
        continue;

      pass = prepare_format (ctx, &formats[i], i, TRUE, &results[i]);
      g_array_append_val (pass_formats, pass);
    }

  if (pass_formats->len == 0)
    return TRUE;

  lowrank = qs_gpu_lowrank_compute (ctx->blocks, ctx->layer->data, ctx->rows, ctx->row_len, rank,
                                    options->svd_steps, options->svd_seed, ctx->cancellable,
                                    &svd_error);
  if (lowrank == NULL)
    {
      /* Device failures and cancellation fail the layer; an SVD that does
       * not converge fails its formats, as the CPU backend records it. */
      if (g_error_matches (svd_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          svd_error->domain == QS_GPU_ERROR)
        {
          g_propagate_error (error, g_steal_pointer (&svd_error));
          return FALSE;
        }

      for (guint i = 0; i < pass_formats->len; i++)
        set_failed (&results[g_array_index (pass_formats, PassFormat, i).result_index],
                    g_strdup_printf (_("The rank-%u SVD failed: %s"), rank, svd_error->message));
      return TRUE;
    }

  if (g_cancellable_set_error_if_cancelled (ctx->cancellable, error))
    return FALSE;

  for (guint i = 0; i < pass_formats->len; i++)
    results[g_array_index (pass_formats, PassFormat, i).result_index].svd_rank = lowrank->rank;

  qs_lowrank_round (lowrank, ctx->model_dtype);

  up = upload_floats (ctx, lowrank->up, (gsize) lowrank->rows * lowrank->rank, error);
  down = up != NULL ? upload_floats (ctx, lowrank->down, (gsize) lowrank->rank * lowrank->cols, error)
                    : NULL;
  if (down == NULL || !ensure_product_buffers (ctx, error))
    return FALSE;

  device_lowrank.up = up;
  device_lowrank.down = down;
  device_lowrank.rank = lowrank->rank;

  return run_error_pass (ctx, &device_lowrank, pass_formats, results, error);
}

/* Evaluates the formats flagged in @on_cpu on the internal CPU backend and
 * copies their results into place. */
static gboolean
evaluate_on_cpu (QsGpuBackend         *self,
                 const QsLayerWeights *layer,
                 const QsFormat       *formats,
                 guint                 n_formats,
                 const gboolean       *on_cpu,
                 const QsEvalOptions  *options,
                 QsFormatResult       *results,
                 GCancellable         *cancellable,
                 GError              **error)
{
  g_autoptr(GArray) subset = g_array_new (FALSE, FALSE, sizeof (QsFormat));
  g_autoptr(GArray) indices = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree QsFormatResult *subset_results = NULL;

  for (guint i = 0; i < n_formats; i++)
    {
      if (on_cpu[i])
        {
          g_array_append_val (subset, formats[i]);
          g_array_append_val (indices, i);
        }
    }

  if (subset->len == 0)
    return TRUE;

  subset_results = g_new0 (QsFormatResult, subset->len);
  if (!qs_backend_evaluate_layer (self->cpu, layer, (const QsFormat *) (gpointer) subset->data,
                                  subset->len, options, subset_results, cancellable, error))
    {
      for (guint i = 0; i < subset->len; i++)
        qs_format_result_clear (&subset_results[i]);
      return FALSE;
    }

  for (guint i = 0; i < subset->len; i++)
    {
      guint index = g_array_index (indices, guint, i);

      qs_format_result_clear (&results[index]);
      results[index] = subset_results[i];
    }

  return TRUE;
}

/* The largest row block in bytes. */
static guint64
block_byte_limit (QsGpuBackend *self)
{
  guint64 limit = MIN ((guint64) self->context->properties.limits.maxStorageBufferRange,
                       (guint64) self->context->max_allocation_size);

  limit = MIN (limit, MAX_BLOCK_BYTES);
  if (self->block_limit > 0)
    limit = MIN (limit, self->block_limit);

  return limit;
}

static void
layer_context_clear (LayerContext *ctx)
{
  /* Commands first: freeing one waits for the work that uses the buffers. */
  g_clear_pointer (&ctx->commands[0], qs_gpu_command_free);
  g_clear_pointer (&ctx->commands[1], qs_gpu_command_free);
  g_clear_pointer (&ctx->products[0], qs_gpu_buffer_free);
  g_clear_pointer (&ctx->products[1], qs_gpu_buffer_free);
  g_clear_pointer (&ctx->blocks, qs_gpu_row_blocks_free);
}

/* Returns whether @layer's stored bytes can replace its fp32 data on the
 * device, and their decode format. Stored F32 is the fp32 data itself,
 * so only the 16-bit formats gain anything. */
static gboolean
stored_decode_format (const QsLayerWeights *layer,
                      QsGpuDecodeFormat    *format)
{
  if (layer->stored_data == NULL)
    return FALSE;

  switch (layer->stored_dtype)
    {
    case QS_TENSOR_BF16:
      *format = QS_GPU_DECODE_BF16;
      return TRUE;
    case QS_TENSOR_F16:
      *format = QS_GPU_DECODE_F16;
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
evaluate_on_device (QsGpuBackend         *self,
                    const QsLayerWeights *layer,
                    const QsFormat       *formats,
                    guint                 n_formats,
                    const gboolean       *on_cpu,
                    const QsEvalOptions  *options,
                    const QsReferenceStats *reference,
                    QsFormatResult       *results,
                    GCancellable         *cancellable,
                    GError              **error)
{
  LayerContext ctx;
  g_autoptr(GArray) raw_formats = g_array_new (FALSE, FALSE, sizeof (PassFormat));
  g_autoptr(GArray) ranks = g_array_new (FALSE, FALSE, sizeof (guint));
  guint64 limit;
  guint64 budget;
  gint64 rows_per_block;
  gboolean resident;
  gboolean stored;
  QsGpuDecodeFormat stored_format = QS_GPU_DECODE_F32;
  gboolean ok = FALSE;

  memset (&ctx, 0, sizeof ctx);
  ctx.context = self->context;
  ctx.layer = layer;
  ctx.reference = reference;
  ctx.rows = layer->shape[0];
  ctx.channels = layer->shape[1];
  ctx.spatial = 1;
  for (guint d = 2; d < layer->ndim; d++)
    ctx.spatial *= layer->shape[d];
  ctx.row_len = ctx.channels * ctx.spatial;
  ctx.model_dtype = options->model_dtype;
  ctx.cancellable = cancellable;

  for (guint i = 0; i < n_formats; i++)
    {
      gboolean known = FALSE;
      PassFormat pass;

      if (on_cpu[i])
        continue;

      if (formats[i].svd_rank > 0)
        {
          for (guint r = 0; r < ranks->len; r++)
            known |= g_array_index (ranks, guint, r) == formats[i].svd_rank;
          if (!known)
            g_array_append_val (ranks, formats[i].svd_rank);
          continue;
        }

      pass = prepare_format (&ctx, &formats[i], i, FALSE, &results[i]);
      g_array_append_val (raw_formats, pass);
    }

  if (raw_formats->len == 0 && ranks->len == 0)
    return TRUE;

  limit = block_byte_limit (self);
  rows_per_block = MAX (1, (gint64) (limit / ((guint64) ctx.row_len * sizeof (float))));
  rows_per_block = MIN (rows_per_block, MAX_BLOCK_ROWS);
  /* NOTE: half of the largest device-local heap is an estimate of what
   * the layer may use; Vulkan 1.1 reports no free memory. */
  budget = qs_gpu_context_get_device_local_heap_size (self->context) / 2;
  stored = stored_decode_format (layer, &stored_format);
  /* Beyond the blocks: two product buffers of a block each, and for
   * stored bytes two 16-bit buffers of half a block each. */
  resident = self->block_resident &&
             layer->numel * sizeof (float) + (stored ? 3 : 2) * limit <= budget;

  if (stored)
    ctx.blocks = qs_gpu_row_blocks_new_stored (self->context, layer->stored_data, stored_format,
                                               ctx.rows, ctx.row_len, rows_per_block, resident,
                                               error);
  else
    ctx.blocks = qs_gpu_row_blocks_new (self->context, layer->data, ctx.rows, ctx.row_len,
                                        rows_per_block, resident, error);
  if (ctx.blocks == NULL)
    goto out;

  g_debug ("Layer %s: %u row blocks of %" G_GINT64_FORMAT " rows, %s, uploaded as %s",
           layer->name ? layer->name : "(unnamed)",
           qs_gpu_row_blocks_get_n_blocks (ctx.blocks), rows_per_block,
           qs_gpu_row_blocks_is_resident (ctx.blocks) ? "resident" : "streamed",
           stored ? qs_tensor_dtype_to_string (layer->stored_dtype) : "F32");

  ctx.commands[0] = qs_gpu_command_new (self->context, error);
  ctx.commands[1] = ctx.commands[0] != NULL ? qs_gpu_command_new (self->context, error) : NULL;
  if (ctx.commands[1] == NULL)
    goto out;

  if (!run_error_pass (&ctx, NULL, raw_formats, results, error))
    goto out;

  for (guint r = 0; r < ranks->len; r++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto out;

      if (!evaluate_svd_rank (&ctx, formats, n_formats, on_cpu, g_array_index (ranks, guint, r),
                              options, results, error))
        goto out;
    }

  ok = TRUE;

out:
  layer_context_clear (&ctx);
  return ok;
}

static gboolean
evaluate_layer (QsGpuBackend         *self,
                const QsLayerWeights *layer,
                const QsFormat       *formats,
                guint                 n_formats,
                const QsEvalOptions  *options,
                QsFormatResult       *results,
                GCancellable         *cancellable,
                GError              **error)
{
  g_autofree gboolean *on_cpu = g_new0 (gboolean, MAX (n_formats, 1));
  QsReferenceStats reference;
  gint64 row_len;

  for (guint i = 0; i < n_formats; i++)
    memset (&results[i], 0, sizeof results[i]);

  qs_reference_stats_compute (&reference, layer->data, layer->numel);

  row_len = layer->numel / layer->shape[0];

  /* Vulkan lets shaders assume that no value is NaN or infinite, so such a
   * layer runs on the CPU; a row that no buffer can hold does too. */
  if (!isfinite (reference.mean) || !isfinite (reference.sum_sq) ||
      (guint64) row_len * sizeof (float) > block_byte_limit (self))
    {
      g_debug ("Layer %s runs on the CPU: %s", layer->name ? layer->name : "(unnamed)",
               isfinite (reference.sum_sq) ? "a row exceeds the device's buffer range"
                                           : "it holds NaN or Inf");
      return qs_backend_evaluate_layer (self->cpu, layer, formats, n_formats, options, results,
                                        cancellable, error);
    }

  for (guint i = 0; i < n_formats; i++)
    on_cpu[i] = format_needs_cpu (self->context, layer, &formats[i]);

  if (!evaluate_on_device (self, layer, formats, n_formats, on_cpu, options, &reference,
                           results, cancellable, error))
    return FALSE;

  return evaluate_on_cpu (self, layer, formats, n_formats, on_cpu, options, results,
                          cancellable, error);
}

static gboolean
qs_gpu_backend_evaluate_layer (QsBackend            *backend,
                               const QsLayerWeights *layer,
                               const QsFormat       *formats,
                               guint                 n_formats,
                               const QsEvalOptions  *options,
                               QsFormatResult       *results,
                               GCancellable         *cancellable,
                               GError              **error)
{
  QsGpuBackend *self = QS_GPU_BACKEND (backend);
  int saved_omp_threads;
  int saved_blas_threads;
  gboolean ret;

  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);

  if (!qs_layer_weights_validate (layer, error))
    return FALSE;

  for (guint i = 0; i < n_formats; i++)
    g_return_val_if_fail (formats[i].dtype != NULL, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  /* The thread count applies to the host-side OpenMP and BLAS work. */
  g_mutex_lock (&self->lock);
  saved_omp_threads = omp_get_max_threads ();
  saved_blas_threads = openblas_get_num_threads ();
  if (self->n_threads > 0)
    {
      omp_set_num_threads ((int) self->n_threads);
      openblas_set_num_threads ((int) self->n_threads);
    }

  ret = evaluate_layer (self, layer, formats, n_formats, options, results, cancellable, error);

  openblas_set_num_threads (saved_blas_threads);
  omp_set_num_threads (saved_omp_threads);
  g_mutex_unlock (&self->lock);

  if (!ret)
    for (guint i = 0; i < n_formats; i++)
      qs_format_result_clear (&results[i]);

  return ret;
}

static const char *
qs_gpu_backend_get_name (QsBackend *backend)
{
  return QS_GPU_BACKEND (backend)->name;
}

static void
qs_gpu_backend_iface_init (QsBackendInterface *iface)
{
  iface->get_name = qs_gpu_backend_get_name;
  iface->evaluate_layer = qs_gpu_backend_evaluate_layer;
}

static void
qs_gpu_backend_finalize (GObject *object)
{
  QsGpuBackend *self = QS_GPU_BACKEND (object);

  g_clear_object (&self->cpu);
  g_clear_pointer (&self->context, qs_gpu_context_unref);
  g_free (self->name);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (qs_gpu_backend_parent_class)->finalize (object);
}

static void
qs_gpu_backend_class_init (QsGpuBackendClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qs_gpu_backend_finalize;
}

static void
qs_gpu_backend_init (QsGpuBackend *self)
{
  g_mutex_init (&self->lock);
  self->block_resident = TRUE;
}

QsBackend *
qs_gpu_backend_new (QsGpuContext *context,
                    guint         n_threads)
{
  QsGpuBackend *self;

  g_return_val_if_fail (context != NULL, NULL);

  self = g_object_new (QS_TYPE_GPU_BACKEND, NULL);
  self->context = qs_gpu_context_ref (context);
  self->n_threads = n_threads;
  self->cpu = qs_cpu_backend_new (n_threads);
  self->name = g_strdup_printf ("Vulkan: %s", context->info.name);

  return QS_BACKEND (self);
}

QsGpuContext *
qs_gpu_backend_get_context (QsGpuBackend *self)
{
  g_return_val_if_fail (QS_IS_GPU_BACKEND (self), NULL);

  return self->context;
}

void
qs_gpu_backend_set_block_limit (QsGpuBackend *self,
                                guint64       bytes,
                                gboolean      resident)
{
  g_return_if_fail (QS_IS_GPU_BACKEND (self));

  g_mutex_lock (&self->lock);
  self->block_limit = bytes;
  self->block_resident = resident;
  g_mutex_unlock (&self->lock);
}

/* The device factory */

/* Parses "name" or "name:N". Returns FALSE for anything else; *index is
 * -1 when no number was given. */
static gboolean
parse_device (const char  *device,
              const char  *name,
              gint64      *index)
{
  gsize len = strlen (name);
  guint64 value;

  if (g_ascii_strncasecmp (device, name, len) != 0)
    return FALSE;

  if (device[len] == '\0')
    {
      *index = -1;
      return TRUE;
    }

  if (device[len] != ':' ||
      !g_ascii_string_to_unsigned (device + len + 1, 10, 0, G_MAXINT32, &value, NULL))
    return FALSE;

  *index = (gint64) value;
  return TRUE;
}

static char *
describe_device (const QsGpuDeviceInfo *info)
{
  return g_strdup_printf (_("Vulkan device %u, %s (%s, %s)"), info->index, info->name,
                          qs_gpu_device_type_to_string (info->type), info->driver);
}

static QsBackend *
new_for_index (int      index,
               guint    n_threads,
               char   **note,
               GError **error)
{
  g_autoptr(QsGpuContext) context = qs_gpu_context_new (index, error);
  g_autofree char *description = NULL;

  if (context == NULL)
    return NULL;

  if (note != NULL)
    {
      description = describe_device (&context->info);
      if (context->info.type == QS_GPU_DEVICE_TYPE_CPU)
        *note = g_strdup_printf (_("Computing on %s, a CPU implementation of Vulkan that is "
                                   "slower than --device cpu"), description);
      else
        *note = g_strdup_printf ("Computing on %s", description);
    }

  return qs_gpu_backend_new (context, n_threads);
}

/* "auto": a GPU when one opens, otherwise the CPU backend with a note. */
static QsBackend *
new_auto (guint    n_threads,
          char   **note)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) devices = qs_gpu_list_devices (&local_error);
  g_autofree char *reason = NULL;
  QsBackend *backend;
  int picked;

  if (devices == NULL)
    {
      reason = g_strdup_printf (_("Vulkan is unavailable (%s)"), local_error->message);
    }
  else if ((picked = qs_gpu_pick_device (devices, FALSE)) >= 0)
    {
      backend = new_for_index (picked, n_threads, note, &local_error);
      if (backend != NULL)
        return backend;

      reason = g_strdup_printf ("GPU %d could not be opened (%s)", picked, local_error->message);
    }
  else if ((picked = qs_gpu_pick_device (devices, TRUE)) >= 0)
    {
      const QsGpuDeviceInfo *info = g_ptr_array_index (devices, picked);

      reason = g_strdup_printf (_("The only Vulkan device is %s, a CPU implementation that is "
                                  "slower than the CPU backend (use --device vulkan to run on it "
                                  "anyway)"), info->name);
    }
  else
    {
      reason = g_strdup ("No Vulkan GPU found");
    }

  if (note != NULL)
    *note = g_strdup_printf ("%s; computing on the CPU", reason);

  return qs_cpu_backend_new (n_threads);
}

/* "cuda[:N]": the N-th GPU in Vulkan's order, CPU implementations left out. */
static QsBackend *
new_cuda (gint64    n,
          guint     n_threads,
          char    **note,
          GError  **error)
{
  g_autoptr(GPtrArray) devices = qs_gpu_list_devices (error);
  g_autofree char *gpu_note = NULL;
  g_autofree char *name = n < 0 ? g_strdup ("cuda") : g_strdup_printf ("cuda:%" G_GINT64_FORMAT, n);
  QsBackend *backend;
  guint n_gpus = 0;
  gint64 requested = MAX (n, 0);

  if (devices == NULL)
    return NULL;

  for (guint i = 0; i < devices->len; i++)
    {
      const QsGpuDeviceInfo *info = g_ptr_array_index (devices, i);

      if (info->type == QS_GPU_DEVICE_TYPE_CPU)
        continue;

      if (n_gpus++ == requested)
        {
          backend = new_for_index ((int) i, n_threads, note != NULL ? &gpu_note : NULL, error);
          if (backend == NULL)
            return NULL;

          if (note != NULL)
            *note = g_strdup_printf (_("Quantscope has no CUDA backend: “%s” runs on GPU %lld "
                                       "through Vulkan. %s"),
                                     name, (long long) requested, gpu_note);
          return backend;
        }
    }

  if (n_gpus == 0)
    g_set_error (error, QS_GPU_ERROR, QS_GPU_ERROR_NO_DEVICE,
                 _("No GPU found for --device cuda (Quantscope runs “cuda” on a GPU through "
                   "Vulkan); use --device cpu"));
  else
    g_set_error (error, QS_GPU_ERROR, QS_GPU_ERROR_NO_DEVICE,
                 g_dngettext (GETTEXT_PACKAGE,
                              "GPU %lld does not exist: there is %u GPU; "
                              "run “quantscope-cli devices” to list them, or use --device cpu",
                              "GPU %lld does not exist: there are %u GPUs; "
                              "run “quantscope-cli devices” to list them, or use --device cpu",
                              n_gpus),
                 (long long) requested, n_gpus);
  return NULL;
}

QsBackend *
qs_gpu_backend_new_for_device (const char  *device,
                               guint        n_threads,
                               char       **note,
                               GError     **error)
{
  gint64 index;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (note != NULL)
    *note = NULL;

  if (device == NULL || device[0] == '\0' || g_ascii_strcasecmp (device, "auto") == 0)
    return new_auto (n_threads, note);

  if (g_ascii_strcasecmp (device, "cpu") == 0)
    return qs_cpu_backend_new (n_threads);

  if (parse_device (device, "vulkan", &index))
    return new_for_index ((int) index, n_threads, note, error);

  if (parse_device (device, "cuda", &index))
    return new_cuda (index, n_threads, note, error);

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("Unknown device “%s”: expected auto, cpu, vulkan, vulkan:N, cuda or cuda:N"),
               device);
  return NULL;
}
