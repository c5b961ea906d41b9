// SPDX-License-Identifier: Apache-2.0
//
// The agent's policy step (DESIGN §4.4), pure and clock-free: from the validated content of every
// scope and the set applied last, decide what the resolvers get. Only Valid and Missing anchors of
// distributed trust points (RFC 5011 §4.2), NTAs until their expiry (RFC 7646 §2), the union over
// scopes. The mass-removal guard holds back a change that would withdraw every anchor of a trust
// point, or more than a configured share of all anchors, until an operator confirms it; while it
// holds, the withdrawn anchors stay applied and additions still go through.

#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "directory/mapping.h"
#include "model/anchor.h"
#include "model/nta.h"

namespace anchorage::agent {

/// The guard's settings (config `guard`).
struct GuardSettings {
  double max_removal_share = 0.5;
  bool allow_mass_removal = false;
};

/// One scope's content as the policy sees it.
struct ScopeInput {
  std::string scope;  ///< The naming context, for reports.
  directory::ScopeContent content;
};

/// What was applied last (persisted in the state directory).
struct AppliedSet {
  std::vector<model::TrustAnchor> anchors;
  std::vector<model::NegativeTrustAnchor> ntas;
  std::string digest;
};

/// The policy's verdict.
struct Decision {
  std::vector<model::TrustAnchor> anchors;       ///< To give the resolvers, sorted, deduplicated.
  std::vector<model::NegativeTrustAnchor> ntas;  ///< Active NTAs, one per name (latest expiry).
  std::string digest;                            ///< directory::anchorSetDigest of the above.
  bool held = false;                             ///< The guard is holding back removals.
  std::string hold_reason;                       ///< Why, for logs and the status entry.
  std::vector<std::string> withdrawn_trust_points;  ///< Trust points that would lose every anchor.
  size_t withdrawn_anchors = 0;                     ///< Anchors the change would withdraw.
  std::optional<model::Time> next_change;  ///< Earliest NTA expiry after now: re-decide then.
  std::vector<directory::Quarantined> quarantined;  ///< From every scope.
};

/// Checks a publisher's signature; returns the reason it is refused, or nothing when it holds.
using SignatureCheck = std::function<std::optional<std::string>(const model::TrustAnchor&)>;

/// Signed anchors (DESIGN §4): moves every anchor of `content` whose signature `check` refuses
/// to the quarantine, named by `where(anchor)` (its entry's or node's DN). Trust points keep
/// their settings; NTAs are not signed and stay.
void requirePublisherSignatures(directory::ScopeContent& content, const SignatureCheck& check,
                                const std::function<std::string(const model::TrustAnchor&)>& where);

/// Decides what to apply at `now`.
Decision decide(const std::vector<ScopeInput>& scopes, const std::optional<AppliedSet>& last,
                const GuardSettings& guard, model::Time now);

}  // namespace anchorage::agent
