/* report-test-utils.c: analysis results and file helpers for the report
 * tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include <glib/gstdio.h>
#include <pango/pangocairo.h>

#include "report-test-utils.h"

QsAnalysisResult *
report_test_result_new (const char * const *dtypes,
                        const gint64       *group_sizes,
                        guint               n_group_sizes,
                        const guint        *ranks,
                        guint               n_ranks,
                        gboolean            use_raw)
{
  g_autoptr(QsAnalysisSettings) settings = qs_analysis_settings_new ();
  QsAnalysisResult *result;

  qs_analysis_settings_set_dtypes (settings, dtypes);
  qs_analysis_settings_set_group_sizes (settings, group_sizes, n_group_sizes);
  qs_analysis_settings_set_svd_ranks (settings, ranks, ranks != NULL ? n_ranks : 0);
  settings->use_svd = ranks != NULL && n_ranks > 0;
  settings->use_raw = use_raw;

  result = qs_analysis_result_new (settings);
  qs_analysis_result_set_provenance (result, "model", "test-org/Tiny-Model");
  qs_analysis_result_set_provenance (result, "started", "2024-05-01T12:00:00Z");
  qs_analysis_result_set_provenance (result, "finished", "2024-05-01T12:30:00Z");
  qs_analysis_result_set_provenance (result, "backend", "cpu");
  qs_analysis_result_set_complete (result, TRUE);

  return result;
}

QsAnalysisResult *
report_test_default_result_new (void)
{
  const char * const dtypes[] = { "uint4", "uint6", "uint8", "int8", NULL };
  const gint64 group_sizes[] = { 0 };

  return report_test_result_new (dtypes, group_sizes, 1, NULL, 0, TRUE);
}

static double
group_size_factor (gint64 group_size)
{
  switch (group_size)
    {
    case 16:
      return 0.5;
    case 32:
      return 0.7;
    case -1:
      return 2.0;
    default:
      return 1.0;
    }
}

static void
add_record (GArray     *records,
            const char *dtype,
            gint64      group_size,
            guint       rank,
            double      nmse)
{
  QsFormatRecord record = { 0 };

  record.dtype = g_strdup (dtype);
  record.use_svd = rank > 0;
  record.svd_rank = rank;
  record.effective_svd_rank = rank;
  record.requested_group_size = group_size;
  record.group_size = group_size == 0 ? 64 : group_size;
  record.metrics.nmse = nmse;
  g_array_append_val (records, record);
}

void
report_test_add_layer (QsAnalysisResult *result,
                       const char       *component,
                       const char       *name,
                       gint64            rows,
                       gint64            columns,
                       const double     *raw_nmse)
{
  const QsAnalysisSettings *settings = qs_analysis_result_get_settings (result);
  g_autoptr(QsLayerResult) layer = qs_layer_result_new ();
  g_autoptr(GArray) records = g_array_new (FALSE, TRUE, sizeof (QsFormatRecord));

  layer->component = g_strdup (component);
  layer->name = g_strdup (name);
  layer->kind = QS_LAYER_LINEAR;
  layer->layer_class = g_strdup ("Linear");
  layer->tensor_dtype = g_strdup ("BF16");
  layer->ndim = 2;
  layer->shape[0] = rows;
  layer->shape[1] = columns;
  layer->numel = (guint64) (rows * columns);

  for (guint d = 0; settings->dtypes[d] != NULL; d++)
    {
      if (settings->use_raw)
        for (guint g = 0; g < settings->n_group_sizes; g++)
          add_record (records, settings->dtypes[d], settings->group_sizes[g], 0,
                      raw_nmse[d] * group_size_factor (settings->group_sizes[g]));

      for (guint r = 0; settings->use_svd && r < settings->n_svd_ranks; r++)
        for (guint g = 0; g < settings->n_group_sizes; g++)
          add_record (records, settings->dtypes[d], settings->group_sizes[g],
                      settings->svd_ranks[r],
                      raw_nmse[d] * group_size_factor (settings->group_sizes[g]) / 4);
    }

  layer->n_formats = records->len;
  layer->formats = (QsFormatRecord *) (void *) g_array_free (g_steal_pointer (&records), FALSE);

  qs_analysis_result_add_layer (result, layer);
}

char *
report_test_make_tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *path = g_dir_make_tmp ("qs-report-test-XXXXXX", &error);

  g_assert_no_error (error);

  return path;
}

void
report_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK) || !g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_remove (path);
      return;
    }

  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      report_test_remove_tree (child);
    }
  g_rmdir (path);
}

gboolean
report_test_run_tool (const char         *variable,
                      const char * const *argv,
                      char              **standard_output,
                      char              **standard_error)
{
  const char *tool = g_getenv (variable);
  g_autoptr(GPtrArray) args = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  if (tool == NULL || *tool == '\0')
    {
      g_autofree char *message = g_strdup_printf ("%s is not set: the build did not find the tool",
                                                  variable);

      g_test_skip (message);
      return FALSE;
    }

  args = g_ptr_array_new ();
  g_ptr_array_add (args, (gpointer) tool);
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  g_ptr_array_add (args, NULL);

  g_spawn_sync (NULL, (char **) args->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_printerr ("%s failed: %s\n", tool, err);
  g_assert_no_error (error);

  if (standard_output != NULL)
    *standard_output = g_steal_pointer (&out);
  if (standard_error != NULL)
    *standard_error = g_steal_pointer (&err);

  return TRUE;
}

guint32
report_test_get_pixel (cairo_surface_t *surface,
                       int              x,
                       int              y)
{
  const unsigned char *data;
  int stride;

  cairo_surface_flush (surface);
  g_assert_cmpint (x, >=, 0);
  g_assert_cmpint (y, >=, 0);
  g_assert_cmpint (x, <, cairo_image_surface_get_width (surface));
  g_assert_cmpint (y, <, cairo_image_surface_get_height (surface));

  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);

  return *(const guint32 *) (const void *) (data + y * stride + x * 4) & 0xffffff;
}

gboolean
report_test_pixel_is (guint32     pixel,
                      const char *hex,
                      int         tolerance)
{
  guint32 expected = (guint32) g_ascii_strtoull (hex + 1, NULL, 16);

  for (int shift = 0; shift <= 16; shift += 8)
    {
      int a = (int) ((pixel >> shift) & 0xff);
      int b = (int) ((expected >> shift) & 0xff);

      if (ABS (a - b) > tolerance)
        return FALSE;
    }

  return TRUE;
}

void
report_test_save_output (const char *path,
                         const char *name)
{
  const char *dir = g_getenv ("QS_TEST_OUTPUT_DIR");
  g_autofree char *contents = NULL;
  g_autofree char *target = NULL;
  gsize length;

  if (dir == NULL || *dir == '\0')
    return;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_mkdir_with_parents (dir, 0755);
  target = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (target, contents, (gssize) length, NULL));
}

int
report_test_run (void)
{
  /* Font and Cairo caches that live until exit are left to the system;
   * the sanitizer run suppresses them (build-aux/lsan.supp), because
   * cairo_debug_reset_static_data() aborts whenever a cache entry is still
   * referenced, which depends on the font configuration of the machine. */
  return g_test_run ();
}
