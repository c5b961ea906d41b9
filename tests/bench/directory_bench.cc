// SPDX-License-Identifier: Apache-2.0
//
// Directory benchmark: a real topology (deploy/topology.sh: provider1, provider2, forest-only
// consumer1 on 127.0.0.1, base port 14300) measured with Anchorage's RFC 4533 client (ScopeSync)
// and, beside it, a plain libldap ldap_sync_* client (raw_sync_client.cc). Prints figures; it is
// not a timed test and exits non-zero only when a step could not be carried out.
//
//   1. Publish -> sync event latency: the publisher replaces the description of one anchor on
//      provider1 every 20 ms, writing its CLOCK_REALTIME send time into the value; ScopeSync
//      clients on provider2 and consumer1 and raw clients on both compute their own latency.
//   2. Full initial sync of 10,000 and 100,000 anchors (two per trust point), loaded offline with
//      slapadd -q into all three servers with the same entryUUID and entryCSN values, then a
//      fresh ScopeSync (no cookie) on provider2 in a child process until everRefreshed(), with
//      its VmRSS; beside it the raw client as the same agent, over ldapi without TLS, and as
//      rootdn (no access rules), with provider2's CPU time for each, to show the server's share.
//   3. Resume from the cookie saved in step 2 after 100 anchors changed state on provider1, as
//      the agent and as rootdn.
//
// Receive times: a ScopeSync client is woken by poll(2) on its connection's socket (found in
// /proc/self/fd by peer port) and then drained with ScopeSync::poll(0), so the figure is not
// rounded up to a poll slice; if the socket cannot be found it falls back to 1 ms slices and says
// so. The raw client takes its time in the entry callback.

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "directory/mapping.h"
#include "directory/operations.h"
#include "directory/session.h"
#include "directory/sync.h"
#include "model/anchor.h"
#include "topology_env.h"
#include "util/encoding.h"
#include "util/log.h"

extern char** environ;

namespace anchorage::bench {
namespace {

using directory::Entry;
using directory::ScopeClient;
using directory::ScopeLayout;
using directory::ScopeSync;
using directory::SessionSettings;
using directory::SyncChanges;
using directory::SyncSettings;
using directory::SyncState;
using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::TopologyEnvironment;

constexpr int kBasePort = 14300;
constexpr int kWarmupChanges = 20;
constexpr int kMeasuredChanges = 500;
constexpr milliseconds kPublishInterval{20};
constexpr size_t kSmallLoad = 10000;
constexpr size_t kLargeLoad = 100000;
constexpr size_t kAnchorsPerTrustPoint = 2;
constexpr size_t kResumeChanges = 100;
constexpr int kChildTimeoutS = 300;
constexpr const char* kBenchPrefix = "anchorage-bench";

double msSince(steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(steady_clock::now() - start).count();
}

int64_t realtimeUs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// A "Vm...:" field of /proc/<pid>/status in KiB, or -1.
long statusKib(const std::string& pid, const std::string& field) {
  std::ifstream in("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return -1;
}

// CPU time (user + system) of process `pid` in ms, from /proc/<pid>/stat; -1 when unreadable.
double processCpuMs(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(in, text);
  const auto close = text.rfind(')');
  if (close == std::string::npos) {
    return -1;
  }
  // Fields after the command name start at field 3 (state); utime and stime are fields 14, 15.
  std::istringstream fields(text.substr(close + 2));
  std::string skip;
  for (int field = 3; field < 14; ++field) {
    fields >> skip;
  }
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

util::Logger quietLogger() {
  static auto sink =
      std::make_shared<util::LogSink>(std::cerr, util::LogFormat::kLogfmt, util::Level::kWarning);
  return util::Logger(sink, "bench");
}

// A DS anchor under `owner` whose digest derives from `seed`: each seed is a distinct anchor.
model::TrustAnchor benchAnchor(const std::string& owner, uint64_t seed) {
  model::TrustAnchor a;
  a.record.owner = model::DomainName::parse(owner).value();
  const std::string s = "bench-" + std::to_string(seed);
  a.record.rdata = model::DsRdata{static_cast<uint16_t>(seed % 65536), 13, 2,
                                  util::digest("sha256", {s.begin(), s.end()})};
  a.origin = model::Origin::kManual;
  return a;
}

// Bulk anchor `i`: kAnchorsPerTrustPoint anchors share each trust point.
model::TrustAnchor bulkAnchor(size_t i) {
  return benchAnchor("tp" + std::to_string(i / kAnchorsPerTrustPoint) + ".bulk.example.",
                     1000000 + i);
}

SyncSettings syncSettings(const std::string& base) {
  SyncSettings s;
  s.base = base;
  s.reconnect_min = milliseconds(100);
  s.reconnect_max = milliseconds(1000);
  return s;
}

int uriPort(const std::string& uri) {
  const auto colon = uri.rfind(':');
  return colon == std::string::npos ? 0 : std::atoi(uri.c_str() + colon + 1);
}

// Every open socket of this process with an IPv4 peer, as fd -> peer port.
std::map<int, int> socketPeerPorts() {
  std::map<int, int> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    const int fd = std::atoi(entry.path().filename().c_str());
    sockaddr_in peer{};
    socklen_t len = sizeof(peer);
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0 &&
        peer.sin_family == AF_INET) {
      out[fd] = ntohs(peer.sin_port);
    }
  }
  return out;
}

// The one socket to `port` that is not in `before`, or -1 when there is none or several.
int newSocketTo(int port, const std::map<int, int>& before) {
  int found = -1;
  for (const auto& [fd, peer_port] : socketPeerPorts()) {
    if (peer_port == port && before.count(fd) == 0) {
      if (found >= 0) {
        return -1;
      }
      found = fd;
    }
  }
  return found;
}

// Waits for a ScopeSync's connection to become readable, then lets ScopeSync handle everything
// that arrived. ScopeSync::poll(wait) returns only when `wait` has passed, so waking on the socket
// is what keeps the receive time exact.
class SyncWaiter {
 public:
  explicit SyncWaiter(ScopeSync& sync) : sync_(sync) {}

  /// Finds the sync connection: the one socket to `port` opened since `before` was taken.
  void attach(int port, const std::map<int, int>& before) {
    fd_ = newSocketTo(port, before);
    connects_ = sync_.status().connects;
  }

  /// True while waking on the socket (found, and still the same connection).
  bool precise() const {
    return fd_ >= 0 && sync_.status().connects == connects_ &&
           sync_.status().phase != directory::SyncPhase::kDisconnected;
  }

  /// Waits up to `limit` for data (1 ms slices when not precise), then drains.
  SyncChanges wait(milliseconds limit) {
    SyncChanges total;
    if (precise()) {
      pollfd p{fd_, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(limit.count()));
    } else {
      add(total, sync_.poll(milliseconds(1)));
    }
    // poll(0) handles at most one message per call; stop when nothing is left.
    for (;;) {
      const SyncChanges c = sync_.poll(milliseconds(0));
      add(total, c);
      if (c.received == 0) {
        break;
      }
    }
    return total;
  }

 private:
  static void add(SyncChanges& total, const SyncChanges& c) {
    total.upserted += c.upserted;
    total.deleted += c.deleted;
    total.received += c.received;
    total.refresh_done = total.refresh_done || c.refresh_done;
  }

  ScopeSync& sync_;
  int fd_ = -1;
  uint64_t connects_ = 0;
};

// Connects `sync` and runs it until its first refresh is done and `ready` holds, waking on its
// socket afterwards. Returns false on timeout.
template <typename Ready>
bool refreshAndAttach(ScopeSync& sync, SyncWaiter& waiter, int port, Ready ready,
                      milliseconds limit) {
  const auto before = socketPeerPorts();
  sync.poll(milliseconds(0));
  waiter.attach(port, before);
  const auto deadline = steady_clock::now() + limit;
  while (steady_clock::now() < deadline) {
    waiter.wait(milliseconds(50));
    if (sync.everRefreshed() && ready()) {
      return true;
    }
  }
  return false;
}

// "key=value key=value" -> map (values end at the next blank).
std::map<std::string, std::string> parseFields(const std::string& line) {
  std::map<std::string, std::string> out;
  std::istringstream in(line);
  std::string token;
  while (in >> token) {
    const auto eq = token.find('=');
    if (eq != std::string::npos) {
      out[token.substr(0, eq)] = token.substr(eq + 1);
    }
  }
  return out;
}

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The description the publisher writes, and its inverse.
std::string benchDescription(int seq, int64_t sent_us) {
  return std::string(kBenchPrefix) + " seq=" + std::to_string(seq) +
         " sent_us=" + std::to_string(sent_us);
}

std::optional<std::pair<int, int64_t>> parseDescription(const std::string& text) {
  if (text.rfind(kBenchPrefix, 0) != 0) {
    return std::nullopt;
  }
  const auto fields = parseFields(text);
  const auto seq = fields.find("seq");
  const auto sent = fields.find("sent_us");
  if (seq == fields.end() || sent == fields.end()) {
    return std::nullopt;
  }
  return std::make_pair(std::atoi(seq->second.c_str()),
                        static_cast<int64_t>(std::atoll(sent->second.c_str())));
}

// One receiver's latency samples, by sequence number.
struct Samples {
  std::map<int, double> latency_ms;  ///< seq -> latency; the first arrival of each seq counts.
  std::string wake;                  ///< How the receiver waited for data.

  void add(int seq, double ms) { latency_ms.emplace(seq, ms); }
};

struct Summary {
  size_t n = 0;
  size_t missed = 0;
  double p50 = 0;
  double p99 = 0;
  double max = 0;
};

// Nearest-rank percentiles over the measured (post warm-up) sequence numbers.
Summary summarize(const Samples& s) {
  std::vector<double> v;
  for (const auto& [seq, ms] : s.latency_ms) {
    if (seq >= kWarmupChanges && seq < kWarmupChanges + kMeasuredChanges) {
      v.push_back(ms);
    }
  }
  Summary out;
  out.n = v.size();
  out.missed = static_cast<size_t>(kMeasuredChanges) - v.size();
  if (v.empty()) {
    return out;
  }
  std::sort(v.begin(), v.end());
  const auto rank = [&](double p) {
    const size_t k = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    return v[std::max<size_t>(k, 1) - 1];
  };
  out.p50 = rank(50);
  out.p99 = rank(99);
  out.max = v.back();
  return out;
}

std::string formatSummary(const Summary& s) {
  char buf[128];
  std::snprintf(buf, sizeof(buf), "%6.2f / %6.2f / %7.2f  (n=%zu, missed %zu)", s.p50, s.p99, s.max,
                s.n, s.missed);
  return buf;
}

// RFC 2849 SAFE-STRING: printable ASCII, no leading space, colon or '<', no trailing space.
bool isSafeString(const std::string& v) {
  if (v.empty()) {
    return true;
  }
  if (v.front() == ' ' || v.front() == ':' || v.front() == '<' || v.back() == ' ') {
    return false;
  }
  return std::all_of(v.begin(), v.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u != 0 && u != '\n' && u != '\r' && u < 0x80;
  });
}

void writeLdifLine(std::ostream& out, const std::string& attribute, const std::string& value) {
  if (isSafeString(value)) {
    out << attribute << ": " << value << '\n';
  } else {
    out << attribute << ":: " << util::encodeBase64({value.begin(), value.end()}) << '\n';
  }
}

// Deterministic entryUUID for bulk entry `n` (splitmix64, version 4 bits set).
std::string bulkUuid(uint64_t n) {
  auto mix = [](uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  };
  const uint64_t hi = (mix(2 * n) & ~uint64_t{0xf000}) | uint64_t{0x4000};
  const uint64_t lo = (mix(2 * n + 1) >> 2) | (uint64_t{1} << 63);
  const uint64_t parts[] = {hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
                            lo & ((uint64_t{1} << 48) - 1)};
  char buf[40];
  std::snprintf(buf, sizeof(buf),
                "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64, parts[0],
                parts[1], parts[2], parts[3], parts[4]);
  return buf;
}

// A provider-1 CSN at `t` (OpenLDAP's entryCSN format: time, change count, server id, mod).
std::string csnAt(std::chrono::system_clock::time_point t) {
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s.%06ldZ#000000#001#000000", stamp,
                static_cast<long>(us % 1000000));
  return buf;
}

// How a step-2/3 client reaches provider2.
struct Access {
  const char* label;
  const char* uri_var;  ///< topology.env variable of the URI
  bool external;        ///< SASL EXTERNAL as root (the rootdn) instead of an agent's simple bind
};
constexpr Access kAgentTls{"agent, StartTLS", "PROVIDER2_URI", false};
constexpr Access kAgentLdapi{"agent, ldapi, no TLS", "PROVIDER2_LDAPI_URI", false};
constexpr Access kRootLdapi{"rootdn, ldapi, no ACLs", "PROVIDER2_LDAPI_URI", true};

// Labelled rows of cells, one cell per column, printed aligned.
class Table {
 public:
  /// Appends a cell to row `row`, creating the row at the end when new.
  void add(const std::string& row, const std::string& cell) {
    for (auto& [label, cells] : rows_) {
      if (label == row) {
        cells.push_back(cell);
        return;
      }
    }
    rows_.push_back({row, {cell}});
  }

  /// Prints the column headers, then every row.
  void print(const std::vector<std::string>& columns) const {
    std::printf("  %-38s", "");
    for (const auto& c : columns) {
      std::printf(" %24s", c.c_str());
    }
    std::printf("\n");
    for (const auto& [label, cells] : rows_) {
      std::printf("  %-38s", label.c_str());
      for (const auto& c : cells) {
        std::printf(" %24s", c.c_str());
      }
      std::printf("\n");
    }
  }

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>> rows_;
};

/// Runs the three steps on a topology and prints the figures and a summary table.
class DirectoryBench {
 public:
  DirectoryBench(TopologyEnvironment& topo, std::string raw_client)
      : topo_(topo), raw_client_(std::move(raw_client)), layout_(topo.var("FOREST_SUFFIX")) {}

  ~DirectoryBench() {
    for (const pid_t pid : children_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }

  DirectoryBench(const DirectoryBench&) = delete;
  DirectoryBench& operator=(const DirectoryBench&) = delete;

  /// All three steps in order; false when one could not be carried out.
  bool run() {
    if (!measureLatency()) {
      return false;
    }
    size_t loaded = 0;
    size_t round = 0;
    for (const size_t target : {kSmallLoad, kLargeLoad}) {
      if (!bulkLoad(loaded, target)) {
        return false;
      }
      loaded = target;
      if (!measureRefresh(loaded) || !changeAnchors(round) || !measureResume(loaded, round)) {
        return false;
      }
      ++round;
    }
    printTable();
    return true;
  }

 private:
  struct Child {
    pid_t pid = -1;
    std::string out;
    std::string err;
  };

  std::string uri(const std::string& instance) const { return topo_.var(instance + "_URI"); }
  std::string script() const { return std::string(ANCHORAGE_SOURCE_DIR) + "/deploy/topology.sh"; }
  std::string state() const { return topo_.dir() + "/topo"; }

  // Starts `argv` with stdout and stderr in files under the topology's directory.
  std::optional<Child> spawn(const std::vector<std::string>& argv, const std::string& name) {
    Child child{-1, topo_.dir() + "/" + name + ".out", topo_.dir() + "/" + name + ".err"};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, child.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addopen(&actions, 2, child.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    std::vector<char*> args;
    for (const auto& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    const int rc = posix_spawn(&child.pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      std::fprintf(stderr, "cannot start %s: %s\n", argv[0].c_str(), std::strerror(rc));
      return std::nullopt;
    }
    children_.push_back(child.pid);
    return child;
  }

  // Waits for `pid` up to `limit` (then SIGKILL); returns its exit status, or -1.
  int waitChild(pid_t pid, std::chrono::seconds limit) {
    const auto deadline = steady_clock::now() + limit;
    int status = 0;
    pid_t done = 0;
    while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 && steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    if (done == 0) {
      std::fprintf(stderr, "child %d did not finish in time; killing it\n", pid);
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      status = -1;
    }
    children_.erase(std::remove(children_.begin(), children_.end(), pid), children_.end());
    return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // SIGTERM, then waitChild() with a short grace period.
  int stopChild(pid_t pid) {
    ::kill(pid, SIGTERM);
    return waitChild(pid, std::chrono::seconds(5));
  }

  // The arguments of a raw client on topology URI variable `uri_var` (e.g. "PROVIDER2_URI"),
  // bound as agent 1, or as root through SASL EXTERNAL when `external`.
  std::vector<std::string> rawArgs(const std::string& uri_var, bool external,
                                   const std::string& mode) const {
    return {raw_client_,
            "--uri",
            topo_.var(uri_var),
            "--bind",
            external ? "external" : "simple",
            "--bind-dn",
            topo_.var("AGENT1_DN"),
            "--password-file",
            topo_.var("AGENT1_PASSWORD_FILE"),
            "--ca-file",
            topo_.var("CA_CERT"),
            "--base",
            layout_.root(),
            "--mode",
            mode};
  }

  // Waits until a persist-mode raw client printed "ready".
  bool waitRawReady(const Child& c) {
    const auto deadline = steady_clock::now() + std::chrono::seconds(30);
    while (steady_clock::now() < deadline) {
      if (readText(c.out).rfind("ready ", 0) == 0) {
        return true;
      }
      if (::waitpid(c.pid, nullptr, WNOHANG) == c.pid) {
        children_.erase(std::remove(children_.begin(), children_.end(), c.pid), children_.end());
        break;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    std::fprintf(stderr, "raw client did not get ready: %s\n", readText(c.err).c_str());
    return false;
  }

  static Samples rawSamples(const Child& c) {
    Samples s;
    s.wake = "callback";
    std::istringstream in(readText(c.out));
    std::string line;
    while (std::getline(in, line)) {
      const auto at = line.find(" description=");
      if (line.rfind("event ", 0) != 0 || at == std::string::npos) {
        continue;
      }
      const auto recv_us = std::atoll(parseFields(line.substr(0, at))["recv_us"].c_str());
      if (auto d = parseDescription(line.substr(at + 13))) {
        s.add(d->first, static_cast<double>(recv_us - d->second) / 1000.0);
      }
    }
    return s;
  }

  // One ScopeSync subscriber of step 1 and what it measured.
  struct Receiver {
    Receiver(const SessionSettings& session, const std::string& base)
        : sync(session, syncSettings(base), {}, quietLogger()), waiter(sync) {}

    ScopeSync sync;
    SyncWaiter waiter;
    std::string uuid;  ///< entryUUID of the latency anchor
    Samples samples;
    std::atomic<int> last_seq{-1};
  };

  // A ScopeSync on `instance` as agent `agent`, refreshed, holding the entry `dn`; null on timeout.
  std::unique_ptr<Receiver> subscribe(const std::string& instance, int agent,
                                      const std::string& dn) {
    auto r = std::make_unique<Receiver>(topo_.agent(agent, uri(instance)), layout_.root());
    const auto holds = [&r, &dn] {
      for (const auto& [id, e] : r->sync.state().entries) {
        if (util::toLower(e.dn) == util::toLower(dn)) {
          r->uuid = id;
          return true;
        }
      }
      return false;
    };
    if (!refreshAndAttach(r->sync, r->waiter, uriPort(uri(instance)), holds, milliseconds(30000))) {
      std::fprintf(stderr, "ScopeSync on %s did not see the latency anchor\n", instance.c_str());
      return nullptr;
    }
    r->samples.wake = r->waiter.precise() ? "socket" : "1ms-slices";
    return r;
  }

  // Receiver thread: records the latency of every new description value of the anchor.
  static void receive(Receiver& r, const std::atomic<bool>& stop) {
    std::string seen;
    while (!stop.load()) {
      const SyncChanges c = r.waiter.wait(milliseconds(50));
      const int64_t now = realtimeUs();
      const auto it = r.sync.state().entries.find(r.uuid);
      if (c.upserted == 0 || it == r.sync.state().entries.end()) {
        continue;
      }
      const auto text = it->second.first("description");
      if (!text || *text == seen) {
        continue;
      }
      seen = *text;
      if (auto d = parseDescription(*text)) {
        r.samples.add(d->first, static_cast<double>(now - d->second) / 1000.0);
        r.last_seq.store(d->first);
      }
    }
  }

  // The publisher of step 1: one description replace every kPublishInterval, each carrying its
  // send time. Returns the modify round trips; false in `ok` when a write failed.
  static Samples publishChanges(directory::Session& session, const std::string& dn, bool& ok) {
    Samples ack;
    ack.wake = "modify round trip";
    ok = true;
    const auto start = steady_clock::now();
    for (int seq = 0; seq < kWarmupChanges + kMeasuredChanges && ok; ++seq) {
      const auto t0 = steady_clock::now();
      const directory::Modification change{directory::Modification::Op::kReplace,
                                           "description",
                                           {benchDescription(seq, realtimeUs())}};
      auto r = session.modify(dn, {change});
      ack.add(seq, msSince(t0));
      if (!r) {
        std::fprintf(stderr, "modify %d: %s\n", seq, r.error().toString().c_str());
        ok = false;
      }
      std::this_thread::sleep_until(start + (seq + 1) * kPublishInterval);
    }
    return ack;
  }

  // Step 1.
  bool measureLatency() {
    std::printf(
        "[1] publish -> sync event latency: replace of one anchor's description on provider1, "
        "one change every %lld ms, %d warm-up + %d measured; ms p50 / p99 / max\n",
        static_cast<long long>(kPublishInterval.count()), kWarmupChanges, kMeasuredChanges);
    auto publisher = directory::Session::open(topo_.publisher(uri("PROVIDER1")));
    if (!publisher) {
      std::fprintf(stderr, "publisher: %s\n", publisher.error().toString().c_str());
      return false;
    }
    const auto anchor = benchAnchor("latency.bench.example.", 1);
    const std::string dn = layout_.anchor(anchor);
    if (auto r = ScopeClient(**publisher, layout_).publishAnchor(anchor); !r) {
      std::fprintf(stderr, "publish: %s\n", r.error().toString().c_str());
      return false;
    }
    auto on_p2 = subscribe("PROVIDER2", 2, dn);
    auto on_c1 = subscribe("CONSUMER1", 3, dn);
    auto raw_p2 = spawn(rawArgs("PROVIDER2_URI", false, "persist"), "raw-persist-p2");
    auto raw_c1 = spawn(rawArgs("CONSUMER1_URI", false, "persist"), "raw-persist-c1");
    if (!on_p2 || !on_c1 || !raw_p2 || !raw_c1 || !waitRawReady(*raw_p2) ||
        !waitRawReady(*raw_c1)) {
      return false;
    }

    std::atomic<bool> stop{false};
    std::thread t_p2(receive, std::ref(*on_p2), std::cref(stop));
    std::thread t_c1(receive, std::ref(*on_c1), std::cref(stop));
    bool writes_ok = false;
    const Samples ack = publishChanges(**publisher, dn, writes_ok);
    const int last = kWarmupChanges + kMeasuredChanges - 1;
    const auto tail_deadline = steady_clock::now() + std::chrono::seconds(10);
    while (steady_clock::now() < tail_deadline &&
           (on_p2->last_seq.load() < last || on_c1->last_seq.load() < last)) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    std::this_thread::sleep_for(milliseconds(300));  // the raw clients' last events
    stop.store(true);
    t_p2.join();
    t_c1.join();
    stopChild(raw_p2->pid);
    stopChild(raw_c1->pid);

    latency_rows_ = {{"writer ack (modify on provider1)", ack},
                     {"ScopeSync on provider2", on_p2->samples},
                     {"ScopeSync on consumer1", on_c1->samples},
                     {"libldap ldap_sync_* on provider2", rawSamples(*raw_p2)},
                     {"libldap ldap_sync_* on consumer1", rawSamples(*raw_c1)}};
    for (const auto& [label, samples] : latency_rows_) {
      std::printf("    %-34s %s  wake=%s\n", label.c_str(),
                  formatSummary(summarize(samples)).c_str(), samples.wake.c_str());
    }
    std::printf("    reconnects: ScopeSync provider2 %llu, consumer1 %llu\n",
                static_cast<unsigned long long>(on_p2->sync.status().connects - 1),
                static_cast<unsigned long long>(on_c1->sync.status().connects - 1));
    std::fflush(stdout);
    return writes_ok;
  }

  // Writes anchors [from, to) with their trust points as LDIF carrying entryUUID and entryCSN,
  // so that the same file loaded into every server gives identical replicas.
  bool writeBulkLdif(size_t from, size_t to, const std::string& path) {
    std::ofstream out(path);
    const auto now = std::chrono::system_clock::now();
    const std::string stamp =
        directory::formatGeneralizedTime(std::chrono::time_point_cast<std::chrono::seconds>(now));
    const std::string who = topo_.var("PUBLISHER_DN");
    int64_t offset_us = 0;
    const auto write = [&](const Entry& e, uint64_t n) {
      writeLdifLine(out, "dn", e.dn);
      for (const auto& [attribute, values] : e.attributes) {
        for (const auto& v : values) {
          writeLdifLine(out, attribute, v);
        }
      }
      writeLdifLine(out, "entryUUID", bulkUuid(n));
      // One microsecond apart, as separate writes would be: syncprov's resume search is a range
      // on entryCSN, and entries sharing one timestamp would all fall inside it.
      writeLdifLine(out, "entryCSN", csnAt(now + std::chrono::microseconds(offset_us++)));
      for (const char* a : {"creatorsName", "modifiersName"}) {
        writeLdifLine(out, a, who);
      }
      for (const char* a : {"createTimestamp", "modifyTimestamp"}) {
        writeLdifLine(out, a, stamp);
      }
      out << '\n';
    };
    for (size_t i = from; i < to; ++i) {
      const auto anchor = bulkAnchor(i);
      if (i % kAnchorsPerTrustPoint == 0) {
        write(directory::entryForTrustPoint(layout_, {anchor.record.owner}), 2 * i + 1);
      }
      write(directory::entryForAnchor(layout_, anchor), 2 * i);
    }
    out.close();
    return static_cast<bool>(out);
  }

  int shell(const std::string& command) {
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // Step 2, loading: anchors [from, to) into provider1, provider2 and consumer1 offline.
  bool bulkLoad(size_t from, size_t to) {
    std::printf("[2] loading anchors %zu..%zu with slapadd -q (topology stopped)\n", from, to - 1);
    const std::string ldif = topo_.dir() + "/bulk.ldif";
    auto t = steady_clock::now();
    if (!writeBulkLdif(from, to, ldif)) {
      std::fprintf(stderr, "cannot write %s\n", ldif.c_str());
      return false;
    }
    const double gen_ms = msSince(t);
    t = steady_clock::now();
    if (shell("bash " + script() + " stop " + state() + " >> " + topo_.dir() + "/stop.log 2>&1") !=
        0) {
      std::fprintf(stderr, "topology did not stop\n");
      return false;
    }
    const double stop_ms = msSince(t);
    std::string timings;
    for (const char* instance : {"provider1", "provider2", "consumer1"}) {
      t = steady_clock::now();
      const std::string cmd = "slapadd -q -w -F " + state() + "/" + instance + "/slapd.d -b " +
                              layout_.root() + " -l " + ldif + " >> " + topo_.dir() +
                              "/bench-slapadd.log 2>&1";
      if (shell(cmd) != 0) {
        std::fprintf(stderr, "slapadd into %s failed; see %s/bench-slapadd.log\n", instance,
                     topo_.dir().c_str());
        shell("bash " + script() + " start " + state() + " >> " + topo_.dir() + "/start.log 2>&1");
        return false;
      }
      char buf[64];
      std::snprintf(buf, sizeof(buf), " %s=%.0f", instance, msSince(t));
      timings += buf;
    }
    std::filesystem::remove(ldif);
    t = steady_clock::now();
    if (shell("bash " + script() + " start " + state() + " >> " + topo_.dir() +
              "/start.log 2>&1") != 0) {
      std::fprintf(stderr, "topology did not restart; see %s/start.log\n", topo_.dir().c_str());
      return false;
    }
    std::printf("    ms: generate LDIF %.0f, stop %.0f, slapadd%s, restart %.0f\n", gen_ms, stop_ms,
                timings.c_str(), msSince(t));
    std::fflush(stdout);
    return true;
  }

  // The arguments of a step-2/3 child (ScopeSync in a process of its own) reaching provider2
  // the way `access` says.
  std::vector<std::string> childArgs(const Access& access) const {
    return {std::filesystem::read_symlink("/proc/self/exe").string(),
            "--child",
            "--uri",
            topo_.var(access.uri_var),
            "--bind",
            access.external ? "external" : "simple",
            "--bind-dn",
            topo_.var("AGENT2_DN"),
            "--password-file",
            topo_.var("AGENT2_PASSWORD_FILE"),
            "--ca-file",
            topo_.var("CA_CERT"),
            "--base",
            layout_.root()};
  }

  // Runs `argv` to completion and returns its last output line as fields, plus slapd_cpu_ms: the
  // CPU time provider2's slapd spent meanwhile. Empty on failure.
  std::map<std::string, std::string> runMeasured(const std::vector<std::string>& argv,
                                                 const std::string& name) {
    const int slapd = topo_.pid("provider2");
    const double cpu = processCpuMs(slapd);
    auto child = spawn(argv, name);
    if (!child) {
      return {};
    }
    const int rc = waitChild(child->pid, std::chrono::seconds(kChildTimeoutS));
    const double slapd_cpu = processCpuMs(slapd) - cpu;
    std::string last;
    std::istringstream in(readText(child->out));
    for (std::string line; std::getline(in, line);) {
      last = line;
    }
    if (rc != 0) {
      std::fprintf(stderr, "%s exited %d: %s\n", name.c_str(), rc, readText(child->err).c_str());
      return {};
    }
    auto fields = parseFields(last);
    fields["slapd_cpu_ms"] = std::to_string(std::lround(slapd_cpu));
    return fields;
  }

  std::string slapdRssMib(const std::string& instance) const {
    const int pid = topo_.pid(instance);
    char buf[32];
    std::snprintf(
        buf, sizeof(buf), "%.1f",
        pid > 0 ? static_cast<double>(statusKib(std::to_string(pid), "VmRSS")) / 1024.0 : -1.0);
    return buf;
  }

  // Step 2, measuring: a fresh ScopeSync on provider2 in a child process (its state is saved for
  // step 3), then the raw client three ways, to tell what the server's share costs.
  bool measureRefresh(size_t anchors) {
    const std::string column = std::to_string(anchors) + " anchors";
    const std::string state_file = topo_.dir() + "/state-" + std::to_string(anchors) + ".json";
    auto args = childArgs(kAgentTls);
    args.insert(args.end(), {"--state-out", state_file});
    auto f = runMeasured(args, "refresh-" + std::to_string(anchors));
    if (f.empty()) {
      return false;
    }
    const size_t expected = anchors + 1;  // plus the latency anchor of step 1
    std::printf(
        "    fresh ScopeSync (%s): %s ms to everRefreshed (connect+bind %s ms; CPU ms: client %s, "
        "provider2 slapd %s), entries=%s anchors=%s (expected %zu), VmRSS %s KiB, state file %s "
        "bytes saved in %s ms, wake=%s\n",
        kAgentTls.label, f["refresh_ms"].c_str(), f["connect_ms"].c_str(), f["cpu_ms"].c_str(),
        f["slapd_cpu_ms"].c_str(), f["entries"].c_str(), f["anchors"].c_str(), expected,
        f["rss_kib"].c_str(), f["state_bytes"].c_str(), f["save_ms"].c_str(), f["wake"].c_str());
    refresh_table_.add("entries", f["entries"]);
    refresh_table_.add("ScopeSync, " + std::string(kAgentTls.label),
                       f["refresh_ms"] + " / " + f["slapd_cpu_ms"] + " / " + f["cpu_ms"]);
    for (const Access& access : {kAgentTls, kAgentLdapi, kRootLdapi}) {
      auto raw = runMeasured(rawArgs(access.uri_var, access.external, "refresh"), "raw-refresh");
      if (raw.empty()) {
        return false;
      }
      std::printf(
          "    libldap ldap_sync_init (%s): %s ms (connect+bind %s ms; provider2 slapd CPU %s ms), "
          "entries=%s, VmRSS %s KiB\n",
          access.label, raw["refresh_ms"].c_str(), raw["connect_ms"].c_str(),
          raw["slapd_cpu_ms"].c_str(), raw["entries"].c_str(), raw["rss_kib"].c_str());
      refresh_table_.add("ldap_sync_*, " + std::string(access.label),
                         raw["refresh_ms"] + " / " + raw["slapd_cpu_ms"] + " / -");
    }
    char rss[32];
    std::snprintf(rss, sizeof(rss), "%.1f", std::atof(f["rss_kib"].c_str()) / 1024.0);
    refresh_table_.add("ScopeSync VmRSS after refresh, MiB", rss);
    refresh_table_.add("provider2 slapd VmRSS, MiB", slapdRssMib("provider2"));
    refresh_columns_.push_back(column);
    std::printf("    slapd VmRSS MiB: provider1 %s, provider2 %s, consumer1 %s\n",
                slapdRssMib("provider1").c_str(), slapdRssMib("provider2").c_str(),
                slapdRssMib("consumer1").c_str());
    std::fflush(stdout);
    return f["anchors"] == std::to_string(expected);
  }

  // Step 3, the changes: anchors [round*100, round*100+100) go to state Missing on provider1;
  // returns once provider2 holds the last of them.
  bool changeAnchors(size_t round) {
    auto publisher = directory::Session::open(topo_.publisher(uri("PROVIDER1")));
    if (!publisher) {
      std::fprintf(stderr, "publisher: %s\n", publisher.error().toString().c_str());
      return false;
    }
    ScopeClient scope(**publisher, layout_);
    const auto t = steady_clock::now();
    model::TrustAnchor last;
    for (size_t i = round * kResumeChanges; i < (round + 1) * kResumeChanges; ++i) {
      last = bulkAnchor(i);
      last.state = model::KeyState::kMissing;
      auto r = scope.publishAnchor(last);
      if (!r || *r != directory::PublishOutcome::kReplaced) {
        std::fprintf(stderr, "state change of anchor %zu failed\n", i);
        return false;
      }
    }
    const double write_ms = msSince(t);
    auto reader = directory::Session::open(topo_.agent(2, uri("PROVIDER2")));
    if (!reader) {
      return false;
    }
    const auto deadline = steady_clock::now() + std::chrono::seconds(30);
    while (steady_clock::now() < deadline) {
      auto e = (*reader)->read(layout_.anchor(last), {"anchorageState"});
      if (e && e->first("anchorageState") == std::string("Missing")) {
        std::printf(
            "[3] %zu anchors set to Missing on provider1 in %.0f ms; on provider2 after "
            "%.0f ms\n",
            kResumeChanges, write_ms, msSince(t));
        return true;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    std::fprintf(stderr, "the changes did not reach provider2\n");
    return false;
  }

  // Step 3, the resume: children load the state saved by measureRefresh() and resume, as the
  // agent over StartTLS and as rootdn over ldapi.
  bool measureResume(size_t anchors, size_t round) {
    const std::string state_file = topo_.dir() + "/state-" + std::to_string(anchors) + ".json";
    const size_t expected_missing = (round + 1) * kResumeChanges;
    bool ok = true;
    for (const Access& access : {kAgentTls, kRootLdapi}) {
      auto args = childArgs(access);
      args.insert(args.end(), {"--state-in", state_file});
      auto f = runMeasured(args, "resume-" + std::to_string(anchors));
      if (f.empty()) {
        ok = false;
        break;
      }
      std::printf(
          "    resume (%s) from the cookie saved at %zu anchors: %s ms to everRefreshed "
          "(connect+bind %s ms; CPU ms: client %s, provider2 slapd %s), messages=%s upserted=%s "
          "deleted=%s, Missing anchors=%s (expected %zu); cookie server ids %s; state file "
          "loaded in %s ms, VmRSS %s KiB\n",
          access.label, anchors, f["refresh_ms"].c_str(), f["connect_ms"].c_str(),
          f["cpu_ms"].c_str(), f["slapd_cpu_ms"].c_str(), f["received"].c_str(),
          f["upserted"].c_str(), f["deleted"].c_str(), f["missing"].c_str(), expected_missing,
          f["cookie_sids"].c_str(), f["load_ms"].c_str(), f["rss_kib"].c_str());
      resume_table_.add("ScopeSync, " + std::string(access.label),
                        f["received"] + " / " + f["refresh_ms"] + " / " + f["slapd_cpu_ms"]);
      ok = ok && f["missing"] == std::to_string(expected_missing);
    }
    std::filesystem::remove(state_file);
    std::fflush(stdout);
    return ok;
  }

  void printTable() const {
    std::printf(
        "\n== directory benchmark summary (loopback; 2 cores shared with other work) ==\n"
        "%-38s %s\n",
        "1. publish -> event latency, ms", "p50 / p99 / max  (n, missed)");
    for (const auto& [label, samples] : latency_rows_) {
      std::printf("  %-36s %s\n", label.c_str(), formatSummary(summarize(samples)).c_str());
    }
    std::printf(
        "2. initial sync on provider2, no cookie: wall ms / slapd CPU ms / client CPU ms\n");
    refresh_table_.print(refresh_columns_);
    std::printf(
        "3. resume on provider2, cookie + 100 changes: messages / wall ms / slapd CPU ms\n");
    resume_table_.print(refresh_columns_);
    std::fflush(stdout);
  }

  TopologyEnvironment& topo_;
  std::string raw_client_;
  ScopeLayout layout_;
  std::vector<pid_t> children_;
  std::vector<std::pair<std::string, Samples>> latency_rows_;
  std::vector<std::string> refresh_columns_;
  Table refresh_table_;
  Table resume_table_;
};

// What a child's ScopeSync did up to the end of its first refresh.
struct RefreshRun {
  double connect_ms = 0;  ///< The first poll: connect, StartTLS, bind, sync request sent.
  double refresh_ms = 0;  ///< From the first poll to everRefreshed(), connect included.
  double cpu_ms = 0;      ///< This process's CPU time over the same span.
  size_t upserted = 0;
  size_t deleted = 0;
  bool precise = false;  ///< Woken by its socket rather than 1 ms slices.
};

// Runs `sync` (not yet connected; its server listens on `port`) until its first refresh is done
// or the child's time runs out.
RefreshRun refreshOnce(ScopeSync& sync, int port) {
  RefreshRun run;
  SyncWaiter waiter(sync);
  const auto before = socketPeerPorts();
  const double cpu_start = processCpuMs(static_cast<int>(getpid()));
  const auto start = steady_clock::now();
  const SyncChanges first = sync.poll(milliseconds(0));
  run.connect_ms = msSince(start);
  waiter.attach(port, before);
  run.precise = waiter.precise();
  run.upserted = first.upserted;
  run.deleted = first.deleted;
  const auto deadline = start + std::chrono::seconds(kChildTimeoutS - 10);
  while (!sync.everRefreshed() && steady_clock::now() < deadline) {
    const SyncChanges c = waiter.wait(milliseconds(100));
    run.upserted += c.upserted;
    run.deleted += c.deleted;
  }
  run.refresh_ms = msSince(start);
  run.cpu_ms = processCpuMs(static_cast<int>(getpid())) - cpu_start;
  return run;
}

// "entries=N anchors=N missing=N cookie_sids=0,1": what the mirror holds.
std::string describeMirror(const SyncState& state) {
  size_t anchors = 0;
  size_t missing = 0;
  for (const auto& [uuid, e] : state.entries) {
    if (e.hasClass("anchorageAnchor")) {
      ++anchors;
      missing += e.first("anchorageState") == std::string("Missing") ? 1 : 0;
    }
  }
  std::string sids;
  const auto cookie = directory::CookieVector::parse(state.cookie);
  for (const auto& [sid, csn] : cookie.csns()) {
    sids += (sids.empty() ? "" : ",") + std::to_string(sid);
  }
  return "entries=" + std::to_string(state.entries.size()) + " anchors=" + std::to_string(anchors) +
         " missing=" + std::to_string(missing) + " cookie_sids=" + (sids.empty() ? "-" : sids);
}

// The child process of steps 2 and 3: one ScopeSync from an optional saved state until its first
// refresh is done; prints one line of fields. Run as
//   bench_directory --child --uri U --bind simple|external --bind-dn DN --password-file F
//                   --ca-file CA --base B [--state-in FILE] [--state-out FILE]
int runChild(int argc, char** argv) {
  std::map<std::string, std::string> opt;
  for (int i = 2; i + 1 < argc; i += 2) {
    opt[argv[i]] = argv[i + 1];
  }
  SessionSettings session;
  session.uris = {opt["--uri"]};
  session.bind_method = opt["--bind"] == "external" ? directory::BindMethod::kExternal
                                                    : directory::BindMethod::kSimple;
  session.bind_dn = opt["--bind-dn"];
  session.password_file = opt["--password-file"];
  session.ca_file = opt["--ca-file"];
  SyncState state;
  auto t = steady_clock::now();
  if (!opt["--state-in"].empty()) {
    auto loaded = directory::loadSyncState(opt["--state-in"]);
    if (!loaded) {
      std::fprintf(stderr, "%s\n", loaded.error().toString().c_str());
      return 1;
    }
    state = std::move(*loaded);
  }
  const double load_ms = msSince(t);

  ScopeSync sync(session, syncSettings(opt["--base"]), std::move(state), quietLogger());
  const RefreshRun run = refreshOnce(sync, uriPort(opt["--uri"]));
  const long rss = statusKib("self", "VmRSS");
  if (!sync.everRefreshed()) {
    const auto& error = sync.status().last_error;
    std::fprintf(stderr, "no refresh: %s\n", error ? error->toString().c_str() : "");
    return 1;
  }

  t = steady_clock::now();
  uintmax_t state_bytes = 0;
  if (!opt["--state-out"].empty()) {
    if (auto r = directory::saveSyncState(opt["--state-out"], sync.state()); !r) {
      std::fprintf(stderr, "%s\n", r.error().toString().c_str());
      return 1;
    }
    state_bytes = std::filesystem::file_size(opt["--state-out"]);
  }
  std::printf(
      "refresh_ms=%.1f connect_ms=%.1f cpu_ms=%.0f received=%llu upserted=%zu deleted=%zu "
      "rss_kib=%ld load_ms=%.0f save_ms=%.0f state_bytes=%ju connects=%llu wake=%s %s\n",
      run.refresh_ms, run.connect_ms, run.cpu_ms,
      static_cast<unsigned long long>(sync.status().entries_received), run.upserted, run.deleted,
      rss, load_ms, msSince(t), state_bytes,
      static_cast<unsigned long long>(sync.status().connects),
      run.precise ? "socket" : "1ms-slices", describeMirror(sync.state()).c_str());
  return 0;
}

}  // namespace
}  // namespace anchorage::bench

int main(int argc, char** argv) {
  using anchorage::bench::DirectoryBench;
  if (argc > 1 && std::string(argv[1]) == "--child") {
    return anchorage::bench::runChild(argc, argv);
  }
  std::string raw_client;
  if (argc > 2 && std::string(argv[1]) == "--raw-client") {
    raw_client = argv[2];
  } else {
    raw_client =
        (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "bench_raw_sync_client")
            .string();
  }
  std::printf(
      "bench_directory: topology provider1, provider2, consumer1 (forest scope only) on "
      "127.0.0.1:%d-%d; raw client %s\n",
      anchorage::bench::kBasePort, anchorage::bench::kBasePort + 5, raw_client.c_str());
  std::fflush(stdout);
  anchorage::testing::TopologyEnvironment topo(anchorage::bench::kBasePort);
  topo.SetUp();
  if (topo.var("PROVIDER1_URI").empty()) {
    std::fprintf(stderr, "the topology did not start\n");
    topo.TearDown();
    return 1;
  }
  bool ok = false;
  {
    DirectoryBench bench(topo, raw_client);
    ok = bench.run();
  }
  if (!ok) {
    // Recorded as a GoogleTest failure so that TearDown keeps the topology's logs.
    ADD_FAILURE() << "bench_directory: a step failed; logs are kept in " << topo.dir();
  }
  topo.TearDown();
  return ok ? 0 : 1;
}
