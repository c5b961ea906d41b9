// SPDX-License-Identifier: Apache-2.0
//
// Scope definitions and scope database plans (directory/scope_plan.h): DN and definition checks,
// the definition entry round trip, reading a server's cn=config as slapd returns it, the plan of
// each kind of server, and the database entries against deploy/slapd/gen-config's own output.

#include "directory/scope_plan.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace anchorage::directory {
namespace {

const std::string kAdmin = "ou=AnchorageAdmin,dc=example,dc=com";
const std::string kBranch = "dc=BranchDnsZones,dc=example,dc=com";
const std::string kP1Repl = "ldap://ldap1.example.com/";
const std::string kP2Repl = "ldap://ldap2.example.com/";

ScopeDefinition branch() {
  return makeDefinition("branch", kBranch,
                        {"p2=ldaps://ldap2.example.com/", "p1=ldapi:///", "c1=ldapi://%2Frun%2Fc1"},
                        {"p1=" + kP1Repl, "p2=" + kP2Repl}, kAdmin)
      .value();
}

const ScopeServer& server(const ScopeDefinition& d, const std::string& name) {
  for (const auto& s : d.servers) {
    if (s.name == name) {
      return s;
    }
  }
  ADD_FAILURE() << "no server " << name;
  return d.servers.front();
}

// The cn=config of a server as slapd returns it: {N} prefixes on ordered values, folded values
// joined, the admin database first (what deploy/slapd/gen-config makes and slapd shows).
std::vector<Entry> cnConfig(bool provider, bool with_branch_syncprov = true) {
  const std::string repl = "cn=replicator," + kAdmin;
  const std::string syncrepl =
      "rid=001 provider=ldap://ldap2.example.com/ bindmethod=simple binddn=\"" + repl +
      "\" credentials=\"s3cret\" searchbase=\"" + kAdmin +
      "\" scope=sub type=refreshAndPersist retry=\"1 30 5 +\" timeout=3 network-timeout=3 "
      "keepalive=60:3:10 starttls=critical tls_cacert=\"/etc/anchorage/tls/ca.crt\" "
      "tls_reqcert=demand";
  std::vector<Entry> out;
  Entry global{"cn=config", {{"objectClass", {"olcGlobal"}}, {"cn", {"config"}}}};
  if (provider) {
    global.attributes["olcServerID"] = {"1"};
  }
  out.push_back(global);
  out.push_back({"olcDatabase={-1}frontend,cn=config",
                 {{"objectClass", {"olcDatabaseConfig", "olcFrontendConfig"}},
                  {"olcDatabase", {"{-1}frontend"}}}});
  out.push_back({"olcDatabase={0}config,cn=config",
                 {{"objectClass", {"olcDatabaseConfig"}}, {"olcDatabase", {"{0}config"}}}});
  out.push_back(
      {"olcDatabase={1}mdb,cn=config",
       {{"objectClass", {"olcDatabaseConfig", "olcMdbConfig"}},
        {"olcDatabase", {"{1}mdb"}},
        {"olcSuffix", {kAdmin}},
        {"olcDbDirectory", {"/var/lib/anchorage-ldap/db/admin"}},
        {"olcLimits",
         {"{0}dn.exact=\"" + repl + "\" size=unlimited time=unlimited",
          "{1}dn.children=\"ou=agents," + kAdmin + "\" size=unlimited time=unlimited",
          "{2}group/groupOfNames/member=\"cn=publishers,ou=groups," + kAdmin +
              "\" size=unlimited time=unlimited",
          "{3}dn.exact=\"cn=solo,ou=publishers," + kAdmin + "\" size=unlimited time=unlimited"}},
        {"olcSyncrepl", {"{0}" + syncrepl}}}});
  out.push_back({"olcOverlay={0}syncprov,olcDatabase={1}mdb,cn=config",
                 {{"objectClass", {"olcOverlayConfig", "olcSyncProvConfig"}},
                  {"olcOverlay", {"{0}syncprov"}},
                  {"olcSpCheckpoint", {"50 10"}},
                  {"olcSpSessionlog", {"5000"}}}});
  out.push_back({"olcDatabase={2}mdb,cn=config",
                 {{"objectClass", {"olcDatabaseConfig", "olcMdbConfig"}},
                  {"olcDatabase", {"{2}mdb"}},
                  {"olcSuffix", {"dc=ForestDnsZones,dc=example,dc=com"}},
                  {"olcDbDirectory", {"/var/lib/anchorage-ldap/db/forestdnszones.example.com"}},
                  {"olcSyncrepl", {"{0}rid=002 provider=ldap://ldap2.example.com/"}}}});
  if (with_branch_syncprov) {
    out.push_back({"olcOverlay={0}syncprov,olcDatabase={2}mdb,cn=config",
                   {{"objectClass", {"olcOverlayConfig", "olcSyncProvConfig"}},
                    {"olcOverlay", {"{0}syncprov"}}}});
  }
  return out;
}

TEST(ScopeDnTest, CleansBlanksAndKeepsCase) {
  EXPECT_EQ(cleanDn(" dc=Branch , dc=example,dc=com").value(), "dc=Branch,dc=example,dc=com");
  EXPECT_EQ(cleanScopeSuffix("ou=Branch,o=Example").value(), "ou=Branch,o=Example");
  EXPECT_EQ(cleanScopeSuffix("o=Example").value(), "o=Example");
}

TEST(ScopeDnTest, RefusesWhatTheAccessRulesCannotCarry) {
  for (const char* bad :
       {"", "dc=a,,dc=com", "dc=", "=x", "dc=a\\,b,dc=com", "cn=a+sn=b,dc=com", "dc=\"a\",dc=com",
        "dc=a;dc=com", "1dc=a", "dc=a\nb", "dc=caf\xc3\xa9", "dc=a#b", "dc=a[b]"}) {
    auto r = cleanDn(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput) << bad;
  }
  auto cn = cleanScopeSuffix("cn=Branch,dc=example,dc=com");
  ASSERT_FALSE(cn);
  EXPECT_NE(cn.error().message.find("dc=, ou= or o="), std::string::npos);
}

TEST(ScopeDnTest, BelowComparesWholeRdnsWithoutCase) {
  EXPECT_TRUE(isBelow("ou=x,DC=Example,dc=com", "dc=example,dc=com"));
  EXPECT_FALSE(isBelow("dc=example,dc=com", "dc=example,dc=com"));
  EXPECT_FALSE(isBelow("dc=bigexample,dc=com", "dc=example,dc=com"));
  EXPECT_FALSE(isBelow("dc=example,dc=com", "ou=x,dc=example,dc=com"));
}

TEST(ScopeDefinitionTest, SortsServersAndGivesProvidersTheirReplicationUri) {
  const auto d = branch();
  EXPECT_EQ(d.name, "branch");
  EXPECT_EQ(d.suffix, kBranch);
  ASSERT_EQ(d.servers.size(), 3u);
  EXPECT_EQ(d.servers[0].name, "c1");
  EXPECT_EQ(d.servers[0].role, ServerRole::kConsumer);
  EXPECT_EQ(d.servers[0].replication_uri, "");
  EXPECT_EQ(d.servers[1].name, "p1");
  EXPECT_EQ(d.servers[1].role, ServerRole::kProvider);
  EXPECT_EQ(d.servers[1].admin_uri, "ldapi:///");
  EXPECT_EQ(d.servers[1].replication_uri, kP1Repl);
  const auto providers = d.providers();
  ASSERT_EQ(providers.size(), 2u);
  EXPECT_EQ(providers[0]->name, "p1");
  EXPECT_EQ(providers[1]->name, "p2");
}

TEST(ScopeDefinitionTest, RefusesBadInputNamingTheProblem) {
  struct Case {
    std::string name, suffix;
    std::vector<std::string> servers, providers;
    std::string says;
  };
  const std::vector<std::string> one = {"p1=ldapi:///"};
  const std::vector<std::string> prov = {"p1=" + kP1Repl};
  const std::vector<Case> cases = {
      {"Branch", kBranch, one, prov, "Scope name"},
      {"-x", kBranch, one, prov, "Scope name"},
      {std::string(65, 'a'), kBranch, one, prov, "Scope name"},
      {"b", "dc=a,,dc=com", one, prov, "malformed"},
      {"b", "cn=x,dc=com", one, prov, "dc=, ou= or o="},
      {"b", kAdmin, one, prov, "apart from the admin suffix"},
      {"b", "ou=x," + kAdmin, one, prov, "apart from the admin suffix"},
      {"b", "dc=com", one, prov, "apart from the admin suffix"},
      {"b", kBranch, {}, prov, "--servers"},
      {"b", kBranch, {"p1"}, prov, "NAME=URI"},
      {"b", kBranch, {"=ldapi:///"}, prov, "NAME=URI"},
      {"b", kBranch, {"p 1=ldapi:///"}, prov, "Server name"},
      {"b", kBranch, {"p1=ldapi:///", "P1=ldapi:///"}, prov, "listed twice"},
      {"b", kBranch, {"p1=http://x/"}, prov, "ldap://, ldaps:// or ldapi://"},
      {"b", kBranch, {"p1=ldap://a b/"}, prov, "no blanks"},
      {"b", kBranch, {"p1=ldapi://"}, prov, "ldap://, ldaps:// or ldapi://"},
      {"b", kBranch, one, {}, "at least one provider"},
      {"b", kBranch, one, {"p9=" + kP1Repl}, "one of the --servers"},
      {"b", kBranch, one, {"p1=" + kP1Repl, "p1=" + kP2Repl}, "Provider is listed twice"},
      {"b", kBranch, one, {"p1=ldap://x\"/"}, "quotes"},
  };
  for (const auto& c : cases) {
    auto r = makeDefinition(c.name, c.suffix, c.servers, c.providers, kAdmin);
    ASSERT_FALSE(r) << c.says;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput) << c.says;
    EXPECT_NE(r.error().toString().find(c.says), std::string::npos) << r.error().toString();
  }
}

TEST(ScopeDefinitionTest, EntryRoundTrips) {
  const auto d = branch();
  const Entry e = entryForDefinition(kAdmin, d);
  EXPECT_EQ(e.dn, "cn=branch,ou=scopes," + kAdmin);
  EXPECT_EQ(definitionDn(kAdmin, "branch"), e.dn);
  EXPECT_TRUE(e.hasClass("anchorageScopeDefinition"));
  EXPECT_EQ(e.first("anchorageScopeSuffix").value(), kBranch);
  EXPECT_EQ(e.all("anchorageScopeServer"),
            (std::vector<std::string>{
                "name=c1 role=consumer admin-uri=ldapi://%2Frun%2Fc1",
                "name=p1 role=provider admin-uri=ldapi:/// replication-uri=" + kP1Repl,
                "name=p2 role=provider admin-uri=ldaps://ldap2.example.com/ replication-uri=" +
                    kP2Repl}));
  const auto back = definitionFromEntry(e).value();
  EXPECT_EQ(back.name, d.name);
  EXPECT_TRUE(sameDefinition(back, d));
  auto other = d;
  other.suffix = "DC=branchdnszones,DC=Example,dc=com";
  EXPECT_TRUE(sameDefinition(other, d));
  other.servers.pop_back();
  EXPECT_FALSE(sameDefinition(other, d));
  const Entry container = entryForDefinitionsContainer(kAdmin);
  EXPECT_EQ(container.dn, definitionsContainer(kAdmin));
  EXPECT_TRUE(container.hasClass("organizationalUnit"));
}

TEST(ScopeDefinitionTest, ReadsEntriesStrictly) {
  const Entry good = entryForDefinition(kAdmin, branch());
  auto with = [&](const std::string& attr, std::vector<std::string> values) {
    Entry e = good;
    e.attributes[attr] = std::move(values);
    return e;
  };
  const std::vector<std::pair<Entry, std::string>> cases = {
      {with("objectClass", {"organizationalUnit"}), "not a scope definition"},
      {with("cn", {"Bad Name"}), "bad name"},
      {with("anchorageScopeSuffix", {"cn=x,dc=com"}), "dc=, ou= or o="},
      {with("anchorageScopeServer", {"name=c1 role=consumer admin-uri=ldapi:///"}), "no provider"},
      {with("anchorageScopeServer", {"name=p1 role=provider admin-uri=ldapi:///"}), "malformed"},
      {with("anchorageScopeServer", {"name=p1 role=peer admin-uri=ldapi:///"}), "malformed"},
      {with("anchorageScopeServer",
            {"name=c1 role=consumer admin-uri=ldapi:/// replication-uri=ldap://x/"}),
       "malformed"},
      {with("anchorageScopeServer", {"name=c1 name=c2 role=consumer admin-uri=ldapi:///"}),
       "malformed"},
      {with("anchorageScopeServer", {"name=c1  role=consumer admin-uri=ldapi:///"}), "malformed"},
      {with("anchorageScopeServer", {"name=c1 role=consumer admin-uri=http://x/"}), "ldap://"},
      {with("anchorageScopeServer",
            {"name=p1 role=provider admin-uri=ldapi:/// replication-uri=ldap://x/",
             "name=P1 role=consumer admin-uri=ldapi:///"}),
       "twice"},
  };
  for (const auto& [entry, says] : cases) {
    auto r = definitionFromEntry(entry);
    ASSERT_FALSE(r) << says;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
    EXPECT_NE(r.error().toString().find(says), std::string::npos) << r.error().toString();
  }
}

TEST(ScopeEntriesTest, BaseEntryClassFollowsTheFirstRdn) {
  EXPECT_TRUE(baseEntry(kBranch).value().hasClass("domain"));
  EXPECT_EQ(baseEntry(kBranch).value().first("dc").value(), "BranchDnsZones");
  EXPECT_TRUE(baseEntry("ou=Branch,o=Example").value().hasClass("organizationalUnit"));
  EXPECT_TRUE(baseEntry("o=Example").value().hasClass("organization"));
  EXPECT_FALSE(baseEntry("cn=x,dc=com"));
}

TEST(ScopeEntriesTest, SkeletonComesParentsFirstWithTheLeaseAtGenerationZero) {
  const auto entries = scopeEntries(" dc=BranchDnsZones, dc=example,dc=com").value();
  std::vector<std::string> dns;
  for (const auto& e : entries) {
    dns.push_back(e.dn);
  }
  const std::string base = "cn=Anchorage," + kBranch;
  EXPECT_EQ(
      dns, (std::vector<std::string>{kBranch, base, "cn=TrustPoints," + base,
                                     "cn=NegativeTrustAnchors," + base, "cn=Agents," + base,
                                     "cn=Leases," + base, "cn=rfc5011-refresh,cn=Leases," + base}));
  EXPECT_EQ(entries.back().first("anchorageLeaseGeneration").value(), "0");
  const auto record = recordForEntry(entries.back());
  EXPECT_EQ(record.values.front().attribute, "objectClass");
  EXPECT_EQ(record.toEntry().all("objectClass"), entries.back().all("objectClass"));
  EXPECT_EQ(record.toEntry().first("cn"), entries.back().first("cn"));
}

TEST(ServerConfigTest, ReadsWhatTheScopeDatabaseCopies) {
  const auto c = readServerConfig(cnConfig(true), kAdmin);
  EXPECT_TRUE(c.has_server_id);
  EXPECT_EQ(c.max_database_index, 2);
  EXPECT_EQ(c.max_rid, 2u);
  ASSERT_EQ(c.databases.size(), 2u);
  EXPECT_EQ(c.databases[0].dn, "olcDatabase={1}mdb,cn=config");
  EXPECT_EQ(c.databases[0].directory, "/var/lib/anchorage-ldap/db/admin");
  EXPECT_TRUE(c.databases[0].syncprov);
  EXPECT_TRUE(c.databases[1].syncprov);
  EXPECT_EQ(c.admin_directory.value(), "/var/lib/anchorage-ldap/db/admin");
  ASSERT_TRUE(c.account);
  EXPECT_EQ(c.account->credentials, "s3cret");
  EXPECT_EQ(c.account->ca_file.value(), "/etc/anchorage/tls/ca.crt");
  EXPECT_TRUE(c.account->starttls);
  EXPECT_EQ(c.names.replicator, "cn=replicator," + kAdmin);
  EXPECT_EQ(c.names.agents, "ou=agents," + kAdmin);
  EXPECT_EQ(c.names.publishers, "cn=publishers,ou=groups," + kAdmin);
  EXPECT_EQ(c.names.refreshers, "cn=rfc5011-refreshers,ou=groups," + kAdmin);
  EXPECT_EQ(c.names.publisher_dns, (std::vector<std::string>{"cn=solo,ou=publishers," + kAdmin}));
  EXPECT_EQ(c.checkpoint, "50 10");
  EXPECT_EQ(c.sessionlog, 5000u);
}

TEST(ServerConfigTest, WithoutTheAdminDatabaseKeepsTheDefaults) {
  const auto c = readServerConfig(cnConfig(false), "ou=Other,dc=example,dc=com");
  EXPECT_FALSE(c.has_server_id);
  EXPECT_FALSE(c.admin_directory);
  EXPECT_FALSE(c.account);
  EXPECT_EQ(c.names.replicator, "cn=replicator,ou=Other,dc=example,dc=com");
  EXPECT_EQ(c.checkpoint, "100 5");
  EXPECT_EQ(c.sessionlog, 20000u);
}

TEST(ServerPlanTest, ProviderGetsDatabaseSyncreplToTheOtherProvidersAndOverlay) {
  const auto d = branch();
  const auto plan = planServer(d, server(d, "p1"), readServerConfig(cnConfig(true), kAdmin));
  ASSERT_TRUE(plan) << plan.error().toString();
  EXPECT_EQ(plan->action, ServerAction::kAddDatabase);
  EXPECT_EQ(plan->database_dn, "olcDatabase={3}mdb,cn=config");
  EXPECT_EQ(plan->spec.directory, "/var/lib/anchorage-ldap/db/branchdnszones.example.com");
  EXPECT_EQ(plan->spec.sources, (std::vector<std::string>{kP2Repl}));
  EXPECT_EQ(plan->spec.first_rid, 3u);
  ASSERT_EQ(plan->records.size(), 2u);
  const Entry db = plan->records[0].toEntry();
  EXPECT_EQ(db.dn, "olcDatabase=mdb,cn=config");
  EXPECT_EQ(db.first("olcSuffix").value(), kBranch);
  EXPECT_EQ(db.first("olcMultiProvider").value(), "TRUE");
  EXPECT_FALSE(db.first("olcUpdateRef"));
  const auto syncrepl = db.all("olcSyncrepl");
  ASSERT_EQ(syncrepl.size(), 1u);
  EXPECT_EQ(syncrepl[0], "rid=003 provider=" + kP2Repl +
                             " bindmethod=simple binddn=\"cn=replicator," + kAdmin +
                             "\" credentials=\"s3cret\" searchbase=\"" + kBranch +
                             "\" scope=sub type=refreshAndPersist retry=\"1 30 5 +\" timeout=3 "
                             "network-timeout=3 keepalive=60:3:10 starttls=critical "
                             "tls_cacert=\"/etc/anchorage/tls/ca.crt\" tls_reqcert=demand");
  EXPECT_EQ(db.all("olcAccess").size(), 12u);
  EXPECT_EQ(db.all("olcLimits").size(), 4u);
  const Entry overlay = plan->records[1].toEntry();
  EXPECT_EQ(overlay.dn, "olcOverlay={0}syncprov,olcDatabase={3}mdb,cn=config");
  EXPECT_EQ(overlay.first("olcSpCheckpoint").value(), "50 10");
  EXPECT_EQ(overlay.first("olcSpSessionlog").value(), "5000");
}

TEST(ServerPlanTest, ConsumerReplicatesFromEveryProviderAndRefersWritesToTheFirst) {
  const auto d = branch();
  const auto plan = planServer(d, server(d, "c1"), readServerConfig(cnConfig(false), kAdmin));
  ASSERT_TRUE(plan) << plan.error().toString();
  const Entry db = plan->records[0].toEntry();
  EXPECT_EQ(db.first("olcUpdateRef").value(), kP1Repl);
  EXPECT_FALSE(db.first("olcMultiProvider"));
  const auto syncrepl = db.all("olcSyncrepl");
  ASSERT_EQ(syncrepl.size(), 2u);
  EXPECT_TRUE(syncrepl[0].starts_with("rid=003 provider=" + kP1Repl));
  EXPECT_TRUE(syncrepl[1].starts_with("rid=004 provider=" + kP2Repl));
}

TEST(ServerPlanTest, HeldScopeNeedsNothingOrOnlyTheOverlay) {
  auto d = branch();
  d.suffix = "dc=ForestDnsZones,dc=example,dc=com";
  const auto held = planServer(d, server(d, "p1"), readServerConfig(cnConfig(true), kAdmin));
  ASSERT_TRUE(held);
  EXPECT_EQ(held->action, ServerAction::kNone);
  EXPECT_EQ(held->database_dn, "olcDatabase={2}mdb,cn=config");
  EXPECT_TRUE(held->records.empty());
  const auto half = planServer(d, server(d, "p1"), readServerConfig(cnConfig(true, false), kAdmin));
  ASSERT_TRUE(half);
  EXPECT_EQ(half->action, ServerAction::kAddOverlay);
  ASSERT_EQ(half->records.size(), 1u);
  EXPECT_EQ(half->records[0].dn, "olcOverlay={0}syncprov,olcDatabase={2}mdb,cn=config");
  EXPECT_STREQ(serverActionName(half->action), "add-overlay");
}

TEST(ServerPlanTest, RefusesWhatWouldBreakTheServer) {
  const auto d = branch();
  const auto& p1 = server(d, "p1");
  auto expectProblem = [&](const ScopeDefinition& def, const ServerConfig& c,
                           const std::string& says) {
    auto r = planServer(def, p1, c);
    ASSERT_FALSE(r) << says;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
    EXPECT_EQ(r.error().field("server"), "p1");
    EXPECT_NE(r.error().toString().find(says), std::string::npos) << r.error().toString();
  };
  expectProblem(d, readServerConfig(cnConfig(true), "ou=Other,dc=example,dc=com"),
                "does not hold the admin suffix");
  expectProblem(d, readServerConfig(cnConfig(false), kAdmin), "olcServerID");
  auto no_account = readServerConfig(cnConfig(true), kAdmin);
  no_account.account.reset();
  expectProblem(d, no_account, "replication account");
  auto inside = d;
  inside.suffix = "ou=x,dc=ForestDnsZones,dc=example,dc=com";
  expectProblem(inside, readServerConfig(cnConfig(true), kAdmin), "lies in");
  auto same_dir = readServerConfig(cnConfig(true), kAdmin);
  same_dir.databases[1].directory = "/var/lib/anchorage-ldap/db/branchdnszones.example.com";
  expectProblem(d, same_dir, "directory");
  auto no_rid = readServerConfig(cnConfig(true), kAdmin);
  no_rid.max_rid = 999;
  expectProblem(d, no_rid, "Replica ids");
  auto ldaps = d;
  for (auto& s : ldaps.servers) {
    if (s.name == "p2") {
      s.replication_uri = "ldaps://ldap2.example.com/";
    }
  }
  auto no_ca = readServerConfig(cnConfig(true), kAdmin);
  no_ca.account->ca_file.reset();
  expectProblem(ldaps, no_ca, "needs a CA");
}

TEST(ServerPlanTest, SeedIsTheFirstProviderHoldingTheSuffix) {
  auto plan = [](ServerRole role, ServerAction action) {
    ServerPlan p;
    p.server.role = role;
    p.action = action;
    return p;
  };
  using enum ServerAction;
  EXPECT_EQ(seedServer({plan(ServerRole::kProvider, kAddDatabase),
                        plan(ServerRole::kProvider, kAddDatabase),
                        plan(ServerRole::kConsumer, kAddDatabase)}),
            0u);
  EXPECT_EQ(seedServer({plan(ServerRole::kProvider, kAddDatabase),
                        plan(ServerRole::kProvider, kNone), plan(ServerRole::kConsumer, kNone)}),
            1u);
  EXPECT_EQ(
      seedServer({plan(ServerRole::kConsumer, kNone), plan(ServerRole::kProvider, kAddDatabase),
                  plan(ServerRole::kProvider, kAddOverlay)}),
      2u);
}

TEST(RenderLdifTest, FoldsAsGenConfigAndHidesThePassword) {
  const auto d = branch();
  const auto plan =
      planServer(d, server(d, "p1"), readServerConfig(cnConfig(true), kAdmin)).value();
  const std::string hidden = renderLdif(plan.records, false);
  EXPECT_EQ(hidden.find("s3cret"), std::string::npos);
  EXPECT_NE(hidden.find("credentials=\"***\""), std::string::npos);
  EXPECT_NE(hidden.find("dn: olcDatabase=mdb,cn=config\nchangetype: add\n"), std::string::npos);
  EXPECT_NE(hidden.find("\n\ndn: olcOverlay={0}syncprov,olcDatabase={3}mdb,cn=config\n"),
            std::string::npos);
  EXPECT_NE(hidden.find("\n  binddn=\"cn=replicator,"), std::string::npos);
  const std::string shown = renderLdif(plan.records, true);
  EXPECT_NE(shown.find("credentials=\"s3cret\""), std::string::npos);
  const ConfigValue v{"olcAccess", {"{0}to *", "by * none"}};
  EXPECT_EQ(v.value(), "{0}to * by * none");
}

struct Command {
  int code = -1;
  std::string out;
};

Command runCommand(const std::string& cmd) {
  Command r;
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

// The record of `dn` in gen-config's LDIF as an add record.
std::string recordOf(const std::string& ldif, const std::string& dn) {
  const size_t pos = ldif.find("dn: " + dn + "\n");
  if (pos == std::string::npos) {
    return "";
  }
  const size_t end = ldif.find("\n\n", pos);
  std::string record =
      ldif.substr(pos, end == std::string::npos ? std::string::npos : end - pos + 1);
  record.insert(record.find('\n') + 1, "changetype: add\n");
  return record;
}

// gen-config's scope database {2} and its overlay, as renderLdif() prints them for a database
// added at run time (the server picks the index).
std::string genConfigDatabase(const std::string& ldif) {
  std::string db = recordOf(ldif, "olcDatabase={2}mdb,cn=config");
  for (const std::string prefix : {"dn: olcDatabase=", "olcDatabase: "}) {
    const size_t at = db.find(prefix + "{2}");
    if (at != std::string::npos) {
      db.erase(at + prefix.size(), 3);
    }
  }
  return db + "\n" + recordOf(ldif, "olcOverlay={0}syncprov,olcDatabase={2}mdb,cn=config");
}

class GenConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("scope-plan-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "replicator.pw") << "s3cret\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string genConfig(const std::string& args) {
    const auto r =
        runCommand(std::string(ANCHORAGE_SOURCE_DIR) + "/deploy/slapd/gen-config --state-dir " +
                   dir_.string() + " --admin-suffix " + kAdmin + " --replicator-password-file " +
                   (dir_ / "replicator.pw").string() + " --tls-dir /etc/anchorage/tls " +
                   "--publisher-dn cn=solo,ou=publishers," + kAdmin + " " + args);
    EXPECT_EQ(r.code, 0) << r.out;
    return r.out;
  }

  DatabaseSpec spec(ServerRole role, std::vector<std::string> sources) {
    DatabaseSpec s;
    s.suffix = kBranch;
    s.role = role;
    s.directory = dir_.string() + "/db/branchdnszones.example.com";
    s.sources = std::move(sources);
    s.first_rid = static_cast<unsigned>(s.sources.size()) + 1;  // the admin database's go first
    s.names = AdminNames::defaultsFor(kAdmin);
    s.names.publisher_dns = {"cn=solo,ou=publishers," + kAdmin};
    s.account = {"s3cret", "/etc/anchorage/tls/ca.crt", true};
    return s;
  }

  std::string planned(const DatabaseSpec& s) {
    auto db = databaseRecord(s);
    EXPECT_TRUE(db) << db.error().toString();
    return renderLdif({*db, overlayRecord(s, "olcDatabase={2}mdb,cn=config")}, true);
  }

  std::filesystem::path dir_;
};

TEST_F(GenConfigTest, ProviderDatabaseIsGenConfigsLineForLine) {
  const std::string ldif =
      genConfig("--role provider --server-id 1 --scope " + kBranch + " --peer " + kP2Repl);
  const std::string expected = genConfigDatabase(ldif);
  ASSERT_NE(expected.find("olcSuffix: " + kBranch), std::string::npos) << ldif;
  EXPECT_EQ(planned(spec(ServerRole::kProvider, {kP2Repl})), expected);
}

TEST_F(GenConfigTest, ConsumerDatabaseIsGenConfigsLineForLine) {
  const std::string ldif = genConfig("--role consumer --scope " + kBranch + " --provider " +
                                     kP1Repl + " --provider " + kP2Repl);
  const std::string expected = genConfigDatabase(ldif);
  ASSERT_NE(expected.find("olcSuffix: " + kBranch), std::string::npos) << ldif;
  EXPECT_EQ(planned(spec(ServerRole::kConsumer, {kP1Repl, kP2Repl})), expected);
}

TEST_F(GenConfigTest, ReadingGenConfigsOutputPlansNothingForItsOwnScopes) {
  // gen-config's LDIF unfolded is what slapd shows; the server holds the scope already.
  const std::string ldif =
      genConfig("--role provider --server-id 1 --scope " + kBranch + " --peer " + kP2Repl);
  std::vector<Entry> entries;
  std::string attribute;
  for (size_t pos = 0; pos < ldif.size();) {
    const size_t eol = ldif.find('\n', pos);
    const std::string line = ldif.substr(pos, eol - pos);
    pos = eol == std::string::npos ? ldif.size() : eol + 1;
    if (line.starts_with("#") || line.starts_with("include:")) {
      continue;
    }
    if (line.empty()) {
      attribute.clear();
    } else if (line.starts_with("dn: ")) {
      entries.push_back({line.substr(4), {}});
    } else if (line.starts_with(" ") && !attribute.empty()) {
      entries.back().attributes[attribute].back() += line.substr(1);
    } else if (const size_t colon = line.find(": "); colon != std::string::npos) {
      attribute = line.substr(0, colon);
      entries.back().attributes[attribute].push_back(line.substr(colon + 2));
    }
  }
  const auto config = readServerConfig(entries, kAdmin);
  EXPECT_EQ(config.account->credentials, "s3cret");
  EXPECT_EQ(config.names.publisher_dns,
            (std::vector<std::string>{"cn=solo,ou=publishers," + kAdmin}));
  const auto d = branch();
  const auto same = planServer(d, server(d, "p1"), config);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->action, ServerAction::kNone);
  auto other = d;
  other.suffix = "dc=Other,dc=example,dc=com";
  const auto added = planServer(other, server(other, "p1"), config);
  ASSERT_TRUE(added) << added.error().toString();
  EXPECT_EQ(added->spec.directory, dir_.string() + "/db/other.example.com");
  EXPECT_EQ(added->database_dn, "olcDatabase={3}mdb,cn=config");
  EXPECT_EQ(added->spec.first_rid, 3u);
}

}  // namespace
}  // namespace anchorage::directory
