/* qs-image-metrics.h: PSNR, SSIM and pixel differences between two renders
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define QS_IMAGE_ERROR (qs_image_error_quark ())

/**
 * QsImageError:
 * @QS_IMAGE_ERROR_LOAD: a file cannot be read or decoded
 * @QS_IMAGE_ERROR_SIZE_MISMATCH: the two images of a pair differ in size
 * @QS_IMAGE_ERROR_TOO_SMALL: an image is narrower or shorter than the
 *   11-pixel SSIM window
 * @QS_IMAGE_ERROR_NOT_FOUND: an input path does not exist
 * @QS_IMAGE_ERROR_INPUT: one input is a folder and the other is not
 * @QS_IMAGE_ERROR_NO_PAIRS: two folders have no image file name in common
 */
typedef enum
{
  QS_IMAGE_ERROR_LOAD,
  QS_IMAGE_ERROR_SIZE_MISMATCH,
  QS_IMAGE_ERROR_TOO_SMALL,
  QS_IMAGE_ERROR_NOT_FOUND,
  QS_IMAGE_ERROR_INPUT,
  QS_IMAGE_ERROR_NO_PAIRS,
} QsImageError;

/* The side of the Gaussian window that SSIM slides over the image. */
#define QS_IMAGE_SSIM_WINDOW 11

/**
 * QsImage:
 * @path: (nullable): the file the image was read from
 * @width: the width in pixels
 * @height: the height in pixels
 * @rgb: 8-bit R, G, B samples, row after row with no padding
 *   (@width × 3 bytes per row)
 *
 * A decoded image in 8-bit RGB.
 */
typedef struct
{
  char   *path;
  guint   width;
  guint   height;
  guint8 *rgb;
} QsImage;

/**
 * QsImageMetrics:
 * @psnr: 10·log10(255² / MSE) in dB, with the MSE over every sample of
 *   the 8-bit RGB images in double; +inf for identical images
 * @ssim: the structural similarity index (see qs_image_ssim())
 * @mae_channel: the mean absolute difference of R, G and B, 0..255 scale
 * @mae: the mean of @mae_channel
 * @max_diff: the largest absolute difference of any sample, 0..255
 *
 * The differences between a baseline render and a quantized render.
 */
typedef struct
{
  double psnr;
  double ssim;
  double mae_channel[3];
  double mae;
  guint  max_diff;
} QsImageMetrics;

/**
 * QsImagePair:
 * @name: the name written to the CSV: the file name that both folders
 *   share, or the baseline's file name for two files
 * @baseline_path: the baseline image
 * @quantized_path: the quantized image
 */
typedef struct
{
  char *name;
  char *baseline_path;
  char *quantized_path;
} QsImagePair;

/**
 * QsImagePairing:
 * @pairs: (element-type QsImagePair): the pairs, sorted by name in byte
 *   order
 * @baseline_only: (element-type utf8): image file names found only in the
 *   baseline folder, sorted
 * @quantized_only: (element-type utf8): image file names found only in the
 *   quantized folder, sorted
 *
 * The image pairs to compare and the files left without a partner.
 */
typedef struct
{
  GPtrArray *pairs;
  GPtrArray *baseline_only;
  GPtrArray *quantized_only;
} QsImagePairing;

GQuark          qs_image_error_quark        (void);

/**
 * qs_image_load:
 * @path: a PNG, JPEG or WebP file (WebP only where a gdk-pixbuf loader for
 *   it is installed, such as Debian's webp-pixbuf-loader)
 *
 * Decodes @path with gdk-pixbuf into 8-bit RGB. An alpha channel is
 * dropped without compositing, as PIL's Image.convert("RGB") and therefore
 * torchmetrics pipelines that load with PIL do. Grey and palette images are
 * expanded to RGB. The EXIF orientation tag is not applied, as PIL's
 * Image.open() does not apply it either.
 *
 * Returns: (transfer full): the image, or %NULL with @error
 *   (%QS_IMAGE_ERROR_LOAD) naming the file
 */
QsImage        *qs_image_load               (const char      *path,
                                             GError         **error);

/**
 * qs_image_new_from_rgb:
 * @rgb: @height rows of @width × 3 bytes, @rowstride bytes apart
 * @width: the width in pixels, at least 1
 * @height: the height in pixels, at least 1
 * @rowstride: the distance between rows in bytes, at least @width × 3
 *
 * Copies RGB samples into a new image without a path.
 *
 * Returns: (transfer full): the image
 */
QsImage        *qs_image_new_from_rgb       (const guint8    *rgb,
                                             guint            width,
                                             guint            height,
                                             gsize            rowstride);

void            qs_image_free               (QsImage         *image);

/**
 * qs_image_psnr:
 *
 * Computes the PSNR in dB of two images of the same size (see
 * QsImageMetrics).
 *
 * Returns: the PSNR, +inf when the images are identical
 */
double          qs_image_psnr               (const QsImage   *baseline,
                                             const QsImage   *quantized);

/**
 * qs_image_ssim:
 *
 * Computes the structural similarity of two images of the same size, at
 * least 11×11 pixels, as scikit-image's structural_similarity() does with
 * gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
 * data_range=1 and channel_axis=-1, and as torchmetrics'
 * StructuralSimilarityIndexMeasure(data_range=1.0) did up to release 1.4:
 *
 * - samples are scaled to [0, 1] by dividing by 255;
 * - local means, variances and the covariance are weighted by an 11×11
 *   Gaussian window with σ = 1.5, normalised to sum 1 (population
 *   statistics, no N/(N − 1) factor);
 * - SSIM = (2·μx·μy + C1)(2·σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2))
 *   with C1 = (0.01·1)² and C2 = (0.03·1)²;
 * - the map is averaged over the valid region only, where the window lies
 *   inside the image: 5 pixels are cropped from every border, so no padding
 *   mode enters the result;
 * - the three channel means are averaged.
 *
 * torchmetrics 1.4 pads with reflection and then crops the same border,
 * which gives this value. Releases that contain torchmetrics pull request
 * 2721 (September 2024) average the whole reflect-padded map instead, so
 * their values differ slightly, most for small images. Variances are not
 * clamped at 0, as in scikit-image, so identical images give exactly 1;
 * torchmetrics clamps them, which changes results only by rounding.
 *
 * Returns: the SSIM, 1 for identical images
 */
double          qs_image_ssim               (const QsImage   *baseline,
                                             const QsImage   *quantized);

/**
 * qs_image_metrics_compute:
 * @metrics: (out caller-allocates): the metrics
 *
 * Computes every metric of QsImageMetrics.
 *
 * Returns: %FALSE with @error when the sizes differ
 *   (%QS_IMAGE_ERROR_SIZE_MISMATCH) or an image is smaller than 11×11
 *   (%QS_IMAGE_ERROR_TOO_SMALL); the message names both files
 */
gboolean        qs_image_metrics_compute    (QsImageMetrics  *metrics,
                                             const QsImage   *baseline,
                                             const QsImage   *quantized,
                                             GError         **error);

/**
 * qs_image_write_diff_heatmap:
 * @path: the PNG file to write
 *
 * Writes a heatmap of the per-pixel largest channel difference. The colour
 * scale runs from black (no difference) through purple, red and orange to
 * pale yellow, through five colours of matplotlib's "inferno" map, and is
 * stretched so that the pair's largest difference is the brightest colour.
 * Identical images give a black heatmap.
 *
 * Returns: %FALSE with @error when the sizes differ
 *   (%QS_IMAGE_ERROR_SIZE_MISMATCH) or the file cannot be written
 */
gboolean        qs_image_write_diff_heatmap (const QsImage   *baseline,
                                             const QsImage   *quantized,
                                             const char      *path,
                                             GError         **error);

/**
 * qs_image_is_image_name:
 *
 * Returns: whether @name ends in .png, .jpg, .jpeg or .webp, in any letter
 *   case
 */
gboolean        qs_image_is_image_name      (const char      *name);

/**
 * qs_image_pairing_new:
 * @baseline: an image file or a folder of images
 * @quantized: an image file, or a folder when @baseline is one
 *
 * Pairs two files with each other, or the images of two folders by file
 * name. Names match case-sensitively. Only regular files whose names end
 * in an image extension (see qs_image_is_image_name()) and do not start
 * with a dot take part. Subfolders are not searched. Images whose name
 * exists in one folder only are listed in the result, not dropped.
 *
 * Returns: (transfer full): the pairing, or %NULL with @error:
 *   %QS_IMAGE_ERROR_NOT_FOUND when a path does not exist,
 *   %QS_IMAGE_ERROR_INPUT when one is a folder and the other is not,
 *   %QS_IMAGE_ERROR_NO_PAIRS when two folders share no image name, or a
 *   #GFileError when a folder cannot be listed
 */
QsImagePairing *qs_image_pairing_new        (const char      *baseline,
                                             const char      *quantized,
                                             GError         **error);

void            qs_image_pairing_free       (QsImagePairing  *pairing);

/**
 * qs_image_metrics_write_csv:
 * @path: the file to write
 * @names: the file name of each row
 * @metrics: the metrics of each row
 * @n: the number of rows
 *
 * Writes the columns file, psnr, ssim, mae, max_diff, one row per pair in
 * the given order. Numbers are written as Python's repr() writes them
 * ("inf" for the PSNR of identical images); max_diff is an integer. The
 * file is written to a temporary name and renamed.
 */
gboolean        qs_image_metrics_write_csv  (const char             *path,
                                             const char * const     *names,
                                             const QsImageMetrics   *metrics,
                                             guint                   n,
                                             GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsImage, qs_image_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsImagePairing, qs_image_pairing_free)

G_END_DECLS
