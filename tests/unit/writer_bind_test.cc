// SPDX-License-Identifier: Apache-2.0
//
// Tests of the BIND 9 renderer: one trust-anchors statement with static-ds and static-key
// entries, nothing but comments for an empty set, and the rndc nta commands that move BIND's NTAs
// (RFC 7646) from one set to the next, with rndc's one-week lifetime cap.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "anchor_fixtures.h"
#include "writers/bind_writer.h"
#include "writers/detail.h"

namespace anchorage::writers {
namespace {

using testdata::ds;
using testdata::kCorpKey;
using testdata::key;
using testdata::kRootDs;
using testdata::name;

using ::testing::HasSubstr;
using ::testing::Not;

const model::Time kNow = model::parseTime("2026-12-03T12:00:00Z").value();

BindWriter writer() {
  WriterSettings s;
  s.type = ResolverType::kBind;
  s.anchor_file = "/etc/bind/anchorage-anchors.conf";
  s.control_command = {"rndc", "-k", "/etc/bind/rndc.key"};
  return BindWriter(s, [] { return kNow; });
}

TEST(WriterBindTest, RendersStaticDsAndStaticKeyInOneStatement) {
  AnchorSet set;
  set.anchors = {ds(".", kRootDs), key("corp.example.", kCorpKey)};
  const std::string text = writer().render(set).value();
  EXPECT_THAT(text,
              HasSubstr("trust-anchors {\n"
                        "  \".\" static-ds 20326 8 2 "
                        "\"E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\";\n"
                        "  \"corp.example.\" static-key 257 3 13 \"mFNq6OJur1Mraz0fPAmK7SExaRo"
                        "057c+yJW17T8gyq89FtNG+Cg955NdSWniifhlG1blBMnUoY7H1qhzcPQPPA==\";\n"
                        "};\n"));
  EXPECT_THAT(text, Not(HasSubstr("initial-")));
  EXPECT_TRUE(detail::parseState(text, "#"));
}

TEST(WriterBindTest, EmptySetHasNoStatement) {
  const std::string text = writer().render({}).value();
  EXPECT_THAT(text, Not(HasSubstr("trust-anchors {")));
  for (size_t pos = 0; pos < text.size(); pos = text.find('\n', pos) + 1) {
    EXPECT_EQ(text[pos], '#');
  }
  auto state = detail::parseState(text, "#");
  ASSERT_TRUE(state);
  EXPECT_TRUE(state->trust_points.empty());
}

TEST(WriterBindTest, RefusesNamesThatCannotBeQuoted) {
  AnchorSet set;
  set.anchors = {ds("a\\\"b.example.", kRootDs)};
  auto text = writer().render(set);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, ErrorCode::kUnsupported);
}

TEST(WriterBindTest, NtaCommandsAddChangeAndRemove) {
  WrittenState before;
  before.ntas = {{"old.example.", "2026-12-04T00:00:00Z"},
                 {"same.example.", "2026-12-05T00:00:00Z"}};
  WrittenState after;
  after.ntas = {{"same.example.", "2026-12-05T00:00:00Z"},
                {"new.example.", "2026-12-03T13:00:00Z"},
                {"far.example.", "2027-06-01T00:00:00Z"},
                {"past.example.", "2026-12-01T00:00:00Z"}};
  const auto commands = writer().ntaCommands(before, after);
  using V = std::vector<std::string>;
  const V prefix = {"rndc", "-k", "/etc/bind/rndc.key"};
  auto with = [&](V tail) {
    V v = prefix;
    v.insert(v.end(), tail.begin(), tail.end());
    return v;
  };
  ASSERT_EQ(commands.size(), 3u);
  EXPECT_EQ(commands[0], with({"nta", "-remove", "old.example."}));
  // far.example. is capped at one week; past.example. has expired and is not set.
  EXPECT_EQ(commands[1], with({"nta", "-force", "-lifetime", "604800", "far.example."}));
  EXPECT_EQ(commands[2], with({"nta", "-force", "-lifetime", "3600", "new.example."}));
}

TEST(WriterBindTest, UnknownPreviousStateRemovesNothing) {
  WrittenState after;
  after.ntas = {{"lab.example.", "2026-12-03T12:10:00Z"}};
  const auto commands = writer().ntaCommands(std::nullopt, after);
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(commands[0].back(), "lab.example.");
  EXPECT_EQ(commands[0][commands[0].size() - 2], "600");
  EXPECT_TRUE(writer().ntaCommands(after, after).empty());
}

}  // namespace
}  // namespace anchorage::writers
