// SPDX-License-Identifier: Apache-2.0
//
// Smoke test of the Samba AD harness, with the pieces the Active Directory support builds on:
// simple binds over ldaps and StartTLS as the Administrator and as a plain domain user, the
// TrustAnchors zone in the forest DNS partition, a DS dnsRecord (MS-DNSP 2.3.2.2) written on DC1
// and read back byte-identical on DC2 after DRS replication, node owners read from
// nTSecurityDescriptor with the SD flags control, and SOA values written by Samba itself round
// tripping through formats/dnsrecord.

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "directory/ad_mapping.h"
#include "directory/ad_reader.h"
#include "directory/ad_writer.h"
#include "directory/session.h"
#include "formats/dnsrecord.h"
#include "model/anchor.h"
#include "model/name.h"
#include "samba_env.h"
#include "util/encoding.h"

namespace anchorage::directory {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::SambaEnvironment;

// Notes measured 0.3-1 s from DC1 to DC2 with notify_interval 1, and up to ~11 s for the first
// change after a start (connection and Kerberos set-up); a deadline well above both.
constexpr milliseconds kReplicationDeadline{30000};

// LDAP_SERVER_SD_FLAGS_OID (MS-ADTS 3.1.1.3.4.1.11) asking for the owner only:
// SEQUENCE { INTEGER OWNER_SECURITY_INFORMATION (1) }.
const Control kSdFlagsOwner{"1.2.840.113556.1.4.801", std::string("\x30\x03\x02\x01\x01", 5), true};

constexpr uint16_t kTypeSoa = 6;

SambaEnvironment& samba() {
  return *SambaEnvironment::instance();
}

std::string text(const std::vector<uint8_t>& bytes) {
  return {bytes.begin(), bytes.end()};
}

std::vector<uint8_t> bytes(const std::string& value) {
  return {value.begin(), value.end()};
}

std::unique_ptr<Session> open(const SessionSettings& s) {
  auto session = Session::open(s);
  EXPECT_TRUE(session) << session.error().toString();
  return session ? std::move(*session) : nullptr;
}

AdLayout forestLayout() {
  return AdLayout(samba().var("FOREST_DNS_ZONES_DN"));
}

// Creates the TrustAnchors zone with its apex SOA and NS unless it exists, as anchorctl does.
// Returns whether it created the zone.
Result<bool> ensureTrustAnchorsZone(Session& session) {
  return AdScopeWriter(session, forestLayout()).ensureZone();
}

// A DS record at `owner` with the root KSK-2017's DS RDATA (RFC 4034 §5.1).
model::AnchorRecord dsRecord(const std::string& owner) {
  model::AnchorRecord r;
  r.owner = model::DomainName::parse(owner).value();
  r.ttl = 3600;
  r.rdata = model::DsRdata{
      20326, 8, 2,
      util::decodeHex("E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D").value()};
  return r;
}

// A dnsNode below the TrustAnchors zone holding `values`, as Windows and ldapmodify write them.
Entry dnsNode(const std::string& dn, const std::vector<std::vector<uint8_t>>& values) {
  Entry node;
  node.dn = dn;
  node.attributes["objectClass"] = {"top", "dnsNode"};
  node.attributes["dNSTombstoned"] = {"FALSE"};
  for (const auto& v : values) {
    node.attributes["dnsRecord"].push_back(text(v));
  }
  return node;
}

// The owner SID of `dn`'s nTSecurityDescriptor, asked for with the SD flags control.
Result<std::string> ownerOf(Session& session, const std::string& dn) {
  auto found = session.searchWithControls(dn, Scope::kBase, "(objectClass=*)",
                                          {"nTSecurityDescriptor"}, {kSdFlagsOwner});
  if (!found) {
    return fail(found.error());
  }
  if (found->entries.empty()) {
    return fail(ErrorCode::kNotFound, "Entry not returned", {{"dn", dn}});
  }
  const auto sd = found->entries.front().first("nTSecurityDescriptor");
  if (!sd) {
    return fail(ErrorCode::kNotFound, "No nTSecurityDescriptor returned", {{"dn", dn}});
  }
  return ownerOfSecurityDescriptor(*sd);
}

TEST(SambaHarnessTest, AdminAndPlainUserBindOverLdapsAndStartTls) {
  for (const char* uri : {"DC1_LDAPS_URI", "DC1_URI", "DC2_LDAPS_URI", "DC2_URI"}) {
    SCOPED_TRACE(samba().var(uri));
    for (const auto& [settings, dn] :
         {std::pair{samba().admin(samba().var(uri)), samba().var("ADMIN_DN")},
          std::pair{samba().user(samba().var(uri)), samba().var("USER_DN")}}) {
      auto session = open(settings);
      ASSERT_NE(session, nullptr) << settings.bind_dn;
      auto self = session->read(dn, {"sAMAccountName"});
      ASSERT_TRUE(self) << self.error().toString();
      EXPECT_TRUE(self->first("sAMAccountName").has_value());
    }
  }

  // A wrong password is refused, not mistaken for an unreachable server.
  auto wrong = samba().user(samba().var("DC1_LDAPS_URI"));
  wrong.password_file = samba().var("ADMIN_PASSWORD_FILE");
  auto refused = Session::open(wrong);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermission) << refused.error().toString();
}

TEST(SambaHarnessTest, DsRecordWrittenOnDc1ReplicatesToDc2ByteIdentical) {
  auto dc1 = open(samba().admin(samba().var("DC1_LDAPS_URI")));
  auto dc2 = open(samba().admin(samba().var("DC2_URI")));
  ASSERT_TRUE(dc1 && dc2);
  auto created = ensureTrustAnchorsZone(*dc1);
  ASSERT_TRUE(created) << created.error().toString();
  auto again = ensureTrustAnchorsZone(*dc1);
  ASSERT_TRUE(again) << again.error().toString();
  EXPECT_FALSE(*again) << "the zone exists now; a second call must leave it alone";

  const auto record = dsRecord("replicated.example.");
  const auto value = formats::dnsRecordFromAnchor(record, 1);
  const auto blob = formats::encodeDnsRecord(value);
  ASSERT_EQ(blob.size(), formats::kDnsRecordHeaderSize + 36);
  const std::string dn = forestLayout().node(record.owner);
  auto added = dc1->add(dnsNode(dn, {blob}));
  ASSERT_TRUE(added) << added.error().toString();
  const auto written = steady_clock::now();

  std::optional<std::string> on_dc2;
  while (steady_clock::now() - written < kReplicationDeadline) {
    auto node = dc2->read(dn, {"dnsRecord"});
    if (node) {
      on_dc2 = node->first("dnsRecord");
      if (on_dc2) {
        break;
      }
    } else {
      ASSERT_EQ(node.error().code, ErrorCode::kNotFound) << node.error().toString();
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  const auto latency = std::chrono::duration_cast<milliseconds>(steady_clock::now() - written);
  ASSERT_TRUE(on_dc2) << "not replicated to DC2 within " << kReplicationDeadline.count() << " ms";
  std::printf("dnsNode written on DC1 readable on DC2 after %lld ms\n",
              static_cast<long long>(latency.count()));
  EXPECT_EQ(bytes(*on_dc2), blob);

  auto on_dc1 = dc1->read(dn, {"dnsRecord"});
  ASSERT_TRUE(on_dc1) << on_dc1.error().toString();
  EXPECT_EQ(on_dc1->all("dnsRecord"), std::vector<std::string>{text(blob)});

  auto decoded = formats::decodeDnsRecord(bytes(*on_dc2));
  ASSERT_TRUE(decoded) << decoded.error().toString();
  EXPECT_EQ(*decoded, value);
  auto anchor = formats::anchorFromDnsRecord(record.owner, *decoded);
  ASSERT_TRUE(anchor) << anchor.error().toString();
  EXPECT_EQ(anchor->rdataWire(), record.rdataWire());
  EXPECT_EQ(anchor->ttl, record.ttl);
}

TEST(SambaHarnessTest, NodeOwnersComeFromTheSecurityDescriptor) {
  auto admin = open(samba().admin(samba().var("DC1_LDAPS_URI")));
  auto user = open(samba().user(samba().var("DC1_URI")));
  ASSERT_TRUE(admin && user);
  auto zone = ensureTrustAnchorsZone(*admin);
  ASSERT_TRUE(zone) << zone.error().toString();

  const auto admin_record = dsRecord("admin-owned.example.");
  const std::string admin_dn = forestLayout().node(admin_record.owner);
  const auto admin_blob = formats::encodeDnsRecord(formats::dnsRecordFromAnchor(admin_record, 1));
  auto added = admin->add(dnsNode(admin_dn, {admin_blob}));
  ASSERT_TRUE(added) << added.error().toString();

  // As in AD-integrated zones, any authenticated user may create a node in the zone...
  const auto user_record = dsRecord("user-owned.example.");
  const std::string user_dn = forestLayout().node(user_record.owner);
  added = user->add(
      dnsNode(user_dn, {formats::encodeDnsRecord(formats::dnsRecordFromAnchor(user_record, 1))}));
  ASSERT_TRUE(added) << added.error().toString();
  // ...but not change a node the Administrator created.
  auto changed = user->modify(admin_dn, {{Modification::Op::kAdd, "dnsRecord", {"x"}}});
  ASSERT_FALSE(changed);
  EXPECT_EQ(changed.error().code, ErrorCode::kPermission) << changed.error().toString();

  // Samba makes the creating account the owner, the Administrator included (RID 500). Windows
  // gives objects created by a member of Domain Admins to that group (RID 512) instead, so an
  // owner policy must accept both where a Samba DC may have written the node.
  auto admin_owner = ownerOf(*admin, admin_dn);
  ASSERT_TRUE(admin_owner) << admin_owner.error().toString();
  EXPECT_EQ(*admin_owner, samba().var("DOMAIN_SID") + "-500") << "the Administrator account";

  auto user_entry = admin->read(samba().var("USER_DN"), {"objectSid"});
  ASSERT_TRUE(user_entry) << user_entry.error().toString();
  auto user_sid = sidToString(user_entry->first("objectSid").value_or(""));
  ASSERT_TRUE(user_sid) << user_sid.error().toString();
  EXPECT_TRUE(user_sid->starts_with(samba().var("DOMAIN_SID") + "-")) << *user_sid;
  // The user reads its own node's owner too (Authenticated Users may read descriptors' owner).
  auto user_owner = ownerOf(*user, user_dn);
  ASSERT_TRUE(user_owner) << user_owner.error().toString();
  EXPECT_EQ(*user_owner, *user_sid);
  std::printf("owners: admin-created node %s, user-created node %s\n", admin_owner->c_str(),
              user_owner->c_str());
}

// True when `done` holds within `limit`, polling every 200 ms.
bool within(milliseconds limit, const std::function<bool()>& done) {
  const auto deadline = steady_clock::now() + limit;
  while (steady_clock::now() < deadline) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(200));
  }
  return done();
}

bool hasAnchorFor(const ScopeContent& c, const std::string& owner) {
  for (const auto& a : c.anchors) {
    if (a.record.owner.text() == owner) {
      return true;
    }
  }
  return false;
}

bool quarantines(const ScopeContent& c, const std::string& dn, const std::string& says) {
  for (const auto& q : c.quarantined) {
    if (util::toLower(q.dn) == util::toLower(dn) && q.reason.find(says) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST(AdReaderTest, ReadsTrustedNodesQuarantinesTheRestAndFollowsChangesOnTheOtherDc) {
  auto admin = open(samba().admin(samba().var("DC1_LDAPS_URI")));
  auto user = open(samba().user(samba().var("DC1_URI")));
  // The reader runs on DC2 with the plain account, as an agent would.
  auto reader_session = open(samba().user(samba().var("DC2_LDAPS_URI")));
  ASSERT_TRUE(admin && user && reader_session);
  ASSERT_TRUE(ensureTrustAnchorsZone(*admin));
  const std::string domain = samba().var("DOMAIN_SID");
  AdScopeReader reader(*reader_session, forestLayout(),
                       AdOwnerPolicy{defaultTrustedSids(domain, domain)});
  auto start = reader.changes("");
  ASSERT_TRUE(start) << start.error().toString();
  EXPECT_FALSE(start->cookie.empty());

  // By the Administrator: a valid DS and a malformed value. By a plain user: a DS.
  const auto good = dsRecord("reader-good.example.");
  const std::string good_dn = forestLayout().node(good.owner);
  ASSERT_TRUE(
      admin->add(dnsNode(good_dn, {formats::encodeDnsRecord(formats::dnsRecordFromAnchor(good, 1)),
                                   std::vector<uint8_t>{0xff, 0xff, 43, 0, 5}})));
  const auto intruder = dsRecord("reader-intruder.example.");
  const std::string intruder_dn = forestLayout().node(intruder.owner);
  ASSERT_TRUE(user->add(
      dnsNode(intruder_dn, {formats::encodeDnsRecord(formats::dnsRecordFromAnchor(intruder, 1))})));

  // DirSync on DC2 reports the zone changed once replication brought the nodes.
  std::string cookie = start->cookie;
  EXPECT_TRUE(within(kReplicationDeadline, [&] {
    auto c = reader.changes(cookie);
    if (!c) {
      return false;
    }
    cookie = c->cookie;
    return c->zone_changed;
  }));
  ScopeContent content;
  ASSERT_TRUE(within(kReplicationDeadline,
                     [&] {
                       auto r = reader.readAll();
                       content = r ? *r : ScopeContent{};
                       return hasAnchorFor(content, "reader-good.example.") &&
                              quarantines(content, intruder_dn, "not one of the accounts");
                     }))
      << content.quarantined.size() << " quarantined, " << content.anchors.size() << " anchors";
  // The Administrator (RID 500) owns the good node and is trusted through Domain Admins.
  EXPECT_TRUE(quarantines(content, good_dn, "dnsRecord value 2"));
  EXPECT_FALSE(hasAnchorFor(content, "reader-intruder.example."));

  // Tombstoned on DC1: withdrawn on DC2, and DirSync says so.
  ASSERT_TRUE(admin->modify(good_dn, {{Modification::Op::kReplace, "dNSTombstoned", {"TRUE"}}}));
  EXPECT_TRUE(within(kReplicationDeadline, [&] {
    auto c = reader.changes(cookie);
    if (!c) {
      return false;
    }
    cookie = c->cookie;
    return c->zone_changed;
  }));
  EXPECT_TRUE(within(kReplicationDeadline, [&] {
    auto r = reader.readAll();
    return r && !hasAnchorFor(*r, "reader-good.example.");
  }));
  // Deleted outright (as Samba's RPC deletes do): also gone.
  ASSERT_TRUE(admin->remove(intruder_dn));
  EXPECT_TRUE(within(kReplicationDeadline, [&] {
    auto r = reader.readAll();
    return r && !quarantines(*r, intruder_dn, "");
  }));
  ASSERT_TRUE(admin->remove(good_dn));
}

TEST(SambaHarnessTest, SoaRecordsWrittenBySambaRoundTripThroughTheCodec) {
  auto session = open(samba().admin(samba().var("DC2_LDAPS_URI")));
  ASSERT_NE(session, nullptr);
  const std::string domain = samba().var("DNS_DOMAIN");
  // The apex nodes of the zones provisioning created: _msdcs in the forest partition, the
  // domain's own zone in the domain partition.
  const std::vector<std::string> apexes = {
      "DC=@,DC=_msdcs." + domain + ",CN=MicrosoftDNS," + samba().var("FOREST_DNS_ZONES_DN"),
      "DC=@,DC=" + domain + ",CN=MicrosoftDNS," + samba().var("DOMAIN_DNS_ZONES_DN")};
  for (const auto& dn : apexes) {
    SCOPED_TRACE(dn);
    auto apex = session->read(dn, {"dnsRecord"});
    ASSERT_TRUE(apex) << apex.error().toString();
    int soas = 0;
    for (const auto& raw : apex->all("dnsRecord")) {
      auto decoded = formats::decodeDnsRecord(bytes(raw));
      ASSERT_TRUE(decoded) << decoded.error().toString();
      EXPECT_EQ(formats::encodeDnsRecord(*decoded), bytes(raw)) << "type " << decoded->type;
      if (decoded->type == kTypeSoa) {
        ++soas;
        EXPECT_EQ(decoded->version, formats::kDnsRecordVersion);
        EXPECT_EQ(decoded->rank, formats::kDnsRankZone);
        EXPECT_EQ(decoded->ttl_seconds, 3600u);
        // Serial, refresh, retry, expire, minimum (5 x 4 octets) and two names.
        EXPECT_GT(decoded->data.size(), 20u);
        std::printf("SOA of %s: %s\n", dn.c_str(), util::encodeHex(bytes(raw), false).c_str());
      }
    }
    EXPECT_EQ(soas, 1);
  }
}

}  // namespace
}  // namespace anchorage::directory

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new anchorage::testing::SambaEnvironment());
  return RUN_ALL_TESTS();
}
