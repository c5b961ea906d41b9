// SPDX-License-Identifier: Apache-2.0
//
// The RFC 5011 refresher of a scope (DESIGN §4.7). Every agent runs one; in each scope with an
// auto-update trust point they race for the scope's lease (cn=rfc5011-refresh, compare-and-swap),
// and only the holder probes. For each trust point that is due it asks the configured servers for
// the zone's DNSKEY set (CD set: the set is checked here, against the trust point's own anchors),
// runs the RFC 5011 tracker, and writes the new key states and the refresh status to the
// directory. Every agent of the scope then applies those states like any other change, so the
// whole scope moves in step.
//
// Two holders at once (a lease that expired while its holder was paused, clocks that disagree) are
// safe: both read the trust point from the same provider right before refreshing, the tracker is a
// function of that state, the DNSKEY set and the time, and every write sets values rather than
// adding to them. The worst case is one refresh done twice, with state times a few seconds apart.
//
// The writes stay inside what the deployed access rules give the refreshers group: new keys are
// added as AddPend entries, existing anchors only change state, and nothing is deleted. A key that
// vanishes during its add hold-down is therefore written back as Start rather than deleted. An
// agent outside that group may win the lease; its first write is refused, and it then gives the
// lease up and stays out of the election for five lease times, so a refresher that may write
// takes over and a misconfigured agent costs one lease time at most.

#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "directory/operations.h"
#include "directory/session.h"
#include "rfc5011/tracker.h"
#include "util/log.h"

namespace anchorage::agent {

/// The refresher's settings.
struct RefresherSettings {
  std::string holder;  ///< This agent's server name, written as the lease holder.
  rfc5011::Timers timers;
  /// Where DNSKEY probes go, tried in order until one answers.
  std::vector<config::HostPort> servers;
  std::chrono::seconds lease{90};
  std::chrono::milliseconds probe_timeout{3000};
};

/// Builds the settings from the configuration: servers from `rfc5011.servers`, or else the
/// address of the first resolver, or else 127.0.0.1:53.
RefresherSettings refresherSettings(const config::Config& config);

/// What one step did in one scope.
struct RefreshStep {
  bool leader = false;  ///< This agent holds the scope's lease.
  /// Trust points refreshed, with the tracker's outcome of each.
  std::vector<std::pair<std::string, rfc5011::Outcome>> refreshed;
  /// Key states of the scope's auto-update trust points after the step: state name -> count.
  std::map<std::string, size_t> states;
  /// When the next step has something to do (a refresh due, the lease to renew or to try for).
  model::Time next_step{};
  /// A directory operation failed other than by a lost race: the session may be broken.
  bool directory_failed = false;
  /// A write was refused for lack of rights: this agent left the refresher role to others.
  bool refused = false;
};

/// The refresher of one agent, for all of its scopes.
class Refresher {
 public:
  Refresher(RefresherSettings settings, util::Logger log);

  /// One step in scope `base` at `now`. `content` is the scope as the agent's mirror holds it;
  /// `session` is a session on a provider, for the lease, fresh reads and the writes. Failures
  /// are logged and retried at the next step.
  RefreshStep step(directory::Session& session, const std::string& base,
                   const directory::ScopeContent& content, model::Time now);

  /// Gives up every lease this agent holds (at shutdown), so another agent takes over at once.
  void releaseAll(directory::Session& session);

  const RefresherSettings& settings() const { return settings_; }

 private:
  /// Takes or renews the lease of scope `base` when needed; true while this agent holds it.
  bool holdLease(directory::ScopeClient& scope, const std::string& base, model::Time now,
                 RefreshStep& step);
  /// Probes trust point `name` and writes the result; returns the tracker's outcome, or nothing
  /// when the trust point was no longer due or could not be read or written.
  std::optional<rfc5011::Outcome> refreshOne(directory::ScopeClient& scope,
                                             const model::DomainName& name, model::Time now,
                                             RefreshStep& step);
  rfc5011::ProbeOutcome probe(const model::DomainName& zone, model::Time now,
                              uint32_t& original_ttl) const;

  RefresherSettings settings_;
  util::Logger log_;
  rfc5011::Tracker tracker_;
  /// Per scope base: until when this agent holds the lease, and when it renews it.
  struct Held {
    model::Time until{};
    model::Time renew{};
  };
  std::map<std::string, Held> held_;
  /// Per trust point: the last Original TTL seen, for the retry interval after a failed probe.
  std::map<std::string, uint32_t> last_ttl_;
  /// Per scope base: until when this agent stays out of the election because the directory
  /// refused its refresher writes (it is not in the refreshers group there).
  std::map<std::string, model::Time> stand_aside_until_;
};

/// Name of the lease entry of the refresher (DESIGN §3: cn=rfc5011-refresh under cn=Leases).
inline constexpr const char* kRefreshLease = "rfc5011-refresh";

}  // namespace anchorage::agent
