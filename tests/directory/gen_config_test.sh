#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# deploy/slapd/gen-config and gen-base without a running server: bad arguments are refused with
# exit 64; provider and consumer configurations (with TLS, peers, several scopes) build a slapd.d
# with slapadd -n0 and pass slaptest; the parts the notes warn about are present (olcDbMaxSize,
# limits, syncprov session log, olcMultiProvider only with peers, unique replica ids, peercred
# root, update referral); the seed LDIF loads into the databases it is meant for.
source "$(dirname "$0")/lib.sh"

WORK=$(mktemp -d /tmp/anch-gencfg-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM HUP

readonly GEN="$REPO/deploy/slapd/gen-config"
readonly BASE_GEN="$REPO/deploy/slapd/gen-base"
readonly FOREST="dc=ForestDnsZones,dc=example,dc=com"
readonly DOMAIN="dc=DomainDnsZones,dc=example,dc=com"
printf 'replpw' >"$WORK/repl.pw"
printf 'pubpw\n' >"$WORK/pub.pw"
printf 'agentpw' >"$WORK/agent.pw"
printf 'bad"pw' >"$WORK/bad.pw"

# A throwaway certificate so that the TLS settings point at real files.
mkdir -p "$WORK/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/CN=127.0.0.1" -keyout "$WORK/tls/server.key" -out "$WORK/tls/server.crt" 2>/dev/null
cp "$WORK/tls/server.crt" "$WORK/tls/ca.crt"

common=(--replicator-password-file "$WORK/repl.pw")

# Refusals.
expect_rc 64 "a provider needs --server-id" \
  "$GEN" --role provider --state-dir "$WORK/x" --scope "$FOREST" "${common[@]}"
expect_rc 64 "a consumer needs --provider" \
  "$GEN" --role consumer --state-dir "$WORK/x" --scope "$FOREST" "${common[@]}"
expect_rc 64 "a scope inside another naming context is refused" \
  "$GEN" --role provider --server-id 1 --state-dir "$WORK/x" --scope "$FOREST" \
  --scope "ou=sub,$FOREST" "${common[@]}"
expect_rc 64 "a scope equal to the admin suffix is refused" \
  "$GEN" --role provider --server-id 1 --state-dir "$WORK/x" \
  --scope "ou=AnchorageAdmin,dc=example,dc=com" "${common[@]}"
expect_rc 64 "an ldapi path over 107 bytes is refused" \
  "$GEN" --role provider --server-id 1 --state-dir "$WORK/x" --scope "$FOREST" "${common[@]}" \
  --ldapi "/tmp/$(printf 'd%.0s' $(seq 110))/ldapi"
expect_rc 64 "a replicator password with a quote is refused" \
  "$GEN" --role provider --server-id 1 --state-dir "$WORK/x" --scope "$FOREST" \
  --replicator-password-file "$WORK/bad.pw"
expect_rc 64 "a server id over 4095 is refused" \
  "$GEN" --role provider --server-id 4096 --state-dir "$WORK/x" --scope "$FOREST" "${common[@]}"
expect_rc 64 "plain replication next to a TLS-only bind policy is refused" \
  "$GEN" --role provider --server-id 1 --state-dir "$WORK/x" --scope "$FOREST" "${common[@]}" \
  --tls-dir "$WORK/tls" --peer ldap://127.0.0.1:14991/ --replication-tls none
expect_rc 64 "an escaped DN is refused" \
  "$GEN" --role provider --server-id 1 --state-dir "$WORK/x" --scope 'dc=a\,b,dc=c' "${common[@]}"
expect_rc 64 "gen-base refuses a refresher that is not an agent" \
  "$BASE_GEN" admin --replicator-password-file "$WORK/repl.pw" \
  --publisher "publisher=$WORK/pub.pw" --refresher ns9.example.com
expect_rc 64 "gen-base refuses a scope suffix it cannot give a class" \
  "$BASE_GEN" scope --suffix "cn=x,dc=example,dc=com"

# build NAME ARGS...: gen-config ARGS > NAME/config.ldif, slapadd -n0, slaptest.
build() {
  local name=$1
  shift
  mkdir -p "$WORK/$name/slapd.d"
  if ! "$GEN" --state-dir "$WORK/$name" "${common[@]}" "$@" >"$WORK/$name/config.ldif"; then
    fail "gen-config for $name"
    return
  fi
  sed -n 's/^olcDbDirectory: //p' "$WORK/$name/config.ldif" | xargs mkdir -p
  expect_rc 0 "slapadd -n0 loads the $name configuration" \
    slapadd -n0 -F "$WORK/$name/slapd.d" -l "$WORK/$name/config.ldif"
  expect_rc 0 "slaptest accepts the $name configuration" slaptest -u -F "$WORK/$name/slapd.d"
}

count() { grep -c -- "$1" "$WORK/$2/config.ldif"; }

build provider --role provider --server-id 7 --scope "$FOREST" --scope "$DOMAIN" \
  --peer ldap://127.0.0.1:14991/ --peer ldaps://127.0.0.1:14993/ --tls-dir "$WORK/tls" \
  --ldapi "$WORK/provider/ldapi" --listen ldap://127.0.0.1:14990/
expect_eq 3 "$(count '^olcMultiProvider: TRUE' provider)" \
  "every provider database is multi-provider"
expect_eq 6 "$(count '^olcSyncrepl: rid=' provider)" "one syncrepl per database and peer"
expect_eq 6 "$(grep -o '^olcSyncrepl: rid=[0-9]*' "$WORK/provider/config.ldif" | sort -u | wc -l)" \
  "replica ids are unique"
expect_eq 3 "$(count 'starttls=critical' provider)" "StartTLS to the ldap:// peer"
expect_eq 3 "$(count 'olcDbMaxSize: 1073741824' provider)" "1 GiB map for every database"
expect_eq 3 "$(count 'olcSpSessionlog: 20000' provider)" "syncprov with a session log everywhere"
expect_eq 9 "$(count 'size=unlimited time=unlimited' provider)" \
  "unlimited limits for replicator, agents and publishers in each database"
expect_eq 1 "$(count '^olcServerID: 7$' provider)" "server id"
expect_eq 1 "$(count '^olcTLSCertificateKeyFile: ' provider)" "TLS key set with the certificate"
expect_eq 1 "$(count 'peercred,cn=external,cn=auth" manage' provider)" \
  "peercred root manages cn=config"
expect_eq "ldap://127.0.0.1:14990/ ldapi://${WORK//\//%2F}%2Fprovider%2Fldapi" \
  "$("$GEN" --role provider --server-id 7 --state-dir "$WORK/provider" --scope "$FOREST" \
    "${common[@]}" --listen ldap://127.0.0.1:14990/ --ldapi "$WORK/provider/ldapi" \
    --print-listeners)" "listeners for slapd -h, ldapi escaped"

build single --role provider --server-id 1 --scope "$FOREST"
expect_eq 0 "$(count '^olcMultiProvider' single)" "no olcMultiProvider without peers"

build consumer --role consumer --scope "$FOREST" --scope "$DOMAIN" \
  --provider ldap://127.0.0.1:14990/ --provider ldap://127.0.0.1:14992/ --tls-dir "$WORK/tls"
expect_eq 0 "$(count '^olcMultiProvider' consumer)" "a consumer is not multi-provider"
expect_eq 3 "$(count '^olcUpdateRef: ldap://127.0.0.1:14990/$' consumer)" \
  "consumer databases refer writes to the first provider"
expect_eq 3 "$(count '^dn: olcDatabase={[0-9]}mdb' consumer)" \
  "one mdb database per naming context (admin and two scopes)"
expect_eq 6 "$(count '^olcSyncrepl: rid=' consumer)" "one syncrepl per database and provider"

# Dots of a scope name are bracketed in the ACL regex (slapd strips backslashes once).
"$GEN" --role provider --server-id 1 --state-dir "$WORK/dots" --scope "ou=dns.zones,o=corp" \
  "${common[@]}" >"$WORK/dots.ldif"
expect_eq 1 "$(grep -cF 'to dn.regex="^cn=([^,]+),cn=agents,cn=anchorage,ou=dns[.]zones,o=corp$"' \
  "$WORK/dots.ldif")" "regex metacharacters in a suffix are bracketed"

# The seed LDIF loads into the databases built above.
"$BASE_GEN" admin --replicator-password-file "$WORK/repl.pw" --publisher "publisher=$WORK/pub.pw" \
  --agent "ns1.example.com=$WORK/agent.pw" --refresher ns1.example.com >"$WORK/admin.ldif"
"$BASE_GEN" scope --suffix "$FOREST" >"$WORK/forest.ldif"
expect_rc 0 "gen-base admin loads" slapadd -q -F "$WORK/consumer/slapd.d" \
  -b "ou=AnchorageAdmin,dc=example,dc=com" -l "$WORK/admin.ldif"
expect_rc 0 "gen-base scope loads" slapadd -q -F "$WORK/consumer/slapd.d" -b "$FOREST" \
  -l "$WORK/forest.ldif"
expect_eq 1 "$(grep -c '^userPassword: {SSHA}' <(grep -A5 '^dn: cn=ns1.example.com' \
  "$WORK/admin.ldif"))" "agent password stored as {SSHA}"
expect_eq 0 "$(grep -c 'agentpw' "$WORK/admin.ldif")" "no clear-text password in the seed"
finish
