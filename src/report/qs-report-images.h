/* qs-report-images.h: the report of an image comparison
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <cairo.h>
#include <pango/pango.h>

#include "qs-image-metrics.h"
#include "qs-report.h"
#include "qs-report-colors.h"

G_BEGIN_DECLS

/* The maximum length in pixels of the long side of the images a report
 * shows. Larger images are downscaled to it with their aspect ratio kept. */
#define QS_IMAGE_REPORT_MAX_SIDE 512

/* The default number of worst pairs that a report shows side by side. */
#define QS_IMAGE_REPORT_DEFAULT_N_WORST 8

/**
 * QsImageSide:
 * @QS_IMAGE_SIDE_BASELINE: the renders of the original model
 * @QS_IMAGE_SIDE_QUANTIZED: the renders of the quantized model
 */
typedef enum
{
  QS_IMAGE_SIDE_BASELINE,
  QS_IMAGE_SIDE_QUANTIZED,
} QsImageSide;

typedef struct _QsImageReport QsImageReport;

/**
 * qs_image_report_new:
 * @baseline: the baseline file or folder, as the user named it
 * @quantized: the quantized file or folder
 * @n_worst: how many of the pairs with the lowest SSIM to show side by
 *   side with their difference maps, or 0 for none
 *
 * Creates an empty report. Pairs are added one by one, and the report
 * keeps downscaled copies of the images of the @n_worst lowest-SSIM pairs
 * seen so far only, so its memory does not grow with the images of the
 * other pairs. Each kept pair costs up to 3 MiB: three 512×512 Cairo
 * surfaces of 4 bytes per pixel.
 *
 * Returns: (transfer full): the report
 */
QsImageReport *qs_image_report_new           (const char            *baseline,
                                              const char            *quantized,
                                              guint                  n_worst);
void           qs_image_report_free          (QsImageReport         *self);

/**
 * qs_image_report_add_pair:
 * @name: the file name shown for the pair
 * @metrics: the metrics of the pair, from qs_image_metrics_compute()
 * @baseline: the baseline image
 * @quantized: the quantized image, of the same size
 *
 * Adds a compared pair. Pairs are ranked by SSIM ascending, then by name
 * in byte order, as quantscope-cli lists them. When the pair ranks among
 * the worst pairs added so far, the report stores the two images and
 * their difference map, downscaled to at most %QS_IMAGE_REPORT_MAX_SIDE
 * pixels on the long side. The difference map takes the largest channel
 * difference of each pixel, and when it is downscaled each of its pixels
 * keeps the largest difference of the source pixels it covers, so a single
 * changed pixel stays visible. Its colours are those of
 * qs_image_write_diff_heatmap(): black for no difference up to pale
 * yellow for the largest channel difference of the pair.
 *
 * Returns: %FALSE with @error (%QS_IMAGE_ERROR_SIZE_MISMATCH) when the
 *   images differ in size
 */
gboolean       qs_image_report_add_pair      (QsImageReport         *self,
                                              const char            *name,
                                              const QsImageMetrics  *metrics,
                                              const QsImage         *baseline,
                                              const QsImage         *quantized,
                                              GError               **error);

/**
 * qs_image_report_add_failed:
 * @name: the file name of the pair
 * @message: why the pair could not be compared
 *
 * Lists a pair that could not be compared in the summary.
 */
void           qs_image_report_add_failed    (QsImageReport         *self,
                                              const char            *name,
                                              const char            *message);

/**
 * qs_image_report_add_unmatched:
 * @side: the folder that contains the file
 * @name: the file name that has no partner in the other folder
 */
void           qs_image_report_add_unmatched (QsImageReport         *self,
                                              QsImageSide            side,
                                              const char            *name);

guint          qs_image_report_get_n_pairs   (QsImageReport         *self);

/* Returns: the number of pairs shown side by side: the n_worst of
 *   qs_image_report_new(), or fewer when fewer pairs were added */
guint          qs_image_report_get_n_worst   (QsImageReport         *self);

/**
 * qs_image_report_render_html:
 *
 * Renders the report as one self-contained HTML document from the
 * template in the report resources, in the style of the analysis report:
 * the dark theme on screens and the light one in print. The document
 * contains a summary, a table of every pair sorted by SSIM ascending with
 * cells coloured by severity, and the worst pairs side by side with their
 * difference maps, embedded as base64 PNG images. Every file name and
 * message is HTML-escaped, and the document makes no external requests.
 *
 * Returns: (transfer full): the document, or %NULL with @error set when
 *   the template cannot be expanded or an image cannot be encoded
 */
char          *qs_image_report_render_html   (QsImageReport         *self,
                                              GError               **error);

/**
 * qs_image_report_write:
 * @format: %QS_REPORT_FORMAT_PDF, or one of the HTML formats, which both
 *   write the document of qs_image_report_render_html()
 * @path: the file to write
 *
 * Writes the report. The file appears under @path only once it is
 * complete, so a failure leaves an existing file there untouched.
 *
 * Returns: %FALSE with @error set (a #GIOError naming @path) on failure
 */
gboolean       qs_image_report_write         (QsImageReport         *self,
                                              QsReportFormat         format,
                                              const char            *path,
                                              GError               **error);

typedef struct _QsImageReportLayout QsImageReportLayout;

/**
 * qs_image_report_layout_new:
 * @report: the report
 * @page_width: the page width in user units of the cairo_t the pages will
 *   be drawn on (points for a PDF surface)
 * @page_height: the page height in the same units
 * @context: (nullable): the Pango context text is measured and drawn
 *   with, or %NULL for the default Cairo font map with unhinted metrics.
 *   Font sizes are absolute user units.
 *
 * Lays the report out in pages, in the print colours of the analysis
 * report: the summary, the table of every pair, and one block per worst
 * pair with the baseline, the quantized image and the difference map side
 * by side and the metrics under them. The table repeats its header on
 * every page it continues on, and every page ends with "Page N of M". The
 * layout copies the text and holds references to the images, so @report
 * may be freed afterwards.
 *
 * Returns: (transfer full): the layout
 */
QsImageReportLayout *qs_image_report_layout_new         (QsImageReport       *report,
                                                         double               page_width,
                                                         double               page_height,
                                                         PangoContext        *context);
void                 qs_image_report_layout_free        (QsImageReportLayout *self);

guint                qs_image_report_layout_get_n_pages (QsImageReportLayout *self);

/**
 * qs_image_report_layout_draw_page:
 * @cr: the page's cairo context, its origin at the page's top left corner
 * @page: the page index, from 0
 *
 * Draws one page, background included, onto any cairo_t.
 */
void                 qs_image_report_layout_draw_page   (QsImageReportLayout *self,
                                                         cairo_t             *cr,
                                                         guint                page);

/**
 * qs_severity_for_ssim:
 *
 * Places an SSIM value on the reports' colour scale: at or above 0.99
 * negligible, 0.98 low, 0.95 moderate, 0.90 high, and severe under 0.90.
 *
 * Returns: the step, or %QS_SEVERITY_UNKNOWN for NAN
 */
QsSeverity           qs_severity_for_ssim               (double               ssim);

/**
 * qs_severity_for_psnr:
 *
 * Places a PSNR in dB on the colour scale: at or above 40 dB (and +inf)
 * negligible, 35 low, 30 moderate, 25 high, and severe under 25 dB.
 *
 * Returns: the step, or %QS_SEVERITY_UNKNOWN for NAN
 */
QsSeverity           qs_severity_for_psnr               (double               psnr);

/**
 * qs_severity_for_mae:
 *
 * Places a mean absolute difference on the 0..255 scale on the colour
 * scale: at or under 2.0 negligible, 3.6 low, 6.4 moderate, 11.4 high, and
 * severe above. The bounds are those of the PSNR scale for Gaussian
 * noise, whose MAE is 0.8 times its root mean square: 255 / 10^(40 / 20)
 * × 0.8 is 2.0, and so on for 35, 30 and 25 dB.
 *
 * Returns: the step, or %QS_SEVERITY_UNKNOWN for NAN
 */
QsSeverity           qs_severity_for_mae                (double               mae);

/**
 * qs_severity_for_max_diff:
 *
 * Places the largest sample difference on the colour scale: at or under 4
 * negligible (rounding and dithering), 16 low, 48 moderate, 128 high, and
 * severe above. A single sample sets this value, so it flags outliers
 * that the means hide.
 *
 * Returns: the step
 */
QsSeverity           qs_severity_for_max_diff           (guint                max_diff);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsImageReport, qs_image_report_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsImageReportLayout, qs_image_report_layout_free)

G_END_DECLS
