/* qs-svd.h: the seeded randomized low-rank SVD of SDNQ's SVD branch
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * QsModelDtype:
 * @QS_MODEL_DTYPE_BF16: bfloat16, SDNQ's usual `torch_dtype`
 * @QS_MODEL_DTYPE_F16: float16
 * @QS_MODEL_DTYPE_F32: float32
 *
 * The dtype the model is loaded in: the SVD factors are stored and
 * multiplied in it, and `--load-dtype` may round the weights to it.
 */
typedef enum
{
  QS_MODEL_DTYPE_BF16,
  QS_MODEL_DTYPE_F16,
  QS_MODEL_DTYPE_F32,
} QsModelDtype;

/* Returns PyTorch's name of @dtype: "bfloat16", "float16" or "float32". */
const char *qs_model_dtype_to_string   (QsModelDtype  dtype);
/* Parses a PyTorch name or an alias (bf16, fp16, f16, half, fp32, f32,
 * float), ignoring case. Returns %FALSE for an unknown name. */
gboolean    qs_model_dtype_from_string (const char   *str,
                                        QsModelDtype *dtype);
/* Rounds one value to @dtype (round-to-nearest-even) and widens it back. */
float       qs_model_dtype_round       (QsModelDtype  dtype,
                                        float         value);
/* Rounds @n values in place as qs_model_dtype_round() does, using OpenMP
 * threads for long arrays. */
void        qs_model_dtype_round_array (QsModelDtype  dtype,
                                        float        *values,
                                        gsize         n);
/* Adds @addend to @values in @dtype as PyTorch adds two tensors of that
 * dtype: each value is rounded to @dtype, the fp32 sum is rounded again.
 * @addend must already contain values of @dtype. Runs on the calling thread. */
void        qs_model_dtype_add         (QsModelDtype  dtype,
                                        float        *values,
                                        const float  *addend,
                                        gsize         n);

/**
 * QsLowRank:
 * @rows: O, the rows of the matrix
 * @cols: the columns (in·k... for conv)
 * @rank: the rank actually produced: min(requested, rows, cols), as the
 *   shapes of torch.svd_lowrank's QR steps make it
 * @up: rows × rank, U·diag(S), row-major
 * @down: rank × cols, Vᵀ, row-major
 */
typedef struct
{
  gint64  rows;
  gint64  cols;
  guint   rank;
  float  *up;
  float  *down;
} QsLowRank;

/**
 * qs_lowrank_compute:
 * @a: the matrix, rows × cols, row-major fp32
 * @rank: the requested rank (q of torch.svd_lowrank)
 * @steps: power iterations (niter)
 * @seed: the seed of the Gaussian start matrix
 *
 * Computes torch.svd_lowrank's randomized range finder on @a with a
 * seeded start: Q = qr(Aᵀ·R); @steps times Q = qr(A·Q), Q = qr(Aᵀ·Q);
 * B = A·Q; U, S, Vh = svd(B). GEMMs run on BLAS, QR and SVD on LAPACK,
 * all in fp32 like the reference. The result is the same for a seed
 * whatever the thread count. It is checked for cancellation between steps.
 *
 * Returns: (transfer full): the factors in fp32, or %NULL with @error set
 */
QsLowRank *qs_lowrank_compute     (const float   *a,
                                   gint64         rows,
                                   gint64         cols,
                                   guint          rank,
                                   guint          steps,
                                   guint64        seed,
                                   GCancellable  *cancellable,
                                   GError       **error);

/**
 * QsLowRankMultiply:
 * @transpose: %FALSE for out = A·in, with @in cols × @k and @out rows × @k;
 *   %TRUE for out = Aᵀ·in, with @in rows × @k and @out cols × @k
 * @in: the thin operand, column-major fp32
 * @k: the columns of @in and @out
 * @out: (out): the product, column-major fp32
 * @user_data: the data passed to qs_lowrank_compute_with()
 * @error: return location for an error
 *
 * Multiplies the rows × cols matrix A of a low-rank SVD, which only the
 * callback holds, by a thin matrix.
 *
 * Returns: %FALSE with @error set when the product could not be computed
 */
typedef gboolean (*QsLowRankMultiply) (gboolean      transpose,
                                       const float  *in,
                                       gint          k,
                                       float        *out,
                                       gpointer      user_data,
                                       GError      **error);

/**
 * qs_lowrank_compute_with:
 * @rows: the rows of A
 * @cols: the columns of A
 * @rank: the requested rank (q of torch.svd_lowrank)
 * @steps: power iterations (niter)
 * @seed: the seed of the start matrix (see qs_lowrank_fill_gaussian())
 * @multiply: computes the products by A and Aᵀ
 * @user_data: data for @multiply
 *
 * Computes what qs_lowrank_compute() computes, with every product by A
 * or Aᵀ delegated to @multiply, so that A may live on another device.
 * The start matrix, the QR and SVD steps and the final small products
 * are the same host code, so two callers that multiply identically get
 * identical factors. qs_lowrank_compute() is this function with BLAS
 * products. An error from @multiply is returned as it is.
 *
 * Returns: (transfer full): the factors in fp32, or %NULL with @error set
 */
QsLowRank *qs_lowrank_compute_with (gint64              rows,
                                    gint64              cols,
                                    guint               rank,
                                    guint               steps,
                                    guint64             seed,
                                    QsLowRankMultiply   multiply,
                                    gpointer            user_data,
                                    GCancellable       *cancellable,
                                    GError            **error);

/**
 * qs_lowrank_uses_transposed_basis:
 *
 * Returns whether torch.svd_lowrank (PyTorch 1.13) builds the basis for
 * Aᵀ, as it does when @rows < @cols or @cols > @rank. The other branch
 * builds it for A and has at most @rank columns to work with.
 *
 * Returns: %TRUE for the usual, transposed branch
 */
gboolean   qs_lowrank_uses_transposed_basis (gint64 rows,
                                             gint64 cols,
                                             guint  rank);

/**
 * qs_lowrank_fill_gaussian:
 * @out: (out): @n values
 * @n: the value count
 * @seed: the seed
 *
 * Fills @out with standard normal values, the start matrix of the
 * randomized SVD. The generator is xoshiro256** seeded through
 * splitmix64, with Box–Muller in double precision. Both are fixed
 * algorithms, so a seed gives the same values on every machine and for
 * any thread count.
 */
void       qs_lowrank_fill_gaussian (float   *out,
                                     gsize    n,
                                     guint64  seed);

/* Rounds both factors to @dtype in place, as SDNQ casts them to torch_dtype. */
void       qs_lowrank_round       (QsLowRank     *lowrank,
                                   QsModelDtype   dtype);

/**
 * qs_lowrank_product:
 * @out: (out): rows × cols values of up·down
 *
 * Computes up·down the way a GEMM in @dtype does: fp32 accumulation with
 * the result rounded to @dtype.
 */
void       qs_lowrank_product     (const QsLowRank *lowrank,
                                   QsModelDtype     dtype,
                                   float           *out);
void       qs_lowrank_free        (QsLowRank     *lowrank);

/**
 * qs_lowrank_seed_for_layer:
 * @seed: the run seed
 * @component: (nullable): the component name
 * @layer_name: (nullable): the parameter name
 * @rank: a rank to mix in, or 0 when one seed serves every rank of the
 *   layer, as QsEvalOptions.svd_seed does
 *
 * Derives a layer's start seed from the run seed and the layer's name, so
 * that a layer's SVD does not depend on which other layers were analysed.
 * The hash is FNV-1a and splitmix64, fixed so that seeds stay stable.
 */
guint64    qs_lowrank_seed_for_layer (guint64     seed,
                                      const char *component,
                                      const char *layer_name,
                                      guint       rank);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsLowRank, qs_lowrank_free)

G_END_DECLS
