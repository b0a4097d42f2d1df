#include "sip/trunk/trunk_address_range.hpp"

#include <gtest/gtest.h>

namespace va::sip {
namespace {

boost::asio::ip::address ip(const char* text) {
  return boost::asio::ip::make_address(text);
}

TEST(AddressRange, SingleIpv4AddressMatchesOnlyItself) {
  auto r = AddressRange::parse("80.75.130.99");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->written_as_host());
  EXPECT_EQ(r->to_string(), "80.75.130.99/32");
  EXPECT_TRUE(r->contains(ip("80.75.130.99")));
  EXPECT_FALSE(r->contains(ip("80.75.130.98")));
  EXPECT_FALSE(r->contains(ip("::1")));
}

TEST(AddressRange, Ipv4CidrMatchesTheBlockAndClearsHostBits) {
  auto r = AddressRange::parse("80.75.130.7/24");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->written_as_host());
  EXPECT_EQ(r->to_string(), "80.75.130.0/24");
  EXPECT_TRUE(r->contains(ip("80.75.130.0")));
  EXPECT_TRUE(r->contains(ip("80.75.130.255")));
  EXPECT_FALSE(r->contains(ip("80.75.131.1")));
  auto odd = AddressRange::parse("10.0.0.0/13");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->contains(ip("10.7.255.255")));
  EXPECT_FALSE(odd->contains(ip("10.8.0.0")));
}

TEST(AddressRange, SlashThirtyTwoIsAFilterNotAHostToProbe) {
  auto r = AddressRange::parse("127.0.0.1/32");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->written_as_host());
  EXPECT_TRUE(r->contains(ip("127.0.0.1")));
  EXPECT_FALSE(r->contains(ip("127.0.0.2")));
}

TEST(AddressRange, ZeroPrefixMatchesEveryAddressOfItsFamily) {
  auto v4 = AddressRange::parse("0.0.0.0/0");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->contains(ip("203.0.113.9")));
  EXPECT_FALSE(v4->contains(ip("2001:db8::1")));
  auto v6 = AddressRange::parse("::/0");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(ip("2001:db8::1")));
  EXPECT_FALSE(v6->contains(ip("203.0.113.9")));
}

TEST(AddressRange, Ipv6Blocks) {
  auto r = AddressRange::parse("2001:db8:abcd::/35");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->contains(ip("2001:db8:abcd::1")));
  EXPECT_TRUE(r->contains(ip("2001:db8:bfff:ffff::1")));
  EXPECT_FALSE(r->contains(ip("2001:db8:c000::1")));
  auto loopback = AddressRange::parse("::1");
  ASSERT_TRUE(loopback);
  EXPECT_TRUE(loopback->contains(ip("::1")));
  EXPECT_FALSE(loopback->contains(ip("::2")));
}

TEST(AddressRange, Ipv4MappedSourcesCountAsIpv4) {
  auto r = AddressRange::parse("192.0.2.0/24");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->contains(ip("::ffff:192.0.2.10")));
  EXPECT_FALSE(r->contains(ip("::ffff:192.0.3.10")));
  auto mapped = AddressRange::parse("::ffff:192.0.2.1");
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(mapped->contains(ip("192.0.2.1")));
}

TEST(AddressRange, RejectsWhatIsNotAnAddressOrCidr) {
  for (const char* bad : {"", "/24", "80.75.130.0/", "80.75.130.0/33", "80.75.130.0/-1", "80.75.130.0/2x",
                          "2001:db8::/129", "sip.exolve.ru", "80.75.130", "1.2.3.4/24/8", "fe80::1%eth0"}) {
    EXPECT_FALSE(AddressRange::parse(bad)) << bad;
  }
}

}  // namespace
}  // namespace va::sip
