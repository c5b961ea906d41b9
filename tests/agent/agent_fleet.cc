// SPDX-License-Identifier: Apache-2.0
//
// The test fleet of the anchorage-agent end-to-end tests (see agent_fleet.h).

#include "agent_fleet.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>

#include "util/file.h"

namespace anchorage::agenttest {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

testing::TopologyEnvironment& topo() {
  return *testing::TopologyEnvironment::instance();
}

bool eventually(const std::function<bool()>& done, milliseconds limit) {
  const auto deadline = steady_clock::now() + limit;
  while (steady_clock::now() < deadline) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  return done();
}

std::string fileText(const std::string& path) {
  return util::readFile(path, 1 << 20).value_or("");
}

std::string Server::config(const resolvertest::TestNetwork& net) const {
  const auto w = unbound->writerSettings();
  std::string control;
  for (const auto& a : control_command.value_or(w.control_command)) {
    control += (control.empty() ? "" : ", ") + ("\"" + a + "\"");
  }
  const std::string account = "AGENT" + std::to_string(agent_number);
  std::string text = "server: " + name + "\n" +
                     "directory:\n"
                     "  read: [\"" +
                     read_uri + "\"]\n" + "  write: [\"" + topo().var("PROVIDER1_URI") + "\", \"" +
                     topo().var("PROVIDER2_URI") + "\"]\n" + "  bind: { method: simple, dn: \"" +
                     topo().var(account + "_DN") +
                     "\", password_file: " + topo().var(account + "_PASSWORD_FILE") + " }\n" +
                     "  tls: { ca_file: " + topo().var("CA_CERT") + " }\n" +
                     "  timeouts: { network: 2s, operation: 5s, liveness: 4s }\n"
                     "  reconnect: { min_delay: 200ms, max_delay: 2s }\n"
                     "scopes: auto\n"
                     "state_dir: " +
                     stateDir() + "\n" + "debounce: 50ms\n";
  if (metrics_port != 0) {
    text += "metrics: { listen: \"127.0.0.1:" + std::to_string(metrics_port) + "\" }\n";
  }
  if (!extra_config.empty()) {
    text += extra_config;
  }
  text +=
      "resolvers:\n"
      "  - type: unbound\n"
      "    anchor_file: " +
      w.anchor_file + "\n" + "    nta_file: " + w.nta_file + "\n" + "    control_command: [" +
      control + "]\n" + "    address: " + w.query_address + ":" + std::to_string(w.query_port) +
      "\n" + "    probes: { \"" + net.corp().name.text() + "\": \"" + net.corp().probe + "\", \"" +
      net.rsa().name.text() + "\": \"" + net.rsa().probe + "\" }\n" +
      "    timeout: 2s\n"
      "    verify_timeout: 5s\n";
  return text;
}

void Server::writeConfig(const resolvertest::TestNetwork& net) const {
  std::ofstream(configPath()) << config(net);
}

void Server::startAgent(const std::vector<std::string>& environment) {
  auto p = testsupport::Process::spawn(
      {{ANCHORAGE_AGENT_PATH, "-c", configPath()}, logPath(), "", dir, environment});
  ASSERT_TRUE(p) << p.error().toString();
  agent.emplace(std::move(*p));
}

bool Server::validates(const std::string& qname) const {
  auto r = unbound->query(qname);
  return r && r->rcode == dns::Rcode::kNoError && r->authentic_data;
}

bool Server::answersInsecure(const std::string& qname) const {
  auto r = unbound->query(qname);
  return r && r->rcode == dns::Rcode::kNoError && !r->authentic_data;
}

std::string Server::agentLog() const {
  std::ifstream in(logPath());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Server::resolverFilesParse() const {
  auto check = testsupport::runCommand(
      {"unbound-checkconf", unbound->directory() + "/unbound.conf"}, milliseconds(10000));
  return check && check->status.success();
}

Result<std::vector<std::unique_ptr<Server>>> makeFleet(const resolvertest::TestNetwork& net) {
  const std::vector<std::tuple<std::string, int, std::string>> layout = {
      {topo().var("AGENT2_NAME"), 2, topo().var("PROVIDER2_URI")},
      {topo().var("AGENT3_NAME"), 3, topo().var("CONSUMER1_URI")},
      {topo().var("AGENT1_NAME"), 1, topo().var("PROVIDER1_URI")},
  };
  std::vector<std::unique_ptr<Server>> servers;
  for (const auto& [name, number, uri] : layout) {
    auto s = std::make_unique<Server>();
    s->name = name;
    s->agent_number = number;
    s->read_uri = uri;
    s->dir = topo().dir() + "/" + name;
    std::filesystem::create_directories(s->dir);
    s->unbound = std::make_unique<resolvertest::UnboundServer>();
    if (auto started = s->unbound->start(net); !started) {
      return fail(started.error());
    }
    servers.push_back(std::move(s));
  }
  return servers;
}

void printAgentLogs(const std::vector<std::unique_ptr<Server>>& servers) {
  for (const auto& s : servers) {
    std::cerr << "---- " << s->name << " agent log (tail)\n";
    const std::string log = s->agentLog();
    std::cerr << log.substr(log.size() > 4000 ? log.size() - 4000 : 0) << "\n";
  }
}

}  // namespace anchorage::agenttest
