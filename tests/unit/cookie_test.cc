// SPDX-License-Identifier: Apache-2.0
//
// Sync cookie merging: the highest CSN per provider survives, so a resume after changes on two
// providers names both.

#include "directory/cookie.h"

#include <gtest/gtest.h>

namespace anchorage::directory {
namespace {

constexpr const char* kCsn1a = "20261203170000.000001Z#000000#001#000000";
constexpr const char* kCsn1b = "20261203170005.000001Z#000000#001#000000";
constexpr const char* kCsn2a = "20261203170003.000001Z#000000#002#000000";

TEST(CookieVectorTest, ReadsServerIdFromCsn) {
  EXPECT_EQ(csnServerId(kCsn1a), 1);
  EXPECT_EQ(csnServerId("20261203170000.000001Z#000000#00a#000000"), 10);
  EXPECT_FALSE(csnServerId("garbage"));
  EXPECT_FALSE(csnServerId("20261203170000.000001Z#000000#zz#000000"));
}

TEST(CookieVectorTest, KeepsHighestCsnPerServer) {
  CookieVector v;
  EXPECT_TRUE(v.merge(std::string("rid=000,sid=001,csn=") + kCsn1b));
  EXPECT_FALSE(v.merge(std::string("rid=000,sid=001,csn=") + kCsn1a));
  EXPECT_TRUE(v.merge(std::string("rid=000,sid=002,csn=") + kCsn2a));
  EXPECT_EQ(v.toCookie(), std::string("rid=000,csn=") + kCsn1b + ";" + kCsn2a);
}

TEST(CookieVectorTest, ParsesMultiValuedCookie) {
  const auto v = CookieVector::parse(std::string("rid=000,csn=") + kCsn2a + ";" + kCsn1a);
  ASSERT_EQ(v.csns().size(), 2u);
  EXPECT_EQ(v.csns().at(1), kCsn1a);
  EXPECT_EQ(v.csns().at(2), kCsn2a);
}

TEST(CookieVectorTest, FindsCsnsStampedAfterALimit) {
  const auto v = CookieVector::parse(std::string("rid=000,csn=") + kCsn1a + ";" + kCsn2a);
  EXPECT_FALSE(v.hasCsnAfter("20261203170003"));
  EXPECT_TRUE(v.hasCsnAfter("20261203170002"));
  EXPECT_FALSE(CookieVector().hasCsnAfter("19700101000000"));
}

TEST(CookieVectorTest, EmptyAndBrokenCookiesGiveFreshSync) {
  EXPECT_TRUE(CookieVector::parse("").empty());
  EXPECT_TRUE(CookieVector::parse("rid=000").empty());
  EXPECT_TRUE(CookieVector::parse("rid=000,csn=nonsense;#;;").empty());
  EXPECT_EQ(CookieVector::parse("").toCookie(), "");
}

}  // namespace
}  // namespace anchorage::directory
