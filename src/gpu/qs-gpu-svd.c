/* qs-gpu-svd.c: the randomized low-rank SVD with its GEMMs on the device
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * torch.svd_lowrank's range finder spends nearly all of its time in the
 * products A·Q and Aᵀ·Q with a thin Q. Those run here on the device, one
 * row block of A at a time. The thin QR and SVD steps take milliseconds,
 * so they run on the host with LAPACK exactly as in qs-svd.c.
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

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

/* The Gaussian start matrix of qs-svd.c: xoshiro256** seeded through
 * splitmix64, Box–Muller in double precision. It must stay identical to
 * that file's fill_gaussian(), so that a seed starts both backends from
 * the same matrix; test-gpu-svd compares the factors of both. */
typedef struct
{
  guint64 s[4];
} Xoshiro256;

static guint64
splitmix64 (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static inline guint64
rotl64 (guint64 x,
        int     k)
{
  return (x << k) | (x >> (64 - k));
}

static guint64
xoshiro_next (Xoshiro256 *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl64 (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl64 (s[3], 45);

  return result;
}

static void
fill_gaussian (float   *out,
               gsize    n,
               guint64  seed)
{
  Xoshiro256 rng;
  guint64 state = seed;

  for (guint i = 0; i < 4; i++)
    rng.s[i] = splitmix64 (&state);

  for (gsize i = 0; i < n; i += 2)
    {
      /* Uniform doubles in (0, 1], so that the logarithm is finite. */
      double u1 = ((xoshiro_next (&rng) >> 11) + 1) * 0x1.0p-53;
      double u2 = ((xoshiro_next (&rng) >> 11) + 1) * 0x1.0p-53;
      double radius = sqrt (-2.0 * log (u1));
      double angle = 2.0 * G_PI * u2;

      out[i] = (float) (radius * cos (angle));
      if (i + 1 < n)
        out[i + 1] = (float) (radius * sin (angle));
    }
}

static gboolean
check_lapack (lapack_int   info,
              const char  *routine,
              GError     **error)
{
  if (info == 0)
    return TRUE;

  if (info < 0)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "LAPACK %s rejected argument %d (the matrix may contain NaN or Inf)",
                 routine, (int) -info);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "LAPACK %s did not converge (info %d)", routine, (int) info);
  return FALSE;
}

/* Replaces the column-major p × k matrix @x by the Q factor of its reduced
 * QR decomposition, on one BLAS thread as qs-svd.c does so that the
 * result does not depend on the thread count. Returns the column count
 * min(p, k), or 0 with @error set. */
static lapack_int
qr_in_place (float       *x,
             lapack_int   p,
             lapack_int   k,
             GError     **error)
{
  lapack_int kk = MIN (p, k);
  g_autofree float *tau = g_new (float, MAX (kk, 1));
  int n_threads = openblas_get_num_threads ();
  lapack_int info;

  openblas_set_num_threads (1);
  info = LAPACKE_sgeqrf (LAPACK_COL_MAJOR, p, k, x, p, tau);
  if (info == 0)
    info = LAPACKE_sorgqr (LAPACK_COL_MAJOR, p, kk, kk, x, p, tau);
  openblas_set_num_threads (n_threads);

  if (!check_lapack (info, "sgeqrf/sorgqr", error))
    return 0;

  return kk;
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
                   "A rank-%u basis of %" G_GINT64_FORMAT " rows exceeds the device's storage "
                   "buffer range of %u bytes", rank, MAX (rows, cols),
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
                lapack_int    k,
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

/* Computes the SVD of the column-major p × k matrix @b (overwritten), on
 * one BLAS thread as qs-svd.c does. */
static gboolean
thin_svd (float       *b,
          lapack_int   p,
          lapack_int   k,
          float       *u,
          float       *s,
          float       *vt,
          GError     **error)
{
  lapack_int r = MIN (p, k);
  int n_threads = openblas_get_num_threads ();
  lapack_int info;

  openblas_set_num_threads (1);
  info = LAPACKE_sgesdd (LAPACK_COL_MAJOR, 'S', p, k, b, p, s, u, p, vt, r);
  openblas_set_num_threads (n_threads);

  return check_lapack (info, "sgesdd", error);
}

/* torch.svd_lowrank's usual branch (m < n or n > q), as lowrank_transposed()
 * in qs-svd.c computes it: the basis is built for Aᵀ. */
static QsLowRank *
lowrank_transposed (Multiplier  *mul,
                    lapack_int   m,
                    lapack_int   n,
                    lapack_int   q,
                    guint        steps,
                    guint64      seed,
                    GError     **error)
{
  g_autofree float *start = g_new (float, (gsize) m * q);
  g_autofree float *basis = g_new (float, (gsize) n * q);
  g_autofree float *range = g_new (float, (gsize) m * q);
  g_autofree float *u = NULL;
  g_autofree float *s = NULL;
  g_autofree float *vt = NULL;
  QsLowRank *lowrank;
  lapack_int k;
  lapack_int r;

  fill_gaussian (start, (gsize) m * q, seed);
  if (!multiplier_run (mul, TRUE, start, q, basis, error))
    return NULL;
  if ((k = qr_in_place (basis, n, q, error)) == 0)
    return NULL;

  for (guint i = 0; i < steps; i++)
    {
      if (g_cancellable_set_error_if_cancelled (mul->cancellable, error))
        return NULL;

      if (!multiplier_run (mul, FALSE, basis, k, range, error))
        return NULL;
      if ((k = qr_in_place (range, m, k, error)) == 0)
        return NULL;
      if (!multiplier_run (mul, TRUE, range, k, basis, error))
        return NULL;
      if ((k = qr_in_place (basis, n, k, error)) == 0)
        return NULL;
    }

  if (g_cancellable_set_error_if_cancelled (mul->cancellable, error))
    return NULL;

  /* B = A·Q is m × k; its SVD U·S·Vh gives A ≈ U·S·(Q·Vhᵀ)ᵀ. */
  if (!multiplier_run (mul, FALSE, basis, k, range, error))
    return NULL;
  r = MIN (m, k);
  u = g_new (float, (gsize) m * r);
  s = g_new (float, r);
  vt = g_new (float, (gsize) r * k);
  if (!thin_svd (range, m, k, u, s, vt, error))
    return NULL;

  lowrank = g_new0 (QsLowRank, 1);
  lowrank->rows = m;
  lowrank->cols = n;
  lowrank->rank = r;
  lowrank->up = g_new (float, (gsize) m * r);
  lowrank->down = g_new (float, (gsize) r * n);

  /* down = Vᵀ = Vh·Qᵀ, r × n row-major, which is Q·Vhᵀ (n × r) in
   * column-major order. */
  cblas_sgemm (CblasColMajor, CblasNoTrans, CblasTrans,
               n, r, k, 1.0f, basis, n, vt, r, 0.0f, lowrank->down, n);

  for (lapack_int i = 0; i < m; i++)
    for (lapack_int j = 0; j < r; j++)
      lowrank->up[(gsize) i * r + j] = u[(gsize) j * m + i] * s[j];

  return lowrank;
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
  if (!(rows < cols || cols > (gint64) rank))
    return qs_lowrank_compute (host, rows, cols, rank, steps, seed, cancellable, error);

  if (rows > G_MAXINT32 || cols > G_MAXINT32)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "A %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT " matrix is too large for LAPACK's 32-bit sizes",
                   rows, cols);
      return NULL;
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  if (!multiplier_init (&mul, blocks, rows, cols, rank, cancellable, error))
    {
      multiplier_clear (&mul);
      return NULL;
    }

  lowrank = lowrank_transposed (&mul, (lapack_int) rows, (lapack_int) cols, (lapack_int) rank,
                                steps, seed, error);
  multiplier_clear (&mul);

  return lowrank;
}
