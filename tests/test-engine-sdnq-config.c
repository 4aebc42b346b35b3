/* test-engine-sdnq-config.c: SDNQConfig kwargs, their JSON forms, the
 * Python snippet and SDNQ's per-layer rules
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "qs-sdnq-config.h"
#include "qs-test-utils.h"

#define PYTHON "/usr/bin/python3"

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static QsSdnqConfig *
config_from_text (const char *text)
{
  g_autoptr(JsonNode) node = parse_json (text);
  g_autoptr(GError) error = NULL;
  QsSdnqConfig *config;

  config = qs_sdnq_config_from_json (node, "transformer", &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

static void
add_string (GPtrArray  *array,
            const char *str)
{
  g_ptr_array_add (array, g_strdup (str));
}

static QsQuantOverride *
add_override (QsSdnqConfig *config,
              const char   *pattern)
{
  QsQuantOverride *override = g_new0 (QsQuantOverride, 1);

  override->pattern = g_strdup (pattern);
  g_ptr_array_add (config->modules_quant_config, override);
  return override;
}

static QsLayerQuantOptions
resolve (const QsSdnqConfig *config,
         const char         *name,
         QsLayerKind         kind)
{
  QsLayerQuantOptions options;

  qs_sdnq_config_resolve_layer (config, name, kind, &options);
  g_assert_nonnull (options.dtype);
  return options;
}

static const char *
resolve_dtype (const QsSdnqConfig *config,
               const char         *name)
{
  return resolve (config, name, QS_LAYER_LINEAR).dtype->name;
}

/* Serialises a node to text and parses it back, so the round trips go
 * through real JSON text. */
static JsonNode *
through_text (JsonNode *node)
{
  g_autofree char *text = json_to_string (node, TRUE);

  g_assert_nonnull (text);
  return parse_json (text);
}

static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

/* Defaults and containers */

static void
test_config_defaults (void)
{
  g_autoptr(QsSdnqConfig) config = qs_sdnq_config_new ();

  g_assert_cmpstr (config->weights_dtype, ==, "int8");
  g_assert_cmpint (config->group_size, ==, 0);
  g_assert_false (config->use_svd);
  g_assert_cmpuint (config->svd_rank, ==, 32);
  g_assert_cmpuint (config->svd_steps, ==, 8);
  g_assert_false (config->use_quantized_matmul);
  g_assert_false (config->use_quantized_matmul_conv);
  g_assert_true (config->dequantize_fp32);
  g_assert_false (config->quant_conv);
  g_assert_false (config->quant_embedding);
  g_assert_cmpuint (config->modules_to_not_convert->len, ==, 0);
  g_assert_cmpuint (config->modules_to_not_use_matmul->len, ==, 0);
  g_assert_cmpuint (config->modules_dtype_dict->len, ==, 0);
  g_assert_cmpuint (config->modules_group_size_dict->len, ==, 0);
  g_assert_cmpuint (config->modules_svd_dict->len, ==, 0);
  g_assert_cmpuint (config->modules_quant_config->len, ==, 0);
}

static void
test_config_style_names (void)
{
  QsConfigStyle style = QS_CONFIG_STYLE_UPSTREAM;

  g_assert_cmpstr (qs_config_style_to_string (QS_CONFIG_STYLE_SCRIPT), ==, "script");
  g_assert_cmpstr (qs_config_style_to_string (QS_CONFIG_STYLE_UPSTREAM), ==, "upstream");

  g_assert_true (qs_config_style_from_string ("script", &style));
  g_assert_cmpint (style, ==, QS_CONFIG_STYLE_SCRIPT);
  g_assert_true (qs_config_style_from_string ("upstream", &style));
  g_assert_cmpint (style, ==, QS_CONFIG_STYLE_UPSTREAM);
  g_assert_false (qs_config_style_from_string ("fork", &style));
  g_assert_cmpint (style, ==, QS_CONFIG_STYLE_UPSTREAM);
}

static void
test_pattern_dict_order (void)
{
  g_autoptr(QsSdnqConfig) config = qs_sdnq_config_new ();
  GPtrArray *dict = config->modules_dtype_dict;
  QsPatternList *list;

  qs_pattern_dict_add (dict, "uint8", "a.weight");
  qs_pattern_dict_add (dict, "int6", "b.weight");
  qs_pattern_dict_add (dict, "uint8", "c.weight");
  qs_pattern_dict_add (dict, "int4", "d.weight");

  g_assert_cmpuint (dict->len, ==, 3);

  list = g_ptr_array_index (dict, 0);
  g_assert_cmpstr (list->key, ==, "uint8");
  g_assert_cmpuint (list->patterns->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (list->patterns, 0), ==, "a.weight");
  g_assert_cmpstr (g_ptr_array_index (list->patterns, 1), ==, "c.weight");

  list = g_ptr_array_index (dict, 1);
  g_assert_cmpstr (list->key, ==, "int6");
  g_assert_cmpstr (g_ptr_array_index (list->patterns, 0), ==, "b.weight");

  list = g_ptr_array_index (dict, 2);
  g_assert_cmpstr (list->key, ==, "int4");
}

/* A config that uses every field, for copies and round trips. */
static QsSdnqConfig *
make_rich_config (void)
{
  QsSdnqConfig *config = qs_sdnq_config_new ();
  QsQuantOverride *override;

  g_free (config->weights_dtype);
  config->weights_dtype = g_strdup ("uint4");
  config->group_size = 32;
  config->svd_rank = 16;
  config->svd_steps = 4;
  config->use_quantized_matmul = TRUE;
  config->use_quantized_matmul_conv = TRUE;
  config->dequantize_fp32 = FALSE;
  config->quant_conv = TRUE;
  config->quant_embedding = TRUE;
  add_string (config->modules_to_not_convert, "proj_out.weight");
  add_string (config->modules_to_not_convert, ".time_embed");
  add_string (config->modules_to_not_use_matmul, "*adaLN*");
  qs_pattern_dict_add (config->modules_dtype_dict, "uint8", "blocks.0.attn.to_q.weight");
  qs_pattern_dict_add (config->modules_dtype_dict, "minimum_6bit", "blocks.1.ff.weight");
  qs_pattern_dict_add (config->modules_group_size_dict, "64", "blocks.0.attn.to_k.weight");
  qs_pattern_dict_add (config->modules_group_size_dict, "-1", "blocks.0.attn.to_v.weight");
  qs_pattern_dict_add (config->modules_svd_dict, "32", "blocks.0.attn.to_q.weight");

  override = add_override (config, "blocks.2.ff.weight");
  override->has_weights_dtype = TRUE;
  override->weights_dtype = g_strdup ("int6");
  override->has_use_svd = TRUE;
  override->use_svd = TRUE;
  override->svd_rank = 8;
  override->has_use_quantized_matmul = TRUE;
  override->use_quantized_matmul = FALSE;

  return config;
}

static void
test_config_copy_equal (void)
{
  g_autoptr(QsSdnqConfig) config = make_rich_config ();
  g_autoptr(QsSdnqConfig) copy = qs_sdnq_config_copy (config);
  QsPatternList *list;
  QsQuantOverride *override;

  g_assert_true (qs_sdnq_config_equal (config, copy));
  g_assert_true (config->modules_dtype_dict != copy->modules_dtype_dict);

  /* The copy is deep: changing it leaves the original alone. */
  list = g_ptr_array_index (copy->modules_dtype_dict, 0);
  g_free (g_ptr_array_index (list->patterns, 0));
  g_ptr_array_index (list->patterns, 0) = g_strdup ("other.weight");
  g_assert_false (qs_sdnq_config_equal (config, copy));
  list = g_ptr_array_index (config->modules_dtype_dict, 0);
  g_assert_cmpstr (g_ptr_array_index (list->patterns, 0), ==, "blocks.0.attn.to_q.weight");

  g_clear_pointer (&copy, qs_sdnq_config_free);
  copy = qs_sdnq_config_copy (config);
  override = g_ptr_array_index (copy->modules_quant_config, 0);
  override->svd_rank = 9;
  g_assert_false (qs_sdnq_config_equal (config, copy));

  g_clear_pointer (&copy, qs_sdnq_config_free);
  copy = qs_sdnq_config_copy (config);
  copy->dequantize_fp32 = TRUE;
  g_assert_false (qs_sdnq_config_equal (config, copy));
}

/* Name matching */

static void
test_match_prefix (void)
{
  /* A leading dot is a prefix from the root, nothing more. */
  g_assert_true (qs_sdnq_pattern_matches (".proj_out", "proj_out.weight"));
  g_assert_false (qs_sdnq_pattern_matches (".proj_out", "blocks.0.proj_out.weight"));
  g_assert_true (qs_sdnq_pattern_matches (".time_embed", "time_embed.linear_1.weight"));
  g_assert_true (qs_sdnq_pattern_matches (".blocks.0", "blocks.0.attn.weight"));

  /* A prefix has no dot boundary, as in SDNQ. */
  g_assert_true (qs_sdnq_pattern_matches (".blocks.1", "blocks.10.attn.weight"));

  /* A dotted pattern never falls back to the other rules: ".*attn*" is the
   * literal prefix "*attn*", and ".norm" does not match the part "norm". */
  g_assert_false (qs_sdnq_pattern_matches (".*attn*", "blocks.0.attn.weight"));
  g_assert_false (qs_sdnq_pattern_matches (".norm", "blocks.0.norm.weight"));
  g_assert_false (qs_sdnq_pattern_matches (".lock*", "blocks.0.weight"));

  /* A lone dot is the empty prefix and matches every name. */
  g_assert_true (qs_sdnq_pattern_matches (".", "x.weight"));
}

static void
test_match_equality_and_part (void)
{
  g_assert_true (qs_sdnq_pattern_matches ("blocks.0.attn.to_q.weight", "blocks.0.attn.to_q.weight"));
  g_assert_false (qs_sdnq_pattern_matches ("blocks.0.attn.to_q.weight", "blocks.0.attn.to_q.bias"));

  /* A pattern equal to one dot-separated part matches anywhere. */
  g_assert_true (qs_sdnq_pattern_matches ("norm", "blocks.0.norm.weight"));
  g_assert_true (qs_sdnq_pattern_matches ("norm", "norm.weight"));
  g_assert_true (qs_sdnq_pattern_matches ("lm_head", "lm_head.weight"));
  g_assert_false (qs_sdnq_pattern_matches ("norm", "blocks.0.norm1.weight"));
  g_assert_false (qs_sdnq_pattern_matches ("norm", "layernorm.weight"));

  /* Several parts are not one part, and there is no substring rule. */
  g_assert_false (qs_sdnq_pattern_matches ("attn.to_q", "blocks.0.attn.to_q.weight"));
  g_assert_false (qs_sdnq_pattern_matches ("to_", "blocks.0.attn.to_q.weight"));

  /* The fork's extra rule (the name ends with "." + pattern) is not
   * applied. */
  g_assert_false (qs_sdnq_pattern_matches ("to_q.weight", "blocks.0.attn.to_q.weight"));
}

static void
test_match_regex (void)
{
  /* "*" is anything. */
  g_assert_true (qs_sdnq_pattern_matches ("*attn*", "blocks.0.attn.weight"));
  g_assert_true (qs_sdnq_pattern_matches ("*_mod*", "blocks.3.img_mod.linear.weight"));

  /* The match is anchored at the start but not at the end. */
  g_assert_false (qs_sdnq_pattern_matches ("attn*", "blocks.0.attn.weight"));
  g_assert_true (qs_sdnq_pattern_matches ("blocks.0*", "blocks.0.attn.weight"));

  /* ".*" is a literal dot followed by anything. */
  g_assert_true (qs_sdnq_pattern_matches ("transformer_blocks.*", "transformer_blocks.0.ff.weight"));
  g_assert_false (qs_sdnq_pattern_matches ("transformer_blocks.*", "transformer_blocks_x.weight"));

  /* Other regular-expression characters are not escaped: the plain "."
   * before "attn" is any character, so a name needs one between the dot
   * of ".*" and "attn". */
  g_assert_true (qs_sdnq_pattern_matches ("blocks.*.attn*", "blocks.0.attn.to_q.weight"));
  g_assert_false (qs_sdnq_pattern_matches ("blocks.*.attn*", "blocks.attn.weight"));
  g_assert_true (qs_sdnq_pattern_matches ("blocks.0*", "blocksX0.weight"));
  g_assert_true (qs_sdnq_pattern_matches ("blocks.[0-2].ff*", "blocks.1.ff.weight"));
  g_assert_false (qs_sdnq_pattern_matches ("blocks.[0-2].ff*", "blocks.3.ff.weight"));

  /* An invalid expression matches nothing. */
  g_assert_false (qs_sdnq_pattern_matches ("blocks.(*", "blocks.(x"));
}

/* Resolution */

static QsSdnqConfig *
make_config (const char *weights_dtype)
{
  QsSdnqConfig *config = qs_sdnq_config_new ();

  g_free (config->weights_dtype);
  config->weights_dtype = g_strdup (weights_dtype);
  return config;
}

static void
test_resolve_explicit_beats_default (void)
{
  g_autoptr(QsSdnqConfig) config = make_config ("uint4");
  QsLayerQuantOptions options;

  qs_pattern_dict_add (config->modules_dtype_dict, "uint8", "blocks.0.attn.weight");

  options = resolve (config, "blocks.0.attn.weight", QS_LAYER_LINEAR);
  g_assert_true (options.quantized);
  g_assert_cmpstr (options.dtype->name, ==, "uint8");
  g_assert_cmpstr (resolve_dtype (config, "blocks.1.attn.weight"), ==, "uint4");
  g_assert_cmpstr (resolve_dtype (config, "blocks.0.attn.weight_extra"), ==, "uint4");
}

static void
test_resolve_skip_beats_dtype (void)
{
  g_autoptr(QsSdnqConfig) config = make_config ("uint4");
  QsLayerQuantOptions options;

  add_string (config->modules_to_not_convert, "blocks.0.attn.weight");
  add_string (config->modules_to_not_convert, ".time_embed");
  add_string (config->modules_to_not_convert, "norm_out");
  qs_pattern_dict_add (config->modules_dtype_dict, "uint8", "blocks.0.attn.weight");
  qs_pattern_dict_add (config->modules_dtype_dict, "int8", "*time_embed*");

  options = resolve (config, "blocks.0.attn.weight", QS_LAYER_LINEAR);
  g_assert_false (options.quantized);

  options = resolve (config, "time_embed.linear_1.weight", QS_LAYER_LINEAR);
  g_assert_false (options.quantized);

  /* The short ".time_embed" prefix does not reach nested modules, but the
   * dtype dict's regex does. */
  options = resolve (config, "blocks.0.time_embed.weight", QS_LAYER_LINEAR);
  g_assert_true (options.quantized);
  g_assert_cmpstr (options.dtype->name, ==, "int8");

  options = resolve (config, "norm_out.linear.weight", QS_LAYER_LINEAR);
  g_assert_false (options.quantized);

  options = resolve (config, "blocks.1.attn.weight", QS_LAYER_LINEAR);
  g_assert_true (options.quantized);
  g_assert_cmpstr (options.dtype->name, ==, "uint4");
}

static void
test_resolve_first_key_wins (void)
{
  g_autoptr(QsSdnqConfig) config = make_config ("uint4");
  g_autoptr(QsSdnqConfig) reversed = make_config ("uint4");

  /* The broad key comes first, so it wins over the exact name that
   * follows. */
  qs_pattern_dict_add (config->modules_dtype_dict, "uint8", "*attn*");
  qs_pattern_dict_add (config->modules_dtype_dict, "int8", "blocks.0.attn.weight");
  g_assert_cmpstr (resolve_dtype (config, "blocks.0.attn.weight"), ==, "uint8");
  g_assert_cmpstr (resolve_dtype (config, "blocks.1.attn.weight"), ==, "uint8");

  qs_pattern_dict_add (reversed->modules_dtype_dict, "int8", "blocks.0.attn.weight");
  qs_pattern_dict_add (reversed->modules_dtype_dict, "uint8", "*attn*");
  g_assert_cmpstr (resolve_dtype (reversed, "blocks.0.attn.weight"), ==, "int8");
  g_assert_cmpstr (resolve_dtype (reversed, "blocks.1.attn.weight"), ==, "uint8");

  /* A plain key applies even when it lowers the bit count. */
  qs_pattern_dict_add (config->modules_dtype_dict, "int2", "ff");
  g_assert_cmpstr (resolve_dtype (config, "blocks.0.ff.weight"), ==, "int2");
}

static void
test_resolve_minimum_keys (void)
{
  struct
  {
    const char *global;
    const char *keys[3];
    const char *expected;
  } cases[] = {
    /* Above 4 bits a plain minimum gives a signed integer. */
    { "uint4", { "minimum_6bit", NULL }, "int6" },
    { "uint4", { "minimum_uint6bit", NULL }, "uint6" },
    { "uint4", { "minimum-int6-bits", NULL }, "int6" },
    { "uint4", { "8bits", NULL }, "int8" },
    { "uint4", { "6bit", NULL }, "int6" },
    { "uint4", { "MINIMUM_6BIT", NULL }, "int6" },
    /* Up to 4 bits it is unsigned. */
    { "int2", { "minimum_4bit", NULL }, "uint4" },
    { "int2", { "minimum_int3bit", NULL }, "uint3" },
    /* A minimum that does not raise the bit count is skipped and the
     * search goes on, here to a plain key that lowers it. */
    { "int8", { "minimum_8bit", NULL }, "int8" },
    { "uint8", { "minimum_8bit", NULL }, "uint8" },
    { "uint8", { "minimum_8bit", "int4", NULL }, "int4" },
    { "int8", { "minimum_6bit", "uint4", NULL }, "uint4" },
    { "float8_e4m3fn", { "minimum_6bit", NULL }, "float8_e4m3fn" },
    /* A plain key before a minimum applies at once. */
    { "uint4", { "uint5", "minimum_6bit", NULL }, "uint5" },
    /* A raising minimum ends the search. */
    { "uint4", { "minimum_6bit", "int2", NULL }, "int6" },
  };
  guint i;
  guint j;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(QsSdnqConfig) config = make_config (cases[i].global);

      for (j = 0; cases[i].keys[j] != NULL; j++)
        qs_pattern_dict_add (config->modules_dtype_dict, cases[i].keys[j], "a.weight");

      g_test_message ("case %u: %s with %s", i, cases[i].global, cases[i].keys[0]);
      g_assert_cmpstr (resolve_dtype (config, "a.weight"), ==, cases[i].expected);
      g_assert_cmpstr (resolve_dtype (config, "b.weight"), ==, cases[i].global);
    }
}

static void
test_resolve_quant_config (void)
{
  g_autoptr(QsSdnqConfig) config = make_config ("int8");
  QsLayerQuantOptions options;
  QsQuantOverride *override;

  config->group_size = 0;
  config->use_quantized_matmul = TRUE;

  /* The first matching entry applies, even when a later one names the
   * layer exactly. */
  override = add_override (config, "*attn*");
  override->has_group_size = TRUE;
  override->group_size = 32;
  override = add_override (config, "blocks.0.attn.weight");
  override->has_group_size = TRUE;
  override->group_size = 128;

  /* An override's dtype is what a minimum key compares against. */
  override = add_override (config, "blocks.0.ff.weight");
  override->has_weights_dtype = TRUE;
  override->weights_dtype = g_strdup ("uint2");
  override->has_use_svd = TRUE;
  override->use_svd = TRUE;
  override->svd_rank = 8;
  override->has_use_quantized_matmul = TRUE;
  override->use_quantized_matmul = FALSE;
  qs_pattern_dict_add (config->modules_dtype_dict, "minimum_4bit", "blocks.0.ff.weight");

  options = resolve (config, "blocks.0.attn.weight", QS_LAYER_LINEAR);
  g_assert_cmpint (options.group_size, ==, 32);
  g_assert_cmpstr (options.dtype->name, ==, "int8");
  g_assert_true (options.use_quantized_matmul);

  options = resolve (config, "blocks.0.ff.weight", QS_LAYER_LINEAR);
  g_assert_cmpstr (options.dtype->name, ==, "uint4");
  g_assert_cmpint (options.group_size, ==, 0);
  g_assert_true (options.use_svd);
  g_assert_cmpuint (options.svd_rank, ==, 8);
  g_assert_false (options.use_quantized_matmul);

  options = resolve (config, "blocks.1.ff.weight", QS_LAYER_LINEAR);
  g_assert_cmpstr (options.dtype->name, ==, "int8");
  g_assert_false (options.use_svd);
  g_assert_cmpuint (options.svd_rank, ==, 32);
  g_assert_true (options.use_quantized_matmul);
}

static void
test_resolve_fork_dicts (void)
{
  g_autoptr(QsSdnqConfig) config = make_config ("uint4");
  QsLayerQuantOptions options;
  QsQuantOverride *override;

  config->group_size = 0;

  /* The fork's dicts come after modules_quant_config and win over it. */
  override = add_override (config, "a.weight");
  override->has_group_size = TRUE;
  override->group_size = 128;
  qs_pattern_dict_add (config->modules_group_size_dict, "64", "a.weight");

  /* First matching key wins. */
  qs_pattern_dict_add (config->modules_group_size_dict, "32", "*attn*");
  qs_pattern_dict_add (config->modules_group_size_dict, "-1", "blocks.0.attn.weight");

  qs_pattern_dict_add (config->modules_svd_dict, "16", "a.weight");
  qs_pattern_dict_add (config->modules_svd_dict, "64", "a.weight");

  options = resolve (config, "a.weight", QS_LAYER_LINEAR);
  g_assert_cmpint (options.group_size, ==, 64);
  g_assert_true (options.use_svd);
  g_assert_cmpuint (options.svd_rank, ==, 16);

  options = resolve (config, "blocks.0.attn.weight", QS_LAYER_LINEAR);
  g_assert_cmpint (options.group_size, ==, 32);
  g_assert_false (options.use_svd);

  options = resolve (config, "b.weight", QS_LAYER_LINEAR);
  g_assert_cmpint (options.group_size, ==, 0);
  g_assert_false (options.use_svd);
  g_assert_cmpuint (options.svd_rank, ==, 32);
}

static void
test_resolve_layer_kinds (void)
{
  g_autoptr(QsSdnqConfig) config = make_config ("int8");
  QsLayerQuantOptions options;

  config->use_quantized_matmul = TRUE;

  options = resolve (config, "conv_in.weight", QS_LAYER_CONV);
  g_assert_false (options.quantized);
  options = resolve (config, "embed_tokens.weight", QS_LAYER_EMBEDDING);
  g_assert_false (options.quantized);

  config->quant_conv = TRUE;
  config->quant_embedding = TRUE;

  /* Conv layers read use_quantized_matmul_conv, and embeddings never use
   * quantized matmul. */
  options = resolve (config, "conv_in.weight", QS_LAYER_CONV);
  g_assert_true (options.quantized);
  g_assert_false (options.use_quantized_matmul);
  options = resolve (config, "embed_tokens.weight", QS_LAYER_EMBEDDING);
  g_assert_true (options.quantized);
  g_assert_false (options.use_quantized_matmul);
  options = resolve (config, "proj.weight", QS_LAYER_LINEAR);
  g_assert_true (options.use_quantized_matmul);

  config->use_quantized_matmul = FALSE;
  config->use_quantized_matmul_conv = TRUE;
  options = resolve (config, "conv_in.weight", QS_LAYER_CONV);
  g_assert_true (options.use_quantized_matmul);
  options = resolve (config, "proj.weight", QS_LAYER_LINEAR);
  g_assert_false (options.use_quantized_matmul);

  /* modules_to_not_use_matmul turns it off. */
  config->use_quantized_matmul = TRUE;
  add_string (config->modules_to_not_use_matmul, "*adaLN*");
  options = resolve (config, "blocks.0.adaLN_modulation.1.weight", QS_LAYER_LINEAR);
  g_assert_true (options.quantized);
  g_assert_false (options.use_quantized_matmul);
  options = resolve (config, "blocks.0.attn.weight", QS_LAYER_LINEAR);
  g_assert_true (options.use_quantized_matmul);
}

/* JSON */

static const char *const always_written[] = {
  "weights_dtype", "group_size", "use_svd", "svd_rank", "svd_steps",
  "use_quantized_matmul", "dequantize_fp32", "modules_to_not_convert",
  "modules_dtype_dict",
};

static void
test_json_script_round_trip (void)
{
  g_autoptr(QsSdnqConfig) config = make_rich_config ();
  g_autoptr(QsSdnqConfig) empty = qs_sdnq_config_new ();
  g_autoptr(QsSdnqConfig) parsed = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) reparsed = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;
  JsonObject *dict;
  guint i;

  node = qs_sdnq_config_to_json (config, QS_CONFIG_STYLE_SCRIPT);
  reparsed = through_text (node);
  parsed = qs_sdnq_config_from_json (reparsed, "transformer", &error);
  g_assert_no_error (error);
  g_assert_true (qs_sdnq_config_equal (config, parsed));

  object = json_node_get_object (reparsed);
  for (i = 0; i < G_N_ELEMENTS (always_written); i++)
    g_assert_true (json_object_has_member (object, always_written[i]));

  /* The fork's dicts have string keys in JSON. */
  dict = member_object (object, "modules_group_size_dict");
  g_assert_true (json_object_has_member (dict, "64"));
  g_assert_true (json_object_has_member (dict, "-1"));
  dict = member_object (object, "modules_svd_dict");
  g_assert_true (json_object_has_member (dict, "32"));
  g_assert_true (json_object_has_member (object, "modules_quant_config"));
  g_assert_true (json_object_get_boolean_member (object, "quant_conv"));
  g_assert_true (json_object_get_boolean_member (object, "quant_embedding"));
  g_assert_true (json_object_get_boolean_member (object, "use_quantized_matmul_conv"));
  g_assert_false (json_object_get_boolean_member (object, "dequantize_fp32"));
  g_assert_cmpstr (json_object_get_string_member (object, "weights_dtype"), ==, "uint4");

  /* An empty config keeps the shape: every always-written key, the empty
   * fork dicts, and no optional keys at their defaults. */
  g_clear_pointer (&node, json_node_unref);
  g_clear_pointer (&reparsed, json_node_unref);
  g_clear_pointer (&parsed, qs_sdnq_config_free);
  node = qs_sdnq_config_to_json (empty, QS_CONFIG_STYLE_SCRIPT);
  reparsed = through_text (node);
  object = json_node_get_object (reparsed);
  for (i = 0; i < G_N_ELEMENTS (always_written); i++)
    g_assert_true (json_object_has_member (object, always_written[i]));
  g_assert_cmpuint (json_object_get_size (member_object (object, "modules_group_size_dict")), ==, 0);
  g_assert_cmpuint (json_object_get_size (member_object (object, "modules_svd_dict")), ==, 0);
  g_assert_false (json_object_has_member (object, "modules_quant_config"));
  g_assert_false (json_object_has_member (object, "quant_conv"));
  g_assert_false (json_object_has_member (object, "modules_to_not_use_matmul"));
  g_assert_cmpuint (json_object_get_size (object), ==, G_N_ELEMENTS (always_written) + 2);

  parsed = qs_sdnq_config_from_json (reparsed, "transformer", &error);
  g_assert_no_error (error);
  g_assert_true (qs_sdnq_config_equal (empty, parsed));
}

static void
test_json_upstream_round_trip (void)
{
  g_autoptr(QsSdnqConfig) config = make_rich_config ();
  g_autoptr(QsSdnqConfig) parsed = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) reparsed = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;
  QsQuantOverride *override;
  guint i;

  /* Without the fork's dicts the upstream form is exact. */
  g_ptr_array_set_size (config->modules_group_size_dict, 0);
  g_ptr_array_set_size (config->modules_svd_dict, 0);
  override = add_override (config, "*adaLN*");
  override->has_group_size = TRUE;
  override->group_size = -1;

  node = qs_sdnq_config_to_json (config, QS_CONFIG_STYLE_UPSTREAM);
  reparsed = through_text (node);
  parsed = qs_sdnq_config_from_json (reparsed, "transformer", &error);
  g_assert_no_error (error);
  g_assert_true (qs_sdnq_config_equal (config, parsed));

  object = json_node_get_object (reparsed);
  for (i = 0; i < G_N_ELEMENTS (always_written); i++)
    g_assert_true (json_object_has_member (object, always_written[i]));
  g_assert_false (json_object_has_member (object, "modules_group_size_dict"));
  g_assert_false (json_object_has_member (object, "modules_svd_dict"));
  g_assert_cmpuint (json_object_get_size (member_object (object, "modules_quant_config")), ==, 2);

  /* A second entry with the same pattern is never reached, so it is not
   * written, and the first keeps its value. */
  override = add_override (config, "*adaLN*");
  override->has_group_size = TRUE;
  override->group_size = 256;
  g_clear_pointer (&node, json_node_unref);
  node = qs_sdnq_config_to_json (config, QS_CONFIG_STYLE_UPSTREAM);
  object = json_node_get_object (node);
  g_assert_cmpuint (json_object_get_size (member_object (object, "modules_quant_config")), ==, 2);
  g_assert_cmpint (json_object_get_int_member (member_object (member_object (object, "modules_quant_config"),
                                                              "*adaLN*"),
                                               "group_size"), ==, -1);

  /* The empty upstream config still writes modules_quant_config. */
  g_clear_pointer (&config, qs_sdnq_config_free);
  g_clear_pointer (&node, json_node_unref);
  config = qs_sdnq_config_new ();
  node = qs_sdnq_config_to_json (config, QS_CONFIG_STYLE_UPSTREAM);
  object = json_node_get_object (node);
  g_assert_cmpuint (json_object_get_size (member_object (object, "modules_quant_config")), ==, 0);
}

static void
test_json_upstream_fold (void)
{
  static const char *const names[] = {
    "blocks.0.attn.weight", "blocks.1.attn.weight", "head.weight",
    "blocks.0.ff.weight", "other.weight",
  };
  g_autoptr(QsSdnqConfig) config = make_config ("uint4");
  g_autoptr(QsSdnqConfig) parsed = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GList) members = NULL;
  JsonObject *object;
  JsonObject *overrides;
  JsonObject *entry;
  QsQuantOverride *override;
  guint i;

  override = add_override (config, "blocks.*");
  override->has_weights_dtype = TRUE;
  override->weights_dtype = g_strdup ("uint8");
  override = add_override (config, "head.weight");
  override->has_weights_dtype = TRUE;
  override->weights_dtype = g_strdup ("int6");
  override->has_group_size = TRUE;
  override->group_size = 128;
  qs_pattern_dict_add (config->modules_group_size_dict, "64", "blocks.0.attn.weight");
  qs_pattern_dict_add (config->modules_group_size_dict, "64", "head.weight");
  qs_pattern_dict_add (config->modules_group_size_dict, "16", "head.weight");
  qs_pattern_dict_add (config->modules_svd_dict, "16", "blocks.0.attn.weight");
  qs_pattern_dict_add (config->modules_svd_dict, "8", "blocks.0.ff.weight");

  node = qs_sdnq_config_to_json (config, QS_CONFIG_STYLE_UPSTREAM);
  object = json_node_get_object (node);
  g_assert_false (json_object_has_member (object, "modules_group_size_dict"));
  g_assert_false (json_object_has_member (object, "modules_svd_dict"));

  /* Folded entries come first, in dict order, each merged with the entry
   * the layer used to match. "head.weight" appears once. */
  overrides = member_object (object, "modules_quant_config");
  members = json_object_get_members (overrides);
  g_assert_cmpuint (g_list_length (members), ==, 4);
  g_assert_cmpstr (g_list_nth_data (members, 0), ==, "blocks.0.attn.weight");
  g_assert_cmpstr (g_list_nth_data (members, 1), ==, "head.weight");
  g_assert_cmpstr (g_list_nth_data (members, 2), ==, "blocks.0.ff.weight");
  g_assert_cmpstr (g_list_nth_data (members, 3), ==, "blocks.*");

  entry = member_object (overrides, "blocks.0.attn.weight");
  g_assert_cmpstr (json_object_get_string_member (entry, "weights_dtype"), ==, "uint8");
  g_assert_cmpint (json_object_get_int_member (entry, "group_size"), ==, 64);
  g_assert_true (json_object_get_boolean_member (entry, "use_svd"));
  g_assert_cmpint (json_object_get_int_member (entry, "svd_rank"), ==, 16);

  entry = member_object (overrides, "head.weight");
  g_assert_cmpstr (json_object_get_string_member (entry, "weights_dtype"), ==, "int6");
  g_assert_cmpint (json_object_get_int_member (entry, "group_size"), ==, 64);
  g_assert_false (json_object_has_member (entry, "use_svd"));

  entry = member_object (overrides, "blocks.0.ff.weight");
  g_assert_cmpstr (json_object_get_string_member (entry, "weights_dtype"), ==, "uint8");
  g_assert_false (json_object_has_member (entry, "group_size"));
  g_assert_cmpint (json_object_get_int_member (entry, "svd_rank"), ==, 8);

  /* Every layer resolves as it did with the fork's dicts. */
  parsed = qs_sdnq_config_from_json (node, "transformer", &error);
  g_assert_no_error (error);
  for (i = 0; i < G_N_ELEMENTS (names); i++)
    {
      QsLayerQuantOptions before = resolve (config, names[i], QS_LAYER_LINEAR);
      QsLayerQuantOptions after = resolve (parsed, names[i], QS_LAYER_LINEAR);

      g_test_message ("layer %s", names[i]);
      g_assert_true (before.dtype == after.dtype);
      g_assert_cmpint (before.group_size, ==, after.group_size);
      g_assert_cmpint (before.use_svd, ==, after.use_svd);
      g_assert_cmpuint (before.svd_rank, ==, after.svd_rank);
      g_assert_cmpint (before.use_quantized_matmul, ==, after.use_quantized_matmul);
    }
}

static void
test_json_saved_subset (void)
{
  /* The keys of WaveCut/Anima-Preview-3-SDNQ-uint4's quantization_config,
   * saved by sdnq 0.1.8. */
  g_autoptr(QsSdnqConfig) config = config_from_text (
    "{\"group_size\": 0, \"use_quantized_matmul\": true, \"weights_dtype\": \"uint4\", "
    "\"sdnq_version\": \"0.1.8\", \"add_skip_keys\": false, \"dequantize_fp32\": false, "
    "\"quant_method\": \"sdnq\"}");

  g_assert_cmpstr (config->weights_dtype, ==, "uint4");
  g_assert_cmpint (config->group_size, ==, 0);
  g_assert_true (config->use_quantized_matmul);
  g_assert_false (config->dequantize_fp32);
  g_assert_false (config->use_svd);
  g_assert_cmpuint (config->svd_rank, ==, 32);
  g_assert_cmpuint (config->svd_steps, ==, 8);
  g_assert_false (config->use_quantized_matmul_conv);
  g_assert_false (config->quant_conv);
  g_assert_false (config->quant_embedding);
  g_assert_cmpuint (config->modules_to_not_convert->len, ==, 0);
  g_assert_cmpuint (config->modules_dtype_dict->len, ==, 0);
  g_assert_cmpuint (config->modules_quant_config->len, ==, 0);
}

static void
test_json_saved_full (void)
{
  /* Every key of SDNQConfig.__dict__ in Disty0/sdnq 0.2.x, sorted as
   * save_sdnq_model writes them. */
  g_autoptr(QsSdnqConfig) config = config_from_text (
    "{\n"
    "  \"add_skip_keys\": true,\n"
    "  \"codebook_steps\": 8,\n"
    "  \"dequantize_fp32\": true,\n"
    "  \"dynamic_loss_threshold\": 0.01,\n"
    "  \"group_size\": 0,\n"
    "  \"hadamard_group_size\": 128,\n"
    "  \"is_integer\": true,\n"
    "  \"is_training\": false,\n"
    "  \"is_unsigned\": false,\n"
    "  \"minimum_allowed_channel_size\": 32,\n"
    "  \"minimum_allowed_numel\": 16384,\n"
    "  \"modules_dtype_dict\": {\"uint8\": [\"blocks.0.attn.weight\"], \"int5\": [\"blocks.1.ff.weight\"]},\n"
    "  \"modules_quant_config\": {},\n"
    "  \"modules_to_not_convert\": [\"proj_out.weight\", \".time_embed\", \"lm_head\"],\n"
    "  \"modules_to_not_use_matmul\": [],\n"
    "  \"non_blocking\": false,\n"
    "  \"quant_conv\": false,\n"
    "  \"quant_embedding\": false,\n"
    "  \"quant_method\": \"sdnq\",\n"
    "  \"quantization_device\": null,\n"
    "  \"quantized_matmul_dtype\": null,\n"
    "  \"return_device\": \"cuda:0\",\n"
    "  \"sdnq_version\": \"0.2.5\",\n"
    "  \"svd_rank\": 32,\n"
    "  \"svd_steps\": 8,\n"
    "  \"use_codebook\": false,\n"
    "  \"use_dynamic_quantization\": true,\n"
    "  \"use_grad_ckpt\": true,\n"
    "  \"use_hadamard\": false,\n"
    "  \"use_quantized_matmul\": false,\n"
    "  \"use_quantized_matmul_conv\": false,\n"
    "  \"use_static_quantization\": true,\n"
    "  \"use_stochastic_rounding\": false,\n"
    "  \"use_svd\": false,\n"
    "  \"weights_dtype\": \"int8\"\n"
    "}");
  QsPatternList *list;

  g_assert_cmpstr (config->weights_dtype, ==, "int8");
  g_assert_cmpuint (config->modules_to_not_convert->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (config->modules_to_not_convert, 1), ==, ".time_embed");
  g_assert_cmpuint (config->modules_dtype_dict->len, ==, 2);
  list = g_ptr_array_index (config->modules_dtype_dict, 1);
  g_assert_cmpstr (list->key, ==, "int5");

  g_assert_cmpstr (resolve_dtype (config, "blocks.1.ff.weight"), ==, "int5");
  g_assert_false (resolve (config, "lm_head.weight", QS_LAYER_LINEAR).quantized);
  g_assert_false (resolve (config, "time_embed.0.weight", QS_LAYER_LINEAR).quantized);
}

static void
test_json_tolerant (void)
{
  g_autoptr(QsSdnqConfig) config = config_from_text (
    "{\"modules_to_not_convert\": \"lm_head\","
    " \"modules_to_not_use_matmul\": null,"
    " \"modules_dtype_dict\": {\"UINT8\": \"a.weight\", \"fp8\": [\"b.weight\"],"
    "                          \"MINIMUM_6BIT\": [\"c.weight\"]},"
    " \"modules_group_size_dict\": {\" +64 \": [\"x.weight\"]},"
    " \"modules_svd_dict\": {\"032\": [\"y.weight\"]},"
    " \"modules_quant_config\": {\"p.weight\": {\"use_svd\": true},"
    "                            \"q.weight\": {\"svd_rank\": 8, \"svd_steps\": 2}},"
    " \"weights_dtype\": \"UINT4\", \"use_svd\": true, \"svd_rank\": 64,"
    " \"quantization_device\": null}");
  QsPatternList *list;
  QsQuantOverride *override;

  g_assert_cmpstr (config->weights_dtype, ==, "uint4");
  g_assert_cmpuint (config->modules_to_not_convert->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (config->modules_to_not_convert, 0), ==, "lm_head");
  g_assert_cmpuint (config->modules_to_not_use_matmul->len, ==, 0);

  /* Dtype keys are canonicalised, and minimum keys are lower-cased. */
  g_assert_cmpuint (config->modules_dtype_dict->len, ==, 3);
  list = g_ptr_array_index (config->modules_dtype_dict, 0);
  g_assert_cmpstr (list->key, ==, "uint8");
  g_assert_cmpstr (g_ptr_array_index (list->patterns, 0), ==, "a.weight");
  list = g_ptr_array_index (config->modules_dtype_dict, 1);
  g_assert_cmpstr (list->key, ==, "float8_e4m3fn");
  list = g_ptr_array_index (config->modules_dtype_dict, 2);
  g_assert_cmpstr (list->key, ==, "minimum_6bit");

  list = g_ptr_array_index (config->modules_group_size_dict, 0);
  g_assert_cmpstr (list->key, ==, "64");
  list = g_ptr_array_index (config->modules_svd_dict, 0);
  g_assert_cmpstr (list->key, ==, "32");

  /* An entry with only use_svd takes the global rank, even though the
   * rank comes later in the file. An entry with only svd_rank takes the
   * global use_svd. */
  override = g_ptr_array_index (config->modules_quant_config, 0);
  g_assert_true (override->has_use_svd);
  g_assert_true (override->use_svd);
  g_assert_cmpuint (override->svd_rank, ==, 64);
  override = g_ptr_array_index (config->modules_quant_config, 1);
  g_assert_true (override->has_use_svd);
  g_assert_true (override->use_svd);
  g_assert_cmpuint (override->svd_rank, ==, 8);
  g_assert_false (override->has_group_size);

  g_assert_cmpint (resolve (config, "x.weight", QS_LAYER_LINEAR).group_size, ==, 64);
  g_assert_cmpuint (resolve (config, "y.weight", QS_LAYER_LINEAR).svd_rank, ==, 32);
  g_assert_cmpstr (resolve_dtype (config, "c.weight"), ==, "int6");
}

static void
test_json_member_order (void)
{
  g_autoptr(QsSdnqConfig) broad_first = config_from_text (
    "{\"weights_dtype\": \"uint4\", \"modules_dtype_dict\": "
    "{\"uint8\": [\"*attn*\"], \"int8\": [\"blocks.0.attn.weight\"]}}");
  g_autoptr(QsSdnqConfig) exact_first = config_from_text (
    "{\"weights_dtype\": \"uint4\", \"modules_dtype_dict\": "
    "{\"int8\": [\"blocks.0.attn.weight\"], \"uint8\": [\"*attn*\"]}}");

  /* The file's key order is the order SDNQ checks. */
  g_assert_cmpstr (resolve_dtype (broad_first, "blocks.0.attn.weight"), ==, "uint8");
  g_assert_cmpstr (resolve_dtype (exact_first, "blocks.0.attn.weight"), ==, "int8");
}

typedef struct
{
  const char *json;
  const char *message;
} InvalidCase;

static void
test_json_invalid (void)
{
  static const InvalidCase cases[] = {
    { "[1, 2]", "expected an object of SDNQConfig keyword arguments, not a list" },
    { "{\"weight_dtype\": \"int8\"}", "unknown key “weight_dtype”" },
    { "{\"weights_dtype\": \"uint99\"}", "weights_dtype “uint99” is not an SDNQ dtype" },
    { "{\"weights_dtype\": 4}", "weights_dtype must be a dtype name, not an integer" },
    { "{\"modules_dtype_dict\": {\"uint99\": [\"a\"]}}",
      "modules_dtype_dict key “uint99” is not an SDNQ dtype" },
    { "{\"modules_dtype_dict\": {\"minimum_fp8\": [\"a\"]}}",
      "modules_dtype_dict key “minimum_fp8” is neither an SDNQ dtype nor a minimum bit count" },
    { "{\"modules_dtype_dict\": {\"minimum_64bit\": [\"a\"]}}",
      "modules_dtype_dict key “minimum_64bit” asks for int64, which is not an SDNQ dtype" },
    { "{\"modules_dtype_dict\": {\"fp8\": [\"a\"], \"float8_e4m3fn\": [\"b\"]}}",
      "modules_dtype_dict keys “fp8” and “float8_e4m3fn” mean the same" },
    { "{\"modules_dtype_dict\": [\"uint8\"]}", "modules_dtype_dict must be an object" },
    { "{\"modules_dtype_dict\": {\"uint8\": [true]}}",
      "modules_dtype_dict[“uint8”] entry 1 must be a pattern string, not true or false" },
    { "{\"group_size\": -3}", "group_size -3 is invalid" },
    { "{\"group_size\": 64.5}", "group_size must be an integer, not a floating-point number" },
    { "{\"group_size\": \"64\"}", "group_size must be an integer, not a string" },
    { "{\"modules_to_not_convert\": [\"a\", 3]}",
      "modules_to_not_convert entry 2 must be a pattern string, not an integer" },
    { "{\"modules_to_not_convert\": {\"a\": 1}}",
      "modules_to_not_convert must be a list of patterns, not an object" },
    { "{\"modules_to_not_convert\": [\"blocks.(*\"]}",
      "pattern “blocks.(*” in modules_to_not_convert is not a valid regular expression" },
    { "{\"use_svd\": \"yes\"}", "“use_svd” must be true or false, not a string" },
    { "{\"svd_rank\": 0}", "“svd_rank” must be a positive integer, not 0" },
    { "{\"svd_steps\": -1}", "“svd_steps” must be a positive integer, not -1" },
    { "{\"modules_group_size_dict\": {\"sixty\": [\"a\"]}}",
      "modules_group_size_dict key “sixty” must be an integer group size" },
    { "{\"modules_group_size_dict\": {\"64.0\": [\"a\"]}}",
      "modules_group_size_dict key “64.0” must be an integer group size" },
    { "{\"modules_group_size_dict\": {\"-5\": [\"a\"]}}",
      "modules_group_size_dict key -5 is invalid" },
    { "{\"modules_group_size_dict\": {\"64\": [\"a\"], \"+64\": [\"b\"]}}",
      "modules_group_size_dict keys “64” and “+64” mean the same" },
    { "{\"modules_svd_dict\": {\"0\": [\"a\"]}}",
      "modules_svd_dict key “0” must be a positive SVD rank" },
    { "{\"modules_quant_config\": {\"a\": 64}}",
      "modules_quant_config[“a”] must be an object of keyword arguments, not an integer" },
    { "{\"modules_quant_config\": {\"a\": {\"group_size\": 64, \"colour\": 1}}}",
      "modules_quant_config[“a”] has the unknown key “colour”" },
    { "{\"modules_quant_config\": {\"a\": {\"weights_dtype\": \"int99\"}}}",
      "modules_quant_config[“a”] key “weights_dtype” “int99” is not an SDNQ dtype" },
    { "{\"modules_quant_config\": {\"a\": {\"svd_rank\": 0}}}",
      "modules_quant_config[“a”] key “svd_rank” must be a positive integer, not 0" },
    { "{\"modules_quant_config\": {\"*(\": {\"group_size\": 64}}}",
      "pattern “*(” in modules_quant_config is not a valid regular expression" },
    { "{\"quant_method\": \"bitsandbytes\"}", "“quant_method” must be “sdnq”, not “bitsandbytes”" },
    { "{\"use_hadamard\": true}", "“use_hadamard” is true, but Quantscope does not reproduce SDNQ's Hadamard rotation" },
    { "{\"use_codebook\": true}", "“use_codebook” is true" },
    { "{\"add_skip_keys\": \"yes\"}", "“add_skip_keys” must be true or false, not a string" },
    { "{\"minimum_allowed_numel\": 1.5}", "“minimum_allowed_numel” must be an integer" },
    { "{\"sdnq_version\": 2}", "“sdnq_version” must be a string, not an integer" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) node = parse_json (cases[i].json);
      g_autoptr(QsSdnqConfig) config = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("case %u: %s", i, cases[i].json);
      config = qs_sdnq_config_from_json (node, "transformer", &error);
      g_assert_null (config);
      qs_test_assert_error_contains (error, QS_SDNQ_CONFIG_ERROR, QS_SDNQ_CONFIG_ERROR_INVALID,
                                     "Invalid SDNQ config for component “transformer”: ");
      qs_test_assert_error_contains (error, QS_SDNQ_CONFIG_ERROR, QS_SDNQ_CONFIG_ERROR_INVALID,
                                     cases[i].message);
    }
}

/* Pipeline config */

static void
test_pipeline_parse (void)
{
  g_autoptr(JsonNode) node = parse_json (
    "{\"transformer\": {\"weights_dtype\": \"uint4\", \"group_size\": 0,"
    "                   \"modules_to_not_convert\": [\"proj_out.weight\"],"
    "                   \"modules_dtype_dict\": {\"uint8\": [\"blocks.0.attn.weight\"]},"
    "                   \"modules_group_size_dict\": {\"32\": [\"blocks.1.ff.weight\"]},"
    "                   \"modules_svd_dict\": {\"64\": [\"blocks.2.ff.weight\"]}},"
    " \"text_encoder\": {\"weights_dtype\": \"int8\", \"group_size\": 0,"
    "                    \"use_svd\": true, \"svd_rank\": 16}}");
  g_autoptr(GHashTable) configs = NULL;
  g_autoptr(GError) error = NULL;
  QsSdnqConfig *config;

  configs = qs_pipeline_config_parse (node, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (configs), ==, 2);

  config = g_hash_table_lookup (configs, "transformer");
  g_assert_nonnull (config);
  g_assert_cmpstr (config->weights_dtype, ==, "uint4");
  g_assert_false (resolve (config, "proj_out.weight", QS_LAYER_LINEAR).quantized);
  g_assert_cmpstr (resolve_dtype (config, "blocks.0.attn.weight"), ==, "uint8");
  g_assert_cmpint (resolve (config, "blocks.1.ff.weight", QS_LAYER_LINEAR).group_size, ==, 32);
  g_assert_cmpuint (resolve (config, "blocks.2.ff.weight", QS_LAYER_LINEAR).svd_rank, ==, 64);

  config = g_hash_table_lookup (configs, "text_encoder");
  g_assert_nonnull (config);
  g_assert_true (config->use_svd);
  g_assert_cmpuint (config->svd_rank, ==, 16);
}

static void
test_pipeline_fork_example (void)
{
  /* The example from the fork's docs/sensitivity-report.md, where
   * --check-matmul adds modules_quant_config entries next to the fork's
   * dicts. */
  g_autoptr(JsonNode) node = parse_json (
    "{\"transformer\": {\"weights_dtype\": \"int8\", \"use_quantized_matmul\": true,"
    "  \"group_size\": 32,"
    "  \"modules_to_not_convert\": [\"layer_with_no_passing_dtype.weight\"],"
    "  \"modules_dtype_dict\": {\"uint8\": [\"sensitive_layer.weight\"],"
    "    \"int9\": [\"finer_precision_layer.weight\"],"
    "    \"float9_e3m5fn\": [\"time_embedder_linear.weight\"]},"
    "  \"modules_svd_dict\": {\"32\": [\"layer_with_svd.weight\"]},"
    "  \"modules_quant_config\": {"
    "    \"transformer_blocks.0.attn2.to_k.weight\": {\"use_quantized_matmul\": false}}},"
    " \"text_encoder\": {\"weights_dtype\": \"int8\", \"use_quantized_matmul\": true,"
    "  \"modules_dtype_dict\": {\"uint8\": [\"layers.16.mlp.down_proj.weight\"]}}}");
  g_autoptr(GHashTable) configs = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) written = NULL;
  QsLayerQuantOptions options;
  QsSdnqConfig *config;
  JsonObject *object;

  configs = qs_pipeline_config_parse (node, &error);
  g_assert_no_error (error);
  config = g_hash_table_lookup (configs, "transformer");
  g_assert_nonnull (config);

  options = resolve (config, "transformer_blocks.0.attn2.to_k.weight", QS_LAYER_LINEAR);
  g_assert_true (options.quantized);
  g_assert_cmpstr (options.dtype->name, ==, "int8");
  g_assert_false (options.use_quantized_matmul);
  g_assert_cmpint (options.group_size, ==, 32);

  options = resolve (config, "transformer_blocks.0.attn2.to_q.weight", QS_LAYER_LINEAR);
  g_assert_true (options.use_quantized_matmul);

  g_assert_cmpstr (resolve_dtype (config, "time_embedder_linear.weight"), ==, "float9_e3m5fn");
  g_assert_cmpstr (resolve_dtype (config, "finer_precision_layer.weight"), ==, "int9");
  options = resolve (config, "layer_with_svd.weight", QS_LAYER_LINEAR);
  g_assert_true (options.use_svd);
  g_assert_cmpuint (options.svd_rank, ==, 32);
  g_assert_false (resolve (config, "layer_with_no_passing_dtype.weight", QS_LAYER_LINEAR).quantized);

  /* The script style writes the same shape back, quant_config included. */
  written = qs_sdnq_config_to_json (config, QS_CONFIG_STYLE_SCRIPT);
  object = json_node_get_object (written);
  g_assert_true (json_object_get_boolean_member (object, "use_quantized_matmul"));
  g_assert_cmpuint (json_object_get_size (member_object (object, "modules_quant_config")), ==, 1);
  g_assert_cmpuint (json_object_get_size (member_object (object, "modules_svd_dict")), ==, 1);
}

static void
test_pipeline_invalid (void)
{
  static const InvalidCase cases[] = {
    { "[]", "Invalid pipeline config: expected an object from component subfolder" },
    { "{\"transformer\": \"uint4\"}",
      "Invalid pipeline config for component “transformer”: expected an object of "
      "SDNQConfig keyword arguments, not a string" },
    { "{\"transformer\": {\"weights_dtype\": \"uint4\"},"
      " \"vae\": {\"modules_dtype_dict\": {\"uint99\": []}}}",
      "Invalid pipeline config for component “vae”: modules_dtype_dict key “uint99” is not "
      "an SDNQ dtype" },
    { "{\"transformer\": {\"group_sizes\": [32]}}",
      "Invalid pipeline config for component “transformer”: unknown key “group_sizes”" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) node = parse_json (cases[i].json);
      g_autoptr(GHashTable) configs = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("case %u: %s", i, cases[i].json);
      configs = qs_pipeline_config_parse (node, &error);
      g_assert_null (configs);
      qs_test_assert_error_contains (error, QS_SDNQ_CONFIG_ERROR, QS_SDNQ_CONFIG_ERROR_INVALID,
                                     cases[i].message);
    }
}

/* Snippets */

static QsSdnqConfig *
make_snippet_config (void)
{
  QsSdnqConfig *config = make_config ("uint4");

  add_string (config->modules_to_not_convert, "proj_out.weight");
  add_string (config->modules_to_not_convert, "time_embed.weight");
  qs_pattern_dict_add (config->modules_dtype_dict, "uint8", "blocks.0.attn.to_q.weight");
  qs_pattern_dict_add (config->modules_dtype_dict, "int8", "blocks.1.ff.weight");
  qs_pattern_dict_add (config->modules_group_size_dict, "32", "blocks.0.attn.to_k.weight");
  qs_pattern_dict_add (config->modules_svd_dict, "32", "blocks.0.attn.to_q.weight");
  qs_pattern_dict_add (config->modules_svd_dict, "64", "blocks.1.ff.weight");
  return config;
}

static void
test_snippet_script (void)
{
  g_autoptr(QsSdnqConfig) config = make_snippet_config ();
  g_autofree char *snippet = qs_sdnq_config_format_snippet (config, QS_CONFIG_STYLE_SCRIPT);

  g_assert_cmpstr (snippet, ==,
                   "SDNQConfig(\n"
                   "    weights_dtype=\"uint4\",\n"
                   "    group_size=0,\n"
                   "    modules_to_not_convert=[\n"
                   "        \"proj_out.weight\",\n"
                   "        \"time_embed.weight\",\n"
                   "    ],\n"
                   "    modules_dtype_dict={\n"
                   "        \"uint8\": [\n"
                   "            \"blocks.0.attn.to_q.weight\",\n"
                   "        ],\n"
                   "        \"int8\": [\n"
                   "            \"blocks.1.ff.weight\",\n"
                   "        ],\n"
                   "    },\n"
                   "    modules_group_size_dict={\n"
                   "        32: [\n"
                   "            \"blocks.0.attn.to_k.weight\",\n"
                   "        ],\n"
                   "    },\n"
                   "    modules_svd_dict={\n"
                   "        32: [\n"
                   "            \"blocks.0.attn.to_q.weight\",\n"
                   "        ],\n"
                   "        64: [\n"
                   "            \"blocks.1.ff.weight\",\n"
                   "        ],\n"
                   "    },\n"
                   ")");
}

static void
test_snippet_upstream (void)
{
  g_autoptr(QsSdnqConfig) config = make_snippet_config ();
  g_autofree char *snippet = qs_sdnq_config_format_snippet (config, QS_CONFIG_STYLE_UPSTREAM);

  g_assert_cmpstr (snippet, ==,
                   "SDNQConfig(\n"
                   "    weights_dtype=\"uint4\",\n"
                   "    group_size=0,\n"
                   "    modules_to_not_convert=[\n"
                   "        \"proj_out.weight\",\n"
                   "        \"time_embed.weight\",\n"
                   "    ],\n"
                   "    modules_dtype_dict={\n"
                   "        \"uint8\": [\n"
                   "            \"blocks.0.attn.to_q.weight\",\n"
                   "        ],\n"
                   "        \"int8\": [\n"
                   "            \"blocks.1.ff.weight\",\n"
                   "        ],\n"
                   "    },\n"
                   "    modules_quant_config={\n"
                   "        \"blocks.0.attn.to_k.weight\": {\"group_size\": 32},\n"
                   "        \"blocks.0.attn.to_q.weight\": {\"use_svd\": True, \"svd_rank\": 32},\n"
                   "        \"blocks.1.ff.weight\": {\"use_svd\": True, \"svd_rank\": 64},\n"
                   "    },\n"
                   ")");
}

static void
test_snippet_defaults_omitted (void)
{
  g_autoptr(QsSdnqConfig) config = qs_sdnq_config_new ();
  g_autofree char *snippet = qs_sdnq_config_format_snippet (config, QS_CONFIG_STYLE_SCRIPT);
  g_autofree char *changed = NULL;

  g_assert_cmpstr (snippet, ==,
                   "SDNQConfig(\n"
                   "    weights_dtype=\"int8\",\n"
                   "    group_size=0,\n"
                   ")");

  config->group_size = -1;
  config->use_svd = TRUE;
  config->svd_rank = 64;
  config->svd_steps = 4;
  config->use_quantized_matmul = TRUE;
  config->dequantize_fp32 = FALSE;
  config->quant_conv = TRUE;
  add_string (config->modules_to_not_use_matmul, "*adaLN*");
  changed = qs_sdnq_config_format_snippet (config, QS_CONFIG_STYLE_SCRIPT);
  g_assert_cmpstr (changed, ==,
                   "SDNQConfig(\n"
                   "    weights_dtype=\"int8\",\n"
                   "    group_size=-1,\n"
                   "    use_svd=True,\n"
                   "    svd_rank=64,\n"
                   "    svd_steps=4,\n"
                   "    use_quantized_matmul=True,\n"
                   "    dequantize_fp32=False,\n"
                   "    quant_conv=True,\n"
                   "    modules_to_not_use_matmul=[\n"
                   "        \"*adaLN*\",\n"
                   "    ],\n"
                   ")");
}

/* Python reads the snippet, evaluates every keyword's literal and prints
 * them as JSON, together with the keywords whose dict keys are ints. */
static const char python_reader[] =
  "import ast, json, sys\n"
  "tree = ast.parse(open(sys.argv[1], encoding='utf-8').read(), mode='eval')\n"
  "call = tree.body\n"
  "assert isinstance(call, ast.Call) and call.func.id == 'SDNQConfig'\n"
  "values = {}\n"
  "int_keys = []\n"
  "for keyword in call.keywords:\n"
  "    value = ast.literal_eval(keyword.value)\n"
  "    if isinstance(value, dict) and value and all(type(k) is int for k in value):\n"
  "        int_keys.append(keyword.arg)\n"
  "    values[keyword.arg] = value\n"
  "print(json.dumps({'values': values, 'int_keys': int_keys}))\n";

/* Runs the reader on @snippet and returns its JSON output. */
static JsonNode *
read_with_python (const char *dir,
                  const char *snippet)
{
  g_autofree char *script = g_build_filename (dir, "reader.py", NULL);
  g_autofree char *path = g_build_filename (dir, "snippet.py", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { PYTHON, script, path, NULL };
  int status = 0;

  qs_test_write_file (script, python_reader);
  qs_test_write_file (path, snippet);

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("Python rejected the snippet:\n%s\n%s", snippet, err);

  return parse_json (out);
}

/* Checks that each keyword Python evaluated equals the same key of the
 * JSON form. */
static void
assert_snippet_matches_json (JsonNode *python,
                             JsonNode *json)
{
  JsonObject *values = member_object (json_node_get_object (python), "values");
  JsonObject *object = json_node_get_object (json);
  g_autoptr(GList) members = json_object_get_members (values);
  GList *l;

  g_assert_cmpuint (g_list_length (members), >, 2);
  for (l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;

      g_test_message ("keyword %s", name);
      g_assert_true (json_object_has_member (object, name));
      g_assert_true (json_node_equal (json_object_get_member (values, name),
                                      json_object_get_member (object, name)));
    }
}

static void
test_snippet_python (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(QsSdnqConfig) config = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(JsonNode) python = NULL;
  g_autofree char *snippet = NULL;
  JsonArray *int_keys;
  JsonObject *values;
  JsonArray *list;
  QsQuantOverride *override;

  if (!g_file_test (PYTHON, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip (PYTHON " is not installed");
      return;
    }

  dir = qs_test_make_tmp_dir ();

  /* Names that need escaping, and non-ASCII text that Python 3 reads as
   * UTF-8. */
  config = make_snippet_config ();
  add_string (config->modules_to_not_convert, "quote\"and\\backslash");
  add_string (config->modules_to_not_convert, "line\nbreak\ttab\x01");
  add_string (config->modules_to_not_convert, "blöcks.0.wëight");
  config->use_svd = TRUE;
  config->dequantize_fp32 = FALSE;
  override = add_override (config, "head.weight");
  override->has_weights_dtype = TRUE;
  override->weights_dtype = g_strdup ("int6");
  override->has_use_quantized_matmul = TRUE;

  snippet = qs_sdnq_config_format_snippet (config, QS_CONFIG_STYLE_SCRIPT);
  python = read_with_python (dir, snippet);
  json = qs_sdnq_config_to_json (config, QS_CONFIG_STYLE_SCRIPT);
  assert_snippet_matches_json (python, json);

  values = member_object (json_node_get_object (python), "values");
  list = json_object_get_array_member (values, "modules_to_not_convert");
  g_assert_cmpuint (json_array_get_length (list), ==, 5);
  g_assert_cmpstr (json_array_get_string_element (list, 2), ==, "quote\"and\\backslash");
  g_assert_cmpstr (json_array_get_string_element (list, 3), ==, "line\nbreak\ttab\x01");
  g_assert_cmpstr (json_array_get_string_element (list, 4), ==, "blöcks.0.wëight");

  /* The fork's dicts have Python int keys, the dtype dict string keys. */
  int_keys = json_object_get_array_member (json_node_get_object (python), "int_keys");
  g_assert_cmpuint (json_array_get_length (int_keys), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (int_keys, 0), ==, "modules_group_size_dict");
  g_assert_cmpstr (json_array_get_string_element (int_keys, 1), ==, "modules_svd_dict");

  /* The upstream form evaluates to the upstream JSON. */
  g_clear_pointer (&snippet, g_free);
  g_clear_pointer (&python, json_node_unref);
  g_clear_pointer (&json, json_node_unref);
  snippet = qs_sdnq_config_format_snippet (config, QS_CONFIG_STYLE_UPSTREAM);
  python = read_with_python (dir, snippet);
  json = qs_sdnq_config_to_json (config, QS_CONFIG_STYLE_UPSTREAM);
  assert_snippet_matches_json (python, json);
  values = member_object (json_node_get_object (python), "values");
  g_assert_cmpuint (json_object_get_size (member_object (values, "modules_quant_config")), ==, 4);

  qs_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qs/engine/sdnq-config/defaults", test_config_defaults);
  g_test_add_func ("/qs/engine/sdnq-config/style-names", test_config_style_names);
  g_test_add_func ("/qs/engine/sdnq-config/pattern-dict-order", test_pattern_dict_order);
  g_test_add_func ("/qs/engine/sdnq-config/copy-equal", test_config_copy_equal);
  g_test_add_func ("/qs/engine/sdnq-config/match/prefix", test_match_prefix);
  g_test_add_func ("/qs/engine/sdnq-config/match/equality-and-part", test_match_equality_and_part);
  g_test_add_func ("/qs/engine/sdnq-config/match/regex", test_match_regex);
  g_test_add_func ("/qs/engine/sdnq-config/resolve/explicit-beats-default",
                   test_resolve_explicit_beats_default);
  g_test_add_func ("/qs/engine/sdnq-config/resolve/skip-beats-dtype", test_resolve_skip_beats_dtype);
  g_test_add_func ("/qs/engine/sdnq-config/resolve/first-key-wins", test_resolve_first_key_wins);
  g_test_add_func ("/qs/engine/sdnq-config/resolve/minimum-keys", test_resolve_minimum_keys);
  g_test_add_func ("/qs/engine/sdnq-config/resolve/quant-config", test_resolve_quant_config);
  g_test_add_func ("/qs/engine/sdnq-config/resolve/fork-dicts", test_resolve_fork_dicts);
  g_test_add_func ("/qs/engine/sdnq-config/resolve/layer-kinds", test_resolve_layer_kinds);
  g_test_add_func ("/qs/engine/sdnq-config/json/script-round-trip", test_json_script_round_trip);
  g_test_add_func ("/qs/engine/sdnq-config/json/upstream-round-trip", test_json_upstream_round_trip);
  g_test_add_func ("/qs/engine/sdnq-config/json/upstream-fold", test_json_upstream_fold);
  g_test_add_func ("/qs/engine/sdnq-config/json/saved-subset", test_json_saved_subset);
  g_test_add_func ("/qs/engine/sdnq-config/json/saved-full", test_json_saved_full);
  g_test_add_func ("/qs/engine/sdnq-config/json/tolerant", test_json_tolerant);
  g_test_add_func ("/qs/engine/sdnq-config/json/member-order", test_json_member_order);
  g_test_add_func ("/qs/engine/sdnq-config/json/invalid", test_json_invalid);
  g_test_add_func ("/qs/engine/sdnq-config/pipeline/parse", test_pipeline_parse);
  g_test_add_func ("/qs/engine/sdnq-config/pipeline/fork-example", test_pipeline_fork_example);
  g_test_add_func ("/qs/engine/sdnq-config/pipeline/invalid", test_pipeline_invalid);
  g_test_add_func ("/qs/engine/sdnq-config/snippet/script", test_snippet_script);
  g_test_add_func ("/qs/engine/sdnq-config/snippet/upstream", test_snippet_upstream);
  g_test_add_func ("/qs/engine/sdnq-config/snippet/defaults-omitted", test_snippet_defaults_omitted);
  g_test_add_func ("/qs/engine/sdnq-config/snippet/python", test_snippet_python);

  return g_test_run ();
}
