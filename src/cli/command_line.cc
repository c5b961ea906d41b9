// SPDX-License-Identifier: Apache-2.0
//
// Shared command-line parsing (see command_line.h).

#include "cli/command_line.h"

#include <sysexits.h>

namespace anchorage::cli {

std::optional<int> parseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return EX_USAGE;
  }
  return std::nullopt;
}

}  // namespace anchorage::cli
