// SPDX-License-Identifier: Apache-2.0
//
// RFC 5011 through the directory, end to end. corp.example. on nsd rolls its KSK the way the root
// did: a new KSK is published beside the old one, the old one is revoked, then withdrawn. The
// hold-downs are shortened to seconds. The agent on provider 1 holds the refresher lease and writes
// every transition; it and the agent on the forest-only consumer apply the same states to their
// Unbound, which validates the zone at every step. Then the refresher is killed and the consumer's
// agent takes the lease over when it runs out.

#include <signal.h>

#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "agent/refresher.h"
#include "agent_fleet.h"
#include "directory/mapping.h"
#include "directory/operations.h"
#include "util/file.h"

namespace anchorage::agenttest {
namespace {

using model::KeyState;
using std::chrono::milliseconds;

constexpr milliseconds kStep{30000};
constexpr uint16_t kMetricsPort = 14608;

// The consumer agent's /metrics text.
std::string scrapeMetrics() {
  auto r = testsupport::runCommand(
      {"python3", "-c",
       "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:" +
           std::to_string(kMetricsPort) + "/metrics', timeout=5).read().decode())"},
      milliseconds(10000));
  return r ? r->output : std::string();
}

class RolloverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto net = resolvertest::TestNetwork::create();
    ASSERT_TRUE(net) << net.error().toString();
    net_ = std::move(*net);
    // One-second TTLs: the add hold-down is at least the DNSKEY set's TTL (RFC 5011 §2.4.1).
    const auto& corp = net_->corp();
    ASSERT_TRUE(net_->resignZone("corp.example.", {corp.zsk_key, corp.ksk_key}, 1));
    auto fleet = makeFleet(*net_);
    ASSERT_TRUE(fleet) << fleet.error().toString();
    servers_ = std::move(*fleet);
    // Agent 1 on provider 1 (in the refreshers group) and agent 3 on the consumer.
    servers_.erase(servers_.begin());
    const std::string rfc5011 =
        "rfc5011:\n"
        "  servers: [\"" +
        std::string(resolvertest::kNsdAddress) + ":" + std::to_string(net_->nsdPort()) +
        "\"]\n"
        "  lease: 3s\n"
        "  add_hold_down: 4s\n"
        "  remove_hold_down: 4s\n"
        "  min_refresh: 1s\n"
        "  max_refresh: 1s\n"
        "  max_retry: 1s\n";
    for (auto& s : servers_) {
      s->extra_config = rfc5011;
    }
    consumer().metrics_port = kMetricsPort;
    for (auto& s : servers_) {
      s->writeConfig(*net_);
    }
    publisher_ = open(topo().publisher(topo().var("PROVIDER1_URI")));
    ASSERT_NE(publisher_, nullptr);
  }

  static void TearDownTestSuite() {
    for (auto& s : servers_) {
      if (s->agent) {
        s->agent->stop();
      }
    }
    servers_.clear();
    publisher_.reset();
    net_.reset();
  }

  void TearDown() override {
    if (HasFailure()) {
      printAgentLogs(servers_);
    }
  }

  static std::unique_ptr<directory::Session> open(const directory::SessionSettings& settings) {
    auto s = directory::Session::open(settings);
    EXPECT_TRUE(s) << s.error().toString();
    return s ? std::move(*s) : nullptr;
  }

  static directory::ScopeClient forest() {
    return directory::ScopeClient(*publisher_, directory::ScopeLayout(topo().var("FOREST_SUFFIX")));
  }

  static Server& refresher() { return *servers_[1]; }  // agent 1, provider 1
  static Server& consumer() { return *servers_[0]; }   // agent 3, consumer

  // The trust point's anchors by id, as provider 1 holds them.
  static std::map<std::string, model::TrustAnchor> anchors() {
    std::map<std::string, model::TrustAnchor> out;
    auto tp = forest().readTrustPoint(net_->corp().name);
    if (tp) {
      for (const auto& a : tp->second) {
        out.emplace(a.id(), a);
      }
    }
    return out;
  }

  static std::optional<KeyState> stateOf(const model::TrustAnchor& anchor) {
    const auto all = anchors();
    const auto it = all.find(anchor.id());
    return it == all.end() ? std::nullopt : std::optional<KeyState>(it->second.state);
  }

  // Both resolvers validate the zone (retrying through a reload).
  static bool bothValidate() {
    return eventually(
        [] {
          return refresher().validates(net_->corp().probe) &&
                 consumer().validates(net_->corp().probe);
        },
        milliseconds(10000));
  }

  // True when the anchor file of every agent holds `text`.
  static bool everyAnchorFileHas(const std::string& text, bool present) {
    for (const auto& s : servers_) {
      auto file = util::readFile(s->anchorFile(), 1 << 20);
      if (!file || (file->find(text) != std::string::npos) != present) {
        return false;
      }
    }
    return true;
  }

  static std::unique_ptr<resolvertest::TestNetwork> net_;
  static std::vector<std::unique_ptr<Server>> servers_;
  static std::unique_ptr<directory::Session> publisher_;
};

std::unique_ptr<resolvertest::TestNetwork> RolloverTest::net_;
std::vector<std::unique_ptr<Server>> RolloverTest::servers_;
std::unique_ptr<directory::Session> RolloverTest::publisher_;

TEST_F(RolloverTest, KskRolloverIsFollowedInStepAndTheLeaseIsTakenOver) {
  const auto& corp = net_->corp();
  // The operator's starting point: the DS of the first KSK, automatic update on.
  ASSERT_TRUE(forest().publishAnchor(corp.ds));
  auto info = forest().readTrustPoint(corp.name).value().first;
  info.auto_update = true;
  ASSERT_TRUE(forest().putTrustPoint(info));
  for (auto& s : servers_) {
    s->startAgent();
  }
  ASSERT_TRUE(bothValidate());
  // The refresher's first probe succeeds and is recorded on the trust point.
  ASSERT_TRUE(eventually(
      [&] {
        auto tp = forest().readTrustPoint(corp.name);
        return tp && tp->first.last_successful_refresh && tp->first.last_refresh_result == "ok";
      },
      kStep));
  auto lease = forest().readLease(agent::kRefreshLease);
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->holder, topo().var("AGENT1_NAME"));

  // 1. A second KSK is published: AddPend, not yet given to any resolver.
  auto ksk2_base = net_->makeKey("corp.example.", true);
  ASSERT_TRUE(ksk2_base);
  ASSERT_TRUE(net_->resignZone("corp.example.", {corp.zsk_key, corp.ksk_key, *ksk2_base}, 1));
  model::TrustAnchor ksk2;
  ksk2.record = {corp.name, 3600, net_->keyOf(*ksk2_base).value()};
  ASSERT_TRUE(eventually([&] { return stateOf(ksk2) == KeyState::kAddPend; }, kStep));
  const std::string ksk2_text = ksk2.record.rdataText();
  EXPECT_TRUE(everyAnchorFileHas(ksk2_text.substr(ksk2_text.size() - 20), false));
  EXPECT_TRUE(bothValidate());

  // 2. After the add hold-down it is Valid, and every resolver gets it.
  ASSERT_TRUE(eventually([&] { return stateOf(ksk2) == KeyState::kValid; }, kStep));
  EXPECT_TRUE(eventually(
      [&] { return everyAnchorFileHas(ksk2_text.substr(ksk2_text.size() - 20), true); }, kStep));
  EXPECT_TRUE(bothValidate());

  // 3. The old KSK is revoked (it signs the set with the REVOKE bit): Revoked, withdrawn.
  ASSERT_TRUE(net_->revokeKey(corp.ksk_key));
  ASSERT_TRUE(net_->resignZone("corp.example.", {corp.zsk_key, corp.ksk_key, *ksk2_base}, 1));
  ASSERT_TRUE(eventually([&] { return stateOf(corp.ds) == KeyState::kRevoked; }, kStep));
  const std::string ds_text = corp.ds.record.rdataText();
  EXPECT_TRUE(eventually(
      [&] { return everyAnchorFileHas(ds_text.substr(ds_text.size() - 20), false); }, kStep));
  EXPECT_TRUE(bothValidate());

  // 4. The old KSK leaves the zone: Removed after the remove hold-down.
  ASSERT_TRUE(net_->resignZone("corp.example.", {corp.zsk_key, *ksk2_base}, 1));
  ASSERT_TRUE(eventually([&] { return stateOf(corp.ds) == KeyState::kRemoved; }, kStep));
  EXPECT_EQ(stateOf(ksk2), KeyState::kValid);
  EXPECT_TRUE(bothValidate());
  for (const auto& s : servers_) {
    EXPECT_TRUE(s->resolverFilesParse()) << s->name;
  }
  const std::string log = refresher().agentLog();
  for (const char* transition : {"from=Start to=AddPend", "from=AddPend to=Valid",
                                 "from=Valid to=Revoked", "from=Revoked to=Removed"}) {
    EXPECT_NE(log.find(transition), std::string::npos) << transition;
  }

  // 5. The refresher dies without giving the lease up. The consumer's agent, once in the
  //    refreshers group, takes the lease when it runs out and the refreshes go on.
  {
    directory::SessionSettings root;
    root.uris = {topo().var("PROVIDER1_LDAPI_URI")};
    root.bind_method = directory::BindMethod::kExternal;
    auto admin = open(root);
    ASSERT_NE(admin, nullptr);
    ASSERT_TRUE(
        admin->modify(topo().var("REFRESHERS_GROUP_DN"),
                      {{directory::Modification::Op::kAdd, "member", {topo().var("AGENT3_DN")}}}));
  }
  const auto before = forest().readTrustPoint(corp.name).value().first.last_refresh;
  ASSERT_TRUE(refresher().agent->signal(SIGKILL));
  ASSERT_TRUE(refresher().agent->wait(milliseconds(5000)));
  EXPECT_TRUE(eventually(
      [&] {
        auto l = forest().readLease(agent::kRefreshLease);
        return l && l->holder == topo().var("AGENT3_NAME");
      },
      kStep));
  EXPECT_TRUE(eventually(
      [&] {
        auto tp = forest().readTrustPoint(corp.name);
        return tp && tp->first.last_refresh && before && *tp->first.last_refresh > *before &&
               tp->first.last_refresh_result == "ok";
      },
      kStep));
  EXPECT_NE(consumer().agentLog().find("Refresher lease taken"), std::string::npos);
  // Its metrics: the refresher role, the refreshes it made, the key states of the scope.
  EXPECT_TRUE(eventually(
      [&] {
        const std::string m = scrapeMetrics();
        return m.find("anchorage_agent_rfc5011_refresher{scope=\"forestdnszones\"} 1") !=
                   std::string::npos &&
               m.find(
                   "anchorage_agent_rfc5011_refreshes_total{outcome=\"ok\",scope="
                   "\"forestdnszones\"}") != std::string::npos &&
               m.find(
                   "anchorage_agent_rfc5011_anchors{scope=\"forestdnszones\",state=\"Valid\"} 1") !=
                   std::string::npos &&
               m.find(
                   "anchorage_agent_rfc5011_anchors{scope=\"forestdnszones\",state=\"Removed\"} "
                   "1") != std::string::npos;
      },
      milliseconds(10000)))
      << scrapeMetrics();
  EXPECT_TRUE(eventually([&] { return consumer().validates(corp.probe); }, milliseconds(10000)));
}

}  // namespace
}  // namespace anchorage::agenttest

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new anchorage::testing::TopologyEnvironment(14600));
  return RUN_ALL_TESTS();
}
