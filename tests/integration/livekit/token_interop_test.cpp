// Access tokens across implementations: voice-agent's (library and `voice-agent token create`) against the
// official npm livekit-server-sdk (AccessToken / TokenVerifier) and the real livekit-server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "integration/binary.hpp"
#include "livekit/access_token.hpp"
#include "support/livekit_server.hpp"
#include "support/node_sdk.hpp"

namespace va::test {
namespace {

using livekit::AccessTokenClaims;
using ::testing::HasSubstr;

constexpr const char* kKey = "APIinteropKey01";
constexpr const char* kSecret = "interop-secret-0123456789abcdefghijklmnop";

#define VA_REQUIRE_NODE_SDK() \
  if (!NodeSdk::available()) FAIL() << NodeSdk::unavailable_reason()

livekit::UnixSeconds now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

AccessTokenClaims full_claims() {
  AccessTokenClaims c;
  c.api_key = kKey;
  c.identity = "sip_+79991234567";
  c.name = "Phone +79991234567";
  c.metadata = R"({"call":"abc"})";
  c.attributes = {{"sip.phoneNumber", "+79991234567"}, {"team", "support"}};
  c.kind = "agent";
  livekit::VideoGrant v;
  v.room_join = true;
  v.room = "call-42";
  v.can_publish = true;
  v.can_subscribe = false;
  v.can_publish_data = true;
  v.hidden = true;
  v.agent = true;
  c.video = v;
  c.sip = livekit::SipGrant{true, false};
  c.not_before = now() - 5;
  c.expires_at = now() + 3600;
  return c;
}

nlohmann::json sdk_verify(const std::string& token, const std::string& secret = kSecret) {
  return NodeSdk::run("verify-token.mjs", {{"apiKey", kKey}, {"apiSecret", secret}, {"token", token}});
}

TEST(TokenInterop, VoiceAgentTokensVerifyInTheSdkWithTheSameClaims) {
  VA_REQUIRE_NODE_SDK();
  auto claims = full_claims();
  auto verified = sdk_verify(livekit::mint_access_token(claims, kSecret));
  ASSERT_TRUE(verified.value("ok", false)) << verified.dump();
  const auto& c = verified["claims"];
  EXPECT_EQ(c["iss"], kKey);
  EXPECT_EQ(c["sub"], claims.identity);
  EXPECT_EQ(c["name"], claims.name);
  EXPECT_EQ(c["metadata"], claims.metadata);
  EXPECT_EQ(c["kind"], "agent");
  EXPECT_EQ(c["attributes"]["sip.phoneNumber"], "+79991234567");
  EXPECT_EQ(c["attributes"]["team"], "support");
  EXPECT_EQ(c["nbf"], claims.not_before);
  EXPECT_EQ(c["exp"], claims.expires_at);
  EXPECT_EQ(c["video"], (nlohmann::json{{"roomJoin", true},
                                        {"room", "call-42"},
                                        {"canPublish", true},
                                        {"canSubscribe", false},
                                        {"canPublishData", true},
                                        {"hidden", true},
                                        {"agent", true}}));
  EXPECT_EQ(c["sip"], (nlohmann::json{{"admin", true}, {"call", false}}));
}

TEST(TokenInterop, SdkRejectsVoiceAgentTokensThatAreForeignTamperedExpiredOrNotYetValid) {
  VA_REQUIRE_NODE_SDK();
  auto claims = full_claims();
  auto wrong = sdk_verify(livekit::mint_access_token(claims, kSecret), "another-secret-0123456789abcdefghij");
  EXPECT_FALSE(wrong.value("ok", true)) << wrong.dump();
  // Another key: the SDK checks `iss` against the key it was given.
  auto foreign = NodeSdk::run("verify-token.mjs", {{"apiKey", "APIotherKey01"},
                                                   {"apiSecret", kSecret},
                                                   {"token", livekit::mint_access_token(claims, kSecret)}});
  EXPECT_FALSE(foreign.value("ok", true)) << foreign.dump();
  auto tampered = livekit::mint_access_token(claims, kSecret);
  auto dot = tampered.find('.');
  tampered[dot + 5] = tampered[dot + 5] == 'A' ? 'B' : 'A';
  auto t = sdk_verify(tampered);
  EXPECT_FALSE(t.value("ok", true)) << t.dump();
  auto early = full_claims();
  early.not_before = now() + 3600;  // far beyond any clock tolerance
  early.expires_at = now() + 7200;
  auto not_yet = sdk_verify(livekit::mint_access_token(early, kSecret));
  EXPECT_FALSE(not_yet.value("ok", true)) << not_yet.dump();
  EXPECT_THAT(not_yet.value("error", ""), HasSubstr("nbf"));
  claims.not_before = now() - 7200;
  claims.expires_at = now() - 120;  // beyond any clock tolerance
  auto expired = sdk_verify(livekit::mint_access_token(claims, kSecret));
  EXPECT_FALSE(expired.value("ok", true)) << expired.dump();
  EXPECT_THAT(expired.value("error", ""), HasSubstr("exp"));
}

TEST(TokenInterop, SdkTokensVerifyInVoiceAgentWithTheSameClaims) {
  VA_REQUIRE_NODE_SDK();
  auto minted =
      NodeSdk::run("mint-token.mjs", {{"apiKey", kKey},
                                      {"apiSecret", kSecret},
                                      {"identity", "agent-7"},
                                      {"name", "Agent Seven"},
                                      {"metadata", "m"},
                                      {"attributes", {{"a", "1"}}},
                                      {"kind", "agent"},
                                      {"ttl", "10m"},
                                      {"video", {{"roomAdmin", true}, {"room", "r9"}, {"roomList", true}}},
                                      {"sip", {{"call", true}}}});
  auto token = minted.value("token", "");
  auto verified = livekit::verify_access_token(token, {{kKey, kSecret}}, now());
  ASSERT_TRUE(std::holds_alternative<AccessTokenClaims>(verified))
      << std::get<livekit::TokenRejection>(verified).message;
  const auto& c = std::get<AccessTokenClaims>(verified);
  EXPECT_EQ(c.api_key, kKey);
  EXPECT_EQ(c.identity, "agent-7");
  EXPECT_EQ(c.name, "Agent Seven");
  EXPECT_EQ(c.metadata, "m");
  EXPECT_EQ(c.kind, "agent");
  EXPECT_EQ(c.attributes.at("a"), "1");
  EXPECT_EQ(c.expires_at - c.not_before, 600);
  ASSERT_TRUE(c.video);
  EXPECT_EQ(c.video->room_admin, true);
  EXPECT_EQ(c.video->room, "r9");
  EXPECT_EQ(c.video->room_list, true);
  ASSERT_TRUE(c.sip);
  EXPECT_EQ(c.sip->call, true);

  // Rejections on our side: unknown key, wrong secret, tampered payload, expired beyond the leeway.
  auto rejected = [&](std::string_view t, const std::map<std::string, std::string>& keys,
                      livekit::UnixSeconds at) {
    auto r = livekit::verify_access_token(t, keys, at);
    return std::holds_alternative<livekit::TokenRejection>(r) ? std::get<livekit::TokenRejection>(r).error
                                                              : static_cast<livekit::TokenError>(-1);
  };
  EXPECT_EQ(rejected(token, {{"APIotherKey01", kSecret}}, now()), livekit::TokenError::unknown_key);
  EXPECT_EQ(rejected(token, {{kKey, "wrong-secret-0123456789abcdefghijkl"}}, now()),
            livekit::TokenError::bad_signature);
  auto tampered = token;
  auto dot = tampered.find('.');
  tampered[dot + 5] = tampered[dot + 5] == 'A' ? 'B' : 'A';
  auto t = rejected(tampered, {{kKey, kSecret}}, now());
  EXPECT_TRUE(t == livekit::TokenError::bad_signature || t == livekit::TokenError::malformed);
  EXPECT_EQ(rejected(token, {{kKey, kSecret}}, c.expires_at + 61), livekit::TokenError::expired);
  EXPECT_EQ(rejected(token, {{kKey, kSecret}}, c.not_before - 61), livekit::TokenError::not_yet_valid);
}

TEST(TokenInterop, TokenFromTheCliVerifiesInTheSdkAndIsAcceptedByTheServer) {
  VA_REQUIRE_NODE_SDK();
  VA_REQUIRE_LIVEKIT();
  LiveKitServer server;
  auto r = run({"token", "create", "--identity", "ops", "--grant", "list", "--grant", "create"},
               {{"LIVEKIT_API_KEY", server.api_key()}, {"LIVEKIT_API_SECRET", server.api_secret()}});
  ASSERT_TRUE(r.status.exited_with(0)) << r.err;
  auto token = r.out.substr(0, r.out.find('\n'));
  auto verified =
      NodeSdk::run("verify-token.mjs",
                   {{"apiKey", server.api_key()}, {"apiSecret", server.api_secret()}, {"token", token}});
  ASSERT_TRUE(verified.value("ok", false)) << verified.dump();
  EXPECT_EQ(verified["claims"]["video"]["roomList"], true);

  long status = 0;
  server.twirp("RoomService", "CreateRoom", {{"name", "cli-room"}}, &status, token);
  EXPECT_EQ(status, 200);
  auto rooms = server.twirp("RoomService", "ListRooms", nlohmann::json::object(), &status, token);
  EXPECT_EQ(status, 200);
  EXPECT_THAT(rooms.dump(), HasSubstr("cli-room"));
  // The same token lacks roomAdmin: the server refuses an admin call.
  server.twirp("RoomService", "ListParticipants", {{"room", "cli-room"}}, &status, token);
  EXPECT_EQ(status, 401);
}

}  // namespace
}  // namespace va::test
