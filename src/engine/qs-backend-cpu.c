/* qs-backend-cpu.c: the CPU backend, OpenMP over row blocks and BLAS for the SVD
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <math.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

#include "qs-backend.h"

/* A row block contains about this many values (128 KiB of fp32), so that it
 * stays in the L2 cache while every format reads it. */
#define BLOCK_TARGET_VALUES 32768

struct _QsCpuBackend
{
  GObject parent_instance;

  guint n_threads;
};

enum
{
  PROP_0,
  PROP_N_THREADS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void qs_cpu_backend_iface_init (QsBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (QsCpuBackend, qs_cpu_backend, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (QS_TYPE_BACKEND,
                                                      qs_cpu_backend_iface_init))

/* One format of a pass: its dtype, its resolved layout, and the index of
 * its result. A tensor-wise layout describes the whole tensor as one
 * row, which the row blocks of the fused pass cannot split. */
typedef struct
{
  const QsDtype *dtype;
  QsGroupLayout  layout;
  guint          result_index;
  gboolean       tensor_wise;
} PassFormat;

/* What every pass over one layer shares. */
typedef struct
{
  const float            *original;
  const QsReferenceStats *reference;
  QsLayerKind             kind;
  gint64                  rows;
  gint64                  channels;
  gint64                  spatial;
  gsize                   numel;
  QsModelDtype            model_dtype;
  int                     n_threads;
  GCancellable           *cancellable;
} LayerContext;

static void
set_failed (QsFormatResult *result,
            char           *message)
{
  qs_metrics_set_failed (&result->metrics);
  result->resolved_group_size = -1;
  result->svd_rank = 0;
  result->n_degenerate_groups = 0;
  result->failed = TRUE;
  g_free (result->error_message);
  result->error_message = message;
}

/* Gathers the strided conv group w[o, c0 + j, s], j < n, from the row
 * that starts at @row. */
static inline void
gather_group (const float *row,
              gint64       first_channel,
              gint64       n,
              gint64       spatial,
              gint64       s,
              float       *out)
{
  const float *p = row + first_channel * spatial + s;

  for (gint64 j = 0; j < n; j++)
    out[j] = p[j * spatial];
}

/* Adds the low-rank product to dequantized values. Linear and Embedding
 * layers follow the analysis script's `deq.to(model_dtype) + up @ down`,
 * an add in the model dtype, so both the residual and the sum are
 * rounded. Conv layers add the product in fp32. */
static inline void
add_product (const LayerContext *ctx,
             float              *values,
             const float        *product,
             gsize               n)
{
  if (ctx->kind == QS_LAYER_CONV)
    {
      for (gsize j = 0; j < n; j++)
        values[j] += product[j];
    }
  else
    {
      qs_model_dtype_add (ctx->model_dtype, values, product, n);
    }
}

/* Evaluates every format of a pass on the rows [row_begin, row_end) of
 * @source, which is the weight or its SVD residual, and adds the error
 * against the original weight to @sums and @degenerate (one per format). */
static void
evaluate_block (const LayerContext *ctx,
                const float        *source,
                const float        *product,
                const PassFormat   *formats,
                guint               n_formats,
                gint64              row_begin,
                gint64              row_end,
                float              *scratch,
                QsErrorSums        *sums,
                guint64            *degenerate)
{
  gint64 row_len = ctx->channels * ctx->spatial;
  float *x = scratch;
  float *orig = scratch + ctx->channels;
  float *prod = scratch + 2 * ctx->channels;
  float *out = scratch + 3 * ctx->channels;

  for (guint f = 0; f < n_formats; f++)
    {
      const QsDtype *dtype = formats[f].dtype;
      gint64 gs = formats[f].layout.group_size;
      gint64 n_groups = formats[f].layout.n_groups;

      for (gint64 o = row_begin; o < row_end; o++)
        {
          gsize offset = (gsize) o * row_len;

          /* Linear and Embedding groups are contiguous slices of a row. */
          if (ctx->spatial == 1)
            {
              for (gint64 g = 0; g < n_groups; g++)
                {
                  gsize start = offset + (gsize) (g * gs);

                  if (qs_fake_quantize_group (dtype, source + start, gs, out))
                    degenerate[f]++;
                  if (product != NULL)
                    add_product (ctx, out, product + start, gs);
                  qs_error_sums_add (&sums[f], ctx->original + start, out, gs);
                }
              continue;
            }

          /* Conv groups run along the input channels at a fixed kernel
           * position, a stride of `spatial` apart. */
          for (gint64 g = 0; g < n_groups; g++)
            for (gint64 s = 0; s < ctx->spatial; s++)
              {
                const float *reference = x;

                gather_group (source + offset, g * gs, gs, ctx->spatial, s, x);
                if (qs_fake_quantize_group (dtype, x, gs, out))
                  degenerate[f]++;
                if (product != NULL)
                  {
                    gather_group (product + offset, g * gs, gs, ctx->spatial, s, prod);
                    add_product (ctx, out, prod, gs);
                  }
                if (source != ctx->original)
                  {
                    gather_group (ctx->original + offset, g * gs, gs, ctx->spatial, s, orig);
                    reference = orig;
                  }
                qs_error_sums_add (&sums[f], reference, out, gs);
              }
        }
    }
}

static void
store_metrics (const LayerContext *ctx,
               QsFormatResult     *result,
               const QsErrorSums  *sums,
               guint64             n_degenerate)
{
  qs_metrics_from_sums (&result->metrics, sums, ctx->reference);
  result->n_degenerate_groups = n_degenerate;
  result->failed = FALSE;
}

/* Runs every format of @formats over the layer in one parallel pass: each
 * row block is read once for all formats while it is in cache. The sums
 * of each block are kept apart and merged in block order, so the result
 * does not depend on the number of threads. */
static gboolean
run_fused_pass (const LayerContext *ctx,
                const float        *source,
                const float        *product,
                const PassFormat   *formats,
                guint               n_formats,
                QsFormatResult     *results,
                GError            **error)
{
  gint64 row_len = ctx->channels * ctx->spatial;
  gint64 rows_per_block = MAX (1, BLOCK_TARGET_VALUES / row_len);
  gint64 n_blocks = (ctx->rows + rows_per_block - 1) / rows_per_block;
  g_autofree QsErrorSums *block_sums = NULL;
  g_autofree guint64 *block_degenerate = NULL;
  int cancelled = 0;

  if (n_formats == 0)
    return TRUE;

  block_sums = g_new0 (QsErrorSums, (gsize) n_blocks * n_formats);
  block_degenerate = g_new0 (guint64, (gsize) n_blocks * n_formats);

#pragma omp parallel num_threads(ctx->n_threads)
  {
    float *scratch = g_new (float, 4 * ctx->channels);

#pragma omp for schedule(dynamic, 1)
    for (gint64 b = 0; b < n_blocks; b++)
      {
        gint64 row_begin = b * rows_per_block;
        gint64 row_end = MIN (ctx->rows, row_begin + rows_per_block);

        if (g_atomic_int_get (&cancelled))
          continue;
        if (g_cancellable_is_cancelled (ctx->cancellable))
          {
            g_atomic_int_set (&cancelled, 1);
            continue;
          }

        evaluate_block (ctx, source, product, formats, n_formats, row_begin, row_end,
                        scratch, &block_sums[b * n_formats], &block_degenerate[b * n_formats]);
      }

    g_free (scratch);
  }

  if (cancelled)
    {
      g_cancellable_set_error_if_cancelled (ctx->cancellable, error);
      return FALSE;
    }

  for (guint f = 0; f < n_formats; f++)
    {
      QsErrorSums total;
      guint64 n_degenerate = 0;

      qs_error_sums_clear (&total);
      for (gint64 b = 0; b < n_blocks; b++)
        {
          qs_error_sums_merge (&total, &block_sums[b * n_formats + f]);
          n_degenerate += block_degenerate[b * n_formats + f];
        }
      store_metrics (ctx, &results[formats[f].result_index], &total, n_degenerate);
    }

  return TRUE;
}

/* Evaluates one format through SDNQ's whole storage path: quantize the
 * layer, pack the codes, unpack them and dequantize. This is needed for
 * dtypes whose codes change in packing (uint9 to uint15), whose numbers
 * are SDNQ's only after the round trip. Tensor-wise formats take this
 * path too, because their single group spans every row block. */
static gboolean
run_round_trip (const LayerContext *ctx,
                const float        *source,
                const float        *product,
                const PassFormat   *format,
                QsFormatResult     *results,
                GError            **error)
{
  QsFormatResult *result = &results[format->result_index];
  g_autoptr(QsQuantizedLayer) quantized = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree guint8 *packed = NULL;
  g_autofree float *reconstruction = NULL;
  QsErrorSums sums;
  gsize packed_size;

  if (g_cancellable_set_error_if_cancelled (ctx->cancellable, error))
    return FALSE;

  quantized = qs_quantize_layer (format->dtype, &format->layout, source);
  packed_size = qs_packed_size (format->dtype, ctx->numel);
  packed = g_malloc (MAX (packed_size, 1));

  if (!qs_pack_codes (format->dtype, quantized->codes, ctx->numel, packed, &local_error) ||
      !qs_unpack_codes (format->dtype, packed, ctx->numel, quantized->codes, &local_error))
    {
      set_failed (result, g_strdup (local_error->message));
      return TRUE;
    }
  g_clear_pointer (&packed, g_free);

  reconstruction = g_new (float, ctx->numel);
  qs_dequantize_layer (quantized, reconstruction);
  if (product != NULL)
    add_product (ctx, reconstruction, product, ctx->numel);

  qs_error_sums_clear (&sums);
  qs_error_sums_add (&sums, ctx->original, reconstruction, ctx->numel);
  store_metrics (ctx, result, &sums, quantized->n_degenerate_groups);

  return TRUE;
}

/* Evaluates @formats on @source: the fused pass for most formats, and the
 * storage round trip for tensor-wise formats and the dtypes that need it. */
static gboolean
evaluate_formats (const LayerContext *ctx,
                  const float        *source,
                  const float        *product,
                  GArray             *formats,
                  QsFormatResult     *results,
                  GError            **error)
{
  g_autoptr(GArray) fused = g_array_new (FALSE, FALSE, sizeof (PassFormat));

  for (guint i = 0; i < formats->len; i++)
    {
      const PassFormat *format = &g_array_index (formats, PassFormat, i);

      if (!format->tensor_wise && !qs_dtype_needs_pack_round_trip (format->dtype))
        g_array_append_val (fused, *format);
    }

  if (!run_fused_pass (ctx, source, product, (const PassFormat *) (gpointer) fused->data,
                       fused->len, results, error))
    return FALSE;

  for (guint i = 0; i < formats->len; i++)
    {
      const PassFormat *format = &g_array_index (formats, PassFormat, i);

      if ((format->tensor_wise || qs_dtype_needs_pack_round_trip (format->dtype)) &&
          !run_round_trip (ctx, source, product, format, results, error))
        return FALSE;
    }

  return TRUE;
}

/* Fills in a format's layout, or marks its result failed when SDNQ could
 * not store it. Returns whether the format can be evaluated. */
static gboolean
prepare_format (const LayerContext   *ctx,
                const QsLayerWeights *layer,
                const QsFormat       *format,
                guint                 index,
                gboolean              svd_active,
                QsFormatResult       *result,
                PassFormat           *pass_format)
{
  gint64 resolved;

  /* SDNQ packs the flattened codes in blocks and raises when the element
   * count is not a multiple of the block. */
  if (qs_packed_size (format->dtype, ctx->numel) == 0)
    {
      set_failed (result,
                  g_strdup_printf (_("SDNQ cannot pack %llu elements as %s: the count is "
                                     "not a multiple of its %u-element block"),
                                   (unsigned long long) ctx->numel, format->dtype->name,
                                   format->dtype->pack_block));
      return FALSE;
    }

  resolved = qs_resolve_group_size (format->dtype, ctx->kind, ctx->channels,
                                    format->requested_group_size, svd_active);

  pass_format->dtype = format->dtype;
  pass_format->result_index = index;
  pass_format->tensor_wise = resolved == -2;
  qs_group_layout_init (&pass_format->layout, layer->shape, layer->ndim, resolved);

  result->resolved_group_size = resolved;
  return TRUE;
}

/* Evaluates every SVD format of one rank: the low-rank factors are
 * computed once and shared by all dtypes and group sizes of that rank. */
static gboolean
evaluate_svd_rank (const LayerContext   *ctx,
                   const QsLayerWeights *layer,
                   const QsFormat       *formats,
                   guint                 n_formats,
                   guint                 rank,
                   const QsEvalOptions  *options,
                   float                *product,
                   float                *residual,
                   QsFormatResult       *results,
                   GError              **error)
{
  g_autoptr(QsLowRank) lowrank = NULL;
  g_autoptr(GError) svd_error = NULL;
  g_autoptr(GArray) pass_formats = g_array_new (FALSE, FALSE, sizeof (PassFormat));

  /* Formats that cannot be packed fail before any SVD work, and the SVD
   * is skipped when no format is left. */
  for (guint i = 0; i < n_formats; i++)
    {
      PassFormat pass_format;

      if (formats[i].svd_rank == rank &&
          prepare_format (ctx, layer, &formats[i], i, TRUE, &results[i], &pass_format))
        g_array_append_val (pass_formats, pass_format);
    }

  if (pass_formats->len == 0)
    return TRUE;

  lowrank = qs_lowrank_compute (ctx->original, ctx->rows, ctx->channels * ctx->spatial,
                                rank, options->svd_steps, options->svd_seed,
                                ctx->cancellable, &svd_error);
  if (lowrank == NULL)
    {
      if (g_error_matches (svd_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&svd_error));
          return FALSE;
        }

      /* SDNQ drops the low-rank branch when torch.svd_lowrank raises, and
       * the analysis script records such a format as failed. */
      for (guint i = 0; i < pass_formats->len; i++)
        set_failed (&results[g_array_index (pass_formats, PassFormat, i).result_index],
                    g_strdup_printf ("The rank-%u SVD failed: %s", rank, svd_error->message));
      return TRUE;
    }

  if (g_cancellable_set_error_if_cancelled (ctx->cancellable, error))
    return FALSE;

  for (guint i = 0; i < pass_formats->len; i++)
    results[g_array_index (pass_formats, PassFormat, i).result_index].svd_rank = lowrank->rank;

  qs_lowrank_round (lowrank, ctx->model_dtype);
  qs_lowrank_product (lowrank, ctx->model_dtype, product);

#pragma omp parallel for schedule(static) num_threads(ctx->n_threads)
  for (gsize i = 0; i < ctx->numel; i++)
    residual[i] = ctx->original[i] - product[i];

  return evaluate_formats (ctx, residual, product, pass_formats, results, error);
}

static gboolean
evaluate_layer (int                   n_threads,
                const QsLayerWeights *layer,
                const QsFormat       *formats,
                guint                 n_formats,
                const QsEvalOptions  *options,
                QsFormatResult       *results,
                GCancellable         *cancellable,
                GError              **error)
{
  LayerContext ctx;
  QsReferenceStats reference;
  g_autoptr(GArray) raw_formats = g_array_new (FALSE, FALSE, sizeof (PassFormat));
  g_autoptr(GArray) ranks = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree float *product = NULL;
  g_autofree float *residual = NULL;

  for (guint i = 0; i < n_formats; i++)
    memset (&results[i], 0, sizeof results[i]);

  ctx.original = layer->data;
  ctx.reference = &reference;
  ctx.kind = layer->kind;
  ctx.rows = layer->shape[0];
  ctx.channels = layer->shape[1];
  ctx.spatial = 1;
  for (guint d = 2; d < layer->ndim; d++)
    ctx.spatial *= layer->shape[d];
  ctx.numel = layer->numel;
  ctx.model_dtype = options->model_dtype;
  ctx.n_threads = n_threads;
  ctx.cancellable = cancellable;

  qs_reference_stats_compute (&reference, layer->data, layer->numel);

  /* Raw formats first, then one low-rank decomposition per distinct rank
   * in the order the ranks first appear. */
  for (guint i = 0; i < n_formats; i++)
    {
      PassFormat pass_format;
      gboolean known = FALSE;

      if (formats[i].svd_rank > 0)
        {
          for (guint r = 0; r < ranks->len; r++)
            known |= g_array_index (ranks, guint, r) == formats[i].svd_rank;
          if (!known)
            g_array_append_val (ranks, formats[i].svd_rank);
          continue;
        }

      if (prepare_format (&ctx, layer, &formats[i], i, FALSE, &results[i], &pass_format))
        g_array_append_val (raw_formats, pass_format);
    }

  if (!evaluate_formats (&ctx, layer->data, NULL, raw_formats, results, error))
    return FALSE;

  if (ranks->len > 0)
    {
      product = g_new (float, layer->numel);
      residual = g_new (float, layer->numel);
    }

  for (guint r = 0; r < ranks->len; r++)
    {
      guint rank = g_array_index (ranks, guint, r);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      if (!evaluate_svd_rank (&ctx, layer, formats, n_formats, rank, options,
                              product, residual, results, error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
qs_cpu_backend_evaluate_layer (QsBackend            *backend,
                               const QsLayerWeights *layer,
                               const QsFormat       *formats,
                               guint                 n_formats,
                               const QsEvalOptions  *options,
                               QsFormatResult       *results,
                               GCancellable         *cancellable,
                               GError              **error)
{
  QsCpuBackend *self = QS_CPU_BACKEND (backend);
  int saved_omp_threads;
  int saved_blas_threads;
  int n_threads;
  gboolean ret;

  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);

  if (!qs_layer_weights_validate (layer, error))
    return FALSE;

  for (guint i = 0; i < n_formats; i++)
    g_return_val_if_fail (formats[i].dtype != NULL, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  /* The thread count applies to the OpenMP regions started from this
   * thread, including those inside the metrics and rounding helpers, and
   * to the BLAS calls of the SVD. */
  saved_omp_threads = omp_get_max_threads ();
  saved_blas_threads = openblas_get_num_threads ();
  n_threads = self->n_threads > 0 ? (int) self->n_threads : saved_omp_threads;
  omp_set_num_threads (n_threads);
  openblas_set_num_threads (n_threads);

  ret = evaluate_layer (n_threads, layer, formats, n_formats, options, results,
                        cancellable, error);

  openblas_set_num_threads (saved_blas_threads);
  omp_set_num_threads (saved_omp_threads);

  return ret;
}

static const char *
qs_cpu_backend_get_name (QsBackend *backend)
{
  return "CPU";
}

static void
qs_cpu_backend_iface_init (QsBackendInterface *iface)
{
  iface->get_name = qs_cpu_backend_get_name;
  iface->evaluate_layer = qs_cpu_backend_evaluate_layer;
}

static void
qs_cpu_backend_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  QsCpuBackend *self = QS_CPU_BACKEND (object);

  switch (prop_id)
    {
    case PROP_N_THREADS:
      g_value_set_uint (value, self->n_threads);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qs_cpu_backend_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  QsCpuBackend *self = QS_CPU_BACKEND (object);

  switch (prop_id)
    {
    case PROP_N_THREADS:
      self->n_threads = g_value_get_uint (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qs_cpu_backend_class_init (QsCpuBackendClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = qs_cpu_backend_get_property;
  object_class->set_property = qs_cpu_backend_set_property;

  /**
   * QsCpuBackend:n-threads:
   *
   * The worker threads of the OpenMP regions and of BLAS, 0 for every core.
   */
  properties[PROP_N_THREADS] =
    g_param_spec_uint ("n-threads", NULL, NULL,
                       0, G_MAXINT, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                       G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qs_cpu_backend_init (QsCpuBackend *self)
{
}

QsBackend *
qs_cpu_backend_new (guint n_threads)
{
  return g_object_new (QS_TYPE_CPU_BACKEND,
                       "n-threads", n_threads,
                       NULL);
}
