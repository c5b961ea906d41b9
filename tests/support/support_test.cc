// SPDX-License-Identifier: Apache-2.0
//
// Self-tests of the test-support library: processes are started and stopped by PID, output lands
// in the log file, ports are free and not handed out twice, temporary directories go away.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "support/ports.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace anchorage::testsupport {
namespace {

using std::chrono::milliseconds;

bool pidAlive(pid_t pid) {
  return ::kill(pid, 0) == 0;
}

TEST(TempDirTest, CreatesAndRemovesTheTree) {
  std::string path;
  {
    auto dir = TempDir::create("support-test");
    ASSERT_TRUE(dir) << dir.error().toString();
    path = dir->path();
    ASSERT_TRUE(std::filesystem::is_directory(path));
    auto sub = dir->makeSubdir("a/b");
    ASSERT_TRUE(sub);
    std::ofstream(*sub + "/f") << "x";
    EXPECT_EQ(dir->file("x"), path + "/x");
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ProcessTest, CapturesOutputAndExitCode) {
  auto dir = TempDir::create("support-test").value();
  auto out = runCommand({"/bin/sh", "-c", "echo hello; echo oops >&2; exit 3"}, milliseconds(5000),
                        dir.file("log"));
  ASSERT_TRUE(out) << out.error().toString();
  EXPECT_EQ(out->status.code, 3);
  EXPECT_FALSE(out->status.success());
  EXPECT_NE(out->output.find("hello"), std::string::npos);
  EXPECT_NE(out->output.find("oops"), std::string::npos);
}

TEST(ProcessTest, ReportsAMissingProgram) {
  auto p = Process::spawn({.argv = {"/nonexistent/anchorage-no-such-program"}});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kNotFound);
}

TEST(ProcessTest, StopsALongRunningProcessByPid) {
  auto p = Process::spawn({.argv = {"sleep", "60"}});
  ASSERT_TRUE(p) << p.error().toString();
  const pid_t pid = p->pid();
  EXPECT_TRUE(p->running());
  const ExitStatus status = p->stop();
  EXPECT_EQ(status.signal, SIGTERM);
  EXPECT_FALSE(p->running());
  EXPECT_FALSE(pidAlive(pid));
}

TEST(ProcessTest, KillsAProcessThatIgnoresTerm) {
  auto p = Process::spawn({.argv = {"/bin/sh", "-c", "trap '' TERM; sleep 60 & wait"}});
  ASSERT_TRUE(p);
  // Give the shell time to install the trap before the TERM arrives.
  std::this_thread::sleep_for(milliseconds(100));
  const auto started = std::chrono::steady_clock::now();
  const ExitStatus status = p->stop(milliseconds(200));
  EXPECT_EQ(status.signal, SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST(ProcessTest, DestructorStopsTheProcessAndItsChildren) {
  auto dir = TempDir::create("support-test").value();
  pid_t pid = -1;
  {
    auto p = Process::spawn(
        {.argv = {"/bin/sh", "-c", "sleep 60 & echo $! > child; wait"}, .working_dir = dir.path()});
    ASSERT_TRUE(p);
    pid = p->pid();
    ASSERT_TRUE(waitUntil(
        [&] {
          std::error_code error;
          const auto size = std::filesystem::file_size(dir.file("child"), error);
          return !error && size > 0;
        },
        milliseconds(3000)));
  }
  EXPECT_FALSE(pidAlive(pid));
  std::ifstream in(dir.file("child"));
  pid_t child = -1;
  in >> child;
  ASSERT_GT(child, 0);
  EXPECT_TRUE(waitUntil([&] { return !pidAlive(child); }, milliseconds(2000)));
}

TEST(ProcessTest, WaitTimesOutWhileTheProcessRuns) {
  auto p = Process::spawn({.argv = {"sleep", "60"}});
  ASSERT_TRUE(p);
  auto r = p->wait(milliseconds(50));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
  EXPECT_TRUE(p->running());
}

TEST(ProcessTest, RunCommandKillsWhatTimesOut) {
  auto r = runCommand({"sleep", "60"}, milliseconds(100));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
}

TEST(ProcessTest, PassesExtraEnvironment) {
  auto out = runCommand({"/bin/sh", "-c", "echo \"$ANCHORAGE_SUPPORT_TEST\""}, milliseconds(5000));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->output, "\n");
  auto dir = TempDir::create("support-test").value();
  auto p = Process::spawn({.argv = {"/bin/sh", "-c", "echo \"$ANCHORAGE_SUPPORT_TEST\""},
                           .output_path = dir.file("log"),
                           .environment = {"ANCHORAGE_SUPPORT_TEST=yes"}});
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->wait(milliseconds(5000)));
  EXPECT_EQ(p->readOutput(), "yes\n");
}

TEST(PortTest, ReservedPortIsFreeAndNotHandedOutTwice) {
  auto a = reserveFreePort("127.0.0.1", 15900, 15901);
  ASSERT_TRUE(a) << a.error().toString();
  EXPECT_TRUE(isPortFree("127.0.0.1", a->port()));
  auto b = reserveFreePort("127.0.0.1", 15900, 15901);
  ASSERT_TRUE(b) << b.error().toString();
  EXPECT_NE(a->port(), b->port());
  auto c = reserveFreePort("127.0.0.1", 15900, 15901);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kUnavailable);
}

TEST(PortTest, PortInUseIsNotFree) {
  auto a = reserveFreePort("127.0.0.1", 15902, 15910);
  ASSERT_TRUE(a);
  auto server = Process::spawn(
      {.argv = {"python3", "-c",
                "import socket,time;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
                "s.bind(('127.0.0.1'," +
                    std::to_string(a->port()) + "));time.sleep(60)"}});
  ASSERT_TRUE(server);
  EXPECT_TRUE(waitUntil([&] { return !isPortFree("127.0.0.1", a->port()); }, milliseconds(5000)));
  server->stop();
  EXPECT_TRUE(waitUntil([&] { return isPortFree("127.0.0.1", a->port()); }, milliseconds(2000)));
}

TEST(PortTest, RejectsBadInput) {
  EXPECT_FALSE(reserveFreePort("not-an-address"));
  EXPECT_FALSE(reserveFreePort("127.0.0.1", 15910, 15900));
  EXPECT_FALSE(isPortFree("::1", 15300));
}

TEST(WaitTest, ReturnsTrueAsSoonAsTheConditionHolds) {
  int calls = 0;
  EXPECT_TRUE(waitUntil([&] { return ++calls == 3; }, milliseconds(2000), milliseconds(1)));
  EXPECT_EQ(calls, 3);
}

TEST(WaitTest, GivesUpAtTheDeadline) {
  const auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(waitUntil([] { return false; }, milliseconds(50)));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, milliseconds(50));
  EXPECT_LT(took, milliseconds(1000));
}

}  // namespace
}  // namespace anchorage::testsupport
