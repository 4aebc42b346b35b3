/* qs-gpu-buffer.c: device buffers, staging and readback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "qs-gpu-buffer.h"
#include "qs-gpu-command.h"
#include "qs-gpu-error.h"

/* Picks a memory type for @kind: device-local for device buffers, and
 * host-visible memory (coherent for uploads, cached for readback) for the
 * others, falling back to any host-visible type. */
static int
choose_memory_type (QsGpuContext    *context,
                    QsGpuBufferKind  kind,
                    guint32          type_bits)
{
  const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
  int index;

  switch (kind)
    {
    case QS_GPU_BUFFER_DEVICE:
      index = qs_gpu_context_find_memory_type (context, type_bits,
                                               VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0);
      if (index < 0)
        index = qs_gpu_context_find_memory_type (context, type_bits, 0, 0);
      return index;

    case QS_GPU_BUFFER_UPLOAD:
      return qs_gpu_context_find_memory_type (context, type_bits, host,
                                              VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);

    case QS_GPU_BUFFER_READBACK:
    default:
      index = qs_gpu_context_find_memory_type (context, type_bits,
                                               host | VK_MEMORY_PROPERTY_HOST_CACHED_BIT, 0);
      if (index < 0)
        index = qs_gpu_context_find_memory_type (context, type_bits, host, 0);
      return index;
    }
}

QsGpuBuffer *
qs_gpu_buffer_new (QsGpuContext     *context,
                   QsGpuBufferKind   kind,
                   VkDeviceSize      size,
                   GError          **error)
{
  g_autoptr(QsGpuBuffer) self = NULL;
  VkBufferCreateInfo buffer_info = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
             VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
             VK_BUFFER_USAGE_TRANSFER_DST_BIT,
    .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
  };
  VkMemoryRequirements requirements;
  VkMemoryAllocateInfo allocate_info = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
  };
  VkMemoryPropertyFlags flags;
  VkResult result;
  int type_index;

  g_return_val_if_fail (context != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  size = MAX ((size + 3) & ~(VkDeviceSize) 3, 4);
  if (size > context->max_allocation_size)
    {
      g_set_error (error, QS_GPU_ERROR, QS_GPU_ERROR_OUT_OF_MEMORY,
                   "A buffer of %" G_GUINT64_FORMAT " bytes exceeds the device's allocation "
                   "limit of %" G_GUINT64_FORMAT " bytes",
                   (guint64) size, (guint64) context->max_allocation_size);
      return NULL;
    }

  self = g_new0 (QsGpuBuffer, 1);
  self->context = qs_gpu_context_ref (context);
  self->size = size;
  self->kind = kind;

  buffer_info.size = size;
  result = vkCreateBuffer (context->device, &buffer_info, NULL, &self->buffer);
  if (!qs_gpu_check (result, "vkCreateBuffer", error))
    return NULL;

  vkGetBufferMemoryRequirements (context->device, self->buffer, &requirements);
  type_index = choose_memory_type (context, kind, requirements.memoryTypeBits);
  if (type_index < 0)
    {
      g_set_error (error, QS_GPU_ERROR, QS_GPU_ERROR_UNSUPPORTED,
                   "The device has no memory type for a %s buffer",
                   kind == QS_GPU_BUFFER_DEVICE ? "storage" : "host-visible");
      return NULL;
    }

  allocate_info.allocationSize = requirements.size;
  allocate_info.memoryTypeIndex = (guint32) type_index;
  result = vkAllocateMemory (context->device, &allocate_info, NULL, &self->memory);
  if (!qs_gpu_check (result, "vkAllocateMemory", error))
    return NULL;

  result = vkBindBufferMemory (context->device, self->buffer, self->memory, 0);
  if (!qs_gpu_check (result, "vkBindBufferMemory", error))
    return NULL;

  flags = context->memory_properties.memoryTypes[type_index].propertyFlags;
  self->coherent = (flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
  if (flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)
    {
      result = vkMapMemory (context->device, self->memory, 0, VK_WHOLE_SIZE, 0, &self->mapped);
      if (!qs_gpu_check (result, "vkMapMemory", error))
        return NULL;
    }

  return g_steal_pointer (&self);
}

void
qs_gpu_buffer_free (QsGpuBuffer *self)
{
  VkDevice device;

  if (self == NULL)
    return;

  device = self->context->device;
  if (self->mapped != NULL)
    vkUnmapMemory (device, self->memory);
  if (self->buffer != VK_NULL_HANDLE)
    vkDestroyBuffer (device, self->buffer, NULL);
  if (self->memory != VK_NULL_HANDLE)
    vkFreeMemory (device, self->memory, NULL);

  qs_gpu_context_unref (self->context);
  g_free (self);
}

void
qs_gpu_buffer_flush (QsGpuBuffer *self)
{
  VkMappedMemoryRange range = {
    .sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
    .offset = 0,
    .size = VK_WHOLE_SIZE,
  };

  g_return_if_fail (self != NULL);

  if (self->mapped == NULL || self->coherent)
    return;

  range.memory = self->memory;
  vkFlushMappedMemoryRanges (self->context->device, 1, &range);
}

void
qs_gpu_buffer_invalidate (QsGpuBuffer *self)
{
  VkMappedMemoryRange range = {
    .sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
    .offset = 0,
    .size = VK_WHOLE_SIZE,
  };

  g_return_if_fail (self != NULL);

  if (self->mapped == NULL || self->coherent)
    return;

  range.memory = self->memory;
  vkInvalidateMappedMemoryRanges (self->context->device, 1, &range);
}

/* Row blocks */

struct _QsGpuRowBlocks
{
  QsGpuContext  *context;
  const float   *host;
  gint64         rows;
  gint64         row_len;
  gint64         rows_per_block;
  guint          n_blocks;
  gboolean       resident;
  QsGpuBuffer  **slots;
  gint64        *slot_block;
  guint          n_slots;
  QsGpuBuffer   *staging[2];
};

QsGpuRowBlocks *
qs_gpu_row_blocks_new (QsGpuContext  *context,
                       const float   *host,
                       gint64         rows,
                       gint64         row_len,
                       gint64         rows_per_block,
                       gboolean       resident,
                       GError       **error)
{
  g_autoptr(QsGpuRowBlocks) self = NULL;
  VkDeviceSize slot_size;

  g_return_val_if_fail (context != NULL, NULL);
  g_return_val_if_fail (rows > 0 && row_len > 0 && rows_per_block > 0, NULL);

  self = g_new0 (QsGpuRowBlocks, 1);
  self->context = qs_gpu_context_ref (context);
  self->host = host;
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

  if (host != NULL && self->slots[0]->mapped == NULL)
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

void
qs_gpu_row_blocks_free (QsGpuRowBlocks *self)
{
  if (self == NULL)
    return;

  for (guint i = 0; self->slots != NULL && i < self->n_slots; i++)
    g_clear_pointer (&self->slots[i], qs_gpu_buffer_free);
  g_free (self->slots);
  g_free (self->slot_block);
  g_clear_pointer (&self->staging[0], qs_gpu_buffer_free);
  g_clear_pointer (&self->staging[1], qs_gpu_buffer_free);
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

QsGpuBuffer *
qs_gpu_row_blocks_load (QsGpuRowBlocks        *self,
                        struct _QsGpuCommand  *command,
                        guint                  block,
                        GError               **error)
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
