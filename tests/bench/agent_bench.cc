// SPDX-License-Identifier: Apache-2.0
//
// anchorage-agent benchmark: the real agent binary against a real directory (deploy/topology.sh:
// provider1, provider2 and the forest-only consumer1 on 127.0.0.1, base port 14700), nsd serving
// the signed test zones and one Unbound per agent from the resolver harness (tests/resolvers).
// Prints figures; it is not a timed test and exits non-zero only when a step could not be carried
// out.
//
//   1. Propagation. Three agents (on provider2, on consumer1, on provider1), debounce left at its
//      default (200 ms). The benchmark adds one DS anchor at a time to the test trust point
//      agent-bench.example. on provider1 (warm-up publishes first, not counted), and waits for
//      every agent before the next one, with a pause of 100-300 ms. End point per agent: the
//      agent's log line "Trust anchor set applied" for the new anchor count, read through inotify
//      the moment it is written. The agent writes it only after the Unbound writer's apply
//      returned success: unbound-checkconf, atomic write, unbound-control reload, flush of the
//      changed trust point, and a DO-bit probe of www.corp.example. that came back with AD=1
//      (RFC 4035 §3.2.3). So the figure is "applied and verified". The agent's status entry
//      arriving on provider1 (watched with an RFC 4533 sync of cn=Agents) is shown beside it.
//      Baselines from the same run: a plain libldap ldap_sync_* client (bench_raw_sync_client) on
//      provider2 and on consumer1 receiving the same publishes, and Unbound's bare reload
//      (unbound-control reload, timed to its return and to the first AD answer after it).
//   2. Scale. N trust points with one DS anchor each (default 100,000; --trust-points) are loaded
//      with slapadd -q into the stopped servers (the same entryUUID and entryCSN values in all
//      three). One new agent with a new Unbound, reading provider2: time to its first refresh and
//      first applied-and-verified set, its peak RSS (VmHWM), Unbound's reload and checker at that
//      size, then kScaleChanges single-anchor publishes (publish -> applied and verified), then a
//      restart from the saved state and cookie: stop time, time to the refresh and to the first
//      apply, and the sync messages received (the "messages" field of "Directory sync refreshed").
//      Each change is cut into steps without touching the agent: a plain ldap_sync_* client on
//      provider2 gives the arrival, inotify on the agent's state directory, its TMPDIR and
//      Unbound's directory gives the sync state save, the checker's scratch directory, the anchor
//      file and applied.json, and /proc gives the agent's own CPU time up to the applied line.
//
// Every wait ends by the time budget (--budget, default 30 minutes) so that the run ends by
// itself; a step cut short is reported as failed.
//
// Statistics: p50 and p99 are nearest rank over the measured samples; a median of an even count
// is the mean of the two middle values. "Before the writer" is an agent's applied time less the
// writer's own duration_ms: sync, debounce, poll slices and the policy's decision.

#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_stats.h"
#include "directory/mapping.h"
#include "directory/operations.h"
#include "directory/session.h"
#include "directory/sync.h"
#include "model/anchor.h"
#include "resolvers/harness.h"
#include "support/process.h"
#include "topology_env.h"
#include "util/encoding.h"
#include "util/log.h"
#include "writers/command.h"

namespace anchorage::bench {
namespace {

using directory::Entry;
using directory::ScopeClient;
using directory::ScopeLayout;
using directory::ScopeSync;
using resolvertest::TestNetwork;
using resolvertest::UnboundServer;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::TopologyEnvironment;
using Clock = std::chrono::steady_clock;

constexpr int kBasePort = 14700;
constexpr size_t kDefaultTrustPoints = 100000;
constexpr int kDefaultPublishes = 200;
constexpr int kWarmupPublishes = 5;
constexpr int kReloadRuns = 20;
constexpr int kScaleReloadRuns = 5;
constexpr int kScaleChanges = 5;
constexpr int kMaxConsecutiveMisses = 3;
constexpr milliseconds kPublishTimeout{20000};
constexpr seconds kScaleStepTimeout{900};
constexpr seconds kDefaultBudget{1800};
constexpr const char* kBenchPrefix = "agent-bench";
constexpr const char* kBenchTrustPoint = "agent-bench.example.";
constexpr const char* kAppliedMessage = "Trust anchor set applied";
constexpr const char* kRefreshedMessage = "Directory sync refreshed";

double msBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

double msSince(Clock::time_point from) {
  return msBetween(from, Clock::now());
}

int64_t realtimeUs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The first three fields of /proc/loadavg: the machine is shared, and the figures depend on it.
std::string loadAverage() {
  std::istringstream in(readText("/proc/loadavg"));
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

int shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A "Vm...:" field of /proc/<pid>/status in KiB, or -1.
long statusKib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return -1;
}

// CPU time (user + system) of `pid` in ms from /proc/<pid>/stat; -1 when unreadable.
double processCpuMs(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(in, text);
  const auto close = text.rfind(')');
  if (close == std::string::npos) {
    return -1;
  }
  // After the command name come field 3 (state) onwards; utime and stime are fields 14 and 15.
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

// Waits until `pid` used less than 20 ms of CPU in 500 ms, or `limit` passed.
void waitIdle(pid_t pid, milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  double before = processCpuMs(pid);
  while (Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(500));
    const double now = processCpuMs(pid);
    if (now < 0 || now - before < 20) {
      return;
    }
    before = now;
  }
}

util::Logger quietLogger() {
  static auto sink =
      std::make_shared<util::LogSink>(std::cerr, util::LogFormat::kLogfmt, util::Level::kError);
  return util::Logger(sink, "bench");
}

// ---- Statistics -------------------------------------------------------------------------------

double median(std::vector<double> v) {
  if (v.empty()) {
    return NAN;
  }
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double p95(std::vector<double> v) {
  if (v.empty()) {
    return NAN;
  }
  std::sort(v.begin(), v.end());
  return nearestRank(v, 95);
}

std::string formatSummary(const Summary& s) {
  char buf[128];
  std::snprintf(buf, sizeof(buf), "%8.1f %8.1f %8.1f   n=%zu missed=%zu", s.p50, s.p99, s.max, s.n,
                s.missed);
  return buf;
}

std::string formatMs(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f ms", ms);
  return buf;
}

std::string formatMib(long kib) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(kib) / 1024.0);
  return buf;
}

// ---- Agent logs -------------------------------------------------------------------------------

// logfmt "key=value key=\"quoted value\"" -> map; the escapes the agent writes are \" \\ \n.
std::map<std::string, std::string> parseLogfmt(const std::string& line) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') {
      ++i;
    }
    const size_t eq = line.find('=', i);
    if (eq == std::string::npos) {
      break;
    }
    const std::string key = line.substr(i, eq - i);
    std::string value;
    i = eq + 1;
    if (i < line.size() && line[i] == '"') {
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) {
          ++i;
          value += line[i] == 'n' ? '\n' : line[i];
        } else {
          value += line[i];
        }
      }
      ++i;
    } else {
      const size_t end = std::min(line.find(' ', i), line.size());
      value = line.substr(i, end - i);
      i = end;
    }
    out[key] = value;
  }
  return out;
}

/// One line of an agent's log, stamped when the benchmark read it.
struct LogLine {
  Clock::time_point seen;
  std::map<std::string, std::string> fields;  ///< "level", "msg" and the message's fields.

  std::string get(const std::string& key) const {
    const auto it = fields.find(key);
    return it == fields.end() ? std::string() : it->second;
  }
  bool is(const char* message) const { return get("msg") == message; }
};

/// Follows log files through inotify and stamps every complete line the moment it is read, so the
/// time of a line is the time the agent wrote it (within the wake-up latency of one thread).
class LogWatcher {
 public:
  LogWatcher() : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    thread_ = std::thread([this] { loop(); });
  }
  ~LogWatcher() {
    stop_.store(true);
    thread_.join();
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  LogWatcher(const LogWatcher&) = delete;
  LogWatcher& operator=(const LogWatcher&) = delete;

  /// Creates `path` when missing and follows it from its current end; returns its index.
  size_t follow(const std::string& path) {
    std::ofstream(path, std::ios::app).close();
    auto f = std::make_unique<File>();
    f->path = path;
    std::error_code ec;
    f->offset = static_cast<off_t>(std::filesystem::file_size(path, ec));
    inotify_add_watch(fd_, path.c_str(), IN_MODIFY);
    std::lock_guard lock(mutex_);
    files_.push_back(std::move(f));
    return files_.size() - 1;
  }

  /// Lines read so far from file `index`.
  size_t count(size_t index) const {
    std::lock_guard lock(mutex_);
    return files_[index]->lines.size();
  }

  /// Lines [from, end) of file `index`.
  std::vector<LogLine> lines(size_t index, size_t from = 0) const {
    std::lock_guard lock(mutex_);
    const auto& all = files_[index]->lines;
    return {all.begin() + static_cast<long>(std::min(from, all.size())), all.end()};
  }

  /// Waits for the first line of file `index` from line number `from` on that `match` accepts.
  std::optional<LogLine> waitFor(size_t index, size_t from,
                                 const std::function<bool(const LogLine&)>& match,
                                 Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    size_t next = from;
    while (true) {
      const auto& all = files_[index]->lines;
      for (; next < all.size(); ++next) {
        if (match(all[next])) {
          return all[next];
        }
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout &&
          files_[index]->lines.size() == next) {
        return std::nullopt;
      }
    }
  }

 private:
  struct File {
    std::string path;
    off_t offset = 0;
    std::string partial;
    std::vector<LogLine> lines;
  };

  void loop() {
    char events[4096];
    while (!stop_.load()) {
      pollfd p{fd_, POLLIN, 0};
      ::poll(&p, 1, 50);
      while (::read(fd_, events, sizeof(events)) > 0) {
      }
      readNew();
    }
  }

  // Reads what was appended to every file; only this thread touches offsets and partial lines.
  void readNew() {
    std::vector<File*> files;
    {
      std::lock_guard lock(mutex_);
      for (auto& f : files_) {
        files.push_back(f.get());
      }
    }
    bool added = false;
    for (File* f : files) {
      std::ifstream in(f->path, std::ios::binary);
      in.seekg(f->offset);
      std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (chunk.empty()) {
        continue;
      }
      const auto now = Clock::now();
      f->offset += static_cast<off_t>(chunk.size());
      f->partial += chunk;
      std::vector<LogLine> parsed;
      size_t start = 0;
      for (size_t nl; (nl = f->partial.find('\n', start)) != std::string::npos; start = nl + 1) {
        parsed.push_back({now, parseLogfmt(f->partial.substr(start, nl - start))});
      }
      f->partial.erase(0, start);
      std::lock_guard lock(mutex_);
      f->lines.insert(f->lines.end(), parsed.begin(), parsed.end());
      added = added || !parsed.empty();
    }
    if (added) {
      cv_.notify_all();
    }
  }

  int fd_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<File>> files_;
  std::thread thread_;
};

// ---- File events ------------------------------------------------------------------------------

/// One name created, renamed into or removed from a watched directory, stamped when read.
struct FileEvent {
  Clock::time_point seen;
  std::string name;
  uint32_t mask = 0;
};

/// Follows directories through inotify: the agent's state directory (sync mirror and applied-set
/// saves), Unbound's directory (the anchor file) and the agent's TMPDIR (the writer's checker
/// scratch directory), so that one change can be cut into its steps without touching the agent.
class FileEvents {
 public:
  FileEvents() : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    thread_ = std::thread([this] { loop(); });
  }
  ~FileEvents() {
    stop_.store(true);
    thread_.join();
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  FileEvents(const FileEvents&) = delete;
  FileEvents& operator=(const FileEvents&) = delete;

  void watch(const std::string& dir) {
    inotify_add_watch(fd_, dir.c_str(), IN_CREATE | IN_MOVED_TO | IN_DELETE);
  }

  /// The first event at or after `from` with `mask` whose name starts with `prefix` (and, when
  /// `exact`, is exactly `prefix`); its time in ms after `from`, or NAN.
  double firstAfter(Clock::time_point from, uint32_t mask, const std::string& prefix,
                    bool exact = false) const {
    std::lock_guard lock(mutex_);
    for (const auto& e : events_) {
      if (e.seen >= from && (e.mask & mask) != 0 && e.name.rfind(prefix, 0) == 0 &&
          (!exact || e.name == prefix)) {
        return msBetween(from, e.seen);
      }
    }
    return NAN;
  }

 private:
  void loop() {
    alignas(inotify_event) char buf[16384];
    while (!stop_.load()) {
      pollfd p{fd_, POLLIN, 0};
      ::poll(&p, 1, 50);
      ssize_t n;
      while ((n = ::read(fd_, buf, sizeof(buf))) > 0) {
        const auto now = Clock::now();
        std::lock_guard lock(mutex_);
        for (ssize_t at = 0; at < n;) {
          const auto* e = reinterpret_cast<const inotify_event*>(buf + at);
          events_.push_back({now, e->len > 0 ? std::string(e->name) : std::string(), e->mask});
          at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
        }
      }
    }
  }

  int fd_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<FileEvent> events_;
  std::thread thread_;
};

// ---- Status entries ---------------------------------------------------------------------------

/// Follows the agents' status entries of one scope (an RFC 4533 sync of cn=Agents, filtered to
/// status entries) and stamps each change of a server's applied digest when it arrives.
class StatusWatcher {
 public:
  StatusWatcher(const directory::SessionSettings& session, const ScopeLayout& layout)
      : sync_(session, settings(layout), {}, quietLogger()) {
    thread_ = std::thread([this] { loop(); });
  }
  ~StatusWatcher() {
    stop_.store(true);
    thread_.join();
  }
  StatusWatcher(const StatusWatcher&) = delete;
  StatusWatcher& operator=(const StatusWatcher&) = delete;

  /// Waits until the first refresh is done.
  bool waitReady(Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return cv_.wait_until(lock, deadline, [this] { return refreshed_; });
  }

  /// The digest `server` reports now (empty when it has no entry).
  std::string digest(const std::string& server) const {
    std::lock_guard lock(mutex_);
    const auto it = digests_.find(server);
    return it == digests_.end() ? std::string() : it->second;
  }

  /// Waits until `server` reports a digest other than `before`; returns when that arrived.
  std::optional<Clock::time_point> waitChange(const std::string& server, const std::string& before,
                                              Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    const bool changed = cv_.wait_until(lock, deadline, [&] {
      const auto it = digests_.find(server);
      return it != digests_.end() && it->second != before;
    });
    if (!changed) {
      return std::nullopt;
    }
    return changed_at_[server];
  }

 private:
  static directory::SyncSettings settings(const ScopeLayout& layout) {
    directory::SyncSettings s;
    s.base = layout.agents();
    s.filter = "(objectClass=anchorageAgentStatus)";
    s.reconnect_min = milliseconds(100);
    s.reconnect_max = milliseconds(1000);
    return s;
  }

  void loop() {
    while (!stop_.load()) {
      const auto changes = sync_.poll(milliseconds(50));
      const auto now = Clock::now();
      if (!changes.changed() && !changes.refresh_done) {
        continue;
      }
      std::lock_guard lock(mutex_);
      for (const auto& [uuid, e] : sync_.state().entries) {
        auto status = directory::agentStatusFromEntry(e);
        if (!status) {
          continue;
        }
        auto& known = digests_[status->server];
        if (known != status->applied_digest) {
          known = status->applied_digest;
          changed_at_[status->server] = now;
        }
      }
      refreshed_ = refreshed_ || sync_.everRefreshed();
      cv_.notify_all();
    }
  }

  ScopeSync sync_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool refreshed_ = false;
  std::map<std::string, std::string> digests_;
  std::map<std::string, Clock::time_point> changed_at_;
  std::thread thread_;
};

// ---- Anchors and bulk LDIF --------------------------------------------------------------------

// A DS anchor under `owner` whose digest derives from `seed`: each seed is a distinct anchor.
model::TrustAnchor dsAnchor(const std::string& owner, const std::string& seed, uint16_t key_tag) {
  model::TrustAnchor a;
  a.record.owner = model::DomainName::parse(owner).value();
  a.record.ttl = 3600;
  a.record.rdata =
      model::DsRdata{key_tag, 13, 2, util::digest("sha256", {seed.begin(), seed.end()})};
  return a;
}

// Publish `seq` of the benchmark: a new anchor of the test trust point.
model::TrustAnchor benchAnchor(int seq) {
  return dsAnchor(kBenchTrustPoint, std::string(kBenchPrefix) + "-" + std::to_string(seq),
                  static_cast<uint16_t>(seq % 65536));
}

// Bulk trust point `i` and its one anchor.
model::TrustAnchor bulkAnchor(size_t i) {
  return dsAnchor("tp" + std::to_string(i) + ".bulk.example.", "bulk-" + std::to_string(i),
                  static_cast<uint16_t>(i % 65536));
}

// RFC 2849 SAFE-STRING: printable ASCII, no leading space, colon or '<', no trailing space.
bool isSafeString(const std::string& v) {
  if (!v.empty() && (v.front() == ' ' || v.front() == ':' || v.front() == '<' || v.back() == ' ')) {
    return false;
  }
  return std::all_of(v.begin(), v.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
  });
}

void writeLdifLine(std::ostream& out, const std::string& attribute, const std::string& value) {
  if (isSafeString(value)) {
    out << attribute << ": " << value << '\n';
  } else {
    out << attribute << ":: " << util::encodeBase64({value.begin(), value.end()}) << '\n';
  }
}

// A random version-4 UUID.
std::string randomUuid(std::mt19937_64& rng) {
  const uint64_t hi = (rng() & ~uint64_t{0xf000}) | uint64_t{0x4000};
  const uint64_t lo = (rng() >> 2) | (uint64_t{1} << 63);
  char buf[40];
  std::snprintf(buf, sizeof(buf),
                "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64, hi >> 32,
                (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48, lo & ((uint64_t{1} << 48) - 1));
  return buf;
}

// An entryCSN of provider1 (server id 1) at `t`: time, change count, server id, modifier.
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

// Writes `trust_points` trust points with one anchor each as LDIF with entryUUID, entryCSN and
// the other operational attributes, so that loading the same file into every server gives
// identical replicas. CSNs are one microsecond apart, as separate writes would be.
bool writeBulkLdif(const std::string& path, size_t trust_points, const ScopeLayout& layout,
                   const std::string& creator) {
  std::ofstream out(path);
  std::mt19937_64 rng(std::random_device{}());
  const auto now = std::chrono::system_clock::now();
  const std::string stamp =
      directory::formatGeneralizedTime(std::chrono::time_point_cast<seconds>(now));
  int64_t offset_us = 0;
  const auto write = [&](const Entry& e) {
    writeLdifLine(out, "dn", e.dn);
    for (const auto& [attribute, values] : e.attributes) {
      for (const auto& v : values) {
        writeLdifLine(out, attribute, v);
      }
    }
    writeLdifLine(out, "entryUUID", randomUuid(rng));
    writeLdifLine(out, "entryCSN", csnAt(now + std::chrono::microseconds(offset_us++)));
    writeLdifLine(out, "creatorsName", creator);
    writeLdifLine(out, "modifiersName", creator);
    writeLdifLine(out, "createTimestamp", stamp);
    writeLdifLine(out, "modifyTimestamp", stamp);
    out << '\n';
  };
  for (size_t i = 0; i < trust_points; ++i) {
    const auto anchor = bulkAnchor(i);
    directory::TrustPointInfo info;
    info.name = anchor.record.owner;
    write(directory::entryForTrustPoint(layout, info));
    write(directory::entryForAnchor(layout, anchor));
  }
  out.close();
  return static_cast<bool>(out);
}

// ---- Agents -----------------------------------------------------------------------------------

/// Writer and directory limits of an agent's configuration.
struct AgentTuning {
  std::string writer_timeout = "5s";
  std::string verify_timeout = "5s";
  std::string liveness = "4s";
  std::string operation = "5s";
};

/// One DNS server: an Unbound and the agent that feeds it.
struct AgentSite {
  std::string label;   ///< "agent on provider2"
  std::string server;  ///< The agent's FQDN (its status entry's cn).
  int account = 0;     ///< 1-3: the topology's agent account it binds as.
  std::string read_uri;
  std::string dir;
  std::unique_ptr<UnboundServer> unbound;
  std::optional<testsupport::Process> agent;
  size_t log = 0;  ///< LogWatcher index of its log.

  std::string configPath() const { return dir + "/anchorage.yaml"; }
  std::string logPath() const { return dir + "/agent.log"; }
  std::string stateDir() const { return dir + "/state"; }
  std::string tmpDir() const { return dir + "/tmp"; }  ///< The agent's TMPDIR.
};

// The agent configuration: reads `read_uri`, writes status to both providers, every scope,
// debounce at its default (the key is left out), one Unbound with a probe for corp.example.
std::string agentConfig(const TopologyEnvironment& topo, const TestNetwork& net, const AgentSite& s,
                        const AgentTuning& t) {
  const auto w = s.unbound->writerSettings();
  std::string control;
  for (const auto& a : w.control_command) {
    control += (control.empty() ? "\"" : ", \"") + a + "\"";
  }
  const std::string n = std::to_string(s.account);
  std::ostringstream c;
  c << "server: " << s.server << "\n"
    << "directory:\n"
    << "  read: [\"" << s.read_uri << "\"]\n"
    << "  write: [\"" << topo.var("PROVIDER1_URI") << "\", \"" << topo.var("PROVIDER2_URI")
    << "\"]\n"
    << "  bind: { method: simple, dn: \"" << topo.var("AGENT" + n + "_DN")
    << "\", password_file: " << topo.var("AGENT" + n + "_PASSWORD_FILE") << " }\n"
    << "  tls: { ca_file: " << topo.var("CA_CERT") << " }\n"
    << "  timeouts: { network: 5s, operation: " << t.operation << ", liveness: " << t.liveness
    << " }\n"
    << "  reconnect: { min_delay: 200ms, max_delay: 2s }\n"
    << "scopes: auto\n"
    << "state_dir: " << s.stateDir() << "\n"
    << "resolvers:\n"
    << "  - type: unbound\n"
    << "    anchor_file: " << w.anchor_file << "\n"
    << "    nta_file: " << w.nta_file << "\n"
    << "    control_command: [" << control << "]\n"
    << "    address: " << w.query_address << ":" << w.query_port << "\n"
    << "    probes: { \"" << net.corp().name.text() << "\": \"" << net.corp().probe << "\" }\n"
    << "    timeout: " << t.writer_timeout << "\n"
    << "    verify_timeout: " << t.verify_timeout << "\n";
  return c.str();
}

bool startAgent(AgentSite& s, const std::string& program) {
  auto p = testsupport::Process::spawn(
      {{program, "-c", s.configPath()}, s.logPath(), "", s.dir, {"TMPDIR=" + s.tmpDir()}});
  if (!p) {
    std::fprintf(stderr, "%s: %s\n", s.label.c_str(), p.error().toString().c_str());
    return false;
  }
  s.agent.emplace(std::move(*p));
  return true;
}

// Matches the agent's applied line for a set of `anchors` anchors.
std::function<bool(const LogLine&)> appliedWith(size_t anchors) {
  return [anchors](const LogLine& l) {
    return l.is(kAppliedMessage) && l.get("anchors") == std::to_string(anchors);
  };
}

// Matches the refresh line of the scope `base`.
std::function<bool(const LogLine&)> refreshedScope(const std::string& base) {
  return [base](const LogLine& l) {
    return l.is(kRefreshedMessage) && util::toLower(l.get("scope")) == util::toLower(base);
  };
}

// Prints the agent's warnings and errors from line `from` on (at most a few).
void printProblems(const LogWatcher& logs, const AgentSite& s, size_t from) {
  int shown = 0;
  size_t total = 0;
  for (const auto& l : logs.lines(s.log, from)) {
    const std::string level = l.get("level");
    if (level != "warning" && level != "error") {
      continue;
    }
    ++total;
    if (shown++ < 5) {
      std::printf("    %s %s: %s %s\n", s.label.c_str(), level.c_str(), l.get("msg").c_str(),
                  l.get("error").substr(0, 200).c_str());
    }
  }
  if (total > 5) {
    std::printf("    %s: %zu warnings and errors in all\n", s.label.c_str(), total);
  }
}

// ---- Unbound's own reload ---------------------------------------------------------------------

/// Bare reloads of one Unbound: time until unbound-control returns, and until the probe answers
/// with AD=1 again (the reload itself runs after the command has answered).
struct ReloadFigures {
  std::vector<double> command_ms;
  std::vector<double> validated_ms;
  std::string error;
};

ReloadFigures timeReloads(const UnboundServer& unbound, const std::string& probe, int runs,
                          milliseconds limit) {
  ReloadFigures f;
  auto argv = unbound.writerSettings().control_command;
  argv.push_back("reload");
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    auto r = writers::runCommand(argv, limit);
    f.command_ms.push_back(msSince(start));
    if (!r || !r->success()) {
      f.error = r ? r->output : r.error().toString();
      return f;
    }
    const auto deadline = start + limit;
    bool validated = false;
    while (!validated && Clock::now() < deadline) {
      auto answer = unbound.query(probe, dns::kTypeA, milliseconds(1000));
      validated = answer && answer->authentic_data && answer->rcode == dns::Rcode::kNoError;
      if (!validated) {
        std::this_thread::sleep_for(milliseconds(1));
      }
    }
    if (!validated) {
      f.error = "probe did not validate after reload " + std::to_string(i + 1);
      return f;
    }
    f.validated_ms.push_back(msSince(start));
  }
  return f;
}

// ---- The benchmark ----------------------------------------------------------------------------

/// Command-line settings.
struct Options {
  size_t trust_points = kDefaultTrustPoints;
  int publishes = kDefaultPublishes;
  std::string raw_client;
  std::string agent = ANCHORAGE_AGENT_PATH;  ///< The anchorage-agent binary under test.
  bool propagation = true;
  bool scale = true;
  seconds budget = kDefaultBudget;  ///< Every wait ends by start + budget.
};

/// What one propagation publish measured; a missing value is a miss.
struct PublishSample {
  double ack_ms = 0;
  std::vector<std::optional<double>> applied_ms;      ///< Per site.
  std::vector<std::optional<double>> status_ms;       ///< Per site.
  std::vector<double> writer_ms;                      ///< The writers' apply durations (log field).
  std::vector<std::optional<double>> site_writer_ms;  ///< The same, per site.
};

/// When the steps of one change at scale were seen, in ms after the add (NAN: not seen).
struct ChangeSteps {
  int seq = 0;
  double received = NAN;        ///< The ldap_sync_* client on provider2 received the entry.
  double mirror_built = NAN;    ///< The sync state's temporary file created (its JSON is built).
  double mirror_saved = NAN;    ///< The sync state renamed into place (written and synced).
  double writer_started = NAN;  ///< The applied line's time less its duration_ms.
  double check_started = NAN;   ///< The checker's scratch directory created.
  double check_done = NAN;      ///< ... and removed.
  double anchor_file = NAN;     ///< Unbound's anchor file renamed into place.
  double applied = NAN;         ///< The applied line (after reload, flush and the AD probe).
  double applied_saved = NAN;   ///< applied.json renamed into place.
  double status = NAN;          ///< The status entry's new digest arrived from provider1.
  double cpu_to_applied = NAN;  ///< The agent's own CPU time from the add to the applied line.
};

/// Figures of the scale step.
struct ScaleFigures {
  std::string load;  ///< Timings of the bulk load, printed as they come.
  double refresh_ms = NAN;
  std::string refresh_entries;
  std::string refresh_messages;
  double first_apply_ms = NAN;
  double first_apply_writer_ms = NAN;
  double first_status_ms = NAN;
  double first_cpu_ms = NAN;
  long first_hwm_kib = -1;
  uintmax_t state_bytes = 0;
  ReloadFigures reloads;
  double checkconf_ms = NAN;
  std::vector<double> change_ms;
  std::vector<double> change_writer_ms;
  std::vector<double> change_status_ms;
  std::vector<double> change_cpu_ms;
  std::vector<ChangeSteps> change_steps;
  long hwm_kib = -1;
  double stop_ms = NAN;
  double restart_load_ms = NAN;
  double restart_refresh_ms = NAN;
  std::string restart_messages;
  std::string restart_entries;
  double restart_ready_ms = NAN;
  double restart_writer_ms = NAN;
  std::string restart_changed;
  long restart_hwm_kib = -1;
};

class AgentBench {
 public:
  AgentBench(TopologyEnvironment& topo, TestNetwork& net, Options options)
      : topo_(topo),
        net_(net),
        options_(std::move(options)),
        layout_(topo.var("FOREST_SUFFIX")),
        deadline_(Clock::now() + options_.budget) {}

  ~AgentBench() {
    for (auto& s : sites_) {
      if (s->agent) {
        s->agent->stop(milliseconds(60000));
      }
    }
  }

  AgentBench(const AgentBench&) = delete;
  AgentBench& operator=(const AgentBench&) = delete;

  /// Both steps in order, then the summary; false when a step could not be carried out.
  bool run() {
    if (!setUp()) {
      return false;
    }
    load_start_ = loadAverage();
    bool ok = !options_.propagation || measurePropagation();
    load_middle_ = loadAverage();
    ok = ok && (!options_.scale || measureScale());
    load_end_ = loadAverage();
    printSummary();
    return ok;
  }

 private:
  std::string uri(const std::string& instance) const { return topo_.var(instance + "_URI"); }

  // `limit` from now, but no later than the end of the run's time budget.
  Clock::time_point until(Clock::duration limit) const {
    return std::min(Clock::now() + limit, deadline_);
  }

  // `limit`, shortened to what is left of the budget (at least 1 ms).
  milliseconds left(milliseconds limit) const {
    const auto rest = std::chrono::duration_cast<milliseconds>(deadline_ - Clock::now());
    return std::clamp(rest, milliseconds(1), limit);
  }
  std::string script() const { return std::string(ANCHORAGE_SOURCE_DIR) + "/deploy/topology.sh"; }
  std::string topoState() const { return topo_.dir() + "/topo"; }

  std::unique_ptr<directory::Session> openPublisher() {
    auto s = directory::Session::open(topo_.publisher(uri("PROVIDER1")));
    if (!s) {
      std::fprintf(stderr, "publisher: %s\n", s.error().toString().c_str());
      return nullptr;
    }
    return std::move(*s);
  }

  // The corp.example. DS (what the probes need) and the empty test trust point.
  bool setUp() {
    publisher_ = openPublisher();
    if (!publisher_) {
      return false;
    }
    ScopeClient forest(*publisher_, layout_);
    directory::TrustPointInfo bench;
    bench.name = model::DomainName::parse(kBenchTrustPoint).value();
    if (auto r = forest.publishAnchor(net_.corp().ds); !r) {
      std::fprintf(stderr, "publish corp.example.: %s\n", r.error().toString().c_str());
      return false;
    }
    if (auto r = forest.putTrustPoint(bench); !r) {
      std::fprintf(stderr, "trust point: %s\n", r.error().toString().c_str());
      return false;
    }
    return true;
  }

  // Adds the next test anchor on provider1, its description carrying the send time for the raw
  // clients. Returns the ack time, or nullopt on failure.
  std::optional<double> publishNext() {
    const int seq = published_;
    Entry e = directory::entryForAnchor(layout_, benchAnchor(seq));
    const auto start = Clock::now();
    e.attributes["description"] = {std::string(kBenchPrefix) + " seq=" + std::to_string(seq) +
                                   " sent_us=" + std::to_string(realtimeUs())};
    if (auto r = publisher_->add(e); !r) {
      std::fprintf(stderr, "publish %d: %s\n", seq, r.error().toString().c_str());
      return std::nullopt;
    }
    ++published_;
    return msSince(start);
  }

  // Anchors the agents apply: corp.example.'s DS, the test anchors and the bulk ones.
  size_t expectedAnchors() const { return 1 + static_cast<size_t>(published_) + bulk_; }

  std::unique_ptr<AgentSite> makeSite(const std::string& label, int account,
                                      const std::string& read_uri, const AgentTuning& tuning) {
    auto s = std::make_unique<AgentSite>();
    s->label = label;
    s->account = account;
    s->server = topo_.var("AGENT" + std::to_string(account) + "_NAME");
    s->read_uri = read_uri;
    s->dir = topo_.dir() + "/" + label.substr(label.rfind(' ') + 1) + "-" +
             std::to_string(sites_.size());
    std::filesystem::create_directories(s->tmpDir());
    std::filesystem::create_directories(s->stateDir());
    s->unbound = std::make_unique<UnboundServer>();
    if (auto started = s->unbound->start(net_); !started) {
      std::fprintf(stderr, "%s: Unbound: %s\n", label.c_str(), started.error().toString().c_str());
      return nullptr;
    }
    std::ofstream(s->configPath()) << agentConfig(topo_, net_, *s, tuning);
    s->log = logs_.follow(s->logPath());
    return s;
  }

  // ---- Step 1 ----

  std::optional<testsupport::Process> startRawClient(const std::string& instance,
                                                     milliseconds ready_limit = seconds(30)) {
    const std::string out = topo_.dir() + "/raw-" + instance + ".out";
    auto p = testsupport::Process::spawn(
        {{options_.raw_client, "--uri", uri(instance), "--bind", "simple", "--bind-dn",
          topo_.var("AGENT1_DN"), "--password-file", topo_.var("AGENT1_PASSWORD_FILE"), "--ca-file",
          topo_.var("CA_CERT"), "--base", layout_.root(), "--mode", "persist"},
         out,
         topo_.dir() + "/raw-" + instance + ".err",
         "",
         {}});
    if (!p) {
      std::fprintf(stderr, "raw client: %s\n", p.error().toString().c_str());
      return std::nullopt;
    }
    const auto deadline = until(ready_limit);
    while (Clock::now() < deadline && readText(out).rfind("ready ", 0) != 0) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    if (readText(out).rfind("ready ", 0) != 0) {
      std::fprintf(stderr, "raw client on %s did not get ready\n", instance.c_str());
      return std::nullopt;
    }
    return std::move(*p);
  }

  // seq -> latency in ms, from a raw client's "event recv_us=.. description=agent-bench seq=..
  // sent_us=.." lines (CLOCK_REALTIME on both sides).
  static std::map<int, double> rawLatencies(const std::string& output) {
    std::map<int, double> out;
    std::istringstream in(output);
    const std::string marker = " description=";
    for (std::string line; std::getline(in, line);) {
      const auto at = line.find(marker);
      if (line.rfind("event ", 0) != 0 || at == std::string::npos ||
          line.compare(at + marker.size(), std::strlen(kBenchPrefix), kBenchPrefix) != 0) {
        continue;
      }
      auto head = parseLogfmt(line.substr(6, at - 6));
      auto desc = parseLogfmt(line.substr(at + marker.size() + std::strlen(kBenchPrefix)));
      const int seq = std::atoi(desc["seq"].c_str());
      const double ms = static_cast<double>(std::atoll(head["recv_us"].c_str()) -
                                            std::atoll(desc["sent_us"].c_str())) /
                        1000.0;
      out.emplace(seq, ms);
    }
    return out;
  }

  bool startPropagationSites() {
    const AgentTuning tuning;
    const std::vector<std::tuple<std::string, int, std::string>> layout = {
        {"agent on provider2", 2, uri("PROVIDER2")},
        {"agent on consumer1", 3, uri("CONSUMER1")},
        {"agent on provider1", 1, uri("PROVIDER1")},
    };
    for (const auto& [label, account, read] : layout) {
      auto s = makeSite(label, account, read, tuning);
      if (!s || !startAgent(*s, options_.agent)) {
        return false;
      }
      sites_.push_back(std::move(s));
    }
    const auto deadline = until(seconds(60));
    for (const auto& s : sites_) {
      if (!logs_.waitFor(s->log, 0, appliedWith(expectedAnchors()), deadline) ||
          !status_->waitChange(s->server, "", deadline)) {
        std::fprintf(stderr, "%s did not apply its first set\n", s->label.c_str());
        printProblems(logs_, *s, 0);
        return false;
      }
    }
    return true;
  }

  // One publish and its end points; false when the publish itself failed.
  bool measureOnePublish(std::vector<PublishSample>& samples) {
    std::vector<size_t> marks;
    std::vector<std::string> before;
    for (const auto& s : sites_) {
      marks.push_back(logs_.count(s->log));
      before.push_back(status_->digest(s->server));
    }
    const auto start = Clock::now();
    const auto ack = publishNext();
    if (!ack) {
      return false;
    }
    PublishSample sample;
    sample.ack_ms = *ack;
    const auto deadline = std::min(start + kPublishTimeout, deadline_);
    for (size_t i = 0; i < sites_.size(); ++i) {
      const auto line =
          logs_.waitFor(sites_[i]->log, marks[i], appliedWith(expectedAnchors()), deadline);
      sample.applied_ms.push_back(line ? std::optional(msBetween(start, line->seen))
                                       : std::nullopt);
      sample.site_writer_ms.push_back(
          line ? std::optional(std::atof(line->get("duration_ms").c_str())) : std::nullopt);
      if (line) {
        sample.writer_ms.push_back(*sample.site_writer_ms.back());
      }
    }
    for (size_t i = 0; i < sites_.size(); ++i) {
      const auto at = status_->waitChange(sites_[i]->server, before[i], deadline);
      sample.status_ms.push_back(at ? std::optional(msBetween(start, *at)) : std::nullopt);
    }
    samples.push_back(std::move(sample));
    return true;
  }

  bool measurePropagation() {
    std::printf(
        "[1] propagation: %d warm-up + %d measured publishes of one new DS anchor of %s on "
        "provider1, one at a time; three agents, debounce default (200 ms)\n",
        kWarmupPublishes, options_.publishes, kBenchTrustPoint);
    std::fflush(stdout);
    status_ = std::make_unique<StatusWatcher>(topo_.publisher(uri("PROVIDER1")), layout_);
    if (!status_->waitReady(until(seconds(30)))) {
      std::fprintf(stderr, "status sync on provider1 did not refresh\n");
      return false;
    }
    auto raw_p2 = startRawClient("PROVIDER2");
    auto raw_c1 = startRawClient("CONSUMER1");
    if (!raw_p2 || !raw_c1 || !startPropagationSites()) {
      return false;
    }
    std::vector<size_t> marks;
    for (const auto& s : sites_) {
      marks.push_back(logs_.count(s->log));
    }
    const int first_measured = published_ + kWarmupPublishes;
    std::mt19937 rng(5011);
    std::vector<PublishSample> samples;
    int misses = 0;
    const auto start = Clock::now();
    for (int i = 0; i < kWarmupPublishes + options_.publishes; ++i) {
      if (Clock::now() >= deadline_) {
        std::fprintf(stderr, "time budget of %lld s used up after %d publishes\n",
                     static_cast<long long>(options_.budget.count()), i);
        return false;
      }
      if (!measureOnePublish(samples)) {
        return false;
      }
      const auto& last = samples.back();
      const bool complete = std::all_of(last.applied_ms.begin(), last.applied_ms.end(),
                                        [](const auto& v) { return v.has_value(); });
      misses = complete ? 0 : misses + 1;
      if (misses >= kMaxConsecutiveMisses) {
        std::fprintf(stderr, "agents stopped applying; giving up after publish %d\n", i);
        for (const auto& s : sites_) {
          printProblems(logs_, *s, 0);
        }
        return false;
      }
      std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<int>(100, 300)(rng)));
    }
    const double phase_s = msSince(start) / 1000;
    std::this_thread::sleep_for(milliseconds(300));
    raw_p2->stop();
    raw_c1->stop();
    samples.erase(samples.begin(), samples.begin() + kWarmupPublishes);
    collectPropagation(samples, rawLatencies(raw_p2->readOutput()),
                       rawLatencies(raw_c1->readOutput()), first_measured);
    std::printf("    %zu publishes measured in %.0f s\n", samples.size(), phase_s);
    for (size_t i = 0; i < sites_.size(); ++i) {
      printProblems(logs_, *sites_[i], marks[i]);
    }

    // Baseline (b): Unbound's bare reload on the consumer's Unbound, its agent stopped first.
    for (auto& s : sites_) {
      s->agent->stop(milliseconds(60000));
    }
    bare_reload_ = timeReloads(*sites_[1]->unbound, net_.corp().probe, kReloadRuns, seconds(10));
    if (!bare_reload_.error.empty()) {
      std::fprintf(stderr, "bare reload: %s\n", bare_reload_.error.c_str());
      return false;
    }
    for (auto& s : sites_) {
      s->unbound->stop();
    }
    std::fflush(stdout);
    return true;
  }

  void collectPropagation(const std::vector<PublishSample>& samples,
                          const std::map<int, double>& raw_p2, const std::map<int, double>& raw_c1,
                          int first_measured) {
    const size_t n = samples.size();
    std::vector<double> ack;
    std::vector<double> writer;
    std::vector<double> all_applied;
    std::vector<double> last_applied;
    std::vector<double> all_status;
    for (const auto& s : samples) {
      ack.push_back(s.ack_ms);
      writer.insert(writer.end(), s.writer_ms.begin(), s.writer_ms.end());
      double slowest = 0;
      bool complete = true;
      for (const auto& v : s.applied_ms) {
        if (v) {
          all_applied.push_back(*v);
          slowest = std::max(slowest, *v);
        } else {
          complete = false;
        }
      }
      if (complete) {
        last_applied.push_back(slowest);
      }
      for (const auto& v : s.status_ms) {
        if (v) {
          all_status.push_back(*v);
        }
      }
    }
    const auto raw = [&](const std::map<int, double>& m) {
      std::vector<double> v;
      for (const auto& [seq, ms] : m) {
        if (seq >= first_measured && seq < first_measured + static_cast<int>(n)) {
          v.push_back(ms);
        }
      }
      return v;
    };
    propagation_rows_.push_back({"publisher: add on provider1 acknowledged", summarize(ack, n)});
    propagation_rows_.push_back(
        {"baseline: ldap_sync_* client on provider2", summarize(raw(raw_p2), n)});
    propagation_rows_.push_back(
        {"baseline: ldap_sync_* client on consumer1", summarize(raw(raw_c1), n)});
    for (size_t i = 0; i < sites_.size(); ++i) {
      std::vector<double> v;
      for (const auto& s : samples) {
        if (s.applied_ms[i]) {
          v.push_back(*s.applied_ms[i]);
        }
      }
      propagation_rows_.push_back({sites_[i]->label + ": applied+verified", summarize(v, n)});
    }
    propagation_rows_.push_back(
        {"all three: applied+verified, pooled", summarize(all_applied, 3 * n)});
    propagation_rows_.push_back(
        {"all three: applied+verified, last of three", summarize(last_applied, n)});
    propagation_rows_.push_back(
        {"  of which the writer's apply (duration_ms)", summarize(writer, 3 * n)});
    // What the agent spends before its writer starts: sync, debounce, poll slices, decide.
    for (size_t i = 0; i < sites_.size(); ++i) {
      std::vector<double> v;
      for (const auto& s : samples) {
        if (s.applied_ms[i] && s.site_writer_ms[i]) {
          v.push_back(*s.applied_ms[i] - *s.site_writer_ms[i]);
        }
      }
      propagation_rows_.push_back(
          {"  " + sites_[i]->label + ": before the writer", summarize(v, n)});
    }
    for (size_t i = 0; i < sites_.size(); ++i) {
      std::vector<double> v;
      for (const auto& s : samples) {
        if (s.status_ms[i]) {
          v.push_back(*s.status_ms[i]);
        }
      }
      propagation_rows_.push_back(
          {sites_[i]->label + ": status entry on provider1", summarize(v, n)});
    }
    propagation_rows_.push_back(
        {"all three: status entry on provider1, pooled", summarize(all_status, 3 * n)});
  }

  // ---- Step 2 ----

  bool bulkLoad() {
    const size_t n = options_.trust_points;
    std::printf(
        "[2] scale: loading %zu trust points with one DS anchor each (slapadd -q -w into "
        "the stopped topology)\n",
        n);
    std::fflush(stdout);
    status_.reset();
    publisher_.reset();
    const std::string ldif = topo_.dir() + "/bulk.ldif";
    auto t = Clock::now();
    if (!writeBulkLdif(ldif, n, layout_, topo_.var("PUBLISHER_DN"))) {
      std::fprintf(stderr, "cannot write %s\n", ldif.c_str());
      return false;
    }
    char buf[160];
    std::snprintf(buf, sizeof(buf), "generate LDIF %.0f ms (%.0f MiB)", msSince(t),
                  static_cast<double>(std::filesystem::file_size(ldif)) / 1048576.0);
    std::string timings = buf;
    t = Clock::now();
    if (shell("bash " + script() + " stop " + topoState() + " >> " + topo_.dir() +
              "/stop.log 2>&1") != 0) {
      std::fprintf(stderr, "topology did not stop\n");
      return false;
    }
    std::snprintf(buf, sizeof(buf), ", stop %.0f ms, slapadd", msSince(t));
    timings += buf;
    for (const char* instance : {"provider1", "provider2", "consumer1"}) {
      t = Clock::now();
      if (shell("slapadd -q -w -F " + topoState() + "/" + instance + "/slapd.d -b " +
                layout_.root() + " -l " + ldif + " >> " + topo_.dir() + "/slapadd.log 2>&1") != 0) {
        std::fprintf(stderr, "slapadd into %s failed; see %s/slapadd.log\n", instance,
                     topo_.dir().c_str());
        shell("bash " + script() + " start " + topoState() + " >> " + topo_.dir() +
              "/start.log 2>&1");
        return false;
      }
      std::snprintf(buf, sizeof(buf), " %s %.0f ms", instance, msSince(t));
      timings += buf;
    }
    std::filesystem::remove(ldif);
    t = Clock::now();
    if (shell("bash " + script() + " start " + topoState() + " >> " + topo_.dir() +
              "/start.log 2>&1") != 0) {
      std::fprintf(stderr, "topology did not restart; see %s/start.log\n", topo_.dir().c_str());
      return false;
    }
    std::snprintf(buf, sizeof(buf), ", start %.0f ms", msSince(t));
    timings += buf;
    scale_.load = timings;
    std::printf("    %s\n", timings.c_str());
    std::fflush(stdout);
    bulk_ = n;
    publisher_ = openPublisher();
    if (!publisher_) {
      return false;
    }
    status_ = std::make_unique<StatusWatcher>(topo_.publisher(uri("PROVIDER1")), layout_);
    return status_->waitReady(until(seconds(60)));
  }

  uintmax_t stateBytes(const AgentSite& s) const {
    uintmax_t total = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(s.stateDir(), ec)) {
      total += e.is_regular_file() ? e.file_size() : 0;
    }
    return total;
  }

  // Start of the scale agent: first refresh, first apply, status, peak memory.
  bool measureFirstApply(AgentSite& s) {
    const std::string before = status_->digest(s.server);
    const size_t mark = logs_.count(s.log);
    const auto start = Clock::now();
    if (!startAgent(s, options_.agent)) {
      return false;
    }
    const auto deadline = std::min(start + kScaleStepTimeout, deadline_);
    const auto refreshed = logs_.waitFor(s.log, mark, refreshedScope(layout_.root()), deadline);
    if (!refreshed) {
      std::fprintf(stderr, "the scale agent did not refresh\n");
      printProblems(logs_, s, mark);
      return false;
    }
    scale_.refresh_ms = msBetween(start, refreshed->seen);
    scale_.refresh_entries = refreshed->get("entries");
    scale_.refresh_messages = refreshed->get("messages");
    const auto applied = logs_.waitFor(s.log, mark, appliedWith(expectedAnchors()), deadline);
    if (!applied) {
      std::fprintf(stderr, "the scale agent did not apply %zu anchors\n", expectedAnchors());
      printProblems(logs_, s, mark);
      return false;
    }
    scale_.first_apply_ms = msBetween(start, applied->seen);
    scale_.first_apply_writer_ms = std::atof(applied->get("duration_ms").c_str());
    const auto status = status_->waitChange(s.server, before, deadline);
    scale_.first_status_ms = status ? msBetween(start, *status) : NAN;
    waitIdle(s.agent->pid(), left(seconds(300)));
    scale_.first_cpu_ms = processCpuMs(s.agent->pid());
    scale_.first_hwm_kib = statusKib(s.agent->pid(), "VmHWM");
    scale_.state_bytes = stateBytes(s);
    std::printf(
        "    first start: refreshed after %.0f ms (entries=%s messages=%s), applied and verified "
        "%zu anchors after %.0f ms (writer %.0f ms), status entry after %.0f ms; CPU %.0f ms, "
        "VmHWM %s, state files %.1f MiB\n",
        scale_.refresh_ms, scale_.refresh_entries.c_str(), scale_.refresh_messages.c_str(),
        expectedAnchors(), scale_.first_apply_ms, scale_.first_apply_writer_ms,
        scale_.first_status_ms, scale_.first_cpu_ms, formatMib(scale_.first_hwm_kib).c_str(),
        static_cast<double>(scale_.state_bytes) / 1048576.0);
    printProblems(logs_, s, mark);
    std::fflush(stdout);
    return true;
  }

  // Unbound's reload and checker with the full anchor file; the agent is idle meanwhile.
  bool measureUnboundAtScale(AgentSite& s) {
    scale_.reloads =
        timeReloads(*s.unbound, net_.corp().probe, kScaleReloadRuns, left(seconds(300)));
    if (!scale_.reloads.error.empty()) {
      std::fprintf(stderr, "reload at scale: %s\n", scale_.reloads.error.c_str());
      return false;
    }
    const auto start = Clock::now();
    auto r = writers::runCommand({"unbound-checkconf", s.unbound->directory() + "/unbound.conf"},
                                 left(seconds(300)));
    scale_.checkconf_ms = msSince(start);
    if (!r || !r->success()) {
      std::fprintf(stderr, "unbound-checkconf: %s\n",
                   r ? r->output.c_str() : r.error().toString().c_str());
      return false;
    }
    std::printf(
        "    Unbound with %zu anchors: bare reload x%d command median %.0f ms, to first AD "
        "answer median %.0f ms; unbound-checkconf %.0f ms\n",
        expectedAnchors(), kScaleReloadRuns, median(scale_.reloads.command_ms),
        median(scale_.reloads.validated_ms), scale_.checkconf_ms);
    std::fflush(stdout);
    return true;
  }

  // The file events of one change, from the add at `start` on.
  ChangeSteps stepsOf(const AgentSite& s, Clock::time_point start) const {
    const std::string anchor_file =
        std::filesystem::path(s.unbound->writerSettings().anchor_file).filename().string();
    const std::string checker = "anchorage-unbound-check-";
    ChangeSteps c;
    // The forest scope's file, named as the agent names it: "scope-" and 12 hex digits of the
    // SHA-256 of the scope's base (the domain scope's small file is saved too, and is not it).
    const std::string base = layout_.root();
    const auto hash = util::digest("sha256", {base.begin(), base.end()});
    const std::string mirror =
        "scope-" + util::encodeHex({hash.begin(), hash.begin() + 6}, false) + ".json";
    c.mirror_built = files_.firstAfter(start, IN_CREATE, mirror + ".tmp");
    c.mirror_saved = files_.firstAfter(start, IN_MOVED_TO, mirror, true);
    c.check_started = files_.firstAfter(start, IN_CREATE, checker);
    c.check_done = files_.firstAfter(start, IN_DELETE, checker);
    c.anchor_file = files_.firstAfter(start, IN_MOVED_TO, anchor_file, true);
    c.applied_saved = files_.firstAfter(start, IN_MOVED_TO, "applied.json", true);
    return c;
  }

  static std::string formatSteps(const ChangeSteps& c) {
    char buf[480];
    std::snprintf(buf, sizeof(buf),
                  "received %.0f, mirror JSON built %.0f, mirror saved %.0f, writer started %.0f, "
                  "checker %.0f-%.0f, anchor file %.0f, applied %.0f (agent CPU %.0f), "
                  "applied.json %.0f, status %.0f",
                  c.received, c.mirror_built, c.mirror_saved, c.writer_started, c.check_started,
                  c.check_done, c.anchor_file, c.applied, c.cpu_to_applied, c.applied_saved,
                  c.status);
    return buf;
  }

  // The median of each step over the changes.
  static ChangeSteps medianSteps(const std::vector<ChangeSteps>& all) {
    const auto med = [&](double ChangeSteps::*field) {
      std::vector<double> v;
      for (const auto& c : all) {
        if (!std::isnan(c.*field)) {
          v.push_back(c.*field);
        }
      }
      return median(v);
    };
    ChangeSteps m;
    for (auto field :
         {&ChangeSteps::received, &ChangeSteps::mirror_built, &ChangeSteps::mirror_saved,
          &ChangeSteps::writer_started, &ChangeSteps::check_started, &ChangeSteps::check_done,
          &ChangeSteps::anchor_file, &ChangeSteps::applied, &ChangeSteps::applied_saved,
          &ChangeSteps::status, &ChangeSteps::cpu_to_applied}) {
      m.*field = med(field);
    }
    return m;
  }

  // kScaleChanges single-anchor publishes, each from an idle agent, cut into steps by the file
  // events and a plain ldap_sync_* client on the agent's server.
  bool measureChangesAtScale(AgentSite& s) {
    auto raw = startRawClient("PROVIDER2", left(seconds(300)));
    if (!raw) {
      return false;
    }
    // The plain client has been seen to miss or delay an add made right after its refresh.
    std::this_thread::sleep_for(seconds(1));
    for (int i = 0; i < kScaleChanges; ++i) {
      const std::string before = status_->digest(s.server);
      const size_t mark = logs_.count(s.log);
      const double cpu_before = processCpuMs(s.agent->pid());
      const int seq = published_;
      const auto start = Clock::now();
      if (!publishNext()) {
        return false;
      }
      const auto deadline = std::min(start + kScaleStepTimeout, deadline_);
      const auto applied = logs_.waitFor(s.log, mark, appliedWith(expectedAnchors()), deadline);
      const double cpu_at_applied = processCpuMs(s.agent->pid());
      if (!applied) {
        std::fprintf(stderr, "change %d was not applied\n", i);
        printProblems(logs_, s, mark);
        return false;
      }
      scale_.change_ms.push_back(msBetween(start, applied->seen));
      scale_.change_writer_ms.push_back(std::atof(applied->get("duration_ms").c_str()));
      const auto status = status_->waitChange(s.server, before, deadline);
      if (status) {
        scale_.change_status_ms.push_back(msBetween(start, *status));
      }
      waitIdle(s.agent->pid(), left(seconds(300)));
      scale_.change_cpu_ms.push_back(processCpuMs(s.agent->pid()) - cpu_before);
      ChangeSteps c = stepsOf(s, start);
      c.seq = seq;
      c.applied = scale_.change_ms.back();
      c.writer_started = c.applied - scale_.change_writer_ms.back();
      c.status = status ? scale_.change_status_ms.back() : NAN;
      c.cpu_to_applied = cpu_at_applied - cpu_before;
      scale_.change_steps.push_back(c);
      std::printf(
          "    change %d: applied and verified after %.0f ms (writer %.0f ms), status entry "
          "after %.0f ms; agent CPU %.0f ms until idle\n",
          i + 1, c.applied, scale_.change_writer_ms.back(), c.status, scale_.change_cpu_ms.back());
      std::fflush(stdout);
    }
    raw->stop();
    const auto received = rawLatencies(raw->readOutput());
    for (size_t i = 0; i < scale_.change_steps.size(); ++i) {
      auto& c = scale_.change_steps[i];
      if (const auto it = received.find(c.seq); it != received.end()) {
        c.received = it->second;
      }
      std::printf("    change %zu steps, ms after the add: %s\n", i + 1, formatSteps(c).c_str());
    }
    scale_.hwm_kib = statusKib(s.agent->pid(), "VmHWM");
    return true;
  }

  // Stop (the state is saved on the way out) and start again from the saved state and cookie.
  bool measureRestart(AgentSite& s) {
    auto start = Clock::now();
    const auto status = s.agent->stop(seconds(300));
    scale_.stop_ms = msSince(start);
    if (!status.success()) {
      std::fprintf(stderr, "the scale agent exited with %d\n", status.code);
      return false;
    }
    const size_t mark = logs_.count(s.log);
    start = Clock::now();
    if (!startAgent(s, options_.agent)) {
      return false;
    }
    const auto deadline = std::min(start + kScaleStepTimeout, deadline_);
    const auto applied = logs_.waitFor(s.log, mark, appliedWith(expectedAnchors()), deadline);
    const auto refreshed = logs_.waitFor(s.log, mark, refreshedScope(layout_.root()), deadline);
    if (!applied || !refreshed) {
      std::fprintf(stderr, "the restarted agent did not %s\n", applied ? "refresh" : "apply");
      printProblems(logs_, s, mark);
      return false;
    }
    const auto started = logs_.waitFor(
        s.log, mark,
        [](const LogLine& l) { return l.is("Directory sync started") && l.get("resume") == "yes"; },
        deadline);
    scale_.restart_load_ms = started ? msBetween(start, started->seen) : NAN;
    scale_.restart_ready_ms = msBetween(start, applied->seen);
    scale_.restart_writer_ms = std::atof(applied->get("duration_ms").c_str());
    scale_.restart_changed = applied->get("changed");
    scale_.restart_refresh_ms = msBetween(start, refreshed->seen);
    scale_.restart_messages = refreshed->get("messages");
    scale_.restart_entries = refreshed->get("entries");
    waitIdle(s.agent->pid(), left(seconds(300)));
    scale_.restart_hwm_kib = statusKib(s.agent->pid(), "VmHWM");
    std::printf(
        "    restart: stop (with the state save) %.0f ms; resumed sync started after %.0f ms, "
        "refreshed after %.0f ms (messages=%s entries=%s), first apply after %.0f ms "
        "(changed=%s, writer %.0f ms); VmHWM %s\n",
        scale_.stop_ms, scale_.restart_load_ms, scale_.restart_refresh_ms,
        scale_.restart_messages.c_str(), scale_.restart_entries.c_str(), scale_.restart_ready_ms,
        scale_.restart_changed.c_str(), scale_.restart_writer_ms,
        formatMib(scale_.restart_hwm_kib).c_str());
    printProblems(logs_, s, mark);
    std::fflush(stdout);
    return true;
  }

  bool measureScale() {
    if (!bulkLoad()) {
      return false;
    }
    AgentTuning tuning;
    tuning.writer_timeout = "300s";
    tuning.verify_timeout = "60s";
    tuning.liveness = "30s";
    tuning.operation = "60s";
    auto site = makeSite("scale agent on provider2", 2, uri("PROVIDER2"), tuning);
    if (!site) {
      return false;
    }
    sites_.push_back(std::move(site));
    AgentSite& s = *sites_.back();
    files_.watch(s.stateDir());
    files_.watch(s.tmpDir());
    files_.watch(
        std::filesystem::path(s.unbound->writerSettings().anchor_file).parent_path().string());
    std::printf("    one agent on provider2 with its own Unbound; writer timeout %s\n",
                tuning.writer_timeout.c_str());
    std::fflush(stdout);
    const bool ok = measureFirstApply(s) && measureUnboundAtScale(s) && measureChangesAtScale(s) &&
                    measureRestart(s);
    s.agent->stop(seconds(300));
    s.unbound->stop();
    scale_done_ = ok;
    return ok;
  }

  // ---- Summary ----

  void printSummary() const {
    std::printf("\n== anchorage-agent benchmark (loopback, 2 cores shared with other work) ==\n");
    std::printf("load average (1/5/15 min): %s at the start, %s after step 1, %s at the end\n",
                load_start_.c_str(), load_middle_.c_str(), load_end_.c_str());
    if (!propagation_rows_.empty()) {
      std::printf(
          "1. Propagation, ms from the add on provider1; end point of an agent: its log line "
          "\"%s\"\n   (checked, written, reloaded, flushed, probe answered with AD=1); "
          "debounce 200 ms (default)\n",
          kAppliedMessage);
      std::printf("  %-48s %8s %8s %8s\n", "", "p50", "p99", "max");
      for (const auto& [label, summary] : propagation_rows_) {
        std::printf("  %-48s %s\n", label.c_str(), formatSummary(summary).c_str());
      }
      std::printf("  %-48s median %.1f  p95 %.1f  (n=%zu)\n",
                  "Unbound bare reload: unbound-control returns", median(bare_reload_.command_ms),
                  p95(bare_reload_.command_ms), bare_reload_.command_ms.size());
      std::printf("  %-48s median %.1f  p95 %.1f  (n=%zu)\n",
                  "Unbound bare reload: until the probe has AD=1",
                  median(bare_reload_.validated_ms), p95(bare_reload_.validated_ms),
                  bare_reload_.validated_ms.size());
    }
    if (scale_done_) {
      const auto& f = scale_;
      std::printf(
          "2. Scale: %zu trust points + %d other anchors in one scope (%zu anchors), "
          "one agent + Unbound on provider2\n",
          bulk_, published_ + 1, bulk_ + published_ + 1);
      const auto row = [](const char* label, const std::string& value) {
        std::printf("  %-48s %s\n", label, value.c_str());
      };
      row("bulk load", f.load);
      row("first start: sync refreshed", formatMs(f.refresh_ms) + " (entries " + f.refresh_entries +
                                             ", messages " + f.refresh_messages + ")");
      row("first start: applied and verified",
          formatMs(f.first_apply_ms) + " (writer " + formatMs(f.first_apply_writer_ms) + ")");
      row("first start: status entry on provider1", formatMs(f.first_status_ms));
      row("first start: agent CPU until idle", formatMs(f.first_cpu_ms));
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(f.state_bytes) / 1048576.0);
      row("state files (sync mirror + applied set)", buf);
      row("Unbound at this size: bare reload, command",
          "median " + formatMs(median(f.reloads.command_ms)) + ", p95 " +
              formatMs(p95(f.reloads.command_ms)));
      row("Unbound at this size: reload to AD answer",
          "median " + formatMs(median(f.reloads.validated_ms)) + ", p95 " +
              formatMs(p95(f.reloads.validated_ms)));
      row("Unbound at this size: unbound-checkconf", formatMs(f.checkconf_ms));
      std::string changes;
      for (double ms : f.change_ms) {
        changes += (changes.empty() ? "" : ", ") + formatMs(ms);
      }
      row("one changed anchor: applied and verified",
          "median " + formatMs(median(f.change_ms)) + " [" + changes + "]");
      row("one changed anchor: writer's apply", "median " + formatMs(median(f.change_writer_ms)));
      row("one changed anchor: status entry on provider1",
          "median " + formatMs(median(f.change_status_ms)));
      row("one changed anchor: agent CPU until idle",
          "median " + formatMs(median(f.change_cpu_ms)));
      row("one changed anchor: steps, median ms after add",
          formatSteps(medianSteps(f.change_steps)));
      row("peak RSS (VmHWM): first start / after changes",
          formatMib(f.first_hwm_kib) + " / " + formatMib(f.hwm_kib));
      row("restart: stop incl. state save", formatMs(f.stop_ms));
      row("restart: resumed sync started (state loaded)", formatMs(f.restart_load_ms));
      row("restart: sync refreshed", formatMs(f.restart_refresh_ms) + " (messages " +
                                         f.restart_messages + ", entries " + f.restart_entries +
                                         ")");
      row("restart: ready (first apply)", formatMs(f.restart_ready_ms) +
                                              " (changed=" + f.restart_changed + ", writer " +
                                              formatMs(f.restart_writer_ms) + ")");
      row("restart: peak RSS (VmHWM)", formatMib(f.restart_hwm_kib));
    }
    std::fflush(stdout);
  }

  TopologyEnvironment& topo_;
  TestNetwork& net_;
  Options options_;
  ScopeLayout layout_;
  LogWatcher logs_;
  std::unique_ptr<directory::Session> publisher_;
  std::unique_ptr<StatusWatcher> status_;
  std::vector<std::unique_ptr<AgentSite>> sites_;
  Clock::time_point deadline_;  ///< End of the time budget: every wait ends by then.
  FileEvents files_;
  int published_ = 0;  ///< Test anchors published so far.
  size_t bulk_ = 0;    ///< Bulk trust points loaded.
  std::vector<std::pair<std::string, Summary>> propagation_rows_;
  ReloadFigures bare_reload_;
  ScaleFigures scale_;
  bool scale_done_ = false;
  std::string load_start_;
  std::string load_middle_;
  std::string load_end_;
};

int usage(const char* program) {
  std::fprintf(stderr,
               "usage: %s [--trust-points N] [--publishes N] [--budget SECONDS] [--agent PATH] "
               "[--raw-client PATH] [--only propagation|scale]\n",
               program);
  return 64;
}

}  // namespace
}  // namespace anchorage::bench

int main(int argc, char** argv) {
  using anchorage::bench::Options;
  Options options;
  options.raw_client =
      (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "bench_raw_sync_client")
          .string();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) {
      return anchorage::bench::usage(argv[0]);
    }
    const std::string value = argv[++i];
    if (arg == "--trust-points") {
      options.trust_points = std::strtoull(value.c_str(), nullptr, 10);
    } else if (arg == "--publishes") {
      options.publishes = std::atoi(value.c_str());
    } else if (arg == "--budget") {
      options.budget = std::chrono::seconds(std::atoi(value.c_str()));
    } else if (arg == "--agent") {
      options.agent = value;
    } else if (arg == "--raw-client") {
      options.raw_client = value;
    } else if (arg == "--only" && (value == "propagation" || value == "scale")) {
      options.propagation = value == "propagation";
      options.scale = value == "scale";
    } else {
      return anchorage::bench::usage(argv[0]);
    }
  }
  if (options.trust_points == 0 || options.publishes <= 0 || options.budget.count() <= 0) {
    return anchorage::bench::usage(argv[0]);
  }
  const auto start = std::chrono::steady_clock::now();
  std::printf(
      "bench_agent: topology on 127.0.0.1:%d-%d, %d publishes, %zu trust points; agent %s\n",
      anchorage::bench::kBasePort, anchorage::bench::kBasePort + 5, options.publishes,
      options.trust_points, options.agent.c_str());
  std::fflush(stdout);
  auto net = anchorage::resolvertest::TestNetwork::create();
  if (!net) {
    std::fprintf(stderr, "test network: %s\n", net.error().toString().c_str());
    return 1;
  }
  anchorage::testing::TopologyEnvironment topo(anchorage::bench::kBasePort);
  topo.SetUp();
  if (topo.var("PROVIDER1_URI").empty()) {
    std::fprintf(stderr, "the topology did not start\n");
    topo.TearDown();
    return 1;
  }
  bool ok = false;
  {
    anchorage::bench::AgentBench bench(topo, **net, options);
    ok = bench.run();
  }
  if (!ok) {
    // Recorded as a GoogleTest failure so that TearDown keeps the topology and the agents' logs.
    ADD_FAILURE() << "bench_agent: a step failed; logs are kept in " << topo.dir();
  }
  topo.TearDown();
  std::printf("bench_agent: wall time %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return ok ? 0 : 1;
}
