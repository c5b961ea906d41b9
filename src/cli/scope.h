// SPDX-License-Identifier: Apache-2.0
//
// `anchorctl scope list|create|plan|apply`: replication scope definitions and the cn=config each
// server needs to hold them (DESIGN §2, §3). The pure part lives in directory/scope_plan.h.

#pragma once

#include <string>
#include <vector>

#include "cli/context.h"

namespace CLI {
class App;
}

namespace anchorage::cli {

/// gen-config's default admin naming context, where the definitions live under ou=scopes.
inline constexpr const char* kDefaultAdminSuffix = "ou=AnchorageAdmin,dc=example,dc=com";

/// Options of the scope subcommands, filled by CLI11.
struct ScopeCommandOptions {
  std::string name;                    ///< The scope (create, plan, apply).
  std::string suffix;                  ///< create: its naming context.
  std::vector<std::string> servers;    ///< create: NAME=ADMIN_URI items.
  std::vector<std::string> providers;  ///< create: NAME=REPLICATION_URI items.
  std::string admin_suffix = kDefaultAdminSuffix;
  std::string admin_dn;             ///< plan, apply: simple bind DN for cn=config; empty: EXTERNAL.
  std::string admin_password_file;  ///< Its password.
  std::string server;               ///< plan: print only this server's part.
  bool show_credentials = false;    ///< plan: print syncrepl passwords instead of ***.
};

/// Adds `scope` and its subcommands to `app`.
void addScopeCommands(CLI::App& app, ScopeCommandOptions& options);

/// Runs the scope subcommand chosen on `scope` (the `scope` subcommand itself).
int runScopeCommand(const Context& ctx, const ScopeCommandOptions& options, const CLI::App& scope);

}  // namespace anchorage::cli
