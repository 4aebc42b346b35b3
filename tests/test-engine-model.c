/* test-engine-model.c: model sources, components, shards and the hub cache
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "qs-error.h"
#include "qs-model.h"
#include "qs-test-utils.h"

static char *tmp_dir;

/* A fresh folder under the program's temporary folder. */
static char *
make_case_dir (const char *name)
{
  char *path = g_build_filename (tmp_dir, name, NULL);

  qs_test_remove_tree (path);
  g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);

  return path;
}

/* Writes a file with one F32 tensor per name, each [2, 2], with values
 * derived from the tensor's position in @names. */
static void
write_weights (const char         *path,
               const char * const *names)
{
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();

  qs_test_safetensors_add_metadata (st, "format", "pt");
  for (guint i = 0; names[i] != NULL; i++)
    {
      const float values[] = { i, i + 0.5f, -(float) i, 1.0f };

      qs_test_safetensors_add_f32 (st, names[i], "[2, 2]", values, 4);
    }

  qs_test_safetensors_write (st, path);
}

static guint
count_roles (const QsComponent *component,
             QsTensorRole       role,
             int                kind)
{
  guint count = 0;

  for (guint i = 0; i < component->tensors->len; i++)
    {
      const QsTensorInfo *info = g_ptr_array_index (component->tensors, i);
      QsLayerKind layer_kind = (QsLayerKind) -1;

      if (qs_classify_tensor (info, &layer_kind) != role)
        continue;
      if (kind >= 0 && (int) layer_kind != kind)
        continue;
      count++;
    }

  return count;
}

static void
assert_sorted_naturally (const QsComponent *component)
{
  for (guint i = 1; i < component->tensors->len; i++)
    {
      const QsTensorInfo *previous = g_ptr_array_index (component->tensors, i - 1);
      const QsTensorInfo *info = g_ptr_array_index (component->tensors, i);

      g_assert_cmpint (qs_tensor_name_compare (previous->name, info->name), <, 0);
    }
}

static void
test_demo_pipeline (void)
{
  g_autofree char *demo = qs_test_get_data_path ("demo", "model_index.json", NULL);
  g_autofree char *folder = NULL;
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;
  const QsComponent *text_encoder;
  const QsComponent *vae;
  const QsTensorInfo *first;
  const QsTensorInfo *last;

  if (demo == NULL)
    {
      g_test_skip ("QS_TEST_DATA does not contain the demo model");
      return;
    }

  folder = g_path_get_dirname (demo);
  model = qs_model_open (folder, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (model);

  g_assert_true (qs_model_is_pipeline (model));
  g_assert_cmpstr (qs_model_get_pipeline_class (model), ==, "QuantscopeDemoPipeline");
  g_assert_cmpstr (qs_model_get_name (model), ==, "demo");
  g_assert_null (qs_model_get_revision (model));
  g_assert_cmpuint (qs_model_get_n_components (model), ==, 2);

  text_encoder = qs_model_get_component (model, 0);
  g_assert_cmpstr (text_encoder->name, ==, "text_encoder");
  g_assert_cmpstr (text_encoder->class_name, ==, "LlamaForCausalLM");
  g_assert_cmpstr (text_encoder->library, ==, "transformers");
  g_assert_cmpuint (text_encoder->files->len, ==, 1);
  g_assert_cmpuint (text_encoder->tensors->len, ==, 20);
  g_assert_cmpuint (text_encoder->total_bytes, ==, 2624000);
  g_assert_cmpuint (count_roles (text_encoder, QS_TENSOR_ROLE_LAYER, QS_LAYER_LINEAR), ==, 15);
  g_assert_cmpuint (count_roles (text_encoder, QS_TENSOR_ROLE_LAYER, QS_LAYER_EMBEDDING), ==, 0);
  g_assert_cmpuint (count_roles (text_encoder, QS_TENSOR_ROLE_LAYER, QS_LAYER_CONV), ==, 0);
  g_assert_cmpuint (count_roles (text_encoder, QS_TENSOR_ROLE_OTHER, -1), ==, 5);
  assert_sorted_naturally (text_encoder);

  vae = qs_model_get_component (model, 1);
  g_assert_cmpstr (vae->name, ==, "vae_decoder");
  g_assert_cmpstr (vae->class_name, ==, "TAEF2Decoder");
  g_assert_cmpstr (vae->library, ==, "taesd");
  g_assert_cmpuint (vae->tensors->len, ==, 79);
  g_assert_cmpuint (vae->total_bytes, ==, 2676998);
  g_assert_cmpuint (count_roles (vae, QS_TENSOR_ROLE_LAYER, QS_LAYER_CONV), ==, 41);
  g_assert_cmpuint (count_roles (vae, QS_TENSOR_ROLE_LAYER, QS_LAYER_LINEAR), ==, 0);
  g_assert_cmpuint (count_roles (vae, QS_TENSOR_ROLE_OTHER, -1), ==, 38);
  assert_sorted_naturally (vae);

  /* Numbered modules sort by value: 1, 3, ..., 19, not 1, 10, 12. */
  first = g_ptr_array_index (vae->tensors, 0);
  last = g_ptr_array_index (vae->tensors, vae->tensors->len - 1);
  g_assert_cmpstr (first->name, ==, "1.bias");
  g_assert_cmpstr (((const QsTensorInfo *) g_ptr_array_index (vae->tensors, 2))->name, ==,
                   "3.conv.0.bias");
  g_assert_cmpstr (last->name, ==, "19.weight");

  g_assert_true (qs_model_lookup_component (model, "vae_decoder") == vae);
  g_assert_null (qs_model_lookup_component (model, "scheduler"));
}

static void
test_demo_select_components (void)
{
  g_autofree char *demo = qs_test_get_data_path ("demo", NULL);
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) selected = NULL;
  const char *all[] = { NULL };
  const char *vae_only[] = { "vae_decoder:TAEF2Decoder", NULL };
  const char *wrong_class[] = { "vae_decoder:AutoencoderKL", NULL };
  const char *both_reversed[] = { "vae_decoder", "text_encoder", "vae_decoder", NULL };
  const char *scheduler[] = { "scheduler", NULL };
  const char *unknown[] = { "text_encoder", "unet:UNet2DConditionModel", NULL };

  if (demo == NULL)
    {
      g_test_skip ("QS_TEST_DATA does not contain the demo model");
      return;
    }

  model = qs_model_open (demo, NULL, &error);
  g_assert_no_error (error);

  selected = qs_model_select_components (model, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (selected->len, ==, 2);
  g_clear_pointer (&selected, g_ptr_array_unref);

  selected = qs_model_select_components (model, all, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (selected->len, ==, 2);
  g_clear_pointer (&selected, g_ptr_array_unref);

  selected = qs_model_select_components (model, vae_only, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (selected->len, ==, 1);
  g_assert_cmpstr (((QsComponent *) g_ptr_array_index (selected, 0))->name, ==, "vae_decoder");
  g_clear_pointer (&selected, g_ptr_array_unref);

  /* A class that differs from model_index.json is not an error. */
  selected = qs_model_select_components (model, wrong_class, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (selected->len, ==, 1);
  g_clear_pointer (&selected, g_ptr_array_unref);

  /* Selections keep the model's order and list each component once. */
  selected = qs_model_select_components (model, both_reversed, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (selected->len, ==, 2);
  g_assert_cmpstr (((QsComponent *) g_ptr_array_index (selected, 0))->name, ==, "text_encoder");
  g_assert_cmpstr (((QsComponent *) g_ptr_array_index (selected, 1))->name, ==, "vae_decoder");
  g_clear_pointer (&selected, g_ptr_array_unref);

  selected = qs_model_select_components (model, scheduler, &error);
  g_assert_null (selected);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND,
                                 "“scheduler” has no safetensors weights");
  qs_test_assert_contains (error->message, "text_encoder, vae_decoder");
  g_clear_error (&error);

  selected = qs_model_select_components (model, unknown, &error);
  g_assert_null (selected);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND, "no component “unet”");
  qs_test_assert_contains (error->message, "text_encoder, vae_decoder");
}

static void
test_single_file (void)
{
  g_autofree char *folder = make_case_dir ("single-file");
  g_autofree char *path = g_build_filename (folder, "tiny.safetensors", NULL);
  const char *names[] = { "blocks.10.weight", "blocks.2.weight", "blocks.1.bias", NULL };
  const char *by_name[] = { "tiny.safetensors:SomeClass", NULL };
  const char *by_empty[] = { "", NULL };
  const char *wrong[] = { "transformer", NULL };
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) selected = NULL;
  const QsComponent *component;

  write_weights (path, names);
  model = qs_model_open (path, NULL, &error);
  g_assert_no_error (error);

  g_assert_false (qs_model_is_pipeline (model));
  g_assert_null (qs_model_get_pipeline_class (model));
  g_assert_cmpstr (qs_model_get_name (model), ==, "tiny.safetensors");
  g_assert_cmpstr (qs_model_get_path (model), ==, path);
  g_assert_cmpuint (qs_model_get_n_components (model), ==, 1);

  component = qs_model_get_component (model, 0);
  g_assert_cmpstr (component->name, ==, "");
  g_assert_cmpstr (component->path, ==, path);
  g_assert_null (component->class_name);
  g_assert_null (component->library);
  g_assert_cmpuint (component->tensors->len, ==, 3);
  g_assert_cmpuint (component->total_bytes, ==, 48);
  g_assert_cmpstr (((QsTensorInfo *) g_ptr_array_index (component->tensors, 0))->name, ==, "blocks.1.bias");
  g_assert_cmpstr (((QsTensorInfo *) g_ptr_array_index (component->tensors, 1))->name, ==, "blocks.2.weight");
  g_assert_cmpstr (((QsTensorInfo *) g_ptr_array_index (component->tensors, 2))->name, ==, "blocks.10.weight");

  selected = qs_model_select_components (model, by_name, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (selected->len, ==, 1);
  g_clear_pointer (&selected, g_ptr_array_unref);

  selected = qs_model_select_components (model, by_empty, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (selected->len, ==, 1);
  g_clear_pointer (&selected, g_ptr_array_unref);

  selected = qs_model_select_components (model, wrong, &error);
  g_assert_null (selected);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND, "tiny.safetensors");
}

static void
test_transformers_folder (void)
{
  g_autofree char *folder = make_case_dir ("transformers-folder");
  g_autofree char *weights = g_build_filename (folder, "model.safetensors", NULL);
  g_autofree char *config = g_build_filename (folder, "config.json", NULL);
  const char *names[] = { "model.embed_tokens.weight", "lm_head.weight", NULL };
  const char *by_folder[] = { "transformers-folder", NULL };
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) selected = NULL;
  const QsComponent *component;

  write_weights (weights, names);
  qs_test_write_file (config, "{\"architectures\": [\"LlamaForCausalLM\"], "
                              "\"transformers_version\": \"4.41.2\"}");

  model = qs_model_open (folder, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (qs_model_is_pipeline (model));
  g_assert_cmpstr (qs_model_get_name (model), ==, "transformers-folder");
  g_assert_cmpuint (qs_model_get_n_components (model), ==, 1);

  component = qs_model_get_component (model, 0);
  g_assert_cmpstr (component->name, ==, "");
  g_assert_cmpstr (component->path, ==, folder);
  g_assert_cmpstr (component->class_name, ==, "LlamaForCausalLM");
  g_assert_cmpstr (component->library, ==, "transformers");
  g_assert_cmpuint (count_roles (component, QS_TENSOR_ROLE_LAYER, QS_LAYER_EMBEDDING), ==, 1);
  g_assert_cmpuint (count_roles (component, QS_TENSOR_ROLE_LAYER, QS_LAYER_LINEAR), ==, 1);

  /* The folder's own name selects its single component. */
  selected = qs_model_select_components (model, by_folder, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (selected->len, ==, 1);
}

static void
test_diffusers_folder (void)
{
  g_autofree char *folder = make_case_dir ("diffusers-folder");
  g_autofree char *weights = g_build_filename (folder, "diffusion_pytorch_model.safetensors", NULL);
  g_autofree char *config = g_build_filename (folder, "config.json", NULL);
  g_autofree char *with_slash = g_strconcat (folder, "/", NULL);
  const char *names[] = { "proj_in.weight", NULL };
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;
  const QsComponent *component;

  write_weights (weights, names);
  qs_test_write_file (config, "{\"_class_name\": \"SD3Transformer2DModel\", "
                              "\"_diffusers_version\": \"0.32.0\"}");

  model = qs_model_open (with_slash, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qs_model_get_name (model), ==, "diffusers-folder");
  g_assert_cmpstr (qs_model_get_path (model), ==, folder);

  component = qs_model_get_component (model, 0);
  g_assert_cmpstr (component->class_name, ==, "SD3Transformer2DModel");
  g_assert_cmpstr (component->library, ==, "diffusers");
  g_assert_cmpuint (component->tensors->len, ==, 1);
}

static void
test_generated_pipeline (void)
{
  g_autofree char *folder = make_case_dir ("pipeline");
  g_autofree char *index = g_build_filename (folder, "model_index.json", NULL);
  g_autofree char *vae = g_build_filename (folder, "vae", "diffusion_pytorch_model.safetensors", NULL);
  g_autofree char *vae_config = g_build_filename (folder, "vae", "config.json", NULL);
  g_autofree char *encoder = g_build_filename (folder, "text_encoder", "model.safetensors", NULL);
  g_autofree char *encoder_config = g_build_filename (folder, "text_encoder", "config.json", NULL);
  g_autofree char *scheduler = g_build_filename (folder, "scheduler", "scheduler_config.json", NULL);
  g_autofree char *tokenizer = g_build_filename (folder, "tokenizer", "vocab.json", NULL);
  g_autofree char *extra = g_build_filename (folder, "not_listed", "model.safetensors", NULL);
  const char *vae_names[] = { "decoder.conv_in.weight", NULL };
  const char *encoder_names[] = { "encoder.layers.0.weight", "shared.weight", NULL };
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;
  const QsComponent *component;

  /* Components come in model_index.json order, not alphabetically. Keys
   * with "_", options and [null, null] entries are skipped. Folders without
   * weights (scheduler, tokenizer) or without an entry are not components. */
  qs_test_write_file (index,
                      "{\n"
                      "  \"_class_name\": \"StableDiffusion3Pipeline\",\n"
                      "  \"_diffusers_version\": \"0.32.0\",\n"
                      "  \"_comment\": [\"note\", \"text\"],\n"
                      "  \"vae\": [\"diffusers\", \"AutoencoderKL\"],\n"
                      "  \"scheduler\": [\"diffusers\", \"FlowMatchEulerDiscreteScheduler\"],\n"
                      "  \"text_encoder\": [\"transformers\", \"T5EncoderModel\"],\n"
                      "  \"tokenizer\": [\"transformers\", \"T5TokenizerFast\"],\n"
                      "  \"safety_checker\": [null, null],\n"
                      "  \"image_encoder\": [\"transformers\", \"CLIPVisionModel\"],\n"
                      "  \"requires_safety_checker\": true\n"
                      "}\n");
  write_weights (vae, vae_names);
  qs_test_write_file (vae_config, "{\"_class_name\": \"OtherName\"}");
  write_weights (encoder, encoder_names);
  qs_test_write_file (encoder_config, "{\"architectures\": [\"T5EncoderModel\"]}");
  qs_test_write_file (scheduler, "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\"}");
  qs_test_write_file (tokenizer, "{}");
  write_weights (extra, vae_names);

  model = qs_model_open (folder, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (qs_model_is_pipeline (model));
  g_assert_cmpstr (qs_model_get_pipeline_class (model), ==, "StableDiffusion3Pipeline");
  g_assert_cmpuint (qs_model_get_n_components (model), ==, 2);

  component = qs_model_get_component (model, 0);
  g_assert_cmpstr (component->name, ==, "vae");
  /* model_index.json wins over the component's config.json. */
  g_assert_cmpstr (component->class_name, ==, "AutoencoderKL");
  g_assert_cmpstr (component->library, ==, "diffusers");
  g_assert_cmpuint (count_roles (component, QS_TENSOR_ROLE_LAYER, QS_LAYER_LINEAR), ==, 1);

  component = qs_model_get_component (model, 1);
  g_assert_cmpstr (component->name, ==, "text_encoder");
  g_assert_cmpstr (component->class_name, ==, "T5EncoderModel");
  g_assert_cmpstr (component->library, ==, "transformers");
  g_assert_cmpuint (count_roles (component, QS_TENSOR_ROLE_LAYER, QS_LAYER_EMBEDDING), ==, 1);
  g_assert_cmpuint (count_roles (component, QS_TENSOR_ROLE_LAYER, QS_LAYER_LINEAR), ==, 1);
}

static void
test_pipeline_without_weights (void)
{
  g_autofree char *folder = make_case_dir ("empty-pipeline");
  g_autofree char *index = g_build_filename (folder, "model_index.json", NULL);
  g_autofree char *scheduler = g_build_filename (folder, "scheduler", "scheduler_config.json", NULL);
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;

  qs_test_write_file (index, "{\"_class_name\": \"P\", \"scheduler\": [\"diffusers\", \"S\"], "
                             "\"unet\": [\"diffusers\", \"UNet2DConditionModel\"]}");
  qs_test_write_file (scheduler, "{}");

  model = qs_model_open (folder, NULL, &error);
  g_assert_null (model);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND,
                                 "no component of the pipeline has safetensors weights");
  qs_test_assert_contains (error->message, "scheduler, unet");
  g_clear_error (&error);

  qs_test_write_file (index, "{\"_class_name\": ");
  model = qs_model_open (folder, NULL, &error);
  g_assert_null (model);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "model_index.json");
}

static void
test_source_errors (void)
{
  g_autofree char *missing = g_build_filename (tmp_dir, "no-such-model", NULL);
  g_autofree char *empty = make_case_dir ("no-weights");
  g_autofree char *readme = g_build_filename (empty, "README.md", NULL);
  g_autofree char *pickles = make_case_dir ("pickles");
  g_autofree char *bin = g_build_filename (pickles, "pytorch_model.bin", NULL);
  g_autofree char *several = make_case_dir ("several-files");
  g_autofree char *first = g_build_filename (several, "a.safetensors", NULL);
  g_autofree char *second = g_build_filename (several, "b.safetensors", NULL);
  g_autofree char *gguf = g_build_filename (pickles, "model.gguf", NULL);
  g_autofree char *broken = make_case_dir ("broken-weights");
  g_autofree char *broken_file = g_build_filename (broken, "model.safetensors", NULL);
  const char *names[] = { "w.weight", NULL };
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;

  model = qs_model_open (missing, NULL, &error);
  g_assert_null (model);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND, missing);
  g_clear_error (&error);

  model = qs_model_open ("", NULL, &error);
  g_assert_null (model);
  g_assert_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND);
  g_clear_error (&error);

  qs_test_write_file (readme, "# nothing here\n");
  model = qs_model_open (empty, NULL, &error);
  g_assert_null (model);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND, "no safetensors weights");
  qs_test_assert_contains (error->message, empty);
  g_clear_error (&error);

  qs_test_write_file (bin, "not really a pickle");
  model = qs_model_open (pickles, NULL, &error);
  g_assert_null (model);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_UNSUPPORTED, "convert them to safetensors");
  g_clear_error (&error);

  qs_test_write_file (gguf, "GGUF");
  model = qs_model_open (gguf, NULL, &error);
  g_assert_null (model);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_UNSUPPORTED, gguf);
  g_clear_error (&error);

  write_weights (first, names);
  write_weights (second, names);
  model = qs_model_open (several, NULL, &error);
  g_assert_null (model);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "a.safetensors, b.safetensors");
  g_clear_error (&error);

  /* A broken weight file fails the whole model and the message names it. */
  qs_test_write_file (broken_file, "version https://git-lfs.github.com/spec/v1\n");
  model = qs_model_open (broken, NULL, &error);
  g_assert_null (model);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_LFS_POINTER, broken_file);
}

/* Writes a valid two-shard transformers checkpoint and returns the index
 * path. Shard 1 contains layers 0 and 2, and shard 2 contains layer 10 and
 * the norm. */
static char *
write_sharded (const char *folder)
{
  g_autofree char *shard1 = g_build_filename (folder, "model-00001-of-00002.safetensors", NULL);
  g_autofree char *shard2 = g_build_filename (folder, "model-00002-of-00002.safetensors", NULL);
  char *index = g_build_filename (folder, "model.safetensors.index.json", NULL);
  const char *names1[] = { "layers.0.weight", "layers.2.weight", NULL };
  const char *names2[] = { "layers.10.weight", "norm.weight", NULL };

  write_weights (shard1, names1);
  write_weights (shard2, names2);
  qs_test_write_file (index,
                      "{\n"
                      "  \"metadata\": {\"total_size\": 64},\n"
                      "  \"weight_map\": {\n"
                      "    \"layers.0.weight\": \"model-00001-of-00002.safetensors\",\n"
                      "    \"layers.10.weight\": \"model-00002-of-00002.safetensors\",\n"
                      "    \"layers.2.weight\": \"model-00001-of-00002.safetensors\",\n"
                      "    \"norm.weight\": \"model-00002-of-00002.safetensors\"\n"
                      "  }\n"
                      "}\n");

  return index;
}

static void
test_shards_valid (void)
{
  g_autofree char *folder = make_case_dir ("shards-valid");
  g_autofree char *index = write_sharded (folder);
  g_autoptr(QsModel) model = NULL;
  g_autoptr(QsModel) from_index = NULL;
  g_autoptr(GError) error = NULL;
  const QsComponent *component;
  const char *expected[] = { "layers.0.weight", "layers.2.weight", "layers.10.weight", "norm.weight" };

  model = qs_model_open (folder, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qs_model_get_n_components (model), ==, 1);

  component = qs_model_get_component (model, 0);
  g_assert_cmpuint (component->files->len, ==, 2);
  g_assert_true (g_str_has_suffix (qs_safetensors_file_get_path (g_ptr_array_index (component->files, 0)),
                                   "model-00001-of-00002.safetensors"));
  g_assert_true (g_str_has_suffix (qs_safetensors_file_get_path (g_ptr_array_index (component->files, 1)),
                                   "model-00002-of-00002.safetensors"));
  g_assert_cmpuint (component->tensors->len, ==, 4);
  g_assert_cmpuint (component->total_bytes, ==, 64);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpstr (((QsTensorInfo *) g_ptr_array_index (component->tensors, i))->name, ==, expected[i]);

  /* The index file itself opens the same model. */
  from_index = qs_model_open (index, NULL, &error);
  g_assert_no_error (error);
  component = qs_model_get_component (from_index, 0);
  g_assert_cmpstr (component->path, ==, folder);
  g_assert_cmpuint (component->tensors->len, ==, 4);
}

static void
test_shards_missing_file (void)
{
  g_autofree char *folder = make_case_dir ("shards-missing");
  g_autofree char *index = write_sharded (folder);
  g_autofree char *shard2 = g_build_filename (folder, "model-00002-of-00002.safetensors", NULL);
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_unlink (shard2), ==, 0);

  model = qs_model_open (folder, NULL, &error);
  g_assert_null (model);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_SHARDS,
                                 "missing: model-00002-of-00002.safetensors");
  qs_test_assert_contains (error->message, index);
}

static void
test_shards_extra_file (void)
{
  g_autofree char *folder = make_case_dir ("shards-extra");
  g_autofree char *index = write_sharded (folder);
  g_autofree char *extra = g_build_filename (folder, "model-00003-of-00003.safetensors", NULL);
  g_autofree char *unrelated = g_build_filename (folder, "adapter.safetensors", NULL);
  const char *names[] = { "layers.20.weight", NULL };
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;

  /* A file that is not named like a shard of this index is ignored. */
  write_weights (unrelated, names);
  model = qs_model_open (folder, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&model, qs_model_unref);

  write_weights (extra, names);
  model = qs_model_open (folder, NULL, &error);
  g_assert_null (model);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_SHARDS,
                                 "not in the weight_map: model-00003-of-00003.safetensors");
  qs_test_assert_contains (error->message, index);
}

static void
test_shards_wrong_shard (void)
{
  g_autofree char *folder = make_case_dir ("shards-wrong");
  g_autofree char *index = write_sharded (folder);
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;

  /* norm.weight is in shard 2, but the map names shard 1. */
  qs_test_write_file (index,
                      "{\"weight_map\": {\n"
                      "  \"layers.0.weight\": \"model-00001-of-00002.safetensors\",\n"
                      "  \"layers.10.weight\": \"model-00002-of-00002.safetensors\",\n"
                      "  \"layers.2.weight\": \"model-00001-of-00002.safetensors\",\n"
                      "  \"norm.weight\": \"model-00001-of-00002.safetensors\"\n"
                      "}}\n");

  model = qs_model_open (folder, NULL, &error);
  g_assert_null (model);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_SHARDS,
                                 "norm.weight (mapped to model-00001-of-00002.safetensors, "
                                 "found in model-00002-of-00002.safetensors)");
  qs_test_assert_contains (error->message, index);
}

static void
test_shards_unmapped_and_absent_tensors (void)
{
  g_autofree char *folder = make_case_dir ("shards-unmapped");
  g_autofree char *index = write_sharded (folder);
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;

  /* layers.2.weight is in shard 1 but not in the map, and the map names
   * layers.99.weight, which no shard holds. */
  qs_test_write_file (index,
                      "{\"weight_map\": {\n"
                      "  \"layers.0.weight\": \"model-00001-of-00002.safetensors\",\n"
                      "  \"layers.10.weight\": \"model-00002-of-00002.safetensors\",\n"
                      "  \"layers.99.weight\": \"model-00002-of-00002.safetensors\",\n"
                      "  \"norm.weight\": \"model-00002-of-00002.safetensors\"\n"
                      "}}\n");

  model = qs_model_open (folder, NULL, &error);
  g_assert_null (model);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_SHARDS,
                                 "not in the weight_map: layers.2.weight (in model-00001-of-00002.safetensors)");
  qs_test_assert_contains (error->message,
                           "missing from their shard: layers.99.weight (mapped to model-00002-of-00002.safetensors)");
}

static void
test_shards_duplicate_tensor (void)
{
  g_autofree char *folder = make_case_dir ("shards-duplicate");
  g_autofree char *index = write_sharded (folder);
  g_autofree char *shard2 = g_build_filename (folder, "model-00002-of-00002.safetensors", NULL);
  const char *names2[] = { "layers.10.weight", "norm.weight", "layers.0.weight", NULL };
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;

  write_weights (shard2, names2);

  model = qs_model_open (folder, NULL, &error);
  g_assert_null (model);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_SHARDS,
                                 "more than one shard: layers.0.weight (in model-00001-of-00002.safetensors "
                                 "and model-00002-of-00002.safetensors)");
}

static void
test_shards_bad_index (void)
{
  g_autofree char *folder = make_case_dir ("shards-bad-index");
  g_autofree char *index = write_sharded (folder);
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;

  qs_test_write_file (index, "{\"metadata\": {}}");
  model = qs_model_open (folder, NULL, &error);
  g_assert_null (model);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "weight_map");
  g_clear_error (&error);

  qs_test_write_file (index, "{\"weight_map\": {\"w\": \"../outside.safetensors\"}}");
  model = qs_model_open (folder, NULL, &error);
  g_assert_null (model);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_INVALID, "../outside.safetensors");
}

/* Builds root/models--org--name with refs/main naming @revision, a snapshot
 * whose model.safetensors links into blobs/, and @n_tensors tensors, which
 * identify the cache that a lookup found. */
static void
write_hub_model (const char *root,
                 const char *repo_folder,
                 const char *revision,
                 guint       n_tensors)
{
  g_autofree char *repo = g_build_filename (root, repo_folder, NULL);
  g_autofree char *ref = g_build_filename (repo, "refs", "main", NULL);
  g_autofree char *blob = g_build_filename (repo, "blobs", "0123abcd", NULL);
  g_autofree char *snapshot = g_build_filename (repo, "snapshots", revision, NULL);
  g_autofree char *link = g_build_filename (snapshot, "model.safetensors", NULL);
  g_autofree char *config = g_build_filename (snapshot, "config.json", NULL);
  g_autofree char *ref_text = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n_tensors; i++)
    g_ptr_array_add (names, g_strdup_printf ("layers.%u.weight", i));
  g_ptr_array_add (names, NULL);

  write_weights (blob, (const char * const *) names->pdata);
  /* huggingface_hub writes the commit without a newline; one is added
   * here to check that the reader strips it. */
  ref_text = g_strconcat (revision, "\n", NULL);
  qs_test_write_file (ref, ref_text);
  g_assert_cmpint (g_mkdir_with_parents (snapshot, 0755), ==, 0);
  g_assert_cmpint (symlink ("../../blobs/0123abcd", link), ==, 0);
  qs_test_write_file (config, "{\"architectures\": [\"TinyModel\"]}");
}

static void
clear_hub_environment (void)
{
  g_unsetenv ("HF_HUB_CACHE");
  g_unsetenv ("HF_HOME");
}

static void
test_hub_cache_snapshot (void)
{
  g_autofree char *cache = make_case_dir ("hub-snapshot");
  g_autofree char *snapshot = g_build_filename (cache, "models--tiny-org--tiny-model", "snapshots",
                                                "4d7a214614ab2935c943f9e0ff69d22eadbb8f32", NULL);
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;
  const QsComponent *component;

  clear_hub_environment ();
  write_hub_model (cache, "models--tiny-org--tiny-model",
                   "4d7a214614ab2935c943f9e0ff69d22eadbb8f32", 3);

  model = qs_model_open ("tiny-org/tiny-model", cache, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qs_model_get_name (model), ==, "tiny-org/tiny-model");
  g_assert_cmpstr (qs_model_get_revision (model), ==, "4d7a214614ab2935c943f9e0ff69d22eadbb8f32");
  g_assert_cmpstr (qs_model_get_path (model), ==, snapshot);
  g_assert_cmpuint (qs_model_get_n_components (model), ==, 1);

  component = qs_model_get_component (model, 0);
  g_assert_cmpstr (component->class_name, ==, "TinyModel");
  g_assert_cmpuint (component->tensors->len, ==, 3);
}

static void
test_hub_cache_lookup_order (void)
{
  g_autofree char *explicit_cache = make_case_dir ("hub-explicit");
  g_autofree char *hub_cache = make_case_dir ("hub-env");
  g_autofree char *hf_home = make_case_dir ("hf-home");
  g_autofree char *home_hub = g_build_filename (hf_home, "hub", NULL);
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) roots = NULL;

  write_hub_model (explicit_cache, "models--org--ordered", "aaaa", 1);
  write_hub_model (hub_cache, "models--org--ordered", "bbbb", 2);
  write_hub_model (home_hub, "models--org--ordered", "cccc", 3);

  clear_hub_environment ();
  g_setenv ("HF_HUB_CACHE", hub_cache, TRUE);
  g_setenv ("HF_HOME", hf_home, TRUE);

  roots = qs_hub_cache_get_roots (explicit_cache);
  g_assert_cmpstr (roots[0], ==, explicit_cache);
  g_assert_cmpstr (roots[1], ==, hub_cache);
  g_assert_cmpstr (roots[2], ==, home_hub);
  g_assert_nonnull (roots[3]);
  g_assert_true (g_str_has_suffix (roots[3], "/.cache/huggingface/hub"));
  g_assert_null (roots[4]);
  g_clear_pointer (&roots, g_strfreev);

  /* The same folder given twice is searched once. */
  roots = qs_hub_cache_get_roots (hub_cache);
  g_assert_cmpstr (roots[0], ==, hub_cache);
  g_assert_cmpstr (roots[1], ==, home_hub);
  g_clear_pointer (&roots, g_strfreev);

  model = qs_model_open ("org/ordered", explicit_cache, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qs_model_get_revision (model), ==, "aaaa");
  g_assert_cmpuint (qs_model_get_component (model, 0)->tensors->len, ==, 1);
  g_clear_pointer (&model, qs_model_unref);

  model = qs_model_open ("org/ordered", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qs_model_get_revision (model), ==, "bbbb");
  g_assert_cmpuint (qs_model_get_component (model, 0)->tensors->len, ==, 2);
  g_clear_pointer (&model, qs_model_unref);

  g_unsetenv ("HF_HUB_CACHE");
  model = qs_model_open ("org/ordered", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qs_model_get_revision (model), ==, "cccc");
  g_assert_cmpuint (qs_model_get_component (model, 0)->tensors->len, ==, 3);
  g_clear_pointer (&model, qs_model_unref);

  /* Without HF_HOME, huggingface_hub's home is $XDG_CACHE_HOME/huggingface. */
  g_unsetenv ("HF_HOME");
  g_setenv ("XDG_CACHE_HOME", tmp_dir, TRUE);
  roots = qs_hub_cache_get_roots (NULL);
  g_assert_true (g_str_has_prefix (roots[0], tmp_dir));
  g_assert_true (g_str_has_suffix (roots[0], "/huggingface/hub"));
  g_unsetenv ("XDG_CACHE_HOME");

  clear_hub_environment ();
}

static void
test_hub_cache_not_found (void)
{
  g_autofree char *explicit_cache = make_case_dir ("hub-empty-explicit");
  g_autofree char *hub_cache = make_case_dir ("hub-empty-env");
  g_autofree char *hf_home = make_case_dir ("hf-home-empty");
  g_autofree char *home_hub = g_build_filename (hf_home, "hub", NULL);
  g_autofree char *no_ref = g_build_filename (hub_cache, "models--org--missing", "snapshots", NULL);
  g_autofree char *default_hub = g_build_filename (g_get_home_dir (), ".cache", "huggingface", "hub", NULL);
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;

  clear_hub_environment ();
  g_setenv ("HF_HUB_CACHE", hub_cache, TRUE);
  g_setenv ("HF_HOME", hf_home, TRUE);
  g_assert_cmpint (g_mkdir_with_parents (no_ref, 0755), ==, 0);

  model = qs_model_open ("org/missing", explicit_cache, &error);
  g_assert_null (model);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND, "“org/missing”");
  qs_test_assert_contains (error->message, explicit_cache);
  qs_test_assert_contains (error->message, hub_cache);
  qs_test_assert_contains (error->message, home_hub);
  qs_test_assert_contains (error->message, default_hub);
  qs_test_assert_contains (error->message, "no models--org--missing");
  qs_test_assert_contains (error->message, "has no valid refs/main");
  g_clear_error (&error);

  /* A path-like string that does not exist is not looked up as an id. */
  model = qs_model_open ("./org/missing", explicit_cache, &error);
  g_assert_null (model);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND, "no such file or folder");

  clear_hub_environment ();
}

static void
test_hub_cache_broken_link (void)
{
  g_autofree char *cache = make_case_dir ("hub-broken");
  g_autofree char *blob = g_build_filename (cache, "models--org--broken", "blobs", "0123abcd", NULL);
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;

  clear_hub_environment ();
  write_hub_model (cache, "models--org--broken", "abcd", 1);
  g_assert_cmpint (g_unlink (blob), ==, 0);

  model = qs_model_open ("org/broken", cache, &error);
  g_assert_null (model);
  qs_test_assert_error_contains (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND, "download is incomplete");
  qs_test_assert_contains (error->message, "model.safetensors");
}

static void
test_hub_cache_list (void)
{
  g_autofree char *first = make_case_dir ("hub-list-first");
  g_autofree char *second = make_case_dir ("hub-list-second");
  g_autofree char *no_ref = g_build_filename (first, "models--org--incomplete", "blobs", NULL);
  g_autofree char *dataset = g_build_filename (first, "datasets--org--data", "refs", NULL);
  g_autoptr(GPtrArray) entries = NULL;
  const QsHubCacheEntry *entry;
  gsize one_tensor_size;
  gsize two_tensor_size;
  g_autofree char *blob = NULL;
  g_autofree char *contents = NULL;

  clear_hub_environment ();
  g_setenv ("HF_HUB_CACHE", second, TRUE);
  write_hub_model (first, "models--org--alpha", "1111", 1);
  write_hub_model (first, "models--org--beta", "2222", 2);
  write_hub_model (second, "models--org--alpha", "3333", 2);
  write_hub_model (second, "models--other--gamma", "4444", 2);
  g_assert_cmpint (g_mkdir_with_parents (no_ref, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (dataset, 0755), ==, 0);

  blob = g_build_filename (first, "models--org--alpha", "blobs", "0123abcd", NULL);
  g_assert_true (g_file_get_contents (blob, &contents, &one_tensor_size, NULL));
  g_clear_pointer (&blob, g_free);
  g_clear_pointer (&contents, g_free);
  blob = g_build_filename (first, "models--org--beta", "blobs", "0123abcd", NULL);
  g_assert_true (g_file_get_contents (blob, &contents, &two_tensor_size, NULL));

  entries = qs_hub_cache_list_models (first);
  g_assert_cmpuint (entries->len, ==, 3);

  /* org/alpha is in both roots and comes from the first. The size counts
   * the linked blob plus config.json. */
  entry = g_ptr_array_index (entries, 0);
  g_assert_cmpstr (entry->id, ==, "org/alpha");
  g_assert_true (g_str_has_prefix (entry->snapshot, first));
  g_assert_true (g_str_has_suffix (entry->snapshot, "1111"));
  g_assert_cmpuint (entry->size, ==, one_tensor_size + strlen ("{\"architectures\": [\"TinyModel\"]}"));

  entry = g_ptr_array_index (entries, 1);
  g_assert_cmpstr (entry->id, ==, "org/beta");
  g_assert_cmpuint (entry->size, ==, two_tensor_size + strlen ("{\"architectures\": [\"TinyModel\"]}"));

  entry = g_ptr_array_index (entries, 2);
  g_assert_cmpstr (entry->id, ==, "other/gamma");
  g_assert_true (g_str_has_prefix (entry->snapshot, second));

  clear_hub_environment ();
}

static void
test_existing_path_wins_over_id (void)
{
  g_autofree char *folder = make_case_dir ("path-like-id");
  g_autofree char *model_dir = g_build_filename (folder, "org", "local", NULL);
  g_autofree char *weights = g_build_filename (model_dir, "model.safetensors", NULL);
  g_autofree char *cwd = g_get_current_dir ();
  const char *names[] = { "a.weight", "b.weight", NULL };
  g_autoptr(QsModel) model = NULL;
  g_autoptr(GError) error = NULL;

  write_weights (weights, names);
  g_assert_cmpint (g_chdir (folder), ==, 0);
  model = qs_model_open ("org/local", NULL, &error);
  g_assert_cmpint (g_chdir (cwd), ==, 0);

  g_assert_no_error (error);
  g_assert_null (qs_model_get_revision (model));
  g_assert_cmpstr (qs_model_get_path (model), ==, model_dir);
  g_assert_cmpstr (qs_model_get_name (model), ==, "local");
}

static void
test_repo_ids (void)
{
  g_assert_true (qs_hub_cache_is_repo_id ("Tongyi-MAI/Z-Image"));
  g_assert_true (qs_hub_cache_is_repo_id ("stabilityai/stable-diffusion-3.5-large"));
  g_assert_true (qs_hub_cache_is_repo_id ("a_b/c.d"));
  g_assert_false (qs_hub_cache_is_repo_id ("gpt2"));
  g_assert_false (qs_hub_cache_is_repo_id ("/abs/path"));
  g_assert_false (qs_hub_cache_is_repo_id ("org/name/extra"));
  g_assert_false (qs_hub_cache_is_repo_id ("./name"));
  g_assert_false (qs_hub_cache_is_repo_id ("org/.."));
  g_assert_false (qs_hub_cache_is_repo_id ("org/a..b"));
  g_assert_false (qs_hub_cache_is_repo_id ("org/a--b"));
  g_assert_false (qs_hub_cache_is_repo_id ("org/"));
  g_assert_false (qs_hub_cache_is_repo_id ("~/model"));
  g_assert_false (qs_hub_cache_is_repo_id ("org/name with space"));
}

static void
test_natural_sort (void)
{
  static const char * const ordered[] = {
    "",
    "1.weight",
    "2.weight",
    "10.weight",
    "blocks.1.attn",
    "blocks.2.attn",
    "blocks.2.attn.bias",
    "blocks.10.attn",
    "blocks.10.attn2",
    "blocks.10.attn10",
    "blocks.100",
    "blocksx",
    "layer007",
    "layer7",
    "layer8",
  };

  for (guint i = 0; i < G_N_ELEMENTS (ordered); i++)
    {
      g_assert_cmpint (qs_tensor_name_compare (ordered[i], ordered[i]), ==, 0);
      for (guint j = i + 1; j < G_N_ELEMENTS (ordered); j++)
        {
          if (qs_tensor_name_compare (ordered[i], ordered[j]) >= 0 ||
              qs_tensor_name_compare (ordered[j], ordered[i]) <= 0)
            g_error ("“%s” should sort before “%s”", ordered[i], ordered[j]);
        }
    }
}

static void
test_role_strings (void)
{
  g_assert_cmpstr (qs_tensor_role_to_string (QS_TENSOR_ROLE_LAYER), ==, "layer");
  g_assert_cmpstr (qs_tensor_role_to_string (QS_TENSOR_ROLE_OTHER), ==, "other");
  g_assert_cmpstr (qs_tensor_role_to_string (QS_TENSOR_ROLE_METADATA), ==, "metadata");
  g_assert_cmpstr (qs_tensor_role_to_string (QS_TENSOR_ROLE_NON_FLOAT), ==, "non-float");
  g_assert_cmpstr (qs_tensor_role_to_string (QS_TENSOR_ROLE_UNSUPPORTED), ==, "unsupported");
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  /* The hub lookup always searches ~/.cache/huggingface/hub, so HOME
   * points into the temporary folder to keep the user's cache out. */
  tmp_dir = qs_test_make_tmp_dir ();
  home = g_build_filename (tmp_dir, "home", NULL);
  g_setenv ("HOME", home, TRUE);
  g_unsetenv ("XDG_CACHE_HOME");
  clear_hub_environment ();

  g_test_add_func ("/qs/engine/model/demo-pipeline", test_demo_pipeline);
  g_test_add_func ("/qs/engine/model/demo-select-components", test_demo_select_components);
  g_test_add_func ("/qs/engine/model/single-file", test_single_file);
  g_test_add_func ("/qs/engine/model/transformers-folder", test_transformers_folder);
  g_test_add_func ("/qs/engine/model/diffusers-folder", test_diffusers_folder);
  g_test_add_func ("/qs/engine/model/generated-pipeline", test_generated_pipeline);
  g_test_add_func ("/qs/engine/model/pipeline-without-weights", test_pipeline_without_weights);
  g_test_add_func ("/qs/engine/model/source-errors", test_source_errors);
  g_test_add_func ("/qs/engine/model/shards-valid", test_shards_valid);
  g_test_add_func ("/qs/engine/model/shards-missing-file", test_shards_missing_file);
  g_test_add_func ("/qs/engine/model/shards-extra-file", test_shards_extra_file);
  g_test_add_func ("/qs/engine/model/shards-wrong-shard", test_shards_wrong_shard);
  g_test_add_func ("/qs/engine/model/shards-unmapped-and-absent", test_shards_unmapped_and_absent_tensors);
  g_test_add_func ("/qs/engine/model/shards-duplicate-tensor", test_shards_duplicate_tensor);
  g_test_add_func ("/qs/engine/model/shards-bad-index", test_shards_bad_index);
  g_test_add_func ("/qs/engine/model/hub-cache-snapshot", test_hub_cache_snapshot);
  g_test_add_func ("/qs/engine/model/hub-cache-lookup-order", test_hub_cache_lookup_order);
  g_test_add_func ("/qs/engine/model/hub-cache-not-found", test_hub_cache_not_found);
  g_test_add_func ("/qs/engine/model/hub-cache-broken-link", test_hub_cache_broken_link);
  g_test_add_func ("/qs/engine/model/hub-cache-list", test_hub_cache_list);
  g_test_add_func ("/qs/engine/model/existing-path-wins-over-id", test_existing_path_wins_over_id);
  g_test_add_func ("/qs/engine/model/repo-ids", test_repo_ids);
  g_test_add_func ("/qs/engine/model/natural-sort", test_natural_sort);
  g_test_add_func ("/qs/engine/model/role-strings", test_role_strings);

  status = g_test_run ();

  qs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);

  return status;
}
