// SPDX-License-Identifier: Apache-2.0
//
// Shared rendering helpers of the writers.

#include "writers/detail.h"

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "util/encoding.h"

namespace anchorage::writers::detail {
namespace {

constexpr std::string_view kStateMarker = "anchorage-state";
constexpr std::string_view kStateVersion = "v1";
constexpr std::string_view kTrustPointKey = "anchorage-tp";
constexpr std::string_view kNtaKey = "anchorage-nta";
constexpr size_t kMaxReason = 200;

/// Short digest of a trust point's anchors: the first 8 octets of SHA-256 over its sorted records.
std::string trustPointDigest(const model::TrustPoint& tp) {
  std::vector<std::string> lines;
  for (const auto& a : tp.anchors()) {
    lines.push_back(std::string(model::recordTypeName(a.record.type())) + " " +
                    a.record.rdataText());
  }
  std::sort(lines.begin(), lines.end());
  std::string joined;
  for (const auto& l : lines) {
    joined += l + "\n";
  }
  const auto hash = util::digest("sha256", std::vector<uint8_t>(joined.begin(), joined.end()));
  return util::encodeHex({hash.begin(), hash.begin() + 8}, false);
}

}  // namespace

bool coveredByNta(const model::DomainName& name, const std::vector<NegativeTrustAnchor>& ntas) {
  return std::any_of(ntas.begin(), ntas.end(),
                     [&](const NegativeTrustAnchor& n) { return name.isSubdomainOf(n.name); });
}

Plan makePlan(const AnchorSet& set) {
  Plan plan;
  std::map<model::DomainName, NegativeTrustAnchor> ntas;
  for (const auto& n : set.ntas) {
    auto [it, inserted] = ntas.try_emplace(n.name, n);
    if (!inserted && n.expires > it->second.expires) {
      it->second = n;
    }
  }
  for (auto& [name, nta] : ntas) {
    plan.ntas.push_back(nta);
  }
  std::vector<model::TrustAnchor> trusted;
  for (const auto& a : set.anchors) {
    if (model::isTrusted(a.state)) {
      trusted.push_back(a);
    }
  }
  for (auto& tp : model::groupByTrustPoint(trusted)) {
    if (coveredByNta(tp.name(), plan.ntas)) {
      plan.suppressed.push_back(tp.name());
    } else {
      plan.trust_points.push_back(std::move(tp));
    }
  }
  return plan;
}

WrittenState stateOf(const Plan& plan) {
  WrittenState s;
  for (const auto& tp : plan.trust_points) {
    s.trust_points[tp.name().text()] = trustPointDigest(tp);
  }
  for (const auto& n : plan.ntas) {
    s.ntas[n.name.text()] = model::formatTime(n.expires);
  }
  return s;
}

std::string renderState(const WrittenState& state, std::string_view comment) {
  const std::string c(comment);
  std::string out = c + " " + std::string(kStateMarker) + " " + std::string(kStateVersion) + "\n";
  for (const auto& [name, digest] : state.trust_points) {
    out += c + " " + std::string(kTrustPointKey) + " " + name + " " + digest + "\n";
  }
  for (const auto& [name, expiry] : state.ntas) {
    out += c + " " + std::string(kNtaKey) + " " + name + " " + expiry + "\n";
  }
  return out;
}

std::optional<WrittenState> parseState(std::string_view text, std::string_view comment) {
  WrittenState state;
  bool marked = false;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.substr(0, comment.size()) != comment) {
      continue;
    }
    const auto fields = util::splitFields(line.substr(comment.size()));
    if (fields.size() == 2 && fields[0] == kStateMarker && fields[1] == kStateVersion) {
      marked = true;
    } else if (fields.size() == 3 && fields[0] == kTrustPointKey) {
      state.trust_points[std::string(fields[1])] = std::string(fields[2]);
    } else if (fields.size() == 3 && fields[0] == kNtaKey) {
      state.ntas[std::string(fields[1])] = std::string(fields[2]);
    }
  }
  if (!marked) {
    return std::nullopt;
  }
  return state;
}

std::vector<std::string> changedNames(const std::optional<WrittenState>& before,
                                      const WrittenState& after) {
  if (!before) {
    return {"."};
  }
  std::set<std::string> names;
  auto collect = [&](const std::map<std::string, std::string>& a,
                     const std::map<std::string, std::string>& b, bool compare_values) {
    for (const auto& [name, value] : a) {
      const auto it = b.find(name);
      if (it == b.end() || (compare_values && it->second != value)) {
        names.insert(name);
      }
    }
  };
  collect(before->trust_points, after.trust_points, true);
  collect(after.trust_points, before->trust_points, true);
  collect(before->ntas, after.ntas, false);
  collect(after.ntas, before->ntas, false);

  std::vector<model::DomainName> parsed;
  for (const auto& n : names) {
    if (auto d = model::DomainName::parse(n)) {
      parsed.push_back(*d);
    }
  }
  std::sort(parsed.begin(), parsed.end());
  std::vector<std::string> out;
  std::vector<model::DomainName> kept;
  for (const auto& d : parsed) {
    const bool below_kept = std::any_of(
        kept.begin(), kept.end(), [&](const model::DomainName& k) { return d.isSubdomainOf(k); });
    if (!below_kept) {
      kept.push_back(d);
      out.push_back(d.text());
    }
  }
  return out;
}

std::string fileHeader(std::string_view comment, std::string_view what) {
  const std::string c(comment);
  return c + " " + std::string(what) + "\n" + c +
         " Written by Anchorage; edits are replaced at the next apply.\n";
}

bool isPlainName(const model::DomainName& name) {
  return std::all_of(name.text().begin(), name.text().end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '*' || c == '.';
  });
}

std::string luaQuote(std::string_view text) {
  std::string out = "'";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      // Three digits always, so that a digit after the escape is not taken into it.
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\%03u", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "'";
}

std::string cleanReason(std::string_view reason) {
  std::string out;
  for (const char ch : reason) {
    if (out.size() >= kMaxReason) {
      break;
    }
    const auto c = static_cast<unsigned char>(ch);
    out += (c >= 0x20 && c < 0x7f) ? ch : ' ';
  }
  return std::string(util::trim(out));
}

Result<ScratchDir> ScratchDir::create(std::string_view purpose) {
  const char* env = std::getenv("TMPDIR");
  std::string pattern = (env != nullptr && env[0] == '/' ? std::string(env) : std::string("/tmp")) +
                        "/anchorage-" + std::string(purpose) + "-" + std::string(6, 'X');
  if (::mkdtemp(pattern.data()) == nullptr) {
    return fail(ErrorCode::kIo, "Temporary directory cannot be created",
                {{"path", pattern}, {"reason", std::strerror(errno)}});
  }
  return ScratchDir(std::move(pattern));
}

ScratchDir::~ScratchDir() {
  if (!path_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
}

std::string replaceAll(std::string text, std::string_view from, std::string_view to) {
  if (from.empty()) {
    return text;
  }
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
  return text;
}

Error unsupportedName(std::string_view resolver, const model::DomainName& name) {
  return Error(ErrorCode::kUnsupported, "Name cannot be written in this resolver's syntax",
               {{"resolver", std::string(resolver)}, {"name", name.text()}});
}

}  // namespace anchorage::writers::detail
