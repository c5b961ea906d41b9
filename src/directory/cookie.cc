// SPDX-License-Identifier: Apache-2.0
//
// Parsing and merging of syncprov cookies (see cookie.h for why).

#include "directory/cookie.h"

#include <charconv>
#include <cstdio>
#include <vector>

namespace anchorage::directory {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      out.push_back(s.substr(start));
      break;
    }
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

std::optional<int> csnServerId(std::string_view csn) {
  const auto parts = split(csn, '#');
  if (parts.size() != 4 || parts[0].size() < 15 || parts[2].empty() || parts[2].size() > 3) {
    return std::nullopt;
  }
  int sid = 0;
  auto [ptr, ec] = std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), sid, 16);
  if (ec != std::errc() || ptr != parts[2].data() + parts[2].size()) {
    return std::nullopt;
  }
  return sid;
}

CookieVector CookieVector::parse(std::string_view cookie) {
  CookieVector v;
  v.merge(cookie);
  return v;
}

bool CookieVector::merge(std::string_view cookie) {
  bool moved = false;
  for (auto field : split(cookie, ',')) {
    if (!field.starts_with("csn=")) {
      continue;
    }
    field.remove_prefix(4);
    for (auto csn : split(field, ';')) {
      const auto sid = csnServerId(csn);
      if (!sid) {
        continue;
      }
      auto it = csns_.find(*sid);
      // CSNs of one server compare correctly as strings: fixed-width time, then counters.
      if (it == csns_.end() || it->second < csn) {
        csns_[*sid] = std::string(csn);
        moved = true;
      }
    }
  }
  return moved;
}

bool CookieVector::hasCsnAfter(std::string_view limit) const {
  for (const auto& [sid, csn] : csns_) {
    if (std::string_view(csn).substr(0, limit.size()) > limit) {
      return true;
    }
  }
  return false;
}

std::string CookieVector::toCookie(int rid) const {
  if (csns_.empty()) {
    return {};
  }
  char prefix[16];
  std::snprintf(prefix, sizeof(prefix), "rid=%03d,csn=", rid);
  std::string out = prefix;
  bool first = true;
  for (const auto& [sid, csn] : csns_) {
    if (!first) {
      out += ';';
    }
    out += csn;
    first = false;
  }
  return out;
}

}  // namespace anchorage::directory
