// SPDX-License-Identifier: Apache-2.0
//
// Tests of the writers' command runner: argv without a shell, output captured and bounded, exit
// codes, missing programs, timeouts that kill, early stop, and placeholder substitution.

#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>

#include "writers/command.h"

namespace anchorage::writers {
namespace {

using std::chrono::milliseconds;

TEST(WriterCommandTest, CapturesOutputAndExitCode) {
  auto r = runCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 4"}, milliseconds(5000));
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->exit_code, 4);
  EXPECT_FALSE(r->success());
  EXPECT_NE(r->output.find("out\n"), std::string::npos);
  EXPECT_NE(r->output.find("err\n"), std::string::npos);
}

TEST(WriterCommandTest, PassesArgumentsVerbatim) {
  auto r = runCommand({"/bin/echo", "a b", "$HOME", "'q'"}, milliseconds(5000));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->output, "a b $HOME 'q'\n");
  EXPECT_TRUE(r->success());
}

TEST(WriterCommandTest, ReportsAMissingProgram) {
  auto r = runCommand({"anchorage-no-such-tool"}, milliseconds(5000));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  auto empty = runCommand({}, milliseconds(5000));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kConfig);
}

TEST(WriterCommandTest, KillsACommandThatTimesOut) {
  const auto started = std::chrono::steady_clock::now();
  auto r = runCommand({"/bin/sh", "-c", "echo begun; sleep 30"}, milliseconds(200));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(r.error().field("output"), "begun\n");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST(WriterCommandTest, BoundsTheOutput) {
  auto r =
      runCommand({"/bin/sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x"}, milliseconds(5000));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->output.size(), kMaxCommandOutput);
  EXPECT_TRUE(r->success());
}

TEST(WriterCommandTest, StopsWhenTheConditionHolds) {
  const std::string marker = "/tmp/anchorage-command-test-" + std::to_string(::getpid());
  std::filesystem::remove(marker);
  const auto started = std::chrono::steady_clock::now();
  auto r = runCommand({"/bin/sh", "-c", "sleep 0.1; touch " + marker + "; sleep 30"},
                      milliseconds(5000), [&] { return std::filesystem::exists(marker); });
  std::filesystem::remove(marker);
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_TRUE(r->stopped);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  // A command that ends first is not "stopped".
  auto quick = runCommand({"/bin/true"}, milliseconds(5000), [] { return false; });
  ASSERT_TRUE(quick);
  EXPECT_FALSE(quick->stopped);
  EXPECT_TRUE(quick->success());
}

TEST(WriterCommandTest, SubstitutesPlaceholdersInsideArguments) {
  const auto argv = substitute({"wipe-cache", "{zone}$", "x{zone}{zone}"}, "{zone}", "corp.");
  EXPECT_EQ(argv, (std::vector<std::string>{"wipe-cache", "corp.$", "xcorp.corp."}));
  EXPECT_EQ(describeCommand({"rndc", "nta", "a b"}), "rndc nta 'a b'");
}

}  // namespace
}  // namespace anchorage::writers
