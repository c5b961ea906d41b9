// SPDX-License-Identifier: Apache-2.0
//
// The RFC 5011 tracker: the timer formulas of §2.3 and §2.4.1 with edge values, direct checks of
// the tracker on hand-made DNSKEY sets, and the time-stepped scenarios of
// tests/scenarios/rfc5011/*.txt, run against DNSKEY sets signed with ldns by keys made for each
// scenario and checked with dns::checkDnskeySet.
//
// Scenario format: one statement a line; '#' starts a comment. A time "+N" is N seconds after the
// scenario's start (2026-01-01T00:00:00Z); a later step may name an earlier time (the clock went
// back).
//   zone NAME                          trust point (default "example.")
//   timers NAME=VALUE ...              add_hold_down, remove_hold_down, refresh_min, refresh_max,
//                                      retry_min, retry_max (seconds; defaults 100, 100, 10,
//                                      1000, 5, 100); refresh_percent, retry_percent (50, 10)
//   ttl N                              original TTL of the following probes (default 20)
//   key LABEL ksk|zsk ecdsa|rsa|ed25519
//   anchor LABEL dnskey|ds STATE [changed +N] [hold_down +N]
//   at +N probe KEY... [sign KEY...] [forge KEY...] [stale KEY...] [expire +N]
//       KEY is a label, "LABEL!" for the key with the REVOKE bit. sign: valid RRSIGs (until the
//       expire time, default 30 days on); forge: RRSIGs over another set, which do not verify;
//       stale: RRSIGs whose validity ended before the step.
//   at +N fail REASON...               the probe failed
//   expect LABEL STATE|absent          the anchor that stands for the key (DNSKEY or DS)
//   expect LABEL hold_down +N|none
//   expect LABEL changed +N|none
//   expect LABEL origin ORIGIN
//   expect transition LABEL FROM TO    in the last step
//   expect transitions N               how many the last step made
//   expect next_refresh +N
//   expect outcome ok|probe_failed|not_validated
//   expect result TEXT                 the whole result text
// Every step also checks that each transition is one the RFC 5011 §4 table allows (with this
// tracker's AddPend → Revoked) and that the next refresh lies after the step.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <ldns/ldns.h>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "dns/dnskey_set.h"
#include "rfc5011/tracker.h"
#include "util/encoding.h"

namespace anchorage::rfc5011 {
namespace {

using model::KeyState;
using model::TrustAnchor;
using std::chrono::days;
using std::chrono::hours;

const model::Time kEpoch{seconds(1767225600)};  // 2026-01-01T00:00:00Z

model::DomainName nameOf(std::string_view text) {
  return model::DomainName::parse(text).value();
}

// ---------------------------------------------------------------------------------------------
// Timer formulas (RFC 5011 §2.3, §2.4.1).

TEST(Rfc5011TimersTest, DefaultsAreTheRfcValues) {
  const Timers t;
  EXPECT_EQ(t.add_hold_down, days(30));
  EXPECT_EQ(t.remove_hold_down, days(30));
  EXPECT_EQ(t.refresh_min, hours(1));
  EXPECT_EQ(t.refresh_max, days(15));
  EXPECT_EQ(t.retry_min, hours(1));
  EXPECT_EQ(t.retry_max, days(1));
  EXPECT_TRUE(checkTimers(t));
}

TEST(Rfc5011TimersTest, ActiveRefreshIsHalfTheSmallerOfTtlAndExpiration) {
  const Timers t;
  // Root-like: OrigTTL 2 days, signatures valid 10 more days: ½ OrigTTL wins.
  EXPECT_EQ(activeRefreshInterval(t, days(2), days(10)), days(1));
  // Signatures about to expire: ½ of 10 hours.
  EXPECT_EQ(activeRefreshInterval(t, days(2), hours(10)), hours(5));
  // No expiration term known: OrigTTL alone.
  EXPECT_EQ(activeRefreshInterval(t, hours(6), std::nullopt), hours(3));
}

TEST(Rfc5011TimersTest, ActiveRefreshStaysBetweenOneHourAndFifteenDays) {
  const Timers t;
  EXPECT_EQ(activeRefreshInterval(t, days(100), days(100)), days(15));
  EXPECT_EQ(activeRefreshInterval(t, days(30), std::nullopt), days(15));
  EXPECT_EQ(activeRefreshInterval(t, days(31), days(31)), days(15));
  EXPECT_EQ(activeRefreshInterval(t, seconds(60), days(10)), hours(1));
  EXPECT_EQ(activeRefreshInterval(t, seconds(0), std::nullopt), hours(1));
  EXPECT_EQ(activeRefreshInterval(t, days(2), seconds(-500)), hours(1));  // expired: floor
  // Exactly at the floor, and one second either side of it.
  EXPECT_EQ(activeRefreshInterval(t, seconds(7200), std::nullopt), hours(1));
  EXPECT_EQ(activeRefreshInterval(t, seconds(7199), std::nullopt), hours(1));
  EXPECT_EQ(activeRefreshInterval(t, seconds(7202), std::nullopt), seconds(3601));
  // The largest TTL a DNS record can carry does not overflow.
  EXPECT_EQ(activeRefreshInterval(t, seconds(UINT32_MAX), seconds(UINT32_MAX)), days(15));
}

TEST(Rfc5011TimersTest, RetryIsATenthBetweenOneHourAndOneDay) {
  const Timers t;
  EXPECT_EQ(retryInterval(t, days(2), std::nullopt), seconds(17280));  // 10% of 172800 s
  EXPECT_EQ(retryInterval(t, days(2), hours(20)), hours(2));
  EXPECT_EQ(retryInterval(t, days(20), days(20)), days(1));
  EXPECT_EQ(retryInterval(t, days(10), days(10)), days(1));        // exactly the ceiling
  EXPECT_EQ(retryInterval(t, hours(10), std::nullopt), hours(1));  // exactly the floor
  EXPECT_EQ(retryInterval(t, seconds(300), std::nullopt), hours(1));
  EXPECT_EQ(retryInterval(t, seconds(0), std::nullopt), hours(1));
  EXPECT_EQ(retryInterval(t, seconds(UINT32_MAX), std::nullopt), days(1));
}

TEST(Rfc5011TimersTest, EveryBoundAndShareIsConfigurable) {
  Timers t;
  t.refresh_min = seconds(10);
  t.refresh_max = seconds(1000);
  t.retry_min = seconds(5);
  t.retry_max = seconds(100);
  EXPECT_EQ(activeRefreshInterval(t, seconds(200), std::nullopt), seconds(100));
  EXPECT_EQ(activeRefreshInterval(t, seconds(200), seconds(60)), seconds(30));
  EXPECT_EQ(activeRefreshInterval(t, seconds(10), std::nullopt), seconds(10));
  EXPECT_EQ(activeRefreshInterval(t, seconds(5000), std::nullopt), seconds(1000));
  EXPECT_EQ(retryInterval(t, seconds(200), std::nullopt), seconds(20));
  EXPECT_EQ(retryInterval(t, seconds(20), std::nullopt), seconds(5));
  EXPECT_EQ(retryInterval(t, seconds(5000), std::nullopt), seconds(100));
  t.retry_percent = 50;
  EXPECT_EQ(retryInterval(t, seconds(100), std::nullopt), seconds(50));
  t.refresh_percent = 100;
  EXPECT_EQ(activeRefreshInterval(t, seconds(100), std::nullopt), seconds(100));
}

TEST(Rfc5011TimersTest, AddHoldDownIsAtLeastTheOriginalTtl) {
  Timers t;
  EXPECT_EQ(addHoldDown(t, days(2)), days(30));
  EXPECT_EQ(addHoldDown(t, days(40)), days(40));
  t.add_hold_down = seconds(100);
  EXPECT_EQ(addHoldDown(t, seconds(20)), seconds(100));
  EXPECT_EQ(addHoldDown(t, seconds(100)), seconds(100));
  EXPECT_EQ(addHoldDown(t, seconds(101)), seconds(101));
  t.add_hold_down = seconds(0);
  EXPECT_EQ(addHoldDown(t, seconds(0)), seconds(0));
}

TEST(Rfc5011TimersTest, CheckTimersNamesTheFieldOutOfRange) {
  const auto field = [](auto change) {
    Timers t;
    change(t);
    auto r = checkTimers(t);
    EXPECT_FALSE(r);
    return r ? std::string() : r.error().field("field");
  };
  EXPECT_EQ(field([](Timers& t) { t.add_hold_down = seconds(-1); }), "add_hold_down");
  EXPECT_EQ(field([](Timers& t) { t.remove_hold_down = seconds(-1); }), "remove_hold_down");
  EXPECT_EQ(field([](Timers& t) { t.refresh_min = seconds(0); }), "refresh_min");
  EXPECT_EQ(field([](Timers& t) { t.refresh_max = seconds(59); }), "refresh_max");
  EXPECT_EQ(field([](Timers& t) { t.retry_min = seconds(-5); }), "retry_min");
  EXPECT_EQ(field([](Timers& t) { t.retry_max = seconds(1); }), "retry_max");
  EXPECT_EQ(field([](Timers& t) { t.refresh_percent = 0; }), "refresh_percent");
  EXPECT_EQ(field([](Timers& t) { t.retry_percent = 101; }), "retry_percent");
  Timers zero_hold;
  zero_hold.add_hold_down = seconds(0);
  zero_hold.remove_hold_down = seconds(0);
  EXPECT_TRUE(checkTimers(zero_hold));
}

TEST(Rfc5011TimersTest, NamesAreTheRfcSpelling) {
  EXPECT_EQ(eventName(Event::kNewKey), "NewKey");
  EXPECT_EQ(eventName(Event::kAddTime), "AddTime");
  EXPECT_EQ(eventName(Event::kKeyRem), "KeyRem");
  EXPECT_EQ(eventName(Event::kKeyPres), "KeyPres");
  EXPECT_EQ(eventName(Event::kRevBit), "RevBit");
  EXPECT_EQ(eventName(Event::kRemTime), "RemTime");
  EXPECT_EQ(outcomeName(Outcome::kOk), "ok");
  EXPECT_EQ(outcomeName(Outcome::kProbeFailed), "probe_failed");
  EXPECT_EQ(outcomeName(Outcome::kNotValidated), "not_validated");
}

// ---------------------------------------------------------------------------------------------
// The tracker on hand-made sets: the tracker reads only the keys and the signature checks, so no
// cryptography is needed here.

const model::DomainName kZone = nameOf("example.");

model::DnskeyRdata fakeKey(uint8_t seed, uint16_t flags = 257, uint8_t algorithm = 13) {
  model::DnskeyRdata k;
  k.flags = flags;
  k.algorithm = algorithm;
  k.public_key.assign(64, seed);
  return k;
}

TrustAnchor anchorOf(const model::DnskeyRdata& key, KeyState state,
                     const model::DomainName& owner = kZone) {
  TrustAnchor a;
  a.record = {owner, 3600, key};
  a.state = state;
  return a;
}

// A set of `keys`, each of `signers` (indexes into keys) with a valid signature.
dns::DnskeySet fakeSet(std::vector<model::DnskeyRdata> keys, std::vector<int> signers) {
  dns::DnskeySet set;
  set.zone = kZone;
  set.ttl = 20;
  set.keys = std::move(keys);
  for (int i : signers) {
    dns::SignatureCheck s;
    s.key_tag = set.keys[static_cast<size_t>(i)].keyTag();
    s.algorithm = set.keys[static_cast<size_t>(i)].algorithm;
    s.inception = kEpoch - days(1);
    s.expiration = kEpoch + days(30);
    s.valid = true;
    s.signer = i;
    set.signatures.push_back(s);
  }
  return set;
}

Timers shortTimers() {
  Timers t;
  t.add_hold_down = seconds(100);
  t.remove_hold_down = seconds(100);
  t.refresh_min = seconds(10);
  t.refresh_max = seconds(1000);
  t.retry_min = seconds(5);
  t.retry_max = seconds(100);
  return t;
}

RefreshInput inputAt(std::vector<TrustAnchor> anchors, ProbeOutcome probe, int at) {
  return {kZone, std::move(anchors), std::move(probe), 20, kEpoch + seconds(at)};
}

TEST(Rfc5011TrackerTest, AnchorsOfAnotherTrustPointPassThroughUnchanged) {
  const auto k1 = fakeKey(1);
  const auto other = anchorOf(fakeKey(9), KeyState::kValid, nameOf("other.example."));
  const Tracker tracker(shortTimers());
  // The other trust point's key is absent from this set: it must not become Missing, and a
  // trusted key of another trust point does not validate this one.
  auto r = tracker.refresh(
      inputAt({anchorOf(k1, KeyState::kValid), other}, fakeSet({k1, fakeKey(2)}, {0}), 0));
  EXPECT_EQ(r.outcome, Outcome::kOk);
  ASSERT_EQ(r.anchors.size(), 3u);
  EXPECT_EQ(r.anchors[1].state, KeyState::kValid);
  EXPECT_EQ(r.anchors[1].record.owner, other.record.owner);
  EXPECT_FALSE(r.anchors[1].state_changed);
  r = tracker.refresh(inputAt({other}, fakeSet({fakeKey(9)}, {0}), 0));
  EXPECT_EQ(r.outcome, Outcome::kNotValidated);
}

TEST(Rfc5011TrackerTest, ASetOfAnotherZoneIsAProbeFailure) {
  auto set = fakeSet({fakeKey(1)}, {0});
  set.zone = nameOf("elsewhere.example.");
  const Tracker tracker(shortTimers());
  const auto r = tracker.refresh(inputAt({anchorOf(fakeKey(1), KeyState::kValid)}, set, 0));
  EXPECT_EQ(r.outcome, Outcome::kProbeFailed);
  EXPECT_EQ(r.result, "probe failed: the DNSKEY set is of another zone");
  EXPECT_EQ(r.next_refresh, kEpoch + seconds(5));
  EXPECT_TRUE(r.transitions.empty());
}

TEST(Rfc5011TrackerTest, OnlyUsableZoneKeysWithTheSepFlagAreNewKeys) {
  const auto k1 = fakeKey(1);
  const auto zsk = fakeKey(2, 256);
  const auto no_zone_bit = fakeKey(3, 1);
  const auto unknown_algorithm = fakeKey(4, 257, 200);
  const Tracker tracker(shortTimers());
  const auto r = tracker.refresh(
      inputAt({anchorOf(k1, KeyState::kValid)},
              fakeSet({k1, zsk, no_zone_bit, unknown_algorithm, fakeKey(5)}, {0}), 0));
  ASSERT_EQ(r.anchors.size(), 2u);
  EXPECT_EQ(r.anchors[1].record.dnskey(), fakeKey(5));
  EXPECT_EQ(r.anchors[1].state, KeyState::kAddPend);
  EXPECT_EQ(r.anchors[1].origin, model::Origin::kRfc5011);
  EXPECT_EQ(r.anchors[1].record.ttl, 20u);
  ASSERT_EQ(r.transitions.size(), 1u);
  EXPECT_EQ(r.transitions[0].anchor_id, r.anchors[1].id());
  EXPECT_EQ(r.transitions[0].event, Event::kNewKey);
}

TEST(Rfc5011TrackerTest, AStartEntryHandedInIsANewKeyOrDropped) {
  const auto k1 = fakeKey(1);
  auto start = anchorOf(fakeKey(2), KeyState::kStart);
  start.origin = model::Origin::kImport;
  auto gone = anchorOf(fakeKey(3), KeyState::kStart);
  const Tracker tracker(shortTimers());
  const auto r = tracker.refresh(
      inputAt({anchorOf(k1, KeyState::kValid), start, gone}, fakeSet({k1, fakeKey(2)}, {0}), 0));
  ASSERT_EQ(r.anchors.size(), 2u);
  EXPECT_EQ(r.anchors[1].state, KeyState::kAddPend);
  EXPECT_EQ(r.anchors[1].origin, model::Origin::kImport);
  EXPECT_EQ(r.anchors[1].hold_down_until, kEpoch + seconds(100));
}

TEST(Rfc5011TrackerTest, AStoredHoldDownIsNeverShortened) {
  const auto k1 = fakeKey(1);
  const auto k2 = fakeKey(2);
  const Tracker tracker(shortTimers());
  // A deadline written under longer timers is kept.
  auto pending = anchorOf(k2, KeyState::kAddPend);
  pending.state_changed = kEpoch;
  pending.hold_down_until = kEpoch + seconds(500);
  auto r = tracker.refresh(
      inputAt({anchorOf(k1, KeyState::kValid), pending}, fakeSet({k1, k2}, {0}), 400));
  EXPECT_EQ(r.anchors[1].state, KeyState::kAddPend);
  EXPECT_EQ(r.anchors[1].hold_down_until, kEpoch + seconds(500));
  // A deadline earlier than state_changed plus the hold-down is pushed out to it.
  pending.hold_down_until = kEpoch + seconds(10);
  r = tracker.refresh(
      inputAt({anchorOf(k1, KeyState::kValid), pending}, fakeSet({k1, k2}, {0}), 50));
  EXPECT_EQ(r.anchors[1].state, KeyState::kAddPend);
  EXPECT_EQ(r.anchors[1].hold_down_until, kEpoch + seconds(100));
  // No times at all: the hold-down starts now, nothing completes.
  pending.state_changed.reset();
  pending.hold_down_until.reset();
  r = tracker.refresh(
      inputAt({anchorOf(k1, KeyState::kValid), pending}, fakeSet({k1, k2}, {0}), 50));
  EXPECT_EQ(r.anchors[1].state, KeyState::kAddPend);
  EXPECT_EQ(r.anchors[1].hold_down_until, kEpoch + seconds(150));
  EXPECT_TRUE(r.transitions.empty());
}

TEST(Rfc5011TrackerTest, ASignatureWithoutASignerIsIgnored) {
  const auto k1 = fakeKey(1);
  auto set = fakeSet({k1}, {0});
  set.signatures[0].signer = 7;  // out of range
  const Tracker tracker(shortTimers());
  auto r = tracker.refresh(inputAt({anchorOf(k1, KeyState::kValid)}, set, 0));
  EXPECT_EQ(r.outcome, Outcome::kNotValidated);
  set.signatures[0].signer = -1;
  r = tracker.refresh(inputAt({anchorOf(k1, KeyState::kValid)}, set, 0));
  EXPECT_EQ(r.outcome, Outcome::kNotValidated);
}

TEST(Rfc5011TrackerTest, RefreshFollowsTheEarliestTrustedSignatureExpiry) {
  const auto k1 = fakeKey(1);
  const auto k2 = fakeKey(2);
  auto set = fakeSet({k1, k2}, {0, 1});
  set.signatures[0].expiration = kEpoch + seconds(600);  // trusted: counts
  set.signatures[1].expiration = kEpoch + seconds(30);   // k2 is not trusted: ignored
  const Tracker tracker(shortTimers());
  auto input = inputAt({anchorOf(k1, KeyState::kValid)}, set, 0);
  input.original_ttl = 2000;
  const auto r = tracker.refresh(input);
  EXPECT_EQ(r.next_refresh, kEpoch + seconds(300));
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

struct LdnsKeyFree {
  void operator()(ldns_key* k) const { ldns_key_deep_free(k); }
};
struct LdnsListFree {
  void operator()(ldns_rr_list* l) const { ldns_rr_list_deep_free(l); }
};
struct LdnsRrFree {
  void operator()(ldns_rr* rr) const { ldns_rr_free(rr); }
};
using LdnsList = std::unique_ptr<ldns_rr_list, LdnsListFree>;
using LdnsRr = std::unique_ptr<ldns_rr, LdnsRrFree>;

uint32_t epochSeconds(model::Time t) {
  return static_cast<uint32_t>(t.time_since_epoch().count());
}

// The record as a DNS answer carries it.
dns::ResourceRecord toAnswer(const ldns_rr* rr) {
  dns::ResourceRecord out;
  char* owner = ldns_rdf2str(ldns_rr_owner(rr));
  out.owner = owner;
  free(owner);
  out.type = static_cast<uint16_t>(ldns_rr_get_type(rr));
  out.ttl = ldns_rr_ttl(rr);
  ldns_buffer* wire = ldns_buffer_new(4096);
  EXPECT_EQ(ldns_rr_rdata2buffer_wire(wire, rr), LDNS_STATUS_OK);
  out.rdata.assign(ldns_buffer_begin(wire), ldns_buffer_begin(wire) + ldns_buffer_position(wire));
  ldns_buffer_free(wire);
  for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    char* field = ldns_rdf2str(ldns_rr_rdf(rr, i));
    out.rdata_text += (i == 0 ? "" : " ") + std::string(field);
    free(field);
  }
  return out;
}

// A key of the scenario's zone. It is published and signs with or without the REVOKE bit; the
// key tag ldns signs with follows the flags.
class TestKey {
 public:
  TestKey(const model::DomainName& zone, uint16_t flags, ldns_signing_algorithm algorithm)
      : flags_(flags) {
    const uint16_t bits = algorithm == LDNS_SIGN_RSASHA256 ? 2048 : 256;
    key_.reset(ldns_key_new_frm_algorithm(algorithm, bits));
    if (key_ == nullptr) {
      return;
    }
    ldns_key_set_pubkey_owner(key_.get(), ldns_dname_new_frm_str(zone.text().c_str()));
    LdnsRr rr(record(false));
    const auto wire = toAnswer(rr.get()).rdata;
    rdata_ = std::get<model::DnskeyRdata>(
        model::rdataFromWire(model::RecordType::kDnskey, wire).value());
  }

  bool made() const { return key_ != nullptr; }

  /// The key's RDATA without the REVOKE bit.
  const model::DnskeyRdata& rdata() const { return rdata_; }

  /// Its DNSKEY record; the caller owns it.
  ldns_rr* record(bool revoked) {
    setRevoked(revoked);
    ldns_rr* rr = ldns_key2rr(key_.get());
    setRevoked(false);
    return rr;
  }

  /// RRSIGs over `set` by this key, valid from `inception` to `expiration`.
  LdnsList sign(const ldns_rr_list* set, bool revoked, model::Time inception,
                model::Time expiration) {
    setRevoked(revoked);
    ldns_key_set_inception(key_.get(), epochSeconds(inception));
    ldns_key_set_expiration(key_.get(), epochSeconds(expiration));
    ldns_key_list* list = ldns_key_list_new();
    ldns_key_list_push_key(list, key_.get());
    LdnsList copy(ldns_rr_list_clone(set));
    LdnsList sigs(ldns_sign_public(copy.get(), list));
    // The key stays ours: empty the list before ldns frees it.
    ldns_key_list_set_key_count(list, 0);
    ldns_key_list_free(list);
    setRevoked(false);
    return sigs;
  }

 private:
  void setRevoked(bool revoked) {
    ldns_key_set_flags(key_.get(), revoked ? flags_ | model::kFlagRevoke : flags_);
    ldns_rr* rr = ldns_key2rr(key_.get());
    ldns_key_set_keytag(key_.get(), ldns_calc_keytag(rr));
    ldns_rr_free(rr);
  }

  std::unique_ptr<ldns_key, LdnsKeyFree> key_;
  uint16_t flags_;
  model::DnskeyRdata rdata_;
};

bool standsFor(const TrustAnchor& a, const model::DnskeyRdata& key) {
  if (a.record.isDs()) {
    return model::dsMatchesDnskey(a.record.owner, a.record.ds(), key);
  }
  auto plain = a.record.dnskey();
  plain.flags = static_cast<uint16_t>(plain.flags & ~model::kFlagRevoke);
  return plain == key;
}

bool isAllowed(KeyState from, KeyState to) {
  using S = KeyState;
  static const std::set<std::pair<S, S>> kAllowed = {
      {S::kStart, S::kAddPend},   {S::kAddPend, S::kValid},   {S::kAddPend, S::kStart},
      {S::kAddPend, S::kRevoked}, {S::kValid, S::kMissing},   {S::kValid, S::kRevoked},
      {S::kMissing, S::kValid},   {S::kMissing, S::kRevoked}, {S::kRevoked, S::kRemoved}};
  return kAllowed.count({from, to}) != 0;
}

// One scenario file, run line by line. Syntax errors stop it; failed expectations are reported
// with file:line and the run goes on.
class Scenario {
 public:
  explicit Scenario(std::string path) : path_(std::move(path)) { timers_ = shortTimers(); }

  void run() {
    std::ifstream in(path_);
    ASSERT_TRUE(in) << path_ << ": cannot be read";
    std::string text;
    while (std::getline(in, text)) {
      ++line_;
      const std::string body = text.substr(0, text.find('#'));
      const auto fields = util::splitFields(body);
      if (fields.empty()) {
        continue;
      }
      const std::string error = statement(fields);
      if (!error.empty()) {
        ADD_FAILURE() << where() << ": " << error;
        return;
      }
    }
    EXPECT_GT(steps_, 0) << path_ << ": no step";
  }

 private:
  using Fields = std::vector<std::string_view>;

  std::string where() const { return path_ + ":" + std::to_string(line_); }

  std::string statement(const Fields& f) {
    const std::string_view verb = f[0];
    if (verb == "zone" && f.size() == 2) {
      auto zone = model::DomainName::parse(f[1]);
      if (!zone) {
        return "bad zone name";
      }
      zone_ = *zone;
      return "";
    }
    if (verb == "timers") {
      return declareTimers(f);
    }
    if (verb == "ttl" && f.size() == 2) {
      auto ttl = util::parseUnsigned(f[1], UINT32_MAX, "ttl");
      if (!ttl) {
        return "bad ttl";
      }
      ttl_ = static_cast<uint32_t>(*ttl);
      return "";
    }
    if (verb == "key") {
      return declareKey(f);
    }
    if (verb == "anchor") {
      return declareAnchor(f);
    }
    if (verb == "at") {
      return step(f);
    }
    if (verb == "expect") {
      return expect(f);
    }
    return "unknown statement '" + std::string(verb) + "'";
  }

  // "+N" as a time; nullopt when malformed.
  static std::optional<model::Time> timeOf(std::string_view text) {
    if (text.size() < 2 || text[0] != '+') {
      return std::nullopt;
    }
    auto n = util::parseUnsigned(text.substr(1), UINT32_MAX, "time");
    return n ? std::optional(kEpoch + seconds(*n)) : std::nullopt;
  }

  static std::string offset(std::optional<model::Time> t) {
    return t ? "+" + std::to_string((*t - kEpoch).count()) : "none";
  }

  std::string declareTimers(const Fields& f) {
    for (size_t i = 1; i < f.size(); ++i) {
      const auto eq = f[i].find('=');
      if (eq == std::string_view::npos) {
        return "timers wants NAME=VALUE";
      }
      const auto name = f[i].substr(0, eq);
      auto value = util::parseUnsigned(f[i].substr(eq + 1), UINT32_MAX, name);
      if (!value) {
        return "bad timer value";
      }
      const seconds s(*value);
      const std::map<std::string_view, seconds*> durations = {
          {"add_hold_down", &timers_.add_hold_down},
          {"remove_hold_down", &timers_.remove_hold_down},
          {"refresh_min", &timers_.refresh_min},
          {"refresh_max", &timers_.refresh_max},
          {"retry_min", &timers_.retry_min},
          {"retry_max", &timers_.retry_max}};
      if (auto it = durations.find(name); it != durations.end()) {
        *it->second = s;
      } else if (name == "refresh_percent") {
        timers_.refresh_percent = static_cast<int>(*value);
      } else if (name == "retry_percent") {
        timers_.retry_percent = static_cast<int>(*value);
      } else {
        return "unknown timer '" + std::string(name) + "'";
      }
    }
    return checkTimers(timers_) ? "" : "timers out of range";
  }

  std::string declareKey(const Fields& f) {
    if (f.size() != 4 || (f[2] != "ksk" && f[2] != "zsk")) {
      return "key wants LABEL ksk|zsk ALGORITHM";
    }
    const std::map<std::string_view, ldns_signing_algorithm> algorithms = {
        {"ecdsa", LDNS_SIGN_ECDSAP256SHA256},
        {"rsa", LDNS_SIGN_RSASHA256},
        {"ed25519", LDNS_SIGN_ED25519}};
    const auto alg = algorithms.find(f[3]);
    if (alg == algorithms.end()) {
      return "unknown algorithm '" + std::string(f[3]) + "'";
    }
    const std::string label(f[1]);
    if (keys_.count(label) != 0 || label.find('!') != std::string::npos) {
      return "key label '" + label + "' is taken or contains '!'";
    }
    auto key = std::make_unique<TestKey>(zone_, f[2] == "ksk" ? 257 : 256, alg->second);
    if (!key->made()) {
      return "ldns could not make the key";
    }
    keys_[label] = std::move(key);
    return "";
  }

  std::string declareAnchor(const Fields& f) {
    if (f.size() < 4 || keys_.count(std::string(f[1])) == 0 || (f[2] != "dnskey" && f[2] != "ds")) {
      return "anchor wants a declared LABEL, dnskey|ds and a STATE";
    }
    const auto& key = keys_[std::string(f[1])]->rdata();
    TrustAnchor a;
    if (f[2] == "ds") {
      a.record = {zone_, ttl_, model::computeDs(zone_, key, 2).value()};
    } else {
      a.record = {zone_, ttl_, key};
    }
    const auto state = model::parseKeyState(f[3]);
    if (!state) {
      return "unknown state '" + std::string(f[3]) + "'";
    }
    a.state = *state;
    for (size_t i = 4; i + 1 < f.size(); i += 2) {
      const auto t = timeOf(f[i + 1]);
      if (!t || (f[i] != "changed" && f[i] != "hold_down")) {
        return "anchor options are 'changed +N' and 'hold_down +N'";
      }
      (f[i] == "changed" ? a.state_changed : a.hold_down_until) = t;
    }
    if (f.size() % 2 != 0) {
      return "anchor option without a value";
    }
    anchors_.push_back(std::move(a));
    return "";
  }

  // "LABEL" or "LABEL!" as a key and whether it carries the REVOKE bit.
  std::pair<TestKey*, bool> keyOf(std::string_view token) {
    const bool revoked = !token.empty() && token.back() == '!';
    const std::string label(revoked ? token.substr(0, token.size() - 1) : token);
    auto it = keys_.find(label);
    return {it == keys_.end() ? nullptr : it->second.get(), revoked};
  }

  TestKey& junkKey() {
    if (!junk_) {
      junk_ = std::make_unique<TestKey>(zone_, 257, LDNS_SIGN_ECDSAP256SHA256);
    }
    return *junk_;
  }

  // The answer of a probe: the published keys, then the RRSIGs of each clause.
  std::string probe(const Fields& f, model::Time now, dns::DnskeySet& out) {
    std::map<std::string_view, std::vector<std::string_view>> clauses;
    std::string_view clause = "publish";
    std::optional<model::Time> expire;
    for (size_t i = 3; i < f.size(); ++i) {
      if (f[i] == "sign" || f[i] == "forge" || f[i] == "stale") {
        clause = f[i];
      } else if (f[i] == "expire" && i + 1 < f.size()) {
        expire = timeOf(f[++i]);
        if (!expire) {
          return "expire wants +N";
        }
      } else {
        clauses[clause].push_back(f[i]);
      }
    }
    LdnsList set(ldns_rr_list_new());
    for (auto token : clauses["publish"]) {
      auto [key, revoked] = keyOf(token);
      if (key == nullptr) {
        return "unknown key '" + std::string(token) + "'";
      }
      ldns_rr* rr = key->record(revoked);
      ldns_rr_set_ttl(rr, ttl_);
      ldns_rr_list_push_rr(set.get(), rr);
    }
    std::vector<dns::ResourceRecord> answer;
    for (size_t i = 0; i < ldns_rr_list_rr_count(set.get()); ++i) {
      answer.push_back(toAnswer(ldns_rr_list_rr(set.get(), i)));
    }
    // forge: signatures over the set plus a key that is not published.
    LdnsList other(ldns_rr_list_clone(set.get()));
    ldns_rr* extra = junkKey().record(false);
    ldns_rr_set_ttl(extra, ttl_);
    ldns_rr_list_push_rr(other.get(), extra);
    const std::map<std::string_view, std::tuple<const ldns_rr_list*, model::Time, model::Time>>
        windows = {{"sign", {set.get(), now - hours(1), expire.value_or(now + days(30))}},
                   {"forge", {other.get(), now - hours(1), now + days(30)}},
                   {"stale", {set.get(), now - hours(2), now - seconds(1)}}};
    for (const auto& [name, window] : windows) {
      for (auto token : clauses[name]) {
        auto [key, revoked] = keyOf(token);
        if (key == nullptr) {
          return "unknown key '" + std::string(token) + "'";
        }
        const auto& [signed_set, from, until] = window;
        auto sigs = key->sign(signed_set, revoked, from, until);
        for (size_t i = 0; sigs && i < ldns_rr_list_rr_count(sigs.get()); ++i) {
          answer.push_back(toAnswer(ldns_rr_list_rr(sigs.get(), i)));
        }
      }
    }
    auto checked = dns::checkDnskeySet(zone_, answer, now);
    if (!checked) {
      return "the probe's answer does not check: " + checked.error().toString();
    }
    out = std::move(*checked);
    return "";
  }

  std::string step(const Fields& f) {
    const auto now = f.size() >= 3 ? timeOf(f[1]) : std::nullopt;
    if (!now || (f[2] != "probe" && f[2] != "fail")) {
      return "at wants +N probe ... or +N fail REASON";
    }
    RefreshInput input{zone_, anchors_, ProbeFailure{}, ttl_, *now};
    if (f[2] == "fail") {
      std::string reason;
      for (size_t i = 3; i < f.size(); ++i) {
        reason += (i == 3 ? "" : " ") + std::string(f[i]);
      }
      input.probe = ProbeFailure{reason};
    } else {
      dns::DnskeySet set;
      if (auto error = probe(f, *now, set); !error.empty()) {
        return error;
      }
      input.probe = std::move(set);
    }
    last_ = Tracker(timers_).refresh(input);
    anchors_ = last_->anchors;
    ++steps_;
    for (const auto& t : last_->transitions) {
      EXPECT_TRUE(isAllowed(t.from, t.to))
          << where() << ": transition " << model::keyStateName(t.from) << " -> "
          << model::keyStateName(t.to) << " is not in the RFC 5011 table";
    }
    EXPECT_GT(last_->next_refresh, *now) << where() << ": next refresh not after the step";
    return "";
  }

  // The anchor ids a label can have: its DNSKEY, and any DS of it declared or produced.
  std::set<std::string> idsOf(const TestKey& key) const {
    TrustAnchor plain;
    plain.record = {zone_, 0, key.rdata()};
    std::set<std::string> ids = {plain.id()};
    for (const auto& a : anchors_) {
      if (standsFor(a, key.rdata())) {
        ids.insert(a.id());
      }
    }
    return ids;
  }

  std::string expect(const Fields& f) {
    if (f.size() < 3) {
      return "expect wants more";
    }
    const std::set<std::string_view> of_step = {"result", "outcome", "next_refresh", "transitions",
                                                "transition"};
    if (of_step.count(f[1]) != 0 && !last_) {
      return "expect before the first step";
    }
    if (f.size() >= 3 && f[1] == "result") {
      std::string text;
      for (size_t i = 2; i < f.size(); ++i) {
        text += (i == 2 ? "" : " ") + std::string(f[i]);
      }
      EXPECT_EQ(last_->result, text) << where();
      return "";
    }
    if (f.size() == 3 && f[1] == "outcome") {
      EXPECT_EQ(outcomeName(last_->outcome), f[2]) << where();
      return "";
    }
    if (f.size() == 3 && f[1] == "next_refresh") {
      const auto t = timeOf(f[2]);
      if (!t) {
        return "next_refresh wants +N";
      }
      EXPECT_EQ(offset(last_->next_refresh), offset(*t)) << where() << ": next refresh";
      return "";
    }
    if (f.size() == 3 && f[1] == "transitions") {
      auto n = util::parseUnsigned(f[2], 1000, "count");
      if (!n) {
        return "transitions wants a count";
      }
      EXPECT_EQ(last_->transitions.size(), *n) << where() << ": transitions";
      return "";
    }
    if (f.size() == 5 && f[1] == "transition") {
      return expectTransition(f);
    }
    return expectAnchor(f);
  }

  std::string expectTransition(const Fields& f) {
    auto [key, revoked] = keyOf(f[2]);
    const auto from = model::parseKeyState(f[3]);
    const auto to = model::parseKeyState(f[4]);
    if (key == nullptr || revoked || !from || !to) {
      return "transition wants LABEL FROM TO";
    }
    const auto ids = idsOf(*key);
    const bool found =
        std::any_of(last_->transitions.begin(), last_->transitions.end(), [&](const Transition& t) {
          return ids.count(t.anchor_id) != 0 && t.from == *from && t.to == *to;
        });
    EXPECT_TRUE(found) << where() << ": no transition " << f[2] << " " << f[3] << " -> " << f[4];
    return "";
  }

  std::string expectAnchor(const Fields& f) {
    auto [key, revoked] = keyOf(f.size() >= 2 ? f[1] : "");
    if (key == nullptr || revoked || f.size() < 3) {
      return "unknown expectation";
    }
    std::vector<const TrustAnchor*> found;
    for (const auto& a : anchors_) {
      if (standsFor(a, key->rdata())) {
        found.push_back(&a);
      }
    }
    if (f.size() == 3 && f[2] == "absent") {
      EXPECT_TRUE(found.empty()) << where() << ": " << f[1] << " is still tracked";
      return "";
    }
    if (found.size() != 1) {
      ADD_FAILURE() << where() << ": " << found.size() << " anchors stand for " << f[1];
      return "";
    }
    const TrustAnchor& a = *found.front();
    if (f.size() == 3) {
      const auto state = model::parseKeyState(f[2]);
      if (!state) {
        return "unknown state '" + std::string(f[2]) + "'";
      }
      EXPECT_EQ(model::keyStateName(a.state), model::keyStateName(*state))
          << where() << ": " << f[1];
      return "";
    }
    if (f.size() == 4 && (f[2] == "hold_down" || f[2] == "changed")) {
      const auto want = f[3] == "none" ? std::nullopt : timeOf(f[3]);
      if (f[3] != "none" && !want) {
        return "wants +N or none";
      }
      const auto& got = f[2] == "hold_down" ? a.hold_down_until : a.state_changed;
      EXPECT_EQ(offset(got), offset(want)) << where() << ": " << f[1] << " " << f[2];
      return "";
    }
    if (f.size() == 4 && f[2] == "origin") {
      EXPECT_EQ(model::originName(a.origin), f[3]) << where() << ": " << f[1] << " origin";
      return "";
    }
    return "unknown expectation";
  }

  std::string path_;
  int line_ = 0;
  int steps_ = 0;
  model::DomainName zone_ = nameOf("example.");
  Timers timers_;
  uint32_t ttl_ = 20;
  std::map<std::string, std::unique_ptr<TestKey>> keys_;
  std::unique_ptr<TestKey> junk_;
  std::vector<TrustAnchor> anchors_;
  std::optional<RefreshResult> last_;
};

const std::string kScenarioDir = std::string(ANCHORAGE_SOURCE_DIR) + "/tests/scenarios/rfc5011";

std::vector<std::string> scenarioFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(kScenarioDir, ec)) {
    if (entry.path().extension() == ".txt") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

class Rfc5011ScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(Rfc5011ScenarioTest, EveryExpectationHolds) {
  Scenario(GetParam()).run();
}

INSTANTIATE_TEST_SUITE_P(Rfc5011, Rfc5011ScenarioTest, ::testing::ValuesIn(scenarioFiles()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = std::filesystem::path(param.param).stem().string();
                           for (auto& c : name) {
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           }
                           return name;
                         });

TEST(Rfc5011ScenarioFilesTest, EveryScenarioTheIssueAsksForIsThere) {
  const auto files = scenarioFiles();
  for (const char* name :
       {"new_key_add_pend_to_valid", "key_vanishes_during_hold_down", "valid_missing_valid",
        "revocation_revoked_removed", "revoke_bit_without_self_signature", "root_ksk_rollover",
        "algorithm_rollover", "probe_failures_retry", "untrusted_set_changes_nothing",
        "clock_backwards"}) {
    const std::string path = kScenarioDir + "/" + name + ".txt";
    EXPECT_NE(std::find(files.begin(), files.end(), path), files.end()) << path;
  }
}

// A scenario's own mistakes are reported with file and line.
TEST(Rfc5011ScenarioFilesTest, ASyntaxErrorNamesFileAndLine) {
  const std::string path = testing::TempDir() + "rfc5011_bad_scenario.txt";
  {
    std::ofstream out(path);
    out << "# a comment\nkey K1 ksk ecdsa\nat +0 probe K1 sign NOPE\n";
  }
  testing::TestPartResultArray failures;
  {
    testing::ScopedFakeTestPartResultReporter reporter(
        testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    Scenario(path).run();
  }
  ASSERT_GE(failures.size(), 1);
  EXPECT_NE(std::string(failures.GetTestPartResult(0).message()).find(path + ":3:"),
            std::string::npos)
      << failures.GetTestPartResult(0).message();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace anchorage::rfc5011
