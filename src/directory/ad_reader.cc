// SPDX-License-Identifier: Apache-2.0
//
// AD TrustAnchors zone reads and DirSync (see ad_reader.h). The control values are BER, encoded
// and decoded with liblber.

#include "directory/ad_reader.h"

#include <lber.h>

#include <memory>
#include <set>

#include "util/encoding.h"

namespace anchorage::directory {
namespace {

struct BerDeleter {
  void operator()(BerElement* ber) const { ber_free(ber, 1); }
};
using BerPtr = std::unique_ptr<BerElement, BerDeleter>;

// The flattened encoding of `ber`, or empty when encoding failed.
std::string flatten(BerElement* ber) {
  berval* bv = nullptr;
  if (ber_flatten(ber, &bv) != 0 || bv == nullptr) {
    return {};
  }
  std::string out(bv->bv_val, bv->bv_len);
  ber_bvfree(bv);
  return out;
}

// The objects DirSync reports for the zone: the zone itself, its nodes, and deleted nodes (in
// CN=Deleted Objects, where the DN keeps the node's name but not its parent).
bool concernsZone(const Entry& e, const std::string& zone_lower) {
  const std::string dn = util::toLower(e.dn);
  if (dn == zone_lower ||
      (dn.size() > zone_lower.size() &&
       dn.compare(dn.size() - zone_lower.size(), zone_lower.size(), zone_lower) == 0 &&
       dn[dn.size() - zone_lower.size() - 1] == ',')) {
    return true;
  }
  // A deleted object: whatever was deleted may have been a node of the zone; the caller reads
  // the zone again, which costs one search.
  return dn.find("cn=deleted objects,") != std::string::npos;
}

}  // namespace

Control sdFlagsControl(uint32_t flags) {
  BerPtr ber(ber_alloc_t(LBER_USE_DER));
  ber_printf(ber.get(), "{i}", static_cast<ber_int_t>(flags));
  return {kSdFlagsOid, flatten(ber.get()), false};
}

Control dirSyncControl(uint32_t flags, uint32_t max_bytes, const std::string& cookie) {
  BerPtr ber(ber_alloc_t(LBER_USE_DER));
  berval bv{cookie.size(), const_cast<char*>(cookie.data())};
  ber_printf(ber.get(), "{iiO}", static_cast<ber_int_t>(flags), static_cast<ber_int_t>(max_bytes),
             &bv);
  return {kDirSyncOid, flatten(ber.get()), true};
}

Result<DirSyncResponse> parseDirSyncResponse(const std::vector<Control>& controls) {
  for (const auto& c : controls) {
    if (c.oid != kDirSyncOid) {
      continue;
    }
    berval value{c.value.size(), const_cast<char*>(c.value.data())};
    BerPtr ber(ber_init(&value));
    if (!ber) {
      return fail(ErrorCode::kInvalidInput, "DirSync response control cannot be read");
    }
    ber_int_t more = 0;
    ber_int_t unused = 0;
    berval cookie{0, nullptr};
    if (ber_scanf(ber.get(), "{iio}", &more, &unused, &cookie) == LBER_ERROR) {
      return fail(ErrorCode::kInvalidInput, "DirSync response control is not the BER it should be");
    }
    DirSyncResponse out;
    out.more = more != 0;
    out.cookie.assign(cookie.bv_val != nullptr ? cookie.bv_val : "", cookie.bv_len);
    ber_memfree(cookie.bv_val);
    return out;
  }
  return fail(ErrorCode::kInvalidInput, "Search answer carries no DirSync response control");
}

ScopeContent AdSnapshot::content(const AdLayout& layout) const {
  std::vector<const Entry*> pointers;
  pointers.reserve(entries.size());
  for (const auto& e : entries) {
    pointers.push_back(&e);
  }
  return readAdTrustAnchors(layout, pointers, owners);
}

SyncState toSyncState(const AdSnapshot& snapshot, const std::string& cookie) {
  SyncState state;
  state.cookie = util::encodeBase64({cookie.begin(), cookie.end()});
  for (const auto& e : snapshot.entries) {
    state.entries[util::toLower(e.dn)] = e;
  }
  // The trusted owners ride along as one entry with an empty DN, which no directory entry has.
  Entry owners;
  owners.attributes["sid"].assign(snapshot.owners.trusted_sids.begin(),
                                  snapshot.owners.trusted_sids.end());
  state.entries[""] = std::move(owners);
  return state;
}

std::pair<AdSnapshot, std::string> fromSyncState(const SyncState& state) {
  AdSnapshot snapshot;
  for (const auto& [key, e] : state.entries) {
    if (key.empty()) {
      const auto sids = e.all("sid");
      snapshot.owners.trusted_sids.insert(sids.begin(), sids.end());
    } else {
      snapshot.entries.push_back(e);
    }
  }
  auto cookie = util::decodeBase64(state.cookie);
  return {std::move(snapshot), cookie ? std::string(cookie->begin(), cookie->end()) : ""};
}

Result<AdOwnerPolicy> readDefaultOwnerPolicy(Session& session) {
  auto root = session.read("", {"defaultNamingContext", "rootDomainNamingContext"});
  if (!root) {
    return fail(root.error());
  }
  const auto domain_nc = root->first("defaultNamingContext");
  const auto forest_nc = root->first("rootDomainNamingContext");
  if (!domain_nc || !forest_nc) {
    return fail(ErrorCode::kNotFound,
                "The rootDSE names no AD domain (is this a domain controller?)");
  }
  auto sidOf = [&](const std::string& dn) -> Result<std::string> {
    auto entry = session.read(dn, {"objectSid"});
    if (!entry) {
      return fail(entry.error());
    }
    const auto sid = entry->first("objectSid");
    if (!sid) {
      return fail(ErrorCode::kNotFound, "No objectSid readable", {{"dn", dn}});
    }
    return sidToString(*sid);
  };
  auto domain_sid = sidOf(*domain_nc);
  if (!domain_sid) {
    return fail(domain_sid.error());
  }
  auto forest_sid = *forest_nc == *domain_nc ? domain_sid : sidOf(*forest_nc);
  if (!forest_sid) {
    return fail(forest_sid.error());
  }
  AdOwnerPolicy policy{defaultTrustedSids(*domain_sid, *forest_sid)};
  // DnsAdmins is created with the DNS server role and has no well-known RID.
  auto groups = session.search(*domain_nc, Scope::kSubtree,
                               "(&(objectClass=group)(sAMAccountName=DnsAdmins))", {"objectSid"});
  if (groups) {
    for (const auto& g : *groups) {
      if (auto raw = g.first("objectSid")) {
        if (auto sid = sidToString(*raw)) {
          policy.trusted_sids.insert(*sid);
        }
      }
    }
  }
  return policy;
}

Result<ScopeContent> AdScopeReader::readAll() {
  auto snapshot = readSnapshot();
  if (!snapshot) {
    return fail(snapshot.error());
  }
  return snapshot->content(layout_);
}

Result<AdSnapshot> AdScopeReader::readSnapshot() {
  auto found = session_.searchWithControls(
      layout_.zone(), Scope::kOneLevel, "(objectClass=dnsNode)",
      {"dc", "objectClass", "dnsRecord", "dNSTombstoned", "isDeleted", "nTSecurityDescriptor"},
      {sdFlagsControl(kSdOwner)});
  if (!found) {
    if (found.error().code == ErrorCode::kNotFound) {
      return AdSnapshot{{}, policy_};
    }
    return fail(found.error());
  }
  std::vector<const Entry*> entries;
  for (const auto& e : found->entries) {
    entries.push_back(&e);
  }
  AdSnapshot out;
  out.owners = effectivePolicy(entries);
  out.entries = std::move(found->entries);
  return out;
}

AdOwnerPolicy AdScopeReader::effectivePolicy(const std::vector<const Entry*>& entries) {
  AdOwnerPolicy out = policy_;
  if (policy_.trusted_sids.empty()) {
    return out;
  }
  std::set<std::string> owners;
  for (const Entry* e : entries) {
    if (auto sd = e->first("nTSecurityDescriptor")) {
      if (auto owner = ownerOfSecurityDescriptor(*sd)) {
        owners.insert(*owner);
      }
    }
  }
  for (const auto& owner : owners) {
    if (policy_.trusted_sids.count(owner) > 0) {
      continue;
    }
    // tokenGroups: every group the owner belongs to, nested ones included (MS-ADTS 3.1.1.4.5.19);
    // a constructed attribute, read with a base search on the owner's object.
    auto account =
        session_.search("<SID=" + owner + ">", Scope::kBase, "(objectClass=*)", {"tokenGroups"});
    if (!account || account->empty()) {
      continue;  // Unknown owner or not readable: it stays untrusted.
    }
    for (const auto& group : account->front().all("tokenGroups")) {
      auto sid = sidToString(group);
      if (sid && policy_.trusted_sids.count(*sid) > 0) {
        out.trusted_sids.insert(owner);
        break;
      }
    }
  }
  return out;
}

Result<AdChanges> AdScopeReader::changes(const std::string& cookie) {
  AdChanges out;
  out.cookie = cookie;
  const std::string zone = util::toLower(layout_.zone());
  // Bounded: a partition reports its objects in pages; a few hundred rounds cover any zone.
  for (int round = 0; round < 1000; ++round) {
    auto found = session_.searchWithControls(
        // DirSync reports an object when one of the listed attributes changed.
        layout_.partition(), Scope::kSubtree, "(objectClass=*)",
        {"objectGUID", "dc", "dnsRecord", "dNSTombstoned", "isDeleted"},
        {dirSyncControl(kDirSyncObjectSecurity, 1 << 20, out.cookie)});
    if (!found) {
      return fail(found.error());
    }
    auto response = parseDirSyncResponse(found->controls);
    if (!response) {
      return fail(response.error());
    }
    out.cookie = response->cookie;
    out.entries += found->entries.size();
    for (const auto& e : found->entries) {
      out.zone_changed = out.zone_changed || concernsZone(e, zone);
    }
    if (!response->more) {
      break;
    }
  }
  return out;
}

}  // namespace anchorage::directory
