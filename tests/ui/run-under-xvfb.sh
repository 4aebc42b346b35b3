#!/bin/sh
# Runs a UI test program under a private Xvfb server. Without xvfb-run the
# test is reported as skipped in TAP, so a machine without X still passes.
set -eu

if ! command -v xvfb-run >/dev/null 2>&1; then
  echo "1..0 # SKIP xvfb-run not found (install xvfb and xauth)"
  exit 0
fi

exec xvfb-run -a -s "-screen 0 1600x1200x24 -nolisten tcp" "$@"
