/* quantize_error.comp: the fused error kernel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One dispatch evaluates one format on one row block: for every group it
 * resolves the scale (and zero point), quantizes, dequantizes, optionally
 * adds the low-rank product back, and accumulates the error sums against
 * the original weight. Each workgroup handles tiles of 256 / lanes groups,
 * `lanes` invocations per group, and adds its sums into its own slot of
 * the partials buffer, so that the dispatches of consecutive row blocks
 * accumulate without atomics. The host adds the slots up in double.
 *
 * NOTE: Vulkan 1.1 lets a device flush fp32 subnormals to zero. A weight
 * below 1.2e-38 in magnitude may then count as zero here, which can make
 * a group of such values degenerate where the CPU finds a tiny scale.
 */

#version 450

#extension GL_GOOGLE_include_directive : require

layout (local_size_x = 256) in;

/* The dtype's arithmetic, fixed per pipeline. */
layout (constant_id = 0) const uint VARIANT = 0u;
layout (constant_id = 1) const bool ASYMMETRIC = false;

#define FLAG_PRODUCT     1u
#define FLAG_FIXED_SCALE 2u
#define FLAG_WRITE_RECON 4u

layout (push_constant) uniform PushConstants
{
  uint  n_groups;        /* groups in this block */
  uint  group_size;
  uint  groups_per_row;  /* groups per row times kernel positions */
  uint  spatial;         /* kernel positions; the stride between a group's elements */
  uint  row_len;         /* channels · spatial */
  uint  lanes;           /* invocations per group, a power of two up to 256 */
  uint  flags;
  uint  product_round;   /* MODEL_ROUND_*: how the product is added back */
  uint  slot_base;       /* the first partials slot of this format */
  uint  shift;           /* floats: the fp32 mantissa bits dropped */
  uint  wrap;            /* 32-bit integers: 1 wraps at 2^31, 2 at 2^32 */
  float qmin;
  float qmax;
  float divisor;         /* the scale divisor SDNQ uses: max − min or max */
  float min_normal;
  float to_units;
  float unit;
  float lost_units;
  float fixed_scale;
  float fixed_zero_point;
} pc;

#include "quant.glsl"

layout (std430, binding = 0) readonly buffer Original { float original[]; };
layout (std430, binding = 1) readonly buffer Product { float product[]; };
layout (std430, binding = 2) buffer Partials { uint partials[]; };
layout (std430, binding = 3) writeonly buffer Reconstruction { float reconstruction[]; };

#define SLOT_WORDS 8u

shared int s_low[256];
shared int s_high[256];
shared vec2 s_sq[256];
shared vec2 s_dot[256];
shared vec2 s_rr[256];
shared uint s_max[256];
shared uint s_degenerate[256];

/* Reduces s_low and s_high over the lanes of each group: the minimum into
 * s_low and the maximum into s_high of the group's first lane. Every
 * invocation of the workgroup must call it. */
void
reduce_group_keys (uint lid, uint lane)
{
  barrier ();
  for (uint stride = pc.lanes >> 1; stride > 0u; stride >>= 1)
    {
      if (lane < stride)
        {
          s_low[lid] = min (s_low[lid], s_low[lid + stride]);
          s_high[lid] = max (s_high[lid], s_high[lid + stride]);
        }
      barrier ();
    }
}

float
source_value (uint index)
{
  if ((pc.flags & FLAG_PRODUCT) != 0u)
    {
      precise float residual = original[index] - product[index];
      return residual;
    }
  return original[index];
}

void
main ()
{
  uint lid = gl_LocalInvocationID.x;
  uint lane = lid & (pc.lanes - 1u);
  uint group_in_tile = lid / pc.lanes;
  uint groups_per_tile = 256u / pc.lanes;
  uint n_tiles = (pc.n_groups + groups_per_tile - 1u) / groups_per_tile;
  bool has_product = (pc.flags & FLAG_PRODUCT) != 0u;
  vec2 acc_sq = vec2 (0.0);
  vec2 acc_dot = vec2 (0.0);
  vec2 acc_rr = vec2 (0.0);
  uint max_bits = 0u;
  uint degenerate = 0u;

  for (uint tile = gl_WorkGroupID.x; tile < n_tiles; tile += gl_NumWorkGroups.x)
    {
      uint group = tile * groups_per_tile + group_in_tile;
      bool in_range = group < pc.n_groups;
      uint base = 0u;
      float scale = pc.fixed_scale;
      float zero_point = pc.fixed_zero_point;
      float sum_sq = 0.0;
      float sum_dot = 0.0;
      float sum_rr = 0.0;

      if (in_range)
        {
          uint row = group / pc.groups_per_row;
          uint rest = group - row * pc.groups_per_row;
          uint group_in_row = rest / pc.spatial;
          uint position = rest - group_in_row * pc.spatial;

          base = row * pc.row_len + group_in_row * pc.group_size * pc.spatial + position;
        }

      if ((pc.flags & FLAG_FIXED_SCALE) == 0u)
        {
          /* The group's maximum magnitude (as bits, which order like the
           * magnitudes) or its minimum and maximum (as order keys). */
          int low = 0x7fffffff;
          int high = int (0x80000000u);

          if (in_range)
            for (uint j = lane; j < pc.group_size; j += pc.lanes)
              {
                uint bits = floatBitsToUint (source_value (base + j * pc.spatial));

                if (ASYMMETRIC)
                  {
                    int key = order_key (bits);

                    low = min (low, key);
                    high = max (high, key);
                  }
                else
                  {
                    high = max (high, int (bits & 0x7fffffffu));
                  }
              }

          s_low[lid] = low;
          s_high[lid] = high;
          reduce_group_keys (lid, lane);

          if (ASYMMETRIC)
            {
              precise float lo = float_from_order_key (s_low[group_in_tile * pc.lanes]);
              precise float hi = float_from_order_key (s_high[group_in_tile * pc.lanes]);
              precise float range = hi - lo;

              scale = div_rn (range, pc.divisor);
              zero_point = lo;
            }
          else
            {
              float absmax = uintBitsToFloat (uint (s_high[group_in_tile * pc.lanes]));

              scale = div_rn (absmax, pc.divisor);
              zero_point = 0.0;
            }

          /* Another tile reuses the shared arrays only after every lane
           * has read its group's result. */
          barrier ();

          if (in_range && lane == 0u && scale == 0.0)
            degenerate++;
        }

      if (in_range)
        for (uint j = lane; j < pc.group_size; j += pc.lanes)
          {
            uint index = base + j * pc.spatial;
            float o = original[index];
            float p = has_product ? product[index] : 0.0;
            precise float x = has_product ? o - p : o;
            precise float numerator = ASYMMETRIC ? x - zero_point : x;
            float q;
            float value;
            precise float r;
            precise float d;

            /* SDNQ divides by a zero scale too: 0/0 is NaN, which becomes
             * 0, and ±x/0 is ±inf, which clamps to the range. */
            if (scale == 0.0)
              q = numerator == 0.0 ? 0.0 : (numerator > 0.0 ? pc.qmax : pc.qmin);
            else
              q = div_rn (numerator, scale);

            value = quantized_value (q);
            if (ASYMMETRIC)
              r = exact_fma (value, scale, zero_point);
            else
              r = value * scale;

            /* The analysis script adds the low-rank product in the model
             * dtype for Linear layers (both terms and the sum rounded) and
             * in fp32 for Conv layers. */
            if (has_product)
              {
                if (pc.product_round != MODEL_ROUND_NONE)
                  r = round_model (round_model (r, pc.product_round) + p, pc.product_round);
                else
                  r = r + p;
              }

            if ((pc.flags & FLAG_WRITE_RECON) != 0u)
              reconstruction[index] = r;

            d = o - r;
            sum_sq += d * d;
            sum_dot += o * r;
            sum_rr += r * r;
            max_bits = max (max_bits, floatBitsToUint (d) & 0x7fffffffu);
          }

      acc_sq = two_sum_add (acc_sq, vec2 (sum_sq, 0.0));
      acc_dot = two_sum_add (acc_dot, vec2 (sum_dot, 0.0));
      acc_rr = two_sum_add (acc_rr, vec2 (sum_rr, 0.0));
    }

  s_sq[lid] = acc_sq;
  s_dot[lid] = acc_dot;
  s_rr[lid] = acc_rr;
  s_max[lid] = max_bits;
  s_degenerate[lid] = degenerate;
  barrier ();

  for (uint stride = 128u; stride > 0u; stride >>= 1)
    {
      if (lid < stride)
        {
          s_sq[lid] = two_sum_add (s_sq[lid], s_sq[lid + stride]);
          s_dot[lid] = two_sum_add (s_dot[lid], s_dot[lid + stride]);
          s_rr[lid] = two_sum_add (s_rr[lid], s_rr[lid + stride]);
          s_max[lid] = max (s_max[lid], s_max[lid + stride]);
          s_degenerate[lid] += s_degenerate[lid + stride];
        }
      barrier ();
    }

  if (lid == 0u)
    {
      uint slot = (pc.slot_base + gl_WorkGroupID.x) * SLOT_WORDS;
      vec2 sq = two_sum_add (vec2 (uintBitsToFloat (partials[slot + 0u]),
                                   uintBitsToFloat (partials[slot + 1u])), s_sq[0]);
      vec2 dot_sum = two_sum_add (vec2 (uintBitsToFloat (partials[slot + 2u]),
                                        uintBitsToFloat (partials[slot + 3u])), s_dot[0]);
      vec2 rr = two_sum_add (vec2 (uintBitsToFloat (partials[slot + 4u]),
                                   uintBitsToFloat (partials[slot + 5u])), s_rr[0]);

      partials[slot + 0u] = floatBitsToUint (sq.x);
      partials[slot + 1u] = floatBitsToUint (sq.y);
      partials[slot + 2u] = floatBitsToUint (dot_sum.x);
      partials[slot + 3u] = floatBitsToUint (dot_sum.y);
      partials[slot + 4u] = floatBitsToUint (rr.x);
      partials[slot + 5u] = floatBitsToUint (rr.y);
      partials[slot + 6u] = max (partials[slot + 6u], s_max[0]);
      partials[slot + 7u] += s_degenerate[0];
    }
}
