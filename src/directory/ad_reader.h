// SPDX-License-Identifier: Apache-2.0
//
// Reading and watching an AD DNS partition's TrustAnchors zone over LDAP. readAll() reads every
// node of the zone with its owner (the SD flags control asks for the owner part of
// nTSecurityDescriptor only, which a non-admin account may read); changes() runs DirSync on the
// partition head with the object-security flag, so an account without replication rights can
// follow changes, and says whether anything in the zone changed. The caller reads the whole zone
// again when it did, and on a timer, so that deletions are never missed (a deleted node moves to
// CN=Deleted Objects and DirSync reports only its GUID there).

#pragma once

#include <string>
#include <vector>

#include "directory/ad_mapping.h"
#include "directory/session.h"
#include "directory/sync.h"
#include "util/result.h"

namespace anchorage::directory {

/// LDAP_SERVER_DIRSYNC_OID (MS-ADTS 3.1.1.3.4.1.3).
inline constexpr const char* kDirSyncOid = "1.2.840.113556.1.4.841";
/// LDAP_SERVER_SD_FLAGS_OID (MS-ADTS 3.1.1.3.4.1.11).
inline constexpr const char* kSdFlagsOid = "1.2.840.113556.1.4.801";
/// DirSync flag LDAP_DIRSYNC_OBJECT_SECURITY: only objects and attributes the caller may read.
inline constexpr uint32_t kDirSyncObjectSecurity = 0x1;
/// SD flag OWNER_SECURITY_INFORMATION.
inline constexpr uint32_t kSdOwner = 0x1;

/// The SD flags control asking for the parts of nTSecurityDescriptor in `flags`.
Control sdFlagsControl(uint32_t flags);
/// The DirSync request control: `flags`, the most bytes per answer, and the cookie of the last
/// answer (empty for the first).
Control dirSyncControl(uint32_t flags, uint32_t max_bytes, const std::string& cookie);

/// What a DirSync response control says.
struct DirSyncResponse {
  bool more = false;   ///< The server has more changes: ask again at once with `cookie`.
  std::string cookie;  ///< To send with the next request.
};
/// Finds and decodes the DirSync response control among `controls`. Errors (kInvalidInput): no
/// such control, or a value that is not the BER the control defines.
Result<DirSyncResponse> parseDirSyncResponse(const std::vector<Control>& controls);

/// One round of change tracking.
struct AdChanges {
  bool zone_changed = false;  ///< Something below the TrustAnchors zone changed (or was deleted).
  std::string cookie;         ///< To keep (persist) and send next time.
  size_t entries = 0;         ///< Changed objects the partition reported, for logs.
};

/// The raw state of a TrustAnchors zone: its node entries and the owners found trusted when they
/// were read (the policy's SIDs plus the owners that are members of a trusted group), so that
/// the content can be built again from a saved copy without asking the directory.
struct AdSnapshot {
  std::vector<Entry> entries;
  AdOwnerPolicy owners;

  ScopeContent content(const AdLayout& layout) const;
};

/// Saves `snapshot` and the DirSync `cookie` in the sync state file format (sync.h), so that an
/// agent restarting without its directory still has the zone's content.
SyncState toSyncState(const AdSnapshot& snapshot, const std::string& cookie);
/// The snapshot and cookie of a state saved by toSyncState().
std::pair<AdSnapshot, std::string> fromSyncState(const SyncState& state);

/// The default owner policy of the forest `session` is connected to (see defaultTrustedSids()):
/// the SIDs of the default naming context's domain and of the forest root domain, read from the
/// rootDSE and their objectSid, plus the DnsAdmins group of the domain when it exists.
/// Errors: those of the searches; a domain without a readable objectSid (kNotFound).
Result<AdOwnerPolicy> readDefaultOwnerPolicy(Session& session);

/// Reads and watches one partition's TrustAnchors zone through `session`.
class AdScopeReader {
 public:
  AdScopeReader(Session& session, AdLayout layout, AdOwnerPolicy policy)
      : session_(session), layout_(std::move(layout)), policy_(std::move(policy)) {}

  /// Every node of the zone, mapped by readAdTrustAnchors(). A node owner that is not itself in
  /// the policy counts as trusted when it is a member of a trusted group (its tokenGroups, nested
  /// groups included). A zone that does not exist yet gives empty content. Errors: those of the
  /// search.
  Result<ScopeContent> readAll();

  /// The entries readAll() maps, with the effective owner policy. Errors as readAll().
  Result<AdSnapshot> readSnapshot();

  /// The changes in the partition since `cookie` (all objects when it is empty), following
  /// "more" answers to the end. Errors: those of the search; a response without a DirSync
  /// control (kInvalidInput).
  Result<AdChanges> changes(const std::string& cookie);

  const AdLayout& layout() const { return layout_; }

 private:
  AdOwnerPolicy effectivePolicy(const std::vector<const Entry*>& entries);

  Session& session_;
  AdLayout layout_;
  AdOwnerPolicy policy_;
};

}  // namespace anchorage::directory
