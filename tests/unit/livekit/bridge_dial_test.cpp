// Bridge mode's decision: which webhook events make voice-agent ask LiveKit to dial its own SIP endpoint into
// a room, and what that CreateSIPParticipant request carries.
#include "livekit/bridge_dial.hpp"

#include <gtest/gtest.h>

#include "common/config.hpp"
#include "support/config_text.hpp"

namespace va::livekit {
namespace {

config::Config load(const std::string& yaml) {
  return test::load_valid_config(yaml);
}

// One number in bridge mode, the rest of Exolve's numbers in room mode (the agent joins the room itself).
constexpr const char* kRoutes = R"(livekit:
  url: ws://127.0.0.1:7880
  api_key: devkey
  api_secret: secret
  dev: true
sip:
  listen: [udp://127.0.0.1:5070]
routing:
  inbound:
    - match: "74951234567"
      flow: main
      room_prefix: exolve-bridge-
      livekit: bridge
    - match: "*"
      flow: reception
      room_prefix: exolve-
    - match: "7800*"
      flow: support
      room_prefix: hotline-
      livekit: bridge
      bridge_user: bridge-support
)";

WebhookEvent joined(const std::string& room, ParticipantKind kind, const std::string& identity,
                    std::map<std::string, std::string> attributes = {}) {
  WebhookEvent e;
  e.id = "EV_1";
  e.type = WebhookEventType::participant_joined;
  e.name = "participant_joined";
  e.room.emplace();
  e.room->sid = "RM_1";
  e.room->name = room;
  WebhookParticipant p;
  p.identity = identity;
  p.kind = kind;
  p.attributes = std::move(attributes);
  e.participant = p;
  return e;
}

const std::map<std::string, std::string> kCallerAttributes{{"sip.callID", "SCL_caller"},
                                                           {"sip.phoneNumber", "+79161234567"},
                                                           {"sip.trunkPhoneNumber", "74951234567"},
                                                           {"sip.callStatus", "active"}};

TEST(BridgeDial, ACallerJoiningABridgeRoomIsDialledWithTheRoutesBridgeUser) {
  auto config = load(kRoutes);
  auto d = decide_bridge_dial(config, joined("exolve-bridge-_79161234567_aBcD", ParticipantKind::sip,
                                             "sip_79161234567", kCallerAttributes));
  ASSERT_TRUE(d.dial);
  EXPECT_EQ(d.dial->route->flow, "main");
  const auto& r = d.dial->request;
  EXPECT_EQ(r.room_name, "exolve-bridge-_79161234567_aBcD");
  EXPECT_EQ(r.sip_call_to, "74951234567");  // the route's number: its default bridge user
  EXPECT_EQ(r.sip_number, "+79161234567");  // the caller, as our From
  EXPECT_EQ(r.participant_identity, "voice-agent-bridge");
  EXPECT_TRUE(r.sip_trunk_id.empty());  // the dialer fills in the provisioned trunk
  EXPECT_EQ(r.participant_attributes.at("voice_agent.caller_sip_call_id"), "SCL_caller");
  EXPECT_EQ(r.participant_attributes.at("voice_agent.caller_identity"), "sip_79161234567");
  EXPECT_EQ(r.participant_attributes.at("voice_agent.route"), "74951234567");
  EXPECT_FALSE(r.wait_until_answered);
}

TEST(BridgeDial, TheLongestRoomPrefixWinsAndPatternRoutesDialTheirBridgeUser) {
  auto config = load(kRoutes);
  // "exolve-bridge-…" fits both "exolve-" and "exolve-bridge-": the longer one is the bridge route.
  EXPECT_EQ(route_for_room(config.routing, "exolve-bridge-_1_x")->flow, "main");
  EXPECT_EQ(route_for_room(config.routing, "exolve-_1_x")->flow, "reception");
  EXPECT_EQ(route_for_room(config.routing, "conference"), nullptr);
  auto d =
      decide_bridge_dial(config, joined("hotline-_78001234567", ParticipantKind::sip, "sip_78001234567"));
  ASSERT_TRUE(d.dial);
  EXPECT_EQ(d.dial->request.sip_call_to, "bridge-support");
  EXPECT_TRUE(d.dial->request.sip_number.empty());  // no sip.phoneNumber (hidden): the trunk's number
}

TEST(BridgeDial, NothingIsDialledForOtherEventsParticipantsAndRooms) {
  auto config = load(kRoutes);
  auto skip = [&](const WebhookEvent& e) {
    auto d = decide_bridge_dial(config, e);
    EXPECT_FALSE(d.dial);
    return d.skip;
  };
  auto left = joined("exolve-bridge-_1", ParticipantKind::sip, "sip_1", kCallerAttributes);
  left.type = WebhookEventType::participant_left;
  EXPECT_EQ(skip(left), BridgeSkip::not_a_join);
  EXPECT_EQ(skip(joined("exolve-bridge-_1", ParticipantKind::standard, "web-user")), BridgeSkip::not_sip);
  EXPECT_EQ(skip(joined("exolve-bridge-_1", ParticipantKind::agent, "agent")), BridgeSkip::not_sip);
  EXPECT_EQ(skip(joined("exolve-_1_x", ParticipantKind::sip, "sip_1", kCallerAttributes)),
            BridgeSkip::room_mode);
  EXPECT_EQ(skip(joined("conference", ParticipantKind::sip, "sip_1", kCallerAttributes)),
            BridgeSkip::no_route);
  // The participant LiveKit dialled for us is a SIP participant in the same room.
  EXPECT_EQ(skip(joined("exolve-bridge-_1", ParticipantKind::sip, "voice-agent-bridge")),
            BridgeSkip::bridge_participant);
  EXPECT_EQ(skip(joined("exolve-bridge-_1", ParticipantKind::sip, "other-bridge",
                        {{"voice_agent.caller_sip_call_id", "SCL_x"}})),
            BridgeSkip::bridge_participant);
}

TEST(BridgeDial, TheIdentityFollowsTheNamePrefix) {
  auto config = load(std::string(kRoutes) + "");
  config.livekit.provisioning.name_prefix = "exolve-prod";
  EXPECT_EQ(bridge_participant_identity(config), "exolve-prod-bridge");
}

}  // namespace
}  // namespace va::livekit
