// SPDX-License-Identifier: Apache-2.0
//
// DNSKEY RRset checks: keys made and sets signed with ldns in the test, then handed over as the
// records of a DNS answer. Which keys sign the set, which are secure entry points, and what an
// expired signature, a changed set or a revoked key do to that.

#include "dns/dnskey_set.h"

#include <chrono>
#include <memory>

#include <ldns/ldns.h>

#include <gtest/gtest.h>

namespace anchorage::dns {
namespace {

using std::chrono::hours;
using std::chrono::system_clock;

model::Time now() {
  return std::chrono::time_point_cast<std::chrono::seconds>(system_clock::now());
}

const model::DomainName kZone = model::DomainName::parse("signed.example.").value();

struct KeyDeleter {
  void operator()(ldns_key* k) const { ldns_key_deep_free(k); }
};
using KeyPtr = std::unique_ptr<ldns_key, KeyDeleter>;

// The record as a DNS answer carries it: presentation owner and RDATA, wire RDATA.
ResourceRecord fromLdns(const ldns_rr* rr) {
  ResourceRecord r;
  char* owner = ldns_rdf2str(ldns_rr_owner(rr));
  r.owner = owner;
  free(owner);
  r.type = static_cast<uint16_t>(ldns_rr_get_type(rr));
  r.ttl = ldns_rr_ttl(rr);
  ldns_buffer* wire = ldns_buffer_new(4096);
  EXPECT_EQ(ldns_rr_rdata2buffer_wire(wire, rr), LDNS_STATUS_OK);
  r.rdata.assign(ldns_buffer_begin(wire), ldns_buffer_begin(wire) + ldns_buffer_position(wire));
  ldns_buffer_free(wire);
  for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    char* field = ldns_rdf2str(ldns_rr_rdf(rr, i));
    r.rdata_text += (i == 0 ? "" : " ") + std::string(field);
    free(field);
  }
  return r;
}

// A key of the zone with `flags`, its validity window set for the signatures it makes.
KeyPtr makeKey(uint16_t flags, ldns_signing_algorithm algorithm = LDNS_SIGN_ECDSAP256SHA256) {
  KeyPtr key(ldns_key_new_frm_algorithm(algorithm, algorithm == LDNS_SIGN_RSASHA256 ? 2048 : 256));
  EXPECT_NE(key, nullptr);
  ldns_key_set_flags(key.get(), flags);
  ldns_key_set_pubkey_owner(key.get(), ldns_dname_new_frm_str(kZone.text().c_str()));
  // The key tag ldns signs with was computed for the flags the key was made with.
  ldns_rr* rr = ldns_key2rr(key.get());
  ldns_key_set_keytag(key.get(), ldns_calc_keytag(rr));
  ldns_rr_free(rr);
  const auto t = system_clock::to_time_t(now());
  ldns_key_set_inception(key.get(), static_cast<uint32_t>(t - 3600));
  ldns_key_set_expiration(key.get(), static_cast<uint32_t>(t + 7 * 86400));
  return key;
}

// The DNSKEY records of `keys` and RRSIGs over them made by `signers`.
std::vector<ResourceRecord> answer(const std::vector<ldns_key*>& keys,
                                   const std::vector<ldns_key*>& signers) {
  ldns_rr_list* set = ldns_rr_list_new();
  for (auto* k : keys) {
    ldns_rr* rr = ldns_key2rr(k);
    ldns_rr_set_ttl(rr, 3600);
    ldns_rr_list_push_rr(set, rr);
  }
  ldns_key_list* list = ldns_key_list_new();
  for (auto* k : signers) {
    ldns_key_list_push_key(list, k);
  }
  ldns_rr_list* sigs = ldns_sign_public(set, list);
  EXPECT_NE(sigs, nullptr);
  std::vector<ResourceRecord> out;
  for (size_t i = 0; i < ldns_rr_list_rr_count(set); ++i) {
    out.push_back(fromLdns(ldns_rr_list_rr(set, i)));
  }
  for (size_t i = 0; sigs != nullptr && i < ldns_rr_list_rr_count(sigs); ++i) {
    out.push_back(fromLdns(ldns_rr_list_rr(sigs, i)));
  }
  ldns_rr_list_deep_free(sigs);
  ldns_rr_list_deep_free(set);
  // The keys stay owned by the caller: empty the list before ldns frees it and what it holds.
  ldns_key_list_set_key_count(list, 0);
  ldns_key_list_free(list);
  return out;
}

model::DnskeyRdata rdataOf(ldns_key* key) {
  ldns_rr* rr = ldns_key2rr(key);
  const auto r = fromLdns(rr);
  ldns_rr_free(rr);
  model::DnskeyRdata d;
  d.flags = static_cast<uint16_t>(r.rdata[0] << 8 | r.rdata[1]);
  d.protocol = r.rdata[2];
  d.algorithm = r.rdata[3];
  d.public_key.assign(r.rdata.begin() + 4, r.rdata.end());
  return d;
}

TEST(DnskeySetTest, KskSigningTheSetIsTheSecureEntryPoint) {
  auto ksk = makeKey(257);
  auto zsk = makeKey(256);
  auto set = checkDnskeySet(kZone, answer({ksk.get(), zsk.get()}, {ksk.get(), zsk.get()}), now());
  ASSERT_TRUE(set) << set.error().toString();
  EXPECT_EQ(set->keys.size(), 2u);
  EXPECT_EQ(set->ttl, 3600u);
  ASSERT_EQ(set->signatures.size(), 2u);
  for (const auto& s : set->signatures) {
    EXPECT_TRUE(s.valid) << s.reason;
    EXPECT_GE(s.signer, 0);
    EXPECT_EQ(s.original_ttl, 3600u);
  }
  EXPECT_TRUE(set->signsTheSet(rdataOf(ksk.get())));
  EXPECT_TRUE(set->signsTheSet(rdataOf(zsk.get())));
  const auto seps = set->secureEntryPoints();
  ASSERT_EQ(seps.size(), 1u);
  EXPECT_EQ(seps.front(), rdataOf(ksk.get()));
}

TEST(DnskeySetTest, AKskThatDoesNotSignTheSetIsNoSecureEntryPoint) {
  auto ksk = makeKey(257);
  auto zsk = makeKey(256);
  auto set = checkDnskeySet(kZone, answer({ksk.get(), zsk.get()}, {zsk.get()}), now());
  ASSERT_TRUE(set) << set.error().toString();
  EXPECT_FALSE(set->signsTheSet(rdataOf(ksk.get())));
  EXPECT_TRUE(set->secureEntryPoints().empty());
}

TEST(DnskeySetTest, SignaturesOutsideTheirWindowDoNotCount) {
  auto ksk = makeKey(257);
  const auto records = answer({ksk.get()}, {ksk.get()});
  auto later = checkDnskeySet(kZone, records, now() + hours(24 * 30));
  ASSERT_TRUE(later);
  ASSERT_EQ(later->signatures.size(), 1u);
  EXPECT_FALSE(later->signatures.front().valid);
  EXPECT_FALSE(later->signatures.front().reason.empty());
  EXPECT_TRUE(later->secureEntryPoints().empty());
  auto earlier = checkDnskeySet(kZone, records, now() - hours(48));
  ASSERT_TRUE(earlier);
  EXPECT_FALSE(earlier->signatures.front().valid);
}

TEST(DnskeySetTest, AKeyAddedAfterSigningBreaksTheSignature) {
  auto ksk = makeKey(257);
  auto intruder = makeKey(257);
  auto records = answer({ksk.get()}, {ksk.get()});
  const auto extra = answer({intruder.get()}, {});
  records.push_back(extra.front());
  auto set = checkDnskeySet(kZone, records, now());
  ASSERT_TRUE(set);
  EXPECT_EQ(set->keys.size(), 2u);
  ASSERT_EQ(set->signatures.size(), 1u);
  EXPECT_FALSE(set->signatures.front().valid);
  EXPECT_TRUE(set->secureEntryPoints().empty());
}

TEST(DnskeySetTest, ARevokedKeySignsButIsNoSecureEntryPoint) {
  auto revoked = makeKey(257 | 0x80);
  auto ksk = makeKey(257, LDNS_SIGN_RSASHA256);
  auto set =
      checkDnskeySet(kZone, answer({revoked.get(), ksk.get()}, {revoked.get(), ksk.get()}), now());
  ASSERT_TRUE(set) << set.error().toString();
  EXPECT_TRUE(set->signsTheSet(rdataOf(revoked.get())));
  const auto seps = set->secureEntryPoints();
  ASSERT_EQ(seps.size(), 1u);
  EXPECT_EQ(seps.front().algorithm, 8);
}

TEST(DnskeySetTest, OtherOwnersAreIgnoredAndNoKeyIsAnError) {
  auto ksk = makeKey(257);
  const auto records = answer({ksk.get()}, {ksk.get()});
  const auto other = model::DomainName::parse("other.example.").value();
  auto none = checkDnskeySet(other, records, now());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
  auto empty = checkDnskeySet(kZone, {}, now());
  EXPECT_FALSE(empty);
}

}  // namespace
}  // namespace anchorage::dns
