/* qs-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "qs-error.h"

G_DEFINE_QUARK (qs-model-error-quark, qs_model_error)
G_DEFINE_QUARK (qs-analysis-error-quark, qs_analysis_error)
