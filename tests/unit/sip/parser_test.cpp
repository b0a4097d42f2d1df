#include "sip/parser.hpp"

#include <gtest/gtest.h>

#include "sip_test_text.hpp"

namespace va::sip {
namespace {
using test::crlf;

const std::string kInvite = crlf(R"(INVITE sip:79161234567@sip.exolve.ru SIP/2.0
Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK-524287-1---7a1c;rport
Max-Forwards: 70
From: "Voice Agent" <sip:88314000001@sip.exolve.ru>;tag=9fxced76sl
To: <sip:79161234567@sip.exolve.ru>
Call-ID: 3848276298220188511@203.0.113.10
CSeq: 1 INVITE
Contact: <sip:88314000001@203.0.113.10:5060>
Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY
Supported: replaces, timer
Content-Type: application/sdp
Content-Length: 10

v=0
o=x 1)");

Message parse_ok(std::string_view text, Framing framing = Framing::datagram) {
  auto r = parse_message(text, framing);
  EXPECT_TRUE(r) << (r ? "" : r.error().to_string());
  return r ? std::move(r).value() : Message::response(500);
}

ParseError parse_bad(std::string_view text, Framing framing = Framing::datagram, ParseLimits limits = {}) {
  auto r = parse_message(text, framing, limits);
  EXPECT_FALSE(r) << text;
  return r ? ParseError{} : r.error();
}

TEST(SipParser, ParsesRequestLineHeadersAndBody) {
  Message m = parse_ok(kInvite);
  ASSERT_TRUE(m.is_request());
  EXPECT_EQ(m.method(), Method::invite);
  EXPECT_EQ(m.method_name(), "INVITE");
  EXPECT_EQ(m.request_uri().user, "79161234567");
  EXPECT_EQ(m.headers().size(), 11u);
  EXPECT_EQ(m.call_id().value(), "3848276298220188511@203.0.113.10");
  EXPECT_EQ(m.cseq()->number, 1u);
  EXPECT_EQ(m.cseq()->method, Method::invite);
  EXPECT_EQ(m.from()->tag(), "9fxced76sl");
  EXPECT_EQ(m.from()->display_name, "Voice Agent");
  EXPECT_FALSE(m.to()->tag());
  EXPECT_EQ(m.max_forwards().value(), 70u);
  EXPECT_TRUE(m.content_type()->is("application", "sdp"));
  EXPECT_EQ(m.body(), "v=0\r\no=x 1");
  EXPECT_TRUE(m.has_token(HeaderId::supported, "TIMER"));
  EXPECT_EQ(m.tokens(HeaderId::allow).size(), 8u);
  EXPECT_FALSE(check_mandatory_headers(m));
}

TEST(SipParser, ParsesStatusLine) {
  Message m = parse_ok(crlf(R"(SIP/2.0 486 Busy Here
Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx
From: <sip:a@b>;tag=1
To: <sip:c@d>;tag=2
Call-ID: x
CSeq: 5 INVITE
Content-Length: 0

)"));
  ASSERT_TRUE(m.is_response());
  EXPECT_EQ(m.status(), 486);
  EXPECT_EQ(m.reason(), "Busy Here");
  EXPECT_EQ(m.body(), "");
  EXPECT_FALSE(check_mandatory_headers(m));
  // An empty reason phrase, with or without the SP before it.
  EXPECT_EQ(parse_ok("SIP/2.0 200 \r\nContent-Length: 0\r\n\r\n").reason(), "");
  EXPECT_EQ(parse_ok("SIP/2.0 200\r\nContent-Length: 0\r\n\r\n").status(), 200);
}

TEST(SipParser, CompactFormsAreExpanded) {
  Message m = parse_ok(crlf(R"(BYE sip:agent@192.0.2.5:5060 SIP/2.0
v: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKnashds7
f: <sip:caller@example.com>;tag=a73kszlfl
t: <sip:agent@example.net>;tag=3flal12sf
i: 0ha0isndaksdj@192.0.2.9
CSeq: 2 BYE
m: <sip:caller@192.0.2.9>
k: timer
l: 0

)"));
  EXPECT_EQ(m.headers()[0].name, "Via");
  EXPECT_EQ(m.call_id().value(), "0ha0isndaksdj@192.0.2.9");
  EXPECT_EQ(m.from()->tag(), "a73kszlfl");
  EXPECT_EQ(m.to()->tag(), "3flal12sf");
  EXPECT_EQ(m.contacts()->addresses.size(), 1u);
  EXPECT_EQ(m.content_length().value(), 0u);
  EXPECT_TRUE(m.has_token(HeaderId::supported, "timer"));
  EXPECT_TRUE(m.header("Call-ID"));
  EXPECT_TRUE(m.header("i"));
  const std::string out = m.to_string();
  EXPECT_NE(out.find("\r\nCall-ID: 0ha0isndaksdj@192.0.2.9\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\nContent-Length: 0\r\n"), std::string::npos);
  EXPECT_EQ(out.find("\r\ni:"), std::string::npos);
}

TEST(SipParser, FoldedHeadersAreUnfolded) {
  Message m = parse_ok(crlf(R"(OPTIONS sip:agent@example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1:5060
 ;branch=z9hG4bK-fold
Subject: first line   
	second line
From: <sip:ping@example.com>
	;tag=f1
To: <sip:agent@example.com>
Call-ID: fold-1
CSeq: 7
  OPTIONS
Content-Length: 0

)"));
  EXPECT_EQ(m.top_via()->branch(), "z9hG4bK-fold");
  EXPECT_EQ(m.header("Subject"), "first line second line");
  EXPECT_EQ(m.from()->tag(), "f1");
  EXPECT_EQ(m.cseq()->method, Method::options);
  // Serialized on one line each.
  auto again = parse_message(m.to_string());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->header("Subject"), "first line second line");
}

TEST(SipParser, MultipleViasAcrossAndWithinHeaders) {
  Message m = parse_ok(crlf(R"(SIP/2.0 200 OK
Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1;received=192.0.2.1, SIP/2.0/UDP p2.example.com;branch=z9hG4bK2
Via: SIP/2.0/TCP [2001:db8::5]:5070;branch=z9hG4bK3
v: SIP/2.0/UDP uac.example.com;branch=z9hG4bK4;rport=5066
Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>
Record-Route: <sip:[2001:db8::100];lr>
From: <sip:a@example.com>;tag=1
To: <sip:b@example.com>;tag=2
Call-ID: multi
CSeq: 1 INVITE
Content-Length: 0

)"));
  auto vias = m.vias();
  ASSERT_TRUE(vias);
  ASSERT_EQ(vias->size(), 4u);
  EXPECT_EQ((*vias)[0].branch(), "z9hG4bK1");
  EXPECT_EQ((*vias)[1].sent_by.host, "p2.example.com");
  EXPECT_EQ((*vias)[2].sent_by.host, "2001:db8::5");
  EXPECT_EQ((*vias)[3].rport(), 5066);
  EXPECT_EQ(m.top_via()->branch(), "z9hG4bK1");
  auto rr = m.record_routes();
  ASSERT_TRUE(rr);
  ASSERT_EQ(rr->size(), 3u);
  EXPECT_EQ((*rr)[2].uri.host_kind, HostKind::ipv6);
  EXPECT_EQ(m.header_values(HeaderId::via).size(), 4u);
}

TEST(SipParser, Ipv6RequestUriViaAndContact) {
  Message m = parse_ok(crlf(R"(INVITE sip:agent@[2001:db8::10]:5060;transport=udp SIP/2.0
Via: SIP/2.0/UDP [2001:db8::20]:5062;branch=z9hG4bK-v6;rport
From: <sip:caller@[2001:db8::20]>;tag=v6
To: <sip:agent@[2001:db8::10]>
Call-ID: v6call@2001:db8::20
CSeq: 1 INVITE
Contact: <sip:caller@[2001:db8::20]:5062>
Max-Forwards: 70
Content-Length: 0

)"));
  EXPECT_EQ(m.request_uri().host, "2001:db8::10");
  EXPECT_EQ(m.request_uri().host_kind, HostKind::ipv6);
  EXPECT_EQ(m.top_via()->sent_by.port, 5062);
  EXPECT_EQ(m.contacts()->addresses.at(0).uri.host_port(), "[2001:db8::20]:5062");
  EXPECT_EQ(m.call_id().value(), "v6call@2001:db8::20");
}

TEST(SipParser, ContactWildcardAndParameters) {
  Message m = parse_ok(crlf(R"(REGISTER sip:sip.exolve.ru SIP/2.0
Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKreg
From: <sip:88314000001@sip.exolve.ru>;tag=r1
To: <sip:88314000001@sip.exolve.ru>
Call-ID: reg-1
CSeq: 3 REGISTER
Contact: *
Expires: 0
Content-Length: 0

)"));
  EXPECT_TRUE(m.contacts()->wildcard);
  EXPECT_EQ(m.expires().value(), 0u);
}

TEST(SipParser, DatagramContentLengthRules) {
  const std::string head = crlf(R"(MESSAGE sip:a@b SIP/2.0
Via: SIP/2.0/UDP h;branch=z9hG4bK1
From: <sip:c@d>;tag=1
To: <sip:a@b>
Call-ID: cl
CSeq: 1 MESSAGE
)");
  // Absent: the body is the rest of the datagram (§18.3).
  EXPECT_EQ(parse_ok(head + "\r\nhello world").body(), "hello world");
  // Smaller: the extra bytes are discarded.
  EXPECT_EQ(parse_ok(head + "Content-Length: 5\r\n\r\nhello world").body(), "hello");
  // Larger: the message is truncated and rejected.
  EXPECT_EQ(parse_bad(head + "Content-Length: 50\r\n\r\nhello world").code, ParseErrorCode::body_truncated);
  // Malformed or conflicting values.
  EXPECT_EQ(parse_bad(head + "Content-Length: five\r\n\r\n").code, ParseErrorCode::bad_number);
  EXPECT_EQ(parse_bad(head + "Content-Length: -1\r\n\r\n").code, ParseErrorCode::bad_number);
  EXPECT_EQ(parse_bad(head + "Content-Length: 1\r\nl: 2\r\n\r\nab").code, ParseErrorCode::duplicate_header);
  EXPECT_EQ(parse_ok(head + "Content-Length: 2\r\nl: 2\r\n\r\nab").body(), "ab");
  // Streams need Content-Length.
  EXPECT_EQ(parse_bad(head + "\r\nhello", Framing::stream).code, ParseErrorCode::missing_content_length);
}

TEST(SipParser, BareLineFeedsAndLeadingLineBreaksAreTolerated) {
  Message m = parse_ok(
      "\r\n\r\nOPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:c@d>;tag=1\n"
      "To: <sip:a@b>\nCall-ID: lf\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n");
  EXPECT_EQ(m.method(), Method::options);
  EXPECT_EQ(m.call_id().value(), "lf");
}

TEST(SipParser, ExtensionMethodsAndCaseSensitivity) {
  Message m = parse_ok("FOO sip:a@b SIP/2.0\r\nCSeq: 1 FOO\r\n\r\n");
  EXPECT_EQ(m.method(), Method::extension);
  EXPECT_EQ(m.method_name(), "FOO");
  // Method names are case-sensitive (§7.1): "invite" is not INVITE.
  EXPECT_EQ(parse_ok("invite sip:a@b SIP/2.0\r\n\r\n").method(), Method::extension);
  EXPECT_EQ(parse_ok("INVITE sip:a@b sip/2.0\r\n\r\n").method(), Method::invite);
}

TEST(SipParser, RejectsMalformedStartLines) {
  struct Case {
    const char* text;
    ParseErrorCode code;
  };
  for (Case c : {Case{"", ParseErrorCode::empty_message}, Case{"\r\n\r\n", ParseErrorCode::empty_message},
                 Case{"INVITE sip:a@b SIP/2.0", ParseErrorCode::bad_start_line},
                 Case{"INVITE sip:a@b\r\n\r\n", ParseErrorCode::bad_start_line},
                 Case{"INVITE  sip:a@b SIP/2.0\r\n\r\n", ParseErrorCode::bad_start_line},
                 Case{"INVITE sip:a@b SIP/2.0 \r\n\r\n", ParseErrorCode::bad_start_line},
                 Case{"INVITE sip:a@b SIP/3.0\r\n\r\n", ParseErrorCode::bad_version},
                 Case{"IN<VITE sip:a@b SIP/2.0\r\n\r\n", ParseErrorCode::bad_method},
                 Case{"INVITE <sip:a@b> SIP/2.0\r\n\r\n", ParseErrorCode::bad_request_uri},
                 Case{"INVITE sip:a@b@c SIP/2.0\r\n\r\n", ParseErrorCode::bad_request_uri},
                 Case{"SIP/2.0 99 Low\r\n\r\n", ParseErrorCode::bad_status_code},
                 Case{"SIP/2.0 700 High\r\n\r\n", ParseErrorCode::bad_status_code},
                 Case{"SIP/2.0 20x OK\r\n\r\n", ParseErrorCode::bad_status_code},
                 Case{"SIP/2.0 2000 OK\r\n\r\n", ParseErrorCode::bad_status_code},
                 Case{"SIP/1.0 200 OK\r\n\r\n", ParseErrorCode::bad_version},
                 Case{"GARBAGE\r\n\r\n", ParseErrorCode::bad_start_line}}) {
    EXPECT_EQ(parse_bad(c.text).code, c.code) << c.text;
  }
}

TEST(SipParser, RejectsMalformedHeaderLines) {
  const std::string start = "OPTIONS sip:a@b SIP/2.0\r\n";
  EXPECT_EQ(parse_bad(start + "NoColonHere\r\n\r\n").code, ParseErrorCode::bad_header_line);
  EXPECT_EQ(parse_bad(start + "Bad Name: x\r\n\r\n").code, ParseErrorCode::bad_header_line);
  EXPECT_EQ(parse_bad(start + ": x\r\n\r\n").code, ParseErrorCode::bad_header_line);
  EXPECT_EQ(parse_bad(start + " folded: onto start line\r\n\r\n").code, ParseErrorCode::bad_header_line);
  EXPECT_EQ(parse_bad(start + "Subject: a\rb\r\n\r\n").code, ParseErrorCode::bad_header_value);
  EXPECT_EQ(parse_bad(start + std::string("Subject: a\0b\r\n\r\n", 16)).code,
            ParseErrorCode::bad_header_value);
  EXPECT_EQ(parse_bad(start + std::string("X\0: b\r\n\r\n", 9)).code, ParseErrorCode::bad_header_line);
  EXPECT_EQ(parse_bad(start + "Call-ID: x\r\n").code, ParseErrorCode::bad_header_line);  // no empty line
  // Header names before the colon may be followed by white space (HCOLON).
  EXPECT_EQ(parse_ok(start + "Subject  : spaced\r\n\r\n").header("subject"), "spaced");
}

TEST(SipParser, RejectsGarbageInCoreHeaders) {
  const std::string start = "OPTIONS sip:a@b SIP/2.0\r\n";
  struct Case {
    const char* header;
    ParseErrorCode code;
    const char* name;
  };
  for (Case c : {Case{"Via: SIP/2.0/UDP", ParseErrorCode::bad_via, "Via"},
                 Case{"From: <sip:a@b", ParseErrorCode::bad_address, "From"},
                 Case{"To: nonsense", ParseErrorCode::bad_address, "To"},
                 Case{"Call-ID: has space", ParseErrorCode::bad_header_value, "Call-ID"},
                 Case{"Call-ID:", ParseErrorCode::bad_header_value, "Call-ID"},
                 Case{"CSeq: x OPTIONS", ParseErrorCode::bad_cseq, "CSeq"},
                 Case{"CSeq: 2147483648 OPTIONS", ParseErrorCode::bad_cseq, "CSeq"},
                 Case{"Max-Forwards: 256", ParseErrorCode::bad_number, "Max-Forwards"},
                 Case{"Contact: <sip:a@b>;q=", ParseErrorCode::bad_params, "Contact"},
                 Case{"Route: <sip:p1;lr>, junk", ParseErrorCode::bad_address, "Route"},
                 Case{"Content-Type: sdp", ParseErrorCode::bad_media_type, "Content-Type"}}) {
    ParseError e = parse_bad(start + c.header + "\r\n\r\n");
    EXPECT_EQ(e.code, c.code) << c.header << " → " << e.to_string();
    EXPECT_EQ(e.header, c.name) << c.header;
  }
  ParseError dup = parse_bad(start + "From: <sip:a@b>;tag=1\r\nf: <sip:a@b>;tag=2\r\n\r\n");
  EXPECT_EQ(dup.code, ParseErrorCode::duplicate_header);
  EXPECT_EQ(dup.header, "From");
  // Unknown headers are carried whatever their value.
  EXPECT_EQ(parse_ok(start + "X-Anything: <<<\"\r\n\r\n").header("x-anything"), "<<<\"");
}

TEST(SipParser, MandatoryHeaders) {
  Message m = parse_ok(
      "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:c@d>;tag=1\r\n"
      "To: <sip:a@b>\r\nCSeq: 1 OPTIONS\r\n\r\n");
  auto e = check_mandatory_headers(m);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ParseErrorCode::missing_header);
  EXPECT_EQ(e->header, "Call-ID");
  EXPECT_EQ(e->reason_phrase(), "Missing Call-ID Header");

  Message mismatch = parse_ok(
      "BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:c@d>;tag=1\r\n"
      "To: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n");
  EXPECT_EQ(check_mandatory_headers(mismatch)->code, ParseErrorCode::cseq_method_mismatch);
}

TEST(SipParser, QuotedStringsWithEscapedQuotesAndCommas) {
  Message m = parse_ok(crlf(R"(NOTIFY sip:agent@example.com SIP/2.0
Via: SIP/2.0/UDP h;branch=z9hG4bK1
From: "Support \"Line\", 2nd floor" <sip:support@example.com>;tag=q1
To: <sip:agent@example.com>;tag=q2
Call-ID: quoted
CSeq: 4 NOTIFY
Contact: "A, B" <sip:ab@example.com>, "C \"x\"" <sip:c@example.com>;expires=60
Content-Length: 0

)"));
  EXPECT_EQ(m.from()->display_name, "Support \"Line\", 2nd floor");
  auto contacts = m.contacts();
  ASSERT_TRUE(contacts);
  ASSERT_EQ(contacts->addresses.size(), 2u);
  EXPECT_EQ(contacts->addresses[0].display_name, "A, B");
  EXPECT_EQ(contacts->addresses[1].display_name, "C \"x\"");
  EXPECT_EQ(contacts->addresses[1].params.get("expires"), "60");
}

TEST(SipParser, LimitsOnHeaderSizeCountAndBody) {
  const std::string start = "OPTIONS sip:a@b SIP/2.0\r\n";
  ParseLimits limits;
  limits.max_header_bytes = 1024;
  limits.max_headers = 10;
  limits.max_body_bytes = 16;
  EXPECT_EQ(
      parse_bad(start + "Subject: " + std::string(2000, 'x') + "\r\n\r\n", Framing::datagram, limits).code,
      ParseErrorCode::headers_too_large);
  std::string many = start;
  for (int i = 0; i < 11; ++i) many += "X-H: " + std::to_string(i) + "\r\n";
  EXPECT_EQ(parse_bad(many + "\r\n", Framing::datagram, limits).code, ParseErrorCode::too_many_headers);
  EXPECT_EQ(parse_bad(start + "\r\n" + std::string(17, 'b'), Framing::datagram, limits).code,
            ParseErrorCode::body_too_large);
  EXPECT_EQ(
      parse_bad(start + "Content-Length: 17\r\n\r\n" + std::string(17, 'b'), Framing::datagram, limits).code,
      ParseErrorCode::body_too_large);
  // Huge values within the default limits are carried intact.
  std::string huge(60000, 'v');
  EXPECT_EQ(parse_ok(start + "X-Huge: " + huge + "\r\n\r\n").header("X-Huge")->size(), huge.size());
  EXPECT_EQ(parse_bad(start + "X-Huge: " + huge + huge + "\r\n\r\n").code, ParseErrorCode::headers_too_large);
}

TEST(SipParser, SerializeThenParseKeepsTheMessage) {
  Message m = parse_ok(kInvite);
  std::string out = m.to_string();
  Message again = parse_ok(out);
  EXPECT_EQ(again.to_string(), out);
  EXPECT_EQ(again.body(), m.body());
  EXPECT_EQ(again.headers().size(), m.headers().size());
  EXPECT_NE(out.find("Content-Length: 10\r\n\r\nv=0\r\no=x 1"), std::string::npos);
}

}  // namespace
}  // namespace va::sip
