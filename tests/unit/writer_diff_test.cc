// SPDX-License-Identifier: Apache-2.0
//
// Tests of the unified diff the writers' dry run returns: hunk headers and context as diff -u
// writes them, and, on random edits, a diff that turns the old text into the new one.

#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "writers/diff.h"

namespace anchorage::writers {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    out.push_back(line + "\n");
  }
  return out;
}

/// Applies a unified diff produced by unifiedDiff() to `before` (texts ending in newlines).
std::string patch(const std::string& before, const std::string& diff) {
  const auto old_lines = lines(before);
  std::vector<std::string> out;
  size_t next_old = 0;
  for (const auto& line : lines(diff)) {
    if (line.rfind("---", 0) == 0 || line.rfind("+++", 0) == 0) {
      continue;
    }
    if (line.rfind("@@", 0) == 0) {
      size_t start = std::stoul(line.substr(4));
      const bool empty_range =
          line.find(",0 ") != std::string::npos && line.find(",0 ") < line.find('+');
      const size_t first = empty_range ? start : start - 1;
      while (next_old < first) {
        out.push_back(old_lines[next_old++]);
      }
      continue;
    }
    if (line[0] == ' ') {
      out.push_back(old_lines[next_old++]);
    } else if (line[0] == '-') {
      ++next_old;
    } else if (line[0] == '+') {
      out.push_back(line.substr(1));
    }
  }
  while (next_old < old_lines.size()) {
    out.push_back(old_lines[next_old++]);
  }
  std::string joined;
  for (const auto& l : out) {
    joined += l;
  }
  return joined;
}

TEST(WriterDiffTest, EqualTextsGiveNoDiff) {
  EXPECT_EQ(unifiedDiff("a\nb\n", "a\nb\n", "old", "new"), "");
  EXPECT_EQ(unifiedDiff("", "", "old", "new"), "");
}

TEST(WriterDiffTest, OneChangedLineWithContext) {
  const std::string before = "1\n2\n3\n4\n5\n6\n7\n8\n";
  const std::string after = "1\n2\n3\n4\nFIVE\n6\n7\n8\n";
  EXPECT_EQ(unifiedDiff(before, after, "a/f", "b/f"),
            "--- a/f\n+++ b/f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n");
}

TEST(WriterDiffTest, NewFileAndRemovedFile) {
  EXPECT_EQ(unifiedDiff("", "x\ny\n", "/dev/null", "f"),
            "--- /dev/null\n+++ f\n@@ -0,0 +1,2 @@\n+x\n+y\n");
  EXPECT_EQ(unifiedDiff("x\n", "", "f", "/dev/null"), "--- f\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n");
}

TEST(WriterDiffTest, DistantChangesGiveSeparateHunks) {
  std::string before;
  for (int i = 0; i < 30; ++i) {
    before += std::to_string(i) + "\n";
  }
  std::string after = before;
  after.replace(after.find("2\n"), 2, "two\n");
  after.replace(after.find("25\n"), 3, "twenty-five\n");
  const std::string diff = unifiedDiff(before, after, "a", "b");
  size_t hunks = 0;
  for (size_t pos = 0; (pos = diff.find("\n@@", pos)) != std::string::npos; ++pos) {
    ++hunks;
  }
  EXPECT_EQ(hunks, 2u) << diff;
  EXPECT_EQ(patch(before, diff), after);
}

TEST(WriterDiffTest, MarksAMissingFinalNewline) {
  const std::string diff = unifiedDiff("a\n", "a\nb", "x", "y");
  EXPECT_NE(diff.find("+b\n\\ No newline at end of file\n"), std::string::npos) << diff;
}

TEST(WriterDiffTest, RandomEditsRoundTrip) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string> base;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      base.push_back("line " + std::to_string(rng() % 12) + "\n");
    }
    std::vector<std::string> edited = base;
    const int edits = static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = edited.empty() ? 0 : rng() % (edited.size() + 1);
      switch (rng() % 3) {
        case 0:
          edited.insert(edited.begin() + static_cast<long>(pos), "new " + std::to_string(e) + "\n");
          break;
        case 1:
          if (pos < edited.size()) {
            edited.erase(edited.begin() + static_cast<long>(pos));
          }
          break;
        default:
          if (pos < edited.size()) {
            edited[pos] = "changed " + std::to_string(e) + "\n";
          }
      }
    }
    std::string before;
    std::string after;
    for (const auto& l : base) {
      before += l;
    }
    for (const auto& l : edited) {
      after += l;
    }
    const std::string diff = unifiedDiff(before, after, "a", "b");
    EXPECT_EQ(patch(before, diff), after) << "round " << round << "\n" << diff;
  }
}

TEST(WriterDiffTest, LargeRewriteStaysBounded) {
  std::string before;
  std::string after;
  for (int i = 0; i < 20000; ++i) {
    before += "old " + std::to_string(i) + "\n";
    after += "new " + std::to_string(i) + "\n";
  }
  const auto started = std::chrono::steady_clock::now();
  const std::string diff = unifiedDiff(before, after, "a", "b");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(patch(before, diff), after);
}

}  // namespace
}  // namespace anchorage::writers
