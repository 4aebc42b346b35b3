#!/bin/sh
# Installs what Quantscope needs on Debian 12, builds it, and then either
# analyses the built-in demo model ("demo") or runs the test suites ("test").
# Run it as root (or with sudo available) from anywhere in the checkout.
set -eu

mode=${1:-demo}
case "$mode" in
  demo|test) ;;
  *)
    echo "usage: $0 [demo|test]" >&2
    exit 2
    ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

build_deps="meson ninja-build pkg-config gcc libc6-dev libglib2.0-dev libjson-glib-dev
  libopenblas-dev liblapacke-dev libsmartcols-dev libgdk-pixbuf-2.0-dev
  libcairo2-dev libpango1.0-dev libfontconfig-dev fonts-dejavu-core
  libtemplate-glib-1.0-dev libgirepository1.0-dev
  libvulkan-dev glslc mesa-vulkan-drivers
  libgtk-4-dev libadwaita-1-dev libgtksourceview-5-dev librsvg2-common"
# Debian 12's template-glib-1.0.pc requires gobject-introspection-1.0, which
# its -dev package does not pull in, hence libgirepository1.0-dev.
# The tests compare against a PyTorch implementation of SDNQ's rules.
test_deps="python3 python3-numpy python3-torch libxml2-utils poppler-utils xvfb xauth
  desktop-file-utils appstream"

packages=$build_deps
if [ "$mode" = test ]; then
  packages="$packages $test_deps"
fi

missing=""
for package in $packages; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
    missing="$missing $package"
  fi
done

if [ -n "$missing" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    sudo=""
  else
    sudo="sudo"
  fi
  echo "Installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  # shellcheck disable=SC2086
  $sudo apt-get install -y -q --no-install-recommends $missing
fi

configure () {
  dir=$1
  shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
}

configure _build
meson compile -C _build

if [ "$mode" = demo ]; then
  mkdir -p _build/demo
  ./_build/src/cli/quantscope-cli analyze data/models/demo \
    --output _build/demo/quant_sensitivity_report.csv
  exit 0
fi

status=0
# Mesa's lavapipe runs the GPU tests on the CPU; QS_GPU_TESTS_REQUIRED turns
# a missing Vulkan device into a failure instead of a skip.
QS_GPU_TESTS_REQUIRED=1 meson test -C _build --print-errorlogs --num-processes 2 || status=1

# meson install into a temporary folder, then run the installed CLI and app.
./build-aux/install-check.sh _build || status=1

# The same tests again with AddressSanitizer and UndefinedBehaviorSanitizer,
# which catch unaligned loads, overflows and leaks that pass silently above.
configure _build-sanitize -Db_sanitize=address,undefined -Db_lundef=false \
  -Dc_args=-fno-sanitize-recover=all -Dbuildtype=debug
meson compile -C _build-sanitize

export UBSAN_OPTIONS=print_stacktrace=1
export QS_GPU_TESTS_REQUIRED=1
export LSAN_OPTIONS=suppressions="$top/build-aux/lsan.supp":print_suppressions=0

ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  meson test -C _build-sanitize --print-errorlogs --num-processes 2 \
  --timeout-multiplier 3 --suite engine --suite report || status=1

# Programs that load a Vulkan driver run without leak checking: Mesa's
# lavapipe keeps an allocation that LeakSanitizer reports once the loader
# has unloaded the driver at exit, when its frames can no longer be matched
# by a suppression. Memory errors and undefined behaviour are still fatal.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
  meson test -C _build-sanitize --print-errorlogs --num-processes 2 \
  --timeout-multiplier 3 --no-suite engine --no-suite report || status=1

exit $status
