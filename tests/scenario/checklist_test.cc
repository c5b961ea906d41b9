// SPDX-License-Identifier: Apache-2.0
//
// The "Distribute Trust Anchors" checklist as one operator session with anchorctl against a real
// directory, and what two real agents make of each step: the agent on provider 2 holds both
// scopes, the agent on the consumer only the forest scope. Each Unbound is asked whether it
// validates the signed test zones that nsd serves.
//
//   1. add an anchor from the zone's own DNSKEY set (--from-dns), with and without confirmation
//   2. review the trust point (show, list)
//   3. turn on automatic update (autoupdate)
//   4. distribute the trust point to another scope (distribute --scope)
//   5. add an anchor by hand, export it and import it into another scope
//   6. deploy the root trust anchor (root deploy)
// and between them a negative trust anchor and taking a trust point out of distribution.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "agent_fleet.h"
#include "directory/mapping.h"
#include "directory/operations.h"
#include "util/file.h"

namespace anchorage::agenttest {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kApplied{30000};

struct Outcome {
  int code = -1;
  std::string out;
};

// Runs anchorctl through the shell (so a test can feed its standard input), output and errors
// together.
Outcome anchorctl(const std::string& config, const std::string& args,
                  const std::string& input = "") {
  const std::string cmd = (input.empty() ? "" : "printf '" + input + "' | ") +
                          std::string(ANCHORCTL_PATH) + " -c " + config + " " + args + " 2>&1";
  Outcome r;
  FILE* pipe = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) {
    r.out.append(buf.data(), n);
  }
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class ChecklistTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto net = resolvertest::TestNetwork::create();
    ASSERT_TRUE(net) << net.error().toString();
    net_ = std::move(*net);
    auto fleet = makeFleet(*net_);
    ASSERT_TRUE(fleet) << fleet.error().toString();
    servers_ = std::move(*fleet);
    // Agent 2 on provider 2 (forest and domain) and agent 3 on the consumer (forest only).
    servers_.resize(2);
    for (auto& s : servers_) {
      s->writeConfig(*net_);
      s->startAgent();
    }
    config_ = topo().dir() + "/operator.yaml";
    std::ofstream(config_) << "directory:\n  read: [\"" << topo().var("PROVIDER1_URI") << "\"]\n"
                           << "  bind: { method: simple, dn: \"" << topo().var("PUBLISHER_DN")
                           << "\", password_file: " << topo().var("PUBLISHER_PASSWORD_FILE")
                           << " }\n"
                           << "  tls: { ca_file: " << topo().var("CA_CERT") << " }\n";
  }

  static void TearDownTestSuite() {
    for (auto& s : servers_) {
      if (s->agent) {
        s->agent->stop();
      }
    }
    servers_.clear();
    net_.reset();
  }

  void TearDown() override {
    if (HasFailure()) {
      printAgentLogs(servers_);
    }
  }

  static Server& providerAgent() { return *servers_[0]; }
  static Server& consumerAgent() { return *servers_[1]; }

  static std::unique_ptr<resolvertest::TestNetwork> net_;
  static std::vector<std::unique_ptr<Server>> servers_;
  static std::string config_;
};

std::unique_ptr<resolvertest::TestNetwork> ChecklistTest::net_;
std::vector<std::unique_ptr<Server>> ChecklistTest::servers_;
std::string ChecklistTest::config_;

TEST_F(ChecklistTest, SixTasksWithAnchorctlAppliedByTheAgents) {
  const auto& corp = net_->corp();
  const auto& rsa = net_->rsa();
  const std::string nsd =
      std::string(resolvertest::kNsdAddress) + ":" + std::to_string(net_->nsdPort());
  const std::string ksk_tag = std::to_string(corp.dnskey.record.keyTag());
  // Nothing is trusted yet: both resolvers answer, without AD.
  ASSERT_TRUE(eventually([&] { return providerAgent().answersInsecure(corp.probe); }, kApplied));
  ASSERT_TRUE(consumerAgent().answersInsecure(corp.probe));

  // 1. From the zone's DNSKEY set. Unconfirmed, nothing is published.
  const auto declined = anchorctl(
      config_, "add corp.example. --from-dns --server " + nsd + " --scope domain", "n\\n");
  EXPECT_EQ(declined.code, 64) << declined.out;
  EXPECT_NE(declined.out.find("Not confirmed"), std::string::npos) << declined.out;
  EXPECT_EQ(anchorctl(config_, "show corp.example. --scope domain").code, 66);
  const auto added = anchorctl(
      config_, "add corp.example. --from-dns --server " + nsd + " --scope domain", "y\\n");
  ASSERT_EQ(added.code, 0) << added.out;
  EXPECT_NE(added.out.find("take DNSKEY key tag " + ksk_tag), std::string::npos) << added.out;
  EXPECT_NE(added.out.find("no SEP flag"), std::string::npos) << added.out;
  EXPECT_TRUE(eventually([&] { return providerAgent().validates(corp.probe); }, kApplied));
  // The consumer does not hold the domain scope.
  EXPECT_TRUE(consumerAgent().answersInsecure(corp.probe));
  // A zone nsd does not serve: refused, nothing written.
  const auto unknown = anchorctl(
      config_, "add nowhere.example. --from-dns --yes --server " + nsd + " --scope domain");
  EXPECT_NE(unknown.code, 0) << unknown.out;
  EXPECT_EQ(anchorctl(config_, "show nowhere.example. --scope domain").code, 66);

  // 2. Review.
  const auto shown = anchorctl(config_, "show corp.example. --scope domain");
  ASSERT_EQ(shown.code, 0) << shown.out;
  EXPECT_NE(shown.out.find("DNSKEY key tag " + ksk_tag), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("state Valid"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("auto update   off"), std::string::npos) << shown.out;
  const auto listed = anchorctl(config_, "list --scope domain");
  EXPECT_NE(listed.out.find("corp.example."), std::string::npos) << listed.out;
  EXPECT_EQ(anchorctl(config_, "status --scope domain --wait 30s").code, 0);

  // 3. Automatic update.
  ASSERT_EQ(anchorctl(config_, "autoupdate corp.example. on --scope domain").code, 0);
  EXPECT_NE(anchorctl(config_, "show corp.example. --scope domain").out.find("auto update   on"),
            std::string::npos);
  EXPECT_EQ(anchorctl(config_, "status --scope domain --wait 30s").code, 0);
  EXPECT_TRUE(providerAgent().validates(corp.probe));

  // 4. Distribution to the forest scope reaches the consumer's resolver.
  const auto distributed = anchorctl(config_, "distribute corp.example. --scope forest");
  ASSERT_EQ(distributed.code, 0) << distributed.out;
  EXPECT_TRUE(eventually([&] { return consumerAgent().validates(corp.probe); }, kApplied));
  EXPECT_EQ(anchorctl(config_, "status --scope forest --wait 30s").code, 0);

  // 5. By hand in the domain scope, then exported and imported into the forest scope.
  const auto by_hand = anchorctl(
      config_, "add rsa.example. --ds \"" + rsa.ds.record.rdataText() + "\" --scope domain");
  ASSERT_EQ(by_hand.code, 0) << by_hand.out;
  EXPECT_TRUE(eventually([&] { return providerAgent().validates(rsa.probe); }, kApplied));
  EXPECT_TRUE(consumerAgent().answersInsecure(rsa.probe));
  const std::string file = topo().dir() + "/rsa.dsset";
  ASSERT_EQ(
      anchorctl(config_, "export rsa.example. --format dsset -o " + file + " --scope domain").code,
      0);
  const auto imported = anchorctl(config_, "import " + file + " --scope forest");
  ASSERT_EQ(imported.code, 0) << imported.out;
  EXPECT_TRUE(eventually([&] { return consumerAgent().validates(rsa.probe); }, kApplied));

  // A negative trust anchor switches validation off below the zone, and back on.
  ASSERT_EQ(anchorctl(config_,
                      "nta add rsa.example. --lifetime 10m --reason \"signer rollover\" "
                      "--scope forest")
                .code,
            0);
  EXPECT_TRUE(eventually([&] { return consumerAgent().answersInsecure(rsa.probe); }, kApplied));
  ASSERT_EQ(anchorctl(config_, "nta remove rsa.example. --scope forest").code, 0);
  EXPECT_TRUE(eventually([&] { return consumerAgent().validates(rsa.probe); }, kApplied));

  // Out of distribution in the forest scope: withdrawn from the consumer's resolver without the
  // guard holding it, still trusted where the domain scope carries it.
  ASSERT_EQ(anchorctl(config_, "distribute rsa.example. --off --scope forest").code, 0);
  EXPECT_TRUE(eventually([&] { return consumerAgent().answersInsecure(rsa.probe); }, kApplied));
  EXPECT_TRUE(providerAgent().validates(rsa.probe));
  EXPECT_EQ(anchorctl(config_, "status --scope forest --wait 30s").code, 0);

  // 6. The root trust point, both keys, in the forest scope: every agent writes it.
  const auto root = anchorctl(config_, "root deploy --scope forest");
  ASSERT_EQ(root.code, 0) << root.out;
  for (const auto* s : {&providerAgent(), &consumerAgent()}) {
    EXPECT_TRUE(eventually(
        [&] {
          auto text = util::readFile(s->anchorFile(), 1 << 20);
          // KSK-2017 (key tag 20326) and KSK-2024 (key tag 38696).
          return text && text->find("AwEAAaz/tAm8yTn4Mfeh") != std::string::npos &&
                 text->find("AwEAAa96jeuknZlaeSrv") != std::string::npos;
        },
        kApplied))
        << s->name;
    EXPECT_TRUE(s->resolverFilesParse()) << s->name;
    // The zone's own anchor is the closest one: it still validates under a root anchor.
    EXPECT_TRUE(s->validates(corp.probe)) << s->name;
  }
  EXPECT_EQ(anchorctl(config_, "status --scope forest --wait 30s").code, 0);
  EXPECT_EQ(anchorctl(config_, "status --scope domain --wait 30s").code, 0);
}

}  // namespace
}  // namespace anchorage::agenttest

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new anchorage::testing::TopologyEnvironment(14900));
  return RUN_ALL_TESTS();
}
