// SPDX-License-Identifier: Apache-2.0
//
// Writer for Knot Resolver 5 (kresd). kresd reads one trust point per anchor file, so each trust
// point gets a zone-file of its DS/DNSKEY lines in "<anchor_file>.d/", and the anchor file itself
// is a manifest (a Lua table: trust point -> file, plus the NTA list). kresd has no reload command:
// the function anchorage_apply(), defined in kresd's configuration (configSnippet()), is called
// over each control socket; it loads every listed file read-only with trust_anchors.add_file(path,
// true) (no RFC 5011 tracking; a file that fails to parse leaves the old anchors in place, and
// one that kresd reads only in part is caught by comparing the anchor count with the manifest's),
// removes the trust points it loaded before and no longer lists, and sets the NTAs (RFC 7646) with
// trust_anchors.set_insecure(). kresd has no checker either: a throwaway kresd loads the candidate
// files with the same function and quits (shared/notes/resolvers.md §8). Flush:
// anchorage_flush(<name>) -> cache.clear(<name>).
//
// The kresd configuration needs configSnippet() (or a file holding it) and, to load the anchors
// at start, a call anchorage_apply('<anchor_file>') after it.

#pragma once

#include <string>

#include "writers/writer.h"

namespace anchorage::writers {

/// Writes kresd's manifest and per-trust-point anchor files and drives kresd over its control
/// socket.
class KnotWriter : public Writer {
 public:
  /// `settings.type` must be kKnot.
  explicit KnotWriter(WriterSettings settings, ClockFunction clock = {});

  /// Lua that defines anchorage_apply(manifest) and anchorage_flush(name); part of kresd's
  /// configuration. Both return the string "anchorage: ok" on success.
  static std::string configSnippet();

  /// The manifest (a Lua chunk that returns a table; no code runs when it is loaded).
  Result<std::string> render(const AnchorSet& set) const override;

  /// The manifest, one file per trust point, and the removal of per-trust-point files that are no
  /// longer listed.
  Result<std::vector<FileContent>> renderFiles(const AnchorSet& set) const override;

  /// Directory of the per-trust-point files: "<anchor_file>.d".
  std::string anchorDirectory() const { return settings().anchor_file + ".d"; }

  /// File name of a trust point's anchor file: "<name>anchor" ("corp.example.anchor"),
  /// "@root.anchor" for the root, "@<hex of the wire form>.anchor" for names with other characters.
  static std::string trustPointFileName(const model::DomainName& name);

 protected:
  Result<void> check(const AnchorSet& set, const std::vector<FileContent>& files) const override;
  Result<void> reload() const override;
  Result<void> flush(const std::vector<std::string>& names) const override;
  std::string_view commentPrefix() const override { return "--"; }

 private:
  Result<std::vector<FileContent>> renderFor(const AnchorSet& set,
                                             const std::string& manifest) const;
  Result<void> callEverySocket(ApplyStep step, const std::string& lua_call) const;
};

}  // namespace anchorage::writers
