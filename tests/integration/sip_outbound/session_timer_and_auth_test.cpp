// The pure decisions under outbound calls and session timers, without sockets: RFC 4028 negotiation
// (session_timer.hpp) and the UAC's digest answers (uac_authentication.hpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sip/digest.hpp"
#include "sip/parser.hpp"
#include "sip/ua/session_timer.hpp"
#include "sip/uac_authentication.hpp"

namespace va::sip {
namespace {

using ::testing::HasSubstr;

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

Message challenge(int status, const std::string& header, const std::string& nonce,
                  const std::string& extra = {}) {
  return parse("SIP/2.0 " + std::to_string(status) +
               " Challenge\r\n"
               "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK2\r\n"
               "From: <sip:va@192.0.2.10>;tag=b\r\n"
               "To: <sip:+4930123@192.0.2.20>;tag=c\r\n"
               "Call-ID: auth@192.0.2.10\r\n"
               "CSeq: 1 INVITE\r\n" +
               header + ": Digest realm=\"carrier\", nonce=\"" + nonce + "\", qop=\"auth\"" + extra +
               "\r\nContent-Length: 0\r\n\r\n");
}

TEST(UacAuthentication, EachNonceIsAnsweredOnceUnlessStale) {
  UacAuthentication auth({"alice", "secret"});
  auto retry = Message::request("INVITE", parse_uri("sip:+4930123@192.0.2.20").value());
  std::string why;
  ASSERT_TRUE(auth.answer(challenge(401, "WWW-Authenticate", "n1"), retry, why)) << why;
  auto credentials = parse_digest_credentials(retry.header("Authorization").value_or(""));
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->nc, 1u);
  EXPECT_EQ(credentials->uri, "sip:+4930123@192.0.2.20");
  EXPECT_TRUE(digest_credentials_valid(*credentials, "secret", "INVITE"));

  // The same nonce again: the credentials were refused.
  EXPECT_FALSE(auth.answer(challenge(401, "WWW-Authenticate", "n1"), retry, why));
  EXPECT_THAT(why, HasSubstr("refused"));
  // stale=true: the nonce expired, the password was right; the count goes on (RFC 7616 §3.4).
  ASSERT_TRUE(auth.answer(challenge(401, "WWW-Authenticate", "n1", ", stale=true"), retry, why)) << why;
  EXPECT_EQ(parse_digest_credentials(retry.header("Authorization").value_or(""))->nc, 2u);
}

TEST(UacAuthentication, A407IsAnsweredInProxyAuthorizationWithTheStrongestAlgorithm) {
  auto response = parse(
      "SIP/2.0 407 Proxy Authentication Required\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK2\r\n"
      "From: <sip:va@192.0.2.10>;tag=b\r\n"
      "To: <sip:+4930123@192.0.2.20>;tag=c\r\n"
      "Call-ID: auth@192.0.2.10\r\n"
      "CSeq: 1 INVITE\r\n"
      "Proxy-Authenticate: Digest realm=\"p\", nonce=\"m\", qop=\"auth\", algorithm=MD5\r\n"
      "Proxy-Authenticate: Digest realm=\"p\", nonce=\"s\", qop=\"auth\", algorithm=SHA-256\r\n"
      "Content-Length: 0\r\n\r\n");
  UacAuthentication auth({"bob", "pw"});
  auto retry = Message::request("INVITE", parse_uri("sip:+4930123@192.0.2.20").value());
  std::string why;
  ASSERT_TRUE(auth.answer(response, retry, why)) << why;
  EXPECT_FALSE(retry.header("Authorization").has_value());
  auto credentials = parse_digest_credentials(retry.header("Proxy-Authorization").value_or(""));
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->algorithm, "SHA-256");
  EXPECT_EQ(credentials->nonce, "s");
  EXPECT_TRUE(digest_credentials_valid(*credentials, "pw", "INVITE"));
}

TEST(UacAuthentication, AChallengeWithoutADigestWeSpeakIsNotAnswered) {
  UacAuthentication auth({"alice", "secret"});
  auto retry = Message::request("INVITE", parse_uri("sip:x@192.0.2.20").value());
  std::string why;
  EXPECT_FALSE(auth.answer(challenge(401, "WWW-Authenticate", "n", ", algorithm=AKAv1-MD5"), retry, why));
  EXPECT_FALSE(retry.header("Authorization").has_value());
}

}  // namespace
}  // namespace va::sip
