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

/**
 * QsGpuRowBlocks:
 *
 * A row-major fp32 matrix held on the device in blocks of whole rows, so
 * that no buffer exceeds the device's storage buffer range or allocation
 * limit. A resident matrix keeps every block on the device after its
 * first load. A streamed one has two block buffers, and block b always
 * goes to buffer b mod 2. The caller alternates two commands the same way:
 * it records block b into command b mod 2 after waiting for that command.
 * A buffer is therefore rewritten only after the work that read it has
 * finished, and the host copies the next block while the device works on
 * the previous one.
 */
typedef struct _QsGpuRowBlocks QsGpuRowBlocks;

/**
 * qs_gpu_row_blocks_new:
 * @host: (nullable): the matrix in host memory, rows × row_len floats,
 *   which must outlive the blocks; %NULL for blocks that kernels fill
 * @rows_per_block: rows per block (the last block may have fewer)
 * @resident: whether to keep every block on the device
 *
 * Returns: (transfer full): the blocks, or %NULL with @error set
 */
QsGpuRowBlocks *qs_gpu_row_blocks_new        (QsGpuContext    *context,
                                              const float     *host,
                                              gint64           rows,
                                              gint64           row_len,
                                              gint64           rows_per_block,
                                              gboolean         resident,
                                              GError         **error);
void            qs_gpu_row_blocks_free       (QsGpuRowBlocks  *self);

QsGpuContext   *qs_gpu_row_blocks_get_context  (QsGpuRowBlocks *self);
guint           qs_gpu_row_blocks_get_n_blocks (QsGpuRowBlocks *self);
gboolean        qs_gpu_row_blocks_is_resident  (QsGpuRowBlocks *self);

/* Returns the first row and the row count of @block. */
void            qs_gpu_row_blocks_get_range  (QsGpuRowBlocks  *self,
                                              guint            block,
                                              gint64          *first_row,
                                              gint64          *n_rows);

/**
 * qs_gpu_row_blocks_load:
 * @command: a command that is recording
 * @block: the block to load
 *
 * Brings @block onto the device: nothing when it is already there, a
 * host copy when the block buffer is mapped, otherwise a copy through a
 * staging buffer recorded into @command followed by a barrier.
 *
 * Returns: (transfer none): the buffer that holds @block from the start
 *   of the buffer, or %NULL with @error set
 */
struct _QsGpuCommand;
QsGpuBuffer    *qs_gpu_row_blocks_load       (QsGpuRowBlocks        *self,
                                              struct _QsGpuCommand  *command,
                                              guint                  block,
                                              GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsGpuRowBlocks, qs_gpu_row_blocks_free)

G_END_DECLS
