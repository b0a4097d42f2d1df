#include "sip/uri.hpp"

#include <gtest/gtest.h>

namespace va::sip {
namespace {

Uri uri(std::string_view text) {
  auto r = parse_uri(text);
  EXPECT_TRUE(r) << text << ": " << (r ? "" : r.error().to_string());
  return r ? std::move(r).value() : Uri{};
}

TEST(SipUri, ParsesCarrierRequestUri) {
  Uri u = uri("sip:79161234567@sip.exolve.ru;user=phone");
  EXPECT_EQ(u.scheme, UriScheme::sip);
  EXPECT_EQ(u.user, "79161234567");
  EXPECT_EQ(u.host, "sip.exolve.ru");
  EXPECT_EQ(u.host_kind, HostKind::hostname);
  EXPECT_FALSE(u.port);
  EXPECT_EQ(u.param("user"), "phone");
  EXPECT_EQ(u.port_or_default(), 5060);
}

TEST(SipUri, ParsesEveryComponent) {
  Uri u =
      uri("sips:al%69ce:se%63ret@Example.COM:5071;transport=tcp;lr;maddr=239.255.255.1?subject=hi%20there&"
          "priority=urgent");
  EXPECT_EQ(u.scheme, UriScheme::sips);
  EXPECT_EQ(u.user, "alice");
  EXPECT_EQ(u.password, "secret");
  EXPECT_EQ(u.host, "Example.COM");
  EXPECT_EQ(u.port, 5071);
  EXPECT_EQ(u.transport(), "tcp");
  EXPECT_TRUE(u.loose_route());
  EXPECT_EQ(u.param("maddr"), "239.255.255.1");
  ASSERT_EQ(u.headers.size(), 2u);
  EXPECT_EQ(u.headers[0].name, "subject");
  EXPECT_EQ(u.headers[0].value, "hi%20there");
  EXPECT_EQ(u.to_string(),
            "sips:alice:secret@Example.COM:5071;transport=tcp;lr;maddr=239.255.255.1?subject=hi%20there&"
            "priority=urgent");
}

TEST(SipUri, EscapesUserOnOutput) {
  Uri u = uri("sip:%22weird%20user%22@host");
  EXPECT_EQ(u.user, "\"weird user\"");
  EXPECT_EQ(u.to_string(), "sip:%22weird%20user%22@host");
  // user-unreserved characters stay literal, including ';' in telephone-style users.
  EXPECT_EQ(uri("sip:+7495;phone-context=x@h;user=phone").user, "+7495;phone-context=x");
  EXPECT_EQ(uri("sip:+7495;phone-context=x@h;user=phone").to_string(),
            "sip:+7495;phone-context=x@h;user=phone");
}

TEST(SipUri, ParsesIpv4AndIpv6Hosts) {
  Uri v4 = uri("sip:80.75.130.100:5060");
  EXPECT_EQ(v4.host_kind, HostKind::ipv4);
  EXPECT_EQ(v4.port, 5060);
  Uri v6 = uri("sip:bob@[2001:db8::10]:5070;transport=udp");
  EXPECT_EQ(v6.host_kind, HostKind::ipv6);
  EXPECT_EQ(v6.host, "2001:db8::10");
  EXPECT_EQ(v6.port, 5070);
  EXPECT_EQ(v6.host_port(), "[2001:db8::10]:5070");
  EXPECT_EQ(v6.to_string(), "sip:bob@[2001:db8::10]:5070;transport=udp");
  Uri mapped = uri("sip:[::ffff:192.0.2.1]");
  EXPECT_EQ(mapped.host_kind, HostKind::ipv6);
}

TEST(SipUri, ParsesTelAndOtherSchemes) {
  Uri tel = uri("tel:+7-495-123-45-67;ext=12");
  EXPECT_EQ(tel.scheme, UriScheme::tel);
  EXPECT_EQ(tel.user, "+7-495-123-45-67");
  EXPECT_EQ(tel.param("ext"), "12");
  EXPECT_EQ(tel.to_string(), "tel:+7-495-123-45-67;ext=12");
  Uri urn = uri("urn:service:sos");
  EXPECT_EQ(urn.scheme, UriScheme::other);
  EXPECT_EQ(urn.scheme_name, "urn");
  EXPECT_EQ(urn.to_string(), "urn:service:sos");
  EXPECT_EQ(uri("SIP:a@b").scheme, UriScheme::sip);
}

TEST(SipUri, RejectsMalformedUris) {
  for (const char* bad : {"",
                          "sip:",
                          "sip:@host",
                          "sip:user@",
                          "sip:host:99999",
                          "sip:host:port",
                          "sip:[2001:db8::1",
                          "sip:[not-v6]",
                          "sip:2001:db8::1",
                          "sip:a b@host",
                          "sip:host;",
                          "sip:host;=x",
                          "sip:host?",
                          "sip:host?a",
                          "sip:1.2.3.256",
                          "sip:ho$t",
                          "tel:",
                          "tel:12a;x y",
                          "1sip:host",
                          "urn:",
                          "http://a<b",
                          "sip:a%2@host"}) {
    EXPECT_FALSE(parse_uri(bad)) << bad;
  }
}

TEST(SipUri, ComparisonFollowsRfc3261Section19_1_4) {
  auto eq = [](std::string_view a, std::string_view b) { return uri_equivalent(uri(a), uri(b)); };
  // Equivalent (examples of §19.1.4).
  EXPECT_TRUE(eq("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
  EXPECT_TRUE(eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
  EXPECT_TRUE(eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;newparam=5"));
  EXPECT_TRUE(eq("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                 "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
  EXPECT_TRUE(eq("sip:alice@[2001:db8::1]", "sip:alice@[2001:DB8:0::1]"));
  // Not equivalent.
  EXPECT_FALSE(eq("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
  EXPECT_FALSE(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
  EXPECT_FALSE(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
  EXPECT_FALSE(eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
  EXPECT_FALSE(eq("sip:carol@chicago.com", "sips:carol@chicago.com"));
  EXPECT_FALSE(eq("sip:carol@chicago.com?Subject=next%20meeting", "sip:carol@chicago.com"));
}

TEST(SipUri, SameHostAndPortAppliesDefaults) {
  EXPECT_TRUE(same_host_and_port(uri("sip:a@Proxy.example"), uri("sip:proxy.example:5060;lr")));
  EXPECT_FALSE(same_host_and_port(uri("sip:proxy.example:5080"), uri("sip:proxy.example")));
  EXPECT_TRUE(same_host_and_port(uri("sips:proxy.example"), uri("sips:proxy.example:5061")));
}

}  // namespace
}  // namespace va::sip
