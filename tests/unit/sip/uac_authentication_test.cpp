// The UAC's digest answers (uac_authentication.hpp), as outbound calls and the trunks' REGISTER client use
// them: which challenge is answered, when credentials count as refused, and their reuse with the next nonce
// count.
#include "sip/uac_authentication.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sip/digest.hpp"
#include "sip/parser.hpp"

namespace va::sip {
namespace {

using ::testing::HasSubstr;

Message parse(const std::string& text) {
  auto parsed = parse_message(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return std::move(parsed).value();
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

// A 401/407 to a REGISTER whose challenge header line is `challenge_line` (name and value, no CRLF).
Message register_challenge(int status, const std::string& challenge_line) {
  return parse("SIP/2.0 " + std::to_string(status) +
               " Challenge\r\n"
               "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK2\r\n"
               "From: <sip:va@192.0.2.10>;tag=b\r\n"
               "To: <sip:va@192.0.2.10>\r\n"
               "Call-ID: auth@192.0.2.10\r\n"
               "CSeq: 1 REGISTER\r\n" +
               challenge_line + "\r\nContent-Length: 0\r\n\r\n");
}

Message register_request() {
  auto request = Message::request("REGISTER", parse_uri("sip:sip.example.net").value());
  request.add_header("CSeq", "1 REGISTER");
  return request;
}

DigestCredentials sent(const Message& request, std::string_view header = "Authorization") {
  auto credentials = parse_digest_credentials(request.header(header).value_or(""));
  EXPECT_TRUE(credentials.ok()) << request.to_string();
  return credentials.ok() ? *credentials : DigestCredentials{};
}

TEST(UacAuthentication, AFreshNonceChallengedAgainMeansTheCredentialsWereRefused) {
  UacAuthentication auth({"alice", "wrong"});
  auto retry = register_request();
  std::string why;
  ASSERT_TRUE(auth.answer(challenge(401, "WWW-Authenticate", "n1"), retry, why)) << why;
  // The registrar hands out a new nonce with every challenge: the retry (still carrying our nc=1 answer)
  // drawing one more, without stale=true, is a refusal — not a reason to try n2, n3, ...
  EXPECT_FALSE(auth.answer(challenge(401, "WWW-Authenticate", "n2"), retry, why));
  EXPECT_TRUE(auth.refused());
  EXPECT_THAT(why, HasSubstr("refused"));
  // With stale=true the nonce merely expired: the new one is answered.
  ASSERT_TRUE(auth.answer(challenge(401, "WWW-Authenticate", "n3", ", stale=true"), retry, why)) << why;
  EXPECT_FALSE(auth.refused());
  EXPECT_EQ(sent(retry).nonce, "n3");
}

TEST(UacAuthentication, AReusedNonceChallengedMeansItExpiredAndTheNewOneIsAnswered) {
  UacAuthentication auth({"alice", "secret"});
  auto first = register_request();
  std::string why;
  ASSERT_TRUE(auth.answer(challenge(401, "WWW-Authenticate", "n1"), first, why)) << why;
  // A refresh reuses n1 with nc=2 (RFC 7616 §3.4.5) ...
  auto refresh = register_request();
  ASSERT_TRUE(auth.authorize(refresh));
  EXPECT_EQ(sent(refresh).nonce, "n1");
  EXPECT_EQ(sent(refresh).nc, 2u);
  EXPECT_TRUE(digest_credentials_valid(sent(refresh), "secret", "REGISTER"));
  // ... and a challenge to it with a new nonce is answered (the old one expired at the registrar).
  ASSERT_TRUE(auth.answer(challenge(401, "WWW-Authenticate", "n2"), refresh, why)) << why;
  EXPECT_EQ(sent(refresh).nonce, "n2");
  EXPECT_EQ(sent(refresh).nc, 1u);
  auto next = register_request();
  ASSERT_TRUE(auth.authorize(next));
  EXPECT_EQ(sent(next).nonce, "n2");
  EXPECT_EQ(sent(next).nc, 2u);
}

TEST(UacAuthentication, NothingToReuseBeforeAChallengeOrAfterForget) {
  UacAuthentication auth({"alice", "secret"});
  auto request = register_request();
  EXPECT_FALSE(auth.authorize(request));
  EXPECT_FALSE(request.header("Authorization").has_value());
  std::string why;
  ASSERT_TRUE(auth.answer(challenge(401, "WWW-Authenticate", "n1"), request, why)) << why;
  auth.forget();
  auto later = register_request();
  EXPECT_FALSE(auth.authorize(later));
  // After forget() the same nonce is a fresh one again.
  ASSERT_TRUE(auth.answer(challenge(401, "WWW-Authenticate", "n1"), later, why)) << why;
  EXPECT_EQ(sent(later).nc, 1u);
}

TEST(UacAuthentication, OnlyTheConfiguredRealmIsAnswered) {
  UacAuthentication auth({"alice", "secret", "exolve"});
  auto request = register_request();
  std::string why;
  EXPECT_FALSE(auth.answer(challenge(401, "WWW-Authenticate", "n1"), request, why));
  EXPECT_FALSE(auth.refused());
  EXPECT_THAT(why, HasSubstr("realm 'carrier'"));
  EXPECT_THAT(why, HasSubstr("'exolve'"));
  EXPECT_FALSE(request.header("Authorization").has_value());
}

TEST(UacAuthentication, AProxyAndAServerChallengeAreBothAnswered) {
  // A 407 from the outbound proxy, then a 401 from the registrar behind it: different realms, both answered,
  // neither mistaken for a refusal of the other.
  UacAuthentication auth({"alice", "secret"});
  auto request = register_request();
  std::string why;
  auto proxy =
      register_challenge(407, "Proxy-Authenticate: Digest realm=\"proxy\", nonce=\"p1\", qop=\"auth\"");
  ASSERT_TRUE(auth.answer(proxy, request, why)) << why;
  ASSERT_TRUE(auth.answer(challenge(401, "WWW-Authenticate", "s1"), request, why)) << why;
  EXPECT_EQ(sent(request, "Proxy-Authorization").nonce, "p1");
  EXPECT_EQ(sent(request).nonce, "s1");
}

TEST(UacAuthentication, AMalformedChallengeIsNotAnsweredAndSaysWhy) {
  UacAuthentication auth({"alice", "secret"});
  auto request = register_request();
  std::string why;
  auto unterminated = register_challenge(401, "WWW-Authenticate: Digest realm=\"x\", nonce=\"n1");
  EXPECT_FALSE(auth.answer(unterminated, request, why));
  EXPECT_THAT(why, HasSubstr("malformed challenge"));
  EXPECT_FALSE(request.header("Authorization").has_value());
  auto none = register_challenge(401, "WWW-Authenticate: Basic realm=\"x\"");
  EXPECT_FALSE(auth.answer(none, request, why));
  EXPECT_THAT(why, HasSubstr("no Digest challenge"));
  EXPECT_FALSE(auth.refused());
}

TEST(UacAuthentication, ALongLivedClientRemembersOnlyTheNewestNonces) {
  // A registration refreshed for months sees a new nonce now and then: the memory of answered nonces stays
  // bounded, and the newest ones are still recognised.
  UacAuthentication auth({"alice", "secret"});
  std::string why;
  for (int i = 0; i < 1000; ++i) {
    auto request = register_request();
    auth.authorize(request);
    ASSERT_TRUE(auth.answer(challenge(401, "WWW-Authenticate", "n" + std::to_string(i), ", stale=true"),
                            request, why))
        << i << ": " << why;
  }
  auto request = register_request();
  EXPECT_FALSE(auth.answer(challenge(401, "WWW-Authenticate", "n999"), request, why));
  EXPECT_TRUE(auth.refused());
  // The oldest nonce is forgotten: it reads as a fresh one.
  EXPECT_TRUE(auth.answer(challenge(401, "WWW-Authenticate", "n0"), request, why)) << why;
}

}  // namespace
}  // namespace va::sip
