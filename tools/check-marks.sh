#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# House rule (STYLE §2): no bare TODO/FIXME/XXX marks in the sources, and every
# LIMITATION(L-NNNN) mark names an entry of docs/limitations.md. Exits 1 listing each offence.
set -euo pipefail
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top"
status=0
mapfile -t files < <(find agent src tests tools deploy schema -type f \
  \( -name '*.cc' -o -name '*.h' -o -name '*.sh' -o -name '*.py' -o -name '*.txt' \
     -o -name 'CMakeLists.txt' \) -not -path 'tests/data/*' 2>/dev/null | sort)
self=tools/check-marks.sh
for f in "${files[@]}"; do
  [ "$f" = "$self" ] && continue
  if grep -nE '\b(TODO|FIXME|XXX)\b' "$f" >/tmp/check-marks.$$ 2>/dev/null; then
    sed "s|^|$f:|; s|$| (bare mark: use LIMITATION(L-NNNN) with a register entry)|" \
      /tmp/check-marks.$$
    status=1
  fi
done
rm -f /tmp/check-marks.$$
known=$(grep -oE '^## L-[0-9]{4}' docs/limitations.md | sed 's/^## //' | sort -u)
for f in "${files[@]}"; do
  [ "$f" = "$self" ] && continue
  while IFS=: read -r line id; do
    if ! grep -qx "$id" <<<"$known"; then
      echo "$f:$line: LIMITATION($id) has no entry in docs/limitations.md"
      status=1
    fi
  done < <(grep -noE 'LIMITATION\(L-[0-9]{4}\)' "$f" | sed -E 's/LIMITATION\((L-[0-9]{4})\)/\1/')
done
if [ "$status" -eq 0 ]; then
  echo "check-marks: ${#files[@]} files clean"
fi
exit "$status"
