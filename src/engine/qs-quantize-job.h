/* qs-quantize-job.h: writes an SDNQ-quantized copy of a model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "qs-analysis.h"
#include "qs-model.h"
#include "qs-sdnq-config.h"
#include "qs-svd.h"

G_BEGIN_DECLS

#define QS_QUANTIZE_ERROR (qs_quantize_error_quark ())

/**
 * QsQuantizeError:
 * @QS_QUANTIZE_ERROR_OUTPUT: the output path is unusable: inside, equal to
 *   or above the source, or not empty without overwriting
 * @QS_QUANTIZE_ERROR_CONFIG: the pipeline config names a component the
 *   model lacks, or a component has no config
 * @QS_QUANTIZE_ERROR_LAYER: a layer cannot be written, for example because
 *   its SVD failed or a tensor SDNQ would add already exists
 * @QS_QUANTIZE_ERROR_VERIFY: the written model does not read back as it was
 *   written
 */
typedef enum
{
  QS_QUANTIZE_ERROR_OUTPUT,
  QS_QUANTIZE_ERROR_CONFIG,
  QS_QUANTIZE_ERROR_LAYER,
  QS_QUANTIZE_ERROR_VERIFY,
} QsQuantizeError;

GQuark qs_quantize_error_quark (void);

/* save_sdnq_model's shard size: "5GB", 5·10⁹ bytes. */
#define QS_QUANTIZE_DEFAULT_MAX_SHARD_SIZE G_GUINT64_CONSTANT (5000000000)

/* The relative difference allowed between a layer's NMSE read back from the
 * files and the one computed while writing. */
#define QS_QUANTIZE_VERIFY_TOLERANCE 1e-6

/**
 * QsQuantizeSettings:
 * @output_path: the folder to create
 * @pipeline_config: (nullable) (element-type utf8 QsSdnqConfig): component
 *   name → config, from qs_pipeline_config_parse(); when set, exactly the
 *   components it names are quantized. For a model with one component, a
 *   config with one entry applies to it whatever the entry's name
 * @config: the config of every component when @pipeline_config is %NULL
 * @components: (nullable) (array zero-terminated=1): the subfolders to
 *   quantize, a subset of the model's (or of @pipeline_config's)
 * @max_shard_size: the largest sum of tensor data per safetensors file
 * @model_dtype: the dtype of the SVD factors (and of scales when
 *   dequantize_fp32 is off)
 * @load_dtype: how weights are read before quantizing: as stored, or
 *   rounded to bf16 or fp16 as SDNQ's bf16 load does
 * @seed: the seed of the randomized SVD's start
 * @n_threads: CPU threads, 0 for every core
 * @minimum_numel: SDNQConfig's minimum_allowed_numel: layers with fewer
 *   elements are left unquantized
 * @minimum_channel_size: SDNQConfig's minimum_allowed_channel_size
 * @overwrite: replace an output folder that is not empty
 * @verify: read the written model back and compare every layer
 *
 * What to write and how.
 */
typedef struct
{
  char          *output_path;
  GHashTable    *pipeline_config;
  QsSdnqConfig  *config;
  char         **components;
  guint64        max_shard_size;
  QsModelDtype   model_dtype;
  QsLoadDtype    load_dtype;
  guint64        seed;
  guint          n_threads;
  guint64        minimum_numel;
  gint64         minimum_channel_size;
  gboolean       overwrite;
  gboolean       verify;
} QsQuantizeSettings;

/* Creates settings with the defaults of SDNQ's quantize_pipeline.py: the
 * default SDNQConfig, 5 GB shards, bf16 SVD factors, weights as stored,
 * SDNQ's size minimums, seed 0, every core, verification on. */
QsQuantizeSettings *qs_quantize_settings_new  (void);
QsQuantizeSettings *qs_quantize_settings_copy (const QsQuantizeSettings *self);
void                qs_quantize_settings_free (QsQuantizeSettings       *self);

/**
 * QsQuantizeLayerRecord:
 * @component: the component name
 * @name: the parameter name, "<path>.weight"
 * @quantized: whether the layer was written quantized
 * @reason: (nullable): why an eligible layer was left unquantized and
 *   listed in modules_to_not_convert
 * @dtype: the weight dtype
 * @group_size: the resolved group size (-1 row-wise, -2 tensor-wise)
 * @svd_rank: the stored SVD rank, 0 without SVD
 * @use_quantized_matmul: whether quantized matmul applies
 * @transposed: whether the weight is stored transposed
 * @nmse: the NMSE of quantizing and dequantizing while writing
 * @verified_nmse: the NMSE of the weight read back from the files, or NaN
 *   when not verified
 * @original_bytes: the source tensor's size
 * @stored_bytes: the size of every tensor stored for the layer
 *
 * One eligible layer of a quantized component.
 */
typedef struct
{
  char     *component;
  char     *name;
  gboolean  quantized;
  char     *reason;
  char     *dtype;
  gint64    group_size;
  guint     svd_rank;
  gboolean  use_quantized_matmul;
  gboolean  transposed;
  double    nmse;
  double    verified_nmse;
  guint64   original_bytes;
  guint64   stored_bytes;
} QsQuantizeLayerRecord;

/**
 * QsQuantizeComponentRecord:
 * @name: the component name ("" for a model that is one folder or file)
 * @quantized: whether it was quantized; otherwise it was copied
 * @n_layers_quantized: layers written quantized
 * @n_layers_unquantized: eligible layers left unquantized and listed
 * @n_shards: safetensors files written
 * @original_bytes: the source tensors' size
 * @stored_bytes: the written tensors' size
 */
typedef struct
{
  char     *name;
  gboolean  quantized;
  guint     n_layers_quantized;
  guint     n_layers_unquantized;
  guint     n_shards;
  guint64   original_bytes;
  guint64   stored_bytes;
} QsQuantizeComponentRecord;

/**
 * QsQuantizeResult:
 * @output_path: the folder written
 * @components: (element-type QsQuantizeComponentRecord): every component
 *   with weights, in model order
 * @layers: (element-type QsQuantizeLayerRecord): every eligible layer of
 *   the quantized components
 * @notes: (element-type utf8): things the user should know, such as a layer
 *   whose options change because SDNQ reads the saved config with sorted keys
 * @verified: whether the output was read back and compared
 * @max_verify_difference: the largest relative NMSE difference found
 */
typedef struct
{
  char      *output_path;
  GPtrArray *components;
  GPtrArray *layers;
  GPtrArray *notes;
  gboolean   verified;
  double     max_verify_difference;
} QsQuantizeResult;

void qs_quantize_result_free (QsQuantizeResult *result);

#define QS_TYPE_QUANTIZE_JOB (qs_quantize_job_get_type ())

G_DECLARE_FINAL_TYPE (QsQuantizeJob, qs_quantize_job, QS, QUANTIZE_JOB, GObject)

/**
 * qs_quantize_job_new:
 * @model: the source model
 * @settings: what to write; copied
 *
 * Creates a job that writes @model quantized with SDNQ's format, as SDNQ's
 * quantize_pipeline.py and save_sdnq_model do. Layers are found by tensor,
 * with qs_classify_tensor(), because module classes are not stored: a 2-D
 * float `*.weight` is a Linear (or an Embedding by name) and a 3- to 5-D one
 * a Conv. Automatic skip keys (SDNQ's add_skip_keys) are not applied, so
 * the saved modules_to_not_convert lists exactly what was skipped. Progress
 * properties
 * (layers-done, layers-total, bytes-done, bytes-total, current-layer,
 * eta-seconds, fraction, stage) are notified on the main context of the
 * caller of qs_quantize_job_run_async(), coalesced to one idle at a time.
 *
 * Returns: (transfer full): the job
 */
QsQuantizeJob    *qs_quantize_job_new        (QsModel                  *model,
                                              const QsQuantizeSettings *settings);

/**
 * qs_quantize_job_run_async:
 * @cancellable: (nullable): checked before every layer and file
 *
 * Writes the model on a worker thread. The output is built in a hidden
 * folder `.<name>.partial-XXXXXX` beside the output and renamed into place
 * only once complete (and verified). A cancel, a crash or a full disk
 * therefore leaves nothing that looks finished, and on failure the folder
 * is removed.
 */
void              qs_quantize_job_run_async  (QsQuantizeJob       *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);

/**
 * qs_quantize_job_run_finish:
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 *   (%G_IO_ERROR_CANCELLED after a cancel)
 */
QsQuantizeResult *qs_quantize_job_run_finish (QsQuantizeJob  *self,
                                              GAsyncResult   *result,
                                              GError        **error);

/**
 * qs_quantize_job_run:
 *
 * Runs the job on the calling thread, for tests and tools without a main
 * loop. Progress is still notified through idles on the thread-default
 * main context.
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 */
QsQuantizeResult *qs_quantize_job_run        (QsQuantizeJob  *self,
                                              GCancellable   *cancellable,
                                              GError        **error);

guint             qs_quantize_job_get_layers_done   (QsQuantizeJob *self);
guint             qs_quantize_job_get_layers_total  (QsQuantizeJob *self);
guint64           qs_quantize_job_get_bytes_done    (QsQuantizeJob *self);
guint64           qs_quantize_job_get_bytes_total   (QsQuantizeJob *self);
/* The layer or file being processed, or %NULL. */
char             *qs_quantize_job_dup_current_layer (QsQuantizeJob *self);
/* "planning", "copying", "quantizing", "verifying" or "finishing". */
char             *qs_quantize_job_dup_stage         (QsQuantizeJob *self);
double            qs_quantize_job_get_eta_seconds   (QsQuantizeJob *self);
double            qs_quantize_job_get_fraction      (QsQuantizeJob *self);

/**
 * qs_quantize_parse_size:
 * @str: a size such as "5GB", "500MB", "64KiB" or "1048576"
 * @size: (out): the size in bytes
 *
 * Parses a shard size as huggingface_hub does: KB, MB and GB are powers of
 * 1000, KiB, MiB and GiB powers of 1024, case-insensitive, and a plain
 * number is bytes. The number may have a fraction ("1.5GB").
 *
 * Returns: %FALSE when @str is not a positive size
 */
gboolean          qs_quantize_parse_size     (const char *str,
                                              guint64    *size);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsQuantizeSettings, qs_quantize_settings_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsQuantizeResult, qs_quantize_result_free)

G_END_DECLS
