// SPDX-License-Identifier: Apache-2.0
//
// The YAML configuration shared by anchorage-agent and anchorctl (DESIGN §4, §5): plain structs
// with their defaults, and the loader that validates everything up front (types, ranges,
// enumerations, required keys, durations, LDAP URIs, absolute paths, host:port addresses, and
// that no password or directory data crosses the network unencrypted unless the file says so).
// The documented example is deploy/anchorage.yaml.example; the smallest valid file is
//
//   directory: { read: [ldapi:///] }
//
// Unknown keys are errors (with the closest known key suggested), so a misspelt setting never
// silently falls back to its default. Errors point at the offending line, column and key.

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/duration.h"
#include "util/log.h"
#include "util/result.h"

namespace anchorage::config {

/// The largest configuration file read: 1 MiB.
inline constexpr size_t kMaxConfigBytes = size_t{1} << 20;

/// The URI schemes a directory server may be reached through.
enum class LdapScheme {
  kLdap,   ///< ldap://: TCP, upgraded with StartTLS unless plaintext is allowed.
  kLdaps,  ///< ldaps://: TLS from the first byte.
  kLdapi,  ///< ldapi://: a local UNIX socket (no TLS needed; SASL EXTERNAL uses peer credentials).
};

/// One directory server URI as written (scheme in lower case), with its scheme.
struct LdapUri {
  LdapScheme scheme = LdapScheme::kLdapi;
  std::string text;  ///< E.g. "ldaps://ldap1.example.com" or "ldapi://%2Frun%2Fslapd%2Fldapi".
};

/// A TCP/UDP endpoint written "host:port": an IPv4 address, a bracketed IPv6 address
/// ("[::1]:53", stored without brackets) or a host name; port 1 to 65535.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};

/// How the agent and anchorctl authenticate to the directory.
enum class BindMethod {
  kExternal,  ///< SASL EXTERNAL: peer credentials on ldapi://, the TLS client certificate else.
  kSimple,    ///< Simple bind with `dn` and the password read from `password_file`.
  kGssapi,    ///< SASL GSSAPI (Kerberos), with the credentials of the process.
};

/// directory.bind.
struct BindConfig {
  BindMethod method = BindMethod::kExternal;  ///< `method`: external | simple | gssapi.
  std::string dn;             ///< `dn`: bind DN; required for simple, refused for the others.
  std::string password_file;  ///< `password_file`: absolute path; required for simple only.
};

/// directory.tls: certificate verification is always on.
struct TlsConfig {
  std::string ca_file = "/etc/ssl/certs/ca-certificates.crt";  ///< `ca_file`: trusted CAs.
  std::string cert_file;  ///< `cert_file`: client certificate; empty for none. With key_file.
  std::string key_file;   ///< `key_file`: its private key; empty for none. With cert_file.
  bool starttls = true;   ///< `starttls`: upgrade ldap:// connections with StartTLS.
};

/// directory.timeouts.
struct TimeoutConfig {
  /// `network`: connecting, TCP and TLS handshake included; 1ms to 1h.
  Duration network = std::chrono::seconds(5);
  /// `operation`: one LDAP request; 1ms to 1h.
  Duration operation = std::chrono::seconds(10);
  /// `liveness`: silence after which a server counts as dead and the next URI is tried; 1s to 1d.
  Duration liveness = std::chrono::seconds(30);
};

/// directory.reconnect: exponential back-off between attempts.
struct ReconnectConfig {
  /// `min_delay`: the first wait; 1ms to 1h.
  Duration min_delay = std::chrono::seconds(1);
  /// `max_delay`: the longest wait; min_delay to 1d.
  Duration max_delay = std::chrono::seconds(60);
};

/// directory.
struct DirectoryConfig {
  std::vector<LdapUri> read;     ///< `read`: required, non-empty; nearest first, tried in order.
  std::vector<LdapUri> write;    ///< `write`: providers for status and RFC 5011 writes; = read.
  BindConfig bind;               ///< `bind`: default SASL EXTERNAL.
  TlsConfig tls;                 ///< `tls`.
  bool allow_plaintext = false;  ///< `allow_plaintext`: permit ldap:// without StartTLS.
  TimeoutConfig timeouts;        ///< `timeouts`.
  ReconnectConfig reconnect;     ///< `reconnect`.
};

/// What kind of directory data a scope is.
enum class ScopeType {
  kAnchorage,        ///< An Anchorage container (cn=Anchorage) in an OpenLDAP naming context.
  kActiveDirectory,  ///< The TrustAnchors zone of an AD DNS partition, as Windows Server keeps it.
};

/// One explicitly listed replication scope (DESIGN §2).
struct ScopeConfig {
  std::string name;  ///< `name`: short label used in logs and metrics ([a-z0-9_-], unique).
  std::string base;  ///< `base`: the naming context, e.g. "dc=ForestDnsZones,dc=example,dc=com".
  ScopeType type = ScopeType::kAnchorage;  ///< `type`: anchorage | ad.
  /// `trusted_owners` (ad only): SIDs ("S-1-5-21-...-1101") of the accounts and groups whose
  /// TrustAnchors nodes are accepted; a node owned by a member of a listed group counts too.
  /// Empty: Domain Admins, Enterprise Admins, DnsAdmins and Enterprise Domain Controllers.
  std::vector<std::string> trusted_owners;
  /// `poll_interval` (ad only): how often DirSync is asked for changes; 100ms to 1h.
  Duration poll_interval = std::chrono::seconds(2);
  /// `reconcile_interval` (ad only): how often the whole zone is read again whatever DirSync
  /// said, so that no deletion is missed; 1s to 1d.
  Duration reconcile_interval = std::chrono::minutes(5);
};

/// scopes: `auto` (every naming context holding cn=Anchorage that this server replicates), or
/// a non-empty list of scopes.
struct ScopesConfig {
  bool automatic = true;            ///< True for `scopes: auto` (the default).
  std::vector<ScopeConfig> listed;  ///< The list when not automatic.
};

/// The resolver families a writer exists for (DESIGN §4.5).
enum class ResolverType { kUnbound, kBind, kKnot, kPdns, kResolved };

/// A verification query: a name under a trust point that must validate once it is applied.
struct ProbeConfig {
  std::string trust_point;  ///< Canonical absolute name, e.g. "corp.example.".
  std::string query_name;   ///< Canonical absolute name at or below trust_point.
};

/// One entry of `resolvers`. Command lists left out (or written `[]`) use the writer's built-in
/// commands for the type (see src/writers); fields that are not given take the defaults of
/// resolverDefaults().
struct ResolverConfig {
  ResolverType type = ResolverType::kUnbound;  ///< `type`: required.
  std::string name;         ///< `name`: unique, [A-Za-z0-9_.-]; default the type's name.
  std::string anchor_file;  ///< `anchor_file`: absolute path of the file the writer owns.
  /// `nta_file`: unbound: the included file of domain-insecure lines; resolved: the *.negative
  /// file. Other types keep NTAs elsewhere and refuse the key.
  std::string nta_file;
  /// `control_command`: argv prefix of the resolver's control tool, e.g. [unbound-control, -c,
  /// /etc/unbound/unbound.conf] or [rndc, -s, 127.0.0.1, -p, "953"]; default: the tool alone.
  std::vector<std::string> control_command;
  std::vector<std::string> check_command;   ///< `check_command`: argv run before reloading.
  std::vector<std::string> reload_command;  ///< `reload_command`: argv that applies the file.
  /// `flush_command`: argv that drops cached answers. An argument containing `{zone}` has it
  /// replaced by a changed trust point, and the command runs once per changed trust point.
  std::vector<std::string> flush_command;
  std::string control_socket;  ///< `control_socket`: knot only; absolute path of kresd's socket.
  HostPort address{"127.0.0.1", 53};  ///< `address`: where probe queries are sent.
  std::vector<ProbeConfig> probes;    ///< `probes`: {trust point: query name}; default none.
  /// `timeout`: limit for each command and each probe; 1ms to 10m.
  Duration timeout = std::chrono::seconds(5);
  /// `verify_timeout`: limit for the whole verification, probes retried within it; 1ms to 10m.
  Duration verify_timeout = std::chrono::seconds(10);
  /// `file_mode`: octal string, "0000" to "0777", like "0644". Unset: an existing file keeps its
  /// mode, a new one gets 0644 (util::FileAttributes).
  std::optional<uint32_t> file_mode;
  std::optional<std::string> file_owner;  ///< `file_owner`: user name or id; unset keeps.
  std::optional<std::string> file_group;  ///< `file_group`: group name or id; unset keeps.
};

/// guard: protection against mass removal (DESIGN §4.4).
struct GuardConfig {
  double max_removal_share = 0.5;   ///< `max_removal_share`: 0 to 1 of all anchors at once.
  bool allow_mass_removal = false;  ///< `allow_mass_removal`: apply such changes without holding.
};

/// metrics: the Prometheus endpoint. Absent: disabled. Present (even empty): enabled.
struct MetricsConfig {
  bool enabled = false;                ///< True when the `metrics` key is present.
  HostPort listen{"127.0.0.1", 9753};  ///< `listen`: address and port to serve /metrics on.
};

/// rfc5011: automatic trust anchor update (RFC 5011). One agent per scope, elected through a
/// lease in the directory, probes every auto-update trust point and writes the key states; every
/// agent applies them. The durations of RFC 5011 are kept as defaults; tests shorten them.
struct Rfc5011Config {
  bool enabled = true;  ///< `enabled`: take part in the election of the scope's refresher.
  /// `servers`: where DNSKEY probes go, tried in order; default: the first resolver's address.
  std::vector<HostPort> servers;
  /// `lease`: how long the refresher's lease lasts; it renews at a third; 1s to 1h.
  Duration lease = std::chrono::seconds(90);
  Duration add_hold_down = std::chrono::hours(24 * 30);     ///< `add_hold_down`: 1s to 365d.
  Duration remove_hold_down = std::chrono::hours(24 * 30);  ///< `remove_hold_down`: 1s to 365d.
  /// `min_refresh`: the 1 hour floor of the refresh and retry intervals (§2.3); 1s to 1d.
  Duration min_refresh = std::chrono::hours(1);
  /// `max_refresh`: the 15 day ceiling of the active refresh interval; min_refresh to 365d.
  Duration max_refresh = std::chrono::hours(24 * 15);
  /// `max_retry`: the 1 day ceiling of the retry interval; min_refresh to 365d.
  Duration max_retry = std::chrono::hours(24);
};

/// Log encodings; journald writes native journal entries with the fields as journal fields.
enum class LogFormat { kLogfmt, kJson, kJournald };

/// log.
struct LogConfig {
  LogFormat format = LogFormat::kLogfmt;   ///< `format`: logfmt | json | journald.
  util::Level level = util::Level::kInfo;  ///< `level`: error | warning | notice | info | debug.
};

/// publisher (anchorctl): signs the anchors it publishes.
struct PublisherConfig {
  std::string signing_key_file;  ///< `signing_key_file`: Ed25519 private key; empty: unsigned.
};

/// The whole configuration. Defaults of the top-level keys:
/// server: the host name (gethostname); scopes: auto; state_dir: /var/lib/anchorage;
/// resolvers: none; guard: as GuardConfig; debounce: 200ms (0 to 10m); metrics: disabled;
/// log: logfmt at info; publisher: none; rfc5011: as Rfc5011Config; trusted_publishers: none
/// (unsigned anchors accepted).
struct Config {
  std::string server;  ///< `server`: this DNS server's name, for its status entry; lower case.
  DirectoryConfig directory;                     ///< `directory`: required.
  ScopesConfig scopes;                           ///< `scopes`.
  std::string state_dir = "/var/lib/anchorage";  ///< `state_dir`: sync cookies and state.
  std::vector<ResolverConfig> resolvers;         ///< `resolvers`: the resolvers this agent feeds.
  GuardConfig guard;                             ///< `guard`.
  /// `debounce`: quiet time after a change before applying, so a burst is applied once; 0-10m.
  Duration debounce = std::chrono::milliseconds(200);
  MetricsConfig metrics;      ///< `metrics`.
  LogConfig log;              ///< `log`.
  PublisherConfig publisher;  ///< `publisher`.
  Rfc5011Config rfc5011;      ///< `rfc5011`.
  /// `trusted_publishers`: absolute paths of Ed25519 public keys; when not empty the agent
  /// refuses anchors that none of them signed.
  std::vector<std::string> trusted_publishers;
};

/// The paths a resolver type fills in for the fields a `resolvers` entry leaves out.
struct ResolverDefaults {
  std::string anchor_file;
  std::string nta_file;
  std::string control_socket;
};

/// Returns the defaults of `type`:
///   unbound:  /etc/unbound/anchorage.anchors, NTAs /etc/unbound/anchorage-insecure.conf;
///   bind:     /etc/bind/anchorage.conf (NTAs through rndc nta);
///   knot:     /etc/knot-resolver/anchorage.anchors, control_socket /run/knot-resolver/control/1;
///   pdns:     /etc/powerdns/anchorage.lua;
///   resolved: /etc/dnssec-trust-anchors.d/anchorage.positive, NTAs anchorage.negative beside it.
ResolverDefaults resolverDefaults(ResolverType type);

/// Returns the configuration name of `type`: "unbound", "bind", "knot", "pdns", "resolved".
const char* resolverTypeName(ResolverType type);

/// Returns "external", "simple" or "gssapi".
const char* bindMethodName(BindMethod method);

/// Returns "logfmt", "json" or "journald".
const char* logFormatName(LogFormat format);

/// Parses and validates configuration `text`; `source` names it in errors (usually the path).
/// Errors have code kConfig, a message saying what was expected, and the fields `file`,
/// `line`, `column` (1-based) and `key` (a dotted path like `resolvers[1].reload_command`, absent
/// when the problem is not inside a key, e.g. bad UTF-8); some add `suggestion` (the closest
/// known key or value), `value` (the offending text, shortened) or `detail` (yaml-cpp's words).
Result<Config> parseConfig(std::string_view text, std::string_view source);

/// Reads `path` (at most kMaxConfigBytes) and parses it as parseConfig() does. A file that
/// cannot be read gives code kConfig with fields `file` and `reason`.
Result<Config> loadConfigFile(const std::string& path);

/// Formats a configuration error for people, like a compiler:
/// "FILE:LINE:COLUMN: KEY: MESSAGE; did you mean 'SUGGESTION'? (DETAIL)"; parts that the error
/// does not have are left out. Other errors are formatted with Error::toString().
std::string describeConfigError(const Error& error);

}  // namespace anchorage::config
