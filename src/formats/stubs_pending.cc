// SPDX-License-Identifier: Apache-2.0
//
// Placeholder readers and writers while the per-format files are written; each one that exists in
// its own file is removed from here.

#include "formats/detail.h"

namespace anchorage::formats::detail {
namespace {
ParseResult pending(std::string_view source) {
  ParseResult out;
  out.problems.push_back({{std::string(source), 0}, "format not available yet"});
  return out;
}
Result<std::string> pendingRender() {
  return fail(ErrorCode::kUnsupported, "Format not available yet");
}
}  // namespace

ParseResult parseZone(std::string_view, std::string_view source) { return pending(source); }
ParseResult parseBind(std::string_view, std::string_view source) { return pending(source); }
ParseResult parseXml(std::string_view, std::string_view source) { return pending(source); }
ParseResult parseJson(std::string_view, std::string_view source) { return pending(source); }
Result<std::string> renderZone(const std::vector<model::TrustAnchor>&) { return pendingRender(); }
Result<std::string> renderKeyset(const std::vector<model::TrustAnchor>&) {
  return pendingRender();
}
Result<std::string> renderDsset(const std::vector<model::TrustAnchor>&, uint8_t) {
  return pendingRender();
}
Result<std::string> renderXml(const std::vector<model::TrustAnchor>&) { return pendingRender(); }
Result<std::string> renderJson(const std::vector<model::TrustAnchor>&) { return pendingRender(); }

}  // namespace anchorage::formats::detail
