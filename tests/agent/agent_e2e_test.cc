// SPDX-License-Identifier: Apache-2.0
//
// anchorage-agent end to end: a real two-provider plus consumer directory, nsd serving signed
// zones, and three agents (on provider 2, on the consumer, and on provider 1), each feeding its
// own Unbound. Publishing, scope boundaries, quarantine, the mass-removal guard, SIGHUP with a
// broken configuration, kill -9 of an agent during applies, and a directory that is down when an
// agent starts.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "agent_fleet.h"
#include "directory/mapping.h"
#include "directory/operations.h"
#include "directory/session.h"
#include "model/nta.h"
#include "util/file.h"

namespace anchorage::agenttest {
namespace {

using std::chrono::milliseconds;

class AgentE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto net = resolvertest::TestNetwork::create();
    ASSERT_TRUE(net) << net.error().toString();
    net_ = std::move(*net);
    auto fleet = makeFleet(*net_);
    ASSERT_TRUE(fleet) << fleet.error().toString();
    servers_ = std::move(*fleet);
    for (auto& s : servers_) {
      s->writeConfig(*net_);
      s->startAgent();
    }
    publisher_ = openPublisher();
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

  static std::unique_ptr<directory::Session> openPublisher() {
    auto settings = topo().publisher(topo().var("PROVIDER1_URI"));
    auto s = directory::Session::open(settings);
    EXPECT_TRUE(s) << s.error().toString();
    return s ? std::move(*s) : nullptr;
  }

  static directory::ScopeClient forest() {
    return directory::ScopeClient(*publisher_, directory::ScopeLayout(topo().var("FOREST_SUFFIX")));
  }
  static directory::ScopeClient domain() {
    return directory::ScopeClient(*publisher_, directory::ScopeLayout(topo().var("DOMAIN_SUFFIX")));
  }

  static std::unique_ptr<resolvertest::TestNetwork> net_;
  static std::vector<std::unique_ptr<Server>> servers_;
  static std::unique_ptr<directory::Session> publisher_;
};

std::unique_ptr<resolvertest::TestNetwork> AgentE2eTest::net_;
std::vector<std::unique_ptr<Server>> AgentE2eTest::servers_;
std::unique_ptr<directory::Session> AgentE2eTest::publisher_;

TEST_F(AgentE2eTest, AnchorPublishedOnProvider1IsAppliedAndVerifiedByAllThree) {
  ASSERT_TRUE(forest().publishAnchor(net_->corp().ds));
  for (const auto& s : servers_) {
    EXPECT_TRUE(eventually([&] { return s->validates(net_->corp().probe); }, milliseconds(20000)))
        << s->name;
  }
  // Each agent reports what it applied in its status entry.
  EXPECT_TRUE(eventually(
      [&] {
        auto statuses = forest().readAgentStatuses();
        if (!statuses || statuses->size() < servers_.size()) {
          return false;
        }
        for (const auto& st : *statuses) {
          if (st.resolver_results != std::vector<std::string>{"unbound ok"} ||
              st.applied_digest.empty()) {
            return false;
          }
        }
        return true;
      },
      milliseconds(10000)));
}

TEST_F(AgentE2eTest, DomainScopeAnchorReachesOnlyAgentsWhoseReplicaHoldsIt) {
  ASSERT_TRUE(domain().publishAnchor(net_->rsa().ds));
  EXPECT_TRUE(
      eventually([&] { return servers_[0]->validates(net_->rsa().probe); }, milliseconds(20000)));
  EXPECT_TRUE(
      eventually([&] { return servers_[2]->validates(net_->rsa().probe); }, milliseconds(20000)));
  // The consumer holds only the forest scope: its resolver never gets the anchor.
  std::this_thread::sleep_for(milliseconds(1000));
  EXPECT_TRUE(servers_[1]->answersInsecure(net_->rsa().probe));
}

TEST_F(AgentE2eTest, MalformedEntryIsQuarantinedAndShownInTheStatus) {
  ASSERT_TRUE(
      eventually([&] { return servers_[1]->validates(net_->corp().probe); }, milliseconds(20000)));
  const directory::ScopeLayout layout(topo().var("FOREST_SUFFIX"));
  directory::Entry bad = directory::entryForAnchor(layout, net_->corp().wrong_ds);
  bad.attributes["anchorageKeyTag"] = {"1"};
  ASSERT_TRUE(publisher_->add(bad));
  EXPECT_TRUE(eventually(
      [&] {
        auto statuses = forest().readAgentStatuses();
        if (!statuses || statuses->size() < servers_.size()) {
          return false;
        }
        return std::all_of(statuses->begin(), statuses->end(), [&](const auto& st) {
          return std::find(st.quarantined.begin(), st.quarantined.end(), bad.dn) !=
                 st.quarantined.end();
        });
      },
      milliseconds(20000)));
  for (const auto& s : servers_) {
    EXPECT_TRUE(s->validates(net_->corp().probe)) << s->name;
  }
  ASSERT_TRUE(publisher_->remove(bad.dn));
}

TEST_F(AgentE2eTest, GuardHoldsAMassRemovalUntilItIsConfirmed) {
  ASSERT_TRUE(
      eventually([&] { return servers_[0]->validates(net_->corp().probe); }, milliseconds(20000)));
  ASSERT_TRUE(forest().deleteTrustPoint(net_->corp().name));
  std::this_thread::sleep_for(milliseconds(3000));
  for (const auto& s : servers_) {
    EXPECT_TRUE(s->validates(net_->corp().probe)) << s->name << " applied a held removal";
  }
  EXPECT_TRUE(eventually(
      [&] {
        auto statuses = forest().readAgentStatuses();
        return statuses && std::all_of(statuses->begin(), statuses->end(), [](const auto& st) {
                 return st.last_error.find("withdraws every anchor") != std::string::npos;
               });
      },
      milliseconds(10000)));
  // The operator confirms on the scope container; every agent then applies the removal.
  const directory::ScopeLayout layout(topo().var("FOREST_SUFFIX"));
  const auto until =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) +
      std::chrono::minutes(10);
  ASSERT_TRUE(
      publisher_->modify(layout.container(), {{directory::Modification::Op::kReplace,
                                               "anchorageRemovalConfirmedUntil",
                                               {directory::formatGeneralizedTime(until)}}}));
  for (const auto& s : servers_) {
    EXPECT_TRUE(
        eventually([&] { return s->answersInsecure(net_->corp().probe); }, milliseconds(20000)))
        << s->name;
  }
  ASSERT_TRUE(publisher_->modify(
      layout.container(),
      {{directory::Modification::Op::kDelete, "anchorageRemovalConfirmedUntil", {}}}));
  ASSERT_TRUE(forest().publishAnchor(net_->corp().ds));
  for (const auto& s : servers_) {
    EXPECT_TRUE(eventually([&] { return s->validates(net_->corp().probe); }, milliseconds(20000)))
        << s->name;
  }
}

TEST_F(AgentE2eTest, SighupWithABrokenConfigurationKeepsTheAgentRunning) {
  Server& s = *servers_[2];
  const std::string good = s.config(*net_);
  std::ofstream(s.configPath()) << "directory: [this is not a mapping\n";
  ASSERT_TRUE(s.agent->signal(SIGHUP));
  ASSERT_TRUE(eventually(
      [&] { return s.agentLog().find("New configuration rejected") != std::string::npos; },
      milliseconds(5000)));
  EXPECT_TRUE(s.agent->running());
  // Still working on the old configuration: an NTA switches validation off below its name.
  const model::NegativeTrustAnchor nta{
      net_->corp().name,
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) +
          std::chrono::hours(1),
      "sighup test", ""};
  ASSERT_TRUE(forest().putNta(nta));
  EXPECT_TRUE(
      eventually([&] { return s.answersInsecure(net_->corp().probe); }, milliseconds(20000)));
  ASSERT_TRUE(forest().deleteNta(nta.name));
  EXPECT_TRUE(eventually([&] { return s.validates(net_->corp().probe); }, milliseconds(20000)));
  std::ofstream(s.configPath()) << good;
  ASSERT_TRUE(s.agent->signal(SIGHUP));
  EXPECT_TRUE(
      eventually([&] { return s.agentLog().find("Configuration reloaded") != std::string::npos; },
                 milliseconds(5000)));
}

TEST_F(AgentE2eTest, KillDashNineDuringAppliesLeavesWholeFilesAndConverges) {
  Server& s = *servers_[0];
  std::mt19937 rng(42);
  const auto anchor_file = s.anchorFile();
  for (int round = 0; round < 5; ++round) {
    // Alternate the DNSKEY anchor in and out while the agent is killed at a random moment.
    if (round % 2 == 0) {
      ASSERT_TRUE(forest().publishAnchor(net_->corp().dnskey));
    } else {
      ASSERT_TRUE(forest().deleteAnchor(net_->corp().dnskey));
    }
    std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<int>(0, 300)(rng)));
    ASSERT_TRUE(s.agent->signal(SIGKILL));
    (void)s.agent->wait(milliseconds(2000));
    // The file is the old or the new one, never a partial write: Unbound's checker accepts it.
    ASSERT_TRUE(s.resolverFilesParse()) << "round " << round << ":\n" << fileText(anchor_file);
    s.startAgent();
  }
  // After the last round the DNSKEY anchor is published again (round 4): the agent converges.
  const auto expected_lines = [&] {
    return fileText(anchor_file).find(net_->corp().dnskey.record.rdataText().substr(0, 20)) !=
           std::string::npos;
  };
  EXPECT_TRUE(eventually(expected_lines, milliseconds(20000)));
  EXPECT_TRUE(eventually([&] { return s.validates(net_->corp().probe); }, milliseconds(20000)));
}

TEST_F(AgentE2eTest, DirectoryDownAtStartKeepsTheResolverAndConvergesLater) {
  Server& s = *servers_[0];  // reads provider 2
  ASSERT_TRUE(eventually([&] { return s.validates(net_->corp().probe); }, milliseconds(20000)));
  s.agent->stop();
  const int p2 = topo().pid("provider2");
  ASSERT_GT(p2, 0);
  ASSERT_EQ(::kill(p2, SIGKILL), 0);
  std::this_thread::sleep_for(milliseconds(300));
  // Change the directory while the agent and its replica are down.
  ASSERT_TRUE(forest().publishAnchor(net_->corp().wrong_ds));
  s.startAgent();
  std::this_thread::sleep_for(milliseconds(3000));
  EXPECT_TRUE(s.agent->running());
  EXPECT_TRUE(s.validates(net_->corp().probe)) << "resolver must keep its configuration";
  ASSERT_TRUE(topo().startInstance("provider2"));
  // Once provider 2 is back, the agent catches up: the extra DS is applied (still AD, since the
  // good DS remains).
  const auto anchor_file = s.unbound->writerSettings().anchor_file;
  const std::string wrong_hex = net_->corp().wrong_ds.record.rdataText();
  EXPECT_TRUE(eventually(
      [&] {
        auto text = util::readFile(anchor_file, 1 << 20);
        return text && text->find(wrong_hex.substr(wrong_hex.size() - 16)) != std::string::npos;
      },
      milliseconds(30000)));
  EXPECT_TRUE(s.validates(net_->corp().probe));
  ASSERT_TRUE(forest().deleteAnchor(net_->corp().wrong_ds));
}

}  // namespace
}  // namespace anchorage::agenttest

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new anchorage::testing::TopologyEnvironment(14400));
  return RUN_ALL_TESTS();
}
