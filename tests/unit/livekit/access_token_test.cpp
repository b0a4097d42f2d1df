#include "livekit/access_token.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace va::livekit {
namespace {

constexpr UnixSeconds kNow = 1700000000;
const std::map<std::string, std::string> kKeys{{"APIkey", "secret"}, {"other", "other-secret"}};

AccessTokenClaims alice() {
  AccessTokenClaims c;
  c.api_key = "APIkey";
  c.identity = "alice";
  c.name = "Alice";
  c.not_before = kNow;
  c.expires_at = kNow + 3600;
  c.video = VideoGrant{};
  c.video->room_join = true;
  c.video->room = "r1";
  return c;
}

TokenError error_of(const std::string& token, UnixSeconds now = kNow) {
  auto result = verify_access_token(token, kKeys, now);
  EXPECT_TRUE(std::holds_alternative<TokenRejection>(result)) << token;
  if (!std::holds_alternative<TokenRejection>(result)) return TokenError::malformed;
  return std::get<TokenRejection>(result).error;
}

std::string segment(const std::string& token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  return token.substr(start, token.find('.', start) - start);
}

TEST(AccessToken, MatchesAnIndependentlyComputedToken) {
  // Computed with python3 hmac/hashlib/base64 from the same claims (keys sorted, compact JSON).
  EXPECT_EQ(
      mint_access_token(alice(), "secret"),
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
      "eyJleHAiOjE3MDAwMDM2MDAsImlzcyI6IkFQSWtleSIsImp0aSI6ImFsaWNlIiwibmFtZSI6IkFsaWNlIiwibmJmIjoxNzAwMDAw"
      "MDAwLCJzdWIiOiJhbGljZSIsInZpZGVvIjp7InJvb20iOiJyMSIsInJvb21Kb2luIjp0cnVlfX0."
      "M59NvGrw-ddVVtE-QTJ_fjp9iCN_Z9RiGLsUymaHI9Q");
}

TEST(AccessToken, RoundTripsEveryClaim) {
  auto c = alice();
  c.metadata = "{\"x\":1}";
  c.attributes = {{"sip.callID", "abc"}, {"k", "v"}};
  c.kind = "agent";
  c.sha256 = "aGFzaA==";
  c.video->can_publish = true;
  c.video->can_subscribe = false;
  c.video->agent = true;
  c.sip = SipGrant{true, std::nullopt};
  auto result = verify_access_token(mint_access_token(c, "secret"), kKeys, kNow);
  ASSERT_TRUE(std::holds_alternative<AccessTokenClaims>(result));
  const auto& got = std::get<AccessTokenClaims>(result);
  EXPECT_EQ(got.api_key, "APIkey");
  EXPECT_EQ(got.identity, "alice");
  EXPECT_EQ(got.name, "Alice");
  EXPECT_EQ(got.metadata, c.metadata);
  EXPECT_EQ(got.attributes, c.attributes);
  EXPECT_EQ(got.kind, "agent");
  EXPECT_EQ(got.sha256, c.sha256);
  EXPECT_EQ(got.video, c.video);
  EXPECT_EQ(got.sip, c.sip);
  EXPECT_EQ(got.not_before, kNow);
  EXPECT_EQ(got.expires_at, kNow + 3600);
}

TEST(AccessToken, GrantsUseLiveKitNamesAndOmitUnsetFields) {
  VideoGrant v;
  v.room_join = true;
  v.room = "r";
  v.can_publish_data = false;
  v.room_create = true;
  v.room_admin = true;
  v.room_list = true;
  v.can_publish = true;
  v.can_subscribe = true;
  v.hidden = true;
  v.agent = true;
  EXPECT_EQ(to_json(v), nlohmann::json::parse(R"({"roomJoin":true,"room":"r","canPublishData":false,
      "roomCreate":true,"roomAdmin":true,"roomList":true,"canPublish":true,"canSubscribe":true,
      "hidden":true,"agent":true})"));
  EXPECT_EQ(to_json(VideoGrant{}), nlohmann::json::object());
  EXPECT_EQ(to_json(SipGrant{std::nullopt, true}), nlohmann::json::parse(R"({"call":true})"));

  auto c = alice();
  c.video.reset();
  const auto payload = nlohmann::json::parse(*base64url_decode(segment(mint_access_token(c, "s"), 1)));
  EXPECT_FALSE(payload.contains("video"));
  EXPECT_FALSE(payload.contains("sip"));
  EXPECT_FALSE(payload.contains("metadata"));
  EXPECT_EQ(payload["jti"], "alice");
}

TEST(AccessToken, RejectsATamperedPayload) {
  const auto token = mint_access_token(alice(), "secret");
  auto c = alice();
  c.identity = "mallory";
  const auto other = mint_access_token(c, "secret");
  const auto tampered = segment(token, 0) + "." + segment(other, 1) + "." + segment(token, 2);
  EXPECT_EQ(error_of(tampered), TokenError::bad_signature);
}

TEST(AccessToken, RejectsTheWrongSecret) {
  EXPECT_EQ(error_of(mint_access_token(alice(), "not-the-secret")), TokenError::bad_signature);
}

TEST(AccessToken, RejectsAnUnknownIssuer) {
  auto c = alice();
  c.api_key = "stranger";
  EXPECT_EQ(error_of(mint_access_token(c, "secret")), TokenError::unknown_key);
}

TEST(AccessToken, RejectsAlgorithmsOtherThanHs256) {
  const auto payload = segment(mint_access_token(alice(), "secret"), 1);
  EXPECT_EQ(error_of(base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + payload + "."),
            TokenError::wrong_algorithm);
  EXPECT_EQ(error_of(base64url_encode(R"({"alg":"RS256"})") + "." + payload + ".c2ln"),
            TokenError::wrong_algorithm);
  EXPECT_EQ(error_of(base64url_encode(R"({"typ":"JWT"})") + "." + payload + ".c2ln"),
            TokenError::wrong_algorithm);
}

TEST(AccessToken, AppliesSixtySecondsOfLeewayToExpiry) {
  const auto token = mint_access_token(alice(), "secret");
  EXPECT_TRUE(std::holds_alternative<AccessTokenClaims>(verify_access_token(token, kKeys, kNow + 3600 + 60)));
  EXPECT_EQ(error_of(token, kNow + 3600 + 61), TokenError::expired);
}

TEST(AccessToken, AppliesSixtySecondsOfLeewayToNotBefore) {
  const auto token = mint_access_token(alice(), "secret");
  EXPECT_TRUE(std::holds_alternative<AccessTokenClaims>(verify_access_token(token, kKeys, kNow - 60)));
  EXPECT_EQ(error_of(token, kNow - 61), TokenError::not_yet_valid);
}

TEST(AccessToken, RejectsMalformedTokensWithoutThrowing) {
  const auto token = mint_access_token(alice(), "secret");
  EXPECT_EQ(error_of(""), TokenError::malformed);
  EXPECT_EQ(error_of("abc"), TokenError::malformed);
  EXPECT_EQ(error_of("a.b"), TokenError::malformed);
  EXPECT_EQ(error_of(token + ".x"), TokenError::malformed);
  EXPECT_EQ(error_of("!!!." + segment(token, 1) + "." + segment(token, 2)), TokenError::malformed);
  EXPECT_EQ(error_of(segment(token, 0) + ".e30=." + segment(token, 2)), TokenError::malformed);
  EXPECT_EQ(error_of(base64url_encode("{not json") + "." + segment(token, 1) + "." + segment(token, 2)),
            TokenError::malformed);
  EXPECT_EQ(error_of(segment(token, 0) + "." + base64url_encode("[1,2]") + "." + segment(token, 2)),
            TokenError::malformed);
  EXPECT_EQ(error_of(segment(token, 0) + "." + segment(token, 1) + ".c2ln"), TokenError::bad_signature);
}

TEST(Base64Url, EncodesWithoutPaddingAndRejectsNonCanonicalInput) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff"));
  EXPECT_EQ(base64url_decode("Zm9v"), "foo");
  EXPECT_FALSE(base64url_decode("Zg=="));
  EXPECT_FALSE(base64url_decode("Z"));
  EXPECT_FALSE(base64url_decode("Zh"));  // non-zero leftover bits
}

}  // namespace
}  // namespace va::livekit
