#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The install layout of the README: `cmake --install` into a scratch prefix puts every file where
# the table says, the installed programs run, and the unit starts the installed agent path.
#
# Usage: check_install.sh BUILD_DIR
set -euo pipefail

build=$1
prefix=$(mktemp -d /tmp/anch-install-XXXXXX)
trap 'rm -rf "$prefix"' EXIT

cmake --install "$build" --prefix "$prefix" >/dev/null

failures=0
expect_file() {
  if [ ! -s "$prefix/$1" ]; then
    echo "FAIL: $1 is not installed" >&2
    failures=$((failures + 1))
  fi
}

for f in sbin/anchorctl sbin/anchorage-agent \
  share/man/man5/anchorage.yaml.5 share/man/man8/anchorage-agent.8 share/man/man8/anchorctl.8 \
  share/doc/anchorage/examples/anchorage.yaml.example \
  share/doc/anchorage/examples/unbound.yaml share/doc/anchorage/examples/bind.yaml \
  share/doc/anchorage/examples/knot-resolver.yaml share/doc/anchorage/examples/kresd-anchorage.lua \
  share/doc/anchorage/examples/powerdns-recursor.yaml \
  share/doc/anchorage/examples/systemd-resolved.yaml \
  lib/systemd/system/anchorage-agent.service \
  share/anchorage/schema/anchorage.schema share/anchorage/schema/anchorage.ldif; do
  expect_file "$f"
done

for program in anchorctl anchorage-agent; do
  if ! "$prefix/sbin/$program" --version | grep -q "^$program "; then
    echo "FAIL: installed $program does not run" >&2
    failures=$((failures + 1))
  fi
done
if ! grep -q '^ExecStart=/usr/sbin/anchorage-agent ' "$prefix/lib/systemd/system/anchorage-agent.service"; then
  echo "FAIL: the unit does not start /usr/sbin/anchorage-agent" >&2
  failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
  echo "install.layout: $failures failure(s)" >&2
  exit 1
fi
echo "install.layout: every file of the layout is installed"
