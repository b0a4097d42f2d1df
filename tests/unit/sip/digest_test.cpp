#include "sip/digest.hpp"

#include <gtest/gtest.h>

#include "sip/digest_challenge.hpp"
#include "sip/parser.hpp"
#include "sip_test_text.hpp"

namespace va::sip {
namespace {
using test::crlf;

TEST(SipDigestChallenge, ParsesCarrierChallenge) {
  auto c = parse_digest_challenge(
      R"(Digest realm="sip.exolve.ru", nonce="X4nQ1V+Cw2lGcn0n", qop="auth,auth-int", algorithm=MD5, opaque="op,aq", stale=TRUE)");
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->realm, "sip.exolve.ru");
  EXPECT_EQ(c->nonce, "X4nQ1V+Cw2lGcn0n");
  EXPECT_EQ(c->opaque, "op,aq");
  EXPECT_EQ(c->algorithm, DigestAlgorithm::md5);
  ASSERT_EQ(c->qop.size(), 2u);
  EXPECT_TRUE(c->offers_qop("auth-int"));
  EXPECT_TRUE(c->stale);
  auto again = parse_digest_challenge(c->to_string());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->opaque, "op,aq");
  EXPECT_EQ(again->qop, c->qop);
}

TEST(SipDigestChallenge, AlgorithmsAndDefaults) {
  auto c = parse_digest_challenge(R"(digest nonce="n",realm="r",algorithm=sha-256-SESS)");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->algorithm, DigestAlgorithm::sha256_sess);
  auto d = parse_digest_challenge(R"(Digest realm="r", nonce="n")");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->algorithm, DigestAlgorithm::md5);
  EXPECT_TRUE(d->qop.empty());
  EXPECT_EQ(parse_digest_challenge(R"(Digest realm="r", nonce="n", algorithm=AKAv1-MD5)")->algorithm,
            DigestAlgorithm::unknown);
  for (const char* bad :
       {"Basic realm=\"r\"", "Digest", "Digest realm=\"r\"", "Digest realm=\"r, nonce=\"n\"",
        "Digest realm=r r, nonce=n", "Digestrealm=\"r\", nonce=\"n\"", "Digest realm"}) {
    EXPECT_FALSE(parse_digest_challenge(bad)) << bad;
  }
}

TEST(SipDigestChallenge, ChallengesOfAResponse) {
  auto m = parse_message(crlf(R"(SIP/2.0 401 Unauthorized
Via: SIP/2.0/UDP 203.0.113.10;branch=z9hG4bK1
From: <sip:u@r>;tag=1
To: <sip:u@r>;tag=2
Call-ID: c
CSeq: 1 REGISTER
WWW-Authenticate: Digest realm="r", nonce="a", algorithm=SHA-256, qop="auth"
WWW-Authenticate: Digest realm="r", nonce="a", algorithm=MD5, qop="auth"
WWW-Authenticate: Bearer realm="x"
Content-Length: 0

)"));
  ASSERT_TRUE(m);
  auto list = digest_challenges(*m);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].algorithm, DigestAlgorithm::sha256);
  EXPECT_EQ((*list)[1].algorithm, DigestAlgorithm::md5);
}

TEST(SipDigestCredentials, SerializeAndParse) {
  DigestCredentials c;
  c.username = "88314000001";
  c.realm = "sip.exolve.ru";
  c.nonce = "abc";
  c.uri = "sip:sip.exolve.ru";
  c.response = "0123456789abcdef0123456789abcdef";
  c.algorithm = "MD5";
  c.cnonce = "c\"n";
  c.opaque = "o";
  c.qop = "auth";
  c.nc = 0x1a;
  EXPECT_EQ(
      c.to_string(),
      R"(Digest username="88314000001", realm="sip.exolve.ru", nonce="abc", uri="sip:sip.exolve.ru", )"
      R"(response="0123456789abcdef0123456789abcdef", algorithm=MD5, cnonce="c\"n", opaque="o", qop=auth, nc=0000001a)");
  auto back = parse_digest_credentials(c.to_string());
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->cnonce, "c\"n");
  EXPECT_EQ(back->nc, 0x1au);
  EXPECT_EQ(back->qop, "auth");
  EXPECT_FALSE(parse_digest_credentials(R"(Digest username="a", realm="r", nonce="n", uri="u")"));
  EXPECT_FALSE(
      parse_digest_credentials(R"(Digest username="a", realm="r", nonce="n", uri="u", response="x", nc=1)"));
}

TEST(SipDigest, Rfc2617Example) {
  DigestResponseInput in;
  in.username = "Mufasa";
  in.realm = "testrealm@host.com";
  in.password = "Circle Of Life";
  in.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  in.method = "GET";
  in.uri = "/dir/index.html";
  in.qop = "auth";
  in.nc = 1;
  in.cnonce = "0a4f113b";
  EXPECT_EQ(digest_response(in), "6629fae49393a05397450978507c4ef1");
}

TEST(SipDigest, Rfc7616ExamplesMd5AndSha256) {
  DigestResponseInput in;
  in.username = "Mufasa";
  in.realm = "http-auth@example.org";
  in.password = "Circle of Life";
  in.nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  in.method = "GET";
  in.uri = "/dir/index.html";
  in.qop = "auth";
  in.nc = 1;
  in.cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  in.algorithm = DigestAlgorithm::md5;
  EXPECT_EQ(digest_response(in), "8ca523f5e9506fed4657c9700eebdbec");
  in.algorithm = DigestAlgorithm::sha256;
  EXPECT_EQ(digest_response(in), "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  in.algorithm = DigestAlgorithm::unknown;
  EXPECT_FALSE(digest_response(in));
}

TEST(SipDigest, AnswerChallengeAndVerify) {
  auto challenge = parse_digest_challenge(
      R"(Digest realm="sip.exolve.ru", nonce="n0nce", qop="auth", algorithm=SHA-256, opaque="xyz")");
  ASSERT_TRUE(challenge);
  DigestAnswer a;
  a.username = "88314000001";
  a.password = "s3cret";
  a.method = "REGISTER";
  a.uri = "sip:sip.exolve.ru";
  a.nc = 2;
  auto creds = answer_digest_challenge(*challenge, a);
  ASSERT_TRUE(creds);
  EXPECT_EQ(creds->qop, "auth");
  EXPECT_EQ(creds->algorithm, "SHA-256");
  EXPECT_EQ(creds->opaque, "xyz");
  EXPECT_EQ(creds->cnonce.size(), 16u);
  EXPECT_EQ(creds->response.size(), 64u);
  // The server side recomputes the same response from what went over the wire.
  auto received = parse_digest_credentials(creds->to_string());
  ASSERT_TRUE(received);
  EXPECT_TRUE(digest_credentials_valid(*received, "s3cret", "REGISTER"));
  EXPECT_FALSE(digest_credentials_valid(*received, "wrong", "REGISTER"));
  EXPECT_FALSE(digest_credentials_valid(*received, "s3cret", "INVITE"));

  // Without qop (RFC 2069 style) there is no cnonce and no nc.
  auto old_style = parse_digest_challenge(R"(Digest realm="r", nonce="n")");
  auto plain = answer_digest_challenge(*old_style, a);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->to_string().find("nc="), std::string::npos);
  EXPECT_TRUE(digest_credentials_valid(*plain, "s3cret", "REGISTER"));

  auto only_int = parse_digest_challenge(R"(Digest realm="r", nonce="n", qop="auth-int")");
  a.body = "v=0\r\n";
  auto with_body = answer_digest_challenge(*only_int, a);
  ASSERT_TRUE(with_body);
  EXPECT_EQ(with_body->qop, "auth-int");
  EXPECT_TRUE(digest_credentials_valid(*with_body, "s3cret", "REGISTER", "v=0\r\n"));
  EXPECT_FALSE(digest_credentials_valid(*with_body, "s3cret", "REGISTER", "v=1\r\n"));

  auto unsupported = parse_digest_challenge(R"(Digest realm="r", nonce="n", qop="auth-conf")");
  EXPECT_FALSE(answer_digest_challenge(*unsupported, a));
}

}  // namespace
}  // namespace va::sip
