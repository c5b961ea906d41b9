// SPDX-License-Identifier: Apache-2.0
//
// Scope definitions and the cn=config changes that make a server hold a scope (DESIGN §2, §3).
// A scope definition names a scope's naming context and the servers that must hold it; it is
// kept as an anchorageScopeDefinition entry under ou=scopes of the admin naming context. The
// plan for one server is the mdb database and syncprov overlay that deploy/slapd/gen-config
// writes for a scope, with the facts only the server knows (database directory, replication
// account, replica ids, syncprov tuning, the account DNs of its access rules) read from that
// server's own cn=config. Everything here is pure: no connection, no file; src/cli/scope.cc does
// the I/O.

#pragma once

#include <optional>
#include <string>
#include <vector>

#include "directory/session.h"
#include "util/result.h"

namespace anchorage::directory {

/// How a server holds a scope: a writable multi-provider replica or a read-only consumer.
enum class ServerRole { kProvider, kConsumer };

/// "provider" or "consumer".
const char* serverRoleName(ServerRole role);

/// One server of a scope definition.
struct ScopeServer {
  std::string name;  ///< Short server name: letters, digits, '.', '-' (e.g. "provider1").
  ServerRole role = ServerRole::kConsumer;
  std::string admin_uri;  ///< Where its cn=config is managed: ldapi://, ldap:// or ldaps://.
  /// Providers only: the URI the other servers replicate from (syncrepl provider=).
  std::string replication_uri;

  bool operator==(const ScopeServer&) const = default;
};

/// A scope definition: name, naming context, and the servers that hold it (sorted by name).
struct ScopeDefinition {
  std::string name;    ///< [a-z0-9][a-z0-9_-]*, at most 64 characters.
  std::string suffix;  ///< The naming context, cleaned (see cleanDn()).
  std::vector<ScopeServer> servers;

  /// The providers, in name order. Consumers refer writes to the first.
  std::vector<const ScopeServer*> providers() const;
};

/// The DN with the blanks around its separators removed, after the checks deploy/slapd/gen-config
/// makes: no escapes, quotes, multi-valued RDNs or characters the access-rule patterns cannot
/// carry, attribute types of letters, digits and '-', non-empty values, printable ASCII only.
/// kInvalidInput otherwise.
Result<std::string> cleanDn(const std::string& dn);

/// Checks a scope naming context: cleanDn(), and the first RDN is dc=, ou= or o= (the object
/// class of the base entry follows from it). Returns the cleaned DN; kInvalidInput otherwise.
Result<std::string> cleanScopeSuffix(const std::string& dn);

/// True when `inner` lies strictly below `outer` (cleaned DNs, compared without case).
bool isBelow(const std::string& inner, const std::string& outer);

/// Builds and validates a definition from the command line: `servers` items are NAME=ADMIN_URI,
/// `providers` items NAME=REPLICATION_URI naming servers of `servers`; the others are consumers.
/// Errors (kInvalidInput): a bad name, DN or URI, a duplicate server, a provider that is not a
/// server, no provider at all, or a suffix that is, contains or lies in `admin_suffix`.
Result<ScopeDefinition> makeDefinition(const std::string& name, const std::string& suffix,
                                       const std::vector<std::string>& servers,
                                       const std::vector<std::string>& providers,
                                       const std::string& admin_suffix);

/// True when both name the same suffix (ignoring case) and the same servers.
bool sameDefinition(const ScopeDefinition& a, const ScopeDefinition& b);

/// ou=scopes,<admin suffix>: the container of the definitions.
std::string definitionsContainer(const std::string& admin_suffix);
/// The entry that creates the container.
Entry entryForDefinitionsContainer(const std::string& admin_suffix);
/// cn=<name>,ou=scopes,<admin suffix>.
std::string definitionDn(const std::string& admin_suffix, const std::string& name);
/// The anchorageScopeDefinition entry of `definition`.
Entry entryForDefinition(const std::string& admin_suffix, const ScopeDefinition& definition);
/// Reads a definition entry strictly; kInvalidInput names what is wrong.
Result<ScopeDefinition> definitionFromEntry(const Entry& entry);

/// One anchorageScopeServer value: "name=N role=R admin-uri=U[ replication-uri=U]".
std::string formatServerValue(const ScopeServer& server);
/// Parses one anchorageScopeServer value; kInvalidInput when it is malformed.
Result<ScopeServer> parseServerValue(const std::string& value);

/// The scope's base entry (domain, organizationalUnit or organization by its first RDN), as
/// deploy/slapd/gen-base writes it. kInvalidInput for a suffix cleanScopeSuffix() refuses.
Result<Entry> baseEntry(const std::string& suffix);
/// The RFC 5011 refresh lease entry at generation 0, as gen-base writes it.
Entry refreshLeaseEntry(const std::string& suffix);

/// The accounts and groups the access rules name (gen-config's defaults below the admin suffix).
struct AdminNames {
  std::string replicator;                  ///< cn=replicator,<admin>
  std::string agents;                      ///< ou=agents,<admin>
  std::string publishers;                  ///< cn=publishers,ou=groups,<admin>
  std::string refreshers;                  ///< cn=rfc5011-refreshers,ou=groups,<admin>
  std::vector<std::string> publisher_dns;  ///< Single publisher accounts besides the group.

  /// gen-config's defaults for `admin_suffix` (a cleaned DN).
  static AdminNames defaultsFor(const std::string& admin_suffix);
};

/// How a server's syncrepl authenticates to its providers (copied from its admin database).
struct ReplicationAccount {
  std::string credentials;             ///< The replicator's password.
  std::optional<std::string> ca_file;  ///< tls_cacert; nullopt when replication is plaintext.
  bool starttls = true;                ///< StartTLS on ldap:// providers when a CA is known.
};

/// Everything that decides the cn=config of one scope database; the names follow gen-config's
/// options.
struct DatabaseSpec {
  std::string suffix;  ///< Cleaned naming context.
  ServerRole role = ServerRole::kProvider;
  std::string directory;             ///< olcDbDirectory.
  std::vector<std::string> sources;  ///< syncrepl provider URIs; consumers refer to the first.
  unsigned first_rid = 1;            ///< Replica id of the first source; the others follow.
  AdminNames names;
  ReplicationAccount account;
  std::string checkpoint = "100 5";  ///< olcSpCheckpoint: operations and minutes.
  unsigned sessionlog = 20000;       ///< olcSpSessionlog.
};

/// One attribute value of a cn=config entry, kept in the lines gen-config folds it into.
struct ConfigValue {
  std::string attribute;
  std::vector<std::string> lines;

  /// The value as the server receives it: the lines joined with one blank (LDIF unfolding).
  std::string value() const;
};

/// One cn=config entry to add.
struct ConfigRecord {
  std::string dn;
  std::vector<ConfigValue> values;

  /// The entry for Session::add().
  Entry toEntry() const;
};

/// The database entry (dn olcDatabase=mdb,cn=config: the server picks the index) for `spec`:
/// suffix, root DN, directory, map size, indexes, limits, the Anchorage access rules, syncrepl
/// to every source, olcMultiProvider for a provider with sources, olcUpdateRef for a consumer.
/// kInvalidInput: a consumer without sources, an ldaps:// source without a CA, more replica ids
/// than three digits allow, or a suffix cleanScopeSuffix() refuses.
Result<ConfigRecord> databaseRecord(const DatabaseSpec& spec);

/// The syncprov overlay entry below `database_dn`.
ConfigRecord overlayRecord(const DatabaseSpec& spec, const std::string& database_dn);

/// The records as LDIF add records (dn, changetype: add, values folded as gen-config folds them),
/// blank-line separated. Unless `show_credentials`, syncrepl passwords print as "***".
std::string renderLdif(const std::vector<ConfigRecord>& records, bool show_credentials);

/// One database of a server's cn=config.
struct ConfiguredDatabase {
  std::string dn;         ///< E.g. olcDatabase={2}mdb,cn=config.
  std::string suffix;     ///< olcSuffix as stored.
  std::string directory;  ///< olcDbDirectory; empty for backends without one.
  bool syncprov = false;
};

/// The filter that selects what readServerConfig() needs below cn=config: the global entry, the
/// databases and the overlays.
inline constexpr const char* kServerConfigFilter =
    "(|(objectClass=olcGlobal)(objectClass=olcDatabaseConfig)(objectClass=olcOverlayConfig))";

/// What a server's cn=config says about the facts a scope database copies from it.
struct ServerConfig {
  bool has_server_id = false;
  std::vector<ConfiguredDatabase> databases;  ///< Those with an olcSuffix.
  int max_database_index = 0;                 ///< Highest {N} of olcDatabase.
  unsigned max_rid = 0;                       ///< Highest rid of any olcSyncrepl.
  /// From the admin database (the one whose suffix is the admin suffix); unset without it.
  std::optional<std::string> admin_directory;
  std::optional<ReplicationAccount> account;  ///< From its first olcSyncrepl.
  AdminNames names;                           ///< From its olcLimits and olcSyncrepl binddn.
  std::string checkpoint = "100 5";           ///< From its syncprov overlay.
  unsigned sessionlog = 20000;
};

/// Reads the cn=config entries of a server (cn=config, databases and overlays) for a deployment
/// whose accounts live under `admin_suffix`. Values the server does not set keep gen-config's
/// defaults.
ServerConfig readServerConfig(const std::vector<Entry>& entries, const std::string& admin_suffix);

/// What a server needs to hold a scope.
enum class ServerAction {
  kNone,         ///< It holds the suffix with syncprov: nothing to do.
  kAddOverlay,   ///< It holds the suffix without syncprov (an earlier apply stopped half-way).
  kAddDatabase,  ///< It does not hold the suffix: database and overlay.
};

/// "none", "add-overlay" or "add-database", as JSON output shows it.
const char* serverActionName(ServerAction action);

/// The plan of one server of a scope.
struct ServerPlan {
  ScopeServer server;
  ServerAction action = ServerAction::kNone;
  std::string database_dn;  ///< Existing database, or the one the add is expected to create.
  DatabaseSpec spec;        ///< Set for kAddDatabase and kAddOverlay.
  std::vector<ConfigRecord> records;  ///< The entries to add, in order.
};

/// Plans `server` of `definition` from its cn=config. Errors (kInvalidInput, naming the server):
/// the server does not hold the admin suffix, the scope's suffix contains or lies in one of its
/// naming contexts, another database already uses the new database's directory, a provider with
/// peers has no olcServerID, replication needs an account or CA the admin database does not
/// show, or replica ids run out.
Result<ServerPlan> planServer(const ScopeDefinition& definition, const ScopeServer& server,
                              const ServerConfig& config);

/// The entries a new scope starts with, parents first: the base entry, cn=Anchorage with its
/// four containers, and the RFC 5011 refresh lease (what deploy/slapd/gen-base scope writes).
/// kInvalidInput for a suffix cleanScopeSuffix() refuses.
Result<std::vector<Entry>> scopeEntries(const std::string& suffix);

/// An entry as an add record for renderLdif(): objectClass first, then the other attributes.
ConfigRecord recordForEntry(const Entry& entry);

/// Index in `plans` (one per server of the definition, in its order) of the server that
/// receives the scope's first entries: the first provider that already holds the suffix, else
/// the first provider. Replication carries the entries to the others; writing them on two
/// servers would give the same DN two entryUUIDs.
size_t seedServer(const std::vector<ServerPlan>& plans);

}  // namespace anchorage::directory
