/* tensor_stats.comp: the statistics of a tensor-wise scale
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Tensor-wise quantization (group size −2) has one group over the whole
 * tensor, which may span several row blocks. This kernel reduces one
 * block to the maximum magnitude and the minimum and maximum value, and
 * merges them into the workgroup's slot of the stats buffer; the host
 * computes the scale from the merged slots with the CPU's arithmetic.
 * Every slot holds three words whose maximum is wanted, so a zeroed
 * buffer is the neutral start: the magnitude bits, the bitwise complement
 * of the minimum's unsigned order key, and the maximum's unsigned order
 * key.
 */

#version 450

#extension GL_GOOGLE_include_directive : require

layout (local_size_x = 256) in;

#define FLAG_PRODUCT 1u

layout (push_constant) uniform PushConstants
{
  uint n_elements;
  uint flags;
  uint slot_base;
} pc;

#include "common.glsl"

layout (std430, binding = 0) readonly buffer Original { float original[]; };
layout (std430, binding = 1) readonly buffer Product { float product[]; };
layout (std430, binding = 2) buffer Stats { uint stats[]; };

#define SLOT_WORDS 4u

shared uint s_abs[256];
shared uint s_low[256];
shared uint s_high[256];

/* An unsigned key that orders like the value. */
uint
unsigned_key (float value)
{
  return uint (order_key (floatBitsToUint (value))) ^ 0x80000000u;
}

void
main ()
{
  uint lid = gl_LocalInvocationID.x;
  uint stride = gl_NumWorkGroups.x * 256u;
  uint abs_bits = 0u;
  uint low_complement = 0u;
  uint high = 0u;

  for (uint i = gl_WorkGroupID.x * 256u + lid; i < pc.n_elements; i += stride)
    {
      float value = original[i];

      if ((pc.flags & FLAG_PRODUCT) != 0u)
        {
          precise float residual = value - product[i];
          value = residual;
        }

      abs_bits = max (abs_bits, floatBitsToUint (value) & 0x7fffffffu);
      low_complement = max (low_complement, ~unsigned_key (value));
      high = max (high, unsigned_key (value));
    }

  s_abs[lid] = abs_bits;
  s_low[lid] = low_complement;
  s_high[lid] = high;
  barrier ();

  for (uint half_size = 128u; half_size > 0u; half_size >>= 1)
    {
      if (lid < half_size)
        {
          s_abs[lid] = max (s_abs[lid], s_abs[lid + half_size]);
          s_low[lid] = max (s_low[lid], s_low[lid + half_size]);
          s_high[lid] = max (s_high[lid], s_high[lid + half_size]);
        }
      barrier ();
    }

  if (lid == 0u)
    {
      uint slot = (pc.slot_base + gl_WorkGroupID.x) * SLOT_WORDS;

      stats[slot + 0u] = max (stats[slot + 0u], s_abs[0]);
      stats[slot + 1u] = max (stats[slot + 1u], s_low[0]);
      stats[slot + 2u] = max (stats[slot + 2u], s_high[0]);
      stats[slot + 3u] = 1u;
    }
}
