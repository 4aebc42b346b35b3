/* test-engine-image-metrics.c: image decoding, PSNR, SSIM, pairing, CSV
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "qs-image-metrics.h"
#include "qs-test-utils.h"

/* The expected values below were computed independently with NumPy 1.24
 * (/usr/bin/python3 on Debian 12) by the script at the end of this file.
 * It builds the same images with the same integer generators and computes
 * SSIM with a full 11×11 kernel over sliding windows, which is the
 * definition of scikit-image's structural_similarity(gaussian_weights=True,
 * sigma=1.5, use_sample_covariance=False, data_range=1, channel_axis=-1).
 * The script also checks that torchmetrics 1.4's algorithm (reflect padding,
 * conv2d, then cropping 5 pixels per border), rewritten with PyTorch 1.13 in
 * float64, gives the same SSIM to 1e-12. The C code filters separably, so
 * the two agree only to rounding; 1e-12 leaves room for that and still
 * fails on any change to the window, the constants or the cropped region. */
#define SSIM_TOLERANCE 1e-12

typedef struct
{
  const char *name;
  double      psnr;
  double      ssim;
  double      mae_channel[3];
  double      mae;
  guint       max_diff;
} ExpectedMetrics;

/* Generators, written identically in the script at the end of this file. */

static guint32
lcg_next (guint32 *state)
{
  *state = (*state * 1103515245u + 12345u) & 0x7fffffffu;

  return *state >> 16;
}

static guint8 *
make_pattern (guint width,
              guint height)
{
  guint8 *rgb = g_malloc ((gsize) width * height * 3);

  for (guint y = 0; y < height; y++)
    for (guint x = 0; x < width; x++)
      for (guint c = 0; c < 3; c++)
        rgb[(y * width + x) * 3 + c] = (3 * x + 5 * y + 40 * c + ((x * y) % 31) * 4) % 256;

  return rgb;
}

static guint8 *
add_noise (const guint8 *rgb,
           guint         width,
           guint         height,
           guint32       seed,
           int           amplitude)
{
  gsize n = (gsize) width * height * 3;
  guint8 *out = g_malloc (n);
  guint32 state = seed;

  for (gsize i = 0; i < n; i++)
    {
      int noise = (int) (lcg_next (&state) % (guint32) (2 * amplitude + 1)) - amplitude;

      out[i] = (guint8) CLAMP ((int) rgb[i] + noise, 0, 255);
    }

  return out;
}

static guint8 *
make_random (guint   width,
             guint   height,
             guint32 seed)
{
  gsize n = (gsize) width * height * 3;
  guint8 *rgb = g_malloc (n);
  guint32 state = seed;

  for (gsize i = 0; i < n; i++)
    rgb[i] = (guint8) (lcg_next (&state) % 256);

  return rgb;
}

static guint8 *
make_gradient (guint width,
               guint height,
               guint offset)
{
  guint8 *rgb = g_malloc ((gsize) width * height * 3);

  for (guint y = 0; y < height; y++)
    for (guint x = 0; x < width; x++)
      {
        guint8 *p = rgb + (y * width + x) * 3;

        p[0] = MIN (255, x * 255 / (width - 1) + offset);
        p[1] = MIN (255, y * 255 / (height - 1) + offset);
        p[2] = MIN (255, (x + y) * 255 / (width + height - 2) + offset);
      }

  return rgb;
}

static QsImage *
image_from (const guint8 *rgb,
            guint         width,
            guint         height)
{
  return qs_image_new_from_rgb (rgb, width, height, (gsize) width * 3);
}

static void
assert_metrics (const QsImage         *baseline,
                const QsImage         *quantized,
                const ExpectedMetrics *expected)
{
  g_autoptr(GError) error = NULL;
  QsImageMetrics metrics;

  g_test_message ("case %s", expected->name);
  g_assert_true (qs_image_metrics_compute (&metrics, baseline, quantized, &error));
  g_assert_no_error (error);

  g_assert_cmpfloat_with_epsilon (metrics.psnr, expected->psnr, 1e-12);
  g_assert_cmpfloat_with_epsilon (metrics.ssim, expected->ssim, SSIM_TOLERANCE);
  for (guint c = 0; c < 3; c++)
    g_assert_cmpfloat_with_epsilon (metrics.mae_channel[c], expected->mae_channel[c], 1e-12);
  g_assert_cmpfloat_with_epsilon (metrics.mae, expected->mae, 1e-12);
  g_assert_cmpuint (metrics.max_diff, ==, expected->max_diff);
}

static void
test_image_metrics_identical (void)
{
  g_autofree guint8 *rgb = make_pattern (40, 30);
  g_autoptr(QsImage) a = image_from (rgb, 40, 30);
  g_autoptr(QsImage) b = image_from (rgb, 40, 30);
  g_autoptr(GError) error = NULL;
  QsImageMetrics metrics;

  g_assert_true (qs_image_metrics_compute (&metrics, a, b, &error));
  g_assert_no_error (error);

  g_assert_true (isinf (metrics.psnr) && metrics.psnr > 0);
  g_assert_cmpfloat (metrics.ssim, ==, 1.0);
  g_assert_cmpfloat (metrics.mae, ==, 0.0);
  for (guint c = 0; c < 3; c++)
    g_assert_cmpfloat (metrics.mae_channel[c], ==, 0.0);
  g_assert_cmpuint (metrics.max_diff, ==, 0);
}

static void
test_image_metrics_identical_flat (void)
{
  g_autofree guint8 *rgb = g_malloc (24 * 16 * 3);
  g_autoptr(QsImage) a = NULL;
  g_autoptr(QsImage) b = NULL;

  /* In flat areas the local variance is a difference of nearly equal
   * numbers, and rounding leaves it slightly negative for this left/right
   * split of 203 and 17. Clamping it at 0 as torchmetrics does would give
   * 0.99999999999999967 here, but identical images must give exactly 1. */
  for (guint i = 0; i < 24 * 16 * 3; i++)
    rgb[i] = (i / 3) % 24 < 12 ? 203 : 17;
  a = image_from (rgb, 24, 16);
  b = image_from (rgb, 24, 16);

  g_assert_cmpfloat (qs_image_ssim (a, b), ==, 1.0);
  g_assert_true (isinf (qs_image_psnr (a, b)));
}

static void
test_image_metrics_noise_reference (void)
{
  static const ExpectedMetrics expected = {
    "pattern 64x48 with noise up to 10",
    32.573856607922174, 0.9918778995269596,
    { 5.095377604166667, 5.205403645833333, 5.184244791666667 }, 5.161675347222222, 10,
  };
  g_autofree guint8 *base = make_pattern (64, 48);
  g_autofree guint8 *noisy = add_noise (base, 64, 48, 7, 10);
  g_autoptr(QsImage) a = image_from (base, 64, 48);
  g_autoptr(QsImage) b = image_from (noisy, 64, 48);

  assert_metrics (a, b, &expected);
}

static void
test_image_metrics_gradient_reference (void)
{
  /* A brightness shift of 5 levels, clipped at 255. */
  static const ExpectedMetrics expected = {
    "gradient 23x17 shifted by 5",
    34.3059193745915, 0.9990287525227569,
    { 4.782608695652174, 4.705882352941177, 4.987212276214834 }, 4.825234441602728, 5,
  };
  g_autofree guint8 *base = make_gradient (23, 17, 0);
  g_autofree guint8 *shifted = make_gradient (23, 17, 5);
  g_autoptr(QsImage) a = image_from (base, 23, 17);
  g_autoptr(QsImage) b = image_from (shifted, 23, 17);

  assert_metrics (a, b, &expected);
}

static void
test_image_metrics_random_reference (void)
{
  /* 11×11 is the smallest size: the valid region is a single window. */
  static const ExpectedMetrics expected = {
    "two unrelated 11x11 random images",
    8.241186951121666, 0.1528747354639807,
    { 78.52892561983471, 82.80165289256199, 80.47107438016529 }, 80.60055096418733, 232,
  };
  g_autofree guint8 *first = make_random (11, 11, 1);
  g_autofree guint8 *second = make_random (11, 11, 2);
  g_autoptr(QsImage) a = image_from (first, 11, 11);
  g_autoptr(QsImage) b = image_from (second, 11, 11);

  assert_metrics (a, b, &expected);
}

static void
test_image_metrics_strong_noise_reference (void)
{
  static const ExpectedMetrics expected = {
    "pattern 16x12 with noise up to 40",
    20.95740754420108, 0.8507378585657607,
    { 20.083333333333332, 19.942708333333332, 18.8125 }, 19.61284722222222, 40,
  };
  g_autofree guint8 *base = make_pattern (16, 12);
  g_autofree guint8 *noisy = add_noise (base, 16, 12, 3, 40);
  g_autoptr(QsImage) a = image_from (base, 16, 12);
  g_autoptr(QsImage) b = image_from (noisy, 16, 12);

  assert_metrics (a, b, &expected);
}

static void
test_image_metrics_symmetric (void)
{
  g_autofree guint8 *base = make_pattern (30, 20);
  g_autofree guint8 *noisy = add_noise (base, 30, 20, 11, 25);
  g_autoptr(QsImage) a = image_from (base, 30, 20);
  g_autoptr(QsImage) b = image_from (noisy, 30, 20);

  g_assert_cmpfloat (qs_image_psnr (a, b), ==, qs_image_psnr (b, a));
  g_assert_cmpfloat_with_epsilon (qs_image_ssim (a, b), qs_image_ssim (b, a), 1e-15);
  g_assert_cmpfloat (qs_image_ssim (a, b), <, 1.0);
}

static void
test_image_metrics_size_mismatch (void)
{
  g_autofree guint8 *big = make_pattern (32, 24);
  g_autofree guint8 *small = make_pattern (24, 32);
  g_autoptr(QsImage) a = image_from (big, 32, 24);
  g_autoptr(QsImage) b = image_from (small, 24, 32);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) heatmap_error = NULL;
  g_autofree char *dir = qs_test_make_tmp_dir ();
  g_autofree char *heatmap = g_build_filename (dir, "seed42_diff.png", NULL);
  QsImageMetrics metrics;

  a->path = g_strdup ("baseline/seed42.png");
  b->path = g_strdup ("quantized/seed42.png");

  g_assert_false (qs_image_metrics_compute (&metrics, a, b, &error));
  g_assert_error (error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_SIZE_MISMATCH);
  g_assert_nonnull (strstr (error->message, "baseline/seed42.png is 32×24"));
  g_assert_nonnull (strstr (error->message, "quantized/seed42.png is 24×32"));

  g_assert_false (qs_image_write_diff_heatmap (a, b, heatmap, &heatmap_error));
  g_assert_error (heatmap_error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_SIZE_MISMATCH);
  g_assert_false (g_file_test (heatmap, G_FILE_TEST_EXISTS));

  qs_test_remove_tree (dir);
}

static void
test_image_metrics_too_small (void)
{
  g_autofree guint8 *rgb = make_pattern (10, 40);
  g_autoptr(QsImage) a = image_from (rgb, 10, 40);
  g_autoptr(QsImage) b = image_from (rgb, 10, 40);
  g_autoptr(GError) error = NULL;
  QsImageMetrics metrics;

  g_assert_false (qs_image_metrics_compute (&metrics, a, b, &error));
  g_assert_error (error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_TOO_SMALL);
  g_assert_nonnull (strstr (error->message, "10×40"));
}

/* Decoding */

static void
save_pixbuf (const guint8 *data,
             gboolean      has_alpha,
             guint         width,
             guint         height,
             const char   *path,
             const char   *type)
{
  int n_channels = has_alpha ? 4 : 3;
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, has_alpha, 8,
                                                (int) width, (int) height);
  g_autoptr(GError) error = NULL;
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int rowstride = gdk_pixbuf_get_rowstride (pixbuf);

  for (guint y = 0; y < height; y++)
    memcpy (pixels + y * rowstride, data + (gsize) y * width * n_channels,
            (gsize) width * n_channels);

  if (g_strcmp0 (type, "jpeg") == 0)
    gdk_pixbuf_save (pixbuf, path, type, &error, "quality", "95", NULL);
  else
    gdk_pixbuf_save (pixbuf, path, type, &error, NULL);
  g_assert_no_error (error);
}

static void
test_image_load_png (void)
{
  g_autofree char *dir = qs_test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "pattern.png", NULL);
  g_autofree guint8 *rgb = make_pattern (37, 21);
  g_autoptr(QsImage) image = NULL;
  g_autoptr(GError) error = NULL;

  save_pixbuf (rgb, FALSE, 37, 21, path, "png");
  image = qs_image_load (path, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (image->path, ==, path);
  g_assert_cmpuint (image->width, ==, 37);
  g_assert_cmpuint (image->height, ==, 21);
  g_assert_cmpmem (image->rgb, 37 * 21 * 3, rgb, 37 * 21 * 3);

  qs_test_remove_tree (dir);
}

static void
test_image_load_rgba_drops_alpha (void)
{
  g_autofree char *dir = qs_test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "alpha.png", NULL);
  g_autofree guint8 *rgb = make_pattern (16, 16);
  g_autofree guint8 *rgba = g_malloc (16 * 16 * 4);
  g_autoptr(QsImage) image = NULL;
  g_autoptr(GError) error = NULL;

  /* Alpha runs over 0..255. The colour of every pixel, fully transparent
   * ones included, must come back unchanged, without compositing. */
  for (guint p = 0; p < 16 * 16; p++)
    {
      memcpy (rgba + 4 * p, rgb + 3 * p, 3);
      rgba[4 * p + 3] = (guint8) (p % 256);
    }
  save_pixbuf (rgba, TRUE, 16, 16, path, "png");

  image = qs_image_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (image->width, ==, 16);
  g_assert_cmpuint (image->height, ==, 16);
  g_assert_cmpmem (image->rgb, 16 * 16 * 3, rgb, 16 * 16 * 3);

  qs_test_remove_tree (dir);
}

static void
test_image_load_jpeg (void)
{
  g_autofree char *dir = qs_test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "gradient.jpg", NULL);
  g_autofree guint8 *rgb = make_gradient (48, 40, 0);
  g_autoptr(QsImage) original = image_from (rgb, 48, 40);
  g_autoptr(QsImage) decoded = NULL;
  g_autoptr(QsImage) again = NULL;
  g_autoptr(GError) error = NULL;
  double psnr;

  save_pixbuf (rgb, FALSE, 48, 40, path, "jpeg");
  decoded = qs_image_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (decoded->width, ==, 48);
  g_assert_cmpuint (decoded->height, ==, 40);

  /* JPEG is lossy, so the decoded gradient is close to the original but
   * not equal. At quality 95 a smooth gradient stays above 35 dB. */
  psnr = qs_image_psnr (original, decoded);
  g_assert_false (isinf (psnr));
  g_assert_cmpfloat (psnr, >, 35.0);
  g_assert_cmpfloat (qs_image_ssim (original, decoded), >, 0.95);

  /* Decoding is deterministic. */
  again = qs_image_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (isinf (qs_image_psnr (decoded, again)));

  qs_test_remove_tree (dir);
}

static void
test_image_load_errors (void)
{
  g_autofree char *dir = qs_test_make_tmp_dir ();
  g_autofree char *missing = g_build_filename (dir, "missing.png", NULL);
  g_autofree char *garbage = g_build_filename (dir, "garbage.png", NULL);
  g_autoptr(QsImage) image = NULL;
  g_autoptr(GError) missing_error = NULL;
  g_autoptr(GError) garbage_error = NULL;

  image = qs_image_load (missing, &missing_error);
  g_assert_null (image);
  g_assert_error (missing_error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_LOAD);
  g_assert_nonnull (strstr (missing_error->message, missing));

  qs_test_write_file (garbage, "this is not a PNG file\n");
  image = qs_image_load (garbage, &garbage_error);
  g_assert_null (image);
  g_assert_error (garbage_error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_LOAD);
  g_assert_nonnull (strstr (garbage_error->message, garbage));

  qs_test_remove_tree (dir);
}

/* Heatmap */

/* Compares "x,y: rrggbb" strings, so a failure names the pixel. */
static void
assert_pixel (const GdkPixbuf *pixbuf,
              guint            x,
              guint            y,
              guint8           r,
              guint8           g,
              guint8           b)
{
  const guint8 *p = gdk_pixbuf_read_pixels (pixbuf)
                    + y * gdk_pixbuf_get_rowstride (pixbuf)
                    + x * gdk_pixbuf_get_n_channels (pixbuf);
  g_autofree char *found = g_strdup_printf ("%u,%u: %02x%02x%02x", x, y, p[0], p[1], p[2]);
  g_autofree char *expected = g_strdup_printf ("%u,%u: %02x%02x%02x", x, y, r, g, b);

  g_assert_cmpstr (found, ==, expected);
}

static void
test_image_diff_heatmap (void)
{
  g_autofree char *dir = qs_test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "diff.png", NULL);
  g_autofree char *same_path = g_build_filename (dir, "same.png", NULL);
  g_autofree guint8 *base = make_pattern (20, 12);
  g_autofree guint8 *changed = g_memdup2 (base, 20 * 12 * 3);
  g_autoptr(QsImage) a = NULL;
  g_autoptr(QsImage) b = NULL;
  g_autoptr(GdkPixbuf) heatmap = NULL;
  g_autoptr(GdkPixbuf) same = NULL;
  g_autoptr(GError) error = NULL;

  /* Pixel (3, 2) differs by 40 in green, which is the largest difference.
   * Pixel (10, 5) differs by 20 in blue and 10 in red, so its largest
   * channel difference is half of that. */
  changed[(2 * 20 + 3) * 3 + 1] = base[(2 * 20 + 3) * 3 + 1] < 128
                                  ? base[(2 * 20 + 3) * 3 + 1] + 40
                                  : base[(2 * 20 + 3) * 3 + 1] - 40;
  changed[(5 * 20 + 10) * 3 + 2] = base[(5 * 20 + 10) * 3 + 2] < 128
                                   ? base[(5 * 20 + 10) * 3 + 2] + 20
                                   : base[(5 * 20 + 10) * 3 + 2] - 20;
  changed[(5 * 20 + 10) * 3] = base[(5 * 20 + 10) * 3] < 128
                               ? base[(5 * 20 + 10) * 3] + 10
                               : base[(5 * 20 + 10) * 3] - 10;
  a = image_from (base, 20, 12);
  b = image_from (changed, 20, 12);

  g_assert_true (qs_image_write_diff_heatmap (a, b, path, &error));
  g_assert_no_error (error);
  heatmap = gdk_pixbuf_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (heatmap), ==, 20);
  g_assert_cmpint (gdk_pixbuf_get_height (heatmap), ==, 12);

  /* The scale's ends are inferno's first and last colours, and half the
   * largest difference is its entry 128. */
  assert_pixel (heatmap, 0, 0, 0, 0, 4);
  assert_pixel (heatmap, 3, 2, 252, 255, 164);
  assert_pixel (heatmap, 10, 5, 188, 55, 84);
  assert_pixel (heatmap, 19, 11, 0, 0, 4);

  g_assert_true (qs_image_write_diff_heatmap (a, a, same_path, &error));
  g_assert_no_error (error);
  same = gdk_pixbuf_new_from_file (same_path, &error);
  g_assert_no_error (error);
  for (guint y = 0; y < 12; y++)
    for (guint x = 0; x < 20; x++)
      assert_pixel (same, x, y, 0, 0, 4);

  qs_test_remove_tree (dir);
}

/* Pairing */

static void
write_png (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree guint8 *rgb = make_pattern (12, 12);

  save_pixbuf (rgb, FALSE, 12, 12, path, "png");
}

static void
assert_names (GPtrArray          *names,
              const char * const *expected)
{
  g_assert_cmpuint (names->len, ==, g_strv_length ((char **) expected));
  for (guint i = 0; i < names->len; i++)
    g_assert_cmpstr (g_ptr_array_index (names, i), ==, expected[i]);
}

static void
test_image_pairing_folders (void)
{
  static const char * const baseline_only[] = { "c.png", "only_base.jpg", NULL };
  static const char * const quantized_only[] = { "C.png", "only_quant.PNG", NULL };
  g_autofree char *dir = qs_test_make_tmp_dir ();
  g_autofree char *base = g_build_filename (dir, "baseline", NULL);
  g_autofree char *quant = g_build_filename (dir, "quantized", NULL);
  g_autofree char *notes = g_build_filename (base, "notes.txt", NULL);
  g_autofree char *subfolder = g_build_filename (quant, "nested.png", NULL);
  g_autoptr(QsImagePairing) pairing = NULL;
  g_autoptr(GError) error = NULL;
  const QsImagePair *pair;

  g_assert_cmpint (g_mkdir_with_parents (base, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (subfolder, 0755), ==, 0);
  for (guint i = 0; i < 2; i++)
    {
      const char *folder = i == 0 ? base : quant;

      write_png (folder, "b.png");
      write_png (folder, "a.png");
      write_png (folder, ".hidden.png");
    }
  write_png (base, "c.png");
  write_png (quant, "C.png");
  write_png (base, "only_base.jpg");
  write_png (quant, "only_quant.PNG");
  qs_test_write_file (notes, "not an image\n");

  pairing = qs_image_pairing_new (base, quant, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (pairing->pairs->len, ==, 2);
  pair = g_ptr_array_index (pairing->pairs, 0);
  g_assert_cmpstr (pair->name, ==, "a.png");
  g_assert_true (g_str_has_prefix (pair->baseline_path, base));
  g_assert_true (g_str_has_suffix (pair->baseline_path, "a.png"));
  g_assert_true (g_str_has_prefix (pair->quantized_path, quant));
  pair = g_ptr_array_index (pairing->pairs, 1);
  g_assert_cmpstr (pair->name, ==, "b.png");

  /* Names match case-sensitively, so c.png and C.png are both unmatched.
   * notes.txt, the hidden file and the subfolder do not count as images. */
  assert_names (pairing->baseline_only, baseline_only);
  assert_names (pairing->quantized_only, quantized_only);

  qs_test_remove_tree (dir);
}

static void
test_image_pairing_files (void)
{
  g_autofree char *dir = qs_test_make_tmp_dir ();
  g_autofree char *first = g_build_filename (dir, "original.png", NULL);
  g_autofree char *second = g_build_filename (dir, "uint4.png", NULL);
  g_autoptr(QsImagePairing) pairing = NULL;
  g_autoptr(GError) error = NULL;
  const QsImagePair *pair;

  write_png (dir, "original.png");
  write_png (dir, "uint4.png");

  pairing = qs_image_pairing_new (first, second, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pairing->pairs->len, ==, 1);
  pair = g_ptr_array_index (pairing->pairs, 0);
  g_assert_cmpstr (pair->name, ==, "original.png");
  g_assert_cmpstr (pair->baseline_path, ==, first);
  g_assert_cmpstr (pair->quantized_path, ==, second);
  g_assert_cmpuint (pairing->baseline_only->len, ==, 0);
  g_assert_cmpuint (pairing->quantized_only->len, ==, 0);

  qs_test_remove_tree (dir);
}

static void
test_image_pairing_errors (void)
{
  g_autofree char *dir = qs_test_make_tmp_dir ();
  g_autofree char *base = g_build_filename (dir, "baseline", NULL);
  g_autofree char *quant = g_build_filename (dir, "quantized", NULL);
  g_autofree char *file = g_build_filename (base, "a.png", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);
  g_autoptr(QsImagePairing) pairing = NULL;
  g_autoptr(GError) mixed_error = NULL;
  g_autoptr(GError) missing_error = NULL;
  g_autoptr(GError) disjoint_error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (base, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (quant, 0755), ==, 0);
  write_png (base, "a.png");
  write_png (quant, "b.png");

  pairing = qs_image_pairing_new (file, quant, &mixed_error);
  g_assert_null (pairing);
  g_assert_error (mixed_error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_INPUT);
  g_assert_nonnull (strstr (mixed_error->message, quant));

  pairing = qs_image_pairing_new (base, missing, &missing_error);
  g_assert_null (pairing);
  g_assert_error (missing_error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (missing_error->message, missing));

  pairing = qs_image_pairing_new (base, quant, &disjoint_error);
  g_assert_null (pairing);
  g_assert_error (disjoint_error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_NO_PAIRS);

  qs_test_remove_tree (dir);
}

static void
test_image_is_image_name (void)
{
  g_assert_true (qs_image_is_image_name ("seed42.png"));
  g_assert_true (qs_image_is_image_name ("seed42.PNG"));
  g_assert_true (qs_image_is_image_name ("a.jpg"));
  g_assert_true (qs_image_is_image_name ("a.JPEG"));
  g_assert_true (qs_image_is_image_name ("a.webp"));
  g_assert_false (qs_image_is_image_name ("a.png.txt"));
  g_assert_false (qs_image_is_image_name ("a.gif"));
  g_assert_false (qs_image_is_image_name ("png"));
  g_assert_false (qs_image_is_image_name (".png"));
}

/* CSV */

static void
test_image_metrics_csv (void)
{
  static const char * const names[] = { "a.png", "prompt, with comma.png" };
  static const char expected[] =
    "file,psnr,ssim,mae,max_diff\n"
    "a.png,inf,1.0,0.0,0\n"
    "\"prompt, with comma.png\",32.573856607922174,0.9918778995269596,5.161675347222222,10\n";
  QsImageMetrics metrics[2] = {
    { INFINITY, 1.0, { 0, 0, 0 }, 0.0, 0 },
    { 32.573856607922174, 0.9918778995269596, { 5.1, 5.2, 5.18 }, 5.161675347222222, 10 },
  };
  g_autofree char *dir = qs_test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "image_comparison.csv", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (qs_image_metrics_write_csv (path, names, metrics, 2, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, expected);

  qs_test_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qs/engine/image-metrics/identical", test_image_metrics_identical);
  g_test_add_func ("/qs/engine/image-metrics/identical-flat", test_image_metrics_identical_flat);
  g_test_add_func ("/qs/engine/image-metrics/noise-reference", test_image_metrics_noise_reference);
  g_test_add_func ("/qs/engine/image-metrics/gradient-reference",
                   test_image_metrics_gradient_reference);
  g_test_add_func ("/qs/engine/image-metrics/random-reference",
                   test_image_metrics_random_reference);
  g_test_add_func ("/qs/engine/image-metrics/strong-noise-reference",
                   test_image_metrics_strong_noise_reference);
  g_test_add_func ("/qs/engine/image-metrics/symmetric", test_image_metrics_symmetric);
  g_test_add_func ("/qs/engine/image-metrics/size-mismatch", test_image_metrics_size_mismatch);
  g_test_add_func ("/qs/engine/image-metrics/too-small", test_image_metrics_too_small);
  g_test_add_func ("/qs/engine/image-metrics/load-png", test_image_load_png);
  g_test_add_func ("/qs/engine/image-metrics/load-rgba-drops-alpha",
                   test_image_load_rgba_drops_alpha);
  g_test_add_func ("/qs/engine/image-metrics/load-jpeg", test_image_load_jpeg);
  g_test_add_func ("/qs/engine/image-metrics/load-errors", test_image_load_errors);
  g_test_add_func ("/qs/engine/image-metrics/diff-heatmap", test_image_diff_heatmap);
  g_test_add_func ("/qs/engine/image-metrics/pairing-folders", test_image_pairing_folders);
  g_test_add_func ("/qs/engine/image-metrics/pairing-files", test_image_pairing_files);
  g_test_add_func ("/qs/engine/image-metrics/pairing-errors", test_image_pairing_errors);
  g_test_add_func ("/qs/engine/image-metrics/image-names", test_image_is_image_name);
  g_test_add_func ("/qs/engine/image-metrics/csv", test_image_metrics_csv);

  return g_test_run ();
}

/* The script that computed the expected values (NumPy 1.24, PyTorch 1.13):

import numpy as np
import torch
import torch.nn.functional as F

def lcg(seed):
    while True:
        seed = (seed * 1103515245 + 12345) & 0x7fffffff
        yield seed >> 16

def image(w, h, value):
    return np.array([[[value(x, y, c) for c in range(3)] for x in range(w)]
                     for y in range(h)], np.int64)

def pattern(w, h):
    return image(w, h, lambda x, y, c: (3*x + 5*y + 40*c + ((x*y) % 31) * 4) % 256)

def noise(img, seed, amp):
    r = lcg(seed)
    return np.array([min(255, max(0, v + next(r) % (2*amp + 1) - amp))
                     for v in img.ravel()]).reshape(img.shape)

def random_image(w, h, seed):
    r = lcg(seed)
    return np.array([next(r) % 256 for _ in range(w*h*3)]).reshape(h, w, 3)

def gradient(w, h, o):
    return image(w, h, lambda x, y, c: min(255, [x*255 // (w-1), y*255 // (h-1),
                                                 (x+y)*255 // (w+h-2)][c] + o))

def kernel():
    g = np.exp(-(np.arange(-5, 6) / 1.5) ** 2 / 2)
    g /= g.sum()
    return np.outer(g, g)

def ssim(a, b):
    k, s = kernel(), []
    for c in range(3):
        x = np.lib.stride_tricks.sliding_window_view(a[:, :, c] / 255.0, (11, 11))
        y = np.lib.stride_tricks.sliding_window_view(b[:, :, c] / 255.0, (11, 11))
        f = lambda v: np.einsum('ijkl,kl->ij', v, k)
        ux, uy = f(x), f(y)
        vx, vy, vxy = f(x*x) - ux*ux, f(y*y) - uy*uy, f(x*y) - ux*uy
        s.append((((2*ux*uy + 1e-4) * (2*vxy + 9e-4))
                  / ((ux*ux + uy*uy + 1e-4) * (vx + vy + 9e-4))).mean())
    return float(np.mean(s))

def ssim_torchmetrics_1_4(a, b):
    t = lambda v: F.pad(torch.from_numpy(v.transpose(2, 0, 1)[None] / 255.0),
                        (5, 5, 5, 5), mode='reflect')
    p, q = t(a), t(b)
    k = torch.from_numpy(kernel()).expand(3, 1, 11, 11)
    o = F.conv2d(torch.cat((p, q, p*p, q*q, p*q)), k, groups=3).split(1)
    vp = torch.clamp(o[2] - o[0]**2, min=0.0)
    vq = torch.clamp(o[3] - o[1]**2, min=0.0)
    s = (((2*o[0]*o[1] + 1e-4) * (2*(o[4] - o[0]*o[1]) + 9e-4))
         / ((o[0]**2 + o[1]**2 + 1e-4) * (vp + vq + 9e-4)))
    return float(s[..., 5:-5, 5:-5].mean())

def report(name, a, b):
    d = np.abs(a - b)
    mse = np.mean(d.astype(np.float64) ** 2)
    mae = d.reshape(-1, 3).mean(axis=0)
    assert abs(ssim(a, b) - ssim_torchmetrics_1_4(a, b)) < 1e-12
    print(name, repr(float(10 * np.log10(255.0**2 / mse))), repr(ssim(a, b)),
          [repr(float(m)) for m in mae], repr(float(mae.mean())), int(d.max()))

base = pattern(64, 48)
report('noise', base, noise(base, 7, 10))
report('gradient', gradient(23, 17, 0), gradient(23, 17, 5))
report('random', random_image(11, 11, 1), random_image(11, 11, 2))
small = pattern(16, 12)
report('strong-noise', small, noise(small, 3, 40))
*/
