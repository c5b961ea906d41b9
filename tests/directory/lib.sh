# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
#
# Shared helpers of the directory tests (sourced, not run): assertions that count and report,
# hermetic LDAP client settings, and slapd instances started and stopped by recorded PID.

set -uo pipefail

# shellcheck disable=SC2034  # used by the scripts that source this file
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034
readonly REPO
PASSED=0
FAILED=0
SLAPD_PIDS=()

# Client tools read neither /etc/ldap/ldap.conf nor ~/.ldaprc; LDAPTLS_* still apply.
export LDAPCONF=/dev/null
export LDAPRC=anchorage-tests-no-ldaprc

pass() {
  PASSED=$((PASSED + 1))
  echo "ok   $1"
}

fail() {
  FAILED=$((FAILED + 1))
  echo "FAIL $1" >&2
}

# expect_rc WANT DESCRIPTION COMMAND...: runs COMMAND, passes when its exit code is WANT.
expect_rc() {
  local want=$1 what=$2 rc
  shift 2
  "$@" >"$WORK/last.out" 2>&1
  rc=$?
  if [ "$rc" -eq "$want" ]; then
    pass "$what"
  else
    fail "$what (exit $rc, want $want)"
    sed 's/^/     /' "$WORK/last.out" | head -n 8 >&2
  fi
}

# expect_eq WANT GOT DESCRIPTION
expect_eq() {
  if [ "$1" == "$2" ]; then
    pass "$3"
  else
    fail "$3 (got '$2', want '$1')"
  fi
}

# wait_for SECONDS COMMAND...: retries COMMAND every 0.1 s until it succeeds or time runs out.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  while ! "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep 0.1
  done
}

# DNs (one per line, unfolded) returned by ldapsearch ARGS...
search_dns() {
  ldapsearch -LLL -o ldif-wrap=no "$@" dn 2>/dev/null | sed -n 's/^dn: //p' | sort
}

# start_slapd NAME ARGS...: starts slapd ARGS -d none in the background, records its PID.
start_slapd() {
  local name=$1
  shift
  slapd "$@" -d none >>"$WORK/$name.log" 2>&1 </dev/null &
  SLAPD_PIDS+=("$!")
}

# Stops one slapd by PID: TERM, up to 10 s, then KILL; only if it is still a slapd.
stop_pid() {
  local pid=$1 _
  [[ "$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" == slapd* ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    [ -n "$(tr -d '\0' 2>/dev/null <"/proc/$pid/cmdline")" ] || break
    sleep 0.1
  done
  if [ -n "$(tr -d '\0' 2>/dev/null <"/proc/$pid/cmdline")" ]; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

stop_all_slapd() {
  local pid
  for pid in "${SLAPD_PIDS[@]}"; do
    stop_pid "$pid"
  done
  SLAPD_PIDS=()
}

# wait_ldapi URI: until root can bind over the socket (10 s).
wait_ldapi() {
  wait_for 10 env LDAPNOINIT=1 ldapwhoami -Q -Y EXTERNAL -H "$1"
}

ldapi_uri() { echo "ldapi://${1//\//%2F}"; }

finish() {
  echo "passed $PASSED, failed $FAILED"
  [ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
}
