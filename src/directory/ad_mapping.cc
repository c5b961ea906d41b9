// SPDX-License-Identifier: Apache-2.0
//
// Mapping of the AD TrustAnchors zone (see ad_mapping.h).

#include "directory/ad_mapping.h"

#include <map>

#include "formats/dnsrecord.h"
#include "util/encoding.h"

namespace anchorage::directory {
namespace {

uint32_t readLe32(const std::string& b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at])) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3])) << 24;
}

bool isTrue(const Entry& e, const std::string& attribute) {
  const auto v = e.first(attribute);
  return v && util::toLower(*v) == "true";
}

// RFC 4514 §2.4: the characters an attribute value must escape, and a leading '#' or blank and a
// trailing blank.
std::string escapeRdnValue(const std::string& value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const bool special = c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' ||
                         c == ';' || c == '=';
    const bool edge = (i == 0 && (c == '#' || c == ' ')) || (i + 1 == value.size() && c == ' ');
    if (special || edge) {
      out += '\\';
    }
    out += c;
  }
  return out;
}

std::string lowerDn(const std::string& dn) {
  return util::toLower(dn);
}

// The DN of the entry directly above `dn` (the text after the first unescaped comma).
std::string parentOf(const std::string& dn) {
  for (size_t i = 0; i < dn.size(); ++i) {
    if (dn[i] == '\\') {
      ++i;
    } else if (dn[i] == ',') {
      return dn.substr(i + 1);
    }
  }
  return {};
}

}  // namespace

std::string AdLayout::zone() const {
  return "DC=TrustAnchors,CN=MicrosoftDNS," + partition_;
}

std::string AdLayout::node(const model::DomainName& trust_point) const {
  std::string name = trust_point.text();
  if (name.size() > 1 && name.back() == '.') {
    name.pop_back();
  }
  return "DC=" + escapeRdnValue(name) + "," + zone();
}

std::set<std::string> defaultTrustedSids(const std::string& domain_sid,
                                         const std::string& forest_sid) {
  return {domain_sid + "-512", forest_sid + "-519", "S-1-5-9"};
}

Result<std::string> sidToString(const std::string& b) {
  if (b.size() < 8) {
    return fail(ErrorCode::kInvalidInput, "SID is shorter than its 8-octet header",
                {{"length", std::to_string(b.size())}});
  }
  const auto revision = static_cast<uint8_t>(b[0]);
  const auto count = static_cast<uint8_t>(b[1]);
  if (revision != 1) {
    return fail(ErrorCode::kInvalidInput, "SID revision is not 1",
                {{"revision", std::to_string(revision)}});
  }
  if (b.size() < 8 + 4 * size_t{count}) {
    return fail(ErrorCode::kInvalidInput, "SID is shorter than its sub-authority count says",
                {{"length", std::to_string(b.size())}, {"count", std::to_string(count)}});
  }
  // The identifier authority is 48 bits, big-endian.
  uint64_t authority = 0;
  for (size_t i = 2; i < 8; ++i) {
    authority = authority << 8 | static_cast<uint8_t>(b[i]);
  }
  std::string out = "S-1-" + std::to_string(authority);
  for (size_t i = 0; i < count; ++i) {
    out += "-" + std::to_string(readLe32(b, 8 + 4 * i));
  }
  return out;
}

Result<std::string> ownerOfSecurityDescriptor(const std::string& sd) {
  // Revision, Sbz1, Control (2), OffsetOwner (4), OffsetGroup, OffsetSacl, OffsetDacl.
  if (sd.size() < 20) {
    return fail(ErrorCode::kInvalidInput, "Security descriptor is shorter than its header",
                {{"length", std::to_string(sd.size())}});
  }
  const uint32_t offset = readLe32(sd, 4);
  if (offset == 0) {
    return fail(ErrorCode::kInvalidInput, "Security descriptor names no owner");
  }
  if (offset >= sd.size()) {
    return fail(ErrorCode::kInvalidInput, "Owner offset lies outside the security descriptor",
                {{"offset", std::to_string(offset)}, {"length", std::to_string(sd.size())}});
  }
  return sidToString(sd.substr(offset));
}

ScopeContent readAdTrustAnchors(const AdLayout& layout, const std::vector<const Entry*>& entries,
                                const AdOwnerPolicy& policy) {
  ScopeContent out;
  const std::string zone = lowerDn(layout.zone());
  std::map<model::DomainName, bool> points;
  std::vector<TrustPointInfo> withdrawn;
  for (const Entry* e : entries) {
    if (lowerDn(parentOf(e->dn)) != zone || !e->hasClass("dnsNode")) {
      continue;
    }
    const auto dc = e->first("dc");
    if (!dc || *dc == "@") {
      continue;  // The zone apex: SOA and NS of the zone itself.
    }
    if (isTrue(*e, "isDeleted")) {
      continue;  // Withdrawn: the anchors it held leave the resolvers.
    }
    // Withdrawn too, but as a Windows DNS server or anchorctl withdraws: on purpose.
    const bool tombstoned = isTrue(*e, "dNSTombstoned");
    if (!policy.trusted_sids.empty()) {
      const auto sd = e->first("nTSecurityDescriptor");
      std::string problem;
      if (!sd) {
        problem = "no security descriptor was readable to check its owner";
      } else if (auto owner = ownerOfSecurityDescriptor(*sd); !owner) {
        problem = "security descriptor: " + owner.error().message;
      } else if (policy.trusted_sids.count(*owner) == 0) {
        problem = "owner " + *owner + " is not one of the accounts trusted to publish anchors";
      }
      if (!problem.empty()) {
        // A tombstoned node holds nothing; from an untrusted owner it confirms nothing either.
        if (!tombstoned) {
          out.quarantined.push_back({e->dn, problem});
        }
        continue;
      }
    }
    auto name = model::DomainName::parse(*dc == "." ? "." : *dc + ".");
    if (!name) {
      if (!tombstoned) {
        out.quarantined.push_back({e->dn, "node name is no domain name: " + name.error().message});
      }
      continue;
    }
    if (tombstoned) {
      // The withdrawal of the whole trust point, confirmed for the agents' mass-removal guard
      // for a while after the time the tombstone value records.
      for (const auto& v : e->all("dnsRecord")) {
        auto value = formats::decodeDnsRecord({v.begin(), v.end()});
        if (value && value->type == formats::kDnsTypeTombstone) {
          if (auto at = formats::tombstoneTime(*value)) {
            TrustPointInfo info;
            info.name = *name;
            info.removal_confirmed_until = *at + kAdWithdrawalConfirmation;
            withdrawn.push_back(std::move(info));
          }
        }
      }
      continue;
    }
    const auto values = e->all("dnsRecord");
    // Publisher signatures ride in TXT values beside the records they sign.
    std::map<std::string, std::string> signatures;  // anchor id -> stored signature
    for (const auto& v : values) {
      auto decoded = formats::decodeDnsRecord({v.begin(), v.end()});
      auto text = decoded ? formats::singleTxt(*decoded) : Result<std::string>(decoded.error());
      if (text && text->starts_with(kAdSignaturePrefix)) {
        const auto rest = text->substr(std::string_view(kAdSignaturePrefix).size());
        const auto space = rest.find(' ');
        if (space != std::string::npos) {
          signatures[rest.substr(0, space)] = rest.substr(space + 1);
        }
      }
    }
    for (size_t i = 0; i < values.size(); ++i) {
      const std::vector<uint8_t> blob(values[i].begin(), values[i].end());
      const std::string where = "dnsRecord value " + std::to_string(i + 1) + ": ";
      auto value = formats::decodeDnsRecord(blob);
      if (!value) {
        out.quarantined.push_back({e->dn, where + value.error().message});
        continue;
      }
      if (value->type != 43 && value->type != 48) {
        continue;
      }
      auto record = formats::anchorFromDnsRecord(*name, *value);
      if (!record) {
        out.quarantined.push_back({e->dn, where + record.error().message});
        continue;
      }
      const auto findings = model::validate(*record);
      if (!model::isUsable(findings)) {
        std::string reason;
        for (const auto& f : findings) {
          if (f.severity == model::Severity::kError) {
            reason += (reason.empty() ? "" : "; ") + f.message;
          }
        }
        out.quarantined.push_back({e->dn, where + reason});
        continue;
      }
      model::TrustAnchor anchor;
      anchor.record = std::move(*record);
      anchor.state = model::KeyState::kValid;
      anchor.origin = model::Origin::kManual;
      if (auto s = signatures.find(anchor.id()); s != signatures.end()) {
        anchor.publisher_signature = s->second;
      }
      out.anchors.push_back(std::move(anchor));
      points[*name] = true;
    }
  }
  for (const auto& [name, unused] : points) {
    TrustPointInfo info;
    info.name = name;
    out.trust_points.push_back(std::move(info));
  }
  for (auto& info : withdrawn) {
    if (points.count(info.name) == 0) {
      out.trust_points.push_back(std::move(info));
    }
  }
  return out;
}

}  // namespace anchorage::directory
