#!/usr/bin/python3
"""Write a synthetic diffusion-transformer checkpoint (BF16 safetensors) for benchmarks.

The tensors have the names and shapes of a diffusers DiT block with adaLN-style
modulation: per block the attention projections (to_q, to_k, to_v, to_out.0:
H×H), the feed-forward pair (ff.net.0.proj F×H, ff.net.2 H×F) and the
modulation linear (norm1.linear 6H×H), with their biases, the per-head q/k
RMSNorm weights and a LayerNorm. The defaults (H = 3840, F = 10240, two blocks,
906 MB) match the widths of current 6–12 B parameter diffusion transformers.

Every weight matrix is Student-t noise with 4 degrees of freedom scaled to a
standard deviation of about 0.02 (heavy tails), plus a rank-16 component, with a
few input columns multiplied by 20 (outlier channels). The values depend only on
--seed and the tensor name. The file is written row block by row block, so memory
stays near one block of rows, not one tensor.

Usage: make_dit_checkpoint.py OUT.safetensors [--blocks 2] [--hidden 3840] [--ffn 10240]
"""

import argparse
import json
import os
import struct
import sys
import zlib

import numpy as np

ROWS_PER_CHUNK = 1024
T_DEGREES_OF_FREEDOM = 4
WEIGHT_STD = 0.02
LOW_RANK = 16
LOW_RANK_STD = 0.01
OUTLIER_COLUMNS = 4
OUTLIER_FACTOR = 20.0


def tensor_specs(blocks, hidden, ffn, head_dim):
    """Return {name: (kind, shape)}; kind is "matrix", "bias" or "norm"."""
    specs = {}
    for block in range(blocks):
        prefix = f"transformer_blocks.{block}."
        linears = {
            "attn.to_q": (hidden, hidden),
            "attn.to_k": (hidden, hidden),
            "attn.to_v": (hidden, hidden),
            "attn.to_out.0": (hidden, hidden),
            "ff.net.0.proj": (ffn, hidden),
            "ff.net.2": (hidden, ffn),
            "norm1.linear": (6 * hidden, hidden),
        }
        for name, shape in linears.items():
            specs[prefix + name + ".weight"] = ("matrix", shape)
            specs[prefix + name + ".bias"] = ("bias", (shape[0],))
        specs[prefix + "attn.norm_q.weight"] = ("norm", (head_dim,))
        specs[prefix + "attn.norm_k.weight"] = ("norm", (head_dim,))
        specs[prefix + "norm2.weight"] = ("norm", (hidden,))
        specs[prefix + "norm2.bias"] = ("bias", (hidden,))
    return specs


def to_bf16_bits(values):
    """Round float32 @values to bf16 (nearest, ties to even); return little-endian uint16."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounded = bits + (np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1)))
    return (rounded >> np.uint32(16)).astype("<u2")


def tensor_rng(seed, name):
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def write_matrix(handle, rng, shape):
    """Generate one weight matrix row block by row block and write it as BF16."""
    rows, cols = shape
    up = rng.standard_normal((rows, LOW_RANK), dtype=np.float32)
    down = rng.standard_normal((LOW_RANK, cols), dtype=np.float32)
    down *= np.float32(LOW_RANK_STD / np.sqrt(LOW_RANK))
    outliers = rng.choice(cols, size=OUTLIER_COLUMNS, replace=False)
    t_scale = WEIGHT_STD / np.sqrt(T_DEGREES_OF_FREEDOM / (T_DEGREES_OF_FREEDOM - 2))
    for start in range(0, rows, ROWS_PER_CHUNK):
        stop = min(start + ROWS_PER_CHUNK, rows)
        block = (rng.standard_t(T_DEGREES_OF_FREEDOM, size=(stop - start, cols)) * t_scale).astype(np.float32)
        block += up[start:stop] @ down
        block[:, outliers] *= np.float32(OUTLIER_FACTOR)
        handle.write(to_bf16_bits(block).tobytes())


def write_vector(handle, rng, kind, shape):
    values = rng.standard_normal(shape, dtype=np.float32)
    if kind == "norm":
        values = 1.0 + 0.05 * values
    else:
        values *= np.float32(0.01)
    handle.write(to_bf16_bits(values).tobytes())


def build_header(specs):
    """Return the padded safetensors header for BF16 tensors @specs, in name order."""
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name in sorted(specs):
        shape = specs[name][1]
        size = 2 * int(np.prod(shape))
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    encoded = json.dumps(header, separators=(",", ":")).encode()
    # The safetensors writer pads the header with spaces to a multiple of 8 bytes.
    encoded += b" " * (-len(encoded) % 8)
    return encoded, offset


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write a synthetic BF16 DiT checkpoint.")
    parser.add_argument("output", help="safetensors file to write")
    parser.add_argument("--blocks", type=int, default=2, help="transformer blocks (default: 2)")
    parser.add_argument("--hidden", type=int, default=3840, help="hidden size H (default: 3840)")
    parser.add_argument("--ffn", type=int, default=10240, help="feed-forward size F (default: 10240)")
    parser.add_argument("--head-dim", type=int, default=128, help="attention head size (default: 128)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    args = parser.parse_args(argv)
    if min(args.blocks, args.hidden, args.ffn, args.head_dim) < 1:
        parser.error("--blocks, --hidden, --ffn and --head-dim must be positive")
    if args.hidden < OUTLIER_COLUMNS or args.ffn < OUTLIER_COLUMNS:
        parser.error(f"--hidden and --ffn must be at least {OUTLIER_COLUMNS}")

    specs = tensor_specs(args.blocks, args.hidden, args.ffn, args.head_dim)
    header, data_size = build_header(specs)
    partial = args.output + ".partial"
    with open(partial, "wb") as handle:
        handle.write(struct.pack("<Q", len(header)))
        handle.write(header)
        for name in sorted(specs):
            kind, shape = specs[name]
            rng = tensor_rng(args.seed, name)
            if kind == "matrix":
                write_matrix(handle, rng, shape)
            else:
                write_vector(handle, rng, kind, shape)
        written = handle.tell()
    expected = 8 + len(header) + data_size
    if written != expected:
        os.unlink(partial)
        print(f"make_dit_checkpoint: wrote {written} bytes, expected {expected}", file=sys.stderr)
        return 1
    os.replace(partial, args.output)
    print(f"wrote {args.output}: {len(specs)} tensors, {written / 1e6:.1f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
