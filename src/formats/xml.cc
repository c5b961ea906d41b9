// SPDX-License-Identifier: Apache-2.0
//
// Root trust anchor XML as IANA publishes it at data.iana.org/root-anchors/root-anchors.xml:
// RFC 7958 §2 (TrustAnchor, Zone, KeyDigest with KeyTag, Algorithm, DigestType, Digest) and
// RFC 9718 §2 (the optional PublicKey and Flags pair). Each KeyDigest becomes one DS anchor; when
// the DNSKEY is given too, the DS must be its digest. The validity window of RFC 9718 §2 is
// kept on the anchor; a KeyDigest outside it is returned with a warning and the caller decides.
//
// Hostile input: a document type declaration is refused before pugixml sees the text, so no
// entity is ever defined, expanded or fetched (no "billion laughs", no external entities); pugixml
// itself only knows the five predefined entities and parses nesting without recursion.

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

#include <pugixml.hpp>

#include "formats/detail.h"
#include "formats/line_counter.h"
#include "formats/reader_support.h"
#include "util/encoding.h"

namespace anchorage::formats::detail {
namespace {

/// The elements RFC 9718 §2 allows inside a KeyDigest.
constexpr std::array<const char*, 6> kKeyDigestElements = {"KeyTag", "Algorithm", "DigestType",
                                                           "Digest", "PublicKey", "Flags"};

/// The attributes RFC 9718 §2 allows on a KeyDigest.
constexpr std::array<const char*, 3> kKeyDigestAttributes = {"id", "validFrom", "validUntil"};

/// Reading state shared by the steps of one parse.
struct XmlReader {
  std::string_view text;
  Collector& collector;
  LineCounter& lines;

  /// 1-based line of a byte offset into the text; 0 when pugixml gives no offset.
  size_t lineAt(std::ptrdiff_t offset) const {
    return offset < 0 ? 0 : lines.lineAt(static_cast<size_t>(offset));
  }

  size_t lineOf(const pugi::xml_node& node) const { return lineAt(node.offset_debug()); }

  void problem(size_t line, std::string reason) const {
    collector.problem(line, std::move(reason));
  }
};

/// Shortens untrusted text quoted in a problem.
std::string quote(std::string_view value) {
  return shown(util::trim(value));
}

/// The text content of an element that must hold only text (character data or CDATA).
std::optional<std::string> elementText(const XmlReader& r, const pugi::xml_node& element) {
  std::string value;
  for (const pugi::xml_node& child : element.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      value += child.value();
    } else if (child.type() == pugi::node_element) {
      r.problem(r.lineOf(child), "element <" + std::string(element.name()) +
                                     "> must hold only text, not <" + child.name() + ">");
      return std::nullopt;
    }
  }
  return value;
}

/// True when `text` holds anything but XML white space.
bool hasContent(const char* text) {
  return !util::trim(text).empty();
}

/// The element children of `parent` by name, each at most once and each in `allowed`.
/// Reports unexpected elements, repeated elements and stray text; returns nullopt after a problem.
template <size_t N>
std::optional<std::map<std::string, pugi::xml_node>> uniqueChildren(
    const XmlReader& r, const pugi::xml_node& parent, const std::array<const char*, N>& allowed) {
  std::map<std::string, pugi::xml_node> found;
  for (const pugi::xml_node& child : parent.children()) {
    if ((child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) &&
        hasContent(child.value())) {
      r.problem(r.lineOf(parent),
                "text outside the elements of <" + std::string(parent.name()) + ">");
      return std::nullopt;
    }
    if (child.type() != pugi::node_element) {
      continue;
    }
    const std::string name = child.name();
    if (std::find_if(allowed.begin(), allowed.end(), [&](const char* a) { return name == a; }) ==
        allowed.end()) {
      r.problem(r.lineOf(child), "unexpected element <" + name + "> in <" + parent.name() + ">");
      return std::nullopt;
    }
    if (!found.emplace(name, child).second) {
      r.problem(r.lineOf(child),
                "element <" + name + "> appears more than once in <" + parent.name() + ">");
      return std::nullopt;
    }
  }
  return found;
}

/// The fields of one KeyDigest (RFC 9718 §2) as read, before they become an anchor.
struct KeyDigest {
  std::string id;
  size_t line = 0;
  model::Time valid_from;
  std::optional<model::Time> valid_until;
  model::DsRdata ds;
  std::optional<model::DnskeyRdata> dnskey;
};

/// Reads a decimal element no larger than `max`.
std::optional<uint64_t> readNumber(const XmlReader& r, const pugi::xml_node& element,
                                   uint64_t max) {
  const auto text = elementText(r, element);
  if (!text) {
    return std::nullopt;
  }
  auto value = util::parseUnsigned(util::trim(*text), max, element.name());
  if (!value) {
    r.problem(r.lineOf(element), "<" + std::string(element.name()) +
                                     "> is not a decimal number from 0 to " + std::to_string(max) +
                                     ": " + quote(*text));
    return std::nullopt;
  }
  return *value;
}

/// Reads a time attribute (xsd:dateTime, RFC 3339).
std::optional<model::Time> readTime(const XmlReader& r, const pugi::xml_node& element,
                                    const pugi::xml_attribute& attribute) {
  auto t = model::parseTime(attribute.value());
  if (!t) {
    r.problem(r.lineOf(element), std::string(attribute.name()) +
                                     " is not a date and time like 2017-02-02T00:00:00+00:00: " +
                                     quote(attribute.value()));
    return std::nullopt;
  }
  return *t;
}

/// Reads and checks the attributes id, validFrom and validUntil of a KeyDigest.
bool readKeyDigestAttributes(const XmlReader& r, const pugi::xml_node& node, KeyDigest& kd) {
  std::set<std::string> seen;
  for (const pugi::xml_attribute& a : node.attributes()) {
    const std::string name = a.name();
    if (std::find_if(kKeyDigestAttributes.begin(), kKeyDigestAttributes.end(),
                     [&](const char* k) { return name == k; }) == kKeyDigestAttributes.end()) {
      r.problem(kd.line, "unexpected attribute " + name + " on <KeyDigest>");
      return false;
    }
    if (!seen.insert(name).second) {
      r.problem(kd.line, "attribute " + name + " appears more than once on <KeyDigest>");
      return false;
    }
  }
  kd.id = node.attribute("id").value();
  if (util::trim(kd.id).empty()) {
    r.problem(kd.line, "<KeyDigest> has no id attribute");
    return false;
  }
  const pugi::xml_attribute from = node.attribute("validFrom");
  if (!from) {
    r.problem(kd.line, "<KeyDigest> " + quote(kd.id) + " has no validFrom attribute");
    return false;
  }
  const auto valid_from = readTime(r, node, from);
  if (!valid_from) {
    return false;
  }
  kd.valid_from = *valid_from;
  if (const pugi::xml_attribute until = node.attribute("validUntil")) {
    const auto valid_until = readTime(r, node, until);
    if (!valid_until) {
      return false;
    }
    if (*valid_until < kd.valid_from) {
      r.problem(kd.line, "<KeyDigest> " + quote(kd.id) + " has validUntil before validFrom");
      return false;
    }
    kd.valid_until = *valid_until;
  }
  return true;
}

/// Reads the RFC 9718 PublicKey and Flags pair, which appear together or not at all.
bool readPublicKey(const XmlReader& r, const std::map<std::string, pugi::xml_node>& children,
                   KeyDigest& kd) {
  const auto key_it = children.find("PublicKey");
  const auto flags_it = children.find("Flags");
  if (key_it == children.end() && flags_it == children.end()) {
    return true;
  }
  if (key_it == children.end() || flags_it == children.end()) {
    r.problem(kd.line, "<KeyDigest> " + quote(kd.id) +
                           " must have both <PublicKey> and <Flags> or neither (RFC 9718 §2)");
    return false;
  }
  const auto flags = readNumber(r, flags_it->second, 65535);
  const auto key_text = elementText(r, key_it->second);
  if (!flags || !key_text) {
    return false;
  }
  auto key = util::decodeBase64(*key_text);
  if (!key) {
    r.problem(r.lineOf(key_it->second), "<PublicKey> is not valid base64");
    return false;
  }
  kd.dnskey =
      model::DnskeyRdata{static_cast<uint16_t>(*flags), 3, kd.ds.algorithm, std::move(*key)};
  return true;
}

/// Reads one KeyDigest element; reports a problem and returns nullopt when it is malformed.
std::optional<KeyDigest> readKeyDigest(const XmlReader& r, const pugi::xml_node& node) {
  KeyDigest kd;
  kd.line = r.lineOf(node);
  if (!readKeyDigestAttributes(r, node, kd)) {
    return std::nullopt;
  }
  const auto children = uniqueChildren(r, node, kKeyDigestElements);
  if (!children) {
    return std::nullopt;
  }
  for (const char* required : {"KeyTag", "Algorithm", "DigestType", "Digest"}) {
    if (children->count(required) == 0) {
      r.problem(kd.line, "<KeyDigest> " + quote(kd.id) + " has no <" + required + "> element");
      return std::nullopt;
    }
  }
  const auto tag = readNumber(r, children->at("KeyTag"), 65535);
  const auto alg = tag ? readNumber(r, children->at("Algorithm"), 255) : std::nullopt;
  const auto dt = alg ? readNumber(r, children->at("DigestType"), 255) : std::nullopt;
  const auto hex = dt ? elementText(r, children->at("Digest")) : std::nullopt;
  if (!hex) {
    return std::nullopt;
  }
  auto digest = util::decodeHex(*hex);
  if (!digest || digest->empty()) {
    r.problem(r.lineOf(children->at("Digest")),
              "<Digest> is empty or not hexadecimal: " + quote(*hex));
    return std::nullopt;
  }
  kd.ds = {static_cast<uint16_t>(*tag), static_cast<uint8_t>(*alg), static_cast<uint8_t>(*dt),
           std::move(*digest)};
  if (!readPublicKey(r, *children, kd)) {
    return std::nullopt;
  }
  return kd;
}

/// RFC 9718 §2: when the DNSKEY is published too, the DS must be its digest. A digest type that
/// cannot be computed is left to model::validate(), which rejects it.
bool checkDnskeyMatches(const XmlReader& r, const model::DomainName& zone, const KeyDigest& kd) {
  if (!kd.dnskey) {
    return true;
  }
  const uint16_t computed_tag = kd.dnskey->keyTag();
  if (computed_tag != kd.ds.key_tag) {
    r.problem(kd.line, "<KeyDigest> " + quote(kd.id) + ": KeyTag " + std::to_string(kd.ds.key_tag) +
                           " does not match PublicKey and Flags" + " (their key tag is " +
                           std::to_string(computed_tag) + ")");
    return false;
  }
  auto computed = model::computeDs(zone, *kd.dnskey, kd.ds.digest_type);
  if (computed && computed->digest != kd.ds.digest) {
    r.problem(kd.line, "<KeyDigest> " + quote(kd.id) +
                           ": Digest does not match PublicKey and Flags (their digest is " +
                           util::encodeHex(computed->digest) + ")");
    return false;
  }
  return true;
}

/// Turns a KeyDigest into a DS anchor, admits it, and adds the validity-window warnings.
void admitKeyDigest(const XmlReader& r, const model::DomainName& zone, const KeyDigest& kd,
                    model::Time now) {
  ParsedAnchor* admitted = r.collector.admit(model::AnchorRecord{zone, 3600, kd.ds}, kd.line);
  if (admitted == nullptr) {
    return;
  }
  model::TrustAnchor& anchor = admitted->anchor;
  anchor.state = model::KeyState::kValid;
  anchor.origin = zone.isRoot() ? model::Origin::kRoot : model::Origin::kImport;
  anchor.valid_from = kd.valid_from;
  anchor.valid_until = kd.valid_until;
  // RFC 9718 §2: relying parties SHOULD NOT use a KeyDigest outside its window.
  auto& findings = admitted->findings;
  if (kd.valid_until && *kd.valid_until <= now) {
    findings.push_back({model::Severity::kWarning, "KeyDigest " + kd.id + " expired at " +
                                                       model::formatTime(*kd.valid_until) +
                                                       " (validUntil); it should not be used"});
  }
  if (kd.valid_from > now) {
    findings.push_back({model::Severity::kWarning, "KeyDigest " + kd.id + " is not valid before " +
                                                       model::formatTime(kd.valid_from) +
                                                       " (validFrom)"});
  }
}

/// Reads the single <Zone> element of the TrustAnchor.
std::optional<model::DomainName> readZone(const XmlReader& r, const pugi::xml_node& root) {
  pugi::xml_node zone_node;
  for (const pugi::xml_node& child : root.children("Zone")) {
    if (zone_node) {
      r.problem(r.lineOf(child), "element <Zone> appears more than once in <TrustAnchor>");
      return std::nullopt;
    }
    zone_node = child;
  }
  if (!zone_node) {
    r.problem(r.lineOf(root), "<TrustAnchor> has no <Zone> element");
    return std::nullopt;
  }
  const auto text = elementText(r, zone_node);
  if (!text) {
    return std::nullopt;
  }
  auto zone = model::DomainName::parse(util::trim(*text));
  if (!zone) {
    r.problem(r.lineOf(zone_node), "<Zone> is not a domain name: " + quote(*text));
    return std::nullopt;
  }
  return *zone;
}

/// Checks that <TrustAnchor> holds only Zone and KeyDigest elements and at least one KeyDigest.
bool checkTrustAnchorChildren(const XmlReader& r, const pugi::xml_node& root) {
  size_t key_digests = 0;
  for (const pugi::xml_node& child : root.children()) {
    if ((child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) &&
        hasContent(child.value())) {
      r.problem(r.lineOf(root), "text outside the elements of <TrustAnchor>");
      return false;
    }
    if (child.type() != pugi::node_element) {
      continue;
    }
    const std::string_view name = child.name();
    if (name == "KeyDigest") {
      ++key_digests;
    } else if (name != "Zone") {
      r.problem(r.lineOf(child), "unexpected element <" + std::string(name) + "> in <TrustAnchor>");
      return false;
    }
  }
  if (key_digests == 0) {
    r.problem(r.lineOf(root), "<TrustAnchor> has no <KeyDigest> element");
    return false;
  }
  return true;
}

/// Loads the text with pugixml after refusing DTDs; returns the root element or reports why not.
std::optional<pugi::xml_node> loadDocument(const XmlReader& r, pugi::xml_document& doc) {
  // No DTD processing at all (see the file comment): a DOCTYPE anywhere is refused.
  const size_t doctype = r.text.find("<!DOCTYPE");
  if (doctype != std::string_view::npos) {
    r.problem(r.lineAt(static_cast<std::ptrdiff_t>(doctype)),
              "document type declarations (DTDs) are not accepted");
    return std::nullopt;
  }
  const pugi::xml_parse_result loaded =
      doc.load_buffer(r.text.data(), r.text.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!loaded) {
    r.problem(r.lineAt(loaded.offset),
              std::string("XML is not well-formed: ") + loaded.description());
    return std::nullopt;
  }
  pugi::xml_node root;
  for (const pugi::xml_node& child : doc.children()) {
    if (child.type() != pugi::node_element) {
      continue;
    }
    if (root) {
      r.problem(r.lineOf(child), "XML has more than one root element");
      return std::nullopt;
    }
    root = child;
  }
  if (!root) {
    r.problem(1, "XML has no root element");
    return std::nullopt;
  }
  if (std::string_view(root.name()) != "TrustAnchor") {
    r.problem(r.lineOf(root), "root element is <" + std::string(root.name()) +
                                  ">, expected <TrustAnchor> (RFC 9718 §2)");
    return std::nullopt;
  }
  return root;
}

/// "2017-02-02T00:00:00+00:00", the form IANA writes.
std::string ianaTime(model::Time t) {
  std::string text = model::formatTime(t);
  text.pop_back();  // the "Z"
  return text + "+00:00";
}

/// A "Klajeyz"-like KeyDigest id: "K" and six letters from the SHA-256 of the anchor id.
std::string keyDigestId(const model::TrustAnchor& anchor, std::set<std::string>& used) {
  const std::string anchor_id = anchor.id();
  const auto hash = util::digest("sha256", {anchor_id.begin(), anchor_id.end()});
  std::string id = "K";
  for (size_t i = 0; i < 6; ++i) {
    id += static_cast<char>('a' + hash[i] % 26);
  }
  // Two anchors whose hashes agree in those letters still get distinct ids.
  const std::string base = id;
  for (size_t n = 2; !used.insert(id).second; ++n) {
    id = base + std::to_string(n);
  }
  return id;
}

/// The TrustAnchor id: an opaque UUID-shaped string (RFC 9718 §2) derived from the anchors.
std::string documentId(const std::vector<model::TrustAnchor>& anchors) {
  std::string all;
  for (const auto& a : anchors) {
    all += a.id() + "\n";
  }
  const auto hash = util::digest("sha256", {all.begin(), all.end()});
  const std::string hex = util::encodeHex({hash.begin(), hash.begin() + 16});
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

void appendTextElement(pugi::xml_node& parent, const char* name, const std::string& value) {
  parent.append_child(name).append_child(pugi::node_pcdata).set_value(value.c_str());
}

}  // namespace

ParseResult parseXml(std::string_view text, std::string_view source) {
  ParseResult out;
  Collector collector(out, source);
  if (auto encoding = checkEncoding(text); !encoding) {
    collector.problem(1, encoding.error().message);
    return out;
  }
  LineCounter lines(text);
  const XmlReader r{text, collector, lines};
  pugi::xml_document doc;
  const auto root = loadDocument(r, doc);
  const auto zone = root && checkTrustAnchorChildren(r, *root) ? readZone(r, *root) : std::nullopt;
  if (zone) {
    const model::Time now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    for (const pugi::xml_node& node : root->children("KeyDigest")) {
      const auto kd = readKeyDigest(r, node);
      if (kd && checkDnskeyMatches(r, *zone, *kd)) {
        admitKeyDigest(r, *zone, *kd, now);
      }
    }
  }
  collector.finish();
  return out;
}

Result<std::string> renderXml(const std::vector<model::TrustAnchor>& anchors) {
  if (anchors.empty()) {
    return fail(ErrorCode::kInvalidInput,
                "Root anchor XML needs at least one anchor (RFC 9718 §2)");
  }
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = doc.append_child("TrustAnchor");
  root.append_attribute("id") = documentId(anchors).c_str();
  root.append_attribute("source") = "anchorage";
  appendTextElement(root, "Zone", ".");

  std::set<std::string> used_ids;
  for (const auto& anchor : anchors) {
    const auto& record = anchor.record;
    if (!record.owner.isRoot()) {
      return fail(ErrorCode::kInvalidInput, "Root anchor XML holds only root anchors",
                  {{"owner", record.owner.text()}, {"id", anchor.id()}});
    }
    model::DsRdata ds;
    if (record.isDs()) {
      ds = record.ds();
    } else {
      auto computed = model::computeDs(record.owner, record.dnskey(), 2);
      if (!computed) {
        return fail(std::move(computed.error()).with("id", anchor.id()));
      }
      ds = std::move(*computed);
    }
    pugi::xml_node kd = root.append_child("KeyDigest");
    kd.append_attribute("id") = keyDigestId(anchor, used_ids).c_str();
    // validFrom is required (RFC 9718 §2); unknown, it is the Unix epoch: the key is not
    // claimed to start at any later time, and the output stays the same from day to day.
    const model::Time from = anchor.valid_from.value_or(model::Time{});
    kd.append_attribute("validFrom") = ianaTime(from).c_str();
    if (anchor.valid_until) {
      kd.append_attribute("validUntil") = ianaTime(*anchor.valid_until).c_str();
    }
    appendTextElement(kd, "KeyTag", std::to_string(ds.key_tag));
    appendTextElement(kd, "Algorithm", std::to_string(ds.algorithm));
    appendTextElement(kd, "DigestType", std::to_string(ds.digest_type));
    appendTextElement(kd, "Digest", util::encodeHex(ds.digest));
    if (!record.isDs()) {
      appendTextElement(kd, "PublicKey", util::encodeBase64(record.dnskey().public_key));
      appendTextElement(kd, "Flags", std::to_string(record.dnskey().flags));
    }
  }
  std::ostringstream text;
  doc.save(text, "  ", pugi::format_indent, pugi::encoding_utf8);
  return text.str();
}

}  // namespace anchorage::formats::detail
