#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The main job, on a fresh Debian 12 machine as root. `start` (the default) installs the
# packages, builds anchorctl and anchorage-agent, and runs Anchorage end to end on loopback:
#   - the directory topology (deploy/topology.sh): provider1, provider2 and a forest-only
#     consumer on 127.0.0.1, ports 13890-13895;
#   - demo.example., signed with ldns (ECDSA P-256, algorithm 13, NSEC), served by nsd on
#     127.0.0.2;
#   - two Unbounds on 127.0.0.3, fenced as shared/notes/resolvers.md section 1 says (loopback
#     source address, every other name to a dead port on 127.0.0.9, no root anchor of their own);
#   - two agents, ns2.example.com reading provider2 and ns3.example.com reading the consumer,
#     each feeding one Unbound;
# then publishes the root anchor and the demo zone's DS with anchorctl as the publisher, waits
# until both agents report they applied them, and asks each Unbound for www.demo.example. A:
# exit 0 only when both answers carry the AD flag. Everything keeps running afterwards.
# `stop` stops, by recorded PID, the agents, the Unbounds, nsd and the topology.
#
#   deploy/demo.sh [start]     refuses when a demo is already running in STATE
#   deploy/demo.sh stop
#
# Environment: STATE (default <checkout>/.state/demo), JOBS (build jobs, default 2).
# Nothing outside STATE and <checkout>/build is changed, apart from the packages
# deploy/install-deps.sh installs. Each start begins with a fresh directory, zone and keys.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly TOP
readonly TEMPLATES="$TOP/deploy/demo"
readonly TOPOLOGY_SH="$TOP/deploy/topology.sh"
readonly BUILD_DIR="$TOP/build"
readonly ANCHORCTL="$BUILD_DIR/anchorctl"
readonly AGENT_BIN="$BUILD_DIR/anchorage-agent"
readonly TOPOLOGY_BASE_PORT=13890
readonly TOPOLOGY_PORT_COUNT=6
readonly NSD_ADDRESS=127.0.0.2
readonly UNBOUND_ADDRESS=127.0.0.3
readonly DEAD_ADDRESS=127.0.0.9
readonly PORT_FIRST=15300
readonly PORT_LAST=15399
readonly ZONE=demo.example.
readonly PROBE=www.demo.example.
readonly PROBE_ADDRESS=192.0.2.80
readonly ROOT_KEY=/usr/share/dns/root.key
readonly READY_TIMEOUT_S=20
readonly STOP_TIMEOUT_S=10
readonly AD_TIMEOUT_S=15
readonly ANCHORCTL_TIMEOUT_S=60
readonly SUN_PATH_MAX=107
# The two DNS servers: agent name, its number in topology.env, the replica it reads, its Unbound.
readonly SERVERS=(ns2.example.com ns3.example.com)
declare -Ar AGENT_NUMBER=([ns2.example.com]=2 [ns3.example.com]=3)
declare -Ar AGENT_READS=([ns2.example.com]=PROVIDER2_URI [ns3.example.com]=CONSUMER1_URI)
declare -Ar AGENT_UNBOUND=([ns2.example.com]=unbound1 [ns3.example.com]=unbound2)
# Processes this script starts itself, in the order stop takes them down.
readonly PROCESSES=(agent-ns2.example.com agent-ns3.example.com unbound1 unbound2 nsd)
# What start leaves in STATE; only these are removed when a new start begins.
readonly STATE_ENTRIES=(topology zone nsd unbound1 unbound2 ns2.example.com ns3.example.com
  publisher run)
readonly REQUIRED_PROGRAMS=(cmake make g++ nsd nsd-checkconf unbound unbound-checkconf
  unbound-control ldns-keygen ldns-signzone ldns-key2ds dig slapd ldapwhoami openssl ss timeout)

say() { printf '\n== %s\n' "$*"; }
note() { printf 'demo: %s\n' "$*"; }
die() {
  printf 'demo: %s\n' "$*" >&2
  exit 1
}

usage() {
  echo "usage: deploy/demo.sh [start|stop]" >&2
  exit 64
}

# ---- processes, by recorded PID ------------------------------------------------------------

pid_file() { echo "$STATE/run/$1.pid"; }

# The program and the configuration file that identify process $1 on its command line.
process_program() {
  case "$1" in
    agent-*) echo "$AGENT_BIN" ;;
    unbound*) echo unbound ;;
    nsd) echo nsd ;;
  esac
}
process_config() {
  case "$1" in
    agent-*) echo "$STATE/${1#agent-}/anchorage.yaml" ;;
    unbound*) echo "$STATE/$1/unbound.conf" ;;
    nsd) echo "$STATE/nsd/nsd.conf" ;;
  esac
}

# Prints the PID recorded for process $1 when /proc says it is still that process, else nothing.
live_pid() {
  local name=$1 file pid cmdline program
  file=$(pid_file "$name")
  [ -f "$file" ] || return 0
  pid=$(cat "$file" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  # A zombie or a reused PID has an empty or another command line.
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" || true)
  program=$(process_program "$name")
  if [[ "$cmdline" == "$program "* || "$cmdline" == *"/$program "* ]] &&
    [[ "$cmdline" == *" -c $(process_config "$name") "* ]]; then
    echo "$pid"
  fi
}

# Starts "$@" in the background as process $1 (stdin /dev/null, output to $2), records its PID,
# and waits (bounded) until the forked shell has become the program, so that live_pid knows it.
spawn() {
  local name=$1 log=$2 pid deadline
  shift 2
  "$@" </dev/null >>"$log" 2>&1 &
  pid=$!
  echo "$pid" >"$(pid_file "$name")"
  deadline=$((SECONDS + 5))
  while [ -z "$(live_pid "$name")" ] && [ -e "/proc/$pid" ] && ((SECONDS < deadline)); do
    sleep 0.05
  done
}

# TERM, a bounded wait, then KILL. Prints what it stopped; returns 1 if the process survived.
stop_process() {
  local name=$1 pid deadline
  pid=$(live_pid "$name")
  if [ -z "$pid" ]; then
    rm -f "$(pid_file "$name")"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT_S))
  while [ -n "$(live_pid "$name")" ] && ((SECONDS < deadline)); do
    sleep 0.1
  done
  if [ -n "$(live_pid "$name")" ]; then
    note "$name (pid $pid) ignored TERM for ${STOP_TIMEOUT_S}s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.3
    if [ -n "$(live_pid "$name")" ]; then
      note "$name (pid $pid) is still running"
      return 1
    fi
  fi
  rm -f "$(pid_file "$name")"
  note "stopped $name (pid $pid)"
  STOPPED=$((STOPPED + 1))
}

# Prints "instance pid" for each running slapd of the topology.
topology_running() {
  [ -f "$STATE/topology/topology.env" ] || return 0
  "$TOPOLOGY_SH" status "$STATE/topology" 2>/dev/null |
    sed -n 's/^\([a-z0-9]*\) running pid \([0-9]*\)$/\1 \2/p' || true
}

stop_all() {
  local name status=0 running instance pid
  STOPPED=0
  for name in "${PROCESSES[@]}"; do
    stop_process "$name" || status=1
  done
  running=$(topology_running)
  if [ -d "$STATE/topology" ]; then
    if "$TOPOLOGY_SH" stop "$STATE/topology"; then
      while read -r instance pid; do
        [ -n "$instance" ] || continue
        note "stopped slapd $instance (pid $pid)"
        STOPPED=$((STOPPED + 1))
      done <<<"$running"
    else
      note "deploy/topology.sh stop failed"
      status=1
    fi
  fi
  return $status
}

# Prints one line per running part of the demo ("name pid").
running_parts() {
  local name pid
  for name in "${PROCESSES[@]}"; do
    pid=$(live_pid "$name")
    [ -z "$pid" ] || echo "$name $pid"
  done
  topology_running | sed 's/^/slapd-/'
}

# ---- ports and waits -----------------------------------------------------------------------

# True when something listens on TCP port $1 or holds UDP port $1, on any address.
port_busy() {
  [ -n "$(ss -Hlntu "sport = :$1" 2>/dev/null)" ]
}

# Prints the first port, $1 first and then PORT_FIRST..PORT_LAST, that is free and not in TAKEN.
pick_port() {
  local preferred=$1 p
  for p in "$preferred" $(seq "$PORT_FIRST" "$PORT_LAST"); do
    [[ " ${TAKEN[*]} " == *" $p "* ]] && continue
    port_busy "$p" && continue
    echo "$p"
    return 0
  done
  return 1
}

# Waits until $1:$2 answers a query for $3 SOA (any response), while process $4 is alive.
wait_answering() {
  local address=$1 port=$2 qname=$3 name=$4 deadline
  deadline=$((SECONDS + READY_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    if [ -z "$(live_pid "$name")" ]; then
      note "$name exited during start-up"
      return 1
    fi
    if dig +time=1 +tries=1 @"$address" -p "$port" "$qname" SOA >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  note "$name did not answer on $address:$port within ${READY_TIMEOUT_S}s"
  return 1
}

# Waits until log $2 of process $1 contains $3.
wait_log() {
  local name=$1 log=$2 text=$3 deadline
  deadline=$((SECONDS + READY_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    if [ -z "$(live_pid "$name")" ]; then
      note "$name exited during start-up"
      return 1
    fi
    if grep -qF -- "$text" "$log" 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  note "$name did not log '$text' within ${READY_TIMEOUT_S}s"
  return 1
}

show_tail() {
  local file=$1
  [ -s "$file" ] || return 0
  echo "---- last lines of $file" >&2
  tail -n 15 "$file" >&2 || true
}

# ---- templates -----------------------------------------------------------------------------

# Renders template $1 into $2, replacing each @KEY@ by VALUE for the KEY=VALUE arguments after.
render() {
  local template="$TEMPLATES/$1" out=$2 pair key value
  shift 2
  local args=()
  for pair in "$@"; do
    key=${pair%%=*}
    value=${pair#*=}
    [[ "$value" != *[\|\&\\]* ]] || die "cannot put '$value' into $template"
    args+=(-e "s|@$key@|$value|g")
  done
  sed "${args[@]}" "$template" >"$out.tmp"
  if grep -q '@[A-Z_0-9]*@' "$out.tmp"; then
    die "template $template has a placeholder left: $(grep -o '@[A-Z_0-9]*@' "$out.tmp" | head -1)"
  fi
  mv "$out.tmp" "$out"
}

# Prints ANCHORAGE_$1 from the topology's topology.env (sourced by start_topology).
topo_var() {
  local var="ANCHORAGE_$1"
  [ -n "${!var:-}" ] || die "$var is missing from $STATE/topology/topology.env"
  echo "${!var}"
}

# ---- start, step by step -------------------------------------------------------------------

# Ends the current phase (recording its time) and starts phase $1, if given.
phase() {
  local now ms
  now=$(date +%s%N)
  if [ -n "${PHASE_NAME:-}" ]; then
    ms=$(((now - PHASE_START) / 1000000))
    TIMINGS+=("$(printf '%-40s %4d.%d s' "$PHASE_NAME" $((ms / 1000)) $((ms % 1000 / 100)))")
  fi
  PHASE_NAME=${1:-}
  PHASE_START=$now
  [ -z "$PHASE_NAME" ] || say "$PHASE_NAME"
}

install() {
  phase "Installing packages"
  bash "$TOP/deploy/install-deps.sh"
}

build() {
  phase "Building"
  cmake -S "$TOP" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD_DIR" -j "${JOBS:-2}" --target anchorctl anchorage-agent
  if [ ! -x "$ANCHORCTL" ] || [ ! -x "$AGENT_BIN" ]; then
    die "the build did not produce anchorctl and anchorage-agent"
  fi
}

preflight() {
  local p prog
  for prog in "${REQUIRED_PROGRAMS[@]}"; do
    command -v "$prog" >/dev/null 2>&1 ||
      die "$prog is not installed; deploy/install-deps.sh should have installed it"
  done
  [ -r "$ROOT_KEY" ] || die "$ROOT_KEY is missing (package dns-root-data)"
  for ((p = TOPOLOGY_BASE_PORT; p < TOPOLOGY_BASE_PORT + TOPOLOGY_PORT_COUNT; p++)); do
    ! port_busy "$p" || die "port $p is in use; the demo's directory topology needs ports" \
      "$TOPOLOGY_BASE_PORT-$((TOPOLOGY_BASE_PORT + TOPOLOGY_PORT_COUNT - 1)) on 127.0.0.1"
  done
  TAKEN=()
  NSD_PORT=$(pick_port 15353) || die "no free port for nsd in $PORT_FIRST-$PORT_LAST"
  TAKEN+=("$NSD_PORT")
  DEAD_PORT=$(pick_port 15399) || die "no free port for the dead root in $PORT_FIRST-$PORT_LAST"
  TAKEN+=("$DEAD_PORT")
  UNBOUND_PORT[1]=$(pick_port 15300) || die "no free port for Unbound in $PORT_FIRST-$PORT_LAST"
  TAKEN+=("${UNBOUND_PORT[1]}")
  UNBOUND_PORT[2]=$(pick_port 15301) || die "no free port for Unbound in $PORT_FIRST-$PORT_LAST"
  TAKEN+=("${UNBOUND_PORT[2]}")
  local ctl="$STATE/unbound1/unbound.ctl" ldapi="$STATE/topology/consumer1/ldapi"
  for p in "$ctl" "$ldapi"; do
    [ "${#p}" -le $SUN_PATH_MAX ] ||
      die "socket path $p is over $SUN_PATH_MAX bytes; use a shorter STATE"
  done
}

fresh_state() {
  local entry
  mkdir -p "$STATE"
  for entry in "${STATE_ENTRIES[@]}"; do
    rm -rf "${STATE:?}/$entry"
  done
  mkdir -p "$STATE/run"
  {
    echo "NSD_PORT=$NSD_PORT"
    echo "UNBOUND1_PORT=${UNBOUND_PORT[1]}"
    echo "UNBOUND2_PORT=${UNBOUND_PORT[2]}"
    echo "DEAD_PORT=$DEAD_PORT"
  } >"$STATE/run/ports.env"
}

start_topology() {
  phase "Starting the directory topology"
  "$TOPOLOGY_SH" start "$STATE/topology" --base-port "$TOPOLOGY_BASE_PORT"
  # shellcheck source=/dev/null
  source "$STATE/topology/topology.env"
  local var
  for var in PROVIDER1_URI PROVIDER2_URI CONSUMER1_URI CA_CERT PUBLISHER_DN \
    PUBLISHER_PASSWORD_FILE AGENT2_DN AGENT2_PASSWORD_FILE AGENT3_DN AGENT3_PASSWORD_FILE; do
    topo_var "$var" >/dev/null
  done
}

stamp() { date -u -d "$1" +%Y%m%d%H%M%S; }

sign_zone() {
  phase "Signing $ZONE and starting nsd"
  local dir="$STATE/zone" ksk zsk
  mkdir -p "$dir"
  chmod 700 "$dir"
  render demo.example.zone.in "$dir/demo.example.zone" "SERIAL=$(date +%s)"
  (
    cd "$dir"
    umask 077
    ksk=$(ldns-keygen -r /dev/urandom -a ECDSAP256SHA256 -k "$ZONE" | tail -n 1)
    zsk=$(ldns-keygen -r /dev/urandom -a ECDSAP256SHA256 "$ZONE" | tail -n 1)
    if [ ! -f "$ksk.key" ] || [ ! -f "$zsk.key" ]; then
      die "ldns-keygen made no key files"
    fi
    ldns-signzone -i "$(stamp '1 hour ago')" -e "$(stamp '30 days')" \
      -f demo.example.zone.signed demo.example.zone "$zsk" "$ksk"
    ldns-key2ds -n -2 "$ksk.key" >demo.example.ds
    echo "$ksk" >ksk.name
  )
  chmod 644 "$dir/demo.example.zone.signed" "$dir/demo.example.ds"
  echo "KSK $(cat "$dir/ksk.name"), DS:"
  cat "$dir/demo.example.ds"
}

start_nsd() {
  local dir="$STATE/nsd"
  mkdir -p "$dir"
  render nsd.conf.in "$dir/nsd.conf" "NSD_PORT=$NSD_PORT" "DIR=$dir" "ZONES_DIR=$STATE/zone"
  nsd-checkconf "$dir/nsd.conf" || die "nsd-checkconf rejected $dir/nsd.conf"
  spawn nsd "$dir/nsd.out" nsd -d -c "$dir/nsd.conf"
  if ! wait_answering "$NSD_ADDRESS" "$NSD_PORT" "$ZONE" nsd; then
    show_tail "$dir/nsd.out"
    show_tail "$dir/nsd.log"
    die "nsd did not start"
  fi
  note "nsd serves $ZONE on $NSD_ADDRESS:$NSD_PORT (pid $(live_pid nsd))"
}

start_unbounds() {
  phase "Starting two fenced Unbounds"
  local i name dir
  for i in 1 2; do
    name=unbound$i
    dir="$STATE/$name"
    mkdir -p "$dir"
    render unbound.conf.in "$dir/unbound.conf" "PORT=${UNBOUND_PORT[$i]}" "DIR=$dir" \
      "NSD_PORT=$NSD_PORT" "DEAD_PORT=$DEAD_PORT"
    : >"$dir/anchors.zone"
    printf 'server:\n' >"$dir/ntas.conf"
    unbound-checkconf "$dir/unbound.conf" >/dev/null ||
      die "unbound-checkconf rejected $dir/unbound.conf"
    spawn "$name" "$dir/stdout.log" unbound -d -c "$dir/unbound.conf"
  done
  for i in 1 2; do
    name=unbound$i
    if ! wait_answering "$UNBOUND_ADDRESS" "${UNBOUND_PORT[$i]}" "$ZONE" "$name"; then
      show_tail "$STATE/$name/stdout.log"
      show_tail "$STATE/$name/unbound.log"
      die "$name did not start"
    fi
    note "$name listens on $UNBOUND_ADDRESS:${UNBOUND_PORT[$i]} (pid $(live_pid "$name"))," \
      "stub $ZONE -> $NSD_ADDRESS:$NSD_PORT, everything else -> $DEAD_ADDRESS:$DEAD_PORT"
  done
}

start_agents() {
  phase "Starting two agents"
  local server number unbound dir port
  for server in "${SERVERS[@]}"; do
    number=${AGENT_NUMBER[$server]}
    unbound=${AGENT_UNBOUND[$server]}
    port=${UNBOUND_PORT[${unbound#unbound}]}
    dir="$STATE/$server"
    mkdir -p "$dir/state"
    chmod 700 "$dir" "$dir/state"
    render agent.yaml.in "$dir/anchorage.yaml" "SERVER=$server" \
      "READ_URI=$(topo_var "${AGENT_READS[$server]}")" \
      "PROVIDER1_URI=$(topo_var PROVIDER1_URI)" "PROVIDER2_URI=$(topo_var PROVIDER2_URI)" \
      "BIND_DN=$(topo_var "AGENT${number}_DN")" \
      "PASSWORD_FILE=$(topo_var "AGENT${number}_PASSWORD_FILE")" \
      "CA_FILE=$(topo_var CA_CERT)" "STATE_DIR=$dir/state" "RESOLVER_NAME=$unbound" \
      "UNBOUND_DIR=$STATE/$unbound" "UNBOUND_PORT=$port"
    "$AGENT_BIN" --check-config -c "$dir/anchorage.yaml" >/dev/null ||
      die "anchorage-agent rejected $dir/anchorage.yaml"
    spawn "agent-$server" "$dir/agent.log" "$AGENT_BIN" -c "$dir/anchorage.yaml"
  done
  for server in "${SERVERS[@]}"; do
    if ! wait_log "agent-$server" "$STATE/$server/agent.log" "Agent started"; then
      show_tail "$STATE/$server/agent.log"
      die "agent $server did not start"
    fi
    note "agent $server (pid $(live_pid "agent-$server")) reads" \
      "$(topo_var "${AGENT_READS[$server]}"), feeds ${AGENT_UNBOUND[$server]};" \
      "log $STATE/$server/agent.log"
  done
}

# Runs anchorctl with the publisher's configuration, echoing the command, bounded in time.
anchorctl_pub() {
  echo "\$ anchorctl -c $PUB_CONFIG $*"
  timeout --kill-after=5 "$ANCHORCTL_TIMEOUT_S" "$ANCHORCTL" -c "$PUB_CONFIG" "$@"
}

publish() {
  phase "Publishing the anchors with anchorctl"
  local dir="$STATE/publisher"
  mkdir -p "$dir"
  chmod 700 "$dir"
  PUB_CONFIG="$dir/publisher.yaml"
  render publisher.yaml.in "$PUB_CONFIG" "PROVIDER1_URI=$(topo_var PROVIDER1_URI)" \
    "BIND_DN=$(topo_var PUBLISHER_DN)" "PASSWORD_FILE=$(topo_var PUBLISHER_PASSWORD_FILE)" \
    "CA_FILE=$(topo_var CA_CERT)"
  local code=0
  anchorctl_pub root deploy --scope forest || code=$?
  [ "$code" -eq 0 ] || die "anchorctl root deploy failed (exit $code)"
  anchorctl_pub add "$ZONE" --from-file "$STATE/zone/demo.example.ds" --scope forest || code=$?
  [ "$code" -eq 0 ] || die "anchorctl add $ZONE failed (exit $code)"
  phase "Waiting for both agents to converge"
  anchorctl_pub status --scope forest --wait 30s || code=$?
  [ "$code" -eq 0 ] || die "anchorctl status: the agents did not converge within 30s (exit $code)"
}

# Queries Unbound $1 until the answer has AD or AD_TIMEOUT_S passes; prints the last answer and
# a verdict line. Returns 1 without AD.
check_unbound() {
  local i=$1 port=${UNBOUND_PORT[$1]} server=$2 out deadline flags
  deadline=$((SECONDS + AD_TIMEOUT_S))
  while true; do
    out=$(dig +dnssec +time=2 +tries=1 @"$UNBOUND_ADDRESS" -p "$port" "$PROBE" A 2>&1 || true)
    flags=$(sed -n 's/^;; flags: \([^;]*\);.*/\1/p' <<<"$out")
    if [[ " $flags " == *" ad "* ]] || ((SECONDS >= deadline)); then
      break
    fi
    sleep 0.5
  done
  say "unbound$i ($UNBOUND_ADDRESS:$port, fed by agent $server)"
  echo "\$ dig +dnssec @$UNBOUND_ADDRESS -p $port $PROBE A"
  echo "$out"
  if [[ " $flags " != *" ad "* ]]; then
    echo "RESULT unbound$i: AD flag NOT SET (flags: ${flags:-no answer}): $PROBE did not validate"
    return 1
  fi
  if ! grep -q "status: NOERROR" <<<"$out" ||
    ! grep -qE "^${PROBE}[[:space:]].*[[:space:]]A[[:space:]]+${PROBE_ADDRESS}\$" <<<"$out"; then
    echo "RESULT unbound$i: AD flag set, but the answer is not NOERROR with A $PROBE_ADDRESS"
    return 1
  fi
  echo "RESULT unbound$i: AD flag SET: $PROBE A $PROBE_ADDRESS is DNSSEC-validated"
}

on_start_exit() {
  local code=$?
  trap - EXIT
  if [ "$START_COMPLETE" -eq 0 ] && [ "$START_BEGAN" -eq 1 ]; then
    set +e
    echo >&2
    if [ "$code" -eq 130 ]; then
      note "start interrupted; stopping what it started" >&2
    else
      note "start failed (exit $code); stopping what it started" >&2
    fi
    local server
    for server in "${SERVERS[@]}"; do
      show_tail "$STATE/$server/agent.log"
    done
    stop_all >&2
  fi
  exit "$code"
}

cmd_start() {
  [ "$(id -u)" -eq 0 ] || die "run as root (packages, slapd over ldapi as uid 0)"
  local t0=$SECONDS server i status=0
  TIMINGS=()
  START_BEGAN=0
  START_COMPLETE=0
  trap on_start_exit EXIT
  trap 'exit 130' INT TERM
  # Refuse early, before the long steps, when a demo is already running.
  local running
  running=$(running_parts)
  if [ -n "$running" ]; then
    die "a demo is already running in $STATE ($(echo "$running" | paste -sd ' ')):" \
      "refusing to start another; run 'deploy/demo.sh stop' first"
  fi
  install
  phase "Checking programs and ports"
  preflight
  note "state in $STATE; nsd port $NSD_PORT, Unbound ports ${UNBOUND_PORT[1]} and" \
    "${UNBOUND_PORT[2]}, dead root $DEAD_ADDRESS:$DEAD_PORT"
  build
  fresh_state
  START_BEGAN=1
  start_topology
  sign_zone
  start_nsd
  start_unbounds
  start_agents
  publish
  phase "Querying both Unbounds"
  i=1
  for server in "${SERVERS[@]}"; do
    check_unbound "$i" "$server" || status=1
    i=$((i + 1))
  done
  phase ""
  START_COMPLETE=1
  say "Timings"
  printf '%s\n' "${TIMINGS[@]}"
  printf '%-40s %4d s\n' "total" $((SECONDS - t0))
  say "Running (stop with: deploy/demo.sh stop)"
  running_parts | sed 's/^/  /'
  if [ "$status" -ne 0 ]; then
    note "at least one Unbound did not validate $PROBE; everything is left running for a look" \
      "(logs in $STATE/*/); stop with deploy/demo.sh stop" >&2
    exit 1
  fi
  note "both Unbounds validate $PROBE with the anchors published through the directory"
}

cmd_stop() {
  STOPPED=0
  local status=0
  stop_all || status=1
  if [ "$STOPPED" -eq 0 ]; then
    note "nothing was running in $STATE"
  else
    note "stopped $STOPPED processes"
  fi
  return $status
}

[ $# -le 1 ] || usage
COMMAND=${1:-start}
STATE_ARG=${STATE:-$TOP/.state/demo}
[[ "$STATE_ARG" =~ ^[A-Za-z0-9._/-]+$ ]] ||
  die "STATE may contain only letters, digits, '.', '_', '-' and '/'"
STATE=$(realpath -m "$STATE_ARG")
[ "$STATE" != "/" ] || die "STATE must not be /"
readonly STATE
declare -a UNBOUND_PORT=()
case "$COMMAND" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
