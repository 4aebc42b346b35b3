/* report-test-utils.h: analysis results and file helpers for the report
 * tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <cairo.h>

#include "qs-summary.h"

G_BEGIN_DECLS

/**
 * report_test_result_new:
 * @dtypes: the dtypes, primary first
 * @group_sizes: the requested group sizes
 * @ranks: (nullable): the SVD ranks; %NULL or none for no SVD
 * @use_raw: whether raw formats are evaluated
 *
 * Returns: (transfer full): an empty result with these settings and a
 *   provenance with a model name and fixed start and finish times
 */
QsAnalysisResult *report_test_result_new   (const char * const *dtypes,
                                            const gint64       *group_sizes,
                                            guint               n_group_sizes,
                                            const guint        *ranks,
                                            guint               n_ranks,
                                            gboolean            use_raw);

/**
 * report_test_add_layer:
 * @raw_nmse: the NMSE per dtype, in settings order, at the first group
 *   size without SVD; INF and NAN are allowed
 *
 * Adds a Linear layer of @rows × @columns with a record for every format
 * of the settings. Other group sizes scale the NMSE (g16 ×0.5, g32 ×0.7,
 * g64 ×1, automatic ×1, row-wise ×2) and an SVD branch divides it by 4.
 */
void              report_test_add_layer    (QsAnalysisResult   *result,
                                            const char         *component,
                                            const char         *name,
                                            gint64              rows,
                                            gint64              columns,
                                            const double       *raw_nmse);

/* Returns: (transfer full): a result with the default four dtypes, group
 *   size automatic and no SVD */
QsAnalysisResult *report_test_default_result_new (void);

/* Returns: (transfer full): a new empty folder; aborts the test on failure */
char             *report_test_make_tmp_dir (void);

/* Removes @path and everything under it; a missing @path is no error. */
void              report_test_remove_tree  (const char         *path);

/**
 * report_test_run_tool:
 * @variable: the environment variable that names the tool, such as
 *   "QS_TEST_PDFTOTEXT"
 * @argv: the arguments after the tool's path, %NULL-terminated
 * @standard_output: (out) (optional): the tool's output
 * @standard_error: (out) (optional): its error output
 *
 * Runs a tool the build found and asserts that it exits 0. Without the
 * variable, marks the test skipped.
 *
 * Returns: %FALSE when the tool is not available
 */
gboolean          report_test_run_tool     (const char         *variable,
                                            const char * const *argv,
                                            char              **standard_output,
                                            char              **standard_error);

/* Returns: the pixel at (@x, @y) of an RGB24 or ARGB32 image as 0xRRGGBB */
guint32           report_test_get_pixel    (cairo_surface_t    *surface,
                                            int                 x,
                                            int                 y);

/* Returns: whether @pixel is within @tolerance of @hex ("#rrggbb") on every
 *   channel */
gboolean          report_test_pixel_is     (guint32             pixel,
                                            const char         *hex,
                                            int                 tolerance);

/**
 * report_test_save_output:
 *
 * Copies @path into $QS_TEST_OUTPUT_DIR, when that is set, so a person can
 * look at what the test drew.
 */
void              report_test_save_output  (const char         *path,
                                            const char         *name);

/**
 * report_test_run:
 *
 * Runs the registered tests, then frees the caches of Pango, Cairo and
 * Fontconfig, which live until exit, so LeakSanitizer reports only what
 * the report code itself leaks.
 *
 * Returns: the result of g_test_run()
 */
int               report_test_run          (void);

G_END_DECLS
