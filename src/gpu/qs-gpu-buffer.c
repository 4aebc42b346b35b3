/* qs-gpu-buffer.c: device buffers, staging and readback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "qs-gpu-buffer.h"
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
                   _("A buffer of %llu bytes exceeds the device's allocation "
                     "limit of %llu bytes"),
                   (unsigned long long) size,
                   (unsigned long long) context->max_allocation_size);
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
                   _("The device has no memory type for a %s buffer"),
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
  if ((flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) &&
      !(kind == QS_GPU_BUFFER_DEVICE && g_atomic_int_get (&context->device_buffers_unmapped)))
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
