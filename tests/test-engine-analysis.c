/* test-engine-analysis.c: the analysis job, its files and its edge cases
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "qs-analysis-io.h"
#include "qs-error.h"
#include "qs-summary.h"
#include "qs-test-utils.h"

/* A backend that delegates to the CPU backend and cancels the run when it
 * is asked for layer number cancel_at (1-based), so that cancellation in
 * the middle of a layer happens at a known point. */
#define TEST_TYPE_CANCELLING_BACKEND (test_cancelling_backend_get_type ())
G_DECLARE_FINAL_TYPE (TestCancellingBackend, test_cancelling_backend, TEST, CANCELLING_BACKEND, GObject)

struct _TestCancellingBackend
{
  GObject       parent_instance;
  QsBackend    *cpu;
  GCancellable *cancellable;
  guint         calls;
  guint         cancel_at;
};

static void test_cancelling_backend_iface_init (QsBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestCancellingBackend, test_cancelling_backend, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (QS_TYPE_BACKEND,
                                                      test_cancelling_backend_iface_init))

static const char *
test_cancelling_backend_get_name (QsBackend *backend)
{
  return "cancelling test backend";
}

static gboolean
test_cancelling_backend_evaluate_layer (QsBackend            *backend,
                                        const QsLayerWeights *layer,
                                        const QsFormat       *formats,
                                        guint                 n_formats,
                                        const QsEvalOptions  *options,
                                        QsFormatResult       *results,
                                        GCancellable         *cancellable,
                                        GError              **error)
{
  TestCancellingBackend *self = TEST_CANCELLING_BACKEND (backend);

  if (++self->calls == self->cancel_at)
    g_cancellable_cancel (self->cancellable);

  return qs_backend_evaluate_layer (self->cpu, layer, formats, n_formats, options, results,
                                    cancellable, error);
}

static void
test_cancelling_backend_iface_init (QsBackendInterface *iface)
{
  iface->get_name = test_cancelling_backend_get_name;
  iface->evaluate_layer = test_cancelling_backend_evaluate_layer;
}

static void
test_cancelling_backend_finalize (GObject *object)
{
  TestCancellingBackend *self = TEST_CANCELLING_BACKEND (object);

  g_clear_object (&self->cpu);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (test_cancelling_backend_parent_class)->finalize (object);
}

static void
test_cancelling_backend_class_init (TestCancellingBackendClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_cancelling_backend_finalize;
}

static void
test_cancelling_backend_init (TestCancellingBackend *self)
{
  self->cpu = qs_cpu_backend_new (2);
}

typedef struct
{
  GMainLoop        *loop;
  QsAnalysisResult *result;
  GError           *error;
  guint             n_finished;
  guint             n_progress;
  GPtrArray        *names;
} JobRun;

static void
job_done_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  JobRun *run = user_data;

  run->result = qs_analysis_job_run_finish (QS_ANALYSIS_JOB (object), result, &run->error);
  g_main_loop_quit (run->loop);
}

static void
layer_finished_cb (QsAnalysisJob *job,
                   QsLayerResult *layer,
                   JobRun        *run)
{
  run->n_finished++;
  g_ptr_array_add (run->names, g_strdup (layer->name));
}

static void
progress_cb (QsAnalysisJob *job,
             GParamSpec    *pspec,
             JobRun        *run)
{
  run->n_progress++;
  g_assert_cmpfloat (qs_analysis_job_get_fraction (job), >=, 0);
  g_assert_cmpfloat (qs_analysis_job_get_fraction (job), <=, 1);
}

static void
run_job (QsAnalysisJob *job,
         GCancellable  *cancellable,
         JobRun        *run)
{
  run->loop = g_main_loop_new (NULL, FALSE);
  run->names = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (job, "layer-finished", G_CALLBACK (layer_finished_cb), run);
  g_signal_connect (job, "notify::fraction", G_CALLBACK (progress_cb), run);

  qs_analysis_job_run_async (job, cancellable, job_done_cb, run);
  g_main_loop_run (run->loop);
}

static void
job_run_clear (JobRun *run)
{
  g_clear_pointer (&run->loop, g_main_loop_unref);
  g_clear_object (&run->result);
  g_clear_error (&run->error);
  g_clear_pointer (&run->names, g_ptr_array_unref);
}

static QsAnalysisSettings *
small_settings (void)
{
  QsAnalysisSettings *settings = qs_analysis_settings_new ();
  const char * const dtypes[] = { "uint4", "int8", NULL };
  guint rank = 8;

  qs_analysis_settings_set_dtypes (settings, dtypes);
  qs_analysis_settings_set_svd_ranks (settings, &rank, 1);
  settings->svd_steps = 2;
  settings->n_threads = 2;

  return settings;
}

static QsModel *
open_demo (const char *component)
{
  g_autofree char *path = qs_test_get_data_path ("demo", component, NULL);
  g_autoptr(GError) error = NULL;
  QsModel *model;

  g_assert_nonnull (path);
  model = qs_model_open (path, NULL, &error);
  g_assert_no_error (error);

  return model;
}

static void
test_job_demo_text_encoder (void)
{
  g_autoptr(QsModel) model = open_demo ("text_encoder");
  g_autoptr(QsAnalysisSettings) settings = small_settings ();
  g_autoptr(QsBackend) backend = qs_cpu_backend_new (2);
  g_autoptr(QsAnalysisJob) job = qs_analysis_job_new (model, settings, backend);
  JobRun run = { 0 };
  QsLayerResult *layer;

  run_job (job, NULL, &run);
  g_assert_no_error (run.error);
  g_assert_nonnull (run.result);

  /* lm_head plus 7 projections in each of the 2 decoder layers. */
  g_assert_cmpuint (qs_analysis_result_get_n_layers (run.result), ==, 15);
  g_assert_cmpuint (run.n_finished, ==, 15);
  g_assert_cmpuint (run.n_progress, >, 0);
  g_assert_cmpuint (qs_analysis_job_get_layers_done (job), ==, 15);
  g_assert_cmpuint (qs_analysis_job_get_layers_total (job), ==, 15);
  g_assert_cmpuint (qs_analysis_job_get_bytes_done (job), ==, qs_analysis_job_get_bytes_total (job));
  g_assert_cmpfloat (qs_analysis_job_get_fraction (job), ==, 1.0);
  g_assert_true (qs_analysis_result_get_complete (run.result));

  /* Signals arrive in analysis order, the order of the result. */
  for (guint i = 0; i < 15; i++)
    g_assert_cmpstr (g_ptr_array_index (run.names, i), ==,
                     qs_analysis_result_get_layer (run.result, i)->name);

  /* Norm vectors are listed as skipped, not analysed. */
  g_assert_cmpuint (qs_analysis_result_get_skipped (run.result)->len, ==, 5);

  layer = qs_analysis_result_get_layer (run.result, 0);
  g_assert_cmpstr (layer->component, ==, "text_encoder");
  g_assert_cmpstr (layer->name, ==, "lm_head.weight");
  /* SDNQ keeps lm_head unquantized by default; the analysis measures it
   * and flags it. */
  g_assert_true (g_strv_contains ((const char * const *) layer->flags, "sdnq-default-skip"));
  g_assert_false (g_strv_contains ((const char * const *) qs_analysis_result_get_layer (run.result, 1)->flags,
                                   "sdnq-default-skip"));
  g_assert_cmpstr (layer->layer_class, ==, "Linear");
  g_assert_cmpuint (layer->n_formats, ==, 4);
  g_assert_cmpstr (layer->formats[0].dtype, ==, "uint4");
  g_assert_false (layer->formats[0].use_svd);
  g_assert_cmpint (layer->formats[0].group_size, ==, 64);
  g_assert_true (layer->formats[1].use_svd);
  /* 128 with the SVD doubling reaches the width of 128, so it is row-wise. */
  g_assert_cmpint (layer->formats[1].group_size, ==, -1);
  g_assert_cmpint (layer->formats[2].group_size, ==, -1);

  for (guint i = 0; i < 15; i++)
    {
      const QsLayerResult *l = qs_analysis_result_get_layer (run.result, i);

      for (guint f = 0; f < l->n_formats; f++)
        {
          g_assert_true (isfinite (l->formats[f].metrics.nmse));
          g_assert_cmpfloat (l->formats[f].metrics.nmse, >, 0);
        }
      /* int8 is far more accurate than uint4 on trained weights. */
      g_assert_cmpfloat (l->formats[2].metrics.nmse, <, l->formats[0].metrics.nmse);
    }

  g_assert_cmpstr (qs_analysis_result_get_provenance_value (run.result, "backend"), !=, NULL);
  g_assert_cmpstr (qs_analysis_result_get_provenance_value (run.result, "quantscope_version"),
                   ==, PACKAGE_VERSION);

  job_run_clear (&run);
}

static void
test_job_cancel_keeps_finished_layers (void)
{
  g_autoptr(QsModel) model = open_demo ("text_encoder");
  g_autoptr(QsAnalysisSettings) settings = small_settings ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(TestCancellingBackend) backend = g_object_new (TEST_TYPE_CANCELLING_BACKEND, NULL);
  g_autoptr(QsAnalysisJob) job = NULL;
  QsAnalysisResult *partial;
  JobRun run = { 0 };

  backend->cancellable = g_object_ref (cancellable);
  backend->cancel_at = 3;
  job = qs_analysis_job_new (model, settings, QS_BACKEND (backend));

  run_job (job, cancellable, &run);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (run.result);

  /* The layer in progress stops; the two that finished are kept. */
  partial = qs_analysis_job_get_result (job);
  g_assert_cmpuint (qs_analysis_result_get_n_layers (partial), ==, 2);
  g_assert_cmpuint (run.n_finished, ==, 2);
  g_assert_false (qs_analysis_result_get_complete (partial));
  g_assert_cmpuint (qs_analysis_result_get_n_layers_planned (partial), ==, 15);

  job_run_clear (&run);
}

static void
test_job_non_finite_layers (void)
{
  g_autofree char *dir = qs_test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "broken.safetensors", NULL);
  g_autofree char *csv = g_build_filename (dir, "broken.csv", NULL);
  g_autofree char *csv_text = NULL;
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsModel) model = NULL;
  g_autoptr(QsAnalysisSettings) settings = small_settings ();
  g_autoptr(QsBackend) backend = qs_cpu_backend_new (2);
  g_autoptr(QsAnalysisJob) job = NULL;
  g_autoptr(QsSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *good = g_new (float, 64 * 64);
  g_autofree float *nan_f32 = g_new (float, 64 * 64);
  g_autofree guint16 *inf_f16 = g_new (guint16, 64 * 64);
  g_autofree guint16 *inf_bf16 = g_new (guint16, 64 * 64);
  JobRun run = { 0 };

  for (guint i = 0; i < 64 * 64; i++)
    {
      good[i] = sinf (i * 0.37f) * 0.02f;
      nan_f32[i] = good[i];
      inf_f16[i] = 0x2000 + (i % 512);
      inf_bf16[i] = 0x3c00 + (i % 128);
    }
  nan_f32[100] = NAN;
  inf_f16[7] = 0x7C00;    /* +Inf in F16 */
  inf_bf16[4000] = 0xFF80; /* -Inf in BF16 */

  qs_test_safetensors_add_f32 (st, "a.good.weight", "[64, 64]", good, 64 * 64);
  qs_test_safetensors_add_f32 (st, "b.nan.weight", "[64, 64]", nan_f32, 64 * 64);
  qs_test_safetensors_add_u16 (st, "c.inf.weight", "F16", "[64, 64]", inf_f16, 64 * 64);
  qs_test_safetensors_add_u16 (st, "d.neginf.weight", "BF16", "[64, 64]", inf_bf16, 64 * 64);
  qs_test_safetensors_write (st, path);

  model = qs_model_open (path, NULL, &error);
  g_assert_no_error (error);
  job = qs_analysis_job_new (model, settings, backend);
  run_job (job, NULL, &run);
  g_assert_no_error (run.error);

  g_assert_cmpuint (qs_analysis_result_get_n_layers (run.result), ==, 4);
  g_assert_null (qs_analysis_result_get_layer (run.result, 0)->error);
  qs_test_assert_contains (qs_analysis_result_get_layer (run.result, 1)->error, "1 NaN");
  qs_test_assert_contains (qs_analysis_result_get_layer (run.result, 1)->error, "index 100");
  qs_test_assert_contains (qs_analysis_result_get_layer (run.result, 2)->error, "1 Inf");
  qs_test_assert_contains (qs_analysis_result_get_layer (run.result, 2)->error, "index 7");
  qs_test_assert_contains (qs_analysis_result_get_layer (run.result, 3)->error, "index 4000");

  summary = qs_summary_new (run.result, 0.1, 0.01, 30);
  g_assert_cmpuint (summary->n_error, ==, 3);
  g_assert_cmpuint (summary->n_finite, ==, 1);
  g_assert_true (isfinite (summary->nmse_mean));
  g_assert_cmpuint (summary->top->len, ==, 1);

  g_assert_true (qs_analysis_result_write_csv (run.result, csv, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (csv, &csv_text, NULL, NULL));
  qs_test_assert_contains (csv_text, "broken,b.nan.weight,Linear,\"(64, 64)\",4096,uint4,False,0,-1,0,inf,-inf,0.0,inf,inf,");

  job_run_clear (&run);
  qs_test_remove_tree (dir);
}

static void
test_job_skips_metadata_and_small_layers (void)
{
  g_autofree char *dir = qs_test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "mixed.safetensors", NULL);
  g_autoptr(QsTestSafetensors) st = qs_test_safetensors_new ();
  g_autoptr(QsModel) model = NULL;
  g_autoptr(QsAnalysisSettings) settings = small_settings ();
  g_autoptr(QsBackend) backend = qs_cpu_backend_new (2);
  g_autoptr(QsAnalysisJob) job = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *big = g_new0 (float, 64 * 64);
  float small[32 * 4];
  guint8 ids[8] = { 0 };
  float scalar = 1.0f;
  GPtrArray *skipped;
  JobRun run = { 0 };

  for (guint i = 0; i < 64 * 64; i++)
    big[i] = cosf (i * 0.11f);
  for (guint i = 0; i < G_N_ELEMENTS (small); i++)
    small[i] = sinf (i * 0.5f);

  qs_test_safetensors_add_f32 (st, "big.weight", "[64, 64]", big, 64 * 64);
  qs_test_safetensors_add_f32 (st, "odd.weight", "[32, 97]", big, 32 * 97);
  qs_test_safetensors_add_f32 (st, "small.weight", "[32, 4]", small, 32 * 4);
  qs_test_safetensors_add_f32 (st, "scaled_fp8", "[]", &scalar, 1);
  qs_test_safetensors_add (st, "empty.weight", "F32", "[4, 0]", NULL, 0);
  qs_test_safetensors_add (st, "position_ids", "I64", "[1]", ids, 8);
  qs_test_safetensors_write (st, path);

  settings->min_channels = 32;
  model = qs_model_open (path, NULL, &error);
  g_assert_no_error (error);
  job = qs_analysis_job_new (model, settings, backend);
  run_job (job, NULL, &run);
  g_assert_no_error (run.error);

  g_assert_cmpuint (qs_analysis_result_get_n_layers (run.result), ==, 2);
  g_assert_cmpstr (qs_analysis_result_get_layer (run.result, 0)->name, ==, "big.weight");
  g_assert_false (g_strv_contains ((const char * const *) qs_analysis_result_get_layer (run.result, 0)->flags,
                                   "kernel-unfriendly-width"));

  /* A width of 97 is legal but not a multiple of 16: flagged, not refused. */
  g_assert_cmpstr (qs_analysis_result_get_layer (run.result, 1)->name, ==, "odd.weight");
  g_assert_true (g_strv_contains ((const char * const *) qs_analysis_result_get_layer (run.result, 1)->flags,
                                  "kernel-unfriendly-width"));
  {
    g_autoptr(QsSummary) summary = qs_summary_new (run.result, 0.1, 0.01, 30);

    g_assert_cmpuint (summary->n_kernel_unfriendly, ==, 1);
  }

  skipped = qs_analysis_result_get_skipped (run.result);
  g_assert_cmpuint (skipped->len, ==, 4);
  for (guint i = 0; i < skipped->len; i++)
    {
      const QsSkippedTensor *tensor = g_ptr_array_index (skipped, i);

      if (g_str_equal (tensor->name, "small.weight"))
        qs_test_assert_contains (tensor->reason, "--min-channels");
      else if (g_str_equal (tensor->name, "position_ids"))
        qs_test_assert_contains (tensor->reason, "non-float");
      else
        qs_test_assert_contains (tensor->reason, "metadata");
    }

  job_run_clear (&run);
  qs_test_remove_tree (dir);
}

static void
assert_results_equal (QsAnalysisResult *a,
                      QsAnalysisResult *b)
{
  const QsAnalysisSettings *sa = qs_analysis_result_get_settings (a);
  const QsAnalysisSettings *sb = qs_analysis_result_get_settings (b);

  g_assert_cmpstrv (sa->dtypes, sb->dtypes);
  g_assert_cmpuint (sa->n_group_sizes, ==, sb->n_group_sizes);
  g_assert_cmpuint (sa->n_svd_ranks, ==, sb->n_svd_ranks);
  g_assert_cmpuint (sa->svd_ranks[0], ==, sb->svd_ranks[0]);
  g_assert_cmpuint (sa->svd_steps, ==, sb->svd_steps);
  g_assert_cmpfloat (sa->skip_threshold, ==, sb->skip_threshold);
  g_assert_cmpint (sa->load_dtype, ==, sb->load_dtype);
  g_assert_cmpint (sa->model_dtype, ==, sb->model_dtype);
  g_assert_cmpint (qs_analysis_result_get_complete (a), ==, qs_analysis_result_get_complete (b));
  g_assert_cmpstr (qs_analysis_result_get_provenance_value (a, "model"), ==,
                   qs_analysis_result_get_provenance_value (b, "model"));
  g_assert_cmpuint (qs_analysis_result_get_skipped (a)->len, ==,
                    qs_analysis_result_get_skipped (b)->len);

  g_assert_cmpuint (qs_analysis_result_get_n_layers (a), ==, qs_analysis_result_get_n_layers (b));
  for (guint i = 0; i < qs_analysis_result_get_n_layers (a); i++)
    {
      const QsLayerResult *la = qs_analysis_result_get_layer (a, i);
      const QsLayerResult *lb = qs_analysis_result_get_layer (b, i);

      g_assert_cmpstr (la->component, ==, lb->component);
      g_assert_cmpstr (la->name, ==, lb->name);
      g_assert_cmpint (la->kind, ==, lb->kind);
      g_assert_cmpuint (la->ndim, ==, lb->ndim);
      g_assert_cmpmem (la->shape, sizeof la->shape, lb->shape, sizeof lb->shape);
      g_assert_cmpfloat (la->stats.kurtosis, ==, lb->stats.kurtosis);
      g_assert_cmpfloat (la->stats.dynamic_range_ratio, ==, lb->stats.dynamic_range_ratio);
      g_assert_cmpuint (la->n_formats, ==, lb->n_formats);
      for (guint f = 0; f < la->n_formats; f++)
        {
          g_assert_cmpstr (la->formats[f].dtype, ==, lb->formats[f].dtype);
          g_assert_cmpint (la->formats[f].group_size, ==, lb->formats[f].group_size);
          g_assert_cmpuint (la->formats[f].svd_rank, ==, lb->formats[f].svd_rank);
          /* Doubles are written with enough digits to read back exactly. */
          g_assert_cmpfloat (la->formats[f].metrics.nmse, ==, lb->formats[f].metrics.nmse);
          g_assert_cmpfloat (la->formats[f].metrics.cosine_sim, ==, lb->formats[f].metrics.cosine_sim);
          g_assert_cmpfloat (la->formats[f].metrics.max_abs_err, ==, lb->formats[f].metrics.max_abs_err);
        }
    }
}

static void
test_analysis_file_round_trip (void)
{
  g_autoptr(QsModel) model = open_demo ("vae_decoder");
  g_autoptr(QsAnalysisSettings) settings = small_settings ();
  g_autoptr(QsBackend) backend = qs_cpu_backend_new (2);
  g_autoptr(QsAnalysisJob) job = NULL;
  g_autoptr(QsAnalysisResult) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = qs_test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "analysis.json", NULL);
  JobRun run = { 0 };

  settings->use_svd = FALSE;
  job = qs_analysis_job_new (model, settings, backend);
  run_job (job, NULL, &run);
  g_assert_no_error (run.error);
  g_assert_cmpuint (qs_analysis_result_get_n_layers (run.result), >, 10);
  g_assert_cmpstr (qs_analysis_result_get_layer (run.result, 0)->layer_class, ==, "Conv2d");

  g_assert_true (qs_analysis_result_save (run.result, path, &error));
  g_assert_no_error (error);
  loaded = qs_analysis_result_load (path, &error);
  g_assert_no_error (error);
  assert_results_equal (run.result, loaded);

  job_run_clear (&run);
  qs_test_remove_tree (dir);
}

static void
test_analysis_file_invalid (void)
{
  static const struct {
    const char *contents;
    const char *message;
  } cases[] = {
    { "not json", "Invalid analysis file" },
    { "[1, 2]", "not a JSON object" },
    { "{\"format\": \"other\", \"version\": 1}", "not a Quantscope analysis file" },
    { "{\"format\": \"quantscope-analysis\", \"version\": 99}", "version 99" },
    { "{\"format\": \"quantscope-analysis\", \"version\": 1}", "“settings”" },
  };
  g_autofree char *dir = qs_test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "bad.json", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(QsAnalysisResult) result = NULL;

      qs_test_write_file (path, cases[i].contents);
      result = qs_analysis_result_load (path, &error);
      g_assert_null (result);
      qs_test_assert_error_contains (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_FORMAT,
                                     cases[i].message);
    }

  qs_test_remove_tree (dir);
}

static void
test_settings_validation (void)
{
  g_autoptr(QsAnalysisSettings) settings = qs_analysis_settings_new ();
  g_autoptr(GError) error = NULL;
  const char * const none[] = { NULL };
  const char * const unknown[] = { "uint4", "int99", NULL };
  const char * const fine[] = { "uint4", NULL };
  gint64 bad_group = -5;
  guint bad_rank = 0;

  g_assert_true (qs_analysis_settings_validate (settings, &error));
  g_assert_no_error (error);

  settings->use_raw = FALSE;
  settings->use_svd = FALSE;
  g_assert_false (qs_analysis_settings_validate (settings, &error));
  qs_test_assert_error_contains (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS, "--no-svd");
  g_clear_error (&error);
  settings->use_raw = TRUE;
  settings->use_svd = TRUE;

  qs_analysis_settings_set_dtypes (settings, none);
  g_assert_false (qs_analysis_settings_validate (settings, &error));
  qs_test_assert_error_contains (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS, "No dtype");
  g_clear_error (&error);

  qs_analysis_settings_set_dtypes (settings, unknown);
  g_assert_false (qs_analysis_settings_validate (settings, &error));
  qs_test_assert_error_contains (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS, "int99");
  g_clear_error (&error);
  qs_analysis_settings_set_dtypes (settings, fine);

  qs_analysis_settings_set_group_sizes (settings, &bad_group, 1);
  g_assert_false (qs_analysis_settings_validate (settings, &error));
  qs_test_assert_error_contains (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS, "-5");
  g_clear_error (&error);
  bad_group = 0;
  qs_analysis_settings_set_group_sizes (settings, &bad_group, 1);

  qs_analysis_settings_set_svd_ranks (settings, &bad_rank, 1);
  g_assert_false (qs_analysis_settings_validate (settings, &error));
  qs_test_assert_error_contains (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS, "rank");
  g_clear_error (&error);
  bad_rank = 16;
  qs_analysis_settings_set_svd_ranks (settings, &bad_rank, 1);

  settings->promote_threshold = 0.5;
  g_assert_false (qs_analysis_settings_validate (settings, &error));
  qs_test_assert_error_contains (error, QS_ANALYSIS_ERROR, QS_ANALYSIS_ERROR_SETTINGS, "promote");
  g_clear_error (&error);
}

static void
test_build_formats_order (void)
{
  g_autoptr(QsAnalysisSettings) settings = qs_analysis_settings_new ();
  g_autofree QsFormat *formats = NULL;
  const char * const dtypes[] = { "uint4", "int8", NULL };
  gint64 sizes[] = { 0, 32 };
  guint ranks[] = { 16, 32 };
  guint n = 0;

  qs_analysis_settings_set_dtypes (settings, dtypes);
  qs_analysis_settings_set_group_sizes (settings, sizes, 2);
  qs_analysis_settings_set_svd_ranks (settings, ranks, 2);
  formats = qs_analysis_settings_build_formats (settings, &n);

  /* Per dtype: 2 raw, then 2 ranks × 2 group sizes. */
  g_assert_cmpuint (n, ==, 12);
  g_assert_cmpstr (formats[0].dtype->name, ==, "uint4");
  g_assert_cmpuint (formats[0].svd_rank, ==, 0);
  g_assert_cmpint (formats[1].requested_group_size, ==, 32);
  g_assert_cmpuint (formats[2].svd_rank, ==, 16);
  g_assert_cmpuint (formats[4].svd_rank, ==, 32);
  g_assert_cmpint (formats[5].requested_group_size, ==, 32);
  g_assert_cmpstr (formats[6].dtype->name, ==, "int8");
}

static void
test_python_float_format (void)
{
  static const struct {
    double value;
    const char *expected;
  } cases[] = {
    { 1e-05, "1e-05" },
    { 0.0001, "0.0001" },
    { 1.5, "1.5" },
    { 100.0, "100.0" },
    { 1e16, "1e+16" },
    { 123456789012345.0, "123456789012345.0" },
    { 0.1, "0.1" },
    { -2.5e-07, "-2.5e-07" },
    { 3.0000000000000004e-05, "3.0000000000000004e-05" },
    { 0.0, "0.0" },
    { 1e300, "1e+300" },
    { 12.375, "12.375" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *str = qs_format_python_float (cases[i].value);

      g_assert_cmpstr (str, ==, cases[i].expected);
    }

  {
    g_autofree char *inf = qs_format_python_float (INFINITY);
    g_autofree char *neg = qs_format_python_float (-INFINITY);
    g_autofree char *nan = qs_format_python_float (NAN);

    g_assert_cmpstr (inf, ==, "inf");
    g_assert_cmpstr (neg, ==, "-inf");
    g_assert_cmpstr (nan, ==, "nan");
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qs/engine/analysis/demo-text-encoder", test_job_demo_text_encoder);
  g_test_add_func ("/qs/engine/analysis/cancel-keeps-finished", test_job_cancel_keeps_finished_layers);
  g_test_add_func ("/qs/engine/analysis/non-finite-layers", test_job_non_finite_layers);
  g_test_add_func ("/qs/engine/analysis/skips-metadata-and-small", test_job_skips_metadata_and_small_layers);
  g_test_add_func ("/qs/engine/analysis/file-round-trip", test_analysis_file_round_trip);
  g_test_add_func ("/qs/engine/analysis/file-invalid", test_analysis_file_invalid);
  g_test_add_func ("/qs/engine/analysis/settings-validation", test_settings_validation);
  g_test_add_func ("/qs/engine/analysis/build-formats-order", test_build_formats_order);
  g_test_add_func ("/qs/engine/analysis/python-float-format", test_python_float_format);

  return g_test_run ();
}
