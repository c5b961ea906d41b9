// SPDX-License-Identifier: Apache-2.0
//
// Pieces the writers share: the render plan (trusted anchors by trust point, NTAs, and the trust
// points an NTA switches off, RFC 7646 §2), the state comment each main file carries so the next
// apply knows what changed, and quoting for the resolvers' configuration languages.
// Internal to src/writers.

#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/anchor.h"
#include "writers/writer.h"

namespace anchorage::writers::detail {

/// The anchor set as every writer renders it.
struct Plan {
  /// Valid and Missing anchors grouped by trust point in canonical order, without trust points
  /// at or below an NTA.
  std::vector<model::TrustPoint> trust_points;
  /// NTAs in canonical order, one per name (the latest expiry wins).
  std::vector<NegativeTrustAnchor> ntas;
  /// Trust points left out because an NTA covers them: RFC 7646 §2 switches validation off at
  /// and below the NTA, while some resolvers let an anchor override an NTA at the same name.
  std::vector<model::DomainName> suppressed;
};

/// Builds the plan of `set`.
Plan makePlan(const AnchorSet& set);

/// True when `name` is at or below one of `ntas`.
bool coveredByNta(const model::DomainName& name, const std::vector<NegativeTrustAnchor>& ntas);

/// What a plan writes, as recorded in the state comment.
WrittenState stateOf(const Plan& plan);

/// Comment lines recording `state`, each starting with `comment` (";", "#", "--").
std::string renderState(const WrittenState& state, std::string_view comment);

/// Reads the state comment back from a file's text; nullopt when there is none (a file not written
/// by Anchorage, or no file).
std::optional<WrittenState> parseState(std::string_view text, std::string_view comment);

/// Names whose cached answers must go: trust points and NTAs added, removed or changed between
/// `before` and `after`; {"."} when `before` is unknown. Names below another listed name are
/// left out, since flushing a name flushes what is below it.
std::vector<std::string> changedNames(const std::optional<WrittenState>& before,
                                      const WrittenState& after);

/// First lines of every rendered file: what it is and that Anchorage owns it.
std::string fileHeader(std::string_view comment, std::string_view what);

/// True when `name` has only letters, digits, '-', '_', '*' and dots, so that it can be written
/// between double quotes in Unbound and BIND configuration without escapes.
bool isPlainName(const model::DomainName& name);

/// A Lua string literal for `text` (single-quoted; quotes, backslashes and control characters
/// escaped).
std::string luaQuote(std::string_view text);

/// An NTA reason fit for a configuration file: printable ASCII only, at most 200 characters.
std::string cleanReason(std::string_view reason);

/// A private temporary directory for a checker run, removed with everything in it.
class ScratchDir {
 public:
  /// Creates "<$TMPDIR or /tmp>/anchorage-<purpose>-<random>". Errors: kIo.
  static Result<ScratchDir> create(std::string_view purpose);
  ScratchDir(ScratchDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  ScratchDir& operator=(ScratchDir&&) = delete;
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir();

  /// The directory, without a trailing slash.
  const std::string& path() const { return path_; }

  /// Path of `name` inside it.
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

/// Replaces every occurrence of `from` in `text` with `to` (checker output names the scratch
/// files; operators should see the real paths).
std::string replaceAll(std::string text, std::string_view from, std::string_view to);

/// An unsupported-name error for `resolver`.
Error unsupportedName(std::string_view resolver, const model::DomainName& name);

}  // namespace anchorage::writers::detail
