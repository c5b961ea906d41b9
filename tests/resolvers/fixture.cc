// SPDX-License-Identifier: Apache-2.0
//
// The process-wide test network of the resolver tests.

#include "resolvers/fixture.h"

namespace anchorage::resolvertest {
namespace {

std::unique_ptr<TestNetwork>& instance() {
  static std::unique_ptr<TestNetwork> network;
  return network;
}

std::string& lastError() {
  static std::string text;
  return text;
}

// Registered before main() runs; GoogleTest owns and deletes it.
[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new NetworkEnvironment);

}  // namespace

void NetworkEnvironment::SetUp() {
  // The resolvers and their tools live in sbin; a test run from a user shell may lack it.
  const char* path = std::getenv("PATH");
  ::setenv("PATH",
           (std::string(path != nullptr ? path : "/usr/bin:/bin") + ":/usr/sbin:/sbin").c_str(), 1);
  auto network = TestNetwork::create();
  if (network) {
    instance() = std::move(*network);
  } else {
    lastError() = network.error().toString();
  }
}

void NetworkEnvironment::TearDown() {
  instance().reset();
}

const TestNetwork* NetworkEnvironment::network() {
  return instance().get();
}

const std::string& NetworkEnvironment::error() {
  return lastError();
}

}  // namespace anchorage::resolvertest
