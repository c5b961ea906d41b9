// SPDX-License-Identifier: Apache-2.0
//
// RFC 4533 content synchronisation of one scope (one naming context), refreshAndPersist mode,
// spoken directly over libldap's asynchronous search and lber rather than through the
// ldap_sync_* helper: that helper blocks through the whole refresh phase, drops whether a refresh
// ended in present or delete mode (which decides what the client must delete, RFC 4533 §3.3.1),
// and keeps the last cookie verbatim, which with several providers turns every resume into a full
// reload (see cookie.h).
//
// The client keeps a mirror of the scope's entries keyed by entryUUID plus the merged cookie;
// together they are the SyncState that the caller persists, so a restart resumes with a delta.
// Failure posture: on any connection or protocol failure the mirror stays as it was, the session
// is dropped, and the next poll reconnects (through the URI list, with backoff and jitter). A
// server that stops answering (SIGSTOP, a hung host) is noticed by a heartbeat search on the same
// connection within the configured liveness time.

#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "directory/cookie.h"
#include "directory/session.h"
#include "util/log.h"
#include "util/result.h"

namespace anchorage::directory {

/// What to synchronise and how patiently.
struct SyncSettings {
  std::string base;  ///< The scope's naming context.
  std::string filter = "(objectClass=*)";
  std::vector<std::string> attributes = {"*", "modifyTimestamp"};
  std::chrono::milliseconds liveness{30000};  ///< Max silence before the server is dropped.
  std::chrono::milliseconds reconnect_min{500};
  std::chrono::milliseconds reconnect_max{30000};
};

/// What survives a restart: the merged cookie and the mirrored entries by entryUUID.
struct SyncState {
  std::string cookie;
  std::map<std::string, Entry> entries;
};

/// Saves `state` atomically as JSON (values that are not UTF-8 are stored in base64).
Result<void> saveSyncState(const std::string& path, const SyncState& state);

/// Loads a state saved by saveSyncState(); kNotFound when the file does not exist.
Result<SyncState> loadSyncState(const std::string& path);

/// Connection phase of a ScopeSync.
enum class SyncPhase { kDisconnected, kRefreshing, kPersisting };

/// "disconnected", "refreshing", "persisting".
const char* syncPhaseName(SyncPhase phase);

/// What one poll() changed and saw.
struct SyncChanges {
  size_t upserted = 0;                      ///< Entries added or modified in the mirror.
  std::vector<std::string> upserted_uuids;  ///< Their entryUUIDs, in arrival order.
  size_t deleted = 0;                       ///< Entries removed from the mirror.
  size_t received = 0;                      ///< Sync messages processed.
  bool refresh_done = false;                ///< A refresh phase completed during this poll.
  bool cookie_moved = false;                ///< The cookie advanced (the state should be saved).

  bool changed() const { return upserted > 0 || deleted > 0; }
};

/// Counters and last error, for status and metrics.
struct SyncStatus {
  SyncPhase phase = SyncPhase::kDisconnected;
  std::string uri;                ///< Connected URI, empty when disconnected.
  uint64_t connects = 0;          ///< Successful connections, including the first.
  uint64_t failures = 0;          ///< Failed connection attempts and dropped sessions.
  uint64_t refreshes = 0;         ///< Completed refresh phases.
  uint64_t refresh_required = 0;  ///< Times the server refused our cookie (e-syncRefreshRequired).
  uint64_t entries_received = 0;
  std::optional<Error> last_error;
};

/// One scope's synchronisation. Not thread-safe; drive it from one thread with poll().
class ScopeSync {
 public:
  ScopeSync(SessionSettings session, SyncSettings sync, SyncState state, util::Logger log);
  ~ScopeSync();
  ScopeSync(const ScopeSync&) = delete;
  ScopeSync& operator=(const ScopeSync&) = delete;

  /// Connects when needed (respecting the backoff), then waits up to `wait` for the server;
  /// returns as soon as something arrived and everything already received is processed. Never
  /// throws and never returns an error: failures are in status().
  SyncChanges poll(std::chrono::milliseconds wait);

  /// Drops the connection (the mirror and cookie stay); the next poll reconnects.
  void disconnect();

  const SyncState& state() const { return state_; }
  const SyncStatus& status() const { return status_; }
  const SyncSettings& settings() const { return sync_; }

  /// True once a refresh phase has completed on the current or an earlier connection.
  bool everRefreshed() const { return status_.refreshes > 0; }

 private:
  using Clock = std::chrono::steady_clock;

  bool connect();
  void startSearch();
  void drop(Error reason, bool quick_retry);
  void handleMessage(void* msg, SyncChanges& changes);
  void handleEntry(void* msg, SyncChanges& changes);
  void handleIntermediate(void* msg, SyncChanges& changes);
  void handleSearchDone(void* msg, SyncChanges& changes);
  void endPresentPhase(SyncChanges& changes);
  void finishRefresh(SyncChanges& changes);
  void mergeCookie(const std::string& cookie, SyncChanges& changes);
  void replaceCookie(const std::string& cookie, SyncChanges& changes);
  void checkLiveness();

  SessionSettings session_settings_;
  SyncSettings sync_;
  SyncState state_;
  util::Logger log_;
  CookieVector cookie_;
  std::unique_ptr<Session> session_;
  int msgid_ = -1;
  int heartbeat_msgid_ = -1;
  Clock::time_point last_heard_{};
  Clock::time_point heartbeat_sent_{};
  Clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
  bool full_refresh_ = false;
  bool missing_present_ = false;  ///< The server listed present an entry the mirror lacks.
  std::set<std::string> seen_;    ///< UUIDs added or listed present during this refresh.
  SyncStatus status_;
  std::mt19937 rng_;
};

}  // namespace anchorage::directory
