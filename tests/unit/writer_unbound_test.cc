// SPDX-License-Identifier: Apache-2.0
//
// Tests of the Unbound renderer: trust-anchor-file lines for Valid and Missing anchors only, the
// state comment, domain-insecure lines for NTAs (RFC 7646), and the settings it needs.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "anchor_fixtures.h"
#include "writers/detail.h"
#include "writers/unbound_writer.h"

namespace anchorage::writers {
namespace {

using testdata::kCorpKey;
using testdata::kRootDs;
using testdata::name;

using ::testing::HasSubstr;
using ::testing::Not;

model::TrustAnchor ds(std::string_view owner, std::string_view rdata,
                      model::KeyState state = model::KeyState::kValid) {
  model::TrustAnchor a;
  a.record = {name(owner), 3600, model::parseDsRdata(rdata).value()};
  a.state = state;
  return a;
}

model::TrustAnchor key(std::string_view owner, std::string_view rdata,
                       model::KeyState state = model::KeyState::kValid) {
  model::TrustAnchor a;
  a.record = {name(owner), 3600, model::parseDnskeyRdata(rdata).value()};
  a.state = state;
  return a;
}

NegativeTrustAnchor nta(std::string_view n, std::string reason = "") {
  return {name(n), model::parseTime("2030-01-01T00:00:00Z").value(), std::move(reason)};
}

UnboundWriter writer(std::string nta_file = "/etc/unbound/anchorage-ntas.conf") {
  WriterSettings s;
  s.type = ResolverType::kUnbound;
  s.anchor_file = "/etc/unbound/anchorage.anchors";
  s.nta_file = std::move(nta_file);
  return UnboundWriter(s);
}

TEST(WriterUnboundTest, RendersValidAndMissingAnchorsAsZoneLines) {
  AnchorSet set;
  set.anchors = {ds(".", kRootDs), key("corp.example.", kCorpKey, model::KeyState::kMissing),
                 ds("pend.example.", "1 13 2 AABB", model::KeyState::kAddPend),
                 ds("gone.example.", "2 13 2 AABB", model::KeyState::kRevoked)};
  const std::string text = writer().render(set).value();
  EXPECT_THAT(text, HasSubstr("\n. 3600 IN DS " + std::string(kRootDs) + "\n"));
  EXPECT_THAT(text, HasSubstr("\ncorp.example. 3600 IN DNSKEY " + std::string(kCorpKey) + "\n"));
  EXPECT_THAT(text, Not(HasSubstr("pend.example.")));
  EXPECT_THAT(text, Not(HasSubstr("gone.example.")));
  EXPECT_EQ(text.rfind("; Trust anchors for Unbound", 0), 0u);
  // Every line is a comment or a record: Unbound reads the file as a zone file.
  size_t records = 0;
  for (size_t pos = 0; pos < text.size();) {
    const size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    if (line[0] != ';') {
      ++records;
    }
    pos = end + 1;
  }
  EXPECT_EQ(records, 2u);
}

TEST(WriterUnboundTest, StateCommentNamesTheTrustPointsAndNtas) {
  AnchorSet set;
  set.anchors = {ds(".", kRootDs)};
  set.ntas = {nta("lab.corp.example.")};
  const std::string text = writer().render(set).value();
  auto state = detail::parseState(text, ";");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->trust_points.size(), 1u);
  EXPECT_EQ(state->trust_points.count("."), 1u);
  EXPECT_EQ(state->ntas.at("lab.corp.example."), "2030-01-01T00:00:00Z");
}

TEST(WriterUnboundTest, RendersNtasAsDomainInsecure) {
  AnchorSet set;
  set.ntas = {nta("lab.corp.example.", "broken\nsigner; ticket 42")};
  const std::string text = writer().renderNtas(set).value();
  EXPECT_THAT(text, HasSubstr("server:\n"));
  EXPECT_THAT(text, HasSubstr("  domain-insecure: \"lab.corp.example.\"\n"));
  EXPECT_THAT(text, HasSubstr("# until 2030-01-01T00:00:00Z: broken signer; ticket 42\n"));
  const auto files = writer().renderFiles(set).value();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[1].path, "/etc/unbound/anchorage-ntas.conf");
  EXPECT_EQ(files[1].content, text);
}

TEST(WriterUnboundTest, NtaFileStaysValidWhenEmpty) {
  const std::string text = writer().renderNtas({}).value();
  EXPECT_THAT(text, HasSubstr("server:\n"));
  EXPECT_THAT(text, Not(HasSubstr("domain-insecure:")));
}

TEST(WriterUnboundTest, NtasNeedAnNtaFile) {
  AnchorSet set;
  set.ntas = {nta("lab.corp.example.")};
  auto files = writer("").renderFiles(set);
  ASSERT_FALSE(files);
  EXPECT_EQ(files.error().code, ErrorCode::kConfig);
  // Without NTAs the anchor file alone is fine.
  EXPECT_EQ(writer("").renderFiles({}).value().size(), 1u);
}

TEST(WriterUnboundTest, NtaAtATrustPointSwitchesItsAnchorsOff) {
  // Unbound lets an anchor override domain-insecure at the same name; RFC 7646 wants the NTA.
  AnchorSet set;
  set.anchors = {key("corp.example.", kCorpKey), ds(".", kRootDs)};
  set.ntas = {nta("corp.example.")};
  const std::string text = writer().render(set).value();
  EXPECT_THAT(text, Not(HasSubstr("IN DNSKEY")));
  EXPECT_THAT(text, HasSubstr(". 3600 IN DS 20326"));
}

TEST(WriterUnboundTest, RefusesNtaNamesThatCannotBeQuoted) {
  AnchorSet set;
  set.ntas = {nta("we\\\"ird.example.")};
  auto text = writer().renderNtas(set);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, ErrorCode::kUnsupported);
}

}  // namespace
}  // namespace anchorage::writers
