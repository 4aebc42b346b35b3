/* qs-analysis-io.h: the analysis file (JSON) and the CSV export
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "qs-analysis.h"

G_BEGIN_DECLS

/* The version of the analysis file layout that qs_analysis_result_save()
 * writes; the loader accepts this version and older ones. */
#define QS_ANALYSIS_FILE_VERSION 1

/**
 * qs_analysis_result_save:
 * @path: the file to write
 *
 * Writes the analysis file: settings, provenance, every layer with every
 * metric, and the skipped tensors. Infinite and NaN values, which JSON
 * cannot hold, are written as the strings "Infinity", "-Infinity" and
 * "NaN". The file is written to a temporary name and renamed, so a failure
 * never leaves a half-written file under @path.
 */
gboolean          qs_analysis_result_save     (QsAnalysisResult  *result,
                                               const char        *path,
                                               GError           **error);

/**
 * qs_analysis_result_load:
 * @path: an analysis file written by qs_analysis_result_save()
 *
 * Returns: (transfer full): the result, or %NULL with @error
 *   (%QS_ANALYSIS_ERROR_FORMAT) naming the file and the first invalid member
 */
QsAnalysisResult *qs_analysis_result_load     (const char        *path,
                                               GError           **error);

/**
 * qs_analysis_result_write_csv:
 * @path: the file to write
 *
 * Writes one row per layer and format with the analysis script's columns:
 * component, param_name, layer_class, shape, numel, weights_dtype, use_svd,
 * svd_rank, group_size, requested_group_size, nmse, sqnr_db, cosine_sim,
 * max_abs_err, relative_l2, kurtosis, outlier_ratio, dynamic_range_ratio.
 * Numbers are written as Python's repr() writes them ("inf", "1e-05").
 * A layer that could not be analysed gets one row per format with the
 * failure values (nmse inf, group_size -1).
 */
gboolean          qs_analysis_result_write_csv (QsAnalysisResult *result,
                                                const char       *path,
                                                GError          **error);

/**
 * qs_format_python_float:
 *
 * Returns: (transfer full): @value as Python's repr() of a float writes it:
 *   the shortest string that reads back to the same double, "inf", "-inf",
 *   "nan"
 */
char             *qs_format_python_float       (double            value);

G_END_DECLS
