// SPDX-License-Identifier: Apache-2.0
//
// Writes to an AD TrustAnchors zone (see ad_writer.h).

#include "directory/ad_writer.h"

#include <algorithm>
#include <chrono>

#include "formats/dnsrecord.h"
#include "util/encoding.h"

namespace anchorage::directory {
namespace {

// A write that lost the race for the SOA value is tried again this often.
constexpr int kSerialAttempts = 8;

std::string text(const std::vector<uint8_t>& bytes) {
  return {bytes.begin(), bytes.end()};
}

std::vector<uint8_t> bytes(const std::string& value) {
  return {value.begin(), value.end()};
}

bool isTombstoned(const Entry& node) {
  const auto flag = node.first("dNSTombstoned");
  return flag && util::toLower(*flag) == "true";
}

bool isAnchorType(uint16_t type) {
  return type == static_cast<uint16_t>(model::RecordType::kDs) ||
         type == static_cast<uint16_t>(model::RecordType::kDnskey);
}

model::Time currentTime() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace

Result<uint32_t> AdScopeWriter::nextSerial() {
  const std::string apex = "DC=@," + layout_.zone();
  for (int attempt = 0; attempt < kSerialAttempts; ++attempt) {
    bool lost_race = false;
    auto node = session_.read(apex, {"dnsRecord"});
    if (!node) {
      if (node.error().code == ErrorCode::kNotFound) {
        return 1u;
      }
      return fail(node.error());
    }
    for (const auto& raw : node->all("dnsRecord")) {
      auto value = formats::decodeDnsRecord(bytes(raw));
      if (!value || value->type != formats::kDnsTypeSoa) {
        continue;
      }
      auto serial = formats::soaSerial(*value);
      if (!serial) {
        continue;
      }
      // RFC 1982 arithmetic: 0 is skipped, as DNS servers do when the serial wraps.
      const uint32_t next = *serial + 1 == 0 ? 1 : *serial + 1;
      const auto bumped = formats::encodeDnsRecord(formats::withSoaSerial(*value, next));
      // Deleting the exact old value fails when another writer bumped it first: a
      // compare-and-swap without the assertion control, which AD does not offer.
      auto r = session_.modify(apex, {{Modification::Op::kDelete, "dnsRecord", {raw}},
                                      {Modification::Op::kAdd, "dnsRecord", {text(bumped)}}});
      if (r) {
        return next;
      }
      if (r.error().code != ErrorCode::kInvalidInput) {
        return fail(r.error());
      }
      lost_race = true;
      break;  // Lost the race: read the SOA again.
    }
    if (!lost_race) {
      return 1u;  // An apex without an SOA: nothing to bump.
    }
  }
  return fail(ErrorCode::kConflict, "The zone's SOA serial kept changing under this write",
              {{"zone", layout_.zone()}});
}

Result<bool> AdScopeWriter::ensureZone() {
  const std::string zone = layout_.zone();
  auto existing = session_.read(zone, {"objectClass"});
  if (existing) {
    return false;
  }
  if (existing.error().code != ErrorCode::kNotFound) {
    return fail(existing.error());
  }
  auto root = session_.read("", {"dnsHostName"});
  if (!root) {
    return fail(root.error());
  }
  const auto host_name = root->first("dnsHostName");
  auto host = model::DomainName::parse(host_name.value_or("") + ".");
  if (!host_name || !host) {
    return fail(
        ErrorCode::kNotFound,
        "The rootDSE gives no dnsHostName for the zone's SOA (is this a domain controller?)");
  }
  // hostmaster at the domain controller's domain, as Windows fills in the responsible person.
  const auto dot = host_name->find('.');
  auto admin = model::DomainName::parse(
      "hostmaster." + (dot == std::string::npos ? *host_name : host_name->substr(dot + 1)) + ".");
  if (!admin) {
    return fail(admin.error());
  }
  Entry z;
  z.dn = zone;
  z.attributes["objectClass"] = {"top", "dnsZone"};
  if (auto r = session_.add(z); !r) {
    if (r.error().code == ErrorCode::kConflict) {
      return false;  // Created by someone else meanwhile.
    }
    return fail(std::move(r.error()).with("dn", zone));
  }
  formats::SoaData soa;
  soa.primary = *host;
  soa.admin = *admin;
  formats::DnsRecordValue soa_value;
  soa_value.type = formats::kDnsTypeSoa;
  soa_value.rank = formats::kDnsRankZone;
  soa_value.serial = soa.serial;
  soa_value.ttl_seconds = soa.minimum;
  soa_value.data = formats::encodeSoaData(soa);
  formats::DnsRecordValue ns_value = soa_value;
  ns_value.type = formats::kDnsTypeNs;
  ns_value.data = formats::encodeCountName(*host);
  Entry apex;
  apex.dn = "DC=@," + zone;
  apex.attributes["objectClass"] = {"top", "dnsNode"};
  apex.attributes["dnsRecord"] = {text(formats::encodeDnsRecord(soa_value)),
                                  text(formats::encodeDnsRecord(ns_value))};
  if (auto r = session_.add(apex); !r && r.error().code != ErrorCode::kConflict) {
    return fail(std::move(r.error()).with("dn", apex.dn));
  }
  return true;
}

Result<PublishOutcome> AdScopeWriter::publishAnchor(const model::TrustAnchor& anchor) {
  const std::string dn = layout_.node(anchor.record.owner);
  auto node = session_.read(dn, {"dnsRecord", "dNSTombstoned"});
  if (!node && node.error().code != ErrorCode::kNotFound) {
    return fail(node.error());
  }
  const bool live = node && !isTombstoned(*node);
  // The publisher's signature, when there is one, goes in a TXT value beside the record.
  const std::string signature_prefix = kAdSignaturePrefix + anchor.id() + " ";
  const std::string signature_text =
      anchor.publisher_signature.empty() ? "" : signature_prefix + anchor.publisher_signature;
  bool have_record = false;
  bool have_signature = false;
  std::vector<std::string> stale_signatures;
  if (live) {
    for (const auto& raw : node->all("dnsRecord")) {
      auto value = formats::decodeDnsRecord(bytes(raw));
      if (!value) {
        continue;
      }
      if (isAnchorType(value->type)) {
        auto record = formats::anchorFromDnsRecord(anchor.record.owner, *value);
        have_record = have_record || (record && *record == anchor.record);
      } else if (auto txt = formats::singleTxt(*value); txt && txt->starts_with(signature_prefix)) {
        if (*txt == signature_text) {
          have_signature = true;
        } else {
          stale_signatures.push_back(raw);
        }
      }
    }
  }
  const bool signature_done = signature_text.empty() ? stale_signatures.empty() : have_signature;
  if (have_record && signature_done) {
    return PublishOutcome::kUnchanged;
  }
  auto serial = nextSerial();
  if (!serial) {
    return fail(serial.error());
  }
  std::vector<std::string> values;
  if (!have_record) {
    values.push_back(text(formats::encodeDnsRecord(
        formats::dnsRecordFromAnchor(anchor.record, *serial, formats::kDnsRankZone))));
  }
  if (!signature_text.empty() && !have_signature) {
    values.push_back(text(
        formats::encodeDnsRecord(formats::txtRecord(signature_text, *serial, anchor.record.ttl))));
  }
  if (live) {
    std::vector<Modification> changes;
    if (!stale_signatures.empty()) {
      changes.push_back({Modification::Op::kDelete, "dnsRecord", stale_signatures});
    }
    if (!values.empty()) {
      changes.push_back({Modification::Op::kAdd, "dnsRecord", values});
    }
    if (auto r = session_.modify(dn, changes); !r) {
      return fail(std::move(r.error()).with("dn", dn));
    }
    return have_record ? PublishOutcome::kReplaced : PublishOutcome::kAdded;
  }
  if (node) {
    // A tombstoned node comes back to life with this record alone, as Windows revives a node
    // when a record is added to a deleted name.
    if (auto r = session_.modify(dn, {{Modification::Op::kReplace, "dnsRecord", values},
                                      {Modification::Op::kReplace, "dNSTombstoned", {"FALSE"}}});
        !r) {
      return fail(std::move(r.error()).with("dn", dn));
    }
    return PublishOutcome::kAdded;
  }
  Entry e;
  e.dn = dn;
  e.attributes["objectClass"] = {"top", "dnsNode"};
  e.attributes["dnsRecord"] = values;
  e.attributes["dNSTombstoned"] = {"FALSE"};
  if (auto r = session_.add(e); !r) {
    return fail(std::move(r.error()).with("dn", dn));
  }
  return PublishOutcome::kAdded;
}

Result<std::vector<model::TrustAnchor>> AdScopeWriter::readTrustPoint(
    const model::DomainName& trust_point) {
  const std::string dn = layout_.node(trust_point);
  auto node = session_.read(dn, {"dnsRecord", "dNSTombstoned"});
  if (!node) {
    return fail(node.error().code == ErrorCode::kNotFound
                    ? Error(ErrorCode::kNotFound, "No such trust point in the AD scope",
                            {{"zone", trust_point.text()}, {"dn", dn}})
                    : node.error());
  }
  if (isTombstoned(*node)) {
    return fail(ErrorCode::kNotFound, "The trust point's node is tombstoned (withdrawn)",
                {{"zone", trust_point.text()}, {"dn", dn}});
  }
  std::vector<model::TrustAnchor> out;
  const auto values = node->all("dnsRecord");
  for (size_t i = 0; i < values.size(); ++i) {
    auto value = formats::decodeDnsRecord(bytes(values[i]));
    if (!value) {
      return fail(std::move(value.error()).with("dn", dn).with("value", std::to_string(i + 1)));
    }
    if (!isAnchorType(value->type)) {
      continue;
    }
    auto record = formats::anchorFromDnsRecord(trust_point, *value);
    if (!record) {
      return fail(std::move(record.error()).with("dn", dn).with("value", std::to_string(i + 1)));
    }
    model::TrustAnchor a;
    a.record = std::move(*record);
    a.state = model::KeyState::kValid;
    a.origin = model::Origin::kManual;
    out.push_back(std::move(a));
  }
  return out;
}

Result<AdRemoval> AdScopeWriter::removeAnchors(const model::DomainName& trust_point,
                                               const std::vector<model::TrustAnchor>& anchors) {
  const std::string dn = layout_.node(trust_point);
  auto node = session_.read(dn, {"dnsRecord", "dNSTombstoned"});
  if (!node) {
    return fail(std::move(node.error()).with("dn", dn));
  }
  std::vector<std::string> doomed;
  size_t doomed_records = 0;
  size_t kept = 0;
  for (const auto& raw : node->all("dnsRecord")) {
    auto value = formats::decodeDnsRecord(bytes(raw));
    std::optional<model::AnchorRecord> record;
    if (value && isAnchorType(value->type)) {
      if (auto r = formats::anchorFromDnsRecord(trust_point, *value)) {
        record = std::move(*r);
      }
    }
    const bool chosen =
        record && std::any_of(anchors.begin(), anchors.end(),
                              [&](const model::TrustAnchor& a) { return a.record == *record; });
    // The signature of a removed anchor goes with it.
    auto txt = value ? formats::singleTxt(*value) : Result<std::string>(value.error());
    const bool its_signature =
        txt && std::any_of(anchors.begin(), anchors.end(), [&](const model::TrustAnchor& a) {
          return txt->starts_with(kAdSignaturePrefix + a.id() + " ");
        });
    if (chosen || its_signature) {
      doomed.push_back(raw);
      doomed_records += chosen ? 1 : 0;
    } else {
      ++kept;
    }
  }
  if (doomed_records < anchors.size()) {
    return fail(ErrorCode::kNotFound, "A record to remove is not on the trust point's node",
                {{"dn", dn}});
  }
  auto serial = nextSerial();
  if (!serial) {
    return fail(serial.error());
  }
  if (kept > 0) {
    if (auto r = session_.modify(dn, {{Modification::Op::kDelete, "dnsRecord", doomed}}); !r) {
      return fail(std::move(r.error()).with("dn", dn));
    }
    return AdRemoval::kValuesDeleted;
  }
  auto tombstone = formats::tombstoneRecord(currentTime());
  tombstone.serial = *serial;
  if (auto r = session_.modify(
          dn,
          {{Modification::Op::kReplace, "dnsRecord", {text(formats::encodeDnsRecord(tombstone))}},
           {Modification::Op::kReplace, "dNSTombstoned", {"TRUE"}}});
      !r) {
    return fail(std::move(r.error()).with("dn", dn));
  }
  return AdRemoval::kTombstoned;
}

Result<AdScopeWriter::NodeState> AdScopeWriter::nodeState(const model::DomainName& trust_point) {
  auto node = session_.read(layout_.node(trust_point), {"dNSTombstoned"});
  if (!node) {
    if (node.error().code == ErrorCode::kNotFound) {
      return NodeState::kAbsent;
    }
    return fail(node.error());
  }
  return isTombstoned(*node) ? NodeState::kTombstoned : NodeState::kLive;
}

Result<bool> AdScopeWriter::wasDeleted(const model::DomainName& trust_point) {
  // Deleted objects move to the partition's CN=Deleted Objects, visible with
  // LDAP_SERVER_SHOW_DELETED_OID, their RDN value mangled to "<name>\nDEL:<objectGUID>"
  // (MS-ADTS 3.1.1.5.5.1.2) and lastKnownParent naming where they were.
  std::string name = trust_point.text();
  if (name.size() > 1) {
    name.pop_back();
  }
  auto found =
      session_.searchWithControls(layout_.partition(), Scope::kSubtree,
                                  "(&(isDeleted=TRUE)(dc=" + escapeFilterValue(name) + "*))",
                                  {"dc", "lastKnownParent"}, {{kShowDeletedOid, "", true}});
  if (!found) {
    return fail(found.error());
  }
  const std::string zone = util::toLower(layout_.zone());
  return std::any_of(found->entries.begin(), found->entries.end(), [&](const Entry& e) {
    const auto dc = e.first("dc").value_or("");
    const bool same_name = util::toLower(dc) == util::toLower(name) ||
                           (dc.size() > name.size() &&
                            util::toLower(dc.substr(0, name.size())) == util::toLower(name) &&
                            dc[name.size()] == '\n');
    const auto parent = e.first("lastKnownParent");
    return same_name && (!parent || util::toLower(*parent) == zone);
  });
}

Result<void> AdScopeWriter::recordWithdrawal(const model::DomainName& trust_point) {
  auto serial = nextSerial();
  if (!serial) {
    return fail(serial.error());
  }
  auto tombstone = formats::tombstoneRecord(currentTime());
  tombstone.serial = *serial;
  Entry e;
  e.dn = layout_.node(trust_point);
  e.attributes["objectClass"] = {"top", "dnsNode"};
  e.attributes["dnsRecord"] = {text(formats::encodeDnsRecord(tombstone))};
  e.attributes["dNSTombstoned"] = {"TRUE"};
  if (auto r = session_.add(e); !r) {
    return fail(std::move(r.error()).with("dn", e.dn));
  }
  return ok();
}

Result<void> AdScopeWriter::deleteTrustPoint(const model::DomainName& trust_point) {
  const std::string dn = layout_.node(trust_point);
  if (auto r = session_.remove(dn); !r) {
    return fail(std::move(r.error()).with("zone", trust_point.text()));
  }
  return ok();
}

}  // namespace anchorage::directory
