// SPDX-License-Identifier: Apache-2.0
// Placeholder until src/formats/bind.cc exists.
#include "formats/detail.h"
namespace anchorage::formats::detail {
ParseResult parseBind(std::string_view, std::string_view source) {
  return {{}, {{{std::string(source), 0}, "format not available yet"}}};
}
}  // namespace anchorage::formats::detail
