// SPDX-License-Identifier: Apache-2.0
//
// Tests of the Knot Resolver renderer: a manifest naming one anchor file per trust point (kresd
// refuses mixed owners in one file) and the NTAs, file names that are safe for any domain name,
// removal of files of withdrawn trust points, and a configuration snippet that survives kresd's
// one-line control socket.

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "anchor_fixtures.h"
#include "util/encoding.h"
#include "writers/detail.h"
#include "writers/knot_writer.h"

namespace anchorage::writers {
namespace {

using testdata::ds;
using testdata::kCorpKey;
using testdata::key;
using testdata::kRootDs;
using testdata::name;

using ::testing::HasSubstr;
using ::testing::Not;

KnotWriter writer(const std::string& manifest = "/var/lib/anchorage/kresd.lua") {
  WriterSettings s;
  s.type = ResolverType::kKnot;
  s.anchor_file = manifest;
  s.control_socket = "/run/knot-resolver/control";
  return KnotWriter(s);
}

TEST(WriterKnotTest, ManifestListsOneFilePerTrustPointAndTheNtas) {
  AnchorSet set;
  set.anchors = {ds(".", kRootDs), key("corp.example.", kCorpKey),
                 ds("corp.example.", "1 13 2 AABBCCDD")};
  set.ntas = {{name("lab.corp.example."), model::parseTime("2030-01-01T00:00:00Z").value(),
               "signer 'down'"}};
  const auto files = writer().renderFiles(set).value();
  ASSERT_EQ(files.size(), 3u);
  const std::string& manifest = *files[0].content;
  EXPECT_EQ(files[0].path, "/var/lib/anchorage/kresd.lua");
  EXPECT_THAT(manifest, HasSubstr("return {\n  anchors = {\n"));
  EXPECT_THAT(manifest, HasSubstr("{ '.', '/var/lib/anchorage/kresd.lua.d/@root.anchor', 1 },"));
  EXPECT_THAT(
      manifest,
      HasSubstr("{ 'corp.example.', '/var/lib/anchorage/kresd.lua.d/corp.example.anchor', 2 },"));
  EXPECT_THAT(manifest, HasSubstr("insecure = {\n    'lab.corp.example.', -- signer 'down'\n"));
  EXPECT_TRUE(detail::parseState(manifest, "--"));

  EXPECT_EQ(files[1].path, "/var/lib/anchorage/kresd.lua.d/@root.anchor");
  EXPECT_THAT(*files[1].content, HasSubstr("\n. 3600 IN DS 20326 8 2 E06D"));
  EXPECT_EQ(files[2].path, "/var/lib/anchorage/kresd.lua.d/corp.example.anchor");
  EXPECT_THAT(*files[2].content, HasSubstr("\ncorp.example. 3600 IN DNSKEY 257 3 13 "));
  EXPECT_THAT(*files[2].content, HasSubstr("\ncorp.example. 3600 IN DS 1 13 2 AABBCCDD\n"));
  EXPECT_THAT(*files[2].content, Not(HasSubstr("\n. ")));
  EXPECT_EQ(writer().render(set).value(), manifest);
}

TEST(WriterKnotTest, FileNamesAreSafeForEveryName) {
  EXPECT_EQ(KnotWriter::trustPointFileName(name(".")), "@root.anchor");
  EXPECT_EQ(KnotWriter::trustPointFileName(name("Corp.Example.")), "corp.example.anchor");
  EXPECT_EQ(KnotWriter::trustPointFileName(name("root.")), "root.anchor");
  const auto odd = name("a/b\\.c.example.");
  const std::string file = KnotWriter::trustPointFileName(odd);
  EXPECT_EQ(file, "@" + util::encodeHex(odd.wire(), false) + ".anchor");
  EXPECT_EQ(file.find('/'), std::string::npos);
}

TEST(WriterKnotTest, QuotesNamesAndPathsForLua) {
  EXPECT_EQ(detail::luaQuote("it's"), "'it\\'s'");
  EXPECT_EQ(detail::luaQuote("a\\b"), "'a\\\\b'");
  EXPECT_EQ(detail::luaQuote("x\n1"), "'x\\0101'");
  AnchorSet set;
  set.ntas = {{name("o'brien.example."), model::parseTime("2030-01-01T00:00:00Z").value(), ""}};
  EXPECT_THAT(writer().render(set).value(), HasSubstr("'o\\'brien.example.',"));
}

TEST(WriterKnotTest, FilesOfWithdrawnTrustPointsAreRemoved) {
  const std::string dir = "/tmp/anchorage-knot-test-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir + "/kresd.lua.d");
  std::ofstream(dir + "/kresd.lua.d/old.example.anchor") << "old.example. 3600 IN DS 1 13 2 AA\n";
  std::ofstream(dir + "/kresd.lua.d/notes.txt") << "not ours\n";
  AnchorSet set;
  set.anchors = {ds(".", kRootDs)};
  const auto files = writer(dir + "/kresd.lua").renderFiles(set).value();
  std::filesystem::remove_all(dir);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[2].path, dir + "/kresd.lua.d/old.example.anchor");
  EXPECT_FALSE(files[2].content);
}

TEST(WriterKnotTest, SnippetDefinesTheFunctionsWithoutLineComments) {
  const std::string snippet = KnotWriter::configSnippet();
  EXPECT_THAT(snippet, HasSubstr("function anchorage_apply(manifest)"));
  EXPECT_THAT(snippet, HasSubstr("function anchorage_flush(name)"));
  EXPECT_THAT(snippet, HasSubstr("trust_anchors.add_file, path, true"));
  EXPECT_THAT(snippet, HasSubstr("trust_anchors.set_insecure"));
  EXPECT_THAT(snippet, Not(HasSubstr("--")));
}

}  // namespace
}  // namespace anchorage::writers
