// voice-agent's LiveKit server API client (Twirp) against the real livekit-server: RoomService,
// AgentDispatchService and the SIP service, and the typed errors with hints an operator sees when the
// server is misconfigured, unreachable or refuses the credentials.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "livekit/agent_dispatch_service.hpp"
#include "livekit/room_service.hpp"
#include "livekit/sip_service.hpp"
#include "livekit/twirp_client.hpp"
#include "support/livekit_server.hpp"
#include "support/running_http_server.hpp"

namespace va::livekit {
namespace {

using test::LiveKitServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using test::ok;

ServerEndpoint endpoint_of(const LiveKitServer& server) {
  return {server.ws_url(), server.api_key(), server.api_secret()};
}

TEST(LiveKitApi, RoomServiceManagesRoomsAndMetadata) {
  VA_REQUIRE_LIVEKIT();
  LiveKitServer server;
  TwirpClient client(endpoint_of(server));  // ws:// is turned into http:// for the API
  RoomService rooms(client);
  CreateRoomRequest create;
  create.name = "call-1";
  create.empty_timeout = 120;
  create.max_participants = 3;
  create.metadata = R"({"caller":"+79991234567"})";
  const auto& room = ok(rooms.create_room(create));
  EXPECT_EQ(room.name, "call-1");
  EXPECT_THAT(room.sid, ::testing::StartsWith("RM_"));
  EXPECT_EQ(room.empty_timeout, 120u);
  EXPECT_EQ(room.max_participants, 3u);
  EXPECT_EQ(room.metadata, create.metadata);
  EXPECT_GT(room.creation_time, 0);

  ok(rooms.create_room({.name = "call-2"}));
  std::vector<std::string> names;
  for (const auto& r : ok(rooms.list_rooms())) names.push_back(r.name);
  std::sort(names.begin(), names.end());
  EXPECT_THAT(names, ElementsAre("call-1", "call-2"));
  EXPECT_EQ(ok(rooms.list_rooms({"call-2"})).size(), 1u);

  EXPECT_EQ(ok(rooms.update_room_metadata("call-1", "updated")).metadata, "updated");
  EXPECT_THAT(ok(rooms.list_participants("call-1")), IsEmpty());
  SendDataRequest data;
  data.room = "call-1";
  data.data = std::string("\x00\x01hello\xff", 8);
  data.topic = "dtmf";
  EXPECT_TRUE(rooms.send_data(data).ok());

  EXPECT_TRUE(rooms.delete_room("call-1").ok());
  EXPECT_EQ(ok(rooms.list_rooms()).size(), 1u);
}

TEST(LiveKitApi, ParticipantCallsOnAbsentParticipantsAreNotFound) {
  VA_REQUIRE_LIVEKIT();
  LiveKitServer server;
  TwirpClient client(endpoint_of(server));
  RoomService rooms(client);
  ok(rooms.create_room({.name = "empty"}));
  auto get = rooms.get_participant("empty", "sip_+79990000000");
  ASSERT_FALSE(get.ok());
  EXPECT_EQ(get.error().code, ApiErrorCode::not_found);
  EXPECT_EQ(get.error().http_status, 404u);
  EXPECT_EQ(get.error().method, "livekit.RoomService/GetParticipant");
  auto update = rooms.update_participant({.room = "empty", .identity = "nobody", .metadata = "x"});
  ASSERT_FALSE(update.ok());
  EXPECT_EQ(update.error().code, ApiErrorCode::not_found);
  auto remove = rooms.remove_participant("empty", "nobody");
  ASSERT_FALSE(remove.ok());
  EXPECT_EQ(remove.error().code, ApiErrorCode::not_found);
}

TEST(LiveKitApi, AgentDispatchesAreCreatedListedAndDeleted) {
  VA_REQUIRE_LIVEKIT();
  LiveKitServer server;
  TwirpClient client(endpoint_of(server));
  RoomService rooms(client);
  AgentDispatchService dispatch(client);
  ok(rooms.create_room({.name = "support"}));
  const auto& created = ok(dispatch.create_dispatch("support", "voice-agent", R"({"flow":"main"})"));
  EXPECT_THAT(created.id, ::testing::StartsWith("AD_"));
  EXPECT_EQ(created.agent_name, "voice-agent");
  EXPECT_EQ(created.room, "support");
  auto listed = ok(dispatch.list_dispatch("support"));
  auto ours =
      std::find_if(listed.begin(), listed.end(), [&](const AgentDispatch& d) { return d.id == created.id; });
  ASSERT_NE(ours, listed.end());
  EXPECT_EQ(ours->metadata, R"({"flow":"main"})");
  EXPECT_EQ(ok(dispatch.delete_dispatch(created.id, "support")).id, created.id);
  listed = ok(dispatch.list_dispatch("support"));
  EXPECT_TRUE(
      std::none_of(listed.begin(), listed.end(), [&](const AgentDispatch& d) { return d.id == created.id; }));
}

TEST(LiveKitApi, SipTrunksAndDispatchRulesRoundTrip) {
  VA_REQUIRE_LIVEKIT();
  LiveKitServer server;
  TwirpClient client(endpoint_of(server));
  SipService sip(client);

  SipInboundTrunk inbound;
  inbound.name = "exolve-inbound";
  inbound.metadata = "m";
  inbound.numbers = {"+79991234567"};
  inbound.allowed_addresses = {"80.75.130.0/24"};
  inbound.headers_to_attributes = {{"X-Exolve-Call-Id", "exolve.callId"}};
  auto created = ok(sip.create_inbound_trunk(inbound));
  EXPECT_THAT(created.id, ::testing::StartsWith("ST_"));
  inbound.id = created.id;
  EXPECT_EQ(created, inbound);
  EXPECT_EQ(ok(sip.get_inbound_trunk(created.id)), inbound);
  inbound.numbers.push_back("+79997654321");
  inbound.auth_username = "exolve";
  inbound.auth_password = "digest-secret";
  EXPECT_EQ(ok(sip.update_inbound_trunk(inbound)), inbound);
  EXPECT_THAT(ok(sip.list_inbound_trunks()), ElementsAre(inbound));

  SipOutboundTrunk outbound;
  outbound.name = "exolve-outbound";
  outbound.address = "sip.exolve.ru:5060";
  outbound.transport = SipTransport::udp;
  outbound.numbers = {"+79991234567"};
  outbound.auth_username = "883140000000000";
  outbound.auth_password = "secret";
  auto out_created = ok(sip.create_outbound_trunk(outbound));
  outbound.id = out_created.id;
  EXPECT_EQ(out_created, outbound);
  outbound.transport = SipTransport::tcp;
  EXPECT_EQ(ok(sip.update_outbound_trunk(outbound)), outbound);
  EXPECT_EQ(ok(sip.get_outbound_trunk(outbound.id)), outbound);
  EXPECT_THAT(ok(sip.list_outbound_trunks()), ElementsAre(outbound));

  SipDispatchRule rule;
  rule.name = "exolve-calls";
  rule.kind = DispatchRuleKind::individual;
  rule.room_prefix = "call-";
  rule.pin = "1234";
  rule.trunk_ids = {inbound.id};
  rule.attributes = {{"source", "exolve"}};
  rule.agents = {{"voice-agent", R"({"flow":"main"})"}};
  auto rule_created = ok(sip.create_dispatch_rule(rule));
  EXPECT_THAT(rule_created.id, ::testing::StartsWith("SDR_"));
  rule.id = rule_created.id;
  EXPECT_EQ(rule_created, rule);
  rule.kind = DispatchRuleKind::callee;
  rule.randomize = true;
  rule.pin.clear();
  EXPECT_EQ(ok(sip.update_dispatch_rule(rule)), rule);
  EXPECT_THAT(ok(sip.list_dispatch_rules()), ElementsAre(rule));

  EXPECT_TRUE(sip.delete_dispatch_rule(rule.id).ok());
  EXPECT_TRUE(sip.delete_trunk(inbound.id).ok());
  EXPECT_TRUE(sip.delete_trunk(outbound.id).ok());
  EXPECT_THAT(ok(sip.list_dispatch_rules()), IsEmpty());
  EXPECT_THAT(ok(sip.list_inbound_trunks()), IsEmpty());
  EXPECT_THAT(ok(sip.list_outbound_trunks()), IsEmpty());

  // An outbound call through a trunk that does not exist: a typed not_found, not a hang.
  CreateSipParticipantRequest call;
  call.sip_trunk_id = "ST_doesnotexist";
  call.sip_call_to = "+79990000000";
  call.room_name = "out";
  auto placed = sip.create_participant(call);
  ASSERT_FALSE(placed.ok());
  EXPECT_EQ(placed.error().code, ApiErrorCode::not_found);
  EXPECT_THAT(placed.error().message, HasSubstr("trunk"));
}

TEST(LiveKitApi, WithoutRedisSipCallsFailWithTheRedisHint) {
  VA_REQUIRE_LIVEKIT();
  test::LiveKitServerOptions options;
  options.with_redis = false;
  LiveKitServer server(options);
  TwirpClient client(endpoint_of(server));
  auto list = SipService(client).list_inbound_trunks();
  ASSERT_FALSE(list.ok());
  EXPECT_THAT(list.error().message, HasSubstr("redis required"));
  EXPECT_THAT(list.error().hint, HasSubstr("no Redis configured"));
  EXPECT_THAT(list.error().to_string(), HasSubstr("livekit.SIP/ListSIPInboundTrunk"));
  // Rooms still work without Redis.
  EXPECT_TRUE(RoomService(client).list_rooms().ok());
}

TEST(LiveKitApi, WrongSecretUnreachableServerAndBadUrlGiveActionableErrors) {
  VA_REQUIRE_LIVEKIT();
  LiveKitServer server;
  TwirpClient wrong(ServerEndpoint{server.url(), server.api_key(), "not-the-secret-0123456789abcdefghij"});
  auto refused = RoomService(wrong).list_rooms();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ApiErrorCode::unauthenticated);
  EXPECT_EQ(refused.error().http_status, 401u);
  EXPECT_THAT(refused.error().hint, HasSubstr("livekit.api_key and livekit.api_secret"));

  auto url = server.url();
  server.stop();
  TwirpClientOptions fast;
  fast.read_retries = 1;
  fast.retry_backoff_initial = std::chrono::milliseconds(10);
  TwirpClient gone(endpoint_of(server), fast);
  auto down = RoomService(gone).list_rooms();
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, ApiErrorCode::connection_failed);
  EXPECT_THAT(down.error().hint, HasSubstr("is the LiveKit server running at " + url));

  TwirpClient bad(ServerEndpoint{"ftp://example", "APIkey", "secret"});
  auto nonsense = RoomService(bad).list_rooms();
  ASSERT_FALSE(nonsense.ok());
  EXPECT_THAT(nonsense.error().message, HasSubstr("livekit.url"));
}

// Reads are retried on 503 with backoff; writes are sent exactly once. A local server stands in for an
// overloaded LiveKit (the real one cannot be made to answer 503 on demand).
TEST(LiveKitApi, ReadsAreRetriedOnUnavailableButWritesAreNot) {
  std::atomic<int> calls{0};
  http::Router router;
  auto unavailable = [&calls](const http::Request&) {
    ++calls;
    return http::Response::json(503, R"({"code":"unavailable","msg":"try again"})");
  };
  router.add(http::Method::post, "/twirp/livekit.RoomService/ListRooms", unavailable);
  router.add(http::Method::post, "/twirp/livekit.RoomService/CreateRoom", unavailable);
  test::RunningHttpServer server(test::loopback_http_options(), std::move(router));
  TwirpClientOptions options;
  options.read_retries = 2;
  options.retry_backoff_initial = std::chrono::milliseconds(5);
  TwirpClient client(ServerEndpoint{server.url(), "APIlocalKey01", "local-secret-0123456789abcdefghij"},
                     options);
  RoomService rooms(client);
  auto read = rooms.list_rooms();
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, ApiErrorCode::unavailable);
  EXPECT_EQ(read.error().message, "try again");
  EXPECT_EQ(calls.load(), 3);
  calls = 0;
  auto write = rooms.create_room({.name = "x"});
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(calls.load(), 1);
}

}  // namespace
}  // namespace va::livekit
