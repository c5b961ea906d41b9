// SPDX-License-Identifier: Apache-2.0
//
// What the online anchorctl commands share: loading the configuration, connecting to the
// directory, choosing the scope a command acts on, reading anchor files with their problems shown
// as FILE:LINE: reason, and publishing a validated list of anchors.

#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/context.h"
#include "config/config.h"
#include "directory/operations.h"
#include "directory/session.h"
#include "formats/format.h"
#include "model/anchor.h"

namespace anchorage::cli {

/// The configuration anchorctl reads when no -c is given.
inline constexpr const char* kDefaultConfig = "/etc/anchorage/anchorage.yaml";

/// How long a withdrawal confirmed by anchorctl stays confirmed for the agents' mass-removal
/// guard: long enough for an agent that was down over a weekend to come back and apply it.
inline constexpr std::chrono::days kRemovalConfirmation{7};

/// The current time, whole seconds.
model::Time now();

/// A connected session and the scope (base DN) a command acts on.
struct Target {
  config::Config config;
  std::unique_ptr<directory::Session> session;
  std::string base;
  bool ad = false;  ///< The scope is an AD partition's TrustAnchors zone (config type ad).
};

/// Loads the configuration (ctx.config_path or kDefaultConfig) and opens a session.
/// Errors: bad configuration (kConfig), and those of Session::open().
Result<std::pair<config::Config, std::unique_ptr<directory::Session>>> openDirectory(
    const Context& ctx);

/// Picks the scope named by `wanted` (a configured name, a label such as "forest" for
/// dc=ForestDnsZones, or a base DN), or the only scope there is. Errors: no such scope or
/// several match (kUsage, with the known scopes listed).
Result<std::string> chooseScope(const config::Config& config, directory::Session& session,
                                const std::string& wanted);

/// openDirectory() then chooseScope(). Unless `ad_ok`, an AD scope is refused (kUnsupported): it
/// holds DS and DNSKEY records only, without trust point settings, key states, NTAs or status.
Result<Target> connect(const Context& ctx, const std::string& scope, bool ad_ok = false);

/// The trust point `zone` of an AD scope, as ScopeClient::readTrustPoint() gives an Anchorage
/// one: settings at their defaults (AD keeps none), every anchor Valid. Errors: kNotFound for no
/// node or a tombstoned one; a value that does not decode.
Result<std::pair<directory::TrustPointInfo, std::vector<model::TrustAnchor>>> readAdTrustPoint(
    Target& t, const model::DomainName& zone);

/// Prints a record's validation warnings on ctx.err.
void printFindings(const Context& ctx, const model::TrustAnchor& anchor,
                   const std::vector<model::Finding>& findings);

/// Reads every anchor of a file, in `format` or the detected one. Problems are printed as
/// FILE:LINE: reason and make it fail (kInvalidInput); nothing half-read is returned.
Result<std::vector<formats::ParsedAnchor>> anchorsFromFile(const Context& ctx,
                                                           const std::string& path,
                                                           const std::optional<std::string>& fmt);

/// Publishes `anchors` in t.base (in an AD scope: creating the TrustAnchors zone when missing,
/// and refusing anchors in a state other than Valid, which AD cannot hold) and prints one line (or
/// JSON object) per anchor with what happened. Returns the exit code.
int publishAll(const Context& ctx, Target& t, const std::vector<model::TrustAnchor>& anchors);

/// A time as RFC 3339 text, "-" when unset.
std::string timeText(const std::optional<model::Time>& t);

}  // namespace anchorage::cli
