/* test-gpu-quantize.c: the error kernel against the CPU quantizer, value
 * by value, for every SDNQ dtype
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "qs-gpu-backend.h"
#include "qs-gpu-command.h"
#include "qs-gpu-quantize.h"

#include "gpu-test-common.h"

static QsGpuContext *context;

typedef struct
{
  const char *name;
  guint       ndim;
  gint64      shape[4];
  gint64      group_size;   /* resolved: a divisor, -1 or -2 */
} Geometry;

static const Geometry geometries[] = {
  { "linear-g32", 2, { 40, 96 }, 32 },
  { "linear-rowwise", 2, { 7, 100 }, -1 },
  { "conv-g8", 4, { 6, 16, 3, 3 }, 8 },
  { "tensor-wise", 2, { 12, 20 }, -2 },
};

/* Weights with the special rows that matter: an all-zero row and a
 * constant row (scale 0), and a row of tiny values. */
static float *
make_weight (const Geometry *geometry,
             gsize          *numel)
{
  gsize row_len = 1;
  float *w;

  for (guint d = 1; d < geometry->ndim; d++)
    row_len *= geometry->shape[d];
  *numel = row_len * geometry->shape[0];

  w = g_new (float, *numel);
  gpu_test_fill_weights (w, *numel, 7);

  if (geometry->group_size != -2)
    {
      for (gsize j = 0; j < row_len; j++)
        {
          w[j] = 0.0f;
          w[row_len + j] = 0.125f;
          w[2 * row_len + j] *= 1e-6f;
        }
    }

  return w;
}

/* Uploads, runs the error kernel with a reconstruction output, and
 * compares values, sums and degenerate counts with the CPU. */
static void
check_dtype (const QsDtype  *dtype,
             const Geometry *geometry,
             guint          *n_mismatches)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QsGpuCommand) command = qs_gpu_command_new (context, &error);
  g_autoptr(QsGpuBuffer) original = NULL;
  g_autoptr(QsGpuBuffer) partials = NULL;
  g_autoptr(QsGpuBuffer) reconstruction = NULL;
  g_autoptr(QsGpuBuffer) stats = NULL;
  g_autoptr(QsQuantizedLayer) quantized = NULL;
  g_autofree float *weight = NULL;
  g_autofree float *expected = NULL;
  QsGpuErrorFormat format = { 0 };
  QsGroupLayout cpu_layout;
  QsErrorSums cpu_sums;
  QsErrorSums gpu_sums;
  guint64 n_degenerate;
  const float *got;
  gsize numel;

  g_assert_no_error (error);
  weight = make_weight (geometry, &numel);

  original = qs_gpu_buffer_new (context, QS_GPU_BUFFER_UPLOAD, numel * sizeof (float), &error);
  g_assert_no_error (error);
  memcpy (original->mapped, weight, numel * sizeof (float));
  qs_gpu_buffer_flush (original);
  partials = qs_gpu_buffer_new (context, QS_GPU_BUFFER_READBACK,
                                QS_GPU_PARTIAL_SLOTS * QS_GPU_PARTIAL_SLOT_WORDS * 4, &error);
  g_assert_no_error (error);
  reconstruction = qs_gpu_buffer_new (context, QS_GPU_BUFFER_READBACK, numel * sizeof (float),
                                      &error);
  g_assert_no_error (error);

  format.dtype = dtype;
  format.tensor_wise = geometry->group_size == -2;
  qs_group_layout_init (&format.layout, geometry->shape, geometry->ndim,
                        format.tensor_wise ? -1 : geometry->group_size);
  qs_group_layout_init (&cpu_layout, geometry->shape, geometry->ndim, geometry->group_size);
  quantized = qs_quantize_layer (dtype, &cpu_layout, weight);
  expected = g_new (float, numel);
  qs_dequantize_layer (quantized, expected);

  if (format.tensor_wise)
    {
      float cpu_scale;
      float cpu_zero_point;
      gboolean cpu_degenerate;
      gboolean gpu_degenerate;

      stats = qs_gpu_buffer_new (context, QS_GPU_BUFFER_READBACK,
                                 QS_GPU_STATS_SLOTS * QS_GPU_STATS_SLOT_WORDS * 4, &error);
      g_assert_no_error (error);
      g_assert_true (qs_gpu_command_begin (command, &error));
      qs_gpu_command_fill (command, stats, 0, stats->size, 0);
      qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_TRANSFER_BIT,
                              VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT);
      g_assert_true (qs_gpu_record_tensor_stats (command, original, NULL, numel, stats, &error));
      qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                              VK_PIPELINE_STAGE_HOST_BIT);
      g_assert_true (qs_gpu_command_run (command, NULL, &error));
      g_assert_no_error (error);
      qs_gpu_buffer_invalidate (stats);

      gpu_degenerate = qs_gpu_tensor_scale_from_stats (dtype, stats->mapped, &format.fixed_scale,
                                                       &format.fixed_zero_point);
      cpu_degenerate = qs_quantize_group (dtype, weight, numel, NULL, &cpu_scale, &cpu_zero_point);
      g_assert_cmpint (gpu_degenerate, ==, cpu_degenerate);
      g_assert_cmpfloat (format.fixed_scale, ==, cpu_scale);
      g_assert_cmpfloat (format.fixed_zero_point, ==, cpu_zero_point);
    }

  g_assert_true (qs_gpu_command_begin (command, &error));
  qs_gpu_command_fill (command, partials, 0, partials->size, 0);
  qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_TRANSFER_BIT,
                          VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT);
  g_assert_true (qs_gpu_record_error_pass (command, &format, original, NULL,
                                           QS_GPU_PRODUCT_ROUND_NONE, geometry->shape[0],
                                           partials, reconstruction, &error));
  qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                          VK_PIPELINE_STAGE_HOST_BIT);
  g_assert_true (qs_gpu_command_run (command, NULL, &error));
  g_assert_no_error (error);
  qs_gpu_buffer_invalidate (partials);
  qs_gpu_buffer_invalidate (reconstruction);

  got = reconstruction->mapped;
  for (gsize i = 0; i < numel; i++)
    {
      /* == treats −0 and +0 as equal; the sign of a zero changes no metric. */
      if (got[i] != expected[i])
        {
          if ((*n_mismatches)++ < 10)
            g_test_message ("%s %s element %" G_GSIZE_FORMAT ": weight %.9g, CPU %.9g, GPU %.9g",
                            dtype->name, geometry->name, i, weight[i], expected[i], got[i]);
        }
    }

  qs_error_sums_clear (&cpu_sums);
  qs_error_sums_add (&cpu_sums, weight, expected, numel);
  qs_gpu_error_sums_from_partials (partials->mapped, numel, &gpu_sums, &n_degenerate);
  if (format.tensor_wise)
    n_degenerate = quantized->n_degenerate_groups;

  g_assert_cmpuint (gpu_sums.n, ==, cpu_sums.n);
  gpu_test_assert_relative (gpu_sums.sum_sq_err, cpu_sums.sum_sq_err, 1e-6);
  gpu_test_assert_relative (gpu_sums.sum_dot, cpu_sums.sum_dot, 1e-6);
  gpu_test_assert_relative (gpu_sums.sum_recon_sq, cpu_sums.sum_recon_sq, 1e-6);
  g_assert_cmpfloat (gpu_sums.max_abs_err, ==, cpu_sums.max_abs_err);
  g_assert_cmpuint (n_degenerate, ==, quantized->n_degenerate_groups);
}

/* Every dtype whose values survive packing, on each geometry. */
static void
test_all_dtypes (gconstpointer data)
{
  const Geometry *geometry = data;
  const QsDtype *const *dtypes;
  guint n_dtypes;
  guint n_checked = 0;
  guint n_mismatches = 0;

  dtypes = qs_dtype_get_all (&n_dtypes);
  for (guint i = 0; i < n_dtypes; i++)
    {
      if (qs_dtype_needs_pack_round_trip (dtypes[i]))
        continue;

      check_dtype (dtypes[i], geometry, &n_mismatches);
      n_checked++;
    }

  g_test_message ("%u dtypes checked on %s", n_checked, geometry->name);
  g_assert_cmpuint (n_checked, >, 100);
  g_assert_cmpuint (n_mismatches, ==, 0);
}

/* The division that decides every quantized value, on quotients near the
 * half-integers where round-half-even matters. */
static void
test_ties (void)
{
  const char *names[] = { "int8", "uint8", "int4", "uint4", "float8_e4m3fn", "float4_e2m1fn" };
  Geometry geometry = { "ties", 2, { 4, 64 }, 64 };

  for (guint n = 0; n < G_N_ELEMENTS (names); n++)
    {
      const QsDtype *dtype = qs_dtype_lookup (names[n]);
      g_autoptr(GError) error = NULL;
      g_autoptr(QsGpuCommand) command = qs_gpu_command_new (context, &error);
      g_autoptr(QsGpuBuffer) original = NULL;
      g_autoptr(QsGpuBuffer) partials = NULL;
      g_autoptr(QsGpuBuffer) reconstruction = NULL;
      g_autoptr(QsQuantizedLayer) quantized = NULL;
      float weight[4 * 64];
      float expected[4 * 64];
      QsGpuErrorFormat format = { 0 };
      const float *got;

      g_assert_nonnull (dtype);

      /* Multiples of half the scale: exact ties when the scale is a power
       * of two, near ties otherwise. */
      for (guint i = 0; i < G_N_ELEMENTS (weight); i++)
        weight[i] = (float) ((int) (i % 64) - 31) * 0.5f * (1.0f + (float) (i / 64) / 64.0f);

      original = qs_gpu_buffer_new (context, QS_GPU_BUFFER_UPLOAD, sizeof weight, &error);
      partials = qs_gpu_buffer_new (context, QS_GPU_BUFFER_READBACK,
                                    QS_GPU_PARTIAL_SLOTS * QS_GPU_PARTIAL_SLOT_WORDS * 4, &error);
      reconstruction = qs_gpu_buffer_new (context, QS_GPU_BUFFER_READBACK, sizeof weight, &error);
      g_assert_no_error (error);
      memcpy (original->mapped, weight, sizeof weight);
      qs_gpu_buffer_flush (original);

      format.dtype = dtype;
      qs_group_layout_init (&format.layout, geometry.shape, 2, 64);
      quantized = qs_quantize_layer (dtype, &format.layout, weight);
      qs_dequantize_layer (quantized, expected);

      g_assert_true (qs_gpu_command_begin (command, &error));
      qs_gpu_command_fill (command, partials, 0, partials->size, 0);
      qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_TRANSFER_BIT,
                              VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT);
      g_assert_true (qs_gpu_record_error_pass (command, &format, original, NULL,
                                               QS_GPU_PRODUCT_ROUND_NONE, 4, partials,
                                               reconstruction, &error));
      qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                              VK_PIPELINE_STAGE_HOST_BIT);
      g_assert_true (qs_gpu_command_run (command, NULL, &error));
      g_assert_no_error (error);
      qs_gpu_buffer_invalidate (reconstruction);

      got = reconstruction->mapped;
      for (guint i = 0; i < G_N_ELEMENTS (weight); i++)
        if (got[i] != expected[i])
          g_error ("%s element %u: weight %.9g, CPU %.9g, GPU %.9g",
                   names[n], i, weight[i], expected[i], got[i]);
    }
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  context = gpu_test_open_context (argc, argv);

  for (guint i = 0; i < G_N_ELEMENTS (geometries); i++)
    {
      g_autofree char *path = g_strdup_printf ("/qs/gpu/quantize/all-dtypes/%s",
                                               geometries[i].name);

      g_test_add_data_func (path, &geometries[i], test_all_dtypes);
    }
  g_test_add_func ("/qs/gpu/quantize/ties", test_ties);

  ret = g_test_run ();
  qs_gpu_context_unref (context);

  return ret;
}
