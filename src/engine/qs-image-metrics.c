/* qs-image-metrics.c: PSNR, SSIM and pixel differences between two renders
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <math.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "qs-analysis-io.h"
#include "qs-image-metrics.h"

#define SSIM_RADIUS (QS_IMAGE_SSIM_WINDOW / 2)
#define SSIM_SIGMA  1.5
#define SSIM_C1     (0.01 * 0.01)
#define SSIM_C2     (0.03 * 0.03)

/* The five local statistics that SSIM filters: x, y, x², y² and x·y. */
#define N_MOMENTS 5

G_DEFINE_QUARK (qs-image-error-quark, qs_image_error)

/* Loading */

static void
set_load_error (GError     **error,
                const char  *path,
                GError      *pixbuf_error)
{
  g_autofree char *display = g_filename_display_name (path);
  const char *reason = pixbuf_error != NULL ? pixbuf_error->message : _("unknown error");

  if (g_error_matches (pixbuf_error, GDK_PIXBUF_ERROR, GDK_PIXBUF_ERROR_UNKNOWN_TYPE)
      && g_str_has_suffix (path, ".webp"))
    {
      g_set_error (error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_LOAD,
                   _("Failed to read image “%s”: gdk-pixbuf has no WebP loader; install "
                     "one (the Debian package is webp-pixbuf-loader) or convert the "
                     "images to PNG"), display);
      return;
    }

  /* gdk-pixbuf names the file in some messages ("Failed to open file …")
   * and not in others ("Fatal error in PNG image file: …"). */
  if (strstr (reason, display) != NULL)
    g_set_error_literal (error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_LOAD, reason);
  else
    g_set_error (error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_LOAD,
                 _("Failed to read image “%s”: %s"), display, reason);
}

QsImage *
qs_image_load (const char  *path,
               GError     **error)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) pixbuf_error = NULL;
  QsImage *image;
  const guint8 *pixels;
  int n_channels;
  int rowstride;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  pixbuf = gdk_pixbuf_new_from_file (path, &pixbuf_error);
  if (pixbuf == NULL)
    {
      set_load_error (error, path, pixbuf_error);
      return NULL;
    }

  n_channels = gdk_pixbuf_get_n_channels (pixbuf);
  if (gdk_pixbuf_get_colorspace (pixbuf) != GDK_COLORSPACE_RGB
      || gdk_pixbuf_get_bits_per_sample (pixbuf) != 8
      || (n_channels != 3 && n_channels != 4))
    {
      g_autofree char *display = g_filename_display_name (path);

      g_set_error (error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_LOAD,
                   _("Failed to read image “%s”: gdk-pixbuf decoded it to %d channels of "
                     "%d bits, not 8-bit RGB or RGBA"), display, n_channels,
                   gdk_pixbuf_get_bits_per_sample (pixbuf));
      return NULL;
    }

  image = g_new0 (QsImage, 1);
  image->path = g_strdup (path);
  image->width = (guint) gdk_pixbuf_get_width (pixbuf);
  image->height = (guint) gdk_pixbuf_get_height (pixbuf);
  image->rgb = g_malloc ((gsize) image->width * image->height * 3);

  /* gdk-pixbuf keeps RGBA unpremultiplied, so dropping the fourth byte
   * leaves the colour exactly as stored. Pillow's RGBA to RGB conversion
   * (rgba2rgb in libImaging/Convert.c) does the same. */
  pixels = gdk_pixbuf_read_pixels (pixbuf);
  rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  for (guint y = 0; y < image->height; y++)
    {
      const guint8 *src = pixels + (gsize) y * rowstride;
      guint8 *dst = image->rgb + (gsize) y * image->width * 3;

      if (n_channels == 3)
        {
          memcpy (dst, src, (gsize) image->width * 3);
          continue;
        }

      for (guint x = 0; x < image->width; x++)
        {
          dst[3 * x] = src[4 * x];
          dst[3 * x + 1] = src[4 * x + 1];
          dst[3 * x + 2] = src[4 * x + 2];
        }
    }

  return image;
}

QsImage *
qs_image_new_from_rgb (const guint8 *rgb,
                       guint         width,
                       guint         height,
                       gsize         rowstride)
{
  QsImage *image;

  g_return_val_if_fail (rgb != NULL, NULL);
  g_return_val_if_fail (width > 0 && height > 0, NULL);
  g_return_val_if_fail (rowstride >= (gsize) width * 3, NULL);

  image = g_new0 (QsImage, 1);
  image->width = width;
  image->height = height;
  image->rgb = g_malloc ((gsize) width * height * 3);
  for (guint y = 0; y < height; y++)
    memcpy (image->rgb + (gsize) y * width * 3, rgb + y * rowstride, (gsize) width * 3);

  return image;
}

void
qs_image_free (QsImage *image)
{
  if (image == NULL)
    return;

  g_free (image->path);
  g_free (image->rgb);
  g_free (image);
}

/* Metrics */

static const char *
image_label (const QsImage *image)
{
  return image->path != NULL ? image->path : "(in-memory image)";
}

static gboolean
check_same_size (const QsImage  *baseline,
                 const QsImage  *quantized,
                 GError        **error)
{
  if (baseline->width == quantized->width && baseline->height == quantized->height)
    return TRUE;

  g_set_error (error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_SIZE_MISMATCH,
               _("Image sizes differ: %s is %u×%u pixels but %s is %u×%u; render both "
                 "with the same width and height"),
               image_label (baseline), baseline->width, baseline->height,
               image_label (quantized), quantized->width, quantized->height);

  return FALSE;
}

double
qs_image_psnr (const QsImage *baseline,
               const QsImage *quantized)
{
  gsize n;
  guint64 sum_sq = 0;
  double mse;

  g_return_val_if_fail (baseline != NULL && quantized != NULL, NAN);
  g_return_val_if_fail (baseline->width == quantized->width, NAN);
  g_return_val_if_fail (baseline->height == quantized->height, NAN);

  /* Integer sums are exact, so the MSE is the same double that NumPy's
   * float64 mean of the squared differences gives. */
  n = (gsize) baseline->width * baseline->height * 3;
  for (gsize i = 0; i < n; i++)
    {
      int d = (int) baseline->rgb[i] - (int) quantized->rgb[i];

      sum_sq += (guint64) (d * d);
    }

  if (sum_sq == 0)
    return INFINITY;

  mse = (double) sum_sq / (double) n;

  return 10.0 * log10 (255.0 * 255.0 / mse);
}

static void
gaussian_window (double window[QS_IMAGE_SSIM_WINDOW])
{
  double sum = 0;

  for (int i = 0; i < QS_IMAGE_SSIM_WINDOW; i++)
    {
      double d = (i - SSIM_RADIUS) / SSIM_SIGMA;

      window[i] = exp (-0.5 * d * d);
      sum += window[i];
    }
  for (int i = 0; i < QS_IMAGE_SSIM_WINDOW; i++)
    window[i] /= sum;
}

/* Filters one row horizontally over the valid columns. @out receives the
 * N_MOMENTS sums one after another, each @valid_width long. */
static void
filter_row (const guint8 *a,
            const guint8 *b,
            guint         valid_width,
            const double *window,
            const double *scale,
            double       *out)
{
  for (guint j = 0; j < valid_width; j++)
    {
      double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;

      for (int k = 0; k < QS_IMAGE_SSIM_WINDOW; k++)
        {
          double x = scale[a[3 * (j + k)]];
          double y = scale[b[3 * (j + k)]];
          double w = window[k];

          sx += w * x;
          sy += w * y;
          sxx += w * x * x;
          syy += w * y * y;
          sxy += w * x * y;
        }

      out[j] = sx;
      out[valid_width + j] = sy;
      out[2 * valid_width + j] = sxx;
      out[3 * valid_width + j] = syy;
      out[4 * valid_width + j] = sxy;
    }
}

static double
ssim_channel (const QsImage *baseline,
              const QsImage *quantized,
              guint          channel,
              const double  *window)
{
  guint width = baseline->width;
  guint height = baseline->height;
  guint valid_width = width - 2 * SSIM_RADIUS;
  guint valid_height = height - 2 * SSIM_RADIUS;
  gsize row_size = (gsize) N_MOMENTS * valid_width;
  g_autofree double *rows = g_new (double, row_size * height);
  g_autofree double *row_sums = g_new0 (double, valid_height);
  double scale[256];
  double total = 0;

  for (int v = 0; v < 256; v++)
    scale[v] = v / 255.0;

  /* The Gaussian window is separable: filter every row horizontally, then
   * combine 11 filtered rows for each output row. */
#pragma omp parallel for schedule(static)
  for (guint y = 0; y < height; y++)
    {
      gsize offset = (gsize) y * width * 3 + channel;

      filter_row (baseline->rgb + offset, quantized->rgb + offset, valid_width,
                  window, scale, rows + y * row_size);
    }

#pragma omp parallel for schedule(static)
  for (guint i = 0; i < valid_height; i++)
    {
      g_autofree double *moments = g_new0 (double, row_size);
      const double *mu_x = moments;
      const double *mu_y = moments + valid_width;
      const double *mu_xx = moments + 2 * valid_width;
      const double *mu_yy = moments + 3 * valid_width;
      const double *mu_xy = moments + 4 * valid_width;
      double sum = 0;

      for (int k = 0; k < QS_IMAGE_SSIM_WINDOW; k++)
        {
          const double *row = rows + (gsize) (i + k) * row_size;

          for (gsize j = 0; j < row_size; j++)
            moments[j] += window[k] * row[j];
        }

      for (guint j = 0; j < valid_width; j++)
        {
          double ux = mu_x[j];
          double uy = mu_y[j];
          double vx = mu_xx[j] - ux * ux;
          double vy = mu_yy[j] - uy * uy;
          double vxy = mu_xy[j] - ux * uy;

          sum += ((2 * ux * uy + SSIM_C1) * (2 * vxy + SSIM_C2))
                 / ((ux * ux + uy * uy + SSIM_C1) * (vx + vy + SSIM_C2));
        }
      row_sums[i] = sum;
    }

  /* Add the row sums in order, so the result does not depend on the
   * number of threads. */
  for (guint i = 0; i < valid_height; i++)
    total += row_sums[i];

  return total / ((double) valid_width * valid_height);
}

double
qs_image_ssim (const QsImage *baseline,
               const QsImage *quantized)
{
  double window[QS_IMAGE_SSIM_WINDOW];
  double sum = 0;

  g_return_val_if_fail (baseline != NULL && quantized != NULL, NAN);
  g_return_val_if_fail (baseline->width == quantized->width, NAN);
  g_return_val_if_fail (baseline->height == quantized->height, NAN);
  g_return_val_if_fail (baseline->width >= QS_IMAGE_SSIM_WINDOW, NAN);
  g_return_val_if_fail (baseline->height >= QS_IMAGE_SSIM_WINDOW, NAN);

  gaussian_window (window);
  for (guint c = 0; c < 3; c++)
    sum += ssim_channel (baseline, quantized, c, window);

  return sum / 3;
}

gboolean
qs_image_metrics_compute (QsImageMetrics  *metrics,
                          const QsImage   *baseline,
                          const QsImage   *quantized,
                          GError         **error)
{
  guint64 sum_abs[3] = { 0, 0, 0 };
  guint max_diff = 0;
  gsize n_pixels;

  g_return_val_if_fail (metrics != NULL, FALSE);
  g_return_val_if_fail (baseline != NULL && quantized != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_same_size (baseline, quantized, error))
    return FALSE;

  if (baseline->width < QS_IMAGE_SSIM_WINDOW || baseline->height < QS_IMAGE_SSIM_WINDOW)
    {
      g_set_error (error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_TOO_SMALL,
                   _("Images %s and %s are %u×%u pixels; SSIM needs at least %d×%d"),
                   image_label (baseline), image_label (quantized), baseline->width,
                   baseline->height, QS_IMAGE_SSIM_WINDOW, QS_IMAGE_SSIM_WINDOW);
      return FALSE;
    }

  n_pixels = (gsize) baseline->width * baseline->height;
  for (gsize p = 0; p < n_pixels; p++)
    {
      for (guint c = 0; c < 3; c++)
        {
          guint d = (guint) ABS ((int) baseline->rgb[3 * p + c] - (int) quantized->rgb[3 * p + c]);

          sum_abs[c] += d;
          max_diff = MAX (max_diff, d);
        }
    }

  for (guint c = 0; c < 3; c++)
    metrics->mae_channel[c] = (double) sum_abs[c] / (double) n_pixels;
  metrics->mae = (metrics->mae_channel[0] + metrics->mae_channel[1] + metrics->mae_channel[2]) / 3;
  metrics->max_diff = max_diff;
  metrics->psnr = qs_image_psnr (baseline, quantized);
  metrics->ssim = qs_image_ssim (baseline, quantized);

  return TRUE;
}

/* Heatmap */

/* Entries 0, 64, 128, 192 and 255 of matplotlib's 256-entry "inferno"
 * colour map, rounded to 8 bits. */
static const guint8 heat_anchors[5][3] = {
  { 0, 0, 4 },
  { 87, 16, 110 },
  { 188, 55, 84 },
  { 249, 142, 9 },
  { 252, 255, 164 },
};

static void
heat_colour (double  t,
             guint8 *rgb)
{
  double position = CLAMP (t, 0.0, 1.0) * (G_N_ELEMENTS (heat_anchors) - 1);
  guint index = MIN ((guint) position, G_N_ELEMENTS (heat_anchors) - 2);
  double f = position - index;

  for (guint c = 0; c < 3; c++)
    {
      double low = heat_anchors[index][c];
      double high = heat_anchors[index + 1][c];

      rgb[c] = (guint8) lround (low + f * (high - low));
    }
}

static guint
pixel_max_diff (const guint8 *a,
                const guint8 *b)
{
  guint d = 0;

  for (guint c = 0; c < 3; c++)
    d = MAX (d, (guint) ABS ((int) a[c] - (int) b[c]));

  return d;
}

gboolean
qs_image_write_diff_heatmap (const QsImage  *baseline,
                             const QsImage  *quantized,
                             const char     *path,
                             GError        **error)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) save_error = NULL;
  guint8 colours[256][3];
  guint8 *pixels;
  gsize n_pixels;
  guint max_diff = 0;
  int rowstride;

  g_return_val_if_fail (baseline != NULL && quantized != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_same_size (baseline, quantized, error))
    return FALSE;

  n_pixels = (gsize) baseline->width * baseline->height;
  for (gsize p = 0; p < n_pixels; p++)
    max_diff = MAX (max_diff, pixel_max_diff (baseline->rgb + 3 * p, quantized->rgb + 3 * p));

  for (guint d = 0; d < 256; d++)
    heat_colour (max_diff > 0 ? (double) d / max_diff : 0.0, colours[d]);

  pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, (int) baseline->width,
                           (int) baseline->height);
  if (pixbuf == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
                   _("Failed to allocate a %u×%u heatmap for %s"), baseline->width,
                   baseline->height, path);
      return FALSE;
    }

  pixels = gdk_pixbuf_get_pixels (pixbuf);
  rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  for (guint y = 0; y < baseline->height; y++)
    {
      for (guint x = 0; x < baseline->width; x++)
        {
          gsize p = (gsize) y * baseline->width + x;
          guint d = pixel_max_diff (baseline->rgb + 3 * p, quantized->rgb + 3 * p);

          memcpy (pixels + (gsize) y * rowstride + 3 * x, colours[d], 3);
        }
    }

  if (!gdk_pixbuf_save (pixbuf, path, "png", &save_error, NULL))
    {
      g_autofree char *display = g_filename_display_name (path);

      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                   _("Failed to write the heatmap %s: %s"), display, save_error->message);
      return FALSE;
    }

  return TRUE;
}

/* Pairing */

gboolean
qs_image_is_image_name (const char *name)
{
  static const char * const extensions[] = { ".png", ".jpg", ".jpeg", ".webp" };
  g_autofree char *lower = NULL;

  g_return_val_if_fail (name != NULL, FALSE);

  lower = g_ascii_strdown (name, -1);
  for (guint i = 0; i < G_N_ELEMENTS (extensions); i++)
    {
      /* A name that is only the extension (".png") is a hidden file. */
      if (g_str_has_suffix (lower, extensions[i]) && strlen (lower) > strlen (extensions[i]))
        return TRUE;
    }

  return FALSE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static GPtrArray *
list_images (const char  *folder,
             GError     **error)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  dir = g_dir_open (folder, 0, error);
  if (dir == NULL)
    return NULL;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;

      if (name[0] == '.' || !qs_image_is_image_name (name))
        continue;

      path = g_build_filename (folder, name, NULL);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;

      g_ptr_array_add (names, g_strdup (name));
    }

  g_ptr_array_sort (names, compare_names);

  return g_steal_pointer (&names);
}

static QsImagePair *
image_pair_new (const char *name,
                const char *baseline_path,
                const char *quantized_path)
{
  QsImagePair *pair = g_new0 (QsImagePair, 1);

  pair->name = g_strdup (name);
  pair->baseline_path = g_strdup (baseline_path);
  pair->quantized_path = g_strdup (quantized_path);

  return pair;
}

static void
image_pair_free (QsImagePair *pair)
{
  g_free (pair->name);
  g_free (pair->baseline_path);
  g_free (pair->quantized_path);
  g_free (pair);
}

static QsImagePairing *
image_pairing_new_empty (void)
{
  QsImagePairing *pairing = g_new0 (QsImagePairing, 1);

  pairing->pairs = g_ptr_array_new_with_free_func ((GDestroyNotify) image_pair_free);
  pairing->baseline_only = g_ptr_array_new_with_free_func (g_free);
  pairing->quantized_only = g_ptr_array_new_with_free_func (g_free);

  return pairing;
}

static gboolean
pair_folders (QsImagePairing  *pairing,
              const char      *baseline,
              const char      *quantized,
              GError         **error)
{
  g_autoptr(GPtrArray) baseline_names = NULL;
  g_autoptr(GPtrArray) quantized_names = NULL;
  g_autoptr(GHashTable) quantized_set = NULL;

  baseline_names = list_images (baseline, error);
  if (baseline_names == NULL)
    return FALSE;
  quantized_names = list_images (quantized, error);
  if (quantized_names == NULL)
    return FALSE;

  quantized_set = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < quantized_names->len; i++)
    g_hash_table_add (quantized_set, g_ptr_array_index (quantized_names, i));

  for (guint i = 0; i < baseline_names->len; i++)
    {
      const char *name = g_ptr_array_index (baseline_names, i);
      g_autofree char *baseline_path = NULL;
      g_autofree char *quantized_path = NULL;

      if (!g_hash_table_remove (quantized_set, name))
        {
          g_ptr_array_add (pairing->baseline_only, g_strdup (name));
          continue;
        }

      baseline_path = g_build_filename (baseline, name, NULL);
      quantized_path = g_build_filename (quantized, name, NULL);
      g_ptr_array_add (pairing->pairs, image_pair_new (name, baseline_path, quantized_path));
    }

  /* The names left in the set have no partner. Walking the sorted list
   * keeps them in order. */
  for (guint i = 0; i < quantized_names->len; i++)
    {
      const char *name = g_ptr_array_index (quantized_names, i);

      if (g_hash_table_contains (quantized_set, name))
        g_ptr_array_add (pairing->quantized_only, g_strdup (name));
    }

  if (pairing->pairs->len == 0)
    {
      g_set_error (error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_NO_PAIRS,
                   _("No image file name is in both %s (%u images) and %s (%u images); "
                     "images are matched by identical file names"),
                   baseline, baseline_names->len, quantized, quantized_names->len);
      return FALSE;
    }

  return TRUE;
}

QsImagePairing *
qs_image_pairing_new (const char  *baseline,
                      const char  *quantized,
                      GError     **error)
{
  g_autoptr(QsImagePairing) pairing = NULL;
  const char *paths[2] = { baseline, quantized };
  gboolean baseline_is_dir;
  gboolean quantized_is_dir;

  g_return_val_if_fail (baseline != NULL && quantized != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      if (!g_file_test (paths[i], G_FILE_TEST_EXISTS))
        {
          g_set_error (error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_NOT_FOUND,
                       _("%s not found: give an image file or a folder of images"), paths[i]);
          return NULL;
        }
    }

  baseline_is_dir = g_file_test (baseline, G_FILE_TEST_IS_DIR);
  quantized_is_dir = g_file_test (quantized, G_FILE_TEST_IS_DIR);
  if (baseline_is_dir != quantized_is_dir)
    {
      g_set_error (error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_INPUT,
                   _("%s is a folder but %s is not: give two image files or two folders"),
                   baseline_is_dir ? baseline : quantized,
                   baseline_is_dir ? quantized : baseline);
      return NULL;
    }

  pairing = image_pairing_new_empty ();

  if (!baseline_is_dir)
    {
      g_autofree char *name = g_path_get_basename (baseline);

      g_ptr_array_add (pairing->pairs, image_pair_new (name, baseline, quantized));
      return g_steal_pointer (&pairing);
    }

  if (!pair_folders (pairing, baseline, quantized, error))
    return NULL;

  return g_steal_pointer (&pairing);
}

void
qs_image_pairing_free (QsImagePairing *pairing)
{
  if (pairing == NULL)
    return;

  g_ptr_array_unref (pairing->pairs);
  g_ptr_array_unref (pairing->baseline_only);
  g_ptr_array_unref (pairing->quantized_only);
  g_free (pairing);
}

/* CSV */

static void
append_csv_name (GString    *out,
                 const char *value)
{
  /* Quote as Python's csv module does by default (QUOTE_MINIMAL). */
  if (strpbrk (value, ",\"\r\n") == NULL)
    {
      g_string_append (out, value);
      return;
    }

  g_string_append_c (out, '"');
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
append_csv_double (GString *out,
                   double   value)
{
  g_autofree char *text = qs_format_python_float (value);

  g_string_append_c (out, ',');
  g_string_append (out, text);
}

gboolean
qs_image_metrics_write_csv (const char            *path,
                            const char * const    *names,
                            const QsImageMetrics  *metrics,
                            guint                  n,
                            GError               **error)
{
  g_autoptr(GString) out = g_string_new ("file,psnr,ssim,mae,max_diff\n");

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (n == 0 || (names != NULL && metrics != NULL), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint i = 0; i < n; i++)
    {
      append_csv_name (out, names[i]);
      append_csv_double (out, metrics[i].psnr);
      append_csv_double (out, metrics[i].ssim);
      append_csv_double (out, metrics[i].mae);
      g_string_append_printf (out, ",%u\n", metrics[i].max_diff);
    }

  return g_file_set_contents (path, out->str, (gssize) out->len, error);
}
