/* test-engine-quant.c: SDNQ quantization, group sizes and custom floats
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "qs-dtype.h"
#include "qs-error.h"
#include "qs-float.h"
#include "qs-quant.h"

static const QsDtype *
lookup (const char *name)
{
  const QsDtype *dtype = qs_dtype_lookup (name);

  if (dtype == NULL)
    g_error ("dtype %s is missing from the table", name);

  return dtype;
}

static guint32
bits_of (float value)
{
  guint32 bits;

  memcpy (&bits, &value, sizeof bits);
  return bits;
}

/* A normal-distributed value from two uniforms (Box–Muller). */
static float
random_normal (GRand *rand)
{
  double u1 = g_rand_double_range (rand, 1e-12, 1.0);
  double u2 = g_rand_double (rand);

  return (float) (sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2));
}

static double
compute_nmse (const float *original,
              const float *reconstructed,
              gsize        n)
{
  double error = 0.0;
  double energy = 0.0;
  gsize i;

  for (i = 0; i < n; i++)
    {
      double d = (double) reconstructed[i] - (double) original[i];

      error += d * d;
      energy += (double) original[i] * (double) original[i];
    }

  return error / energy;
}

/* The reference matrix W[i][j] = (((37i + 11j) mod 61) − 30) / 64, 2 × 32. */
static void
fill_reference_matrix (float *w)
{
  guint i;
  guint j;

  for (i = 0; i < 2; i++)
    for (j = 0; j < 32; j++)
      w[i * 32 + j] = (float) ((int) ((37 * i + 11 * j) % 61) - 30) / 64.0f;
}

static QsQuantizedLayer *
quantize_reference_matrix (const char *dtype_name,
                           gint64      requested_group_size)
{
  const QsDtype *dtype = lookup (dtype_name);
  const gint64 shape[] = { 2, 32 };
  float w[64];
  QsGroupLayout layout;
  gint64 group_size;

  fill_reference_matrix (w);
  group_size = qs_resolve_group_size (dtype, QS_LAYER_LINEAR, 32, requested_group_size, FALSE);
  qs_group_layout_init (&layout, shape, 2, group_size);

  return qs_quantize_layer (dtype, &layout, w);
}

static char *
pack_to_hex (const QsQuantizedLayer *layer)
{
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *packed = NULL;
  GString *hex = g_string_new (NULL);
  gsize n_codes = (gsize) (layer->layout.rows * layer->layout.channels * layer->layout.spatial);
  gsize size = qs_packed_size (layer->dtype, n_codes);
  gsize i;

  g_assert_cmpuint (size, >, 0);
  packed = g_malloc (size);
  g_assert_true (qs_pack_codes (layer->dtype, layer->codes, n_codes, packed, &error));
  g_assert_no_error (error);

  for (i = 0; i < size; i++)
    g_string_append_printf (hex, "%02x", packed[i]);

  return g_string_free (hex, FALSE);
}

typedef struct
{
  const char *dtype;
  gint64      group_size;
  const char *weight_hex;
  guint       n_scales;
  float       scales[4];
  float       zero_points[4];
} ReferenceVector;

/* SDNQ's own CPU results for the reference matrix (real HEAD functions,
 * PyTorch 1.13): stored weight bytes after packing, scales and zero points. */
static const ReferenceVector reference_vectors[] = {
  { "uint4", 16,
    "3086eb41a7fc52b80e63c92f85da3096c92f85da3096fc41b80e63c92f85da30",
    4, { 0.0625f, 0.0583333336f, 0.0583333336f, 0.0583333336f },
    { -0.46875f, -0.421875f, -0.421875f, -0.453125f } },
  { "int4", 16,
    "4196eb52a7fc63b82e74ca3f86eb4197ca3f86eb4197fc53b81d74c92f85da41",
    4, { 0.0669642836f, 0.0647321418f, 0.0647321418f, 0.0647321418f }, { 0 } },
  { "int8", -1,
    "81b0de0d3b6a96c5f322507fabda08376692c0ef1e4c7ba7d60433618ebceb19"
    "1f4f7fa4d40435658abaea1a4a7ba0d000306085b6e61646769bcbfc2c5c81b1",
    2, { 0.00369094498f, 0.00356791331f }, { 0 } },
  { "uint8", -1,
    "002f5e8cbbea154473a2d0ff2a5988b7e611406e9dccfb265584b2e10d3c6a99"
    "9ecfff235484b4e509396a9acafb1f4f80b0e004356595c6f61a4b7babdc0030",
    2, { 0.0036764706f, 0.00355392159f }, { -0.46875f, -0.453125f } },
  { "float4_e2m1fn", 16,
    "ef1b65de3976ce51f6ad63e70c64df2a63e70c64df2a75ce40f6ad52e78c64ef",
    4, { 0.078125f, 0.0755208358f, 0.0755208358f, 0.0755208358f }, { 0 } },
  { "uint3", 16,
    "60a9333b4cd6de6072f2048d4c96e760b13b0495de276932",
    4, { 0.133928567f, 0.125f, 0.125f, 0.125f },
    { -0.46875f, -0.421875f, -0.421875f, -0.453125f } },
  { "int6", -1,
    "810cd86e3a86dde8f48bd76279c51027b3bed6a12c844f9b27b3bfd5a16d834f9b727e08202cb8ce1a657dc7d32bf641",
    2, { 0.0151209673f, 0.0146169355f }, { 0 } },
};

static void
test_quant_reference_vectors (void)
{
  guint v;

  for (v = 0; v < G_N_ELEMENTS (reference_vectors); v++)
    {
      const ReferenceVector *ref = &reference_vectors[v];
      g_autoptr (QsQuantizedLayer) layer = quantize_reference_matrix (ref->dtype, ref->group_size);
      g_autofree char *hex = NULL;
      guint i;

      g_test_message ("%s, group size %" G_GINT64_FORMAT, ref->dtype, ref->group_size);

      g_assert_cmpint (layer->layout.rows * layer->layout.n_groups, ==, ref->n_scales);
      hex = pack_to_hex (layer);
      g_assert_cmpstr (hex, ==, ref->weight_hex);

      for (i = 0; i < ref->n_scales; i++)
        {
          g_assert_cmphex (bits_of (layer->scales[i]), ==, bits_of (ref->scales[i]));
          if (layer->dtype->is_unsigned)
            g_assert_cmphex (bits_of (layer->zero_points[i]), ==, bits_of (ref->zero_points[i]));
        }

      if (layer->dtype->is_unsigned)
        g_assert_nonnull (layer->zero_points);
      else
        g_assert_null (layer->zero_points);
      g_assert_cmpuint (layer->n_degenerate_groups, ==, 0);
    }
}

static void
test_quant_uint8_dequantized_values (void)
{
  g_autoptr (QsQuantizedLayer) layer = quantize_reference_matrix ("uint8", -1);
  float out[64];

  qs_dequantize_layer (layer, out);

  /* 14/64 and −25/64 land on codes 234 and 21, which the fused multiply-add
   * of the zero point turns into slightly different magnitudes. */
  g_assert_cmpuint (layer->codes[5], ==, 234);
  g_assert_cmpuint (layer->codes[6], ==, 21);
  g_assert_cmphex (bits_of (out[5]), ==, bits_of (0.391544133f));
  g_assert_cmphex (bits_of (out[6]), ==, bits_of (-0.391544104f));
}

typedef struct
{
  const char  *dtype;
  QsLayerKind  kind;
  gint64       channels;
  gint64       requested;
  gboolean     svd;
  gint64       expected;
} GroupSizeCase;

static void
test_quant_group_size_resolution (void)
{
  static const GroupSizeCase cases[] = {
    /* Automatic sizes for Linear without SVD: 2^(2 + bits). */
    { "int8", QS_LAYER_LINEAR, 65536, 0, FALSE, 1024 },
    { "uint8", QS_LAYER_LINEAR, 65536, 0, FALSE, 1024 },
    { "float8_e4m3fn", QS_LAYER_LINEAR, 65536, 0, FALSE, 1024 },
    { "float8_e4m3fn_sdnq", QS_LAYER_LINEAR, 3072, 0, FALSE, 1024 },
    { "int7", QS_LAYER_LINEAR, 65536, 0, FALSE, 512 },
    { "uint6", QS_LAYER_LINEAR, 65536, 0, FALSE, 256 },
    { "float6_e3m2fn", QS_LAYER_LINEAR, 65536, 0, FALSE, 256 },
    { "int5", QS_LAYER_LINEAR, 65536, 0, FALSE, 128 },
    { "uint5", QS_LAYER_LINEAR, 3072, 0, FALSE, 128 },
    { "uint4", QS_LAYER_LINEAR, 65536, 0, FALSE, 64 },
    { "float4_e2m1fn", QS_LAYER_LINEAR, 3072, 0, FALSE, 64 },
    { "uint3", QS_LAYER_LINEAR, 65536, 0, FALSE, 32 },
    { "uint2", QS_LAYER_LINEAR, 65536, 0, FALSE, 16 },
    { "uint1", QS_LAYER_LINEAR, 65536, 0, FALSE, 8 },
    { "float12_e4m7fn", QS_LAYER_LINEAR, 65536, 0, FALSE, 16384 },
    /* Conv and Embedding get half the Linear value, and SVD doubles it. */
    { "uint4", QS_LAYER_CONV, 640, 0, FALSE, 32 },
    { "uint4", QS_LAYER_CONV, 640, 0, TRUE, 64 },
    { "int8", QS_LAYER_EMBEDDING, 4096, 0, FALSE, 512 },
    { "uint4", QS_LAYER_EMBEDDING, 4096, 0, FALSE, 32 },
    { "uint4", QS_LAYER_LINEAR, 3072, 0, TRUE, 128 },
    { "int8", QS_LAYER_LINEAR, 65536, 0, TRUE, 2048 },
    { "int8", QS_LAYER_CONV, 65536, 0, TRUE, 1024 },
    /* Wide dtypes ask for more than any channel count: row-wise. */
    { "int16", QS_LAYER_LINEAR, 65536, 0, FALSE, -1 },
    { "float32", QS_LAYER_LINEAR, 65536, 0, FALSE, -1 },
    { "int32", QS_LAYER_LINEAR, 65536, 0, TRUE, -1 },
    /* A size that does not divide steps the group count down. */
    { "uint4", QS_LAYER_LINEAR, 3000, 64, FALSE, 75 },
    { "uint4", QS_LAYER_LINEAR, 3000, 0, FALSE, 75 },
    /* 640 / 256 = 2 groups that do not divide. One group is row-wise, and
     * 2 × 320 is never tried. */
    { "uint6", QS_LAYER_LINEAR, 640, 256, FALSE, -1 },
    { "int8", QS_LAYER_LINEAR, 2560, 0, FALSE, -1 },
    { "int8", QS_LAYER_LINEAR, 3072, 0, FALSE, 1024 },
    /* Widths from public reports: 3360, 2520, 97 (prime) and 4. */
    { "uint4", QS_LAYER_LINEAR, 3360, 32, FALSE, 32 },
    { "uint4", QS_LAYER_LINEAR, 3360, 64, FALSE, 70 },
    { "uint4", QS_LAYER_LINEAR, 3360, 128, FALSE, 140 },
    { "uint4", QS_LAYER_LINEAR, 2520, 32, FALSE, 35 },
    { "uint4", QS_LAYER_LINEAR, 2520, 64, FALSE, 70 },
    { "uint4", QS_LAYER_LINEAR, 2520, 128, FALSE, 140 },
    { "uint4", QS_LAYER_LINEAR, 97, 32, FALSE, -1 },
    { "uint4", QS_LAYER_LINEAR, 97, 64, FALSE, -1 },
    { "uint4", QS_LAYER_LINEAR, 97, 128, FALSE, -1 },
    { "uint4", QS_LAYER_LINEAR, 4, 32, FALSE, -1 },
    { "uint4", QS_LAYER_LINEAR, 4, 64, FALSE, -1 },
    { "uint4", QS_LAYER_LINEAR, 4, 128, FALSE, -1 },
    { "uint4", QS_LAYER_LINEAR, 4, 2, FALSE, 2 },
    { "uint4", QS_LAYER_LINEAR, 64, 64, FALSE, -1 },
    { "uint4", QS_LAYER_LINEAR, 64, 32, FALSE, 32 },
    /* Row-wise and tensor-wise requests pass through. */
    { "uint4", QS_LAYER_LINEAR, 3000, -1, FALSE, -1 },
    { "uint4", QS_LAYER_CONV, 3000, -2, FALSE, -2 },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const GroupSizeCase *c = &cases[i];

      g_test_message ("%s %s C=%" G_GINT64_FORMAT " G=%" G_GINT64_FORMAT "%s",
                      c->dtype, qs_layer_kind_to_string (c->kind), c->channels,
                      c->requested, c->svd ? " SVD" : "");
      g_assert_cmpint (qs_resolve_group_size (lookup (c->dtype), c->kind, c->channels,
                                              c->requested, c->svd),
                       ==, c->expected);
    }
}

/* Compares with a literal reading of SDNQ's loop over every channel count
 * up to 1200 and every requested size up to 300. */
static void
test_quant_group_size_exhaustive (void)
{
  const QsDtype *dtype = lookup ("uint4");
  gint64 channels;

  for (channels = 1; channels <= 1200; channels++)
    {
      gint64 requested;

      for (requested = 1; requested <= 300; requested++)
        {
          gint64 group_size = requested;
          gint64 n_groups;
          gint64 expected;

          if (group_size >= channels)
            {
              expected = -1;
            }
          else
            {
              n_groups = channels / group_size;
              while (n_groups * group_size != channels)
                {
                  n_groups--;
                  if (n_groups <= 1)
                    break;
                  group_size = channels / n_groups;
                }
              expected = n_groups <= 1 ? -1 : group_size;
            }

          if (qs_resolve_group_size (dtype, QS_LAYER_LINEAR, channels, requested, FALSE) != expected)
            g_error ("C=%" G_GINT64_FORMAT " G=%" G_GINT64_FORMAT ": expected %" G_GINT64_FORMAT,
                     channels, requested, expected);
        }
    }
}

static void
test_quant_group_layout (void)
{
  const gint64 linear[] = { 3072, 3000 };
  const gint64 conv[] = { 320, 640, 3, 3 };
  const gint64 conv3d[] = { 8, 16, 2, 3, 5 };
  QsGroupLayout layout;

  qs_group_layout_init (&layout, linear, 2, 75);
  g_assert_cmpint (layout.rows, ==, 3072);
  g_assert_cmpint (layout.channels, ==, 3000);
  g_assert_cmpint (layout.spatial, ==, 1);
  g_assert_cmpint (layout.group_size, ==, 75);
  g_assert_cmpint (layout.n_groups, ==, 40);

  qs_group_layout_init (&layout, linear, 2, -1);
  g_assert_cmpint (layout.group_size, ==, 3000);
  g_assert_cmpint (layout.n_groups, ==, 1);

  qs_group_layout_init (&layout, conv, 4, 32);
  g_assert_cmpint (layout.rows, ==, 320);
  g_assert_cmpint (layout.channels, ==, 640);
  g_assert_cmpint (layout.spatial, ==, 9);
  g_assert_cmpint (layout.group_size, ==, 32);
  g_assert_cmpint (layout.n_groups, ==, 20);

  qs_group_layout_init (&layout, conv, 4, -1);
  g_assert_cmpint (layout.group_size, ==, 640);
  g_assert_cmpint (layout.n_groups, ==, 1);
  g_assert_cmpint (layout.spatial, ==, 9);

  qs_group_layout_init (&layout, conv3d, 5, 4);
  g_assert_cmpint (layout.spatial, ==, 30);
  g_assert_cmpint (layout.n_groups, ==, 4);

  qs_group_layout_init (&layout, conv, 4, -2);
  g_assert_cmpint (layout.rows, ==, 1);
  g_assert_cmpint (layout.channels, ==, 320 * 640 * 9);
  g_assert_cmpint (layout.spatial, ==, 1);
  g_assert_cmpint (layout.n_groups, ==, 1);
}

/* Conv groups contain w[o, g·gs + j, s]. Codes keep the weight's order and
 * scales are [O, ng, 1, S]. */
static void
test_quant_conv_layer_groups (void)
{
  const gint64 shape[] = { 3, 8, 2, 3 };
  const gint64 group_sizes[] = { 4, -1 };
  const char *const dtypes[] = { "int4", "uint4", "float4_e2m1fn" };
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  float weight[3 * 8 * 6];
  float reconstructed[3 * 8 * 6];
  guint d;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (weight); i++)
    weight[i] = random_normal (rand);

  for (d = 0; d < G_N_ELEMENTS (dtypes); d++)
    {
      const QsDtype *dtype = lookup (dtypes[d]);
      guint k;

      for (k = 0; k < G_N_ELEMENTS (group_sizes); k++)
        {
          g_autoptr (QsQuantizedLayer) layer = NULL;
          QsGroupLayout layout;
          gint64 o;

          qs_group_layout_init (&layout, shape, 4, group_sizes[k]);
          layer = qs_quantize_layer (dtype, &layout, weight);
          qs_dequantize_layer (layer, reconstructed);

          for (o = 0; o < layout.rows; o++)
            {
              gint64 g;

              for (g = 0; g < layout.n_groups; g++)
                {
                  gint64 s;

                  for (s = 0; s < layout.spatial; s++)
                    {
                      float values[8];
                      float fake[8];
                      guint32 codes[8];
                      float scale;
                      float zero_point;
                      gsize scale_index = (gsize) ((o * layout.n_groups + g) * layout.spatial + s);
                      gint64 j;

                      for (j = 0; j < layout.group_size; j++)
                        values[j] = weight[(o * layout.channels + g * layout.group_size + j) * layout.spatial + s];

                      qs_quantize_group (dtype, values, (gsize) layout.group_size, codes, &scale, &zero_point);
                      qs_fake_quantize_group (dtype, values, (gsize) layout.group_size, fake);
                      g_assert_cmphex (bits_of (layer->scales[scale_index]), ==, bits_of (scale));
                      if (dtype->is_unsigned)
                        g_assert_cmphex (bits_of (layer->zero_points[scale_index]), ==, bits_of (zero_point));

                      for (j = 0; j < layout.group_size; j++)
                        {
                          gsize index = (gsize) ((o * layout.channels + g * layout.group_size + j) * layout.spatial + s);

                          g_assert_cmpuint (layer->codes[index], ==, codes[j]);
                          g_assert_cmphex (bits_of (reconstructed[index]), ==, bits_of (fake[j]));
                        }
                    }
                }
            }
        }
    }
}

static void
test_quant_tensor_wise_layer (void)
{
  const gint64 shape[] = { 4, 6, 3 };
  const QsDtype *dtype = lookup ("int8");
  g_autoptr (QsQuantizedLayer) layer = NULL;
  QsGroupLayout layout;
  float weight[72];
  float amax = 0.0f;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (weight); i++)
    {
      weight[i] = (float) ((int) (i * 7 % 23) - 11) / 8.0f;
      amax = MAX (amax, fabsf (weight[i]));
    }

  qs_group_layout_init (&layout, shape, 3, qs_resolve_group_size (dtype, QS_LAYER_CONV, 6, -2, FALSE));
  layer = qs_quantize_layer (dtype, &layout, weight);

  g_assert_cmpfloat (layer->scales[0], ==, amax / 127.0f);
  for (i = 0; i < G_N_ELEMENTS (weight); i++)
    g_assert_cmpfloat (qs_code_to_value (dtype, layer->codes[i]), ==, rintf (weight[i] / layer->scales[0]));
}

/* Fills a 64 × 256 weight with rows 0 and 17 set to zero. */
static void
fill_zero_row_weight (float *weight)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (1529);
  guint i;

  for (i = 0; i < 64 * 256; i++)
    weight[i] = random_normal (rand) * 0.02f;

  memset (weight, 0, 256 * sizeof (float));
  memset (weight + 17 * 256, 0, 256 * sizeof (float));
}

static void
test_quant_zero_rows_every_dtype (void)
{
  const gint64 shape[] = { 64, 256 };
  const gint64 requested[] = { 0, 32, 128, -1 };
  const QsDtype *const *all;
  g_autofree float *weight = g_new (float, 64 * 256);
  g_autofree float *reconstructed = g_new (float, 64 * 256);
  g_autofree float *fake = g_new (float, 64 * 256);
  guint n;
  guint d;

  fill_zero_row_weight (weight);
  all = qs_dtype_get_all (&n);

  for (d = 0; d < n; d++)
    {
      const QsDtype *dtype = all[d];
      guint k;

      for (k = 0; k < G_N_ELEMENTS (requested); k++)
        {
          g_autoptr (QsQuantizedLayer) layer = NULL;
          QsGroupLayout layout;
          gint64 group_size = qs_resolve_group_size (dtype, QS_LAYER_LINEAR, 256, requested[k], FALSE);
          gsize n_scales;
          gsize i;
          double nmse;

          g_test_message ("%s, group size %" G_GINT64_FORMAT, dtype->name, group_size);
          qs_group_layout_init (&layout, shape, 2, group_size);
          layer = qs_quantize_layer (dtype, &layout, weight);
          n_scales = (gsize) (layout.rows * layout.n_groups);

          for (i = 0; i < n_scales; i++)
            {
              g_assert_true (isfinite (layer->scales[i]));
              if (layer->zero_points != NULL)
                g_assert_true (isfinite (layer->zero_points[i]));
            }

          /* Every group of rows 0 and 17 is degenerate, with scale 0. */
          for (i = 0; i < (gsize) layout.n_groups; i++)
            {
              g_assert_cmpfloat (layer->scales[i], ==, 0.0f);
              g_assert_cmpfloat (layer->scales[17 * layout.n_groups + i], ==, 0.0f);
            }
          g_assert_cmpuint (layer->n_degenerate_groups, ==, 2 * layout.n_groups);

          qs_dequantize_layer (layer, reconstructed);
          for (i = 0; i < 64 * 256; i++)
            g_assert_true (isfinite (reconstructed[i]));
          for (i = 0; i < 256; i++)
            {
              g_assert_cmpfloat (reconstructed[i], ==, 0.0f);
              g_assert_cmpfloat (reconstructed[17 * 256 + i], ==, 0.0f);
            }

          nmse = compute_nmse (weight, reconstructed, 64 * 256);
          g_assert_true (isfinite (nmse));

          /* The fast path reports the same degenerate groups. */
          for (i = 0; i < 64 * (gsize) layout.n_groups; i++)
            {
              gboolean degenerate = qs_fake_quantize_group (dtype, weight + i * layout.group_size,
                                                            (gsize) layout.group_size,
                                                            fake + i * layout.group_size);

              g_assert_cmpint (degenerate, ==, layer->scales[i] == 0.0f);
            }
          g_assert_cmpmem (fake, 64 * 256 * sizeof (float), reconstructed, 64 * 256 * sizeof (float));
        }
    }
}

static void
test_quant_constant_group (void)
{
  const float constant[] = { 0.3f, 0.3f, 0.3f, 0.3f, 0.3f, 0.3f, 0.3f, 0.3f, 0.3f };
  const char *const unsigned_dtypes[] = { "uint1", "uint4", "uint8", "uint12", "uint16", "ufp4", "float8_e4m4fnu" };
  guint d;

  /* A constant group has max − min = 0: the scale is 0, the codes are 0
   * (0/0 is NaN, mapped to 0) and the zero point gives the value back. */
  for (d = 0; d < G_N_ELEMENTS (unsigned_dtypes); d++)
    {
      const QsDtype *dtype = lookup (unsigned_dtypes[d]);
      guint32 codes[9];
      float out[9];
      float scale;
      float zero_point;
      guint i;

      g_test_message ("%s", dtype->name);
      g_assert_true (qs_quantize_group (dtype, constant, 9, codes, &scale, &zero_point));
      g_assert_cmpfloat (scale, ==, 0.0f);
      g_assert_cmpfloat (zero_point, ==, 0.3f);
      qs_dequantize_group (dtype, codes, 9, scale, zero_point, out);
      for (i = 0; i < 9; i++)
        {
          g_assert_cmpuint (codes[i], ==, 0);
          g_assert_cmpfloat (out[i], ==, 0.3f);
        }

      g_assert_true (qs_fake_quantize_group (dtype, constant, 9, out));
      for (i = 0; i < 9; i++)
        g_assert_cmpfloat (out[i], ==, 0.3f);
    }
}

/* Scales stay nonzero and the error stays small when a group's values are
 * tiny, down to fp32 subnormals, because scales are fp32. */
static void
test_quant_tiny_magnitudes (void)
{
  const char *const dtypes[] = {
    "int8", "uint8", "int4", "uint4", "int2", "uint2", "uint1", "int12",
    "float8_e4m3fn", "float8_e5m2", "float4_e2m1fn", "float6_e3m2fn",
    "float8_e4m3fn_sdnq", "ufp4",
  };
  const float factors[] = { 1e-6f, 1e-20f, 1e-39f };
  const gint64 shape[] = { 8, 256 };
  const gint64 requested[] = { 32, -1 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (2853);
  float base[8 * 256];
  float scaled[8 * 256];
  float reconstructed[8 * 256];
  guint d;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (base); i++)
    base[i] = random_normal (rand);

  for (d = 0; d < G_N_ELEMENTS (dtypes); d++)
    {
      const QsDtype *dtype = lookup (dtypes[d]);
      guint k;

      for (k = 0; k < G_N_ELEMENTS (requested); k++)
        {
          QsGroupLayout layout;
          double base_nmse;
          guint f;

          qs_group_layout_init (&layout, shape, 2,
                                qs_resolve_group_size (dtype, QS_LAYER_LINEAR, 256, requested[k], FALSE));

          {
            g_autoptr (QsQuantizedLayer) layer = qs_quantize_layer (dtype, &layout, base);

            qs_dequantize_layer (layer, reconstructed);
            base_nmse = compute_nmse (base, reconstructed, G_N_ELEMENTS (base));
          }

          for (f = 0; f < G_N_ELEMENTS (factors); f++)
            {
              g_autoptr (QsQuantizedLayer) layer = NULL;
              double nmse;
              gsize n_scales = (gsize) (layout.rows * layout.n_groups);

              for (i = 0; i < G_N_ELEMENTS (base); i++)
                scaled[i] = base[i] * factors[f];

              layer = qs_quantize_layer (dtype, &layout, scaled);
              g_assert_cmpuint (layer->n_degenerate_groups, ==, 0);
              for (i = 0; i < n_scales; i++)
                {
                  g_assert_cmpfloat (layer->scales[i], !=, 0.0f);
                  g_assert_true (isfinite (layer->scales[i]));
                }

              qs_dequantize_layer (layer, reconstructed);
              nmse = compute_nmse (scaled, reconstructed, G_N_ELEMENTS (base));
              g_test_message ("%s group %" G_GINT64_FORMAT " factor %g: nmse %g (unscaled %g)",
                              dtype->name, layout.group_size, factors[f], nmse, base_nmse);
              g_assert_true (isfinite (nmse));
              g_assert_cmpfloat (nmse, <=, 1.25 * base_nmse + 1e-6);
            }
        }
    }
}

/* Signed zero in, codes offset by the minimum, and NaN never reaches a
 * code. */
static void
test_quant_codes_and_values (void)
{
  const QsDtype *int8 = lookup ("int8");
  const QsDtype *uint4 = lookup ("uint4");
  const QsDtype *int3 = lookup ("int3");
  const float x[] = { -1.0f, -0.5f, 0.0f, 0.5f, 1.0f };
  guint32 codes[5];
  float scale;
  float zero_point;

  g_assert_cmpfloat (qs_code_to_value (int8, 0), ==, -128.0f);
  g_assert_cmpfloat (qs_code_to_value (int8, 255), ==, 127.0f);
  g_assert_cmpfloat (qs_code_to_value (int3, 7), ==, 3.0f);
  g_assert_cmpfloat (qs_code_to_value (uint4, 15), ==, 15.0f);
  g_assert_cmpfloat (qs_code_to_value (lookup ("float8_e4m3fn"), 0x7E), ==, 448.0f);
  g_assert_cmpfloat (qs_code_to_value (lookup ("float8_e4m3fn_sdnq"), 0x7F), ==, 480.0f);
  g_assert_cmpfloat (qs_code_to_value (lookup ("float16"), 0x3C00), ==, 1.0f);
  g_assert_cmpfloat (qs_code_to_value (lookup ("bfloat16"), 0xC000), ==, -2.0f);
  g_assert_cmpfloat (qs_code_to_value (lookup ("float4_e2m1fn"), 0x7), ==, 6.0f);
  g_assert_cmpfloat (qs_code_to_value (lookup ("float4_e2m1fn"), 0x9), ==, -0.5f);
  g_assert_cmpfloat (qs_code_to_value (lookup ("float4_e2m1fn"), 0x8), ==, 0.0f);
  g_assert_false (signbit (qs_code_to_value (lookup ("float4_e2m1fn"), 0x8)));

  /* int3: scale = 1/3, q = −3, −1.5 → −2 (half to even), 0, 2, 3. */
  g_assert_false (qs_quantize_group (int3, x, 5, codes, &scale, &zero_point));
  g_assert_cmpfloat (scale, ==, 1.0f / 3.0f);
  g_assert_cmpfloat (zero_point, ==, 0.0f);
  g_assert_cmpuint (codes[0], ==, 1);
  g_assert_cmpuint (codes[1], ==, 2);
  g_assert_cmpuint (codes[2], ==, 4);
  g_assert_cmpuint (codes[3], ==, 6);
  g_assert_cmpuint (codes[4], ==, 7);

  /* A scale can be computed without codes. */
  g_assert_false (qs_quantize_group (uint4, x, 5, NULL, &scale, &zero_point));
  g_assert_cmpfloat (scale, ==, 2.0f / 15.0f);
  g_assert_cmpfloat (zero_point, ==, -1.0f);
}

/* Rounding is half to even, as torch.round is, not half away from zero. */
static void
test_quant_round_half_even (void)
{
  const QsDtype *int4 = lookup ("int4");
  const float x[] = { 7.0f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.5f, -6.5f, 4.5f };
  const guint32 expected[] = { 15, 8, 10, 10, 8, 6, 6, 12, 2, 12 };
  guint32 codes[G_N_ELEMENTS (x)];
  float out[G_N_ELEMENTS (x)];
  float scale;
  float zero_point;
  guint i;

  g_assert_false (qs_quantize_group (int4, x, G_N_ELEMENTS (x), codes, &scale, &zero_point));
  g_assert_cmpfloat (scale, ==, 1.0f);
  qs_fake_quantize_group (int4, x, G_N_ELEMENTS (x), out);
  for (i = 0; i < G_N_ELEMENTS (x); i++)
    {
      g_assert_cmpuint (codes[i], ==, expected[i]);
      g_assert_cmpfloat (out[i], ==, (float) expected[i] - 8.0f);
    }
}

/* SDNQ's uint9..uint15 produce the code 2^N for the top of each group. */
static void
test_quant_uint_top_code (void)
{
  const float x[] = { -1.0f, 0.0f, 1.0f };
  const char *const names[] = { "uint9", "uint12", "uint15" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const QsDtype *dtype = lookup (names[i]);
      guint32 codes[3];
      float scale;
      float zero_point;

      g_assert_false (qs_quantize_group (dtype, x, 3, codes, &scale, &zero_point));
      g_assert_cmpuint (codes[0], ==, 0);
      g_assert_cmpuint (codes[2], ==, 1u << dtype->num_bits);
      g_assert_true (qs_dtype_needs_pack_round_trip (dtype));
    }

  g_assert_false (qs_dtype_needs_pack_round_trip (lookup ("uint8")));
  g_assert_false (qs_dtype_needs_pack_round_trip (lookup ("uint16")));
  g_assert_false (qs_dtype_needs_pack_round_trip (lookup ("int12")));
  g_assert_false (qs_dtype_needs_pack_round_trip (lookup ("float12_e4m8fnu")));
}

/* The fp32 clamp bound of int32 is 2^31, which PyTorch on x86-64 stores as
 * −2^31: the top of each group flips sign. */
static void
test_quant_int32_top_value (void)
{
  const QsDtype *int32 = lookup ("int32");
  const float x[] = { 1.0f, 0.5f, -1.0f, 0.0f };
  guint32 codes[4];
  float out[4];
  float scale;
  float zero_point;

  g_assert_false (qs_quantize_group (int32, x, 4, codes, &scale, &zero_point));
  g_assert_cmpfloat (scale, ==, ldexpf (1.0f, -31));
  g_assert_cmpuint (codes[0], ==, 0);
  g_assert_cmpuint (codes[1], ==, 0xC0000000u);
  g_assert_cmpuint (codes[2], ==, 0);
  g_assert_cmpuint (codes[3], ==, 0x80000000u);

  qs_fake_quantize_group (int32, x, 4, out);
  g_assert_cmpfloat (out[0], ==, -1.0f);
  g_assert_cmpfloat (out[1], ==, 0.5f);
  g_assert_cmpfloat (out[2], ==, -1.0f);
  g_assert_cmpfloat (out[3], ==, 0.0f);
}

/* Fills @x with one of several test distributions. */
static void
fill_group (GRand *rand,
            guint  pattern,
            float *x,
            gsize  n)
{
  gsize i;

  for (i = 0; i < n; i++)
    {
      switch (pattern)
        {
        case 0:
          x[i] = random_normal (rand);
          break;
        case 1:
          x[i] = (float) g_rand_double_range (rand, 0.1, 2.0);
          break;
        case 2:
          x[i] = i % 3 == 0 ? 0.0f : random_normal (rand) * 1e-3f;
          break;
        case 3:
          x[i] = 0.25f;
          break;
        case 4:
          x[i] = 0.0f;
          break;
        case 5:
          x[i] = random_normal (rand) * 1e-39f;
          break;
        case 6:
          x[i] = random_normal (rand) * 1e30f;
          break;
        case 7:
          /* Halves and quarters hit rounding ties for many dtypes. */
          x[i] = (float) g_rand_int_range (rand, -32, 33) / 4.0f;
          break;
        case 8:
          x[i] = i == 0 ? -0.0f : (float) g_rand_int_range (rand, -8, 8) * 0.125f;
          break;
        case 9:
          x[i] = i == n / 2 ? INFINITY : random_normal (rand);
          break;
        case 10:
        default:
          x[i] = i == n - 1 ? NAN : random_normal (rand);
          break;
        }
    }
}

static gboolean
same_float (float a,
            float b)
{
  return bits_of (a) == bits_of (b) || (isnan (a) && isnan (b));
}

static void
test_quant_fake_matches_quantize (void)
{
  const gsize sizes[] = { 1, 3, 8, 13, 32, 100 };
  const guint n_patterns = 11;
  g_autoptr (GRand) rand = g_rand_new_with_seed (1531);
  const QsDtype *const *all;
  guint n;
  guint d;

  all = qs_dtype_get_all (&n);
  for (d = 0; d < n; d++)
    {
      const QsDtype *dtype = all[d];
      guint s;

      for (s = 0; s < G_N_ELEMENTS (sizes); s++)
        {
          guint pattern;

          for (pattern = 0; pattern < n_patterns; pattern++)
            {
              gsize size = sizes[s];
              float x[100];
              float fake[100];
              float in_place[100];
              float dequantized[100];
              guint32 codes[100];
              float scale;
              float zero_point;
              gboolean degenerate;
              gsize i;

              fill_group (rand, pattern, x, size);
              degenerate = qs_quantize_group (dtype, x, size, codes, &scale, &zero_point);
              qs_dequantize_group (dtype, codes, size, scale, zero_point, dequantized);

              g_assert_cmpint (qs_fake_quantize_group (dtype, x, size, fake), ==, degenerate);
              memcpy (in_place, x, size * sizeof (float));
              qs_fake_quantize_group (dtype, in_place, size, in_place);

              for (i = 0; i < size; i++)
                {
                  if (!same_float (fake[i], dequantized[i]) || !same_float (in_place[i], fake[i]))
                    g_error ("%s, size %" G_GSIZE_FORMAT ", pattern %u, element %" G_GSIZE_FORMAT
                             ": x = %.9g, code %u, dequantized %.9g, fake %.9g, in place %.9g",
                             dtype->name, size, pattern, i, x[i], codes[i], dequantized[i],
                             fake[i], in_place[i]);
                }

              /* Only groups with NaN or Inf inputs may give non-finite output. */
              if (pattern < 9)
                for (i = 0; i < size; i++)
                  g_assert_true (isfinite (fake[i]));
            }
        }
    }
}

/* An independent model of SDNQ's custom floats, in double precision:
 * standard decoding, and an encoder that searches the sorted list of every
 * representable magnitude instead of manipulating bits. */
typedef struct
{
  const QsDtype *dtype;
  guint32        n_magnitudes;
  double        *magnitudes;
  double         min_normal;
} FloatModel;

static double
model_decode_magnitude (const QsDtype *dtype,
                        guint32        code)
{
  double bias = pow (2.0, dtype->exponent - 1.0) - 1.0;
  guint32 exponent = code >> dtype->mantissa;
  double fraction = (double) (code & ((1u << dtype->mantissa) - 1)) / pow (2.0, dtype->mantissa);

  if (exponent == 0)
    return fraction * pow (2.0, 1.0 - bias);

  return (1.0 + fraction) * pow (2.0, (double) exponent - bias);
}

static void
float_model_init (FloatModel    *model,
                  const QsDtype *dtype)
{
  guint32 code;

  model->dtype = dtype;
  model->n_magnitudes = 1u << (dtype->exponent + dtype->mantissa);
  model->magnitudes = g_new (double, model->n_magnitudes);
  model->min_normal = pow (2.0, 2.0 - pow (2.0, dtype->exponent - 1.0));

  for (code = 0; code < model->n_magnitudes; code++)
    {
      model->magnitudes[code] = model_decode_magnitude (dtype, code);
      if (code > 0)
        g_assert_cmpfloat (model->magnitudes[code], >, model->magnitudes[code - 1]);
    }
  g_assert_cmpfloat (model->magnitudes[model->n_magnitudes - 1], ==, dtype->max);
  g_assert_cmpfloat (model->magnitudes[1u << dtype->mantissa], ==, model->min_normal);
}

static void
float_model_clear (FloatModel *model)
{
  g_clear_pointer (&model->magnitudes, g_free);
}

/* The index of the largest magnitude ≤ value. */
static guint32
float_model_floor (const FloatModel *model,
                   double            value)
{
  guint32 lo = 0;
  guint32 hi = model->n_magnitudes - 1;

  while (lo < hi)
    {
      guint32 mid = lo + (hi - lo + 1) / 2;

      if (model->magnitudes[mid] <= value)
        lo = mid;
      else
        hi = mid - 1;
    }

  return lo;
}

static guint32
float_model_encode (const FloatModel *model,
                    float             value)
{
  const QsDtype *dtype = model->dtype;
  double magnitude = fabs ((double) value);
  gboolean negative = signbit (value) && !dtype->is_unsigned;
  guint32 code;

  /* Guard rounding: add one unit of the fp32 binade cut to M mantissa bits
   * when the dropped part is at least 9/16 of that unit. */
  if (magnitude > 0.0)
    {
      int exponent = MAX (ilogb (magnitude), -126);
      double unit = ldexp (1.0, exponent - (int) dtype->mantissa);
      double scaled = magnitude / unit;

      if (scaled - floor (scaled) >= 9.0 / 16.0)
        magnitude += unit;
    }

  code = float_model_floor (model, magnitude);
  if (magnitude < model->min_normal)
    {
      /* Nearest representable value, with ties to the even code. */
      double below = model->magnitudes[code];

      if (code + 1 < model->n_magnitudes)
        {
          double above = model->magnitudes[code + 1];

          if (above - magnitude < magnitude - below
              || (above - magnitude == magnitude - below && (code & 1) == 1))
            code++;
        }

      /* SDNQ's quirk with one exponent bit: rounding up to the smallest
       * normal loses the exponent and gives zero. */
      if (dtype->exponent == 1 && model->magnitudes[code] == model->min_normal)
        code = 0;
    }

  if (negative)
    code |= 1u << (dtype->num_bits - 1);

  return code;
}

static void
check_custom_float_value (const FloatModel *model,
                          float             value)
{
  const QsDtype *dtype = model->dtype;
  guint32 code;
  guint32 expected;

  if (value > dtype->max || value < dtype->min || isnan (value))
    return;

  code = qs_encode_custom_float (dtype, value);
  expected = float_model_encode (model, value);
  if (code != expected)
    g_error ("%s: %.9g (0x%08x) encodes to 0x%x, expected 0x%x", dtype->name, value,
             bits_of (value), code, expected);
}

static void
check_custom_float_format (const QsDtype *dtype,
                           GRand         *rand)
{
  FloatModel model;
  guint32 stride;
  guint32 code;
  guint i;

  float_model_init (&model, dtype);

  /* Decoding matches the model for every code, and a negative zero is +0. */
  for (code = 0; code < (1u << dtype->num_bits); code++)
    {
      guint32 magnitude_code = code & (model.n_magnitudes - 1);
      gboolean negative = !dtype->is_unsigned && (code >> (dtype->num_bits - 1));
      double expected = model.magnitudes[magnitude_code] * (negative ? -1.0 : 1.0);
      float decoded = qs_decode_custom_float (dtype, code);

      g_assert_cmpfloat ((double) decoded, ==, expected);
      if (decoded == 0.0f)
        g_assert_false (signbit (decoded));
    }

  /* Every representable value, and points between neighbours: below, at
   * and above the half, at 9/16 and just below it, in both signs. */
  stride = MAX (1u, model.n_magnitudes / 4096);
  for (code = 0; code + 1 < model.n_magnitudes; code += stride)
    {
      double lo = model.magnitudes[code];
      double gap = model.magnitudes[code + 1] - lo;
      const double fractions[] = { 0.0, 0.25, 0.5, 0.5625, 0.75, 0.99 };
      guint f;

      for (f = 0; f < G_N_ELEMENTS (fractions); f++)
        {
          float value = (float) (lo + fractions[f] * gap);

          check_custom_float_value (&model, value);
          check_custom_float_value (&model, nextafterf (value, INFINITY));
          check_custom_float_value (&model, nextafterf (value, 0.0f));
          check_custom_float_value (&model, -value);
        }
    }
  check_custom_float_value (&model, (float) dtype->max);
  check_custom_float_value (&model, (float) dtype->min);

  /* Random values, uniform and log-uniform down to fp32 subnormals. */
  for (i = 0; i < 3000; i++)
    {
      float uniform = (float) g_rand_double_range (rand, dtype->min, dtype->max);
      float log_uniform = (float) (dtype->max * pow (2.0, -g_rand_double_range (rand, 0.0, 160.0)));

      check_custom_float_value (&model, uniform);
      check_custom_float_value (&model, log_uniform);
      check_custom_float_value (&model, -log_uniform);
    }

  float_model_clear (&model);
}

static void
test_quant_custom_float_encoding (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7728);
  const QsDtype *const *all;
  guint n_checked = 0;
  guint n;
  guint d;

  all = qs_dtype_get_all (&n);
  for (d = 0; d < n; d++)
    {
      if (all[d]->kind != QS_DTYPE_KIND_CUSTOM_FLOAT)
        continue;

      g_test_message ("%s", all[d]->name);
      check_custom_float_format (all[d], rand);
      n_checked++;
    }
  g_assert_cmpuint (n_checked, ==, 135);
}

/* Hand-worked cases of SDNQ's float rounding in float4_e2m1fn, whose
 * magnitudes are 0, 0.5, 1, 1.5, 2, 3, 4 and 6. */
static void
test_quant_custom_float_rounding_rules (void)
{
  const QsDtype *fp4 = lookup ("float4_e2m1fn");
  const QsDtype *fp8 = lookup ("float8_e4m3fn_sdnq");

  /* Normal range: an exact half rounds down and 9/16 of a unit rounds up. */
  g_assert_cmpfloat (qs_decode_custom_float (fp4, qs_encode_custom_float (fp4, 2.5f)), ==, 2.0f);
  g_assert_cmpfloat (qs_decode_custom_float (fp4, qs_encode_custom_float (fp4, 2.5625f)), ==, 3.0f);
  g_assert_cmpfloat (qs_decode_custom_float (fp4, qs_encode_custom_float (fp4, 2.56f)), ==, 2.0f);
  g_assert_cmpfloat (qs_decode_custom_float (fp4, qs_encode_custom_float (fp4, 1.25f)), ==, 1.0f);
  g_assert_cmpfloat (qs_decode_custom_float (fp4, qs_encode_custom_float (fp4, 5.0f)), ==, 4.0f);
  g_assert_cmpfloat (qs_decode_custom_float (fp4, qs_encode_custom_float (fp4, 5.2f)), ==, 6.0f);
  g_assert_cmpfloat (qs_decode_custom_float (fp4, qs_encode_custom_float (fp4, -5.2f)), ==, -6.0f);

  /* Subnormal range (below 1): half to even on steps of 0.5. */
  g_assert_cmpfloat (qs_decode_custom_float (fp4, qs_encode_custom_float (fp4, 0.25f)), ==, 0.0f);
  g_assert_cmpfloat (qs_decode_custom_float (fp4, qs_encode_custom_float (fp4, 0.26f)), ==, 0.5f);
  g_assert_cmpfloat (qs_decode_custom_float (fp4, qs_encode_custom_float (fp4, 0.75f)), ==, 1.0f);
  g_assert_cmphex (qs_encode_custom_float (fp4, 0.0f), ==, 0x0);
  g_assert_cmphex (qs_encode_custom_float (fp4, -0.1f), ==, 0x8);
  g_assert_cmphex (qs_encode_custom_float (fp4, 6.0f), ==, 0x7);
  g_assert_cmphex (qs_encode_custom_float (fp4, -6.0f), ==, 0xF);

  /* SDNQ's pack_float on PyTorch 1.13 gives these codes. With one exponent
   * bit, values that round up to the smallest normal (2) become 0. */
  {
    const float x[] = { 1.25f, 1.5f, 1.75f, 2.0f, -1.25f, 0.9f, 1.0f, 1.01f };
    const guint32 e1m0[] = { 0, 0, 1, 1, 2, 0, 0, 0 };
    const guint32 e1m1[] = { 1, 0, 0, 2, 5, 1, 1, 1 };
    guint i;

    for (i = 0; i < G_N_ELEMENTS (x); i++)
      {
        g_assert_cmphex (qs_encode_custom_float (lookup ("float2_e1m0fn"), x[i]), ==, e1m0[i]);
        g_assert_cmphex (qs_encode_custom_float (lookup ("float3_e1m1fn"), x[i]), ==, e1m1[i]);
      }
    g_assert_cmphex (qs_encode_custom_float (lookup ("float1_e1m0fnu"), 1.25f), ==, 0);
    g_assert_cmphex (qs_encode_custom_float (lookup ("float1_e1m0fnu"), 1.75f), ==, 1);
    g_assert_cmphex (qs_encode_custom_float (fp4, 0.8f), ==, 2);
    g_assert_cmphex (qs_encode_custom_float (fp4, 0.9f), ==, 2);
  }

  /* The _sdnq e4m3 has no NaN: 0x7F is 480. */
  g_assert_cmphex (qs_encode_custom_float (fp8, 480.0f), ==, 0x7F);
  g_assert_cmphex (qs_encode_custom_float (fp8, 448.0f), ==, 0x7E);
  g_assert_cmphex (qs_encode_custom_float (fp8, -1.0f), ==, 0xB8);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qs/engine/quant/reference-vectors", test_quant_reference_vectors);
  g_test_add_func ("/qs/engine/quant/uint8-dequantized-values", test_quant_uint8_dequantized_values);
  g_test_add_func ("/qs/engine/quant/group-size-resolution", test_quant_group_size_resolution);
  g_test_add_func ("/qs/engine/quant/group-size-exhaustive", test_quant_group_size_exhaustive);
  g_test_add_func ("/qs/engine/quant/group-layout", test_quant_group_layout);
  g_test_add_func ("/qs/engine/quant/conv-layer-groups", test_quant_conv_layer_groups);
  g_test_add_func ("/qs/engine/quant/tensor-wise-layer", test_quant_tensor_wise_layer);
  g_test_add_func ("/qs/engine/quant/zero-rows-every-dtype", test_quant_zero_rows_every_dtype);
  g_test_add_func ("/qs/engine/quant/constant-group", test_quant_constant_group);
  g_test_add_func ("/qs/engine/quant/tiny-magnitudes", test_quant_tiny_magnitudes);
  g_test_add_func ("/qs/engine/quant/codes-and-values", test_quant_codes_and_values);
  g_test_add_func ("/qs/engine/quant/round-half-even", test_quant_round_half_even);
  g_test_add_func ("/qs/engine/quant/uint-top-code", test_quant_uint_top_code);
  g_test_add_func ("/qs/engine/quant/int32-top-value", test_quant_int32_top_value);
  g_test_add_func ("/qs/engine/quant/fake-matches-quantize", test_quant_fake_matches_quantize);
  g_test_add_func ("/qs/engine/quant/custom-float-encoding", test_quant_custom_float_encoding);
  g_test_add_func ("/qs/engine/quant/custom-float-rounding-rules", test_quant_custom_float_rounding_rules);

  return g_test_run ();
}
