// SPDX-License-Identifier: Apache-2.0
//
// Command-line parsing shared by anchorctl and anchorage-agent: CLI11 reports help and version
// requests and parse errors as exceptions; both programs turn them into the same exit codes.

#pragma once

#include <optional>

#include <CLI/CLI.hpp>

namespace anchorage::cli {

/// Parses `argv` into `app`. Returns nullopt to go on, or the exit code when the program should
/// stop: 0 after printing --help or --version, 64 (EX_USAGE) after printing a parse error.
std::optional<int> parseCommandLine(CLI::App& app, int argc, char** argv);

}  // namespace anchorage::cli
