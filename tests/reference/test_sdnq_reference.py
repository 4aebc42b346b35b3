#!/usr/bin/python3
"""Checks of sdnq_reference.py against values produced by SDNQ's own functions.

The expected bytes, scales and zero points are the reference test vectors that
SDNQ's quantizer (Disty0/sdnq, CPU, torch 1.13) returns for the 2×32 matrix
W[i][j] = (((37i + 11j) mod 61) − 30) / 64. The packers below follow SDNQ's
packed_int layouts for the widths used here.

Run: /usr/bin/python3 tests/reference/test_sdnq_reference.py
"""

import csv
import json
import math
import os
import struct
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdnq_reference as ref  # noqa: E402


def vector_matrix():
    rows = [[(((37 * i + 11 * j) % 61) - 30) / 64 for j in range(32)] for i in range(2)]
    return torch.tensor(rows, dtype=torch.float32)


def pack_codes(codes, bits):
    """Pack unsigned integer codes (flattened row-major) as SDNQ's packer does."""
    e = [int(c) for c in codes]
    out = []
    if bits == 8:
        return bytes(c & 0xFF for c in e)
    if bits == 4:
        for k in range(0, len(e), 2):
            out.append(e[k] | e[k + 1] << 4)
    elif bits == 6:
        for k in range(0, len(e), 4):
            b = e[k:k + 4]
            out += [b[0] | ((b[3] >> 4) & 3) << 6,
                    b[1] | ((b[3] >> 2) & 3) << 6,
                    b[2] | (b[3] & 3) << 6]
    elif bits == 3:
        for k in range(0, len(e), 8):
            b = e[k:k + 8]
            out += [b[0] | b[3] << 3 | (b[6] & 3) << 6,
                    b[1] | b[4] << 3 | (b[7] & 3) << 6,
                    b[2] | b[5] << 3 | ((b[6] >> 2) & 1) << 6 | ((b[7] >> 2) & 1) << 7]
    else:
        raise ValueError(bits)
    return bytes(out)


def f32(value):
    """Round a Python float to the nearest float32, as SDNQ's table values are."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


class VectorTests(unittest.TestCase):
    def quantize(self, dtype, group_size):
        fmt = ref.parse_format(dtype)
        deq, codes, scale, zero_point = ref.quantize_dequantize(vector_matrix(), "Linear", fmt, group_size)
        stored = (codes - fmt.qmin).to(torch.int64).flatten().tolist()
        return fmt, deq, stored, scale.flatten().tolist(), (zero_point.flatten().tolist()
                                                            if zero_point is not None else None)

    def test_uint4_group16(self):
        fmt, _, stored, scale, zero_point = self.quantize("uint4", 16)
        self.assertEqual(pack_codes(stored, 4).hex(),
                         "3086eb41a7fc52b80e63c92f85da3096c92f85da3096fc41b80e63c92f85da30")
        self.assertEqual(scale, [0.0625, f32(0.0583333336), f32(0.0583333336), f32(0.0583333336)])
        self.assertEqual(zero_point, [-0.46875, -0.421875, -0.421875, -0.453125])

    def test_int4_group16(self):
        _, _, stored, scale, zero_point = self.quantize("int4", 16)
        self.assertEqual(pack_codes(stored, 4).hex(),
                         "4196eb52a7fc63b82e74ca3f86eb4197ca3f86eb4197fc53b81d74c92f85da41")
        self.assertEqual(scale, [f32(0.0669642836)] + [f32(0.0647321418)] * 3)
        self.assertIsNone(zero_point)

    def test_int8_rowwise(self):
        _, _, stored, scale, _ = self.quantize("int8", -1)
        signed = bytes((c - 128) & 0xFF for c in stored)
        self.assertEqual(signed.hex(),
                         "81b0de0d3b6a96c5f322507fabda08376692c0ef1e4c7ba7d60433618ebceb19"
                         "1f4f7fa4d40435658abaea1a4a7ba0d000306085b6e61646769bcbfc2c5c81b1")
        self.assertEqual(scale, [f32(0.00369094498), f32(0.00356791331)])

    def test_uint8_rowwise(self):
        _, deq, stored, scale, zero_point = self.quantize("uint8", -1)
        self.assertEqual(pack_codes(stored, 8).hex(),
                         "002f5e8cbbea154473a2d0ff2a5988b7e611406e9dccfb265584b2e10d3c6a99"
                         "9ecfff235484b4e509396a9acafb1f4f80b0e004356595c6f61a4b7babdc0030")
        self.assertEqual(scale, [f32(0.0036764706), f32(0.00355392159)])
        self.assertEqual(zero_point, [-0.46875, -0.453125])
        # The zero point is applied with a fused multiply-add, so the two values
        # are not mirror images.
        self.assertEqual(deq[0, 5].item(), f32(0.391544133))
        self.assertEqual(deq[0, 6].item(), f32(-0.391544104))

    def test_uint3_group16(self):
        _, _, stored, scale, zero_point = self.quantize("uint3", 16)
        self.assertEqual(pack_codes(stored, 3).hex(),
                         "60a9333b4cd6de6072f2048d4c96e760b13b0495de276932")
        self.assertEqual(scale, [f32(0.133928567)] + [0.125] * 3)
        self.assertEqual(zero_point, [-0.46875, -0.421875, -0.421875, -0.453125])

    def test_int6_rowwise(self):
        _, _, stored, scale, _ = self.quantize("int6", -1)
        self.assertEqual(pack_codes(stored, 6).hex(),
                         "810cd86e3a86dde8f48bd76279c51027b3bed6a12c844f9b27b3bfd5a16d834f9b"
                         "727e08202cb8ce1a657dc7d32bf641")
        self.assertEqual(scale, [f32(0.0151209673), f32(0.0146169355)])


class HandComputedTests(unittest.TestCase):
    def test_uint8_rowwise_known_matrix(self):
        # Row 0 spans [-1, 1.55] and row 1 is constant 0.25.
        weight = torch.tensor([[-1.0, 0.0, 0.5, 1.55], [0.25, 0.25, 0.25, 0.25]])
        deq, codes, scale, zero_point = ref.quantize_dequantize(weight, "Linear", ref.parse_format("uint8"), -1)
        self.assertEqual(scale[0, 0].item(), f32(f32(2.55) / 255.0))
        self.assertEqual(zero_point[0, 0].item(), -1.0)
        self.assertEqual(codes[0].tolist(), [0.0, 100.0, 150.0, 255.0])
        # The constant row has scale 0: codes become 0 and decode to the zero point.
        self.assertEqual(scale[1, 0].item(), 0.0)
        self.assertEqual(codes[1].tolist(), [0.0] * 4)
        self.assertEqual(deq[1].tolist(), [0.25] * 4)
        metrics = ref.compute_metrics(weight, deq)
        expected_mse = float(((weight.double() - deq.double()) ** 2).mean())
        expected_var = float(weight.double().var())
        self.assertAlmostEqual(metrics["nmse"] / (expected_mse / expected_var), 1.0, places=5)

    def test_round_half_even(self):
        # 0.5 / 1 and 2.5 / 1 are exact ties: torch.round gives 0 and 2.
        weight = torch.tensor([[0.5, 2.5, -7.0, 7.0]])
        _, codes, scale, _ = ref.quantize_dequantize(weight, "Linear", ref.parse_format("int4"), -1)
        self.assertEqual(scale.item(), 1.0)
        self.assertEqual(codes.flatten().tolist(), [0.0, 2.0, -7.0, 7.0])

    def test_conv_groups_keep_kernel_positions(self):
        weight = torch.randn(4, 64, 3, 3, generator=torch.Generator().manual_seed(3))
        _, codes, scale, _ = ref.quantize_dequantize(weight, "Conv2d", ref.parse_format("int8"), 32)
        self.assertEqual(tuple(scale.shape), (4, 2, 1, 3, 3))
        expected = weight.reshape(4, 2, 32, 3, 3).abs().amax(dim=2, keepdim=True) / 127
        self.assertTrue(torch.equal(scale, expected))
        _, _, rowwise_scale, _ = ref.quantize_dequantize(weight, "Conv2d", ref.parse_format("int8"), -1)
        self.assertEqual(tuple(rowwise_scale.shape), (4, 1, 3, 3))


class GroupSizeTests(unittest.TestCase):
    def test_auto_sizes(self):
        cases = [(8, "Linear", 1024), (7, "Linear", 512), (6, "Linear", 256), (4, "Linear", 64),
                 (1, "Linear", 8), (4, "Conv2d", 32), (4, "Embedding", 32)]
        for bits, layer_class, expected in cases:
            with self.subTest(bits=bits, layer_class=layer_class):
                self.assertEqual(ref.resolve_group_size(0, bits, layer_class, 1 << 20, False), expected)
        self.assertEqual(ref.resolve_group_size(0, 4, "Linear", 1 << 20, True), 128)

    def test_fallback_makes_groups_larger(self):
        self.assertEqual(ref.resolve_group_size(64, 4, "Linear", 3000, False), 75)
        self.assertEqual(ref.resolve_group_size(256, 4, "Linear", 640, False), -1)
        self.assertEqual(ref.resolve_group_size(32, 4, "Linear", 97, False), -1)
        self.assertEqual(ref.resolve_group_size(128, 4, "Linear", 128, False), -1)
        self.assertEqual(ref.resolve_group_size(64, 4, "Linear", 3360, False), 70)


def write_safetensors(path, tensors):
    """Write {name: float32 numpy array} as an F32 safetensors file."""
    header = {}
    offset = 0
    for name in sorted(tensors):
        size = tensors[name].nbytes
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(encoded)))
        handle.write(encoded)
        for name in sorted(tensors):
            handle.write(tensors[name].astype("<f4").tobytes())


class AnalysisTests(unittest.TestCase):
    def run_reference(self, tensors, extra):
        with tempfile.TemporaryDirectory() as folder:
            model = os.path.join(folder, "tiny.safetensors")
            output = os.path.join(folder, "out.csv")
            write_safetensors(model, tensors)
            status = ref.main([model, "--output", output, "--quiet", "--threads", "1"] + extra)
            self.assertEqual(status, 0)
            with open(output, newline="") as handle:
                return list(csv.DictReader(handle))

    def test_packing_block_failure(self):
        rng = np.random.default_rng(5)
        rows = self.run_reference({"odd.weight": rng.standard_normal((497, 33)).astype(np.float32)},
                                  ["--dtypes", "uint4", "int8", "--no-svd"])
        by_dtype = {row["weights_dtype"]: row for row in rows}
        failed = by_dtype["uint4"]
        self.assertEqual(failed["component"], "tiny")
        self.assertEqual(failed["nmse"], "inf")
        self.assertEqual(failed["sqnr_db"], "-inf")
        self.assertEqual(failed["cosine_sim"], "0.0")
        self.assertEqual(failed["max_abs_err"], "inf")
        self.assertEqual(failed["relative_l2"], "inf")
        self.assertEqual(failed["group_size"], "-1")
        self.assertTrue(math.isfinite(float(failed["kurtosis"])))
        self.assertLess(float(by_dtype["int8"]["nmse"]), 1e-3)

    def test_layer_classes_and_rows(self):
        rng = np.random.default_rng(6)
        tensors = {
            "model.embed_tokens.weight": rng.standard_normal((64, 32)).astype(np.float32),
            "blocks.0.proj.weight": rng.standard_normal((48, 64)).astype(np.float32),
            "blocks.0.proj.bias": rng.standard_normal(48).astype(np.float32),
            "conv.weight": rng.standard_normal((8, 16, 3, 3)).astype(np.float32),
        }
        rows = self.run_reference(tensors, ["--dtypes", "int8", "--svd-rank", "4"])
        classes = {(row["param_name"], row["use_svd"], row["svd_rank"]): row["layer_class"] for row in rows}
        self.assertEqual(len(rows), 6)
        self.assertEqual(classes[("model.embed_tokens.weight", "False", "0")], "Embedding")
        self.assertEqual(classes[("blocks.0.proj.weight", "True", "4")], "Linear")
        self.assertEqual(classes[("conv.weight", "False", "0")], "Conv2d")
        shapes = {row["param_name"]: row["shape"] for row in rows}
        self.assertEqual(shapes["conv.weight"], "(8, 16, 3, 3)")


if __name__ == "__main__":
    unittest.main()
