/* qs-gpu-command.h: command recording, submission and fenced waits
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <vulkan/vulkan.h>

#include "qs-gpu-buffer.h"
#include "qs-gpu-context.h"
#include "qs-gpu-pipeline.h"

G_BEGIN_DECLS

typedef struct _QsGpuCommand QsGpuCommand;

/**
 * qs_gpu_command_new:
 *
 * Creates a command buffer with its own pool, fence and descriptor pools.
 * A command is recorded, submitted and waited for, then recorded again.
 *
 * Returns: (transfer full): the command, or %NULL with @error set
 */
QsGpuCommand *qs_gpu_command_new        (QsGpuContext   *context,
                                         GError        **error);

/* Waits for a pending submission without a time limit, then frees. */
void          qs_gpu_command_free       (QsGpuCommand   *self);

/**
 * qs_gpu_command_begin:
 *
 * Starts recording. The command must not be pending: wait for it first.
 * The descriptor sets of the previous recording are released.
 */
gboolean      qs_gpu_command_begin      (QsGpuCommand   *self,
                                         GError        **error);

/**
 * qs_gpu_command_barrier:
 * @src_stages: the stages whose writes must finish
 * @dst_stages: the stages that wait for them
 *
 * Records a global memory barrier that makes the writes of @src_stages
 * (compute shaders, transfers) visible to the accesses of @dst_stages.
 * Name VK_PIPELINE_STAGE_HOST_BIT in @dst_stages after the last write
 * that the host reads once the fence has signalled.
 */
void          qs_gpu_command_barrier    (QsGpuCommand          *self,
                                         VkPipelineStageFlags   src_stages,
                                         VkPipelineStageFlags   dst_stages);

/* Records a buffer copy. */
void          qs_gpu_command_copy       (QsGpuCommand   *self,
                                         QsGpuBuffer    *src,
                                         VkDeviceSize    src_offset,
                                         QsGpuBuffer    *dst,
                                         VkDeviceSize    dst_offset,
                                         VkDeviceSize    size);

/* Records filling @size bytes (a multiple of 4) with a 32-bit @value. */
void          qs_gpu_command_fill       (QsGpuCommand   *self,
                                         QsGpuBuffer    *buffer,
                                         VkDeviceSize    offset,
                                         VkDeviceSize    size,
                                         guint32         value);

/**
 * qs_gpu_command_dispatch:
 * @buffers: (array length=pipeline.n_buffers): the buffers for bindings
 *   0 to n_buffers − 1, each bound whole
 * @push_data: (nullable): pipeline.push_size bytes of push constants
 *
 * Records a dispatch of @pipeline with a fresh descriptor set.
 */
gboolean      qs_gpu_command_dispatch   (QsGpuCommand   *self,
                                         QsGpuPipeline  *pipeline,
                                         QsGpuBuffer   **buffers,
                                         gconstpointer   push_data,
                                         guint32         groups_x,
                                         guint32         groups_y,
                                         guint32         groups_z,
                                         GError        **error);

/* Ends recording and submits with the command's fence. */
gboolean      qs_gpu_command_submit     (QsGpuCommand   *self,
                                         GError        **error);

/**
 * qs_gpu_command_wait:
 *
 * Waits for the submission's fence in short steps. When @cancellable is
 * cancelled it still waits until the device has finished the submission,
 * because the buffers it uses may be freed right after, and then returns
 * %G_IO_ERROR_CANCELLED. Returns %TRUE at once when nothing is pending.
 */
gboolean      qs_gpu_command_wait       (QsGpuCommand   *self,
                                         GCancellable   *cancellable,
                                         GError        **error);

/* Submits and waits. */
gboolean      qs_gpu_command_run        (QsGpuCommand   *self,
                                         GCancellable   *cancellable,
                                         GError        **error);

gboolean      qs_gpu_command_is_pending (QsGpuCommand   *self);

/* Returns: (transfer none): the command's context */
QsGpuContext *qs_gpu_command_get_context (QsGpuCommand  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsGpuCommand, qs_gpu_command_free)

G_END_DECLS
