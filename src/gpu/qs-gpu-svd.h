/* qs-gpu-svd.h: the randomized low-rank SVD with its GEMMs on the device
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "qs-svd.h"
#include "qs-gpu-buffer.h"
#include "qs-gpu-command.h"
#include "qs-gpu-quantize.h"
#include "qs-gpu-row-blocks.h"

G_BEGIN_DECLS

/* Adds the product to C instead of overwriting it. */
#define QS_GPU_GEMM_ACCUMULATE 1u

/**
 * QsGpuGemm:
 * @m: rows of C
 * @n: columns of C
 * @k: the inner dimension
 * @a_offset: the index of A(0, 0) in its buffer, in floats
 * @a_row: the stride between A(i, p) and A(i + 1, p)
 * @a_inner: the stride between A(i, p) and A(i, p + 1)
 * @b_offset: the index of B(0, 0)
 * @b_inner: the stride between B(p, j) and B(p + 1, j)
 * @b_col: the stride between B(p, j) and B(p, j + 1)
 * @c_offset: the index of C(0, 0)
 * @c_row: the stride between C(i, j) and C(i + 1, j)
 * @c_col: the stride between C(i, j) and C(i, j + 1)
 * @flags: %QS_GPU_GEMM_ACCUMULATE or 0
 * @round_mode: a #QsGpuProductRound applied to each result
 *
 * C = A·B in fp32 with arbitrary strides: the push constants of
 * shaders/gemm.comp.
 */
typedef struct
{
  guint32 m;
  guint32 n;
  guint32 k;
  guint32 a_offset;
  guint32 a_row;
  guint32 a_inner;
  guint32 b_offset;
  guint32 b_inner;
  guint32 b_col;
  guint32 c_offset;
  guint32 c_row;
  guint32 c_col;
  guint32 flags;
  guint32 round_mode;
} QsGpuGemm;

gboolean   qs_gpu_record_gemm            (QsGpuCommand     *command,
                                          const QsGpuGemm  *gemm,
                                          QsGpuBuffer      *a,
                                          QsGpuBuffer      *b,
                                          QsGpuBuffer      *c,
                                          GError          **error);

/**
 * qs_gpu_record_lowrank_product:
 * @up: rows × rank factors, row-major, already rounded to the model dtype
 * @down: rank × cols factors, row-major, already rounded
 * @first_row: the first row of the block
 * @n_rows: the rows of the block
 * @out: receives n_rows × cols values of up·down, row-major
 *
 * Records the product of the low-rank factors for one row block, rounded
 * to the model dtype as a GEMM in that dtype returns it.
 */
gboolean   qs_gpu_record_lowrank_product (QsGpuCommand      *command,
                                          QsGpuBuffer       *up,
                                          QsGpuBuffer       *down,
                                          guint              rank,
                                          gint64             first_row,
                                          gint64             n_rows,
                                          gint64             cols,
                                          QsGpuProductRound  round,
                                          QsGpuBuffer       *out,
                                          GError           **error);

/**
 * qs_gpu_lowrank_compute:
 * @blocks: the matrix on the device
 * @host: the same matrix in host memory, rows × cols
 * @rank: the requested rank (q of torch.svd_lowrank)
 * @steps: power iterations
 * @seed: the seed of the Gaussian start matrix
 *
 * Computes what qs_lowrank_compute() computes, with the products by A and
 * Aᵀ on the device and the rest in qs_lowrank_compute_with() on the host.
 * The start matrix is the same for a seed, so the factors agree with the
 * CPU's up to the GEMMs' summation order. The rarely taken branch of
 * torch.svd_lowrank for matrices with at most @rank columns, which
 * are small, runs on the CPU.
 *
 * Returns: (transfer full): the factors, or %NULL with @error set
 */
QsLowRank *qs_gpu_lowrank_compute        (QsGpuRowBlocks   *blocks,
                                          const float      *host,
                                          gint64            rows,
                                          gint64            cols,
                                          guint             rank,
                                          guint             steps,
                                          guint64           seed,
                                          GCancellable     *cancellable,
                                          GError          **error);

G_END_DECLS
