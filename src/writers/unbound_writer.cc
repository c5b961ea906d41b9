// SPDX-License-Identifier: Apache-2.0
//
// Unbound: trust-anchor-file and domain-insecure include, checked with unbound-checkconf.

#include "writers/unbound_writer.h"

#include "util/file.h"
#include "writers/command.h"
#include "writers/detail.h"

namespace anchorage::writers {

UnboundWriter::UnboundWriter(WriterSettings settings, ClockFunction clock)
    : Writer(std::move(settings), std::move(clock)) {}

Result<std::string> UnboundWriter::render(const AnchorSet& set) const {
  const detail::Plan plan = detail::makePlan(set);
  std::string out = detail::fileHeader(";", "Trust anchors for Unbound (trust-anchor-file).");
  out += detail::renderState(detail::stateOf(plan), ";");
  for (const auto& tp : plan.trust_points) {
    for (const auto& a : tp.anchors()) {
      out += a.record.toZoneLine() + "\n";
    }
  }
  return out;
}

Result<std::string> UnboundWriter::renderNtas(const AnchorSet& set) const {
  const detail::Plan plan = detail::makePlan(set);
  std::string out =
      detail::fileHeader("#", "Negative trust anchors for Unbound (domain-insecure, RFC 7646).");
  out += "server:\n";
  for (const auto& n : plan.ntas) {
    if (!detail::isPlainName(n.name)) {
      return fail(detail::unsupportedName("unbound", n.name));
    }
    std::string note = "  # until " + model::formatTime(n.expires);
    if (const std::string reason = detail::cleanReason(n.reason); !reason.empty()) {
      note += ": " + reason;
    }
    out += note + "\n  domain-insecure: \"" + n.name.text() + "\"\n";
  }
  return out;
}

Result<std::vector<FileContent>> UnboundWriter::renderFiles(const AnchorSet& set) const {
  auto anchors = render(set);
  if (!anchors) {
    return fail(anchors.error());
  }
  std::vector<FileContent> files{{settings().anchor_file, std::move(*anchors)}};
  if (settings().nta_file.empty()) {
    if (!set.ntas.empty()) {
      return fail(ErrorCode::kConfig, "Negative trust anchors need an NTA file for Unbound",
                  {{"resolver", "unbound"}});
    }
    return files;
  }
  auto ntas = renderNtas(set);
  if (!ntas) {
    return fail(ntas.error());
  }
  files.push_back({settings().nta_file, std::move(*ntas)});
  return files;
}

Result<void> UnboundWriter::check(const AnchorSet& set,
                                  const std::vector<FileContent>& files) const {
  if (!settings().check_command.empty()) {
    return Writer::check(set, files);
  }
  auto scratch = detail::ScratchDir::create("unbound-check");
  if (!scratch) {
    return fail(stepError(ApplyStep::kCheck, "Checker cannot be prepared")
                    .with("reason", scratch.error().toString()));
  }
  // A configuration that loads exactly the candidate files, so that the checker judges what is
  // about to be written and nothing else.
  std::string conf = "server:\n  username: \"\"\n  chroot: \"\"\n  directory: \"" +
                     scratch->path() +
                     "\"\n  pidfile: \"\"\n  module-config: \"validator iterator\"\n";
  std::vector<std::pair<std::string, std::string>> renames;
  for (const auto& f : files) {
    const bool is_anchor = f.path == settings().anchor_file;
    const std::string copy = scratch->file(is_anchor ? "anchors" : "ntas.conf");
    if (auto w = util::writeFileAtomic(copy, f.content.value_or("")); !w) {
      return fail(stepError(ApplyStep::kCheck, "Checker cannot be prepared")
                      .with("reason", w.error().toString()));
    }
    conf += is_anchor ? "  trust-anchor-file: \"" + copy + "\"\n" : "  include: \"" + copy + "\"\n";
    renames.emplace_back(copy, f.path);
  }
  conf += "remote-control:\n  control-enable: no\n";
  const std::string conf_path = scratch->file("unbound.conf");
  if (auto w = util::writeFileAtomic(conf_path, conf); !w) {
    return fail(stepError(ApplyStep::kCheck, "Checker cannot be prepared")
                    .with("reason", w.error().toString()));
  }
  const std::vector<std::string> argv{"unbound-checkconf", conf_path};
  auto r = runCommand(argv, settings().timeout);
  if (!r) {
    return fail(
        stepError(ApplyStep::kCheck, "Checker cannot be run").with("reason", r.error().toString()));
  }
  if (!r->success()) {
    std::string output = r->output;
    for (const auto& [copy, real] : renames) {
      output = detail::replaceAll(std::move(output), copy, real);
    }
    return fail(stepError(ApplyStep::kCheck, "Resolver checker rejected the anchor files", output)
                    .with("command", "unbound-checkconf"));
  }
  return ok();
}

std::vector<std::string> UnboundWriter::defaultReloadCommand() const {
  auto argv = controlCommand({"unbound-control"});
  argv.push_back("reload");
  return argv;
}

std::vector<std::string> UnboundWriter::defaultFlushCommand() const {
  auto argv = controlCommand({"unbound-control"});
  argv.push_back("flush_zone");
  argv.push_back("{zone}");
  return argv;
}

}  // namespace anchorage::writers
