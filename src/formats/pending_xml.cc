// SPDX-License-Identifier: Apache-2.0
// Placeholder until src/formats/xml.cc exists.
#include "formats/detail.h"
namespace anchorage::formats::detail {
ParseResult parseXml(std::string_view, std::string_view source) {
  return {{}, {{{std::string(source), 0}, "format not available yet"}}};
}
Result<std::string> renderXml(const std::vector<model::TrustAnchor>&) {
  return fail(ErrorCode::kUnsupported, "Format not available yet");
}
}  // namespace anchorage::formats::detail
