#!/usr/bin/python3
"""Turn the outputs of one run-benchmark.sh run into a Markdown results table.

Reads the `/usr/bin/time -v` logs of the two timed runs, their CSVs, the
compare_csv.py output and the checkpoint header. Prints Markdown with the
machine, the checkpoint, one row per tool (wall time, peak RSS, layers/s and
weight GB/s), the speed ratio and the comparison verdict. Weight GB/s counts the
bytes of the layer weights as stored in the file (BF16 here), in 10^9 bytes.
"""

import argparse
import csv
import os
import platform
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import sdnq_reference  # noqa: E402


def parse_time_log(path):
    """Return {"wall_s", "max_rss_kb", "exit_status"} from a /usr/bin/time -v log, or None."""
    if not path or not os.path.exists(path):
        return None
    with open(path, errors="replace") as handle:
        text = handle.read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    status = re.search(r"Exit status: (\d+)", text)
    if not wall or not rss:
        return None
    seconds = 0.0
    for part in wall.group(1).split(":"):
        seconds = seconds * 60 + float(part)
    signalled = re.search(r"Command terminated by signal (\d+)", text)
    if status:
        exit_status = int(status.group(1))
    elif signalled:
        exit_status = 128 + int(signalled.group(1))
    else:
        exit_status = -1
    return {"wall_s": seconds, "max_rss_kb": int(rss.group(1)), "exit_status": exit_status}


def count_rows(path):
    if not path or not os.path.exists(path):
        return None
    with open(path, newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def checkpoint_layers(path):
    """Return (layer count, bytes of layer weights as stored, total params) of a safetensors file."""
    st = sdnq_reference.SafetensorsFile(path)
    layers = 0
    layer_bytes = 0
    params = 0
    for name, info in st.tensors.items():
        begin, end = info["data_offsets"]
        count = 1
        for dim in info["shape"]:
            count *= dim
        params += count
        if sdnq_reference.classify_layer(name, info["dtype"], info["shape"]):
            layers += 1
            layer_bytes += end - begin
    return layers, layer_bytes, params


def machine_line(threads):
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as handle:
            kb = int(handle.readline().split()[1])
            memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{cpu}, {os.cpu_count()} logical CPUs{memory}, {platform.system()} {platform.release()}; "
            f"{threads} threads; PyTorch {sdnq_reference.torch.__version__}, NumPy {sdnq_reference.np.__version__}")


def cli_version(path):
    try:
        result = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
        return result.stdout.strip().splitlines()[0] if result.stdout.strip() else None
    except (OSError, subprocess.SubprocessError):
        return None


def tool_row(label, timing, rows, layers, layer_bytes, threads, missing_note):
    if timing is None:
        return f"| {label} | {threads} | {missing_note} | | | | | |"
    wall = timing["wall_s"]
    status = "" if timing["exit_status"] == 0 else f" (exit {timing['exit_status']})"
    layers_per_s = layers / wall if wall > 0 else float("inf")
    gb_per_s = layer_bytes / 1e9 / wall if wall > 0 else float("inf")
    return (f"| {label} | {threads} | {wall:.1f}{status} | {timing['max_rss_kb'] / 1024:.0f} | "
            f"{layers} | {rows if rows is not None else '–'} | {layers_per_s:.3g} | {gb_per_s:.3g} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write the Markdown table of one benchmark run.")
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--cli", required=True, help="path of quantscope-cli")
    parser.add_argument("--cli-time")
    parser.add_argument("--cli-csv")
    parser.add_argument("--ref-time", required=True)
    parser.add_argument("--ref-csv", required=True)
    parser.add_argument("--compare", help="file holding compare_csv.py's output")
    parser.add_argument("--variant", default="full")
    args = parser.parse_args(argv)

    layers, layer_bytes, params = checkpoint_layers(args.checkpoint)
    cli_timing = parse_time_log(args.cli_time)
    ref_timing = parse_time_log(args.ref_time)
    version = cli_version(args.cli) if cli_timing else None

    lines = [
        f"## Benchmark run, {time.strftime('%Y-%m-%d %H:%M %Z')}",
        "",
        f"- Machine: {machine_line(args.threads)}",
        f"- Checkpoint: `{os.path.basename(args.checkpoint)}` ({args.variant} variant): "
        f"{params / 1e6:.1f} M parameters, {layers} layers, {layer_bytes / 1e6:.1f} MB of layer "
        f"weights (BF16)",
        "- Grid: the default one (uint4, uint6, uint8, int8 × {raw, SVD rank 32, 8 steps} × "
        "auto group size)",
    ]
    if version:
        lines.append(f"- quantscope-cli: {version}")
    lines += [
        "",
        "| tool | threads | wall s | peak RSS MiB | layers | CSV rows | layers/s | weight GB/s |",
        "|---|---|---|---|---|---|---|---|",
        tool_row("quantscope-cli analyze", cli_timing, count_rows(args.cli_csv), layers, layer_bytes,
                 args.threads, f"not run: `{args.cli}` not found"),
        tool_row("sdnq_reference.py (PyTorch)", ref_timing, count_rows(args.ref_csv), layers,
                 layer_bytes, args.threads, "failed"),
        "",
    ]
    if cli_timing and ref_timing and cli_timing["wall_s"] > 0:
        ratio = ref_timing["wall_s"] / cli_timing["wall_s"]
        lines.append(f"Speed ratio (reference wall time / quantscope-cli wall time): **{ratio:.2f}×**")
        lines.append("")
    if args.compare and os.path.exists(args.compare):
        with open(args.compare) as handle:
            verdict = handle.read().strip().splitlines()
        if verdict:
            lines.append(f"CSV comparison (`compare_csv.py`): `{verdict[0]}`")
            for extra in verdict[1:6]:
                lines.append(f"    {extra.strip()}")
    else:
        lines.append("CSV comparison: not run (no quantscope-cli CSV).")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
