#include "sip/message.hpp"

#include <gtest/gtest.h>

#include "sip/parser.hpp"

namespace va::sip {
namespace {

Uri uri(std::string_view text) {
  return parse_uri(text).value();
}

TEST(SipMessage, BuildsAndSerializesARequest) {
  Message m = Message::request("OPTIONS", uri("sip:sip.exolve.ru"));
  m.add_header("Via", "SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK1;rport");
  m.add_header("max-forwards", "70");
  m.add_header("f", "<sip:88314000001@sip.exolve.ru>;tag=abc");
  m.add_header("To", "<sip:sip.exolve.ru>");
  m.add_header("i", "ka-1@203.0.113.10");
  m.add_header("CSeq", "1 OPTIONS");
  EXPECT_EQ(m.to_string(),
            "OPTIONS sip:sip.exolve.ru SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK1;rport\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:88314000001@sip.exolve.ru>;tag=abc\r\n"
            "To: <sip:sip.exolve.ru>\r\n"
            "Call-ID: ka-1@203.0.113.10\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
  EXPECT_EQ(m.method(), Method::options);
}

TEST(SipMessage, ContentLengthIsRewrittenToTheBodySize) {
  Message m = Message::response(200);
  EXPECT_EQ(m.reason(), "OK");
  m.add_header("Content-Length", "999");
  m.add_header("l", "3");
  m.set_body("v=0\r\n", "application/sdp");
  std::string out = m.to_string();
  EXPECT_EQ(out, "SIP/2.0 200 OK\r\nContent-Length: 5\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n");
}

TEST(SipMessage, HeaderMutationsKeepOrder) {
  Message m = Message::request("INVITE", uri("sip:a@b"));
  m.add_header("Via", "SIP/2.0/UDP second;branch=z9hG4bK2");
  m.add_header("From", "<sip:c@d>;tag=1");
  m.prepend_header("v", "SIP/2.0/UDP first;branch=z9hG4bK1");
  EXPECT_EQ(m.headers()[0].value, "SIP/2.0/UDP first;branch=z9hG4bK1");
  EXPECT_EQ(m.top_via()->sent_by.host, "first");
  m.add_header("Route", "<sip:p1;lr>");
  m.add_header("Route", "<sip:p2;lr>");
  m.set_header("route", "<sip:p3;lr>");
  ASSERT_EQ(m.count(HeaderId::route), 1u);
  EXPECT_EQ(m.routes()->at(0).uri.host, "p3");
  EXPECT_EQ(m.remove_header("VIA"), 2u);
  EXPECT_FALSE(m.top_via());
  EXPECT_EQ(m.top_via().error().code, ParseErrorCode::missing_header);
  m.set_header("X-Custom", "1");
  m.set_header("x-custom", "2");
  EXPECT_EQ(m.header("X-CUSTOM"), "2");
  EXPECT_EQ(m.header_values("x-custom").size(), 1u);
}

TEST(SipMessage, TypedAccessorsReportTheHeader) {
  Message m = Message::request("INVITE", uri("sip:a@b"));
  m.add_header("Expires", "soon");
  m.add_header("Refer-To", "<sip:transfer@example.com?Replaces=abc%3Bto-tag%3D1>");
  m.add_header("P-Asserted-Identity", "\"Ivan\" <sip:+74951234567@example.ru>, <tel:+74951234567>");
  EXPECT_EQ(m.expires().error().header, "Expires");
  EXPECT_EQ(m.expires().error().code, ParseErrorCode::bad_number);
  EXPECT_EQ(m.call_id().error().code, ParseErrorCode::missing_header);
  EXPECT_EQ(m.refer_to()->uri.headers.at(0).name, "Replaces");
  auto pai = m.p_asserted_identities();
  ASSERT_TRUE(pai);
  ASSERT_EQ(pai->size(), 2u);
  EXPECT_EQ(pai->at(1).uri.scheme, UriScheme::tel);
  EXPECT_TRUE(m.routes()->empty());
  EXPECT_TRUE(m.contacts()->addresses.empty());
  m.add_header("Contact", "*");
  m.add_header("Contact", "<sip:x@y>");
  EXPECT_EQ(m.contacts().error().header, "Contact");
}

TEST(SipMessage, ListValuesAcrossLines) {
  Message m = Message::request("INVITE", uri("sip:a@b"));
  m.add_header("Supported", "timer, replaces");
  m.add_header("k", "100rel");
  m.add_header("Date", "Sat, 13 Nov 2010 23:29:00 GMT");
  auto supported = m.tokens(HeaderId::supported);
  ASSERT_EQ(supported.size(), 3u);
  EXPECT_EQ(supported[2], "100rel");
  // Date is not a list: its comma stays.
  ASSERT_EQ(m.header_values("Date").size(), 1u);
}

}  // namespace
}  // namespace va::sip
