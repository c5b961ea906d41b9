// SPDX-License-Identifier: Apache-2.0
//
// MS-DNSP 2.3.2.2 dnsRecord encoding and decoding, and the conversion of DS and DNSKEY values to
// and from anchor records. The header layout, by octet offset:
//   0 DataLength (LE u16)   2 Type (LE u16)   4 Version (u8, 5)   5 Rank (u8)   6 Flags (LE u16)
//   8 Serial (LE u32)   12 TtlSeconds (BIG-endian u32)   16 Reserved (u32)   20 TimeStamp (LE u32)
// and the record data follows at 24. The DS and DNSKEY data keep the network byte order of
// RFC 4034 RDATA, which is also how Samba stores them (as an opaque blob).

#include "formats/dnsrecord.h"

#include <string>

namespace anchorage::formats {
namespace {

uint16_t readLe16(const std::vector<uint8_t>& b, size_t at) {
  return static_cast<uint16_t>(b[at] | b[at + 1] << 8);
}

uint32_t readLe32(const std::vector<uint8_t>& b, size_t at) {
  return static_cast<uint32_t>(b[at]) | static_cast<uint32_t>(b[at + 1]) << 8 |
         static_cast<uint32_t>(b[at + 2]) << 16 | static_cast<uint32_t>(b[at + 3]) << 24;
}

uint32_t readBe32(const std::vector<uint8_t>& b, size_t at) {
  return static_cast<uint32_t>(b[at]) << 24 | static_cast<uint32_t>(b[at + 1]) << 16 |
         static_cast<uint32_t>(b[at + 2]) << 8 | static_cast<uint32_t>(b[at + 3]);
}

void appendLe16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v & 0xff));
  b.push_back(static_cast<uint8_t>(v >> 8));
}

void appendLe32(std::vector<uint8_t>& b, uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) {
    b.push_back(static_cast<uint8_t>(v >> shift));
  }
}

void appendBe32(std::vector<uint8_t>& b, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    b.push_back(static_cast<uint8_t>(v >> shift));
  }
}

}  // namespace

Result<DnsRecordValue> decodeDnsRecord(const std::vector<uint8_t>& blob) {
  if (blob.size() < kDnsRecordHeaderSize) {
    return fail(ErrorCode::kInvalidInput, "dnsRecord is shorter than its 24-octet header",
                {{"length", std::to_string(blob.size())}});
  }
  const uint16_t data_length = readLe16(blob, 0);
  if (data_length != blob.size() - kDnsRecordHeaderSize) {
    return fail(ErrorCode::kInvalidInput, "dnsRecord DataLength disagrees with its size",
                {{"data_length", std::to_string(data_length)},
                 {"data_octets", std::to_string(blob.size() - kDnsRecordHeaderSize)}});
  }
  DnsRecordValue v;
  v.version = blob[4];
  if (v.version != kDnsRecordVersion) {
    return fail(ErrorCode::kInvalidInput, "dnsRecord version is not 5",
                {{"version", std::to_string(v.version)}});
  }
  v.type = readLe16(blob, 2);
  v.rank = blob[5];
  v.flags = readLe16(blob, 6);
  v.serial = readLe32(blob, 8);
  v.ttl_seconds = readBe32(blob, 12);
  v.timestamp = readLe32(blob, 20);
  v.data.assign(blob.begin() + kDnsRecordHeaderSize, blob.end());
  return v;
}

std::vector<uint8_t> encodeDnsRecord(const DnsRecordValue& value) {
  ANCHORAGE_CHECK(value.data.size() <= 0xFFFF);
  std::vector<uint8_t> b;
  b.reserve(kDnsRecordHeaderSize + value.data.size());
  appendLe16(b, static_cast<uint16_t>(value.data.size()));
  appendLe16(b, value.type);
  b.push_back(value.version);
  b.push_back(value.rank);
  appendLe16(b, value.flags);
  appendLe32(b, value.serial);
  appendBe32(b, value.ttl_seconds);
  appendLe32(b, 0);  // Reserved
  appendLe32(b, value.timestamp);
  b.insert(b.end(), value.data.begin(), value.data.end());
  return b;
}

Result<model::AnchorRecord> anchorFromDnsRecord(const model::DomainName& owner,
                                                const DnsRecordValue& value) {
  const auto ds = static_cast<uint16_t>(model::RecordType::kDs);
  const auto dnskey = static_cast<uint16_t>(model::RecordType::kDnskey);
  if (value.type != ds && value.type != dnskey) {
    return fail(ErrorCode::kUnsupported, "dnsRecord is not a DS or DNSKEY record",
                {{"type", std::to_string(value.type)}, {"owner", owner.text()}});
  }
  const auto type = static_cast<model::RecordType>(value.type);
  auto rdata = model::rdataFromWire(type, value.data);
  if (!rdata) {
    return fail(std::move(rdata.error()).with("owner", owner.text()));
  }
  return model::AnchorRecord{owner, value.ttl_seconds, std::move(*rdata)};
}

DnsRecordValue dnsRecordFromAnchor(const model::AnchorRecord& record, uint32_t serial,
                                   uint8_t rank) {
  DnsRecordValue v;
  v.type = static_cast<uint16_t>(record.type());
  v.version = kDnsRecordVersion;
  v.rank = rank;
  v.flags = 0;
  v.serial = serial;
  v.ttl_seconds = record.ttl;
  v.timestamp = 0;
  v.data = record.rdataWire();
  return v;
}

std::vector<uint8_t> encodeCountName(const model::DomainName& name) {
  const auto& wire = name.wire();
  std::vector<uint8_t> b;
  b.reserve(wire.size() + 2);
  b.push_back(static_cast<uint8_t>(wire.size()));
  b.push_back(static_cast<uint8_t>(name.labelCount()));
  b.insert(b.end(), wire.begin(), wire.end());
  return b;
}

std::vector<uint8_t> encodeSoaData(const SoaData& soa) {
  std::vector<uint8_t> b;
  for (const uint32_t v : {soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum}) {
    appendBe32(b, v);
  }
  const auto primary = encodeCountName(soa.primary);
  const auto admin = encodeCountName(soa.admin);
  b.insert(b.end(), primary.begin(), primary.end());
  b.insert(b.end(), admin.begin(), admin.end());
  return b;
}

Result<uint32_t> soaSerial(const DnsRecordValue& value) {
  if (value.type != kDnsTypeSoa || value.data.size() < 20) {
    return fail(ErrorCode::kInvalidInput, "dnsRecord is not an SOA value",
                {{"type", std::to_string(value.type)}});
  }
  return readBe32(value.data, 0);
}

DnsRecordValue withSoaSerial(DnsRecordValue value, uint32_t serial) {
  ANCHORAGE_CHECK(value.type == kDnsTypeSoa && value.data.size() >= 20);
  for (int i = 0; i < 4; ++i) {
    value.data[i] = static_cast<uint8_t>(serial >> (24 - 8 * i));
  }
  return value;
}

DnsRecordValue txtRecord(const std::string& text, uint32_t serial, uint32_t ttl) {
  ANCHORAGE_CHECK(text.size() <= 255);
  DnsRecordValue v;
  v.type = kDnsTypeTxt;
  v.rank = kDnsRankZone;
  v.serial = serial;
  v.ttl_seconds = ttl;
  v.data.assign(text.size() + 1, static_cast<uint8_t>(text.size()));
  for (size_t i = 0; i < text.size(); ++i) {
    v.data[i + 1] = static_cast<uint8_t>(text[i]);
  }
  return v;
}

Result<std::string> singleTxt(const DnsRecordValue& value) {
  if (value.type != kDnsTypeTxt || value.data.empty() ||
      value.data.size() != size_t{value.data[0]} + 1) {
    return fail(ErrorCode::kInvalidInput, "dnsRecord is not a TXT value of one string",
                {{"type", std::to_string(value.type)}});
  }
  return std::string(value.data.begin() + 1, value.data.end());
}

// 11,644,473,600 seconds lie between 1601-01-01 and 1970-01-01; a FILETIME counts 100 ns.
constexpr uint64_t kFiletimeEpochSeconds = 11644473600ULL;
constexpr uint64_t kFiletimePerSecond = 10000000ULL;

Result<model::Time> tombstoneTime(const DnsRecordValue& value) {
  if (value.type != kDnsTypeTombstone || value.data.size() != 8) {
    return fail(ErrorCode::kInvalidInput, "dnsRecord is not a tombstone value",
                {{"type", std::to_string(value.type)}});
  }
  uint64_t filetime = 0;
  for (int i = 7; i >= 0; --i) {
    filetime = filetime << 8 | value.data[static_cast<size_t>(i)];
  }
  const uint64_t seconds = filetime / kFiletimePerSecond;
  if (seconds < kFiletimeEpochSeconds) {
    return fail(ErrorCode::kInvalidInput, "Tombstone time lies before 1970");
  }
  return model::Time(std::chrono::seconds(static_cast<int64_t>(seconds - kFiletimeEpochSeconds)));
}

DnsRecordValue tombstoneRecord(model::Time deleted) {
  const auto unix_seconds = deleted.time_since_epoch().count();
  const uint64_t filetime =
      (static_cast<uint64_t>(unix_seconds) + kFiletimeEpochSeconds) * kFiletimePerSecond;
  DnsRecordValue v;
  v.type = kDnsTypeTombstone;
  v.rank = 0;
  for (int shift = 0; shift < 64; shift += 8) {
    v.data.push_back(static_cast<uint8_t>(filetime >> shift));
  }
  return v;
}

}  // namespace anchorage::formats
