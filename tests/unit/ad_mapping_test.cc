// SPDX-License-Identifier: Apache-2.0
//
// The AD TrustAnchors zone mapped to scope content: dnsRecord values decoded and validated, node
// owners checked against the trusted accounts, tombstoned nodes withdrawn, and everything that
// fails quarantined without disturbing the valid anchors.

#include "directory/ad_mapping.h"

#include <gtest/gtest.h>

#include "anchor_fixtures.h"
#include "directory/ad_reader.h"
#include "formats/dnsrecord.h"

namespace anchorage::directory {
namespace {

const std::string kPartition = "DC=ForestDnsZones,DC=corp,DC=example,DC=test";
const std::string kDomainSid = "S-1-5-21-1004336348-1177238915-682003330";

// A binary SID: revision 1, the authority, the sub-authorities little-endian.
std::string binarySid(uint8_t authority, const std::vector<uint32_t>& subs) {
  std::string b = {1, static_cast<char>(subs.size()), 0, 0, 0, 0, 0, static_cast<char>(authority)};
  for (uint32_t s : subs) {
    for (int i = 0; i < 4; ++i) {
      b += static_cast<char>((s >> (8 * i)) & 0xff);
    }
  }
  return b;
}

// A self-relative security descriptor with only an owner.
std::string descriptorOwnedBy(const std::string& sid) {
  std::string sd(20, '\0');
  sd[0] = 1;
  sd[2] = 0x00;
  sd[3] = static_cast<char>(0x80);  // SE_SELF_RELATIVE
  sd[4] = 20;                       // OffsetOwner
  return sd + sid;
}

const std::string kDomainAdmins = binarySid(5, {21, 1004336348, 1177238915, 682003330, 512});
const std::string kPlainUser = binarySid(5, {21, 1004336348, 1177238915, 682003330, 1105});

std::string value(const model::TrustAnchor& a) {
  const auto blob = formats::encodeDnsRecord(formats::dnsRecordFromAnchor(a.record, 1));
  return std::string(blob.begin(), blob.end());
}

Entry node(const std::string& dc, const std::vector<std::string>& values,
           const std::string& owner = kDomainAdmins) {
  Entry e;
  e.dn = AdLayout(kPartition).node(testdata::name(dc == "." ? "." : dc + "."));
  e.attributes["objectClass"] = {"top", "dnsNode"};
  e.attributes["dc"] = {dc};
  e.attributes["dnsRecord"] = values;
  e.attributes["nTSecurityDescriptor"] = {descriptorOwnedBy(owner)};
  return e;
}

AdOwnerPolicy policy() {
  return {defaultTrustedSids(kDomainSid, kDomainSid)};
}

ScopeContent read(const std::vector<Entry>& entries, const AdOwnerPolicy& p = policy()) {
  std::vector<const Entry*> pointers;
  for (const auto& e : entries) {
    pointers.push_back(&e);
  }
  return readAdTrustAnchors(AdLayout(kPartition), pointers, p);
}

TEST(AdMappingTest, LayoutNamesTheZoneAndItsNodes) {
  const AdLayout layout(kPartition);
  EXPECT_EQ(layout.zone(), "DC=TrustAnchors,CN=MicrosoftDNS," + kPartition);
  EXPECT_EQ(layout.node(testdata::name("example.net.")), "DC=example.net," + layout.zone());
  EXPECT_EQ(layout.node(testdata::name(".")), "DC=.," + layout.zone());
  EXPECT_EQ(layout.node(testdata::name("a\\,b.example.")), "DC=a\\,b.example," + layout.zone());
}

TEST(AdMappingTest, SidsAndOwnersDecode) {
  EXPECT_EQ(sidToString(binarySid(5, {9})).value(), "S-1-5-9");
  EXPECT_EQ(sidToString(kDomainAdmins).value(), kDomainSid + "-512");
  EXPECT_EQ(ownerOfSecurityDescriptor(descriptorOwnedBy(kPlainUser)).value(), kDomainSid + "-1105");
  EXPECT_FALSE(sidToString(kDomainAdmins.substr(0, 12)));
  EXPECT_FALSE(sidToString(std::string("\x02\x00\x00\x00\x00\x00\x00\x05", 8)));
  EXPECT_FALSE(ownerOfSecurityDescriptor(std::string(10, '\0')));
  std::string no_owner = descriptorOwnedBy(kPlainUser);
  no_owner[4] = 0;
  EXPECT_FALSE(ownerOfSecurityDescriptor(no_owner));
  std::string outside = descriptorOwnedBy(kPlainUser);
  outside[4] = static_cast<char>(200);
  EXPECT_FALSE(ownerOfSecurityDescriptor(outside));
  const auto defaults = defaultTrustedSids(kDomainSid, "S-1-5-21-9-9-9");
  EXPECT_EQ(defaults,
            (std::set<std::string>{kDomainSid + "-512", "S-1-5-21-9-9-9-519", "S-1-5-9"}));
}

TEST(AdMappingTest, DsAndDnskeyValuesOfATrustedNodeBecomeAnchors) {
  const auto ds = testdata::ds("example.net.", testdata::kRootDs);
  const auto key = testdata::key("example.net.", testdata::kKsk2017);
  const auto content = read({node("example.net", {value(ds), value(key)})});
  EXPECT_TRUE(content.quarantined.empty());
  ASSERT_EQ(content.anchors.size(), 2u);
  EXPECT_EQ(content.anchors[0].record, ds.record);
  EXPECT_EQ(content.anchors[1].record, key.record);
  EXPECT_EQ(content.anchors[0].state, model::KeyState::kValid);
  ASSERT_EQ(content.trust_points.size(), 1u);
  EXPECT_EQ(content.trust_points[0].name.text(), "example.net.");
  EXPECT_TRUE(content.trust_points[0].distribute);
}

TEST(AdMappingTest, AMalformedValueIsQuarantinedAndTheOthersStay) {
  const auto ds = testdata::ds("example.net.", testdata::kRootDs);
  // DataLength 0xffff over a 5-octet value: Samba stores it as it is.
  const std::string garbage("\xff\xff\x2b\x00\x05", 5);
  auto bad_digest = ds;
  std::get<model::DsRdata>(bad_digest.record.rdata).digest.resize(20);
  const auto content = read({node("example.net", {value(ds), garbage, value(bad_digest)})});
  ASSERT_EQ(content.anchors.size(), 1u);
  EXPECT_EQ(content.anchors[0].record, ds.record);
  ASSERT_EQ(content.quarantined.size(), 2u);
  EXPECT_NE(content.quarantined[0].reason.find("dnsRecord value 2"), std::string::npos);
  EXPECT_NE(content.quarantined[1].reason.find("dnsRecord value 3"), std::string::npos);
  EXPECT_EQ(content.quarantined[0].dn, AdLayout(kPartition).node(testdata::name("example.net.")));
}

TEST(AdMappingTest, ANodeOfAnUntrustedOwnerIsQuarantined) {
  const auto ds = testdata::ds("example.net.", testdata::kRootDs);
  const auto content = read({node("example.net", {value(ds)}, kPlainUser)});
  EXPECT_TRUE(content.anchors.empty());
  ASSERT_EQ(content.quarantined.size(), 1u);
  EXPECT_NE(content.quarantined[0].reason.find(kDomainSid + "-1105"), std::string::npos);
  // Without a policy every owner is accepted; with one, a missing descriptor is not.
  EXPECT_EQ(read({node("example.net", {value(ds)}, kPlainUser)}, {}).anchors.size(), 1u);
  auto bare = node("example.net", {value(ds)});
  bare.attributes.erase("nTSecurityDescriptor");
  EXPECT_EQ(read({bare}).quarantined.size(), 1u);
  // Enterprise Domain Controllers, a well-known SID, is trusted by default.
  EXPECT_EQ(read({node("example.net", {value(ds)}, binarySid(5, {9}))}).anchors.size(), 1u);
}

TEST(AdMappingTest, TombstonedNodesOtherTypesTheApexAndOtherZonesAreLeftOut) {
  const auto ds = testdata::ds("example.net.", testdata::kRootDs);
  auto tombstoned = node("example.net", {value(ds)});
  tombstoned.attributes["dNSTombstoned"] = {"TRUE"};
  auto deleted = node("gone.example", {value(testdata::ds("gone.example.", testdata::kRootDs))});
  deleted.attributes["isDeleted"] = {"TRUE"};
  formats::DnsRecordValue a;
  a.type = 1;
  a.data = {192, 0, 2, 1};
  const auto a_blob = formats::encodeDnsRecord(a);
  auto apex = node("example.net", {std::string(a_blob.begin(), a_blob.end())});
  apex.attributes["dc"] = {"@"};
  apex.dn = "DC=@," + AdLayout(kPartition).zone();
  auto elsewhere = node("example.net", {value(ds)});
  elsewhere.dn = "DC=example.net,DC=corp.example.test,CN=MicrosoftDNS," + kPartition;
  const auto only_a = node("host.example", {std::string(a_blob.begin(), a_blob.end())});
  const auto content = read({tombstoned, deleted, apex, elsewhere, only_a});
  EXPECT_TRUE(content.anchors.empty());
  EXPECT_TRUE(content.trust_points.empty());
  EXPECT_TRUE(content.quarantined.empty());
}

TEST(AdMappingTest, ATrustedTombstoneConfirmsTheWithdrawalForAWeek) {
  const auto at = model::parseTime("2026-12-04T17:00:00Z").value();
  const auto stone = formats::encodeDnsRecord(formats::tombstoneRecord(at));
  auto trusted = node("example.net", {std::string(stone.begin(), stone.end())});
  trusted.attributes["dNSTombstoned"] = {"TRUE"};
  auto untrusted = node("other.example", {std::string(stone.begin(), stone.end())}, kPlainUser);
  untrusted.attributes["dNSTombstoned"] = {"TRUE"};
  const auto content = read({trusted, untrusted});
  EXPECT_TRUE(content.anchors.empty());
  EXPECT_TRUE(content.quarantined.empty()) << "a tombstone holds nothing to quarantine";
  ASSERT_EQ(content.trust_points.size(), 1u);
  EXPECT_EQ(content.trust_points[0].name.text(), "example.net.");
  EXPECT_EQ(content.trust_points[0].removal_confirmed_until, at + std::chrono::days(7));
}

TEST(AdMappingTest, PublisherSignaturesInTxtValuesAttachToTheirAnchors) {
  const auto ds = testdata::ds("example.net.", testdata::kRootDs);
  const std::string stored = "ed25519 0123456789abcdef c2lnbmF0dXJl";
  const auto txt = formats::encodeDnsRecord(
      formats::txtRecord(kAdSignaturePrefix + ds.id() + " " + stored, 1, 3600));
  const auto other_txt = formats::encodeDnsRecord(formats::txtRecord("v=spf1 -all", 1, 3600));
  const auto content =
      read({node("example.net", {value(ds), std::string(txt.begin(), txt.end()),
                                 std::string(other_txt.begin(), other_txt.end())})});
  ASSERT_EQ(content.anchors.size(), 1u);
  EXPECT_EQ(content.anchors[0].publisher_signature, stored);
  EXPECT_TRUE(content.quarantined.empty());
  auto decoded = formats::decodeDnsRecord(txt);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(formats::singleTxt(*decoded).value(), kAdSignaturePrefix + ds.id() + " " + stored);
}

TEST(AdMappingTest, SnapshotsSurviveTheStateFileWithTheirOwners) {
  const auto ds = testdata::ds("example.net.", testdata::kRootDs);
  AdSnapshot snapshot;
  snapshot.entries = {node("example.net", {value(ds)})};
  snapshot.owners = policy();
  const std::string cookie("\x00\x01cookie\xff", 9);
  const auto [back, back_cookie] = fromSyncState(toSyncState(snapshot, cookie));
  EXPECT_EQ(back_cookie, cookie);
  EXPECT_EQ(back.owners.trusted_sids, snapshot.owners.trusted_sids);
  ASSERT_EQ(back.entries.size(), 1u);
  EXPECT_EQ(back.entries[0].attributes, snapshot.entries[0].attributes);
  EXPECT_EQ(back.content(AdLayout(kPartition)).anchors.size(), 1u);
}

TEST(AdMappingTest, TheRootTrustPointUsesTheDotNode) {
  const auto key = testdata::key(".", testdata::kKsk2017);
  const auto content = read({node(".", {value(key)})});
  ASSERT_EQ(content.anchors.size(), 1u);
  EXPECT_EQ(content.anchors[0].record.owner.text(), ".");
}

}  // namespace
}  // namespace anchorage::directory
