// SPDX-License-Identifier: Apache-2.0
//
// Writer for Unbound. Anchors go to a `trust-anchor-file:` (zone-file DS and DNSKEY lines, read
// as static anchors, no RFC 5011 tracking); NTAs (RFC 7646) go to a separate file of
// `domain-insecure:` lines that unbound.conf includes. Check: unbound-checkconf on a scratch
// configuration that loads exactly the candidate files (a reload with an unparsable anchor file
// makes Unbound exit, so nothing unchecked may reach it). Reload: `unbound-control reload`, which
// also empties the cache; flush: `unbound-control flush_zone <name>`.
//
// unbound.conf needs, in its server: clause:
//   trust-anchor-file: "<anchor_file>"
//   include: "<nta_file>"

#pragma once

#include "writers/writer.h"

namespace anchorage::writers {

/// Writes Unbound's trust-anchor-file and domain-insecure include.
class UnboundWriter : public Writer {
 public:
  /// `settings.type` must be kUnbound.
  explicit UnboundWriter(WriterSettings settings, ClockFunction clock = {});

  /// The trust-anchor-file: a state comment, then one zone-file line per anchor.
  Result<std::string> render(const AnchorSet& set) const override;

  /// The include with one domain-insecure line per NTA. Errors: a name that cannot be quoted in
  /// unbound.conf (kUnsupported).
  Result<std::string> renderNtas(const AnchorSet& set) const;

  /// The anchor file and, when nta_file is set, the NTA include. Errors: NTAs without nta_file
  /// (kConfig), and those of render() and renderNtas().
  Result<std::vector<FileContent>> renderFiles(const AnchorSet& set) const override;

 protected:
  Result<void> check(const AnchorSet& set, const std::vector<FileContent>& files) const override;
  std::vector<std::string> defaultReloadCommand() const override;
  std::vector<std::string> defaultFlushCommand() const override;
  std::string_view commentPrefix() const override { return ";"; }
};

}  // namespace anchorage::writers
