#!/usr/bin/python3
"""PyTorch reference for Quantscope's per-layer quantization sensitivity analysis.

This re-implements, with plain torch ops, what the SDNQ fork's
scripts/analyze_quantization_sensitivity.py (CalamitousFelicitousness/sdnq)
measures. Every layer is quantized and dequantized once per weights dtype, per
SVD setting (raw, then each requested rank) and per requested group size. Each
reconstruction is compared with the original weight in fp32. The CSV has the
script's first 18 columns, so compare_csv.py can compare Quantscope's CSV with it
row by row.

Differences from the script, all deliberate so that the numbers are those
Quantscope is meant to produce:

- Weights are measured as stored (upcast to fp32) unless --load-dtype bf16 asks
  for the script's bf16 load.
- component is the pipeline subfolder (or the folder or file name), not
  "subfolder:ClassName", and raw rows have svd_rank 0.
- Layers come from the safetensors header, not from named_modules(): every
  floating-point "*.weight" tensor with 2 dims (Linear, or Embedding by name) or
  3 to 5 dims (Conv1d/2d/3d).

Quantization follows SDNQ's CPU rules: scales by true division, torch.round
(half to even), clamp, and torch.addcmul for the zero point. Needs only numpy and
torch; the safetensors files are read directly.
"""

import argparse
import csv
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

CSV_COLUMNS = [
    "component", "param_name", "layer_class", "shape", "numel",
    "weights_dtype", "use_svd", "svd_rank", "group_size", "requested_group_size",
    "nmse", "sqnr_db", "cosine_sim", "max_abs_err", "relative_l2",
    "kurtosis", "outlier_ratio", "dynamic_range_ratio",
]

DEFAULT_DTYPES = ["uint4", "uint6", "uint8", "int8"]

# Name parts that make a 2-D weight an Embedding rather than a Linear.
EMBEDDING_NAME_PARTS = {
    "embed_tokens", "wte", "wpe", "word_embeddings", "position_embeddings",
    "token_type_embeddings", "embeddings", "embedding", "shared", "tok_embeddings",
}

CONV_CLASSES = {3: "Conv1d", 4: "Conv2d", 5: "Conv3d"}

# Classes in model_index.json that carry no weights (the script's skip list).
NON_MODEL_CLASSES = {
    "FlowMatchEulerDiscreteScheduler", "EulerDiscreteScheduler",
    "DDIMScheduler", "PNDMScheduler", "DPMSolverMultistepScheduler",
    "LMSDiscreteScheduler", "UniPCMultistepScheduler",
    "Qwen2Tokenizer", "CLIPTokenizer", "T5Tokenizer",
    "T5TokenizerFast", "CLIPTokenizerFast", "LlamaTokenizer",
    "LlamaTokenizerFast", "PreTrainedTokenizerFast",
    "CLIPImageProcessor", "CLIPFeatureExtractor",
}

# Elements per packing block for SDNQ's packed integer widths: the packer views
# the flattened codes as [-1, block], so numel must be a multiple of it.
PACK_BLOCK = {1: 8, 2: 4, 3: 8, 4: 2, 5: 8, 6: 4, 7: 8,
              9: 16, 10: 8, 11: 16, 12: 4, 13: 16, 14: 8, 15: 16}

MODEL_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}


class QuantFormat:
    """An SDNQ integer weights dtype: its clamp range and packing."""

    def __init__(self, name, bits, unsigned):
        self.name = name
        self.bits = bits
        self.unsigned = unsigned
        if unsigned:
            self.qmin = 0
            self.qmax = (1 << bits) - 1
        else:
            self.qmin = -(1 << (bits - 1))
            self.qmax = (1 << (bits - 1)) - 1
        self.pack_block = PACK_BLOCK.get(bits, 0)


def parse_format(name):
    """Return the QuantFormat for an SDNQ dtype name, or raise ValueError.

    uint9 to uint15 are left out because SDNQ's table gives them a max of 2^N,
    which corrupts the packed codes in a way this reference does not model.
    Float weights dtypes (fp8 and SDNQ's packed floats) are not implemented.
    """
    aliases = {"int1": "uint1", "bool": "uint1"}
    key = aliases.get(name.lower(), name.lower())
    if key.startswith("uint"):
        unsigned, digits = True, key[4:]
    elif key.startswith("int"):
        unsigned, digits = False, key[3:]
    else:
        raise ValueError(f"weights dtype {name!r} is not supported by the reference "
                         "(integer dtypes only, e.g. uint4, int8)")
    if not digits.isdigit():
        raise ValueError(f"invalid weights dtype {name!r}")
    bits = int(digits)
    supported = (1 <= bits <= 8 or bits == 16) if unsigned else (2 <= bits <= 16)
    if not supported:
        raise ValueError(f"weights dtype {name!r} is not supported by the reference "
                         "(int2..int16, uint1..uint8 and uint16)")
    return QuantFormat(name, bits, unsigned)


# ---------------------------------------------------------------------------
# safetensors reading

def _f8_table(exponent_bits, mantissa_bits, finite_only):
    """Decode table for the 256 codes of an 8-bit float (e4m3fn or e5m2)."""
    bias = (1 << (exponent_bits - 1)) - 1
    table = np.zeros(256, dtype=np.float32)
    for code in range(256):
        sign = -1.0 if code & 0x80 else 1.0
        exponent = (code >> mantissa_bits) & ((1 << exponent_bits) - 1)
        mantissa = code & ((1 << mantissa_bits) - 1)
        if finite_only and exponent == (1 << exponent_bits) - 1 and mantissa == (1 << mantissa_bits) - 1:
            value = float("nan")
        elif not finite_only and exponent == (1 << exponent_bits) - 1:
            value = float("inf") if mantissa == 0 else float("nan")
        elif exponent == 0:
            value = mantissa / (1 << mantissa_bits) * 2.0 ** (1 - bias)
        else:
            value = (1 + mantissa / (1 << mantissa_bits)) * 2.0 ** (exponent - bias)
        table[code] = sign * value
    return table


FLOAT_DTYPES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1}


def decode_to_float32(raw, dtype):
    """Convert a little-endian byte buffer of a float dtype to a float32 array."""
    if dtype == "F32":
        return np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if dtype == "F64":
        return np.frombuffer(raw, dtype="<f8").astype(np.float32)
    if dtype == "F16":
        return np.frombuffer(raw, dtype="<f2").astype(np.float32)
    if dtype == "BF16":
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32)
    if dtype == "F8_E4M3":
        return _f8_table(4, 3, True)[np.frombuffer(raw, dtype=np.uint8)]
    if dtype == "F8_E5M2":
        return _f8_table(5, 2, False)[np.frombuffer(raw, dtype=np.uint8)]
    raise ValueError(f"dtype {dtype} is not a float dtype")


class SafetensorsFile:
    """The header of one safetensors file, with lazy access to its tensors."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as handle:
            prefix = handle.read(8)
            if len(prefix) != 8:
                raise ValueError(f"{path}: file too short for a safetensors header")
            (header_size,) = struct.unpack("<Q", prefix)
            if header_size > 100_000_000:
                raise ValueError(f"{path}: header size {header_size} is over the 100 MB limit "
                                 "(is this a Git LFS pointer or not a safetensors file?)")
            header = json.loads(handle.read(header_size))
        self.data_start = 8 + header_size
        self.metadata = header.pop("__metadata__", {})
        self.tensors = header

    def read_float32(self, name):
        """Read tensor @name of a float dtype as a float32 numpy array."""
        info = self.tensors[name]
        begin, end = info["data_offsets"]
        with open(self.path, "rb") as handle:
            handle.seek(self.data_start + begin)
            raw = handle.read(end - begin)
        if len(raw) != end - begin:
            raise ValueError(f"{self.path}: tensor {name} is truncated")
        return decode_to_float32(raw, info["dtype"]).reshape(info["shape"])


def classify_layer(name, dtype, shape):
    """Return the layer class the analysis gives tensor @name, or None if it is no layer."""
    if not name.endswith(".weight") or dtype not in FLOAT_DTYPES:
        return None
    if any(dim == 0 for dim in shape):
        return None
    if len(shape) == 2:
        if any(part in EMBEDDING_NAME_PARTS for part in name.split(".")):
            return "Embedding"
        return "Linear"
    return CONV_CLASSES.get(len(shape))


def weight_files_in_folder(folder):
    """Return the safetensors files of a model folder, shards in index order.

    A *.safetensors.index.json wins over single files; without one,
    model.safetensors and diffusion_pytorch_model.safetensors are used, and
    failing those every *.safetensors file in the folder (e.g. a LoRA file).
    """
    names = sorted(os.listdir(folder))
    for name in names:
        if name.endswith(".safetensors.index.json"):
            with open(os.path.join(folder, name)) as handle:
                weight_map = json.load(handle)["weight_map"]
            shards = []
            for shard in weight_map.values():
                if shard not in shards:
                    shards.append(shard)
            return [os.path.join(folder, shard) for shard in shards]
    for name in ("model.safetensors", "diffusion_pytorch_model.safetensors"):
        if name in names:
            return [os.path.join(folder, name)]
    return [os.path.join(folder, name) for name in names if name.endswith(".safetensors")]


def discover_components(model_path, selected):
    """Return [(component, [safetensors files])] for a pipeline, a folder or a file."""
    if os.path.isfile(model_path):
        stem = os.path.basename(model_path)
        if stem.endswith(".safetensors"):
            stem = stem[: -len(".safetensors")]
        return [(stem, [model_path])]
    if not os.path.isdir(model_path):
        raise FileNotFoundError(f"model path {model_path!r} not found")

    index_path = os.path.join(model_path, "model_index.json")
    if not os.path.exists(index_path):
        name = os.path.basename(os.path.normpath(model_path))
        return [(name, weight_files_in_folder(model_path))]

    with open(index_path) as handle:
        index = json.load(handle)
    requested_components = None
    if selected:
        requested_components = [entry.split(":", 1)[0] for entry in selected]
    components = []
    for key, value in index.items():
        if key.startswith("_") or not isinstance(value, list) or len(value) < 2:
            continue
        if value[1] is None or value[1] in NON_MODEL_CLASSES:
            continue
        if requested_components is not None and key not in requested_components:
            continue
        folder = os.path.join(model_path, key)
        if not os.path.isdir(folder):
            continue
        files = weight_files_in_folder(folder)
        if files:
            components.append((key, files))
    if requested_components is not None:
        found = [component[0] for component in components]
        missing = [name for name in requested_components if name not in found]
        if missing:
            raise ValueError(f"components not found in {model_path}: {', '.join(missing)} "
                         "(a component needs a subfolder with safetensors weights)")
    return components


def list_layers(files):
    """Return [(param_name, layer_class, SafetensorsFile)] in file and header order."""
    layers = []
    for path in files:
        st = SafetensorsFile(path)
        for name, info in st.tensors.items():
            layer_class = classify_layer(name, info["dtype"], info["shape"])
            if layer_class is not None:
                layers.append((name, layer_class, st))
    return layers


# ---------------------------------------------------------------------------
# SDNQ quantization (CPU semantics)

def resolve_group_size(requested, bits, layer_class, channel_size, svd_active):
    """Resolve a requested group size the way sdnq_quantize_layer_weight does.

    0 means auto: 2^(1 + bits + [Linear] + [SVD succeeded]). A size that does not
    divide the channel count steps the group count down until it divides, so the
    groups get larger. With no divisor, or with one group, the layer is row-wise
    (-1). The values -2 (one scale per tensor) and -1 pass through.
    """
    group_size = requested
    if group_size == 0:
        group_size = 2 ** (1 + bits + (layer_class == "Linear") + int(svd_active))
    if group_size <= 0:
        return group_size
    if group_size >= channel_size:
        return -1
    num_groups = channel_size // group_size
    while num_groups * group_size != channel_size:
        num_groups -= 1
        if num_groups <= 1:
            return -1
        group_size = channel_size // num_groups
    return group_size if num_groups > 1 else -1


def quantize_dequantize(weight, layer_class, fmt, group_size):
    """Quantize fp32 @weight with SDNQ's rules and dequantize it back to fp32.

    Returns (reconstruction, codes, scale, zero_point); codes, scale and zero
    point keep the grouped shape. Linear and Embedding group along the last
    axis. Conv groups along input channels as [O, ng, gs, k...] reduced over
    axis 2, so each kernel position keeps its own scale. Row-wise conv reduces
    over axis 1 only.
    """
    shape = weight.shape
    is_conv = layer_class.startswith("Conv")
    if group_size == -2:
        grouped = weight
        axes = list(range(weight.ndim))
    elif is_conv:
        if group_size > 0:
            num_groups = shape[1] // group_size
            grouped = weight.reshape(shape[0], num_groups, group_size, *shape[2:])
            axes = [2]
        else:
            grouped = weight
            axes = [1]
    else:
        if group_size > 0:
            num_groups = shape[-1] // group_size
            grouped = weight.reshape(*shape[:-1], num_groups, group_size)
        else:
            grouped = weight
        axes = [grouped.ndim - 1]

    if fmt.unsigned:
        zero_point = torch.amin(grouped, dim=axes, keepdim=True)
        # A tensor divided by a Python scalar is a true IEEE division on CPU.
        scale = torch.amax(grouped, dim=axes, keepdim=True).sub_(zero_point).div_(fmt.qmax - fmt.qmin)
        codes = torch.sub(grouped, zero_point).div_(scale)
    else:
        zero_point = None
        scale = torch.amax(grouped.abs(), dim=axes, keepdim=True).div_(fmt.qmax)
        codes = torch.div(grouped, scale)
    codes.round_()
    codes.clamp_(fmt.qmin, fmt.qmax)
    # A constant group has scale 0, so its codes are 0/0 = NaN. SDNQ's cast to an
    # integer dtype turns them into 0 on CPU, which is done explicitly here.
    codes = torch.nan_to_num(codes, nan=0.0)

    if zero_point is not None:
        dequantized = torch.addcmul(zero_point, codes, scale)
    else:
        dequantized = codes * scale
    return dequantized.reshape(shape), codes, scale, zero_point


def svd_lowrank_factors(weight, rank, steps, model_dtype):
    """Return (up, down, product) of SDNQ's low-rank branch, or None if the SVD fails.

    The factors are torch.svd_lowrank's U·diag(S) and Vᵀ of the weight flattened
    to [O, I·k...], rounded to the model dtype. The product up @ down is formed
    in fp32 from the rounded factors and rounded once to the model dtype, which
    is what a bf16 GEMM with fp32 accumulation returns, up to summation order.
    """
    matrix = weight.reshape(weight.shape[0], -1)
    # Current PyTorch (torch/_lowrank.py in 2.x) returns min(rank, O, I·k)
    # components when the rank exceeds a dimension, while torch 1.13 raises an
    # AssertionError there, which SDNQ would catch and so drop SVD for the layer.
    # Asking for min(rank, O, I·k) reproduces the current behaviour: both then
    # span the whole smaller dimension, so the decomposition is exact up to
    # rounding.
    effective_rank = min(rank, *matrix.shape)
    try:
        u, s, v = torch.svd_lowrank(matrix, q=effective_rank, niter=steps)
    except (RuntimeError, AssertionError, ValueError):
        # SDNQ catches any exception here and drops SVD for the layer.
        return None
    up = torch.mul(u, s.unsqueeze(0)).to(model_dtype)
    down = v.t().contiguous().to(model_dtype)
    product = torch.mm(up.float(), down.float()).to(model_dtype)
    return up, down, product


# ---------------------------------------------------------------------------
# Metrics, as compute_metrics and compute_weight_stats in the analysis script

def compute_metrics(original, reconstructed):
    """Return the script's error metrics for fp32 tensors @original and @reconstructed."""
    orig = original.float()
    recon = reconstructed.float()
    error = orig - recon

    mse = F.mse_loss(orig, recon)
    variance = orig.std().square()
    nmse = (mse / variance).item() if variance.item() > 0 else float("inf")

    if nmse > 0 and not math.isinf(nmse):
        sqnr_db = -10.0 * math.log10(nmse)
    else:
        # The script's quirk: a NaN nmse also ends up here and gives +inf.
        sqnr_db = float("-inf") if nmse == float("inf") else float("inf")

    cosine = F.cosine_similarity(orig.flatten().unsqueeze(0), recon.flatten().unsqueeze(0)).item()
    max_abs_err = error.abs().max().item()
    # The script calls norm(2), but torch 1.13's fp32 norm on CPU accumulates
    # in float without cascade summation. On 14 M normal values it was off by
    # 6e-4 (relative), while torch.sum of the squares stayed within 1e-7.
    orig_norm = torch.sum(orig * orig).sqrt().item()
    error_norm = torch.sum(error * error).sqrt().item()
    relative_l2 = (error_norm / orig_norm) if orig_norm > 0 else float("inf")
    return {
        "nmse": nmse,
        "sqnr_db": sqnr_db,
        "cosine_sim": cosine,
        "max_abs_err": max_abs_err,
        "relative_l2": relative_l2,
    }


FAILED_METRICS = {
    "nmse": float("inf"),
    "sqnr_db": float("-inf"),
    "cosine_sim": 0.0,
    "max_abs_err": float("inf"),
    "relative_l2": float("inf"),
}


def compute_weight_stats(weight):
    """Return kurtosis, outlier ratio and dynamic range of fp32 @weight."""
    w = weight.float()
    centered = w - w.mean()
    var = centered.var()
    if var.item() > 0:
        kurtosis = (centered.pow(4).mean() / var.square()).item()
    else:
        kurtosis = float("inf")
    std = var.sqrt()
    if std.item() > 0:
        outlier_ratio = (centered.abs() > 3 * std).float().mean().item()
    else:
        outlier_ratio = 0.0
    abs_w = w.abs()
    median = abs_w.median().item()
    dynamic_range_ratio = abs_w.max().item() / median if median > 0 else float("inf")
    return {
        "kurtosis": kurtosis,
        "outlier_ratio": outlier_ratio,
        "dynamic_range_ratio": dynamic_range_ratio,
    }


# ---------------------------------------------------------------------------
# The analysis loop

def analyze_config(original, layer_class, fmt, requested_group, use_svd, rank, args, model_dtype):
    """Quantize one layer in one configuration; return (metrics, resolved group size).

    Raises ValueError when the format cannot hold the layer (packing block).
    """
    shape = original.shape
    channel_size = shape[1] if layer_class.startswith("Conv") else shape[-1]

    residual = original
    factors = None
    if use_svd:
        factors = svd_lowrank_factors(original, rank, args.svd_steps, model_dtype)
        if factors is not None:
            residual = original.reshape(shape[0], -1).sub(factors[2].float()).reshape(shape)

    group_size = resolve_group_size(requested_group, fmt.bits, layer_class, channel_size,
                                    factors is not None)
    if fmt.pack_block and original.numel() % fmt.pack_block != 0:
        raise ValueError(f"{fmt.name} packs {fmt.pack_block} values per block, "
                         f"but the layer has {original.numel()} values")

    dequantized, _, _, _ = quantize_dequantize(residual, layer_class, fmt, group_size)
    if factors is None:
        reconstructed = dequantized
    elif layer_class.startswith("Conv"):
        reconstructed = dequantized + factors[2].float().reshape(shape)
    else:
        # Linear and Embedding add in the model dtype: deq.to(up.dtype) + up @ down.
        summed = dequantized.to(model_dtype).float() + factors[2].float()
        reconstructed = summed.to(model_dtype).float()
    return compute_metrics(original, reconstructed), group_size


def analyze_layer(component, param_name, layer_class, original, formats, args, model_dtype):
    """Return the CSV rows of one layer, in the script's loop order."""
    shape = tuple(original.shape)
    stats = compute_weight_stats(original)
    svd_configs = []
    if not args.no_raw:
        svd_configs.append((False, 0))
    if not args.no_svd:
        svd_configs.extend((True, rank) for rank in args.svd_rank)

    rows = []
    for fmt in formats:
        for use_svd, rank in svd_configs:
            for requested in args.group_size:
                try:
                    metrics, group_size = analyze_config(original, layer_class, fmt, requested,
                                                         use_svd, rank, args, model_dtype)
                except ValueError as error:
                    if not args.quiet:
                        print(f"  failed: {param_name} {fmt.name} svd={use_svd} rank={rank} "
                              f"group={requested}: {error}", file=sys.stderr)
                    metrics, group_size = dict(FAILED_METRICS), -1
                rows.append({
                    "component": component,
                    "param_name": param_name,
                    "layer_class": layer_class,
                    "shape": str(shape),
                    "numel": original.numel(),
                    "weights_dtype": fmt.name,
                    "use_svd": use_svd,
                    "svd_rank": rank,
                    "group_size": group_size,
                    "requested_group_size": requested,
                    **metrics,
                    **stats,
                })
    return rows


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="PyTorch reference of the SDNQ quantization sensitivity analysis "
                    "(writes the same CSV as `quantscope-cli analyze`).")

    parser.add_argument("model_path",
                        help="a diffusers pipeline folder (model_index.json), a model folder, "
                             "or a single .safetensors file")
    parser.add_argument("--output", required=True, help="CSV file to write")

    parser.add_argument("--dtypes", nargs="+", default=DEFAULT_DTYPES,
                        help="SDNQ weights dtypes to test (default: %(default)s)")
    parser.add_argument("--group-size", type=int, nargs="+", default=[0],
                        help="requested group sizes; 0 = SDNQ's auto size, -1 = row-wise, "
                             "-2 = one scale per tensor (default: 0)")
    parser.add_argument("--svd-rank", type=int, nargs="+", default=[32],
                        help="SVD ranks to test (default: 32)")
    parser.add_argument("--svd-steps", type=int, default=8,
                        help="power iterations of torch.svd_lowrank (default: 8)")
    parser.add_argument("--no-svd", action="store_true", help="skip the SVD rows")
    parser.add_argument("--no-raw", action="store_true", help="skip the rows without SVD")

    parser.add_argument("--load-dtype", choices=["stored", "bf16"], default="stored",
                        help="measure weights as stored (upcast to fp32) or rounded to bf16 "
                             "first, as the script's bf16 load does (default: stored)")
    parser.add_argument("--model-dtype", choices=sorted(MODEL_DTYPES), default="bf16",
                        help="dtype of the SVD factors and of the Linear reconstruction "
                             "(default: bf16)")

    parser.add_argument("--components", nargs="+", default=None,
                        help="pipeline subfolders to analyze (\"subfolder\" or "
                             "\"subfolder:ClassName\"; default: all with weights)")
    parser.add_argument("--seed", type=int, default=0,
                        help="torch.manual_seed for the SVD's random start (default: 0)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="torch.set_num_threads (default: all cores)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    args = parser.parse_args(argv)

    if args.no_raw and args.no_svd:
        parser.error("--no-raw and --no-svd together leave nothing to test")
    if args.svd_steps < 0 or any(rank < 1 for rank in args.svd_rank):
        parser.error("--svd-rank must be at least 1 and --svd-steps at least 0")
    if any(size < -2 for size in args.group_size):
        parser.error("--group-size values must be -2, -1, 0 or positive")
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        formats = [parse_format(name) for name in args.dtypes]
        components = discover_components(args.model_path, args.components)
    except (ValueError, FileNotFoundError) as error:
        print(f"sdnq_reference: {error}", file=sys.stderr)
        return 2

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model_dtype = MODEL_DTYPES[args.model_dtype]
    started = time.monotonic()

    rows = []
    with torch.no_grad():
        for component, files in components:
            layers = list_layers(files)
            for index, (param_name, layer_class, st) in enumerate(layers, 1):
                layer_started = time.monotonic()
                original = torch.from_numpy(np.ascontiguousarray(st.read_float32(param_name)))
                if args.load_dtype == "bf16":
                    original = original.to(torch.bfloat16).float()
                rows.extend(analyze_layer(component, param_name, layer_class, original,
                                          formats, args, model_dtype))
                if not args.quiet:
                    print(f"[{component} {index}/{len(layers)}] {param_name} {tuple(original.shape)} "
                          f"{time.monotonic() - layer_started:.2f} s", file=sys.stderr)

    with open(args.output, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    if not args.quiet:
        print(f"wrote {len(rows)} rows to {args.output} in {time.monotonic() - started:.1f} s",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
