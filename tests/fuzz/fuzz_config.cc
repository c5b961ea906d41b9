// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer target for the YAML configuration loader: any input gives a configuration or a
// located error, never a crash, hang or unbounded memory.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = anchorage::config::parseConfig(text, "fuzz.yaml");
  if (!config) {
    ANCHORAGE_CHECK(!anchorage::config::describeConfigError(config.error()).empty());
  }
  return 0;
}
