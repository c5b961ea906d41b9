#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The main job, on a fresh Debian 12 machine as root: installs the packages, builds Anchorage,
# and works through the root trust anchor with anchorctl: validates the distribution's root.key,
# derives its DS records and checks them against root.ds, and exports the root trust point as
# RFC 9718 XML and as a keyset file. Output goes to $STATE (default: .state/demo in the checkout).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
state=${STATE:-$top/.state/demo}
root_key=/usr/share/dns/root.key
root_ds=/usr/share/dns/root.ds

say() { printf '\n== %s\n' "$*"; }

say "Installing packages"
bash deploy/install-deps.sh

say "Building"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${JOBS:-2}" --target anchorctl
anchorctl=$top/build/anchorctl
mkdir -p "$state"

say "anchorctl verify $root_key"
"$anchorctl" verify "$root_key"

say "anchorctl ds $root_key  (compared with $root_ds)"
"$anchorctl" ds "$root_key" | tee "$state/root.ds"
if diff -u <(sort "$root_ds") <(sort "$state/root.ds"); then
  echo "DS records derived from root.key match $root_ds"
else
  echo "DS records differ from $root_ds" >&2
  exit 1
fi

say "anchorctl convert --to xml  (RFC 9718)"
"$anchorctl" convert --to xml -o "$state/root-anchors.xml" "$root_key"
cat "$state/root-anchors.xml"

say "anchorctl convert --to keyset"
"$anchorctl" convert --to keyset -o "$state/keyset-root" "$root_key"
cat "$state/keyset-root"

say "Round trip: the XML export verifies and gives the same DS records"
"$anchorctl" verify "$state/root-anchors.xml"
echo "Files are in $state"
