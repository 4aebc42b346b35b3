/* qs-sdnq-config.c: SDNQConfig keyword arguments, their JSON forms and
 * SDNQ's per-layer rules
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The rules follow released SDNQ (Disty0/sdnq 0.2.x, utils.py:
 * check_param_name_in, get_minimum_dtype, get_quant_kwargs) and the
 * CalamitousFelicitousness fork for modules_group_size_dict and
 * modules_svd_dict, which upstream does not read.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include "qs-sdnq-config.h"

G_DEFINE_QUARK (qs-sdnq-config-error-quark, qs_sdnq_config_error)

/* SDNQConfig's defaults in Disty0/sdnq 0.2.x. */
#define DEFAULT_WEIGHTS_DTYPE "int8"
#define DEFAULT_SVD_RANK 32
#define DEFAULT_SVD_STEPS 8
#define DEFAULT_DEQUANTIZE_FP32 TRUE

/* Keys of a saved quantization_config (SDNQConfig.__dict__) that do not
 * change a layer's dtype, group size, SVD or matmul choice, with the JSON
 * type SDNQ writes for each. They are checked for that type (null is
 * always allowed) and then ignored. quant_method, use_hadamard and
 * use_codebook are checked separately. */
typedef enum
{
  KEY_BOOLEAN,
  KEY_INTEGER,
  KEY_NUMBER,
  KEY_STRING,
} KeyType;

typedef struct
{
  const char *name;
  KeyType     type;
} IgnoredKey;

static const IgnoredKey ignored_keys[] = {
  { "add_skip_keys", KEY_BOOLEAN },
  { "codebook_steps", KEY_INTEGER },
  { "dynamic_loss_threshold", KEY_NUMBER },
  { "hadamard_group_size", KEY_INTEGER },
  { "is_integer", KEY_BOOLEAN },
  { "is_training", KEY_BOOLEAN },
  { "is_unsigned", KEY_BOOLEAN },
  { "minimum_allowed_channel_size", KEY_INTEGER },
  { "minimum_allowed_numel", KEY_INTEGER },
  { "non_blocking", KEY_BOOLEAN },
  { "quantization_device", KEY_STRING },
  { "quantized_matmul_dtype", KEY_STRING },
  { "return_device", KEY_STRING },
  { "sdnq_version", KEY_STRING },
  { "use_dynamic_quantization", KEY_BOOLEAN },
  { "use_grad_ckpt", KEY_BOOLEAN },
  { "use_static_quantization", KEY_BOOLEAN },
  { "use_stochastic_rounding", KEY_BOOLEAN },
};

/* Saved keys that a modules_quant_config entry may also hold, because SDNQ
 * lets an entry be a whole SDNQConfig. They do not change the layout that
 * Quantscope derives, so they are ignored there too. */
static const char *const ignored_override_keys[] = {
  "svd_steps",
  "dequantize_fp32",
  "quant_conv",
  "quant_embedding",
  "modules_to_not_convert",
  "modules_to_not_use_matmul",
  "modules_dtype_dict",
  "modules_quant_config",
};

const char *
qs_config_style_to_string (QsConfigStyle style)
{
  switch (style)
    {
    case QS_CONFIG_STYLE_SCRIPT:
      return "script";
    case QS_CONFIG_STYLE_UPSTREAM:
      return "upstream";
    default:
      g_return_val_if_reached (NULL);
    }
}

gboolean
qs_config_style_from_string (const char    *str,
                             QsConfigStyle *style)
{
  g_return_val_if_fail (str != NULL, FALSE);
  g_return_val_if_fail (style != NULL, FALSE);

  if (g_ascii_strcasecmp (str, "script") == 0)
    *style = QS_CONFIG_STYLE_SCRIPT;
  else if (g_ascii_strcasecmp (str, "upstream") == 0)
    *style = QS_CONFIG_STYLE_UPSTREAM;
  else
    return FALSE;

  return TRUE;
}

/* Lists and dicts */

static GPtrArray *
string_array_new (void)
{
  return g_ptr_array_new_with_free_func (g_free);
}

static GPtrArray *
pattern_dict_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) qs_pattern_list_free);
}

static GPtrArray *
override_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) qs_quant_override_free);
}

static void
string_array_extend (GPtrArray       *dest,
                     const GPtrArray *src)
{
  guint i;

  for (i = 0; i < src->len; i++)
    g_ptr_array_add (dest, g_strdup (g_ptr_array_index (src, i)));
}

static gboolean
string_arrays_equal (const GPtrArray *a,
                     const GPtrArray *b)
{
  guint i;

  if (a->len != b->len)
    return FALSE;

  for (i = 0; i < a->len; i++)
    if (g_strcmp0 (g_ptr_array_index (a, i), g_ptr_array_index (b, i)) != 0)
      return FALSE;

  return TRUE;
}

void
qs_pattern_list_free (QsPatternList *list)
{
  if (list == NULL)
    return;

  g_free (list->key);
  g_clear_pointer (&list->patterns, g_ptr_array_unref);
  g_free (list);
}

static QsPatternList *
pattern_list_new (const char *key)
{
  QsPatternList *list = g_new0 (QsPatternList, 1);

  list->key = g_strdup (key);
  list->patterns = string_array_new ();
  return list;
}

static QsPatternList *
pattern_dict_lookup (const GPtrArray *dict,
                     const char      *key)
{
  guint i;

  for (i = 0; i < dict->len; i++)
    {
      QsPatternList *list = g_ptr_array_index (dict, i);

      if (strcmp (list->key, key) == 0)
        return list;
    }

  return NULL;
}

static QsPatternList *
pattern_dict_ensure (GPtrArray  *dict,
                     const char *key)
{
  QsPatternList *list = pattern_dict_lookup (dict, key);

  if (list == NULL)
    {
      list = pattern_list_new (key);
      g_ptr_array_add (dict, list);
    }

  return list;
}

void
qs_pattern_dict_add (GPtrArray  *dict,
                     const char *key,
                     const char *pattern)
{
  g_return_if_fail (dict != NULL);
  g_return_if_fail (key != NULL);
  g_return_if_fail (pattern != NULL);

  g_ptr_array_add (pattern_dict_ensure (dict, key)->patterns, g_strdup (pattern));
}

static GPtrArray *
pattern_dict_copy (const GPtrArray *dict)
{
  GPtrArray *copy = pattern_dict_new ();
  guint i;

  for (i = 0; i < dict->len; i++)
    {
      const QsPatternList *list = g_ptr_array_index (dict, i);
      QsPatternList *list_copy = pattern_list_new (list->key);

      string_array_extend (list_copy->patterns, list->patterns);
      g_ptr_array_add (copy, list_copy);
    }

  return copy;
}

static gboolean
pattern_dicts_equal (const GPtrArray *a,
                     const GPtrArray *b)
{
  guint i;

  if (a->len != b->len)
    return FALSE;

  for (i = 0; i < a->len; i++)
    {
      const QsPatternList *la = g_ptr_array_index (a, i);
      const QsPatternList *lb = g_ptr_array_index (b, i);

      if (strcmp (la->key, lb->key) != 0 || !string_arrays_equal (la->patterns, lb->patterns))
        return FALSE;
    }

  return TRUE;
}

void
qs_quant_override_free (QsQuantOverride *override)
{
  if (override == NULL)
    return;

  g_free (override->pattern);
  g_free (override->weights_dtype);
  g_free (override);
}

static QsQuantOverride *
quant_override_copy (const QsQuantOverride *override)
{
  QsQuantOverride *copy = g_memdup2 (override, sizeof *override);

  copy->pattern = g_strdup (override->pattern);
  copy->weights_dtype = g_strdup (override->weights_dtype);
  return copy;
}

static gboolean
quant_overrides_equal (const QsQuantOverride *a,
                       const QsQuantOverride *b)
{
  if (g_strcmp0 (a->pattern, b->pattern) != 0)
    return FALSE;

  if (a->has_weights_dtype != b->has_weights_dtype
      || (a->has_weights_dtype && g_strcmp0 (a->weights_dtype, b->weights_dtype) != 0))
    return FALSE;

  if (a->has_group_size != b->has_group_size
      || (a->has_group_size && a->group_size != b->group_size))
    return FALSE;

  if (a->has_use_svd != b->has_use_svd
      || (a->has_use_svd && (!a->use_svd != !b->use_svd || a->svd_rank != b->svd_rank)))
    return FALSE;

  if (a->has_use_quantized_matmul != b->has_use_quantized_matmul
      || (a->has_use_quantized_matmul && !a->use_quantized_matmul != !b->use_quantized_matmul))
    return FALSE;

  if (a->has_use_quantized_matmul_conv != b->has_use_quantized_matmul_conv
      || (a->has_use_quantized_matmul_conv
          && !a->use_quantized_matmul_conv != !b->use_quantized_matmul_conv))
    return FALSE;

  return TRUE;
}

static const QsQuantOverride *
find_override (const GPtrArray *overrides,
               const char      *pattern)
{
  guint i;

  for (i = 0; i < overrides->len; i++)
    {
      const QsQuantOverride *override = g_ptr_array_index (overrides, i);

      if (strcmp (override->pattern, pattern) == 0)
        return override;
    }

  return NULL;
}

/* The config */

QsSdnqConfig *
qs_sdnq_config_new (void)
{
  QsSdnqConfig *self = g_new0 (QsSdnqConfig, 1);

  self->weights_dtype = g_strdup (DEFAULT_WEIGHTS_DTYPE);
  self->group_size = 0;
  self->use_svd = FALSE;
  self->svd_rank = DEFAULT_SVD_RANK;
  self->svd_steps = DEFAULT_SVD_STEPS;
  self->dequantize_fp32 = DEFAULT_DEQUANTIZE_FP32;
  self->modules_to_not_convert = string_array_new ();
  self->modules_to_not_use_matmul = string_array_new ();
  self->modules_dtype_dict = pattern_dict_new ();
  self->modules_group_size_dict = pattern_dict_new ();
  self->modules_svd_dict = pattern_dict_new ();
  self->modules_quant_config = override_array_new ();

  return self;
}

QsSdnqConfig *
qs_sdnq_config_copy (const QsSdnqConfig *self)
{
  QsSdnqConfig *copy;
  guint i;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  copy->weights_dtype = g_strdup (self->weights_dtype);
  copy->modules_to_not_convert = string_array_new ();
  string_array_extend (copy->modules_to_not_convert, self->modules_to_not_convert);
  copy->modules_to_not_use_matmul = string_array_new ();
  string_array_extend (copy->modules_to_not_use_matmul, self->modules_to_not_use_matmul);
  copy->modules_dtype_dict = pattern_dict_copy (self->modules_dtype_dict);
  copy->modules_group_size_dict = pattern_dict_copy (self->modules_group_size_dict);
  copy->modules_svd_dict = pattern_dict_copy (self->modules_svd_dict);
  copy->modules_quant_config = override_array_new ();
  for (i = 0; i < self->modules_quant_config->len; i++)
    g_ptr_array_add (copy->modules_quant_config,
                     quant_override_copy (g_ptr_array_index (self->modules_quant_config, i)));

  return copy;
}

void
qs_sdnq_config_free (QsSdnqConfig *self)
{
  if (self == NULL)
    return;

  g_free (self->weights_dtype);
  g_clear_pointer (&self->modules_to_not_convert, g_ptr_array_unref);
  g_clear_pointer (&self->modules_to_not_use_matmul, g_ptr_array_unref);
  g_clear_pointer (&self->modules_dtype_dict, g_ptr_array_unref);
  g_clear_pointer (&self->modules_group_size_dict, g_ptr_array_unref);
  g_clear_pointer (&self->modules_svd_dict, g_ptr_array_unref);
  g_clear_pointer (&self->modules_quant_config, g_ptr_array_unref);
  g_free (self);
}

gboolean
qs_sdnq_config_equal (const QsSdnqConfig *a,
                      const QsSdnqConfig *b)
{
  guint i;

  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  if (g_strcmp0 (a->weights_dtype, b->weights_dtype) != 0
      || a->group_size != b->group_size
      || !a->use_svd != !b->use_svd
      || a->svd_rank != b->svd_rank
      || a->svd_steps != b->svd_steps
      || !a->use_quantized_matmul != !b->use_quantized_matmul
      || !a->use_quantized_matmul_conv != !b->use_quantized_matmul_conv
      || !a->dequantize_fp32 != !b->dequantize_fp32
      || !a->quant_conv != !b->quant_conv
      || !a->quant_embedding != !b->quant_embedding)
    return FALSE;

  if (!string_arrays_equal (a->modules_to_not_convert, b->modules_to_not_convert)
      || !string_arrays_equal (a->modules_to_not_use_matmul, b->modules_to_not_use_matmul)
      || !pattern_dicts_equal (a->modules_dtype_dict, b->modules_dtype_dict)
      || !pattern_dicts_equal (a->modules_group_size_dict, b->modules_group_size_dict)
      || !pattern_dicts_equal (a->modules_svd_dict, b->modules_svd_dict))
    return FALSE;

  if (a->modules_quant_config->len != b->modules_quant_config->len)
    return FALSE;

  for (i = 0; i < a->modules_quant_config->len; i++)
    if (!quant_overrides_equal (g_ptr_array_index (a->modules_quant_config, i),
                                g_ptr_array_index (b->modules_quant_config, i)))
      return FALSE;

  return TRUE;
}

/* Name matching */

/* Rewrites a pattern as SDNQ does before re.match:
 * pattern.replace(".*", "\\.*").replace("*", ".*"). The two passes make
 * ".*" a literal dot followed by anything, and a lone "*" anything. Other
 * regular-expression characters are left as they are. */
static char *
pattern_to_regex (const char *pattern)
{
  GString *first = g_string_new (NULL);
  GString *second = g_string_new (NULL);
  const char *p;

  for (p = pattern; *p != '\0'; p++)
    {
      if (p[0] == '.' && p[1] == '*')
        {
          g_string_append (first, "\\.*");
          p++;
        }
      else
        {
          g_string_append_c (first, *p);
        }
    }

  for (p = first->str; *p != '\0'; p++)
    {
      if (*p == '*')
        g_string_append (second, ".*");
      else
        g_string_append_c (second, *p);
    }

  g_string_free (first, TRUE);
  return g_string_free (second, FALSE);
}

static GRegex *
compile_pattern (const char  *pattern,
                 GError     **error)
{
  g_autofree char *regex = pattern_to_regex (pattern);

  return g_regex_new (regex, 0, 0, error);
}

static gboolean
name_has_component (const char *param_name,
                    const char *pattern)
{
  gsize pattern_len = strlen (pattern);
  const char *start = param_name;

  /* Python's str.split(".") keeps empty parts, so every dot-separated
   * piece is compared, including empty ones. */
  for (;;)
    {
      const char *dot = strchr (start, '.');
      gsize len = dot != NULL ? (gsize) (dot - start) : strlen (start);

      if (len == pattern_len && strncmp (start, pattern, len) == 0)
        return TRUE;

      if (dot == NULL)
        return FALSE;

      start = dot + 1;
    }
}

gboolean
qs_sdnq_pattern_matches (const char *pattern,
                         const char *param_name)
{
  g_autoptr(GRegex) regex = NULL;

  g_return_val_if_fail (pattern != NULL, FALSE);
  g_return_val_if_fail (param_name != NULL, FALSE);

  /* A leading dot means a prefix from the root, and SDNQ tries no other
   * rule for such a pattern. */
  if (pattern[0] == '.')
    return g_str_has_prefix (param_name, pattern + 1);

  if (strcmp (pattern, param_name) == 0)
    return TRUE;

  if (name_has_component (param_name, pattern))
    return TRUE;

  if (strchr (pattern, '*') == NULL)
    return FALSE;

  /* re.match anchors at the start only, so "blocks.*" matches every name
   * that starts with "blocks.". PCRE and Python's re agree on the syntax
   * that module patterns use. */
  regex = compile_pattern (pattern, NULL);
  if (regex == NULL)
    return FALSE;

  return g_regex_match (regex, param_name, G_REGEX_MATCH_ANCHORED, NULL);
}

static const char *
first_matching_pattern (const GPtrArray *patterns,
                        const char      *param_name)
{
  guint i;

  for (i = 0; i < patterns->len; i++)
    {
      const char *pattern = g_ptr_array_index (patterns, i);

      if (qs_sdnq_pattern_matches (pattern, param_name))
        return pattern;
    }

  return NULL;
}

static const QsPatternList *
first_matching_list (const GPtrArray *dict,
                     const char      *param_name)
{
  guint i;

  for (i = 0; i < dict->len; i++)
    {
      const QsPatternList *list = g_ptr_array_index (dict, i);

      if (first_matching_pattern (list->patterns, param_name) != NULL)
        return list;
    }

  return NULL;
}

static const QsQuantOverride *
first_matching_override (const GPtrArray *overrides,
                         const char      *param_name)
{
  guint i;

  for (i = 0; i < overrides->len; i++)
    {
      const QsQuantOverride *override = g_ptr_array_index (overrides, i);

      if (qs_sdnq_pattern_matches (override->pattern, param_name))
        return override;
    }

  return NULL;
}

/* modules_dtype_dict keys */

static gboolean
is_minimum_key (const char *lower_key)
{
  return g_str_has_prefix (lower_key, "minimum")
         || g_str_has_suffix (lower_key, "bit")
         || g_str_has_suffix (lower_key, "bits");
}

static const char *
remove_prefix (const char *str,
               const char *prefix)
{
  return g_str_has_prefix (str, prefix) ? str + strlen (prefix) : str;
}

static void
remove_suffix (GString    *str,
               const char *suffix)
{
  gsize len = strlen (suffix);

  if (str->len >= len && strcmp (str->str + str->len - len, suffix) == 0)
    g_string_truncate (str, str->len - len);
}

/* Returns the dtype name a minimum key raises a layer to, with the bit
 * count in @bits, or NULL when the key has no bit count. The steps are
 * get_minimum_dtype's: strip "minimum", "-", "_" at the front and "bits",
 * "bit", "-", "_" at the end, each at most once and in that order, then
 * "uint" (unsigned) or "int". The result is "uint"+N when the key says uint
 * or N <= 4, otherwise "int"+N, built from the digits as written. Python's
 * int() also takes signs, spaces and underscores, but only plain digits
 * are accepted here. */
static char *
minimum_key_target (const char *lower_key,
                    guint      *bits)
{
  g_autoptr(GString) rest = NULL;
  const char *digits;
  gboolean is_unsigned;
  guint64 value;
  const char *p;

  rest = g_string_new (remove_prefix (remove_prefix (remove_prefix (lower_key, "minimum"), "-"), "_"));
  remove_suffix (rest, "bits");
  remove_suffix (rest, "bit");
  remove_suffix (rest, "-");
  remove_suffix (rest, "_");

  is_unsigned = g_str_has_prefix (rest->str, "uint");
  digits = is_unsigned ? rest->str + 4 : remove_prefix (rest->str, "int");

  if (*digits == '\0' || strlen (digits) > 3)
    return NULL;

  for (p = digits; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return NULL;

  value = g_ascii_strtoull (digits, NULL, 10);
  *bits = (guint) value;

  return g_strconcat (is_unsigned || value <= 4 ? "uint" : "int", digits, NULL);
}

/* Applies modules_dtype_dict as get_minimum_dtype does: keys in dict order,
 * a plain dtype key whose patterns match applies at once, a matching
 * minimum key applies only when it raises the bit count and otherwise the
 * search goes on. */
static const QsDtype *
apply_dtype_dict (const GPtrArray *dict,
                  const char      *param_name,
                  const QsDtype   *dtype)
{
  guint i;

  for (i = 0; i < dict->len; i++)
    {
      const QsPatternList *list = g_ptr_array_index (dict, i);
      g_autofree char *lower = NULL;
      const QsDtype *found;

      if (first_matching_pattern (list->patterns, param_name) == NULL)
        continue;

      lower = g_ascii_strdown (list->key, -1);

      if (is_minimum_key (lower))
        {
          g_autofree char *target = NULL;
          guint bits = 0;

          target = minimum_key_target (lower, &bits);
          if (target == NULL || dtype->num_bits >= bits)
            continue;

          found = qs_dtype_lookup (target);
          if (found != NULL)
            return found;

          continue;
        }

      /* Parsed configs contain only known dtypes. A config built in code
       * may contain an unknown key, where SDNQ would raise KeyError, and
       * such a key is skipped. */
      found = qs_dtype_lookup (lower);
      if (found != NULL)
        return found;
    }

  return dtype;
}

/* Per-layer resolution */

void
qs_sdnq_config_resolve_layer (const QsSdnqConfig  *self,
                              const char          *param_name,
                              QsLayerKind          kind,
                              QsLayerQuantOptions *options)
{
  const QsQuantOverride *override;
  const QsPatternList *list;
  const QsDtype *dtype;
  gboolean qmm;
  gboolean qmm_conv;

  g_return_if_fail (self != NULL);
  g_return_if_fail (param_name != NULL);
  g_return_if_fail (options != NULL);

  dtype = qs_dtype_lookup (self->weights_dtype);
  g_return_if_fail (dtype != NULL);

  memset (options, 0, sizeof *options);

  /* 1. Layer selection. SDNQ quantizes Linear always, Conv only with
   * quant_conv and Embedding only with quant_embedding, and leaves every
   * layer that a modules_to_not_convert pattern matches. */
  options->quantized = first_matching_pattern (self->modules_to_not_convert, param_name) == NULL;
  if (kind == QS_LAYER_CONV && !self->quant_conv)
    options->quantized = FALSE;
  if (kind == QS_LAYER_EMBEDDING && !self->quant_embedding)
    options->quantized = FALSE;

  /* 2. The global options, overridden by every keyword of the first
   * modules_quant_config entry whose pattern matches (get_quant_kwargs). */
  options->group_size = self->group_size;
  options->use_svd = self->use_svd;
  options->svd_rank = self->svd_rank;
  qmm = self->use_quantized_matmul;
  qmm_conv = self->use_quantized_matmul_conv;

  override = first_matching_override (self->modules_quant_config, param_name);
  if (override != NULL)
    {
      if (override->has_weights_dtype && qs_dtype_lookup (override->weights_dtype) != NULL)
        dtype = qs_dtype_lookup (override->weights_dtype);
      if (override->has_group_size)
        options->group_size = override->group_size;
      if (override->has_use_svd)
        {
          options->use_svd = override->use_svd;
          options->svd_rank = override->svd_rank;
        }
      if (override->has_use_quantized_matmul)
        qmm = override->use_quantized_matmul;
      if (override->has_use_quantized_matmul_conv)
        qmm_conv = override->use_quantized_matmul_conv;
    }

  /* 3. modules_dtype_dict, starting from the dtype of step 2, so a minimum
   * key compares against the overridden dtype. */
  options->dtype = apply_dtype_dict (self->modules_dtype_dict, param_name, dtype);

  /* 4. The fork's per-layer dicts, first matching key each. The fork's
   * analysis script pairs them only with modules_quant_config entries that
   * turn quantized matmul off, so their order against step 2 matters only
   * for configs written by hand. They are applied last, so the script's
   * per-layer group sizes and ranks win. */
  list = first_matching_list (self->modules_group_size_dict, param_name);
  if (list != NULL)
    options->group_size = g_ascii_strtoll (list->key, NULL, 10);

  list = first_matching_list (self->modules_svd_dict, param_name);
  if (list != NULL)
    {
      options->use_svd = TRUE;
      options->svd_rank = (guint) g_ascii_strtoull (list->key, NULL, 10);
    }

  /* 5. Quantized matmul: conv layers read use_quantized_matmul_conv,
   * embeddings never use it, and modules_to_not_use_matmul turns it off. */
  switch (kind)
    {
    case QS_LAYER_CONV:
      options->use_quantized_matmul = qmm_conv;
      break;
    case QS_LAYER_EMBEDDING:
      options->use_quantized_matmul = FALSE;
      break;
    case QS_LAYER_LINEAR:
    default:
      options->use_quantized_matmul = qmm;
      break;
    }

  if (first_matching_pattern (self->modules_to_not_use_matmul, param_name) != NULL)
    options->use_quantized_matmul = FALSE;
}

/* Folding the fork's dicts into modules_quant_config */

static void
copy_override_settings (QsQuantOverride       *dest,
                        const QsQuantOverride *src)
{
  if (src == NULL)
    return;

  dest->has_weights_dtype = src->has_weights_dtype;
  dest->weights_dtype = g_strdup (src->weights_dtype);
  dest->has_group_size = src->has_group_size;
  dest->group_size = src->group_size;
  dest->has_use_svd = src->has_use_svd;
  dest->use_svd = src->use_svd;
  dest->svd_rank = src->svd_rank;
  dest->has_use_quantized_matmul = src->has_use_quantized_matmul;
  dest->use_quantized_matmul = src->use_quantized_matmul;
  dest->has_use_quantized_matmul_conv = src->has_use_quantized_matmul_conv;
  dest->use_quantized_matmul_conv = src->use_quantized_matmul_conv;
}

/* Returns the entry for @pattern among @folded, creating it from the first
 * existing entry that matches @pattern read as a parameter name. That
 * entry is what the layer got in the script style, because SDNQ applies
 * only the first match. */
static QsQuantOverride *
folded_entry (GPtrArray       *folded,
              const GPtrArray *existing,
              const char      *pattern)
{
  QsQuantOverride *entry = (QsQuantOverride *) find_override (folded, pattern);

  if (entry == NULL)
    {
      entry = g_new0 (QsQuantOverride, 1);
      entry->pattern = g_strdup (pattern);
      copy_override_settings (entry, first_matching_override (existing, pattern));
      g_ptr_array_add (folded, entry);
    }

  return entry;
}

/* Returns (transfer full) modules_quant_config with the per-layer group
 * sizes and SVD ranks folded in: the folded entries first, then the
 * existing entries whose pattern was not folded. */
static GPtrArray *
fold_per_layer_dicts (const QsSdnqConfig *self)
{
  GPtrArray *folded = override_array_new ();
  g_autoptr(GHashTable) sized = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) ranked = g_hash_table_new (g_str_hash, g_str_equal);
  guint i;
  guint j;

  for (i = 0; i < self->modules_group_size_dict->len; i++)
    {
      const QsPatternList *list = g_ptr_array_index (self->modules_group_size_dict, i);

      for (j = 0; j < list->patterns->len; j++)
        {
          const char *pattern = g_ptr_array_index (list->patterns, j);
          QsQuantOverride *entry;

          /* The first key that lists a pattern wins, as in the fork. */
          if (!g_hash_table_add (sized, (gpointer) pattern))
            continue;

          entry = folded_entry (folded, self->modules_quant_config, pattern);
          entry->has_group_size = TRUE;
          entry->group_size = g_ascii_strtoll (list->key, NULL, 10);
        }
    }

  for (i = 0; i < self->modules_svd_dict->len; i++)
    {
      const QsPatternList *list = g_ptr_array_index (self->modules_svd_dict, i);

      for (j = 0; j < list->patterns->len; j++)
        {
          const char *pattern = g_ptr_array_index (list->patterns, j);
          QsQuantOverride *entry;

          if (!g_hash_table_add (ranked, (gpointer) pattern))
            continue;

          entry = folded_entry (folded, self->modules_quant_config, pattern);
          entry->has_use_svd = TRUE;
          entry->use_svd = TRUE;
          entry->svd_rank = (guint) g_ascii_strtoull (list->key, NULL, 10);
        }
    }

  /* An existing entry with a folded pattern is shadowed by the folded one,
   * and a JSON object cannot hold the key twice, so it is dropped. */
  for (i = 0; i < self->modules_quant_config->len; i++)
    {
      const QsQuantOverride *override = g_ptr_array_index (self->modules_quant_config, i);

      if (find_override (folded, override->pattern) == NULL)
        g_ptr_array_add (folded, quant_override_copy (override));
    }

  return folded;
}

/* Returns whether an entry before @index has the same pattern. SDNQ never
 * reaches such an entry, and a JSON object or Python dict keeps only one
 * value per key, so writers skip it. */
static gboolean
override_is_shadowed (const GPtrArray *overrides,
                      guint            index)
{
  const QsQuantOverride *override = g_ptr_array_index (overrides, index);
  guint i;

  for (i = 0; i < index; i++)
    {
      const QsQuantOverride *earlier = g_ptr_array_index (overrides, i);

      if (strcmp (earlier->pattern, override->pattern) == 0)
        return TRUE;
    }

  return FALSE;
}

/* JSON output */

static void
add_string_list (JsonBuilder     *builder,
                 const char      *name,
                 const GPtrArray *patterns)
{
  guint i;

  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (i = 0; i < patterns->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (patterns, i));
  json_builder_end_array (builder);
}

static void
add_pattern_dict (JsonBuilder     *builder,
                  const char      *name,
                  const GPtrArray *dict)
{
  guint i;

  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  for (i = 0; i < dict->len; i++)
    {
      const QsPatternList *list = g_ptr_array_index (dict, i);

      add_string_list (builder, list->key, list->patterns);
    }
  json_builder_end_object (builder);
}

static void
add_overrides (JsonBuilder     *builder,
               const GPtrArray *overrides)
{
  guint i;

  json_builder_set_member_name (builder, "modules_quant_config");
  json_builder_begin_object (builder);
  for (i = 0; i < overrides->len; i++)
    {
      const QsQuantOverride *override = g_ptr_array_index (overrides, i);

      if (override_is_shadowed (overrides, i))
        continue;

      json_builder_set_member_name (builder, override->pattern);
      json_builder_begin_object (builder);
      if (override->has_weights_dtype)
        {
          json_builder_set_member_name (builder, "weights_dtype");
          json_builder_add_string_value (builder, override->weights_dtype);
        }
      if (override->has_group_size)
        {
          json_builder_set_member_name (builder, "group_size");
          json_builder_add_int_value (builder, override->group_size);
        }
      if (override->has_use_svd)
        {
          json_builder_set_member_name (builder, "use_svd");
          json_builder_add_boolean_value (builder, override->use_svd);
          json_builder_set_member_name (builder, "svd_rank");
          json_builder_add_int_value (builder, override->svd_rank);
        }
      if (override->has_use_quantized_matmul)
        {
          json_builder_set_member_name (builder, "use_quantized_matmul");
          json_builder_add_boolean_value (builder, override->use_quantized_matmul);
        }
      if (override->has_use_quantized_matmul_conv)
        {
          json_builder_set_member_name (builder, "use_quantized_matmul_conv");
          json_builder_add_boolean_value (builder, override->use_quantized_matmul_conv);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_boolean (JsonBuilder *builder,
             const char  *name,
             gboolean     value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

JsonNode *
qs_sdnq_config_to_json (const QsSdnqConfig *self,
                        QsConfigStyle       style)
{
  g_autoptr(JsonBuilder) builder = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  builder = json_builder_new ();
  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "weights_dtype");
  json_builder_add_string_value (builder, self->weights_dtype);
  add_int (builder, "group_size", self->group_size);
  add_boolean (builder, "use_svd", self->use_svd);
  add_int (builder, "svd_rank", self->svd_rank);
  add_int (builder, "svd_steps", self->svd_steps);
  add_boolean (builder, "use_quantized_matmul", self->use_quantized_matmul);
  add_boolean (builder, "dequantize_fp32", self->dequantize_fp32);
  add_string_list (builder, "modules_to_not_convert", self->modules_to_not_convert);
  add_pattern_dict (builder, "modules_dtype_dict", self->modules_dtype_dict);

  if (style == QS_CONFIG_STYLE_UPSTREAM)
    {
      g_autoptr(GPtrArray) folded = fold_per_layer_dicts (self);

      add_overrides (builder, folded);
    }
  else
    {
      add_pattern_dict (builder, "modules_group_size_dict", self->modules_group_size_dict);
      add_pattern_dict (builder, "modules_svd_dict", self->modules_svd_dict);
      if (self->modules_quant_config->len > 0)
        add_overrides (builder, self->modules_quant_config);
    }

  if (self->use_quantized_matmul_conv)
    add_boolean (builder, "use_quantized_matmul_conv", TRUE);
  if (self->quant_conv)
    add_boolean (builder, "quant_conv", TRUE);
  if (self->quant_embedding)
    add_boolean (builder, "quant_embedding", TRUE);
  if (self->modules_to_not_use_matmul->len > 0)
    add_string_list (builder, "modules_to_not_use_matmul", self->modules_to_not_use_matmul);

  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* JSON input */

typedef struct
{
  const char  *prefix;
  GError     **error;
} ParseContext;

static gboolean set_invalid (ParseContext *ctx,
                             const char   *format,
                             ...) G_GNUC_PRINTF (2, 3);

static gboolean
set_invalid (ParseContext *ctx,
             const char   *format,
             ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (ctx->error, QS_SDNQ_CONFIG_ERROR, QS_SDNQ_CONFIG_ERROR_INVALID,
               "%s: %s", ctx->prefix, detail);
  return FALSE;
}

static const char *
describe_node (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      return "an object";
    case JSON_NODE_ARRAY:
      return "a list";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
    default:
      break;
    }

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return "a string";
    case G_TYPE_INT64:
      return "an integer";
    case G_TYPE_DOUBLE:
      return "a floating-point number";
    case G_TYPE_BOOLEAN:
      return "true or false";
    default:
      return "a value of another type";
    }
}

static gboolean
node_holds (JsonNode *node,
            GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
parse_boolean (ParseContext *ctx,
               const char   *field,
               JsonNode     *node,
               gboolean     *out)
{
  if (!node_holds (node, G_TYPE_BOOLEAN))
    return set_invalid (ctx, _("%s must be true or false, not %s"), field, describe_node (node));

  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
parse_group_size_value (ParseContext *ctx,
                        const char   *field,
                        gint64        value)
{
  if (value < -2)
    return set_invalid (ctx, _("%s %lld is invalid: use 0 (automatic), "
                               "-1 (one group per row), -2 (one group per tensor) or a "
                               "positive size"), field, (long long) value);

  return TRUE;
}

static gboolean
parse_group_size (ParseContext *ctx,
                  const char   *field,
                  JsonNode     *node,
                  gint64       *out)
{
  if (!node_holds (node, G_TYPE_INT64))
    return set_invalid (ctx, _("%s must be an integer, not %s"), field, describe_node (node));

  if (!parse_group_size_value (ctx, field, json_node_get_int (node)))
    return FALSE;

  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
parse_positive (ParseContext *ctx,
                const char   *field,
                JsonNode     *node,
                guint        *out)
{
  gint64 value;

  if (!node_holds (node, G_TYPE_INT64))
    return set_invalid (ctx, _("%s must be a positive integer, not %s"), field, describe_node (node));

  value = json_node_get_int (node);
  if (value <= 0)
    return set_invalid (ctx, _("%s must be a positive integer, not %lld"),
                        field, (long long) value);
  if (value > G_MAXINT)
    return set_invalid (ctx, _("%s %lld is above the limit of %d"),
                        field, (long long) value, G_MAXINT);

  *out = (guint) value;
  return TRUE;
}

static gboolean
parse_dtype (ParseContext  *ctx,
             const char    *field,
             JsonNode      *node,
             char         **out)
{
  const QsDtype *dtype;
  const char *name;

  if (!node_holds (node, G_TYPE_STRING))
    return set_invalid (ctx, _("%s must be a dtype name, not %s"), field, describe_node (node));

  name = json_node_get_string (node);
  dtype = qs_dtype_lookup (name);
  if (dtype == NULL)
    return set_invalid (ctx, _("%s “%s” is not an SDNQ dtype"), field, name);

  g_free (*out);
  *out = g_strdup (dtype->name);
  return TRUE;
}

static gboolean
check_pattern (ParseContext *ctx,
               const char   *field,
               const char   *pattern)
{
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GError) local_error = NULL;

  /* SDNQ compiles only patterns that contain "*" and do not start with "."
   * and fails at quantization time when one is invalid. */
  if (pattern[0] == '.' || strchr (pattern, '*') == NULL)
    return TRUE;

  regex = compile_pattern (pattern, &local_error);
  if (regex == NULL)
    return set_invalid (ctx, _("pattern “%s” in %s is not a valid regular expression: %s"),
                        pattern, field, local_error->message);

  return TRUE;
}

/* Reads a list of patterns into @out. As SDNQConfig does, null is an empty
 * list and a single string a one-pattern list. */
static gboolean
parse_pattern_list (ParseContext *ctx,
                    const char   *field,
                    JsonNode     *node,
                    GPtrArray    *out)
{
  JsonArray *array;
  guint i;

  if (JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (node_holds (node, G_TYPE_STRING))
    {
      if (!check_pattern (ctx, field, json_node_get_string (node)))
        return FALSE;
      g_ptr_array_add (out, g_strdup (json_node_get_string (node)));
      return TRUE;
    }

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return set_invalid (ctx, _("%s must be a list of patterns, not %s"), field, describe_node (node));

  array = json_node_get_array (node);
  for (i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      const char *pattern;

      if (!node_holds (element, G_TYPE_STRING))
        return set_invalid (ctx, _("%s entry %u must be a pattern string, not %s"),
                            field, i + 1, describe_node (element));

      pattern = json_node_get_string (element);
      if (!check_pattern (ctx, field, pattern))
        return FALSE;

      g_ptr_array_add (out, g_strdup (pattern));
    }

  return TRUE;
}

/* Returns the canonical form of a modules_dtype_dict key: the canonical
 * dtype name for a plain key, the lower-cased key (SDNQ lower-cases it too)
 * for a minimum key. */
static char *
canonical_dtype_key (ParseContext *ctx,
                     const char   *key)
{
  g_autofree char *lower = g_ascii_strdown (key, -1);
  const QsDtype *dtype;

  if (is_minimum_key (lower))
    {
      g_autofree char *target = NULL;
      guint bits = 0;

      target = minimum_key_target (lower, &bits);
      if (target == NULL)
        {
          set_invalid (ctx, _("modules_dtype_dict key “%s” is neither an SDNQ dtype nor a "
                         "minimum bit count such as “minimum_6bit” or “minimum_uint4bit”"), key);
          return NULL;
        }

      if (qs_dtype_lookup (target) == NULL)
        {
          set_invalid (ctx, _("modules_dtype_dict key “%s” asks for %s, which is not an "
                         "SDNQ dtype"), key, target);
          return NULL;
        }

      return g_steal_pointer (&lower);
    }

  dtype = qs_dtype_lookup (lower);
  if (dtype == NULL)
    {
      set_invalid (ctx, _("modules_dtype_dict key “%s” is not an SDNQ dtype"), key);
      return NULL;
    }

  return g_strdup (dtype->name);
}

/* Parses an integer dict key as Python's int() does for plain decimal
 * text: spaces around it and a sign are allowed. */
static gboolean
parse_int_key (const char *key,
               gint64     *out)
{
  g_autofree char *stripped = g_strstrip (g_strdup (key));
  const char *digits = stripped;
  const char *p;

  if (*digits == '+' || *digits == '-')
    digits++;

  if (*digits == '\0' || strlen (digits) > 18)
    return FALSE;

  for (p = digits; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;

  *out = g_ascii_strtoll (stripped, NULL, 10);
  return TRUE;
}

typedef enum
{
  DICT_DTYPE,
  DICT_GROUP_SIZE,
  DICT_SVD_RANK,
} DictKind;

static char *
canonical_int_key (ParseContext *ctx,
                   const char   *dict_name,
                   DictKind      kind,
                   const char   *key)
{
  gint64 value = 0;

  if (!parse_int_key (key, &value))
    {
      set_invalid (ctx, _("%s key “%s” must be an integer %s"), dict_name, key,
                   kind == DICT_GROUP_SIZE ? "group size" : "SVD rank");
      return NULL;
    }

  if (kind == DICT_GROUP_SIZE)
    {
      g_autofree char *field = g_strdup_printf ("%s key", dict_name);

      if (!parse_group_size_value (ctx, field, value))
        return NULL;
    }
  else if (value <= 0 || value > G_MAXINT)
    {
      set_invalid (ctx, _("%s key “%s” must be a positive SVD rank"), dict_name, key);
      return NULL;
    }

  return g_strdup_printf ("%" G_GINT64_FORMAT, value);
}

static gboolean
parse_pattern_dict (ParseContext *ctx,
                    const char   *dict_name,
                    DictKind      kind,
                    JsonNode     *node,
                    GPtrArray    *out)
{
  g_autoptr(GHashTable) original_keys = NULL;
  g_autoptr(GList) members = NULL;
  JsonObject *object;
  GList *l;

  if (JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return set_invalid (ctx, _("%s must be an object from key to a list of patterns, not %s"),
                        dict_name, describe_node (node));

  original_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  object = json_node_get_object (node);

  /* json-glib keeps the members in file order, as Python's json does, and
   * SDNQ's first-match rule depends on that order. */
  members = json_object_get_members (object);
  for (l = members; l != NULL; l = l->next)
    {
      const char *key = l->data;
      g_autofree char *canonical = NULL;
      g_autofree char *field = NULL;
      const char *previous;
      QsPatternList *list;

      if (kind == DICT_DTYPE)
        canonical = canonical_dtype_key (ctx, key);
      else
        canonical = canonical_int_key (ctx, dict_name, kind, key);

      if (canonical == NULL)
        return FALSE;

      /* Two keys with one meaning ("fp8" and "float8_e4m3fn") would merge
       * into the first one's place and could change which key matches
       * first, so they are refused. */
      previous = g_hash_table_lookup (original_keys, canonical);
      if (previous != NULL)
        return set_invalid (ctx, _("%s keys “%s” and “%s” mean the same; merge their lists"),
                            dict_name, previous, key);
      g_hash_table_insert (original_keys, g_strdup (canonical), g_strdup (key));

      field = g_strdup_printf ("%s[“%s”]", dict_name, key);
      list = pattern_list_new (canonical);
      g_ptr_array_add (out, list);
      if (!parse_pattern_list (ctx, field, json_object_get_member (object, key), list->patterns))
        return FALSE;
    }

  return TRUE;
}

static gboolean
is_listed (const char *const *keys,
           gsize              n_keys,
           const char        *key)
{
  gsize i;

  for (i = 0; i < n_keys; i++)
    if (strcmp (keys[i], key) == 0)
      return TRUE;

  return FALSE;
}

/* Checks the saved keys that Quantscope does not model: quant_method must
 * be SDNQ's, and use_hadamard and use_codebook must be off, because both
 * change the stored tensors in ways Quantscope does not reproduce. Returns
 * FALSE with the error set when the key is known but invalid, and sets
 * @known when @key is one of them. */
static gboolean
parse_ignored_key (ParseContext *ctx,
                   const char   *field,
                   const char   *key,
                   JsonNode     *node,
                   gboolean     *known)
{
  gsize i;

  *known = TRUE;

  if (strcmp (key, "quant_method") == 0)
    {
      if (!node_holds (node, G_TYPE_STRING))
        return set_invalid (ctx, _("%s must be “sdnq”, not %s"), field, describe_node (node));
      if (strcmp (json_node_get_string (node), "sdnq") != 0)
        return set_invalid (ctx, _("%s must be “sdnq”, not “%s”"), field, json_node_get_string (node));
      return TRUE;
    }

  if (strcmp (key, "use_hadamard") == 0 || strcmp (key, "use_codebook") == 0)
    {
      gboolean value = FALSE;

      if (!JSON_NODE_HOLDS_NULL (node) && !parse_boolean (ctx, field, node, &value))
        return FALSE;

      if (value)
        return set_invalid (ctx, _("%s is true, but Quantscope does not reproduce SDNQ's %s, "
                              "so it cannot use this config"), field,
                            strcmp (key, "use_hadamard") == 0 ? "Hadamard rotation"
                                                             : "codebook quantization");
      return TRUE;
    }

  for (i = 0; i < G_N_ELEMENTS (ignored_keys); i++)
    {
      if (strcmp (ignored_keys[i].name, key) != 0)
        continue;

      if (JSON_NODE_HOLDS_NULL (node))
        return TRUE;

      switch (ignored_keys[i].type)
        {
        case KEY_BOOLEAN:
          if (!node_holds (node, G_TYPE_BOOLEAN))
            return set_invalid (ctx, _("%s must be true or false, not %s"), field, describe_node (node));
          break;
        case KEY_INTEGER:
          if (!node_holds (node, G_TYPE_INT64))
            return set_invalid (ctx, _("%s must be an integer, not %s"), field, describe_node (node));
          break;
        case KEY_NUMBER:
          if (!node_holds (node, G_TYPE_INT64) && !node_holds (node, G_TYPE_DOUBLE))
            return set_invalid (ctx, _("%s must be a number, not %s"), field, describe_node (node));
          break;
        case KEY_STRING:
        default:
          if (!node_holds (node, G_TYPE_STRING))
            return set_invalid (ctx, _("%s must be a string, not %s"), field, describe_node (node));
          break;
        }

      return TRUE;
    }

  *known = FALSE;
  return TRUE;
}

/* Reads one modules_quant_config entry. Keys that only one of use_svd and
 * svd_rank sets are completed from the globals afterwards, so the entry
 * records which of the two it saw. */
static gboolean
parse_override (ParseContext     *ctx,
                const char       *pattern,
                JsonNode         *node,
                QsQuantOverride  *override,
                gboolean         *saw_use_svd,
                gboolean         *saw_svd_rank)
{
  g_autoptr(GList) members = NULL;
  JsonObject *object;
  GList *l;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return set_invalid (ctx, _("modules_quant_config[“%s”] must be an object of keyword "
                          "arguments, not %s"), pattern, describe_node (node));

  object = json_node_get_object (node);
  members = json_object_get_members (object);
  for (l = members; l != NULL; l = l->next)
    {
      const char *key = l->data;
      JsonNode *value = json_object_get_member (object, key);
      g_autofree char *field = g_strdup_printf ("modules_quant_config[“%s”] key “%s”", pattern, key);
      gboolean known = FALSE;

      if (strcmp (key, "weights_dtype") == 0)
        {
          if (!parse_dtype (ctx, field, value, &override->weights_dtype))
            return FALSE;
          override->has_weights_dtype = TRUE;
        }
      else if (strcmp (key, "group_size") == 0)
        {
          if (!parse_group_size (ctx, field, value, &override->group_size))
            return FALSE;
          override->has_group_size = TRUE;
        }
      else if (strcmp (key, "use_svd") == 0)
        {
          if (!parse_boolean (ctx, field, value, &override->use_svd))
            return FALSE;
          *saw_use_svd = TRUE;
        }
      else if (strcmp (key, "svd_rank") == 0)
        {
          if (!parse_positive (ctx, field, value, &override->svd_rank))
            return FALSE;
          *saw_svd_rank = TRUE;
        }
      else if (strcmp (key, "use_quantized_matmul") == 0)
        {
          if (!parse_boolean (ctx, field, value, &override->use_quantized_matmul))
            return FALSE;
          override->has_use_quantized_matmul = TRUE;
        }
      else if (strcmp (key, "use_quantized_matmul_conv") == 0)
        {
          if (!parse_boolean (ctx, field, value, &override->use_quantized_matmul_conv))
            return FALSE;
          override->has_use_quantized_matmul_conv = TRUE;
        }
      else
        {
          /* NOTE: SDNQ applies svd_steps and dequantize_fp32 from an entry
           * too. They change values, not the layout, and are ignored. */
          if (!parse_ignored_key (ctx, field, key, value, &known))
            return FALSE;
          if (!known && !is_listed (ignored_override_keys, G_N_ELEMENTS (ignored_override_keys), key))
            return set_invalid (ctx, _("modules_quant_config[“%s”] has the unknown key “%s”"),
                                pattern, key);
        }
    }

  override->has_use_svd = *saw_use_svd || *saw_svd_rank;
  return TRUE;
}

static gboolean
parse_overrides (ParseContext *ctx,
                 JsonNode     *node,
                 QsSdnqConfig *config)
{
  g_autoptr(GList) members = NULL;
  JsonObject *object;
  GList *l;

  if (JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return set_invalid (ctx, _("modules_quant_config must be an object from pattern to keyword "
                          "arguments, not %s"), describe_node (node));

  object = json_node_get_object (node);
  members = json_object_get_members (object);
  for (l = members; l != NULL; l = l->next)
    {
      const char *pattern = l->data;
      QsQuantOverride *override = g_new0 (QsQuantOverride, 1);
      gboolean saw_use_svd = FALSE;
      gboolean saw_svd_rank = FALSE;

      override->pattern = g_strdup (pattern);
      g_ptr_array_add (config->modules_quant_config, override);

      if (!check_pattern (ctx, "modules_quant_config", pattern))
        return FALSE;

      if (!parse_override (ctx, pattern, json_object_get_member (object, pattern),
                           override, &saw_use_svd, &saw_svd_rank))
        return FALSE;

      /* An entry with only use_svd keeps the global rank, and one with
       * only svd_rank keeps the global use_svd. */
      if (saw_use_svd && !saw_svd_rank)
        override->svd_rank = config->svd_rank;
      if (saw_svd_rank && !saw_use_svd)
        override->use_svd = config->use_svd;
    }

  return TRUE;
}

static gboolean
parse_member (ParseContext *ctx,
              const char   *key,
              JsonNode     *value,
              QsSdnqConfig *config)
{
  g_autofree char *field = g_strdup_printf ("“%s”", key);
  gboolean known = FALSE;

  if (strcmp (key, "weights_dtype") == 0)
    return parse_dtype (ctx, "weights_dtype", value, &config->weights_dtype);
  if (strcmp (key, "group_size") == 0)
    return parse_group_size (ctx, "group_size", value, &config->group_size);
  if (strcmp (key, "use_svd") == 0)
    return parse_boolean (ctx, field, value, &config->use_svd);
  if (strcmp (key, "svd_rank") == 0)
    return parse_positive (ctx, field, value, &config->svd_rank);
  if (strcmp (key, "svd_steps") == 0)
    return parse_positive (ctx, field, value, &config->svd_steps);
  if (strcmp (key, "use_quantized_matmul") == 0)
    return parse_boolean (ctx, field, value, &config->use_quantized_matmul);
  if (strcmp (key, "use_quantized_matmul_conv") == 0)
    return parse_boolean (ctx, field, value, &config->use_quantized_matmul_conv);
  if (strcmp (key, "dequantize_fp32") == 0)
    return parse_boolean (ctx, field, value, &config->dequantize_fp32);
  if (strcmp (key, "quant_conv") == 0)
    return parse_boolean (ctx, field, value, &config->quant_conv);
  if (strcmp (key, "quant_embedding") == 0)
    return parse_boolean (ctx, field, value, &config->quant_embedding);
  if (strcmp (key, "modules_to_not_convert") == 0)
    return parse_pattern_list (ctx, key, value, config->modules_to_not_convert);
  if (strcmp (key, "modules_to_not_use_matmul") == 0)
    return parse_pattern_list (ctx, key, value, config->modules_to_not_use_matmul);
  if (strcmp (key, "modules_dtype_dict") == 0)
    return parse_pattern_dict (ctx, key, DICT_DTYPE, value, config->modules_dtype_dict);
  if (strcmp (key, "modules_group_size_dict") == 0)
    return parse_pattern_dict (ctx, key, DICT_GROUP_SIZE, value, config->modules_group_size_dict);
  if (strcmp (key, "modules_svd_dict") == 0)
    return parse_pattern_dict (ctx, key, DICT_SVD_RANK, value, config->modules_svd_dict);

  if (!parse_ignored_key (ctx, field, key, value, &known))
    return FALSE;

  if (!known)
    return set_invalid (ctx, _("unknown key “%s”, which is not an SDNQConfig keyword argument"), key);

  return TRUE;
}

static QsSdnqConfig *
config_from_node (JsonNode   *node,
                  const char *prefix,
                  GError    **error)
{
  g_autoptr(QsSdnqConfig) config = NULL;
  g_autoptr(GList) members = NULL;
  ParseContext ctx = { prefix, error };
  JsonNode *overrides = NULL;
  JsonObject *object;
  GList *l;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_invalid (&ctx, _("expected an object of SDNQConfig keyword arguments, not %s"),
                   describe_node (node));
      return NULL;
    }

  config = qs_sdnq_config_new ();
  object = json_node_get_object (node);
  members = json_object_get_members (object);

  /* modules_quant_config is read last, because its entries take missing
   * SVD settings from the globals. */
  for (l = members; l != NULL; l = l->next)
    {
      const char *key = l->data;
      JsonNode *value = json_object_get_member (object, key);

      if (strcmp (key, "modules_quant_config") == 0)
        overrides = value;
      else if (!parse_member (&ctx, key, value, config))
        return NULL;
    }

  if (overrides != NULL && !parse_overrides (&ctx, overrides, config))
    return NULL;

  return g_steal_pointer (&config);
}

QsSdnqConfig *
qs_sdnq_config_from_json (JsonNode    *node,
                          const char  *component,
                          GError     **error)
{
  g_autofree char *prefix = NULL;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (component != NULL)
    prefix = g_strdup_printf ("Invalid SDNQ config for component “%s”", component);
  else
    prefix = g_strdup ("Invalid SDNQ config");

  return config_from_node (node, prefix, error);
}

GHashTable *
qs_pipeline_config_parse (JsonNode  *node,
                          GError   **error)
{
  g_autoptr(GHashTable) configs = NULL;
  g_autoptr(GList) members = NULL;
  JsonObject *object;
  GList *l;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, QS_SDNQ_CONFIG_ERROR, QS_SDNQ_CONFIG_ERROR_INVALID,
                   _("Invalid pipeline config: expected an object from component subfolder "
                     "to SDNQConfig keyword arguments, not %s"), describe_node (node));
      return NULL;
    }

  configs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify) qs_sdnq_config_free);
  object = json_node_get_object (node);
  members = json_object_get_members (object);
  for (l = members; l != NULL; l = l->next)
    {
      const char *component = l->data;
      g_autofree char *prefix = NULL;
      QsSdnqConfig *config;

      prefix = g_strdup_printf ("Invalid pipeline config for component “%s”", component);
      config = config_from_node (json_object_get_member (object, component), prefix, error);
      if (config == NULL)
        return NULL;

      g_hash_table_replace (configs, g_strdup (component), config);
    }

  return g_steal_pointer (&configs);
}

/* Python snippet */

/* Appends @str as a double-quoted Python string literal. Valid UTF-8 is
 * kept as it is, because Python 3 reads source files as UTF-8. */
static void
append_py_string (GString    *out,
                  const char *str)
{
  gboolean valid = g_utf8_validate (str, -1, NULL);
  const guchar *p;

  g_string_append_c (out, '"');
  for (p = (const guchar *) str; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && !valid))
            g_string_append_printf (out, "\\x%02x", *p);
          else
            g_string_append_c (out, (char) *p);
          break;
        }
    }
  g_string_append_c (out, '"');
}

static const char *
py_bool (gboolean value)
{
  return value ? "True" : "False";
}

static void
append_py_list (GString         *out,
                const char      *indent,
                const GPtrArray *items)
{
  guint i;

  if (items->len == 0)
    {
      g_string_append (out, "[]");
      return;
    }

  g_string_append (out, "[\n");
  for (i = 0; i < items->len; i++)
    {
      g_string_append_printf (out, "%s    ", indent);
      append_py_string (out, g_ptr_array_index (items, i));
      g_string_append (out, ",\n");
    }
  g_string_append_printf (out, "%s]", indent);
}

static void
append_list_keyword (GString         *out,
                     const char      *name,
                     const GPtrArray *items)
{
  g_string_append_printf (out, "    %s=", name);
  append_py_list (out, "    ", items);
  g_string_append (out, ",\n");
}

static void
append_dict_keyword (GString         *out,
                     const char      *name,
                     const GPtrArray *dict,
                     gboolean         int_keys)
{
  guint i;

  g_string_append_printf (out, "    %s={\n", name);
  for (i = 0; i < dict->len; i++)
    {
      const QsPatternList *list = g_ptr_array_index (dict, i);

      gint64 value = 0;

      /* Keys from a parsed config are canonical integers. A key built in
       * code that is not one is written as a string to keep the snippet
       * valid Python. */
      g_string_append (out, "        ");
      if (int_keys && parse_int_key (list->key, &value))
        g_string_append_printf (out, "%" G_GINT64_FORMAT, value);
      else
        append_py_string (out, list->key);
      g_string_append (out, ": ");
      append_py_list (out, "        ", list->patterns);
      g_string_append (out, ",\n");
    }
  g_string_append (out, "    },\n");
}

static void
append_overrides_keyword (GString         *out,
                          const GPtrArray *overrides)
{
  guint i;

  g_string_append (out, "    modules_quant_config={\n");
  for (i = 0; i < overrides->len; i++)
    {
      const QsQuantOverride *override = g_ptr_array_index (overrides, i);
      const char *separator = "";

      if (override_is_shadowed (overrides, i))
        continue;

      g_string_append (out, "        ");
      append_py_string (out, override->pattern);
      g_string_append (out, ": {");
      if (override->has_weights_dtype)
        {
          g_string_append (out, "\"weights_dtype\": ");
          append_py_string (out, override->weights_dtype);
          separator = ", ";
        }
      if (override->has_group_size)
        {
          g_string_append_printf (out, "%s\"group_size\": %" G_GINT64_FORMAT,
                                  separator, override->group_size);
          separator = ", ";
        }
      if (override->has_use_svd)
        {
          g_string_append_printf (out, "%s\"use_svd\": %s, \"svd_rank\": %u",
                                  separator, py_bool (override->use_svd), override->svd_rank);
          separator = ", ";
        }
      if (override->has_use_quantized_matmul)
        {
          g_string_append_printf (out, "%s\"use_quantized_matmul\": %s",
                                  separator, py_bool (override->use_quantized_matmul));
          separator = ", ";
        }
      if (override->has_use_quantized_matmul_conv)
        g_string_append_printf (out, "%s\"use_quantized_matmul_conv\": %s",
                                separator, py_bool (override->use_quantized_matmul_conv));
      g_string_append (out, "},\n");
    }
  g_string_append (out, "    },\n");
}

char *
qs_sdnq_config_format_snippet (const QsSdnqConfig *self,
                               QsConfigStyle       style)
{
  GString *out;

  g_return_val_if_fail (self != NULL, NULL);

  out = g_string_new ("SDNQConfig(\n");

  g_string_append (out, "    weights_dtype=");
  append_py_string (out, self->weights_dtype);
  g_string_append (out, ",\n");
  g_string_append_printf (out, "    group_size=%" G_GINT64_FORMAT ",\n", self->group_size);

  if (self->use_svd)
    g_string_append (out, "    use_svd=True,\n");
  if (self->use_svd || self->svd_rank != DEFAULT_SVD_RANK)
    g_string_append_printf (out, "    svd_rank=%u,\n", self->svd_rank);
  if (self->svd_steps != DEFAULT_SVD_STEPS)
    g_string_append_printf (out, "    svd_steps=%u,\n", self->svd_steps);
  if (self->use_quantized_matmul)
    g_string_append (out, "    use_quantized_matmul=True,\n");
  if (self->use_quantized_matmul_conv)
    g_string_append (out, "    use_quantized_matmul_conv=True,\n");
  if (!self->dequantize_fp32 != !DEFAULT_DEQUANTIZE_FP32)
    g_string_append_printf (out, "    dequantize_fp32=%s,\n", py_bool (self->dequantize_fp32));
  if (self->quant_conv)
    g_string_append (out, "    quant_conv=True,\n");
  if (self->quant_embedding)
    g_string_append (out, "    quant_embedding=True,\n");

  if (self->modules_to_not_convert->len > 0)
    append_list_keyword (out, "modules_to_not_convert", self->modules_to_not_convert);
  if (self->modules_to_not_use_matmul->len > 0)
    append_list_keyword (out, "modules_to_not_use_matmul", self->modules_to_not_use_matmul);
  if (self->modules_dtype_dict->len > 0)
    append_dict_keyword (out, "modules_dtype_dict", self->modules_dtype_dict, FALSE);

  if (style == QS_CONFIG_STYLE_UPSTREAM)
    {
      g_autoptr(GPtrArray) folded = fold_per_layer_dicts (self);

      if (folded->len > 0)
        append_overrides_keyword (out, folded);
    }
  else
    {
      if (self->modules_group_size_dict->len > 0)
        append_dict_keyword (out, "modules_group_size_dict", self->modules_group_size_dict, TRUE);
      if (self->modules_svd_dict->len > 0)
        append_dict_keyword (out, "modules_svd_dict", self->modules_svd_dict, TRUE);
      if (self->modules_quant_config->len > 0)
        append_overrides_keyword (out, self->modules_quant_config);
    }

  g_string_append_c (out, ')');
  return g_string_free (out, FALSE);
}
