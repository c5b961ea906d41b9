// SPDX-License-Identifier: Apache-2.0
//
// anchorage-agent under faults, and what it tells its operators: the same fleet as
// agent_e2e_test.cc on a second topology. A resolver whose reload fails (the file stays whole,
// nothing is lost, the status entry says so, and the agent converges once the fault is gone);
// kill -9 of provider 1 while a batch is published (the publisher fails over to provider 2 and
// publishes the batch again there, and every agent converges on what the providers hold); systemd
// notification (READY, STATUS, WATCHDOG, STOPPING) on a datagram socket the test binds; and the
// Prometheus endpoint scraped over HTTP.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/policy.h"
#include "agent_fleet.h"
#include "directory/mapping.h"
#include "directory/operations.h"
#include "support/ports.h"
#include "support/process.h"

namespace anchorage::agenttest {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr uint16_t kFirstMetricsPort = 14420;
constexpr uint16_t kLastMetricsPort = 14429;
constexpr int kBatchSize = 50;
constexpr int kKillAfter = 20;  // Provider 1 dies after this many anchors of the batch.

// A file descriptor closed when it goes away.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The systemd side of sd_notify: a unix datagram socket that the agent finds in NOTIFY_SOCKET.
class NotifyListener {
 public:
  struct Line {
    steady_clock::time_point at;
    std::string text;
  };

  explicit NotifyListener(std::string path) : path_(std::move(path)) {
    std::filesystem::remove(path_);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
      fd_ = fd;
    } else if (fd >= 0) {
      ::close(fd);
    }
  }
  ~NotifyListener() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    std::filesystem::remove(path_);
  }
  NotifyListener(const NotifyListener&) = delete;
  NotifyListener& operator=(const NotifyListener&) = delete;

  bool bound() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  const std::vector<Line>& lines() const { return lines_; }

  // Receives until a line starting with `prefix` arrives at or after index `from`, or `limit`
  // passes. Returns that line's index.
  std::optional<size_t> waitFor(const std::string& prefix, milliseconds limit, size_t from = 0) {
    const auto deadline = steady_clock::now() + limit;
    while (true) {
      for (size_t i = from; i < lines_.size(); ++i) {
        if (lines_[i].text.rfind(prefix, 0) == 0) {
          return i;
        }
      }
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
      if (left.count() <= 0 || !receive(left)) {
        return std::nullopt;
      }
    }
  }

  // Receives whatever arrives during `span`.
  void collect(milliseconds span) {
    const auto deadline = steady_clock::now() + span;
    while (true) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
      if (left.count() <= 0) {
        return;
      }
      receive(left);
    }
  }

 private:
  // One datagram; sd_notify may put several assignments in one, a line each.
  bool receive(milliseconds limit) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0) {
      return false;
    }
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      return false;
    }
    const auto at = steady_clock::now();
    std::istringstream in(std::string(buffer, static_cast<size_t>(n)));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) {
        lines_.push_back({at, line});
      }
    }
    return true;
  }

  std::string path_;
  int fd_ = -1;
  std::vector<Line> lines_;
};

// GET /metrics over a plain socket; the body, or nullopt on any failure.
std::optional<std::string> scrapeMetrics(uint16_t port) {
  const Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return std::nullopt;
  }
  const timeval timeout{5, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return std::nullopt;
  }
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return std::nullopt;
  }
  std::string response;
  char buffer[8192];
  while (response.size() < (4u << 20)) {
    const ssize_t n = ::recv(fd.get(), buffer, sizeof(buffer), 0);
    if (n < 0) {
      return std::nullopt;
    }
    if (n == 0) {
      break;
    }
    response.append(buffer, static_cast<size_t>(n));
  }
  const auto body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || response.find(" 200 ") == std::string::npos ||
      body == std::string::npos) {
    return std::nullopt;
  }
  return response.substr(body + 4);
}

// One sample line of the Prometheus text format.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

std::vector<Sample> parseSamples(const std::string& text) {
  std::vector<Sample> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    Sample s;
    const auto brace = line.find('{');
    const auto space = line.rfind(' ');
    if (space == std::string::npos) {
      continue;
    }
    s.name = line.substr(0, std::min(brace, space));
    if (brace != std::string::npos && brace < space) {
      const std::string labels = line.substr(brace + 1, line.rfind('}') - brace - 1);
      size_t pos = 0;
      while (pos < labels.size()) {
        const auto eq = labels.find("=\"", pos);
        const auto close = labels.find('"', eq + 2);
        if (eq == std::string::npos || close == std::string::npos) {
          break;
        }
        s.labels[labels.substr(pos, eq - pos)] = labels.substr(eq + 2, close - eq - 2);
        pos = close + 2;  // past the quote and the comma
      }
    }
    s.value = std::strtod(line.c_str() + space + 1, nullptr);
    out.push_back(std::move(s));
  }
  return out;
}

// The value of the first sample called `name` that carries every label of `labels`.
std::optional<double> sampleValue(const std::vector<Sample>& samples, const std::string& name,
                                  const std::map<std::string, std::string>& labels = {}) {
  for (const auto& s : samples) {
    if (s.name != name) {
      continue;
    }
    const bool match = std::all_of(labels.begin(), labels.end(), [&](const auto& l) {
      const auto it = s.labels.find(l.first);
      return it != s.labels.end() && it->second == l.second;
    });
    if (match) {
      return s.value;
    }
  }
  return std::nullopt;
}

// A scrape parsed, with the families it declares.
struct Scrape {
  std::string text;
  std::vector<Sample> samples;

  bool declares(const std::string& family, const std::string& type) const {
    return text.find("# TYPE " + family + " " + type + "\n") != std::string::npos;
  }
  double value(const std::string& name, const std::map<std::string, std::string>& labels = {},
               double missing = -1) const {
    return sampleValue(samples, name, labels).value_or(missing);
  }
};

std::optional<Scrape> scrape(uint16_t port) {
  auto text = scrapeMetrics(port);
  if (!text) {
    return std::nullopt;
  }
  return Scrape{*text, parseSamples(*text)};
}

// One DS anchor of the batch: trust point batch.corp.example., key tag 1000 + i, a digest that
// no key has.
model::TrustAnchor batchAnchor(int i) {
  std::mt19937 rng(static_cast<unsigned>(7000 + i));
  std::string hex;
  for (int b = 0; b < 32; ++b) {
    char octet[3];
    std::snprintf(octet, sizeof(octet), "%02X", static_cast<unsigned>(rng() & 0xff));
    hex += octet;
  }
  model::TrustAnchor a;
  a.record = {model::DomainName::parse("batch.corp.example.").value(), 3600,
              model::parseDsRdata(std::to_string(1000 + i) + " 13 2 " + hex).value()};
  return a;
}

size_t countOf(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) {
    ++n;
  }
  return n;
}

// Anchor ids of the agent's applied-set state file.
std::vector<std::string> appliedIds(const Server& s) {
  const auto doc = nlohmann::json::parse(fileText(s.stateDir() + "/applied.json"), nullptr, false);
  std::vector<std::string> ids;
  if (doc.is_discarded() || !doc.contains("anchors") || !doc["anchors"].contains("anchors")) {
    return ids;
  }
  for (const auto& a : doc["anchors"]["anchors"]) {
    ids.push_back(a.value("id", ""));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

// The agent's sync mirrors (one state file per scope), concatenated.
std::string mirrorText(const Server& s) {
  std::string text;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(s.stateDir(), ec)) {
    if (f.path().filename().string().rfind("scope-", 0) == 0) {
      text += fileText(f.path().string());
    }
  }
  return text;
}

class AgentFaultTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    signal(SIGPIPE, SIG_IGN);  // a killed provider must not take the test binary with it
    auto net = resolvertest::TestNetwork::create();
    ASSERT_TRUE(net) << net.error().toString();
    net_ = std::move(*net);
    auto port = testsupport::reserveFreePort("127.0.0.1", kFirstMetricsPort, kLastMetricsPort);
    ASSERT_TRUE(port) << port.error().toString();
    metrics_port_.emplace(std::move(*port));
    auto fleet = makeFleet(*net_);
    ASSERT_TRUE(fleet) << fleet.error().toString();
    servers_ = std::move(*fleet);
    // Agent 1 (reading provider 1) serves metrics: the provider test watches it reconnect.
    servers_[2]->metrics_port = metrics_port_->port();
    for (auto& s : servers_) {
      s->writeConfig(*net_);
      s->startAgent();
    }
  }

  static void TearDownTestSuite() {
    for (auto& s : servers_) {
      if (s->agent) {
        s->agent->stop();
      }
    }
    servers_.clear();
    publisher_.reset();
    metrics_port_.reset();
    net_.reset();
  }

  void TearDown() override {
    if (HasFailure()) {
      printAgentLogs(servers_);
    }
  }

  // Runs `op` on the publisher's session. On an error the session is opened again on the first
  // provider that answers (provider 1, then provider 2) and `op` is retried, three tries in all:
  // what a publisher does when its provider goes away.
  template <typename Op>
  static auto publish(Op op) -> decltype(op(std::declval<directory::Session&>())) {
    decltype(op(std::declval<directory::Session&>())) last =
        fail(ErrorCode::kUnavailable, "No provider answered");
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (!publisher_) {
        auto settings = topo().publisher(topo().var("PROVIDER1_URI"));
        settings.uris.push_back(topo().var("PROVIDER2_URI"));
        auto s = directory::Session::open(settings);
        if (!s) {
          last = fail(s.error());
          continue;
        }
        publisher_ = std::move(*s);
      }
      last = op(*publisher_);
      if (last) {
        return last;
      }
      publisher_.reset();
    }
    return last;
  }

  static directory::ScopeClient forest(directory::Session& s) {
    return directory::ScopeClient(s, directory::ScopeLayout(topo().var("FOREST_SUFFIX")));
  }

  static std::optional<directory::AgentStatus> statusOf(const Server& server) {
    auto statuses = publish([](directory::Session& s) { return forest(s).readAgentStatuses(); });
    if (!statuses) {
      return std::nullopt;
    }
    for (const auto& st : *statuses) {
      if (st.server == server.name) {
        return st;
      }
    }
    return std::nullopt;
  }

  // What an agent whose replica holds `suffixes` should apply, from what the server at `uri`
  // holds; nullopt when it cannot be read.
  static std::optional<agent::Decision> expectedSet(const std::string& uri,
                                                    const std::vector<std::string>& suffixes) {
    auto session = directory::Session::open(topo().publisher(uri));
    if (!session) {
      return std::nullopt;
    }
    std::vector<agent::ScopeInput> inputs;
    for (const auto& suffix : suffixes) {
      auto content = directory::ScopeClient(**session, directory::ScopeLayout(suffix)).read();
      if (!content) {
        return std::nullopt;
      }
      inputs.push_back({suffix, std::move(*content)});
    }
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    return agent::decide(inputs, std::nullopt, {}, now);
  }

  // The digest of expectedSet(); empty when it cannot be read.
  static std::string expectedDigest(const std::string& uri,
                                    const std::vector<std::string>& suffixes) {
    const auto set = expectedSet(uri, suffixes);
    return set ? set->digest : std::string();
  }

  // The number of anchors of expectedSet(); -1 when it cannot be read.
  static double expectedAnchors(const Server& s) {
    const auto set = expectedSet(topo().var("PROVIDER2_URI"), scopesOf(s));
    return set ? static_cast<double>(set->anchors.size()) : -1;
  }

  static std::vector<std::string> scopesOf(const Server& s) {
    if (s.read_uri == topo().var("CONSUMER1_URI")) {
      return {topo().var("FOREST_SUFFIX")};
    }
    return {topo().var("FOREST_SUFFIX"), topo().var("DOMAIN_SUFFIX")};
  }

  // Publishes the corp.example. DS (again) and waits until every resolver validates with it.
  static void publishBaseline() {
    ASSERT_TRUE(
        publish([](directory::Session& s) { return forest(s).publishAnchor(net_->corp().ds); }));
    for (const auto& s : servers_) {
      ASSERT_TRUE(eventually([&] { return s->validates(net_->corp().probe); }, milliseconds(20000)))
          << s->name;
    }
  }

  static std::unique_ptr<resolvertest::TestNetwork> net_;
  static std::vector<std::unique_ptr<Server>> servers_;
  static std::unique_ptr<directory::Session> publisher_;
  static std::optional<testsupport::PortReservation> metrics_port_;
};

std::unique_ptr<resolvertest::TestNetwork> AgentFaultTest::net_;
std::vector<std::unique_ptr<Server>> AgentFaultTest::servers_;
std::unique_ptr<directory::Session> AgentFaultTest::publisher_;
std::optional<testsupport::PortReservation> AgentFaultTest::metrics_port_;

TEST_F(AgentFaultTest, MetricsEndpointReportsAppliesSyncQuarantineAndLag) {
  publishBaseline();
  const Server& s = *servers_[2];
  const uint16_t port = metrics_port_->port();
  const double anchors = expectedAnchors(s);
  ASSERT_GE(anchors, 1);
  std::optional<Scrape> m;
  ASSERT_TRUE(eventually(
      [&] {
        m = scrape(port);
        return m &&
               m->value("anchorage_agent_anchors_applied", {{"writer", "unbound"}}) == anchors &&
               m->value("anchorage_agent_sync_phase", {{"scope", "forestdnszones"}}) == 2 &&
               m->value("anchorage_agent_sync_phase", {{"scope", "domaindnszones"}}) == 2;
      },
      milliseconds(20000)))
      << (m ? m->text : "no scrape") << "\nexpected anchors " << anchors;

  // Every family of DESIGN §4.6 is declared with its type.
  EXPECT_TRUE(m->declares("anchorage_agent_anchors_applied", "gauge"));
  EXPECT_TRUE(m->declares("anchorage_agent_ntas_applied", "gauge"));
  EXPECT_TRUE(m->declares("anchorage_agent_quarantined_entries", "gauge"));
  EXPECT_TRUE(m->declares("anchorage_agent_sync_phase", "gauge"));
  EXPECT_TRUE(m->declares("anchorage_agent_sync_connects_total", "gauge"));
  EXPECT_TRUE(m->declares("anchorage_agent_applies_total", "counter"));
  EXPECT_TRUE(m->declares("anchorage_agent_apply_seconds", "histogram"));
  EXPECT_TRUE(m->declares("anchorage_agent_propagation_seconds", "histogram"));
  EXPECT_TRUE(m->declares("anchorage_agent_guard_held", "gauge"));

  EXPECT_EQ(m->value("anchorage_agent_ntas_applied", {{"writer", "unbound"}}), 0);
  EXPECT_EQ(m->value("anchorage_agent_quarantined_entries"), 0);
  EXPECT_EQ(m->value("anchorage_agent_guard_held"), 0);
  EXPECT_GE(m->value("anchorage_agent_sync_connects_total", {{"scope", "forestdnszones"}}), 1);
  EXPECT_GE(m->value("anchorage_agent_sync_connects_total", {{"scope", "domaindnszones"}}), 1);
  EXPECT_GE(m->value("anchorage_agent_applies_total", {{"writer", "unbound"}, {"outcome", "ok"}}),
            1);
  EXPECT_LT(
      m->value("anchorage_agent_applies_total", {{"writer", "unbound"}, {"outcome", "failed"}}, 0),
      1);
  // The apply histogram: observations, a positive sum, cumulative buckets ending at the count.
  const double applies = m->value("anchorage_agent_apply_seconds_count");
  EXPECT_GE(applies, 1);
  EXPECT_GT(m->value("anchorage_agent_apply_seconds_sum"), 0);
  EXPECT_LT(m->value("anchorage_agent_apply_seconds_sum"), applies * 10);
  EXPECT_EQ(m->value("anchorage_agent_apply_seconds_bucket", {{"le", "+Inf"}}), applies);
  double previous = 0;
  for (const auto& sample : m->samples) {
    if (sample.name == "anchorage_agent_apply_seconds_bucket") {
      EXPECT_GE(sample.value, previous) << "le=" << sample.labels.at("le");
      previous = sample.value;
    }
  }

  // A malformed entry moves the quarantine gauge, and its removal moves it back.
  const directory::ScopeLayout layout(topo().var("FOREST_SUFFIX"));
  directory::Entry bad = directory::entryForAnchor(layout, net_->corp().wrong_ds);
  bad.attributes["anchorageKeyTag"] = {"1"};
  ASSERT_TRUE(publish([&](directory::Session& session) { return session.add(bad); }));
  EXPECT_TRUE(eventually(
      [&] {
        m = scrape(port);
        return m && m->value("anchorage_agent_quarantined_entries") == 1;
      },
      milliseconds(20000)));
  ASSERT_TRUE(publish([&](directory::Session& session) { return session.remove(bad.dn); }));
  EXPECT_TRUE(eventually(
      [&] {
        m = scrape(port);
        return m && m->value("anchorage_agent_quarantined_entries") == 0;
      },
      milliseconds(20000)));

  // A new anchor: one more apply, one propagation observation, and the lag is what a publish a
  // moment ago takes (GeneralizedTime has whole seconds, hence the slack).
  m = scrape(port);
  ASSERT_TRUE(m);
  const double ok_before =
      m->value("anchorage_agent_applies_total", {{"writer", "unbound"}, {"outcome", "ok"}});
  const double lag_count = m->value("anchorage_agent_propagation_seconds_count");
  const double lag_sum = m->value("anchorage_agent_propagation_seconds_sum");
  ASSERT_TRUE(publish([](directory::Session& session) {
    return forest(session).publishAnchor(net_->corp().dnskey);
  }));
  EXPECT_TRUE(eventually(
      [&] {
        m = scrape(port);
        return m &&
               m->value("anchorage_agent_anchors_applied", {{"writer", "unbound"}}) ==
                   anchors + 1 &&
               m->value("anchorage_agent_propagation_seconds_count") > lag_count;
      },
      milliseconds(20000)))
      << (m ? m->text : "no scrape");
  EXPECT_GT(m->value("anchorage_agent_applies_total", {{"writer", "unbound"}, {"outcome", "ok"}}),
            ok_before);
  const double new_lag = m->value("anchorage_agent_propagation_seconds_sum") - lag_sum;
  EXPECT_GE(new_lag, 0);
  EXPECT_LT(new_lag, 5.0);
  // No observation of this run is the age of an old entry (the first apply sets a baseline).
  EXPECT_EQ(m->value("anchorage_agent_propagation_seconds_bucket", {{"le", "5"}}),
            m->value("anchorage_agent_propagation_seconds_count"));
  EXPECT_TRUE(s.validates(net_->corp().probe));
}

TEST_F(AgentFaultTest, NotifiesSystemdReadyStatusWatchdogAndStopping) {
  publishBaseline();
  Server& s = *servers_[1];
  s.agent->stop();
  // A fresh state directory, so that READY can only follow a sync from the directory.
  std::filesystem::remove_all(s.stateDir());
  NotifyListener systemd(s.dir + "/notify.sock");
  ASSERT_TRUE(systemd.bound());
  const auto log_before = s.agentLog().size();
  const std::string anchors = std::to_string(static_cast<int>(expectedAnchors(s)));
  s.startAgent({"NOTIFY_SOCKET=" + systemd.path(), "WATCHDOG_USEC=2000000"});

  const auto ready = systemd.waitFor("READY=1", milliseconds(20000));
  ASSERT_TRUE(ready) << "no READY=1";
  const std::string log = s.agentLog().substr(log_before);
  EXPECT_NE(log.find("Scopes discovered"), std::string::npos);
  EXPECT_NE(log.find("Trust anchor set applied"), std::string::npos);
  // The STATUS of that first apply precedes READY.
  const auto first_status = systemd.waitFor("STATUS=", milliseconds(0));
  ASSERT_TRUE(first_status);
  EXPECT_LT(*first_status, *ready);
  EXPECT_EQ(systemd.lines()[*first_status].text, "STATUS=applied " + anchors + " anchors, 0 NTAs");
  EXPECT_TRUE(s.validates(net_->corp().probe));

  // An NTA and its removal each bring a STATUS line.
  const auto lab = model::DomainName::parse("lab." + net_->corp().name.text()).value();
  const model::NegativeTrustAnchor nta{
      lab,
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) +
          std::chrono::hours(1),
      "notify test", ""};
  ASSERT_TRUE(publish([&](directory::Session& session) { return forest(session).putNta(nta); }));
  const auto with_nta =
      systemd.waitFor("STATUS=applied " + anchors + " anchors, 1 NTAs", milliseconds(20000));
  EXPECT_TRUE(with_nta);
  ASSERT_TRUE(publish([&](directory::Session& session) { return forest(session).deleteNta(lab); }));
  EXPECT_TRUE(systemd.waitFor("STATUS=applied " + anchors + " anchors, 0 NTAs", milliseconds(20000),
                              with_nta.value_or(0) + 1));

  // WATCHDOG=1 at half the watchdog interval: never a gap the service manager would punish.
  // Only beats received while the test does nothing else are timed; the first of them may have
  // waited in the socket.
  const size_t window = systemd.lines().size();
  systemd.collect(milliseconds(5500));
  std::vector<steady_clock::time_point> beats;
  for (size_t i = window; i < systemd.lines().size(); ++i) {
    if (systemd.lines()[i].text == "WATCHDOG=1") {
      beats.push_back(systemd.lines()[i].at);
    }
  }
  ASSERT_GE(beats.size(), 4u);
  for (size_t i = 2; i < beats.size(); ++i) {
    const auto gap = std::chrono::duration_cast<milliseconds>(beats[i] - beats[i - 1]);
    EXPECT_GE(gap.count(), 800) << "beat " << i;
    EXPECT_LT(gap.count(), 2000) << "beat " << i;
  }

  ASSERT_TRUE(s.agent->signal(SIGTERM));
  EXPECT_TRUE(systemd.waitFor("STOPPING=1", milliseconds(10000)));
  auto exited = s.agent->wait(milliseconds(10000));
  ASSERT_TRUE(exited) << exited.error().toString();
  EXPECT_TRUE(exited->success()) << "exit code " << exited->code;
  s.startAgent();
}

TEST_F(AgentFaultTest, FailedResolverReloadKeepsTheFileReportsAndConvergesOnceFixed) {
  publishBaseline();
  Server& s = *servers_[2];
  ASSERT_TRUE(s.answersInsecure(net_->rsa().probe));
  const std::string old_file = fileText(s.anchorFile());
  ASSERT_FALSE(old_file.empty());
  const auto old_ids = appliedIds(s);
  ASSERT_FALSE(old_ids.empty());

  // Unbound's control tool now fails: every reload fails.
  s.control_command = std::vector<std::string>{"/bin/false"};
  s.writeConfig(*net_);
  const auto reloads = countOf(s.agentLog(), "Configuration reloaded");
  ASSERT_TRUE(s.agent->signal(SIGHUP));
  ASSERT_TRUE(eventually([&] { return countOf(s.agentLog(), "Configuration reloaded") > reloads; },
                         milliseconds(5000)));
  const auto failures = countOf(s.agentLog(), "Trust anchor set not applied");
  ASSERT_TRUE(publish(
      [](directory::Session& session) { return forest(session).publishAnchor(net_->rsa().ds); }));

  // The status entry shows the failed reload.
  std::optional<directory::AgentStatus> status;
  EXPECT_TRUE(eventually(
      [&] {
        status = statusOf(s);
        return status && status->resolver_results.size() == 1 &&
               status->resolver_results[0].rfind("unbound failed reload", 0) == 0 &&
               !status->last_error.empty();
      },
      milliseconds(20000)))
      << (status && !status->resolver_results.empty() ? status->resolver_results[0] : "none");
  // The agent keeps trying (backoff from one second).
  EXPECT_TRUE(eventually(
      [&] { return countOf(s.agentLog(), "Trust anchor set not applied") >= failures + 2; },
      milliseconds(10000)));
  auto m = scrape(metrics_port_->port());
  ASSERT_TRUE(m);
  EXPECT_GE(
      m->value("anchorage_agent_applies_total", {{"writer", "unbound"}, {"outcome", "failed"}}, 0),
      2);

  // The resolver's file is the old one, whole, and the resolver still works as before.
  EXPECT_EQ(fileText(s.anchorFile()), old_file);
  EXPECT_TRUE(s.resolverFilesParse());
  EXPECT_TRUE(s.validates(net_->corp().probe));
  EXPECT_TRUE(s.answersInsecure(net_->rsa().probe));
  // Nothing is lost from the agent's state: the applied set is the old one, and the new anchor
  // waits in the sync mirror.
  EXPECT_EQ(appliedIds(s), old_ids);
  EXPECT_TRUE(
      eventually([&] { return mirrorText(s).find(net_->rsa().ds.id()) != std::string::npos; },
                 milliseconds(5000)));

  // The operator fixes the control command: the agent applies and verifies.
  s.control_command.reset();
  s.writeConfig(*net_);
  ASSERT_TRUE(s.agent->signal(SIGHUP));
  EXPECT_TRUE(eventually([&] { return s.validates(net_->rsa().probe); }, milliseconds(20000)));
  EXPECT_TRUE(eventually(
      [&] {
        status = statusOf(s);
        return status && status->resolver_results == std::vector<std::string>{"unbound ok"} &&
               status->last_error.empty() &&
               status->applied_digest == expectedDigest(s.read_uri, scopesOf(s));
      },
      milliseconds(20000)));
  EXPECT_NE(fileText(s.anchorFile()).find(net_->rsa().ds.record.rdataText()), std::string::npos);
  auto ids = appliedIds(s);
  EXPECT_TRUE(std::includes(ids.begin(), ids.end(), old_ids.begin(), old_ids.end()));
  EXPECT_TRUE(std::binary_search(ids.begin(), ids.end(), net_->rsa().ds.id()));
  EXPECT_TRUE(s.agent->running());
}

TEST_F(AgentFaultTest, KillDashNineOfProvider1DuringABatchFailsOverAndConverges) {
  publishBaseline();
  Server& p1_reader = *servers_[2];
  const uint16_t port = metrics_port_->port();
  auto m = scrape(port);
  ASSERT_TRUE(m);
  const double connects_before =
      m->value("anchorage_agent_sync_connects_total", {{"scope", "forestdnszones"}});
  ASSERT_GE(connects_before, 1);

  std::vector<model::TrustAnchor> batch;
  for (int i = 0; i < kBatchSize; ++i) {
    batch.push_back(batchAnchor(i));
  }
  for (int i = 0; i < kBatchSize; ++i) {
    if (i == kKillAfter) {
      const int p1 = topo().pid("provider1");
      ASSERT_GT(p1, 0);
      ASSERT_EQ(::kill(p1, SIGKILL), 0);
    }
    auto r = publish(
        [&](directory::Session& session) { return forest(session).publishAnchor(batch[i]); });
    ASSERT_TRUE(r) << "anchor " << i << ": " << r.error().toString();
  }
  // The publisher went on with provider 2.
  ASSERT_TRUE(publisher_);
  EXPECT_EQ(publisher_->uri(), topo().var("PROVIDER2_URI"));
  // It cannot know which of the last writes provider 1 acknowledged had reached provider 2 before
  // the kill (syncrepl is asynchronous), and one that had not may never get there: once provider 1
  // is back and takes a newer write, provider 2's cookie passes it by. So it publishes the batch
  // again where it failed over to; publishing is idempotent.
  for (const auto& a : batch) {
    auto r = publish([&](directory::Session& session) { return forest(session).publishAnchor(a); });
    ASSERT_TRUE(r) << a.id() << ": " << r.error().toString();
  }

  // While provider 1 is down, the agents on provider 2 and on the consumer apply what was
  // published after the kill; the agent on provider 1 shows its scope disconnected.
  const auto has_tail = [&](const Server& s) {
    const std::string text = fileText(s.anchorFile());
    for (int i = kKillAfter; i < kBatchSize; ++i) {
      if (text.find(batch[i].record.rdataText()) == std::string::npos) {
        return false;
      }
    }
    return true;
  };
  EXPECT_TRUE(eventually([&] { return has_tail(*servers_[0]); }, milliseconds(20000)));
  EXPECT_TRUE(eventually([&] { return has_tail(*servers_[1]); }, milliseconds(20000)));
  EXPECT_TRUE(eventually(
      [&] {
        m = scrape(port);
        return m && m->value("anchorage_agent_sync_phase", {{"scope", "forestdnszones"}}) == 0;
      },
      milliseconds(10000)));

  ASSERT_TRUE(topo().startInstance("provider1"));

  // The providers agree again, on a set holding the whole batch.
  std::string held;
  ASSERT_TRUE(eventually(
      [&] {
        held = expectedDigest(topo().var("PROVIDER2_URI"), scopesOf(*servers_[0]));
        return !held.empty() &&
               held == expectedDigest(topo().var("PROVIDER1_URI"), scopesOf(*servers_[0]));
      },
      milliseconds(30000)));
  auto content = publish([&](directory::Session& session) { return forest(session).read(); });
  ASSERT_TRUE(content);
  size_t batch_held = 0;
  for (const auto& a : content->anchors) {
    batch_held += a.record.owner == batch[0].record.owner ? 1 : 0;
  }
  EXPECT_EQ(batch_held, static_cast<size_t>(kBatchSize));

  // Every agent converges on exactly that set: its status digest is the providers' digest, its
  // resolver file holds the whole batch and parses, and it still validates.
  for (const auto& s : servers_) {
    const std::string expected = expectedDigest(topo().var("PROVIDER2_URI"), scopesOf(*s));
    std::optional<directory::AgentStatus> status;
    EXPECT_TRUE(eventually(
        [&] {
          status = statusOf(*s);
          return status && status->applied_digest == expected &&
                 status->resolver_results == std::vector<std::string>{"unbound ok"};
        },
        milliseconds(30000)))
        << s->name << " reports " << (status ? status->applied_digest : "nothing")
        << ", providers hold " << expected;
    const std::string text = fileText(s->anchorFile());
    for (const auto& a : batch) {
      EXPECT_NE(text.find(a.record.rdataText()), std::string::npos) << s->name << " " << a.id();
    }
    EXPECT_TRUE(s->resolverFilesParse()) << s->name;
    EXPECT_TRUE(s->validates(net_->corp().probe)) << s->name;
  }
  // Agent 1 reconnected to provider 1.
  m = scrape(port);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->value("anchorage_agent_sync_phase", {{"scope", "forestdnszones"}}), 2);
  EXPECT_GT(m->value("anchorage_agent_sync_connects_total", {{"scope", "forestdnszones"}}),
            connects_before);
  EXPECT_TRUE(p1_reader.agent->running());
}

}  // namespace
}  // namespace anchorage::agenttest

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new anchorage::testing::TopologyEnvironment(14410));
  return RUN_ALL_TESTS();
}
