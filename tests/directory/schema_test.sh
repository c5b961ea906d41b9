#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The Anchorage schema in both forms: the committed cn=config LDIF equals what generate-ldif.py
# makes from the .schema file; each form passes slaptest and loads into a running slapd (the
# .schema by include in slapd.conf, the .ldif at run time into cn=schema,cn=config); the example
# scope loads; equality, ordering and substring filters return the right entries; values that
# break the syntaxes or the object classes are refused. slapd listens on ldapi only.
source "$(dirname "$0")/lib.sh"

WORK=$(mktemp -d /tmp/anch-schema-XXXXXX)
trap 'stop_all_slapd; rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM HUP

readonly SUFFIX="dc=ForestDnsZones,dc=example,dc=com"
readonly BASE="cn=Anchorage,$SUFFIX"
readonly TP="anchorageTrustPoint=corp.example.,cn=TrustPoints,$BASE"
readonly DS_ANCHOR="anchorageAnchorId=ds-24065-13-75db23d6,$TP"
readonly KEY_ANCHOR="anchorageAnchorId=dnskey-3524-13-3fd4b015,$TP"
readonly NTA="anchorageNtaName=lab.corp.example.,cn=NegativeTrustAnchors,$BASE"
readonly LEASE="cn=rfc5011-refresh,cn=Leases,$BASE"
readonly PEERCRED="gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth"

# expect_filter URI FILTER DESCRIPTION EXPECTED_DN...: the filter returns exactly those DNs.
expect_filter() {
  local uri=$1 filter=$2 what=$3
  shift 3
  local got want
  got=$(search_dns -Q -Y EXTERNAL -H "$uri" -b "$SUFFIX" "$filter")
  want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
  expect_eq "$want" "$got" "$what: $filter"
}

check_filters() {
  local uri=$1 label=$2
  expect_filter "$uri" "(anchorageKeyTag>=20000)" "$label key tag ordering" "$DS_ANCHOR"
  expect_filter "$uri" "(&(objectClass=anchorageAnchor)(anchorageKeyTag<=20000))" \
    "$label key tag ordering" "$KEY_ANCHOR"
  expect_filter "$uri" "(anchorageKeyTag=3524)" "$label key tag equality" "$KEY_ANCHOR"
  expect_filter "$uri" "(anchorageState=valid)" "$label state equality ignores case" "$DS_ANCHOR"
  expect_filter "$uri" "(anchorageState>=M)" "$label state ordering" "$DS_ANCHOR"
  expect_filter "$uri" "(anchorageState=add*)" "$label state substring" "$KEY_ANCHOR"
  expect_filter "$uri" "(anchorageStateChanged>=20260101000000Z)" "$label time ordering" \
    "$KEY_ANCHOR"
  expect_filter "$uri" "(anchorageExpires<=20260302000000Z)" "$label time ordering" "$LEASE"
  expect_filter "$uri" "(anchorageExpires>=20260302000000Z)" "$label time ordering" "$NTA"
  expect_filter "$uri" "(anchorageTrustPoint=CORP.EXAMPLE.)" "$label name equality" "$TP"
  expect_filter "$uri" "(anchorageNtaName=*.corp.example.)" "$label name substring" "$NTA"
  expect_filter "$uri" "(anchorageAutoUpdate=TRUE)" "$label boolean" "$TP"
  expect_filter "$uri" "(anchorageResolverResult=bind9*)" "$label multi-valued result" \
    "cn=ns1.example.com,cn=Agents,$BASE"
  expect_filter "$uri" "(&(objectClass=anchorageAnchor)(anchorageRecordType=ds))" \
    "$label record type" "$DS_ANCHOR"
}

# Values the schema must refuse, with the LDAP result code ldapadd/ldapmodify exits with.
check_refusals() {
  local uri=$1 label=$2
  expect_rc 21 "$label refuses a key tag that is not an INTEGER" \
    ldapmodify -Q -Y EXTERNAL -H "$uri" -f <(printf '%s\n' "dn: $DS_ANCHOR" \
      "changetype: modify" "replace: anchorageKeyTag" "anchorageKeyTag: abc")
  expect_rc 21 "$label refuses a time that is not GeneralizedTime" \
    ldapmodify -Q -Y EXTERNAL -H "$uri" -f <(printf '%s\n' "dn: $NTA" \
      "changetype: modify" "replace: anchorageExpires" "anchorageExpires: 2026-03-08")
  expect_rc 21 "$label refuses a flag that is not TRUE or FALSE" \
    ldapmodify -Q -Y EXTERNAL -H "$uri" -f <(printf '%s\n' "dn: $TP" \
      "changetype: modify" "replace: anchorageAutoUpdate" "anchorageAutoUpdate: yes")
  expect_rc 19 "$label refuses a second state value" \
    ldapmodify -Q -Y EXTERNAL -H "$uri" -f <(printf '%s\n' "dn: $DS_ANCHOR" \
      "changetype: modify" "add: anchorageState" "anchorageState: Revoked")
  expect_rc 65 "$label refuses an anchor without a state" \
    ldapadd -Q -Y EXTERNAL -H "$uri" -f <(printf '%s\n' "dn: anchorageAnchorId=x,$TP" \
      "objectClass: anchorageAnchor" "anchorageAnchorId: x" "anchorageRecordType: DS" \
      "anchorageRdata: 1 8 2 00" "anchorageKeyTag: 1" "anchorageAlgorithm: 8")
  expect_rc 0 "$label accepts the root trust point" \
    ldapadd -Q -Y EXTERNAL -H "$uri" -f <(printf '%s\n' \
      "dn: anchorageTrustPoint=.,cn=TrustPoints,$BASE" "objectClass: anchorageTrustPointEntry" \
      "anchorageTrustPoint: .")
  expect_rc 0 "$label accepts a third resolver result" \
    ldapmodify -Q -Y EXTERNAL -H "$uri" -f <(printf '%s\n' \
      "dn: cn=ns1.example.com,cn=Agents,$BASE" "changetype: modify" \
      "add: anchorageResolverResult" "anchorageResolverResult: knot ok")
}

# 1. The committed LDIF is the generated one.
expect_rc 0 "anchorage.ldif equals the output of generate-ldif.py" \
  diff -u "$REPO/schema/anchorage.ldif" <(python3 "$REPO/schema/generate-ldif.py" --stdout)
expect_rc 0 "generate-ldif.py --check agrees" python3 "$REPO/schema/generate-ldif.py" --check
expect_rc 0 "the example in schema/README.md is example-scope.ldif" \
  diff -u <(sed -n "/^dn: /,\$p" "$REPO/schema/example-scope.ldif") \
  <(sed -n "/^\`\`\`ldif\$/,/^\`\`\`\$/p" "$REPO/schema/README.md" | sed "1d;\$d")

# 2. slapd.conf form: slaptest, offline slapadd of the example, filters on a running slapd.
mkdir -p "$WORK/conf/db"
cat >"$WORK/conf/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include $REPO/schema/anchorage.schema
pidfile $WORK/conf/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "$SUFFIX"
rootdn "$PEERCRED"
directory $WORK/conf/db
maxsize 1073741824
index objectClass eq
EOF
expect_rc 0 "slaptest accepts anchorage.schema" slaptest -u -f "$WORK/conf/slapd.conf"
expect_rc 0 "slapadd loads example-scope.ldif (slapd.conf form)" \
  slapadd -q -f "$WORK/conf/slapd.conf" -l "$REPO/schema/example-scope.ldif"
conf_uri=$(ldapi_uri "$WORK/conf/ldapi")
start_slapd conf -f "$WORK/conf/slapd.conf" -h "$conf_uri"
if wait_ldapi "$conf_uri"; then
  pass "slapd runs with anchorage.schema"
  expect_eq 12 "$(search_dns -Q -Y EXTERNAL -H "$conf_uri" -b "$SUFFIX" '(objectClass=*)' |
    wc -l)" \
    "slapd.conf form holds the 12 example entries"
  check_filters "$conf_uri" "slapd.conf form"
  check_refusals "$conf_uri" "slapd.conf form"
else
  fail "slapd with anchorage.schema did not start"
  cat "$WORK/conf.log" >&2
fi
stop_all_slapd

# 3. cn=config form: include at build time passes slaptest ...
mkdir -p "$WORK/cfg/slapd.d" "$WORK/cfg/db" "$WORK/inc/slapd.d"
config_ldif() {
  local schema_include=$1
  cat <<EOF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $WORK/cfg/slapd.pid

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
$schema_include

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by dn.exact="$PEERCRED" manage by * none
EOF
}
config_ldif "include: file://$REPO/schema/anchorage.ldif" >"$WORK/inc/config.ldif"
expect_rc 0 "slapadd -n0 accepts anchorage.ldif as an include" \
  slapadd -n0 -F "$WORK/inc/slapd.d" -l "$WORK/inc/config.ldif"
expect_rc 0 "slaptest accepts the config with anchorage.ldif" slaptest -u -F "$WORK/inc/slapd.d"

# ... and the LDIF loads at run time, before the database that uses it.
config_ldif "" >"$WORK/cfg/config.ldif"
expect_rc 0 "slapadd -n0 of a config without the Anchorage schema" \
  slapadd -n0 -F "$WORK/cfg/slapd.d" -l "$WORK/cfg/config.ldif"
cfg_uri=$(ldapi_uri "$WORK/cfg/ldapi")
start_slapd cfg -F "$WORK/cfg/slapd.d" -h "$cfg_uri"
if wait_ldapi "$cfg_uri"; then
  expect_rc 0 "ldapadd loads anchorage.ldif into a running slapd" \
    ldapadd -Q -Y EXTERNAL -H "$cfg_uri" -f "$REPO/schema/anchorage.ldif"
  expect_rc 0 "a database using the schema can be added at run time" \
    ldapadd -Q -Y EXTERNAL -H "$cfg_uri" -f <(printf '%s\n' \
      "dn: olcDatabase={1}mdb,cn=config" "objectClass: olcDatabaseConfig" \
      "objectClass: olcMdbConfig" "olcDatabase: {1}mdb" "olcSuffix: $SUFFIX" \
      "olcRootDN: $PEERCRED" "olcDbDirectory: $WORK/cfg/db" "olcDbMaxSize: 1073741824" \
      "olcDbIndex: objectClass eq" "olcDbIndex: anchorageState eq")
  expect_rc 0 "ldapadd loads example-scope.ldif (cn=config form)" \
    ldapadd -Q -Y EXTERNAL -H "$cfg_uri" -f "$REPO/schema/example-scope.ldif"
  expect_eq 37 "$(ldapsearch -LLL -o ldif-wrap=no -Q -Y EXTERNAL -H "$cfg_uri" \
    -b 'cn={2}anchorage,cn=schema,cn=config' -s base olcAttributeTypes 2>/dev/null |
    grep -c '^olcAttributeTypes:')" "cn=config holds the 37 attribute types"
  check_filters "$cfg_uri" "cn=config form"
  check_refusals "$cfg_uri" "cn=config form"
else
  fail "slapd with a cn=config directory did not start"
  cat "$WORK/cfg.log" >&2
fi
stop_all_slapd
finish
