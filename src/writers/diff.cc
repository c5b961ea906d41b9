// SPDX-License-Identifier: Apache-2.0
//
// Unified line diffs (Myers 1986, "An O(ND) Difference Algorithm and Its Variations").

#include "writers/diff.h"

#include <algorithm>
#include <vector>

namespace anchorage::writers {
namespace {

/// Above this edit distance the middle is shown as a whole replacement.
constexpr long kMaxEditDistance = 2000;

enum class Op { kEqual, kDelete, kInsert };

struct Edit {
  Op op;
  size_t before_index;  ///< Line index in `before` (for kEqual and kDelete).
  size_t after_index;   ///< Line index in `after` (for kEqual and kInsert).
};

std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, nl - start + 1));
    start = nl + 1;
  }
  return lines;
}

/// Shortest edit script between a[a0, a1) and b[b0, b1), or false when it is longer than
/// kMaxEditDistance.
bool myers(const std::vector<std::string_view>& a, size_t a0, size_t a1,
           const std::vector<std::string_view>& b, size_t b0, size_t b1, std::vector<Edit>& out) {
  const long n = static_cast<long>(a1 - a0);
  const long m = static_cast<long>(b1 - b0);
  const long max_d = std::min(n + m, kMaxEditDistance);
  const long offset = max_d + 1;
  std::vector<long> v(static_cast<size_t>(2 * max_d + 3), 0);
  std::vector<std::vector<long>> trace;  // trace[d][k + d] = furthest x on diagonal k after d
  auto at = [&](long k) -> long& { return v[static_cast<size_t>(k + offset)]; };
  long found_d = -1;
  for (long d = 0; d <= max_d && found_d < 0; ++d) {
    for (long k = -d; k <= d; k += 2) {
      long x = (k == -d || (k != d && at(k - 1) < at(k + 1))) ? at(k + 1) : at(k - 1) + 1;
      long y = x - k;
      while (x < n && y < m && a[a0 + static_cast<size_t>(x)] == b[b0 + static_cast<size_t>(y)]) {
        ++x;
        ++y;
      }
      at(k) = x;
      if (x >= n && y >= m) {
        found_d = d;
      }
    }
    trace.emplace_back(v.begin() + (offset - d), v.begin() + (offset + d + 1));
  }
  if (found_d < 0) {
    return false;
  }
  std::vector<Edit> reversed;
  long x = n;
  long y = m;
  for (long d = found_d; d > 0; --d) {
    const std::vector<long>& prev = trace[static_cast<size_t>(d - 1)];
    auto prev_at = [&](long k) { return prev[static_cast<size_t>(k + d - 1)]; };
    const long k = x - y;
    const long prev_k = (k == -d || (k != d && prev_at(k - 1) < prev_at(k + 1))) ? k + 1 : k - 1;
    const long prev_x = prev_at(prev_k);
    const long prev_y = prev_x - prev_k;
    while (x > prev_x && y > prev_y) {
      --x;
      --y;
      reversed.push_back({Op::kEqual, a0 + static_cast<size_t>(x), b0 + static_cast<size_t>(y)});
    }
    if (x == prev_x) {
      reversed.push_back({Op::kInsert, 0, b0 + static_cast<size_t>(prev_y)});
    } else {
      reversed.push_back({Op::kDelete, a0 + static_cast<size_t>(prev_x), 0});
    }
    x = prev_x;
    y = prev_y;
  }
  while (x > 0 && y > 0) {
    --x;
    --y;
    reversed.push_back({Op::kEqual, a0 + static_cast<size_t>(x), b0 + static_cast<size_t>(y)});
  }
  out.insert(out.end(), reversed.rbegin(), reversed.rend());
  return true;
}

std::vector<Edit> editScript(const std::vector<std::string_view>& a,
                             const std::vector<std::string_view>& b) {
  size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) {
    ++prefix;
  }
  size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  std::vector<Edit> edits;
  for (size_t i = 0; i < prefix; ++i) {
    edits.push_back({Op::kEqual, i, i});
  }
  const size_t a1 = a.size() - suffix;
  const size_t b1 = b.size() - suffix;
  if (!myers(a, prefix, a1, b, prefix, b1, edits)) {
    for (size_t i = prefix; i < a1; ++i) {
      edits.push_back({Op::kDelete, i, 0});
    }
    for (size_t j = prefix; j < b1; ++j) {
      edits.push_back({Op::kInsert, 0, j});
    }
  }
  for (size_t i = 0; i < suffix; ++i) {
    edits.push_back({Op::kEqual, a1 + i, b1 + i});
  }
  return edits;
}

void appendLine(std::string& out, char mark, std::string_view line) {
  out += mark;
  out += line;
  if (line.empty() || line.back() != '\n') {
    out += "\n\\ No newline at end of file\n";
  }
}

std::string range(size_t start, size_t count) {
  // Unified format numbers lines from 1; an empty range names the line before it.
  const size_t first = count == 0 ? start : start + 1;
  return count == 1 ? std::to_string(first) : std::to_string(first) + "," + std::to_string(count);
}

}  // namespace

std::string unifiedDiff(std::string_view before, std::string_view after,
                        std::string_view before_label, std::string_view after_label,
                        size_t context) {
  if (before == after) {
    return {};
  }
  const auto a = splitLines(before);
  const auto b = splitLines(after);
  const auto edits = editScript(a, b);

  std::string out = "--- " + std::string(before_label) + "\n+++ " + std::string(after_label) + "\n";
  size_t i = 0;
  while (i < edits.size()) {
    if (edits[i].op == Op::kEqual) {
      ++i;
      continue;
    }
    // A hunk: from `context` equal lines before this change to `context` after the last change
    // that is separated from the next by at most 2 * context equal lines.
    const size_t start = i >= context ? i - context : 0;
    size_t end = i;
    size_t equal_run = 0;
    for (size_t j = i; j < edits.size(); ++j) {
      if (edits[j].op == Op::kEqual) {
        if (++equal_run > 2 * context) {
          break;
        }
      } else {
        equal_run = 0;
        end = j + 1;
      }
    }
    end = std::min(edits.size(), end + context);

    size_t a_start = 0;
    size_t b_start = 0;
    size_t a_count = 0;
    size_t b_count = 0;
    // Positions of the hunk in each file: count the lines each side had before it.
    for (size_t j = 0; j < start; ++j) {
      a_start += edits[j].op != Op::kInsert ? 1 : 0;
      b_start += edits[j].op != Op::kDelete ? 1 : 0;
    }
    std::string body;
    for (size_t j = start; j < end; ++j) {
      switch (edits[j].op) {
        case Op::kEqual:
          appendLine(body, ' ', a[edits[j].before_index]);
          ++a_count;
          ++b_count;
          break;
        case Op::kDelete:
          appendLine(body, '-', a[edits[j].before_index]);
          ++a_count;
          break;
        case Op::kInsert:
          appendLine(body, '+', b[edits[j].after_index]);
          ++b_count;
          break;
      }
    }
    out += "@@ -" + range(a_start, a_count) + " +" + range(b_start, b_count) + " @@\n" + body;
    i = end;
  }
  return out;
}

}  // namespace anchorage::writers
