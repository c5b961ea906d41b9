#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Fails when a C++ source differs from what clang-format (with the repository's .clang-format)
# would write, or has a line over 100 columns. Fix with: clang-format -i FILE.
set -euo pipefail
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top"
mapfile -t files < <(find $(ls -d agent src tests 2>/dev/null) -type f \( -name '*.cc' -o -name '*.h' \) \
  -not -path 'tests/data/*' | sort)
status=0
for f in "${files[@]}"; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "$f: not clang-formatted (run clang-format -i $f)"
    status=1
  fi
  if LC_ALL=C.UTF-8 grep -nP '^.{101,}' "$f" | cut -d: -f1 | sed "s|^|$f:|; s|$|: line over 100 columns|" \
      | grep .; then
    status=1
  fi
done
if [ "$status" -eq 0 ]; then
  echo "check-format: ${#files[@]} files formatted"
fi
exit "$status"
