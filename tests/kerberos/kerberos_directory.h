// SPDX-License-Identifier: Apache-2.0
//
// A throwaway Kerberos realm and a slapd that accepts SASL GSSAPI binds (RFC 4752), both on
// 127.0.0.1 and both living in one temporary directory: an MIT KDC (krb5kdc -n, realm database
// made with kdb5_util), keytabs for the LDAP service and for one client, a CA and a server
// certificate made with openssl, and a slapd with a cn=config of its own whose olcAuthzRegexp maps
// the client principal to a directory entry. Both servers are stopped by PID when the object goes
// away, also when a test fails. Nothing is written outside the temporary directory: the KDC, the
// Kerberos tools, slapd and the test process are pointed at private files through KRB5_CONFIG,
// KRB5_KDC_PROFILE, KRB5CCNAME, KRB5_CLIENT_KTNAME, KRB5RCACHEDIR, KRB5_KTNAME and LDAPCONF.

#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/ports.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "util/result.h"

namespace anchorage::testing {

/// Names the programs and the SASL plugin a KerberosDirectory needs that this machine lacks
/// (krb5kdc, kdb5_util, kadmin.local, kinit, klist, slapd, slapadd, openssl, the Cyrus SASL
/// GSSAPI module); empty when everything is present.
std::vector<std::string> missingKerberosTools();

/// A running KDC and slapd for GSSAPI bind tests.
class KerberosDirectory {
 public:
  /// The realm of the test KDC.
  static constexpr const char* kRealm = "ANCHORAGE.TEST";
  /// The client principal that gets a keytab (kinit -k) and a directory entry.
  static constexpr const char* kClientPrincipal = "agent@ANCHORAGE.TEST";
  /// The DN olcAuthzRegexp maps kClientPrincipal to; the entry exists and may read the tree.
  static constexpr const char* kClientDn = "cn=agent,ou=system,dc=example,dc=com";
  /// The suffix of the directory.
  static constexpr const char* kSuffix = "dc=example,dc=com";

  /// Creates the realm and the directory and starts both servers on ports taken from
  /// [first_port, last_port]. Sets, for this whole process, the environment variables the
  /// Kerberos and LDAP client libraries read (KRB5_CONFIG, KRB5CCNAME, LDAPCONF,
  /// LDAPSASL_NOCANON, ...): call it before anything in the process has used libldap, whose
  /// configuration is read once. Errors: a tool failed (kIo, with its output in the fields), a
  /// server did not come up (kUnavailable, with its log), no free port (kUnavailable).
  static Result<std::unique_ptr<KerberosDirectory>> start(uint16_t first_port, uint16_t last_port);

  /// Stops slapd and the KDC by PID and removes the temporary directory.
  ~KerberosDirectory();
  KerberosDirectory(const KerberosDirectory&) = delete;
  KerberosDirectory& operator=(const KerberosDirectory&) = delete;

  /// "ldap://localhost:<port>/": plain LDAP, for StartTLS or the SASL security layer.
  std::string ldapUri() const;
  /// "ldaps://localhost:<port>/".
  std::string ldapsUri() const;
  /// The CA certificate the server certificate chains to.
  std::string caFile() const { return dir_.file("ca.pem"); }
  /// A path inside the temporary directory (nothing is created).
  std::string file(const std::string& name) const { return dir_.file(name); }

  /// Gets a ticket-granting ticket for kClientPrincipal from its keytab into the credential
  /// cache file `ccache_path`, valid for `lifetime` (the KDC's maximum when unset). Errors: kinit
  /// failed (kIo, with its output).
  Result<void> kinitClient(const std::string& ccache_path,
                           std::optional<std::chrono::seconds> lifetime = std::nullopt) const;

  /// True when `ccache_path` holds a ticket-granting ticket that has not expired (klist -s).
  bool hasValidTicket(const std::string& ccache_path) const;

  /// Makes `ccache_path` the default credential cache of this process (KRB5CCNAME), which the
  /// GSSAPI mechanism reads at every bind.
  static void useCcache(const std::string& ccache_path);

 private:
  explicit KerberosDirectory(testsupport::TempDir dir) : dir_(std::move(dir)) {}

  Result<void> writeKerberosConfig();
  Result<void> createRealm();
  Result<void> startKdc();
  Result<void> makeCertificates();
  Result<void> writeSlapdConfig();
  Result<void> startSlapd();
  Result<testsupport::CommandOutput> run(const std::vector<std::string>& argv,
                                         const std::string& log_name) const;

  testsupport::TempDir dir_;
  std::vector<testsupport::PortReservation> ports_;
  uint16_t kdc_port_ = 0;
  uint16_t ldap_port_ = 0;
  uint16_t ldaps_port_ = 0;
  std::optional<testsupport::Process> kdc_;
  std::optional<testsupport::Process> slapd_;
};

}  // namespace anchorage::testing
