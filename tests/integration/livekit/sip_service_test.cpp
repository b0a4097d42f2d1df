// Outbound calls and transfers through the real livekit-server. The harness runs no livekit-sip bridge (no
// `with_sip_bridge` yet), so these cover what an operator sees when the call cannot be placed: typed errors,
// never a hang or a success. The trunk/rule CRUD round trip is in livekit_api_test.cpp.
#include "livekit/sip_service.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "livekit/room_service.hpp"
#include "livekit/twirp_client.hpp"
#include "support/livekit_server.hpp"

namespace va::livekit {
namespace {

using test::LiveKitServer;

TEST(SipServiceCalls, CreateParticipantWithoutABridgeFailsWithATypedError) {
  VA_REQUIRE_LIVEKIT();
  LiveKitServer server;
  TwirpClientOptions options;
  options.request_timeout = std::chrono::seconds(40);
  TwirpClient client({server.ws_url(), server.api_key(), server.api_secret()}, options);
  SipService sip(client);
  SipOutboundTrunk trunk;
  trunk.name = "uas";
  trunk.address = "127.0.0.1:5999";
  trunk.numbers = {"74951234567"};
  auto created = sip.create_outbound_trunk(trunk);
  ASSERT_TRUE(created.ok()) << created.error().to_string();

  CreateSipParticipantRequest call;
  call.sip_trunk_id = created.value().id;
  call.sip_call_to = "79991234567";
  call.room_name = "outbound-call";
  call.participant_identity = "callee";
  call.participant_name = "Callee";
  call.participant_metadata = R"({"campaign":"test"})";
  call.participant_attributes = {{"purpose", "test"}};
  call.headers = {{"X-Campaign", "test"}};
  call.dtmf = "1w2";
  call.play_dialtone = true;
  call.wait_until_answered = true;
  call.ringing_timeout = std::chrono::seconds(5);
  call.max_call_duration = std::chrono::seconds(60);
  auto placed = sip.create_participant(call);
  ASSERT_FALSE(placed.ok());
  EXPECT_NE(placed.error().code, ApiErrorCode::invalid_argument) << placed.error().to_string();
  EXPECT_NE(placed.error().code, ApiErrorCode::unauthenticated) << placed.error().to_string();
  EXPECT_NE(placed.error().code, ApiErrorCode::permission_denied) << placed.error().to_string();
  EXPECT_EQ(placed.error().method, "livekit.SIP/CreateSIPParticipant");
  // The server found no livekit-sip bridge on its Redis bus to place the call.
  EXPECT_EQ(placed.error().code, ApiErrorCode::unavailable) << placed.error().to_string();
  EXPECT_THAT(placed.error().message, ::testing::HasSubstr("no response from servers"));
  EXPECT_THAT(placed.error().hint, ::testing::HasSubstr("no livekit-sip bridge"));
}

TEST(SipServiceCalls, TransferOfAnAbsentParticipantIsAnError) {
  VA_REQUIRE_LIVEKIT();
  LiveKitServer server;
  TwirpClient client({server.ws_url(), server.api_key(), server.api_secret()});
  ASSERT_TRUE(RoomService(client).create_room({.name = "call-1"}).ok());
  SipService sip(client);
  TransferSipParticipantRequest transfer;
  transfer.room_name = "call-1";
  transfer.participant_identity = "sip_79991234567";
  transfer.transfer_to = "tel:+79990000000";
  transfer.play_dialtone = true;
  transfer.headers = {{"X-Reason", "operator"}};
  auto result = sip.transfer_participant(transfer);
  ASSERT_FALSE(result.ok());
  // The token carries sip.call + roomAdmin on the room: the server gets past authorisation to the lookup.
  EXPECT_NE(result.error().code, ApiErrorCode::permission_denied) << result.error().to_string();
  EXPECT_NE(result.error().code, ApiErrorCode::unauthenticated) << result.error().to_string();
  EXPECT_EQ(result.error().method, "livekit.SIP/TransferSIPParticipant");
  EXPECT_EQ(result.error().code, ApiErrorCode::not_found) << result.error().to_string();
  EXPECT_THAT(result.error().message, ::testing::HasSubstr("participant does not exist"));
}

}  // namespace
}  // namespace va::livekit
