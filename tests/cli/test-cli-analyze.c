/* test-cli-analyze.c: quantscope-cli analyze, run as a user runs it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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

static const char *
cli_path (void)
{
  return g_getenv ("QS_CLI");
}

static char *
demo_path (const char *component)
{
  return g_build_filename (g_getenv ("QS_TEST_DATA"), "demo", component, NULL);
}

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

  g_ptr_array_add (argv, (char *) cli_path ());
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

static guint
count_lines (const char *text)
{
  guint n = 0;

  for (const char *p = text; *p != '\0'; p++)
    n += *p == '\n';

  return n;
}

static void
test_version (void)
{
  g_auto(CliRun) run = { 0 };

  run_cli (&run, "--version", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_str_has_prefix (run.out, "quantscope-cli " PACKAGE_VERSION));
}

static void
test_help_documents_options (void)
{
  static const char * const options[] = {
    "--model-id", "--components", "--cache-dir", "--device", "--dtypes", "--group-size",
    "--svd-rank", "--svd-steps", "--no-svd", "--no-raw", "--skip-threshold",
    "--promote-threshold", "--output", "--top-n", "--seed", "--threads", "--quiet",
    "--load-dtype", "--model-dtype", "--min-numel", "--min-channels", NULL
  };
  g_auto(CliRun) run = { 0 };

  run_cli (&run, "analyze", "--help", NULL);
  g_assert_cmpint (run.status, ==, 0);
  for (guint i = 0; options[i] != NULL; i++)
    g_assert_nonnull (strstr (run.out, options[i]));
  g_assert_nonnull (strstr (run.out, "default: uint4 uint6 uint8 int8"));
  g_assert_nonnull (strstr (run.out, "default: quant_sensitivity_report.csv"));
  g_assert_nonnull (strstr (run.out, "float8_e4m3fn"));
}

static void
test_demo_text_encoder (void)
{
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *csv = g_build_filename (tmp, "report.csv", NULL);
  g_autofree char *json = g_build_filename (tmp, "report.json", NULL);
  g_autofree char *model = demo_path ("text_encoder");
  g_autofree char *contents = NULL;
  g_auto(CliRun) run = { 0 };

  run_cli (&run, "analyze", model, "--output", csv, "--dtypes", "uint4", "int8",
           "--group-size", "0", "-1", "--svd-rank", "8", "--svd-steps", "2",
           "--top-n", "5", NULL);
  g_assert_cmpint (run.status, ==, 0);

  g_assert_true (g_file_get_contents (csv, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents,
                                   "component,param_name,layer_class,shape,numel,weights_dtype,"
                                   "use_svd,svd_rank,group_size,requested_group_size,nmse,"
                                   "sqnr_db,cosine_sim,max_abs_err,relative_l2,kurtosis,"
                                   "outlier_ratio,dynamic_range_ratio\n"));
  /* 15 Linear layers × 2 dtypes × {raw, SVD} × 2 group sizes, plus the header. */
  g_assert_cmpuint (count_lines (contents), ==, 1 + 15 * 2 * 2 * 2);
  g_assert_nonnull (strstr (contents, "text_encoder,lm_head.weight,Linear,\"(2048, 128)\",262144,uint4,False,0,64,0,"));
  g_assert_nonnull (strstr (contents, ",int8,True,8,-1,-1,"));
  g_assert_true (g_file_test (json, G_FILE_TEST_IS_REGULAR));

  g_assert_nonnull (strstr (run.out, "Layers: 15 analysed"));
  g_assert_nonnull (strstr (run.out, "Top 5 most sensitive layers"));
  g_assert_nonnull (strstr (run.out, "model.layers."));

  remove_tree (tmp);
}

static void
test_demo_pipeline_components (void)
{
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *csv = g_build_filename (tmp, "demo.csv", NULL);
  g_autofree char *model = g_build_filename (g_getenv ("QS_TEST_DATA"), "demo", NULL);
  g_autofree char *contents = NULL;
  g_auto(CliRun) run = { 0 };

  run_cli (&run, "analyze", "--model-id", model, "--components", "vae_decoder",
           "--output", csv, "--no-svd", "--dtypes", "uint4", "--quiet", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, "");

  g_assert_true (g_file_get_contents (csv, &contents, NULL, NULL));
  g_assert_null (strstr (contents, "text_encoder"));
  g_assert_nonnull (strstr (contents, "vae_decoder,"));
  g_assert_nonnull (strstr (contents, ",Conv2d,\"(64, 64, 3, 3)\","));

  remove_tree (tmp);
}

static void
test_missing_model (void)
{
  g_auto(CliRun) run = { 0 };

  run_cli (&run, "analyze", "/nonexistent/quantscope/model", "--no-svd", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "/nonexistent/quantscope/model"));
}

static void
test_unknown_hub_id_lists_folders (void)
{
  g_autofree char *tmp = make_tmp_dir ();
  g_auto(CliRun) run = { 0 };

  run_cli (&run, "analyze", "no-such-org/no-such-model", "--cache-dir", tmp, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, tmp));

  remove_tree (tmp);
}

static void
test_usage_errors (void)
{
  g_autofree char *model = demo_path ("text_encoder");

  {
    g_auto(CliRun) run = { 0 };

    run_cli (&run, "analyze", model, "--no-svd", "--no-raw", NULL);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_nonnull (strstr (run.err, "--no-raw"));
  }

  {
    g_auto(CliRun) run = { 0 };

    run_cli (&run, "analyze", model, "--dtypes", "uint99", NULL);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_nonnull (strstr (run.err, "uint99"));
    g_assert_nonnull (strstr (run.err, "uint1–uint16"));
  }

  {
    g_auto(CliRun) run = { 0 };

    run_cli (&run, "analyze", model, "--group-size", "abc", NULL);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_nonnull (strstr (run.err, "--group-size"));
  }

  {
    g_auto(CliRun) run = { 0 };

    run_cli (&run, "analyze", NULL);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_nonnull (strstr (run.err, "no model given"));
  }

  {
    g_auto(CliRun) run = { 0 };

    run_cli (&run, "frobnicate", NULL);
    g_assert_cmpint (run.status, ==, 2);
  }
}

static void
test_unreadable_file (void)
{
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *lfs = g_build_filename (tmp, "model.safetensors", NULL);
  const char *pointer = "version https://git-lfs.github.com/spec/v1\n"
                        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
                        "size 12345\n";
  g_auto(CliRun) run = { 0 };

  g_assert_true (g_file_set_contents (lfs, pointer, -1, NULL));
  run_cli (&run, "analyze", lfs, "--no-svd", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, lfs));
  g_assert_nonnull (strstr (run.err, "LFS"));

  remove_tree (tmp);
}

/* Returns the number after "label " in @text, e.g. "OK 54". */
static int
count_after (const char *text,
             const char *label)
{
  const char *p = strstr (text, label);

  g_assert_nonnull (p);

  return atoi (p + strlen (label));
}

static void
test_auto_config_pipeline_json (void)
{
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *csv = g_build_filename (tmp, "run.csv", NULL);
  g_autofree char *config = g_build_filename (tmp, "run_pipeline_config.json", NULL);
  g_autofree char *upstream = g_build_filename (tmp, "upstream.json", NULL);
  g_autofree char *model = g_build_filename (g_getenv ("QS_TEST_DATA"), "demo", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  {
    g_auto(CliRun) run = { 0 };

    run_cli (&run, "analyze", model, "--output", csv, "--auto-config", "--svd-steps", "2",
             "--dtypes", "uint4", "uint8", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_nonnull (strstr (run.out, "Auto-config"));
    g_assert_nonnull (strstr (run.out, "Estimated size of the analysed layers"));
    g_assert_nonnull (strstr (run.out, "SDNQConfig("));
    g_assert_nonnull (strstr (run.out, "script style"));
    g_assert_nonnull (strstr (run.out, "SVD rank 32 against raw"));
  }

  g_assert_true (g_file_get_contents (config, &text, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, "\"text_encoder\""));
  g_assert_nonnull (strstr (text, "\"vae_decoder\""));
  g_assert_nonnull (strstr (text, "\"modules_group_size_dict\""));
  g_assert_nonnull (strstr (text, "\"modules_svd_dict\""));
  g_clear_pointer (&text, g_free);

  {
    g_auto(CliRun) run = { 0 };

    run_cli (&run, "analyze", model, "--output", csv, "--auto-config", "--svd-steps", "2",
             "--dtypes", "uint4", "uint8", "--config-style", "upstream",
             "--pipeline-config-output", upstream, "--quiet", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }

  g_assert_true (g_file_get_contents (upstream, &text, NULL, &error));
  g_assert_nonnull (strstr (text, "\"modules_quant_config\""));
  g_assert_null (strstr (text, "\"modules_group_size_dict\""));
  g_assert_null (strstr (text, "\"modules_svd_dict\""));

  remove_tree (tmp);
}

static void
test_from_rederives_with_new_thresholds (void)
{
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *csv = g_build_filename (tmp, "first.csv", NULL);
  g_autofree char *json = g_build_filename (tmp, "first.json", NULL);
  g_autofree char *config = g_build_filename (tmp, "first_pipeline_config.json", NULL);
  g_autofree char *model = demo_path ("text_encoder");
  int ok_default;
  int ok_strict;

  {
    g_auto(CliRun) run = { 0 };

    run_cli (&run, "analyze", model, "--output", csv, "--no-svd", NULL);
    g_assert_cmpint (run.status, ==, 0);
    ok_default = count_after (run.out, "OK ");
    g_assert_cmpint (ok_default, ==, 15);
  }

  {
    g_auto(CliRun) run = { 0 };

    /* A stricter promote threshold moves layers from OK to PROMOTE. */
    run_cli (&run, "analyze", "--from", json, "--promote-threshold", "0.005",
             "--auto-config", NULL);
    g_assert_cmpint (run.status, ==, 0);
    ok_strict = count_after (run.out, "OK ");
    g_assert_cmpint (ok_strict, <, ok_default);
    g_assert_cmpint (count_after (run.out, "PROMOTE "), ==, ok_default - ok_strict);
    g_assert_nonnull (strstr (run.out, "promote ≤ 0.005"));
    g_assert_true (g_file_test (config, G_FILE_TEST_IS_REGULAR));
  }

  {
    g_auto(CliRun) run = { 0 };

    run_cli (&run, "analyze", "--from", json, model, NULL);
    g_assert_cmpint (run.status, ==, 2);
  }

  {
    g_auto(CliRun) run = { 0 };

    /* Options that change what is measured cannot apply to a saved analysis. */
    run_cli (&run, "analyze", "--from", json, "--dtypes", "uint8", NULL);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_nonnull (strstr (run.err, "run the analysis again"));
  }

  {
    g_auto(CliRun) run = { 0 };
    g_autofree char *missing = g_build_filename (tmp, "missing.json", NULL);

    run_cli (&run, "analyze", "--from", missing, NULL);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_nonnull (strstr (run.err, missing));
  }

  remove_tree (tmp);
}

static void
test_group_size_mode_columns (void)
{
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *csv = g_build_filename (tmp, "groups.csv", NULL);
  g_autofree char *model = demo_path ("text_encoder");
  g_auto(CliRun) run = { 0 };

  run_cli (&run, "analyze", model, "--output", csv, "--dtypes", "uint4", "--group-size", "32",
           "64", "-1", "--no-svd", "--top-n", "3", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "NMSE of uint4 by group size"));
  g_assert_nonnull (strstr (run.out, "g32"));
  g_assert_nonnull (strstr (run.out, "g64"));
  g_assert_nonnull (strstr (run.out, "row-wise"));
  g_assert_null (strstr (run.out, "against raw"));

  remove_tree (tmp);
}

static void
test_reports (void)
{
  g_autofree char *tmp = make_tmp_dir ();
  g_autofree char *csv = g_build_filename (tmp, "rep.csv", NULL);
  g_autofree char *json = g_build_filename (tmp, "rep.json", NULL);
  g_autofree char *html = g_build_filename (tmp, "rep_report.html", NULL);
  g_autofree char *pdf = g_build_filename (tmp, "custom.pdf", NULL);
  g_autofree char *model = demo_path ("text_encoder");
  g_autofree char *text = NULL;
  gsize length = 0;

  {
    g_auto(CliRun) run = { 0 };

    run_cli (&run, "analyze", model, "--output", csv, "--no-svd", "--quiet", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }

  /* The default report is a self-contained HTML page with the chart embedded. */
  g_assert_true (g_file_get_contents (html, &text, &length, NULL));
  g_assert_nonnull (strstr (text, "<html"));
  g_assert_nonnull (strstr (text, "data:image/png;base64,"));
  g_assert_nonnull (strstr (text, "lm_head.weight"));
  g_clear_pointer (&text, g_free);

  {
    g_auto(CliRun) run = { 0 };

    run_cli (&run, "analyze", "--from", json, "--report-format", "pdf",
             "--report-output", pdf, "--quiet", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }

  g_assert_true (g_file_get_contents (pdf, &text, &length, NULL));
  g_assert_cmpuint (length, >, 1000);
  g_assert_true (g_str_has_prefix (text, "%PDF-"));

  {
    g_auto(CliRun) run = { 0 };

    run_cli (&run, "analyze", model, "--report-format", "docx", NULL);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_nonnull (strstr (run.err, "docx"));
  }

  remove_tree (tmp);
}

static void
test_invalid_config_style (void)
{
  g_autofree char *model = demo_path ("text_encoder");
  g_auto(CliRun) run = { 0 };

  run_cli (&run, "analyze", model, "--config-style", "fancy", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "fancy"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  if (cli_path () == NULL)
    {
      g_printerr ("QS_CLI is not set\n");
      return 1;
    }

  g_test_add_func ("/qs/cli/analyze/version", test_version);
  g_test_add_func ("/qs/cli/analyze/help-documents-options", test_help_documents_options);
  g_test_add_func ("/qs/cli/analyze/demo-text-encoder", test_demo_text_encoder);
  g_test_add_func ("/qs/cli/analyze/demo-pipeline-components", test_demo_pipeline_components);
  g_test_add_func ("/qs/cli/analyze/missing-model", test_missing_model);
  g_test_add_func ("/qs/cli/analyze/unknown-hub-id", test_unknown_hub_id_lists_folders);
  g_test_add_func ("/qs/cli/analyze/usage-errors", test_usage_errors);
  g_test_add_func ("/qs/cli/analyze/unreadable-file", test_unreadable_file);
  g_test_add_func ("/qs/cli/analyze/auto-config-pipeline-json", test_auto_config_pipeline_json);
  g_test_add_func ("/qs/cli/analyze/from-new-thresholds", test_from_rederives_with_new_thresholds);
  g_test_add_func ("/qs/cli/analyze/group-size-mode", test_group_size_mode_columns);
  g_test_add_func ("/qs/cli/analyze/invalid-config-style", test_invalid_config_style);
  g_test_add_func ("/qs/cli/analyze/reports", test_reports);

  return g_test_run ();
}
