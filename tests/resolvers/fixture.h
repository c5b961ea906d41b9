// SPDX-License-Identifier: Apache-2.0
//
// GoogleTest fixtures of the resolver tests: one TestNetwork (signed zones and nsd) per test
// process, created by a global environment, and a typed fixture that starts a fresh resolver of
// each kind for every test, so the fixture exists once per resolver.

#pragma once

#include <memory>
#include <string>
#include <type_traits>

#include <gtest/gtest.h>

#include "resolvers/harness.h"

namespace anchorage::resolvertest {

/// Creates the TestNetwork before the first test and stops nsd after the last.
class NetworkEnvironment : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;

  /// The network, or null when it could not be created (see error()).
  static const TestNetwork* network();
  static const std::string& error();
};

/// The resolvers under test, and their names in test names ("ResolverTest/Unbound.Case").
using ResolverTypes = ::testing::Types<UnboundServer, BindServer, KnotServer, PowerDnsServer>;

struct ResolverNames {
  template <typename T>
  static std::string GetName(int) {
    if constexpr (std::is_same_v<T, UnboundServer>) {
      return "Unbound";
    } else if constexpr (std::is_same_v<T, BindServer>) {
      return "Bind";
    } else if constexpr (std::is_same_v<T, KnotServer>) {
      return "Knot";
    } else {
      return "PowerDns";
    }
  }
};

/// Starts a resolver of type `Server` for each test; skips when the program is not installed.
template <typename Server>
class ResolverFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!haveProgram(server_.program())) {
      GTEST_SKIP() << server_.program() << " is not installed";
    }
    ASSERT_NE(NetworkEnvironment::network(), nullptr) << NetworkEnvironment::error();
    auto started = server_.start(*NetworkEnvironment::network());
    ASSERT_TRUE(started) << started.error().toString();
  }

  const TestNetwork& network() const { return *NetworkEnvironment::network(); }

  Server server_;
};

}  // namespace anchorage::resolvertest
