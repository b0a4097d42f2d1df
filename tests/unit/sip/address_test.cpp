#include "sip/address.hpp"

#include <gtest/gtest.h>

namespace va::sip {
namespace {

TEST(SipAddress, NameAddrWithQuotedDisplayNameAndEscapes) {
  auto a = parse_address(R"("Ivanov \"Vanya\", Ivan" <sip:ivan@example.ru;transport=tcp>;tag=a6c85cf)");
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ(a->display_name, R"(Ivanov "Vanya", Ivan)");
  EXPECT_EQ(a->uri.user, "ivan");
  EXPECT_EQ(a->uri.transport(), "tcp");
  EXPECT_EQ(a->tag(), "a6c85cf");
  EXPECT_EQ(a->to_string(), R"("Ivanov \"Vanya\", Ivan" <sip:ivan@example.ru;transport=tcp>;tag=a6c85cf)");
}

TEST(SipAddress, UnquotedDisplayNameAndNoDisplayName) {
  auto a = parse_address("Bob Smith <sip:bob@biloxi.example.com>");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->display_name, "Bob Smith");
  auto b = parse_address("<sip:bob@biloxi.example.com>;expires=3600;q=0.5");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->display_name, "");
  EXPECT_EQ(b->params.get("expires"), "3600");
  EXPECT_EQ(b->params.get("q"), "0.5");
  // UTF-8 display names without quotes are tolerated.
  auto c = parse_address("Иван <sip:ivan@example.ru>");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->display_name, "Иван");
}

TEST(SipAddress, AddrSpecParametersBelongToTheHeader) {
  // RFC 3261 §20.10: without <>, ";tag" and ";transport" here are header parameters, not URI parameters.
  auto a = parse_address("sip:alice@atlanta.example.com;tag=88sja8x;transport=tcp");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->uri.params.empty());
  EXPECT_EQ(a->tag(), "88sja8x");
  EXPECT_EQ(a->params.get("transport"), "tcp");
  EXPECT_EQ(a->to_string(), "<sip:alice@atlanta.example.com>;tag=88sja8x;transport=tcp");
  // With <>, the same ;transport is part of the URI.
  auto b = parse_address("<sip:alice@atlanta.example.com;transport=tcp>;tag=88sja8x");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->uri.transport(), "tcp");
  EXPECT_FALSE(b->params.has("transport"));
}

TEST(SipAddress, Ipv6AndTelAddresses) {
  auto a = parse_address("<sip:[2001:db8::7]:5062;transport=udp>;expires=600");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->uri.host, "2001:db8::7");
  EXPECT_EQ(a->uri.port, 5062);
  auto t = parse_address("<tel:+74951234567>;tag=1");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->uri.scheme, UriScheme::tel);
  EXPECT_EQ(t->uri.user, "+74951234567");
}

TEST(SipAddress, ListsSplitOutsideQuotesAndBrackets) {
  auto list = parse_address_list(
      R"(<sip:p1.example.com;lr>, "Proxy, Two" <sip:p2,x@p2.example.com;lr>, <sip:[2001:db8::1];lr>)");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[1].display_name, "Proxy, Two");
  EXPECT_EQ((*list)[1].uri.host, "p2.example.com");
  EXPECT_EQ((*list)[1].uri.user, "p2,x");  // ',' is a user-unreserved character
  EXPECT_TRUE((*list)[2].uri.loose_route());
}

TEST(SipAddress, RejectsMalformedAddresses) {
  for (const char* bad :
       {"", "<sip:a@b", "\"unterminated <sip:a@b>", "\"name\" sip:a@b", "<sip:a@b> junk", "<sip:a@b>;=1",
        "<>", "a@b", "sip:a@b?x=1", "na<me <sip:a@b>", "<sip:a b@c>", "sip:a@b, sip:c@d"}) {
    auto r = parse_address(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_NE(r.error().message, "") << bad;
    }
  }
  // ";tag" without a value is a valid valueless generic-param.
  EXPECT_TRUE(parse_address("<sip:a@b>;tag"));
}

}  // namespace
}  // namespace va::sip
