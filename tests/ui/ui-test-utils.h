/* ui-test-utils.h: driving the app in tests under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "qs-window.h"

G_BEGIN_DECLS

typedef gboolean (*UiTestCondition) (gpointer user_data);

/**
 * ui_test_init:
 *
 * Calls g_test_init() and checks the environment the UI tests need: a
 * display and the compiled schema. Returns %FALSE, after printing a TAP
 * skip line, when there is no display.
 */
gboolean       ui_test_init             (int        *argc,
                                         char     ***argv);

/* Creates a non-unique application, registers it and opens its window. */
QsApplication *ui_test_app_new          (QsWindow  **window);
/* Closes every window and drops the application. */
void           ui_test_app_free         (QsApplication *app);

/**
 * ui_test_wait_until:
 * @timeout_s: how long to iterate the main loop at most
 *
 * Iterates the default main context until @condition holds.
 *
 * Returns: whether @condition held before the timeout
 */
gboolean       ui_test_wait_until       (UiTestCondition  condition,
                                         gpointer         user_data,
                                         guint            timeout_s);
/* Iterates the main context for @ms milliseconds. */
void           ui_test_spin             (guint            ms);

gboolean       ui_test_wait_for_stage   (QsWindow        *window,
                                         QsWindowStage    stage,
                                         guint            timeout_s);
gboolean       ui_test_wait_not_busy    (QsWindow        *window,
                                         guint            timeout_s);

void           ui_test_activate         (QsWindow        *window,
                                         const char      *action,
                                         GVariant        *parameter);
gboolean       ui_test_action_enabled   (QsWindow        *window,
                                         const char      *action);

/* Returns: (transfer full): the demo model folder, from QS_TEST_DATA */
char          *ui_test_demo_model_path  (void);

/* Opens the demo model and waits for the setup page. */
void           ui_test_open_demo        (QsWindow        *window);

/**
 * ui_test_render_window:
 * @path: (nullable): a PNG file to write
 *
 * Renders the window through its own renderer, as the screen shows it.
 *
 * Returns: (transfer full): the rendered texture
 */
GdkTexture    *ui_test_render_window    (QsWindow        *window,
                                         const char      *path);

/* Removes @path and everything below it. */
void           ui_test_remove_tree      (const char      *path);

G_END_DECLS
