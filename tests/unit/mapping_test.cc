// SPDX-License-Identifier: Apache-2.0
//
// Entry <-> model mapping: round trips, and strict reading that quarantines every disagreement.

#include "directory/mapping.h"

#include <gtest/gtest.h>

namespace anchorage::directory {
namespace {

using model::DomainName;

const ScopeLayout kLayout("dc=ForestDnsZones,dc=example,dc=com");

model::TrustAnchor rootDs() {
  model::TrustAnchor a;
  a.record.owner = DomainName();
  a.record.ttl = 172800;
  a.record.rdata = model::parseDsRdata(
                       "20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D")
                       .value();
  a.origin = model::Origin::kRoot;
  a.valid_from = model::parseTime("2017-02-02T00:00:00Z").value();
  return a;
}

std::vector<const Entry*> pointers(const std::vector<Entry>& entries) {
  std::vector<const Entry*> out;
  for (const auto& e : entries) {
    out.push_back(&e);
  }
  return out;
}

TEST(ScopeLayoutTest, BuildsDesignDns) {
  const auto corp = DomainName::parse("corp.example.").value();
  EXPECT_EQ(kLayout.trustPoint(corp),
            "anchorageTrustPoint=corp.example.,cn=TrustPoints,cn=Anchorage,"
            "dc=ForestDnsZones,dc=example,dc=com");
  EXPECT_EQ(kLayout.agent("dns1.example.com"),
            "cn=dns1.example.com,cn=Agents,cn=Anchorage,dc=ForestDnsZones,dc=example,dc=com");
  EXPECT_EQ(kLayout.skeleton().size(), 5u);
}

TEST(MappingTest, AnchorRoundTrips) {
  const auto a = rootDs();
  const Entry e = entryForAnchor(kLayout, a);
  EXPECT_EQ(e.first("anchorageKeyTag"), "20326");
  EXPECT_EQ(e.first("anchorageValidFrom"), "20170202000000Z");
  auto back = anchorFromEntry(e);
  ASSERT_TRUE(back) << back.error().toString();
  EXPECT_EQ(back->record, a.record);
  EXPECT_EQ(back->record.ttl, 172800u);
  EXPECT_EQ(back->origin, model::Origin::kRoot);
  EXPECT_EQ(back->valid_from, a.valid_from);
  EXPECT_EQ(back->id(), a.id());
}

TEST(MappingTest, QuarantinesDisagreements) {
  const Entry good = entryForAnchor(kLayout, rootDs());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"anchorageKeyTag", "20327"},
      {"anchorageAlgorithm", "13"},
      {"anchorageDigestType", "1"},
      {"anchorageAnchorId", "ds-20326-8-00000000"},
      {"anchorageState", "Pending"},
      {"anchorageOrigin", "somewhere"},
      {"anchorageRdata", "20326 8 2 E06D"},
      {"anchorageRdata", "not rdata"},
      {"anchorageRecordType", "TXT"},
      {"anchorageValidFrom", "yesterday"},
      {"anchorageTtl", "-1"},
  };
  for (const auto& [attribute, value] : cases) {
    Entry e = good;
    e.attributes[attribute] = {value};
    auto r = anchorFromEntry(e);
    ASSERT_FALSE(r) << attribute << "=" << value;
    EXPECT_EQ(r.error().field("attribute"), attribute) << r.error().toString();
  }
  Entry no_state = good;
  no_state.attributes.erase("anchorageState");
  EXPECT_FALSE(anchorFromEntry(no_state));
  Entry wrong_place = good;
  wrong_place.dn = "anchorageAnchorId=x,cn=TrustPoints,cn=Anchorage,dc=example";
  EXPECT_FALSE(anchorFromEntry(wrong_place));
}

TEST(MappingTest, ScopeContentQuarantinesAndKeepsGoodEntries) {
  const auto a = rootDs();
  std::vector<Entry> entries = kLayout.skeleton();
  entries.push_back(entryForTrustPoint(kLayout, {DomainName()}));
  entries.push_back(entryForAnchor(kLayout, a));
  Entry broken = entryForAnchor(kLayout, a);
  broken.dn = "anchorageAnchorId=bogus," + kLayout.trustPoint(DomainName());
  broken.attributes["anchorageAnchorId"] = {"bogus"};
  entries.push_back(broken);
  model::TrustAnchor orphan = a;
  orphan.record.owner = DomainName::parse("corp.example.").value();
  entries.push_back(entryForAnchor(kLayout, orphan));
  entries.push_back(
      entryForNta(kLayout, {DomainName::parse("lab.corp.example.").value(),
                            model::parseTime("2026-12-04T00:00:00Z").value(), "lab outage", ""}));

  const auto content = readScopeContent(pointers(entries));
  ASSERT_EQ(content.anchors.size(), 1u);
  EXPECT_EQ(content.anchors[0].id(), a.id());
  ASSERT_EQ(content.quarantined.size(), 2u);
  EXPECT_NE(content.quarantined[0].reason.find("Anchor id"), std::string::npos);
  EXPECT_NE(content.quarantined[1].reason.find("no trust point"), std::string::npos);
  ASSERT_EQ(content.ntas.size(), 1u);
  EXPECT_EQ(content.ntas[0].reason, "lab outage");
  EXPECT_EQ(content.trust_points.size(), 1u);
}

TEST(MappingTest, GeneralizedTimeIsUtcOnly) {
  const auto t = model::parseTime("2026-12-03T17:09:20Z").value();
  EXPECT_EQ(formatGeneralizedTime(t), "20261203170920Z");
  EXPECT_EQ(parseGeneralizedTime("20261203170920Z").value(), t);
  EXPECT_EQ(parseGeneralizedTime("20261203170920.123Z").value(), t);
  EXPECT_FALSE(parseGeneralizedTime("20261203170920+0100"));
  EXPECT_FALSE(parseGeneralizedTime("2026120317"));
  EXPECT_FALSE(parseGeneralizedTime("2026120317092aZ"));
}

TEST(MappingTest, SplitsEscapedDns) {
  auto rdns = splitDn("anchorageTrustPoint=a\\,b.example.,cn=TrustPoints,dc=example").value();
  ASSERT_EQ(rdns.size(), 3u);
  EXPECT_EQ(rdns[0].second, "a,b.example.");
  EXPECT_FALSE(splitDn("not a dn"));
  EXPECT_EQ(escapeDnValue("a,b+c"), "a\\,b\\+c");
  EXPECT_EQ(escapeFilterValue("a*(b)\\"), "a\\2a\\28b\\29\\5c");
}

}  // namespace
}  // namespace anchorage::directory
