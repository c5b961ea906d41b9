// SPDX-License-Identifier: Apache-2.0
//
// Tests of the PowerDNS Recursor renderer: addTA with DS only (a DNSKEY anchor becomes its
// SHA-256 DS, RFC 4509), clearTA('.') only when the set replaces the root anchor, addNTA with a
// quoted reason.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "anchor_fixtures.h"
#include "writers/detail.h"
#include "writers/powerdns_writer.h"

namespace anchorage::writers {
namespace {

using testdata::ds;
using testdata::key;
using testdata::kKsk2017;
using testdata::kRootDs;
using testdata::name;

using ::testing::HasSubstr;
using ::testing::Not;

PowerDnsWriter writer() {
  WriterSettings s;
  s.type = ResolverType::kPowerDns;
  s.anchor_file = "/etc/powerdns/anchorage.lua";
  return PowerDnsWriter(s);
}

TEST(WriterPowerDnsTest, DnskeyAnchorsBecomeTheirSha256Ds) {
  AnchorSet set;
  set.anchors = {key(".", kKsk2017)};
  const std::string text = writer().render(set).value();
  EXPECT_THAT(text, HasSubstr("addTA('.', '" + std::string(kRootDs) + "')\n"));
  EXPECT_THAT(text, Not(HasSubstr("AwEAA")));
}

TEST(WriterPowerDnsTest, ClearsTheBuiltInRootAnchorOnlyWhenReplacingIt) {
  AnchorSet root;
  root.anchors = {ds(".", kRootDs)};
  const std::string with_root = writer().render(root).value();
  EXPECT_LT(with_root.find("clearTA('.')\n"), with_root.find("addTA('.'"));
  AnchorSet corp;
  corp.anchors = {ds("corp.example.", "1 13 2 AABBCCDD")};
  const std::string without_root = writer().render(corp).value();
  EXPECT_THAT(without_root, Not(HasSubstr("clearTA")));
  EXPECT_THAT(without_root, HasSubstr("addTA('corp.example.', '1 13 2 AABBCCDD')\n"));
}

TEST(WriterPowerDnsTest, NtasCarryTheirReasonQuoted) {
  AnchorSet set;
  set.ntas = {{name("lab.corp.example."), model::parseTime("2030-01-01T00:00:00Z").value(),
               "it's\nbroken ')\nos.exit(1)--"}};
  const std::string text = writer().render(set).value();
  EXPECT_THAT(text, HasSubstr("addNTA('lab.corp.example.', 'it\\'s broken \\') os.exit(1)--')\n"));
  // Every line is a comment or a single call.
  for (size_t pos = 0; pos < text.size(); pos = text.find('\n', pos) + 1) {
    const std::string line = text.substr(pos, text.find('\n', pos) - pos);
    EXPECT_TRUE(line.rfind("--", 0) == 0 || line.rfind("addNTA(", 0) == 0) << line;
  }
  EXPECT_TRUE(detail::parseState(text, "--"));
}

}  // namespace
}  // namespace anchorage::writers
