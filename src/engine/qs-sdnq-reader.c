/* qs-sdnq-reader.c: reads SDNQ-quantized models back
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The dequantization follows Disty0/sdnq 0.2.x dequantizer.py: unpack,
 * addcmul (a fused multiply-add on every backend) or multiply, transpose
 * back, view as the original shape, add the SVD product.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include "qs-error.h"
#include "qs-float.h"
#include "qs-sdnq-reader.h"

struct _QsSdnqReader
{
  QsModel    *model;
  /* QsComponent → QsSdnqConfig; components without SDNQ are absent. */
  GHashTable *configs;
  /* QsComponent → (name → QsTensorInfo) */
  GHashTable *tensor_maps;
};

void
qs_sdnq_layer_info_free (QsSdnqLayerInfo *info)
{
  if (info == NULL)
    return;

  g_free (info->name);
  g_free (info->mismatch);
  g_free (info);
}

static JsonNode *
read_json (const char  *path,
           GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_file (parser, path, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }

  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                   _("%s: the top level is not a JSON object"), path);
      return NULL;
    }

  return json_node_copy (json_parser_get_root (parser));
}

static gboolean
is_sdnq_config (JsonNode *node)
{
  JsonObject *object;
  const char *method;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;

  object = json_node_get_object (node);
  method = json_object_get_string_member_with_default (object, "quant_method", NULL);

  return g_strcmp0 (method, "sdnq") == 0;
}

/* Reads a component's config: config.json's quantization_config first, as
 * from_pretrained does, then quantization_config.json. Sets *config to
 * NULL when neither is an SDNQ config. */
static gboolean
read_component_config (const QsComponent  *component,
                       QsSdnqConfig      **config,
                       GError            **error)
{
  g_autofree char *folder = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *quant_path = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonNode *quantization = NULL;

  *config = NULL;

  folder = g_file_test (component->path, G_FILE_TEST_IS_DIR) ? g_strdup (component->path)
                                                              : g_path_get_dirname (component->path);
  config_path = g_build_filename (folder, "config.json", NULL);
  quant_path = g_build_filename (folder, "quantization_config.json", NULL);

  if (g_file_test (config_path, G_FILE_TEST_IS_REGULAR))
    {
      root = read_json (config_path, error);
      if (root == NULL)
        return FALSE;
      quantization = json_object_get_member (json_node_get_object (root), "quantization_config");
    }

  if (quantization == NULL && g_file_test (quant_path, G_FILE_TEST_IS_REGULAR))
    {
      g_clear_pointer (&root, json_node_unref);
      root = read_json (quant_path, error);
      if (root == NULL)
        return FALSE;
      quantization = root;
    }

  if (!is_sdnq_config (quantization))
    return TRUE;

  *config = qs_sdnq_config_from_json (quantization,
                                      component->name[0] != '\0' ? component->name : folder,
                                      error);
  return *config != NULL;
}

QsSdnqReader *
qs_sdnq_reader_open (const char  *path,
                     GError     **error)
{
  g_autoptr(QsSdnqReader) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (QsSdnqReader, 1);
  self->configs = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) qs_sdnq_config_free);
  self->tensor_maps = g_hash_table_new_full (NULL, NULL, NULL,
                                             (GDestroyNotify) g_hash_table_unref);

  self->model = qs_model_open (path, NULL, error);
  if (self->model == NULL)
    return NULL;

  for (guint i = 0; i < qs_model_get_n_components (self->model); i++)
    {
      const QsComponent *component = qs_model_get_component (self->model, i);
      GHashTable *map = g_hash_table_new (g_str_hash, g_str_equal);
      QsSdnqConfig *config = NULL;

      for (guint t = 0; t < component->tensors->len; t++)
        {
          const QsTensorInfo *tensor = g_ptr_array_index (component->tensors, t);

          g_hash_table_insert (map, tensor->name, (gpointer) tensor);
        }
      g_hash_table_insert (self->tensor_maps, (gpointer) component, map);

      if (!read_component_config (component, &config, error))
        return NULL;
      if (config != NULL)
        g_hash_table_insert (self->configs, (gpointer) component, config);
    }

  return g_steal_pointer (&self);
}

void
qs_sdnq_reader_free (QsSdnqReader *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->tensor_maps, g_hash_table_unref);
  g_clear_pointer (&self->configs, g_hash_table_unref);
  g_clear_pointer (&self->model, qs_model_unref);
  g_free (self);
}

QsModel *
qs_sdnq_reader_get_model (QsSdnqReader *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->model;
}

const QsSdnqConfig *
qs_sdnq_reader_get_config (QsSdnqReader      *self,
                           const QsComponent *component)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (component != NULL, NULL);

  return g_hash_table_lookup (self->configs, component);
}

static const QsTensorInfo *
lookup_tensor (QsSdnqReader      *self,
               const QsComponent *component,
               const char        *param_name,
               const char        *suffix)
{
  GHashTable *map = g_hash_table_lookup (self->tensor_maps, component);
  g_autofree char *stem = NULL;
  g_autofree char *name = NULL;

  if (map == NULL)
    return NULL;

  if (suffix == NULL)
    return g_hash_table_lookup (map, param_name);

  /* "<path>.weight" → "<path>.<suffix>"; a bare "weight" → "<suffix>". */
  if (g_str_has_suffix (param_name, "weight"))
    stem = g_strndup (param_name, strlen (param_name) - strlen ("weight"));
  else
    stem = g_strconcat (param_name, ".", NULL);
  name = g_strconcat (stem, suffix, NULL);

  return g_hash_table_lookup (map, name);
}

/* The model dtype the file was written for: the SVD factors are stored in
 * it, and so are scales when dequantize_fp32 is off. */
static QsModelDtype
stored_model_dtype (const QsTensorInfo *svd_up,
                    const QsTensorInfo *scale)
{
  const QsTensorInfo *probe = svd_up != NULL ? svd_up : scale;

  if (probe != NULL && probe->dtype == QS_TENSOR_F16)
    return QS_MODEL_DTYPE_F16;
  if (probe != NULL && probe->dtype == QS_TENSOR_F32)
    return QS_MODEL_DTYPE_F32;

  return QS_MODEL_DTYPE_BF16;
}

static gboolean
shapes_equal (const gint64 *a,
              guint         a_ndim,
              const gint64 *b,
              guint         b_ndim)
{
  if (a_ndim != b_ndim)
    return FALSE;

  return a_ndim == 0 || memcmp (a, b, a_ndim * sizeof (gint64)) == 0;
}

/* Checks one stored tensor, which must exist exactly when @expected_present
 * is set. */
static gboolean
check_tensor (const char          *param_name,
              const char          *what,
              const QsTensorInfo  *tensor,
              gboolean             expected_present,
              QsTensorDtype        dtype,
              const gint64        *shape,
              guint                ndim,
              GError             **error)
{
  g_autofree char *expected_shape = NULL;
  g_autofree char *stored_shape = NULL;

  if (!expected_present)
    {
      if (tensor == NULL)
        return TRUE;

      g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                   _("Layer %s: the file stores %s, but the config derives a layout without it"),
                   param_name, tensor->name);
      return FALSE;
    }

  expected_shape = qs_sdnq_format_shape (shape, ndim);
  if (tensor == NULL)
    {
      g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                   _("Layer %s: the %s is missing; the config derives %s %s"),
                   param_name, what, qs_tensor_dtype_to_string (dtype), expected_shape);
      return FALSE;
    }

  stored_shape = qs_sdnq_format_shape (tensor->shape, tensor->ndim);
  if (tensor->dtype != dtype || !shapes_equal (tensor->shape, tensor->ndim, shape, ndim))
    {
      g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                   _("Layer %s: %s is stored as %s %s, but the config derives %s %s"),
                   param_name, tensor->name, qs_tensor_dtype_to_string (tensor->dtype),
                   stored_shape, qs_tensor_dtype_to_string (dtype), expected_shape);
      return FALSE;
    }

  return TRUE;
}

typedef struct
{
  const QsTensorInfo *weight;
  const QsTensorInfo *scale;
  const QsTensorInfo *zero_point;
  const QsTensorInfo *svd_up;
  const QsTensorInfo *svd_down;
} StoredTensors;

static void
lookup_stored (QsSdnqReader      *self,
               const QsComponent *component,
               const char        *param_name,
               StoredTensors     *stored)
{
  stored->weight = lookup_tensor (self, component, param_name, NULL);
  stored->scale = lookup_tensor (self, component, param_name, "scale");
  stored->zero_point = lookup_tensor (self, component, param_name, "zero_point");
  stored->svd_up = lookup_tensor (self, component, param_name, "svd_up");
  stored->svd_down = lookup_tensor (self, component, param_name, "svd_down");
}

static gboolean
check_stored (const char          *param_name,
              const QsSdnqLayout  *layout,
              const StoredTensors *stored,
              GError             **error)
{
  QsModelDtype model_dtype = stored_model_dtype (stored->svd_up, stored->scale);
  QsTensorDtype scale_dtype = qs_sdnq_layout_get_scale_dtype (layout, model_dtype);
  QsTensorDtype svd_dtype = qs_model_dtype_to_tensor_dtype (model_dtype);

  if (stored->weight == NULL)
    {
      g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                   _("Layer %s is not in the files"), param_name);
      return FALSE;
    }

  if (!layout->quantized)
    {
      if (!shapes_equal (stored->weight->shape, stored->weight->ndim, layout->shape, layout->ndim))
        {
          g_autofree char *stored_shape = qs_sdnq_format_shape (stored->weight->shape,
                                                                stored->weight->ndim);
          g_autofree char *expected = qs_sdnq_format_shape (layout->shape, layout->ndim);

          g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                       _("Layer %s: the config leaves it unquantized, but it is stored as %s %s "
                         "instead of %s"), param_name,
                       qs_tensor_dtype_to_string (stored->weight->dtype), stored_shape, expected);
          return FALSE;
        }

      return check_tensor (param_name, "scale", stored->scale, FALSE, 0, NULL, 0, error)
             && check_tensor (param_name, "zero point", stored->zero_point, FALSE, 0, NULL, 0, error)
             && check_tensor (param_name, "svd_up", stored->svd_up, FALSE, 0, NULL, 0, error)
             && check_tensor (param_name, "svd_down", stored->svd_down, FALSE, 0, NULL, 0, error);
    }

  return check_tensor (param_name, "weight", stored->weight, TRUE, layout->weight_dtype,
                       layout->weight_shape, layout->weight_ndim, error)
         && check_tensor (param_name, "scale", stored->scale, TRUE, scale_dtype,
                          layout->scale_shape, layout->scale_ndim, error)
         && check_tensor (param_name, "zero point", stored->zero_point, layout->has_zero_point,
                          scale_dtype, layout->scale_shape, layout->scale_ndim, error)
         && check_tensor (param_name, "SVD factor svd_up", stored->svd_up, layout->use_svd,
                          svd_dtype, layout->svd_up_shape, 2, error)
         && check_tensor (param_name, "SVD factor svd_down", stored->svd_down, layout->use_svd,
                          svd_dtype, layout->svd_down_shape, 2, error);
}

static gboolean
check_arguments (QsSdnqReader       *self,
                 const QsComponent  *component,
                 const QsSdnqConfig **config,
                 GError            **error)
{
  *config = g_hash_table_lookup (self->configs, component);
  if (*config == NULL)
    {
      g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND,
                   _("Component %s has no SDNQ quantization config"),
                   component->name[0] != '\0' ? component->name : component->path);
      return FALSE;
    }

  return TRUE;
}

gboolean
qs_sdnq_reader_check_layer (QsSdnqReader       *self,
                            const QsComponent  *component,
                            const char         *param_name,
                            QsLayerKind         kind,
                            const gint64       *shape,
                            guint               ndim,
                            QsSdnqLayout       *layout,
                            GError            **error)
{
  const QsSdnqConfig *config;
  StoredTensors stored;
  QsSdnqLayout derived;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (component != NULL, FALSE);
  g_return_val_if_fail (param_name != NULL, FALSE);
  g_return_val_if_fail (shape != NULL, FALSE);
  g_return_val_if_fail (ndim >= 2 && ndim <= 5, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_arguments (self, component, &config, error))
    return FALSE;

  qs_sdnq_layout_derive (config, param_name, kind, shape, ndim, &derived);
  if (layout != NULL)
    *layout = derived;

  lookup_stored (self, component, param_name, &stored);

  return check_stored (param_name, &derived, &stored, error);
}

/* Decodes a whole F32, F16 or BF16 tensor. */
static float *
decode_tensor (const QsTensorInfo  *tensor,
               GError             **error)
{
  g_autofree float *values = g_try_new (float, MAX (tensor->numel, 1));

  if (values == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   _("Not enough memory to decode %s"), tensor->name);
      return NULL;
    }

  if (tensor->ndim == 0)
    {
      g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID,
                   _("%s is a scalar, not a tensor of values"), tensor->name);
      return NULL;
    }

  if (!qs_tensor_decode_rows (tensor, 0, tensor->shape[0], values, error))
    return NULL;

  return g_steal_pointer (&values);
}

static gboolean
add_svd_product (const StoredTensors *stored,
                 const QsSdnqLayout  *layout,
                 float               *out,
                 GError             **error)
{
  g_autofree float *up = NULL;
  g_autofree float *down = NULL;
  g_autofree float *product = NULL;
  QsModelDtype model_dtype = stored_model_dtype (stored->svd_up, stored->scale);
  gint64 rows = layout->shape[0];
  gint64 cols = (gint64) (qs_sdnq_shape_numel (layout->shape, layout->ndim) / (guint64) rows);
  guint rank = layout->svd_effective_rank;
  QsLowRank lowrank = { 0 };
  gsize numel = (gsize) rows * (gsize) cols;

  up = decode_tensor (stored->svd_up, error);
  if (up == NULL)
    return FALSE;
  down = decode_tensor (stored->svd_down, error);
  if (down == NULL)
    return FALSE;

  /* With quantized matmul both factors are stored transposed. */
  if (layout->use_quantized_matmul)
    {
      g_autofree float *up_t = g_new (float, (gsize) rows * rank);
      g_autofree float *down_t = g_new (float, (gsize) rank * (gsize) cols);

      qs_sdnq_transpose (up, up_t, rank, rows, sizeof (float));
      qs_sdnq_transpose (down, down_t, cols, rank, sizeof (float));
      g_free (up);
      g_free (down);
      up = g_steal_pointer (&up_t);
      down = g_steal_pointer (&down_t);
    }

  lowrank.rows = rows;
  lowrank.cols = cols;
  lowrank.rank = rank;
  lowrank.up = up;
  lowrank.down = down;

  product = g_try_new (float, numel);
  if (product == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   _("Not enough memory for the SVD product of %s"), stored->weight->name);
      return FALSE;
    }

  qs_lowrank_product (&lowrank, model_dtype, product);
  for (gsize i = 0; i < numel; i++)
    out[i] += product[i];

  return TRUE;
}

gboolean
qs_sdnq_reader_dequantize_layer (QsSdnqReader       *self,
                                 const QsComponent  *component,
                                 const char         *param_name,
                                 QsLayerKind         kind,
                                 const gint64       *shape,
                                 guint               ndim,
                                 float              *out,
                                 GError            **error)
{
  QsSdnqLayout layout;
  StoredTensors stored;
  g_autofree guint32 *codes = NULL;
  g_autofree float *scales = NULL;
  g_autofree float *zero_points = NULL;
  QsQuantizedLayer layer = { 0 };
  guint64 numel;

  g_return_val_if_fail (out != NULL, FALSE);

  if (!qs_sdnq_reader_check_layer (self, component, param_name, kind, shape, ndim, &layout, error))
    return FALSE;

  lookup_stored (self, component, param_name, &stored);
  numel = qs_sdnq_shape_numel (shape, ndim);

  if (!layout.quantized)
    return qs_tensor_decode_rows (stored.weight, 0, shape[0], out, error);

  codes = g_try_new (guint32, numel);
  if (codes == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   _("Not enough memory to unpack %s"), param_name);
      return FALSE;
    }

  if (!qs_unpack_codes (layout.dtype, qs_safetensors_file_get_data (stored.weight->file, stored.weight),
                        numel, codes, error))
    {
      g_prefix_error (error, _("Layer %s: "), param_name);
      return FALSE;
    }

  if (layout.transposed)
    {
      g_autofree guint32 *stored_order = g_steal_pointer (&codes);

      codes = g_new (guint32, numel);
      qs_sdnq_transpose (stored_order, codes, layout.weight_shape[0], layout.weight_shape[1],
                         sizeof (guint32));
    }

  scales = decode_tensor (stored.scale, error);
  if (scales == NULL)
    return FALSE;
  if (layout.has_zero_point)
    {
      zero_points = decode_tensor (stored.zero_point, error);
      if (zero_points == NULL)
        return FALSE;
    }

  /* Scales of shape [1, O] are stored in the same order as [O, 1], so the
   * group layout reads them unchanged. */
  layer.dtype = layout.dtype;
  layer.layout = layout.groups;
  layer.codes = codes;
  layer.scales = scales;
  layer.zero_points = zero_points;
  qs_dequantize_layer (&layer, out);

  if (layout.use_svd && !add_svd_product (&stored, &layout, out, error))
    return FALSE;

  return TRUE;
}

/* Inspection: recovering original shapes */

static QsLayerKind
kind_for_shape (const char   *param_name,
                const gint64 *shape,
                guint         ndim)
{
  QsTensorInfo probe = { 0 };
  QsLayerKind kind = QS_LAYER_LINEAR;

  probe.name = (char *) param_name;
  probe.dtype = QS_TENSOR_F32;
  probe.ndim = ndim;
  probe.shape = (gint64 *) shape;
  probe.numel = qs_sdnq_shape_numel (shape, ndim);

  if (qs_classify_tensor (&probe, &kind) != QS_TENSOR_ROLE_LAYER)
    return ndim > 2 ? QS_LAYER_CONV : QS_LAYER_LINEAR;

  return kind;
}

typedef struct
{
  guint  ndim;
  gint64 shape[QS_SDNQ_MAX_DIMS];
} Candidate;

static void
add_candidate (GArray       *candidates,
               guint64       numel,
               gint64        rows,
               const gint64 *kernel,
               guint         n_kernel)
{
  Candidate candidate = { 0 };
  guint64 kernel_numel = qs_sdnq_shape_numel (kernel, n_kernel);

  if (rows <= 0 || kernel_numel == 0 || numel % ((guint64) rows * kernel_numel) != 0)
    return;
  if (2 + n_kernel > 5)
    return;

  candidate.ndim = 2 + n_kernel;
  candidate.shape[0] = rows;
  candidate.shape[1] = (gint64) (numel / ((guint64) rows * kernel_numel));
  for (guint i = 0; i < n_kernel; i++)
    candidate.shape[2 + i] = kernel[i];

  if (candidate.shape[1] > 0)
    g_array_append_val (candidates, candidate);
}

/* Lists the original shapes that could give the stored scale and weight:
 * the scale keeps the output rows and the kernel, and the weight's element
 * count gives the channels. */
static GArray *
shape_candidates (const StoredTensors *stored,
                  const QsDtype       *dtype)
{
  GArray *candidates = g_array_new (FALSE, TRUE, sizeof (Candidate));
  const QsTensorInfo *scale = stored->scale;
  const QsTensorInfo *weight = stored->weight;
  guint64 numel;

  if (dtype->pack_block > 1)
    numel = (guint64) weight->shape[0] * dtype->pack_block;
  else
    numel = weight->numel;

  if (weight->ndim == 0 || scale->ndim < 2)
    return candidates;

  switch (scale->ndim)
    {
    case 2:
      /* [O, 1] row-wise, [1, O] transposed, [1, 1] tensor-wise. */
      add_candidate (candidates, numel, scale->shape[0], NULL, 0);
      add_candidate (candidates, numel, scale->shape[1], NULL, 0);
      if (weight->ndim == 2 && dtype->pack_block == 1)
        {
          add_candidate (candidates, numel, weight->shape[0], NULL, 0);
          add_candidate (candidates, numel, weight->shape[1], NULL, 0);
        }
      break;

    case 3:
      /* A grouped Linear [O, n_groups, 1], or a row-wise Conv1d [O, 1, k]. */
      add_candidate (candidates, numel, scale->shape[0], NULL, 0);
      add_candidate (candidates, numel, scale->shape[0], scale->shape + 2, 1);
      break;

    default:
      /* A grouped conv [O, n_groups, 1, k…] or a row-wise one [O, 1, k…]. */
      add_candidate (candidates, numel, scale->shape[0], scale->shape + 3, scale->ndim - 3);
      add_candidate (candidates, numel, scale->shape[0], scale->shape + 2, scale->ndim - 2);
      break;
    }

  /* A tensor-wise conv stored unpacked keeps its shape. */
  if (weight->ndim >= 3 && weight->ndim <= 5 && dtype->pack_block == 1)
    add_candidate (candidates, numel, weight->shape[0], weight->shape + 2, weight->ndim - 2);

  return candidates;
}

static void
inspect_quantized (QsSdnqLayerInfo     *info,
                   const QsSdnqConfig  *config,
                   const StoredTensors *stored)
{
  QsLayerQuantOptions options;
  g_autoptr(GArray) candidates = NULL;
  g_autoptr(GError) first_error = NULL;

  /* The dtype depends only on the name, so it fixes the packing before
   * the shape is known. */
  qs_sdnq_config_resolve_layer (config, info->name, QS_LAYER_LINEAR, &options);
  candidates = shape_candidates (stored, options.dtype);

  for (guint i = 0; i < candidates->len; i++)
    {
      const Candidate *candidate = &g_array_index (candidates, Candidate, i);
      QsLayerKind kind = kind_for_shape (info->name, candidate->shape, candidate->ndim);
      g_autoptr(GError) error = NULL;
      QsSdnqLayout layout;

      qs_sdnq_layout_derive (config, info->name, kind, candidate->shape, candidate->ndim, &layout);
      if (check_stored (info->name, &layout, stored, &error))
        {
          info->layout = layout;
          info->shape_known = TRUE;
          return;
        }

      if (first_error == NULL)
        {
          info->layout = layout;
          first_error = g_steal_pointer (&error);
        }
    }

  if (first_error != NULL)
    info->mismatch = g_strdup (first_error->message);
  else
    info->mismatch = g_strdup_printf ("Layer %s: no original shape reproduces the stored "
                                      "weight and scale shapes", info->name);
}

GPtrArray *
qs_sdnq_reader_list_layers (QsSdnqReader      *self,
                            const QsComponent *component)
{
  GPtrArray *layers = g_ptr_array_new_with_free_func ((GDestroyNotify) qs_sdnq_layer_info_free);
  const QsSdnqConfig *config;

  g_return_val_if_fail (self != NULL, layers);
  g_return_val_if_fail (component != NULL, layers);

  config = g_hash_table_lookup (self->configs, component);
  if (config == NULL)
    return layers;

  for (guint t = 0; t < component->tensors->len; t++)
    {
      const QsTensorInfo *tensor = g_ptr_array_index (component->tensors, t);
      g_autoptr(QsSdnqLayerInfo) info = NULL;
      StoredTensors stored;
      QsLayerKind kind;

      if (!g_str_has_suffix (tensor->name, ".weight") && strcmp (tensor->name, "weight") != 0)
        continue;

      lookup_stored (self, component, tensor->name, &stored);
      info = g_new0 (QsSdnqLayerInfo, 1);
      info->name = g_strdup (tensor->name);

      if (stored.scale != NULL)
        {
          info->quantized = TRUE;
          inspect_quantized (info, config, &stored);
          g_ptr_array_add (layers, g_steal_pointer (&info));
          continue;
        }

      /* An unquantized float weight that SDNQ's loader would quantize. */
      if (qs_classify_tensor (tensor, &kind) != QS_TENSOR_ROLE_LAYER
          || (tensor->dtype != QS_TENSOR_F32 && tensor->dtype != QS_TENSOR_F16
              && tensor->dtype != QS_TENSOR_BF16 && tensor->dtype != QS_TENSOR_F64))
        continue;

      qs_sdnq_layout_derive (config, tensor->name, kind, tensor->shape, tensor->ndim, &info->layout);
      info->shape_known = TRUE;
      if (!info->layout.quantized)
        continue;

      info->mismatch = g_strdup_printf ("Layer %s is stored unquantized, but the config makes "
                                        "SDNQ quantize it on load; it must be listed in "
                                        "modules_to_not_convert", tensor->name);
      g_ptr_array_add (layers, g_steal_pointer (&info));
    }

  return layers;
}
