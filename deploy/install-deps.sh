#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Installs every Debian 12 package that building, running and testing Anchorage need.
# Idempotent: packages already present are left alone. Runs as root on a fresh machine.
# While packages install, /usr/sbin/policy-rc.d exits 101 so that postinst scripts start no
# system daemon (slapd, nsd, unbound, named, kresd, pdns_recursor, smbd, nmbd would otherwise take
# the standard ports); the file is removed afterwards if this script created it.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
  # libraries
  libldap-dev libsasl2-dev libldns-dev libssl-dev libyaml-cpp-dev libcli11-dev
  nlohmann-json3-dev libpugixml-dev libsystemd-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev
  # directory
  slapd ldap-utils
  # Kerberos: a real KDC for the GSSAPI bind test
  krb5-kdc krb5-admin-server krb5-user libsasl2-modules-gssapi-mit
  # Samba AD DC for the Active Directory tests (tests/samba): the daemon and samba-tool, the DC's
  # ldb modules, the provisioning data, the VFS modules provisioning sets sysvol ACLs with, and
  # nss_wrapper for name resolution without /etc/hosts
  samba samba-dsdb-modules samba-ad-provision samba-vfs-modules libnss-wrapper
  # DNS: authoritative server, resolvers, tools, root anchor data
  nsd unbound bind9 bind9-utils bind9-dnsutils knot-resolver pdns-recursor ldnsutils
  dns-root-data
  # test helpers (groff-base: the man.lint test renders the manual pages)
  openssl procps iproute2 python3 groff-base
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root" >&2
  exit 77
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() { if [ "$created_policy" -eq 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=900 update -q
apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${missing[@]}"
