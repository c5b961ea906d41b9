#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Starts, stops and reports a real local Anchorage directory on 127.0.0.1, for tests and the demo:
#   provider1, provider2   multi-provider slapd holding the admin database and both scopes
#                          (dc=ForestDnsZones and dc=DomainDnsZones under dc=example,dc=com)
#   consumer1              read-only replica of the admin database and the forest scope only,
#                          fed by both providers, referring writes to provider1
# Each listens on ldap:// (StartTLS), ldaps:// and an ldapi socket in STATE_DIR; TLS uses a
# throwaway CA made here with openssl (server certificate for IP:127.0.0.1). Accounts (replicator,
# publisher, agents ns1/ns2/ns3.example.com) get random test passwords in STATE_DIR/secrets (0600).
# Everything lives in STATE_DIR; nothing outside it and the Debian packages (slapd, ldap-utils,
# openssl, python3) is used or changed. slapd runs as root in the foreground with -d none,
# backgrounded here; its PID is recorded in STATE_DIR/<name>.pid, and stop signals only PIDs whose
# /proc/PID/cmdline is that slapd with that instance's config directory.
#
#   topology.sh start  STATE_DIR [--base-port N]   create (first time) or restart, wait until ready
#   topology.sh start-instance STATE_DIR NAME      restart one stopped instance (fault tests)
#   topology.sh stop   STATE_DIR                   TERM, bounded wait, then KILL
#   topology.sh status STATE_DIR                   exit 0 when all three run, 3 otherwise
#
# Ports: provider1 N (ldap) and N+1 (ldaps), provider2 N+2 and N+3, consumer1 N+4 and N+5.
# STATE_DIR/topology.env (shell syntax) lists URIs, DNs, password files, the CA and the ports.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly GEN_CONFIG="$HERE/slapd/gen-config"
readonly GEN_BASE="$HERE/slapd/gen-base"
readonly SCHEMA_LDIF="$HERE/../schema/anchorage.ldif"
readonly DEFAULT_BASE_PORT=13890
readonly INSTANCES=(provider1 provider2 consumer1)
readonly ADMIN_SUFFIX="ou=AnchorageAdmin,dc=example,dc=com"
readonly FOREST_SUFFIX="dc=ForestDnsZones,dc=example,dc=com"
readonly DOMAIN_SUFFIX="dc=DomainDnsZones,dc=example,dc=com"
readonly AGENTS=(ns1.example.com ns2.example.com ns3.example.com)
readonly READY_TIMEOUT_S=20
readonly STOP_TIMEOUT_S=10
readonly SUN_PATH_MAX=107

die() {
  echo "topology: $*" >&2
  exit 1
}

usage() {
  echo "usage: topology.sh start|stop|status STATE_DIR [--base-port N]" >&2
  echo "       topology.sh start-instance STATE_DIR provider1|provider2|consumer1" >&2
  exit 64
}

# Port layout of an instance: ldap port, ldaps port = ldap + 1.
ldap_port() {
  case "$1" in
    provider1) echo $((BASE_PORT)) ;;
    provider2) echo $((BASE_PORT + 2)) ;;
    consumer1) echo $((BASE_PORT + 4)) ;;
  esac
}

ldapi_path() { echo "$STATE/$1/ldapi"; }
ldapi_uri() { echo "ldapi://$(ldapi_path "$1" | sed 's|/|%2F|g')"; }
pid_file() { echo "$STATE/$1.pid"; }

# Prints the PID recorded for instance $1 when that process is our slapd, else nothing.
live_pid() {
  local name=$1 file pid cmdline
  file=$(pid_file "$name")
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  # A zombie or a reused PID has another (or an empty) command line.
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" || true)
  if [[ "$cmdline" == *slapd* && "$cmdline" == *" -F $STATE/$name/slapd.d "* ]]; then
    echo "$pid"
  fi
}

port_in_use() {
  local port=$1
  if command -v ss >/dev/null 2>&1; then
    [ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ] && return 0
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

write_secret() {
  local file=$1
  (umask 077 && openssl rand -hex 16 | tr -d '\n' >"$file")
}

make_tls() {
  local dir="$STATE/tls"
  mkdir -p "$dir"
  chmod 700 "$dir"
  (
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout "$dir/ca.key" -out "$dir/ca.crt" -days 30 -subj "/CN=Anchorage topology test CA" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
    printf '%s\n' "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
      "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
      -set_serial "0x$(openssl rand -hex 8)" -days 30 -extfile "$dir/server.ext" \
      -out "$dir/server.crt" 2>/dev/null
  )
  chmod 644 "$dir/ca.crt" "$dir/server.crt"
}

make_secrets() {
  mkdir -p "$STATE/secrets"
  chmod 700 "$STATE/secrets"
  write_secret "$STATE/secrets/replicator.pw"
  write_secret "$STATE/secrets/publisher.pw"
  local agent
  for agent in "${AGENTS[@]}"; do
    write_secret "$STATE/secrets/$agent.pw"
  done
}

# Writes STATE/<name>/config.ldif and builds STATE/<name>/slapd.d from it.
make_config() {
  local name=$1
  local dir="$STATE/$name"
  local args=(--state-dir "$dir" --admin-suffix "$ADMIN_SUFFIX"
    --replicator-password-file "$STATE/secrets/replicator.pw" --tls-dir "$STATE/tls"
    --schema "$SCHEMA_LDIF")
  case "$name" in
    provider1)
      args+=(--role provider --server-id 1 --scope "$FOREST_SUFFIX" --scope "$DOMAIN_SUFFIX"
        --peer "ldap://127.0.0.1:$(ldap_port provider2)/")
      ;;
    provider2)
      args+=(--role provider --server-id 2 --scope "$FOREST_SUFFIX" --scope "$DOMAIN_SUFFIX"
        --peer "ldap://127.0.0.1:$(ldap_port provider1)/")
      ;;
    consumer1)
      # Both providers: the consumer keeps up while either is down; writes go to provider1.
      args+=(--role consumer --scope "$FOREST_SUFFIX"
        --provider "ldap://127.0.0.1:$(ldap_port provider1)/"
        --provider "ldap://127.0.0.1:$(ldap_port provider2)/")
      ;;
  esac
  mkdir -p "$dir/slapd.d"
  chmod 700 "$dir"
  "$GEN_CONFIG" "${args[@]}" >"$dir/config.ldif"
  chmod 600 "$dir/config.ldif"
  local db
  while read -r db; do
    mkdir -p "$db"
  done < <(sed -n 's/^olcDbDirectory: //p' "$dir/config.ldif")
  slapadd -n0 -F "$dir/slapd.d" -l "$dir/config.ldif" >"$dir/slapadd.log" 2>&1 ||
    die "slapadd of the $name configuration failed; see $dir/slapadd.log"
}

# Loads the seed entries into provider1, then copies each database with slapcat | slapadd so that
# entryUUID, entryCSN and contextCSN agree on every server (notes/openldap.md section 6).
seed() {
  local agent_args=() agent suffix
  for agent in "${AGENTS[@]}"; do
    agent_args+=(--agent "$agent=$STATE/secrets/$agent.pw")
  done
  "$GEN_BASE" admin --admin-suffix "$ADMIN_SUFFIX" \
    --replicator-password-file "$STATE/secrets/replicator.pw" \
    --publisher "publisher=$STATE/secrets/publisher.pw" "${agent_args[@]}" \
    --refresher "${AGENTS[0]}" >"$STATE/seed-admin.ldif"
  "$GEN_BASE" scope --suffix "$FOREST_SUFFIX" --description "Forest-wide scope" \
    >"$STATE/seed-forest.ldif"
  "$GEN_BASE" scope --suffix "$DOMAIN_SUFFIX" --description "Domain scope" \
    >"$STATE/seed-domain.ldif"
  chmod 600 "$STATE"/seed-*.ldif
  local -A files=(["$ADMIN_SUFFIX"]=seed-admin.ldif ["$FOREST_SUFFIX"]=seed-forest.ldif
    ["$DOMAIN_SUFFIX"]=seed-domain.ldif)
  for suffix in "$ADMIN_SUFFIX" "$FOREST_SUFFIX" "$DOMAIN_SUFFIX"; do
    slapadd -q -w -F "$STATE/provider1/slapd.d" -b "$suffix" -l "$STATE/${files[$suffix]}" \
      >>"$STATE/provider1/slapadd.log" 2>&1 || die "slapadd of $suffix into provider1 failed"
    slapcat -F "$STATE/provider1/slapd.d" -b "$suffix" -l "$STATE/copy.ldif" 2>/dev/null ||
      die "slapcat of $suffix from provider1 failed"
    slapadd -q -F "$STATE/provider2/slapd.d" -b "$suffix" -l "$STATE/copy.ldif" \
      >>"$STATE/provider2/slapadd.log" 2>&1 || die "slapadd of $suffix into provider2 failed"
    if [ "$suffix" != "$DOMAIN_SUFFIX" ]; then
      slapadd -q -F "$STATE/consumer1/slapd.d" -b "$suffix" -l "$STATE/copy.ldif" \
        >>"$STATE/consumer1/slapadd.log" 2>&1 || die "slapadd of $suffix into consumer1 failed"
    fi
    rm -f "$STATE/copy.ldif"
  done
}

write_env() {
  local env="$STATE/topology.env" name upper port i
  {
    echo "# Generated by deploy/topology.sh; source it from a shell."
    echo "ANCHORAGE_TOPOLOGY_DIR='$STATE'"
    echo "ANCHORAGE_BASE_PORT='$BASE_PORT'"
    echo "ANCHORAGE_CA_CERT='$STATE/tls/ca.crt'"
    echo "ANCHORAGE_ADMIN_SUFFIX='$ADMIN_SUFFIX'"
    echo "ANCHORAGE_FOREST_SUFFIX='$FOREST_SUFFIX'"
    echo "ANCHORAGE_DOMAIN_SUFFIX='$DOMAIN_SUFFIX'"
    echo "ANCHORAGE_FOREST_BASE='cn=Anchorage,$FOREST_SUFFIX'"
    echo "ANCHORAGE_DOMAIN_BASE='cn=Anchorage,$DOMAIN_SUFFIX'"
    for name in "${INSTANCES[@]}"; do
      upper=${name^^}
      port=$(ldap_port "$name")
      echo "ANCHORAGE_${upper}_URI='ldap://127.0.0.1:$port'"
      echo "ANCHORAGE_${upper}_LDAPS_URI='ldaps://127.0.0.1:$((port + 1))'"
      echo "ANCHORAGE_${upper}_LDAPI_URI='$(ldapi_uri "$name")'"
      echo "ANCHORAGE_${upper}_PORT='$port'"
      echo "ANCHORAGE_${upper}_LDAPS_PORT='$((port + 1))'"
      echo "ANCHORAGE_${upper}_PID_FILE='$(pid_file "$name")'"
      echo "ANCHORAGE_${upper}_LOG='$STATE/$name/slapd.log'"
    done
    echo "ANCHORAGE_PROVIDER1_SERVER_ID='1'"
    echo "ANCHORAGE_PROVIDER2_SERVER_ID='2'"
    echo "ANCHORAGE_PROVIDER1_SCOPES='$FOREST_SUFFIX;$DOMAIN_SUFFIX'"
    echo "ANCHORAGE_PROVIDER2_SCOPES='$FOREST_SUFFIX;$DOMAIN_SUFFIX'"
    echo "ANCHORAGE_CONSUMER1_SCOPES='$FOREST_SUFFIX'"
    echo "ANCHORAGE_REPLICATOR_DN='cn=replicator,$ADMIN_SUFFIX'"
    echo "ANCHORAGE_REPLICATOR_PASSWORD_FILE='$STATE/secrets/replicator.pw'"
    echo "ANCHORAGE_PUBLISHER_DN='cn=publisher,ou=publishers,$ADMIN_SUFFIX'"
    echo "ANCHORAGE_PUBLISHER_PASSWORD_FILE='$STATE/secrets/publisher.pw'"
    echo "ANCHORAGE_PUBLISHERS_GROUP_DN='cn=publishers,ou=groups,$ADMIN_SUFFIX'"
    echo "ANCHORAGE_REFRESHERS_GROUP_DN='cn=rfc5011-refreshers,ou=groups,$ADMIN_SUFFIX'"
    echo "ANCHORAGE_AGENTS_DN='ou=agents,$ADMIN_SUFFIX'"
    for i in "${!AGENTS[@]}"; do
      echo "ANCHORAGE_AGENT$((i + 1))_NAME='${AGENTS[$i]}'"
      echo "ANCHORAGE_AGENT$((i + 1))_DN='cn=${AGENTS[$i]},ou=agents,$ADMIN_SUFFIX'"
      echo "ANCHORAGE_AGENT$((i + 1))_PASSWORD_FILE='$STATE/secrets/${AGENTS[$i]}.pw'"
    done
  } >"$env.tmp"
  mv "$env.tmp" "$env"
}

start_instance() {
  local name=$1 port urls pid
  port=$(ldap_port "$name")
  urls="ldap://127.0.0.1:$port/ ldaps://127.0.0.1:$((port + 1))/ $(ldapi_uri "$name")"
  rm -f "$(ldapi_path "$name")"
  # -d none keeps slapd in the foreground and prints fatal startup errors; $! is slapd itself.
  slapd -F "$STATE/$name/slapd.d" -h "$urls" -d none >>"$STATE/$name/slapd.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$(pid_file "$name")"
}

wait_ready() {
  local name=$1 deadline pid
  deadline=$((SECONDS + READY_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    pid=$(live_pid "$name")
    if [ -z "$pid" ]; then
      tail -n 20 "$STATE/$name/slapd.log" >&2 || true
      return 1
    fi
    if LDAPNOINIT=1 ldapwhoami -Q -Y EXTERNAL -H "$(ldapi_uri "$name")" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

cmd_start() {
  local name port
  for name in "${INSTANCES[@]}"; do
    [ -z "$(live_pid "$name")" ] || die "$name is already running (pid $(live_pid "$name"))"
  done
  if [ -f "$STATE/topology.env" ]; then
    # Restart of an existing topology keeps its data and its ports.
    BASE_PORT=$(sed -n "s/^ANCHORAGE_BASE_PORT='\([0-9]*\)'$/\1/p" "$STATE/topology.env")
    [ -n "$BASE_PORT" ] || die "cannot read the base port from $STATE/topology.env"
    [ -z "$REQUESTED_PORT" ] || [ "$REQUESTED_PORT" = "$BASE_PORT" ] ||
      die "$STATE was created with --base-port $BASE_PORT"
  fi
  for name in "${INSTANCES[@]}"; do
    port=$(ldap_port "$name")
    for p in "$port" $((port + 1)); do
      ! port_in_use "$p" || die "port $p is in use; choose another --base-port"
    done
    [ "$(printf %s "$(ldapi_path "$name")" | wc -c)" -le $SUN_PATH_MAX ] ||
      die "ldapi path $(ldapi_path "$name") is over $SUN_PATH_MAX bytes; use a shorter STATE_DIR"
  done
  if [ ! -f "$STATE/topology.env" ]; then
    for name in "${INSTANCES[@]}" tls secrets; do
      [ ! -e "$STATE/$name" ] || die "$STATE/$name exists but $STATE/topology.env does not; " \
        "remove the half-made topology first"
    done
    mkdir -p "$STATE"
    make_tls
    make_secrets
    for name in "${INSTANCES[@]}"; do
      make_config "$name"
    done
    seed
    write_env
  fi
  for name in "${INSTANCES[@]}"; do
    start_instance "$name"
  done
  for name in "${INSTANCES[@]}"; do
    if ! wait_ready "$name"; then
      echo "topology: $name did not become ready; stopping" >&2
      cmd_stop
      exit 1
    fi
  done
  echo "topology: started ${INSTANCES[*]} in $STATE (ports $BASE_PORT-$((BASE_PORT + 5)))"
}

cmd_start_instance() {
  local name=$1 port p
  [ -f "$STATE/topology.env" ] || die "$STATE holds no topology; run start first"
  case " ${INSTANCES[*]} " in
    *" $name "*) ;;
    *) die "unknown instance '$name'; expected one of ${INSTANCES[*]}" ;;
  esac
  [ -z "$(live_pid "$name")" ] || die "$name is already running (pid $(live_pid "$name"))"
  BASE_PORT=$(sed -n "s/^ANCHORAGE_BASE_PORT='\([0-9]*\)'$/\1/p" "$STATE/topology.env")
  port=$(ldap_port "$name")
  for p in "$port" $((port + 1)); do
    ! port_in_use "$p" || die "port $p is in use"
  done
  start_instance "$name"
  wait_ready "$name" || die "$name did not become ready"
  echo "topology: started $name"
}

cmd_stop() {
  local name pid file deadline status=0
  for name in consumer1 provider2 provider1; do
    file=$(pid_file "$name")
    [ -f "$file" ] || continue
    pid=$(live_pid "$name")
    if [ -z "$pid" ]; then
      rm -f "$file"
      continue
    fi
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT_S))
    while [ -n "$(live_pid "$name")" ] && ((SECONDS < deadline)); do
      sleep 0.1
    done
    if [ -n "$(live_pid "$name")" ]; then
      echo "topology: $name (pid $pid) ignored TERM; sending KILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
      if [ -n "$(live_pid "$name")" ]; then
        echo "topology: $name (pid $pid) still running" >&2
        status=1
        continue
      fi
    fi
    rm -f "$file" "$(ldapi_path "$name")"
  done
  return $status
}

cmd_status() {
  local name pid running=0
  for name in "${INSTANCES[@]}"; do
    pid=$(live_pid "$name")
    if [ -n "$pid" ]; then
      echo "$name running pid $pid"
      running=$((running + 1))
    else
      echo "$name stopped"
    fi
  done
  [ "$running" -eq ${#INSTANCES[@]} ] || return 3
}

[ $# -ge 2 ] || usage
COMMAND=$1
STATE_ARG=$2
shift 2
INSTANCE_ARG=""
if [ "$COMMAND" = start-instance ]; then
  [ $# -ge 1 ] || usage
  INSTANCE_ARG=$1
  shift
fi
REQUESTED_PORT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --base-port)
      [ $# -ge 2 ] || usage
      REQUESTED_PORT=$2
      shift 2
      ;;
    *) usage ;;
  esac
done
if [ -n "$REQUESTED_PORT" ]; then
  if ! [[ "$REQUESTED_PORT" =~ ^[0-9]+$ ]] || ((REQUESTED_PORT < 1024 || REQUESTED_PORT > 65530)); then
    die "--base-port must be a number from 1024 to 65530"
  fi
fi
BASE_PORT=${REQUESTED_PORT:-$DEFAULT_BASE_PORT}
[[ "$STATE_ARG" =~ ^[A-Za-z0-9._/-]+$ ]] ||
  die "STATE_DIR may contain only letters, digits, '.', '_', '-' and '/'"
STATE=$(realpath -m "$STATE_ARG")
[ "$STATE" != "/" ] || die "STATE_DIR must not be /"

case "$COMMAND" in
  start)
    [ "$(id -u)" -eq 0 ] || die "run as root (slapd runs without -u; ldapi EXTERNAL maps uid 0)"
    cmd_start
    ;;
  start-instance)
    [ "$(id -u)" -eq 0 ] || die "run as root"
    cmd_start_instance "$INSTANCE_ARG"
    ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) usage ;;
esac
