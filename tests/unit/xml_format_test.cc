// SPDX-License-Identifier: Apache-2.0
//
// Tests of the RFC 9718 / RFC 7958 root anchor XML reader and writer: IANA's published file checked
// against Debian's /usr/share/dns/root.ds, the PublicKey/Flags cross-check, validity-window
// warnings, located problems for malformed input, refusal of DTDs (billion laughs, XXE), and a
// render/parse round trip.

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "formats/detail.h"
#include "formats/format.h"
#include "formats/reader_support.h"
#include "model/anchor.h"
#include "util/encoding.h"
#include "util/file.h"

namespace anchorage::formats {
namespace {

using model::DomainName;
using model::TrustAnchor;

std::string readData(const std::string& name) {
  return util::readFile(std::string(ANCHORAGE_TEST_DATA) + "/xml/" + name, 1 << 20).value();
}

std::string ds20326Hex() {
  return "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D";
}

/// A one-KeyDigest root document whose KeyDigest body and attributes the test chooses.
std::string oneDigest(const std::string& attributes, const std::string& body,
                      const std::string& zone = ".") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<TrustAnchor id=\"t\" source=\"test\">\n"
         "<Zone>" +
         zone +
         "</Zone>\n"
         "<KeyDigest " +
         attributes + ">\n" + body +
         "</KeyDigest>\n"
         "</TrustAnchor>\n";
}

std::string ksk2017Body() {
  return "<KeyTag>20326</KeyTag>\n<Algorithm>8</Algorithm>\n<DigestType>2</DigestType>\n"
         "<Digest>" +
         ds20326Hex() + "</Digest>\n";
}

const std::string kFrom = "id=\"Kx\" validFrom=\"2017-02-02T00:00:00+00:00\"";

/// The single problem of `r`, failing the test when there is not exactly one.
ParseProblem onlyProblem(const ParseResult& r) {
  EXPECT_EQ(r.problems.size(), 1u);
  EXPECT_TRUE(r.anchors.empty());
  return r.problems.empty() ? ParseProblem{} : r.problems.front();
}

bool hasWarning(const ParsedAnchor& a, const std::string& part) {
  for (const auto& f : a.findings) {
    if (f.severity == model::Severity::kWarning && f.message.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

/// The DS records of Debian's root.ds, as "tag alg dt HEX" strings.
std::set<std::string> debianRootDs() {
  const std::string text = util::readFile("/usr/share/dns/root.ds", 1 << 16).value();
  std::set<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end;
    const auto f = util::splitFields(std::string_view(text).substr(start, end - start));
    if (f.size() == 7 && f[0] == "." && f[1] == "IN" && f[2] == "DS") {
      const auto ds = model::parseDsRdata(std::string(f[3]) + " " + std::string(f[4]) + " " +
                                          std::string(f[5]) + " " + std::string(f[6]));
      out.insert(model::AnchorRecord{DomainName(), 3600, ds.value()}.rdataText());
    }
    start = end + 1;
  }
  return out;
}

TEST(XmlFormatTest, IanaFileCurrentKeyDigestsEqualDebianRootDs) {
  const auto r = detail::parseXml(readData("ok_root-anchors.xml"), "root-anchors.xml");
  ASSERT_TRUE(r.clean()) << r.problems.front().reason;
  ASSERT_EQ(r.anchors.size(), 3u);
  std::set<std::string> current;
  for (const auto& a : r.anchors) {
    if (!hasWarning(a, "expired")) {
      current.insert(a.anchor.record.rdataText());
    }
  }
  const auto expected = debianRootDs();
  ASSERT_EQ(expected.size(), 2u);
  EXPECT_EQ(current, expected);
}

TEST(XmlFormatTest, IanaFileGivesRootDsAnchorsWithTimesAndLines) {
  const auto r = detail::parseXml(readData("ok_root-anchors.xml"), "root-anchors.xml");
  ASSERT_EQ(r.anchors.size(), 3u);
  const auto& old = r.anchors[0];
  EXPECT_EQ(old.anchor.record.keyTag(), 19036);
  EXPECT_EQ(old.where.toString(), "root-anchors.xml:4");
  EXPECT_EQ(model::formatTime(*old.anchor.valid_from), "2010-07-15T00:00:00Z");
  EXPECT_EQ(model::formatTime(*old.anchor.valid_until), "2019-01-11T00:00:00Z");
  EXPECT_TRUE(hasWarning(old, "Kjqmt7v expired"));

  const auto& ksk2017 = r.anchors[1].anchor;
  EXPECT_TRUE(ksk2017.record.isDs());
  EXPECT_TRUE(ksk2017.record.owner.isRoot());
  EXPECT_EQ(ksk2017.origin, model::Origin::kRoot);
  EXPECT_EQ(ksk2017.state, model::KeyState::kValid);
  EXPECT_EQ(ksk2017.record.rdataText(), "20326 8 2 " + ds20326Hex());
  EXPECT_FALSE(ksk2017.valid_until.has_value());
  EXPECT_EQ(r.anchors[1].where.line, 10u);
  EXPECT_FALSE(hasWarning(r.anchors[1], "expired"));
  EXPECT_EQ(r.anchors[2].anchor.record.keyTag(), 38696);
  EXPECT_EQ(model::formatTime(*r.anchors[2].anchor.valid_from), "2024-07-18T00:00:00Z");
}

TEST(XmlFormatTest, ReadsRfc7958FileWithoutPublicKey) {
  const auto r = detail::parseXml(readData("ok_rfc7958-root-anchors.xml"), "old.xml");
  ASSERT_TRUE(r.clean());
  ASSERT_EQ(r.anchors.size(), 2u);
  EXPECT_EQ(r.anchors[1].anchor.record.keyTag(), 20326);
}

TEST(XmlFormatTest, DispatchesThroughParseAndDetectsFormat) {
  const std::string text = readData("ok_root-anchors.xml");
  EXPECT_EQ(detectFormat(text, "root-anchors.xml"), Format::kXml);
  EXPECT_EQ(parse(Format::kXml, text, "x").anchors.size(), 3u);
}

TEST(XmlFormatTest, DigestThatDoesNotMatchPublicKeyIsAProblem) {
  const auto p = onlyProblem(detail::parseXml(readData("err_publickey-mismatch.xml"), "m.xml"));
  EXPECT_EQ(p.where.line, 4u);
  EXPECT_NE(p.reason.find("KeyTag 20326 does not match PublicKey"), std::string::npos) << p.reason;
}

TEST(XmlFormatTest, DigestAlteredUnderMatchingKeyTagIsAProblem) {
  std::string text = readData("ok_root-anchors.xml");
  const size_t at = text.find("683D2D0A");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 8, "683D2D0B");
  const auto r = detail::parseXml(text, "x.xml");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.anchors.size(), 2u);
  EXPECT_NE(r.problems[0].reason.find("Digest does not match PublicKey and Flags"),
            std::string::npos);
  EXPECT_EQ(r.problems[0].where.line, 18u);
}

TEST(XmlFormatTest, PublicKeyWithoutFlagsIsAProblem) {
  const auto p = onlyProblem(
      detail::parseXml(oneDigest(kFrom, ksk2017Body() + "<PublicKey>AwEAAQ==</PublicKey>\n"), "x"));
  EXPECT_NE(p.reason.find("both <PublicKey> and <Flags>"), std::string::npos);
}

TEST(XmlFormatTest, FutureValidFromGivesAWarningNotAProblem) {
  const auto r = detail::parseXml(
      oneDigest("id=\"Kfuture\" validFrom=\"2999-01-01T00:00:00+00:00\"", ksk2017Body()), "x");
  ASSERT_TRUE(r.clean());
  ASSERT_EQ(r.anchors.size(), 1u);
  EXPECT_TRUE(hasWarning(r.anchors[0], "Kfuture is not valid before 2999-01-01T00:00:00Z"));
}

TEST(XmlFormatTest, NonRootZoneGivesImportOrigin) {
  const auto r = detail::parseXml(oneDigest(kFrom, ksk2017Body(), "Corp.Example."), "x");
  ASSERT_EQ(r.anchors.size(), 1u);
  EXPECT_EQ(r.anchors[0].anchor.record.owner.text(), "corp.example.");
  EXPECT_EQ(r.anchors[0].anchor.origin, model::Origin::kImport);
}

TEST(XmlFormatTest, AcceptsWhitespaceAndLowerCaseInsideValues) {
  const std::string body =
      "<KeyTag> 20326 </KeyTag><Algorithm>\n8\n</Algorithm><DigestType>2</DigestType>\n"
      "<Digest>\n  e06d44b80b8f1d39a95c0b0d7c65d084\n  58e880409bbc683457104237c7f8ec8d\n</Digest>";
  const auto r = detail::parseXml(oneDigest(kFrom, body), "x");
  ASSERT_TRUE(r.clean()) << r.problems.front().reason;
  EXPECT_EQ(r.anchors.at(0).anchor.record.rdataText(), "20326 8 2 " + ds20326Hex());
}

// Malformed input: each gives one precise problem with its line.

TEST(XmlFormatTest, MissingDigestNamesTheElementAndLine) {
  const auto p = onlyProblem(detail::parseXml(
      oneDigest(kFrom, "<KeyTag>20326</KeyTag><Algorithm>8</Algorithm><DigestType>2</DigestType>"),
      "in.xml"));
  EXPECT_EQ(p.where.toString(), "in.xml:4");
  EXPECT_NE(p.reason.find("has no <Digest> element"), std::string::npos);
}

TEST(XmlFormatTest, DuplicateKeyTagIsAProblemAtItsLine) {
  const auto p =
      onlyProblem(detail::parseXml(oneDigest(kFrom, "<KeyTag>1</KeyTag>\n" + ksk2017Body()), "x"));
  EXPECT_EQ(p.where.line, 6u);
  EXPECT_NE(p.reason.find("<KeyTag> appears more than once"), std::string::npos);
}

TEST(XmlFormatTest, KeyTagOutOfRangeIsAProblem) {
  std::string body = ksk2017Body();
  body.replace(body.find("20326"), 5, "70000");
  const auto p = onlyProblem(detail::parseXml(oneDigest(kFrom, body), "x"));
  EXPECT_EQ(p.where.line, 5u);
  EXPECT_NE(p.reason.find("<KeyTag> is not a decimal number from 0 to 65535: '70000'"),
            std::string::npos);
}

TEST(XmlFormatTest, NonNumericAlgorithmIsAProblem) {
  std::string body = ksk2017Body();
  body.replace(body.find(">8<"), 3, ">RSASHA256<");
  const auto p = onlyProblem(detail::parseXml(oneDigest(kFrom, body), "x"));
  EXPECT_NE(p.reason.find("<Algorithm> is not a decimal number"), std::string::npos);
}

TEST(XmlFormatTest, NonHexDigestIsAProblem) {
  std::string body = ksk2017Body();
  body.replace(body.find("E06D"), 4, "ZZZZ");
  const auto p = onlyProblem(detail::parseXml(oneDigest(kFrom, body), "x"));
  EXPECT_NE(p.reason.find("<Digest> is empty or not hexadecimal"), std::string::npos);
}

TEST(XmlFormatTest, BadDateIsAProblem) {
  const auto p = onlyProblem(detail::parseXml(
      oneDigest("id=\"Kx\" validFrom=\"2017-02-30T00:00:00+00:00\"", ksk2017Body()), "x"));
  EXPECT_EQ(p.where.line, 4u);
  EXPECT_NE(p.reason.find("validFrom is not a date and time"), std::string::npos);
}

TEST(XmlFormatTest, MissingValidFromIsAProblem) {
  const auto p = onlyProblem(detail::parseXml(oneDigest("id=\"Kx\"", ksk2017Body()), "x"));
  EXPECT_NE(p.reason.find("has no validFrom attribute"), std::string::npos);
}

TEST(XmlFormatTest, ValidUntilBeforeValidFromIsAProblem) {
  const auto p = onlyProblem(detail::parseXml(
      oneDigest(kFrom + " validUntil=\"2010-01-01T00:00:00Z\"", ksk2017Body()), "x"));
  EXPECT_NE(p.reason.find("validUntil before validFrom"), std::string::npos);
}

TEST(XmlFormatTest, UnknownElementIsAProblem) {
  const auto p = onlyProblem(
      detail::parseXml(oneDigest(kFrom, ksk2017Body() + "<Comment>hi</Comment>\n"), "x"));
  EXPECT_EQ(p.where.line, 9u);
  EXPECT_NE(p.reason.find("unexpected element <Comment> in <KeyDigest>"), std::string::npos);
}

TEST(XmlFormatTest, UnassignedAlgorithmIsRejectedByValidation) {
  std::string body = ksk2017Body();
  body.replace(body.find(">8<"), 3, ">200<");
  const auto p = onlyProblem(detail::parseXml(oneDigest(kFrom, body), "x"));
  EXPECT_NE(p.reason.find("algorithm 200 is not assigned"), std::string::npos);
}

TEST(XmlFormatTest, NotWellFormedXmlGivesTheLine) {
  const std::string text =
      "<TrustAnchor id=\"a\" source=\"b\">\n<Zone>.</Zone>\n<KeyDigest>\n<KeyTag>1</Key>\n";
  const auto p = onlyProblem(detail::parseXml(text, "x"));
  EXPECT_NE(p.reason.find("XML is not well-formed"), std::string::npos);
  EXPECT_EQ(p.where.line, 4u);
}

TEST(XmlFormatTest, WrongRootElementIsAProblem) {
  const auto p = onlyProblem(detail::parseXml("<?xml version=\"1.0\"?>\n<Anchors/>", "x"));
  EXPECT_EQ(p.where.line, 2u);
  EXPECT_NE(p.reason.find("expected <TrustAnchor>"), std::string::npos);
}

TEST(XmlFormatTest, DocumentWithoutKeyDigestIsAProblem) {
  const auto p = onlyProblem(
      detail::parseXml("<TrustAnchor id=\"a\" source=\"b\"><Zone>.</Zone></TrustAnchor>", "x"));
  EXPECT_NE(p.reason.find("has no <KeyDigest>"), std::string::npos);
}

TEST(XmlFormatTest, TwoZonesAreAProblem) {
  const auto p =
      onlyProblem(detail::parseXml(oneDigest(kFrom, ksk2017Body(), ".</Zone><Zone>."), "x"));
  EXPECT_NE(p.reason.find("<Zone> appears more than once"), std::string::npos);
}

TEST(XmlFormatTest, RepeatedAttributeIsAProblem) {
  const auto p = onlyProblem(detail::parseXml(
      oneDigest(kFrom + " validFrom=\"2018-01-01T00:00:00Z\"", ksk2017Body()), "x"));
  EXPECT_NE(p.reason.find("validFrom"), std::string::npos) << p.reason;
}

TEST(XmlFormatTest, Utf16InputIsAProblem) {
  const auto p = onlyProblem(detail::parseXml(std::string("\xFF\xFE<\0T\0", 6), "x"));
  EXPECT_NE(p.reason.find("UTF-16"), std::string::npos);
}

TEST(XmlFormatTest, ManyBadKeyDigestsGiveABoundedProblemList) {
  std::string text = "<TrustAnchor id=\"a\" source=\"b\"><Zone>.</Zone>\n";
  for (int i = 0; i < 5000; ++i) {
    text += "<KeyDigest id=\"K\"/>\n";
  }
  text += "</TrustAnchor>\n";
  const auto r = detail::parseXml(text, "x");
  EXPECT_TRUE(r.anchors.empty());
  ASSERT_EQ(r.problems.size(), detail::kMaxListedProblems + 1);
  EXPECT_EQ(r.problems.back().reason, "4000 further problems were not listed");
}

TEST(XmlFormatTest, EmptyInputIsAProblem) {
  const auto p = onlyProblem(detail::parseXml("", "x"));
  EXPECT_FALSE(p.reason.empty());
}

// Hostile input.

TEST(XmlFormatTest, BillionLaughsIsRefusedQuicklyWithoutExpansion) {
  const auto start = std::chrono::steady_clock::now();
  const auto p = onlyProblem(detail::parseXml(readData("err_billion-laughs.xml"), "lol.xml"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(p.where.line, 2u);
  EXPECT_NE(p.reason.find("DTDs) are not accepted"), std::string::npos);
}

TEST(XmlFormatTest, ExternalEntityIsRefusedAndPasswdNeverRead) {
  const auto r = detail::parseXml(readData("err_xxe-passwd.xml"), "xxe.xml");
  const auto p = onlyProblem(r);
  EXPECT_NE(p.reason.find("DTDs) are not accepted"), std::string::npos);
  EXPECT_EQ(p.reason.find("root:"), std::string::npos);
}

TEST(XmlFormatTest, PugixmlItselfLeavesCustomEntitiesUnexpanded) {
  // Defence in depth: even if the DOCTYPE check were removed, pugixml defines no entities.
  const std::string text = readData("err_billion-laughs.xml");
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_buffer(text.data(), text.size(), pugi::parse_default | pugi::parse_doctype,
                              pugi::encoding_utf8));
  EXPECT_STREQ(doc.child("TrustAnchor").child("KeyDigest").child_value("KeyTag"), "&lol9;");
}

TEST(XmlFormatTest, EntityReferenceWithoutDtdStaysTextAndFailsAsNumber) {
  std::string body = ksk2017Body();
  body.replace(body.find("20326"), 5, "&xxe;");
  const auto p = onlyProblem(detail::parseXml(oneDigest(kFrom, body), "x"));
  EXPECT_NE(p.reason.find("<KeyTag> is not a decimal number"), std::string::npos);
}

TEST(XmlFormatTest, DeepNestingDoesNotCrash) {
  std::string deep;
  for (int i = 0; i < 200000; ++i) {
    deep += "<a>";
  }
  for (int i = 0; i < 200000; ++i) {
    deep += "</a>";
  }
  const auto p = onlyProblem(detail::parseXml(oneDigest(kFrom, ksk2017Body() + deep), "x"));
  EXPECT_NE(p.reason.find("unexpected element <a>"), std::string::npos);
}

// Rendering.

TrustAnchor rootDs(const std::string& rdata, std::optional<model::Time> from,
                   std::optional<model::Time> until) {
  TrustAnchor a;
  a.record = {DomainName(), 172800, model::parseDsRdata(rdata).value()};
  a.origin = model::Origin::kRoot;
  a.valid_from = from;
  a.valid_until = until;
  return a;
}

TEST(XmlFormatTest, RenderThenParseRoundTripsDsAnchors) {
  const std::vector<TrustAnchor> in = {
      rootDs("20326 8 2 " + ds20326Hex(), model::parseTime("2017-02-02T00:00:00Z").value(),
             model::parseTime("2030-01-01T00:00:00Z").value()),
      rootDs("38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16",
             model::parseTime("2024-07-18T00:00:00Z").value(), std::nullopt)};
  const auto text = detail::renderXml(in);
  ASSERT_TRUE(text) << text.error().toString();
  EXPECT_NE(text->find("validFrom=\"2017-02-02T00:00:00+00:00\""), std::string::npos);
  const auto r = detail::parseXml(*text, "rendered");
  ASSERT_TRUE(r.clean()) << r.problems.front().reason;
  ASSERT_EQ(r.anchors.size(), 2u);
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(r.anchors[i].anchor.record, in[i].record);
    EXPECT_EQ(r.anchors[i].anchor.valid_from, in[i].valid_from);
    EXPECT_EQ(r.anchors[i].anchor.valid_until, in[i].valid_until);
    EXPECT_EQ(r.anchors[i].anchor.origin, model::Origin::kRoot);
  }
  EXPECT_EQ(detail::renderXml(in).value(), *text);  // stable
}

TEST(XmlFormatTest, DnskeyAnchorRendersWithPublicKeyFlagsAndSha256Digest) {
  const std::string key = util::readFile("/usr/share/dns/root.key", 1 << 16).value();
  const std::string first_line = key.substr(0, key.find('\n'));
  const auto f = util::splitFields(first_line);
  ASSERT_GE(f.size(), 7u);
  TrustAnchor a;
  a.record = {DomainName(), 172800,
              model::parseDnskeyRdata("257 3 8 " + std::string(f[6])).value()};
  const auto text = detail::renderXml({a});
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("<Flags>257</Flags>"), std::string::npos);
  EXPECT_NE(text->find("<PublicKey>" + std::string(f[6]) + "</PublicKey>"), std::string::npos);
  // validFrom unknown: the Unix epoch is written.
  EXPECT_NE(text->find("validFrom=\"1970-01-01T00:00:00+00:00\""), std::string::npos);
  const auto r = detail::parseXml(*text, "rendered");
  ASSERT_TRUE(r.clean()) << r.problems.front().reason;
  EXPECT_EQ(r.anchors.at(0).anchor.record.rdataText(), "20326 8 2 " + ds20326Hex());
}

TEST(XmlFormatTest, KeyDigestIdsAreStableAndDistinct) {
  const std::vector<TrustAnchor> in = {
      rootDs("20326 8 2 " + ds20326Hex(), std::nullopt, std::nullopt),
      rootDs("38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16",
             std::nullopt, std::nullopt)};
  const std::string text = detail::renderXml(in).value();
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(text.c_str()));
  std::vector<std::string> ids;
  for (const auto& kd : doc.child("TrustAnchor").children("KeyDigest")) {
    ids.push_back(kd.attribute("id").value());
    EXPECT_EQ(ids.back().size(), 7u);
    EXPECT_EQ(ids.back()[0], 'K');
  }
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_NE(ids[0], ids[1]);
  // The id follows the anchor, not its position in the document.
  EXPECT_NE(detail::renderXml({in[1]}).value().find("id=\"" + ids[1] + "\""), std::string::npos);
}

TEST(XmlFormatTest, RenderRefusesNonRootOwner) {
  TrustAnchor a = rootDs("20326 8 2 " + ds20326Hex(), std::nullopt, std::nullopt);
  a.record.owner = DomainName::parse("corp.example.").value();
  const auto text = detail::renderXml({a});
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message, "Root anchor XML holds only root anchors");
  EXPECT_EQ(text.error().field("owner"), "corp.example.");
}

TEST(XmlFormatTest, RenderRefusesEmptySet) {
  EXPECT_FALSE(detail::renderXml({}));
}

}  // namespace
}  // namespace anchorage::formats
