/* qs-gpu-buffer.h: device buffers, staging and readback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <vulkan/vulkan.h>

#include "qs-gpu-context.h"

G_BEGIN_DECLS

/**
 * QsGpuBufferKind:
 * @QS_GPU_BUFFER_DEVICE: a storage buffer in device-local memory, mapped
 *   too when that memory is host-visible (integrated GPUs, CPU devices,
 *   resizable BAR), so that uploads can skip staging
 * @QS_GPU_BUFFER_UPLOAD: host-visible memory that the host writes and the
 *   device copies from
 * @QS_GPU_BUFFER_READBACK: host-visible memory, cached where possible, that
 *   the device copies into and the host reads
 */
typedef enum
{
  QS_GPU_BUFFER_DEVICE,
  QS_GPU_BUFFER_UPLOAD,
  QS_GPU_BUFFER_READBACK,
} QsGpuBufferKind;

/**
 * QsGpuBuffer:
 * @context: the owning context (a reference)
 * @buffer: the buffer handle
 * @memory: its dedicated memory
 * @size: the size in bytes
 * @kind: what the buffer is for
 * @mapped: (nullable): the host mapping of the whole buffer, when the
 *   memory is host-visible
 * @coherent: whether the mapping needs no flush or invalidate
 */
typedef struct
{
  QsGpuContext    *context;
  VkBuffer         buffer;
  VkDeviceMemory   memory;
  VkDeviceSize     size;
  QsGpuBufferKind  kind;
  void            *mapped;
  gboolean         coherent;
} QsGpuBuffer;

/**
 * qs_gpu_buffer_new:
 * @size: the size in bytes; rounded up to 4 bytes and at least 4
 *
 * Creates a buffer usable as storage buffer and as copy source and
 * destination.
 *
 * Returns: (transfer full): the buffer, or %NULL with @error set
 *   (%QS_GPU_ERROR_OUT_OF_MEMORY when no memory is left or @size exceeds
 *   the driver's allocation limit)
 */
QsGpuBuffer *qs_gpu_buffer_new        (QsGpuContext     *context,
                                       QsGpuBufferKind   kind,
                                       VkDeviceSize      size,
                                       GError          **error);
void         qs_gpu_buffer_free       (QsGpuBuffer      *self);

/* Makes host writes to a mapped, non-coherent buffer visible to the device. */
void         qs_gpu_buffer_flush      (QsGpuBuffer      *self);
/* Makes device writes to a mapped, non-coherent buffer visible to the host. */
void         qs_gpu_buffer_invalidate (QsGpuBuffer      *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsGpuBuffer, qs_gpu_buffer_free)

G_END_DECLS
