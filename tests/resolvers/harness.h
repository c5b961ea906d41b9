// SPDX-License-Identifier: Apache-2.0
//
// Test harness for the resolver tests: two zones signed at test time (corp.example., algorithm 13
// with NSEC; rsa.example., algorithm 8 with NSEC3, RFC 5155) served by nsd on 127.0.0.2, and one
// launcher per resolver (Unbound, BIND 9, Knot Resolver, PowerDNS Recursor) that runs it on
// loopback with the fences of shared/notes/resolvers.md §1: every outgoing query from a loopback
// source address, every name outside the test zones forwarded to a dead loopback port, no
// built-in root anchor. Each resolver gets a temporary directory, free ports, and is stopped by PID
// when its launcher goes away.

#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "dns/client.h"
#include "model/anchor.h"
#include "support/ports.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "util/result.h"
#include "writers/writer.h"

namespace anchorage::resolvertest {

/// Ports handed out to this group's servers.
inline constexpr uint16_t kFirstPort = 15400;
inline constexpr uint16_t kLastPort = 15999;

/// Loopback addresses of the test topology (notes §2).
inline constexpr const char* kNsdAddress = "127.0.0.2";
inline constexpr const char* kDeadAddress = "127.0.0.9";
inline constexpr const char* kCheckerAddress = "127.0.0.8";

/// One signed test zone and anchors for it.
struct SignedZone {
  model::DomainName name;
  model::TrustAnchor ds;        ///< SHA-256 DS of the KSK.
  model::TrustAnchor dnskey;    ///< The KSK itself.
  model::TrustAnchor wrong_ds;  ///< The DS with its last digest octet changed.
  std::string probe;            ///< "www.<zone>": has an A record.
  std::string lab_probe;        ///< "www.lab.<zone>": A record below lab.<zone>.
  std::string ds_line;          ///< What ldns-key2ds printed for the KSK.
  std::string ksk_key;          ///< Base name of the KSK's key files in the network directory.
  std::string zsk_key;          ///< Base name of the ZSK's key files.
};

/// The signed zones and the nsd that serves them.
class TestNetwork {
 public:
  /// Creates keys, signs both zones and starts nsd. Errors: a tool is missing or fails.
  static Result<std::unique_ptr<TestNetwork>> create();

  const SignedZone& corp() const { return corp_; }
  const SignedZone& rsa() const { return rsa_; }
  uint16_t nsdPort() const { return nsd_port_->port(); }
  uint16_t deadPort() const { return dead_port_->port(); }
  const std::string& directory() const { return dir_->path(); }

  /// Whether nsd is still running.
  bool nsdRunning() const { return nsd_ && nsd_->running(); }

  // Key rollovers (RFC 5011 tests): keys are files in the network directory named by their base
  // name, as ldns-keygen makes them.

  /// Makes a key for `zone` (a KSK, flags 257, when `ksk`), algorithm 13; returns its base name.
  Result<std::string> makeKey(std::string_view zone, bool ksk);
  /// Sets the REVOKE bit in key file `base` (ldns-revoke); later signings publish it revoked.
  Result<void> revokeKey(const std::string& base);
  /// The DNSKEY in key file `base` as it stands.
  Result<model::DnskeyRdata> keyOf(const std::string& base) const;
  /// Re-signs `zone` with exactly `keys` (each published and signing), every record with TTL
  /// `ttl`, and a higher SOA serial; returns once nsd serves that serial.
  Result<void> resignZone(std::string_view zone, const std::vector<std::string>& keys,
                          uint32_t ttl);

 private:
  TestNetwork() = default;
  Result<SignedZone> signZone(std::string_view zone, bool rsa_nsec3);
  Result<void> startNsd();

  std::optional<testsupport::TempDir> dir_;
  std::optional<testsupport::PortReservation> nsd_port_;
  std::optional<testsupport::PortReservation> dead_port_;
  std::optional<testsupport::Process> nsd_;
  SignedZone corp_;
  SignedZone rsa_;
  std::map<std::string, uint32_t> serials_;
};

/// A resolver under test: config in its own temporary directory, started in the foreground as a
/// child, stopped by PID in the destructor.
class ResolverServer {
 public:
  virtual ~ResolverServer() = default;

  /// "unbound", "named", "kresd", "pdns_recursor".
  virtual std::string_view program() const = 0;

  /// Writes the configuration (no anchors yet), starts the resolver and waits until it answers.
  Result<void> start(const TestNetwork& network);

  /// Settings for the writer of this resolver: files, control, address, probes for both zones.
  virtual writers::WriterSettings writerSettings() const = 0;

  /// Sends `name`/`type` with DO=1 and AD=1 to the resolver.
  Result<dns::Response> query(
      std::string_view name, uint16_t type = dns::kTypeA,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) const;

  /// The address and port it listens on.
  virtual std::string address() const = 0;
  uint16_t port() const { return port_->port(); }

  /// Stops the resolver by PID (SIGTERM, a bounded wait, SIGKILL); the destructor does the same.
  testsupport::ExitStatus stop();

  /// Whether the resolver process is still running, and its PID.
  bool running() const { return process_ && process_->running(); }
  pid_t pid() const { return process_ ? process_->pid() : -1; }

  /// Its log (stdout, stderr and any log file), for failure messages.
  std::string log() const;

  /// The temporary directory.
  const std::string& directory() const { return dir_->path(); }

 protected:
  /// Writes the configuration and initial (empty) anchor files; returns the argv to run.
  virtual Result<std::vector<std::string>> prepare(const TestNetwork& network) = 0;
  /// File the resolver logs to besides stdout, if any.
  virtual std::string logFile() const { return {}; }

  writers::WriterSettings baseSettings(const TestNetwork* network = nullptr) const;

  std::optional<testsupport::TempDir> dir_;
  std::optional<testsupport::PortReservation> port_;
  std::optional<testsupport::Process> process_;
  std::string corp_probe_;
  std::string rsa_probe_;
};

/// Unbound on 127.0.0.3, control over a unix socket.
class UnboundServer : public ResolverServer {
 public:
  std::string_view program() const override { return "unbound"; }
  writers::WriterSettings writerSettings() const override;
  std::string address() const override { return "127.0.0.3"; }

 protected:
  Result<std::vector<std::string>> prepare(const TestNetwork& network) override;
  std::string logFile() const override;
};

/// BIND 9 listening on 127.0.0.1 (P1), querying from 127.0.0.4, rndc on 127.0.0.1.
class BindServer : public ResolverServer {
 public:
  std::string_view program() const override { return "named"; }
  writers::WriterSettings writerSettings() const override;
  std::string address() const override { return "127.0.0.1"; }

 protected:
  Result<std::vector<std::string>> prepare(const TestNetwork& network) override;
  std::string logFile() const override;

 private:
  std::optional<testsupport::PortReservation> rndc_port_;
};

/// Knot Resolver on 127.0.0.5 with KnotWriter::configSnippet() in its configuration.
class KnotServer : public ResolverServer {
 public:
  std::string_view program() const override { return "kresd"; }
  writers::WriterSettings writerSettings() const override;
  std::string address() const override { return "127.0.0.5"; }

 protected:
  Result<std::vector<std::string>> prepare(const TestNetwork& network) override;
};

/// PowerDNS Recursor on 127.0.0.6 with the anchor fragment dofile()d from its Lua config.
class PowerDnsServer : public ResolverServer {
 public:
  std::string_view program() const override { return "pdns_recursor"; }
  writers::WriterSettings writerSettings() const override;
  std::string address() const override { return "127.0.0.6"; }

 protected:
  Result<std::vector<std::string>> prepare(const TestNetwork& network) override;
};

/// True when `program` is found in PATH (or /usr/sbin, /sbin).
bool haveProgram(std::string_view program);

}  // namespace anchorage::resolvertest
