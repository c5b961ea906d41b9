// SPDX-License-Identifier: Apache-2.0
//
// Bounded waiting for test conditions.

#include "support/wait.h"

#include <algorithm>
#include <thread>

namespace anchorage::testsupport {

std::chrono::milliseconds Deadline::remaining() const {
  const auto left = end_ - std::chrono::steady_clock::now();
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(left));
}

bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval) {
  const Deadline deadline(timeout);
  while (true) {
    if (condition()) {
      return true;
    }
    if (deadline.expired()) {
      return false;
    }
    std::this_thread::sleep_for(std::min(interval, deadline.remaining()));
  }
}

}  // namespace anchorage::testsupport
