#include "sip/via.hpp"

#include <gtest/gtest.h>

namespace va::sip {
namespace {

TEST(SipVia, ParsesSentByAndParameters) {
  auto v =
      parse_via("SIP/2.0/UDP 192.0.2.4:5062;branch=z9hG4bK776asdhds;received=192.0.2.99;rport=6000;ttl=16");
  ASSERT_TRUE(v) << v.error().to_string();
  EXPECT_EQ(v->transport, "UDP");
  EXPECT_EQ(v->sent_by.host, "192.0.2.4");
  EXPECT_EQ(v->sent_by.port, 5062);
  EXPECT_EQ(v->branch(), "z9hG4bK776asdhds");
  EXPECT_TRUE(v->has_rfc3261_branch());
  EXPECT_EQ(v->received(), "192.0.2.99");
  EXPECT_EQ(v->rport(), 6000);
  EXPECT_EQ(v->ttl(), 16);
  EXPECT_EQ(v->to_string(),
            "SIP/2.0/UDP 192.0.2.4:5062;branch=z9hG4bK776asdhds;received=192.0.2.99;rport=6000;ttl=16");
}

TEST(SipVia, ValuelessRportAsSentByRfc3581Clients) {
  auto v = parse_via("SIP/2.0/UDP client.example.com;rport;branch=z9hG4bKxyz");
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->has_rport());
  EXPECT_FALSE(v->rport());
  EXPECT_FALSE(v->sent_by.port);
}

TEST(SipVia, Ipv6SentByAndReceived) {
  // RFC 5118 §4.5: received carries a bare IPv6 address (RFC 3261 grammar); the bracketed form is tolerated.
  auto v = parse_via("SIP/2.0/TCP [2001:db8::9:1]:5070;branch=z9hG4bKas3;received=2001:db8::9:255");
  ASSERT_TRUE(v) << v.error().to_string();
  EXPECT_EQ(v->sent_by.kind, HostKind::ipv6);
  EXPECT_EQ(v->sent_by.host, "2001:db8::9:1");
  EXPECT_EQ(v->sent_by.port, 5070);
  EXPECT_EQ(v->received(), "2001:db8::9:255");
  EXPECT_TRUE(parse_via("SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKx;received=[2001:db8::9:255]"));
  EXPECT_EQ(v->to_string(), "SIP/2.0/TCP [2001:db8::9:1]:5070;branch=z9hG4bKas3;received=2001:db8::9:255");
}

TEST(SipVia, WhiteSpaceAroundSlashesAndParameters) {
  auto v = parse_via("SIP / 2.0 / TLS   proxy.example.com:5061 ; branch = z9hG4bK1 ; maddr=224.0.0.1");
  ASSERT_TRUE(v) << v.error().to_string();
  EXPECT_EQ(v->transport, "TLS");
  EXPECT_EQ(v->sent_by.host, "proxy.example.com");
  EXPECT_EQ(v->branch(), "z9hG4bK1");
  EXPECT_EQ(v->maddr(), "224.0.0.1");
}

TEST(SipVia, SeveralViasInOneHeader) {
  auto list = parse_via_list(
      "SIP/2.0/UDP p1.example.com;branch=z9hG4bK1, SIP/2.0/TCP [::1]:5060;branch=z9hG4bK2,SIP/2.0/UDP "
      "h;branch=3");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[1].sent_by.host, "::1");
  EXPECT_EQ((*list)[2].branch(), "3");
  EXPECT_FALSE((*list)[2].has_rfc3261_branch());
}

TEST(SipVia, RejectsMalformedVias) {
  for (const char* bad :
       {"", "SIP/2.0/UDP", "SIP/2.0 host", "SIP/2.0/UDP host:70000", "SIP/2.0/UDP host;ttl=300",
        "SIP/2.0/UDP host;rport=x", "SIP/2.0/UDP host;received=bad host", "SIP/2.0/UDP host;branch=\"q\"",
        "SIP/2.0/UDP [::1;branch=1", "SIP/2.0/UDP host junk", "SIP/2.0/UDPhost",
        "SIP/2.0/UDP host;received"}) {
    EXPECT_FALSE(parse_via(bad)) << bad;
  }
  EXPECT_FALSE(parse_via_list("SIP/2.0/UDP a;branch=1, garbage"));
  EXPECT_FALSE(parse_via_list(""));
}

}  // namespace
}  // namespace va::sip
