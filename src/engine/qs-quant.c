/* qs-quant.c: SDNQ quantization, dequantization and group sizes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every formula here reproduces what SDNQ computes with PyTorch on the CPU,
 * bit for bit: fp32 throughout, scales by true division, round-half-even
 * for integers, nan_to_num and clamp for floats, and fmaf for the zero
 * point on dequantization. The fake-quantization kernels are the hot path
 * of the analysis, so they are written as fixed blocks of eight that GCC
 * vectorises even at -O2, with one specialised loop per dtype kind.
 */

#include "config.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "qs-float.h"
#include "qs-quant.h"

#if FLT_EVAL_METHOD != 0
#error "the quantizer needs fp32 arithmetic without excess precision (FLT_EVAL_METHOD 0)"
#endif

/* On x86-64 Linux, build the kernels twice and pick the AVX2 + FMA copy at
 * load time when the CPU has it. The FMA copy matters for unsigned dtypes,
 * whose fmaf would otherwise be a libm call per element. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__)
# define QS_VECTOR_CLONES __attribute__ ((target_clones ("default", "arch=x86-64-v3")))
#else
# define QS_VECTOR_CLONES
#endif

#define BLOCK 8

/* Blocks of eight values live in GCC vector types. Loading and storing a
 * block as one value lets the SLP vectoriser keep it in a SIMD register. A
 * plain array made GCC 12 spill lanes through the stack, which measured 8×
 * slower on an AMD EPYC. Elements are still accessed one by one, so the
 * arithmetic keeps its scalar C semantics. */
typedef float FloatBlock __attribute__ ((vector_size (BLOCK * sizeof (float)), aligned (4)));
typedef gint32 IntBlock __attribute__ ((vector_size (BLOCK * sizeof (gint32)), aligned (4)));

/* 1.5 · 2^23: adding and subtracting it rounds any |q| ≤ 2^22 to an integer
 * with ties to even in the default rounding mode, like rintf but inline. */
#define ROUND_MAGIC 12582912.0f

typedef enum
{
  VARIANT_INT_SMALL,
  VARIANT_INT_WIDE,
  VARIANT_CUSTOM_FLOAT,
  VARIANT_NATIVE_ROUND,
  VARIANT_IDENTITY,
} Variant;

typedef struct
{
  Variant  variant;
  gboolean asymmetric;
  float    qmin;
  float    qmax;
  /* Integers */
  gint64   code_offset;
  gboolean wraps_at_2_31;
  gboolean wraps_at_2_32;
  /* Custom floats: guard-nibble rounding at bit md, then the subnormal
   * range below min_normal counted in units of min_normal / 2^M. */
  guint    md;
  guint32  round_add;
  guint32  keep_mask;
  float    min_normal;
  float    to_units;
  float    unit;
  float    lost_units;
  /* Native floats: round-to-nearest-even at bit shift. Below min_normal,
   * adding and subtracting sub_magic rounds to the subnormal spacing. */
  guint    shift;
  float    sub_magic;
} QuantParams;

static inline guint32
f32_to_bits (float value)
{
  guint32 bits;

  memcpy (&bits, &value, sizeof bits);
  return bits;
}

static inline float
f32_from_bits (guint32 bits)
{
  float value;

  memcpy (&value, &bits, sizeof value);
  return value;
}

const char *
qs_layer_kind_to_string (QsLayerKind kind)
{
  switch (kind)
    {
    case QS_LAYER_LINEAR:
      return "linear";
    case QS_LAYER_CONV:
      return "conv";
    case QS_LAYER_EMBEDDING:
      return "embedding";
    default:
      g_return_val_if_reached (NULL);
    }
}

/* Group size resolution */

gint64
qs_resolve_group_size (const QsDtype *dtype,
                       QsLayerKind    kind,
                       gint64         channel_size,
                       gint64         requested,
                       gboolean       svd_active)
{
  gint64 group_size = requested;
  gint64 n_groups;

  g_return_val_if_fail (dtype != NULL, -1);
  g_return_val_if_fail (channel_size > 0, -1);
  g_return_val_if_fail (requested >= -2, -1);

  if (requested == -1 || requested == -2)
    return requested;

  if (group_size == 0)
    {
      guint exponent = 1 + dtype->num_bits + (kind == QS_LAYER_LINEAR ? 1 : 0) + (svd_active ? 1 : 0);

      /* 32-bit dtypes ask for 2^34. Anything at or above the channel size
       * is row-wise anyway, so the shift is capped well inside gint64. */
      group_size = (gint64) 1 << MIN (exponent, 62);
    }

  if (group_size >= channel_size)
    return -1;

  if (channel_size % group_size == 0)
    return group_size;

  /* SDNQ lowers the group count until it divides the channels, so groups
   * get larger. The requested size itself is only tried first. */
  for (n_groups = channel_size / group_size - 1; n_groups >= 2; n_groups--)
    {
      if (channel_size % n_groups == 0)
        return channel_size / n_groups;
    }

  return -1;
}

void
qs_group_layout_init (QsGroupLayout *layout,
                      const gint64  *shape,
                      guint          ndim,
                      gint64         resolved_group_size)
{
  gint64 spatial = 1;
  guint i;

  g_return_if_fail (layout != NULL);
  g_return_if_fail (shape != NULL);
  g_return_if_fail (ndim >= 2 && ndim <= 5);
  g_return_if_fail (resolved_group_size == -1 || resolved_group_size == -2 || resolved_group_size > 0);

  for (i = 2; i < ndim; i++)
    spatial *= shape[i];

  if (resolved_group_size == -2)
    {
      /* Tensor-wise: one group over every element, which in row-major order
       * is a single row of the whole tensor. */
      layout->rows = 1;
      layout->channels = shape[0] * shape[1] * spatial;
      layout->spatial = 1;
      layout->group_size = layout->channels;
      layout->n_groups = 1;
      return;
    }

  layout->rows = shape[0];
  layout->channels = shape[1];
  layout->spatial = spatial;

  if (resolved_group_size == -1)
    layout->group_size = shape[1];
  else
    layout->group_size = resolved_group_size;

  g_return_if_fail (layout->group_size > 0 && layout->channels % layout->group_size == 0);
  layout->n_groups = layout->channels / layout->group_size;
}

/* Parameters of each dtype kind */

/* 2^exponent for exponents in fp32's normal range, built from the bits so
 * that per-group setup costs no libm call. */
static inline float
power_of_two (int exponent)
{
  g_assert (exponent >= -126 && exponent <= 127);

  return f32_from_bits ((guint32) (127 + exponent) << 23);
}

static void
quant_params_init (QuantParams   *p,
                   const QsDtype *dtype)
{
  memset (p, 0, sizeof *p);
  p->asymmetric = dtype->is_unsigned;
  p->qmin = (float) dtype->min;
  p->qmax = (float) dtype->max;

  switch (dtype->kind)
    {
    case QS_DTYPE_KIND_INT:
      p->code_offset = (gint64) dtype->min;
      if (dtype->num_bits <= 16)
        {
          p->variant = VARIANT_INT_SMALL;
        }
      else
        {
          p->variant = VARIANT_INT_WIDE;
          p->wraps_at_2_31 = !dtype->is_unsigned;
          p->wraps_at_2_32 = dtype->is_unsigned;
        }
      break;

    case QS_DTYPE_KIND_CUSTOM_FLOAT:
      {
        int half_range = 1 << (dtype->exponent - 1);

        p->variant = VARIANT_CUSTOM_FLOAT;
        p->md = 23 - dtype->mantissa;
        p->round_add = 1u << p->md;
        p->keep_mask = ~(p->round_add - 1);
        p->min_normal = power_of_two (2 - half_range);
        p->to_units = power_of_two ((int) dtype->mantissa - 2 + half_range);
        p->unit = power_of_two (2 - half_range - (int) dtype->mantissa);
        /* With one exponent bit, a subnormal count that rounds up to the
         * smallest normal (2^M steps) encodes as zero; see
         * qs_encode_custom_float(). Other formats never meet this bound. */
        p->lost_units = dtype->exponent == 1 ? power_of_two ((int) dtype->mantissa) : INFINITY;
      }
      break;

    case QS_DTYPE_KIND_NATIVE_FLOAT:
      if (dtype->num_bits == 32)
        {
          p->variant = VARIANT_IDENTITY;
          break;
        }

      p->variant = VARIANT_NATIVE_ROUND;
      p->shift = 23 - dtype->mantissa;
      if (dtype->exponent == 8)
        {
          /* bfloat16 shares fp32's exponent range, so rounding the bits
           * handles fp32 subnormals too and no separate path is needed. */
          p->min_normal = 0.0f;
          p->sub_magic = 0.0f;
        }
      else
        {
          int bias = (1 << (dtype->exponent - 1)) - 1;

          p->min_normal = power_of_two (1 - bias);
          /* A magnitude below min_normal plus sub_magic lands in a binade
           * whose spacing is the format's subnormal step. */
          p->sub_magic = power_of_two (1 - bias - (int) dtype->mantissa + 23);
        }
      break;

    default:
      g_assert_not_reached ();
    }
}

/* Element operations, shared by the fake-quantization kernels and the
 * code-producing path so that both give the same bits. */

static inline float
nan_to_zero_and_clamp (float q,
                       float qmin,
                       float qmax)
{
  q = q == q ? q : 0.0f;
  q = q < qmin ? qmin : q;
  q = q > qmax ? qmax : q;
  return q;
}

/* The integer value SDNQ stores for q. Rounding after the clamp equals
 * rounding before it, because the clamp bounds are integers. */
static inline float
int_small_value (float q,
                 float qmin,
                 float qmax)
{
  q = nan_to_zero_and_clamp (q, qmin, qmax);
  return (q + ROUND_MAGIC) - ROUND_MAGIC;
}

/* 32-bit integers: the clamp bounds 2^31 − 1 and 2^32 − 1 round to 2^31
 * and 2^32 in fp32, so the top value does not fit the integer type. PyTorch
 * 1.13 on x86-64 converts 2^31 to int32 as −2^31 (measured); the uint32 case
 * follows the same 64-bit truncation, which wraps 2^32 to 0. */
static inline float
int_wide_value (const QuantParams *p,
                float              q)
{
  q = rintf (nan_to_zero_and_clamp (q, p->qmin, p->qmax));

  if (p->wraps_at_2_31 && q >= 2147483648.0f)
    q = -2147483648.0f;
  /* NOTE: the uint32 wrap is inferred from the x86-64 scalar conversion,
   * because PyTorch 1.13 has no uint32 dtype to measure it with. */
  if (p->wraps_at_2_32 && q >= 4294967296.0f)
    q = 0.0f;

  /* An integer has no negative zero: adding +0 turns −0 into +0. */
  return q + 0.0f;
}

/* All ones when @condition holds, else zero. The kernels below select with
 * these masks on bit patterns instead of branching, because GCC will not
 * if-convert a branch around floating-point operations (they may trap), and
 * a branch stops vectorisation. */
static inline guint32
select_mask (gboolean condition)
{
  return -(guint32) (condition != 0);
}

/* The value that SDNQ's pack_float followed by unpack_float gives for an
 * already clamped q: guard-nibble rounding (up only from 9/16 of a unit),
 * round-half-even counting in the subnormal range, truncation elsewhere. */
static inline float
custom_float_value (const QuantParams *p,
                    float              q)
{
  guint32 b = f32_to_bits (q);
  guint32 nibble = (b >> (p->md - 4)) & 0xFu;
  guint32 sign;
  guint32 units_bits;
  guint32 subnormal_bits;
  guint32 normal_bits;
  guint32 is_subnormal;
  float magnitude;
  float units;

  b += p->round_add & select_mask (nibble > 8);
  sign = b & 0x80000000u;
  magnitude = f32_from_bits (b & 0x7FFFFFFFu);

  /* The product is exact (a power-of-two scale), so a fused multiply-add
   * here, where a compiler is allowed to form one, changes nothing. */
  units = (magnitude * p->to_units + ROUND_MAGIC) - ROUND_MAGIC;
  units_bits = f32_to_bits (units) & ~select_mask (units == p->lost_units);
  units = f32_from_bits (units_bits);

  /* SDNQ decodes a negative zero as +0. */
  subnormal_bits = f32_to_bits (units * p->unit) | (sign & select_mask (units_bits != 0));
  normal_bits = b & p->keep_mask;
  is_subnormal = select_mask (magnitude < p->min_normal);

  return f32_from_bits ((subnormal_bits & is_subnormal) | (normal_bits & ~is_subnormal));
}

/* Round-to-nearest-even into float16, bfloat16 or an fp8 format, for
 * values already clamped to the format's range. */
static inline float
native_round_value (const QuantParams *p,
                    float              q)
{
  guint32 b = f32_to_bits (q);
  guint32 sign = b & 0x80000000u;
  guint32 magnitude_bits = b & 0x7FFFFFFFu;
  guint32 odd = (magnitude_bits >> p->shift) & 1u;
  guint32 normal_bits = (magnitude_bits + ((1u << (p->shift - 1)) - 1u) + odd) & ~((1u << p->shift) - 1u);
  float magnitude = f32_from_bits (magnitude_bits);
  guint32 subnormal_bits = f32_to_bits ((magnitude + p->sub_magic) - p->sub_magic);
  guint32 is_subnormal = select_mask (magnitude < p->min_normal);

  return f32_from_bits (((subnormal_bits & is_subnormal) | (normal_bits & ~is_subnormal)) | sign);
}

static inline __attribute__ ((always_inline)) float
quantized_value (const QuantParams *p,
                 float              q,
                 Variant            variant)
{
  switch (variant)
    {
    case VARIANT_INT_SMALL:
      return int_small_value (q, p->qmin, p->qmax);
    case VARIANT_INT_WIDE:
      return int_wide_value (p, q);
    case VARIANT_CUSTOM_FLOAT:
      return custom_float_value (p, nan_to_zero_and_clamp (q, p->qmin, p->qmax));
    case VARIANT_NATIVE_ROUND:
      return native_round_value (p, nan_to_zero_and_clamp (q, p->qmin, p->qmax));
    case VARIANT_IDENTITY:
    default:
      return nan_to_zero_and_clamp (q, p->qmin, p->qmax);
    }
}

/* Group statistics */

/* max |x| with PyTorch's NaN propagation: for non-NaN values the magnitude
 * bits order like the magnitudes, and any NaN has larger bits than +inf, so
 * the maximum bit pattern is itself a NaN when one is present. */
QS_VECTOR_CLONES static float
group_absmax (const float *x,
              gsize        n)
{
  IntBlock lane_max = { 0 };
  gint32 result = 0;
  gsize i = 0;
  guint j;

  for (; i + BLOCK <= n; i += BLOCK)
    {
      IntBlock bits;

      memcpy (&bits, x + i, sizeof bits);
      for (j = 0; j < BLOCK; j++)
        {
          gint32 magnitude = bits[j] & 0x7FFFFFFF;

          lane_max[j] = magnitude > lane_max[j] ? magnitude : lane_max[j];
        }
    }

  for (; i < n; i++)
    {
      gint32 bits = (gint32) (f32_to_bits (x[i]) & 0x7FFFFFFFu);

      result = bits > result ? bits : result;
    }

  for (j = 0; j < BLOCK; j++)
    result = lane_max[j] > result ? lane_max[j] : result;

  return f32_from_bits ((guint32) result);
}

/* Maps fp32 bits to an int32 key that orders like the values (−0 before
 * +0), and back: the map is its own inverse. */
static inline gint32
order_key (guint32 bits)
{
  return (gint32) (bits ^ ((guint32) ((gint32) bits >> 31) & 0x7FFFFFFFu));
}

QS_VECTOR_CLONES static void
group_minmax (const float *x,
              gsize        n,
              float       *lo,
              float       *hi)
{
  IntBlock lane_lo;
  IntBlock lane_hi;
  gint32 key_lo = G_MAXINT32;
  gint32 key_hi = G_MININT32;
  gsize i = 0;
  guint j;

  for (j = 0; j < BLOCK; j++)
    {
      lane_lo[j] = G_MAXINT32;
      lane_hi[j] = G_MININT32;
    }

  for (; i + BLOCK <= n; i += BLOCK)
    {
      IntBlock bits;

      memcpy (&bits, x + i, sizeof bits);
      for (j = 0; j < BLOCK; j++)
        {
          gint32 key = order_key ((guint32) bits[j]);

          lane_lo[j] = key < lane_lo[j] ? key : lane_lo[j];
          lane_hi[j] = key > lane_hi[j] ? key : lane_hi[j];
        }
    }

  for (; i < n; i++)
    {
      gint32 key = order_key (f32_to_bits (x[i]));

      key_lo = key < key_lo ? key : key_lo;
      key_hi = key > key_hi ? key : key_hi;
    }

  for (j = 0; j < BLOCK; j++)
    {
      key_lo = lane_lo[j] < key_lo ? lane_lo[j] : key_lo;
      key_hi = lane_hi[j] > key_hi ? lane_hi[j] : key_hi;
    }

  /* torch.aminmax returns NaN for both when the group contains a NaN. NaN
   * keys sort beyond the keys of ±inf. */
  if (key_hi > order_key (0x7F800000u) || key_lo < order_key (0xFF800000u))
    {
      *lo = NAN;
      *hi = NAN;
      return;
    }

  *lo = f32_from_bits ((guint32) order_key ((guint32) key_lo));
  *hi = f32_from_bits ((guint32) order_key ((guint32) key_hi));
}

/* Computes SDNQ's scale and zero point for one group. The divisor is the
 * Python number max − min, which PyTorch converts to fp32 before a true
 * division on the CPU. */
static gboolean
compute_scale (const QsDtype *dtype,
               const float   *x,
               gsize          n,
               float         *scale,
               float         *zero_point)
{
  if (dtype->is_unsigned)
    {
      float lo;
      float hi;

      group_minmax (x, n, &lo, &hi);
      *scale = (hi - lo) / (float) (dtype->max - dtype->min);
      /* zero_point = lo − min · scale, and min is 0 for every unsigned dtype. */
      *zero_point = lo;
    }
  else
    {
      *scale = group_absmax (x, n) / (float) dtype->max;
      *zero_point = 0.0f;
    }

  return *scale == 0.0f;
}

/* Fake quantization kernels */

static inline __attribute__ ((always_inline)) void
fake_quantize_loop (const QuantParams *params,
                    const float       *x,
                    gsize              n,
                    float              scale,
                    float              zero_point,
                    float             *out,
                    Variant            variant,
                    gboolean           asymmetric)
{
  /* A local copy, so that stores to out cannot alias the parameters. */
  QuantParams p = *params;
  gsize i = 0;
  guint j;

  /* Each block is loaded completely before it is stored, which keeps the
   * in-place case (out == x) correct and lets GCC's SLP pass vectorise it. */
  for (; i + BLOCK <= n; i += BLOCK)
    {
      FloatBlock v;

      memcpy (&v, x + i, sizeof v);
      for (j = 0; j < BLOCK; j++)
        {
          if (asymmetric)
            v[j] = fmaf (quantized_value (&p, (v[j] - zero_point) / scale, variant), scale, zero_point);
          else
            v[j] = quantized_value (&p, v[j] / scale, variant) * scale;
        }
      memcpy (out + i, &v, sizeof v);
    }

  for (; i < n; i++)
    {
      if (asymmetric)
        out[i] = fmaf (quantized_value (&p, (x[i] - zero_point) / scale, variant), scale, zero_point);
      else
        out[i] = quantized_value (&p, x[i] / scale, variant) * scale;
    }
}

#define DEFINE_FAKE_KERNEL(name, variant, asymmetric)                      \
  QS_VECTOR_CLONES static void                                              \
  name (const QuantParams *p,                                               \
        const float       *x,                                               \
        gsize              n,                                               \
        float              scale,                                           \
        float              zero_point,                                      \
        float             *out)                                             \
  {                                                                         \
    fake_quantize_loop (p, x, n, scale, zero_point, out, variant, asymmetric); \
  }

DEFINE_FAKE_KERNEL (fake_int_small_symmetric, VARIANT_INT_SMALL, FALSE)
DEFINE_FAKE_KERNEL (fake_int_small_asymmetric, VARIANT_INT_SMALL, TRUE)
DEFINE_FAKE_KERNEL (fake_int_wide_symmetric, VARIANT_INT_WIDE, FALSE)
DEFINE_FAKE_KERNEL (fake_int_wide_asymmetric, VARIANT_INT_WIDE, TRUE)
DEFINE_FAKE_KERNEL (fake_custom_float_symmetric, VARIANT_CUSTOM_FLOAT, FALSE)
DEFINE_FAKE_KERNEL (fake_custom_float_asymmetric, VARIANT_CUSTOM_FLOAT, TRUE)
DEFINE_FAKE_KERNEL (fake_native_round_symmetric, VARIANT_NATIVE_ROUND, FALSE)
DEFINE_FAKE_KERNEL (fake_identity_symmetric, VARIANT_IDENTITY, FALSE)

gboolean
qs_fake_quantize_group (const QsDtype *dtype,
                        const float   *x,
                        gsize          n,
                        float         *out)
{
  QuantParams p;
  float scale;
  float zero_point;
  gboolean degenerate;

  g_return_val_if_fail (dtype != NULL, FALSE);
  g_return_val_if_fail (x != NULL, FALSE);
  g_return_val_if_fail (n > 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  quant_params_init (&p, dtype);
  degenerate = compute_scale (dtype, x, n, &scale, &zero_point);

  switch (p.variant)
    {
    case VARIANT_INT_SMALL:
      if (p.asymmetric)
        fake_int_small_asymmetric (&p, x, n, scale, zero_point, out);
      else
        fake_int_small_symmetric (&p, x, n, scale, zero_point, out);
      break;

    case VARIANT_INT_WIDE:
      if (p.asymmetric)
        fake_int_wide_asymmetric (&p, x, n, scale, zero_point, out);
      else
        fake_int_wide_symmetric (&p, x, n, scale, zero_point, out);
      break;

    case VARIANT_CUSTOM_FLOAT:
      if (p.asymmetric)
        fake_custom_float_asymmetric (&p, x, n, scale, zero_point, out);
      else
        fake_custom_float_symmetric (&p, x, n, scale, zero_point, out);
      break;

    case VARIANT_NATIVE_ROUND:
      fake_native_round_symmetric (&p, x, n, scale, zero_point, out);
      break;

    case VARIANT_IDENTITY:
    default:
      fake_identity_symmetric (&p, x, n, scale, zero_point, out);
      break;
    }

  return degenerate;
}

/* Custom floats */

guint32
qs_encode_custom_float (const QsDtype *dtype,
                        float          value)
{
  int half_range;
  guint md;
  guint32 b;
  guint32 sign_mask;
  guint32 nibble;
  float magnitude;
  float min_normal;

  g_return_val_if_fail (dtype != NULL, 0);
  g_return_val_if_fail (dtype->kind == QS_DTYPE_KIND_CUSTOM_FLOAT, 0);

  half_range = 1 << (dtype->exponent - 1);
  md = 23 - dtype->mantissa;
  b = f32_to_bits (value);

  /* Round up only when the top four dropped bits exceed 1000b, so an exact
   * half rounds down. The carry may run into the exponent. */
  nibble = (b >> (md - 4)) & 0xFu;
  if (nibble > 8)
    b += 1u << md;

  /* Below the smallest normal, count subnormal steps with rint (ties to
   * even), on the value after the guard rounding above. */
  min_normal = ldexpf (1.0f, 2 - half_range);
  magnitude = fabsf (f32_from_bits (b));
  if (magnitude < min_normal)
    {
      /* One multiplication by 2^M / min_normal, which SDNQ passes as an
       * exact power of two. */
      float to_units = ldexpf (1.0f, (int) dtype->mantissa - 2 + half_range);
      guint32 units = (guint32) rintf (magnitude * to_units);

      b = (b & 0x80000000u) | (units << md);
    }

  /* An arithmetic shift, as on PyTorch's int32 tensor. */
  b = (b & 0x80000000u) ? ~(~b >> md) : b >> md;

  /* Keep the sign and the top exponent bit from their fp32 positions, and
   * the low exponent and mantissa bits as they are. A subnormal count that
   * rounded up to 2^M sits in fp32 exponent 1, whose top bit is 0. With one
   * exponent bit (E = 1) nothing else of it survives, so SDNQ encodes that
   * value, the smallest normal, as zero. For example, float2_e1m0fn encodes
   * 1.25 as 0, not 2 (checked with SDNQ's pack_float on PyTorch 1.13). */
  if (dtype->is_unsigned)
    sign_mask = 1u << (dtype->num_bits - 1);
  else
    sign_mask = (1u << (dtype->num_bits - 1)) | (1u << (dtype->num_bits - 2));

  return (((b >> (8 - dtype->exponent)) & sign_mask) | (b & ~sign_mask)) & ((1u << dtype->num_bits) - 1u);
}

float
qs_decode_custom_float (const QsDtype *dtype,
                        guint32        code)
{
  int bias;
  guint32 exponent;
  guint32 mantissa;
  gboolean negative;
  float value;

  g_return_val_if_fail (dtype != NULL, 0.0f);
  g_return_val_if_fail (dtype->kind == QS_DTYPE_KIND_CUSTOM_FLOAT, 0.0f);

  bias = (1 << (dtype->exponent - 1)) - 1;
  exponent = (code >> dtype->mantissa) & ((1u << dtype->exponent) - 1u);
  mantissa = code & ((1u << dtype->mantissa) - 1u);
  negative = !dtype->is_unsigned && ((code >> (dtype->num_bits - 1)) & 1u);

  if (exponent == 0)
    value = ldexpf ((float) mantissa, 1 - bias - (int) dtype->mantissa);
  else
    value = ldexpf ((float) ((1u << dtype->mantissa) | mantissa),
                    (int) exponent - bias - (int) dtype->mantissa);

  /* A negative zero decodes to +0, as SDNQ's unpacker does. */
  if (negative && value != 0.0f)
    value = -value;

  return value;
}

/* Codes */

static guint32
native_float_code (const QsDtype *dtype,
                   float          q)
{
  switch (dtype->storage)
    {
    case QS_STORAGE_F8_E4M3:
      return qs_f32_to_f8e4m3 (q);
    case QS_STORAGE_F8_E5M2:
      return qs_f32_to_f8e5m2 (q);
    case QS_STORAGE_F16:
      return qs_f32_to_f16 (q);
    case QS_STORAGE_BF16:
      return qs_f32_to_bf16 (q);
    case QS_STORAGE_F32:
    default:
      return f32_to_bits (q);
    }
}

float
qs_code_to_value (const QsDtype *dtype,
                  guint32        code)
{
  g_return_val_if_fail (dtype != NULL, 0.0f);

  switch (dtype->kind)
    {
    case QS_DTYPE_KIND_INT:
      return (float) ((gint64) code + (gint64) dtype->min);

    case QS_DTYPE_KIND_CUSTOM_FLOAT:
      return qs_decode_custom_float (dtype, code);

    case QS_DTYPE_KIND_NATIVE_FLOAT:
      switch (dtype->storage)
        {
        case QS_STORAGE_F8_E4M3:
          return qs_f8e4m3_to_f32 ((guint8) code);
        case QS_STORAGE_F8_E5M2:
          return qs_f8e5m2_to_f32 ((guint8) code);
        case QS_STORAGE_F16:
          return qs_f16_to_f32 ((guint16) code);
        case QS_STORAGE_BF16:
          return qs_bf16_to_f32 ((guint16) code);
        case QS_STORAGE_F32:
        default:
          return f32_from_bits (code);
        }

    default:
      g_return_val_if_reached (0.0f);
    }
}

gboolean
qs_quantize_group (const QsDtype *dtype,
                   const float   *x,
                   gsize          n,
                   guint32       *codes,
                   float         *scale,
                   float         *zero_point)
{
  QuantParams p;
  gboolean degenerate;
  float group_scale;
  float group_zero_point;
  gsize i;

  g_return_val_if_fail (dtype != NULL, FALSE);
  g_return_val_if_fail (x != NULL, FALSE);
  g_return_val_if_fail (n > 0, FALSE);
  g_return_val_if_fail (scale != NULL, FALSE);
  g_return_val_if_fail (zero_point != NULL, FALSE);

  quant_params_init (&p, dtype);
  degenerate = compute_scale (dtype, x, n, &group_scale, &group_zero_point);
  *scale = group_scale;
  *zero_point = group_zero_point;

  if (codes == NULL)
    return degenerate;

  for (i = 0; i < n; i++)
    {
      float q;

      if (p.asymmetric)
        q = (x[i] - group_zero_point) / group_scale;
      else
        q = x[i] / group_scale;

      switch (p.variant)
        {
        case VARIANT_INT_SMALL:
          codes[i] = (guint32) ((gint64) int_small_value (q, p.qmin, p.qmax) - p.code_offset);
          break;

        case VARIANT_INT_WIDE:
          codes[i] = (guint32) ((gint64) int_wide_value (&p, q) - p.code_offset);
          break;

        case VARIANT_CUSTOM_FLOAT:
          codes[i] = qs_encode_custom_float (dtype, nan_to_zero_and_clamp (q, p.qmin, p.qmax));
          break;

        case VARIANT_NATIVE_ROUND:
        case VARIANT_IDENTITY:
        default:
          codes[i] = native_float_code (dtype, nan_to_zero_and_clamp (q, p.qmin, p.qmax));
          break;
        }
    }

  return degenerate;
}

void
qs_dequantize_group (const QsDtype *dtype,
                     const guint32 *codes,
                     gsize          n,
                     float          scale,
                     float          zero_point,
                     float         *out)
{
  gsize i;

  g_return_if_fail (dtype != NULL);
  g_return_if_fail (codes != NULL || n == 0);
  g_return_if_fail (out != NULL || n == 0);

  if (dtype->kind == QS_DTYPE_KIND_INT)
    {
      gint64 offset = (gint64) dtype->min;

      for (i = 0; i < n; i++)
        {
          float q = (float) ((gint64) codes[i] + offset);

          out[i] = dtype->is_unsigned ? fmaf (q, scale, zero_point) : q * scale;
        }
      return;
    }

  for (i = 0; i < n; i++)
    {
      float q = qs_code_to_value (dtype, codes[i]);

      out[i] = dtype->is_unsigned ? fmaf (q, scale, zero_point) : q * scale;
    }
}

gboolean
qs_dtype_needs_pack_round_trip (const QsDtype *dtype)
{
  g_return_val_if_fail (dtype != NULL, FALSE);

  return dtype->kind == QS_DTYPE_KIND_INT && dtype->is_unsigned
         && dtype->num_bits >= 9 && dtype->num_bits <= 15;
}

/* Layers */

static gsize
layout_n_values (const QsGroupLayout *layout)
{
  return (gsize) layout->rows * (gsize) layout->channels * (gsize) layout->spatial;
}

static gsize
layout_n_scales (const QsGroupLayout *layout)
{
  return (gsize) layout->rows * (gsize) layout->n_groups * (gsize) layout->spatial;
}

QsQuantizedLayer *
qs_quantize_layer (const QsDtype       *dtype,
                   const QsGroupLayout *layout,
                   const float         *weight)
{
  QsQuantizedLayer *layer;
  g_autofree float *gathered = NULL;
  g_autofree guint32 *gathered_codes = NULL;
  gsize group_size;
  gsize spatial;
  gint64 o;

  g_return_val_if_fail (dtype != NULL, NULL);
  g_return_val_if_fail (layout != NULL, NULL);
  g_return_val_if_fail (weight != NULL, NULL);
  g_return_val_if_fail (layout->group_size > 0 && layout->n_groups > 0, NULL);
  g_return_val_if_fail (layout->group_size * layout->n_groups == layout->channels, NULL);

  group_size = (gsize) layout->group_size;
  spatial = (gsize) layout->spatial;

  layer = g_new0 (QsQuantizedLayer, 1);
  layer->dtype = dtype;
  layer->layout = *layout;
  layer->codes = g_new (guint32, layout_n_values (layout));
  layer->scales = g_new (float, layout_n_scales (layout));
  if (dtype->is_unsigned)
    layer->zero_points = g_new (float, layout_n_scales (layout));

  if (spatial > 1)
    {
      gathered = g_new (float, group_size);
      gathered_codes = g_new (guint32, group_size);
    }

  for (o = 0; o < layout->rows; o++)
    {
      gint64 g;

      for (g = 0; g < layout->n_groups; g++)
        {
          /* Group (o, g, s) contains w[o, g·gs + j, s]. It is contiguous
           * when there is no kernel and strided by the kernel size otherwise. */
          gsize first = ((gsize) o * (gsize) layout->channels + (gsize) g * group_size) * spatial;
          gsize scale_base = ((gsize) o * (gsize) layout->n_groups + (gsize) g) * spatial;
          gsize s;

          for (s = 0; s < spatial; s++)
            {
              float zero_point;
              gboolean degenerate;

              if (spatial == 1)
                {
                  degenerate = qs_quantize_group (dtype, weight + first, group_size,
                                                  layer->codes + first,
                                                  &layer->scales[scale_base], &zero_point);
                }
              else
                {
                  gsize j;

                  for (j = 0; j < group_size; j++)
                    gathered[j] = weight[first + j * spatial + s];

                  degenerate = qs_quantize_group (dtype, gathered, group_size, gathered_codes,
                                                  &layer->scales[scale_base + s], &zero_point);

                  for (j = 0; j < group_size; j++)
                    layer->codes[first + j * spatial + s] = gathered_codes[j];
                }

              if (layer->zero_points != NULL)
                layer->zero_points[scale_base + s] = zero_point;
              if (degenerate)
                layer->n_degenerate_groups++;
            }
        }
    }

  return layer;
}

void
qs_dequantize_layer (const QsQuantizedLayer *layer,
                     float                  *out)
{
  const QsGroupLayout *layout;
  g_autofree float *gathered = NULL;
  g_autofree guint32 *gathered_codes = NULL;
  gsize group_size;
  gsize spatial;
  gint64 o;

  g_return_if_fail (layer != NULL);
  g_return_if_fail (out != NULL);

  layout = &layer->layout;
  group_size = (gsize) layout->group_size;
  spatial = (gsize) layout->spatial;

  if (spatial > 1)
    {
      gathered = g_new (float, group_size);
      gathered_codes = g_new (guint32, group_size);
    }

  for (o = 0; o < layout->rows; o++)
    {
      gint64 g;

      for (g = 0; g < layout->n_groups; g++)
        {
          gsize first = ((gsize) o * (gsize) layout->channels + (gsize) g * group_size) * spatial;
          gsize scale_base = ((gsize) o * (gsize) layout->n_groups + (gsize) g) * spatial;
          gsize s;

          for (s = 0; s < spatial; s++)
            {
              float scale = layer->scales[scale_base + s];
              float zero_point = layer->zero_points != NULL ? layer->zero_points[scale_base + s] : 0.0f;

              if (spatial == 1)
                {
                  qs_dequantize_group (layer->dtype, layer->codes + first, group_size,
                                       scale, zero_point, out + first);
                }
              else
                {
                  gsize j;

                  for (j = 0; j < group_size; j++)
                    gathered_codes[j] = layer->codes[first + j * spatial + s];

                  qs_dequantize_group (layer->dtype, gathered_codes, group_size,
                                       scale, zero_point, gathered);

                  for (j = 0; j < group_size; j++)
                    out[first + j * spatial + s] = gathered[j];
                }
            }
        }
    }
}

void
qs_quantized_layer_free (QsQuantizedLayer *layer)
{
  if (layer == NULL)
    return;

  g_free (layer->codes);
  g_free (layer->scales);
  g_free (layer->zero_points);
  g_free (layer);
}
