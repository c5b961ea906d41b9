// SPDX-License-Identifier: Apache-2.0
//
// Active Directory beside OpenLDAP: publish -> applied and verified by an agent, through each
// directory's own replication, in one run and on one machine.
//
//   AD:       the Administrator adds a DS value to the node bench.example. of the forest
//             partition's TrustAnchors zone on Samba DC1 (directory/ad_writer, as anchorctl does);
//             DRS replication carries it to DC2 (notify interval 1 s in the harness, Windows'
//             default between sites is far longer); an agent reading DC2 as a plain domain user
//             polls DirSync every --poll-interval and applies.
//   OpenLDAP: the publisher adds the same kind of anchor on provider1 of deploy/topology.sh
//             (ports 15000-15005); syncrepl carries it to provider2, which an agent follows with
//             RFC 4533 refreshAndPersist.
//
// Each agent feeds its own Unbound (resolver harness, nsd serving the signed test zones). The end
// point is the agent's log line "Trust anchor set applied" with the new anchor count: written
// after unbound-checkconf, the atomic write, the reload and a DO-bit probe of www.corp.example.
// that came back with AD=1. Publishes alternate between the two sides, one at a time, each
// waiting for its agent, with a pause of 100-300 ms; warm-up publishes are not counted. p50 and
// p99 are nearest rank. Every wait ends after 60 s; a publish whose line never came is a miss.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_stats.h"
#include "directory/ad_mapping.h"
#include "directory/ad_writer.h"
#include "directory/operations.h"
#include "directory/session.h"
#include "model/anchor.h"
#include "resolvers/harness.h"
#include "samba/samba_env.h"
#include "support/process.h"
#include "topology_env.h"
#include "util/encoding.h"
#include "util/file.h"

namespace anchorage::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kBasePort = 15000;
constexpr int kWarmup = 3;
constexpr milliseconds kWait{60000};
constexpr const char* kBenchPoint = "bench.example.";

double msSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Follows an agent's log and waits for its applied line with a given anchor count.
class AppliedWatch {
 public:
  explicit AppliedWatch(std::string path) : path_(std::move(path)) {}

  bool waitFor(size_t anchors, Clock::time_point deadline) {
    const std::string count = " anchors=" + std::to_string(anchors) + " ";
    while (Clock::now() < deadline) {
      std::ifstream in(path_, std::ios::binary);
      in.seekg(static_cast<std::streamoff>(offset_));
      std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      pending_ += chunk;
      offset_ += chunk.size();
      for (size_t end; (end = pending_.find('\n')) != std::string::npos;) {
        const std::string line = pending_.substr(0, end);
        pending_.erase(0, end + 1);
        if (line.find("msg=\"Trust anchor set applied\"") != std::string::npos &&
            line.find(count) != std::string::npos) {
          return true;
        }
      }
      std::this_thread::sleep_for(milliseconds(2));
    }
    return false;
  }

 private:
  std::string path_;
  size_t offset_ = 0;
  std::string pending_;
};

// One side: a directory, the agent reading it and its Unbound.
struct Side {
  std::string label;
  std::string dir;
  std::unique_ptr<resolvertest::UnboundServer> unbound;
  std::optional<testsupport::Process> agent;
  std::unique_ptr<AppliedWatch> watch;
  std::function<Result<void>(const model::TrustAnchor&)> publish;
  /// True once the replica the agent reads holds the anchor (polled from a thread of its own).
  std::function<bool(const model::TrustAnchor&)> replicated;
  size_t anchors = 0;  ///< What the agent applies once the last publish arrived.
  std::vector<double> ack_ms;
  std::vector<double> replicated_ms;
  std::vector<double> applied_ms;
};

std::string resolverYaml(const resolvertest::UnboundServer& unbound,
                         const resolvertest::TestNetwork& net) {
  const auto w = unbound.writerSettings();
  std::string control;
  for (const auto& a : w.control_command) {
    control += (control.empty() ? "\"" : ", \"") + a + "\"";
  }
  return "resolvers:\n  - type: unbound\n    anchor_file: " + w.anchor_file +
         "\n    nta_file: " + w.nta_file + "\n    control_command: [" + control +
         "]\n    address: " + w.query_address + ":" + std::to_string(w.query_port) +
         "\n    probes: { \"" + net.corp().name.text() + "\": \"" + net.corp().probe +
         "\" }\n    timeout: 5s\n    verify_timeout: 10s\n";
}

bool startSide(Side& s, const std::string& config) {
  std::filesystem::create_directories(s.dir);
  std::ofstream(s.dir + "/agent.yaml") << config;
  auto p = testsupport::Process::spawn(
      {{ANCHORAGE_AGENT_PATH, "-c", s.dir + "/agent.yaml"}, s.dir + "/agent.log", "", s.dir, {}});
  if (!p) {
    std::fprintf(stderr, "%s: agent: %s\n", s.label.c_str(), p.error().toString().c_str());
    return false;
  }
  s.agent.emplace(std::move(*p));
  s.watch = std::make_unique<AppliedWatch>(s.dir + "/agent.log");
  return true;
}

// Publishes `a` on side `s` and times it to the agent's applied line.
bool publishAndWait(Side& s, const model::TrustAnchor& a, bool measured) {
  const auto t0 = Clock::now();
  if (auto r = s.publish(a); !r) {
    std::fprintf(stderr, "%s: publish: %s\n", s.label.c_str(), r.error().toString().c_str());
    return false;
  }
  const double ack = msSince(t0);
  ++s.anchors;
  // The replica, polled every 10 ms meanwhile: the directory's own share of the time.
  std::optional<double> replicated;
  std::thread poller([&] {
    while (Clock::now() - t0 < kWait) {
      if (s.replicated(a)) {
        replicated = msSince(t0);
        return;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
  });
  const bool arrived = s.watch->waitFor(s.anchors, Clock::now() + kWait);
  const double applied = msSince(t0);
  poller.join();
  if (measured) {
    s.ack_ms.push_back(ack);
    if (arrived) {
      s.applied_ms.push_back(applied);
    }
    if (replicated) {
      s.replicated_ms.push_back(*replicated);
    }
  }
  if (!arrived) {
    std::fprintf(stderr, "%s: no applied line for %zu anchors within %lld s\n", s.label.c_str(),
                 s.anchors, static_cast<long long>(kWait.count() / 1000));
  }
  return true;
}

model::TrustAnchor benchAnchor(int i) {
  const std::string seed = "ad-bench-" + std::to_string(i);
  model::TrustAnchor a;
  a.record.owner = model::DomainName::parse(kBenchPoint).value();
  a.record.rdata = model::DsRdata{static_cast<uint16_t>(1000 + i), 13, 2,
                                  util::digest("sha256", {seed.begin(), seed.end()})};
  a.state = model::KeyState::kValid;
  return a;
}

void printRow(const char* label, const std::vector<double>& v, int expected) {
  const auto s = summarize(v, static_cast<size_t>(expected));
  std::printf("  %-66s %4zu %6zu %7.0f %7.0f %7.0f\n", label, s.n, s.missed, s.p50, s.p99, s.max);
}

int run(int publishes, const std::string& poll_interval) {
  const auto started = Clock::now();
  auto net = resolvertest::TestNetwork::create();
  if (!net) {
    std::fprintf(stderr, "test network: %s\n", net.error().toString().c_str());
    return 1;
  }
  testing::SambaEnvironment samba;
  samba.SetUp();
  if (samba.var("DC1_URI").empty()) {
    std::fprintf(stderr, "the Samba domain controllers did not start (root and samba needed)\n");
    samba.TearDown();
    return 1;
  }
  testing::TopologyEnvironment topo(kBasePort);
  topo.SetUp();
  if (topo.var("PROVIDER1_URI").empty()) {
    std::fprintf(stderr, "the OpenLDAP topology did not start\n");
    topo.TearDown();
    samba.TearDown();
    return 1;
  }
  std::printf("directories up in %.1f s (Samba provisioning %.1f s)\n", msSince(started) / 1000,
              static_cast<double>(samba.startDuration().count()) / 1000);

  auto ad_session = directory::Session::open(samba.admin(samba.var("DC1_LDAPS_URI")));
  auto ol_session = directory::Session::open(topo.publisher(topo.var("PROVIDER1_URI")));
  auto dc2_session = directory::Session::open(samba.admin(samba.var("DC2_LDAPS_URI")));
  auto p2_session = directory::Session::open(topo.publisher(topo.var("PROVIDER2_URI")));
  if (!ad_session || !ol_session || !dc2_session || !p2_session) {
    std::fprintf(stderr, "directory sessions did not open\n");
    topo.TearDown();
    samba.TearDown();
    return 1;
  }
  directory::AdScopeWriter ad_writer(**ad_session,
                                     directory::AdLayout(samba.var("FOREST_DNS_ZONES_DN")));
  directory::ScopeClient ol_writer(**ol_session, directory::ScopeLayout(topo.var("FOREST_SUFFIX")));
  if (auto zone = ad_writer.ensureZone(); !zone) {
    std::fprintf(stderr, "TrustAnchors zone: %s\n", zone.error().toString().c_str());
    topo.TearDown();
    samba.TearDown();
    return 1;
  }

  Side ad{"AD", samba.dir() + "/bench-ad"};
  Side ol{"OpenLDAP", topo.dir() + "/bench-openldap"};
  ad.publish = [&](const model::TrustAnchor& a) -> Result<void> {
    auto r = ad_writer.publishAnchor(a);
    return r ? ok() : fail(r.error());
  };
  ol.publish = [&](const model::TrustAnchor& a) -> Result<void> {
    auto r = ol_writer.publishAnchor(a);
    return r ? ok() : fail(r.error());
  };
  const directory::AdLayout forest(samba.var("FOREST_DNS_ZONES_DN"));
  ad.replicated = [&](const model::TrustAnchor& a) {
    auto found = directory::AdScopeWriter(**dc2_session, forest).readTrustPoint(a.record.owner);
    return found && std::any_of(found->begin(), found->end(),
                                [&](const model::TrustAnchor& b) { return b.record == a.record; });
  };
  directory::ScopeClient p2_reader(**p2_session, directory::ScopeLayout(topo.var("FOREST_SUFFIX")));
  ol.replicated = [&](const model::TrustAnchor& a) {
    auto found = p2_reader.readTrustPoint(a.record.owner);
    return found && std::any_of(found->second.begin(), found->second.end(),
                                [&](const model::TrustAnchor& b) { return b.record == a.record; });
  };
  bool ok_run = true;
  for (Side* s : {&ad, &ol}) {
    s->unbound = std::make_unique<resolvertest::UnboundServer>();
    if (auto r = s->unbound->start(**net); !r) {
      std::fprintf(stderr, "%s: unbound: %s\n", s->label.c_str(), r.error().toString().c_str());
      ok_run = false;
    }
  }
  const std::string common = "state_dir: STATE\nrfc5011: { enabled: false }\n";
  auto withState = [&](const Side& s) {
    std::string c = common;
    c.replace(c.find("STATE"), 5, s.dir + "/state");
    return c;
  };
  ok_run =
      ok_run &&
      startSide(ad, "server: ad-bench.corp.example.test\ndirectory:\n  read: [\"" +
                        samba.var("DC2_LDAPS_URI") + "\"]\n  bind: { method: simple, dn: \"" +
                        samba.var("USER_DN") +
                        "\", password_file: " + samba.var("USER_PASSWORD_FILE") +
                        " }\n  tls: { ca_file: " + samba.var("CA_CERT") +
                        " }\nscopes:\n  - { name: forest, type: ad, base: \"" +
                        samba.var("FOREST_DNS_ZONES_DN") + "\", poll_interval: " + poll_interval +
                        " }\n" + withState(ad) + resolverYaml(*ad.unbound, **net)) &&
      startSide(ol, "server: " + topo.var("AGENT2_NAME") + "\ndirectory:\n  read: [\"" +
                        topo.var("PROVIDER2_URI") + "\"]\n  bind: { method: simple, dn: \"" +
                        topo.var("AGENT2_DN") +
                        "\", password_file: " + topo.var("AGENT2_PASSWORD_FILE") +
                        " }\n  tls: { ca_file: " + topo.var("CA_CERT") +
                        " }\nscopes:\n  - { name: forest, base: \"" + topo.var("FOREST_SUFFIX") +
                        "\" }\n" + withState(ol) + resolverYaml(*ol.unbound, **net));

  // The signed zone's own anchor first, so that every apply after it is verified by a probe.
  if (ok_run) {
    for (Side* s : {&ad, &ol}) {
      ok_run = ok_run && publishAndWait(*s, (*net)->corp().ds, false);
    }
  }
  std::mt19937 rng(8);
  for (int i = 0; ok_run && i < kWarmup + publishes; ++i) {
    for (Side* s : {&ad, &ol}) {
      ok_run = ok_run && publishAndWait(*s, benchAnchor(i), i >= kWarmup);
      std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<int>(100, 300)(rng)));
    }
  }
  if (ok_run) {
    std::printf(
        "\nPublish -> applied and verified by the agent, ms (%d publishes each after %d warm-up;"
        " AD agent polls DirSync every %s, debounce 200 ms)\n",
        publishes, kWarmup, poll_interval.c_str());
    std::printf("  %-66s %4s %6s %7s %7s %7s\n", "", "n", "missed", "p50", "p99", "max");
    printRow("AD: write on Samba DC1 acknowledged", ad.ack_ms, publishes);
    printRow("AD: readable on DC2 (DRS; polled every 10 ms)", ad.replicated_ms, publishes);
    printRow("AD: agent on DC2 applied+verified (DirSync poll, Unbound)", ad.applied_ms, publishes);
    printRow("OpenLDAP: write on provider1 acknowledged", ol.ack_ms, publishes);
    printRow("OpenLDAP: readable on provider2 (syncrepl; polled every 10 ms)", ol.replicated_ms,
             publishes);
    printRow("OpenLDAP: agent on provider2 applied+verified (RFC 4533, Unbound)", ol.applied_ms,
             publishes);
  }
  for (Side* s : {&ad, &ol}) {
    if (s->agent) {
      s->agent->stop();
    }
    s->unbound.reset();
  }
  for (auto* session : {&*ol_session, &*ad_session, &*dc2_session, &*p2_session}) {
    session->reset();
  }
  topo.TearDown();
  samba.TearDown();
  std::printf("bench_ad: wall time %.1f s\n", msSince(started) / 1000);
  const bool complete = ad.applied_ms.size() == static_cast<size_t>(publishes) &&
                        ol.applied_ms.size() == static_cast<size_t>(publishes);
  return ok_run && complete ? 0 : 1;
}

}  // namespace
}  // namespace anchorage::bench

int main(int argc, char** argv) {
  int publishes = 50;
  std::string poll_interval = "1s";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--publishes") {
      publishes = std::max(1, std::atoi(argv[i + 1]));
    } else if (arg == "--poll-interval") {
      poll_interval = argv[i + 1];
    } else {
      std::fprintf(stderr, "usage: bench_ad [--publishes N] [--poll-interval DURATION]\n");
      return 64;
    }
  }
  return anchorage::bench::run(publishes, poll_interval);
}
