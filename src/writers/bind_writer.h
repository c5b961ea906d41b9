// SPDX-License-Identifier: Apache-2.0
//
// Writer for BIND 9. Anchors go to a file that named.conf includes, holding one
// `trust-anchors { "<name>" static-ds ...; "<name>" static-key ...; };` statement: static anchors,
// since BIND keeps RFC 5011 state for initial-key/initial-ds that a changed file does not reset
// (shared/notes/resolvers.md P5). Check: `named-checkconf <candidate>`. Reload: `rndc reconfig`;
// flush: `rndc flushtree <name>`. NTAs (RFC 7646) are runtime state in BIND: `rndc nta -force
// -lifetime <s> <name>` and `rndc nta -remove <name>`, driven by the NTA list recorded in the
// file's state comment, so only NTAs Anchorage set are ever removed.
//
// named.conf needs:  include "<anchor_file>";  and dnssec-validation yes (or auto).

#pragma once

#include "writers/writer.h"

namespace anchorage::writers {

/// Longest NTA lifetime rndc accepts (one week).
inline constexpr std::chrono::seconds kBindMaxNtaLifetime{604800};

/// Writes BIND's trust-anchors include and manages NTAs through rndc.
class BindWriter : public Writer {
 public:
  /// `settings.type` must be kBind.
  explicit BindWriter(WriterSettings settings, ClockFunction clock = {});

  /// The include file. Errors: a name that cannot be quoted in named.conf (kUnsupported).
  Result<std::string> render(const AnchorSet& set) const override;

  /// The rndc argv that turn the NTAs of `before` into those of `after`, in order: removals, then
  /// additions (and changed expiries). Expired NTAs are not added.
  std::vector<std::vector<std::string>> ntaCommands(const std::optional<WrittenState>& before,
                                                    const WrittenState& after) const;

 protected:
  Result<void> applyNtas(const std::optional<WrittenState>& before,
                         const WrittenState& after) const override;
  std::vector<std::string> defaultCheckCommand() const override;
  std::vector<std::string> defaultReloadCommand() const override;
  std::vector<std::string> defaultFlushCommand() const override;
  std::string_view commentPrefix() const override { return "#"; }
};

}  // namespace anchorage::writers
