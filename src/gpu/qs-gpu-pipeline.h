/* qs-gpu-pipeline.h: compute pipelines from SPIR-V embedded as GResource
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <vulkan/vulkan.h>

#include "qs-gpu-context.h"

G_BEGIN_DECLS

/* The maximum number of storage buffers a kernel binds. */
#define QS_GPU_MAX_BINDINGS 4

/**
 * QsGpuPipeline:
 * @device: the device that owns the objects
 * @name: the kernel name, such as "quantize_error"
 * @module: the shader module
 * @set_layout: one storage buffer per binding, 0 to @n_buffers − 1
 * @layout: the pipeline layout with one push constant range
 * @pipeline: the compute pipeline
 * @n_buffers: the storage buffers the kernel binds
 * @push_size: the size of its push constants in bytes
 *
 * A compute pipeline owned by its context's pipeline cache.
 */
typedef struct
{
  VkDevice               device;
  char                  *name;
  VkShaderModule         module;
  VkDescriptorSetLayout  set_layout;
  VkPipelineLayout       layout;
  VkPipeline             pipeline;
  guint                  n_buffers;
  guint                  push_size;
} QsGpuPipeline;

/**
 * qs_gpu_context_get_pipeline:
 * @name: the kernel name; its SPIR-V is the resource
 *   /io/github/quantscope/Quantscope/shaders/@name.spv
 * @n_buffers: the storage buffers bound at bindings 0 to @n_buffers − 1
 * @push_size: the size of the push constants, at most 128 bytes
 * @spec_values: (array length=n_spec) (nullable): 32-bit values of the
 *   specialization constants 0 to @n_spec − 1 (booleans as 0 or 1)
 *
 * Returns the pipeline for @name and @spec_values, creating it on first
 * use. Pipelines live as long as the context.
 *
 * Returns: (transfer none): the pipeline, or %NULL with @error set
 *   (%QS_GPU_ERROR_SHADER when the SPIR-V is missing or rejected)
 */
QsGpuPipeline *qs_gpu_context_get_pipeline (QsGpuContext    *context,
                                            const char      *name,
                                            guint            n_buffers,
                                            guint            push_size,
                                            const guint32   *spec_values,
                                            guint            n_spec,
                                            GError         **error);

void           qs_gpu_pipeline_free        (QsGpuPipeline   *pipeline);

/**
 * qs_gpu_lookup_shader:
 * @name: a kernel name
 *
 * Returns: (transfer full): the SPIR-V of @name, or %NULL with @error set
 */
GBytes        *qs_gpu_lookup_shader        (const char      *name,
                                            GError         **error);

G_END_DECLS
