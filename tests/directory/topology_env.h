// SPDX-License-Identifier: Apache-2.0
//
// A real local directory topology (deploy/topology.sh: two providers and a forest-only consumer)
// started once per test binary as a GoogleTest environment, and stopped by PID when the binary
// ends, also when tests fail.

#pragma once

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "directory/session.h"

namespace anchorage::testing {

/// The topology and the variables of its topology.env.
class TopologyEnvironment : public ::testing::Environment {
 public:
  explicit TopologyEnvironment(int base_port) : base_port_(base_port) {}

  void SetUp() override;
  void TearDown() override;

  /// The running instance, set while the environment is up.
  static TopologyEnvironment* instance() { return instance_; }

  /// A topology.env variable without its ANCHORAGE_ prefix, e.g. "PROVIDER1_URI".
  std::string var(const std::string& name) const;

  /// Session settings for the publisher (simple bind, StartTLS, the topology's CA) on `uri`.
  directory::SessionSettings publisher(const std::string& uri) const;
  /// Session settings for agent `n` (1-3) on `uri`.
  directory::SessionSettings agent(int n, const std::string& uri) const;

  /// PID of instance "provider1", "provider2" or "consumer1"; 0 when not running.
  int pid(const std::string& instance) const;
  /// Starts one stopped instance again (after a kill in a fault test).
  bool startInstance(const std::string& instance) const;

  const std::string& dir() const { return dir_; }

 private:
  int base_port_;
  std::string dir_;
  std::map<std::string, std::string> vars_;
  static TopologyEnvironment* instance_;
};

}  // namespace anchorage::testing
