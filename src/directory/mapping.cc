// SPDX-License-Identifier: Apache-2.0
//
// Entry <-> model mapping for the Anchorage schema (see mapping.h for the reading policy).

#include "directory/mapping.h"

#include <ldap.h>

#include <ctime>
#include <set>

#include "util/encoding.h"

namespace anchorage::directory {
namespace {

using model::TrustAnchor;

Error bad(const Entry& e, const std::string& attribute, std::string message) {
  return Error(ErrorCode::kInvalidInput, std::move(message),
               {{"dn", e.dn}, {"attribute", attribute}});
}

Result<std::string> required(const Entry& e, const std::string& attribute) {
  const auto values = e.all(attribute);
  if (values.empty()) {
    return fail(bad(e, attribute, "Required attribute is missing"));
  }
  if (values.size() > 1) {
    return fail(bad(e, attribute, "Attribute has more than one value"));
  }
  return values.front();
}

Result<std::optional<model::Time>> optionalTime(const Entry& e, const std::string& attribute) {
  const auto v = e.first(attribute);
  if (!v) {
    return std::optional<model::Time>();
  }
  auto t = parseGeneralizedTime(*v);
  if (!t) {
    return fail(bad(e, attribute, "Attribute is not a GeneralizedTime in UTC"));
  }
  return std::optional<model::Time>(*t);
}

Result<uint64_t> requiredNumber(const Entry& e, const std::string& attribute, uint64_t max) {
  auto text = required(e, attribute);
  if (!text) {
    return fail(text.error());
  }
  auto n = util::parseUnsigned(*text, max, attribute);
  if (!n) {
    return fail(bad(e, attribute, "Attribute is not a number in range"));
  }
  return *n;
}

bool parseBool(const std::string& v) {
  return v == "TRUE";
}

void setTime(Entry& e, const std::string& attribute, const std::optional<model::Time>& t) {
  if (t) {
    e.attributes[attribute] = {formatGeneralizedTime(*t)};
  }
}

// The owner of an anchor is the value of the anchorageTrustPoint RDN right above it.
Result<model::DomainName> ownerFromDn(const Entry& e) {
  auto rdns = splitDn(e.dn);
  if (!rdns || rdns->size() < 2) {
    return fail(bad(e, "dn", "Anchor DN is not below a trust point"));
  }
  const auto& [type, value] = (*rdns)[1];
  if (util::toLower(type) != "anchoragetrustpoint") {
    return fail(bad(e, "dn", "Anchor DN is not below a trust point"));
  }
  auto name = model::DomainName::parse(value);
  if (!name) {
    return fail(bad(e, "dn", "Trust point name in the DN is not a domain name"));
  }
  return *name;
}

std::string rdnValueForName(const model::DomainName& name) {
  return escapeDnValue(name.text());
}

}  // namespace

std::string ScopeLayout::trustPoint(const model::DomainName& name) const {
  return "anchorageTrustPoint=" + rdnValueForName(name) + "," + trustPoints();
}

std::string ScopeLayout::anchor(const TrustAnchor& a) const {
  return "anchorageAnchorId=" + a.id() + "," + trustPoint(a.record.owner);
}

std::string ScopeLayout::nta(const model::DomainName& name) const {
  return "anchorageNtaName=" + rdnValueForName(name) + "," + ntas();
}

std::string ScopeLayout::agent(const std::string& server) const {
  return "cn=" + escapeDnValue(server) + "," + agents();
}

std::string ScopeLayout::lease(const std::string& name) const {
  return "cn=" + escapeDnValue(name) + "," + leases();
}

std::vector<Entry> ScopeLayout::skeleton() const {
  std::vector<Entry> out;
  out.push_back({container(), {{"objectClass", {"anchorageScope"}}, {"cn", {"Anchorage"}}}});
  for (const char* cn : {"TrustPoints", "NegativeTrustAnchors", "Agents", "Leases"}) {
    out.push_back({"cn=" + std::string(cn) + "," + container(),
                   {{"objectClass", {"anchorageContainer"}}, {"cn", {cn}}}});
  }
  return out;
}

EntryKind classify(const Entry& e) {
  if (e.hasClass("anchorageAnchor")) {
    return EntryKind::kAnchor;
  }
  if (e.hasClass("anchorageTrustPointEntry")) {
    return EntryKind::kTrustPoint;
  }
  if (e.hasClass("anchorageNegativeTrustAnchor")) {
    return EntryKind::kNta;
  }
  if (e.hasClass("anchorageAgentStatus")) {
    return EntryKind::kAgentStatus;
  }
  if (e.hasClass("anchorageLease")) {
    return EntryKind::kLease;
  }
  if (e.hasClass("anchorageScope")) {
    return EntryKind::kScope;
  }
  if (e.hasClass("anchorageContainer")) {
    return EntryKind::kContainer;
  }
  return EntryKind::kOther;
}

std::string formatGeneralizedTime(model::Time t) {
  const std::time_t tt = t.time_since_epoch().count();
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%d%H%M%SZ", &tm);
  return buf;
}

Result<model::Time> parseGeneralizedTime(const std::string& text) {
  // YYYYmmddHHMMSS[.fraction]Z; minutes and seconds are optional in RFC 4517 but slapd and
  // Anchorage always write them.
  if (text.size() < 15 || text.back() != 'Z') {
    return fail(ErrorCode::kInvalidInput, "GeneralizedTime must be YYYYmmddHHMMSSZ",
                {{"value", text.substr(0, 40)}});
  }
  for (size_t i = 0; i < 14; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      return fail(ErrorCode::kInvalidInput, "GeneralizedTime must be YYYYmmddHHMMSSZ",
                  {{"value", text.substr(0, 40)}});
    }
  }
  const std::string iso = text.substr(0, 4) + "-" + text.substr(4, 2) + "-" + text.substr(6, 2) +
                          "T" + text.substr(8, 2) + ":" + text.substr(10, 2) + ":" +
                          text.substr(12, 2) + "Z";
  const std::string rest = text.substr(14, text.size() - 15);
  if (!rest.empty() && (rest[0] != '.' && rest[0] != ',')) {
    return fail(ErrorCode::kInvalidInput, "GeneralizedTime must be in UTC (Z)",
                {{"value", text.substr(0, 40)}});
  }
  return model::parseTime(iso);
}

Result<TrustAnchor> anchorFromEntry(const Entry& e) {
  auto owner = ownerFromDn(e);
  if (!owner) {
    return fail(owner.error());
  }
  auto type = required(e, "anchorageRecordType");
  auto rdata = required(e, "anchorageRdata");
  if (!type || !rdata) {
    return fail(!type ? type.error() : rdata.error());
  }
  TrustAnchor a;
  a.record.owner = *owner;
  const std::string upper_type = util::toLower(*type);
  if (upper_type == "ds") {
    auto ds = model::parseDsRdata(*rdata);
    if (!ds) {
      return fail(bad(e, "anchorageRdata", "DS RDATA does not parse: " + ds.error().toString()));
    }
    a.record.rdata = *ds;
  } else if (upper_type == "dnskey") {
    auto key = model::parseDnskeyRdata(*rdata);
    if (!key) {
      return fail(
          bad(e, "anchorageRdata", "DNSKEY RDATA does not parse: " + key.error().toString()));
    }
    a.record.rdata = *key;
  } else {
    return fail(bad(e, "anchorageRecordType", "Record type must be DS or DNSKEY"));
  }
  if (auto ttl = e.first("anchorageTtl")) {
    auto n = util::parseUnsigned(*ttl, 0x7fffffff, "anchorageTtl");
    if (!n) {
      return fail(bad(e, "anchorageTtl", "TTL is not a number in range"));
    }
    a.record.ttl = static_cast<uint32_t>(*n);
  }
  const auto findings = model::validate(a.record);
  for (const auto& f : findings) {
    if (f.severity == model::Severity::kError) {
      return fail(bad(e, "anchorageRdata", "Anchor is not valid: " + f.message));
    }
  }
  // The decoded fields are for searching; they must agree with the RDATA they were taken from.
  auto tag = requiredNumber(e, "anchorageKeyTag", 65535);
  auto alg = requiredNumber(e, "anchorageAlgorithm", 255);
  if (!tag || !alg) {
    return fail(!tag ? tag.error() : alg.error());
  }
  if (*tag != a.record.keyTag()) {
    return fail(bad(e, "anchorageKeyTag", "Key tag disagrees with the RDATA"));
  }
  if (*alg != a.record.algorithm()) {
    return fail(bad(e, "anchorageAlgorithm", "Algorithm disagrees with the RDATA"));
  }
  if (auto dt = e.first("anchorageDigestType");
      dt && (!a.record.isDs() || *dt != std::to_string(a.record.ds().digest_type))) {
    return fail(bad(e, "anchorageDigestType", "Digest type disagrees with the RDATA"));
  }
  if (auto fl = e.first("anchorageFlags");
      fl && (a.record.isDs() || *fl != std::to_string(a.record.dnskey().flags))) {
    return fail(bad(e, "anchorageFlags", "Flags disagree with the RDATA"));
  }
  auto id = required(e, "anchorageAnchorId");
  if (!id || *id != a.id()) {
    return fail(bad(e, "anchorageAnchorId", "Anchor id is not the one the RDATA implies"));
  }
  auto state_text = required(e, "anchorageState");
  const auto state = state_text ? model::parseKeyState(*state_text) : std::nullopt;
  if (!state) {
    return fail(bad(e, "anchorageState", "State is not an RFC 5011 state"));
  }
  a.state = *state;
  if (auto origin = e.first("anchorageOrigin")) {
    auto o = model::parseOrigin(*origin);
    if (!o) {
      return fail(bad(e, "anchorageOrigin", "Origin must be manual, import, root or rfc5011"));
    }
    a.origin = *o;
  }
  const std::pair<const char*, std::optional<model::Time>*> times[] = {
      {"anchorageValidFrom", &a.valid_from},
      {"anchorageValidUntil", &a.valid_until},
      {"anchorageStateChanged", &a.state_changed},
      {"anchorageHoldDownUntil", &a.hold_down_until},
  };
  for (const auto& [attribute, field] : times) {
    auto t = optionalTime(e, attribute);
    if (!t) {
      return fail(t.error());
    }
    *field = *t;
  }
  a.publisher_signature = e.first("anchoragePublisherSignature").value_or("");
  return a;
}

Entry entryForAnchor(const ScopeLayout& layout, const TrustAnchor& a) {
  Entry e;
  e.dn = layout.anchor(a);
  const auto& r = a.record;
  e.attributes["objectClass"] = {"anchorageAnchor"};
  e.attributes["anchorageAnchorId"] = {a.id()};
  e.attributes["anchorageRecordType"] = {std::string(model::recordTypeName(r.type()))};
  e.attributes["anchorageRdata"] = {r.rdataText()};
  e.attributes["anchorageTtl"] = {std::to_string(r.ttl)};
  e.attributes["anchorageKeyTag"] = {std::to_string(r.keyTag())};
  e.attributes["anchorageAlgorithm"] = {std::to_string(r.algorithm())};
  if (r.isDs()) {
    e.attributes["anchorageDigestType"] = {std::to_string(r.ds().digest_type)};
  } else {
    e.attributes["anchorageFlags"] = {std::to_string(r.dnskey().flags)};
  }
  e.attributes["anchorageState"] = {std::string(model::keyStateName(a.state))};
  e.attributes["anchorageOrigin"] = {std::string(model::originName(a.origin))};
  setTime(e, "anchorageValidFrom", a.valid_from);
  setTime(e, "anchorageValidUntil", a.valid_until);
  setTime(e, "anchorageStateChanged", a.state_changed);
  setTime(e, "anchorageHoldDownUntil", a.hold_down_until);
  if (!a.publisher_signature.empty()) {
    e.attributes["anchoragePublisherSignature"] = {a.publisher_signature};
  }
  return e;
}

Result<TrustPointInfo> trustPointFromEntry(const Entry& e) {
  auto name_text = required(e, "anchorageTrustPoint");
  if (!name_text) {
    return fail(name_text.error());
  }
  auto name = model::DomainName::parse(*name_text);
  if (!name) {
    return fail(bad(e, "anchorageTrustPoint", "Trust point is not a domain name"));
  }
  TrustPointInfo info{*name};
  if (auto v = e.first("anchorageAutoUpdate")) {
    info.auto_update = parseBool(*v);
  }
  if (auto v = e.first("anchorageDistribute")) {
    info.distribute = parseBool(*v);
  }
  info.last_refresh_result = e.first("anchorageLastRefreshResult").value_or("");
  const std::pair<const char*, std::optional<model::Time>*> times[] = {
      {"anchorageLastRefresh", &info.last_refresh},
      {"anchorageNextRefresh", &info.next_refresh},
      {"anchorageLastSuccessfulRefresh", &info.last_successful_refresh},
      {"anchorageRemovalConfirmedUntil", &info.removal_confirmed_until},
  };
  for (const auto& [attribute, field] : times) {
    auto t = optionalTime(e, attribute);
    if (!t) {
      return fail(t.error());
    }
    *field = *t;
  }
  return info;
}

Entry entryForTrustPoint(const ScopeLayout& layout, const TrustPointInfo& info) {
  Entry e;
  e.dn = layout.trustPoint(info.name);
  e.attributes["objectClass"] = {"anchorageTrustPointEntry"};
  e.attributes["anchorageTrustPoint"] = {info.name.text()};
  e.attributes["anchorageAutoUpdate"] = {info.auto_update ? "TRUE" : "FALSE"};
  e.attributes["anchorageDistribute"] = {info.distribute ? "TRUE" : "FALSE"};
  setTime(e, "anchorageLastRefresh", info.last_refresh);
  setTime(e, "anchorageNextRefresh", info.next_refresh);
  setTime(e, "anchorageLastSuccessfulRefresh", info.last_successful_refresh);
  setTime(e, "anchorageRemovalConfirmedUntil", info.removal_confirmed_until);
  if (!info.last_refresh_result.empty()) {
    e.attributes["anchorageLastRefreshResult"] = {info.last_refresh_result};
  }
  return e;
}

Result<model::NegativeTrustAnchor> ntaFromEntry(const Entry& e) {
  auto name_text = required(e, "anchorageNtaName");
  if (!name_text) {
    return fail(name_text.error());
  }
  auto name = model::DomainName::parse(*name_text);
  if (!name) {
    return fail(bad(e, "anchorageNtaName", "NTA name is not a domain name"));
  }
  auto expires_text = required(e, "anchorageExpires");
  if (!expires_text) {
    return fail(expires_text.error());
  }
  auto expires = parseGeneralizedTime(*expires_text);
  if (!expires) {
    return fail(bad(e, "anchorageExpires", "Expiry is not a GeneralizedTime in UTC"));
  }
  return model::NegativeTrustAnchor{*name, *expires, e.first("anchorageReason").value_or(""),
                                    e.first("anchorageCreatedBy").value_or("")};
}

Entry entryForNta(const ScopeLayout& layout, const model::NegativeTrustAnchor& nta) {
  Entry e;
  e.dn = layout.nta(nta.name);
  e.attributes["objectClass"] = {"anchorageNegativeTrustAnchor"};
  e.attributes["anchorageNtaName"] = {nta.name.text()};
  e.attributes["anchorageExpires"] = {formatGeneralizedTime(nta.expires)};
  if (!nta.reason.empty()) {
    e.attributes["anchorageReason"] = {nta.reason};
  }
  if (!nta.created_by.empty()) {
    e.attributes["anchorageCreatedBy"] = {nta.created_by};
  }
  return e;
}

ScopeContent readScopeContent(const std::vector<const Entry*>& entries) {
  ScopeContent out;
  std::set<model::DomainName> points;
  std::vector<std::pair<const Entry*, TrustAnchor>> anchors;
  for (const Entry* e : entries) {
    switch (classify(*e)) {
      case EntryKind::kTrustPoint: {
        auto tp = trustPointFromEntry(*e);
        if (tp) {
          points.insert(tp->name);
          out.trust_points.push_back(std::move(*tp));
        } else {
          out.quarantined.push_back({e->dn, tp.error().toString()});
        }
        break;
      }
      case EntryKind::kAnchor: {
        auto a = anchorFromEntry(*e);
        if (a) {
          anchors.emplace_back(e, std::move(*a));
        } else {
          out.quarantined.push_back({e->dn, a.error().toString()});
        }
        break;
      }
      case EntryKind::kScope: {
        auto t = optionalTime(*e, "anchorageRemovalConfirmedUntil");
        if (t) {
          out.removal_confirmed_until = *t;
        } else {
          out.quarantined.push_back({e->dn, t.error().toString()});
        }
        break;
      }
      case EntryKind::kNta: {
        auto n = ntaFromEntry(*e);
        if (n) {
          out.ntas.push_back(std::move(*n));
        } else {
          out.quarantined.push_back({e->dn, n.error().toString()});
        }
        break;
      }
      default:
        break;
    }
  }
  for (auto& [e, a] : anchors) {
    if (points.count(a.record.owner) == 0) {
      out.quarantined.push_back({e->dn, "Anchor has no trust point entry"});
      continue;
    }
    out.anchors.push_back(std::move(a));
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> splitDn(const std::string& dn) {
  LDAPDN parsed = nullptr;
  if (ldap_str2dn(dn.c_str(), &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS) {
    return fail(ErrorCode::kInvalidInput, "DN is not valid", {{"dn", dn}});
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; parsed != nullptr && parsed[i] != nullptr; ++i) {
    LDAPAVA* ava = parsed[i][0];
    if (ava == nullptr) {
      continue;
    }
    out.emplace_back(std::string(ava->la_attr.bv_val, ava->la_attr.bv_len),
                     std::string(ava->la_value.bv_val, ava->la_value.bv_len));
  }
  ldap_dnfree(parsed);
  return out;
}

}  // namespace anchorage::directory
