// SPDX-License-Identifier: Apache-2.0
//
// systemd-resolved: dnssec-trust-anchors.d positive and negative files.

#include "writers/resolved_writer.h"

#include "writers/detail.h"

namespace anchorage::writers {
namespace {

constexpr uint8_t kDerivedDigestType = 2;

}  // namespace

ResolvedWriter::ResolvedWriter(WriterSettings settings, ClockFunction clock)
    : Writer(std::move(settings), std::move(clock)) {}

Result<std::string> ResolvedWriter::render(const AnchorSet& set) const {
  const detail::Plan plan = detail::makePlan(set);
  std::string out = detail::fileHeader(";", "Trust anchors for systemd-resolved (*.positive).");
  out += detail::renderState(detail::stateOf(plan), ";");
  for (const auto& tp : plan.trust_points) {
    for (const auto& a : tp.anchors()) {
      if (a.record.isDs()) {
        out += tp.name().text() + " IN DS " + a.record.rdataText() + "\n";
        continue;
      }
      auto ds = model::computeDs(tp.name(), a.record.dnskey(), kDerivedDigestType);
      if (!ds) {
        return fail(std::move(ds.error()).with("resolver", "systemd-resolved"));
      }
      const model::AnchorRecord derived{tp.name(), a.record.ttl, *ds};
      out += "; DS of DNSKEY " + std::to_string(a.record.keyTag()) + "\n";
      out += tp.name().text() + " IN DS " + derived.rdataText() + "\n";
    }
  }
  return out;
}

std::optional<std::string> ResolvedWriter::renderNtas(const AnchorSet& set) const {
  const detail::Plan plan = detail::makePlan(set);
  if (plan.ntas.empty()) {
    return std::nullopt;
  }
  std::string out =
      detail::fileHeader(";", "Negative trust anchors for systemd-resolved (RFC 7646).");
  for (const auto& n : plan.ntas) {
    std::string note = "; until " + model::formatTime(n.expires);
    if (const std::string reason = detail::cleanReason(n.reason); !reason.empty()) {
      note += ": " + reason;
    }
    out += note + "\n" + n.name.text() + "\n";
  }
  return out;
}

Result<std::vector<FileContent>> ResolvedWriter::renderFiles(const AnchorSet& set) const {
  auto positive = render(set);
  if (!positive) {
    return fail(positive.error());
  }
  std::vector<FileContent> files{{settings().anchor_file, std::move(*positive)}};
  auto negative = renderNtas(set);
  if (settings().nta_file.empty()) {
    if (negative) {
      return fail(ErrorCode::kConfig,
                  "Negative trust anchors need an NTA file for systemd-resolved",
                  {{"resolver", "systemd-resolved"}});
    }
    return files;
  }
  files.push_back({settings().nta_file, std::move(negative)});
  return files;
}

std::vector<std::string> ResolvedWriter::defaultReloadCommand() const {
  return {"systemctl", "reload-or-restart", "systemd-resolved.service"};
}

std::vector<std::string> ResolvedWriter::defaultFlushCommand() const {
  return {"resolvectl", "flush-caches"};
}

}  // namespace anchorage::writers
