#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Starts, stops and reports two Samba AD domain controllers on loopback, the stand-in for Windows
# Active Directory in the AD tests: realm CORP.EXAMPLE.TEST (NetBIOS CORP), DC1 on 127.0.0.50
# (provisioned here) and DC2 on 127.0.0.51 (joined to DC1), replicating with DRS.
#
# Nothing outside STATE_DIR and the Debian packages (samba, samba-dsdb-modules, samba-ad-provision,
# samba-vfs-modules, libnss-wrapper, ldap-utils, openssl, python3) is used or changed: each DC has
# a lean smb.conf of its own (no SMB file service, NetBIOS, WINS, NTP signing or winbindd; one
# prefork worker), Kerberos reads STATE_DIR/krb5.conf (KRB5_CONFIG), and names resolve through
# nss_wrapper from STATE_DIR/hosts, which lists the DCs' names and the objectGUID names of their
# NTDS Settings objects that DRS looks up. /etc stays untouched.
#
# TLS: Samba's own self-signed certificate names only DC1.corp.example.test, so a client that
# connects to ldaps://127.0.0.50 cannot verify it; a throwaway CA made here with openssl signs one
# certificate per DC for its address and names instead.
#
# Samba's DNS server runs (as on a Windows DC) but must never be asked for DS or DNSKEY: its dns
# task crashes on them. Nothing here sends it DNS queries; tests read and write over LDAP only.
#
# Each DC runs as `samba -F` in a session of its own (setsid); the master's PID is recorded in
# STATE_DIR/dcN.pid. stop signals only a recorded PID whose executable is samba and whose standard
# output is that DC's log, then waits for every process of its session, and sends SIGKILL to
# those left after 10 s. Never by name.
#
#   samba-dc.sh start  STATE_DIR   provision and join (first time) or restart, wait until ready
#   samba-dc.sh stop   STATE_DIR   TERM, wait for the process trees, KILL after 10 s
#   samba-dc.sh status STATE_DIR   exit 0 when both run, 3 otherwise
#
# STATE_DIR/samba.env (shell syntax, SAMBA_ prefix) lists URIs, DNs, password files, the CA and
# the client environment. Replication: dreplsrv:notify_interval = 1 on both DCs, so a change
# reaches the other DC in about a second (the first one after a start can take ~10 s).
set -euo pipefail

readonly REALM=CORP.EXAMPLE.TEST
readonly DNS_DOMAIN=corp.example.test
readonly WORKGROUP=CORP
readonly BASE_DN="DC=corp,DC=example,DC=test"
readonly ADMIN_DN="CN=Administrator,CN=Users,$BASE_DN"
readonly DCS=(dc1 dc2)
declare -rA ADDRESS=([dc1]=127.0.0.50 [dc2]=127.0.0.51)
readonly USER_NAME=anchorage-user
# Ports Samba binds on each DC address (the dynamic RPC ports are chosen among free ones).
readonly TCP_PORTS="53 88 135 389 464 636 3268 3269"
readonly UDP_PORTS="53 88 389 464"
readonly READY_TIMEOUT_S=60
readonly SPN_TIMEOUT_S=30
readonly STOP_TIMEOUT_S=10
# The Directory Replication Service's SPN class (MS-DRSR 2.2.3.2).
readonly DRS_SPN_CLASS=E3514235-4B06-11D1-AB04-00C04FC2DCD2

die() {
  echo "samba-dc: $*" >&2
  exit 1
}

usage() {
  echo "usage: samba-dc.sh start|stop|status STATE_DIR" >&2
  exit 64
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Prints the time since $1 (from now_ms) in seconds, e.g. 4.512.
since() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

timing() { echo "samba-dc: timing $1 $(since "$2") s"; }

dc_dir() { echo "$STATE/$1"; }
pid_file() { echo "$STATE/$1.pid"; }
stdout_log() { echo "$STATE/$1/log/samba.stdout"; }
netbios_name() { echo "${1^^}"; }
fqdn() { echo "$(netbios_name "$1").$DNS_DOMAIN"; }

nss_wrapper_lib() {
  local lib
  for lib in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so; do
    if [ -f "$lib" ]; then
      echo "$lib"
      return 0
    fi
  done
  die "libnss_wrapper.so not found; install libnss-wrapper"
}

# Runs a command with the DCs' Kerberos configuration and name resolution.
with_client_env() {
  KRB5_CONFIG="$STATE/krb5.conf" LD_PRELOAD="$NSS_WRAPPER_LIB" \
    NSS_WRAPPER_HOSTS="$STATE/hosts" "$@"
}

# libldap tools verifying the DCs' certificates against our CA, ignoring ldap.conf and ldaprc.
ldap_tool() {
  LDAPCONF=/dev/null LDAPRC=/dev/null LDAPTLS_CACERT="$STATE/tls/ca.crt" LDAPTLS_REQCERT=demand \
    "$@"
}

admin_search() {
  local dc=$1
  shift
  ldap_tool ldapsearch -LLL -o ldif-wrap=no -x -H "ldaps://${ADDRESS[$dc]}" \
    -D "$ADMIN_DN" -y "$STATE/secrets/admin.pw" "$@"
}

# Prints the recorded PID of DC $1 when that process is our samba, else nothing.
live_pid() {
  local dc=$1 file pid exe out
  file=$(pid_file "$dc")
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  # setproctitle rewrites samba's command line; the executable and the log on standard output
  # identify the instance. A reused PID has another executable or another output.
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  out=$(readlink "/proc/$pid/fd/1" 2>/dev/null || true)
  if [[ "$exe" == */samba && "$out" == "$(stdout_log "$dc")" ]]; then
    echo "$pid"
  fi
}

# Prints the PIDs of every process in the session the DC's master leads (its process tree,
# including helpers such as samba_dnsupdate), when one of them is samba; else nothing. Linux does
# not reuse a PID while a session of that ID has members, so the members are the DC's.
session_pids() {
  local leader=$1 pids pid ours=0
  pids=$(ps -e -o pid=,sid= | awk -v s="$leader" '$2 == s { print $1 }')
  for pid in $pids; do
    if [[ "$(readlink "/proc/$pid/exe" 2>/dev/null || true)" == */samba ]]; then
      ours=1
    fi
  done
  if [ "$ours" -eq 1 ]; then
    echo "$pids"
  fi
}

# Prints "ADDRESS:PORT/PROTO" for each port a DC needs that cannot be bound now. SO_REUSEADDR as
# Samba sets it, so that connections of a just-stopped DC in TIME_WAIT do not count.
busy_ports() {
  /usr/bin/python3 - "$TCP_PORTS" "$UDP_PORTS" "${ADDRESS[@]}" <<'EOF'
import socket, sys
tcp, udp, addresses = sys.argv[1].split(), sys.argv[2].split(), sys.argv[3:]
for address in addresses:
    for proto, kind, ports in (("tcp", socket.SOCK_STREAM, tcp), ("udp", socket.SOCK_DGRAM, udp)):
        for port in ports:
            s = socket.socket(socket.AF_INET, kind)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((address, int(port)))
                if kind == socket.SOCK_STREAM:
                    s.listen(1)
            except OSError:
                print(f"{address}:{port}/{proto}")
            finally:
                s.close()
EOF
}

write_secret() {
  local file=$1
  # Meets AD password complexity: upper and lower case, digits and a symbol.
  (umask 077 && printf 'Anc-%s-Z9' "$(openssl rand -hex 12)" >"$file")
}

make_tls() {
  local dir="$STATE/tls" dc names
  mkdir -p "$dir"
  chmod 700 "$dir"
  (
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout "$dir/ca.key" -out "$dir/ca.crt" -days 30 -subj "/CN=Anchorage Samba AD test CA" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    for dc in "${DCS[@]}"; do
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$dir/$dc.key" -out "$dir/$dc.csr" -subj "/CN=$(fqdn "$dc")" 2>/dev/null
      names="DNS:$(fqdn "$dc"),DNS:$(netbios_name "$dc"),IP:${ADDRESS[$dc]}"
      if [ "$dc" = dc1 ]; then
        names+=",DNS:$DNS_DOMAIN"
      fi
      printf '%s\n' "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
        "subjectAltName=$names" >"$dir/$dc.ext"
      openssl x509 -req -in "$dir/$dc.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
        -set_serial "0x$(openssl rand -hex 8)" -days 30 -extfile "$dir/$dc.ext" \
        -out "$dir/$dc.crt" 2>/dev/null
    done
  )
  chmod 644 "$dir/ca.crt" "$dir"/dc*.crt
  # Samba refuses a key file with a mode other than 0600.
  chmod 600 "$dir"/*.key
}

write_krb5_conf() {
  cat >"$STATE/krb5.conf" <<EOF
[libdefaults]
	default_realm = $REALM
	dns_lookup_realm = false
	dns_lookup_kdc = false
	rdns = false
[realms]
	$REALM = {
		kdc = ${ADDRESS[dc1]}
		kdc = ${ADDRESS[dc2]}
	}
[domain_realm]
	.$DNS_DOMAIN = $REALM
	$DNS_DOMAIN = $REALM
EOF
}

# The nss_wrapper hosts file: each DC's names and, once known, the name DRS resolves for its
# NTDS Settings object (<objectGUID>._msdcs.<domain>). Replaced atomically; nss_wrapper re-reads it.
write_hosts() {
  local dc guid line
  {
    echo "127.0.0.1 localhost"
    for dc in "${DCS[@]}"; do
      line="${ADDRESS[$dc]} $(fqdn "$dc") ${dc}.$DNS_DOMAIN $(netbios_name "$dc")"
      guid=$(cat "$STATE/$dc/ntds-guid" 2>/dev/null || true)
      if [ -n "$guid" ]; then
        line+=" $guid._msdcs.$DNS_DOMAIN"
      fi
      echo "$line"
    done
    echo "${ADDRESS[dc1]} $DNS_DOMAIN"
  } >"$STATE/hosts.tmp"
  mv "$STATE/hosts.tmp" "$STATE/hosts"
}

# Options every samba-tool provision or join of DC $1 gets; the smb.conf they write is replaced
# by write_smb_conf afterwards (their dump silently drops some options).
dc_options() {
  local dc=$1 dir
  dir=$(dc_dir "$dc")
  printf '%s\n' "--option=interfaces = ${ADDRESS[$dc]}/8" "--option=bind interfaces only = yes" \
    "--option=pid directory = $dir/run" "--option=winbindd socket directory = $dir/run/winbindd" \
    "--option=ntp signd socket directory = $dir/run/ntp_signd" \
    "--option=ncalrpc dir = $dir/run/ncalrpc" "--option=disable netbios = yes" \
    "--option=log file = $dir/log/%m.log" "--option=log level = 1" \
    "--option=server services = -s3fs -nbt -wrepl -ntp_signd -winbindd"
}

# The lean configuration of DC $1. "interfaces = <address>/8" binds exactly that address (lo
# carries 127.0.0.1/8 only). The dnsupdate service stays: on first start it gives DC1 the DRS SPN
# without which DC2 cannot replicate from it.
write_smb_conf() {
  local dc=$1 dir
  dir=$(dc_dir "$dc")
  cat >"$dir/etc/smb.conf" <<EOF
# Generated by tests/samba/samba-dc.sh.
[global]
	netbios name = $(netbios_name "$dc")
	realm = $REALM
	workgroup = $WORKGROUP
	server role = active directory domain controller
	server services = rpc, ldap, cldap, kdc, drepl, kcc, dnsupdate, dns
	prefork children = 1
	interfaces = ${ADDRESS[$dc]}/8
	bind interfaces only = yes
	disable netbios = yes
	dns forwarder = 127.0.0.250
	ldap server require strong auth = no
	tls enabled = yes
	tls keyfile = $STATE/tls/$dc.key
	tls certfile = $STATE/tls/$dc.crt
	tls cafile = $STATE/tls/ca.crt
	private dir = $dir/private
	state directory = $dir/state
	cache directory = $dir/cache
	lock directory = $dir
	binddns dir = $dir/bind-dns
	pid directory = $dir/run
	ncalrpc dir = $dir/run/ncalrpc
	winbindd socket directory = $dir/run/winbindd
	ntp signd socket directory = $dir/run/ntp_signd
	log file = $dir/log/%m.log
	log level = 1
	idmap_ldb:use rfc2307 = yes
	dreplsrv:notify_interval = 1

[sysvol]
	path = $dir/state/sysvol
	read only = No

[netlogon]
	path = $dir/state/sysvol/$DNS_DOMAIN/scripts
	read only = No
EOF
}

provision_dc1() {
  local dir options=()
  dir=$(dc_dir dc1)
  mapfile -t options < <(dc_options dc1)
  mkdir -p "$dir/log"
  samba-tool domain provision -s "$STATE/empty.conf" --targetdir="$dir" --realm="$REALM" \
    --domain="$WORKGROUP" --server-role=dc --dns-backend=SAMBA_INTERNAL --use-rfc2307 \
    --adminpass="$(cat "$STATE/secrets/admin.pw")" --host-name=DC1 --host-ip="${ADDRESS[dc1]}" \
    "${options[@]}" >"$STATE/provision.log" 2>&1 ||
    die "provisioning DC1 failed; see $STATE/provision.log"
  sed -n 's/.*DOMAIN SID: *\(S-[0-9-]*\).*/\1/p' "$STATE/provision.log" >"$STATE/domain-sid"
  write_smb_conf dc1
}

join_dc2() {
  local dir options=()
  dir=$(dc_dir dc2)
  mapfile -t options < <(dc_options dc2)
  mkdir -p "$dir/log"
  # samba-tool reads the password from the file PASSWD_FILE names (not from the command line).
  with_client_env env PASSWD_FILE="$STATE/secrets/admin.pw" samba-tool domain join "$DNS_DOMAIN" \
    DC -s "$STATE/empty.conf" --targetdir="$dir" --server="${ADDRESS[dc1]}" -U Administrator \
    --use-kerberos=off --dns-backend=SAMBA_INTERNAL --option="netbios name=DC2" \
    --option="realm=$REALM" --option="workgroup=$WORKGROUP" "${options[@]}" \
    >"$STATE/join.log" 2>&1 || die "joining DC2 failed; see $STATE/join.log"
  write_smb_conf dc2
}

start_dc() {
  local dc=$1 dir
  dir=$(dc_dir "$dc")
  mkdir -p "$dir/log" "$dir/run"
  # setsid gives the DC a session of its own: its process tree is that session. $! is samba
  # itself: a simple command (no function) runs in the forked child by exec, and a background
  # job is no process group leader, so setsid does not fork.
  KRB5_CONFIG="$STATE/krb5.conf" LD_PRELOAD="$NSS_WRAPPER_LIB" NSS_WRAPPER_HOSTS="$STATE/hosts" \
    setsid samba -F -s "$dir/etc/smb.conf" --debug-stdout -d 1 >>"$(stdout_log "$dc")" 2>&1 \
    </dev/null &
  echo "$!" >"$(pid_file "$dc")"
}

# Waits until the DC reads the administrator's entry after a simple bind over ldaps (LDAP, TLS
# and the directory all up). Samba has no "Who am I?" (RFC 4532), so ldapwhoami cannot tell.
wait_ready() {
  local dc=$1 deadline
  deadline=$((SECONDS + READY_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    if [ -z "$(live_pid "$dc")" ]; then
      tail -n 20 "$(stdout_log "$dc")" >&2 || true
      return 1
    fi
    if admin_search "$dc" -b "$ADMIN_DN" -s base dn 2>/dev/null | grep -q '^dn:'; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# Records the objectGUID of DC $1's NTDS Settings object as a GUID string.
record_ntds_guid() {
  local dc=$1 b64 hex
  local site="CN=Default-First-Site-Name,CN=Sites,CN=Configuration,$BASE_DN"
  b64=$(admin_search "$dc" -s base objectGUID \
    -b "CN=NTDS Settings,CN=$(netbios_name "$dc"),CN=Servers,$site" | sed -n 's/^objectGUID:: //p')
  [ -n "$b64" ] || die "cannot read the NTDS Settings objectGUID of $dc"
  hex=$(printf '%s' "$b64" | base64 -d | od -An -v -tx1 | tr -d ' \n')
  [ ${#hex} -eq 32 ] || die "bad objectGUID for $dc"
  # MS-DTYP 2.3.4: the first three fields are little-endian.
  printf '%s-%s-%s-%s-%s\n' "${hex:6:2}${hex:4:2}${hex:2:2}${hex:0:2}" "${hex:10:2}${hex:8:2}" \
    "${hex:14:2}${hex:12:2}" "${hex:16:4}" "${hex:20:12}" >"$STATE/$dc/ntds-guid"
}

# The dnsupdate service gives DC1 its DRS SPN shortly after the first start.
wait_drs_spn() {
  local spn deadline
  spn="$DRS_SPN_CLASS/$(cat "$STATE/dc1/ntds-guid")/$DNS_DOMAIN"
  deadline=$((SECONDS + SPN_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    if admin_search dc1 -b "OU=Domain Controllers,$BASE_DN" "(servicePrincipalName=$spn)" dn |
      grep -q '^dn:'; then
      return 0
    fi
    sleep 0.2
  done
  die "DC1 did not get its DRS SPN within $SPN_TIMEOUT_S s"
}

# DC1's KCC lists DC2 as a source, but DC1 pulls from it only every 300 s, and until that first
# pull DC2 does not know it should notify DC1: changes made on DC2 would wait minutes. One forced
# pull per naming context registers DC1 with DC2 (DsReplicaUpdateRefs), after which changes on
# DC2 reach DC1 as fast as the other way round. DC1 -> DC2 is registered by the join itself.
register_dc1_with_dc2() {
  local nc
  for nc in "$BASE_DN" "CN=Configuration,$BASE_DN" "CN=Schema,CN=Configuration,$BASE_DN" \
    "DC=DomainDnsZones,$BASE_DN" "DC=ForestDnsZones,$BASE_DN"; do
    with_client_env env PASSWD_FILE="$STATE/secrets/admin.pw" samba-tool drs replicate \
      "${ADDRESS[dc1]}" DC2 "$nc" -s "$STATE/dc1/etc/smb.conf" -U Administrator \
      --use-kerberos=off >>"$STATE/replicate.log" 2>&1 ||
      die "replicating $nc from DC2 to DC1 failed; see $STATE/replicate.log"
  done
}

# A plain domain user (no group beyond Domain Users), added over ldaps: AD sets unicodePwd only
# over an encrypted connection, as the quoted password in UTF-16LE.
create_user() {
  local password
  password=$(base64 -w0 < <(printf '"%s"' "$(cat "$STATE/secrets/user.pw")" | iconv -t UTF-16LE))
  ldap_tool ldapadd -x -H "ldaps://${ADDRESS[dc1]}" -D "$ADMIN_DN" -y "$STATE/secrets/admin.pw" \
    >"$STATE/user.log" 2>&1 <<EOF || die "adding $USER_NAME failed; see $STATE/user.log"
dn: CN=$USER_NAME,CN=Users,$BASE_DN
objectClass: user
sAMAccountName: $USER_NAME
userPrincipalName: $USER_NAME@$DNS_DOMAIN
unicodePwd:: $password
userAccountControl: 512
EOF
}

write_env() {
  local env="$STATE/samba.env" dc upper
  {
    echo "# Generated by tests/samba/samba-dc.sh; source it from a shell."
    echo "SAMBA_DIR='$STATE'"
    echo "SAMBA_REALM='$REALM'"
    echo "SAMBA_DNS_DOMAIN='$DNS_DOMAIN'"
    echo "SAMBA_WORKGROUP='$WORKGROUP'"
    echo "SAMBA_DOMAIN_SID='$(cat "$STATE/domain-sid")'"
    echo "SAMBA_BASE_DN='$BASE_DN'"
    echo "SAMBA_CONFIGURATION_DN='CN=Configuration,$BASE_DN'"
    echo "SAMBA_FOREST_DNS_ZONES_DN='DC=ForestDnsZones,$BASE_DN'"
    echo "SAMBA_DOMAIN_DNS_ZONES_DN='DC=DomainDnsZones,$BASE_DN'"
    echo "SAMBA_TRUST_ANCHORS_ZONE_DN='DC=TrustAnchors,CN=MicrosoftDNS,DC=ForestDnsZones,$BASE_DN'"
    for dc in "${DCS[@]}"; do
      upper=${dc^^}
      echo "SAMBA_${upper}_ADDRESS='${ADDRESS[$dc]}'"
      echo "SAMBA_${upper}_HOSTNAME='${dc}.$DNS_DOMAIN'"
      echo "SAMBA_${upper}_URI='ldap://${ADDRESS[$dc]}'"
      echo "SAMBA_${upper}_LDAPS_URI='ldaps://${ADDRESS[$dc]}'"
      echo "SAMBA_${upper}_HOSTNAME_URI='ldap://${dc}.$DNS_DOMAIN'"
      echo "SAMBA_${upper}_NTDS_GUID='$(cat "$STATE/$dc/ntds-guid")'"
      echo "SAMBA_${upper}_SMB_CONF='$STATE/$dc/etc/smb.conf'"
      echo "SAMBA_${upper}_PID_FILE='$(pid_file "$dc")'"
      echo "SAMBA_${upper}_LOG='$(stdout_log "$dc")'"
    done
    echo "SAMBA_CA_CERT='$STATE/tls/ca.crt'"
    echo "SAMBA_ADMIN_NAME='Administrator'"
    echo "SAMBA_ADMIN_DN='$ADMIN_DN'"
    echo "SAMBA_ADMIN_UPN='Administrator@$DNS_DOMAIN'"
    echo "SAMBA_ADMIN_PASSWORD_FILE='$STATE/secrets/admin.pw'"
    echo "SAMBA_USER_NAME='$USER_NAME'"
    echo "SAMBA_USER_DN='CN=$USER_NAME,CN=Users,$BASE_DN'"
    echo "SAMBA_USER_UPN='$USER_NAME@$DNS_DOMAIN'"
    echo "SAMBA_USER_PASSWORD_FILE='$STATE/secrets/user.pw'"
    echo "SAMBA_KRB5_CONFIG='$STATE/krb5.conf'"
    echo "SAMBA_NSS_WRAPPER_LIB='$NSS_WRAPPER_LIB'"
    echo "SAMBA_NSS_WRAPPER_HOSTS='$STATE/hosts'"
    # For clients that resolve the DCs by name (GSSAPI binds, hostname URIs), with a credential
    # cache of their own:
    #   env $SAMBA_CLIENT_ENV kinit Administrator <"$SAMBA_ADMIN_PASSWORD_FILE"
    #   env $SAMBA_CLIENT_ENV ldapsearch -Y GSSAPI -N -H ldap://dc1.corp.example.test ...
    echo "SAMBA_KRB5CCNAME='FILE:$STATE/krb5cc'"
    printf "SAMBA_CLIENT_ENV='KRB5_CONFIG=%s KRB5CCNAME=%s LD_PRELOAD=%s NSS_WRAPPER_HOSTS=%s'\n" \
      "$STATE/krb5.conf" "FILE:$STATE/krb5cc" "$NSS_WRAPPER_LIB" "$STATE/hosts"
  } >"$env.tmp"
  mv "$env.tmp" "$env"
}

# First start: provision DC1, start it, add the test user, join and start DC2.
create_domain() {
  local t
  mkdir -p "$STATE/secrets"
  chmod 700 "$STATE" "$STATE/secrets"
  : >"$STATE/empty.conf"
  write_secret "$STATE/secrets/admin.pw"
  write_secret "$STATE/secrets/user.pw"
  write_krb5_conf
  write_hosts
  make_tls

  t=$(now_ms)
  provision_dc1
  timing provision_dc1 "$t"

  t=$(now_ms)
  start_dc dc1
  wait_ready dc1 || die "DC1 did not become ready"
  timing start_dc1 "$t"
  record_ntds_guid dc1
  write_hosts
  create_user
  t=$(now_ms)
  wait_drs_spn
  timing wait_drs_spn "$t"

  t=$(now_ms)
  join_dc2
  timing join_dc2 "$t"

  t=$(now_ms)
  start_dc dc2
  wait_ready dc2 || die "DC2 did not become ready"
  timing start_dc2 "$t"
  record_ntds_guid dc2
  write_hosts
  t=$(now_ms)
  register_dc1_with_dc2
  timing register_dc1_with_dc2 "$t"
  write_env
}

cmd_start() {
  local dc busy t0
  t0=$(now_ms)
  if ! command -v samba >/dev/null || ! command -v samba-tool >/dev/null; then
    die "samba is not installed; run deploy/install-deps.sh"
  fi
  NSS_WRAPPER_LIB=$(nss_wrapper_lib)
  for dc in "${DCS[@]}"; do
    [ -z "$(live_pid "$dc")" ] || die "$dc is already running (pid $(live_pid "$dc"))"
  done
  busy=$(busy_ports)
  [ -z "$busy" ] || die "ports in use on the DC addresses: $(echo "$busy" | tr '\n' ' ')"

  # From here on a failed start leaves nothing running.
  trap 'cmd_stop >/dev/null 2>&1 || true' EXIT
  if [ ! -f "$STATE/samba.env" ]; then
    for dc in "${DCS[@]}" secrets tls; do
      [ ! -e "$STATE/$dc" ] || die "$STATE/$dc exists but $STATE/samba.env does not;" \
        "remove the half-made domain first"
    done
    mkdir -p "$STATE"
    create_domain
  else
    # A restart keeps the domain; the hosts file already holds both GUIDs.
    write_hosts
    for dc in "${DCS[@]}"; do
      start_dc "$dc"
    done
    for dc in "${DCS[@]}"; do
      wait_ready "$dc" || die "$dc did not become ready"
    done
  fi
  trap - EXIT
  timing start_total "$t0"
  echo "samba-dc: started DC1 (${ADDRESS[dc1]}) and DC2 (${ADDRESS[dc2]}) in $STATE"
}

cmd_stop() {
  local dc pid file deadline status=0 remaining
  declare -A leader=()
  # TERM both masters first, then wait for both process trees together.
  for dc in "${DCS[@]}"; do
    file=$(pid_file "$dc")
    [ -f "$file" ] || continue
    pid=$(live_pid "$dc")
    if [ -n "$pid" ]; then
      leader[$dc]=$pid
      kill -TERM "$pid" 2>/dev/null || true
    elif [[ "$(cat "$file")" =~ ^[0-9]+$ ]] && [ -n "$(session_pids "$(cat "$file")")" ]; then
      # The master is gone but processes of its session are left: they get KILL below.
      leader[$dc]=$(cat "$file")
    else
      rm -f "$file"
    fi
  done
  deadline=$((SECONDS + STOP_TIMEOUT_S))
  for dc in "${!leader[@]}"; do
    while [ -n "$(session_pids "${leader[$dc]}")" ] && ((SECONDS < deadline)); do
      sleep 0.1
    done
  done
  for dc in "${!leader[@]}"; do
    remaining=$(session_pids "${leader[$dc]}")
    if [ -n "$remaining" ]; then
      echo "samba-dc: $dc (pid ${leader[$dc]}) left processes after TERM; sending KILL" >&2
      # shellcheck disable=SC2086
      kill -KILL $remaining 2>/dev/null || true
      sleep 0.2
      if [ -n "$(session_pids "${leader[$dc]}")" ]; then
        echo "samba-dc: $dc still has processes: $(session_pids "${leader[$dc]}" | tr '\n' ' ')" >&2
        status=1
        continue
      fi
    fi
    rm -f "$(pid_file "$dc")"
  done
  return $status
}

cmd_status() {
  local dc pid running=0
  for dc in "${DCS[@]}"; do
    pid=$(live_pid "$dc")
    if [ -n "$pid" ]; then
      echo "$dc running pid $pid (${ADDRESS[$dc]})"
      running=$((running + 1))
    else
      echo "$dc stopped"
    fi
  done
  [ "$running" -eq ${#DCS[@]} ] || return 3
}

[ $# -eq 2 ] || usage
COMMAND=$1
[[ "$2" =~ ^[A-Za-z0-9._/-]+$ ]] ||
  die "STATE_DIR may contain only letters, digits, '.', '_', '-' and '/'"
STATE=$(realpath -m "$2")
[ "$STATE" != "/" ] || die "STATE_DIR must not be /"
# Samba's sockets live below it (ncalrpc, messaging); a sun_path holds 107 bytes.
[ ${#STATE} -le 60 ] || die "STATE_DIR is over 60 characters; use a shorter one"
NSS_WRAPPER_LIB=""

case "$COMMAND" in
  start)
    [ "$(id -u)" -eq 0 ] || die "run as root (samba binds privileged ports)"
    cmd_start
    ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) usage ;;
esac
