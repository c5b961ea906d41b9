// SPDX-License-Identifier: Apache-2.0
//
// Shared pieces of the online anchorctl commands; see online_support.h.

#include "cli/online_support.h"

#include <sysexits.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "directory/ad_writer.h"
#include "formats/anchor_signature.h"
#include "util/encoding.h"
#include "util/file.h"

namespace anchorage::cli {

using directory::ScopeClient;
using directory::ScopeLayout;
using directory::Session;

model::Time now() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

namespace {

directory::SessionSettings settingsFor(const config::Config& c) {
  // anchorctl writes: it talks to the providers (directory.write), or to the read list when no
  // write list is configured.
  return agent::sessionSettings(c.directory,
                                c.directory.write.empty() ? c.directory.read : c.directory.write);
}

}  // namespace

// Picks the scope named by `wanted` (a configured name, a label such as "forest" for
// dc=ForestDnsZones, or a base DN), or the only scope there is.
Result<std::string> chooseScope(const config::Config& c, Session& session,
                                const std::string& wanted) {
  std::vector<std::pair<std::string, std::string>> scopes;  // (name, base)
  if (!c.scopes.automatic) {
    for (const auto& s : c.scopes.listed) {
      scopes.emplace_back(s.name, s.base);
    }
  } else {
    auto found = directory::discoverScopes(session);
    if (!found) {
      return fail(found.error());
    }
    for (const auto& base : *found) {
      auto rdns = directory::splitDn(base);
      scopes.emplace_back(rdns && !rdns->empty() ? util::toLower(rdns->front().second) : base,
                          base);
    }
  }
  std::vector<std::string> matches;
  for (const auto& [name, base] : scopes) {
    const bool match = wanted.empty() || util::toLower(wanted) == util::toLower(base) ||
                       util::toLower(name).starts_with(util::toLower(wanted));
    if (match) {
      matches.push_back(base);
    }
  }
  std::string known;
  for (const auto& [name, base] : scopes) {
    known += (known.empty() ? "" : "; ") + name + " (" + base + ")";
  }
  if (matches.size() == 1) {
    return matches.front();
  }
  if (matches.empty()) {
    return fail(ErrorCode::kUsage,
                wanted.empty() ? "The directory holds no Anchorage scope" : "No such scope",
                {{"scope", wanted}, {"known", known}});
  }
  return fail(ErrorCode::kUsage, "Several scopes match; choose one with --scope",
              {{"scope", wanted}, {"known", known}});
}

Result<std::pair<config::Config, std::unique_ptr<Session>>> openDirectory(const Context& ctx) {
  const std::string path = ctx.config_path.empty() ? kDefaultConfig : ctx.config_path;
  auto c = config::loadConfigFile(path);
  if (!c) {
    return fail(ErrorCode::kConfig, config::describeConfigError(c.error()));
  }
  auto session = Session::open(settingsFor(*c));
  if (!session) {
    return fail(session.error());
  }
  return std::pair{std::move(*c), std::move(*session)};
}

Result<Target> connect(const Context& ctx, const std::string& scope, bool ad_ok) {
  auto opened = openDirectory(ctx);
  if (!opened) {
    return fail(opened.error());
  }
  auto& [c, session] = *opened;
  auto base = chooseScope(c, *session, scope);
  if (!base) {
    return fail(base.error());
  }
  const std::string wanted = util::toLower(*base);
  const bool ad = std::any_of(c.scopes.listed.begin(), c.scopes.listed.end(), [&](const auto& s) {
    return s.type == config::ScopeType::kActiveDirectory && util::toLower(s.base) == wanted;
  });
  if (ad && !ad_ok) {
    return fail(ErrorCode::kUnsupported,
                "The scope is an AD TrustAnchors zone, which holds only DS and DNSKEY records; "
                "this command needs an Anchorage scope",
                {{"scope", *base}});
  }
  return Target{std::move(c), std::move(session), *base, ad};
}

Result<std::pair<directory::TrustPointInfo, std::vector<model::TrustAnchor>>> readAdTrustPoint(
    Target& t, const model::DomainName& zone) {
  auto anchors =
      directory::AdScopeWriter(*t.session, directory::AdLayout(t.base)).readTrustPoint(zone);
  if (!anchors) {
    return fail(anchors.error());
  }
  directory::TrustPointInfo info;
  info.name = zone;
  return std::pair{std::move(info), std::move(*anchors)};
}

void printFindings(const Context& ctx, const model::TrustAnchor& a,
                   const std::vector<model::Finding>& findings) {
  for (const auto& f : findings) {
    ctx.err << "anchorctl: warning: " << a.record.owner.text() << " key tag " << a.record.keyTag()
            << ": " << f.message << "\n";
  }
}

// Reads anchors from a file; problems are printed as FILE:LINE: reason.
Result<std::vector<formats::ParsedAnchor>> anchorsFromFile(const Context& ctx,
                                                           const std::string& path,
                                                           const std::optional<std::string>& fmt) {
  auto text = util::readFile(path, formats::kMaxInputBytes);
  if (!text) {
    return fail(text.error());
  }
  formats::Format format = formats::detectFormat(*text, path);
  if (fmt) {
    auto f = formats::parseFormatName(*fmt);
    if (!f) {
      return fail(f.error());
    }
    format = *f;
  }
  auto parsed = formats::parse(format, *text, path);
  if (!parsed.clean()) {
    for (const auto& p : parsed.problems) {
      ctx.err << p.where.toString() << ": " << p.reason << "\n";
    }
    return fail(ErrorCode::kInvalidInput, "The file has problems; nothing was published",
                {{"path", path}});
  }
  return std::move(parsed.anchors);
}

namespace {

const char* outcomeName(directory::PublishOutcome o) {
  switch (o) {
    case directory::PublishOutcome::kAdded:
      return "added";
    case directory::PublishOutcome::kReplaced:
      return "replaced";
    case directory::PublishOutcome::kUnchanged:
      return "unchanged";
    case directory::PublishOutcome::kRevokedKept:
      return "kept revoked";
  }
  return "unchanged";
}

}  // namespace

int publishAll(const Context& ctx, Target& t,
               const std::vector<model::TrustAnchor>& unsigned_anchors) {
  // With publisher.signing_key_file, every anchor goes out signed (formats/anchor_signature.h).
  std::vector<model::TrustAnchor> anchors = unsigned_anchors;
  if (!t.config.publisher.signing_key_file.empty()) {
    auto signer = formats::AnchorSigner::load(t.config.publisher.signing_key_file);
    if (!signer) {
      return ctx.report(Error(ErrorCode::kConfig,
                              "publisher.signing_key_file: " + signer.error().message,
                              signer.error().fields));
    }
    for (auto& a : anchors) {
      a.publisher_signature = signer->sign(a.record);
    }
  }
  std::optional<directory::AdScopeWriter> ad;
  if (t.ad) {
    for (const auto& a : anchors) {
      if (a.state != model::KeyState::kValid) {
        return ctx.report(Error(ErrorCode::kUnsupported,
                                "An AD scope keeps no key states; only Valid anchors can be "
                                "published there (drop --hold-down)",
                                {{"owner", a.record.owner.text()},
                                 {"state", std::string(model::keyStateName(a.state))}}));
      }
    }
    ad.emplace(*t.session, directory::AdLayout(t.base));
    auto created = ad->ensureZone();
    if (!created) {
      return ctx.report(created.error());
    }
    if (*created) {
      ctx.err << "anchorctl: created the zone " << ad->layout().zone() << "\n";
    }
  }
  ScopeClient scope(*t.session, ScopeLayout(t.base));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : anchors) {
    auto r = ad ? ad->publishAnchor(a) : scope.publishAnchor(a);
    if (!r) {
      return ctx.report(r.error());
    }
    if (*r == directory::PublishOutcome::kRevokedKept) {
      ctx.err << "anchorctl: warning: " << a.record.owner.text() << " key tag " << a.record.keyTag()
              << " was revoked by its owner; it stays untrusted (remove it first to publish it "
                 "again)\n";
    }
    if (ctx.output == OutputMode::kJson) {
      out.push_back({{"owner", a.record.owner.text()},
                     {"id", a.id()},
                     {"outcome", outcomeName(*r)},
                     {"scope", t.base}});
    } else {
      ctx.out << outcomeName(*r) << " " << a.record.owner.text() << " "
              << model::recordTypeName(a.record.type()) << " key tag " << a.record.keyTag();
      if (*r != directory::PublishOutcome::kRevokedKept) {
        ctx.out << " (" << model::keyStateName(a.state) << ")";
      }
      ctx.out << " in " << t.base << "\n";
    }
  }
  if (ctx.output == OutputMode::kJson) {
    ctx.out << out.dump(2) << "\n";
  }
  return EX_OK;
}

std::string timeText(const std::optional<model::Time>& t) {
  return t ? model::formatTime(*t) : "-";
}

}  // namespace anchorage::cli
