// SPDX-License-Identifier: Apache-2.0
//
// The directory client against real slapd: sessions (TLS, binds, failover), ACLs as the client
// sees them, RFC 4533 sync across two providers and a scoped consumer (delta resume, failover,
// hung and killed servers), strict mapping of hostile entries, and the compare-and-swap lease.

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "directory/mapping.h"
#include "directory/operations.h"
#include "directory/session.h"
#include "directory/sync.h"
#include "topology_env.h"
#include "util/encoding.h"

namespace anchorage::directory {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::TopologyEnvironment;

TopologyEnvironment& topo() {
  return *TopologyEnvironment::instance();
}

std::string forest() {
  return topo().var("FOREST_SUFFIX");
}
std::string domain() {
  return topo().var("DOMAIN_SUFFIX");
}

util::Logger quietLogger() {
  static auto sink =
      std::make_shared<util::LogSink>(std::cerr, util::LogFormat::kLogfmt, util::Level::kWarning);
  return util::Logger(sink, "sync");
}

// A DS anchor under `owner` whose digest is derived from `seed`, so each seed is a distinct anchor.
model::TrustAnchor dsAnchor(const std::string& owner, uint32_t seed) {
  model::TrustAnchor a;
  a.record.owner = model::DomainName::parse(owner).value();
  const std::string s = std::to_string(seed);
  a.record.rdata = model::DsRdata{static_cast<uint16_t>(seed % 65536), 13, 2,
                                  util::digest("sha256", {s.begin(), s.end()})};
  a.origin = model::Origin::kManual;
  return a;
}

std::unique_ptr<Session> open(const SessionSettings& s) {
  auto session = Session::open(s);
  EXPECT_TRUE(session) << session.error().toString();
  return session ? std::move(*session) : nullptr;
}

SyncSettings syncSettings(const std::string& base) {
  SyncSettings s;
  s.base = base;
  s.liveness = milliseconds(2000);
  s.reconnect_min = milliseconds(100);
  s.reconnect_max = milliseconds(1000);
  return s;
}

// Polls `sync` until `done` holds or `limit` passes; returns whether it held.
bool syncUntil(ScopeSync& sync, const std::function<bool()>& done, milliseconds limit) {
  const auto deadline = steady_clock::now() + limit;
  while (steady_clock::now() < deadline) {
    sync.poll(milliseconds(50));
    if (done()) {
      return true;
    }
  }
  return false;
}

std::set<std::string> anchorIds(const ScopeSync& sync) {
  std::vector<const Entry*> entries;
  for (const auto& [uuid, e] : sync.state().entries) {
    entries.push_back(&e);
  }
  std::set<std::string> ids;
  for (const auto& a : readScopeContent(entries).anchors) {
    ids.insert(a.record.owner.text() + "/" + a.id());
  }
  return ids;
}

std::set<std::string> anchorIdsOn(const std::string& uri, const std::string& suffix) {
  auto session = open(topo().publisher(uri));
  if (!session) {
    return {};
  }
  auto content = ScopeClient(*session, ScopeLayout(suffix)).read();
  EXPECT_TRUE(content) << content.error().toString();
  std::set<std::string> ids;
  if (content) {
    for (const auto& a : content->anchors) {
      ids.insert(a.record.owner.text() + "/" + a.id());
    }
  }
  return ids;
}

TEST(DirectorySessionTest, PublisherBindsOverStartTlsAndLdaps) {
  for (const auto& uri : {topo().var("PROVIDER1_URI"), topo().var("PROVIDER1_LDAPS_URI")}) {
    auto s = open(topo().publisher(uri));
    ASSERT_NE(s, nullptr) << uri;
    auto who = s->whoAmI();
    ASSERT_TRUE(who) << who.error().toString();
    EXPECT_EQ(util::toLower(*who), util::toLower("dn:" + topo().var("PUBLISHER_DN")));
  }
}

TEST(DirectorySessionTest, RootUsesExternalOverLdapi) {
  SessionSettings s;
  s.uris = {topo().var("PROVIDER2_LDAPI_URI")};
  s.bind_method = BindMethod::kExternal;
  auto session = open(s);
  ASSERT_NE(session, nullptr);
  EXPECT_NE(util::toLower(session->whoAmI().value()).find("uidnumber=0"), std::string::npos);
}

TEST(DirectorySessionTest, WrongCaFailsClosed) {
  auto settings = topo().publisher(topo().var("PROVIDER1_URI"));
  settings.ca_file = "/etc/ssl/certs/ca-certificates.crt";
  auto r = Session::open(settings);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().toString().find("StartTLS failed"), std::string::npos)
      << r.error().toString();
  settings.uris = {topo().var("PROVIDER1_LDAPS_URI")};
  EXPECT_FALSE(Session::open(settings));
}

TEST(DirectorySessionTest, WrongPasswordIsAPermissionError) {
  const std::string pw = topo().dir() + "/wrong.pw";
  std::ofstream(pw) << "not-the-password\n";
  auto settings = topo().publisher(topo().var("PROVIDER1_URI"));
  settings.password_file = pw;
  auto r = Session::open(settings);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPermission) << r.error().toString();
}

TEST(DirectorySessionTest, PlaintextIsRefusedUnlessAllowed) {
  auto settings = topo().publisher(topo().var("PROVIDER1_URI"));
  settings.starttls = false;
  auto r = Session::open(settings);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConfig);
}

TEST(DirectorySessionTest, FailsOverToTheNextUri) {
  auto settings = topo().publisher("ldap://127.0.0.1:9");
  settings.uris.push_back(topo().var("PROVIDER2_URI"));
  auto s = open(settings);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->uri(), topo().var("PROVIDER2_URI"));
}

TEST(DirectoryAclTest, AgentCannotPublishButWritesOnlyItsOwnStatus) {
  auto agent = open(topo().agent(1, topo().var("PROVIDER1_URI")));
  ASSERT_NE(agent, nullptr);
  ScopeClient as_agent(*agent, ScopeLayout(forest()));
  auto published = as_agent.publishAnchor(dsAnchor("acl.example.", 1));
  ASSERT_FALSE(published);
  EXPECT_EQ(published.error().code, ErrorCode::kPermission);
  EXPECT_EQ(published.error().field("ldap_result"), "50") << published.error().toString();

  AgentStatus own{topo().var("AGENT1_NAME"), "abc", model::Time(std::chrono::seconds(1))};
  own.resolver_results = {"unbound ok"};
  EXPECT_TRUE(as_agent.writeAgentStatus(own));
  own.resolver_results = {"unbound ok", "bind failed"};
  EXPECT_TRUE(as_agent.writeAgentStatus(own)) << "replacing its own entry";
  AgentStatus other = own;
  other.server = topo().var("AGENT2_NAME");
  auto foreign = as_agent.writeAgentStatus(other);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::kPermission);

  auto publisher = open(topo().publisher(topo().var("PROVIDER1_URI")));
  ASSERT_NE(publisher, nullptr);
  ScopeClient as_publisher(*publisher, ScopeLayout(forest()));
  EXPECT_EQ(as_publisher.publishAnchor(dsAnchor("acl.example.", 1)).value(),
            PublishOutcome::kAdded);
  auto statuses = as_publisher.readAgentStatuses().value();
  ASSERT_EQ(statuses.size(), 1u);
  EXPECT_EQ(statuses[0].resolver_results.size(), 2u);
  EXPECT_TRUE(as_publisher.deleteTrustPoint(model::DomainName::parse("acl.example.").value()));
}

TEST(DirectorySyncTest, PublishReachesProvider2AndConsumerButDomainScopeStaysOffConsumer) {
  ScopeSync on_p2(topo().agent(2, topo().var("PROVIDER2_URI")), syncSettings(forest()), {},
                  quietLogger());
  ScopeSync on_c1(topo().agent(3, topo().var("CONSUMER1_URI")), syncSettings(forest()), {},
                  quietLogger());
  ScopeSync domain_on_p2(topo().agent(2, topo().var("PROVIDER2_URI")), syncSettings(domain()), {},
                         quietLogger());
  ASSERT_TRUE(syncUntil(
      on_p2, [&] { return on_p2.everRefreshed(); }, milliseconds(5000)));
  ASSERT_TRUE(syncUntil(
      on_c1, [&] { return on_c1.everRefreshed(); }, milliseconds(5000)));
  ASSERT_TRUE(syncUntil(
      domain_on_p2, [&] { return domain_on_p2.everRefreshed(); }, milliseconds(5000)));

  auto publisher = open(topo().publisher(topo().var("PROVIDER1_URI")));
  ASSERT_NE(publisher, nullptr);
  const auto forest_anchor = dsAnchor("reach.example.", 7);
  const auto domain_anchor = dsAnchor("domain-only.example.", 8);
  ASSERT_TRUE(ScopeClient(*publisher, ScopeLayout(forest())).publishAnchor(forest_anchor));
  ASSERT_TRUE(ScopeClient(*publisher, ScopeLayout(domain())).publishAnchor(domain_anchor));
  const std::string forest_key = "reach.example./" + forest_anchor.id();
  const std::string domain_key = "domain-only.example./" + domain_anchor.id();

  EXPECT_TRUE(syncUntil(
      on_p2, [&] { return anchorIds(on_p2).count(forest_key) == 1; }, milliseconds(5000)));
  EXPECT_TRUE(syncUntil(
      on_c1, [&] { return anchorIds(on_c1).count(forest_key) == 1; }, milliseconds(5000)));
  EXPECT_TRUE(syncUntil(
      domain_on_p2, [&] { return anchorIds(domain_on_p2).count(domain_key) == 1; },
      milliseconds(5000)));
  // The consumer does not hold the domain scope at all.
  auto consumer = open(topo().agent(3, topo().var("CONSUMER1_URI")));
  ASSERT_NE(consumer, nullptr);
  auto scopes = discoverScopes(*consumer).value();
  EXPECT_EQ(scopes, std::vector<std::string>{forest()});
  EXPECT_FALSE(ScopeClient(*consumer, ScopeLayout(domain())).exists().value_or(true));
  EXPECT_EQ(anchorIds(on_c1).count(domain_key), 0u);

  // A delete travels the same way.
  ASSERT_TRUE(ScopeClient(*publisher, ScopeLayout(forest())).deleteAnchor(forest_anchor));
  EXPECT_TRUE(syncUntil(
      on_c1, [&] { return anchorIds(on_c1).count(forest_key) == 0; }, milliseconds(5000)));
}

TEST(DirectorySyncTest, RestartWithSavedCookieReceivesOnlyTheDelta) {
  const std::string state_file = topo().dir() + "/sync-state.json";
  auto publisher = open(topo().publisher(topo().var("PROVIDER1_URI")));
  ASSERT_NE(publisher, nullptr);
  ScopeClient scope(*publisher, ScopeLayout(forest()));
  for (uint32_t i = 0; i < 300; ++i) {
    ASSERT_TRUE(scope.publishAnchor(dsAnchor("bulk" + std::to_string(i) + ".example.", i)));
  }
  size_t full = 0;
  {
    ScopeSync sync(topo().agent(2, topo().var("PROVIDER2_URI")), syncSettings(forest()), {},
                   quietLogger());
    ASSERT_TRUE(syncUntil(
        sync, [&] { return anchorIds(sync).size() >= 300; }, milliseconds(10000)));
    full = sync.status().entries_received;
    ASSERT_TRUE(saveSyncState(state_file, sync.state()));
  }
  // 100 changes while the client is away.
  for (uint32_t i = 0; i < 100; ++i) {
    auto a = dsAnchor("bulk" + std::to_string(i) + ".example.", i);
    a.state = model::KeyState::kMissing;
    ASSERT_EQ(scope.publishAnchor(a).value(), PublishOutcome::kReplaced);
  }
  auto saved = loadSyncState(state_file);
  ASSERT_TRUE(saved) << saved.error().toString();
  ScopeSync resumed(topo().agent(2, topo().var("PROVIDER2_URI")), syncSettings(forest()),
                    std::move(*saved), quietLogger());
  size_t missing = 0;
  auto countMissing = [&] {
    std::vector<const Entry*> entries;
    for (const auto& [uuid, e] : resumed.state().entries) {
      entries.push_back(&e);
    }
    missing = 0;
    for (const auto& a : readScopeContent(entries).anchors) {
      missing += a.state == model::KeyState::kMissing ? 1 : 0;
    }
    return resumed.everRefreshed() && missing == 100;
  };
  ASSERT_TRUE(syncUntil(resumed, countMissing, milliseconds(10000)));
  const size_t delta = resumed.status().entries_received;
  std::printf("full refresh messages=%zu, resume messages=%zu\n", full, delta);
  EXPECT_GE(full, 300u);
  EXPECT_LE(delta, 110u) << "resume sent more than the 100 changed entries";

  // Failover: the same cookie on the other provider also resumes with a delta.
  auto again = loadSyncState(state_file);
  ASSERT_TRUE(again);
  auto settings = topo().agent(2, "ldap://127.0.0.1:9");
  settings.uris.push_back(topo().var("PROVIDER1_URI"));
  ScopeSync failover(settings, syncSettings(forest()), std::move(*again), quietLogger());
  ASSERT_TRUE(syncUntil(
      failover, [&] { return failover.everRefreshed(); }, milliseconds(10000)));
  EXPECT_EQ(failover.status().uri, topo().var("PROVIDER1_URI"));
  EXPECT_LE(failover.status().entries_received, 110u);
  EXPECT_EQ(anchorIds(failover), anchorIds(resumed));
  for (uint32_t i = 0; i < 300; ++i) {
    ASSERT_TRUE(scope.deleteTrustPoint(
        model::DomainName::parse("bulk" + std::to_string(i) + ".example.").value()));
  }
}

TEST(DirectorySyncTest, ResumeAfterAProviderRestartReconcilesDeletesThroughThePresentPhase) {
  // A provider's session log lives in memory: after a restart it can only answer a cookie with a
  // present phase, and the client must drop what was not listed present (RFC 4533 §3.3.1).
  auto publisher = open(topo().publisher(topo().var("PROVIDER1_URI")));
  ASSERT_NE(publisher, nullptr);
  ScopeClient scope(*publisher, ScopeLayout(forest()));
  for (uint32_t i = 0; i < 20; ++i) {
    ASSERT_TRUE(scope.publishAnchor(dsAnchor("present" + std::to_string(i) + ".example.", i)));
  }
  SyncState saved;
  {
    ScopeSync sync(topo().agent(2, topo().var("PROVIDER2_URI")), syncSettings(forest()), {},
                   quietLogger());
    ASSERT_TRUE(syncUntil(
        sync, [&] { return anchorIds(sync) == anchorIdsOn(topo().var("PROVIDER1_URI"), forest()); },
        milliseconds(10000)));
    saved = sync.state();
  }
  for (uint32_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(scope.deleteTrustPoint(
        model::DomainName::parse("present" + std::to_string(i) + ".example.").value()));
  }
  ASSERT_TRUE(scope.publishAnchor(dsAnchor("present-new.example.", 99)));
  const auto expected = anchorIdsOn(topo().var("PROVIDER1_URI"), forest());
  // Restart provider 2 once it holds the changes.
  const auto deadline = steady_clock::now() + milliseconds(10000);
  while (steady_clock::now() < deadline &&
         anchorIdsOn(topo().var("PROVIDER2_URI"), forest()) != expected) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  const int pid = topo().pid("provider2");
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  for (int i = 0; i < 100 && topo().pid("provider2") != 0; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_TRUE(topo().startInstance("provider2"));
  ScopeSync resumed(topo().agent(2, topo().var("PROVIDER2_URI")), syncSettings(forest()),
                    std::move(saved), quietLogger());
  EXPECT_TRUE(syncUntil(
      resumed, [&] { return resumed.everRefreshed() && anchorIds(resumed) == expected; },
      milliseconds(15000)));
  EXPECT_EQ(anchorIds(resumed), expected);
  for (uint32_t i = 5; i < 20; ++i) {
    ASSERT_TRUE(scope.deleteTrustPoint(
        model::DomainName::parse("present" + std::to_string(i) + ".example.").value()));
  }
  ASSERT_TRUE(scope.deleteTrustPoint(model::DomainName::parse("present-new.example.").value()));
}

TEST(DirectorySyncTest, MalformedEntriesAreQuarantinedAndValidOnesKept) {
  auto publisher = open(topo().publisher(topo().var("PROVIDER1_URI")));
  ASSERT_NE(publisher, nullptr);
  const ScopeLayout layout(forest());
  ScopeClient scope(*publisher, layout);
  const auto good = dsAnchor("mixed.example.", 21);
  ASSERT_TRUE(scope.publishAnchor(good));
  // Entries the schema accepts but Anchorage must not: wrong key tag, wrong id, short digest.
  Entry wrong_tag = entryForAnchor(layout, dsAnchor("mixed.example.", 22));
  wrong_tag.attributes["anchorageKeyTag"] = {"1"};
  Entry wrong_id = entryForAnchor(layout, dsAnchor("mixed.example.", 23));
  wrong_id.dn = "anchorageAnchorId=ds-23-13-deadbeef," + layout.trustPoint(good.record.owner);
  wrong_id.attributes["anchorageAnchorId"] = {"ds-23-13-deadbeef"};
  auto short_anchor = dsAnchor("mixed.example.", 24);
  std::get<model::DsRdata>(short_anchor.record.rdata).digest.resize(4);
  Entry short_digest = entryForAnchor(layout, short_anchor);
  for (const auto& e : {wrong_tag, wrong_id, short_digest}) {
    ASSERT_TRUE(publisher->add(e)) << e.dn;
  }
  auto content = scope.read().value();
  size_t mixed_good = 0;
  for (const auto& a : content.anchors) {
    mixed_good += a.record.owner == good.record.owner ? 1 : 0;
  }
  EXPECT_EQ(mixed_good, 1u);
  std::set<std::string> quarantined;
  for (const auto& q : content.quarantined) {
    quarantined.insert(q.dn);
  }
  EXPECT_EQ(quarantined.count(wrong_tag.dn), 1u);
  EXPECT_EQ(quarantined.count(wrong_id.dn), 1u);
  EXPECT_EQ(quarantined.count(short_digest.dn), 1u);
  EXPECT_TRUE(scope.deleteTrustPoint(good.record.owner));
}

// Rewrites every CSN of a cookie to `stamp` (a generalized time of 14 digits), keeping its
// server ids, so the server recognises the vector but not the changes it names.
std::string restampCookie(const std::string& cookie, const std::string& stamp) {
  std::string out = cookie;
  for (size_t at = out.find("csn="); at != std::string::npos; at = out.find("csn=", at + 4)) {
    out.replace(at + 4, 14, stamp);
  }
  return out;
}

// Sets olcSpReloadHint on the syncprov overlay of `suffix` on a server (root over ldapi): with it
// slapd answers a cookie it cannot resume from with e-syncRefreshRequired (RFC 4533 §3.2).
bool setReloadHint(const std::string& ldapi_uri, const std::string& suffix, bool on) {
  SessionSettings s;
  s.uris = {ldapi_uri};
  s.bind_method = BindMethod::kExternal;
  auto root = open(s);
  if (!root) {
    return false;
  }
  auto dbs = root->search("cn=config", Scope::kOneLevel, "(olcSuffix=" + suffix + ")");
  if (!dbs || dbs->size() != 1) {
    return false;
  }
  auto overlays =
      root->search(dbs->front().dn, Scope::kOneLevel, "(objectClass=olcSyncProvConfig)");
  if (!overlays || overlays->size() != 1) {
    return false;
  }
  return root
      ->modify(overlays->front().dn,
               {{Modification::Op::kReplace, "olcSpReloadHint", {on ? "TRUE" : "FALSE"}}})
      .has_value();
}

TEST(DirectorySyncTest, RefreshRequiredDropsTheCookieAndRefreshesFromScratch) {
  const std::string ldapi = topo().var("PROVIDER2_LDAPI_URI");
  ASSERT_TRUE(setReloadHint(ldapi, forest(), true));
  struct Restore {
    std::string uri, suffix;
    ~Restore() { setReloadHint(uri, suffix, false); }
  } restore{ldapi, forest()};

  auto publisher = open(topo().publisher(topo().var("PROVIDER1_URI")));
  ASSERT_NE(publisher, nullptr);
  ScopeClient scope(*publisher, ScopeLayout(forest()));
  const auto kept = dsAnchor("required-kept.example.", 31);
  const auto gone = dsAnchor("required-gone.example.", 32);
  ASSERT_TRUE(scope.publishAnchor(kept));
  ASSERT_TRUE(scope.publishAnchor(gone));
  SyncState saved;
  {
    ScopeSync sync(topo().agent(2, topo().var("PROVIDER2_URI")), syncSettings(forest()), {},
                   quietLogger());
    // The refresh must be over: before its end the client holds no cookie yet, and a stale sync
    // without one would be an ordinary full refresh.
    ASSERT_TRUE(syncUntil(
        sync,
        [&] {
          return sync.everRefreshed() &&
                 anchorIds(sync) == anchorIdsOn(topo().var("PROVIDER2_URI"), forest());
        },
        milliseconds(10000)));
    saved = sync.state();
  }
  ASSERT_FALSE(saved.cookie.empty());
  ASSERT_TRUE(scope.deleteTrustPoint(gone.record.owner));
  const auto expected_without = [&] {
    auto ids = anchorIdsOn(topo().var("PROVIDER2_URI"), forest());
    return !ids.empty() && ids.count("required-gone.example./" + gone.id()) == 0 ? ids
                                                                                 : decltype(ids){};
  };
  // Provider 2 holds the deletion before the stale client asks.
  const auto replicated_by = std::chrono::steady_clock::now() + milliseconds(10000);
  while (expected_without().empty() && std::chrono::steady_clock::now() < replicated_by) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_FALSE(expected_without().empty()) << "the deletion did not reach provider 2";
  // A cookie older than anything the database holds: the session log cannot cover it and no entry
  // carries a CSN that old, so the server must refuse it.
  saved.cookie = restampCookie(saved.cookie, "20010101000000");
  ScopeSync stale(topo().agent(2, topo().var("PROVIDER2_URI")), syncSettings(forest()),
                  std::move(saved), quietLogger());
  ASSERT_TRUE(syncUntil(
      stale, [&] { return stale.everRefreshed() && anchorIds(stale) == expected_without(); },
      milliseconds(10000)));
  EXPECT_EQ(stale.status().refresh_required, 1u);
  EXPECT_EQ(anchorIds(stale).count("required-kept.example./" + kept.id()), 1u);
  EXPECT_FALSE(stale.state().cookie.empty());
  EXPECT_EQ(stale.state().cookie.find("20010101000000"), std::string::npos);
  EXPECT_TRUE(scope.deleteTrustPoint(kept.record.owner));
}

TEST(DirectorySyncTest, CookieFromTheFutureIsDroppedAndTheMirrorRebuilt) {
  auto publisher = open(topo().publisher(topo().var("PROVIDER1_URI")));
  ASSERT_NE(publisher, nullptr);
  ScopeClient scope(*publisher, ScopeLayout(forest()));
  const auto added = dsAnchor("future-added.example.", 41);
  SyncState saved;
  {
    ScopeSync sync(topo().agent(2, topo().var("PROVIDER2_URI")), syncSettings(forest()), {},
                   quietLogger());
    ASSERT_TRUE(syncUntil(
        sync, [&] { return sync.everRefreshed(); }, milliseconds(10000)));
    saved = sync.state();
  }
  ASSERT_TRUE(scope.publishAnchor(added));
  // Honoured, this cookie would make the server hold back every change before 2199, including
  // the anchor just published.
  saved.cookie = restampCookie(saved.cookie, "21990101000000");
  ScopeSync resumed(topo().agent(2, topo().var("PROVIDER2_URI")), syncSettings(forest()),
                    std::move(saved), quietLogger());
  ASSERT_TRUE(syncUntil(
      resumed,
      [&] {
        return resumed.everRefreshed() &&
               anchorIds(resumed).count("future-added.example./" + added.id()) == 1;
      },
      milliseconds(10000)));
  EXPECT_EQ(anchorIds(resumed), anchorIdsOn(topo().var("PROVIDER2_URI"), forest()));
  EXPECT_EQ(resumed.state().cookie.find("21990101000000"), std::string::npos);
  EXPECT_TRUE(scope.deleteTrustPoint(added.record.owner));
}

TEST(DirectorySyncTest, HungServerIsDetectedWithinLiveness) {
  ScopeSync sync(topo().agent(2, topo().var("PROVIDER2_URI")), syncSettings(forest()), {},
                 quietLogger());
  ASSERT_TRUE(syncUntil(
      sync, [&] { return sync.everRefreshed(); }, milliseconds(5000)));
  const int pid = topo().pid("provider2");
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  const auto start = steady_clock::now();
  const bool detected = syncUntil(
      sync, [&] { return sync.status().phase == SyncPhase::kDisconnected; }, milliseconds(8000));
  const auto elapsed = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
  ::kill(pid, SIGCONT);
  ASSERT_TRUE(detected);
  std::printf("hung server detected after %lld ms (liveness 2000 ms)\n",
              static_cast<long long>(elapsed.count()));
  EXPECT_LE(elapsed.count(), 3500);
  ASSERT_TRUE(sync.status().last_error.has_value());
  EXPECT_NE(sync.status().last_error->message.find("stopped answering"), std::string::npos);
  EXPECT_TRUE(syncUntil(
      sync, [&] { return sync.status().phase == SyncPhase::kPersisting; }, milliseconds(10000)));
}

TEST(DirectoryLeaseTest, ExactlyOneRacerWinsAndAnExpiredLeaseIsTakenOver) {
  auto a1 = open(topo().agent(1, topo().var("PROVIDER1_URI")));
  auto a2 = open(topo().agent(2, topo().var("PROVIDER1_URI")));
  ASSERT_TRUE(a1 && a2);
  ScopeClient c1(*a1, ScopeLayout(forest()));
  ScopeClient c2(*a2, ScopeLayout(forest()));
  const std::string n1 = topo().var("AGENT1_NAME");
  const std::string n2 = topo().var("AGENT2_NAME");
  const auto now = [] {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  };
  for (int round = 0; round < 10; ++round) {
    std::atomic<int> ready{0};
    bool won1 = false;
    bool won2 = false;
    auto race = [&](ScopeClient& c, const std::string& me, bool& won) {
      ++ready;
      while (ready.load() < 2) {
      }
      won = c.acquireLease("rfc5011-refresh", me, std::chrono::seconds(60), now()).has_value();
    };
    std::thread t1(race, std::ref(c1), n1, std::ref(won1));
    std::thread t2(race, std::ref(c2), n2, std::ref(won2));
    t1.join();
    t2.join();
    ASSERT_NE(won1, won2) << "round " << round;
    const auto held = c1.readLease("rfc5011-refresh").value();
    EXPECT_EQ(held.holder, won1 ? n1 : n2);
    ASSERT_TRUE((won1 ? c1 : c2).releaseLease("rfc5011-refresh", won1 ? n1 : n2));
  }
  // A short lease runs out and another agent takes it over.
  ASSERT_TRUE(c1.acquireLease("rfc5011-refresh", n1, std::chrono::seconds(1), now()));
  auto refused = c2.acquireLease("rfc5011-refresh", n2, std::chrono::seconds(60), now());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  std::this_thread::sleep_for(milliseconds(2100));
  auto taken = c2.acquireLease("rfc5011-refresh", n2, std::chrono::seconds(60), now());
  ASSERT_TRUE(taken) << taken.error().toString();
  EXPECT_EQ(c1.readLease("rfc5011-refresh").value().holder, n2);
  ASSERT_TRUE(c2.releaseLease("rfc5011-refresh", n2));
}

TEST(DirectoryFaultTest, KillingAProviderDuringPublishesLosesAndDuplicatesNothing) {
  constexpr uint32_t kCount = 1000;
  // The publisher writes to provider 1; the client reads provider 2 and fails over to provider 1
  // while provider 2 is dead. (A publisher that retries an unacknowledged add on the other
  // provider can make both providers hold the same DN: docs/limitations.md L-0002.)
  auto pub_settings = topo().publisher(topo().var("PROVIDER1_URI"));
  auto client_settings = topo().agent(2, topo().var("PROVIDER2_URI"));
  client_settings.uris.push_back(topo().var("PROVIDER1_URI"));
  ScopeSync sync(client_settings, syncSettings(forest()), {}, quietLogger());
  ASSERT_TRUE(syncUntil(
      sync, [&] { return sync.everRefreshed(); }, milliseconds(5000)));
  const auto before = anchorIds(sync);

  std::unique_ptr<Session> session = open(pub_settings);
  ASSERT_NE(session, nullptr);
  std::set<std::string> published;
  bool killed = false;
  bool restarted = false;
  for (uint32_t i = 0; i < kCount; ++i) {
    const auto a = dsAnchor("fault" + std::to_string(i) + ".example.", 100000 + i);
    if (i == 300) {
      ASSERT_EQ(::kill(topo().pid("provider2"), SIGKILL), 0);
      killed = true;
    }
    if (i == 700) {
      ASSERT_TRUE(topo().startInstance("provider2"));
      restarted = true;
    }
    // Retry on a fresh session until the write lands.
    for (int attempt = 0;; ++attempt) {
      ASSERT_LT(attempt, 20) << "publish " << i << " kept failing";
      auto r = ScopeClient(*session, ScopeLayout(forest())).publishAnchor(a);
      if (r) {
        break;
      }
      ASSERT_TRUE(r.error().code == ErrorCode::kUnavailable ||
                  r.error().code == ErrorCode::kInternal || r.error().code == ErrorCode::kTimeout)
          << r.error().toString();
      session = open(pub_settings);
      ASSERT_NE(session, nullptr);
    }
    published.insert(a.record.owner.text() + "/" + a.id());
    sync.poll(milliseconds(0));
  }
  ASSERT_TRUE(killed && restarted);
  std::set<std::string> expected = before;
  expected.insert(published.begin(), published.end());
  const bool converged = syncUntil(
      sync, [&] { return anchorIds(sync) == expected; }, milliseconds(30000));
  if (!converged) {
    const auto held = anchorIds(sync);
    for (const auto& id : expected) {
      if (held.count(id) == 0) {
        ADD_FAILURE() << "client lacks " << id;
      }
    }
    for (const auto& id : held) {
      if (expected.count(id) == 0) {
        ADD_FAILURE() << "client has extra " << id;
      }
    }
  }
  EXPECT_TRUE(converged) << "client holds " << anchorIds(sync).size() << ", expected "
                         << expected.size();
  // Both providers hold exactly the same set.
  const auto deadline = steady_clock::now() + milliseconds(30000);
  while (steady_clock::now() < deadline &&
         (anchorIdsOn(topo().var("PROVIDER1_URI"), forest()) != expected ||
          anchorIdsOn(topo().var("PROVIDER2_URI"), forest()) != expected)) {
    std::this_thread::sleep_for(milliseconds(200));
  }
  EXPECT_EQ(anchorIdsOn(topo().var("PROVIDER1_URI"), forest()), expected);
  EXPECT_EQ(anchorIdsOn(topo().var("PROVIDER2_URI"), forest()), expected);
  std::printf(
      "published %u with provider2 killed at 300 and restarted at 700; client "
      "reconnects=%llu\n",
      kCount, static_cast<unsigned long long>(sync.status().connects));
}

}  // namespace
}  // namespace anchorage::directory

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new anchorage::testing::TopologyEnvironment(14200));
  return RUN_ALL_TESTS();
}
