// The pure decisions under session timers, without sockets: RFC 4028 negotiation (session_timer.hpp). The
// UAC's digest answers are tested with the core (tests/unit/sip/uac_authentication_test.cpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sip/parser.hpp"
#include "sip/ua/session_timer.hpp"

namespace va::sip {
namespace {

Message parse(const std::string& text) {
  auto parsed = parse_message(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return std::move(parsed).value();
}

Message invite(const std::string& extra) {
  return parse(
      "INVITE sip:+4930123@192.0.2.10 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
      "From: <sip:alice@192.0.2.1>;tag=a\r\n"
      "To: <sip:+4930123@192.0.2.10>\r\n"
      "Call-ID: st@192.0.2.1\r\n"
      "CSeq: 1 INVITE\r\n"
      "Contact: <sip:alice@192.0.2.1>\r\n" +
      extra + "Content-Length: 0\r\n\r\n");
}

TEST(SessionTimer, AnIntervalBelowOurMinSeIsTooSmall) {
  auto answer = answer_session_timer(invite("Session-Expires: 60\r\n"), SessionTimerSettings{});
  EXPECT_TRUE(answer.too_small);
  EXPECT_EQ(answer.min_se, 90u);
}

TEST(SessionTimer, APeerSupportingTimersRefreshesUnlessItSaysOtherwise) {
  auto answer = answer_session_timer(invite("Supported: timer\r\nSession-Expires: 1800\r\n"), {});
  ASSERT_TRUE(answer.echo);
  EXPECT_EQ(answer.echo->to_string(), "1800;refresher=uac");
  EXPECT_TRUE(answer.require_timer);
  ASSERT_TRUE(answer.timer);
  EXPECT_FALSE(answer.timer->we_refresh);
  // The other side ends the session at interval - min(32 s, interval / 3) (RFC 4028 §10).
  EXPECT_EQ(answer.timer->expire_after(), std::chrono::seconds(1768));

  auto ours = answer_session_timer(invite("Supported: timer\r\nx: 600;refresher=uas\r\n"), {});
  ASSERT_TRUE(ours.timer);
  EXPECT_TRUE(ours.timer->we_refresh);
  EXPECT_EQ(ours.timer->refresh_after(), std::chrono::seconds(300));
}

TEST(SessionTimer, APeerWithoutTimerSupportLeavesTheRefreshToUs) {
  // A proxy asked for the timer (RFC 4028 §9): the UAC cannot refresh, so we do, without Require.
  auto answer = answer_session_timer(invite("Session-Expires: 1800;refresher=uac\r\n"), {});
  ASSERT_TRUE(answer.echo);
  EXPECT_EQ(answer.echo->to_string(), "1800;refresher=uas");
  EXPECT_FALSE(answer.require_timer);
  EXPECT_TRUE(answer.timer->we_refresh);
}

TEST(SessionTimer, NoOrMalformedSessionExpiresMeansNoTimer) {
  EXPECT_FALSE(answer_session_timer(invite(""), {}).timer);
  EXPECT_FALSE(answer_session_timer(invite("Session-Expires: soon\r\n"), {}).timer);
  EXPECT_FALSE(answer_session_timer(invite("Session-Expires: 0\r\n"), {}).timer);
  SessionTimerSettings off;
  off.enabled = false;
  EXPECT_FALSE(answer_session_timer(invite("Session-Expires: 1800\r\n"), off).timer);
}

}  // namespace
}  // namespace va::sip
