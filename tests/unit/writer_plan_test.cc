// SPDX-License-Identifier: Apache-2.0
//
// Tests of what all writers share: which anchors are rendered (Valid and Missing, RFC 5011 §4.2),
// NTAs merged per name and switching off trust points at or below them (RFC 7646 §2), the state
// comment and the names to flush derived from it, resolver type names, and settings checks.

#include <gtest/gtest.h>

#include "anchor_fixtures.h"
#include "writers/detail.h"
#include "writers/writer.h"

namespace anchorage::writers {
namespace {

using testdata::name;

model::TrustAnchor ds(std::string_view owner, std::string_view rdata,
                      model::KeyState state = model::KeyState::kValid) {
  model::TrustAnchor a;
  a.record = {name(owner), 3600, model::parseDsRdata(rdata).value()};
  a.state = state;
  return a;
}

NegativeTrustAnchor nta(std::string_view n, std::string_view expiry) {
  return {name(n), model::parseTime(expiry).value(), ""};
}

TEST(WriterPlanTest, RendersOnlyValidAndMissingAnchors) {
  AnchorSet set;
  set.anchors = {ds("a.example.", "1 13 2 AA"),
                 ds("a.example.", "2 13 2 BB", model::KeyState::kMissing),
                 ds("b.example.", "3 13 2 CC", model::KeyState::kAddPend),
                 ds("c.example.", "4 13 2 DD", model::KeyState::kRevoked),
                 ds("d.example.", "5 13 2 EE", model::KeyState::kRemoved),
                 ds("e.example.", "6 13 2 FF", model::KeyState::kStart),
                 ds("a.example.", "1 13 2 AA")};
  const auto plan = detail::makePlan(set);
  ASSERT_EQ(plan.trust_points.size(), 1u);
  EXPECT_EQ(plan.trust_points[0].name().text(), "a.example.");
  EXPECT_EQ(plan.trust_points[0].anchors().size(), 2u);  // the duplicate collapses
}

TEST(WriterPlanTest, NtasMergePerNameAndCoverTrustPointsBelowThem) {
  AnchorSet set;
  set.anchors = {ds("corp.example.", "1 13 2 AA"), ds("x.lab.corp.example.", "2 13 2 BB"),
                 ds("other.example.", "3 13 2 CC")};
  set.ntas = {nta("lab.corp.example.", "2030-01-01T00:00:00Z"),
              nta("LAB.corp.example.", "2031-01-01T00:00:00Z"),
              nta("other.example.", "2030-01-01T00:00:00Z")};
  const auto plan = detail::makePlan(set);
  ASSERT_EQ(plan.ntas.size(), 2u);
  EXPECT_EQ(model::formatTime(plan.ntas[0].expires), "2031-01-01T00:00:00Z");
  ASSERT_EQ(plan.trust_points.size(), 1u);
  EXPECT_EQ(plan.trust_points[0].name().text(), "corp.example.");
  ASSERT_EQ(plan.suppressed.size(), 2u);
  EXPECT_TRUE(detail::coveredByNta(name("www.lab.corp.example."), plan.ntas));
  EXPECT_FALSE(detail::coveredByNta(name("www.corp.example."), plan.ntas));
}

TEST(WriterPlanTest, StateCommentRoundTrips) {
  AnchorSet set;
  set.anchors = {ds("corp.example.", "1 13 2 AA"), ds(".", "2 8 2 BB")};
  set.ntas = {nta("lab.corp.example.", "2030-01-01T00:00:00Z")};
  const auto state = detail::stateOf(detail::makePlan(set));
  const std::string text = "x = 1\n" + detail::renderState(state, "--") + "y = 2\n";
  auto back = detail::parseState(text, "--");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->trust_points, state.trust_points);
  EXPECT_EQ(back->ntas, state.ntas);
  EXPECT_EQ(state.trust_points.at("corp.example.").size(), 16u);
  EXPECT_FALSE(detail::parseState("; no marker here\n", ";"));
  EXPECT_FALSE(detail::parseState(text, ";"));
}

TEST(WriterPlanTest, DigestChangesWithTheAnchorsOnly) {
  AnchorSet one;
  one.anchors = {ds("corp.example.", "1 13 2 AA"), ds("corp.example.", "2 13 2 BB")};
  AnchorSet reordered;
  reordered.anchors = {ds("corp.example.", "2 13 2 BB"), ds("corp.example.", "1 13 2 AA")};
  AnchorSet other;
  other.anchors = {ds("corp.example.", "1 13 2 AB"), ds("corp.example.", "2 13 2 BB")};
  const auto a = detail::stateOf(detail::makePlan(one));
  EXPECT_EQ(a.trust_points, detail::stateOf(detail::makePlan(reordered)).trust_points);
  EXPECT_NE(a.trust_points, detail::stateOf(detail::makePlan(other)).trust_points);
}

TEST(WriterPlanTest, ChangedNamesComeFromTheStateDifference) {
  WrittenState before;
  before.trust_points = {{"corp.example.", "aa"}, {"gone.example.", "bb"}, {"same.example.", "cc"}};
  before.ntas = {{"lab.corp.example.", "2030-01-01T00:00:00Z"}};
  WrittenState after;
  after.trust_points = {{"corp.example.", "a2"}, {"new.example.", "dd"}, {"same.example.", "cc"}};
  after.ntas = {{"lab.corp.example.", "2031-01-01T00:00:00Z"}, {"x.other.example.", "2030"}};
  EXPECT_EQ(detail::changedNames(before, after),
            (std::vector<std::string>{"corp.example.", "gone.example.", "new.example.",
                                      "x.other.example."}));
  EXPECT_EQ(detail::changedNames(std::nullopt, after), (std::vector<std::string>{"."}));
  EXPECT_TRUE(detail::changedNames(after, after).empty());
  // The root covers everything below it.
  WrittenState root = after;
  root.trust_points["."] = "ee";
  EXPECT_EQ(detail::changedNames(after, root), (std::vector<std::string>{"."}));
}

TEST(WriterPlanTest, ReasonsAreCleaned) {
  EXPECT_EQ(detail::cleanReason("  a\nb\tc\x01 "), "a b c");
  EXPECT_EQ(detail::cleanReason(std::string(500, 'x')).size(), 200u);
}

TEST(WriterPlanTest, ResolverTypeNames) {
  EXPECT_EQ(parseResolverType("named").value(), ResolverType::kBind);
  EXPECT_EQ(parseResolverType("KRESD").value(), ResolverType::kKnot);
  EXPECT_EQ(parseResolverType("pdns-recursor").value(), ResolverType::kPowerDns);
  EXPECT_EQ(parseResolverType("resolved").value(), ResolverType::kSystemdResolved);
  for (auto t : {ResolverType::kUnbound, ResolverType::kBind, ResolverType::kKnot,
                 ResolverType::kPowerDns, ResolverType::kSystemdResolved}) {
    EXPECT_EQ(parseResolverType(resolverTypeName(t)).value(), t);
  }
  auto bad = parseResolverType("dnsmasq");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kConfig);
}

TEST(WriterPlanTest, CreateWriterChecksSettings) {
  WriterSettings s;
  s.type = ResolverType::kUnbound;
  EXPECT_FALSE(createWriter(s));
  s.anchor_file = "relative.zone";
  EXPECT_FALSE(createWriter(s));
  s.anchor_file = "/etc/unbound/anchors.zone";
  EXPECT_TRUE(createWriter(s));
  s.probes = {{"corp.example.", "bad..name"}};
  EXPECT_FALSE(createWriter(s));
  s.probes = {};
  s.type = ResolverType::kKnot;
  EXPECT_FALSE(createWriter(s));  // no control socket
  s.control_socket = "/run/knot-resolver/control";
  EXPECT_TRUE(createWriter(s));
}

}  // namespace
}  // namespace anchorage::writers
