// SPDX-License-Identifier: Apache-2.0
//
// Scope operations (see operations.h). Writes are add-or-replace so that repeating an operation
// after a failure converges on the same entries.

#include "directory/operations.h"

#include <algorithm>

#include "util/encoding.h"

namespace anchorage::directory {
namespace {

std::vector<Modification> replaceAll(const Entry& entry) {
  std::vector<Modification> mods;
  for (const auto& [name, values] : entry.attributes) {
    if (util::toLower(name) == "objectclass") {
      continue;
    }
    mods.push_back({Modification::Op::kReplace, name, values});
  }
  return mods;
}

// Attributes an entry of this kind may carry but `entry` leaves out: they are removed on replace.
std::vector<std::string> optionalAttributes(EntryKind kind) {
  switch (kind) {
    case EntryKind::kAnchor:
      return {"anchorageTtl",          "anchorageDigestType",    "anchorageFlags",
              "anchorageOrigin",       "anchorageValidFrom",     "anchorageValidUntil",
              "anchorageStateChanged", "anchorageHoldDownUntil", "anchoragePublisherSignature"};
    case EntryKind::kTrustPoint:
      return {"anchorageLastRefresh", "anchorageNextRefresh", "anchorageLastSuccessfulRefresh",
              "anchorageLastRefreshResult", "anchorageRemovalConfirmedUntil"};
    case EntryKind::kNta:
      return {"anchorageReason", "anchorageCreatedBy"};
    case EntryKind::kAgentStatus:
      return {"anchorageAppliedDigest", "anchorageAppliedTime",  "anchorageResolverResult",
              "anchorageQuarantined",   "anchorageAgentVersion", "anchorageLastError"};
    default:
      return {};
  }
}

}  // namespace

Result<AgentStatus> agentStatusFromEntry(const Entry& e) {
  if (!e.hasClass("anchorageAgentStatus")) {
    return fail(ErrorCode::kInvalidInput, "Entry is not an agent status", {{"dn", e.dn}});
  }
  AgentStatus s;
  s.server = e.first("cn").value_or("");
  s.applied_digest = e.first("anchorageAppliedDigest").value_or("");
  if (auto t = e.first("anchorageAppliedTime")) {
    auto parsed = parseGeneralizedTime(*t);
    if (!parsed) {
      return fail(ErrorCode::kInvalidInput, "Applied time is not a GeneralizedTime",
                  {{"dn", e.dn}});
    }
    s.applied_time = *parsed;
  }
  s.resolver_results = e.all("anchorageResolverResult");
  s.quarantined = e.all("anchorageQuarantined");
  s.version = e.first("anchorageAgentVersion").value_or("");
  s.last_error = e.first("anchorageLastError").value_or("");
  return s;
}

Result<bool> ScopeClient::exists() {
  auto e = session_.read(layout_.container(), {"1.1"});
  if (e) {
    return true;
  }
  if (e.error().code == ErrorCode::kNotFound) {
    return false;
  }
  return fail(e.error());
}

Result<void> ScopeClient::ensureSkeleton() {
  for (const auto& entry : layout_.skeleton()) {
    auto r = session_.add(entry);
    if (!r && r.error().code != ErrorCode::kConflict) {
      return r;
    }
  }
  return ok();
}

Result<ScopeContent> ScopeClient::read() {
  auto entries = session_.search(layout_.container(), Scope::kSubtree, "(objectClass=*)");
  if (!entries) {
    return fail(entries.error());
  }
  std::vector<const Entry*> ptrs;
  for (const auto& e : *entries) {
    ptrs.push_back(&e);
  }
  return readScopeContent(ptrs);
}

Result<std::pair<TrustPointInfo, std::vector<model::TrustAnchor>>> ScopeClient::readTrustPoint(
    const model::DomainName& name) {
  auto entries = session_.search(layout_.trustPoint(name), Scope::kSubtree, "(objectClass=*)");
  if (!entries && entries.error().code != ErrorCode::kNotFound) {
    return fail(entries.error());
  }
  std::vector<const Entry*> ptrs;
  if (entries) {
    for (const auto& e : *entries) {
      ptrs.push_back(&e);
    }
  }
  auto content = readScopeContent(ptrs);
  if (content.trust_points.empty()) {
    return fail(ErrorCode::kNotFound, "Trust point does not exist",
                {{"trust_point", name.text()}, {"scope", layout_.root()}});
  }
  return std::make_pair(content.trust_points.front(), std::move(content.anchors));
}

Result<void> ScopeClient::addOrReplace(const Entry& entry) {
  auto added = session_.add(entry);
  if (added || added.error().code != ErrorCode::kConflict) {
    return added;
  }
  auto current = session_.read(entry.dn);
  if (!current) {
    return fail(current.error());
  }
  auto mods = replaceAll(entry);
  for (const auto& attribute : optionalAttributes(classify(*current))) {
    if (entry.all(attribute).empty() && !current->all(attribute).empty()) {
      mods.push_back({Modification::Op::kDelete, attribute, {}});
    }
  }
  return session_.modify(entry.dn, mods);
}

Result<void> ScopeClient::putTrustPoint(const TrustPointInfo& info) {
  return addOrReplace(entryForTrustPoint(layout_, info));
}

Result<PublishOutcome> ScopeClient::publishAnchor(const model::TrustAnchor& anchor) {
  const Entry tp = entryForTrustPoint(layout_, {anchor.record.owner});
  if (auto r = session_.add(tp); !r && r.error().code != ErrorCode::kConflict) {
    return fail(r.error());
  }
  const Entry entry = entryForAnchor(layout_, anchor);
  auto added = session_.add(entry);
  if (added) {
    return PublishOutcome::kAdded;
  }
  if (added.error().code != ErrorCode::kConflict) {
    return fail(added.error());
  }
  auto current = session_.read(entry.dn);
  if (!current) {
    return fail(current.error());
  }
  if (auto existing = anchorFromEntry(*current)) {
    const bool revoked = existing->state == model::KeyState::kRevoked ||
                         existing->state == model::KeyState::kRemoved;
    if (revoked && anchor.state != model::KeyState::kRevoked &&
        anchor.state != model::KeyState::kRemoved) {
      return PublishOutcome::kRevokedKept;
    }
    const bool same = existing->state == anchor.state && existing->origin == anchor.origin &&
                      existing->record.ttl == anchor.record.ttl &&
                      existing->valid_from == anchor.valid_from &&
                      existing->valid_until == anchor.valid_until &&
                      existing->hold_down_until == anchor.hold_down_until &&
                      existing->publisher_signature == anchor.publisher_signature;
    if (same) {
      return PublishOutcome::kUnchanged;
    }
  }
  if (auto r = addOrReplace(entry); !r) {
    return fail(r.error());
  }
  return PublishOutcome::kReplaced;
}

namespace {

// A replace of `attribute` with the time, or its removal when unset (a replace without values
// removes an attribute and is no error when it is absent).
Modification timeChange(const std::string& attribute, const std::optional<model::Time>& t) {
  return {Modification::Op::kReplace, attribute,
          t ? std::vector<std::string>{formatGeneralizedTime(*t)} : std::vector<std::string>{}};
}

}  // namespace

Result<void> ScopeClient::addAnchorEntry(const model::TrustAnchor& anchor) {
  return session_.add(entryForAnchor(layout_, anchor));
}

Result<void> ScopeClient::setAnchorState(const model::TrustAnchor& anchor) {
  return session_.modify(layout_.anchor(anchor),
                         {{Modification::Op::kReplace,
                           "anchorageState",
                           {std::string(model::keyStateName(anchor.state))}},
                          timeChange("anchorageStateChanged", anchor.state_changed),
                          timeChange("anchorageHoldDownUntil", anchor.hold_down_until)});
}

Result<void> ScopeClient::setRefreshStatus(const TrustPointInfo& info) {
  return session_.modify(
      layout_.trustPoint(info.name),
      {timeChange("anchorageLastRefresh", info.last_refresh),
       timeChange("anchorageNextRefresh", info.next_refresh),
       timeChange("anchorageLastSuccessfulRefresh", info.last_successful_refresh),
       {Modification::Op::kReplace, "anchorageLastRefreshResult",
        info.last_refresh_result.empty() ? std::vector<std::string>{}
                                         : std::vector<std::string>{info.last_refresh_result}}});
}

Result<void> ScopeClient::deleteAnchor(const model::TrustAnchor& anchor) {
  return session_.remove(layout_.anchor(anchor));
}

Result<void> ScopeClient::deleteTrustPoint(const model::DomainName& name) {
  const std::string dn = layout_.trustPoint(name);
  auto children = session_.search(dn, Scope::kOneLevel, "(objectClass=*)", {"1.1"});
  if (!children) {
    return fail(children.error());
  }
  for (const auto& child : *children) {
    if (auto r = session_.remove(child.dn); !r && r.error().code != ErrorCode::kNotFound) {
      return r;
    }
  }
  return session_.remove(dn);
}

Result<void> ScopeClient::putNta(const model::NegativeTrustAnchor& nta) {
  return addOrReplace(entryForNta(layout_, nta));
}

Result<void> ScopeClient::deleteNta(const model::DomainName& name) {
  return session_.remove(layout_.nta(name));
}

Result<void> ScopeClient::writeAgentStatus(const AgentStatus& s) {
  Entry e;
  e.dn = layout_.agent(s.server);
  e.attributes["objectClass"] = {"anchorageAgentStatus"};
  e.attributes["cn"] = {s.server};
  if (!s.applied_digest.empty()) {
    e.attributes["anchorageAppliedDigest"] = {s.applied_digest};
  }
  if (s.applied_time) {
    e.attributes["anchorageAppliedTime"] = {formatGeneralizedTime(*s.applied_time)};
  }
  if (!s.resolver_results.empty()) {
    e.attributes["anchorageResolverResult"] = s.resolver_results;
  }
  if (!s.quarantined.empty()) {
    e.attributes["anchorageQuarantined"] = s.quarantined;
  }
  if (!s.version.empty()) {
    e.attributes["anchorageAgentVersion"] = {s.version};
  }
  if (!s.last_error.empty()) {
    e.attributes["anchorageLastError"] = {s.last_error};
  }
  return addOrReplace(e);
}

Result<std::vector<AgentStatus>> ScopeClient::readAgentStatuses() {
  auto entries =
      session_.search(layout_.agents(), Scope::kOneLevel, "(objectClass=anchorageAgentStatus)");
  if (!entries) {
    return fail(entries.error());
  }
  std::vector<AgentStatus> out;
  for (const auto& e : *entries) {
    if (auto s = agentStatusFromEntry(e)) {
      out.push_back(std::move(*s));
    }
  }
  return out;
}

Result<LeaseState> ScopeClient::readLease(const std::string& name) {
  const std::string dn = layout_.lease(name);
  auto e = session_.read(dn);
  if (!e) {
    return fail(e.error());
  }
  LeaseState s;
  s.dn = dn;
  auto gen = util::parseUnsigned(e->first("anchorageLeaseGeneration").value_or(""), UINT64_MAX >> 1,
                                 "anchorageLeaseGeneration");
  if (!gen) {
    return fail(ErrorCode::kInvalidInput, "Lease generation is not a number", {{"dn", dn}});
  }
  s.generation = *gen;
  s.holder = e->first("anchorageLeaseHolder").value_or("");
  if (auto t = e->first("anchorageExpires")) {
    auto parsed = parseGeneralizedTime(*t);
    if (!parsed) {
      return fail(ErrorCode::kInvalidInput, "Lease expiry is not a GeneralizedTime", {{"dn", dn}});
    }
    s.expires = *parsed;
  }
  return s;
}

Result<LeaseState> ScopeClient::acquireLease(const std::string& name, const std::string& holder,
                                             std::chrono::seconds ttl, model::Time now) {
  auto current = readLease(name);
  if (!current) {
    return fail(current.error());
  }
  if (!current->freeAt(now) && util::toLower(current->holder) != util::toLower(holder)) {
    return fail(ErrorCode::kConflict, "Lease is held by another agent",
                {{"lease", name}, {"holder", current->holder}});
  }
  LeaseState next = *current;
  next.generation = current->generation + 1;
  next.holder = holder;
  next.expires = now + ttl;
  const std::vector<Modification> mods = {
      {Modification::Op::kReplace, "anchorageLeaseGeneration", {std::to_string(next.generation)}},
      {Modification::Op::kReplace, "anchorageLeaseHolder", {holder}},
      {Modification::Op::kReplace, "anchorageExpires", {formatGeneralizedTime(*next.expires)}},
  };
  const std::string assertion =
      "(anchorageLeaseGeneration=" + std::to_string(current->generation) + ")";
  if (auto r = session_.modify(current->dn, mods, assertion); !r) {
    return fail(r.error());
  }
  return next;
}

Result<void> ScopeClient::releaseLease(const std::string& name, const std::string& holder) {
  auto current = readLease(name);
  if (!current) {
    return fail(current.error());
  }
  if (util::toLower(current->holder) != util::toLower(holder)) {
    return ok();
  }
  std::vector<Modification> mods = {
      {Modification::Op::kReplace,
       "anchorageLeaseGeneration",
       {std::to_string(current->generation + 1)}},
      {Modification::Op::kDelete, "anchorageLeaseHolder", {}},
  };
  if (current->expires) {
    mods.push_back({Modification::Op::kDelete, "anchorageExpires", {}});
  }
  return session_.modify(current->dn, mods,
                         "(anchorageLeaseGeneration=" + std::to_string(current->generation) + ")");
}

Result<std::vector<std::string>> discoverScopes(Session& session) {
  auto root = session.search("", Scope::kBase, "(objectClass=*)", {"namingContexts"});
  if (!root) {
    return fail(root.error());
  }
  std::vector<std::string> out;
  if (root->empty()) {
    return out;
  }
  for (const auto& nc : root->front().all("namingContexts")) {
    auto found = ScopeClient(session, ScopeLayout(nc)).exists();
    if (!found) {
      if (found.error().code == ErrorCode::kPermission) {
        continue;
      }
      return fail(found.error());
    }
    if (*found) {
      out.push_back(nc);
    }
  }
  return out;
}

std::string anchorSetDigest(const std::vector<model::TrustAnchor>& anchors,
                            const std::vector<model::NegativeTrustAnchor>& ntas) {
  std::vector<std::string> lines;
  lines.reserve(anchors.size() + ntas.size());
  for (const auto& a : anchors) {
    lines.push_back(a.record.owner.text() + " " +
                    std::string(model::recordTypeName(a.record.type())) + " " +
                    a.record.rdataText());
  }
  for (const auto& n : ntas) {
    lines.push_back("NTA " + n.name.text() + " " + model::formatTime(n.expires));
  }
  std::sort(lines.begin(), lines.end());
  lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
  std::string joined;
  for (const auto& l : lines) {
    joined += l;
    joined += '\n';
  }
  return util::encodeHex(util::digest("sha256", {joined.begin(), joined.end()}), false);
}

}  // namespace anchorage::directory
