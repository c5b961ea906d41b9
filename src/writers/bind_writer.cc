// SPDX-License-Identifier: Apache-2.0
//
// BIND 9: trust-anchors include, rndc reconfig/flushtree/nta.

#include "writers/bind_writer.h"

#include <algorithm>

#include "util/encoding.h"
#include "writers/detail.h"

namespace anchorage::writers {

BindWriter::BindWriter(WriterSettings settings, ClockFunction clock)
    : Writer(std::move(settings), std::move(clock)) {}

Result<std::string> BindWriter::render(const AnchorSet& set) const {
  const detail::Plan plan = detail::makePlan(set);
  std::string out =
      detail::fileHeader("#", "Trust anchors for BIND 9 (include this file from named.conf).");
  out += detail::renderState(detail::stateOf(plan), "#");
  if (plan.trust_points.empty()) {
    return out;
  }
  out += "trust-anchors {\n";
  for (const auto& tp : plan.trust_points) {
    if (!detail::isPlainName(tp.name())) {
      return fail(detail::unsupportedName("bind", tp.name()));
    }
    for (const auto& a : tp.anchors()) {
      out += "  \"" + tp.name().text() + "\" ";
      if (a.record.isDs()) {
        const auto& ds = a.record.ds();
        out += "static-ds " + std::to_string(ds.key_tag) + " " + std::to_string(ds.algorithm) +
               " " + std::to_string(ds.digest_type) + " \"" + util::encodeHex(ds.digest) + "\";\n";
      } else {
        const auto& key = a.record.dnskey();
        out += "static-key " + std::to_string(key.flags) + " " + std::to_string(key.protocol) +
               " " + std::to_string(key.algorithm) + " \"" + util::encodeBase64(key.public_key) +
               "\";\n";
      }
    }
  }
  out += "};\n";
  return out;
}

std::vector<std::vector<std::string>> BindWriter::ntaCommands(
    const std::optional<WrittenState>& before, const WrittenState& after) const {
  std::vector<std::vector<std::string>> out;
  const std::vector<std::string> rndc = controlCommand({"rndc"});
  if (before) {
    for (const auto& [name, expiry] : before->ntas) {
      if (after.ntas.find(name) == after.ntas.end()) {
        auto argv = rndc;
        argv.insert(argv.end(), {"nta", "-remove", name});
        out.push_back(std::move(argv));
      }
    }
  }
  for (const auto& [name, expiry] : after.ntas) {
    if (before) {
      const auto it = before->ntas.find(name);
      if (it != before->ntas.end() && it->second == expiry) {
        continue;
      }
    }
    const auto until = model::parseTime(expiry);
    if (!until || *until <= now()) {
      continue;
    }
    // LIMITATION(L-0101): rndc caps an NTA at one week; a longer NTA lapses in BIND after a week
    // unless the set is applied again (with force) before then.
    const auto lifetime = std::min(std::chrono::duration_cast<std::chrono::seconds>(*until - now()),
                                   kBindMaxNtaLifetime);
    auto argv = rndc;
    // -force keeps BIND from lifting the NTA by itself when the zone validates again
    // (nta-recheck): the operator's decision stands until it expires or is withdrawn.
    argv.insert(argv.end(), {"nta", "-force", "-lifetime", std::to_string(lifetime.count()), name});
    out.push_back(std::move(argv));
  }
  return out;
}

Result<void> BindWriter::applyNtas(const std::optional<WrittenState>& before,
                                   const WrittenState& after) const {
  for (const auto& argv : ntaCommands(before, after)) {
    if (auto r = runStep(ApplyStep::kNta, argv); !r) {
      return fail(std::move(r.error()));
    }
  }
  return ok();
}

std::vector<std::string> BindWriter::defaultCheckCommand() const {
  return {"named-checkconf", "{file}"};
}

std::vector<std::string> BindWriter::defaultReloadCommand() const {
  auto argv = controlCommand({"rndc"});
  argv.push_back("reconfig");
  return argv;
}

std::vector<std::string> BindWriter::defaultFlushCommand() const {
  auto argv = controlCommand({"rndc"});
  argv.push_back("flushtree");
  argv.push_back("{zone}");
  return argv;
}

}  // namespace anchorage::writers
