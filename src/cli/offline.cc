// SPDX-License-Identifier: Apache-2.0
//
// verify, convert and ds: the commands that need no directory. Each reads every input first and
// writes nothing when any input has a problem.

#include "cli/offline.h"

#include <sysexits.h>

#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "formats/format.h"
#include "model/algorithms.h"
#include "util/file.h"
#include "writers/writer.h"

namespace anchorage::cli {
namespace {

using formats::Format;
using formats::ParseResult;

// One input after reading and parsing.
struct Input {
  std::string source;
  ParseResult parsed;
  std::optional<Error> read_error;
};

Result<std::optional<Format>> formatOption(const std::optional<std::string>& name) {
  if (!name) {
    return std::optional<Format>();
  }
  auto f = formats::parseFormatName(*name);
  if (!f) {
    return fail(f.error());
  }
  return std::optional<Format>(*f);
}

Input readInput(const std::string& path, std::optional<Format> format) {
  Input in{path == "-" ? "<stdin>" : path, {}, std::nullopt};
  auto text = util::readFile(path, formats::kMaxInputBytes);
  if (!text) {
    in.read_error = text.error();
    return in;
  }
  const Format f = format.value_or(formats::detectFormat(*text, path));
  in.parsed = formats::parse(f, *text, in.source);
  return in;
}

std::vector<Input> readInputs(const std::vector<std::string>& files, std::optional<Format> f) {
  std::vector<Input> inputs;
  inputs.reserve(files.size());
  for (const auto& file : files) {
    inputs.push_back(readInput(file, f));
  }
  return inputs;
}

// Prints every problem as "source:line: reason" and returns the exit code for the inputs.
int reportProblems(const Context& ctx, const std::vector<Input>& inputs) {
  int code = EX_OK;
  for (const auto& in : inputs) {
    if (in.read_error) {
      ctx.err << in.source << ": " << in.read_error->message;
      if (auto reason = in.read_error->field("reason"); !reason.empty()) {
        ctx.err << ": " << reason;
      }
      ctx.err << "\n";
      code = exitCodeFor(in.read_error->code);
      continue;
    }
    for (const auto& p : in.parsed.problems) {
      ctx.err << p.where.toString() << ": " << p.reason << "\n";
      if (code == EX_OK) {
        code = EX_DATAERR;
      }
    }
  }
  return code;
}

std::string describe(const model::AnchorRecord& r) {
  std::string line = r.owner.text() + " " + std::string(model::recordTypeName(r.type())) +
                     " key tag " + std::to_string(r.keyTag()) + ", algorithm " +
                     std::to_string(r.algorithm()) + " (" +
                     std::string(model::algorithmName(r.algorithm())) + ")";
  if (r.isDs()) {
    const auto dig = model::findDigest(r.ds().digest_type);
    line += ", digest type " + std::to_string(r.ds().digest_type) + " (" +
            std::string(dig ? dig->mnemonic : "unassigned") + ")";
  } else {
    line += ", flags " + std::to_string(r.dnskey().flags);
    if (r.dnskey().isSep()) {
      line += " (KSK)";
    }
  }
  return line;
}

std::vector<model::TrustAnchor> collectAnchors(const std::vector<Input>& inputs) {
  std::vector<model::TrustAnchor> out;
  for (const auto& in : inputs) {
    for (const auto& a : in.parsed.anchors) {
      out.push_back(a.anchor);
    }
  }
  return out;
}

nlohmann::json anchorsJson(const std::vector<model::TrustAnchor>& anchors) {
  auto rendered = formats::render(Format::kJson, anchors);
  if (!rendered) {
    return nlohmann::json::array();
  }
  auto doc = nlohmann::json::parse(*rendered, nullptr, false);
  return doc.is_object() && doc.contains("anchors") ? doc["anchors"] : nlohmann::json::array();
}

void printVerifyJson(const Context& ctx, const std::vector<Input>& inputs, bool valid) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& in : inputs) {
    nlohmann::json f;
    f["source"] = in.source;
    std::vector<model::TrustAnchor> anchors;
    nlohmann::json warnings = nlohmann::json::array();
    for (const auto& a : in.parsed.anchors) {
      anchors.push_back(a.anchor);
      for (const auto& finding : a.findings) {
        warnings.push_back({{"where", a.where.toString()}, {"message", finding.message}});
      }
    }
    f["anchors"] = anchorsJson(anchors);
    f["warnings"] = warnings;
    nlohmann::json problems = nlohmann::json::array();
    if (in.read_error) {
      problems.push_back({{"where", in.source}, {"reason", in.read_error->toString()}});
    }
    for (const auto& p : in.parsed.problems) {
      problems.push_back({{"where", p.where.toString()}, {"reason", p.reason}});
    }
    f["problems"] = problems;
    files.push_back(f);
  }
  ctx.out << nlohmann::json{{"valid", valid}, {"files", files}}.dump(2) << "\n";
}

}  // namespace

int Context::report(const Error& error) const {
  err << "anchorctl: " << error.toString() << "\n";
  return exitCodeFor(error.code);
}

int runVerify(const Context& ctx, const VerifyOptions& options) {
  auto format = formatOption(options.format);
  if (!format) {
    return ctx.report(format.error());
  }
  const auto inputs = readInputs(options.files, *format);
  const int code = reportProblems(ctx, inputs);
  if (ctx.output == OutputMode::kJson) {
    printVerifyJson(ctx, inputs, code == EX_OK);
    return code;
  }
  size_t total = 0;
  for (const auto& in : inputs) {
    for (const auto& a : in.parsed.anchors) {
      ctx.out << a.where.toString() << ": " << describe(a.anchor.record) << "\n";
      for (const auto& f : a.findings) {
        ctx.out << a.where.toString() << ": warning: " << f.message << "\n";
      }
      ++total;
    }
  }
  ctx.out << total << (total == 1 ? " anchor" : " anchors")
          << (code == EX_OK ? ", all valid\n" : ", with problems\n");
  return code;
}

namespace {

// Default anchor file of a resolver family, from the configuration's defaults.
std::string defaultAnchorFile(writers::ResolverType type) {
  switch (type) {
    case writers::ResolverType::kUnbound:
      return config::resolverDefaults(config::ResolverType::kUnbound).anchor_file;
    case writers::ResolverType::kBind:
      return config::resolverDefaults(config::ResolverType::kBind).anchor_file;
    case writers::ResolverType::kKnot:
      return config::resolverDefaults(config::ResolverType::kKnot).anchor_file;
    case writers::ResolverType::kPowerDns:
      return config::resolverDefaults(config::ResolverType::kPdns).anchor_file;
    case writers::ResolverType::kSystemdResolved:
      return config::resolverDefaults(config::ResolverType::kResolved).anchor_file;
  }
  return {};
}

// Renders the anchors as resolver `type` would get them from the agent, through the writer.
int convertForResolver(const Context& ctx, writers::ResolverType type,
                       const std::vector<model::TrustAnchor>& anchors,
                       const std::string& output_file) {
  const bool to_file = !output_file.empty() && output_file != "-";
  writers::WriterSettings settings;
  settings.type = type;
  settings.anchor_file =
      to_file ? std::filesystem::absolute(output_file).string() : defaultAnchorFile(type);
  if (type == writers::ResolverType::kKnot) {
    settings.control_socket = config::resolverDefaults(config::ResolverType::kKnot).control_socket;
  }
  auto writer = writers::createWriter(settings);
  if (!writer) {
    return ctx.report(writer.error());
  }
  auto files = (*writer)->renderFiles({anchors, {}});
  if (!files) {
    return ctx.report(files.error());
  }
  for (const auto& f : *files) {
    if (!f.content) {
      continue;
    }
    if (!to_file) {
      if (files->size() > 1) {
        ctx.out << "==> " << f.path << " <==\n";
      }
      ctx.out << *f.content;
      continue;
    }
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(f.path).parent_path(), ec);
    if (auto w = util::writeFileAtomic(f.path, *f.content); !w) {
      return ctx.report(w.error());
    }
  }
  return EX_OK;
}

}  // namespace

int runConvert(const Context& ctx, const ConvertOptions& options) {
  if (auto resolver = writers::parseResolverType(options.to)) {
    auto from = formatOption(options.from);
    if (!from) {
      return ctx.report(from.error());
    }
    const auto inputs = readInputs(options.files, *from);
    if (const int code = reportProblems(ctx, inputs); code != EX_OK) {
      ctx.err << "anchorctl: nothing written: the input has problems\n";
      return code;
    }
    return convertForResolver(ctx, *resolver, collectAnchors(inputs), options.output_file);
  }
  auto to = formats::parseFormatName(options.to);
  if (!to) {
    return ctx.report(to.error());
  }
  auto from = formatOption(options.from);
  if (!from) {
    return ctx.report(from.error());
  }
  const auto inputs = readInputs(options.files, *from);
  if (const int code = reportProblems(ctx, inputs); code != EX_OK) {
    ctx.err << "anchorctl: nothing written: the input has problems\n";
    return code;
  }
  auto rendered = formats::render(*to, collectAnchors(inputs), {options.digest_type});
  if (!rendered) {
    return ctx.report(rendered.error());
  }
  if (options.output_file.empty() || options.output_file == "-") {
    ctx.out << *rendered;
    return EX_OK;
  }
  if (auto w = util::writeFileAtomic(options.output_file, *rendered); !w) {
    return ctx.report(w.error());
  }
  return EX_OK;
}

int runDs(const Context& ctx, const DsOptions& options) {
  uint8_t digest_type = 0;
  if (options.digest == "sha1") {
    digest_type = 1;
  } else if (options.digest == "sha256") {
    digest_type = 2;
  } else if (options.digest == "sha384") {
    digest_type = 4;
  } else {
    return ctx.report(Error(ErrorCode::kUsage, "Unknown digest; expected sha1, sha256 or sha384",
                            {{"digest", options.digest}}));
  }
  auto format = formatOption(options.format);
  if (!format) {
    return ctx.report(format.error());
  }
  const auto inputs = readInputs(options.files, *format);
  if (const int code = reportProblems(ctx, inputs); code != EX_OK) {
    return code;
  }
  std::vector<model::TrustAnchor> out;
  for (const auto& anchor : collectAnchors(inputs)) {
    const auto& r = anchor.record;
    if (r.isDs()) {
      continue;
    }
    auto ds = model::computeDs(r.owner, r.dnskey(), digest_type);
    if (!ds) {
      return ctx.report(ds.error());
    }
    model::TrustAnchor t = anchor;
    t.record.rdata = *ds;
    out.push_back(std::move(t));
  }
  if (ctx.output == OutputMode::kJson) {
    ctx.out << nlohmann::json{{"anchors", anchorsJson(out)}}.dump(2) << "\n";
    return EX_OK;
  }
  for (const auto& t : out) {
    ctx.out << t.record.owner.text() << " ";
    if (options.ttl) {
      ctx.out << *options.ttl << " ";
    }
    ctx.out << "IN DS " << t.record.rdataText() << "\n";
  }
  return EX_OK;
}

}  // namespace anchorage::cli
