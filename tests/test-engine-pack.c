/* test-engine-pack.c: SDNQ's bit packing of quantized codes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "qs-dtype.h"
#include "qs-error.h"
#include "qs-quant.h"

static const QsDtype *
lookup (const char *name)
{
  const QsDtype *dtype = qs_dtype_lookup (name);

  if (dtype == NULL)
    g_error ("dtype %s is missing from the table", name);

  return dtype;
}

static char *
to_hex (const guint8 *bytes,
        gsize         size)
{
  GString *hex = g_string_new (NULL);
  gsize i;

  for (i = 0; i < size; i++)
    g_string_append_printf (hex, "%02x", bytes[i]);

  return g_string_free (hex, FALSE);
}

static char *
pack_to_hex (const QsDtype *dtype,
             const guint32 *codes,
             gsize          n_codes)
{
  g_autoptr (GError) error = NULL;
  gsize size = qs_packed_size (dtype, n_codes);
  g_autofree guint8 *packed = g_malloc0 (size + 1);

  g_assert_cmpuint (size, >, 0);
  g_assert_true (qs_pack_codes (dtype, codes, n_codes, packed, &error));
  g_assert_no_error (error);

  return to_hex (packed, size);
}

static void
unpack_or_fail (const QsDtype *dtype,
                const guint8  *packed,
                gsize          n_codes,
                guint32       *codes)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (qs_unpack_codes (dtype, packed, n_codes, codes, &error));
  g_assert_no_error (error);
}

/* Bytes per code block: N bits per code, in whole U8 or 16-bit words. */
static gsize
expected_packed_size (const QsDtype *dtype,
                      gsize          n_codes)
{
  if (dtype->num_bits == 1)
    return n_codes;
  if (dtype->pack_block == 1)
    return n_codes * qs_storage_type_get_size (dtype->storage);

  return n_codes * dtype->num_bits / 8;
}

/* Every packed width round-trips random codes that fit N bits, for the
 * unsigned and signed integers and the custom floats of that width. */
static void
test_pack_round_trip_every_width (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (54);
  const QsDtype *const *all;
  guint n_widths_seen[17] = { 0 };
  guint n;
  guint d;

  all = qs_dtype_get_all (&n);
  for (d = 0; d < n; d++)
    {
      const QsDtype *dtype = all[d];
      gsize n_codes = (gsize) dtype->pack_block * 37;
      g_autofree guint32 *codes = g_new (guint32, n_codes);
      g_autofree guint32 *unpacked = g_new (guint32, n_codes);
      g_autofree guint8 *packed = NULL;
      guint64 code_limit;
      gsize size;
      gsize i;

      if (dtype->kind == QS_DTYPE_KIND_NATIVE_FLOAT || dtype->num_bits > 16)
        continue;

      g_test_message ("%s", dtype->name);
      code_limit = G_GUINT64_CONSTANT (1) << dtype->num_bits;
      for (i = 0; i < n_codes; i++)
        codes[i] = (guint32) (g_rand_int (rand) % code_limit);
      /* Include the extremes of every field. */
      codes[0] = 0;
      codes[n_codes - 1] = (guint32) (code_limit - 1);

      size = qs_packed_size (dtype, n_codes);
      g_assert_cmpuint (size, ==, expected_packed_size (dtype, n_codes));
      packed = g_malloc (size);
      g_assert_true (qs_pack_codes (dtype, codes, n_codes, packed, NULL));
      unpack_or_fail (dtype, packed, n_codes, unpacked);
      g_assert_cmpmem (unpacked, n_codes * sizeof (guint32), codes, n_codes * sizeof (guint32));

      if (dtype->pack_block > 1)
        n_widths_seen[dtype->num_bits]++;
    }

  for (d = 1; d <= 16; d++)
    {
      if (d == 8 || d == 16)
        g_assert_cmpuint (n_widths_seen[d], ==, 0);
      else
        g_assert_cmpuint (n_widths_seen[d], >=, 2);
    }
}

typedef struct
{
  const char    *dtype;
  guint          n_codes;
  const guint32  codes[16];
  const char    *hex;
} PackLayoutCase;

/* Expected bytes worked out from the per-width formulas of SDNQ's packer
 * (low fields first, high bits of the last elements spread over the words),
 * independently of the C implementation. */
static const PackLayoutCase pack_layouts[] = {
  /* N = 3: b0 = e0 | e3<<3 | (e6&3)<<6, b1 = e1 | e4<<3 | (e7&3)<<6,
   * b2 = e2 | e5<<3 | (e6>>2&1)<<6 | (e7>>2&1)<<7. */
  { "uint3", 16, { 5, 2, 7, 0, 6, 3, 1, 4, 7, 7, 0, 0, 3, 5, 6, 2 }, "45329f879f68" },
  /* N = 5: bj = ej | (e(5+j)&7)<<5, b3 = e3 | (e5>>3&3)<<5 | (e7>>4&1)<<7,
   * b4 = e4 | (e6>>3&3)<<5 | (e7>>3&1)<<7. */
  { "uint5", 16, { 31, 0, 17, 9, 22, 13, 27, 30, 1, 2, 3, 4, 5, 6, 7, 8 }, "bf60d1a9f6c1e2030485" },
  /* N = 6: bj = ej | (e3>>(4−2j)&3)<<6. */
  { "uint6", 8, { 63, 1, 40, 45, 0, 33, 20, 58 }, "bfc168c0a194" },
  /* N = 10: wj = ej | (e(5+j)&63)<<10, w3 = e3 | (e5>>6&15)<<10 | (e7>>8&3)<<14,
   * w4 = e4 | (e6>>6&15)<<10 | (e7>>6&3)<<14, little-endian. */
  { "uint10", 8, { 1023, 512, 3, 700, 99, 1000, 333, 769 }, "ffa300360304bcfe6314" },
  /* N = 12: wj = ej | (e3>>(8−4j)&15)<<12. */
  { "uint12", 8, { 4095, 1, 2048, 2730, 100, 200, 300, 3801 }, "ffaf01a000a864e0c8d02c91" },
  /* Trivial layouts. */
  { "uint4", 4, { 1, 2, 15, 0 }, "210f" },
  { "uint2", 8, { 0, 1, 2, 3, 3, 2, 1, 0 }, "e41b" },
  { "uint7", 8, { 1, 2, 3, 4, 5, 6, 7, 127 }, "81828384858687" },
  /* uint1 is one I64 per eight codes, holding Σ eK<<K. */
  { "uint1", 8, { 1, 0, 1, 1, 0, 0, 0, 1 }, "8d00000000000000" },
  /* Signed integers are offset binary: int4 q = −8 is code 0. */
  { "int4", 2, { 0, 15 }, "f0" },
};

static void
test_pack_hand_checked_layouts (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (pack_layouts); i++)
    {
      const PackLayoutCase *c = &pack_layouts[i];
      const QsDtype *dtype = lookup (c->dtype);
      g_autofree char *hex = pack_to_hex (dtype, c->codes, c->n_codes);
      guint32 unpacked[16];
      gsize size = strlen (c->hex) / 2;
      g_autofree guint8 *bytes = g_malloc (size);
      gsize j;

      g_test_message ("%s", c->dtype);
      g_assert_cmpstr (hex, ==, c->hex);

      for (j = 0; j < size; j++)
        bytes[j] = (guint8) g_ascii_strtoull ((char[]) { c->hex[2 * j], c->hex[2 * j + 1], '\0' }, NULL, 16);
      unpack_or_fail (dtype, bytes, c->n_codes, unpacked);
      g_assert_cmpmem (unpacked, c->n_codes * sizeof (guint32), c->codes, c->n_codes * sizeof (guint32));
    }
}

/* Unpacked dtypes store the value itself, little-endian: int8 as its signed
 * byte, int16 as I16, float codes as their bit patterns. */
static void
test_pack_unpacked_storage (void)
{
  const guint32 int8_codes[] = { 0, 127, 128, 255 };
  const guint32 int16_codes[] = { 0, 32768, 65535 };
  const guint32 int32_codes[] = { 0, 0x80000000u, 0xFFFFFFFFu };
  const guint32 uint8_codes[] = { 0, 200, 255 };
  const guint32 uint16_codes[] = { 0x1234, 0xFFFF };
  const guint32 fp8_codes[] = { 0x38, 0xFE };
  const guint32 f16_codes[] = { 0x3C00, 0xC000 };
  const guint32 f32_codes[] = { 0x3F800000u };
  const guint32 sdnq_fp8_codes[] = { 0x7F, 0x80 };
  const guint32 fp16_custom_codes[] = { 0xABCD };
  g_autofree char *int8_hex = pack_to_hex (lookup ("int8"), int8_codes, 4);
  g_autofree char *int16_hex = pack_to_hex (lookup ("int16"), int16_codes, 3);
  g_autofree char *int32_hex = pack_to_hex (lookup ("int32"), int32_codes, 3);
  g_autofree char *uint8_hex = pack_to_hex (lookup ("uint8"), uint8_codes, 3);
  g_autofree char *uint16_hex = pack_to_hex (lookup ("uint16"), uint16_codes, 2);
  g_autofree char *fp8_hex = pack_to_hex (lookup ("fp8"), fp8_codes, 2);
  g_autofree char *f16_hex = pack_to_hex (lookup ("float16"), f16_codes, 2);
  g_autofree char *bf16_hex = pack_to_hex (lookup ("bfloat16"), f16_codes, 2);
  g_autofree char *f32_hex = pack_to_hex (lookup ("float32"), f32_codes, 1);
  g_autofree char *sdnq_fp8_hex = pack_to_hex (lookup ("float8_e4m3fn_sdnq"), sdnq_fp8_codes, 2);
  g_autofree char *fp16_custom_hex = pack_to_hex (lookup ("float16_e5m10fn"), fp16_custom_codes, 1);
  const guint8 int8_bytes[] = { 0x80, 0xff, 0x00, 0x7f };
  const guint8 int16_bytes[] = { 0x00, 0x80, 0x00, 0x00, 0xff, 0x7f };
  guint32 unpacked[4];

  g_assert_cmpstr (int8_hex, ==, "80ff007f");
  g_assert_cmpstr (int16_hex, ==, "00800000ff7f");
  g_assert_cmpstr (int32_hex, ==, "0000008000000000ffffff7f");
  g_assert_cmpstr (uint8_hex, ==, "00c8ff");
  g_assert_cmpstr (uint16_hex, ==, "3412ffff");
  g_assert_cmpstr (fp8_hex, ==, "38fe");
  g_assert_cmpstr (f16_hex, ==, "003c00c0");
  g_assert_cmpstr (bf16_hex, ==, "003c00c0");
  g_assert_cmpstr (f32_hex, ==, "0000803f");
  g_assert_cmpstr (sdnq_fp8_hex, ==, "7f80");
  g_assert_cmpstr (fp16_custom_hex, ==, "cdab");

  unpack_or_fail (lookup ("int8"), int8_bytes, 4, unpacked);
  g_assert_cmpmem (unpacked, sizeof (int8_codes), int8_codes, sizeof (int8_codes));
  unpack_or_fail (lookup ("int16"), int16_bytes, 3, unpacked);
  g_assert_cmpmem (unpacked, sizeof (int16_codes), int16_codes, sizeof (int16_codes));
}

/* The extra bit of a uint9..uint15 top code (2^N) lands in, or is masked
 * out of, a neighbouring field exactly as SDNQ's unpacker shows. Expected
 * codes come from SDNQ's pack_uintN/unpack_uintN run on PyTorch 1.13. */
typedef struct
{
  const char *dtype;
  guint       n_codes;
  guint32     codes[16];
  const char *hex;
  guint32     unpacked[16];
} CollisionCase;

static const CollisionCase collisions[] = {
  /* e0 = 4096: bit 12 of w0 is where e3's bit 8 lives, so e0 comes back 0
   * and e3 gains 256. */
  { "uint12", 4, { 4096, 5, 6, 7 }, "001005000670", { 0, 5, 6, 263 } },
  /* e3 = 4096: its fields keep bits 0..11 only, so it comes back 0. */
  { "uint12", 4, { 1, 2, 3, 4096 }, "010002000300", { 1, 2, 3, 0 } },
  { "uint12", 8, { 4096, 4096, 4096, 4096, 4095, 0, 4095, 4096 },
    "001000100010ff0f0000ff0f", { 0, 0, 0, 273, 4095, 0, 4095, 0 } },
  { "uint15", 16, { 32768, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 32768 },
    "00800100020003000400050006000700080009000a000b000c000d000e00",
    { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16384 } },
  { "uint9", 16, { 512, 1, 2, 3, 4, 5, 6, 7, 512, 9, 10, 11, 12, 13, 14, 512 },
    "00020112021403160418051a061c07000000",
    { 0, 1, 2, 3, 4, 5, 6, 7, 1, 9, 10, 11, 12, 13, 14, 0 } },
};

static void
test_pack_uint_top_value_collisions (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (collisions); i++)
    {
      const CollisionCase *c = &collisions[i];
      const QsDtype *dtype = lookup (c->dtype);
      g_autofree char *hex = pack_to_hex (dtype, c->codes, c->n_codes);
      g_autofree guint8 *packed = g_malloc (qs_packed_size (dtype, c->n_codes));
      guint32 unpacked[16];

      g_test_message ("%s case %u", c->dtype, i);
      g_assert_true (qs_dtype_needs_pack_round_trip (dtype));
      g_assert_cmpstr (hex, ==, c->hex);
      g_assert_true (qs_pack_codes (dtype, c->codes, c->n_codes, packed, NULL));
      unpack_or_fail (dtype, packed, c->n_codes, unpacked);
      g_assert_cmpmem (unpacked, c->n_codes * sizeof (guint32), c->unpacked, c->n_codes * sizeof (guint32));
    }
}

/* Across random blocks with top codes placed anywhere, a round trip only
 * changes a code equal to 2^N, or the neighbour its extra bit lands on. */
static void
test_pack_uint_top_value_only_affects_neighbours (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (14);
  guint bits;

  for (bits = 9; bits <= 15; bits++)
    {
      g_autofree char *name = g_strdup_printf ("uint%u", bits);
      const QsDtype *dtype = lookup (name);
      gsize n_codes = (gsize) dtype->pack_block * 200;
      g_autofree guint32 *codes = g_new (guint32, n_codes);
      g_autofree guint32 *unpacked = g_new (guint32, n_codes);
      g_autofree guint8 *packed = g_malloc (qs_packed_size (dtype, n_codes));
      guint32 top = 1u << bits;
      gsize n_top = 0;
      gsize i;

      for (i = 0; i < n_codes; i++)
        {
          codes[i] = g_rand_int_range (rand, 0, 8) == 0 ? top : (guint32) g_rand_int_range (rand, 0, (gint32) top);
          n_top += codes[i] == top;
        }

      g_assert_true (qs_pack_codes (dtype, codes, n_codes, packed, NULL));
      unpack_or_fail (dtype, packed, n_codes, unpacked);

      for (i = 0; i < n_codes; i += dtype->pack_block)
        {
          gboolean has_top = FALSE;
          gsize j;

          for (j = i; j < i + dtype->pack_block; j++)
            has_top |= codes[j] == top;

          for (j = i; j < i + dtype->pack_block; j++)
            {
              /* No code comes back with bit N set, blocks without a top
               * code are untouched, and other codes in a block with one
               * can only gain bits. */
              g_assert_cmpuint (unpacked[j], <, top);
              if (!has_top)
                g_assert_cmpuint (unpacked[j], ==, codes[j]);
              else if (codes[j] != top)
                g_assert_cmpuint (unpacked[j] & codes[j], ==, codes[j]);
            }
        }
      g_assert_cmpuint (n_top, >, 0);
    }
}

/* Evaluating through pack and unpack shows SDNQ's uint12 defect: the top
 * value of each group collapses, while int12 is nearly lossless. */
static void
test_pack_uint12_round_trip_error (void)
{
  const gint64 shape[] = { 64, 256 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (12);
  const char *const names[] = { "uint12", "int12" };
  float weight[64 * 256];
  float reconstructed[64 * 256];
  double nmse[2];
  guint d;
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (weight); i++)
    weight[i] = (float) g_rand_double_range (rand, -1.0, 1.0);

  for (d = 0; d < G_N_ELEMENTS (names); d++)
    {
      const QsDtype *dtype = lookup (names[d]);
      g_autoptr (QsQuantizedLayer) layer = NULL;
      g_autofree guint8 *packed = NULL;
      QsGroupLayout layout;
      double error = 0.0;
      double energy = 0.0;

      qs_group_layout_init (&layout, shape, 2, 64);
      layer = qs_quantize_layer (dtype, &layout, weight);
      packed = g_malloc (qs_packed_size (dtype, G_N_ELEMENTS (weight)));
      g_assert_true (qs_pack_codes (dtype, layer->codes, G_N_ELEMENTS (weight), packed, NULL));
      unpack_or_fail (dtype, packed, G_N_ELEMENTS (weight), layer->codes);
      qs_dequantize_layer (layer, reconstructed);

      for (i = 0; i < G_N_ELEMENTS (weight); i++)
        {
          double delta = (double) reconstructed[i] - weight[i];

          error += delta * delta;
          energy += (double) weight[i] * weight[i];
        }
      nmse[d] = error / energy;
      g_test_message ("%s nmse after pack round trip: %g", names[d], nmse[d]);
    }

  g_assert_cmpfloat (nmse[0], >, 1e-3);
  g_assert_cmpfloat (nmse[1], <, 1e-6);
}

/* SDNQ raises when the element count is not a multiple of the block. */
static void
test_pack_rejects_partial_blocks (void)
{
  const struct
  {
    const char *dtype;
    gsize       n_codes;
  } rejected[] = {
    { "uint4", 3 }, { "uint3", 12 }, { "uint1", 9 }, { "int6", 6 }, { "uint12", 5 },
    { "uint9", 24 }, { "float4_e2m1fn", 16401 }, { "int2", 2 },
  };
  guint32 codes[32] = { 0 };
  guint8 packed[128];
  guint i;

  for (i = 0; i < G_N_ELEMENTS (rejected); i++)
    {
      const QsDtype *dtype = lookup (rejected[i].dtype);
      g_autoptr (GError) error = NULL;
      gsize n_codes = rejected[i].n_codes;

      g_test_message ("%s × %" G_GSIZE_FORMAT, rejected[i].dtype, n_codes);
      g_assert_cmpuint (qs_packed_size (dtype, n_codes), ==, 0);

      if (n_codes <= G_N_ELEMENTS (codes))
        {
          g_assert_false (qs_pack_codes (dtype, codes, n_codes, packed, &error));
          g_assert_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_UNSUPPORTED);
          g_assert_nonnull (strstr (error->message, dtype->name));
          g_clear_error (&error);

          g_assert_false (qs_unpack_codes (dtype, packed, n_codes, codes, &error));
          g_assert_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_UNSUPPORTED);
        }
    }

  /* Unpacked dtypes take any count. */
  g_assert_cmpuint (qs_packed_size (lookup ("int8"), 3), ==, 3);
  g_assert_true (qs_pack_codes (lookup ("int8"), codes, 3, packed, NULL));
  g_assert_cmpuint (qs_packed_size (lookup ("float8_e4m3fn_sdnq"), 5), ==, 5);
  g_assert_cmpuint (qs_packed_size (lookup ("float16"), 5), ==, 10);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qs/engine/pack/round-trip-every-width", test_pack_round_trip_every_width);
  g_test_add_func ("/qs/engine/pack/hand-checked-layouts", test_pack_hand_checked_layouts);
  g_test_add_func ("/qs/engine/pack/unpacked-storage", test_pack_unpacked_storage);
  g_test_add_func ("/qs/engine/pack/uint-top-value-collisions", test_pack_uint_top_value_collisions);
  g_test_add_func ("/qs/engine/pack/uint-top-value-neighbours", test_pack_uint_top_value_only_affects_neighbours);
  g_test_add_func ("/qs/engine/pack/uint12-round-trip-error", test_pack_uint12_round_trip_error);
  g_test_add_func ("/qs/engine/pack/rejects-partial-blocks", test_pack_rejects_partial_blocks);

  return g_test_run ();
}
