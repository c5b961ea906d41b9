#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The manual pages render cleanly: groff formats each page of docs/man with the man(7) macros
# and every warning enabled (-ww); any warning or error fails the test. The three pages the
# install ships must exist, and each must open with a .TH line naming itself.
#
# Usage: lint_man.sh MAN_DIR
set -euo pipefail

dir=$1
if ! command -v groff >/dev/null; then
  echo "FAIL: groff is not installed (Debian package groff-base; deploy/install-deps.sh)" >&2
  exit 1
fi

failures=0
for page in anchorage-agent.8 anchorage.yaml.5 anchorctl.8; do
  if [ ! -f "$dir/$page" ]; then
    echo "FAIL: $dir/$page is missing" >&2
    failures=$((failures + 1))
  fi
done

shopt -s nullglob
count=0
for page in "$dir"/*.[1-8]; do
  count=$((count + 1))
  name=$(basename "$page")
  title=${name%.*}
  section=${name##*.}
  if ! grep -qiE "^\.TH \"?${title//./\\.}\"? \"?${section}\"? " "$page"; then
    echo "FAIL: $page: no .TH line for $title($section)" >&2
    failures=$((failures + 1))
  fi
  # LC_ALL keeps groff's input decoding the same on every machine; the pages are ASCII.
  if ! out=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>&1) || [ -n "$out" ]; then
    echo "FAIL: $page:" >&2
    echo "$out" >&2
    failures=$((failures + 1))
  fi
  if LC_ALL=C grep -qP '[^\x00-\x7f]' "$page"; then
    echo "FAIL: $page: not ASCII (use groff escapes such as \\(em)" >&2
    failures=$((failures + 1))
  fi
done

if [ "$failures" -ne 0 ]; then
  echo "man.lint: $failures failure(s)" >&2
  exit 1
fi
echo "man.lint: $count pages render without warnings"
