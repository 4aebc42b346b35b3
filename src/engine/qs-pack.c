/* qs-pack.c: SDNQ's bit packing of quantized codes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The layouts follow SDNQ's packed_int/pack.py and unpack.py term by term,
 * including which fields are masked. That matters for uint9 to uint15, whose
 * top code 2^N does not fit N bits. The unmasked low field of a word spills
 * that extra bit into a neighbour's field, and masked fields drop it. An
 * unpack therefore gives exactly the codes that SDNQ's own unpacker returns.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include "qs-error.h"
#include "qs-float.h"
#include "qs-quant.h"

#define MAX_BLOCK 16

/* Packs one block of @width-bit codes @e into @w. Each formula mirrors the
 * matching pack_uintN, and the caller truncates words to 8 or 16 bits. */
static void
pack_block (guint          width,
            const guint32 *e,
            guint32       *w)
{
  guint j;

  switch (width)
    {
    case 1:
      w[0] = 0;
      for (j = 0; j < 8; j++)
        w[0] |= e[j] << j;
      break;

    case 2:
      w[0] = e[0] | e[1] << 2 | e[2] << 4 | e[3] << 6;
      break;

    case 3:
      w[0] = e[0] | e[3] << 3 | e[6] << 6;
      w[1] = e[1] | e[4] << 3 | e[7] << 6;
      w[2] = e[2] | e[5] << 3 | ((e[6] << 4) & 64) | ((e[7] << 5) & 128);
      break;

    case 4:
      w[0] = e[0] | e[1] << 4;
      break;

    case 5:
      for (j = 0; j < 3; j++)
        w[j] = e[j] | e[5 + j] << 5;
      w[3] = e[3] | ((e[5] << 2) & 96) | ((e[7] << 3) & 128);
      w[4] = e[4] | ((e[6] << 2) & 96) | ((e[7] << 4) & 128);
      break;

    case 6:
      for (j = 0; j < 3; j++)
        w[j] = e[j] | ((e[3] << (2 + 2 * j)) & 192);
      break;

    case 7:
      for (j = 0; j < 7; j++)
        w[j] = e[j] | ((e[7] << (j + 1)) & 128);
      break;

    case 9:
      for (j = 0; j < 8; j++)
        w[j] = e[j] | e[8 + j] << 9;
      w[8] = ((e[8] >> 7) & 3) | ((e[9] >> 5) & 12) | ((e[10] >> 3) & 48) | ((e[11] >> 1) & 192)
             | ((e[12] << 1) & 768) | ((e[13] << 3) & 3072) | ((e[14] << 5) & 12288)
             | ((e[15] << 7) & 49152);
      break;

    case 10:
      for (j = 0; j < 3; j++)
        w[j] = e[j] | e[5 + j] << 10;
      w[3] = e[3] | ((e[5] << 4) & 15360) | ((e[7] << 6) & 49152);
      w[4] = e[4] | ((e[6] << 4) & 15360) | ((e[7] << 8) & 49152);
      break;

    case 11:
      for (j = 0; j < 8; j++)
        w[j] = e[j] | e[8 + j] << 11;
      for (j = 0; j < 3; j++)
        w[8 + j] = ((e[8 + j] >> 5) & 63) | ((e[11 + j] << 1) & 4032);
      w[8] |= (e[14] << 7) & 0xF000;
      w[9] |= (e[15] << 7) & 0xF000;
      w[10] |= ((e[14] << 3) & 12288) | ((e[15] << 5) & 0xC000);
      break;

    case 12:
      for (j = 0; j < 3; j++)
        w[j] = e[j] | ((e[3] << (4 + 4 * j)) & 61440);
      break;

    case 13:
      for (j = 0; j < 12; j++)
        w[j] = e[j] | ((e[13 + j % 3] << (13 - 3 * (j / 3))) & 57344);
      w[12] = e[12] | ((e[13] << 1) & 8192) | ((e[14] << 2) & 16384) | ((e[15] << 3) & 32768);
      break;

    case 14:
      for (j = 0; j < 7; j++)
        w[j] = e[j] | ((e[7] << (2 + 2 * j)) & 49152);
      break;

    case 15:
      for (j = 0; j < 15; j++)
        w[j] = e[j] | ((e[15] << (j + 1)) & 32768);
      break;

    default:
      g_assert_not_reached ();
    }
}

/* Unpacks one block of @width-bit codes from the words @w, mirroring the
 * matching unpack_uintN. */
static void
unpack_block (guint          width,
              const guint32 *w,
              guint32       *e)
{
  guint j;

  switch (width)
    {
    case 1:
      for (j = 0; j < 8; j++)
        e[j] = (w[0] >> j) & 1;
      break;

    case 2:
      for (j = 0; j < 4; j++)
        e[j] = (w[0] >> (2 * j)) & 3;
      break;

    case 3:
      for (j = 0; j < 3; j++)
        {
          e[j] = w[j] & 7;
          e[3 + j] = (w[j] >> 3) & 7;
        }
      e[6] = ((w[0] >> 6) | ((w[2] >> 4) & 4)) & 7;
      e[7] = ((w[1] >> 6) | ((w[2] >> 5) & 4)) & 7;
      break;

    case 4:
      e[0] = w[0] & 15;
      e[1] = w[0] >> 4;
      break;

    case 5:
      for (j = 0; j < 5; j++)
        e[j] = w[j] & 31;
      e[5] = (w[0] >> 5) | ((w[3] >> 2) & 24);
      e[6] = (w[1] >> 5) | ((w[4] >> 2) & 24);
      e[7] = (w[2] >> 5) | ((w[3] >> 3) & 16) | ((w[4] >> 4) & 8);
      break;

    case 6:
      for (j = 0; j < 3; j++)
        e[j] = w[j] & 63;
      e[3] = ((w[0] >> 2) & 48) | ((w[1] >> 4) & 12) | (w[2] >> 6);
      break;

    case 7:
      e[7] = 0;
      for (j = 0; j < 7; j++)
        {
          e[j] = w[j] & 127;
          e[7] |= (w[j] >> (j + 1)) & (64u >> j);
        }
      break;

    case 9:
      for (j = 0; j < 8; j++)
        {
          /* The ninth word contains two high bits of each of e8..e15. */
          guint32 high = j < 4 ? w[8] << (7 - 2 * j) : w[8] >> (2 * j - 7);

          e[j] = w[j] & 511;
          e[8 + j] = ((w[j] >> 9) & 127) | (high & 384);
        }
      break;

    case 10:
      for (j = 0; j < 5; j++)
        e[j] = w[j] & 1023;
      e[5] = ((w[0] >> 10) & 63) | ((w[3] >> 4) & 960);
      e[6] = ((w[1] >> 10) & 63) | ((w[4] >> 4) & 960);
      e[7] = ((w[2] >> 10) & 63) | ((w[3] >> 6) & 768) | ((w[4] >> 8) & 192);
      break;

    case 11:
      {
        guint32 high[8];

        for (j = 0; j < 3; j++)
          {
            high[j] = w[8 + j] << 5;
            high[3 + j] = w[8 + j] >> 1;
          }
        high[6] = ((w[8] >> 7) & 480) | ((w[10] >> 3) & 1536);
        high[7] = ((w[9] >> 7) & 480) | ((w[10] >> 5) & 1536);

        for (j = 0; j < 8; j++)
          {
            e[j] = w[j] & 2047;
            e[8 + j] = ((w[j] >> 11) & 31) | (high[j] & 2016);
          }
      }
      break;

    case 12:
      for (j = 0; j < 3; j++)
        e[j] = w[j] & 4095;
      e[3] = ((w[0] >> 4) & 3840) | ((w[1] >> 8) & 240) | ((w[2] >> 12) & 15);
      break;

    case 13:
      for (j = 0; j < 13; j++)
        e[j] = w[j] & 8191;
      for (j = 0; j < 3; j++)
        e[13 + j] = ((w[j] >> 13) & 7) | ((w[3 + j] >> 10) & 56) | ((w[6 + j] >> 7) & 448)
                    | ((w[9 + j] >> 4) & 3584) | ((w[12] >> (1 + j)) & 4096);
      break;

    case 14:
      e[7] = 0;
      for (j = 0; j < 7; j++)
        {
          e[j] = w[j] & 16383;
          e[7] |= (w[j] >> (2 + 2 * j)) & (12288u >> (2 * j));
        }
      break;

    case 15:
      e[15] = 0;
      for (j = 0; j < 15; j++)
        {
          e[j] = w[j] & 32767;
          e[15] |= (w[j] >> (j + 1)) & (16384u >> j);
        }
      break;

    default:
      g_assert_not_reached ();
    }
}

static gboolean
check_block_multiple (const QsDtype  *dtype,
                      gsize           n_codes,
                      GError        **error)
{
  if (n_codes % dtype->pack_block == 0)
    return TRUE;

  g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_UNSUPPORTED,
               _("Cannot pack %llu %s codes: SDNQ packs %s in blocks of %u "
                 "elements, so the element count must be a multiple of %u"),
               (unsigned long long) n_codes, dtype->name, dtype->name, dtype->pack_block, dtype->pack_block);
  return FALSE;
}

gsize
qs_packed_size (const QsDtype *dtype,
                gsize          n_codes)
{
  g_return_val_if_fail (dtype != NULL, 0);

  if (n_codes % dtype->pack_block != 0)
    return 0;

  return n_codes / dtype->pack_block * dtype->pack_words * qs_storage_type_get_size (dtype->storage);
}

/* Signed integers that are stored unpacked (int8, int16, int32) store q
 * itself in two's complement. Every other dtype stores its code. */
static gboolean
stores_signed_value (const QsDtype *dtype)
{
  return dtype->kind == QS_DTYPE_KIND_INT && !dtype->is_unsigned && dtype->pack_block == 1;
}

static void
store_word (guint8  *out,
            guint    word_size,
            guint64  word)
{
  switch (word_size)
    {
    case 1:
      out[0] = (guint8) word;
      break;
    case 2:
      qs_store_u16_le (out, (guint16) word);
      break;
    case 4:
      qs_store_u32_le (out, (guint32) word);
      break;
    case 8:
    default:
      qs_store_u64_le (out, word);
      break;
    }
}

static guint64
load_word (const guint8 *in,
           guint         word_size)
{
  switch (word_size)
    {
    case 1:
      return in[0];
    case 2:
      return qs_load_u16_le (in);
    case 4:
      return qs_load_u32_le (in);
    case 8:
    default:
      return qs_load_u64_le (in);
    }
}

gboolean
qs_pack_codes (const QsDtype  *dtype,
               const guint32  *codes,
               gsize           n_codes,
               guint8         *out,
               GError        **error)
{
  guint word_size;
  gsize i;

  g_return_val_if_fail (dtype != NULL, FALSE);
  g_return_val_if_fail (codes != NULL || n_codes == 0, FALSE);
  g_return_val_if_fail (out != NULL || n_codes == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_block_multiple (dtype, n_codes, error))
    return FALSE;

  word_size = qs_storage_type_get_size (dtype->storage);

  if (dtype->pack_block == 1)
    {
      gint64 offset = stores_signed_value (dtype) ? (gint64) dtype->min : 0;

      for (i = 0; i < n_codes; i++)
        store_word (out + i * word_size, word_size, (guint64) ((gint64) codes[i] + offset));
      return TRUE;
    }

  for (i = 0; i < n_codes; i += dtype->pack_block)
    {
      guint32 words[MAX_BLOCK];
      guint j;

      pack_block (dtype->num_bits, codes + i, words);

      for (j = 0; j < dtype->pack_words; j++)
        {
          /* Words are 8 or 16 bits wide except uint1's I64, so bits that a
           * formula shifts past the word are dropped here, as PyTorch drops
           * them in its uint8 and int16 tensors. */
          guint64 word = word_size == 8 ? words[j] : words[j] & ((1u << (8 * word_size)) - 1u);

          store_word (out, word_size, word);
          out += word_size;
        }
    }

  return TRUE;
}

gboolean
qs_unpack_codes (const QsDtype  *dtype,
                 const guint8   *packed,
                 gsize           n_codes,
                 guint32        *codes,
                 GError        **error)
{
  guint word_size;
  gsize i;

  g_return_val_if_fail (dtype != NULL, FALSE);
  g_return_val_if_fail (packed != NULL || n_codes == 0, FALSE);
  g_return_val_if_fail (codes != NULL || n_codes == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_block_multiple (dtype, n_codes, error))
    return FALSE;

  word_size = qs_storage_type_get_size (dtype->storage);

  if (dtype->pack_block == 1)
    {
      gboolean is_signed = stores_signed_value (dtype);
      guint sign_shift = 64 - 8 * word_size;

      for (i = 0; i < n_codes; i++)
        {
          guint64 word = load_word (packed + i * word_size, word_size);

          if (is_signed)
            {
              /* Sign-extend the stored value, then offset it back to a code. */
              gint64 value = (gint64) (word << sign_shift) >> sign_shift;

              codes[i] = (guint32) (value - (gint64) dtype->min);
            }
          else
            {
              codes[i] = (guint32) word;
            }
        }
      return TRUE;
    }

  for (i = 0; i < n_codes; i += dtype->pack_block)
    {
      guint32 words[MAX_BLOCK];
      guint j;

      for (j = 0; j < dtype->pack_words; j++)
        {
          /* Only uint1's I64 words are wider than 16 bits, and only their
           * low byte carries codes. */
          words[j] = (guint32) (load_word (packed, word_size) & 0xFFFFu);
          packed += word_size;
        }

      unpack_block (dtype->num_bits, words, codes + i);
    }

  return TRUE;
}
