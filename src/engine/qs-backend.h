/* qs-backend.h: the interface that evaluates quantization formats on a layer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "qs-dtype.h"
#include "qs-metrics.h"
#include "qs-quant.h"
#include "qs-safetensors.h"
#include "qs-svd.h"

G_BEGIN_DECLS

#define QS_MAX_DIMS 8

/**
 * QsFormat:
 * @dtype: the weight dtype
 * @requested_group_size: 0 for automatic, -1 for row-wise, or a size
 * @svd_rank: the rank of the low-rank branch, or 0 for a raw format
 *
 * One candidate quantization of a layer.
 */
typedef struct
{
  const QsDtype *dtype;
  gint64         requested_group_size;
  guint          svd_rank;
} QsFormat;

/**
 * QsFormatResult:
 * @metrics: the error metrics against the original weight
 * @resolved_group_size: the group size SDNQ would use, -1 for row-wise;
 *   -1 as well when the format failed, as the script writes it
 * @svd_rank: the rank the SVD produced (it may be smaller than requested
 *   for a thin layer), or 0
 * @n_degenerate_groups: groups whose values were all equal (scale 0)
 * @failed: whether quantization failed, e.g. because SDNQ cannot pack
 *   an element count that is not a multiple of the packing block
 * @error_message: (nullable): why it failed
 */
typedef struct
{
  QsMetrics  metrics;
  gint64     resolved_group_size;
  guint      svd_rank;
  guint64    n_degenerate_groups;
  gboolean   failed;
  char      *error_message;
} QsFormatResult;

void qs_format_result_clear (QsFormatResult *result);

/**
 * QsLayerWeights:
 * @data: the fp32 weight in its original row-major order (after any
 *   load-dtype rounding); the original that metrics compare against
 * @kind: Linear, Conv or Embedding
 * @ndim: 2 to 5
 * @shape: the dimensions
 * @numel: the element count
 * @name: the parameter name, for messages
 * @stored_data: (nullable): the tensor's bytes as the file stores them,
 *   little-endian and at any alignment, when they widen exactly to @data;
 *   %NULL when they are not available or a load-dtype rounding changed the
 *   values. A backend may upload these instead of @data: the Vulkan
 *   backend does for BF16 and F16, which halves the upload. The CPU
 *   backend ignores them.
 * @stored_dtype: the dtype of @stored_data; ignored when it is %NULL
 *
 * One layer's weight. Zero-initialise the struct so that fields added at
 * its end keep their neutral value.
 */
typedef struct
{
  const float   *data;
  QsLayerKind    kind;
  guint          ndim;
  gint64         shape[QS_MAX_DIMS];
  guint64        numel;
  const char    *name;
  const guint8  *stored_data;
  QsTensorDtype  stored_dtype;
} QsLayerWeights;

/**
 * QsEvalOptions:
 * @svd_steps: power iterations of the randomized SVD
 * @svd_seed: the start seed for this layer (see qs_lowrank_seed_for_layer())
 * @model_dtype: the dtype the SVD factors and their product are held in
 */
typedef struct
{
  guint         svd_steps;
  guint64       svd_seed;
  QsModelDtype  model_dtype;
} QsEvalOptions;

#define QS_TYPE_BACKEND (qs_backend_get_type ())

G_DECLARE_INTERFACE (QsBackend, qs_backend, QS, BACKEND, GObject)

/**
 * QsBackendInterface:
 * @get_name: returns a short name for messages ("CPU", a GPU's name)
 * @evaluate_layer: evaluates every format of one layer; see
 *   qs_backend_evaluate_layer()
 */
struct _QsBackendInterface
{
  GTypeInterface parent_iface;

  const char *(*get_name)       (QsBackend            *self);
  gboolean    (*evaluate_layer) (QsBackend            *self,
                                 const QsLayerWeights *layer,
                                 const QsFormat       *formats,
                                 guint                 n_formats,
                                 const QsEvalOptions  *options,
                                 QsFormatResult       *results,
                                 GCancellable         *cancellable,
                                 GError              **error);
};

const char *qs_backend_get_name       (QsBackend            *self);

/**
 * qs_layer_weights_validate:
 * @layer: a layer's weight
 *
 * Checks what every backend relies on: data present, 2 to 5 dimensions, no
 * empty dimension, and an element count that matches the shape.
 *
 * Returns: %FALSE with @error (%G_IO_ERROR_INVALID_ARGUMENT) naming the layer
 */
gboolean    qs_layer_weights_validate (const QsLayerWeights  *layer,
                                       GError               **error);

/**
 * qs_backend_evaluate_layer:
 * @layer: the layer's weight
 * @formats: (array length=n_formats): the formats to evaluate
 * @results: (out caller-allocates) (array length=n_formats): one result per
 *   format, in the order of @formats
 *
 * Evaluates every format of one layer, reading the weight once per row
 * block for all raw formats together. SVD formats compute the low-rank
 * factors once per distinct rank, round them to the model dtype, subtract
 * their product and quantize the residual. A Linear SVD reconstruction is
 * rounded to the model dtype as the analysis script's bf16 add does; a
 * Conv one adds the product in fp32. A format that SDNQ cannot quantize
 * is marked failed rather than failing the call.
 *
 * Returns: %FALSE with @error set only when cancelled or on a failure
 *   that affects the whole layer
 */
gboolean    qs_backend_evaluate_layer (QsBackend            *self,
                                       const QsLayerWeights *layer,
                                       const QsFormat       *formats,
                                       guint                 n_formats,
                                       const QsEvalOptions  *options,
                                       QsFormatResult       *results,
                                       GCancellable         *cancellable,
                                       GError              **error);

#define QS_TYPE_CPU_BACKEND (qs_cpu_backend_get_type ())

G_DECLARE_FINAL_TYPE (QsCpuBackend, qs_cpu_backend, QS, CPU_BACKEND, GObject)

/**
 * qs_cpu_backend_new:
 * @n_threads: worker threads, 0 for every core
 *
 * Creates the CPU backend: OpenMP threads over row blocks, BLAS and
 * LAPACK for the SVD. It is the oracle that other backends are tested
 * against.
 */
QsBackend  *qs_cpu_backend_new        (guint n_threads);

G_END_DECLS
