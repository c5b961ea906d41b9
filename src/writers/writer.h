// SPDX-License-Identifier: Apache-2.0
//
// The resolver writers (DESIGN §4.5): each turns the anchor set a server should trust into one
// resolver family's native configuration and applies it without a restart. One apply() is:
// render; run the resolver's own checker on the candidate files; replace the files atomically
// (util::writeFileAtomic, keeping owner, group and mode); reload; flush the cached answers under
// every trust point or NTA that changed; verify with DO-bit queries (RFC 4035 §3.2.1) that every
// trust point with a probe name now validates (AD=1, RFC 4035 §3.2.3). Negative trust anchors
// follow RFC 7646.
//
// Failure posture: on any failure the last good resolver configuration stays in place. A checker
// failure means nothing was written; a failure after the write (reload, NTA, flush, verify)
// restores the previous files, reloads again, and returns an error naming the step and carrying
// the resolver's own message. Only Valid and Missing anchors (RFC 5011 §4.2) are rendered.

#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/anchor.h"
#include "model/name.h"
#include "model/nta.h"
#include "util/result.h"

namespace anchorage::writers {

/// Resolver families with a writer.
enum class ResolverType { kUnbound, kBind, kKnot, kPowerDns, kSystemdResolved };

/// "unbound", "bind", "knot", "powerdns", "systemd-resolved".
std::string_view resolverTypeName(ResolverType type);

/// Parses a name as resolverTypeName() gives it (also "named", "kresd", "pdns-recursor",
/// "resolved"). Errors: unknown name (kConfig, with the accepted names).
Result<ResolverType> parseResolverType(std::string_view text);

/// A negative trust anchor (RFC 7646): validation is off at and below `name` until `expires`.
/// Writers strip control characters from the reason and cap its length.
using NegativeTrustAnchor = model::NegativeTrustAnchor;

/// What a resolver should trust: anchors (only Valid and Missing ones are rendered) and NTAs.
/// Expired NTAs are the policy's business; writers render every NTA they are given.
struct AnchorSet {
  std::vector<model::TrustAnchor> anchors;
  std::vector<NegativeTrustAnchor> ntas;
};

/// Writer configuration; the YAML config module fills it. Commands are argv vectors run without a
/// shell. Placeholders: "{file}" in check_command (the candidate anchor file), "{zone}" in
/// flush_command (a trust point or NTA name with its trailing dot, "." for everything).
struct WriterSettings {
  ResolverType type = ResolverType::kUnbound;
  /// The file Anchorage owns: Unbound trust-anchor-file, BIND include, kresd manifest, PowerDNS Lua
  /// fragment, systemd-resolved *.positive file.
  std::string anchor_file;
  /// Unbound: include file with domain-insecure lines; systemd-resolved: the *.negative file.
  std::string nta_file;
  /// Argv prefix of the control tool: {"unbound-control", "-c", conf}, {"rndc", "-k", key, ...},
  /// {"rec_control", "--socket-dir=..."}. Empty: the tool with its defaults.
  std::vector<std::string> control_command;
  /// Replaces the built-in check. Empty: the writer's own (see each writer).
  std::vector<std::string> check_command;
  /// Replaces the built-in reload command.
  std::vector<std::string> reload_command;
  /// Replaces the built-in flush command; run once per changed name when it contains "{zone}",
  /// else once in all.
  std::vector<std::string> flush_command;
  /// kresd control socket, or the directory holding one socket per kresd process.
  std::string control_socket;
  /// Where verification queries go.
  std::string query_address = "127.0.0.1";
  uint16_t query_port = 53;
  /// Trust point name -> a name under it that resolves, queried with DO=1 to verify.
  std::map<std::string, std::string> probes;
  /// Bound for each command and each DNS query.
  std::chrono::milliseconds timeout{5000};
  /// Bound for the whole verification; probes are retried until it runs out.
  std::chrono::milliseconds verify_timeout{10000};
  /// Attributes of the written files; unset keeps those of the existing file (writeFileAtomic).
  std::optional<mode_t> file_mode;
  std::string file_owner;  ///< User name or number; empty keeps.
  std::string file_group;  ///< Group name or number; empty keeps.
  /// Loopback address for throwaway checker instances (kresd, PowerDNS).
  std::string checker_address = "127.0.0.1";
};

/// Options of one apply().
struct ApplyOptions {
  /// Render, check and diff only: nothing is written and the resolver is not touched.
  bool dry_run = false;
  /// Apply even when the rendered files equal the current ones.
  bool force = false;
};

/// The steps of apply(), for reports and error fields.
enum class ApplyStep { kNone, kRender, kCheck, kWrite, kReload, kNta, kFlush, kVerify };

/// "render", "check", "write", "reload", "nta", "flush", "verify" ("none" for kNone).
std::string_view applyStepName(ApplyStep step);

/// One verification query and what came back.
struct ProbeResult {
  std::string trust_point;
  std::string probe_name;
  bool validated = false;  ///< AD=1 with NOERROR or NXDOMAIN.
  std::string response;    ///< dns::Response::summary(), or the query error.
  int attempts = 0;
};

/// What apply() did. `result` holds the error of the failed step, with fields "step",
/// "resolver" and, where the resolver said something, "resolver_output".
struct ApplyReport {
  Result<void> result;
  ApplyStep failed_step = ApplyStep::kNone;
  bool dry_run = false;
  bool changed = false;                 ///< The rendered files differed from the current ones.
  bool rolled_back = false;             ///< The previous files were restored after a failure.
  std::optional<Error> rollback_error;  ///< Set when restoring failed too.
  std::string diff;                     ///< Unified diff of every file, old to new.
  std::vector<std::string> flushed;     ///< Names whose cached answers were flushed.
  std::vector<ProbeResult> probes;
  std::chrono::milliseconds duration{0};

  bool ok() const { return result.has_value(); }
};

/// One file a writer owns and its wanted content; nullopt means the file must not exist.
struct FileContent {
  std::string path;
  std::optional<std::string> content;
};

/// What a writer wrote last time, read back from the state comment in its main file: trust
/// point -> digest of its anchors, NTA name -> expiry (RFC 3339).
struct WrittenState {
  std::map<std::string, std::string> trust_points;
  std::map<std::string, std::string> ntas;
};

/// Source of the current time, injectable for tests.
using ClockFunction = std::function<model::Time()>;

/// Base of all writers: the apply() sequence is shared, each resolver supplies its syntax and
/// commands.
class Writer {
 public:
  virtual ~Writer() = default;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  /// The resolver family.
  ResolverType type() const { return settings_.type; }

  /// The settings this writer was built with.
  const WriterSettings& settings() const { return settings_; }

  /// Renders the resolver's native anchor file (settings().anchor_file). Errors: the set cannot be
  /// expressed in this resolver's syntax (kUnsupported), or the settings lack a needed path
  /// (kConfig, e.g. NTAs for Unbound without nta_file).
  virtual Result<std::string> render(const AnchorSet& set) const = 0;

  /// Every file this writer owns with its wanted content: the anchor file, and where the resolver
  /// needs them the NTA file or per-trust-point files. Errors as for render().
  virtual Result<std::vector<FileContent>> renderFiles(const AnchorSet& set) const;

  /// Renders, checks, writes, reloads, flushes and verifies as described at the top of this file.
  /// Never throws; the report says what happened.
  ApplyReport apply(const AnchorSet& set, const ApplyOptions& options = {});

 protected:
  /// `clock` defaults to the system clock.
  explicit Writer(WriterSettings settings, ClockFunction clock = {});

  /// Checks the candidate `files` (wanted content, real paths) before anything is written.
  /// Default: run check_command (or defaultCheckCommand()) with "{file}" replaced by a copy of the
  /// new anchor file written beside the real one; no check when both are empty.
  virtual Result<void> check(const AnchorSet& set, const std::vector<FileContent>& files) const;

  /// Makes the resolver load the written files. Default: run reload_command, or
  /// defaultReloadCommand() when that is empty; nothing when both are empty.
  virtual Result<void> reload() const;

  /// Applies NTAs that live outside the files (BIND: rndc nta). `before` is what the previous
  /// files held (nullopt: unknown). Default: nothing.
  virtual Result<void> applyNtas(const std::optional<WrittenState>& before,
                                 const WrittenState& after) const;

  /// Drops cached answers at and below each of `names` ("." = everything). Default: run
  /// flush_command (or defaultFlushCommand()) per name.
  virtual Result<void> flush(const std::vector<std::string>& names) const;

  /// Built-in check, reload and flush argv; empty means the step does nothing.
  virtual std::vector<std::string> defaultCheckCommand() const { return {}; }
  virtual std::vector<std::string> defaultReloadCommand() const { return {}; }
  virtual std::vector<std::string> defaultFlushCommand() const { return {}; }

  /// Comment prefix of the main file's syntax, used for the state comment.
  virtual std::string_view commentPrefix() const = 0;

  /// control_command, or `fallback` when it is empty.
  std::vector<std::string> controlCommand(std::vector<std::string> fallback) const;

  /// Runs `argv` for `step`; a non-zero exit becomes an error carrying the output.
  Result<std::string> runStep(ApplyStep step, const std::vector<std::string>& argv) const;

  /// An error for `step` with constant `message`, the resolver name and its output.
  Error stepError(ApplyStep step, std::string message, std::string resolver_output = {}) const;

  /// The current time.
  model::Time now() const { return clock_(); }

 private:
  /// The files as they are before an apply, and the state comment of the main one.
  struct Previous {
    std::vector<FileContent> files;
    std::optional<WrittenState> state;
  };

  void applySteps(const AnchorSet& set, const ApplyOptions& options, ApplyReport& report) const;
  Result<Previous> readPrevious(const std::vector<FileContent>& files, ApplyReport& report) const;
  void activate(const AnchorSet& set, const ApplyOptions& options, const Previous& previous,
                ApplyReport& report) const;
  Result<void> writeFiles(const std::vector<FileContent>& files) const;
  Result<void> verify(const AnchorSet& set, ApplyReport& report) const;
  void rollBack(const std::vector<FileContent>& previous, const std::optional<WrittenState>& before,
                const WrittenState& after, const std::vector<std::string>& names,
                ApplyReport& report) const;

  WriterSettings settings_;
  ClockFunction clock_;
};

/// Builds the writer for settings.type. Errors: settings that cannot work (kConfig), e.g. no
/// anchor_file, or a systemd-resolved file without the .positive suffix.
Result<std::unique_ptr<Writer>> createWriter(const WriterSettings& settings,
                                             ClockFunction clock = {});

}  // namespace anchorage::writers
