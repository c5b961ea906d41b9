// SPDX-License-Identifier: Apache-2.0
//
// Tests of the BIND configuration reader: trust-anchors, managed-keys and trusted-keys among
// other statements (fixtures in tests/data/bind, checked with named-checkconf), the installed
// bind.keys, and malformed or hostile input, each of which must give a problem on the right
// line with a precise reason.

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "formats/format.h"
#include "model/anchor.h"
#include "util/file.h"

namespace anchorage::formats {
namespace {

namespace fs = std::filesystem;

const std::string kBindData = std::string(ANCHORAGE_TEST_DATA) + "/bind";

constexpr const char* kKsk2017 =
    "AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5"
    "emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHw"
    "VN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOL"
    "YA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=";

std::string readText(const std::string& path) {
  auto text = util::readFile(path, kMaxInputBytes);
  EXPECT_TRUE(text) << path;
  return text ? *text : std::string();
}

ParseResult parseBindText(std::string_view text, std::string_view source = "named.conf") {
  return parse(Format::kBind, text, source);
}

std::string describe(const ParseResult& result) {
  std::string out;
  for (const auto& p : result.problems) {
    out += p.where.toString() + ": " + p.reason + "\n";
  }
  return out;
}

bool hasProblem(const ParseResult& result, size_t line, std::string_view reason) {
  return std::any_of(result.problems.begin(), result.problems.end(), [&](const ParseProblem& p) {
    return p.where.line == line && p.reason.find(reason) != std::string::npos;
  });
}

bool hasFinding(const ParsedAnchor& anchor, std::string_view text) {
  return std::any_of(anchor.findings.begin(), anchor.findings.end(), [&](const auto& f) {
    return f.severity == model::Severity::kWarning && f.message.find(text) != std::string::npos;
  });
}

// Reads "// expect-line: N" and "// expect-reason: TEXT" from a fixture's header.
std::pair<size_t, std::string> expectation(const std::string& text) {
  const std::string line_key = "// expect-line: ";
  const std::string reason_key = "// expect-reason: ";
  const size_t l = text.find(line_key);
  const size_t r = text.find(reason_key);
  if (l == std::string::npos || r == std::string::npos) {
    return {0, ""};
  }
  const size_t ls = l + line_key.size();
  const size_t rs = r + reason_key.size();
  return {std::stoul(text.substr(ls, text.find('\n', ls) - ls)),
          text.substr(rs, text.find('\n', rs) - rs)};
}

TEST(BindFormatTest, ReadsTrustAnchorsAmongOtherStatements) {
  const auto result = parseBindText(readText(kBindData + "/ok_trust_anchors.conf"));
  ASSERT_TRUE(result.clean()) << describe(result);
  ASSERT_EQ(result.anchors.size(), 5u);
  struct Expected {
    size_t line;
    std::string owner;
    model::RecordType type;
    uint16_t key_tag;
    bool initial;
  };
  using model::RecordType;
  const std::vector<Expected> expected = {
      {13, ".", RecordType::kDnskey, 20326, false},
      {16, "corp.example.", RecordType::kDs, 20326, false},
      {18, "lab.example.", RecordType::kDnskey, 38696, false},
      {19, "next.example.", RecordType::kDs, 38696, true},
      {32, "internal.example.", RecordType::kDnskey, 20326, true},
  };
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& got = result.anchors[i];
    SCOPED_TRACE(expected[i].owner);
    EXPECT_EQ(got.where.line, expected[i].line);
    EXPECT_EQ(got.anchor.record.owner.text(), expected[i].owner);
    EXPECT_EQ(got.anchor.record.type(), expected[i].type);
    EXPECT_EQ(got.anchor.record.keyTag(), expected[i].key_tag);
    EXPECT_EQ(got.anchor.origin, model::Origin::kImport);
    EXPECT_EQ(got.anchor.state, model::KeyState::kValid);
    EXPECT_EQ(hasFinding(got, "must be turned on with anchorctl autoupdate"), expected[i].initial);
  }
  EXPECT_TRUE(hasFinding(result.anchors[3], "initial-ds: "));
  EXPECT_TRUE(hasFinding(result.anchors[4], "initial-key: "));
}

TEST(BindFormatTest, ReadsManagedKeysAsValidAnchorsWithWarning) {
  const auto result = parseBindText(readText(kBindData + "/ok_managed_keys.conf"));
  ASSERT_TRUE(result.clean()) << describe(result);
  ASSERT_EQ(result.anchors.size(), 1u);
  EXPECT_EQ(result.anchors[0].anchor.record.keyTag(), 20326);
  EXPECT_EQ(result.anchors[0].where.line, 3u);
  EXPECT_TRUE(hasFinding(result.anchors[0], "initial-key: automatic update"));
}

TEST(BindFormatTest, ReadsTrustedKeys) {
  const auto result = parseBindText(readText(kBindData + "/ok_trusted_keys.conf"));
  ASSERT_TRUE(result.clean()) << describe(result);
  ASSERT_EQ(result.anchors.size(), 2u);
  EXPECT_EQ(result.anchors[0].anchor.record.keyTag(), 20326);
  EXPECT_EQ(result.anchors[1].anchor.record.keyTag(), 38696);
  EXPECT_EQ(result.anchors[1].where.line, 4u);
  EXPECT_FALSE(hasFinding(result.anchors[0], "autoupdate"));
}

TEST(BindFormatTest, ReadsInstalledBindKeys) {
  const std::string path = "/etc/bind/bind.keys";
  if (!fs::exists(path)) {
    GTEST_SKIP() << "bind9 is not installed";
  }
  const auto result = parse(detectFormat(readText(path), path), readText(path), path);
  ASSERT_TRUE(result.clean()) << describe(result);
  EXPECT_TRUE(std::any_of(result.anchors.begin(), result.anchors.end(), [](const auto& a) {
    return a.anchor.record.keyTag() == 20326 && !a.anchor.record.isDs() &&
           a.anchor.record.owner.isRoot();
  }));
}

TEST(BindFormatTest, JoinsDataSplitOverStringsAndLines) {
  const std::string key(kKsk2017);
  const std::string text = "trust-anchors {\n  \".\" static-key 257 3 8 \"" + key.substr(0, 100) +
                           "\"\n    \"" + key.substr(100, 100) + "\n" + key.substr(200) +
                           "\";\n  example. static-ds 20326 8 2 \"E06D44B80B8F1D39\" "
                           "\"A95C0B0D7C65D084\"\n \"58E880409BBC683457104237C7F8EC8D\";\n};\n";
  const auto result = parseBindText(text);
  ASSERT_TRUE(result.clean()) << describe(result);
  ASSERT_EQ(result.anchors.size(), 2u);
  EXPECT_EQ(result.anchors[0].anchor.record.keyTag(), 20326);
  EXPECT_EQ(result.anchors[1].where.line, 5u);
  EXPECT_EQ(result.anchors[1].anchor.record.ds().digest.size(), 32u);
}

TEST(BindFormatTest, SkipsCommentsOfEveryStyle) {
  const std::string text =
      "# trust-anchors { . static-key 1 3 8 \"AAAA\"; };\n"
      "// trust-anchors { broken\n"
      "/* trust-anchors {\n } */ trust-anchors { /* inside */\n"
      "  . static-key 257 3 8 \"" +
      std::string(kKsk2017) + "\"; # after\n};\n";
  const auto result = parseBindText(text);
  ASSERT_TRUE(result.clean()) << describe(result);
  ASSERT_EQ(result.anchors.size(), 1u);
  EXPECT_EQ(result.anchors[0].where.line, 5u);
}

TEST(BindFormatTest, MalformedFixturesGiveProblemOnLineWithReason) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(kBindData)) {
    if (entry.path().filename().string().starts_with("err_")) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 15u);
  for (const auto& file : files) {
    const std::string text = readText(file);
    const auto [line, reason] = expectation(text);
    ASSERT_GT(line, 0u) << file << " has no expect-line header";
    const auto result = parseBindText(text, file);
    EXPECT_TRUE(hasProblem(result, line, reason))
        << file << ": wanted line " << line << ": " << reason << "\ngot:\n"
        << describe(result);
  }
}

TEST(BindFormatTest, OtherStatementsNeedNoAnchors) {
  const auto result = parseBindText(
      "options { directory \"/var/cache/bind\"; };\nzone \"x\" { type hint; file \"r\"; };\n");
  EXPECT_TRUE(result.clean()) << describe(result);
  EXPECT_TRUE(result.anchors.empty());
}

// ---- hostile input ----

TEST(BindFormatTest, NulByteInNameIsAProblemNotATruncatedName) {
  std::string text = "trust-anchors {\n  exa";
  text += '\0';
  text += "mple. static-key 257 3 8 \"" + std::string(kKsk2017) + "\";\n};\n";
  const auto result = parseBindText(text);
  EXPECT_TRUE(hasProblem(result, 2, "control character 0x00 on line 2")) << describe(result);
  EXPECT_TRUE(result.anchors.empty());
}

TEST(BindFormatTest, BinaryGarbageGivesProblemsAndNoCrash) {
  std::string text;
  uint32_t state = 777;
  for (int i = 0; i < 200000; ++i) {
    state = state * 1664525u + 1013904223u;
    text += static_cast<char>(state >> 24);
  }
  const auto result = parseBindText(text);
  EXPECT_FALSE(result.problems.empty());
  EXPECT_LE(result.problems.size(), 1001u);
}

TEST(BindFormatTest, DeepBracesAreRefusedWithoutRecursion) {
  const std::string text = "options " + std::string(100000, '{');
  const auto result = parseBindText(text);
  ASSERT_EQ(result.problems.size(), 1u) << describe(result);
  EXPECT_EQ(result.problems[0].where.line, 1u);
  EXPECT_EQ(result.problems[0].reason, "braces are nested more than 64 deep on line 1");
}

TEST(BindFormatTest, JunkWithoutSemicolonIsAnUnendedStatement) {
  std::string text = "\n";
  for (int i = 0; i < 100000; ++i) {
    text += "junk words here\n";
  }
  const auto result = parseBindText(text);
  ASSERT_EQ(result.problems.size(), 1u) << describe(result);
  EXPECT_EQ(result.problems[0].where.line, 2u);
  EXPECT_EQ(result.problems[0].reason, "statement starting on line 2 is not ended by ';'");
}

TEST(BindFormatTest, HugeEntryIsRefused) {
  std::string text = "trust-anchors {\n . static-key 257 3 8";
  for (int i = 0; i < 5000; ++i) {
    text += " \"AAAA\"";
  }
  text += ";\n};\n";
  const auto result = parseBindText(text);
  EXPECT_TRUE(hasProblem(result, 2, "entry for '.' has more than 4096 parts")) << describe(result);
}

TEST(BindFormatTest, Utf16InputIsNamed) {
  const auto result = parseBindText(std::string("\xFE\xFF\0t\0r", 6));
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_NE(result.problems[0].reason.find("UTF-16"), std::string::npos);
}

TEST(BindFormatTest, RenderingBindIsRefused) {
  EXPECT_FALSE(render(Format::kBind, {}));
}

}  // namespace
}  // namespace anchorage::formats
