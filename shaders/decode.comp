/* decode.comp: widens BF16, F16 or F32 weights to fp32 on the device
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is the tensor's little-endian bytes as 32-bit words, two
 * 16-bit values per word with the first in the low half. Widening is
 * exact for all three formats; F16 subnormals are decoded with integer
 * arithmetic rather than unpackHalf2x16, which may flush them.
 */

#version 450

layout (local_size_x = 256) in;

#define DECODE_F32  0u
#define DECODE_BF16 1u
#define DECODE_F16  2u

layout (push_constant) uniform PushConstants
{
  uint n_elements;
  uint format;
} pc;

layout (std430, binding = 0) readonly buffer Input { uint words[]; };
layout (std430, binding = 1) writeonly buffer Output { float values[]; };

float
f16_to_f32 (uint bits)
{
  uint sign = (bits & 0x8000u) << 16;
  uint exponent = (bits >> 10) & 0x1fu;
  uint mantissa = bits & 0x3ffu;

  if (exponent == 0x1fu)
    return uintBitsToFloat (sign | 0x7f800000u | (mantissa << 13));

  if (exponent == 0u)
    {
      /* mantissa · 2^-24, exact in fp32. */
      float magnitude = float (mantissa) * (1.0 / 16777216.0);

      return uintBitsToFloat (sign | floatBitsToUint (magnitude));
    }

  return uintBitsToFloat (sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

void
main ()
{
  uint stride = gl_NumWorkGroups.x * 256u;

  for (uint i = gl_GlobalInvocationID.x; i < pc.n_elements; i += stride)
    {
      if (pc.format == DECODE_F32)
        {
          values[i] = uintBitsToFloat (words[i]);
        }
      else
        {
          uint word = words[i >> 1];
          uint half_bits = (i & 1u) != 0u ? word >> 16 : word & 0xffffu;

          if (pc.format == DECODE_BF16)
            values[i] = uintBitsToFloat (half_bits << 16);
          else
            values[i] = f16_to_f32 (half_bits);
        }
    }
}
