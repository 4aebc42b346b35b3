/* qs-gpu-row-blocks.h: a weight matrix on the device in blocks of rows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "qs-gpu-buffer.h"
#include "qs-gpu-command.h"
#include "qs-gpu-context.h"
#include "qs-gpu-quantize.h"

G_BEGIN_DECLS

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

/**
 * qs_gpu_row_blocks_new_stored:
 * @stored: the matrix as the file stores it, rows × row_len little-endian
 *   values of @format at any alignment, which must outlive the blocks
 * @format: the stored format
 *
 * Creates blocks like qs_gpu_row_blocks_new() whose loads upload the
 * stored bytes and widen them to fp32 on the device (shaders/decode.comp).
 * For BF16 and F16 that halves the bytes copied to the device. Widening
 * is exact, so the blocks hold the values that the CPU decoder returns.
 *
 * Returns: (transfer full): the blocks, or %NULL with @error set
 */
QsGpuRowBlocks *qs_gpu_row_blocks_new_stored (QsGpuContext       *context,
                                              const guint8       *stored,
                                              QsGpuDecodeFormat   format,
                                              gint64              rows,
                                              gint64              row_len,
                                              gint64              rows_per_block,
                                              gboolean            resident,
                                              GError            **error);
void            qs_gpu_row_blocks_free       (QsGpuRowBlocks  *self);

QsGpuContext   *qs_gpu_row_blocks_get_context  (QsGpuRowBlocks *self);
guint           qs_gpu_row_blocks_get_n_blocks (QsGpuRowBlocks *self);
gboolean        qs_gpu_row_blocks_is_resident  (QsGpuRowBlocks *self);
/* Returns whether loads widen stored values on the device. */
gboolean        qs_gpu_row_blocks_is_stored    (QsGpuRowBlocks *self);

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
 * staging buffer recorded into @command followed by a barrier. Stored
 * blocks always record the upload of the stored bytes and the decode
 * kernel, followed by a barrier.
 *
 * Returns: (transfer none): the buffer that holds @block from the start
 *   of the buffer, or %NULL with @error set
 */
QsGpuBuffer    *qs_gpu_row_blocks_load       (QsGpuRowBlocks  *self,
                                              QsGpuCommand    *command,
                                              guint            block,
                                              GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsGpuRowBlocks, qs_gpu_row_blocks_free)

G_END_DECLS
