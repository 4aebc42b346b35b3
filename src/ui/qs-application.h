/* qs-application.h: the Quantscope application
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define QS_TYPE_APPLICATION (qs_application_get_type ())

G_DECLARE_FINAL_TYPE (QsApplication, qs_application, QS, APPLICATION, AdwApplication)

QsApplication *qs_application_new          (GApplicationFlags  flags);
GSettings     *qs_application_get_settings (QsApplication     *self);

/**
 * qs_application_add_recent:
 * @key: "recent-models" or "recent-analyses"
 * @path: a model source or an analysis file
 *
 * Moves @path to the front of the list under @key, keeping at most ten.
 */
void           qs_application_add_recent   (QsApplication     *self,
                                            const char        *key,
                                            const char        *path);

G_END_DECLS
