// SPDX-License-Identifier: Apache-2.0
//
// Anchorage JSON: {"anchors": [{"owner", "type", "ttl", "rdata", decoded fields, "id", "state",
// "origin", times}]}, the form `anchorctl export --format json` and `--output json` write. Reading
// needs owner, type and rdata (RFC 4034 §2.2 and §5.3 presentation form); every other field is
// optional, and a decoded field that is present must agree with the rdata, so a hand-edited file
// cannot say one key and mean another. Unknown fields are refused (with a suggestion), so a typo
// such as "valid_untill" is not silently ignored.
//
// Hostile input: nesting deeper than kMaxDepth is refused by a scan of the raw text before
// nlohmann builds a tree; duplicate object keys are refused instead of letting the last one win.

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "formats/detail.h"
#include "formats/line_counter.h"
#include "formats/reader_support.h"
#include "model/algorithms.h"
#include "util/encoding.h"

namespace anchorage::formats::detail {
namespace {

using nlohmann::json;

/// Deepest nesting of objects and arrays accepted.
constexpr size_t kMaxDepth = 64;

/// Fields an anchor object may have; the first three are required.
constexpr std::array<std::string_view, 17> kAnchorFields = {"owner",
                                                            "type",
                                                            "rdata",
                                                            "ttl",
                                                            "key_tag",
                                                            "algorithm",
                                                            "algorithm_name",
                                                            "digest_type",
                                                            "flags",
                                                            "protocol",
                                                            "id",
                                                            "state",
                                                            "origin",
                                                            "valid_from",
                                                            "valid_until",
                                                            "state_changed",
                                                            "hold_down_until"};

/// What the raw-text scan found: where nesting went too deep, and where each anchor object starts.
struct ScanResult {
  std::optional<size_t> too_deep_at;
  std::vector<size_t> anchor_offsets;
};

/// Walks the raw text once, tracking strings and brackets only. Records the offset of every object
/// directly inside the top-level "anchors" array (for line numbers) and stops at the first bracket
/// that would nest deeper than kMaxDepth. Malformed text is left for the real parser to report.
ScanResult scanJson(std::string_view text) {
  ScanResult result;
  std::vector<char> stack;
  bool in_string = false;
  bool escaped = false;
  size_t string_start = 0;
  std::string_view last_top_string;
  bool in_anchors_array = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
        if (stack.size() == 1) {
          last_top_string = text.substr(string_start, i - string_start);
        }
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      string_start = i + 1;
    } else if (c == '{' || c == '[') {
      if (stack.size() >= kMaxDepth) {
        result.too_deep_at = i;
        return result;
      }
      if (c == '[' && stack.size() == 1 && stack[0] == '{') {
        in_anchors_array = last_top_string == "anchors";
      }
      if (c == '{' && in_anchors_array && stack.size() == 2 && stack[1] == '[') {
        result.anchor_offsets.push_back(i);
      }
      stack.push_back(c);
    } else if ((c == '}' || c == ']') && !stack.empty()) {
      stack.pop_back();
      if (stack.size() == 1) {
        in_anchors_array = false;
      }
    }
  }
  return result;
}

/// Collects the problems of one anchor object, each prefixed "anchors[i].field: ".
struct AnchorReader {
  const json& item;
  std::string prefix;  ///< "anchors[3]"
  size_t line;
  Collector& collector;
  bool failed = false;

  void problem(std::string_view field, const std::string& reason) {
    collector.problem(line, prefix + "." + std::string(field) + ": " + reason);
    failed = true;
  }

  const json* find(std::string_view field) const {
    const auto it = item.find(std::string(field));
    return it == item.end() ? nullptr : &*it;
  }

  /// A string field; nullopt (and a problem when `required`) if absent or not a string.
  std::optional<std::string> string(std::string_view field, bool required) {
    const json* v = find(field);
    if (v == nullptr) {
      if (required) {
        problem(field, "is required");
      }
      return std::nullopt;
    }
    if (!v->is_string()) {
      problem(field, "must be a string");
      return std::nullopt;
    }
    return v->get<std::string>();
  }

  /// An unsigned integer field no larger than `max`.
  std::optional<uint64_t> number(std::string_view field, uint64_t max) {
    const json* v = find(field);
    if (v == nullptr) {
      return std::nullopt;
    }
    if (!v->is_number_unsigned() || v->get<uint64_t>() > max) {
      problem(field, "must be an integer from 0 to " + std::to_string(max));
      return std::nullopt;
    }
    return v->get<uint64_t>();
  }

  /// Checks that a decoded numeric field, when present, equals the value from rdata.
  void agree(std::string_view field, uint64_t max, uint64_t from_rdata) {
    if (const auto v = number(field, max); v && *v != from_rdata) {
      problem(field,
              std::to_string(*v) + " does not match rdata (" + std::to_string(from_rdata) + ")");
    }
  }

  /// A time field: absent or null gives nullopt; otherwise RFC 3339 UTC.
  std::optional<model::Time> time(std::string_view field) {
    const json* v = find(field);
    if (v == nullptr || v->is_null()) {
      return std::nullopt;
    }
    if (!v->is_string()) {
      problem(field, "must be a time string or null");
      return std::nullopt;
    }
    auto t = model::parseTime(v->get<std::string>());
    if (!t) {
      problem(field, "is not a time like 2017-02-02T00:00:00Z");
      return std::nullopt;
    }
    return *t;
  }
};

/// A field name as shown in "anchors[i].name": as it is when it is a plain lower_snake word,
/// quoted and escaped otherwise.
std::string fieldLabel(const std::string& key) {
  const bool plain =
      !key.empty() && key.size() <= 40 && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      });
  return plain ? key : shown(key);
}

/// Refuses fields that are not in kAnchorFields, suggesting the nearest known name.
void checkFieldNames(AnchorReader& r) {
  for (const auto& [key, value] : r.item.items()) {
    if (std::find(kAnchorFields.begin(), kAnchorFields.end(), key) != kAnchorFields.end()) {
      continue;
    }
    std::string reason = "unknown field";
    for (std::string_view known : kAnchorFields) {
      if (util::editDistance(key, known) <= 2) {
        reason += "; did you mean \"" + std::string(known) + "\"?";
        break;
      }
    }
    r.problem(fieldLabel(key), reason);
  }
}

/// Builds the record from owner, type, ttl and rdata.
std::optional<model::AnchorRecord> readRecord(AnchorReader& r) {
  const auto owner_text = r.string("owner", true);
  const auto type_text = r.string("type", true);
  const auto rdata_text = r.string("rdata", true);
  const auto ttl = r.number("ttl", 2147483647);  // RFC 2181 §8
  if (!owner_text || !type_text || !rdata_text) {
    return std::nullopt;
  }
  auto owner = model::DomainName::parse(*owner_text);
  if (!owner) {
    r.problem("owner", "is not a domain name: " + owner.error().message);
  }
  const std::string type = util::toLower(*type_text);
  if (type != "ds" && type != "dnskey") {
    r.problem("type", "must be \"DS\" or \"DNSKEY\"");
    return std::nullopt;
  }
  if (!owner) {
    return std::nullopt;
  }
  const auto rtype = type == "ds" ? model::RecordType::kDs : model::RecordType::kDnskey;
  auto rdata = parseAnchorFields(rtype, util::splitFields(*rdata_text));
  if (!rdata) {
    r.problem("rdata", rdata.error().message);
    return std::nullopt;
  }
  model::AnchorRecord record{*owner, static_cast<uint32_t>(ttl.value_or(3600)), std::move(*rdata)};
  return record;
}

/// Checks the decoded fields against the record: key tag, algorithm and its name, digest type
/// for DS, flags and protocol for DNSKEY.
void checkDecodedFields(AnchorReader& r, const model::AnchorRecord& record) {
  r.agree("key_tag", 65535, record.keyTag());
  r.agree("algorithm", 255, record.algorithm());
  if (const auto name = r.string("algorithm_name", false)) {
    const std::string expected(model::algorithmName(record.algorithm()));
    if (util::toLower(*name) != util::toLower(expected)) {
      r.problem("algorithm_name",
                "\"" + name->substr(0, 40) + "\" does not match rdata (" + expected + ")");
    }
  }
  if (record.isDs()) {
    r.agree("digest_type", 255, record.ds().digest_type);
    for (std::string_view field : {"flags", "protocol"}) {
      if (r.find(field) != nullptr) {
        r.problem(field, "applies only to DNSKEY anchors");
      }
    }
  } else {
    r.agree("flags", 65535, record.dnskey().flags);
    r.agree("protocol", 255, record.dnskey().protocol);
    if (r.find("digest_type") != nullptr) {
      r.problem("digest_type", "applies only to DS anchors");
    }
  }
}

/// Reads id, state, origin and the four times.
void readMetadata(AnchorReader& r, model::TrustAnchor& anchor) {
  if (const auto id = r.string("id", false); id && *id != anchor.id()) {
    r.problem("id", "\"" + id->substr(0, 40) + "\" does not match rdata (" + anchor.id() + ")");
  }
  if (const auto state = r.string("state", false)) {
    if (const auto s = model::parseKeyState(*state)) {
      anchor.state = *s;
    } else {
      r.problem("state", "must be Start, AddPend, Valid, Missing, Revoked or Removed");
    }
  }
  if (const auto origin = r.string("origin", false)) {
    if (const auto o = model::parseOrigin(*origin)) {
      anchor.origin = *o;
    } else {
      r.problem("origin", "must be manual, import, root or rfc5011");
    }
  }
  anchor.valid_from = r.time("valid_from");
  anchor.valid_until = r.time("valid_until");
  anchor.state_changed = r.time("state_changed");
  anchor.hold_down_until = r.time("hold_down_until");
  if (anchor.valid_from && anchor.valid_until && *anchor.valid_until < *anchor.valid_from) {
    r.problem("valid_until", "is before valid_from");
  }
}

/// Reads one element of the anchors array and admits it, or reports its problems.
void readAnchor(const json& item, size_t index, size_t line, Collector& collector,
                ParseResult& out) {
  AnchorReader r{item, "anchors[" + std::to_string(index) + "]", line, collector};
  if (!item.is_object()) {
    collector.problem(line, r.prefix + ": must be an object");
    return;
  }
  checkFieldNames(r);
  const auto record = readRecord(r);
  if (!record) {
    return;
  }
  checkDecodedFields(r, *record);
  model::TrustAnchor anchor;
  anchor.record = *record;
  readMetadata(r, anchor);
  if (r.failed) {
    return;
  }
  const size_t problems_before = out.problems.size();
  if (ParsedAnchor* admitted = collector.admit(anchor.record, line)) {
    admitted->anchor = std::move(anchor);
  } else if (out.problems.size() > problems_before) {
    out.problems.back().reason = r.prefix + ": " + out.problems.back().reason;
  }
}

/// The first pass over the text: finds the first syntax error (with its byte position) and the
/// first key repeated within one object, which nlohmann would silently resolve to the last value.
/// Builds nothing; nesting is already bounded by scanJson().
class SyntaxCheck : public nlohmann::json_sax<json> {
 public:
  std::optional<std::string> duplicate;
  std::optional<size_t> error_at;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool start_object(std::size_t) override {
    open_objects_.emplace_back();
    return true;
  }
  bool end_object() override {
    open_objects_.pop_back();
    return true;
  }
  bool key(string_t& name) override {
    if (!open_objects_.back().insert(name).second) {
      duplicate = name;
      return false;
    }
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const json::exception&) override {
    error_at = position;
    return false;
  }

 private:
  std::vector<std::set<std::string>> open_objects_;
};

/// Parses the text into a tree after the depth scan; reports and returns nullopt on failure.
std::optional<json> loadDocument(std::string_view text, const ScanResult& scan,
                                 Collector& collector) {
  if (scan.too_deep_at) {
    collector.problem(LineCounter(text).lineAt(*scan.too_deep_at),
                      "JSON nests deeper than " + std::to_string(kMaxDepth) + " levels");
    return std::nullopt;
  }
  // Two linear passes: the syntax check (errors, duplicate keys), then the tree. nlohmann's parser
  // callbacks could do both at once but cost time quadratic in the array length.
  SyntaxCheck check;
  json doc;
  try {
    if (!json::sax_parse(text.begin(), text.end(), &check)) {
      if (check.duplicate) {
        collector.problem(0, "JSON object has the key " + shown(*check.duplicate) + " twice");
      } else {
        const size_t at = check.error_at.value_or(1);
        collector.problem(LineCounter(text).lineAt(at > 0 ? at - 1 : 0), "JSON is not well-formed");
      }
      return std::nullopt;
    }
    doc = json::parse(text.begin(), text.end());
  } catch (const json::exception&) {
    collector.problem(0, "JSON cannot be read");
    return std::nullopt;
  }
  return doc;
}

/// A time as JSON: RFC 3339 UTC, or null when unknown.
nlohmann::ordered_json timeValue(const std::optional<model::Time>& t) {
  return t ? nlohmann::ordered_json(model::formatTime(*t)) : nlohmann::ordered_json(nullptr);
}

}  // namespace

ParseResult parseJson(std::string_view text, std::string_view source) {
  ParseResult out;
  Collector collector(out, source);
  if (auto encoding = checkEncoding(text); !encoding) {
    collector.problem(1, encoding.error().message);
    return out;
  }
  const ScanResult scan = scanJson(text);
  const auto doc = loadDocument(text, scan, collector);
  const bool shaped =
      doc && doc->is_object() && doc->contains("anchors") && doc->at("anchors").is_array();
  if (doc && !shaped) {
    collector.problem(1, "JSON must be an object with an \"anchors\" array");
  }
  if (shaped) {
    for (const auto& [key, value] : doc->items()) {
      if (key != "anchors") {
        collector.problem(0, "unknown top-level field " + shown(key));
      }
    }
    const json& anchors = doc->at("anchors");
    LineCounter lines(text);
    for (size_t i = 0; i < anchors.size(); ++i) {
      const size_t line = i < scan.anchor_offsets.size() ? lines.lineAt(scan.anchor_offsets[i]) : 0;
      readAnchor(anchors[i], i, line, collector, out);
    }
  }
  collector.finish();
  return out;
}

Result<std::string> renderJson(const std::vector<model::TrustAnchor>& anchors) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& anchor : anchors) {
    const auto& record = anchor.record;
    nlohmann::ordered_json item;
    item["owner"] = record.owner.text();
    item["type"] = std::string(model::recordTypeName(record.type()));
    item["ttl"] = record.ttl;
    item["rdata"] = record.rdataText();
    item["key_tag"] = record.keyTag();
    item["algorithm"] = record.algorithm();
    item["algorithm_name"] = std::string(model::algorithmName(record.algorithm()));
    if (record.isDs()) {
      item["digest_type"] = record.ds().digest_type;
    } else {
      item["flags"] = record.dnskey().flags;
      item["protocol"] = record.dnskey().protocol;
    }
    item["id"] = anchor.id();
    item["state"] = std::string(model::keyStateName(anchor.state));
    item["origin"] = std::string(model::originName(anchor.origin));
    item["valid_from"] = timeValue(anchor.valid_from);
    item["valid_until"] = timeValue(anchor.valid_until);
    item["state_changed"] = timeValue(anchor.state_changed);
    item["hold_down_until"] = timeValue(anchor.hold_down_until);
    list.push_back(std::move(item));
  }
  nlohmann::ordered_json doc;
  doc["anchors"] = std::move(list);
  return doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace anchorage::formats::detail
