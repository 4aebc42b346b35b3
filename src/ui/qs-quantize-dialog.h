/* qs-quantize-dialog.h: writes an SDNQ-quantized copy of the analysed model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "qs-summary.h"

G_BEGIN_DECLS

#define QS_TYPE_QUANTIZE_DIALOG (qs_quantize_dialog_get_type ())

G_DECLARE_FINAL_TYPE (QsQuantizeDialog, qs_quantize_dialog, QS, QUANTIZE_DIALOG, AdwWindow)

/**
 * qs_quantize_dialog_new:
 * @parent: the window the dialog is modal to
 * @model_path: the analysed model: a folder, a `.safetensors` file or a
 *   Hugging Face id
 * @summary: (nullable): the summary whose configs are offered as the
 *   recommendation. They come from the auto-config choices when the summary
 *   has them, otherwise from the verdicts.
 *
 * Creates the dialog. A "finished" signal with the output folder is
 * emitted when the model was written; the dialog then closes itself.
 *
 * Returns: (transfer none): the dialog, owned by GTK's window list
 */
QsQuantizeDialog *qs_quantize_dialog_new              (GtkWindow        *parent,
                                                       const char       *model_path,
                                                       const QsSummary  *summary);

/* Sets the output folder as the folder chooser does; tests use it to skip
 * the native dialog. */
void              qs_quantize_dialog_set_output_path  (QsQuantizeDialog *self,
                                                       const char       *path);
const char       *qs_quantize_dialog_get_output_path  (QsQuantizeDialog *self);

/* Chooses between the analysis' recommendation and one uniform config. */
void              qs_quantize_dialog_set_use_recommendation (QsQuantizeDialog *self,
                                                             gboolean          use);
gboolean          qs_quantize_dialog_get_has_recommendation (QsQuantizeDialog *self);

/**
 * qs_quantize_dialog_set_uniform:
 * @dtype: an SDNQ dtype name such as "int8" or "uint4"
 * @group_size: 0 automatic, -1 row-wise, -2 tensor-wise or a size
 *
 * Sets the uniform config's fields.
 */
void              qs_quantize_dialog_set_uniform      (QsQuantizeDialog *self,
                                                       const char       *dtype,
                                                       gint64            group_size);
/* Sets the shard size text, in the CLI's syntax ("5GB", "500MiB"). */
void              qs_quantize_dialog_set_shard_size   (QsQuantizeDialog *self,
                                                       const char       *text);

/* Starts writing, as the Quantize button does; a folder that is not empty
 * is first confirmed in a message dialog. */
void              qs_quantize_dialog_start            (QsQuantizeDialog *self);
/* Stops the running job; the job removes what it wrote. */
void              qs_quantize_dialog_cancel           (QsQuantizeDialog *self);
gboolean          qs_quantize_dialog_get_running      (QsQuantizeDialog *self);

G_END_DECLS
