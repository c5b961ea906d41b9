// SPDX-License-Identifier: Apache-2.0
//
// Hex and base64 (RFC 4648) codecs, digests, and small text helpers shared by the parsers.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace anchorage::util {

/// Decodes hex, ignoring spaces and tabs; errors on an odd count or a non-hex character.
Result<std::vector<uint8_t>> decodeHex(std::string_view text);

/// Upper-case hex without separators.
std::string encodeHex(const std::vector<uint8_t>& data, bool upper = true);

/// Decodes base64 (padding required), ignoring whitespace; errors on bad characters or length.
Result<std::vector<uint8_t>> decodeBase64(std::string_view text);

/// Base64 with padding, no line breaks.
std::string encodeBase64(const std::vector<uint8_t>& data);

/// Digest names accepted by digest(): "sha1", "sha256", "sha384".
std::vector<uint8_t> digest(std::string_view algorithm, const std::vector<uint8_t>& data);

/// Trims ASCII whitespace at both ends.
std::string_view trim(std::string_view text);

/// Splits on runs of ASCII whitespace.
std::vector<std::string_view> splitFields(std::string_view text);

/// Parses a decimal unsigned integer no larger than `max`; errors name `what`.
Result<uint64_t> parseUnsigned(std::string_view text, uint64_t max, std::string_view what);

/// Lower-cases ASCII.
std::string toLower(std::string_view text);

/// Levenshtein distance, for "did you mean" suggestions.
size_t editDistance(std::string_view a, std::string_view b);

}  // namespace anchorage::util
