// SPDX-License-Identifier: Apache-2.0
//
// anchorctl's directory commands run as a process against the real topology: what they write is
// read back with the directory client, and every bad input leaves the directory unchanged.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "directory/mapping.h"
#include "directory/operations.h"
#include "directory/session.h"
#include "formats/anchor_signature.h"
#include "topology_env.h"
#include "util/file.h"

namespace anchorage::directory {
namespace {

using testing::TopologyEnvironment;

TopologyEnvironment& topo() {
  return *TopologyEnvironment::instance();
}

struct Outcome {
  int code = -1;
  std::string out;
};

Outcome run(const std::string& args) {
  const std::string cmd = std::string(ANCHORCTL_PATH) + " " + args + " 2>&1";
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

std::string writeConfig(const std::string& name, const std::string& uri,
                        const std::string& password_file) {
  const std::string path = topo().dir() + "/" + name + ".yaml";
  std::ofstream(path) << "directory:\n  read: [\"" << uri << "\"]\n"
                      << "  bind: { method: simple, dn: \"" << topo().var("PUBLISHER_DN")
                      << "\", password_file: " << password_file << " }\n"
                      << "  tls: { ca_file: " << topo().var("CA_CERT") << " }\n"
                      << "  timeouts: { network: 2s }\n";
  return path;
}

std::string publisherConfig() {
  static const std::string path =
      writeConfig("publisher", topo().var("PROVIDER1_URI"), topo().var("PUBLISHER_PASSWORD_FILE"));
  return path;
}

// The scope's content as the directory holds it, as comparable text.
std::set<std::string> snapshot() {
  auto s = Session::open(topo().publisher(topo().var("PROVIDER1_URI")));
  EXPECT_TRUE(s);
  std::set<std::string> out;
  for (const auto& base : {topo().var("FOREST_SUFFIX"), topo().var("DOMAIN_SUFFIX")}) {
    auto entries =
        (*s)->search("cn=TrustPoints,cn=Anchorage," + base, Scope::kSubtree, "(objectClass=*)");
    for (const auto& e : entries.value()) {
      std::string line = e.dn;
      for (const auto& [k, values] : e.attributes) {
        for (const auto& v : values) {
          line += "|" + k + "=" + v;
        }
      }
      out.insert(line);
    }
  }
  return out;
}

const std::string kCorpDs =
    "17212 13 2 D34A2A5D7D2CE8EFC7F1A5F1CB05FC4B5D3BD5B0A2C1C1E0E8C7F9A3B4C5D6E7";

TEST(AnchorctlOnlineTest, RootDeployPublishesBothRootKeys) {
  const auto r = run("-c " + publisherConfig() + " root deploy --scope forest");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("DNSKEY key tag 20326"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("DNSKEY key tag 38696"), std::string::npos) << r.out;
  const auto show = run("-c " + publisherConfig() + " show . --scope forest");
  ASSERT_EQ(show.code, 0) << show.out;
  EXPECT_NE(show.out.find("origin root"), std::string::npos) << show.out;
  const auto again = run("-c " + publisherConfig() + " root deploy --scope forest");
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.out.find("unchanged"), std::string::npos) << again.out;
}

TEST(AnchorctlOnlineTest, AddListShowAndRemoveWithTheLastAnchorGuarded) {
  const std::string c = "-c " + publisherConfig();
  auto add = run(c + " add corp.example. --ds \"" + kCorpDs + "\" --scope forest");
  ASSERT_EQ(add.code, 0) << add.out;
  EXPECT_NE(add.out.find("added corp.example. DS key tag 17212"), std::string::npos);
  auto list = run(c + " list --scope forest");
  ASSERT_EQ(list.code, 0) << list.out;
  EXPECT_NE(list.out.find("corp.example."), std::string::npos) << list.out;
  auto json = run(c + " --output json list --scope forest");
  EXPECT_NE(json.out.find("\"key_tag\": 17212"), std::string::npos) << json.out;
  const auto before = snapshot();
  auto refused = run(c + " remove corp.example. --scope forest");
  EXPECT_EQ(refused.code, 65) << refused.out;
  EXPECT_NE(refused.out.find("--force"), std::string::npos) << refused.out;
  EXPECT_EQ(snapshot(), before);
  auto removed = run(c + " remove corp.example. --force --scope forest");
  ASSERT_EQ(removed.code, 0) << removed.out;
  EXPECT_NE(removed.out.find("confirmed for the agents until"), std::string::npos) << removed.out;
  // The empty trust point stays, carrying the confirmation the agents' guard looks for.
  auto s = Session::open(topo().publisher(topo().var("PROVIDER1_URI")));
  ASSERT_TRUE(s);
  auto tp = ScopeClient(**s, ScopeLayout(topo().var("FOREST_SUFFIX")))
                .readTrustPoint(model::DomainName::parse("corp.example.").value());
  ASSERT_TRUE(tp);
  EXPECT_TRUE(tp->second.empty());
  ASSERT_TRUE(tp->first.removal_confirmed_until);
  EXPECT_GT(*tp->first.removal_confirmed_until,
            std::chrono::system_clock::now() + std::chrono::hours(24 * 6));
  auto empty = run(c + " show corp.example. --scope forest");
  EXPECT_EQ(empty.code, 0) << empty.out;
  EXPECT_NE(empty.out.find("no anchor"), std::string::npos) << empty.out;
  EXPECT_EQ(run(c + " remove corp.example. --scope forest").code, 65);
  ASSERT_EQ(run(c + " remove corp.example. --force --scope forest").code, 0);
  auto gone = run(c + " show corp.example. --scope forest");
  EXPECT_EQ(gone.code, 66) << gone.out;
}

TEST(AnchorctlOnlineTest, BadInputChangesNothing) {
  const std::string c = "-c " + publisherConfig();
  const auto before = snapshot();
  struct Case {
    std::string args;
    int code;
    std::string says;
  };
  const std::string wrong_pw = topo().dir() + "/wrong.pw";
  std::ofstream(wrong_pw) << "nope";
  const std::string bad_creds =
      "-c " + writeConfig("badcreds", topo().var("PROVIDER1_URI"), wrong_pw);
  const std::string dead =
      "-c " + writeConfig("dead", "ldap://127.0.0.1:9", topo().var("PUBLISHER_PASSWORD_FILE"));
  const std::vector<Case> cases = {
      {c + " add corp.example. --ds \"17212 13 2 ABCD\" --scope forest", 65, "needs 32"},
      {c + " add corp.example. --ds \"17212 99 2 " + std::string(64, 'A') + "\" --scope forest", 65,
       "not assigned"},
      {c + " add corp.example. --dnskey \"257 3 13 ***\" --scope forest", 65, "Base64"},
      {c + " add bad..name --ds \"" + kCorpDs + "\" --scope forest", 65, "empty label"},
      {c + " add corp.example. --ds \"" + kCorpDs + "\" --scope nosuch", 64, "No such scope"},
      {c + " add corp.example. --ds \"" + kCorpDs + "\"", 64, "Several scopes"},
      {c + " add corp.example. --scope forest", 64, "exactly one"},
      {c + " remove unknown.example. --scope forest", 66, "does not exist"},
      {bad_creds + " add corp.example. --ds \"" + kCorpDs + "\" --scope forest", 77, "credentials"},
      {dead + " add corp.example. --ds \"" + kCorpDs + "\" --scope forest", 69,
       "No directory server"},
      {c + " root deploy --from /usr/share/dns/root.ds.missing --scope forest", 66,
       "does not exist"},
      // Every command that writes refuses the same way before writing.
      {bad_creds + " import /usr/share/dns/root.key --scope forest", 77, "credentials"},
      {dead + " import /usr/share/dns/root.key --scope forest", 69, "No directory server"},
      {bad_creds + " autoupdate corp.example. on --scope forest", 77, "credentials"},
      {dead + " distribute corp.example. --scope forest", 69, "No directory server"},
      {bad_creds + " nta add x.example. --lifetime 1h --reason r --scope forest", 77,
       "credentials"},
      {dead + " nta remove x.example. --scope forest", 69, "No directory server"},
      {bad_creds + " export corp.example. --scope forest", 77, "credentials"},
      {c + " import /usr/share/dns/root.key --scope nosuch", 64, "No such scope"},
      {c + " nta add x.example. --lifetime 1h --reason r --scope nosuch", 64, "No such scope"},
      {c + " autoupdate unknown.example. on --scope forest", 66, "does not exist"},
      {c + " distribute corp.example. --from nosuch --scope forest", 66, "No scope holds"},
      {c + " add corp.example. --from-dns --server 127.0.0.1:notaport --yes --scope forest", 64,
       "Bad port"},
      {c + " add corp.example. --from-dns --server 127.0.0.1:9 --yes --scope forest", 69, ""},
  };
  for (const auto& k : cases) {
    const auto r = run(k.args);
    EXPECT_EQ(r.code, k.code) << k.args << "\n" << r.out;
    EXPECT_NE(r.out.find(k.says), std::string::npos) << k.args << "\n" << r.out;
  }
  EXPECT_EQ(snapshot(), before);
}

TEST(AnchorctlOnlineTest, RootDeployRefusesATamperedXmlSignature) {
  const std::string d = topo().dir() + "/iana";
  std::filesystem::create_directories(d);
  const std::string xml = std::string(ANCHORAGE_SOURCE_DIR) + "/tests/data/xml/ok_root-anchors.xml";
  const std::string setup =
      "cd " + d +
      " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
      "-subj /CN=test-ca >/dev/null 2>&1"
      " && openssl req -newkey rsa:2048 -nodes -keyout signer.key -out signer.csr "
      "-subj /CN=signer >/dev/null 2>&1"
      " && openssl x509 -req -in signer.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
      "-out signer.pem -days 2 >/dev/null 2>&1"
      " && cp " +
      xml +
      " root-anchors.xml"
      " && openssl cms -sign -binary -in root-anchors.xml -signer signer.pem -inkey signer.key "
      "-outform DER -out root-anchors.p7s"
      " && sed 's/E06D44B8/E06D44B9/' root-anchors.xml > tampered.xml";
  ASSERT_EQ(std::system(setup.c_str()), 0);
  const std::string c = "-c " + publisherConfig();
  const auto before = snapshot();
  const auto tampered = run(c + " root deploy --xml " + d + "/tampered.xml --signature " + d +
                            "/root-anchors.p7s --ca " + d + "/ca.pem --scope domain");
  EXPECT_EQ(tampered.code, 65) << tampered.out;
  EXPECT_EQ(snapshot(), before);
  const auto good = run(c + " root deploy --xml " + d + "/root-anchors.xml --signature " + d +
                        "/root-anchors.p7s --ca " + d + "/ca.pem --scope domain");
  ASSERT_EQ(good.code, 0) << good.out;
  EXPECT_NE(good.out.find("DS key tag 20326"), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("DS key tag 38696"), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("skipping key tag 19036"), std::string::npos) << good.out;
}

TEST(AnchorctlOnlineTest, StatusReportsConvergencePerServer) {
  const std::string c = "-c " + publisherConfig();
  // No agent has reported in the domain scope yet.
  auto none = run(c + " status --scope domain");
  EXPECT_EQ(none.code, 75) << none.out;
  // An agent reports the digest of what the scope holds: converged.
  auto agent = Session::open(topo().agent(3, topo().var("PROVIDER1_URI")));
  ASSERT_TRUE(agent);
  ScopeClient domain(**agent, ScopeLayout(topo().var("DOMAIN_SUFFIX")));
  auto content = domain.read().value();
  AgentStatus st{topo().var("AGENT3_NAME"), "stale-digest"};
  st.resolver_results = {"unbound ok"};
  ASSERT_TRUE(domain.writeAgentStatus(st));
  auto stale = run(c + " status --scope domain");
  EXPECT_EQ(stale.code, 75) << stale.out;
  EXPECT_NE(stale.out.find("NO"), std::string::npos) << stale.out;
  std::vector<model::TrustAnchor> trusted;
  for (const auto& a : content.anchors) {
    if (model::isTrusted(a.state)) {
      trusted.push_back(a);
    }
  }
  st.applied_digest = anchorSetDigest(trusted, {});
  ASSERT_TRUE(domain.writeAgentStatus(st));
  auto converged = run(c + " status --scope domain --wait 5s");
  EXPECT_EQ(converged.code, 0) << converged.out;
  EXPECT_NE(converged.out.find(topo().var("AGENT3_NAME")), std::string::npos);
  EXPECT_NE(converged.out.find("yes"), std::string::npos) << converged.out;
  EXPECT_NE(converged.out.find("LAG"), std::string::npos) << converged.out;
  const auto json = run(c + " --output json status --scope domain");
  EXPECT_EQ(json.code, 0) << json.out;
  EXPECT_NE(json.out.find("\"lag_seconds\": "), std::string::npos) << json.out;
  EXPECT_EQ(json.out.find("\"lag_seconds\": null"), std::string::npos) << json.out;
}

ScopeClient publisherScope(Session& s, const std::string& suffix_var) {
  return ScopeClient(s, ScopeLayout(topo().var(suffix_var)));
}

std::unique_ptr<Session> publisherSession() {
  auto s = Session::open(topo().publisher(topo().var("PROVIDER1_URI")));
  EXPECT_TRUE(s) << s.error().toString();
  return s ? std::move(*s) : nullptr;
}

// The anchors of `zone` in a scope as "TYPE TAG" texts with their origins.
std::set<std::string> anchorsIn(Session& s, const std::string& suffix_var,
                                const std::string& zone) {
  std::set<std::string> out;
  auto tp = publisherScope(s, suffix_var).readTrustPoint(model::DomainName::parse(zone).value());
  if (!tp) {
    return out;
  }
  for (const auto& a : tp->second) {
    out.insert(std::string(a.record.isDs() ? "DS " : "DNSKEY ") +
               std::to_string(a.record.keyTag()) + " " + std::string(model::originName(a.origin)));
  }
  return out;
}

TEST(AnchorctlOnlineTest, ExportThenImportOnAnotherScope) {
  const std::string c = "-c " + publisherConfig();
  auto s = publisherSession();
  ASSERT_NE(s, nullptr);
  const std::string ds2 = "40001 8 2 " + std::string(64, 'B');
  ASSERT_EQ(run(c + " add moved.example. --ds \"" + kCorpDs + "\" --scope domain").code, 0);
  ASSERT_EQ(run(c + " add moved.example. --ds \"" + ds2 + "\" --scope domain").code, 0);

  const auto dsset = run(c + " export moved.example. --format dsset --scope domain");
  ASSERT_EQ(dsset.code, 0) << dsset.out;
  EXPECT_NE(dsset.out.find("moved.example."), std::string::npos) << dsset.out;
  EXPECT_NE(dsset.out.find("17212 13 2"), std::string::npos) << dsset.out;
  EXPECT_NE(dsset.out.find("40001 8 2"), std::string::npos) << dsset.out;

  const std::string file = topo().dir() + "/moved.json";
  const auto exported =
      run(c + " export moved.example. --format json -o " + file + " --scope domain");
  ASSERT_EQ(exported.code, 0) << exported.out;
  EXPECT_NE(exported.out.find("wrote 2 anchors"), std::string::npos) << exported.out;
  const auto imported = run(c + " import " + file + " --scope forest");
  ASSERT_EQ(imported.code, 0) << imported.out;
  EXPECT_EQ(anchorsIn(*s, "FOREST_SUFFIX", "moved.example."),
            (std::set<std::string>{"DS 17212 import", "DS 40001 import"}));
  EXPECT_EQ(anchorsIn(*s, "DOMAIN_SUFFIX", "moved.example."),
            (std::set<std::string>{"DS 17212 manual", "DS 40001 manual"}));

  // A file with one bad record publishes nothing, and says where the problem is.
  const std::string bad = topo().dir() + "/half-bad.ds";
  std::ofstream(bad) << "half.example. 3600 IN DS " << kCorpDs << "\n"
                     << "half.example. 3600 IN DS 17213 13 2 ABCD\n";
  const auto before = snapshot();
  const auto refused = run(c + " import " + bad + " --scope forest");
  EXPECT_EQ(refused.code, 65) << refused.out;
  EXPECT_NE(refused.out.find(bad + ":2:"), std::string::npos) << refused.out;
  EXPECT_EQ(run(c + " import " + topo().dir() + "/none.ds --scope forest").code, 66);
  EXPECT_EQ(run(c + " export nowhere.example. --scope forest").code, 66);
  EXPECT_EQ(run(c + " export moved.example. --format bind --scope forest").code, 64);
  const auto unwritable = run(c + " export moved.example. -o /nonexistent/dir/x.ds --scope forest");
  EXPECT_NE(unwritable.code, 0) << unwritable.out;
  EXPECT_EQ(snapshot(), before);

  for (const char* scope : {"forest", "domain"}) {
    EXPECT_EQ(run(c + " remove moved.example. --force --scope " + scope).code, 0);
  }
}

TEST(AnchorctlOnlineTest, AutoUpdateAndDistributionFlags) {
  const std::string c = "-c " + publisherConfig();
  auto s = publisherSession();
  ASSERT_NE(s, nullptr);
  const auto zone = model::DomainName::parse("flags.example.").value();
  ASSERT_EQ(run(c + " add flags.example. --ds \"" + kCorpDs + "\" --scope domain").code, 0);

  const auto on = run(c + " autoupdate flags.example. on --scope domain");
  ASSERT_EQ(on.code, 0) << on.out;
  EXPECT_NE(on.out.find("no trusted DNSKEY"), std::string::npos) << on.out;
  EXPECT_TRUE(publisherScope(*s, "DOMAIN_SUFFIX").readTrustPoint(zone)->first.auto_update);
  const auto again = run(c + " autoupdate flags.example. on --scope domain");
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.out.find("already"), std::string::npos) << again.out;
  ASSERT_EQ(run(c + " autoupdate flags.example. off --scope domain").code, 0);
  EXPECT_FALSE(publisherScope(*s, "DOMAIN_SUFFIX").readTrustPoint(zone)->first.auto_update);

  // Copied into the forest scope with its anchors.
  const auto copied = run(c + " distribute flags.example. --scope forest");
  ASSERT_EQ(copied.code, 0) << copied.out;
  EXPECT_NE(copied.out.find("copied 1 anchors from " + topo().var("DOMAIN_SUFFIX")),
            std::string::npos)
      << copied.out;
  auto forest_tp = publisherScope(*s, "FOREST_SUFFIX").readTrustPoint(zone);
  ASSERT_TRUE(forest_tp);
  EXPECT_TRUE(forest_tp->first.distribute);
  ASSERT_EQ(forest_tp->second.size(), 1u);
  EXPECT_EQ(forest_tp->second.front().record.keyTag(), 17212);

  // Out of distribution: kept in the directory, the withdrawal confirmed for the guard.
  const auto off = run(c + " distribute flags.example. --off --scope forest");
  ASSERT_EQ(off.code, 0) << off.out;
  forest_tp = publisherScope(*s, "FOREST_SUFFIX").readTrustPoint(zone);
  ASSERT_TRUE(forest_tp);
  EXPECT_FALSE(forest_tp->first.distribute);
  ASSERT_TRUE(forest_tp->first.removal_confirmed_until);
  EXPECT_GT(*forest_tp->first.removal_confirmed_until, std::chrono::system_clock::now());
  EXPECT_EQ(forest_tp->second.size(), 1u);
  // And back in.
  ASSERT_EQ(run(c + " distribute flags.example. --scope forest").code, 0);
  forest_tp = publisherScope(*s, "FOREST_SUFFIX").readTrustPoint(zone);
  EXPECT_TRUE(forest_tp->first.distribute);
  EXPECT_FALSE(forest_tp->first.removal_confirmed_until);

  const auto before = snapshot();
  const auto unknown = run(c + " distribute nowhere.example. --scope forest");
  EXPECT_EQ(unknown.code, 66) << unknown.out;
  EXPECT_NE(unknown.out.find("No scope holds"), std::string::npos) << unknown.out;
  EXPECT_EQ(run(c + " distribute flags.example.").code, 64);
  EXPECT_EQ(run(c + " distribute flags.example. --off --from x --scope forest").code, 64);
  EXPECT_EQ(run(c + " autoupdate flags.example. maybe --scope domain").code, 64);
  EXPECT_EQ(run(c + " autoupdate nowhere.example. on --scope domain").code, 66);
  EXPECT_EQ(snapshot(), before);

  const auto json = run(c + " --output json remove flags.example. --force --scope forest");
  EXPECT_EQ(json.code, 0) << json.out;
  EXPECT_NE(json.out.find("\"key_tag\": 17212"), std::string::npos) << json.out;
  EXPECT_EQ(json.out.find("removal_confirmed_until\": \"-\""), std::string::npos) << json.out;
  EXPECT_EQ(run(c + " remove flags.example. --force --scope domain").code, 0);
}

TEST(AnchorctlOnlineTest, NegativeTrustAnchorsAddListAndRemove) {
  const std::string c = "-c " + publisherConfig();
  auto s = publisherSession();
  ASSERT_NE(s, nullptr);
  const auto start = std::chrono::system_clock::now();
  const auto added =
      run(c + " nta add broken.example. --lifetime 2h --reason \"signer outage\" --scope forest");
  ASSERT_EQ(added.code, 0) << added.out;
  auto content = publisherScope(*s, "FOREST_SUFFIX").read();
  ASSERT_TRUE(content);
  ASSERT_EQ(content->ntas.size(), 1u);
  const auto& nta = content->ntas.front();
  EXPECT_EQ(nta.name.text(), "broken.example.");
  EXPECT_EQ(nta.reason, "signer outage");
  EXPECT_EQ(nta.created_by, topo().var("PUBLISHER_DN"));
  EXPECT_GE(nta.expires, start + std::chrono::minutes(119));
  EXPECT_LE(nta.expires, start + std::chrono::minutes(121));

  const auto list = run(c + " nta list --scope forest");
  ASSERT_EQ(list.code, 0) << list.out;
  EXPECT_NE(list.out.find("broken.example."), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("signer outage"), std::string::npos) << list.out;
  const auto json = run(c + " --output json nta list --scope forest");
  EXPECT_NE(json.out.find("\"active\": true"), std::string::npos) << json.out;

  const auto before = snapshot();
  const auto long_nta = run(c + " nta add x.example. --lifetime 8d --reason r --scope forest");
  EXPECT_EQ(long_nta.code, 64) << long_nta.out;
  EXPECT_NE(long_nta.out.find("one week"), std::string::npos) << long_nta.out;
  EXPECT_EQ(run(c + " nta add x.example. --lifetime 10s --reason r --scope forest").code, 64);
  EXPECT_EQ(run(c + " nta add x.example. --lifetime soon --reason r --scope forest").code, 64);
  EXPECT_EQ(run(c + " nta add x.example. --lifetime 1h --scope forest").code, 64);
  EXPECT_EQ(run(c + " nta add bad..name --lifetime 1h --reason r --scope forest").code, 65);
  EXPECT_EQ(snapshot(), before);
  auto unchanged = publisherScope(*s, "FOREST_SUFFIX").read();
  EXPECT_EQ(unchanged->ntas.size(), 1u);

  const auto removed = run(c + " --output json nta remove broken.example. --scope forest");
  ASSERT_EQ(removed.code, 0) << removed.out;
  EXPECT_NE(removed.out.find("\"nta_removed\": \"broken.example.\""), std::string::npos)
      << removed.out;
  EXPECT_TRUE(publisherScope(*s, "FOREST_SUFFIX").read()->ntas.empty());
  EXPECT_EQ(run(c + " nta remove broken.example. --scope forest").code, 66);
}

TEST(AnchorctlOnlineTest, RefreshMarksAutoUpdateTrustPointsDue) {
  const std::string c = "-c " + publisherConfig();
  auto s = publisherSession();
  ASSERT_NE(s, nullptr);
  const auto zone = model::DomainName::parse("due.example.").value();
  ASSERT_EQ(run(c + " add due.example. --ds \"" + kCorpDs + "\" --scope domain").code, 0);
  const auto off = run(c + " refresh due.example. --scope domain");
  EXPECT_EQ(off.code, 65) << off.out;
  EXPECT_NE(off.out.find("autoupdate"), std::string::npos) << off.out;
  EXPECT_EQ(run(c + " refresh --scope domain").code, 66);
  ASSERT_EQ(run(c + " autoupdate due.example. on --scope domain").code, 0);
  auto tp = publisherScope(*s, "DOMAIN_SUFFIX").readTrustPoint(zone).value();
  tp.first.next_refresh = std::chrono::time_point_cast<std::chrono::seconds>(
      std::chrono::system_clock::now() + std::chrono::hours(5));
  ASSERT_TRUE(publisherScope(*s, "DOMAIN_SUFFIX").putTrustPoint(tp.first));
  const auto asked = run(c + " refresh due.example. --scope domain");
  ASSERT_EQ(asked.code, 0) << asked.out;
  auto after = publisherScope(*s, "DOMAIN_SUFFIX").readTrustPoint(zone).value();
  ASSERT_TRUE(after.first.next_refresh);
  EXPECT_LE(*after.first.next_refresh, std::chrono::system_clock::now());
  EXPECT_TRUE(after.first.auto_update);
  EXPECT_EQ(run(c + " refresh --scope domain").code, 0);
  EXPECT_EQ(run(c + " refresh nowhere.example. --scope domain").code, 66);
  EXPECT_EQ(run(c + " remove due.example. --force --scope domain").code, 0);
}

TEST(AnchorctlOnlineTest, WithASigningKeyEveryAnchorIsPublishedSigned) {
  const std::string key = topo().dir() + "/publisher-ed25519.key";
  const std::string pub = topo().dir() + "/publisher-ed25519.pub";
  ASSERT_EQ(std::system(("openssl genpkey -algorithm ed25519 -out " + key +
                         " && openssl pkey -in " + key + " -pubout -out " + pub)
                            .c_str()),
            0);
  const std::string config = topo().dir() + "/signing.yaml";
  std::ofstream(config) << util::readFile(publisherConfig(), 1 << 16).value()
                        << "publisher: { signing_key_file: " << key << " }\n";
  const std::string rdata =
      "31589 8 2 CDE0D742D6998AA554A92D890F8184C698CFAC8A26FA59875A990C03E576343C";
  const auto out = run("-c " + config + " add signed.example. --ds '" + rdata + "' --scope forest");
  ASSERT_EQ(out.code, 0) << out.out;

  auto s = Session::open(topo().publisher(topo().var("PROVIDER1_URI")));
  ASSERT_TRUE(s);
  const auto owner = model::DomainName::parse("signed.example.").value();
  auto tp = ScopeClient(**s, ScopeLayout(topo().var("FOREST_SUFFIX"))).readTrustPoint(owner);
  ASSERT_TRUE(tp) << tp.error().toString();
  ASSERT_EQ(tp->second.size(), 1u);
  const auto& anchor = tp->second.front();
  ASSERT_FALSE(anchor.publisher_signature.empty());
  auto verifier = formats::AnchorVerifier::load({pub});
  ASSERT_TRUE(verifier) << verifier.error().toString();
  EXPECT_TRUE(verifier->verify(anchor.record, anchor.publisher_signature));
  // Published again without the key: the signature goes, as the publisher said.
  EXPECT_EQ(
      run("-c " + publisherConfig() + " add signed.example. --ds '" + rdata + "' --scope forest")
          .code,
      0);
  tp = ScopeClient(**s, ScopeLayout(topo().var("FOREST_SUFFIX"))).readTrustPoint(owner);
  ASSERT_TRUE(tp);
  EXPECT_TRUE(tp->second.front().publisher_signature.empty());
  EXPECT_EQ(run("-c " + publisherConfig() + " remove signed.example. --force --scope forest").code,
            0);
}

TEST(AnchorctlOnlineTest, ARevokedKeyIsNotTrustedAgainByPublishingIt) {
  const std::string c = "-c " + publisherConfig();
  auto s = publisherSession();
  ASSERT_NE(s, nullptr);
  auto scope = publisherScope(*s, "FOREST_SUFFIX");
  model::TrustAnchor revoked;
  revoked.record = {model::DomainName::parse("revoked.example.").value(), 3600,
                    model::parseDsRdata(kCorpDs).value()};
  revoked.state = model::KeyState::kRevoked;
  ASSERT_TRUE(scope.publishAnchor(revoked));
  const auto again = run(c + " add revoked.example. --ds \"" + kCorpDs + "\" --scope forest");
  EXPECT_EQ(again.code, 0) << again.out;
  EXPECT_NE(again.out.find("kept revoked"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("stays untrusted"), std::string::npos) << again.out;
  auto tp = scope.readTrustPoint(revoked.record.owner);
  ASSERT_TRUE(tp);
  ASSERT_EQ(tp->second.size(), 1u);
  EXPECT_EQ(tp->second.front().state, model::KeyState::kRevoked);
  const auto wait = run(c + " status --wait soon --scope forest");
  EXPECT_EQ(wait.code, 64) << wait.out;
  EXPECT_EQ(run(c + " remove revoked.example. --force --scope forest").code, 0);
  EXPECT_EQ(run(c + " remove revoked.example. --force --scope forest").code, 0);
}

}  // namespace
}  // namespace anchorage::directory
