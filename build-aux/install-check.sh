#!/bin/sh
# Installs a configured Quantscope build into a temporary root with
# `meson install --destdir`, then runs the installed programs from there:
# quantscope-cli --version, an analysis of the demo model, and the app's
# startup smoke test under Xvfb with the installed GSettings schema.
#
# Usage: install-check.sh [BUILD_DIR]   (default: _build, relative to the checkout)
# The temporary root is removed on exit unless KEEP_INSTALL_ROOT=1.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-_build}
case "$build" in
  /*) ;;
  *) build="$top/$build" ;;
esac

if [ ! -f "$build/build.ninja" ]; then
  echo "install-check: $build is not a configured meson build folder; run meson setup first" >&2
  exit 1
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/quantscope-install.XXXXXX")
cleanup () {
  if [ "${KEEP_INSTALL_ROOT:-0}" = 1 ]; then
    echo "install-check: kept the installed tree in $root"
  else
    rm -rf "$root"
  fi
}
trap cleanup EXIT

fail () {
  echo "install-check: FAIL: $*" >&2
  exit 1
}

# The prefix and folders the build was configured with, so the paths below
# match what `meson install` wrote under the temporary root.
option () {
  meson introspect --buildoptions "$build" \
    | python3 -c "import json, sys; print(next(o['value'] for o in json.load(sys.stdin) if o['name'] == sys.argv[1]))" "$1"
}
prefix=$(option prefix)
bindir=$(option bindir)
datadir=$(option datadir)
case "$bindir" in /*) ;; *) bindir="$prefix/$bindir" ;; esac
case "$datadir" in /*) ;; *) datadir="$prefix/$datadir" ;; esac

echo "install-check: installing $build into $root (prefix $prefix)"
meson install -C "$build" --destdir "$root" --quiet >"$root/install.log" 2>&1 \
  || { cat "$root/install.log" >&2; fail "meson install failed"; }

cli="$root$bindir/quantscope-cli"
app="$root$bindir/quantscope"
share="$root$datadir"
app_id=io.github.quantscope.Quantscope

for file in "$cli" \
            "$share/glib-2.0/schemas/$app_id.gschema.xml"; do
  [ -e "$file" ] || fail "$file was not installed"
done
echo "install-check: ok: quantscope-cli and the GSettings schema are installed"

# The version must be the project's, from the installed binary.
version=$("$cli" --version) || fail "quantscope-cli --version exited with status $?"
expected=$(meson introspect --projectinfo "$build" \
  | python3 -c "import json, sys; print(json.load(sys.stdin)['version'])")
[ "$version" = "quantscope-cli $expected" ] \
  || fail "quantscope-cli --version printed \"$version\", expected \"quantscope-cli $expected\""
echo "install-check: ok: $version"

# An analysis of the demo model from the source tree, with the outputs
# checked for content: the CSV header and at least one layer row, and the
# analysis JSON beside it.
out="$root/demo"
mkdir -p "$out"
"$cli" analyze "$top/data/models/demo" --device cpu --quiet \
  --output "$out/quant_sensitivity_report.csv" >"$out/analyze.log" 2>&1 \
  || { cat "$out/analyze.log" >&2; fail "quantscope-cli analyze of the demo model failed"; }
[ -s "$out/quant_sensitivity_report.json" ] || fail "the analysis JSON was not written"
rows=$(($(wc -l < "$out/quant_sensitivity_report.csv") - 1))
[ "$rows" -gt 0 ] || fail "the demo CSV has no layer rows"
head -n 1 "$out/quant_sensitivity_report.csv" | grep -q nmse \
  || fail "the demo CSV header has no nmse column"
echo "install-check: ok: the installed quantscope-cli analysed the demo model ($rows CSV rows)"

# The app is built only where GTK 4, libadwaita and GtkSourceView are found.
if [ ! -x "$app" ]; then
  echo "install-check: SKIP: the app was not built, so its installed files are not checked"
  exit 0
fi

for file in "$share/applications/$app_id.desktop" \
            "$share/metainfo/$app_id.metainfo.xml" \
            "$share/icons/hicolor/scalable/apps/$app_id.svg" \
            "$share/icons/hicolor/symbolic/apps/$app_id-symbolic.svg"; do
  [ -e "$file" ] || fail "$file was not installed"
done
echo "install-check: ok: the desktop entry, metainfo and icons are installed"

# `meson install --destdir` skips the post-install hooks, so the installed
# schema is compiled here for the app to read.
glib-compile-schemas --strict "$share/glib-2.0/schemas" \
  || fail "the installed GSettings schema does not compile"

if ! command -v xvfb-run >/dev/null 2>&1; then
  echo "install-check: SKIP: xvfb-run (package xvfb) is missing, so the app's startup is not checked"
  exit 0
fi

# GSettings uses the memory backend and the XDG folders point into the
# temporary root, so the check never reads or writes the caller's settings.
GSETTINGS_SCHEMA_DIR="$share/glib-2.0/schemas" \
GSETTINGS_BACKEND=memory \
XDG_CONFIG_HOME="$root/config" \
XDG_DATA_HOME="$root/data" \
XDG_CACHE_HOME="$root/cache" \
  timeout 60 xvfb-run -a "$app" --exit-after-startup >"$root/app.log" 2>&1 \
  || { cat "$root/app.log" >&2; fail "the installed app failed its startup check (quantscope --exit-after-startup)"; }
echo "install-check: ok: the installed app started and exited with --exit-after-startup"
