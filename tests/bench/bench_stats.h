// SPDX-License-Identifier: Apache-2.0
//
// Latency summaries the benchmarks print: nearest-rank percentiles over the measured samples,
// with the publishes that never arrived counted as missed.

#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace anchorage::bench {

struct Summary {
  size_t n = 0;
  size_t missed = 0;
  double p50 = NAN;
  double p99 = NAN;
  double max = NAN;
};

/// The k-th smallest with k = ceil(p/100 * n) (nearest rank); `v` sorted and not empty.
inline double nearestRank(const std::vector<double>& v, double p) {
  const auto k = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::max<size_t>(k, 1) - 1];
}

/// Summarizes `v` (ms); `expected` samples were wanted.
inline Summary summarize(std::vector<double> v, size_t expected) {
  Summary s;
  s.n = v.size();
  s.missed = expected > v.size() ? expected - v.size() : 0;
  if (v.empty()) {
    return s;
  }
  std::sort(v.begin(), v.end());
  s.p50 = nearestRank(v, 50);
  s.p99 = nearestRank(v, 99);
  s.max = v.back();
  return s;
}

}  // namespace anchorage::bench
