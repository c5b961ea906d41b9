// SPDX-License-Identifier: Apache-2.0
//
// Pieces shared by the text readers (zone-style, BIND, JSON): a problem collector that lists
// a bounded number of problems (so hostile input cannot grow the result without limit), the
// encoding check at the start of an input, quoting of untrusted text inside reasons, and the
// DS / DNSKEY presentation fields of RFC 4034 §2.2 and §5.3 read into RDATA with a reason that
// names the field at fault. Internal to src/formats.

#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "formats/format.h"
#include "model/anchor.h"
#include "util/result.h"

namespace anchorage::formats::detail {

/// At most this many problems are listed for one input; the rest are counted in one summary.
inline constexpr size_t kMaxListedProblems = 1000;

/// Collects the anchors and problems of one input into a ParseResult, listing at most
/// kMaxListedProblems problems. Call finish() once at the end.
class Collector {
 public:
  Collector(ParseResult& out, std::string_view source) : out_(out), source_(source) {}

  /// Records a problem at 1-based `line` (0: the input as a whole).
  void problem(size_t line, std::string reason);

  /// Runs admit() on `record` as an imported, Valid anchor found at `line`. Returns the admitted
  /// entry (to add findings to), or null when validation turned it into a problem.
  ParsedAnchor* admit(model::AnchorRecord record, size_t line);

  /// Appends the summary problem "N further problems were not listed" when some were dropped.
  void finish();

 private:
  ParseResult& out_;
  std::string source_;
  size_t dropped_ = 0;
};

/// Removes a UTF-8 byte order mark from the front of `text`. Returns an error whose message is a
/// problem reason when the input is UTF-16 or UTF-32, which these readers do not decode.
Result<void> checkEncoding(std::string_view& text);

/// Quotes untrusted text for a reason: at most 40 characters, non-printable bytes as \xNN.
std::string shown(std::string_view text);

/// `text` with its first letter in lower case, to continue a sentence with a model error message.
std::string lowerFirst(std::string text);

/// "0x00" style name of a byte.
std::string byteName(unsigned char byte);

/// True for bytes that never belong in a text file: C0 controls other than tab, LF and CR; DEL.
inline bool isControlByte(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

/// RDATA of either anchor type.
using AnchorRdata = std::variant<model::DsRdata, model::DnskeyRdata>;

/// Reads the presentation fields of a DS ("TAG ALG DIGESTTYPE HEX...") or DNSKEY ("FLAGS PROTO
/// ALG BASE64...") record; algorithm mnemonics are accepted. Errors carry a problem reason that
/// names the type and field, e.g. "DS digest: hex data has a non-hex character".
Result<AnchorRdata> parseAnchorFields(model::RecordType type,
                                      const std::vector<std::string_view>& fields);

}  // namespace anchorage::formats::detail
