// SPDX-License-Identifier: Apache-2.0
//
// Trust anchors as Windows Server keeps them in Active Directory: the TrustAnchors zone of an AD
// DNS partition (DC=TrustAnchors,CN=MicrosoftDNS,DC=ForestDnsZones,...), one dnsNode per trust
// point, each anchor a DS (43) or DNSKEY (48) dnsRecord value (MS-DNSP 2.3.2.2, see
// formats/dnsrecord.h). This maps such entries to the scope content the agent applies, as
// strictly as mapping.h maps Anchorage entries: AD stores any bytes a writer sends, and in an
// AD-integrated zone any authenticated user may create nodes, so every value is decoded and
// validated and every node's owner is checked; what fails is quarantined with its DN and reason.
// Pure: no connection; the AD scope reader does the I/O.

#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "directory/mapping.h"
#include "directory/session.h"
#include "model/name.h"
#include "util/result.h"

namespace anchorage::directory {

/// The TrustAnchors zone of one AD DNS partition.
class AdLayout {
 public:
  /// `partition`: the partition's DN, e.g. "DC=ForestDnsZones,DC=corp,DC=example,DC=test".
  explicit AdLayout(std::string partition) : partition_(std::move(partition)) {}

  const std::string& partition() const { return partition_; }
  /// DC=TrustAnchors,CN=MicrosoftDNS,<partition>.
  std::string zone() const;
  /// The dnsNode of a trust point: DC=<name without its final dot>,<zone()>, the value escaped
  /// as RFC 4514 asks.
  // LIMITATION(L-0801): the root trust point's node name is assumed to be "." (DC=.).
  std::string node(const model::DomainName& trust_point) const;

 private:
  std::string partition_;
};

/// The accounts and groups whose nodes are accepted, as SID strings ("S-1-5-21-...-512").
struct AdOwnerPolicy {
  std::set<std::string> trusted_sids;
};

/// The well-known SIDs of the default policy for a domain whose SID is `domain_sid` and whose
/// forest root domain's SID is `forest_sid`: Domain Admins (RID 512), Enterprise Admins (519 of
/// the forest root) and Enterprise Domain Controllers (S-1-5-9). DnsAdmins has no fixed RID; the
/// reader adds its SID after looking the group up.
std::set<std::string> defaultTrustedSids(const std::string& domain_sid,
                                         const std::string& forest_sid);

/// The textual form of a binary SID (MS-DTYP 2.4.2.2), e.g. "S-1-5-21-1-2-3-512".
/// Errors (kInvalidInput): shorter than its sub-authority count says, or a revision other than 1.
Result<std::string> sidToString(const std::string& binary);

/// The owner SID of a self-relative security descriptor (MS-DTYP 2.4.6), as nTSecurityDescriptor
/// holds it. Errors (kInvalidInput): truncated, no owner, or an owner offset outside the value.
Result<std::string> ownerOfSecurityDescriptor(const std::string& descriptor);

/// A TXT value of a trust point's node starting with this holds a publisher's signature over one
/// of its anchors: "anchorage-signature <anchor id> <stored signature>"
/// (formats/anchor_signature.h). AD has no other place for it beside the record.
inline constexpr const char* kAdSignaturePrefix = "anchorage-signature ";

/// How long a tombstoned node confirms the withdrawal of its trust point to the agents'
/// mass-removal guard, from the deletion time its tombstone value records: long enough for an
/// agent that was down over a weekend to come back and apply it.
inline constexpr std::chrono::days kAdWithdrawalConfirmation{7};

/// Builds the content of the TrustAnchors zone from `entries` (a search below it with the
/// attributes dc, objectClass, dnsRecord, dNSTombstoned, isDeleted and nTSecurityDescriptor).
/// Trust points come from the dnsNodes directly below the zone, apart from the zone apex "@";
/// a tombstoned (dNSTombstoned TRUE) or deleted node withdraws its anchors; values of other
/// record types are ignored. A tombstoned node of a trusted owner also gives its trust point
/// (without anchors) with removal_confirmed_until set to its tombstone time plus
/// kAdWithdrawalConfirmation: a node is tombstoned when its last record is deleted on purpose,
/// whereas a node that vanishes is held by the guard like any unconfirmed withdrawal. Quarantined,
/// with DN and reason: a node whose owner is not in `policy` (or whose descriptor is missing or
/// unreadable, when the policy is not empty), a node name that is no domain name, and each value
/// that does not decode or fails validation (the other values of the node stay). Every anchor is
/// Valid with origin manual: AD keeps no state.
ScopeContent readAdTrustAnchors(const AdLayout& layout, const std::vector<const Entry*>& entries,
                                const AdOwnerPolicy& policy);

}  // namespace anchorage::directory
