// The harness itself against the real livekit-server: rooms over raw Twirp, SIP objects with Redis, and the
// error an operator gets when the server has no Redis.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/livekit_server.hpp"

namespace va::test {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> room_names(const nlohmann::json& list) {
  std::vector<std::string> names;
  for (const auto& room : list.value("rooms", nlohmann::json::array()))
    names.push_back(room.value("name", ""));
  return names;
}

TEST(LiveKitServerHarness, CreatesListsAndDeletesRoomsOverTwirp) {
  VA_REQUIRE_LIVEKIT();
  LiveKitServer server;
  long status = 0;
  auto created = server.twirp("RoomService", "CreateRoom", {{"name", "harness-room"}}, &status);
  ASSERT_EQ(status, 200) << created.dump();
  EXPECT_EQ(created.value("name", ""), "harness-room");
  EXPECT_THAT(created.value("sid", ""), ::testing::StartsWith("RM_"));
  EXPECT_THAT(room_names(server.twirp("RoomService", "ListRooms", nlohmann::json::object())),
              ::testing::ElementsAre("harness-room"));
  server.twirp("RoomService", "DeleteRoom", {{"room", "harness-room"}}, &status);
  EXPECT_EQ(status, 200);
  EXPECT_TRUE(room_names(server.twirp("RoomService", "ListRooms", nlohmann::json::object())).empty());
}

TEST(LiveKitServerHarness, SipObjectsAreStoredWithRedis) {
  VA_REQUIRE_LIVEKIT();
  LiveKitServer server;
  long status = 0;
  auto trunk = server.twirp("SIP", "CreateSIPInboundTrunk",
                            {{"trunk", {{"name", "exolve"}, {"numbers", {"+79991234567"}}}}}, &status);
  ASSERT_EQ(status, 200) << trunk.dump();
  auto id = trunk.value("sip_trunk_id", "");
  EXPECT_THAT(id, ::testing::StartsWith("ST_"));
  auto list = server.twirp("SIP", "ListSIPInboundTrunk", nlohmann::json::object(), &status);
  ASSERT_EQ(status, 200) << list.dump();
  ASSERT_EQ(list["items"].size(), 1u) << list.dump();
  EXPECT_EQ(list["items"][0]["sip_trunk_id"], id);
}

TEST(LiveKitServerHarness, WithoutRedisSipApisAnswerRedisRequired) {
  VA_REQUIRE_LIVEKIT();
  LiveKitServerOptions options;
  options.with_redis = false;
  LiveKitServer server(options);
  long status = 0;
  auto reply = server.twirp("SIP", "CreateSIPInboundTrunk",
                            {{"trunk", {{"name", "exolve"}, {"numbers", {"+79991234567"}}}}}, &status);
  // v1.13.5 wraps the error as an internal Twirp error (HTTP 500); the message is what operators search for.
  EXPECT_EQ(status, 500);
  EXPECT_EQ(reply.value("code", ""), "internal") << reply.dump();
  EXPECT_EQ(reply.value("msg", ""), "twirp error unknown: sip not connected (redis required)");
  // Reads fail the same way.
  reply = server.twirp("SIP", "ListSIPInboundTrunk", nlohmann::json::object(), &status);
  EXPECT_EQ(status, 500);
  EXPECT_THAT(reply.value("msg", ""), HasSubstr("sip not connected (redis required)"));
}

TEST(LiveKitServerHarness, AForeignTokenIsRefused) {
  VA_REQUIRE_LIVEKIT();
  LiveKitServer server;
  livekit::AccessTokenClaims claims;
  claims.api_key = server.api_key();
  claims.identity = "intruder";
  claims.video = livekit::VideoGrant{};
  claims.video->room_list = true;
  claims.not_before = 0;
  claims.expires_at = 4102444800;  // 2100
  long status = 0;
  server.twirp("RoomService", "ListRooms", nlohmann::json::object(), &status,
               livekit::mint_access_token(claims, "a-different-secret-of-sufficient-length"));
  EXPECT_EQ(status, 401);
}

}  // namespace
}  // namespace va::test
