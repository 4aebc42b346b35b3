/* qs-svd.c: the seeded randomized low-rank SVD of SDNQ's SVD branch
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "qs-float.h"
#include "qs-svd.h"

#define PARALLEL_ROUND_MIN 65536

const char *
qs_model_dtype_to_string (QsModelDtype dtype)
{
  switch (dtype)
    {
    case QS_MODEL_DTYPE_BF16:
      return "bfloat16";
    case QS_MODEL_DTYPE_F16:
      return "float16";
    case QS_MODEL_DTYPE_F32:
      return "float32";
    default:
      g_return_val_if_reached (NULL);
    }
}

gboolean
qs_model_dtype_from_string (const char   *str,
                            QsModelDtype *dtype)
{
  static const struct
  {
    const char   *name;
    QsModelDtype  dtype;
  } names[] = {
    { "bfloat16", QS_MODEL_DTYPE_BF16 },
    { "bf16", QS_MODEL_DTYPE_BF16 },
    { "float16", QS_MODEL_DTYPE_F16 },
    { "fp16", QS_MODEL_DTYPE_F16 },
    { "f16", QS_MODEL_DTYPE_F16 },
    { "half", QS_MODEL_DTYPE_F16 },
    { "float32", QS_MODEL_DTYPE_F32 },
    { "fp32", QS_MODEL_DTYPE_F32 },
    { "f32", QS_MODEL_DTYPE_F32 },
    { "float", QS_MODEL_DTYPE_F32 },
  };

  g_return_val_if_fail (str != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      if (g_ascii_strcasecmp (str, names[i].name) == 0)
        {
          if (dtype != NULL)
            *dtype = names[i].dtype;
          return TRUE;
        }
    }

  return FALSE;
}

/* On x86-64 Linux the array kernels are built twice, and the AVX2 copy is
 * picked at load time on CPUs that have it. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__)
# define QS_ROUND_CLONES __attribute__ ((target_clones ("default", "arch=x86-64-v3")))
#else
# define QS_ROUND_CLONES
#endif

/* Rounds to bfloat16 with ties to even. Every non-NaN result equals
 * qs_round_bf16()'s, and a NaN stays a quiet NaN with its payload's high
 * bits, where qs_round_bf16() returns the canonical one. */
static inline float
round_bf16_inline (float value)
{
  guint32 bits;
  guint32 rounded;
  guint32 quiet_nan;

  memcpy (&bits, &value, sizeof bits);
  rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) & 0xffff0000u;
  quiet_nan = (bits | 0x00400000u) & 0xffff0000u;
  bits = (bits & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded;
  memcpy (&value, &bits, sizeof value);

  return value;
}

/* Eight lanes of GCC vector extensions: one AVX2 register, or two SSE2
 * registers in the default build. Plain loops over round_bf16_inline()
 * are not vectorised at -O2. */
typedef float   Float8 __attribute__ ((vector_size (32)));
typedef guint32 Bits8 __attribute__ ((vector_size (32)));

/* Vectors are passed by pointer: passing them by value in a function
 * built without AVX changes the ABI, which GCC warns about. */
static inline __attribute__ ((always_inline)) void
round_bf16_bits8 (Bits8 *bits)
{
  Bits8 rounded = (*bits + 0x7fffu + ((*bits >> 16) & 1u)) & 0xffff0000u;
  Bits8 quiet_nan = (*bits | 0x00400000u) & 0xffff0000u;
  Bits8 is_nan = (Bits8) ((*bits & 0x7fffffffu) > 0x7f800000u);

  *bits = (quiet_nan & is_nan) | (rounded & ~is_nan);
}

QS_ROUND_CLONES static void
round_bf16_array (float *values,
                  gsize  n)
{
  gsize i = 0;

  for (; i + 8 <= n; i += 8)
    {
      Bits8 bits;

      memcpy (&bits, values + i, sizeof bits);
      round_bf16_bits8 (&bits);
      memcpy (values + i, &bits, sizeof bits);
    }

  for (; i < n; i++)
    values[i] = round_bf16_inline (values[i]);
}

QS_ROUND_CLONES static void
add_bf16_array (float       *values,
                const float *addend,
                gsize        n)
{
  gsize i = 0;

  for (; i + 8 <= n; i += 8)
    {
      Bits8 bits;
      Float8 sum;
      Float8 a;

      memcpy (&bits, values + i, sizeof bits);
      memcpy (&a, addend + i, sizeof a);
      round_bf16_bits8 (&bits);
      sum = (Float8) bits + a;
      bits = (Bits8) sum;
      round_bf16_bits8 (&bits);
      memcpy (values + i, &bits, sizeof bits);
    }

  for (; i < n; i++)
    values[i] = round_bf16_inline (round_bf16_inline (values[i]) + addend[i]);
}

float
qs_model_dtype_round (QsModelDtype dtype,
                      float        value)
{
  switch (dtype)
    {
    case QS_MODEL_DTYPE_BF16:
      return round_bf16_inline (value);
    case QS_MODEL_DTYPE_F16:
      return qs_round_f16 (value);
    case QS_MODEL_DTYPE_F32:
      return value;
    default:
      g_return_val_if_reached (value);
    }
}

void
qs_model_dtype_round_array (QsModelDtype  dtype,
                            float        *values,
                            gsize         n)
{
  g_return_if_fail (n == 0 || values != NULL);

  /* Short arrays, such as one quantization group inside a parallel loop,
   * skip the OpenMP runtime entirely. */
  switch (dtype)
    {
    case QS_MODEL_DTYPE_BF16:
      if (n <= PARALLEL_ROUND_MIN)
        {
          round_bf16_array (values, n);
        }
      else
        {
#pragma omp parallel for schedule(static)
          for (gsize c = 0; c < n; c += PARALLEL_ROUND_MIN)
            round_bf16_array (values + c, MIN (PARALLEL_ROUND_MIN, n - c));
        }
      break;

    case QS_MODEL_DTYPE_F16:
      if (n <= PARALLEL_ROUND_MIN)
        {
          for (gsize i = 0; i < n; i++)
            values[i] = qs_round_f16 (values[i]);
        }
      else
        {
#pragma omp parallel for schedule(static)
          for (gsize i = 0; i < n; i++)
            values[i] = qs_round_f16 (values[i]);
        }
      break;

    case QS_MODEL_DTYPE_F32:
      break;

    default:
      g_return_if_reached ();
    }
}

void
qs_model_dtype_add (QsModelDtype  dtype,
                    float        *values,
                    const float  *addend,
                    gsize         n)
{
  g_return_if_fail (n == 0 || (values != NULL && addend != NULL));

  switch (dtype)
    {
    case QS_MODEL_DTYPE_BF16:
      add_bf16_array (values, addend, n);
      break;

    case QS_MODEL_DTYPE_F16:
      for (gsize i = 0; i < n; i++)
        values[i] = qs_round_f16 (qs_round_f16 (values[i]) + addend[i]);
      break;

    case QS_MODEL_DTYPE_F32:
      for (gsize i = 0; i < n; i++)
        values[i] += addend[i];
      break;

    default:
      g_return_if_reached ();
    }
}

/* The Gaussian start matrix comes from xoshiro256** seeded through
 * splitmix64, with Box–Muller in double precision. Both are fixed
 * algorithms, so a seed gives the same matrix on every machine and for any
 * thread count. */
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

static void
xoshiro_init (Xoshiro256 *rng,
              guint64     seed)
{
  guint64 state = seed;

  for (guint i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&state);
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

/* Returns a uniform double in (0, 1], so that its logarithm is finite. */
static double
xoshiro_uniform_open0 (Xoshiro256 *rng)
{
  return ((xoshiro_next (rng) >> 11) + 1) * 0x1.0p-53;
}

void
qs_lowrank_fill_gaussian (float   *out,
                          gsize    n,
                          guint64  seed)
{
  Xoshiro256 rng;

  g_return_if_fail (n == 0 || out != NULL);

  xoshiro_init (&rng, seed);

  for (gsize i = 0; i < n; i += 2)
    {
      double u1 = xoshiro_uniform_open0 (&rng);
      double u2 = xoshiro_uniform_open0 (&rng);
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
                 _("LAPACK %s rejected argument %d (the matrix may contain NaN or Inf)"),
                 routine, (int) -info);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 _("LAPACK %s did not converge (info %d)"), routine, (int) info);
  return FALSE;
}

/* OpenBLAS 0.3.21 threads the level-2 kernels inside LAPACK's QR with a
 * split that changes the summation order, so its Q differs in the last
 * bits between thread counts. The thin QR and SVD steps are cheap next to
 * the GEMMs, so they run on one BLAS thread, which keeps a seed's result
 * the same for any thread count. The GEMMs split only their output and
 * stay threaded. NOTE: the thread count is process-wide in OpenBLAS, so
 * BLAS calls that run concurrently on other threads use one thread while
 * a QR or SVD step runs. */

/* Replaces the column-major p × k matrix @x by the Q factor of its reduced
 * QR decomposition, as torch.linalg.qr(x).Q does: geqrf and orgqr, with
 * min(p, k) columns. Returns that column count, or 0 with @error set. */
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

/* The row-major rows × cols matrix A is, read in column-major order, the
 * cols × rows matrix Aᵀ with leading dimension cols. The BLAS product
 * below multiplies by A or Aᵀ from that single buffer. */
typedef struct
{
  const float *a;
  lapack_int   rows;
  lapack_int   cols;
} HostMatrix;

static gboolean
multiply_host (gboolean      transpose,
               const float  *in,
               gint          k,
               float        *out,
               gpointer      user_data,
               GError      **error)
{
  const HostMatrix *matrix = user_data;

  if (!transpose)
    {
      /* out (rows × k, column-major) = A · in (in: cols × k, column-major). */
      cblas_sgemm (CblasColMajor, CblasTrans, CblasNoTrans,
                   matrix->rows, k, matrix->cols, 1.0f, matrix->a, matrix->cols,
                   in, matrix->cols, 0.0f, out, matrix->rows);
    }
  else
    {
      /* out (cols × k, column-major) = Aᵀ · in (in: rows × k, column-major). */
      cblas_sgemm (CblasColMajor, CblasNoTrans, CblasNoTrans,
                   matrix->cols, k, matrix->rows, 1.0f, matrix->a, matrix->cols,
                   in, matrix->rows, 0.0f, out, matrix->cols);
    }

  return TRUE;
}

/* Computes the SVD of the column-major p × k matrix @b (overwritten):
 * u is p × r, s has r values and vt is r × k, r = min(p, k). */
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

static QsLowRank *
lowrank_new (gint64 rows,
             gint64 cols,
             guint  rank)
{
  QsLowRank *lowrank = g_new0 (QsLowRank, 1);

  lowrank->rows = rows;
  lowrank->cols = cols;
  lowrank->rank = rank;
  lowrank->up = g_new (float, (gsize) rows * rank);
  lowrank->down = g_new (float, (gsize) rank * cols);

  return lowrank;
}

/* torch.svd_lowrank's branch for m < n or n > q, the usual one: the basis
 * is built for Aᵀ, so the start matrix has one row per row of A. */
static QsLowRank *
lowrank_transposed (lapack_int          m,
                    lapack_int          n,
                    lapack_int          q,
                    guint               steps,
                    guint64             seed,
                    QsLowRankMultiply   multiply,
                    gpointer            user_data,
                    GCancellable       *cancellable,
                    GError            **error)
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

  qs_lowrank_fill_gaussian (start, (gsize) m * q, seed);
  if (!multiply (TRUE, start, q, basis, user_data, error))
    return NULL;
  if ((k = qr_in_place (basis, n, q, error)) == 0)
    return NULL;

  for (guint i = 0; i < steps; i++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;

      if (!multiply (FALSE, basis, k, range, user_data, error))
        return NULL;
      if ((k = qr_in_place (range, m, k, error)) == 0)
        return NULL;
      if (!multiply (TRUE, range, k, basis, user_data, error))
        return NULL;
      if ((k = qr_in_place (basis, n, k, error)) == 0)
        return NULL;
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  /* B = A·Q is m × k; its SVD U·S·Vh gives A ≈ U·S·(Q·Vhᵀ)ᵀ. */
  if (!multiply (FALSE, basis, k, range, user_data, error))
    return NULL;
  r = MIN (m, k);
  u = g_new (float, (gsize) m * r);
  s = g_new (float, r);
  vt = g_new (float, (gsize) r * k);
  if (!thin_svd (range, m, k, u, s, vt, error))
    return NULL;

  lowrank = lowrank_new (m, n, r);

  /* down = Vᵀ = Vh·Qᵀ, r × n row-major, which is Q·Vhᵀ (n × r) in
   * column-major order. */
  cblas_sgemm (CblasColMajor, CblasNoTrans, CblasTrans,
               n, r, k, 1.0f, basis, n, vt, r, 0.0f, lowrank->down, n);

  for (lapack_int i = 0; i < m; i++)
    for (lapack_int j = 0; j < r; j++)
      lowrank->up[(gsize) i * r + j] = u[(gsize) j * m + i] * s[j];

  return lowrank;
}

/* torch.svd_lowrank's other branch, taken when m ≥ n and n ≤ q: the basis
 * is built for A itself, and the SVD of Qᵀ·A has at most n values. */
static QsLowRank *
lowrank_direct (lapack_int          m,
                lapack_int          n,
                lapack_int          q,
                guint               steps,
                guint64             seed,
                QsLowRankMultiply   multiply,
                gpointer            user_data,
                GCancellable       *cancellable,
                GError            **error)
{
  g_autofree float *start = g_new (float, (gsize) n * q);
  g_autofree float *basis = g_new (float, (gsize) m * q);
  g_autofree float *cobasis = g_new (float, (gsize) n * q);
  g_autofree float *bt = NULL;
  g_autofree float *u = NULL;
  g_autofree float *s = NULL;
  g_autofree float *vt = NULL;
  QsLowRank *lowrank;
  lapack_int k;
  lapack_int r;

  qs_lowrank_fill_gaussian (start, (gsize) n * q, seed);
  if (!multiply (FALSE, start, q, basis, user_data, error))
    return NULL;
  if ((k = qr_in_place (basis, m, q, error)) == 0)
    return NULL;

  for (guint i = 0; i < steps; i++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;

      if (!multiply (TRUE, basis, k, cobasis, user_data, error))
        return NULL;
      if ((k = qr_in_place (cobasis, n, k, error)) == 0)
        return NULL;
      if (!multiply (FALSE, cobasis, k, basis, user_data, error))
        return NULL;
      if ((k = qr_in_place (basis, m, k, error)) == 0)
        return NULL;
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  /* Bᵀ = Qᵀ·A is k × n; torch takes its SVD U·S·Vh and uses Q·U. */
  if (!multiply (TRUE, basis, k, cobasis, user_data, error))
    return NULL;
  bt = g_new (float, (gsize) k * n);
  for (lapack_int i = 0; i < n; i++)
    for (lapack_int j = 0; j < k; j++)
      bt[(gsize) i * k + j] = cobasis[(gsize) j * n + i];

  r = MIN (k, n);
  u = g_new (float, (gsize) k * r);
  s = g_new (float, r);
  vt = g_new (float, (gsize) r * n);
  if (!thin_svd (bt, k, n, u, s, vt, error))
    return NULL;

  lowrank = lowrank_new (m, n, r);

  /* up = Q·U·diag(S): scale U's columns first, then one GEMM into the
   * row-major m × r result, which is (Q·U·S)ᵀ in column-major order. */
  for (lapack_int j = 0; j < r; j++)
    for (lapack_int i = 0; i < k; i++)
      u[(gsize) j * k + i] *= s[j];
  cblas_sgemm (CblasColMajor, CblasTrans, CblasTrans,
               r, m, k, 1.0f, u, k, basis, m, 0.0f, lowrank->up, r);

  /* down = Vh, r × n: column-major r × n becomes row-major. */
  for (lapack_int i = 0; i < r; i++)
    for (lapack_int j = 0; j < n; j++)
      lowrank->down[(gsize) i * n + j] = vt[(gsize) j * r + i];

  return lowrank;
}

gboolean
qs_lowrank_uses_transposed_basis (gint64 rows,
                                  gint64 cols,
                                  guint  rank)
{
  /* torch.svd_lowrank (PyTorch 1.13) works on Aᵀ when m < n or n > q. */
  return rows < cols || cols > (gint64) rank;
}

QsLowRank *
qs_lowrank_compute_with (gint64              rows,
                         gint64              cols,
                         guint               rank,
                         guint               steps,
                         guint64             seed,
                         QsLowRankMultiply   multiply,
                         gpointer            user_data,
                         GCancellable       *cancellable,
                         GError            **error)
{
  g_return_val_if_fail (rows > 0 && cols > 0, NULL);
  g_return_val_if_fail (rank > 0, NULL);
  g_return_val_if_fail (multiply != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (rows > G_MAXINT32 || cols > G_MAXINT32 || rank > G_MAXINT32)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("A %lld × %lld matrix is too large for LAPACK's 32-bit sizes"),
                   (long long) rows, (long long) cols);
      return NULL;
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  /* Both branches give min(q, m, n) factors because every reduced QR
   * keeps at most as many columns as the matrix has rows.
   * NOTE: PyTorch 1.13 asserts that B has q columns, so with power steps
   * it raises when min(m, n) < q, and SDNQ then drops the SVD for that
   * layer. Later PyTorch releases removed the assertion and return the
   * min(q, m, n) factors computed here. */
  if (qs_lowrank_uses_transposed_basis (rows, cols, rank))
    return lowrank_transposed (rows, cols, rank, steps, seed, multiply, user_data,
                               cancellable, error);
  else
    return lowrank_direct (rows, cols, rank, steps, seed, multiply, user_data,
                           cancellable, error);
}

QsLowRank *
qs_lowrank_compute (const float   *a,
                    gint64         rows,
                    gint64         cols,
                    guint          rank,
                    guint          steps,
                    guint64        seed,
                    GCancellable  *cancellable,
                    GError       **error)
{
  HostMatrix matrix;

  g_return_val_if_fail (a != NULL, NULL);
  g_return_val_if_fail (rows > 0 && cols > 0, NULL);
  g_return_val_if_fail (rank > 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* qs_lowrank_compute_with() rejects sizes beyond LAPACK's 32-bit
   * integers before the first product. */
  matrix.a = a;
  matrix.rows = (lapack_int) MIN (rows, G_MAXINT32);
  matrix.cols = (lapack_int) MIN (cols, G_MAXINT32);

  return qs_lowrank_compute_with (rows, cols, rank, steps, seed, multiply_host, &matrix,
                                  cancellable, error);
}

void
qs_lowrank_round (QsLowRank    *lowrank,
                  QsModelDtype  dtype)
{
  g_return_if_fail (lowrank != NULL);

  qs_model_dtype_round_array (dtype, lowrank->up, (gsize) lowrank->rows * lowrank->rank);
  qs_model_dtype_round_array (dtype, lowrank->down, (gsize) lowrank->rank * lowrank->cols);
}

void
qs_lowrank_product (const QsLowRank *lowrank,
                    QsModelDtype     dtype,
                    float           *out)
{
  g_return_if_fail (lowrank != NULL);
  g_return_if_fail (out != NULL);

  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
               lowrank->rows, lowrank->cols, lowrank->rank,
               1.0f, lowrank->up, lowrank->rank, lowrank->down, lowrank->cols,
               0.0f, out, lowrank->cols);
  qs_model_dtype_round_array (dtype, out, (gsize) lowrank->rows * lowrank->cols);
}

void
qs_lowrank_free (QsLowRank *lowrank)
{
  if (lowrank == NULL)
    return;

  g_free (lowrank->up);
  g_free (lowrank->down);
  g_free (lowrank);
}

/* FNV-1a over the bytes of @str, including its terminating NUL so that
 * ("ab", "c") and ("a", "bc") hash differently. */
static guint64
hash_string (guint64     hash,
             const char *str)
{
  const guchar *p = (const guchar *) (str != NULL ? str : "");

  do
    {
      hash ^= *p;
      hash *= G_GUINT64_CONSTANT (0x100000001b3);
    }
  while (*p++ != '\0');

  return hash;
}

guint64
qs_lowrank_seed_for_layer (guint64     seed,
                           const char *component,
                           const char *layer_name,
                           guint       rank)
{
  guint64 state = seed;
  guint64 hash = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  hash ^= splitmix64 (&state);
  hash = hash_string (hash, component);
  hash = hash_string (hash, layer_name);
  hash ^= rank;
  state = hash;

  return splitmix64 (&state);
}
