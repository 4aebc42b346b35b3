/* qs-gpu-context.c: the Vulkan instance, the device choice and the queue
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include "qs-gpu-context.h"
#include "qs-gpu-error.h"
#include "qs-gpu-pipeline.h"

/* Vulkan 1.1 is the floor: it brings vkGetPhysicalDeviceProperties2 and
 * the maintenance3 allocation limit, and the shaders are built for it. */
#define QS_GPU_API_VERSION VK_API_VERSION_1_1

#define VALIDATION_LAYER "VK_LAYER_KHRONOS_validation"

const char *
qs_gpu_device_type_to_string (QsGpuDeviceType type)
{
  switch (type)
    {
    case QS_GPU_DEVICE_TYPE_DISCRETE:
      return "discrete";
    case QS_GPU_DEVICE_TYPE_INTEGRATED:
      return "integrated";
    case QS_GPU_DEVICE_TYPE_VIRTUAL:
      return "virtual";
    case QS_GPU_DEVICE_TYPE_CPU:
      return "cpu";
    case QS_GPU_DEVICE_TYPE_OTHER:
    default:
      return "other";
    }
}

void
qs_gpu_device_info_free (QsGpuDeviceInfo *info)
{
  if (info == NULL)
    return;

  g_free (info->name);
  g_free (info->driver);
  g_free (info->unusable_reason);
  g_free (info);
}

static void
device_info_copy_into (QsGpuDeviceInfo       *dest,
                       const QsGpuDeviceInfo *src)
{
  *dest = *src;
  dest->name = g_strdup (src->name);
  dest->driver = g_strdup (src->driver);
  dest->unusable_reason = g_strdup (src->unusable_reason);
}

QsGpuDeviceInfo *
qs_gpu_device_info_copy (const QsGpuDeviceInfo *info)
{
  QsGpuDeviceInfo *copy;

  g_return_val_if_fail (info != NULL, NULL);

  copy = g_new0 (QsGpuDeviceInfo, 1);
  device_info_copy_into (copy, info);
  return copy;
}

static gboolean
instance_has_layer (const char *name)
{
  g_autofree VkLayerProperties *layers = NULL;
  guint32 n_layers = 0;

  if (vkEnumerateInstanceLayerProperties (&n_layers, NULL) != VK_SUCCESS || n_layers == 0)
    return FALSE;

  layers = g_new0 (VkLayerProperties, n_layers);
  if (vkEnumerateInstanceLayerProperties (&n_layers, layers) < 0)
    return FALSE;

  for (guint32 i = 0; i < n_layers; i++)
    if (strcmp (layers[i].layerName, name) == 0)
      return TRUE;

  return FALSE;
}

static gboolean
instance_has_extension (const char *name)
{
  g_autofree VkExtensionProperties *extensions = NULL;
  guint32 n_extensions = 0;

  if (vkEnumerateInstanceExtensionProperties (NULL, &n_extensions, NULL) != VK_SUCCESS ||
      n_extensions == 0)
    return FALSE;

  extensions = g_new0 (VkExtensionProperties, n_extensions);
  if (vkEnumerateInstanceExtensionProperties (NULL, &n_extensions, extensions) < 0)
    return FALSE;

  for (guint32 i = 0; i < n_extensions; i++)
    if (strcmp (extensions[i].extensionName, name) == 0)
      return TRUE;

  return FALSE;
}

static gboolean
device_has_extension (VkPhysicalDevice  physical_device,
                      const char       *name)
{
  g_autofree VkExtensionProperties *extensions = NULL;
  guint32 n_extensions = 0;

  if (vkEnumerateDeviceExtensionProperties (physical_device, NULL, &n_extensions, NULL) != VK_SUCCESS ||
      n_extensions == 0)
    return FALSE;

  extensions = g_new0 (VkExtensionProperties, n_extensions);
  if (vkEnumerateDeviceExtensionProperties (physical_device, NULL, &n_extensions, extensions) < 0)
    return FALSE;

  for (guint32 i = 0; i < n_extensions; i++)
    if (strcmp (extensions[i].extensionName, name) == 0)
      return TRUE;

  return FALSE;
}

static gboolean
validation_requested (void)
{
  const char *value = g_getenv ("QS_GPU_VALIDATE");

  return value != NULL && g_strcmp0 (value, "0") != 0 && value[0] != '\0';
}

static VKAPI_ATTR VkBool32 VKAPI_CALL
debug_messenger_cb (VkDebugUtilsMessageSeverityFlagBitsEXT      severity,
                    VkDebugUtilsMessageTypeFlagsEXT             types,
                    const VkDebugUtilsMessengerCallbackDataEXT *data,
                    void                                       *user_data)
{
  if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT)
    g_warning ("Vulkan validation: %s", data->pMessage);
  else
    g_debug ("Vulkan validation: %s", data->pMessage);

  return VK_FALSE;
}

/* Creates the instance. With QS_GPU_VALIDATE set it also enables the
 * validation layer and a messenger when both are installed. */
static VkInstance
create_instance (gboolean  *with_debug_utils,
                 GError   **error)
{
  VkApplicationInfo app_info = {
    .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
    .pApplicationName = "Quantscope",
    .applicationVersion = VK_MAKE_API_VERSION (0, 0, 1, 0),
    .pEngineName = "Quantscope",
    .engineVersion = VK_MAKE_API_VERSION (0, 0, 1, 0),
    .apiVersion = QS_GPU_API_VERSION,
  };
  const char *layers[1];
  const char *extensions[2];
  guint32 n_layers = 0;
  guint32 n_extensions = 0;
  VkInstanceCreateInfo create_info = {
    .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
    .pApplicationInfo = &app_info,
  };
  VkInstance instance = VK_NULL_HANDLE;
  VkResult result;

  *with_debug_utils = FALSE;

  /* Portability drivers such as MoltenVK are listed only when asked for. */
  if (instance_has_extension (VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME))
    {
      extensions[n_extensions++] = VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME;
      create_info.flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
    }

  if (validation_requested ())
    {
      if (instance_has_layer (VALIDATION_LAYER))
        layers[n_layers++] = VALIDATION_LAYER;
      else
        g_debug ("QS_GPU_VALIDATE is set but %s is not installed", VALIDATION_LAYER);

      if (instance_has_extension (VK_EXT_DEBUG_UTILS_EXTENSION_NAME))
        {
          extensions[n_extensions++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
          *with_debug_utils = TRUE;
        }
    }

  create_info.enabledLayerCount = n_layers;
  create_info.ppEnabledLayerNames = layers;
  create_info.enabledExtensionCount = n_extensions;
  create_info.ppEnabledExtensionNames = extensions;

  result = vkCreateInstance (&create_info, NULL, &instance);
  if (!qs_gpu_check (result, "vkCreateInstance", error))
    return VK_NULL_HANDLE;

  return instance;
}

static QsGpuDeviceType
device_type_from_vk (VkPhysicalDeviceType type)
{
  switch (type)
    {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return QS_GPU_DEVICE_TYPE_DISCRETE;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return QS_GPU_DEVICE_TYPE_INTEGRATED;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return QS_GPU_DEVICE_TYPE_VIRTUAL;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return QS_GPU_DEVICE_TYPE_CPU;
    default:
      return QS_GPU_DEVICE_TYPE_OTHER;
    }
}

static guint64
largest_device_local_heap (const VkPhysicalDeviceMemoryProperties *memory)
{
  guint64 largest = 0;

  for (guint32 i = 0; i < memory->memoryHeapCount; i++)
    if (memory->memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
      largest = MAX (largest, memory->memoryHeaps[i].size);

  return largest;
}

/* Returns the first queue family with compute support, or -1. */
static gint64
find_compute_queue_family (VkPhysicalDevice physical_device)
{
  g_autofree VkQueueFamilyProperties *families = NULL;
  guint32 n_families = 0;

  vkGetPhysicalDeviceQueueFamilyProperties (physical_device, &n_families, NULL);
  families = g_new0 (VkQueueFamilyProperties, MAX (n_families, 1));
  vkGetPhysicalDeviceQueueFamilyProperties (physical_device, &n_families, families);

  for (guint32 i = 0; i < n_families; i++)
    if ((families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && families[i].queueCount > 0)
      return i;

  return -1;
}

/* Describes @physical_device. The driver text comes from
 * VkPhysicalDeviceDriverProperties (Vulkan 1.2 or VK_KHR_driver_properties)
 * and falls back to the vendor id and the raw driver version. */
static void
describe_device (VkPhysicalDevice  physical_device,
                 guint             index,
                 QsGpuDeviceInfo  *info)
{
  VkPhysicalDeviceProperties properties;
  VkPhysicalDeviceMemoryProperties memory;
  VkPhysicalDeviceDriverProperties driver = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES,
  };
  VkPhysicalDeviceProperties2 properties2 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
  };
  gboolean has_driver_properties;

  vkGetPhysicalDeviceProperties (physical_device, &properties);
  vkGetPhysicalDeviceMemoryProperties (physical_device, &memory);

  memset (info, 0, sizeof *info);
  info->index = index;
  info->name = g_strdup (properties.deviceName);
  info->type = device_type_from_vk (properties.deviceType);
  info->vendor_id = properties.vendorID;
  info->device_id = properties.deviceID;
  info->api_version = properties.apiVersion;
  info->memory = largest_device_local_heap (&memory);

  has_driver_properties = properties.apiVersion >= VK_API_VERSION_1_2 ||
                          device_has_extension (physical_device,
                                                VK_KHR_DRIVER_PROPERTIES_EXTENSION_NAME);
  if (properties.apiVersion >= VK_API_VERSION_1_1 && has_driver_properties)
    {
      properties2.pNext = &driver;
      vkGetPhysicalDeviceProperties2 (physical_device, &properties2);
      info->driver = driver.driverInfo[0] != '\0'
                     ? g_strdup_printf ("%s (%s)", driver.driverName, driver.driverInfo)
                     : g_strdup (driver.driverName);
    }
  else
    {
      info->driver = g_strdup_printf ("vendor 0x%04x, driver version 0x%08x",
                                      properties.vendorID, properties.driverVersion);
    }

  if (properties.apiVersion < QS_GPU_API_VERSION)
    {
      info->unusable_reason = g_strdup_printf (_("supports Vulkan %u.%u; Quantscope needs 1.1"),
                                               VK_API_VERSION_MAJOR (properties.apiVersion),
                                               VK_API_VERSION_MINOR (properties.apiVersion));
    }
  else if (find_compute_queue_family (physical_device) < 0)
    {
      info->unusable_reason = g_strdup (_("has no compute queue"));
    }

  info->usable = info->unusable_reason == NULL;
}

/* Enumerates the physical devices of @instance. A loader without drivers
 * either fails vkCreateInstance with VK_ERROR_INCOMPATIBLE_DRIVER or
 * reports zero devices; callers treat both as "no device". */
static VkPhysicalDevice *
enumerate_physical_devices (VkInstance   instance,
                            guint32     *n_devices,
                            GError     **error)
{
  g_autofree VkPhysicalDevice *devices = NULL;
  VkResult result;

  *n_devices = 0;
  result = vkEnumeratePhysicalDevices (instance, n_devices, NULL);
  if (!qs_gpu_check (result, "vkEnumeratePhysicalDevices", error))
    return NULL;

  devices = g_new0 (VkPhysicalDevice, MAX (*n_devices, 1));
  result = vkEnumeratePhysicalDevices (instance, n_devices, devices);
  if (!qs_gpu_check (result, "vkEnumeratePhysicalDevices", error))
    return NULL;

  return g_steal_pointer (&devices);
}

GPtrArray *
qs_gpu_list_devices (GError **error)
{
  g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func ((GDestroyNotify) qs_gpu_device_info_free);
  g_autofree VkPhysicalDevice *devices = NULL;
  g_autoptr(GError) local_error = NULL;
  VkInstance instance;
  gboolean with_debug_utils;
  guint32 n_devices = 0;

  instance = create_instance (&with_debug_utils, &local_error);
  if (instance == VK_NULL_HANDLE)
    {
      if (g_error_matches (local_error, QS_GPU_ERROR, QS_GPU_ERROR_NO_DEVICE))
        return g_steal_pointer (&infos);

      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  devices = enumerate_physical_devices (instance, &n_devices, error);
  if (devices == NULL)
    {
      vkDestroyInstance (instance, NULL);
      return NULL;
    }

  for (guint32 i = 0; i < n_devices; i++)
    {
      QsGpuDeviceInfo *info = g_new0 (QsGpuDeviceInfo, 1);

      describe_device (devices[i], i, info);
      g_ptr_array_add (infos, info);
    }

  vkDestroyInstance (instance, NULL);

  return g_steal_pointer (&infos);
}

int
qs_gpu_pick_device (GPtrArray *devices,
                    gboolean   allow_cpu)
{
  static const QsGpuDeviceType order[] = {
    QS_GPU_DEVICE_TYPE_DISCRETE,
    QS_GPU_DEVICE_TYPE_INTEGRATED,
    QS_GPU_DEVICE_TYPE_VIRTUAL,
    QS_GPU_DEVICE_TYPE_OTHER,
    QS_GPU_DEVICE_TYPE_CPU,
  };

  g_return_val_if_fail (devices != NULL, -1);

  for (guint t = 0; t < G_N_ELEMENTS (order); t++)
    {
      if (order[t] == QS_GPU_DEVICE_TYPE_CPU && !allow_cpu)
        continue;

      for (guint i = 0; i < devices->len; i++)
        {
          const QsGpuDeviceInfo *info = g_ptr_array_index (devices, i);

          if (info->usable && info->type == order[t])
            return (int) i;
        }
    }

  return -1;
}

static void
context_free (QsGpuContext *self)
{
  if (self->device != VK_NULL_HANDLE)
    {
      vkDeviceWaitIdle (self->device);
      g_clear_pointer (&self->pipelines, g_hash_table_unref);
      vkDestroyDevice (self->device, NULL);
    }
  g_clear_pointer (&self->pipelines, g_hash_table_unref);

  if (self->messenger != VK_NULL_HANDLE)
    {
      PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger =
        (PFN_vkDestroyDebugUtilsMessengerEXT) vkGetInstanceProcAddr (self->instance,
                                                                     "vkDestroyDebugUtilsMessengerEXT");
      if (destroy_messenger != NULL)
        destroy_messenger (self->instance, self->messenger, NULL);
    }

  if (self->instance != VK_NULL_HANDLE)
    vkDestroyInstance (self->instance, NULL);

  g_free (self->info.name);
  g_free (self->info.driver);
  g_free (self->info.unusable_reason);
  g_mutex_clear (&self->queue_lock);
  g_mutex_clear (&self->pipeline_lock);
  g_mutex_clear (&self->probe_lock);
  g_free (self);
}

static void
install_messenger (QsGpuContext *self)
{
  PFN_vkCreateDebugUtilsMessengerEXT create_messenger =
    (PFN_vkCreateDebugUtilsMessengerEXT) vkGetInstanceProcAddr (self->instance,
                                                                "vkCreateDebugUtilsMessengerEXT");
  VkDebugUtilsMessengerCreateInfoEXT create_info = {
    .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
    .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
    .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                   VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT,
    .pfnUserCallback = debug_messenger_cb,
  };

  if (create_messenger != NULL)
    create_messenger (self->instance, &create_info, NULL, &self->messenger);
}

static gboolean
create_device (QsGpuContext  *self,
               GError       **error)
{
  float priority = 1.0f;
  VkDeviceQueueCreateInfo queue_info = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
    .queueFamilyIndex = self->queue_family,
    .queueCount = 1,
    .pQueuePriorities = &priority,
  };
  VkPhysicalDeviceFeatures supported;
  VkPhysicalDeviceFeatures enabled = { 0 };
  VkDeviceCreateInfo device_info = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
    .queueCreateInfoCount = 1,
    .pQueueCreateInfos = &queue_info,
    .pEnabledFeatures = &enabled,
  };
  VkResult result;

  /* fp64 serves the exact-arithmetic fallback of the error kernel. */
  vkGetPhysicalDeviceFeatures (self->physical_device, &supported);
  enabled.shaderFloat64 = supported.shaderFloat64;
  self->shader_float64 = supported.shaderFloat64;

  result = vkCreateDevice (self->physical_device, &device_info, NULL, &self->device);
  if (!qs_gpu_check (result, "vkCreateDevice", error))
    return FALSE;

  vkGetDeviceQueue (self->device, self->queue_family, 0, &self->queue);
  return TRUE;
}

QsGpuContext *
qs_gpu_context_new (int      device_index,
                    GError **error)
{
  g_autoptr(QsGpuContext) self = NULL;
  g_autofree VkPhysicalDevice *devices = NULL;
  g_autoptr(GPtrArray) infos = NULL;
  VkPhysicalDeviceMaintenance3Properties maintenance3 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES,
  };
  VkPhysicalDeviceProperties2 properties2 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
    .pNext = &maintenance3,
  };
  g_autoptr(GError) local_error = NULL;
  const QsGpuDeviceInfo *chosen;
  gboolean with_debug_utils;
  guint32 n_devices = 0;
  int picked;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (QsGpuContext, 1);
  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->queue_lock);
  g_mutex_init (&self->pipeline_lock);
  g_mutex_init (&self->probe_lock);
  self->arithmetic = QS_GPU_ARITHMETIC_UNKNOWN;
  self->pipelines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) qs_gpu_pipeline_free);

  self->instance = create_instance (&with_debug_utils, &local_error);
  if (self->instance == VK_NULL_HANDLE)
    {
      if (g_error_matches (local_error, QS_GPU_ERROR, QS_GPU_ERROR_NO_DEVICE))
        g_set_error (error, QS_GPU_ERROR, QS_GPU_ERROR_NO_DEVICE,
                     _("No Vulkan device found (%s); use --device cpu"), local_error->message);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (with_debug_utils)
    install_messenger (self);

  devices = enumerate_physical_devices (self->instance, &n_devices, error);
  if (devices == NULL)
    return NULL;

  infos = g_ptr_array_new_with_free_func ((GDestroyNotify) qs_gpu_device_info_free);
  for (guint32 i = 0; i < n_devices; i++)
    {
      QsGpuDeviceInfo *info = g_new0 (QsGpuDeviceInfo, 1);

      describe_device (devices[i], i, info);
      g_ptr_array_add (infos, info);
    }

  if (n_devices == 0)
    {
      g_set_error_literal (error, QS_GPU_ERROR, QS_GPU_ERROR_NO_DEVICE,
                           _("No Vulkan device found; use --device cpu"));
      return NULL;
    }

  if (device_index < 0)
    {
      picked = qs_gpu_pick_device (infos, TRUE);
      if (picked < 0)
        {
          g_set_error_literal (error, QS_GPU_ERROR, QS_GPU_ERROR_NO_DEVICE,
                               _("No usable Vulkan device found (none supports Vulkan 1.1 "
                                 "with a compute queue); use --device cpu"));
          return NULL;
        }
    }
  else if ((guint) device_index >= n_devices)
    {
      g_set_error (error, QS_GPU_ERROR, QS_GPU_ERROR_NO_DEVICE,
                   _("Vulkan device %d does not exist: there %s %u device%s (index 0 to %u); "
                     "run “quantscope-cli devices” to list them"),
                   device_index, n_devices == 1 ? "is" : "are", n_devices,
                   n_devices == 1 ? "" : "s", n_devices - 1);
      return NULL;
    }
  else
    {
      picked = device_index;
    }

  chosen = g_ptr_array_index (infos, picked);
  if (!chosen->usable)
    {
      g_set_error (error, QS_GPU_ERROR, QS_GPU_ERROR_UNSUPPORTED,
                   _("Vulkan device %d (%s) %s; use --device cpu"),
                   picked, chosen->name, chosen->unusable_reason);
      return NULL;
    }

  device_info_copy_into (&self->info, chosen);
  self->physical_device = devices[picked];
  self->queue_family = (guint32) find_compute_queue_family (self->physical_device);

  vkGetPhysicalDeviceProperties (self->physical_device, &self->properties);
  vkGetPhysicalDeviceMemoryProperties (self->physical_device, &self->memory_properties);
  vkGetPhysicalDeviceProperties2 (self->physical_device, &properties2);
  self->max_allocation_size = maintenance3.maxMemoryAllocationSize;
  if (self->max_allocation_size == 0)
    self->max_allocation_size = G_MAXUINT32;

  if (!create_device (self, error))
    return NULL;

  g_debug ("Opened Vulkan device %u: %s (%s, %s)", self->info.index, self->info.name,
           qs_gpu_device_type_to_string (self->info.type), self->info.driver);

  return g_steal_pointer (&self);
}

QsGpuContext *
qs_gpu_context_ref (QsGpuContext *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
qs_gpu_context_unref (QsGpuContext *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_ref_count_dec (&self->ref_count))
    context_free (self);
}

void
qs_gpu_context_lock_queue (QsGpuContext *self)
{
  g_mutex_lock (&self->queue_lock);
}

void
qs_gpu_context_unlock_queue (QsGpuContext *self)
{
  g_mutex_unlock (&self->queue_lock);
}

int
qs_gpu_context_find_memory_type (QsGpuContext          *self,
                                 guint32                type_bits,
                                 VkMemoryPropertyFlags  required,
                                 VkMemoryPropertyFlags  preferred)
{
  int fallback = -1;

  g_return_val_if_fail (self != NULL, -1);

  for (guint32 i = 0; i < self->memory_properties.memoryTypeCount; i++)
    {
      VkMemoryPropertyFlags flags = self->memory_properties.memoryTypes[i].propertyFlags;

      if (!(type_bits & (1u << i)) || (flags & required) != required)
        continue;

      if ((flags & preferred) == preferred)
        return (int) i;
      if (fallback < 0)
        fallback = (int) i;
    }

  return fallback;
}

guint64
qs_gpu_context_get_device_local_heap_size (QsGpuContext *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return largest_device_local_heap (&self->memory_properties);
}

void
qs_gpu_context_set_device_buffers_mapped (QsGpuContext *self,
                                          gboolean      mapped)
{
  g_return_if_fail (self != NULL);

  g_atomic_int_set (&self->device_buffers_unmapped, !mapped);
}
