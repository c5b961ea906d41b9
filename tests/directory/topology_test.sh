#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# deploy/topology.sh end to end on 127.0.0.1 ports 14100-14105: the three servers start and
# refuse a second start; anchors published on provider1 replicate to provider2 and the forest
# consumer, domain-scope anchors never reach the consumer; the ACLs of DESIGN section 6 hold
# (agents cannot write anchors, each agent writes only its own status entry, leases are
# compare-and-swap, RFC 5011 refreshers write only state, the replicator carries passwords);
# StartTLS and ldaps verify against the topology CA and fail with another CA; stop leaves no
# slapd of ours running.
source "$(dirname "$0")/lib.sh"

readonly BASE_PORT=${ANCHORAGE_TEST_BASE_PORT:-14100}
readonly TOPOLOGY="$REPO/deploy/topology.sh"
WORK=$(mktemp -d /tmp/anch-topo-XXXXXX)
STATE="$WORK/t"

cleanup() {
  "$TOPOLOGY" stop "$STATE" >/dev/null 2>&1 || true
  "$TOPOLOGY" stop "$WORK/second" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if ! "$TOPOLOGY" start "$STATE" --base-port "$BASE_PORT" >"$WORK/start.log" 2>&1; then
  fail "topology.sh start"
  cat "$WORK/start.log" >&2
  finish
  exit 1
fi
pass "topology.sh start"
# shellcheck source=/dev/null
source "$STATE/topology.env"
export LDAPTLS_CACERT="$ANCHORAGE_CA_CERT"
export LDAPTLS_REQCERT=demand

P1=$ANCHORAGE_PROVIDER1_URI
P2=$ANCHORAGE_PROVIDER2_URI
C1=$ANCHORAGE_CONSUMER1_URI
FOREST_TP="anchorageTrustPoint=corp.example.,cn=TrustPoints,$ANCHORAGE_FOREST_BASE"
DOMAIN_TP="anchorageTrustPoint=dom.example.,cn=TrustPoints,$ANCHORAGE_DOMAIN_BASE"
DS_ID="ds-24065-13-75db23d6"
DS_ANCHOR="anchorageAnchorId=$DS_ID,$FOREST_TP"
LEASE="cn=rfc5011-refresh,cn=Leases,$ANCHORAGE_FOREST_BASE"
status_dn() { echo "cn=$1,cn=Agents,$ANCHORAGE_FOREST_BASE"; }

# as WHO COMMAND ARGS...: runs an LDAP client tool with a simple bind over StartTLS as publisher,
# agent1..3 or replicator.
as() {
  local who=$1 tool=$2 dn file
  shift 2
  case "$who" in
    publisher) dn=$ANCHORAGE_PUBLISHER_DN file=$ANCHORAGE_PUBLISHER_PASSWORD_FILE ;;
    agent1) dn=$ANCHORAGE_AGENT1_DN file=$ANCHORAGE_AGENT1_PASSWORD_FILE ;;
    agent2) dn=$ANCHORAGE_AGENT2_DN file=$ANCHORAGE_AGENT2_PASSWORD_FILE ;;
    agent3) dn=$ANCHORAGE_AGENT3_DN file=$ANCHORAGE_AGENT3_PASSWORD_FILE ;;
    replicator) dn=$ANCHORAGE_REPLICATOR_DN file=$ANCHORAGE_REPLICATOR_PASSWORD_FILE ;;
  esac
  "$tool" -x -ZZ -D "$dn" -y "$file" "$@"
}

# modify WHO URI [extra ldapmodify args]: applies the LDIF on stdin (changetype in the LDIF).
modify() {
  local who=$1 uri=$2
  shift 2
  as "$who" ldapmodify -H "$uri" "$@"
}

delete() {
  local who=$1 uri=$2
  shift 2
  as "$who" ldapdelete -H "$uri" "$@"
}

# exists WHO URI DN: the entry can be read.
exists() {
  as "$1" ldapsearch -LLL -H "$2" -b "$3" -s base '(objectClass=*)' 1.1 2>/dev/null |
    grep -q '^dn:'
}

# root_value URI DN ATTR: the attribute's value, read as local root over ldapi.
root_value() {
  ldapsearch -LLL -o ldif-wrap=no -Q -Y EXTERNAL -H "$1" -b "$2" -s base '(objectClass=*)' "$3" \
    2>/dev/null | sed -n "s/^$3: //p"
}

# has_value URI DN ATTR WANT: the attribute (read as root) has that value now.
has_value() {
  [ "$(root_value "$1" "$2" "$3")" = "$4" ]
}

anchor_ldif() {
  local dn=$1 id=$2 tag=$3 state=$4 origin=$5 rdata=$6
  printf '%s\n' "dn: $dn" "changetype: add" "objectClass: anchorageAnchor" \
    "anchorageAnchorId: $id" "anchorageRecordType: DS" "anchorageRdata: $rdata" \
    "anchorageKeyTag: $tag" "anchorageAlgorithm: 13" "anchorageDigestType: 2" \
    "anchorageState: $state" "anchorageOrigin: $origin"
}

# --- lifecycle -----------------------------------------------------------------------------
expect_rc 0 "status reports all three running" "$TOPOLOGY" status "$STATE"
expect_eq 600 "$(stat -c %a "$ANCHORAGE_PUBLISHER_PASSWORD_FILE")" "password files are 0600"
expect_rc 1 "a second start of a running topology is refused" "$TOPOLOGY" start "$STATE"
expect_rc 1 "a topology on ports in use is refused" \
  "$TOPOLOGY" start "$WORK/second" --base-port "$BASE_PORT"
expect_eq "" "$(ls "$WORK/second" 2>/dev/null)" "the refused topology created nothing"

# --- replication ---------------------------------------------------------------------------
expect_rc 0 "publisher adds a trust point and an anchor on provider1" modify publisher "$P1" <<EOF
dn: $FOREST_TP
changetype: add
objectClass: anchorageTrustPointEntry
anchorageTrustPoint: corp.example.
anchorageAutoUpdate: TRUE

$(anchor_ldif "$DS_ANCHOR" "$DS_ID" 24065 Valid manual \
  "24065 13 2 9C701C0C0E2E0F76AE2EADB14435B0E0510F001283FA804EB65FF1DC59122EF9")
EOF
expect_rc 0 "the anchor appears on provider2" wait_for 10 exists agent2 "$P2" "$DS_ANCHOR"
expect_rc 0 "the anchor appears on consumer1" wait_for 10 exists agent3 "$C1" "$DS_ANCHOR"

expect_rc 0 "publisher adds a domain-scope anchor on provider1" modify publisher "$P1" <<EOF
dn: $DOMAIN_TP
changetype: add
objectClass: anchorageTrustPointEntry
anchorageTrustPoint: dom.example.

$(anchor_ldif "anchorageAnchorId=ds-11111-13-00000000,$DOMAIN_TP" ds-11111-13-00000000 11111 \
  Valid manual "11111 13 2 00")
EOF
expect_rc 0 "the domain anchor appears on provider2" \
  wait_for 10 exists agent2 "$P2" "anchorageAnchorId=ds-11111-13-00000000,$DOMAIN_TP"
# A later forest change reaching the consumer shows it has processed everything before it.
expect_rc 0 "publisher marks the forest trust point" modify publisher "$P1" <<EOF
dn: $FOREST_TP
changetype: modify
replace: description
description: marker
EOF
expect_rc 0 "the marker reaches consumer1" \
  wait_for 10 has_value "$ANCHORAGE_CONSUMER1_LDAPI_URI" "$FOREST_TP" description marker
expect_rc 32 "consumer1 has no domain scope (no such object)" \
  ldapsearch -LLL -Q -Y EXTERNAL -H "$ANCHORAGE_CONSUMER1_LDAPI_URI" -b "$DOMAIN_TP" -s base
expect_eq "" "$(ldapsearch -LLL -Q -Y EXTERNAL -H "$ANCHORAGE_CONSUMER1_LDAPI_URI" -b "" -s base \
  namingContexts 2>/dev/null | grep -i DomainDnsZones)" "consumer1 does not serve the domain scope"
expect_eq 0 "$(ldapsearch -LLL -Q -Y EXTERNAL -H "$ANCHORAGE_CONSUMER1_LDAPI_URI" \
  -b "$ANCHORAGE_FOREST_SUFFIX" '(anchorageKeyTag=11111)' dn 2>/dev/null | grep -c '^dn:')" \
  "the domain anchor is nowhere in consumer1's forest scope"
expect_rc 0 "a modify on provider2 reaches provider1" modify publisher "$P2" <<EOF
dn: $FOREST_TP
changetype: modify
replace: description
description: from provider2
EOF
expect_rc 0 "provider1 has the provider2 change" wait_for 10 \
  has_value "$ANCHORAGE_PROVIDER1_LDAPI_URI" "$FOREST_TP" description "from provider2"

# --- anchors: publishers write, agents read ------------------------------------------------
state_change() {
  printf '%s\n' "dn: $DS_ANCHOR" "changetype: modify" "replace: anchorageState" \
    "anchorageState: $1"
}
expect_rc 50 "agent cannot modify an anchor on provider1" modify agent2 "$P1" \
  < <(state_change Revoked)
expect_rc 50 "agent cannot modify an anchor on provider2" modify agent2 "$P2" \
  < <(state_change Revoked)
expect_rc 50 "agent cannot add an anchor" modify agent2 "$P1" < <(anchor_ldif \
  "anchorageAnchorId=ds-2-13-00000000,$FOREST_TP" ds-2-13-00000000 2 Valid manual "2 13 2 00")
expect_rc 50 "agent cannot delete an anchor" delete agent2 "$P1" "$DS_ANCHOR"
expect_rc 50 "agent cannot add an NTA" modify agent2 "$P1" <<EOF
dn: anchorageNtaName=x.example.,cn=NegativeTrustAnchors,$ANCHORAGE_FOREST_BASE
changetype: add
objectClass: anchorageNegativeTrustAnchor
anchorageNtaName: x.example.
anchorageExpires: 20300101000000Z
EOF
expect_rc 0 "publisher can modify an anchor" modify publisher "$P1" < <(state_change Valid)
expect_rc 0 "publisher can add an NTA" modify publisher "$P1" <<EOF
dn: anchorageNtaName=lab.corp.example.,cn=NegativeTrustAnchors,$ANCHORAGE_FOREST_BASE
changetype: add
objectClass: anchorageNegativeTrustAnchor
anchorageNtaName: lab.corp.example.
anchorageExpires: 20300101000000Z
anchorageReason: test
EOF
expect_eq 1 "$(as agent3 ldapsearch -LLL -H "$C1" -b "$ANCHORAGE_FOREST_BASE" \
  '(objectClass=anchorageAnchor)' 1.1 2>/dev/null | grep -c '^dn:')" "agents can read anchors"
expect_eq 0 "$(ldapsearch -LLL -x -ZZ -H "$P1" -b "$ANCHORAGE_FOREST_BASE" '(objectClass=*)' 1.1 \
  2>/dev/null | grep -c '^dn:')" "anonymous sees nothing of a scope"
expect_rc 10 "a write on consumer1 is referred to a provider" modify publisher "$C1" \
  < <(state_change Missing)

# --- agent status entries ------------------------------------------------------------------
status_add() {
  printf '%s\n' "dn: $(status_dn "$1")" "changetype: add" "objectClass: anchorageAgentStatus" \
    "cn: $1" "anchorageAppliedDigest: 00" "anchorageAgentVersion: 0.1.0"
}
status_set() {
  printf '%s\n' "dn: $(status_dn "$1")" "changetype: modify" "replace: anchorageAppliedDigest" \
    "anchorageAppliedDigest: $2"
}
expect_rc 0 "agent1 adds its own status entry" modify agent1 "$P1" < <(status_add ns1.example.com)
expect_rc 0 "agent2 adds its own status entry on provider2" modify agent2 "$P2" \
  < <(status_add ns2.example.com)
expect_rc 0 "agent2 updates its own status entry" modify agent2 "$P2" \
  < <(status_set ns2.example.com ab12)
expect_rc 0 "agent1's status replicates to provider2" \
  wait_for 10 exists agent2 "$P2" "$(status_dn ns1.example.com)"
expect_rc 50 "agent2 cannot modify agent1's status entry" modify agent2 "$P2" \
  < <(status_set ns1.example.com ffff)
expect_rc 50 "agent2 cannot create a status entry for agent3" modify agent2 "$P1" \
  < <(status_add ns3.example.com)
expect_rc 50 "agent2 cannot delete agent1's status entry" delete agent2 "$P2" \
  "$(status_dn ns1.example.com)"
expect_rc 50 "agent2 cannot rename its status entry to agent3's name" as agent2 \
  ldapmodrdn -H "$P1" -r "$(status_dn ns2.example.com)" cn=ns3.example.com
expect_rc 50 "publisher cannot write an agent's status entry" modify publisher "$P1" \
  < <(status_set ns1.example.com ffff)

# --- lease: compare-and-swap with the assertion control (RFC 4528) -------------------------
lease_take() {
  printf '%s\n' "dn: $LEASE" "changetype: modify" "replace: anchorageLeaseGeneration" \
    "anchorageLeaseGeneration: $1" "-" "replace: anchorageLeaseHolder" \
    "anchorageLeaseHolder: $2" "-" "replace: anchorageExpires" "anchorageExpires: 20300101000000Z"
}
expect_rc 0 "agent2 takes the lease at generation 0" \
  modify agent2 "$P1" -e '!assert=(anchorageLeaseGeneration=0)' < <(lease_take 1 ns2.example.com)
expect_rc 122 "agent3 with a stale generation fails the assertion" \
  modify agent3 "$P1" -e '!assert=(anchorageLeaseGeneration=0)' < <(lease_take 1 ns3.example.com)
expect_rc 0 "the lease replicates to provider2" wait_for 10 \
  has_value "$ANCHORAGE_PROVIDER2_LDAPI_URI" "$LEASE" anchorageLeaseHolder ns2.example.com

# --- RFC 5011 refresher (agent1 is in the refreshers group, agent2 is not) -----------------
expect_rc 0 "refresher agent1 can change an anchor's state" modify agent1 "$P1" \
  < <(state_change Missing)
expect_rc 50 "refresher agent1 cannot change an anchor's RDATA" modify agent1 "$P1" <<EOF
dn: $DS_ANCHOR
changetype: modify
replace: anchorageRdata
anchorageRdata: 24065 13 2 00
EOF
expect_rc 0 "refresher agent1 can add an AddPend rfc5011 anchor" modify agent1 "$P1" \
  < <(anchor_ldif \
  "anchorageAnchorId=ds-3-13-00000000,$FOREST_TP" ds-3-13-00000000 3 AddPend rfc5011 "3 13 2 00")
expect_rc 50 "refresher agent1 cannot add a Valid anchor" modify agent1 "$P1" < <(anchor_ldif \
  "anchorageAnchorId=ds-4-13-00000000,$FOREST_TP" ds-4-13-00000000 4 Valid rfc5011 "4 13 2 00")
expect_rc 50 "refresher agent1 cannot delete an anchor" delete agent1 "$P1" \
  "anchorageAnchorId=ds-3-13-00000000,$FOREST_TP"
expect_rc 0 "refresher agent1 can record a refresh" modify agent1 "$P1" <<EOF
dn: $FOREST_TP
changetype: modify
replace: anchorageLastRefresh
anchorageLastRefresh: 20260301080000Z
EOF
expect_rc 50 "refresher agent1 cannot turn auto-update off" modify agent1 "$P1" <<EOF
dn: $FOREST_TP
changetype: modify
replace: anchorageAutoUpdate
anchorageAutoUpdate: FALSE
EOF
expect_rc 50 "agent2 (not a refresher) cannot change a state" modify agent2 "$P1" \
  < <(state_change Valid)

# --- accounts ------------------------------------------------------------------------------
(umask 077 && printf 'ns4-secret' >"$WORK/ns4.pw")
expect_rc 0 "root adds an agent account on provider1" \
  ldapadd -Q -Y EXTERNAL -H "$ANCHORAGE_PROVIDER1_LDAPI_URI" <<EOF
dn: cn=ns4.example.com,$ANCHORAGE_AGENTS_DN
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: ns4.example.com
userPassword: $(slappasswd -T "$WORK/ns4.pw")
EOF
ns4_bind() {
  ldapwhoami -x -ZZ -H "$1" -D "cn=ns4.example.com,$ANCHORAGE_AGENTS_DN" -y "$WORK/ns4.pw"
}
expect_rc 0 "the new agent can bind on consumer1 (password replicated)" wait_for 10 ns4_bind "$C1"
expect_rc 0 "the new agent can bind on provider2" wait_for 10 ns4_bind "$P2"
expect_eq 0 "$(as agent2 ldapsearch -LLL -H "$P1" -b "$ANCHORAGE_AGENT1_DN" -s base \
  userPassword 2>/dev/null | grep -ci '^userPassword')" "agents cannot read passwords"
expect_eq 1 "$(as replicator ldapsearch -LLL -H "$P1" -b "$ANCHORAGE_AGENT1_DN" -s base \
  userPassword 2>/dev/null | grep -ci '^userPassword')" "the replicator reads passwords"
expect_rc 13 "a simple bind without TLS is refused" ldapwhoami -x -H "$P1" \
  -D "$ANCHORAGE_AGENT1_DN" -y "$ANCHORAGE_AGENT1_PASSWORD_FILE"

# --- TLS -----------------------------------------------------------------------------------
for uri in "$P1" "$C1"; do
  expect_rc 0 "StartTLS with the topology CA ($uri)" as agent1 ldapwhoami -H "$uri"
done
expect_rc 0 "ldaps with the topology CA" ldapwhoami -x -H "$ANCHORAGE_PROVIDER2_LDAPS_URI" \
  -D "$ANCHORAGE_AGENT1_DN" -y "$ANCHORAGE_AGENT1_PASSWORD_FILE"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/CN=Other CA" -keyout "$WORK/other.key" -out "$WORK/other.crt" 2>/dev/null
expect_rc 1 "StartTLS fails with another CA" env LDAPTLS_CACERT="$WORK/other.crt" \
  ldapwhoami -x -ZZ -H "$P1" -D "$ANCHORAGE_AGENT1_DN" -y "$ANCHORAGE_AGENT1_PASSWORD_FILE"
expect_rc 255 "ldaps fails with another CA" env LDAPTLS_CACERT="$WORK/other.crt" \
  ldapwhoami -x -H "$ANCHORAGE_PROVIDER1_LDAPS_URI" -D "$ANCHORAGE_AGENT1_DN" \
  -y "$ANCHORAGE_AGENT1_PASSWORD_FILE"

# --- stop ----------------------------------------------------------------------------------
pids=()
for f in "$ANCHORAGE_PROVIDER1_PID_FILE" "$ANCHORAGE_PROVIDER2_PID_FILE" \
  "$ANCHORAGE_CONSUMER1_PID_FILE"; do
  pids+=("$(cat "$f")")
done
expect_rc 0 "topology.sh stop" "$TOPOLOGY" stop "$STATE"
expect_rc 3 "status reports the topology stopped" "$TOPOLOGY" status "$STATE"
alive=""
for pid in "${pids[@]}"; do
  if [ -n "$(tr -d '\0' 2>/dev/null <"/proc/$pid/cmdline")" ]; then
    alive+=" $pid"
  fi
done
expect_eq "" "$alive" "no recorded slapd PID is still running"
expect_eq 0 "$(pgrep -c -f "^slapd -F $STATE/")" "no slapd of this topology is left"
expect_eq "" "$(ls "$STATE"/*.pid 2>/dev/null)" "pid files are removed"

# --- restart keeps the data; a socket path over the sun_path limit is refused ---------------
expect_rc 0 "topology.sh start restarts a stopped topology" "$TOPOLOGY" start "$STATE"
expect_rc 0 "the anchor is still on consumer1 after the restart" exists agent3 "$C1" "$DS_ANCHOR"
expect_rc 0 "topology.sh stop after the restart" "$TOPOLOGY" stop "$STATE"
expect_rc 1 "a STATE_DIR too long for the ldapi socket is refused" \
  "$TOPOLOGY" start "$WORK/$(printf 'd%.0s' $(seq 90))" --base-port "$BASE_PORT"
finish
