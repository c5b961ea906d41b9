// SPDX-License-Identifier: Apache-2.0
//
// Active Directory end to end, with the two Samba domain controllers of samba_env: anchorctl
// publishes to the forest DNS partition's TrustAnchors zone on DC1, DRS replication carries it to
// DC2, an anchorage-agent reading DC2 as a plain domain user applies it to its Unbound, which then
// validates a zone signed and served by nsd. Removal (tombstoning, as Windows does), a node
// tombstoned or deleted behind anchorctl's back, a malformed value, a node created by a plain
// user, the other anchorctl commands against AD scopes, and GSSAPI binds.

#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "directory/ad_mapping.h"
#include "directory/ad_writer.h"
#include "directory/session.h"
#include "formats/dnsrecord.h"
#include "resolvers/harness.h"
#include "samba_env.h"
#include "support/process.h"
#include "support/wait.h"
#include "util/encoding.h"
#include "util/file.h"

namespace anchorage::adtest {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::SambaEnvironment;

// DRS from DC1 to DC2 takes up to ~11 s for the first change after a start (samba notes), then
// about a second; the agent polls every 200 ms and its Unbound reloads in well under a second.
constexpr milliseconds kApplied{60000};

SambaEnvironment& samba() {
  return *SambaEnvironment::instance();
}

bool eventually(const std::function<bool()>& done, milliseconds limit) {
  return testsupport::waitUntil(done, limit, milliseconds(100));
}

struct Outcome {
  int code = -1;
  std::string out;
};

// Runs anchorctl with configuration `config`, and `environment` ("KEY=VALUE") added.
Outcome anchorctl(const std::string& config, const std::vector<std::string>& args,
                  const std::vector<std::string>& environment = {}) {
  std::vector<std::string> argv = {"env"};
  argv.insert(argv.end(), environment.begin(), environment.end());
  argv.insert(argv.end(), {ANCHORCTL_PATH, "-c", config});
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = testsupport::runCommand(argv, milliseconds(60000));
  if (!r) {
    return {-1, r.error().toString()};
  }
  return {r->status.code, r->output};
}

// The directory part of a configuration: `uri` with a simple bind as the Administrator (admin) or
// the plain domain user.
std::string directoryYaml(const std::string& uri, bool admin) {
  const std::string who = admin ? "ADMIN" : "USER";
  return "directory:\n"
         "  read: [\"" +
         uri + "\"]\n  bind: { method: simple, dn: \"" + samba().var(who + "_DN") +
         "\", password_file: " + samba().var(who + "_PASSWORD_FILE") + " }\n" +
         "  tls: { ca_file: " + samba().var("CA_CERT") + " }\n" +
         "  timeouts: { network: 3s, operation: 10s }\n"
         "  reconnect: { min_delay: 200ms, max_delay: 2s }\n";
}

// Both DNS partitions as AD scopes: "forest" (what the agent reads) and "domain".
std::string adScopesYaml(const std::string& extra = "") {
  return "scopes:\n"
         "  - { name: forest, type: ad, base: \"" +
         samba().var("FOREST_DNS_ZONES_DN") + "\"" + extra + " }\n" +
         "  - { name: domain, type: ad, base: \"" + samba().var("DOMAIN_DNS_ZONES_DN") + "\" }\n";
}

std::vector<uint8_t> bytes(const std::string& v) {
  return {v.begin(), v.end()};
}

std::string text(const std::vector<uint8_t>& v) {
  return {v.begin(), v.end()};
}

class AdAgentTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (SambaEnvironment::instance() == nullptr || samba().var("DC1_URI").empty()) {
      return;
    }
    dir_ = samba().dir() + "/ad-agent";
    std::filesystem::create_directories(dir_);
    auto net = resolvertest::TestNetwork::create();
    ASSERT_TRUE(net) << net.error().toString();
    net_ = std::move(*net);
    unbound_ = std::make_unique<resolvertest::UnboundServer>();
    ASSERT_TRUE(unbound_->start(*net_));
    publisher_config_ = dir_ + "/publisher.yaml";
    std::ofstream(publisher_config_)
        << directoryYaml(samba().var("DC1_LDAPS_URI"), true) << adScopesYaml();
    // The agent reads DC2 only, as the plain user: no replication or admin rights.
    const auto w = unbound_->writerSettings();
    std::string control;
    for (const auto& a : w.control_command) {
      control += (control.empty() ? "" : ", ") + ("\"" + a + "\"");
    }
    std::ofstream(agentConfig()) << "server: ad-agent.corp.example.test\n"
                                 << directoryYaml(samba().var("DC2_LDAPS_URI"), false)
                                 << "scopes:\n"
                                 << "  - { name: forest, type: ad, base: \""
                                 << samba().var("FOREST_DNS_ZONES_DN")
                                 << "\", poll_interval: 200ms, reconcile_interval: 5s }\n"
                                 << "state_dir: " << dir_ << "/state\n"
                                 << "debounce: 50ms\n"
                                 << "rfc5011: { enabled: false }\n"
                                 << "resolvers:\n"
                                 << "  - type: unbound\n"
                                 << "    anchor_file: " << w.anchor_file << "\n"
                                 << "    nta_file: " << w.nta_file << "\n"
                                 << "    control_command: [" << control << "]\n"
                                 << "    address: " << w.query_address << ":" << w.query_port
                                 << "\n"
                                 << "    probes: { \"" << net_->corp().name.text() << "\": \""
                                 << net_->corp().probe << "\" }\n"
                                 << "    timeout: 2s\n"
                                 << "    verify_timeout: 5s\n";
    auto agent = testsupport::Process::spawn(
        {{ANCHORAGE_AGENT_PATH, "-c", agentConfig()}, dir_ + "/agent.log", "", dir_, {}});
    ASSERT_TRUE(agent) << agent.error().toString();
    agent_.emplace(std::move(*agent));
  }

  static void TearDownTestSuite() {
    if (agent_) {
      agent_->stop();
      agent_.reset();
    }
    unbound_.reset();
    net_.reset();
  }

  void SetUp() override {
    if (!net_) {
      GTEST_SKIP() << "Samba domain controllers not running";
    }
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "---- agent log (tail)\n";
      const std::string log = util::readFile(dir_ + "/agent.log", 1 << 22).value_or("");
      std::cerr << log.substr(log.size() > 6000 ? log.size() - 6000 : 0) << "\n";
    }
  }

  static std::string agentConfig() { return dir_ + "/agent.yaml"; }

  static bool validates(const std::string& qname) {
    auto r = unbound_->query(qname);
    return r && r->rcode == dns::Rcode::kNoError && r->authentic_data;
  }
  static bool answersInsecure(const std::string& qname) {
    auto r = unbound_->query(qname);
    return r && r->rcode == dns::Rcode::kNoError && !r->authentic_data;
  }

  // The agent's status.json, or null when it cannot be read yet.
  static nlohmann::json status() {
    const auto t = util::readFile(dir_ + "/state/status.json", 1 << 20);
    if (!t) {
      return nullptr;
    }
    auto doc = nlohmann::json::parse(*t, nullptr, false);
    return doc.is_discarded() ? nullptr : doc;
  }

  // The quarantine reason the agent's status gives for `dn`; empty when it is not quarantined.
  static std::string quarantineReason(const std::string& dn) {
    const auto doc = status();
    if (doc.is_null()) {
      return {};
    }
    for (const auto& q : doc["quarantined"]) {
      if (util::toLower(q.value("dn", "")) == util::toLower(dn)) {
        return q.value("reason", "?");
      }
    }
    return {};
  }

  static std::unique_ptr<directory::Session> admin(const std::string& uri_var = "DC1_LDAPS_URI") {
    auto s = directory::Session::open(samba().admin(samba().var(uri_var)));
    EXPECT_TRUE(s) << s.error().toString();
    return s ? std::move(*s) : nullptr;
  }

  static directory::AdLayout forest() {
    return directory::AdLayout(samba().var("FOREST_DNS_ZONES_DN"));
  }

  static std::string corpDs() { return net_->corp().ds.record.rdataText(); }

  static inline std::string dir_;
  static inline std::string publisher_config_;
  static inline std::unique_ptr<resolvertest::TestNetwork> net_;
  static inline std::unique_ptr<resolvertest::UnboundServer> unbound_;
  static inline std::optional<testsupport::Process> agent_;
};

TEST_F(AdAgentTest, AnchorPublishedOnDc1IsAppliedThroughDc2AndWithdrawnByRemovalAndTombstones) {
  const auto& corp = net_->corp();
  const std::string node_dn = forest().node(corp.name);
  ASSERT_TRUE(answersInsecure(corp.probe));

  const auto added = anchorctl(publisher_config_,
                               {"add", corp.name.text(), "--ds", corpDs(), "--scope", "forest"});
  ASSERT_EQ(added.code, 0) << added.out;
  EXPECT_NE(added.out.find("added " + corp.name.text() + " DS"), std::string::npos) << added.out;
  EXPECT_TRUE(eventually([&] { return validates(corp.probe); }, kApplied));
  EXPECT_TRUE(eventually(
      [&] {
        const auto doc = status();
        return !doc.is_null() && doc["anchors"].get<int>() >= 1 &&
               doc["resolver_results"] == nlohmann::json::array({"unbound ok"});
      },
      milliseconds(10000)))
      << status().dump(1);

  // Written as Windows writes a record: zone rank, the anchor's TTL, and the zone's SOA serial,
  // which the write bumped.
  auto session = admin();
  ASSERT_NE(session, nullptr);
  auto node = session->read(node_dn, {"dnsRecord"});
  ASSERT_TRUE(node) << node.error().toString();
  ASSERT_EQ(node->all("dnsRecord").size(), 1u);
  auto value = formats::decodeDnsRecord(bytes(node->all("dnsRecord").front()));
  ASSERT_TRUE(value);
  EXPECT_EQ(value->rank, formats::kDnsRankZone);
  EXPECT_EQ(value->ttl_seconds, corp.ds.record.ttl);
  auto apex = session->read("DC=@," + forest().zone(), {"dnsRecord"});
  ASSERT_TRUE(apex) << apex.error().toString();
  std::optional<uint32_t> soa_serial;
  for (const auto& raw : apex->all("dnsRecord")) {
    if (auto v = formats::decodeDnsRecord(bytes(raw)); v && v->type == formats::kDnsTypeSoa) {
      soa_serial = formats::soaSerial(*v).value();
    }
  }
  ASSERT_TRUE(soa_serial);
  EXPECT_EQ(value->serial, *soa_serial);

  const auto shown = anchorctl(publisher_config_, {"show", corp.name.text(), "--scope", "forest"});
  EXPECT_EQ(shown.code, 0) << shown.out;
  EXPECT_NE(shown.out.find(std::to_string(corp.ds.record.keyTag())), std::string::npos)
      << shown.out;
  // Publishing again changes nothing.
  const auto again = anchorctl(publisher_config_,
                               {"add", corp.name.text(), "--ds", corpDs(), "--scope", "forest"});
  EXPECT_EQ(again.code, 0) << again.out;
  EXPECT_NE(again.out.find("unchanged"), std::string::npos) << again.out;

  // The last anchor goes only with --force; it tombstones the node.
  const auto refused =
      anchorctl(publisher_config_, {"remove", corp.name.text(), "--scope", "forest"});
  EXPECT_NE(refused.code, 0) << refused.out;
  EXPECT_NE(refused.out.find("--force"), std::string::npos) << refused.out;
  const auto removed =
      anchorctl(publisher_config_, {"remove", corp.name.text(), "--force", "--scope", "forest"});
  ASSERT_EQ(removed.code, 0) << removed.out;
  EXPECT_NE(removed.out.find("tombstoned"), std::string::npos) << removed.out;
  node = session->read(node_dn, {"dNSTombstoned"});
  ASSERT_TRUE(node);
  EXPECT_EQ(node->first("dNSTombstoned").value_or(""), "TRUE");
  EXPECT_TRUE(eventually([&] { return answersInsecure(corp.probe); }, kApplied));

  // Added again: the tombstoned node comes back.
  ASSERT_EQ(
      anchorctl(publisher_config_, {"add", corp.name.text(), "--ds", corpDs(), "--scope", "forest"})
          .code,
      0);
  EXPECT_TRUE(eventually([&] { return validates(corp.probe); }, kApplied));

  // Tombstoned by another tool, as a Windows DNS server does when the last record goes.
  const auto tombstone = formats::encodeDnsRecord(formats::tombstoneRecord(
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now())));
  ASSERT_TRUE(session->modify(
      node_dn, {{directory::Modification::Op::kReplace, "dnsRecord", {text(tombstone)}},
                {directory::Modification::Op::kReplace, "dNSTombstoned", {"TRUE"}}}));
  EXPECT_TRUE(eventually([&] { return answersInsecure(corp.probe); }, kApplied));

  // Deleted outright: DirSync reports it from CN=Deleted Objects. Nothing says it was on
  // purpose, so the mass-removal guard holds it until `remove --force` records the withdrawal.
  ASSERT_EQ(
      anchorctl(publisher_config_, {"add", corp.name.text(), "--ds", corpDs(), "--scope", "forest"})
          .code,
      0);
  EXPECT_TRUE(eventually([&] { return validates(corp.probe); }, kApplied));
  ASSERT_TRUE(session->remove(node_dn));
  EXPECT_TRUE(eventually(
      [&] {
        const auto doc = status();
        return !doc.is_null() && doc["held"] == true;
      },
      kApplied))
      << status().dump(1);
  EXPECT_TRUE(validates(corp.probe));
  const auto confirmed =
      anchorctl(publisher_config_, {"remove", corp.name.text(), "--force", "--scope", "forest"});
  ASSERT_EQ(confirmed.code, 0) << confirmed.out;
  EXPECT_NE(confirmed.out.find("recorded the withdrawal"), std::string::npos) << confirmed.out;
  EXPECT_TRUE(eventually([&] { return answersInsecure(corp.probe); }, kApplied));
  // The status file is written once the resolvers have the new set.
  EXPECT_TRUE(eventually(
      [&] {
        const auto doc = status();
        return !doc.is_null() && doc["held"] == false;
      },
      milliseconds(10000)))
      << status().dump(1);
}

TEST_F(AdAgentTest, MalformedValueAndPlainUsersNodeAreQuarantinedAndShownInTheAgentsStatus) {
  const auto& corp = net_->corp();
  const std::string node_dn = forest().node(corp.name);
  ASSERT_EQ(
      anchorctl(publisher_config_, {"add", corp.name.text(), "--ds", corpDs(), "--scope", "forest"})
          .code,
      0);
  ASSERT_TRUE(eventually([&] { return validates(corp.probe); }, kApplied));

  // A value that is no dnsRecord, added to the trusted node.
  auto session = admin();
  ASSERT_NE(session, nullptr);
  const std::string garbage("\x07\x00\x2b\x00\x05\xf0garbage", 13);
  ASSERT_TRUE(
      session->modify(node_dn, {{directory::Modification::Op::kAdd, "dnsRecord", {garbage}}}));
  // A node created by a plain domain user: allowed by AD, refused by the agent.
  auto user = directory::Session::open(samba().user(samba().var("DC1_LDAPS_URI")));
  ASSERT_TRUE(user) << user.error().toString();
  model::AnchorRecord intruder = corp.ds.record;
  intruder.owner = model::DomainName::parse("intruder.example.").value();
  const std::string intruder_dn = forest().node(intruder.owner);
  directory::Entry e;
  e.dn = intruder_dn;
  e.attributes["objectClass"] = {"top", "dnsNode"};
  e.attributes["dnsRecord"] = {
      text(formats::encodeDnsRecord(formats::dnsRecordFromAnchor(intruder, 1)))};
  ASSERT_TRUE((*user)->add(e));

  EXPECT_TRUE(eventually([&] { return !quarantineReason(intruder_dn).empty(); }, kApplied))
      << status().dump(1);
  EXPECT_NE(quarantineReason(intruder_dn).find("not one of the accounts trusted"),
            std::string::npos)
      << quarantineReason(intruder_dn);
  EXPECT_TRUE(eventually([&] { return !quarantineReason(node_dn).empty(); }, kApplied))
      << status().dump(1);
  EXPECT_NE(quarantineReason(node_dn).find("dnsRecord value"), std::string::npos)
      << quarantineReason(node_dn);
  // The valid anchor of the same node keeps working; the intruder's anchor never arrives.
  EXPECT_TRUE(validates(corp.probe));
  const std::string applied =
      util::readFile(unbound_->writerSettings().anchor_file, 1 << 20).value_or("");
  EXPECT_NE(applied.find(corp.name.text()), std::string::npos) << applied;
  EXPECT_EQ(applied.find("intruder.example"), std::string::npos) << applied;
  // anchorctl list shows them too.
  const auto listed = anchorctl(publisher_config_, {"list", "--scope", "forest"});
  EXPECT_EQ(listed.code, 0) << listed.out;
  EXPECT_NE(listed.out.find("intruder.example"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("not valid and were ignored"), std::string::npos) << listed.out;

  ASSERT_TRUE(session->remove(intruder_dn));
  ASSERT_TRUE(
      session->modify(node_dn, {{directory::Modification::Op::kDelete, "dnsRecord", {garbage}}}));
  EXPECT_TRUE(eventually(
      [&] { return quarantineReason(intruder_dn).empty() && quarantineReason(node_dn).empty(); },
      kApplied))
      << status().dump(1);
  EXPECT_TRUE(validates(corp.probe));
}

TEST_F(AdAgentTest, AnchorctlDeploysImportsExportsAndRefusesWhatAnAdScopeCannotHold) {
  // The domain partition: the agent does not read it, so the root anchor stays off its Unbound.
  const auto deployed =
      anchorctl(publisher_config_,
                {"root", "deploy", "--from", "/usr/share/dns/root.key", "--scope", "domain"});
  ASSERT_EQ(deployed.code, 0) << deployed.out;
  EXPECT_NE(deployed.out.find("key tag 20326"), std::string::npos) << deployed.out;
  EXPECT_NE(deployed.out.find("key tag 38696"), std::string::npos) << deployed.out;
  const auto listed =
      anchorctl(publisher_config_, {"--output", "json", "list", "--scope", "domain"});
  ASSERT_EQ(listed.code, 0) << listed.out;
  const auto doc = nlohmann::json::parse(listed.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << listed.out;
  bool root_seen = false;
  for (const auto& tp : doc["trust_points"]) {
    if (tp["trust_point"] == ".") {
      root_seen = true;
      EXPECT_EQ(tp["anchors"].size(), 2u) << listed.out;
    }
  }
  EXPECT_TRUE(root_seen) << listed.out;
  // The root trust point's node, as L-0801 assumes it is named.
  auto session = admin();
  ASSERT_NE(session, nullptr);
  const directory::AdLayout domain(samba().var("DOMAIN_DNS_ZONES_DN"));
  EXPECT_TRUE(session->read(domain.node(model::DomainName::parse(".").value()), {"dnsRecord"}));

  // Export from AD, import into the other partition: the same two keys, unchanged on a repeat.
  const std::string exported = dir_ + "/root-export.json";
  const auto out = anchorctl(
      publisher_config_, {"export", ".", "--format", "json", "-o", exported, "--scope", "domain"});
  ASSERT_EQ(out.code, 0) << out.out;
  const auto imported = anchorctl(publisher_config_, {"import", exported, "--scope", "domain"});
  ASSERT_EQ(imported.code, 0) << imported.out;
  EXPECT_NE(imported.out.find("unchanged . DNSKEY key tag 20326"), std::string::npos)
      << imported.out;

  // Key states, NTAs, trust point settings and status have no place in AD.
  const auto held = anchorctl(publisher_config_, {"add", "example.org.", "--ds", corpDs(),
                                                  "--hold-down", "--scope", "domain"});
  EXPECT_NE(held.code, 0) << held.out;
  EXPECT_NE(held.out.find("keeps no key states"), std::string::npos) << held.out;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"nta", "list", "--scope", "domain"},
        std::vector<std::string>{"autoupdate", ".", "on", "--scope", "domain"},
        std::vector<std::string>{"status", "--scope", "domain"}}) {
    const auto r = anchorctl(publisher_config_, args);
    EXPECT_NE(r.code, 0) << args.front() << ": " << r.out;
    EXPECT_NE(r.out.find("AD TrustAnchors zone"), std::string::npos) << r.out;
  }

  // Removing the root: refused without --force, tombstoned with it, deleted by a second --force.
  EXPECT_NE(anchorctl(publisher_config_, {"remove", ".", "--scope", "domain"}).code, 0);
  const auto removed =
      anchorctl(publisher_config_, {"remove", ".", "--force", "--scope", "domain"});
  ASSERT_EQ(removed.code, 0) << removed.out;
  const auto deleted =
      anchorctl(publisher_config_, {"remove", ".", "--force", "--scope", "domain"});
  ASSERT_EQ(deleted.code, 0) << deleted.out;
  EXPECT_FALSE(session->read(domain.node(model::DomainName::parse(".").value()), {"dnsRecord"}));
}

TEST_F(AdAgentTest, GssapiBindsWorkForAnchorctlAndTheAgent) {
  // A Kerberos ticket for the Administrator, in the harness's own credential cache; the client
  // resolves the DCs by name through nss_wrapper and must not canonicalise them by reverse DNS.
  std::vector<std::string> env;
  std::string client = samba().var("CLIENT_ENV");
  for (size_t at = 0; at < client.size();) {
    const size_t end = std::min(client.find(' ', at), client.size());
    if (end > at) {
      env.push_back(client.substr(at, end - at));
    }
    at = end + 1;
  }
  env.push_back("LDAPSASL_NOCANON=on");
  std::vector<std::string> kinit = {"sh", "-c"};
  std::string line = "env";
  for (const auto& e : env) {
    line += " '" + e + "'";
  }
  kinit.push_back(line + " kinit Administrator@" + samba().var("REALM") + " < '" +
                  samba().var("ADMIN_PASSWORD_FILE") + "'");
  auto k = testsupport::runCommand(kinit, milliseconds(30000));
  ASSERT_TRUE(k && k->status.success()) << (k ? k->output : k.error().toString());

  const std::string config = dir_ + "/gssapi.yaml";
  std::ofstream(config) << "directory:\n"
                        << "  read: [\"" << samba().var("DC2_HOSTNAME_URI") << "\"]\n"
                        << "  bind: { method: gssapi }\n"
                        << "  tls: { ca_file: " << samba().var("CA_CERT") << " }\n"
                        << adScopesYaml() << "state_dir: " << dir_ << "/gssapi-state\n"
                        << "rfc5011: { enabled: false }\n";
  const auto listed = anchorctl(config, {"list", "--scope", "forest"}, env);
  EXPECT_EQ(listed.code, 0) << listed.out;
  EXPECT_NE(listed.out.find(samba().var("FOREST_DNS_ZONES_DN")), std::string::npos) << listed.out;

  // The agent with the same bind, once, without resolvers: it reads both partitions and writes
  // its status file.
  std::vector<std::string> argv = {"env"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.insert(argv.end(), {ANCHORAGE_AGENT_PATH, "-c", config, "--once"});
  auto once = testsupport::runCommand(argv, milliseconds(60000));
  ASSERT_TRUE(once) << once.error().toString();
  EXPECT_TRUE(once->status.success()) << once->output;
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/gssapi-state/status.json")) << once->output;
}

TEST_F(AdAgentTest, AnAgentTrustingPublishersRefusesWhatTheyDidNotSign) {
  const std::string key = dir_ + "/publisher.key";
  const std::string pub = dir_ + "/publisher.pub";
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"openssl", "genpkey", "-algorithm", "ed25519", "-out", key},
        std::vector<std::string>{"openssl", "pkey", "-in", key, "-pubout", "-out", pub}}) {
    auto r = testsupport::runCommand(argv, milliseconds(30000));
    ASSERT_TRUE(r && r->status.success()) << (r ? r->output : r.error().toString());
  }
  const std::string signing_config = dir_ + "/signing.yaml";
  std::ofstream(signing_config) << directoryYaml(samba().var("DC1_LDAPS_URI"), true)
                                << adScopesYaml() << "publisher: { signing_key_file: " << key
                                << " }\n";
  const std::string ds_a = corpDs();
  const std::string ds_b = net_->rsa().ds.record.rdataText();
  // signed.example: one anchor signed by the publisher, one added without a signature;
  // unsigned.example: not signed at all.
  auto r = anchorctl(signing_config, {"add", "signed.example.", "--ds", ds_a, "--scope", "domain"});
  ASSERT_EQ(r.code, 0) << r.out;
  r = anchorctl(publisher_config_, {"add", "signed.example.", "--ds", ds_b, "--scope", "domain"});
  ASSERT_EQ(r.code, 0) << r.out;
  r = anchorctl(publisher_config_, {"add", "unsigned.example.", "--ds", ds_a, "--scope", "domain"});
  ASSERT_EQ(r.code, 0) << r.out;
  const directory::AdLayout domain(samba().var("DOMAIN_DNS_ZONES_DN"));
  const auto signed_point = model::DomainName::parse("signed.example.").value();
  const auto unsigned_point = model::DomainName::parse("unsigned.example.").value();
  auto session = admin();
  ASSERT_NE(session, nullptr);
  auto node = session->read(domain.node(signed_point), {"dnsRecord"});
  ASSERT_TRUE(node);
  int signatures = 0;
  for (const auto& raw : node->all("dnsRecord")) {
    auto v = formats::decodeDnsRecord(bytes(raw));
    auto txt = v ? formats::singleTxt(*v) : Result<std::string>(v.error());
    signatures += txt && txt->starts_with(directory::kAdSignaturePrefix) ? 1 : 0;
  }
  EXPECT_EQ(signatures, 1);

  // An agent run once against DC1's domain partition, trusting that publisher.
  const std::string config = dir_ + "/trusting.yaml";
  std::ofstream(config) << directoryYaml(samba().var("DC1_LDAPS_URI"), false) << "scopes:\n"
                        << "  - { name: domain, type: ad, base: \""
                        << samba().var("DOMAIN_DNS_ZONES_DN") << "\" }\n"
                        << "state_dir: " << dir_ << "/trusting-state\n"
                        << "trusted_publishers: [" << pub << "]\n"
                        << "rfc5011: { enabled: false }\n";
  auto once =
      testsupport::runCommand({ANCHORAGE_AGENT_PATH, "-c", config, "--once"}, milliseconds(60000));
  ASSERT_TRUE(once) << once.error().toString();
  EXPECT_TRUE(once->status.success()) << once->output;
  const auto text = util::readFile(dir_ + "/trusting-state/status.json", 1 << 20);
  ASSERT_TRUE(text);
  const auto doc = nlohmann::json::parse(*text);
  std::map<std::string, std::string> reasons;
  for (const auto& q : doc["quarantined"]) {
    reasons[q["dn"]] = q["reason"];
  }
  model::TrustAnchor a;
  a.record = {signed_point, 3600, model::parseDsRdata(ds_a).value()};
  model::TrustAnchor b;
  b.record = {signed_point, 3600, model::parseDsRdata(ds_b).value()};
  model::TrustAnchor c;
  c.record = {unsigned_point, 3600, model::parseDsRdata(ds_a).value()};
  const auto dn = [&](const model::TrustAnchor& x) {
    return domain.node(x.record.owner) + " (" + x.id() + ")";
  };
  EXPECT_EQ(reasons.count(dn(a)), 0u) << text->c_str();
  EXPECT_NE(reasons[dn(b)].find("not signed"), std::string::npos) << *text;
  EXPECT_NE(reasons[dn(c)].find("not signed"), std::string::npos) << *text;

  for (const auto& point : {signed_point, unsigned_point}) {
    EXPECT_TRUE(session->remove(domain.node(point)));
  }
}

}  // namespace
}  // namespace anchorage::adtest
