/* qs-gpu-command.c: command recording, submission and fenced waits
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "qs-gpu-command.h"
#include "qs-gpu-error.h"

/* Descriptor sets per pool; a recording that needs more opens another. */
#define SETS_PER_POOL 64

/* How long one fence wait blocks before the cancellable is checked. */
#define WAIT_STEP_NS (20 * G_GUINT64_CONSTANT (1000000))

struct _QsGpuCommand
{
  QsGpuContext    *context;
  VkCommandPool    pool;
  VkCommandBuffer  buffer;
  VkFence          fence;
  GArray          *descriptor_pools;
  guint            current_pool;
  gboolean         recording;
  gboolean         pending;
};

static gboolean
add_descriptor_pool (QsGpuCommand  *self,
                     GError       **error)
{
  VkDescriptorPoolSize size = {
    .type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
    .descriptorCount = SETS_PER_POOL * QS_GPU_MAX_BINDINGS,
  };
  VkDescriptorPoolCreateInfo pool_info = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
    .maxSets = SETS_PER_POOL,
    .poolSizeCount = 1,
    .pPoolSizes = &size,
  };
  VkDescriptorPool pool;
  VkResult result;

  result = vkCreateDescriptorPool (self->context->device, &pool_info, NULL, &pool);
  if (!qs_gpu_check (result, "vkCreateDescriptorPool", error))
    return FALSE;

  g_array_append_val (self->descriptor_pools, pool);
  return TRUE;
}

QsGpuCommand *
qs_gpu_command_new (QsGpuContext  *context,
                    GError       **error)
{
  g_autoptr(QsGpuCommand) self = NULL;
  VkCommandPoolCreateInfo pool_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
  };
  VkCommandBufferAllocateInfo buffer_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };
  VkFenceCreateInfo fence_info = {
    .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO,
  };
  VkResult result;

  g_return_val_if_fail (context != NULL, NULL);

  self = g_new0 (QsGpuCommand, 1);
  self->context = qs_gpu_context_ref (context);
  self->descriptor_pools = g_array_new (FALSE, FALSE, sizeof (VkDescriptorPool));

  pool_info.queueFamilyIndex = context->queue_family;
  result = vkCreateCommandPool (context->device, &pool_info, NULL, &self->pool);
  if (!qs_gpu_check (result, "vkCreateCommandPool", error))
    return NULL;

  buffer_info.commandPool = self->pool;
  result = vkAllocateCommandBuffers (context->device, &buffer_info, &self->buffer);
  if (!qs_gpu_check (result, "vkAllocateCommandBuffers", error))
    return NULL;

  result = vkCreateFence (context->device, &fence_info, NULL, &self->fence);
  if (!qs_gpu_check (result, "vkCreateFence", error))
    return NULL;

  if (!add_descriptor_pool (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

void
qs_gpu_command_free (QsGpuCommand *self)
{
  VkDevice device;

  if (self == NULL)
    return;

  device = self->context->device;
  if (self->pending)
    vkWaitForFences (device, 1, &self->fence, VK_TRUE, G_MAXUINT64);

  for (guint i = 0; i < self->descriptor_pools->len; i++)
    vkDestroyDescriptorPool (device, g_array_index (self->descriptor_pools, VkDescriptorPool, i),
                             NULL);
  g_array_unref (self->descriptor_pools);

  if (self->fence != VK_NULL_HANDLE)
    vkDestroyFence (device, self->fence, NULL);
  if (self->pool != VK_NULL_HANDLE)
    vkDestroyCommandPool (device, self->pool, NULL);

  qs_gpu_context_unref (self->context);
  g_free (self);
}

gboolean
qs_gpu_command_begin (QsGpuCommand  *self,
                      GError       **error)
{
  VkCommandBufferBeginInfo begin_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
  };
  VkDevice device;
  VkResult result;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (!self->pending, FALSE);
  g_return_val_if_fail (!self->recording, FALSE);

  device = self->context->device;

  result = vkResetCommandPool (device, self->pool, 0);
  if (!qs_gpu_check (result, "vkResetCommandPool", error))
    return FALSE;

  for (guint i = 0; i < self->descriptor_pools->len; i++)
    {
      result = vkResetDescriptorPool (device,
                                      g_array_index (self->descriptor_pools, VkDescriptorPool, i),
                                      0);
      if (!qs_gpu_check (result, "vkResetDescriptorPool", error))
        return FALSE;
    }
  self->current_pool = 0;

  result = vkBeginCommandBuffer (self->buffer, &begin_info);
  if (!qs_gpu_check (result, "vkBeginCommandBuffer", error))
    return FALSE;

  self->recording = TRUE;
  return TRUE;
}

/* The accesses a barrier covers for the stages it names. */
static VkAccessFlags
write_access_for (VkPipelineStageFlags stages)
{
  VkAccessFlags access = 0;

  if (stages & VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT)
    access |= VK_ACCESS_SHADER_WRITE_BIT;
  if (stages & VK_PIPELINE_STAGE_TRANSFER_BIT)
    access |= VK_ACCESS_TRANSFER_WRITE_BIT;
  if (stages & VK_PIPELINE_STAGE_HOST_BIT)
    access |= VK_ACCESS_HOST_WRITE_BIT;

  return access;
}

static VkAccessFlags
access_for (VkPipelineStageFlags stages)
{
  VkAccessFlags access = 0;

  if (stages & VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT)
    access |= VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  if (stages & VK_PIPELINE_STAGE_TRANSFER_BIT)
    access |= VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  if (stages & VK_PIPELINE_STAGE_HOST_BIT)
    access |= VK_ACCESS_HOST_READ_BIT | VK_ACCESS_HOST_WRITE_BIT;

  return access;
}

void
qs_gpu_command_barrier (QsGpuCommand         *self,
                        VkPipelineStageFlags  src_stages,
                        VkPipelineStageFlags  dst_stages)
{
  VkMemoryBarrier barrier = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
  };

  g_return_if_fail (self != NULL && self->recording);

  barrier.srcAccessMask = write_access_for (src_stages);
  barrier.dstAccessMask = access_for (dst_stages);
  vkCmdPipelineBarrier (self->buffer, src_stages, dst_stages, 0, 1, &barrier, 0, NULL, 0, NULL);
}

void
qs_gpu_command_copy (QsGpuCommand *self,
                     QsGpuBuffer  *src,
                     VkDeviceSize  src_offset,
                     QsGpuBuffer  *dst,
                     VkDeviceSize  dst_offset,
                     VkDeviceSize  size)
{
  VkBufferCopy region = {
    .srcOffset = src_offset,
    .dstOffset = dst_offset,
    .size = size,
  };

  g_return_if_fail (self != NULL && self->recording);
  g_return_if_fail (src_offset + size <= src->size && dst_offset + size <= dst->size);

  if (size == 0)
    return;

  vkCmdCopyBuffer (self->buffer, src->buffer, dst->buffer, 1, &region);
}

void
qs_gpu_command_fill (QsGpuCommand *self,
                     QsGpuBuffer  *buffer,
                     VkDeviceSize  offset,
                     VkDeviceSize  size,
                     guint32       value)
{
  g_return_if_fail (self != NULL && self->recording);
  g_return_if_fail (offset % 4 == 0 && size % 4 == 0 && offset + size <= buffer->size);

  if (size == 0)
    return;

  vkCmdFillBuffer (self->buffer, buffer->buffer, offset, size, value);
}

/* Allocates a descriptor set for @pipeline, opening a new pool when the
 * current ones are full. */
static VkDescriptorSet
allocate_set (QsGpuCommand   *self,
              QsGpuPipeline  *pipeline,
              GError        **error)
{
  VkDescriptorSetAllocateInfo allocate_info = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
    .descriptorSetCount = 1,
    .pSetLayouts = &pipeline->set_layout,
  };
  VkDescriptorSet set = VK_NULL_HANDLE;

  for (;;)
    {
      VkResult result;

      allocate_info.descriptorPool = g_array_index (self->descriptor_pools, VkDescriptorPool,
                                                    self->current_pool);
      result = vkAllocateDescriptorSets (self->context->device, &allocate_info, &set);
      if (result == VK_SUCCESS)
        return set;

      if (result != VK_ERROR_OUT_OF_POOL_MEMORY && result != VK_ERROR_FRAGMENTED_POOL)
        {
          qs_gpu_check (result, "vkAllocateDescriptorSets", error);
          return VK_NULL_HANDLE;
        }

      self->current_pool++;
      if (self->current_pool == self->descriptor_pools->len && !add_descriptor_pool (self, error))
        return VK_NULL_HANDLE;
    }
}

gboolean
qs_gpu_command_dispatch (QsGpuCommand   *self,
                         QsGpuPipeline  *pipeline,
                         QsGpuBuffer   **buffers,
                         gconstpointer   push_data,
                         guint32         groups_x,
                         guint32         groups_y,
                         guint32         groups_z,
                         GError        **error)
{
  VkDescriptorBufferInfo buffer_infos[QS_GPU_MAX_BINDINGS];
  VkWriteDescriptorSet writes[QS_GPU_MAX_BINDINGS];
  const VkPhysicalDeviceLimits *limits;
  VkDescriptorSet set;

  g_return_val_if_fail (self != NULL && self->recording, FALSE);
  g_return_val_if_fail (pipeline != NULL, FALSE);
  g_return_val_if_fail (pipeline->n_buffers == 0 || buffers != NULL, FALSE);

  limits = &self->context->properties.limits;
  if (groups_x > limits->maxComputeWorkGroupCount[0] ||
      groups_y > limits->maxComputeWorkGroupCount[1] ||
      groups_z > limits->maxComputeWorkGroupCount[2])
    {
      g_set_error (error, QS_GPU_ERROR, QS_GPU_ERROR_UNSUPPORTED,
                   _("Kernel “%s” needs %u × %u × %u workgroups; the device allows %u × %u × %u"),
                   pipeline->name, groups_x, groups_y, groups_z,
                   limits->maxComputeWorkGroupCount[0], limits->maxComputeWorkGroupCount[1],
                   limits->maxComputeWorkGroupCount[2]);
      return FALSE;
    }

  if (groups_x == 0 || groups_y == 0 || groups_z == 0)
    return TRUE;

  set = allocate_set (self, pipeline, error);
  if (set == VK_NULL_HANDLE)
    return FALSE;

  for (guint i = 0; i < pipeline->n_buffers; i++)
    {
      buffer_infos[i] = (VkDescriptorBufferInfo) {
        .buffer = buffers[i]->buffer,
        .offset = 0,
        .range = VK_WHOLE_SIZE,
      };
      writes[i] = (VkWriteDescriptorSet) {
        .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = set,
        .dstBinding = i,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = &buffer_infos[i],
      };
    }
  vkUpdateDescriptorSets (self->context->device, pipeline->n_buffers, writes, 0, NULL);

  vkCmdBindPipeline (self->buffer, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->pipeline);
  vkCmdBindDescriptorSets (self->buffer, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->layout,
                           0, 1, &set, 0, NULL);
  if (pipeline->push_size > 0 && push_data != NULL)
    vkCmdPushConstants (self->buffer, pipeline->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                        pipeline->push_size, push_data);
  vkCmdDispatch (self->buffer, groups_x, groups_y, groups_z);

  return TRUE;
}

gboolean
qs_gpu_command_submit (QsGpuCommand  *self,
                       GError       **error)
{
  VkSubmitInfo submit_info = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
  };
  VkResult result;

  g_return_val_if_fail (self != NULL && self->recording, FALSE);

  self->recording = FALSE;
  result = vkEndCommandBuffer (self->buffer);
  if (!qs_gpu_check (result, "vkEndCommandBuffer", error))
    return FALSE;

  result = vkResetFences (self->context->device, 1, &self->fence);
  if (!qs_gpu_check (result, "vkResetFences", error))
    return FALSE;

  submit_info.pCommandBuffers = &self->buffer;
  qs_gpu_context_lock_queue (self->context);
  result = vkQueueSubmit (self->context->queue, 1, &submit_info, self->fence);
  qs_gpu_context_unlock_queue (self->context);
  if (!qs_gpu_check (result, "vkQueueSubmit", error))
    return FALSE;

  self->pending = TRUE;
  return TRUE;
}

gboolean
qs_gpu_command_wait (QsGpuCommand  *self,
                     GCancellable  *cancellable,
                     GError       **error)
{
  gboolean cancelled = FALSE;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!self->pending)
    return TRUE;

  for (;;)
    {
      VkResult result = vkWaitForFences (self->context->device, 1, &self->fence, VK_TRUE,
                                         WAIT_STEP_NS);

      if (result == VK_SUCCESS)
        break;

      if (result != VK_TIMEOUT)
        {
          /* The fence can no longer signal, so nothing is pending. */
          self->pending = FALSE;
          return qs_gpu_check (result, "vkWaitForFences", error);
        }

      if (!cancelled && g_cancellable_is_cancelled (cancellable))
        {
          g_debug ("Cancelled; waiting for the submitted GPU work to finish");
          cancelled = TRUE;
        }
    }

  self->pending = FALSE;

  if (cancelled || g_cancellable_is_cancelled (cancellable))
    {
      g_cancellable_set_error_if_cancelled (cancellable, error);
      return FALSE;
    }

  return TRUE;
}

gboolean
qs_gpu_command_run (QsGpuCommand  *self,
                    GCancellable  *cancellable,
                    GError       **error)
{
  return qs_gpu_command_submit (self, error) &&
         qs_gpu_command_wait (self, cancellable, error);
}

gboolean
qs_gpu_command_is_pending (QsGpuCommand *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->pending;
}

QsGpuContext *
qs_gpu_command_get_context (QsGpuCommand *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->context;
}
