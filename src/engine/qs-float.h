/* qs-float.h: scalar conversions between fp32 and the narrow float formats
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * qs_bf16_to_f32:
 * @bits: a bfloat16 bit pattern
 *
 * Widens a bfloat16 value exactly by placing its bits in the high half of
 * an fp32 word.
 */
float    qs_bf16_to_f32        (guint16 bits);

/**
 * qs_f32_to_bf16:
 * @value: an fp32 value
 *
 * Narrows @value to bfloat16 with round-to-nearest-even, as PyTorch's
 * `.to(torch.bfloat16)` does. NaN stays a quiet NaN.
 */
guint16  qs_f32_to_bf16        (float   value);

/**
 * qs_round_bf16:
 * @value: an fp32 value
 *
 * Rounds @value to the nearest bfloat16 (ties to even) and returns it as fp32.
 */
float    qs_round_bf16         (float   value);

/* IEEE binary16, round-to-nearest-even on narrowing, subnormals kept. */
float    qs_f16_to_f32         (guint16 bits);
guint16  qs_f32_to_f16         (float   value);
float    qs_round_f16          (float   value);

/* float8_e4m3fn: no infinities, 0x7F/0xFF are NaN, max 448.
 * float8_e5m2: IEEE-style with infinities, max 57344.
 * Narrowing is round-to-nearest-even; values beyond the max saturate only
 * when the caller clamped them first, as SDNQ does before every cast. */
float    qs_f8e4m3_to_f32      (guint8  bits);
guint8   qs_f32_to_f8e4m3      (float   value);
float    qs_f8e5m2_to_f32      (guint8  bits);
guint8   qs_f32_to_f8e5m2      (float   value);

/* Loads that never assume alignment: every read of mapped file data goes
 * through these, so a tensor at any byte offset is safe to decode. */
guint16  qs_load_u16_le        (const guint8 *p);
guint32  qs_load_u32_le        (const guint8 *p);
guint64  qs_load_u64_le        (const guint8 *p);
float    qs_load_f32_le        (const guint8 *p);
double   qs_load_f64_le        (const guint8 *p);
void     qs_store_u16_le       (guint8 *p, guint16 v);
void     qs_store_u32_le       (guint8 *p, guint32 v);
void     qs_store_u64_le       (guint8 *p, guint64 v);

G_END_DECLS
