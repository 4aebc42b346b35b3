/* qs-gpu-error.h: the error domain of the Vulkan backend
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <vulkan/vulkan.h>

G_BEGIN_DECLS

#define QS_GPU_ERROR (qs_gpu_error_quark ())

/**
 * QsGpuError:
 * @QS_GPU_ERROR_NO_DEVICE: no Vulkan device exists, or none matches the
 *   requested device
 * @QS_GPU_ERROR_UNSUPPORTED: the device lacks a feature, an extension or
 *   a limit that the backend needs
 * @QS_GPU_ERROR_OUT_OF_MEMORY: host or device memory ran out
 * @QS_GPU_ERROR_DEVICE_LOST: the driver lost the device (a crash, a reset
 *   or a timeout)
 * @QS_GPU_ERROR_SHADER: a SPIR-V module is missing or was rejected
 * @QS_GPU_ERROR_FAILED: any other Vulkan failure
 *
 * Errors of the Vulkan backend.
 */
typedef enum
{
  QS_GPU_ERROR_NO_DEVICE,
  QS_GPU_ERROR_UNSUPPORTED,
  QS_GPU_ERROR_OUT_OF_MEMORY,
  QS_GPU_ERROR_DEVICE_LOST,
  QS_GPU_ERROR_SHADER,
  QS_GPU_ERROR_FAILED,
} QsGpuError;

GQuark      qs_gpu_error_quark      (void);

/**
 * qs_gpu_result_to_string:
 * @result: a Vulkan result code
 *
 * Returns: the name of @result, such as "VK_ERROR_DEVICE_LOST"
 */
const char *qs_gpu_result_to_string (VkResult result);

/**
 * qs_gpu_check:
 * @result: what a Vulkan call returned
 * @call: the name of the call, such as "vkAllocateMemory"
 *
 * Turns a failed Vulkan call into a #QsGpuError whose message names the
 * call and the result. Success codes, including VK_INCOMPLETE and
 * VK_TIMEOUT, are not failures.
 *
 * Returns: %TRUE when @result is not an error, otherwise %FALSE with
 *   @error set
 */
gboolean    qs_gpu_check            (VkResult     result,
                                     const char  *call,
                                     GError     **error);

G_END_DECLS
