// SPDX-License-Identifier: Apache-2.0
//
// DomainName: an absolute DNS name in canonical form (RFC 4034 §6.2: lower case), parsed with
// ldns so that escapes (`\.`, `\065`) and A-label IDNs behave as in zone files. The 63-octet
// label and 255-octet name limits of RFC 1035 §2.3.4 are enforced.

#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace anchorage::model {

/// An absolute, canonical (lower-cased) domain name.
class DomainName {
 public:
  /// The root name ".".
  DomainName();

  /// Parses presentation form. A relative name (no trailing dot) is made absolute under `origin`
  /// (the root when `origin` is null). Errors: empty text, an empty label, a label over 63 octets,
  /// a name over 255 octets, a bad escape, or a U-label (non-ASCII) where an A-label is expected.
  static Result<DomainName> parse(std::string_view text, const DomainName* origin = nullptr);

  /// Builds from uncompressed wire form. Errors as for parse().
  static Result<DomainName> fromWire(const std::vector<uint8_t>& wire);

  /// Presentation form with a trailing dot, lower case, special characters escaped.
  const std::string& text() const { return text_; }

  /// Canonical uncompressed wire form (RFC 4034 §6.2), as hashed into DS digests.
  const std::vector<uint8_t>& wire() const { return wire_; }

  bool isRoot() const { return wire_.size() == 1; }

  /// Number of labels, not counting the root label.
  size_t labelCount() const;

  /// True when this name equals `other` or lies below it.
  bool isSubdomainOf(const DomainName& other) const;

  /// The name with its first label removed; the root for the root.
  DomainName parent() const;

  /// Canonical DNS ordering (RFC 4034 §6.1).
  std::strong_ordering operator<=>(const DomainName& other) const;
  bool operator==(const DomainName& other) const { return wire_ == other.wire_; }

 private:
  DomainName(std::string text, std::vector<uint8_t> wire)
      : text_(std::move(text)), wire_(std::move(wire)) {}

  std::string text_;
  std::vector<uint8_t> wire_;
};

}  // namespace anchorage::model
