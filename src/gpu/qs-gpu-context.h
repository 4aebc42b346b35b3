/* qs-gpu-context.h: the Vulkan instance, the device choice and the queue
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <vulkan/vulkan.h>

G_BEGIN_DECLS

/**
 * QsGpuDeviceType:
 * @QS_GPU_DEVICE_TYPE_DISCRETE: a discrete GPU
 * @QS_GPU_DEVICE_TYPE_INTEGRATED: a GPU that shares memory with the CPU
 * @QS_GPU_DEVICE_TYPE_VIRTUAL: a GPU of a virtual machine
 * @QS_GPU_DEVICE_TYPE_CPU: a software implementation on the CPU, such as
 *   Mesa's lavapipe (llvmpipe)
 * @QS_GPU_DEVICE_TYPE_OTHER: anything else
 *
 * The kind of a Vulkan device, in the order the automatic choice prefers.
 */
typedef enum
{
  QS_GPU_DEVICE_TYPE_DISCRETE,
  QS_GPU_DEVICE_TYPE_INTEGRATED,
  QS_GPU_DEVICE_TYPE_VIRTUAL,
  QS_GPU_DEVICE_TYPE_CPU,
  QS_GPU_DEVICE_TYPE_OTHER,
} QsGpuDeviceType;

/**
 * qs_gpu_device_type_to_string:
 *
 * Returns: "discrete", "integrated", "virtual", "cpu" or "other"
 */
const char *qs_gpu_device_type_to_string (QsGpuDeviceType type);

/**
 * QsGpuDeviceInfo:
 * @index: the position in Vulkan's enumeration order, which `vulkan:N`
 *   selects and vulkaninfo shows as GPU N
 * @name: the device name
 * @type: the device kind
 * @driver: the driver name and version text, such as
 *   "llvmpipe (Mesa 22.3.6 (LLVM 15.0.6))"
 * @vendor_id: the PCI vendor id (0x10de for NVIDIA)
 * @device_id: the PCI device id
 * @api_version: the Vulkan version the driver supports (VK_MAKE_API_VERSION)
 * @memory: the size of the largest device-local memory heap, in bytes
 * @usable: whether the backend can run on the device
 * @unusable_reason: (nullable): why it cannot, when @usable is %FALSE
 *
 * One Vulkan physical device as `quantscope-cli devices` lists it.
 */
typedef struct
{
  guint            index;
  char            *name;
  QsGpuDeviceType  type;
  char            *driver;
  guint32          vendor_id;
  guint32          device_id;
  guint32          api_version;
  guint64          memory;
  gboolean         usable;
  char            *unusable_reason;
} QsGpuDeviceInfo;

void             qs_gpu_device_info_free  (QsGpuDeviceInfo *info);
QsGpuDeviceInfo *qs_gpu_device_info_copy  (const QsGpuDeviceInfo *info);

/**
 * qs_gpu_list_devices:
 *
 * Lists every Vulkan device in enumeration order. A system without a
 * Vulkan driver (the loader reports VK_ERROR_INCOMPATIBLE_DRIVER) has no
 * device, which is an empty array, not an error.
 *
 * Returns: (transfer full) (element-type QsGpuDeviceInfo): the devices, or
 *   %NULL with @error set when Vulkan fails in another way
 */
GPtrArray       *qs_gpu_list_devices      (GError **error);

/**
 * qs_gpu_pick_device:
 * @devices: (element-type QsGpuDeviceInfo): a result of qs_gpu_list_devices()
 * @allow_cpu: whether CPU implementations such as lavapipe may be chosen
 *
 * Chooses the preferred usable device: discrete, then integrated, then
 * virtual, then other kinds, then (when @allow_cpu) CPU implementations.
 * Among devices of one kind the first in enumeration order wins.
 *
 * Returns: the chosen device's index in @devices, or -1 when none fits
 */
int              qs_gpu_pick_device       (GPtrArray *devices,
                                           gboolean   allow_cpu);

/**
 * QsGpuArithmetic:
 * @QS_GPU_ARITHMETIC_UNKNOWN: not probed yet
 * @QS_GPU_ARITHMETIC_FUSED_FMA: fma() is fused, so the fp32 kernels give
 *   exact division and multiply-add
 * @QS_GPU_ARITHMETIC_FLOAT64: fma() is not fused (lavapipe computes it as a
 *   multiply and an add), and the fp64 kernel variant gives the exact
 *   results instead
 * @QS_GPU_ARITHMETIC_APPROXIMATE: neither; results may differ from the CPU
 *   in the last bit of some values
 *
 * How the error kernel reproduces fp32 division and fmaf exactly.
 */
typedef enum
{
  QS_GPU_ARITHMETIC_UNKNOWN = -1,
  QS_GPU_ARITHMETIC_FUSED_FMA,
  QS_GPU_ARITHMETIC_FLOAT64,
  QS_GPU_ARITHMETIC_APPROXIMATE,
} QsGpuArithmetic;

/**
 * QsGpuContext:
 * @instance: the Vulkan instance
 * @physical_device: the chosen device
 * @device: the logical device
 * @queue: a queue with compute support
 * @queue_family: the family of @queue
 * @info: the chosen device's description
 * @properties: the device's properties and limits
 * @memory_properties: the device's memory types and heaps
 * @max_allocation_size: the largest single allocation the driver accepts
 * @shader_float64: whether the device was opened with fp64 shader support
 *
 * A device opened for compute work, shared by reference. Submissions to
 * @queue must hold the lock taken by qs_gpu_context_lock_queue(). The
 * other members are read-only after creation.
 */
typedef struct
{
  /*< private >*/
  gatomicrefcount                   ref_count;
  GMutex                            queue_lock;
  GMutex                            pipeline_lock;
  GHashTable                       *pipelines;
  GMutex                            probe_lock;
  QsGpuArithmetic                   arithmetic;
  VkDebugUtilsMessengerEXT          messenger;
  gint                              device_buffers_unmapped;

  /*< public >*/
  VkInstance                        instance;
  VkPhysicalDevice                  physical_device;
  VkDevice                          device;
  VkQueue                           queue;
  guint32                           queue_family;
  QsGpuDeviceInfo                   info;
  VkPhysicalDeviceProperties        properties;
  VkPhysicalDeviceMemoryProperties  memory_properties;
  VkDeviceSize                      max_allocation_size;
  gboolean                          shader_float64;
} QsGpuContext;

/**
 * qs_gpu_context_new:
 * @device_index: an index from qs_gpu_list_devices(), or -1 for the
 *   preferred device of any kind (qs_gpu_pick_device() with CPU devices
 *   allowed)
 *
 * Creates an instance and a logical device with one compute queue.
 * Setting the environment variable QS_GPU_VALIDATE=1 enables the Khronos
 * validation layer when it is installed, and reports its errors as
 * warnings.
 *
 * Returns: (transfer full): the context, or %NULL with @error set;
 *   %QS_GPU_ERROR_NO_DEVICE when the index does not exist or no device is
 *   usable
 */
QsGpuContext *qs_gpu_context_new          (int            device_index,
                                           GError       **error);
QsGpuContext *qs_gpu_context_ref          (QsGpuContext  *self);
void          qs_gpu_context_unref        (QsGpuContext  *self);

void          qs_gpu_context_lock_queue   (QsGpuContext  *self);
void          qs_gpu_context_unlock_queue (QsGpuContext  *self);

/**
 * qs_gpu_context_find_memory_type:
 * @type_bits: the memoryTypeBits of a VkMemoryRequirements
 * @required: flags the type must have
 * @preferred: flags to prefer among the types that have @required
 *
 * Returns: the memory type index, or -1 when no type has @required
 */
int           qs_gpu_context_find_memory_type (QsGpuContext          *self,
                                               guint32                type_bits,
                                               VkMemoryPropertyFlags  required,
                                               VkMemoryPropertyFlags  preferred);

/**
 * qs_gpu_context_get_device_local_heap_size:
 *
 * Returns: the size of the largest device-local heap, in bytes
 */
guint64       qs_gpu_context_get_device_local_heap_size (QsGpuContext *self);

/**
 * qs_gpu_context_set_device_buffers_mapped:
 * @mapped: whether device buffers in host-visible memory get a host
 *   mapping (the default)
 *
 * Controls the mapping of device buffers created from now on. Without it,
 * uploads go through staging buffers and a copy on the device, as on a
 * discrete GPU whose device memory the host cannot see. Tests use this to
 * run those paths on integrated GPUs and lavapipe.
 */
void          qs_gpu_context_set_device_buffers_mapped (QsGpuContext *self,
                                                        gboolean      mapped);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsGpuContext, qs_gpu_context_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QsGpuDeviceInfo, qs_gpu_device_info_free)

G_END_DECLS
