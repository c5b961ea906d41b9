// SPDX-License-Identifier: Apache-2.0
//
// The agent's policy: which anchors and NTAs reach the resolvers, and the mass-removal guard.

#include "agent/policy.h"

#include <gtest/gtest.h>

#include "util/encoding.h"

namespace anchorage::agent {
namespace {

using model::DomainName;
using model::KeyState;
using model::Time;

const Time kNow = model::parseTime("2026-12-03T12:00:00Z").value();

DomainName name(const std::string& text) {
  return DomainName::parse(text).value();
}

model::TrustAnchor anchor(const std::string& owner, uint32_t seed,
                          KeyState state = KeyState::kValid) {
  model::TrustAnchor a;
  a.record.owner = name(owner);
  const std::string s = std::to_string(seed);
  a.record.rdata = model::DsRdata{static_cast<uint16_t>(seed), 13, 2,
                                  util::digest("sha256", {s.begin(), s.end()})};
  a.state = state;
  return a;
}

ScopeInput scope(std::vector<model::TrustAnchor> anchors,
                 std::vector<model::NegativeTrustAnchor> ntas = {}) {
  ScopeInput in{"dc=test"};
  std::set<std::string> points;
  for (const auto& a : anchors) {
    if (points.insert(a.record.owner.text()).second) {
      in.content.trust_points.push_back({a.record.owner});
    }
  }
  in.content.anchors = std::move(anchors);
  in.content.ntas = std::move(ntas);
  return in;
}

AppliedSet applied(const Decision& d) {
  return {d.anchors, d.ntas, d.digest};
}

TEST(PolicyTest, AppliesOnlyValidAndMissingAnchors) {
  const auto d =
      decide({scope({anchor("a.example.", 1), anchor("a.example.", 2, KeyState::kMissing),
                     anchor("a.example.", 3, KeyState::kAddPend),
                     anchor("a.example.", 4, KeyState::kRevoked),
                     anchor("a.example.", 5, KeyState::kRemoved)})},
             std::nullopt, {}, kNow);
  ASSERT_EQ(d.anchors.size(), 2u);
  EXPECT_EQ(d.anchors[0].state == KeyState::kMissing || d.anchors[1].state == KeyState::kMissing,
            true);
  EXPECT_FALSE(d.held);
}

TEST(PolicyTest, SkipsTrustPointsTakenOutOfDistribution) {
  auto in = scope({anchor("a.example.", 1), anchor("b.example.", 2)});
  in.content.trust_points[1].distribute = false;
  const auto d = decide({in}, std::nullopt, {}, kNow);
  ASSERT_EQ(d.anchors.size(), 1u);
  EXPECT_EQ(d.anchors[0].record.owner.text(), "a.example.");
}

TEST(PolicyTest, MergesScopesAndDeduplicates) {
  const auto d = decide(
      {scope({anchor("a.example.", 1)}), scope({anchor("a.example.", 1), anchor("b.example.", 2)})},
      std::nullopt, {}, kNow);
  EXPECT_EQ(d.anchors.size(), 2u);
}

TEST(PolicyTest, ExpiredNtasAreDroppedAndTheNextExpiryIsReported) {
  const auto soon = kNow + std::chrono::hours(1);
  const auto later = kNow + std::chrono::hours(5);
  const auto d = decide(
      {scope({anchor("a.example.", 1)},
             {{name("lab.a.example."), kNow - std::chrono::seconds(1), "old", ""},
              {name("dev.a.example."), later, "dev", ""}}),
       scope({}, {{name("dev.a.example."), soon, "dev", ""}, {name("x.example."), soon, "x", ""}})},
      std::nullopt, {}, kNow);
  ASSERT_EQ(d.ntas.size(), 2u);
  for (const auto& n : d.ntas) {
    EXPECT_NE(n.name.text(), "lab.a.example.");
    if (n.name.text() == "dev.a.example.") {
      EXPECT_EQ(n.expires, later) << "the latest expiry of a name wins";
    }
  }
  EXPECT_EQ(d.next_change, soon);
}

TEST(PolicyTest, DigestIsStableAcrossOrder) {
  const auto a =
      decide({scope({anchor("a.example.", 1), anchor("b.example.", 2)})}, std::nullopt, {}, kNow);
  const auto b =
      decide({scope({anchor("b.example.", 2), anchor("a.example.", 1)})}, std::nullopt, {}, kNow);
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.digest.size(), 64u);
}

TEST(PolicyTest, GuardHoldsTheWithdrawalOfAWholeTrustPoint) {
  const auto first =
      decide({scope({anchor("a.example.", 1), anchor("b.example.", 2), anchor("c.example.", 3)})},
             std::nullopt, {}, kNow);
  const auto d =
      decide({scope({anchor("a.example.", 1), anchor("c.example.", 3), anchor("d.example.", 4)})},
             applied(first), {}, kNow);
  EXPECT_TRUE(d.held);
  EXPECT_EQ(d.withdrawn_trust_points, std::vector<std::string>{"b.example."});
  EXPECT_NE(d.hold_reason.find("b.example."), std::string::npos);
  EXPECT_EQ(d.anchors.size(), 4u) << "withdrawn anchor kept, addition applied";
}

TEST(PolicyTest, GuardHoldsRemovalAboveTheShare) {
  const auto first = decide({scope({anchor("a.example.", 1), anchor("a.example.", 2),
                                    anchor("a.example.", 3), anchor("a.example.", 4)})},
                            std::nullopt, {}, kNow);
  const auto half =
      decide({scope({anchor("a.example.", 1), anchor("a.example.", 2)})}, applied(first), {}, kNow);
  EXPECT_FALSE(half.held) << "exactly the share is allowed";
  const auto most = decide({scope({anchor("a.example.", 1)})}, applied(first), {}, kNow);
  EXPECT_TRUE(most.held);
  EXPECT_EQ(most.withdrawn_anchors, 3u);
  EXPECT_EQ(most.anchors.size(), 4u);
}

TEST(PolicyTest, ConfirmationOrConfigReleasesTheGuard) {
  const auto first =
      decide({scope({anchor("a.example.", 1), anchor("b.example.", 2)})}, std::nullopt, {}, kNow);
  auto next = scope({anchor("a.example.", 1)});
  EXPECT_TRUE(decide({next}, applied(first), {}, kNow).held);

  auto confirmed = next;
  confirmed.content.removal_confirmed_until = kNow + std::chrono::minutes(10);
  EXPECT_FALSE(decide({confirmed}, applied(first), {}, kNow).held);
  confirmed.content.removal_confirmed_until = kNow - std::chrono::minutes(1);
  EXPECT_TRUE(decide({confirmed}, applied(first), {}, kNow).held) << "confirmation expired";

  auto point_confirmed = next;
  point_confirmed.content.trust_points.push_back({name("b.example.")});
  point_confirmed.content.trust_points.back().removal_confirmed_until =
      kNow + std::chrono::minutes(10);
  EXPECT_FALSE(decide({point_confirmed}, applied(first), {}, kNow).held);

  const auto allowed = decide({next}, applied(first), {0.5, true}, kNow);
  EXPECT_FALSE(allowed.held);
  EXPECT_EQ(allowed.anchors.size(), 1u);
}

TEST(PolicyTest, ConfirmedTrustPointsDoNotCountTowardsTheShare) {
  // The only trust point of the scope, withdrawn with confirmation (remove --force, or a
  // tombstoned AD node): 2 of 2 anchors go, and that is no accident.
  const auto first =
      decide({scope({anchor("a.example.", 1), anchor("a.example.", 2)})}, std::nullopt, {}, kNow);
  auto emptied = scope({});
  emptied.content.trust_points.push_back({name("a.example.")});
  emptied.content.trust_points.back().removal_confirmed_until = kNow + std::chrono::hours(1);
  const auto d = decide({emptied}, applied(first), {}, kNow);
  EXPECT_FALSE(d.held) << d.hold_reason;
  EXPECT_TRUE(d.anchors.empty());
  EXPECT_EQ(d.withdrawn_anchors, 2u);

  // One confirmed trust point does not let an unconfirmed mass removal through with it.
  const auto three = decide({scope({anchor("a.example.", 1), anchor("b.example.", 2),
                                    anchor("c.example.", 3), anchor("c.example.", 4)})},
                            std::nullopt, {}, kNow);
  auto only_a_confirmed = scope({anchor("b.example.", 2)});
  only_a_confirmed.content.trust_points.push_back({name("a.example.")});
  only_a_confirmed.content.trust_points.back().removal_confirmed_until =
      kNow + std::chrono::hours(1);
  EXPECT_TRUE(decide({only_a_confirmed}, applied(three), {}, kNow).held);
}

TEST(PolicyTest, RolloverIsNotAMassRemoval) {
  // RFC 5011 rollover: both keys trusted, then the old one revoked.
  const auto first =
      decide({scope({anchor(".", 20326), anchor(".", 38696)})}, std::nullopt, {}, kNow);
  const auto d = decide({scope({anchor(".", 20326, KeyState::kRevoked), anchor(".", 38696)})},
                        applied(first), {}, kNow);
  EXPECT_FALSE(d.held);
  ASSERT_EQ(d.anchors.size(), 1u);
  EXPECT_EQ(d.anchors[0].record.keyTag(), 38696);
}

}  // namespace
}  // namespace anchorage::agent
