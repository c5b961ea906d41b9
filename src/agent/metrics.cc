// SPDX-License-Identifier: Apache-2.0
//
// Metrics through prometheus-cpp (core for the registry, pull for the HTTP exposer).

#include "agent/metrics.h"

#include <exception>

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace anchorage::agent {

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Gauge>& applied =
      prometheus::BuildGauge()
          .Name("anchorage_agent_anchors_applied")
          .Help("Trust anchors the writer last applied")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& ntas =
      prometheus::BuildGauge()
          .Name("anchorage_agent_ntas_applied")
          .Help("Negative trust anchors the writer last applied")
          .Register(*registry);
  prometheus::Gauge& quarantined = prometheus::BuildGauge()
                                       .Name("anchorage_agent_quarantined_entries")
                                       .Help("Directory entries rejected by validation")
                                       .Register(*registry)
                                       .Add({});
  prometheus::Family<prometheus::Gauge>& phase =
      prometheus::BuildGauge()
          .Name("anchorage_agent_sync_phase")
          .Help("Sync phase per scope: 0 disconnected, 1 refreshing, 2 persisting")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& reconnects =
      prometheus::BuildGauge()
          .Name("anchorage_agent_sync_connects_total")
          .Help("Directory connections made per scope, the first included")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& applies = prometheus::BuildCounter()
                                                         .Name("anchorage_agent_applies_total")
                                                         .Help("Applies per writer and outcome")
                                                         .Register(*registry);
  prometheus::Histogram& apply_seconds =
      prometheus::BuildHistogram()
          .Name("anchorage_agent_apply_seconds")
          .Help("Time of one apply, every writer included")
          .Register(*registry)
          .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                           1, 2.5, 5, 10});
  prometheus::Histogram& propagation =
      prometheus::BuildHistogram()
          .Name("anchorage_agent_propagation_seconds")
          .Help("Apply time minus the directory modification time of the newest change")
          .Register(*registry)
          .Add({}, prometheus::Histogram::BucketBoundaries{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10,
                                                           30, 60, 300});
  prometheus::Gauge& held = prometheus::BuildGauge()
                                .Name("anchorage_agent_guard_held")
                                .Help("1 while the mass-removal guard holds a change back")
                                .Register(*registry)
                                .Add({});
  prometheus::Family<prometheus::Gauge>& key_states =
      prometheus::BuildGauge()
          .Name("anchorage_agent_rfc5011_anchors")
          .Help("Anchors of auto-update trust points per scope and RFC 5011 state")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& refreshes =
      prometheus::BuildCounter()
          .Name("anchorage_agent_rfc5011_refreshes_total")
          .Help("RFC 5011 refreshes done by this agent per scope and outcome")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& refresher =
      prometheus::BuildGauge()
          .Name("anchorage_agent_rfc5011_refresher")
          .Help("1 while this agent holds the scope's refresher lease")
          .Register(*registry);
  std::unique_ptr<prometheus::Exposer> exposer;
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

Result<void> Metrics::serve(const std::string& host, uint16_t port) {
  const std::string address =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  try {
    impl_->exposer = std::make_unique<prometheus::Exposer>(address, 1);
    impl_->exposer->RegisterCollectable(impl_->registry);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kUnavailable, "Metrics address cannot be bound",
                {{"address", address}, {"reason", e.what()}});
  }
  return ok();
}

void Metrics::setApplied(const std::string& writer, size_t anchors, size_t ntas) {
  impl_->applied.Add({{"writer", writer}}).Set(static_cast<double>(anchors));
  impl_->ntas.Add({{"writer", writer}}).Set(static_cast<double>(ntas));
}

void Metrics::setQuarantined(size_t count) {
  impl_->quarantined.Set(static_cast<double>(count));
}

void Metrics::setSyncPhase(const std::string& scope, int phase) {
  impl_->phase.Add({{"scope", scope}}).Set(phase);
}

void Metrics::setReconnects(const std::string& scope, uint64_t total) {
  impl_->reconnects.Add({{"scope", scope}}).Set(static_cast<double>(total));
}

void Metrics::countApply(const std::string& writer, const std::string& outcome) {
  impl_->applies.Add({{"writer", writer}, {"outcome", outcome}}).Increment();
}

void Metrics::observeApplySeconds(double seconds) {
  impl_->apply_seconds.Observe(seconds);
}

void Metrics::observePropagationSeconds(double seconds) {
  impl_->propagation.Observe(seconds);
}

void Metrics::setGuardHeld(bool held) {
  impl_->held.Set(held ? 1 : 0);
}

void Metrics::setKeyStates(const std::string& scope, const std::map<std::string, size_t>& counts) {
  // Every state is set, so a state whose last anchor left it reads 0.
  for (const char* state : {"Start", "AddPend", "Valid", "Missing", "Revoked", "Removed"}) {
    const auto it = counts.find(state);
    impl_->key_states.Add({{"scope", scope}, {"state", state}})
        .Set(it == counts.end() ? 0.0 : static_cast<double>(it->second));
  }
}

void Metrics::countRefresh(const std::string& scope, const std::string& outcome) {
  impl_->refreshes.Add({{"scope", scope}, {"outcome", outcome}}).Increment();
}

void Metrics::setRefresher(const std::string& scope, bool leader) {
  impl_->refresher.Add({{"scope", scope}}).Set(leader ? 1 : 0);
}

std::string Metrics::render() const {
  return prometheus::TextSerializer().Serialize(impl_->registry->Collect());
}

}  // namespace anchorage::agent
