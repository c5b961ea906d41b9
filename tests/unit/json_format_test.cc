// SPDX-License-Identifier: Apache-2.0
//
// Tests of the Anchorage JSON reader and writer: the document shape, optional fields that must
// agree with rdata, problems that name anchors[i] and the field, the nesting bound, duplicate
// keys, and a render/parse round trip.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "formats/detail.h"
#include "formats/format.h"
#include "formats/reader_support.h"
#include "model/anchor.h"
#include "util/file.h"

namespace anchorage::formats {
namespace {

using model::DomainName;
using model::TrustAnchor;

constexpr const char* kDs20326 =
    "20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D";

std::string readData(const std::string& name) {
  return util::readFile(std::string(ANCHORAGE_TEST_DATA) + "/json/" + name, 1 << 20).value();
}

/// A document with one anchor object whose extra members the test adds (",\"key\": value").
std::string oneAnchor(const std::string& extra, const std::string& rdata = kDs20326,
                      const std::string& type = "DS") {
  return "{\"anchors\": [{\"owner\": \".\", \"type\": \"" + type + "\", \"rdata\": \"" + rdata +
         "\"" + extra + "}]}";
}

/// The single problem of `r`, failing the test when there is not exactly one.
ParseProblem onlyProblem(const ParseResult& r) {
  EXPECT_EQ(r.problems.size(), 1u);
  EXPECT_TRUE(r.anchors.empty());
  return r.problems.empty() ? ParseProblem{} : r.problems.front();
}

TEST(JsonFormatTest, ReadsFixtureWithFullAndMinimalAnchors) {
  const auto r = detail::parseJson(readData("ok_anchors.json"), "anchors.json");
  ASSERT_TRUE(r.clean()) << r.problems.front().reason;
  ASSERT_EQ(r.anchors.size(), 2u);
  const TrustAnchor& root = r.anchors[0].anchor;
  EXPECT_EQ(root.record.rdataText(), kDs20326);
  EXPECT_EQ(root.record.ttl, 172800u);
  EXPECT_EQ(root.origin, model::Origin::kRoot);
  EXPECT_EQ(model::formatTime(*root.valid_from), "2017-02-02T00:00:00Z");
  EXPECT_FALSE(root.valid_until);
  EXPECT_EQ(model::formatTime(*root.state_changed), "2024-01-01T12:00:00Z");
  EXPECT_EQ(r.anchors[0].where.toString(), "anchors.json:3");

  const TrustAnchor& corp = r.anchors[1].anchor;
  EXPECT_EQ(corp.record.owner.text(), "corp.example.");
  EXPECT_FALSE(corp.record.isDs());
  EXPECT_EQ(corp.record.ttl, 3600u);
  EXPECT_EQ(corp.state, model::KeyState::kValid);
  EXPECT_EQ(corp.origin, model::Origin::kManual);
  EXPECT_EQ(r.anchors[1].where.line, 20u);
}

TEST(JsonFormatTest, KeyTagDisagreeingWithRdataNamesIndexAndField) {
  const auto r = detail::parseJson(readData("err_key-tag-mismatch.json"), "x.json");
  ASSERT_EQ(r.anchors.size(), 1u);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].reason, "anchors[1].key_tag: 38697 does not match rdata (38696)");
  EXPECT_EQ(r.problems[0].where.toString(), "x.json:8");
}

TEST(JsonFormatTest, RenderThenParseRoundTrips) {
  TrustAnchor ds;
  ds.record = {DomainName::parse("corp.example.").value(), 7200,
               model::parseDsRdata("17212 13 2 D34A5F0E1B6C7A8D9E0F1A2B3C4D5E6F708192A3B4C5D6E7F8"
                                   "091A2B3C4D5E6F")
                   .value()};
  ds.state = model::KeyState::kAddPend;
  ds.origin = model::Origin::kRfc5011;
  ds.valid_from = model::parseTime("2025-01-01T00:00:00Z").value();
  ds.valid_until = model::parseTime("2026-01-01T00:00:00Z").value();
  ds.state_changed = model::parseTime("2025-02-03T04:05:06Z").value();
  ds.hold_down_until = model::parseTime("2025-03-05T04:05:06Z").value();
  TrustAnchor key;
  key.record = {
      DomainName(), 172800,
      model::parseDnskeyRdata("385 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=").value()};
  key.state = model::KeyState::kRevoked;

  const auto text = detail::renderJson({ds, key});
  ASSERT_TRUE(text) << text.error().toString();
  const auto r = detail::parseJson(*text, "rendered");
  ASSERT_TRUE(r.clean()) << r.problems.front().reason;
  ASSERT_EQ(r.anchors.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const TrustAnchor& in = i == 0 ? ds : key;
    const TrustAnchor& out = r.anchors[i].anchor;
    EXPECT_EQ(out.record, in.record);
    EXPECT_EQ(out.record.ttl, in.record.ttl);
    EXPECT_EQ(out.state, in.state);
    EXPECT_EQ(out.origin, in.origin);
    EXPECT_EQ(out.valid_from, in.valid_from);
    EXPECT_EQ(out.valid_until, in.valid_until);
    EXPECT_EQ(out.state_changed, in.state_changed);
    EXPECT_EQ(out.hold_down_until, in.hold_down_until);
  }
  EXPECT_EQ(detail::renderJson({ds, key}).value(), *text);
}

TEST(JsonFormatTest, RenderWritesTheDocumentShape) {
  TrustAnchor ds;
  ds.record = {DomainName(), 3600, model::parseDsRdata(kDs20326).value()};
  const auto doc = nlohmann::json::parse(detail::renderJson({ds}).value());
  const auto& a = doc.at("anchors").at(0);
  EXPECT_EQ(a.at("owner"), ".");
  EXPECT_EQ(a.at("type"), "DS");
  EXPECT_EQ(a.at("ttl"), 3600);
  EXPECT_EQ(a.at("rdata"), kDs20326);
  EXPECT_EQ(a.at("key_tag"), 20326);
  EXPECT_EQ(a.at("algorithm"), 8);
  EXPECT_EQ(a.at("algorithm_name"), "RSASHA256");
  EXPECT_EQ(a.at("digest_type"), 2);
  EXPECT_EQ(a.at("id"), ds.id());
  EXPECT_EQ(a.at("state"), "Valid");
  EXPECT_EQ(a.at("origin"), "manual");
  EXPECT_TRUE(a.at("valid_from").is_null());
  EXPECT_TRUE(a.at("hold_down_until").is_null());
  EXPECT_EQ(detail::renderJson({}).value(), "{\n  \"anchors\": []\n}\n");
}

TEST(JsonFormatTest, DispatchesThroughParseAndDetectsFormat) {
  const std::string text = readData("ok_anchors.json");
  EXPECT_EQ(detectFormat(text, "a.json"), Format::kJson);
  EXPECT_EQ(parse(Format::kJson, text, "a.json").anchors.size(), 2u);
}

// Malformed input: each gives a precise problem naming anchors[i] and the field.

TEST(JsonFormatTest, MissingOwnerIsRequired) {
  const auto p = onlyProblem(detail::parseJson(
      "{\"anchors\": [{\"type\": \"DS\", \"rdata\": \"" + std::string(kDs20326) + "\"}]}", "x"));
  EXPECT_EQ(p.reason, "anchors[0].owner: is required");
}

TEST(JsonFormatTest, WrongTypeIsAProblem) {
  const auto p = onlyProblem(detail::parseJson(oneAnchor("", kDs20326, "NS"), "x"));
  EXPECT_EQ(p.reason, "anchors[0].type: must be \"DS\" or \"DNSKEY\"");
}

TEST(JsonFormatTest, BadRdataIsAProblem) {
  const auto p = onlyProblem(detail::parseJson(oneAnchor("", "20326 8 2 XYZ"), "x"));
  EXPECT_EQ(p.reason, "anchors[0].rdata: DS digest: hex data has a non-hex character") << p.reason;
}

TEST(JsonFormatTest, AlgorithmNameDisagreeingWithRdataIsAProblem) {
  const auto p = onlyProblem(detail::parseJson(oneAnchor(",\"algorithm_name\": \"ED25519\""), "x"));
  EXPECT_EQ(p.reason, "anchors[0].algorithm_name: \"ED25519\" does not match rdata (RSASHA256)");
}

TEST(JsonFormatTest, DigestTypeDisagreeingWithRdataIsAProblem) {
  const auto p = onlyProblem(detail::parseJson(oneAnchor(",\"digest_type\": 1"), "x"));
  EXPECT_EQ(p.reason, "anchors[0].digest_type: 1 does not match rdata (2)");
}

TEST(JsonFormatTest, IdDisagreeingWithRdataIsAProblem) {
  const auto p = onlyProblem(detail::parseJson(oneAnchor(",\"id\": \"ds-20326-8-00000000\""), "x"));
  EXPECT_EQ(p.reason,
            "anchors[0].id: \"ds-20326-8-00000000\" does not match rdata (ds-20326-8-033a6d38)");
}

TEST(JsonFormatTest, NegativeOrTextTtlIsAProblem) {
  for (const std::string ttl : {"-1", "\"3600\"", "1.5", "4294967296"}) {
    const auto p = onlyProblem(detail::parseJson(oneAnchor(",\"ttl\": " + ttl), "x"));
    EXPECT_EQ(p.reason, "anchors[0].ttl: must be an integer from 0 to 2147483647") << ttl;
  }
}

TEST(JsonFormatTest, UnknownStateIsAProblem) {
  const auto p = onlyProblem(detail::parseJson(oneAnchor(",\"state\": \"Trusted\""), "x"));
  EXPECT_EQ(p.reason.rfind("anchors[0].state: must be Start", 0), 0u);
}

TEST(JsonFormatTest, BadTimeIsAProblem) {
  const auto p = onlyProblem(detail::parseJson(oneAnchor(",\"valid_until\": \"tomorrow\""), "x"));
  EXPECT_EQ(p.reason, "anchors[0].valid_until: is not a time like 2017-02-02T00:00:00Z");
}

TEST(JsonFormatTest, UnknownFieldIsAProblemWithSuggestion) {
  const auto p = onlyProblem(detail::parseJson(oneAnchor(",\"valid_untill\": null"), "x"));
  EXPECT_EQ(p.reason, "anchors[0].valid_untill: unknown field; did you mean \"valid_until\"?");
}

TEST(JsonFormatTest, DnskeyFieldOnDsIsAProblem) {
  const auto p = onlyProblem(detail::parseJson(oneAnchor(",\"flags\": 257"), "x"));
  EXPECT_EQ(p.reason, "anchors[0].flags: applies only to DNSKEY anchors");
}

TEST(JsonFormatTest, ValidationErrorNamesTheIndex) {
  const auto p = onlyProblem(detail::parseJson(oneAnchor("", "20326 8 2 E06D44B8"), "x"));
  EXPECT_EQ(p.reason.rfind("anchors[0]: . DS: digest is 4 octets", 0), 0u) << p.reason;
}

TEST(JsonFormatTest, AnchorThatIsNotAnObjectIsAProblem) {
  const auto p = onlyProblem(detail::parseJson("{\"anchors\": [42]}", "x"));
  EXPECT_EQ(p.reason, "anchors[0]: must be an object");
}

TEST(JsonFormatTest, DocumentShapeProblems) {
  for (const std::string text : {"[]", "{}", "{\"anchors\": {}}", "\"anchors\""}) {
    const auto p = onlyProblem(detail::parseJson(text, "x"));
    EXPECT_EQ(p.reason, "JSON must be an object with an \"anchors\" array") << text;
  }
}

TEST(JsonFormatTest, NotWellFormedGivesTheLine) {
  const auto p = onlyProblem(detail::parseJson("{\n\"anchors\": [\n{\"owner\": \".\",,}\n]}", "x"));
  EXPECT_EQ(p.reason, "JSON is not well-formed");
  EXPECT_EQ(p.where.line, 3u);
}

TEST(JsonFormatTest, InvalidUtf8IsNotWellFormed) {
  const auto p = onlyProblem(detail::parseJson(oneAnchor(",\"state\": \"\xff\xfe\""), "x"));
  EXPECT_EQ(p.reason, "JSON is not well-formed");
}

TEST(JsonFormatTest, DuplicateKeyIsAProblem) {
  const auto p = onlyProblem(detail::parseJson(oneAnchor(",\"owner\": \"evil.example.\""), "x"));
  EXPECT_EQ(p.reason, "JSON object has the key 'owner' twice");
}

TEST(JsonFormatTest, ManyBadAnchorsGiveABoundedProblemList) {
  std::string text = "{\"anchors\": [";
  for (int i = 0; i < 3000; ++i) {
    text += std::string(i == 0 ? "" : ",") + "{\"owner\": 1}";
  }
  text += "]}";
  const auto r = detail::parseJson(text, "x");
  ASSERT_EQ(r.problems.size(), detail::kMaxListedProblems + 1);
  EXPECT_EQ(r.problems.front().reason, "anchors[0].owner: must be a string");
}

// Hostile nesting: the bound is enforced on the raw text before any tree is built.

std::string nested(size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(JsonFormatTest, NestingAtTheLimitIsParsed) {
  // 64 levels in all: document object, "anchors" array, anchor object, and 61 arrays.
  const auto r = detail::parseJson(oneAnchor(",\"state\": " + nested(61)), "x");
  const auto p = onlyProblem(r);
  EXPECT_EQ(p.reason, "anchors[0].state: must be a string");
}

TEST(JsonFormatTest, NestingBeyondTheLimitIsRefused) {
  const auto p = onlyProblem(detail::parseJson(oneAnchor(",\"state\": " + nested(62)), "x"));
  EXPECT_EQ(p.reason, "JSON nests deeper than 64 levels");
}

TEST(JsonFormatTest, MillionOpenBracketsAreRefusedWithoutCrash) {
  const auto p = onlyProblem(detail::parseJson(std::string(1'000'000, '['), "x"));
  EXPECT_EQ(p.reason, "JSON nests deeper than 64 levels");
  EXPECT_EQ(p.where.line, 1u);
}

TEST(JsonFormatTest, BracketsInsideStringsDoNotCount) {
  const std::string brackets(500, '[');
  const auto r = detail::parseJson(oneAnchor(",\"state\": \"" + brackets + "\\\"[\""), "x");
  const auto p = onlyProblem(r);
  EXPECT_EQ(p.reason.rfind("anchors[0].state: must be Start", 0), 0u);
}

}  // namespace
}  // namespace anchorage::formats
