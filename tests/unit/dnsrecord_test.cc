// SPDX-License-Identifier: Apache-2.0
//
// Tests of the MS-DNSP 2.3.2.2 dnsRecord codec: byte layout (little-endian header fields, the
// big-endian TTL), the root KSK-2017 example, round trips, and each malformed blob.

#include "formats/dnsrecord.h"

#include <gtest/gtest.h>

#include "model/anchor.h"
#include "util/encoding.h"

namespace anchorage::formats {
namespace {

// Root KSK-2017 as published in /usr/share/dns/root.key.
constexpr const char* kKsk2017 =
    "257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5"
    "emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHw"
    "VN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOL"
    "YA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=";

model::AnchorRecord ksk2017() {
  return {model::DomainName(), 172800, model::parseDnskeyRdata(kKsk2017).value()};
}

model::AnchorRecord corpDs() {
  return {model::DomainName::parse("corp.example.").value(), 3600,
          model::parseDsRdata(
              "17212 13 2 D34A5F0E1B6C7A8D9E0F1A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F")
              .value()};
}

TEST(DnsRecordTest, RootKsk2017Gives288ByteBlob) {
  const auto blob = encodeDnsRecord(dnsRecordFromAnchor(ksk2017(), 1));
  ASSERT_EQ(blob.size(), 288u);
  EXPECT_EQ(blob[0], 0x08);  // DataLength 0x0108 = 264, little-endian
  EXPECT_EQ(blob[1], 0x01);
  EXPECT_EQ(blob[2], 0x30);  // Type 48 (DNSKEY), little-endian
  EXPECT_EQ(blob[3], 0x00);
  EXPECT_EQ(blob[4], 5);     // Version
  EXPECT_EQ(blob[5], 0xF0);  // DNS_RANK_ZONE
  // TtlSeconds 172800 = 0x0002A300, big-endian.
  EXPECT_EQ(std::vector<uint8_t>(blob.begin() + 12, blob.begin() + 16),
            (std::vector<uint8_t>{0x00, 0x02, 0xA3, 0x00}));
  // The data is the RDATA: flags 257 in network order, protocol 3, algorithm 8.
  EXPECT_EQ(std::vector<uint8_t>(blob.begin() + 24, blob.begin() + 28),
            (std::vector<uint8_t>{0x01, 0x01, 0x03, 0x08}));
}

TEST(DnsRecordTest, HeaderFieldsUseTheirByteOrders) {
  DnsRecordValue v;
  v.type = 0x002B;
  v.rank = 0x08;
  v.flags = 0x0102;
  v.serial = 0x01020304;
  v.ttl_seconds = 0x0A0B0C0D;
  v.timestamp = 0x11223344;
  v.data = {0xAA};
  const auto b = encodeDnsRecord(v);
  ASSERT_EQ(b.size(), 25u);
  const std::vector<uint8_t> header(b.begin(), b.begin() + 24);
  const std::vector<uint8_t> expected = {0x01, 0x00, 0x2B, 0x00, 0x05, 0x08, 0x02, 0x01,
                                         0x04, 0x03, 0x02, 0x01, 0x0A, 0x0B, 0x0C, 0x0D,
                                         0x00, 0x00, 0x00, 0x00, 0x44, 0x33, 0x22, 0x11};
  EXPECT_EQ(header, expected);
}

TEST(DnsRecordTest, EncodeDecodeRoundTrips) {
  DnsRecordValue v = dnsRecordFromAnchor(corpDs(), 0xDEADBEEF, 0x10);
  v.timestamp = 3'600'000;
  const auto decoded = decodeDnsRecord(encodeDnsRecord(v));
  ASSERT_TRUE(decoded) << decoded.error().toString();
  EXPECT_EQ(*decoded, v);
}

TEST(DnsRecordTest, AnchorRoundTripsThroughDnsRecord) {
  for (const auto& record : {ksk2017(), corpDs()}) {
    const auto value = decodeDnsRecord(encodeDnsRecord(dnsRecordFromAnchor(record, 7)));
    ASSERT_TRUE(value);
    const auto back = anchorFromDnsRecord(record.owner, *value);
    ASSERT_TRUE(back) << back.error().toString();
    EXPECT_EQ(*back, record);
    EXPECT_EQ(back->ttl, record.ttl);
    EXPECT_EQ(back->rdataText(), record.rdataText());
  }
}

TEST(DnsRecordTest, RejectsBlobShorterThanHeader) {
  for (size_t n : {0u, 1u, 23u}) {
    const auto r = decodeDnsRecord(std::vector<uint8_t>(n, 0));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "dnsRecord is shorter than its 24-octet header");
    EXPECT_EQ(r.error().field("length"), std::to_string(n));
  }
}

TEST(DnsRecordTest, RejectsDataLengthLargerThanData) {
  auto blob = encodeDnsRecord(dnsRecordFromAnchor(corpDs(), 1));
  blob.pop_back();
  const auto r = decodeDnsRecord(blob);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "dnsRecord DataLength disagrees with its size");
  EXPECT_EQ(r.error().field("data_length"), "36");
  EXPECT_EQ(r.error().field("data_octets"), "35");
}

TEST(DnsRecordTest, RejectsTrailingOctetsAfterData) {
  auto blob = encodeDnsRecord(dnsRecordFromAnchor(corpDs(), 1));
  blob.push_back(0);
  const auto r = decodeDnsRecord(blob);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "dnsRecord DataLength disagrees with its size");
}

TEST(DnsRecordTest, RejectsVersionOtherThanFive) {
  auto blob = encodeDnsRecord(dnsRecordFromAnchor(corpDs(), 1));
  blob[4] = 4;
  const auto r = decodeDnsRecord(blob);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "dnsRecord version is not 5");
  EXPECT_EQ(r.error().field("version"), "4");
}

TEST(DnsRecordTest, RejectsOtherRecordTypesAsUnsupported) {
  DnsRecordValue a;
  a.type = 1;
  a.data = {192, 0, 2, 1};
  const auto r = anchorFromDnsRecord(model::DomainName(), a);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(r.error().message, "dnsRecord is not a DS or DNSKEY record");
  EXPECT_EQ(r.error().field("type"), "1");
}

TEST(DnsRecordTest, RejectsDsDataShorterThanFixedFields) {
  DnsRecordValue v;
  v.type = 43;
  v.data = {0x43, 0x3C, 13};
  const auto r = anchorFromDnsRecord(model::DomainName(), v);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(r.error().field("length"), "3");
}

// The SOA value Samba 4.17 writes at the apex of the zones it provisions for the domain
// corp.example.test (read from DC1 in the Samba harness test), header and data.
constexpr const char* kSambaSoa =
    "4d00060005f000000100000000000e1000000000000000000000000100000384000002580001518000000e1017"
    "040364633104636f7270076578616d706c650474657374001e040a686f73746d617374657204636f727007657861"
    "6d706c65047465737400";

std::vector<uint8_t> hex(const std::string& text) {
  return util::decodeHex(text).value();
}

TEST(DnsRecordTest, SoaDataIsLaidOutAsSambaWritesIt) {
  const auto samba = hex(kSambaSoa);
  auto value = decodeDnsRecord(samba);
  ASSERT_TRUE(value);
  SoaData soa;
  soa.primary = model::DomainName::parse("dc1.corp.example.test.").value();
  soa.admin = model::DomainName::parse("hostmaster.corp.example.test.").value();
  EXPECT_EQ(encodeSoaData(soa), value->data);
  EXPECT_EQ(encodeCountName(soa.primary), hex("17040364633104636f7270076578616d706c650474657374"
                                              "00"));
  EXPECT_EQ(soaSerial(*value).value(), 1u);

  const auto bumped = withSoaSerial(*value, 0x01020304);
  EXPECT_EQ(soaSerial(bumped).value(), 0x01020304u);
  EXPECT_EQ(std::vector<uint8_t>(bumped.data.begin() + 4, bumped.data.end()),
            std::vector<uint8_t>(value->data.begin() + 4, value->data.end()));
  EXPECT_FALSE(soaSerial(dnsRecordFromAnchor(corpDs(), 1)));
}

TEST(DnsRecordTest, TombstonesCarryTheirDeletionTime) {
  const auto at = model::parseTime("2026-12-04T17:00:00Z").value();
  const auto tombstone = tombstoneRecord(at);
  EXPECT_EQ(tombstone.type, kDnsTypeTombstone);
  ASSERT_EQ(tombstone.data.size(), 8u);
  // 2026-12-04T17:00:00Z as a FILETIME: (1796403600 + 11644473600) * 10^7.
  uint64_t filetime = 0;
  for (int i = 7; i >= 0; --i) {
    filetime = filetime << 8 | tombstone.data[static_cast<size_t>(i)];
  }
  EXPECT_EQ(filetime, (1796403600ULL + 11644473600ULL) * 10000000ULL);
  auto decoded = decodeDnsRecord(encodeDnsRecord(tombstone));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(tombstoneTime(*decoded).value(), at);
  auto short_value = tombstone;
  short_value.data.pop_back();
  EXPECT_FALSE(tombstoneTime(short_value));
  EXPECT_FALSE(tombstoneTime(dnsRecordFromAnchor(corpDs(), 1)));
}

}  // namespace
}  // namespace anchorage::formats
