#!/bin/sh
# Checks po/POTFILES.in against the source tree: every source file with a
# string marked for translation (_(), N_(), C_(), NC_(), Q_(), ngettext or
# translatable="yes") and every desktop entry, metainfo and GSettings schema
# under data/ must be listed, every listed file must exist, and the list must
# be sorted, so that `meson compile quantscope-pot` extracts every string.
#
# Usage: check-potfiles.sh [SOURCE_ROOT]
set -eu

top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top"

potfiles=po/POTFILES.in
if [ ! -f "$potfiles" ]; then
  echo "$potfiles not found in $top" >&2
  exit 1
fi

listed=$(mktemp)
required=$(mktemp)
trap 'rm -f "$listed" "$required"' EXIT

# POTFILES.in lines without comments and blank lines.
grep -v -E '^[[:space:]]*(#|$)' "$potfiles" > "$listed" || true

status=0

if ! LC_ALL=C sort -c "$listed" 2>/dev/null; then
  echo "$potfiles is not sorted (LC_ALL=C sort)" >&2
  status=1
fi

while IFS= read -r file; do
  if [ ! -f "$file" ]; then
    echo "$potfiles lists $file, which does not exist" >&2
    status=1
  fi
done < "$listed"

# A mark is a gettext call that is not the tail of a longer name, so
# G_N_ELEMENTS ( or foo_( do not count.
mark='(^|[^A-Za-z0-9_])(_|N_|C_|NC_|Q_|ngettext|g_dngettext|g_dpgettext2?)[[:space:]]*\(|translatable="yes"'

for dir in src resources; do
  [ -d "$dir" ] || continue
  find "$dir" -type f \( -name '*.c' -o -name '*.h' -o -name '*.ui' \) -print
done | LC_ALL=C sort | while IFS= read -r file; do
  if grep -q -E "$mark" "$file"; then
    echo "$file"
  fi
done > "$required"

find data -maxdepth 1 -type f \( -name '*.desktop.in.in' -o -name '*.metainfo.xml.in.in' \
  -o -name '*.gschema.xml' \) -print >> "$required"

while IFS= read -r file; do
  if ! grep -q -x -F "$file" "$listed"; then
    echo "$file has strings marked for translation but is missing from $potfiles" >&2
    status=1
  fi
done < "$required"

if [ "$status" -eq 0 ]; then
  echo "$potfiles lists all $(wc -l < "$required") files with translatable strings"
fi
exit "$status"
