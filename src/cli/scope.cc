// SPDX-License-Identifier: Apache-2.0
//
// anchorctl scope commands: placeholder until the scope commands land.

#include "cli/scope.h"

#include <sysexits.h>

#include <CLI/CLI.hpp>

namespace anchorage::cli {

void addScopeCommands(CLI::App& app, ScopeCommandOptions& options) {
  (void)options;
  auto* scope = app.add_subcommand("scope", "Replication scopes");
  scope->require_subcommand(1);
  scope->add_subcommand("list", "List the scope definitions");
}

int runScopeCommand(const Context& ctx, const ScopeCommandOptions& options, const CLI::App& scope) {
  (void)options;
  (void)scope;
  ctx.err << "anchorctl: scope commands are not available in this build\n";
  return EX_UNAVAILABLE;
}

}  // namespace anchorage::cli
