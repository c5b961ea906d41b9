// SPDX-License-Identifier: Apache-2.0
//
// The per-format readers and writers behind formats::parse() and formats::render().
// Internal to src/formats.

#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "formats/format.h"

namespace anchorage::formats::detail {

/// Validates `anchor` and appends it to `out.anchors` (with its warnings), or appends a problem
/// naming every error when validate() finds one.
void admit(ParseResult& out, model::TrustAnchor anchor, Location where);

/// Zone-file style input: plain zone lines, keyset-<zone> and dsset-<zone> files.
ParseResult parseZone(std::string_view text, std::string_view source);
/// BIND trust-anchors, managed-keys and trusted-keys blocks.
ParseResult parseBind(std::string_view text, std::string_view source);
/// RFC 9718 / RFC 7958 root anchor XML.
ParseResult parseXml(std::string_view text, std::string_view source);
/// Anchorage JSON.
ParseResult parseJson(std::string_view text, std::string_view source);

Result<std::string> renderZone(const std::vector<model::TrustAnchor>& anchors);
Result<std::string> renderKeyset(const std::vector<model::TrustAnchor>& anchors);
Result<std::string> renderDsset(const std::vector<model::TrustAnchor>& anchors,
                                uint8_t digest_type);
Result<std::string> renderXml(const std::vector<model::TrustAnchor>& anchors);
Result<std::string> renderJson(const std::vector<model::TrustAnchor>& anchors);

}  // namespace anchorage::formats::detail
