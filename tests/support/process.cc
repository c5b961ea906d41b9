// SPDX-License-Identifier: Apache-2.0
//
// Child processes for tests: fork/exec with the output in files, stop by PID.

#include "support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/temp_dir.h"

extern char** environ;

namespace anchorage::testsupport {
namespace {

constexpr std::chrono::milliseconds kPollInterval{5};

/// Copies the inherited environment with `extra` entries added or overriding.
std::vector<std::string> mergedEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::string_view key = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& x : extra) {
      if (std::string_view(x).substr(0, x.find('=')) == key) {
        overridden = true;
        break;
      }
    }
    if (!overridden) {
      out.emplace_back(entry);
    }
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

int openOutput(const std::string& path) {
  if (path.empty()) {
    return ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  }
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

/// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void execChild(int in_fd, int out_fd, int err_fd, int report_fd, const char* dir,
                            char** argv, char** envp) {
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  if (::dup2(in_fd, STDIN_FILENO) < 0 || ::dup2(out_fd, STDOUT_FILENO) < 0 ||
      ::dup2(err_fd, STDERR_FILENO) < 0 || (dir != nullptr && ::chdir(dir) != 0)) {
    const int e = errno;
    (void)!::write(report_fd, &e, sizeof(e));
    ::_exit(127);
  }
  // Descriptors the test process holds (port locks, sockets) must not leak into servers.
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    for (int fd = 3; fd < 1024; ++fd) {
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
  }
  ::execvpe(argv[0], argv, envp);
  const int e = errno;
  (void)!::write(report_fd, &e, sizeof(e));
  ::_exit(127);
}

ExitStatus statusFrom(int raw) {
  ExitStatus s;
  if (WIFEXITED(raw)) {
    s.code = WEXITSTATUS(raw);
  } else if (WIFSIGNALED(raw)) {
    s.signal = WTERMSIG(raw);
    s.code = 128 + s.signal;
  }
  return s;
}

}  // namespace

Result<Process> Process::spawn(const ProcessSpec& spec) {
  if (spec.argv.empty()) {
    return fail(ErrorCode::kUsage, "Process needs a program to run");
  }
  std::vector<std::string> argv = spec.argv;
  std::vector<std::string> env = mergedEnvironment(spec.environment);
  std::vector<char*> argv_ptrs = pointers(argv);
  std::vector<char*> env_ptrs = pointers(env);

  const int in_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int out_fd = openOutput(spec.output_path);
  const int err_fd = spec.error_path.empty() ? out_fd : openOutput(spec.error_path);
  int report[2] = {-1, -1};
  auto close_all = [&] {
    for (int fd : {in_fd, out_fd, report[0], report[1]}) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
    if (err_fd != out_fd && err_fd >= 0) {
      ::close(err_fd);
    }
  };
  if (in_fd < 0 || out_fd < 0 || err_fd < 0 || ::pipe2(report, O_CLOEXEC) != 0) {
    Error e(ErrorCode::kIo, "Process output file cannot be opened",
            {{"path", spec.output_path}, {"reason", std::strerror(errno)}});
    close_all();
    return fail(std::move(e));
  }

  const pid_t pid = ::fork();
  if (pid < 0) {
    Error e(ErrorCode::kIo, "Process cannot be forked", {{"reason", std::strerror(errno)}});
    close_all();
    return fail(std::move(e));
  }
  if (pid == 0) {
    execChild(in_fd, out_fd, err_fd, report[1],
              spec.working_dir.empty() ? nullptr : spec.working_dir.c_str(), argv_ptrs.data(),
              env_ptrs.data());
  }
  ::setpgid(pid, pid);  // Also done by the child; whichever runs first wins the race.
  ::close(report[1]);
  report[1] = -1;

  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  close_all();

  Process p;
  p.pid_ = pid;
  p.argv_ = spec.argv;
  p.output_path_ = spec.output_path;
  if (n == static_cast<ssize_t>(sizeof(child_errno))) {
    p.reap();
    p.pid_ = -1;
    return fail(child_errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                "Process cannot be executed",
                {{"program", spec.argv[0]}, {"reason", std::strerror(child_errno)}});
  }
  return p;
}

Process::Process(Process&& other) noexcept
    : pid_(other.pid_),
      argv_(std::move(other.argv_)),
      output_path_(std::move(other.output_path_)),
      status_(other.status_) {
  other.pid_ = -1;
}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = other.pid_;
    argv_ = std::move(other.argv_);
    output_path_ = std::move(other.output_path_);
    status_ = other.status_;
    other.pid_ = -1;
  }
  return *this;
}

Process::~Process() {
  stop();
}

bool Process::hasEnded() const {
  if (pid_ < 0 || status_) {
    return true;
  }
  siginfo_t info{};
  // WNOWAIT leaves the zombie in place: the PID (and so the process group id) stays ours until
  // reap() has cleaned up the group.
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return true;
  }
  return info.si_pid != 0;
}

ExitStatus Process::reap() {
  if (status_ || pid_ < 0) {
    return status_.value_or(ExitStatus{});
  }
  ::kill(-pid_, SIGKILL);  // Helpers the server forked; the leader is a zombie or about to be.
  int raw = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &raw, 0);
  } while (r < 0 && errno == EINTR);
  status_ = r == pid_ ? statusFrom(raw) : ExitStatus{.code = 255, .signal = 0};
  return *status_;
}

bool Process::running() const {
  return !hasEnded();
}

Result<ExitStatus> Process::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!hasEnded()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(ErrorCode::kTimeout, "Process did not end in time",
                  {{"pid", std::to_string(pid_)}, {"program", argv_.empty() ? "" : argv_[0]}});
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return reap();
}

ExitStatus Process::stop(std::chrono::milliseconds grace) {
  if (pid_ < 0) {
    return status_.value_or(ExitStatus{});
  }
  if (!hasEnded()) {
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (!hasEnded() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(kPollInterval);
    }
    if (!hasEnded()) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
    }
  }
  return reap();
}

Result<void> Process::signal(int sig) const {
  if (hasEnded() || ::kill(pid_, sig) != 0) {
    return fail(ErrorCode::kNotFound, "Process has ended", {{"pid", std::to_string(pid_)}});
  }
  return ok();
}

std::string Process::readOutput() const {
  if (output_path_.empty()) {
    return {};
  }
  std::ifstream in(output_path_, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Result<CommandOutput> runCommand(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout, const std::string& log_path) {
  std::optional<TempDir> scratch;
  std::string path = log_path;
  if (path.empty()) {
    auto dir = TempDir::create("anchorage-cmd");
    if (!dir) {
      return fail(dir.error());
    }
    scratch.emplace(std::move(*dir));
    path = scratch->file("output");
  }
  auto process = Process::spawn({.argv = argv, .output_path = path});
  if (!process) {
    return fail(process.error());
  }
  auto status = process->wait(timeout);
  if (!status) {
    process->stop(std::chrono::milliseconds(0));
    return fail(std::move(status.error()).with("output", process->readOutput()));
  }
  return CommandOutput{*status, process->readOutput()};
}

}  // namespace anchorage::testsupport
