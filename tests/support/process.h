// SPDX-License-Identifier: Apache-2.0
//
// Child processes for tests: a server (nsd, a resolver, slapd, an agent) started from an argv
// with fork/exec, no shell, its output in a log file, its PID recorded, and stopped by that PID
// (SIGTERM, a bounded wait, then SIGKILL) when the owning object goes away, so also when a test
// fails. Each child leads its own process group, so helpers a server forks die with it.

#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace anchorage::testsupport {

/// What to start and where its output goes.
struct ProcessSpec {
  /// Program and arguments; argv[0] is looked up in PATH when it has no slash.
  std::vector<std::string> argv;
  /// File that receives standard output (appended to); empty means /dev/null.
  std::string output_path;
  /// File that receives standard error; empty means the same file as standard output.
  std::string error_path;
  /// Directory to run in; empty keeps the current one.
  std::string working_dir;
  /// Extra environment entries "KEY=VALUE", added to (or overriding) the inherited environment.
  std::vector<std::string> environment;
};

/// How a process ended.
struct ExitStatus {
  int code = 0;    ///< Exit code, or 128 + signal number when killed by a signal.
  int signal = 0;  ///< Signal that ended the process, 0 when it exited.

  bool success() const { return signal == 0 && code == 0; }
};

/// A running (or ended) child process. Move-only; the destructor stops it.
class Process {
 public:
  /// Default grace period between SIGTERM and SIGKILL.
  static constexpr std::chrono::milliseconds kDefaultGrace{5000};

  /// Starts `spec`. Errors: empty argv (kUsage), an output file that cannot be opened (kIo), or a
  /// program that cannot be executed (kNotFound or kIo, with the errno text as "reason").
  static Result<Process> spawn(const ProcessSpec& spec);

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// Stops the process as stop() does.
  ~Process();

  /// Process id as recorded at spawn time; -1 for a moved-from object.
  pid_t pid() const { return pid_; }

  /// The argv the process was started with.
  const std::vector<std::string>& argv() const { return argv_; }

  /// True while the process has not ended. Does not reap it.
  bool running() const;

  /// Waits up to `timeout` for the process to end by itself. Returns its status, or kTimeout
  /// (the process keeps running).
  Result<ExitStatus> wait(std::chrono::milliseconds timeout);

  /// Sends SIGTERM, waits up to `grace`, then SIGKILLs the process group. Idempotent: returns the
  /// recorded status when the process already ended.
  ExitStatus stop(std::chrono::milliseconds grace = kDefaultGrace);

  /// Sends `signal` (e.g. SIGHUP) to the process. Errors: it has ended (kNotFound).
  Result<void> signal(int signal) const;

  /// Contents of the standard output file (empty when output went to /dev/null).
  std::string readOutput() const;

 private:
  Process() = default;
  bool hasEnded() const;
  ExitStatus reap();

  pid_t pid_ = -1;
  std::vector<std::string> argv_;
  std::string output_path_;
  std::optional<ExitStatus> status_;
};

/// A finished command's status and its standard output and error, merged.
struct CommandOutput {
  ExitStatus status;
  std::string output;
};

/// Runs `argv` to completion with its output captured to `log_path` (a temporary file when
/// empty). Errors: spawn errors, or kTimeout after `timeout` (the command is then killed and the
/// error carries its output so far as field "output").
Result<CommandOutput> runCommand(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout,
                                 const std::string& log_path = {});

}  // namespace anchorage::testsupport
