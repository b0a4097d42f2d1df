#include "livekit/webhook_verifier.hpp"

#include <gtest/gtest.h>

#include <string>

namespace va::livekit {
namespace {

constexpr UnixSeconds kNow = 1700000000;
const std::string kBody =
    R"({"event":"room_started","room":{"name":"r"},"id":"EV_1","createdAt":"1700000000"})";

WebhookVerifier verifier() {
  return WebhookVerifier({{"APIkey", "secret"}, {"APIother", "other-secret"}});
}

std::string sign(std::string_view body, const std::string& key = "APIkey",
                 const std::string& secret = "secret", UnixSeconds not_before = kNow,
                 UnixSeconds expires_at = kNow + 300) {
  AccessTokenClaims claims;
  claims.api_key = key;
  claims.sha256 = webhook_body_hash(body);
  claims.not_before = not_before;
  claims.expires_at = expires_at;
  return mint_access_token(claims, secret);
}

std::optional<WebhookRejection> rejection(std::string_view authorization, std::string_view body,
                                          UnixSeconds now = kNow) {
  auto failure = verifier().verify(authorization, body, now);
  if (failure) {
    if (authorization.size() > 8) {
      EXPECT_EQ(failure->message.find(std::string(authorization)), std::string::npos)
          << "the message must not echo the token";
    }
    return failure->reason;
  }
  return std::nullopt;
}

TEST(WebhookVerifier, BodyHashIsBase64OfSha256) {
  // printf '' | sha256sum | xxd -r -p | base64
  EXPECT_EQ(webhook_body_hash(""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  // printf 'abc' | openssl dgst -sha256 -binary | base64
  EXPECT_EQ(webhook_body_hash("abc"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
}

TEST(WebhookVerifier, AcceptsASignedBodyFromEitherKey) {
  EXPECT_EQ(rejection(sign(kBody), kBody), std::nullopt);
  EXPECT_EQ(rejection(sign(kBody, "APIother", "other-secret"), kBody), std::nullopt);
}

TEST(WebhookVerifier, ToleratesABearerPrefix) {
  EXPECT_EQ(rejection("Bearer " + sign(kBody), kBody), std::nullopt);
  EXPECT_EQ(rejection("bearer  " + sign(kBody), kBody), std::nullopt);
}

TEST(WebhookVerifier, RejectsAMissingHeader) {
  EXPECT_EQ(rejection("", kBody), WebhookRejection::missing_authorization);
  EXPECT_EQ(rejection("   ", kBody), WebhookRejection::missing_authorization);
}

TEST(WebhookVerifier, RejectsMalformedTokens) {
  EXPECT_EQ(rejection("not-a-jwt", kBody), WebhookRejection::malformed_token);
  EXPECT_EQ(rejection("a.b.c", kBody), WebhookRejection::malformed_token);
  EXPECT_EQ(rejection("Bearer", kBody), WebhookRejection::malformed_token);
}

TEST(WebhookVerifier, RejectsAnUnknownKey) {
  EXPECT_EQ(rejection(sign(kBody, "APIstranger", "secret"), kBody), WebhookRejection::unknown_key);
}

TEST(WebhookVerifier, RejectsAForgedSignature) {
  EXPECT_EQ(rejection(sign(kBody, "APIkey", "wrong-secret"), kBody), WebhookRejection::bad_signature);
  auto token = sign(kBody);
  token.back() = token.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(rejection(token, kBody), WebhookRejection::bad_signature);
}

TEST(WebhookVerifier, RejectsATamperedBody) {
  auto tampered = kBody;
  tampered.replace(tampered.find("\"r\""), 3, "\"x\"");
  EXPECT_EQ(rejection(sign(kBody), tampered), WebhookRejection::body_hash_mismatch);
  EXPECT_EQ(rejection(sign(kBody), kBody + " "), WebhookRejection::body_hash_mismatch);
  EXPECT_EQ(rejection(sign(kBody), ""), WebhookRejection::body_hash_mismatch);
}

TEST(WebhookVerifier, RejectsATokenWithoutBodyHash) {
  AccessTokenClaims claims;
  claims.api_key = "APIkey";
  claims.identity = "someone";
  claims.not_before = kNow;
  claims.expires_at = kNow + 300;
  EXPECT_EQ(rejection(mint_access_token(claims, "secret"), kBody), WebhookRejection::missing_body_hash);
}

TEST(WebhookVerifier, AllowsSixtySecondsOfClockSkewAndNoMore) {
  auto token = sign(kBody);  // valid kNow … kNow + 300
  EXPECT_EQ(rejection(token, kBody, kNow + 300 + 60), std::nullopt);
  EXPECT_EQ(rejection(token, kBody, kNow + 300 + 61), WebhookRejection::expired);
  EXPECT_EQ(rejection(token, kBody, kNow - 60), std::nullopt);
  EXPECT_EQ(rejection(token, kBody, kNow - 61), WebhookRejection::not_yet_valid);
}

TEST(WebhookVerifier, NoKeysRejectsEverything) {
  WebhookVerifier none({});
  auto failure = none.verify(sign(kBody), kBody, kNow);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->reason, WebhookRejection::unknown_key);
}

}  // namespace
}  // namespace va::livekit
