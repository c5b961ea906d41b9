// SPDX-License-Identifier: Apache-2.0
//
// Tests of the zone-file reader and the zone, keyset and dsset writers: the distribution's root
// anchors, files written by ldns and BIND tools (tests/data/zone, see generate.sh there), every
// supported piece of RFC 1035 §5.1 / RFC 3597 syntax, round trips, and malformed or hostile
// input, each of which must give a problem on the right line with a precise reason.

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "formats/format.h"
#include "model/anchor.h"
#include "util/file.h"

namespace anchorage::formats {
namespace {

namespace fs = std::filesystem;
using model::DomainName;

const std::string kZoneData = std::string(ANCHORAGE_TEST_DATA) + "/zone";

std::string readText(const std::string& path) {
  auto text = util::readFile(path, kMaxInputBytes);
  EXPECT_TRUE(text) << path;
  return text ? *text : std::string();
}

ParseResult parseZoneText(std::string_view text, std::string_view source = "test") {
  return parse(Format::kZone, text, source);
}

std::string describe(const ParseResult& result) {
  std::string out;
  for (const auto& p : result.problems) {
    out += p.where.toString() + ": " + p.reason + "\n";
  }
  return out;
}

std::vector<model::TrustAnchor> anchorsOf(const ParseResult& result) {
  std::vector<model::TrustAnchor> out;
  for (const auto& a : result.anchors) {
    out.push_back(a.anchor);
  }
  return out;
}

std::vector<std::string> fixtures(const std::string& dir, std::string_view prefix) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(prefix) && entry.path().extension() != ".sh") {
      out.push_back(entry.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Reads "<comment> expect-line: N" and "<comment> expect-reason: TEXT" from a fixture's header.
std::pair<size_t, std::string> expectation(const std::string& text) {
  size_t line = 0;
  std::string reason;
  for (const std::string key : {"expect-line: ", "expect-reason: "}) {
    const size_t at = text.find(key);
    if (at == std::string::npos) {
      continue;
    }
    const size_t start = at + key.size();
    const std::string value = text.substr(start, text.find('\n', start) - start);
    if (key == "expect-line: ") {
      line = std::stoul(value);
    } else {
      reason = value;
    }
  }
  return {line, reason};
}

bool hasProblem(const ParseResult& result, size_t line, std::string_view reason) {
  return std::any_of(result.problems.begin(), result.problems.end(), [&](const ParseProblem& p) {
    return p.where.line == line && p.reason.find(reason) != std::string::npos;
  });
}

std::map<uint16_t, model::AnchorRecord> byKeyTag(const ParseResult& result) {
  std::map<uint16_t, model::AnchorRecord> out;
  for (const auto& a : result.anchors) {
    out.emplace(a.anchor.record.keyTag(), a.anchor.record);
  }
  return out;
}

TEST(ZoneFormatTest, ReadsDistributionRootKey) {
  const auto result = parseZoneText(readText("/usr/share/dns/root.key"), "root.key");
  ASSERT_TRUE(result.clean()) << describe(result);
  const auto keys = byKeyTag(result);
  ASSERT_EQ(keys.size(), 2u);
  for (const uint16_t tag : {20326, 38696}) {
    ASSERT_TRUE(keys.contains(tag)) << tag;
    EXPECT_FALSE(keys.at(tag).isDs());
    EXPECT_TRUE(keys.at(tag).owner.isRoot());
    EXPECT_EQ(keys.at(tag).dnskey().flags, 257);
  }
  for (const auto& a : result.anchors) {
    EXPECT_EQ(a.anchor.origin, model::Origin::kImport);
    EXPECT_EQ(a.anchor.state, model::KeyState::kValid);
    EXPECT_EQ(a.where.source, "root.key");
  }
  EXPECT_EQ(result.anchors[0].where.line, 1u);
  EXPECT_EQ(result.anchors[1].where.line, 2u);
}

TEST(ZoneFormatTest, ReadsDistributionRootDs) {
  const auto result = parseZoneText(readText("/usr/share/dns/root.ds"));
  ASSERT_TRUE(result.clean()) << describe(result);
  const auto ds = byKeyTag(result);
  ASSERT_EQ(ds.size(), 2u);
  ASSERT_TRUE(ds.contains(20326));
  ASSERT_TRUE(ds.contains(38696));
  EXPECT_TRUE(ds.at(20326).isDs());
  EXPECT_EQ(ds.at(20326).ds().digest_type, 2);
  EXPECT_EQ(ds.at(20326).ds().digest.size(), 32u);
}

TEST(ZoneFormatTest, DsComputedFromRootKeyEqualsRootDs) {
  const auto keys = parseZoneText(readText("/usr/share/dns/root.key"));
  const auto ds = byKeyTag(parseZoneText(readText("/usr/share/dns/root.ds")));
  ASSERT_EQ(keys.anchors.size(), 2u);
  for (const auto& a : keys.anchors) {
    const auto& record = a.anchor.record;
    ASSERT_TRUE(ds.contains(record.keyTag()));
    const auto& expected = ds.at(record.keyTag()).ds();
    auto computed = model::computeDs(record.owner, record.dnskey(), expected.digest_type);
    ASSERT_TRUE(computed);
    EXPECT_EQ(*computed, expected) << record.keyTag();
  }
}

TEST(ZoneFormatTest, ReadsEveryZoneFileFeature) {
  const auto result = parseZoneText(readText(kZoneData + "/ok_features.zone"));
  ASSERT_TRUE(result.clean()) << describe(result);
  struct Expected {
    size_t line;
    std::string owner;
    model::RecordType type;
    uint32_t ttl;
    uint16_t key_tag;
  };
  using model::RecordType;
  const std::vector<Expected> expected = {
      {5, "example.", RecordType::kDs, 3600, 20326},
      {6, "sub.example.", RecordType::kDs, 5400, 38696},
      {11, "sub.example.", RecordType::kDs, 172800, 38696},
      {12, "quoted\\032name.example.", RecordType::kDs, 172800, 20326},
      {13, "a\\.b.example.", RecordType::kDs, 172800, 20326},
      {14, "corp.example.org.", RecordType::kDnskey, 300, 38696},
      {16, ".", RecordType::kDnskey, 172800, 20326},
      {24, ".", RecordType::kDnskey, 172800, 0},
  };
  ASSERT_EQ(result.anchors.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& got = result.anchors[i];
    const auto& want = expected[i];
    SCOPED_TRACE(want.line);
    EXPECT_EQ(got.where.line, want.line);
    EXPECT_EQ(got.anchor.record.owner.text(), want.owner);
    EXPECT_EQ(got.anchor.record.type(), want.type);
    EXPECT_EQ(got.anchor.record.ttl, want.ttl);
    if (want.key_tag != 0) {
      EXPECT_EQ(got.anchor.record.keyTag(), want.key_tag);
    }
  }
  // The generic DS equals the DS given in presentation form; the SHA-1 one warns.
  EXPECT_EQ(result.anchors[4].anchor.record.rdata, result.anchors[0].anchor.record.rdata);
  EXPECT_FALSE(result.anchors[2].findings.empty());
  const auto& last = result.anchors[7].anchor.record.dnskey();
  EXPECT_EQ(last.flags, 257);
  EXPECT_EQ(last.public_key, (std::vector<uint8_t>{0xAB, 0xCD}));
}

TEST(ZoneFormatTest, OkFixturesParseClean) {
  const auto files = fixtures(kZoneData, "ok_");
  ASSERT_GE(files.size(), 10u);
  for (const auto& file : files) {
    const auto result = parseZoneText(readText(file), file);
    EXPECT_TRUE(result.clean()) << describe(result);
    EXPECT_FALSE(result.anchors.empty()) << file;
  }
}

TEST(ZoneFormatTest, MalformedFixturesGiveProblemOnLineWithReason) {
  const auto files = fixtures(kZoneData, "err_");
  const auto unsupported = fixtures(kZoneData, "unsupp_");
  ASSERT_GE(files.size(), 25u);
  ASSERT_GE(unsupported.size(), 5u);
  for (const auto& file : files) {
    const std::string text = readText(file);
    const auto [line, reason] = expectation(text);
    ASSERT_GT(line, 0u) << file << " has no expect-line header";
    const auto result = parseZoneText(text, file);
    EXPECT_TRUE(hasProblem(result, line, reason))
        << file << ": wanted line " << line << ": " << reason << "\ngot:\n"
        << describe(result);
  }
  for (const auto& file : unsupported) {
    const std::string text = readText(file);
    const auto [line, reason] = expectation(text);
    const auto result = parseZoneText(text, file);
    EXPECT_TRUE(hasProblem(result, line, reason)) << file << "\n" << describe(result);
    EXPECT_TRUE(result.anchors.empty()) << file;
  }
}

TEST(ZoneFormatTest, GeneratedKeysGiveTheDsOfLdnsKey2ds) {
  for (const int algorithm : {8, 13, 15}) {
    SCOPED_TRACE(algorithm);
    const std::string base = kZoneData + "/ok_ldns_alg" + std::to_string(algorithm);
    const auto keys = parseZoneText(readText(base + ".key"));
    const auto ds = parseZoneText(readText(base + ".ds"));
    ASSERT_TRUE(keys.clean()) << describe(keys);
    ASSERT_TRUE(ds.clean()) << describe(ds);
    ASSERT_EQ(keys.anchors.size(), 1u);
    ASSERT_EQ(ds.anchors.size(), 1u);
    const auto& key = keys.anchors[0].anchor.record;
    const auto& expected = ds.anchors[0].anchor.record;
    EXPECT_EQ(key.algorithm(), algorithm);
    EXPECT_EQ(key.owner, expected.owner);
    auto computed = model::computeDs(key.owner, key.dnskey(), expected.ds().digest_type);
    ASSERT_TRUE(computed);
    EXPECT_EQ(*computed, expected.ds());
  }
}

TEST(ZoneFormatTest, ReadsBindKeysetDssetAndSignedZone) {
  const auto keyset = parseZoneText(readText(kZoneData + "/ok_bind_keyset.zone"));
  const auto dsset = parseZoneText(readText(kZoneData + "/ok_bind_dsset.zone"));
  const auto signed_zone = parseZoneText(readText(kZoneData + "/ok_bind_signed.zone"));
  ASSERT_TRUE(keyset.clean()) << describe(keyset);
  ASSERT_TRUE(dsset.clean()) << describe(dsset);
  ASSERT_TRUE(signed_zone.clean()) << describe(signed_zone);
  ASSERT_EQ(keyset.anchors.size(), 1u);
  ASSERT_EQ(dsset.anchors.size(), 1u);
  const auto& ksk = keyset.anchors[0].anchor.record;
  EXPECT_EQ(ksk.owner.text(), "example.test.");
  EXPECT_TRUE(model::dsMatchesDnskey(ksk.owner, dsset.anchors[0].anchor.record.ds(), ksk.dnskey()));
  // The signed zone holds the KSK and the ZSK among SOA, NS, RRSIG, NSEC and TXT records.
  ASSERT_EQ(signed_zone.anchors.size(), 2u);
  EXPECT_TRUE(std::any_of(signed_zone.anchors.begin(), signed_zone.anchors.end(),
                          [&](const ParsedAnchor& a) { return a.anchor.record == ksk; }));
}

TEST(ZoneFormatTest, ReadsWindowsStyleKeysetWithoutClass) {
  const std::string text = readText(kZoneData + "/ok_windows_keyset.zone");
  ASSERT_NE(text.find("\r\n"), std::string::npos);
  const auto result = parseZoneText(text);
  ASSERT_TRUE(result.clean()) << describe(result);
  ASSERT_EQ(result.anchors.size(), 1u);
  const auto key = parseZoneText(readText(kZoneData + "/ok_ldns_alg8.key"));
  ASSERT_EQ(key.anchors.size(), 1u);
  EXPECT_EQ(result.anchors[0].anchor.record, key.anchors[0].anchor.record);
  EXPECT_EQ(result.anchors[0].where.line, 2u);
}

TEST(ZoneFormatTest, TtlComesFromRecordThenDollarTtlThenLastTtl) {
  const std::string ds =
      " DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D";
  const auto result = parseZoneText("a." + ds + "\n" + "b. 600" + ds + "\n" + "c." + ds + "\n" +
                                    "$TTL 1w\n" + "d." + ds + "\n" + "e. 1H2m3S" + ds + "\n");
  ASSERT_TRUE(result.clean()) << describe(result);
  ASSERT_EQ(result.anchors.size(), 5u);
  EXPECT_EQ(result.anchors[0].anchor.record.ttl, 3600u);
  EXPECT_EQ(result.anchors[1].anchor.record.ttl, 600u);
  EXPECT_EQ(result.anchors[2].anchor.record.ttl, 600u);
  EXPECT_EQ(result.anchors[3].anchor.record.ttl, 604800u);
  EXPECT_EQ(result.anchors[4].anchor.record.ttl, 3723u);
}

TEST(ZoneFormatTest, RendersZoneSortedAndRoundTrips) {
  auto anchors = anchorsOf(parseZoneText(readText("/usr/share/dns/root.key")));
  const auto ds = anchorsOf(parseZoneText(readText("/usr/share/dns/root.ds")));
  const auto features = anchorsOf(parseZoneText(readText(kZoneData + "/ok_features.zone")));
  anchors.insert(anchors.begin(), ds.begin(), ds.end());
  anchors.insert(anchors.begin(), features.begin(), features.end());
  auto text = render(Format::kZone, anchors);
  ASSERT_TRUE(text);
  const auto back = parseZoneText(*text);
  ASSERT_TRUE(back.clean()) << describe(back) << *text;
  ASSERT_EQ(back.anchors.size(), anchors.size());
  for (size_t i = 1; i < back.anchors.size(); ++i) {
    const auto& a = back.anchors[i - 1].anchor.record;
    const auto& b = back.anchors[i].anchor.record;
    const bool ordered =
        a.owner < b.owner ||
        (a.owner == b.owner &&
         (a.type() < b.type() || (a.type() == b.type() && a.keyTag() <= b.keyTag())));
    EXPECT_TRUE(ordered) << a.toZoneLine() << "\n" << b.toZoneLine();
  }
  for (const auto& original : anchors) {
    EXPECT_TRUE(std::any_of(back.anchors.begin(), back.anchors.end(), [&](const auto& a) {
      return a.anchor.record == original.record && a.anchor.record.ttl == original.record.ttl;
    })) << original.record.toZoneLine();
  }
  EXPECT_EQ(back.anchors[0].anchor.record.owner.text(), ".");
  EXPECT_EQ(back.anchors[0].anchor.record.type(), model::RecordType::kDs);
}

TEST(ZoneFormatTest, RendersKeysetLikeDnssecSignzoneAndRoundTrips) {
  const auto keys = anchorsOf(parseZoneText(readText("/usr/share/dns/root.key")));
  const auto generated = anchorsOf(parseZoneText(readText(kZoneData + "/ok_bind_signed.zone")));
  std::vector<model::TrustAnchor> anchors = keys;
  anchors.insert(anchors.end(), generated.begin(), generated.end());
  auto text = render(Format::kKeyset, anchors);
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("\n.\t"), std::string::npos);
  EXPECT_NE(text->find("IN DNSKEY 257 3 8 (\n"), std::string::npos) << *text;
  EXPECT_NE(text->find(") ; KSK; alg = RSASHA256 ; key id = 20326\n"), std::string::npos);
  EXPECT_NE(text->find(") ; KSK; alg = RSASHA256 ; key id = 38696\n"), std::string::npos);
  EXPECT_NE(text->find("; ZSK; alg = ECDSAP256SHA256 ; key id = "), std::string::npos);
  for (size_t start = 0; start < text->size();) {
    const size_t end = text->find('\n', start);
    EXPECT_LE(end - start, 100u);
    start = end + 1;
  }
  const auto back = parse(Format::kKeyset, *text, "keyset-.");
  ASSERT_TRUE(back.clean()) << describe(back);
  ASSERT_EQ(back.anchors.size(), anchors.size());
  for (const auto& original : anchors) {
    EXPECT_TRUE(std::any_of(back.anchors.begin(), back.anchors.end(),
                            [&](const auto& a) { return a.anchor.record == original.record; }));
  }
}

TEST(ZoneFormatTest, KeysetRefusesDsAnchorsNamingThem) {
  auto anchors = anchorsOf(parseZoneText(readText("/usr/share/dns/root.key")));
  const auto ds = anchorsOf(parseZoneText(readText("/usr/share/dns/root.ds")));
  anchors.insert(anchors.end(), ds.begin(), ds.end());
  auto text = render(Format::kKeyset, anchors);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().field("anchors"), ". DS 20326, . DS 38696");
}

TEST(ZoneFormatTest, DssetFromRootKeyEqualsRootDsAndRoundTrips) {
  const auto keys = anchorsOf(parseZoneText(readText("/usr/share/dns/root.key")));
  const auto root_ds = parseZoneText(readText("/usr/share/dns/root.ds"));
  auto text = render(Format::kDsset, keys, {.ds_digest_type = 2});
  ASSERT_TRUE(text);
  const auto back = parse(Format::kDsset, *text, "dsset-.");
  ASSERT_TRUE(back.clean()) << describe(back);
  ASSERT_EQ(back.anchors.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back.anchors[i].anchor.record, root_ds.anchors[i].anchor.record);
  }
  // A DS given alongside the key it was computed from is written once.
  auto mixed = keys;
  for (const auto& a : root_ds.anchors) {
    mixed.push_back(a.anchor);
  }
  auto once = render(Format::kDsset, mixed);
  ASSERT_TRUE(once);
  EXPECT_EQ(parseZoneText(*once).anchors.size(), 2u);
  auto sha384 = render(Format::kDsset, keys, {.ds_digest_type = 4});
  ASSERT_TRUE(sha384);
  const auto back384 = parseZoneText(*sha384);
  ASSERT_EQ(back384.anchors.size(), 2u);
  EXPECT_EQ(back384.anchors[0].anchor.record.ds().digest.size(), 48u);
}

TEST(ZoneFormatTest, DssetRefusesUnsupportedDigestType) {
  const auto keys = anchorsOf(parseZoneText(readText("/usr/share/dns/root.key")));
  EXPECT_FALSE(render(Format::kDsset, keys, {.ds_digest_type = 3}));
  EXPECT_FALSE(render(Format::kDsset, keys, {.ds_digest_type = 99}));
}

// ---- hostile input ----

TEST(ZoneFormatTest, NulByteInOwnerIsAProblemNotATruncatedName) {
  std::string text =
      "good.example. IN DS 20326 8 2 "
      "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
      "exa";
  text += '\0';
  text +=
      "mple. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n";
  const auto result = parseZoneText(text);
  EXPECT_EQ(result.anchors.size(), 1u);
  EXPECT_TRUE(hasProblem(result, 2, "control character 0x00 on line 2")) << describe(result);
}

TEST(ZoneFormatTest, BinaryGarbageGivesProblemsAndNoCrash) {
  std::string text;
  uint32_t state = 12345;
  for (int i = 0; i < 200000; ++i) {
    state = state * 1103515245u + 12345u;
    text += static_cast<char>(state >> 23);
  }
  const auto result = parseZoneText(text);
  EXPECT_FALSE(result.problems.empty());
  EXPECT_LE(result.problems.size(), 1001u);
  for (const auto& p : result.problems) {
    EXPECT_FALSE(p.reason.empty());
  }
}

TEST(ZoneFormatTest, Utf16InputIsNamed) {
  const std::string text("\xFF\xFE.\0 \0I\0N\0", 10);
  const auto result = parseZoneText(text);
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].where.line, 1u);
  EXPECT_NE(result.problems[0].reason.find("UTF-16"), std::string::npos);
}

TEST(ZoneFormatTest, Utf8ByteOrderMarkIsSkipped) {
  const auto result = parseZoneText(
      "\xEF\xBB\xBF. IN DS 20326 8 2 "
      "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n");
  EXPECT_TRUE(result.clean()) << describe(result);
  EXPECT_EQ(result.anchors.size(), 1u);
}

TEST(ZoneFormatTest, TwentyMegabytesOfJunkLinesAreBoundedAndFast) {
  std::string text;
  text.reserve(21 * 1024 * 1024);
  for (size_t i = 0; text.size() < 20 * 1024 * 1024; ++i) {
    text += "junk-" + std::to_string(i) + " is not a record at all, ok?\n";
  }
  const auto result = parseZoneText(text);
  EXPECT_TRUE(result.anchors.empty());
  ASSERT_EQ(result.problems.size(), 1001u);
  EXPECT_EQ(result.problems[0].where.line, 1u);
  EXPECT_EQ(result.problems[0].reason, "expected a record type such as DS or DNSKEY, found 'is'");
  EXPECT_EQ(result.problems[999].where.line, 1000u);
  EXPECT_EQ(result.problems[1000].where.line, 0u);
  EXPECT_NE(result.problems[1000].reason.find("further problems were not listed"),
            std::string::npos);
}

TEST(ZoneFormatTest, UnclosedParenthesisOverWholeInputIsOneProblem) {
  std::string text = "\n\nexample. IN DS 20326 8 2 (\n";
  for (int i = 0; i < 100000; ++i) {
    text += "  AB CD ; junk\n";
  }
  const auto result = parseZoneText(text);
  ASSERT_EQ(result.problems.size(), 1u) << describe(result);
  EXPECT_EQ(result.problems[0].where.line, 3u);
  EXPECT_EQ(result.problems[0].reason, "unbalanced parenthesis opened on line 3");
}

TEST(ZoneFormatTest, RecordWithTooManyFieldsIsRefused) {
  std::string text = "example. IN DS 20326 8 2";
  for (int i = 0; i < 20000; ++i) {
    text += " AB";
  }
  const auto result = parseZoneText(text + "\n");
  EXPECT_TRUE(hasProblem(result, 1, "record has more than 16384 fields")) << describe(result);
}

TEST(ZoneFormatTest, HugeNumbersAreOutOfRange) {
  const std::string digest = "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D";
  const auto result = parseZoneText("a. IN DS 20326 8 99999999999999999999999999 " + digest + "\n" +
                                    "b. 4294967296 IN DS 20326 8 2 " + digest + "\n" +
                                    "c. IN DNSKEY 65536 3 8 AwEAAQ==\n" + "$TTL 2147483648\n" +
                                    "d. IN TYPE43 \\# 99999999 00\n" + "e. IN TYPE99999999 foo\n");
  EXPECT_TRUE(hasProblem(result, 1, "DS digest type: number is out of range")) << describe(result);
  EXPECT_TRUE(hasProblem(result, 2, "TTL '4294967296' is out of range"));
  EXPECT_TRUE(hasProblem(result, 3, "DNSKEY flags: number is out of range, found '65536'"));
  EXPECT_TRUE(hasProblem(result, 4, "TTL '2147483648' is out of range"));
  EXPECT_TRUE(hasProblem(result, 5, "generic RDATA length '99999999' is not a number"));
  EXPECT_TRUE(hasProblem(result, 6, "found 'TYPE99999999'"));
  EXPECT_TRUE(result.anchors.empty());
}

TEST(ZoneFormatTest, BlankOwnerAfterBadOwnerNamesTheCause) {
  const std::string long_label(64, 'x');
  const auto result = parseZoneText(
      long_label +
      ".example. IN NS ns.example.\n"
      "  IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n");
  ASSERT_EQ(result.problems.size(), 1u) << describe(result);
  EXPECT_EQ(result.problems[0].where.line, 2u);
  EXPECT_NE(result.problems[0].reason.find("label is longer than 63 octets"), std::string::npos);
}

}  // namespace
}  // namespace anchorage::formats
