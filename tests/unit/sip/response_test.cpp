#include "sip/response.hpp"

#include <gtest/gtest.h>

#include <set>

#include "sip/identifiers.hpp"
#include "sip/parser.hpp"
#include "sip/status_code.hpp"
#include "sip_test_text.hpp"

namespace va::sip {
namespace {
using test::crlf;

const std::string kInvite = crlf(R"(INVITE sip:agent@192.0.2.5 SIP/2.0
Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK-p1;received=192.0.2.1
Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bK-uac;rport=5062
Record-Route: <sip:proxy.example.com;lr>
Max-Forwards: 69
From: "Caller" <sip:caller@example.com>;tag=from-1
To: sip:agent@example.net
Call-ID: resp-1@198.51.100.7
CSeq: 314 INVITE
Timestamp: 54.2
Contact: <sip:caller@198.51.100.7:5062>
Content-Length: 0

)");

TEST(SipResponse, CopiesHeadersPerRfc3261Section8_2_6) {
  Message request = parse_message(kInvite).value();
  Message r = make_response(request, 180, {}, "totag-9");
  EXPECT_EQ(r.status(), 180);
  EXPECT_EQ(r.reason(), "Ringing");
  auto vias = r.vias();
  ASSERT_TRUE(vias);
  ASSERT_EQ(vias->size(), 2u);
  EXPECT_EQ((*vias)[0].received(), "192.0.2.1");
  EXPECT_EQ((*vias)[1].rport(), 5062);
  EXPECT_EQ(r.from()->tag(), "from-1");
  EXPECT_EQ(r.header("To"), "sip:agent@example.net;tag=totag-9");
  EXPECT_EQ(r.to()->tag(), "totag-9");
  EXPECT_EQ(r.call_id().value(), "resp-1@198.51.100.7");
  EXPECT_EQ(r.cseq()->number, 314u);
  EXPECT_FALSE(r.find(HeaderId::timestamp));
  EXPECT_FALSE(r.find(HeaderId::record_route));
  EXPECT_FALSE(r.find(HeaderId::contact));
  EXPECT_FALSE(check_mandatory_headers(r));
  // The response parses back to the same thing.
  EXPECT_EQ(parse_message(r.to_string())->to_string(), r.to_string());
}

TEST(SipResponse, TryingKeepsTimestampAndExistingTagsStay) {
  Message request = parse_message(kInvite).value();
  Message trying = make_response(request, 100);
  EXPECT_EQ(trying.reason(), "Trying");
  EXPECT_EQ(trying.header("Timestamp"), "54.2");
  EXPECT_FALSE(trying.to()->tag());

  Message tagged = request;
  tagged.set_header("To", "<sip:agent@example.net>;tag=existing");
  EXPECT_EQ(make_response(tagged, 200, "OK", "new").to()->tag(), "existing");
  EXPECT_EQ(make_response(tagged, 487, "Request Cancelled").reason(), "Request Cancelled");
}

TEST(SipStatusCode, ReasonPhrases) {
  EXPECT_EQ(default_reason_phrase(488), "Not Acceptable Here");
  EXPECT_EQ(default_reason_phrase(481), "Call/Transaction Does Not Exist");
  EXPECT_EQ(default_reason_phrase(299), "Success");
  EXPECT_EQ(default_reason_phrase(499), "Client Error");
  EXPECT_TRUE(is_provisional(183));
  EXPECT_TRUE(is_final(200));
  EXPECT_FALSE(is_success(300));
}

TEST(SipIdentifiers, BranchTagAndCallIdAreUniqueTokens) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string branch = generate_branch();
    EXPECT_EQ(branch.rfind("z9hG4bK", 0), 0u);
    EXPECT_EQ(branch.size(), 7u + 24u);
    EXPECT_TRUE(seen.insert(branch).second);
    std::string tag = generate_tag();
    EXPECT_EQ(tag.size(), 16u);
    EXPECT_TRUE(seen.insert(tag).second);
  }
  std::string id = generate_call_id("203.0.113.10");
  EXPECT_EQ(id.size(), 32u + 1u + 12u);
  EXPECT_EQ(id.substr(32), "@203.0.113.10");
  EXPECT_TRUE(parse_message("OPTIONS sip:a@b SIP/2.0\r\nCall-ID: " + id + "\r\nVia: SIP/2.0/UDP h;branch=" +
                            generate_branch() + "\r\nFrom: <sip:a@b>;tag=" + generate_tag() + "\r\n\r\n"));
}

}  // namespace
}  // namespace va::sip
