// SPDX-License-Identifier: Apache-2.0
//
// Tests of the trust anchor model: names, records, validation, key tags, DS computation.

#include <gtest/gtest.h>

#include "model/algorithms.h"
#include "model/anchor.h"
#include "model/name.h"

namespace anchorage::model {
namespace {

// Root KSK-2017 as published in /usr/share/dns/root.key.
constexpr const char* kKsk2017 =
    "257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5"
    "emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHw"
    "VN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOL"
    "YA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=";

DomainName name(std::string_view text) {
  return DomainName::parse(text).value();
}

TEST(DomainNameTest, CanonicalisesToLowerCaseAbsolute) {
  EXPECT_EQ(name("Corp.EXAMPLE").text(), "corp.example.");
  EXPECT_EQ(name("corp.example.").text(), "corp.example.");
  EXPECT_EQ(name(".").text(), ".");
  EXPECT_TRUE(name(".").isRoot());
}

TEST(DomainNameTest, KeepsEscapes) {
  EXPECT_EQ(name("a\\.b.example.").labelCount(), 2u);
  EXPECT_EQ(name("a\\.b.example.").text(), "a\\.b.example.");
  EXPECT_EQ(name("\\065bc.example.").text(), "abc.example.");
}

TEST(DomainNameTest, AcceptsALabels) {
  EXPECT_EQ(name("xn--bcher-kva.example.").text(), "xn--bcher-kva.example.");
}

TEST(DomainNameTest, RejectsULabels) {
  EXPECT_FALSE(DomainName::parse("bücher.example."));
}

TEST(DomainNameTest, EnforcesLabelAndNameLimits) {
  const std::string label63(63, 'a');
  EXPECT_TRUE(DomainName::parse(label63 + ".example."));
  auto r = DomainName::parse(std::string(64, 'a') + ".example.");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("63"), std::string::npos);
  std::string long_name;
  for (int i = 0; i < 5; ++i) {
    long_name += label63 + ".";
  }
  auto r2 = DomainName::parse(long_name);
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.error().message.find("255"), std::string::npos);
}

TEST(DomainNameTest, RejectsEmptyLabels) {
  EXPECT_FALSE(DomainName::parse("a..example."));
  EXPECT_FALSE(DomainName::parse(""));
}

TEST(DomainNameTest, RelativeNamesUseOrigin) {
  const auto origin = name("example.");
  EXPECT_EQ(DomainName::parse("corp", &origin)->text(), "corp.example.");
  EXPECT_EQ(DomainName::parse("@", &origin)->text(), "example.");
  EXPECT_EQ(DomainName::parse("corp")->text(), "corp.");
}

TEST(DomainNameTest, OrdersCanonically) {
  EXPECT_LT(name("example."), name("a.example."));
  EXPECT_LT(name("a.example."), name("z.example."));
  EXPECT_LT(name("z.example."), name("a.foo."));
  EXPECT_TRUE(name("a.corp.example.").isSubdomainOf(name("corp.example.")));
  EXPECT_FALSE(name("corp.example.").isSubdomainOf(name("a.corp.example.")));
  EXPECT_FALSE(name("xcorp.example.").isSubdomainOf(name("corp.example.")));
  EXPECT_TRUE(name("corp.example.").isSubdomainOf(name(".")));
  EXPECT_EQ(name("a.b.").parent().text(), "b.");
}

TEST(AnchorTest, ComputesRootKeyTagAndDs) {
  auto key = parseDnskeyRdata(kKsk2017).value();
  EXPECT_EQ(key.keyTag(), 20326);
  auto ds = computeDs(DomainName(), key, 2).value();
  EXPECT_EQ(ds.key_tag, 20326);
  AnchorRecord rec{DomainName(), 172800, ds};
  EXPECT_EQ(rec.rdataText(),
            "20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D");
  EXPECT_TRUE(dsMatchesDnskey(DomainName(), ds, key));
  ds.digest[0] ^= 1;
  EXPECT_FALSE(dsMatchesDnskey(DomainName(), ds, key));
}

TEST(AnchorTest, RevokeBitChangesKeyTag) {
  auto key = parseDnskeyRdata(kKsk2017).value();
  key.flags |= kFlagRevoke;
  EXPECT_TRUE(key.isRevoked());
  EXPECT_EQ(key.keyTag(), 20326 + 128);
}

TEST(AnchorTest, ValidatesDigestLength) {
  auto ds = parseDsRdata("20326 8 2 E06D44").value();
  const auto findings = validate({DomainName(), 3600, ds});
  ASSERT_FALSE(findings.empty());
  EXPECT_FALSE(isUsable(findings));
  EXPECT_NE(findings[0].message.find("needs 32"), std::string::npos);
}

TEST(AnchorTest, ReportsGostUnsupportedAndSha1Deprecated) {
  auto gost = parseDsRdata("1 12 3 " + std::string(64, 'a')).value();
  EXPECT_FALSE(isUsable(validate({DomainName(), 3600, gost})));
  auto sha1 = parseDsRdata("1 8 1 " + std::string(40, 'a')).value();
  const auto f = validate({DomainName(), 3600, sha1});
  EXPECT_TRUE(isUsable(f));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
}

TEST(AnchorTest, RejectsUnknownAlgorithmAndBadProtocol) {
  auto ds = parseDsRdata("1 99 2 " + std::string(64, 'a')).value();
  EXPECT_FALSE(isUsable(validate({DomainName(), 3600, ds})));
  auto key = parseDnskeyRdata(kKsk2017).value();
  key.protocol = 4;
  EXPECT_FALSE(isUsable(validate({DomainName(), 3600, key})));
}

TEST(AnchorTest, DnskeyNeedsZoneFlagAndWarnsWithoutSep) {
  auto key = parseDnskeyRdata(kKsk2017).value();
  key.flags = 256;
  auto f = validate({DomainName(), 3600, key});
  EXPECT_TRUE(isUsable(f));
  EXPECT_EQ(f.size(), 1u);
  key.flags = 1;
  EXPECT_FALSE(isUsable(validate({DomainName(), 3600, key})));
}

TEST(AnchorTest, RejectsRdataLongerThanRdlength) {
  auto key = parseDnskeyRdata(kKsk2017).value();
  key.public_key.resize(70000, 1);
  const auto f = validate({DomainName(), 3600, key});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_FALSE(isUsable(f));
}

TEST(AnchorTest, ParsesAlgorithmMnemonics) {
  auto ds = parseDsRdata("20326 RSASHA256 2 " + std::string(64, 'a')).value();
  EXPECT_EQ(ds.algorithm, 8);
  EXPECT_EQ(algorithmName(13), "ECDSAP256SHA256");
  EXPECT_EQ(algorithmName(99), "ALG99");
}

TEST(TrustPointTest, KeepsBothKeysAndCollapsesDuplicates) {
  TrustPoint root{DomainName()};
  auto key = parseDnskeyRdata(kKsk2017).value();
  auto ds1 = computeDs(DomainName(), key, 2).value();
  auto ds2 = ds1;
  ds2.digest[5] ^= 0xff;  // same key tag, other digest: another anchor
  EXPECT_TRUE(root.add({AnchorRecord{DomainName(), 3600, ds1}}));
  EXPECT_FALSE(root.add({AnchorRecord{DomainName(), 60, ds1}}));
  EXPECT_TRUE(root.add({AnchorRecord{DomainName(), 3600, ds2}}));
  EXPECT_TRUE(root.add({AnchorRecord{DomainName(), 3600, key}}));
  EXPECT_EQ(root.anchors().size(), 3u);
  EXPECT_NE(root.anchors()[0].id(), root.anchors()[1].id());
  EXPECT_EQ(root.anchors()[0].id().substr(0, 11), "ds-20326-8-");
  EXPECT_TRUE(root.remove(root.anchors()[1].id()));
  EXPECT_EQ(root.anchors().size(), 2u);
}

TEST(TimeTest, ParsesAndFormatsRfc3339) {
  auto t = parseTime("2017-02-02T00:00:00+00:00").value();
  EXPECT_EQ(formatTime(t), "2017-02-02T00:00:00Z");
  EXPECT_EQ(formatTime(parseTime("2024-07-18T00:00:00.5Z").value()), "2024-07-18T00:00:00Z");
  EXPECT_FALSE(parseTime("2024-13-18T00:00:00Z"));
  EXPECT_FALSE(parseTime("yesterday"));
}

TEST(KeyStateTest, UsesRfcSpelling) {
  EXPECT_EQ(keyStateName(KeyState::kAddPend), "AddPend");
  EXPECT_EQ(parseKeyState("addpend"), KeyState::kAddPend);
  EXPECT_FALSE(parseKeyState("pending"));
  EXPECT_TRUE(isTrusted(KeyState::kMissing));
  EXPECT_FALSE(isTrusted(KeyState::kRevoked));
}

}  // namespace
}  // namespace anchorage::model
