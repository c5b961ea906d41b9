// SPDX-License-Identifier: Apache-2.0
//
// The problem collector, encoding check and anchor RDATA fields shared by the zone and BIND
// readers. RDATA fields follow RFC 4034 §2.2 (DNSKEY) and §5.3 (DS); the parsing itself is the
// model's (parseDsRdata, parseDnskeyRdata), this file only turns its errors into reasons.

#include "formats/reader_support.h"

#include <cctype>
#include <cstdio>

#include "formats/detail.h"

namespace anchorage::formats::detail {
namespace {

constexpr size_t kShownLength = 40;

// Builds "DS digest: hex data has a non-hex character" from an error of the model's parsers,
// which carry the field name and the offending value as context fields.
std::string modelReason(model::RecordType type, const Error& error) {
  std::string reason(model::recordTypeName(type));
  const std::string field = error.field("field");
  if (!field.empty()) {
    reason += " " + field;
  }
  reason += ": " + lowerFirst(error.message);
  const std::string value = error.field("value");
  if (!value.empty()) {
    reason += ", found " + shown(value);
  }
  const std::string max = error.field("max");
  if (!max.empty()) {
    reason += " (at most " + max + ")";
  }
  return reason;
}

}  // namespace

void Collector::problem(size_t line, std::string reason) {
  if (out_.problems.size() >= kMaxListedProblems) {
    ++dropped_;
    return;
  }
  out_.problems.push_back({{source_, line}, std::move(reason)});
}

ParsedAnchor* Collector::admit(model::AnchorRecord record, size_t line) {
  model::TrustAnchor anchor;
  anchor.record = std::move(record);
  anchor.state = model::KeyState::kValid;
  anchor.origin = model::Origin::kImport;
  const size_t anchors_before = out_.anchors.size();
  detail::admit(out_, std::move(anchor), {source_, line});
  if (out_.anchors.size() > anchors_before) {
    return &out_.anchors.back();
  }
  if (out_.problems.size() > kMaxListedProblems) {
    out_.problems.pop_back();
    ++dropped_;
  }
  return nullptr;
}

void Collector::finish() {
  if (dropped_ > 0) {
    out_.problems.push_back(
        {{source_, 0}, std::to_string(dropped_) + " further problems were not listed"});
  }
}

Result<void> checkEncoding(std::string_view& text) {
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);
    return ok();
  }
  const bool utf16 = text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF");
  const bool utf32 = text.starts_with(std::string_view("\x00\x00\xFE\xFF", 4));
  if (utf16 || utf32) {
    return fail(ErrorCode::kInvalidInput, std::string("input is ") + (utf32 ? "UTF-32" : "UTF-16") +
                                              " encoded; save it as UTF-8 or ASCII");
  }
  return ok();
}

std::string shown(std::string_view text) {
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < kShownLength; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'') {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02X", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kShownLength) {
    out += "...";
  }
  return out + "'";
}

std::string lowerFirst(std::string text) {
  if (!text.empty()) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

std::string byteName(unsigned char byte) {
  char buf[5];
  std::snprintf(buf, sizeof(buf), "0x%02X", static_cast<unsigned>(byte));
  return buf;
}

Result<AnchorRdata> parseAnchorFields(model::RecordType type,
                                      const std::vector<std::string_view>& fields) {
  const bool ds = type == model::RecordType::kDs;
  if (fields.size() < 4) {
    const std::string needs = ds ? "key tag, algorithm, digest type and digest"
                                 : "flags, protocol, algorithm and public key";
    return fail(ErrorCode::kInvalidInput, std::string(model::recordTypeName(type)) +
                                              " record is truncated: it needs " + needs +
                                              ", found " + std::to_string(fields.size()) +
                                              (fields.size() == 1 ? " field" : " fields"));
  }
  std::string text;
  for (const auto field : fields) {
    text.append(field);
    text += ' ';
  }
  if (ds) {
    auto rdata = model::parseDsRdata(text);
    if (!rdata) {
      return fail(ErrorCode::kInvalidInput, modelReason(type, rdata.error()));
    }
    return AnchorRdata(std::move(*rdata));
  }
  auto rdata = model::parseDnskeyRdata(text);
  if (!rdata) {
    return fail(ErrorCode::kInvalidInput, modelReason(type, rdata.error()));
  }
  return AnchorRdata(std::move(*rdata));
}

}  // namespace anchorage::formats::detail
