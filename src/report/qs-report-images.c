/* qs-report-images.c: the report of an image comparison
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <math.h>
#include <string.h>

#include <cairo-pdf.h>
#include <pango/pangocairo.h>
#include <tmpl-glib.h>

#include "qs-report-images.h"
#include "qs-report-page-painter.h"
#include "qs-report-private.h"
#include "qs-report-resources.h"

#define RESOURCE_PATH "/io/github/quantscope/Quantscope/report"

#define REPORT_TITLE N_("Image comparison")

#define LPIPS_NOTE N_("LPIPS is not computed: it needs a pretrained network whose weights " \
                      "cannot be shipped with Quantscope, and no approximation of it is offered.")

/* The three images of a worst pair, in the order they are shown. */
enum
{
  IMAGE_BASELINE,
  IMAGE_QUANTIZED,
  IMAGE_HEATMAP,
  N_IMAGES
};

/* The metric columns of the pair table, in the order they are shown. */
enum
{
  METRIC_PSNR,
  METRIC_SSIM,
  METRIC_MAE,
  METRIC_MAX_DIFF,
  N_METRICS
};

static const char * const metric_labels[N_METRICS] = { "PSNR", "SSIM", "MAE", N_("Max diff") };

static const char * const image_captions[N_IMAGES] = {
  N_("Baseline"),
  N_("Quantized"),
  N_("Difference"),
};

/* Entries 0, 64, 128, 192 and 255 of matplotlib's "inferno" colour map,
 * rounded to 8 bits: the scale of qs_image_write_diff_heatmap(), so the
 * maps in the report look like the PNG files --diff-output writes. */
static const guint8 heat_anchors[5][3] = {
  { 0, 0, 4 },
  { 87, 16, 110 },
  { 188, 55, 84 },
  { 249, 142, 9 },
  { 252, 255, 164 },
};

/* Severity */

QsSeverity
qs_severity_for_ssim (double ssim)
{
  if (isnan (ssim))
    return QS_SEVERITY_UNKNOWN;
  if (ssim >= 0.99)
    return QS_SEVERITY_NEGLIGIBLE;
  if (ssim >= 0.98)
    return QS_SEVERITY_LOW;
  if (ssim >= 0.95)
    return QS_SEVERITY_MODERATE;
  if (ssim >= 0.90)
    return QS_SEVERITY_HIGH;

  return QS_SEVERITY_SEVERE;
}

QsSeverity
qs_severity_for_psnr (double psnr)
{
  if (isnan (psnr))
    return QS_SEVERITY_UNKNOWN;
  if (psnr >= 40)
    return QS_SEVERITY_NEGLIGIBLE;
  if (psnr >= 35)
    return QS_SEVERITY_LOW;
  if (psnr >= 30)
    return QS_SEVERITY_MODERATE;
  if (psnr >= 25)
    return QS_SEVERITY_HIGH;

  return QS_SEVERITY_SEVERE;
}

QsSeverity
qs_severity_for_mae (double mae)
{
  if (isnan (mae))
    return QS_SEVERITY_UNKNOWN;
  if (mae <= 2.0)
    return QS_SEVERITY_NEGLIGIBLE;
  if (mae <= 3.6)
    return QS_SEVERITY_LOW;
  if (mae <= 6.4)
    return QS_SEVERITY_MODERATE;
  if (mae <= 11.4)
    return QS_SEVERITY_HIGH;

  return QS_SEVERITY_SEVERE;
}

QsSeverity
qs_severity_for_max_diff (guint max_diff)
{
  if (max_diff <= 4)
    return QS_SEVERITY_NEGLIGIBLE;
  if (max_diff <= 16)
    return QS_SEVERITY_LOW;
  if (max_diff <= 48)
    return QS_SEVERITY_MODERATE;
  if (max_diff <= 128)
    return QS_SEVERITY_HIGH;

  return QS_SEVERITY_SEVERE;
}

/* The legend of the scale: the range each step covers, written from the
 * bounds of the functions above. */
static const char * const scale_titles[QS_SEVERITY_UNKNOWN] = {
  N_("Negligible"), N_("Low"), N_("Moderate"), N_("High"), N_("Severe"),
};

static const struct
{
  const char *metric;
  const char *ranges[QS_SEVERITY_UNKNOWN];
} scale_rows[N_METRICS] = {
  { "PSNR", { "≥ 40 dB, ∞", "35 – 40 dB", "30 – 35 dB", "25 – 30 dB", "< 25 dB" } },
  { "SSIM", { "≥ 0.99", "0.98 – 0.99", "0.95 – 0.98", "0.90 – 0.95", "< 0.90" } },
  { "MAE", { "≤ 2.0", "2.0 – 3.6", "3.6 – 6.4", "6.4 – 11.4", "> 11.4" } },
  { N_("Max diff"), { "≤ 4", "5 – 16", "17 – 48", "49 – 128", "> 128" } },
};

/* Downscaled images */

typedef struct
{
  guint            width;
  guint            height;
  guint            max_diff;
  cairo_surface_t *surfaces[N_IMAGES];
} PairImages;

static void
pair_images_free (PairImages *images)
{
  if (images == NULL)
    return;

  for (guint i = 0; i < N_IMAGES; i++)
    g_clear_pointer (&images->surfaces[i], cairo_surface_destroy);
  g_free (images);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PairImages, pair_images_free)

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

static void
downscaled_size (guint  width,
                 guint  height,
                 guint *out_width,
                 guint *out_height)
{
  guint long_side = MAX (width, height);

  if (long_side <= QS_IMAGE_REPORT_MAX_SIDE)
    {
      *out_width = width;
      *out_height = height;
      return;
    }

  *out_width = MAX (1, (guint) lround ((double) width * QS_IMAGE_REPORT_MAX_SIDE / long_side));
  *out_height = MAX (1, (guint) lround ((double) height * QS_IMAGE_REPORT_MAX_SIDE / long_side));
}

static inline guint32
pack_rgb (guint r,
          guint g,
          guint b)
{
  return (r << 16) | (g << 8) | b;
}

/* Downscales both images and their difference map in one pass. Each
 * output pixel covers a box of source pixels: the images get the box's
 * mean colour, and the map the box's largest channel difference, which is
 * then coloured on a scale stretched to the largest difference of all. */
static PairImages *
pair_images_new (const QsImage  *baseline,
                 const QsImage  *quantized,
                 GError        **error)
{
  g_autoptr(PairImages) images = g_new0 (PairImages, 1);
  g_autofree guint8 *pooled = NULL;
  guint8 heat[256][3];
  guint32 *rows[N_IMAGES];
  int strides[N_IMAGES];
  guint width, height;

  images->width = baseline->width;
  images->height = baseline->height;
  downscaled_size (baseline->width, baseline->height, &width, &height);

  for (guint i = 0; i < N_IMAGES; i++)
    {
      images->surfaces[i] = cairo_image_surface_create (CAIRO_FORMAT_RGB24, (int) width,
                                                        (int) height);
      if (cairo_surface_status (images->surfaces[i]) != CAIRO_STATUS_SUCCESS)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       _("Failed to allocate a %u×%u image for the report of %s: %s"),
                       width, height, baseline->path != NULL ? baseline->path : _("a pair"),
                       cairo_status_to_string (cairo_surface_status (images->surfaces[i])));
          return NULL;
        }
      cairo_surface_flush (images->surfaces[i]);
      rows[i] = (guint32 *) (void *) cairo_image_surface_get_data (images->surfaces[i]);
      strides[i] = cairo_image_surface_get_stride (images->surfaces[i]) / 4;
    }

  pooled = g_new (guint8, (gsize) width * height);

  for (guint ty = 0; ty < height; ty++)
    {
      guint y0 = (guint) ((guint64) ty * baseline->height / height);
      guint y1 = (guint) ((guint64) (ty + 1) * baseline->height / height);

      for (guint tx = 0; tx < width; tx++)
        {
          guint x0 = (guint) ((guint64) tx * baseline->width / width);
          guint x1 = (guint) ((guint64) (tx + 1) * baseline->width / width);
          guint64 sums[2][3] = { { 0 } };
          guint64 n = (guint64) (x1 - x0) * (y1 - y0);
          guint diff = 0;

          for (guint y = y0; y < y1; y++)
            {
              for (guint x = x0; x < x1; x++)
                {
                  gsize offset = 3 * ((gsize) y * baseline->width + x);
                  const guint8 *a = baseline->rgb + offset;
                  const guint8 *b = quantized->rgb + offset;

                  for (guint c = 0; c < 3; c++)
                    {
                      sums[0][c] += a[c];
                      sums[1][c] += b[c];
                      diff = MAX (diff, (guint) ABS ((int) a[c] - (int) b[c]));
                    }
                }
            }

          for (guint i = 0; i < 2; i++)
            rows[i][(gsize) ty * strides[i] + tx] = pack_rgb ((guint) ((sums[i][0] + n / 2) / n),
                                                              (guint) ((sums[i][1] + n / 2) / n),
                                                              (guint) ((sums[i][2] + n / 2) / n));
          pooled[(gsize) ty * width + tx] = (guint8) diff;
          images->max_diff = MAX (images->max_diff, diff);
        }
    }

  for (guint d = 0; d < 256; d++)
    heat_colour (images->max_diff > 0 ? (double) d / images->max_diff : 0.0, heat[d]);

  for (guint ty = 0; ty < height; ty++)
    for (guint tx = 0; tx < width; tx++)
      {
        const guint8 *rgb = heat[pooled[(gsize) ty * width + tx]];

        rows[IMAGE_HEATMAP][(gsize) ty * strides[IMAGE_HEATMAP] + tx] = pack_rgb (rgb[0], rgb[1], rgb[2]);
      }

  for (guint i = 0; i < N_IMAGES; i++)
    cairo_surface_mark_dirty (images->surfaces[i]);

  return g_steal_pointer (&images);
}

/* The report */

typedef struct
{
  char           *name;
  guint           index;
  QsImageMetrics  metrics;
  PairImages     *images;
} PairEntry;

typedef struct
{
  char *name;
  char *message;
} FailedPair;

struct _QsImageReport
{
  char      *baseline;
  char      *quantized;
  guint      n_worst;
  GPtrArray *pairs;
  GPtrArray *worst;
  GPtrArray *baseline_only;
  GPtrArray *quantized_only;
  GPtrArray *failed;
};

static void
pair_entry_free (PairEntry *entry)
{
  g_free (entry->name);
  pair_images_free (entry->images);
  g_free (entry);
}

static void
failed_pair_free (FailedPair *failed)
{
  g_free (failed->name);
  g_free (failed->message);
  g_free (failed);
}

/* Orders pairs by SSIM ascending, NAN first, then by name in byte order,
 * as quantscope-cli lists its worst pairs. Pairs that tie on both keep
 * the order they were added in, so the order is total and the worst pairs
 * are always the first rows of the table. */
static int
compare_entries (const PairEntry *a,
                 const PairEntry *b)
{
  double x = a->metrics.ssim;
  double y = b->metrics.ssim;

  if (isnan (x) != isnan (y))
    return isnan (x) ? -1 : 1;
  if (!isnan (x) && x != y)
    return x < y ? -1 : 1;

  if (strcmp (a->name, b->name) != 0)
    return strcmp (a->name, b->name);
  if (a->index != b->index)
    return a->index < b->index ? -1 : 1;

  return 0;
}

static int
compare_entry_pointers (gconstpointer a,
                        gconstpointer b)
{
  return compare_entries (*(PairEntry * const *) a, *(PairEntry * const *) b);
}

QsImageReport *
qs_image_report_new (const char *baseline,
                     const char *quantized,
                     guint       n_worst)
{
  QsImageReport *self;

  g_return_val_if_fail (baseline != NULL, NULL);
  g_return_val_if_fail (quantized != NULL, NULL);

  self = g_new0 (QsImageReport, 1);
  self->baseline = g_strdup (baseline);
  self->quantized = g_strdup (quantized);
  self->n_worst = n_worst;
  self->pairs = g_ptr_array_new_with_free_func ((GDestroyNotify) pair_entry_free);
  self->worst = g_ptr_array_new ();
  self->baseline_only = g_ptr_array_new_with_free_func (g_free);
  self->quantized_only = g_ptr_array_new_with_free_func (g_free);
  self->failed = g_ptr_array_new_with_free_func ((GDestroyNotify) failed_pair_free);

  return self;
}

void
qs_image_report_free (QsImageReport *self)
{
  if (self == NULL)
    return;

  g_free (self->baseline);
  g_free (self->quantized);
  g_ptr_array_unref (self->worst);
  g_ptr_array_unref (self->pairs);
  g_ptr_array_unref (self->baseline_only);
  g_ptr_array_unref (self->quantized_only);
  g_ptr_array_unref (self->failed);
  g_free (self);
}

gboolean
qs_image_report_add_pair (QsImageReport         *self,
                          const char            *name,
                          const QsImageMetrics  *metrics,
                          const QsImage         *baseline,
                          const QsImage         *quantized,
                          GError               **error)
{
  PairEntry candidate = { 0 };
  g_autoptr(PairImages) images = NULL;
  PairEntry *entry;
  guint position;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (metrics != NULL, FALSE);
  g_return_val_if_fail (baseline != NULL && quantized != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (baseline->width != quantized->width || baseline->height != quantized->height)
    {
      g_set_error (error, QS_IMAGE_ERROR, QS_IMAGE_ERROR_SIZE_MISMATCH,
                   _("The image sizes differ: %s is %u×%u, %s is %u×%u"),
                   baseline->path != NULL ? baseline->path : _("the baseline image"),
                   baseline->width, baseline->height,
                   quantized->path != NULL ? quantized->path : _("the quantized image"),
                   quantized->width, quantized->height);
      return FALSE;
    }

  /* A pair that does not rank among the worst pairs so far can never
   * rank among the final ones, because that set only gets worse, so its
   * images are not kept. */
  candidate.name = (char *) name;
  candidate.index = self->pairs->len;
  candidate.metrics = *metrics;
  position = self->worst->len;
  while (position > 0 && compare_entries (&candidate, g_ptr_array_index (self->worst, position - 1)) < 0)
    position--;

  if (position < self->n_worst)
    {
      images = pair_images_new (baseline, quantized, error);
      if (images == NULL)
        return FALSE;
    }

  entry = g_new0 (PairEntry, 1);
  entry->name = g_strdup (name);
  entry->index = self->pairs->len;
  entry->metrics = *metrics;
  entry->images = g_steal_pointer (&images);
  g_ptr_array_add (self->pairs, entry);

  if (entry->images != NULL)
    {
      g_ptr_array_insert (self->worst, (int) position, entry);
      if (self->worst->len > self->n_worst)
        {
          PairEntry *dropped = g_ptr_array_steal_index (self->worst, self->worst->len - 1);

          g_clear_pointer (&dropped->images, pair_images_free);
        }
    }

  return TRUE;
}

void
qs_image_report_add_failed (QsImageReport *self,
                            const char    *name,
                            const char    *message)
{
  FailedPair *failed;

  g_return_if_fail (self != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (message != NULL);

  failed = g_new0 (FailedPair, 1);
  failed->name = g_strdup (name);
  failed->message = g_strdup (message);
  g_ptr_array_add (self->failed, failed);
}

void
qs_image_report_add_unmatched (QsImageReport *self,
                               QsImageSide    side,
                               const char    *name)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (name != NULL);

  g_ptr_array_add (side == QS_IMAGE_SIDE_BASELINE ? self->baseline_only : self->quantized_only,
                   g_strdup (name));
}

guint
qs_image_report_get_n_pairs (QsImageReport *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->pairs->len;
}

guint
qs_image_report_get_n_worst (QsImageReport *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->worst->len;
}

/* Content: every string both writers show, formatted once */

typedef struct
{
  char       *text;
  char       *title;
  QsSeverity  severity;
} MetricCell;

typedef struct
{
  guint       rank;
  char       *name;
  MetricCell  cells[N_METRICS];
} PairRow;

typedef struct
{
  char       *label;
  char       *value;
  char       *detail;
  QsSeverity  severity;
} StatEntry;

typedef struct
{
  guint            width;
  guint            height;
  guint            max_diff;
  char            *max_diff_text;
  cairo_surface_t *surfaces[N_IMAGES];
} WorstImages;

typedef struct
{
  char      *title;
  char      *baseline;
  char      *quantized;
  char      *date;
  char      *version;
  GPtrArray *statistics;
  char      *baseline_only_title;
  char      *quantized_only_title;
  GPtrArray *baseline_only;
  GPtrArray *quantized_only;
  GPtrArray *failed;
  char      *scale_caption;
  char      *pairs_caption;
  char      *worst_title;
  char      *worst_caption;
  char      *footer;
  GArray    *rows;
  GArray    *worst;
} ImageContent;

static void
pair_row_clear (PairRow *row)
{
  g_free (row->name);
  for (guint m = 0; m < N_METRICS; m++)
    {
      g_free (row->cells[m].text);
      g_free (row->cells[m].title);
    }
}

static void
stat_entry_free (StatEntry *entry)
{
  g_free (entry->label);
  g_free (entry->value);
  g_free (entry->detail);
  g_free (entry);
}

static void
worst_images_clear (WorstImages *images)
{
  g_free (images->max_diff_text);
  for (guint i = 0; i < N_IMAGES; i++)
    g_clear_pointer (&images->surfaces[i], cairo_surface_destroy);
}

static void
image_content_free (ImageContent *self)
{
  if (self == NULL)
    return;

  g_free (self->title);
  g_free (self->baseline);
  g_free (self->quantized);
  g_free (self->date);
  g_free (self->version);
  g_ptr_array_unref (self->statistics);
  g_free (self->baseline_only_title);
  g_free (self->quantized_only_title);
  g_ptr_array_unref (self->baseline_only);
  g_ptr_array_unref (self->quantized_only);
  g_ptr_array_unref (self->failed);
  g_free (self->scale_caption);
  g_free (self->pairs_caption);
  g_free (self->worst_title);
  g_free (self->worst_caption);
  g_free (self->footer);
  g_array_unref (self->rows);
  g_array_unref (self->worst);
  g_free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ImageContent, image_content_free)

static char *
format_psnr (double psnr)
{
  if (isinf (psnr) && psnr > 0)
    return g_strdup ("∞");

  return g_strdup_printf ("%.2f dB", psnr);
}

static void
fill_metric_cells (MetricCell           *cells,
                   const QsImageMetrics *metrics)
{
  cells[METRIC_PSNR].text = format_psnr (metrics->psnr);
  cells[METRIC_PSNR].severity = qs_severity_for_psnr (metrics->psnr);
  if (isinf (metrics->psnr))
    cells[METRIC_PSNR].title = g_strdup (_("The images are identical"));

  cells[METRIC_SSIM].text = g_strdup_printf ("%.5f", metrics->ssim);
  cells[METRIC_SSIM].severity = qs_severity_for_ssim (metrics->ssim);

  cells[METRIC_MAE].text = g_strdup_printf ("%.3f", metrics->mae);
  cells[METRIC_MAE].severity = qs_severity_for_mae (metrics->mae);
  cells[METRIC_MAE].title = g_strdup_printf ("R %.3f, G %.3f, B %.3f", metrics->mae_channel[0],
                                             metrics->mae_channel[1], metrics->mae_channel[2]);

  cells[METRIC_MAX_DIFF].text = g_strdup_printf ("%u", metrics->max_diff);
  cells[METRIC_MAX_DIFF].severity = qs_severity_for_max_diff (metrics->max_diff);
}

static void
add_stat (GPtrArray  *statistics,
          const char *label,
          char       *value,
          char       *detail,
          QsSeverity  severity)
{
  StatEntry *entry = g_new0 (StatEntry, 1);

  entry->label = g_strdup (label);
  entry->value = value;
  entry->detail = detail;
  entry->severity = severity;
  g_ptr_array_add (statistics, entry);
}

/* The summary statistics. Identical pairs have an infinite PSNR, which
 * would make the mean infinite, so the mean PSNR is taken over the pairs
 * that differ and the number of identical pairs is shown beside it. */
static void
add_statistics (ImageContent  *content,
                QsImageReport *report,
                GPtrArray     *sorted)
{
  const PairEntry *min_psnr = NULL;
  const PairEntry *min_ssim = sorted->len > 0 ? g_ptr_array_index (sorted, 0) : NULL;
  guint n = sorted->len;
  guint n_identical = 0;
  guint n_unmatched = report->baseline_only->len + report->quantized_only->len;
  double sum_psnr = 0;
  double sum_ssim = 0;

  for (guint i = 0; i < n; i++)
    {
      const PairEntry *entry = g_ptr_array_index (sorted, i);

      if (isinf (entry->metrics.psnr))
        n_identical++;
      else
        sum_psnr += entry->metrics.psnr;
      sum_ssim += entry->metrics.ssim;
      if (min_psnr == NULL || entry->metrics.psnr < min_psnr->metrics.psnr)
        min_psnr = entry;
    }

  add_stat (content->statistics, _("Pairs compared"), g_strdup_printf ("%u", n), NULL,
            QS_SEVERITY_UNKNOWN);
  add_stat (content->statistics, _("Identical pairs (PSNR ∞)"), g_strdup_printf ("%u", n_identical),
            NULL, QS_SEVERITY_UNKNOWN);
  add_stat (content->statistics, _("Unmatched files"), g_strdup_printf ("%u", n_unmatched),
            n_unmatched > 0 ? g_strdup_printf (_("%u only in the baseline, %u only in the quantized"),
                                               report->baseline_only->len,
                                               report->quantized_only->len)
                            : NULL,
            QS_SEVERITY_UNKNOWN);

  if (n == 0)
    {
      add_stat (content->statistics, _("Mean PSNR"), g_strdup ("–"), NULL, QS_SEVERITY_UNKNOWN);
      add_stat (content->statistics, _("Min PSNR"), g_strdup ("–"), NULL, QS_SEVERITY_UNKNOWN);
      add_stat (content->statistics, _("Mean SSIM"), g_strdup ("–"), NULL, QS_SEVERITY_UNKNOWN);
      add_stat (content->statistics, _("Min SSIM"), g_strdup ("–"), NULL, QS_SEVERITY_UNKNOWN);
    }
  else
    {
      double mean_psnr = n_identical < n ? sum_psnr / (n - n_identical) : INFINITY;
      char *mean_detail = NULL;

      if (n_identical == n)
        mean_detail = g_strdup (_("every pair is identical"));
      else if (n_identical > 0)
        mean_detail = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                    "over the %u pair that differs; "
                                                    "identical pairs left out",
                                                    "over the %u pairs that differ; "
                                                    "identical pairs left out",
                                                    n - n_identical),
                                       n - n_identical);

      add_stat (content->statistics, _("Mean PSNR"), format_psnr (mean_psnr), mean_detail,
                qs_severity_for_psnr (mean_psnr));
      add_stat (content->statistics, _("Min PSNR"), format_psnr (min_psnr->metrics.psnr),
                g_strdup (min_psnr->name), qs_severity_for_psnr (min_psnr->metrics.psnr));
      add_stat (content->statistics, _("Mean SSIM"), g_strdup_printf ("%.5f", sum_ssim / n), NULL,
                qs_severity_for_ssim (sum_ssim / n));
      add_stat (content->statistics, _("Min SSIM"), g_strdup_printf ("%.5f", min_ssim->metrics.ssim),
                g_strdup (min_ssim->name), qs_severity_for_ssim (min_ssim->metrics.ssim));
    }

  if (report->failed->len > 0)
    add_stat (content->statistics, _("Pairs that could not be compared"),
              g_strdup_printf ("%u", report->failed->len), NULL, QS_SEVERITY_SEVERE);
}

static GPtrArray *
copy_strings (GPtrArray *strings)
{
  GPtrArray *copy = g_ptr_array_new_full (strings->len, g_free);

  for (guint i = 0; i < strings->len; i++)
    g_ptr_array_add (copy, g_strdup (g_ptr_array_index (strings, i)));

  return copy;
}

static ImageContent *
image_content_new (QsImageReport *report)
{
  g_autoptr(ImageContent) self = g_new0 (ImageContent, 1);
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  guint n_worst = report->worst->len;

  self->title = g_strdup (_(REPORT_TITLE));
  self->baseline = g_strdup (report->baseline);
  self->quantized = g_strdup (report->quantized);
  self->date = g_date_time_format (now, "%Y-%m-%d %H:%M UTC");
  self->version = g_strdup (PACKAGE_VERSION);

  for (guint i = 0; i < report->pairs->len; i++)
    g_ptr_array_add (sorted, g_ptr_array_index (report->pairs, i));
  g_ptr_array_sort (sorted, compare_entry_pointers);

  self->statistics = g_ptr_array_new_with_free_func ((GDestroyNotify) stat_entry_free);
  add_statistics (self, report, sorted);

  self->baseline_only_title = g_strdup_printf (_("Only in the baseline (%u): %s"),
                                               report->baseline_only->len, report->baseline);
  self->quantized_only_title = g_strdup_printf (_("Only in the quantized (%u): %s"),
                                                report->quantized_only->len, report->quantized);
  self->baseline_only = copy_strings (report->baseline_only);
  self->quantized_only = copy_strings (report->quantized_only);

  self->failed = g_ptr_array_new_with_free_func ((GDestroyNotify) stat_entry_free);
  for (guint i = 0; i < report->failed->len; i++)
    {
      const FailedPair *failed = g_ptr_array_index (report->failed, i);

      add_stat (self->failed, failed->name, g_strdup (failed->message), NULL, QS_SEVERITY_SEVERE);
    }

  self->scale_caption = g_strdup (_("The bounds that colour the metric cells. They are judgement "
                                    "calls, not standards. The MAE bounds are the PSNR bounds "
                                    "converted for Gaussian noise, whose mean absolute error is "
                                    "0.8 times its root mean square. Max diff is set by a single "
                                    "sample, so it flags outliers that the means hide."));
  self->pairs_caption = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                      "All %u compared pair, the lowest SSIM "
                                                      "first. MAE and max diff are on the "
                                                      "0..255 scale.",
                                                      "All %u compared pairs, the lowest SSIM "
                                                      "first. MAE and max diff are on the "
                                                      "0..255 scale.",
                                                      report->pairs->len),
                                         report->pairs->len);
  if (n_worst == 1)
    self->worst_title = g_strdup (_("The pair with the lowest SSIM"));
  else
    self->worst_title = g_strdup_printf (_("The %u pairs with the lowest SSIM"), n_worst);
  self->worst_caption = g_strdup_printf (_("The baseline and the quantized render side by side with "
                                           "their difference map: the largest channel difference of "
                                           "each pixel, from black for none to pale yellow for the "
                                           "pair's max diff. Images larger than %d pixels are "
                                           "downscaled, and each pixel of a downscaled map keeps the "
                                           "largest difference of the pixels it covers."),
                                         QS_IMAGE_REPORT_MAX_SIDE);
  self->footer = g_strdup_printf ("%s %s",
                                  _("PSNR is taken over every 8-bit RGB sample. SSIM is the mean "
                                    "structural similarity with an 11×11 Gaussian window "
                                    "(σ = 1.5), as scikit-image computes it."),
                                  _(LPIPS_NOTE));

  self->rows = g_array_sized_new (FALSE, TRUE, sizeof (PairRow), sorted->len);
  g_array_set_clear_func (self->rows, (GDestroyNotify) pair_row_clear);
  for (guint i = 0; i < sorted->len; i++)
    {
      const PairEntry *entry = g_ptr_array_index (sorted, i);
      PairRow row = { 0 };

      row.rank = i + 1;
      row.name = g_strdup (entry->name);
      fill_metric_cells (row.cells, &entry->metrics);
      g_array_append_val (self->rows, row);
    }

  /* The pairs that kept their images are the first rows, in the same
   * order. */
  self->worst = g_array_sized_new (FALSE, TRUE, sizeof (WorstImages), n_worst);
  g_array_set_clear_func (self->worst, (GDestroyNotify) worst_images_clear);
  for (guint i = 0; i < n_worst; i++)
    {
      const PairEntry *entry = g_ptr_array_index (report->worst, i);
      WorstImages images = { 0 };

      g_assert (entry == g_ptr_array_index (sorted, i));
      images.width = entry->images->width;
      images.height = entry->images->height;
      images.max_diff = entry->images->max_diff;
      images.max_diff_text = g_strdup_printf ("%u", entry->images->max_diff);
      for (guint k = 0; k < N_IMAGES; k++)
        images.surfaces[k] = cairo_surface_reference (entry->images->surfaces[k]);
      g_array_append_val (self->worst, images);
    }

  return g_steal_pointer (&self);
}

/* HTML */

/* One node of what the HTML template iterates. Every string property
 * contains text that is already safe in HTML: the constructor and setters
 * escape plain text, and "src" contains base64, which uses only letters,
 * digits, "+", "/" and "=". template-glib inserts values as they are, so
 * this is where the escaping happens. */
#define QS_TYPE_IMAGE_HTML_ITEM (qs_image_html_item_get_type ())
G_DECLARE_FINAL_TYPE (QsImageHtmlItem, qs_image_html_item, QS, IMAGE_HTML_ITEM, GObject)

struct _QsImageHtmlItem
{
  GObject     parent_instance;
  char       *text;
  char       *title;
  char       *kind;
  char       *id;
  char       *detail;
  char       *src;
  char       *width;
  char       *height;
  GListStore *items;
  GListStore *entries;
};

G_DEFINE_FINAL_TYPE (QsImageHtmlItem, qs_image_html_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TEXT,
  PROP_TITLE,
  PROP_KIND,
  PROP_ID,
  PROP_DETAIL,
  PROP_SRC,
  PROP_WIDTH,
  PROP_HEIGHT,
  PROP_ITEMS,
  PROP_ENTRIES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
qs_image_html_item_finalize (GObject *object)
{
  QsImageHtmlItem *self = QS_IMAGE_HTML_ITEM (object);

  g_free (self->text);
  g_free (self->title);
  g_free (self->kind);
  g_free (self->id);
  g_free (self->detail);
  g_free (self->src);
  g_free (self->width);
  g_free (self->height);
  g_clear_object (&self->items);
  g_clear_object (&self->entries);

  G_OBJECT_CLASS (qs_image_html_item_parent_class)->finalize (object);
}

static void
qs_image_html_item_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  QsImageHtmlItem *self = QS_IMAGE_HTML_ITEM (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_KIND:
      g_value_set_string (value, self->kind);
      break;
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_DETAIL:
      g_value_set_string (value, self->detail);
      break;
    case PROP_SRC:
      g_value_set_string (value, self->src);
      break;
    case PROP_WIDTH:
      g_value_set_string (value, self->width);
      break;
    case PROP_HEIGHT:
      g_value_set_string (value, self->height);
      break;
    case PROP_ITEMS:
      g_value_set_object (value, self->items);
      break;
    case PROP_ENTRIES:
      g_value_set_object (value, self->entries);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qs_image_html_item_class_init (QsImageHtmlItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const char * const string_names[] = {
    NULL, "text", "title", "kind", "id", "detail", "src", "width", "height",
  };

  object_class->finalize = qs_image_html_item_finalize;
  object_class->get_property = qs_image_html_item_get_property;

  for (guint prop = PROP_TEXT; prop <= PROP_HEIGHT; prop++)
    properties[prop] = g_param_spec_string (string_names[prop], NULL, NULL, NULL,
                                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ITEMS] =
    g_param_spec_object ("items", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ENTRIES] =
    g_param_spec_object ("entries", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qs_image_html_item_init (QsImageHtmlItem *self)
{
  self->items = g_list_store_new (QS_TYPE_IMAGE_HTML_ITEM);
  self->entries = g_list_store_new (QS_TYPE_IMAGE_HTML_ITEM);
}

/* Creates an item with escaped @text and @kind (a CSS class list). A
 * %NULL argument leaves the property unset, which the template reads as
 * false. */
static QsImageHtmlItem *
html_item_new (const char *kind,
               const char *text)
{
  QsImageHtmlItem *self = g_object_new (QS_TYPE_IMAGE_HTML_ITEM, NULL);

  self->kind = kind != NULL ? _qs_report_escape_html (kind) : NULL;
  self->text = text != NULL ? _qs_report_escape_html (text) : NULL;

  return self;
}

static void
set_escaped (char       **field,
             const char  *text)
{
  g_free (*field);
  *field = text != NULL ? _qs_report_escape_html (text) : NULL;
}

static void
append_item (GListStore      *store,
             QsImageHtmlItem *item)
{
  g_list_store_append (store, item);
  g_object_unref (item);
}

static void
scope_set_text (TmplScope  *scope,
                const char *name,
                const char *text)
{
  g_autofree char *escaped = _qs_report_escape_html (text != NULL ? text : "");

  tmpl_scope_set_string (scope, name, escaped);
}

static const char *
severity_class (QsSeverity severity)
{
  return severity == QS_SEVERITY_UNKNOWN ? NULL : qs_severity_get_css_class (severity);
}

/* The severity rules, written from the colour table of the analysis
 * report so both reports use the same colours, and the heatmap's
 * gradient. */
static char *
build_severity_css (void)
{
  GString *css = g_string_new (NULL);

  for (QsSeverity severity = 0; severity < QS_SEVERITY_UNKNOWN; severity++)
    {
      const char *name = qs_severity_get_css_class (severity);

      g_string_append_printf (css, "td.%s, .swatch.%s, .pair-metrics .%s "
                              "{ background: %s; color: #fff; }\n",
                              name, name, name, qs_severity_get_hex (severity));
    }

  return g_string_free (css, FALSE);
}

static char *
build_heat_gradient (void)
{
  GString *gradient = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (heat_anchors); i++)
    g_string_append_printf (gradient, "%s#%02x%02x%02x", i > 0 ? ", " : "",
                            heat_anchors[i][0], heat_anchors[i][1], heat_anchors[i][2]);

  return g_string_free (gradient, FALSE);
}

static cairo_status_t
append_png_data (void                *closure,
                 const unsigned char *data,
                 unsigned int         length)
{
  g_byte_array_append (closure, data, length);

  return CAIRO_STATUS_SUCCESS;
}

static char *
encode_png_base64 (cairo_surface_t  *surface,
                   GError          **error)
{
  g_autoptr(GByteArray) png = g_byte_array_new ();
  cairo_status_t status;

  status = cairo_surface_write_to_png_stream (surface, append_png_data, png);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Failed to encode an image as PNG: %s"),
                   cairo_status_to_string (status));
      return NULL;
    }

  return g_base64_encode (png->data, png->len);
}

static GListStore *
build_statistics_store (GPtrArray *statistics)
{
  GListStore *store = g_list_store_new (QS_TYPE_IMAGE_HTML_ITEM);

  for (guint i = 0; i < statistics->len; i++)
    {
      const StatEntry *entry = g_ptr_array_index (statistics, i);
      QsImageHtmlItem *item = html_item_new (severity_class (entry->severity), entry->value);

      set_escaped (&item->title, entry->label);
      set_escaped (&item->detail, entry->detail);
      append_item (store, item);
    }

  return store;
}

static GListStore *
build_unmatched_store (const ImageContent *content)
{
  GListStore *store = g_list_store_new (QS_TYPE_IMAGE_HTML_ITEM);
  GPtrArray *sides[] = { content->baseline_only, content->quantized_only };
  const char *titles[] = { content->baseline_only_title, content->quantized_only_title };

  for (guint s = 0; s < G_N_ELEMENTS (sides); s++)
    {
      QsImageHtmlItem *item;

      if (sides[s]->len == 0)
        continue;

      item = html_item_new (NULL, NULL);
      set_escaped (&item->title, titles[s]);
      for (guint i = 0; i < sides[s]->len; i++)
        append_item (item->items, html_item_new (NULL, g_ptr_array_index (sides[s], i)));
      append_item (store, item);
    }

  return store;
}

static GListStore *
build_failed_store (const ImageContent *content)
{
  GListStore *store = g_list_store_new (QS_TYPE_IMAGE_HTML_ITEM);

  for (guint i = 0; i < content->failed->len; i++)
    {
      const StatEntry *entry = g_ptr_array_index (content->failed, i);
      QsImageHtmlItem *item = html_item_new (NULL, entry->value);

      set_escaped (&item->title, entry->label);
      append_item (store, item);
    }

  return store;
}

static void
set_scale (TmplScope *scope)
{
  g_autoptr(GListStore) columns = g_list_store_new (QS_TYPE_IMAGE_HTML_ITEM);
  g_autoptr(GListStore) rows = g_list_store_new (QS_TYPE_IMAGE_HTML_ITEM);

  for (QsSeverity severity = 0; severity < QS_SEVERITY_UNKNOWN; severity++)
    append_item (columns, html_item_new (NULL, _(scale_titles[severity])));

  for (guint m = 0; m < G_N_ELEMENTS (scale_rows); m++)
    {
      QsImageHtmlItem *row = html_item_new (NULL, NULL);

      set_escaped (&row->title, _(scale_rows[m].metric));
      for (QsSeverity severity = 0; severity < QS_SEVERITY_UNKNOWN; severity++)
        append_item (row->items, html_item_new (qs_severity_get_css_class (severity),
                                                scale_rows[m].ranges[severity]));
      append_item (rows, row);
    }

  tmpl_scope_set_object (scope, "scale_columns", columns);
  tmpl_scope_set_object (scope, "scale_rows", rows);
}

static void
append_metric_cells (GListStore       *store,
                     const MetricCell *cells,
                     const char       *base_kind,
                     gboolean          with_labels)
{
  for (guint m = 0; m < N_METRICS; m++)
    {
      const char *severity = severity_class (cells[m].severity);
      g_autofree char *kind = NULL;
      QsImageHtmlItem *item;

      if (base_kind != NULL && severity != NULL)
        kind = g_strdup_printf ("%s %s", base_kind, severity);
      else
        kind = g_strdup (base_kind != NULL ? base_kind : severity);

      item = html_item_new (kind, cells[m].text);
      set_escaped (&item->title, with_labels ? _(metric_labels[m]) : cells[m].title);
      append_item (store, item);
    }
}

static GListStore *
build_rows_store (const ImageContent *content)
{
  GListStore *store = g_list_store_new (QS_TYPE_IMAGE_HTML_ITEM);

  for (guint i = 0; i < content->rows->len; i++)
    {
      const PairRow *row = &g_array_index (content->rows, PairRow, i);
      QsImageHtmlItem *item = html_item_new (NULL, NULL);

      item->id = g_strdup_printf ("%u", row->rank);
      set_escaped (&item->title, row->name);
      append_metric_cells (item->items, row->cells, "num", FALSE);
      append_item (store, item);
    }

  return store;
}

static GListStore *
build_worst_store (const ImageContent  *content,
                   GError             **error)
{
  g_autoptr(GListStore) store = g_list_store_new (QS_TYPE_IMAGE_HTML_ITEM);
  const char * const kinds[N_IMAGES] = { "baseline", "quantized", "heatmap" };
  const char * const alt_prefixes[N_IMAGES] = {
    _("Baseline render"),
    _("Quantized render"),
    _("Difference map"),
  };

  for (guint i = 0; i < content->worst->len; i++)
    {
      const WorstImages *images = &g_array_index (content->worst, WorstImages, i);
      const PairRow *row = &g_array_index (content->rows, PairRow, i);
      g_autoptr(QsImageHtmlItem) pair = html_item_new (NULL, NULL);

      pair->id = g_strdup_printf ("%u", row->rank);
      set_escaped (&pair->title, row->name);

      for (guint k = 0; k < N_IMAGES; k++)
        {
          cairo_surface_t *surface = images->surfaces[k];
          g_autoptr(QsImageHtmlItem) figure = NULL;
          g_autofree char *caption = NULL;
          g_autofree char *alt = NULL;

          alt = g_strdup_printf (_("%s of %s"), alt_prefixes[k], row->name);
          figure = html_item_new (kinds[k], alt);
          figure->src = encode_png_base64 (surface, error);
          if (figure->src == NULL)
            return NULL;
          figure->width = g_strdup_printf ("%d", cairo_image_surface_get_width (surface));
          figure->height = g_strdup_printf ("%d", cairo_image_surface_get_height (surface));

          if (images->width != (guint) cairo_image_surface_get_width (surface))
            caption = g_strdup_printf (_("%s (%u×%u, shown at %d×%d)"), _(image_captions[k]),
                                       images->width, images->height,
                                       cairo_image_surface_get_width (surface),
                                       cairo_image_surface_get_height (surface));
          else
            caption = g_strdup_printf ("%s (%u×%u)", _(image_captions[k]), images->width,
                                       images->height);
          set_escaped (&figure->title, caption);
          if (k == IMAGE_HEATMAP)
            set_escaped (&figure->detail, images->max_diff_text);

          append_item (pair->items, g_steal_pointer (&figure));
        }

      append_metric_cells (pair->entries, row->cells, NULL, TRUE);
      append_item (store, g_steal_pointer (&pair));
    }

  return g_steal_pointer (&store);
}

static char *
lookup_resource_text (const char  *name,
                      GError     **error)
{
  g_autofree char *path = g_strdup_printf ("%s/%s", RESOURCE_PATH, name);
  g_autoptr(GBytes) bytes = NULL;

  bytes = g_resource_lookup_data (qs_report_get_resource (), path,
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (bytes == NULL)
    return NULL;

  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static gboolean
set_content (TmplScope           *scope,
             const ImageContent  *content,
             GError             **error)
{
  g_autoptr(GListStore) statistics = build_statistics_store (content->statistics);
  g_autoptr(GListStore) unmatched = build_unmatched_store (content);
  g_autoptr(GListStore) failed = build_failed_store (content);
  g_autoptr(GListStore) rows = build_rows_store (content);
  g_autoptr(GListStore) worst = NULL;

  worst = build_worst_store (content, error);
  if (worst == NULL)
    return FALSE;

  scope_set_text (scope, "title", content->title);
  scope_set_text (scope, "baseline", content->baseline);
  scope_set_text (scope, "quantized", content->quantized);
  scope_set_text (scope, "date", content->date);
  scope_set_text (scope, "app_version", content->version);
  scope_set_text (scope, "lpips_note", _(LPIPS_NOTE));
  scope_set_text (scope, "scale_caption", content->scale_caption);
  scope_set_text (scope, "pairs_caption", content->pairs_caption);
  scope_set_text (scope, "worst_title", content->worst_title);
  scope_set_text (scope, "worst_caption", content->worst_caption);
  scope_set_text (scope, "footer", content->footer);

  tmpl_scope_set_object (scope, "statistics", statistics);
  tmpl_scope_set_object (scope, "unmatched", unmatched);
  tmpl_scope_set_boolean (scope, "has_failed", content->failed->len > 0);
  tmpl_scope_set_object (scope, "failed", failed);
  set_scale (scope);
  tmpl_scope_set_object (scope, "rows", rows);
  tmpl_scope_set_boolean (scope, "has_worst", content->worst->len > 0);
  tmpl_scope_set_object (scope, "worst", worst);

  return TRUE;
}

static char *
render_html (const ImageContent  *content,
             GError             **error)
{
  g_autoptr(TmplTemplate) template = NULL;
  g_autoptr(TmplScope) scope = NULL;
  g_autofree char *source = NULL;
  g_autofree char *css = NULL;
  g_autofree char *severity_css = NULL;
  g_autofree char *gradient = NULL;

  source = lookup_resource_text ("report-images.html", error);
  if (source == NULL)
    return NULL;
  css = lookup_resource_text ("report.css", error);
  if (css == NULL)
    return NULL;

  template = tmpl_template_new (NULL);
  if (!tmpl_template_parse_string (template, source, error))
    return NULL;

  severity_css = build_severity_css ();
  gradient = build_heat_gradient ();

  scope = tmpl_scope_new ();
  /* The style sheet is this program's own resource, so it is inserted as
   * it is, inside <style>. */
  tmpl_scope_set_string (scope, "css", css);
  tmpl_scope_set_string (scope, "severity_css", severity_css);
  tmpl_scope_set_string (scope, "heat_gradient", gradient);
  if (!set_content (scope, content, error))
    return NULL;

  return tmpl_template_expand_string (template, scope, error);
}

char *
qs_image_report_render_html (QsImageReport  *self,
                             GError        **error)
{
  g_autoptr(ImageContent) content = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  content = image_content_new (self);

  return render_html (content, error);
}

/* PDF pages */

/* Sizes in user units, which are points on a PDF page. They match the
 * pages of the analysis report. */
#define MARGIN_X          42.0
#define MARGIN_TOP        48.0
#define MARGIN_BOTTOM     54.0
#define TITLE_SIZE        20.0
#define SUBTITLE_SIZE     12.0
#define HEADING_SIZE      13.0
#define SUBHEADING_SIZE   9.5
#define BODY_SIZE         9.0
#define SMALL_SIZE        7.5
#define TABLE_SIZE        7.0
#define CELL_PADDING      4.0
#define TABLE_ROW_HEIGHT  13.0
#define TABLE_HEAD_HEIGHT 16.0

/* The worst-pair blocks: the gap between the three images, the tallest an
 * image may be drawn, so a block always fits on a page, and the heights of
 * the rows under the images. */
#define IMAGE_GAP         10.0
#define MAX_IMAGE_HEIGHT  250.0
#define PAIR_HEAD_HEIGHT  16.0
#define COLOUR_BAR_HEIGHT 6.0
#define PILL_HEIGHT       16.0

/* The names of unmatched files are drawn this many to a block, so a long
 * list flows across pages. */
#define NAMES_PER_BLOCK   20

typedef enum
{
  ITEM_TITLE,
  ITEM_HEADING,
  ITEM_SUBHEADING,
  ITEM_CAPTION,
  ITEM_NOTE,
  ITEM_NAMES,
  ITEM_STATISTICS,
  ITEM_SCALE,
  ITEM_TABLE_HEADER,
  ITEM_TABLE_ROW,
  ITEM_PAIR,
} ItemKind;

typedef struct
{
  ItemKind  kind;
  double    height;
  double    space_before;
  gboolean  keep_with_next;
  char     *text;
  guint     index;
  double    image_width;
  double    image_height;
} Item;

typedef struct
{
  guint  item;
  double y;
} Placement;

struct _QsImageReportLayout
{
  PangoContext *context;
  ImageContent *content;
  double        page_width;
  double        page_height;
  double        content_width;
  double        column_widths[2 + N_METRICS];
  GArray       *items;
  GPtrArray    *pages;
};

static void
item_clear (Item *item)
{
  g_free (item->text);
}

static const QsReportPalette *
print_palette (void)
{
  return qs_report_theme_get_palette (QS_REPORT_THEME_LIGHT);
}

static PangoLayout *
create_layout (QsImageReportLayout *self,
               const char          *family,
               double               size,
               PangoWeight          weight,
               const char          *text)
{
  return _qs_report_create_layout (self->context, family, size, weight, text);
}

static PangoLayout *
create_wrapped_layout (QsImageReportLayout *self,
                       const char          *family,
                       double               size,
                       PangoWeight          weight,
                       const char          *text,
                       double               width,
                       double              *height)
{
  PangoLayout *layout = create_layout (self, family, size, weight, text);

  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  if (height != NULL)
    _qs_report_layout_get_size (layout, NULL, height);

  return layout;
}

static void
show_layout (cairo_t     *cr,
             PangoLayout *layout,
             double       x,
             double       y)
{
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

static double
measure_text_width (QsImageReportLayout *self,
                    const char          *family,
                    double               size,
                    PangoWeight          weight,
                    const char          *text)
{
  g_autoptr(PangoLayout) layout = create_layout (self, family, size, weight, text);
  double width;

  _qs_report_layout_get_size (layout, &width, NULL);

  return width;
}

static Item *
add_item (QsImageReportLayout *self,
          ItemKind             kind,
          double               height,
          double               space_before)
{
  Item item = { 0 };

  item.kind = kind;
  item.height = height;
  item.space_before = space_before;
  g_array_append_val (self->items, item);

  return &g_array_index (self->items, Item, self->items->len - 1);
}

/* Text blocks */

static void
text_style (ItemKind     kind,
            const char **family,
            double      *size,
            PangoWeight *weight,
            double      *inset)
{
  *family = QS_REPORT_FONT_SANS;
  *size = BODY_SIZE;
  *weight = PANGO_WEIGHT_NORMAL;
  *inset = 0;

  switch (kind)
    {
    case ITEM_HEADING:
      *size = HEADING_SIZE;
      *weight = PANGO_WEIGHT_BOLD;
      break;
    case ITEM_SUBHEADING:
      *size = SUBHEADING_SIZE;
      *weight = PANGO_WEIGHT_BOLD;
      break;
    case ITEM_CAPTION:
      *size = SMALL_SIZE + 0.5;
      break;
    case ITEM_NAMES:
      *family = QS_REPORT_FONT_MONO;
      *size = SMALL_SIZE;
      break;
    case ITEM_NOTE:
      *inset = 8;
      break;
    default:
      break;
    }
}

static void
add_text_item (QsImageReportLayout *self,
               ItemKind             kind,
               const char          *text,
               double               space_before,
               gboolean             keep_with_next)
{
  g_autoptr(PangoLayout) layout = NULL;
  const char *family;
  double size, inset, height;
  PangoWeight weight;
  Item *item;

  text_style (kind, &family, &size, &weight, &inset);
  layout = create_wrapped_layout (self, family, size, weight, text,
                                  self->content_width - 2 * inset, &height);
  item = add_item (self, kind, height + 2 * inset, space_before);
  item->text = g_strdup (text);
  item->keep_with_next = keep_with_next;
}

static void
draw_text_item (QsImageReportLayout *self,
                cairo_t             *cr,
                const Item          *item,
                double               y)
{
  const QsReportPalette *palette = print_palette ();
  g_autoptr(PangoLayout) layout = NULL;
  QsReportRgb color = palette->text;
  const char *family;
  double size, inset;
  PangoWeight weight;

  text_style (item->kind, &family, &size, &weight, &inset);

  switch (item->kind)
    {
    case ITEM_SUBHEADING:
    case ITEM_CAPTION:
      color = palette->muted;
      break;
    case ITEM_NOTE:
      _qs_report_set_source_rgb (cr, palette->surface);
      _qs_report_rounded_rect (cr, MARGIN_X, y, self->content_width, item->height, 4);
      cairo_fill (cr);
      break;
    default:
      break;
    }

  layout = create_wrapped_layout (self, family, size, weight, item->text,
                                  self->content_width - 2 * inset, NULL);
  _qs_report_set_source_rgb (cr, color);
  show_layout (cr, layout, MARGIN_X + inset, y + inset);
}

static char *
subtitle_text (const ImageContent *content)
{
  return g_strdup_printf (_("%s vs %s"), content->baseline, content->quantized);
}

static double
title_height (QsImageReportLayout *self)
{
  g_autoptr(PangoLayout) title = NULL;
  g_autoptr(PangoLayout) subtitle = NULL;
  g_autofree char *text = subtitle_text (self->content);
  double height, subtitle_height;

  title = create_layout (self, QS_REPORT_FONT_SANS, TITLE_SIZE, PANGO_WEIGHT_BOLD,
                         self->content->title);
  _qs_report_layout_get_size (title, NULL, &height);
  subtitle = create_wrapped_layout (self, QS_REPORT_FONT_SANS, SUBTITLE_SIZE, PANGO_WEIGHT_NORMAL,
                                    text, self->content_width, &subtitle_height);

  return height + 4 + subtitle_height + 3 + BODY_SIZE * 1.3;
}

static void
draw_title (QsImageReportLayout *self,
            cairo_t             *cr,
            double               y)
{
  const QsReportPalette *palette = print_palette ();
  g_autoptr(PangoLayout) title = NULL;
  g_autoptr(PangoLayout) subtitle = NULL;
  g_autoptr(PangoLayout) date = NULL;
  g_autofree char *text = subtitle_text (self->content);
  g_autofree char *date_text = NULL;
  double height;

  title = create_layout (self, QS_REPORT_FONT_SANS, TITLE_SIZE, PANGO_WEIGHT_BOLD,
                         self->content->title);
  _qs_report_set_source_rgb (cr, palette->text);
  show_layout (cr, title, MARGIN_X, y);
  _qs_report_layout_get_size (title, NULL, &height);
  y += height + 4;

  subtitle = create_wrapped_layout (self, QS_REPORT_FONT_SANS, SUBTITLE_SIZE, PANGO_WEIGHT_NORMAL,
                                    text, self->content_width, &height);
  show_layout (cr, subtitle, MARGIN_X, y);
  y += height + 3;

  date_text = g_strdup_printf (_("Written %s · Quantscope %s"), self->content->date,
                               self->content->version);
  date = create_layout (self, QS_REPORT_FONT_SANS, BODY_SIZE, PANGO_WEIGHT_NORMAL, date_text);
  _qs_report_set_source_rgb (cr, palette->muted);
  show_layout (cr, date, MARGIN_X, y);
}

/* The statistics, as label, value and detail in a grid of three columns */

#define STAT_COLUMNS 3
#define SWATCH_SIZE  8.0

static double
statistics_row_height (QsImageReportLayout *self,
                       guint                first)
{
  GPtrArray *statistics = self->content->statistics;
  double cell_width = self->content_width / STAT_COLUMNS - 8;
  double row_height = 0;

  for (guint i = first; i < MIN (first + STAT_COLUMNS, statistics->len); i++)
    {
      const StatEntry *entry = g_ptr_array_index (statistics, i);
      double height = SMALL_SIZE * 1.3 + BODY_SIZE * 1.3;

      if (entry->detail != NULL)
        {
          g_autoptr(PangoLayout) detail = NULL;
          double detail_height;

          detail = create_wrapped_layout (self, QS_REPORT_FONT_MONO, SMALL_SIZE,
                                          PANGO_WEIGHT_NORMAL, entry->detail, cell_width,
                                          &detail_height);
          height += detail_height;
        }
      row_height = MAX (row_height, height);
    }

  return row_height + 6;
}

static void
add_statistics_item (QsImageReportLayout *self)
{
  GPtrArray *statistics = self->content->statistics;
  double height = 0;

  for (guint first = 0; first < statistics->len; first += STAT_COLUMNS)
    height += statistics_row_height (self, first);

  add_item (self, ITEM_STATISTICS, height, 6);
}

static void
draw_statistics (QsImageReportLayout *self,
                 cairo_t             *cr,
                 double               y)
{
  const QsReportPalette *palette = print_palette ();
  GPtrArray *statistics = self->content->statistics;
  double column_width = self->content_width / STAT_COLUMNS;

  for (guint first = 0; first < statistics->len; first += STAT_COLUMNS)
    {
      double row_height = statistics_row_height (self, first);

      for (guint i = first; i < MIN (first + STAT_COLUMNS, statistics->len); i++)
        {
          const StatEntry *entry = g_ptr_array_index (statistics, i);
          double x = MARGIN_X + (i - first) * column_width;
          double value_x = x;
          g_autoptr(PangoLayout) label = NULL;
          g_autoptr(PangoLayout) value = NULL;

          label = create_layout (self, QS_REPORT_FONT_SANS, SMALL_SIZE, PANGO_WEIGHT_NORMAL,
                                 entry->label);
          pango_layout_set_width (label, (int) ((column_width - 8) * PANGO_SCALE));
          pango_layout_set_ellipsize (label, PANGO_ELLIPSIZE_END);
          _qs_report_set_source_rgb (cr, palette->muted);
          show_layout (cr, label, x, y);

          if (entry->severity != QS_SEVERITY_UNKNOWN)
            {
              _qs_report_set_source_rgb (cr, qs_severity_get_rgb (entry->severity));
              _qs_report_rounded_rect (cr, x, y + SMALL_SIZE * 1.3 + 2.5, SWATCH_SIZE,
                                       SWATCH_SIZE, 1.5);
              cairo_fill (cr);
              value_x += SWATCH_SIZE + 4;
            }

          value = create_layout (self, QS_REPORT_FONT_SANS, BODY_SIZE, PANGO_WEIGHT_NORMAL,
                                 entry->value);
          _qs_report_set_source_rgb (cr, palette->text);
          show_layout (cr, value, value_x, y + SMALL_SIZE * 1.3);

          if (entry->detail != NULL)
            {
              g_autoptr(PangoLayout) detail = NULL;

              detail = create_wrapped_layout (self, QS_REPORT_FONT_MONO, SMALL_SIZE,
                                              PANGO_WEIGHT_NORMAL, entry->detail,
                                              column_width - 8, NULL);
              _qs_report_set_source_rgb (cr, palette->muted);
              show_layout (cr, detail, x, y + SMALL_SIZE * 1.3 + BODY_SIZE * 1.3);
            }
        }

      y += row_height;
    }
}

/* The colour scale: one row per metric, one coloured cell per step */

static double
scale_metric_width (QsImageReportLayout *self)
{
  double width = 0;

  for (guint m = 0; m < G_N_ELEMENTS (scale_rows); m++)
    width = MAX (width, measure_text_width (self, QS_REPORT_FONT_SANS, TABLE_SIZE,
                                            PANGO_WEIGHT_BOLD, _(scale_rows[m].metric)));

  return ceil (width + 2 * CELL_PADDING);
}

static void
draw_cell (QsImageReportLayout *self,
           cairo_t             *cr,
           const char          *text,
           const char          *family,
           PangoWeight          weight,
           PangoAlignment       alignment,
           PangoEllipsizeMode   ellipsize,
           QsReportRgb          color,
           double               x,
           double               y,
           double               width,
           double               height)
{
  g_autoptr(PangoLayout) layout = create_layout (self, family, TABLE_SIZE, weight, text);
  double text_height;

  pango_layout_set_width (layout, (int) (MAX (width - 2 * CELL_PADDING, 1) * PANGO_SCALE));
  pango_layout_set_ellipsize (layout, ellipsize);
  pango_layout_set_alignment (layout, alignment);
  _qs_report_layout_get_size (layout, NULL, &text_height);
  _qs_report_set_source_rgb (cr, color);
  show_layout (cr, layout, x + CELL_PADDING, y + (height - text_height) / 2);
}

static void
draw_scale (QsImageReportLayout *self,
            cairo_t             *cr,
            double               y)
{
  const QsReportPalette *palette = print_palette ();
  const QsReportRgb white = { 1, 1, 1 };
  double metric_width = scale_metric_width (self);
  double step_width = (self->content_width - metric_width) / QS_SEVERITY_UNKNOWN;

  _qs_report_set_source_rgb (cr, palette->surface);
  cairo_rectangle (cr, MARGIN_X, y, self->content_width, TABLE_HEAD_HEIGHT);
  cairo_fill (cr);
  draw_cell (self, cr, "Metric", QS_REPORT_FONT_SANS, PANGO_WEIGHT_BOLD, PANGO_ALIGN_LEFT,
             PANGO_ELLIPSIZE_END, palette->text, MARGIN_X, y, metric_width, TABLE_HEAD_HEIGHT);
  for (QsSeverity severity = 0; severity < QS_SEVERITY_UNKNOWN; severity++)
    draw_cell (self, cr, _(scale_titles[severity]), QS_REPORT_FONT_SANS, PANGO_WEIGHT_BOLD,
               PANGO_ALIGN_RIGHT, PANGO_ELLIPSIZE_END, palette->text,
               MARGIN_X + metric_width + severity * step_width, y, step_width, TABLE_HEAD_HEIGHT);
  y += TABLE_HEAD_HEIGHT;

  for (guint m = 0; m < G_N_ELEMENTS (scale_rows); m++)
    {
      draw_cell (self, cr, _(scale_rows[m].metric), QS_REPORT_FONT_SANS, PANGO_WEIGHT_BOLD,
                 PANGO_ALIGN_LEFT, PANGO_ELLIPSIZE_END, palette->text, MARGIN_X, y, metric_width,
                 TABLE_ROW_HEIGHT);

      for (QsSeverity severity = 0; severity < QS_SEVERITY_UNKNOWN; severity++)
        {
          double x = MARGIN_X + metric_width + severity * step_width;

          _qs_report_set_source_rgb (cr, qs_severity_get_rgb (severity));
          cairo_rectangle (cr, x + 0.5, y + 0.5, step_width - 1, TABLE_ROW_HEIGHT - 1);
          cairo_fill (cr);
          draw_cell (self, cr, scale_rows[m].ranges[severity], QS_REPORT_FONT_MONO,
                     PANGO_WEIGHT_NORMAL, PANGO_ALIGN_RIGHT, PANGO_ELLIPSIZE_END, white, x, y,
                     step_width, TABLE_ROW_HEIGHT);
        }
      y += TABLE_ROW_HEIGHT;
    }
}

/* The table of every pair. The widths are chosen once: the rank and the
 * metric columns fit their widest cell, and the file name takes what is
 * left and is elided in the middle where it does not fit. */

static const char * const table_titles[2 + N_METRICS] = {
  "#", N_("File"), "PSNR", "SSIM", "MAE", N_("Max diff"),
};

static void
layout_table (QsImageReportLayout *self)
{
  double fixed = 0;

  for (guint c = 0; c < G_N_ELEMENTS (table_titles); c++)
    {
      double width = measure_text_width (self, QS_REPORT_FONT_SANS, TABLE_SIZE, PANGO_WEIGHT_BOLD,
                                         _(table_titles[c]));

      /* Column 1, the file name, is sized last. */
      if (c == 1)
        continue;

      for (guint r = 0; r < self->content->rows->len; r++)
        {
          const PairRow *row = &g_array_index (self->content->rows, PairRow, r);
          g_autofree char *rank = g_strdup_printf ("%u", row->rank);
          const char *text = c == 0 ? rank : row->cells[c - 2].text;

          width = MAX (width, measure_text_width (self, QS_REPORT_FONT_MONO, TABLE_SIZE,
                                                  PANGO_WEIGHT_NORMAL, text));
        }

      self->column_widths[c] = ceil (width + 2 * CELL_PADDING);
      fixed += self->column_widths[c];
    }

  self->column_widths[1] = MAX (self->content_width - fixed, 60);
}

static void
draw_table_header (QsImageReportLayout *self,
                   cairo_t             *cr,
                   double               y)
{
  const QsReportPalette *palette = print_palette ();
  double x = MARGIN_X;

  _qs_report_set_source_rgb (cr, palette->surface);
  cairo_rectangle (cr, MARGIN_X, y, self->content_width, TABLE_HEAD_HEIGHT);
  cairo_fill (cr);

  for (guint c = 0; c < G_N_ELEMENTS (table_titles); c++)
    {
      draw_cell (self, cr, _(table_titles[c]), QS_REPORT_FONT_SANS, PANGO_WEIGHT_BOLD,
                 c == 1 ? PANGO_ALIGN_LEFT : PANGO_ALIGN_RIGHT, PANGO_ELLIPSIZE_END, palette->text,
                 x, y, self->column_widths[c], TABLE_HEAD_HEIGHT);
      x += self->column_widths[c];
    }

  _qs_report_set_source_rgb (cr, palette->border);
  cairo_set_line_width (cr, 0.8);
  cairo_move_to (cr, MARGIN_X, y + TABLE_HEAD_HEIGHT);
  cairo_line_to (cr, MARGIN_X + self->content_width, y + TABLE_HEAD_HEIGHT);
  cairo_stroke (cr);
}

static void
draw_table_row (QsImageReportLayout *self,
                cairo_t             *cr,
                guint                index,
                double               y)
{
  const QsReportPalette *palette = print_palette ();
  const QsReportRgb white = { 1, 1, 1 };
  const PairRow *row = &g_array_index (self->content->rows, PairRow, index);
  g_autofree char *rank = g_strdup_printf ("%u", row->rank);
  double x = MARGIN_X;

  if (index % 2 == 1)
    {
      _qs_report_set_source_rgb (cr, palette->stripe);
      cairo_rectangle (cr, MARGIN_X, y, self->content_width, TABLE_ROW_HEIGHT);
      cairo_fill (cr);
    }

  draw_cell (self, cr, rank, QS_REPORT_FONT_MONO, PANGO_WEIGHT_NORMAL, PANGO_ALIGN_RIGHT,
             PANGO_ELLIPSIZE_END, palette->muted, x, y, self->column_widths[0], TABLE_ROW_HEIGHT);
  x += self->column_widths[0];
  draw_cell (self, cr, row->name, QS_REPORT_FONT_SANS, PANGO_WEIGHT_NORMAL, PANGO_ALIGN_LEFT,
             PANGO_ELLIPSIZE_MIDDLE, palette->text, x, y, self->column_widths[1], TABLE_ROW_HEIGHT);
  x += self->column_widths[1];

  for (guint m = 0; m < N_METRICS; m++)
    {
      double width = self->column_widths[2 + m];
      QsReportRgb color = palette->text;

      if (row->cells[m].severity != QS_SEVERITY_UNKNOWN)
        {
          _qs_report_set_source_rgb (cr, qs_severity_get_rgb (row->cells[m].severity));
          cairo_rectangle (cr, x + 0.5, y + 0.5, width - 1, TABLE_ROW_HEIGHT - 1);
          cairo_fill (cr);
          color = white;
        }
      draw_cell (self, cr, row->cells[m].text, QS_REPORT_FONT_MONO, PANGO_WEIGHT_NORMAL,
                 PANGO_ALIGN_RIGHT, PANGO_ELLIPSIZE_END, color, x, y, width, TABLE_ROW_HEIGHT);
      x += width;
    }

  _qs_report_set_source_rgb (cr, palette->border);
  cairo_set_line_width (cr, 0.3);
  cairo_move_to (cr, MARGIN_X, y + TABLE_ROW_HEIGHT);
  cairo_line_to (cr, MARGIN_X + self->content_width, y + TABLE_ROW_HEIGHT);
  cairo_stroke (cr);
}

/* The worst pairs: a heading, the three images side by side at one scale,
 * their captions, the colour bar under the difference map and the metrics
 * as coloured pills. */

static double
image_column_width (QsImageReportLayout *self)
{
  return (self->content_width - 2 * IMAGE_GAP) / N_IMAGES;
}

static double
pair_below_images_height (void)
{
  return 4 + SMALL_SIZE * 1.4 + 3 + COLOUR_BAR_HEIGHT + SMALL_SIZE * 1.4 + 6 + PILL_HEIGHT + 12;
}

static void
add_pair_item (QsImageReportLayout *self,
               guint                index)
{
  const WorstImages *images = &g_array_index (self->content->worst, WorstImages, index);
  double column_width = image_column_width (self);
  double scale = MIN (column_width / images->width, MAX_IMAGE_HEIGHT / images->height);
  Item *item;

  item = add_item (self, ITEM_PAIR, 0, index == 0 ? 6 : 4);
  item->index = index;
  item->image_width = images->width * scale;
  item->image_height = images->height * scale;
  item->height = PAIR_HEAD_HEIGHT + item->image_height + pair_below_images_height ();
}

static void
draw_image (cairo_t         *cr,
            cairo_surface_t *surface,
            cairo_filter_t   filter,
            double           x,
            double           y,
            double           width,
            double           height)
{
  cairo_pattern_t *pattern;

  cairo_save (cr);
  cairo_translate (cr, x, y);
  cairo_scale (cr, width / cairo_image_surface_get_width (surface),
               height / cairo_image_surface_get_height (surface));
  cairo_set_source_surface (cr, surface, 0, 0);
  pattern = cairo_get_source (cr);
  cairo_pattern_set_filter (pattern, filter);
  cairo_pattern_set_extend (pattern, CAIRO_EXTEND_PAD);
  cairo_rectangle (cr, 0, 0, cairo_image_surface_get_width (surface),
                   cairo_image_surface_get_height (surface));
  cairo_fill (cr);
  cairo_restore (cr);
}

static void
draw_colour_bar (QsImageReportLayout *self,
                 cairo_t             *cr,
                 const char          *max_text,
                 double               x,
                 double               y,
                 double               width)
{
  const QsReportPalette *palette = print_palette ();
  g_autoptr(PangoLayout) low = NULL;
  g_autoptr(PangoLayout) high = NULL;
  cairo_pattern_t *gradient;
  double high_width;

  gradient = cairo_pattern_create_linear (x, 0, x + width, 0);
  for (guint i = 0; i < G_N_ELEMENTS (heat_anchors); i++)
    cairo_pattern_add_color_stop_rgb (gradient, (double) i / (G_N_ELEMENTS (heat_anchors) - 1),
                                      heat_anchors[i][0] / 255.0, heat_anchors[i][1] / 255.0,
                                      heat_anchors[i][2] / 255.0);
  cairo_set_source (cr, gradient);
  cairo_rectangle (cr, x, y, width, COLOUR_BAR_HEIGHT);
  cairo_fill (cr);
  cairo_pattern_destroy (gradient);

  low = create_layout (self, QS_REPORT_FONT_MONO, SMALL_SIZE - 0.5, PANGO_WEIGHT_NORMAL, "0");
  high = create_layout (self, QS_REPORT_FONT_MONO, SMALL_SIZE - 0.5, PANGO_WEIGHT_NORMAL, max_text);
  _qs_report_layout_get_size (high, &high_width, NULL);
  _qs_report_set_source_rgb (cr, palette->muted);
  show_layout (cr, low, x, y + COLOUR_BAR_HEIGHT + 1);
  show_layout (cr, high, x + width - high_width, y + COLOUR_BAR_HEIGHT + 1);
}

static void
draw_pair (QsImageReportLayout *self,
           cairo_t             *cr,
           const Item          *item,
           double               y)
{
  const QsReportPalette *palette = print_palette ();
  const WorstImages *images = &g_array_index (self->content->worst, WorstImages, item->index);
  const PairRow *row = &g_array_index (self->content->rows, PairRow, item->index);
  double column_width = image_column_width (self);
  g_autofree char *heading = g_strdup_printf ("#%u  %s", row->rank, row->name);
  g_autoptr(PangoLayout) title = NULL;
  double pill_x = MARGIN_X;
  double pill_y;

  title = create_layout (self, QS_REPORT_FONT_SANS, BODY_SIZE + 0.5, PANGO_WEIGHT_BOLD, heading);
  pango_layout_set_width (title, (int) (self->content_width * PANGO_SCALE));
  pango_layout_set_ellipsize (title, PANGO_ELLIPSIZE_MIDDLE);
  _qs_report_set_source_rgb (cr, palette->text);
  show_layout (cr, title, MARGIN_X, y);
  y += PAIR_HEAD_HEIGHT;

  for (guint k = 0; k < N_IMAGES; k++)
    {
      double x = MARGIN_X + k * (column_width + IMAGE_GAP);
      g_autoptr(PangoLayout) caption = NULL;

      /* The difference map keeps its pixels square and sharp, so single
       * changed pixels stay visible. The renders are smoothed. */
      draw_image (cr, images->surfaces[k], k == IMAGE_HEATMAP ? CAIRO_FILTER_NEAREST
                                                              : CAIRO_FILTER_GOOD,
                  x, y, item->image_width, item->image_height);
      _qs_report_set_source_rgb (cr, palette->border);
      cairo_set_line_width (cr, 0.5);
      cairo_rectangle (cr, x, y, item->image_width, item->image_height);
      cairo_stroke (cr);

      caption = create_layout (self, QS_REPORT_FONT_SANS, SMALL_SIZE, PANGO_WEIGHT_NORMAL,
                               _(image_captions[k]));
      _qs_report_set_source_rgb (cr, palette->muted);
      show_layout (cr, caption, x, y + item->image_height + 4);

      if (k == IMAGE_HEATMAP)
        draw_colour_bar (self, cr, images->max_diff_text, x,
                         y + item->image_height + 4 + SMALL_SIZE * 1.4 + 3,
                         MIN (item->image_width, column_width));
    }

  pill_y = y + item->image_height + pair_below_images_height () - 12 - PILL_HEIGHT;
  for (guint m = 0; m < N_METRICS; m++)
    {
      g_autofree char *text = g_strdup_printf ("%s  %s", _(metric_labels[m]), row->cells[m].text);
      g_autoptr(PangoLayout) layout = create_layout (self, QS_REPORT_FONT_SANS, SMALL_SIZE + 0.5,
                                                     PANGO_WEIGHT_BOLD, text);
      double width, height;

      _qs_report_layout_get_size (layout, &width, &height);
      _qs_report_set_source_rgb (cr, qs_severity_get_rgb (row->cells[m].severity));
      _qs_report_rounded_rect (cr, pill_x, pill_y, width + 16, PILL_HEIGHT, 4);
      cairo_fill (cr);
      cairo_set_source_rgb (cr, 1, 1, 1);
      show_layout (cr, layout, pill_x + 8, pill_y + (PILL_HEIGHT - height) / 2);
      pill_x += width + 16 + 6;
    }
}

/* Building the block list */

static void
add_names_items (QsImageReportLayout *self,
                 const char          *title,
                 GPtrArray           *names)
{
  if (names->len == 0)
    return;

  add_text_item (self, ITEM_SUBHEADING, title, 10, TRUE);
  for (guint first = 0; first < names->len; first += NAMES_PER_BLOCK)
    {
      g_autoptr(GString) text = g_string_new (NULL);

      for (guint i = first; i < MIN (first + NAMES_PER_BLOCK, names->len); i++)
        g_string_append_printf (text, "%s%s", i > first ? "  ·  " : "",
                                (const char *) g_ptr_array_index (names, i));
      add_text_item (self, ITEM_NAMES, text->str, first == 0 ? 3 : 0, FALSE);
    }
}

static void
build_items (QsImageReportLayout *self)
{
  ImageContent *content = self->content;
  Item *item;

  add_item (self, ITEM_TITLE, title_height (self), 0);

  add_text_item (self, ITEM_HEADING, _("Summary"), 16, TRUE);
  add_statistics_item (self);
  add_names_items (self, content->baseline_only_title, content->baseline_only);
  add_names_items (self, content->quantized_only_title, content->quantized_only);

  if (content->failed->len > 0)
    add_text_item (self, ITEM_SUBHEADING, _("Pairs that could not be compared"), 10, TRUE);
  for (guint i = 0; i < content->failed->len; i++)
    {
      const StatEntry *failed = g_ptr_array_index (content->failed, i);
      g_autofree char *text = g_strdup_printf ("%s: %s", failed->label, failed->value);

      add_text_item (self, ITEM_CAPTION, text, i == 0 ? 3 : 1, FALSE);
    }
  add_text_item (self, ITEM_NOTE, _(LPIPS_NOTE), 10, FALSE);

  add_text_item (self, ITEM_HEADING, _("Colour scale"), 16, TRUE);
  add_text_item (self, ITEM_CAPTION, content->scale_caption, 2, TRUE);
  add_item (self, ITEM_SCALE, TABLE_HEAD_HEIGHT + G_N_ELEMENTS (scale_rows) * TABLE_ROW_HEIGHT, 6);

  add_text_item (self, ITEM_HEADING, _("Pairs by SSIM"), 16, TRUE);
  add_text_item (self, ITEM_CAPTION, content->pairs_caption, 2, TRUE);
  item = add_item (self, ITEM_TABLE_HEADER, TABLE_HEAD_HEIGHT, 6);
  item->keep_with_next = content->rows->len > 0;
  for (guint r = 0; r < content->rows->len; r++)
    {
      item = add_item (self, ITEM_TABLE_ROW, TABLE_ROW_HEIGHT, 0);
      item->index = r;
    }

  if (content->worst->len > 0)
    {
      add_text_item (self, ITEM_HEADING, content->worst_title, 16, TRUE);
      add_text_item (self, ITEM_CAPTION, content->worst_caption, 2, TRUE);
      for (guint i = 0; i < content->worst->len; i++)
        add_pair_item (self, i);
    }
}

/* Pagination: blocks flow down the page, and a block that does not fit
 * starts a new page. A heading stays with what follows it, and a table
 * row that starts a page gets the table header repeated above it. */

static double
chain_height (QsImageReportLayout *self,
              guint                first)
{
  double height = 0;

  for (guint i = first; i < self->items->len; i++)
    {
      const Item *item = &g_array_index (self->items, Item, i);

      height += item->height + (i > first ? item->space_before : 0);
      if (!item->keep_with_next)
        break;
    }

  return height;
}

static GArray *
new_page (QsImageReportLayout *self)
{
  GArray *page = g_array_new (FALSE, FALSE, sizeof (Placement));

  g_ptr_array_add (self->pages, page);

  return page;
}

static guint
find_table_header (QsImageReportLayout *self)
{
  for (guint i = 0; i < self->items->len; i++)
    if (g_array_index (self->items, Item, i).kind == ITEM_TABLE_HEADER)
      return i;

  g_assert_not_reached ();
}

static void
paginate (QsImageReportLayout *self)
{
  double bottom = self->page_height - MARGIN_BOTTOM;
  GArray *page = new_page (self);
  double y = MARGIN_TOP;

  for (guint i = 0; i < self->items->len; i++)
    {
      const Item *item = &g_array_index (self->items, Item, i);
      gboolean empty = page->len == 0;
      double space = empty ? 0 : item->space_before;
      Placement placement;

      if (!empty && y + space + chain_height (self, i) > bottom)
        {
          page = new_page (self);
          y = MARGIN_TOP;
          space = 0;
          empty = TRUE;
        }

      if (empty && item->kind == ITEM_TABLE_ROW)
        {
          Placement header = { find_table_header (self), y };

          g_array_append_val (page, header);
          y += TABLE_HEAD_HEIGHT;
        }

      y += space;
      placement.item = i;
      placement.y = y;
      g_array_append_val (page, placement);
      y += item->height;
    }
}

QsImageReportLayout *
qs_image_report_layout_new (QsImageReport *report,
                            double         page_width,
                            double         page_height,
                            PangoContext  *context)
{
  QsImageReportLayout *self;

  g_return_val_if_fail (report != NULL, NULL);
  g_return_val_if_fail (page_width > 2 * MARGIN_X + 100, NULL);
  /* Every block must fit on one page: the tallest is a worst pair. */
  g_return_val_if_fail (page_height > MARGIN_TOP + MARGIN_BOTTOM + PAIR_HEAD_HEIGHT
                                      + MAX_IMAGE_HEIGHT + pair_below_images_height (), NULL);
  g_return_val_if_fail (context == NULL || PANGO_IS_CONTEXT (context), NULL);

  self = g_new0 (QsImageReportLayout, 1);
  if (context != NULL)
    {
      self->context = g_object_ref (context);
    }
  else
    {
      cairo_font_options_t *options = cairo_font_options_create ();

      /* Unhinted metrics measure text the same at every resolution, so the
       * layout made here fits on any surface the pages are drawn on. */
      self->context = pango_font_map_create_context (pango_cairo_font_map_get_default ());
      cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
      cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
      pango_cairo_context_set_font_options (self->context, options);
      cairo_font_options_destroy (options);
    }

  self->content = image_content_new (report);
  self->page_width = page_width;
  self->page_height = page_height;
  self->content_width = page_width - 2 * MARGIN_X;
  self->items = g_array_new (FALSE, TRUE, sizeof (Item));
  g_array_set_clear_func (self->items, (GDestroyNotify) item_clear);
  self->pages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);

  layout_table (self);
  build_items (self);
  paginate (self);

  return self;
}

void
qs_image_report_layout_free (QsImageReportLayout *self)
{
  if (self == NULL)
    return;

  g_clear_object (&self->context);
  image_content_free (self->content);
  g_array_unref (self->items);
  g_ptr_array_unref (self->pages);
  g_free (self);
}

guint
qs_image_report_layout_get_n_pages (QsImageReportLayout *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->pages->len;
}

static void
draw_page_frame (QsImageReportLayout *self,
                 cairo_t             *cr,
                 guint                page)
{
  const QsReportPalette *palette = print_palette ();
  g_autofree char *number = g_strdup_printf (_("Page %u of %u"), page + 1, self->pages->len);
  g_autofree char *subtitle = subtitle_text (self->content);
  g_autofree char *running = g_strdup_printf ("%s · %s", self->content->title, subtitle);
  g_autoptr(PangoLayout) footer = NULL;
  g_autoptr(PangoLayout) title = NULL;
  double width;
  double footer_y = self->page_height - MARGIN_BOTTOM + 22;

  _qs_report_set_source_rgb (cr, palette->border);
  cairo_set_line_width (cr, 0.5);
  cairo_move_to (cr, MARGIN_X, footer_y - 6);
  cairo_line_to (cr, self->page_width - MARGIN_X, footer_y - 6);
  cairo_stroke (cr);

  footer = create_layout (self, QS_REPORT_FONT_SANS, SMALL_SIZE, PANGO_WEIGHT_NORMAL, number);
  _qs_report_layout_get_size (footer, &width, NULL);
  _qs_report_set_source_rgb (cr, palette->muted);
  show_layout (cr, footer, self->page_width - MARGIN_X - width, footer_y);

  title = create_layout (self, QS_REPORT_FONT_SANS, SMALL_SIZE, PANGO_WEIGHT_NORMAL, running);
  pango_layout_set_width (title, (int) ((self->content_width - width - 24) * PANGO_SCALE));
  pango_layout_set_ellipsize (title, PANGO_ELLIPSIZE_MIDDLE);
  show_layout (cr, title, MARGIN_X, footer_y);
}

static void
draw_item (QsImageReportLayout *self,
           cairo_t             *cr,
           const Item          *item,
           double               y)
{
  switch (item->kind)
    {
    case ITEM_TITLE:
      draw_title (self, cr, y);
      break;
    case ITEM_HEADING:
    case ITEM_SUBHEADING:
    case ITEM_CAPTION:
    case ITEM_NOTE:
    case ITEM_NAMES:
      draw_text_item (self, cr, item, y);
      break;
    case ITEM_STATISTICS:
      draw_statistics (self, cr, y);
      break;
    case ITEM_SCALE:
      draw_scale (self, cr, y);
      break;
    case ITEM_TABLE_HEADER:
      draw_table_header (self, cr, y);
      break;
    case ITEM_TABLE_ROW:
      draw_table_row (self, cr, item->index, y);
      break;
    case ITEM_PAIR:
      draw_pair (self, cr, item, y);
      break;
    default:
      g_assert_not_reached ();
    }
}

void
qs_image_report_layout_draw_page (QsImageReportLayout *self,
                                  cairo_t             *cr,
                                  guint                page)
{
  GArray *placements;

  g_return_if_fail (self != NULL);
  g_return_if_fail (cr != NULL);
  g_return_if_fail (page < self->pages->len);

  placements = g_ptr_array_index (self->pages, page);

  cairo_save (cr);
  _qs_report_set_source_rgb (cr, print_palette ()->background);
  cairo_rectangle (cr, 0, 0, self->page_width, self->page_height);
  cairo_fill (cr);

  for (guint i = 0; i < placements->len; i++)
    {
      const Placement *placement = &g_array_index (placements, Placement, i);

      cairo_save (cr);
      draw_item (self, cr, &g_array_index (self->items, Item, placement->item), placement->y);
      cairo_restore (cr);
    }

  draw_page_frame (self, cr, page);
  cairo_restore (cr);
}

/* Writing */

static cairo_status_t
append_pdf_data (void                *closure,
                 const unsigned char *data,
                 unsigned int         length)
{
  g_byte_array_append (closure, data, length);

  return CAIRO_STATUS_SUCCESS;
}

/* Draws every page into memory. The document is written to disk in one
 * step afterwards, so no partial file is left when drawing fails. */
static GByteArray *
draw_pdf (QsImageReport  *self,
          const char     *path,
          GError        **error)
{
  g_autoptr(QsImageReportLayout) layout = NULL;
  g_autoptr(GByteArray) pdf = g_byte_array_new ();
  g_autofree char *subtitle = NULL;
  g_autofree char *title = NULL;
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;
  guint n_pages;

  layout = qs_image_report_layout_new (self, QS_REPORT_A4_WIDTH, QS_REPORT_A4_HEIGHT, NULL);
  n_pages = qs_image_report_layout_get_n_pages (layout);

  surface = cairo_pdf_surface_create_for_stream (append_pdf_data, pdf, QS_REPORT_A4_WIDTH,
                                                 QS_REPORT_A4_HEIGHT);
  subtitle = subtitle_text (layout->content);
  title = g_strdup_printf ("%s: %s", layout->content->title, subtitle);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, title);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Quantscope " PACKAGE_VERSION);

  cr = cairo_create (surface);
  for (guint page = 0; page < n_pages; page++)
    {
      cairo_save (cr);
      qs_image_report_layout_draw_page (layout, cr, page);
      cairo_restore (cr);
      cairo_show_page (cr);
    }
  status = cairo_status (cr);
  cairo_destroy (cr);

  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);

  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Failed to draw the PDF report “%s”: %s"), path,
                   cairo_status_to_string (status));
      return NULL;
    }

  return g_steal_pointer (&pdf);
}

gboolean
qs_image_report_write (QsImageReport   *self,
                       QsReportFormat   format,
                       const char      *path,
                       GError         **error)
{
  g_autoptr(GByteArray) pdf = NULL;
  g_autofree char *html = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *data;
  gssize length;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (format == QS_REPORT_FORMAT_PDF)
    {
      pdf = draw_pdf (self, path, error);
      if (pdf == NULL)
        return FALSE;
      data = (const char *) pdf->data;
      length = (gssize) pdf->len;
    }
  else
    {
      html = qs_image_report_render_html (self, &local_error);
      if (html == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       _("Failed to render the HTML report “%s”: %s"), path, local_error->message);
          return FALSE;
        }
      data = html;
      length = -1;
    }

  /* The consistent mode writes a temporary file beside @path and renames
   * it over @path, so a failure never leaves a partial report there. */
  if (!g_file_set_contents_full (path, data, length, G_FILE_SET_CONTENTS_CONSISTENT, 0666,
                                 &local_error))
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_file_error (local_error->code),
                   _("Failed to write the report: %s"), local_error->message);
      return FALSE;
    }

  return TRUE;
}
