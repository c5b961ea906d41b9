// SPDX-License-Identifier: Apache-2.0
//
// Turns byte offsets into 1-based line numbers for readers whose parser reports offsets (pugixml,
// nlohmann-json). A cursor moves from the previous offset, so the offsets of one document, asked
// for in about increasing order, cost one pass over the text in all, whatever their number:
// hostile input with millions of problems stays linear. Internal to src/formats.

#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace anchorage::formats::detail {

/// Line numbers of byte offsets into one text, by a moving cursor.
class LineCounter {
 public:
  explicit LineCounter(std::string_view text) : text_(text) {}

  /// 1-based line of the byte at `offset` (offsets past the end count as the end).
  size_t lineAt(size_t offset) {
    offset = std::min(offset, text_.size());
    if (offset > pos_) {
      line_ += static_cast<size_t>(std::count(text_.begin() + pos_, text_.begin() + offset, '\n'));
    } else {
      line_ -= static_cast<size_t>(std::count(text_.begin() + offset, text_.begin() + pos_, '\n'));
    }
    pos_ = offset;
    return line_;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  size_t line_ = 1;
};

}  // namespace anchorage::formats::detail
