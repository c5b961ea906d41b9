// SPDX-License-Identifier: Apache-2.0
//
// Online anchorctl commands. Failure posture: every input (RDATA, files, signatures, the scope)
// is read and validated before the first write; a command that fails before writing changes
// nothing in the directory.

#include "cli/online.h"

#include <sysexits.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "agent/policy.h"
#include "cli/online_support.h"
#include "config/config.h"
#include "config/duration.h"
#include "directory/ad_reader.h"
#include "directory/ad_writer.h"
#include "directory/mapping.h"
#include "directory/operations.h"
#include "directory/session.h"
#include "dns/dnskey_set.h"
#include "formats/format.h"
#include "formats/signature.h"
#include "model/algorithms.h"
#include "util/encoding.h"
#include "util/file.h"

namespace anchorage::cli {

using directory::ScopeClient;
using directory::ScopeLayout;

namespace {

// "ADDR", "ADDR:PORT", "[ADDR6]:PORT" or a bare IPv6 literal.
Result<dns::QueryOptions> serverOption(const std::string& text) {
  dns::QueryOptions q;
  std::string port;
  if (text.starts_with("[")) {
    const auto close = text.find(']');
    if (close == std::string::npos) {
      return fail(ErrorCode::kUsage, "Unclosed [ in --server", {{"server", text}});
    }
    q.address = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') {
        return fail(ErrorCode::kUsage, "Expected :PORT after ] in --server", {{"server", text}});
      }
      port = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    q.address = text.substr(0, text.find(':'));
    port = text.substr(text.find(':') + 1);
  } else {
    q.address = text;
  }
  if (!port.empty()) {
    unsigned long n = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (ec != std::errc() || end != port.data() + port.size() || n == 0 || n > 65535) {
      return fail(ErrorCode::kUsage, "Bad port in --server", {{"server", text}});
    }
    q.port = static_cast<uint16_t>(n);
  }
  q.timeout = std::chrono::milliseconds(3000);
  return q;
}

// --from-dns: the zone's self-signed SEP keys, shown to the operator, who confirms unless --yes.
Result<std::vector<model::TrustAnchor>> anchorsFromDns(const Context& ctx,
                                                       const model::DomainName& zone,
                                                       const AddOptions& o) {
  auto server = serverOption(o.server);
  if (!server) {
    return fail(server.error());
  }
  auto set = dns::fetchDnskeySet(zone, *server, now());
  if (!set) {
    return fail(set.error());
  }
  std::vector<model::TrustAnchor> anchors;
  for (const auto& key : set->keys) {
    model::TrustAnchor a;
    a.record.owner = zone;
    a.record.rdata = key;
    const char* skipped = !key.isZoneKey()         ? "not a zone key"
                          : !key.isSep()           ? "no SEP flag (a zone-signing key)"
                          : key.isRevoked()        ? "revoked"
                          : !set->signsTheSet(key) ? "does not sign the DNSKEY set"
                                                   : nullptr;
    ctx.err << (skipped != nullptr ? "  skip " : "  take ") << "DNSKEY key tag " << key.keyTag()
            << ", " << model::algorithmName(key.algorithm) << ", flags " << key.flags;
    if (skipped != nullptr) {
      ctx.err << ": " << skipped << "\n";
      continue;
    }
    ctx.err << "\n";
    const auto findings = model::validate(a.record);
    if (!model::isUsable(findings)) {
      return fail(ErrorCode::kInvalidInput, "A key of the zone is not usable as an anchor",
                  {{"zone", zone.text()}, {"key_tag", std::to_string(key.keyTag())}});
    }
    printFindings(ctx, a, findings);
    anchors.push_back(std::move(a));
  }
  if (anchors.empty()) {
    return fail(ErrorCode::kInvalidInput,
                "No secure entry point of the zone signs its DNSKEY set; nothing to publish",
                {{"zone", zone.text()}, {"keys", std::to_string(set->keys.size())}});
  }
  if (!o.yes) {
    ctx.err << "Publish " << anchors.size() << " DNSKEY anchor(s) of " << zone.text() << "? [y/N] "
            << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") {
      return fail(ErrorCode::kUsage, "Not confirmed; nothing published (--yes skips the question)");
    }
  }
  return anchors;
}

}  // namespace

int runAdd(const Context& ctx, const AddOptions& o) {
  auto zone = model::DomainName::parse(o.zone);
  if (!zone) {
    return ctx.report(zone.error());
  }
  const int sources = (o.ds ? 1 : 0) + (o.dnskey ? 1 : 0) + (o.from_file ? 1 : 0) + o.from_dns;
  if (sources != 1) {
    return ctx.report(
        Error(ErrorCode::kUsage, "Give exactly one of --ds, --dnskey, --from-file and --from-dns"));
  }
  std::vector<model::TrustAnchor> anchors;
  if (o.from_dns) {
    auto found = anchorsFromDns(ctx, *zone, o);
    if (!found) {
      return ctx.report(found.error());
    }
    anchors = std::move(*found);
  } else if (o.ds || o.dnskey) {
    model::TrustAnchor a;
    a.record.owner = *zone;
    if (o.ds) {
      auto ds = model::parseDsRdata(*o.ds);
      if (!ds) {
        return ctx.report(std::move(ds.error()).with("option", "--ds"));
      }
      a.record.rdata = *ds;
    } else {
      auto key = model::parseDnskeyRdata(*o.dnskey);
      if (!key) {
        return ctx.report(std::move(key.error()).with("option", "--dnskey"));
      }
      a.record.rdata = *key;
    }
    const auto findings = model::validate(a.record);
    if (!model::isUsable(findings)) {
      for (const auto& f : findings) {
        if (f.severity == model::Severity::kError) {
          ctx.err << "anchorctl: " << zone->text() << ": " << f.message << "\n";
        }
      }
      return ctx.report(Error(ErrorCode::kInvalidInput, "Anchor is not valid; nothing published"));
    }
    printFindings(ctx, a, findings);
    anchors.push_back(std::move(a));
  } else {
    auto parsed = anchorsFromFile(ctx, *o.from_file, o.format);
    if (!parsed) {
      return ctx.report(parsed.error());
    }
    for (auto& p : *parsed) {
      if (p.anchor.record.owner == *zone) {
        printFindings(ctx, p.anchor, p.findings);
        p.anchor.origin = model::Origin::kManual;
        anchors.push_back(std::move(p.anchor));
      }
    }
    if (anchors.empty()) {
      return ctx.report(Error(ErrorCode::kInvalidInput, "The file holds no anchor for the zone",
                              {{"zone", zone->text()}, {"path", *o.from_file}}));
    }
  }
  for (auto& a : anchors) {
    a.state_changed = now();
    if (o.hold_down) {
      // RFC 5011 §2.4.1: a new key waits the add hold-down (30 days) before it is trusted.
      a.state = model::KeyState::kAddPend;
      a.hold_down_until = now() + std::chrono::days(30);
    }
  }
  auto t = connect(ctx, o.where.scope, /*ad_ok=*/true);
  if (!t) {
    return ctx.report(t.error());
  }
  return publishAll(ctx, *t, anchors);
}

namespace {

// The anchors `remove` acts on: those matching --key-tag and --type (all without them).
std::vector<model::TrustAnchor> chooseAnchors(const std::vector<model::TrustAnchor>& anchors,
                                              const RemoveOptions& o) {
  std::vector<model::TrustAnchor> chosen;
  for (const auto& a : anchors) {
    const bool tag_ok = !o.key_tag || a.record.keyTag() == *o.key_tag;
    const bool type_ok = !o.type || (*o.type == "ds") == a.record.isDs();
    if (tag_ok && type_ok) {
      chosen.push_back(a);
    }
  }
  return chosen;
}

// What `remove` took away, for --output json.
nlohmann::json removedJson(const std::vector<model::TrustAnchor>& removed) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& a : removed) {
    list.push_back({{"owner", a.record.owner.text()},
                    {"id", a.id()},
                    {"type", std::string(model::recordTypeName(a.record.type()))},
                    {"key_tag", a.record.keyTag()}});
  }
  return list;
}

// What `remove` took away, one line per anchor.
void printRemoved(const Context& ctx, const std::vector<model::TrustAnchor>& removed,
                  const std::string& base) {
  for (const auto& a : removed) {
    ctx.out << "removed " << a.record.owner.text() << " " << model::recordTypeName(a.record.type())
            << " key tag " << a.record.keyTag() << " from " << base << "\n";
  }
}

// The content of an AD scope as the agents see it, with the owner policy of the scope's
// configuration (or the forest's default), so that list shows what they would quarantine.
Result<directory::ScopeContent> readAdScope(Target& t) {
  const auto scope = std::find_if(t.config.scopes.listed.begin(), t.config.scopes.listed.end(),
                                  [&](const auto& s) { return s.base == t.base; });
  directory::AdOwnerPolicy policy;
  if (scope != t.config.scopes.listed.end() && !scope->trusted_owners.empty()) {
    policy.trusted_sids.insert(scope->trusted_owners.begin(), scope->trusted_owners.end());
  } else {
    auto read = directory::readDefaultOwnerPolicy(*t.session);
    if (!read) {
      return fail(read.error());
    }
    policy = std::move(*read);
  }
  return directory::AdScopeReader(*t.session, directory::AdLayout(t.base), policy).readAll();
}

// remove in an AD scope: the chosen values leave the node; the last one tombstones it (with
// --force), and --force on a tombstoned node deletes it.
int removeFromAd(const Context& ctx, Target& t, const model::DomainName& zone,
                 const RemoveOptions& o) {
  directory::AdScopeWriter writer(*t.session, directory::AdLayout(t.base));
  const bool filtered = o.key_tag || o.type;
  auto state = writer.nodeState(zone);
  if (!state) {
    return ctx.report(std::move(state.error()).with("scope", t.base));
  }
  if (*state != directory::AdScopeWriter::NodeState::kLive && !filtered && o.force) {
    const bool absent = *state == directory::AdScopeWriter::NodeState::kAbsent;
    if (absent) {
      // Only a node that existed and was deleted leaves a withdrawal to record; any other name
      // is a mistake (a typo must not leave a stray tombstone).
      auto deleted = writer.wasDeleted(zone);
      if (!deleted) {
        return ctx.report(std::move(deleted.error()).with("scope", t.base));
      }
      if (!*deleted) {
        return ctx.report(Error(ErrorCode::kNotFound, "No such trust point in the AD scope",
                                {{"zone", zone.text()}, {"scope", t.base}}));
      }
    }
    // No node at all: it was deleted rather than tombstoned, and the agents hold the withdrawal
    // until it is confirmed; a tombstoned node is that confirmation. A tombstoned node: its
    // withdrawal is done, and it goes.
    auto r = absent ? writer.recordWithdrawal(zone) : writer.deleteTrustPoint(zone);
    if (!r) {
      return ctx.report(std::move(r.error()).with("scope", t.base));
    }
    ctx.out << (absent ? "recorded the withdrawal of " : "deleted the node of ") << zone.text()
            << (absent ? " (a tombstoned node) in " : " from ") << t.base << "\n";
    return EX_OK;
  }
  auto anchors = writer.readTrustPoint(zone);
  if (!anchors) {
    return ctx.report(std::move(anchors.error()).with("scope", t.base));
  }
  const auto chosen = chooseAnchors(*anchors, o);
  if (chosen.empty()) {
    return ctx.report(Error(ErrorCode::kNotFound, "No anchor of the trust point matches",
                            {{"zone", zone.text()}, {"scope", t.base}}));
  }
  if (chosen.size() == anchors->size() && !o.force) {
    return ctx.report(Error(ErrorCode::kInvalidInput,
                            "This would remove the last anchor of the trust point; validation "
                            "below it would stop. Repeat with --force to do it",
                            {{"zone", zone.text()}, {"anchors", std::to_string(chosen.size())}}));
  }
  auto removed = writer.removeAnchors(zone, chosen);
  if (!removed) {
    return ctx.report(std::move(removed.error()).with("scope", t.base));
  }
  const bool tombstoned = *removed == directory::AdRemoval::kTombstoned;
  if (ctx.output == OutputMode::kJson) {
    ctx.out << nlohmann::json{{"scope", t.base},
                              {"removed", removedJson(chosen)},
                              {"tombstoned", tombstoned}}
                   .dump(2)
            << "\n";
    return EX_OK;
  }
  printRemoved(ctx, chosen, t.base);
  if (tombstoned) {
    ctx.out << "the node of " << zone.text() << " is tombstoned; `remove " << zone.text()
            << " --force` again deletes it\n";
  }
  return EX_OK;
}

}  // namespace

int runRemove(const Context& ctx, const RemoveOptions& o) {
  auto zone = model::DomainName::parse(o.zone);
  if (!zone) {
    return ctx.report(zone.error());
  }
  if (o.type && *o.type != "ds" && *o.type != "dnskey") {
    return ctx.report(Error(ErrorCode::kUsage, "--type must be ds or dnskey", {{"type", *o.type}}));
  }
  auto t = connect(ctx, o.where.scope, /*ad_ok=*/true);
  if (!t) {
    return ctx.report(t.error());
  }
  if (t->ad) {
    return removeFromAd(ctx, *t, *zone, o);
  }
  ScopeClient scope(*t->session, ScopeLayout(t->base));
  auto tp = scope.readTrustPoint(*zone);
  if (!tp) {
    return ctx.report(tp.error());
  }
  const bool filtered = o.key_tag || o.type;
  if (tp->second.empty() && !filtered) {
    // What an earlier `remove --force` left: the trust point kept, empty, to confirm the
    // withdrawal. Removing it now finishes the job.
    if (!o.force) {
      return ctx.report(Error(ErrorCode::kInvalidInput,
                              "The trust point holds no anchor; repeat with --force to delete it",
                              {{"zone", zone->text()}, {"scope", t->base}}));
    }
    if (auto r = scope.deleteTrustPoint(*zone); !r) {
      return ctx.report(r.error());
    }
    if (ctx.output == OutputMode::kJson) {
      ctx.out << nlohmann::json{{"removed_trust_point", zone->text()}, {"scope", t->base}}.dump(2)
              << "\n";
    } else {
      ctx.out << "removed trust point " << zone->text() << " from " << t->base << "\n";
    }
    return EX_OK;
  }
  const auto chosen = chooseAnchors(tp->second, o);
  if (chosen.empty()) {
    return ctx.report(Error(ErrorCode::kNotFound, "No anchor of the trust point matches",
                            {{"zone", zone->text()}, {"scope", t->base}}));
  }
  const bool all = chosen.size() == tp->second.size();
  if (all && !o.force) {
    return ctx.report(Error(ErrorCode::kInvalidInput,
                            "This would remove the last anchor of the trust point; validation "
                            "below it would stop. Repeat with --force to do it",
                            {{"zone", zone->text()}, {"anchors", std::to_string(chosen.size())}}));
  }
  std::optional<model::Time> confirmed_until;
  if (all) {
    // --force is the operator's confirmation: record it on the trust point before the anchors
    // go, so the agents' mass-removal guard lets the withdrawal through. The empty trust point
    // stays until a later `remove --force` deletes it.
    auto info = tp->first;
    info.removal_confirmed_until = now() + kRemovalConfirmation;
    if (auto r = scope.putTrustPoint(info); !r) {
      return ctx.report(r.error());
    }
    confirmed_until = info.removal_confirmed_until;
  }
  for (const auto& a : chosen) {
    if (auto r = scope.deleteAnchor(a); !r) {
      return ctx.report(r.error());
    }
  }
  if (ctx.output == OutputMode::kJson) {
    ctx.out << nlohmann::json{{"scope", t->base},
                              {"removed", removedJson(chosen)},
                              {"removal_confirmed_until", timeText(confirmed_until)}}
                   .dump(2)
            << "\n";
    return EX_OK;
  }
  printRemoved(ctx, chosen, t->base);
  if (confirmed_until) {
    ctx.out << "withdrawal of every anchor of " << zone->text()
            << " confirmed for the agents until " << timeText(confirmed_until) << "; `remove "
            << zone->text() << " --force` again deletes the empty trust point\n";
  }
  return EX_OK;
}

int runList(const Context& ctx, const ScopeOption& where) {
  auto t = connect(ctx, where.scope, /*ad_ok=*/true);
  if (!t) {
    return ctx.report(t.error());
  }
  auto content = t->ad ? readAdScope(*t) : ScopeClient(*t->session, ScopeLayout(t->base)).read();
  if (!content) {
    return ctx.report(content.error());
  }
  std::map<std::string, std::vector<const model::TrustAnchor*>> by_point;
  for (const auto& a : content->anchors) {
    by_point[a.record.owner.text()].push_back(&a);
  }
  if (ctx.output == OutputMode::kJson) {
    nlohmann::json points = nlohmann::json::array();
    for (const auto& tp : content->trust_points) {
      nlohmann::json anchors = nlohmann::json::array();
      for (const auto* a : by_point[tp.name.text()]) {
        anchors.push_back({{"id", a->id()},
                           {"type", model::recordTypeName(a->record.type())},
                           {"key_tag", a->record.keyTag()},
                           {"state", model::keyStateName(a->state)}});
      }
      points.push_back({{"trust_point", tp.name.text()},
                        {"auto_update", tp.auto_update},
                        {"distribute", tp.distribute},
                        {"anchors", anchors}});
    }
    ctx.out << nlohmann::json{{"scope", t->base}, {"trust_points", points}}.dump(2) << "\n";
    return EX_OK;
  }
  ctx.out << "scope " << t->base << "\n";
  ctx.out << std::left << std::setw(32) << "TRUST POINT" << std::setw(8) << "ANCHORS"
          << std::setw(12) << "AUTOUPDATE"
          << "STATES\n";
  for (const auto& tp : content->trust_points) {
    std::map<std::string, int> states;
    for (const auto* a : by_point[tp.name.text()]) {
      ++states[std::string(model::keyStateName(a->state))];
    }
    std::string state_text;
    for (const auto& [s, n] : states) {
      state_text += (state_text.empty() ? "" : ", ") + std::to_string(n) + " " + s;
    }
    ctx.out << std::setw(32) << tp.name.text() << std::setw(8) << by_point[tp.name.text()].size()
            << std::setw(12) << (tp.auto_update ? "on" : "off")
            << (tp.distribute ? state_text : state_text + " (not distributed)") << "\n";
  }
  if (!content->quarantined.empty()) {
    ctx.out << content->quarantined.size() << " entries are not valid and were ignored:\n";
    for (const auto& q : content->quarantined) {
      ctx.out << "  " << q.dn << ": " << q.reason << "\n";
    }
  }
  return EX_OK;
}

int runShow(const Context& ctx, const ScopeOption& where, const std::string& zone_text) {
  auto zone = model::DomainName::parse(zone_text);
  if (!zone) {
    return ctx.report(zone.error());
  }
  auto t = connect(ctx, where.scope, /*ad_ok=*/true);
  if (!t) {
    return ctx.report(t.error());
  }
  auto tp = t->ad ? readAdTrustPoint(*t, *zone)
                  : ScopeClient(*t->session, ScopeLayout(t->base)).readTrustPoint(*zone);
  if (!tp) {
    return ctx.report(tp.error());
  }
  const auto& [info, anchors] = *tp;
  if (ctx.output == OutputMode::kJson) {
    auto rendered = formats::render(formats::Format::kJson, anchors);
    nlohmann::json doc = {{"trust_point", info.name.text()},
                          {"scope", t->base},
                          {"auto_update", info.auto_update},
                          {"distribute", info.distribute},
                          {"last_refresh", timeText(info.last_refresh)},
                          {"next_refresh", timeText(info.next_refresh)},
                          {"last_successful_refresh", timeText(info.last_successful_refresh)},
                          {"last_refresh_result", info.last_refresh_result},
                          {"removal_confirmed_until", timeText(info.removal_confirmed_until)}};
    if (rendered) {
      doc["anchors"] = nlohmann::json::parse(*rendered)["anchors"];
    }
    ctx.out << doc.dump(2) << "\n";
    return EX_OK;
  }
  ctx.out << "trust point   " << info.name.text() << "\n"
          << "scope         " << t->base << "\n"
          << "auto update   " << (info.auto_update ? "on" : "off") << "\n"
          << "distributed   " << (info.distribute ? "yes" : "no") << "\n"
          << "last refresh  " << timeText(info.last_refresh) << " ("
          << (info.last_refresh_result.empty() ? "-" : info.last_refresh_result) << ")\n"
          << "last success  " << timeText(info.last_successful_refresh) << "\n"
          << "next refresh  " << timeText(info.next_refresh) << "\n";
  if (info.removal_confirmed_until) {
    ctx.out << "withdrawal confirmed until " << timeText(info.removal_confirmed_until) << "\n";
  }
  if (anchors.empty()) {
    ctx.out << "\n  no anchor\n";
  }
  for (const auto& a : anchors) {
    ctx.out << "\n  " << model::recordTypeName(a.record.type()) << " key tag " << a.record.keyTag()
            << ", algorithm " << model::algorithmName(a.record.algorithm()) << "\n    state "
            << model::keyStateName(a.state) << " since " << timeText(a.state_changed)
            << ", hold-down until " << timeText(a.hold_down_until) << "\n    origin "
            << model::originName(a.origin) << ", valid " << timeText(a.valid_from) << " to "
            << timeText(a.valid_until) << "\n    " << a.record.rdataText() << "\n";
  }
  return EX_OK;
}

int runRootDeploy(const Context& ctx, const RootDeployOptions& o) {
  std::vector<formats::ParsedAnchor> parsed;
  if (o.xml) {
    if (!o.signature || !o.ca) {
      return ctx.report(Error(ErrorCode::kUsage, "--xml needs --signature and --ca"));
    }
    auto xml = util::readFile(*o.xml, formats::kMaxInputBytes);
    auto sig = xml ? util::readFile(*o.signature, 1 << 20) : Result<std::string>(xml.error());
    if (!xml || !sig) {
      return ctx.report(!xml ? xml.error() : sig.error());
    }
    if (auto v = formats::verifyDetachedSignature(*xml, *sig, *o.ca); !v) {
      return ctx.report(std::move(v.error()).with("xml", *o.xml));
    }
    auto anchors = anchorsFromFile(ctx, *o.xml, std::string("xml"));
    if (!anchors) {
      return ctx.report(anchors.error());
    }
    parsed = std::move(*anchors);
  } else {
    auto anchors = anchorsFromFile(ctx, o.from, std::nullopt);
    if (!anchors) {
      return ctx.report(anchors.error());
    }
    parsed = std::move(*anchors);
  }
  std::vector<model::TrustAnchor> roots;
  for (auto& p : parsed) {
    if (!p.anchor.record.owner.isRoot()) {
      return ctx.report(
          Error(ErrorCode::kInvalidInput, "Root anchor source names another zone",
                {{"where", p.where.toString()}, {"owner", p.anchor.record.owner.text()}}));
    }
    if (p.anchor.valid_until && *p.anchor.valid_until <= now()) {
      ctx.err << "anchorctl: skipping key tag " << p.anchor.record.keyTag()
              << ": its validity ended " << model::formatTime(*p.anchor.valid_until) << "\n";
      continue;
    }
    printFindings(ctx, p.anchor, p.findings);
    p.anchor.origin = model::Origin::kRoot;
    p.anchor.state_changed = now();
    roots.push_back(std::move(p.anchor));
  }
  if (roots.empty()) {
    return ctx.report(Error(ErrorCode::kInvalidInput, "The source holds no usable root anchor"));
  }
  auto t = connect(ctx, o.where.scope, /*ad_ok=*/true);
  if (!t) {
    return ctx.report(t.error());
  }
  return publishAll(ctx, *t, roots);
}

namespace {

struct ServerView {
  std::string server;
  std::string applied;
  std::string expected;
  std::optional<model::Time> applied_time;
  std::vector<std::string> results;
  std::string last_error;
  size_t quarantined = 0;
  std::optional<model::Time> newest_change;  ///< Latest write to the content of its scopes.
  bool converged() const { return !applied.empty() && applied == expected; }

  // Converged: how long the latest change took to be applied. Not converged: how long the server
  // has been behind it. Deletions leave no timestamp and are not timed.
  std::optional<std::chrono::seconds> lag(model::Time at) const {
    if (!newest_change) {
      return std::nullopt;
    }
    const auto end = converged() ? applied_time.value_or(at) : at;
    return std::max(std::chrono::seconds(0),
                    std::chrono::duration_cast<std::chrono::seconds>(end - *newest_change));
  }
};

// The latest modifyTimestamp among the trust points, anchors and NTAs of a scope.
Result<std::optional<model::Time>> newestChange(directory::Session& session,
                                                const std::string& base) {
  const ScopeLayout layout(base);
  std::optional<model::Time> newest;
  for (const auto& container : {layout.trustPoints(), layout.ntas()}) {
    auto entries = session.search(container, directory::Scope::kSubtree, "(objectClass=*)",
                                  {"modifyTimestamp"});
    if (!entries && entries.error().code == ErrorCode::kNotFound) {
      continue;
    }
    if (!entries) {
      return fail(entries.error());
    }
    for (const auto& e : *entries) {
      auto stamp = e.first("modifyTimestamp");
      if (!stamp) {
        continue;
      }
      auto t = directory::parseGeneralizedTime(*stamp);
      if (t && (!newest || *t > *newest)) {
        newest = *t;
      }
    }
  }
  return newest;
}

std::string lagText(const std::optional<std::chrono::seconds>& lag) {
  if (!lag) {
    return "-";
  }
  const auto n = lag->count();
  return n < 120    ? std::to_string(n) + "s"
         : n < 7200 ? std::to_string(n / 60) + "m"
                    : std::to_string(n / 3600) + "h";
}

// Each agent writes its status into every scope it holds; what it should have applied is the
// policy's verdict over exactly those scopes.
Result<std::vector<ServerView>> readConvergence(Target& t) {
  auto bases = directory::discoverScopes(*t.session);
  if (!bases) {
    return fail(bases.error());
  }
  std::map<std::string, directory::ScopeContent> contents;
  std::map<std::string, std::vector<std::string>> scopes_of;
  std::map<std::string, directory::AgentStatus> status_in_target;
  std::map<std::string, std::optional<model::Time>> newest;
  for (const auto& base : *bases) {
    ScopeClient scope(*t.session, ScopeLayout(base));
    auto content = scope.read();
    auto statuses = content ? scope.readAgentStatuses()
                            : Result<std::vector<directory::AgentStatus>>(content.error());
    if (!content || !statuses) {
      return fail(!content ? content.error() : statuses.error());
    }
    contents[base] = std::move(*content);
    auto changed = newestChange(*t.session, base);
    if (!changed) {
      return fail(changed.error());
    }
    newest[base] = *changed;
    for (auto& st : *statuses) {
      scopes_of[st.server].push_back(base);
      if (base == t.base) {
        status_in_target[st.server] = st;
      }
    }
  }
  std::vector<ServerView> out;
  for (const auto& [server, st] : status_in_target) {
    std::vector<agent::ScopeInput> inputs;
    std::optional<model::Time> changed;
    for (const auto& base : scopes_of[server]) {
      inputs.push_back({base, contents[base]});
      if (newest[base] && (!changed || *newest[base] > *changed)) {
        changed = newest[base];
      }
    }
    const auto decision = agent::decide(inputs, std::nullopt, {}, now());
    out.push_back({server, st.applied_digest, decision.digest, st.applied_time, st.resolver_results,
                   st.last_error, st.quarantined.size(), changed});
  }
  return out;
}

}  // namespace

int runStatus(const Context& ctx, const StatusOptions& o) {
  std::chrono::milliseconds wait{0};
  if (o.wait) {
    auto d = config::parseDuration(*o.wait);
    if (!d) {
      return ctx.report(
          Error(ErrorCode::kUsage, d.error().message, {{"option", "--wait"}, {"value", *o.wait}}));
    }
    wait = *d;
  }
  auto t = connect(ctx, o.where.scope);
  if (!t) {
    return ctx.report(t.error());
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  std::vector<ServerView> views;
  while (true) {
    auto read = readConvergence(*t);
    if (!read) {
      return ctx.report(read.error());
    }
    views = std::move(*read);
    const bool all = !views.empty() && std::all_of(views.begin(), views.end(),
                                                   [](const auto& v) { return v.converged(); });
    if (all || std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  const bool all = !views.empty() && std::all_of(views.begin(), views.end(),
                                                 [](const auto& v) { return v.converged(); });
  const auto at = now();
  if (ctx.output == OutputMode::kJson) {
    nlohmann::json servers = nlohmann::json::array();
    for (const auto& v : views) {
      servers.push_back({{"server", v.server},
                         {"converged", v.converged()},
                         {"applied_digest", v.applied},
                         {"expected_digest", v.expected},
                         {"applied_time", timeText(v.applied_time)},
                         {"newest_change", timeText(v.newest_change)},
                         {"lag_seconds",
                          v.lag(at) ? nlohmann::json(v.lag(at)->count()) : nlohmann::json(nullptr)},
                         {"results", v.results},
                         {"last_error", v.last_error},
                         {"quarantined", v.quarantined}});
    }
    ctx.out << nlohmann::json{{"scope", t->base}, {"converged", all}, {"servers", servers}}.dump(2)
            << "\n";
  } else {
    ctx.out << "scope " << t->base << "\n";
    ctx.out << std::left << std::setw(28) << "SERVER" << std::setw(11) << "CONVERGED"
            << std::setw(14) << "APPLIED" << std::setw(22) << "AT" << std::setw(7) << "LAG"
            << "RESULT\n";
    for (const auto& v : views) {
      std::string result;
      for (const auto& r : v.results) {
        result += (result.empty() ? "" : "; ") + r;
      }
      if (!v.last_error.empty()) {
        result += (result.empty() ? "" : "; ") + v.last_error;
      }
      ctx.out << std::setw(28) << v.server << std::setw(11) << (v.converged() ? "yes" : "NO")
              << std::setw(14) << (v.applied.empty() ? "-" : v.applied.substr(0, 12))
              << std::setw(22) << timeText(v.applied_time) << std::setw(7) << lagText(v.lag(at))
              << result << "\n";
    }
    if (views.empty()) {
      ctx.out << "no agent has reported in this scope yet\n";
    }
  }
  return all ? EX_OK : EX_TEMPFAIL;
}

}  // namespace anchorage::cli
