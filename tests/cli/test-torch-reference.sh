#!/bin/sh
# Compares quantscope-cli's analysis of the demo model with a PyTorch
# implementation of the same SDNQ rules (tests/reference/sdnq_reference.py):
# raw formats must agree to 1e-4 relative, SVD formats within the spread of
# the random start. Exits 77 (skipped) only when PyTorch is not installed.
set -eu

cli=$1
reference=$2
data=$3
python=/usr/bin/python3

if ! "$python" -c "import torch, numpy" 2>/dev/null; then
  echo "PyTorch and NumPy for $python are not installed (python3-torch, python3-numpy)"
  exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for load in stored bf16; do
  "$cli" analyze "$data/demo" --output "$tmp/qs-$load.csv" --load-dtype "$load" \
    --threads 2 --quiet
  "$python" "$reference/sdnq_reference.py" "$data/demo" --output "$tmp/ref-$load.csv" \
    --load-dtype "$load" --threads 2 --quiet
  "$python" "$reference/compare_csv.py" "$tmp/qs-$load.csv" "$tmp/ref-$load.csv" \
    --raw-rtol 1e-4
done

# Group sizes that do not divide the widths, and several dtype families.
"$cli" analyze "$data/demo" --output "$tmp/qs-grid.csv" --threads 2 --quiet \
  --dtypes int4 uint3 int8 uint8 --group-size 48 -1 --no-svd
"$python" "$reference/sdnq_reference.py" "$data/demo" --output "$tmp/ref-grid.csv" \
  --threads 2 --quiet --dtypes int4 uint3 int8 uint8 --group-size 48 -1 --no-svd
"$python" "$reference/compare_csv.py" "$tmp/qs-grid.csv" "$tmp/ref-grid.csv" --raw-rtol 1e-4
