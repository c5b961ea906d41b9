// SPDX-License-Identifier: Apache-2.0
//
// anchorctl commands that manage trust points as a whole: import and export, distribution to a
// scope, the RFC 5011 auto-update flag, and negative trust anchors (RFC 7646). Like the other
// online commands, each validates all of its input before the first write.

#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "cli/context.h"
#include "cli/online.h"

namespace anchorage::cli {

/// `anchorctl import FILE [--format F] [--scope S]`: publishes every anchor of a file, of any
/// zone, after the whole file has parsed cleanly.
struct ImportOptions {
  ScopeOption where;
  std::string file;
  std::optional<std::string> format;
};
int runImport(const Context& ctx, const ImportOptions& options);

/// `anchorctl export ZONE [--format F] [-o FILE]`: writes a trust point's anchors.
struct ExportOptions {
  ScopeOption where;
  std::string zone;
  std::string format = "zone";
  std::optional<std::string> output_file;
};
int runExport(const Context& ctx, const ExportOptions& options);

/// `anchorctl distribute ZONE --scope S [--from S2]` copies a trust point into scope S (or turns
/// distribution back on there); `anchorctl distribute ZONE --off [--scope S]` takes it out of
/// distribution, confirming the withdrawal for the agents' mass-removal guard.
struct DistributeOptions {
  ScopeOption where;
  std::string zone;
  bool off = false;
  std::string from;  ///< Source scope when several hold the trust point.
};
int runDistribute(const Context& ctx, const DistributeOptions& options);

/// `anchorctl autoupdate ZONE on|off`.
struct AutoUpdateOptions {
  ScopeOption where;
  std::string zone;
  std::string setting;
};
int runAutoUpdate(const Context& ctx, const AutoUpdateOptions& options);

/// `anchorctl refresh [ZONE] [--scope S]`: makes the scope's RFC 5011 refresher probe the trust
/// point (every auto-update trust point of the scope without ZONE) at its next step.
struct RefreshOptions {
  ScopeOption where;
  std::string zone;  ///< Empty: every auto-update trust point.
};
int runRefresh(const Context& ctx, const RefreshOptions& options);

/// `anchorctl nta add NAME --lifetime D --reason TEXT`, `nta remove NAME`, `nta list`.
struct NtaOptions {
  ScopeOption where;
  std::string name;
  std::string lifetime;
  std::string reason;
};
int runNtaAdd(const Context& ctx, const NtaOptions& options);
int runNtaRemove(const Context& ctx, const NtaOptions& options);
int runNtaList(const Context& ctx, const NtaOptions& options);

/// Longest NTA lifetime accepted: rndc caps BIND's NTAs at a week, and every resolver of a scope
/// must let an NTA lapse at the same moment.
inline constexpr std::chrono::hours kMaxNtaLifetime{24 * 7};

}  // namespace anchorage::cli
