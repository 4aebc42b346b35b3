/* qs-error.h: error domains of the engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define QS_MODEL_ERROR (qs_model_error_quark ())
#define QS_ANALYSIS_ERROR (qs_analysis_error_quark ())

/**
 * QsModelError:
 * @QS_MODEL_ERROR_NOT_FOUND: a file, folder, component or Hugging Face id
 *   does not exist
 * @QS_MODEL_ERROR_INVALID: a file is malformed (bad header, offsets, JSON)
 * @QS_MODEL_ERROR_TRUNCATED: a file is shorter than its header declares,
 *   typically a partial download
 * @QS_MODEL_ERROR_LFS_POINTER: a file is a Git LFS pointer, not the data
 * @QS_MODEL_ERROR_UNSUPPORTED: a dtype or layout that cannot be decoded
 * @QS_MODEL_ERROR_SHARDS: a sharded index and the files on disk disagree
 * @QS_MODEL_ERROR_NON_FINITE: a tensor holds NaN or Inf values
 */
typedef enum
{
  QS_MODEL_ERROR_NOT_FOUND,
  QS_MODEL_ERROR_INVALID,
  QS_MODEL_ERROR_TRUNCATED,
  QS_MODEL_ERROR_LFS_POINTER,
  QS_MODEL_ERROR_UNSUPPORTED,
  QS_MODEL_ERROR_SHARDS,
  QS_MODEL_ERROR_NON_FINITE,
} QsModelError;

/**
 * QsAnalysisError:
 * @QS_ANALYSIS_ERROR_SETTINGS: the settings are invalid (no dtype, no raw
 *   and no SVD, an unknown dtype, ...)
 * @QS_ANALYSIS_ERROR_NO_LAYERS: the selected components hold no layer
 * @QS_ANALYSIS_ERROR_FORMAT: an analysis file cannot be read
 */
typedef enum
{
  QS_ANALYSIS_ERROR_SETTINGS,
  QS_ANALYSIS_ERROR_NO_LAYERS,
  QS_ANALYSIS_ERROR_FORMAT,
} QsAnalysisError;

GQuark qs_model_error_quark    (void);
GQuark qs_analysis_error_quark (void);

G_END_DECLS
