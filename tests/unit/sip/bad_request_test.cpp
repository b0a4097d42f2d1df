#include "sip/bad_request.hpp"

#include <gtest/gtest.h>

#include "sip/parser.hpp"
#include "sip_test_text.hpp"

namespace va::sip {
namespace {
using test::crlf;

std::string invite_with(std::string_view extra,
                        std::string_view start = "INVITE sip:agent@192.0.2.5 SIP/2.0") {
  return std::string(start) + "\r\n" + crlf(R"(Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bK-bad;rport
From: <sip:caller@example.com>;tag=b1
To: <sip:agent@example.net>
Call-ID: bad-1@198.51.100.7
CSeq: 1 INVITE
)") + std::string(extra) +
         "Content-Length: 0\r\n\r\n";
}

std::optional<Message> answer(const std::string& raw) {
  auto parsed = parse_message(raw);
  if (parsed) {
    auto missing = check_mandatory_headers(*parsed);
    if (!missing) return std::nullopt;
    return make_bad_request_response(raw, *missing);
  }
  return make_bad_request_response(raw, parsed.error());
}

TEST(SipBadRequest, AnswersMalformedContactWithReason) {
  std::string raw = invite_with("Contact: <sip:caller@198.51.100.7\r\n");
  auto r = answer(raw);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 400);
  EXPECT_EQ(r->reason(), "Malformed Contact Header");
  EXPECT_EQ(r->top_via()->branch(), "z9hG4bK-bad");
  EXPECT_EQ(r->call_id().value(), "bad-1@198.51.100.7");
  EXPECT_EQ(r->cseq()->number, 1u);
  EXPECT_TRUE(r->to()->tag());
  EXPECT_EQ(r->from()->tag(), "b1");
  EXPECT_TRUE(parse_message(r->to_string()));
}

TEST(SipBadRequest, AnswersBadRequestUriGarbageLinesAndTruncatedBodies) {
  EXPECT_EQ(answer(invite_with("", "INVITE sip:agent@bad host SIP/2.0"))->status(), 400);
  auto garbage = answer(invite_with("this is not a header\r\n"));
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->reason(), "Malformed Header Line");
  std::string truncated = invite_with("");
  truncated.replace(truncated.find("Content-Length: 0"), 17, "Content-Length: 99");
  EXPECT_EQ(answer(truncated)->reason(), "Body Shorter Than Content-Length");
  auto mismatch = answer(invite_with("", "BYE sip:agent@192.0.2.5 SIP/2.0"));
  ASSERT_TRUE(mismatch);
  EXPECT_EQ(mismatch->reason(), "CSeq Method Mismatch");
  EXPECT_EQ(answer(invite_with("", "INVITE sip:agent@192.0.2.5 SIP/3.0"))->status(), 505);
}

TEST(SipBadRequest, CannotAnswerWithoutCoreHeadersOrForAckAndResponses) {
  std::string no_call_id = invite_with("");
  no_call_id.erase(no_call_id.find("Call-ID:"), std::string("Call-ID: bad-1@198.51.100.7\r\n").size());
  EXPECT_FALSE(answer(no_call_id));
  std::string bad_via = invite_with("Contact: <sip:x\r\n");
  bad_via.replace(bad_via.find("SIP/2.0/UDP"), 11, "SIP/2.0 UDP");
  EXPECT_FALSE(answer(bad_via));
  std::string ack = invite_with("Contact: <sip:x\r\n", "ACK sip:agent@192.0.2.5 SIP/2.0");
  EXPECT_FALSE(answer(ack));
  EXPECT_FALSE(make_bad_request_response("SIP/2.0 200 OK\r\nVia: x\r\n\r\n", ParseError{}));
  EXPECT_FALSE(make_bad_request_response("", ParseError{}));
  EXPECT_FALSE(make_bad_request_response("\x01\x02\x03", ParseError{}));
}

}  // namespace
}  // namespace va::sip
