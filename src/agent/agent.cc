// SPDX-License-Identifier: Apache-2.0
//
// The agent's run loop (see agent.h for the design and failure posture).

#include "agent/agent.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include <systemd/sd-daemon.h>

#include <nlohmann/json.hpp>

#include "directory/ad_reader.h"
#include "directory/mapping.h"
#include "directory/operations.h"
#include "formats/format.h"
#include "util/encoding.h"
#include "util/file.h"

namespace anchorage::agent {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr milliseconds kPollSlice{100};
constexpr milliseconds kStateSaveInterval{1000};
constexpr milliseconds kDiscoveryRetry{5000};
constexpr milliseconds kStatusRetryMin{1000};
constexpr milliseconds kStatusRetryMax{30000};

model::Time now() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::vector<std::string> uriTexts(const std::vector<config::LdapUri>& uris) {
  std::vector<std::string> out;
  for (const auto& u : uris) {
    out.push_back(u.text);
  }
  return out;
}

Result<void> saveApplied(const std::string& path, const AppliedSet& set) {
  auto anchors = formats::render(formats::Format::kJson, set.anchors);
  if (!anchors) {
    return fail(anchors.error());
  }
  nlohmann::json ntas = nlohmann::json::array();
  for (const auto& n : set.ntas) {
    ntas.push_back(
        {{"name", n.name.text()}, {"expires", model::formatTime(n.expires)}, {"reason", n.reason}});
  }
  const nlohmann::json doc = {{"version", 1},
                              {"digest", set.digest},
                              {"anchors", nlohmann::json::parse(*anchors)},
                              {"ntas", ntas}};
  return util::writeFileAtomic(path, doc.dump(1) + "\n", {0600, {}, {}});
}

Result<AppliedSet> loadApplied(const std::string& path) {
  auto text = util::readFile(path, formats::kMaxInputBytes);
  if (!text) {
    return fail(text.error());
  }
  const auto doc = nlohmann::json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("anchors") || !doc.contains("ntas") ||
      !doc["ntas"].is_array()) {
    return fail(ErrorCode::kInvalidInput, "Applied-set state file is not valid", {{"path", path}});
  }
  AppliedSet set;
  set.digest = doc.value("digest", "");
  const auto parsed = formats::parse(formats::Format::kJson, doc["anchors"].dump(), path);
  if (!parsed.clean()) {
    return fail(ErrorCode::kInvalidInput, "Applied-set state file has invalid anchors",
                {{"path", path}, {"reason", parsed.problems.front().reason}});
  }
  for (const auto& a : parsed.anchors) {
    set.anchors.push_back(a.anchor);
  }
  for (const auto& n : doc["ntas"]) {
    auto name = model::DomainName::parse(n.value("name", ""));
    auto expires = model::parseTime(n.value("expires", ""));
    if (!name || !expires) {
      return fail(ErrorCode::kInvalidInput, "Applied-set state file has an invalid NTA",
                  {{"path", path}});
    }
    set.ntas.push_back({*name, *expires, n.value("reason", ""), ""});
  }
  return set;
}

// True when an entry added or modified in `changes` is content for the resolvers. Status entries
// and leases change after every apply anywhere, this agent's own included: they must neither
// restart the debounce nor cost a whole decision (seconds at 100,000 anchors).
bool carriesContent(const directory::ScopeSync& sync, const directory::SyncChanges& changes) {
  for (const auto& uuid : changes.upserted_uuids) {
    const auto it = sync.state().entries.find(uuid);
    if (it == sync.state().entries.end()) {
      return true;
    }
    const auto kind = directory::classify(it->second);
    if (kind != directory::EntryKind::kAgentStatus && kind != directory::EntryKind::kLease) {
      return true;
    }
  }
  return false;
}

std::string scopeLabel(const std::string& base) {
  // "dc=ForestDnsZones,dc=example,dc=com" -> "forestdnszones"
  auto rdns = directory::splitDn(base);
  if (rdns && !rdns->empty()) {
    return util::toLower(rdns->front().second);
  }
  return util::toLower(base);
}

std::string stateFileFor(const std::string& dir, const std::string& base) {
  const auto hash = util::digest("sha256", {base.begin(), base.end()});
  return dir + "/scope-" + util::encodeHex({hash.begin(), hash.begin() + 6}, false) + ".json";
}

// A fingerprint of an AD zone snapshot, to tell whether a new read changed anything.
std::string snapshotKey(const directory::AdSnapshot& snapshot) {
  std::vector<std::string> parts;
  for (const auto& e : snapshot.entries) {
    std::string part = util::toLower(e.dn);
    for (const auto& [name, values] : e.attributes) {
      part += "\n" + util::toLower(name);
      for (const auto& v : values) {
        part += "\t" + util::encodeHex({v.begin(), v.end()}, false);
      }
    }
    parts.push_back(std::move(part));
  }
  std::sort(parts.begin(), parts.end());
  std::string all;
  for (const auto& sid : snapshot.owners.trusted_sids) {
    all += sid + ",";
  }
  for (const auto& p : parts) {
    all += "\n\n" + p;
  }
  return all;
}

}  // namespace

/// An AD scope (config type ad): the TrustAnchors zone of a partition, read whole and watched with
/// DirSync polls (directory/ad_reader.h).
struct Agent::AdScopeWatch {
  std::unique_ptr<directory::Session> session;
  std::optional<directory::AdOwnerPolicy> policy;  ///< Configured, or read from the forest.
  directory::AdSnapshot snapshot;
  std::string snapshot_key;
  std::string cookie;
  directory::ScopeContent content;
  bool loaded = false;  ///< The state file was looked at.
  bool read = false;    ///< The zone was read from the directory in this run.
  steady_clock::time_point next_poll{};
  steady_clock::time_point next_reconcile{};
  milliseconds retry_delay{0};
  uint64_t connects = 0;
};

struct Agent::ScopeState {
  std::string base;
  std::string label;
  std::string state_file;
  config::ScopeConfig config;  ///< Type and AD settings; defaults for discovered scopes.
  std::unique_ptr<directory::ScopeSync> sync;  ///< Anchorage scopes.
  std::unique_ptr<AdScopeWatch> ad;            ///< AD scopes.
  bool isAd() const { return config.type == config::ScopeType::kActiveDirectory; }
  /// Read from the directory in this run (not only loaded from the state file).
  bool refreshed() const { return isAd() ? ad && ad->read : sync && sync->everRefreshed(); }
  bool have_content = false;  ///< Loaded from disk with entries, or refreshed in this run.
  bool unsaved = false;
  steady_clock::time_point last_save{};
  steady_clock::duration last_save_took{};
};

Result<writers::WriterSettings> writerSettings(const config::ResolverConfig& r) {
  writers::WriterSettings s;
  switch (r.type) {
    case config::ResolverType::kUnbound:
      s.type = writers::ResolverType::kUnbound;
      break;
    case config::ResolverType::kBind:
      s.type = writers::ResolverType::kBind;
      break;
    case config::ResolverType::kKnot:
      s.type = writers::ResolverType::kKnot;
      break;
    case config::ResolverType::kPdns:
      s.type = writers::ResolverType::kPowerDns;
      break;
    case config::ResolverType::kResolved:
      s.type = writers::ResolverType::kSystemdResolved;
      break;
  }
  s.anchor_file = r.anchor_file;
  s.nta_file = r.nta_file;
  s.control_command = r.control_command;
  s.check_command = r.check_command;
  s.reload_command = r.reload_command;
  s.flush_command = r.flush_command;
  s.control_socket = r.control_socket;
  s.query_address = r.address.host;
  s.query_port = r.address.port;
  for (const auto& p : r.probes) {
    s.probes[p.trust_point] = p.query_name;
  }
  s.timeout = std::chrono::duration_cast<milliseconds>(r.timeout);
  s.verify_timeout = std::chrono::duration_cast<milliseconds>(r.verify_timeout);
  if (r.file_mode) {
    s.file_mode = static_cast<mode_t>(*r.file_mode);
  }
  s.file_owner = r.file_owner.value_or("");
  s.file_group = r.file_group.value_or("");
  return s;
}

directory::SessionSettings sessionSettings(const config::DirectoryConfig& d,
                                           const std::vector<config::LdapUri>& uris) {
  directory::SessionSettings s;
  s.uris = uriTexts(uris);
  switch (d.bind.method) {
    case config::BindMethod::kExternal:
      s.bind_method = directory::BindMethod::kExternal;
      break;
    case config::BindMethod::kSimple:
      s.bind_method = directory::BindMethod::kSimple;
      break;
    case config::BindMethod::kGssapi:
      s.bind_method = directory::BindMethod::kGssapi;
      break;
  }
  s.bind_dn = d.bind.dn;
  s.password_file = d.bind.password_file;
  s.ca_file = d.tls.ca_file;
  s.cert_file = d.tls.cert_file;
  s.key_file = d.tls.key_file;
  s.starttls = d.tls.starttls;
  s.allow_plaintext = d.allow_plaintext;
  s.network_timeout = std::chrono::duration_cast<milliseconds>(d.timeouts.network);
  s.operation_timeout = std::chrono::duration_cast<milliseconds>(d.timeouts.operation);
  return s;
}

Agent::Agent(config::Config config, std::shared_ptr<util::LogSink> sink)
    : config_(std::move(config)),
      sink_(std::move(sink)),
      log_(sink_, "agent"),
      metrics_(std::make_unique<Metrics>()) {}

Agent::~Agent() {
  saveScopes(true);
}

Result<std::unique_ptr<Agent>> Agent::create(const config::Config& config,
                                             std::shared_ptr<util::LogSink> sink) {
  std::unique_ptr<Agent> agent(new Agent(config, std::move(sink)));
  std::error_code ec;
  std::filesystem::create_directories(config.state_dir, ec);
  if (ec || ::chmod(config.state_dir.c_str(), 0700) != 0) {
    return fail(ErrorCode::kIo, "State directory cannot be created",
                {{"path", config.state_dir}, {"reason", ec ? ec.message() : "chmod failed"}});
  }
  for (const auto& r : config.resolvers) {
    auto settings = writerSettings(r);
    if (!settings) {
      return fail(settings.error());
    }
    auto writer = writers::createWriter(*settings);
    if (!writer) {
      return fail(std::move(writer.error()).with("resolver", r.name));
    }
    agent->writers_.push_back(std::move(*writer));
  }
  agent->applied_digest_path_ = config.state_dir + "/applied.json";
  if (auto applied = loadApplied(agent->applied_digest_path_)) {
    agent->applied_ = std::move(*applied);
  } else if (applied.error().code != ErrorCode::kNotFound) {
    agent->log_.warning("Applied-set state ignored", {{"error", applied.error().toString()}});
  }
  if (config.metrics.enabled) {
    if (auto r = agent->metrics_->serve(config.metrics.listen.host, config.metrics.listen.port);
        !r) {
      return fail(r.error());
    }
  }
  if (!config.trusted_publishers.empty()) {
    auto verifier = formats::AnchorVerifier::load(config.trusted_publishers);
    if (!verifier) {
      return fail(ErrorCode::kConfig, "trusted_publishers: " + verifier.error().message,
                  verifier.error().fields);
    }
    agent->verifier_ = std::move(*verifier);
  }
  if (config.rfc5011.enabled) {
    agent->refresher_ = std::make_unique<Refresher>(refresherSettings(config),
                                                    util::Logger(agent->sink_, "rfc5011"));
  }
  if (!config.scopes.automatic) {
    for (const auto& s : config.scopes.listed) {
      auto st = std::make_unique<ScopeState>();
      st->base = s.base;
      st->label = s.name;
      st->config = s;
      agent->scopes_.push_back(std::move(st));
    }
    agent->scopes_known_ = true;
  }
  for (auto& st : agent->scopes_) {
    st->state_file = stateFileFor(config.state_dir, st->base);
  }
  return agent;
}

bool Agent::discoverScopes() {
  if (scopes_known_) {
    return true;
  }
  if (steady_clock::now() < next_discovery_) {
    return false;
  }
  next_discovery_ = steady_clock::now() + kDiscoveryRetry;
  auto session =
      directory::Session::open(sessionSettings(config_.directory, config_.directory.read));
  if (!session) {
    log_.warning("Scope discovery failed", {{"error", session.error().toString()}});
    return false;
  }
  auto bases = directory::discoverScopes(**session);
  if (!bases) {
    log_.warning("Scope discovery failed", {{"error", bases.error().toString()}});
    return false;
  }
  for (const auto& base : *bases) {
    auto st = std::make_unique<ScopeState>();
    st->base = base;
    st->label = scopeLabel(base);
    st->state_file = stateFileFor(config_.state_dir, base);
    scopes_.push_back(std::move(st));
  }
  log_.info("Scopes discovered", {{"count", std::to_string(scopes_.size())}});
  scopes_known_ = true;
  return true;
}

bool Agent::pollScopes(milliseconds wait) {
  bool changed = false;
  if (!discoverScopes()) {
    std::this_thread::sleep_for(wait);
    return false;
  }
  const auto session = sessionSettings(config_.directory, config_.directory.read);
  for (auto& st : scopes_) {
    if (st->isAd()) {
      const auto share = changed
                             ? milliseconds(0)
                             : std::max(milliseconds(1), wait / static_cast<int>(scopes_.size()));
      const auto until = steady_clock::now() + share;
      changed = pollAdScope(*st) || changed;
      // DirSync is a poll: sleep out this scope's share of the slice, but not past the next poll.
      if (!changed) {
        std::this_thread::sleep_until(std::min(until, st->ad->next_poll));
      }
      continue;
    }
    if (!st->sync) {
      directory::SyncState saved;
      if (auto loaded = directory::loadSyncState(st->state_file)) {
        saved = std::move(*loaded);
        st->have_content = !saved.cookie.empty() || !saved.entries.empty();
        changed = changed || st->have_content;
      } else if (loaded.error().code != ErrorCode::kNotFound) {
        log_.warning("Sync state ignored",
                     {{"scope", st->base}, {"error", loaded.error().toString()}});
      }
      directory::SyncSettings sync;
      sync.base = st->base;
      sync.liveness = std::chrono::duration_cast<milliseconds>(config_.directory.timeouts.liveness);
      sync.reconnect_min =
          std::chrono::duration_cast<milliseconds>(config_.directory.reconnect.min_delay);
      sync.reconnect_max =
          std::chrono::duration_cast<milliseconds>(config_.directory.reconnect.max_delay);
      st->sync = std::make_unique<directory::ScopeSync>(session, sync, std::move(saved),
                                                        util::Logger(sink_, "sync"));
    }
    // Once one scope has news the others are only drained: the debounce runs from the arrival of
    // the change, not from the end of every other scope's share of the slice.
    const auto share = changed ? milliseconds(0)
                               : std::max(milliseconds(1), wait / static_cast<int>(scopes_.size()));
    const auto changes = st->sync->poll(share);
    if (changes.refresh_done) {
      st->have_content = true;
    }
    if (changes.refresh_done || changes.deleted > 0 || carriesContent(*st->sync, changes)) {
      changed = true;
    }
    if (changes.changed() || changes.cookie_moved) {
      st->unsaved = true;
    }
    const auto& status = st->sync->status();
    metrics_->setSyncPhase(st->label, static_cast<int>(status.phase));
    metrics_->setReconnects(st->label, status.connects);
  }
  return changed;
}

bool Agent::pollAdScope(ScopeState& st) {
  if (!st.ad) {
    st.ad = std::make_unique<AdScopeWatch>();
  }
  auto& ad = *st.ad;
  const directory::AdLayout layout(st.base);
  bool changed = false;
  if (!ad.loaded) {
    ad.loaded = true;
    if (auto loaded = directory::loadSyncState(st.state_file)) {
      std::tie(ad.snapshot, ad.cookie) = directory::fromSyncState(*loaded);
      ad.snapshot_key = snapshotKey(ad.snapshot);
      ad.content = ad.snapshot.content(layout);
      st.have_content = true;
      changed = true;
    } else if (loaded.error().code != ErrorCode::kNotFound) {
      log_.warning("Sync state ignored",
                   {{"scope", st.base}, {"error", loaded.error().toString()}});
    }
  }
  const auto started = steady_clock::now();
  if (started < ad.next_poll) {
    return changed;
  }
  auto failed = [&](const Error& e, const char* what) {
    log_.warning(what, {{"scope", st.base}, {"error", e.toString()}});
    ad.session.reset();
    ad.retry_delay =
        std::clamp(ad.retry_delay * 2,
                   std::chrono::duration_cast<milliseconds>(config_.directory.reconnect.min_delay),
                   std::chrono::duration_cast<milliseconds>(config_.directory.reconnect.max_delay));
    ad.next_poll = steady_clock::now() + ad.retry_delay;
    metrics_->setSyncPhase(st.label, static_cast<int>(directory::SyncPhase::kDisconnected));
    return changed;
  };
  if (!ad.session) {
    auto session =
        directory::Session::open(sessionSettings(config_.directory, config_.directory.read));
    if (!session) {
      return failed(session.error(), "AD directory unreachable");
    }
    ad.session = std::move(*session);
    metrics_->setReconnects(st.label, ++ad.connects);
  }
  if (!ad.policy) {
    if (!st.config.trusted_owners.empty()) {
      ad.policy = directory::AdOwnerPolicy{
          {st.config.trusted_owners.begin(), st.config.trusted_owners.end()}};
    } else {
      auto policy = directory::readDefaultOwnerPolicy(*ad.session);
      if (!policy) {
        return failed(policy.error(), "AD owner policy cannot be read");
      }
      ad.policy = std::move(*policy);
    }
  }
  directory::AdScopeReader reader(*ad.session, layout, *ad.policy);
  auto changes = reader.changes(ad.cookie);
  if (!changes && !ad.cookie.empty()) {
    // A cookie of another domain controller, or one the server no longer accepts: start over;
    // the zone is read whole below anyway.
    log_.info("DirSync cookie refused; starting over",
              {{"scope", st.base}, {"error", changes.error().toString()}});
    ad.cookie.clear();
    changes = reader.changes(ad.cookie);
  }
  if (!changes) {
    return failed(changes.error(), "AD change poll failed");
  }
  const bool reconcile = !ad.read || started >= ad.next_reconcile;
  if (changes->zone_changed || reconcile) {
    auto snapshot = reader.readSnapshot();
    if (!snapshot) {
      return failed(snapshot.error(), "AD TrustAnchors zone cannot be read");
    }
    auto key = snapshotKey(*snapshot);
    if (!ad.read || key != ad.snapshot_key) {
      ad.snapshot = std::move(*snapshot);
      ad.snapshot_key = std::move(key);
      ad.content = ad.snapshot.content(layout);
      changed = true;
      st.unsaved = true;
      log_.debug("AD TrustAnchors zone read",
                 {{"scope", st.base},
                  {"nodes", std::to_string(ad.snapshot.entries.size())},
                  {"anchors", std::to_string(ad.content.anchors.size())},
                  {"reconcile", reconcile ? "yes" : "no"}});
    }
    ad.read = true;
    st.have_content = true;
    ad.next_reconcile = started + st.config.reconcile_interval;
  }
  if (changes->cookie != ad.cookie) {
    ad.cookie = changes->cookie;
    st.unsaved = true;
  }
  ad.retry_delay = milliseconds(0);
  ad.next_poll = steady_clock::now() + st.config.poll_interval;
  metrics_->setSyncPhase(st.label, static_cast<int>(directory::SyncPhase::kPersisting));
  return changed;
}

void Agent::saveScopes(bool force) {
  for (auto& st : scopes_) {
    if (st->isAd() && st->ad && st->unsaved) {
      // A zone is small: saved at once.
      if (auto r = directory::saveSyncState(
              st->state_file, directory::toSyncState(st->ad->snapshot, st->ad->cookie));
          !r) {
        log_.error("Sync state cannot be saved",
                   {{"scope", st->base}, {"error", r.error().toString()}});
      } else {
        st->unsaved = false;
      }
      continue;
    }
    if (!st->sync || !st->unsaved) {
      continue;
    }
    // A large mirror takes long to write (seconds at 100,000 anchors): save at most every ten
    // times the last save took, and at least kStateSaveInterval apart.
    const auto interval =
        std::max<steady_clock::duration>(kStateSaveInterval, st->last_save_took * 10);
    if (!force && steady_clock::now() - st->last_save < interval) {
      continue;
    }
    const auto started = steady_clock::now();
    if (auto r = directory::saveSyncState(st->state_file, st->sync->state()); !r) {
      log_.error("Sync state cannot be saved",
                 {{"scope", st->base}, {"error", r.error().toString()}});
      continue;
    }
    st->unsaved = false;
    st->last_save = steady_clock::now();
    st->last_save_took = st->last_save - started;
  }
}

bool Agent::haveContent() const {
  if (scopes_.empty()) {
    return false;
  }
  return std::all_of(scopes_.begin(), scopes_.end(),
                     [](const auto& st) { return st->have_content; });
}

Result<void> Agent::apply(bool force) {
  const auto started = steady_clock::now();
  std::vector<ScopeInput> inputs;
  ChangeMark newest;
  for (const auto& st : scopes_) {
    if (st->isAd()) {
      inputs.push_back({st->base, st->ad->content});
      if (verifier_) {
        const directory::AdLayout layout(st->base);
        requirePublisherSignatures(inputs.back().content, signatureCheck(),
                                   [&](const model::TrustAnchor& a) {
                                     return layout.node(a.record.owner) + " (" + a.id() + ")";
                                   });
      }
      continue;
    }
    std::vector<const directory::Entry*> entries;
    for (const auto& [uuid, e] : st->sync->state().entries) {
      entries.push_back(&e);
      // Status entries and leases change after every apply anywhere; they are not content that
      // propagates to resolvers.
      const auto kind = directory::classify(e);
      if (kind == directory::EntryKind::kAgentStatus || kind == directory::EntryKind::kLease) {
        continue;
      }
      const auto t = e.first("modifyTimestamp");
      if (!t || *t < newest.time) {
        continue;
      }
      if (*t > newest.time) {
        newest = {*t, {}};
      }
      newest.uuids.insert(uuid);
    }
    inputs.push_back({st->base, directory::readScopeContent(entries)});
    if (verifier_) {
      const directory::ScopeLayout layout(st->base);
      requirePublisherSignatures(inputs.back().content, signatureCheck(),
                                 [&](const model::TrustAnchor& a) { return layout.anchor(a); });
    }
  }
  const Decision decision = decide(
      inputs, applied_, {config_.guard.max_removal_share, config_.guard.allow_mass_removal}, now());
  // Kept for the RFC 5011 refresher, which needs the same content: mapping every entry again
  // costs seconds at 100,000 anchors.
  scope_contents_ = std::move(inputs);
  metrics_->setQuarantined(decision.quarantined.size());
  metrics_->setGuardHeld(decision.held);
  for (const auto& q : decision.quarantined) {
    log_.warning("Entry quarantined", {{"dn", q.dn}, {"reason", q.reason}});
  }
  if (decision.held) {
    log_.warning("Mass removal held", {{"reason", decision.hold_reason},
                                       {"withdrawn", std::to_string(decision.withdrawn_anchors)}});
  }
  // What the status entry says besides the digest; a change here is reported even when the
  // resolvers need nothing new (a quarantined entry, a held removal).
  std::string report_key = decision.hold_reason;
  for (const auto& q : decision.quarantined) {
    report_key += "\n" + q.dn;
  }
  if (!force && applied_ && applied_->digest == decision.digest && last_tried_digest_ &&
      *last_tried_digest_ == decision.digest) {
    // Nothing new for the resolvers; a later removal must not be timed from these entries.
    noteChange(newest);
    if (report_key != last_report_key_) {
      last_report_key_ = report_key;
      writeStatus(decision, last_results_, decision.hold_reason);
    }
    return ok();
  }
  last_tried_digest_ = decision.digest;
  last_report_key_ = report_key;

  writers::AnchorSet set;
  set.anchors = decision.anchors;
  set.ntas = decision.ntas;
  std::vector<std::string> results;
  std::optional<Error> failure;
  for (auto& w : writers_) {
    const std::string name(writers::resolverTypeName(w->type()));
    const auto report = w->apply(set);
    if (report.ok()) {
      results.push_back(name + " ok");
      metrics_->setApplied(name, set.anchors.size(), set.ntas.size());
      metrics_->countApply(name, report.changed ? "ok" : "unchanged");
      log_.info("Trust anchor set applied",
                {{"resolver", name},
                 {"anchors", std::to_string(set.anchors.size())},
                 {"ntas", std::to_string(set.ntas.size())},
                 {"changed", report.changed ? "yes" : "no"},
                 {"duration_ms", std::to_string(report.duration.count())}});
    } else {
      const Error& e = report.result.error();
      results.push_back(name + " failed " +
                        std::string(writers::applyStepName(report.failed_step)) + ": " + e.message);
      metrics_->countApply(name, "failed");
      log_.error("Trust anchor set not applied",
                 {{"resolver", name},
                  {"step", std::string(writers::applyStepName(report.failed_step))},
                  {"rolled_back", report.rolled_back ? "yes" : "no"},
                  {"error", e.toString()}});
      if (!failure) {
        failure = e;
      }
    }
  }
  const double seconds = std::chrono::duration<double>(steady_clock::now() - started).count();
  metrics_->observeApplySeconds(seconds);
  if (!failure) {
    applied_ = AppliedSet{decision.anchors, decision.ntas, decision.digest};
    if (auto r = saveApplied(applied_digest_path_, *applied_); !r) {
      log_.error("Applied-set state cannot be saved", {{"error", r.error().toString()}});
    }
    // The first apply of a run only sets the baseline: its newest entry may have been written
    // long before this agent started, and that age is no propagation lag.
    const bool baseline = newest_change_.time.empty();
    if (noteChange(newest) && !baseline) {
      if (auto t = directory::parseGeneralizedTime(newest.time)) {
        const auto lag = std::chrono::system_clock::now() - *t;
        metrics_->observePropagationSeconds(std::chrono::duration<double>(lag).count());
      }
    }
  }
  last_results_ = results;
  std::string message = failure ? failure->toString() : decision.hold_reason;
  writeStatus(decision, results, message);
  notify("STATUS=" + std::string(failure ? "apply failed: " : "applied ") +
         std::to_string(decision.anchors.size()) + " anchors, " +
         std::to_string(decision.ntas.size()) + " NTAs" +
         (decision.held ? ", mass removal held" : ""));
  if (failure) {
    return fail(*failure);
  }
  return ok();
}

SignatureCheck Agent::signatureCheck() {
  return [this](const model::TrustAnchor& a) -> std::optional<std::string> {
    const std::string key = formats::signedAnchorText(a.record) + "\n" + a.publisher_signature;
    if (verified_.count(key) > 0) {
      return std::nullopt;
    }
    if (auto r = verifier_->verify(a.record, a.publisher_signature); !r) {
      return r.error().message;
    }
    verified_.insert(key);
    return std::nullopt;
  };
}

directory::Session* Agent::writeSession() {
  if (!write_session_) {
    auto session = directory::Session::open(sessionSettings(
        config_.directory,
        config_.directory.write.empty() ? config_.directory.read : config_.directory.write));
    if (!session) {
      log_.warning("No directory provider for writes", {{"error", session.error().toString()}});
      return nullptr;
    }
    write_session_ = std::move(*session);
  }
  return write_session_.get();
}

void Agent::refreshTrustPoints(bool changed) {
  const auto at = now();
  if (!refresher_ || !haveContent() || (!changed && at < next_refresh_step_) ||
      std::all_of(scopes_.begin(), scopes_.end(), [](const auto& st) { return st->isAd(); })) {
    return;
  }
  auto* session = writeSession();
  if (session == nullptr) {
    next_refresh_step_ = at + std::chrono::seconds(10);
    return;
  }
  next_refresh_step_ = model::Time::max();
  bool failed = false;
  for (const auto& st : scopes_) {
    if (st->isAd()) {
      continue;  // AD keeps no key states: Windows runs RFC 5011 on each DNS server itself.
    }
    // The content of the last apply: every change to the mirror leads to an apply first, and the
    // refresher reads each trust point it refreshes from the provider anyway.
    const auto input = std::find_if(scope_contents_.begin(), scope_contents_.end(),
                                    [&](const ScopeInput& in) { return in.scope == st->base; });
    if (input == scope_contents_.end()) {
      continue;
    }
    const auto step = refresher_->step(*session, st->base, input->content, at);
    next_refresh_step_ = std::min(next_refresh_step_, step.next_step);
    metrics_->setRefresher(st->label, step.leader);
    metrics_->setKeyStates(st->label, step.states);
    for (const auto& [zone, outcome] : step.refreshed) {
      metrics_->countRefresh(st->label, std::string(rfc5011::outcomeName(outcome)));
    }
    failed = failed || step.directory_failed;
  }
  if (failed) {
    // A session that broke is opened again at the next step.
    write_session_.reset();
  }
}

void Agent::writeStatus(const Decision& decision, const std::vector<std::string>& results,
                        const std::string& error) {
  directory::AgentStatus status;
  status.server = config_.server;
  status.applied_digest = applied_ ? applied_->digest : "";
  status.applied_time = now();
  status.resolver_results = results;
  for (const auto& q : decision.quarantined) {
    status.quarantined.push_back(q.dn);
  }
  status.version = ANCHORAGE_VERSION;
  status.last_error = error;
  writeLocalStatus(status, decision);
  // A newer report replaces one still waiting for a retry.
  unwritten_status_ = std::move(status);
  status_retry_delay_ = kStatusRetryMin;
  pushStatus();
}

// status.json in the state directory: what the status entry says, with each quarantined entry's
// reason, and the scopes. The only status an AD scope has; for the others a local copy that a
// check on the host can read without a directory (the state directory itself is 0700, so such a
// check runs as the agent's user or root).
void Agent::writeLocalStatus(const directory::AgentStatus& status, const Decision& decision) {
  nlohmann::json quarantined = nlohmann::json::array();
  for (const auto& q : decision.quarantined) {
    quarantined.push_back({{"dn", q.dn}, {"reason", q.reason}});
  }
  nlohmann::json scopes = nlohmann::json::array();
  for (const auto& st : scopes_) {
    scopes.push_back({{"name", st->label},
                      {"base", st->base},
                      {"type", st->isAd() ? "ad" : "anchorage"},
                      {"refreshed", st->refreshed()}});
  }
  const nlohmann::json doc = {
      {"server", status.server},
      {"applied_digest", status.applied_digest},
      {"applied_time", status.applied_time ? model::formatTime(*status.applied_time) : ""},
      {"anchors", applied_ ? applied_->anchors.size() : 0},
      {"ntas", applied_ ? applied_->ntas.size() : 0},
      {"resolver_results", status.resolver_results},
      {"quarantined", quarantined},
      {"held", decision.held},
      {"version", status.version},
      {"last_error", status.last_error},
      {"scopes", scopes}};
  if (auto r = util::writeFileAtomic(config_.state_dir + "/status.json", doc.dump(1) + "\n",
                                     {0644, {}, {}});
      !r) {
    log_.warning("Local status file not written", {{"error", r.error().toString()}});
  }
}

// Writes unwritten_status_ to every scope. Until that succeeds it is tried again with backoff:
// without a retry, a provider lost between opening the session and the write would leave the
// entry stale until the next change, however long that takes.
void Agent::pushStatus() {
  if (!unwritten_status_) {
    return;
  }
  if (std::all_of(scopes_.begin(), scopes_.end(), [](const auto& st) { return st->isAd(); })) {
    unwritten_status_.reset();  // Only AD scopes: status.json is the whole report.
    return;
  }
  auto* session = writeSession();
  bool written = session != nullptr;
  for (const auto& st : scopes_) {
    if (!written) {
      break;
    }
    if (st->isAd()) {
      continue;
    }
    directory::ScopeClient client(*session, directory::ScopeLayout(st->base));
    if (auto r = client.writeAgentStatus(*unwritten_status_); !r) {
      log_.warning("Status entry not written",
                   {{"scope", st->base}, {"error", r.error().toString()}});
      // The provider may have gone away: open a session again next time.
      write_session_.reset();
      written = false;
    }
  }
  if (written) {
    unwritten_status_.reset();
    return;
  }
  status_retry_at_ = steady_clock::now() + status_retry_delay_;
  status_retry_delay_ = std::min(status_retry_delay_ * 2, kStatusRetryMax);
}

void Agent::notify(const std::string& text) const {
  sd_notify(0, text.c_str());
}

// Folds `seen` into newest_change_. True when `seen` holds a change not seen before: a later
// time, or another entry modified within the same second (modifyTimestamp has whole seconds, and
// a batch publishes many entries in one). A removal leaves no time, so it is never one.
bool Agent::noteChange(const ChangeMark& seen) {
  if (seen.time.empty() || seen.time < newest_change_.time) {
    return false;
  }
  if (seen.time > newest_change_.time) {
    newest_change_ = seen;
    return true;
  }
  const size_t before = newest_change_.uuids.size();
  newest_change_.uuids.insert(seen.uuids.begin(), seen.uuids.end());
  return newest_change_.uuids.size() > before;
}

RunExit Agent::run(std::atomic<bool>& stop, std::atomic<bool>& reload) {
  uint64_t watchdog_usec = 0;
  const bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
  auto last_watchdog = steady_clock::now();
  bool dirty = true;
  auto last_change = steady_clock::now();
  auto retry_at = steady_clock::time_point::max();
  milliseconds retry_delay{1000};
  const auto debounce = std::chrono::duration_cast<milliseconds>(config_.debounce);
  // Next NTA expiry: decide again then. max() means none.
  model::Time wake_at = model::Time::max();
  while (!stop.load()) {
    if (reload.load()) {
      reload.store(false);
      saveScopes(true);
      return RunExit::kReload;
    }
    // While a change waits out the debounce, wake when the quiet time ends, not at the end of
    // the next slice.
    auto wait = kPollSlice;
    if (dirty && haveContent()) {
      wait =
          std::clamp(std::chrono::ceil<milliseconds>(last_change + debounce - steady_clock::now()),
                     milliseconds(0), kPollSlice);
    }
    if (pollScopes(wait)) {
      dirty = true;
      last_change = steady_clock::now();
    }
    if (now() >= wake_at) {
      dirty = true;
      wake_at = model::Time::max();
    }
    const bool due = dirty && steady_clock::now() - last_change >= debounce;
    const bool retry = steady_clock::now() >= retry_at;
    if ((due || retry) && haveContent()) {
      dirty = false;
      auto r = apply(retry);
      if (r) {
        retry_at = steady_clock::time_point::max();
        retry_delay = milliseconds(1000);
      } else {
        retry_at = steady_clock::now() + retry_delay;
        retry_delay = std::min(retry_delay * 2, milliseconds(60000));
      }
      if (applied_) {
        for (const auto& n : applied_->ntas) {
          wake_at = std::min(wake_at, n.expires);
        }
      }
      if (!ready_sent_) {
        notify("READY=1");
        ready_sent_ = true;
      }
    }
    // The mirror is saved only while no change waits: at 100,000 anchors a save takes seconds,
    // and it must not stand between a change and the resolvers.
    if (!dirty) {
      saveScopes(false);
    }
    if (unwritten_status_ && steady_clock::now() >= status_retry_at_) {
      pushStatus();
    }
    // After the apply, so that a change the refresher writes is applied in the next round.
    refreshTrustPoints(due);
    if (watchdog &&
        steady_clock::now() - last_watchdog > std::chrono::microseconds(watchdog_usec / 2)) {
      notify("WATCHDOG=1");
      last_watchdog = steady_clock::now();
    }
  }
  saveScopes(true);
  if (refresher_ && write_session_) {
    // Another agent takes the scope's refresher role over at once instead of after the lease.
    refresher_->releaseAll(*write_session_);
  }
  notify("STOPPING=1");
  return RunExit::kStopped;
}

Result<void> Agent::runOnce(milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    pollScopes(kPollSlice);
    if (scopes_known_ && std::all_of(scopes_.begin(), scopes_.end(),
                                     [](const auto& st) { return st->refreshed(); })) {
      break;
    }
  }
  saveScopes(true);
  if (!scopes_known_ || !std::all_of(scopes_.begin(), scopes_.end(),
                                     [](const auto& st) { return st->refreshed(); })) {
    return fail(ErrorCode::kUnavailable, "Directory did not answer in time; nothing applied",
                {{"timeout_ms", std::to_string(timeout.count())}});
  }
  return apply(true);
}

}  // namespace anchorage::agent
