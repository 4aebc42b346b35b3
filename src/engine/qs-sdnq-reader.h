/* qs-sdnq-reader.h: reads SDNQ-quantized models back
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "qs-model.h"
#include "qs-sdnq-config.h"
#include "qs-sdnq-layout.h"

G_BEGIN_DECLS

typedef struct _QsSdnqReader QsSdnqReader;

/**
 * qs_sdnq_reader_open:
 * @path: a model folder, pipeline folder or safetensors file
 *
 * Opens a model with qs_model_open() and reads each component's SDNQ
 * config the way diffusers and transformers find it: the
 * `quantization_config` object of the component's config.json, or else
 * the quantization_config.json beside it. A config whose quant_method is
 * not "sdnq" leaves the component unquantized.
 *
 * Returns: (transfer full): the reader, or %NULL with @error naming the
 *   file that cannot be read or the config key that is invalid
 */
QsSdnqReader       *qs_sdnq_reader_open        (const char    *path,
                                                GError       **error);
void                qs_sdnq_reader_free        (QsSdnqReader  *self);

QsModel            *qs_sdnq_reader_get_model   (QsSdnqReader  *self);

/**
 * qs_sdnq_reader_get_config:
 * @component: a component of the reader's model
 *
 * Returns: (nullable): the component's SDNQ config, or %NULL when the
 *   component is not SDNQ-quantized
 */
const QsSdnqConfig *qs_sdnq_reader_get_config  (QsSdnqReader      *self,
                                                const QsComponent *component);

/**
 * qs_sdnq_reader_check_layer:
 * @component: a component with an SDNQ config
 * @param_name: "<path>.weight"
 * @kind: the layer kind
 * @shape: (array length=ndim): the original weight shape
 * @ndim: 2 to 5
 * @layout: (out) (optional): the derived layout
 *
 * Derives the layer's layout from the component's config alone, as SDNQ's
 * loader does, and checks that the stored tensors agree: `<path>.weight`,
 * `<path>.scale`, `<path>.zero_point` and the SVD factors must exist
 * exactly when the layout needs them, with the derived dtypes and shapes.
 * A layer the config leaves unquantized must be stored with @shape.
 *
 * Returns: %FALSE with @error (%QS_MODEL_ERROR_INVALID) naming the layer,
 *   the tensor, and the expected and stored dtype or shape
 */
gboolean            qs_sdnq_reader_check_layer (QsSdnqReader       *self,
                                                const QsComponent  *component,
                                                const char         *param_name,
                                                QsLayerKind         kind,
                                                const gint64       *shape,
                                                guint               ndim,
                                                QsSdnqLayout       *layout,
                                                GError            **error);

/**
 * qs_sdnq_reader_dequantize_layer:
 * @out: (out): the numel of @shape values, in the original element order
 *
 * Checks the layer as qs_sdnq_reader_check_layer() does and reconstructs
 * its weight as SDNQ's dequantizer does: unpack the codes, compute
 * fmaf(q, scale, zero_point) for unsigned dtypes and q·scale for signed
 * ones, undo the transposed storage and the grouping, then add the SVD
 * product up·down computed in the factors' dtype (fp32 accumulation,
 * rounded to that dtype), in fp32. An unquantized layer is decoded as
 * stored. The result stays fp32; SDNQ casts it to the model dtype last.
 *
 * NOTE: with scales in the model dtype (dequantize_fp32 off), SDNQ also
 * multiplies in that dtype, so its values can differ from these in the
 * last bit of the model dtype.
 *
 * Returns: %FALSE with @error set
 */
gboolean            qs_sdnq_reader_dequantize_layer (QsSdnqReader       *self,
                                                     const QsComponent  *component,
                                                     const char         *param_name,
                                                     QsLayerKind         kind,
                                                     const gint64       *shape,
                                                     guint               ndim,
                                                     float              *out,
                                                     GError            **error);

/**
 * QsSdnqLayerInfo:
 * @name: "<path>.weight"
 * @quantized: whether the file stores the layer quantized (it has a
 *   `<path>.scale`)
 * @layout: the layout derived from the config for @shape
 * @shape_known: whether an original shape was found that reproduces every
 *   stored shape; otherwise @layout uses the closest guess
 * @mismatch: (nullable): why the stored tensors disagree with the
 *   derivation, or %NULL when they agree
 *
 * One layer of an SDNQ component as inspected from its files. SDNQ does
 * not store a quantized layer's original shape; the reader recovers it
 * from the stored weight, scale and SVD shapes. A conv weight stored
 * transposed for quantized matmul is flattened to [O, I·k…] on disk, so
 * its kernel size cannot be recovered and it is reported as a 2-D layer.
 */
typedef struct
{
  char         *name;
  gboolean      quantized;
  QsSdnqLayout  layout;
  gboolean      shape_known;
  char         *mismatch;
} QsSdnqLayerInfo;

void                qs_sdnq_layer_info_free    (QsSdnqLayerInfo *info);

/**
 * qs_sdnq_reader_list_layers:
 * @component: a component with an SDNQ config
 *
 * Lists every stored `<path>.weight` that has a `<path>.scale`, and every
 * unquantized float weight that the config would have SDNQ quantize on
 * load (a file SDNQ cannot load), in tensor order.
 *
 * Returns: (transfer full) (element-type QsSdnqLayerInfo): the layers
 */
GPtrArray          *qs_sdnq_reader_list_layers (QsSdnqReader      *self,
                                                const QsComponent *component);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsSdnqReader, qs_sdnq_reader_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsSdnqLayerInfo, qs_sdnq_layer_info_free)

G_END_DECLS
