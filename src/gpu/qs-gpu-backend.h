/* qs-gpu-backend.h: the Vulkan compute backend and the device factory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "qs-backend.h"
#include "qs-gpu-context.h"
#include "qs-gpu-error.h"

G_BEGIN_DECLS

#define QS_TYPE_GPU_BACKEND (qs_gpu_backend_get_type ())

G_DECLARE_FINAL_TYPE (QsGpuBackend, qs_gpu_backend, QS, GPU_BACKEND, GObject)

/**
 * qs_gpu_backend_new:
 * @context: an open device
 * @n_threads: CPU threads for the host-side work (reference statistics,
 *   the SVD's QR and SVD steps, formats delegated to the CPU), 0 for every
 *   core
 *
 * Creates the Vulkan backend. It evaluates formats with the fused error
 * kernel and the SVD's products on the device. A layer whose
 * #QsLayerWeights carries stored BF16 or F16 bytes is uploaded in that
 * dtype and widened on the device. A few cases run on its internal CPU
 * backend instead:
 *
 * - the uint9 to uint15 dtypes, whose values SDNQ changes in packing;
 * - formats SDNQ cannot pack;
 * - layers that contain NaN or Inf, because Vulkan shaders may assume
 *   finite values;
 * - layers whose single row exceeds the device's storage buffer range,
 *   and SVD formats whose bases exceed it.
 *
 * Returns: (transfer full): the backend
 */
QsBackend    *qs_gpu_backend_new             (QsGpuContext *context,
                                              guint         n_threads);

/* Returns: (transfer none): the backend's device */
QsGpuContext *qs_gpu_backend_get_context     (QsGpuBackend *self);

/**
 * qs_gpu_backend_set_block_limit:
 * @bytes: the largest row block in bytes, or 0 for the automatic size
 *   (the device's storage buffer range and allocation limit, at most
 *   256 MiB)
 * @resident: whether a layer larger than one block stays on the device;
 *   %FALSE streams its blocks through two buffers as a layer larger than
 *   the memory budget does
 *
 * Overrides the block size, so that tests can run the multi-block and
 * streaming paths on small layers.
 */
void          qs_gpu_backend_set_block_limit (QsGpuBackend *self,
                                              guint64       bytes,
                                              gboolean      resident);

/**
 * qs_gpu_backend_new_for_device:
 * @device: (nullable): "auto" (or %NULL), "cpu", "vulkan", "vulkan:N",
 *   "cuda" or "cuda:N", ignoring case
 * @n_threads: CPU threads, 0 for every core
 * @note: (out) (optional) (nullable) (transfer full): a sentence for the
 *   user saying which device computes and why, or %NULL
 *
 * Creates the backend that a `--device` value selects:
 *
 * - "cpu": the CPU backend.
 * - "vulkan": the preferred Vulkan device (discrete, integrated, virtual,
 *   then CPU implementations such as lavapipe); "vulkan:N" the device
 *   with index N in `quantscope-cli devices`.
 * - "cuda", "cuda:N": the first or N-th GPU (CPU implementations not
 *   counted) through Vulkan, because Quantscope has no CUDA backend. The
 *   note explains this.
 * - "auto": a GPU when one can be opened, otherwise the CPU backend with a
 *   note that gives the reason. A CPU implementation of Vulkan such as lavapipe is
 *   not chosen, because it is slower than the CPU backend.
 *
 * Returns: (transfer full): the backend, or %NULL with @error set:
 *   %QS_GPU_ERROR_NO_DEVICE when the requested device does not exist,
 *   %G_IO_ERROR_INVALID_ARGUMENT for an unknown @device, or the error of
 *   opening the device
 */
QsBackend    *qs_gpu_backend_new_for_device  (const char   *device,
                                              guint         n_threads,
                                              char        **note,
                                              GError      **error);

G_END_DECLS
