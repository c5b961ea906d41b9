// SPDX-License-Identifier: Apache-2.0
//
// anchorage-agent entry point: command line, signals and the reload loop. Everything else lives
// in src/agent. Startup errors exit with sysexits codes (78 for a bad configuration); a bad
// configuration on SIGHUP is reported and the running one kept.

#include <signal.h>
#include <sysexits.h>

#include <atomic>
#include <iostream>

#include <CLI/CLI.hpp>

#include "agent/agent.h"
#include "cli/command_line.h"
#include "config/config.h"
#include "util/log.h"

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

void onSignal(int signal) {
  if (signal == SIGHUP) {
    g_reload.store(true);
  } else {
    g_stop.store(true);
  }
}

void installSignals() {
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) {
    sigaction(s, &sa, nullptr);
  }
  signal(SIGPIPE, SIG_IGN);
}

anchorage::util::LogFormat logFormat(anchorage::config::LogFormat f) {
  switch (f) {
    case anchorage::config::LogFormat::kJson:
      return anchorage::util::LogFormat::kJson;
    case anchorage::config::LogFormat::kJournald:
      return anchorage::util::LogFormat::kJournald;
    case anchorage::config::LogFormat::kLogfmt:
      break;
  }
  return anchorage::util::LogFormat::kLogfmt;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace anchorage;
  CLI::App app{
      "anchorage-agent keeps this DNS server's resolver trust anchors in step with the\n"
      "directory: it follows every replication scope, validates the entries, writes the\n"
      "resolvers' anchor files, reloads them, verifies that they validate, and reports.",
      "anchorage-agent"};
  app.set_version_flag("--version", std::string("anchorage-agent ") + ANCHORAGE_VERSION);
  std::string config_path = "/etc/anchorage/anchorage.yaml";
  bool check_only = false;
  bool once = false;
  unsigned once_timeout = 60;
  app.add_option("-c,--config", config_path, "Configuration file (YAML)")->capture_default_str();
  app.add_flag("--check-config", check_only, "Validate the configuration and exit (0 or 78)");
  app.add_flag("--once", once, "Sync every scope, apply once, report, and exit");
  app.add_option("--once-timeout", once_timeout, "Seconds --once waits for the directory")
      ->capture_default_str();
  if (auto code = cli::parseCommandLine(app, argc, argv)) {
    return *code;
  }

  auto config = config::loadConfigFile(config_path);
  if (!config) {
    std::cerr << "anchorage-agent: " << config::describeConfigError(config.error()) << "\n";
    return EX_CONFIG;
  }
  if (check_only) {
    std::cout << config_path << ": configuration is valid\n";
    return EX_OK;
  }
  auto sink =
      std::make_shared<util::LogSink>(std::cerr, logFormat(config->log.format), config->log.level);
  util::Logger log(sink, "main");
  installSignals();

  while (true) {
    auto agent = agent::Agent::create(*config, sink);
    if (!agent) {
      log.error("Agent cannot start", {{"error", agent.error().toString()}});
      return exitCodeFor(agent.error().code);
    }
    if (once) {
      auto r = (*agent)->runOnce(std::chrono::seconds(once_timeout));
      if (!r) {
        log.error("Apply failed", {{"error", r.error().toString()}});
        return exitCodeFor(r.error().code);
      }
      return EX_OK;
    }
    log.info("Agent started", {{"config", config_path}, {"server", config->server}});
    if ((*agent)->run(g_stop, g_reload) == agent::RunExit::kStopped) {
      log.info("Agent stopped");
      return EX_OK;
    }
    auto fresh = config::loadConfigFile(config_path);
    if (!fresh) {
      log.error("New configuration rejected; keeping the running one",
                {{"error", config::describeConfigError(fresh.error())}});
      continue;
    }
    config = std::move(fresh);
    sink->setFormat(logFormat(config->log.format));
    sink->setThreshold(config->log.level);
    log.notice("Configuration reloaded", {{"config", config_path}});
  }
}
