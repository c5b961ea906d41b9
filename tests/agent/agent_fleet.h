// SPDX-License-Identifier: Apache-2.0
//
// Shared pieces of the anchorage-agent end-to-end tests: the directory topology of the running
// test binary, a bounded wait, and the test fleet of three DNS servers, each an Unbound from the
// resolver harness fed by the real agent binary (agent 2 reading provider 2, agent 3 reading the
// forest-only consumer, agent 1 reading provider 1).

#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "resolvers/harness.h"
#include "support/process.h"
#include "topology_env.h"
#include "util/result.h"

namespace anchorage::agenttest {

/// The topology environment of this test binary.
testing::TopologyEnvironment& topo();

/// Polls `done` every 100 ms until it holds or `limit` has passed; returns its last value.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit);

/// The contents of the file at `path` (up to 1 MiB); empty when it cannot be read.
std::string fileText(const std::string& path);

/// One DNS server: an Unbound and the agent that feeds it.
struct Server {
  std::string name;      ///< Agent FQDN, the cn of its status entry.
  int agent_number = 0;  ///< 1..3 in topology.env.
  std::string read_uri;  ///< The replica it reads.
  std::string dir;       ///< Configuration, log and state directory.
  std::unique_ptr<resolvertest::UnboundServer> unbound;
  std::optional<testsupport::Process> agent;
  /// Replaces the writer's control command (the Unbound one) when set.
  std::optional<std::vector<std::string>> control_command;
  /// Port of the metrics endpoint on 127.0.0.1; 0 leaves metrics off.
  uint16_t metrics_port = 0;
  /// Top-level YAML appended to the configuration as it is (e.g. an rfc5011 section).
  std::string extra_config;

  std::string configPath() const { return dir + "/anchorage.yaml"; }
  std::string logPath() const { return dir + "/agent.log"; }
  std::string stateDir() const { return dir + "/state"; }
  std::string anchorFile() const { return unbound->writerSettings().anchor_file; }

  /// The agent's YAML configuration for the current settings; `net` supplies the probes.
  std::string config(const resolvertest::TestNetwork& net) const;
  /// Writes config() to configPath().
  void writeConfig(const resolvertest::TestNetwork& net) const;

  /// Starts the agent binary with `environment` ("KEY=VALUE") added to the inherited one. Records
  /// a test failure when it cannot be started.
  void startAgent(const std::vector<std::string>& environment = {});

  /// True when a DO query for `qname` gets NOERROR with AD=1 from this Unbound.
  bool validates(const std::string& qname) const;
  /// True when a DO query for `qname` gets NOERROR without AD.
  bool answersInsecure(const std::string& qname) const;
  /// The agent's log so far.
  std::string agentLog() const;
  /// True when unbound-checkconf accepts this Unbound's configuration and the files it includes.
  bool resolverFilesParse() const;
};

/// Makes the fleet's three servers in the order agent 2, agent 3, agent 1, each with its Unbound
/// started and its directory created; configurations are not written and no agent runs yet.
/// Errors: an Unbound that does not start.
Result<std::vector<std::unique_ptr<Server>>> makeFleet(const resolvertest::TestNetwork& net);

/// Prints the tail of every agent's log to stderr (for a failed test).
void printAgentLogs(const std::vector<std::unique_ptr<Server>>& servers);

}  // namespace anchorage::agenttest
