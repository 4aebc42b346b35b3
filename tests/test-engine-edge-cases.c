/* test-engine-edge-cases.c: unusual tensors that real checkpoints contain
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "qs-error.h"
#include "qs-model.h"
#include "qs-test-utils.h"

static char *tmp_dir;

static char *
write_fixture (QsTestSafetensors *st,
               const char        *name)
{
  char *path = g_build_filename (tmp_dir, name, NULL);

  qs_test_safetensors_write (st, path);
  return path;
}

/* Returns the element count of a shape written as JSON text, "[8, 4]". */
static guint64
shape_numel (const char *shape)
{
  guint64 numel = 1;

  for (const char *p = shape; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        {
          char *end;

          numel *= g_ascii_strtoull (p, &end, 10);
          p = end - 1;
        }
    }

  return numel;
}

/* Writes a file with one tensor of the right byte size and classifies it. */
static QsTensorRole
classify_entry (const char  *name,
                const char  *dtype_string,
                const char  *shape,
                QsLayerKind *kind)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsSafetensorsFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  QsTensorDtype dtype;

  g_assert_true (qs_tensor_dtype_from_string (dtype_string, &dtype));
  qs_test_safetensors_add (st, name, dtype_string, shape, NULL,
                           shape_numel (shape) * qs_tensor_dtype_get_bits (dtype) / 8);
  path = write_fixture (st, "classify.safetensors");
  file = qs_safetensors_file_open (path, 0, &error);
  g_assert_no_error (error);

  return qs_classify_tensor (qs_safetensors_file_lookup (file, name), kind);
}

static void
test_zero_element_and_scalar (void)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  const QsComponent *component;
  const QsTensorInfo *info;
  const float scale = 0.125f;
  const float weight[] = { 1, 2, 3, 4, 5, 6 };
  QsLayerKind kind;
  float out[8];

  /* The scaled_fp8 marker is a scalar and the other markers are empty. Most
   * are named like weights, which must not make them layers. */
  qs_test_safetensors_add_f32 (st, "scaled_fp8", "[]", &scale, 1);
  qs_test_safetensors_add (st, "marker.weight", "F32", "[0]", NULL, 0);
  qs_test_safetensors_add (st, "empty.weight", "BF16", "[4, 0]", NULL, 0);
  qs_test_safetensors_add (st, "empty_rows.weight", "F16", "[0, 4]", NULL, 0);
  qs_test_safetensors_add (st, "scale.weight", "F32", "[]", &scale, 4);
  qs_test_safetensors_add_f32 (st, "proj.weight", "[2, 3]", weight, 6);
  path = write_fixture (st, "zero-element.safetensors");

  model = qs_model_open (path, NULL, &error);
  g_assert_no_error (error);
  component = qs_model_get_component (model, 0);
  g_assert_cmpuint (component->tensors->len, ==, 6);
  g_assert_cmpuint (component->total_bytes, ==, 4 + 4 + 24);

  for (guint i = 0; i < component->tensors->len; i++)
    {
      QsTensorRole role;

      info = g_ptr_array_index (component->tensors, i);
      role = qs_classify_tensor (info, &kind);

      if (strcmp (info->name, "proj.weight") == 0)
        {
          g_assert_cmpint (role, ==, QS_TENSOR_ROLE_LAYER);
          g_assert_cmpint (kind, ==, QS_LAYER_LINEAR);
        }
      else if (role != QS_TENSOR_ROLE_METADATA)
        {
          g_error ("%s classified as %s, expected metadata",
                   info->name, qs_tensor_role_to_string (role));
        }
    }

  /* Row sizes and decoding never divide by a zero dimension. */
  info = qs_safetensors_file_lookup (g_ptr_array_index (component->files, 0), "empty.weight");
  g_assert_cmpuint (info->numel, ==, 0);
  g_assert_cmpuint (qs_tensor_row_numel (info), ==, 0);
  g_assert_true (qs_tensor_decode_rows (info, 0, 4, out, &error));
  g_assert_no_error (error);

  info = qs_safetensors_file_lookup (g_ptr_array_index (component->files, 0), "empty_rows.weight");
  g_assert_cmpuint (info->numel, ==, 0);
  g_assert_cmpuint (qs_tensor_row_numel (info), ==, 4);
  g_assert_true (qs_tensor_decode_rows (info, 0, 0, out, &error));
  g_assert_no_error (error);
  g_assert_false (qs_tensor_decode_rows (info, 0, 1, out, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  info = qs_safetensors_file_lookup (g_ptr_array_index (component->files, 0), "marker.weight");
  g_assert_cmpuint (info->ndim, ==, 1);
  g_assert_cmpint (info->shape[0], ==, 0);
  g_assert_cmpuint (info->data_end - info->data_begin, ==, 0);

  info = qs_safetensors_file_lookup (g_ptr_array_index (component->files, 0), "scaled_fp8");
  g_assert_cmpuint (info->ndim, ==, 0);
  g_assert_cmpuint (info->numel, ==, 1);
  g_assert_true (qs_tensor_decode_rows (info, 0, 1, out, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (out[0], ==, 0.125f);
}

static void
test_every_dtype_classified (void)
{
  static const struct
  {
    const char *dtype;
    const char *shape;
    gsize size;
    QsTensorRole role;
  } cases[] = {
    { "BOOL", "[4, 4]", 16, QS_TENSOR_ROLE_NON_FLOAT },
    { "F4", "[4, 4]", 8, QS_TENSOR_ROLE_UNSUPPORTED },
    { "F6_E2M3", "[4, 4]", 12, QS_TENSOR_ROLE_UNSUPPORTED },
    { "F6_E3M2", "[4, 4]", 12, QS_TENSOR_ROLE_UNSUPPORTED },
    { "U8", "[4, 4]", 16, QS_TENSOR_ROLE_NON_FLOAT },
    { "I8", "[4, 4]", 16, QS_TENSOR_ROLE_NON_FLOAT },
    { "F8_E5M2", "[4, 4]", 16, QS_TENSOR_ROLE_LAYER },
    { "F8_E4M3", "[4, 4]", 16, QS_TENSOR_ROLE_LAYER },
    { "F8_E8M0", "[4, 4]", 16, QS_TENSOR_ROLE_UNSUPPORTED },
    { "F8_E4M3FNUZ", "[4, 4]", 16, QS_TENSOR_ROLE_UNSUPPORTED },
    { "F8_E5M2FNUZ", "[4, 4]", 16, QS_TENSOR_ROLE_UNSUPPORTED },
    { "I16", "[4, 4]", 32, QS_TENSOR_ROLE_NON_FLOAT },
    { "U16", "[4, 4]", 32, QS_TENSOR_ROLE_NON_FLOAT },
    { "F16", "[4, 4]", 32, QS_TENSOR_ROLE_LAYER },
    { "BF16", "[4, 4]", 32, QS_TENSOR_ROLE_LAYER },
    { "I32", "[4, 4]", 64, QS_TENSOR_ROLE_NON_FLOAT },
    { "U32", "[4, 4]", 64, QS_TENSOR_ROLE_NON_FLOAT },
    { "F32", "[4, 4]", 64, QS_TENSOR_ROLE_LAYER },
    { "C64", "[4, 4]", 128, QS_TENSOR_ROLE_UNSUPPORTED },
    { "F64", "[4, 4]", 128, QS_TENSOR_ROLE_LAYER },
    { "I64", "[4, 4]", 128, QS_TENSOR_ROLE_NON_FLOAT },
    { "U64", "[4, 4]", 128, QS_TENSOR_ROLE_NON_FLOAT },
  };
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  const QsComponent *component;
  float out[16];

  /* One file mixes every dtype, as fine-tunes mixing F8_E4M3 with BF16 and
   * F32 do. Unsupported tensors are listed, and the file still opens. */
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("blocks.%u.%s.weight", i, cases[i].dtype);

      qs_test_safetensors_add (st, name, cases[i].dtype, cases[i].shape, NULL, cases[i].size);
    }
  qs_test_safetensors_add (st, "position_ids", "I64", "[1, 8]", NULL, 64);
  path = write_fixture (st, "every-dtype.safetensors");

  model = qs_model_open (path, NULL, &error);
  g_assert_no_error (error);
  component = qs_model_get_component (model, 0);
  g_assert_cmpuint (component->tensors->len, ==, G_N_ELEMENTS (cases) + 1);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const QsTensorInfo *info = g_ptr_array_index (component->tensors, i);
      QsLayerKind kind;
      QsTensorRole role;

      g_assert_true (strstr (info->name, cases[i].dtype) != NULL);
      role = qs_classify_tensor (info, &kind);
      if (role != cases[i].role)
        g_error ("%s classified as %s, expected %s", info->name,
                 qs_tensor_role_to_string (role), qs_tensor_role_to_string (cases[i].role));

      if (role == QS_TENSOR_ROLE_LAYER)
        {
          g_assert_cmpint (kind, ==, QS_LAYER_LINEAR);
          g_assert_true (qs_tensor_decode_rows (info, 0, 4, out, &error));
          g_assert_no_error (error);
        }
      else
        {
          g_assert_false (qs_tensor_decode_rows (info, 0, 4, out, &error));
          qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_UNSUPPORTED,
                                         cases[i].dtype);
          g_clear_error (&error);
        }
    }

  /* Integer buffers are never layers, whatever their name and shape. */
  g_assert_cmpint (qs_classify_tensor (qs_safetensors_file_lookup (g_ptr_array_index (component->files, 0),
                                                                   "position_ids"),
                                       NULL),
                   ==, QS_TENSOR_ROLE_NON_FLOAT);
}

static void
test_layer_kinds (void)
{
  static const struct
  {
    const char *name;
    const char *shape;
    QsTensorRole role;
    QsLayerKind kind;
  } cases[] = {
    { "model.layers.0.mlp.up_proj.weight", "[8, 4]", QS_TENSOR_ROLE_LAYER, QS_LAYER_LINEAR },
    { "weight", "[8, 4]", QS_TENSOR_ROLE_LAYER, QS_LAYER_LINEAR },
    { "model.embed_tokens.weight", "[8, 4]", QS_TENSOR_ROLE_LAYER, QS_LAYER_EMBEDDING },
    { "transformer.wte.weight", "[8, 4]", QS_TENSOR_ROLE_LAYER, QS_LAYER_EMBEDDING },
    { "transformer.wpe.weight", "[8, 4]", QS_TENSOR_ROLE_LAYER, QS_LAYER_EMBEDDING },
    { "bert.embeddings.word_embeddings.weight", "[8, 4]", QS_TENSOR_ROLE_LAYER, QS_LAYER_EMBEDDING },
    { "pos.position_embeddings.weight", "[8, 4]", QS_TENSOR_ROLE_LAYER, QS_LAYER_EMBEDDING },
    { "tt.token_type_embeddings.weight", "[8, 4]", QS_TENSOR_ROLE_LAYER, QS_LAYER_EMBEDDING },
    { "time.embedding.weight", "[8, 4]", QS_TENSOR_ROLE_LAYER, QS_LAYER_EMBEDDING },
    { "shared.weight", "[8, 4]", QS_TENSOR_ROLE_LAYER, QS_LAYER_EMBEDDING },
    { "tok_embeddings.weight", "[8, 4]", QS_TENSOR_ROLE_LAYER, QS_LAYER_EMBEDDING },
    /* Only a whole dot-separated part names an embedding. */
    { "x_embedder.proj.weight", "[8, 4]", QS_TENSOR_ROLE_LAYER, QS_LAYER_LINEAR },
    { "embed_tokens_norm.weight", "[8, 4]", QS_TENSOR_ROLE_LAYER, QS_LAYER_LINEAR },
    { "lm_head.weight", "[8, 4]", QS_TENSOR_ROLE_LAYER, QS_LAYER_LINEAR },
    { "conv1d.weight", "[8, 4, 3]", QS_TENSOR_ROLE_LAYER, QS_LAYER_CONV },
    { "conv2d.weight", "[8, 4, 3, 3]", QS_TENSOR_ROLE_LAYER, QS_LAYER_CONV },
    { "patch_embed.proj.weight", "[8, 4, 1, 2, 2]", QS_TENSOR_ROLE_LAYER, QS_LAYER_CONV },
    { "odd.weight", "[1, 1, 1, 1, 1, 1]", QS_TENSOR_ROLE_OTHER, 0 },
    { "norm.weight", "[8]", QS_TENSOR_ROLE_OTHER, 0 },
    { "proj.bias", "[8, 4]", QS_TENSOR_ROLE_OTHER, 0 },
    { "proj.weight_scale", "[8, 4]", QS_TENSOR_ROLE_OTHER, 0 },
    { "pos_embed", "[1, 16, 4]", QS_TENSOR_ROLE_OTHER, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      QsLayerKind kind = (QsLayerKind) -1;
      QsTensorRole role;

      role = classify_entry (cases[i].name, "F32", cases[i].shape, &kind);
      if (role != cases[i].role)
        g_error ("%s classified as %s, expected %s", cases[i].name,
                 qs_tensor_role_to_string (role), qs_tensor_role_to_string (cases[i].role));
      if (role == QS_TENSOR_ROLE_LAYER && kind != cases[i].kind)
        g_error ("%s has layer kind %d, expected %d", cases[i].name, kind, cases[i].kind);
    }
}

static void
test_integer_weights_never_layers (void)
{
  static const char * const dtypes[] = { "I8", "U8", "I16", "I32", "I64", "U64", "BOOL" };

  for (guint i = 0; i < G_N_ELEMENTS (dtypes); i++)
    {
      /* A quantized checkpoint stores packed codes as 2-D integer weights. */
      g_assert_cmpint (classify_entry ("layers.0.proj.weight", dtypes[i], "[8, 4]", NULL),
                       ==, QS_TENSOR_ROLE_NON_FLOAT);
      g_assert_cmpint (classify_entry ("conv.weight", dtypes[i], "[2, 2, 2, 4]", NULL),
                       ==, QS_TENSOR_ROLE_NON_FLOAT);
      g_assert_cmpint (classify_entry ("num_batches_tracked", dtypes[i], "[]", NULL),
                       ==, QS_TENSOR_ROLE_METADATA);
    }
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  tmp_dir = qs_test_make_tmp_dir ();

  g_test_add_func ("/qs/engine/edge-cases/zero-element-and-scalar", test_zero_element_and_scalar);
  g_test_add_func ("/qs/engine/edge-cases/every-dtype-classified", test_every_dtype_classified);
  g_test_add_func ("/qs/engine/edge-cases/layer-kinds", test_layer_kinds);
  g_test_add_func ("/qs/engine/edge-cases/integer-weights-never-layers", test_integer_weights_never_layers);

  status = g_test_run ();

  qs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);

  return status;
}
