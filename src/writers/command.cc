// SPDX-License-Identifier: Apache-2.0
//
// fork/exec with a pipe for the output and poll() for the timeout.

#include "writers/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "writers/detail.h"

namespace anchorage::writers {
namespace {

using Clock = std::chrono::steady_clock;

constexpr long kStopPollMs = 10;  ///< How often `stop_when` is asked.

/// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void execChild(int null_fd, int out_fd, int report_fd, char** argv) {
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  if (::dup2(null_fd, STDIN_FILENO) >= 0 && ::dup2(out_fd, STDOUT_FILENO) >= 0 &&
      ::dup2(out_fd, STDERR_FILENO) >= 0) {
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
      for (int fd = 3; fd < 1024; ++fd) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
      }
    }
    ::execvp(argv[0], argv);
  }
  const int e = errno;
  (void)!::write(report_fd, &e, sizeof(e));
  ::_exit(127);
}

int exitCodeOf(int raw) {
  if (WIFEXITED(raw)) {
    return WEXITSTATUS(raw);
  }
  if (WIFSIGNALED(raw)) {
    return 128 + WTERMSIG(raw);
  }
  return 255;
}

/// Kills the process group of `pid` (still unreaped, so the id is ours) and reaps the leader.
int killAndReap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  int raw = 0;
  while (::waitpid(pid, &raw, 0) < 0 && errno == EINTR) {
  }
  return exitCodeOf(raw);
}

/// Stops the process group of `pid` politely (SIGTERM, up to a second), then for good.
int stopGroup(pid_t pid) {
  ::kill(-pid, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::seconds(1);
  while (Clock::now() < deadline) {
    siginfo_t info{};
    // WNOWAIT keeps the exited leader as a zombie, so its id still names our group below.
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return killAndReap(pid);
}

/// A started command: its process (leader of its own group) and the read end of its output.
struct Child {
  pid_t pid = -1;
  int output_fd = -1;
};

/// Forks and execs `argv` with standard output and error on a pipe. Errors: pipes or fork fail
/// (kIo), the program cannot be executed (kNotFound, kIo).
Result<Child> startChild(const std::vector<std::string>& argv) {
  std::vector<std::string> args = argv;
  std::vector<char*> ptrs;
  for (auto& a : args) {
    ptrs.push_back(a.data());
  }
  ptrs.push_back(nullptr);

  int out[2] = {-1, -1};
  int report[2] = {-1, -1};
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  auto close_all = [&] {
    for (int fd : {out[0], out[1], report[0], report[1], null_fd}) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
  };
  if (null_fd < 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(report, O_CLOEXEC) != 0) {
    Error e(ErrorCode::kIo, "Command pipes cannot be created", {{"reason", std::strerror(errno)}});
    close_all();
    return fail(std::move(e));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    Error e(ErrorCode::kIo, "Command cannot be forked", {{"reason", std::strerror(errno)}});
    close_all();
    return fail(std::move(e));
  }
  if (pid == 0) {
    execChild(null_fd, out[1], report[1], ptrs.data());
  }
  ::setpgid(pid, pid);  // Also done by the child; whichever runs first wins the race.

  // The report pipe closes on exec; before that the child writes errno into it if exec fails.
  ::close(report[1]);
  report[1] = -1;
  int child_errno = 0;
  ssize_t n;
  while ((n = ::read(report[0], &child_errno, sizeof(child_errno))) < 0 && errno == EINTR) {
  }
  const int output_fd = out[0];
  out[0] = -1;
  close_all();
  if (n == static_cast<ssize_t>(sizeof(child_errno))) {
    ::close(output_fd);
    killAndReap(pid);
    return fail(child_errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                "Command cannot be started",
                {{"command", argv[0]}, {"reason", std::strerror(child_errno)}});
  }
  return Child{pid, output_fd};
}

/// Why readOutput() returned.
enum class Ending { kOutputClosed, kTimedOut, kStopRequested };

/// Reads the child's output into `output` (at most kMaxCommandOutput, the rest is drained) until
/// the child closes it, the deadline passes, or `stop_when` holds.
Ending readOutput(const Child& child, Clock::time_point deadline,
                  const std::function<bool()>& stop_when, std::string& output) {
  char buf[4096];
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      return Ending::kTimedOut;
    }
    if (stop_when && stop_when()) {
      return Ending::kStopRequested;
    }
    pollfd p{child.output_fd, POLLIN, 0};
    const int ready =
        ::poll(&p, 1, static_cast<int>(stop_when ? std::min(left, kStopPollMs) : left));
    if (ready == 0 || (ready < 0 && errno == EINTR)) {
      continue;  // The deadline is checked at the top.
    }
    if (ready < 0) {
      return Ending::kOutputClosed;
    }
    const ssize_t got = ::read(child.output_fd, buf, sizeof(buf));
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      return Ending::kOutputClosed;
    }
    const size_t room = kMaxCommandOutput - std::min(kMaxCommandOutput, output.size());
    output.append(buf, std::min(room, static_cast<size_t>(got)));
  }
}

}  // namespace

Result<CommandResult> runCommand(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout,
                                 const std::function<bool()>& stop_when) {
  if (argv.empty() || argv[0].empty()) {
    return fail(ErrorCode::kConfig, "Command is empty");
  }
  const auto deadline = Clock::now() + timeout;
  auto child = startChild(argv);
  if (!child) {
    return fail(child.error());
  }

  CommandResult result;
  const Ending ending = readOutput(*child, deadline, stop_when, result.output);
  ::close(child->output_fd);
  if (ending == Ending::kStopRequested) {
    result.exit_code = stopGroup(child->pid);
    result.stopped = true;
    return result;
  }
  if (ending == Ending::kOutputClosed) {
    // A daemonising tool may keep running with its output elsewhere: the wait is bounded too.
    while (Clock::now() < deadline) {
      int raw = 0;
      if (::waitpid(child->pid, &raw, WNOHANG) == child->pid) {
        result.exit_code = exitCodeOf(raw);
        return result;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  killAndReap(child->pid);
  return fail(ErrorCode::kTimeout, "Command timed out",
              {{"command", describeCommand(argv)},
               {"timeout_ms", std::to_string(timeout.count())},
               {"output", result.output}});
}

std::vector<std::string> substitute(std::vector<std::string> argv, std::string_view placeholder,
                                    std::string_view value) {
  for (auto& arg : argv) {
    arg = detail::replaceAll(std::move(arg), placeholder, value);
  }
  return argv;
}

std::string describeCommand(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) {
      out += ' ';
    }
    if (a.empty() || a.find_first_of(" \t'\"") != std::string::npos) {
      out += '\'' + a + '\'';
    } else {
      out += a;
    }
  }
  return out;
}

}  // namespace anchorage::writers
