/* qs-gpu-pipeline.c: compute pipelines from SPIR-V embedded as GResource
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include <gio/gio.h>

#include "qs-gpu-error.h"
#include "qs-gpu-pipeline.h"
#include "qs-gpu-resources.h"

#define SHADER_RESOURCE_PREFIX "/io/github/quantscope/Quantscope/shaders/"

/* The resource is registered by hand: a constructor in a static library
 * is dropped by the linker when nothing else refers to its object file. */
static void
ensure_resources_registered (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered))
    {
      qs_gpu_register_resource ();
      g_once_init_leave (&registered, 1);
    }
}

GBytes *
qs_gpu_lookup_shader (const char  *name,
                      GError     **error)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) local_error = NULL;
  GBytes *bytes;

  g_return_val_if_fail (name != NULL, NULL);

  ensure_resources_registered ();

  path = g_strconcat (SHADER_RESOURCE_PREFIX, name, ".spv", NULL);
  bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, &local_error);
  if (bytes == NULL)
    {
      g_set_error (error, QS_GPU_ERROR, QS_GPU_ERROR_SHADER,
                   _("The SPIR-V of kernel “%s” is missing from the build: %s"),
                   name, local_error->message);
      return NULL;
    }

  if (g_bytes_get_size (bytes) == 0 || g_bytes_get_size (bytes) % 4 != 0)
    {
      g_set_error (error, QS_GPU_ERROR, QS_GPU_ERROR_SHADER,
                   _("The SPIR-V of kernel “%s” has %llu bytes, not a multiple of 4"),
                   name, (unsigned long long) g_bytes_get_size (bytes));
      g_bytes_unref (bytes);
      return NULL;
    }

  return bytes;
}

void
qs_gpu_pipeline_free (QsGpuPipeline *pipeline)
{
  if (pipeline == NULL)
    return;

  if (pipeline->pipeline != VK_NULL_HANDLE)
    vkDestroyPipeline (pipeline->device, pipeline->pipeline, NULL);
  if (pipeline->layout != VK_NULL_HANDLE)
    vkDestroyPipelineLayout (pipeline->device, pipeline->layout, NULL);
  if (pipeline->set_layout != VK_NULL_HANDLE)
    vkDestroyDescriptorSetLayout (pipeline->device, pipeline->set_layout, NULL);
  if (pipeline->module != VK_NULL_HANDLE)
    vkDestroyShaderModule (pipeline->device, pipeline->module, NULL);

  g_free (pipeline->name);
  g_free (pipeline);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsGpuPipeline, qs_gpu_pipeline_free)

/* Turns a failed pipeline call into a shader error naming the kernel; a
 * lack of memory stays an out-of-memory error. */
static gboolean
check_shader_call (VkResult     result,
                   const char  *call,
                   const char  *name,
                   GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (qs_gpu_check (result, call, &local_error))
    return TRUE;

  if (g_error_matches (local_error, QS_GPU_ERROR, QS_GPU_ERROR_OUT_OF_MEMORY))
    g_propagate_error (error, g_steal_pointer (&local_error));
  else
    g_set_error (error, QS_GPU_ERROR, QS_GPU_ERROR_SHADER,
                 _("Kernel “%s” was rejected by the driver: %s"), name, local_error->message);
  return FALSE;
}

static QsGpuPipeline *
create_pipeline (QsGpuContext   *context,
                 const char     *name,
                 guint           n_buffers,
                 guint           push_size,
                 const guint32  *spec_values,
                 guint           n_spec,
                 GError        **error)
{
  g_autoptr(QsGpuPipeline) pipeline = NULL;
  g_autoptr(GBytes) spirv = NULL;
  g_autofree guint32 *code = NULL;
  VkDescriptorSetLayoutBinding bindings[QS_GPU_MAX_BINDINGS];
  g_autofree VkSpecializationMapEntry *entries = NULL;
  VkSpecializationInfo specialization = { 0 };
  VkPushConstantRange push_range = {
    .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
    .offset = 0,
    .size = push_size,
  };
  VkShaderModuleCreateInfo module_info = {
    .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
  };
  VkDescriptorSetLayoutCreateInfo set_layout_info = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
  };
  VkPipelineLayoutCreateInfo layout_info = {
    .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
  };
  VkComputePipelineCreateInfo pipeline_info = {
    .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
  };
  VkResult result;
  gsize size;

  g_return_val_if_fail (n_buffers <= QS_GPU_MAX_BINDINGS, NULL);

  if (push_size > context->properties.limits.maxPushConstantsSize)
    {
      g_set_error (error, QS_GPU_ERROR, QS_GPU_ERROR_UNSUPPORTED,
                   _("Kernel “%s” needs %u bytes of push constants; the device allows %u"),
                   name, push_size, context->properties.limits.maxPushConstantsSize);
      return NULL;
    }

  spirv = qs_gpu_lookup_shader (name, error);
  if (spirv == NULL)
    return NULL;

  pipeline = g_new0 (QsGpuPipeline, 1);
  pipeline->device = context->device;
  pipeline->name = g_strdup (name);
  pipeline->n_buffers = n_buffers;
  pipeline->push_size = push_size;

  /* Vulkan reads the code as 32-bit words, so give it an aligned copy. */
  size = g_bytes_get_size (spirv);
  code = g_memdup2 (g_bytes_get_data (spirv, NULL), size);
  module_info.codeSize = size;
  module_info.pCode = code;
  result = vkCreateShaderModule (context->device, &module_info, NULL, &pipeline->module);
  if (!check_shader_call (result, "vkCreateShaderModule", name, error))
    return NULL;

  for (guint i = 0; i < n_buffers; i++)
    {
      bindings[i] = (VkDescriptorSetLayoutBinding) {
        .binding = i,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .descriptorCount = 1,
        .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
      };
    }
  set_layout_info.bindingCount = n_buffers;
  set_layout_info.pBindings = bindings;
  result = vkCreateDescriptorSetLayout (context->device, &set_layout_info, NULL,
                                        &pipeline->set_layout);
  if (!qs_gpu_check (result, "vkCreateDescriptorSetLayout", error))
    return NULL;

  layout_info.setLayoutCount = 1;
  layout_info.pSetLayouts = &pipeline->set_layout;
  layout_info.pushConstantRangeCount = push_size > 0 ? 1 : 0;
  layout_info.pPushConstantRanges = &push_range;
  result = vkCreatePipelineLayout (context->device, &layout_info, NULL, &pipeline->layout);
  if (!qs_gpu_check (result, "vkCreatePipelineLayout", error))
    return NULL;

  if (n_spec > 0)
    {
      entries = g_new0 (VkSpecializationMapEntry, n_spec);
      for (guint i = 0; i < n_spec; i++)
        {
          entries[i].constantID = i;
          entries[i].offset = i * sizeof (guint32);
          entries[i].size = sizeof (guint32);
        }
      specialization.mapEntryCount = n_spec;
      specialization.pMapEntries = entries;
      specialization.dataSize = n_spec * sizeof (guint32);
      specialization.pData = spec_values;
    }

  pipeline_info.stage = (VkPipelineShaderStageCreateInfo) {
    .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
    .stage = VK_SHADER_STAGE_COMPUTE_BIT,
    .module = pipeline->module,
    .pName = "main",
    .pSpecializationInfo = n_spec > 0 ? &specialization : NULL,
  };
  pipeline_info.layout = pipeline->layout;
  result = vkCreateComputePipelines (context->device, VK_NULL_HANDLE, 1, &pipeline_info, NULL,
                                     &pipeline->pipeline);
  if (!check_shader_call (result, "vkCreateComputePipelines", name, error))
    return NULL;

  return g_steal_pointer (&pipeline);
}

QsGpuPipeline *
qs_gpu_context_get_pipeline (QsGpuContext    *context,
                             const char      *name,
                             guint            n_buffers,
                             guint            push_size,
                             const guint32   *spec_values,
                             guint            n_spec,
                             GError         **error)
{
  g_autoptr(GString) key = NULL;
  QsGpuPipeline *pipeline;

  g_return_val_if_fail (context != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (n_spec == 0 || spec_values != NULL, NULL);

  key = g_string_new (name);
  for (guint i = 0; i < n_spec; i++)
    g_string_append_printf (key, ":%u", spec_values[i]);

  g_mutex_lock (&context->pipeline_lock);

  pipeline = g_hash_table_lookup (context->pipelines, key->str);
  if (pipeline == NULL)
    {
      pipeline = create_pipeline (context, name, n_buffers, push_size, spec_values, n_spec,
                                  error);
      if (pipeline != NULL)
        g_hash_table_insert (context->pipelines, g_strdup (key->str), pipeline);
    }

  g_mutex_unlock (&context->pipeline_lock);

  return pipeline;
}
