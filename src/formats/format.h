// SPDX-License-Identifier: Apache-2.0
//
// The trust anchor file formats Anchorage reads and writes, behind one interface: parse text into
// anchors plus located problems, render anchors back. Every reader treats its input as hostile:
// bounded size, precise "source:line: reason" problems, never a crash.

#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "model/anchor.h"
#include "util/result.h"

namespace anchorage::formats {

/// Formats known to anchorctl's --format and --to options.
enum class Format {
  kZone,    ///< Zone-file DS/DNSKEY lines (Unbound anchor files, root.key, root.ds).
  kKeyset,  ///< keyset-<zone> (dnssec-signzone, Export-DnsServerDnsSecPublicKey).
  kDsset,   ///< dsset-<zone>.
  kBind,    ///< BIND trust-anchors / managed-keys / trusted-keys blocks (read only).
  kXml,     ///< RFC 9718 / RFC 7958 root anchor XML.
  kJson,    ///< Anchorage JSON (also --output json).
};

/// Lower-case name as used on the command line: zone, keyset, dsset, bind, xml, json.
std::string_view formatName(Format format);

/// Parses a format name; errors list the accepted names.
Result<Format> parseFormatName(std::string_view name);

/// Guesses the format of a file from its name and first bytes (XML, JSON, BIND blocks, zone).
Format detectFormat(std::string_view text, std::string_view file_name);

/// Where in which input something was found. `line` is 1-based; 0 when not applicable.
struct Location {
  std::string source;
  size_t line = 0;

  /// "source:line", or "source" when line is 0.
  std::string toString() const;
};

/// One anchor read from an input, with where it was and what validate() found about it.
struct ParsedAnchor {
  model::TrustAnchor anchor;
  Location where;
  std::vector<model::Finding> findings;  ///< Warnings only; an anchor with errors is a problem.
};

/// One thing in an input that could not become an anchor.
struct ParseProblem {
  Location where;
  std::string reason;
};

/// Everything one input yielded. An input may give both anchors and problems.
struct ParseResult {
  std::vector<ParsedAnchor> anchors;
  std::vector<ParseProblem> problems;

  bool clean() const { return problems.empty(); }
};

/// Inputs larger than this are refused whole.
inline constexpr size_t kMaxInputBytes = 64 * 1024 * 1024;

/// Parses `text` in `format`. `source` names the input in problems (a file name or "-").
/// Records of other types (RRSIG, NS...) are skipped in zone-style formats. Every record is run
/// through model::validate(); one with errors becomes a problem, not an anchor.
ParseResult parse(Format format, std::string_view text, std::string_view source);

/// Options for render().
struct RenderOptions {
  /// Digest type used where DS records must be derived from DNSKEYs (dsset, DS-only targets).
  uint8_t ds_digest_type = 2;
};

/// Renders anchors in `format`. Errors: the format is read-only (bind), or the anchors cannot be
/// expressed in it (e.g. a non-root anchor in root XML).
Result<std::string> render(Format format, const std::vector<model::TrustAnchor>& anchors,
                           const RenderOptions& options = {});

}  // namespace anchorage::formats
