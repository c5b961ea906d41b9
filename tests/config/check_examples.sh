#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The shipped configurations are valid: `anchorage-agent --check-config` accepts each example of
# deploy/examples/ and deploy/anchorage.yaml.example (exit 0 and its "valid" line), and refuses
# the same file with one unknown key added (exit 78), so a pass means this file was read and
# judged. Each resolver family has its example, configuring that family, with scopes: auto and
# no unencrypted directory URI. kresd-anchorage.lua carries exactly the Lua that the Knot
# Resolver writer expects in kresd's configuration (src/writers/knot_writer.cc).
#
# --check-config parses and validates the file; it opens neither the password file nor the CA
# file, so the paths under /etc/anchorage/ are checked as paths and need no stand-ins.
#
# Usage: check_examples.sh AGENT SOURCE_DIR
set -euo pipefail

agent=$1
top=$2
work=$(mktemp -d /tmp/anch-config-XXXXXX)
trap 'rm -rf "$work"' EXIT

failures=0
checked=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# check_valid FILE: exit 0 and "FILE: configuration is valid".
check_valid() {
  local file=$1 out rc=0
  out=$("$agent" --check-config -c "$file" 2>&1) || rc=$?
  if [ "$rc" -ne 0 ]; then
    fail "$file: exit $rc, expected 0: $out"
  elif [ "$out" != "$file: configuration is valid" ]; then
    fail "$file: unexpected output: $out"
  fi
  checked=$((checked + 1))
}

# check_refused_when_broken FILE: the same text plus an unknown top-level key exits 78 and names
# the key.
check_refused_when_broken() {
  local file=$1 copy out rc=0
  copy="$work/$(basename "$file").broken"
  { cat "$file"; printf '\nanchorage_unknown_key: 1\n'; } >"$copy"
  out=$("$agent" --check-config -c "$copy" 2>&1) || rc=$?
  if [ "$rc" -ne 78 ]; then
    fail "$copy: exit $rc, expected 78: $out"
  elif ! grep -q 'anchorage_unknown_key: Unknown key' <<<"$out"; then
    fail "$copy: the error does not name the unknown key: $out"
  fi
}

# check_family NAME TYPE: deploy/examples/NAME.yaml configures one resolver, of TYPE, follows
# every scope, and reaches the directory only over ldapi:// or ldaps://.
check_family() {
  local file="$top/deploy/examples/$1.yaml" type=$2
  if [ ! -f "$file" ]; then
    fail "$file is missing"
    return
  fi
  if [ "$(grep -cE '^  - type: ' "$file")" -ne 1 ] ||
    ! grep -qE "^  - type: $type\$" "$file"; then
    fail "$file: expected exactly one resolver, of type $type"
  fi
  if ! grep -qE '^scopes: auto$' "$file"; then
    fail "$file: expected scopes: auto"
  fi
  if grep -qE '^[^#]*(ldap://|allow_plaintext: *true)' "$file"; then
    fail "$file: the directory must be reached over ldapi:// or TLS"
  fi
}

check_family unbound unbound
check_family bind bind
check_family knot-resolver knot
check_family powerdns-recursor pdns
check_family systemd-resolved resolved

shopt -s nullglob
for file in "$top"/deploy/examples/*.yaml "$top/deploy/anchorage.yaml.example"; do
  check_valid "$file"
  check_refused_when_broken "$file"
done

# The Lua the agent's Knot Resolver writer calls: the file's text after its comment header must
# be the writer's raw string R"lua( ... )lua" byte for byte.
lua="$top/deploy/examples/kresd-anchorage.lua"
sed -n '/R"lua(/,/)lua"/p' "$top/src/writers/knot_writer.cc" |
  sed -e '1s/.*R"lua(//' -e '$s/)lua".*//' -e '${/^$/d}' >"$work/writer.lua"
awk 'body || !/^--/ { body = 1; print }' "$lua" >"$work/example.lua"
if [ ! -s "$work/writer.lua" ]; then
  fail "the Lua text was not found in src/writers/knot_writer.cc"
elif ! diff -u "$work/writer.lua" "$work/example.lua" >"$work/lua.diff"; then
  fail "$lua differs from the Knot Resolver writer's Lua:"
  cat "$work/lua.diff" >&2
fi

if [ "$checked" -lt 6 ]; then
  fail "only $checked configuration files were checked, expected at least 6"
fi
if [ "$failures" -ne 0 ]; then
  echo "config.examples: $failures failure(s)" >&2
  exit 1
fi
echo "config.examples: $checked configuration files valid, each refused when broken; Lua in step"
