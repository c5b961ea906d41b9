// SPDX-License-Identifier: Apache-2.0
//
// Resolver-writer benchmark: how long one Writer::apply() takes against each real resolver
// (Unbound, BIND 9, Knot Resolver, PowerDNS Recursor), next to the resolver's bare reload. The
// resolvers run one at a time under the resolver test harness (tests/resolvers/harness.h: nsd on
// loopback serving zones signed at start, every resolver fenced so it never queries off the
// machine). Prints figures; it is not a timed test and exits non-zero only when a step could not
// be carried out or an apply did not verify.
//
// Per resolver: one warm-up apply (empty file -> set B, not counted), then kRuns applies that
// alternate between two sets that both validate, A = {corp.example. DS} and B = {corp.example. DS,
// corp.example. DNSKEY}, so every apply changes the files and runs the full sequence (check,
// atomic write, reload, flush of corp.example., verify by a DO-bit query that must come back with
// AD=1, RFC 4035 §3.2.3). Each is timed from the call to apply() until it returns. Then kRuns
// runs of the resolver's reload alone, timed with the same clock (std::chrono::steady_clock):
// the writer's own reload argv run through writers::runCommand (unbound-control reload, rndc
// reconfig, rec_control reload-lua-config), and for kresd, which has no reload command, the
// writer's control-socket call anchorage_apply('<manifest>').
//
// Statistics: median is the mean of the two middle values of the sorted runs; p95 is the nearest
// rank, the ceil(0.95 * n)-th smallest (the 19th of 20).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "resolvers/harness.h"
#include "writers/bind_writer.h"
#include "writers/command.h"
#include "writers/knot_writer.h"
#include "writers/powerdns_writer.h"
#include "writers/unbound_writer.h"

namespace anchorage::bench {
namespace {

using resolvertest::BindServer;
using resolvertest::KnotServer;
using resolvertest::PowerDnsServer;
using resolvertest::TestNetwork;
using resolvertest::UnboundServer;
using writers::AnchorSet;
using writers::ApplyReport;
using Clock = std::chrono::steady_clock;

constexpr int kRuns = 20;

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

/// A writer of type `Base` that lets the benchmark run its reload step on its own.
template <typename Base>
class BenchWriter : public Base {
 public:
  using Base::Base;

  /// The argv the writer reloads with; empty for kresd (control socket instead).
  std::vector<std::string> reloadArgv() const { return this->defaultReloadCommand(); }

  /// The writer's own reload step.
  Result<void> reloadOnly() const { return this->reload(); }
};

/// What was measured for one resolver.
struct Figures {
  std::string name;
  std::string reload_label;  ///< What the bare reload ran.
  bool skipped = false;      ///< The resolver is not installed.
  std::string error;         ///< Set when a step could not be carried out.
  double warmup_ms = 0;
  std::vector<double> apply_ms;
  std::vector<double> reload_ms;
  int changed = 0;
  int verified = 0;
  int max_probe_attempts = 0;
};

double median(std::vector<double> v) {
  if (v.empty()) {
    return NAN;
  }
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double p95(std::vector<double> v) {
  if (v.empty()) {
    return NAN;
  }
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(0.95 * static_cast<double>(v.size())));
  return v[std::max<size_t>(rank, 1) - 1];
}

/// True when the apply succeeded and every probe it sent came back with AD=1.
bool verifiedAd(const ApplyReport& report) {
  return report.ok() && !report.probes.empty() &&
         std::all_of(report.probes.begin(), report.probes.end(),
                     [](const writers::ProbeResult& p) { return p.validated; });
}

/// One timed apply of `set`; counts it into `figures`.
template <typename W>
void recordApply(W& writer, const AnchorSet& set, Figures& figures) {
  const auto start = Clock::now();
  const ApplyReport report = writer.apply(set);
  figures.apply_ms.push_back(msSince(start));
  figures.changed += report.changed ? 1 : 0;
  figures.verified += verifiedAd(report) ? 1 : 0;
  for (const auto& p : report.probes) {
    figures.max_probe_attempts = std::max(figures.max_probe_attempts, p.attempts);
  }
  if (!report.ok() && figures.error.empty()) {
    figures.error = "apply " + std::to_string(figures.apply_ms.size()) +
                    " failed: " + report.result.error().toString();
  }
}

/// kRuns bare reloads: the writer's reload argv through runCommand, or its control-socket call.
template <typename W>
void timeReloads(const W& writer, Figures& figures) {
  const auto argv = writer.reloadArgv();
  figures.reload_label =
      argv.empty() ? "control socket: anchorage_apply(manifest)" : writers::describeCommand(argv);
  for (int i = 0; i < kRuns; ++i) {
    const auto start = Clock::now();
    std::string failure;
    if (argv.empty()) {
      if (auto r = writer.reloadOnly(); !r) {
        failure = r.error().toString();
      }
    } else {
      auto r = writers::runCommand(argv, writer.settings().timeout);
      if (!r) {
        failure = r.error().toString();
      } else if (!r->success()) {
        failure = "exit " + std::to_string(r->exit_code) + ": " + r->output;
      }
    }
    figures.reload_ms.push_back(msSince(start));
    if (!failure.empty()) {
      figures.error = "reload " + std::to_string(i + 1) + " failed: " + failure;
      return;
    }
  }
}

/// Starts the resolver, runs the warm-up apply, kRuns timed applies and kRuns bare reloads, and
/// stops it (by PID, in the server's destructor as well).
template <typename Server, typename W>
Figures benchResolver(const TestNetwork& network, std::string name) {
  Figures figures;
  figures.name = std::move(name);
  Server server;
  if (!resolvertest::haveProgram(server.program())) {
    figures.skipped = true;
    return figures;
  }
  if (auto s = server.start(network); !s) {
    figures.error = "start failed: " + s.error().toString();
    return figures;
  }
  BenchWriter<W> writer(server.writerSettings());
  const auto& corp = network.corp();
  AnchorSet ds_only;
  ds_only.anchors = {corp.ds};
  AnchorSet ds_and_key;
  ds_and_key.anchors = {corp.ds, corp.dnskey};

  const auto warmup_start = Clock::now();
  const ApplyReport warmup = writer.apply(ds_and_key);
  figures.warmup_ms = msSince(warmup_start);
  if (!verifiedAd(warmup)) {
    figures.error =
        "warm-up apply failed: " +
        (warmup.ok() ? std::string("no probe validated") : warmup.result.error().toString()) +
        "\n" + server.log();
    server.stop();
    return figures;
  }
  for (int i = 0; i < kRuns; ++i) {
    recordApply(writer, i % 2 == 0 ? ds_only : ds_and_key, figures);
  }
  timeReloads(writer, figures);
  if (!server.running() && figures.error.empty()) {
    figures.error = "resolver exited during the run\n" + server.log();
  }
  server.stop();
  return figures;
}

void printDetail(const Figures& f) {
  if (f.skipped) {
    std::printf("%s: not installed, skipped\n", f.name.c_str());
    return;
  }
  std::printf("%s: warm-up apply %.1f ms\n", f.name.c_str(), f.warmup_ms);
  if (!f.apply_ms.empty()) {
    const auto [lo, hi] = std::minmax_element(f.apply_ms.begin(), f.apply_ms.end());
    std::printf(
        "  apply x%zu: median %.1f ms, p95 %.1f ms (min %.1f, max %.1f); changed files %d/%zu; "
        "verified AD %d/%zu; most probe attempts %d\n",
        f.apply_ms.size(), median(f.apply_ms), p95(f.apply_ms), *lo, *hi, f.changed,
        f.apply_ms.size(), f.verified, f.apply_ms.size(), f.max_probe_attempts);
  }
  if (!f.reload_ms.empty()) {
    const auto [lo, hi] = std::minmax_element(f.reload_ms.begin(), f.reload_ms.end());
    std::printf("  bare reload x%zu (%s): median %.1f ms, p95 %.1f ms (min %.1f, max %.1f)\n",
                f.reload_ms.size(), f.reload_label.c_str(), median(f.reload_ms), p95(f.reload_ms),
                *lo, *hi);
  }
  if (!f.error.empty()) {
    std::printf("  error: %s\n", f.error.c_str());
  }
  std::fflush(stdout);
}

void printTable(const std::vector<Figures>& all) {
  std::printf("\nResolver writer apply vs bare reload, %d runs each, ms (steady_clock)\n", kRuns);
  std::printf("%-10s %12s %10s %13s %11s %8s %9s\n", "resolver", "apply med", "apply p95",
              "reload med", "reload p95", "changed", "verified");
  for (const auto& f : all) {
    if (f.skipped) {
      std::printf("%-10s %s\n", f.name.c_str(), "not installed");
      continue;
    }
    std::printf("%-10s %12.1f %10.1f %13.1f %11.1f %5d/%-2zu %6d/%-2zu\n", f.name.c_str(),
                median(f.apply_ms), p95(f.apply_ms), median(f.reload_ms), p95(f.reload_ms),
                f.changed, f.apply_ms.size(), f.verified, f.apply_ms.size());
  }
}

int run() {
  const auto start = Clock::now();
  auto network = TestNetwork::create();
  if (!network) {
    std::printf("test network could not be created: %s\n", network.error().toString().c_str());
    return 1;
  }
  std::printf("zones signed and nsd started in %.0f ms\n", msSince(start));
  std::vector<Figures> all;
  all.push_back(benchResolver<UnboundServer, writers::UnboundWriter>(**network, "unbound"));
  printDetail(all.back());
  all.push_back(benchResolver<BindServer, writers::BindWriter>(**network, "bind"));
  printDetail(all.back());
  all.push_back(benchResolver<KnotServer, writers::KnotWriter>(**network, "kresd"));
  printDetail(all.back());
  all.push_back(benchResolver<PowerDnsServer, writers::PowerDnsWriter>(**network, "powerdns"));
  printDetail(all.back());
  printTable(all);
  std::printf("total %.1f s\n", msSince(start) / 1000);

  const bool complete = std::all_of(all.begin(), all.end(), [](const Figures& f) {
    return f.skipped || (f.error.empty() && f.verified == kRuns &&
                         f.reload_ms.size() == static_cast<size_t>(kRuns));
  });
  return complete ? 0 : 1;
}

}  // namespace
}  // namespace anchorage::bench

int main() {
  return anchorage::bench::run();
}
