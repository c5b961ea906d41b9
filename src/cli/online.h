// SPDX-License-Identifier: Apache-2.0
//
// The anchorctl commands that act on the directory (DESIGN §5): add, remove, list, show,
// root deploy and status. Each reads the configuration named with -c, validates everything it was
// given before it writes anything, and names what was wrong when it fails.

#pragma once

#include <optional>
#include <string>

#include "cli/context.h"

namespace anchorage::cli {

/// Options shared by the online commands.
struct ScopeOption {
  std::string scope;  ///< A scope's name from the configuration, its label, or its base DN.
};

/// `anchorctl add ZONE (--ds | --dnskey | --from-file | --from-dns [--server]) [--hold-down]`.
struct AddOptions {
  ScopeOption where;
  std::string zone;
  std::optional<std::string> ds;
  std::optional<std::string> dnskey;
  std::optional<std::string> from_file;
  std::optional<std::string> format;
  bool from_dns = false;
  std::string server = "127.0.0.1";  ///< ADDR[:PORT] or [ADDR6]:PORT asked by --from-dns.
  bool yes = false;                  ///< Publish what --from-dns found without asking.
  bool hold_down = false;
};
int runAdd(const Context& ctx, const AddOptions& options);

/// `anchorctl remove ZONE [--key-tag N] [--type ds|dnskey] [--force]`.
struct RemoveOptions {
  ScopeOption where;
  std::string zone;
  std::optional<unsigned> key_tag;
  std::optional<std::string> type;
  bool force = false;
};
int runRemove(const Context& ctx, const RemoveOptions& options);

/// `anchorctl list` and `anchorctl show ZONE`.
int runList(const Context& ctx, const ScopeOption& where);
int runShow(const Context& ctx, const ScopeOption& where, const std::string& zone);

/// `anchorctl root deploy [--from FILE | --xml FILE --signature P7S --ca CA]`.
struct RootDeployOptions {
  ScopeOption where;
  std::string from = "/usr/share/dns/root.key";
  std::optional<std::string> xml;
  std::optional<std::string> signature;
  std::optional<std::string> ca;
};
int runRootDeploy(const Context& ctx, const RootDeployOptions& options);

/// `anchorctl status [--wait DURATION]`: 0 when every agent of the scope applied what the scope
/// holds, 75 (EX_TEMPFAIL) while one has not.
struct StatusOptions {
  ScopeOption where;
  std::optional<std::string> wait;
};
int runStatus(const Context& ctx, const StatusOptions& options);

}  // namespace anchorage::cli
