// SPDX-License-Identifier: Apache-2.0
//
// The RFC 5011 refresher: lease, probe, tracker, writes (see refresher.h).

#include "agent/refresher.h"

#include <algorithm>
#include <set>

#include "directory/mapping.h"
#include "dns/dnskey_set.h"

namespace anchorage::agent {

using std::chrono::duration_cast;
using std::chrono::seconds;

namespace {

// How often a scope without auto-update trust points, or without the lease, is looked at again.
constexpr seconds kIdleStep{60};

}  // namespace

RefresherSettings refresherSettings(const config::Config& config) {
  RefresherSettings s;
  s.holder = config.server;
  const auto& r = config.rfc5011;
  s.timers.add_hold_down = duration_cast<seconds>(r.add_hold_down);
  s.timers.remove_hold_down = duration_cast<seconds>(r.remove_hold_down);
  s.timers.refresh_min = duration_cast<seconds>(r.min_refresh);
  s.timers.retry_min = duration_cast<seconds>(r.min_refresh);
  s.timers.refresh_max = duration_cast<seconds>(r.max_refresh);
  s.timers.retry_max = duration_cast<seconds>(r.max_retry);
  s.lease = std::max(seconds(1), duration_cast<seconds>(r.lease));
  if (!r.servers.empty()) {
    s.servers = r.servers;
  } else if (!config.resolvers.empty()) {
    s.servers = {config.resolvers.front().address};
  } else {
    s.servers = {{"127.0.0.1", 53}};
  }
  return s;
}

Refresher::Refresher(RefresherSettings settings, util::Logger log)
    : settings_(std::move(settings)), log_(std::move(log)), tracker_(settings_.timers) {}

RefreshStep Refresher::step(directory::Session& session, const std::string& base,
                            const directory::ScopeContent& content, model::Time now) {
  RefreshStep out;
  out.next_step = now + kIdleStep;
  std::set<model::DomainName> points;
  for (const auto& tp : content.trust_points) {
    if (tp.auto_update) {
      points.insert(tp.name);
    }
  }
  for (const auto& a : content.anchors) {
    if (points.count(a.record.owner) > 0) {
      ++out.states[std::string(model::keyStateName(a.state))];
    }
  }
  directory::ScopeClient scope(session, directory::ScopeLayout(base));
  if (points.empty()) {
    // Nothing to track here: let the lease go so that it is free when a trust point turns up.
    if (held_.erase(base) > 0) {
      if (auto r = scope.releaseLease(kRefreshLease, settings_.holder); !r) {
        log_.warning("Refresher lease could not be released",
                     {{"scope", base}, {"error", r.error().toString()}});
      }
    }
    return out;
  }
  if (auto aside = stand_aside_until_.find(base); aside != stand_aside_until_.end()) {
    if (now < aside->second) {
      out.next_step = std::min(out.next_step, aside->second);
      return out;
    }
    stand_aside_until_.erase(aside);
  }
  if (!holdLease(scope, base, now, out)) {
    return out;
  }
  out.leader = true;
  for (const auto& tp : content.trust_points) {
    if (!tp.auto_update) {
      continue;
    }
    if (tp.next_refresh && *tp.next_refresh > now) {
      out.next_step = std::min(out.next_step, *tp.next_refresh);
      continue;
    }
    if (auto outcome = refreshOne(scope, tp.name, now, out)) {
      out.refreshed.emplace_back(tp.name.text(), *outcome);
    }
    if (out.refused) {
      break;
    }
  }
  if (out.refused) {
    log_.warning(
        "Directory refused the refresher's writes: this agent is not in the RFC 5011 refreshers "
        "group; it leaves the role to another agent",
        {{"scope", base}, {"holder", settings_.holder}});
    held_.erase(base);
    if (auto r = scope.releaseLease(kRefreshLease, settings_.holder); !r) {
      log_.warning("Refresher lease could not be released",
                   {{"scope", base}, {"error", r.error().toString()}});
    }
    stand_aside_until_[base] = now + 5 * settings_.lease;
    out.leader = false;
    out.directory_failed = false;
    out.next_step = std::min(out.next_step, stand_aside_until_[base]);
    return out;
  }
  // A refresh just written shows in the mirror a moment later; look again soon after.
  if (!out.refreshed.empty()) {
    out.next_step = std::min(out.next_step, now + seconds(1));
  }
  return out;
}

bool Refresher::holdLease(directory::ScopeClient& scope, const std::string& base, model::Time now,
                          RefreshStep& step) {
  model::Time& next_step = step.next_step;
  auto it = held_.find(base);
  if (it != held_.end() && now < it->second.renew && now < it->second.until) {
    next_step = std::min(next_step, it->second.renew);
    return true;
  }
  auto taken = scope.acquireLease(kRefreshLease, settings_.holder, settings_.lease, now);
  if (taken) {
    if (it == held_.end()) {
      log_.notice("Refresher lease taken: this agent refreshes the scope's trust points",
                  {{"scope", base}, {"generation", std::to_string(taken->generation)}});
    }
    const auto renew = now + std::max(seconds(1), settings_.lease / 3);
    held_[base] = {taken->expires.value_or(now + settings_.lease), renew};
    next_step = std::min(next_step, renew);
    return true;
  }
  if (it != held_.end()) {
    log_.warning("Refresher lease lost", {{"scope", base}, {"error", taken.error().toString()}});
    held_.erase(it);
  }
  if (taken.error().code == ErrorCode::kConflict) {
    // Try again when the holder's lease would run out if it stopped renewing.
    if (auto lease = scope.readLease(kRefreshLease); lease && lease->expires) {
      next_step = std::min(next_step, std::max(now + seconds(1), *lease->expires));
    }
    return false;
  }
  log_.warning("Refresher lease could not be taken",
               {{"scope", base}, {"error", taken.error().toString()}});
  step.directory_failed = true;
  next_step = std::min(next_step, now + std::max(seconds(1), settings_.lease / 3));
  return false;
}

rfc5011::ProbeOutcome Refresher::probe(const model::DomainName& zone, model::Time now,
                                       uint32_t& original_ttl) const {
  std::string last_error = "no probe server";
  for (const auto& server : settings_.servers) {
    dns::QueryOptions q;
    q.address = server.host;
    q.port = server.port;
    q.timeout = settings_.probe_timeout;
    // The set is checked here against the trust point's anchors, not by the resolver asked.
    q.checking_disabled = true;
    auto set = dns::fetchDnskeySet(zone, q, now);
    if (!set) {
      last_error = set.error().toString();
      continue;
    }
    original_ttl = set->ttl;
    for (const auto& s : set->signatures) {
      if (s.valid) {
        original_ttl = s.original_ttl;
        break;
      }
    }
    return std::move(*set);
  }
  return rfc5011::ProbeFailure{last_error};
}

std::optional<rfc5011::Outcome> Refresher::refreshOne(directory::ScopeClient& scope,
                                                      const model::DomainName& name,
                                                      model::Time now, RefreshStep& step) {
  bool& directory_failed = step.directory_failed;
  const std::string base = scope.layout().root();
  // The provider's copy, not the mirror's: another refresher, or anchorctl refresh, may have
  // written since the mirror was read.
  auto tp = scope.readTrustPoint(name);
  if (!tp) {
    log_.warning("Trust point could not be read for its refresh",
                 {{"scope", base}, {"zone", name.text()}, {"error", tp.error().toString()}});
    directory_failed = tp.error().code != ErrorCode::kNotFound;
    return std::nullopt;
  }
  auto& [info, anchors] = *tp;
  if (!info.auto_update || (info.next_refresh && *info.next_refresh > now)) {
    return std::nullopt;
  }
  // Keys written back as Start were forgotten (see refresher.h): the tracker takes a Start
  // anchor for a key not yet tracked, so one that returns starts a new hold-down.
  std::map<std::string, model::TrustAnchor> before;
  rfc5011::RefreshInput input;
  input.trust_point = name;
  input.now = now;
  input.anchors = anchors;
  for (const auto& a : anchors) {
    before.emplace(a.id(), a);
  }
  uint32_t& ttl = last_ttl_[name.text()];
  input.probe = probe(name, now, ttl);
  input.original_ttl = ttl;
  const auto result = tracker_.refresh(input);

  std::set<std::string> after;
  bool written = true;
  for (const auto& a : result.anchors) {
    if (!(a.record.owner == name)) {
      continue;
    }
    after.insert(a.id());
    auto old = before.find(a.id());
    Result<void> w = ok();
    if (old == before.end()) {
      w = scope.addAnchorEntry(a);
    } else if (old->second.state != a.state || old->second.state_changed != a.state_changed ||
               old->second.hold_down_until != a.hold_down_until) {
      w = scope.setAnchorState(a);
    }
    if (!w) {
      written = false;
      step.refused = step.refused || w.error().code == ErrorCode::kPermission;
      log_.error("Anchor state could not be written",
                 {{"scope", base}, {"anchor", a.id()}, {"error", w.error().toString()}});
    }
  }
  for (const auto& [id, a] : before) {
    if (after.count(id) > 0 || a.state == model::KeyState::kStart) {
      continue;
    }
    model::TrustAnchor forgotten = a;
    forgotten.state = model::KeyState::kStart;
    forgotten.state_changed = now;
    forgotten.hold_down_until.reset();
    if (auto w = scope.setAnchorState(forgotten); !w) {
      written = false;
      step.refused = step.refused || w.error().code == ErrorCode::kPermission;
      log_.error("Anchor state could not be written",
                 {{"scope", base}, {"anchor", id}, {"error", w.error().toString()}});
    }
  }
  for (const auto& t : result.transitions) {
    log_.notice("Trust anchor state changed", {{"scope", base},
                                               {"zone", name.text()},
                                               {"anchor", t.anchor_id},
                                               {"from", std::string(model::keyStateName(t.from))},
                                               {"to", std::string(model::keyStateName(t.to))},
                                               {"event", std::string(rfc5011::eventName(t.event))},
                                               {"reason", t.reason}});
  }
  if (!written) {
    // The refresh status stays as it was, so the trust point is due again at the next step.
    directory_failed = true;
    return std::nullopt;
  }
  info.last_refresh = now;
  info.next_refresh = result.next_refresh;
  if (result.outcome == rfc5011::Outcome::kOk) {
    info.last_successful_refresh = now;
  }
  info.last_refresh_result = result.result;
  if (auto w = scope.setRefreshStatus(info); !w) {
    step.refused = w.error().code == ErrorCode::kPermission;
    log_.error("Refresh status could not be written",
               {{"scope", base}, {"zone", name.text()}, {"error", w.error().toString()}});
    directory_failed = true;
    return std::nullopt;
  }
  log_.info("Trust point refreshed", {{"scope", base},
                                      {"zone", name.text()},
                                      {"result", result.result},
                                      {"transitions", std::to_string(result.transitions.size())},
                                      {"next_refresh", model::formatTime(result.next_refresh)}});
  return result.outcome;
}

void Refresher::releaseAll(directory::Session& session) {
  for (const auto& [base, held] : held_) {
    directory::ScopeClient scope(session, directory::ScopeLayout(base));
    if (auto r = scope.releaseLease(kRefreshLease, settings_.holder); !r) {
      log_.warning("Refresher lease could not be released",
                   {{"scope", base}, {"error", r.error().toString()}});
    }
  }
  held_.clear();
}

}  // namespace anchorage::agent
