// SPDX-License-Identifier: Apache-2.0
//
// anchorctl scope list|create|plan|apply as a process against a real topology (two providers and
// a consumer from deploy/topology.sh): the definition is read back, the planned LDIF is loaded
// with ldapmodify, applied scopes replicate between the providers and to the consumer through
// the access rules of the new databases, a second apply changes nothing, and bad input leaves
// every server's cn=config and the directory as they were.

#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "directory/mapping.h"
#include "directory/operations.h"
#include "directory/session.h"
#include "model/anchor.h"
#include "topology_env.h"

namespace anchorage::directory {
namespace {

using testing::TopologyEnvironment;

// Port 14809 is in this binary's range and nothing listens there.
constexpr const char* kDeadUri = "ldap://127.0.0.1:14809/";
const std::string kCorpDs =
    "17212 13 2 D34A2A5D7D2CE8EFC7F1A5F1CB05FC4B5D3BD5B0A2C1C1E0E8C7F9A3B4C5D6E7";
const char* const kInstances[] = {"provider1", "provider2", "consumer1"};

TopologyEnvironment& topo() {
  return *TopologyEnvironment::instance();
}

struct Outcome {
  int code = -1;
  std::string out;
};

Outcome shell(const std::string& cmd) {
  Outcome r;
  FILE* pipe = popen((cmd + " 2>&1").c_str(), "r");
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) {
    r.out.append(buf.data(), n);
  }
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

Outcome anchorctl(const std::string& args) {
  return shell(std::string(ANCHORCTL_PATH) + " " + args);
}

std::string upper(std::string s) {
  for (auto& c : s) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return s;
}

std::string ldapiUri(const std::string& instance) {
  return topo().var(upper(instance) + "_LDAPI_URI");
}

// The directory manager's configuration: SASL EXTERNAL as root over provider1's ldapi socket.
std::string adminConfig() {
  static const std::string path = [] {
    const std::string p = topo().dir() + "/admin.yaml";
    std::ofstream(p) << "directory:\n  read: [\"" << ldapiUri("provider1") << "\"]\n"
                     << "  tls: { ca_file: " << topo().var("CA_CERT") << " }\n"
                     << "  timeouts: { network: 2s }\n";
    return p;
  }();
  return "-c " + path;
}

// A publisher over StartTLS to `uri`.
std::string publisherConfig(const std::string& uri) {
  const std::string p =
      topo().dir() + "/publisher-" + std::to_string(std::hash<std::string>{}(uri)) + ".yaml";
  std::ofstream(p) << "directory:\n  read: [\"" << uri << "\"]\n"
                   << "  bind: { method: simple, dn: \"" << topo().var("PUBLISHER_DN")
                   << "\", password_file: " << topo().var("PUBLISHER_PASSWORD_FILE") << " }\n"
                   << "  tls: { ca_file: " << topo().var("CA_CERT") << " }\n"
                   << "  timeouts: { network: 2s }\n";
  return "-c " + p;
}

std::string servers() {
  return "provider1=" + ldapiUri("provider1") + ",provider2=" + ldapiUri("provider2") +
         ",consumer1=" + ldapiUri("consumer1");
}

std::string providers() {
  return "provider1=" + topo().var("PROVIDER1_URI") + "/,provider2=" + topo().var("PROVIDER2_URI") +
         "/";
}

Outcome create(const std::string& name, const std::string& suffix) {
  return anchorctl(adminConfig() + " scope create " + name + " --suffix " + suffix + " --servers " +
                   servers() + " --providers " + providers());
}

std::unique_ptr<Session> root(const std::string& instance) {
  SessionSettings s;
  s.uris = {ldapiUri(instance)};
  s.bind_method = BindMethod::kExternal;
  auto session = Session::open(s);
  EXPECT_TRUE(session) << session.error().toString();
  return session ? std::move(*session) : nullptr;
}

void addLines(std::set<std::string>& out, const std::string& prefix,
              const std::vector<Entry>& entries) {
  for (const auto& e : entries) {
    std::string line = prefix + e.dn;
    for (const auto& [k, values] : e.attributes) {
      for (const auto& v : values) {
        line += "|" + k + "=" + v;
      }
    }
    out.insert(line);
  }
}

// Every server's cn=config, as comparable text.
std::set<std::string> configSnapshot() {
  std::set<std::string> out;
  for (const char* instance : kInstances) {
    auto s = root(instance);
    auto entries = s->search("cn=config", Scope::kSubtree, "(objectClass=*)");
    EXPECT_TRUE(entries);
    addLines(out, std::string(instance) + ":", entries.value_or({}));
  }
  return out;
}

// The admin naming context on provider1, with the definitions.
std::set<std::string> adminSnapshot() {
  std::set<std::string> out;
  auto entries =
      root("provider1")->search(topo().var("ADMIN_SUFFIX"), Scope::kSubtree, "(objectClass=*)");
  EXPECT_TRUE(entries);
  addLines(out, "", entries.value_or({}));
  return out;
}

bool eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

// True when `settings` sees trust point `zone` in the scope at `suffix`.
bool seesTrustPoint(const SessionSettings& settings, const std::string& suffix,
                    const std::string& zone) {
  auto s = Session::open(settings);
  if (!s) {
    return false;
  }
  return ScopeClient(**s, ScopeLayout(suffix))
      .readTrustPoint(model::DomainName::parse(zone).value())
      .has_value();
}

// Publishes on provider1 and checks that the publisher on provider2 and an agent on the
// consumer read it: replication and the new databases' access rules both work.
void expectReplicates(const std::string& scope, const std::string& suffix,
                      const std::string& zone) {
  const auto add = anchorctl(publisherConfig(topo().var("PROVIDER1_URI")) + " add " + zone +
                             " --ds \"" + kCorpDs + "\" --scope " + scope);
  ASSERT_EQ(add.code, 0) << add.out;
  EXPECT_TRUE(eventually([&] {
    return seesTrustPoint(topo().publisher(topo().var("PROVIDER2_URI")), suffix, zone);
  })) << "provider2 did not receive "
      << zone;
  EXPECT_TRUE(eventually([&] {
    return seesTrustPoint(topo().agent(1, topo().var("CONSUMER1_URI")), suffix, zone);
  })) << "consumer1 did not receive "
      << zone;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) {
    ++n;
  }
  return n;
}

TEST(ScopeCommandTest, CreateStoresTheDefinitionAndListShowsIt) {
  const std::string suffix = "dc=BranchDnsZones,dc=example,dc=com";
  const auto r = create("branch", suffix);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("created scope branch"), std::string::npos) << r.out;

  const std::string dn = "cn=branch,ou=scopes," + topo().var("ADMIN_SUFFIX");
  auto entry = root("provider1")->read(dn);
  ASSERT_TRUE(entry) << entry.error().toString();
  EXPECT_TRUE(entry->hasClass("anchorageScopeDefinition"));
  EXPECT_EQ(entry->first("anchorageScopeSuffix").value(), suffix);
  const auto values = entry->all("anchorageScopeServer");
  EXPECT_EQ(values.size(), 3u);
  EXPECT_NE(std::find(values.begin(), values.end(),
                      "name=provider2 role=provider admin-uri=" + ldapiUri("provider2") +
                          " replication-uri=" + topo().var("PROVIDER2_URI") + "/"),
            values.end());
  // The admin naming context replicates: the consumer has the definition too.
  EXPECT_TRUE(eventually([&] { return root("consumer1")->read(dn).has_value(); }));

  for (const auto& config : {adminConfig(), publisherConfig(topo().var("CONSUMER1_URI"))}) {
    const auto list = anchorctl(config + " scope list");
    ASSERT_EQ(list.code, 0) << list.out;
    EXPECT_NE(list.out.find("SCOPE"), std::string::npos) << list.out;
    EXPECT_NE(list.out.find("branch"), std::string::npos) << list.out;
    EXPECT_NE(list.out.find(suffix), std::string::npos) << list.out;
    EXPECT_NE(list.out.find("provider1, provider2"), std::string::npos) << list.out;
  }
  const auto json = anchorctl(adminConfig() + " --output json scope list");
  ASSERT_EQ(json.code, 0) << json.out;
  const auto j = nlohmann::json::parse(json.out);
  bool found = false;
  for (const auto& s : j.at("scopes")) {
    if (s.at("name") == "branch") {
      found = true;
      EXPECT_EQ(s.at("suffix"), suffix);
      EXPECT_EQ(s.at("dn"), dn);
      ASSERT_EQ(s.at("servers").size(), 3u);
      EXPECT_EQ(s.at("servers")[0].at("name"), "consumer1");
      EXPECT_EQ(s.at("servers")[0].at("role"), "consumer");
      EXPECT_EQ(s.at("servers")[1].at("replication_uri"), topo().var("PROVIDER1_URI") + "/");
    }
  }
  EXPECT_TRUE(found) << json.out;

  const auto before = adminSnapshot();
  const auto again = create("branch", suffix);
  EXPECT_EQ(again.code, 0) << again.out;
  EXPECT_NE(again.out.find("unchanged scope branch"), std::string::npos) << again.out;
  EXPECT_EQ(adminSnapshot(), before);
}

TEST(ScopeCommandTest, ExistingScopesOfTheTopologyNeedNothing) {
  ASSERT_EQ(create("forest", topo().var("FOREST_SUFFIX")).code, 0);
  const auto text = anchorctl(adminConfig() + " scope plan forest");
  ASSERT_EQ(text.code, 0) << text.out;
  EXPECT_EQ(count(text.out, "nothing to do"), 3u) << text.out;
  EXPECT_NE(text.out.find("# Nothing to do: every server holds the scope."), std::string::npos);
  const auto json = anchorctl(adminConfig() + " --output json scope plan forest");
  ASSERT_EQ(json.code, 0) << json.out;
  const auto j = nlohmann::json::parse(json.out);
  ASSERT_EQ(j.at("servers").size(), 3u);
  for (const auto& s : j.at("servers")) {
    EXPECT_EQ(s.at("action"), "none") << s.dump();
    EXPECT_EQ(s.at("ldif"), "");
  }
  EXPECT_TRUE(j.at("entries").at("dns").empty());
}

TEST(ScopeCommandTest, PlannedLdifLoadsWithLdapmodifyAndReplicates) {
  const std::string suffix = "ou=PlannedDnsZones,dc=example,dc=com";
  ASSERT_EQ(create("planned", suffix).code, 0);

  const auto hidden = anchorctl(adminConfig() + " scope plan planned");
  ASSERT_EQ(hidden.code, 0) << hidden.out;
  EXPECT_NE(hidden.out.find("credentials=\"***\""), std::string::npos);
  std::ifstream pw(topo().var("REPLICATOR_PASSWORD_FILE"));
  std::string password;
  std::getline(pw, password);
  ASSERT_FALSE(password.empty());
  EXPECT_EQ(hidden.out.find(password), std::string::npos) << "plan printed the password";
  const auto json = nlohmann::json::parse(anchorctl(adminConfig() + " --output json scope plan "
                                                                    "planned")
                                              .out);
  ASSERT_EQ(json.at("servers").size(), 3u);
  EXPECT_EQ(json.at("servers")[0].at("name"), "provider1");
  EXPECT_EQ(json.at("servers")[2].at("name"), "consumer1");
  for (const auto& s : json.at("servers")) {
    EXPECT_EQ(s.at("action"), "add-database");
    EXPECT_EQ(s.at("apply_creates_directory"), true);
  }
  EXPECT_EQ(json.at("entries").at("server"), "provider1");
  EXPECT_EQ(json.at("entries").at("dns").size(), 7u);

  // Each server's part, loaded by hand as an operator would, in apply's order.
  for (const char* instance : kInstances) {
    const auto part =
        anchorctl(adminConfig() + " scope plan planned --show-credentials --server " + instance);
    ASSERT_EQ(part.code, 0) << part.out;
    EXPECT_EQ(count(part.out, "changetype: add"), std::string(instance) == "provider1" ? 9u : 2u)
        << part.out;
    EXPECT_NE(part.out.find(password), std::string::npos);
    const std::string file = topo().dir() + "/planned-" + instance + ".ldif";
    std::ofstream(file) << part.out;
    const auto dir_line = part.out.find("olcDbDirectory: ");
    ASSERT_NE(dir_line, std::string::npos);
    const std::string dir =
        part.out.substr(dir_line + 16, part.out.find('\n', dir_line) - dir_line - 16);
    std::filesystem::create_directories(dir);
    const auto loaded =
        shell("LDAPNOINIT=1 ldapmodify -Q -Y EXTERNAL -H '" + ldapiUri(instance) + "' -f " + file);
    ASSERT_EQ(loaded.code, 0) << instance << "\n" << loaded.out;
  }

  // apply sees what the LDIF did and has nothing left to do.
  const auto apply = anchorctl(adminConfig() + " scope apply planned");
  ASSERT_EQ(apply.code, 0) << apply.out;
  EXPECT_EQ(count(apply.out, "unchanged: olcDatabase="), 3u) << apply.out;
  EXPECT_EQ(apply.out.find("added"), std::string::npos) << apply.out;
  expectReplicates("planned", suffix, "planned.example.");
}

TEST(ScopeCommandTest, ApplyAddsTheScopeEverywhereAndAgainChangesNothing) {
  const std::string suffix = "dc=AppliedDnsZones,dc=example,dc=com";
  ASSERT_EQ(create("applied", suffix).code, 0);
  const auto apply = anchorctl(adminConfig() + " scope apply applied");
  ASSERT_EQ(apply.code, 0) << apply.out;
  EXPECT_EQ(count(apply.out, "added database olcDatabase="), 3u) << apply.out;
  EXPECT_NE(apply.out.find("added 7 entries of the scope on provider1"), std::string::npos)
      << apply.out;
  for (const char* instance : kInstances) {
    EXPECT_TRUE(std::filesystem::exists(topo().dir() + "/topo/" + instance +
                                        "/db/applieddnszones.example.com/data.mdb"))
        << instance;
  }
  // The consumer refers writes to provider1, like the scopes gen-config made.
  auto consumer_db =
      root("consumer1")->search("cn=config", Scope::kOneLevel, "(olcSuffix=" + suffix + ")");
  ASSERT_TRUE(consumer_db);
  ASSERT_EQ(consumer_db->size(), 1u);
  EXPECT_EQ(consumer_db->front().first("olcUpdateRef").value(), topo().var("PROVIDER1_URI") + "/");
  expectReplicates("applied", suffix, "applied.example.");
  // A write on provider2 reaches provider1 too (multi-provider).
  const auto add2 = anchorctl(publisherConfig(topo().var("PROVIDER2_URI")) +
                              " add second.example. --ds \"" + kCorpDs + "\" --scope applied");
  ASSERT_EQ(add2.code, 0) << add2.out;
  EXPECT_TRUE(eventually([&] {
    return seesTrustPoint(topo().publisher(topo().var("PROVIDER1_URI")), suffix, "second.example.");
  }));

  const auto config_before = configSnapshot();
  const auto admin_before = adminSnapshot();
  const auto again = anchorctl(adminConfig() + " scope apply applied");
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_EQ(count(again.out, "unchanged: olcDatabase="), 3u) << again.out;
  EXPECT_EQ(again.out.find("added"), std::string::npos) << again.out;
  const auto json = anchorctl(adminConfig() + " --output json scope apply applied");
  ASSERT_EQ(json.code, 0) << json.out;
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j.at("entries_added"), 0);
  for (const auto& s : j.at("servers")) {
    EXPECT_EQ(s.at("changed"), false) << s.dump();
  }
  EXPECT_EQ(configSnapshot(), config_before);
  EXPECT_EQ(adminSnapshot(), admin_before);
}

TEST(ScopeCommandTest, BadInputChangesNothing) {
  ASSERT_EQ(create("branch", "dc=BranchDnsZones,dc=example,dc=com").code, 0);
  // Defined but not applied: the cases below that reach apply would otherwise change servers.
  ASSERT_EQ(create("pending", "dc=PendingDnsZones,dc=example,dc=com").code, 0);
  const auto ghost = anchorctl(adminConfig() +
                               " scope create ghost --suffix dc=GhostDnsZones,dc=example,dc=com "
                               "--servers provider1=" +
                               ldapiUri("provider1") + ",ghost=" + kDeadUri +
                               " --providers provider1=" + topo().var("PROVIDER1_URI") + "/");
  ASSERT_EQ(ghost.code, 0) << ghost.out;
  // A stale directory on provider2 where the database of "stale" would go.
  ASSERT_EQ(create("stale", "dc=StaleDnsZones,dc=example,dc=com").code, 0);
  const std::string stale_dir = topo().dir() + "/topo/provider2/db/stalednszones.example.com";
  std::filesystem::create_directories(stale_dir);
  std::ofstream(stale_dir + "/data.mdb") << "old";

  const std::string wrong_pw = topo().dir() + "/wrong.pw";
  std::ofstream(wrong_pw) << "nope";
  const std::string a = adminConfig();
  const std::string p1 = "provider1=" + ldapiUri("provider1");
  const std::string prov = " --providers provider1=" + topo().var("PROVIDER1_URI") + "/";
  struct Case {
    std::string args;
    int code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {a + " scope create bad --suffix dc=bad,,dc=com --servers " + p1 + prov, 65,
       "DN is malformed"},
      {a + " scope create bad --suffix \"dc=bad\\,x,dc=com\" --servers " + p1 + prov, 65,
       "no escapes"},
      {a + " scope create bad --suffix cn=bad,dc=example,dc=com --servers " + p1 + prov, 65,
       "dc=, ou= or o="},
      {a + " scope create bad --suffix ou=x," + topo().var("ADMIN_SUFFIX") + " --servers " + p1 +
           prov,
       65, "apart from the admin suffix"},
      {a + " scope create Bad --suffix dc=bad,dc=com --servers " + p1 + prov, 65, "Scope name"},
      {a + " scope create bad --suffix dc=bad,dc=com --servers " + p1 +
           " --providers nosuch=ldap://127.0.0.1:14800/",
       65, "A provider must be one of the --servers"},
      {a + " scope create bad --suffix dc=bad,dc=com --servers provider1=http://x/" + prov, 65,
       "ldap://, ldaps:// or ldapi://"},
      {a + " scope create bad --suffix dc=bad,dc=com --servers " + p1, 64, "--providers"},
      {a + " scope create branch --suffix dc=Other,dc=example,dc=com --servers " + p1 + prov, 75,
       "defined with another suffix"},
      {a + " scope create twin --suffix dc=BranchDnsZones,dc=example,dc=com --servers " + p1 + prov,
       75, "suffix of another scope"},
      {publisherConfig(topo().var("PROVIDER1_URI")) +
           " scope create bad --suffix dc=bad,dc=com --servers " + p1 + prov,
       77, "Insufficient access"},
      {a + " scope list --admin-suffix ou=Nope,dc=example,dc=com", 66, "check --admin-suffix"},
      {a + " scope plan nosuch", 66, "No scope of that name"},
      {a + " scope apply nosuch", 66, "No scope of that name"},
      {a + " scope plan pending --server nosuch", 64, "no server of that name"},
      {a + " scope apply pending --admin-dn cn=admin,cn=config --admin-password-file " + wrong_pw,
       77, "Invalid credentials"},
      {a + " scope apply pending --admin-dn " + topo().var("PUBLISHER_DN") +
           " --admin-password-file " + topo().var("PUBLISHER_PASSWORD_FILE"),
       77, "may not read the server's cn=config"},
      {a + " scope apply pending --admin-dn cn=admin,cn=config", 64, "together"},
      {a + " scope apply ghost", 69, "server=ghost"},
      {a + " scope plan ghost", 69, "Can't contact LDAP server"},
      {a + " scope apply stale", 65, "not empty"},
  };
  const auto config_before = configSnapshot();
  const auto admin_before = adminSnapshot();
  for (const auto& k : cases) {
    const auto r = anchorctl(k.args);
    EXPECT_EQ(r.code, k.code) << k.args << "\n" << r.out;
    EXPECT_NE(r.out.find(k.says), std::string::npos) << k.args << "\n" << r.out;
  }
  EXPECT_EQ(configSnapshot(), config_before);
  EXPECT_EQ(adminSnapshot(), admin_before);
  for (const char* instance : kInstances) {
    EXPECT_FALSE(std::filesystem::exists(topo().dir() + "/topo/" + instance +
                                         "/db/pendingdnszones.example.com"))
        << instance;
  }
  EXPECT_FALSE(
      std::filesystem::exists(topo().dir() + "/topo/provider1/db/ghostdnszones.example.com"));
  EXPECT_FALSE(
      std::filesystem::exists(topo().dir() + "/topo/provider1/db/stalednszones.example.com"));
}

}  // namespace
}  // namespace anchorage::directory

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new anchorage::testing::TopologyEnvironment(14800));
  return RUN_ALL_TESTS();
}
