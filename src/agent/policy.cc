// SPDX-License-Identifier: Apache-2.0
//
// Policy: state filter, NTA expiry, scope merge and the mass-removal guard (see policy.h).

#include "agent/policy.h"

#include <algorithm>
#include <map>
#include <set>

#include "directory/operations.h"

namespace anchorage::agent {
namespace {

using model::DomainName;
using model::TrustAnchor;

std::string key(const TrustAnchor& a) {
  return a.record.owner.text() + "/" + a.id();
}

bool confirmedAt(const std::optional<model::Time>& until, model::Time now) {
  return until && now < *until;
}

}  // namespace

void requirePublisherSignatures(
    directory::ScopeContent& content, const SignatureCheck& check,
    const std::function<std::string(const model::TrustAnchor&)>& where) {
  std::vector<TrustAnchor> kept;
  kept.reserve(content.anchors.size());
  for (auto& a : content.anchors) {
    if (auto refused = check(a)) {
      content.quarantined.push_back({where(a), *refused});
    } else {
      kept.push_back(std::move(a));
    }
  }
  content.anchors = std::move(kept);
}

Decision decide(const std::vector<ScopeInput>& scopes, const std::optional<AppliedSet>& last,
                const GuardSettings& guard, model::Time now) {
  Decision d;
  std::map<std::string, TrustAnchor> wanted;
  std::map<DomainName, model::NegativeTrustAnchor> ntas;
  std::set<DomainName> confirmed_points;
  bool scope_confirmed = false;
  for (const auto& s : scopes) {
    std::set<DomainName> distributed;
    for (const auto& tp : s.content.trust_points) {
      if (tp.distribute) {
        distributed.insert(tp.name);
      }
      if (confirmedAt(tp.removal_confirmed_until, now)) {
        confirmed_points.insert(tp.name);
      }
    }
    scope_confirmed = scope_confirmed || confirmedAt(s.content.removal_confirmed_until, now);
    for (const auto& a : s.content.anchors) {
      if (model::isTrusted(a.state) && distributed.count(a.record.owner) > 0) {
        wanted.emplace(key(a), a);
      }
    }
    for (const auto& n : s.content.ntas) {
      if (!n.activeAt(now)) {
        continue;
      }
      auto [it, inserted] = ntas.emplace(n.name, n);
      if (!inserted && it->second.expires < n.expires) {
        it->second = n;
      }
      if (!d.next_change || n.expires < *d.next_change) {
        d.next_change = n.expires;
      }
    }
    d.quarantined.insert(d.quarantined.end(), s.content.quarantined.begin(),
                         s.content.quarantined.end());
  }

  if (last) {
    // What the change would withdraw, by anchor and by whole trust point.
    std::map<DomainName, std::pair<size_t, size_t>> per_point;  // (kept, withdrawn)
    std::vector<const TrustAnchor*> withdrawn;
    for (const auto& a : last->anchors) {
      const bool kept = wanted.count(key(a)) > 0;
      auto& counts = per_point[a.record.owner];
      (kept ? counts.first : counts.second)++;
      if (!kept) {
        withdrawn.push_back(&a);
      }
    }
    std::set<DomainName> still_present;
    for (const auto& [k, a] : wanted) {
      still_present.insert(a.record.owner);
    }
    std::vector<DomainName> emptied;
    for (const auto& [point, counts] : per_point) {
      if (counts.second > 0 && still_present.count(point) == 0 &&
          confirmed_points.count(point) == 0) {
        emptied.push_back(point);
        d.withdrawn_trust_points.push_back(point.text());
      }
    }
    d.withdrawn_anchors = withdrawn.size();
    // The anchors of a trust point whose withdrawal an operator confirmed do not count towards
    // the share: removing the only trust point of a scope is no accident once confirmed.
    const auto unconfirmed = std::count_if(withdrawn.begin(), withdrawn.end(), [&](const auto* a) {
      return confirmed_points.count(a->record.owner) == 0;
    });
    const double share = last->anchors.empty() ? 0.0
                                               : static_cast<double>(unconfirmed) /
                                                     static_cast<double>(last->anchors.size());
    const bool too_many = share > guard.max_removal_share;
    if ((too_many || !emptied.empty()) && !guard.allow_mass_removal && !scope_confirmed) {
      d.held = true;
      if (!emptied.empty()) {
        d.hold_reason = "change withdraws every anchor of " + std::to_string(emptied.size()) +
                        " trust point(s), e.g. " + emptied.front().text();
      } else {
        d.hold_reason = "change withdraws " + std::to_string(unconfirmed) + " of " +
                        std::to_string(last->anchors.size()) + " anchors, above the " +
                        std::to_string(static_cast<int>(guard.max_removal_share * 100)) + "% limit";
      }
      for (const TrustAnchor* a : withdrawn) {
        wanted.emplace(key(*a), *a);
      }
    }
  }

  for (auto& [k, a] : wanted) {
    d.anchors.push_back(std::move(a));
  }
  std::sort(d.anchors.begin(), d.anchors.end(), [](const TrustAnchor& x, const TrustAnchor& y) {
    return x.record.owner != y.record.owner ? x.record.owner < y.record.owner : x.id() < y.id();
  });
  for (auto& [name, n] : ntas) {
    d.ntas.push_back(std::move(n));
  }
  d.digest = directory::anchorSetDigest(d.anchors, d.ntas);
  return d;
}

}  // namespace anchorage::agent
