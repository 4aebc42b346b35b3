/* qs-sdnq-config.h: SDNQConfig keyword arguments, their JSON forms and
 * SDNQ's per-layer rules
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "qs-dtype.h"
#include "qs-quant.h"

G_BEGIN_DECLS

#define QS_SDNQ_CONFIG_ERROR (qs_sdnq_config_error_quark ())

/**
 * QsSdnqConfigError:
 * @QS_SDNQ_CONFIG_ERROR_INVALID: a key or value is invalid; the message
 *   names the component and the key
 */
typedef enum
{
  QS_SDNQ_CONFIG_ERROR_INVALID,
} QsSdnqConfigError;

GQuark qs_sdnq_config_error_quark (void);

/**
 * QsConfigStyle:
 * @QS_CONFIG_STYLE_SCRIPT: the analysis script's form: per-layer group size
 *   and SVD in `modules_group_size_dict` and `modules_svd_dict`, which only
 *   the CalamitousFelicitousness fork of SDNQ reads
 * @QS_CONFIG_STYLE_UPSTREAM: released SDNQ's form (Disty0/sdnq 0.2.x):
 *   per-layer group size and SVD in `modules_quant_config`
 */
typedef enum
{
  QS_CONFIG_STYLE_SCRIPT,
  QS_CONFIG_STYLE_UPSTREAM,
} QsConfigStyle;

const char *qs_config_style_to_string   (QsConfigStyle  style);
gboolean    qs_config_style_from_string (const char    *str,
                                         QsConfigStyle *style);

/**
 * QsPatternList:
 * @key: the dict key: a dtype name ("uint8"), a group size ("64") or an SVD
 *   rank ("32"); for modules_quant_config, the pattern itself
 * @patterns: (element-type utf8): module patterns, full parameter names in
 *   what Quantscope writes
 *
 * One entry of an ordered `{key: [patterns]}` dict. Order matters: SDNQ
 * checks keys in dict order and the first match wins.
 */
typedef struct
{
  char      *key;
  GPtrArray *patterns;
} QsPatternList;

/**
 * QsQuantOverride:
 * @pattern: the module pattern the override applies to
 * @has_weights_dtype: whether @weights_dtype is set
 * @weights_dtype: (nullable): the dtype for matching layers
 * @has_group_size: whether @group_size is set
 * @group_size: the group size for matching layers
 * @has_use_svd: whether @use_svd and @svd_rank are set
 * @use_svd: SVD on or off for matching layers
 * @svd_rank: the SVD rank when @use_svd
 * @has_use_quantized_matmul: whether @use_quantized_matmul is set
 * @use_quantized_matmul: quantized matmul for matching Linear layers
 * @has_use_quantized_matmul_conv: whether @use_quantized_matmul_conv is set
 * @use_quantized_matmul_conv: quantized matmul for matching conv layers
 *
 * One `modules_quant_config` entry: `{pattern: {kwargs}}`. SDNQ applies
 * every keyword of the entry. When a JSON entry sets only one of use_svd and
 * svd_rank, the other is filled from the config's global value, which
 * gives the same result.
 */
typedef struct
{
  char     *pattern;
  gboolean  has_weights_dtype;
  char     *weights_dtype;
  gboolean  has_group_size;
  gint64    group_size;
  gboolean  has_use_svd;
  gboolean  use_svd;
  guint     svd_rank;
  gboolean  has_use_quantized_matmul;
  gboolean  use_quantized_matmul;
  gboolean  has_use_quantized_matmul_conv;
  gboolean  use_quantized_matmul_conv;
} QsQuantOverride;

/**
 * QsSdnqConfig:
 * @weights_dtype: the base dtype (canonical name)
 * @group_size: the base group size (0 automatic, -1 row-wise)
 * @use_svd: SVD for every layer
 * @svd_rank: the base SVD rank
 * @svd_steps: power iterations of the SVD
 * @use_quantized_matmul: quantized matmul (transposed storage for 8-bit)
 * @use_quantized_matmul_conv: the same for conv layers
 * @dequantize_fp32: fp32 scales and zero points (SDNQ's default, TRUE)
 * @quant_conv: quantize Conv layers
 * @quant_embedding: quantize Embedding layers
 * @modules_to_not_convert: (element-type utf8): patterns left unquantized
 * @modules_to_not_use_matmul: (element-type utf8): patterns with qmm off
 * @modules_dtype_dict: (element-type QsPatternList): dtype → patterns
 * @modules_group_size_dict: (element-type QsPatternList): size → patterns
 *   (script style only)
 * @modules_svd_dict: (element-type QsPatternList): rank → patterns
 *   (script style only)
 * @modules_quant_config: (element-type QsQuantOverride): per-pattern
 *   overrides (upstream style)
 *
 * The SDNQConfig keyword arguments that Quantscope writes and reads. Keys
 * that SDNQ defines but Quantscope does not set are written with SDNQ's
 * defaults.
 */
typedef struct
{
  char      *weights_dtype;
  gint64     group_size;
  gboolean   use_svd;
  guint      svd_rank;
  guint      svd_steps;
  gboolean   use_quantized_matmul;
  gboolean   use_quantized_matmul_conv;
  gboolean   dequantize_fp32;
  gboolean   quant_conv;
  gboolean   quant_embedding;
  GPtrArray *modules_to_not_convert;
  GPtrArray *modules_to_not_use_matmul;
  GPtrArray *modules_dtype_dict;
  GPtrArray *modules_group_size_dict;
  GPtrArray *modules_svd_dict;
  GPtrArray *modules_quant_config;
} QsSdnqConfig;

/* Creates a config with SDNQ's defaults: int8, group size 0, no SVD
 * (rank 32, 8 steps), no quantized matmul, fp32 dequantization,
 * quant_conv and quant_embedding off, empty lists. */
QsSdnqConfig  *qs_sdnq_config_new            (void);
QsSdnqConfig  *qs_sdnq_config_copy           (const QsSdnqConfig *self);
void           qs_sdnq_config_free           (QsSdnqConfig       *self);

/* Compares every field, lists and dicts in order. */
gboolean       qs_sdnq_config_equal          (const QsSdnqConfig *a,
                                              const QsSdnqConfig *b);

/* Appends @pattern to the list for @key, creating the entry at the end
 * when @key is new. */
void           qs_pattern_dict_add           (GPtrArray          *dict,
                                              const char         *key,
                                              const char         *pattern);
void           qs_pattern_list_free          (QsPatternList      *list);
void           qs_quant_override_free        (QsQuantOverride    *override);

/**
 * qs_sdnq_config_to_json:
 * @style: how per-layer group size and SVD are written
 *
 * Converts the config to the keyword-argument object of the analysis
 * script's pipeline-config JSON. These keys are always written, even when
 * empty, so the shape is the same for every config: weights_dtype,
 * group_size, use_svd, svd_rank, svd_steps, use_quantized_matmul,
 * dequantize_fp32, modules_to_not_convert, modules_dtype_dict, and either
 * modules_group_size_dict and modules_svd_dict (script style, string keys)
 * or modules_quant_config (upstream style). The script style also writes
 * modules_quant_config when @self has entries there.
 * use_quantized_matmul_conv, quant_conv, quant_embedding and
 * modules_to_not_use_matmul are written only when they differ from SDNQ's
 * defaults. The fork's quantize_pipeline.py (commit dd6b8ac) drops these
 * four and modules_quant_config without a warning.
 *
 * The upstream style folds each modules_group_size_dict and modules_svd_dict
 * pattern into one modules_quant_config entry, placed before the existing
 * entries and merged with the first existing entry that matches the
 * pattern. Layers then resolve as before when the patterns are full
 * parameter names, as Quantscope writes them. Overlapping general patterns
 * can resolve differently, because SDNQ applies only the first matching
 * modules_quant_config entry.
 *
 * Returns: (transfer full): a JSON object node
 */
JsonNode      *qs_sdnq_config_to_json        (const QsSdnqConfig *self,
                                              QsConfigStyle       style);

/**
 * qs_sdnq_config_from_json:
 * @node: a keyword-argument object in either style, or a saved
 *   `quantization_config` (extra keys SDNQ writes, such as quant_method and
 *   sdnq_version, are accepted)
 * @component: the component name, for messages
 *
 * Parses and validates a config: every key must be known, dtypes must exist
 * (aliases accepted, canonicalised), group sizes must be 0, -1, -2 or
 * positive, ranks positive, patterns strings and patterns with "*" valid
 * regular expressions. Keys that are missing keep SDNQ's defaults. As
 * SDNQConfig does, null stands for an empty list or dict and a single
 * string for a one-pattern list. Keys of modules_group_size_dict and
 * modules_svd_dict are integers written as strings ("64", " +64").
 * use_hadamard and use_codebook must be false, because Quantscope does
 * not reproduce SDNQ's Hadamard rotation or codebook. The other saved keys
 * that do not change a layer's dtype, group size or SVD are checked for
 * their type and then ignored.
 *
 * Returns: (transfer full): the config, or %NULL with @error naming the
 *   component and the key
 */
QsSdnqConfig  *qs_sdnq_config_from_json      (JsonNode           *node,
                                              const char         *component,
                                              GError            **error);

/**
 * qs_sdnq_config_format_snippet:
 * @style: the form of per-layer group size and SVD
 *
 * Formats the config as Python: `SDNQConfig(weights_dtype="uint4", ...)`
 * with one keyword per line, the dicts and lists laid out one entry per
 * line, and only the keys that differ from SDNQ's defaults besides
 * weights_dtype and group_size. Entries keep the config's order, which is
 * the order SDNQ checks them in. The script style writes the keys of
 * modules_group_size_dict and modules_svd_dict as Python integers, as the
 * analysis script does. The upstream style folds them into
 * modules_quant_config as qs_sdnq_config_to_json() does. The text ends
 * with ")" and no newline.
 *
 * Returns: (transfer full): the snippet
 */
char          *qs_sdnq_config_format_snippet (const QsSdnqConfig *self,
                                              QsConfigStyle       style);

/**
 * qs_sdnq_pattern_matches:
 * @pattern: a module pattern
 * @param_name: a full parameter name, e.g. "blocks.0.attn.to_q.weight"
 *
 * Applies released SDNQ's name matching (`check_param_name_in`). A pattern
 * that starts with "." matches the names that start with the rest of it, a
 * prefix from the root, and no other rule is tried for it. Any other
 * pattern matches a name it equals or one dot-separated part of the name.
 * A pattern with "*" also matches as a regular expression anchored at the
 * start, where ".*" means a literal dot then anything and "*" means
 * anything. The fork's extra rule (the name ends with "." + pattern) is not
 * applied. An invalid regular expression matches nothing.
 */
gboolean       qs_sdnq_pattern_matches       (const char         *pattern,
                                              const char         *param_name);

/**
 * QsLayerQuantOptions:
 * @quantized: FALSE when modules_to_not_convert matches the layer, or
 *   when it is a Conv or Embedding layer and the config leaves that kind
 *   unquantized. The other fields still contain the options SDNQ would use
 * @dtype: the dtype SDNQ uses for the layer
 * @group_size: the requested group size (before resolution)
 * @use_svd: whether the layer has an SVD branch
 * @svd_rank: its rank
 * @use_quantized_matmul: whether quantized matmul applies under the config,
 *   the per-layer overrides and modules_to_not_use_matmul. It is always
 *   FALSE for Embedding, and the dimension gate is left to the caller
 *
 * The effective options of one layer under a config.
 */
typedef struct
{
  gboolean       quantized;
  const QsDtype *dtype;
  gint64         group_size;
  gboolean       use_svd;
  guint          svd_rank;
  gboolean       use_quantized_matmul;
} QsLayerQuantOptions;

/**
 * qs_sdnq_config_resolve_layer:
 * @param_name: the layer's full parameter name ("x.weight")
 * @kind: the layer kind; Conv and Embedding layers are left unquantized
 *   unless quant_conv / quant_embedding is set
 *
 * Derives a layer's options the way SDNQ does: modules_to_not_convert
 * first; then the first matching modules_quant_config entry overrides the
 * global options; then modules_dtype_dict in dict order (a plain dtype key
 * applies at once; a "minimum…"/"…bit(s)" key only raises the bit count);
 * then the first matching modules_group_size_dict and modules_svd_dict
 * entries (script style).
 */
void           qs_sdnq_config_resolve_layer  (const QsSdnqConfig  *self,
                                              const char          *param_name,
                                              QsLayerKind          kind,
                                              QsLayerQuantOptions *options);

/**
 * qs_pipeline_config_parse:
 * @node: the pipeline-config JSON: an object from subfolder to kwargs
 *
 * Returns: (transfer full) (element-type utf8 QsSdnqConfig): subfolder →
 *   config, or %NULL with @error naming the component and the key
 */
GHashTable    *qs_pipeline_config_parse      (JsonNode           *node,
                                              GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsSdnqConfig, qs_sdnq_config_free)

G_END_DECLS
