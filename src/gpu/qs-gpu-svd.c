/* qs-gpu-svd.c: the randomized low-rank SVD with its GEMMs on the device
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * torch.svd_lowrank's range finder spends nearly all of its time in the
 * products A·Q and Aᵀ·Q with a thin Q. Those run here on the device, one
 * row block of A at a time, as the multiply callback of
 * qs_lowrank_compute_with(). The start matrix and the thin QR and SVD
 * steps take milliseconds and run on the host in that same engine code.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include "qs-gpu-error.h"
#include "qs-gpu-pipeline.h"
#include "qs-gpu-svd.h"

#define TILE 32

gboolean
qs_gpu_record_gemm (QsGpuCommand     *command,
                    const QsGpuGemm  *gemm,
                    QsGpuBuffer      *a,
                    QsGpuBuffer      *b,
                    QsGpuBuffer      *c,
                    GError          **error)
{
  QsGpuContext *context = qs_gpu_command_get_context (command);
  QsGpuBuffer *buffers[3] = { a, b, c };
  QsGpuPipeline *pipeline;

  g_return_val_if_fail (gemm != NULL, FALSE);

  pipeline = qs_gpu_context_get_pipeline (context, "gemm", 3, sizeof *gemm, NULL, 0, error);
  if (pipeline == NULL)
    return FALSE;

  return qs_gpu_command_dispatch (command, pipeline, buffers, gemm,
                                  (gemm->m + TILE - 1) / TILE, (gemm->n + TILE - 1) / TILE, 1,
                                  error);
}

gboolean
qs_gpu_record_lowrank_product (QsGpuCommand      *command,
                               QsGpuBuffer       *up,
                               QsGpuBuffer       *down,
                               guint              rank,
                               gint64             first_row,
                               gint64             n_rows,
                               gint64             cols,
                               QsGpuProductRound  round,
                               QsGpuBuffer       *out,
                               GError           **error)
{
  QsGpuGemm gemm = {
    .m = (guint32) n_rows,
    .n = (guint32) cols,
    .k = rank,
    .a_offset = (guint32) (first_row * rank),
    .a_row = rank,
    .a_inner = 1,
    .b_offset = 0,
    .b_inner = (guint32) cols,
    .b_col = 1,
    .c_offset = 0,
    .c_row = (guint32) cols,
    .c_col = 1,
    .flags = 0,
    .round_mode = round,
  };

  return qs_gpu_record_gemm (command, &gemm, up, down, out, error);
}

/* What the products by A share: the blocks, two commands that alternate
 * over the blocks, the thin operands on the device and their host-visible
 * staging. */
typedef struct
{
  QsGpuContext   *context;
  QsGpuRowBlocks *blocks;
  gint64          rows;
  gint64          cols;
  QsGpuCommand   *commands[2];
  QsGpuBuffer    *thin_rows;
  QsGpuBuffer    *thin_cols;
  QsGpuBuffer    *upload;
  QsGpuBuffer    *readback;
  GCancellable   *cancellable;
} Multiplier;

static void
multiplier_clear (Multiplier *self)
{
  /* Commands first: freeing one waits for its work, which uses the buffers. */
  g_clear_pointer (&self->commands[0], qs_gpu_command_free);
  g_clear_pointer (&self->commands[1], qs_gpu_command_free);
  g_clear_pointer (&self->thin_rows, qs_gpu_buffer_free);
  g_clear_pointer (&self->thin_cols, qs_gpu_buffer_free);
  g_clear_pointer (&self->upload, qs_gpu_buffer_free);
  g_clear_pointer (&self->readback, qs_gpu_buffer_free);
}

static gboolean
multiplier_init (Multiplier      *self,
                 QsGpuRowBlocks  *blocks,
                 gint64           rows,
                 gint64           cols,
                 guint            rank,
                 GCancellable    *cancellable,
                 GError         **error)
{
  QsGpuContext *context = qs_gpu_row_blocks_get_context (blocks);
  VkDeviceSize rows_size = (VkDeviceSize) rows * rank * sizeof (float);
  VkDeviceSize cols_size = (VkDeviceSize) cols * rank * sizeof (float);
  VkDeviceSize largest = MAX (rows_size, cols_size);

  memset (self, 0, sizeof *self);
  self->context = context;
  self->blocks = blocks;
  self->rows = rows;
  self->cols = cols;
  self->cancellable = cancellable;

  if (largest > context->properties.limits.maxStorageBufferRange)
    {
      g_set_error (error, QS_GPU_ERROR, QS_GPU_ERROR_UNSUPPORTED,
                   _("A rank-%u basis of %lld rows exceeds the device's storage "
                     "buffer range of %u bytes"), rank, (long long) MAX (rows, cols),
                   context->properties.limits.maxStorageBufferRange);
      return FALSE;
    }

  self->commands[0] = qs_gpu_command_new (context, error);
  self->commands[1] = self->commands[0] != NULL ? qs_gpu_command_new (context, error) : NULL;
  if (self->commands[1] == NULL)
    return FALSE;

  self->thin_rows = qs_gpu_buffer_new (context, QS_GPU_BUFFER_DEVICE, rows_size, error);
  self->thin_cols = self->thin_rows != NULL
                    ? qs_gpu_buffer_new (context, QS_GPU_BUFFER_DEVICE, cols_size, error) : NULL;
  self->upload = self->thin_cols != NULL
                 ? qs_gpu_buffer_new (context, QS_GPU_BUFFER_UPLOAD, largest, error) : NULL;
  self->readback = self->upload != NULL
                   ? qs_gpu_buffer_new (context, QS_GPU_BUFFER_READBACK, largest, error) : NULL;

  return self->readback != NULL;
}

/* Computes out = A·in (in: cols × k, out: rows × k) or, with @transpose,
 * out = Aᵀ·in (in: rows × k, out: cols × k), all column-major. */
static gboolean
multiplier_run (Multiplier   *self,
                gboolean      transpose,
                const float  *in,
                gint          k,
                float        *out,
                GError      **error)
{
  QsGpuBuffer *in_buffer = transpose ? self->thin_rows : self->thin_cols;
  QsGpuBuffer *out_buffer = transpose ? self->thin_cols : self->thin_rows;
  gsize in_size = (gsize) (transpose ? self->rows : self->cols) * k * sizeof (float);
  gsize out_size = (gsize) (transpose ? self->cols : self->rows) * k * sizeof (float);
  guint n_blocks = qs_gpu_row_blocks_get_n_blocks (self->blocks);
  const VkPipelineStageFlags all = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                                   VK_PIPELINE_STAGE_TRANSFER_BIT;

  memcpy (self->upload->mapped, in, in_size);
  qs_gpu_buffer_flush (self->upload);

  for (guint b = 0; b < n_blocks; b++)
    {
      QsGpuCommand *command = self->commands[b % 2];
      QsGpuBuffer *block;
      QsGpuGemm gemm = { 0 };
      gint64 first_row;
      gint64 n_rows;

      if (!qs_gpu_command_wait (command, self->cancellable, error) ||
          !qs_gpu_command_begin (command, error))
        return FALSE;

      /* Orders this block after the previous one, which the accumulating
       * Aᵀ·Q reads and writes too. */
      qs_gpu_command_barrier (command, all, all);
      if (b == 0)
        {
          qs_gpu_command_copy (command, self->upload, 0, in_buffer, 0, in_size);
          qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_TRANSFER_BIT,
                                  VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT);
        }

      block = qs_gpu_row_blocks_load (self->blocks, command, b, error);
      if (block == NULL)
        return FALSE;
      qs_gpu_row_blocks_get_range (self->blocks, b, &first_row, &n_rows);

      if (!transpose)
        {
          /* Y(i, j) = Σp A(first_row + i, p) Q(p, j). */
          gemm.m = (guint32) n_rows;
          gemm.n = (guint32) k;
          gemm.k = (guint32) self->cols;
          gemm.a_row = (guint32) self->cols;
          gemm.a_inner = 1;
          gemm.b_inner = 1;
          gemm.b_col = (guint32) self->cols;
          gemm.c_offset = (guint32) first_row;
          gemm.c_row = 1;
          gemm.c_col = (guint32) self->rows;
        }
      else
        {
          /* Z(i, j) += Σp A(first_row + p, i) Q(first_row + p, j). */
          gemm.m = (guint32) self->cols;
          gemm.n = (guint32) k;
          gemm.k = (guint32) n_rows;
          gemm.a_row = 1;
          gemm.a_inner = (guint32) self->cols;
          gemm.b_offset = (guint32) first_row;
          gemm.b_inner = 1;
          gemm.b_col = (guint32) self->rows;
          gemm.c_row = 1;
          gemm.c_col = (guint32) self->cols;
          gemm.flags = b > 0 ? QS_GPU_GEMM_ACCUMULATE : 0;
        }

      if (!qs_gpu_record_gemm (command, &gemm, block, in_buffer, out_buffer, error))
        return FALSE;

      if (b + 1 == n_blocks)
        {
          qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                                  VK_PIPELINE_STAGE_TRANSFER_BIT);
          qs_gpu_command_copy (command, out_buffer, 0, self->readback, 0, out_size);
          qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_TRANSFER_BIT,
                                  VK_PIPELINE_STAGE_HOST_BIT);
        }

      if (!qs_gpu_command_submit (command, error))
        return FALSE;
    }

  if (!qs_gpu_command_wait (self->commands[0], self->cancellable, error) ||
      !qs_gpu_command_wait (self->commands[1], self->cancellable, error))
    return FALSE;

  qs_gpu_buffer_invalidate (self->readback);
  memcpy (out, self->readback->mapped, out_size);

  return TRUE;
}

/* The QsLowRankMultiply of the device matrix. */
static gboolean
multiply_cb (gboolean      transpose,
             const float  *in,
             gint          k,
             float        *out,
             gpointer      user_data,
             GError      **error)
{
  return multiplier_run (user_data, transpose, in, k, out, error);
}

QsLowRank *
qs_gpu_lowrank_compute (QsGpuRowBlocks  *blocks,
                        const float     *host,
                        gint64           rows,
                        gint64           cols,
                        guint            rank,
                        guint            steps,
                        guint64          seed,
                        GCancellable    *cancellable,
                        GError         **error)
{
  Multiplier mul;
  QsLowRank *lowrank;

  g_return_val_if_fail (blocks != NULL, NULL);
  g_return_val_if_fail (host != NULL, NULL);
  g_return_val_if_fail (rows > 0 && cols > 0 && rank > 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* torch.svd_lowrank builds the basis for A itself only when m ≥ n and
   * n ≤ q. Such an A has at most q columns, so the CPU handles it quickly. */
  if (!qs_lowrank_uses_transposed_basis (rows, cols, rank))
    return qs_lowrank_compute (host, rows, cols, rank, steps, seed, cancellable, error);

  if (rows > G_MAXINT32 || cols > G_MAXINT32)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("A %lld × %lld matrix is too large for LAPACK's 32-bit sizes"),
                   (long long) rows, (long long) cols);
      return NULL;
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  if (!multiplier_init (&mul, blocks, rows, cols, rank, cancellable, error))
    {
      multiplier_clear (&mul);
      return NULL;
    }

  lowrank = qs_lowrank_compute_with (rows, cols, rank, steps, seed, multiply_cb, &mul,
                                     cancellable, error);
  multiplier_clear (&mul);

  return lowrank;
}
