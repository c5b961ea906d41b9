// SPDX-License-Identifier: Apache-2.0
// Placeholder until src/formats/zone.cc exists.
#include "formats/detail.h"
namespace anchorage::formats::detail {
ParseResult parseZone(std::string_view, std::string_view source) {
  return {{}, {{{std::string(source), 0}, "format not available yet"}}};
}
Result<std::string> renderZone(const std::vector<model::TrustAnchor>&) {
  return fail(ErrorCode::kUnsupported, "Format not available yet");
}
Result<std::string> renderKeyset(const std::vector<model::TrustAnchor>&) {
  return fail(ErrorCode::kUnsupported, "Format not available yet");
}
Result<std::string> renderDsset(const std::vector<model::TrustAnchor>&, uint8_t) {
  return fail(ErrorCode::kUnsupported, "Format not available yet");
}
}  // namespace anchorage::formats::detail
