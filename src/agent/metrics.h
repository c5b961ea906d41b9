// SPDX-License-Identifier: Apache-2.0
//
// The agent's Prometheus metrics (DESIGN §4.6), served over HTTP on the configured address when
// enabled. Names start with anchorage_agent_. Without an endpoint the values are still kept, so
// tests and the status text can read them.

#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "util/result.h"

namespace anchorage::agent {

/// Metric families of one agent process.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  /// Starts serving /metrics on host:port. Errors: the address cannot be bound (kUnavailable).
  Result<void> serve(const std::string& host, uint16_t port);

  /// Anchors (and NTAs) the writer `writer` last applied.
  void setApplied(const std::string& writer, size_t anchors, size_t ntas);
  /// Entries currently quarantined, over all scopes.
  void setQuarantined(size_t count);
  /// Sync phase of a scope: 0 disconnected, 1 refreshing, 2 persisting.
  void setSyncPhase(const std::string& scope, int phase);
  /// Adds to a scope's reconnect counter (set to the running total).
  void setReconnects(const std::string& scope, uint64_t total);
  /// Counts one apply by `writer` with outcome "ok", "failed" or "unchanged" (a held mass removal
  /// shows in setGuardHeld()).
  void countApply(const std::string& writer, const std::string& outcome);
  /// Observes the time one apply took, all writers included.
  void observeApplySeconds(double seconds);
  /// Observes apply time minus the modification time of the newest changed entry.
  void observePropagationSeconds(double seconds);
  /// 1 while the guard holds a mass removal back.
  void setGuardHeld(bool held);
  /// Anchors of the auto-update trust points of `scope` in RFC 5011 state `state`.
  void setKeyStates(const std::string& scope, const std::map<std::string, size_t>& counts);
  /// Counts one RFC 5011 refresh in `scope` with outcome "ok", "probe_failed" or
  /// "not_validated".
  void countRefresh(const std::string& scope, const std::string& outcome);
  /// 1 while this agent holds the refresher lease of `scope`.
  void setRefresher(const std::string& scope, bool leader);

  /// The text exposition of every metric (what /metrics returns).
  std::string render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace anchorage::agent
