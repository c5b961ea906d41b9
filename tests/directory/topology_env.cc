// SPDX-License-Identifier: Apache-2.0
//
// Starts and stops deploy/topology.sh for the directory client tests.

#include "topology_env.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace anchorage::testing {

TopologyEnvironment* TopologyEnvironment::instance_ = nullptr;

namespace {

std::string script() {
  return std::string(ANCHORAGE_SOURCE_DIR) + "/deploy/topology.sh";
}

int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

void TopologyEnvironment::SetUp() {
  char tmpl[] = "/tmp/anc-dir-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  dir_ = tmpl;
  const std::string cmd = "bash " + script() + " start " + dir_ + "/topo --base-port " +
                          std::to_string(base_port_) + " > " + dir_ + "/start.log 2>&1";
  ASSERT_EQ(run(cmd), 0) << "topology did not start; see " << dir_ << "/start.log";
  std::ifstream env(dir_ + "/topo/topology.env");
  std::string line;
  while (std::getline(env, line)) {
    const auto eq = line.find('=');
    if (line.rfind("ANCHORAGE_", 0) != 0 || eq == std::string::npos) {
      continue;
    }
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
      value = value.substr(1, value.size() - 2);
    }
    vars_[line.substr(10, eq - 10)] = value;
  }
  instance_ = this;
}

void TopologyEnvironment::TearDown() {
  instance_ = nullptr;
  if (dir_.empty()) {
    return;
  }
  run("bash " + script() + " stop " + dir_ + "/topo > " + dir_ + "/stop.log 2>&1");
  if (!::testing::UnitTest::GetInstance()->Failed()) {
    std::filesystem::remove_all(dir_);
  }
}

std::string TopologyEnvironment::var(const std::string& name) const {
  const auto it = vars_.find(name);
  return it == vars_.end() ? std::string() : it->second;
}

directory::SessionSettings TopologyEnvironment::publisher(const std::string& uri) const {
  directory::SessionSettings s;
  s.uris = {uri};
  s.bind_method = directory::BindMethod::kSimple;
  s.bind_dn = var("PUBLISHER_DN");
  s.password_file = var("PUBLISHER_PASSWORD_FILE");
  s.ca_file = var("CA_CERT");
  s.network_timeout = std::chrono::milliseconds(2000);
  s.operation_timeout = std::chrono::milliseconds(5000);
  return s;
}

directory::SessionSettings TopologyEnvironment::agent(int n, const std::string& uri) const {
  auto s = publisher(uri);
  s.bind_dn = var("AGENT" + std::to_string(n) + "_DN");
  s.password_file = var("AGENT" + std::to_string(n) + "_PASSWORD_FILE");
  return s;
}

int TopologyEnvironment::pid(const std::string& instance) const {
  std::string upper = instance;
  for (auto& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  std::ifstream in(var(upper + "_PID_FILE"));
  int p = 0;
  in >> p;
  if (p <= 0 || !std::filesystem::exists("/proc/" + std::to_string(p) + "/cmdline")) {
    return 0;
  }
  return p;
}

bool TopologyEnvironment::startInstance(const std::string& instance) const {
  return run("bash " + script() + " start-instance " + dir_ + "/topo " + instance + " >> " + dir_ +
             "/start.log 2>&1") == 0;
}

}  // namespace anchorage::testing
