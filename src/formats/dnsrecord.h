// SPDX-License-Identifier: Apache-2.0
//
// The Active Directory dnsRecord attribute value (MS-DNSP 2.3.2.2), so that DS and DNSKEY anchors
// can be exchanged with a Windows or Samba AD DNS zone stored in the directory. A value is a
// 24-octet header (integers little-endian except TtlSeconds, which is big-endian) followed by the
// record data; DS and DNSKEY data (MS-DNSP 2.2.2.2.4.12 and 2.2.2.2.4.15) are laid out as the
// RFC 4034 §5.1 and §2.1 wire-form RDATA.

#pragma once

#include <cstdint>
#include <vector>

#include "model/anchor.h"
#include "model/name.h"
#include "util/result.h"

namespace anchorage::formats {

/// Size of the fixed dnsRecord header before the record data.
inline constexpr size_t kDnsRecordHeaderSize = 24;

/// The only dnsRecord version MS-DNSP 2.3.2.2 defines.
inline constexpr uint8_t kDnsRecordVersion = 5;

/// DNS_RANK_ZONE: the record is authoritative zone data (MS-DNSP 2.2.2.2.5 ranks).
inline constexpr uint8_t kDnsRankZone = 0xF0;

/// One decoded dnsRecord value. DataLength and Reserved are implied (data.size(), zero).
struct DnsRecordValue {
  uint16_t type = 0;                    ///< DNS RR type, e.g. 43 (DS) or 48 (DNSKEY).
  uint8_t version = kDnsRecordVersion;  ///< Always 5.
  uint8_t rank = 0;                     ///< Low byte of the record's rank.
  uint16_t flags = 0;                   ///< Zero in every record MS-DNSP defines.
  uint32_t serial = 0;                  ///< SOA serial of the zone when the record was written.
  uint32_t ttl_seconds = 0;             ///< TTL (stored big-endian).
  uint32_t timestamp = 0;               ///< Hours since 1601-01-01 UTC; 0 for a static record.
  std::vector<uint8_t> data;            ///< Record data in RDATA layout.

  bool operator==(const DnsRecordValue&) const = default;
};

/// Decodes a dnsRecord attribute value. Errors (kInvalidInput): shorter than the 24-octet header,
/// DataLength disagreeing with the octets that follow the header, or a Version other than 5.
Result<DnsRecordValue> decodeDnsRecord(const std::vector<uint8_t>& blob);

/// Encodes a dnsRecord attribute value. Precondition: `value.data` is at most 65535 octets (the
/// DataLength field is 16 bits, as is every DNS RDLENGTH); a longer one is a bug in the caller.
std::vector<uint8_t> encodeDnsRecord(const DnsRecordValue& value);

/// Builds the anchor record a DS (43) or DNSKEY (48) dnsRecord holds, owned by `owner` (the dnsNode
/// the value belongs to) with the value's TTL. Errors: another type (kUnsupported), or data
/// shorter than the 4 fixed RDATA octets (kInvalidInput). The record is not validated here.
Result<model::AnchorRecord> anchorFromDnsRecord(const model::DomainName& owner,
                                                const DnsRecordValue& value);

/// Builds the dnsRecord value of `record` for a zone at SOA serial `serial`: a static record
/// (timestamp 0) of rank `rank` with the record's TTL and RDATA.
DnsRecordValue dnsRecordFromAnchor(const model::AnchorRecord& record, uint32_t serial,
                                   uint8_t rank = kDnsRankZone);

}  // namespace anchorage::formats
