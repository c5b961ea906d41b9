// SPDX-License-Identifier: Apache-2.0
//
// The trust anchor model: DS and DNSKEY records (RFC 4034 §2 and §5), their validation against
// the IANA registries, key tags (RFC 4034 Appendix B), DS computation from a DNSKEY (RFC 4034
// §5.1.4, RFC 4509, RFC 6605), and the metadata Anchorage keeps per anchor (RFC 5011 §4.2 state,
// origin, validity window, state-change and hold-down times).

#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/name.h"
#include "util/result.h"

namespace anchorage::model {

using Time = std::chrono::sys_seconds;

/// DNS RR type numbers of the two anchor types.
enum class RecordType : uint16_t { kDs = 43, kDnskey = 48 };

/// "DS" or "DNSKEY".
std::string_view recordTypeName(RecordType type);

/// DNSKEY flag bits (RFC 4034 §2.1.1, RFC 5011 §3).
inline constexpr uint16_t kFlagZone = 0x0100;
inline constexpr uint16_t kFlagRevoke = 0x0080;
inline constexpr uint16_t kFlagSep = 0x0001;

/// DS RDATA (RFC 4034 §5.1).
struct DsRdata {
  uint16_t key_tag = 0;
  uint8_t algorithm = 0;
  uint8_t digest_type = 0;
  std::vector<uint8_t> digest;

  bool operator==(const DsRdata&) const = default;
};

/// DNSKEY RDATA (RFC 4034 §2.1).
struct DnskeyRdata {
  uint16_t flags = 0;
  uint8_t protocol = 3;
  uint8_t algorithm = 0;
  std::vector<uint8_t> public_key;

  bool isZoneKey() const { return (flags & kFlagZone) != 0; }
  bool isSep() const { return (flags & kFlagSep) != 0; }
  bool isRevoked() const { return (flags & kFlagRevoke) != 0; }

  /// Key tag of the key as it is (RFC 4034 Appendix B; with REVOKE set the tag changes).
  uint16_t keyTag() const;

  bool operator==(const DnskeyRdata&) const = default;
};

/// One DS or DNSKEY record: owner, TTL and RDATA.
struct AnchorRecord {
  DomainName owner;
  uint32_t ttl = 3600;
  std::variant<DsRdata, DnskeyRdata> rdata;

  RecordType type() const;
  bool isDs() const { return std::holds_alternative<DsRdata>(rdata); }
  const DsRdata& ds() const { return std::get<DsRdata>(rdata); }
  const DnskeyRdata& dnskey() const { return std::get<DnskeyRdata>(rdata); }

  /// Key tag: the DS's field, or computed from the DNSKEY.
  uint16_t keyTag() const;
  uint8_t algorithm() const;

  /// RDATA in uncompressed wire form.
  std::vector<uint8_t> rdataWire() const;

  /// RDATA in presentation form: "20326 8 2 E06D..." or "257 3 8 AwEAAa...".
  std::string rdataText() const;

  /// Whole record in zone-file form: "owner TTL IN TYPE rdata".
  std::string toZoneLine() const;

  bool operator==(const AnchorRecord& other) const {
    return owner == other.owner && rdata == other.rdata;
  }
};

/// Builds DS RDATA from the presentation fields "TAG ALG DT HEX" (hex may contain spaces).
Result<DsRdata> parseDsRdata(std::string_view text);

/// Builds DNSKEY RDATA from "FLAGS PROTO ALG BASE64" (base64 may contain spaces).
Result<DnskeyRdata> parseDnskeyRdata(std::string_view text);

/// Decodes wire-form RDATA of the given type (used by the dnsRecord codec and DNS answers).
Result<std::variant<DsRdata, DnskeyRdata>> rdataFromWire(RecordType type,
                                                         const std::vector<uint8_t>& wire);

/// How serious a finding of validate() is.
enum class Severity { kWarning, kError };

/// One finding about a record: a constant-free sentence for people.
struct Finding {
  Severity severity;
  std::string message;
};

/// Checks a record against RFC 4034 and the registries: digest length per digest type, protocol 3,
/// algorithm assigned and usable, zone-key flag set on a DNSKEY anchor; warns on a deprecated
/// algorithm or digest, a missing SEP flag, or a REVOKE bit. Returns every finding, errors first.
std::vector<Finding> validate(const AnchorRecord& record);

/// True when validate() found no error.
bool isUsable(const std::vector<Finding>& findings);

/// Computes the DS of `dnskey` owned by `owner` with digest type 1, 2 or 4.
/// Errors: unsupported digest type (GOST or unassigned).
Result<DsRdata> computeDs(const DomainName& owner, const DnskeyRdata& dnskey, uint8_t digest_type);

/// True when `ds` is the digest of `dnskey` at `owner` (key tag, algorithm and digest agree).
bool dsMatchesDnskey(const DomainName& owner, const DsRdata& ds, const DnskeyRdata& dnskey);

/// RFC 5011 §4.2 trust anchor states.
enum class KeyState { kStart, kAddPend, kValid, kMissing, kRevoked, kRemoved };

/// RFC spelling: "Start", "AddPend", "Valid", "Missing", "Revoked", "Removed".
std::string_view keyStateName(KeyState state);
std::optional<KeyState> parseKeyState(std::string_view text);

/// True for the states that resolvers are given (Valid and Missing).
inline bool isTrusted(KeyState s) {
  return s == KeyState::kValid || s == KeyState::kMissing;
}

/// Where an anchor came from.
enum class Origin { kManual, kImport, kRoot, kRfc5011 };
std::string_view originName(Origin origin);
std::optional<Origin> parseOrigin(std::string_view text);

/// A trust anchor: a record plus the state and times Anchorage tracks for it.
struct TrustAnchor {
  AnchorRecord record;
  KeyState state = KeyState::kValid;
  Origin origin = Origin::kManual;
  std::optional<Time> valid_from;
  std::optional<Time> valid_until;
  std::optional<Time> state_changed;
  std::optional<Time> hold_down_until;
  /// A publisher's signature over the record, as stored ("ed25519 <key id> <base64>");
  /// empty when unsigned (formats/anchor_signature.h).
  std::string publisher_signature;

  /// Stable id derived from the record: "<type>-<tag>-<alg>-<8 hex of SHA-256(rdata)>",
  /// e.g. "ds-20326-8-e06d44b8". Same RDATA, same id; same key tag and other RDATA, other id.
  std::string id() const;
};

/// Formats a time as RFC 3339 UTC ("2026-12-03T17:09:20Z").
std::string formatTime(Time t);

/// Parses RFC 3339 / ISO 8601 UTC ("2017-02-02T00:00:00Z", "+00:00", fraction ignored).
Result<Time> parseTime(std::string_view text);

/// The anchors of one owner name. Adding never replaces another anchor: two root KSKs coexist;
/// the same RDATA twice is one anchor; two keys with the same key tag are two anchors.
class TrustPoint {
 public:
  explicit TrustPoint(DomainName name) : name_(std::move(name)) {}

  const DomainName& name() const { return name_; }
  const std::vector<TrustAnchor>& anchors() const { return anchors_; }

  /// Adds `anchor` (its owner must be this trust point). Returns false, and changes nothing,
  /// when an anchor with the same RDATA is already present.
  bool add(TrustAnchor anchor);

  /// Removes the anchor with `id`; returns whether one was removed.
  bool remove(std::string_view id);

  /// Finds the anchor with `id`, or null.
  const TrustAnchor* find(std::string_view id) const;

 private:
  DomainName name_;
  std::vector<TrustAnchor> anchors_;
};

/// Groups anchors into trust points, ordered by name; duplicates collapse into one anchor.
std::vector<TrustPoint> groupByTrustPoint(const std::vector<TrustAnchor>& anchors);

}  // namespace anchorage::model
