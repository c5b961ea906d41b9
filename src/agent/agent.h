// SPDX-License-Identifier: Apache-2.0
//
// anchorage-agent's run loop (DESIGN §4): one RFC 4533 sync per scope, the policy step, the
// resolver writers, the status entry, metrics and systemd notification.
//
// Failure posture: the last applied resolver configuration stays in place whenever anything goes
// wrong. The agent applies only from content it has seen from the directory (in this run, or
// saved in the state directory by an earlier one), so a directory that is down at start, or goes
// away, never produces an empty set. A failed apply is retried with backoff; a failing writer does
// not stop the others. State files (sync mirror and cookie per scope, the applied set) are
// replaced atomically, so a kill at any moment leaves the old or the new state.

#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/metrics.h"
#include "agent/policy.h"
#include "agent/refresher.h"
#include "config/config.h"
#include "directory/operations.h"
#include "directory/sync.h"
#include "formats/anchor_signature.h"
#include "util/log.h"
#include "util/result.h"
#include "writers/writer.h"

namespace anchorage::agent {

/// Translates one `resolvers` entry of the configuration into writer settings.
Result<writers::WriterSettings> writerSettings(const config::ResolverConfig& resolver);

/// Translates the directory part of the configuration into session settings for `uris`.
directory::SessionSettings sessionSettings(const config::DirectoryConfig& directory,
                                           const std::vector<config::LdapUri>& uris);

/// Why run() returned.
enum class RunExit { kStopped, kReload };

/// The agent of one DNS server.
class Agent {
 public:
  /// Builds the agent: creates the state directory, loads saved state, builds every writer and,
  /// when configured, starts the metrics endpoint. Errors: a writer that cannot be built (kConfig),
  /// an unusable state directory (kIo), a metrics address in use (kUnavailable).
  static Result<std::unique_ptr<Agent>> create(const config::Config& config,
                                               std::shared_ptr<util::LogSink> sink);

  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  /// Runs until `stop` is set (returns kStopped) or `reload` is set (returns kReload, with
  /// `reload` cleared). Notifies systemd (READY, WATCHDOG, STATUS) when run under it.
  RunExit run(std::atomic<bool>& stop, std::atomic<bool>& reload);

  /// Syncs every scope until refreshed, applies once and reports. Errors: a scope did not refresh
  /// within `timeout` (kUnavailable), or an apply failed (the writer's error).
  Result<void> runOnce(std::chrono::milliseconds timeout);

  const Metrics& metrics() const { return *metrics_; }

 private:
  struct ScopeState;
  struct AdScopeWatch;
  /// The newest directory change seen by an apply, for the propagation metric: its
  /// modifyTimestamp (whole seconds) and the content entries (entryUUID) modified in that second.
  struct ChangeMark {
    std::string time;
    std::set<std::string> uuids;
  };

  Agent(config::Config config, std::shared_ptr<util::LogSink> sink);
  bool discoverScopes();
  bool pollScopes(std::chrono::milliseconds wait);
  /// One round of an AD scope: DirSync poll when due, whole-zone read when something changed or
  /// the reconciliation is due. True when the zone's content changed.
  bool pollAdScope(ScopeState& st);
  void saveScopes(bool force);
  bool haveContent() const;
  Result<void> apply(bool force);
  void writeStatus(const Decision& decision, const std::vector<std::string>& results,
                   const std::string& error);
  /// Writes the pending status entry to every Anchorage scope; keeps it for a retry when that
  /// fails. AD has no place for it: status.json in the state directory has it for every scope.
  void pushStatus();
  /// Writes status.json in the state directory.
  void writeLocalStatus(const directory::AgentStatus& status, const Decision& decision);
  void notify(const std::string& text) const;
  /// Runs the RFC 5011 refresher in every scope when it has something to do.
  void refreshTrustPoints(bool changed);
  /// Checks anchors against verifier_, remembering the good ones.
  SignatureCheck signatureCheck();
  /// The session on a provider for writes (status, refresher), opened when first needed.
  directory::Session* writeSession();
  bool noteChange(const ChangeMark& seen);

  config::Config config_;
  std::shared_ptr<util::LogSink> sink_;
  util::Logger log_;
  std::unique_ptr<Metrics> metrics_;
  std::vector<std::unique_ptr<writers::Writer>> writers_;
  std::vector<std::unique_ptr<ScopeState>> scopes_;
  bool scopes_known_ = false;
  std::chrono::steady_clock::time_point next_discovery_{};
  std::optional<AppliedSet> applied_;
  std::string applied_digest_path_;
  std::optional<std::string> last_tried_digest_;
  std::string last_report_key_;            ///< Hold reason and quarantined DNs last reported.
  std::vector<std::string> last_results_;  ///< Per-writer results of the last apply.
  bool ready_sent_ = false;
  /// The status entry of the last report while it is not yet written to every scope, and when to
  /// try again (a provider can go away between the session and the write).
  std::optional<directory::AgentStatus> unwritten_status_;
  std::chrono::steady_clock::time_point status_retry_at_{};
  std::chrono::milliseconds status_retry_delay_{0};
  ChangeMark newest_change_;  ///< Newest change already applied or already seen as no change.
  std::vector<ScopeInput> scope_contents_;  ///< Each scope's content at the last apply.
  std::unique_ptr<Refresher> refresher_;    ///< Null when rfc5011.enabled is false.
  model::Time next_refresh_step_{};         ///< When the refresher has something to do next.
  std::unique_ptr<directory::Session> write_session_;
  /// trusted_publishers, when configured: anchors must carry a signature by one of them.
  std::optional<formats::AnchorVerifier> verifier_;
  /// Signatures already checked and found good ("<signed text>\n<signature>"): an apply at
  /// 100,000 anchors checks each one once, not every time.
  std::set<std::string> verified_;
};

}  // namespace anchorage::agent
