/* qs-backend.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include "qs-backend.h"

G_DEFINE_INTERFACE (QsBackend, qs_backend, G_TYPE_OBJECT)

static void
qs_backend_default_init (QsBackendInterface *iface)
{
}

void
qs_format_result_clear (QsFormatResult *result)
{
  g_clear_pointer (&result->error_message, g_free);
  memset (result, 0, sizeof *result);
}

const char *
qs_backend_get_name (QsBackend *self)
{
  g_return_val_if_fail (QS_IS_BACKEND (self), NULL);

  return QS_BACKEND_GET_IFACE (self)->get_name (self);
}

gboolean
qs_backend_evaluate_layer (QsBackend            *self,
                           const QsLayerWeights *layer,
                           const QsFormat       *formats,
                           guint                 n_formats,
                           const QsEvalOptions  *options,
                           QsFormatResult       *results,
                           GCancellable         *cancellable,
                           GError              **error)
{
  g_return_val_if_fail (QS_IS_BACKEND (self), FALSE);
  g_return_val_if_fail (layer != NULL, FALSE);
  g_return_val_if_fail (formats != NULL || n_formats == 0, FALSE);
  g_return_val_if_fail (results != NULL || n_formats == 0, FALSE);

  return QS_BACKEND_GET_IFACE (self)->evaluate_layer (self, layer, formats, n_formats,
                                                      options, results, cancellable,
                                                      error);
}

gboolean
qs_layer_weights_validate (const QsLayerWeights  *layer,
                           GError               **error)
{
  guint64 numel = 1;

  if (layer->data == NULL || layer->ndim < 2 || layer->ndim > 5)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Layer %s has %u dimensions, but a quantizable weight has 2 to 5"),
                   layer->name ? layer->name : "(unnamed)", layer->ndim);
      return FALSE;
    }

  for (guint d = 0; d < layer->ndim; d++)
    {
      if (layer->shape[d] <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("Layer %s has an empty dimension %u"),
                       layer->name ? layer->name : "(unnamed)", d);
          return FALSE;
        }
      numel *= (guint64) layer->shape[d];
    }

  if (numel != layer->numel)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Layer %s has %llu elements but its shape has %llu"),
                   layer->name ? layer->name : "(unnamed)",
                   (unsigned long long) layer->numel, (unsigned long long) numel);
      return FALSE;
    }

  return TRUE;
}
