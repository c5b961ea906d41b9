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

/// DNS_TYPE_ZERO: the type of the single value a tombstoned node holds (MS-DNSP 2.2.2.1.1).
inline constexpr uint16_t kDnsTypeTombstone = 0;
/// DNS_TYPE_TXT.
inline constexpr uint16_t kDnsTypeTxt = 16;
/// DNS_TYPE_SOA and DNS_TYPE_NS.
inline constexpr uint16_t kDnsTypeSoa = 6;
inline constexpr uint16_t kDnsTypeNs = 2;

/// A name as SOA and NS values hold it (DNS_COUNT_NAME, MS-DNSP 2.2.2.2.2): the length of the
/// name's wire form, its label count, then the wire form (root label included).
std::vector<uint8_t> encodeCountName(const model::DomainName& name);

/// The data of an SOA value (MS-DNSP 2.2.2.2.4.3): five big-endian 32-bit integers, then the
/// primary server and the responsible mailbox as counted names.
struct SoaData {
  uint32_t serial = 1;
  uint32_t refresh = 900;
  uint32_t retry = 600;
  uint32_t expire = 86400;
  uint32_t minimum = 3600;
  model::DomainName primary;
  model::DomainName admin;
};
std::vector<uint8_t> encodeSoaData(const SoaData& soa);

/// The serial of an SOA value. Errors (kInvalidInput): not an SOA, or data too short.
Result<uint32_t> soaSerial(const DnsRecordValue& value);
/// The same SOA value with `serial` in place of its own. Precondition: soaSerial() succeeds.
DnsRecordValue withSoaSerial(DnsRecordValue value, uint32_t serial);

/// A TXT value holding `text` as one character-string (at most 255 octets; longer is a bug in
/// the caller), of zone rank.
DnsRecordValue txtRecord(const std::string& text, uint32_t serial, uint32_t ttl);
/// The text of a TXT value made of one character-string. Errors (kInvalidInput): another type,
/// or data that is not exactly one character-string.
Result<std::string> singleTxt(const DnsRecordValue& value);

/// The value a node keeps once its last record is deleted (dNSTombstoned TRUE): type 0 whose data
/// is the deletion time as a FILETIME (100 ns intervals since 1601-01-01 UTC, little-endian).
DnsRecordValue tombstoneRecord(model::Time deleted);
/// The deletion time of a tombstone value, to the second. Errors (kInvalidInput): another type,
/// or data that is not the 8-octet FILETIME.
Result<model::Time> tombstoneTime(const DnsRecordValue& value);

}  // namespace anchorage::formats
