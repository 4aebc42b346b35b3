/* qs-gpu-row-blocks.c: a weight matrix on the device in blocks of rows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "qs-gpu-row-blocks.h"

struct _QsGpuRowBlocks
{
  QsGpuContext       *context;
  const float        *host;
  const guint8       *stored;
  QsGpuDecodeFormat   stored_format;
  gsize               stored_element_size;
  gint64              rows;
  gint64              row_len;
  gint64              rows_per_block;
  guint               n_blocks;
  gboolean            resident;
  QsGpuBuffer       **slots;
  gint64             *slot_block;
  guint               n_slots;
  QsGpuBuffer        *staging[2];
  /* Stored blocks only: device buffers that the decode kernel reads. */
  QsGpuBuffer        *encoded[2];
};

static gsize
decode_element_size (QsGpuDecodeFormat format)
{
  return format == QS_GPU_DECODE_F32 ? 4 : 2;
}

/* Allocates the buffers that carry stored bytes to the decode kernel: two
 * device buffers, plus two staging buffers when those are not mapped.
 * Block b uses pair b mod 2, like the block buffers of a streamed matrix. */
static gboolean
allocate_encoded (QsGpuRowBlocks  *self,
                  GError         **error)
{
  VkDeviceSize size = (VkDeviceSize) self->rows_per_block * (VkDeviceSize) self->row_len *
                      self->stored_element_size;

  for (guint i = 0; i < MIN (2u, self->n_blocks); i++)
    {
      self->encoded[i] = qs_gpu_buffer_new (self->context, QS_GPU_BUFFER_DEVICE, size, error);
      if (self->encoded[i] == NULL)
        return FALSE;

      if (self->encoded[i]->mapped == NULL)
        {
          self->staging[i] = qs_gpu_buffer_new (self->context, QS_GPU_BUFFER_UPLOAD, size, error);
          if (self->staging[i] == NULL)
            return FALSE;
        }
    }

  return TRUE;
}

static QsGpuRowBlocks *
row_blocks_new (QsGpuContext       *context,
                const float        *host,
                const guint8       *stored,
                QsGpuDecodeFormat   stored_format,
                gint64              rows,
                gint64              row_len,
                gint64              rows_per_block,
                gboolean            resident,
                GError            **error)
{
  g_autoptr(QsGpuRowBlocks) self = NULL;
  VkDeviceSize slot_size;

  self = g_new0 (QsGpuRowBlocks, 1);
  self->context = qs_gpu_context_ref (context);
  self->host = host;
  self->stored = stored;
  self->stored_format = stored_format;
  self->stored_element_size = decode_element_size (stored_format);
  self->rows = rows;
  self->row_len = row_len;
  self->rows_per_block = MIN (rows_per_block, rows);
  self->n_blocks = (guint) ((rows + self->rows_per_block - 1) / self->rows_per_block);
  self->resident = resident || self->n_blocks == 1;
  self->n_slots = self->resident ? self->n_blocks : 2;
  self->slots = g_new0 (QsGpuBuffer *, self->n_slots);
  self->slot_block = g_new (gint64, self->n_slots);

  slot_size = (VkDeviceSize) self->rows_per_block * (VkDeviceSize) row_len * sizeof (float);
  for (guint i = 0; i < self->n_slots; i++)
    {
      gint64 first_row = self->resident ? (gint64) i * self->rows_per_block : 0;
      gint64 n_rows = self->resident ? MIN (self->rows_per_block, rows - first_row)
                                     : self->rows_per_block;

      self->slot_block[i] = -1;
      self->slots[i] = qs_gpu_buffer_new (context, QS_GPU_BUFFER_DEVICE,
                                          (VkDeviceSize) n_rows * (VkDeviceSize) row_len * sizeof (float),
                                          error);
      if (self->slots[i] == NULL)
        return NULL;
    }

  if (stored != NULL)
    {
      if (!allocate_encoded (self, error))
        return NULL;
    }
  else if (host != NULL && self->slots[0]->mapped == NULL)
    {
      for (guint i = 0; i < MIN (2u, self->n_blocks); i++)
        {
          self->staging[i] = qs_gpu_buffer_new (context, QS_GPU_BUFFER_UPLOAD, slot_size, error);
          if (self->staging[i] == NULL)
            return NULL;
        }
    }

  return g_steal_pointer (&self);
}

QsGpuRowBlocks *
qs_gpu_row_blocks_new (QsGpuContext  *context,
                       const float   *host,
                       gint64         rows,
                       gint64         row_len,
                       gint64         rows_per_block,
                       gboolean       resident,
                       GError       **error)
{
  g_return_val_if_fail (context != NULL, NULL);
  g_return_val_if_fail (rows > 0 && row_len > 0 && rows_per_block > 0, NULL);

  return row_blocks_new (context, host, NULL, QS_GPU_DECODE_F32, rows, row_len, rows_per_block,
                         resident, error);
}

QsGpuRowBlocks *
qs_gpu_row_blocks_new_stored (QsGpuContext       *context,
                              const guint8       *stored,
                              QsGpuDecodeFormat   format,
                              gint64              rows,
                              gint64              row_len,
                              gint64              rows_per_block,
                              gboolean            resident,
                              GError            **error)
{
  g_return_val_if_fail (context != NULL, NULL);
  g_return_val_if_fail (stored != NULL, NULL);
  g_return_val_if_fail (format == QS_GPU_DECODE_F32 || format == QS_GPU_DECODE_BF16 ||
                        format == QS_GPU_DECODE_F16, NULL);
  g_return_val_if_fail (rows > 0 && row_len > 0 && rows_per_block > 0, NULL);

  return row_blocks_new (context, NULL, stored, format, rows, row_len, rows_per_block,
                         resident, error);
}

void
qs_gpu_row_blocks_free (QsGpuRowBlocks *self)
{
  if (self == NULL)
    return;

  for (guint i = 0; self->slots != NULL && i < self->n_slots; i++)
    g_clear_pointer (&self->slots[i], qs_gpu_buffer_free);
  g_free (self->slots);
  g_free (self->slot_block);
  for (guint i = 0; i < 2; i++)
    {
      g_clear_pointer (&self->staging[i], qs_gpu_buffer_free);
      g_clear_pointer (&self->encoded[i], qs_gpu_buffer_free);
    }
  qs_gpu_context_unref (self->context);
  g_free (self);
}

QsGpuContext *
qs_gpu_row_blocks_get_context (QsGpuRowBlocks *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->context;
}

guint
qs_gpu_row_blocks_get_n_blocks (QsGpuRowBlocks *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_blocks;
}

gboolean
qs_gpu_row_blocks_is_resident (QsGpuRowBlocks *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->resident;
}

gboolean
qs_gpu_row_blocks_is_stored (QsGpuRowBlocks *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->stored != NULL;
}

void
qs_gpu_row_blocks_get_range (QsGpuRowBlocks *self,
                             guint           block,
                             gint64         *first_row,
                             gint64         *n_rows)
{
  gint64 first;

  g_return_if_fail (self != NULL && block < self->n_blocks);

  first = (gint64) block * self->rows_per_block;
  if (first_row != NULL)
    *first_row = first;
  if (n_rows != NULL)
    *n_rows = MIN (self->rows_per_block, self->rows - first);
}

/* Records the upload of block @block's stored bytes and their widening
 * into @buffer. Buffer pair b mod 2 was last used by the command of block
 * b − 2, which the caller waited for. */
static gboolean
load_stored (QsGpuRowBlocks  *self,
             QsGpuCommand    *command,
             guint            block,
             QsGpuBuffer     *buffer,
             GError         **error)
{
  QsGpuBuffer *encoded = self->encoded[block % 2];
  QsGpuBuffer *staging = self->staging[block % 2];
  gint64 first_row;
  gint64 n_rows;
  gsize n_values;
  gsize size;
  const guint8 *source;

  qs_gpu_row_blocks_get_range (self, block, &first_row, &n_rows);
  n_values = (gsize) n_rows * (gsize) self->row_len;
  size = n_values * self->stored_element_size;
  source = self->stored + (gsize) first_row * (gsize) self->row_len * self->stored_element_size;

  /* memcpy handles a tensor at any byte offset of a mapped file. */
  if (encoded->mapped != NULL)
    {
      memcpy (encoded->mapped, source, size);
      qs_gpu_buffer_flush (encoded);
    }
  else
    {
      memcpy (staging->mapped, source, size);
      qs_gpu_buffer_flush (staging);
      qs_gpu_command_copy (command, staging, 0, encoded, 0, size);
      qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_TRANSFER_BIT,
                              VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT);
    }

  if (!qs_gpu_record_decode (command, self->stored_format, encoded, (gint64) n_values, buffer,
                             error))
    return FALSE;

  qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                          VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT);
  return TRUE;
}

QsGpuBuffer *
qs_gpu_row_blocks_load (QsGpuRowBlocks  *self,
                        QsGpuCommand    *command,
                        guint            block,
                        GError         **error)
{
  guint slot;
  gint64 first_row;
  gint64 n_rows;
  gsize size;
  const float *source;
  QsGpuBuffer *buffer;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (block < self->n_blocks, NULL);

  slot = self->resident ? block : block % 2;
  buffer = self->slots[slot];
  if (self->slot_block[slot] == (gint64) block)
    return buffer;

  if (self->stored != NULL)
    {
      if (!load_stored (self, command, block, buffer, error))
        return NULL;
      self->slot_block[slot] = block;
      return buffer;
    }

  self->slot_block[slot] = block;
  if (self->host == NULL)
    return buffer;

  qs_gpu_row_blocks_get_range (self, block, &first_row, &n_rows);
  size = (gsize) n_rows * (gsize) self->row_len * sizeof (float);
  source = self->host + (gsize) first_row * (gsize) self->row_len;

  if (buffer->mapped != NULL)
    {
      memcpy (buffer->mapped, source, size);
      qs_gpu_buffer_flush (buffer);
      return buffer;
    }

  /* Staging buffer b mod 2 was last read by the command of block b − 2,
   * which the caller waited for. */
  memcpy (self->staging[block % 2]->mapped, source, size);
  qs_gpu_buffer_flush (self->staging[block % 2]);
  qs_gpu_command_copy (command, self->staging[block % 2], 0, buffer, 0, size);
  qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_TRANSFER_BIT,
                          VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT);

  return buffer;
}
