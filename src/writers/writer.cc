// SPDX-License-Identifier: Apache-2.0
//
// The apply() sequence shared by every writer: render, check, write, reload, NTAs, flush, verify,
// and the roll back that keeps the last good configuration in place when a step after the write
// fails. Design note: files are compared before anything runs, so an unchanged set costs one read
// per file and touches nothing.

#include "writers/writer.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "dns/client.h"
#include "util/encoding.h"
#include "util/file.h"
#include "writers/command.h"
#include "writers/detail.h"
#include "writers/diff.h"

namespace anchorage::writers {
namespace {

constexpr size_t kMaxFileBytes = 256 * 1024 * 1024;
constexpr size_t kMaxResolverOutput = 4096;
constexpr std::chrono::milliseconds kProbeRetryPause{25};

model::Time systemNow() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

/// Keeps the end of a long output: resolvers print the decisive line last.
std::string boundedOutput(std::string_view output) {
  std::string_view t = util::trim(output);
  if (t.size() > kMaxResolverOutput) {
    t = t.substr(t.size() - kMaxResolverOutput);
  }
  return std::string(t);
}

Result<std::optional<std::string>> readCurrent(const std::string& path) {
  auto text = util::readFile(path, kMaxFileBytes);
  if (text) {
    return std::optional<std::string>(std::move(*text));
  }
  if (text.error().code == ErrorCode::kNotFound) {
    return std::optional<std::string>();
  }
  return fail(text.error());
}

Result<util::FileAttributes> fileAttributes(const WriterSettings& s) {
  util::FileAttributes attributes;
  attributes.mode = s.file_mode;
  if (!s.file_owner.empty()) {
    if (auto number = util::parseUnsigned(s.file_owner, 0xfffffffe, "owner")) {
      attributes.owner = static_cast<uid_t>(*number);
    } else if (const passwd* pw = ::getpwnam(s.file_owner.c_str()); pw != nullptr) {
      attributes.owner = pw->pw_uid;
    } else {
      return fail(ErrorCode::kConfig, "File owner does not exist", {{"owner", s.file_owner}});
    }
  }
  if (!s.file_group.empty()) {
    if (auto number = util::parseUnsigned(s.file_group, 0xfffffffe, "group")) {
      attributes.group = static_cast<gid_t>(*number);
    } else if (const group* gr = ::getgrnam(s.file_group.c_str()); gr != nullptr) {
      attributes.group = gr->gr_gid;
    } else {
      return fail(ErrorCode::kConfig, "File group does not exist", {{"group", s.file_group}});
    }
  }
  return attributes;
}

Error withStep(Error e, ApplyStep step, ResolverType type) {
  return std::move(e)
      .with("step", std::string(applyStepName(step)))
      .with("resolver", std::string(resolverTypeName(type)));
}

}  // namespace

std::string_view resolverTypeName(ResolverType type) {
  switch (type) {
    case ResolverType::kUnbound:
      return "unbound";
    case ResolverType::kBind:
      return "bind";
    case ResolverType::kKnot:
      return "knot";
    case ResolverType::kPowerDns:
      return "powerdns";
    case ResolverType::kSystemdResolved:
      return "systemd-resolved";
  }
  return "unbound";
}

Result<ResolverType> parseResolverType(std::string_view text) {
  const std::string t = util::toLower(text);
  if (t == "unbound") {
    return ResolverType::kUnbound;
  }
  if (t == "bind" || t == "bind9" || t == "named") {
    return ResolverType::kBind;
  }
  if (t == "knot" || t == "kresd" || t == "knot-resolver") {
    return ResolverType::kKnot;
  }
  if (t == "powerdns" || t == "pdns" || t == "pdns-recursor" || t == "pdns_recursor") {
    return ResolverType::kPowerDns;
  }
  if (t == "systemd-resolved" || t == "resolved") {
    return ResolverType::kSystemdResolved;
  }
  return fail(ErrorCode::kConfig, "Unknown resolver type",
              {{"type", std::string(text)},
               {"accepted", "unbound, bind, knot, powerdns, systemd-resolved"}});
}

std::string_view applyStepName(ApplyStep step) {
  switch (step) {
    case ApplyStep::kNone:
      return "none";
    case ApplyStep::kRender:
      return "render";
    case ApplyStep::kCheck:
      return "check";
    case ApplyStep::kWrite:
      return "write";
    case ApplyStep::kReload:
      return "reload";
    case ApplyStep::kNta:
      return "nta";
    case ApplyStep::kFlush:
      return "flush";
    case ApplyStep::kVerify:
      return "verify";
  }
  return "none";
}

Writer::Writer(WriterSettings settings, ClockFunction clock)
    : settings_(std::move(settings)), clock_(clock ? std::move(clock) : systemNow) {}

Result<std::vector<FileContent>> Writer::renderFiles(const AnchorSet& set) const {
  auto text = render(set);
  if (!text) {
    return fail(text.error());
  }
  return std::vector<FileContent>{{settings_.anchor_file, std::move(*text)}};
}

std::vector<std::string> Writer::controlCommand(std::vector<std::string> fallback) const {
  return settings_.control_command.empty() ? std::move(fallback) : settings_.control_command;
}

Error Writer::stepError(ApplyStep step, std::string message, std::string resolver_output) const {
  Error e(ErrorCode::kUnavailable, std::move(message));
  e = withStep(std::move(e), step, type());
  if (!resolver_output.empty()) {
    e.with("resolver_output", boundedOutput(resolver_output));
  }
  return e;
}

Result<std::string> Writer::runStep(ApplyStep step, const std::vector<std::string>& argv) const {
  auto r = runCommand(argv, settings_.timeout);
  if (!r) {
    return fail(
        withStep(std::move(r.error()), step, type()).with("command", describeCommand(argv)));
  }
  if (!r->success()) {
    return fail(stepError(step, "Resolver command failed", r->output)
                    .with("command", describeCommand(argv))
                    .with("exit_code", std::to_string(r->exit_code)));
  }
  return std::move(r->output);
}

Result<void> Writer::check(const AnchorSet&, const std::vector<FileContent>& files) const {
  const auto argv =
      settings_.check_command.empty() ? defaultCheckCommand() : settings_.check_command;
  if (argv.empty()) {
    return ok();
  }
  // The candidate goes beside the real file, so relative includes and permissions match.
  const std::string candidate = settings_.anchor_file + ".anchorage-check";
  const auto main = std::find_if(files.begin(), files.end(), [&](const FileContent& f) {
    return f.path == settings_.anchor_file;
  });
  const std::string content = main != files.end() ? main->content.value_or("") : "";
  if (auto w = util::writeFileAtomic(candidate, content); !w) {
    return fail(withStep(std::move(w.error()), ApplyStep::kCheck, type()));
  }
  const auto command = substitute(argv, "{file}", candidate);
  auto r = runCommand(command, settings_.timeout);
  ::unlink(candidate.c_str());
  if (!r) {
    return fail(withStep(std::move(r.error()), ApplyStep::kCheck, type())
                    .with("command", describeCommand(command)));
  }
  if (!r->success()) {
    // The checker names the candidate; the operator knows the file by its real name.
    return fail(stepError(ApplyStep::kCheck, "Resolver checker rejected the anchor files",
                          detail::replaceAll(r->output, candidate, settings_.anchor_file))
                    .with("command", describeCommand(argv))
                    .with("exit_code", std::to_string(r->exit_code)));
  }
  return ok();
}

Result<void> Writer::reload() const {
  auto argv = settings_.reload_command.empty() ? defaultReloadCommand() : settings_.reload_command;
  if (argv.empty()) {
    return ok();
  }
  auto r = runStep(ApplyStep::kReload, argv);
  if (!r) {
    return fail(std::move(r.error()));
  }
  return ok();
}

Result<void> Writer::applyNtas(const std::optional<WrittenState>&, const WrittenState&) const {
  return ok();
}

Result<void> Writer::flush(const std::vector<std::string>& names) const {
  auto argv = settings_.flush_command.empty() ? defaultFlushCommand() : settings_.flush_command;
  if (argv.empty() || names.empty()) {
    return ok();
  }
  const bool per_name = std::any_of(argv.begin(), argv.end(), [](const std::string& a) {
    return a.find("{zone}") != std::string::npos;
  });
  if (!per_name) {
    auto r = runStep(ApplyStep::kFlush, argv);
    return r ? ok() : Result<void>(fail(std::move(r.error())));
  }
  for (const auto& name : names) {
    auto r = runStep(ApplyStep::kFlush, substitute(argv, "{zone}", name));
    if (!r) {
      return fail(std::move(r.error()));
    }
  }
  return ok();
}

Result<void> Writer::writeFiles(const std::vector<FileContent>& files) const {
  auto attributes = fileAttributes(settings_);
  if (!attributes) {
    return fail(withStep(std::move(attributes.error()), ApplyStep::kWrite, type()));
  }
  for (const auto& f : files) {
    if (!f.content) {
      if (::unlink(f.path.c_str()) != 0 && errno != ENOENT) {
        return fail(withStep(Error(ErrorCode::kIo, "File cannot be removed",
                                   {{"path", f.path}, {"reason", std::strerror(errno)}}),
                             ApplyStep::kWrite, type()));
      }
      continue;
    }
    const auto dir = std::filesystem::path(f.path).parent_path();
    std::error_code ignored;
    if (!dir.empty() && dir != std::filesystem::path(settings_.anchor_file).parent_path() &&
        !std::filesystem::exists(dir, ignored)) {
      // Only a writer's own subdirectory (kresd's per-trust-point files) is ever created.
      std::filesystem::create_directories(dir, ignored);
    }
    if (auto w = util::writeFileAtomic(f.path, *f.content, *attributes); !w) {
      return fail(withStep(std::move(w.error()), ApplyStep::kWrite, type()));
    }
  }
  return ok();
}

Result<void> Writer::verify(const AnchorSet& set, ApplyReport& report) const {
  const detail::Plan plan = detail::makePlan(set);
  const auto deadline = std::chrono::steady_clock::now() + settings_.verify_timeout;
  for (const auto& tp : plan.trust_points) {
    std::string probe;
    for (const auto& [zone, name] : settings_.probes) {
      auto z = model::DomainName::parse(zone);
      if (z && *z == tp.name()) {
        probe = name;
      }
    }
    auto probe_name = model::DomainName::parse(probe);
    if (probe.empty() || !probe_name || detail::coveredByNta(*probe_name, plan.ntas)) {
      continue;
    }
    ProbeResult result{tp.name().text(), probe_name->text()};
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        break;
      }
      dns::QueryOptions q;
      q.address = settings_.query_address;
      q.port = settings_.query_port;
      q.timeout = std::min(left, settings_.timeout);
      ++result.attempts;
      auto response = dns::query(probe_name->text(), dns::kTypeA, q);
      if (response) {
        result.response = response->summary();
        result.validated = response->authentic_data && (response->rcode == dns::Rcode::kNoError ||
                                                        response->rcode == dns::Rcode::kNxDomain);
      } else {
        result.response = response.error().toString();
      }
      if (result.validated) {
        break;
      }
      std::this_thread::sleep_for(kProbeRetryPause);
    }
    report.probes.push_back(result);
    if (!result.validated) {
      return fail(stepError(ApplyStep::kVerify, "Resolver does not validate under the new anchors",
                            result.response)
                      .with("trust_point", result.trust_point)
                      .with("probe", result.probe_name)
                      .with("attempts", std::to_string(result.attempts)));
    }
  }
  return ok();
}

void Writer::rollBack(const std::vector<FileContent>& previous,
                      const std::optional<WrittenState>& before, const WrittenState& after,
                      const std::vector<std::string>& names, ApplyReport& report) const {
  report.rolled_back = true;
  Result<void> step = writeFiles(previous);
  if (step) {
    step = reload();
  }
  if (step) {
    step = applyNtas(after, before.value_or(WrittenState{}));
  }
  if (step) {
    step = flush(names);
  }
  if (!step) {
    report.rollback_error = step.error();
  }
}

Result<Writer::Previous> Writer::readPrevious(const std::vector<FileContent>& files,
                                              ApplyReport& report) const {
  Previous previous;
  for (const auto& f : files) {
    auto current = readCurrent(f.path);
    if (!current) {
      return fail(withStep(std::move(current.error()), ApplyStep::kWrite, type()));
    }
    if (f.path == settings_.anchor_file && *current) {
      previous.state = detail::parseState(**current, commentPrefix());
    }
    report.diff += unifiedDiff(current->value_or(""), f.content.value_or(""),
                               *current ? f.path : "/dev/null", f.content ? f.path : "/dev/null");
    report.changed = report.changed || *current != f.content;
    previous.files.push_back({f.path, std::move(*current)});
  }
  return previous;
}

void Writer::activate(const AnchorSet& set, const ApplyOptions& options, const Previous& previous,
                      ApplyReport& report) const {
  const WrittenState after = detail::stateOf(detail::makePlan(set));
  std::vector<std::string> names = detail::changedNames(previous.state, after);
  if (names.empty() && options.force) {
    names = {"."};
  }
  ApplyStep step = ApplyStep::kReload;
  Result<void> outcome = reload();
  if (outcome) {
    step = ApplyStep::kNta;
    outcome = applyNtas(previous.state, after);
  }
  if (outcome) {
    step = ApplyStep::kFlush;
    outcome = flush(names);
    if (outcome) {
      report.flushed = names;
    }
  }
  if (outcome) {
    step = ApplyStep::kVerify;
    outcome = verify(set, report);
  }
  if (!outcome) {
    rollBack(previous.files, previous.state, after, names, report);
    report.failed_step = step;
    report.result = fail(std::move(outcome.error()));
  }
}

void Writer::applySteps(const AnchorSet& set, const ApplyOptions& options,
                        ApplyReport& report) const {
  auto stop = [&](ApplyStep step, Error e) {
    report.failed_step = step;
    report.result = fail(std::move(e));
  };

  auto files = renderFiles(set);
  if (!files) {
    stop(ApplyStep::kRender, withStep(std::move(files.error()), ApplyStep::kRender, type()));
    return;
  }
  auto previous = readPrevious(*files, report);
  if (!previous) {
    stop(ApplyStep::kWrite, std::move(previous.error()));
    return;
  }
  if (!report.changed && !options.force && !options.dry_run) {
    return;
  }

  if (auto c = check(set, *files); !c) {
    stop(ApplyStep::kCheck, std::move(c.error()));
    return;
  }
  if (options.dry_run) {
    return;
  }

  if (auto w = writeFiles(*files); !w) {
    // Nothing was reloaded: putting the old files back is enough.
    report.rolled_back = true;
    if (auto r = writeFiles(previous->files); !r) {
      report.rollback_error = r.error();
    }
    stop(ApplyStep::kWrite, std::move(w.error()));
    return;
  }
  activate(set, options, *previous, report);
}

ApplyReport Writer::apply(const AnchorSet& set, const ApplyOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  ApplyReport report;
  report.dry_run = options.dry_run;
  applySteps(set, options, report);
  report.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return report;
}

}  // namespace anchorage::writers
