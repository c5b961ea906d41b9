// SPDX-License-Identifier: Apache-2.0
//
// The directory layout of a scope (DESIGN §3) and the mapping between its entries and the model.
// Reading is strict: an entry whose fields disagree with its RDATA, whose id is not the one the
// record implies, or whose values do not parse is quarantined with its DN and the reason, and never
// becomes an anchor. The schema is schema/anchorage.schema.

#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "directory/session.h"
#include "model/anchor.h"
#include "model/nta.h"
#include "util/result.h"

namespace anchorage::directory {

/// DNs of one scope's layout below its naming context.
class ScopeLayout {
 public:
  explicit ScopeLayout(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  std::string container() const { return "cn=Anchorage," + root_; }
  std::string trustPoints() const { return "cn=TrustPoints," + container(); }
  std::string ntas() const { return "cn=NegativeTrustAnchors," + container(); }
  std::string agents() const { return "cn=Agents," + container(); }
  std::string leases() const { return "cn=Leases," + container(); }
  std::string trustPoint(const model::DomainName& name) const;
  std::string anchor(const model::TrustAnchor& anchor) const;
  std::string nta(const model::DomainName& name) const;
  std::string agent(const std::string& server) const;
  std::string lease(const std::string& name) const;

  /// The entries that make an empty scope: cn=Anchorage and its four containers.
  std::vector<Entry> skeleton() const;

 private:
  std::string root_;
};

/// Trust point attributes (what Get-DnsServerTrustPoint shows, plus distribution flags).
struct TrustPointInfo {
  model::DomainName name;
  bool auto_update = false;
  bool distribute = true;
  std::optional<model::Time> last_refresh;
  std::optional<model::Time> next_refresh;
  std::optional<model::Time> last_successful_refresh;
  std::string last_refresh_result;
  std::optional<model::Time> removal_confirmed_until;
};

/// An entry that could not be used, and why.
struct Quarantined {
  std::string dn;
  std::string reason;
};

/// What kind of Anchorage entry an entry is, by object class.
enum class EntryKind {
  kScope,
  kContainer,
  kTrustPoint,
  kAnchor,
  kNta,
  kAgentStatus,
  kLease,
  kOther
};
EntryKind classify(const Entry& entry);

/// GeneralizedTime "20261203170920Z" (seconds precision, UTC).
std::string formatGeneralizedTime(model::Time t);
/// Parses GeneralizedTime in UTC ("Z"), with optional fraction; other zones are rejected.
Result<model::Time> parseGeneralizedTime(const std::string& text);

/// Reads an anchor entry. Errors (kInvalidInput) name the attribute and what was wrong.
Result<model::TrustAnchor> anchorFromEntry(const Entry& entry);
/// The entry for `anchor` under `layout` (without a publisher signature).
Entry entryForAnchor(const ScopeLayout& layout, const model::TrustAnchor& anchor);

Result<TrustPointInfo> trustPointFromEntry(const Entry& entry);
Entry entryForTrustPoint(const ScopeLayout& layout, const TrustPointInfo& info);

Result<model::NegativeTrustAnchor> ntaFromEntry(const Entry& entry);
Entry entryForNta(const ScopeLayout& layout, const model::NegativeTrustAnchor& nta);

/// A scope's usable content, as the agent and anchorctl see it.
struct ScopeContent {
  std::vector<model::TrustAnchor> anchors;
  std::vector<TrustPointInfo> trust_points;
  std::vector<model::NegativeTrustAnchor> ntas;
  std::vector<Quarantined> quarantined;
  /// The scope container's anchorageRemovalConfirmedUntil: until then an operator has confirmed
  /// every mass removal in this scope (DESIGN §4.4).
  std::optional<model::Time> removal_confirmed_until;
};

/// Builds the content from entries (a sync mirror or a search result): every anchor, trust point
/// and NTA entry is read strictly; failures land in `quarantined`. An anchor whose trust point
/// entry is missing is quarantined too. Other entries are ignored.
ScopeContent readScopeContent(const std::vector<const Entry*>& entries);

/// Splits a DN into RDN attribute/value pairs (values unescaped), leftmost first.
Result<std::vector<std::pair<std::string, std::string>>> splitDn(const std::string& dn);

}  // namespace anchorage::directory
