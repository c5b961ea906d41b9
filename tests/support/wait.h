// SPDX-License-Identifier: Apache-2.0
//
// Waiting for a condition with a deadline, for tests that start servers and poll until they
// answer, a file appears, or a state changes. Never waits without bound.

#pragma once

#include <chrono>
#include <functional>

namespace anchorage::testsupport {

/// A point in steady time after which waiting stops.
class Deadline {
 public:
  /// A deadline `budget` from now.
  explicit Deadline(std::chrono::milliseconds budget)
      : end_(std::chrono::steady_clock::now() + budget) {}

  /// True once the deadline has passed.
  bool expired() const { return std::chrono::steady_clock::now() >= end_; }

  /// Time left, zero when expired.
  std::chrono::milliseconds remaining() const;

 private:
  std::chrono::steady_clock::time_point end_;
};

/// Calls `condition` every `interval` until it returns true or `timeout` has passed; the
/// condition is always tried at least once, and once more at the deadline. Returns whether it
/// became true.
bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval = std::chrono::milliseconds(10));

}  // namespace anchorage::testsupport
