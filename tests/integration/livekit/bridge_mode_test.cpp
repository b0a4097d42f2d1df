// Bridge mode against the real livekit-server (+ Redis): `voice-agent provision` creates the bridge trunk
// (LiveKit SIP → voice-agent), and `voice-agent serve`, told by a signed participant_joined webhook that a
// caller's SIP participant joined a room of a `livekit: bridge` route, asks the server to dial voice-agent
// into that room (CreateSIPParticipant). The harness runs no livekit-sip bridge (it cannot be installed
// here), so the server takes the request and answers that no SIP service responded: the test records that
// answer and checks what was asked for in the server's own log. The SIP side of a bridge call (LiveKit SIP
// dialling our endpoint) is tested with SIPp in tests/integration/sip_calls/sip_call_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>
#include <sstream>

#include "integration/binary.hpp"
#include "integration/livekit/webhook_served_agent.hpp"
#include "livekit/provision_desired_state.hpp"
#include "livekit/sip_service.hpp"
#include "support/agent_instance.hpp"
#include "support/livekit_server.hpp"

namespace va::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

// Calls to 74951234567 arrive in rooms "bridge-…" and run in bridge mode (echo flow); everything else is in
// room mode with rooms "room-…".
constexpr const char* kRoutes =
    R"(routing.inbound=[{match: "74951234567", flow: echo, room_prefix: bridge-, livekit: bridge},)"
    R"( {match: "*", flow: echo, room_prefix: room-}])";

std::string joined_event(const std::string& id, const std::string& room, const std::string& kind,
                         const std::string& identity, const std::string& call_id) {
  return R"({"event":"participant_joined","id":")" + id + R"(","createdAt":")" + std::to_string(unix_now()) +
         R"(","room":{"sid":"RM_bridge","name":")" + room + R"("},"participant":{"sid":"PA_)" + identity +
         R"(","identity":")" + identity + R"(","state":"ACTIVE","kind":")" + kind +
         R"(","attributes":{"sip.callID":")" + call_id +
         R"(","sip.phoneNumber":"+79161234567","sip.trunkPhoneNumber":"74951234567","sip.callStatus":"active"}}})";
}

// The server's log lines for CreateSIPParticipant requests into `room` (its API access log, one per call).
std::vector<std::string> create_participant_lines(const LiveKitServer& server, const std::string& room) {
  std::vector<std::string> lines;
  std::istringstream log(server.log());
  for (std::string line; std::getline(log, line);) {
    if (line.find("API SIP.CreateSIPParticipant") != std::string::npos &&
        line.find("\"room\": \"" + room + "\"") != std::string::npos)
      lines.push_back(line);
  }
  return lines;
}

class BridgeMode : public ::testing::Test {
 protected:
  void SetUp() override {
    VA_REQUIRE_LIVEKIT();
    server_ = std::make_unique<LiveKitServer>();
    client_ = std::make_unique<livekit::TwirpClient>(
        livekit::ServerEndpoint{server_->ws_url(), server_->api_key(), server_->api_secret()});
    sip_ = std::make_unique<livekit::SipService>(*client_);
  }

  // The example configuration on this test's server, with the bridge routes.
  std::vector<std::string> sets(const std::string& bridge_address) const {
    return {"livekit.url=" + server_->ws_url(),
            "livekit.api_key=" + server_->api_key(),
            "livekit.api_secret=" + server_->api_secret(),
            "livekit.dev=false",
            "logging.format=json",
            "logging.mask_phone_numbers=false",
            kRoutes,
            "livekit.provisioning.bridge_trunk.address=" + bridge_address};
  }

  RunResult provision(const std::string& bridge_address) {
    std::vector<std::string> args{"provision"};
    for (const auto& s : sets(bridge_address)) args.insert(args.end(), {"--set", s});
    return run(args, {}, 60s);
  }

  std::optional<livekit::SipOutboundTrunk> bridge_trunk() {
    for (const auto& t : ok(sip_->list_outbound_trunks())) {
      auto marker = livekit::ownership_marker(t.metadata);
      if (marker && marker->key == livekit::kBridgeTrunkKey) return t;
    }
    return std::nullopt;
  }

  std::unique_ptr<LiveKitServer> server_;
  std::unique_ptr<livekit::TwirpClient> client_;
  std::unique_ptr<livekit::SipService> sip_;
};

TEST_F(BridgeMode, ProvisionCreatesTheBridgeTrunkWithTheConfiguredAddress) {
  auto r = provision("127.0.0.1:5070");
  ASSERT_TRUE(r.status.exited_with(0)) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("+ create bridge trunk 'voice-agent-bridge'"));
  EXPECT_THAT(r.out,
              HasSubstr("+ create outbound trunk 'voice-agent-outbound'"));  // the carrier's, beside it

  auto trunk = bridge_trunk();
  ASSERT_TRUE(trunk) << r.out;
  EXPECT_EQ(trunk->name, "voice-agent-bridge");
  EXPECT_EQ(trunk->address, "127.0.0.1:5070");
  EXPECT_EQ(trunk->transport, livekit::SipTransport::udp);  // the first sip.listen entry's
  EXPECT_THAT(trunk->numbers, ::testing::ElementsAre("+79991234567", "+79997654321"));  // sip.trunks' numbers
  EXPECT_EQ(ok(sip_->list_outbound_trunks()).size(), 2U);

  auto again = provision("127.0.0.1:5070");
  ASSERT_TRUE(again.status.exited_with(0)) << again.out << again.err;
  EXPECT_THAT(again.out, HasSubstr("Nothing to do"));

  // A new address is an update of the same trunk, not a second one.
  auto moved = provision("127.0.0.1:5080");
  ASSERT_TRUE(moved.status.exited_with(0)) << moved.out << moved.err;
  EXPECT_THAT(moved.out, HasSubstr("~ update bridge trunk 'voice-agent-bridge'"));
  EXPECT_EQ(bridge_trunk()->address, "127.0.0.1:5080");
  EXPECT_EQ(bridge_trunk()->id, trunk->id);
}

TEST_F(BridgeMode, ACallerJoiningABridgeRoomMakesServeDialItselfInOncePerRoom) {
  AgentInstance agent({.sip_transports = {"udp"}, .sets = sets("127.0.0.1:0")});
  ASSERT_TRUE(agent.ready()) << agent.describe();
  // The bridge trunk points at this instance's SIP endpoint.
  auto provisioned = provision(agent.sip_address());
  ASSERT_TRUE(provisioned.status.exited_with(0)) << provisioned.out << provisioned.err;
  auto trunk = bridge_trunk();
  ASSERT_TRUE(trunk);
  EXPECT_EQ(trunk->address, agent.sip_address());

  HttpClient http(30s);
  auto post = [&](const std::string& body) {
    return http.request("POST", agent.url("/livekit/webhook"),
                        {{"Content-Type", "application/webhook+json"},
                         {"Authorization", sign_webhook(body, server_->api_key(), server_->api_secret())}},
                        body);
  };
  // Events are processed in order: once a later one is in the log, every earlier one was handled.
  int sentinels = 0;
  auto settle = [&] {
    auto id = "EV_sentinel_" + std::to_string(++sentinels);
    ASSERT_EQ(post(room_event(id, "sentinel-room")).status, 200);
    ASSERT_TRUE(agent.process().wait_for_output("\"id\":\"" + id + "\"", Stream::err, 30s))
        << agent.describe();
  };

  const std::string room = "bridge-_79161234567_Ab3d";
  const auto caller = joined_event("EV_join_1", room, "SIP", "sip_79161234567", "SCL_caller1");
  ASSERT_EQ(post(caller).status, 200);
  ASSERT_TRUE(agent.process().wait_for_output("livekit bridge dial", Stream::err, 60s)) << agent.describe();
  settle();

  // The server took the request as asked: our trunk, the room, the route's number, our identity, the caller's
  // number as From. Without a SIP bridge it cannot place the call and answers so.
  auto requests = create_participant_lines(*server_, room);
  ASSERT_EQ(requests.size(), 1U) << server_->log();
  const auto& request = requests.front();
  std::printf("[ server   ] %s\n", request.c_str());
  EXPECT_THAT(request, HasSubstr("\"trunkID\": \"" + trunk->id + "\""));
  EXPECT_THAT(request, HasSubstr("\"toUser\": \"74951234567\""));
  EXPECT_THAT(request, HasSubstr("\"participant\": \"voice-agent-bridge\""));
  EXPECT_THAT(request, HasSubstr("\"fromUser\": \"+79161234567\""));
  EXPECT_THAT(request, HasSubstr("\"toHost\": \"" + agent.sip_address() + "\""));
  EXPECT_THAT(request, HasSubstr("\"status\": \"503\""));
  EXPECT_THAT(request, HasSubstr("no response from servers"));

  // voice-agent logs the failure with room, trunk and the server's error, counts it, and carries on.
  auto log = agent.log();
  std::smatch failure;
  ASSERT_TRUE(
      std::regex_search(log, failure, std::regex(R"(\{[^\n]*"msg":"livekit bridge dial failed"[^\n]*)")))
      << log;
  std::printf("[ agent    ] %s\n", failure.str().c_str());
  EXPECT_THAT(failure.str(), HasSubstr("\"room\":\"" + room + "\""));
  EXPECT_THAT(failure.str(), HasSubstr("\"trunk\":\"" + trunk->id + "\""));
  EXPECT_THAT(failure.str(), HasSubstr("\"caller_sip_call_id\":\"SCL_caller1\""));
  EXPECT_THAT(failure.str(), HasSubstr("unavailable"));
  EXPECT_THAT(failure.str(), HasSubstr("no response from servers"));
  EXPECT_EQ(agent.metric(R"(livekit_bridge_dials_total{result="failed"})"), 1.0);
  EXPECT_EQ(agent.metric(R"(livekit_bridge_dials_total{result="dialled"})"), 0.0);

  // LiveKit's retry of the same delivery (same id) dials nothing; neither does another SIP participant of the
  // same room (a new id), our own bridge participant, a participant that is not SIP, or a room-mode room.
  ASSERT_EQ(post(caller).status, 200);
  ASSERT_EQ(post(joined_event("EV_join_2", room, "SIP", "sip_79160000000", "SCL_second")).status, 200);
  ASSERT_EQ(post(joined_event("EV_join_3", room, "SIP", "voice-agent-bridge", "SCL_bridge")).status, 200);
  ASSERT_EQ(post(joined_event("EV_join_4", "bridge-_79162222222_x", "STANDARD", "web-user", "")).status, 200);
  ASSERT_EQ(
      post(joined_event("EV_join_5", "room-_79163333333_y", "SIP", "sip_79163333333", "SCL_room")).status,
      200);
  settle();
  EXPECT_EQ(agent.metric("livekit_webhook_duplicates_total"), 1.0);
  EXPECT_EQ(agent.metric(R"(livekit_bridge_dials_total{result="failed"})"), 1.0);
  EXPECT_EQ(agent.metric(R"(livekit_bridge_dials_total{result="dialled"})"), 0.0);
  EXPECT_EQ(create_participant_lines(*server_, room).size(), 1U);
  EXPECT_TRUE(create_participant_lines(*server_, "bridge-_79162222222_x").empty());
  EXPECT_TRUE(create_participant_lines(*server_, "room-_79163333333_y").empty());
  EXPECT_EQ(agent.count_log_lines("livekit bridge dial"), 1U) << agent.log();

  // A new call (a new room) is dialled again; the instance is still healthy.
  ASSERT_EQ(
      post(joined_event("EV_join_6", "bridge-_79164444444_z", "SIP", "sip_79164444444", "SCL_next")).status,
      200);
  settle();
  EXPECT_EQ(create_participant_lines(*server_, "bridge-_79164444444_z").size(), 1U);
  EXPECT_EQ(agent.metric(R"(livekit_bridge_dials_total{result="failed"})"), 2.0);
  EXPECT_TRUE(agent.stop().exited_with(0)) << agent.describe();
}

TEST_F(BridgeMode, WithoutAProvisionedTrunkTheDialIsCountedAsNoTrunk) {
  AgentInstance agent({.sip_transports = {"udp"}, .sets = sets("127.0.0.1:0")});
  ASSERT_TRUE(agent.ready()) << agent.describe();
  HttpClient http(30s);
  auto body = joined_event("EV_no_trunk", "bridge-_79161234567_q", "SIP", "sip_79161234567", "SCL_q");
  ASSERT_EQ(http.request("POST", agent.url("/livekit/webhook"),
                         {{"Content-Type", "application/webhook+json"},
                          {"Authorization", sign_webhook(body, server_->api_key(), server_->api_secret())}},
                         body)
                .status,
            200);
  ASSERT_TRUE(
      agent.process().wait_for_output("livekit bridge dial failed: no bridge trunk", Stream::err, 60s))
      << agent.describe();
  EXPECT_THAT(agent.log(), HasSubstr("run voice-agent provision"));
  EXPECT_EQ(agent.wait_for_metric(R"(livekit_bridge_dials_total{result="no_trunk"})", 1.0), 1.0);
  EXPECT_TRUE(create_participant_lines(*server_, "bridge-_79161234567_q").empty());
}

}  // namespace
}  // namespace va::test
