/* probe.comp: measures whether the device's fma() is fused
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The host runs it once per device on inputs where a fused multiply-add
 * and a multiply followed by an add differ, and compares with C's fmaf.
 */

#version 450

layout (local_size_x = 64) in;

layout (push_constant) uniform PushConstants
{
  uint n_cases;
} pc;

layout (std430, binding = 0) readonly buffer Cases { vec4 cases[]; };
layout (std430, binding = 1) writeonly buffer Results { float results[]; };

void
main ()
{
  uint i = gl_GlobalInvocationID.x;

  if (i < pc.n_cases)
    {
      precise float fused = fma (cases[i].x, cases[i].y, cases[i].z);

      results[i] = fused;
    }
}
