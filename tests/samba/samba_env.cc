// SPDX-License-Identifier: Apache-2.0
//
// Starts and stops tests/samba/samba-dc.sh for the Active Directory tests, with a guard process
// that stops the DCs when the test binary dies without reaching TearDown.

#include "samba_env.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "support/process.h"

namespace anchorage::testing {

SambaEnvironment* SambaEnvironment::instance_ = nullptr;

namespace {

using std::chrono::milliseconds;

// Provisioning and joining take 10-40 s on two cores; the bound only catches a hang.
constexpr milliseconds kStartTimeout{240000};
constexpr milliseconds kStopTimeout{60000};

std::string script() {
  return std::string(ANCHORAGE_SOURCE_DIR) + "/tests/samba/samba-dc.sh";
}

// What the harness needs and lacks on this machine, for the skip message; empty when complete.
std::string missingPrerequisites() {
  std::string missing;
  if (geteuid() != 0) {
    missing += " root (samba binds privileged ports)";
  }
  for (const char* tool : {"/usr/sbin/samba", "/usr/bin/samba-tool", "/usr/bin/ldapsearch"}) {
    if (!std::filesystem::exists(tool)) {
      missing += std::string(" ") + tool;
    }
  }
  return missing;
}

}  // namespace

void SambaEnvironment::SetUp() {
  const std::string missing = missingPrerequisites();
  if (!missing.empty()) {
    GTEST_SKIP() << "Samba AD harness needs:" << missing << " (deploy/install-deps.sh)";
  }
  char tmpl[] = "/tmp/anc-samba-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  dir_ = tmpl;
  // The guard comes first, so that a crash while the DCs start still stops them.
  ASSERT_TRUE(startGuard()) << "cannot start the guard process";

  const auto began = std::chrono::steady_clock::now();
  auto started = testsupport::runCommand({"bash", script(), "start", stateDir()}, kStartTimeout,
                                         dir_ + "/start.log");
  start_duration_ =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - began);
  ASSERT_TRUE(started) << started.error().toString() << "; see " << dir_ << "/start.log";
  ASSERT_TRUE(started->status.success())
      << "the Samba DCs did not start; see " << dir_ << "/start.log:\n"
      << started->output;
  // The script's own step timings, then the total as the test binary saw it.
  std::istringstream lines(started->output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("samba-dc: timing ", 0) == 0) {
      std::printf("%s\n", line.c_str());
    }
  }
  std::printf("samba-dc: two DCs provisioned, joined and started in %.3f s\n",
              static_cast<double>(start_duration_.count()) / 1000.0);
  std::fflush(stdout);

  std::ifstream env(stateDir() + "/samba.env");
  while (std::getline(env, line)) {
    const auto eq = line.find('=');
    if (line.rfind("SAMBA_", 0) != 0 || eq == std::string::npos) {
      continue;
    }
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
      value = value.substr(1, value.size() - 2);
    }
    vars_[line.substr(6, eq - 6)] = value;
  }
  ASSERT_FALSE(var("DC1_LDAPS_URI").empty()) << "no usable samba.env in " << stateDir();
  instance_ = this;
}

void SambaEnvironment::TearDown() {
  instance_ = nullptr;
  if (dir_.empty()) {
    return;
  }
  auto stopped = testsupport::runCommand({"bash", script(), "stop", stateDir()}, kStopTimeout,
                                         dir_ + "/stop.log");
  const bool clean = stopped && stopped->status.success();
  EXPECT_TRUE(clean) << "stopping the Samba DCs failed; see " << dir_ << "/stop.log";
  // Only a clean stop releases the guard; otherwise it tries once more when the binary exits.
  if (clean) {
    releaseGuard();
  }
  if (clean && !::testing::UnitTest::GetInstance()->Failed()) {
    std::filesystem::remove_all(dir_);
  }
}

std::string SambaEnvironment::var(const std::string& name) const {
  const auto it = vars_.find(name);
  return it == vars_.end() ? std::string() : it->second;
}

directory::SessionSettings SambaEnvironment::admin(const std::string& uri) const {
  directory::SessionSettings s;
  s.uris = {uri};
  s.bind_method = directory::BindMethod::kSimple;
  s.bind_dn = var("ADMIN_DN");
  s.password_file = var("ADMIN_PASSWORD_FILE");
  s.ca_file = var("CA_CERT");
  s.starttls = true;
  s.network_timeout = milliseconds(5000);
  s.operation_timeout = milliseconds(10000);
  return s;
}

directory::SessionSettings SambaEnvironment::user(const std::string& uri) const {
  auto s = admin(uri);
  s.bind_dn = var("USER_DN");
  s.password_file = var("USER_PASSWORD_FILE");
  return s;
}

// The guard: a grandchild in a session of its own (so that a runner killing the binary's process
// tree or group on a timeout leaves it alone), blocked reading a pipe whose only write end this
// process holds. Any death of the binary closes that end; the guard then runs `samba-dc.sh stop`.
// TearDown writes one byte instead, and the guard exits without doing anything.
bool SambaEnvironment::startGuard() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return false;
  }
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  const std::string log = dir_ + "/guard.log";
  const std::string bash = "/bin/bash";
  const std::string command = "stop";
  const std::string state = stateDir();
  const std::string path = script();
  std::vector<char*> argv = {const_cast<char*>(bash.c_str()), const_cast<char*>(path.c_str()),
                             const_cast<char*>(command.c_str()), const_cast<char*>(state.c_str()),
                             nullptr};
  const pid_t child = fork();
  if (child < 0) {
    close(fds[0]);
    close(fds[1]);
    return false;
  }
  if (child == 0) {
    setsid();
    const pid_t guard = fork();
    if (guard != 0) {
      _exit(guard < 0 ? 1 : 0);
    }
    // Standard streams away from the runner's pipes (which it reads until every writer is gone),
    // the read end on fd 3, everything else closed.
    const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    const int null = open("/dev/null", O_RDONLY);
    if (out < 0 || null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 ||
        dup2(fds[0], 3) < 0) {
      _exit(1);
    }
    close_range(4, ~0U, 0);
    char byte = 0;
    ssize_t n;
    do {
      n = read(3, &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n == 1) {
      _exit(0);
    }
    close(3);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    close(fds[1]);
    return false;
  }
  guard_fd_ = fds[1];
  return true;
}

void SambaEnvironment::releaseGuard() {
  if (guard_fd_ < 0) {
    return;
  }
  const char byte = 'q';
  while (write(guard_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
  close(guard_fd_);
  guard_fd_ = -1;
}

}  // namespace anchorage::testing
