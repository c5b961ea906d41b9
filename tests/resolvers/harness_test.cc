// SPDX-License-Identifier: Apache-2.0
//
// Tests of the harness itself: the zones are signed and served, the DS the tests use matches
// ldns-key2ds, and every resolver starts fenced (names outside the test zones go nowhere), answers
// for the test zones without validating while it has no anchor, and stops by PID.

#include <signal.h>

#include <gtest/gtest.h>

#include "resolvers/fixture.h"
#include "util/encoding.h"

namespace anchorage::resolvertest {
namespace {

using std::chrono::milliseconds;

bool hasType(const dns::Response& r, uint16_t type) {
  for (const auto& rr : r.answer) {
    if (rr.type == type) {
      return true;
    }
  }
  return false;
}

TEST(TestNetworkTest, ZonesAreSignedAndServedByNsd) {
  const TestNetwork* net = NetworkEnvironment::network();
  ASSERT_NE(net, nullptr) << NetworkEnvironment::error();
  EXPECT_TRUE(net->nsdRunning());
  dns::QueryOptions q;
  q.address = kNsdAddress;
  q.port = net->nsdPort();
  for (const auto* zone : {&net->corp(), &net->rsa()}) {
    auto r = dns::query(zone->probe, dns::kTypeA, q);
    ASSERT_TRUE(r) << r.error().toString();
    EXPECT_EQ(r->rcode, dns::Rcode::kNoError);
    EXPECT_TRUE(hasType(*r, dns::kTypeA));
    EXPECT_TRUE(hasType(*r, dns::kTypeRrsig)) << zone->probe;
    auto keys = dns::query(zone->name.text(), dns::kTypeDnskey, q);
    ASSERT_TRUE(keys);
    EXPECT_TRUE(hasType(*keys, dns::kTypeDnskey));
  }
  EXPECT_EQ(net->corp().ds.record.algorithm(), 13);
  EXPECT_EQ(net->rsa().ds.record.algorithm(), 8);
}

TEST(TestNetworkTest, DsOfTheTestsMatchesLdnsKey2ds) {
  const TestNetwork* net = NetworkEnvironment::network();
  ASSERT_NE(net, nullptr) << NetworkEnvironment::error();
  for (const auto* zone : {&net->corp(), &net->rsa()}) {
    const auto fields = util::splitFields(zone->ds_line);
    ASSERT_EQ(fields.size(), 8u) << zone->ds_line;
    EXPECT_EQ(util::toLower(fields[7]),
              util::toLower(util::encodeHex(zone->ds.record.ds().digest)));
    EXPECT_EQ(fields[4], std::to_string(zone->ds.record.keyTag()));
    EXPECT_NE(zone->wrong_ds.record.ds().digest, zone->ds.record.ds().digest);
  }
}

template <typename Server>
class ResolverHarnessTest : public ResolverFixture<Server> {};
TYPED_TEST_SUITE(ResolverHarnessTest, ResolverTypes, ResolverNames);

TYPED_TEST(ResolverHarnessTest, AnswersTestZonesWithoutValidatingWhileItHasNoAnchor) {
  for (const auto* zone : {&this->network().corp(), &this->network().rsa()}) {
    auto r = this->server_.query(zone->probe);
    ASSERT_TRUE(r) << r.error().toString() << "\n" << this->server_.log();
    EXPECT_EQ(r->rcode, dns::Rcode::kNoError) << r->summary();
    EXPECT_FALSE(r->authentic_data) << r->summary();
    EXPECT_TRUE(hasType(*r, dns::kTypeA));
  }
}

TYPED_TEST(ResolverHarnessTest, NamesOutsideTheTestZonesGoNowhere) {
  // Forwarded to the dead port from a loopback source: no answer, or a failure, never data.
  auto r = this->server_.query("www.example.com.", dns::kTypeA, milliseconds(700));
  if (r) {
    EXPECT_NE(r->rcode, dns::Rcode::kNoError) << r->summary();
    EXPECT_TRUE(r->answer.empty());
  } else {
    EXPECT_EQ(r.error().code, ErrorCode::kTimeout) << r.error().toString();
  }
  EXPECT_TRUE(this->server_.running());
}

TYPED_TEST(ResolverHarnessTest, StopsByPid) {
  const pid_t pid = this->server_.pid();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(::kill(pid, 0), 0);
  const auto status = this->server_.stop();
  EXPECT_FALSE(this->server_.running());
  EXPECT_NE(::kill(pid, 0), 0);
  EXPECT_NE(status.signal, SIGKILL) << "needed SIGKILL: " << this->server_.log();
}

}  // namespace
}  // namespace anchorage::resolvertest
