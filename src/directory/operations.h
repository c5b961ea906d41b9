// SPDX-License-Identifier: Apache-2.0
//
// Directory operations on one scope: publish and delete anchors, trust points and NTAs, read a
// scope's content, write an agent's status entry, and the compare-and-swap lease (RFC 4528
// assertion control) that picks one RFC 5011 refresher per scope. Every operation is a small number
// of LDAP writes, each of them valid on its own, so a failure part-way leaves the directory in a
// state the agents accept.

#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "directory/mapping.h"
#include "directory/session.h"
#include "model/anchor.h"
#include "model/nta.h"
#include "util/result.h"

namespace anchorage::directory {

/// What publishAnchor() did. kRevokedKept: the directory holds the key as Revoked or Removed
/// (its owner revoked it, RFC 5011 §2.1) and publishing it again does not make it trusted.
enum class PublishOutcome { kAdded, kReplaced, kUnchanged, kRevokedKept };

/// What an agent reports after an apply (the anchorageAgentStatus entry).
struct AgentStatus {
  std::string server;          ///< The cn of the entry: the agent's FQDN.
  std::string applied_digest;  ///< Digest of the anchor set the agent applied.
  std::optional<model::Time> applied_time;
  std::vector<std::string> resolver_results;  ///< "<writer> <outcome>[ <detail>]" per resolver.
  std::vector<std::string> quarantined;       ///< DNs of rejected entries.
  std::string version;
  std::string last_error;
};

/// Reads an agent status entry; kInvalidInput when it is not one.
Result<AgentStatus> agentStatusFromEntry(const Entry& entry);

/// The state of a lease entry.
struct LeaseState {
  std::string dn;
  uint64_t generation = 0;
  std::string holder;  ///< Empty when free.
  std::optional<model::Time> expires;

  /// True when nobody holds it at `now` (no holder, or the holder's time ran out).
  bool freeAt(model::Time now) const { return holder.empty() || !expires || *expires <= now; }
};

/// Operations on one scope through one session.
class ScopeClient {
 public:
  ScopeClient(Session& session, ScopeLayout layout)
      : session_(session), layout_(std::move(layout)) {}

  const ScopeLayout& layout() const { return layout_; }

  /// True when the scope's cn=Anchorage container exists.
  Result<bool> exists();

  /// Creates cn=Anchorage and its containers where missing.
  Result<void> ensureSkeleton();

  /// Reads every Anchorage entry of the scope and maps it strictly (see readScopeContent()).
  Result<ScopeContent> read();

  /// Reads one trust point and its anchors; kNotFound when the trust point does not exist.
  Result<std::pair<TrustPointInfo, std::vector<model::TrustAnchor>>> readTrustPoint(
      const model::DomainName& name);

  /// Creates the trust point entry if needed (with `auto_update`), then adds the anchor or, when
  /// an entry with its id exists, replaces its attributes. Publishing the same anchor twice is
  /// one entry. An existing Revoked or Removed entry is left as it is when `anchor` would make it
  /// trusted again (kRevokedKept): a revoked key comes back only by deleting it first.
  Result<PublishOutcome> publishAnchor(const model::TrustAnchor& anchor);

  /// Writes a trust point's attributes (creating the entry if needed).
  Result<void> putTrustPoint(const TrustPointInfo& info);

  /// RFC 5011 refresher writes, each limited to what the refreshers group of the deployed access
  /// rules may do (deploy/slapd/gen-config): add the entry of a new key (origin rfc5011, AddPend;
  /// kConflict when it exists), change an existing anchor's state, state time and hold-down, and
  /// write a trust point's refresh status (last, next and last successful refresh, last result).
  Result<void> addAnchorEntry(const model::TrustAnchor& anchor);
  Result<void> setAnchorState(const model::TrustAnchor& anchor);
  Result<void> setRefreshStatus(const TrustPointInfo& info);

  /// Deletes one anchor; kNotFound when absent.
  Result<void> deleteAnchor(const model::TrustAnchor& anchor);

  /// Deletes a trust point and all its anchors.
  Result<void> deleteTrustPoint(const model::DomainName& name);

  /// Adds or replaces an NTA.
  Result<void> putNta(const model::NegativeTrustAnchor& nta);

  /// Deletes an NTA; kNotFound when absent.
  Result<void> deleteNta(const model::DomainName& name);

  /// Writes (adds or replaces) the status entry of `status.server`.
  Result<void> writeAgentStatus(const AgentStatus& status);

  /// Reads every agent status entry of the scope.
  Result<std::vector<AgentStatus>> readAgentStatuses();

  /// Reads a lease; kNotFound when its entry does not exist.
  Result<LeaseState> readLease(const std::string& name);

  /// Takes or renews lease `name` for `holder` until now + ttl, when it is free or already
  /// `holder`'s. Compare-and-swap on the generation: kConflict when another writer won the race
  /// or the lease is held by someone else; the returned state is the one written.
  Result<LeaseState> acquireLease(const std::string& name, const std::string& holder,
                                  std::chrono::seconds ttl, model::Time now);

  /// Gives lease `name` up if `holder` holds it (compare-and-swap as above).
  Result<void> releaseLease(const std::string& name, const std::string& holder);

 private:
  Result<void> addOrReplace(const Entry& entry);

  Session& session_;
  ScopeLayout layout_;
};

/// Finds the scopes a server holds: naming contexts of its root DSE that contain cn=Anchorage.
Result<std::vector<std::string>> discoverScopes(Session& session);

/// A digest of an anchor set and NTAs, independent of order: SHA-256 over the sorted zone lines
/// and NTA lines, as lower-case hex. Agents report it; anchorctl status compares it.
std::string anchorSetDigest(const std::vector<model::TrustAnchor>& anchors,
                            const std::vector<model::NegativeTrustAnchor>& ntas);

}  // namespace anchorage::directory
