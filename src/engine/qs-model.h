/* qs-model.h: model sources, components and the layers they hold
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "qs-quant.h"
#include "qs-safetensors.h"

G_BEGIN_DECLS

/**
 * QsTensorRole:
 * @QS_TENSOR_ROLE_LAYER: a quantizable weight
 * @QS_TENSOR_ROLE_OTHER: a float tensor that is not a layer weight (bias,
 *   norm, 1-D weight, a name that does not end in ".weight")
 * @QS_TENSOR_ROLE_METADATA: a scalar or zero-element tensor (a flag or a
 *   marker), carried through unchanged
 * @QS_TENSOR_ROLE_NON_FLOAT: an integer or boolean buffer, never quantized
 * @QS_TENSOR_ROLE_UNSUPPORTED: a float dtype the reader does not decode
 *   (F4, F6, F8_E8M0, the fnuz types, C64); listed and skipped
 */
typedef enum
{
  QS_TENSOR_ROLE_LAYER,
  QS_TENSOR_ROLE_OTHER,
  QS_TENSOR_ROLE_METADATA,
  QS_TENSOR_ROLE_NON_FLOAT,
  QS_TENSOR_ROLE_UNSUPPORTED,
} QsTensorRole;

const char *qs_tensor_role_to_string (QsTensorRole role);

/**
 * qs_classify_tensor:
 * @tensor: a tensor
 * @kind: (out) (optional): the layer kind when the role is a layer
 *
 * Selects layers as SDNQ does: `*.weight` tensors of a decodable float
 * dtype, 2-D as Linear (or Embedding when the name says so), 3- to 5-D as
 * Conv.
 *
 * The checks run in this order. A scalar or zero-element tensor is
 * metadata, whatever its dtype. Next, integer and boolean dtypes are
 * non-float, and undecodable float dtypes are unsupported. Then a tensor
 * whose name is not "weight" and does not end in ".weight", or that has
 * 1 or more than 5 dimensions, is other. A 2-D weight is an Embedding when
 * a dot-separated part of its name is embed_tokens, wte, wpe,
 * word_embeddings, position_embeddings, token_type_embeddings, embeddings,
 * embedding, shared or tok_embeddings.
 *
 * Returns: the role; @kind is set only for %QS_TENSOR_ROLE_LAYER
 */
QsTensorRole qs_classify_tensor     (const QsTensorInfo *tensor,
                                     QsLayerKind        *kind);

/**
 * qs_tensor_name_compare:
 * @a: a tensor name
 * @b: another tensor name
 *
 * Compares names with runs of digits compared by value, so "blocks.2"
 * sorts before "blocks.10". Names that differ only in leading zeros fall
 * back to strcmp(), so the order is total.
 *
 * Returns: a negative value, 0 or a positive value, as strcmp() does
 */
int          qs_tensor_name_compare (const char         *a,
                                     const char         *b);

/**
 * QsComponent:
 * @name: the subfolder name, or "" when the model is a single folder or file
 * @class_name: (nullable): the class from model_index.json or config.json
 * @library: (nullable): "diffusers", "transformers" or another library
 * @path: the component's folder (or the file for a single file)
 * @files: (element-type QsSafetensorsFile): the weight files, shards in order
 * @tensors: (element-type QsTensorInfo): every tensor of the component,
 *   unowned, sorted by name with numbers compared by value
 *   ("blocks.2" before "blocks.10")
 * @total_bytes: the sum of the tensor data sizes
 *
 * One model component: a diffusers subfolder with weights, or the whole
 * model when it is a plain folder or file.
 */
typedef struct
{
  char      *name;
  char      *class_name;
  char      *library;
  char      *path;
  GPtrArray *files;
  GPtrArray *tensors;
  guint64    total_bytes;
} QsComponent;

typedef struct _QsModel QsModel;

/**
 * qs_model_open:
 * @source: a `.safetensors` file, a folder, or a Hugging Face id "org/name"
 * @cache_dir: (nullable): the first hub cache to search for an id
 *
 * Resolves @source and opens every component's weight files. A folder may
 * contain `model.safetensors`, `diffusion_pytorch_model.safetensors`, a
 * sharded `*.safetensors.index.json`, or be a diffusers pipeline with a
 * `model_index.json`. An id is resolved offline in @cache_dir, then
 * `$HF_HUB_CACHE`, `$HF_HOME/hub` and `~/.cache/huggingface/hub`, through
 * `refs/main` to `snapshots/<rev>/`. For shards, every file the index maps
 * must exist and every tensor in the shards must be in the map.
 *
 * Returns: (transfer full): the model, or %NULL with @error naming the file
 *   or, for an id that is not found, every folder searched
 */
QsModel          *qs_model_open             (const char   *source,
                                             const char   *cache_dir,
                                             GError      **error);
/**
 * qs_model_open_full:
 * @source: as for qs_model_open()
 * @cache_dir: (nullable): as for qs_model_open()
 * @header_limit: the largest safetensors header accepted, in bytes (0 for
 *   %QS_SAFETENSORS_DEFAULT_HEADER_LIMIT)
 *
 * Opens a model as qs_model_open() does, with a custom header limit for
 * checkpoints with very many tensors.
 *
 * Returns: (transfer full): the model, or %NULL with @error set
 */
QsModel          *qs_model_open_full        (const char   *source,
                                             const char   *cache_dir,
                                             guint64       header_limit,
                                             GError      **error);
QsModel          *qs_model_ref              (QsModel      *self);
void              qs_model_unref            (QsModel      *self);

/* The name shown to people: the id, or the folder or file name. */
const char       *qs_model_get_name         (QsModel      *self);
/* The resolved folder or file. */
const char       *qs_model_get_path         (QsModel      *self);
/* The snapshot revision for a hub id, otherwise %NULL. */
const char       *qs_model_get_revision     (QsModel      *self);
/* The pipeline class from model_index.json, otherwise %NULL. */
const char       *qs_model_get_pipeline_class (QsModel    *self);
gboolean          qs_model_is_pipeline      (QsModel      *self);

/* Components with weights, in model_index.json order. */
guint             qs_model_get_n_components (QsModel      *self);
const QsComponent *qs_model_get_component   (QsModel      *self,
                                             guint         index);
const QsComponent *qs_model_lookup_component (QsModel     *self,
                                              const char  *name);

/**
 * qs_model_select_components:
 * @specs: (array zero-terminated=1) (nullable): "subfolder[:ClassName]"
 *   entries; %NULL or empty selects every component with weights
 *
 * Returns: (transfer container) (element-type QsComponent): the selected
 *   components, or %NULL with @error naming the first unknown subfolder and
 *   listing the valid ones
 */
GPtrArray        *qs_model_select_components (QsModel           *self,
                                              const char *const *specs,
                                              GError           **error);

/**
 * qs_hub_cache_get_roots:
 * @cache_dir: (nullable): an explicit cache folder
 *
 * Returns: (transfer full): the cache folders searched for an id, in order
 */
GStrv             qs_hub_cache_get_roots    (const char   *cache_dir);

/**
 * qs_hub_cache_is_repo_id:
 * @str: a string
 *
 * Checks whether @str has the form of a Hugging Face model id "org/name":
 * one "/", and letters, digits, "-", "_" and "." in each part, with no
 * "--" or "..".
 *
 * Returns: %TRUE when @str could name a hub model
 */
gboolean          qs_hub_cache_is_repo_id   (const char   *str);

/**
 * qs_hub_cache_resolve:
 * @repo_id: "org/name"
 * @cache_dir: (nullable): the first hub cache to search
 * @revision: (out) (optional): the commit that refs/main names
 *
 * Finds the snapshot folder of @repo_id in the cache roots that
 * qs_hub_cache_get_roots() returns, in order, without any network access.
 *
 * Returns: (transfer full): the snapshot folder, or %NULL with @error
 *   listing every folder searched and why each did not match
 */
char             *qs_hub_cache_resolve      (const char   *repo_id,
                                             const char   *cache_dir,
                                             char        **revision,
                                             GError      **error);

/**
 * QsHubCacheEntry:
 * @id: "org/name"
 * @snapshot: the snapshot folder that refs/main names
 * @size: the size of the snapshot's files, links followed, in bytes
 */
typedef struct
{
  char    *id;
  char    *snapshot;
  guint64  size;
} QsHubCacheEntry;

void              qs_hub_cache_entry_free   (QsHubCacheEntry *entry);

/**
 * qs_hub_cache_list_models:
 * @cache_dir: (nullable): an explicit cache folder, searched first
 *
 * Lists every cached model whose refs/main names an existing snapshot. A
 * model cached in several roots is listed once, from the first root.
 *
 * Returns: (transfer full) (element-type QsHubCacheEntry): the models
 *   found in every cache root, sorted by id
 */
GPtrArray        *qs_hub_cache_list_models  (const char   *cache_dir);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsModel, qs_model_unref)

G_END_DECLS
