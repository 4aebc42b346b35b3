/* qs-backend.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

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
