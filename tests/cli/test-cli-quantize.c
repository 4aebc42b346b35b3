/* test-cli-quantize.c: quantscope-cli quantize and inspect, run as a user
 * runs them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>

typedef struct
{
  char *out;
  char *err;
  int   status;
} CliRun;

static void
cli_run_clear (CliRun *run)
{
  g_free (run->out);
  g_free (run->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CliRun, cli_run_clear)

/* Runs quantscope-cli with @args (NULL-terminated) and returns its exit
 * status, stdout and stderr. */
static void
run_cli (CliRun     *run,
         const char *first_arg,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int wait_status = 0;
  va_list args;

  g_ptr_array_add (argv, (char *) g_getenv ("QS_CLI"));
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &run->out, &run->err, &wait_status, &error);
  g_assert_no_error (error);

  run->status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  if (g_test_verbose ())
    g_printerr ("status %d\nstdout:\n%s\nstderr:\n%s\n", run->status, run->out, run->err);
}

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (haystack == NULL || strstr (haystack, needle) == NULL)
    g_error ("“%s” does not contain “%s”", haystack != NULL ? haystack : "(null)", needle);
}

/* Returns the line of @text that contains @needle, or NULL. */
static char *
line_containing (const char *text,
                 const char *needle)
{
  const char *hit = strstr (text, needle);
  const char *start;
  const char *end;

  if (hit == NULL)
    g_error ("“%s” does not contain “%s”", text, needle);

  for (start = hit; start > text && start[-1] != '\n'; start--)
    ;
  end = strchr (hit, '\n');

  return g_strndup (start, end != NULL ? (gsize) (end - start) : strlen (start));
}

/* Asserts that the line with @name in the SDNQ layer table has each of the
 * NULL-terminated words. */
static void
assert_row (const char *text,
            const char *name,
            ...)
{
  const char *table = strstr (text, "SDNQ config:");
  g_autofree char *line = line_containing (table != NULL ? table : text, name);
  g_auto(GStrv) words = g_strsplit_set (line, " ", -1);
  va_list args;

  va_start (args, name);
  for (const char *word = va_arg (args, const char *); word != NULL; word = va_arg (args, const char *))
    {
      if (!g_strv_contains ((const char * const *) words, word))
        g_error ("the row “%s” has no “%s”", line, word);
    }
  va_end (args);
}

static char *
make_tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("quantscope-cli-XXXXXX", &error);

  g_assert_no_error (error);

  return dir;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
copy_tree (const char *source,
           const char *dest)
{
  g_autoptr(GDir) dir = g_dir_open (source, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  g_assert_cmpint (g_mkdir_with_parents (dest, 0755), ==, 0);

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *from = g_build_filename (source, name, NULL);
      g_autofree char *to = g_build_filename (dest, name, NULL);
      g_autoptr(GFile) from_file = g_file_new_for_path (from);
      g_autoptr(GFile) to_file = g_file_new_for_path (to);
      g_autoptr(GError) error = NULL;

      if (g_file_test (from, G_FILE_TEST_IS_DIR))
        copy_tree (from, to);
      else
        {
          g_file_copy (from_file, to_file, G_FILE_COPY_NONE, NULL, NULL, NULL, &error);
          g_assert_no_error (error);
        }
    }
}

static guint
count_entries (const char *folder)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;

  return n;
}

/* A copy of the demo pipeline in a new temporary folder. */
static char *
copy_demo (const char *tmp)
{
  g_autofree char *demo = g_build_filename (g_getenv ("QS_TEST_DATA"), "demo", NULL);
  char *copy = g_build_filename (tmp, "demo", NULL);

  copy_tree (demo, copy);

  return copy;
}

static void
test_help_documents_options (void)
{
  static const char * const options[] = {
    "--model-id", "--output-path", "--pipeline-config", "--cache-dir", "--device",
    "--max-shard-size", "--components", "--weights-dtype", "--group-size", "--use-svd",
    "--svd-rank", "--svd-steps", "--use-quantized-matmul", "--model-dtype", "--seed",
    "--threads", "--overwrite", "--verify", "--no-verify", "--quiet", NULL
  };
  g_auto(CliRun) run = { 0 };

  run_cli (&run, "quantize", "--help", NULL);
  g_assert_cmpint (run.status, ==, 0);
  for (guint i = 0; options[i] != NULL; i++)
    assert_contains (run.out, options[i]);
  assert_contains (run.out, "default: 5GB");
  assert_contains (run.out, "default: int8");
}

static void
test_demo_quantize_and_inspect (void)
{
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *demo = g_build_filename (g_getenv ("QS_TEST_DATA"), "demo", NULL);
  g_autofree char *output = g_build_filename (tmp, "demo-uint4", NULL);
  g_autofree char *weights = g_build_filename (output, "text_encoder", "model.safetensors", NULL);
  g_autofree char *index = g_build_filename (output, "model_index.json", NULL);
  g_autofree char *quant = g_build_filename (output, "text_encoder", "quantization_config.json", NULL);
  g_autofree char *contents = NULL;
  g_auto(CliRun) run = { 0 };
  g_auto(CliRun) inspect = { 0 };

  run_cli (&run, "quantize", demo, "--output-path", output, "--weights-dtype", "uint4",
           "--components", "text_encoder", NULL);
  g_assert_cmpint (run.status, ==, 0);
  assert_contains (run.out, "Wrote ");
  assert_contains (run.out, "text_encoder: 11 layers quantized, 4 left unquantized");
  assert_contains (run.out, "vae_decoder: copied unchanged");
  assert_contains (run.out, "model.layers.0.self_attn.k_proj.weight (8192 elements");
  assert_contains (run.out, "Verified");
  g_assert_true (g_file_test (weights, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (index, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_get_contents (quant, &contents, NULL, NULL));
  assert_contains (contents, "\"weights_dtype\": \"uint4\"");
  assert_contains (contents, "\"quant_method\": \"sdnq\"");

  /* Nothing but the output is left beside it. */
  g_assert_cmpuint (count_entries (tmp), ==, 1);

  run_cli (&inspect, "inspect", output, NULL);
  g_assert_cmpint (inspect.status, ==, 0);
  assert_contains (inspect.out, "Component text_encoder");
  assert_contains (inspect.out, "SDNQ-quantized");
  assert_row (inspect.out, "lm_head.weight  ", "uint4", "64", "-", "no", "[2048,", "128]", "ok", NULL);
  assert_contains (inspect.out, "lm_head.scale");
  assert_contains (inspect.out, "[2048, 2, 1]");
  assert_contains (inspect.out, "Component vae_decoder");
  assert_contains (inspect.out, "not quantized");
  g_assert_null (strstr (inspect.out, "MISMATCH"));

  remove_tree (tmp);
}

static void
test_demo_conv_quantized_matmul (void)
{
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *demo = g_build_filename (g_getenv ("QS_TEST_DATA"), "demo", NULL);
  g_autofree char *output = g_build_filename (tmp, "out", NULL);
  g_auto(CliRun) run = { 0 };
  g_auto(CliRun) inspect = { 0 };

  run_cli (&run, "quantize", "--model-id", demo, "--output-path", output, "--weights-dtype",
           "int8", "--quant-conv", "--use-quantized-matmul", "--use-quantized-matmul-conv", "--use-svd", "--svd-rank", "4",
           "--svd-steps", "2", "--max-shard-size", "200KB", "--quiet", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, "");

  run_cli (&inspect, "inspect", output, "--no-tensors", "--components", "vae_decoder", NULL);
  g_assert_cmpint (inspect.status, ==, 0);
  assert_contains (inspect.out, "3.conv.0.weight");
  assert_contains (inspect.out, "yes (transposed)");
  assert_contains (inspect.out, "files");
  g_assert_null (strstr (inspect.out, "Tensors:"));
  g_assert_null (strstr (inspect.out, "text_encoder"));

  remove_tree (tmp);
}

static void
test_invalid_pipeline_config (void)
{
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *demo = g_build_filename (g_getenv ("QS_TEST_DATA"), "demo", NULL);
  g_autofree char *config = g_build_filename (tmp, "config.json", NULL);
  g_autofree char *output = g_build_filename (tmp, "out", NULL);
  g_auto(CliRun) run = { 0 };
  g_auto(CliRun) unknown_key = { 0 };
  g_auto(CliRun) mixed = { 0 };

  g_assert_true (g_file_set_contents (config, "{\"text_encoder\": {\"weights_dtype\": \"uint99\"}}",
                                      -1, NULL));
  run_cli (&run, "quantize", demo, "--output-path", output, "--pipeline-config", config, NULL);
  g_assert_cmpint (run.status, ==, 1);
  assert_contains (run.err, "text_encoder");
  assert_contains (run.err, "weights_dtype");
  assert_contains (run.err, "uint99");
  g_assert_false (g_file_test (output, G_FILE_TEST_EXISTS));

  g_assert_true (g_file_set_contents (config, "{\"text_encoder\": {\"weights_dtyp\": \"uint4\"}}",
                                      -1, NULL));
  run_cli (&unknown_key, "quantize", demo, "--output-path", output, "--pipeline-config", config, NULL);
  g_assert_cmpint (unknown_key.status, ==, 1);
  assert_contains (unknown_key.err, "weights_dtyp");
  g_assert_false (g_file_test (output, G_FILE_TEST_EXISTS));

  /* A pipeline config and uniform flags are exclusive. */
  run_cli (&mixed, "quantize", demo, "--output-path", output, "--pipeline-config", config,
           "--weights-dtype", "uint4", NULL);
  g_assert_cmpint (mixed.status, ==, 2);

  g_assert_cmpuint (count_entries (tmp), ==, 1);
  remove_tree (tmp);
}

static void
test_pipeline_config_applied (void)
{
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *demo = g_build_filename (g_getenv ("QS_TEST_DATA"), "demo", NULL);
  g_autofree char *config = g_build_filename (tmp, "config.json", NULL);
  g_autofree char *output = g_build_filename (tmp, "out", NULL);
  g_auto(CliRun) run = { 0 };
  g_auto(CliRun) inspect = { 0 };

  g_assert_true (g_file_set_contents (config,
                                      "{\"text_encoder\": {\"weights_dtype\": \"uint4\", "
                                      "\"group_size\": 0, \"modules_to_not_convert\": [\"lm_head\"], "
                                      "\"modules_dtype_dict\": {\"int8\": [\"model.layers.0.mlp.down_proj.weight\"]}, "
                                      "\"modules_svd_dict\": {\"8\": [\"model.layers.1.mlp.up_proj.weight\"]}}}",
                                      -1, NULL));
  run_cli (&run, "quantize", demo, "--output-path", output, "--pipeline-config", config, NULL);
  g_assert_cmpint (run.status, ==, 0);
  assert_contains (run.out, "vae_decoder: copied unchanged");
  assert_contains (run.out, "text_encoder: 10 layers quantized, 5 left unquantized");

  run_cli (&inspect, "inspect", output, "--no-tensors", NULL);
  g_assert_cmpint (inspect.status, ==, 0);
  assert_row (inspect.out, "model.layers.0.mlp.down_proj.weight", "int8", "row-wise", "-", "ok", NULL);
  assert_row (inspect.out, "model.layers.1.mlp.up_proj.weight", "uint4", "row-wise", "8", "ok", NULL);
  assert_row (inspect.out, "model.layers.1.mlp.down_proj.weight", "uint4", "64", "-", "ok", NULL);
  g_assert_null (strstr (inspect.out, "lm_head.weight  "));

  remove_tree (tmp);
}

static void
test_output_safety (void)
{
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *demo = copy_demo (tmp);
  g_autofree char *inside = g_build_filename (demo, "quantized", NULL);
  g_autofree char *busy = g_build_filename (tmp, "busy", NULL);
  g_autofree char *marker = g_build_filename (busy, "keep.txt", NULL);
  g_auto(CliRun) inside_run = { 0 };
  g_auto(CliRun) busy_run = { 0 };
  g_auto(CliRun) overwrite_run = { 0 };
  g_auto(CliRun) missing_output = { 0 };
  g_auto(CliRun) bad_size = { 0 };

  run_cli (&inside_run, "quantize", demo, "--output-path", inside, NULL);
  g_assert_cmpint (inside_run.status, ==, 1);
  assert_contains (inside_run.err, "inside the source model");
  g_assert_false (g_file_test (inside, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_entries (demo), ==, 4);

  g_assert_cmpint (g_mkdir (busy, 0755), ==, 0);
  g_assert_true (g_file_set_contents (marker, "keep", -1, NULL));
  run_cli (&busy_run, "quantize", demo, "--output-path", busy, "--no-verify", NULL);
  g_assert_cmpint (busy_run.status, ==, 1);
  assert_contains (busy_run.err, "not empty");
  g_assert_true (g_file_test (marker, G_FILE_TEST_EXISTS));

  run_cli (&overwrite_run, "quantize", demo, "--output-path", busy, "--overwrite",
           "--weights-dtype", "int4", NULL);
  g_assert_cmpint (overwrite_run.status, ==, 0);
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_entries (tmp), ==, 2);

  run_cli (&missing_output, "quantize", demo, NULL);
  g_assert_cmpint (missing_output.status, ==, 2);
  assert_contains (missing_output.err, "--output-path");

  run_cli (&bad_size, "quantize", demo, "--output-path", inside, "--max-shard-size", "5XB", NULL);
  g_assert_cmpint (bad_size.status, ==, 2);
  assert_contains (bad_size.err, "--max-shard-size");

  remove_tree (tmp);
}

static void
test_inspect_flags_mismatch (void)
{
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *demo = g_build_filename (g_getenv ("QS_TEST_DATA"), "demo", "text_encoder", NULL);
  g_autofree char *output = g_build_filename (tmp, "out", NULL);
  g_autofree char *config_path = g_build_filename (output, "config.json", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *edited = NULL;
  g_auto(CliRun) run = { 0 };
  g_auto(CliRun) inspect = { 0 };
  char *position;

  run_cli (&run, "quantize", demo, "--output-path", output, "--weights-dtype", "uint4",
           "--quiet", NULL);
  g_assert_cmpint (run.status, ==, 0);

  /* A config that claims another group size than the files store. */
  g_assert_true (g_file_get_contents (config_path, &contents, NULL, NULL));
  position = strstr (contents, "\"group_size\": 0");
  g_assert_nonnull (position);
  position[strlen ("\"group_size\": ")] = '8';
  g_assert_true (g_file_set_contents (config_path, contents, -1, NULL));

  run_cli (&inspect, "inspect", output, "--no-tensors", NULL);
  g_assert_cmpint (inspect.status, ==, 1);
  assert_contains (inspect.out, "MISMATCH: Layer lm_head.weight");
  assert_contains (inspect.out, "disagree");

  remove_tree (tmp);
}

static gboolean
python_has_torch (void)
{
  const char *argv[] = { "/usr/bin/python3", "-c", "import numpy, torch", NULL };
  int wait_status = 0;

  if (!g_file_test (argv[0], G_FILE_TEST_IS_EXECUTABLE))
    return FALSE;

  return g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                       NULL, NULL, NULL, NULL, &wait_status, NULL)
         && WIFEXITED (wait_status) && WEXITSTATUS (wait_status) == 0;
}

/* tests/reference/check_sdnq_layout.py reads the written files with its own
 * numpy unpacker and compares codes, scales and weights bit for bit with
 * the PyTorch reference quantizer. */
static void
test_torch_reference (void)
{
  static const char * const configs[][6] = {
    { "--weights-dtype", "uint4", NULL },
    { "--weights-dtype", "int8", "--use-quantized-matmul", "--use-quantized-matmul-conv",
      "--quant-conv", NULL },
    { "--weights-dtype", "uint3", "--group-size", "16", "--quant-conv", NULL },
    { "--weights-dtype", "int6", "--use-quantized-matmul", NULL },
  };
  g_autofree char *tmp = NULL;
  g_autofree char *demo = g_build_filename (g_getenv ("QS_TEST_DATA"), "demo", NULL);
  g_autofree char *script = g_build_filename (g_getenv ("QS_TEST_DATA"), "..", "..", "tests",
                                              "reference", "check_sdnq_layout.py", NULL);

  if (!python_has_torch ())
    {
      g_test_skip ("/usr/bin/python3 with numpy and torch is needed");
      return;
    }

  tmp = make_tmp_dir ();
  for (guint c = 0; c < G_N_ELEMENTS (configs); c++)
    {
      g_autofree char *output = g_strdup_printf ("%s/out%u", tmp, c);
      g_autoptr(GPtrArray) argv = g_ptr_array_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_auto(CliRun) run = { 0 };
      const char *check[] = { "/usr/bin/python3", script, demo, output, NULL };
      int wait_status = 0;

      g_ptr_array_add (argv, (char *) g_getenv ("QS_CLI"));
      g_ptr_array_add (argv, (char *) "quantize");
      g_ptr_array_add (argv, demo);
      g_ptr_array_add (argv, (char *) "--output-path");
      g_ptr_array_add (argv, output);
      g_ptr_array_add (argv, (char *) "--quiet");
      for (guint i = 0; configs[c][i] != NULL; i++)
        g_ptr_array_add (argv, (char *) configs[c][i]);
      g_ptr_array_add (argv, NULL);
      g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                    &run.out, &run.err, &wait_status, &error);
      g_assert_no_error (error);
      g_assert_true (WIFEXITED (wait_status) && WEXITSTATUS (wait_status) == 0);

      g_spawn_sync (NULL, (char **) check, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                    &wait_status, &error);
      g_assert_no_error (error);
      g_test_message ("%s: %s%s", configs[c][1], out, err);
      g_assert_true (WIFEXITED (wait_status));
      g_assert_cmpint (WEXITSTATUS (wait_status), ==, 0);
      assert_contains (out, "checked ");
    }

  remove_tree (tmp);
}

static void
test_inspect_usage (void)
{
  g_auto(CliRun) run = { 0 };
  g_auto(CliRun) missing = { 0 };

  run_cli (&run, "inspect", NULL);
  g_assert_cmpint (run.status, ==, 2);

  run_cli (&missing, "inspect", "/nonexistent/quantscope-model", NULL);
  g_assert_cmpint (missing.status, ==, 1);
  assert_contains (missing.err, "no such file or folder");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("QS_CLI") == NULL || g_getenv ("QS_TEST_DATA") == NULL)
    {
      printf ("1..0 # SKIP QS_CLI and QS_TEST_DATA must be set; run through meson test\n");
      return 0;
    }

  g_test_add_func ("/qs/cli/quantize/help", test_help_documents_options);
  g_test_add_func ("/qs/cli/quantize/demo-and-inspect", test_demo_quantize_and_inspect);
  g_test_add_func ("/qs/cli/quantize/conv-quantized-matmul", test_demo_conv_quantized_matmul);
  g_test_add_func ("/qs/cli/quantize/invalid-pipeline-config", test_invalid_pipeline_config);
  g_test_add_func ("/qs/cli/quantize/pipeline-config-applied", test_pipeline_config_applied);
  g_test_add_func ("/qs/cli/quantize/output-safety", test_output_safety);
  g_test_add_func ("/qs/cli/quantize/torch-reference", test_torch_reference);
  g_test_add_func ("/qs/cli/inspect/mismatch", test_inspect_flags_mismatch);
  g_test_add_func ("/qs/cli/inspect/usage", test_inspect_usage);

  return g_test_run ();
}
