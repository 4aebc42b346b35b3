/* test-cli-compare-images.c: quantscope-cli compare-images, run as a user runs it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
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

/* Runs `quantscope-cli compare-images` with @args (NULL-terminated) and
 * returns its exit status, stdout and stderr. */
static void
run_compare (CliRun     *run,
             const char *first_arg,
             ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int wait_status = 0;
  va_list args;

  g_ptr_array_add (argv, (char *) g_getenv ("QS_CLI"));
  g_ptr_array_add (argv, (char *) "compare-images");
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

/* The pattern and the noise generator of test-engine-image-metrics.c, so
 * the NumPy values computed there apply here too. */
static guint32
lcg_next (guint32 *state)
{
  *state = (*state * 1103515245u + 12345u) & 0x7fffffffu;

  return *state >> 16;
}

/* Writes the pattern as PNG, or as JPEG when @name ends in .jpg. */
static void
write_image (const char *folder,
             const char *name,
             guint       width,
             guint       height,
             guint32     noise_seed,
             int         noise_amplitude)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) error = NULL;
  guint32 state = noise_seed;
  guint8 *pixels;
  int rowstride;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, (int) width, (int) height);
  pixels = gdk_pixbuf_get_pixels (pixbuf);
  rowstride = gdk_pixbuf_get_rowstride (pixbuf);

  for (guint y = 0; y < height; y++)
    for (guint x = 0; x < width; x++)
      for (guint c = 0; c < 3; c++)
        {
          int value = (3 * x + 5 * y + 40 * c + ((x * y) % 31) * 4) % 256;

          if (noise_amplitude > 0)
            value += (int) (lcg_next (&state) % (guint32) (2 * noise_amplitude + 1))
                     - noise_amplitude;
          pixels[y * rowstride + x * 3 + c] = (guint8) CLAMP (value, 0, 255);
        }

  gdk_pixbuf_save (pixbuf, path, g_str_has_suffix (name, ".jpg") ? "jpeg" : "png", &error,
                   NULL);
  g_assert_no_error (error);
}

static char **
read_lines (const char *path)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (contents, "\n"));
  contents[strlen (contents) - 1] = '\0';

  return g_strsplit (contents, "\n", -1);
}

static void
test_compare_folders (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *base = g_build_filename (dir, "baseline", NULL);
  g_autofree char *quant = g_build_filename (dir, "quantized", NULL);
  g_autofree char *csv = g_build_filename (dir, "out", "image_comparison.csv", NULL);
  g_autofree char *diffs = g_build_filename (dir, "diffs", NULL);
  g_autofree char *notes = g_build_filename (quant, "notes.txt", NULL);
  g_autofree char *heatmap0 = g_build_filename (diffs, "seed0_diff.png", NULL);
  g_autofree char *heatmap1 = g_build_filename (diffs, "seed1_diff.png", NULL);
  g_autofree char *heatmap2_png = g_build_filename (diffs, "seed2.png_diff.png", NULL);
  g_autofree char *heatmap2_jpg = g_build_filename (diffs, "seed2.jpg_diff.png", NULL);
  g_auto(CliRun) run = { 0 };
  g_auto(GStrv) lines = NULL;
  g_auto(GStrv) fields = NULL;

  write_image (base, "seed0.png", 40, 30, 0, 0);
  write_image (quant, "seed0.png", 40, 30, 0, 0);
  write_image (base, "seed1.png", 64, 48, 0, 0);
  write_image (quant, "seed1.png", 64, 48, 7, 10);
  write_image (base, "seed2.png", 16, 16, 0, 0);
  write_image (quant, "seed2.png", 16, 16, 0, 0);
  write_image (base, "seed2.jpg", 16, 16, 0, 0);
  write_image (quant, "seed2.jpg", 16, 16, 5, 3);
  write_image (base, "only_base.png", 16, 16, 0, 0);
  write_image (quant, "only_quant.png", 16, 16, 0, 0);
  g_file_set_contents (notes, "not an image\n", -1, NULL);

  run_compare (&run, base, quant, "--output", csv, "--diff-output", diffs, NULL);
  g_assert_cmpint (run.status, ==, 0);

  /* Rows are sorted by file name in byte order. */
  lines = read_lines (csv);
  g_assert_cmpuint (g_strv_length (lines), ==, 5);
  g_assert_cmpstr (lines[0], ==, "file,psnr,ssim,mae,max_diff");
  g_assert_cmpstr (lines[1], ==, "seed0.png,inf,1.0,0.0,0");
  g_assert_true (g_str_has_prefix (lines[3], "seed2.jpg,"));
  g_assert_cmpstr (lines[4], ==, "seed2.png,inf,1.0,0.0,0");

  /* NumPy's values for this pair, from test-engine-image-metrics.c. */
  fields = g_strsplit (lines[2], ",", -1);
  g_assert_cmpuint (g_strv_length (fields), ==, 5);
  g_assert_cmpstr (fields[0], ==, "seed1.png");
  g_assert_cmpfloat_with_epsilon (g_ascii_strtod (fields[1], NULL), 32.573856607922174, 1e-12);
  g_assert_cmpfloat_with_epsilon (g_ascii_strtod (fields[2], NULL), 0.9918778995269596, 1e-12);
  g_assert_cmpfloat_with_epsilon (g_ascii_strtod (fields[3], NULL), 5.161675347222222, 1e-12);
  g_assert_cmpstr (fields[4], ==, "10");

  /* Unmatched images are listed on stderr, and other files are ignored. */
  g_assert_nonnull (strstr (run.err, "only_base.png"));
  g_assert_nonnull (strstr (run.err, "only_quant.png"));
  g_assert_null (strstr (run.err, "notes.txt"));

  g_assert_nonnull (strstr (run.out, "Compared 4 image pairs"));
  g_assert_nonnull (strstr (run.out, "2 identical pairs"));

  /* seed2.png and seed2.jpg share a stem, so their heatmaps keep the
   * extension. */
  g_assert_true (g_file_test (heatmap0, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (heatmap1, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (heatmap2_png, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (heatmap2_jpg, G_FILE_TEST_IS_REGULAR));

  remove_tree (dir);
}

static void
test_compare_files_quiet (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *first = g_build_filename (dir, "original.png", NULL);
  g_autofree char *second = g_build_filename (dir, "uint4.png", NULL);
  g_autofree char *csv = g_build_filename (dir, "files.csv", NULL);
  g_auto(CliRun) run = { 0 };
  g_auto(GStrv) lines = NULL;

  write_image (dir, "original.png", 16, 12, 0, 0);
  write_image (dir, "uint4.png", 16, 12, 3, 40);

  run_compare (&run, "--quiet", first, second, "-o", csv, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, "");
  g_assert_cmpstr (run.err, ==, "");

  /* NumPy's values for the "strong noise" case of the engine test. */
  lines = read_lines (csv);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);
  g_assert_true (g_str_has_prefix (lines[1], "original.png,20.9574075442010"));
  g_assert_true (g_str_has_suffix (lines[1], ",40"));

  remove_tree (dir);
}

static void
test_compare_size_mismatch (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *base = g_build_filename (dir, "baseline", NULL);
  g_autofree char *quant = g_build_filename (dir, "quantized", NULL);
  g_autofree char *base_image = g_build_filename (base, "seed0.png", NULL);
  g_autofree char *quant_image = g_build_filename (quant, "seed0.png", NULL);
  g_autofree char *csv = g_build_filename (dir, "mismatch.csv", NULL);
  g_auto(CliRun) run = { 0 };

  write_image (base, "seed0.png", 32, 24, 0, 0);
  write_image (quant, "seed0.png", 24, 32, 0, 0);

  run_compare (&run, base, quant, "-o", csv, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "sizes differ"));
  g_assert_nonnull (strstr (run.err, base_image));
  g_assert_nonnull (strstr (run.err, quant_image));
  g_assert_false (g_file_test (csv, G_FILE_TEST_EXISTS));

  remove_tree (dir);
}

static void
test_compare_unreadable (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *base = g_build_filename (dir, "baseline", NULL);
  g_autofree char *quant = g_build_filename (dir, "quantized", NULL);
  g_autofree char *broken = g_build_filename (quant, "seed1.png", NULL);
  g_autofree char *csv = g_build_filename (dir, "partial.csv", NULL);
  g_auto(CliRun) run = { 0 };
  g_auto(GStrv) lines = NULL;

  write_image (base, "seed0.png", 20, 20, 0, 0);
  write_image (quant, "seed0.png", 20, 20, 0, 0);
  write_image (base, "seed1.png", 20, 20, 0, 0);
  g_assert_true (g_file_set_contents (broken, "this is not a PNG file\n", -1, NULL));

  /* The broken pair fails the run, and the CSV keeps the pair that worked. */
  run_compare (&run, base, quant, "-o", csv, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, broken));
  g_assert_nonnull (strstr (run.err, "1 of 2 pairs failed"));

  lines = read_lines (csv);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);
  g_assert_cmpstr (lines[1], ==, "seed0.png,inf,1.0,0.0,0");

  remove_tree (dir);
}

static void
test_compare_missing_path (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);
  g_auto(CliRun) run = { 0 };

  run_compare (&run, dir, missing, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, missing));

  remove_tree (dir);
}

static void
test_compare_usage_errors (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *image = g_build_filename (dir, "a.png", NULL);
  g_auto(CliRun) none = { 0 };
  g_auto(CliRun) one = { 0 };
  g_auto(CliRun) three = { 0 };
  g_auto(CliRun) top_n = { 0 };
  g_auto(CliRun) unknown = { 0 };
  g_auto(CliRun) mixed = { 0 };

  write_image (dir, "a.png", 12, 12, 0, 0);

  run_compare (&none, NULL);
  g_assert_cmpint (none.status, ==, 2);
  g_assert_nonnull (strstr (none.err, "BASELINE and QUANTIZED"));

  run_compare (&one, image, NULL);
  g_assert_cmpint (one.status, ==, 2);

  run_compare (&three, image, image, image, NULL);
  g_assert_cmpint (three.status, ==, 2);

  run_compare (&top_n, image, image, "--top-n", "-1", NULL);
  g_assert_cmpint (top_n.status, ==, 2);
  g_assert_nonnull (strstr (top_n.err, "--top-n"));

  run_compare (&unknown, image, image, "--no-such-option", NULL);
  g_assert_cmpint (unknown.status, ==, 2);

  run_compare (&mixed, image, dir, NULL);
  g_assert_cmpint (mixed.status, ==, 2);
  g_assert_nonnull (strstr (mixed.err, "is a folder"));

  remove_tree (dir);
}

static guint
count_occurrences (const char *haystack,
                   const char *needle)
{
  guint count = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    count++;

  return count;
}

/* Returns whether this quantscope-cli was built with the report library,
 * which adds --report-output. */
static gboolean
cli_has_report (void)
{
  g_auto(CliRun) run = { 0 };

  run_compare (&run, "--help", NULL);
  g_assert_cmpint (run.status, ==, 0);

  return strstr (run.out, "--report-output") != NULL;
}

static void
test_compare_report (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *quant = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *html_path = NULL;
  g_autofree char *pdf_path = NULL;
  g_autofree char *doc_path = NULL;
  g_autofree char *doc_csv = NULL;
  g_autofree char *html = NULL;
  g_autofree char *pdf = NULL;
  g_auto(CliRun) html_run = { 0 };
  g_auto(CliRun) pdf_run = { 0 };
  g_auto(CliRun) doc_run = { 0 };
  g_auto(CliRun) bare_run = { 0 };
  g_auto(CliRun) negative_run = { 0 };
  const char *hostile = "a<b>&\"c\".png";

  if (!cli_has_report ())
    {
      g_test_skip ("quantscope-cli was built without the report library");
      return;
    }

  dir = make_tmp_dir ();
  base = g_build_filename (dir, "baseline", NULL);
  quant = g_build_filename (dir, "quantized", NULL);
  csv = g_build_filename (dir, "pairs.csv", NULL);
  html_path = g_build_filename (dir, "reports", "nested", "report.html", NULL);
  pdf_path = g_build_filename (dir, "report.PDF", NULL);
  doc_path = g_build_filename (dir, "report.doc", NULL);
  doc_csv = g_build_filename (dir, "doc.csv", NULL);

  write_image (base, "seed0.png", 40, 30, 0, 0);
  write_image (quant, "seed0.png", 40, 30, 0, 0);
  write_image (base, "seed1.png", 64, 48, 0, 0);
  write_image (quant, "seed1.png", 64, 48, 7, 10);
  write_image (base, hostile, 32, 32, 0, 0);
  write_image (quant, hostile, 32, 32, 3, 40);
  write_image (base, "only_base.png", 16, 16, 0, 0);

  /* HTML: the two worst pairs with three images each, the folder of the
   * report created, the hostile name only escaped. */
  run_compare (&html_run, base, quant, "-o", csv, "--report-output", html_path,
               "--report-top-n", "2", NULL);
  g_assert_cmpint (html_run.status, ==, 0);
  g_assert_nonnull (strstr (html_run.err, "Wrote the report to"));
  g_assert_true (g_file_get_contents (html_path, &html, NULL, NULL));
  g_assert_true (g_str_has_prefix (html, "<!DOCTYPE html>"));
  g_assert_cmpuint (count_occurrences (html, "data:image/png;base64,"), ==, 6);
  g_assert_cmpuint (count_occurrences (html, "<div class=\"pair\""), ==, 2);
  g_assert_null (strstr (html, hostile));
  g_assert_nonnull (strstr (html, "<td class=\"name\">a&lt;b&gt;&amp;&quot;c&quot;.png</td>"));
  g_assert_nonnull (strstr (html, "<li>only_base.png</li>"));
  g_assert_nonnull (strstr (html, "<dt>Pairs compared</dt><dd class=\"num\">3</dd>"));
  /* The strong noise pair has the lowest SSIM, so it leads the table. */
  g_assert_nonnull (strstr (html, "<td class=\"num rank\">1</td><td class=\"name\">a&lt;b"));

  /* The extension picks PDF in any letter case. */
  run_compare (&pdf_run, "--quiet", base, quant, "-o", csv, "--report-output", pdf_path, NULL);
  g_assert_cmpint (pdf_run.status, ==, 0);
  g_assert_null (strstr (pdf_run.err, "Wrote"));
  g_assert_true (g_file_get_contents (pdf_path, &pdf, NULL, NULL));
  g_assert_true (g_str_has_prefix (pdf, "%PDF-"));

  /* Any other extension is a usage error, found before any work. */
  run_compare (&doc_run, base, quant, "-o", doc_csv, "--report-output", doc_path, NULL);
  g_assert_cmpint (doc_run.status, ==, 2);
  g_assert_nonnull (strstr (doc_run.err, "--report-output"));
  g_assert_nonnull (strstr (doc_run.err, ".html or .pdf"));
  g_assert_false (g_file_test (doc_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (doc_csv, G_FILE_TEST_EXISTS));

  run_compare (&bare_run, base, quant, "-o", doc_csv, "--report-output", dir, NULL);
  g_assert_cmpint (bare_run.status, ==, 2);

  run_compare (&negative_run, base, quant, "-o", doc_csv, "--report-output", html_path,
               "--report-top-n", "-1", NULL);
  g_assert_cmpint (negative_run.status, ==, 2);
  g_assert_nonnull (strstr (negative_run.err, "--report-top-n"));

  remove_tree (dir);
}

static void
test_compare_help (void)
{
  g_auto(CliRun) run = { 0 };

  run_compare (&run, "--help", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "BASELINE QUANTIZED"));
  /* GOption prints the help in the locale's charset, and meson test runs
   * without a UTF-8 locale, so only ASCII text is searched. */
  g_assert_nonnull (strstr (run.out, "sigma=1.5"));
  g_assert_nonnull (strstr (run.out, "K1 = 0.01 and K2 = 0.03"));
  g_assert_nonnull (strstr (run.out, "valid region"));
  g_assert_nonnull (strstr (run.out, "LPIPS is not computed"));
  g_assert_nonnull (strstr (run.out, "--diff-output"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("QS_CLI") == NULL)
    {
      g_printerr ("QS_CLI is not set; run this test through meson test\n");
      return 1;
    }

  g_test_add_func ("/qs/cli/compare-images/folders", test_compare_folders);
  g_test_add_func ("/qs/cli/compare-images/files-quiet", test_compare_files_quiet);
  g_test_add_func ("/qs/cli/compare-images/size-mismatch", test_compare_size_mismatch);
  g_test_add_func ("/qs/cli/compare-images/unreadable", test_compare_unreadable);
  g_test_add_func ("/qs/cli/compare-images/missing-path", test_compare_missing_path);
  g_test_add_func ("/qs/cli/compare-images/usage-errors", test_compare_usage_errors);
  g_test_add_func ("/qs/cli/compare-images/help", test_compare_help);
  g_test_add_func ("/qs/cli/compare-images/report", test_compare_report);

  return g_test_run ();
}
