// SPDX-License-Identifier: Apache-2.0
//
// Trust point management commands. Failure posture as in online.cc: input is read and validated
// whole before anything is written, and each write is one LDAP operation whose result stands on
// its own, so a failure part-way leaves entries the agents accept.

#include "cli/manage.h"

#include <sysexits.h>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/online_support.h"
#include "config/duration.h"
#include "directory/mapping.h"
#include "directory/operations.h"
#include "formats/format.h"
#include "util/encoding.h"
#include "util/file.h"

namespace anchorage::cli {
namespace {

using directory::ScopeClient;
using directory::ScopeLayout;

Result<model::DomainName> zoneArgument(const std::string& text) {
  auto zone = model::DomainName::parse(text);
  if (!zone) {
    return fail(std::move(zone.error()).with("zone", text));
  }
  return zone;
}

void printTrustPointChange(const Context& ctx, const std::string& what,
                           const directory::TrustPointInfo& info, const std::string& base) {
  if (ctx.output == OutputMode::kJson) {
    ctx.out << nlohmann::json{{"trust_point", info.name.text()},
                              {"scope", base},
                              {"change", what},
                              {"auto_update", info.auto_update},
                              {"distribute", info.distribute}}
                   .dump(2)
            << "\n";
  } else {
    ctx.out << what << " " << info.name.text() << " in " << base << "\n";
  }
}

}  // namespace

int runImport(const Context& ctx, const ImportOptions& o) {
  auto parsed = anchorsFromFile(ctx, o.file, o.format);
  if (!parsed) {
    return ctx.report(parsed.error());
  }
  if (parsed->empty()) {
    return ctx.report(
        Error(ErrorCode::kInvalidInput, "The file holds no trust anchor", {{"path", o.file}}));
  }
  std::vector<model::TrustAnchor> anchors;
  for (auto& p : *parsed) {
    printFindings(ctx, p.anchor, p.findings);
    p.anchor.origin = model::Origin::kImport;
    if (!p.anchor.state_changed) {
      p.anchor.state_changed = now();
    }
    anchors.push_back(std::move(p.anchor));
  }
  auto t = connect(ctx, o.where.scope, /*ad_ok=*/true);
  if (!t) {
    return ctx.report(t.error());
  }
  return publishAll(ctx, *t, anchors);
}

int runExport(const Context& ctx, const ExportOptions& o) {
  auto zone = zoneArgument(o.zone);
  auto format = zone ? formats::parseFormatName(o.format) : Result<formats::Format>(zone.error());
  if (!format) {
    return ctx.report(format.error());
  }
  if (*format == formats::Format::kBind) {
    return ctx.report(Error(ErrorCode::kUsage,
                            "bind is an input format only; export writes "
                            "keyset, dsset, zone, xml or json"));
  }
  auto t = connect(ctx, o.where.scope, /*ad_ok=*/true);
  if (!t) {
    return ctx.report(t.error());
  }
  auto tp = t->ad ? readAdTrustPoint(*t, *zone)
                  : ScopeClient(*t->session, ScopeLayout(t->base)).readTrustPoint(*zone);
  if (!tp) {
    return ctx.report(std::move(tp.error()).with("scope", t->base));
  }
  if (tp->second.empty()) {
    return ctx.report(Error(ErrorCode::kNotFound, "The trust point holds no anchor",
                            {{"zone", zone->text()}, {"scope", t->base}}));
  }
  auto text = formats::render(*format, tp->second);
  if (!text) {
    return ctx.report(std::move(text.error()).with("format", o.format));
  }
  if (!o.output_file) {
    ctx.out << *text;
    return EX_OK;
  }
  if (auto w = util::writeFileAtomic(*o.output_file, *text); !w) {
    return ctx.report(w.error());
  }
  ctx.err << "anchorctl: wrote " << tp->second.size() << " anchors of " << zone->text() << " to "
          << *o.output_file << "\n";
  return EX_OK;
}

int runAutoUpdate(const Context& ctx, const AutoUpdateOptions& o) {
  auto zone = zoneArgument(o.zone);
  if (!zone) {
    return ctx.report(zone.error());
  }
  if (o.setting != "on" && o.setting != "off") {
    return ctx.report(
        Error(ErrorCode::kUsage, "The setting must be on or off", {{"setting", o.setting}}));
  }
  auto t = connect(ctx, o.where.scope);
  if (!t) {
    return ctx.report(t.error());
  }
  ScopeClient scope(*t->session, ScopeLayout(t->base));
  auto tp = scope.readTrustPoint(*zone);
  if (!tp) {
    return ctx.report(std::move(tp.error()).with("scope", t->base));
  }
  auto info = tp->first;
  const bool wanted = o.setting == "on";
  if (wanted && std::none_of(tp->second.begin(), tp->second.end(), [](const auto& a) {
        return !a.record.isDs() && model::isTrusted(a.state);
      })) {
    // RFC 5011 §2.1 validates a new key set with a trusted key: a trust point of DS records only
    // can be tracked, but its first refresh needs the DNSKEY the DS names.
    ctx.err << "anchorctl: warning: " << zone->text()
            << " has no trusted DNSKEY anchor; the refresher will start from its DS records\n";
  }
  if (info.auto_update == wanted) {
    printTrustPointChange(ctx, std::string("auto update already ") + o.setting + " for", info,
                          t->base);
    return EX_OK;
  }
  info.auto_update = wanted;
  if (auto w = scope.putTrustPoint(info); !w) {
    return ctx.report(w.error());
  }
  printTrustPointChange(ctx, std::string("auto update ") + o.setting + " for", info, t->base);
  return EX_OK;
}

namespace {

// The scopes of the directory that hold trust point `zone`, with their content of it.
struct Holding {
  std::string base;
  directory::TrustPointInfo info;
  std::vector<model::TrustAnchor> anchors;
};

Result<std::vector<Holding>> scopesHolding(directory::Session& session,
                                           const model::DomainName& zone) {
  auto bases = directory::discoverScopes(session);
  if (!bases) {
    return fail(bases.error());
  }
  std::vector<Holding> out;
  for (const auto& base : *bases) {
    auto tp = ScopeClient(session, ScopeLayout(base)).readTrustPoint(zone);
    if (tp) {
      out.push_back({base, tp->first, tp->second});
    } else if (tp.error().code != ErrorCode::kNotFound) {
      return fail(std::move(tp.error()).with("scope", base));
    }
  }
  return out;
}

int distributeOff(const Context& ctx, const DistributeOptions& o, const model::DomainName& zone) {
  auto t = connect(ctx, o.where.scope);
  if (!t) {
    return ctx.report(t.error());
  }
  ScopeClient scope(*t->session, ScopeLayout(t->base));
  auto tp = scope.readTrustPoint(zone);
  if (!tp) {
    return ctx.report(std::move(tp.error()).with("scope", t->base));
  }
  auto info = tp->first;
  if (!info.distribute) {
    printTrustPointChange(ctx, "already out of distribution:", info, t->base);
    return EX_OK;
  }
  // Taking a trust point out withdraws all its anchors from every resolver: that is what the
  // agents' guard holds unless the withdrawal is confirmed, and here the operator asked for it.
  info.distribute = false;
  info.removal_confirmed_until = now() + kRemovalConfirmation;
  if (auto w = scope.putTrustPoint(info); !w) {
    return ctx.report(w.error());
  }
  printTrustPointChange(ctx, "took out of distribution", info, t->base);
  return EX_OK;
}

}  // namespace

int runDistribute(const Context& ctx, const DistributeOptions& o) {
  auto zone = zoneArgument(o.zone);
  if (!zone) {
    return ctx.report(zone.error());
  }
  if (o.off) {
    if (!o.from.empty()) {
      return ctx.report(Error(ErrorCode::kUsage, "--from goes with --scope, not with --off"));
    }
    return distributeOff(ctx, o, *zone);
  }
  if (o.where.scope.empty()) {
    return ctx.report(Error(ErrorCode::kUsage, "Name the scope to distribute to with --scope"));
  }
  auto t = connect(ctx, o.where.scope);
  if (!t) {
    return ctx.report(t.error());
  }
  auto holding = scopesHolding(*t->session, *zone);
  if (!holding) {
    return ctx.report(holding.error());
  }
  ScopeClient target(*t->session, ScopeLayout(t->base));
  for (const auto& h : *holding) {
    if (h.base == t->base) {
      if (h.info.distribute) {
        printTrustPointChange(ctx, "already distributed:", h.info, t->base);
        return EX_OK;
      }
      auto info = h.info;
      info.distribute = true;
      info.removal_confirmed_until.reset();
      if (auto w = target.putTrustPoint(info); !w) {
        return ctx.report(w.error());
      }
      printTrustPointChange(ctx, "distributing", info, t->base);
      return EX_OK;
    }
  }
  // Copy from the one other scope that holds it (or the one --from names).
  std::vector<const Holding*> sources;
  std::string known;
  for (const auto& h : *holding) {
    known += (known.empty() ? "" : "; ") + h.base;
    if (o.from.empty() || util::toLower(h.base) == util::toLower(o.from)) {
      sources.push_back(&h);
    }
  }
  if (sources.size() != 1) {
    return ctx.report(Error(
        sources.empty() ? ErrorCode::kNotFound : ErrorCode::kUsage,
        sources.empty() ? "No scope holds the trust point; publish it first with anchorctl add"
                        : "Several scopes hold the trust point; choose the source with --from",
        {{"zone", zone->text()}, {"holding", known.empty() ? "none" : known}}));
  }
  const Holding& source = *sources.front();
  auto info = source.info;
  info.distribute = true;
  info.removal_confirmed_until.reset();
  info.last_refresh.reset();
  info.next_refresh.reset();
  info.last_successful_refresh.reset();
  info.last_refresh_result.clear();
  // The trust point entry first, so agents of the target never see anchors of a trust point
  // that is not (yet) distributed there with its flags.
  if (auto w = target.putTrustPoint(info); !w) {
    return ctx.report(w.error());
  }
  for (const auto& a : source.anchors) {
    if (auto w = target.publishAnchor(a); !w) {
      return ctx.report(std::move(w.error()).with("copied_from", source.base));
    }
  }
  ctx.err << "anchorctl: copied " << source.anchors.size() << " anchors from " << source.base
          << "\n";
  printTrustPointChange(ctx, "distributing", info, t->base);
  return EX_OK;
}

int runRefresh(const Context& ctx, const RefreshOptions& o) {
  std::optional<model::DomainName> zone;
  if (!o.zone.empty()) {
    auto parsed = zoneArgument(o.zone);
    if (!parsed) {
      return ctx.report(parsed.error());
    }
    zone = *parsed;
  }
  auto t = connect(ctx, o.where.scope);
  if (!t) {
    return ctx.report(t.error());
  }
  ScopeClient scope(*t->session, ScopeLayout(t->base));
  std::vector<directory::TrustPointInfo> chosen;
  if (zone) {
    auto tp = scope.readTrustPoint(*zone);
    if (!tp) {
      return ctx.report(std::move(tp.error()).with("scope", t->base));
    }
    if (!tp->first.auto_update) {
      return ctx.report(Error(ErrorCode::kInvalidInput,
                              "Automatic update is off for the trust point; turn it on with "
                              "anchorctl autoupdate ZONE on",
                              {{"zone", zone->text()}, {"scope", t->base}}));
    }
    chosen.push_back(tp->first);
  } else {
    auto content = scope.read();
    if (!content) {
      return ctx.report(content.error());
    }
    for (const auto& tp : content->trust_points) {
      if (tp.auto_update) {
        chosen.push_back(tp);
      }
    }
    if (chosen.empty()) {
      return ctx.report(Error(ErrorCode::kNotFound,
                              "No trust point of the scope has automatic "
                              "update on",
                              {{"scope", t->base}}));
    }
  }
  // Due now: the refresher of the scope probes it at its next step, which the change itself
  // triggers on every agent.
  const auto at = now();
  for (auto& info : chosen) {
    info.next_refresh = at;
    if (auto w = scope.putTrustPoint(info); !w) {
      return ctx.report(w.error());
    }
    printTrustPointChange(ctx, "refresh requested for", info, t->base);
  }
  return EX_OK;
}

int runNtaAdd(const Context& ctx, const NtaOptions& o) {
  auto name = zoneArgument(o.name);
  if (!name) {
    return ctx.report(name.error());
  }
  auto lifetime = config::parseDuration(o.lifetime);
  if (!lifetime) {
    return ctx.report(Error(ErrorCode::kUsage, lifetime.error().message,
                            {{"option", "--lifetime"}, {"value", o.lifetime}}));
  }
  if (*lifetime < std::chrono::seconds(60) || *lifetime > kMaxNtaLifetime) {
    return ctx.report(Error(ErrorCode::kUsage,
                            "An NTA lifetime must be between one minute and one week (rndc caps "
                            "BIND's NTAs at a week, and every resolver must lapse together)",
                            {{"lifetime", o.lifetime}}));
  }
  if (o.reason.empty()) {
    return ctx.report(
        Error(ErrorCode::kUsage, "Say why validation is switched off with --reason (RFC 7646 §2)"));
  }
  auto t = connect(ctx, o.where.scope);
  if (!t) {
    return ctx.report(t.error());
  }
  model::NegativeTrustAnchor nta;
  nta.name = *name;
  nta.expires = now() + std::chrono::duration_cast<std::chrono::seconds>(*lifetime);
  nta.reason = o.reason;
  if (auto who = t->session->whoAmI()) {
    nta.created_by = who->starts_with("dn:") ? who->substr(3) : *who;
  }
  if (auto w = ScopeClient(*t->session, ScopeLayout(t->base)).putNta(nta); !w) {
    return ctx.report(w.error());
  }
  if (ctx.output == OutputMode::kJson) {
    ctx.out << nlohmann::json{{"nta", nta.name.text()},
                              {"expires", model::formatTime(nta.expires)},
                              {"reason", nta.reason},
                              {"scope", t->base}}
                   .dump(2)
            << "\n";
  } else {
    ctx.out << "validation off below " << nta.name.text() << " until "
            << model::formatTime(nta.expires) << " in " << t->base << "\n";
  }
  return EX_OK;
}

int runNtaRemove(const Context& ctx, const NtaOptions& o) {
  auto name = zoneArgument(o.name);
  if (!name) {
    return ctx.report(name.error());
  }
  auto t = connect(ctx, o.where.scope);
  if (!t) {
    return ctx.report(t.error());
  }
  if (auto d = ScopeClient(*t->session, ScopeLayout(t->base)).deleteNta(*name); !d) {
    return ctx.report(std::move(d.error()).with("nta", name->text()).with("scope", t->base));
  }
  if (ctx.output == OutputMode::kJson) {
    ctx.out << nlohmann::json{{"nta_removed", name->text()}, {"scope", t->base}}.dump(2) << "\n";
  } else {
    ctx.out << "validation back on below " << name->text() << " in " << t->base << "\n";
  }
  return EX_OK;
}

int runNtaList(const Context& ctx, const NtaOptions& o) {
  auto t = connect(ctx, o.where.scope);
  if (!t) {
    return ctx.report(t.error());
  }
  auto content = ScopeClient(*t->session, ScopeLayout(t->base)).read();
  if (!content) {
    return ctx.report(content.error());
  }
  const auto at = now();
  if (ctx.output == OutputMode::kJson) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& n : content->ntas) {
      list.push_back({{"nta", n.name.text()},
                      {"expires", model::formatTime(n.expires)},
                      {"active", n.activeAt(at)},
                      {"reason", n.reason},
                      {"created_by", n.created_by}});
    }
    ctx.out << nlohmann::json{{"scope", t->base}, {"ntas", list}}.dump(2) << "\n";
    return EX_OK;
  }
  ctx.out << "scope " << t->base << "\n";
  if (content->ntas.empty()) {
    ctx.out << "no negative trust anchor\n";
    return EX_OK;
  }
  ctx.out << std::left << std::setw(32) << "NAME" << std::setw(24) << "EXPIRES" << std::setw(9)
          << "ACTIVE"
          << "REASON\n";
  for (const auto& n : content->ntas) {
    ctx.out << std::setw(32) << n.name.text() << std::setw(24) << model::formatTime(n.expires)
            << std::setw(9) << (n.activeAt(at) ? "yes" : "expired") << n.reason << "\n";
  }
  return EX_OK;
}

}  // namespace anchorage::cli
