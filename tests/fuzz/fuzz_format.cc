// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer target for one trust anchor file format, chosen at build time with
// ANCHORAGE_FUZZ_FORMAT. Whatever parses is rendered again in the zone format, which must succeed.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "formats/format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using anchorage::formats::Format;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = anchorage::formats::parse(Format::ANCHORAGE_FUZZ_FORMAT, text, "fuzz");
  std::vector<anchorage::model::TrustAnchor> anchors;
  for (const auto& a : parsed.anchors) {
    anchors.push_back(a.anchor);
  }
  ANCHORAGE_CHECK(anchorage::formats::render(Format::kZone, anchors).has_value());
  return 0;
}
