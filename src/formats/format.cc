// SPDX-License-Identifier: Apache-2.0
//
// Format names, format detection, and dispatch to the per-format readers and writers.

#include "formats/format.h"

#include <array>

#include "formats/detail.h"
#include "util/encoding.h"

namespace anchorage::formats {
namespace {

constexpr std::array<std::pair<Format, std::string_view>, 6> kNames = {{
    {Format::kZone, "zone"},
    {Format::kKeyset, "keyset"},
    {Format::kDsset, "dsset"},
    {Format::kBind, "bind"},
    {Format::kXml, "xml"},
    {Format::kJson, "json"},
}};

std::string_view baseName(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string_view formatName(Format format) {
  for (const auto& [f, n] : kNames) {
    if (f == format) {
      return n;
    }
  }
  return "zone";
}

Result<Format> parseFormatName(std::string_view name) {
  const std::string lower = util::toLower(name);
  for (const auto& [f, n] : kNames) {
    if (n == lower) {
      return f;
    }
  }
  return fail(ErrorCode::kUsage, "Unknown format; expected zone, keyset, dsset, bind, xml or json",
              {{"format", std::string(name)}});
}

std::string Location::toString() const {
  return line == 0 ? source : source + ":" + std::to_string(line);
}

Format detectFormat(std::string_view text, std::string_view file_name) {
  const std::string_view base = baseName(file_name);
  if (base.starts_with("keyset-")) {
    return Format::kKeyset;
  }
  if (base.starts_with("dsset-")) {
    return Format::kDsset;
  }
  const std::string_view head = util::trim(text.substr(0, 4096));
  if (head.starts_with("<")) {
    return Format::kXml;
  }
  if (head.starts_with("{") || head.starts_with("[")) {
    return Format::kJson;
  }
  for (std::string_view word : {"trust-anchors", "managed-keys", "trusted-keys"}) {
    if (head.find(word) != std::string_view::npos) {
      return Format::kBind;
    }
  }
  return Format::kZone;
}

ParseResult parse(Format format, std::string_view text, std::string_view source) {
  if (text.size() > kMaxInputBytes) {
    ParseResult out;
    out.problems.push_back({{std::string(source), 0},
                            "input is larger than " + std::to_string(kMaxInputBytes) + " bytes"});
    return out;
  }
  switch (format) {
    case Format::kZone:
    case Format::kKeyset:
    case Format::kDsset:
      return detail::parseZone(text, source);
    case Format::kBind:
      return detail::parseBind(text, source);
    case Format::kXml:
      return detail::parseXml(text, source);
    case Format::kJson:
      return detail::parseJson(text, source);
  }
  return {};
}

Result<std::string> render(Format format, const std::vector<model::TrustAnchor>& anchors,
                           const RenderOptions& options) {
  switch (format) {
    case Format::kZone:
      return detail::renderZone(anchors);
    case Format::kKeyset:
      return detail::renderKeyset(anchors);
    case Format::kDsset:
      return detail::renderDsset(anchors, options.ds_digest_type);
    case Format::kXml:
      return detail::renderXml(anchors);
    case Format::kJson:
      return detail::renderJson(anchors);
    case Format::kBind:
      break;
  }
  return fail(ErrorCode::kUsage, "Format can be read but not written",
              {{"format", std::string(formatName(format))}});
}

namespace detail {

void admit(ParseResult& out, model::TrustAnchor anchor, Location where) {
  auto findings = model::validate(anchor.record);
  if (!model::isUsable(findings)) {
    std::string reason = anchor.record.owner.text() + " " +
                         std::string(model::recordTypeName(anchor.record.type())) + ": ";
    bool first = true;
    for (const auto& f : findings) {
      if (f.severity == model::Severity::kError) {
        reason += (first ? "" : "; ") + f.message;
        first = false;
      }
    }
    out.problems.push_back({std::move(where), std::move(reason)});
    return;
  }
  out.anchors.push_back({std::move(anchor), std::move(where), std::move(findings)});
}

}  // namespace detail
}  // namespace anchorage::formats
