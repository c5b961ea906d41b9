// SPDX-License-Identifier: Apache-2.0
//
// Durations as written in the configuration: a number and a unit ("250ms", "5s", "10m", "2h",
// "30d"), or several of them from the largest unit to the smallest ("1h30m", "1m30s500ms").

#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "util/result.h"

namespace anchorage::config {

/// Every duration in the configuration has millisecond resolution.
using Duration = std::chrono::milliseconds;

/// The longest duration accepted: 3650 days.
inline constexpr Duration kMaxDuration = std::chrono::hours(24 * 3650);

/// Parses `text`: one or more `<digits><unit>` parts, units `d`, `h`, `m`, `s`, `ms`, each used
/// at most once and from the largest to the smallest; "0" alone is zero. Errors (code kConfig,
/// no position fields): empty text, a sign, a fraction, a missing or unknown unit, units out of
/// order or repeated, or a total above kMaxDuration.
Result<Duration> parseDuration(std::string_view text);

/// Formats `duration` the way parseDuration() reads it, largest unit first ("1h30m", "250ms",
/// "0s"); negative durations are formatted as their magnitude with a leading '-'.
std::string formatDuration(Duration duration);

}  // namespace anchorage::config
