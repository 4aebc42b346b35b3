/* qs-report.c: writing a report file from an analysis summary
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <glib/gstdio.h>
#include <pango/pangocairo.h>

#include "qs-report.h"
#include "qs-report-content.h"
#include "qs-report-html.h"
#include "qs-report-page-painter.h"

#define DEFAULT_CSV_OUTPUT "quant_sensitivity_report.csv"

const char *
qs_report_format_to_string (QsReportFormat format)
{
  switch (format)
    {
    case QS_REPORT_FORMAT_HTML:
      return "html";
    case QS_REPORT_FORMAT_HTML_PNG:
      return "html-png";
    case QS_REPORT_FORMAT_PDF:
      return "pdf";
    default:
      g_return_val_if_reached ("html");
    }
}

gboolean
qs_report_format_from_string (const char     *str,
                              QsReportFormat *format)
{
  const QsReportFormat formats[] = {
    QS_REPORT_FORMAT_HTML, QS_REPORT_FORMAT_HTML_PNG, QS_REPORT_FORMAT_PDF,
  };

  g_return_val_if_fail (format != NULL, FALSE);

  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      if (g_ascii_strcasecmp (str, qs_report_format_to_string (formats[i])) == 0)
        {
          *format = formats[i];
          return TRUE;
        }
    }

  return FALSE;
}

const char *
qs_report_format_get_extension (QsReportFormat format)
{
  return format == QS_REPORT_FORMAT_PDF ? ".pdf" : ".html";
}

char *
qs_report_default_path (const char     *csv_output_path,
                        QsReportFormat  format)
{
  const char *path = csv_output_path != NULL && *csv_output_path != '\0'
                     ? csv_output_path : DEFAULT_CSV_OUTPUT;
  const char *basename = strrchr (path, G_DIR_SEPARATOR);
  const char *dot;
  gsize stem_length;

  basename = basename != NULL ? basename + 1 : path;
  dot = strrchr (basename, '.');

  /* A leading dot starts a hidden file's name, not an extension. */
  stem_length = dot != NULL && dot > basename ? (gsize) (dot - path) : strlen (path);

  return g_strdup_printf ("%.*s_report%s", (int) stem_length, path,
                          qs_report_format_get_extension (format));
}

static gboolean
write_html (QsAnalysisResult       *result,
            const QsSummary        *summary,
            const QsReportOptions  *options,
            const char             *path,
            GError                **error)
{
  g_autofree char *html = NULL;
  g_autoptr(GError) local_error = NULL;

  html = qs_report_html_render (result, summary, options->config_style,
                                options->format == QS_REPORT_FORMAT_HTML_PNG, &local_error);
  if (html == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Could not render the HTML report for “%s”: %s"), path, local_error->message);
      return FALSE;
    }

  /* The consistent mode writes a temporary file beside @path and renames
   * it over @path, so a failure never leaves a partial report there. */
  if (!g_file_set_contents_full (path, html, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0666,
                                 &local_error))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _("Could not write the report: "));
      return FALSE;
    }

  return TRUE;
}

typedef struct
{
  int         fd;
  const char *path;
  GError     *error;
} PdfWriter;

static cairo_status_t
write_pdf_data (void                *closure,
                const unsigned char *data,
                unsigned int         length)
{
  PdfWriter *writer = closure;

  if (writer->error != NULL)
    return CAIRO_STATUS_WRITE_ERROR;

  while (length > 0)
    {
      ssize_t written = write (writer->fd, data, length);

      if (written < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          g_set_error (&writer->error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Could not write the report “%s”: %s"), writer->path,
                       g_strerror (saved_errno));
          return CAIRO_STATUS_WRITE_ERROR;
        }
      data += written;
      length -= (unsigned int) written;
    }

  return CAIRO_STATUS_SUCCESS;
}

/* Draws every page onto a PDF stream; returns the first error. */
static gboolean
draw_pdf (QsAnalysisResult      *result,
          const QsSummary       *summary,
          const QsReportOptions *options,
          PdfWriter             *writer,
          GError               **error)
{
  g_autoptr(QsReportLayout) layout = NULL;
  g_autoptr(QsReportContent) content = NULL;
  g_autofree char *title = NULL;
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;
  guint n_pages;

  surface = cairo_pdf_surface_create_for_stream (write_pdf_data, writer,
                                                 QS_REPORT_A4_WIDTH, QS_REPORT_A4_HEIGHT);
  content = qs_report_content_new (result, summary, options->config_style);
  title = g_strdup_printf ("%s: %s", content->title, content->model);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, title);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Quantscope " PACKAGE_VERSION);

  layout = qs_report_layout_new (result, summary, options->config_style,
                                 QS_REPORT_A4_WIDTH, QS_REPORT_A4_HEIGHT, NULL);
  n_pages = qs_report_layout_get_n_pages (layout);

  cr = cairo_create (surface);
  for (guint page = 0; page < n_pages && writer->error == NULL; page++)
    {
      cairo_save (cr);
      qs_report_layout_draw_page (layout, cr, page);
      cairo_restore (cr);
      cairo_show_page (cr);
    }
  status = cairo_status (cr);
  cairo_destroy (cr);

  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);

  if (writer->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&writer->error));
      return FALSE;
    }
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Could not draw the PDF report “%s”: %s"), writer->path,
                   cairo_status_to_string (status));
      return FALSE;
    }

  return TRUE;
}

static gboolean
write_pdf (QsAnalysisResult       *result,
           const QsSummary        *summary,
           const QsReportOptions  *options,
           const char             *path,
           GError                **error)
{
  g_autofree char *tmp_path = g_strdup_printf ("%s.XXXXXX", path);
  PdfWriter writer = { -1, path, NULL };
  gboolean ok;

  /* The pages go to a temporary file beside @path that replaces it only
   * when complete, so a failure leaves no partial report. */
  writer.fd = g_mkstemp_full (tmp_path, O_WRONLY | O_CLOEXEC, 0666);
  if (writer.fd < 0)
    {
      int saved_errno = errno;
      g_autofree char *dir = g_path_get_dirname (path);

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not create the report “%s” in “%s”: %s"), path, dir,
                   g_strerror (saved_errno));
      return FALSE;
    }

  ok = draw_pdf (result, summary, options, &writer, error);

  if (ok && fsync (writer.fd) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not write the report “%s”: %s"), path, g_strerror (saved_errno));
      ok = FALSE;
    }
  if (!g_close (writer.fd, ok ? error : NULL))
    ok = FALSE;

  if (ok && g_rename (tmp_path, path) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not move the report to “%s”: %s"), path, g_strerror (saved_errno));
      ok = FALSE;
    }

  if (!ok)
    g_unlink (tmp_path);

  return ok;
}

gboolean
qs_report_write_full (QsAnalysisResult       *result,
                      const QsSummary        *summary,
                      const QsReportOptions  *options,
                      const char             *path,
                      GError                **error)
{
  g_return_val_if_fail (QS_IS_ANALYSIS_RESULT (result), FALSE);
  g_return_val_if_fail (summary != NULL, FALSE);
  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (options->format == QS_REPORT_FORMAT_PDF)
    return write_pdf (result, summary, options, path, error);

  return write_html (result, summary, options, path, error);
}

gboolean
qs_report_write (QsAnalysisResult  *result,
                 const QsSummary   *summary,
                 QsReportFormat     format,
                 const char        *path,
                 GError           **error)
{
  QsReportOptions options = { format, QS_CONFIG_STYLE_SCRIPT };

  return qs_report_write_full (result, summary, &options, path, error);
}
