// SPDX-License-Identifier: Apache-2.0
//
// Writer for systemd-resolved: a positive trust anchor file ("<name>.positive", one
// "<domain> IN DS ..." line per anchor, dnssec-trust-anchors.d(5)) and, when NTAs exist, a
// negative one ("<name>.negative", one domain per line, RFC 7646). DNSKEY anchors are written as
// their SHA-256 DS: resolved reports "missing-key" for a DNSKEY anchor (systemd issue 36592).
// The negative file is removed when there are no NTAs, because any *.negative file replaces
// resolved's built-in list of private zones. There is no checker. Reload: `systemctl
// reload-or-restart systemd-resolved.service`: resolved rereads its trust anchors on reload since
// systemd 256 (pull request 31951); older versions (Debian 12 has 252) have no reload and are
// restarted. Flush: `resolvectl flush-caches`.
//
// Note that resolved's own DNSSECNegativeTrustAnchors= is not honoured reliably (systemd issues
// 2683, 37988); the .negative file is the path used here.

#pragma once

#include "writers/writer.h"

namespace anchorage::writers {

/// Writes systemd-resolved's *.positive and *.negative files.
class ResolvedWriter : public Writer {
 public:
  /// `settings.type` must be kSystemdResolved.
  explicit ResolvedWriter(WriterSettings settings, ClockFunction clock = {});

  /// The *.positive file. Errors: a DNSKEY anchor whose DS cannot be computed (kUnsupported).
  Result<std::string> render(const AnchorSet& set) const override;

  /// The *.negative file, or nullopt when there are no NTAs.
  std::optional<std::string> renderNtas(const AnchorSet& set) const;

  /// Both files. Errors: NTAs without nta_file (kConfig), and those of render().
  Result<std::vector<FileContent>> renderFiles(const AnchorSet& set) const override;

 protected:
  std::vector<std::string> defaultReloadCommand() const override;
  std::vector<std::string> defaultFlushCommand() const override;
  std::string_view commentPrefix() const override { return ";"; }
};

}  // namespace anchorage::writers
