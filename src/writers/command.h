// SPDX-License-Identifier: Apache-2.0
//
// Runs a resolver's tools (checkers, control programs) from an argv with fork/exec, never through
// a shell, with a timeout, capturing standard output and error together. Writers use it for every
// check, reload and flush command, so an operator's configured argv is run exactly as given.

#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace anchorage::writers {

/// Output kept from a command; more is read and dropped, so a chatty tool cannot eat memory.
inline constexpr size_t kMaxCommandOutput = 64 * 1024;

/// How a command ended.
struct CommandResult {
  int exit_code = 0;     ///< Exit code, or 128 + signal number when a signal ended it.
  std::string output;    ///< Standard output and error, interleaved, at most kMaxCommandOutput.
  bool stopped = false;  ///< Ended by runCommand because `stop_when` held, not by itself.

  bool success() const { return exit_code == 0; }
};

/// Runs `argv` (argv[0] looked up in PATH when it has no slash) with standard input from
/// /dev/null. Errors: empty argv (kConfig), a program that cannot be started (kNotFound or kIo,
/// with the errno text as "reason"), or kTimeout after `timeout` (the command's process group is
/// then killed; the error carries the output so far as "output"). A non-zero exit is not an
/// error here: the caller decides what it means. When `stop_when` is given it is polled every
/// few milliseconds; once it returns true the command is stopped (SIGTERM, then SIGKILL) and the
/// result has `stopped` set, for servers started only to see whether they accept a configuration.
Result<CommandResult> runCommand(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout,
                                 const std::function<bool()>& stop_when = {});

/// Copies `argv` with every occurrence of `placeholder` inside each argument replaced by `value`.
std::vector<std::string> substitute(std::vector<std::string> argv, std::string_view placeholder,
                                    std::string_view value);

/// Joins argv for messages, quoting arguments that contain spaces.
std::string describeCommand(const std::vector<std::string>& argv);

}  // namespace anchorage::writers
