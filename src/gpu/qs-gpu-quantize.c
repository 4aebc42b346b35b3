/* qs-gpu-quantize.c: the fused error kernel, tensor-wise statistics and
 * weight decoding
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <math.h>
#include <string.h>

#include "qs-gpu-error.h"
#include "qs-gpu-pipeline.h"
#include "qs-gpu-quantize.h"

/* Workgroup size of every kernel here, fixed in the shaders. */
#define WORKGROUP_SIZE 256

/* Values each invocation handles per group before more invocations share
 * a group. */
#define VALUES_PER_LANE 8

/* The variants of shaders/quant.glsl. */
typedef enum
{
  VARIANT_INT_SMALL = 0,
  VARIANT_INT_WIDE = 1,
  VARIANT_CUSTOM_FLOAT = 2,
  VARIANT_NATIVE_ROUND = 3,
  VARIANT_IDENTITY = 4,
} Variant;

enum
{
  FLAG_PRODUCT = 1 << 0,
  FLAG_FIXED_SCALE = 1 << 1,
  FLAG_WRITE_RECON = 1 << 2,
};

/* The push constants of quantize_error.comp, in its order. */
typedef struct
{
  guint32 n_groups;
  guint32 group_size;
  guint32 groups_per_row;
  guint32 spatial;
  guint32 row_len;
  guint32 lanes;
  guint32 flags;
  guint32 product_round;
  guint32 slot_base;
  guint32 shift;
  guint32 wrap;
  float   qmin;
  float   qmax;
  float   divisor;
  float   min_normal;
  float   to_units;
  float   unit;
  float   lost_units;
  float   fixed_scale;
  float   fixed_zero_point;
} ErrorPush;

typedef struct
{
  guint32 n_elements;
  guint32 flags;
  guint32 slot_base;
} StatsPush;

typedef struct
{
  guint32 n_elements;
  guint32 format;
} DecodePush;

/* Fills the dtype part of the push constants the way the CPU quantizer
 * sets up its parameters, and returns the shader variant. */
static Variant
dtype_params (const QsDtype *dtype,
              ErrorPush     *push)
{
  push->qmin = (float) dtype->min;
  push->qmax = (float) dtype->max;
  /* SDNQ divides by the Python number max − min (asymmetric) or max
   * (symmetric), which PyTorch converts to fp32. */
  push->divisor = dtype->is_unsigned ? (float) (dtype->max - dtype->min) : (float) dtype->max;
  push->lost_units = -1.0f;

  switch (dtype->kind)
    {
    case QS_DTYPE_KIND_INT:
      if (dtype->num_bits <= 16)
        return VARIANT_INT_SMALL;
      push->wrap = dtype->is_unsigned ? 2 : 1;
      return VARIANT_INT_WIDE;

    case QS_DTYPE_KIND_CUSTOM_FLOAT:
      {
        int half_range = 1 << (dtype->exponent - 1);

        push->shift = 23 - dtype->mantissa;
        push->min_normal = ldexpf (1.0f, 2 - half_range);
        push->to_units = ldexpf (1.0f, (int) dtype->mantissa - 2 + half_range);
        push->unit = ldexpf (1.0f, 2 - half_range - (int) dtype->mantissa);
        /* With one exponent bit, a subnormal count that rounds up to the
         * smallest normal encodes as zero (see qs_encode_custom_float()). */
        if (dtype->exponent == 1)
          push->lost_units = ldexpf (1.0f, (int) dtype->mantissa);
        return VARIANT_CUSTOM_FLOAT;
      }

    case QS_DTYPE_KIND_NATIVE_FLOAT:
    default:
      if (dtype->num_bits == 32)
        return VARIANT_IDENTITY;

      push->shift = 23 - dtype->mantissa;
      if (dtype->exponent == 8)
        {
          /* bfloat16 shares fp32's exponent range: no subnormal path. */
          push->min_normal = 0.0f;
          push->to_units = 1.0f;
          push->unit = 1.0f;
        }
      else
        {
          int bias = (1 << (dtype->exponent - 1)) - 1;

          push->min_normal = ldexpf (1.0f, 1 - bias);
          push->unit = ldexpf (1.0f, 1 - bias - (int) dtype->mantissa);
          push->to_units = ldexpf (1.0f, bias + (int) dtype->mantissa - 1);
        }
      return VARIANT_NATIVE_ROUND;
    }
}

static guint32
next_power_of_two (guint64 value)
{
  guint32 power = 1;

  while (power < value && power < G_MAXUINT32 / 2)
    power <<= 1;

  return power;
}

/* Runs probe.comp on multiply-adds whose fused and unfused results differ
 * and reports whether every result equals fmaf. */
static gboolean
probe_fused_fma (QsGpuContext  *context,
                 gboolean      *fused,
                 GError       **error)
{
  const guint n_cases = 256;
  g_autoptr(QsGpuCommand) command = NULL;
  g_autoptr(QsGpuBuffer) cases = NULL;
  g_autoptr(QsGpuBuffer) results = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  QsGpuBuffer *buffers[2];
  QsGpuPipeline *pipeline;
  float *input;
  const float *output;
  guint32 push = n_cases;

  pipeline = qs_gpu_context_get_pipeline (context, "probe", 2, sizeof push, NULL, 0, error);
  command = pipeline != NULL ? qs_gpu_command_new (context, error) : NULL;
  cases = command != NULL
          ? qs_gpu_buffer_new (context, QS_GPU_BUFFER_UPLOAD, n_cases * 4 * sizeof (float), error)
          : NULL;
  results = cases != NULL
            ? qs_gpu_buffer_new (context, QS_GPU_BUFFER_READBACK, n_cases * sizeof (float), error)
            : NULL;
  if (results == NULL)
    return FALSE;

  /* A dequantization's shape: small integer times scale plus offset. */
  input = cases->mapped;
  for (guint i = 0; i < n_cases; i++)
    {
      input[4 * i + 0] = (float) g_rand_int_range (rand, 1, 256);
      input[4 * i + 1] = (float) g_rand_double_range (rand, 1e-3, 1.0);
      input[4 * i + 2] = (float) g_rand_double_range (rand, -20.0, 20.0);
      input[4 * i + 3] = 0.0f;
    }
  qs_gpu_buffer_flush (cases);

  buffers[0] = cases;
  buffers[1] = results;
  if (!qs_gpu_command_begin (command, error) ||
      !qs_gpu_command_dispatch (command, pipeline, buffers, &push, (n_cases + 63) / 64, 1, 1,
                                error))
    return FALSE;
  qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                          VK_PIPELINE_STAGE_HOST_BIT);
  if (!qs_gpu_command_run (command, NULL, error))
    return FALSE;

  qs_gpu_buffer_invalidate (results);
  output = results->mapped;
  *fused = TRUE;
  for (guint i = 0; i < n_cases; i++)
    *fused &= output[i] == fmaf (input[4 * i], input[4 * i + 1], input[4 * i + 2]);

  return TRUE;
}

static const char *
describe_arithmetic (QsGpuArithmetic arithmetic)
{
  switch (arithmetic)
    {
    case QS_GPU_ARITHMETIC_FUSED_FMA:
      return "fp32 with fused multiply-add";
    case QS_GPU_ARITHMETIC_FLOAT64:
      return "fp64 for division and multiply-add";
    case QS_GPU_ARITHMETIC_APPROXIMATE:
      return "fp32 without exact division (last bits may differ from the CPU)";
    case QS_GPU_ARITHMETIC_UNKNOWN:
    default:
      return "an unknown arithmetic";
    }
}

QsGpuArithmetic
qs_gpu_get_arithmetic (QsGpuContext  *context,
                       GError       **error)
{
  QsGpuArithmetic arithmetic;
  gboolean fused;

  g_return_val_if_fail (context != NULL, QS_GPU_ARITHMETIC_UNKNOWN);

  g_mutex_lock (&context->probe_lock);

  if (context->arithmetic == QS_GPU_ARITHMETIC_UNKNOWN &&
      probe_fused_fma (context, &fused, error))
    {
      if (fused)
        context->arithmetic = QS_GPU_ARITHMETIC_FUSED_FMA;
      else if (context->shader_float64)
        context->arithmetic = QS_GPU_ARITHMETIC_FLOAT64;
      else
        context->arithmetic = QS_GPU_ARITHMETIC_APPROXIMATE;

      g_debug ("%s: fma() is %sfused; the error kernel uses %s", context->info.name,
               fused ? "" : "not ", describe_arithmetic (context->arithmetic));
    }
  arithmetic = context->arithmetic;

  g_mutex_unlock (&context->probe_lock);

  return arithmetic;
}

gboolean
qs_gpu_record_error_pass (QsGpuCommand            *command,
                          const QsGpuErrorFormat  *format,
                          QsGpuBuffer             *original,
                          QsGpuBuffer             *product,
                          QsGpuProductRound        product_round,
                          gint64                   n_rows,
                          QsGpuBuffer             *partials,
                          QsGpuBuffer             *reconstruction,
                          GError                 **error)
{
  QsGpuContext *context = qs_gpu_command_get_context (command);
  ErrorPush push;
  QsGpuBuffer *buffers[4];
  QsGpuPipeline *pipeline;
  QsGpuArithmetic arithmetic;
  guint32 spec[2];
  guint64 n_groups;
  guint64 groups_per_tile;
  guint64 n_tiles;
  guint64 row_len;

  g_return_val_if_fail (format != NULL && format->dtype != NULL, FALSE);
  g_return_val_if_fail (!qs_dtype_needs_pack_round_trip (format->dtype), FALSE);

  memset (&push, 0, sizeof push);
  spec[0] = dtype_params (format->dtype, &push);
  spec[1] = format->dtype->is_unsigned ? 1 : 0;

  row_len = (guint64) format->layout.channels * (guint64) format->layout.spatial;
  if (format->tensor_wise)
    {
      /* One scale for everything, so each row may serve as a group. */
      n_groups = (guint64) n_rows;
      push.group_size = (guint32) row_len;
      push.groups_per_row = 1;
      push.spatial = 1;
      push.flags |= FLAG_FIXED_SCALE;
      push.fixed_scale = format->fixed_scale;
      push.fixed_zero_point = format->fixed_zero_point;
    }
  else
    {
      n_groups = (guint64) n_rows * (guint64) format->layout.n_groups * (guint64) format->layout.spatial;
      push.group_size = (guint32) format->layout.group_size;
      push.groups_per_row = (guint32) (format->layout.n_groups * format->layout.spatial);
      push.spatial = (guint32) format->layout.spatial;
    }

  push.n_groups = (guint32) n_groups;
  push.row_len = (guint32) row_len;
  push.lanes = MIN (WORKGROUP_SIZE, next_power_of_two ((push.group_size + VALUES_PER_LANE - 1) /
                                                       VALUES_PER_LANE));
  push.slot_base = format->slot_base;
  if (product != NULL)
    {
      push.flags |= FLAG_PRODUCT;
      push.product_round = product_round;
    }
  if (reconstruction != NULL)
    push.flags |= FLAG_WRITE_RECON;

  arithmetic = qs_gpu_get_arithmetic (context, error);
  if (arithmetic == QS_GPU_ARITHMETIC_UNKNOWN)
    return FALSE;

  pipeline = qs_gpu_context_get_pipeline (context,
                                          arithmetic == QS_GPU_ARITHMETIC_FLOAT64
                                          ? "quantize_error_fp64" : "quantize_error",
                                          4, sizeof push, spec, G_N_ELEMENTS (spec), error);
  if (pipeline == NULL)
    return FALSE;

  groups_per_tile = WORKGROUP_SIZE / push.lanes;
  n_tiles = (n_groups + groups_per_tile - 1) / groups_per_tile;

  /* Unused bindings still need a valid buffer. */
  buffers[0] = original;
  buffers[1] = product != NULL ? product : original;
  buffers[2] = partials;
  buffers[3] = reconstruction != NULL ? reconstruction : partials;

  return qs_gpu_command_dispatch (command, pipeline, buffers, &push,
                                  (guint32) MIN (n_tiles, QS_GPU_PARTIAL_SLOTS), 1, 1, error);
}

void
qs_gpu_error_sums_from_partials (const guint32 *slots,
                                 guint64        n_elements,
                                 QsErrorSums   *sums,
                                 guint64       *n_degenerate)
{
  guint32 max_bits = 0;
  float max_abs_err;

  g_return_if_fail (slots != NULL && sums != NULL);

  qs_error_sums_clear (sums);
  sums->n = n_elements;
  if (n_degenerate != NULL)
    *n_degenerate = 0;

  for (guint i = 0; i < QS_GPU_PARTIAL_SLOTS; i++)
    {
      const guint32 *slot = slots + (gsize) i * QS_GPU_PARTIAL_SLOT_WORDS;
      float words[6];

      memcpy (words, slot, sizeof words);
      sums->sum_sq_err += (double) words[0] + (double) words[1];
      sums->sum_dot += (double) words[2] + (double) words[3];
      sums->sum_recon_sq += (double) words[4] + (double) words[5];
      max_bits = MAX (max_bits, slot[6]);
      if (n_degenerate != NULL)
        *n_degenerate += slot[7];
    }

  memcpy (&max_abs_err, &max_bits, sizeof max_abs_err);
  sums->max_abs_err = max_abs_err;
}

gboolean
qs_gpu_record_tensor_stats (QsGpuCommand  *command,
                            QsGpuBuffer   *original,
                            QsGpuBuffer   *product,
                            gint64         n_elements,
                            QsGpuBuffer   *stats,
                            GError       **error)
{
  QsGpuContext *context = qs_gpu_command_get_context (command);
  StatsPush push = { 0 };
  QsGpuBuffer *buffers[3];
  QsGpuPipeline *pipeline;
  guint64 n_groups;

  pipeline = qs_gpu_context_get_pipeline (context, "tensor_stats", 3, sizeof push, NULL, 0, error);
  if (pipeline == NULL)
    return FALSE;

  push.n_elements = (guint32) n_elements;
  push.flags = product != NULL ? FLAG_PRODUCT : 0;
  push.slot_base = 0;

  buffers[0] = original;
  buffers[1] = product != NULL ? product : original;
  buffers[2] = stats;

  n_groups = ((guint64) n_elements + WORKGROUP_SIZE - 1) / WORKGROUP_SIZE;
  return qs_gpu_command_dispatch (command, pipeline, buffers, &push,
                                  (guint32) MIN (n_groups, QS_GPU_STATS_SLOTS), 1, 1, error);
}

static float
float_from_unsigned_key (guint32 key)
{
  gint32 signed_key = (gint32) (key ^ 0x80000000u);
  guint32 bits = (guint32) signed_key ^ ((guint32) (signed_key >> 31) & 0x7fffffffu);
  float value;

  memcpy (&value, &bits, sizeof value);
  return value;
}

gboolean
qs_gpu_tensor_scale_from_stats (const QsDtype *dtype,
                                const guint32 *slots,
                                float         *scale,
                                float         *zero_point)
{
  guint32 abs_bits = 0;
  guint32 low_complement = 0;
  guint32 high = 0;

  g_return_val_if_fail (dtype != NULL && slots != NULL, FALSE);
  g_return_val_if_fail (scale != NULL && zero_point != NULL, FALSE);

  for (guint i = 0; i < QS_GPU_STATS_SLOTS; i++)
    {
      const guint32 *slot = slots + (gsize) i * QS_GPU_STATS_SLOT_WORDS;

      abs_bits = MAX (abs_bits, slot[0]);
      low_complement = MAX (low_complement, slot[1]);
      high = MAX (high, slot[2]);
    }

  /* The same arithmetic as the CPU quantizer's compute_scale(). */
  if (dtype->is_unsigned)
    {
      float lo = float_from_unsigned_key (~low_complement);
      float hi = float_from_unsigned_key (high);

      *scale = (hi - lo) / (float) (dtype->max - dtype->min);
      *zero_point = lo;
    }
  else
    {
      float absmax;

      memcpy (&absmax, &abs_bits, sizeof absmax);
      *scale = absmax / (float) dtype->max;
      *zero_point = 0.0f;
    }

  return *scale == 0.0f;
}

gboolean
qs_gpu_record_decode (QsGpuCommand       *command,
                      QsGpuDecodeFormat   format,
                      QsGpuBuffer        *raw,
                      gint64              n_elements,
                      QsGpuBuffer        *out,
                      GError            **error)
{
  QsGpuContext *context = qs_gpu_command_get_context (command);
  DecodePush push = { 0 };
  QsGpuBuffer *buffers[2] = { raw, out };
  QsGpuPipeline *pipeline;
  guint64 n_groups;

  pipeline = qs_gpu_context_get_pipeline (context, "decode", 2, sizeof push, NULL, 0, error);
  if (pipeline == NULL)
    return FALSE;

  push.n_elements = (guint32) n_elements;
  push.format = format;
  n_groups = ((guint64) n_elements + WORKGROUP_SIZE - 1) / WORKGROUP_SIZE;

  return qs_gpu_command_dispatch (command, pipeline, buffers, &push,
                                  (guint32) MAX (1, MIN (n_groups, 4096)), 1, 1, error);
}

gboolean
qs_gpu_decode_weights (QsGpuContext       *context,
                       QsGpuDecodeFormat   format,
                       const guint8       *raw,
                       gint64              n_elements,
                       float              *out,
                       GCancellable       *cancellable,
                       GError            **error)
{
  g_autoptr(QsGpuCommand) command = NULL;
  g_autoptr(QsGpuBuffer) upload = NULL;
  g_autoptr(QsGpuBuffer) stored = NULL;
  g_autoptr(QsGpuBuffer) values = NULL;
  g_autoptr(QsGpuBuffer) readback = NULL;
  gsize raw_size;
  gsize out_size;

  g_return_val_if_fail (context != NULL, FALSE);
  g_return_val_if_fail (raw != NULL || n_elements == 0, FALSE);
  g_return_val_if_fail (out != NULL || n_elements == 0, FALSE);
  g_return_val_if_fail (n_elements >= 0, FALSE);

  if (n_elements == 0)
    return TRUE;

  raw_size = (gsize) n_elements * (format == QS_GPU_DECODE_F32 ? 4 : 2);
  out_size = (gsize) n_elements * sizeof (float);
  if (MAX (raw_size, out_size) > context->properties.limits.maxStorageBufferRange)
    {
      g_set_error (error, QS_GPU_ERROR, QS_GPU_ERROR_UNSUPPORTED,
                   _("%lld values exceed the device's storage buffer range of "
                     "%u bytes; decode them in parts"), (long long) n_elements,
                   context->properties.limits.maxStorageBufferRange);
      return FALSE;
    }

  command = qs_gpu_command_new (context, error);
  if (command == NULL)
    return FALSE;

  upload = qs_gpu_buffer_new (context, QS_GPU_BUFFER_UPLOAD, raw_size, error);
  stored = upload != NULL ? qs_gpu_buffer_new (context, QS_GPU_BUFFER_DEVICE, raw_size, error) : NULL;
  values = stored != NULL ? qs_gpu_buffer_new (context, QS_GPU_BUFFER_DEVICE, out_size, error) : NULL;
  readback = values != NULL ? qs_gpu_buffer_new (context, QS_GPU_BUFFER_READBACK, out_size, error) : NULL;
  if (readback == NULL)
    return FALSE;

  /* memcpy handles a tensor at any byte offset of a mapped file. */
  memcpy (upload->mapped, raw, raw_size);
  qs_gpu_buffer_flush (upload);

  if (!qs_gpu_command_begin (command, error))
    return FALSE;
  qs_gpu_command_copy (command, upload, 0, stored, 0, raw_size);
  qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_TRANSFER_BIT,
                          VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT);
  if (!qs_gpu_record_decode (command, format, stored, n_elements, values, error))
    return FALSE;
  qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                          VK_PIPELINE_STAGE_TRANSFER_BIT);
  qs_gpu_command_copy (command, values, 0, readback, 0, out_size);
  qs_gpu_command_barrier (command, VK_PIPELINE_STAGE_TRANSFER_BIT,
                          VK_PIPELINE_STAGE_HOST_BIT);
  if (!qs_gpu_command_run (command, cancellable, error))
    return FALSE;

  qs_gpu_buffer_invalidate (readback);
  memcpy (out, readback->mapped, out_size);

  return TRUE;
}
