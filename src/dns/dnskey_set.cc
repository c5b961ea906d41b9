// SPDX-License-Identifier: Apache-2.0
//
// DNSKEY RRset checks with ldns: each RRSIG over the set is verified with the key it names
// (RFC 4034 §3.1.6 key tag and algorithm), at a given time, so the caller learns exactly which
// keys sign the set.

#include "dns/dnskey_set.h"

#include <algorithm>
#include <memory>

#include <ldns/ldns.h>

namespace anchorage::dns {
namespace {

struct RrDeleter {
  void operator()(ldns_rr* rr) const { ldns_rr_free(rr); }
};
using RrPtr = std::unique_ptr<ldns_rr, RrDeleter>;
struct RrListDeleter {
  void operator()(ldns_rr_list* list) const { ldns_rr_list_deep_free(list); }
};
using RrListPtr = std::unique_ptr<ldns_rr_list, RrListDeleter>;

Result<RrPtr> toLdns(const ResourceRecord& r) {
  const std::string text =
      r.owner + " " + std::to_string(r.ttl) + " IN " + typeName(r.type) + " " + r.rdata_text;
  ldns_rr* rr = nullptr;
  if (ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr) != LDNS_STATUS_OK) {
    return fail(ErrorCode::kInvalidInput, "Record cannot be decoded", {{"record", text}});
  }
  return RrPtr(rr);
}

// DNSKEY RDATA in wire form (RFC 4034 §2.1): flags, protocol, algorithm, public key.
Result<model::DnskeyRdata> dnskeyFromWire(const std::vector<uint8_t>& wire) {
  if (wire.size() < 5) {
    return fail(ErrorCode::kInvalidInput, "DNSKEY record is too short",
                {{"length", std::to_string(wire.size())}});
  }
  model::DnskeyRdata key;
  key.flags = static_cast<uint16_t>(wire[0] << 8 | wire[1]);
  key.protocol = wire[2];
  key.algorithm = wire[3];
  key.public_key.assign(wire.begin() + 4, wire.end());
  return key;
}

model::Time timeOf(const ldns_rdf* rdf) {
  return model::Time(std::chrono::seconds(rdf != nullptr ? ldns_rdf2native_time_t(rdf) : 0));
}

SignatureCheck checkOne(const ldns_rr* rrsig, const ldns_rr_list* rrset,
                        const std::vector<RrPtr>& key_rrs,
                        const std::vector<model::DnskeyRdata>& keys, model::Time at) {
  SignatureCheck check;
  check.key_tag = ldns_rdf2native_int16(ldns_rr_rrsig_keytag(rrsig));
  check.algorithm = ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(rrsig));
  check.inception = timeOf(ldns_rr_rrsig_inception(rrsig));
  check.expiration = timeOf(ldns_rr_rrsig_expiration(rrsig));
  if (const ldns_rdf* ttl = ldns_rr_rrsig_origttl(rrsig)) {
    check.original_ttl = ldns_rdf2native_int32(ttl);
  }
  check.reason = "no key of the set has its key tag and algorithm";
  const time_t when = std::chrono::system_clock::to_time_t(at);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].keyTag() != check.key_tag || keys[i].algorithm != check.algorithm) {
      continue;
    }
    // ldns may reorder the set it is given; each attempt gets its own copy.
    RrListPtr copy(ldns_rr_list_clone(rrset));
    RrPtr sig(ldns_rr_clone(rrsig));
    const ldns_status s = ldns_verify_rrsig_time(copy.get(), sig.get(), key_rrs[i].get(), when);
    if (s == LDNS_STATUS_OK) {
      check.valid = true;
      check.signer = static_cast<int>(i);
      check.reason.clear();
      return check;
    }
    check.reason = ldns_get_errorstr_by_id(s);
  }
  return check;
}

}  // namespace

bool DnskeySet::signsTheSet(const model::DnskeyRdata& key) const {
  // By the key that verified, not by key tag: two keys of a set may share a tag.
  return std::any_of(signatures.begin(), signatures.end(), [&](const SignatureCheck& s) {
    return s.valid && s.signer >= 0 && keys[static_cast<size_t>(s.signer)] == key;
  });
}

std::vector<model::DnskeyRdata> DnskeySet::secureEntryPoints() const {
  std::vector<model::DnskeyRdata> out;
  for (const auto& k : keys) {
    if (k.isZoneKey() && k.isSep() && !k.isRevoked() && signsTheSet(k)) {
      out.push_back(k);
    }
  }
  return out;
}

Result<DnskeySet> checkDnskeySet(const model::DomainName& zone,
                                 const std::vector<ResourceRecord>& records, model::Time at) {
  DnskeySet set;
  set.zone = zone;
  RrListPtr rrset(ldns_rr_list_new());
  std::vector<RrPtr> key_rrs;
  std::vector<RrPtr> rrsigs;
  for (const auto& r : records) {
    auto owner = model::DomainName::parse(r.owner);
    if (!owner || !(*owner == zone)) {
      continue;
    }
    if (r.type == kTypeDnskey) {
      auto key = dnskeyFromWire(r.rdata);
      auto rr = key ? toLdns(r) : Result<RrPtr>(key.error());
      if (!rr) {
        return fail(rr.error());
      }
      set.ttl = set.keys.empty() ? r.ttl : std::min(set.ttl, r.ttl);
      set.keys.push_back(*key);
      ldns_rr_list_push_rr(rrset.get(), ldns_rr_clone(rr->get()));
      key_rrs.push_back(std::move(*rr));
    } else if (r.type == kTypeRrsig && r.rdata.size() >= 2 &&
               (r.rdata[0] << 8 | r.rdata[1]) == kTypeDnskey) {
      auto rr = toLdns(r);
      if (!rr) {
        return fail(rr.error());
      }
      rrsigs.push_back(std::move(*rr));
    }
  }
  if (set.keys.empty()) {
    return fail(ErrorCode::kNotFound, "The answer holds no DNSKEY record of the zone",
                {{"zone", zone.text()}});
  }
  for (const auto& sig : rrsigs) {
    set.signatures.push_back(checkOne(sig.get(), rrset.get(), key_rrs, set.keys, at));
  }
  return set;
}

Result<DnskeySet> fetchDnskeySet(const model::DomainName& zone, const QueryOptions& options,
                                 model::Time at) {
  auto response = query(zone.text(), kTypeDnskey, options);
  if (!response) {
    return fail(std::move(response.error()).with("zone", zone.text()));
  }
  if (response->rcode != Rcode::kNoError) {
    return fail(ErrorCode::kUnavailable, "DNSKEY query was not answered",
                {{"zone", zone.text()},
                 {"server", options.address + "#" + std::to_string(options.port)},
                 {"response", response->summary()}});
  }
  auto set = checkDnskeySet(zone, response->answer, at);
  if (!set) {
    return fail(std::move(set.error())
                    .with("server", options.address + "#" + std::to_string(options.port)));
  }
  return set;
}

}  // namespace anchorage::dns
