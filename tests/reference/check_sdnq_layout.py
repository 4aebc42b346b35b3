#!/usr/bin/python3
"""Check a model written by `quantscope-cli quantize` with an independent reader.

For every integer-quantized layer of every SDNQ component, this script derives
the stored layout from the saved quantization_config alone (SDNQ 0.2.x rules:
group size, quantized-matmul gate and transposition, packing), checks the
stored dtypes and shapes against it, unpacks the weight with numpy, and
dequantizes it with torch.addcmul as SDNQ's dequantizer does. The codes, the
scales, the zero points and the reconstruction must equal, bit for bit, what
sdnq_reference.quantize_dequantize computes from the source weight.

Only what the reference models is checked: integer dtypes of 1 to 8 bits,
no SVD branch, and a config whose per-layer dicts name layers by their full
parameter names. Other layers are reported as skipped. Needs numpy and torch.

Usage: check_sdnq_layout.py SOURCE_MODEL QUANTIZED_MODEL
"""

import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdnq_reference as ref  # noqa: E402


def unpack_codes(raw, bits, count):
    """Unpack SDNQ's packed unsigned codes (pack.py layouts) into a flat array."""
    if bits == 8:
        return raw.astype(np.int64)
    if bits == 1:
        words = raw.astype(np.int64)
        return np.stack([(words >> k) & 1 for k in range(8)], axis=1).reshape(-1)[:count]
    if bits == 2:
        return np.stack([(raw >> (2 * k)) & 3 for k in range(4)], axis=1).reshape(-1).astype(np.int64)
    if bits == 4:
        return np.stack([raw & 15, raw >> 4], axis=1).reshape(-1).astype(np.int64)

    b = raw.astype(np.int64).reshape(-1, {3: 3, 5: 5, 6: 3, 7: 7}[bits])
    if bits == 3:
        e = [b[:, 0] & 7, b[:, 1] & 7, b[:, 2] & 7,
             (b[:, 0] >> 3) & 7, (b[:, 1] >> 3) & 7, (b[:, 2] >> 3) & 7,
             ((b[:, 0] >> 6) & 3) | (((b[:, 2] >> 6) & 1) << 2),
             ((b[:, 1] >> 6) & 3) | (((b[:, 2] >> 7) & 1) << 2)]
    elif bits == 5:
        e = [b[:, j] & 31 for j in range(5)]
        e += [((b[:, 0] >> 5) & 7) | (((b[:, 3] >> 5) & 3) << 3),
              ((b[:, 1] >> 5) & 7) | (((b[:, 4] >> 5) & 3) << 3),
              ((b[:, 2] >> 5) & 7) | (((b[:, 4] >> 7) & 1) << 3) | (((b[:, 3] >> 7) & 1) << 4)]
    elif bits == 6:
        e = [b[:, j] & 63 for j in range(3)]
        e += [((b[:, 0] >> 6) << 4) | ((b[:, 1] >> 6) << 2) | (b[:, 2] >> 6)]
    else:
        e = [b[:, j] & 127 for j in range(7)]
        e += [sum(((b[:, j] >> 7) & 1) << (6 - j) for j in range(7))]
    return np.stack(e, axis=1).reshape(-1)


def pattern_matches(pattern, name):
    """SDNQ's check_param_name_in for the forms Quantscope writes."""
    import re
    if pattern.startswith("."):
        return name.startswith(pattern[1:])
    if name == pattern or pattern in name.split("."):
        return True
    return "*" in pattern and re.match(pattern.replace(".*", "\\.*").replace("*", ".*"), name)


def layer_options(config, name):
    """The dtype, group size, SVD and matmul options of one layer."""
    options = {key: config[key] for key in ("weights_dtype", "group_size", "use_svd",
                                             "use_quantized_matmul", "use_quantized_matmul_conv")}
    for pattern, override in config.get("modules_quant_config", {}).items():
        if pattern_matches(pattern, name):
            options.update({k: v for k, v in override.items() if k in options})
            break
    for key, patterns in config.get("modules_dtype_dict", {}).items():
        if any(pattern_matches(p, name) for p in patterns):
            options["weights_dtype"] = key
            break
    return options


def derive(config, name, layer_class, shape):
    """Return the layout dict SDNQ derives for a layer, or None when unquantized."""
    if any(pattern_matches(p, name) for p in config["modules_to_not_convert"]):
        return None
    is_conv = layer_class.startswith("Conv")
    if (is_conv and not config["quant_conv"]) or (layer_class == "Embedding" and not config["quant_embedding"]):
        return None

    options = layer_options(config, name)
    fmt = ref.parse_format(options["weights_dtype"])
    bits = fmt.bits
    if bits > 8:
        raise ValueError(f"{fmt.name} is wider than the 8 bits this check unpacks")
    out_channels, channels = shape[0], shape[1]
    matmul_bits = 8
    re_quantize = bits > matmul_bits
    qmm = options["use_quantized_matmul_conv" if is_conv else "use_quantized_matmul"]
    qmm = qmm and layer_class != "Embedding" and out_channels >= 32 and channels >= 32 \
        and out_channels % 16 == 0 and channels % 16 == 0
    packed = bits not in (8, 16)
    flattened = is_conv and qmm and not re_quantize and not packed

    requested = options["group_size"]
    if requested == 0 and qmm and not re_quantize and bits >= 6:
        group = -1
    else:
        group = ref.resolve_group_size(requested, bits, layer_class, channels, False)
    groups = channels // group if group > 0 else 1
    if groups > 1:
        re_quantize, flattened = True, False
    transposed = qmm and not re_quantize and not packed and (len(shape) == 2 or flattened)

    numel = int(np.prod(shape))
    if flattened:
        quantized_shape = [out_channels, numel // out_channels]
    elif groups > 1:
        quantized_shape = [out_channels, groups, group] + list(shape[2:])
    else:
        quantized_shape = list(shape)
    scale_shape = list(quantized_shape)
    if group == -2:
        scale_shape = [1] * len(scale_shape)
    elif groups > 1:
        scale_shape[2] = 1
    else:
        scale_shape[1] = 1

    block, words = {1: (8, 1), 2: (4, 1), 3: (8, 3), 4: (2, 1), 5: (8, 5), 6: (4, 3),
                    7: (8, 7), 8: (1, 1)}[bits]
    if block > 1:
        weight_shape = [numel // block] + ([words] if words > 1 else [])
        weight_dtype = "I64" if bits == 1 else "U8"
    else:
        weight_shape = quantized_shape[::-1] if transposed else quantized_shape
        weight_dtype = "U8" if fmt.unsigned else "I8"
    if transposed:
        scale_shape = scale_shape[::-1]

    return {"fmt": fmt, "group": group, "flattened": flattened, "transposed": transposed,
            "quantized_shape": quantized_shape, "scale_shape": scale_shape,
            "weight_shape": weight_shape, "weight_dtype": weight_dtype,
            "use_svd": options["use_svd"], "layer_class": "Linear" if flattened else layer_class}


def read_raw(files, name):
    for handle in files:
        if name in handle.tensors:
            info = handle.tensors[name]
            begin, end = info["data_offsets"]
            with open(handle.path, "rb") as stream:
                stream.seek(handle.data_start + begin)
                return info, stream.read(end - begin)
    return None, None


def check_component(source_folder, output_folder):
    config_path = os.path.join(output_folder, "quantization_config.json")
    if not os.path.exists(config_path):
        return 0, 0
    with open(config_path) as handle:
        config = json.load(handle)
    if config.get("quant_method") != "sdnq":
        return 0, 0

    source_files = ref.weight_files_in_folder(source_folder)
    output_files = [ref.SafetensorsFile(p) for p in ref.weight_files_in_folder(output_folder)]
    checked = skipped = 0

    for name, layer_class, handle in ref.list_layers(source_files):
        original = torch.from_numpy(handle.read_float32(name).astype(np.float32))
        shape = list(original.shape)
        try:
            layout = derive(config, name, layer_class, shape)
        except ValueError:
            print(f"skipped {name}: dtype not modelled by the reference")
            skipped += 1
            continue
        weight_info, raw = read_raw(output_files, name)
        scale_info, _ = read_raw(output_files, name[:-len("weight")] + "scale")
        if layout is None:
            if scale_info is not None:
                raise AssertionError(f"{name}: stored quantized, but the config leaves it unquantized")
            continue
        if scale_info is None:
            # Left unquantized by the size checks; the config must list it.
            if name not in config["modules_to_not_convert"]:
                raise AssertionError(f"{name}: stored unquantized but not in modules_to_not_convert")
            continue
        if layout["use_svd"]:
            print(f"skipped {name}: SVD is not reproducible outside Quantscope")
            skipped += 1
            continue

        assert weight_info["dtype"] == layout["weight_dtype"], (name, weight_info["dtype"])
        assert weight_info["shape"] == layout["weight_shape"], (name, weight_info["shape"], layout)
        assert scale_info["shape"] == layout["scale_shape"], (name, scale_info["shape"], layout)
        assert scale_info["dtype"] == "F32", (name, scale_info["dtype"])

        fmt = layout["fmt"]
        numel = original.numel()
        source = original.reshape(shape[0], -1) if layout["flattened"] else original
        expected, codes, scale, zero_point = ref.quantize_dequantize(
            source, layout["layer_class"], fmt, layout["group"])

        stored = np.frombuffer(raw, dtype=np.int64 if fmt.bits == 1 else np.uint8)
        if fmt.bits == 8 and not fmt.unsigned:
            unpacked = stored.view(np.int8).astype(np.int64) - fmt.qmin
        else:
            unpacked = unpack_codes(stored, fmt.bits, numel)
        quantized = unpacked + fmt.qmin
        if layout["transposed"]:
            quantized = quantized.reshape(layout["weight_shape"]).T
        quantized = torch.from_numpy(np.ascontiguousarray(quantized).reshape(layout["quantized_shape"]))
        assert torch.equal(quantized.float(), codes.reshape(layout["quantized_shape"])), name

        stored_scale = torch.from_numpy(handle_scale(output_files, name, "scale"))
        assert torch.equal(stored_scale.reshape(-1), scale.reshape(-1)), name
        q = quantized.float().reshape(codes.shape)
        if fmt.unsigned:
            stored_zero = torch.from_numpy(handle_scale(output_files, name, "zero_point"))
            assert torch.equal(stored_zero.reshape(-1), zero_point.reshape(-1)), name
            dequantized = torch.addcmul(stored_zero.reshape(zero_point.shape), q,
                                        stored_scale.reshape(scale.shape))
        else:
            dequantized = q * stored_scale.reshape(scale.shape)
        assert torch.equal(dequantized.reshape(shape), expected.reshape(shape)), name
        checked += 1

    return checked, skipped


def handle_scale(files, name, suffix):
    info, raw = read_raw(files, name[:-len("weight")] + suffix)
    return ref.decode_to_float32(raw, info["dtype"]).copy()


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    source, output = argv[1], argv[2]
    folders = [("", "")]
    index = os.path.join(source, "model_index.json")
    if os.path.exists(index):
        with open(index) as handle:
            folders = [(k, k) for k, v in json.load(handle).items()
                       if isinstance(v, list) and os.path.isdir(os.path.join(output, k))]
    total = skipped = 0
    for source_part, output_part in folders:
        checked, skips = check_component(os.path.join(source, source_part),
                                         os.path.join(output, output_part))
        total += checked
        skipped += skips
    print(f"checked {total} layers, skipped {skipped}")
    return 0 if total > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
