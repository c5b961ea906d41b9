// SPDX-License-Identifier: Apache-2.0
//
// Publishing trust anchors to an AD DNS partition's TrustAnchors zone the way Windows Server
// keeps them: one dnsNode per trust point, each anchor a DS or DNSKEY dnsRecord value
// (formats/dnsrecord.h), and a publisher's signature, when there is one, in a TXT value beside it
// (ad_mapping.h). Every write bumps the zone's SOA serial, and the values carry the serial they
// were written at, as a Windows DNS server does for a change to an AD-integrated zone. Removing a
// node's last record tombstones the node (dNSTombstoned TRUE and a single tombstone value)
// instead of deleting it, so that the withdrawal replicates to every domain controller like any
// other change.
//
// LIMITATION(L-0802): the rank (DNS_RANK_ZONE), flags (0), TTL (the anchor's, 3600 by default)
// and the zone created when missing (a dnsZone with an apex SOA and NS, no dnsProperty values)
// follow MS-DNSP; they were not compared with what a Windows server writes.

#pragma once

#include <string>
#include <vector>

#include "directory/ad_mapping.h"
#include "directory/operations.h"
#include "directory/session.h"
#include "model/anchor.h"
#include "util/result.h"

namespace anchorage::directory {

/// LDAP_SERVER_SHOW_DELETED_OID (MS-ADTS 3.1.1.3.4.1.14).
inline constexpr const char* kShowDeletedOid = "1.2.840.113556.1.4.417";

/// What removeAnchors() did to the node.
enum class AdRemoval { kValuesDeleted, kTombstoned };

/// Writes one partition's TrustAnchors zone through `session` (an account allowed to create
/// nodes in it: in an AD-integrated zone any authenticated user may, but the agents accept only
/// the nodes of trusted owners, see ad_mapping.h).
class AdScopeWriter {
 public:
  AdScopeWriter(Session& session, AdLayout layout)
      : session_(session), layout_(std::move(layout)) {}

  /// Creates the zone when it does not exist: the dnsZone entry and its apex node "@" with an SOA
  /// and an NS naming the domain controller (the rootDSE's dnsHostName). True when it created
  /// it. Errors: those of the directory.
  Result<bool> ensureZone();

  /// Adds `anchor` to its trust point's node: creates the node, brings a tombstoned node back,
  /// or adds a value to a live one. kUnchanged when the node already holds the same record.
  Result<PublishOutcome> publishAnchor(const model::TrustAnchor& anchor);

  /// The DS and DNSKEY records of `trust_point`'s node, decoded but not validated beyond their
  /// layout (the caller shows or removes them), and whether the node exists and is live.
  /// Errors: kNotFound when there is no node or it is tombstoned; a value that does not decode
  /// (kInvalidInput, with the node's DN).
  Result<std::vector<model::TrustAnchor>> readTrustPoint(const model::DomainName& trust_point);

  /// Deletes the values of `anchors` (records of `trust_point`'s node). When no DS or DNSKEY
  /// value is left and nothing else either, the node is tombstoned. Errors: kNotFound when a
  /// record is not on the node; those of the directory.
  Result<AdRemoval> removeAnchors(const model::DomainName& trust_point,
                                  const std::vector<model::TrustAnchor>& anchors);

  /// Deletes `trust_point`'s node (live or tombstoned). Errors: kNotFound; the directory's.
  Result<void> deleteTrustPoint(const model::DomainName& trust_point);

  /// Whether `trust_point` has a node: none, live, or tombstoned.
  enum class NodeState { kAbsent, kLive, kTombstoned };
  Result<NodeState> nodeState(const model::DomainName& trust_point);

  /// Whether the partition holds a deleted node (in CN=Deleted Objects) of `trust_point`'s name.
  Result<bool> wasDeleted(const model::DomainName& trust_point);

  /// Creates a tombstoned node for `trust_point`, which has none: the record of a withdrawal the
  /// agents' mass-removal guard holds because the node was deleted instead of tombstoned.
  /// Errors: kConflict when a node exists; the directory's.
  Result<void> recordWithdrawal(const model::DomainName& trust_point);

  const AdLayout& layout() const { return layout_; }

 private:
  /// Increments the zone's SOA serial (compare-and-swap on the SOA value) and returns the new
  /// serial; 1 when the zone has no apex SOA.
  Result<uint32_t> nextSerial();

  Session& session_;
  AdLayout layout_;
};

}  // namespace anchorage::directory
