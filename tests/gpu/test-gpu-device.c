/* test-gpu-device.c: device listing, the device factory, errors and the
 * decode kernel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "qs-float.h"
#include "qs-gpu-backend.h"
#include "qs-gpu-pipeline.h"
#include "qs-gpu-quantize.h"

#include "gpu-test-common.h"

static QsGpuContext *context;

static void
test_list (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = qs_gpu_list_devices (&error);

  g_assert_no_error (error);
  g_assert_nonnull (devices);
  g_assert_cmpuint (devices->len, >, 0);

  for (guint i = 0; i < devices->len; i++)
    {
      const QsGpuDeviceInfo *info = g_ptr_array_index (devices, i);

      g_assert_cmpuint (info->index, ==, i);
      g_assert_nonnull (info->name);
      g_assert_cmpstr (info->name, !=, "");
      g_assert_nonnull (info->driver);
      g_assert_cmpstr (info->driver, !=, "");
      g_assert_cmpint (info->type, >=, QS_GPU_DEVICE_TYPE_DISCRETE);
      g_assert_cmpint (info->type, <=, QS_GPU_DEVICE_TYPE_OTHER);
      if (info->usable)
        {
          g_assert_null (info->unusable_reason);
          g_assert_cmpuint (info->api_version, >=, VK_API_VERSION_1_1);
          g_assert_cmpuint (info->memory, >, 0);
        }
      else
        {
          g_assert_nonnull (info->unusable_reason);
        }
    }

  /* The context opened the preferred device. */
  g_assert_cmpint (qs_gpu_pick_device (devices, TRUE), ==, (int) context->info.index);
  g_assert_cmpstr (context->info.name, ==,
                   ((QsGpuDeviceInfo *) g_ptr_array_index (devices, context->info.index))->name);
}

static QsGpuDeviceInfo *
fake_device (guint           index,
             QsGpuDeviceType type,
             gboolean        usable)
{
  QsGpuDeviceInfo *info = g_new0 (QsGpuDeviceInfo, 1);

  info->index = index;
  info->name = g_strdup_printf ("device %u", index);
  info->driver = g_strdup ("test");
  info->type = type;
  info->usable = usable;
  if (!usable)
    info->unusable_reason = g_strdup ("has no compute queue");

  return info;
}

static void
test_pick_order (void)
{
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func ((GDestroyNotify) qs_gpu_device_info_free);

  g_assert_cmpint (qs_gpu_pick_device (devices, TRUE), ==, -1);

  g_ptr_array_add (devices, fake_device (0, QS_GPU_DEVICE_TYPE_CPU, TRUE));
  g_assert_cmpint (qs_gpu_pick_device (devices, FALSE), ==, -1);
  g_assert_cmpint (qs_gpu_pick_device (devices, TRUE), ==, 0);

  g_ptr_array_add (devices, fake_device (1, QS_GPU_DEVICE_TYPE_VIRTUAL, TRUE));
  g_assert_cmpint (qs_gpu_pick_device (devices, FALSE), ==, 1);

  g_ptr_array_add (devices, fake_device (2, QS_GPU_DEVICE_TYPE_INTEGRATED, TRUE));
  g_assert_cmpint (qs_gpu_pick_device (devices, TRUE), ==, 2);

  /* An unusable discrete GPU is passed over; a usable one wins. */
  g_ptr_array_add (devices, fake_device (3, QS_GPU_DEVICE_TYPE_DISCRETE, FALSE));
  g_assert_cmpint (qs_gpu_pick_device (devices, TRUE), ==, 2);
  g_ptr_array_add (devices, fake_device (4, QS_GPU_DEVICE_TYPE_DISCRETE, TRUE));
  g_ptr_array_add (devices, fake_device (5, QS_GPU_DEVICE_TYPE_DISCRETE, TRUE));
  g_assert_cmpint (qs_gpu_pick_device (devices, FALSE), ==, 4);
}

static void
test_factory_bad_index (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QsBackend) backend = qs_gpu_backend_new_for_device ("vulkan:99", 1, NULL, &error);

  g_assert_null (backend);
  g_assert_error (error, QS_GPU_ERROR, QS_GPU_ERROR_NO_DEVICE);
  g_assert_nonnull (strstr (error->message, "Vulkan device 99 does not exist"));
  g_assert_nonnull (strstr (error->message, "quantscope-cli devices"));
}

static void
test_factory_invalid (void)
{
  const char *invalid[] = { "metal", "vulkan:", "vulkan:x", "vulkan:-1", "cuda:1:2", "gpu" };

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(QsBackend) backend = qs_gpu_backend_new_for_device (invalid[i], 1, NULL, &error);

      g_assert_null (backend);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, invalid[i]));
      g_assert_nonnull (strstr (error->message, "expected auto, cpu, vulkan"));
    }
}

static void
test_factory_cpu (void)
{
  g_autoptr(GError) error = NULL;
  /* The note is an out argument: a value left in it is overwritten. */
  char *note = (char *) "not set";
  g_autoptr(QsBackend) backend = qs_gpu_backend_new_for_device ("CPU", 1, &note, &error);

  g_assert_no_error (error);
  g_assert_true (QS_IS_CPU_BACKEND (backend));
  g_assert_null (note);
}

static void
test_factory_vulkan (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *note = NULL;
  g_autoptr(QsBackend) backend = qs_gpu_backend_new_for_device ("vulkan", 1, &note, &error);
  g_autofree char *expected_name = g_strdup_printf ("Vulkan: %s", context->info.name);

  g_assert_no_error (error);
  g_assert_true (QS_IS_GPU_BACKEND (backend));
  g_assert_cmpstr (qs_backend_get_name (backend), ==, expected_name);
  g_assert_nonnull (note);
  g_assert_nonnull (strstr (note, context->info.name));
  if (context->info.type == QS_GPU_DEVICE_TYPE_CPU)
    g_assert_nonnull (strstr (note, "slower than --device cpu"));
}

static void
test_factory_index (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *device = g_strdup_printf ("Vulkan:%u", context->info.index);
  g_autoptr(QsBackend) backend = qs_gpu_backend_new_for_device (device, 1, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (QS_IS_GPU_BACKEND (backend));
  g_assert_cmpuint (qs_gpu_backend_get_context (QS_GPU_BACKEND (backend))->info.index, ==,
                    context->info.index);
}

static void
test_factory_auto (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = qs_gpu_list_devices (&error);
  g_autofree char *note = NULL;
  g_autoptr(QsBackend) backend = NULL;
  int gpu;

  g_assert_no_error (error);
  gpu = qs_gpu_pick_device (devices, FALSE);

  backend = qs_gpu_backend_new_for_device ("auto", 1, &note, &error);
  g_assert_no_error (error);
  g_assert_nonnull (note);

  if (gpu >= 0)
    {
      g_assert_true (QS_IS_GPU_BACKEND (backend));
      g_assert_nonnull (strstr (note, ((QsGpuDeviceInfo *) g_ptr_array_index (devices, gpu))->name));
    }
  else
    {
      /* With only CPU implementations such as lavapipe, auto returns the
       * CPU backend and a note that gives the reason. */
      g_assert_true (QS_IS_CPU_BACKEND (backend));
      g_assert_nonnull (strstr (note, "computing on the CPU"));
      g_assert_nonnull (strstr (note, "CPU implementation"));
    }

  /* NULL means auto too. */
  g_clear_object (&backend);
  backend = qs_gpu_backend_new_for_device (NULL, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (backend);
}

static void
test_factory_cuda (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = qs_gpu_list_devices (&error);
  g_autofree char *note = NULL;
  g_autoptr(QsBackend) backend = NULL;
  g_autoptr(QsBackend) missing = NULL;
  guint n_gpus = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < devices->len; i++)
    n_gpus += ((QsGpuDeviceInfo *) g_ptr_array_index (devices, i))->type != QS_GPU_DEVICE_TYPE_CPU;

  backend = qs_gpu_backend_new_for_device ("cuda", 1, &note, &error);
  if (n_gpus > 0)
    {
      g_assert_no_error (error);
      g_assert_true (QS_IS_GPU_BACKEND (backend));
      g_assert_nonnull (strstr (note, "no CUDA backend"));
      g_assert_nonnull (strstr (note, "through Vulkan"));
    }
  else
    {
      g_assert_null (backend);
      g_assert_error (error, QS_GPU_ERROR, QS_GPU_ERROR_NO_DEVICE);
      g_assert_nonnull (strstr (error->message, "use --device cpu"));
      g_clear_error (&error);
    }

  missing = qs_gpu_backend_new_for_device ("cuda:57", 1, NULL, &error);
  g_assert_null (missing);
  g_assert_error (error, QS_GPU_ERROR, QS_GPU_ERROR_NO_DEVICE);
}

static void
test_check_result (void)
{
  static const struct
  {
    VkResult result;
    int      code;
  } cases[] = {
    { VK_ERROR_DEVICE_LOST, QS_GPU_ERROR_DEVICE_LOST },
    { VK_ERROR_OUT_OF_DEVICE_MEMORY, QS_GPU_ERROR_OUT_OF_MEMORY },
    { VK_ERROR_OUT_OF_HOST_MEMORY, QS_GPU_ERROR_OUT_OF_MEMORY },
    { VK_ERROR_INCOMPATIBLE_DRIVER, QS_GPU_ERROR_NO_DEVICE },
    { VK_ERROR_FEATURE_NOT_PRESENT, QS_GPU_ERROR_UNSUPPORTED },
    { VK_ERROR_INITIALIZATION_FAILED, QS_GPU_ERROR_FAILED },
  };
  g_autoptr(GError) error = NULL;

  g_assert_true (qs_gpu_check (VK_SUCCESS, "vkCreateBuffer", &error));
  g_assert_true (qs_gpu_check (VK_TIMEOUT, "vkWaitForFences", &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *expected = g_strdup_printf ("vkQueueSubmit failed: %s",
                                                   qs_gpu_result_to_string (cases[i].result));

      g_assert_false (qs_gpu_check (cases[i].result, "vkQueueSubmit", &error));
      g_assert_error (error, QS_GPU_ERROR, cases[i].code);
      g_assert_cmpstr (error->message, ==, expected);
      g_clear_error (&error);
    }

  g_assert_cmpstr (qs_gpu_result_to_string (VK_ERROR_DEVICE_LOST), ==, "VK_ERROR_DEVICE_LOST");
}

static void
test_missing_shader (void)
{
  g_autoptr(GError) error = NULL;
  QsGpuPipeline *pipeline = qs_gpu_context_get_pipeline (context, "no_such_kernel", 1, 4,
                                                         NULL, 0, &error);

  g_assert_null (pipeline);
  g_assert_error (error, QS_GPU_ERROR, QS_GPU_ERROR_SHADER);
  g_assert_nonnull (strstr (error->message, "no_such_kernel"));
}

static void
test_buffer_too_large (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QsGpuBuffer) buffer = qs_gpu_buffer_new (context, QS_GPU_BUFFER_DEVICE,
                                                     context->max_allocation_size + 4096, &error);

  g_assert_null (buffer);
  g_assert_error (error, QS_GPU_ERROR, QS_GPU_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "allocation limit"));
}

/* Every 16-bit pattern, stored from an odd byte offset, widens to the
 * CPU decoder's bits. */
static void
test_decode_16bit (gconstpointer data)
{
  QsGpuDecodeFormat format = GPOINTER_TO_INT (data);
  const gint64 n = 65536 + 1;
  g_autofree guint8 *storage = g_malloc (2 * n + 1);
  guint8 *raw = storage + 1;
  g_autofree float *out = g_new (float, n);
  g_autoptr(GError) error = NULL;
  guint mismatches = 0;

  for (gint64 i = 0; i < n; i++)
    qs_store_u16_le (raw + 2 * i, (guint16) i);

  g_assert_true (qs_gpu_decode_weights (context, format, raw, n, out, NULL, &error));
  g_assert_no_error (error);

  for (gint64 i = 0; i < n; i++)
    {
      guint16 bits = (guint16) i;
      float expected = format == QS_GPU_DECODE_BF16 ? qs_bf16_to_f32 (bits) : qs_f16_to_f32 (bits);
      guint32 expected_bits;
      guint32 got_bits;

      memcpy (&expected_bits, &expected, sizeof expected_bits);
      memcpy (&got_bits, &out[i], sizeof got_bits);
      if (expected_bits != got_bits)
        {
          if (mismatches++ < 5)
            g_test_message ("pattern 0x%04x: expected 0x%08x, got 0x%08x",
                            bits, expected_bits, got_bits);
        }
    }

  g_assert_cmpuint (mismatches, ==, 0);
}

static void
test_decode_f32 (void)
{
  const float values[] = { 0.0f, -0.0f, 1.5f, -3.25e-3f, 1e-40f, 3.4e38f, INFINITY };
  float out[G_N_ELEMENTS (values)];
  g_autoptr(GError) error = NULL;

  g_assert_true (qs_gpu_decode_weights (context, QS_GPU_DECODE_F32, (const guint8 *) values,
                                        G_N_ELEMENTS (values), out, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out, sizeof out, values, sizeof values);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  context = gpu_test_open_context (argc, argv);

  g_test_add_func ("/qs/gpu/device/list", test_list);
  g_test_add_func ("/qs/gpu/device/pick-order", test_pick_order);
  g_test_add_func ("/qs/gpu/device/factory-bad-index", test_factory_bad_index);
  g_test_add_func ("/qs/gpu/device/factory-invalid", test_factory_invalid);
  g_test_add_func ("/qs/gpu/device/factory-cpu", test_factory_cpu);
  g_test_add_func ("/qs/gpu/device/factory-vulkan", test_factory_vulkan);
  g_test_add_func ("/qs/gpu/device/factory-index", test_factory_index);
  g_test_add_func ("/qs/gpu/device/factory-auto", test_factory_auto);
  g_test_add_func ("/qs/gpu/device/factory-cuda", test_factory_cuda);
  g_test_add_func ("/qs/gpu/device/check-result", test_check_result);
  g_test_add_func ("/qs/gpu/device/missing-shader", test_missing_shader);
  g_test_add_func ("/qs/gpu/device/buffer-too-large", test_buffer_too_large);
  g_test_add_data_func ("/qs/gpu/device/decode-bf16", GINT_TO_POINTER (QS_GPU_DECODE_BF16),
                        test_decode_16bit);
  g_test_add_data_func ("/qs/gpu/device/decode-f16", GINT_TO_POINTER (QS_GPU_DECODE_F16),
                        test_decode_16bit);
  g_test_add_func ("/qs/gpu/device/decode-f32", test_decode_f32);

  ret = g_test_run ();
  qs_gpu_context_unref (context);

  return ret;
}
