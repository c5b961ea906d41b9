// SPDX-License-Identifier: Apache-2.0
//
// Writer for PowerDNS Recursor 4. Anchors and NTAs go to a Lua fragment that the recursor's
// lua-config-file loads with dofile(): addTA(name, ds) per anchor and addNTA(name, reason) per NTA
// (RFC 7646). addTA takes DS only, so DNSKEY anchors are written as their SHA-256 DS
// (model::computeDs, RFC 4509). When the set holds root anchors, clearTA('.') first drops the
// compiled-in root anchor. Check: `pdns_recursor --config=check` ignores the Lua config (P14), so a
// throwaway recursor on the checker address loads the candidate fragment and is stopped as soon as
// it has (it signals that by writing a marker file at the end of its Lua config). Reload:
// `rec_control reload-lua-config`; flush: `rec_control wipe-cache <name>$`.
//
// The recursor's lua-config-file needs: dofile('<anchor_file>'), after any readTrustAnchorsFromFile
// call (that call replaces every anchor, P13).

#pragma once

#include "writers/writer.h"

namespace anchorage::writers {

/// Writes PowerDNS Recursor's Lua anchor fragment.
class PowerDnsWriter : public Writer {
 public:
  /// `settings.type` must be kPowerDns.
  explicit PowerDnsWriter(WriterSettings settings, ClockFunction clock = {});

  /// The Lua fragment. Errors: a DNSKEY anchor whose DS cannot be computed (kUnsupported).
  Result<std::string> render(const AnchorSet& set) const override;

 protected:
  Result<void> check(const AnchorSet& set, const std::vector<FileContent>& files) const override;
  std::vector<std::string> defaultReloadCommand() const override;
  std::vector<std::string> defaultFlushCommand() const override;
  std::string_view commentPrefix() const override { return "--"; }
};

}  // namespace anchorage::writers
