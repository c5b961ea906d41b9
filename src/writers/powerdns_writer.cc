// SPDX-License-Identifier: Apache-2.0
//
// PowerDNS Recursor: Lua fragment with clearTA/addTA/addNTA, checked by a throwaway recursor.

#include "writers/powerdns_writer.h"

#include <filesystem>

#include "util/file.h"
#include "writers/command.h"
#include "writers/detail.h"

namespace anchorage::writers {
namespace {

/// Digest type used for DS records derived from DNSKEY anchors.
constexpr uint8_t kDerivedDigestType = 2;

}  // namespace

PowerDnsWriter::PowerDnsWriter(WriterSettings settings, ClockFunction clock)
    : Writer(std::move(settings), std::move(clock)) {}

Result<std::string> PowerDnsWriter::render(const AnchorSet& set) const {
  const detail::Plan plan = detail::makePlan(set);
  std::string out = detail::fileHeader(
      "--", "Trust anchors for PowerDNS Recursor (dofile() this from lua-config-file).");
  out += detail::renderState(detail::stateOf(plan), "--");
  const bool has_root = std::any_of(plan.trust_points.begin(), plan.trust_points.end(),
                                    [](const model::TrustPoint& tp) { return tp.name().isRoot(); });
  if (has_root) {
    out += "clearTA('.')\n";
  }
  for (const auto& tp : plan.trust_points) {
    const std::string name = detail::luaQuote(tp.name().text());
    for (const auto& a : tp.anchors()) {
      if (a.record.isDs()) {
        out += "addTA(" + name + ", " + detail::luaQuote(a.record.rdataText()) + ")\n";
        continue;
      }
      auto ds = model::computeDs(tp.name(), a.record.dnskey(), kDerivedDigestType);
      if (!ds) {
        return fail(std::move(ds.error()).with("resolver", "powerdns"));
      }
      const model::AnchorRecord derived{tp.name(), a.record.ttl, *ds};
      out += "-- DS of DNSKEY " + std::to_string(a.record.keyTag()) + " (addTA takes DS only)\n";
      out += "addTA(" + name + ", " + detail::luaQuote(derived.rdataText()) + ")\n";
    }
  }
  for (const auto& n : plan.ntas) {
    out += "addNTA(" + detail::luaQuote(n.name.text()) + ", " +
           detail::luaQuote(detail::cleanReason(n.reason)) + ")\n";
  }
  return out;
}

Result<void> PowerDnsWriter::check(const AnchorSet& set,
                                   const std::vector<FileContent>& files) const {
  if (!settings().check_command.empty()) {
    return Writer::check(set, files);
  }
  auto scratch = detail::ScratchDir::create("pdns-check");
  if (!scratch) {
    return fail(stepError(ApplyStep::kCheck, "Checker cannot be prepared")
                    .with("reason", scratch.error().toString()));
  }
  const std::string fragment = scratch->file("anchors.lua");
  const std::string marker = scratch->file("loaded");
  std::string content;
  for (const auto& f : files) {
    if (f.path == settings().anchor_file) {
      content = f.content.value_or("");
    }
  }
  // The marker is written only when every line of the fragment has run without an error.
  const std::string lua = "dofile(" + detail::luaQuote(fragment) + ")\nlocal f = io.open(" +
                          detail::luaQuote(marker) + ", 'w')\nf:write('ok')\nf:close()\n";
  // Port 0, a loopback source for queries and every name forwarded to the discard port: the
  // throwaway recursor can neither collide with a real one nor query off the machine.
  const std::string conf =
      "daemon=no\nsocket-dir=" + scratch->path() + "\nlocal-address=" + settings().checker_address +
      "\nlocal-port=0\nquery-local-address=" + settings().checker_address +
      "\nlua-config-file=" + scratch->file("check.lua") +
      "\nsecurity-poll-suffix=\nforward-zones=.=" + settings().checker_address +
      ":9\nthreads=1\ndnssec=validate\n";
  for (const auto& [path, text] :
       {std::pair{fragment, content}, std::pair{scratch->file("check.lua"), lua},
        std::pair{scratch->file("recursor.conf"), conf}}) {
    if (auto w = util::writeFileAtomic(path, text); !w) {
      return fail(stepError(ApplyStep::kCheck, "Checker cannot be prepared")
                      .with("reason", w.error().toString()));
    }
  }
  auto r = runCommand({"pdns_recursor", "--config-dir=" + scratch->path()}, settings().timeout,
                      [&] { return std::filesystem::exists(marker); });
  if (!r) {
    return fail(
        stepError(ApplyStep::kCheck, "Checker cannot be run").with("reason", r.error().toString()));
  }
  if (!r->stopped || !std::filesystem::exists(marker)) {
    const std::string output = detail::replaceAll(r->output, fragment, settings().anchor_file);
    return fail(stepError(ApplyStep::kCheck, "Resolver checker rejected the anchor files", output)
                    .with("command", "pdns_recursor"));
  }
  return ok();
}

std::vector<std::string> PowerDnsWriter::defaultReloadCommand() const {
  auto argv = controlCommand({"rec_control"});
  argv.push_back("reload-lua-config");
  return argv;
}

std::vector<std::string> PowerDnsWriter::defaultFlushCommand() const {
  auto argv = controlCommand({"rec_control"});
  argv.push_back("wipe-cache");
  argv.push_back("{zone}$");
  return argv;
}

}  // namespace anchorage::writers
