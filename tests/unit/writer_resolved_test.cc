// SPDX-License-Identifier: Apache-2.0
//
// Tests of the systemd-resolved renderer: "<name> IN DS ..." lines (DNSKEY anchors as their DS,
// systemd issue 36592), a negative file only while NTAs exist, and the file suffixes resolved
// requires (dnssec-trust-anchors.d(5)).

#include <stdlib.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "anchor_fixtures.h"
#include "writers/resolved_writer.h"

namespace anchorage::writers {
namespace {

using testdata::kKsk2017;
using testdata::kRootDs;
using testdata::name;

using ::testing::HasSubstr;
using ::testing::Not;

WriterSettings settings() {
  WriterSettings s;
  s.type = ResolverType::kSystemdResolved;
  s.anchor_file = "/etc/dnssec-trust-anchors.d/anchorage.positive";
  s.nta_file = "/etc/dnssec-trust-anchors.d/anchorage.negative";
  return s;
}

TEST(WriterResolvedTest, WritesDsLinesAndConvertsDnskeys) {
  model::TrustAnchor ds;
  ds.record = {name("corp.example."), 3600, model::parseDsRdata("1 13 2 AABBCCDD").value()};
  model::TrustAnchor key;
  key.record = {name("."), 3600, model::parseDnskeyRdata(kKsk2017).value()};
  AnchorSet set;
  set.anchors = {ds, key};
  const std::string text = ResolvedWriter(settings()).render(set).value();
  EXPECT_THAT(text, HasSubstr("\n. IN DS " + std::string(kRootDs) + "\n"));
  EXPECT_THAT(text, HasSubstr("\ncorp.example. IN DS 1 13 2 AABBCCDD\n"));
  EXPECT_THAT(text, Not(HasSubstr("DNSKEY 257")));
}

TEST(WriterResolvedTest, NegativeFileExistsOnlyWithNtas) {
  const ResolvedWriter w(settings());
  auto none = w.renderFiles({}).value();
  ASSERT_EQ(none.size(), 2u);
  EXPECT_EQ(none[1].path, "/etc/dnssec-trust-anchors.d/anchorage.negative");
  EXPECT_FALSE(none[1].content);  // removed: any *.negative replaces resolved's built-in list
  AnchorSet set;
  set.ntas = {{name("lab.corp.example."), model::parseTime("2030-01-01T00:00:00Z").value(), "x"}};
  auto some = w.renderFiles(set).value();
  ASSERT_TRUE(some[1].content);
  EXPECT_THAT(*some[1].content, HasSubstr("\nlab.corp.example.\n"));
  EXPECT_THAT(*some[1].content, HasSubstr("; until 2030-01-01T00:00:00Z: x\n"));
}

TEST(WriterResolvedTest, FilesNeedResolvedSuffixes) {
  WriterSettings s = settings();
  s.anchor_file = "/etc/dnssec-trust-anchors.d/anchorage.conf";
  auto w = createWriter(s);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kConfig);
  auto good = createWriter(settings());
  ASSERT_TRUE(good) << good.error().toString();
  EXPECT_EQ((*good)->type(), ResolverType::kSystemdResolved);
}

TEST(WriterResolvedTest, ApplyWritesAndRemovesTheNegativeFile) {
  std::string dir = "/tmp/anchorage-resolved-test-" + std::string(6, 'X');
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  WriterSettings s = settings();
  s.anchor_file = dir + "/anchorage.positive";
  s.nta_file = dir + "/anchorage.negative";
  s.reload_command = {"/bin/true"};
  s.flush_command = {"/bin/true"};
  auto w = createWriter(s).value();
  model::TrustAnchor ds;
  ds.record = {name("corp.example."), 3600, model::parseDsRdata("1 13 2 AABBCCDD").value()};
  AnchorSet set;
  set.anchors = {ds};
  set.ntas = {{name("lab.corp.example."), model::parseTime("2030-01-01T00:00:00Z").value(), ""}};
  const ApplyReport with_nta = w->apply(set);
  EXPECT_TRUE(with_nta.ok()) << with_nta.result.error().toString();
  EXPECT_TRUE(std::filesystem::exists(s.anchor_file));
  EXPECT_TRUE(std::filesystem::exists(s.nta_file));
  set.ntas.clear();
  const ApplyReport without = w->apply(set);
  EXPECT_TRUE(without.ok());
  EXPECT_EQ(without.flushed, std::vector<std::string>{"lab.corp.example."});
  EXPECT_TRUE(std::filesystem::exists(s.anchor_file));
  EXPECT_FALSE(std::filesystem::exists(s.nta_file));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace anchorage::writers
