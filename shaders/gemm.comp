/* gemm.comp: C = A·B with strided operands, for the randomized SVD
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One kernel serves the three products of the low-rank branch, which
 * differ only in strides: A·Q and Aᵀ·Q for the range finder (A a row block
 * of the weight, Q a thin column-major basis) and up·down for the product
 * that is subtracted from the weight. A(i, p) is a[a_offset + i·a_row +
 * p·a_inner], B(p, j) is b[b_offset + p·b_inner + j·b_col], C(i, j) is
 * c[c_offset + i·c_row + j·c_col]. Each workgroup computes a 32×32 tile of
 * C in fp32 through 32×32 tiles of A and B in shared memory, loading each
 * operand along its contiguous axis.
 */

#version 450

#extension GL_GOOGLE_include_directive : require

layout (local_size_x = 256) in;

#define FLAG_ACCUMULATE 1u

layout (push_constant) uniform PushConstants
{
  uint m;
  uint n;
  uint k;
  uint a_offset;
  uint a_row;
  uint a_inner;
  uint b_offset;
  uint b_inner;
  uint b_col;
  uint c_offset;
  uint c_row;
  uint c_col;
  uint flags;
  uint round_mode;   /* MODEL_ROUND_*, applied to the result */
} pc;

#include "common.glsl"

layout (std430, binding = 0) readonly buffer A { float a[]; };
layout (std430, binding = 1) readonly buffer B { float b[]; };
layout (std430, binding = 2) buffer C { float c[]; };

#define TILE 32u

shared float s_a[TILE][TILE + 1u];
shared float s_b[TILE][TILE + 1u];

void
main ()
{
  uint lid = gl_LocalInvocationID.x;
  uint column = lid % TILE;
  uint row = lid / TILE;
  uint i0 = gl_WorkGroupID.x * TILE;
  uint j0 = gl_WorkGroupID.y * TILE;
  float acc[4] = float[4] (0.0, 0.0, 0.0, 0.0);

  for (uint p0 = 0u; p0 < pc.k; p0 += TILE)
    {
      for (uint e = lid; e < TILE * TILE; e += 256u)
        {
          uint ii;
          uint pp;
          uint jj;

          /* Neighbouring invocations read neighbouring addresses. */
          if (pc.a_inner == 1u)
            {
              ii = e / TILE;
              pp = e % TILE;
            }
          else
            {
              ii = e % TILE;
              pp = e / TILE;
            }
          s_a[ii][pp] = (i0 + ii < pc.m && p0 + pp < pc.k)
                        ? a[pc.a_offset + (i0 + ii) * pc.a_row + (p0 + pp) * pc.a_inner]
                        : 0.0;

          if (pc.b_col == 1u)
            {
              pp = e / TILE;
              jj = e % TILE;
            }
          else
            {
              pp = e % TILE;
              jj = e / TILE;
            }
          s_b[pp][jj] = (p0 + pp < pc.k && j0 + jj < pc.n)
                        ? b[pc.b_offset + (p0 + pp) * pc.b_inner + (j0 + jj) * pc.b_col]
                        : 0.0;
        }
      barrier ();

      for (uint pp = 0u; pp < TILE; pp++)
        {
          float bv = s_b[pp][column];

          for (uint u = 0u; u < 4u; u++)
            acc[u] = fma (s_a[row + 8u * u][pp], bv, acc[u]);
        }
      barrier ();
    }

  for (uint u = 0u; u < 4u; u++)
    {
      uint i = i0 + row + 8u * u;
      uint j = j0 + column;

      if (i < pc.m && j < pc.n)
        {
          uint index = pc.c_offset + i * pc.c_row + j * pc.c_col;
          float value = acc[u];

          if ((pc.flags & FLAG_ACCUMULATE) != 0u)
            value += c[index];
          c[index] = round_model (value, pc.round_mode);
        }
    }
}
