// SPDX-License-Identifier: Apache-2.0
//
// Parsing and formatting of configuration durations (see duration.h).

#include "config/duration.h"

#include <array>
#include <cstdint>

namespace anchorage::config {
namespace {

struct Unit {
  std::string_view name;
  int64_t millis;
};

// Largest first: the order parts must follow, and the order formatDuration() writes.
constexpr std::array<Unit, 5> kUnits{{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

constexpr const char* kExpected = "Expected a duration like 250ms, 5s, 10m, 2h, 30d or 1h30m";

Unexpected durationError(const char* message, std::string_view text) {
  return fail(ErrorCode::kConfig, message, {{"value", std::string(text.substr(0, 40))}});
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isLetter(char c) {
  return c >= 'a' && c <= 'z';
}

}  // namespace

Result<Duration> parseDuration(std::string_view text) {
  if (text == "0") {
    return Duration::zero();
  }
  if (text.starts_with('-')) {
    return durationError("Duration must not be negative", text);
  }
  const int64_t max = kMaxDuration.count();
  int64_t total = 0;
  size_t next_unit = 0;  // index into kUnits of the largest unit still allowed
  size_t i = 0;
  if (text.empty()) {
    return durationError(kExpected, text);
  }
  while (i < text.size()) {
    int64_t number = 0;
    const size_t digits_start = i;
    for (; i < text.size() && isDigit(text[i]); ++i) {
      number = number * 10 + (text[i] - '0');
      if (number > max) {
        return durationError("Duration is longer than 3650 days", text);
      }
    }
    const size_t unit_start = i;
    for (; i < text.size() && isLetter(text[i]); ++i) {
    }
    const std::string_view unit_name = text.substr(unit_start, i - unit_start);
    if (i == digits_start || unit_start == digits_start || unit_name.empty()) {
      return durationError(kExpected, text);
    }
    size_t unit = 0;
    while (unit < kUnits.size() && kUnits[unit].name != unit_name) {
      ++unit;
    }
    if (unit == kUnits.size()) {
      return durationError(kExpected, text);
    }
    if (unit < next_unit) {
      return durationError("Duration units must go from largest to smallest, like 1h30m", text);
    }
    next_unit = unit + 1;
    if (number > (max - total) / kUnits[unit].millis) {
      return durationError("Duration is longer than 3650 days", text);
    }
    total += number * kUnits[unit].millis;
  }
  return Duration(total);
}

std::string formatDuration(Duration duration) {
  int64_t rest = duration.count();
  if (rest == 0) {
    return "0s";
  }
  std::string out;
  if (rest < 0) {
    out = "-";
    rest = -rest;
  }
  for (const auto& unit : kUnits) {
    if (rest >= unit.millis) {
      out += std::to_string(rest / unit.millis) + std::string(unit.name);
      rest %= unit.millis;
    }
  }
  return out;
}

}  // namespace anchorage::config
