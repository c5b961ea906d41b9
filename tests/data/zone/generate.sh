#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Regenerates the generated zone-format fixtures beside this script, from fresh keys:
#   ok_ldns_alg{8,13,15}.key / .ds   ldns-keygen public keys and the DS that ldns-key2ds gives
#   ok_bind_keyset.zone, ok_bind_dsset.zone, ok_bind_signed.zone
#                                    keyset-/dsset- files and the signed zone of dnssec-signzone -C
#   ok_bind_ksk.key                  a dnssec-keygen public key file (comment header, no TTL)
#   ok_windows_keyset.zone           the alg-8 key laid out like a Windows keyset export
#                                    (no class, parentheses, CRLF line ends)
# Private keys stay in a temporary directory that is removed. Needs ldnsutils and bind9-utils.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

for spec in "8 RSASHA256 -b 2048" "13 ECDSAP256SHA256" "15 ED25519"; do
  set -- $spec
  number=$1 name=$2
  shift 2
  base=$(ldns-keygen -r /dev/urandom -k -a "$name" "$@" gen.test)
  cp "$base.key" "$here/ok_ldns_alg$number.key"
  ldns-key2ds -n "$base.key" > "$here/ok_ldns_alg$number.ds"
done

cat > example.test.db <<'ZONE'
$TTL 3600
@    IN SOA ns1 hostmaster 1 3600 900 604800 300
@    IN NS  ns1
ns1  IN A   192.0.2.1
www  IN TXT "a (quoted) string; not a comment"
ZONE
ksk=$(dnssec-keygen -q -a ECDSAP256SHA256 -f KSK example.test)
dnssec-keygen -q -a ECDSAP256SHA256 example.test > /dev/null
dnssec-signzone -q -C -S -o example.test example.test.db > /dev/null
cp keyset-example.test. "$here/ok_bind_keyset.zone"
cp dsset-example.test. "$here/ok_bind_dsset.zone"
cp example.test.db.signed "$here/ok_bind_signed.zone"
cp "$ksk.key" "$here/ok_bind_ksk.key"

# Owner, TTL and type without a class; the key split in parentheses; CRLF line ends.
key=$(awk '$3 == "DNSKEY" { print $7 }' "$here/ok_ldns_alg8.key")
{
  printf '; DNSKEY records of zone gen.test\r\n'
  printf 'gen.test. 3600 DNSKEY 257 3 8 (\r\n'
  printf '%s\n' "$key" | fold -w 64 | sed 's/^/\t/; s/$/\r/'
  printf '\t) ; Key Tag\r\n'
} > "$here/ok_windows_keyset.zone"
echo "generate.sh: fixtures written to $here"
