// SPDX-License-Identifier: Apache-2.0
//
// Line diffs in unified format, for the writers' dry run ("what would be written"). Myers'
// O((N+M)·D) algorithm on the lines between the common prefix and suffix; when the two texts
// differ in more than a bounded number of lines the changed middle is shown as removed and added
// whole, which keeps time and memory bounded for any input.

#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace anchorage::writers {

/// Returns a unified diff from `before` to `after` with `context` lines around each change,
/// headed "--- <before_label>" / "+++ <after_label>"; an empty string when the texts are equal.
/// A missing final newline is marked as diff(1) does.
std::string unifiedDiff(std::string_view before, std::string_view after,
                        std::string_view before_label, std::string_view after_label,
                        size_t context = 3);

}  // namespace anchorage::writers
