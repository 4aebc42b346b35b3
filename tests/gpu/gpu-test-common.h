/* gpu-test-common.h: setup shared by the GPU test programs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every GPU test runs on the device that `--device vulkan` picks, which is
 * Mesa's lavapipe on a machine without a GPU. A program skips only when no
 * Vulkan device exists at all. With --tap it then prints a TAP plan that
 * skips everything, because meson reads a TAP program's nonzero exit
 * status as an error. Otherwise it exits with 77, the autotools status for
 * a skipped test. With QS_GPU_TESTS_REQUIRED=1 a missing device fails.
 */

#pragma once

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "qs-gpu-backend.h"

#define GPU_TEST_SKIP_STATUS 77

/* Opens the device of `--device vulkan`, or leaves the program as a skip
 * when there is none. Call after g_test_init(). */
static inline QsGpuContext *
gpu_test_open_context (int    argc,
                       char **argv)
{
  g_autoptr(GError) error = NULL;
  QsGpuContext *context = qs_gpu_context_new (-1, &error);
  gboolean tap = FALSE;

  if (context != NULL)
    return context;

  if (!g_error_matches (error, QS_GPU_ERROR, QS_GPU_ERROR_NO_DEVICE) ||
      g_strcmp0 (g_getenv ("QS_GPU_TESTS_REQUIRED"), "1") == 0)
    g_error ("Cannot open a Vulkan device: %s", error->message);

  for (int i = 1; i < argc; i++)
    tap |= argv[i] != NULL && strcmp (argv[i], "--tap") == 0;

  if (tap)
    {
      printf ("1..0 # SKIP %s\n", error->message);
      exit (0);
    }

  fprintf (stderr, "Skipping: %s\n", error->message);
  exit (GPU_TEST_SKIP_STATUS);
}

/* Fills @n values with Gaussian noise of standard deviation 0.02 plus an
 * outlier every 997 values, like real weights. */
static inline void
gpu_test_fill_weights (float   *w,
                       gsize    n,
                       guint32  seed)
{
  GRand *rand = g_rand_new_with_seed (seed);

  for (gsize i = 0; i < n; i += 2)
    {
      double u1 = 1.0 - g_rand_double (rand);
      double u2 = g_rand_double (rand);
      double radius = sqrt (-2.0 * log (u1)) * 0.02;

      w[i] = (float) (radius * cos (2 * G_PI * u2));
      if (i + 1 < n)
        w[i + 1] = (float) (radius * sin (2 * G_PI * u2));
    }
  for (gsize i = 0; i < n; i += 997)
    w[i] *= 12.0f;

  g_rand_free (rand);
}

/* Asserts |a − b| ≤ tolerance · max(|a|, |b|), with infinities equal. */
#define gpu_test_assert_relative(a, b, tolerance)                                  \
  G_STMT_START {                                                                   \
    double gpu_a_ = (a);                                                           \
    double gpu_b_ = (b);                                                           \
    if (!(isinf (gpu_a_) && gpu_a_ == gpu_b_) &&                                   \
        !(fabs (gpu_a_ - gpu_b_) <= (tolerance) * MAX (fabs (gpu_a_), fabs (gpu_b_)))) \
      {                                                                            \
        char *gpu_msg_ = g_strdup_printf ("%s = %.9g and %s = %.9g differ by more " \
                                          "than %g relative", #a, gpu_a_, #b,      \
                                          gpu_b_, (double) (tolerance));           \
        g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, gpu_msg_); \
        g_free (gpu_msg_);                                                         \
      }                                                                            \
  } G_STMT_END
