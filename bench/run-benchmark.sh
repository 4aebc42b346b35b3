#!/bin/bash
# Time `quantscope-cli analyze` and the PyTorch reference on the same synthetic
# BF16 diffusion-transformer checkpoint, compare their CSVs and write the
# results to bench/out/results.md. Builds nothing: build quantscope-cli first.
#
# Usage: bench/run-benchmark.sh [--threads N] [--quick] [--cli PATH]
#   --threads N  threads for both tools (default: all logical CPUs)
#   --quick      one smaller block (H 1536, F 4096) instead of two full ones
#   --cli PATH   quantscope-cli to time (default: _build/src/cli/quantscope-cli)
#
# Exits 1 when a run fails or the CSVs disagree; the table is written anyway.

set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=/usr/bin/python3
threads=$(nproc)
quick=0
cli=_build/src/cli/quantscope-cli

while [ $# -gt 0 ]; do
  case "$1" in
    --threads)
      [ $# -ge 2 ] || { echo "run-benchmark.sh: --threads needs a value" >&2; exit 2; }
      threads=$2
      shift 2
      ;;
    --quick)
      quick=1
      shift
      ;;
    --cli)
      [ $# -ge 2 ] || { echo "run-benchmark.sh: --cli needs a path" >&2; exit 2; }
      cli=$2
      shift 2
      ;;
    -h|--help)
      sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "run-benchmark.sh: unknown argument '$1' (see --help)" >&2
      exit 2
      ;;
  esac
done

case "$threads" in
  ''|*[!0-9]*|0)
    echo "run-benchmark.sh: --threads must be a positive integer, not '$threads'" >&2
    exit 2
    ;;
esac

cd "$repo_root"
case "$cli" in
  /*) ;;
  *) cli="$repo_root/$cli" ;;
esac
if [ ! -x /usr/bin/time ]; then
  echo "run-benchmark.sh: /usr/bin/time is missing (Debian package 'time')" >&2
  exit 2
fi

out=bench/out
mkdir -p "$out"
if [ "$quick" = 1 ]; then
  variant=quick
  checkpoint="$out/dit-quick.safetensors"
  shape_args=(--blocks 1 --hidden 1536 --ffn 4096)
else
  variant=full
  checkpoint="$out/dit-2x3840.safetensors"
  shape_args=(--blocks 2 --hidden 3840 --ffn 10240)
fi

if [ ! -f "$checkpoint" ]; then
  echo "== generating $checkpoint"
  "$python" bench/make_dit_checkpoint.py "$checkpoint" "${shape_args[@]}"
fi

cli_csv="$out/$variant-quantscope.csv"
cli_time="$out/$variant-quantscope.time"
ref_csv="$out/$variant-reference.csv"
ref_time="$out/$variant-reference.time"
compare_log="$out/$variant-compare.txt"
rm -f "$cli_csv" "$cli_time" "$ref_csv" "$ref_time" "$compare_log"
status=0

if [ -x "$cli" ]; then
  echo "== quantscope-cli analyze ($threads threads)"
  if ! /usr/bin/time -v -o "$cli_time" \
      "$cli" analyze "$checkpoint" --output "$cli_csv" --threads "$threads" --quiet; then
    echo "run-benchmark.sh: quantscope-cli failed" >&2
    status=1
  fi
else
  echo "WARNING: $cli not found or not executable; timing the reference only" >&2
  status=1
fi

echo "== sdnq_reference.py ($threads threads)"
if ! /usr/bin/time -v -o "$ref_time" \
    "$python" tests/reference/sdnq_reference.py "$checkpoint" --output "$ref_csv" \
    --threads "$threads" --quiet; then
  echo "run-benchmark.sh: sdnq_reference.py failed" >&2
  status=1
fi

if [ -s "$cli_csv" ] && [ -s "$ref_csv" ]; then
  echo "== compare_csv.py"
  if ! "$python" tests/reference/compare_csv.py "$cli_csv" "$ref_csv" > "$compare_log"; then
    status=1
  fi
  cat "$compare_log"
fi

summary_args=(--checkpoint "$checkpoint" --threads "$threads" --cli "$cli" --variant "$variant"
              --ref-time "$ref_time" --ref-csv "$ref_csv")
if [ -f "$cli_time" ]; then
  summary_args+=(--cli-time "$cli_time" --cli-csv "$cli_csv")
fi
if [ -f "$compare_log" ]; then
  summary_args+=(--compare "$compare_log")
fi
"$python" bench/summarize.py "${summary_args[@]}" > "$out/results.md"
echo
cat "$out/results.md"
exit $status
